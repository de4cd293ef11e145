/* SPDX-License-Identifier: GPL-2.0-or-later */
/* guest-get-fsinfo and guest-get-disks over the recorded VM lab
 * (tests/data/sysroot/vm-lab, see its README), checked field by field
 * against what Debian's qemu-ga 7.2 answered in the same guest
 * (fsinfo-qemu-ga.json, disks-qemu-ga.json beside the recording).
 *
 * Every field qemu-ga reports must be equal, except where DESIGN.md says
 * otherwise, each named here:
 *   - virtio-scsi "target" is the real SCSI target (1), not qemu-ga's 0;
 *   - a multi-device btrfs lists every member (qemu-ga: the first only);
 *   - quiesce adds "serial" (from sysfs; qemu-ga needs udev), "wwn",
 *     "total-bytes-privileged" and the dm "alias". */
#include "config.h"

#include <check.h>
#include <string.h>

#include "qa-dispatch.h"
#include "qw-error.h"

static char *
sysroot_path (const char *name, const char *rel)
{
  const char *src = g_getenv ("QUIESCE_SOURCE_DIR");
  return g_build_filename (src != NULL ? src : ".", "tests", "data", "sysroot", name, rel, NULL);
}

static char *
lab_path (const char *rel)
{
  return sysroot_path ("vm-lab", rel);
}

static int
nop_open (gpointer u, const char *p, dev_t d)
{
  ck_abort_msg ("nothing may be opened for freezing here");
  return -1;
}

static int
nop_call (gpointer u, int fd, const char *p)
{
  return 0;
}

static void
nop_close (gpointer u, int fd)
{
}

static const QaFreezeOps nop_ops = { nop_open, nop_call, nop_call, nop_call, nop_close, NULL };

typedef struct
{
  gboolean done;
  char *reply;
} Reply;

static void
on_reply (GBytes *bytes, gboolean delimit, gpointer user_data)
{
  Reply *r = user_data;
  r->done = TRUE;
  r->reply = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* run one command through the real dispatcher on a recorded sysroot */
static JsonNode *
run_in (const char *sysroot_name, const char *request)
{
  g_autofree char *root = sysroot_path (sysroot_name, "");
  g_autoptr (QaSysroot) sysroot = qa_sysroot_new (root);
  g_autoptr (QaPolicy) policy = qa_policy_new ();
  QaTableLimits limits = { 0 };
  g_autoptr (QaFreezeTable) table = qa_freeze_table_new (&nop_ops, NULL, &limits);
  QaContext ctx = { sysroot, policy, table, 60, 256, "test" };
  Reply r = { 0 };
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *obj;

  policy->only_under = g_strdup ("/mnt");
  qa_dispatch_message (&ctx, request, strlen (request), on_reply, &r);
  ck_assert (r.done);
  ck_assert (json_parser_load_from_data (parser, r.reply, -1, NULL));
  obj = json_node_get_object (json_parser_get_root (parser));
  ck_assert_msg (json_object_has_member (obj, "return"), "%s", r.reply);
  g_free (r.reply);
  return json_node_copy (json_object_get_member (obj, "return"));
}

static JsonNode *
run (const char *request)
{
  return run_in ("vm-lab", request);
}

static JsonNode *
load (const char *name)
{
  g_autofree char *path = lab_path (name);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  ck_assert_msg (json_parser_load_from_file (parser, path, NULL), "cannot read %s", path);
  root = json_parser_get_root (parser);
  if (JSON_NODE_HOLDS_OBJECT (root) && json_object_has_member (json_node_get_object (root), "return"))
    root = json_object_get_member (json_node_get_object (root), "return");
  return json_node_copy (root);
}

/* every member of qemu-ga's address equals ours, but for the documented
 * virtio-scsi target */
static void
assert_address (JsonObject *theirs, JsonObject *ours, const char *where)
{
  g_autoptr (GList) members = json_object_get_members (theirs);
  gboolean scsi = g_strcmp0 (json_object_get_string_member (theirs, "bus-type"), "scsi") == 0;

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *m = l->data;
      JsonNode *a = json_object_get_member (theirs, m);
      JsonNode *b = json_object_get_member (ours, m);

      ck_assert_msg (b != NULL, "%s: quiesce has no '%s'", where, m);
      if (scsi && g_strcmp0 (m, "target") == 0)
        {
          /* the lab's virtio-scsi disk is scsi-id 1, lun 2 */
          ck_assert_int_eq (json_node_get_int (a), 0);
          ck_assert_int_eq (json_node_get_int (b), 1);
          continue;
        }
      ck_assert_msg (json_node_equal (a, b), "%s: '%s' differs", where, m);
    }
}

static JsonObject *
find_disk (JsonArray *disks, const char *dev)
{
  for (guint i = 0; i < json_array_get_length (disks); i++)
    {
      JsonObject *d = json_array_get_object_element (disks, i);
      if (g_strcmp0 (json_object_get_string_member (d, "dev"), dev) == 0)
        return d;
    }
  return NULL;
}

START_TEST (test_fsinfo_like_qemu_ga)
{
  g_autoptr (JsonNode) ours_node = run ("{\"execute\":\"guest-get-fsinfo\"}");
  g_autoptr (JsonNode) theirs_node = load ("fsinfo-qemu-ga.json");
  JsonArray *ours = json_node_get_array (ours_node);
  JsonArray *theirs = json_node_get_array (theirs_node);
  guint extra_members = 0;

  /* the same filesystems in the same (reverse mount) order */
  ck_assert_uint_eq (json_array_get_length (ours), json_array_get_length (theirs));
  for (guint i = 0; i < json_array_get_length (theirs); i++)
    {
      JsonObject *t = json_array_get_object_element (theirs, i);
      JsonObject *o = json_array_get_object_element (ours, i);
      const char *mp = json_object_get_string_member (t, "mountpoint");
      JsonArray *td = json_object_get_array_member (t, "disk");
      JsonArray *od = json_object_get_array_member (o, "disk");

      ck_assert_str_eq (json_object_get_string_member (o, "mountpoint"), mp);
      ck_assert_str_eq (json_object_get_string_member (o, "name"),
                        json_object_get_string_member (t, "name"));
      ck_assert_str_eq (json_object_get_string_member (o, "type"),
                        json_object_get_string_member (t, "type"));
      /* the byte counts need statvfs of the live guest: checked by the
       * integration tests, not on a recording */
      for (guint j = 0; j < json_array_get_length (td); j++)
        {
          JsonObject *tdisk = json_array_get_object_element (td, j);
          const char *dev = json_object_get_string_member (tdisk, "dev");
          JsonObject *odisk = find_disk (od, dev);
          g_autofree char *where = g_strdup_printf ("%s %s", mp, dev);

          ck_assert_msg (odisk != NULL, "%s: quiesce lists no disk %s", mp, dev);
          assert_address (tdisk, odisk, where);
          /* the serial the host configured, from sysfs */
          ck_assert_msg (json_object_has_member (odisk, "serial"), "%s: no serial", where);
        }
      if (json_array_get_length (od) > json_array_get_length (td))
        {
          /* only the btrfs has more: its second device */
          ck_assert_str_eq (json_object_get_string_member (o, "type"), "btrfs");
          ck_assert_uint_eq (json_array_get_length (od), 2);
          ck_assert_str_eq (json_object_get_string_member (
                                json_array_get_object_element (od, 1), "serial"),
                            "QZ-BTR-2");
          extra_members++;
        }
      else
        ck_assert_uint_eq (json_array_get_length (od), json_array_get_length (td));
    }
  ck_assert_uint_eq (extra_members, 1);
}
END_TEST

START_TEST (test_disks_like_qemu_ga)
{
  g_autoptr (JsonNode) ours_node = run ("{\"execute\":\"guest-get-disks\"}");
  g_autoptr (JsonNode) theirs_node = load ("disks-qemu-ga.json");
  JsonArray *ours = json_node_get_array (ours_node);
  JsonArray *theirs = json_node_get_array (theirs_node);

  ck_assert_uint_eq (json_array_get_length (ours), json_array_get_length (theirs));
  for (guint i = 0; i < json_array_get_length (theirs); i++)
    {
      JsonObject *t = json_array_get_object_element (theirs, i);
      const char *name = json_object_get_string_member (t, "name");
      JsonObject *o = NULL;

      for (guint j = 0; j < json_array_get_length (ours); j++)
        if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (ours, j),
                                                      "name"),
                       name)
            == 0)
          o = json_array_get_object_element (ours, j);
      ck_assert_msg (o != NULL, "quiesce lists no %s", name);
      ck_assert_int_eq (json_object_get_boolean_member (o, "partition"),
                        json_object_get_boolean_member (t, "partition"));
      ck_assert_msg (json_node_equal (json_object_get_member (t, "dependencies"),
                                      json_object_get_member (o, "dependencies")),
                     "%s: dependencies differ", name);
      ck_assert_int_eq (json_object_has_member (o, "address"),
                        json_object_has_member (t, "address"));
      if (json_object_has_member (t, "address"))
        assert_address (json_object_get_object_member (t, "address"),
                        json_object_get_object_member (o, "address"), name);
    }
}
END_TEST

START_TEST (test_match_by_serial_and_span)
{
  /* one PV of the spanning LV: the LV's filesystem, spans naming the other */
  g_autoptr (JsonNode) r = run ("{\"execute\":\"guest-fsfreeze-resolve\",\"arguments\":"
                                "{\"disks\":[{\"serial\":\"QZ-LV-1\",\"name\":\"vdc\"}]}}");
  JsonArray *fs = json_object_get_array_member (json_node_get_object (r), "filesystems");
  JsonObject *lv;

  ck_assert_uint_eq (json_array_get_length (fs), 1);
  lv = json_array_get_object_element (fs, 0);
  ck_assert_str_eq (json_object_get_string_member (lv, "mountpoint"), "/mnt/lv");
  ck_assert_str_eq (json_array_get_string_element (json_object_get_array_member (lv, "spans"), 0),
                    "/dev/vdd");
}
END_TEST

START_TEST (test_match_by_address)
{
  /* the virtio-scsi disk at target 1, LUN 2, and the SATA disk by port */
  g_autoptr (JsonNode) scsi = run (
      "{\"execute\":\"guest-fsfreeze-resolve\",\"arguments\":{\"disks\":[{\"bus-type\":\"scsi\","
      "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":5,\"function\":0},\"target\":1,"
      "\"unit\":2}]}}");
  g_autoptr (JsonNode) sata = run (
      "{\"execute\":\"guest-fsfreeze-resolve\",\"arguments\":{\"disks\":[{\"bus-type\":\"sata\","
      "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":6,\"function\":0},\"unit\":0}]}}");
  g_autoptr (JsonNode) nvme = run ("{\"execute\":\"guest-fsfreeze-resolve\",\"arguments\":"
                                   "{\"disks\":[{\"serial\":\"QZ-NVME\"}]}}");
  const char *mp;

  mp = json_object_get_string_member (
      json_array_get_object_element (
          json_object_get_array_member (json_node_get_object (scsi), "filesystems"), 0),
      "mountpoint");
  ck_assert_str_eq (mp, "/mnt/scsi");
  mp = json_object_get_string_member (
      json_array_get_object_element (
          json_object_get_array_member (json_node_get_object (sata), "filesystems"), 0),
      "mountpoint");
  ck_assert_str_eq (mp, "/mnt/sata");
  mp = json_object_get_string_member (
      json_array_get_object_element (
          json_object_get_array_member (json_node_get_object (nvme), "filesystems"), 0),
      "mountpoint");
  ck_assert_str_eq (mp, "/mnt/nvme");
}
END_TEST

/* every recorded sysroot: guest-get-fsinfo and guest-get-disks against
 * golden files (QUIESCE_UPDATE_GOLDEN=1 rewrites them; review the diff) */
START_TEST (test_golden)
{
  static const char *const names[] = { "loop-lab", "vm-lab", "host-vda" };
  static const char *const commands[] = { "guest-get-fsinfo", "guest-get-disks" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    for (guint j = 0; j < G_N_ELEMENTS (commands); j++)
      {
        g_autofree char *request = g_strdup_printf ("{\"execute\":\"%s\"}", commands[j]);
        g_autoptr (JsonNode) got = run_in (names[i], request);
        g_autoptr (JsonGenerator) gen = json_generator_new ();
        g_autofree char *text = NULL;
        g_autofree char *file = g_strdup_printf ("%s.%s.golden.json", names[i],
                                                 commands[j] + strlen ("guest-get-"));
        g_autofree char *path = sysroot_path (file, NULL);
        g_autofree char *want = NULL;

        json_generator_set_pretty (gen, TRUE);
        json_generator_set_root (gen, got);
        text = json_generator_to_data (gen, NULL);
        if (g_getenv ("QUIESCE_UPDATE_GOLDEN") != NULL)
          ck_assert (g_file_set_contents (path, text, -1, NULL));
        ck_assert_msg (g_file_get_contents (path, &want, NULL, NULL), "no golden file %s", path);
        ck_assert_msg (g_strcmp0 (g_strstrip (want), g_strstrip (text)) == 0,
                       "%s of %s differs from %s:\n%s", commands[j], names[i], path, text);
      }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("fsinfo");
  TCase *tc = tcase_create ("vm-lab");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_fsinfo_like_qemu_ga);
  tcase_add_test (tc, test_disks_like_qemu_ga);
  tcase_add_test (tc, test_match_by_serial_and_span);
  tcase_add_test (tc, test_match_by_address);
  tcase_add_test (tc, test_golden);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
