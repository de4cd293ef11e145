/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-freezer.h"

#include <errno.h>
#include <string.h>

#define MAX_THREADS 64

static void
item_free (QaFreezeItem *item)
{
  g_free (item->key);
  g_free (item->path);
  g_free (item);
}

QaFreezeBatch *
qa_freeze_batch_new (const QaFreezeOps *ops, QaFreezeMode mode)
{
  QaFreezeBatch *b = g_new0 (QaFreezeBatch, 1);
  b->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  b->mode = mode;
  b->ops = ops;
  b->failed = -1;
  return b;
}

void
qa_freeze_batch_free (QaFreezeBatch *b)
{
  if (b == NULL)
    return;
  g_ptr_array_unref (b->items);
  g_free (b->owner);
  g_clear_error (&b->hook_error);
  g_free (b);
}

QaFreezeItem *
qa_freeze_batch_add (QaFreezeBatch *b, const char *key, const char *path, int fd,
                     dev_t expect_dev, guint level)
{
  QaFreezeItem *item = g_new0 (QaFreezeItem, 1);
  item->expect_dev = expect_dev;
  item->key = g_strdup (key);
  item->path = g_strdup (path);
  item->fd = fd;
  item->level = level;
  item->state = QA_ITEM_PENDING;
  g_ptr_array_add (b->items, item);
  return item;
}

/* ---- running one level in parallel ------------------------------------ */

typedef void (*ItemFunc) (const QaFreezeOps *ops, QaFreezeBatch *b, QaFreezeItem *item);

typedef struct
{
  const QaFreezeOps *ops;
  QaFreezeBatch *batch;
  GPtrArray *items;
  ItemFunc func;
  gint next;
} Work;

static gpointer
work_thread (gpointer data)
{
  Work *w = data;

  for (;;)
    {
      gint i = g_atomic_int_add (&w->next, 1);
      if (i >= (gint) w->items->len)
        break;
      w->func (w->ops, w->batch, g_ptr_array_index (w->items, i));
    }
  return NULL;
}

static void
run_level (QaFreezeBatch *b, GPtrArray *items, ItemFunc func)
{
  Work w = { b->ops, b, items, func, 0 };
  guint threads = b->threads > 0 ? b->threads : MAX_THREADS;
  g_autoptr (GPtrArray) helpers = g_ptr_array_new ();

  threads = MIN (threads, items->len);
  /* the calling thread works too; helpers only when there is more than
   * one item, so a single filesystem costs no thread at all */
  for (guint i = 1; i < threads; i++)
    {
      GThread *t = g_thread_try_new ("qa-freeze", work_thread, &w, NULL);
      if (t == NULL)
        break;
      g_ptr_array_add (helpers, t);
    }
  work_thread (&w);
  for (guint i = 0; i < helpers->len; i++)
    g_thread_join (g_ptr_array_index (helpers, i));
}

/* the items of one level, in batch order */
static GPtrArray *
items_of_level (QaFreezeBatch *b, guint level, QaItemState state)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < b->items->len; i++)
    {
      QaFreezeItem *item = g_ptr_array_index (b->items, i);
      if (item->level == level && item->state == state)
        g_ptr_array_add (out, item);
    }
  return out;
}

static GArray *
levels_of (QaFreezeBatch *b)
{
  GArray *levels = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < b->items->len; i++)
    {
      guint l = ((QaFreezeItem *) g_ptr_array_index (b->items, i))->level;
      gboolean seen = FALSE;
      for (guint j = 0; j < levels->len; j++)
        if (g_array_index (levels, guint, j) == l)
          seen = TRUE;
      if (!seen)
        g_array_append_val (levels, l);
    }
  for (guint i = 1; i < levels->len; i++)
    for (guint j = i; j > 0 && g_array_index (levels, guint, j - 1) > g_array_index (levels, guint, j); j--)
      {
        guint tmp = g_array_index (levels, guint, j);
        g_array_index (levels, guint, j) = g_array_index (levels, guint, j - 1);
        g_array_index (levels, guint, j - 1) = tmp;
      }
  return levels;
}

/* ---- the per-item steps ----------------------------------------------- */

static void
open_and_sync (const QaFreezeOps *ops, QaFreezeBatch *b, QaFreezeItem *item)
{
  int fd = item->fd >= 0 ? item->fd : ops->open_fs (ops->user_data, item->path, item->expect_dev);

  if (fd < 0)
    {
      item->state = QA_ITEM_FAILED;
      item->errnum = -fd;
      item->open_failed = TRUE;
      return;
    }
  item->fd = fd;
  /* a failed syncfs is not fatal: FIFREEZE writes back what is left */
  ops->sync_fs (ops->user_data, fd, item->path);
}

static void
freeze_item (const QaFreezeOps *ops, QaFreezeBatch *b, QaFreezeItem *item)
{
  int r = ops->freeze (ops->user_data, item->fd, item->path);

  if (r == 0)
    {
      item->state = QA_ITEM_FROZEN;
      return;
    }
  ops->close_fs (ops->user_data, item->fd);
  item->fd = -1;
  item->errnum = r;
  if (r == EOPNOTSUPP || (r == EBUSY && b->mode == QA_FREEZE_LEGACY))
    item->state = QA_ITEM_SKIPPED;
  else
    item->state = QA_ITEM_FAILED;
}

static void
thaw_item (const QaFreezeOps *ops, QaFreezeBatch *b, QaFreezeItem *item)
{
  int r = ops->thaw (ops->user_data, item->fd, item->path);

  if (r == 0)
    item->state = QA_ITEM_THAWED;
  else if (r == EINVAL)
    item->state = QA_ITEM_NOT_FROZEN;
  else
    {
      /* keep the fd: the filesystem may still be frozen and the fd is the
       * only way to thaw it should it be unmounted lazily */
      item->state = QA_ITEM_FAILED;
      item->errnum = r;
      return;
    }
  ops->close_fs (ops->user_data, item->fd);
  item->fd = -1;
}

static gint
first_failed (QaFreezeBatch *b)
{
  for (guint i = 0; i < b->items->len; i++)
    if (((QaFreezeItem *) g_ptr_array_index (b->items, i))->state == QA_ITEM_FAILED)
      return (gint) i;
  return -1;
}

/* thaw what this batch froze (items in state), highest level first */
static void
thaw_levels (QaFreezeBatch *b, QaItemState state)
{
  g_autoptr (GArray) levels = levels_of (b);

  for (gint l = (gint) levels->len - 1; l >= 0; l--)
    {
      g_autoptr (GPtrArray) items = items_of_level (b, g_array_index (levels, guint, l), state);
      if (items->len > 0)
        run_level (b, items, thaw_item);
    }
}

static GPtrArray *
batch_mountpoints (QaFreezeBatch *b)
{
  GPtrArray *mps = g_ptr_array_new ();
  for (guint i = 0; i < b->items->len; i++)
    g_ptr_array_add (mps, ((QaFreezeItem *) g_ptr_array_index (b->items, i))->path);
  return mps;
}

static void
run_thaw_hooks (QaFreezeBatch *b)
{
  g_autoptr (GPtrArray) mps = NULL;
  QaHookEnv env;

  if (b->hooks == NULL)
    return;
  mps = batch_mountpoints (b);
  env = (QaHookEnv){ b->handle, b->owner, mps };
  /* a failing thaw hook is logged; the filesystems are thawed already */
  qa_hooks_run_thaw (b->hooks, &env, NULL);
}

void
qa_freezer_run_freeze (QaFreezeBatch *b)
{
  g_autoptr (GArray) levels = levels_of (b);
  gint64 t0;

  if (b->hooks != NULL)
    {
      g_autoptr (GPtrArray) mps = batch_mountpoints (b);
      QaHookEnv env = { b->handle, b->owner, mps };

      if (!qa_hooks_run_freeze (b->hooks, &env, &b->hook_error))
        return;
    }

  /* phase 1: syncfs everything, lowest level first, so a loop device's
   * writeback lands in its backing filesystem before that one syncs */
  t0 = g_get_monotonic_time ();
  for (guint l = 0; l < levels->len; l++)
    {
      g_autoptr (GPtrArray) items = items_of_level (b, g_array_index (levels, guint, l),
                                                    QA_ITEM_PENDING);
      run_level (b, items, open_and_sync);
    }
  b->failed = first_failed (b);
  b->sync_us = g_get_monotonic_time () - t0;
  t0 = g_get_monotonic_time ();
  if (b->failed < 0)
    {
      /* phase 2: FIFREEZE, level by level */
      for (guint l = 0; l < levels->len; l++)
        {
          g_autoptr (GPtrArray) items = items_of_level (b, g_array_index (levels, guint, l),
                                                        QA_ITEM_PENDING);
          run_level (b, items, freeze_item);
          b->failed = first_failed (b);
          if (b->failed >= 0)
            break;
        }
    }
  b->freeze_us = g_get_monotonic_time () - t0;
  if (b->failed < 0)
    return;

  /* atomic: undo what this batch froze, and close what it only opened;
   * the freeze hooks ran, so the thaw hooks run too */
  thaw_levels (b, QA_ITEM_FROZEN);
  run_thaw_hooks (b);
  for (guint i = 0; i < b->items->len; i++)
    {
      QaFreezeItem *item = g_ptr_array_index (b->items, i);
      if (item->state == QA_ITEM_PENDING && item->fd >= 0)
        {
          b->ops->close_fs (b->ops->user_data, item->fd);
          item->fd = -1;
        }
    }
}

void
qa_freezer_run_thaw (QaFreezeBatch *b)
{
  thaw_levels (b, QA_ITEM_PENDING);
  run_thaw_hooks (b);
}

static void
freeze_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  qa_freezer_run_freeze (task_data);
  g_task_return_boolean (task, TRUE);
}

static void
thaw_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  qa_freezer_run_thaw (task_data);
  g_task_return_boolean (task, TRUE);
}

void
qa_freezer_freeze_async (QaFreezeBatch *b, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (task, qa_freezer_freeze_async);
  g_task_set_task_data (task, b, NULL);
  g_task_run_in_thread (task, freeze_thread);
}

void
qa_freezer_thaw_async (QaFreezeBatch *b, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (task, qa_freezer_thaw_async);
  g_task_set_task_data (task, b, NULL);
  g_task_run_in_thread (task, thaw_thread);
}

void
qa_freezer_finish (GAsyncResult *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}
