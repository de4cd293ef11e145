/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceKeepalive: renews one freeze handle while the caller works, so
 * that the agent's deadline never passes during a long snapshot. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <gio/gio.h>

#include "quiesce-client.h"

G_BEGIN_DECLS

/**
 * QUIESCE_KEEPALIVE_MIN_INTERVAL:
 *
 * The shortest interval, in milliseconds, that a keep-alive derives from a
 * handle's timeout; quiesce_keepalive_set_interval_ms() may go lower.
 *
 * Since: 0.1
 */
#define QUIESCE_KEEPALIVE_MIN_INTERVAL 250

#define QUIESCE_TYPE_KEEPALIVE (quiesce_keepalive_get_type ())
G_DECLARE_FINAL_TYPE (QuiesceKeepalive, quiesce_keepalive, QUIESCE, KEEPALIVE, GObject)

QuiesceKeepalive *quiesce_keepalive_new (QuiesceClient *client, gint64 handle, guint timeout_s);
void quiesce_keepalive_set_interval_ms (QuiesceKeepalive *self, guint interval_ms);
guint quiesce_keepalive_get_interval_ms (QuiesceKeepalive *self);
gboolean quiesce_keepalive_start (QuiesceKeepalive *self, GMainContext *context, GError **error);
void quiesce_keepalive_stop (QuiesceKeepalive *self);

QuiesceClient *quiesce_keepalive_get_client (QuiesceKeepalive *self);
gint64 quiesce_keepalive_get_handle (QuiesceKeepalive *self);
guint quiesce_keepalive_get_timeout (QuiesceKeepalive *self);
gboolean quiesce_keepalive_is_running (QuiesceKeepalive *self);
gboolean quiesce_keepalive_is_expired (QuiesceKeepalive *self);
guint quiesce_keepalive_get_renewals (QuiesceKeepalive *self);
gint64 quiesce_keepalive_get_expires_in (QuiesceKeepalive *self);
GError *quiesce_keepalive_dup_error (QuiesceKeepalive *self);

G_END_DECLS
