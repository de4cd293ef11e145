/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the resolver over recorded and generated sysroots:
 *
 *  - qa_mounts_parse on tricky mountinfo lines;
 *  - qa_resolver_scan on tests/data/sysroot/loop-lab, a recording of a
 *    real loop lab (tests/data/sysroot/mk-loop-lab.sh), against a golden
 *    dump checked by hand (tests/data/sysroot/loop-lab.golden.json);
 *  - policy (--only-under, --exclude, protected paths), lookup errors and
 *    DiskSpec matching on the same recording;
 *  - a synthetic tree of 256 disks and 1,000 mounts written at test time
 *    by tests/data/sysroot/mk-synthetic.py: counts, freeze-order
 *    invariants and the scan time.
 *
 * QUIESCE_UPDATE_GOLDEN=1 rewrites the golden file instead of comparing;
 * inspect the result by hand before committing it. */

#include <check.h>
#include <ftw.h>
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qa-mounts.h"
#include "qa-resolver.h"
#include "qa-sysroot.h"
#include "qw-error.h"

/* the recorded lab's fixed paths (mk-loop-lab.sh) */
#define LAB "/tmp/quiesce-rec-lab"
#define MNT LAB "/mnt"
#define STATE_REASON "it holds the agent's state directory"

/* ---- helpers ---------------------------------------------------------- */

static char *
source_path (const char *rel)
{
  const char *src = g_getenv ("QUIESCE_SOURCE_DIR");

#ifdef QA_TEST_SOURCE_DIR
  if (src == NULL)
    src = QA_TEST_SOURCE_DIR;
#endif
  ck_assert_msg (src != NULL, "QUIESCE_SOURCE_DIR is not set (run through meson test)");
  return g_build_filename (src, rel, NULL);
}

static void
assert_error (const GError *error, int code, const char *needle)
{
  ck_assert_msg (error != NULL, "expected an error (code %d) containing '%s'", code, needle);
  ck_assert_msg (error->domain == QW_ERROR && error->code == code,
                 "got error %s/%d '%s', expected %s/%d", g_quark_to_string (error->domain),
                 error->code, error->message, g_quark_to_string (QW_ERROR), code);
  ck_assert_msg (strstr (error->message, needle) != NULL, "error '%s' does not contain '%s'",
                 error->message, needle);
}

static QaPolicy *
policy_only_under (const char *dir)
{
  QaPolicy *policy = qa_policy_new ();

  policy->only_under = g_strdup (dir);
  return policy;
}

static QaFsView *
scan_tree (const char *root, const QaPolicy *policy)
{
  g_autoptr (QaSysroot) sysroot = qa_sysroot_new (root);
  g_autoptr (GError) error = NULL;
  QaFsView *view = qa_resolver_scan (sysroot, policy, &error);

  ck_assert_msg (view != NULL, "scan of '%s' failed: %s", root,
                 error != NULL ? error->message : "(no error)");
  return view;
}

static QaFsView *
scan_lab (const QaPolicy *policy)
{
  g_autofree char *root = source_path ("tests/data/sysroot/loop-lab");
  return scan_tree (root, policy);
}

/* the filesystem whose first mount is at mountpoint (no policy involved,
 * unlike qa_fs_view_lookup) */
static QaFs *
fs_first_at (const QaFsView *view, const char *mountpoint)
{
  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      if (g_strcmp0 (fs->mountpoint, mountpoint) == 0)
        return fs;
    }
  ck_abort_msg ("no filesystem first mounted at '%s'", mountpoint);
  return NULL;
}

static guint
count_freezable (const QaFsView *view)
{
  g_autoptr (GPtrArray) fs = qa_fs_view_freezable (view);
  return fs->len;
}

static QaDiskSpec *
spec_from_text (const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = json_from_string (json, &error);

  ck_assert_msg (node != NULL && JSON_NODE_HOLDS_OBJECT (node), "bad spec %s", json);
  return qa_disk_spec_from_json (json_node_get_object (node));
}

/* the view as the golden file holds it: per filesystem, in view order */
static char *
dump_view (const QaFsView *view)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      g_autofree char *key = qa_fs_key (fs);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "key");
      json_builder_add_string_value (b, key);
      json_builder_set_member_name (b, "mountpoint");
      json_builder_add_string_value (b, fs->mountpoint);
      json_builder_set_member_name (b, "mountpoints");
      json_builder_begin_array (b);
      for (guint j = 0; j < fs->mountpoints->len; j++)
        json_builder_add_string_value (b, g_ptr_array_index (fs->mountpoints, j));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "fstype");
      json_builder_add_string_value (b, fs->fstype);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, fs->name);
      json_builder_set_member_name (b, "why_not");
      if (fs->why_not != NULL)
        json_builder_add_string_value (b, fs->why_not);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "rank");
      json_builder_add_int_value (b, fs->rank);
      json_builder_set_member_name (b, "disks");
      json_builder_begin_array (b);
      for (guint j = 0; j < fs->disks->len; j++)
        {
          QaDisk *d = g_ptr_array_index (fs->disks, j);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "dev");
          json_builder_add_string_value (b, d->dev);
          json_builder_set_member_name (b, "bus-type");
          json_builder_add_string_value (b, d->bus_type);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  text = json_generator_to_data (gen, NULL);
  return g_strconcat (text, "\n", NULL);
}

/* ---- mountinfo parsing ------------------------------------------------ */

static QaMount *
parse_one (const char *line)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) mounts = qa_mounts_parse (line, &error);

  ck_assert_msg (mounts != NULL, "'%s' rejected: %s", line,
                 error != NULL ? error->message : "(no error)");
  ck_assert_uint_eq (mounts->len, 1);
  return g_ptr_array_steal_index (mounts, 0);
}

START_TEST (test_mounts_fields)
{
  /* the example of proc(5) */
  g_autoptr (QaMount) m
      = parse_one ("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue");

  ck_assert_uint_eq (m->id, 36);
  ck_assert_uint_eq (m->parent_id, 35);
  ck_assert_uint_eq (m->major, 98);
  ck_assert_uint_eq (m->minor, 0);
  ck_assert_str_eq (m->root, "/mnt1");
  ck_assert_str_eq (m->mountpoint, "/mnt2");
  ck_assert_str_eq (m->options, "rw,noatime");
  ck_assert_str_eq (m->fstype, "ext3");
  ck_assert_str_eq (m->source, "/dev/root");
  ck_assert_str_eq (m->super_options, "rw,errors=continue");
}
END_TEST

START_TEST (test_mounts_optional_fields)
{
  /* none, and several (the kernel prints any number before " - ") */
  g_autoptr (QaMount) none = parse_one ("22 27 0:21 / /proc rw,relatime - proc proc rw");
  g_autoptr (QaMount) many = parse_one ("61 27 0:39 /sv /b\\040sv rw,relatime shared:5 master:1 "
                                        "propagate_from:2 unbindable - btrfs /dev/loop4 "
                                        "rw,subvolid=256,subvol=/sv");
  /* a large minor as the kernel prints for extended dev_t */
  g_autoptr (QaMount) big = parse_one ("88 57 259:1048575 / /x rw - ext4 /dev/loop8p1 rw");
  /* no super options at all: read as empty, like a line with them */
  g_autoptr (QaMount) bare = parse_one ("36 35 98:0 / / rw - ext3 /dev/root");

  ck_assert_str_eq (none->mountpoint, "/proc");
  ck_assert_str_eq (none->fstype, "proc");
  ck_assert_str_eq (none->source, "proc");
  ck_assert_str_eq (none->super_options, "rw");
  ck_assert_str_eq (many->root, "/sv");
  ck_assert_str_eq (many->mountpoint, "/b sv");
  ck_assert_str_eq (many->options, "rw,relatime");
  ck_assert_str_eq (many->fstype, "btrfs");
  ck_assert_str_eq (many->source, "/dev/loop4");
  ck_assert_str_eq (many->super_options, "rw,subvolid=256,subvol=/sv");
  ck_assert_uint_eq (many->major, 0);
  ck_assert_uint_eq (many->minor, 39);
  ck_assert_uint_eq (big->major, 259);
  ck_assert_uint_eq (big->minor, 1048575);
  ck_assert_str_eq (bare->source, "/dev/root");
  ck_assert_str_eq (bare->super_options, "");
}
END_TEST

START_TEST (test_mounts_escapes)
{
  /* space, tab, newline and backslash, as show_mountinfo escapes them, in
   * the root, the mountpoint and the source */
  g_autoptr (QaMount) m = parse_one ("40 27 7:2 /a\\040b /mnt/x\\040y\\011z\\012w\\134v rw "
                                     "- ext4 /dev/my\\040disk\\134 rw");

  ck_assert_str_eq (m->root, "/a b");
  ck_assert_str_eq (m->mountpoint, "/mnt/x y\tz\nw\\v");
  ck_assert_str_eq (m->source, "/dev/my disk\\");
  ck_assert_str_eq (m->fstype, "ext4");
}
END_TEST

START_TEST (test_mounts_unescape_edges)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "", "" },
    { "/plain", "/plain" },
    { "a\\040\\040", "a  " },
    { "\\134040", "\\040" }, /* an escaped backslash does not start a new escape */
    { "\\1340", "\\0" },
    { "tail\\", "tail\\" },  /* incomplete escapes stay as they are */
    { "tail\\0", "tail\\0" },
    { "tail\\04", "tail\\04" },
    { "\\400", "\\400" },    /* above \377: not an escape */
    { "\\080", "\\080" },    /* 8 is not octal */
    { "\\x20", "\\x20" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = qa_mounts_unescape (cases[i].in);
      ck_assert_msg (g_strcmp0 (got, cases[i].out) == 0, "unescape '%s': got '%s', want '%s'",
                     cases[i].in, got, cases[i].out);
    }
}
END_TEST

START_TEST (test_mounts_table)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) empty = qa_mounts_parse ("", &error);
  g_autoptr (GPtrArray) mounts = NULL;

  ck_assert_ptr_nonnull (empty);
  ck_assert_uint_eq (empty->len, 0);
  /* blank lines are skipped, order is kept, a final newline is fine */
  mounts = qa_mounts_parse ("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
                            "\n"
                            "2 1 8:2 / /home rw - xfs /dev/sda2 rw\n"
                            "3 2 0:40 / /home/t rw shared:7 - tmpfs tmpfs rw\n",
                            &error);
  ck_assert_msg (mounts != NULL, "%s", error != NULL ? error->message : "");
  ck_assert_uint_eq (mounts->len, 3);
  ck_assert_str_eq (((QaMount *) g_ptr_array_index (mounts, 0))->mountpoint, "/");
  ck_assert_str_eq (((QaMount *) g_ptr_array_index (mounts, 1))->mountpoint, "/home");
  ck_assert_str_eq (((QaMount *) g_ptr_array_index (mounts, 2))->mountpoint, "/home/t");
  ck_assert_uint_eq (((QaMount *) g_ptr_array_index (mounts, 2))->parent_id, 2);
}
END_TEST

START_TEST (test_mounts_malformed)
{
  static const char *const bad[] = {
    "36 35 98:0 /mnt1 /mnt2 rw",                                  /* cut short */
    "36 35 98:0 /mnt1 /mnt2 rw master:1 ext3 /dev/root rw",      /* no separator */
    "36 35 98:0 /mnt1 /mnt2 rw master:1 - ext3",                 /* no source */
    "36 35 98:0 /mnt1 /mnt2 rw a b - ext3",                      /* no source either */
    "x6 35 98:0 / / rw - ext3 /dev/root rw",                     /* id */
    "36 -1 98:0 / / rw - ext3 /dev/root rw",                     /* parent */
    "36 35 98-0 / / rw - ext3 /dev/root rw",                     /* no colon */
    "36 35 98: / / rw - ext3 /dev/root rw",                      /* empty minor */
    "36 35 :0 / / rw - ext3 /dev/root rw",                       /* empty major */
    "36 35 98:0x1 / / rw - ext3 /dev/root rw",                   /* junk */
    "36 35 98:0:1 / / rw - ext3 /dev/root rw",                   /* two colons */
    "36 35 4294967296:0 / / rw - ext3 /dev/root rw",             /* > G_MAXUINT */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *text
          = g_strdup_printf ("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n%s\n"
                             "2 1 8:2 / /home rw - xfs /dev/sda2 rw\n",
                             bad[i]);
      g_autoptr (GPtrArray) mounts = qa_mounts_parse (text, &error);

      /* one bad line fails the whole table, and the error names it */
      ck_assert_msg (mounts == NULL, "'%s' was accepted", bad[i]);
      assert_error (error, QW_ERROR_GENERIC, bad[i]);
    }
}
END_TEST

/* ---- the recorded loop lab -------------------------------------------- */

START_TEST (test_lab_golden)
{
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = scan_lab (policy);
  g_autofree char *got = dump_view (view);
  g_autofree char *path = source_path ("tests/data/sysroot/loop-lab.golden.json");
  g_autofree char *want = NULL;
  g_autoptr (GError) error = NULL;

  if (g_getenv ("QUIESCE_UPDATE_GOLDEN") != NULL)
    {
      ck_assert_msg (g_file_set_contents (path, got, -1, &error), "%s",
                     error != NULL ? error->message : "");
      fprintf (stderr, "wrote %s: inspect it by hand before committing\n", path);
      return;
    }
  ck_assert_msg (g_file_get_contents (path, &want, NULL, &error), "%s", error->message);
  if (g_strcmp0 (got, want) != 0)
    {
      g_auto (GStrv) gl = g_strsplit (got, "\n", -1);
      g_auto (GStrv) wl = g_strsplit (want, "\n", -1);
      guint i = 0;

      while (gl[i] != NULL && wl[i] != NULL && g_strcmp0 (gl[i], wl[i]) == 0)
        i++;
      fprintf (stderr, "scan of loop-lab differs from %s; the scan gave:\n%s", path, got);
      ck_abort_msg ("golden differs at line %u: want <%s> got <%s>", i + 1,
                    wl[i] != NULL ? wl[i] : "(end)", gl[i] != NULL ? gl[i] : "(end)");
    }
}
END_TEST

START_TEST (test_lab_superblocks)
{
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) view = scan_lab (policy);
  QaFs *ext4 = fs_first_at (view, MNT "/ext4");
  QaFs *btrfs = fs_first_at (view, MNT "/btrfs");
  QaFs *gpt = fs_first_at (view, MNT "/gpt part");
  QaFs *tmpfs = fs_first_at (view, MNT "/tmpfs");
  g_autofree char *whole = NULL;

  /* 11 mounts, 8 superblocks: the bind mounts and the subvolume count once */
  ck_assert_uint_eq (view->mounts->len, 11);
  ck_assert_uint_eq (view->fs->len, 8);
  ck_assert_uint_eq (ext4->mountpoints->len, 3);
  ck_assert_str_eq (g_ptr_array_index (ext4->mountpoints, 1), MNT "/ext4-bind");
  ck_assert_str_eq (g_ptr_array_index (ext4->mountpoints, 2), MNT "/tmpfs");
  ck_assert_uint_eq (btrfs->mountpoints->len, 2);
  ck_assert_str_eq (g_ptr_array_index (btrfs->mountpoints, 1), MNT "/btrfs-sv");
  ck_assert_str_eq (btrfs->fstype, "btrfs");
  ck_assert_uint_eq (btrfs->major, 0);
  /* btrfs has an anonymous 0:N: its name comes from the mount source */
  ck_assert (g_str_has_prefix (btrfs->source, "/dev/loop"));
  ck_assert_str_eq (btrfs->name, btrfs->source + strlen ("/dev/"));
  ck_assert_uint_ge (btrfs->disks->len, 1);
  ck_assert_str_eq (((QaDisk *) g_ptr_array_index (btrfs->disks, 0))->dev, btrfs->source);

  /* the partition names the filesystem, its whole loop disk is the disk */
  ck_assert_msg (g_str_has_prefix (gpt->name, "loop") && g_str_has_suffix (gpt->name, "p1"),
                 "gpt name '%s'", gpt->name);
  whole = g_strndup (gpt->name, strlen (gpt->name) - 2);
  ck_assert_uint_eq (gpt->disks->len, 1);
  ck_assert_str_eq (((QaDisk *) g_ptr_array_index (gpt->disks, 0))->name, whole);
  ck_assert_str_eq (((QaDisk *) g_ptr_array_index (gpt->disks, 0))->bus_type,
                    "file-backed-virtual");

  /* no block device: a QaFs that never freezes, with no disks */
  ck_assert_uint_eq (tmpfs->disks->len, 0);
  ck_assert_str_eq (tmpfs->why_not, "'" MNT "/tmpfs' has no block device (tmpfs)");
  ck_assert_uint_eq (count_freezable (view), 7);
}
END_TEST

/* the one filesystem holding fs's loop backing files, or -1 */
static gint
backing_one (const QaFs *fs)
{
  if (fs->backing == NULL || fs->backing->len == 0)
    return -1;
  ck_assert_uint_eq (fs->backing->len, 1);
  return (gint) g_array_index (fs->backing, guint, 0);
}

START_TEST (test_lab_loop_backing)
{
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) view = scan_lab (policy);
  QaFs *root = fs_first_at (view, "/");
  QaFs *xfs = fs_first_at (view, MNT "/xfs");
  QaFs *early = fs_first_at (view, MNT "/early");
  QaFs *inner = fs_first_at (view, MNT "/xfs/inner");
  QaFs *ext4 = fs_first_at (view, MNT "/ext4");

  /* early.img and inner.img live in the xfs; ext4.img on the root fs */
  ck_assert_int_eq (backing_one (early), (gint) xfs->index);
  ck_assert_int_eq (backing_one (inner), (gint) xfs->index);
  ck_assert_int_eq (backing_one (ext4), (gint) root->index);
  ck_assert_int_eq (backing_one (xfs), (gint) root->index);
  ck_assert_int_eq (backing_one (root), -1);
  /* mnt/early is listed before the xfs, so only the backing edge puts it
   * ahead of the xfs */
  ck_assert_uint_lt (early->index, xfs->index);
  ck_assert_uint_lt (early->rank, xfs->rank);
  ck_assert_uint_lt (inner->rank, xfs->rank);
  ck_assert_uint_lt (xfs->rank, root->rank);
}
END_TEST

START_TEST (test_lab_freeze_order)
{
  static const char *const want[] = {
    MNT "/gpt part", MNT "/btrfs", MNT "/xfs/inner", MNT "/early", MNT "/xfs", MNT "/ext4",
  };
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = scan_lab (policy);
  g_autoptr (GPtrArray) fs = qa_fs_view_freezable (view);

  qa_fs_sort_freeze_order (fs);
  ck_assert_uint_eq (fs->len, G_N_ELEMENTS (want));
  for (guint i = 0; i < fs->len; i++)
    ck_assert_str_eq (((QaFs *) g_ptr_array_index (fs, i))->mountpoint, want[i]);
}
END_TEST

START_TEST (test_lab_levels)
{
  /* every "must freeze first" edge climbs at least one level, and the
   * independent leaves share level 0, so they may freeze in parallel */
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) view = scan_lab (policy);
  QaFs *xfs = fs_first_at (view, MNT "/xfs");
  QaFs *inner = fs_first_at (view, MNT "/xfs/inner");
  QaFs *early = fs_first_at (view, MNT "/early");
  QaFs *ext4 = fs_first_at (view, MNT "/ext4");
  QaFs *btrfs = fs_first_at (view, MNT "/btrfs");
  guint leaves = 0;

  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      for (guint j = 0; j < fs->backing->len; j++)
        {
          QaFs *holder = g_ptr_array_index (view->fs, g_array_index (fs->backing, guint, j));
          ck_assert_msg (fs->level < holder->level, "%s (level %u) is backed by %s (level %u)",
                         fs->mountpoint, fs->level, holder->mountpoint, holder->level);
        }
      if (fs->level == 0)
        leaves++;
    }
  for (guint i = 0; i < view->mounts->len; i++)
    {
      QaMount *m = g_ptr_array_index (view->mounts, i);
      QaFs *child = g_ptr_array_index (view->mount_fs, i);
      for (guint j = 0; j < view->mounts->len; j++)
        {
          QaMount *p = g_ptr_array_index (view->mounts, j);
          QaFs *parent = g_ptr_array_index (view->mount_fs, j);
          if (p->id == m->parent_id && parent != child)
            ck_assert_msg (child->level < parent->level, "%s under %s", m->mountpoint,
                           p->mountpoint);
        }
    }
  /* a loop image inside the xfs: both of its filesystems before the xfs */
  ck_assert_uint_lt (inner->level, xfs->level);
  ck_assert_uint_lt (early->level, xfs->level);
  ck_assert_uint_eq (btrfs->level, 0);
  ck_assert_uint_eq (early->level, 0);
  ck_assert_uint_ge (leaves, 3);
  (void) ext4;
}
END_TEST

START_TEST (test_lab_btrfs_members)
{
  /* DESIGN 3.1: multi-device btrfs lists every member; the recording holds
   * them in sys/fs/btrfs/FSID/devices */
  g_autofree char *root = source_path ("tests/data/sysroot/loop-lab");
  g_autoptr (QaSysroot) sysroot = qa_sysroot_new (root);
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) view = scan_lab (policy);
  g_autoptr (GPtrArray) fsids = qa_sysroot_list_dir (sysroot, "/sys/fs/btrfs");
  g_autoptr (GPtrArray) members = NULL;
  g_autofree char *dir = NULL;
  QaFs *btrfs = fs_first_at (view, MNT "/btrfs");

  ck_assert_uint_eq (fsids->len, 1);
  dir = g_strdup_printf ("/sys/fs/btrfs/%s/devices", (char *) g_ptr_array_index (fsids, 0));
  members = qa_sysroot_list_dir (sysroot, dir);
  ck_assert_uint_eq (members->len, 2);
  ck_assert_msg (btrfs->disks->len == members->len,
                 "btrfs on %u devices lists %u disks (first '%s')", members->len,
                 btrfs->disks->len,
                 btrfs->disks->len > 0 ? ((QaDisk *) g_ptr_array_index (btrfs->disks, 0))->name
                                       : "");
  for (guint i = 0; i < members->len; i++)
    {
      gboolean found = FALSE;
      for (guint j = 0; j < btrfs->disks->len; j++)
        if (g_strcmp0 (((QaDisk *) g_ptr_array_index (btrfs->disks, j))->name,
                       g_ptr_array_index (members, i))
            == 0)
          found = TRUE;
      ck_assert_msg (found, "btrfs member '%s' is not among its disks",
                     (char *) g_ptr_array_index (members, i));
    }
}
END_TEST

/* ---- policy ------------------------------------------------------------- */

START_TEST (test_policy_only_under_strict)
{
  g_autoptr (QaPolicy) policy = policy_only_under (MNT "/xfs");
  g_autoptr (QaFsView) view = scan_lab (policy);
  g_autoptr (GPtrArray) fs = qa_fs_view_freezable (view);

  /* strictly below: the xfs at the dir itself is out, its child is in */
  ck_assert_uint_eq (fs->len, 1);
  ck_assert_str_eq (((QaFs *) g_ptr_array_index (fs, 0))->mountpoint, MNT "/xfs/inner");
  ck_assert_str_eq (fs_first_at (view, MNT "/xfs")->why_not,
                    "'" MNT "/xfs' is outside --only-under " MNT "/xfs");
  ck_assert_str_eq (fs_first_at (view, MNT "/early")->why_not,
                    "'" MNT "/early' is outside --only-under " MNT "/xfs");
}
END_TEST

START_TEST (test_policy_only_under_prefix)
{
  /* a name prefix is not a directory prefix: nothing is below ".../xf"
   * (the xfs and the ext4 inside it are below ".../xfs"), nor below
   * ".../gpt" ("gpt part" continues with a space), nor is ext4-bind below
   * ".../ext4" */
  static const char *const dirs[] = { MNT "/xf", MNT "/gpt", MNT "/ext4", MNT "/ext4-b" };
  g_autoptr (QaPolicy) all = policy_only_under (MNT);
  g_autoptr (QaFsView) view = scan_lab (all);

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autoptr (QaPolicy) policy = policy_only_under (dirs[i]);
      g_autoptr (QaFsView) v = scan_lab (policy);
      ck_assert_msg (count_freezable (v) == 0, "%u filesystems below '%s'", count_freezable (v),
                     dirs[i]);
    }
  ck_assert_uint_eq (count_freezable (view), 6);
  ck_assert_str_eq (fs_first_at (view, "/")->why_not, "'/' is outside --only-under " MNT);
}
END_TEST

START_TEST (test_policy_exclude_mountpoint)
{
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = NULL;

  g_ptr_array_add (policy->exclude, g_strdup (MNT "/xfs"));
  view = scan_lab (policy);
  ck_assert_str_eq (fs_first_at (view, MNT "/xfs")->why_not,
                    "'" MNT "/xfs' is excluded by --exclude " MNT "/xfs");
  /* only that mountpoint: the filesystems below and on it stay freezable */
  ck_assert_ptr_null (fs_first_at (view, MNT "/xfs/inner")->why_not);
  ck_assert_ptr_null (fs_first_at (view, MNT "/early")->why_not);
  ck_assert_uint_eq (count_freezable (view), 5);
}
END_TEST

START_TEST (test_policy_exclude_other_mount)
{
  /* excluding one mount of a superblock keeps the whole superblock out */
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = NULL;

  g_ptr_array_add (policy->exclude, g_strdup (MNT "/btrfs-sv"));
  g_ptr_array_add (policy->exclude, g_strdup (MNT "/ext4-bind"));
  view = scan_lab (policy);
  ck_assert_str_eq (fs_first_at (view, MNT "/btrfs")->why_not,
                    "'" MNT "/btrfs' is also mounted at '" MNT
                    "/btrfs-sv', which is not freezable");
  ck_assert_str_eq (fs_first_at (view, MNT "/ext4")->why_not,
                    "'" MNT "/ext4' is also mounted at '" MNT "/ext4-bind', which is not freezable");
  ck_assert_uint_eq (count_freezable (view), 4);
}
END_TEST

START_TEST (test_policy_exclude_fstype)
{
  static const char *const ext4s[] = { MNT "/ext4", MNT "/early", MNT "/xfs/inner",
                                       MNT "/gpt part" };
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = NULL;
  g_autoptr (GPtrArray) fs = NULL;

  g_ptr_array_add (policy->exclude, g_strdup ("ext4"));
  view = scan_lab (policy);
  for (guint i = 0; i < G_N_ELEMENTS (ext4s); i++)
    {
      g_autofree char *want = g_strdup_printf ("'%s' is excluded by --exclude ext4", ext4s[i]);
      ck_assert_str_eq (fs_first_at (view, ext4s[i])->why_not, want);
    }
  fs = qa_fs_view_freezable (view);
  ck_assert_uint_eq (fs->len, 2);
  ck_assert_str_eq (((QaFs *) g_ptr_array_index (fs, 0))->fstype, "xfs");
  ck_assert_str_eq (((QaFs *) g_ptr_array_index (fs, 1))->fstype, "btrfs");

  /* and btrfs: both mounts of it go */
  g_ptr_array_set_size (policy->exclude, 0);
  g_ptr_array_add (policy->exclude, g_strdup ("btrfs"));
  g_clear_pointer (&view, qa_fs_view_free);
  view = scan_lab (policy);
  ck_assert_str_eq (fs_first_at (view, MNT "/btrfs")->why_not,
                    "'" MNT "/btrfs' is excluded by --exclude btrfs");
  ck_assert_uint_eq (count_freezable (view), 5);
}
END_TEST

START_TEST (test_policy_protect)
{
  g_autofree char *root = source_path ("tests/data/sysroot/loop-lab");
  g_autoptr (QaSysroot) sysroot = qa_sysroot_new (root);
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = NULL;

  /* the state dir on the inner ext4, below the xfs: the deepest mount
   * holding the path is the one protected, not its parent */
  qa_policy_protect (policy, sysroot, MNT "/xfs/inner/state", 0, STATE_REASON);
  /* a path through a bind mount protects the superblock behind it */
  qa_policy_protect (policy, sysroot, MNT "/ext4-bind/run/quiesce", 0, "it holds the log");
  view = scan_lab (policy);
  ck_assert_str_eq (fs_first_at (view, MNT "/xfs/inner")->why_not,
                    "'" MNT "/xfs/inner' is never frozen: " STATE_REASON);
  ck_assert_str_eq (fs_first_at (view, MNT "/ext4")->why_not,
                    "'" MNT "/ext4' is never frozen: it holds the log");
  ck_assert_ptr_null (fs_first_at (view, MNT "/xfs")->why_not);
  ck_assert_uint_eq (count_freezable (view), 4);
}
END_TEST

START_TEST (test_policy_protect_default_and_by_id)
{
  g_autofree char *root = source_path ("tests/data/sysroot/loop-lab");
  g_autoptr (QaSysroot) sysroot = qa_sysroot_new (root);
  g_autoptr (QaPolicy) plain = qa_policy_new ();
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) first = scan_lab (plain);
  g_autoptr (QaFsView) view = NULL;
  guint early_id = 0;

  for (guint i = 0; i < first->mounts->len; i++)
    {
      QaMount *m = g_ptr_array_index (first->mounts, i);
      if (g_strcmp0 (m->mountpoint, MNT "/early") == 0)
        early_id = m->id;
    }
  ck_assert_uint_ne (early_id, 0);

  /* the default state dir is not a mount: the root fs holds it, and the
   * protection beats --only-under in the reason given */
  qa_policy_protect (policy, sysroot, "/run/quiesce-agent", 0, STATE_REASON);
  /* a known mount id wins over the path */
  qa_policy_protect (policy, sysroot, "/", early_id, "protected by id");
  /* an unknown mount id falls back to the path */
  qa_policy_protect (policy, sysroot, MNT "/gpt part/x", 999999, "protected by path");
  view = scan_lab (policy);
  ck_assert_str_eq (fs_first_at (view, "/")->why_not, "'/' is never frozen: " STATE_REASON);
  ck_assert_str_eq (fs_first_at (view, MNT "/early")->why_not,
                    "'" MNT "/early' is never frozen: protected by id");
  ck_assert_str_eq (fs_first_at (view, MNT "/gpt part")->why_not,
                    "'" MNT "/gpt part' is never frozen: protected by path");
  ck_assert_uint_eq (count_freezable (view), 4);
}
END_TEST

/* ---- lookup --------------------------------------------------------------- */

START_TEST (test_lookup_found)
{
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = scan_lab (policy);
  g_autoptr (GError) error = NULL;
  QaFs *ext4 = qa_fs_view_lookup (view, MNT "/ext4", &error);

  ck_assert_msg (ext4 != NULL, "%s", error != NULL ? error->message : "");
  ck_assert_ptr_eq (qa_fs_view_lookup (view, MNT "/ext4-bind", NULL), ext4);
  ck_assert_ptr_eq (qa_fs_view_lookup (view, MNT "/btrfs-sv", NULL),
                    qa_fs_view_lookup (view, MNT "/btrfs", NULL));
  ck_assert_ptr_eq (qa_fs_view_lookup (view, MNT "/gpt part", NULL),
                    fs_first_at (view, MNT "/gpt part"));
}
END_TEST

START_TEST (test_lookup_errors)
{
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = NULL;
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  g_autoptr (GError) e4 = NULL;
  g_autoptr (GError) e5 = NULL;

  g_ptr_array_add (policy->exclude, g_strdup ("xfs"));
  view = scan_lab (policy);

  ck_assert_ptr_null (qa_fs_view_lookup (view, MNT "/xfs/nope", &e1));
  assert_error (e1, QW_ERROR_DEVICE_NOT_FOUND, "'" MNT "/xfs/nope' is not a mountpoint");
  /* the mountinfo spelling is not a path */
  ck_assert_ptr_null (qa_fs_view_lookup (view, MNT "/gpt\\040part", &e2));
  assert_error (e2, QW_ERROR_DEVICE_NOT_FOUND, "is not a mountpoint");
  /* outside --only-under, excluded, no block device: the reason is given */
  ck_assert_ptr_null (qa_fs_view_lookup (view, "/", &e3));
  assert_error (e3, QW_ERROR_DEVICE_NOT_FOUND, fs_first_at (view, "/")->why_not);
  assert_error (e3, QW_ERROR_DEVICE_NOT_FOUND, "'/' is outside --only-under " MNT);
  ck_assert_ptr_null (qa_fs_view_lookup (view, MNT "/xfs", &e4));
  assert_error (e4, QW_ERROR_DEVICE_NOT_FOUND, "'" MNT "/xfs' is excluded by --exclude xfs");
  ck_assert_ptr_null (qa_fs_view_lookup (view, MNT "/btrfs/sv", &e5));
  assert_error (e5, QW_ERROR_DEVICE_NOT_FOUND, "is not a mountpoint");
}
END_TEST

START_TEST (test_lookup_overmount)
{
  /* mnt/tmpfs holds a tmpfs and, on top of it, a bind mount of the ext4
   * (first mounted earlier): a process, and FIFREEZE through the path,
   * sees the ext4 */
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = scan_lab (policy);
  g_autoptr (GError) error = NULL;
  QaFs *fs = qa_fs_view_lookup (view, MNT "/tmpfs", &error);

  ck_assert_msg (fs != NULL, "lookup of the overmounted '%s' failed: %s", MNT "/tmpfs",
                 error != NULL ? error->message : "");
  ck_assert_ptr_eq (fs, fs_first_at (view, MNT "/ext4"));
}
END_TEST

/* ---- DiskSpec matching --------------------------------------------------- */

static const QaDisk *
match (const QaFsView *view, const char *json, GError **error)
{
  g_autoptr (QaDiskSpec) spec = spec_from_text (json);
  return qa_fs_view_match_disk (view, spec, error);
}

START_TEST (test_match_dev)
{
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = scan_lab (policy);
  QaFs *gpt = fs_first_at (view, MNT "/gpt part");
  const QaDisk *whole = g_ptr_array_index (gpt->disks, 0);
  g_autofree char *by_dev = g_strdup_printf ("{\"dev\":\"%s\"}", whole->dev);
  g_autofree char *by_part = g_strdup_printf ("{\"dev\":\"/dev/%s\"}", gpt->name);
  g_autofree char *part_text = g_strdup_printf ("No disk with dev '/dev/%s'", gpt->name);
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  const QaDisk *d;

  d = match (view, by_dev, &e1);
  ck_assert_msg (d != NULL, "%s", e1 != NULL ? e1->message : "");
  ck_assert_ptr_eq (d, whole);
  ck_assert_str_eq (d->bus_type, "file-backed-virtual");

  /* a partition is not a disk */
  ck_assert_ptr_null (match (view, by_part, &e2));
  assert_error (e2, QW_ERROR_DEVICE_NOT_FOUND, part_text);
  assert_error (e2, QW_ERROR_DEVICE_NOT_FOUND, "holds a mounted filesystem");

  ck_assert_ptr_null (match (view, "{\"dev\":\"/dev/vdz\"}", &e3));
  assert_error (e3, QW_ERROR_DEVICE_NOT_FOUND, "No disk with dev '/dev/vdz'");
}
END_TEST

START_TEST (test_match_fields)
{
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = scan_lab (policy);
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  const QaDisk *d;

  /* the recorded virtio serial; the disk under a filesystem we may not
   * freeze still matches (the caller decides) */
  d = match (view, "{\"serial\":\"overlayblk\"}", NULL);
  ck_assert_ptr_nonnull (d);
  ck_assert_str_eq (d->dev, "/dev/vda");
  /* name is a label: carried along, never matched */
  d = match (view, "{\"dev\":\"/dev/vda\",\"name\":\"sdq\"}", NULL);
  ck_assert_ptr_nonnull (d);
  ck_assert_str_eq (d->name, "vda");
  /* every field must agree */
  ck_assert_ptr_null (match (view, "{\"dev\":\"/dev/vda\",\"serial\":\"other\"}", &e1));
  assert_error (e1, QW_ERROR_DEVICE_NOT_FOUND, "serial 'other'");
  ck_assert_ptr_null (match (view, "{\"dev\":\"/dev/vda\",\"bus-type\":\"scsi\"}", &e2));
  assert_error (e2, QW_ERROR_DEVICE_NOT_FOUND, "bus-type 'scsi'");
  /* every loop disk is file-backed-virtual */
  ck_assert_ptr_null (match (view, "{\"bus-type\":\"file-backed-virtual\"}", &e3));
  assert_error (e3, QW_ERROR_GENERIC, "is ambiguous: it matches");
}
END_TEST

START_TEST (test_match_no_identity)
{
  g_autoptr (QaPolicy) policy = policy_only_under (MNT);
  g_autoptr (QaFsView) view = scan_lab (policy);
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;

  ck_assert_ptr_null (match (view, "{\"name\":\"vda\"}", &e1));
  assert_error (e1, QW_ERROR_GENERIC, "Disk name 'vda' carries no identity");
  ck_assert_ptr_null (match (view, "{}", &e2));
  assert_error (e2, QW_ERROR_GENERIC, "carries no identity");
}
END_TEST

/* ---- the synthetic tree -------------------------------------------------- */

static char *synthetic_dir;  /* temp dir holding the tree at "tree" */
static char *synthetic_root;

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove (path);
}

static void
synthetic_setup (void)
{
  g_autofree char *script = source_path ("tests/data/sysroot/mk-synthetic.py");
  g_autofree char *python = g_find_program_in_path ("python3");
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  ck_assert_msg (python != NULL, "python3 is needed to write the synthetic tree");
  /* some 6,000 small files: tmpfs makes and removes them fastest */
  if (access ("/dev/shm", W_OK) == 0)
    {
      char *tmpl = g_strdup ("/dev/shm/quiesce-synthetic.XXXXXX");
      if (g_mkdtemp (tmpl) != NULL)
        synthetic_dir = tmpl;
      else
        g_free (tmpl);
    }
  if (synthetic_dir == NULL)
    synthetic_dir = g_dir_make_tmp ("quiesce-synthetic.XXXXXX", &error);
  ck_assert_msg (synthetic_dir != NULL, "%s", error != NULL ? error->message : "");
  synthetic_root = g_build_filename (synthetic_dir, "tree", NULL);
  {
    char *argv[] = { python, script, synthetic_root, NULL };
    ck_assert_msg (g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                 &status, &error),
                   "%s", error != NULL ? error->message : "");
  }
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0, "mk-synthetic.py failed: %s",
                 err);
}

static void
synthetic_teardown (void)
{
  if (synthetic_dir != NULL)
    nftw (synthetic_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  g_clear_pointer (&synthetic_dir, g_free);
  g_clear_pointer (&synthetic_root, g_free);
}

START_TEST (test_synthetic_scale)
{
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) view = NULL;
  g_autoptr (GHashTable) disks = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autofree gboolean *seen_rank = NULL;
  gint64 t0, t1;
  guint dm = 0, edges = 0;

  t0 = g_get_monotonic_time ();
  view = scan_tree (synthetic_root, policy);
  t1 = g_get_monotonic_time ();
  printf ("synthetic tree: %u mounts, %u filesystems scanned in %.1f ms\n", view->mounts->len,
          view->fs->len, (t1 - t0) / 1000.0);
  fflush (stdout);

  /* counts from mk-synthetic.py's layout */
  ck_assert_uint_eq (view->mounts->len, 1000);
  ck_assert_uint_eq (view->fs->len, 400);
  ck_assert_uint_eq (count_freezable (view), 384);
  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      for (guint j = 0; j < fs->disks->len; j++)
        g_hash_table_add (disks, ((QaDisk *) g_ptr_array_index (fs->disks, j))->name);
      if (g_str_has_prefix (fs->name, "dm-"))
        {
          ck_assert_uint_eq (fs->disks->len, 2);
          dm++;
        }
      else if (fs->major != 0)
        ck_assert_uint_eq (fs->disks->len, 1);
      else
        ck_assert_uint_eq (fs->disks->len, 0);
    }
  ck_assert_uint_eq (g_hash_table_size (disks), 256);
  ck_assert_uint_eq (dm, 64);
  /* bind 10 is of the 11th block superblock, loop9's; escapes decoded */
  ck_assert_str_eq (qa_fs_view_lookup (view, "/bind/with space 10", NULL)->mountpoint,
                    "/loops/9");
  ck_assert_uint_eq (fs_first_at (view, "/")->mountpoints->len, 3); /* /, binds 0 and 384 */

  /* ranks: a permutation; a child mount's filesystem before its parent's */
  seen_rank = g_new0 (gboolean, view->fs->len);
  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      ck_assert_uint_lt (fs->rank, view->fs->len);
      ck_assert (!seen_rank[fs->rank]);
      seen_rank[fs->rank] = TRUE;
    }
  for (guint i = 0; i < view->mounts->len; i++)
    {
      QaMount *m = g_ptr_array_index (view->mounts, i);
      g_hash_table_insert (by_id, GUINT_TO_POINTER (m->id), m);
    }
  for (guint i = 0; i < view->mounts->len; i++)
    {
      QaMount *m = g_ptr_array_index (view->mounts, i);
      QaMount *p = g_hash_table_lookup (by_id, GUINT_TO_POINTER (m->parent_id));
      g_autofree char *ck = g_strdup_printf ("%u:%u", m->major, m->minor);
      g_autofree char *pk = p != NULL ? g_strdup_printf ("%u:%u", p->major, p->minor) : NULL;
      QaFs *child = NULL, *parent = NULL;

      if (p == NULL || g_strcmp0 (ck, pk) == 0)
        continue;
      for (guint j = 0; j < view->fs->len; j++)
        {
          QaFs *fs = g_ptr_array_index (view->fs, j);
          g_autofree char *k = qa_fs_key (fs);
          if (g_strcmp0 (k, ck) == 0)
            child = fs;
          if (g_strcmp0 (k, pk) == 0)
            parent = fs;
        }
      ck_assert (child != NULL && parent != NULL);
      ck_assert_msg (child->rank < parent->rank, "'%s' (rank %u) must freeze before '%s' (%u)",
                     m->mountpoint, child->rank, p->mountpoint, parent->rank);
      edges++;
    }
  ck_assert_uint_gt (edges, 600);
}
END_TEST

START_TEST (test_synthetic_loop_backing)
{
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) view = scan_tree (synthetic_root, policy);
  guint loops = 0;

  /* loop N is backed by a file on /srv/d(N+1), listed after it: it must
   * still freeze first, partitioned (loopNp1) or not */
  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      const QaDisk *d;
      g_autofree char *holder = NULL;
      QaFs *hfs;

      if (fs->disks->len != 1)
        continue;
      d = g_ptr_array_index (fs->disks, 0);
      if (!g_str_has_prefix (d->name, "loop"))
        continue;
      holder = g_strdup_printf ("/srv/d%d", atoi (d->name + 4) + 1);
      hfs = fs_first_at (view, holder);
      ck_assert_msg (fs->rank < hfs->rank,
                     "'%s' on %s (backed by a file on '%s') has rank %u, after %u", fs->mountpoint,
                     fs->name, holder, fs->rank, hfs->rank);
      loops++;
    }
  ck_assert_uint_eq (loops, 64);
}
END_TEST

START_TEST (test_synthetic_match)
{
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) view = scan_tree (synthetic_root, policy);
  const QaDisk *d;

  /* the serial a host configured, from sysfs */
  d = match (view, "{\"serial\":\"SYNTHNVME0007\"}", NULL);
  ck_assert_ptr_nonnull (d);
  ck_assert_str_eq (d->name, "nvme7n1");
  d = match (view, "{\"serial\":\"synth-vd-0027\"}", NULL);
  ck_assert_ptr_nonnull (d);
  ck_assert_str_eq (d->dev, "/dev/vdab");
  /* a dm slave's disk is a disk beneath a mounted filesystem */
  d = match (view, "{\"dev\":\"/dev/vdb\"}", NULL);
  ck_assert_ptr_nonnull (d);
}
END_TEST

START_TEST (test_synthetic_wwn)
{
  /* DESIGN 3.2: a DiskSpec may carry wwn; NVMe namespaces have sysfs wwid */
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  g_autoptr (QaFsView) view = scan_tree (synthetic_root, policy);
  g_autoptr (GError) error = NULL;
  const QaDisk *d = match (view, "{\"wwn\":\"eui.5157ab0000000005\"}", &error);

  ck_assert_msg (d != NULL, "wwn did not match: %s", error != NULL ? error->message : "");
  ck_assert_str_eq (d->name, "nvme5n1");
  ck_assert_str_eq (d->wwn, "eui.5157ab0000000005");
}
END_TEST

static Suite *
resolver_suite (void)
{
  Suite *s = suite_create ("resolver");
  TCase *tc;

  tc = tcase_create ("mounts");
  tcase_add_test (tc, test_mounts_fields);
  tcase_add_test (tc, test_mounts_optional_fields);
  tcase_add_test (tc, test_mounts_escapes);
  tcase_add_test (tc, test_mounts_unescape_edges);
  tcase_add_test (tc, test_mounts_table);
  tcase_add_test (tc, test_mounts_malformed);
  suite_add_tcase (s, tc);

  tc = tcase_create ("loop-lab");
  tcase_add_test (tc, test_lab_golden);
  tcase_add_test (tc, test_lab_superblocks);
  tcase_add_test (tc, test_lab_loop_backing);
  tcase_add_test (tc, test_lab_freeze_order);
  tcase_add_test (tc, test_lab_btrfs_members);
  tcase_add_test (tc, test_lab_levels);
  suite_add_tcase (s, tc);

  tc = tcase_create ("policy");
  tcase_add_test (tc, test_policy_only_under_strict);
  tcase_add_test (tc, test_policy_only_under_prefix);
  tcase_add_test (tc, test_policy_exclude_mountpoint);
  tcase_add_test (tc, test_policy_exclude_other_mount);
  tcase_add_test (tc, test_policy_exclude_fstype);
  tcase_add_test (tc, test_policy_protect);
  tcase_add_test (tc, test_policy_protect_default_and_by_id);
  suite_add_tcase (s, tc);

  tc = tcase_create ("lookup");
  tcase_add_test (tc, test_lookup_found);
  tcase_add_test (tc, test_lookup_errors);
  tcase_add_test (tc, test_lookup_overmount);
  suite_add_tcase (s, tc);

  tc = tcase_create ("match");
  tcase_add_test (tc, test_match_dev);
  tcase_add_test (tc, test_match_fields);
  tcase_add_test (tc, test_match_no_identity);
  suite_add_tcase (s, tc);

  tc = tcase_create ("synthetic");
  tcase_set_timeout (tc, 300); /* valgrind */
  tcase_add_unchecked_fixture (tc, synthetic_setup, synthetic_teardown);
  tcase_add_test (tc, test_synthetic_scale);
  tcase_add_test (tc, test_synthetic_loop_backing);
  tcase_add_test (tc, test_synthetic_match);
  tcase_add_test (tc, test_synthetic_wwn);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *runner = srunner_create (resolver_suite ());
  int failed;

  srunner_run_all (runner, CK_ENV);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
