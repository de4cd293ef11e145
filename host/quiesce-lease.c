/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceLeaseManager: the plugin choice, canonical image paths, and the
 * all-or-nothing acquisition of a set of leases in sorted order; the
 * locking itself is in quiesce-lease-lockd.c.
 *
 * Sorted order is what keeps two tools from deadlocking: if both wait
 * for {a, b}, both take a first, so the one that loses waits holding
 * nothing that the winner needs. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "quiesce-lease-private.h"

typedef enum
{
  QL_PLUGIN_NOP,
  QL_PLUGIN_LOCKD,
  QL_PLUGIN_SANLOCK,
} QlPlugin;

/* config.h sets it when meson found libsanlock (the sanlock feature) */
#ifndef HAVE_SANLOCK
#define HAVE_SANLOCK 0
#endif

#if HAVE_SANLOCK
/* quiesce-lease-sanlock.c */
int ql_sanlock_acquire (const char *lockspace, const char *canonical, QuiesceLeaseMode mode,
                        const char *owner, gint64 deadline, GCancellable *cancellable,
                        char **token, GError **error);
gboolean ql_sanlock_release (int fd, GError **error);
GPtrArray *ql_sanlock_list (const char *lockspace, GError **error);
#endif

/* the table of plugin names; sanlock is known, and built in when meson
 * found libsanlock */
static const struct
{
  const char *name;
  QlPlugin plugin;
  gboolean built;
} ql_plugins[] = {
  { "nop", QL_PLUGIN_NOP, TRUE },
  { "lockd", QL_PLUGIN_LOCKD, TRUE },
  { "sanlock", QL_PLUGIN_SANLOCK, HAVE_SANLOCK },
};

/**
 * QuiesceLeaseManager:
 *
 * Takes and lists disk-image leases through one plugin.
 *
 * Since: 0.1
 */
struct _QuiesceLeaseManager
{
  GObject parent_instance;
  QlPlugin plugin;
  const char *plugin_name; /* static, from ql_plugins */
  char *lockspace;         /* nullable */
  char *owner;             /* nullable */
  gboolean direct;
};

G_DEFINE_FINAL_TYPE (QuiesceLeaseManager, quiesce_lease_manager, G_TYPE_OBJECT)

struct _QuiesceLeaseSet
{
  grefcount refcount;
  QuiesceLeaseManager *manager;
  GStrv images; /* canonical, sorted, no duplicates */
  int *fds;     /* parallel to images; -1: nothing held (nop, or released) */
  char **tokens; /* parallel to images: ids of the holder info we wrote, or NULL */
  gboolean released;
};

G_DEFINE_BOXED_TYPE (QuiesceLeaseSet, quiesce_lease_set, quiesce_lease_set_ref,
                     quiesce_lease_set_unref)

struct _QuiesceLeaseInfo
{
  grefcount refcount;
  char *path;
  char *image;
  char *mode;
  char *host;
  gint64 pid;
  char *owner;
  gint64 since;
};

G_DEFINE_BOXED_TYPE (QuiesceLeaseInfo, quiesce_lease_info, quiesce_lease_info_ref,
                     quiesce_lease_info_unref)

/**
 * quiesce_lease_error_quark:
 *
 * Returns: the #GQuark of the %QUIESCE_LEASE_ERROR domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (quiesce-lease-error-quark, quiesce_lease_error)

/* ---- canonical paths ---- */

char *
ql_canonical_path (const char *image, GError **error)
{
  char *real;

  if (image == NULL || image[0] == '\0')
    {
      g_set_error_literal (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                           "An image path is empty");
      return NULL;
    }
  real = realpath (image, NULL);
  if (real != NULL)
    {
      char *copy = g_strdup (real);
      free (real);
      return copy;
    }
  /* not there (yet): the same name must still give the same lease */
  return g_canonicalize_filename (image, NULL);
}

/* ---- the manager ---- */

static void
quiesce_lease_manager_finalize (GObject *object)
{
  QuiesceLeaseManager *self = QUIESCE_LEASE_MANAGER (object);

  g_free (self->lockspace);
  g_free (self->owner);
  G_OBJECT_CLASS (quiesce_lease_manager_parent_class)->finalize (object);
}

static void
quiesce_lease_manager_class_init (QuiesceLeaseManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = quiesce_lease_manager_finalize;
}

static void
quiesce_lease_manager_init (QuiesceLeaseManager *self)
{
}

/**
 * quiesce_lease_manager_new:
 * @plugin: "nop", "lockd" or "sanlock"
 * @lockspace: (nullable): lockd: the lockspace directory (created on the
 *   first acquire if missing; may be %NULL in direct mode); sanlock: the
 *   lockspace; nop: ignored
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new manager, or %NULL with
 *   %QUIESCE_LEASE_ERROR_UNSUPPORTED for an unknown plugin or one that is
 *   not built in
 *
 * Since: 0.1
 */
QuiesceLeaseManager *
quiesce_lease_manager_new (const char *plugin, const char *lockspace, GError **error)
{
  QuiesceLeaseManager *self;

  g_return_val_if_fail (plugin != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (ql_plugins); i++)
    {
      if (strcmp (ql_plugins[i].name, plugin) != 0)
        continue;
      if (!ql_plugins[i].built)
        {
          g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_UNSUPPORTED,
                       "%s support is not built in", plugin);
          return NULL;
        }
      self = g_object_new (QUIESCE_TYPE_LEASE_MANAGER, NULL);
      self->plugin = ql_plugins[i].plugin;
      self->plugin_name = ql_plugins[i].name;
      if (self->plugin != QL_PLUGIN_NOP && lockspace != NULL)
        self->lockspace = g_canonicalize_filename (lockspace, NULL);
      return self;
    }
  g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_UNSUPPORTED,
               "Unknown lease plugin '%s' (known: nop, lockd, sanlock)", plugin);
  return NULL;
}

/**
 * quiesce_lease_manager_get_plugin:
 * @self: a #QuiesceLeaseManager
 *
 * Returns: the plugin name given to quiesce_lease_manager_new()
 *
 * Since: 0.1
 */
const char *
quiesce_lease_manager_get_plugin (QuiesceLeaseManager *self)
{
  g_return_val_if_fail (QUIESCE_IS_LEASE_MANAGER (self), NULL);
  return self->plugin_name;
}

/**
 * quiesce_lease_manager_get_lockspace:
 * @self: a #QuiesceLeaseManager
 *
 * Returns: (nullable): the lockspace as an absolute path, or %NULL (nop,
 *   or none given)
 *
 * Since: 0.1
 */
const char *
quiesce_lease_manager_get_lockspace (QuiesceLeaseManager *self)
{
  g_return_val_if_fail (QUIESCE_IS_LEASE_MANAGER (self), NULL);
  return self->lockspace;
}

/**
 * quiesce_lease_manager_set_owner:
 * @self: a #QuiesceLeaseManager
 * @owner: (nullable): the owner tag written as holder info
 *
 * Since: 0.1
 */
void
quiesce_lease_manager_set_owner (QuiesceLeaseManager *self, const char *owner)
{
  g_return_if_fail (QUIESCE_IS_LEASE_MANAGER (self));
  g_free (self->owner);
  self->owner = g_strdup (owner);
}

/**
 * quiesce_lease_manager_set_direct:
 * @self: a #QuiesceLeaseManager
 * @direct: lock the image files themselves (lockd); no holder info is
 *   written then, and the images must exist
 *
 * Since: 0.1
 */
void
quiesce_lease_manager_set_direct (QuiesceLeaseManager *self, gboolean direct)
{
  g_return_if_fail (QUIESCE_IS_LEASE_MANAGER (self));
  self->direct = direct;
}

/**
 * quiesce_lease_manager_get_lease_path:
 * @self: a #QuiesceLeaseManager
 * @image: an image path
 * @error: return location for a #GError
 *
 * The file whose byte 0 lockd locks for @image: the lease file in the
 * lockspace, or in direct mode the canonical image path.
 *
 * Returns: (transfer full): the path, or %NULL with an error (nop, or no
 *   lockspace)
 *
 * Since: 0.1
 */
char *
quiesce_lease_manager_get_lease_path (QuiesceLeaseManager *self, const char *image,
                                      GError **error)
{
  g_autofree char *canonical = NULL;

  g_return_val_if_fail (QUIESCE_IS_LEASE_MANAGER (self), NULL);
  g_return_val_if_fail (image != NULL, NULL);

  if (self->plugin != QL_PLUGIN_LOCKD)
    {
      g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_UNSUPPORTED,
                   "The %s lease plugin has no lease files", self->plugin_name);
      return NULL;
    }
  canonical = ql_canonical_path (image, error);
  if (canonical == NULL)
    return NULL;
  if (self->direct)
    return g_steal_pointer (&canonical);
  if (self->lockspace == NULL)
    {
      g_set_error_literal (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                           "The lockd lease plugin needs a lockspace directory (or direct mode)");
      return NULL;
    }
  return ql_lockd_lease_path (self->lockspace, canonical);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* canonical, sorted, without duplicates (one image named twice must not
 * conflict with itself) */
static GStrv
canonical_sorted (const char *const *images, GError **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; images != NULL && images[i] != NULL; i++)
    {
      char *canonical = ql_canonical_path (images[i], error);

      if (canonical == NULL)
        return NULL;
      g_ptr_array_add (paths, canonical);
    }
  g_ptr_array_sort (paths, compare_strings);
  for (guint i = 0; i < paths->len; i++)
    if (i == 0 || strcmp (paths->pdata[i], paths->pdata[i - 1]) != 0)
      g_strv_builder_add (builder, paths->pdata[i]);
  return g_strv_builder_end (builder);
}

/* reverse order; the first error is kept, the rest still released */
static gboolean
release_fds (QuiesceLeaseSet *set, GError **error)
{
  g_autoptr(GError) first = NULL;

  for (guint i = g_strv_length (set->images); i > 0; i--)
    {
      g_autoptr(GError) local = NULL;

      if (set->fds[i - 1] < 0)
        continue;
#if HAVE_SANLOCK
      if (set->manager->plugin == QL_PLUGIN_SANLOCK)
        {
          if (!ql_sanlock_release (set->fds[i - 1], &local) && first == NULL)
            first = g_steal_pointer (&local);
          set->fds[i - 1] = -1;
          continue;
        }
#endif
      if (!ql_lockd_release (set->fds[i - 1], set->images[i - 1], set->tokens[i - 1], &local) &&
          first == NULL)
        first = g_steal_pointer (&local);
      set->fds[i - 1] = -1;
    }
  if (first != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&first));
      return FALSE;
    }
  return TRUE;
}

/**
 * quiesce_lease_manager_acquire:
 * @self: a #QuiesceLeaseManager
 * @images: (array zero-terminated=1): image paths; they are canonicalized
 *   (realpath when they exist), sorted and deduplicated
 * @mode: shared or exclusive
 * @wait_s: 0: fail at once with %QUIESCE_LEASE_ERROR_HELD when one is
 *   held; else retry every 100 ms for up to this many seconds in all
 * @cancellable: (nullable): stops the wait (%G_IO_ERROR_CANCELLED)
 * @error: return location for a #GError
 *
 * Takes a lease on every image or on none: on failure the leases already
 * taken are released, in reverse order.  lockd locks are tied to open file
 * descriptions that are close-on-exec, so a child that execs does not keep
 * them, and they vanish when this process dies.
 *
 * Returns: (transfer full): the set, or %NULL with an error whose message
 *   names the holder for %QUIESCE_LEASE_ERROR_HELD
 *
 * Since: 0.1
 */
QuiesceLeaseSet *
quiesce_lease_manager_acquire (QuiesceLeaseManager *self, const char *const *images,
                               QuiesceLeaseMode mode, guint wait_s, GCancellable *cancellable,
                               GError **error)
{
  g_autoptr(QuiesceLeaseSet) set = NULL;
  gint64 deadline = 0;
  guint n;

  g_return_val_if_fail (QUIESCE_IS_LEASE_MANAGER (self), NULL);
  g_return_val_if_fail (mode == QUIESCE_LEASE_SHARED || mode == QUIESCE_LEASE_EXCLUSIVE, NULL);

  set = g_new0 (QuiesceLeaseSet, 1);
  g_ref_count_init (&set->refcount);
  set->manager = g_object_ref (self);
  set->images = canonical_sorted (images, error);
  if (set->images == NULL)
    {
      /* nothing taken: nothing to release when it is freed */
      set->released = TRUE;
      return NULL;
    }
  n = g_strv_length (set->images);
  set->fds = g_new (int, MAX (n, 1));
  set->tokens = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    set->fds[i] = -1;

  if (self->plugin == QL_PLUGIN_NOP)
    return g_steal_pointer (&set);

  if (self->plugin == QL_PLUGIN_SANLOCK && self->lockspace == NULL)
    {
      g_set_error_literal (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                           "The sanlock lease plugin needs a lockspace directory");
      return NULL;
    }
  if (!self->direct && self->plugin == QL_PLUGIN_LOCKD)
    {
      if (self->lockspace == NULL)
        {
          g_set_error_literal (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                               "The lockd lease plugin needs a lockspace directory (or direct "
                               "mode)");
          return NULL;
        }
      if (g_mkdir_with_parents (self->lockspace, 0755) < 0)
        {
          int saved = errno;
          g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                       "Cannot create lockspace '%s': %s", self->lockspace, g_strerror (saved));
          return NULL;
        }
    }
  if (wait_s > 0)
    deadline = g_get_monotonic_time () + (gint64) wait_s * G_USEC_PER_SEC;

  for (guint i = 0; i < n; i++)
    {
#if HAVE_SANLOCK
      if (self->plugin == QL_PLUGIN_SANLOCK)
        set->fds[i] = ql_sanlock_acquire (self->lockspace, set->images[i], mode, self->owner,
                                          deadline, cancellable, &set->tokens[i], error);
      else
#endif
        {
          g_autofree char *path = self->direct
                                      ? g_strdup (set->images[i])
                                      : ql_lockd_lease_path (self->lockspace, set->images[i]);

          set->fds[i] = ql_lockd_acquire (path, set->images[i], self->direct, mode, self->owner,
                                          deadline, cancellable, &set->tokens[i], error);
        }
      if (set->fds[i] < 0)
        {
          /* all or nothing: the error of the one that failed is reported */
          (void) release_fds (set, NULL);
          set->released = TRUE;
          return NULL;
        }
    }
  return g_steal_pointer (&set);
}

/**
 * quiesce_lease_manager_list:
 * @self: a #QuiesceLeaseManager
 * @error: return location for a #GError
 *
 * lockd: every lease file of the lockspace, sorted by image, each with
 * whether it is held now (asked of the kernel) and the holder info found
 * in it (for a free one, its last holder).  nop: nothing.
 *
 * Returns: (transfer container) (element-type QuiesceLeaseInfo): the
 *   leases, or %NULL with an error
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_lease_manager_list (QuiesceLeaseManager *self, GError **error)
{
  g_return_val_if_fail (QUIESCE_IS_LEASE_MANAGER (self), NULL);

  if (self->plugin == QL_PLUGIN_NOP)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_lease_info_unref);
  if (self->lockspace == NULL)
    {
      g_set_error_literal (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                           "Listing leases needs a lockspace directory");
      return NULL;
    }
#if HAVE_SANLOCK
  if (self->plugin == QL_PLUGIN_SANLOCK)
    return ql_sanlock_list (self->lockspace, error);
#endif
  return ql_lockd_list (self->lockspace, error);
}

/* ---- the set ---- */

/**
 * quiesce_lease_set_release:
 * @set: a #QuiesceLeaseSet
 * @error: return location for a #GError
 *
 * Lets the leases go, in reverse order.  A second call does nothing.
 *
 * Returns: %FALSE if one could not be released cleanly (all are let go
 *   anyway)
 *
 * Since: 0.1
 */
gboolean
quiesce_lease_set_release (QuiesceLeaseSet *set, GError **error)
{
  g_return_val_if_fail (set != NULL, FALSE);

  if (set->released)
    return TRUE;
  set->released = TRUE;
  return release_fds (set, error);
}

/**
 * quiesce_lease_set_ref:
 * @set: a #QuiesceLeaseSet
 *
 * Returns: (transfer full): @set
 *
 * Since: 0.1
 */
QuiesceLeaseSet *
quiesce_lease_set_ref (QuiesceLeaseSet *set)
{
  g_return_val_if_fail (set != NULL, NULL);
  g_ref_count_inc (&set->refcount);
  return set;
}

/**
 * quiesce_lease_set_unref:
 * @set: (nullable) (transfer full): a #QuiesceLeaseSet
 *
 * Drops a reference; the last one releases the leases still held.
 *
 * Since: 0.1
 */
void
quiesce_lease_set_unref (QuiesceLeaseSet *set)
{
  if (set == NULL || !g_ref_count_dec (&set->refcount))
    return;
  if (!set->released)
    {
      g_autoptr(GError) local = NULL;

      if (!quiesce_lease_set_release (set, &local))
        g_warning ("%s", local->message);
    }
  /* entries may be NULL (no holder info written): not a GStrv to free */
  for (guint i = 0; set->tokens != NULL && set->images != NULL && set->images[i] != NULL; i++)
    g_free (set->tokens[i]);
  g_free (set->tokens);
  g_strfreev (set->images);
  g_free (set->fds);
  g_clear_object (&set->manager);
  g_free (set);
}

/**
 * quiesce_lease_set_get_images:
 * @set: a #QuiesceLeaseSet
 *
 * Returns: (transfer none) (array zero-terminated=1): the canonical image
 *   paths, sorted
 *
 * Since: 0.1
 */
const char *const *
quiesce_lease_set_get_images (QuiesceLeaseSet *set)
{
  g_return_val_if_fail (set != NULL, NULL);
  return (const char *const *) set->images;
}

/* ---- info ---- */

QuiesceLeaseInfo *
ql_lease_info_new (const char *path, const char *mode, const QlHolder *holder)
{
  QuiesceLeaseInfo *info = g_new0 (QuiesceLeaseInfo, 1);

  g_ref_count_init (&info->refcount);
  info->path = g_strdup (path);
  info->mode = g_strdup (mode);
  if (holder != NULL)
    {
      info->image = g_strdup (holder->image);
      info->host = g_strdup (holder->host);
      info->pid = holder->pid;
      info->owner = g_strdup (holder->owner);
      info->since = holder->since;
    }
  return info;
}

/**
 * quiesce_lease_info_ref:
 * @info: a #QuiesceLeaseInfo
 *
 * Returns: (transfer full): @info
 *
 * Since: 0.1
 */
QuiesceLeaseInfo *
quiesce_lease_info_ref (QuiesceLeaseInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  g_ref_count_inc (&info->refcount);
  return info;
}

/**
 * quiesce_lease_info_unref:
 * @info: (nullable) (transfer full): a #QuiesceLeaseInfo
 *
 * Since: 0.1
 */
void
quiesce_lease_info_unref (QuiesceLeaseInfo *info)
{
  if (info == NULL || !g_ref_count_dec (&info->refcount))
    return;
  g_free (info->path);
  g_free (info->image);
  g_free (info->mode);
  g_free (info->host);
  g_free (info->owner);
  g_free (info);
}

/**
 * quiesce_lease_info_get_image:
 * @info: a #QuiesceLeaseInfo
 *
 * Returns: (nullable): the canonical image path, %NULL if the lease file
 *   holds no holder info
 *
 * Since: 0.1
 */
const char *
quiesce_lease_info_get_image (QuiesceLeaseInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->image;
}

/**
 * quiesce_lease_info_get_mode:
 * @info: a #QuiesceLeaseInfo
 *
 * Returns: "exclusive", "shared" or "free", as the kernel says now
 *
 * Since: 0.1
 */
const char *
quiesce_lease_info_get_mode (QuiesceLeaseInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->mode;
}

/**
 * quiesce_lease_info_get_host:
 * @info: a #QuiesceLeaseInfo
 *
 * Returns: (nullable): the holder's host name (for a free lease, the last
 *   holder's)
 *
 * Since: 0.1
 */
const char *
quiesce_lease_info_get_host (QuiesceLeaseInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->host;
}

/**
 * quiesce_lease_info_get_pid:
 * @info: a #QuiesceLeaseInfo
 *
 * Returns: the holder's pid on its host, 0 if unknown
 *
 * Since: 0.1
 */
gint64
quiesce_lease_info_get_pid (QuiesceLeaseInfo *info)
{
  g_return_val_if_fail (info != NULL, 0);
  return info->pid;
}

/**
 * quiesce_lease_info_get_owner:
 * @info: a #QuiesceLeaseInfo
 *
 * Returns: (nullable): the holder's owner tag
 *
 * Since: 0.1
 */
const char *
quiesce_lease_info_get_owner (QuiesceLeaseInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->owner;
}

/**
 * quiesce_lease_info_get_since:
 * @info: a #QuiesceLeaseInfo
 *
 * Returns: unix seconds when the holder took it, 0 if unknown
 *
 * Since: 0.1
 */
gint64
quiesce_lease_info_get_since (QuiesceLeaseInfo *info)
{
  g_return_val_if_fail (info != NULL, 0);
  return info->since;
}

/**
 * quiesce_lease_info_get_path:
 * @info: a #QuiesceLeaseInfo
 *
 * Returns: the lease file
 *
 * Since: 0.1
 */
const char *
quiesce_lease_info_get_path (QuiesceLeaseInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return info->path;
}
