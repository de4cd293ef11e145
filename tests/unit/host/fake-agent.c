/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake-agent.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qw-framer.h"

struct _FakeAgent
{
  int fd;
  GThread *thread;
  FakeAnswerFunc answer;
  gpointer user_data;
  GMutex lock;
  GPtrArray *requests; /* "execute ARGS-JSON", under lock */
  GPtrArray *failures; /* under lock */
  GQueue pending;      /* framed requests not yet answered (thread only) */
};

void
fake_agent_fail (FakeAgent *fa, char *msg)
{
  g_mutex_lock (&fa->lock);
  g_ptr_array_add (fa->failures, msg);
  g_mutex_unlock (&fa->lock);
}

static void
frame_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  FakeAgent *fa = user_data;

  if (kind == QW_FRAME_ERROR)
    fake_agent_fail (fa, g_strdup_printf ("the client sent bad JSON: %s", text));
  else
    g_queue_push_tail (&fa->pending, g_strndup (text, len));
}

gboolean
fake_agent_send (FakeAgent *fa, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = send (fa->fd, data, len, MSG_NOSIGNAL);

      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
answer_one (FakeAgent *fa, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QwRequest) request = qw_request_parse (text, strlen (text), NULL, &error);
  g_autoptr(JsonNode) args_node = NULL;
  g_autofree char *args_text = NULL;

  if (request == NULL)
    {
      fake_agent_fail (fa, g_strdup_printf ("bad request '%s': %s", text, error->message));
      return TRUE;
    }
  args_node = json_node_init_object (json_node_alloc (), request->arguments);
  args_text = qw_json_compact (args_node);
  g_mutex_lock (&fa->lock);
  g_ptr_array_add (fa->requests, g_strdup_printf ("%s %s", request->execute, args_text));
  g_mutex_unlock (&fa->lock);
  return fa->answer (fa, request, fa->user_data);
}

static gpointer
fake_thread (gpointer data)
{
  FakeAgent *fa = data;
  g_autoptr(QwFramer) framer = qw_framer_new (0, 0, frame_cb, fa);
  gboolean alive = TRUE;

  while (alive)
    {
      char buf[4096];
      ssize_t n = read (fa->fd, buf, sizeof buf);

      if (n <= 0)
        break;
      qw_framer_feed (framer, (const guint8 *) buf, (gsize) n);
      while (alive && !g_queue_is_empty (&fa->pending))
        {
          g_autofree char *text = g_queue_pop_head (&fa->pending);

          alive = answer_one (fa, text);
        }
    }
  g_queue_clear_full (&fa->pending, g_free);
  return NULL;
}

FakeAgent *
fake_agent_start (FakeAnswerFunc answer, gpointer user_data, guint timeout_ms,
                  QuiesceClient **client)
{
  FakeAgent *fa = g_new0 (FakeAgent, 1);
  g_autoptr(GError) error = NULL;
  int fds[2];

  ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  fa->fd = fds[1];
  fa->answer = answer;
  fa->user_data = user_data;
  fa->requests = g_ptr_array_new_with_free_func (g_free);
  fa->failures = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&fa->lock);
  g_queue_init (&fa->pending);
  fa->thread = g_thread_new ("fake-agent", fake_thread, fa);

  *client = quiesce_client_new_for_fd (fds[0], &error);
  ck_assert_msg (*client != NULL, "%s", error ? error->message : "");
  quiesce_client_set_timeout (*client, timeout_ms);
  ck_assert_uint_eq (quiesce_client_get_timeout (*client), timeout_ms);
  return fa;
}

void
fake_agent_finish (FakeAgent *fa)
{
  g_thread_join (fa->thread);
  for (guint i = 0; i < fa->failures->len; i++)
    ck_abort_msg ("fake agent: %s", (const char *) g_ptr_array_index (fa->failures, i));
  close (fa->fd);
  g_ptr_array_unref (fa->requests);
  g_ptr_array_unref (fa->failures);
  g_mutex_clear (&fa->lock);
  g_free (fa);
}

int
fake_agent_fd (FakeAgent *fa)
{
  return fa->fd;
}

char *
fake_agent_request (FakeAgent *fa, guint i)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&fa->lock);

  return i < fa->requests->len ? g_strdup (g_ptr_array_index (fa->requests, i)) : NULL;
}

guint
fake_agent_n_requests (FakeAgent *fa)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&fa->lock);

  return fa->requests->len;
}
