/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-lab: the benchmark's own loop filesystems, the two agents, a
 * blocking client, and every cleanup path.
 *
 * Safety rules, kept by every function here:
 *   - everything lives below /tmp/quiesce-bench.PID.XXXXXX; quiesce-agent
 *     runs with --only-under its mnt/ directory;
 *   - qemu-ga has no such option, so every request to it goes through a
 *     guard first: only guest-ping, guest-fsfreeze-status,
 *     guest-fsfreeze-thaw, and guest-fsfreeze-freeze-list with a non-empty
 *     list of the lab's own mountpoints pass;
 *   - qemu-ga's thaw issues FITHAW on every mount it sees, so both agents
 *     run in a private mount namespace where the loop filesystems of others
 *     are detached and into which later mounts do not propagate: a test
 *     that freezes its own loop filesystems during the run stays frozen;
 *   - every cleanup path (atexit, signals) issues FITHAW on the lab's
 *     mounts before it kills or reaps anything, and again before it
 *     unmounts: a writer blocked on a frozen filesystem cannot die until
 *     the filesystem is thawed;
 *   - no wait on an agent or a writer is without a deadline. */
#pragma once

#include <glib.h>

typedef struct BenchAgent BenchAgent;

/* makes the lab directory and installs the signal and atexit paths */
void bench_lab_init (void);
const char *bench_lab_dir (void);
/* makes and mounts N ext4 loop filesystems of SIZE_MIB at lab/mnt/fsI */
void bench_lab_make_fs (guint n, guint size_mib);
/* the lab's mountpoints, NULL-terminated (owned by the lab) */
char **bench_lab_mounts (void);
/* FITHAW on the first N mounts (all if N is 0), EINVAL ignored; returns
 * how many were frozen.  Async-signal-safe. */
guint bench_lab_thaw (guint n);
/* writable loop filesystems mounted by someone else, and live runs of
 * the integration tests (/tmp/quiesce-it.PID.*): another test whose
 * freezes qemu-ga's thaw would undo.  As text; NULL if none. */
char *bench_lab_other_tests (void);

void bench_fail (const char *fmt, ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;
/* exits (through the cleanup) if SIGINT/SIGTERM/SIGHUP arrived */
void bench_check_stop (void);
void bench_sleep_ms (guint ms);

BenchAgent *bench_agent_start_quiesce (const char *binary);
BenchAgent *bench_agent_start_qemu_ga (const char *binary);
const char *bench_agent_name (BenchAgent *a);
/* sends REQUEST (one JSON object, no newline) and returns the reply with
 * 0xFF sentinels dropped; *MS is the round trip, the guard excluded.
 * Fails the run on a broken connection or after a 180 s silence. */
char *bench_agent_call (BenchAgent *a, const char *request, double *ms);
/* a field of /proc/PID/status in kB (VmRSS, VmHWM), -1 if unknown */
long bench_agent_status_kb (BenchAgent *a, const char *field);
