/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceDomainDisk: a <disk> of a libvirt domain, and its DiskSpec */

#include "config.h"

#include "quiesce-domain-disk-private.h"
#include "quiesce-domain.h"

/**
 * QuiesceDomainDisk:
 *
 * One `<disk>` of a libvirt domain XML: its target name and bus, its
 * source, serial and wwn, and its address.  For a drive address
 * (`<address type='drive'>`), the PCI address of the controller it points
 * at is resolved too, since that is what the guest agent reports.
 * cdrom and floppy disks are kept; quiesce_domain_disk_is_removable() tells
 * them apart.
 *
 * Instances come from quiesce_domain_get_disks() and are reference
 * counted.
 *
 * Since: 0.1
 */

G_DEFINE_BOXED_TYPE (QuiesceDomainDisk, quiesce_domain_disk, quiesce_domain_disk_ref,
                     quiesce_domain_disk_unref)

QuiesceDomainDisk *
qh_domain_disk_new (gint line)
{
  QuiesceDomainDisk *self = g_new0 (QuiesceDomainDisk, 1);

  g_atomic_ref_count_init (&self->ref);
  self->line = line;
  return self;
}

/**
 * quiesce_domain_disk_ref:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer full): @self, with one more reference
 *
 * Since: 0.1
 */
QuiesceDomainDisk *
quiesce_domain_disk_ref (QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

/**
 * quiesce_domain_disk_unref:
 * @self: (nullable) (transfer full): a #QuiesceDomainDisk
 *
 * Drops a reference; the last one frees the disk.
 *
 * Since: 0.1
 */
void
quiesce_domain_disk_unref (QuiesceDomainDisk *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_free (self->target);
  g_free (self->bus);
  g_free (self->device);
  g_free (self->source_type);
  g_free (self->source);
  g_free (self->source_pool);
  g_free (self->source_volume);
  g_free (self->source_protocol);
  g_free (self->driver_type);
  g_free (self->serial);
  g_free (self->wwn);
  g_free (self->alias);
  g_free (self->address_type);
  g_free (self->controller_model);
  g_free (self);
}

/**
 * quiesce_domain_disk_get_target:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none): the `<target dev>`, e.g. `vda`
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_target (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->target;
}

/**
 * quiesce_domain_disk_get_bus:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the `<target bus>`: `virtio`,
 *   `scsi`, `sata`, `ide`, `usb`, `fdc`, ...
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_bus (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->bus;
}

/**
 * quiesce_domain_disk_get_device:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none): the `<disk device>`: `disk` (libvirt's
 *   default), `cdrom`, `floppy` or `lun`
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_device (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->device;
}

/**
 * quiesce_domain_disk_is_removable:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: %TRUE for a cdrom or floppy, which hold no filesystem worth
 *   freezing (read-only media)
 *
 * Since: 0.1
 */
gboolean
quiesce_domain_disk_is_removable (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return g_strcmp0 (self->device, "cdrom") == 0 || g_strcmp0 (self->device, "floppy") == 0;
}

/**
 * quiesce_domain_disk_get_source_type:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the `<disk type>`: `file`, `block`,
 *   `volume`, `network`, `dir`, `nvme`, ...
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_source_type (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->source_type;
}

/**
 * quiesce_domain_disk_get_source:
 * @self: a #QuiesceDomainDisk
 *
 * What `<source>` names: the `file`, `dev` or `dir` path, `POOL/VOLUME`
 * for a volume, or the `name` of a network disk (`rbdpool/image`).  An
 * empty cdrom and an `nvme` disk (a host PCI function) have none.
 *
 * Returns: (transfer none) (nullable): the source
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_source (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->source;
}

/**
 * quiesce_domain_disk_get_source_pool:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the storage pool of a `volume` disk
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_source_pool (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->source_pool;
}

/**
 * quiesce_domain_disk_get_source_volume:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the volume of a `volume` disk
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_source_volume (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->source_volume;
}

/**
 * quiesce_domain_disk_get_source_protocol:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the protocol of a `network` disk:
 *   `rbd`, `iscsi`, `nbd`, ...
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_source_protocol (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->source_protocol;
}

/**
 * quiesce_domain_disk_get_driver_type:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the image format, `<driver type>`:
 *   `qcow2`, `raw`, ...
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_driver_type (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->driver_type;
}

/**
 * quiesce_domain_disk_get_serial:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the `<serial>`
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_serial (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->serial;
}

/**
 * quiesce_domain_disk_get_wwn:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the `<wwn>`, as libvirt writes it
 *   (16 hex digits, no prefix)
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_wwn (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->wwn;
}

/**
 * quiesce_domain_disk_get_alias:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the `<alias name>` (QEMU's device
 *   id, e.g. `virtio-disk0`); only the XML of a running domain has one
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_alias (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->alias;
}

/**
 * quiesce_domain_disk_get_address_type:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the `<address type>`: `pci`
 *   (virtio-blk), `drive` (scsi, sata, ide, fdc), `usb`, `ccw`, ...
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_address_type (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->address_type;
}

static gboolean
pci_out (const QhPciAddress *address, guint *domain, guint *bus, guint *slot, guint *function)
{
  if (domain != NULL)
    *domain = address->domain;
  if (bus != NULL)
    *bus = address->bus;
  if (slot != NULL)
    *slot = address->slot;
  if (function != NULL)
    *function = address->function;
  return TRUE;
}

/**
 * quiesce_domain_disk_get_pci_address:
 * @self: a #QuiesceDomainDisk
 * @domain: (out) (optional): the PCI domain
 * @bus: (out) (optional): the PCI bus
 * @slot: (out) (optional): the PCI slot
 * @function: (out) (optional): the PCI function
 *
 * The disk's own `<address type='pci'>`, which a virtio-blk disk has.
 *
 * Returns: %TRUE if the disk is PCI-addressed; the outputs are untouched
 *   otherwise
 *
 * Since: 0.1
 */
gboolean
quiesce_domain_disk_get_pci_address (const QuiesceDomainDisk *self,
                                     guint *domain,
                                     guint *bus,
                                     guint *slot,
                                     guint *function)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (g_strcmp0 (self->address_type, "pci") != 0)
    return FALSE;
  return pci_out (&self->pci, domain, bus, slot, function);
}

/**
 * quiesce_domain_disk_get_drive_address:
 * @self: a #QuiesceDomainDisk
 * @controller: (out) (optional): the index of the controller of the disk's
 *   bus type
 * @bus: (out) (optional): the bus on that controller (IDE channel; always 0
 *   for virtio-scsi and sata)
 * @target: (out) (optional): the target (SCSI id)
 * @unit: (out) (optional): the unit (SCSI LUN, AHCI port, IDE master/slave)
 *
 * The disk's `<address type='drive'>`.
 *
 * Returns: %TRUE if the disk is drive-addressed; the outputs are untouched
 *   otherwise
 *
 * Since: 0.1
 */
gboolean
quiesce_domain_disk_get_drive_address (const QuiesceDomainDisk *self,
                                       guint *controller,
                                       guint *bus,
                                       guint *target,
                                       guint *unit)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (g_strcmp0 (self->address_type, "drive") != 0)
    return FALSE;
  if (controller != NULL)
    *controller = self->drive_controller;
  if (bus != NULL)
    *bus = self->drive_bus;
  if (target != NULL)
    *target = self->drive_target;
  if (unit != NULL)
    *unit = self->drive_unit;
  return TRUE;
}

/**
 * quiesce_domain_disk_get_controller_model:
 * @self: a #QuiesceDomainDisk
 *
 * Returns: (transfer none) (nullable): the model of the controller a drive
 *   or usb address points at (`virtio-scsi`, `qemu-xhci`), if it has one
 *
 * Since: 0.1
 */
const char *
quiesce_domain_disk_get_controller_model (const QuiesceDomainDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->controller_model;
}

/**
 * quiesce_domain_disk_get_controller_pci_address:
 * @self: a #QuiesceDomainDisk
 * @domain: (out) (optional): the PCI domain
 * @bus: (out) (optional): the PCI bus
 * @slot: (out) (optional): the PCI slot
 * @function: (out) (optional): the PCI function
 *
 * The PCI address of the controller a drive or usb address points at:
 * the virtio-scsi HBA, q35's AHCI at 0000:00:1f.2, i440fx's PIIX3 IDE at
 * 0000:00:01.1.  That is the guest agent's `pci-controller` for the disk.
 *
 * Returns: %TRUE if the controller was found with a PCI address; the
 *   outputs are untouched otherwise
 *
 * Since: 0.1
 */
gboolean
quiesce_domain_disk_get_controller_pci_address (const QuiesceDomainDisk *self,
                                                guint *domain,
                                                guint *bus,
                                                guint *slot,
                                                guint *function)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (!self->has_controller_pci)
    return FALSE;
  return pci_out (&self->controller_pci, domain, bus, slot, function);
}

JsonObject *
qh_pci_address_to_json (const QhPciAddress *address)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "domain", address->domain);
  json_object_set_int_member (object, "bus", address->bus);
  json_object_set_int_member (object, "slot", address->slot);
  json_object_set_int_member (object, "function", address->function);
  return object;
}

/* the address part of a spec, shaped as the guest agent reports the
 * disk (REFERENCE.md, qemu-ga's build_guest_fsinfo_for_pci_dev, which
 * quiesce-agent follows); FALSE when the address says nothing the agent
 * reports */
static gboolean
add_address (const QuiesceDomainDisk *self, JsonObject *spec)
{
  const char *bus = self->bus != NULL ? self->bus : "";

  if (g_strcmp0 (self->address_type, "pci") == 0)
    {
      /* virtio-blk: one disk per PCI function, so the agent's
       * pci-controller is the disk's own function and bus/target/unit
       * are 0; libvirt matches it by PCI address alone */
      if (g_strcmp0 (bus, "virtio") == 0)
        json_object_set_string_member (spec, "bus-type", "virtio");
      json_object_set_object_member (spec, "pci-controller", qh_pci_address_to_json (&self->pci));
      return TRUE;
    }

  if (!self->has_controller_pci)
    return FALSE;

  if (g_strcmp0 (self->address_type, "drive") == 0)
    {
      if (g_strcmp0 (bus, "scsi") == 0)
        {
          /* virtio-scsi: QEMU gets channel=bus, scsi-id=target, lun=unit,
           * so the guest sees H:C:T:L = H:bus:target:unit behind the HBA
           * function.  The agent reports the HBA as pci-controller,
           * target T and unit L (DESIGN.md 3.3).  libvirt's drive bus is
           * the SCSI channel: virtio-scsi has only channel 0 and qemu-ga
           * reports bus 0 for it, so it carries nothing and is left out.
           * (qemu-ga 7.2 itself reports target 0 for every disk, so a disk
           * at target != 0 only matches quiesce-agent.) */
          json_object_set_string_member (spec, "bus-type", "scsi");
          json_object_set_object_member (spec, "pci-controller",
                                         qh_pci_address_to_json (&self->controller_pci));
          json_object_set_int_member (spec, "target", self->drive_target);
          json_object_set_int_member (spec, "unit", self->drive_unit);
          return TRUE;
        }
      if (g_strcmp0 (bus, "sata") == 0)
        {
          /* AHCI: libvirt puts a sata disk on port `unit` (bus and target
           * are always 0); every port is its own ata host, and the agent
           * reports the host's index under the AHCI function as unit */
          json_object_set_string_member (spec, "bus-type", "sata");
          json_object_set_object_member (spec, "pci-controller",
                                         qh_pci_address_to_json (&self->controller_pci));
          json_object_set_int_member (spec, "unit", self->drive_unit);
          return TRUE;
        }
      if (g_strcmp0 (bus, "ide") == 0)
        {
          /* PIIX IDE: libvirt's bus is the channel (primary 0, secondary
           * 1), unit is master 0 / slave 1, target always 0.  The guest
           * has one ata host per channel; the agent reports the host
           * index as bus and the SCSI target (the drive on the channel)
           * as unit */
          json_object_set_string_member (spec, "bus-type", "ide");
          json_object_set_object_member (spec, "pci-controller",
                                         qh_pci_address_to_json (&self->controller_pci));
          json_object_set_int_member (spec, "bus", self->drive_bus);
          json_object_set_int_member (spec, "unit", self->drive_unit);
          return TRUE;
        }
      if (g_strcmp0 (bus, "nvme") == 0)
        {
          /* libvirt 9.0 has no nvme disk bus (it refuses bus='nvme');
           * later releases put nvme namespaces on an nvme controller.
           * The agent reports the controller function and unit 0 for
           * every namespace (as qemu-ga does), so the controller is all
           * that identifies the disk */
          json_object_set_string_member (spec, "bus-type", "nvme");
          json_object_set_object_member (spec, "pci-controller",
                                         qh_pci_address_to_json (&self->controller_pci));
          return TRUE;
        }
      return FALSE;
    }

  if (g_strcmp0 (self->address_type, "usb") == 0 && g_strcmp0 (bus, "usb") == 0)
    {
      /* usb-storage: the agent reports only the USB host controller's
       * function, so two USB disks on one controller are ambiguous and
       * the agent says so; a <serial> avoids that */
      json_object_set_string_member (spec, "bus-type", "usb");
      json_object_set_object_member (spec, "pci-controller",
                                     qh_pci_address_to_json (&self->controller_pci));
      return TRUE;
    }
  return FALSE;
}

/**
 * quiesce_domain_disk_to_spec:
 * @self: a #QuiesceDomainDisk
 * @error: return location for a #GError, or %NULL
 *
 * Builds the DiskSpec that names this disk to the guest agent
 * (`guest-fsfreeze-acquire` and `-resolve`), in this order of preference:
 *
 * 1. the `<serial>`: `{"serial": S}`.  QEMU hands it to the guest as the
 *    virtio-blk serial, SCSI VPD page 0x80, ATA IDENTIFY or NVMe serial,
 *    and the agent reads it back from sysfs; it survives any PCI
 *    renumbering.
 * 2. the `<wwn>`: `{"wwn": W}` (scsi, sata and ide disks).
 * 3. the address, shaped as the agent reports the disk, which is also what
 *    libvirt matches guest-get-fsinfo against:
 *    - virtio-blk: `{"bus-type": "virtio", "pci-controller": <the disk's
 *      own PCI address>}`;
 *    - scsi (virtio-scsi): `{"bus-type": "scsi", "pci-controller": <the
 *      HBA>, "target": T, "unit": U}`;
 *    - sata: `{"bus-type": "sata", "pci-controller": <the AHCI>, "unit": U}`;
 *    - ide: `{"bus-type": "ide", "pci-controller": <the IDE function>,
 *      "bus": B, "unit": U}`;
 *    - usb and nvme: `{"bus-type": ..., "pci-controller": <the controller>}`.
 *
 * Every spec carries `"name": TARGET` as a label, which the agent echoes
 * and never matches.
 *
 * Returns: (transfer full): a new DiskSpec, or %NULL with
 *   %QUIESCE_DOMAIN_ERROR_NO_IDENTITY when the disk has none of these (a
 *   floppy, a disk on a controller without a PCI address, a domain XML
 *   without addresses)
 *
 * Since: 0.1
 */
JsonObject *
quiesce_domain_disk_to_spec (const QuiesceDomainDisk *self, GError **error)
{
  g_autoptr(JsonObject) spec = json_object_new ();

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->serial != NULL && self->serial[0] != '\0')
    json_object_set_string_member (spec, "serial", self->serial);
  else if (self->wwn != NULL && self->wwn[0] != '\0')
    json_object_set_string_member (spec, "wwn", self->wwn);
  else if (!add_address (self, spec))
    {
      g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_NO_IDENTITY,
                   "Disk '%s' has no serial, wwn or address that the guest agent reports; "
                   "give it a <serial> in the domain, or name it explicitly, "
                   "e.g. 'dev:/dev/vdX' or 'serial:SERIAL'",
                   self->target);
      return NULL;
    }
  json_object_set_string_member (spec, "name", self->target);
  return g_steal_pointer (&spec);
}
