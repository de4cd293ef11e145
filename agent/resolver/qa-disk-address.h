/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-disk-address: a disk's identity as the host configured it.
 *
 * From the disk's sysfs path: the PCI function of its controller (walking
 * bridges), the bus type, and bus/target/unit by the rules the QEMU guest
 * agent uses, so libvirt can match a reply back to its <disk>; the serial
 * from sysfs (virtio's serial, SCSI VPD page 0x80, NVMe's serial), falling
 * back to udev's database only where sysfs has none; and the wwn. */
#pragma once

#include "qa-resolver.h"

G_BEGIN_DECLS

/* fill the address fields of a whole, non-virtual disk */
void qa_disk_address_fill (const QaSysroot *sysroot, QaDisk *disk);

/* "DDDD:BB:SS.F" -> four numbers; FALSE if not a PCI function name */
gboolean qa_disk_address_parse_bdf (const char *text, gint64 *domain, gint64 *bus, gint64 *slot,
                                    gint64 *function);

G_END_DECLS
