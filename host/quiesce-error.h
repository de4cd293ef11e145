/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-error: the two error domains of libquiesce-1.
 *
 * QUIESCE_CLIENT_ERROR is local: the call broke on this side (no
 * connection, a timeout, a reply that makes no sense).
 * QUIESCE_AGENT_ERROR is remote: the agent answered with an error class,
 * rebuilt here from its stable wire name. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * QuiesceClientError:
 * @QUIESCE_CLIENT_ERROR_NOT_CONNECTED: there is no connection (never made,
 *   refused, or closed after an earlier disconnect)
 * @QUIESCE_CLIENT_ERROR_DISCONNECTED: the agent closed the connection, or a
 *   read or write on it failed
 * @QUIESCE_CLIENT_ERROR_TIMED_OUT: no complete reply within the timeout
 * @QUIESCE_CLIENT_ERROR_SYNC_FAILED: guest-sync-delimited got no matching
 *   reply after all retries
 * @QUIESCE_CLIENT_ERROR_BAD_REPLY: the reply is not valid JSON, too large, not
 *   an envelope, or not of the shape the command returns
 *
 * Local failures of a call.
 *
 * Since: 0.1
 */
typedef enum
{
  QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
  QUIESCE_CLIENT_ERROR_DISCONNECTED,
  QUIESCE_CLIENT_ERROR_TIMED_OUT,
  QUIESCE_CLIENT_ERROR_SYNC_FAILED,
  QUIESCE_CLIENT_ERROR_BAD_REPLY,
} QuiesceClientError;

/**
 * QuiesceAgentError:
 * @QUIESCE_AGENT_ERROR_GENERIC: `GenericError`, and any class this library
 *   does not know (its message then starts with the class name)
 * @QUIESCE_AGENT_ERROR_COMMAND_NOT_FOUND: `CommandNotFound`
 * @QUIESCE_AGENT_ERROR_DEVICE_NOT_FOUND: `DeviceNotFound`
 * @QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND: `HandleNotFound`
 * @QUIESCE_AGENT_ERROR_HANDLE_EXPIRED: `HandleExpired`
 * @QUIESCE_AGENT_ERROR_BUSY: `Busy`
 * @QUIESCE_AGENT_ERROR_FREEZE_FAILED: `FreezeFailed`
 * @QUIESCE_AGENT_ERROR_LIMIT_EXCEEDED: `LimitExceeded`
 * @QUIESCE_AGENT_ERROR_PERMISSION_DENIED: `PermissionDenied`
 *
 * The error classes the agent sends; the message is the agent's `desc`.
 *
 * Since: 0.1
 */
typedef enum
{
  QUIESCE_AGENT_ERROR_GENERIC,
  QUIESCE_AGENT_ERROR_COMMAND_NOT_FOUND,
  QUIESCE_AGENT_ERROR_DEVICE_NOT_FOUND,
  QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND,
  QUIESCE_AGENT_ERROR_HANDLE_EXPIRED,
  QUIESCE_AGENT_ERROR_BUSY,
  QUIESCE_AGENT_ERROR_FREEZE_FAILED,
  QUIESCE_AGENT_ERROR_LIMIT_EXCEEDED,
  QUIESCE_AGENT_ERROR_PERMISSION_DENIED,
} QuiesceAgentError;

#define QUIESCE_CLIENT_ERROR (quiesce_client_error_quark ())
#define QUIESCE_AGENT_ERROR (quiesce_agent_error_quark ())

GQuark quiesce_client_error_quark (void);
GQuark quiesce_agent_error_quark (void);

const char *quiesce_agent_error_to_string (QuiesceAgentError code);
GError *quiesce_agent_error_new_from_wire (const char *class_name, const char *desc);

#ifdef QUIESCE_COMPILATION
/* internal, not exported: checked access to reply members.  "what" names
 * the object in the error, e.g. "filesystem".  A JSON null counts as
 * absent.  Any missing required or mistyped member is
 * QUIESCE_CLIENT_ERROR_BAD_REPLY.  (These belong in a private header;
 * they live here until one is added to host/.) */
#include <json-glib/json-glib.h>
gboolean qh_json_get_string (JsonObject *obj, const char *what, const char *member,
                             gboolean required, const char **out, GError **error);
gboolean qh_json_get_int (JsonObject *obj, const char *what, const char *member,
                          gboolean required, gint64 *out, GError **error);
gboolean qh_json_get_gint (JsonObject *obj, const char *what, const char *member,
                           gboolean required, gint *out, GError **error);
gboolean qh_json_get_bool (JsonObject *obj, const char *what, const char *member,
                           gboolean required, gboolean *out, GError **error);
gboolean qh_json_get_object (JsonObject *obj, const char *what, const char *member,
                             gboolean required, JsonObject **out, GError **error);
gboolean qh_json_get_array (JsonObject *obj, const char *what, const char *member,
                            gboolean required, JsonArray **out, GError **error);
gboolean qh_json_get_strv (JsonObject *obj, const char *what, const char *member,
                           gboolean required, GStrv *out, GError **error);
#endif

G_END_DECLS
