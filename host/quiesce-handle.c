/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "quiesce-handle.h"

#include "quiesce-error.h"

struct _QuiesceHandle
{
  grefcount refcount;
  gint64 id;
  char *owner;
  gboolean legacy;
  gint64 created;
  gint64 expires_in;
  GStrv mountpoints; /* never NULL */
  GStrv lost;        /* never NULL */
};

G_DEFINE_BOXED_TYPE (QuiesceHandle, quiesce_handle, quiesce_handle_ref, quiesce_handle_unref)

/**
 * quiesce_handle_new_from_json:
 * @object: an entry of guest-fsfreeze-handles: `{handle, owner, legacy,
 *   created, expires-in, filesystems, lost?}`
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new #QuiesceHandle, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_BAD_REPLY
 *
 * Since: 0.1
 */
QuiesceHandle *
quiesce_handle_new_from_json (JsonObject *object, GError **error)
{
  g_autoptr(QuiesceHandle) self = g_new0 (QuiesceHandle, 1);
  const char *owner = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  g_ref_count_init (&self->refcount);
  if (!qh_json_get_int (object, "handle", "handle", TRUE, &self->id, error) ||
      !qh_json_get_string (object, "handle", "owner", TRUE, &owner, error) ||
      !qh_json_get_bool (object, "handle", "legacy", TRUE, &self->legacy, error) ||
      !qh_json_get_int (object, "handle", "created", TRUE, &self->created, error) ||
      !qh_json_get_int (object, "handle", "expires-in", TRUE, &self->expires_in, error) ||
      !qh_json_get_strv (object, "handle", "filesystems", TRUE, &self->mountpoints, error) ||
      !qh_json_get_strv (object, "handle", "lost", FALSE, &self->lost, error))
    return NULL;
  self->owner = g_strdup (owner);
  return g_steal_pointer (&self);
}

/**
 * quiesce_handle_ref:
 * @self: a #QuiesceHandle
 *
 * Returns: (transfer full): @self, with one more reference
 *
 * Since: 0.1
 */
QuiesceHandle *
quiesce_handle_ref (QuiesceHandle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_ref_count_inc (&self->refcount);
  return self;
}

/**
 * quiesce_handle_unref:
 * @self: (nullable) (transfer full): a #QuiesceHandle
 *
 * Drops a reference; frees the handle with the last one.
 *
 * Since: 0.1
 */
void
quiesce_handle_unref (QuiesceHandle *self)
{
  if (self == NULL || !g_ref_count_dec (&self->refcount))
    return;
  g_free (self->owner);
  g_strfreev (self->mountpoints);
  g_strfreev (self->lost);
  g_free (self);
}

/**
 * quiesce_handle_get_id:
 * @self: a #QuiesceHandle
 *
 * Returns: the handle number
 *
 * Since: 0.1
 */
gint64
quiesce_handle_get_id (const QuiesceHandle *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->id;
}

/**
 * quiesce_handle_get_owner:
 * @self: a #QuiesceHandle
 *
 * Returns: (transfer none): the owner given at acquire, or "" (always for
 *   the legacy handle)
 *
 * Since: 0.1
 */
const char *
quiesce_handle_get_owner (const QuiesceHandle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->owner;
}

/**
 * quiesce_handle_get_legacy:
 * @self: a #QuiesceHandle
 *
 * Returns: %TRUE for the legacy handle of guest-fsfreeze-freeze
 *
 * Since: 0.1
 */
gboolean
quiesce_handle_get_legacy (const QuiesceHandle *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->legacy;
}

/**
 * quiesce_handle_get_created:
 * @self: a #QuiesceHandle
 *
 * Returns: when the handle was created, in seconds since the Unix epoch
 *
 * Since: 0.1
 */
gint64
quiesce_handle_get_created (const QuiesceHandle *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->created;
}

/**
 * quiesce_handle_get_expires_in:
 * @self: a #QuiesceHandle
 *
 * Returns: seconds until the deadline, -1 when there is none
 *
 * Since: 0.1
 */
gint64
quiesce_handle_get_expires_in (const QuiesceHandle *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->expires_in;
}

/**
 * quiesce_handle_get_mountpoints:
 * @self: a #QuiesceHandle
 *
 * Returns: (transfer none) (array zero-terminated=1): the mountpoints the
 *   handle holds, in freeze order
 *
 * Since: 0.1
 */
const char *const *
quiesce_handle_get_mountpoints (const QuiesceHandle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char *const *) self->mountpoints;
}

/**
 * quiesce_handle_get_lost:
 * @self: a #QuiesceHandle
 *
 * Gets what a restarted agent could not hold again for this handle; a
 * snapshot that relied on it may be inconsistent.
 *
 * Returns: (transfer none) (array zero-terminated=1): the reasons, usually
 *   empty, never %NULL
 *
 * Since: 0.1
 */
const char *const *
quiesce_handle_get_lost (const QuiesceHandle *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char *const *) self->lost;
}
