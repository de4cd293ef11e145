/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-journal.h"
#include "qw-error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define JOURNAL_NAME "freeze-table.json"

struct _QaJournal
{
  char *dir;
  char *path;
  char *tmp_path;
  guint64 writes;
};

QaJournal *
qa_journal_new (const char *state_dir)
{
  QaJournal *j = g_new0 (QaJournal, 1);
  j->dir = g_strdup (state_dir);
  j->path = g_build_filename (state_dir, JOURNAL_NAME, NULL);
  j->tmp_path = g_build_filename (state_dir, "." JOURNAL_NAME ".tmp", NULL);
  return j;
}

void
qa_journal_free (QaJournal *j)
{
  if (j == NULL)
    return;
  g_free (j->dir);
  g_free (j->path);
  g_free (j->tmp_path);
  g_free (j);
}

const char *
qa_journal_path (const QaJournal *j)
{
  return j->path;
}

guint64
qa_journal_writes (const QaJournal *j)
{
  return j->writes;
}

static gboolean
write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gboolean
qa_journal_save (QaJournal *j, JsonNode *table, GError **error)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;
  gsize len = 0;
  int fd;

  json_generator_set_root (gen, table);
  text = json_generator_to_data (gen, &len);

  fd = open (j->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot write the journal '%s': %s",
                   j->tmp_path, g_strerror (e));
      return FALSE;
    }
  /* no fsync: the journal guards against the agent dying, and a dead
   * process loses nothing that is in the page cache.  What would need
   * fsync (power loss, a kernel crash) ends in a reboot, which thaws every
   * freeze anyway; the boot id makes the next start ignore the old table.
   * write + rename is what keeps a crash from tearing the file. */
  if (!write_all (fd, text, len) || !write_all (fd, "\n", 1))
    {
      int e = errno;
      close (fd);
      unlink (j->tmp_path);
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot write the journal '%s': %s",
                   j->tmp_path, g_strerror (e));
      return FALSE;
    }
  close (fd);
  if (rename (j->tmp_path, j->path) != 0)
    {
      int e = errno;
      unlink (j->tmp_path);
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot replace the journal '%s': %s",
                   j->path, g_strerror (e));
      return FALSE;
    }
  j->writes++;
  return TRUE;
}

JsonNode *
qa_journal_load (QaJournal *j, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (!json_parser_load_from_mapped_file (parser, j->path, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot read the journal '%s': %s",
                   j->path, local->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "The journal '%s' is empty", j->path);
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}
