/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-transport: how one command reaches the agent.
 *
 * A transport is a GObject interface rather than a struct of function
 * pointers because transports are objects with a lifetime of their own
 * (a socket, later a libvirt connection and domain) that the client and
 * its pending GTasks must keep alive by reference, and because an
 * interface gives the libvirt transport a default for the async half:
 * an implementation may provide only the blocking execute(), and the
 * interface runs it in a GTask thread (virDomainQemuAgentCommand is
 * blocking too).  Sync (guest-sync-delimited) is the transport's
 * business: a libvirt transport leaves it to libvirtd. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define QUIESCE_TYPE_TRANSPORT (quiesce_transport_get_type ())
G_DECLARE_INTERFACE (QuiesceTransport, quiesce_transport, QUIESCE, TRANSPORT, GObject)

/**
 * QuiesceTransportInterface:
 * @g_iface: the parent interface
 * @execute: send one command and wait for its reply; returns the reply's
 *   `return` value, or sets a %QUIESCE_CLIENT_ERROR, a %QUIESCE_AGENT_ERROR
 *   or %G_IO_ERROR_CANCELLED.  Must be safe to call from any thread; calls
 *   on one transport may be serialised by it.
 * @execute_async: optional; the default runs @execute in a thread
 * @execute_finish: optional; must be given together with @execute_async
 * @sync: optional; (re)synchronise the channel now.  The default does
 *   nothing and succeeds.
 *
 * The virtual methods of a #QuiesceTransport.  A @timeout_ms of 0 means
 * no timeout.
 *
 * Since: 0.1
 */
struct _QuiesceTransportInterface
{
  GTypeInterface g_iface;

  JsonNode *(*execute) (QuiesceTransport *self,
                        const char *execute,
                        JsonObject *arguments,
                        guint timeout_ms,
                        GCancellable *cancellable,
                        GError **error);
  void (*execute_async) (QuiesceTransport *self,
                         const char *execute,
                         JsonObject *arguments,
                         guint timeout_ms,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data);
  JsonNode *(*execute_finish) (QuiesceTransport *self, GAsyncResult *result, GError **error);
  gboolean (*sync) (QuiesceTransport *self,
                    guint timeout_ms,
                    GCancellable *cancellable,
                    GError **error);

  /*< private >*/
  gpointer padding[8];
};

JsonNode *quiesce_transport_execute (QuiesceTransport *self,
                                     const char *execute,
                                     JsonObject *arguments,
                                     guint timeout_ms,
                                     GCancellable *cancellable,
                                     GError **error);
void quiesce_transport_execute_async (QuiesceTransport *self,
                                      const char *execute,
                                      JsonObject *arguments,
                                      guint timeout_ms,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
JsonNode *quiesce_transport_execute_finish (QuiesceTransport *self,
                                            GAsyncResult *result,
                                            GError **error);
gboolean quiesce_transport_sync (QuiesceTransport *self,
                                 guint timeout_ms,
                                 GCancellable *cancellable,
                                 GError **error);

JsonNode *quiesce_transport_unwrap_reply (JsonNode *reply, GError **error);

/* the unix socket transport (quiesce-transport-unix.c) */
QuiesceTransport *quiesce_transport_unix_new_for_path (const char *path, GError **error);
QuiesceTransport *quiesce_transport_unix_new_for_fd (int fd, GError **error);

G_END_DECLS
