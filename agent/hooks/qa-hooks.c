/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-hooks.h"
#include "qw-error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTPUT_MAX 4096 /* of a hook's output kept for the log and errors */

struct _QaHooks
{
  char *dir;
  char *single;
  guint timeout_s;
};

QaHooks *
qa_hooks_new (const char *hook_dir, const char *single, guint timeout_s)
{
  QaHooks *h = g_new0 (QaHooks, 1);
  h->dir = g_strdup (hook_dir);
  h->single = g_strdup (single);
  h->timeout_s = timeout_s > 0 ? timeout_s : 30;
  return h;
}

void
qa_hooks_free (QaHooks *h)
{
  if (h == NULL)
    return;
  g_free (h->dir);
  g_free (h->single);
  g_free (h);
}

/* package managers' leftovers and editors' backups are not hooks */
static gboolean
ignored_name (const char *name)
{
  static const char *const suffixes[] = { "~", ".bak", ".orig", ".rpmnew", ".rpmsave",
                                          ".sample", ".disabled", NULL };

  if (name[0] == '.' || strstr (name, ".dpkg-") != NULL)
    return TRUE;
  for (guint i = 0; suffixes[i] != NULL; i++)
    if (g_str_has_suffix (name, suffixes[i]))
      return TRUE;
  return FALSE;
}

/* a hook runs as root inside every freeze: only root may own or change it */
static gboolean
safe_to_run (const char *path)
{
  struct stat st;

  if (stat (path, &st) != 0)
    return FALSE;
  if (!S_ISREG (st.st_mode) || (st.st_mode & 0111) == 0)
    return FALSE;
  if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    {
      g_warning ("refusing hook '%s': it must be owned by root and not writable by group or "
                 "other (owner uid %u, mode %04o)",
                 path, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
      return FALSE;
    }
  return TRUE;
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
qa_hooks_list (QaHooks *h)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (h->single != NULL && safe_to_run (h->single))
    g_ptr_array_add (out, g_strdup (h->single));
  if (h->dir == NULL)
    return out;
  dir = g_dir_open (h->dir, 0, NULL);
  if (dir == NULL)
    return out;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!ignored_name (name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, cmp_str);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (h->dir, g_ptr_array_index (names, i), NULL);
      if (safe_to_run (path))
        g_ptr_array_add (out, g_steal_pointer (&path));
    }
  return out;
}

static char **
hook_env (const QaHookEnv *env)
{
  g_auto (GStrv) base = g_get_environ ();
  g_autoptr (GString) mps = g_string_new (NULL);
  g_autofree char *handle = g_strdup_printf ("%" G_GUINT64_FORMAT, env->handle);
  char **e;

  for (guint i = 0; env->mountpoints != NULL && i < env->mountpoints->len; i++)
    g_string_append_printf (mps, "%s%s", i > 0 ? "\n" : "",
                            (const char *) g_ptr_array_index (env->mountpoints, i));
  e = g_environ_setenv (g_steal_pointer (&base), "QUIESCE_HANDLE", handle, TRUE);
  e = g_environ_setenv (e, "QUIESCE_OWNER", env->owner != NULL ? env->owner : "", TRUE);
  e = g_environ_setenv (e, "QUIESCE_MOUNTPOINTS", mps->str, TRUE);
  return e;
}

static void
child_setup (gpointer data)
{
  /* its own process group, so a timeout kills whatever it started */
  setpgid (0, 0);
}

/* run one hook; returns its exit status, or -1 (error set) when it could
 * not start, was killed at the timeout, or died of a signal */
static gboolean
run_one (QaHooks *h, const char *path, const char *phase, char **envp, GError **error)
{
  const char *argv[] = { path, phase, NULL };
  g_autoptr (GString) output = g_string_new (NULL);
  g_autoptr (GError) spawn_error = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64) h->timeout_s * G_USEC_PER_SEC;
  GPid pid = 0;
  int out_fd = -1;
  int status = 0;
  gboolean exited = FALSE;
  gboolean timed_out = FALSE;

  if (!g_spawn_async_with_pipes (NULL, (char **) argv, envp,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL
                                     | G_SPAWN_CLOEXEC_PIPES,
                                 child_setup, NULL, &pid, NULL, &out_fd, NULL, &spawn_error))
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot run the %s hook '%s': %s", phase,
                   path, spawn_error->message);
      return FALSE;
    }
  fcntl (out_fd, F_SETFL, O_NONBLOCK);
  while (!exited)
    {
      struct pollfd p = { out_fd, POLLIN, 0 };
      char buf[1024];
      ssize_t n;

      if (poll (&p, 1, 20) > 0)
        while ((n = read (out_fd, buf, sizeof (buf))) > 0)
          if (output->len < OUTPUT_MAX)
            g_string_append_len (output, buf, MIN ((gsize) n, OUTPUT_MAX - output->len));
      if (waitpid (pid, &status, WNOHANG) == pid)
        exited = TRUE;
      else if (g_get_monotonic_time () > deadline)
        {
          kill (-pid, SIGKILL);
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          exited = TRUE;
          timed_out = TRUE;
        }
    }
  close (out_fd);
  g_spawn_close_pid (pid);
  g_strchomp (output->str);
  if (output->len > 0)
    g_info ("hook '%s' %s: %s", path, phase, output->str);

  if (timed_out)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "The %s hook '%s' did not finish within %u s and was killed", phase, path,
                   h->timeout_s);
      return FALSE;
    }
  if (WIFSIGNALED (status))
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "The %s hook '%s' died of signal %d",
                   phase, path, WTERMSIG (status));
      return FALSE;
    }
  if (WEXITSTATUS (status) != 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "The %s hook '%s' has failed with status %d%s%s", phase, path,
                   WEXITSTATUS (status), output->len > 0 ? ": " : "", output->str);
      return FALSE;
    }
  return TRUE;
}

gboolean
qa_hooks_run_freeze (QaHooks *h, const QaHookEnv *env, GError **error)
{
  g_autoptr (GPtrArray) hooks = qa_hooks_list (h);
  g_auto (GStrv) envp = hook_env (env);

  for (guint i = 0; i < hooks->len; i++)
    {
      if (run_one (h, g_ptr_array_index (hooks, i), "freeze", envp, error))
        continue;
      /* undo what the earlier hooks did: they get "thaw", newest first */
      for (guint j = i; j > 0; j--)
        {
          g_autoptr (GError) thaw_error = NULL;
          if (!run_one (h, g_ptr_array_index (hooks, j - 1), "thaw", envp, &thaw_error))
            g_warning ("%s", thaw_error->message);
        }
      return FALSE;
    }
  return TRUE;
}

gboolean
qa_hooks_run_thaw (QaHooks *h, const QaHookEnv *env, GError **error)
{
  g_autoptr (GPtrArray) hooks = qa_hooks_list (h);
  g_auto (GStrv) envp = hook_env (env);
  g_autoptr (GError) first = NULL;

  for (guint i = hooks->len; i > 0; i--)
    {
      g_autoptr (GError) e = NULL;
      if (!run_one (h, g_ptr_array_index (hooks, i - 1), "thaw", envp, &e))
        {
          g_warning ("%s", e->message);
          if (first == NULL)
            first = g_steal_pointer (&e);
        }
    }
  if (first != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&first));
      return FALSE;
    }
  return TRUE;
}
