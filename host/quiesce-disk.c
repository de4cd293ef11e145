/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "quiesce-disk.h"

#include "quiesce-domain.h"
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

/* a DiskSpec string member: absent is fine, anything but a string is not */
static gboolean
spec_get_string (JsonObject *spec, const char *member, const char **out, GError **error)
{
  JsonNode *node = json_object_get_member (spec, member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                   "DiskSpec member '%s' must be a string", member);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

/* a DiskSpec integer member, 0..G_MAXINT; absent leaves *out alone */
static gboolean
spec_get_int (JsonObject *spec, const char *what, const char *member, gint *out, GError **error)
{
  JsonNode *node = json_object_get_member (spec, member);
  gint64 value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                   "DiskSpec member '%s%s' must be an integer", what, member);
      return FALSE;
    }
  value = json_node_get_int (node);
  /* -1 is how replies write "unknown"; a spec never needs it but may
   * carry it when it was copied from a reply */
  if (value < -1 || value > G_MAXINT)
    {
      g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                   "DiskSpec member '%s%s' is out of range (-1..%d): %" G_GINT64_FORMAT, what,
                   member, G_MAXINT, value);
      return FALSE;
    }
  *out = (gint) value;
  return TRUE;
}

/**
 * quiesce_disk_new_from_spec:
 * @spec: a DiskSpec object, as quiesce_domain_disk_to_spec() and
 *   quiesce_disk_spec_parse() make it
 * @error: return location for a #GError, or %NULL
 *
 * Turns a DiskSpec object into a #QuiesceDisk that carries exactly the
 * fields of @spec, ready for quiesce_client_acquire() and
 * quiesce_client_resolve().  The members are those of the agent's
 * DiskSpec: `serial`, `wwn`, `dev`, `bus-type` and `name` (strings),
 * `bus`, `target` and `unit` (integers) and `pci-controller` (an object
 * of the four integers `domain`, `bus`, `slot` and `function`).  A JSON
 * null counts as absent.
 *
 * Unlike quiesce_disk_new_from_json(), which reads a disk of a reply,
 * every member is optional here: whether the spec names a disk at all is
 * the agent's decision.
 *
 * Returns: (transfer full): a new #QuiesceDisk, or %NULL with
 *   %QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC for an unknown member or a
 *   member of the wrong type
 *
 * Since: 0.1
 */
QuiesceDisk *
quiesce_disk_new_from_spec (JsonObject *spec, GError **error)
{
  static const char *const known[] = {
    "serial", "wwn", "dev", "bus-type", "name", "bus", "target", "unit", "pci-controller", NULL,
  };
  g_autoptr(QuiesceDisk) self = quiesce_disk_new ();
  g_autoptr(GList) members = NULL;
  const char *dev, *serial, *wwn, *bus_type, *name;
  JsonNode *pci_node;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  members = json_object_get_members (spec);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                     "Unknown DiskSpec member '%s'", (const char *) l->data);
        return NULL;
      }

  if (!spec_get_string (spec, "dev", &dev, error) ||
      !spec_get_string (spec, "serial", &serial, error) ||
      !spec_get_string (spec, "wwn", &wwn, error) ||
      !spec_get_string (spec, "bus-type", &bus_type, error) ||
      !spec_get_string (spec, "name", &name, error) ||
      !spec_get_int (spec, "", "bus", &self->bus, error) ||
      !spec_get_int (spec, "", "target", &self->target, error) ||
      !spec_get_int (spec, "", "unit", &self->unit, error))
    return NULL;

  pci_node = json_object_get_member (spec, "pci-controller");
  if (pci_node != NULL && !JSON_NODE_HOLDS_NULL (pci_node))
    {
      static const char *const parts[] = { "domain", "bus", "slot", "function" };
      JsonObject *pci;

      if (!JSON_NODE_HOLDS_OBJECT (pci_node))
        {
          g_set_error_literal (error, QUIESCE_DOMAIN_ERROR,
                               QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                               "DiskSpec member 'pci-controller' must be an object");
          return NULL;
        }
      pci = json_node_get_object (pci_node);
      for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
        {
          if (!json_object_has_member (pci, parts[i]))
            {
              g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                           "DiskSpec member 'pci-controller' lacks '%s'", parts[i]);
              return NULL;
            }
          if (!spec_get_int (pci, "pci-controller.", parts[i], &self->pci[i], error))
            return NULL;
        }
      self->has_pci = TRUE;
    }

  self->dev = g_strdup (dev);
  self->serial = g_strdup (serial);
  self->wwn = g_strdup (wwn);
  self->bus_type = g_strdup (bus_type);
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
