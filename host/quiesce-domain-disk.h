/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceDomainDisk: one <disk> of a libvirt domain XML, with what the
 * host knows about it (target, bus, source, serial, wwn, address and the
 * PCI address of its controller), and the DiskSpec that names it to the
 * guest agent. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define QUIESCE_TYPE_DOMAIN_DISK (quiesce_domain_disk_get_type ())

typedef struct _QuiesceDomainDisk QuiesceDomainDisk;

GType quiesce_domain_disk_get_type (void) G_GNUC_CONST;

QuiesceDomainDisk *quiesce_domain_disk_ref (QuiesceDomainDisk *self);
void quiesce_domain_disk_unref (QuiesceDomainDisk *self);

const char *quiesce_domain_disk_get_target (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_bus (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_device (const QuiesceDomainDisk *self);
gboolean quiesce_domain_disk_is_removable (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_source_type (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_source (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_source_pool (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_source_volume (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_source_protocol (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_driver_type (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_serial (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_wwn (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_alias (const QuiesceDomainDisk *self);
const char *quiesce_domain_disk_get_address_type (const QuiesceDomainDisk *self);
gboolean quiesce_domain_disk_get_pci_address (const QuiesceDomainDisk *self,
                                              guint *domain,
                                              guint *bus,
                                              guint *slot,
                                              guint *function);
gboolean quiesce_domain_disk_get_drive_address (const QuiesceDomainDisk *self,
                                                guint *controller,
                                                guint *bus,
                                                guint *target,
                                                guint *unit);
const char *quiesce_domain_disk_get_controller_model (const QuiesceDomainDisk *self);
gboolean quiesce_domain_disk_get_controller_pci_address (const QuiesceDomainDisk *self,
                                                         guint *domain,
                                                         guint *bus,
                                                         guint *slot,
                                                         guint *function);

JsonObject *quiesce_domain_disk_to_spec (const QuiesceDomainDisk *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuiesceDomainDisk, quiesce_domain_disk_unref)

G_END_DECLS
