/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-json-reader: see the header.  Callgrind put json-glib's JsonParser
 * at 14,000 of the 35,000 instructions a guest-ping cost the agent. */

#include "qw-json-reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
qw_json_reader_skip_ws (const char **pos, const char *end)
{
  const char *p = *pos;

  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  *pos = p;
}

static int
hex4 (const char *p, const char *end)
{
  int v = 0;

  if (end - p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

char *
qw_json_reader_string (const char **pos, const char *end)
{
  const char *p = *pos;
  const char *run;
  GString *out;

  if (p >= end || *p != '"')
    return NULL;
  p++;
  /* the usual case: no escapes */
  run = p;
  while (p < end && *p != '"' && *p != '\\' && (guchar) *p >= 0x20)
    p++;
  if (p < end && *p == '"')
    {
      if (!g_utf8_validate (run, p - run, NULL))
        return NULL;
      *pos = p + 1;
      return g_strndup (run, p - run);
    }
  out = g_string_new_len (run, p - run);
  while (p < end && *p != '"')
    {
      guchar c = (guchar) *p;

      if (c < 0x20)
        goto fail;
      if (c != '\\')
        {
          g_string_append_c (out, (char) c);
          p++;
          continue;
        }
      if (++p >= end)
        goto fail;
      switch (*p++)
        {
        case '"': g_string_append_c (out, '"'); break;
        case '\\': g_string_append_c (out, '\\'); break;
        case '/': g_string_append_c (out, '/'); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            int u = hex4 (p, end);
            gunichar ch;

            if (u <= 0) /* invalid, or \u0000 (json-glib stops the string there) */
              goto fail;
            p += 4;
            ch = (gunichar) u;
            if (u >= 0xD800 && u <= 0xDBFF)
              {
                int lo;

                if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                  goto fail;
                lo = hex4 (p + 2, end);
                if (lo < 0xDC00 || lo > 0xDFFF)
                  goto fail;
                p += 6;
                ch = 0x10000 + (((gunichar) u - 0xD800) << 10) + ((gunichar) lo - 0xDC00);
              }
            else if (u >= 0xDC00 && u <= 0xDFFF)
              goto fail;
            g_string_append_unichar (out, ch);
            break;
          }
        default:
          goto fail;
        }
    }
  if (p >= end || !g_utf8_validate (out->str, out->len, NULL))
    goto fail;
  *pos = p + 1;
  return g_string_free (out, FALSE);

fail:
  g_string_free (out, TRUE);
  return NULL;
}

static JsonNode *
read_number (const char **pos, const char *end)
{
  const char *p = *pos, *start = p;
  gboolean is_double = FALSE;
  char buf[64];
  JsonNode *node;

  if (p < end && *p == '-')
    p++;
  if (p >= end || !g_ascii_isdigit (*p))
    return NULL;
  if (*p == '0')
    p++;
  else
    while (p < end && g_ascii_isdigit (*p))
      p++;
  if (p < end && *p == '.')
    {
      is_double = TRUE;
      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      is_double = TRUE;
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      if (p >= end || !g_ascii_isdigit (*p))
        return NULL;
      while (p < end && g_ascii_isdigit (*p))
        p++;
    }
  if ((gsize) (p - start) >= sizeof (buf))
    return NULL; /* json-glib's reading of such a number is not ours to guess */
  memcpy (buf, start, p - start);
  buf[p - start] = '\0';
  if (is_double)
    node = json_node_init_double (json_node_alloc (), g_ascii_strtod (buf, NULL));
  else
    {
      gint64 v;

      errno = 0;
      v = g_ascii_strtoll (buf, NULL, 10);
      if (errno == ERANGE)
        return NULL;
      node = json_node_init_int (json_node_alloc (), v);
    }
  *pos = p;
  return node;
}

static gboolean
literal (const char **pos, const char *end, const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (end - *pos) < n || memcmp (*pos, word, n) != 0)
    return FALSE;
  *pos += n;
  return TRUE;
}

gboolean
qw_json_reader_object (const char **pos, const char *end, guint depth, QwJsonMemberFunc func,
                       gpointer user_data)
{
  const char *p = *pos;

  if (p >= end || *p != '{' || depth > QW_JSON_READER_MAX_DEPTH)
    return FALSE;
  p++;
  qw_json_reader_skip_ws (&p, end);
  if (p < end && *p == '}')
    {
      *pos = p + 1;
      return TRUE;
    }
  for (;;)
    {
      char *name;
      JsonNode *value;

      qw_json_reader_skip_ws (&p, end);
      name = qw_json_reader_string (&p, end);
      if (name == NULL)
        return FALSE;
      qw_json_reader_skip_ws (&p, end);
      if (p >= end || *p != ':')
        {
          g_free (name);
          return FALSE;
        }
      p++;
      qw_json_reader_skip_ws (&p, end);
      value = qw_json_reader_value (&p, end, depth + 1);
      if (value == NULL)
        {
          g_free (name);
          return FALSE;
        }
      if (!func (name, value, user_data))
        return FALSE;
      qw_json_reader_skip_ws (&p, end);
      if (p < end && *p == ',')
        {
          p++;
          continue;
        }
      if (p < end && *p == '}')
        break;
      return FALSE;
    }
  *pos = p + 1;
  return TRUE;
}

static gboolean
add_member (char *name, JsonNode *value, gpointer user_data)
{
  JsonObject *obj = user_data;
  gboolean fresh = !json_object_has_member (obj, name);

  if (fresh)
    json_object_set_member (obj, name, value);
  else
    json_node_unref (value);
  g_free (name);
  return fresh;
}

static JsonNode *
read_object (const char **pos, const char *end, guint depth)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node = NULL;

  if (qw_json_reader_object (pos, end, depth, add_member, obj))
    {
      node = json_node_alloc ();
      json_node_init_object (node, obj);
    }
  json_object_unref (obj);
  return node;
}

static JsonNode *
read_array (const char **pos, const char *end, guint depth)
{
  const char *p = *pos + 1;
  JsonArray *array = json_array_new ();
  JsonNode *node;

  qw_json_reader_skip_ws (&p, end);
  if (p < end && *p == ']')
    p++;
  else
    for (;;)
      {
        JsonNode *value;

        qw_json_reader_skip_ws (&p, end);
        value = qw_json_reader_value (&p, end, depth + 1);
        if (value == NULL)
          goto fail;
        json_array_add_element (array, value);
        qw_json_reader_skip_ws (&p, end);
        if (p < end && *p == ',')
          {
            p++;
            continue;
          }
        if (p < end && *p == ']')
          {
            p++;
            break;
          }
        goto fail;
      }
  node = json_node_alloc ();
  json_node_init_array (node, array);
  json_array_unref (array);
  *pos = p;
  return node;

fail:
  json_array_unref (array);
  return NULL;
}

JsonNode *
qw_json_reader_value (const char **pos, const char *end, guint depth)
{
  const char *p = *pos;
  JsonNode *node = NULL;

  if (p >= end || depth > QW_JSON_READER_MAX_DEPTH)
    return NULL;
  switch (*p)
    {
    case '{':
      return read_object (pos, end, depth);
    case '[':
      return read_array (pos, end, depth);
    case '"':
      {
        char *s = qw_json_reader_string (&p, end);
        if (s == NULL)
          return NULL;
        node = json_node_init_string (json_node_alloc (), s);
        g_free (s);
        break;
      }
    case 't':
      if (!literal (&p, end, "true"))
        return NULL;
      node = json_node_init_boolean (json_node_alloc (), TRUE);
      break;
    case 'f':
      if (!literal (&p, end, "false"))
        return NULL;
      node = json_node_init_boolean (json_node_alloc (), FALSE);
      break;
    case 'n':
      if (!literal (&p, end, "null"))
        return NULL;
      node = json_node_init_null (json_node_alloc ());
      break;
    default:
      return read_number (pos, end);
    }
  *pos = p;
  return node;
}

JsonNode *
qw_json_reader_parse (const char *text, gsize len)
{
  const char *p = text, *end = text + len;
  JsonNode *node;

  qw_json_reader_skip_ws (&p, end);
  node = qw_json_reader_value (&p, end, 0);
  if (node == NULL)
    return NULL;
  qw_json_reader_skip_ws (&p, end);
  if (p != end)
    {
      json_node_unref (node);
      return NULL;
    }
  return node;
}
