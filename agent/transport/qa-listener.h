/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-listener: a unix socket that several clients use at once.
 *
 * The socket is created mode 0600; a stale socket left by a killed agent
 * is replaced, a live one is an error.  Each peer is checked with
 * SO_PEERCRED against root and --allow-uid, and the number of clients is
 * capped; a refused peer gets one error reply before the close. */
#pragma once

#include "qa-channel.h"

G_BEGIN_DECLS

typedef struct _QaListener QaListener;

QaListener *qa_listener_new (const char *path, GArray *allow_uids, guint max_clients,
                             gsize max_message, QaChannelMessageFunc message_func,
                             gpointer user_data, GError **error);
void qa_listener_free (QaListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaListener, qa_listener_free)
guint qa_listener_n_clients (const QaListener *listener);

G_END_DECLS
