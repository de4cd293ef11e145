/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qt-harness: root integration tests of quiesce-agent on real loop
 * filesystems.
 *
 * Everything a test makes lives below one directory /tmp/quiesce-it.PID.XXXXXX
 * (one subdirectory per test), so the cleanup paths, and any sweeper, find
 * leftovers by path alone: mounts by mountinfo, loop devices by their
 * backing file, processes because the test program is their subreaper.
 *
 * Safety rules, kept by every function here:
 *   - the agent always runs with --only-under <the test's own directory>;
 *   - every cleanup path issues FITHAW on the test's mounts before it kills
 *     or reaps anything, because a writer blocked on a frozen filesystem
 *     cannot die (not even of SIGKILL) until the filesystem is thawed;
 *   - no wait on a writer or on the agent is without a deadline.
 *
 * The client is independent of common/ on purpose: the test must not share
 * the code under test. */
#pragma once

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* the exit code that meson (and automake) count as "skipped" */
#define QT_EXIT_SKIP 77

typedef struct _QtHarness QtHarness;
typedef struct _QtClient QtClient;

/* ---- the program ---- */

/* Checks the preconditions (root, /dev/loop-control, mkfs.ext4, losetup,
 * the agent binary) and returns QT_EXIT_SKIP with the reason printed when
 * one is missing.  Otherwise makes the base directory, installs the
 * cleanup paths (signals, atexit, a subreaper for orphans), runs the suite
 * in fork mode and returns 0 or 1. */
int qt_main (Suite *suite);

/* Adds a test in a TCase of its own: a checked fixture gives it a fresh
 * harness (qt_harness ()), and an unchecked fixture in the runner sweeps
 * whatever a failed or killed test left behind. */
void qt_suite_add (Suite *suite, const char *name, const TTest *test, int timeout_s);

/* the harness of the running test */
QtHarness *qt_harness (void);

/* ---- filesystems ---- */

/* TRUE if mkfs.FSTYPE is installed */
gboolean qt_have_mkfs (const char *fstype);

/* Makes an image of SIZE_MIB (sparse), mkfs.FSTYPE, losetup -f --show and
 * mounts it at <only-under>/NAME.  Returns the mountpoint (owned by the
 * harness).  Fails the test on error. */
const char *qt_fs_add (QtHarness *h, const char *name, const char *fstype, guint size_mib);

/* The same, mounted at <test dir>/RELPATH, which may be outside
 * --only-under. */
const char *qt_fs_add_at (QtHarness *h, const char *relpath, const char *fstype, guint size_mib);

/* As qt_fs_add, with the image file inside IMAGE_DIR (e.g. on another of
 * the test's filesystems: a loop device backed by a file on a frozen
 * filesystem must be frozen first). */
const char *qt_fs_add_image_in (QtHarness *h, const char *name, const char *fstype,
                                guint size_mib, const char *image_dir);

/* A bind mount of SRC at <only-under>/NAME. */
const char *qt_fs_bind (QtHarness *h, const char *src, const char *name);

/* The usual trio: A ext4, B xfs, C btrfs.  B and C fall back to ext4 (with
 * a printed note) when mkfs.xfs / mkfs.btrfs are missing. */
void qt_fs_standard (QtHarness *h, const char **a, const char **b, const char **c);

/* the fstype a mountpoint was made with */
const char *qt_fs_type (QtHarness *h, const char *mountpoint);

/* the directory given to --only-under, and the test's own directory */
const char *qt_only_under (QtHarness *h);
const char *qt_test_dir (QtHarness *h);

/* FITHAW on every mount of the test, ignoring EINVAL (not frozen) */
void qt_thaw_all (QtHarness *h);

/* run a program; fails the test unless it exits 0 */
void qt_run (const char *const *argv);

/* ---- the agent ---- */

/* Starts quiesce-agent with --listen unix:<dir>/agent.sock --state-dir
 * <dir>/state --only-under <only-under> -v, then the NULL-terminated extra
 * arguments, and waits (10 s at most) until its socket accepts.  stderr
 * goes to <dir>/agent.log, printed when something fails (and after every
 * test with QT_SHOW_AGENT_LOG=1 in the environment). */
void qt_agent_start (QtHarness *h, ...) G_GNUC_NULL_TERMINATED;

/* starts it again with the arguments of the last qt_agent_start */
void qt_agent_restart (QtHarness *h);

void qt_agent_signal (QtHarness *h, int sig);

/* Waits at most TIMEOUT_MS for the agent to exit; returns its wait status,
 * or -1 if it is still running. */
int qt_agent_wait (QtHarness *h, guint timeout_ms);

gboolean qt_agent_alive (QtHarness *h);

/* the wait status of the agent that exited last */
int qt_agent_last_status (QtHarness *h);
pid_t qt_agent_pid (QtHarness *h);
const char *qt_agent_socket (QtHarness *h);

/* prints the agent's log to stderr (for a failure message) */
void qt_agent_dump_log (QtHarness *h);

/* ---- the client ---- */

QtClient *qt_client_new (QtHarness *h);
void qt_client_free (QtClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QtClient, qt_client_free)

int qt_client_fd (QtClient *c);

/* sends bytes as they are; fails the test if the agent stops reading */
void qt_client_send_raw (QtClient *c, const void *data, gsize len);

/* FALSE instead of failing when the peer is gone */
gboolean qt_client_try_send_raw (QtClient *c, const void *data, gsize len);

/* one reply line without its "\n" (and without a leading 0xFF), or NULL
 * after TIMEOUT_MS or at EOF */
char *qt_client_read_line (QtClient *c, guint timeout_ms);

/* Sends a request (printf format) and reads one reply, which must be a
 * JSON object.  The node stays owned by the client until its next call. */
JsonNode *qt_call (QtClient *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* as qt_call, and the reply must be a success; returns its "return" */
JsonNode *qt_ok (QtClient *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* as qt_call, and the reply must be an error of class KLASS; returns the
 * desc */
const char *qt_err (QtClient *c, const char *klass, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* the last request and reply line, for messages */
const char *qt_client_last_request (QtClient *c);
const char *qt_client_last_reply (QtClient *c);

/* Sends guest-sync with a fresh id and reads lines until its reply; the
 * lines before it (errors from earlier garbage) are returned, NULL
 * terminated.  Fails the test if the sync reply does not come. */
GStrv qt_resync (QtClient *c, gboolean delimited);

/* ---- typed calls (all fail the test on an unexpected reply) ---- */

/* acquire the NULL-terminated mountpoints; TIMEOUT 0 sends none.  Returns
 * the reply's "return" object (owned by the client until its next call). */
JsonObject *qt_acquire (QtClient *c, const char *owner, int timeout, ...) G_GNUC_NULL_TERMINATED;
JsonObject *qt_release (QtClient *c, gint64 handle);
gint64 qt_legacy_freeze (QtClient *c, ...) G_GNUC_NULL_TERMINATED;
gint64 qt_legacy_thaw (QtClient *c);
const char *qt_status (QtClient *c);
void qt_ping (QtClient *c);

/* ["a","b"] from a NULL-terminated list */
char *qt_json_strv (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* member access that fails the test if the member is missing or mistyped */
gint64 qt_get_int (JsonObject *o, const char *member);
const char *qt_get_str (JsonObject *o, const char *member);
JsonArray *qt_get_array (JsonObject *o, const char *member);

/* tolerant accessors: NULL (or the default) where the shape is wrong,
 * never a critical (G_DEBUG=fatal-criticals would abort the test) */
JsonObject *qt_obj_at (JsonArray *a, guint i);
JsonObject *qt_obj_or_null (JsonObject *o, const char *member);
const char *qt_str_or_null (JsonObject *o, const char *member);
gboolean qt_bool_or (JsonObject *o, const char *member, gboolean dflt);
gint64 qt_int_or (JsonObject *o, const char *member, gint64 dflt);
const char *qt_str_at (JsonArray *a, guint i);

/* the FsRef of MOUNTPOINT in an acquire/release reply's "filesystems";
 * fails the test if it is missing */
JsonObject *qt_fsref (JsonObject *reply, const char *mountpoint);

/* the entry of HANDLE in guest-fsfreeze-handles, or NULL */
JsonObject *qt_handles_find (JsonArray *handles, gint64 handle);

/* ---- writers: the kernel as the witness ---- */

/* Starts one writer per filesystem at once (a child that creates a file,
 * writes 4 KiB and fsyncs).  The ones expected thawed must finish within
 * 10 s; the ones expected frozen must still be blocked after 300 ms.  A
 * blocked writer is kept and serves as the probe of the next call on that
 * mountpoint, so it must finish once the filesystem is expected thawed:
 * that proves the thaw. */
void qt_expect_frozen (QtHarness *h, const char *const *mountpoints, const gboolean *frozen);

/* the same with (mountpoint, frozen) pairs, NULL terminated:
 *   qt_expect (h, a, TRUE, b, FALSE, NULL); */
void qt_expect (QtHarness *h, ...) G_GNUC_NULL_TERMINATED;

/* assertions that quote the last exchange */
#define qt_assert_int(client, actual, expected)                                                    \
  do                                                                                               \
    {                                                                                              \
      gint64 qt_a_ = (actual), qt_e_ = (expected);                                                 \
      ck_assert_msg (qt_a_ == qt_e_,                                                               \
                     "%s is %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT                      \
                     "\n  request: %s\n  reply:   %s",                                             \
                     #actual, qt_a_, qt_e_, qt_client_last_request (client),                       \
                     qt_client_last_reply (client));                                               \
    }                                                                                              \
  while (0)

#define qt_assert_str(client, actual, expected)                                                    \
  do                                                                                               \
    {                                                                                              \
      const char *qt_a_ = (actual), *qt_e_ = (expected);                                           \
      ck_assert_msg (g_strcmp0 (qt_a_, qt_e_) == 0,                                                \
                     "%s is \"%s\", expected \"%s\"\n  request: %s\n  reply:   %s", #actual,       \
                     qt_a_ ? qt_a_ : "(null)", qt_e_ ? qt_e_ : "(null)",                           \
                     qt_client_last_request (client), qt_client_last_reply (client));              \
    }                                                                                              \
  while (0)

#define qt_assert_reply(client, cond)                                                              \
  ck_assert_msg ((cond), "%s is false\n  request: %s\n  reply:   %s", #cond,                       \
                 qt_client_last_request (client), qt_client_last_reply (client))

/* the loop device of a mountpoint made by qt_fs_add (or of a bind
 * mount's source) */
const char *qt_fs_device (QtHarness *h, const char *mountpoint);

/* monotonic milliseconds */
gint64 qt_now_ms (void);

/* a whole send on a non-blocking socket, or FALSE (error, timeout) */
gboolean qt_fd_send_all (int fd, const void *data, gsize len, guint timeout_ms);
/* the next line (0xFF bytes before it dropped) from fd, buffered in in;
 * NULL on timeout, or with *eof set when the peer closed */
char *qt_fd_read_line (int fd, GString *in, guint timeout_ms, gboolean *eof);

G_END_DECLS
