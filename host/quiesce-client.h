/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceClient: typed calls of every agent command over a
 * QuiesceTransport. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "quiesce-freeze.h"
#include "quiesce-transport.h"

G_BEGIN_DECLS

/**
 * QUIESCE_CLIENT_DEFAULT_TIMEOUT:
 *
 * The per-call timeout of a new client, in milliseconds.
 *
 * Since: 0.1
 */
#define QUIESCE_CLIENT_DEFAULT_TIMEOUT 30000

/**
 * QuiesceSpan:
 * @QUIESCE_SPAN_DEFAULT: send no `span`; the agent's default is `include`
 * @QUIESCE_SPAN_INCLUDE: select a filesystem that also lies on disks the
 *   request did not name, and list those in its spans
 * @QUIESCE_SPAN_REFUSE: fail the request instead
 *
 * What to do with a filesystem selected through a disk that also lies on
 * other disks.
 *
 * Since: 0.1
 */
typedef enum
{
  QUIESCE_SPAN_DEFAULT,
  QUIESCE_SPAN_INCLUDE,
  QUIESCE_SPAN_REFUSE,
} QuiesceSpan;

#define QUIESCE_TYPE_CLIENT (quiesce_client_get_type ())
G_DECLARE_FINAL_TYPE (QuiesceClient, quiesce_client, QUIESCE, CLIENT, GObject)

QuiesceClient *quiesce_client_new (QuiesceTransport *transport);
QuiesceClient *quiesce_client_new_for_path (const char *path, GError **error);
QuiesceClient *quiesce_client_new_for_fd (int fd, GError **error);
QuiesceTransport *quiesce_client_get_transport (QuiesceClient *self);
void quiesce_client_set_timeout (QuiesceClient *self, guint timeout_ms);
guint quiesce_client_get_timeout (QuiesceClient *self);

gboolean quiesce_client_sync (QuiesceClient *self, GCancellable *cancellable, GError **error);
void quiesce_client_sync_async (QuiesceClient *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean quiesce_client_sync_finish (QuiesceClient *self, GAsyncResult *result, GError **error);

JsonNode *quiesce_client_call (QuiesceClient *self, const char *execute, JsonObject *arguments,
                               GCancellable *cancellable, GError **error);
void quiesce_client_call_async (QuiesceClient *self, const char *execute, JsonObject *arguments,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
JsonNode *quiesce_client_call_finish (QuiesceClient *self, GAsyncResult *result, GError **error);

gboolean quiesce_client_ping (QuiesceClient *self, GCancellable *cancellable, GError **error);
void quiesce_client_ping_async (QuiesceClient *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
gboolean quiesce_client_ping_finish (QuiesceClient *self, GAsyncResult *result, GError **error);

char *quiesce_client_info (QuiesceClient *self, GStrv *commands, GStrv *disabled,
                           GCancellable *cancellable, GError **error);
void quiesce_client_info_async (QuiesceClient *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
char *quiesce_client_info_finish (QuiesceClient *self, GAsyncResult *result, GStrv *commands,
                                  GStrv *disabled, GError **error);

gboolean quiesce_client_fsfreeze_status (QuiesceClient *self, gboolean *frozen,
                                         GCancellable *cancellable, GError **error);
void quiesce_client_fsfreeze_status_async (QuiesceClient *self, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean quiesce_client_fsfreeze_status_finish (QuiesceClient *self, GAsyncResult *result,
                                                gboolean *frozen, GError **error);

gint quiesce_client_fsfreeze_freeze (QuiesceClient *self, GCancellable *cancellable,
                                     GError **error);
void quiesce_client_fsfreeze_freeze_async (QuiesceClient *self, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gint quiesce_client_fsfreeze_freeze_finish (QuiesceClient *self, GAsyncResult *result,
                                            GError **error);

gint quiesce_client_fsfreeze_freeze_list (QuiesceClient *self, const char *const *mountpoints,
                                          GCancellable *cancellable, GError **error);
void quiesce_client_fsfreeze_freeze_list_async (QuiesceClient *self,
                                                const char *const *mountpoints,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
gint quiesce_client_fsfreeze_freeze_list_finish (QuiesceClient *self, GAsyncResult *result,
                                                 GError **error);

gint quiesce_client_fsfreeze_thaw (QuiesceClient *self, GCancellable *cancellable,
                                   GError **error);
void quiesce_client_fsfreeze_thaw_async (QuiesceClient *self, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gint quiesce_client_fsfreeze_thaw_finish (QuiesceClient *self, GAsyncResult *result,
                                          GError **error);

QuiesceFreeze *quiesce_client_acquire (QuiesceClient *self, const char *const *mountpoints,
                                       GPtrArray *disks, const char *owner, guint timeout_s,
                                       QuiesceSpan span, GCancellable *cancellable,
                                       GError **error);
void quiesce_client_acquire_async (QuiesceClient *self, const char *const *mountpoints,
                                   GPtrArray *disks, const char *owner, guint timeout_s,
                                   QuiesceSpan span, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
QuiesceFreeze *quiesce_client_acquire_finish (QuiesceClient *self, GAsyncResult *result,
                                              GError **error);

QuiesceFreeze *quiesce_client_release (QuiesceClient *self, gint64 handle, gboolean force,
                                       GCancellable *cancellable, GError **error);
void quiesce_client_release_async (QuiesceClient *self, gint64 handle, gboolean force,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
QuiesceFreeze *quiesce_client_release_finish (QuiesceClient *self, GAsyncResult *result,
                                              GError **error);

gint64 quiesce_client_renew (QuiesceClient *self, gint64 handle, guint timeout_s,
                             GCancellable *cancellable, GError **error);
void quiesce_client_renew_async (QuiesceClient *self, gint64 handle, guint timeout_s,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
gint64 quiesce_client_renew_finish (QuiesceClient *self, GAsyncResult *result, GError **error);

GPtrArray *quiesce_client_handles (QuiesceClient *self, GCancellable *cancellable,
                                   GError **error);
void quiesce_client_handles_async (QuiesceClient *self, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *quiesce_client_handles_finish (QuiesceClient *self, GAsyncResult *result,
                                          GError **error);

GPtrArray *quiesce_client_resolve (QuiesceClient *self, const char *const *mountpoints,
                                   GPtrArray *disks, QuiesceSpan span, GStrv *skipped,
                                   GCancellable *cancellable, GError **error);
void quiesce_client_resolve_async (QuiesceClient *self, const char *const *mountpoints,
                                   GPtrArray *disks, QuiesceSpan span,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
GPtrArray *quiesce_client_resolve_finish (QuiesceClient *self, GAsyncResult *result,
                                          GStrv *skipped, GError **error);

GPtrArray *quiesce_client_get_fsinfo (QuiesceClient *self, GCancellable *cancellable,
                                      GError **error);
void quiesce_client_get_fsinfo_async (QuiesceClient *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *quiesce_client_get_fsinfo_finish (QuiesceClient *self, GAsyncResult *result,
                                             GError **error);

G_END_DECLS
