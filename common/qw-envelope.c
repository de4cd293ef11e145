/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-envelope: the QMP/QGA request and reply envelopes, with qemu-ga's
 * texts for malformed requests */

#include "qw-envelope.h"

#include <math.h>
#include <string.h>

#include "qw-error.h"
#include "qw-json-reader.h"

void
qw_request_free (QwRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->execute);
  if (request->arguments != NULL)
    json_object_unref (request->arguments);
  if (request->id != NULL)
    json_node_unref (request->id);
  g_free (request);
}

/* the checks of qemu's qmp_dispatch_check_obj(), in member order */
static gboolean
qw_request_check_members (const char *const *names, JsonNode *const *nodes, guint n,
                          GError **error)
{
  gboolean has_execute = FALSE;

  for (guint i = 0; i < n; i++)
    {
      const char *name = names[i];
      JsonNode *node = nodes[i];

      if (strcmp (name, "execute") == 0)
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            {
              g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC,
                                   "QMP input member 'execute' must be a string");
              return FALSE;
            }
          has_execute = TRUE;
        }
      else if (strcmp (name, "arguments") == 0)
        {
          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC,
                                   "QMP input member 'arguments' must be an object");
              return FALSE;
            }
        }
      else if (strcmp (name, "id") != 0)
        {
          g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "QMP input member '%s' is unexpected",
                       name);
          return FALSE;
        }
    }
  if (!has_execute)
    {
      g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC, "QMP input lacks member 'execute'");
      return FALSE;
    }
  return TRUE;
}

/* the request from its members (names[i] -> nodes[i], in order, no
 * duplicates); the nodes stay the caller's, and the id is copied when
 * they belong to a tree the caller frees (its parent would dangle) */
static QwRequest *
qw_request_from_members (const char *const *names, JsonNode *const *nodes, guint n,
                         gboolean copy_id, JsonNode **id_out, GError **error)
{
  QwRequest *request;
  JsonNode *execute = NULL, *arguments = NULL, *id = NULL;

  for (guint i = 0; i < n; i++)
    {
      if (strcmp (names[i], "execute") == 0)
        execute = nodes[i];
      else if (strcmp (names[i], "arguments") == 0)
        arguments = nodes[i];
      else if (strcmp (names[i], "id") == 0)
        id = nodes[i];
    }
  /* qemu-ga reads "id" before it checks the rest, so it echoes it on
   * envelope errors too */
  if (id != NULL && id_out != NULL)
    *id_out = copy_id ? json_node_copy (id) : json_node_ref (id);
  if (!qw_request_check_members (names, nodes, n, error))
    return NULL;

  request = g_new0 (QwRequest, 1);
  request->execute = g_strdup (json_node_get_string (execute));
  if (arguments != NULL)
    request->arguments = json_object_ref (json_node_get_object (arguments));
  else
    request->arguments = json_object_new ();
  if (id != NULL)
    request->id = copy_id ? json_node_copy (id) : json_node_ref (id);
  return request;
}

/* a request has three members at most; with no duplicates, the fourth
 * is already the unexpected one, so eight is plenty */
typedef struct
{
  char *names[8];
  JsonNode *nodes[8];
  guint n;
} Members;

static gboolean
take_member (char *name, JsonNode *value, gpointer user_data)
{
  Members *m = user_data;
  gboolean ok = m->n < G_N_ELEMENTS (m->names);

  for (guint i = 0; ok && i < m->n; i++)
    ok = strcmp (m->names[i], name) != 0;
  if (!ok)
    {
      g_free (name);
      json_node_unref (value);
      return FALSE;
    }
  m->names[m->n] = name;
  m->nodes[m->n++] = value;
  return TRUE;
}

/* The usual request, read without a JsonParser.  FALSE when the text is
 * anything but an object of distinct members in plain JSON: the caller then
 * asks json-glib, whose messages the replies quote. */
static gboolean
qw_request_parse_fast (const char *text, gsize len, JsonNode **id_out, QwRequest **out,
                       GError **error)
{
  const char *p = text, *end = text + len;
  Members m = { { NULL }, { NULL }, 0 };
  gboolean ok;

  qw_json_reader_skip_ws (&p, end);
  ok = qw_json_reader_object (&p, end, 0, take_member, &m);
  if (ok)
    {
      qw_json_reader_skip_ws (&p, end);
      ok = p == end;
    }
  if (ok)
    *out = qw_request_from_members ((const char *const *) m.names, m.nodes, m.n, FALSE, id_out,
                                    error);
  for (guint i = 0; i < m.n; i++)
    {
      g_free (m.names[i]);
      json_node_unref (m.nodes[i]);
    }
  return ok;
}

/**
 * qw_request_parse:
 * @text: one framed message
 * @len: its length in bytes
 * @id_out: (out) (optional) (nullable) (transfer full): the request's "id"
 *   whenever @text is an object carrying one, on success and on failure
 * @error: a #GError, or %NULL
 *
 * Returns: (transfer full) (nullable): the request, or %NULL with @error
 *   set in the QW_ERROR_GENERIC class
 */
/* one parser per thread, reused: creating a JsonParser (a GObject) for
 * every message was the largest single cost of a guest-ping (callgrind) */
static GPrivate parser_key = G_PRIVATE_INIT (g_object_unref);

static JsonParser *
thread_parser (void)
{
  JsonParser *parser = g_private_get (&parser_key);

  if (parser == NULL)
    {
      parser = json_parser_new ();
      g_private_set (&parser_key, parser);
    }
  return parser;
}

QwRequest *
qw_request_parse (const char *text, gsize len, JsonNode **id_out, GError **error)
{
  JsonParser *parser;
  g_autoptr(GError) error_local = NULL;
  QwRequest *request = NULL;
  JsonNode *root;
  JsonObject *obj;
  g_autoptr(GList) members = NULL;
  g_autofree const char **names = NULL;
  g_autofree JsonNode **nodes = NULL;
  guint n = 0;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (id_out != NULL)
    *id_out = NULL;
  if (len > G_MAXSSIZE)
    {
      g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC, "JSON parse error, message too long");
      return NULL;
    }
  if (text != NULL && qw_request_parse_fast (text, len, id_out, &request, error))
    return request;

  parser = thread_parser ();
  if (!json_parser_load_from_data (parser, text != NULL ? text : "", (gssize) len, &error_local))
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "JSON parse error, %s",
                   error_local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC, "QMP input must be a JSON object");
      return NULL;
    }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);
  names = g_new0 (const char *, g_list_length (members) + 1);
  nodes = g_new0 (JsonNode *, g_list_length (members) + 1);
  for (GList *l = members; l != NULL; l = l->next, n++)
    {
      names[n] = l->data;
      nodes[n] = json_object_get_member (obj, l->data);
    }
  return qw_request_from_members (names, nodes, n, TRUE, id_out, error);
}

/* strings as qemu's JSON writer does it: invalid UTF-8 (a mount path read
 * from the kernel can hold any bytes) becomes U+FFFD, one per bad byte */
static void
qw_json_append_string (GString *out, const char *str)
{
  const char *p = str != NULL ? str : "";

  g_string_append_c (out, '"');
  while (*p != '\0')
    {
      guchar c = (guchar) *p;
      const char *run = p;

      /* plain ASCII goes in runs */
      while (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
        c = (guchar) *++p;
      if (p > run)
        {
          g_string_append_len (out, run, p - run);
          continue;
        }
      if (c >= 0x80)
        {
          gunichar ch = g_utf8_get_char_validated (p, -1);

          if (ch == (gunichar) -1 || ch == (gunichar) -2)
            {
              g_string_append (out, "\\ufffd");
              p++;
            }
          else
            {
              const char *next = g_utf8_next_char (p);

              g_string_append_len (out, p, next - p);
              p = next;
            }
          continue;
        }
      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\b':
          g_string_append (out, "\\b");
          break;
        case '\f':
          g_string_append (out, "\\f");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
          break;
        }
      p++;
    }
  g_string_append_c (out, '"');
}

/* the shortest text that reads back as the same double; json-glib 1.6
 * writes 1e17 as "1e+17.0", which is not JSON */
static void
qw_json_append_double (GString *out, gdouble value)
{
  static const char *const formats[] = { "%.15g", "%.16g", "%.17g" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* JSON has no inf or nan */
  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof (buf), formats[i], value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  g_string_append (out, buf);
  /* keep it a double for the reader */
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
qw_json_append (GString *out, JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *obj = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (obj);

        g_string_append_c (out, '{');
        for (GList *l = members; l != NULL; l = l->next)
          {
            if (l != members)
              g_string_append_c (out, ',');
            qw_json_append_string (out, l->data);
            g_string_append_c (out, ':');
            qw_json_append (out, json_object_get_member (obj, l->data));
          }
        g_string_append_c (out, '}');
        break;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            qw_json_append (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
        break;
      }
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_STRING:
          qw_json_append_string (out, json_node_get_string (node));
          break;
        case G_TYPE_DOUBLE:
          qw_json_append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
          break;
        default:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
          break;
        }
      break;
    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

/**
 * qw_json_compact:
 * @node: a JSON value
 *
 * Compact JSON, as in the replies: valid UTF-8, doubles that read back
 * unchanged, members in insertion order.
 *
 * Returns: (transfer full): the text, without a newline
 */
char *
qw_json_compact (JsonNode *node)
{
  GString *out;

  g_return_val_if_fail (node != NULL, NULL);
  out = g_string_new (NULL);
  qw_json_append (out, node);
  return g_string_free (out, FALSE);
}

/* The envelopes are written straight out, without building an object
 * around the value: member order is qemu-ga's ("return" or "error", then
 * "id"). */
static GBytes *
qw_envelope_finish (GString *out, JsonNode *id)
{
  if (id != NULL)
    {
      g_string_append (out, ",\"id\":");
      qw_json_append (out, id);
    }
  g_string_append (out, "}\n");
  return g_string_free_to_bytes (out);
}

/**
 * qw_reply_return:
 * @value: (nullable): the return value; %NULL means {}
 * @id: (nullable): the request's id
 *
 * Returns: (transfer full): `{"return":VALUE,"id":ID}` and a newline
 */
GBytes *
qw_reply_return (JsonNode *value, JsonNode *id)
{
  GString *out = g_string_sized_new (64);

  g_string_append (out, "{\"return\":");
  if (value != NULL)
    qw_json_append (out, value);
  else
    g_string_append (out, "{}");
  return qw_envelope_finish (out, id);
}

/**
 * qw_reply_error_literal:
 * @code: a #QwError; unknown codes become GenericError
 * @desc: the text
 * @id: (nullable): the request's id
 *
 * Returns: (transfer full): `{"error":{"class":C,"desc":D},"id":ID}` and a
 *   newline
 */
GBytes *
qw_reply_error_literal (int code, const char *desc, JsonNode *id)
{
  GString *out = g_string_sized_new (128);

  g_string_append (out, "{\"error\":{\"class\":");
  qw_json_append_string (out, qw_error_class_name (code));
  g_string_append (out, ",\"desc\":");
  qw_json_append_string (out, desc != NULL ? desc : "");
  g_string_append_c (out, '}');
  return qw_envelope_finish (out, id);
}

/**
 * qw_reply_error:
 * @error: the failure; its class comes from qw_error_class_of()
 * @id: (nullable): the request's id, copied
 *
 * Returns: (transfer full): the error reply and a newline
 */
GBytes *
qw_reply_error (const GError *error, JsonNode *id)
{
  g_return_val_if_fail (error != NULL, NULL);
  return qw_reply_error_literal (qw_error_class_of (error), error->message, id);
}

/**
 * qw_request_build:
 * @execute: the command name
 * @arguments: (nullable): the arguments
 * @id: (nullable): the id
 *
 * Returns: (transfer full): the request and a newline
 */
GBytes *
qw_request_build (const char *execute, JsonObject *arguments, JsonNode *id)
{
  GString *out;

  g_return_val_if_fail (execute != NULL, NULL);

  out = g_string_sized_new (128);
  g_string_append (out, "{\"execute\":");
  qw_json_append_string (out, execute);
  if (arguments != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), arguments);

      g_string_append (out, ",\"arguments\":");
      qw_json_append (out, node);
    }
  return qw_envelope_finish (out, id);
}
