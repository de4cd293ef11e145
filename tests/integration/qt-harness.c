/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qt-harness: see qt-harness.h. */
#include "qt-harness.h"
#include "qt-sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define QT_WRITER_THAWED_MS 10000
#define QT_WRITER_FROZEN_MS 300
#define QT_AGENT_START_MS   10000

typedef struct
{
  char *name;
  char *fstype;
  char *mountpoint;
  char *loopdev; /* of the source, for a bind mount */
} QtFs;

struct _QtHarness
{
  char *dir;        /* BASE/test.XXXXXX */
  char *only_under; /* DIR/only */
  char *state_dir;  /* DIR/state */
  char *socket;     /* DIR/agent.sock */
  char *log;        /* DIR/agent.log */
  GPtrArray *fs;    /* QtFs */
  GPtrArray *agent_extra;
  pid_t agent_pid;
  int agent_status;    /* wait status of the last agent that exited */
  GHashTable *pending; /* mountpoint -> pid of a blocked writer */
  guint writer_seq;
};

/* ------------------------------------------------------------------ */
/* the cleanup paths (qt-sweep.c does the work) */

static char qt_base[PATH_MAX];    /* /tmp/quiesce-it.PID.XXXXXX, "" before qt_main */
static char qt_cur_dir[PATH_MAX]; /* the running test's directory (in the test child) */
static pid_t qt_main_pid;
static char *qt_agent_binary;
static QtHarness *qt_cur;

static void
on_fatal_signal (int sig)
{
  int saved = errno;

  if (getpid () == qt_main_pid)
    qt_sweep (qt_base, TRUE);
  else
    qt_sweep_emergency (qt_cur_dir);
  signal (sig, SIG_DFL);
  errno = saved;
  raise (sig);
}

static void
on_exit_cleanup (void)
{
  /* exit() of a test child also runs this: only the runner sweeps */
  if (getpid () == qt_main_pid)
    qt_sweep (qt_base, TRUE);
}

static void
print_file_tail (const char *path, const char *title, guint max_lines)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint n;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  g_printerr ("---- %s (%s, last %u lines) ----\n", title, path, MIN (n, max_lines));
  for (guint i = n > max_lines ? n - max_lines : 0; i < n; i++)
    if (lines[i][0] != '\0')
      g_printerr ("  | %s\n", lines[i]);
  g_printerr ("---- end of %s ----\n", title);
}

/* the unchecked teardown, in the runner: whatever is left below the base
 * comes from a test that failed or was killed */
static void
sweep_leftovers (void)
{
  g_autoptr (GDir) d = g_dir_open (qt_base, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *log = g_build_filename (qt_base, name, "agent.log", NULL);
      g_printerr ("# sweeping what test directory %s/%s left behind\n", qt_base, name);
      print_file_tail (log, "agent log", 80);
    }
  qt_sweep (qt_base, FALSE);
}

/* ------------------------------------------------------------------ */
/* small utilities */

gint64
qt_now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static char *
run_capture (const char *const *argv, int *status, char **err_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  *status = -1;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     status, &error))
    {
      if (err_out != NULL)
        *err_out = g_strdup (error->message);
      return NULL;
    }
  if (err_out != NULL)
    *err_out = g_steal_pointer (&err);
  return g_steal_pointer (&out);
}

void
qt_run (const char *const *argv)
{
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *cmd = g_strjoinv (" ", (char **) argv);
  int status;

  out = run_capture (argv, &status, &err);
  ck_assert_msg (out != NULL && g_spawn_check_wait_status (status, NULL), "'%s' failed: %s", cmd,
                 err != NULL ? err : "");
}

gboolean
qt_have_mkfs (const char *fstype)
{
  g_autofree char *prog = g_strconcat ("mkfs.", fstype, NULL);
  g_autofree char *path = g_find_program_in_path (prog);

  if (path == NULL)
    {
      /* root's PATH normally has sbin; be sure */
      g_autofree char *sbin = g_build_filename ("/usr/sbin", prog, NULL);
      g_autofree char *sbin2 = g_build_filename ("/sbin", prog, NULL);
      return g_file_test (sbin, G_FILE_TEST_IS_EXECUTABLE)
             || g_file_test (sbin2, G_FILE_TEST_IS_EXECUTABLE);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* the program */

static const char *
find_agent (void)
{
  const char *env = g_getenv ("QUIESCE_AGENT");
  const char *build = g_getenv ("QUIESCE_BUILD_DIR");

  if (env != NULL && env[0] != '\0')
    return env;
  if (build != NULL)
    return g_build_filename (build, "agent", "quiesce-agent", NULL);
  return NULL;
}

static gboolean
preflight (char **why)
{
  int status;
  g_autofree char *out = NULL;
  const char *const losetup_find[] = { "losetup", "-f", NULL };

  if (geteuid () != 0)
    {
      *why = g_strdup ("needs root (loop devices, mount, FIFREEZE)");
      return FALSE;
    }
  if (access ("/dev/loop-control", F_OK) != 0)
    {
      *why = g_strdup ("/dev/loop-control is missing (no loop device support)");
      return FALSE;
    }
  if (!qt_have_mkfs ("ext4"))
    {
      *why = g_strdup ("mkfs.ext4 is missing (e2fsprogs)");
      return FALSE;
    }
  out = run_capture (losetup_find, &status, NULL);
  if (out == NULL || !g_spawn_check_wait_status (status, NULL))
    {
      *why = g_strdup ("'losetup -f' finds no free loop device");
      return FALSE;
    }
  return TRUE;
}

int
qt_main (Suite *suite)
{
  g_autofree char *why = NULL;
  const char *agent;
  SRunner *sr;
  int failed;
  struct sigaction sa;
  const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT, SIGFPE };

  /* root's sbin may be missing from a test runner's PATH */
  {
    const char *path = g_getenv ("PATH");
    g_autofree char *np
        = g_strconcat (path != NULL ? path : "/usr/bin:/bin", ":/usr/sbin:/sbin", NULL);
    g_setenv ("PATH", np, TRUE);
  }

  if (!preflight (&why))
    {
      g_print ("SKIP: %s\n", why);
      return QT_EXIT_SKIP;
    }
  agent = find_agent ();
  if (agent == NULL || !g_file_test (agent, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("ERROR: the agent binary '%s' is not there; set QUIESCE_AGENT\n",
                  agent != NULL ? agent : "(unset)");
      return 1;
    }
  qt_agent_binary = g_strdup (agent);

  /* the runner's pid in the name tells scripts/run-tests' sweep whether
   * the owner is gone */
  g_snprintf (qt_base, sizeof qt_base, "/tmp/quiesce-it.%d.XXXXXX", (int) getpid ());
  if (mkdtemp (qt_base) == NULL)
    {
      g_printerr ("ERROR: mkdtemp: %s\n", g_strerror (errno));
      return 1;
    }
  qt_main_pid = getpid ();
  /* orphans of a failed test (its agent, blocked writers) become ours */
  (void) prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  atexit (on_exit_cleanup);
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  sigemptyset (&sa.sa_mask);
  for (gsize i = 0; i < G_N_ELEMENTS (fatal); i++)
    sigaction (fatal[i], &sa, NULL);
  signal (SIGPIPE, SIG_IGN);

  g_print ("# agent: %s\n# base directory: %s\n", qt_agent_binary, qt_base);
  if (!qt_have_mkfs ("xfs"))
    g_print ("# SKIP (part): mkfs.xfs is missing, xfs is not covered\n");
  if (!qt_have_mkfs ("btrfs"))
    g_print ("# SKIP (part): mkfs.btrfs is missing, btrfs is not covered\n");

  sr = srunner_create (suite);
  /* the fork mode is what makes a failed test safe: its orphans are
   * swept by the runner */
  srunner_set_fork_status (sr, CK_FORK);
  srunner_run_all (sr, CK_VERBOSE);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);

  qt_sweep (qt_base, TRUE);
  qt_base[0] = '\0';
  return failed == 0 ? 0 : 1;
}

QtHarness *
qt_harness (void)
{
  return qt_cur;
}

static void
fixture_setup (void)
{
  QtHarness *h = g_new0 (QtHarness, 1);
  g_autofree char *tmpl = g_build_filename (qt_base, "test.XXXXXX", NULL);

  ck_assert_msg (qt_base[0] != '\0', "qt_main was not called");
  h->dir = g_mkdtemp (g_steal_pointer (&tmpl));
  ck_assert_msg (h->dir != NULL, "mkdtemp below %s: %s", qt_base, g_strerror (errno));
  h->only_under = g_build_filename (h->dir, "only", NULL);
  h->state_dir = g_build_filename (h->dir, "state", NULL);
  h->socket = g_build_filename (h->dir, "agent.sock", NULL);
  h->log = g_build_filename (h->dir, "agent.log", NULL);
  g_mkdir (h->only_under, 0755);
  g_mkdir (h->state_dir, 0700);
  {
    g_autofree char *img = g_build_filename (h->dir, "img", NULL);
    g_mkdir (img, 0755);
  }
  h->fs = g_ptr_array_new ();
  h->agent_extra = g_ptr_array_new_with_free_func (g_free);
  h->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_strlcpy (qt_cur_dir, h->dir, sizeof qt_cur_dir);
  qt_cur = h;
}

static void
fixture_teardown (void)
{
  QtHarness *h = qt_cur;

  if (h == NULL)
    return;
  /* a polite stop first: the agent thaws what it holds */
  if (qt_agent_alive (h))
    {
      qt_agent_signal (h, SIGTERM);
      if (qt_agent_wait (h, 10000) == -1)
        {
          qt_thaw_below (h->dir);
          qt_agent_signal (h, SIGKILL);
          qt_agent_wait (h, 5000);
        }
    }
  /* QT_SHOW_AGENT_LOG=1: show it after passing tests too (sanitizer
   * reports of an agent built with -Db_sanitize land there) */
  if (g_getenv ("QT_SHOW_AGENT_LOG") != NULL)
    print_file_tail (h->log, "agent log", 100000);
  qt_sweep (h->dir, TRUE);
  qt_cur_dir[0] = '\0';
  qt_cur = NULL;
  for (guint i = 0; i < h->fs->len; i++)
    {
      QtFs *fs = g_ptr_array_index (h->fs, i);
      g_free (fs->name);
      g_free (fs->fstype);
      g_free (fs->mountpoint);
      g_free (fs->loopdev);
      g_free (fs);
    }
  g_ptr_array_unref (h->fs);
  g_ptr_array_unref (h->agent_extra);
  g_hash_table_unref (h->pending);
  g_free (h->dir);
  g_free (h->only_under);
  g_free (h->state_dir);
  g_free (h->socket);
  g_free (h->log);
  g_free (h);
}

void
qt_suite_add (Suite *suite, const char *name, const TTest *test, int timeout_s)
{
  TCase *tc = tcase_create (name);

  tcase_add_checked_fixture (tc, fixture_setup, fixture_teardown);
  tcase_add_unchecked_fixture (tc, NULL, sweep_leftovers);
  tcase_set_timeout (tc, timeout_s);
  tcase_add_test (tc, test);
  suite_add_tcase (suite, tc);
}

/* ------------------------------------------------------------------ */
/* filesystems */

const char *
qt_only_under (QtHarness *h)
{
  return h->only_under;
}

const char *
qt_test_dir (QtHarness *h)
{
  return h->dir;
}

void
qt_thaw_all (QtHarness *h)
{
  qt_thaw_below (h->dir);
}

static const char *
fs_add (QtHarness *h, const char *relpath, const char *fstype, guint size_mib,
        const char *image_dir)
{
  g_autofree char *base = g_path_get_basename (relpath);
  g_autofree char *imgname = g_strdup_printf ("%s.%u.img", base, h->fs->len);
  g_autofree char *default_dir = g_build_filename (h->dir, "img", NULL);
  g_autofree char *img = g_build_filename (image_dir != NULL ? image_dir : default_dir, imgname,
                                           NULL);
  g_autofree char *mkfs = g_strconcat ("mkfs.", fstype, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  QtFs *fs;
  int status;
  int fd;

  fs = g_new0 (QtFs, 1);
  fs->name = g_strdup (base);
  fs->fstype = g_strdup (fstype);
  fs->mountpoint = g_build_filename (h->dir, relpath, NULL);

  /* truncate(1): a sparse image */
  fd = open (img, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ck_assert_msg (fd >= 0, "create %s: %s", img, g_strerror (errno));
  ck_assert_msg (ftruncate (fd, (off_t) size_mib << 20) == 0, "truncate %s: %s", img,
                 g_strerror (errno));
  close (fd);

  if (g_strcmp0 (fstype, "ext4") == 0)
    {
      /* no lazy init: no kernel thread writing in the background */
      const char *const argv[]
          = { mkfs, "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", img, NULL };
      out = run_capture (argv, &status, &err);
    }
  else
    {
      const char *const argv[] = { mkfs, "-q", "-f", img, NULL };
      out = run_capture (argv, &status, &err);
    }
  ck_assert_msg (out != NULL && g_spawn_check_wait_status (status, NULL), "%s %s failed: %s", mkfs,
                 img, err != NULL ? err : "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  {
    const char *const argv[] = { "losetup", "-f", "--show", img, NULL };
    out = run_capture (argv, &status, &err);
  }
  ck_assert_msg (out != NULL && g_spawn_check_wait_status (status, NULL), "losetup %s failed: %s",
                 img, err != NULL ? err : "");
  fs->loopdev = g_strdup (g_strstrip (out));

  g_mkdir_with_parents (fs->mountpoint, 0755);
  ck_assert_msg (mount (fs->loopdev, fs->mountpoint, fstype, 0, NULL) == 0, "mount %s %s: %s",
                 fs->loopdev, fs->mountpoint, g_strerror (errno));
  g_ptr_array_add (h->fs, fs);
  return fs->mountpoint;
}

const char *
qt_fs_add_at (QtHarness *h, const char *relpath, const char *fstype, guint size_mib)
{
  return fs_add (h, relpath, fstype, size_mib, NULL);
}

const char *
qt_fs_add_image_in (QtHarness *h, const char *name, const char *fstype, guint size_mib,
                    const char *image_dir)
{
  g_autofree char *rel = g_build_filename ("only", name, NULL);

  return fs_add (h, rel, fstype, size_mib, image_dir);
}

const char *
qt_fs_add (QtHarness *h, const char *name, const char *fstype, guint size_mib)
{
  g_autofree char *rel = g_build_filename ("only", name, NULL);

  return qt_fs_add_at (h, rel, fstype, size_mib);
}

const char *
qt_fs_bind (QtHarness *h, const char *src, const char *name)
{
  QtFs *fs = g_new0 (QtFs, 1);

  fs->name = g_strdup (name);
  fs->fstype = g_strdup (qt_fs_type (h, src));
  fs->loopdev = g_strdup (qt_fs_device (h, src));
  fs->mountpoint = g_build_filename (h->only_under, name, NULL);
  g_mkdir_with_parents (fs->mountpoint, 0755);
  ck_assert_msg (mount (src, fs->mountpoint, NULL, MS_BIND, NULL) == 0, "bind mount %s %s: %s", src,
                 fs->mountpoint, g_strerror (errno));
  g_ptr_array_add (h->fs, fs);
  return fs->mountpoint;
}

void
qt_fs_standard (QtHarness *h, const char **a, const char **b, const char **c)
{
  const char *tb = qt_have_mkfs ("xfs") ? "xfs" : "ext4";
  const char *tc = qt_have_mkfs ("btrfs") ? "btrfs" : "ext4";

  if (g_strcmp0 (tb, "xfs") != 0)
    g_print ("# SKIP (part): no mkfs.xfs, B is ext4\n");
  if (g_strcmp0 (tc, "btrfs") != 0)
    g_print ("# SKIP (part): no mkfs.btrfs, C is ext4\n");
  /* xfs wants 300 MiB at least */
  *a = qt_fs_add (h, "a", "ext4", 320);
  *b = qt_fs_add (h, "b", tb, 320);
  *c = qt_fs_add (h, "c", tc, 320);
}

const char *
qt_fs_type (QtHarness *h, const char *mountpoint)
{
  for (guint i = 0; i < h->fs->len; i++)
    {
      QtFs *fs = g_ptr_array_index (h->fs, i);
      if (g_strcmp0 (fs->mountpoint, mountpoint) == 0)
        return fs->fstype;
    }
  ck_abort_msg ("%s is no filesystem of this test", mountpoint);
  return NULL;
}

const char *
qt_fs_device (QtHarness *h, const char *mountpoint)
{
  for (guint i = 0; i < h->fs->len; i++)
    {
      QtFs *fs = g_ptr_array_index (h->fs, i);
      if (g_strcmp0 (fs->mountpoint, mountpoint) == 0)
        return fs->loopdev;
    }
  ck_abort_msg ("%s is no filesystem of this test", mountpoint);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* the agent */

void
qt_agent_dump_log (QtHarness *h)
{
  print_file_tail (h->log, "agent log", 80);
}

static void
agent_spawn (QtHarness *h)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  gint64 deadline;
  pid_t pid;
  int logfd;

  ck_assert_msg (!qt_agent_alive (h), "the agent is already running");
  g_ptr_array_add (argv, g_strdup (qt_agent_binary));
  g_ptr_array_add (argv, g_strdup ("--listen"));
  g_ptr_array_add (argv, g_strconcat ("unix:", h->socket, NULL));
  g_ptr_array_add (argv, g_strdup ("--state-dir"));
  g_ptr_array_add (argv, g_strdup (h->state_dir));
  /* never without it: nothing outside the test's own mounts can freeze */
  g_ptr_array_add (argv, g_strdup ("--only-under"));
  g_ptr_array_add (argv, g_strdup (h->only_under));
  g_ptr_array_add (argv, g_strdup ("-v"));
  for (guint i = 0; i < h->agent_extra->len; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (h->agent_extra, i)));
  g_ptr_array_add (argv, NULL);

  {
    g_autofree char *cmd = g_strjoinv (" ", (char **) argv->pdata);
    g_autofree char *line = g_strdup_printf ("==== qt: starting %s\n", cmd);
    g_file_set_contents (h->log, "", 0, NULL);
    logfd = open (h->log, O_WRONLY | O_APPEND | O_CLOEXEC);
    ck_assert_msg (logfd >= 0, "open %s: %s", h->log, g_strerror (errno));
    if (write (logfd, line, strlen (line)) < 0)
      {
        /* the log is a convenience */
      }
  }

  pid = fork ();
  ck_assert_msg (pid >= 0, "fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      int devnull = open ("/dev/null", O_RDONLY);
      dup2 (devnull, 0);
      dup2 (logfd, 1);
      dup2 (logfd, 2);
      execv ((char *) argv->pdata[0], (char **) argv->pdata);
      _exit (127);
    }
  close (logfd);
  h->agent_pid = pid;

  deadline = qt_now_ms () + QT_AGENT_START_MS;
  for (;;)
    {
      struct sockaddr_un sun = { .sun_family = AF_UNIX };
      int status;
      int fd;

      if (waitpid (pid, &status, WNOHANG) == pid)
        {
          h->agent_pid = 0;
          h->agent_status = status;
          qt_agent_dump_log (h);
          ck_abort_msg ("the agent exited (status 0x%x) before it listened on %s", status,
                        h->socket);
        }
      fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_strlcpy (sun.sun_path, h->socket, sizeof sun.sun_path);
      if (connect (fd, (struct sockaddr *) &sun, sizeof sun) == 0)
        {
          close (fd);
          break;
        }
      close (fd);
      if (qt_now_ms () > deadline)
        {
          qt_agent_dump_log (h);
          ck_abort_msg ("the agent did not listen on %s within %d ms", h->socket,
                        QT_AGENT_START_MS);
        }
      qt_sleep_ms (10);
    }
}

void
qt_agent_start (QtHarness *h, ...)
{
  va_list ap;
  const char *arg;

  g_ptr_array_set_size (h->agent_extra, 0);
  va_start (ap, h);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (h->agent_extra, g_strdup (arg));
  va_end (ap);
  agent_spawn (h);
}

void
qt_agent_restart (QtHarness *h)
{
  agent_spawn (h);
}

void
qt_agent_signal (QtHarness *h, int sig)
{
  ck_assert_msg (h->agent_pid > 0, "no agent is running");
  kill (h->agent_pid, sig);
}

int
qt_agent_wait (QtHarness *h, guint timeout_ms)
{
  gint64 deadline = qt_now_ms () + timeout_ms;

  if (h->agent_pid <= 0)
    return -1;
  for (;;)
    {
      int status;
      pid_t r = waitpid (h->agent_pid, &status, WNOHANG);

      if (r == h->agent_pid || (r < 0 && errno == ECHILD))
        {
          h->agent_pid = 0;
          h->agent_status = r < 0 ? 0 : status;
          return h->agent_status;
        }
      if (qt_now_ms () > deadline)
        return -1;
      qt_sleep_ms (5);
    }
}

gboolean
qt_agent_alive (QtHarness *h)
{
  int status;

  if (h->agent_pid <= 0)
    return FALSE;
  if (waitpid (h->agent_pid, &status, WNOHANG) == h->agent_pid)
    {
      h->agent_pid = 0;
      h->agent_status = status;
      return FALSE;
    }
  return TRUE;
}

int
qt_agent_last_status (QtHarness *h)
{
  return h->agent_status;
}

pid_t
qt_agent_pid (QtHarness *h)
{
  return h->agent_pid;
}

const char *
qt_agent_socket (QtHarness *h)
{
  return h->socket;
}

/* ------------------------------------------------------------------ */
/* writers */

static pid_t
writer_spawn (QtHarness *h, const char *mountpoint)
{
  char path[PATH_MAX];
  char block[4096];
  pid_t pid;

  snprintf (path, sizeof path, "%s/qt-writer.%d.%u", mountpoint, (int) getpid (), h->writer_seq++);
  memset (block, 'q', sizeof block);
  pid = fork ();
  ck_assert_msg (pid >= 0, "fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      /* only system calls from here: the parent may have threads */
      size_t done = 0;
      int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

      if (fd < 0)
        _exit (errno > 0 && errno < 120 ? errno : 120);
      while (done < sizeof block)
        {
          ssize_t n = write (fd, block + done, sizeof block - done);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            _exit (121);
          done += (size_t) n;
        }
      if (fsync (fd) != 0)
        _exit (122);
      close (fd);
      _exit (0);
    }
  return pid;
}

static const char *
writer_failure (int status)
{
  static char buf[128];

  if (WIFSIGNALED (status))
    snprintf (buf, sizeof buf, "killed by signal %d", WTERMSIG (status));
  else if (WEXITSTATUS (status) < 120)
    snprintf (buf, sizeof buf, "open: %s", g_strerror (WEXITSTATUS (status)));
  else
    snprintf (buf, sizeof buf, "%s failed", WEXITSTATUS (status) == 122 ? "fsync" : "write");
  return buf;
}

void
qt_expect_frozen (QtHarness *h, const char *const *mountpoints, const gboolean *frozen)
{
  guint n = g_strv_length ((char **) mountpoints);
  g_autofree pid_t *pid = g_new0 (pid_t, n);
  g_autofree gboolean *done = g_new0 (gboolean, n);
  g_autofree gint64 *took = g_new0 (gint64, n);
  g_autofree gboolean *reused = g_new0 (gboolean, n);
  g_autoptr (GString) summary = g_string_new ("# writers:");
  gint64 start = qt_now_ms ();

  for (guint i = 0; i < n; i++)
    {
      gpointer p;
      if (g_hash_table_lookup_extended (h->pending, mountpoints[i], NULL, &p))
        {
          /* the writer still blocked since the last call is the probe */
          int status;
          pid[i] = GPOINTER_TO_INT (p);
          reused[i] = TRUE;
          if (waitpid (pid[i], &status, WNOHANG) == pid[i])
            {
              /* it finished since: the filesystem was thawed in between,
               * unchecked; a fresh writer probes the present */
              g_hash_table_remove (h->pending, mountpoints[i]);
              ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                             "the writer on %s failed: %s", mountpoints[i],
                             writer_failure (status));
              if (frozen[i])
                {
                  pid[i] = writer_spawn (h, mountpoints[i]);
                  reused[i] = FALSE;
                }
              else
                done[i] = TRUE;
            }
        }
      else
        pid[i] = writer_spawn (h, mountpoints[i]);
    }

  for (;;)
    {
      gint64 elapsed = qt_now_ms () - start;
      gboolean all_thawed_done = TRUE;

      for (guint i = 0; i < n; i++)
        {
          int status;
          if (done[i])
            continue;
          if (waitpid (pid[i], &status, WNOHANG) == pid[i])
            {
              done[i] = TRUE;
              took[i] = elapsed;
              g_hash_table_remove (h->pending, mountpoints[i]);
              ck_assert_msg (
                  !frozen[i],
                  "%s should be frozen, but a %swriter on it finished after %" G_GINT64_FORMAT
                  " ms",
                  mountpoints[i], reused[i] ? "(formerly blocked) " : "", elapsed);
              ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                             "the writer on %s failed: %s", mountpoints[i],
                             writer_failure (status));
            }
          else if (!frozen[i])
            all_thawed_done = FALSE;
        }
      if (all_thawed_done && elapsed >= QT_WRITER_FROZEN_MS)
        break;
      if (elapsed > QT_WRITER_THAWED_MS)
        {
          for (guint i = 0; i < n; i++)
            if (!frozen[i] && !done[i])
              {
                /* keep it as pending: the teardown thaws and reaps it */
                g_hash_table_insert (h->pending, g_strdup (mountpoints[i]),
                                     GINT_TO_POINTER (pid[i]));
                ck_abort_msg (
                    "%s should be thawed, but a %swriter on it is still blocked after %d ms",
                    mountpoints[i], reused[i] ? "(formerly blocked) " : "", QT_WRITER_THAWED_MS);
              }
        }
      qt_sleep_ms (5);
    }

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *base = g_path_get_basename (mountpoints[i]);
      if (frozen[i])
        {
          g_hash_table_insert (h->pending, g_strdup (mountpoints[i]), GINT_TO_POINTER (pid[i]));
          g_string_append_printf (summary, " %s=frozen", base);
        }
      else
        g_string_append_printf (summary, " %s=thawed(%" G_GINT64_FORMAT "ms%s)", base, took[i],
                                reused[i] ? ",was blocked" : "");
    }
  g_print ("%s\n", summary->str);
}

void
qt_expect (QtHarness *h, ...)
{
  g_autoptr (GPtrArray) mps = g_ptr_array_new ();
  g_autoptr (GArray) fr = g_array_new (FALSE, FALSE, sizeof (gboolean));
  va_list ap;
  const char *mp;

  va_start (ap, h);
  while ((mp = va_arg (ap, const char *)) != NULL)
    {
      gboolean f = va_arg (ap, int);
      g_ptr_array_add (mps, (gpointer) mp);
      g_array_append_val (fr, f);
    }
  va_end (ap);
  g_ptr_array_add (mps, NULL);
  qt_expect_frozen (h, (const char *const *) mps->pdata, (const gboolean *) fr->data);
}
