/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-sysroot.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct _QaSysroot
{
  char *prefix; /* no trailing slash, "" for the live system */
};

QaSysroot *
qa_sysroot_new (const char *prefix)
{
  QaSysroot *self = g_new0 (QaSysroot, 1);
  g_autofree char *p = g_strdup (prefix != NULL ? prefix : "/");
  gsize n = strlen (p);

  while (n > 0 && p[n - 1] == '/')
    p[--n] = '\0';
  self->prefix = g_steal_pointer (&p);
  return self;
}

void
qa_sysroot_free (QaSysroot *self)
{
  if (self == NULL)
    return;
  g_free (self->prefix);
  g_free (self);
}

const char *
qa_sysroot_prefix (const QaSysroot *self)
{
  return self->prefix[0] == '\0' ? "/" : self->prefix;
}

gboolean
qa_sysroot_is_live (const QaSysroot *self)
{
  return self->prefix[0] == '\0';
}

char *
qa_sysroot_path (const QaSysroot *self, const char *path)
{
  if (path[0] != '/')
    return g_strconcat (self->prefix, "/", path, NULL);
  return g_strconcat (self->prefix, path, NULL);
}

gboolean
qa_sysroot_read (const QaSysroot *self, const char *path, char **contents, gsize *len,
                 GError **error)
{
  g_autofree char *full = qa_sysroot_path (self, path);

  /* sysfs and procfs report a size of 0 or 4096: g_file_get_contents
   * reads until EOF, which is what these files need */
  return g_file_get_contents (full, contents, len, error);
}

char *
qa_sysroot_read_attr (const QaSysroot *self, const char *path)
{
  g_autofree char *contents = NULL;
  char *nl;

  if (!qa_sysroot_read (self, path, &contents, NULL, NULL))
    return NULL;
  nl = strchr (contents, '\n');
  if (nl != NULL)
    *nl = '\0';
  return g_strstrip (g_steal_pointer (&contents));
}

char *
qa_sysroot_resolve_link (const QaSysroot *self, const char *path)
{
  g_autofree char *full = qa_sysroot_path (self, path);
  g_autofree char *target = g_file_read_link (full, NULL);
  g_autofree char *dir = NULL;
  g_autofree char *joined = NULL;
  g_auto (GStrv) parts = NULL;
  g_autoptr (GPtrArray) out = NULL;

  if (target == NULL)
    return NULL;
  if (target[0] == '/')
    joined = g_strdup (target);
  else
    {
      dir = g_path_get_dirname (path);
      joined = g_build_filename (dir, target, NULL);
    }

  /* normalise "." and ".." lexically: sysfs links never point through
   * further symlinks that matter for the parts of the tree we read */
  parts = g_strsplit (joined, "/", -1);
  out = g_ptr_array_new ();
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0' || g_strcmp0 (parts[i], ".") == 0)
        continue;
      if (g_strcmp0 (parts[i], "..") == 0)
        {
          if (out->len > 0)
            g_ptr_array_remove_index (out, out->len - 1);
          continue;
        }
      g_ptr_array_add (out, parts[i]);
    }
  g_ptr_array_add (out, NULL);
  {
    g_autofree char *rel = g_strjoinv ("/", (char **) out->pdata);
    return g_strconcat ("/", rel, NULL);
  }
}

gboolean
qa_sysroot_exists (const QaSysroot *self, const char *path)
{
  g_autofree char *full = qa_sysroot_path (self, path);
  return access (full, F_OK) == 0;
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
qa_sysroot_list_dir (const QaSysroot *self, const char *path)
{
  g_autofree char *full = qa_sysroot_path (self, path);
  g_autoptr (GDir) dir = g_dir_open (full, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return names;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, cmp_str);
  return names;
}

static guint64
mount_id_statx (int dirfd, const char *path, int flags)
{
  struct statx stx = { 0 };

  if (statx (dirfd, path, flags, STATX_MNT_ID, &stx) != 0)
    return 0;
  if ((stx.stx_mask & STATX_MNT_ID) == 0)
    return 0;
  return stx.stx_mnt_id;
}

guint64
qa_sysroot_mount_id_of_path (const QaSysroot *self, const char *path)
{
  if (!qa_sysroot_is_live (self))
    return 0;
  return mount_id_statx (AT_FDCWD, path, 0);
}

guint64
qa_sysroot_mount_id_of_fd (int fd)
{
  return mount_id_statx (fd, "", AT_EMPTY_PATH);
}

gboolean
qa_sysroot_statvfs (const QaSysroot *self, const char *mountpoint, guint64 *used,
                    guint64 *total, guint64 *total_privileged)
{
  g_autofree char *full = qa_sysroot_path (self, mountpoint);
  struct statvfs st;

  /* a recorded tree has no filesystems to measure: its directories
   * would report the recording host's */
  if (!qa_sysroot_is_live (self))
    return FALSE;
  if (statvfs (full, &st) != 0)
    return FALSE;
  *used = (guint64) (st.f_blocks - st.f_bfree) * st.f_frsize;
  *total = (guint64) (st.f_blocks - st.f_bfree + st.f_bavail) * st.f_frsize;
  *total_privileged = (guint64) st.f_blocks * st.f_frsize;
  return TRUE;
}

char *
qa_sysroot_boot_id (const QaSysroot *self)
{
  char *id = qa_sysroot_read_attr (self, "/proc/sys/kernel/random/boot_id");
  return id != NULL ? id : g_strdup ("unknown");
}
