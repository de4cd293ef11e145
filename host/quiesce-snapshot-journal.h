/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-snapshot-journal: the host-side journal of snapshot runs, one
 * JSON file per run (<state-dir>/<run-id>.json), written so that a host
 * crash leaves either the old or the new version on disk: a temporary
 * file, fsync, rename, fsync of the directory.  Internal: not exported. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* where the journal of RUN_ID lives */
char *qh_journal_path (const char *state_dir, const char *run_id);

/* makes STATE_DIR (mode 0700) if needed */
gboolean qh_journal_ensure_dir (const char *state_dir, GError **error);

/* atomically replaces the journal of RUN_ID with OBJECT */
gboolean qh_journal_write (const char *state_dir, const char *run_id, JsonObject *object,
                           GError **error);

/* every journal in STATE_DIR, oldest name first (transfer full: a
 * GPtrArray of JsonObject); files that do not parse are skipped with a
 * warning */
GPtrArray *qh_journal_load_all (const char *state_dir, GError **error);

/* the start time of PID in clock ticks since boot (/proc/PID/stat field
 * 22), or 0 if there is no such process; with the pid it names one
 * process for good, since pids are reused */
guint64 qh_process_start_time (gint64 pid);

G_END_DECLS
