/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-framer internals, shared by qw-framer.c (structure, numbers, limits,
 * resync and recovery) and qw-framer-string.c (strings, UTF-8, escapes,
 * member names).  Not installed, not for the agent. */
#pragma once

#include "qw-framer.h"

G_BEGIN_DECLS

typedef enum
{
  QW_STATE_IDLE,         /* between messages: whitespace is skipped */
  QW_STATE_ARRAY_FIRST,  /* after '[': a value or ']' */
  QW_STATE_ARRAY_NEXT,   /* after ',' in an array: a value */
  QW_STATE_MEMBER_VALUE, /* after ':': a value */
  QW_STATE_OBJECT_FIRST, /* after '{': a member name or '}' */
  QW_STATE_OBJECT_NEXT,  /* after ',' in an object: a member name */
  QW_STATE_COLON,        /* after a member name: ':' */
  QW_STATE_AFTER_VALUE,  /* after a value in a container: ',' or its closing bracket */
  QW_STATE_STRING,
  QW_STATE_NUMBER,
  QW_STATE_LITERAL,
  QW_STATE_TOP_END,      /* a top-level number or literal, waiting for a delimiter */
  QW_STATE_RECOVER,      /* skipping input after a grammar error */
} QwState;

typedef enum
{
  QW_STR_CHAR,           /* plain content */
  QW_STR_ESCAPE,         /* after '\' */
  QW_STR_HEX,            /* inside the four digits of \uXXXX */
  QW_STR_LOW_BACKSLASH,  /* after a high surrogate: '\' of the low one */
  QW_STR_LOW_U,          /* after a high surrogate and '\': 'u' */
} QwStrState;

typedef enum
{
  QW_NUM_MINUS,          /* after '-' */
  QW_NUM_ZERO,           /* a leading '0' */
  QW_NUM_INT,            /* integer digits */
  QW_NUM_DOT,            /* after '.' */
  QW_NUM_FRAC,           /* fraction digits */
  QW_NUM_EXP_MARK,       /* after 'e' */
  QW_NUM_EXP_SIGN,       /* after 'e+' or 'e-' */
  QW_NUM_EXP,            /* exponent digits */
} QwNumState;

typedef struct
{
  guint8 bracket;        /* '{' or '[' */
  guint keys_start;      /* where this object's names start in ->keys */
  guint key_index;       /* its first entry in ->key_offsets */
} QwFrame;

struct _QwFramer
{
  gsize max_message;
  guint max_depth;
  QwFrameFunc func;
  gpointer user_data;

  QwState state;
  GByteArray *buf;       /* the message so far */
  guint buf_cap;         /* bytes ->buf holds without growing, at most max_message */
  GArray *frames;        /* QwFrame: the open containers, innermost last */
  gboolean reported;     /* an error was already emitted for this message */
  gboolean discarding;   /* over the size cap: lex to its end, store nothing */

  /* strings */
  QwStrState str_state;
  gboolean str_is_key;
  guint utf8_need;       /* continuation bytes still expected */
  guint8 utf8_lo;        /* allowed range of the next continuation byte */
  guint8 utf8_hi;
  guint hex_count;
  gunichar hex_value;
  gunichar high_surrogate;

  /* decoded member names of the open objects, each NUL-terminated, so that
   * duplicates are found by value ("a" and "\u0061" are the same name) */
  GByteArray *keys;
  GArray *key_offsets;   /* guint: start of each name in ->keys */
  guint key_start;

  /* numbers */
  QwNumState num_state;
  guint num_start;       /* offset of the number in ->buf */
  gboolean num_negative;
  gboolean num_is_int;
  gboolean num_overflow;
  guint64 num_magnitude;

  /* literals */
  const char *literal;
  guint literal_pos;

  /* recovery */
  gsize rec_depth;
  gboolean rec_in_string;
  gboolean rec_escape;
};

/* qw-framer.c */
gboolean qw_framer_fail (QwFramer *self, const char *format, ...) G_GNUC_PRINTF (2, 3);
void qw_framer_push (QwFramer *self, guint8 c);
void qw_framer_value_done (QwFramer *self, gboolean self_delimiting);

/* qw-framer-string.c */
void qw_framer_begin_string (QwFramer *self, gboolean is_key);
gboolean qw_framer_string (QwFramer *self, guint8 c);
char *qw_framer_duplicate_key (QwFramer *self, guint first);

G_END_DECLS
