/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helpers shared by the common/ unit tests: collect framer events as
 * "M text" / "E desc" strings and run Check suites */
#pragma once

#include <check.h>
#include <glib.h>
#include <stdlib.h>

#include "qw-framer.h"

typedef enum
{
  QW_TEST_WHOLE,    /* one feed call */
  QW_TEST_BYTES,    /* one byte per call */
  QW_TEST_RANDOM,   /* random chunks of 1..97 bytes from a fixed seed */
} QwTestChunking;

typedef struct
{
  GPtrArray *events;
  gsize cap;
} QwTestCollector;

static inline void
qw_test_collect_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  QwTestCollector *collector = user_data;

  /* the text is NUL-terminated and has no NUL of its own */
  ck_assert_int_eq (text[len], '\0');
  ck_assert_uint_eq (strlen (text), len);
  g_ptr_array_add (collector->events,
                   g_strdup_printf ("%c %s", kind == QW_FRAME_MESSAGE ? 'M' : 'E', text));
}

/* feed data with the given chunking into a fresh framer; checks after
 * every call that the buffered bytes stay under the cap */
static inline GPtrArray *
qw_test_frame (const guint8 *data,
               gsize len,
               gsize cap,
               guint depth,
               QwTestChunking chunking,
               guint32 seed)
{
  QwTestCollector collector = { g_ptr_array_new_with_free_func (g_free), cap };
  g_autoptr(QwFramer) framer = qw_framer_new (cap, depth, qw_test_collect_cb, &collector);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  gsize effective_cap = cap != 0 ? cap : QW_FRAMER_DEFAULT_MAX_MESSAGE;
  gsize off = 0;

  while (off < len)
    {
      gsize n = len - off;

      if (chunking == QW_TEST_BYTES)
        n = 1;
      else if (chunking == QW_TEST_RANDOM)
        {
          gsize chunk = g_rand_int_range (rand, 1, 98);

          n = MIN (n, chunk);
        }
      qw_framer_feed (framer, data + off, n);
      ck_assert_uint_le (qw_framer_buffered (framer), effective_cap);
      off += n;
    }
  return collector.events;
}

/* the first difference between two event lists, or NULL */
static inline char *
qw_test_events_diff (GPtrArray *expected, GPtrArray *got)
{
  for (guint i = 0; i < MAX (expected->len, got->len); i++)
    {
      const char *e = i < expected->len ? g_ptr_array_index (expected, i) : "(nothing)";
      const char *g = i < got->len ? g_ptr_array_index (got, i) : "(nothing)";

      if (g_strcmp0 (e, g) != 0)
        return g_strdup_printf ("event %u: expected <%.200s> got <%.200s>", i, e, g);
    }
  return NULL;
}

/* run a suite the usual way; CK_FORK=no in the environment for valgrind */
static inline int
qw_test_run (Suite *suite)
{
  SRunner *runner = srunner_create (suite);
  int failed;

  srunner_run_all (runner, CK_ENV);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
