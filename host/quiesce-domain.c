/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceDomain: a libvirt domain XML, read with GMarkup, down to its
 * disks and controllers, and libvirt's rule that maps guest-get-fsinfo
 * disks back to them */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "quiesce-domain.h"
#include "quiesce-domain-disk-private.h"

/**
 * QuiesceDomain:
 *
 * The disks of a libvirt domain, read from the XML that
 * `virsh dumpxml` (virDomainGetXMLDesc) prints: live or inactive,
 * libvirt 9.0's form, but any libvirt since about 1.0 writes the same
 * elements.
 *
 * Only what disk identities need is read: the name, every
 * `<devices><disk>` and every `<devices><controller>`.  Everything else is
 * skipped, and so are nested elements that reuse the same names
 * (`<backingStore><source>`, `<mirror>`, the host address inside an nvme
 * disk's `<source>`).
 *
 * Since: 0.1
 */

/* a <controller>: enough to find it by type and index (a drive address)
 * and by PCI address (the agent's pci-controller) */
typedef struct
{
  char *type;   /* scsi, sata, ide, fdc, usb, pci, virtio-serial, ... */
  gint64 index; /* -1 when the XML has none */
  char *model;
  gboolean has_pci;
  QhPciAddress pci;
} QhController;

struct _QuiesceDomain
{
  GObject parent_instance;
  char *name;
  GPtrArray *disks;       /* of QuiesceDomainDisk, in XML order */
  GPtrArray *controllers; /* of QhController, in XML order */
};

G_DEFINE_TYPE (QuiesceDomain, quiesce_domain, G_TYPE_OBJECT)

G_DEFINE_QUARK (quiesce-domain-error-quark, quiesce_domain_error)


/* an element that repeats (a second <source>, <target> ...) replaces the
 * first one's values instead of leaking them (found by fuzz-domain-xml) */
static void
take_str (char **field, char *value)
{
  g_free (*field);
  *field = value;
}

static void
set_str (char **field, const char *value)
{
  take_str (field, g_strdup (value));
}

static void
qh_controller_free (QhController *controller)
{
  if (controller == NULL)
    return;
  g_free (controller->type);
  g_free (controller->model);
  g_free (controller);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QhController, qh_controller_free)

static void
quiesce_domain_finalize (GObject *object)
{
  QuiesceDomain *self = QUIESCE_DOMAIN (object);

  g_free (self->name);
  g_ptr_array_unref (self->disks);
  g_ptr_array_unref (self->controllers);
  G_OBJECT_CLASS (quiesce_domain_parent_class)->finalize (object);
}

static void
quiesce_domain_class_init (QuiesceDomainClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = quiesce_domain_finalize;
}

static void
quiesce_domain_init (QuiesceDomain *self)
{
  self->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_domain_disk_unref);
  self->controllers = g_ptr_array_new_with_free_func ((GDestroyNotify) qh_controller_free);
}

/* ---- the parser ---- */

typedef struct
{
  GMarkupParseContext *context;
  GString *path;         /* "/domain/devices/disk/address" */
  GArray *path_lens;     /* path->len before each open element */
  GString *text;         /* text of the element being collected */
  gboolean collect_text;
  char *name;
  QuiesceDomainDisk *disk;      /* the <disk> being read */
  QhController *controller;     /* the <controller> being read */
  GPtrArray *disks;
  GPtrArray *controllers;
} QhParse;

static const char *
attr_get (const char **names, const char **values, const char *name)
{
  for (gsize i = 0; names[i] != NULL; i++)
    {
      if (strcmp (names[i], name) == 0)
        return values[i];
    }
  return NULL;
}

static gint
current_line (QhParse *parse)
{
  gint line = 0;

  g_markup_parse_context_get_position (parse->context, &line, NULL);
  return line;
}

/* an unsigned number as libvirt reads it (virStrToLong_uip): base 0 for
 * PCI addresses ("0x1f"), base 10 for drive addresses; nothing around it */
static gboolean
parse_uint (const char *element,
            const char *attribute,
            const char *text,
            guint base,
            guint64 max,
            guint *out,
            GError **error)
{
  guint64 value;
  char *end = NULL;

  if (text == NULL)
    {
      /* libvirt leaves a missing address attribute at 0 */
      *out = 0;
      return TRUE;
    }
  errno = 0;
  value = g_ascii_strtoull (text, &end, base);
  if (text[0] == '\0' || !g_ascii_isxdigit (text[0]) || *end != '\0' || errno != 0 || value > max)
    {
      /* PCI limits read best in hex, as libvirt writes them */
      if (base == 0)
        g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID,
                     "<%s> has an invalid %s '%s' (at most 0x%" G_GINT64_MODIFIER "x)", element,
                     attribute, text, max);
      else
        g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID,
                     "<%s> has an invalid %s '%s' (at most %" G_GUINT64_FORMAT ")", element,
                     attribute, text, max);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

static gboolean
parse_pci_address (const char **names, const char **values, QhPciAddress *pci, GError **error)
{
  /* the limits of virPCIDeviceAddressParseXML / the PCI spec */
  return parse_uint ("address", "domain", attr_get (names, values, "domain"), 0, 0xffff,
                     &pci->domain, error)
         && parse_uint ("address", "bus", attr_get (names, values, "bus"), 0, 0xff, &pci->bus,
                        error)
         && parse_uint ("address", "slot", attr_get (names, values, "slot"), 0, 0x1f, &pci->slot,
                        error)
         && parse_uint ("address", "function", attr_get (names, values, "function"), 0, 7,
                        &pci->function, error);
}

static gboolean
parse_disk_address (QuiesceDomainDisk *disk,
                    const char **names,
                    const char **values,
                    GError **error)
{
  const char *type = attr_get (names, values, "type");

  set_str (&disk->address_type, type);
  if (g_strcmp0 (type, "pci") == 0)
    return parse_pci_address (names, values, &disk->pci, error);
  if (g_strcmp0 (type, "drive") == 0)
    {
      return parse_uint ("address", "controller", attr_get (names, values, "controller"), 10,
                         G_MAXUINT, &disk->drive_controller, error)
             && parse_uint ("address", "bus", attr_get (names, values, "bus"), 10, G_MAXUINT,
                            &disk->drive_bus, error)
             && parse_uint ("address", "target", attr_get (names, values, "target"), 10,
                            G_MAXUINT, &disk->drive_target, error)
             && parse_uint ("address", "unit", attr_get (names, values, "unit"), 10, G_MAXUINT,
                            &disk->drive_unit, error);
    }
  if (g_strcmp0 (type, "usb") == 0)
    return parse_uint ("address", "bus", attr_get (names, values, "bus"), 10, G_MAXUINT,
                       &disk->usb_bus, error);
  /* ccw, virtio-mmio, spapr-vio, ...: kept as a type only */
  return TRUE;
}

static void
parse_disk_source (QuiesceDomainDisk *disk, const char **names, const char **values)
{
  const char *pool = attr_get (names, values, "pool");
  const char *volume = attr_get (names, values, "volume");
  const char *protocol = attr_get (names, values, "protocol");
  const char *path = attr_get (names, values, "file");

  /* which attribute holds the source follows <disk type>; only one of
   * them is ever present, so take whichever is */
  if (path == NULL)
    path = attr_get (names, values, "dev");
  if (path == NULL)
    path = attr_get (names, values, "dir");
  if (pool != NULL || volume != NULL)
    {
      set_str (&disk->source_pool, pool);
      set_str (&disk->source_volume, volume);
      take_str (&disk->source, g_strdup_printf ("%s/%s", pool != NULL ? pool : "",
                                                volume != NULL ? volume : ""));
    }
  else if (protocol != NULL)
    {
      set_str (&disk->source_protocol, protocol);
      set_str (&disk->source, attr_get (names, values, "name"));
    }
  else if (path != NULL)
    set_str (&disk->source, path);
  /* an nvme disk's <source type='pci'> names a host PCI function in a
   * child <address>; it is not a path and not the guest's address */
}

static void
parse_start (GMarkupParseContext *context,
             const char *element,
             const char **names,
             const char **values,
             gpointer user_data,
             GError **error)
{
  QhParse *parse = user_data;
  const char *path;

  if (parse->path->len == 0 && strcmp (element, "domain") != 0)
    {
      g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN,
                   "not a libvirt domain: the root element is <%s>, not <domain>", element);
      return;
    }
  g_array_append_val (parse->path_lens, parse->path->len);
  g_string_append_c (parse->path, '/');
  g_string_append (parse->path, element);
  path = parse->path->str;

  if (strcmp (path, "/domain/name") == 0 || strcmp (path, "/domain/devices/disk/serial") == 0
      || strcmp (path, "/domain/devices/disk/wwn") == 0)
    {
      g_string_truncate (parse->text, 0);
      parse->collect_text = TRUE;
    }
  else if (strcmp (path, "/domain/devices/disk") == 0)
    {
      const char *device = attr_get (names, values, "device");

      g_clear_pointer (&parse->disk, quiesce_domain_disk_unref);
      parse->disk = qh_domain_disk_new (current_line (parse));
      set_str (&parse->disk->source_type, attr_get (names, values, "type"));
      set_str (&parse->disk->device, device != NULL ? device : "disk");
    }
  else if (strcmp (path, "/domain/devices/disk/driver") == 0)
    set_str (&parse->disk->driver_type, attr_get (names, values, "type"));
  else if (strcmp (path, "/domain/devices/disk/source") == 0)
    parse_disk_source (parse->disk, names, values);
  else if (strcmp (path, "/domain/devices/disk/target") == 0)
    {
      set_str (&parse->disk->target, attr_get (names, values, "dev"));
      set_str (&parse->disk->bus, attr_get (names, values, "bus"));
    }
  else if (strcmp (path, "/domain/devices/disk/alias") == 0)
    set_str (&parse->disk->alias, attr_get (names, values, "name"));
  else if (strcmp (path, "/domain/devices/disk/address") == 0)
    parse_disk_address (parse->disk, names, values, error);
  else if (strcmp (path, "/domain/devices/controller") == 0)
    {
      const char *index = attr_get (names, values, "index");
      guint value = 0;

      g_clear_pointer (&parse->controller, qh_controller_free);
      parse->controller = g_new0 (QhController, 1);
      set_str (&parse->controller->type, attr_get (names, values, "type"));
      set_str (&parse->controller->model, attr_get (names, values, "model"));
      parse->controller->index = -1;
      if (index != NULL)
        {
          if (!parse_uint ("controller", "index", index, 10, G_MAXUINT, &value, error))
            return;
          parse->controller->index = value;
        }
    }
  else if (strcmp (path, "/domain/devices/controller/address") == 0)
    {
      if (g_strcmp0 (attr_get (names, values, "type"), "pci") == 0)
        parse->controller->has_pci = parse_pci_address (names, values, &parse->controller->pci,
                                                        error);
    }
}

static void
parse_end (GMarkupParseContext *context, const char *element, gpointer user_data, GError **error)
{
  QhParse *parse = user_data;
  const char *path = parse->path->str;

  if (parse->collect_text)
    {
      char **slot = NULL;

      if (strcmp (path, "/domain/name") == 0)
        slot = &parse->name;
      else if (strcmp (path, "/domain/devices/disk/serial") == 0)
        slot = &parse->disk->serial;
      else if (strcmp (path, "/domain/devices/disk/wwn") == 0)
        slot = &parse->disk->wwn;
      if (slot != NULL)
        {
          g_free (*slot);
          *slot = g_strdup (parse->text->str);
        }
      parse->collect_text = FALSE;
    }
  else if (strcmp (path, "/domain/devices/disk") == 0)
    {
      if (parse->disk->target == NULL || parse->disk->target[0] == '\0')
        {
          /* libvirt refuses such a disk ("missing target information") */
          g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID,
                       "the <disk> that starts on line %d has no <target dev='...'/>",
                       parse->disk->line);
          return;
        }
      g_ptr_array_add (parse->disks, g_steal_pointer (&parse->disk));
    }
  else if (strcmp (path, "/domain/devices/controller") == 0)
    g_ptr_array_add (parse->controllers, g_steal_pointer (&parse->controller));

  g_string_truncate (parse->path,
                     g_array_index (parse->path_lens, gsize, parse->path_lens->len - 1));
  g_array_set_size (parse->path_lens, parse->path_lens->len - 1);
}

static void
parse_text (GMarkupParseContext *context,
            const char *text,
            gsize len,
            gpointer user_data,
            GError **error)
{
  QhParse *parse = user_data;

  if (parse->collect_text)
    g_string_append_len (parse->text, text, len);
}

static const GMarkupParser parser_funcs = {
  .start_element = parse_start,
  .end_element = parse_end,
  .text = parse_text,
};

/* the controller type that serves a disk bus: libvirt's
 * virDomainDiskControllerMatch (scsi, fdc, ide, sata), plus nvme, which
 * libvirt 9.0 does not have as a disk bus but later releases do, and usb
 * for a usb address */
static gboolean
controller_fits_bus (const char *controller_type, const char *bus)
{
  static const char *const fitting[] = { "scsi", "fdc", "ide", "sata", "nvme", "usb" };

  if (controller_type == NULL || g_strcmp0 (controller_type, bus) != 0)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (fitting); i++)
    {
      if (strcmp (bus, fitting[i]) == 0)
        return TRUE;
    }
  return FALSE;
}

static QhController *
find_controller (GPtrArray *controllers, const char *bus, guint index)
{
  for (guint i = 0; i < controllers->len; i++)
    {
      QhController *controller = g_ptr_array_index (controllers, i);

      if (controller->index == index && controller_fits_bus (controller->type, bus))
        return controller;
    }
  return NULL;
}

/* give each drive- or usb-addressed disk the PCI address of its
 * controller: that, not the disk's address, is what the agent sees */
static void
resolve_controllers (QuiesceDomain *self)
{
  for (guint i = 0; i < self->disks->len; i++)
    {
      QuiesceDomainDisk *disk = g_ptr_array_index (self->disks, i);
      QhController *controller = NULL;

      if (disk->bus == NULL)
        continue;
      if (g_strcmp0 (disk->address_type, "drive") == 0)
        controller = find_controller (self->controllers, disk->bus, disk->drive_controller);
      else if (g_strcmp0 (disk->address_type, "usb") == 0 && strcmp (disk->bus, "usb") == 0)
        controller = find_controller (self->controllers, "usb", disk->usb_bus);
      if (controller == NULL)
        continue;
      set_str (&disk->controller_model, controller->model);
      disk->has_controller_pci = controller->has_pci;
      disk->controller_pci = controller->pci;
    }
}

/**
 * quiesce_domain_new_from_xml:
 * @xml: a libvirt domain XML, as `virsh dumpxml` prints it
 * @len: the length of @xml in bytes, or -1 if it is NUL-terminated
 * @error: return location for a #GError, or %NULL
 *
 * Parses a domain XML.
 *
 * Returns: (transfer full): a new #QuiesceDomain, or %NULL with
 *   %QUIESCE_DOMAIN_ERROR_INVALID_XML (the message has GMarkup's line and
 *   char), %QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN or
 *   %QUIESCE_DOMAIN_ERROR_INVALID
 *
 * Since: 0.1
 */
QuiesceDomain *
quiesce_domain_new_from_xml (const char *xml, gssize len, GError **error)
{
  g_autoptr(QuiesceDomain) self = NULL;
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GString) path = g_string_new (NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GArray) path_lens = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(GPtrArray) disks = NULL;
  g_autoptr(GPtrArray) controllers = NULL;
  g_autoptr(GError) local_error = NULL;
  QhParse parse = { 0 };
  gboolean ok;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (QUIESCE_TYPE_DOMAIN, NULL);
  disks = g_ptr_array_ref (self->disks);
  controllers = g_ptr_array_ref (self->controllers);
  /* the position prefix ("line 12 char 7: ") makes the parser's own
   * errors and ours read alike */
  context = g_markup_parse_context_new (&parser_funcs, G_MARKUP_PREFIX_ERROR_POSITION, &parse,
                                        NULL);
  parse.context = context;
  parse.path = path;
  parse.path_lens = path_lens;
  parse.text = text;
  parse.disks = disks;
  parse.controllers = controllers;

  ok = g_markup_parse_context_parse (context, xml, len, &local_error)
       && g_markup_parse_context_end_parse (context, &local_error);
  g_clear_pointer (&parse.disk, quiesce_domain_disk_unref);
  g_clear_pointer (&parse.controller, qh_controller_free);
  if (!ok)
    {
      g_free (parse.name);
      if (local_error->domain != QUIESCE_DOMAIN_ERROR)
        {
          /* GMarkup's own: not well-formed */
          g_set_error_literal (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_XML,
                               local_error->message);
          return NULL;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (parse.name == NULL || parse.name[0] == '\0')
    {
      g_free (parse.name);
      g_set_error_literal (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN,
                           "not a libvirt domain: <domain> has no <name>");
      return NULL;
    }
  self->name = parse.name;
  resolve_controllers (self);
  return g_steal_pointer (&self);
}

/**
 * quiesce_domain_new_from_file:
 * @path: a file holding a domain XML
 * @error: return location for a #GError, or %NULL
 *
 * Reads and parses a domain XML file, e.g. the output of
 * `virsh dumpxml DOMAIN > FILE`.  Every error names @path.
 *
 * Returns: (transfer full): a new #QuiesceDomain, or %NULL with a
 *   #G_FILE_ERROR when the file cannot be read, or an error of
 *   quiesce_domain_new_from_xml()
 *
 * Since: 0.1
 */
QuiesceDomain *
quiesce_domain_new_from_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  QuiesceDomain *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, error))
    {
      g_prefix_error (error, "Cannot read domain XML: ");
      return NULL;
    }
  self = quiesce_domain_new_from_xml (contents, len, error);
  if (self == NULL)
    g_prefix_error (error, "Cannot parse domain XML '%s': ", path);
  return self;
}

/**
 * quiesce_domain_get_name:
 * @self: a #QuiesceDomain
 *
 * Returns: (transfer none): the domain's `<name>`
 *
 * Since: 0.1
 */
const char *
quiesce_domain_get_name (QuiesceDomain *self)
{
  g_return_val_if_fail (QUIESCE_IS_DOMAIN (self), NULL);
  return self->name;
}

/**
 * quiesce_domain_get_disks:
 * @self: a #QuiesceDomain
 *
 * Returns: (transfer none) (element-type QuiesceDomainDisk): every
 *   `<disk>`, cdroms and floppies included, in the order of the XML
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_domain_get_disks (QuiesceDomain *self)
{
  g_return_val_if_fail (QUIESCE_IS_DOMAIN (self), NULL);
  return self->disks;
}

/**
 * quiesce_domain_lookup_disk:
 * @self: a #QuiesceDomain
 * @target: a target name, e.g. `vda`
 * @error: return location for a #GError, or %NULL
 *
 * Finds a disk by its `<target dev>`, as virsh does.
 *
 * Returns: (transfer none): the disk, or %NULL with
 *   %QUIESCE_DOMAIN_ERROR_DISK_NOT_FOUND, whose message lists the targets
 *   the domain has
 *
 * Since: 0.1
 */
QuiesceDomainDisk *
quiesce_domain_lookup_disk (QuiesceDomain *self, const char *target, GError **error)
{
  g_autoptr(GString) known = g_string_new (NULL);

  g_return_val_if_fail (QUIESCE_IS_DOMAIN (self), NULL);
  g_return_val_if_fail (target != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint i = 0; i < self->disks->len; i++)
    {
      QuiesceDomainDisk *disk = g_ptr_array_index (self->disks, i);

      if (strcmp (disk->target, target) == 0)
        return disk;
      g_string_append_printf (known, "%s%s", known->len > 0 ? ", " : "", disk->target);
    }
  if (self->disks->len == 0)
    g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_DISK_NOT_FOUND,
                 "Domain '%s' has no disk '%s': it has no disks at all", self->name, target);
  else
    g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_DISK_NOT_FOUND,
                 "Domain '%s' has no disk '%s'; its disks are: %s", self->name, target,
                 known->str);
  return NULL;
}

/* a JSON integer member, or FALSE when it is missing or not an integer */
static gboolean
json_int_member (JsonObject *object, const char *member, gint64 *out)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

/* a JSON string member, or NULL when it is missing or not a string */
static const char *
json_string_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* the agent's pci-controller; -1 (unknown) never equals a real address,
 * as in libvirt, which reads -1 as UINT_MAX */
static gboolean
json_pci_member (JsonObject *object, QhPciAddress *out)
{
  JsonNode *node = json_object_get_member (object, "pci-controller");
  JsonObject *pci;
  gint64 v[4];

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  pci = json_node_get_object (node);
  if (!json_int_member (pci, "domain", &v[0]) || !json_int_member (pci, "bus", &v[1])
      || !json_int_member (pci, "slot", &v[2]) || !json_int_member (pci, "function", &v[3]))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (v); i++)
    {
      if (v[i] < 0 || v[i] > G_MAXUINT)
        return FALSE;
    }
  out->domain = v[0];
  out->bus = v[1];
  out->slot = v[2];
  out->function = v[3];
  return TRUE;
}

static gboolean
pci_equal (const QhPciAddress *a, const QhPciAddress *b)
{
  return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot
         && a->function == b->function;
}

/**
 * quiesce_domain_match_fsinfo_disk:
 * @self: a #QuiesceDomain
 * @guest_disk: one element of a filesystem's `disk` array in a
 *   `guest-get-fsinfo` reply (qemu-ga's GuestDiskAddress)
 *
 * Maps a guest disk back to the domain's disk, so `domfsinfo` can show
 * libvirt's target names.
 *
 * First, and only in quiesce: a `serial` that exactly one domain disk has
 * names that disk.  libvirt does not use serials for this, but a serial is
 * what the host configured and survives any renumbering of the guest's PCI
 * buses.  qemu-ga's udev-made serials of SCSI and NVMe disks
 * (`0QEMU_QEMU_HARDDISK_DISK-S`) do not equal `<serial>` and fall through.
 *
 * Then libvirt's own rule (virDomainDiskByAddress): the controller is the
 * first `<controller>` whose PCI address equals `pci-controller`, and the
 * first disk (in XML order) that matches wins:
 * - a PCI-addressed disk (virtio-blk) whose own address equals
 *   `pci-controller`, whatever the other fields say;
 * - a drive-addressed disk whose bus fits the controller's type (scsi,
 *   sata, ide, fdc), whose `controller` is that controller's index, and
 *   whose bus, target and unit equal the guest's.
 *
 * A guest disk without numeric `bus`, `target`, `unit` and a complete
 * `pci-controller` matches nothing by address (libvirt fails the whole
 * call then).  CCW (s390) addresses are not handled.
 *
 * Returns: (transfer none) (nullable): the target name, e.g. `vda`, or
 *   %NULL when no disk matches (libvirt drops such disks silently)
 *
 * Since: 0.1
 */
const char *
quiesce_domain_match_fsinfo_disk (QuiesceDomain *self, JsonObject *guest_disk)
{
  const char *serial;
  QhPciAddress pci;
  QhController *controller = NULL;
  gint64 bus, target, unit;

  g_return_val_if_fail (QUIESCE_IS_DOMAIN (self), NULL);
  g_return_val_if_fail (guest_disk != NULL, NULL);

  serial = json_string_member (guest_disk, "serial");
  if (serial != NULL && serial[0] != '\0')
    {
      QuiesceDomainDisk *found = NULL;
      guint count = 0;

      for (guint i = 0; i < self->disks->len; i++)
        {
          QuiesceDomainDisk *disk = g_ptr_array_index (self->disks, i);

          if (g_strcmp0 (disk->serial, serial) == 0)
            {
              found = disk;
              count++;
            }
        }
      /* a serial given to two disks names neither */
      if (count == 1)
        return found->target;
    }

  if (!json_pci_member (guest_disk, &pci) || !json_int_member (guest_disk, "bus", &bus)
      || !json_int_member (guest_disk, "target", &target)
      || !json_int_member (guest_disk, "unit", &unit))
    return NULL;

  for (guint i = 0; i < self->controllers->len; i++)
    {
      QhController *c = g_ptr_array_index (self->controllers, i);

      if (c->has_pci && pci_equal (&c->pci, &pci))
        {
          controller = c;
          break;
        }
    }

  for (guint i = 0; i < self->disks->len; i++)
    {
      QuiesceDomainDisk *disk = g_ptr_array_index (self->disks, i);

      if (g_strcmp0 (disk->address_type, "pci") == 0 && pci_equal (&disk->pci, &pci))
        return disk->target;
      /* usb and nvme fit a controller for resolving addresses, but
       * libvirt's rule matches only these four */
      if (g_strcmp0 (disk->address_type, "drive") == 0 && controller != NULL
          && controller->index == disk->drive_controller && disk->bus != NULL
          && g_strv_contains ((const char *const[]){ "scsi", "fdc", "ide", "sata", NULL },
                              disk->bus)
          && controller_fits_bus (controller->type, disk->bus) && disk->drive_bus == bus
          && disk->drive_target == target && disk->drive_unit == unit)
        return disk->target;
    }
  return NULL;
}
