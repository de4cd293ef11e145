/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-freeze-table: handles, per-superblock reference counts, deadlines.
 *
 * The table is the agent's model of what it holds frozen.  Every freeze
 * belongs to a handle; a superblock is frozen (FIFREEZE) when its first
 * handle takes it and thawed (FITHAW) when its last handle lets go.  The
 * legacy qemu-ga freeze is one more handle, flagged legacy.
 *
 * It lives on the main loop.  Freezes and thaws run in worker threads
 * (qa-freezer); a request that touches a superblock already in transition
 * waits in a FIFO until that transition is done, while requests on other
 * superblocks go ahead.  Every change is journaled before its callback
 * runs, and a new freeze is journaled (as a pending handle with a
 * deadline) before the first FIFREEZE, so a crash never leaves a freeze
 * nobody will thaw. */
#pragma once

#include <json-glib/json-glib.h>

#include "qa-freezer.h"
#include "qa-hooks.h"
#include "qa-journal.h"
#include "qa-resolver.h"

G_BEGIN_DECLS

typedef struct _QaFreezeTable QaFreezeTable;

typedef struct
{
  guint max_handles;       /* --max-handles */
  gint64 max_timeout;      /* --max-timeout, seconds */
  gint64 legacy_timeout;   /* --legacy-timeout, seconds, 0 = none */
  guint tombstone_max;     /* keep at least this many expired handles ... */
  gint64 tombstone_age;    /* ... and every one younger than this (seconds) */
  guint freeze_threads;    /* --freeze-threads: parallel calls per level, 0 = one per fs */
} QaTableLimits;

typedef struct
{
  guint64 handle;  /* 0 when no handle was created (legacy freeze of nothing) */
  guint count;     /* acquire: filesystems this call froze (0->1); release: thawed (1->0) */
  guint held;      /* filesystems the handle held */
  GPtrArray *fs;   /* QaFs*: what the handle held, freeze order */
  GArray *refs;    /* guint: reference count of each fs after the call */
  GPtrArray *skipped; /* char*: filesystems skipped, with the reason */
  gint64 expires_in;  /* seconds, -1 = never */
  double sync_ms;     /* acquire: phase 1 (syncfs) took this long */
  double freeze_ms;   /* acquire: phase 2 (FIFREEZE) took this long */
} QaTableResult;

/* error is NULL on success; result is NULL on error; both are owned by the
 * table and valid only during the call */
typedef void (*QaTableFunc) (const QaTableResult *result, const GError *error,
                             gpointer user_data);

/* called with TRUE before the watched superblock is frozen and with FALSE
 * after it is thawed (the daemon holds its log back meanwhile) */
typedef void (*QaTableWatchFunc) (gboolean frozen, gpointer user_data);

QaFreezeTable *qa_freeze_table_new (const QaFreezeOps *ops, QaJournal *journal,
                                    const QaTableLimits *limits);
void qa_freeze_table_free (QaFreezeTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaFreezeTable, qa_freeze_table_free)

void qa_freeze_table_set_prefix (QaFreezeTable *table, const char *path_prefix);
/* hooks run around freezes and thaws (borrowed; NULL for none) */
void qa_freeze_table_set_hooks (QaFreezeTable *table, QaHooks *hooks);
void qa_freeze_table_set_boot_id (QaFreezeTable *table, const char *boot_id);
void qa_freeze_table_watch (QaFreezeTable *table, const char *key, QaTableWatchFunc func,
                            gpointer user_data);

/* reload the journal against the current mounts: what expired is released,
 * what is still frozen is held again, what is gone is reported */
gboolean qa_freeze_table_restore (QaFreezeTable *table, const QaFsView *view, GError **error);

/* freeze fs (any order; the table sorts) under a new handle */
void qa_freeze_table_acquire (QaFreezeTable *table, GPtrArray *fs, const char *owner,
                              gint64 timeout, QaTableFunc func, gpointer user_data);
/* qemu-ga's freeze: EBUSY skipped, one legacy handle at a time */
void qa_freeze_table_legacy_freeze (QaFreezeTable *table, GPtrArray *fs, QaTableFunc func,
                                    gpointer user_data);
/* release one handle; handle 0 with force releases every handle */
void qa_freeze_table_release (QaFreezeTable *table, guint64 handle, gboolean force,
                              QaTableFunc func, gpointer user_data);
/* release the legacy handle; count 0 when there is none; HandleExpired
 * once when it expired */
void qa_freeze_table_legacy_thaw (QaFreezeTable *table, QaTableFunc func, gpointer user_data);

gboolean qa_freeze_table_renew (QaFreezeTable *table, guint64 handle, gint64 timeout,
                                gint64 *expires_in, GError **error);

/* a legacy freeze is held or in flight */
gboolean qa_freeze_table_legacy_active (const QaFreezeTable *table);
/* anything at all is frozen by the agent */
gboolean qa_freeze_table_is_frozen (const QaFreezeTable *table);
/* reference count of a superblock key */
guint qa_freeze_table_refs (const QaFreezeTable *table, const char *key);
guint qa_freeze_table_n_handles (const QaFreezeTable *table);
/* no operation queued or in flight */
gboolean qa_freeze_table_is_idle (const QaFreezeTable *table);

/* guest-fsfreeze-handles */
JsonNode *qa_freeze_table_list (const QaFreezeTable *table);
/* the journal document */
JsonNode *qa_freeze_table_to_json (const QaFreezeTable *table);

/* the clock deadlines run on (CLOCK_BOOTTIME, microseconds); tests
 * may replace it */
typedef gint64 (*QaClockFunc) (void);
void qa_freeze_table_set_clock (QaFreezeTable *table, QaClockFunc clock);
/* expire what is due now (the timer calls this; tests too) */
void qa_freeze_table_expire_due (QaFreezeTable *table);

G_END_DECLS
