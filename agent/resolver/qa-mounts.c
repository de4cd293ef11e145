/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-mounts.h"
#include "qw-error.h"

#include <stdlib.h>
#include <string.h>

void
qa_mount_free (QaMount *m)
{
  if (m == NULL)
    return;
  g_free (m->root);
  g_free (m->mountpoint);
  g_free (m->options);
  g_free (m->fstype);
  g_free (m->source);
  g_free (m->super_options);
  g_free (m);
}

char *
qa_mounts_unescape (const char *s)
{
  GString *out = g_string_sized_new (strlen (s));

  for (const char *p = s; *p != '\0'; p++)
    {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0'
          && p[3] <= '7')
        {
          g_string_append_c (out, (char) (((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0')));
          p += 3;
          continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static gboolean
parse_uint (const char *s, guint *out)
{
  char *end = NULL;
  guint64 v;

  if (s == NULL || *s == '\0')
    return FALSE;
  v = g_ascii_strtoull (s, &end, 10);
  if (*end != '\0' || v > G_MAXUINT)
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

static QaMount *
parse_line (const char *line, GError **error)
{
  g_auto (GStrv) f = g_strsplit (line, " ", -1);
  g_autoptr (QaMount) m = g_new0 (QaMount, 1);
  guint n = g_strv_length (f);
  guint sep = 0;
  char *colon;

  /* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue */
  for (guint i = 6; i < n; i++)
    if (g_strcmp0 (f[i], "-") == 0)
      {
        sep = i;
        break;
      }
  /* fstype and source must follow the separator; super options may be
   * missing on very old kernels */
  if (sep == 0 || sep + 2 >= n)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Malformed mountinfo line '%s'", line);
      return NULL;
    }
  colon = strchr (f[2], ':');
  if (colon == NULL)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Malformed device number in '%s'", line);
      return NULL;
    }
  *colon = '\0';
  if (!parse_uint (f[0], &m->id) || !parse_uint (f[1], &m->parent_id)
      || !parse_uint (f[2], &m->major) || !parse_uint (colon + 1, &m->minor))
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Malformed numbers in mountinfo line '%s'",
                   line);
      return NULL;
    }
  m->root = qa_mounts_unescape (f[3]);
  m->mountpoint = qa_mounts_unescape (f[4]);
  m->options = g_strdup (f[5]);
  m->fstype = g_strdup (f[sep + 1]);
  m->source = qa_mounts_unescape (f[sep + 2]);
  m->super_options = g_strdup (sep + 3 < n ? f[sep + 3] : "");
  return g_steal_pointer (&m);
}

GPtrArray *
qa_mounts_parse (const char *text, GError **error)
{
  g_autoptr (GPtrArray) mounts = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_mount_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      QaMount *m;

      if (lines[i][0] == '\0')
        continue;
      m = parse_line (lines[i], error);
      if (m == NULL)
        return NULL;
      g_ptr_array_add (mounts, m);
    }
  return g_steal_pointer (&mounts);
}
