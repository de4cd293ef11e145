/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-envelope: requests in, replies out (the QMP/QGA envelope).
 *
 *   in:  {"execute": NAME, "arguments": {...}, "id": ANY}
 *   out: {"return": VALUE, "id": ANY} or
 *        {"error": {"class": CLASS, "desc": TEXT}, "id": ANY}
 * "id" is echoed only when the request had one.  Replies are compact JSON
 * followed by "\n". */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *execute;         /* command name */
  JsonObject *arguments; /* never NULL: an empty object when absent */
  JsonNode *id;          /* NULL when absent */
} QwRequest;

void qw_request_free (QwRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QwRequest, qw_request_free)

/* parse one framed message; on failure returns NULL, sets error
 * (QW_ERROR_GENERIC, qemu-ga's texts) and, when the message was an object
 * carrying "id", *id_out to a copy of it so the error can echo it.
 * id_out may be NULL; when not, it is set on success too (to a copy of
 * request->id, or NULL) and the caller frees it.  Members are checked in
 * the order the client sent them. */
QwRequest *qw_request_parse (const char *text, gsize len, JsonNode **id_out, GError **error);

/* a success reply; value NULL means {} */
GBytes *qw_reply_return (JsonNode *value, JsonNode *id);

/* an error reply; the class comes from qw_error_class_of (error) */
GBytes *qw_reply_error (const GError *error, JsonNode *id);

/* an error reply from a class and text (e.g. a framer error) */
GBytes *qw_reply_error_literal (int code, const char *desc, JsonNode *id);

/* a request (used by clients and tests); arguments and id may be NULL */
GBytes *qw_request_build (const char *execute, JsonObject *arguments, JsonNode *id);

/* compact JSON text of any value, as the replies are written: json-glib
 * 1.6's generator writes some doubles as invalid JSON ("1e+17.0") and
 * passes invalid UTF-8 through; this writes doubles that read back
 * unchanged, inf/nan as null, and invalid UTF-8 as U+FFFD */
char *qw_json_compact (JsonNode *node);

G_END_DECLS
