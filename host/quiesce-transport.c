/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "quiesce-transport.h"

#include "quiesce-error.h"

G_DEFINE_INTERFACE (QuiesceTransport, quiesce_transport, G_TYPE_OBJECT)

typedef struct
{
  char *execute;
  JsonObject *arguments; /* nullable */
  guint timeout_ms;
} ExecuteData;

static void
execute_data_free (ExecuteData *data)
{
  g_free (data->execute);
  if (data->arguments != NULL)
    json_object_unref (data->arguments);
  g_free (data);
}

static void
execute_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  ExecuteData *data = task_data;
  GError *error = NULL;
  JsonNode *node = quiesce_transport_execute (QUIESCE_TRANSPORT (source_object),
                                              data->execute,
                                              data->arguments,
                                              data->timeout_ms,
                                              cancellable,
                                              &error);

  if (node == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
}

/* the default async half: the blocking execute() in a worker thread */
static void
quiesce_transport_real_execute_async (QuiesceTransport *self,
                                      const char *execute,
                                      JsonObject *arguments,
                                      guint timeout_ms,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  ExecuteData *data = g_new0 (ExecuteData, 1);

  data->execute = g_strdup (execute);
  data->arguments = arguments != NULL ? json_object_ref (arguments) : NULL;
  data->timeout_ms = timeout_ms;
  g_task_set_source_tag (task, quiesce_transport_real_execute_async);
  g_task_set_task_data (task, data, (GDestroyNotify) execute_data_free);
  /* the transport reports cancellation itself, as a clean error */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, execute_thread);
}

static JsonNode *
quiesce_transport_real_execute_finish (QuiesceTransport *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
quiesce_transport_real_sync (QuiesceTransport *self,
                             guint timeout_ms,
                             GCancellable *cancellable,
                             GError **error)
{
  return TRUE;
}

static void
quiesce_transport_default_init (QuiesceTransportInterface *iface)
{
  iface->execute_async = quiesce_transport_real_execute_async;
  iface->execute_finish = quiesce_transport_real_execute_finish;
  iface->sync = quiesce_transport_real_sync;
}

/**
 * quiesce_transport_execute:
 * @self: a #QuiesceTransport
 * @execute: the command name, e.g. `guest-ping`
 * @arguments: (nullable): the command's arguments
 * @timeout_ms: how long to wait for the reply, in milliseconds; 0 for ever
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends one command and waits for its reply.  Blocks the calling thread.
 *
 * Returns: (transfer full): the reply's `return` value, or %NULL with
 *   @error set (%QUIESCE_CLIENT_ERROR, %QUIESCE_AGENT_ERROR or
 *   %G_IO_ERROR_CANCELLED)
 *
 * Since: 0.1
 */
JsonNode *
quiesce_transport_execute (QuiesceTransport *self,
                           const char *execute,
                           JsonObject *arguments,
                           guint timeout_ms,
                           GCancellable *cancellable,
                           GError **error)
{
  QuiesceTransportInterface *iface;

  g_return_val_if_fail (QUIESCE_IS_TRANSPORT (self), NULL);
  g_return_val_if_fail (execute != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  iface = QUIESCE_TRANSPORT_GET_IFACE (self);
  g_return_val_if_fail (iface->execute != NULL, NULL);
  return iface->execute (self, execute, arguments, timeout_ms, cancellable, error);
}

/**
 * quiesce_transport_execute_async:
 * @self: a #QuiesceTransport
 * @execute: the command name
 * @arguments: (nullable): the command's arguments
 * @timeout_ms: how long to wait for the reply, in milliseconds; 0 for ever
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the thread-default main context of the caller
 * @user_data: data for @callback
 *
 * Sends one command without blocking; finish with
 * quiesce_transport_execute_finish().
 *
 * Since: 0.1
 */
void
quiesce_transport_execute_async (QuiesceTransport *self,
                                 const char *execute,
                                 JsonObject *arguments,
                                 guint timeout_ms,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_TRANSPORT (self));
  g_return_if_fail (execute != NULL);
  QUIESCE_TRANSPORT_GET_IFACE (self)->execute_async (self, execute, arguments, timeout_ms,
                                                     cancellable, callback, user_data);
}

/**
 * quiesce_transport_execute_finish:
 * @self: a #QuiesceTransport
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Finishes quiesce_transport_execute_async().
 *
 * Returns: (transfer full): the reply's `return` value, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
JsonNode *
quiesce_transport_execute_finish (QuiesceTransport *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (QUIESCE_IS_TRANSPORT (self), NULL);
  return QUIESCE_TRANSPORT_GET_IFACE (self)->execute_finish (self, result, error);
}

/**
 * quiesce_transport_sync:
 * @self: a #QuiesceTransport
 * @timeout_ms: how long to wait for each attempt, in milliseconds; 0 for ever
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronises the channel now: for the unix transport, 0xFF and
 * `guest-sync-delimited` with a random id, with retries.  Transports that
 * synchronise by other means succeed at once.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
quiesce_transport_sync (QuiesceTransport *self,
                        guint timeout_ms,
                        GCancellable *cancellable,
                        GError **error)
{
  g_return_val_if_fail (QUIESCE_IS_TRANSPORT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return QUIESCE_TRANSPORT_GET_IFACE (self)->sync (self, timeout_ms, cancellable, error);
}

/**
 * quiesce_transport_unwrap_reply:
 * @reply: a whole reply message, as parsed
 * @error: return location for a #GError
 *
 * Checks a reply envelope and takes it apart, for transports that get
 * whole replies: `{"return": VALUE}` gives VALUE, and
 * `{"error": {"class": CLASS, "desc": TEXT}}` gives a %QUIESCE_AGENT_ERROR.
 * Anything else (not an object, neither or both members, a malformed
 * error) is %QUIESCE_CLIENT_ERROR_BAD_REPLY.  An `id` member is ignored.
 *
 * Returns: (transfer full): the `return` value, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonNode *
quiesce_transport_unwrap_reply (JsonNode *reply, GError **error)
{
  JsonObject *obj;
  JsonNode *ret;
  JsonNode *err;

  g_return_val_if_fail (reply != NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (reply))
    {
      g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                           "The agent's reply is not a JSON object");
      return NULL;
    }
  obj = json_node_get_object (reply);
  ret = json_object_get_member (obj, "return");
  err = json_object_get_member (obj, "error");
  if (ret != NULL && err != NULL)
    {
      g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                           "The agent's reply has both 'return' and 'error'");
      return NULL;
    }
  if (ret != NULL)
    return json_node_ref (ret);
  if (err != NULL)
    {
      JsonObject *eobj;
      JsonNode *cls;
      JsonNode *desc;

      if (!JSON_NODE_HOLDS_OBJECT (err))
        {
          g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                               "The agent's reply member 'error' is not an object");
          return NULL;
        }
      eobj = json_node_get_object (err);
      cls = json_object_get_member (eobj, "class");
      desc = json_object_get_member (eobj, "desc");
      if (cls == NULL || !JSON_NODE_HOLDS_VALUE (cls) ||
          json_node_get_value_type (cls) != G_TYPE_STRING ||
          desc == NULL || !JSON_NODE_HOLDS_VALUE (desc) ||
          json_node_get_value_type (desc) != G_TYPE_STRING)
        {
          g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                               "The agent's error reply lacks a string 'class' or 'desc'");
          return NULL;
        }
      g_propagate_error (error, quiesce_agent_error_new_from_wire (json_node_get_string (cls),
                                                                   json_node_get_string (desc)));
      return NULL;
    }
  g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                       "The agent's reply has neither 'return' nor 'error'");
  return NULL;
}
