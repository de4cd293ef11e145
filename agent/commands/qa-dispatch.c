/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-dispatch.h"
#include "qw-envelope.h"
#include "qw-error.h"

struct _QaCall
{
  QaContext *ctx;
  char *command;
  JsonNode *id;
  gboolean delimit;
  QaReplyFunc func;
  gpointer user_data;
};

static void
call_free (QaCall *call)
{
  g_free (call->command);
  if (call->id != NULL)
    json_node_unref (call->id);
  g_free (call);
}

static void
call_send (QaCall *call, GBytes *bytes)
{
  call->func (bytes, call->delimit, call->user_data);
  g_bytes_unref (bytes);
  call_free (call);
}

void
qa_call_return (QaCall *call, JsonNode *value)
{
  GBytes *bytes = qw_reply_return (value, call->id);
  if (value != NULL)
    json_node_unref (value);
  call_send (call, bytes);
}

void
qa_call_error (QaCall *call, const GError *error)
{
  call_send (call, qw_reply_error (error, call->id));
}

void
qa_call_set_delimit (QaCall *call)
{
  call->delimit = TRUE;
}

QaContext *
qa_call_context (QaCall *call)
{
  return call->ctx;
}

const char *
qa_call_command (QaCall *call)
{
  return call->command;
}

gboolean
qa_command_enabled (QaContext *ctx, const QaCommand *cmd)
{
  if ((cmd->flags & QA_CMD_LEGACY_FREEZE) != 0)
    return !qa_freeze_table_legacy_active (ctx->table);
  return TRUE;
}

void
qa_dispatch_message (QaContext *ctx, const char *text, gsize len, QaReplyFunc func,
                     gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) id = NULL;
  g_autoptr (QwRequest) req = qw_request_parse (text, len, &id, &error);
  const QaCommand *cmd;
  QaCall *call;

  if (req == NULL)
    {
      g_autoptr (GBytes) bytes = qw_reply_error (error, id);
      func (bytes, FALSE, user_data);
      return;
    }
  cmd = qa_command_lookup (req->execute);
  if (cmd == NULL)
    {
      g_autoptr (GBytes) bytes = NULL;
      g_set_error (&error, QW_ERROR, QW_ERROR_COMMAND_NOT_FOUND,
                   "The command %s has not been found", req->execute);
      bytes = qw_reply_error (error, req->id);
      func (bytes, FALSE, user_data);
      return;
    }
  if (!qa_command_enabled (ctx, cmd))
    {
      g_autoptr (GBytes) bytes = NULL;
      g_set_error (&error, QW_ERROR, QW_ERROR_COMMAND_NOT_FOUND,
                   "Command %s has been disabled: the agent is in frozen state", cmd->name);
      bytes = qw_reply_error (error, req->id);
      func (bytes, FALSE, user_data);
      return;
    }
  if (!qw_args_check (cmd->args, req->arguments, &error))
    {
      g_autoptr (GBytes) bytes = qw_reply_error (error, req->id);
      func (bytes, FALSE, user_data);
      return;
    }

  call = g_new0 (QaCall, 1);
  call->ctx = ctx;
  call->command = g_strdup (cmd->name);
  call->id = req->id != NULL ? json_node_ref (req->id) : NULL;
  call->func = func;
  call->user_data = user_data;
  g_debug ("-> %s", cmd->name);
  cmd->func (call, req->arguments);
}
