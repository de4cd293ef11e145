/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-agent: guest-ping round trip and freeze+thaw of N loop
 * filesystems, quiesce-agent beside qemu-ga in the same run.
 *
 *   bench-agent [--fs N] [--rounds R] [--pings P] [--json FILE]
 *
 * Root only.  It makes its own loop filesystems under
 * /tmp/quiesce-bench.PID.XXXXXX and only ever freezes those: quiesce-agent
 * runs with --only-under that directory, and qemu-ga is only sent
 * guest-fsfreeze-freeze-list with exactly those mountpoints.  The two
 * agents are measured alternately, round by round, so machine noise hits
 * both alike; the output gives medians, spreads and ratios. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char *lab;
static char *state_q; /* the agent's state dir: on tmpfs, as /run is in a guest */
static GPtrArray *mounts;  /* char* mountpoints */
static GPtrArray *loops;   /* char* loop devices */
static GPid agent_pids[2];

static void
run (const char *cmd)
{
  int status = system (cmd);
  if (status != 0)
    {
      fprintf (stderr, "bench: '%s' failed\n", cmd);
      exit (1);
    }
}

static void
cleanup (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (agent_pids); i++)
    if (agent_pids[i] > 0)
      {
        kill (agent_pids[i], SIGTERM);
        waitpid (agent_pids[i], NULL, 0);
        agent_pids[i] = 0;
      }
  for (guint i = 0; mounts != NULL && i < mounts->len; i++)
    {
      const char *mp = g_ptr_array_index (mounts, i);
      int fd = open (mp, O_RDONLY | O_DIRECTORY);
      g_autofree char *cmd = g_strdup_printf ("umount -l '%s' 2>/dev/null", mp);
      if (fd >= 0)
        {
          ioctl (fd, FITHAW, 0);
          close (fd);
        }
      if (system (cmd) != 0)
        continue;
    }
  for (guint i = 0; loops != NULL && i < loops->len; i++)
    {
      g_autofree char *cmd = g_strdup_printf ("losetup -d %s 2>/dev/null",
                                              (char *) g_ptr_array_index (loops, i));
      if (system (cmd) != 0)
        continue;
    }
  if (state_q != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", state_q);
      if (system (cmd) != 0)
        fprintf (stderr, "bench: could not remove %s\n", state_q);
    }
  if (lab != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", lab);
      if (system (cmd) != 0)
        fprintf (stderr, "bench: could not remove %s\n", lab);
    }
}

static void
on_signal (int sig)
{
  cleanup ();
  _exit (128 + sig);
}

/* ---- a minimal blocking client ---------------------------------------- */

typedef struct
{
  int fd;
  GString *buf;
} Client;

static Client *
client_connect (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  Client *c = g_new0 (Client, 1);

  for (int tries = 0; tries < 200; tries++)
    {
      c->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_strlcpy (addr.sun_path, path, sizeof (addr.sun_path));
      if (connect (c->fd, (struct sockaddr *) &addr, sizeof (addr)) == 0)
        {
          c->buf = g_string_new (NULL);
          return c;
        }
      close (c->fd);
      g_usleep (50000);
    }
  fprintf (stderr, "bench: cannot connect to %s\n", path);
  exit (1);
}

/* send one request, return the reply line (0xFF sentinels dropped) */
static char *
client_call (Client *c, const char *request)
{
  gsize len = strlen (request);
  char chunk[65536];

  if (write (c->fd, request, len) != (ssize_t) len || write (c->fd, "\n", 1) != 1)
    {
      fprintf (stderr, "bench: write failed\n");
      exit (1);
    }
  for (;;)
    {
      char *nl = memchr (c->buf->str, '\n', c->buf->len);
      ssize_t n;
      if (nl != NULL)
        {
          char *line = g_strndup (c->buf->str, nl - c->buf->str);
          g_string_erase (c->buf, 0, nl - c->buf->str + 1);
          return line;
        }
      n = read (c->fd, chunk, sizeof (chunk));
      if (n <= 0)
        {
          fprintf (stderr, "bench: the agent closed the connection\n");
          exit (1);
        }
      for (ssize_t i = 0; i < n; i++)
        if ((guint8) chunk[i] != 0xff)
          g_string_append_c (c->buf, chunk[i]);
    }
}

static void
expect_ok (const char *reply, const char *what)
{
  if (strstr (reply, "\"error\"") != NULL)
    {
      fprintf (stderr, "bench: %s failed: %s\n", what, reply);
      cleanup ();
      exit (1);
    }
}

static gint64
json_int_member (const char *reply, const char *member)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o;

  if (!json_parser_load_from_data (p, reply, -1, NULL))
    return -1;
  o = json_node_get_object (json_parser_get_root (p));
  o = json_object_get_object_member (o, "return");
  return o != NULL ? json_object_get_int_member_with_default (o, member, -1) : -1;
}

/* ---- statistics ------------------------------------------------------- */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

typedef struct
{
  double median, p10, p90;
} Stats;

static Stats
stats_of (GArray *v)
{
  Stats s = { 0 };
  if (v->len == 0)
    return s;
  qsort (v->data, v->len, sizeof (double), cmp_double);
  s.median = g_array_index (v, double, v->len / 2);
  s.p10 = g_array_index (v, double, v->len / 10);
  s.p90 = g_array_index (v, double, (v->len * 9) / 10);
  return s;
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static long
rss_kb (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  p = strstr (text, "VmRSS:");
  return p != NULL ? strtol (p + 6, NULL, 10) : -1;
}

/* ---- main ------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  gint nfs = 8, rounds = 20, pings = 2000;
  g_autofree char *json_out = NULL;
  const GOptionEntry entries[] = {
    { "fs", 0, 0, G_OPTION_ARG_INT, &nfs, "Loop filesystems (default 8)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Freeze+thaw rounds per agent (default 20)",
      "R" },
    { "pings", 0, 0, G_OPTION_ARG_INT, &pings, "Pings per agent (default 2000)", "P" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_out, "Also write results as JSON", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- quiesce-agent beside qemu-ga");
  g_autoptr (GError) error = NULL;
  const char *agent = g_getenv ("QUIESCE_AGENT");
  g_autofree char *qemu_ga = g_find_program_in_path ("qemu-ga");
  g_autofree char *mplist = NULL;
  gboolean have_qga;
  Client *clients[2] = { NULL, NULL };
  const char *names[2] = { "quiesce-agent", "qemu-ga" };
  GArray *ping_ms[2], *ft_ms[2], *legacy_ms[2];
  long rss[2] = { -1, -1 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench: %s\n", error->message);
      return 2;
    }
  if (geteuid () != 0 || access ("/dev/loop-control", F_OK) != 0)
    {
      printf ("SKIP: the benchmark needs root and loop devices\n");
      return 77;
    }
  if (agent == NULL)
    agent = "build/agent/quiesce-agent";
  have_qga = qemu_ga != NULL;

  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  {
    g_autofree char *tmpl = g_strdup_printf ("/tmp/quiesce-bench.%d.XXXXXX", (int) getpid ());
    lab = g_strdup (g_mkdtemp (tmpl));
  }
  mounts = g_ptr_array_new_with_free_func (g_free);
  loops = g_ptr_array_new_with_free_func (g_free);
  {
    g_autoptr (GString) list = g_string_new (NULL);
    for (int i = 0; i < nfs; i++)
      {
        g_autofree char *img = g_strdup_printf ("%s/fs%d.img", lab, i);
        g_autofree char *mp = g_strdup_printf ("%s/mnt/fs%d", lab, i);
        g_autofree char *cmd = g_strdup_printf (
            "truncate -s 64M '%s' && mkfs.ext4 -q -F '%s' && mkdir -p '%s'", img, img, mp);
        g_autofree char *loop_cmd = g_strdup_printf ("losetup -f --show '%s'", img);
        g_autofree char *loop = NULL;
        g_autofree char *mount_cmd = NULL;

        run (cmd);
        if (!g_spawn_command_line_sync (loop_cmd, &loop, NULL, NULL, NULL))
          exit (1);
        g_strstrip (loop);
        g_ptr_array_add (loops, g_strdup (loop));
        mount_cmd = g_strdup_printf ("mount '%s' '%s'", loop, mp);
        run (mount_cmd);
        g_ptr_array_add (mounts, g_strdup (mp));
        g_string_append_printf (list, "%s\"%s\"", i > 0 ? "," : "", mp);
      }
    mplist = g_strdup (list->str);
  }

  {
    g_autofree char *sock = g_strdup_printf ("%s/quiesce.sock", lab);
    const char *state = state_q = g_strdup_printf ("/dev/shm/quiesce-bench-state.%d",
                                                   (int) getpid ());
    g_autofree char *only = g_strdup_printf ("%s/mnt", lab);
    const char *argv_q[] = { agent, "--listen", NULL, "--state-dir", state, "--only-under",
                             only, NULL };
    g_autofree char *listen = g_strdup_printf ("unix:%s", sock);
    argv_q[2] = listen;
    if (!g_spawn_async (NULL, (char **) argv_q, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                        &agent_pids[0], &error))
      {
        fprintf (stderr, "bench: cannot start %s: %s\n", agent, error->message);
        cleanup ();
        return 1;
      }
    clients[0] = client_connect (sock);
  }
  if (have_qga)
    {
      g_autofree char *sock = g_strdup_printf ("%s/qga.sock", lab);
      g_autofree char *state = g_strdup_printf ("%s/state-g", lab);
      g_autofree char *log = g_strdup_printf ("%s/qga.log", lab);
      const char *argv_g[] = { qemu_ga, "-m", "unix-listen", "-p", sock, "-t", state, "-l", log,
                               NULL };
      g_mkdir_with_parents (state, 0700);
      if (!g_spawn_async (NULL, (char **) argv_g, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                          &agent_pids[1], &error))
        have_qga = FALSE;
      else
        clients[1] = client_connect (sock);
    }

  for (int a = 0; a < 2; a++)
    {
      ping_ms[a] = g_array_new (FALSE, FALSE, sizeof (double));
      ft_ms[a] = g_array_new (FALSE, FALSE, sizeof (double));
      legacy_ms[a] = g_array_new (FALSE, FALSE, sizeof (double));
    }

  /* pings: blocks of 100, alternating agents */
  for (int block = 0; block < pings / 100; block++)
    for (int a = 0; a < (have_qga ? 2 : 1); a++)
      for (int i = 0; i < 100; i++)
        {
          double t0 = now_ms ();
          g_autofree char *r = client_call (clients[a], "{\"execute\":\"guest-ping\"}");
          double dt = now_ms () - t0;
          expect_ok (r, "guest-ping");
          g_array_append_val (ping_ms[a], dt);
        }

  /* freeze+thaw of every lab filesystem, alternating agents */
  for (int round = 0; round < rounds; round++)
    for (int a = 0; a < (have_qga ? 2 : 1); a++)
      {
        g_autofree char *freeze = g_strdup_printf (
            "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[%s]}}",
            mplist);
        double t0 = now_ms ();
        g_autofree char *r1 = client_call (clients[a], freeze);
        g_autofree char *r2 = client_call (clients[a], "{\"execute\":\"guest-fsfreeze-thaw\"}");
        double dt = now_ms () - t0;
        expect_ok (r1, "freeze-list");
        expect_ok (r2, "thaw");
        g_array_append_val (legacy_ms[a], dt);
        if (a == 0)
          {
            g_autofree char *acq = g_strdup_printf (
                "{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":[%s],"
                "\"owner\":\"bench\"}}",
                mplist);
            g_autofree char *r3 = NULL;
            g_autofree char *rel = NULL;
            g_autofree char *r4 = NULL;
            t0 = now_ms ();
            r3 = client_call (clients[0], acq);
            expect_ok (r3, "acquire");
            rel = g_strdup_printf (
                "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
                "}}",
                json_int_member (r3, "handle"));
            r4 = client_call (clients[0], rel);
            dt = now_ms () - t0;
            expect_ok (r4, "release");
            g_array_append_val (ft_ms[0], dt);
          }
      }
  for (int a = 0; a < (have_qga ? 2 : 1); a++)
    rss[a] = rss_kb (agent_pids[a]);

  {
    Stats p[2], l[2], f;
    const char *machine = g_get_host_name ();
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
    g_autofree char *date = g_date_time_format (now, "%F");

    for (int a = 0; a < 2; a++)
      {
        p[a] = stats_of (ping_ms[a]);
        l[a] = stats_of (legacy_ms[a]);
      }
    f = stats_of (ft_ms[0]);
    printf ("quiesce bench, %s, %d loop ext4 filesystems, %d rounds, %d pings (%s)\n", date,
            nfs, rounds, pings, machine);
    printf ("%-36s %14s %14s %8s\n", "measure (median [p10..p90])", names[0],
            have_qga ? names[1] : "(no qemu-ga)", "ratio");
    printf ("%-36s %6.3f ms [%.3f..%.3f] %6.3f ms [%.3f..%.3f] %6.2f\n", "guest-ping round trip",
            p[0].median, p[0].p10, p[0].p90, p[1].median, p[1].p10, p[1].p90,
            have_qga ? p[0].median / p[1].median : 0.0);
    printf ("%-36s %6.2f ms [%.2f..%.2f] %6.2f ms [%.2f..%.2f] %6.2f\n",
            g_strdup_printf ("freeze-list+thaw, %d fs", nfs), l[0].median, l[0].p10, l[0].p90,
            l[1].median, l[1].p10, l[1].p90, have_qga ? l[0].median / l[1].median : 0.0);
    printf ("%-36s %6.2f ms [%.2f..%.2f]\n", g_strdup_printf ("acquire+release, %d fs", nfs),
            f.median, f.p10, f.p90);
    printf ("%-36s %9ld kB %14ld kB %6.2f\n", "RSS after the runs", rss[0], rss[1],
            have_qga && rss[1] > 0 ? (double) rss[0] / rss[1] : 0.0);
    if (json_out != NULL)
      {
        g_autofree char *js = g_strdup_printf (
            "{\"date\":\"%s\",\"filesystems\":%d,\"rounds\":%d,\"pings\":%d,"
            "\"ping_ms\":{\"quiesce\":%.4f,\"qemu_ga\":%.4f},"
            "\"freeze_thaw_ms\":{\"quiesce_legacy\":%.3f,\"quiesce_handle\":%.3f,\"qemu_ga\":%.3f},"
            "\"rss_kb\":{\"quiesce\":%ld,\"qemu_ga\":%ld}}\n",
            date, nfs, rounds, pings, p[0].median, p[1].median, l[0].median, f.median,
            l[1].median, rss[0], rss[1]);
        g_file_set_contents (json_out, js, -1, NULL);
      }
  }
  cleanup ();
  return 0;
}
