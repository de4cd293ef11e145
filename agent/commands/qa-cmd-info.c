/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest-get-fsinfo and guest-get-disks.  Both read only mountinfo, sysfs
 * and statvfs, so they answer while filesystems are frozen (qemu-ga
 * refuses them then). */
#include "config.h"

#include "qa-cmd-info.h"
#include "qw-error.h"

/* GuestFilesystemInfo, in reverse mount order (libvirt reverses it back):
 * every superblock with a block device once, under its first mount, with
 * every disk beneath it (all LVM/md members, all btrfs devices) */
void
qa_cmd_get_fsinfo (QaCall *call, JsonObject *args)
{
  QaContext *ctx = qa_call_context (call);
  g_autoptr (GError) error = NULL;
  g_autoptr (QaFsView) view = qa_resolver_scan (ctx->sysroot, ctx->policy, &error);
  g_autoptr (JsonBuilder) b = NULL;

  if (view == NULL)
    {
      qa_call_error (call, error);
      return;
    }
  b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint i = view->fs->len; i > 0; i--)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i - 1);
      guint64 used, total, total_priv;

      if (qa_fs_is_blockless (fs))
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, fs->name);
      json_builder_set_member_name (b, "mountpoint");
      json_builder_add_string_value (b, fs->mountpoint);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, fs->fstype);
      if (qa_sysroot_statvfs (ctx->sysroot, fs->mountpoint, &used, &total, &total_priv))
        {
          json_builder_set_member_name (b, "used-bytes");
          json_builder_add_int_value (b, (gint64) used);
          json_builder_set_member_name (b, "total-bytes");
          json_builder_add_int_value (b, (gint64) total);
          json_builder_set_member_name (b, "total-bytes-privileged");
          json_builder_add_int_value (b, (gint64) total_priv);
        }
      json_builder_set_member_name (b, "disk");
      json_builder_begin_array (b);
      for (guint j = 0; j < fs->disks->len; j++)
        json_builder_add_value (b, qa_disk_to_json (g_ptr_array_index (fs->disks, j)));
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  qa_call_return (call, json_builder_get_root (b));
}

static void
add_dependencies (JsonBuilder *b, const QaSysroot *sysroot, const char *name)
{
  g_autofree char *dir = g_strdup_printf ("/sys/block/%s/slaves", name);
  g_autoptr (GPtrArray) slaves = qa_sysroot_list_dir (sysroot, dir);

  json_builder_set_member_name (b, "dependencies");
  json_builder_begin_array (b);
  for (guint i = 0; i < slaves->len; i++)
    {
      g_autofree char *dev = g_strdup_printf ("/dev/%s", (char *) g_ptr_array_index (slaves, i));
      json_builder_add_string_value (b, dev);
    }
  json_builder_end_array (b);
}

/* GuestDiskInfo for every block device with a size, then its partitions */
void
qa_cmd_get_disks (QaCall *call, JsonObject *args)
{
  QaContext *ctx = qa_call_context (call);
  g_autoptr (GPtrArray) names = qa_sysroot_list_dir (ctx->sysroot, "/sys/block");
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *size_attr = g_strdup_printf ("/sys/block/%s/size", name);
      g_autofree char *size = qa_sysroot_read_attr (ctx->sysroot, size_attr);
      g_autofree char *alias_attr = g_strdup_printf ("/sys/block/%s/dm/name", name);
      g_autofree char *alias = qa_sysroot_read_attr (ctx->sysroot, alias_attr);
      g_autofree char *link = g_strdup_printf ("/sys/block/%s", name);
      g_autofree char *real = qa_sysroot_resolve_link (ctx->sysroot, link);
      g_autoptr (GPtrArray) entries = NULL;
      g_autofree char *dev = g_strdup_printf ("/dev/%s", name);

      /* unused loop devices, empty drives */
      if (size == NULL || g_strcmp0 (size, "0") == 0)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, dev);
      json_builder_set_member_name (b, "partition");
      json_builder_add_boolean_value (b, FALSE);
      add_dependencies (b, ctx->sysroot, name);
      /* dm and md devices are no hardware: their address is their
       * dependencies'; loop devices describe themselves */
      if (real == NULL || !g_str_has_prefix (real, "/sys/devices/virtual/")
          || g_str_has_prefix (name, "loop"))
        {
          g_autoptr (QaDisk) disk = qa_disk_new (ctx->sysroot, name);
          json_builder_set_member_name (b, "address");
          json_builder_add_value (b, qa_disk_to_json (disk));
        }
      if (alias != NULL && alias[0] != '\0')
        {
          json_builder_set_member_name (b, "alias");
          json_builder_add_string_value (b, alias);
        }
      json_builder_end_object (b);

      if (real == NULL)
        continue;
      entries = qa_sysroot_list_dir (ctx->sysroot, real);
      for (guint j = 0; j < entries->len; j++)
        {
          const char *part = g_ptr_array_index (entries, j);
          g_autofree char *pattr = g_strdup_printf ("%s/%s/partition", real, part);
          g_autofree char *pdev = NULL;

          if (!qa_sysroot_exists (ctx->sysroot, pattr))
            continue;
          pdev = g_strdup_printf ("/dev/%s", part);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, pdev);
          json_builder_set_member_name (b, "partition");
          json_builder_add_boolean_value (b, TRUE);
          json_builder_set_member_name (b, "dependencies");
          json_builder_begin_array (b);
          json_builder_add_string_value (b, dev);
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
  qa_call_return (call, json_builder_get_root (b));
}
