/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-writers: the application whose stall the benchmark measures.
 *
 * One child process per filesystem writes 4 KiB and fsyncs it every
 * period (1 ms), paced by clock_nanosleep on an absolute deadline.  The
 * parent opens a window around a freeze -> thaw cycle; every write+fsync
 * that overlaps the window (it started before the window closed and
 * finished after it opened) counts, and each writer keeps the worst such
 * latency in its own slot of a shared anonymous mapping. */
#pragma once

#include <glib.h>

typedef struct BenchWriters BenchWriters;

typedef struct
{
  double worst_ms;      /* worst write+fsync overlapping the window, over all writers */
  double mean_worst_ms; /* the writers' worst latencies, averaged */
  guint overlapping;    /* writes that overlapped the window, all writers */
  guint silent;         /* writers with no write overlapping the window */
  guint late;           /* writers still inside a write when collect gave up */
} BenchStall;

/* forks one writer per mountpoint; each writes MOUNTPOINT/bench-writer.dat */
BenchWriters *bench_writers_start (char **mountpoints, guint n, guint period_us);
void bench_writers_open_window (BenchWriters *w);
void bench_writers_close_window (BenchWriters *w);
/* waits until every writer has finished a write begun after the window
 * closed (at least settle_ms, at most 10 s), then reads the maxima */
BenchStall bench_writers_collect (BenchWriters *w, guint settle_ms);
/* writes+fsyncs done and write errors seen, all writers, since start */
guint64 bench_writers_total (BenchWriters *w, guint64 *errors);
/* stops and reaps the writers.  The caller must have thawed their
 * filesystems first: a writer blocked on a frozen one cannot die. */
void bench_writers_stop (BenchWriters *w);
/* async-signal-safe: SIGKILL every live writer (reaping is left to the
 * caller, after the thaw) */
void bench_writers_kill_all (void);
/* reaps writers killed by bench_writers_kill_all; gives up after
 * timeout_ms and returns how many are still alive */
guint bench_writers_reap_all (guint timeout_ms);

gint64 bench_now_ns (void);
