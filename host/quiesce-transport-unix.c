/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-transport-unix: the agent over a unix stream socket: a QEMU
 * chardev socket (qemu-ga or quiesce-agent in a guest) or an agent's
 * --listen socket.
 *
 * The I/O is blocking-with-deadline on a non-blocking GSocket: every wait
 * is g_socket_condition_timed_wait() with what is left of the call's
 * timeout and the caller's GCancellable.  One call runs at a time (a
 * mutex), because the protocol matches replies to requests by order
 * only.  The async half is the interface's default: this same code in a
 * GTask thread.
 *
 * Replies are framed by common/'s qw_framer, with a cap much larger than
 * the agent's request cap: fsinfo of a big guest is long, but a reply
 * that never ends must not eat the host's memory. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>

#include "qw-envelope.h"
#include "qw-framer.h"
#include "qw-json-reader.h"

#include "quiesce-error.h"
#include "quiesce-transport.h"

/* the largest reply accepted */
#define QUIESCE_UNIX_MAX_REPLY (16 * 1024 * 1024)
/* guest-sync-delimited attempts before giving up */
#define QUIESCE_UNIX_SYNC_ATTEMPTS 3
/* per sync attempt when the caller gave no timeout: a sync that never
 * ends would hide a dead channel for ever */
#define QUIESCE_UNIX_SYNC_DEFAULT_MS 10000

#define QUIESCE_TYPE_TRANSPORT_UNIX (quiesce_transport_unix_get_type ())
G_DECLARE_FINAL_TYPE (QuiesceTransportUnix, quiesce_transport_unix, QUIESCE, TRANSPORT_UNIX, GObject)

typedef struct
{
  QwFrameKind kind;
  char *text;
} Frame;

struct _QuiesceTransportUnix
{
  GObject parent_instance;

  GMutex lock;          /* one call at a time; guards everything below */
  GSocket *socket;      /* NULL once closed */
  QwFramer *framer;
  GQueue frames;        /* of Frame, framed but not consumed yet */
  gboolean synced;      /* FALSE before first use and after any doubt */
  gint64 last_sync_id;
};

static void quiesce_transport_unix_iface_init (QuiesceTransportInterface *iface);

G_DEFINE_TYPE_WITH_CODE (QuiesceTransportUnix, quiesce_transport_unix, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (QUIESCE_TYPE_TRANSPORT,
                                                quiesce_transport_unix_iface_init))

static void
frame_free (Frame *frame)
{
  g_free (frame->text);
  g_free (frame);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Frame, frame_free)

static void
frame_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  QuiesceTransportUnix *self = user_data;
  Frame *frame = g_new0 (Frame, 1);

  frame->kind = kind;
  frame->text = g_strndup (text, len);
  g_queue_push_tail (&self->frames, frame);
}

static void
drop_frames (QuiesceTransportUnix *self)
{
  g_queue_clear_full (&self->frames, (GDestroyNotify) frame_free);
}

static void
close_socket (QuiesceTransportUnix *self)
{
  if (self->socket == NULL)
    return;
  g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  drop_frames (self);
  qw_framer_reset (self->framer);
  self->synced = FALSE;
}

static gint64
deadline_from_timeout (guint timeout_ms)
{
  return timeout_ms == 0 ? 0 : g_get_monotonic_time () + (gint64) timeout_ms * 1000;
}

/* waits for cond until deadline (0: for ever) */
static gboolean
wait_condition (QuiesceTransportUnix *self,
                GIOCondition cond,
                gint64 deadline,
                GCancellable *cancellable,
                GError **error)
{
  gint64 left = -1;
  g_autoptr(GError) error_local = NULL;

  if (deadline != 0)
    {
      left = deadline - g_get_monotonic_time ();
      if (left <= 0)
        {
          g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_TIMED_OUT,
                               "The agent did not reply in time");
          return FALSE;
        }
    }
  if (g_socket_condition_timed_wait (self->socket, cond, left, cancellable, &error_local))
    return TRUE;
  if (g_error_matches (error_local, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_TIMED_OUT,
                           "The agent did not reply in time");
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&error_local));
  return FALSE;
}

/* The agent refuses a connection (a uid not allowed, too many clients)
 * with one error line and a close, before it reads anything: that line is
 * the answer, not the lost connection it leads to.  stale holds what came
 * before the first 0xFF. */
static GError *
refusal_in (const GByteArray *stale)
{
  const char *p = (const char *) stale->data, *end = p + stale->len;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(JsonNode) ret = NULL;
      GError *error = NULL;

      if (nl == NULL)
        break;
      node = qw_json_reader_parse (p, (gsize) (nl - p));
      p = nl + 1;
      if (node == NULL)
        continue;
      ret = quiesce_transport_unwrap_reply (node, &error);
      if (error != NULL && error->domain == QUIESCE_AGENT_ERROR
          && (error->code == QUIESCE_AGENT_ERROR_PERMISSION_DENIED
              || error->code == QUIESCE_AGENT_ERROR_LIMIT_EXCEEDED))
        {
          g_prefix_error (&error, "The agent refused the connection: ");
          return error;
        }
      g_clear_error (&error);
    }
  return NULL;
}

/* what the agent left to read on a connection it closed, if a refusal */
static GError *
refusal_left (QuiesceTransportUnix *self)
{
  g_autoptr(GByteArray) got = g_byte_array_new ();
  guint8 buf[4096];

  while (got->len < sizeof buf)
    {
      gssize n = g_socket_receive_with_blocking (self->socket, (char *) buf, sizeof buf, FALSE,
                                                 NULL, NULL);
      if (n <= 0)
        break;
      g_byte_array_append (got, buf, (guint) n);
    }
  return refusal_in (got);
}

static gboolean
send_all (QuiesceTransportUnix *self,
          const guint8 *data,
          gsize len,
          gint64 deadline,
          GCancellable *cancellable,
          GError **error)
{
  while (len > 0)
    {
      g_autoptr(GError) error_local = NULL;
      gssize n = g_socket_send_with_blocking (self->socket, (const char *) data, len, FALSE,
                                              cancellable, &error_local);

      if (n < 0)
        {
          if (g_error_matches (error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              if (!wait_condition (self, G_IO_OUT, deadline, cancellable, error))
                return FALSE;
              continue;
            }
          if (g_error_matches (error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&error_local));
              return FALSE;
            }
          {
            GError *refusal = refusal_left (self);

            if (refusal != NULL)
              g_propagate_error (error, refusal);
            else
              g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_DISCONNECTED,
                           "Cannot send to the agent: %s", error_local->message);
          }
          close_socket (self);
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* reads what is there (at least one byte) into buf */
static gssize
receive_some (QuiesceTransportUnix *self,
              guint8 *buf,
              gsize size,
              gint64 deadline,
              GCancellable *cancellable,
              GError **error)
{
  for (;;)
    {
      g_autoptr(GError) error_local = NULL;
      gssize n;

      if (!wait_condition (self, G_IO_IN | G_IO_HUP | G_IO_ERR, deadline, cancellable, error))
        return -1;
      n = g_socket_receive_with_blocking (self->socket, (char *) buf, size, FALSE,
                                          cancellable, &error_local);
      if (n > 0)
        return n;
      if (n < 0 && g_error_matches (error_local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      if (n < 0 && g_error_matches (error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&error_local));
          return -1;
        }
      if (n == 0 && !qw_framer_is_idle (self->framer))
        g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_DISCONNECTED,
                             "The agent closed the connection in the middle of a reply");
      else if (n == 0)
        g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_DISCONNECTED,
                             "The agent closed the connection");
      else
        g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_DISCONNECTED,
                     "Cannot read from the agent: %s", error_local->message);
      close_socket (self);
      return -1;
    }
}

/* the next framed message or framing error */
static Frame *
next_frame (QuiesceTransportUnix *self, gint64 deadline, GCancellable *cancellable, GError **error)
{
  while (g_queue_is_empty (&self->frames))
    {
      guint8 buf[65536];
      gssize n = receive_some (self, buf, sizeof buf, deadline, cancellable, error);

      if (n < 0)
        return NULL;
      qw_framer_feed (self->framer, buf, (gsize) n);
    }
  return g_queue_pop_head (&self->frames);
}

static JsonNode *
parse_frame_text (const char *text, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error_local = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error_local))
    {
      g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                   "The agent's reply is not valid JSON: %s", error_local->message);
      return NULL;
    }
  return json_parser_steal_root (parser);
}

/* TRUE if text is a sync reply {"return": id} with our id */
static gboolean
is_sync_reply (const char *text, gint64 id)
{
  g_autoptr(JsonNode) node = parse_frame_text (text, NULL);
  JsonNode *ret;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  ret = json_object_get_member (json_node_get_object (node), "return");
  return ret != NULL && JSON_NODE_HOLDS_VALUE (ret) &&
         json_node_get_value_type (ret) == G_TYPE_INT64 && json_node_get_int (ret) == id;
}

/* one attempt: 0xFF, guest-sync-delimited, skip to the 0xFF that precedes
 * a reply, accept only a reply with our id */
static gboolean
sync_attempt (QuiesceTransportUnix *self, guint timeout_ms, GCancellable *cancellable, GError **error)
{
  gint64 deadline = deadline_from_timeout (timeout_ms);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) stale = g_byte_array_new ();
  gboolean seen_ff = FALSE;
  gint64 id;
  const guint8 ff = 0xff;

  /* a 31-bit random id, never the previous one, so a stale reply to an
   * earlier attempt cannot pass for this one */
  do
    id = g_random_int_range (1, G_MAXINT32);
  while (id == self->last_sync_id);
  self->last_sync_id = id;

  json_object_set_int_member (args, "id", id);
  request = qw_request_build ("guest-sync-delimited", args, NULL);
  g_byte_array_append (out, &ff, 1);
  g_byte_array_append (out, g_bytes_get_data (request, NULL), g_bytes_get_size (request));

  drop_frames (self);
  qw_framer_reset (self->framer);
  if (!send_all (self, out->data, out->len, deadline, cancellable, error))
    return FALSE;

  for (;;)
    {
      guint8 buf[65536];
      g_autoptr(GError) error_local = NULL;
      gssize n = receive_some (self, buf, sizeof buf, deadline, cancellable, &error_local);
      const guint8 *start = buf;

      if (n < 0)
        {
          GError *refusal = NULL;

          if (g_error_matches (error_local, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_DISCONNECTED))
            refusal = refusal_in (stale);
          g_propagate_error (error, refusal != NULL ? refusal : g_steal_pointer (&error_local));
          return FALSE;
        }
      if (!seen_ff)
        {
          /* everything before the first 0xFF is stale: late replies,
           * garbage, qemu-ga's error line for our own 0xFF */
          const guint8 *p = memchr (buf, 0xff, (gsize) n);

          if (stale->len < 4096)
            g_byte_array_append (stale, buf, (guint) MIN ((gsize) (p != NULL ? p - buf : n), 4096));
          if (p == NULL)
            continue;
          seen_ff = TRUE;
          qw_framer_reset (self->framer);
          start = p + 1;
        }
      /* the framer resets itself at any later 0xFF */
      qw_framer_feed (self->framer, start, (gsize) (buf + n - start));
      while (!g_queue_is_empty (&self->frames))
        {
          g_autoptr(Frame) frame = g_queue_pop_head (&self->frames);

          if (frame->kind == QW_FRAME_MESSAGE && is_sync_reply (frame->text, id))
            {
              /* anything framed after our reply was not asked for */
              drop_frames (self);
              self->synced = TRUE;
              return TRUE;
            }
          g_debug ("dropping a reply while synchronising: %s", frame->text);
        }
    }
}

static gboolean
sync_locked (QuiesceTransportUnix *self, guint timeout_ms, GCancellable *cancellable, GError **error)
{
  guint attempt_ms = timeout_ms != 0 ? timeout_ms : QUIESCE_UNIX_SYNC_DEFAULT_MS;

  self->synced = FALSE;
  for (guint i = 0; i < QUIESCE_UNIX_SYNC_ATTEMPTS; i++)
    {
      g_autoptr(GError) error_local = NULL;

      if (self->socket == NULL)
        {
          g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                               "Not connected to the agent");
          return FALSE;
        }
      if (sync_attempt (self, attempt_ms, cancellable, &error_local))
        return TRUE;
      if (!g_error_matches (error_local, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_TIMED_OUT))
        {
          g_propagate_error (error, g_steal_pointer (&error_local));
          return FALSE;
        }
    }
  g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_SYNC_FAILED,
               "The agent did not answer guest-sync-delimited with the id sent, %u attempts of %u ms",
               (guint) QUIESCE_UNIX_SYNC_ATTEMPTS, attempt_ms);
  return FALSE;
}

static JsonNode *
execute_locked (QuiesceTransportUnix *self,
                const char *execute,
                JsonObject *arguments,
                guint timeout_ms,
                GCancellable *cancellable,
                GError **error)
{
  g_autoptr(GBytes) request = NULL;
  g_autoptr(Frame) frame = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error_local = NULL;
  JsonNode *ret;
  gint64 deadline;

  if (self->socket == NULL)
    {
      g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                           "Not connected to the agent");
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!self->synced && !sync_locked (self, timeout_ms, cancellable, error))
    return NULL;

  deadline = deadline_from_timeout (timeout_ms);
  request = qw_request_build (execute, arguments, NULL);
  drop_frames (self);
  if (!send_all (self, g_bytes_get_data (request, NULL), g_bytes_get_size (request), deadline,
                 cancellable, &error_local) ||
      (frame = next_frame (self, deadline, cancellable, &error_local)) == NULL)
    {
      /* a reply may still come: the next call resyncs and drops it */
      self->synced = FALSE;
      g_propagate_prefixed_error (error, g_steal_pointer (&error_local), "%s: ", execute);
      return NULL;
    }
  if (frame->kind == QW_FRAME_ERROR)
    {
      self->synced = FALSE;
      g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                   "%s: the agent's reply was refused: %s", execute, frame->text);
      return NULL;
    }
  reply = parse_frame_text (frame->text, &error_local);
  if (reply != NULL)
    ret = quiesce_transport_unwrap_reply (reply, &error_local);
  else
    ret = NULL;
  if (ret == NULL)
    {
      if (g_error_matches (error_local, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY))
        {
          /* a reply that is not an envelope may not be ours either */
          self->synced = FALSE;
          g_propagate_prefixed_error (error, g_steal_pointer (&error_local), "%s: ", execute);
        }
      else
        g_propagate_error (error, g_steal_pointer (&error_local));
      return NULL;
    }
  return ret;
}

static JsonNode *
quiesce_transport_unix_execute (QuiesceTransport *transport,
                                const char *execute,
                                JsonObject *arguments,
                                guint timeout_ms,
                                GCancellable *cancellable,
                                GError **error)
{
  QuiesceTransportUnix *self = QUIESCE_TRANSPORT_UNIX (transport);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return execute_locked (self, execute, arguments, timeout_ms, cancellable, error);
}

static gboolean
quiesce_transport_unix_sync (QuiesceTransport *transport,
                             guint timeout_ms,
                             GCancellable *cancellable,
                             GError **error)
{
  QuiesceTransportUnix *self = QUIESCE_TRANSPORT_UNIX (transport);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return sync_locked (self, timeout_ms, cancellable, error);
}

static void
quiesce_transport_unix_iface_init (QuiesceTransportInterface *iface)
{
  iface->execute = quiesce_transport_unix_execute;
  iface->sync = quiesce_transport_unix_sync;
}

static void
quiesce_transport_unix_finalize (GObject *object)
{
  QuiesceTransportUnix *self = QUIESCE_TRANSPORT_UNIX (object);

  close_socket (self);
  drop_frames (self);
  qw_framer_free (self->framer);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (quiesce_transport_unix_parent_class)->finalize (object);
}

static void
quiesce_transport_unix_class_init (QuiesceTransportUnixClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = quiesce_transport_unix_finalize;
}

static void
quiesce_transport_unix_init (QuiesceTransportUnix *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->frames);
  self->framer = qw_framer_new (QUIESCE_UNIX_MAX_REPLY, QW_FRAMER_DEFAULT_MAX_DEPTH, frame_cb, self);
}

static QuiesceTransport *
transport_unix_new_for_socket (GSocket *socket)
{
  QuiesceTransportUnix *self = g_object_new (QUIESCE_TYPE_TRANSPORT_UNIX, NULL);

  g_socket_set_blocking (socket, FALSE);
  self->socket = g_object_ref (socket);
  return QUIESCE_TRANSPORT (self);
}

/**
 * quiesce_transport_unix_new_for_path:
 * @path: a unix socket path: a QEMU `-chardev socket` of the guest agent,
 *   or a quiesce-agent `--listen unix:PATH` socket
 * @error: return location for a #GError
 *
 * Connects to the agent over a unix stream socket.  The connection is
 * synchronised with `guest-sync-delimited` before its first command.
 *
 * Returns: (transfer full): a new #QuiesceTransport, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_NOT_CONNECTED
 *
 * Since: 0.1
 */
QuiesceTransport *
quiesce_transport_unix_new_for_path (const char *path, GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error_local = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
                         &error_local);
  if (socket != NULL)
    {
      address = g_unix_socket_address_new (path);
      if (!g_socket_connect (socket, address, NULL, &error_local))
        g_clear_object (&socket);
    }
  if (socket == NULL)
    {
      g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                   "Cannot connect to the agent socket '%s': %s", path, error_local->message);
      return NULL;
    }
  return transport_unix_new_for_socket (socket);
}

/**
 * quiesce_transport_unix_new_for_fd:
 * @fd: a connected unix stream socket; the transport owns it from now on,
 *   also when this fails
 * @error: return location for a #GError
 *
 * Adopts an already connected socket, for example one passed by a
 * supervisor or half of a socketpair().
 *
 * Returns: (transfer full): a new #QuiesceTransport, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_NOT_CONNECTED
 *
 * Since: 0.1
 */
QuiesceTransport *
quiesce_transport_unix_new_for_fd (int fd, GError **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error_local = NULL;

  g_return_val_if_fail (fd >= 0, NULL);

  socket = g_socket_new_from_fd (fd, &error_local);
  if (socket == NULL)
    {
      g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                   "Cannot use fd %d as the agent's socket: %s", fd, error_local->message);
      close (fd);
      return NULL;
    }
  if (g_socket_get_socket_type (socket) != G_SOCKET_TYPE_STREAM)
    {
      g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                   "Cannot use fd %d as the agent's socket: it is not a stream socket", fd);
      return NULL;
    }
  return transport_unix_new_for_socket (socket);
}
