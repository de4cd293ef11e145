/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-dispatch: one framed message in, one reply out.
 *
 * transport -> framer -> qa_dispatch_message -> envelope -> command table
 * -> argument check -> handler -> (table, resolver) -> reply.  Handlers
 * may answer later (a freeze runs in a worker); the reply function is
 * called exactly once per message, on the main loop.  Nothing here knows
 * about sockets, so tests drive it directly. */
#pragma once

#include <json-glib/json-glib.h>

#include "qa-context.h"
#include "qw-args.h"

G_BEGIN_DECLS

/* reply: compact JSON + "\n"; delimit: send 0xFF before it
 * (guest-sync-delimited) */
typedef void (*QaReplyFunc) (GBytes *reply, gboolean delimit, gpointer user_data);

typedef struct _QaCall QaCall;

void qa_dispatch_message (QaContext *ctx, const char *text, gsize len, QaReplyFunc func,
                          gpointer user_data);

/* handlers end a call with exactly one of these */
void qa_call_return (QaCall *call, JsonNode *value); /* takes value; NULL is {} */
void qa_call_error (QaCall *call, const GError *error);
void qa_call_set_delimit (QaCall *call);
QaContext *qa_call_context (QaCall *call);
const char *qa_call_command (QaCall *call);

typedef void (*QaCommandFunc) (QaCall *call, JsonObject *args);

typedef enum
{
  QA_CMD_NONE = 0,
  /* refused while the legacy freeze is held, as qemu-ga does */
  QA_CMD_LEGACY_FREEZE = 1 << 0,
} QaCommandFlags;

typedef struct
{
  const char *name;
  QaCommandFunc func;
  const QwArgSpec *args;
  QaCommandFlags flags;
  const char *summary; /* one line, for --help and the man page check */
} QaCommand;

/* the static command table, sorted by name */
const QaCommand *qa_commands (gsize *n_commands);
const QaCommand *qa_command_lookup (const char *name);
gboolean qa_command_enabled (QaContext *ctx, const QaCommand *cmd);

G_END_DECLS
