/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-snapshot-journal: atomic, durable journal files of snapshot
 * runs.  The fsyncs matter: the journal exists for the case where the
 * host (not only the tool) goes down between two steps. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "quiesce-snapshot-journal.h"

char *
qh_journal_path (const char *state_dir, const char *run_id)
{
  g_autofree char *name = g_strconcat (run_id, ".json", NULL);

  return g_build_filename (state_dir, name, NULL);
}

gboolean
qh_journal_ensure_dir (const char *state_dir, GError **error)
{
  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
                   "Cannot make the state directory '%s': %s", state_dir, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
fail_errno (GError **error, const char *what, const char *path, int errsv)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
               "Cannot %s the snapshot journal '%s': %s", what, path, g_strerror (errsv));
  return FALSE;
}

gboolean
qh_journal_write (const char *state_dir, const char *run_id, JsonObject *object, GError **error)
{
  g_autofree char *path = qh_journal_path (state_dir, run_id);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  gsize len = 0;
  int fd;
  int dfd;

  json_node_set_object (root, object);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail_errno (error, "create", tmp, errno);
  if (!write_all (fd, text, len) || !write_all (fd, "\n", 1) || fsync (fd) != 0)
    {
      int errsv = errno;

      close (fd);
      g_unlink (tmp);
      return fail_errno (error, "write", tmp, errsv);
    }
  if (close (fd) != 0)
    {
      int errsv = errno;

      g_unlink (tmp);
      return fail_errno (error, "write", tmp, errsv);
    }
  if (rename (tmp, path) != 0)
    {
      int errsv = errno;

      g_unlink (tmp);
      return fail_errno (error, "rename", path, errsv);
    }
  /* the rename itself is durable only once the directory is synced */
  dfd = open (state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return fail_errno (error, "open the directory of", path, errno);
  if (fsync (dfd) != 0)
    {
      int errsv = errno;

      close (dfd);
      return fail_errno (error, "sync the directory of", path, errsv);
    }
  close (dfd);
  return TRUE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
qh_journal_load_all (const char *state_dir, GError **error)
{
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) dir = g_dir_open (state_dir, 0, &local);
  const char *name;

  if (dir == NULL)
    {
      /* no state directory: no run ever journaled here */
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&result);
      g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                  "Cannot read the state directory: ");
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "snap-") && g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (state_dir, g_ptr_array_index (names, i), NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) perr = NULL;
      JsonNode *root;

      if (!json_parser_load_from_file (parser, path, &perr))
        {
          g_warning ("Skipping the snapshot journal '%s': %s", path, perr->message);
          continue;
        }
      root = json_parser_get_root (parser);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        {
          g_warning ("Skipping the snapshot journal '%s': not a JSON object", path);
          continue;
        }
      g_ptr_array_add (result, json_object_ref (json_node_get_object (root)));
    }
  return g_steal_pointer (&result);
}

guint64
qh_process_start_time (gint64 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/stat", pid);
  g_autofree char *text = NULL;
  const char *p;
  guint field = 2;

  if (pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  /* the command name (field 2) may hold spaces and parentheses: fields
   * are counted from its last ')' */
  p = strrchr (text, ')');
  if (p == NULL)
    return 0;
  p++;
  while (*p != '\0' && field < 22)
    {
      while (*p == ' ')
        p++;
      field++;
      if (field == 22)
        return g_ascii_strtoull (p, NULL, 10);
      while (*p != '\0' && *p != ' ')
        p++;
    }
  return 0;
}
