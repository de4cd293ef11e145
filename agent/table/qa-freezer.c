/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-freezer.h"

#include <errno.h>
#include <string.h>

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
  g_free (b);
}

QaFreezeItem *
qa_freeze_batch_add (QaFreezeBatch *b, const char *key, const char *path, int fd,
                     dev_t expect_dev)
{
  QaFreezeItem *item = g_new0 (QaFreezeItem, 1);
  item->expect_dev = expect_dev;
  item->key = g_strdup (key);
  item->path = g_strdup (path);
  item->fd = fd;
  item->state = QA_ITEM_PENDING;
  g_ptr_array_add (b->items, item);
  return item;
}

static void
thaw_item (const QaFreezeOps *ops, QaFreezeItem *item)
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

void
qa_freezer_run_freeze (QaFreezeBatch *b)
{
  const QaFreezeOps *ops = b->ops;

  for (guint i = 0; i < b->items->len; i++)
    {
      QaFreezeItem *item = g_ptr_array_index (b->items, i);
      int fd = item->fd >= 0 ? item->fd : ops->open_fs (ops->user_data, item->path, item->expect_dev);
      int r;

      if (fd < 0)
        {
          item->state = QA_ITEM_FAILED;
          item->errnum = -fd;
          item->open_failed = TRUE;
          b->failed = (gint) i;
          break;
        }
      item->fd = fd;
      r = ops->freeze (ops->user_data, fd, item->path);
      if (r == 0)
        {
          item->state = QA_ITEM_FROZEN;
          continue;
        }
      ops->close_fs (ops->user_data, fd);
      item->fd = -1;
      item->errnum = r;
      if (r == EOPNOTSUPP || (r == EBUSY && b->mode == QA_FREEZE_LEGACY))
        {
          item->state = QA_ITEM_SKIPPED;
          continue;
        }
      item->state = QA_ITEM_FAILED;
      b->failed = (gint) i;
      break;
    }

  if (b->failed < 0)
    return;
  /* atomic: undo what this batch froze, children-last order reversed */
  for (gint i = b->failed - 1; i >= 0; i--)
    {
      QaFreezeItem *item = g_ptr_array_index (b->items, i);
      if (item->state == QA_ITEM_FROZEN)
        thaw_item (ops, item);
    }
}

void
qa_freezer_run_thaw (QaFreezeBatch *b)
{
  for (guint i = 0; i < b->items->len; i++)
    thaw_item (b->ops, g_ptr_array_index (b->items, i));
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
