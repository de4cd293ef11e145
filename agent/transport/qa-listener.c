/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-listener.h"
#include "qw-envelope.h"
#include "qw-error.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct _QaListener
{
  char *path;
  int fd;
  guint accept_id;
  GArray *allow_uids; /* uid_t */
  guint max_clients;
  gsize max_message;
  GPtrArray *clients; /* QaChannel* */
  QaChannelMessageFunc message_func;
  gpointer user_data;
  guint64 serial;
};

static gboolean
fill_addr (struct sockaddr_un *addr, const char *path, GError **error)
{
  memset (addr, 0, sizeof (*addr));
  addr->sun_family = AF_UNIX;
  if (strlen (path) >= sizeof (addr->sun_path))
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "Socket path '%s' is too long (at most %zu bytes)", path,
                   sizeof (addr->sun_path) - 1);
      return FALSE;
    }
  strcpy (addr->sun_path, path);
  return TRUE;
}

/* a socket file left by a killed agent refuses connections: replace it;
 * one that answers belongs to a live agent: leave it alone */
static gboolean
remove_stale (const char *path, GError **error)
{
  struct stat st;
  struct sockaddr_un addr;
  int fd;
  int r;

  if (lstat (path, &st) != 0)
    return TRUE;
  if (!S_ISSOCK (st.st_mode))
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "'%s' exists and is not a socket; refusing to replace it", path);
      return FALSE;
    }
  if (!fill_addr (&addr, path, error))
    return FALSE;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "socket: %s", g_strerror (errno));
      return FALSE;
    }
  r = connect (fd, (struct sockaddr *) &addr, sizeof (addr));
  close (fd);
  if (r == 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "Another agent is already listening on '%s'", path);
      return FALSE;
    }
  if (unlink (path) != 0 && errno != ENOENT)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot remove stale socket '%s': %s",
                   path, g_strerror (errno));
      return FALSE;
    }
  g_info ("replaced the stale socket '%s'", path);
  return TRUE;
}

static void
on_client_closed (QaChannel *ch, gpointer user_data)
{
  QaListener *l = user_data;
  g_ptr_array_remove_fast (l->clients, ch);
}

static void
on_client_message (QaChannel *ch, const char *text, gsize len, gpointer user_data)
{
  QaListener *l = user_data;
  l->message_func (ch, text, len, l->user_data);
}

static gboolean
uid_allowed (QaListener *l, uid_t uid)
{
  if (uid == 0)
    return TRUE;
  for (guint i = 0; i < l->allow_uids->len; i++)
    if (g_array_index (l->allow_uids, uid_t, i) == uid)
      return TRUE;
  return FALSE;
}

static void
refuse (int fd, QwError code, const char *desc)
{
  g_autoptr (GBytes) reply = qw_reply_error_literal (code, desc, NULL);
  gsize len;
  const char *data = g_bytes_get_data (reply, &len);
  ssize_t n;

  /* best effort, non-blocking: the peer is refused either way */
  n = send (fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  (void) n;
  close (fd);
}

static gboolean
on_accept (gint fd, GIOCondition cond, gpointer user_data)
{
  QaListener *l = user_data;
  struct ucred cred = { 0 };
  socklen_t len = sizeof (cred);
  g_autofree char *peer = NULL;
  QaChannel *ch;
  int cfd;

  cfd = accept4 (l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (cfd < 0)
    {
      if (errno != EAGAIN && errno != EINTR)
        g_warning ("accept on '%s': %s", l->path, g_strerror (errno));
      return G_SOURCE_CONTINUE;
    }
  if (getsockopt (cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    {
      refuse (cfd, QW_ERROR_PERMISSION_DENIED, "Cannot identify the peer (SO_PEERCRED)");
      return G_SOURCE_CONTINUE;
    }
  peer = g_strdup_printf ("client %" G_GUINT64_FORMAT " (pid %d uid %u)", ++l->serial,
                          (int) cred.pid, (unsigned) cred.uid);
  if (!uid_allowed (l, cred.uid))
    {
      g_autofree char *desc = g_strdup_printf (
          "uid %u may not use this agent: only root and --allow-uid may", (unsigned) cred.uid);
      g_message ("%s refused: %s", peer, desc);
      refuse (cfd, QW_ERROR_PERMISSION_DENIED, desc);
      return G_SOURCE_CONTINUE;
    }
  if (l->clients->len >= l->max_clients)
    {
      g_autofree char *desc = g_strdup_printf (
          "Too many clients: the limit is %u (--max-clients)", l->max_clients);
      g_message ("%s refused: %s", peer, desc);
      refuse (cfd, QW_ERROR_LIMIT_EXCEEDED, desc);
      return G_SOURCE_CONTINUE;
    }
  g_debug ("%s connected", peer);
  ch = qa_channel_new (cfd, FALSE, l->max_message, peer);
  g_ptr_array_add (l->clients, ch);
  qa_channel_start (ch, on_client_message, on_client_closed, l);
  return G_SOURCE_CONTINUE;
}

static void
client_drop (QaChannel *ch)
{
  /* the listener is going away: detach before closing so the closed
   * callback does not touch a dying array */
  qa_channel_start (ch, NULL, NULL, NULL);
  qa_channel_close (ch);
  qa_channel_unref (ch);
}

QaListener *
qa_listener_new (const char *path, GArray *allow_uids, guint max_clients, gsize max_message,
                 QaChannelMessageFunc message_func, gpointer user_data, GError **error)
{
  g_autoptr (QaListener) l = g_new0 (QaListener, 1);
  struct sockaddr_un addr;
  mode_t old_mask;
  int r;

  l->fd = -1;
  l->path = g_strdup (path);
  l->allow_uids = g_array_new (FALSE, FALSE, sizeof (uid_t));
  if (allow_uids != NULL)
    g_array_append_vals (l->allow_uids, allow_uids->data, allow_uids->len);
  l->max_clients = max_clients > 0 ? max_clients : 64;
  l->max_message = max_message;
  l->clients = g_ptr_array_new_with_free_func ((GDestroyNotify) client_drop);
  l->message_func = message_func;
  l->user_data = user_data;

  if (!fill_addr (&addr, path, error) || !remove_stale (path, error))
    return NULL;
  l->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (l->fd < 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "socket: %s", g_strerror (errno));
      return NULL;
    }
  /* created 0600 from the start: no window in which others may connect */
  old_mask = umask (0177);
  r = bind (l->fd, (struct sockaddr *) &addr, sizeof (addr));
  umask (old_mask);
  if (r != 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot bind '%s': %s", path,
                   g_strerror (errno));
      return NULL;
    }
  if (chmod (path, 0600) != 0 || listen (l->fd, 64) != 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot listen on '%s': %s", path,
                   g_strerror (errno));
      return NULL;
    }
  l->accept_id = g_unix_fd_add (l->fd, G_IO_IN, on_accept, l);
  g_info ("listening on unix:%s", path);
  return g_steal_pointer (&l);
}

void
qa_listener_free (QaListener *l)
{
  if (l == NULL)
    return;
  if (l->accept_id != 0)
    g_source_remove (l->accept_id);
  if (l->fd >= 0)
    {
      close (l->fd);
      unlink (l->path);
    }
  /* the message callback's user data (the daemon) must not see these */
  if (l->clients != NULL)
    g_ptr_array_unref (l->clients);
  if (l->allow_uids != NULL)
    g_array_unref (l->allow_uids);
  g_free (l->path);
  g_free (l);
}

guint
qa_listener_n_clients (const QaListener *l)
{
  return l->clients->len;
}
