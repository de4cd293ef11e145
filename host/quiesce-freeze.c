/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "quiesce-freeze.h"

#include "quiesce-error.h"
#include "quiesce-filesystem.h"

struct _QuiesceFreeze
{
  grefcount refcount;
  gboolean release;
  gint64 handle;
  gint frozen;            /* acquire; -1 for a release */
  gint thawed;            /* release; -1 for an acquire */
  GPtrArray *filesystems; /* of QuiesceFilesystem */
  gint64 expires_in;      /* acquire; -1 for a release */
  GStrv skipped;          /* never NULL */
};

G_DEFINE_BOXED_TYPE (QuiesceFreeze, quiesce_freeze, quiesce_freeze_ref, quiesce_freeze_unref)

static QuiesceFreeze *
quiesce_freeze_new (void)
{
  QuiesceFreeze *self = g_new0 (QuiesceFreeze, 1);

  g_ref_count_init (&self->refcount);
  self->frozen = -1;
  self->thawed = -1;
  self->expires_in = -1;
  return self;
}

static gboolean
check_count (const char *member, gint value, GError **error)
{
  if (value >= 0)
    return TRUE;
  g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
               "The agent's reply member '%s' is negative", member);
  return FALSE;
}

/**
 * quiesce_freeze_new_from_acquire_json:
 * @object: the return value of guest-fsfreeze-acquire: `{handle, frozen,
 *   filesystems, expires-in, skipped?}`
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new #QuiesceFreeze, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_BAD_REPLY
 *
 * Since: 0.1
 */
QuiesceFreeze *
quiesce_freeze_new_from_acquire_json (JsonObject *object, GError **error)
{
  g_autoptr(QuiesceFreeze) self = quiesce_freeze_new ();
  JsonArray *filesystems = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  if (!qh_json_get_int (object, "acquire reply", "handle", TRUE, &self->handle, error) ||
      !qh_json_get_gint (object, "acquire reply", "frozen", TRUE, &self->frozen, error) ||
      !check_count ("frozen", self->frozen, error) ||
      !qh_json_get_array (object, "acquire reply", "filesystems", TRUE, &filesystems, error) ||
      !qh_json_get_int (object, "acquire reply", "expires-in", TRUE, &self->expires_in, error) ||
      !qh_json_get_strv (object, "acquire reply", "skipped", FALSE, &self->skipped, error))
    return NULL;
  self->filesystems = qh_filesystems_from_json (filesystems, error);
  if (self->filesystems == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * quiesce_freeze_new_from_release_json:
 * @object: the return value of guest-fsfreeze-release: `{thawed,
 *   filesystems}`
 * @handle: the handle that was released (0 for a forced release of all)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new #QuiesceFreeze, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_BAD_REPLY
 *
 * Since: 0.1
 */
QuiesceFreeze *
quiesce_freeze_new_from_release_json (JsonObject *object, gint64 handle, GError **error)
{
  g_autoptr(QuiesceFreeze) self = quiesce_freeze_new ();
  JsonArray *filesystems = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  self->release = TRUE;
  self->handle = handle;
  self->skipped = g_new0 (char *, 1);
  if (!qh_json_get_gint (object, "release reply", "thawed", TRUE, &self->thawed, error) ||
      !check_count ("thawed", self->thawed, error) ||
      !qh_json_get_array (object, "release reply", "filesystems", TRUE, &filesystems, error))
    return NULL;
  self->filesystems = qh_filesystems_from_json (filesystems, error);
  if (self->filesystems == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * quiesce_freeze_ref:
 * @self: a #QuiesceFreeze
 *
 * Returns: (transfer full): @self, with one more reference
 *
 * Since: 0.1
 */
QuiesceFreeze *
quiesce_freeze_ref (QuiesceFreeze *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_ref_count_inc (&self->refcount);
  return self;
}

/**
 * quiesce_freeze_unref:
 * @self: (nullable) (transfer full): a #QuiesceFreeze
 *
 * Drops a reference; frees the result with the last one.
 *
 * Since: 0.1
 */
void
quiesce_freeze_unref (QuiesceFreeze *self)
{
  if (self == NULL || !g_ref_count_dec (&self->refcount))
    return;
  if (self->filesystems != NULL)
    g_ptr_array_unref (self->filesystems);
  g_strfreev (self->skipped);
  g_free (self);
}

/**
 * quiesce_freeze_get_handle:
 * @self: a #QuiesceFreeze
 *
 * Returns: the handle acquired or released
 *
 * Since: 0.1
 */
gint64
quiesce_freeze_get_handle (const QuiesceFreeze *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->handle;
}

/**
 * quiesce_freeze_is_release:
 * @self: a #QuiesceFreeze
 *
 * Returns: %TRUE for the result of a release, %FALSE for an acquire
 *
 * Since: 0.1
 */
gboolean
quiesce_freeze_is_release (const QuiesceFreeze *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->release;
}

/**
 * quiesce_freeze_get_frozen:
 * @self: a #QuiesceFreeze
 *
 * Returns: how many filesystems the acquire froze (count 0 to 1); -1 for
 *   a release
 *
 * Since: 0.1
 */
gint
quiesce_freeze_get_frozen (const QuiesceFreeze *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->frozen;
}

/**
 * quiesce_freeze_get_thawed:
 * @self: a #QuiesceFreeze
 *
 * Returns: how many filesystems the release thawed (count 1 to 0); -1 for
 *   an acquire
 *
 * Since: 0.1
 */
gint
quiesce_freeze_get_thawed (const QuiesceFreeze *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->thawed;
}

/**
 * quiesce_freeze_get_filesystems:
 * @self: a #QuiesceFreeze
 *
 * Returns: (transfer none) (element-type QuiesceFilesystem): every
 *   filesystem the handle held, in freeze order, with refs after the call
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_freeze_get_filesystems (const QuiesceFreeze *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->filesystems;
}

/**
 * quiesce_freeze_get_expires_in:
 * @self: a #QuiesceFreeze
 *
 * Returns: seconds until the new handle's deadline; -1 for a release
 *
 * Since: 0.1
 */
gint64
quiesce_freeze_get_expires_in (const QuiesceFreeze *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->expires_in;
}

/**
 * quiesce_freeze_get_skipped:
 * @self: a #QuiesceFreeze
 *
 * Returns: (transfer none) (array zero-terminated=1): why filesystems were
 *   skipped by an acquire, usually empty, never %NULL
 *
 * Since: 0.1
 */
const char *const *
quiesce_freeze_get_skipped (const QuiesceFreeze *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return (const char *const *) self->skipped;
}
