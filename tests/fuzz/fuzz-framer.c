/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the framer under any chunking.
 *
 * The whole input is framed three times: in one call, one byte per call,
 * and in chunks whose sizes come from the first bytes of the input (so
 * the seed corpus, plain JSON, stays meaningful).  A first byte >= 0x80
 * also selects a small size cap and depth.  Invariants, any failure
 * aborts:
 *  - the three runs give the same events;
 *  - the buffered bytes never exceed the cap, nor does a message;
 *  - every message is valid UTF-8, parses with json-glib, and its
 *    qw_json_compact() text passes the framer as one message that
 *    json-glib reads back to an equal value;
 *  - every error text has one of the two known prefixes. */

#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qw-envelope.h"
#include "qw-framer.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  GPtrArray *events;
  gsize cap;
} Events;

static void
collect_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  Events *ev = user_data;

  fuzz_check (text[len] == '\0' && strlen (text) == len, "text is NUL-terminated, without NUL");
  if (kind == QW_FRAME_MESSAGE)
    {
      fuzz_check (len > 0 && len <= ev->cap, "message within the cap");
      fuzz_check (g_utf8_validate (text, len, NULL), "message is UTF-8");
    }
  else
    fuzz_check (g_str_has_prefix (text, "JSON parse error, ") ||
                  g_str_has_prefix (text, "Message exceeds the size limit of "),
                "error prefix");
  g_ptr_array_add (ev->events, g_strdup_printf ("%c%s", kind == QW_FRAME_MESSAGE ? 'M' : 'E', text));
}

/* n_sizes 0: one call; sizes NULL: one byte per call */
static GPtrArray *
frame (const guint8 *data, gsize len, gsize cap, guint depth, const guint8 *sizes, gsize n_sizes)
{
  Events ev = { g_ptr_array_new_with_free_func (g_free), cap };
  g_autoptr(QwFramer) framer = qw_framer_new (cap, depth, collect_cb, &ev);
  gsize off = 0;
  gsize k = 0;

  while (off < len)
    {
      gsize n = len - off;

      if (n_sizes > 0)
        {
          gsize chunk = sizes != NULL ? 1 + sizes[k++ % n_sizes] % 61 : 1;

          n = MIN (n, chunk);
        }
      qw_framer_feed (framer, data + off, n);
      fuzz_check (qw_framer_buffered (framer) <= cap, "buffered within the cap");
      off += n;
    }
  /* a delimiter ends a pending top-level number or literal */
  qw_framer_feed (framer, (const guint8 *) "\n", 1);
  fuzz_check (qw_framer_buffered (framer) <= cap, "buffered within the cap");
  return ev.events;
}

static void
check_message (const char *text, guint depth)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (text, &error);
  g_autoptr(JsonNode) back = NULL;
  g_autofree char *compact = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gsize len;

  if (node == NULL)
    g_printerr ("json-glib refused <%s>: %s\n", text, error->message);
  fuzz_check (node != NULL, "json-glib parses every message");
  compact = qw_json_compact (node);
  len = strlen (compact);
  events = frame ((const guint8 *) compact, len, len, depth, NULL, 0);
  fuzz_check (events->len == 1, "compact text is one message");
  fuzz_check (strcmp ((const char *) g_ptr_array_index (events, 0) + 1, compact) == 0,
              "compact text frames unchanged");
  back = json_from_string (compact, NULL);
  fuzz_check (back != NULL, "json-glib parses the compact text");
  if (!json_node_equal (node, back))
    g_printerr ("<%s> came back as <%s>\n", text, compact);
  fuzz_check (json_node_equal (node, back), "same value after a round trip");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize cap = QW_FRAMER_DEFAULT_MAX_MESSAGE;
  guint depth = QW_FRAMER_DEFAULT_MAX_DEPTH;
  g_autoptr(GPtrArray) whole = NULL;
  g_autoptr(GPtrArray) bytes = NULL;
  g_autoptr(GPtrArray) chunked = NULL;

  if (size == 0)
    return 0;
  if (data[0] >= 0x80)
    {
      cap = 8 + (data[0] & 0x3f) * 16;
      depth = 1 + (data[0] & 0x07);
    }
  whole = frame (data, size, cap, depth, NULL, 0);
  bytes = frame (data, size, cap, depth, NULL, 1);
  chunked = frame (data, size, cap, depth, data, MIN (size, 16));

  fuzz_check (whole->len <= size + 1, "at most one event per byte");
  fuzz_check (whole->len == bytes->len && whole->len == chunked->len, "same number of events");
  for (guint i = 0; i < whole->len; i++)
    {
      const char *event = g_ptr_array_index (whole, i);

      fuzz_check (strcmp (event, g_ptr_array_index (bytes, i)) == 0, "byte by byte: same events");
      fuzz_check (strcmp (event, g_ptr_array_index (chunked, i)) == 0, "chunked: same events");
      if (event[0] == 'M')
        check_message (event + 1, depth);
    }
  return 0;
}
