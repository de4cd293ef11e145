/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-log.h"
#include "qa-sysroot.h"

#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define HOLD_MAX 4096 /* lines kept while the log's filesystem is frozen */

static gint log_verbose;
static gboolean log_syslog;
static gboolean log_held;
static GPtrArray *log_pending;
static guint log_dropped;
static GMutex log_lock;

static int
level_rank (GLogLevelFlags level)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return 0;
  if (level & G_LOG_LEVEL_MESSAGE)
    return 0;
  if (level & G_LOG_LEVEL_INFO)
    return 1;
  return 2;
}

static int
syslog_priority (GLogLevelFlags level)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return LOG_ERR;
  if (level & G_LOG_LEVEL_WARNING)
    return LOG_WARNING;
  if (level & G_LOG_LEVEL_MESSAGE)
    return LOG_NOTICE;
  if (level & G_LOG_LEVEL_INFO)
    return LOG_INFO;
  return LOG_DEBUG;
}

static const char *
level_name (GLogLevelFlags level)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return "error";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "notice";
  if (level & G_LOG_LEVEL_INFO)
    return "info";
  return "debug";
}

static void
write_line (const char *line)
{
  fputs (line, stderr);
  fflush (stderr);
}

static GLogWriterOutput
writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *message = NULL;
  g_autofree char *line = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *stamp = NULL;

  if (level_rank (level) > log_verbose)
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  if (message == NULL)
    return G_LOG_WRITER_HANDLED;

  if (log_syslog)
    {
      syslog (syslog_priority (level), "%s", message);
      return G_LOG_WRITER_HANDLED;
    }
  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%F %T.%f");
  stamp[23] = '\0'; /* milliseconds are enough */
  line = g_strdup_printf ("%s quiesce-agent[%d] %s: %s\n", stamp, (int) getpid (),
                          level_name (level), message);
  g_mutex_lock (&log_lock);
  if (log_held)
    {
      if (log_pending->len < HOLD_MAX)
        g_ptr_array_add (log_pending, g_steal_pointer (&line));
      else
        log_dropped++;
    }
  else
    write_line (line);
  g_mutex_unlock (&log_lock);
  if (level & G_LOG_LEVEL_ERROR)
    abort ();
  return G_LOG_WRITER_HANDLED;
}

void
qa_log_init (gint verbose, gboolean use_syslog)
{
  log_verbose = verbose;
  log_syslog = use_syslog;
  log_pending = g_ptr_array_new_with_free_func (g_free);
  if (use_syslog)
    openlog ("quiesce-agent", LOG_PID, LOG_DAEMON);
  g_log_set_writer_func (writer, NULL, NULL);
}

guint64
qa_log_stderr_mount_id (void)
{
  struct stat st;

  if (log_syslog || fstat (STDERR_FILENO, &st) != 0 || !S_ISREG (st.st_mode))
    return 0;
  return qa_sysroot_mount_id_of_fd (STDERR_FILENO);
}

void
qa_log_hold (gboolean hold)
{
  g_mutex_lock (&log_lock);
  log_held = hold;
  if (!hold)
    {
      for (guint i = 0; i < log_pending->len; i++)
        write_line (g_ptr_array_index (log_pending, i));
      g_ptr_array_set_size (log_pending, 0);
      if (log_dropped > 0)
        {
          g_autofree char *line = g_strdup_printf (
              "quiesce-agent: %u log lines were dropped while the log's filesystem was frozen\n",
              log_dropped);
          write_line (line);
          log_dropped = 0;
        }
    }
  g_mutex_unlock (&log_lock);
}
