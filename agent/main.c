/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quiesce-agent: options in, daemon out.  Everything else is in the
 * static core (daemon/, transport/, commands/, table/, resolver/,
 * backend/) that the tests link too. */
#include "config.h"

#include "qa-config.h"
#include "qa-daemon.h"
#include "qa-device.h"
#include "qa-dispatch.h"
#include "qa-fsfreeze.h"
#include "qa-log.h"

#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct
{
  const char *name;
  gint64 *value;
  gint64 min;
  gint64 max;
} IntOption;

static gboolean
parse_int (const char *name, const char *text, gint64 min, gint64 max, gint64 *out,
           GError **error)
{
  gint64 v;

  if (!g_ascii_string_to_signed (text, 10, min, max, &v, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--%s must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                   ", not '%s'",
                   name, min, max, text);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static QaConfig config;
static char *opt_max_handles, *opt_max_timeout, *opt_default_timeout, *opt_legacy_timeout;
static char *opt_max_message, *opt_max_clients, *opt_max_entries, *opt_freeze_threads;
static char *opt_hook_timeout;
static char **opt_allow_uid;
static gboolean opt_version;
static gboolean opt_list_commands;

static gboolean
on_verbose (const char *name, const char *value, gpointer data, GError **error)
{
  config.verbose++;
  return TRUE;
}

static const GOptionEntry entries[] = {
  { "listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &config.listen,
    "Serve clients on a unix socket (repeatable)", "unix:PATH" },
  { "device", 'p', 0, G_OPTION_ARG_FILENAME, &config.device,
    "Serve the host on a virtio-serial port (default " QA_DEFAULT_DEVICE
    " when no --listen is given)", "PATH" },
  { "allow-uid", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_allow_uid,
    "Also accept unix clients with this uid (repeatable; root always may)", "UID" },
  { "state-dir", 't', 0, G_OPTION_ARG_FILENAME, &config.state_dir,
    "Journal directory, never frozen (default " QA_DEFAULT_STATE_DIR ")", "DIR" },
  { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &config.sysroot,
    "Read /proc, /sys and /dev below DIR (default /)", "DIR" },
  { "only-under", 0, 0, G_OPTION_ARG_FILENAME, &config.only_under,
    "Freeze only filesystems mounted strictly below DIR", "DIR" },
  { "exclude", 'x', 0, G_OPTION_ARG_STRING_ARRAY, &config.exclude,
    "Never freeze this mountpoint or filesystem type (repeatable)", "MOUNTPOINT|FSTYPE" },
  { "max-handles", 0, 0, G_OPTION_ARG_STRING, &opt_max_handles,
    "Most live handles (default 1024)", "N" },
  { "max-timeout", 0, 0, G_OPTION_ARG_STRING, &opt_max_timeout,
    "Longest handle deadline; longer requests are clamped (default 3600)", "SECONDS" },
  { "default-timeout", 0, 0, G_OPTION_ARG_STRING, &opt_default_timeout,
    "Deadline of a handle acquired without a timeout (default 60)", "SECONDS" },
  { "legacy-timeout", 0, 0, G_OPTION_ARG_STRING, &opt_legacy_timeout,
    "Deadline of qemu-ga style freezes; 0 for none (default 600)", "SECONDS" },
  { "max-message", 0, 0, G_OPTION_ARG_STRING, &opt_max_message,
    "Largest request accepted (default 1048576)", "BYTES" },
  { "max-clients", 0, 0, G_OPTION_ARG_STRING, &opt_max_clients,
    "Most unix clients at once (default 64)", "N" },
  { "max-entries", 0, 0, G_OPTION_ARG_STRING, &opt_max_entries,
    "Most disks or mountpoints in one request (default 256)", "N" },
  { "freeze-threads", 0, 0, G_OPTION_ARG_STRING, &opt_freeze_threads,
    "Filesystems synced and frozen at once within a dependency level (default: all, "
    "up to 64; 1 freezes one after another)",
    "N" },
  { "hook-dir", 0, 0, G_OPTION_ARG_FILENAME, &config.hook_dir,
    "Run the executables in DIR around freezes (default " QA_DEFAULT_HOOK_DIR ")", "DIR" },
  { "fsfreeze-hook", 'F', 0, G_OPTION_ARG_FILENAME, &config.fsfreeze_hook,
    "qemu-ga's single hook script, called with freeze and thaw", "PATH" },
  { "hook-timeout", 0, 0, G_OPTION_ARG_STRING, &opt_hook_timeout,
    "Kill a hook (and its process group) after SECONDS (default 30)", "SECONDS" },
  { "pidfile", 'f', 0, G_OPTION_ARG_FILENAME, &config.pidfile, "Write the pid to FILE", "FILE" },
  { "daemonize", 'd', 0, G_OPTION_ARG_NONE, &config.daemonize,
    "Detach and run in the background", NULL },
  { "syslog", 0, 0, G_OPTION_ARG_NONE, &config.syslog, "Log to syslog instead of stderr", NULL },
  { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, on_verbose,
    "Log more (-v: info, -vv: debug)", NULL },
  { "list-commands", 0, 0, G_OPTION_ARG_NONE, &opt_list_commands,
    "List the protocol commands and exit", NULL },
  { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
  { NULL },
};

static gboolean
finish_config (GError **error)
{
  const IntOption ints[] = {
    { "max-handles", &config.max_handles, 1, 1000000 },
    { "max-timeout", &config.max_timeout, 1, G_MAXINT32 },
    { "default-timeout", &config.default_timeout, 1, G_MAXINT32 },
    { "legacy-timeout", &config.legacy_timeout, 0, G_MAXINT32 },
    { "max-message", &config.max_message, 1024, 1024 * 1024 * 1024 },
    { "max-clients", &config.max_clients, 1, 65536 },
    { "max-entries", &config.max_entries, 1, 1000000 },
    { "freeze-threads", &config.freeze_threads, 1, 64 },
    { "hook-timeout", &config.hook_timeout, 1, 86400 },
  };
  const char *texts[] = { opt_max_handles, opt_max_timeout, opt_default_timeout,
                          opt_legacy_timeout, opt_max_message, opt_max_clients,
                          opt_max_entries, opt_freeze_threads, opt_hook_timeout };

  config.max_handles = 1024;
  config.max_timeout = 3600;
  config.default_timeout = 60;
  config.legacy_timeout = 600;
  config.max_message = 1024 * 1024;
  config.max_clients = 64;
  config.max_entries = 256;
  config.freeze_threads = 0;
  config.hook_timeout = 30;
  for (gsize i = 0; i < G_N_ELEMENTS (ints); i++)
    if (texts[i] != NULL
        && !parse_int (ints[i].name, texts[i], ints[i].min, ints[i].max, ints[i].value, error))
      return FALSE;
  if (config.default_timeout > config.max_timeout)
    config.default_timeout = config.max_timeout;

  config.allow_uids = g_array_new (FALSE, FALSE, sizeof (uid_t));
  for (guint i = 0; opt_allow_uid != NULL && opt_allow_uid[i] != NULL; i++)
    {
      gint64 uid;
      if (!parse_int ("allow-uid", opt_allow_uid[i], 0, G_MAXUINT32 - 1, &uid, error))
        return FALSE;
      g_array_append_vals (config.allow_uids, &(uid_t){ (uid_t) uid }, 1);
    }
  if (config.state_dir == NULL)
    config.state_dir = g_strdup (QA_DEFAULT_STATE_DIR);
  if (config.sysroot == NULL)
    config.sysroot = g_strdup ("/");
  if (config.hook_dir == NULL)
    config.hook_dir = g_strdup (QA_DEFAULT_HOOK_DIR);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (QaDaemon) daemon = NULL;

  setlocale (LC_ALL, "");
  /* a client that closes while its reply is being written must cost the
   * agent an EPIPE on that connection, not its life */
  signal (SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
  /* A fixed mmap threshold: a buffer a flood made big (a client's outbox)
   * is its own mapping, grown by mremap and unmapped when freed.  glibc's
   * default raises the threshold after the first such free, and the next
   * one grows on the heap and stays (+9 MiB after each mute client, in
   * test-resources). */
  mallopt (M_MMAP_THRESHOLD, 256 * 1024);
  /* One arena: freeze workers allocate little, and an arena per thread
   * kept ~700 KiB of anonymous memory after the first parallel freeze
   * (bench-agent: RssAnon 512 -> 1212 kB) */
  mallopt (M_ARENA_MAX, 1);
#endif
  context = g_option_context_new ("- freeze and thaw filesystems for VM snapshots, by handle");
  g_option_context_set_summary (
      context, "A guest agent that speaks the QEMU guest agent protocol. Freezes return handles;\n"
               "a filesystem stays frozen while any handle holds it, and every handle has a\n"
               "deadline. See quiesce-agent(8) and quiesce-protocol(7).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || !finish_config (&error))
    {
      fprintf (stderr, "quiesce-agent: %s\nTry 'quiesce-agent --help'.\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      fprintf (stderr, "quiesce-agent: unexpected argument '%s'\nTry 'quiesce-agent --help'.\n",
               argv[1]);
      return 2;
    }
  if (opt_version)
    {
      printf ("quiesce-agent %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (opt_list_commands)
    {
      gsize n = 0;
      const QaCommand *cmds = qa_commands (&n);
      for (gsize i = 0; i < n; i++)
        printf ("%-28s %s\n", cmds[i].name, cmds[i].summary);
      return 0;
    }

  qa_log_init (config.verbose, config.syslog || config.daemonize);
  daemon = qa_daemon_new (&config, qa_fsfreeze_linux_ops (), &error);
  if (daemon == NULL)
    {
      g_printerr ("quiesce-agent: %s\n", error->message);
      return 1;
    }
  return qa_daemon_run (daemon);
}
