/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the freeze commands: selection (mountpoints, disks, everything), the
 * calls into the freeze table, and the replies */
#include "config.h"

#include "qa-cmd-freeze.h"
#include "qw-error.h"

#include <string.h>

/* what a request selected, with the disks it named (for "spans") */
typedef struct
{
  QaFsView *view;
  GPtrArray *fs;       /* QaFs*, request order, no duplicates */
  GPtrArray *by_disk;  /* gboolean per fs: selected through a disk */
  GPtrArray *disks;    /* const QaDisk* named by the request (owned by view) */
  GPtrArray *skipped;  /* char*: on a named disk but not freezable */
} Selection;

static void
selection_free (Selection *s)
{
  if (s == NULL)
    return;
  g_clear_pointer (&s->fs, g_ptr_array_unref);
  g_clear_pointer (&s->by_disk, g_ptr_array_unref);
  g_clear_pointer (&s->disks, g_ptr_array_unref);
  g_clear_pointer (&s->skipped, g_ptr_array_unref);
  qa_fs_view_free (s->view);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Selection, selection_free)

/* DESIGN.md section 5: arrays are capped (--max-entries, default 256) */
static gboolean
check_entries (QaContext *ctx, JsonObject *args, GError **error)
{
  const char *names[] = { "mountpoints", "disks" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonNode *n = json_object_get_member (args, names[i]);
      if (n != NULL && JSON_NODE_HOLDS_ARRAY (n)
          && json_array_get_length (json_node_get_array (n)) > ctx->max_entries)
        {
          g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                       "Parameter '%s' has more than %u entries", names[i], ctx->max_entries);
          return FALSE;
        }
    }
  return TRUE;
}

static QaFsView *
scan (QaContext *ctx, GError **error)
{
  return qa_resolver_scan (ctx->sysroot, ctx->policy, error);
}

static gboolean
selection_has (Selection *s, QaFs *fs)
{
  for (guint i = 0; i < s->fs->len; i++)
    if (g_ptr_array_index (s->fs, i) == fs)
      return TRUE;
  return FALSE;
}

static void
selection_add (Selection *s, QaFs *fs, gboolean by_disk)
{
  for (guint i = 0; i < s->fs->len; i++)
    if (g_ptr_array_index (s->fs, i) == fs)
      {
        if (by_disk)
          g_ptr_array_index (s->by_disk, i) = GINT_TO_POINTER (TRUE);
        return;
      }
  g_ptr_array_add (s->fs, qa_fs_ref (fs));
  g_ptr_array_add (s->by_disk, GINT_TO_POINTER (by_disk));
}

/* trailing and doubled slashes are not part of a mountpoint's identity */
static char *
normalize_path (const char *path)
{
  GString *out = g_string_new (NULL);

  for (const char *p = path; *p != '\0'; p++)
    if (!(*p == '/' && out->len > 0 && out->str[out->len - 1] == '/'))
      g_string_append_c (out, *p);
  while (out->len > 1 && out->str[out->len - 1] == '/')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

static gboolean
fs_has_disk (const QaFs *fs, const QaDisk *disk)
{
  for (guint i = 0; i < fs->disks->len; i++)
    if (g_strcmp0 (((QaDisk *) g_ptr_array_index (fs->disks, i))->name, disk->name) == 0)
      return TRUE;
  return FALSE;
}

static Selection *
select_fs (QaContext *ctx, JsonObject *args, GError **error)
{
  g_autoptr (Selection) s = g_new0 (Selection, 1);
  JsonNode *mps = json_object_get_member (args, "mountpoints");
  JsonNode *disks = json_object_get_member (args, "disks");
  gboolean has_mps = mps != NULL && !JSON_NODE_HOLDS_NULL (mps);
  gboolean has_disks = disks != NULL && !JSON_NODE_HOLDS_NULL (disks);

  if (!check_entries (ctx, args, error))
    return NULL;
  s->view = scan (ctx, error);
  if (s->view == NULL)
    return NULL;
  s->fs = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_fs_unref);
  s->by_disk = g_ptr_array_new ();
  s->disks = g_ptr_array_new ();
  s->skipped = g_ptr_array_new_with_free_func (g_free);

  if (!has_mps && !has_disks)
    {
      g_autoptr (GPtrArray) all = qa_fs_view_freezable (s->view);
      for (guint i = 0; i < all->len; i++)
        selection_add (s, g_ptr_array_index (all, i), FALSE);
      if (s->fs->len == 0)
        {
          g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC,
                               "Nothing to freeze: no mounted filesystem is freezable here "
                               "(see --only-under and --exclude)");
          return NULL;
        }
      return g_steal_pointer (&s);
    }

  if (has_mps)
    {
      JsonArray *arr = json_node_get_array (mps);
      for (guint i = 0; i < json_array_get_length (arr); i++)
        {
          g_autofree char *path = normalize_path (json_array_get_string_element (arr, i));
          QaFs *fs = qa_fs_view_lookup (s->view, path, error);
          if (fs == NULL)
            return NULL;
          selection_add (s, fs, FALSE);
        }
    }
  if (has_disks)
    {
      JsonArray *arr = json_node_get_array (disks);
      for (guint i = 0; i < json_array_get_length (arr); i++)
        {
          g_autoptr (QaDiskSpec) spec
              = qa_disk_spec_from_json (json_array_get_object_element (arr, i));
          const QaDisk *disk = qa_fs_view_match_disk (s->view, spec, error);
          if (disk == NULL)
            return NULL;
          g_ptr_array_add (s->disks, (gpointer) disk);
          /* every filesystem that lies even partly on the disk: freezing
           * only some of them would snapshot a half-written one */
          for (guint j = 0; j < s->view->fs->len; j++)
            {
              QaFs *fs = g_ptr_array_index (s->view->fs, j);
              if (!fs_has_disk (fs, disk))
                continue;
              if (fs->why_not != NULL)
                {
                  if (!selection_has (s, fs))
                    g_ptr_array_add (s->skipped, g_strdup (fs->why_not));
                  continue;
                }
              selection_add (s, fs, TRUE);
            }
        }
    }
  if (s->fs->len == 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Nothing to freeze: %s",
                   s->skipped->len > 0 ? (const char *) g_ptr_array_index (s->skipped, 0)
                                       : "the selection is empty");
      return NULL;
    }
  return g_steal_pointer (&s);
}

/* disks of fs that the request did not name; only for filesystems
 * selected through a disk (a mountpoint names the whole filesystem) */
static GPtrArray *
spans_of (Selection *s, const QaFs *fs)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gboolean by_disk = FALSE;

  if (s == NULL)
    return out;
  for (guint i = 0; i < s->fs->len; i++)
    if (g_ptr_array_index (s->fs, i) == fs)
      by_disk = GPOINTER_TO_INT (g_ptr_array_index (s->by_disk, i));
  if (!by_disk)
    return out;
  for (guint i = 0; i < fs->disks->len; i++)
    {
      QaDisk *d = g_ptr_array_index (fs->disks, i);
      gboolean named = FALSE;
      for (guint j = 0; j < s->disks->len; j++)
        if (g_strcmp0 (((QaDisk *) g_ptr_array_index (s->disks, j))->name, d->name) == 0)
          named = TRUE;
      if (!named)
        g_ptr_array_add (out, g_strdup (d->dev));
    }
  return out;
}

static gboolean
check_span (Selection *s, JsonObject *args, GError **error)
{
  const char *span = json_object_get_string_member_with_default (args, "span", "include");

  if (g_strcmp0 (span, "include") == 0)
    return TRUE;
  if (g_strcmp0 (span, "refuse") != 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "Parameter 'span' must be \"include\" or \"refuse\", not \"%s\"", span);
      return FALSE;
    }
  for (guint i = 0; i < s->fs->len; i++)
    {
      QaFs *fs = g_ptr_array_index (s->fs, i);
      g_autoptr (GPtrArray) spans = spans_of (s, fs);
      if (spans->len > 0)
        {
          g_autofree char *list = NULL;
          g_ptr_array_add (spans, NULL);
          list = g_strjoinv (", ", (char **) spans->pdata);
          g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                       "'%s' also lies on %s, which the request did not name "
                       "(span: refuse)",
                       fs->mountpoint, list);
          return FALSE;
        }
    }
  return TRUE;
}

static void
add_fsref (JsonBuilder *b, Selection *s, const QaFs *fs, guint refs)
{
  g_autoptr (GPtrArray) spans = spans_of (s, fs);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mountpoint");
  json_builder_add_string_value (b, fs->mountpoint);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, fs->name);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, fs->fstype);
  json_builder_set_member_name (b, "refs");
  json_builder_add_int_value (b, refs);
  json_builder_set_member_name (b, "disks");
  json_builder_begin_array (b);
  for (guint i = 0; i < fs->disks->len; i++)
    json_builder_add_value (b, qa_disk_to_json (g_ptr_array_index (fs->disks, i)));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "spans");
  json_builder_begin_array (b);
  for (guint i = 0; i < spans->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (spans, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_fsrefs (JsonBuilder *b, Selection *s, const QaTableResult *r)
{
  json_builder_set_member_name (b, "filesystems");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->fs->len; i++)
    add_fsref (b, s, g_ptr_array_index (r->fs, i), g_array_index (r->refs, guint, i));
  json_builder_end_array (b);
}

static void
add_skipped (JsonBuilder *b, GPtrArray *a, GPtrArray *c)
{
  guint n = (a != NULL ? a->len : 0) + (c != NULL ? c->len : 0);

  if (n == 0)
    return;
  json_builder_set_member_name (b, "skipped");
  json_builder_begin_array (b);
  for (guint i = 0; a != NULL && i < a->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (a, i));
  for (guint i = 0; c != NULL && i < c->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (c, i));
  json_builder_end_array (b);
}

/* ---- qemu-ga's commands ----------------------------------------------- */

void
qa_cmd_fsfreeze_status (QaCall *call, JsonObject *args)
{
  QaContext *ctx = qa_call_context (call);
  JsonNode *n = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (n, qa_freeze_table_is_frozen (ctx->table) ? "frozen" : "thawed");
  qa_call_return (call, n);
}

static void
legacy_done (const QaTableResult *r, const GError *error, gpointer user_data)
{
  QaCall *call = user_data;
  JsonNode *n;

  if (error != NULL)
    {
      qa_call_error (call, error);
      return;
    }
  n = json_node_new (JSON_NODE_VALUE);
  json_node_set_int (n, r->held);
  qa_call_return (call, n);
}

static void
legacy_freeze (QaCall *call, JsonArray *list)
{
  QaContext *ctx = qa_call_context (call);
  g_autoptr (GError) error = NULL;
  g_autoptr (QaFsView) view = scan (ctx, &error);
  g_autoptr (GPtrArray) fs = NULL;

  if (view == NULL)
    {
      qa_call_error (call, error);
      return;
    }
  if (list == NULL)
    fs = qa_fs_view_freezable (view);
  else
    {
      /* as qemu-ga: exact string match against mountinfo, anything that
       * is not a freezable mountpoint silently ignored */
      fs = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_fs_unref);
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          QaFs *f = qa_fs_view_lookup (view, json_array_get_string_element (list, i), NULL);
          if (f != NULL && !g_ptr_array_find (fs, f, NULL))
            g_ptr_array_add (fs, qa_fs_ref (f));
        }
    }
  if (fs->len == 0)
    {
      JsonNode *n = json_node_new (JSON_NODE_VALUE);
      json_node_set_int (n, 0);
      qa_call_return (call, n);
      return;
    }
  qa_freeze_table_legacy_freeze (ctx->table, fs, legacy_done, call);
}

void
qa_cmd_fsfreeze_freeze (QaCall *call, JsonObject *args)
{
  legacy_freeze (call, NULL);
}

void
qa_cmd_fsfreeze_freeze_list (QaCall *call, JsonObject *args)
{
  JsonNode *mps = json_object_get_member (args, "mountpoints");
  g_autoptr (GError) error = NULL;

  if (!check_entries (qa_call_context (call), args, &error))
    {
      qa_call_error (call, error);
      return;
    }
  /* no list at all freezes everything, as qemu-ga does */
  legacy_freeze (call, mps != NULL && !JSON_NODE_HOLDS_NULL (mps) ? json_node_get_array (mps)
                                                                   : NULL);
}

void
qa_cmd_fsfreeze_thaw (QaCall *call, JsonObject *args)
{
  qa_freeze_table_legacy_thaw (qa_call_context (call)->table, legacy_done, call);
}

/* ---- handles ---------------------------------------------------------- */

typedef struct
{
  QaCall *call;
  Selection *selection;
} Pending;

static void
acquire_done (const QaTableResult *r, const GError *error, gpointer user_data)
{
  Pending *p = user_data;
  g_autoptr (JsonBuilder) b = NULL;

  if (error != NULL)
    {
      qa_call_error (p->call, error);
      selection_free (p->selection);
      g_free (p);
      return;
    }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "handle");
  json_builder_add_int_value (b, (gint64) r->handle);
  json_builder_set_member_name (b, "frozen");
  json_builder_add_int_value (b, r->count);
  add_fsrefs (b, p->selection, r);
  json_builder_set_member_name (b, "expires-in");
  json_builder_add_int_value (b, r->expires_in);
  /* how long the freeze took, by phase (0 when nothing new was frozen) */
  json_builder_set_member_name (b, "sync-ms");
  json_builder_add_double_value (b, r->sync_ms);
  json_builder_set_member_name (b, "freeze-ms");
  json_builder_add_double_value (b, r->freeze_ms);
  add_skipped (b, r->skipped, p->selection->skipped);
  json_builder_end_object (b);
  qa_call_return (p->call, json_builder_get_root (b));
  selection_free (p->selection);
  g_free (p);
}

static gboolean
check_owner (const char *owner, GError **error)
{
  if (owner == NULL)
    return TRUE;
  if (!g_utf8_validate (owner, -1, NULL))
    goto bad;
  for (const char *p = owner; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isprint (g_utf8_get_char (p)))
      goto bad;
  return TRUE;
bad:
  g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC,
                       "Parameter 'owner' must be printable UTF-8");
  return FALSE;
}

void
qa_cmd_fsfreeze_acquire (QaCall *call, JsonObject *args)
{
  QaContext *ctx = qa_call_context (call);
  g_autoptr (GError) error = NULL;
  const char *owner = json_object_get_string_member_with_default (args, "owner", NULL);
  gint64 timeout = json_object_get_int_member_with_default (args, "timeout",
                                                            ctx->default_timeout);
  Selection *s;
  Pending *p;

  if (!check_owner (owner, &error))
    {
      qa_call_error (call, error);
      return;
    }
  s = select_fs (ctx, args, &error);
  if (s == NULL || !check_span (s, args, &error))
    {
      selection_free (s);
      qa_call_error (call, error);
      return;
    }
  p = g_new0 (Pending, 1);
  p->call = call;
  p->selection = s;
  qa_freeze_table_acquire (ctx->table, s->fs, owner, timeout, acquire_done, p);
}

static void
release_done (const QaTableResult *r, const GError *error, gpointer user_data)
{
  QaCall *call = user_data;
  g_autoptr (JsonBuilder) b = NULL;

  if (error != NULL)
    {
      qa_call_error (call, error);
      return;
    }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "thawed");
  json_builder_add_int_value (b, r->count);
  add_fsrefs (b, NULL, r);
  json_builder_end_object (b);
  qa_call_return (call, json_builder_get_root (b));
}

void
qa_cmd_fsfreeze_release (QaCall *call, JsonObject *args)
{
  QaContext *ctx = qa_call_context (call);
  gint64 handle = json_object_get_int_member (args, "handle");
  gboolean force = json_object_get_boolean_member_with_default (args, "force", FALSE);

  qa_freeze_table_release (ctx->table, (guint64) handle, force, release_done, call);
}

void
qa_cmd_fsfreeze_renew (QaCall *call, JsonObject *args)
{
  QaContext *ctx = qa_call_context (call);
  g_autoptr (GError) error = NULL;
  gint64 handle = json_object_get_int_member (args, "handle");
  gint64 timeout = json_object_get_int_member_with_default (args, "timeout",
                                                            ctx->default_timeout);
  gint64 left = 0;
  g_autoptr (JsonBuilder) b = json_builder_new ();

  if (!qa_freeze_table_renew (ctx->table, (guint64) handle, timeout, &left, &error))
    {
      qa_call_error (call, error);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "expires-in");
  json_builder_add_int_value (b, left);
  json_builder_end_object (b);
  qa_call_return (call, json_builder_get_root (b));
}

void
qa_cmd_fsfreeze_handles (QaCall *call, JsonObject *args)
{
  qa_call_return (call, qa_freeze_table_list (qa_call_context (call)->table));
}

static gpointer
copy_fs_ref (gconstpointer src, gpointer data)
{
  return qa_fs_ref ((QaFs *) src);
}

void
qa_cmd_fsfreeze_resolve (QaCall *call, JsonObject *args)
{
  QaContext *ctx = qa_call_context (call);
  g_autoptr (GError) error = NULL;
  g_autoptr (Selection) s = select_fs (ctx, args, &error);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) sorted = NULL;

  if (s == NULL || !check_span (s, args, &error))
    {
      qa_call_error (call, error);
      return;
    }
  sorted = g_ptr_array_copy (s->fs, copy_fs_ref, NULL);
  qa_fs_sort_freeze_order (sorted);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "filesystems");
  json_builder_begin_array (b);
  for (guint i = 0; i < sorted->len; i++)
    {
      QaFs *fs = g_ptr_array_index (sorted, i);
      g_autofree char *key = qa_fs_key (fs);
      add_fsref (b, s, fs, qa_freeze_table_refs (ctx->table, key));
    }
  json_builder_end_array (b);
  add_skipped (b, NULL, s->skipped);
  json_builder_end_object (b);
  qa_call_return (call, json_builder_get_root (b));
}
