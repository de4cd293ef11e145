/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the envelope (qemu-ga's texts, id echo, compact replies) and the error
 * class table */

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "qw-envelope.h"
#include "qw-error.h"
#include "qw-json-reader.h"
#include "test-util.h"

static char *
bytes_str (GBytes *bytes)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  return g_strndup (data, len);
}

static JsonNode *
json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  ck_assert_msg (node != NULL, "%s: %s", text, error != NULL ? error->message : "empty");
  return node;
}

static char *
node_str (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

START_TEST (test_parse_minimal)
{
  const char *text = "{\"execute\":\"guest-ping\"}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(QwRequest) request = qw_request_parse (text, strlen (text), &id, &error);

  ck_assert_msg (request != NULL, "%s", error != NULL ? error->message : "");
  ck_assert_str_eq (request->execute, "guest-ping");
  ck_assert_ptr_nonnull (request->arguments);
  ck_assert_uint_eq (json_object_get_size (request->arguments), 0);
  ck_assert_ptr_null (request->id);
  ck_assert_ptr_null (id);
}
END_TEST

START_TEST (test_parse_full)
{
  const char *texts[] = {
    "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":1700000000000},\"id\":\"abc-1\"}",
    "{\"id\":42,\"arguments\":{\"id\":1},\"execute\":\"guest-sync\"}",
    "{\"id\":null,\"execute\":\"guest-sync\",\"arguments\":{\"id\":1}}",
    "{\"id\":{\"a\":[1,2]},\"execute\":\"guest-sync\",\"arguments\":{\"id\":1}}",
  };
  const char *ids[] = { "\"abc-1\"", "42", "null", "{\"a\":[1,2]}" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) id = NULL;
      g_autoptr(QwRequest) request = qw_request_parse (texts[i], strlen (texts[i]), &id, &error);
      g_autofree char *id_text = NULL;
      g_autofree char *id_out_text = NULL;

      ck_assert_msg (request != NULL, "%s", error != NULL ? error->message : "");
      ck_assert_str_eq (request->execute, "guest-sync");
      ck_assert_uint_eq (json_object_get_size (request->arguments), 1);
      ck_assert (json_object_has_member (request->arguments, "id"));
      ck_assert_ptr_nonnull (request->id);
      ck_assert_ptr_nonnull (id);
      /* id and request->id may be one node referenced twice: each
       * reference is the caller's */
      id_text = node_str (request->id);
      id_out_text = node_str (id);
      ck_assert_str_eq (id_text, ids[i]);
      ck_assert_str_eq (id_out_text, ids[i]);
    }
}
END_TEST

START_TEST (test_parse_id_out_optional)
{
  const char *text = "{\"execute\":\"guest-ping\",\"id\":1}";
  g_autoptr(QwRequest) request = qw_request_parse (text, strlen (text), NULL, NULL);
  g_autoptr(QwRequest) bad = qw_request_parse ("[1]", 3, NULL, NULL);

  ck_assert_ptr_nonnull (request);
  ck_assert_ptr_nonnull (request->id);
  ck_assert_ptr_null (bad);
}
END_TEST

typedef struct
{
  const char *input;
  const char *desc;
  const char *id; /* the echoed id as JSON, or NULL */
} EnvelopeCase;

/* qemu-ga 7.2's texts (REFERENCE.md and qmp_dispatch_check_obj) */
static const EnvelopeCase envelope_cases[] = {
  { "[1,2]", "QMP input must be a JSON object", NULL },
  { "42", "QMP input must be a JSON object", NULL },
  { "\"guest-ping\"", "QMP input must be a JSON object", NULL },
  { "null", "QMP input must be a JSON object", NULL },
  { "{\"exec\":\"guest-ping\"}", "QMP input member 'exec' is unexpected", NULL },
  { "{\"execute\":\"guest-ping\",\"exec-oob\":\"x\"}", "QMP input member 'exec-oob' is unexpected", NULL },
  { "{\"execute\":42}", "QMP input member 'execute' must be a string", NULL },
  { "{\"execute\":null}", "QMP input member 'execute' must be a string", NULL },
  { "{\"execute\":[\"guest-ping\"]}", "QMP input member 'execute' must be a string", NULL },
  { "{\"execute\":\"x\",\"arguments\":[]}", "QMP input member 'arguments' must be an object", NULL },
  { "{\"execute\":\"x\",\"arguments\":null}", "QMP input member 'arguments' must be an object", NULL },
  { "{\"execute\":\"x\",\"arguments\":\"a\"}", "QMP input member 'arguments' must be an object", NULL },
  { "{}", "QMP input lacks member 'execute'", NULL },
  { "{\"arguments\":{}}", "QMP input lacks member 'execute'", NULL },
  /* members are checked in the order sent */
  { "{\"exec\":\"x\",\"execute\":5}", "QMP input member 'exec' is unexpected", NULL },
  { "{\"execute\":5,\"exec\":\"x\"}", "QMP input member 'execute' must be a string", NULL },
  /* id is echoed on envelope errors too */
  { "{\"id\":5}", "QMP input lacks member 'execute'", "5" },
  { "{\"id\":\"abc\",\"exec-oob\":\"guest-ping\"}", "QMP input member 'exec-oob' is unexpected", "\"abc\"" },
  { "{\"execute\":true,\"id\":[1]}", "QMP input member 'execute' must be a string", "[1]" },
  { "{\"id\":null}", "QMP input lacks member 'execute'", "null" },
};

START_TEST (test_parse_envelope_errors)
{
  for (guint i = 0; i < G_N_ELEMENTS (envelope_cases); i++)
    {
      const EnvelopeCase *c = &envelope_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) id = NULL;
      g_autoptr(QwRequest) request = qw_request_parse (c->input, strlen (c->input), &id, &error);

      ck_assert_msg (request == NULL, "%s: parsed", c->input);
      ck_assert_msg (g_error_matches (error, QW_ERROR, QW_ERROR_GENERIC), "%s: wrong error", c->input);
      ck_assert_str_eq (error->message, c->desc);
      if (c->id == NULL)
        ck_assert_msg (id == NULL, "%s: unexpected id", c->input);
      else
        {
          g_autofree char *id_text = NULL;

          ck_assert_msg (id != NULL, "%s: no id", c->input);
          id_text = node_str (id);
          ck_assert_str_eq (id_text, c->id);
        }
    }
}
END_TEST

START_TEST (test_parse_json_error)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(QwRequest) request = qw_request_parse ("{\"execute\":", 11, &id, &error);

  ck_assert_ptr_null (request);
  ck_assert (g_error_matches (error, QW_ERROR, QW_ERROR_GENERIC));
  ck_assert_msg (g_str_has_prefix (error->message, "JSON parse error, "), "%s", error->message);
  ck_assert_ptr_null (id);
}
END_TEST

START_TEST (test_parse_length_respected)
{
  /* only len bytes count: the trailing garbage is not parsed */
  const char *text = "{\"execute\":\"guest-ping\"}garbage";
  g_autoptr(GError) error = NULL;
  g_autoptr(QwRequest) request = qw_request_parse (text, 24, NULL, &error);

  ck_assert_msg (request != NULL, "%s", error != NULL ? error->message : "");
  ck_assert_str_eq (request->execute, "guest-ping");
}
END_TEST

static void
assert_bytes (GBytes *bytes, const char *want)
{
  g_autofree char *got = bytes_str (bytes);

  ck_assert_str_eq (got, want);
  /* one line: exactly one newline, the last byte */
  ck_assert_ptr_eq (strchr (got, '\n'), got + strlen (got) - 1);
}

/* qw-json-reader against json-glib: where the reader builds a tree, its
 * compact text is json-glib's; where it gives up, that is one of the
 * documented cases.  Over inline cases and every accepted framer message. */
static guint reader_built, reader_gave_up;

static void
reader_compare (const char *text, gsize len, gboolean may_give_up)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonNode) ours = qw_json_reader_parse (text, len);
  g_autofree char *theirs_text = NULL, *ours_text = NULL;

  if (ours == NULL)
    {
      ck_assert_msg (may_give_up, "the reader gave up on %.*s", (int) len, text);
      g_print ("reader: left to json-glib: %.40s\n", text);
      reader_gave_up++;
      return;
    }
  reader_built++;
  ck_assert_msg (json_parser_load_from_data (parser, text, (gssize) len, NULL),
                 "the reader took what json-glib refuses: %.*s", (int) len, text);
  theirs_text = qw_json_compact (json_parser_get_root (parser));
  ours_text = qw_json_compact (ours);
  ck_assert_str_eq (ours_text, theirs_text);
  ck_assert_int_eq (json_node_get_value_type (ours), json_node_get_value_type (json_parser_get_root (parser)));
}

START_TEST (test_reader_matches_json_glib)
{
  static const char *const same[] = {
    "{}", "[]", " { \"a\" : [ 1 , 2.5 , -0 , 0 , 1e5 , 1.5E-3 , -2e+2 ] } ",
    "9223372036854775807", "-9223372036854775808", "\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\"",
    "{\"execute\":\"guest-ping\"}", "[true,false,null,{\"x\":{}},[[[]]]]", "\"caf\xc3\xa9\"",
    "{\"a\":1,\"b\":{\"a\":2}}", "0.1", "123456789012345678", "1E400",
  };
  static const char *const give_up[] = {
    "9223372036854775808", "\"\\u0000\"", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "\"\\udc00x\"",
    "01", "1.", ".5", "+1", "[1,]", "{\"a\"}", "tru", "\"\xff\"", "\"a\x01\"", "[1] x", "",
  };
  g_autofree char *dir = g_build_filename (QW_SOURCE_DIR, "tests", "data", "framer", "accept", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint files = 0;

  reader_built = reader_gave_up = 0;
  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    reader_compare (same[i], strlen (same[i]), FALSE);
  ck_assert_uint_eq (reader_built, G_N_ELEMENTS (same));
  for (guint i = 0; i < G_N_ELEMENTS (give_up); i++)
    {
      g_autoptr(JsonNode) node = qw_json_reader_parse (give_up[i], strlen (give_up[i]));
      ck_assert_msg (node == NULL, "the reader took %s", give_up[i]);
    }
  ck_assert_ptr_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      gsize len = 0;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      path = g_build_filename (dir, name, NULL);
      ck_assert (g_file_get_contents (path, &text, &len, NULL));
      /* a framer sample may hold several messages (json-glib leaks on
       * those, so it is asked only about what the reader takes) */
      reader_compare (text, len, TRUE);
      files++;
    }
  g_print ("reader: %u files, %u built, %u left to json-glib\n", files, reader_built - (guint) G_N_ELEMENTS (same),
           reader_gave_up);
  ck_assert_uint_gt (reader_built, G_N_ELEMENTS (same) + 5);
}
END_TEST

START_TEST (test_reply_return)
{
  g_autoptr(JsonNode) id_str = json ("\"abc-1\"");
  g_autoptr(JsonNode) id_num = json ("5");
  g_autoptr(JsonNode) seven = json ("7");
  g_autoptr(JsonNode) nested = json ("{\n  \"a\" : [ 1, 2, {\"b\": \"x\\ny\"} ]\n}");
  g_autoptr(GBytes) r1 = qw_reply_return (NULL, NULL);
  g_autoptr(GBytes) r2 = qw_reply_return (NULL, id_str);
  g_autoptr(GBytes) r3 = qw_reply_return (seven, id_num);
  g_autoptr(GBytes) r4 = qw_reply_return (nested, NULL);
  g_autofree char *seven_after = node_str (seven);

  assert_bytes (r1, "{\"return\":{}}\n");
  assert_bytes (r2, "{\"return\":{},\"id\":\"abc-1\"}\n");
  assert_bytes (r3, "{\"return\":7,\"id\":5}\n");
  assert_bytes (r4, "{\"return\":{\"a\":[1,2,{\"b\":\"x\\ny\"}]}}\n");
  /* the caller's nodes are left alone */
  ck_assert_str_eq (seven_after, "7");
}
END_TEST

START_TEST (test_reply_error)
{
  g_autoptr(GError) expired = g_error_new (QW_ERROR, QW_ERROR_HANDLE_EXPIRED, "Handle 3 expired at %d", 17);
  g_autoptr(GError) foreign = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_FAILED, "boom");
  g_autoptr(GError) bogus = g_error_new_literal (QW_ERROR, 99, "odd");
  g_autoptr(JsonNode) id = json ("\"x\"");
  g_autoptr(GBytes) r1 = qw_reply_error (expired, NULL);
  g_autoptr(GBytes) r2 = qw_reply_error (foreign, id);
  g_autoptr(GBytes) r3 = qw_reply_error (bogus, NULL);
  g_autoptr(GBytes) r4 = qw_reply_error_literal (QW_ERROR_COMMAND_NOT_FOUND,
                                                 "The command guest-no-such-command has not been found", NULL);
  g_autoptr(GBytes) r5 = qw_reply_error_literal (-1, "JSON parse error, \"quoted\"\n\ttext", NULL);

  assert_bytes (r1, "{\"error\":{\"class\":\"HandleExpired\",\"desc\":\"Handle 3 expired at 17\"}}\n");
  assert_bytes (r2, "{\"error\":{\"class\":\"GenericError\",\"desc\":\"boom\"},\"id\":\"x\"}\n");
  assert_bytes (r3, "{\"error\":{\"class\":\"GenericError\",\"desc\":\"odd\"}}\n");
  assert_bytes (r4, "{\"error\":{\"class\":\"CommandNotFound\","
                    "\"desc\":\"The command guest-no-such-command has not been found\"}}\n");
  assert_bytes (r5, "{\"error\":{\"class\":\"GenericError\","
                    "\"desc\":\"JSON parse error, \\\"quoted\\\"\\n\\ttext\"}}\n");
}
END_TEST

START_TEST (test_reply_error_echoes_envelope_id)
{
  const char *text = "{\"id\":{\"seq\":[1]},\"exec\":1}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) id = NULL;
  g_autoptr(QwRequest) request = qw_request_parse (text, strlen (text), &id, &error);
  g_autoptr(GBytes) reply = NULL;

  ck_assert_ptr_null (request);
  reply = qw_reply_error (error, id);
  assert_bytes (reply, "{\"error\":{\"class\":\"GenericError\",\"desc\":"
                       "\"QMP input member 'exec' is unexpected\"},\"id\":{\"seq\":[1]}}\n");
}
END_TEST

typedef struct
{
  QwRequest *request;
  guint n_messages;
} RoundTrip;

static void
round_trip_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  RoundTrip *rt = user_data;
  g_autoptr(GError) error = NULL;

  ck_assert_int_eq (kind, QW_FRAME_MESSAGE);
  rt->n_messages++;
  rt->request = qw_request_parse (text, len, NULL, &error);
  ck_assert_msg (rt->request != NULL, "%s", error != NULL ? error->message : "");
}

START_TEST (test_request_build)
{
  g_autoptr(JsonNode) args_node = json ("{\"mountpoints\":[\"/mnt/a\",\"/mnt/b\"],\"timeout\":60}");
  g_autoptr(JsonNode) id = json ("123");
  g_autoptr(GBytes) b1 = qw_request_build ("guest-ping", NULL, NULL);
  g_autoptr(GBytes) b2 = qw_request_build ("guest-fsfreeze-acquire", json_node_get_object (args_node), id);
  g_autoptr(QwFramer) framer = NULL;
  g_autoptr(QwRequest) request = NULL;
  g_autofree char *args_text = NULL;
  RoundTrip rt = { NULL, 0 };
  gsize len = 0;
  const guint8 *data;

  assert_bytes (b1, "{\"execute\":\"guest-ping\"}\n");
  assert_bytes (b2, "{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":"
                    "[\"/mnt/a\",\"/mnt/b\"],\"timeout\":60},\"id\":123}\n");

  /* and back through the framer and the parser */
  framer = qw_framer_new (0, 0, round_trip_cb, &rt);
  data = g_bytes_get_data (b2, &len);
  qw_framer_feed (framer, data, len);
  ck_assert_uint_eq (rt.n_messages, 1);
  request = rt.request;
  ck_assert_str_eq (request->execute, "guest-fsfreeze-acquire");
  ck_assert_int_eq (json_node_get_int (request->id), 123);
  ck_assert_int_eq (json_object_get_int_member (request->arguments, "timeout"), 60);
  ck_assert_uint_eq (json_array_get_length (json_object_get_array_member (request->arguments, "mountpoints")), 2);
}
END_TEST

static void
frame_one_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  GPtrArray *messages = user_data;

  ck_assert_msg (kind == QW_FRAME_MESSAGE, "framer refused a reply: %s", text);
  g_ptr_array_add (messages, g_strndup (text, len));
}

/* text must pass our own framer as exactly one message, unchanged */
static void
assert_frames_as_one (const char *text)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(QwFramer) framer = qw_framer_new (0, 0, frame_one_cb, messages);

  qw_framer_feed (framer, (const guint8 *) text, strlen (text));
  qw_framer_feed (framer, (const guint8 *) "\n", 1);
  ck_assert_uint_eq (messages->len, 1);
  ck_assert_str_eq (g_ptr_array_index (messages, 0), text);
}

START_TEST (test_json_compact_doubles)
{
  /* json-glib 1.6 writes 1e17 as "1e+17.0" */
  const struct
  {
    gdouble value;
    const char *text;
  } cases[] = {
    { 1e17, "1e+17" },   { 1e22, "1e+22" },       { 0.1, "0.1" },
    { 1.0, "1.0" },      { -0.0, "-0.0" },        { 1.5, "1.5" },
    { 1e16, "1e+16" },   { 123456.0, "123456.0" }, { 5e-324, "4.94065645841247e-324" },
    { 1.0 / 3, "0.3333333333333333" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
      g_autoptr(JsonNode) back = NULL;
      g_autofree char *text = NULL;

      json_node_set_double (node, cases[i].value);
      text = qw_json_compact (node);
      ck_assert_str_eq (text, cases[i].text);
      back = json (text);
      ck_assert_int_eq (json_node_get_value_type (back), G_TYPE_DOUBLE);
      ck_assert (json_node_get_double (back) == cases[i].value);
      assert_frames_as_one (text);
    }
}
END_TEST

START_TEST (test_json_compact_non_finite)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *inf = NULL;
  g_autofree char *nan = NULL;

  json_node_set_double (node, INFINITY);
  inf = qw_json_compact (node);
  json_node_set_double (node, NAN);
  nan = qw_json_compact (node);
  ck_assert_str_eq (inf, "null");
  ck_assert_str_eq (nan, "null");
}
END_TEST

START_TEST (test_json_compact_strings)
{
  const struct
  {
    const char *value;
    const char *text;
  } cases[] = {
    { "plain", "\"plain\"" },
    { "q\"b\\s/", "\"q\\\"b\\\\s/\"" },
    { "\b\f\n\r\t\x01\x1f", "\"\\b\\f\\n\\r\\t\\u0001\\u001f\"" },
    { "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"" },
    /* invalid UTF-8, as a mount path may hold: one U+FFFD per bad byte */
    { "/mnt/\xff\xfe", "\"/mnt/\\ufffd\\ufffd\"" },
    { "a\xc3(", "\"a\\ufffd(\"" },
    { "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },
    { "\xc0\x80", "\"\\ufffd\\ufffd\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
      g_autofree char *text = NULL;

      json_node_set_string (node, cases[i].value);
      text = qw_json_compact (node);
      ck_assert_str_eq (text, cases[i].text);
      assert_frames_as_one (text);
    }
}
END_TEST

START_TEST (test_json_compact_round_trip)
{
  const char *texts[] = {
    "{\"a\":[1,-9223372036854775808,9223372036854775807,true,false,null,\"s\",{},[]],\"b\":{\"c\":0.5}}",
    "[]",
    "{\"z\":1,\"a\":2,\"m\":3}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(JsonNode) node = json (texts[i]);
      g_autofree char *text = qw_json_compact (node);

      /* member order is kept */
      ck_assert_str_eq (text, texts[i]);
    }
}
END_TEST

START_TEST (test_reply_frames)
{
  g_autoptr(JsonNode) id = json ("1e17");
  g_autoptr(JsonNode) value = json ("{\"x\":[1e300,\"\\u2028\"]}");
  g_autoptr(GBytes) r1 = qw_reply_return (value, id);
  g_autofree char *s1 = bytes_str (r1);

  /* the id echo of a double stays valid JSON */
  ck_assert_str_eq (s1, "{\"return\":{\"x\":[1e+300,\"\xe2\x80\xa8\"]},\"id\":1e+17}\n");
  s1[strlen (s1) - 1] = '\0';
  assert_frames_as_one (s1);
}
END_TEST

/* the wire names DESIGN.md section 3.2 fixes, in QwError order */
static const char *const design_classes[] = {
  "GenericError", "CommandNotFound", "DeviceNotFound", "HandleNotFound", "HandleExpired",
  "Busy",         "FreezeFailed",    "LimitExceeded",  "PermissionDenied",
};

START_TEST (test_error_table)
{
  gsize n = 0;
  const QwErrorClass *classes = qw_error_classes (&n);

  ck_assert_uint_eq (n, G_N_ELEMENTS (design_classes));
  ck_assert_uint_eq (n, QW_ERROR_N_CLASSES);
  for (gsize i = 0; i < n; i++)
    {
      QwError code = QW_ERROR_N_CLASSES;
      g_autoptr(GError) error = g_error_new_literal (QW_ERROR, classes[i].code, "x");
      g_autoptr(GBytes) reply = qw_reply_error (error, NULL);
      g_autofree char *want = g_strdup_printf ("{\"error\":{\"class\":\"%s\",\"desc\":\"x\"}}\n",
                                               design_classes[i]);
      g_autofree char *got = bytes_str (reply);

      ck_assert_int_eq (classes[i].code, (int) i);
      ck_assert_str_eq (classes[i].name, design_classes[i]);
      ck_assert_msg (classes[i].summary != NULL && strlen (classes[i].summary) > 10, "%s", classes[i].name);
      ck_assert_ptr_null (strchr (classes[i].summary, '\n'));
      ck_assert_str_eq (qw_error_class_name (classes[i].code), design_classes[i]);
      ck_assert (qw_error_class_from_name (design_classes[i], &code));
      ck_assert_int_eq (code, classes[i].code);
      ck_assert_int_eq (qw_error_class_of (error), classes[i].code);
      ck_assert_str_eq (got, want);
    }
}
END_TEST

START_TEST (test_error_unknown)
{
  QwError code = QW_ERROR_BUSY;
  g_autoptr(GError) foreign = g_error_new_literal (G_FILE_ERROR, QW_ERROR_BUSY, "x");
  g_autoptr(GError) bogus = g_error_new_literal (QW_ERROR, QW_ERROR_N_CLASSES, "x");

  ck_assert_str_eq (g_quark_to_string (QW_ERROR), "qw-error-quark");
  ck_assert (!qw_error_class_from_name ("KVMMissingCap", &code));
  ck_assert_int_eq (code, QW_ERROR_GENERIC);
  code = QW_ERROR_BUSY;
  ck_assert (!qw_error_class_from_name (NULL, &code));
  ck_assert_int_eq (code, QW_ERROR_GENERIC);
  ck_assert (!qw_error_class_from_name ("busy", NULL));
  ck_assert_str_eq (qw_error_class_name (-1), "GenericError");
  ck_assert_str_eq (qw_error_class_name (QW_ERROR_N_CLASSES), "GenericError");
  ck_assert_int_eq (qw_error_class_of (foreign), QW_ERROR_GENERIC);
  ck_assert_int_eq (qw_error_class_of (bogus), QW_ERROR_GENERIC);
  ck_assert_int_eq (qw_error_class_of (NULL), QW_ERROR_GENERIC);
}
END_TEST

static Suite *
envelope_suite (void)
{
  Suite *s = suite_create ("envelope");
  TCase *tc = tcase_create ("envelope");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_parse_minimal);
  tcase_add_test (tc, test_parse_full);
  tcase_add_test (tc, test_parse_id_out_optional);
  tcase_add_test (tc, test_parse_envelope_errors);
  tcase_add_test (tc, test_parse_json_error);
  tcase_add_test (tc, test_parse_length_respected);
  tcase_add_test (tc, test_reader_matches_json_glib);
  tcase_add_test (tc, test_reply_return);
  tcase_add_test (tc, test_reply_error);
  tcase_add_test (tc, test_reply_error_echoes_envelope_id);
  tcase_add_test (tc, test_request_build);
  tcase_add_test (tc, test_json_compact_doubles);
  tcase_add_test (tc, test_json_compact_non_finite);
  tcase_add_test (tc, test_json_compact_strings);
  tcase_add_test (tc, test_json_compact_round_trip);
  tcase_add_test (tc, test_reply_frames);
  tcase_add_test (tc, test_error_table);
  tcase_add_test (tc, test_error_unknown);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return qw_test_run (envelope_suite ());
}
