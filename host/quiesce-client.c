/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceClient: one typed call per command.  Each command has three
 * pieces that its sync and async forms share: an argument builder, the
 * command name, and a parser of the `return` value.  The async forms all
 * go through one GTask helper, tagged per command so that a _finish
 * cannot be given another command's result. */
#include "config.h"

#include "quiesce-client.h"

#include "quiesce-disk.h"
#include "quiesce-error.h"
#include "quiesce-filesystem.h"
#include "quiesce-handle.h"

struct _QuiesceClient
{
  GObject parent_instance;
  QuiesceTransport *transport;
  guint timeout_ms; /* atomic: read from worker threads */
};

G_DEFINE_TYPE (QuiesceClient, quiesce_client, G_TYPE_OBJECT)

static void
quiesce_client_finalize (GObject *object)
{
  QuiesceClient *self = QUIESCE_CLIENT (object);

  g_clear_object (&self->transport);
  G_OBJECT_CLASS (quiesce_client_parent_class)->finalize (object);
}

static void
quiesce_client_class_init (QuiesceClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = quiesce_client_finalize;
}

static void
quiesce_client_init (QuiesceClient *self)
{
  self->timeout_ms = QUIESCE_CLIENT_DEFAULT_TIMEOUT;
}

/**
 * quiesce_client_new:
 * @transport: the transport to send commands through
 *
 * Returns: (transfer full): a new #QuiesceClient holding a reference to
 *   @transport
 *
 * Since: 0.1
 */
QuiesceClient *
quiesce_client_new (QuiesceTransport *transport)
{
  QuiesceClient *self;

  g_return_val_if_fail (QUIESCE_IS_TRANSPORT (transport), NULL);
  self = g_object_new (QUIESCE_TYPE_CLIENT, NULL);
  self->transport = g_object_ref (transport);
  return self;
}

/**
 * quiesce_client_new_for_path:
 * @path: a unix socket path (QEMU chardev socket or agent `--listen` socket)
 * @error: return location for a #GError
 *
 * Connects a client over quiesce_transport_unix_new_for_path().
 *
 * Returns: (transfer full): a new #QuiesceClient, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_NOT_CONNECTED
 *
 * Since: 0.1
 */
QuiesceClient *
quiesce_client_new_for_path (const char *path, GError **error)
{
  g_autoptr(QuiesceTransport) transport = quiesce_transport_unix_new_for_path (path, error);

  if (transport == NULL)
    return NULL;
  return quiesce_client_new (transport);
}

/**
 * quiesce_client_new_for_fd:
 * @fd: a connected unix stream socket, owned by the client from now on
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new #QuiesceClient, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_NOT_CONNECTED
 *
 * Since: 0.1
 */
QuiesceClient *
quiesce_client_new_for_fd (int fd, GError **error)
{
  g_autoptr(QuiesceTransport) transport = quiesce_transport_unix_new_for_fd (fd, error);

  if (transport == NULL)
    return NULL;
  return quiesce_client_new (transport);
}

/**
 * quiesce_client_get_transport:
 * @self: a #QuiesceClient
 *
 * Returns: (transfer none): the client's transport
 *
 * Since: 0.1
 */
QuiesceTransport *
quiesce_client_get_transport (QuiesceClient *self)
{
  g_return_val_if_fail (QUIESCE_IS_CLIENT (self), NULL);
  return self->transport;
}

/**
 * quiesce_client_set_timeout:
 * @self: a #QuiesceClient
 * @timeout_ms: the per-call timeout in milliseconds; 0 waits for ever
 *
 * Sets how long each later call waits for its reply (and each sync attempt
 * for its reply).  After a timeout the call fails with
 * %QUIESCE_CLIENT_ERROR_TIMED_OUT, the connection resyncs before its next
 * use and the late reply is dropped.
 *
 * Since: 0.1
 */
void
quiesce_client_set_timeout (QuiesceClient *self, guint timeout_ms)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  g_atomic_int_set (&self->timeout_ms, timeout_ms);
}

/**
 * quiesce_client_get_timeout:
 * @self: a #QuiesceClient
 *
 * Returns: the per-call timeout in milliseconds; 0 for none
 *
 * Since: 0.1
 */
guint
quiesce_client_get_timeout (QuiesceClient *self)
{
  g_return_val_if_fail (QUIESCE_IS_CLIENT (self), 0);
  return (guint) g_atomic_int_get (&self->timeout_ms);
}

/* sync */

/**
 * quiesce_client_sync:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Synchronises the channel now.  Calls do this by themselves before first
 * use and after a timeout or a bad reply; this is for a caller that wants
 * to know the channel works before it does anything.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
quiesce_client_sync (QuiesceClient *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (QUIESCE_IS_CLIENT (self), FALSE);
  return quiesce_transport_sync (self->transport, quiesce_client_get_timeout (self), cancellable,
                                 error);
}

static void
sync_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;

  if (quiesce_client_sync (QUIESCE_CLIENT (source_object), cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * quiesce_client_sync_async:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_sync().
 *
 * Since: 0.1
 */
void
quiesce_client_sync_async (QuiesceClient *self, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, quiesce_client_sync_async);
  g_task_run_in_thread (task, sync_thread);
}

/**
 * quiesce_client_sync_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
quiesce_client_sync_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, quiesce_client_sync_async), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* the generic call */

static void
call_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonNode *node = quiesce_transport_execute_finish (QUIESCE_TRANSPORT (source), result, &error);

  if (node == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
}

static void
call_async_tagged (QuiesceClient *self,
                   const char *execute,
                   JsonObject *arguments,
                   gpointer source_tag,
                   gpointer task_data,
                   GDestroyNotify task_data_destroy,
                   GCancellable *cancellable,
                   GAsyncReadyCallback callback,
                   gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, task_data, task_data_destroy);
  quiesce_transport_execute_async (self->transport, execute, arguments,
                                   quiesce_client_get_timeout (self), cancellable, call_done_cb,
                                   task);
}

static JsonNode *
call_finish_tagged (QuiesceClient *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, source_tag), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * quiesce_client_call:
 * @self: a #QuiesceClient
 * @execute: a command name, e.g. `guest-ping`
 * @arguments: (nullable): its arguments
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends any command and waits for its reply, blocking the calling thread
 * for at most the client's timeout.
 *
 * Returns: (transfer full): the `return` value, or %NULL with @error set
 *   (%QUIESCE_CLIENT_ERROR, %QUIESCE_AGENT_ERROR, or %G_IO_ERROR_CANCELLED)
 *
 * Since: 0.1
 */
JsonNode *
quiesce_client_call (QuiesceClient *self,
                     const char *execute,
                     JsonObject *arguments,
                     GCancellable *cancellable,
                     GError **error)
{
  g_return_val_if_fail (QUIESCE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (execute != NULL, NULL);
  return quiesce_transport_execute (self->transport, execute, arguments,
                                    quiesce_client_get_timeout (self), cancellable, error);
}

/**
 * quiesce_client_call_async:
 * @self: a #QuiesceClient
 * @execute: a command name
 * @arguments: (nullable): its arguments
 * @cancellable: (nullable): a #GCancellable
 * @callback: called on the caller's thread-default main context
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_call().  Calls on one client are
 * answered in the order they were made.
 *
 * Since: 0.1
 */
void
quiesce_client_call_async (QuiesceClient *self,
                           const char *execute,
                           JsonObject *arguments,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  g_return_if_fail (execute != NULL);
  call_async_tagged (self, execute, arguments, quiesce_client_call_async, NULL, NULL,
                     cancellable, callback, user_data);
}

/**
 * quiesce_client_call_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the `return` value, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonNode *
quiesce_client_call_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  return call_finish_tagged (self, result, quiesce_client_call_async, error);
}

/* argument builders */

static JsonArray *
strv_to_json (const char *const *strv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strv[i] != NULL; i++)
    json_array_add_string_element (array, strv[i]);
  return array;
}

static void
add_selection (JsonObject *args, const char *const *mountpoints, GPtrArray *disks, QuiesceSpan span)
{
  if (mountpoints != NULL)
    json_object_set_array_member (args, "mountpoints", strv_to_json (mountpoints));
  if (disks != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < disks->len; i++)
        json_array_add_object_element (array, quiesce_disk_to_json (g_ptr_array_index (disks, i)));
      json_object_set_array_member (args, "disks", array);
    }
  if (span == QUIESCE_SPAN_INCLUDE)
    json_object_set_string_member (args, "span", "include");
  else if (span == QUIESCE_SPAN_REFUSE)
    json_object_set_string_member (args, "span", "refuse");
}

static JsonObject *
args_freeze_list (const char *const *mountpoints)
{
  JsonObject *args = json_object_new ();

  if (mountpoints != NULL)
    json_object_set_array_member (args, "mountpoints", strv_to_json (mountpoints));
  return args;
}

static JsonObject *
args_acquire (const char *const *mountpoints, GPtrArray *disks, const char *owner,
              guint timeout_s, QuiesceSpan span)
{
  JsonObject *args = json_object_new ();

  add_selection (args, mountpoints, disks, span);
  if (owner != NULL)
    json_object_set_string_member (args, "owner", owner);
  if (timeout_s > 0)
    json_object_set_int_member (args, "timeout", timeout_s);
  return args;
}

static JsonObject *
args_release (gint64 handle, gboolean force)
{
  JsonObject *args = json_object_new ();

  json_object_set_int_member (args, "handle", handle);
  if (force)
    json_object_set_boolean_member (args, "force", TRUE);
  return args;
}

static JsonObject *
args_renew (gint64 handle, guint timeout_s)
{
  JsonObject *args = json_object_new ();

  json_object_set_int_member (args, "handle", handle);
  if (timeout_s > 0)
    json_object_set_int_member (args, "timeout", timeout_s);
  return args;
}

static JsonObject *
args_resolve (const char *const *mountpoints, GPtrArray *disks, QuiesceSpan span)
{
  JsonObject *args = json_object_new ();

  add_selection (args, mountpoints, disks, span);
  return args;
}

/* reply parsers: node may be NULL (the call failed, error already set) */

static gboolean
bad_reply (GError **error, const char *execute, const char *expected)
{
  g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
               "%s: the agent's reply is not %s", execute, expected);
  return FALSE;
}

static gboolean
parse_ping (JsonNode *node, GError **error)
{
  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad_reply (error, "guest-ping", "an object");
  return TRUE;
}

static char *
parse_info (JsonNode *node, GStrv *commands, GStrv *disabled, GError **error)
{
  JsonObject *obj;
  JsonArray *array = NULL;
  const char *version = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) off = g_ptr_array_new_with_free_func (g_free);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_reply (error, "guest-info", "an object");
      return NULL;
    }
  obj = json_node_get_object (node);
  if (!qh_json_get_string (obj, "guest-info reply", "version", TRUE, &version, error) ||
      !qh_json_get_array (obj, "guest-info reply", "supported_commands", TRUE, &array, error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *cmd = json_array_get_element (array, i);
      const char *name = NULL;
      gboolean enabled = TRUE;

      if (!JSON_NODE_HOLDS_OBJECT (cmd))
        {
          bad_reply (error, "guest-info", "a list of command objects");
          return NULL;
        }
      if (!qh_json_get_string (json_node_get_object (cmd), "command", "name", TRUE, &name, error) ||
          !qh_json_get_bool (json_node_get_object (cmd), "command", "enabled", TRUE, &enabled, error))
        return NULL;
      g_ptr_array_add (all, g_strdup (name));
      if (!enabled)
        g_ptr_array_add (off, g_strdup (name));
    }
  g_ptr_array_add (all, NULL);
  g_ptr_array_add (off, NULL);
  if (commands != NULL)
    *commands = (GStrv) g_ptr_array_free (g_steal_pointer (&all), FALSE);
  if (disabled != NULL)
    *disabled = (GStrv) g_ptr_array_free (g_steal_pointer (&off), FALSE);
  return g_strdup (version);
}

static gboolean
parse_status (JsonNode *node, gboolean *frozen, GError **error)
{
  const char *str;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return bad_reply (error, "guest-fsfreeze-status", "a string");
  str = json_node_get_string (node);
  if (g_strcmp0 (str, "frozen") != 0 && g_strcmp0 (str, "thawed") != 0)
    return bad_reply (error, "guest-fsfreeze-status", "\"frozen\" or \"thawed\"");
  if (frozen != NULL)
    *frozen = g_strcmp0 (str, "frozen") == 0;
  return TRUE;
}

static gint
parse_count (JsonNode *node, const char *execute, GError **error)
{
  gint64 v;

  if (node == NULL)
    return -1;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      bad_reply (error, execute, "an integer");
      return -1;
    }
  v = json_node_get_int (node);
  if (v < 0 || v > G_MAXINT)
    {
      bad_reply (error, execute, "a count");
      return -1;
    }
  return (gint) v;
}

static QuiesceFreeze *
parse_acquire (JsonNode *node, GError **error)
{
  QuiesceFreeze *freeze;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_reply (error, "guest-fsfreeze-acquire", "an object");
      return NULL;
    }
  freeze = quiesce_freeze_new_from_acquire_json (json_node_get_object (node), error);
  if (freeze == NULL)
    g_prefix_error (error, "guest-fsfreeze-acquire: ");
  return freeze;
}

static QuiesceFreeze *
parse_release (JsonNode *node, gint64 handle, GError **error)
{
  QuiesceFreeze *freeze;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_reply (error, "guest-fsfreeze-release", "an object");
      return NULL;
    }
  freeze = quiesce_freeze_new_from_release_json (json_node_get_object (node), handle, error);
  if (freeze == NULL)
    g_prefix_error (error, "guest-fsfreeze-release: ");
  return freeze;
}

static gint64
parse_renew (JsonNode *node, GError **error)
{
  gint64 expires_in = -1;

  if (node == NULL)
    return -1;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_reply (error, "guest-fsfreeze-renew", "an object");
      return -1;
    }
  if (!qh_json_get_int (json_node_get_object (node), "renew reply", "expires-in", TRUE,
                        &expires_in, error))
    {
      g_prefix_error (error, "guest-fsfreeze-renew: ");
      return -1;
    }
  if (expires_in < 0)
    {
      bad_reply (error, "guest-fsfreeze-renew", "a deadline");
      return -1;
    }
  return expires_in;
}

static GPtrArray *
parse_handles (JsonNode *node, GError **error)
{
  g_autoptr(GPtrArray) handles = NULL;
  JsonArray *array;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      bad_reply (error, "guest-fsfreeze-handles", "an array");
      return NULL;
    }
  array = json_node_get_array (node);
  handles = g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_handle_unref);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      QuiesceHandle *handle;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          bad_reply (error, "guest-fsfreeze-handles", "an array of objects");
          return NULL;
        }
      handle = quiesce_handle_new_from_json (json_node_get_object (element), error);
      if (handle == NULL)
        {
          g_prefix_error (error, "guest-fsfreeze-handles: ");
          return NULL;
        }
      g_ptr_array_add (handles, handle);
    }
  return g_steal_pointer (&handles);
}

static GPtrArray *
parse_resolve (JsonNode *node, GStrv *skipped, GError **error)
{
  JsonArray *array = NULL;
  g_auto(GStrv) skipped_local = NULL;
  GPtrArray *filesystems;
  JsonObject *obj;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_reply (error, "guest-fsfreeze-resolve", "an object");
      return NULL;
    }
  obj = json_node_get_object (node);
  if (!qh_json_get_array (obj, "resolve reply", "filesystems", TRUE, &array, error) ||
      !qh_json_get_strv (obj, "resolve reply", "skipped", FALSE, &skipped_local, error) ||
      (filesystems = qh_filesystems_from_json (array, error)) == NULL)
    {
      g_prefix_error (error, "guest-fsfreeze-resolve: ");
      return NULL;
    }
  if (skipped != NULL)
    *skipped = g_steal_pointer (&skipped_local);
  return filesystems;
}

static GPtrArray *
parse_fsinfo (JsonNode *node, GError **error)
{
  GPtrArray *filesystems;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      bad_reply (error, "guest-get-fsinfo", "an array");
      return NULL;
    }
  filesystems = qh_filesystems_from_json (json_node_get_array (node), error);
  if (filesystems == NULL)
    g_prefix_error (error, "guest-get-fsinfo: ");
  return filesystems;
}

/* typed calls */

/**
 * quiesce_client_ping:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-ping`.
 *
 * Returns: %TRUE if the agent answered
 *
 * Since: 0.1
 */
gboolean
quiesce_client_ping (QuiesceClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonNode) node = quiesce_client_call (self, "guest-ping", NULL, cancellable, error);

  return parse_ping (node, error);
}

/**
 * quiesce_client_ping_async:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_ping().
 *
 * Since: 0.1
 */
void
quiesce_client_ping_async (QuiesceClient *self, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  call_async_tagged (self, "guest-ping", NULL, quiesce_client_ping_async, NULL, NULL,
                     cancellable, callback, user_data);
}

/**
 * quiesce_client_ping_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the agent answered
 *
 * Since: 0.1
 */
gboolean
quiesce_client_ping_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(JsonNode) node = call_finish_tagged (self, result, quiesce_client_ping_async, error);

  return parse_ping (node, error);
}

/**
 * quiesce_client_info:
 * @self: a #QuiesceClient
 * @commands: (out) (optional) (transfer full): the names of every command
 * @disabled: (out) (optional) (transfer full): the names of the commands
 *   that are disabled now (the legacy freezes while frozen)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-info`.
 *
 * Returns: (transfer full): the agent's version, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
quiesce_client_info (QuiesceClient *self, GStrv *commands, GStrv *disabled,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonNode) node = quiesce_client_call (self, "guest-info", NULL, cancellable, error);

  return parse_info (node, commands, disabled, error);
}

/**
 * quiesce_client_info_async:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_info().
 *
 * Since: 0.1
 */
void
quiesce_client_info_async (QuiesceClient *self, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  call_async_tagged (self, "guest-info", NULL, quiesce_client_info_async, NULL, NULL,
                     cancellable, callback, user_data);
}

/**
 * quiesce_client_info_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @commands: (out) (optional) (transfer full): the names of every command
 * @disabled: (out) (optional) (transfer full): the disabled commands
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the agent's version, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
quiesce_client_info_finish (QuiesceClient *self, GAsyncResult *result, GStrv *commands,
                            GStrv *disabled, GError **error)
{
  g_autoptr(JsonNode) node = call_finish_tagged (self, result, quiesce_client_info_async, error);

  return parse_info (node, commands, disabled, error);
}

/**
 * quiesce_client_fsfreeze_status:
 * @self: a #QuiesceClient
 * @frozen: (out) (optional): %TRUE while the agent holds any filesystem
 *   frozen, under any handle
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-fsfreeze-status`.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
quiesce_client_fsfreeze_status (QuiesceClient *self, gboolean *frozen,
                                GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-status", NULL, cancellable, error);

  return parse_status (node, frozen, error);
}

/**
 * quiesce_client_fsfreeze_status_async:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_fsfreeze_status().
 *
 * Since: 0.1
 */
void
quiesce_client_fsfreeze_status_async (QuiesceClient *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  call_async_tagged (self, "guest-fsfreeze-status", NULL, quiesce_client_fsfreeze_status_async,
                     NULL, NULL, cancellable, callback, user_data);
}

/**
 * quiesce_client_fsfreeze_status_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @frozen: (out) (optional): whether anything is frozen
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
quiesce_client_fsfreeze_status_finish (QuiesceClient *self, GAsyncResult *result,
                                       gboolean *frozen, GError **error)
{
  g_autoptr(JsonNode) node =
      call_finish_tagged (self, result, quiesce_client_fsfreeze_status_async, error);

  return parse_status (node, frozen, error);
}

/**
 * quiesce_client_fsfreeze_freeze:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends qemu-ga's `guest-fsfreeze-freeze`: freezes every freezable
 * filesystem under the legacy handle.
 *
 * Returns: how many filesystems the legacy handle holds, or -1 with
 *   @error set
 *
 * Since: 0.1
 */
gint
quiesce_client_fsfreeze_freeze (QuiesceClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-freeze", NULL, cancellable, error);

  return parse_count (node, "guest-fsfreeze-freeze", error);
}

/**
 * quiesce_client_fsfreeze_freeze_async:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_fsfreeze_freeze().
 *
 * Since: 0.1
 */
void
quiesce_client_fsfreeze_freeze_async (QuiesceClient *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  call_async_tagged (self, "guest-fsfreeze-freeze", NULL, quiesce_client_fsfreeze_freeze_async,
                     NULL, NULL, cancellable, callback, user_data);
}

/**
 * quiesce_client_fsfreeze_freeze_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: how many filesystems the legacy handle holds, or -1
 *
 * Since: 0.1
 */
gint
quiesce_client_fsfreeze_freeze_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(JsonNode) node =
      call_finish_tagged (self, result, quiesce_client_fsfreeze_freeze_async, error);

  return parse_count (node, "guest-fsfreeze-freeze", error);
}

/**
 * quiesce_client_fsfreeze_freeze_list:
 * @self: a #QuiesceClient
 * @mountpoints: (nullable) (array zero-terminated=1): the mountpoints;
 *   %NULL sends no list, which freezes everything, as qemu-ga does
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends qemu-ga's `guest-fsfreeze-freeze-list` under the legacy handle.
 * Entries that are not freezable mountpoints are ignored by the agent.
 *
 * Returns: how many filesystems the legacy handle holds, or -1 with
 *   @error set
 *
 * Since: 0.1
 */
gint
quiesce_client_fsfreeze_freeze_list (QuiesceClient *self, const char *const *mountpoints,
                                     GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonObject) args = args_freeze_list (mountpoints);
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-freeze-list", args, cancellable, error);

  return parse_count (node, "guest-fsfreeze-freeze-list", error);
}

/**
 * quiesce_client_fsfreeze_freeze_list_async:
 * @self: a #QuiesceClient
 * @mountpoints: (nullable) (array zero-terminated=1): the mountpoints
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_fsfreeze_freeze_list().
 *
 * Since: 0.1
 */
void
quiesce_client_fsfreeze_freeze_list_async (QuiesceClient *self, const char *const *mountpoints,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(JsonObject) args = NULL;

  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  args = args_freeze_list (mountpoints);
  call_async_tagged (self, "guest-fsfreeze-freeze-list", args,
                     quiesce_client_fsfreeze_freeze_list_async, NULL, NULL, cancellable,
                     callback, user_data);
}

/**
 * quiesce_client_fsfreeze_freeze_list_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: how many filesystems the legacy handle holds, or -1
 *
 * Since: 0.1
 */
gint
quiesce_client_fsfreeze_freeze_list_finish (QuiesceClient *self, GAsyncResult *result,
                                            GError **error)
{
  g_autoptr(JsonNode) node =
      call_finish_tagged (self, result, quiesce_client_fsfreeze_freeze_list_async, error);

  return parse_count (node, "guest-fsfreeze-freeze-list", error);
}

/**
 * quiesce_client_fsfreeze_thaw:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends qemu-ga's `guest-fsfreeze-thaw`: releases the legacy handle only.
 *
 * Returns: how many filesystems the legacy handle held, or -1 with @error
 *   set (%QUIESCE_AGENT_ERROR_HANDLE_EXPIRED once after it expired)
 *
 * Since: 0.1
 */
gint
quiesce_client_fsfreeze_thaw (QuiesceClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-thaw", NULL, cancellable, error);

  return parse_count (node, "guest-fsfreeze-thaw", error);
}

/**
 * quiesce_client_fsfreeze_thaw_async:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_fsfreeze_thaw().
 *
 * Since: 0.1
 */
void
quiesce_client_fsfreeze_thaw_async (QuiesceClient *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  call_async_tagged (self, "guest-fsfreeze-thaw", NULL, quiesce_client_fsfreeze_thaw_async,
                     NULL, NULL, cancellable, callback, user_data);
}

/**
 * quiesce_client_fsfreeze_thaw_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: how many filesystems the legacy handle held, or -1
 *
 * Since: 0.1
 */
gint
quiesce_client_fsfreeze_thaw_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(JsonNode) node =
      call_finish_tagged (self, result, quiesce_client_fsfreeze_thaw_async, error);

  return parse_count (node, "guest-fsfreeze-thaw", error);
}

/**
 * quiesce_client_acquire:
 * @self: a #QuiesceClient
 * @mountpoints: (nullable) (array zero-terminated=1): mountpoints to freeze
 * @disks: (nullable) (element-type QuiesceDisk): DiskSpecs whose
 *   filesystems to freeze
 * @owner: (nullable): a label shown by guest-fsfreeze-handles
 * @timeout_s: seconds until the handle's deadline; 0 for the agent's default
 * @span: what to do with filesystems that span unnamed disks
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-fsfreeze-acquire`.  With neither @mountpoints nor @disks
 * the agent freezes every freezable filesystem; an empty selection is an
 * error.
 *
 * Returns: (transfer full): the new handle and what it holds, or %NULL
 *   with @error set
 *
 * Since: 0.1
 */
QuiesceFreeze *
quiesce_client_acquire (QuiesceClient *self, const char *const *mountpoints, GPtrArray *disks,
                        const char *owner, guint timeout_s, QuiesceSpan span,
                        GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonObject) args = args_acquire (mountpoints, disks, owner, timeout_s, span);
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-acquire", args, cancellable, error);

  return parse_acquire (node, error);
}

/**
 * quiesce_client_acquire_async:
 * @self: a #QuiesceClient
 * @mountpoints: (nullable) (array zero-terminated=1): mountpoints to freeze
 * @disks: (nullable) (element-type QuiesceDisk): DiskSpecs
 * @owner: (nullable): a label
 * @timeout_s: seconds until the deadline; 0 for the agent's default
 * @span: what to do with filesystems that span unnamed disks
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_acquire().
 *
 * Since: 0.1
 */
void
quiesce_client_acquire_async (QuiesceClient *self, const char *const *mountpoints,
                              GPtrArray *disks, const char *owner, guint timeout_s,
                              QuiesceSpan span, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(JsonObject) args = NULL;

  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  args = args_acquire (mountpoints, disks, owner, timeout_s, span);
  call_async_tagged (self, "guest-fsfreeze-acquire", args, quiesce_client_acquire_async, NULL,
                     NULL, cancellable, callback, user_data);
}

/**
 * quiesce_client_acquire_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the new handle and what it holds, or %NULL
 *
 * Since: 0.1
 */
QuiesceFreeze *
quiesce_client_acquire_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(JsonNode) node = call_finish_tagged (self, result, quiesce_client_acquire_async, error);

  return parse_acquire (node, error);
}

/**
 * quiesce_client_release:
 * @self: a #QuiesceClient
 * @handle: the handle; 0 with @force for every handle
 * @force: with @handle 0, release every handle, the legacy one included
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-fsfreeze-release`, which thaws what no other handle holds.
 *
 * Returns: (transfer full): what was thawed and held, or %NULL with
 *   @error set (%QUIESCE_AGENT_ERROR_HANDLE_EXPIRED when the snapshot may
 *   be inconsistent)
 *
 * Since: 0.1
 */
QuiesceFreeze *
quiesce_client_release (QuiesceClient *self, gint64 handle, gboolean force,
                        GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonObject) args = args_release (handle, force);
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-release", args, cancellable, error);

  return parse_release (node, handle, error);
}

/**
 * quiesce_client_release_async:
 * @self: a #QuiesceClient
 * @handle: the handle; 0 with @force for every handle
 * @force: with @handle 0, release every handle
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_release().
 *
 * Since: 0.1
 */
void
quiesce_client_release_async (QuiesceClient *self, gint64 handle, gboolean force,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr(JsonObject) args = NULL;
  gint64 *handle_copy;

  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  args = args_release (handle, force);
  /* the finish needs the handle for the result */
  handle_copy = g_new (gint64, 1);
  *handle_copy = handle;
  call_async_tagged (self, "guest-fsfreeze-release", args, quiesce_client_release_async,
                     handle_copy, g_free, cancellable, callback, user_data);
}

/**
 * quiesce_client_release_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what was thawed and held, or %NULL
 *
 * Since: 0.1
 */
QuiesceFreeze *
quiesce_client_release_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(JsonNode) node = call_finish_tagged (self, result, quiesce_client_release_async, error);
  const gint64 *handle = g_task_get_task_data (G_TASK (result));

  return parse_release (node, handle != NULL ? *handle : 0, error);
}

/**
 * quiesce_client_renew:
 * @self: a #QuiesceClient
 * @handle: the handle
 * @timeout_s: seconds from now; 0 for the agent's default
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-fsfreeze-renew`, moving the handle's deadline.
 *
 * Returns: the seconds until the new deadline, or -1 with @error set
 *
 * Since: 0.1
 */
gint64
quiesce_client_renew (QuiesceClient *self, gint64 handle, guint timeout_s,
                      GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonObject) args = args_renew (handle, timeout_s);
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-renew", args, cancellable, error);

  return parse_renew (node, error);
}

/**
 * quiesce_client_renew_async:
 * @self: a #QuiesceClient
 * @handle: the handle
 * @timeout_s: seconds from now; 0 for the agent's default
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_renew().
 *
 * Since: 0.1
 */
void
quiesce_client_renew_async (QuiesceClient *self, gint64 handle, guint timeout_s,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr(JsonObject) args = NULL;

  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  args = args_renew (handle, timeout_s);
  call_async_tagged (self, "guest-fsfreeze-renew", args, quiesce_client_renew_async, NULL, NULL,
                     cancellable, callback, user_data);
}

/**
 * quiesce_client_renew_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: the seconds until the new deadline, or -1
 *
 * Since: 0.1
 */
gint64
quiesce_client_renew_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(JsonNode) node = call_finish_tagged (self, result, quiesce_client_renew_async, error);

  return parse_renew (node, error);
}

/**
 * quiesce_client_handles:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-fsfreeze-handles`.
 *
 * Returns: (transfer container) (element-type QuiesceHandle): the live
 *   handles, sorted by number, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_client_handles (QuiesceClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-handles", NULL, cancellable, error);

  return parse_handles (node, error);
}

/**
 * quiesce_client_handles_async:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_handles().
 *
 * Since: 0.1
 */
void
quiesce_client_handles_async (QuiesceClient *self, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  call_async_tagged (self, "guest-fsfreeze-handles", NULL, quiesce_client_handles_async, NULL,
                     NULL, cancellable, callback, user_data);
}

/**
 * quiesce_client_handles_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type QuiesceHandle): the handles,
 *   or %NULL
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_client_handles_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(JsonNode) node = call_finish_tagged (self, result, quiesce_client_handles_async, error);

  return parse_handles (node, error);
}

/**
 * quiesce_client_resolve:
 * @self: a #QuiesceClient
 * @mountpoints: (nullable) (array zero-terminated=1): mountpoints
 * @disks: (nullable) (element-type QuiesceDisk): DiskSpecs
 * @span: what to do with filesystems that span unnamed disks
 * @skipped: (out) (optional) (transfer full): why filesystems on the named
 *   disks were left out; empty when none
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-fsfreeze-resolve`: what an acquire with the same selection
 * would freeze.  Freezes nothing.
 *
 * Returns: (transfer container) (element-type QuiesceFilesystem): the
 *   filesystems in freeze order, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_client_resolve (QuiesceClient *self, const char *const *mountpoints, GPtrArray *disks,
                        QuiesceSpan span, GStrv *skipped, GCancellable *cancellable,
                        GError **error)
{
  g_autoptr(JsonObject) args = args_resolve (mountpoints, disks, span);
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-fsfreeze-resolve", args, cancellable, error);

  return parse_resolve (node, skipped, error);
}

/**
 * quiesce_client_resolve_async:
 * @self: a #QuiesceClient
 * @mountpoints: (nullable) (array zero-terminated=1): mountpoints
 * @disks: (nullable) (element-type QuiesceDisk): DiskSpecs
 * @span: what to do with filesystems that span unnamed disks
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_resolve().
 *
 * Since: 0.1
 */
void
quiesce_client_resolve_async (QuiesceClient *self, const char *const *mountpoints,
                              GPtrArray *disks, QuiesceSpan span, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(JsonObject) args = NULL;

  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  args = args_resolve (mountpoints, disks, span);
  call_async_tagged (self, "guest-fsfreeze-resolve", args, quiesce_client_resolve_async, NULL,
                     NULL, cancellable, callback, user_data);
}

/**
 * quiesce_client_resolve_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @skipped: (out) (optional) (transfer full): why filesystems were left out
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type QuiesceFilesystem): the
 *   filesystems, or %NULL
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_client_resolve_finish (QuiesceClient *self, GAsyncResult *result, GStrv *skipped,
                               GError **error)
{
  g_autoptr(JsonNode) node = call_finish_tagged (self, result, quiesce_client_resolve_async, error);

  return parse_resolve (node, skipped, error);
}

/**
 * quiesce_client_get_fsinfo:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends `guest-get-fsinfo` and reads qemu-ga's reply shape.
 *
 * Returns: (transfer container) (element-type QuiesceFilesystem): the
 *   mounted filesystems in reverse mount order, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_client_get_fsinfo (QuiesceClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonNode) node =
      quiesce_client_call (self, "guest-get-fsinfo", NULL, cancellable, error);

  return parse_fsinfo (node, error);
}

/**
 * quiesce_client_get_fsinfo_async:
 * @self: a #QuiesceClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * The async form of quiesce_client_get_fsinfo().
 *
 * Since: 0.1
 */
void
quiesce_client_get_fsinfo_async (QuiesceClient *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (QUIESCE_IS_CLIENT (self));
  call_async_tagged (self, "guest-get-fsinfo", NULL, quiesce_client_get_fsinfo_async, NULL, NULL,
                     cancellable, callback, user_data);
}

/**
 * quiesce_client_get_fsinfo_finish:
 * @self: a #QuiesceClient
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type QuiesceFilesystem): the
 *   filesystems, or %NULL
 *
 * Since: 0.1
 */
GPtrArray *
quiesce_client_get_fsinfo_finish (QuiesceClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr(JsonNode) node =
      call_finish_tagged (self, result, quiesce_client_get_fsinfo_async, error);

  return parse_fsinfo (node, error);
}
