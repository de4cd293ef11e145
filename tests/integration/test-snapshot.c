/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root integration tests of `quiesce snapshot-create` / `snapshot-recover`
 * against the real quiesce-agent on loop filesystems (qt-harness: the
 * agent runs with --only-under the test's own directory; writers show
 * what the kernel really has frozen).
 *
 *  - crash at every step: QUIESCE_TEST_CRASH_AFTER=STEP kills the CLI
 *    with SIGKILL after STEP; snapshot-recover must leave nothing frozen,
 *    no lease held, and report the right outcome for that step;
 *  - the agent killed during the action: the run ends suspect, loudly,
 *    and nothing stays frozen;
 *  - consistency: a copy of the image taken under snapshot-create is
 *    e2fsck-clean and holds only whole records of a writer that appends
 *    and fsyncs; a plain copy taken while writing is shown to need
 *    journal recovery;
 *  - two tools, one image: the second fails fast (exit 7) naming the
 *    holder, or waits with --lease-wait;
 *  - two runs on two different disks of one agent at once: no lease
 *    conflict, both filesystems frozen while both actions run, each
 *    thawed when its own run ends (writers as the witness). */
#include "qt-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- running the CLI ---- */

typedef struct
{
  int status; /* exit code; -1 when killed by a signal */
  int signal; /* the signal that killed it, or 0 */
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static const char *
cli_path (void)
{
  const char *env = g_getenv ("QUIESCE_CLI");

  return env != NULL ? env : "quiesce";
}

typedef struct
{
  char *sock;
  char *state;
  char *leases;
  char *image;
  char *dev;
  const char *mp;
} Lab;

static void
lab_clear (Lab *lab)
{
  g_free (lab->sock);
  g_free (lab->state);
  g_free (lab->leases);
  g_free (lab->image);
  g_free (lab->dev);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Lab, lab_clear)

/* the backing file of a loop device, from sysfs */
static char *
loop_backing_file (const char *dev)
{
  g_autofree char *base = g_path_get_basename (dev);
  g_autofree char *path = g_strdup_printf ("/sys/block/%s/loop/backing_file", base);
  g_autofree char *text = NULL;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  return g_strdup (g_strstrip (text));
}

static void
lab_setup (QtHarness *h, Lab *lab)
{
  lab->mp = qt_fs_add (h, "a", "ext4", 64);
  lab->dev = g_strdup (qt_fs_device (h, lab->mp));
  lab->image = loop_backing_file (lab->dev);
  lab->state = g_build_filename (qt_test_dir (h), "host-state", NULL);
  lab->leases = g_build_filename (qt_test_dir (h), "leases", NULL);
  g_mkdir_with_parents (lab->leases, 0700);
  qt_agent_start (h, NULL);
  lab->sock = g_strdup (qt_agent_socket (h));
}

/* quiesce -c unix:SOCK --state-dir S [--json] ARGS...; CRASH: the value of
 * QUIESCE_TEST_CRASH_AFTER or NULL */
static GSubprocess *
cli_spawn (Lab *lab, const char *crash, gboolean json, const char *const *args)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  GSubprocess *p;

  g_ptr_array_add (argv, g_strdup (cli_path ()));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strconcat ("unix:", lab->sock, NULL));
  g_ptr_array_add (argv, g_strdup ("--state-dir"));
  g_ptr_array_add (argv, g_strdup (lab->state));
  if (json)
    g_ptr_array_add (argv, g_strdup ("--json"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  if (crash != NULL)
    g_subprocess_launcher_setenv (l, "QUIESCE_TEST_CRASH_AFTER", crash, TRUE);
  else
    g_subprocess_launcher_unsetenv (l, "QUIESCE_TEST_CRASH_AFTER");
  p = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, &error);
  ck_assert_msg (p != NULL, "cannot run %s: %s", cli_path (), error ? error->message : "?");
  return p;
}

static void
cli_finish (GSubprocess *p, Run *r)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (g_subprocess_communicate_utf8 (p, NULL, NULL, &r->out, &r->err, &error),
                 "communicate: %s", error ? error->message : "?");
  r->status = g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p) : -1;
  r->signal = g_subprocess_get_if_signaled (p) ? g_subprocess_get_term_sig (p) : 0;
}

static void
cli_run (Lab *lab, Run *r, const char *crash, gboolean json, const char *const *args)
{
  g_autoptr(GSubprocess) p = cli_spawn (lab, crash, json, args);

  cli_finish (p, r);
}

/* snapshot-create dom --disk dev:DEV=IMAGE --lease lockd --lease-dir L
 * [EXTRA] -- ACTION... */
static GSubprocess *
create_spawn (Lab *lab, const char *crash, const char *extra1, const char *extra2,
              const char *const *action)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (args, g_strdup ("snapshot-create"));
  g_ptr_array_add (args, g_strdup ("dom"));
  g_ptr_array_add (args, g_strdup ("--disk"));
  g_ptr_array_add (args, g_strdup_printf ("dev:%s=%s", lab->dev, lab->image));
  g_ptr_array_add (args, g_strdup ("--lease"));
  g_ptr_array_add (args, g_strdup ("lockd"));
  g_ptr_array_add (args, g_strdup ("--lease-dir"));
  g_ptr_array_add (args, g_strdup (lab->leases));
  if (extra1 != NULL)
    g_ptr_array_add (args, g_strdup (extra1));
  if (extra2 != NULL)
    g_ptr_array_add (args, g_strdup (extra2));
  g_ptr_array_add (args, g_strdup ("--"));
  for (guint i = 0; action[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (action[i]));
  g_ptr_array_add (args, NULL);
  return cli_spawn (lab, crash, FALSE, (const char *const *) args->pdata);
}

static void
create_run (Lab *lab, Run *r, const char *crash, const char *const *action)
{
  g_autoptr(GSubprocess) p = create_spawn (lab, crash, NULL, NULL, action);

  cli_finish (p, r);
}

static JsonObject *
parse_object (const char *text, JsonParser **parser)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  *parser = json_parser_new ();
  ck_assert_msg (json_parser_load_from_data (*parser, text, -1, &error), "bad JSON: %s\n%s",
                 error ? error->message : "?", text);
  root = json_parser_get_root (*parser);
  ck_assert_msg (root != NULL && JSON_NODE_HOLDS_OBJECT (root), "not an object: %s", text);
  return json_node_get_object (root);
}

/* snapshot-recover --json: the reports (the parser keeps them) */
static JsonArray *
recover (Lab *lab, Run *r, JsonParser **parser)
{
  const char *const args[] = { "snapshot-recover", NULL };
  JsonObject *obj;

  cli_run (lab, r, NULL, TRUE, args);
  ck_assert_msg (r->status == 0 || r->status == 6, "snapshot-recover exited %d: %s", r->status,
                 r->err);
  obj = parse_object (r->out, parser);
  return qt_get_array (obj, "runs");
}

/* the lease is free and nothing is frozen: a new run takes it at once and
 * completes (a held lease is exit 7, a frozen filesystem stalls it) */
static void
assert_free (Lab *lab)
{
  const char *const action[] = { "true", NULL };
  g_auto(Run) r = { 0 };

  create_run (lab, &r, NULL, action);
  ck_assert_msg (r.status == 0, "a new snapshot-create after recovery exited %d: %s", r.status,
                 r.err);
}

/* ---- crash at every step ---- */

typedef struct
{
  const char *step;
  gboolean frozen_after; /* the crash leaves the filesystem frozen */
  const char *outcome;   /* what snapshot-recover must report */
} CrashCase;

static const CrashCase crash_cases[] = {
  { "leases", FALSE, "rolled back" },
  { "freeze", TRUE, "rolled back" },
  { "action", TRUE, "completed" },
  { "thaw", FALSE, "completed" },
  { "release", FALSE, "completed" },
};

START_TEST (test_crash_at_every_step)
{
  QtHarness *h = qt_harness ();
  g_auto(Lab) lab = { 0 };

  lab_setup (h, &lab);
  for (guint i = 0; i < G_N_ELEMENTS (crash_cases); i++)
    {
      const CrashCase *c = &crash_cases[i];
      const char *const action[] = { "true", NULL };
      g_auto(Run) r = { 0 };
      g_auto(Run) rr = { 0 };
      g_autoptr(JsonParser) parser = NULL;
      JsonArray *runs;
      JsonObject *report;

      create_run (&lab, &r, c->step, action);
      ck_assert_msg (r.signal == SIGKILL,
                     "QUIESCE_TEST_CRASH_AFTER=%s: expected death by SIGKILL, got exit %d "
                     "signal %d: %s",
                     c->step, r.status, r.signal, r.err);
      /* the kernel is the witness of what the crash left */
      qt_expect (h, lab.mp, c->frozen_after, NULL);

      runs = recover (&lab, &rr, &parser);
      ck_assert_msg (json_array_get_length (runs) == 1,
                     "step %s: snapshot-recover reports %u runs, not 1: %s", c->step,
                     json_array_get_length (runs), rr.out);
      report = qt_obj_at (runs, 0);
      ck_assert_msg (g_strcmp0 (qt_str_or_null (report, "outcome"), c->outcome) == 0,
                     "step %s: outcome '%s', expected '%s': %s", c->step,
                     qt_str_or_null (report, "outcome"), c->outcome, rr.out);
      ck_assert_msg (g_strcmp0 (qt_str_or_null (report, "step"), c->step) == 0,
                     "step %s: the journal's last step is '%s': %s", c->step,
                     qt_str_or_null (report, "step"), rr.out);
      if (c->frozen_after)
        ck_assert_msg (qt_int_or (report, "released-handles", 0) == 1,
                       "step %s: recovery released no handle: %s", c->step, rr.out);
      ck_assert_int_eq (rr.status, 0);

      /* nothing frozen (the blocked writer of above finishes), no lease */
      qt_expect (h, lab.mp, FALSE, NULL);
      assert_free (&lab);

      /* a second recovery finds nothing left */
      {
        g_auto(Run) r2 = { 0 };
        g_autoptr(JsonParser) p2 = NULL;

        ck_assert_int_eq (json_array_get_length (recover (&lab, &r2, &p2)), 0);
      }
      g_print ("crash after %-8s -> %s (%s)\n", c->step, c->outcome,
               qt_str_or_null (report, "notes"));
    }
}
END_TEST

/* the agent dies during the action and comes back on the same state dir */
START_TEST (test_agent_killed_during_action)
{
  QtHarness *h = qt_harness ();
  g_auto(Lab) lab = { 0 };
  const char *const action[] = { "sleep", "3", NULL };
  g_autoptr(GSubprocess) p = NULL;
  g_auto(Run) r = { 0 };
  g_auto(Run) rr = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  JsonArray *runs;

  lab_setup (h, &lab);
  p = create_spawn (&lab, NULL, NULL, NULL, action);
  g_usleep (1000 * 1000);
  qt_expect (h, lab.mp, TRUE, NULL);
  qt_agent_signal (h, SIGKILL);
  ck_assert_msg (qt_agent_wait (h, 5000) != -1, "the agent did not die");
  qt_agent_restart (h);
  cli_finish (p, &r);

  /* never silently: suspect (exit 6, saying so) */
  ck_assert_msg (r.status == 6 && strstr (r.err, "suspect") != NULL,
                 "snapshot-create exited %d (signal %d), expected 6 and 'suspect': %s", r.status,
                 r.signal, r.err);
  runs = recover (&lab, &rr, &parser);
  for (guint i = 0; i < json_array_get_length (runs); i++)
    ck_assert_str_eq (qt_str_or_null (qt_obj_at (runs, i), "outcome"), "suspect");
  qt_expect (h, lab.mp, FALSE, NULL);
  assert_free (&lab);
  g_print ("agent killed during the action: %s", r.err);
}
END_TEST

/* ---- consistency ---- */

#define REC_LEN     128
#define REC_PAYLOAD 100

static guint32
fnv1a (const char *data, gsize len)
{
  guint32 h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    {
      h ^= (guchar) data[i];
      h *= 16777619u;
    }
  return h;
}

/* "SSSSSSSSSS PAYLOAD(100) CCCCCCCC" padded to REC_LEN with '\n' last */
static void
make_record (guint32 seq, char *rec)
{
  char payload[REC_PAYLOAD + 1];
  char head[128];
  int n;

  for (guint i = 0; i < REC_PAYLOAD; i++)
    payload[i] = 'a' + (char) ((seq * 7 + i * 13) % 26);
  payload[REC_PAYLOAD] = '\0';
  n = g_snprintf (head, sizeof head, "%010u %s", seq, payload);
  memset (rec, ' ', REC_LEN);
  memcpy (rec, head, n);
  g_snprintf (rec + n, REC_LEN - n, " %08x", fnv1a (head, n));
  rec[n + 9] = ' ';
  rec[REC_LEN - 1] = '\n';
}

static gboolean
check_record (const char *rec, guint32 seq)
{
  char want[REC_LEN];

  make_record (seq, want);
  return memcmp (rec, want, REC_LEN) == 0;
}

/* a child that appends records with fsync until killed */
static pid_t
writer_start (const char *path)
{
  pid_t pid = fork ();

  ck_assert_msg (pid >= 0, "fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      int fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      char rec[REC_LEN];

      if (fd < 0)
        _exit (1);
      for (guint32 seq = 0;; seq++)
        {
          make_record (seq, rec);
          if (write (fd, rec, REC_LEN) != REC_LEN || fsync (fd) != 0)
            _exit (2);
        }
    }
  return pid;
}

/* call only with the filesystem thawed */
static void
writer_stop (pid_t pid)
{
  int status;

  kill (pid, SIGKILL);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
}

/* e2fsck -fn IMAGE: its exit code and its output */
static int
e2fsck (const char *image, char **output)
{
  const char *const argv[] = { "e2fsck", "-fn", image, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error),
                 "e2fsck: %s", error ? error->message : "?");
  *output = g_strconcat (out, err, NULL);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* e2fsck -n does not replay the journal and still exits 0, but says so:
 * "Warning: skipping journal recovery because doing a read-only
 * filesystem check." */
static gboolean
needs_recovery (const char *fsck_output)
{
  return strstr (fsck_output, "journal recovery") != NULL ||
         strstr (fsck_output, "needs_recovery") != NULL ||
         strstr (fsck_output, "not cleanly unmounted") != NULL;
}

static char *
capture (const char *const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error) &&
                     g_spawn_check_wait_status (status, NULL),
                 "%s failed: %s", argv[0], err != NULL ? err : (error ? error->message : "?"));
  return g_strdup (g_strstrip (out));
}

/* mounts COPY read-only (no journal replay) on a loop device of its own,
 * outside --only-under, and checks that every record is whole; returns
 * how many there are */
static guint
check_copy_records (QtHarness *h, const char *copy)
{
  const char *const losetup[] = { "losetup", "-f", "--show", "-r", copy, NULL };
  g_autofree char *dev = capture (losetup);
  g_autofree char *mnt = g_build_filename (qt_test_dir (h), "copy-mnt", NULL);
  g_autofree char *file = g_build_filename (mnt, "records", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  guint n;

  g_mkdir_with_parents (mnt, 0755);
  ck_assert_msg (mount (dev, mnt, "ext4", MS_RDONLY, "noload") == 0, "mount %s: %s", dev,
                 g_strerror (errno));
  ck_assert_msg (g_file_get_contents (file, &data, &len, NULL), "no records file in the copy");
  umount (mnt);
  {
    const char *const detach[] = { "losetup", "-d", dev, NULL };
    g_autofree char *o = capture (detach);
  }
  ck_assert_msg (len % REC_LEN == 0, "the copy ends with a partial record: %zu bytes", len);
  n = (guint) (len / REC_LEN);
  for (guint i = 0; i < n; i++)
    ck_assert_msg (check_record (data + (gsize) i * REC_LEN, i), "record %u of %u is not whole", i,
                   n);
  return n;
}

START_TEST (test_consistency)
{
  QtHarness *h = qt_harness ();
  g_auto(Lab) lab = { 0 };
  g_autofree char *records = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *fsck = NULL;
  gboolean shown = FALSE;
  guint n;
  pid_t writer;
  int rc;

  if (!g_file_test ("/sbin/e2fsck", G_FILE_TEST_EXISTS) &&
      !g_file_test ("/usr/sbin/e2fsck", G_FILE_TEST_EXISTS))
    {
      g_print ("skipped: no e2fsck\n");
      return;
    }
  lab_setup (h, &lab);
  records = g_build_filename (lab.mp, "records", NULL);
  copy = g_build_filename (qt_test_dir (h), "copy.img", NULL);
  writer = writer_start (records);
  g_usleep (500 * 1000);

  {
    const char *const action[] = { "cp", "--sparse=always", lab.image, copy, NULL };
    g_auto(Run) r = { 0 };

    create_run (&lab, &r, NULL, action);
    ck_assert_msg (r.status == 0, "snapshot-create exited %d: %s", r.status, r.err);
  }
  rc = e2fsck (copy, &fsck);
  ck_assert_msg (rc == 0 && !needs_recovery (fsck), "e2fsck -fn of the frozen copy exited %d:\n%s",
                 rc, fsck);
  n = check_copy_records (h, copy);
  ck_assert_msg (n > 0, "the frozen copy holds no records");
  g_print ("frozen copy: e2fsck clean, %u whole records\n", n);

  /* the same copy without the freeze, while writing */
  for (guint attempt = 1; attempt <= 10 && !shown; attempt++)
    {
      const char *const cp[] = { "cp", "--sparse=always", lab.image, copy, NULL };
      g_autofree char *o = NULL;
      g_autofree char *out = NULL;

      g_unlink (copy);
      o = capture (cp);
      rc = e2fsck (copy, &out);
      if (needs_recovery (out))
        {
          shown = TRUE;
          g_print ("unfrozen copy (attempt %u): e2fsck -fn exited %d and needs journal "
                   "recovery\n",
                   attempt, rc);
        }
    }
  if (!shown)
    g_print ("note: the unfrozen copy never showed a need for journal recovery in 10 tries\n");

  writer_stop (writer);
}
END_TEST

/* ---- two tools, one image ---- */

static gboolean
journal_says_running (Lab *lab)
{
  g_autoptr(GDir) dir = g_dir_open (lab->state, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (lab->state, name, NULL);
      g_autofree char *text = NULL;

      if (g_str_has_suffix (name, ".json") && g_file_get_contents (path, &text, NULL, NULL) &&
          strstr (text, "\"running\"") != NULL)
        return TRUE;
    }
  return FALSE;
}

START_TEST (test_two_tools)
{
  QtHarness *h = qt_harness ();
  g_auto(Lab) lab = { 0 };
  const char *const sleeper[] = { "sleep", "3", NULL };
  const char *const quick[] = { "true", NULL };
  g_autoptr(GSubprocess) first = NULL;
  g_auto(Run) r1 = { 0 };
  g_auto(Run) r2 = { 0 };
  gint64 t0;

  lab_setup (h, &lab);

  /* fails fast, naming the holder */
  first = create_spawn (&lab, NULL, NULL, NULL, sleeper);
  t0 = qt_now_ms ();
  while (!journal_says_running (&lab) && qt_now_ms () - t0 < 10000)
    g_usleep (20 * 1000);
  ck_assert_msg (journal_says_running (&lab), "the first run never reached its action");
  t0 = qt_now_ms ();
  create_run (&lab, &r2, NULL, quick);
  ck_assert_msg (r2.status == 7, "the second run exited %d, expected 7: %s", r2.status, r2.err);
  ck_assert_msg (strstr (r2.err, "held") != NULL && strstr (r2.err, "snap-") != NULL,
                 "the error does not name the holder: %s", r2.err);
  ck_assert_msg (qt_now_ms () - t0 < 2000, "the second run took %" G_GINT64_FORMAT " ms to fail",
                 qt_now_ms () - t0);
  cli_finish (first, &r1);
  ck_assert_msg (r1.status == 0, "the first run exited %d: %s", r1.status, r1.err);
  g_clear_object (&first);
  run_clear (&r1);
  run_clear (&r2);

  /* with --lease-wait it succeeds once the first is done */
  first = create_spawn (&lab, NULL, NULL, NULL, sleeper);
  t0 = qt_now_ms ();
  while (!journal_says_running (&lab) && qt_now_ms () - t0 < 10000)
    g_usleep (20 * 1000);
  {
    g_autoptr(GSubprocess) second = create_spawn (&lab, NULL, "--lease-wait", "30", quick);

    cli_finish (second, &r2);
  }
  cli_finish (first, &r1);
  ck_assert_msg (r1.status == 0, "the first run exited %d: %s", r1.status, r1.err);
  ck_assert_msg (r2.status == 0, "the waiting run exited %d: %s", r2.status, r2.err);
  qt_expect (h, lab.mp, FALSE, NULL);
}
END_TEST

/* ---- two runs, two disks, one agent ---- */

static guint
journals_running (Lab *lab)
{
  g_autoptr(GDir) dir = g_dir_open (lab->state, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (lab->state, name, NULL);
      g_autofree char *text = NULL;

      if (g_str_has_suffix (name, ".json") && g_file_get_contents (path, &text, NULL, NULL) &&
          strstr (text, "\"running\"") != NULL)
        n++;
    }
  return n;
}

static char *
read_trimmed (const char *path)
{
  g_autofree char *text = NULL;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "the action did not write %s",
                 path);
  return g_strdup (g_strstrip (text));
}

START_TEST (test_two_disks_concurrent)
{
  QtHarness *h = qt_harness ();
  g_auto(Lab) lab = { 0 };
  g_auto(Lab) lab_b = { 0 };
  const char *mp_b = qt_fs_add (h, "b", "ext4", 64);
  g_autofree char *env_a = g_build_filename (qt_test_dir (h), "env-a", NULL);
  g_autofree char *env_b = g_build_filename (qt_test_dir (h), "env-b", NULL);
  g_autofree char *flag = g_build_filename (qt_test_dir (h), "b-may-end", NULL);
  g_autofree char *script_a = NULL;
  g_autofree char *script_b = NULL;
  g_autofree char *seen_a = NULL;
  g_autofree char *seen_b = NULL;
  g_autoptr(GSubprocess) pa = NULL;
  g_autoptr(GSubprocess) pb = NULL;
  g_auto(Run) ra = { 0 };
  g_auto(Run) rb = { 0 };
  gint64 t0, t_a_done;

  lab_setup (h, &lab);
  /* the second disk of the same guest: same agent, state dir and lockspace */
  lab_b.sock = g_strdup (lab.sock);
  lab_b.state = g_strdup (lab.state);
  lab_b.leases = g_strdup (lab.leases);
  lab_b.mp = mp_b;
  lab_b.dev = g_strdup (qt_fs_device (h, mp_b));
  lab_b.image = loop_backing_file (lab_b.dev);

  /* A: ~2 s.  B: ~2 s, then on until the test has seen A's thaw with B
   * still frozen (30 s at most), so the interleaving is checked, not raced */
  script_a = g_strdup_printf ("printf '%%s' \"$QUIESCE_MOUNTPOINTS\" > '%s'; sleep 2", env_a);
  script_b = g_strdup_printf ("printf '%%s' \"$QUIESCE_MOUNTPOINTS\" > '%s'; sleep 2; i=0; "
                              "while [ ! -e '%s' ] && [ $i -lt 300 ]; do sleep 0.1; "
                              "i=$((i+1)); done",
                              env_b, flag);
  {
    const char *const action_a[] = { "sh", "-c", script_a, NULL };
    const char *const action_b[] = { "sh", "-c", script_b, NULL };

    t0 = qt_now_ms ();
    pa = create_spawn (&lab, NULL, NULL, NULL, action_a);
    pb = create_spawn (&lab_b, NULL, NULL, NULL, action_b);
  }
  while (journals_running (&lab) < 2 && qt_now_ms () - t0 < 10000)
    g_usleep (20 * 1000);
  ck_assert_msg (journals_running (&lab) == 2,
                 "the two runs did not reach their actions together (%u running)",
                 journals_running (&lab));
  g_print ("two disks: both actions running after %" G_GINT64_FORMAT " ms\n", qt_now_ms () - t0);

  /* both frozen at once, in the kernel */
  qt_expect (h, lab.mp, TRUE, lab_b.mp, TRUE, NULL);

  /* A ends: A thawed by its own run, B still frozen by B's */
  cli_finish (pa, &ra);
  t_a_done = qt_now_ms () - t0;
  ck_assert_msg (ra.status == 0, "run A exited %d: %s", ra.status, ra.err);
  qt_expect (h, lab.mp, FALSE, lab_b.mp, TRUE, NULL);
  ck_assert_msg (journals_running (&lab) == 1, "run B is not running alone after A (%u running)",
                 journals_running (&lab));

  /* B ends: B thawed */
  ck_assert_msg (g_file_set_contents (flag, "", 0, NULL), "cannot write %s", flag);
  cli_finish (pb, &rb);
  ck_assert_msg (rb.status == 0, "run B exited %d: %s", rb.status, rb.err);
  qt_expect (h, lab.mp, FALSE, lab_b.mp, FALSE, NULL);

  /* no lease conflict, and each action saw only its own filesystem */
  ck_assert_msg (strstr (ra.err, "held by") == NULL && strstr (rb.err, "held by") == NULL,
                 "a lease conflict between different disks:\nA: %s\nB: %s", ra.err, rb.err);
  seen_a = read_trimmed (env_a);
  seen_b = read_trimmed (env_b);
  ck_assert_msg (strstr (seen_a, lab.mp) != NULL && strstr (seen_a, lab_b.mp) == NULL,
                 "run A's action saw QUIESCE_MOUNTPOINTS='%s'", seen_a);
  ck_assert_msg (strstr (seen_b, lab_b.mp) != NULL && strstr (seen_b, lab.mp) == NULL,
                 "run B's action saw QUIESCE_MOUNTPOINTS='%s'", seen_b);
  ck_assert_int_eq (journals_running (&lab), 0);
  g_print ("two disks: A done after %" G_GINT64_FORMAT " ms, B after %" G_GINT64_FORMAT
           " ms; both exit 0, no lease conflict\n",
           t_a_done, qt_now_ms () - t0);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("integration-snapshot");

  if (g_getenv ("QUIESCE_CLI") == NULL)
    {
      g_print ("QUIESCE_CLI is not set (run through meson test)\n");
      return QT_EXIT_SKIP;
    }
  qt_suite_add (s, "crash-at-every-step", test_crash_at_every_step, 300);
  qt_suite_add (s, "agent-killed-during-action", test_agent_killed_during_action, 120);
  qt_suite_add (s, "consistency", test_consistency, 300);
  qt_suite_add (s, "two-tools", test_two_tools, 120);
  qt_suite_add (s, "two-disks-concurrent", test_two_disks_concurrent, 120);
  return qt_main (s);
}
