/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-freezer: runs a batch of FIFREEZE or FITHAW calls off the main loop.
 *
 * A FIFREEZE writes back all dirty data first and can take seconds, so the
 * table hands a batch to a worker thread (GTask) and goes on serving.  A
 * batch owns copies of everything it touches; the main loop reads the
 * outcome only after the task completes.
 *
 * Freezing runs in two phases, each level by level (a level never depends
 * on another filesystem of the same level) and in parallel within a level
 * on up to `threads` threads:
 *   1. open and syncfs(), while applications still write: most dirty data
 *      leaves before anything is frozen;
 *   2. FIFREEZE, which then has little left to flush.
 * The first filesystem frozen waits only for the slowest of its level, not
 * for every other filesystem in turn.  Freezing is atomic: when an item
 * fails, every item this batch froze is thawed again, highest level first.
 * Thawing goes level by level in the reverse order. */
#pragma once

#include <gio/gio.h>

#include "qa-fsfreeze.h"
#include "qa-hooks.h"

G_BEGIN_DECLS

typedef enum
{
  /* acquire: EBUSY (frozen by someone else) fails the batch */
  QA_FREEZE_STRICT,
  /* qemu-ga's legacy freeze: EBUSY is skipped and not counted */
  QA_FREEZE_LEGACY,
} QaFreezeMode;

typedef enum
{
  QA_ITEM_PENDING,
  QA_ITEM_FROZEN,  /* FIFREEZE succeeded, fd is held */
  QA_ITEM_SKIPPED, /* EOPNOTSUPP, or EBUSY in legacy mode; errnum says which */
  QA_ITEM_THAWED,  /* FITHAW succeeded, fd closed */
  QA_ITEM_NOT_FROZEN, /* FITHAW said EINVAL: someone else thawed it; fd closed */
  QA_ITEM_FAILED,  /* errnum says why */
} QaItemState;

typedef struct
{
  char *key;  /* superblock key, for logs */
  char *path; /* mountpoint as the kernel sees it (sysroot applied) */
  int fd;     /* freeze: -1 in, the held fd out; thaw: the held fd in */
  dev_t expect_dev; /* freeze: the superblock path must lead to, 0: any */
  QaItemState state;
  int errnum;
  gboolean open_failed; /* the errno came from open(), not the ioctl */
  guint level;          /* dependency level (QaFs.level) */
} QaFreezeItem;

typedef struct
{
  GPtrArray *items; /* QaFreezeItem*, in the order to act */
  QaFreezeMode mode;
  const QaFreezeOps *ops;
  guint threads; /* most parallel calls within a level; 0: one per item, up to 64 */
  gint failed;   /* index of the item that failed a freeze, or -1 */
  /* hooks: "freeze" before the first FIFREEZE, "thaw" after the last
   * FITHAW (and after a rollback); NULL for none */
  QaHooks *hooks;
  guint64 handle;
  char *owner;
  GError *hook_error; /* a freeze hook failed: nothing was frozen */
  gint64 sync_us;     /* phase 1 (open + syncfs), all levels */
  gint64 freeze_us;   /* phase 2 (FIFREEZE), all levels */
} QaFreezeBatch;

QaFreezeBatch *qa_freeze_batch_new (const QaFreezeOps *ops, QaFreezeMode mode);
void qa_freeze_batch_free (QaFreezeBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaFreezeBatch, qa_freeze_batch_free)
QaFreezeItem *qa_freeze_batch_add (QaFreezeBatch *batch, const char *key, const char *path,
                                   int fd, dev_t expect_dev, guint level);

/* run synchronously (the worker body; also used at start-up) */
void qa_freezer_run_freeze (QaFreezeBatch *batch);
void qa_freezer_run_thaw (QaFreezeBatch *batch);

/* run in a worker thread; callback on the caller's main context.
 * the batch must stay alive until the callback */
void qa_freezer_freeze_async (QaFreezeBatch *batch, GAsyncReadyCallback callback,
                              gpointer user_data);
void qa_freezer_thaw_async (QaFreezeBatch *batch, GAsyncReadyCallback callback,
                            gpointer user_data);
void qa_freezer_finish (GAsyncResult *result);

G_END_DECLS
