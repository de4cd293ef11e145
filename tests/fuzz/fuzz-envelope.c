/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: what the agent does with bytes from a client.
 *
 * framer -> qw_request_parse() -> qw_args_check() -> a reply, as the
 * agent's dispatch does it, with a first byte >= 0x80 selecting a small
 * size cap.  Invariants, any failure aborts:
 *  - every reply, error or success, is one compact line that passes our
 *    own framer unchanged and parses with json-glib;
 *  - a refused request fails in the QW_ERROR domain with a text;
 *  - a parsed request rebuilt with qw_request_build() parses back to the
 *    same command, arguments and id;
 *  - where qw-json-reader builds a tree from a framed message, json-glib
 *    takes the message too and the two trees write the same compact text
 *    (the reader is the agent's fast path, json-glib its fallback). */

#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qw-args.h"
#include "qw-envelope.h"
#include "qw-error.h"
#include "qw-framer.h"
#include "qw-json-reader.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* a spec with every type and nesting, shaped like guest-fsfreeze-acquire */
static const QwArgSpec pci_members[] = {
  { "domain", QW_ARG_INT },
  { "bus", QW_ARG_INT, TRUE, .min = 0, .max = 255 },
  { NULL },
};
static const QwArgSpec disk_members[] = {
  { "serial", QW_ARG_STR, TRUE, .max_len = 64 },
  { "unit", QW_ARG_INT, TRUE },
  { "pci-controller", QW_ARG_OBJECT, TRUE, .members = pci_members },
  { NULL },
};
static const QwArgSpec fuzz_spec[] = {
  { "disks", QW_ARG_OBJECT_ARRAY, TRUE, .max_len = 8, .members = disk_members },
  { "mountpoints", QW_ARG_STR_ARRAY, TRUE },
  { "owner", QW_ARG_STR, TRUE, .max_len = 256 },
  { "timeout", QW_ARG_INT, TRUE, .min = 1, .max = 3600 },
  { "force", QW_ARG_BOOL, TRUE },
  { "id", QW_ARG_ANY, TRUE },
  { "opts", QW_ARG_OBJECT, TRUE },
  { NULL },
};

static void
one_message_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  GPtrArray *messages = user_data;

  fuzz_check (kind == QW_FRAME_MESSAGE, "our framer accepts our replies");
  g_ptr_array_add (messages, g_strndup (text, len));
}

/* a reply is one line that our framer takes unchanged */
static void
check_reply (GBytes *reply)
{
  gsize len = 0;
  const char *text = g_bytes_get_data (reply, &len);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(QwFramer) framer = qw_framer_new (G_MAXSIZE, G_MAXUINT, one_message_cb, messages);
  g_autoptr(JsonNode) node = NULL;

  fuzz_check (len >= 3 && text[len - 1] == '\n', "reply ends with a newline");
  fuzz_check (memchr (text, '\n', len) == text + len - 1, "reply is one line");
  qw_framer_feed (framer, (const guint8 *) text, len);
  fuzz_check (messages->len == 1, "reply frames as one message");
  fuzz_check (strlen (g_ptr_array_index (messages, 0)) == len - 1 &&
                memcmp (g_ptr_array_index (messages, 0), text, len - 1) == 0,
              "reply frames unchanged");
  node = json_from_string (g_ptr_array_index (messages, 0), NULL);
  fuzz_check (node != NULL && JSON_NODE_HOLDS_OBJECT (node), "reply is a JSON object");
}

static void
rebuild_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  QwRequest **out = user_data;
  g_autoptr(GError) error = NULL;

  fuzz_check (kind == QW_FRAME_MESSAGE && *out == NULL, "a built request is one message");
  *out = qw_request_parse (text, len, NULL, &error);
  fuzz_check (*out != NULL, "a built request parses");
}

static void
check_rebuild (QwRequest *request)
{
  g_autoptr(GBytes) built = qw_request_build (request->execute, request->arguments, request->id);
  g_autoptr(QwFramer) framer = NULL;
  g_autoptr(QwRequest) back = NULL;
  g_autoptr(JsonNode) args1 = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonNode) args2 = json_node_new (JSON_NODE_OBJECT);
  gsize len = 0;
  const guint8 *text = g_bytes_get_data (built, &len);

  framer = qw_framer_new (G_MAXSIZE, G_MAXUINT, rebuild_cb, &back);
  qw_framer_feed (framer, text, len);
  fuzz_check (back != NULL, "a built request frames");
  fuzz_check (strcmp (back->execute, request->execute) == 0, "same command");
  json_node_set_object (args1, request->arguments);
  json_node_set_object (args2, back->arguments);
  fuzz_check (json_node_equal (args1, args2), "same arguments");
  fuzz_check ((request->id == NULL) == (back->id == NULL), "id kept");
  fuzz_check (request->id == NULL || json_node_equal (request->id, back->id), "same id");
}

static void
dispatch_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(QwRequest) request = NULL;
  g_autoptr(GBytes) reply = NULL;

  if (kind == QW_FRAME_ERROR)
    {
      reply = qw_reply_error_literal (QW_ERROR_GENERIC, text, NULL);
      check_reply (reply);
      return;
    }
  {
    g_autoptr(JsonNode) ours = qw_json_reader_parse (text, len);

    if (ours != NULL)
      {
        g_autoptr(JsonParser) parser = json_parser_new ();
        g_autofree char *a = NULL, *b = NULL;

        fuzz_check (json_parser_load_from_data (parser, text, (gssize) len, NULL),
                    "json-glib takes what the reader takes");
        a = qw_json_compact (ours);
        b = qw_json_compact (json_parser_get_root (parser));
        fuzz_check (strcmp (a, b) == 0, "the reader builds json-glib's tree");
      }
  }
  request = qw_request_parse (text, len, &id, &error);
  if (request == NULL)
    {
      fuzz_check (error != NULL && error->domain == QW_ERROR && error->message[0] != '\0',
                  "a refused request has a QW_ERROR");
      reply = qw_reply_error (error, id);
      check_reply (reply);
      return;
    }
  fuzz_check (error == NULL, "no error on success");
  fuzz_check (request->arguments != NULL, "arguments never NULL");
  fuzz_check ((id == NULL) == (request->id == NULL), "id_out matches the request");
  check_rebuild (request);
  if (!qw_args_check (fuzz_spec, request->arguments, &error))
    {
      fuzz_check (g_error_matches (error, QW_ERROR, QW_ERROR_GENERIC), "args errors are generic");
      reply = qw_reply_error (error, request->id);
    }
  else
    {
      /* echo the arguments back, as a handler's return value */
      g_autoptr(JsonNode) value = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (value, request->arguments);
      reply = qw_reply_return (value, request->id);
    }
  check_reply (reply);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize cap = QW_FRAMER_DEFAULT_MAX_MESSAGE;
  g_autoptr(QwFramer) framer = NULL;

  if (size > 0 && data[0] >= 0x80)
    cap = 8 + (data[0] & 0x3f) * 16;
  framer = qw_framer_new (cap, 0, dispatch_cb, NULL);
  qw_framer_feed (framer, data, size);
  qw_framer_feed (framer, (const guint8 *) "\n", 1);
  return 0;
}
