/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-envelope: the QMP/QGA request and reply envelopes, with qemu-ga's
 * texts for malformed requests */

#include "qw-envelope.h"

#include <math.h>
#include <string.h>

#include "qw-error.h"

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
qw_request_check_members (JsonObject *obj, GError **error)
{
  g_autoptr(GList) members = json_object_get_members (obj);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (obj, name);

      if (g_strcmp0 (name, "execute") == 0)
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
            {
              g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC,
                                   "QMP input member 'execute' must be a string");
              return FALSE;
            }
        }
      else if (g_strcmp0 (name, "arguments") == 0)
        {
          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC,
                                   "QMP input member 'arguments' must be an object");
              return FALSE;
            }
        }
      else if (g_strcmp0 (name, "id") != 0)
        {
          g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "QMP input member '%s' is unexpected",
                       name);
          return FALSE;
        }
    }
  if (!json_object_has_member (obj, "execute"))
    {
      g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC, "QMP input lacks member 'execute'");
      return FALSE;
    }
  return TRUE;
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
  JsonParser *parser = thread_parser ();
  g_autoptr(GError) error_local = NULL;
  g_autoptr(QwRequest) request = NULL;
  JsonNode *root;
  JsonObject *obj;
  JsonNode *id;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (id_out != NULL)
    *id_out = NULL;
  if (len > G_MAXSSIZE)
    {
      g_set_error_literal (error, QW_ERROR, QW_ERROR_GENERIC, "JSON parse error, message too long");
      return NULL;
    }
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

  /* qemu-ga reads "id" before it checks the rest, so it echoes it on
   * envelope errors too */
  id = json_object_get_member (obj, "id");
  if (id != NULL && id_out != NULL)
    *id_out = json_node_copy (id);
  if (!qw_request_check_members (obj, error))
    return NULL;

  request = g_new0 (QwRequest, 1);
  request->execute = g_strdup (json_object_get_string_member (obj, "execute"));
  if (json_object_has_member (obj, "arguments"))
    request->arguments = json_object_ref (json_object_get_object_member (obj, "arguments"));
  else
    request->arguments = json_object_new ();
  if (id != NULL)
    request->id = json_node_copy (id);
  return g_steal_pointer (&request);
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

/* compact JSON and a newline; takes the object */
static GBytes *
qw_envelope_to_bytes (JsonObject *obj)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GString) str = g_string_new (NULL);

  json_node_take_object (root, obj);
  qw_json_append (str, root);
  g_string_append_c (str, '\n');
  return g_string_free_to_bytes (g_steal_pointer (&str));
}

static void
qw_envelope_add_id (JsonObject *obj, JsonNode *id)
{
  if (id != NULL)
    json_object_set_member (obj, "id", json_node_copy (id));
}

/**
 * qw_reply_return:
 * @value: (nullable): the return value, copied; %NULL means {}
 * @id: (nullable): the request's id, copied
 *
 * Returns: (transfer full): `{"return":VALUE,"id":ID}` and a newline
 */
GBytes *
qw_reply_return (JsonNode *value, JsonNode *id)
{
  JsonObject *obj = json_object_new ();

  if (value != NULL)
    json_object_set_member (obj, "return", json_node_copy (value));
  else
    json_object_set_object_member (obj, "return", json_object_new ());
  qw_envelope_add_id (obj, id);
  return qw_envelope_to_bytes (obj);
}

/**
 * qw_reply_error_literal:
 * @code: a #QwError; unknown codes become GenericError
 * @desc: the text
 * @id: (nullable): the request's id, copied
 *
 * Returns: (transfer full): `{"error":{"class":C,"desc":D},"id":ID}` and a
 *   newline
 */
GBytes *
qw_reply_error_literal (int code, const char *desc, JsonNode *id)
{
  JsonObject *obj = json_object_new ();
  JsonObject *err = json_object_new ();

  json_object_set_string_member (err, "class", qw_error_class_name (code));
  json_object_set_string_member (err, "desc", desc != NULL ? desc : "");
  json_object_set_object_member (obj, "error", err);
  qw_envelope_add_id (obj, id);
  return qw_envelope_to_bytes (obj);
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
 * @arguments: (nullable): copied
 * @id: (nullable): copied
 *
 * Returns: (transfer full): the request and a newline
 */
GBytes *
qw_request_build (const char *execute, JsonObject *arguments, JsonNode *id)
{
  JsonObject *obj;

  g_return_val_if_fail (execute != NULL, NULL);

  obj = json_object_new ();
  json_object_set_string_member (obj, "execute", execute);
  if (arguments != NULL)
    json_object_set_object_member (obj, "arguments", json_object_ref (arguments));
  qw_envelope_add_id (obj, id);
  return qw_envelope_to_bytes (obj);
}
