/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-resolver.h"
#include "qa-disk-address.h"
#include "qa-mounts.h"
#include "qw-error.h"

#include <string.h>
#include <sys/stat.h>

/* filesystems that live on the network: never frozen (they have no block
 * device either, except for the odd fuse one; the list makes the reason
 * explicit in error messages) */
static const char *const network_fstypes[] = {
  "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "9p", "glusterfs", "afs", "ncpfs",
  "fuse.sshfs", "fuse.glusterfs", "fuse.cephfs", "virtiofs", "vmhgfs", NULL,
};

/* ---- disks ------------------------------------------------------------ */

void
qa_disk_free (QaDisk *d)
{
  if (d == NULL)
    return;
  g_free (d->name);
  g_free (d->dev);
  g_free (d->part_dev);
  g_free (d->bus_type);
  g_free (d->serial);
  g_free (d->wwn);
  g_free (d);
}

JsonNode *
qa_disk_to_json (const QaDisk *d)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pci-controller");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "domain");
  json_builder_add_int_value (b, d->pci_domain);
  json_builder_set_member_name (b, "bus");
  json_builder_add_int_value (b, d->pci_bus);
  json_builder_set_member_name (b, "slot");
  json_builder_add_int_value (b, d->pci_slot);
  json_builder_set_member_name (b, "function");
  json_builder_add_int_value (b, d->pci_function);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "bus-type");
  json_builder_add_string_value (b, d->bus_type);
  json_builder_set_member_name (b, "bus");
  json_builder_add_int_value (b, d->bus);
  json_builder_set_member_name (b, "target");
  json_builder_add_int_value (b, d->target);
  json_builder_set_member_name (b, "unit");
  json_builder_add_int_value (b, d->unit);
  if (d->serial != NULL)
    {
      json_builder_set_member_name (b, "serial");
      json_builder_add_string_value (b, d->serial);
    }
  if (d->wwn != NULL)
    {
      json_builder_set_member_name (b, "wwn");
      json_builder_add_string_value (b, d->wwn);
    }
  json_builder_set_member_name (b, "dev");
  json_builder_add_string_value (b, d->part_dev != NULL ? d->part_dev : d->dev);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

QaDisk *
qa_disk_new (const QaSysroot *sysroot, const char *name)
{
  QaDisk *d = g_new0 (QaDisk, 1);

  d->name = g_strdup (name);
  d->dev = g_strdup_printf ("/dev/%s", name);
  d->pci_domain = d->pci_bus = d->pci_slot = d->pci_function = -1;
  d->bus = d->target = d->unit = -1;
  d->bus_type = g_strdup ("unknown");
  qa_disk_address_fill (sysroot, d);
  return d;
}

static gboolean
disk_list_has (GPtrArray *disks, const char *name)
{
  for (guint i = 0; i < disks->len; i++)
    if (g_strcmp0 (((QaDisk *) g_ptr_array_index (disks, i))->name, name) == 0)
      return TRUE;
  return FALSE;
}

/* walk from a block device down to the disks beneath it: a partition to
 * its whole disk, a dm or md device through slaves/ (any depth) */
static void
collect_disks (const QaSysroot *sysroot, const char *name, GPtrArray *disks, guint depth)
{
  g_autofree char *part = g_strdup_printf ("/sys/class/block/%s/partition", name);
  g_autofree char *slaves_dir = g_strdup_printf ("/sys/class/block/%s/slaves", name);
  g_autoptr (GPtrArray) slaves = NULL;

  if (depth > 16)
    return;
  if (qa_sysroot_exists (sysroot, part))
    {
      g_autofree char *link = g_strdup_printf ("/sys/class/block/%s", name);
      g_autofree char *real = qa_sysroot_resolve_link (sysroot, link);
      g_autofree char *parent_dir = real != NULL ? g_path_get_dirname (real) : NULL;
      g_autofree char *parent = parent_dir != NULL ? g_path_get_basename (parent_dir) : NULL;

      if (parent != NULL)
        {
          guint before = disks->len;
          collect_disks (sysroot, parent, disks, depth + 1);
          /* the disk as seen through this partition */
          if (disks->len == before + 1)
            {
              QaDisk *d = g_ptr_array_index (disks, before);
              d->part_dev = g_strdup_printf ("/dev/%s", name);
            }
          return;
        }
    }
  slaves = qa_sysroot_list_dir (sysroot, slaves_dir);
  if (slaves->len > 0)
    {
      for (guint i = 0; i < slaves->len; i++)
        collect_disks (sysroot, g_ptr_array_index (slaves, i), disks, depth + 1);
      return;
    }
  if (!disk_list_has (disks, name))
    g_ptr_array_add (disks, qa_disk_new (sysroot, name));
}

/* a multi-device btrfs names one member in mountinfo; every member is
 * listed under /sys/fs/btrfs/FSID/devices/ */
static void
collect_btrfs_disks (const QaSysroot *sysroot, const char *member, GPtrArray *disks)
{
  g_autoptr (GPtrArray) fsids = qa_sysroot_list_dir (sysroot, "/sys/fs/btrfs");

  for (guint i = 0; i < fsids->len; i++)
    {
      g_autofree char *dir = g_strdup_printf ("/sys/fs/btrfs/%s/devices",
                                              (const char *) g_ptr_array_index (fsids, i));
      g_autofree char *mine = g_strdup_printf ("%s/%s", dir, member);
      g_autoptr (GPtrArray) members = NULL;

      if (!qa_sysroot_exists (sysroot, mine))
        continue;
      members = qa_sysroot_list_dir (sysroot, dir);
      for (guint j = 0; j < members->len; j++)
        collect_disks (sysroot, g_ptr_array_index (members, j), disks, 0);
      return;
    }
  collect_disks (sysroot, member, disks, 0);
}

/* ---- filesystems ------------------------------------------------------ */

gboolean
qa_fs_is_blockless (const QaFs *fs)
{
  if (g_strv_contains (network_fstypes, fs->fstype))
    return TRUE;
  return fs->major == 0 && g_strcmp0 (fs->fstype, "btrfs") != 0;
}

QaFs *
qa_fs_ref (QaFs *fs)
{
  g_atomic_int_inc (&fs->ref_count);
  return fs;
}

void
qa_fs_unref (QaFs *fs)
{
  if (fs == NULL || !g_atomic_int_dec_and_test (&fs->ref_count))
    return;
  g_free (fs->mountpoint);
  g_ptr_array_unref (fs->mountpoints);
  g_free (fs->fstype);
  g_free (fs->source);
  g_free (fs->name);
  g_free (fs->why_not);
  g_ptr_array_unref (fs->disks);
  if (fs->backing != NULL)
    g_array_unref (fs->backing);
  if (fs->backing_keys != NULL)
    g_ptr_array_unref (fs->backing_keys);
  g_free (fs);
}

char *
qa_fs_key (const QaFs *fs)
{
  return g_strdup_printf ("%u:%u", fs->major, fs->minor);
}

void
qa_fs_view_free (QaFsView *view)
{
  if (view == NULL)
    return;
  if (view->mount_fs != NULL)
    g_ptr_array_unref (view->mount_fs);
  g_ptr_array_unref (view->fs);
  g_ptr_array_unref (view->mounts);
  g_free (view);
}

/* ---- policy ----------------------------------------------------------- */

static void
protect_free (QaProtect *p)
{
  g_free (p->path);
  g_free (p->reason);
  g_free (p);
}

QaPolicy *
qa_policy_new (void)
{
  QaPolicy *p = g_new0 (QaPolicy, 1);
  p->exclude = g_ptr_array_new_with_free_func (g_free);
  p->protect = g_ptr_array_new_with_free_func ((GDestroyNotify) protect_free);
  return p;
}

void
qa_policy_free (QaPolicy *p)
{
  if (p == NULL)
    return;
  g_free (p->only_under);
  g_ptr_array_unref (p->exclude);
  g_ptr_array_unref (p->protect);
  g_free (p);
}

void
qa_policy_protect (QaPolicy *policy, const QaSysroot *sysroot, const char *path,
                   guint64 mount_id, const char *reason)
{
  QaProtect *p = g_new0 (QaProtect, 1);

  p->path = g_strdup (path);
  p->reason = g_strdup (reason);
  p->mount_id = mount_id;
  if (p->mount_id == 0 && path != NULL)
    p->mount_id = qa_sysroot_mount_id_of_path (sysroot, path);
  g_ptr_array_add (policy->protect, p);
}

static gboolean
path_is_under (const char *path, const char *dir)
{
  gsize n = strlen (dir);

  if (n == 1 && dir[0] == '/')
    return path[0] == '/';
  return strncmp (path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* the mount that holds path: by mount id when known, else the last mount
 * (in mount order, so overmounts win) whose mountpoint is a prefix */
static QaMount *
mount_holding (GPtrArray *mounts, const char *path, guint64 mount_id)
{
  QaMount *best = NULL;
  gsize best_len = 0;

  for (guint i = 0; i < mounts->len; i++)
    {
      QaMount *m = g_ptr_array_index (mounts, i);
      gsize n;

      if (mount_id != 0)
        {
          if (m->id == mount_id)
            return m;
          continue;
        }
      if (!path_is_under (path, m->mountpoint))
        continue;
      n = strlen (m->mountpoint);
      if (n >= best_len)
        {
          best = m;
          best_len = n;
        }
    }
  return best;
}

static char *
why_not_freezable (const QaPolicy *policy, const QaMount *m, GHashTable *protected_keys)
{
  g_autofree char *key = g_strdup_printf ("%u:%u", m->major, m->minor);
  const char *reason;

  if (g_strv_contains (network_fstypes, m->fstype))
    return g_strdup_printf ("'%s' is a network filesystem (%s)", m->mountpoint, m->fstype);
  if (m->major == 0 && g_strcmp0 (m->fstype, "btrfs") != 0)
    return g_strdup_printf ("'%s' has no block device (%s)", m->mountpoint, m->fstype);
  reason = g_hash_table_lookup (protected_keys, key);
  if (reason != NULL)
    return g_strdup_printf ("'%s' is never frozen: %s", m->mountpoint, reason);
  for (guint i = 0; i < policy->exclude->len; i++)
    {
      const char *ex = g_ptr_array_index (policy->exclude, i);
      if (ex[0] == '/' ? g_strcmp0 (ex, m->mountpoint) == 0 : g_strcmp0 (ex, m->fstype) == 0)
        return g_strdup_printf ("'%s' is excluded by --exclude %s", m->mountpoint, ex);
    }
  if (policy->only_under != NULL
      && (!path_is_under (m->mountpoint, policy->only_under)
          || g_strcmp0 (m->mountpoint, policy->only_under) == 0))
    return g_strdup_printf ("'%s' is outside --only-under %s", m->mountpoint, policy->only_under);
  return NULL;
}

static char *
block_name (const QaSysroot *sysroot, const QaMount *m)
{
  g_autofree char *link = NULL;
  g_autofree char *real = NULL;

  if (m->major != 0)
    {
      link = g_strdup_printf ("/sys/dev/block/%u:%u", m->major, m->minor);
      real = qa_sysroot_resolve_link (sysroot, link);
      if (real != NULL)
        return g_path_get_basename (real);
    }
  /* btrfs reports an anonymous 0:N; its mount source names a member */
  if (g_str_has_prefix (m->source, "/dev/"))
    {
      g_autofree char *base = g_path_get_basename (m->source);
      g_autofree char *cls = g_strdup_printf ("/sys/class/block/%s", base);
      g_autofree char *target = qa_sysroot_resolve_link (sysroot, cls);
      if (target != NULL)
        return g_path_get_basename (target);
      return g_steal_pointer (&base);
    }
  return g_strdup (m->source);
}

/* rank the filesystems in freeze order: a topological order of "A must
 * freeze before B" (B holds A's loop backing file, or B is the parent
 * mount of A), choosing the latest-mounted ready filesystem first, which
 * gives reverse mount order when nothing else constrains it.  The level is
 * the length of the longest such chain below a filesystem: filesystems of
 * one level never depend on each other, so they may freeze in parallel */
static void
rank_freeze_order (QaFsView *view, GHashTable *fs_by_mount_id)
{
  guint n = view->fs->len;
  g_autofree guint *pending_before = g_new0 (guint, n); /* # that must go first */
  g_autoptr (GPtrArray) after = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autofree gboolean *done = g_new0 (gboolean, n);
  g_autofree guint *level = g_new0 (guint, n);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (after, g_array_new (FALSE, FALSE, sizeof (guint)));

  /* edge first -> then */
#define ADD_EDGE(first, then)                                              \
  do                                                                       \
    {                                                                      \
      guint f_ = (first), t_ = (then);                                     \
      if (f_ != t_)                                                        \
        {                                                                  \
          g_array_append_val (g_ptr_array_index (after, f_), t_);          \
          pending_before[t_]++;                                            \
        }                                                                  \
    }                                                                      \
  while (0)

  for (guint i = 0; i < view->mounts->len; i++)
    {
      QaMount *m = g_ptr_array_index (view->mounts, i);
      QaFs *child = g_hash_table_lookup (fs_by_mount_id, GUINT_TO_POINTER (m->id));
      QaFs *parent = g_hash_table_lookup (fs_by_mount_id, GUINT_TO_POINTER (m->parent_id));
      if (child != NULL && parent != NULL)
        ADD_EDGE (child->index, parent->index);
    }
  for (guint i = 0; i < n; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      for (guint j = 0; j < fs->backing->len; j++)
        ADD_EDGE (fs->index, g_array_index (fs->backing, guint, j));
    }
#undef ADD_EDGE

  for (guint r = 0; r < n; r++)
    {
      gint pick = -1;

      for (gint i = (gint) n - 1; i >= 0; i--)
        if (!done[i] && pending_before[i] == 0)
          {
            pick = i;
            break;
          }
      if (pick < 0)
        {
          /* a cycle (should not happen): fall back to reverse mount order */
          for (gint i = (gint) n - 1; i >= 0; i--)
            if (!done[i])
              {
                pick = i;
                break;
              }
        }
      done[pick] = TRUE;
      ((QaFs *) g_ptr_array_index (view->fs, pick))->rank = r;
      ((QaFs *) g_ptr_array_index (view->fs, pick))->level = level[pick];
      {
        GArray *next = g_ptr_array_index (after, pick);
        for (guint j = 0; j < next->len; j++)
          {
            guint t = g_array_index (next, guint, j);
            if (pending_before[t] > 0)
              pending_before[t]--;
            /* the longest chain of "must freeze first" below t */
            if (!done[t])
              level[t] = MAX (level[t], level[pick] + 1);
          }
      }
    }
}

QaFsView *
qa_resolver_scan (const QaSysroot *sysroot, const QaPolicy *policy, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (QaFsView) view = g_new0 (QaFsView, 1);
  g_autoptr (GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) by_mount_id = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr (GHashTable) protected_keys
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!qa_sysroot_read (sysroot, "/proc/self/mountinfo", &text, NULL, error))
    {
      g_prefix_error (error, "Cannot read the mount table: ");
      return NULL;
    }
  view->mounts = qa_mounts_parse (text, error);
  if (view->mounts == NULL)
    return NULL;
  view->fs = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_fs_unref);
  view->mount_fs = g_ptr_array_new ();

  for (guint i = 0; i < policy->protect->len; i++)
    {
      QaProtect *p = g_ptr_array_index (policy->protect, i);
      QaMount *m = mount_holding (view->mounts, p->path, p->mount_id);
      if (m == NULL && p->mount_id != 0)
        m = mount_holding (view->mounts, p->path, 0);
      if (m != NULL)
        g_hash_table_insert (protected_keys, g_strdup_printf ("%u:%u", m->major, m->minor),
                             p->reason);
    }

  for (guint i = 0; i < view->mounts->len; i++)
    {
      QaMount *m = g_ptr_array_index (view->mounts, i);
      g_autofree char *key = g_strdup_printf ("%u:%u", m->major, m->minor);
      QaFs *fs = g_hash_table_lookup (by_key, key);

      if (fs == NULL)
        {
          fs = g_new0 (QaFs, 1);
          fs->ref_count = 1;
          fs->index = view->fs->len;
          fs->major = m->major;
          fs->minor = m->minor;
          fs->mountpoint = g_strdup (m->mountpoint);
          fs->mountpoints = g_ptr_array_new_with_free_func (g_free);
          fs->fstype = g_strdup (m->fstype);
          fs->source = g_strdup (m->source);
          fs->name = block_name (sysroot, m);
          fs->why_not = why_not_freezable (policy, m, protected_keys);
          fs->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_disk_free);
          fs->backing = g_array_new (FALSE, FALSE, sizeof (guint));
          fs->backing_keys = g_ptr_array_new_with_free_func (g_free);
          if (g_strcmp0 (m->fstype, "btrfs") == 0)
            collect_btrfs_disks (sysroot, fs->name, fs->disks);
          else if (m->major != 0 || g_str_has_prefix (m->source, "/dev/"))
            collect_disks (sysroot, fs->name, fs->disks, 0);
          g_ptr_array_add (view->fs, fs);
          g_hash_table_insert (by_key, g_steal_pointer (&key), fs);
        }
      else if (fs->why_not == NULL)
        {
          /* a superblock is freezable only if every mount of it is: a
           * bind mount into an excluded place keeps it out */
          fs->why_not = why_not_freezable (policy, m, protected_keys);
          if (fs->why_not != NULL)
            {
              g_free (fs->why_not);
              fs->why_not = g_strdup_printf ("'%s' is also mounted at '%s', which is not freezable",
                                             fs->mountpoint, m->mountpoint);
            }
        }
      g_ptr_array_add (fs->mountpoints, g_strdup (m->mountpoint));
      g_ptr_array_add (view->mount_fs, fs);
      g_hash_table_insert (by_mount_id, GUINT_TO_POINTER (m->id), fs);
    }

  /* a filesystem on a loop device must freeze before the one holding the
   * loop's backing file: writing back the loop's dirty pages needs the
   * backing filesystem to accept writes */
  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);

      /* through the disks, so a partition of a loop device and every loop
       * member of a multi-device btrfs count too */
      for (guint j = 0; j < fs->disks->len; j++)
        {
          const QaDisk *d = g_ptr_array_index (fs->disks, j);
          g_autofree char *attr = NULL;
          g_autofree char *backing = NULL;
          QaMount *holder;

          if (!g_str_has_prefix (d->name, "loop"))
            continue;
          attr = g_strdup_printf ("/sys/class/block/%s/loop/backing_file", d->name);
          backing = qa_sysroot_read_attr (sysroot, attr);
          if (backing == NULL || backing[0] != '/')
            continue;
          holder = mount_holding (view->mounts, backing, 0);
          if (holder != NULL)
            {
              guint at = 0;
              QaFs *hfs;

              g_ptr_array_find (view->mounts, holder, &at);
              hfs = g_ptr_array_index (view->mount_fs, at);
              if (hfs != fs)
                {
                  g_array_append_val (fs->backing, hfs->index);
                  g_ptr_array_add (fs->backing_keys, qa_fs_key (hfs));
                }
            }
        }
    }

  rank_freeze_order (view, by_mount_id);
  return g_steal_pointer (&view);
}

QaFs *
qa_fs_view_lookup (const QaFsView *view, const char *path, GError **error)
{
  QaFs *found = NULL;

  /* the topmost (last) mount at exactly this path is the one a process
   * sees there */
  for (guint i = 0; i < view->mounts->len; i++)
    if (g_strcmp0 (((QaMount *) g_ptr_array_index (view->mounts, i))->mountpoint, path) == 0)
      found = g_ptr_array_index (view->mount_fs, i);
  if (found == NULL)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_DEVICE_NOT_FOUND, "'%s' is not a mountpoint", path);
      return NULL;
    }
  if (found->why_not != NULL)
    {
      g_set_error_literal (error, QW_ERROR, QW_ERROR_DEVICE_NOT_FOUND, found->why_not);
      return NULL;
    }
  return found;
}

GPtrArray *
qa_fs_view_freezable (const QaFsView *view)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_fs_unref);

  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      if (fs->why_not == NULL)
        g_ptr_array_add (out, qa_fs_ref (fs));
    }
  return out;
}

static gint
cmp_rank (gconstpointer a, gconstpointer b)
{
  const QaFs *x = *(QaFs *const *) a;
  const QaFs *y = *(QaFs *const *) b;
  return (x->rank > y->rank) - (x->rank < y->rank);
}

void
qa_fs_sort_freeze_order (GPtrArray *fs)
{
  g_ptr_array_sort (fs, cmp_rank);
}

/* ---- disk specs ------------------------------------------------------- */

void
qa_disk_spec_free (QaDiskSpec *s)
{
  if (s == NULL)
    return;
  g_free (s->name);
  g_free (s->dev);
  g_free (s->serial);
  g_free (s->wwn);
  g_free (s->bus_type);
  g_free (s);
}

static char *
dup_member (JsonObject *obj, const char *name)
{
  JsonNode *n = json_object_get_member (obj, name);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return NULL;
  return g_strdup (json_node_get_string (n));
}

static gboolean
get_int_member (JsonObject *obj, const char *name, gint64 *out)
{
  JsonNode *n = json_object_get_member (obj, name);
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return FALSE;
  *out = json_node_get_int (n);
  return TRUE;
}

QaDiskSpec *
qa_disk_spec_from_json (JsonObject *obj)
{
  QaDiskSpec *s = g_new0 (QaDiskSpec, 1);
  JsonNode *pci;

  s->name = dup_member (obj, "name");
  s->dev = dup_member (obj, "dev");
  s->serial = dup_member (obj, "serial");
  s->wwn = dup_member (obj, "wwn");
  s->bus_type = dup_member (obj, "bus-type");
  s->has_bus = get_int_member (obj, "bus", &s->bus);
  s->has_target = get_int_member (obj, "target", &s->target);
  s->has_unit = get_int_member (obj, "unit", &s->unit);
  pci = json_object_get_member (obj, "pci-controller");
  if (pci != NULL && JSON_NODE_HOLDS_OBJECT (pci))
    {
      JsonObject *p = json_node_get_object (pci);
      s->has_pci = TRUE;
      s->pci_domain = json_object_get_int_member_with_default (p, "domain", -1);
      s->pci_bus = json_object_get_int_member_with_default (p, "bus", -1);
      s->pci_slot = json_object_get_int_member_with_default (p, "slot", -1);
      s->pci_function = json_object_get_int_member_with_default (p, "function", -1);
    }
  return s;
}

char *
qa_disk_spec_describe (const QaDiskSpec *s)
{
  g_autoptr (GString) out = g_string_new (NULL);

#define PART(fmt, ...)                                                     \
  do                                                                       \
    {                                                                      \
      if (out->len > 0)                                                    \
        g_string_append (out, ", ");                                       \
      g_string_append_printf (out, fmt, __VA_ARGS__);                      \
    }                                                                      \
  while (0)

  if (s->name != NULL)
    PART ("name '%s'", s->name);
  if (s->serial != NULL)
    PART ("serial '%s'", s->serial);
  if (s->wwn != NULL)
    PART ("wwn '%s'", s->wwn);
  if (s->dev != NULL)
    PART ("dev '%s'", s->dev);
  if (s->bus_type != NULL)
    PART ("bus-type '%s'", s->bus_type);
  if (s->has_pci)
    PART ("pci-controller %04" G_GINT64_MODIFIER "x:%02" G_GINT64_MODIFIER
          "x:%02" G_GINT64_MODIFIER "x.%" G_GINT64_MODIFIER "x",
          s->pci_domain, s->pci_bus, s->pci_slot, s->pci_function);
  if (s->has_bus)
    PART ("bus %" G_GINT64_FORMAT, s->bus);
  if (s->has_target)
    PART ("target %" G_GINT64_FORMAT, s->target);
  if (s->has_unit)
    PART ("unit %" G_GINT64_FORMAT, s->unit);
#undef PART
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
spec_has_identity (const QaDiskSpec *s)
{
  return s->dev != NULL || s->serial != NULL || s->wwn != NULL || s->bus_type != NULL
         || s->has_pci || s->has_bus || s->has_target || s->has_unit;
}

/* is SHORT the serial inside udev's longer ID_SERIAL form LONG?  SCSI
 * gives VENDOR_MODEL_SERIAL ("0QEMU_QEMU_HARDDISK_DISK-S"), NVMe
 * MODEL_SERIAL_NSID ("QEMU_NVMe_Ctrl_DISK-N_1") */
static gboolean
serial_within (const char *longer, const char *shorter)
{
  g_autofree char *tail = g_strconcat ("_", shorter, NULL);
  g_autofree char *mid = g_strconcat ("_", shorter, "_", NULL);
  return g_str_has_suffix (longer, tail) || strstr (longer, mid) != NULL;
}

/* DESIGN 3.3: a spec's serial matches the sysfs form or udev's forms */
static gboolean
serial_matches (const char *want, const char *have)
{
  if (have == NULL)
    return FALSE;
  return g_strcmp0 (want, have) == 0 || serial_within (want, have) || serial_within (have, want);
}

/* sysfs wwid carries a designator type ("naa.5000c500..."); libvirt's
 * <wwn> is the bare hex: accept either form */
static gboolean
wwn_matches (const char *want, const char *have)
{
  const char *dot;

  if (have == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (want, have) == 0)
    return TRUE;
  dot = strchr (have, '.');
  return dot != NULL && g_ascii_strcasecmp (want, dot + 1) == 0;
}

static gboolean
spec_matches (const QaDiskSpec *s, const QaDisk *d)
{
  /* a partition is not a disk: its node names the disk only in fsinfo */
  if (s->dev != NULL && g_strcmp0 (s->dev, d->dev) != 0)
    return FALSE;
  if (s->serial != NULL && !serial_matches (s->serial, d->serial))
    return FALSE;
  if (s->wwn != NULL && !wwn_matches (s->wwn, d->wwn))
    return FALSE;
  if (s->bus_type != NULL && g_strcmp0 (s->bus_type, d->bus_type) != 0)
    return FALSE;
  if (s->has_pci
      && (s->pci_domain != d->pci_domain || s->pci_bus != d->pci_bus
          || s->pci_slot != d->pci_slot || s->pci_function != d->pci_function))
    return FALSE;
  if (s->has_bus && s->bus != d->bus)
    return FALSE;
  if (s->has_target && s->target != d->target)
    return FALSE;
  if (s->has_unit && s->unit != d->unit)
    return FALSE;
  return TRUE;
}

const QaDisk *
qa_fs_view_match_disk (const QaFsView *view, const QaDiskSpec *spec, GError **error)
{
  g_autofree char *what = qa_disk_spec_describe (spec);
  g_autoptr (GPtrArray) hits = g_ptr_array_new ();

  if (!spec_has_identity (spec))
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "Disk %s carries no identity: guest device names do not follow host "
                   "disk names, so give a serial, wwn, dev or address",
                   what[0] != '\0' ? what : "{}");
      return NULL;
    }
  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      for (guint j = 0; j < fs->disks->len; j++)
        {
          QaDisk *d = g_ptr_array_index (fs->disks, j);
          gboolean seen = FALSE;

          if (!spec_matches (spec, d))
            continue;
          for (guint k = 0; k < hits->len; k++)
            if (g_strcmp0 (((QaDisk *) g_ptr_array_index (hits, k))->name, d->name) == 0)
              seen = TRUE;
          if (!seen)
            g_ptr_array_add (hits, d);
        }
    }
  if (hits->len == 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_DEVICE_NOT_FOUND,
                   "No disk with %s holds a mounted filesystem", what);
      return NULL;
    }
  if (hits->len > 1)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "Disk %s is ambiguous: it matches %u disks ('%s', '%s'%s)", what, hits->len,
                   ((QaDisk *) g_ptr_array_index (hits, 0))->dev,
                   ((QaDisk *) g_ptr_array_index (hits, 1))->dev, hits->len > 2 ? ", ..." : "");
      return NULL;
    }
  return g_ptr_array_index (hits, 0);
}
