/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the freeze table over a scripted backend: no ioctls, a fake kernel that
 * tracks which paths are frozen, errno scripted per path, and a log of
 * every call so the order can be checked */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "qa-freeze-table.h"
#include "qw-error.h"

/* ---- the fake kernel -------------------------------------------------- */

typedef struct
{
  GMutex lock;
  GCond cond;
  GHashTable *frozen;      /* path -> "1" */
  GHashTable *freeze_errno; /* path -> errno to return from FIFREEZE */
  GPtrArray *log;          /* "freeze /a", "thaw /b", ... */
  char *gate_path;         /* a FIFREEZE of this path waits for the gate */
  gboolean gate_open;
  gboolean gate_reached;
} FakeKernel;

static FakeKernel kernel;

static int
fake_open (gpointer user_data, const char *path, dev_t expect_dev)
{
  /* the fd encodes nothing: the path is passed to every op */
  return 100;
}

static int
fake_freeze (gpointer user_data, int fd, const char *path)
{
  int r = 0;

  g_mutex_lock (&kernel.lock);
  if (kernel.gate_path != NULL && g_strcmp0 (path, kernel.gate_path) == 0)
    {
      kernel.gate_reached = TRUE;
      g_cond_broadcast (&kernel.cond);
      while (!kernel.gate_open)
        g_cond_wait (&kernel.cond, &kernel.lock);
    }
  g_ptr_array_add (kernel.log, g_strdup_printf ("freeze %s", path));
  if (g_hash_table_contains (kernel.freeze_errno, path))
    r = GPOINTER_TO_INT (g_hash_table_lookup (kernel.freeze_errno, path));
  else if (g_hash_table_contains (kernel.frozen, path))
    r = EBUSY;
  else
    g_hash_table_add (kernel.frozen, g_strdup (path));
  g_mutex_unlock (&kernel.lock);
  return r;
}

static int
fake_thaw (gpointer user_data, int fd, const char *path)
{
  int r = 0;

  g_mutex_lock (&kernel.lock);
  g_ptr_array_add (kernel.log, g_strdup_printf ("thaw %s", path));
  if (!g_hash_table_remove (kernel.frozen, path))
    r = EINVAL;
  g_mutex_unlock (&kernel.lock);
  return r;
}

static int
fake_sync (gpointer user_data, int fd, const char *path)
{
  return 0;
}

static void
fake_close (gpointer user_data, int fd)
{
}

static const QaFreezeOps fake_ops = {
  fake_open, fake_freeze, fake_thaw, fake_sync, fake_close, NULL,
};

static gboolean
kernel_frozen (const char *path)
{
  gboolean r;
  g_mutex_lock (&kernel.lock);
  r = g_hash_table_contains (kernel.frozen, path);
  g_mutex_unlock (&kernel.lock);
  return r;
}

static char *
kernel_log (void)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_mutex_lock (&kernel.lock);
  for (guint i = 0; i < kernel.log->len; i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "",
                            (char *) g_ptr_array_index (kernel.log, i));
  g_ptr_array_set_size (kernel.log, 0);
  g_mutex_unlock (&kernel.lock);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
kernel_log_clear (void)
{
  g_free (kernel_log ());
}

static gint64 fake_now = 1000 * G_USEC_PER_SEC;

static gint64
fake_clock (void)
{
  return fake_now;
}

/* ---- fixtures --------------------------------------------------------- */

static char *state_dir;
static QaJournal *journal;
static QaFreezeTable *table;
static QaFs *fs_a, *fs_b, *fs_c, *fs_d, *fs_e;

static QaFs *
make_fs (guint minor, const char *mountpoint, guint rank)
{
  QaFs *fs = g_new0 (QaFs, 1);
  fs->ref_count = 1;
  fs->major = 7;
  fs->minor = minor;
  fs->mountpoint = g_strdup (mountpoint);
  fs->mountpoints = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (fs->mountpoints, g_strdup (mountpoint));
  fs->fstype = g_strdup ("ext4");
  fs->source = g_strdup_printf ("/dev/loop%u", minor);
  fs->name = g_strdup_printf ("loop%u", minor);
  fs->disks = g_ptr_array_new ();
  fs->rank = rank;
  /* one level each: the older tests check one exact order of calls */
  fs->level = rank;
  return fs;
}

static QaFreezeTable *
new_table (guint max_handles)
{
  QaTableLimits limits = { .max_handles = max_handles, .max_timeout = 3600,
                           .legacy_timeout = 600 };
  QaFreezeTable *t = qa_freeze_table_new (&fake_ops, journal, &limits);
  qa_freeze_table_set_clock (t, fake_clock);
  qa_freeze_table_set_boot_id (t, "boot-1");
  return t;
}

static void
setup (void)
{
  g_mutex_init (&kernel.lock);
  g_cond_init (&kernel.cond);
  kernel.frozen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  kernel.freeze_errno = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  kernel.log = g_ptr_array_new_with_free_func (g_free);
  kernel.gate_path = NULL;
  kernel.gate_open = FALSE;
  kernel.gate_reached = FALSE;
  state_dir = g_dir_make_tmp ("qa-table-XXXXXX", NULL);
  journal = qa_journal_new (state_dir);
  /* ranks: a (mounted last) freezes first */
  fs_a = make_fs (1, "/a", 0);
  fs_b = make_fs (2, "/b", 1);
  fs_c = make_fs (3, "/c", 2);
  fs_d = make_fs (4, "/d", 3);
  fs_e = make_fs (5, "/e", 4);
  table = new_table (0);
}

static void
teardown (void)
{
  g_autofree char *path = g_build_filename (state_dir, "freeze-table.json", NULL);
  qa_freeze_table_free (table);
  qa_journal_free (journal);
  g_unlink (path);
  g_rmdir (state_dir);
  g_free (state_dir);
  qa_fs_unref (fs_a);
  qa_fs_unref (fs_b);
  qa_fs_unref (fs_c);
  qa_fs_unref (fs_d);
  qa_fs_unref (fs_e);
  g_hash_table_unref (kernel.frozen);
  g_hash_table_unref (kernel.freeze_errno);
  g_ptr_array_unref (kernel.log);
  g_free (kernel.gate_path);
}

/* ---- calling the table and waiting ------------------------------------ */

typedef struct
{
  gboolean done;
  guint64 handle;
  guint count;
  guint held;
  gint64 expires_in;
  int error_code; /* -1: success */
  char *error_message;
  char *refs;     /* "mountpoint=refs,..." */
  guint skipped;
} Outcome;

static void
outcome_clear (Outcome *o)
{
  g_free (o->error_message);
  g_free (o->refs);
  memset (o, 0, sizeof (*o));
}

static void
on_done (const QaTableResult *r, const GError *error, gpointer user_data)
{
  Outcome *o = user_data;

  o->done = TRUE;
  o->error_code = -1;
  if (error != NULL)
    {
      o->error_code = error->code;
      o->error_message = g_strdup (error->message);
      return;
    }
  {
    g_autoptr (GString) s = g_string_new (NULL);
    for (guint i = 0; i < r->fs->len; i++)
      g_string_append_printf (s, "%s%s=%u", i > 0 ? "," : "",
                              ((QaFs *) g_ptr_array_index (r->fs, i))->mountpoint,
                              g_array_index (r->refs, guint, i));
    o->refs = g_string_free (g_steal_pointer (&s), FALSE);
  }
  o->handle = r->handle;
  o->count = r->count;
  o->held = r->held;
  o->expires_in = r->expires_in;
  o->skipped = r->skipped->len;
}

static void
wait_done (Outcome *o)
{
  gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!o->done && g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_msg (o->done, "the table never answered");
}

static GPtrArray *
fs_list (QaFs *first, ...)
{
  GPtrArray *arr = g_ptr_array_new ();
  va_list ap;
  va_start (ap, first);
  for (QaFs *f = first; f != NULL; f = va_arg (ap, QaFs *))
    g_ptr_array_add (arr, f);
  va_end (ap);
  return arr;
}

static Outcome
acquire (GPtrArray *fs, gint64 timeout)
{
  Outcome o = { 0 };
  qa_freeze_table_acquire (table, fs, "test", timeout, on_done, &o);
  wait_done (&o);
  g_ptr_array_unref (fs);
  return o;
}

static Outcome
release (guint64 handle, gboolean force)
{
  Outcome o = { 0 };
  qa_freeze_table_release (table, handle, force, on_done, &o);
  wait_done (&o);
  return o;
}

/* ---- tests ------------------------------------------------------------ */

START_TEST (test_counting_model)
{
  /* freeze A,B -> h1; freeze A -> h2; release h1 -> B thawed, A frozen;
   * release h2 -> A thawed */
  Outcome h1 = acquire (fs_list (fs_a, fs_b, NULL), 60);
  Outcome h2 = acquire (fs_list (fs_a, NULL), 60);
  Outcome r;
  g_autofree char *log1 = NULL;
  g_autofree char *log2 = NULL;

  ck_assert_int_eq (h1.error_code, -1);
  ck_assert_uint_eq (h1.count, 2);
  ck_assert_str_eq (h1.refs, "/a=1,/b=1");
  ck_assert_int_eq (h2.error_code, -1);
  ck_assert_uint_eq (h2.count, 0);
  ck_assert_str_eq (h2.refs, "/a=2");
  ck_assert_uint_ne (h1.handle, h2.handle);
  log1 = kernel_log ();
  ck_assert_str_eq (log1, "freeze /a, freeze /b");

  r = release (h1.handle, FALSE);
  ck_assert_int_eq (r.error_code, -1);
  ck_assert_uint_eq (r.count, 1);
  ck_assert_str_eq (r.refs, "/a=1,/b=0");
  ck_assert (kernel_frozen ("/a"));
  ck_assert (!kernel_frozen ("/b"));
  outcome_clear (&r);

  r = release (h2.handle, FALSE);
  ck_assert_uint_eq (r.count, 1);
  ck_assert (!kernel_frozen ("/a"));
  log2 = kernel_log ();
  ck_assert_str_eq (log2, "thaw /b, thaw /a");
  ck_assert (!qa_freeze_table_is_frozen (table));
  outcome_clear (&r);

  /* a second release of a released handle */
  r = release (h2.handle, FALSE);
  ck_assert_int_eq (r.error_code, QW_ERROR_HANDLE_NOT_FOUND);
  outcome_clear (&r);
  outcome_clear (&h1);
  outcome_clear (&h2);
}
END_TEST

START_TEST (test_rollback_third_of_five)
{
  Outcome o;
  g_autofree char *log = NULL;

  g_hash_table_insert (kernel.freeze_errno, g_strdup ("/c"), GINT_TO_POINTER (EIO));
  /* given in scrambled order: the table sorts by rank */
  o = acquire (fs_list (fs_e, fs_c, fs_a, fs_d, fs_b, NULL), 60);
  ck_assert_int_eq (o.error_code, QW_ERROR_FREEZE_FAILED);
  ck_assert_msg (strstr (o.error_message, "'/c'") != NULL, "%s", o.error_message);
  ck_assert_msg (strstr (o.error_message, g_strerror (EIO)) != NULL, "%s", o.error_message);
  log = kernel_log ();
  /* a and b were frozen, c failed, then b and a thawed in reverse; d and e
   * never touched */
  ck_assert_str_eq (log, "freeze /a, freeze /b, freeze /c, thaw /b, thaw /a");
  ck_assert_uint_eq (qa_freeze_table_n_handles (table), 0);
  ck_assert_uint_eq (qa_freeze_table_refs (table, "7:1"), 0);
  ck_assert (!qa_freeze_table_is_frozen (table));
  outcome_clear (&o);
}
END_TEST

START_TEST (test_eopnotsupp_skipped)
{
  Outcome o;

  g_hash_table_insert (kernel.freeze_errno, g_strdup ("/b"), GINT_TO_POINTER (EOPNOTSUPP));
  o = acquire (fs_list (fs_a, fs_b, NULL), 60);
  ck_assert_int_eq (o.error_code, -1);
  ck_assert_uint_eq (o.count, 1);
  ck_assert_uint_eq (o.held, 1);
  ck_assert_uint_eq (o.skipped, 1);
  ck_assert_str_eq (o.refs, "/a=1");
  outcome_clear (&o);

  /* only unsupported ones: nothing to freeze, no handle */
  o = acquire (fs_list (fs_b, NULL), 60);
  ck_assert_int_eq (o.error_code, QW_ERROR_GENERIC);
  ck_assert_msg (strstr (o.error_message, "Nothing to freeze") != NULL, "%s", o.error_message);
  ck_assert_uint_eq (qa_freeze_table_n_handles (table), 1);
  outcome_clear (&o);
}
END_TEST

START_TEST (test_ebusy)
{
  Outcome o = { 0 };

  /* /b frozen by someone else (fsfreeze -f) */
  g_hash_table_add (kernel.frozen, g_strdup ("/b"));
  o = acquire (fs_list (fs_a, fs_b, NULL), 60);
  ck_assert_int_eq (o.error_code, QW_ERROR_BUSY);
  ck_assert (!kernel_frozen ("/a"));
  ck_assert (kernel_frozen ("/b"));
  outcome_clear (&o);

  /* the legacy freeze skips it and does not count it */
  {
    GPtrArray *fs = fs_list (fs_a, fs_b, NULL);
    qa_freeze_table_legacy_freeze (table, fs, on_done, &o);
    wait_done (&o);
    g_ptr_array_unref (fs);
  }
  ck_assert_int_eq (o.error_code, -1);
  ck_assert_uint_eq (o.held, 1);
  outcome_clear (&o);
  /* and the legacy thaw leaves it frozen */
  qa_freeze_table_legacy_thaw (table, on_done, &o);
  wait_done (&o);
  ck_assert_uint_eq (o.held, 1);
  ck_assert (!kernel_frozen ("/a"));
  ck_assert (kernel_frozen ("/b"));
  outcome_clear (&o);
}
END_TEST

START_TEST (test_legacy_beside_handles)
{
  Outcome h = acquire (fs_list (fs_a, NULL), 60);
  Outcome o = { 0 };
  GPtrArray *fs = fs_list (fs_a, fs_b, NULL);

  qa_freeze_table_legacy_freeze (table, fs, on_done, &o);
  wait_done (&o);
  g_ptr_array_unref (fs);
  ck_assert_int_eq (o.error_code, -1);
  ck_assert_uint_eq (o.held, 2); /* a counts for the legacy handle too */
  ck_assert (qa_freeze_table_legacy_active (table));
  outcome_clear (&o);

  qa_freeze_table_legacy_thaw (table, on_done, &o);
  wait_done (&o);
  ck_assert_uint_eq (o.held, 2);
  ck_assert (kernel_frozen ("/a")); /* still held by the handle */
  ck_assert (!kernel_frozen ("/b"));
  ck_assert (!qa_freeze_table_legacy_active (table));
  outcome_clear (&o);

  /* a thaw with no legacy freeze returns 0 */
  qa_freeze_table_legacy_thaw (table, on_done, &o);
  wait_done (&o);
  ck_assert_int_eq (o.error_code, -1);
  ck_assert_uint_eq (o.held, 0);
  outcome_clear (&o);
  outcome_clear (&h);
}
END_TEST

START_TEST (test_expiry)
{
  Outcome h = acquire (fs_list (fs_a, NULL), 5);
  Outcome o = { 0 };
  gint64 left = 0;
  g_autoptr (GError) error = NULL;

  ck_assert_int_eq (h.expires_in, 5);
  fake_now += 4 * G_USEC_PER_SEC;
  ck_assert (qa_freeze_table_renew (table, h.handle, 10, &left, NULL));
  ck_assert_int_eq (left, 10);
  fake_now += 9 * G_USEC_PER_SEC;
  qa_freeze_table_expire_due (table);
  ck_assert (kernel_frozen ("/a"));
  fake_now += 2 * G_USEC_PER_SEC;
  qa_freeze_table_expire_due (table);
  /* gone from the list at once, thawed once the worker is done */
  {
    g_autoptr (JsonNode) list = qa_freeze_table_list (table);
    ck_assert_uint_eq (json_array_get_length (json_node_get_array (list)), 0);
  }
  while (!qa_freeze_table_is_idle (table))
    g_main_context_iteration (NULL, FALSE);
  ck_assert (!kernel_frozen ("/a"));

  o = release (h.handle, FALSE);
  ck_assert_int_eq (o.error_code, QW_ERROR_HANDLE_EXPIRED);
  outcome_clear (&o);
  ck_assert (!qa_freeze_table_renew (table, h.handle, 10, NULL, &error));
  ck_assert_int_eq (error->code, QW_ERROR_HANDLE_EXPIRED);
  outcome_clear (&h);
}
END_TEST

START_TEST (test_legacy_expiry)
{
  Outcome o = { 0 };
  GPtrArray *fs = fs_list (fs_a, NULL);

  qa_freeze_table_legacy_freeze (table, fs, on_done, &o);
  wait_done (&o);
  g_ptr_array_unref (fs);
  outcome_clear (&o);
  fake_now += 601 * G_USEC_PER_SEC;
  qa_freeze_table_expire_due (table);
  while (!qa_freeze_table_is_idle (table))
    g_main_context_iteration (NULL, FALSE);
  ck_assert (!kernel_frozen ("/a"));
  /* the first thaw reports the expiry, the next returns 0 */
  qa_freeze_table_legacy_thaw (table, on_done, &o);
  wait_done (&o);
  ck_assert_int_eq (o.error_code, QW_ERROR_HANDLE_EXPIRED);
  outcome_clear (&o);
  qa_freeze_table_legacy_thaw (table, on_done, &o);
  wait_done (&o);
  ck_assert_int_eq (o.error_code, -1);
  ck_assert_uint_eq (o.held, 0);
  outcome_clear (&o);
}
END_TEST

START_TEST (test_limits_and_force)
{
  Outcome o;

  qa_freeze_table_free (table);
  table = new_table (2);
  o = acquire (fs_list (fs_a, NULL), 60);
  outcome_clear (&o);
  o = acquire (fs_list (fs_b, NULL), 60);
  outcome_clear (&o);
  o = acquire (fs_list (fs_c, NULL), 60);
  ck_assert_int_eq (o.error_code, QW_ERROR_LIMIT_EXCEEDED);
  outcome_clear (&o);
  ck_assert (!kernel_frozen ("/c"));

  o = release (0, FALSE);
  ck_assert_int_eq (o.error_code, QW_ERROR_GENERIC);
  outcome_clear (&o);
  o = release (0, TRUE);
  ck_assert_int_eq (o.error_code, -1);
  ck_assert_uint_eq (o.count, 2);
  ck_assert (!qa_freeze_table_is_frozen (table));
  ck_assert_uint_eq (qa_freeze_table_n_handles (table), 0);
  outcome_clear (&o);
}
END_TEST

START_TEST (test_journal_round_trip)
{
  Outcome h1 = acquire (fs_list (fs_a, fs_b, NULL), 60);
  Outcome h2 = acquire (fs_list (fs_b, fs_c, NULL), 60);
  Outcome o;
  g_autoptr (QaFsView) view = g_new0 (QaFsView, 1);
  g_autoptr (GError) error = NULL;

  /* the agent dies (no thaw); /c is thawed behind its back */
  qa_freeze_table_free (table);
  g_hash_table_remove (kernel.frozen, "/c");
  kernel_log_clear ();

  view->fs = g_ptr_array_new ();
  view->mounts = g_ptr_array_new ();
  g_ptr_array_add (view->fs, fs_a);
  g_ptr_array_add (view->fs, fs_b);
  g_ptr_array_add (view->fs, fs_c);
  table = new_table (0);
  ck_assert_msg (qa_freeze_table_restore (table, view, &error), "%s",
                 error != NULL ? error->message : "");
  ck_assert_uint_eq (qa_freeze_table_n_handles (table), 2);
  ck_assert_uint_eq (qa_freeze_table_refs (table, "7:2"), 2);
  ck_assert_uint_eq (qa_freeze_table_refs (table, "7:3"), 0);
  {
    g_autoptr (JsonNode) list = qa_freeze_table_list (table);
    JsonObject *second = json_array_get_object_element (json_node_get_array (list), 1);
    ck_assert (json_object_has_member (second, "lost"));
  }
  view->fs->pdata[0] = view->fs->pdata[1] = view->fs->pdata[2] = NULL;

  o = release (h1.handle, FALSE);
  ck_assert_int_eq (o.error_code, -1);
  ck_assert_uint_eq (o.count, 1);
  ck_assert (!kernel_frozen ("/a"));
  ck_assert (kernel_frozen ("/b"));
  outcome_clear (&o);
  o = release (h2.handle, FALSE);
  ck_assert_uint_eq (o.count, 1);
  ck_assert (!kernel_frozen ("/b"));
  outcome_clear (&o);

  /* new handles continue the numbering */
  o = acquire (fs_list (fs_a, NULL), 60);
  ck_assert_uint_gt (o.handle, h2.handle);
  outcome_clear (&o);
  outcome_clear (&h1);
  outcome_clear (&h2);
}
END_TEST

START_TEST (test_other_boot_ignored)
{
  Outcome h = acquire (fs_list (fs_a, NULL), 60);
  g_autoptr (QaFsView) view = g_new0 (QaFsView, 1);

  qa_freeze_table_free (table);
  view->fs = g_ptr_array_new ();
  view->mounts = g_ptr_array_new ();
  table = new_table (0);
  qa_freeze_table_set_boot_id (table, "boot-2");
  ck_assert (qa_freeze_table_restore (table, view, NULL));
  ck_assert_uint_eq (qa_freeze_table_n_handles (table), 0);
  outcome_clear (&h);
}
END_TEST

START_TEST (test_transition_waits_others_go)
{
  Outcome slow = { 0 }, other = { 0 }, same = { 0 };
  GPtrArray *fa = fs_list (fs_a, NULL);
  GPtrArray *fb = fs_list (fs_b, NULL);
  GPtrArray *fa2 = fs_list (fs_a, NULL);

  kernel.gate_path = g_strdup ("/a");
  qa_freeze_table_acquire (table, fa, "slow", 60, on_done, &slow);
  g_mutex_lock (&kernel.lock);
  while (!kernel.gate_reached)
    g_cond_wait (&kernel.cond, &kernel.lock);
  g_mutex_unlock (&kernel.lock);

  /* while /a's FIFREEZE hangs: /b goes ahead, another /a waits */
  qa_freeze_table_acquire (table, fa2, "same", 60, on_done, &same);
  qa_freeze_table_acquire (table, fb, "other", 60, on_done, &other);
  wait_done (&other);
  ck_assert_int_eq (other.error_code, -1);
  ck_assert (!slow.done);
  ck_assert (!same.done);

  g_mutex_lock (&kernel.lock);
  kernel.gate_open = TRUE;
  g_cond_broadcast (&kernel.cond);
  g_mutex_unlock (&kernel.lock);
  wait_done (&slow);
  wait_done (&same);
  ck_assert_uint_eq (slow.count, 1);
  ck_assert_uint_eq (same.count, 0);
  ck_assert_str_eq (same.refs, "/a=2");
  g_ptr_array_unref (fa);
  g_ptr_array_unref (fb);
  g_ptr_array_unref (fa2);
  outcome_clear (&slow);
  outcome_clear (&other);
  outcome_clear (&same);
}
END_TEST

/* the position of an entry in a log line list, or -1 */
static gint
log_pos (char **log, const char *what)
{
  for (gint i = 0; log[i] != NULL; i++)
    if (g_strcmp0 (log[i], what) == 0)
      return i;
  return -1;
}

START_TEST (test_levels_rollback_middle)
{
  /* a | b c d | e by level; c fails: a, b, d are thawed (b and d before a)
   * and e is never touched */
  Outcome o;
  g_autofree char *log = NULL;
  g_auto (GStrv) lines = NULL;

  fs_a->level = 0;
  fs_b->level = fs_c->level = fs_d->level = 1;
  fs_e->level = 2;
  g_hash_table_insert (kernel.freeze_errno, g_strdup ("/c"), GINT_TO_POINTER (EIO));
  o = acquire (fs_list (fs_e, fs_d, fs_c, fs_b, fs_a, NULL), 60);
  ck_assert_int_eq (o.error_code, QW_ERROR_FREEZE_FAILED);
  ck_assert_msg (strstr (o.error_message, "'/c'") != NULL, "%s", o.error_message);
  log = kernel_log ();
  lines = g_strsplit (log, ", ", -1);
  ck_assert_uint_eq (g_strv_length (lines), 7);
  ck_assert_int_eq (log_pos (lines, "freeze /a"), 0);
  for (guint i = 1; i <= 3; i++)
    ck_assert_msg (g_str_has_prefix (lines[i], "freeze /") && strcmp (lines[i], "freeze /e") != 0,
                   "%s", log);
  ck_assert_int_ge (log_pos (lines, "thaw /b"), 4);
  ck_assert_int_ge (log_pos (lines, "thaw /d"), 4);
  ck_assert_int_eq (log_pos (lines, "thaw /a"), 6);
  ck_assert_int_eq (log_pos (lines, "freeze /e"), -1);
  ck_assert (!qa_freeze_table_is_frozen (table));
  ck_assert_uint_eq (qa_freeze_table_n_handles (table), 0);
  outcome_clear (&o);
}
END_TEST

START_TEST (test_parallel_within_level)
{
  /* /b's FIFREEZE hangs; /c, same level, is frozen meanwhile; /d, a level
   * up, waits for both */
  Outcome o = { 0 };
  GPtrArray *fs;
  gboolean c_during = FALSE;
  gboolean d_during = TRUE;

  fs_b->level = fs_c->level = 0;
  fs_d->level = 1;
  kernel.gate_path = g_strdup ("/b");
  fs = fs_list (fs_b, fs_c, fs_d, NULL);
  qa_freeze_table_acquire (table, fs, "par", 60, on_done, &o);
  g_mutex_lock (&kernel.lock);
  while (!kernel.gate_reached)
    g_cond_wait (&kernel.cond, &kernel.lock);
  g_mutex_unlock (&kernel.lock);
  for (gint i = 0; i < 500 && !c_during; i++)
    {
      c_during = kernel_frozen ("/c");
      g_usleep (2000);
    }
  d_during = kernel_frozen ("/d");
  g_mutex_lock (&kernel.lock);
  kernel.gate_open = TRUE;
  g_cond_broadcast (&kernel.cond);
  g_mutex_unlock (&kernel.lock);
  wait_done (&o);
  g_ptr_array_unref (fs);
  ck_assert_msg (c_during, "/c was not frozen while /b's FIFREEZE was in progress");
  ck_assert_msg (!d_during, "/d froze before its level's filesystems were frozen");
  ck_assert_int_eq (o.error_code, -1);
  ck_assert_uint_eq (o.count, 3);
  outcome_clear (&o);
}
END_TEST

START_TEST (test_backing_frozen_refused)
{
  /* /b's loop image lives on /a */
  Outcome o;

  g_ptr_array_add (fs_b->backing_keys = g_ptr_array_new_with_free_func (g_free),
                   g_strdup ("7:1"));
  o = acquire (fs_list (fs_a, NULL), 60);
  ck_assert_int_eq (o.error_code, -1);
  outcome_clear (&o);
  kernel_log_clear ();
  o = acquire (fs_list (fs_b, NULL), 60);
  ck_assert_int_eq (o.error_code, QW_ERROR_BUSY);
  ck_assert_msg (strstr (o.error_message, "backing file") != NULL, "%s", o.error_message);
  ck_assert (!kernel_frozen ("/b"));
  {
    g_autofree char *log = kernel_log ();
    ck_assert_str_eq (log, "");
  }
  outcome_clear (&o);
}
END_TEST

static Suite *
table_suite (void)
{
  Suite *s = suite_create ("freeze-table");
  TCase *tc = tcase_create ("core");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_counting_model);
  tcase_add_test (tc, test_rollback_third_of_five);
  tcase_add_test (tc, test_eopnotsupp_skipped);
  tcase_add_test (tc, test_ebusy);
  tcase_add_test (tc, test_legacy_beside_handles);
  tcase_add_test (tc, test_expiry);
  tcase_add_test (tc, test_legacy_expiry);
  tcase_add_test (tc, test_limits_and_force);
  tcase_add_test (tc, test_journal_round_trip);
  tcase_add_test (tc, test_other_boot_ignored);
  tcase_add_test (tc, test_transition_waits_others_go);
  tcase_add_test (tc, test_levels_rollback_middle);
  tcase_add_test (tc, test_parallel_within_level);
  tcase_add_test (tc, test_backing_frozen_refused);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (table_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
