/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-framer-string: the string grammar of the framer (escapes, surrogate
 * pairs, UTF-8) and the decoded member names that find duplicate keys */

#include <string.h>

#include "qw-framer-private.h"

/* a long duplicate key is cut in the error text */
#define QW_FRAMER_MAX_KEY_IN_ERROR 64

/* the escapes after '\', except \u, and what they stand for */
static const char qw_framer_escapes[] = "\"\\/bfnrt";
static const char qw_framer_escaped[] = "\"\\/\b\f\n\r\t";

/* UTF-8 lead bytes: how many continuation bytes follow, and the allowed
 * range of the first one, which refuses overlong forms, surrogates and
 * code points past U+10FFFF (RFC 3629, section 4) */
static const struct
{
  guint8 first;
  guint8 last;
  guint8 need;
  guint8 lo;
  guint8 hi;
} qw_framer_utf8_leads[] = {
  { 0xc2, 0xdf, 1, 0x80, 0xbf },
  { 0xe0, 0xe0, 2, 0xa0, 0xbf },
  { 0xe1, 0xec, 2, 0x80, 0xbf },
  { 0xed, 0xed, 2, 0x80, 0x9f },
  { 0xee, 0xef, 2, 0x80, 0xbf },
  { 0xf0, 0xf0, 3, 0x90, 0xbf },
  { 0xf1, 0xf3, 3, 0x80, 0xbf },
  { 0xf4, 0xf4, 3, 0x80, 0x8f },
};

/* member names are decoded as they arrive, so that "a" and "\u0061"
 * compare equal */
static void
qw_framer_key_bytes (QwFramer *self, const guint8 *data, guint len)
{
  if (self->str_is_key && !self->discarding)
    g_byte_array_append (self->keys, data, len);
}

void
qw_framer_begin_string (QwFramer *self, gboolean is_key)
{
  self->state = QW_STATE_STRING;
  self->str_state = QW_STR_CHAR;
  self->str_is_key = is_key;
  self->utf8_need = 0;
  self->high_surrogate = 0;
  self->key_start = self->keys->len;
  qw_framer_push (self, '"');
}

static gboolean
qw_framer_utf8_lead (QwFramer *self, guint8 c)
{
  for (guint i = 0; i < G_N_ELEMENTS (qw_framer_utf8_leads); i++)
    {
      if (c >= qw_framer_utf8_leads[i].first && c <= qw_framer_utf8_leads[i].last)
        {
          self->utf8_need = qw_framer_utf8_leads[i].need;
          self->utf8_lo = qw_framer_utf8_leads[i].lo;
          self->utf8_hi = qw_framer_utf8_leads[i].hi;
          return TRUE;
        }
    }
  return FALSE;
}

/* the four hex digits of a \u escape are in */
static gboolean
qw_framer_codepoint (QwFramer *self)
{
  gunichar value = self->hex_value;
  gunichar cp = value;
  char utf8[6];

  if (self->high_surrogate != 0)
    {
      if (value < 0xdc00 || value > 0xdfff)
        return qw_framer_fail (self, "unpaired surrogate in \\u escape");
      cp = 0x10000 + ((self->high_surrogate - 0xd800) << 10) + (value - 0xdc00);
      self->high_surrogate = 0;
    }
  else if (value >= 0xd800 && value <= 0xdbff)
    {
      self->high_surrogate = value;
      self->str_state = QW_STR_LOW_BACKSLASH;
      return FALSE;
    }
  else if (value >= 0xdc00 && value <= 0xdfff)
    return qw_framer_fail (self, "unpaired surrogate in \\u escape");
  else if (value == 0)
    {
      /* json-glib would cut the string there */
      return qw_framer_fail (self, "\\u0000 is not allowed in strings");
    }
  qw_framer_key_bytes (self, (const guint8 *) utf8, g_unichar_to_utf8 (cp, utf8));
  self->str_state = QW_STR_CHAR;
  return FALSE;
}

/* the closing quote: a value is done, a member name waits for ':' */
static gboolean
qw_framer_string_end (QwFramer *self)
{
  qw_framer_push (self, '"');
  if (!self->str_is_key)
    {
      qw_framer_value_done (self, TRUE);
      return FALSE;
    }
  if (!self->discarding)
    {
      g_byte_array_append (self->keys, (const guint8 *) "", 1);
      g_array_append_val (self->key_offsets, self->key_start);
    }
  self->state = QW_STATE_COLON;
  return FALSE;
}

/* one byte inside a string; TRUE when it must be looked at again */
gboolean
qw_framer_string (QwFramer *self, guint8 c)
{
  const char *escape;

  switch (self->str_state)
    {
    case QW_STR_CHAR:
      if (self->utf8_need > 0)
        {
          if (c < self->utf8_lo || c > self->utf8_hi)
            return qw_framer_fail (self, "invalid UTF-8 in string");
          self->utf8_need--;
          self->utf8_lo = 0x80;
          self->utf8_hi = 0xbf;
        }
      else if (c == '"')
        return qw_framer_string_end (self);
      else if (c == '\\')
        {
          qw_framer_push (self, c);
          self->str_state = QW_STR_ESCAPE;
          return FALSE;
        }
      else if (c < 0x20)
        return qw_framer_fail (self, "control character in string");
      else if (c >= 0x80 && !qw_framer_utf8_lead (self, c))
        return qw_framer_fail (self, "invalid UTF-8 in string");
      qw_framer_push (self, c);
      qw_framer_key_bytes (self, &c, 1);
      return FALSE;

    case QW_STR_ESCAPE:
    case QW_STR_LOW_U:
      if (c == 'u')
        {
          qw_framer_push (self, c);
          self->hex_count = 0;
          self->hex_value = 0;
          self->str_state = QW_STR_HEX;
          return FALSE;
        }
      if (self->str_state == QW_STR_LOW_U)
        return qw_framer_fail (self, "unpaired surrogate in \\u escape");
      escape = c != '\0' ? strchr (qw_framer_escapes, c) : NULL;
      if (escape == NULL)
        return qw_framer_fail (self, "invalid escape sequence");
      qw_framer_push (self, c);
      qw_framer_key_bytes (self, (const guint8 *) &qw_framer_escaped[escape - qw_framer_escapes], 1);
      self->str_state = QW_STR_CHAR;
      return FALSE;

    case QW_STR_HEX:
      if (!g_ascii_isxdigit (c))
        return qw_framer_fail (self, "invalid \\u escape");
      qw_framer_push (self, c);
      self->hex_value = self->hex_value * 16 + g_ascii_xdigit_value (c);
      if (++self->hex_count < 4)
        return FALSE;
      return qw_framer_codepoint (self);

    case QW_STR_LOW_BACKSLASH:
      if (c != '\\')
        return qw_framer_fail (self, "unpaired surrogate in \\u escape");
      qw_framer_push (self, c);
      self->str_state = QW_STR_LOW_U;
      return FALSE;

    default:
      g_assert_not_reached ();
    }
}

static int
qw_framer_key_cmp (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const char *keys = user_data;
  guint off_a = *(const guint *) a;
  guint off_b = *(const guint *) b;
  int rc = strcmp (keys + off_a, keys + off_b);

  if (rc != 0)
    return rc;
  return off_a < off_b ? -1 : off_a > off_b ? 1 : 0;
}

/* a name fit for an error text: short, without control characters */
static char *
qw_framer_key_for_humans (const char *key)
{
  GString *str = g_string_new (NULL);

  for (const char *p = key; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);

      if (str->len >= QW_FRAMER_MAX_KEY_IN_ERROR)
        {
          g_string_append (str, "...");
          break;
        }
      if (ch < 0x20 || ch == 0x7f)
        g_string_append_c (str, '?');
      else
        g_string_append_unichar (str, ch);
    }
  return g_string_free (str, FALSE);
}

/* the names of the object closing now start at entry first of
 * ->key_offsets; returns the name that repeats first in document order,
 * fit for an error text, or NULL.  Sorting once per object keeps a
 * 100,000-member object fast; the entries are dropped right after. */
char *
qw_framer_duplicate_key (QwFramer *self, guint first)
{
  guint n = self->key_offsets->len - first;
  const char *keys = (const char *) self->keys->data;
  const char *found = NULL;
  guint found_at = G_MAXUINT;
  guint *offsets;

  if (n < 2)
    return NULL;
  offsets = &g_array_index (self->key_offsets, guint, first);
  g_qsort_with_data (offsets, n, sizeof (guint), qw_framer_key_cmp, (gpointer) keys);
  for (guint i = 1; i < n; i++)
    {
      /* equal names sort by offset, so offsets[i] is a repetition */
      if (offsets[i] < found_at && strcmp (keys + offsets[i - 1], keys + offsets[i]) == 0)
        {
          found = keys + offsets[i];
          found_at = offsets[i];
        }
    }
  return found != NULL ? qw_framer_key_for_humans (found) : NULL;
}
