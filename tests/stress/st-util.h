/* SPDX-License-Identifier: GPL-2.0-or-later */
/* st-util: helpers of the stress and crash tests, on top of the
 * integration harness (tests/integration/qt-harness.h).
 *
 *   - StConn: a client of the agent's socket that never fails the test by
 *     itself (it runs in forked client processes, where a check assertion
 *     must not be used) and reports errors by return value;
 *   - StHandles: a parsed guest-fsfreeze-handles reply;
 *   - StProbe: the kernel's truth about a filesystem, without ever issuing
 *     FIFREEZE or FITHAW (which would race with the agent): a child
 *     process tries to create a file; it finishes when the filesystem is
 *     thawed, and blocks in percpu_rwsem_wait (sb_start_write), which
 *     /proc/PID/wchan shows, when it is frozen.  A slow disk therefore never
 *     passes for a frozen filesystem;
 *   - StAgent: an agent process of our own (the crash test kills it at any
 *     moment, also before it listens, which qt_agent_restart does not
 *     allow), with the harness's socket, state directory and --only-under.
 *
 * Safety: StAgent always passes --only-under; probes that stay blocked are
 * children of the test process, which the harness's sweep thaws before it
 * kills them. */
#pragma once

#include "qt-harness.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* ---- the client ---- */

typedef struct _StConn StConn;

/* NULL if the socket does not accept within TIMEOUT_MS */
StConn *st_conn_new (const char *socket_path, guint timeout_ms);
void st_conn_free (StConn *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StConn, st_conn_free)

/* sends bytes; FALSE if the peer is gone or stops reading */
gboolean st_conn_send (StConn *c, const char *data, gsize len);

/* Sends REQ and reads one reply line within TIMEOUT_MS.  Returns the parsed
 * object (free with json_node_unref), or NULL with *WHY set (static text
 * or the reply line). */
JsonNode *st_conn_call (StConn *c, const char *req, guint timeout_ms, char **why);

/* the last reply line */
const char *st_conn_last_reply (StConn *c);

/* NULL for a success, else the error class ("?" if the reply has neither) */
const char *st_reply_error_class (JsonNode *reply);
JsonNode *st_reply_return (JsonNode *reply);

/* ---- guest-fsfreeze-handles ---- */

typedef struct
{
  gint64 id;
  gboolean legacy;
  gint64 expires_in;
  char *owner;
  GPtrArray *fs;   /* char*: mountpoints */
  GPtrArray *lost; /* char*: reasons */
} StHandle;

typedef struct
{
  GPtrArray *handles; /* StHandle*, sorted by id as the agent sends them */
  gint64 t_sent_ms;   /* monotonic time of the request */
  gint64 t_reply_ms;  /* and of its reply */
} StHandles;

/* calls guest-fsfreeze-handles; NULL with *WHY on failure */
StHandles *st_handles_get (StConn *c, char **why);
void st_handles_free (StHandles *hs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (StHandles, st_handles_free)

/* same handles holding the same filesystems (deadlines ignored) */
gboolean st_handles_same (const StHandles *a, const StHandles *b);
StHandle *st_handles_find (const StHandles *hs, gint64 id);
/* TRUE if some handle holds MOUNTPOINT */
gboolean st_handles_hold (const StHandles *hs, const char *mountpoint);
/* "1:[a,b] 2:[c]" for messages */
char *st_handles_describe (const StHandles *hs);

/* ---- the kernel's truth ---- */

typedef struct _StProbe StProbe;

StProbe *st_probe_new (const char *const *mountpoints);
/* Fills FROZEN[i] for each mountpoint.  FALSE (with *WHY) if a probe
 * neither finished nor blocked on the freeze within TIMEOUT_MS, or
 * failed. */
gboolean st_probe_run (StProbe *p, gboolean *frozen, guint timeout_ms, char **why);
/* Waits (at most TIMEOUT_MS) for blocked probes, which needs every
 * filesystem thawed; FALSE if some are still blocked. */
gboolean st_probe_finish (StProbe *p, guint timeout_ms);
void st_probe_free (StProbe *p);

/* ---- an agent of our own ---- */

typedef struct _StAgent StAgent;

/* the harness's socket, state dir (<test dir>/state) and --only-under,
 * plus EXTRA (NULL terminated); the log is appended to LOG_PATH */
StAgent *st_agent_new (QtHarness *h, const char *log_path, const char *const *extra);
void st_agent_free (StAgent *a);
/* forks and execs; returns the pid */
pid_t st_agent_spawn (StAgent *a);
/* TRUE once the socket accepts; FALSE if the agent exited or TIMEOUT_MS
 * passed */
gboolean st_agent_wait_listening (StAgent *a, guint timeout_ms);
/* SIGKILL and reap (a thread in FIFREEZE or syncfs finishes first);
 * FALSE if it did not go within TIMEOUT_MS */
gboolean st_agent_kill (StAgent *a, guint timeout_ms);
/* SIGTERM and reap; returns the wait status, -1 on timeout */
int st_agent_stop (StAgent *a, guint timeout_ms);
pid_t st_agent_pid (StAgent *a);
void st_agent_log_note (StAgent *a, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* prints the last MAX_LINES lines of the log to stderr */
void st_agent_dump_log (StAgent *a, guint max_lines);

/* ---- small things ---- */

/* Prints a note (and returns TRUE) if a qemu-ga process runs on this
 * machine: its freeze and thaw issue FIFREEZE and FITHAW on every mount,
 * ours included (scripts/run-bench runs one; it pauses between its cycles
 * while our test directories exist, but not within a cycle). */
gboolean st_note_foreign_freezers (void);

/* random in [lo, hi] */
int st_rand (GRand *r, int lo, int hi);
/* writes MIB MiB of random data to PATH without fsync (dirty page cache) */
gboolean st_write_dirty (const char *path, guint mib, char **why);
/* a whole positive number from the command line (argv) after NAME, or DFLT */
long st_arg_long (int argc, char **argv, const char *name, long dflt);

G_END_DECLS
