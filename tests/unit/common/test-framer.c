/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the framer: the recorded corpus under any chunking, resync, limits */

#include <json-glib/json-glib.h>
#include <string.h>

#include "test-util.h"

#define MIB (1024 * 1024)

static const char ping[] = "{\"execute\":\"guest-ping\"}";

static char *
corpus_dir (const char *kind)
{
  const char *srcdir = g_getenv ("QUIESCE_SOURCE_DIR");

  return g_build_filename (srcdir != NULL ? srcdir : QW_SOURCE_DIR, "tests", "data", "framer",
                           kind, NULL);
}

/* NAME.expect: '#' comments, then one event per line, "M text" or
 * "E desc", with C escapes (\n, \t, \\, \ooo) */
static GPtrArray *
load_expect (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (path, &contents, NULL, &error))
    ck_abort_msg ("%s", error->message);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *text = NULL;

      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      ck_assert_msg ((lines[i][0] == 'M' || lines[i][0] == 'E') && lines[i][1] == ' ',
                     "%s: bad line '%s'", path, lines[i]);
      text = g_strcompress (lines[i] + 2);
      g_ptr_array_add (events, g_strdup_printf ("%c %s", lines[i][0], text));
    }
  return events;
}

static guint
count_kind (GPtrArray *events, char kind)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    n += ((const char *) g_ptr_array_index (events, i))[0] == kind;
  return n;
}

/* every file of the corpus gives the recorded events whole, byte by
 * byte and in three random chunkings; returns how many files ran */
static guint
run_corpus (const char *kind, gboolean accept)
{
  g_autofree char *dir_path = corpus_dir (kind);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, &error);
  const char *name;
  guint n_files = 0;

  ck_assert_msg (dir != NULL, "%s", error != NULL ? error->message : "");
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *expect_path = NULL;
      g_autofree char *stem = NULL;
      g_autofree char *data = NULL;
      g_autoptr(GPtrArray) expected = NULL;
      gsize len = 0;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      stem = g_strndup (name, strlen (name) - strlen (".json"));
      path = g_build_filename (dir_path, name, NULL);
      expect_path = g_strdup_printf ("%s/%s.expect", dir_path, stem);
      ck_assert_msg (g_file_get_contents (path, &data, &len, NULL), "cannot read %s", path);
      expected = load_expect (expect_path);
      ck_assert_msg (count_kind (expected, 'M') + count_kind (expected, 'E') > 0, "%s: empty", stem);
      if (accept)
        ck_assert_msg (count_kind (expected, 'E') == 0, "%s: an error in accept/", stem);
      else
        ck_assert_msg (count_kind (expected, 'E') > 0, "%s: no error in reject/", stem);

      for (guint mode = 0; mode < 5; mode++)
        {
          QwTestChunking chunking = mode == 0 ? QW_TEST_WHOLE : mode == 1 ? QW_TEST_BYTES : QW_TEST_RANDOM;
          g_autoptr(GPtrArray) got =
            qw_test_frame ((const guint8 *) data, len, 0, 0, chunking, 0x5eed + mode);
          g_autofree char *diff = qw_test_events_diff (expected, got);

          ck_assert_msg (diff == NULL, "%s/%s (chunking %u): %s", kind, stem, mode, diff);
        }

      /* what the framer accepts, json-glib must parse */
      for (guint i = 0; i < expected->len; i++)
        {
          const char *event = g_ptr_array_index (expected, i);
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autoptr(GError) error_local = NULL;

          if (event[0] != 'M')
            continue;
          ck_assert_msg (json_parser_load_from_data (parser, event + 2, -1, &error_local),
                         "%s: json-glib: %s", stem, error_local->message);
        }
      n_files++;
    }
  return n_files;
}

START_TEST (test_corpus_accept)
{
  ck_assert_uint_ge (run_corpus ("accept", TRUE), 15);
}
END_TEST

START_TEST (test_corpus_reject)
{
  ck_assert_uint_ge (run_corpus ("reject", FALSE), 60);
}
END_TEST

/* feed a NUL-terminated string with every chunking; all must agree */
static GPtrArray *
frame_str (const char *data, gsize cap, guint depth)
{
  gsize len = strlen (data);
  GPtrArray *whole = qw_test_frame ((const guint8 *) data, len, cap, depth, QW_TEST_WHOLE, 0);
  g_autoptr(GPtrArray) bytes =
    qw_test_frame ((const guint8 *) data, len, cap, depth, QW_TEST_BYTES, 0);
  g_autoptr(GPtrArray) random =
    qw_test_frame ((const guint8 *) data, len, cap, depth, QW_TEST_RANDOM, 42);
  g_autofree char *diff1 = qw_test_events_diff (whole, bytes);
  g_autofree char *diff2 = qw_test_events_diff (whole, random);

  ck_assert_msg (diff1 == NULL, "byte by byte: %s", diff1);
  ck_assert_msg (diff2 == NULL, "random chunks: %s", diff2);
  return whole;
}

static void
assert_events (GPtrArray *got, ...)
{
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *diff = NULL;
  const char *event;
  va_list args;

  va_start (args, got);
  while ((event = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (expected, g_strdup (event));
  va_end (args);
  diff = qw_test_events_diff (expected, got);
  ck_assert_msg (diff == NULL, "%s", diff);
}

START_TEST (test_resync_idle_silent)
{
  g_autoptr(GPtrArray) events = NULL;
  QwTestCollector collector = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr(QwFramer) framer = qw_framer_new (0, 0, qw_test_collect_cb, &collector);

  qw_framer_feed (framer, (const guint8 *) "\xff\xfe\xff", 3);
  ck_assert_uint_eq (collector.events->len, 0);
  ck_assert (qw_framer_is_idle (framer));
  g_ptr_array_unref (collector.events);

  events = frame_str ("\xff  \xff{\"a\":1}\xff", 0, 0);
  assert_events (events, "M {\"a\":1}", NULL);
}
END_TEST

START_TEST (test_resync_mid_message)
{
  g_autoptr(GPtrArray) e1 = frame_str ("{\"execute\":\"guest-ping\"\xff{\"execute\":\"guest-ping\"}", 0, 0);
  g_autoptr(GPtrArray) e2 = frame_str ("[1,[2,\"ab\xff\"]]\n", 0, 0);
  g_autoptr(GPtrArray) e3 = frame_str ("[1,\xfe[2]", 0, 0);

  assert_events (e1, "E JSON parse error, message interrupted by a resync byte",
                 "M {\"execute\":\"guest-ping\"}", NULL);
  /* the reset inside the string dropped it: '"]]' then opens a new
   * string, which the raw newline breaks */
  assert_events (e2, "E JSON parse error, message interrupted by a resync byte",
                 "E JSON parse error, control character in string", NULL);
  assert_events (e3, "E JSON parse error, message interrupted by a resync byte", "M [2]", NULL);
}
END_TEST

START_TEST (test_reset_api)
{
  QwTestCollector collector = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr(QwFramer) framer = qw_framer_new (0, 0, qw_test_collect_cb, &collector);

  qw_framer_feed (framer, (const guint8 *) "{\"execute\":", 11);
  ck_assert (!qw_framer_is_idle (framer));
  ck_assert_uint_eq (qw_framer_buffered (framer), 11);
  qw_framer_reset (framer);
  ck_assert (qw_framer_is_idle (framer));
  ck_assert_uint_eq (qw_framer_buffered (framer), 0);
  ck_assert_uint_eq (collector.events->len, 0);
  qw_framer_feed (framer, (const guint8 *) ping, strlen (ping));
  ck_assert_uint_eq (collector.events->len, 1);
  ck_assert_str_eq (g_ptr_array_index (collector.events, 0), "M {\"execute\":\"guest-ping\"}");
  g_ptr_array_unref (collector.events);
}
END_TEST

START_TEST (test_control_chars)
{
  for (guint c = 0; c < 0x20; c++)
    {
      g_autofree char *mid = NULL;
      g_autofree char *want = NULL;
      g_autoptr(GPtrArray) events = NULL;
      guint8 input[64];
      gsize n = 0;

      if (c == '\t' || c == '\n' || c == '\r')
        continue;
      /* idle: silent */
      input[n++] = c;
      memcpy (input + n, "[1]", 3);
      n += 3;
      /* inside a message, outside a string: one error, then resync */
      memcpy (input + n, "{\"a\":", 5);
      n += 5;
      input[n++] = c;
      memcpy (input + n, "[2]", 3);
      n += 3;
      /* inside a string: a grammar error */
      memcpy (input + n, "[\"x", 3);
      n += 3;
      input[n++] = c;
      memcpy (input + n, "y\"][3]", 6);
      n += 6;
      events = qw_test_frame (input, n, 0, 0, QW_TEST_BYTES, 0);
      want = g_strdup_printf ("E JSON parse error, message interrupted by control character 0x%02x", c);
      assert_events (events, "M [1]", want, "M [2]", "E JSON parse error, control character in string",
                     "M [3]", NULL);
    }
}
END_TEST

START_TEST (test_top_level_scalar_waits_for_delimiter)
{
  QwTestCollector collector = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr(QwFramer) framer = qw_framer_new (0, 0, qw_test_collect_cb, &collector);

  qw_framer_feed (framer, (const guint8 *) "  42", 4);
  ck_assert_uint_eq (collector.events->len, 0);
  ck_assert (!qw_framer_is_idle (framer));
  qw_framer_feed (framer, (const guint8 *) "5", 1);
  qw_framer_feed (framer, (const guint8 *) "\n", 1);
  ck_assert_uint_eq (collector.events->len, 1);
  ck_assert_str_eq (g_ptr_array_index (collector.events, 0), "M 425");
  ck_assert (qw_framer_is_idle (framer));
  qw_framer_feed (framer, (const guint8 *) "nul", 3);
  ck_assert_uint_eq (collector.events->len, 1);
  qw_framer_feed (framer, (const guint8 *) "l", 1);
  ck_assert_uint_eq (collector.events->len, 1);
  qw_framer_feed (framer, (const guint8 *) ",", 1);
  ck_assert_uint_eq (collector.events->len, 3);
  ck_assert_str_eq (g_ptr_array_index (collector.events, 1), "M null");
  ck_assert_str_eq (g_ptr_array_index (collector.events, 2), "E JSON parse error, unexpected character ','");
  g_ptr_array_unref (collector.events);
}
END_TEST

START_TEST (test_one_error_per_message)
{
  g_autoptr(GPtrArray) e1 = frame_str ("{\"a\":x,\"b\":y,\"c\":[}}\n[1]", 0, 0);
  g_autoptr(GPtrArray) e2 = frame_str ("[1,,2,]]]]][2]", 0, 0);

  assert_events (e1, "E JSON parse error, unexpected character 'x'", "M [1]", NULL);
  assert_events (e2, "E JSON parse error, expecting value", "E JSON parse error, unexpected character ']'",
                 "M [2]", NULL);
}
END_TEST

/* {"s":"xxx...x"} of exactly total bytes */
static GString *
string_message (gsize total)
{
  GString *str = g_string_sized_new (total + 64);

  g_string_append (str, "{\"s\":\"");
  while (str->len < total - 2)
    g_string_append_c (str, 'x');
  g_string_append (str, "\"}");
  ck_assert_uint_eq (str->len, total);
  return str;
}

START_TEST (test_size_cap_2mib)
{
  g_autoptr(GString) big = string_message (2 * MIB);
  QwTestCollector collector = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr(QwFramer) framer = qw_framer_new (0, 0, qw_test_collect_cb, &collector);
  gsize off = 0;

  g_string_append (big, ping);
  while (off < big->len)
    {
      gsize n = MIN (4096, big->len - off);

      qw_framer_feed (framer, (const guint8 *) big->str + off, n);
      off += n;
      ck_assert_uint_le (qw_framer_buffered (framer), QW_FRAMER_DEFAULT_MAX_MESSAGE);
      /* the error comes as soon as the cap is passed, not at the end */
      if (off > 2 * MIB)
        ck_assert_uint_eq (collector.events->len, 2);
      else if (off > QW_FRAMER_DEFAULT_MAX_MESSAGE)
        ck_assert_uint_eq (collector.events->len, 1);
      else
        ck_assert_uint_eq (collector.events->len, 0);
    }
  ck_assert_uint_eq (collector.events->len, 2);
  ck_assert_str_eq (g_ptr_array_index (collector.events, 0),
                    "E Message exceeds the size limit of 1048576 bytes");
  ck_assert_str_eq (g_ptr_array_index (collector.events, 1), "M {\"execute\":\"guest-ping\"}");
  g_ptr_array_unref (collector.events);
}
END_TEST

START_TEST (test_size_cap_2mib_bytewise)
{
  g_autoptr(GString) big = string_message (2 * MIB);
  g_autoptr(GPtrArray) events = NULL;

  g_string_append (big, ping);
  events = qw_test_frame ((const guint8 *) big->str, big->len, 0, 0, QW_TEST_BYTES, 0);
  assert_events (events, "E Message exceeds the size limit of 1048576 bytes",
                 "M {\"execute\":\"guest-ping\"}", NULL);
}
END_TEST

START_TEST (test_size_cap_1mib_strings)
{
  g_autoptr(GString) fits = string_message (MIB);
  g_autoptr(GString) over = string_message (MIB + 1);
  g_autoptr(GPtrArray) e1 = NULL;
  g_autoptr(GPtrArray) e2 = NULL;
  g_autofree char *want = g_strdup_printf ("M %s", fits->str);

  e1 = qw_test_frame ((const guint8 *) fits->str, fits->len, 0, 0, QW_TEST_RANDOM, 7);
  assert_events (e1, want, NULL);
  g_string_append (over, "[1]");
  e2 = qw_test_frame ((const guint8 *) over->str, over->len, 0, 0, QW_TEST_RANDOM, 7);
  assert_events (e2, "E Message exceeds the size limit of 1048576 bytes", "M [1]", NULL);
}
END_TEST

START_TEST (test_size_cap_exact)
{
  g_autoptr(GString) fits = string_message (100);
  g_autoptr(GString) over = string_message (101);
  g_autoptr(GPtrArray) e1 = frame_str (fits->str, 100, 0);
  g_autoptr(GPtrArray) e2 = frame_str (over->str, 100, 0);
  g_autoptr(GPtrArray) e3 = NULL;
  g_autofree char *want = g_strdup_printf ("M %s", fits->str);

  assert_events (e1, want, NULL);
  assert_events (e2, "E Message exceeds the size limit of 100 bytes", NULL);

  /* a top-level number over the cap, ended by a delimiter */
  e3 = frame_str ("123456789012 [1]", 10, 0);
  assert_events (e3, "E Message exceeds the size limit of 10 bytes", "M [1]", NULL);
}
END_TEST

START_TEST (test_size_cap_then_errors)
{
  /* after the cap error, neither a grammar error nor a reset in the
   * same message adds a second error */
  g_autoptr(GPtrArray) e1 = frame_str ("{\"a\":\"xxxxxxxxxxxxxxxxxxxx\",\"b\":bad}[1]", 16, 0);
  g_autoptr(GPtrArray) e2 = frame_str ("[\"xxxxxxxxxxxxxxxxxxxxxxxxx\xff[1]", 16, 0);
  g_autoptr(GPtrArray) e3 = frame_str ("{\"a\":1,\"a\":2,\"b\":\"xxxxxxxxxxxxxxxxxx\"}[1]", 16, 0);

  assert_events (e1, "E Message exceeds the size limit of 16 bytes", "M [1]", NULL);
  assert_events (e2, "E Message exceeds the size limit of 16 bytes", "M [1]", NULL);
  assert_events (e3, "E Message exceeds the size limit of 16 bytes", "M [1]", NULL);
}
END_TEST

START_TEST (test_memory_bounded_garbage)
{
  /* 8 MiB that never ends a message: one error, nothing kept */
  gsize len = 8 * MIB;
  g_autofree guint8 *open_brackets = g_malloc (len);
  g_autofree guint8 *long_string = g_malloc (len);
  g_autoptr(GPtrArray) e1 = NULL;
  g_autoptr(GPtrArray) e2 = NULL;

  memset (open_brackets, '[', len);
  e1 = qw_test_frame (open_brackets, len, 0, 0, QW_TEST_RANDOM, 3);
  assert_events (e1, "E JSON parse error, nesting deeper than 64 levels", NULL);

  memset (long_string, 'a', len);
  long_string[0] = '"';
  e2 = qw_test_frame (long_string, len, 0, 0, QW_TEST_RANDOM, 3);
  assert_events (e2, "E Message exceeds the size limit of 1048576 bytes", NULL);
}
END_TEST

START_TEST (test_array_100k)
{
  g_autoptr(GString) str = g_string_new ("[");
  g_autoptr(GPtrArray) e1 = NULL;
  g_autoptr(GPtrArray) e2 = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  for (guint i = 0; i < 100000; i++)
    g_string_append (str, i == 0 ? "0" : ",0");
  g_string_append (str, "]");
  ck_assert_uint_lt (str->len, QW_FRAMER_DEFAULT_MAX_MESSAGE);

  e1 = qw_test_frame ((const guint8 *) str->str, str->len, 0, 0, QW_TEST_RANDOM, 9);
  ck_assert_uint_eq (e1->len, 1);
  ck_assert_str_eq ((const char *) g_ptr_array_index (e1, 0) + 2, str->str);
  ck_assert (json_parser_load_from_data (parser, (const char *) g_ptr_array_index (e1, 0) + 2, -1, NULL));
  root = json_parser_get_root (parser);
  ck_assert_uint_eq (json_array_get_length (json_node_get_array (root)), 100000);

  /* with a cap below its size */
  e2 = qw_test_frame ((const guint8 *) str->str, str->len, 150000, 0, QW_TEST_RANDOM, 9);
  assert_events (e2, "E Message exceeds the size limit of 150000 bytes", NULL);
}
END_TEST

START_TEST (test_depth_limit)
{
  g_autoptr(GPtrArray) e1 = frame_str ("[[[1]]] {\"a\":{\"b\":{}}}", 0, 3);
  g_autoptr(GPtrArray) e2 = frame_str ("[[[[1]]]] {\"a\":{\"b\":{\"c\":{}}}} [1]", 0, 3);
  g_autoptr(GPtrArray) e3 = frame_str ("[[[[[[[[[[1]]]]]]]]]]", 0, 1);

  assert_events (e1, "M [[[1]]]", "M {\"a\":{\"b\":{}}}", NULL);
  assert_events (e2, "E JSON parse error, nesting deeper than 3 levels",
                 "E JSON parse error, nesting deeper than 3 levels", "M [1]", NULL);
  assert_events (e3, "E JSON parse error, nesting deeper than 1 levels", NULL);
}
END_TEST

START_TEST (test_duplicate_keys)
{
  g_autoptr(GPtrArray) e1 = frame_str ("{\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":2}]}", 0, 0);
  g_autoptr(GPtrArray) e2 = frame_str ("{\"\\u00e9\":1,\"\xc3\xa9\":2}", 0, 0);
  g_autoptr(GPtrArray) e3 = frame_str ("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", 0, 0);
  g_autoptr(GPtrArray) e4 = frame_str ("{\"a\\nb\":1,\"a\\u000ab\":2}", 0, 0);
  g_autoptr(GPtrArray) e5 = frame_str ("{\"ab\":1,\"a\":2,\"b\":3}", 0, 0);

  assert_events (e1, "M {\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":2}]}", NULL);
  assert_events (e2, "E JSON parse error, duplicate key '\xc3\xa9'", NULL);
  assert_events (e3, "E JSON parse error, duplicate key '\xf0\x9f\x98\x80'", NULL);
  /* control characters are masked in the text */
  assert_events (e4, "E JSON parse error, duplicate key 'a?b'", NULL);
  assert_events (e5, "M {\"ab\":1,\"a\":2,\"b\":3}", NULL);
}
END_TEST

START_TEST (test_duplicate_keys_many)
{
  g_autoptr(GString) str = g_string_new ("{");
  g_autoptr(GPtrArray) e1 = NULL;
  g_autoptr(GPtrArray) e2 = NULL;
  g_autofree char *want = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append_printf (str, "%s\"k%u\":%u", i == 0 ? "" : ",", i, i);
  g_string_append (str, "}");
  /* about 1.5 MiB, so with a bigger cap */
  want = g_strdup_printf ("M %s", str->str);
  e1 = qw_test_frame ((const guint8 *) str->str, str->len, 4 * MIB, 0, QW_TEST_WHOLE, 0);
  assert_events (e1, want, NULL);

  /* the same with one repeated name at the very end */
  g_string_truncate (str, str->len - 1);
  g_string_append (str, ",\"k77777\":0}");
  e2 = qw_test_frame ((const guint8 *) str->str, str->len, 4 * MIB, 0, QW_TEST_WHOLE, 0);
  assert_events (e2, "E JSON parse error, duplicate key 'k77777'", NULL);
}
END_TEST

START_TEST (test_duplicate_key_long)
{
  g_autoptr(GString) key = g_string_new (NULL);
  g_autofree char *input = NULL;
  g_autofree char *want = NULL;
  g_autoptr(GPtrArray) events = NULL;

  for (guint i = 0; i < 200; i++)
    g_string_append_c (key, 'a' + i % 26);
  input = g_strdup_printf ("{\"%s\":1,\"%s\":2}", key->str, key->str);
  g_string_truncate (key, 64);
  want = g_strdup_printf ("E JSON parse error, duplicate key '%s...'", key->str);
  events = frame_str (input, 0, 0);
  assert_events (events, want, NULL);
}
END_TEST

START_TEST (test_int64_boundaries)
{
  g_autoptr(GPtrArray) events =
    frame_str ("[9223372036854775807] [9223372036854775808] [-9223372036854775808] "
               "[-9223372036854775809] [9223372036854775807.0] [-9223372036854775809e0] "
               "[18446744073709551616] [00]",
               0, 0);
  g_autoptr(JsonParser) parser = json_parser_new ();

  assert_events (events, "M [9223372036854775807]", "E JSON parse error, integer out of range",
                 "M [-9223372036854775808]", "E JSON parse error, integer out of range",
                 "M [9223372036854775807.0]", "M [-9223372036854775809e0]",
                 "E JSON parse error, integer out of range",
                 "E JSON parse error, invalid number, leading zero", NULL);

  /* and json-glib reads the edges as they are */
  ck_assert (json_parser_load_from_data (parser, "[9223372036854775807,-9223372036854775808]", -1, NULL));
  ck_assert_int_eq (json_array_get_int_element (json_node_get_array (json_parser_get_root (parser)), 0),
                    G_MAXINT64);
  ck_assert_int_eq (json_array_get_int_element (json_node_get_array (json_parser_get_root (parser)), 1),
                    G_MININT64);
}
END_TEST

START_TEST (test_defaults)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GPtrArray) events = NULL;

  for (guint i = 0; i < 65; i++)
    g_string_prepend_c (deep, '[');
  for (guint i = 0; i < 65; i++)
    g_string_append_c (deep, ']');
  events = frame_str (deep->str, 0, 0);
  assert_events (events, "E JSON parse error, nesting deeper than 64 levels", NULL);
}
END_TEST

static Suite *
framer_suite (void)
{
  Suite *s = suite_create ("framer");
  TCase *tc = tcase_create ("framer");

  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_corpus_accept);
  tcase_add_test (tc, test_corpus_reject);
  tcase_add_test (tc, test_resync_idle_silent);
  tcase_add_test (tc, test_resync_mid_message);
  tcase_add_test (tc, test_reset_api);
  tcase_add_test (tc, test_control_chars);
  tcase_add_test (tc, test_top_level_scalar_waits_for_delimiter);
  tcase_add_test (tc, test_one_error_per_message);
  tcase_add_test (tc, test_size_cap_2mib);
  tcase_add_test (tc, test_size_cap_2mib_bytewise);
  tcase_add_test (tc, test_size_cap_1mib_strings);
  tcase_add_test (tc, test_size_cap_exact);
  tcase_add_test (tc, test_size_cap_then_errors);
  tcase_add_test (tc, test_memory_bounded_garbage);
  tcase_add_test (tc, test_array_100k);
  tcase_add_test (tc, test_depth_limit);
  tcase_add_test (tc, test_duplicate_keys);
  tcase_add_test (tc, test_duplicate_keys_many);
  tcase_add_test (tc, test_duplicate_key_long);
  tcase_add_test (tc, test_int64_boundaries);
  tcase_add_test (tc, test_defaults);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return qw_test_run (framer_suite ());
}
