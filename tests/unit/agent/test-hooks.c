/* SPDX-License-Identifier: GPL-2.0-or-later */
/* freeze hooks: order, environment, failure rollback, the timeout that
 * kills a hook's process group, refused files, qemu-ga's single script,
 * and a failing hook failing an acquire before any FIFREEZE.
 * Hooks must be owned by root, so this needs root (else it skips). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qa-freeze-table.h"
#include "qa-hooks.h"
#include "qw-error.h"

static char *dir;   /* the hook directory */
static char *hooklog;  /* where the hooks write what they saw */

static void
write_hook (const char *name, const char *body, mode_t mode)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf ("#!/bin/sh\n%s\n", body);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  ck_assert_int_eq (chmod (path, mode), 0);
}

/* a hook that logs "NAME PHASE handle=H owner=O mps=M1|M2" */
static void
logging_hook (const char *name, const char *extra)
{
  g_autofree char *body = g_strdup_printf (
      "echo \"%s $1 handle=$QUIESCE_HANDLE owner=$QUIESCE_OWNER mps=$(echo \"$QUIESCE_MOUNTPOINTS\" "
      "| tr '\\n' '|')\" >> '%s'\n%s",
      name, hooklog, extra != NULL ? extra : "");
  write_hook (name, body, 0755);
}

static char *
read_log (void)
{
  char *text = NULL;
  if (!g_file_get_contents (hooklog, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

static void
setup (void)
{
  dir = g_dir_make_tmp ("qa-hooks-XXXXXX", NULL);
  hooklog = g_build_filename (dir, ".log", NULL);
}

static void
teardown (void)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  ck_assert_int_eq (system (cmd), 0);
  g_free (dir);
  g_free (hooklog);
}

static GPtrArray *
mps (void)
{
  GPtrArray *a = g_ptr_array_new ();
  g_ptr_array_add (a, (gpointer) "/mnt/a");
  g_ptr_array_add (a, (gpointer) "/mnt/b");
  return a;
}

START_TEST (test_order_and_env)
{
  g_autoptr (QaHooks) hooks = qa_hooks_new (dir, NULL, 10);
  g_autoptr (GPtrArray) m = mps ();
  QaHookEnv env = { 42, "nightly", m };
  g_autofree char *log = NULL;

  logging_hook ("20-b", NULL);
  logging_hook ("10-a", NULL);
  logging_hook ("30-c", NULL);
  /* not hooks: a backup and a package leftover */
  logging_hook ("40-d~", NULL);
  logging_hook ("50-e.dpkg-old", NULL);
  ck_assert (qa_hooks_run_freeze (hooks, &env, NULL));
  ck_assert (qa_hooks_run_thaw (hooks, &env, NULL));
  log = read_log ();
  ck_assert_str_eq (log,
                    "10-a freeze handle=42 owner=nightly mps=/mnt/a|/mnt/b|\n"
                    "20-b freeze handle=42 owner=nightly mps=/mnt/a|/mnt/b|\n"
                    "30-c freeze handle=42 owner=nightly mps=/mnt/a|/mnt/b|\n"
                    "30-c thaw handle=42 owner=nightly mps=/mnt/a|/mnt/b|\n"
                    "20-b thaw handle=42 owner=nightly mps=/mnt/a|/mnt/b|\n"
                    "10-a thaw handle=42 owner=nightly mps=/mnt/a|/mnt/b|\n");
}
END_TEST

START_TEST (test_failure_rolls_back)
{
  g_autoptr (QaHooks) hooks = qa_hooks_new (dir, NULL, 10);
  g_autoptr (GPtrArray) m = mps ();
  QaHookEnv env = { 7, NULL, m };
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;

  logging_hook ("10-a", NULL);
  logging_hook ("20-b", "[ \"$1\" = freeze ] && { echo 'database refused'; exit 3; }\nexit 0");
  logging_hook ("30-c", NULL);
  ck_assert (!qa_hooks_run_freeze (hooks, &env, &error));
  ck_assert_msg (strstr (error->message, "20-b' has failed with status 3: database refused")
                     != NULL,
                 "%s", error->message);
  log = read_log ();
  /* c never ran; a, which had frozen, got thaw; b did not */
  ck_assert_str_eq (log, "10-a freeze handle=7 owner= mps=/mnt/a|/mnt/b|\n"
                         "20-b freeze handle=7 owner= mps=/mnt/a|/mnt/b|\n"
                         "10-a thaw handle=7 owner= mps=/mnt/a|/mnt/b|\n");
}
END_TEST

START_TEST (test_timeout_kills_group)
{
  g_autoptr (QaHooks) hooks = qa_hooks_new (dir, NULL, 1);
  g_autoptr (GPtrArray) m = mps ();
  QaHookEnv env = { 1, NULL, m };
  g_autoptr (GError) error = NULL;
  g_autofree char *pidfile = g_build_filename (dir, ".child", NULL);
  g_autofree char *body = g_strdup_printf ("sleep 1000 &\necho $! > '%s'\nsleep 1000", pidfile);
  g_autofree char *pidtext = NULL;
  gint64 t0 = g_get_monotonic_time ();
  pid_t child;

  write_hook ("10-stuck", body, 0755);
  ck_assert (!qa_hooks_run_freeze (hooks, &env, &error));
  ck_assert_msg (strstr (error->message, "did not finish within 1 s") != NULL, "%s",
                 error->message);
  ck_assert_int_lt (g_get_monotonic_time () - t0, 20 * G_USEC_PER_SEC);
  ck_assert (g_file_get_contents (pidfile, &pidtext, NULL, NULL));
  child = (pid_t) g_ascii_strtoll (pidtext, NULL, 10);
  ck_assert_int_gt (child, 0);
  /* the hook's own child went with its process group (it may linger as a
   * zombie of init for a moment) */
  for (int i = 0; i < 100 && kill (child, 0) == 0; i++)
    {
      g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", child);
      g_autofree char *st = NULL;
      if (g_file_get_contents (stat_path, &st, NULL, NULL) && strstr (st, ") Z ") != NULL)
        break;
      g_usleep (20000);
    }
  {
    g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", child);
    g_autofree char *st = NULL;
    ck_assert_msg (!g_file_get_contents (stat_path, &st, NULL, NULL) || strstr (st, ") Z ") != NULL,
                   "the hook's child %d survived the timeout", child);
  }
}
END_TEST

START_TEST (test_unsafe_refused)
{
  g_autoptr (QaHooks) hooks = qa_hooks_new (dir, NULL, 10);
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *other = g_build_filename (dir, "30-not-root", NULL);
  g_autofree char *writable = g_build_filename (dir, "20-group-writable", NULL);

  logging_hook ("10-ok", NULL);
  logging_hook ("20-group-writable", NULL);
  ck_assert_int_eq (chmod (writable, 0775), 0);
  logging_hook ("30-not-root", NULL);
  ck_assert_int_eq (chown (other, 65534, 65534), 0);
  write_hook ("40-not-executable", "exit 0", 0644);
  list = qa_hooks_list (hooks);
  ck_assert_uint_eq (list->len, 1);
  ck_assert (g_str_has_suffix (g_ptr_array_index (list, 0), "/10-ok"));
}
END_TEST

START_TEST (test_single_script)
{
  g_autofree char *single_dir = g_build_filename (dir, "single", NULL);
  g_autofree char *single = g_build_filename (single_dir, "fsfreeze-hook", NULL);
  g_autofree char *body = g_strdup_printf ("#!/bin/sh\necho \"single $1\" >> '%s'\n", hooklog);
  g_autoptr (QaHooks) hooks = NULL;
  g_autoptr (GPtrArray) m = mps ();
  QaHookEnv env = { 1, NULL, m };
  g_autofree char *log = NULL;
  g_autofree char *a_body = g_strdup_printf ("echo \"10-a $1\" >> '%s'", hooklog);

  g_mkdir (single_dir, 0755);
  ck_assert (g_file_set_contents (single, body, -1, NULL));
  ck_assert_int_eq (chmod (single, 0755), 0);
  hooks = qa_hooks_new (dir, single, 10);
  write_hook ("10-a", a_body, 0755);
  ck_assert (qa_hooks_run_freeze (hooks, &env, NULL));
  ck_assert (qa_hooks_run_thaw (hooks, &env, NULL));
  log = read_log ();
  ck_assert_str_eq (log, "single freeze\n10-a freeze\n10-a thaw\nsingle thaw\n");
}
END_TEST

/* ---- a failing hook fails the acquire before any FIFREEZE ------------- */

static guint freezes;

static int
nop_open (gpointer u, const char *p, dev_t d)
{
  return 100;
}

static int
count_freeze (gpointer u, int fd, const char *p)
{
  g_atomic_int_inc (&freezes);
  return 0;
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

static const QaFreezeOps ops = { nop_open, count_freeze, nop_call, nop_call, nop_close, NULL };

static void
on_done (const QaTableResult *r, const GError *error, gpointer user_data)
{
  GError **out = user_data;
  *out = error != NULL ? g_error_copy (error) : g_error_new_literal (QW_ERROR, 999, "ok");
}

START_TEST (test_acquire_fails_on_hook)
{
  g_autoptr (QaHooks) hooks = qa_hooks_new (dir, NULL, 10);
  QaTableLimits limits = { 0 };
  g_autoptr (QaFreezeTable) table = qa_freeze_table_new (&ops, NULL, &limits);
  g_autoptr (GPtrArray) fs = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  QaFs f = { 0 };

  f.ref_count = 1000;
  f.major = 7;
  f.mountpoint = (char *) "/mnt/a";
  f.fstype = (char *) "ext4";
  f.name = (char *) "loop0";
  g_ptr_array_add (fs, &f);
  write_hook ("10-no", "exit 5", 0755);
  qa_freeze_table_set_hooks (table, hooks);
  qa_freeze_table_acquire (table, fs, "t", 60, on_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_int_eq (error->code, QW_ERROR_GENERIC);
  ck_assert_msg (strstr (error->message, "status 5") != NULL, "%s", error->message);
  ck_assert_uint_eq (freezes, 0);
  ck_assert (!qa_freeze_table_is_frozen (table));
  ck_assert_uint_eq (qa_freeze_table_n_handles (table), 0);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("hooks");
  TCase *tc = tcase_create ("hooks");
  SRunner *sr;
  int failed;

  if (geteuid () != 0)
    {
      g_print ("SKIP: hooks must be owned by root, so this test needs root\n");
      return 77;
    }
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_order_and_env);
  tcase_add_test (tc, test_failure_rolls_back);
  tcase_add_test (tc, test_timeout_kills_group);
  tcase_add_test (tc, test_unsafe_refused);
  tcase_add_test (tc, test_single_script);
  tcase_add_test (tc, test_acquire_fails_on_hook);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
