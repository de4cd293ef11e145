/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* the insides of QuiesceDomainDisk, filled in by the QuiesceDomain
 * parser; not installed, and nothing here is exported (qh_ prefix) */
#pragma once

#include "quiesce-domain-disk.h"

G_BEGIN_DECLS

/* a PCI address as libvirt writes it: domain, bus, slot, function */
typedef struct
{
  guint domain;
  guint bus;
  guint slot;
  guint function;
} QhPciAddress;

struct _QuiesceDomainDisk
{
  gatomicrefcount ref;
  gint line;               /* where <disk> starts in the XML, for messages */
  char *target;            /* <target dev>, e.g. vda */
  char *bus;               /* <target bus>: virtio, scsi, sata, ide, usb, fdc, ... */
  char *device;            /* <disk device>: disk, cdrom, floppy, lun */
  char *source_type;       /* <disk type>: file, block, volume, network, dir, nvme */
  char *source;            /* file, dev, dir, pool/volume or the network name */
  char *source_pool;       /* type='volume' only */
  char *source_volume;
  char *source_protocol;   /* type='network' only: rbd, iscsi, nbd, ... */
  char *driver_type;       /* <driver type>: qcow2, raw, ... */
  char *serial;
  char *wwn;
  char *alias;             /* <alias name>, live XML only */
  char *address_type;      /* <address type>: pci, drive, usb, ccw, ... */
  QhPciAddress pci;        /* address_type pci */
  guint drive_controller;  /* address_type drive */
  guint drive_bus;
  guint drive_target;
  guint drive_unit;
  guint usb_bus;           /* address_type usb: the index of its usb controller */
  char *controller_model;  /* the controller a drive/usb address points at */
  gboolean has_controller_pci;
  QhPciAddress controller_pci;
};

QuiesceDomainDisk *qh_domain_disk_new (gint line);
JsonObject *qh_pci_address_to_json (const QhPciAddress *address);

G_END_DECLS
