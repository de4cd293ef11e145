/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "quiesce-filesystem.h"

#include "quiesce-disk.h"
#include "quiesce-error.h"

struct _QuiesceFilesystem
{
  grefcount refcount;
  char *mountpoint;
  char *name;
  char *type;
  gint refs;          /* -1 in guest-get-fsinfo entries */
  GPtrArray *disks;   /* of QuiesceDisk */
  GStrv spans;        /* never NULL */
  gint64 used_bytes;  /* -1 when absent */
  gint64 total_bytes; /* -1 when absent */
};

G_DEFINE_BOXED_TYPE (QuiesceFilesystem, quiesce_filesystem, quiesce_filesystem_ref,
                     quiesce_filesystem_unref)

static QuiesceFilesystem *
quiesce_filesystem_new (void)
{
  QuiesceFilesystem *self = g_new0 (QuiesceFilesystem, 1);

  g_ref_count_init (&self->refcount);
  self->refs = -1;
  self->used_bytes = -1;
  self->total_bytes = -1;
  self->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_disk_unref);
  return self;
}

/**
 * quiesce_filesystem_new_from_json:
 * @object: an FsRef (`{mountpoint, name, type, refs, disks, spans}`) or a
 *   guest-get-fsinfo entry (`{mountpoint, name, type, disk, used-bytes?,
 *   total-bytes?}`, qemu-ga's GuestFilesystemInfo)
 * @error: return location for a #GError
 *
 * Reads a filesystem from a reply.  The shape is told by the member that
 * holds the disks: `disks` for an FsRef, `disk` for fsinfo.
 *
 * Returns: (transfer full): a new #QuiesceFilesystem, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_BAD_REPLY
 *
 * Since: 0.1
 */
QuiesceFilesystem *
quiesce_filesystem_new_from_json (JsonObject *object, GError **error)
{
  g_autoptr(QuiesceFilesystem) self = quiesce_filesystem_new ();
  gboolean fsref;
  const char *mountpoint = NULL;
  const char *name = NULL;
  const char *type = NULL;
  JsonArray *disks = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  fsref = json_object_has_member (object, "disks");
  if (!qh_json_get_string (object, "filesystem", "mountpoint", TRUE, &mountpoint, error) ||
      !qh_json_get_string (object, "filesystem", "name", TRUE, &name, error) ||
      !qh_json_get_string (object, "filesystem", "type", TRUE, &type, error) ||
      !qh_json_get_array (object, "filesystem", fsref ? "disks" : "disk", TRUE, &disks, error))
    return NULL;
  if (fsref)
    {
      if (!qh_json_get_gint (object, "filesystem", "refs", TRUE, &self->refs, error) ||
          !qh_json_get_strv (object, "filesystem", "spans", TRUE, &self->spans, error))
        return NULL;
    }
  else
    {
      if (!qh_json_get_int (object, "filesystem", "used-bytes", FALSE, &self->used_bytes, error) ||
          !qh_json_get_int (object, "filesystem", "total-bytes", FALSE, &self->total_bytes, error))
        return NULL;
      self->spans = g_new0 (char *, 1);
    }
  for (guint i = 0; i < json_array_get_length (disks); i++)
    {
      JsonNode *node = json_array_get_element (disks, i);
      QuiesceDisk *disk;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                       "The agent's filesystem '%s' has a disk that is not an object", mountpoint);
          return NULL;
        }
      disk = quiesce_disk_new_from_json (json_node_get_object (node), error);
      if (disk == NULL)
        return NULL;
      g_ptr_array_add (self->disks, disk);
    }
  self->mountpoint = g_strdup (mountpoint);
  self->name = g_strdup (name);
  self->type = g_strdup (type);
  return g_steal_pointer (&self);
}

/**
 * quiesce_filesystem_ref:
 * @self: a #QuiesceFilesystem
 *
 * Returns: (transfer full): @self, with one more reference
 *
 * Since: 0.1
 */
QuiesceFilesystem *
quiesce_filesystem_ref (QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_ref_count_inc (&self->refcount);
  return self;
}

/**
 * quiesce_filesystem_unref:
 * @self: (nullable) (transfer full): a #QuiesceFilesystem
 *
 * Drops a reference; frees the filesystem with the last one.
 *
 * Since: 0.1
 */
void
quiesce_filesystem_unref (QuiesceFilesystem *self)
{
  if (self == NULL || !g_ref_count_dec (&self->refcount))
    return;
  g_free (self->mountpoint);
  g_free (self->name);
  g_free (self->type);
  g_ptr_array_unref (self->disks);
  g_strfreev (self->spans);
  g_free (self);
}

/**
 * quiesce_filesystem_get_mountpoint:
 * @self: a #QuiesceFilesystem
 *
 * Returns: (transfer none): the mountpoint (the first mount of the
 *   superblock, for an FsRef)
 *
 * Since: 0.1
 */
const char *
quiesce_filesystem_get_mountpoint (const QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->mountpoint;
}

/**
 * quiesce_filesystem_get_name:
 * @self: a #QuiesceFilesystem
 *
 * Returns: (transfer none): the kernel name of its block device, e.g. `dm-0`
 *
 * Since: 0.1
 */
const char *
quiesce_filesystem_get_name (const QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

/**
 * quiesce_filesystem_get_fs_type:
 * @self: a #QuiesceFilesystem
 *
 * Returns: (transfer none): the filesystem type, e.g. `ext4`
 *
 * Since: 0.1
 */
const char *
quiesce_filesystem_get_fs_type (const QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->type;
}

/**
 * quiesce_filesystem_get_refs:
 * @self: a #QuiesceFilesystem
 *
 * Returns: how many handles held it after the call; -1 for a
 *   guest-get-fsinfo entry
 *
 * Since: 0.1
 */
gint
quiesce_filesystem_get_refs (const QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->refs;
}

/**
 * quiesce_filesystem_get_disks:
 * @self: a #QuiesceFilesystem
 *
 * Returns: (transfer none) (element-type QuiesceDisk): the disks beneath it
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_filesystem_get_disks (const QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->disks;
}

/**
 * quiesce_filesystem_get_spans:
 * @self: a #QuiesceFilesystem
 *
 * Gets the `dev` paths of this filesystem's disks that the request did not
 * name.
 *
 * Returns: (transfer none) (array zero-terminated=1): the spans, possibly
 *   empty, never %NULL
 *
 * Since: 0.1
 */
const char *const *
quiesce_filesystem_get_spans (const QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char *const *) self->spans;
}

/**
 * quiesce_filesystem_get_used_bytes:
 * @self: a #QuiesceFilesystem
 *
 * Returns: the used bytes from guest-get-fsinfo, or -1 when absent
 *
 * Since: 0.1
 */
gint64
quiesce_filesystem_get_used_bytes (const QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->used_bytes;
}

/**
 * quiesce_filesystem_get_total_bytes:
 * @self: a #QuiesceFilesystem
 *
 * Returns: the total bytes from guest-get-fsinfo ((used + available to
 *   non-root) × fragment size), or -1 when absent
 *
 * Since: 0.1
 */
gint64
quiesce_filesystem_get_total_bytes (const QuiesceFilesystem *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->total_bytes;
}

GPtrArray *
qh_filesystems_from_json (JsonArray *array, GError **error)
{
  g_autoptr(GPtrArray) filesystems =
      g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_filesystem_unref);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      QuiesceFilesystem *fs;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                       "The agent's filesystem %u is not an object", i);
          return NULL;
        }
      fs = quiesce_filesystem_new_from_json (json_node_get_object (node), error);
      if (fs == NULL)
        return NULL;
      g_ptr_array_add (filesystems, fs);
    }
  return g_steal_pointer (&filesystems);
}
