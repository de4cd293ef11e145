/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-daemon.h"
#include "qa-device.h"
#include "qa-dispatch.h"
#include "qa-freeze-table.h"
#include "qa-journal.h"
#include "qa-listener.h"
#include "qa-log.h"
#include "qa-mounts.h"
#include "qw-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _QaDaemon
{
  QaConfig config;
  QaSysroot *sysroot;
  QaPolicy *policy;
  QaJournal *journal;
  QaFreezeTable *table;
  QaHooks *hooks;
  QaContext ctx;
  GPtrArray *listeners; /* QaListener* */
  QaDevice *device;
  GMainLoop *loop;
  guint sigterm_id;
  guint sigint_id;
  guint sighup_id;
  gboolean stopping;
  int exit_status;
  char *pidfile_written;
};

/* ---- dispatch --------------------------------------------------------- */

static void
on_reply (GBytes *reply, gboolean delimit, gpointer user_data)
{
  QaChannel *ch = user_data;
  qa_channel_reply (ch, reply, delimit);
  qa_channel_unref (ch);
}

static void
on_message (QaChannel *ch, const char *text, gsize len, gpointer user_data)
{
  QaDaemon *d = user_data;
  qa_dispatch_message (&d->ctx, text, len, on_reply, qa_channel_ref (ch));
}

/* ---- stopping --------------------------------------------------------- */

static void
on_released_all (const QaTableResult *r, const GError *error, gpointer user_data)
{
  QaDaemon *d = user_data;

  if (error != NULL)
    {
      g_warning ("releasing every handle at exit failed: %s", error->message);
      d->exit_status = 1;
    }
  else
    g_message ("thawed %u filesystem(s); exiting", r->count);
  g_main_loop_quit (d->loop);
}

static gboolean
wait_idle_then_release (gpointer user_data)
{
  QaDaemon *d = user_data;

  /* a freeze in flight finishes first (FIFREEZE cannot be interrupted);
   * then every handle is released and what they held is thawed */
  if (!qa_freeze_table_is_idle (d->table))
    return G_SOURCE_CONTINUE;
  qa_freeze_table_release (d->table, 0, TRUE, on_released_all, d);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal (gpointer user_data)
{
  QaDaemon *d = user_data;

  if (d->stopping)
    {
      g_message ("already stopping: waiting for the thaw to finish");
      return G_SOURCE_CONTINUE;
    }
  d->stopping = TRUE;
  g_message ("stopping: thawing everything the agent holds");
  /* no new requests from here on */
  g_ptr_array_set_size (d->listeners, 0);
  g_clear_pointer (&d->device, qa_device_free);
  g_timeout_add (10, wait_idle_then_release, d);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sighup (gpointer user_data)
{
  g_info ("SIGHUP ignored: the agent has no configuration file to reload");
  return G_SOURCE_CONTINUE;
}

/* ---- set-up ----------------------------------------------------------- */

static void
on_log_fs_frozen (gboolean frozen, gpointer user_data)
{
  qa_log_hold (frozen);
}

static char *
canonical_dir (const QaSysroot *sysroot, const char *dir)
{
  g_autofree char *copy = g_strdup (dir);
  gsize n = strlen (copy);
  char *real;

  while (n > 1 && copy[n - 1] == '/')
    copy[--n] = '\0';
  if (!qa_sysroot_is_live (sysroot))
    return g_steal_pointer (&copy);
  real = realpath (copy, NULL);
  if (real == NULL)
    return g_steal_pointer (&copy);
  {
    char *out = g_strdup (real);
    free (real);
    return out;
  }
}

static gboolean
write_pidfile (QaDaemon *d, GError **error)
{
  g_autofree char *text = NULL;

  if (d->config.pidfile == NULL)
    return TRUE;
  text = g_strdup_printf ("%d\n", (int) getpid ());
  if (!g_file_set_contents (d->config.pidfile, text, -1, error))
    return FALSE;
  d->pidfile_written = g_strdup (d->config.pidfile);
  return TRUE;
}

/* the superblock key of the mount with this id, for the log watch */
static char *
key_of_mount_id (QaDaemon *d, guint64 mount_id)
{
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) mounts = NULL;

  if (mount_id == 0 || !qa_sysroot_read (d->sysroot, "/proc/self/mountinfo", &text, NULL, NULL))
    return NULL;
  mounts = qa_mounts_parse (text, NULL);
  for (guint i = 0; mounts != NULL && i < mounts->len; i++)
    {
      QaMount *m = g_ptr_array_index (mounts, i);
      if (m->id == mount_id)
        return g_strdup_printf ("%u:%u", m->major, m->minor);
    }
  return NULL;
}

static gboolean
daemonize (GError **error)
{
  pid_t pid = fork ();
  int fd;

  if (pid < 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "fork: %s", g_strerror (errno));
      return FALSE;
    }
  if (pid > 0)
    _exit (0);
  setsid ();
  pid = fork ();
  if (pid < 0)
    _exit (1);
  if (pid > 0)
    _exit (0);
  if (chdir ("/") != 0)
    return TRUE;
  fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd >= 0)
    {
      dup2 (fd, STDIN_FILENO);
      dup2 (fd, STDOUT_FILENO);
      dup2 (fd, STDERR_FILENO);
      if (fd > STDERR_FILENO)
        close (fd);
    }
  return TRUE;
}

QaDaemon *
qa_daemon_new (const QaConfig *config, const QaFreezeOps *ops, GError **error)
{
  g_autoptr (QaDaemon) d = g_new0 (QaDaemon, 1);
  QaTableLimits limits = { 0 };
  g_autoptr (QaFsView) view = NULL;
  g_autofree char *boot_id = NULL;
  g_autofree char *log_key = NULL;
  guint64 log_mount_id;

  d->config = *config;
  d->listeners = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_listener_free);
  d->sysroot = qa_sysroot_new (config->sysroot);

  if (g_mkdir_with_parents (config->state_dir, 0700) != 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot create the state directory '%s': %s",
                   config->state_dir, g_strerror (errno));
      return NULL;
    }

  d->policy = qa_policy_new ();
  if (config->only_under != NULL)
    d->policy->only_under = canonical_dir (d->sysroot, config->only_under);
  for (guint i = 0; config->exclude != NULL && config->exclude[i] != NULL; i++)
    g_ptr_array_add (d->policy->exclude, config->exclude[i][0] == '/'
                                             ? canonical_dir (d->sysroot, config->exclude[i])
                                             : g_strdup (config->exclude[i]));
  {
    g_autofree char *state = canonical_dir (d->sysroot, config->state_dir);
    qa_policy_protect (d->policy, d->sysroot, state, 0, "it holds the agent's state directory");
  }
  log_mount_id = qa_log_stderr_mount_id ();

  d->journal = qa_journal_new (config->state_dir);
  limits.max_handles = (guint) config->max_handles;
  limits.max_timeout = config->max_timeout;
  limits.legacy_timeout = config->legacy_timeout;
  limits.freeze_threads = (guint) config->freeze_threads;
  d->table = qa_freeze_table_new (ops, d->journal, &limits);
  qa_freeze_table_set_prefix (d->table, qa_sysroot_is_live (d->sysroot)
                                            ? "" : qa_sysroot_prefix (d->sysroot));
  boot_id = qa_sysroot_boot_id (d->sysroot);
  qa_freeze_table_set_boot_id (d->table, boot_id);
  d->hooks = qa_hooks_new (config->hook_dir, config->fsfreeze_hook, (guint) config->hook_timeout);
  qa_freeze_table_set_hooks (d->table, d->hooks);
  log_key = key_of_mount_id (d, log_mount_id);
  if (log_key != NULL)
    qa_freeze_table_watch (d->table, log_key, on_log_fs_frozen, d);

  d->ctx.sysroot = d->sysroot;
  d->ctx.policy = d->policy;
  d->ctx.table = d->table;
  d->ctx.default_timeout = config->default_timeout;
  d->ctx.max_entries = (guint) config->max_entries;
  d->ctx.version = PACKAGE_VERSION;

  view = qa_resolver_scan (d->sysroot, d->policy, error);
  if (view == NULL)
    return NULL;
  if (!qa_freeze_table_restore (d->table, view, error))
    return NULL;

  for (guint i = 0; config->listen != NULL && config->listen[i] != NULL; i++)
    {
      const char *spec = config->listen[i];
      QaListener *l;

      if (!g_str_has_prefix (spec, "unix:") || spec[5] == '\0')
        {
          g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                       "Cannot listen on '%s': give unix:PATH", spec);
          return NULL;
        }
      l = qa_listener_new (spec + 5, config->allow_uids, (guint) config->max_clients,
                           (gsize) config->max_message, on_message, d, error);
      if (l == NULL)
        return NULL;
      g_ptr_array_add (d->listeners, l);
    }
  if (config->device != NULL || d->listeners->len == 0)
    {
      d->device = qa_device_new (d->sysroot, config->device != NULL ? config->device
                                                                    : QA_DEFAULT_DEVICE,
                                 (gsize) config->max_message, on_message, d, error);
      if (d->device == NULL)
        return NULL;
    }
  if (config->daemonize && !daemonize (error))
    return NULL;
  if (!write_pidfile (d, error))
    return NULL;

  d->loop = g_main_loop_new (NULL, FALSE);
  d->sigterm_id = g_unix_signal_add (SIGTERM, on_stop_signal, d);
  d->sigint_id = g_unix_signal_add (SIGINT, on_stop_signal, d);
  d->sighup_id = g_unix_signal_add (SIGHUP, on_sighup, d);
  return g_steal_pointer (&d);
}

int
qa_daemon_run (QaDaemon *d)
{
  g_message ("quiesce-agent %s ready (state in %s%s%s)", PACKAGE_VERSION, d->config.state_dir,
             d->policy->only_under != NULL ? ", only under " : "",
             d->policy->only_under != NULL ? d->policy->only_under : "");
  g_main_loop_run (d->loop);
  return d->exit_status;
}

void
qa_daemon_free (QaDaemon *d)
{
  if (d == NULL)
    return;
  if (d->sigterm_id != 0)
    g_source_remove (d->sigterm_id);
  if (d->sigint_id != 0)
    g_source_remove (d->sigint_id);
  if (d->sighup_id != 0)
    g_source_remove (d->sighup_id);
  if (d->listeners != NULL)
    g_ptr_array_unref (d->listeners);
  qa_device_free (d->device);
  qa_freeze_table_free (d->table);
  qa_hooks_free (d->hooks);
  qa_journal_free (d->journal);
  qa_policy_free (d->policy);
  qa_sysroot_free (d->sysroot);
  if (d->pidfile_written != NULL)
    {
      g_unlink (d->pidfile_written);
      g_free (d->pidfile_written);
    }
  if (d->loop != NULL)
    g_main_loop_unref (d->loop);
  g_free (d);
}
