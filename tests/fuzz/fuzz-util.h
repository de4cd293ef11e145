/* SPDX-License-Identifier: GPL-2.0-or-later */
/* what every libFuzzer target here shares: an invariant check that
 * aborts (libFuzzer keeps the input), and a GLib log writer that turns the
 * messages a target forbids into aborts */
#pragma once

#include <glib.h>
#include <stdlib.h>

static inline void
fuzz_check (gboolean ok, const char *what)
{
  if (!ok)
    {
      g_printerr ("invariant broken: %s\n", what);
      abort ();
    }
}

/* user_data: GUINT_TO_POINTER of the GLogLevelFlags that abort; the
 * others are dropped (the code's normal logging, and speed) */
static inline GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                 gpointer user_data)
{
  if ((level & GPOINTER_TO_UINT (user_data)) != 0)
    {
      g_log_writer_standard_streams (level, fields, n_fields, NULL);
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}
