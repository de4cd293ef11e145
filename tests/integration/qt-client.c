/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qt-client: a small blocking client of the agent's unix socket.
 *
 * It is independent of common/ on purpose: the tests must not share the
 * code under test.  Every read has a deadline, so a hung agent fails the
 * test instead of hanging it. */
#include "qt-harness.h"
#include "qt-sweep.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define QT_REPLY_TIMEOUT_MS 60000 /* a freeze of dirty data may take a while */

struct _QtClient
{
  QtHarness *h;
  int fd;
  GString *in;
  JsonNode *last;
  char *last_request;
  char *last_reply;
  gint64 sync_id;
};

/* ------------------------------------------------------------------ */
/* the client */

QtClient *
qt_client_new (QtHarness *h)
{
  QtClient *c = g_new0 (QtClient, 1);
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  gint64 deadline = qt_now_ms () + 5000;

  g_strlcpy (sun.sun_path, qt_agent_socket (h), sizeof sun.sun_path);
  c->h = h;
  c->in = g_string_new (NULL);
  c->sync_id = 4242000 + g_random_int_range (0, 1000) * 1000;
  for (;;)
    {
      c->fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      ck_assert_msg (c->fd >= 0, "socket: %s", g_strerror (errno));
      if (connect (c->fd, (struct sockaddr *) &sun, sizeof sun) == 0)
        break;
      close (c->fd);
      if (qt_now_ms () > deadline)
        {
          qt_agent_dump_log (h);
          ck_abort_msg ("cannot connect to %s: %s", qt_agent_socket (h), g_strerror (errno));
        }
      qt_sleep_ms (10);
    }
  return c;
}

void
qt_client_free (QtClient *c)
{
  if (c == NULL)
    return;
  if (c->fd >= 0)
    close (c->fd);
  g_string_free (c->in, TRUE);
  if (c->last != NULL)
    json_node_unref (c->last);
  g_free (c->last_request);
  g_free (c->last_reply);
  g_free (c);
}

int
qt_client_fd (QtClient *c)
{
  return c->fd;
}

const char *
qt_client_last_request (QtClient *c)
{
  return c->last_request != NULL ? c->last_request : "";
}

const char *
qt_client_last_reply (QtClient *c)
{
  return c->last_reply != NULL ? c->last_reply : "(none)";
}

gboolean
qt_fd_send_all (int fd, const void *data, gsize len, guint timeout_ms)
{
  const char *p = data;
  gint64 deadline = qt_now_ms () + timeout_ms;

  while (len > 0)
    {
      struct pollfd pfd = { fd, POLLOUT, 0 };
      ssize_t n;

      if (poll (&pfd, 1, 100) < 0 && errno != EINTR)
        return FALSE;
      if (qt_now_ms () > deadline)
        return FALSE;
      if (!(pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
        continue;
      n = send (fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

char *
qt_fd_read_line (int fd, GString *in, guint timeout_ms, gboolean *eof)
{
  gint64 deadline = qt_now_ms () + timeout_ms;

  if (eof != NULL)
    *eof = FALSE;
  for (;;)
    {
      char *nl = memchr (in->str, '\n', in->len);
      char buf[65536];
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left;
      ssize_t n;

      if (nl != NULL)
        {
          gsize len = (gsize) (nl - in->str);
          gsize skip = 0;
          char *line;

          /* the 0xFF that guest-sync-delimited puts before a reply */
          while (skip < len && (guchar) in->str[skip] == 0xff)
            skip++;
          line = g_strndup (in->str + skip, len - skip);
          g_string_erase (in, 0, (gssize) len + 1);
          return line;
        }
      n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0)
        {
          g_string_append_len (in, buf, n);
          continue;
        }
      if (n == 0 || (errno != EINTR && errno != EAGAIN))
        {
          if (eof != NULL)
            *eof = TRUE;
          return NULL;
        }
      left = deadline - qt_now_ms ();
      if (left <= 0)
        return NULL;
      if (poll (&pfd, 1, (int) MIN (left, 1000)) < 0 && errno != EINTR)
        return NULL;
    }
}

gboolean
qt_client_try_send_raw (QtClient *c, const void *data, gsize len)
{
  return qt_fd_send_all (c->fd, data, len, QT_REPLY_TIMEOUT_MS);
}

char *
qt_client_read_line (QtClient *c, guint timeout_ms)
{
  return qt_fd_read_line (c->fd, c->in, timeout_ms, NULL);
}

static JsonNode *
parse_reply (const char *line, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, line, -1, error))
    return NULL;
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "empty reply");
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

static const char *
describe_status (int status)
{
  static char buf[96];

  if (WIFSIGNALED (status))
    snprintf (buf, sizeof buf, "was killed by signal %d (%s)", WTERMSIG (status),
              g_strsignal (WTERMSIG (status)));
  else
    snprintf (buf, sizeof buf, "exited with status %d", WEXITSTATUS (status));
  return buf;
}

/* fails the test, saying why WHAT happened: the agent died, closed the
 * connection, or hung */
static void
fail_no_reply (QtClient *c, const char *what)
{
  gboolean eof = c->fd < 0;
  char probe;

  if (!eof)
    eof = recv (c->fd, &probe, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
  /* an agent that crashed closes the connection a moment before it can be
   * reaped */
  if (c->h != NULL && qt_agent_pid (c->h) > 0
      && (eof ? qt_agent_wait (c->h, 2000) != -1 : !qt_agent_alive (c->h)))
    {
      qt_agent_dump_log (c->h);
      ck_abort_msg ("%s: the agent %s", what, describe_status (qt_agent_last_status (c->h)));
    }
  ck_abort_msg ("%s: %s", what,
                eof ? "the agent closed the connection"
                    : "nothing within " G_STRINGIFY (QT_REPLY_TIMEOUT_MS) " ms (agent hung?)");
}

void
qt_client_send_raw (QtClient *c, const void *data, gsize len)
{
  g_autofree char *what = NULL;
  int saved;

  if (qt_client_try_send_raw (c, data, len))
    return;
  saved = errno;
  what = g_strdup_printf ("sending %" G_GSIZE_FORMAT " bytes failed (%s)", len, g_strerror (saved));
  fail_no_reply (c, what);
}

static JsonNode *
call_v (QtClient *c, const char *fmt, va_list ap)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *req = g_strdup_vprintf (fmt, ap);
  char *line;

  g_free (c->last_request);
  /* the bad-input tests send huge requests: keep messages short */
  c->last_request = strlen (req) > 300 ? g_strdup_printf ("%.300s...", req) : g_strdup (req);
  qt_client_send_raw (c, req, strlen (req));
  line = qt_client_read_line (c, QT_REPLY_TIMEOUT_MS);
  if (line == NULL)
    {
      g_autofree char *what = g_strdup_printf ("no reply to %s", c->last_request);
      fail_no_reply (c, what);
    }
  g_free (c->last_reply);
  c->last_reply = line;
  if (c->last != NULL)
    json_node_unref (c->last);
  c->last = parse_reply (line, &error);
  ck_assert_msg (c->last != NULL, "reply to %s is no JSON (%s): %s", c->last_request,
                 error->message, line);
  ck_assert_msg (JSON_NODE_HOLDS_OBJECT (c->last), "reply to %s is no object: %s", c->last_request,
                 line);
  return c->last;
}

JsonNode *
qt_call (QtClient *c, const char *fmt, ...)
{
  va_list ap;
  JsonNode *n;

  va_start (ap, fmt);
  n = call_v (c, fmt, ap);
  va_end (ap);
  return n;
}

JsonNode *
qt_ok (QtClient *c, const char *fmt, ...)
{
  va_list ap;
  JsonNode *n;
  JsonObject *o;

  va_start (ap, fmt);
  n = call_v (c, fmt, ap);
  va_end (ap);
  o = json_node_get_object (n);
  ck_assert_msg (json_object_has_member (o, "return") && !json_object_has_member (o, "error"),
                 "request %s: expected success, got %s", c->last_request, c->last_reply);
  return json_object_get_member (o, "return");
}

const char *
qt_err (QtClient *c, const char *klass, const char *fmt, ...)
{
  va_list ap;
  JsonNode *n;
  JsonObject *o;
  JsonObject *e;
  JsonNode *cls;
  JsonNode *desc;

  va_start (ap, fmt);
  n = call_v (c, fmt, ap);
  va_end (ap);
  o = json_node_get_object (n);
  ck_assert_msg (json_object_has_member (o, "error") && !json_object_has_member (o, "return"),
                 "request %s: expected error class %s, got %s", c->last_request, klass,
                 c->last_reply);
  ck_assert_msg (JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "error")),
                 "request %s: \"error\" is no object: %s", c->last_request, c->last_reply);
  e = qt_obj_or_null (o, "error");
  cls = json_object_get_member (e, "class");
  desc = json_object_get_member (e, "desc");
  ck_assert_msg (cls != NULL && JSON_NODE_HOLDS_VALUE (cls)
                     && json_node_get_value_type (cls) == G_TYPE_STRING,
                 "request %s: error without a class: %s", c->last_request, c->last_reply);
  ck_assert_msg (desc != NULL && JSON_NODE_HOLDS_VALUE (desc)
                     && json_node_get_value_type (desc) == G_TYPE_STRING,
                 "request %s: error without a desc: %s", c->last_request, c->last_reply);
  ck_assert_msg (g_strcmp0 (json_node_get_string (cls), klass) == 0,
                 "request %s: expected error class %s, got %s", c->last_request, klass,
                 c->last_reply);
  return json_node_get_string (desc);
}

GStrv
qt_resync (QtClient *c, gboolean delimited)
{
  g_autoptr (GPtrArray) before = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *req = NULL;
  g_autofree char *want = NULL;
  gint64 id = ++c->sync_id;
  gint64 deadline = qt_now_ms () + QT_REPLY_TIMEOUT_MS;

  if (delimited)
    req = g_strdup_printf (
        "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":%" G_GINT64_FORMAT "}}",
        id);
  else
    req = g_strdup_printf (
        "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":%" G_GINT64_FORMAT "}}", id);
  want = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  qt_client_send_raw (c, req, strlen (req));
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) node = NULL;
      gint64 left = deadline - qt_now_ms ();
      char *line;

      ck_assert_msg (left > 0, "no reply to guest-sync id %s", want);
      line = qt_client_read_line (c, (guint) left);
      if (line == NULL)
        {
          g_autofree char *what = g_strdup_printf (
              "no reply to guest-sync id %s (after %u other lines)", want, before->len);
          fail_no_reply (c, what);
        }
      node = parse_reply (line, &error);
      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        {
          JsonNode *ret = json_object_get_member (json_node_get_object (node), "return");
          if (ret != NULL && JSON_NODE_HOLDS_VALUE (ret)
              && json_node_get_value_type (ret) == G_TYPE_INT64 && json_node_get_int (ret) == id)
            {
              g_free (line);
              break;
            }
        }
      g_ptr_array_add (before, line);
    }
  g_ptr_array_add (before, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&before), FALSE);
}

/* ------------------------------------------------------------------ */
/* typed calls */

static char *
json_strv_va (const char *first, va_list ap)
{
  GString *s = g_string_new ("[");
  const char *p = first;
  gboolean comma = FALSE;

  while (p != NULL)
    {
      g_autofree char *esc = g_strescape (p, NULL);
      g_string_append_printf (s, "%s\"%s\"", comma ? "," : "", esc);
      comma = TRUE;
      p = va_arg (ap, const char *);
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

char *
qt_json_strv (const char *first, ...)
{
  va_list ap;
  char *s;

  va_start (ap, first);
  s = json_strv_va (first, ap);
  va_end (ap);
  return s;
}

gint64
qt_get_int (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  ck_assert_msg (n != NULL && JSON_NODE_HOLDS_VALUE (n)
                     && json_node_get_value_type (n) == G_TYPE_INT64,
                 "member '%s' is missing or not an integer", member);
  return json_node_get_int (n);
}

const char *
qt_get_str (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  ck_assert_msg (n != NULL && JSON_NODE_HOLDS_VALUE (n)
                     && json_node_get_value_type (n) == G_TYPE_STRING,
                 "member '%s' is missing or not a string", member);
  return json_node_get_string (n);
}

JsonArray *
qt_get_array (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  ck_assert_msg (n != NULL && JSON_NODE_HOLDS_ARRAY (n), "member '%s' is missing or not an array",
                 member);
  return json_node_get_array (n);
}

JsonObject *
qt_obj_at (JsonArray *a, guint i)
{
  JsonNode *n = a != NULL && i < json_array_get_length (a) ? json_array_get_element (a, i) : NULL;

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

const char *
qt_str_at (JsonArray *a, guint i)
{
  JsonNode *n = a != NULL && i < json_array_get_length (a) ? json_array_get_element (a, i) : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
             ? json_node_get_string (n)
             : NULL;
}

JsonObject *
qt_obj_or_null (JsonObject *o, const char *member)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

const char *
qt_str_or_null (JsonObject *o, const char *member)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
             ? json_node_get_string (n)
             : NULL;
}

gboolean
qt_bool_or (JsonObject *o, const char *member, gboolean dflt)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN
             ? json_node_get_boolean (n)
             : dflt;
}

gint64
qt_int_or (JsonObject *o, const char *member, gint64 dflt)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
             ? json_node_get_int (n)
             : dflt;
}

JsonObject *
qt_fsref (JsonObject *reply, const char *mountpoint)
{
  JsonArray *fs = qt_get_array (reply, "filesystems");

  for (guint i = 0; i < json_array_get_length (fs); i++)
    {
      JsonNode *n = json_array_get_element (fs, i);
      JsonObject *o;
      ck_assert_msg (JSON_NODE_HOLDS_OBJECT (n), "a filesystems entry is no object");
      o = json_node_get_object (n);
      if (g_strcmp0 (qt_get_str (o, "mountpoint"), mountpoint) == 0)
        return o;
    }
  ck_abort_msg ("no FsRef for %s in the reply", mountpoint);
  return NULL;
}

JsonObject *
qt_handles_find (JsonArray *handles, gint64 handle)
{
  for (guint i = 0; i < json_array_get_length (handles); i++)
    {
      JsonObject *o = qt_obj_at (handles, i);
      if (o != NULL && qt_int_or (o, "handle", -1) == handle)
        return o;
    }
  return NULL;
}

JsonObject *
qt_acquire (QtClient *c, const char *owner, int timeout, ...)
{
  va_list ap;
  g_autofree char *mps = NULL;
  g_autofree char *tmo = timeout > 0 ? g_strdup_printf (",\"timeout\":%d", timeout) : g_strdup ("");
  const char *first;
  JsonNode *ret;
  JsonObject *o;

  va_start (ap, timeout);
  first = va_arg (ap, const char *);
  mps = json_strv_va (first, ap);
  va_end (ap);
  ret = qt_ok (c,
               "{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":%s,"
               "\"owner\":\"%s\"%s}}",
               mps, owner, tmo);
  ck_assert_msg (JSON_NODE_HOLDS_OBJECT (ret), "acquire returned no object: %s",
                 qt_client_last_reply (c));
  o = json_node_get_object (ret);
  ck_assert_msg (qt_get_int (o, "handle") > 0, "acquire: handle <= 0: %s",
                 qt_client_last_reply (c));
  (void) qt_get_int (o, "frozen");
  (void) qt_get_int (o, "expires-in");
  (void) qt_get_array (o, "filesystems");
  return o;
}

JsonObject *
qt_release (QtClient *c, gint64 handle)
{
  JsonNode *ret = qt_ok (
      c, "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT "}}",
      handle);
  JsonObject *o;

  ck_assert_msg (JSON_NODE_HOLDS_OBJECT (ret), "release returned no object: %s",
                 qt_client_last_reply (c));
  o = json_node_get_object (ret);
  (void) qt_get_int (o, "thawed");
  (void) qt_get_array (o, "filesystems");
  return o;
}

gint64
qt_legacy_freeze (QtClient *c, ...)
{
  va_list ap;
  g_autofree char *mps = NULL;
  const char *first;
  JsonNode *ret;

  va_start (ap, c);
  first = va_arg (ap, const char *);
  mps = json_strv_va (first, ap);
  va_end (ap);
  ret = qt_ok (c, "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":%s}}",
               mps);
  ck_assert_msg (JSON_NODE_HOLDS_VALUE (ret) && json_node_get_value_type (ret) == G_TYPE_INT64,
                 "freeze-list returned no integer: %s", qt_client_last_reply (c));
  return json_node_get_int (ret);
}

gint64
qt_legacy_thaw (QtClient *c)
{
  JsonNode *ret = qt_ok (c, "{\"execute\":\"guest-fsfreeze-thaw\"}");

  ck_assert_msg (JSON_NODE_HOLDS_VALUE (ret) && json_node_get_value_type (ret) == G_TYPE_INT64,
                 "thaw returned no integer: %s", qt_client_last_reply (c));
  return json_node_get_int (ret);
}

const char *
qt_status (QtClient *c)
{
  JsonNode *ret = qt_ok (c, "{\"execute\":\"guest-fsfreeze-status\"}");

  ck_assert_msg (JSON_NODE_HOLDS_VALUE (ret) && json_node_get_value_type (ret) == G_TYPE_STRING,
                 "status returned no string: %s", qt_client_last_reply (c));
  return json_node_get_string (ret);
}

void
qt_ping (QtClient *c)
{
  JsonNode *ret = qt_ok (c, "{\"execute\":\"guest-ping\"}");

  ck_assert_msg (JSON_NODE_HOLDS_OBJECT (ret)
                     && json_object_get_size (json_node_get_object (ret)) == 0,
                 "guest-ping: expected {\"return\":{}}, got %s", qt_client_last_reply (c));
}
