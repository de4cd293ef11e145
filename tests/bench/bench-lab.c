/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-lab: loop filesystems, agents, client and cleanup for the
 * benchmark; see bench-lab.h for the safety rules. */
#include "config.h"

#include "bench-lab.h"
#include "bench-writers.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FS         256
#define CALL_TIMEOUT_S 180

struct BenchAgent
{
  char *name;
  char *log;
  GPid pid;
  int fd;
  GString *buf;
  gboolean guarded; /* qemu-ga: every request passes the guard */
};

static char *lab;
static char *state_dir;
static char *mount_paths[MAX_FS + 1]; /* fixed before any freeze: read by the signal path */
static guint n_mounts;
static BenchAgent *agents[2];
static volatile sig_atomic_t stop_signal;

/* ---- thaw, unmount, clean up ------------------------------------------ */

guint
bench_lab_thaw (guint n)
{
  guint frozen = 0;

  if (n == 0 || n > n_mounts)
    n = n_mounts;
  for (guint i = 0; i < n; i++)
    {
      int fd = open (mount_paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        continue;
      if (ioctl (fd, FITHAW, 0) == 0)
        frozen++;
      close (fd);
    }
  return frozen;
}

/* mounts below PREFIX/ in our namespace */
static guint
mounted_below (const char *prefix)
{
  g_autofree char *text = NULL;
  g_autofree char *dir = g_strconcat (prefix, "/", NULL);
  g_auto (GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents ("/proc/self/mountinfo", &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], " ", 6);
      if (g_strv_length (f) >= 5 && g_str_has_prefix (f[4], dir))
        n++;
    }
  return n;
}

/* loop devices whose backing file lives in the lab (autoclear normally
 * detached them at unmount) */
static void
detach_lab_loops (void)
{
  g_autoptr (GDir) d = g_dir_open ("/sys/block", 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *bf = g_strdup_printf ("/sys/block/%s/loop/backing_file", name);
      g_autofree char *backing = NULL;
      if (!g_str_has_prefix (name, "loop") || !g_file_get_contents (bf, &backing, NULL, NULL)
          || !g_str_has_prefix (backing, lab))
        continue;
      {
        g_autofree char *dev = g_strdup_printf ("/dev/%s", name);
        int fd = open (dev, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
          {
            if (ioctl (fd, LOOP_CLR_FD, 0) != 0)
              fprintf (stderr, "bench: cannot detach %s: %s\n", dev, g_strerror (errno));
            close (fd);
          }
      }
    }
}

static void
agent_stop (BenchAgent *a)
{
  gint64 deadline;

  if (a == NULL || a->pid <= 0)
    return;
  kill (a->pid, SIGTERM);
  deadline = bench_now_ns () + 10 * G_GINT64_CONSTANT (1000000000);
  while (waitpid (a->pid, NULL, WNOHANG) == 0)
    {
      if (bench_now_ns () > deadline)
        {
          kill (a->pid, SIGKILL);
          bench_lab_thaw (0);
          waitpid (a->pid, NULL, 0);
          break;
        }
      bench_lab_thaw (0);
      g_usleep (20000);
    }
  a->pid = 0;
  if (a->fd >= 0)
    close (a->fd);
  a->fd = -1;
}

static void
cleanup (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  bench_lab_thaw (0);
  for (guint i = 0; i < G_N_ELEMENTS (agents); i++)
    agent_stop (agents[i]);
  bench_lab_thaw (0);
  bench_writers_kill_all ();
  for (int tries = 0; bench_writers_reap_all (1000) > 0; tries++)
    {
      bench_lab_thaw (0);
      if (tries == 30)
        {
          fprintf (stderr, "bench: writers still alive after 30 s; leaving the mounts\n");
          return;
        }
    }
  for (guint i = n_mounts; i-- > 0;)
    {
      int tries = 0;
      while (umount2 (mount_paths[i], 0) != 0 && errno == EBUSY && tries++ < 20)
        {
          bench_lab_thaw (0);
          g_usleep (100000);
        }
      if (tries > 20)
        umount2 (mount_paths[i], MNT_DETACH);
    }
  if (lab != NULL)
    detach_lab_loops ();
  if (state_dir != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", state_dir);
      if (system (cmd) != 0)
        fprintf (stderr, "bench: could not remove %s\n", state_dir);
    }
  if (lab != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", lab);
      if (mounted_below (lab) > 0)
        fprintf (stderr, "bench: %s still has mounts; not removing it\n", lab);
      else if (system (cmd) != 0)
        fprintf (stderr, "bench: could not remove %s\n", lab);
    }
}

static void
on_signal (int sig)
{
  bench_lab_thaw (0); /* first, whatever the main flow is doing */
  stop_signal = sig;
}

void
bench_check_stop (void)
{
  if (stop_signal != 0)
    {
      fprintf (stderr, "bench: interrupted by signal %d; cleaning up\n", (int)stop_signal);
      exit (128 + stop_signal);
    }
}

void
bench_sleep_ms (guint ms)
{
  struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };

  while (nanosleep (&left, &left) != 0 && errno == EINTR)
    bench_check_stop ();
  bench_check_stop ();
}

static void
dump_log_tail (BenchAgent *a)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint n;

  if (a == NULL || a->log == NULL || !g_file_get_contents (a->log, &text, NULL, NULL))
    return;
  lines = g_strsplit (g_strchomp (text), "\n", -1);
  n = g_strv_length (lines);
  fprintf (stderr, "bench: last lines of %s's log:\n", a->name);
  for (guint i = n > 15 ? n - 15 : 0; i < n; i++)
    fprintf (stderr, "  %s\n", lines[i]);
}

void
bench_fail (const char *fmt, ...)
{
  va_list ap;

  bench_lab_thaw (0);
  va_start (ap, fmt);
  fputs ("bench: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
  for (guint i = 0; i < G_N_ELEMENTS (agents); i++)
    dump_log_tail (agents[i]);
  exit (1);
}

/* ---- the lab ---------------------------------------------------------- */

void
bench_lab_init (void)
{
  g_autofree char *tmpl = g_strdup_printf ("/tmp/quiesce-bench.%d.XXXXXX", (int)getpid ());
  struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: blocking calls return */

  lab = g_strdup (g_mkdtemp (tmpl));
  if (lab == NULL)
    bench_fail ("cannot make %s: %s", tmpl, g_strerror (errno));
  /* the agent's state dir: on tmpfs, as /run is in a guest */
  state_dir = g_strdup_printf ("/dev/shm/quiesce-bench-state.%d", (int)getpid ());
  atexit (cleanup);
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGHUP, &sa, NULL);
}

const char *
bench_lab_dir (void)
{
  return lab;
}

char **
bench_lab_mounts (void)
{
  return mount_paths;
}

void
bench_lab_make_fs (guint n, guint size_mib)
{
  g_assert (n <= MAX_FS && n_mounts == 0);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *img = g_strdup_printf ("%s/img/fs%u.img", lab, i);
      g_autofree char *mp = g_strdup_printf ("%s/mnt/fs%u", lab, i);
      /* no lazy init: ext4lazyinit would write in the background during the runs */
      g_autofree char *cmd
          = g_strdup_printf ("mkdir -p '%s/img' '%s' && truncate -s %uM '%s' && "
                             "mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 '%s' && "
                             "mount -o loop '%s' '%s'",
                             lab, mp, size_mib, img, img, img, mp);
      mount_paths[n_mounts++] = g_strdup (mp); /* known to cleanup before it exists */
      if (system (cmd) != 0)
        bench_fail ("could not make the loop filesystem %s", mp);
      bench_check_stop ();
    }
}

char *
bench_lab_other_tests (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *mine = g_strconcat (lab, "/", NULL);
  GString *out = NULL;

  if (!g_file_get_contents ("/proc/self/mountinfo", &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], " ", -1);
      guint nf = g_strv_length (f), dash;
      for (dash = 6; dash < nf && strcmp (f[dash], "-") != 0; dash++)
        ;
      if (dash + 2 >= nf || g_str_has_prefix (f[4], mine))
        continue;
      /* writable loop filesystems (read-only ones, e.g. snaps, cannot freeze) */
      if (g_str_has_prefix (f[dash + 2], "/dev/loop") && !g_str_has_prefix (f[5], "ro"))
        {
          if (out == NULL)
            out = g_string_new (NULL);
          g_string_append_printf (out, "  %s on %s\n", f[dash + 2], f[4]);
        }
    }
  /* and this project's integration tests, between two of their mounts */
  {
    g_autoptr (GDir) d = g_dir_open ("/tmp", 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_auto (GStrv) f = g_strsplit (name, ".", 3);
        guint64 pid;
        if (g_strv_length (f) == 3 && strcmp (f[0], "quiesce-it") == 0
            && g_ascii_string_to_unsigned (f[1], 10, 1, G_MAXINT, &pid, NULL)
            && kill ((pid_t)pid, 0) == 0)
          {
            if (out == NULL)
              out = g_string_new (NULL);
            g_string_append_printf (out, "  integration tests running (pid %s, /tmp/%s)\n", f[1],
                                    name);
          }
      }
  }
  return out != NULL ? g_string_free (out, FALSE) : NULL;
}

/* ---- agents and the client -------------------------------------------- */

/* mountinfo escapes blanks and backslashes as \ooo */
static void
unescape_octal (char *s)
{
  char *out = s;

  for (; *s != '\0'; s++)
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
        && s[3] <= '7')
      {
        *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
        s += 3;
      }
    else
      *out++ = *s;
  *out = '\0';
}

/* In the agent's child, before exec (no allocation: the buffers are
 * static).  The agent gets a private mount namespace, and in it the loop
 * filesystems of others, if any, are detached.  qemu-ga's thaw issues
 * FITHAW on every mount it can see: this way it sees the lab, the host's
 * own filesystems (which nobody freezes), and nothing another test mounts
 * later, since mounts do not propagate into a private namespace. */
static gboolean
isolate_mounts (void)
{
  static char buf[1 << 20], keep[4096];
  int fd;
  ssize_t n, len = 0;

  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    return FALSE;
  g_snprintf (keep, sizeof (keep), "%s/", lab);
  fd = open ("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  while (len < (ssize_t)sizeof (buf) - 1 && (n = read (fd, buf + len, sizeof (buf) - 1 - len)) > 0)
    len += n;
  close (fd);
  buf[len] = '\0';
  for (char *line = buf, *next; line != NULL && *line != '\0'; line = next)
    {
      char *f[64];
      int nf = 0, dash;
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      for (char *tok = strtok (line, " "); tok != NULL && nf < 64; tok = strtok (NULL, " "))
        f[nf++] = tok;
      for (dash = 6; dash < nf && strcmp (f[dash], "-") != 0; dash++)
        ;
      if (dash + 2 >= nf || strncmp (f[dash + 2], "/dev/loop", 9) != 0)
        continue;
      unescape_octal (f[4]);
      if (strncmp (f[4], keep, strlen (keep)) != 0)
        umount2 (f[4], MNT_DETACH); /* in this namespace only */
    }
  return TRUE;
}

static void
child_setup (gpointer user_data)
{
  const char *log = user_data;
  int fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

  prctl (PR_SET_PDEATHSIG, SIGTERM); /* a killed benchmark leaves no agent behind */
  if (fd >= 0)
    {
      dup2 (fd, 1);
      dup2 (fd, 2);
    }
  setpgid (0, 0); /* ^C reaches the benchmark, which stops the agents in order */
  if (!isolate_mounts ())
    {
      static const char msg[] = "bench: cannot give the agent a mount namespace of its own\n";
      if (write (2, msg, sizeof (msg) - 1) < 0)
        _exit (127);
      _exit (127);
    }
}

static BenchAgent *
agent_spawn (const char *name, const char *const *argv, const char *sock, guint slot)
{
  BenchAgent *a = g_new0 (BenchAgent, 1);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  g_autoptr (GError) error = NULL;

  a->name = g_strdup (name);
  a->log = g_strdup_printf ("%s/%s.log", lab, name);
  a->fd = -1;
  a->buf = g_string_new (NULL);
  if (!g_spawn_async (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, a->log,
                      &a->pid, &error))
    bench_fail ("cannot start %s: %s", argv[0], error->message);
  agents[slot] = a;
  g_strlcpy (addr.sun_path, sock, sizeof (addr.sun_path));
  for (int tries = 0; tries < 400; tries++)
    {
      a->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (connect (a->fd, (struct sockaddr *)&addr, sizeof (addr)) == 0)
        return a;
      close (a->fd);
      a->fd = -1;
      if (waitpid (a->pid, NULL, WNOHANG) == a->pid)
        {
          a->pid = 0;
          bench_fail ("%s exited at start", name);
        }
      bench_sleep_ms (25);
    }
  bench_fail ("cannot connect to %s at %s", name, sock);
}

BenchAgent *
bench_agent_start_quiesce (const char *binary)
{
  g_autofree char *listen = g_strdup_printf ("unix:%s/quiesce.sock", lab);
  g_autofree char *only = g_strdup_printf ("%s/mnt", lab);
  const char *argv[]
      = { binary, "--listen", listen, "--state-dir", state_dir, "--only-under", only, NULL };

  return agent_spawn ("quiesce-agent", argv, listen + 5, 0);
}

BenchAgent *
bench_agent_start_qemu_ga (const char *binary)
{
  g_autofree char *sock = g_strdup_printf ("%s/qga.sock", lab);
  g_autofree char *state = g_strdup_printf ("%s/qga-state", lab);
  g_autofree char *log = g_strdup_printf ("%s/qga-own.log", lab);
  const char *argv[] = { binary, "-m", "unix-listen", "-p", sock, "-t", state, "-l", log, NULL };
  BenchAgent *a;

  g_mkdir_with_parents (state, 0700);
  a = agent_spawn ("qemu-ga", argv, sock, 1);
  a->guarded = TRUE;
  return a;
}

const char *
bench_agent_name (BenchAgent *a)
{
  return a->name;
}

static gboolean
is_lab_mount (const char *path)
{
  for (guint i = 0; i < n_mounts; i++)
    if (strcmp (path, mount_paths[i]) == 0)
      return TRUE;
  return FALSE;
}

/* what qemu-ga may be sent; anything else ends the run */
static void
guard (const char *request)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o, *args = NULL;
  const char *cmd;
  JsonArray *list;

  if (!json_parser_load_from_data (p, request, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
    bench_fail ("guard: refusing to send qemu-ga a malformed request: %s", request);
  o = json_node_get_object (json_parser_get_root (p));
  cmd = json_object_get_string_member_with_default (o, "execute", "");
  if (json_object_has_member (o, "arguments"))
    args = json_object_get_object_member (o, "arguments");
  if (json_object_get_size (o) != (args != NULL ? 2u : 1u))
    bench_fail ("guard: refusing to send qemu-ga: %s", request);
  if (args == NULL
      && (strcmp (cmd, "guest-ping") == 0 || strcmp (cmd, "guest-fsfreeze-status") == 0
          || strcmp (cmd, "guest-fsfreeze-thaw") == 0))
    return;
  if (args == NULL || strcmp (cmd, "guest-fsfreeze-freeze-list") != 0
      || json_object_get_size (args) != 1 || !json_object_has_member (args, "mountpoints")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (args, "mountpoints")))
    bench_fail ("guard: refusing to send qemu-ga: %s", request);
  list = json_object_get_array_member (args, "mountpoints");
  if (json_array_get_length (list) == 0)
    bench_fail ("guard: refusing an empty freeze list for qemu-ga");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *n = json_array_get_element (list, i);
      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING
          || !is_lab_mount (json_node_get_string (n)))
        bench_fail ("guard: refusing to let qemu-ga freeze anything but the lab: %s", request);
    }
}

char *
bench_agent_call (BenchAgent *a, const char *request, double *ms)
{
  g_autofree char *msg = g_strconcat (request, "\n", NULL);
  gsize len = strlen (msg), sent = 0;
  gint64 t0, silent_since;
  char chunk[65536];

  bench_check_stop ();
  if (a->guarded)
    guard (request);
  t0 = bench_now_ns ();
  while (sent < len)
    {
      ssize_t n = send (a->fd, msg + sent, len - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        {
          bench_check_stop ();
          continue;
        }
      if (n <= 0)
        bench_fail ("cannot send to %s: %s", a->name, g_strerror (errno));
      sent += n;
    }
  silent_since = bench_now_ns ();
  for (;;)
    {
      char *nl = memchr (a->buf->str, '\n', a->buf->len);
      struct pollfd pfd = { a->fd, POLLIN, 0 };
      ssize_t n;
      int r;

      if (nl != NULL)
        {
          char *line = g_strndup (a->buf->str, nl - a->buf->str);
          if (ms != NULL)
            *ms = (bench_now_ns () - t0) / 1e6;
          g_string_erase (a->buf, 0, nl - a->buf->str + 1);
          return line;
        }
      r = poll (&pfd, 1, 1000);
      bench_check_stop ();
      if (r == 0 || (r < 0 && errno == EINTR))
        {
          if (bench_now_ns () - silent_since > CALL_TIMEOUT_S * G_GINT64_CONSTANT (1000000000))
            bench_fail ("%s did not answer '%s' within %d s", a->name, request, CALL_TIMEOUT_S);
          continue;
        }
      n = read (a->fd, chunk, sizeof (chunk));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        bench_fail ("%s closed the connection (request: %s)", a->name, request);
      for (ssize_t i = 0; i < n; i++)
        if ((guint8)chunk[i] != 0xff)
          g_string_append_c (a->buf, chunk[i]);
    }
}

long
bench_agent_status_kb (BenchAgent *a, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)a->pid);
  g_autofree char *text = NULL;
  g_autofree char *key = g_strconcat ("\n", field, ":", NULL);
  const char *p;

  if (a->pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  p = strstr (text, key);
  return p != NULL ? strtol (p + strlen (key), NULL, 10) : -1;
}
