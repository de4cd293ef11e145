/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-channel: one peer over one file descriptor.
 *
 * Bytes in go through the peer's own framer; messages are handed on one
 * at a time, and the next is not handed on before the previous one has
 * its reply, so replies leave in request order.  Reading pauses while a
 * few messages wait or output backs up, which bounds per-peer memory.
 * A persistent channel (virtio-serial) survives the host closing its
 * side: it forgets a partial message, keeps the replies owed, and polls
 * again 100 ms later. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _QaChannel QaChannel;

/* a framed message to dispatch; the handler must call qa_channel_reply()
 * exactly once, now or later */
typedef void (*QaChannelMessageFunc) (QaChannel *channel, const char *text, gsize len,
                                      gpointer user_data);
typedef void (*QaChannelClosedFunc) (QaChannel *channel, gpointer user_data);

QaChannel *qa_channel_new (int fd, gboolean persistent, gsize max_message, const char *peer);
QaChannel *qa_channel_ref (QaChannel *channel);
void qa_channel_unref (QaChannel *channel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaChannel, qa_channel_unref)

void qa_channel_start (QaChannel *channel, QaChannelMessageFunc message_func,
                       QaChannelClosedFunc closed_func, gpointer user_data);
void qa_channel_reply (QaChannel *channel, GBytes *reply, gboolean delimit);
/* queue bytes without a request (e.g. a refusal before closing) */
void qa_channel_send (QaChannel *channel, GBytes *bytes);
void qa_channel_close (QaChannel *channel);
const char *qa_channel_peer (const QaChannel *channel);
gboolean qa_channel_is_closed (const QaChannel *channel);

G_END_DECLS
