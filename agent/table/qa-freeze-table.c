/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-freeze-table.h"
#include "qw-error.h"

#include <errno.h>
#include <sys/sysmacros.h>
#include <string.h>
#include <time.h>

#define JOURNAL_VERSION 1

typedef struct
{
  char *key; /* superblock, "MAJ:MIN" */
  QaFs *fs;  /* latest description */
  guint refs;
  int fd;           /* held while frozen by us, else -1 */
  gboolean frozen;  /* the agent froze it and has not thawed it */
  gboolean busy;    /* a freeze or thaw of it is in flight */
} Entry;

typedef enum
{
  HANDLE_PENDING,   /* acquire in flight: not yet known to any client */
  HANDLE_HELD,
  HANDLE_RELEASING, /* release queued or in flight */
} HandleState;

typedef struct
{
  guint64 id;
  char *owner;
  gboolean legacy;
  gint64 created;  /* unix seconds */
  gint64 deadline; /* table clock (us), 0 = none */
  GPtrArray *entries; /* Entry* (owned by the table), freeze order */
  GPtrArray *lost;    /* char*: what a restart could not hold again */
  HandleState state;
  GSequenceIter *due; /* in the table's deadline index while held with a deadline */
} Handle;

typedef struct
{
  guint64 id;
  gint64 expired; /* unix seconds */
  gboolean legacy;
} Tombstone;

typedef enum
{
  OP_ACQUIRE,
  OP_RELEASE,
  OP_LEGACY_THAW, /* release of the legacy handle once its freeze is done */
} OpKind;

typedef struct
{
  OpKind kind;
  struct _QaFreezeTable *table;
  GPtrArray *keys; /* char*: superblocks this op touches */
  /* acquire */
  GPtrArray *fs; /* QaFs*, freeze order */
  char *owner;
  gint64 timeout;
  gboolean legacy;
  Handle *handle;
  /* release */
  GPtrArray *handles; /* Handle*, state RELEASING */
  gboolean expiry;
  /* in flight */
  QaFreezeBatch *batch;
  GPtrArray *batch_entries; /* Entry*, parallel to batch->items */
  QaTableFunc func;
  gpointer user_data;
} Op;

struct _QaFreezeTable
{
  const QaFreezeOps *ops;
  QaJournal *journal; /* borrowed */
  QaTableLimits limits;
  char *prefix; /* sysroot prefix for opening mountpoints, "" when live */
  QaHooks *hooks; /* borrowed, may be NULL */
  char *boot_id;
  GHashTable *entries; /* key -> Entry* */
  GHashTable *handles; /* guint64* -> Handle* */
  GSequence *deadlines; /* Handle*, held ones with a deadline, soonest first */
  Handle *legacy;       /* the legacy handle, if any */
  GQueue queue;        /* Op* waiting for their superblocks */
  guint in_flight;
  guint64 next_id;
  GHashTable *tombstones; /* guint64* -> Tombstone* */
  GQueue tomb_order;      /* Tombstone*, oldest first */
  guint64 legacy_expired; /* legacy tombstone not yet reported by a thaw */
  gboolean legacy_pending;
  guint timer_id;
  QaClockFunc clock;
  gboolean pumping;
  gboolean pump_again;
  char *watch_key;
  QaTableWatchFunc watch_func;
  gpointer watch_data;
  gboolean watch_state;
};

static void pump (QaFreezeTable *t);
static void rearm_timer (QaFreezeTable *t);

/* ---- small helpers ---------------------------------------------------- */

static gint64
boottime_us (void)
{
  struct timespec ts;
  if (clock_gettime (CLOCK_BOOTTIME, &ts) != 0)
    return g_get_monotonic_time ();
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gint64
unix_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
entry_free (Entry *e)
{
  g_free (e->key);
  qa_fs_unref (e->fs);
  g_free (e);
}

static void
handle_free (Handle *h)
{
  g_free (h->owner);
  g_ptr_array_unref (h->entries);
  g_ptr_array_unref (h->lost);
  g_free (h);
}

static Handle *
handle_new (guint64 id, const char *owner, gboolean legacy)
{
  Handle *h = g_new0 (Handle, 1);
  h->id = id;
  h->owner = g_strdup (owner);
  h->legacy = legacy;
  h->entries = g_ptr_array_new ();
  h->lost = g_ptr_array_new_with_free_func (g_free);
  return h;
}

static void
op_free (Op *op)
{
  g_ptr_array_unref (op->keys);
  if (op->fs != NULL)
    g_ptr_array_unref (op->fs);
  if (op->handles != NULL)
    g_ptr_array_unref (op->handles);
  g_free (op->owner);
  qa_freeze_batch_free (op->batch);
  if (op->batch_entries != NULL)
    g_ptr_array_unref (op->batch_entries);
  g_free (op);
}

static Op *
op_new (OpKind kind, QaTableFunc func, gpointer user_data)
{
  Op *op = g_new0 (Op, 1);
  op->kind = kind;
  op->table = NULL;
  op->keys = g_ptr_array_new_with_free_func (g_free);
  op->func = func;
  op->user_data = user_data;
  return op;
}

static gint64
expires_in (QaFreezeTable *t, const Handle *h)
{
  gint64 left;
  if (h->deadline == 0)
    return -1;
  left = h->deadline - t->clock ();
  if (left <= 0)
    return 0;
  return (left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
}

static char *
open_path (QaFreezeTable *t, const char *mountpoint)
{
  return g_strconcat (t->prefix, mountpoint, NULL);
}

/* the device a stat of the mountpoint must report; btrfs gives every
 * subvolume its own, so it is not checked there */
static dev_t
expect_dev (QaFreezeTable *t, const QaFs *fs)
{
  if (t->prefix[0] != '\0' || g_strcmp0 (fs->fstype, "btrfs") == 0)
    return 0;
  return makedev (fs->major, fs->minor);
}

static Entry *
entry_get (QaFreezeTable *t, QaFs *fs)
{
  g_autofree char *key = qa_fs_key (fs);
  Entry *e = g_hash_table_lookup (t->entries, key);

  if (e != NULL)
    {
      /* keep the newest description, but never move a held freeze to
       * another mountpoint's name mid-flight */
      if (!e->frozen && !e->busy && e->refs == 0)
        {
          qa_fs_unref (e->fs);
          e->fs = qa_fs_ref (fs);
        }
      return e;
    }
  e = g_new0 (Entry, 1);
  e->key = g_steal_pointer (&key);
  e->fs = qa_fs_ref (fs);
  e->fd = -1;
  g_hash_table_insert (t->entries, e->key, e);
  return e;
}

static void
drop_idle_entries (QaFreezeTable *t)
{
  GHashTableIter iter;
  Entry *e;

  g_hash_table_iter_init (&iter, t->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &e))
    if (e->refs == 0 && !e->frozen && !e->busy)
      g_hash_table_iter_remove (&iter);
}

static void
watch_update (QaFreezeTable *t)
{
  Entry *e;
  gboolean state;

  if (t->watch_func == NULL)
    return;
  e = g_hash_table_lookup (t->entries, t->watch_key);
  state = e != NULL && (e->frozen || e->busy);
  if (state == t->watch_state)
    return;
  t->watch_state = state;
  t->watch_func (state, t->watch_data);
}

static gint
cmp_due (gconstpointer a, gconstpointer b, gpointer data)
{
  const Handle *x = a, *y = b;
  if (x->deadline != y->deadline)
    return x->deadline < y->deadline ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* keep the deadline index in step with a handle's state and deadline:
 * expiry and the timer look only at its head, so they cost O(log n) with
 * thousands of handles */
static void
deadline_sync (QaFreezeTable *t, Handle *h)
{
  if (h->due != NULL)
    {
      g_sequence_remove (h->due);
      h->due = NULL;
    }
  if (h->state == HANDLE_HELD && h->deadline != 0)
    h->due = g_sequence_insert_sorted (t->deadlines, h, cmp_due, NULL);
}

static void
handle_set_state (QaFreezeTable *t, Handle *h, HandleState state)
{
  h->state = state;
  deadline_sync (t, h);
}

static void
handle_remove (QaFreezeTable *t, Handle *h)
{
  if (h->due != NULL)
    {
      g_sequence_remove (h->due);
      h->due = NULL;
    }
  if (t->legacy == h)
    t->legacy = NULL;
  g_hash_table_remove (t->handles, &h->id);
}

static Handle *
legacy_handle (const QaFreezeTable *t)
{
  if (t->legacy != NULL && t->legacy->state != HANDLE_RELEASING)
    return t->legacy;
  return NULL;
}

/* ---- tombstones ------------------------------------------------------- */

static void
tombstone_prune (QaFreezeTable *t)
{
  gint64 now = unix_now ();

  /* keep every tombstone younger than tombstone_age, and the newest
   * tombstone_max whatever their age; a hard cap bounds memory */
  while (t->tomb_order.length > t->limits.tombstone_max)
    {
      Tombstone *old = g_queue_peek_head (&t->tomb_order);
      if (now - old->expired < t->limits.tombstone_age && t->tomb_order.length < 65536)
        break;
      g_queue_pop_head (&t->tomb_order);
      g_hash_table_remove (t->tombstones, &old->id);
    }
}

static void
tombstone_add (QaFreezeTable *t, guint64 id, gint64 when, gboolean legacy)
{
  Tombstone *ts = g_new0 (Tombstone, 1);
  ts->id = id;
  ts->expired = when;
  ts->legacy = legacy;
  g_hash_table_replace (t->tombstones, &ts->id, ts);
  g_queue_push_tail (&t->tomb_order, ts);
  tombstone_prune (t);
}

static void
set_expired_error (GError **error, const Tombstone *ts)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (ts->expired);
  g_autofree char *when = g_date_time_format_iso8601 (dt);

  g_set_error (error, QW_ERROR, QW_ERROR_HANDLE_EXPIRED,
               "Handle %" G_GUINT64_FORMAT " expired at %s%s: its filesystems were thawed "
               "then, so a snapshot taken after that may be inconsistent",
               ts->id, when, ts->legacy ? " (the legacy freeze)" : "");
}

static gboolean
lookup_error (QaFreezeTable *t, guint64 id, GError **error)
{
  Tombstone *ts = g_hash_table_lookup (t->tombstones, &id);

  if (ts != NULL)
    {
      set_expired_error (error, ts);
      if (ts->legacy && t->legacy_expired == id)
        t->legacy_expired = 0;
      return FALSE;
    }
  g_set_error (error, QW_ERROR, QW_ERROR_HANDLE_NOT_FOUND,
               "Handle %" G_GUINT64_FORMAT " does not exist: it was never issued or is "
               "already released",
               id);
  return FALSE;
}

/* ---- journal ---------------------------------------------------------- */

static const char *
state_name (HandleState s)
{
  switch (s)
    {
    case HANDLE_PENDING:
      return "pending";
    case HANDLE_RELEASING:
      return "releasing";
    case HANDLE_HELD:
    default:
      return "held";
    }
}

static gint
cmp_handle_id (gconstpointer a, gconstpointer b)
{
  const Handle *x = *(Handle *const *) a;
  const Handle *y = *(Handle *const *) b;
  return (x->id > y->id) - (x->id < y->id);
}

static GPtrArray *
sorted_handles (const QaFreezeTable *t)
{
  GPtrArray *arr = g_ptr_array_new ();
  GHashTableIter iter;
  Handle *h;

  g_hash_table_iter_init (&iter, t->handles);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &h))
    g_ptr_array_add (arr, h);
  g_ptr_array_sort (arr, cmp_handle_id);
  return arr;
}

JsonNode *
qa_freeze_table_to_json (const QaFreezeTable *t)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) handles = sorted_handles (t);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, JOURNAL_VERSION);
  json_builder_set_member_name (b, "boot-id");
  json_builder_add_string_value (b, t->boot_id);
  json_builder_set_member_name (b, "next-handle");
  json_builder_add_int_value (b, (gint64) t->next_id);
  json_builder_set_member_name (b, "legacy-expired");
  json_builder_add_int_value (b, (gint64) t->legacy_expired);
  json_builder_set_member_name (b, "handles");
  json_builder_begin_array (b);
  for (guint i = 0; i < handles->len; i++)
    {
      Handle *h = g_ptr_array_index (handles, i);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "handle");
      json_builder_add_int_value (b, (gint64) h->id);
      json_builder_set_member_name (b, "owner");
      json_builder_add_string_value (b, h->owner != NULL ? h->owner : "");
      json_builder_set_member_name (b, "legacy");
      json_builder_add_boolean_value (b, h->legacy);
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, h->created);
      json_builder_set_member_name (b, "deadline");
      json_builder_add_int_value (b, h->deadline);
      json_builder_set_member_name (b, "state");
      json_builder_add_string_value (b, state_name (h->state));
      json_builder_set_member_name (b, "filesystems");
      json_builder_begin_array (b);
      for (guint j = 0; j < h->entries->len; j++)
        {
          Entry *e = g_ptr_array_index (h->entries, j);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "key");
          json_builder_add_string_value (b, e->key);
          json_builder_set_member_name (b, "mountpoint");
          json_builder_add_string_value (b, e->fs->mountpoint);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_set_member_name (b, "lost");
      json_builder_begin_array (b);
      for (guint j = 0; j < h->lost->len; j++)
        json_builder_add_string_value (b, g_ptr_array_index (h->lost, j));
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "tombstones");
  json_builder_begin_array (b);
  for (GList *l = t->tomb_order.head; l != NULL; l = l->next)
    {
      Tombstone *ts = l->data;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "handle");
      json_builder_add_int_value (b, (gint64) ts->id);
      json_builder_set_member_name (b, "expired");
      json_builder_add_int_value (b, ts->expired);
      json_builder_set_member_name (b, "legacy");
      json_builder_add_boolean_value (b, ts->legacy);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
journal_save (QaFreezeTable *t, GError **error)
{
  g_autoptr (JsonNode) node = NULL;

  if (t->journal == NULL)
    return TRUE;
  node = qa_freeze_table_to_json (t);
  return qa_journal_save (t->journal, node, error);
}

/* after the kernel state changed, the journal must follow; if it cannot,
 * say so loudly but keep serving: the in-memory table is still right */
static void
journal_save_or_warn (QaFreezeTable *t)
{
  g_autoptr (GError) error = NULL;
  if (!journal_save (t, &error))
    g_warning ("%s", error->message);
}

/* ---- results ---------------------------------------------------------- */

static void
result_clear (QaTableResult *r)
{
  g_clear_pointer (&r->fs, g_ptr_array_unref);
  g_clear_pointer (&r->refs, g_array_unref);
  g_clear_pointer (&r->skipped, g_ptr_array_unref);
}

static void
result_init (QaTableResult *r)
{
  memset (r, 0, sizeof (*r));
  r->fs = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_fs_unref);
  r->refs = g_array_new (FALSE, FALSE, sizeof (guint));
  r->skipped = g_ptr_array_new_with_free_func (g_free);
  r->expires_in = -1;
}

static void
result_add_entries (QaTableResult *r, GPtrArray *entries)
{
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *e = g_ptr_array_index (entries, i);
      /* a force release lists each filesystem once, however many
       * handles held it */
      if (g_ptr_array_find (r->fs, e->fs, NULL))
        continue;
      g_ptr_array_add (r->fs, qa_fs_ref (e->fs));
      g_array_append_val (r->refs, e->refs);
    }
  r->held = r->fs->len;
}

static void
reply (Op *op, const QaTableResult *result, const GError *error)
{
  if (op->func != NULL)
    op->func (result, error, op->user_data);
}

/* ---- acquire ---------------------------------------------------------- */

static void
acquire_finish (QaFreezeTable *t, Op *op)
{
  Handle *h = op->handle;
  QaTableResult result;
  g_autoptr (GError) error = NULL;
  QaFreezeBatch *batch = op->batch;
  guint frozen_now = 0;

  result_init (&result);
  if (batch != NULL && batch->hook_error != NULL)
    error = g_error_copy (batch->hook_error);
  else if (batch != NULL)
    for (guint i = 0; i < batch->items->len; i++)
      {
        QaFreezeItem *item = g_ptr_array_index (batch->items, i);
        Entry *e = g_ptr_array_index (op->batch_entries, i);

        if (item->state == QA_ITEM_FROZEN && batch->failed < 0)
          {
            e->frozen = TRUE;
            e->fd = item->fd;
            frozen_now++;
          }
        else if (item->state == QA_ITEM_SKIPPED)
          {
            g_ptr_array_add (result.skipped,
                             g_strdup_printf ("'%s': %s", e->fs->mountpoint,
                                              item->errnum == EBUSY
                                                  ? "frozen by someone else"
                                                  : g_strerror (item->errnum)));
            g_ptr_array_remove (h->entries, e);
          }
        else if (item->state == QA_ITEM_FAILED && (gint) i == batch->failed)
          {
            const char *mp = e->fs->mountpoint;
            if (item->errnum == EBUSY)
              g_set_error (&error, QW_ERROR, QW_ERROR_BUSY,
                           "Cannot freeze '%s': it is already frozen by someone else "
                           "(FIFREEZE: %s); nothing was frozen",
                           mp, g_strerror (item->errnum));
            else if (item->open_failed && item->errnum == EXDEV)
              g_set_error (&error, QW_ERROR, QW_ERROR_FREEZE_FAILED,
                           "Cannot freeze '%s': another filesystem is now mounted over it; "
                           "nothing was frozen",
                           mp);
            else
              g_set_error (&error, QW_ERROR, QW_ERROR_FREEZE_FAILED,
                           "Cannot freeze '%s': %s failed: %s (errno %d); nothing was frozen",
                           mp, item->open_failed ? "open" : "FIFREEZE",
                           g_strerror (item->errnum), item->errnum);
          }
      }

  for (guint i = 0; i < op->fs->len; i++)
    {
      g_autofree char *key = qa_fs_key (g_ptr_array_index (op->fs, i));
      Entry *e = g_hash_table_lookup (t->entries, key);
      if (e != NULL)
        e->busy = FALSE;
    }
  if (op->legacy)
    t->legacy_pending = FALSE;

  if (error == NULL && h->entries->len == 0 && !op->legacy)
    {
      g_autoptr (GString) why = g_string_new (NULL);
      for (guint i = 0; i < result.skipped->len; i++)
        g_string_append_printf (why, "%s%s", i > 0 ? "; " : "",
                                (const char *) g_ptr_array_index (result.skipped, i));
      if (why->len == 0)
        g_string_append (why, "no filesystem selected");
      g_set_error (&error, QW_ERROR, QW_ERROR_GENERIC, "Nothing to freeze: %s", why->str);
    }

  if (error != NULL || h->entries->len == 0)
    {
      handle_remove (t, h);
      drop_idle_entries (t);
      journal_save_or_warn (t);
      watch_update (t);
      if (error != NULL)
        {
          g_info ("acquire by '%s' failed: %s", op->owner != NULL ? op->owner : "", error->message);
          reply (op, NULL, error);
        }
      else
        reply (op, &result, NULL); /* legacy freeze of nothing: returns 0 */
      result_clear (&result);
      return;
    }

  for (guint i = 0; i < h->entries->len; i++)
    ((Entry *) g_ptr_array_index (h->entries, i))->refs++;
  handle_set_state (t, h, HANDLE_HELD);
  journal_save_or_warn (t);
  watch_update (t);
  rearm_timer (t);

  result.handle = h->id;
  result.count = frozen_now;
  result.expires_in = expires_in (t, h);
  if (batch != NULL)
    {
      result.sync_ms = batch->sync_us / 1000.0;
      result.freeze_ms = batch->freeze_us / 1000.0;
      g_debug ("handle %" G_GUINT64_FORMAT ": syncfs phase %.3f ms, FIFREEZE phase %.3f ms "
               "(%u filesystem(s))",
               h->id, result.sync_ms, result.freeze_ms, batch->items->len);
    }
  result_add_entries (&result, h->entries);
  g_info ("handle %" G_GUINT64_FORMAT "%s (owner '%s') holds %u filesystem(s), froze %u",
          h->id, h->legacy ? " (legacy)" : "", h->owner != NULL ? h->owner : "", h->entries->len,
          frozen_now);
  reply (op, &result, NULL);
  result_clear (&result);
}

static void release_finish (QaFreezeTable *t, Op *op);

/* a worker finished an op's batch: record the outcome, reply, and let
 * the ops that waited for these superblocks go */
static void
batch_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  QaFreezeTable *t = op->table;

  qa_freezer_finish (res);
  if (op->kind == OP_ACQUIRE)
    acquire_finish (t, op);
  else
    release_finish (t, op);
  t->in_flight--;
  op_free (op);
  pump (t);
}

/* a filesystem on a loop device cannot be frozen once the filesystem
 * holding the loop's backing file is frozen: its FIFREEZE writes back
 * through the loop into the frozen one and would hang for good */
static gboolean
check_backing_thawed (QaFreezeTable *t, Handle *h, GError **error)
{
  for (guint i = 0; i < h->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (h->entries, i);

      if (e->frozen || e->fs->backing_keys == NULL)
        continue;
      for (guint j = 0; j < e->fs->backing_keys->len; j++)
        {
          Entry *holder = g_hash_table_lookup (t->entries,
                                               g_ptr_array_index (e->fs->backing_keys, j));
          if (holder != NULL && holder->frozen)
            {
              g_set_error (error, QW_ERROR, QW_ERROR_BUSY,
                           "Cannot freeze '%s': its loop device's backing file lies on '%s', "
                           "which is frozen, so its FIFREEZE would hang; freeze it before '%s' "
                           "or together with it",
                           e->fs->mountpoint, holder->fs->mountpoint, holder->fs->mountpoint);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* an acquire that failed before any FIFREEZE: nothing to undo but the
 * bookkeeping */
static void
acquire_abort (QaFreezeTable *t, Op *op, const GError *error)
{
  Handle *h = op->handle;

  for (guint i = 0; i < h->entries->len; i++)
    ((Entry *) g_ptr_array_index (h->entries, i))->busy = FALSE;
  if (op->legacy)
    t->legacy_pending = FALSE;
  handle_remove (t, h);
  drop_idle_entries (t);
  reply (op, NULL, error);
  op_free (op);
}

static void
acquire_start (QaFreezeTable *t, Op *op)
{
  Handle *h = handle_new (t->next_id++, op->owner, op->legacy);
  g_autoptr (GError) error = NULL;

  h->created = unix_now ();
  h->deadline = op->timeout > 0 ? t->clock () + op->timeout * G_USEC_PER_SEC : 0;
  h->state = HANDLE_PENDING;
  op->handle = h;
  if (h->legacy)
    t->legacy = h;
  for (guint i = 0; i < op->fs->len; i++)
    {
      Entry *e = entry_get (t, g_ptr_array_index (op->fs, i));
      e->busy = TRUE;
      g_ptr_array_add (h->entries, e);
    }
  g_hash_table_insert (t->handles, &h->id, h);

  if (!check_backing_thawed (t, h, &error))
    {
      acquire_abort (t, op, error);
      return;
    }
  op->batch = qa_freeze_batch_new (t->ops, op->legacy ? QA_FREEZE_LEGACY : QA_FREEZE_STRICT);
  op->batch->threads = t->limits.freeze_threads;
  op->batch->hooks = t->hooks;
  op->batch->handle = h->id;
  op->batch->owner = g_strdup (h->owner);
  op->batch_entries = g_ptr_array_new ();
  for (guint i = 0; i < h->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (h->entries, i);
      g_autofree char *path = NULL;

      if (e->frozen)
        continue;
      path = open_path (t, e->fs->mountpoint);
      qa_freeze_batch_add (op->batch, e->key, path, -1, expect_dev (t, e->fs), e->fs->level);
      g_ptr_array_add (op->batch_entries, e);
    }
  if (op->batch->items->len == 0)
    {
      /* only reference counts change: the journal is written once, by
       * acquire_finish, before the reply */
      acquire_finish (t, op);
      op_free (op);
      return;
    }
  /* the intent goes to disk before the first FIFREEZE: should the agent
   * die mid-freeze, the next start finds a handle with a deadline for
   * whatever it had frozen */
  if (!journal_save (t, &error))
    {
      g_prefix_error (&error, "Refusing to freeze: ");
      acquire_abort (t, op, error);
      return;
    }

  watch_update (t);
  t->in_flight++;
  qa_freezer_freeze_async (op->batch, batch_done_cb, op);
}

/* ---- release ---------------------------------------------------------- */

static gint
cmp_rank_desc (gconstpointer a, gconstpointer b)
{
  const Entry *x = *(Entry *const *) a;
  const Entry *y = *(Entry *const *) b;
  return (x->fs->rank < y->fs->rank) - (x->fs->rank > y->fs->rank);
}

static void
release_finish (QaFreezeTable *t, Op *op)
{
  QaTableResult result;
  guint thawed = 0;

  result_init (&result);
  if (op->batch != NULL)
    for (guint i = 0; i < op->batch->items->len; i++)
      {
        QaFreezeItem *item = g_ptr_array_index (op->batch->items, i);
        Entry *e = g_ptr_array_index (op->batch_entries, i);

        e->busy = FALSE;
        if (item->state == QA_ITEM_THAWED || item->state == QA_ITEM_NOT_FROZEN)
          {
            e->frozen = FALSE;
            e->fd = -1;
            if (item->state == QA_ITEM_THAWED)
              thawed++;
            else
              g_warning ("'%s' was no longer frozen when its last handle let go: someone "
                         "else thawed it",
                         e->fs->mountpoint);
          }
        else
          {
            e->fd = item->fd;
            g_warning ("Cannot thaw '%s': %s; it stays in the table and the next release of "
                       "it will try again",
                       e->fs->mountpoint, g_strerror (item->errnum));
          }
      }

  if (op->handles->len == 1)
    {
      Handle *h = g_ptr_array_index (op->handles, 0);
      result.handle = h->id;
      result_add_entries (&result, h->entries);
    }
  else
    for (guint i = 0; i < op->handles->len; i++)
      result_add_entries (&result, ((Handle *) g_ptr_array_index (op->handles, i))->entries);
  result.count = thawed;

  for (guint i = 0; i < op->handles->len; i++)
    {
      Handle *h = g_ptr_array_index (op->handles, i);
      g_info ("handle %" G_GUINT64_FORMAT "%s %s", h->id, h->legacy ? " (legacy)" : "",
              op->expiry ? "expired and was released" : "released");
      handle_remove (t, h);
    }
  g_ptr_array_set_size (op->handles, 0);
  drop_idle_entries (t);
  journal_save_or_warn (t);
  watch_update (t);
  rearm_timer (t);
  reply (op, &result, NULL);
  result_clear (&result);
}

static void
release_start (QaFreezeTable *t, Op *op)
{
  g_autoptr (GPtrArray) to_thaw = g_ptr_array_new ();

  if (op->kind == OP_LEGACY_THAW)
    {
      /* the legacy freeze this thaw waited for is done now */
      Handle *h = legacy_handle (t);
      QaTableResult empty;

      if (h == NULL || h->state != HANDLE_HELD)
        {
          result_init (&empty);
          reply (op, &empty, NULL);
          result_clear (&empty);
          op_free (op);
          return;
        }
      handle_set_state (t, h, HANDLE_RELEASING);
      journal_save_or_warn (t);
      g_ptr_array_add (op->handles, h);
    }

  for (guint i = 0; i < op->handles->len; i++)
    {
      Handle *h = g_ptr_array_index (op->handles, i);
      for (guint j = 0; j < h->entries->len; j++)
        {
          Entry *e = g_ptr_array_index (h->entries, j);
          if (e->refs > 0)
            e->refs--;
          if (e->refs == 0 && e->frozen && !e->busy)
            {
              e->busy = TRUE;
              g_ptr_array_add (to_thaw, e);
            }
        }
    }
  if (to_thaw->len == 0)
    {
      release_finish (t, op);
      op_free (op);
      return;
    }
  /* "releasing" is on disk before the first FITHAW, so a restart finishes
   * the job instead of holding the filesystems again.  Should the write
   * fail, thawing is still the safe direction: go on */
  journal_save_or_warn (t);
  /* thaw parents before children: the reverse of freeze order */
  g_ptr_array_sort (to_thaw, cmp_rank_desc);
  op->batch = qa_freeze_batch_new (t->ops, QA_FREEZE_STRICT);
  op->batch->threads = t->limits.freeze_threads;
  op->batch->hooks = t->hooks;
  if (op->handles->len == 1)
    {
      Handle *h = g_ptr_array_index (op->handles, 0);
      op->batch->handle = h->id;
      op->batch->owner = g_strdup (h->owner);
    }
  op->batch_entries = g_ptr_array_new ();
  for (guint i = 0; i < to_thaw->len; i++)
    {
      Entry *e = g_ptr_array_index (to_thaw, i);
      g_autofree char *path = open_path (t, e->fs->mountpoint);
      qa_freeze_batch_add (op->batch, e->key, path, e->fd, 0, e->fs->level);
      g_ptr_array_add (op->batch_entries, e);
    }
  t->in_flight++;
  qa_freezer_thaw_async (op->batch, batch_done_cb, op);
}

/* ---- the queue -------------------------------------------------------- */

static gboolean
op_runnable (QaFreezeTable *t, Op *op, GHashTable *claimed)
{
  for (guint i = 0; i < op->keys->len; i++)
    {
      const char *key = g_ptr_array_index (op->keys, i);
      Entry *e = g_hash_table_lookup (t->entries, key);
      if ((e != NULL && e->busy) || g_hash_table_contains (claimed, key))
        return FALSE;
    }
  return TRUE;
}

static void
op_start (QaFreezeTable *t, Op *op)
{
  if (op->kind == OP_ACQUIRE)
    acquire_start (t, op);
  else
    release_start (t, op);
}

static void
pump (QaFreezeTable *t)
{
  if (t->pumping)
    {
      t->pump_again = TRUE;
      return;
    }
  t->pumping = TRUE;
  do
    {
      g_autoptr (GHashTable) claimed = g_hash_table_new (g_str_hash, g_str_equal);
      GList *l = t->queue.head;

      t->pump_again = FALSE;
      while (l != NULL)
        {
          Op *op = l->data;
          GList *next = l->next;

          if (op_runnable (t, op, claimed))
            {
              g_queue_delete_link (&t->queue, l);
              op_start (t, op);
              if (t->pump_again)
                break;
            }
          else
            {
              /* strict FIFO per superblock: a later op never overtakes an
               * earlier one that waits for the same superblock */
              for (guint i = 0; i < op->keys->len; i++)
                g_hash_table_add (claimed, g_ptr_array_index (op->keys, i));
            }
          l = next;
        }
    }
  while (t->pump_again);
  t->pumping = FALSE;
}

static void
enqueue (QaFreezeTable *t, Op *op)
{
  op->table = t;
  g_queue_push_tail (&t->queue, op);
  pump (t);
}

/* ---- public API ------------------------------------------------------- */

static guint
count_acquires (QaFreezeTable *t)
{
  guint n = g_hash_table_size (t->handles);
  for (GList *l = t->queue.head; l != NULL; l = l->next)
    if (((Op *) l->data)->kind == OP_ACQUIRE)
      n++;
  return n;
}

static void
queue_acquire (QaFreezeTable *t, GPtrArray *fs, const char *owner, gint64 timeout,
               gboolean legacy, QaTableFunc func, gpointer user_data)
{
  Op *op;

  if (count_acquires (t) >= t->limits.max_handles)
    {
      g_autoptr (GError) error = g_error_new (QW_ERROR, QW_ERROR_LIMIT_EXCEEDED,
                                              "Too many handles: the limit is %u "
                                              "(--max-handles)",
                                              t->limits.max_handles);
      func (NULL, error, user_data);
      return;
    }
  op = op_new (OP_ACQUIRE, func, user_data);
  op->fs = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_fs_unref);
  for (guint i = 0; i < fs->len; i++)
    {
      QaFs *f = g_ptr_array_index (fs, i);
      g_autofree char *key = qa_fs_key (f);
      gboolean dup = FALSE;

      /* one superblock counts once per handle, however it was named */
      for (guint j = 0; j < op->keys->len; j++)
        if (g_strcmp0 (g_ptr_array_index (op->keys, j), key) == 0)
          dup = TRUE;
      if (dup)
        continue;
      g_ptr_array_add (op->fs, qa_fs_ref (f));
      g_ptr_array_add (op->keys, g_steal_pointer (&key));
    }
  qa_fs_sort_freeze_order (op->fs);
  op->owner = g_strdup (owner);
  op->legacy = legacy;
  if (legacy)
    {
      op->timeout = t->limits.legacy_timeout;
      t->legacy_pending = TRUE;
    }
  else
    op->timeout = MIN (timeout, t->limits.max_timeout);
  enqueue (t, op);
}

void
qa_freeze_table_acquire (QaFreezeTable *t, GPtrArray *fs, const char *owner, gint64 timeout,
                         QaTableFunc func, gpointer user_data)
{
  queue_acquire (t, fs, owner, timeout, FALSE, func, user_data);
}

void
qa_freeze_table_legacy_freeze (QaFreezeTable *t, GPtrArray *fs, QaTableFunc func,
                               gpointer user_data)
{
  queue_acquire (t, fs, NULL, 0, TRUE, func, user_data);
}

static void
queue_release (QaFreezeTable *t, GPtrArray *handles, gboolean expiry, QaTableFunc func,
               gpointer user_data)
{
  Op *op = op_new (OP_RELEASE, func, user_data);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  op->handles = g_ptr_array_ref (handles);
  op->expiry = expiry;
  for (guint i = 0; i < handles->len; i++)
    {
      Handle *h = g_ptr_array_index (handles, i);
      for (guint j = 0; j < h->entries->len; j++)
        {
          Entry *e = g_ptr_array_index (h->entries, j);
          if (g_hash_table_add (seen, e->key))
            g_ptr_array_add (op->keys, g_strdup (e->key));
        }
    }
  enqueue (t, op);
}

void
qa_freeze_table_release (QaFreezeTable *t, guint64 id, gboolean force, QaTableFunc func,
                         gpointer user_data)
{
  g_autoptr (GPtrArray) handles = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  if (id == 0)
    {
      g_autoptr (GPtrArray) all = NULL;

      if (!force)
        {
          g_set_error_literal (&error, QW_ERROR, QW_ERROR_GENERIC,
                               "Handle 0 stands for every handle and needs \"force\": true");
          func (NULL, error, user_data);
          return;
        }
      all = sorted_handles (t);
      for (guint i = 0; i < all->len; i++)
        {
          Handle *h = g_ptr_array_index (all, i);
          if (h->state == HANDLE_HELD)
            {
              handle_set_state (t, h, HANDLE_RELEASING);
              g_ptr_array_add (handles, h);
            }
        }
      g_message ("force release of every handle (%u)", handles->len);
    }
  else
    {
      Handle *h = g_hash_table_lookup (t->handles, &id);
      if (h == NULL || h->state != HANDLE_HELD)
        {
          lookup_error (t, id, &error);
          func (NULL, error, user_data);
          return;
        }
      handle_set_state (t, h, HANDLE_RELEASING);
      g_ptr_array_add (handles, h);
    }
  queue_release (t, handles, FALSE, func, user_data);
}

void
qa_freeze_table_legacy_thaw (QaFreezeTable *t, QaTableFunc func, gpointer user_data)
{
  Handle *h;
  g_autoptr (GError) error = NULL;

  if (t->legacy_expired != 0)
    {
      Tombstone *ts = g_hash_table_lookup (t->tombstones, &t->legacy_expired);
      Tombstone copy = { t->legacy_expired, unix_now (), TRUE };

      t->legacy_expired = 0;
      journal_save_or_warn (t);
      set_expired_error (&error, ts != NULL ? ts : &copy);
      func (NULL, error, user_data);
      return;
    }
  h = legacy_handle (t);
  if (h == NULL)
    {
      QaTableResult empty;
      result_init (&empty);
      func (&empty, NULL, user_data);
      result_clear (&empty);
      return;
    }
  if (h->state == HANDLE_PENDING)
    {
      /* the legacy freeze is still running: thaw right after it */
      Op *op = op_new (OP_LEGACY_THAW, func, user_data);
      op->handles = g_ptr_array_new ();
      for (guint j = 0; j < h->entries->len; j++)
        g_ptr_array_add (op->keys, g_strdup (((Entry *) g_ptr_array_index (h->entries, j))->key));
      enqueue (t, op);
      return;
    }
  qa_freeze_table_release (t, h->id, FALSE, func, user_data);
}

gboolean
qa_freeze_table_renew (QaFreezeTable *t, guint64 id, gint64 timeout, gint64 *out, GError **error)
{
  Handle *h = g_hash_table_lookup (t->handles, &id);
  gint64 old;

  if (h == NULL || h->state != HANDLE_HELD)
    return lookup_error (t, id, error);
  old = h->deadline;
  h->deadline = t->clock () + MIN (timeout, t->limits.max_timeout) * G_USEC_PER_SEC;
  deadline_sync (t, h);
  if (!journal_save (t, error))
    {
      h->deadline = old;
      deadline_sync (t, h);
      return FALSE;
    }
  rearm_timer (t);
  if (out != NULL)
    *out = expires_in (t, h);
  return TRUE;
}

/* ---- deadlines -------------------------------------------------------- */

void
qa_freeze_table_expire_due (QaFreezeTable *t)
{
  g_autoptr (GPtrArray) due = g_ptr_array_new ();
  gint64 now = t->clock ();

  while (g_sequence_get_length (t->deadlines) > 0)
    {
      Handle *h = g_sequence_get (g_sequence_get_begin_iter (t->deadlines));
      if (h->deadline > now)
        break;
      handle_set_state (t, h, HANDLE_RELEASING);
      /* the wall time of the deadline itself, also when it passed while
       * the agent was not running */
      tombstone_add (t, h->id, unix_now () - (now - h->deadline) / G_USEC_PER_SEC, h->legacy);
      if (h->legacy)
        t->legacy_expired = h->id;
      g_message ("handle %" G_GUINT64_FORMAT "%s (owner '%s') reached its deadline: thawing "
                 "what only it held",
                 h->id, h->legacy ? " (legacy)" : "", h->owner != NULL ? h->owner : "");
      g_ptr_array_add (due, h);
    }
  if (due->len > 0)
    {
      journal_save_or_warn (t);
      queue_release (t, due, TRUE, NULL, NULL);
    }
  rearm_timer (t);
}

static gboolean
timer_cb (gpointer user_data)
{
  QaFreezeTable *t = user_data;
  t->timer_id = 0;
  qa_freeze_table_expire_due (t);
  return G_SOURCE_REMOVE;
}

static void
rearm_timer (QaFreezeTable *t)
{
  gint64 delay_ms;
  Handle *first;

  if (t->timer_id != 0)
    {
      g_source_remove (t->timer_id);
      t->timer_id = 0;
    }
  if (g_sequence_get_length (t->deadlines) == 0)
    return;
  first = g_sequence_get (g_sequence_get_begin_iter (t->deadlines));
  delay_ms = (first->deadline - t->clock () + 999) / 1000;
  /* GLib timeouts run on the monotonic clock, which stops in suspend;
   * wake at least every minute to re-check against the boot clock */
  delay_ms = CLAMP (delay_ms, 0, 60 * 1000);
  t->timer_id = g_timeout_add ((guint) delay_ms, timer_cb, t);
}

/* ---- restore ---------------------------------------------------------- */

static QaFs *
view_find (const QaFsView *view, const char *key, const char *mountpoint)
{
  for (guint i = 0; i < view->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (view->fs, i);
      g_autofree char *k = qa_fs_key (fs);
      if (g_strcmp0 (k, key) != 0)
        continue;
      for (guint j = 0; j < fs->mountpoints->len; j++)
        if (g_strcmp0 (g_ptr_array_index (fs->mountpoints, j), mountpoint) == 0)
          return fs;
    }
  return NULL;
}

/* is it still frozen?  A second userspace FIFREEZE answers EBUSY while the
 * first holds; if it succeeds, the filesystem had been thawed and we undo
 * our probe at once */
static gboolean
probe_frozen (QaFreezeTable *t, Entry *e, char **why)
{
  g_autofree char *path = open_path (t, e->fs->mountpoint);
  int fd = t->ops->open_fs (t->ops->user_data, path, expect_dev (t, e->fs));
  int r;

  if (fd < 0)
    {
      *why = g_strdup_printf ("'%s' cannot be opened: %s", e->fs->mountpoint, g_strerror (-fd));
      return FALSE;
    }
  r = t->ops->freeze (t->ops->user_data, fd, path);
  if (r == EBUSY)
    {
      e->fd = fd;
      e->frozen = TRUE;
      return TRUE;
    }
  if (r == 0)
    {
      t->ops->thaw (t->ops->user_data, fd, path);
      *why = g_strdup_printf ("'%s' was thawed while the agent was not running",
                              e->fs->mountpoint);
    }
  else
    *why = g_strdup_printf ("'%s' cannot be checked: %s", e->fs->mountpoint, g_strerror (r));
  t->ops->close_fs (t->ops->user_data, fd);
  return FALSE;
}

gboolean
qa_freeze_table_restore (QaFreezeTable *t, const QaFsView *view, GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GHashTable) probed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) releasing = g_ptr_array_new ();
  JsonObject *obj;
  JsonArray *arr;

  if (t->journal == NULL)
    return TRUE;
  root = qa_journal_load (t->journal, &local);
  if (root == NULL)
    {
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root)
      || json_object_get_int_member_with_default (json_node_get_object (root), "version", 0)
             != JOURNAL_VERSION)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "The journal '%s' is not a version %d freeze table; move it away to start "
                   "afresh",
                   qa_journal_path (t->journal), JOURNAL_VERSION);
      return FALSE;
    }
  obj = json_node_get_object (root);
  if (g_strcmp0 (json_object_get_string_member_with_default (obj, "boot-id", ""), t->boot_id) != 0)
    {
      g_message ("the journal is from an earlier boot: the reboot thawed everything it held");
      journal_save_or_warn (t);
      return TRUE;
    }
  t->next_id = MAX (t->next_id, (guint64) json_object_get_int_member_with_default (
                                    obj, "next-handle", 1));
  t->legacy_expired = (guint64) json_object_get_int_member_with_default (obj, "legacy-expired", 0);

  arr = json_object_get_array_member (obj, "tombstones");
  for (guint i = 0; arr != NULL && i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      if (o == NULL)
        continue;
      tombstone_add (t, (guint64) json_object_get_int_member_with_default (o, "handle", 0),
                     json_object_get_int_member_with_default (o, "expired", 0),
                     json_object_get_boolean_member_with_default (o, "legacy", FALSE));
    }

  arr = json_object_get_array_member (obj, "handles");
  for (guint i = 0; arr != NULL && i < json_array_get_length (arr); i++)
    {
      JsonObject *o = json_array_get_object_element (arr, i);
      JsonArray *fsarr;
      JsonArray *lost;
      Handle *h;
      const char *state;

      if (o == NULL)
        continue;
      h = handle_new ((guint64) json_object_get_int_member_with_default (o, "handle", 0),
                      json_object_get_string_member_with_default (o, "owner", ""),
                      json_object_get_boolean_member_with_default (o, "legacy", FALSE));
      if (h->owner != NULL && h->owner[0] == '\0')
        g_clear_pointer (&h->owner, g_free);
      h->created = json_object_get_int_member_with_default (o, "created", 0);
      h->deadline = json_object_get_int_member_with_default (o, "deadline", 0);
      state = json_object_get_string_member_with_default (o, "state", "held");
      lost = json_object_get_array_member (o, "lost");
      for (guint j = 0; lost != NULL && j < json_array_get_length (lost); j++)
        g_ptr_array_add (h->lost, g_strdup (json_array_get_string_element (lost, j)));

      fsarr = json_object_get_array_member (o, "filesystems");
      for (guint j = 0; fsarr != NULL && j < json_array_get_length (fsarr); j++)
        {
          JsonObject *f = json_array_get_object_element (fsarr, j);
          const char *key = json_object_get_string_member_with_default (f, "key", "");
          const char *mp = json_object_get_string_member_with_default (f, "mountpoint", "");
          QaFs *fs = view_find (view, key, mp);
          Entry *e;
          const char *why;

          if (fs == NULL)
            {
              char *msg = g_strdup_printf ("'%s' is no longer mounted", mp);
              g_warning ("handle %" G_GUINT64_FORMAT ": %s", h->id, msg);
              g_ptr_array_add (h->lost, msg);
              continue;
            }
          e = entry_get (t, fs);
          if (!g_hash_table_contains (probed, e->key))
            {
              char *w = NULL;
              probe_frozen (t, e, &w);
              g_hash_table_insert (probed, g_strdup (e->key), w);
            }
          why = g_hash_table_lookup (probed, e->key);
          if (!e->frozen)
            {
              g_warning ("handle %" G_GUINT64_FORMAT ": %s", h->id, why);
              g_ptr_array_add (h->lost, g_strdup (why));
              continue;
            }
          e->refs++;
          g_ptr_array_add (h->entries, e);
        }
      g_hash_table_insert (t->handles, &h->id, h);
      handle_set_state (t, h, HANDLE_HELD);
      if (h->legacy)
        t->legacy = h;
      t->next_id = MAX (t->next_id, h->id + 1);
      g_message ("restored handle %" G_GUINT64_FORMAT "%s (owner '%s'): %u filesystem(s) held, "
                 "%u lost",
                 h->id, h->legacy ? " (legacy)" : "", h->owner != NULL ? h->owner : "",
                 h->entries->len, h->lost->len);
      if (g_strcmp0 (state, "releasing") == 0)
        g_ptr_array_add (releasing, h);
    }

  drop_idle_entries (t);
  /* frozen but held by no handle: it was ours (a crash between FIFREEZE
   * and the journal cannot happen, but a crash mid-release can) */
  {
    GHashTableIter iter;
    Entry *e;
    g_hash_table_iter_init (&iter, t->entries);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &e))
      if (e->refs == 0 && e->frozen)
        {
          t->ops->thaw (t->ops->user_data, e->fd, e->fs->mountpoint);
          t->ops->close_fs (t->ops->user_data, e->fd);
          e->fd = -1;
          e->frozen = FALSE;
        }
    drop_idle_entries (t);
  }
  for (guint i = 0; i < releasing->len; i++)
    handle_set_state (t, g_ptr_array_index (releasing, i), HANDLE_RELEASING);
  if (releasing->len > 0)
    queue_release (t, releasing, FALSE, NULL, NULL);
  journal_save_or_warn (t);
  qa_freeze_table_expire_due (t);
  watch_update (t);
  return TRUE;
}

/* ---- queries ---------------------------------------------------------- */

gboolean
qa_freeze_table_legacy_active (const QaFreezeTable *t)
{
  return t->legacy_pending || legacy_handle (t) != NULL;
}

gboolean
qa_freeze_table_is_frozen (const QaFreezeTable *t)
{
  GHashTableIter iter;
  Entry *e;

  g_hash_table_iter_init (&iter, t->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &e))
    if (e->frozen)
      return TRUE;
  return FALSE;
}

guint
qa_freeze_table_refs (const QaFreezeTable *t, const char *key)
{
  Entry *e = g_hash_table_lookup (t->entries, key);
  return e != NULL ? e->refs : 0;
}

guint
qa_freeze_table_n_handles (const QaFreezeTable *t)
{
  return g_hash_table_size (t->handles);
}

gboolean
qa_freeze_table_is_idle (const QaFreezeTable *t)
{
  return t->in_flight == 0 && t->queue.length == 0;
}

JsonNode *
qa_freeze_table_list (const QaFreezeTable *t)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) handles = sorted_handles (t);

  json_builder_begin_array (b);
  for (guint i = 0; i < handles->len; i++)
    {
      Handle *h = g_ptr_array_index (handles, i);
      if (h->state != HANDLE_HELD)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "handle");
      json_builder_add_int_value (b, (gint64) h->id);
      json_builder_set_member_name (b, "owner");
      json_builder_add_string_value (b, h->owner != NULL ? h->owner : "");
      json_builder_set_member_name (b, "legacy");
      json_builder_add_boolean_value (b, h->legacy);
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, h->created);
      json_builder_set_member_name (b, "expires-in");
      json_builder_add_int_value (b, expires_in ((QaFreezeTable *) t, h));
      json_builder_set_member_name (b, "filesystems");
      json_builder_begin_array (b);
      for (guint j = 0; j < h->entries->len; j++)
        json_builder_add_string_value (b, ((Entry *) g_ptr_array_index (h->entries, j))->fs->mountpoint);
      json_builder_end_array (b);
      if (h->lost->len > 0)
        {
          json_builder_set_member_name (b, "lost");
          json_builder_begin_array (b);
          for (guint j = 0; j < h->lost->len; j++)
            json_builder_add_string_value (b, g_ptr_array_index (h->lost, j));
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

/* ---- life cycle ------------------------------------------------------- */

static guint
guint64_hash (gconstpointer v)
{
  return g_int64_hash (v);
}

static gboolean
guint64_equal (gconstpointer a, gconstpointer b)
{
  return g_int64_equal (a, b);
}

QaFreezeTable *
qa_freeze_table_new (const QaFreezeOps *ops, QaJournal *journal, const QaTableLimits *limits)
{
  QaFreezeTable *t = g_new0 (QaFreezeTable, 1);

  t->ops = ops;
  t->journal = journal;
  t->limits = *limits;
  if (t->limits.max_handles == 0)
    t->limits.max_handles = 1024;
  if (t->limits.max_timeout <= 0)
    t->limits.max_timeout = 3600;
  if (t->limits.tombstone_max == 0)
    t->limits.tombstone_max = 256;
  if (t->limits.tombstone_age <= 0)
    t->limits.tombstone_age = 3600;
  t->prefix = g_strdup ("");
  t->boot_id = g_strdup ("unknown");
  t->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) entry_free);
  t->handles = g_hash_table_new_full (guint64_hash, guint64_equal, NULL,
                                      (GDestroyNotify) handle_free);
  t->tombstones = g_hash_table_new_full (guint64_hash, guint64_equal, NULL, g_free);
  t->deadlines = g_sequence_new (NULL);
  g_queue_init (&t->queue);
  g_queue_init (&t->tomb_order);
  t->next_id = 1;
  t->clock = boottime_us;
  return t;
}

void
qa_freeze_table_free (QaFreezeTable *t)
{
  if (t == NULL)
    return;
  if (t->timer_id != 0)
    g_source_remove (t->timer_id);
  g_queue_clear_full (&t->queue, (GDestroyNotify) op_free);
  g_queue_clear (&t->tomb_order);
  g_hash_table_unref (t->tombstones);
  /* the handles' iterators die with the index */
  g_sequence_free (t->deadlines);
  g_hash_table_unref (t->handles);
  g_hash_table_unref (t->entries);
  g_free (t->prefix);
  g_free (t->boot_id);
  g_free (t->watch_key);
  g_free (t);
}

void
qa_freeze_table_set_prefix (QaFreezeTable *t, const char *prefix)
{
  g_free (t->prefix);
  t->prefix = g_strdup (prefix != NULL && g_strcmp0 (prefix, "/") != 0 ? prefix : "");
}

void
qa_freeze_table_set_hooks (QaFreezeTable *t, QaHooks *hooks)
{
  t->hooks = hooks;
}

void
qa_freeze_table_set_boot_id (QaFreezeTable *t, const char *boot_id)
{
  g_free (t->boot_id);
  t->boot_id = g_strdup (boot_id);
}

void
qa_freeze_table_watch (QaFreezeTable *t, const char *key, QaTableWatchFunc func,
                       gpointer user_data)
{
  g_free (t->watch_key);
  t->watch_key = g_strdup (key);
  t->watch_func = func;
  t->watch_data = user_data;
  t->watch_state = FALSE;
}

void
qa_freeze_table_set_clock (QaFreezeTable *t, QaClockFunc clock)
{
  t->clock = clock != NULL ? clock : boottime_us;
}
