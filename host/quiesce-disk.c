/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "quiesce-disk.h"

#include "quiesce-error.h"

struct _QuiesceDisk
{
  grefcount refcount;
  char *dev;
  char *serial;
  char *wwn;
  char *bus_type;
  char *name;
  gint bus;    /* -1: unknown, or not part of a spec */
  gint target;
  gint unit;
  gboolean has_pci;
  gint pci[4]; /* domain, bus, slot, function */
};

G_DEFINE_BOXED_TYPE (QuiesceDisk, quiesce_disk, quiesce_disk_ref, quiesce_disk_unref)

/**
 * quiesce_disk_new:
 *
 * Creates an empty disk, to be filled in as a DiskSpec with the setters:
 * a spec carries only the fields set, and matches a guest disk when every
 * one of them (other than the name) equals the disk's.
 *
 * Returns: (transfer full): a new #QuiesceDisk
 *
 * Since: 0.1
 */
QuiesceDisk *
quiesce_disk_new (void)
{
  QuiesceDisk *self = g_new0 (QuiesceDisk, 1);

  g_ref_count_init (&self->refcount);
  self->bus = -1;
  self->target = -1;
  self->unit = -1;
  return self;
}

/**
 * quiesce_disk_new_from_json:
 * @object: a GuestDiskAddress object from a reply (`disk` of
 *   guest-get-fsinfo, `disks` of an FsRef)
 * @error: return location for a #GError
 *
 * Reads a disk address as qemu-ga's schema defines it: `pci-controller`,
 * `bus-type`, `bus`, `target` and `unit` are required; `serial`, `dev`,
 * `wwn` and `name` optional.
 *
 * Returns: (transfer full): a new #QuiesceDisk, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_BAD_REPLY
 *
 * Since: 0.1
 */
QuiesceDisk *
quiesce_disk_new_from_json (JsonObject *object, GError **error)
{
  g_autoptr(QuiesceDisk) self = quiesce_disk_new ();
  JsonObject *pci = NULL;
  const char *dev = NULL;
  const char *serial = NULL;
  const char *wwn = NULL;
  const char *bus_type = NULL;
  const char *name = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  if (!qh_json_get_string (object, "disk", "bus-type", TRUE, &bus_type, error) ||
      !qh_json_get_gint (object, "disk", "bus", TRUE, &self->bus, error) ||
      !qh_json_get_gint (object, "disk", "target", TRUE, &self->target, error) ||
      !qh_json_get_gint (object, "disk", "unit", TRUE, &self->unit, error) ||
      !qh_json_get_object (object, "disk", "pci-controller", TRUE, &pci, error) ||
      !qh_json_get_gint (pci, "disk pci-controller", "domain", TRUE, &self->pci[0], error) ||
      !qh_json_get_gint (pci, "disk pci-controller", "bus", TRUE, &self->pci[1], error) ||
      !qh_json_get_gint (pci, "disk pci-controller", "slot", TRUE, &self->pci[2], error) ||
      !qh_json_get_gint (pci, "disk pci-controller", "function", TRUE, &self->pci[3], error) ||
      !qh_json_get_string (object, "disk", "dev", FALSE, &dev, error) ||
      !qh_json_get_string (object, "disk", "serial", FALSE, &serial, error) ||
      !qh_json_get_string (object, "disk", "wwn", FALSE, &wwn, error) ||
      !qh_json_get_string (object, "disk", "name", FALSE, &name, error))
    return NULL;
  self->has_pci = TRUE;
  self->bus_type = g_strdup (bus_type);
  self->dev = g_strdup (dev);
  self->serial = g_strdup (serial);
  self->wwn = g_strdup (wwn);
  self->name = g_strdup (name);
  return g_steal_pointer (&self);
}

/**
 * quiesce_disk_ref:
 * @self: a #QuiesceDisk
 *
 * Returns: (transfer full): @self, with one more reference
 *
 * Since: 0.1
 */
QuiesceDisk *
quiesce_disk_ref (QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_ref_count_inc (&self->refcount);
  return self;
}

/**
 * quiesce_disk_unref:
 * @self: (nullable) (transfer full): a #QuiesceDisk
 *
 * Drops a reference; frees the disk with the last one.
 *
 * Since: 0.1
 */
void
quiesce_disk_unref (QuiesceDisk *self)
{
  if (self == NULL || !g_ref_count_dec (&self->refcount))
    return;
  g_free (self->dev);
  g_free (self->serial);
  g_free (self->wwn);
  g_free (self->bus_type);
  g_free (self->name);
  g_free (self);
}

/**
 * quiesce_disk_to_json:
 * @self: a #QuiesceDisk
 *
 * Writes the disk as a DiskSpec: only the fields that are set (strings
 * not %NULL, numbers not -1, the PCI address when set).
 *
 * Returns: (transfer full): a new #JsonObject
 *
 * Since: 0.1
 */
JsonObject *
quiesce_disk_to_json (const QuiesceDisk *self)
{
  JsonObject *obj;

  g_return_val_if_fail (self != NULL, NULL);

  obj = json_object_new ();
  if (self->has_pci)
    {
      JsonObject *pci = json_object_new ();

      json_object_set_int_member (pci, "domain", self->pci[0]);
      json_object_set_int_member (pci, "bus", self->pci[1]);
      json_object_set_int_member (pci, "slot", self->pci[2]);
      json_object_set_int_member (pci, "function", self->pci[3]);
      json_object_set_object_member (obj, "pci-controller", pci);
    }
  if (self->bus_type != NULL)
    json_object_set_string_member (obj, "bus-type", self->bus_type);
  if (self->bus >= 0)
    json_object_set_int_member (obj, "bus", self->bus);
  if (self->target >= 0)
    json_object_set_int_member (obj, "target", self->target);
  if (self->unit >= 0)
    json_object_set_int_member (obj, "unit", self->unit);
  if (self->serial != NULL)
    json_object_set_string_member (obj, "serial", self->serial);
  if (self->dev != NULL)
    json_object_set_string_member (obj, "dev", self->dev);
  if (self->wwn != NULL)
    json_object_set_string_member (obj, "wwn", self->wwn);
  if (self->name != NULL)
    json_object_set_string_member (obj, "name", self->name);
  return obj;
}

/**
 * quiesce_disk_get_dev:
 * @self: a #QuiesceDisk
 *
 * Returns: (transfer none) (nullable): the guest device node, e.g. `/dev/vdb`
 *
 * Since: 0.1
 */
const char *
quiesce_disk_get_dev (const QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->dev;
}

/**
 * quiesce_disk_get_serial:
 * @self: a #QuiesceDisk
 *
 * Returns: (transfer none) (nullable): the serial number
 *
 * Since: 0.1
 */
const char *
quiesce_disk_get_serial (const QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->serial;
}

/**
 * quiesce_disk_get_wwn:
 * @self: a #QuiesceDisk
 *
 * Returns: (transfer none) (nullable): the World Wide Name
 *
 * Since: 0.1
 */
const char *
quiesce_disk_get_wwn (const QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->wwn;
}

/**
 * quiesce_disk_get_bus_type:
 * @self: a #QuiesceDisk
 *
 * Returns: (transfer none) (nullable): the bus type, e.g. `virtio`, `scsi`
 *   or `file-backed-virtual`
 *
 * Since: 0.1
 */
const char *
quiesce_disk_get_bus_type (const QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->bus_type;
}

/**
 * quiesce_disk_get_name:
 * @self: a #QuiesceDisk
 *
 * Gets the label of a spec (e.g. libvirt's `vda`), echoed by the agent
 * and never matched.
 *
 * Returns: (transfer none) (nullable): the label
 *
 * Since: 0.1
 */
const char *
quiesce_disk_get_name (const QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

/**
 * quiesce_disk_get_bus:
 * @self: a #QuiesceDisk
 *
 * Returns: the bus number, -1 when unknown or unset
 *
 * Since: 0.1
 */
gint
quiesce_disk_get_bus (const QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->bus;
}

/**
 * quiesce_disk_get_target:
 * @self: a #QuiesceDisk
 *
 * Returns: the target (the SCSI target id for virtio-scsi), -1 when
 *   unknown or unset
 *
 * Since: 0.1
 */
gint
quiesce_disk_get_target (const QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->target;
}

/**
 * quiesce_disk_get_unit:
 * @self: a #QuiesceDisk
 *
 * Returns: the unit (the LUN for SCSI), -1 when unknown or unset
 *
 * Since: 0.1
 */
gint
quiesce_disk_get_unit (const QuiesceDisk *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->unit;
}

/**
 * quiesce_disk_get_pci_controller:
 * @self: a #QuiesceDisk
 * @domain: (out) (optional): the PCI domain
 * @bus: (out) (optional): the PCI bus
 * @slot: (out) (optional): the PCI slot
 * @function: (out) (optional): the PCI function
 *
 * Gets the PCI address of the disk's controller.  Parts the agent does not
 * know are -1.
 *
 * Returns: %TRUE if the disk has one (always, for a disk from a reply)
 *
 * Since: 0.1
 */
gboolean
quiesce_disk_get_pci_controller (const QuiesceDisk *self,
                                 gint *domain,
                                 gint *bus,
                                 gint *slot,
                                 gint *function)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (domain != NULL)
    *domain = self->has_pci ? self->pci[0] : -1;
  if (bus != NULL)
    *bus = self->has_pci ? self->pci[1] : -1;
  if (slot != NULL)
    *slot = self->has_pci ? self->pci[2] : -1;
  if (function != NULL)
    *function = self->has_pci ? self->pci[3] : -1;
  return self->has_pci;
}

static void
replace_string (char **field, const char *value)
{
  char *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

/**
 * quiesce_disk_set_dev:
 * @self: a #QuiesceDisk
 * @dev: (nullable): a guest device node, e.g. `/dev/loop3`; %NULL unsets
 *
 * Since: 0.1
 */
void
quiesce_disk_set_dev (QuiesceDisk *self, const char *dev)
{
  g_return_if_fail (self != NULL);
  replace_string (&self->dev, dev);
}

/**
 * quiesce_disk_set_serial:
 * @self: a #QuiesceDisk
 * @serial: (nullable): a serial number; %NULL unsets
 *
 * Since: 0.1
 */
void
quiesce_disk_set_serial (QuiesceDisk *self, const char *serial)
{
  g_return_if_fail (self != NULL);
  replace_string (&self->serial, serial);
}

/**
 * quiesce_disk_set_wwn:
 * @self: a #QuiesceDisk
 * @wwn: (nullable): a World Wide Name; %NULL unsets
 *
 * Since: 0.1
 */
void
quiesce_disk_set_wwn (QuiesceDisk *self, const char *wwn)
{
  g_return_if_fail (self != NULL);
  replace_string (&self->wwn, wwn);
}

/**
 * quiesce_disk_set_bus_type:
 * @self: a #QuiesceDisk
 * @bus_type: (nullable): a bus type, e.g. `virtio`; %NULL unsets
 *
 * Since: 0.1
 */
void
quiesce_disk_set_bus_type (QuiesceDisk *self, const char *bus_type)
{
  g_return_if_fail (self != NULL);
  replace_string (&self->bus_type, bus_type);
}

/**
 * quiesce_disk_set_name:
 * @self: a #QuiesceDisk
 * @name: (nullable): a label such as libvirt's `vda`; %NULL unsets
 *
 * Since: 0.1
 */
void
quiesce_disk_set_name (QuiesceDisk *self, const char *name)
{
  g_return_if_fail (self != NULL);
  replace_string (&self->name, name);
}

/**
 * quiesce_disk_set_bus:
 * @self: a #QuiesceDisk
 * @bus: the bus number; -1 unsets
 *
 * Since: 0.1
 */
void
quiesce_disk_set_bus (QuiesceDisk *self, gint bus)
{
  g_return_if_fail (self != NULL);
  self->bus = bus < 0 ? -1 : bus;
}

/**
 * quiesce_disk_set_target:
 * @self: a #QuiesceDisk
 * @target: the target; -1 unsets
 *
 * Since: 0.1
 */
void
quiesce_disk_set_target (QuiesceDisk *self, gint target)
{
  g_return_if_fail (self != NULL);
  self->target = target < 0 ? -1 : target;
}

/**
 * quiesce_disk_set_unit:
 * @self: a #QuiesceDisk
 * @unit: the unit; -1 unsets
 *
 * Since: 0.1
 */
void
quiesce_disk_set_unit (QuiesceDisk *self, gint unit)
{
  g_return_if_fail (self != NULL);
  self->unit = unit < 0 ? -1 : unit;
}

/**
 * quiesce_disk_set_pci_controller:
 * @self: a #QuiesceDisk
 * @domain: the PCI domain
 * @bus: the PCI bus
 * @slot: the PCI slot
 * @function: the PCI function
 *
 * Sets the PCI address of the disk's controller.
 *
 * Since: 0.1
 */
void
quiesce_disk_set_pci_controller (QuiesceDisk *self, gint domain, gint bus, gint slot, gint function)
{
  g_return_if_fail (self != NULL);
  self->has_pci = TRUE;
  self->pci[0] = domain;
  self->pci[1] = bus;
  self->pci[2] = slot;
  self->pci[3] = function;
}
