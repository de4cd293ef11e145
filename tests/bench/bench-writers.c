/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-writers: paced write+fsync children and the stall they see; see
 * bench-writers.h.  The children use plain system calls only, nothing
 * from GLib, after fork(). */
#include "config.h"

#include "bench-writers.h"
#include "bench-lab.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WRITERS 256
#define RING_BLOCKS 256 /* each writer rewrites a 1 MiB file, 4 KiB at a time */
#define BLOCK       4096

typedef struct
{
  _Atomic guint64 cycle; /* the window that worst_ns and overlapping belong to */
  _Atomic gint64 worst_ns;
  _Atomic guint32 overlapping;
  _Atomic gint64 last_t0; /* start of the last completed write+fsync */
  _Atomic guint64 total;
  _Atomic guint64 errors;
} __attribute__ ((aligned (64))) Slot;

typedef struct
{
  _Atomic int stop;
  _Atomic guint64 seq; /* seqlock over cycle, win_start, win_end: odd while changing */
  _Atomic guint64 cycle;
  _Atomic gint64 win_start;
  _Atomic gint64 win_end;
  Slot slots[];
} Shared;

struct BenchWriters
{
  Shared *sh;
  gsize map_size;
  guint n;
  guint64 cycle;
};

/* the live writers, for the signal path */
static pid_t writer_pids[MAX_WRITERS];
static volatile sig_atomic_t n_writer_pids;

gint64
bench_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
window_read (Shared *sh, guint64 *cycle, gint64 *start, gint64 *end)
{
  guint64 s1, s2;
  do
    {
      s1 = atomic_load (&sh->seq);
      *cycle = atomic_load (&sh->cycle);
      *start = atomic_load (&sh->win_start);
      *end = atomic_load (&sh->win_end);
      s2 = atomic_load (&sh->seq);
    }
  while ((s1 & 1) != 0 || s1 != s2);
}

static void
window_write (Shared *sh, guint64 cycle, gint64 start, gint64 end)
{
  atomic_fetch_add (&sh->seq, 1);
  atomic_store (&sh->cycle, cycle);
  atomic_store (&sh->win_start, start);
  atomic_store (&sh->win_end, end);
  atomic_fetch_add (&sh->seq, 1);
}

static void
record (Slot *slot, guint64 cycle, gint64 lat)
{
  if (atomic_load (&slot->cycle) != cycle)
    {
      atomic_store (&slot->worst_ns, lat);
      atomic_store (&slot->overlapping, 1);
      atomic_store (&slot->cycle, cycle);
      return;
    }
  if (lat > atomic_load (&slot->worst_ns))
    atomic_store (&slot->worst_ns, lat);
  atomic_fetch_add (&slot->overlapping, 1);
}

static void G_GNUC_NORETURN
writer_main (Shared *sh, Slot *slot, const char *path, guint period_us)
{
  static char buf[BLOCK];
  struct timespec next;
  gint64 next_ns, period_ns = (gint64)period_us * 1000;
  int fd;

  memset (buf, 'w', sizeof (buf));
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    _exit (2);
  for (int i = 0; i < RING_BLOCKS; i++) /* allocate the ring once */
    if (pwrite (fd, buf, BLOCK, (off_t)i * BLOCK) != BLOCK)
      _exit (2);
  if (fsync (fd) != 0)
    _exit (2);

  next_ns = bench_now_ns ();
  for (guint64 k = 0; atomic_load (&sh->stop) == 0; k++)
    {
      gint64 t0, t1, start, end;
      guint64 cycle;
      gboolean ok;

      next_ns += period_ns;
      if (next_ns < bench_now_ns () - period_ns)
        next_ns = bench_now_ns (); /* fell behind (blocked): no burst to catch up */
      next.tv_sec = next_ns / 1000000000;
      next.tv_nsec = next_ns % 1000000000;
      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
        ;

      t0 = bench_now_ns ();
      ok = pwrite (fd, buf, BLOCK, (off_t)(k % RING_BLOCKS) * BLOCK) == BLOCK;
      ok = fsync (fd) == 0 && ok;
      t1 = bench_now_ns ();

      window_read (sh, &cycle, &start, &end);
      if (cycle != 0 && t0 < end && t1 > start)
        record (slot, cycle, t1 - t0);
      if (!ok)
        atomic_fetch_add (&slot->errors, 1);
      atomic_fetch_add (&slot->total, 1);
      atomic_store (&slot->last_t0, t0); /* after the record: collect relies on it */
    }
  close (fd);
  _exit (0);
}

BenchWriters *
bench_writers_start (char **mountpoints, guint n, guint period_us)
{
  BenchWriters *w = g_new0 (BenchWriters, 1);
  char **paths = g_new0 (char *, n + 1);
  pid_t parent = getpid ();
  gint64 deadline;

  g_assert (n > 0 && n <= MAX_WRITERS && n_writer_pids == 0);
  w->n = n;
  w->map_size = sizeof (Shared) + n * sizeof (Slot);
  w->sh = mmap (NULL, w->map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (w->sh == MAP_FAILED)
    bench_fail ("mmap: %s", g_strerror (errno));
  memset (w->sh, 0, w->map_size);
  for (guint i = 0; i < n; i++)
    paths[i] = g_build_filename (mountpoints[i], "bench-writer.dat", NULL);

  fflush (NULL);
  for (guint i = 0; i < n; i++)
    {
      pid_t pid = fork ();
      if (pid < 0)
        bench_fail ("fork: %s", g_strerror (errno));
      if (pid == 0)
        {
          signal (SIGINT, SIG_DFL);
          signal (SIGTERM, SIG_DFL);
          signal (SIGHUP, SIG_DFL);
          prctl (PR_SET_PDEATHSIG, SIGKILL);
          if (getppid () != parent)
            _exit (3);
          writer_main (w->sh, &w->sh->slots[i], paths[i], period_us);
        }
      writer_pids[i] = pid;
      n_writer_pids = i + 1;
    }
  g_strfreev (paths);

  /* every writer has made its file and written once */
  deadline = bench_now_ns () + 30 * G_GINT64_CONSTANT (1000000000);
  for (guint i = 0; i < n; i++)
    while (atomic_load (&w->sh->slots[i].total) == 0)
      {
        if (bench_now_ns () > deadline || waitpid (writer_pids[i], NULL, WNOHANG) != 0)
          bench_fail ("writer %u on %s did not start", i, mountpoints[i]);
        g_usleep (1000);
      }
  return w;
}

void
bench_writers_open_window (BenchWriters *w)
{
  w->cycle++;
  window_write (w->sh, w->cycle, bench_now_ns (), G_MAXINT64);
}

void
bench_writers_close_window (BenchWriters *w)
{
  guint64 cycle;
  gint64 start, end;

  window_read (w->sh, &cycle, &start, &end);
  window_write (w->sh, cycle, start, bench_now_ns ());
}

BenchStall
bench_writers_collect (BenchWriters *w, guint settle_ms)
{
  BenchStall s = { 0 };
  guint64 cycle;
  gint64 start, end, deadline;
  double sum = 0;

  window_read (w->sh, &cycle, &start, &end);
  g_usleep (settle_ms * 1000);
  deadline = bench_now_ns () + 10 * G_GINT64_CONSTANT (1000000000);
  for (guint i = 0; i < w->n; i++)
    while (atomic_load (&w->sh->slots[i].last_t0) <= end && bench_now_ns () < deadline)
      g_usleep (1000);
  for (guint i = 0; i < w->n; i++)
    {
      Slot *slot = &w->sh->slots[i];
      double worst = 0;
      if (atomic_load (&slot->last_t0) <= end)
        s.late++;
      if (atomic_load (&slot->cycle) == cycle)
        {
          worst = atomic_load (&slot->worst_ns) / 1e6;
          s.overlapping += atomic_load (&slot->overlapping);
        }
      else
        s.silent++;
      s.worst_ms = MAX (s.worst_ms, worst);
      sum += worst;
    }
  s.mean_worst_ms = sum / w->n;
  return s;
}

guint64
bench_writers_total (BenchWriters *w, guint64 *errors)
{
  guint64 total = 0;

  *errors = 0;
  for (guint i = 0; i < w->n; i++)
    {
      total += atomic_load (&w->sh->slots[i].total);
      *errors += atomic_load (&w->sh->slots[i].errors);
    }
  return total;
}

void
bench_writers_kill_all (void)
{
  for (int i = 0; i < n_writer_pids; i++)
    if (writer_pids[i] > 0)
      kill (writer_pids[i], SIGKILL);
}

guint
bench_writers_reap_all (guint timeout_ms)
{
  gint64 deadline = bench_now_ns () + (gint64)timeout_ms * 1000000;
  guint alive;

  for (;;)
    {
      alive = 0;
      for (int i = 0; i < n_writer_pids; i++)
        if (writer_pids[i] > 0)
          {
            pid_t r = waitpid (writer_pids[i], NULL, WNOHANG);
            if (r == writer_pids[i] || (r < 0 && errno == ECHILD))
              writer_pids[i] = 0;
            else
              alive++;
          }
      if (alive == 0 || bench_now_ns () > deadline)
        break;
      g_usleep (2000);
    }
  if (alive == 0)
    n_writer_pids = 0;
  return alive;
}

void
bench_writers_stop (BenchWriters *w)
{
  if (w == NULL)
    return;
  atomic_store (&w->sh->stop, 1);
  if (bench_writers_reap_all (5000) > 0)
    {
      bench_writers_kill_all ();
      if (bench_writers_reap_all (10000) > 0)
        fprintf (stderr, "bench: some writers would not die (blocked on a frozen filesystem?)\n");
    }
  munmap (w->sh, w->map_size);
  g_free (w);
}
