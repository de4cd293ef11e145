/* SPDX-License-Identifier: GPL-2.0-or-later */
/* st-util: see st-util.h. */
#include "st-util.h"
#include "qt-sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* the client */

struct _StConn
{
  int fd;
  GString *in;
  char *last_reply;
};

StConn *
st_conn_new (const char *socket_path, guint timeout_ms)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  gint64 deadline = qt_now_ms () + timeout_ms;
  StConn *c;

  g_strlcpy (sun.sun_path, socket_path, sizeof sun.sun_path);
  for (;;)
    {
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0)
        return NULL;
      if (connect (fd, (struct sockaddr *)&sun, sizeof sun) == 0)
        {
          c = g_new0 (StConn, 1);
          c->fd = fd;
          c->in = g_string_new (NULL);
          return c;
        }
      close (fd);
      if (qt_now_ms () > deadline)
        return NULL;
      qt_sleep_ms (10);
    }
}

void
st_conn_free (StConn *c)
{
  if (c == NULL)
    return;
  if (c->fd >= 0)
    close (c->fd);
  g_string_free (c->in, TRUE);
  g_free (c->last_reply);
  g_free (c);
}

gboolean
st_conn_send (StConn *c, const char *data, gsize len)
{
  return qt_fd_send_all (c->fd, data, len, 30000);
}

JsonNode *
st_conn_call (StConn *c, const char *req, guint timeout_ms, char **why)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *line = NULL;
  gboolean eof;
  JsonNode *root;

  *why = NULL;
  if (!st_conn_send (c, req, strlen (req)))
    {
      *why = g_strdup_printf ("sending failed: %s", g_strerror (errno));
      return NULL;
    }
  line = qt_fd_read_line (c->fd, c->in, timeout_ms, &eof);
  if (line == NULL)
    {
      *why = g_strdup (eof ? "the agent closed the connection" : "no reply in time (agent hung?)");
      return NULL;
    }
  g_free (c->last_reply);
  c->last_reply = g_strdup (line);
  if (!json_parser_load_from_data (parser, line, -1, NULL)
      || (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      *why = g_strdup_printf ("reply is no JSON object: %s", line);
      return NULL;
    }
  return json_node_copy (root);
}

const char *
st_conn_last_reply (StConn *c)
{
  return c->last_reply != NULL ? c->last_reply : "(none)";
}

const char *
st_reply_error_class (JsonNode *reply)
{
  JsonObject *o = json_node_get_object (reply);
  JsonObject *e;

  if (json_object_has_member (o, "return") && !json_object_has_member (o, "error"))
    return NULL;
  e = qt_obj_or_null (o, "error");
  if (e == NULL || qt_str_or_null (e, "class") == NULL)
    return "?";
  return qt_str_or_null (e, "class");
}

JsonNode *
st_reply_return (JsonNode *reply)
{
  return json_object_get_member (json_node_get_object (reply), "return");
}

/* ------------------------------------------------------------------ */
/* handles */

static void
handle_free (StHandle *h)
{
  g_free (h->owner);
  g_ptr_array_unref (h->fs);
  g_ptr_array_unref (h->lost);
  g_free (h);
}

void
st_handles_free (StHandles *hs)
{
  if (hs == NULL)
    return;
  g_ptr_array_unref (hs->handles);
  g_free (hs);
}

static GPtrArray *
strings_of (JsonObject *o, const char *member, gboolean *ok)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  JsonNode *n = json_object_get_member (o, member);
  JsonArray *a;

  if (n == NULL)
    return out;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    {
      *ok = FALSE;
      return out;
    }
  a = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      const char *s = qt_str_at (a, i);
      if (s == NULL)
        *ok = FALSE;
      else
        g_ptr_array_add (out, g_strdup (s));
    }
  return out;
}

StHandles *
st_handles_get (StConn *c, char **why)
{
  g_autoptr (JsonNode) reply = NULL;
  StHandles *hs;
  JsonNode *ret;
  JsonArray *a;
  gint64 t0 = qt_now_ms ();

  reply = st_conn_call (c, "{\"execute\":\"guest-fsfreeze-handles\"}", 30000, why);
  if (reply == NULL)
    return NULL;
  ret = st_reply_return (reply);
  if (st_reply_error_class (reply) != NULL || ret == NULL || !JSON_NODE_HOLDS_ARRAY (ret))
    {
      *why
          = g_strdup_printf ("guest-fsfreeze-handles: unexpected reply %s", st_conn_last_reply (c));
      return NULL;
    }
  hs = g_new0 (StHandles, 1);
  hs->t_sent_ms = t0;
  hs->t_reply_ms = qt_now_ms ();
  hs->handles = g_ptr_array_new_with_free_func ((GDestroyNotify)handle_free);
  a = json_node_get_array (ret);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = qt_obj_at (a, i);
      gboolean ok = TRUE;
      StHandle *h;

      if (o == NULL || qt_int_or (o, "handle", -1) <= 0 || qt_int_or (o, "expires-in", -2) < -1)
        {
          *why = g_strdup_printf ("guest-fsfreeze-handles: bad entry %u in %s", i,
                                  st_conn_last_reply (c));
          st_handles_free (hs);
          return NULL;
        }
      h = g_new0 (StHandle, 1);
      h->id = qt_int_or (o, "handle", -1);
      h->legacy = qt_bool_or (o, "legacy", FALSE);
      h->expires_in = qt_int_or (o, "expires-in", -1);
      h->owner = g_strdup (qt_str_or_null (o, "owner"));
      h->fs = strings_of (o, "filesystems", &ok);
      h->lost = strings_of (o, "lost", &ok);
      g_ptr_array_add (hs->handles, h);
      if (!ok)
        {
          *why = g_strdup_printf ("guest-fsfreeze-handles: bad lists in entry %u of %s", i,
                                  st_conn_last_reply (c));
          st_handles_free (hs);
          return NULL;
        }
    }
  return hs;
}

static gboolean
strv_same (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) != 0)
      return FALSE;
  return TRUE;
}

gboolean
st_handles_same (const StHandles *a, const StHandles *b)
{
  if (a->handles->len != b->handles->len)
    return FALSE;
  for (guint i = 0; i < a->handles->len; i++)
    {
      StHandle *x = g_ptr_array_index (a->handles, i);
      StHandle *y = g_ptr_array_index (b->handles, i);
      if (x->id != y->id || !strv_same (x->fs, y->fs) || !strv_same (x->lost, y->lost))
        return FALSE;
    }
  return TRUE;
}

StHandle *
st_handles_find (const StHandles *hs, gint64 id)
{
  for (guint i = 0; i < hs->handles->len; i++)
    {
      StHandle *h = g_ptr_array_index (hs->handles, i);
      if (h->id == id)
        return h;
    }
  return NULL;
}

gboolean
st_handles_hold (const StHandles *hs, const char *mountpoint)
{
  for (guint i = 0; i < hs->handles->len; i++)
    {
      StHandle *h = g_ptr_array_index (hs->handles, i);
      for (guint j = 0; j < h->fs->len; j++)
        if (g_strcmp0 (g_ptr_array_index (h->fs, j), mountpoint) == 0)
          return TRUE;
    }
  return FALSE;
}

char *
st_handles_describe (const StHandles *hs)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < hs->handles->len; i++)
    {
      StHandle *h = g_ptr_array_index (hs->handles, i);
      g_string_append_printf (s, "%s%" G_GINT64_FORMAT "%s(exp %" G_GINT64_FORMAT ")[",
                              i ? " " : "", h->id, h->legacy ? "L" : "", h->expires_in);
      for (guint j = 0; j < h->fs->len; j++)
        {
          g_autofree char *b = g_path_get_basename (g_ptr_array_index (h->fs, j));
          g_string_append_printf (s, "%s%s", j ? "," : "", b);
        }
      if (h->lost->len > 0)
        g_string_append_printf (s, " lost:%u", h->lost->len);
      g_string_append_c (s, ']');
    }
  if (s->len == 0)
    g_string_append (s, "(none)");
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------ */
/* the kernel's truth */

struct _StProbe
{
  guint n;
  char **mountpoints;
  pid_t *pid; /* the probe of each filesystem, 0 if none */
  guint seq;
};

StProbe *
st_probe_new (const char *const *mountpoints)
{
  StProbe *p = g_new0 (StProbe, 1);

  p->mountpoints = g_strdupv ((char **)mountpoints);
  p->n = g_strv_length (p->mountpoints);
  p->pid = g_new0 (pid_t, p->n);
  return p;
}

static pid_t
probe_spawn (StProbe *p, guint i)
{
  char path[PATH_MAX];
  pid_t pid;

  /* one file per filesystem: at most one probe of a filesystem exists */
  snprintf (path, sizeof path, "%s/st-probe", p->mountpoints[i]);
  pid = fork ();
  if (pid == 0)
    {
      /* system calls only */
      int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0)
        _exit (1);
      if (write (fd, "p", 1) != 1)
        _exit (2);
      close (fd);
      _exit (0);
    }
  return pid;
}

/* TRUE if PID sleeps waiting for the freeze to end (sb_start_write) */
static gboolean
blocked_on_freeze (pid_t pid)
{
  char path[64];
  char buf[512];
  ssize_t n;
  int fd;
  const char *rp;

  snprintf (path, sizeof path, "/proc/%d/stat", (int)pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return FALSE;
  buf[n] = '\0';
  rp = strrchr (buf, ')');
  if (rp == NULL || rp[1] != ' ' || rp[2] != 'D')
    return FALSE;
  snprintf (path, sizeof path, "/proc/%d/wchan", (int)pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return FALSE;
  buf[n] = '\0';
  return strstr (buf, "percpu_rwsem") != NULL || strstr (buf, "sb_start_write") != NULL
         || strstr (buf, "__sb_start") != NULL;
}

gboolean
st_probe_run (StProbe *p, gboolean *frozen, guint timeout_ms, char **why)
{
  g_autofree gboolean *decided = g_new0 (gboolean, p->n);
  gint64 deadline = qt_now_ms () + timeout_ms;
  guint left = p->n;

  *why = NULL;
  for (guint i = 0; i < p->n; i++)
    {
      int status;
      /* a probe that finished since the last run saw a thaw in between;
       * a fresh one probes the present */
      if (p->pid[i] > 0 && waitpid (p->pid[i], &status, WNOHANG) == p->pid[i])
        p->pid[i] = 0;
      if (p->pid[i] == 0)
        {
          p->pid[i] = probe_spawn (p, i);
          if (p->pid[i] < 0)
            {
              p->pid[i] = 0;
              *why = g_strdup_printf ("fork: %s", g_strerror (errno));
              return FALSE;
            }
        }
    }
  for (;;)
    {
      for (guint i = 0; i < p->n; i++)
        {
          int status;
          if (decided[i])
            continue;
          if (waitpid (p->pid[i], &status, WNOHANG) == p->pid[i])
            {
              p->pid[i] = 0;
              if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
                {
                  *why = g_strdup_printf ("the probe of %s failed (status 0x%x)", p->mountpoints[i],
                                          status);
                  return FALSE;
                }
              frozen[i] = FALSE;
              decided[i] = TRUE;
              left--;
            }
          else if (blocked_on_freeze (p->pid[i]))
            {
              frozen[i] = TRUE;
              decided[i] = TRUE;
              left--;
            }
        }
      if (left == 0)
        return TRUE;
      if (qt_now_ms () > deadline)
        {
          GString *s = g_string_new ("probes neither finished nor blocked on a freeze within ");
          g_string_append_printf (s, "%u ms:", timeout_ms);
          for (guint i = 0; i < p->n; i++)
            if (!decided[i])
              g_string_append_printf (s, " %s", p->mountpoints[i]);
          *why = g_string_free (s, FALSE);
          return FALSE;
        }
      qt_sleep_ms (1);
    }
}

gboolean
st_probe_finish (StProbe *p, guint timeout_ms)
{
  gint64 deadline = qt_now_ms () + timeout_ms;

  for (;;)
    {
      gboolean any = FALSE;
      for (guint i = 0; i < p->n; i++)
        {
          int status;
          if (p->pid[i] > 0 && waitpid (p->pid[i], &status, WNOHANG) == p->pid[i])
            p->pid[i] = 0;
          any |= p->pid[i] > 0;
        }
      if (!any)
        return TRUE;
      if (qt_now_ms () > deadline)
        return FALSE;
      qt_sleep_ms (5);
    }
}

void
st_probe_free (StProbe *p)
{
  if (p == NULL)
    return;
  /* blocked probes stay children of the test: the harness thaws, then
   * reaps them */
  g_strfreev (p->mountpoints);
  g_free (p->pid);
  g_free (p);
}

/* ------------------------------------------------------------------ */
/* an agent of our own */

struct _StAgent
{
  GPtrArray *argv;
  char *socket;
  char *log;
  pid_t pid;
};

StAgent *
st_agent_new (QtHarness *h, const char *log_path, const char *const *extra)
{
  StAgent *a = g_new0 (StAgent, 1);
  const char *bin = g_getenv ("QUIESCE_AGENT");
  const char *build = g_getenv ("QUIESCE_BUILD_DIR");

  a->argv = g_ptr_array_new_with_free_func (g_free);
  if (bin != NULL && bin[0] != '\0')
    g_ptr_array_add (a->argv, g_strdup (bin));
  else
    g_ptr_array_add (
        a->argv, g_build_filename (build != NULL ? build : ".", "agent", "quiesce-agent", NULL));
  g_ptr_array_add (a->argv, g_strdup ("--listen"));
  g_ptr_array_add (a->argv, g_strconcat ("unix:", qt_agent_socket (h), NULL));
  g_ptr_array_add (a->argv, g_strdup ("--state-dir"));
  g_ptr_array_add (a->argv, g_build_filename (qt_test_dir (h), "state", NULL));
  /* never without it: nothing outside the test's own mounts can freeze */
  g_ptr_array_add (a->argv, g_strdup ("--only-under"));
  g_ptr_array_add (a->argv, g_strdup (qt_only_under (h)));
  g_ptr_array_add (a->argv, g_strdup ("-v"));
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (a->argv, g_strdup (extra[i]));
  g_ptr_array_add (a->argv, NULL);
  a->socket = g_strdup (qt_agent_socket (h));
  a->log = g_strdup (log_path);
  return a;
}

void
st_agent_free (StAgent *a)
{
  if (a == NULL)
    return;
  g_ptr_array_unref (a->argv);
  g_free (a->socket);
  g_free (a->log);
  g_free (a);
}

void
st_agent_log_note (StAgent *a, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  g_autofree char *line = NULL;
  int fd;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  line = g_strdup_printf ("==== st %" G_GINT64_FORMAT ": %s\n", qt_now_ms (), msg);
  fd = open (a->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  if (write (fd, line, strlen (line)) < 0)
    {
      /* the log is a convenience */
    }
  close (fd);
}

pid_t
st_agent_spawn (StAgent *a)
{
  int logfd;
  pid_t pid;

  g_assert (a->pid == 0);
  {
    g_autofree char *cmd = g_strjoinv (" ", (char **)a->argv->pdata);
    st_agent_log_note (a, "starting %s", cmd);
  }
  logfd = open (a->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (logfd < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      int devnull = open ("/dev/null", O_RDONLY);
      dup2 (devnull, 0);
      dup2 (logfd, 1);
      dup2 (logfd, 2);
      execv ((char *)a->argv->pdata[0], (char **)a->argv->pdata);
      _exit (127);
    }
  close (logfd);
  if (pid > 0)
    a->pid = pid;
  return pid;
}

gboolean
st_agent_wait_listening (StAgent *a, guint timeout_ms)
{
  gint64 deadline = qt_now_ms () + timeout_ms;

  for (;;)
    {
      struct sockaddr_un sun = { .sun_family = AF_UNIX };
      int status;
      int fd;

      if (a->pid <= 0)
        return FALSE;
      if (waitpid (a->pid, &status, WNOHANG) == a->pid)
        {
          st_agent_log_note (a, "the agent exited (status 0x%x) before it listened", status);
          a->pid = 0;
          return FALSE;
        }
      fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      g_strlcpy (sun.sun_path, a->socket, sizeof sun.sun_path);
      if (connect (fd, (struct sockaddr *)&sun, sizeof sun) == 0)
        {
          close (fd);
          return TRUE;
        }
      close (fd);
      if (qt_now_ms () > deadline)
        return FALSE;
      qt_sleep_ms (5);
    }
}

static int
reap (StAgent *a, guint timeout_ms)
{
  gint64 deadline = qt_now_ms () + timeout_ms;

  for (;;)
    {
      int status;
      pid_t r = waitpid (a->pid, &status, WNOHANG);
      if (r == a->pid || (r < 0 && errno == ECHILD))
        {
          a->pid = 0;
          return r < 0 ? 0 : status;
        }
      if (qt_now_ms () > deadline)
        return -1;
      qt_sleep_ms (2);
    }
}

gboolean
st_agent_kill (StAgent *a, guint timeout_ms)
{
  if (a->pid <= 0)
    return TRUE;
  kill (a->pid, SIGKILL);
  if (reap (a, timeout_ms) == -1)
    return FALSE;
  st_agent_log_note (a, "killed with SIGKILL");
  return TRUE;
}

int
st_agent_stop (StAgent *a, guint timeout_ms)
{
  if (a->pid <= 0)
    return -1;
  kill (a->pid, SIGTERM);
  return reap (a, timeout_ms);
}

pid_t
st_agent_pid (StAgent *a)
{
  return a->pid;
}

void
st_agent_dump_log (StAgent *a, guint max_lines)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  guint n;

  if (!g_file_get_contents (a->log, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  g_printerr ("---- agent log (%s, last %u lines) ----\n", a->log, MIN (n, max_lines));
  for (guint i = n > max_lines ? n - max_lines : 0; i < n; i++)
    if (lines[i][0] != '\0')
      g_printerr ("  | %s\n", lines[i]);
  g_printerr ("---- end of agent log ----\n");
}

/* ------------------------------------------------------------------ */
/* small things */

gboolean
st_note_foreign_freezers (void)
{
  g_autoptr (GDir) d = g_dir_open ("/proc", 0, NULL);
  const char *name;
  gboolean found = FALSE;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *comm = NULL;
      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "comm", NULL);
      if (g_file_get_contents (path, &comm, NULL, NULL) && g_str_has_prefix (comm, "qemu-ga"))
        {
          g_print ("# NOTE: qemu-ga runs here (pid %s): its freeze and thaw act on every mount of "
                   "the machine, this test's included, and would show up as violations\n",
                   name);
          found = TRUE;
        }
    }
  return found;
}

int
st_rand (GRand *r, int lo, int hi)
{
  return g_rand_int_range (r, lo, hi + 1);
}

gboolean
st_write_dirty (const char *path, guint mib, char **why)
{
  g_autofree guint32 *block = g_new (guint32, (1 << 20) / 4);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      *why = g_strdup_printf ("open %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < mib; i++)
    {
      gsize done = 0;
      for (guint k = 0; k < (1 << 20) / 4; k++)
        block[k] = g_random_int ();
      while (done < (1 << 20))
        {
          ssize_t n = write (fd, (char *)block + done, (1 << 20) - done);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              *why = g_strdup_printf ("write %s: %s", path, g_strerror (errno));
              close (fd);
              return FALSE;
            }
          done += (gsize)n;
        }
    }
  /* no fsync: the freeze has to write it back */
  close (fd);
  return TRUE;
}

long
st_arg_long (int argc, char **argv, const char *name, long dflt)
{
  for (int i = 1; i < argc; i++)
    {
      const char *v = NULL;
      gsize n = strlen (name);
      char *end;
      long x;

      if (strcmp (argv[i], name) == 0 && i + 1 < argc)
        v = argv[i + 1];
      else if (strncmp (argv[i], name, n) == 0 && argv[i][n] == '=')
        v = argv[i] + n + 1;
      if (v == NULL)
        continue;
      errno = 0;
      x = strtol (v, &end, 10);
      if (errno != 0 || *end != '\0' || x <= 0)
        {
          g_printerr ("%s wants a whole positive number, not '%s'\n", name, v);
          exit (2);
        }
      return x;
    }
  return dflt;
}
