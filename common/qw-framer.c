/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-framer: an incremental, validating JSON message framer.
 *
 * One byte at a time, with an explicit stack of open containers and no
 * recursion, so the result never depends on how the input was chunked.
 * Each step may ask to look at the same byte again (a number ends at the
 * byte after it; an error hands its byte to the recovery). */

#include "qw-framer.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "qw-framer-private.h"

/* allocations above this are released after their message, so that one
 * big message does not pin memory for the life of the connection */
#define QW_FRAMER_KEEP_BYTES (64 * 1024)

static gboolean
qw_framer_is_space (guint8 c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
qw_framer_is_structural (guint8 c)
{
  return c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':';
}

static gboolean
qw_framer_is_value_start (guint8 c)
{
  return c == '{' || c == '[' || c == '"' || c == '-' || g_ascii_isdigit (c) || c == 't' ||
         c == 'f' || c == 'n';
}

/* "character 'x'" for printable ASCII, else "byte 0xNN" */
static void
qw_framer_describe (guint8 c, char *out, gsize size)
{
  if (c > 0x20 && c < 0x7f)
    g_snprintf (out, size, "character '%c'", c);
  else
    g_snprintf (out, size, "byte 0x%02x", c);
}

static void
qw_framer_emit_error (QwFramer *self, const char *desc)
{
  self->func (QW_FRAME_ERROR, desc, strlen (desc), self->user_data);
}

static void
qw_framer_drop_buffers (QwFramer *self)
{
  if (self->buf->len > QW_FRAMER_KEEP_BYTES)
    {
      g_byte_array_unref (self->buf);
      self->buf = g_byte_array_new ();
      self->buf_cap = 0;
    }
  else
    g_byte_array_set_size (self->buf, 0);
  if (self->keys->len > QW_FRAMER_KEEP_BYTES)
    {
      g_byte_array_unref (self->keys);
      self->keys = g_byte_array_new ();
    }
  else
    g_byte_array_set_size (self->keys, 0);
  if (self->key_offsets->len > QW_FRAMER_KEEP_BYTES / sizeof (guint))
    {
      g_array_unref (self->key_offsets);
      self->key_offsets = g_array_new (FALSE, FALSE, sizeof (guint));
    }
  else
    g_array_set_size (self->key_offsets, 0);
}

/* back to idle, forgetting the message */
static void
qw_framer_clear (QwFramer *self)
{
  qw_framer_drop_buffers (self);
  g_array_set_size (self->frames, 0);
  self->reported = FALSE;
  self->discarding = FALSE;
  self->high_surrogate = 0;
  self->state = QW_STATE_IDLE;
}

/* report a grammar error (once per message) and start skipping; always
 * returns TRUE because the recovery looks at the offending byte again */
gboolean
qw_framer_fail (QwFramer *self, const char *format, ...)
{
  gboolean in_string = self->state == QW_STATE_STRING;

  if (!self->reported)
    {
      va_list args;
      g_autofree char *reason = NULL;
      g_autofree char *desc = NULL;

      va_start (args, format);
      reason = g_strdup_vprintf (format, args);
      va_end (args);
      desc = g_strdup_printf ("JSON parse error, %s", reason);
      qw_framer_emit_error (self, desc);
    }

  /* the recovery only needs to know how deep we are and whether the next
   * byte is inside a string, possibly escaped */
  self->rec_depth = self->frames->len;
  self->rec_in_string = in_string;
  self->rec_escape =
    in_string && (self->str_state == QW_STR_ESCAPE || self->str_state == QW_STR_LOW_U);
  qw_framer_clear (self);
  self->state = QW_STATE_RECOVER;
  return TRUE;
}

/* room for n more bytes in ->buf (the caller has checked the cap): grow
 * by setting the size, then take the length back */
static void
qw_framer_reserve (QwFramer *self, gsize n)
{
  guint len = self->buf->len;
  gsize want = MAX (MAX ((gsize) 256, (gsize) len * 2), (gsize) len + n);

  self->buf_cap = (guint) MIN (want, self->max_message);
  g_byte_array_set_size (self->buf, self->buf_cap);
  self->buf->len = len;
}

/* store one byte of the message, or refuse the message once it is over
 * the cap; from then on nothing is stored until the message ends */
void
qw_framer_push (QwFramer *self, guint8 c)
{
  if (self->discarding)
    return;
  /* the usual case, one store (a GByteArray append per byte was a sixth
   * of a guest-ping's instructions) */
  if (G_LIKELY (self->buf->len < self->buf_cap))
    {
      self->buf->data[self->buf->len++] = c;
      return;
    }
  if (self->buf->len >= self->max_message)
    {
      g_autofree char *desc = g_strdup_printf ("Message exceeds the size limit of %" G_GSIZE_FORMAT
                                               " bytes",
                                               self->max_message);
      qw_framer_emit_error (self, desc);
      self->reported = TRUE;
      self->discarding = TRUE;
      qw_framer_drop_buffers (self);
      return;
    }
  qw_framer_reserve (self, 1);
  self->buf->data[self->buf->len++] = c;
}

static void
qw_framer_complete (QwFramer *self)
{
  if (!self->reported)
    {
      guint len = self->buf->len;

      /* NUL-terminate for the caller's convenience, outside len */
      g_byte_array_append (self->buf, (const guint8 *) "", 1);
      self->func (QW_FRAME_MESSAGE, (const char *) self->buf->data, len, self->user_data);
    }
  qw_framer_clear (self);
}

/* a value ended; strings and containers delimit themselves, top-level
 * numbers and literals must still be followed by a delimiter */
void
qw_framer_value_done (QwFramer *self, gboolean self_delimiting)
{
  if (self->frames->len > 0)
    self->state = QW_STATE_AFTER_VALUE;
  else if (self_delimiting)
    qw_framer_complete (self);
  else
    self->state = QW_STATE_TOP_END;
}



/* start the value that c opens; TRUE when c must be looked at again */
static gboolean
qw_framer_begin_value (QwFramer *self, guint8 c)
{
  QwFrame frame = { 0 };

  switch (c)
    {
    case '{':
    case '[':
      if (self->frames->len >= self->max_depth)
        return qw_framer_fail (self, "nesting deeper than %u levels", self->max_depth);
      frame.bracket = c;
      frame.keys_start = self->keys->len;
      frame.key_index = self->key_offsets->len;
      g_array_append_val (self->frames, frame);
      self->state = c == '{' ? QW_STATE_OBJECT_FIRST : QW_STATE_ARRAY_FIRST;
      qw_framer_push (self, c);
      return FALSE;
    case '"':
      qw_framer_begin_string (self, FALSE);
      return FALSE;
    case 't':
    case 'f':
    case 'n':
      self->state = QW_STATE_LITERAL;
      self->literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
      self->literal_pos = 1;
      qw_framer_push (self, c);
      return FALSE;
    default:
      break;
    }

  /* a number: '-' or a digit */
  self->state = QW_STATE_NUMBER;
  self->num_start = self->buf->len;
  self->num_negative = c == '-';
  self->num_is_int = TRUE;
  self->num_overflow = FALSE;
  self->num_magnitude = 0;
  if (c == '-')
    self->num_state = QW_NUM_MINUS;
  else if (c == '0')
    self->num_state = QW_NUM_ZERO;
  else
    {
      self->num_state = QW_NUM_INT;
      self->num_magnitude = c - '0';
    }
  qw_framer_push (self, c);
  return FALSE;
}

/* a byte that is not a value where one is required */
static gboolean
qw_framer_fail_value (QwFramer *self, guint8 c)
{
  char what[32];

  if (qw_framer_is_structural (c))
    return qw_framer_fail (self, "expecting value");
  qw_framer_describe (c, what, sizeof (what));
  return qw_framer_fail (self, "unexpected %s", what);
}




static gboolean
qw_framer_close (QwFramer *self, guint8 c)
{
  QwFrame *frame = &g_array_index (self->frames, QwFrame, self->frames->len - 1);

  /* while discarding, names are not kept and their offsets are stale */
  if (!self->discarding)
    {
      if (frame->bracket == '{')
        {
          g_autofree char *dup = qw_framer_duplicate_key (self, frame->key_index);

          if (dup != NULL)
            return qw_framer_fail (self, "duplicate key '%s'", dup);
        }
      g_byte_array_set_size (self->keys, frame->keys_start);
      g_array_set_size (self->key_offsets, frame->key_index);
    }
  g_array_set_size (self->frames, self->frames->len - 1);
  qw_framer_push (self, c);
  qw_framer_value_done (self, TRUE);
  return FALSE;
}




static gboolean
qw_framer_number_is_complete (const QwFramer *self)
{
  return self->num_state == QW_NUM_ZERO || self->num_state == QW_NUM_INT ||
         self->num_state == QW_NUM_FRAC || self->num_state == QW_NUM_EXP;
}

/* what json-glib would get wrong about a complete number, or NULL */
static const char *
qw_framer_number_check (QwFramer *self)
{
  gdouble value;

  if (self->discarding)
    return NULL;
  if (self->num_is_int)
    {
      /* json-glib wraps integers past int64 around */
      return self->num_overflow ? "integer out of range" : NULL;
    }

  /* json-glib turns 1e400 into inf, and then generates "inf.0" */
  g_byte_array_append (self->buf, (const guint8 *) "", 1);
  value = g_ascii_strtod ((const char *) self->buf->data + self->num_start, NULL);
  g_byte_array_set_size (self->buf, self->buf->len - 1);
  if (!isfinite (value))
    return "number out of range";
  return NULL;
}

/* c ends the number: check it, then let the container look at c */
static gboolean
qw_framer_number_end (QwFramer *self)
{
  const char *reason = qw_framer_number_check (self);

  if (reason != NULL)
    return qw_framer_fail (self, "%s", reason);
  qw_framer_value_done (self, FALSE);
  return TRUE;
}

static gboolean
qw_framer_number (QwFramer *self, guint8 c)
{
  gboolean digit = g_ascii_isdigit (c);

  switch (self->num_state)
    {
    case QW_NUM_MINUS:
      if (!digit)
        return qw_framer_fail (self, "invalid number");
      self->num_state = c == '0' ? QW_NUM_ZERO : QW_NUM_INT;
      self->num_magnitude = c - '0';
      qw_framer_push (self, c);
      return FALSE;
    case QW_NUM_ZERO:
      if (digit)
        return qw_framer_fail (self, "invalid number, leading zero");
      break;
    case QW_NUM_INT:
      if (digit)
        {
          guint64 limit = self->num_negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
          guint d = c - '0';

          if (self->num_overflow || self->num_magnitude > (limit - d) / 10)
            self->num_overflow = TRUE;
          else
            self->num_magnitude = self->num_magnitude * 10 + d;
          qw_framer_push (self, c);
          return FALSE;
        }
      break;
    case QW_NUM_DOT:
      if (!digit)
        return qw_framer_fail (self, "invalid number");
      self->num_state = QW_NUM_FRAC;
      qw_framer_push (self, c);
      return FALSE;
    case QW_NUM_EXP_MARK:
      if (c == '+' || c == '-')
        {
          self->num_state = QW_NUM_EXP_SIGN;
          qw_framer_push (self, c);
          return FALSE;
        }
      G_GNUC_FALLTHROUGH;
    case QW_NUM_EXP_SIGN:
      if (!digit)
        return qw_framer_fail (self, "invalid number");
      self->num_state = QW_NUM_EXP;
      qw_framer_push (self, c);
      return FALSE;
    case QW_NUM_FRAC:
    case QW_NUM_EXP:
      if (digit)
        {
          qw_framer_push (self, c);
          return FALSE;
        }
      break;
    default:
      g_assert_not_reached ();
    }

  /* a complete number so far: it goes on or it ends at c */
  if (c == '.' && (self->num_state == QW_NUM_ZERO || self->num_state == QW_NUM_INT))
    {
      self->num_is_int = FALSE;
      self->num_state = QW_NUM_DOT;
      qw_framer_push (self, c);
      return FALSE;
    }
  if ((c == 'e' || c == 'E') && self->num_state != QW_NUM_EXP)
    {
      self->num_is_int = FALSE;
      self->num_state = QW_NUM_EXP_MARK;
      qw_framer_push (self, c);
      return FALSE;
    }
  return qw_framer_number_end (self);
}

/* after a grammar error: skip to a resync point, see qw-framer.h */
static gboolean
qw_framer_recover (QwFramer *self, guint8 c)
{
  /* a raw newline can never be inside a valid string, so it ends the
   * recovery wherever it is: line-based clients resync on the next line */
  if (c == '\n')
    {
      self->state = QW_STATE_IDLE;
      return FALSE;
    }
  if (self->rec_in_string)
    {
      if (self->rec_escape)
        self->rec_escape = FALSE;
      else if (c == '\\')
        self->rec_escape = TRUE;
      else if (c == '"')
        self->rec_in_string = FALSE;
      return FALSE;
    }
  if (self->rec_depth == 0)
    {
      /* garbage at top level: one error for the whole line, unless a
       * request starts on it */
      if (c == '{' || c == '[')
        {
          self->state = QW_STATE_IDLE;
          return TRUE;
        }
      return FALSE;
    }
  switch (c)
    {
    case '"':
      self->rec_in_string = TRUE;
      break;
    case '{':
    case '[':
      self->rec_depth++;
      break;
    case '}':
    case ']':
      if (--self->rec_depth == 0)
        self->state = QW_STATE_IDLE;
      break;
    default:
      break;
    }
  return FALSE;
}

/* a resync byte or a control character outside a string */
static void
qw_framer_interrupt (QwFramer *self, const char *why)
{
  switch (self->state)
    {
    case QW_STATE_IDLE:
    case QW_STATE_RECOVER:
      break;
    case QW_STATE_TOP_END:
      /* a top-level scalar ends at any delimiter */
      qw_framer_complete (self);
      break;
    case QW_STATE_NUMBER:
      if (self->frames->len == 0 && qw_framer_number_is_complete (self))
        {
          const char *reason = qw_framer_number_check (self);

          if (reason != NULL)
            (void) qw_framer_fail (self, "%s", reason);
          else
            qw_framer_complete (self);
          break;
        }
      G_GNUC_FALLTHROUGH;
    default:
      if (!self->reported)
        {
          g_autofree char *desc = g_strdup_printf ("JSON parse error, message interrupted by %s", why);
          qw_framer_emit_error (self, desc);
        }
      break;
    }
  qw_framer_clear (self);
}

/* one byte; TRUE when the same byte must be looked at again */
static gboolean
qw_framer_step (QwFramer *self, guint8 c)
{
  char what[32];

  if (c == 0xff || c == 0xfe)
    {
      qw_framer_interrupt (self, "a resync byte");
      return FALSE;
    }
  if (c < 0x20 && !qw_framer_is_space (c) && self->state != QW_STATE_STRING &&
      !(self->state == QW_STATE_RECOVER && self->rec_in_string))
    {
      g_autofree char *why = g_strdup_printf ("control character 0x%02x", c);
      qw_framer_interrupt (self, why);
      return FALSE;
    }

  switch (self->state)
    {
    case QW_STATE_IDLE:
      if (qw_framer_is_space (c))
        return FALSE;
      if (qw_framer_is_value_start (c))
        return qw_framer_begin_value (self, c);
      qw_framer_describe (c, what, sizeof (what));
      return qw_framer_fail (self, "unexpected %s", what);

    case QW_STATE_ARRAY_FIRST:
    case QW_STATE_ARRAY_NEXT:
    case QW_STATE_MEMBER_VALUE:
      if (qw_framer_is_space (c))
        {
          qw_framer_push (self, c);
          return FALSE;
        }
      if (qw_framer_is_value_start (c))
        return qw_framer_begin_value (self, c);
      if (c == ']' && self->state == QW_STATE_ARRAY_FIRST)
        return qw_framer_close (self, c);
      if (c == ']' && self->state == QW_STATE_ARRAY_NEXT)
        return qw_framer_fail (self, "trailing comma");
      return qw_framer_fail_value (self, c);

    case QW_STATE_OBJECT_FIRST:
    case QW_STATE_OBJECT_NEXT:
      if (qw_framer_is_space (c))
        {
          qw_framer_push (self, c);
          return FALSE;
        }
      if (c == '"')
        {
          qw_framer_begin_string (self, TRUE);
          return FALSE;
        }
      if (c == '}' && self->state == QW_STATE_OBJECT_FIRST)
        return qw_framer_close (self, c);
      if (c == '}')
        return qw_framer_fail (self, "trailing comma");
      return qw_framer_fail (self, "expecting member name");

    case QW_STATE_COLON:
      if (qw_framer_is_space (c))
        {
          qw_framer_push (self, c);
          return FALSE;
        }
      if (c != ':')
        return qw_framer_fail (self, "expecting ':'");
      qw_framer_push (self, c);
      self->state = QW_STATE_MEMBER_VALUE;
      return FALSE;

    case QW_STATE_AFTER_VALUE:
      {
        guint8 bracket = g_array_index (self->frames, QwFrame, self->frames->len - 1).bracket;
        guint8 closer = bracket == '{' ? '}' : ']';

        if (qw_framer_is_space (c))
          {
            qw_framer_push (self, c);
            return FALSE;
          }
        if (c == closer)
          return qw_framer_close (self, c);
        if (c != ',')
          return qw_framer_fail (self, "expecting ',' or '%c'", closer);
        qw_framer_push (self, c);
        self->state = bracket == '{' ? QW_STATE_OBJECT_NEXT : QW_STATE_ARRAY_NEXT;
        return FALSE;
      }

    case QW_STATE_STRING:
      return qw_framer_string (self, c);

    case QW_STATE_NUMBER:
      return qw_framer_number (self, c);

    case QW_STATE_LITERAL:
      if (c != (guint8) self->literal[self->literal_pos])
        return qw_framer_fail (self, "invalid literal, expecting '%s'", self->literal);
      qw_framer_push (self, c);
      if (self->literal[++self->literal_pos] == '\0')
        qw_framer_value_done (self, FALSE);
      return FALSE;

    case QW_STATE_TOP_END:
      if (qw_framer_is_space (c) || qw_framer_is_structural (c))
        {
          qw_framer_complete (self);
          return TRUE;
        }
      qw_framer_describe (c, what, sizeof (what));
      return qw_framer_fail (self, "unexpected %s after a value", what);

    case QW_STATE_RECOVER:
      return qw_framer_recover (self, c);

    default:
      g_assert_not_reached ();
    }
}

/**
 * qw_framer_new:
 * @max_message: the size cap of one message in bytes, 0 for the default
 * @max_depth: the deepest nesting allowed, 0 for the default
 * @func: called for every message and every error
 * @user_data: passed to @func
 *
 * Returns: (transfer full): a new framer
 */
QwFramer *
qw_framer_new (gsize max_message, guint max_depth, QwFrameFunc func, gpointer user_data)
{
  QwFramer *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (QwFramer, 1);
  self->max_message = max_message != 0 ? max_message : QW_FRAMER_DEFAULT_MAX_MESSAGE;
  /* buffer offsets are guint, and the NUL needs one more byte */
  self->max_message = MIN (self->max_message, (gsize) G_MAXUINT - 1);
  self->max_depth = max_depth != 0 ? max_depth : QW_FRAMER_DEFAULT_MAX_DEPTH;
  self->func = func;
  self->user_data = user_data;
  self->buf = g_byte_array_new ();
  self->frames = g_array_new (FALSE, FALSE, sizeof (QwFrame));
  self->keys = g_byte_array_new ();
  self->key_offsets = g_array_new (FALSE, FALSE, sizeof (guint));
  self->state = QW_STATE_IDLE;
  return self;
}

void
qw_framer_free (QwFramer *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->buf);
  g_array_unref (self->frames);
  g_byte_array_unref (self->keys);
  g_array_unref (self->key_offsets);
  g_free (self);
}

void
qw_framer_feed (QwFramer *self, const guint8 *data, gsize len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  for (gsize i = 0; i < len; i++)
    {
      /* inside a string, a run of plain ASCII is stored at once: the same
       * as stepping through it byte by byte, at a fraction of the cost */
      if (self->state == QW_STATE_STRING && self->str_state == QW_STR_CHAR
          && self->utf8_need == 0 && !self->discarding)
        {
          gsize j = i;

          while (j < len && data[j] >= 0x20 && data[j] < 0x80 && data[j] != '"'
                 && data[j] != '\\')
            j++;
          if (j - i > 1 && self->buf->len + (j - i) <= self->max_message)
            {
              if (self->buf->len + (j - i) > self->buf_cap)
                qw_framer_reserve (self, j - i);
              memcpy (self->buf->data + self->buf->len, data + i, j - i);
              self->buf->len += (guint) (j - i);
              if (self->str_is_key)
                g_byte_array_append (self->keys, data + i, (guint) (j - i));
              i = j;
              if (i == len)
                break;
            }
          else
            {
              /* over the cap: byte by byte, which reports it; never scan
               * the same run twice */
              for (; i + 1 < j; i++)
                while (qw_framer_step (self, data[i]))
                  ;
            }
        }
      while (qw_framer_step (self, data[i]))
        ;
    }
}

void
qw_framer_reset (QwFramer *self)
{
  g_return_if_fail (self != NULL);
  qw_framer_clear (self);
}

gboolean
qw_framer_is_idle (const QwFramer *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->state == QW_STATE_IDLE;
}

gsize
qw_framer_buffered (const QwFramer *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->buf->len;
}
