/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-json-reader: a strict JSON reader that builds json-glib nodes
 * straight from text, without a JsonParser.
 *
 * It takes RFC 8259 JSON and nothing else, and gives up (NULL) on
 * anything it does not build exactly as json-glib 1.6 would: an integer
 * beyond int64, a duplicate member, "\u0000", nesting past
 * QW_JSON_READER_MAX_DEPTH.  A caller that must explain a failure asks
 * json-glib then; the framer has already refused most such input, so that
 * path is rare.  Numbers without '.', 'e' or 'E' are gint64, the others
 * double; members keep their order. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define QW_JSON_READER_MAX_DEPTH 128

/* skip whitespace from *pos */
void qw_json_reader_skip_ws (const char **pos, const char *end);

/* a string at *pos ('"' first); on success *pos is past it */
char *qw_json_reader_string (const char **pos, const char *end);

/* a member read: takes name and value; FALSE stops the reading */
typedef gboolean (*QwJsonMemberFunc) (char *name, JsonNode *value, gpointer user_data);

/* the members of an object at *pos ('{' first), in order, each to func;
 * on success *pos is past the '}' */
gboolean qw_json_reader_object (const char **pos, const char *end, guint depth,
                                QwJsonMemberFunc func, gpointer user_data);

/* a value at *pos; on success *pos is past it */
JsonNode *qw_json_reader_value (const char **pos, const char *end, guint depth);

/* the whole text is one value, whitespace around it allowed */
JsonNode *qw_json_reader_parse (const char *text, gsize len);

G_END_DECLS
