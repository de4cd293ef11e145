/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-framer: an incremental, validating JSON message framer.
 *
 * Bytes arrive in any chunking.  A message is one complete top-level JSON
 * value (normally an object); the framer checks the full JSON grammar as
 * bytes arrive, so a message it emits is always well-formed.  It is pure:
 * no I/O, no main loop, no allocation beyond the message being built.
 *
 * Stricter than RFC 8259 where json-glib, which parses the messages later,
 * would silently change them: duplicate member names, integers outside
 * int64, numbers that overflow a double, and \u0000 are refused.
 *
 * Outside a message whitespace is skipped.  0xFF and 0xFE reset the framer
 * anywhere, control characters other than \t \n \r outside strings too; a
 * reset inside a message reports it once, a reset while idle is silent.
 * A top-level number or literal ends at the next delimiter (whitespace, a
 * structural character or a reset).
 *
 * After an error the framer skips input up to a reset byte, a newline, the
 * bracket that closes the erroneous message, or, for garbage at top level,
 * a '{' or '[' that starts the next message.  A string that was open at
 * the error is skipped to its end (a raw newline still ends the skipping).
 * Over the size cap it reports at once, stores nothing
 * more and skips to the end of that message.  Each bad message gives
 * exactly one QW_FRAME_ERROR.
 *
 * The callback's text is valid only during the call.  The callback must
 * not feed, reset or free the framer that called it. */
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

/* TRUE between messages: nothing is buffered and no bad input is being
 * skipped */
gboolean qw_framer_is_idle (const QwFramer *framer);

/* bytes currently buffered for the partial message */
gsize qw_framer_buffered (const QwFramer *framer);

G_END_DECLS
