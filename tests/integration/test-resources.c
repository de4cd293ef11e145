/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root integration tests: resource exhaustion from hostile clients.
 *
 * Three clients that try to wear the agent down, each while a
 * well-behaved client keeps pinging (every ping must be answered within
 * PING_TIMEOUT_MS), and afterwards the agent's open fds (/proc/PID/fd)
 * must be back at the baseline and its RSS (/proc/PID/status VmRSS)
 * within RSS_SLACK_KIB of it:
 *   connections  1,000 connections held open; the ones past --max-clients
 *                (default 64) get a LimitExceeded error reply and are
 *                closed by the agent;
 *   garbage      100 MB of random bytes and unterminated JSON as fast as
 *                the agent takes it (its error replies drained), then, three
 *                times, a client that writes garbage and never reads: the
 *                agent must stop reading it (bounded per-connection
 *                buffers) rather than grow, survive its close with replies
 *                still queued, and keep no more after each round;
 *   stall        a client that sends '{"execute":"guest-pi' and nothing
 *                more for QT_STALL_SECONDS (default 10; the issue's full
 *                minute with QT_STALL_SECONDS=60) while others are served,
 *                including an acquire and release on a real filesystem.
 * The agent runs with SIGPIPE at its default disposition, as it would
 * from a shell (see agent_start); QT_AGENT_SIGPIPE=ignore runs it as
 * systemd would.
 * The figures (fds, RSS before/during/after, pings, throughput) are
 * printed as '# ' lines. */
#include "qt-harness.h"
#include "qt-sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PING_TIMEOUT_MS 10000
#define RSS_SLACK_KIB 2048
#define SETTLE_MS 10000

/* ---- the agent -------------------------------------------------------- */

/* The harness ignores SIGPIPE, and a child inherits that: started from it
 * as it is, the agent would never see the SIGPIPE it gets when it writes
 * to a client that has gone.  Started from a shell or most init systems it
 * has the default disposition (death), so start it with that.
 * QT_AGENT_SIGPIPE=ignore starts it as systemd does (IgnoreSIGPIPE=yes). */
static void
agent_start (QtHarness *h)
{
  gboolean ignore = g_strcmp0 (g_getenv ("QT_AGENT_SIGPIPE"), "ignore") == 0;

  if (!ignore)
    signal (SIGPIPE, SIG_DFL);
  qt_agent_start (h, NULL);
  signal (SIGPIPE, SIG_IGN);
  g_print ("# agent started with SIGPIPE %s\n", ignore ? "ignored" : "at its default (death)");
}

/* fails with the cause when the agent is gone (or goes within WAIT_MS) */
static void
assert_alive (QtHarness *h, const char *during, guint wait_ms)
{
  int status = qt_agent_wait (h, wait_ms);

  if (status == -1)
    return;
  qt_agent_dump_log (h);
  ck_abort_msg ("%s: the agent died (%s %d%s)", during,
                WIFSIGNALED (status) ? "signal" : "exit status",
                WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status),
                WIFSIGNALED (status) && WTERMSIG (status) == SIGPIPE ? ", SIGPIPE" : "");
}

/* ---- the agent's resources -------------------------------------------- */

static guint
agent_fds (QtHarness *h)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int) qt_agent_pid (h));
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  ck_assert_msg (dir != NULL, "cannot list %s", path);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static guint64
agent_rss_kib (QtHarness *h)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) qt_agent_pid (h));
  g_autofree char *text = NULL;
  const char *p;

  ck_assert_msg (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  p = strstr (text, "\nVmRSS:");
  ck_assert_msg (p != NULL, "no VmRSS in %s", path);
  return g_ascii_strtoull (p + 7, NULL, 10);
}

typedef struct
{
  guint fds;
  guint64 rss;
} Usage;

static Usage
usage (QtHarness *h)
{
  Usage u = { agent_fds (h), agent_rss_kib (h) };
  return u;
}

/* the fd count back to the baseline and the RSS within the slack, waiting
 * at most SETTLE_MS for the agent to notice the closes */
static Usage
expect_baseline (QtHarness *h, const char *what, Usage base, guint64 slack_kib)
{
  gint64 deadline = qt_now_ms () + SETTLE_MS;
  Usage u;
  /* under AddressSanitizer (scripts/run-tests --sanitize) freed memory is
   * quarantined and shadowed, so RSS says nothing about leaks there; the
   * fd count still does, and the sanitizer reports leaks itself */
  gboolean check_rss = g_getenv ("ASAN_OPTIONS") == NULL;

  if (!check_rss)
    slack_kib = G_MAXUINT32;
  for (;;)
    {
      u = usage (h);
      if ((u.fds == base.fds && u.rss <= base.rss + slack_kib) || qt_now_ms () > deadline)
        break;
      qt_sleep_ms (100);
    }
  g_print ("# %-12s after:    fds %u (baseline %u), RSS %" G_GUINT64_FORMAT " KiB (baseline %"
           G_GUINT64_FORMAT " KiB, %+" G_GINT64_FORMAT " KiB)\n",
           what, u.fds, base.fds, u.rss, base.rss, (gint64) u.rss - (gint64) base.rss);
  if (u.fds != base.fds || u.rss > base.rss + slack_kib)
    qt_agent_dump_log (h);
  ck_assert_msg (u.fds == base.fds, "%s: the agent has %u fds open, %u before", what, u.fds,
                 base.fds);
  ck_assert_msg (u.rss <= base.rss + slack_kib,
                 "%s: the agent's RSS is %" G_GUINT64_FORMAT " KiB, %" G_GUINT64_FORMAT
                 " KiB before (slack %" G_GUINT64_FORMAT " KiB)",
                 what, u.rss, base.rss, slack_kib);
  return u;
}

/* warm the agent up (first replies allocate their buffers, GLib its
 * caches), then take the baseline */
static Usage
baseline (QtHarness *h, QtClient *good, const char *what)
{
  Usage u;

  for (int i = 0; i < 20; i++)
    {
      qt_ping (good);
      qt_ok (good, "{\"execute\":\"guest-info\"}");
    }
  qt_sleep_ms (200);
  u = usage (h);
  g_print ("# %-12s baseline: fds %u, RSS %" G_GUINT64_FORMAT " KiB (agent pid %d)\n", what,
           u.fds, u.rss, (int) qt_agent_pid (h));
  return u;
}

/* ---- the well-behaved client ------------------------------------------ */

typedef struct
{
  guint n;
  gint64 max_ms;
  gint64 total_ms;
} Pings;

static void
timed_ping (QtHarness *h, QtClient *c, Pings *p, const char *during)
{
  const char req[] = "{\"execute\":\"guest-ping\"}\n";
  gint64 t0 = qt_now_ms ();
  g_autofree char *line = NULL;
  gint64 dt;

  qt_client_send_raw (c, req, sizeof req - 1);
  line = qt_client_read_line (c, PING_TIMEOUT_MS);
  dt = qt_now_ms () - t0;
  if (line == NULL)
    assert_alive (h, during, 2000);
  if (line == NULL)
    qt_agent_dump_log (h);
  ck_assert_msg (line != NULL, "%s: a ping got no reply within %d ms (agent %s)", during,
                 PING_TIMEOUT_MS, qt_agent_alive (h) ? "alive" : "dead");
  ck_assert_msg (strcmp (line, "{\"return\":{}}") == 0, "%s: ping answered %s", during, line);
  p->n++;
  p->total_ms += dt;
  p->max_ms = MAX (p->max_ms, dt);
}

static void
print_pings (const char *what, const Pings *p)
{
  g_print ("# %-12s pings:    %u answered, max %" G_GINT64_FORMAT " ms, mean %.1f ms\n", what,
           p->n, p->max_ms, p->n > 0 ? (double) p->total_ms / p->n : 0.0);
}

/* ---- raw sockets ------------------------------------------------------ */

static void
raise_fd_limit (guint want)
{
  struct rlimit rl;

  ck_assert (getrlimit (RLIMIT_NOFILE, &rl) == 0);
  if (rl.rlim_cur < want)
    {
      rl.rlim_cur = MIN ((rlim_t) want, rl.rlim_max);
      ck_assert_msg (setrlimit (RLIMIT_NOFILE, &rl) == 0, "setrlimit: %s", g_strerror (errno));
    }
  ck_assert_msg (rl.rlim_cur >= want, "need %u fds, RLIMIT_NOFILE allows %lu", want,
                 (unsigned long) rl.rlim_cur);
}

/* a connected socket, or -1 after 10 s (a full backlog).  A unix socket
 * does not connect in the background: a non-blocking connect() to a full
 * backlog fails with EAGAIN, so connect blocking, bounded by SO_SNDTIMEO */
static int
raw_connect (QtHarness *h)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  struct timeval tv = { 10, 0 };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  ck_assert_msg (fd >= 0, "socket: %s", g_strerror (errno));
  g_strlcpy (sun.sun_path, qt_agent_socket (h), sizeof sun.sun_path);
  ck_assert (setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0);
  while (connect (fd, (struct sockaddr *) &sun, sizeof sun) != 0)
    {
      if (errno == EINTR)
        continue;
      close (fd);
      return -1;
    }
  return fd;
}

/* what the agent sent before closing, if it did within TIMEOUT_MS */
static char *
read_until_eof (int fd, guint timeout_ms)
{
  g_autoptr (GString) s = g_string_new (NULL);
  gint64 deadline = qt_now_ms () + timeout_ms;

  for (;;)
    {
      char buf[4096];
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = deadline - qt_now_ms ();
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        return NULL; /* still open */
      n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0)
        return g_string_free (g_steal_pointer (&s), FALSE);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      if (n < 0)
        {
          /* closed by a reset: say so in what was read */
          g_string_append_printf (s, "<%s>", g_strerror (errno));
          return g_string_free (g_steal_pointer (&s), FALSE);
        }
      g_string_append_len (s, buf, n);
    }
}

/* ---- 1: a thousand connections ---------------------------------------- */

#define N_CONNECTIONS 1000
#define MAX_CLIENTS 64 /* the agent's default --max-clients */

START_TEST (test_connections)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) good = NULL;
  g_autoptr (QtClient) late = NULL;
  int fds[N_CONNECTIONS];
  guint refused = 0, held = 0, failed = 0;
  Pings pings = { 0 };
  Usage base, peak;
  g_autofree char *sample = NULL;

  raise_fd_limit (N_CONNECTIONS + 256);
  agent_start (h);
  good = qt_client_new (h);
  base = baseline (h, good, "connections");

  for (guint i = 0; i < N_CONNECTIONS; i++)
    {
      fds[i] = raw_connect (h);
      if (fds[i] < 0)
        failed++;
      if (i % 50 == 49)
        timed_ping (h, good, &pings, "1000 connections");
    }
  ck_assert_msg (failed == 0, "%u of %d connects failed (backlog never drained?)", failed,
                 N_CONNECTIONS);
  timed_ping (h, good, &pings, "1000 connections");

  /* the ones past the cap: one error line, then EOF; the others: silence */
  for (guint i = 0; i < N_CONNECTIONS; i++)
    {
      g_autofree char *got = read_until_eof (fds[i], held < MAX_CLIENTS - 1 ? 100 : 2000);

      if (got == NULL)
        {
          held++;
          continue;
        }
      refused++;
      ck_assert_msg (strstr (got, "\"LimitExceeded\"") != NULL && g_str_has_suffix (got, "\n")
                         && strchr (got, '\n') == got + strlen (got) - 1,
                     "connection %u: expected one LimitExceeded line before the close, got '%s'",
                     i, got);
      if (sample == NULL)
        sample = g_strndup (got, strlen (got) - 1);
    }
  peak = usage (h);
  g_print ("# %-12s held:     %u connections served, %u refused (%s)\n", "connections", held,
           refused, sample != NULL ? sample : "-");
  g_print ("# %-12s during:   fds %u, RSS %" G_GUINT64_FORMAT " KiB\n", "connections", peak.fds,
           peak.rss);
  /* the good client holds one of the 64 places */
  ck_assert_uint_eq (held, MAX_CLIENTS - 1);
  ck_assert_uint_eq (refused, N_CONNECTIONS - (MAX_CLIENTS - 1));
  ck_assert_msg (peak.fds <= base.fds + MAX_CLIENTS, "%u fds open with %d clients (baseline %u)",
                 peak.fds, MAX_CLIENTS, base.fds);
  timed_ping (h, good, &pings, "1000 connections held");

  for (guint i = 0; i < N_CONNECTIONS; i++)
    close (fds[i]);
  timed_ping (h, good, &pings, "after the close");
  print_pings ("connections", &pings);
  expect_baseline (h, "connections", base, RSS_SLACK_KIB);

  /* a place is free again */
  late = qt_client_new (h);
  qt_ping (late);
  ck_assert (qt_agent_alive (h));
}
END_TEST

/* ---- 2: 100 MB of garbage --------------------------------------------- */

#define GARBAGE_BLOCK (1024 * 1024)
#define GARBAGE_BLOCKS 100
#define MUTE_ROUNDS 3
/* while a client that never reads is connected: its outbox (reading
 * stops at 4 MiB; a run of the same error waits as one counted item, not
 * as text), one read's buffer, and the allocator's rounding */
#define MUTE_MAX_KIB (8 * 1024) /* +4.3 to +5.6 MiB measured; +19 MiB before */

static const char *const fragments[] = {
  "{\"execute\":\"guest-pi", "{\"execute\":\"guest-ping\",\"arguments\":{\"x\":[1,2,{\"y\":",
  "[[[[[[[[[[[[[[[[", "{\"a\":", "\"\\u12", "tru", "nul", "-0.e", "1e99999", "}}}]]]",
  "{\"execute\":\"guest-info\",\"id\":", "{\"execute\":\"no-such-command\",\"arguments\":",
  "\"\xc3\x28\"", "{\"\":{\"\":{\"\":", "\xff", "\n", "  ", "{\"execute\":\"guest-sync\"",
};

/* four 1 MiB blocks: random bytes; one unterminated 1 MiB string; random
 * unterminated JSON fragments; 1 MiB of '[' */
static GBytes **
make_garbage (guint32 seed)
{
  GBytes **blocks = g_new0 (GBytes *, 4);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  guint8 *b;
  gsize off;

  b = g_malloc (GARBAGE_BLOCK);
  for (gsize i = 0; i < GARBAGE_BLOCK; i++)
    b[i] = (guint8) g_rand_int (rand);
  blocks[0] = g_bytes_new_take (b, GARBAGE_BLOCK);

  b = g_malloc (GARBAGE_BLOCK);
  off = g_strlcpy ((char *) b, "{\"execute\":\"guest-ping\",\"arguments\":{\"x\":\"", 64);
  for (gsize i = off; i < GARBAGE_BLOCK; i++)
    b[i] = (guint8) g_rand_int_range (rand, 'a', 'z' + 1);
  blocks[1] = g_bytes_new_take (b, GARBAGE_BLOCK);

  b = g_malloc (GARBAGE_BLOCK);
  off = 0;
  while (off < GARBAGE_BLOCK)
    {
      const char *f = fragments[g_rand_int_range (rand, 0, G_N_ELEMENTS (fragments))];
      gsize n = MIN (strlen (f), GARBAGE_BLOCK - off);

      memcpy (b + off, f, n);
      off += n;
    }
  blocks[2] = g_bytes_new_take (b, GARBAGE_BLOCK);

  b = g_malloc (GARBAGE_BLOCK);
  memset (b, '[', GARBAGE_BLOCK);
  blocks[3] = g_bytes_new_take (b, GARBAGE_BLOCK);
  return blocks;
}

typedef struct
{
  int fd;
  GBytes **blocks;
  guint64 sent;
  guint64 received;
  guint64 lines;
  gint64 elapsed_ms;
  gint done;   /* atomic: the thread has finished */
  char *error; /* set by the thread; asserted by the test */
} Garbage;

/* writes every block in turn and drains the agent's error replies */
static gpointer
garbage_thread (gpointer data)
{
  Garbage *g = data;
  guint block = 0;
  gsize off = 0;
  gint64 t0 = qt_now_ms ();
  gint64 last_progress = t0;

  while (block < GARBAGE_BLOCKS)
    {
      gsize len = 0;
      const guint8 *p = g_bytes_get_data (g->blocks[block % 4], &len);
      struct pollfd pfd = { g->fd, POLLIN | POLLOUT, 0 };
      ssize_t n;

      if (poll (&pfd, 1, 1000) < 0 && errno != EINTR)
        {
          g->error = g_strdup_printf ("poll: %s", g_strerror (errno));
          break;
        }
      if (pfd.revents & POLLIN)
        {
          char buf[65536];

          n = recv (g->fd, buf, sizeof buf, MSG_DONTWAIT);
          if (n > 0)
            {
              g->received += (guint64) n;
              for (ssize_t i = 0; i < n; i++)
                g->lines += buf[i] == '\n';
              last_progress = qt_now_ms ();
            }
          else if (n == 0)
            {
              g->error = g_strdup_printf ("the agent closed the garbage connection after %"
                                          G_GUINT64_FORMAT " bytes", g->sent);
              break;
            }
        }
      if (pfd.revents & POLLOUT)
        {
          n = send (g->fd, p + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
          if (n > 0)
            {
              g->sent += (guint64) n;
              off += (gsize) n;
              if (off == len)
                {
                  off = 0;
                  block++;
                }
              last_progress = qt_now_ms ();
            }
          else if (n < 0 && errno != EAGAIN && errno != EINTR)
            {
              g->error = g_strdup_printf ("send after %" G_GUINT64_FORMAT " bytes: %s", g->sent,
                                          g_strerror (errno));
              break;
            }
        }
      if ((pfd.revents & (POLLHUP | POLLERR)) && !(pfd.revents & POLLIN))
        {
          g->error = g_strdup_printf ("the garbage connection hung up after %" G_GUINT64_FORMAT
                                      " bytes", g->sent);
          break;
        }
      if (qt_now_ms () - last_progress > 30000)
        {
          g->error = g_strdup_printf ("the agent took nothing for 30 s after %" G_GUINT64_FORMAT
                                      " bytes", g->sent);
          break;
        }
    }
  g->elapsed_ms = qt_now_ms () - t0;
  g_atomic_int_set (&g->done, 1);
  return NULL;
}

START_TEST (test_garbage)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) good = NULL;
  g_autoptr (QtClient) bad = NULL;
  guint32 seed = g_random_int ();
  Garbage g = { 0 };
  GThread *thread;
  Pings pings = { 0 };
  Usage base, peak = { 0 };

  agent_start (h);
  good = qt_client_new (h);
  base = baseline (h, good, "garbage");

  /* (a) 100 MB as fast as the agent takes it; its replies drained */
  g_print ("# %-12s seed %u\n", "garbage", seed);
  g.blocks = make_garbage (seed);
  bad = qt_client_new (h);
  g.fd = qt_client_fd (bad);
  thread = g_thread_new ("garbage", garbage_thread, &g);
  while (!g_atomic_int_get (&g.done))
    {
      Usage u;

      timed_ping (h, good, &pings, "100 MB of garbage");
      u = usage (h);
      peak.fds = MAX (peak.fds, u.fds);
      peak.rss = MAX (peak.rss, u.rss);
      qt_sleep_ms (100);
    }
  g_thread_join (thread);
  for (int i = 0; i < 4; i++)
    g_bytes_unref (g.blocks[i]);
  g_free (g.blocks);
  ck_assert_msg (g.error == NULL, "%s", g.error);
  ck_assert_uint_eq (g.sent, (guint64) GARBAGE_BLOCKS * GARBAGE_BLOCK);
  timed_ping (h, good, &pings, "after the garbage");
  g_print ("# %-12s sent:     %" G_GUINT64_FORMAT " bytes in %" G_GINT64_FORMAT
           " ms (%.1f MB/s); %" G_GUINT64_FORMAT " error lines (%" G_GUINT64_FORMAT
           " bytes) back\n",
           "garbage", g.sent, g.elapsed_ms,
           g.elapsed_ms > 0 ? (double) g.sent / 1e3 / (double) g.elapsed_ms : 0.0, g.lines,
           g.received);
  g_print ("# %-12s during:   fds %u, RSS peak %" G_GUINT64_FORMAT " KiB\n", "garbage", peak.fds,
           peak.rss);
  print_pings ("garbage", &pings);
  ck_assert_msg (g.lines > 0, "no error reply to 100 MB of garbage");
  /* it goes away with the agent's last replies possibly still queued */
  g_clear_pointer (&bad, qt_client_free);
  qt_sleep_ms (200);
  timed_ping (h, good, &pings, "after the garbage client left");
  assert_alive (h, "after the garbage client left", 0);
  expect_baseline (h, "garbage", base, RSS_SLACK_KIB);

  /* (b) garbage from a client that never reads: every "x\n" earns an
   * error line, so the replies pile up; the agent must stop reading that
   * client (bounded buffers) instead of growing, go on serving the others,
   * and survive the client's close with replies still queued.  Three
   * rounds, and after each the RSS is back at the baseline (the agent
   * trims the heap after a flood and big buffers are their own mappings) */
  {
    g_autofree char *chunk = g_malloc (64 * 1024);
    guint64 after[MUTE_ROUNDS];

    for (gsize i = 0; i < 64 * 1024; i += 2)
      {
        chunk[i] = 'x';
        chunk[i + 1] = '\n';
      }
    for (int round = 0; round < MUTE_ROUNDS; round++)
      {
        g_autoptr (QtClient) mute = qt_client_new (h);
        guint64 mute_sent = 0;
        gint64 stalled_since = 0;
        Usage stuck;

        for (;;)
          {
            struct pollfd pfd = { qt_client_fd (mute), POLLOUT, 0 };
            ssize_t n;

            ck_assert_msg (mute_sent < (guint64) 512 << 20,
                           "the agent read 512 MiB from a client that never reads its replies");
            if (poll (&pfd, 1, 100) == 1 && (pfd.revents & POLLOUT))
              {
                n = send (qt_client_fd (mute), chunk, 64 * 1024, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n > 0)
                  {
                    mute_sent += (guint64) n;
                    stalled_since = 0;
                    continue;
                  }
                ck_assert_msg (n < 0 && (errno == EAGAIN || errno == EINTR), "send: %s",
                               g_strerror (errno));
              }
            if (stalled_since == 0)
              stalled_since = qt_now_ms ();
            else if (qt_now_ms () - stalled_since > 2000)
              break; /* the agent stopped reading: back-pressure */
          }
        pings.n = 0;
        pings.max_ms = pings.total_ms = 0;
        for (int i = 0; i < 10; i++)
          timed_ping (h, good, &pings, "a client that never reads");
        stuck = usage (h);
        g_print ("# %-12s mute %d:   the agent stopped reading after %" G_GUINT64_FORMAT
                 " bytes; RSS %" G_GUINT64_FORMAT " KiB (%+" G_GINT64_FORMAT " KiB), fds %u; "
                 "pings max %" G_GINT64_FORMAT " ms\n",
                 "garbage", round + 1, mute_sent, stuck.rss,
                 (gint64) stuck.rss - (gint64) base.rss, stuck.fds, pings.max_ms);
        /* (not under AddressSanitizer: see expect_baseline) */
        ck_assert_msg (g_getenv ("ASAN_OPTIONS") != NULL || stuck.rss <= base.rss + MUTE_MAX_KIB,
                       "a client that never reads grew the agent by %" G_GINT64_FORMAT " KiB",
                       (gint64) stuck.rss - (gint64) base.rss);
        /* it goes away with its replies still queued */
        g_clear_pointer (&mute, qt_client_free);
        timed_ping (h, good, &pings, "after the mute client left");
        assert_alive (h, "after the mute client left", 0);
        qt_sleep_ms (500);
        after[round] = agent_rss_kib (h);
        ck_assert_uint_eq (agent_fds (h), base.fds);
      }
    g_print ("# %-12s mute:     RSS after each round %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
             ", %" G_GUINT64_FORMAT " KiB (baseline %" G_GUINT64_FORMAT " KiB)\n",
             "garbage", after[0], after[1], after[2], base.rss);
    for (int round = 0; round < MUTE_ROUNDS; round++)
      ck_assert_msg (g_getenv ("ASAN_OPTIONS") != NULL || after[round] <= base.rss + RSS_SLACK_KIB,
                     "after mute client %d the agent's RSS is %" G_GUINT64_FORMAT
                     " KiB, more than %d KiB over the baseline %" G_GUINT64_FORMAT " KiB",
                     round + 1, after[round], RSS_SLACK_KIB, base.rss);
  }
  ck_assert (qt_agent_alive (h));
}
END_TEST

/* ---- 3: a client stalled mid-message ---------------------------------- */

START_TEST (test_stall)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) good = NULL;
  g_autoptr (QtClient) other = NULL;
  g_autoptr (QtClient) stalled = NULL;
  const char *stall_env = g_getenv ("QT_STALL_SECONDS");
  guint stall_s = stall_env != NULL ? (guint) g_ascii_strtoull (stall_env, NULL, 10) : 10;
  const char *a;
  Pings pings = { 0 };
  Usage base, during;
  guint cycles = 0;
  gint64 end;
  const char half[] = "{\"execute\":\"guest-pi";

  if (stall_s == 0)
    stall_s = 10;
  a = qt_fs_add (h, "a", "ext4", 64);
  agent_start (h);
  good = qt_client_new (h);
  other = qt_client_new (h);
  qt_ping (other);
  base = baseline (h, good, "stall");

  stalled = qt_client_new (h);
  qt_client_send_raw (stalled, half, sizeof half - 1);
  g_print ("# %-12s a client sent '%s' and stalls for %u s\n", "stall", half, stall_s);
  end = qt_now_ms () + (gint64) stall_s * 1000;
  while (qt_now_ms () < end)
    {
      JsonObject *r;
      gint64 handle;

      timed_ping (h, good, &pings, "a stalled client");
      /* the freeze path is served too */
      r = qt_acquire (other, "resources", 30, a, NULL);
      handle = qt_get_int (r, "handle");
      qt_release (other, handle);
      cycles++;
      qt_sleep_ms (250);
    }
  during = usage (h);
  g_print ("# %-12s during:   fds %u, RSS %" G_GUINT64_FORMAT " KiB; %u acquire/release cycles "
           "served\n",
           "stall", during.fds, during.rss, cycles);
  /* the stalled client gets nothing: its message is not complete */
  {
    g_autofree char *line = qt_client_read_line (stalled, 100);
    ck_assert_msg (line == NULL, "the stalled client got a reply: %s", line);
  }
  ck_assert_uint_eq (during.fds, base.fds + 1);
  g_clear_pointer (&stalled, qt_client_free);
  timed_ping (h, good, &pings, "after the stalled client left");
  print_pings ("stall", &pings);
  qt_assert_str (good, qt_status (good), "thawed");
  expect_baseline (h, "stall", base, RSS_SLACK_KIB);
  qt_expect (h, a, FALSE, NULL);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("integration-resources");
  const char *stall_env = g_getenv ("QT_STALL_SECONDS");
  int stall_s = stall_env != NULL ? atoi (stall_env) : 10;

  qt_suite_add (s, "connections", test_connections, 300);
  qt_suite_add (s, "garbage", test_garbage, 600);
  qt_suite_add (s, "stall", test_stall, MAX (stall_s, 10) + 180);
  return qt_main (s);
}
