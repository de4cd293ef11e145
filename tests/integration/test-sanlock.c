/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root integration test of the sanlock lease plugin: two tools, one image,
 * on a sanlock lockspace on a file, against a sanlock daemon of its own.
 *
 * The daemon is started once for the suite, before the harness makes the
 * runner a subreaper (so the sweeps between tests do not take it for a
 * leftover child): `sanlock daemon -D -w 0` (no watchdog device here),
 * with $QUIESCE_SANLOCK_SHIM preloaded when set.  That shim (a test-only
 * library) clamps the RLIMIT_MEMLOCK/RTPRIO raise that sanlock makes
 * unconditionally, which a root without CAP_SYS_RESOURCE is refused.
 * When the daemon cannot run here (no sanlock, one already running, it
 * exits at start), the test is skipped with the reason printed.
 *
 * Joining a lockspace takes ~20 s (the delta lease), so it happens once:
 * the first snapshot-create (with $QUIESCE_SANLOCK_HOST_ID) joins it, and
 * every later run finds it joined. */
#include "qt-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SANLOCK_SOCK "/run/sanlock/sanlock.sock"
#define SANLOCK_LOG  "/var/log/sanlock.log"

static char suite_dir[256];
static char lockspace_dir[512];
static pid_t daemon_pid;
static gboolean log_was_there;
static gboolean run_dir_was_there;
static pid_t main_pid;

typedef struct
{
  int status;
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

typedef struct
{
  char *sock;
  char *state;
  char *image;
  char *dev;
  const char *mp;
} Lab;

static void
lab_clear (Lab *lab)
{
  g_free (lab->sock);
  g_free (lab->state);
  g_free (lab->image);
  g_free (lab->dev);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Lab, lab_clear)

static void
lab_setup (QtHarness *h, Lab *lab)
{
  g_autofree char *base = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;

  lab->mp = qt_fs_add (h, "a", "ext4", 64);
  lab->dev = g_strdup (qt_fs_device (h, lab->mp));
  base = g_path_get_basename (lab->dev);
  path = g_strdup_printf ("/sys/block/%s/loop/backing_file", base);
  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  lab->image = g_strdup (g_strstrip (text));
  lab->state = g_build_filename (qt_test_dir (h), "host-state", NULL);
  qt_agent_start (h, NULL);
  lab->sock = g_strdup (qt_agent_socket (h));
}

/* quiesce snapshot-create dom --disk dev:DEV=IMAGE --lease sanlock
 * --lease-dir LOCKSPACE [EXTRA1 EXTRA2] -- ACTION... */
static GSubprocess *
create_spawn (Lab *lab, const char *extra1, const char *extra2, const char *const *action)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  GSubprocess *p;

  g_ptr_array_add (argv, g_strdup (g_getenv ("QUIESCE_CLI")));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strconcat ("unix:", lab->sock, NULL));
  g_ptr_array_add (argv, g_strdup ("--state-dir"));
  g_ptr_array_add (argv, g_strdup (lab->state));
  g_ptr_array_add (argv, g_strdup ("snapshot-create"));
  g_ptr_array_add (argv, g_strdup ("dom"));
  g_ptr_array_add (argv, g_strdup ("--disk"));
  g_ptr_array_add (argv, g_strdup_printf ("dev:%s=%s", lab->dev, lab->image));
  g_ptr_array_add (argv, g_strdup ("--lease"));
  g_ptr_array_add (argv, g_strdup ("sanlock"));
  g_ptr_array_add (argv, g_strdup ("--lease-dir"));
  g_ptr_array_add (argv, g_strdup (lockspace_dir));
  if (extra1 != NULL)
    g_ptr_array_add (argv, g_strdup (extra1));
  if (extra2 != NULL)
    g_ptr_array_add (argv, g_strdup (extra2));
  g_ptr_array_add (argv, g_strdup ("--"));
  for (guint i = 0; action[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (action[i]));
  g_ptr_array_add (argv, NULL);
  p = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, &error);
  ck_assert_msg (p != NULL, "cannot run the CLI: %s", error ? error->message : "?");
  return p;
}

static void
cli_finish (GSubprocess *p, Run *r)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (g_subprocess_communicate_utf8 (p, NULL, NULL, &r->out, &r->err, &error),
                 "communicate: %s", error ? error->message : "?");
  r->status = g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p) : -1;
}

static void
create_run (Lab *lab, Run *r, const char *const *action)
{
  g_autoptr(GSubprocess) p = create_spawn (lab, NULL, NULL, action);

  cli_finish (p, r);
}

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

static void
wait_running (Lab *lab)
{
  gint64 t0 = qt_now_ms ();

  while (!journal_says_running (lab) && qt_now_ms () - t0 < 15000)
    g_usleep (20 * 1000);
  ck_assert_msg (journal_says_running (lab), "the first run never reached its action");
}

START_TEST (test_sanlock_two_tools)
{
  QtHarness *h = qt_harness ();
  g_auto(Lab) lab = { 0 };
  const char *const sleeper[] = { "sleep", "3", NULL };
  const char *const quick[] = { "true", NULL };
  gint64 t0;

  lab_setup (h, &lab);

  /* the first run joins the lockspace (once for the suite) */
  {
    g_auto(Run) r = { 0 };

    t0 = qt_now_ms ();
    create_run (&lab, &r, quick);
    ck_assert_msg (r.status == 0, "the first sanlock run exited %d: %s", r.status, r.err);
    g_print ("sanlock: first run (joins the lockspace) took %" G_GINT64_FORMAT " ms\n",
             qt_now_ms () - t0);
    t0 = qt_now_ms ();
    run_clear (&r);
    create_run (&lab, &r, quick);
    ck_assert_msg (r.status == 0, "the second sanlock run exited %d: %s", r.status, r.err);
    g_print ("sanlock: a run on the joined lockspace took %" G_GINT64_FORMAT " ms\n",
             qt_now_ms () - t0);
  }

  /* fails fast, naming the holder */
  {
    g_autoptr(GSubprocess) first = create_spawn (&lab, NULL, NULL, sleeper);
    g_auto(Run) r1 = { 0 };
    g_auto(Run) r2 = { 0 };
    gint64 took;

    wait_running (&lab);
    t0 = qt_now_ms ();
    create_run (&lab, &r2, quick);
    took = qt_now_ms () - t0;
    ck_assert_msg (r2.status == 7, "the second run exited %d, expected 7: %s", r2.status, r2.err);
    ck_assert_msg (strstr (r2.err, "held") != NULL && strstr (r2.err, "snap-") != NULL &&
                       strstr (r2.err, "sanlock") != NULL,
                   "the error does not name the holder: %s", r2.err);
    ck_assert_msg (took < 3000, "the second run took %" G_GINT64_FORMAT " ms to fail", took);
    qt_expect (h, lab.mp, TRUE, NULL);
    cli_finish (first, &r1);
    ck_assert_msg (r1.status == 0, "the first run exited %d: %s", r1.status, r1.err);
    g_print ("sanlock: the second holder was refused in %" G_GINT64_FORMAT " ms:\n%s", took,
             r2.err);
  }

  /* with --lease-wait it succeeds once the first is done */
  {
    g_autoptr(GSubprocess) first = create_spawn (&lab, NULL, NULL, sleeper);
    g_autoptr(GSubprocess) second = NULL;
    g_auto(Run) r1 = { 0 };
    g_auto(Run) r2 = { 0 };

    wait_running (&lab);
    t0 = qt_now_ms ();
    second = create_spawn (&lab, "--lease-wait", "30", quick);
    cli_finish (second, &r2);
    cli_finish (first, &r1);
    ck_assert_msg (r1.status == 0, "the first run exited %d: %s", r1.status, r1.err);
    ck_assert_msg (r2.status == 0, "the waiting run exited %d: %s", r2.status, r2.err);
    g_print ("sanlock: the waiting run got the lease and completed after %" G_GINT64_FORMAT
             " ms\n",
             qt_now_ms () - t0);
  }
  qt_expect (h, lab.mp, FALSE, NULL);

  /* free again: a new run takes it at once */
  {
    g_auto(Run) r = { 0 };

    create_run (&lab, &r, quick);
    ck_assert_msg (r.status == 0, "a run after the others exited %d: %s", r.status, r.err);
  }
}
END_TEST

/* ---- the daemon, once for the suite ---- */

static gboolean
sanlock_socket_answers (void)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  g_strlcpy (addr.sun_path, SANLOCK_SOCK, sizeof addr.sun_path);
  ok = connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
  close (fd);
  return ok;
}

static gboolean
run_quiet (const char *const *argv, char **why)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, NULL))
    {
      *why = g_strdup_printf ("%s failed: %s%s", argv[0], error ? error->message : "",
                              err != NULL ? err : "");
      return FALSE;
    }
  return TRUE;
}

static void
daemon_stop (void)
{
  const char *const shutdown[] = { "sanlock", "shutdown", "-f", "1", NULL };
  g_autofree char *why = NULL;

  if (daemon_pid <= 0)
    return;
  (void) run_quiet (shutdown, &why);
  for (int i = 0; i < 100 && kill (daemon_pid, 0) == 0; i++)
    g_usleep (50 * 1000);
  if (kill (daemon_pid, 0) == 0)
    kill (daemon_pid, SIGKILL);
  daemon_pid = 0;
}

/* what the daemon made that was not there before */
static void
suite_cleanup (void)
{
  /* not in a forked test process: the suite's daemon is the runner's */
  if (getpid () != main_pid)
    return;
  daemon_stop ();
  if (!log_was_there)
    g_unlink (SANLOCK_LOG);
  if (!run_dir_was_there)
    {
      g_unlink ("/run/sanlock/sanlock.pid");
      g_unlink (SANLOCK_SOCK);
      g_rmdir ("/run/sanlock");
    }
  if (suite_dir[0] != '\0')
    {
      const char *const rm[] = { "rm", "-rf", suite_dir, NULL };
      g_autofree char *why = NULL;

      (void) run_quiet (rm, &why);
      suite_dir[0] = '\0';
    }
}

/* `sanlock daemon -D -w 0` as a grandchild (not a child of the runner,
 * which becomes a subreaper and sweeps its children between tests), its
 * output in the suite directory; FALSE with the reason when it cannot run */
static gboolean
daemon_start (char **why)
{
  g_autofree char *log = g_build_filename (suite_dir, "sanlock-daemon.log", NULL);
  const char *shim = g_getenv ("QUIESCE_SANLOCK_SHIM");
  int pfd[2];
  pid_t child;
  gint64 t0;

  if (pipe2 (pfd, O_CLOEXEC) < 0)
    {
      *why = g_strdup_printf ("pipe: %s", g_strerror (errno));
      return FALSE;
    }
  child = fork ();
  if (child == 0)
    {
      pid_t grandchild = fork ();

      if (grandchild == 0)
        {
          int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

          setsid ();
          if (fd >= 0)
            {
              dup2 (fd, STDOUT_FILENO);
              dup2 (fd, STDERR_FILENO);
            }
          if (shim != NULL && shim[0] != '\0')
            g_setenv ("LD_PRELOAD", shim, TRUE);
          execlp ("sanlock", "sanlock", "daemon", "-D", "-w", "0", "-U", "root", "-G", "root",
                  "-L", "-1", "-S", "-1", "-l", "0", (char *) NULL);
          _exit (127);
        }
      (void) !write (pfd[1], &grandchild, sizeof grandchild);
      _exit (0);
    }
  close (pfd[1]);
  if (child < 0 || read (pfd[0], &daemon_pid, sizeof daemon_pid) != sizeof daemon_pid)
    daemon_pid = 0;
  close (pfd[0]);
  if (child > 0)
    waitpid (child, NULL, 0);
  if (daemon_pid <= 0)
    {
      *why = g_strdup ("cannot fork the sanlock daemon");
      return FALSE;
    }
  t0 = qt_now_ms ();
  while (qt_now_ms () - t0 < 10000 && kill (daemon_pid, 0) == 0 && !sanlock_socket_answers ())
    g_usleep (50 * 1000);
  if (kill (daemon_pid, 0) != 0 || !sanlock_socket_answers ())
    {
      g_autofree char *text = NULL;

      (void) g_file_get_contents (log, &text, NULL, NULL);
      *why = g_strdup_printf ("the sanlock daemon did not start (shim: %s): %s",
                              shim != NULL ? shim : "none", text != NULL ? g_strstrip (text) : "");
      daemon_stop ();
      return FALSE;
    }
  return TRUE;
}

/* the daemon, and a lockspace on a file initialised without it
 * (sanlock direct init); FALSE with the reason when that cannot be */
static gboolean
suite_prepare (char **why)
{
  g_autofree char *file = NULL;
  g_autofree char *spec = NULL;
  g_autofree char *sanlock = g_find_program_in_path ("sanlock");

  if (getuid () != 0)
    {
      *why = g_strdup ("not root");
      return FALSE;
    }
  if (sanlock == NULL)
    {
      *why = g_strdup ("the sanlock program is not installed (apt-get install sanlock)");
      return FALSE;
    }
  if (sanlock_socket_answers ())
    {
      *why = g_strdup ("a sanlock daemon already runs here (" SANLOCK_SOCK "); this test "
                       "starts its own and leaves that one alone");
      return FALSE;
    }
  log_was_there = g_file_test (SANLOCK_LOG, G_FILE_TEST_EXISTS);
  run_dir_was_there = g_file_test ("/run/sanlock", G_FILE_TEST_EXISTS);
  g_snprintf (suite_dir, sizeof suite_dir, "/tmp/quiesce-sanlock.%d.XXXXXX", (int) getpid ());
  if (g_mkdtemp (suite_dir) == NULL)
    {
      *why = g_strdup_printf ("mkdtemp: %s", g_strerror (errno));
      suite_dir[0] = '\0';
      return FALSE;
    }
  g_snprintf (lockspace_dir, sizeof lockspace_dir, "%s/ls", suite_dir);
  g_mkdir (lockspace_dir, 0755);

  /* the lockspace: 1 MiB, initialised without a daemon */
  file = g_build_filename (lockspace_dir, "lockspace", NULL);
  spec = g_strdup_printf ("qit%d:0:%s:0", (int) getpid (), file);
  {
    const char *const truncate[] = { "truncate", "-s", "1M", file, NULL };
    const char *const init[] = { "sanlock", "direct", "init", "-s", spec, NULL };

    if (!run_quiet (truncate, why) || !run_quiet (init, why))
      return FALSE;
  }
  if (!daemon_start (why))
    return FALSE;
  g_print ("# sanlock daemon pid %d, lockspace %s\n", (int) daemon_pid, spec);
  return TRUE;
}

int
main (void)
{
  Suite *s = suite_create ("integration-sanlock");
  g_autofree char *why = NULL;
  int rc;

  if (g_getenv ("QUIESCE_CLI") == NULL)
    {
      g_print ("QUIESCE_CLI is not set (run through meson test)\n");
      return QT_EXIT_SKIP;
    }
  main_pid = getpid ();
  log_was_there = run_dir_was_there = TRUE; /* until suite_prepare looks */
  atexit (suite_cleanup);
  if (!suite_prepare (&why))
    {
      g_print ("SKIP: sanlock cannot run here: %s\n", why);
      suite_cleanup ();
      return QT_EXIT_SKIP;
    }
  /* the first run joins with this host id; later ones find it joined */
  g_setenv ("QUIESCE_SANLOCK_HOST_ID", "1", TRUE);
  qt_suite_add (s, "sanlock-two-tools", test_sanlock_two_tools, 240);
  rc = qt_main (s);
  suite_cleanup ();
  return rc;
}
