/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-framer: an incremental, validating JSON message framer.
 *
 * Bytes arrive in any chunking.  A message is one complete top-level JSON
 * value (normally an object); the framer checks the full JSON grammar as
 * bytes arrive, so a message it emits is always well-formed.  It is pure:
 * no I/O, no main loop, no allocation beyond the message being built. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define QW_FRAMER_DEFAULT_MAX_MESSAGE (1024 * 1024)
#define QW_FRAMER_DEFAULT_MAX_DEPTH 64

typedef struct _QwFramer QwFramer;

typedef enum
{
  /* a complete, grammatically valid JSON value; text is NUL-terminated */
  QW_FRAME_MESSAGE,
  /* input was refused; text is the reply desc, e.g. "JSON parse error, ..." */
  QW_FRAME_ERROR,
} QwFrameKind;

typedef void (*QwFrameFunc) (QwFrameKind kind, const char *text, gsize len, gpointer user_data);

QwFramer *qw_framer_new (gsize max_message, guint max_depth, QwFrameFunc func, gpointer user_data);
void qw_framer_free (QwFramer *framer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QwFramer, qw_framer_free)

/* feed bytes; calls func zero or more times, synchronously */
void qw_framer_feed (QwFramer *framer, const guint8 *data, gsize len);

/* drop any partial message silently (e.g. a reconnect on the same port) */
void qw_framer_reset (QwFramer *framer);

/* TRUE when no partial message is buffered */
gboolean qw_framer_is_idle (const QwFramer *framer);

/* bytes currently buffered for the partial message */
gsize qw_framer_buffered (const QwFramer *framer);

G_END_DECLS
