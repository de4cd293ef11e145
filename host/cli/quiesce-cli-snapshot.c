/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quiesce(1): snapshot-create and snapshot-recover, on QuiesceSnapshot.
 *
 * snapshot-create runs the snapshot on a worker thread and keeps the main
 * thread for SIGINT and SIGTERM: they cancel the run, which stops the
 * action and then thaws and releases as always, so a signal never leaves
 * a guest frozen.  The action is an external command in its own process
 * group, which dies with us (PR_SET_PDEATHSIG): after a crash no action
 * goes on writing a snapshot that nobody watches.  Or, with
 * --libvirt-snapshot NAME, the action is a libvirt external disk-only
 * snapshot of exactly the named disks, without libvirt's quiesce. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "quiesce-cli.h"

/* a command that ignores SIGTERM this long after cancellation gets SIGKILL */
#define ACTION_KILL_GRACE_US (10 * G_USEC_PER_SEC)

/* DESIGN.md 4.1: --state-dir, $QUIESCE_STATE_DIR, /var/lib/quiesce for
 * root, $XDG_STATE_HOME/quiesce for others */
static char *
state_dir (Cli *cli)
{
  const char *env = g_getenv ("QUIESCE_STATE_DIR");
  const char *xdg = g_getenv ("XDG_STATE_HOME");

  if (cli->state_dir != NULL)
    return g_strdup (cli->state_dir);
  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  if (geteuid () == 0)
    return g_strdup ("/var/lib/quiesce");
  if (xdg != NULL && xdg[0] == '/')
    return g_build_filename (xdg, "quiesce", NULL);
  return g_build_filename (g_get_home_dir (), ".local", "state", "quiesce", NULL);
}

static char *
join_lines (const char *const *strv)
{
  return strv != NULL ? g_strjoinv ("\n", (char **) strv) : g_strdup ("");
}

/* ---- the action: an external command ---- */

typedef struct
{
  char **argv;
  gboolean json; /* the command's stdout goes to stderr: stdout is ours */
} Action;

static void
action_free (gpointer data)
{
  Action *action = data;

  g_strfreev (action->argv);
  g_free (action);
}

typedef struct
{
  pid_t parent;
  gboolean json;
} ChildSetup;

static void
child_setup (gpointer user_data)
{
  ChildSetup *setup = user_data;

  /* its own group, so that one kill reaches what it spawned */
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != setup->parent)
    _exit (127);
  if (setup->json)
    dup2 (STDERR_FILENO, STDOUT_FILENO);
}

static gboolean
run_action (QuiesceSnapshot *snapshot, GCancellable *cancellable, gpointer user_data,
            GError **error)
{
  Action *action = user_data;
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *disks = join_lines (quiesce_snapshot_get_disks (snapshot));
  g_autofree char *images = join_lines (quiesce_snapshot_get_images (snapshot));
  g_autofree char *mountpoints = join_lines (quiesce_snapshot_get_mountpoints (snapshot));
  g_autofree char *handle = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             quiesce_snapshot_get_handle (snapshot));
  ChildSetup setup = { getpid (), action->json };
  gint64 term_sent = 0;
  GPid pid;
  int status;

  envp = g_environ_setenv (envp, "QUIESCE_DOMAIN", quiesce_snapshot_get_domain (snapshot), TRUE);
  envp = g_environ_setenv (envp, "QUIESCE_HANDLE", handle, TRUE);
  envp = g_environ_setenv (envp, "QUIESCE_DISKS", disks, TRUE);
  envp = g_environ_setenv (envp, "QUIESCE_IMAGES", images, TRUE);
  envp = g_environ_setenv (envp, "QUIESCE_MOUNTPOINTS", mountpoints, TRUE);
  envp = g_environ_setenv (envp, "QUIESCE_RUN", quiesce_snapshot_get_run_id (snapshot), TRUE);
  /* the crash injection is for this process, not for its action */
  envp = g_environ_unsetenv (envp, "QUIESCE_TEST_CRASH_AFTER");

  if (!g_spawn_async (NULL, action->argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                      child_setup, &setup, &pid, error))
    return FALSE;

  for (;;)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid)
        break;
      if (r < 0 && errno != EINTR)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Cannot wait for the action '%s': %s", action->argv[0],
                       g_strerror (errsv));
          return FALSE;
        }
      if (g_cancellable_is_cancelled (cancellable))
        {
          if (term_sent == 0)
            {
              kill (-pid, SIGTERM);
              term_sent = g_get_monotonic_time ();
            }
          else if (g_get_monotonic_time () - term_sent > ACTION_KILL_GRACE_US)
            kill (-pid, SIGKILL);
        }
      g_usleep (20 * 1000);
    }
  if (term_sent != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                   "the action '%s' was stopped by a signal to quiesce", action->argv[0]);
      return FALSE;
    }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return TRUE;
  if (WIFEXITED (status))
    g_set_error (error, G_SPAWN_EXIT_ERROR, WEXITSTATUS (status),
                 "the action '%s' exited with status %d", action->argv[0], WEXITSTATUS (status));
  else
    g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                 "the action '%s' was killed by signal %d (%s)", action->argv[0],
                 WTERMSIG (status), g_strsignal (WTERMSIG (status)));
  return FALSE;
}

/* ---- the action: a libvirt snapshot (--libvirt-snapshot NAME) ---- */

typedef struct
{
  QuiesceTransport *transport;
  char *name;
  char **targets; /* the disks' target names, each once */
} LibvirtAction;

static void
libvirt_action_free (gpointer data)
{
  LibvirtAction *action = data;

  g_clear_object (&action->transport);
  g_free (action->name);
  g_strfreev (action->targets);
  g_free (action);
}

/* virDomainSnapshotCreateXML blocks and cannot be stopped: a signal
 * stops the run only before it starts */
static gboolean
run_libvirt_action (QuiesceSnapshot *snapshot, GCancellable *cancellable, gpointer user_data,
                    GError **error)
{
  LibvirtAction *action = user_data;
  g_autofree char *targets = g_strjoinv (", ", action->targets);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!quiesce_transport_libvirt_create_disk_snapshot (action->transport, action->name,
                                                       (const char *const *) action->targets,
                                                       error))
    return FALSE;
  fprintf (stderr, "Created libvirt snapshot %s of %s\n", action->name, targets);
  fflush (stderr);
  return TRUE;
}

/* the target name (vda) of a --disk DISK: a target name as it is, or the
 * one disk of the domain XML whose identity has every KEY:VALUE given;
 * dev:PATH is the guest's name of a device, which the XML does not know */
static const char *
disk_target (QuiesceDomain *domain, const char *disk, GError **error)
{
  g_autoptr(JsonObject) spec = NULL;
  GPtrArray *disks;
  const char *found = NULL;
  guint matches = 0;

  if (strchr (disk, ':') == NULL)
    {
      QuiesceDomainDisk *ddisk = quiesce_domain_lookup_disk (domain, disk, error);

      return ddisk != NULL ? quiesce_domain_disk_get_target (ddisk) : NULL;
    }
  spec = quiesce_disk_spec_parse (disk, error);
  if (spec == NULL)
    return NULL;
  disks = quiesce_domain_get_disks (domain);
  for (guint i = 0; i < disks->len; i++)
    {
      QuiesceDomainDisk *ddisk = g_ptr_array_index (disks, i);
      g_autoptr(JsonObject) dspec = quiesce_domain_disk_to_spec (ddisk, NULL);
      g_autoptr(GList) members = NULL;
      gboolean all = TRUE;

      if (dspec == NULL || quiesce_domain_disk_get_target (ddisk) == NULL)
        continue;
      members = json_object_get_members (spec);
      for (GList *m = members; m != NULL && all; m = m->next)
        all = json_object_has_member (dspec, m->data) &&
              json_node_equal (json_object_get_member (spec, m->data),
                               json_object_get_member (dspec, m->data));
      if (all)
        {
          matches++;
          found = quiesce_domain_disk_get_target (ddisk);
        }
    }
  if (matches == 1)
    return found;
  if (matches == 0)
    g_set_error (error, CLI_ERROR, CLI_ERROR_DEVICE,
                 "--libvirt-snapshot: disk '%s' is no disk of the domain XML (a dev: path is "
                 "the guest's name, which libvirt does not know); give its target name, "
                 "e.g. vda",
                 disk);
  else
    g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                 "--libvirt-snapshot: disk '%s' matches %u disks of the domain XML; give its "
                 "target name, e.g. vda",
                 disk, matches);
  return NULL;
}

/* ---- progress ---- */

static void
step_cb (QuiesceSnapshot *snapshot, gint step, gint64 ms, gpointer user_data)
{
  const char *crash_after = user_data;
  const char *name = quiesce_snapshot_step_to_string (step);
  g_autofree char *what = NULL;

  switch ((QuiesceSnapshotStep) step)
    {
    case QUIESCE_SNAPSHOT_STEP_RESOLVE:
      {
        g_autofree char *disks = g_strjoinv (", ", (char **) quiesce_snapshot_get_disks (snapshot));

        what = g_strdup_printf ("resolved %u disk(s): %s", g_strv_length ((char **) quiesce_snapshot_get_disks (snapshot)), disks);
      }
      break;
    case QUIESCE_SNAPSHOT_STEP_LEASES:
      what = g_strdup_printf ("took %u exclusive lease(s)",
                              g_strv_length ((char **) quiesce_snapshot_get_images (snapshot)));
      break;
    case QUIESCE_SNAPSHOT_STEP_FREEZE:
      what = g_strdup_printf ("froze %u filesystem(s) under handle %" G_GINT64_FORMAT
                              ", renewing",
                              g_strv_length ((char **) quiesce_snapshot_get_mountpoints (snapshot)),
                              quiesce_snapshot_get_handle (snapshot));
      break;
    case QUIESCE_SNAPSHOT_STEP_ACTION:
      what = g_strdup ("the action returned");
      break;
    case QUIESCE_SNAPSHOT_STEP_THAW:
      what = g_strdup_printf ("released handle %" G_GINT64_FORMAT,
                              quiesce_snapshot_get_handle (snapshot));
      break;
    case QUIESCE_SNAPSHOT_STEP_RELEASE:
    default:
      what = g_strdup ("released the leases");
      break;
    }
  fprintf (stderr, "[%d/6] %-8s %s (%" G_GINT64_FORMAT " ms)\n", step + 1, name, what, ms);
  fflush (stderr);

  /* QUIESCE_TEST_CRASH_AFTER: a testing aid, right after the journal */
  if (crash_after != NULL && g_strcmp0 (crash_after, name) == 0)
    {
      fprintf (stderr, "quiesce: QUIESCE_TEST_CRASH_AFTER=%s: killing myself\n", name);
      fflush (stderr);
      kill (getpid (), SIGKILL);
    }
}

/* ---- snapshot-create ---- */

typedef struct
{
  Cli *cli;
  QuiesceSnapshot *snapshot;
  GCancellable *cancellable;
  GError *error;
  gint done;
} Worker;

static gpointer
worker_func (gpointer user_data)
{
  Worker *w = user_data;

  quiesce_snapshot_run (w->snapshot, w->cancellable, &w->error);
  g_atomic_int_set (&w->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
signal_cb (gpointer user_data)
{
  Worker *w = user_data;

  if (!g_cancellable_is_cancelled (w->cancellable))
    fprintf (stderr, "quiesce: interrupted: stopping the action, then thawing and releasing\n");
  g_cancellable_cancel (w->cancellable);
  return G_SOURCE_CONTINUE;
}

static QuiesceClient *
reconnect_cb (gpointer user_data, GError **error)
{
  Cli *cli = user_data;
  g_autoptr(QuiesceClient) old = g_steal_pointer (&cli->client);
  QuiesceClient *client = cli_client (cli, error);

  if (client == NULL)
    {
      cli->client = g_steal_pointer (&old);
      return NULL;
    }
  return g_object_ref (client);
}

gboolean
cli_run_snapshot_create (Cli *cli, GError **error)
{
  GPtrArray *disk_opts = cli_opt_list (cli, "disk");
  const char *plugin = cli_opt_string (cli, "lease");
  const char *lease_dir = cli_opt_string (cli, "lease-dir");
  g_autofree char *dir = state_dir (cli);
  g_autoptr(QuiesceLeaseManager) leases = NULL;
  g_autoptr(QuiesceSnapshot) snapshot = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonObject) result = NULL;
  Worker w = { 0 };
  GThread *thread;
  guint sig_int, sig_term;
  QuiesceClient *client;
  const char *libvirt_name = cli_opt_string (cli, "libvirt-snapshot");
  g_autoptr(GStrvBuilder) targets = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (libvirt_name != NULL)
    {
      if (!quiesce_transport_libvirt_is_supported ())
        {
          g_set_error_literal (error, CLI_ERROR, CLI_ERROR_CONNECT,
                               "--libvirt-snapshot: the libvirt transport is not built in "
                               "this version of quiesce");
          return FALSE;
        }
      if (cli->action_argv != NULL)
        {
          g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                               "--libvirt-snapshot NAME is the action: it takes no "
                               "-- COMMAND");
          return FALSE;
        }
      if (libvirt_name[0] == '\0')
        {
          g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                               "--libvirt-snapshot needs a snapshot NAME");
          return FALSE;
        }
      if (!cli_uses_libvirt (cli))
        {
          g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                               "--libvirt-snapshot needs a libvirt URI, such as "
                               "-c qemu:///system");
          return FALSE;
        }
    }
  else if (cli->action_argv == NULL || cli->action_argv[0] == NULL)
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "snapshot-create needs the action: -- COMMAND [ARGS...], or "
                           "--libvirt-snapshot NAME");
      return FALSE;
    }
  if (disk_opts == NULL)
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "snapshot-create needs at least one --disk DISK[=IMAGE]");
      return FALSE;
    }
  if (plugin == NULL)
    plugin = lease_dir != NULL ? "lockd" : "nop";
  if (g_strcmp0 (plugin, "lockd") == 0 && lease_dir == NULL)
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "--lease lockd needs --lease-dir DIR (the lockspace)");
      return FALSE;
    }
  leases = quiesce_lease_manager_new (plugin, lease_dir, error);
  if (leases == NULL)
    return FALSE;

  client = cli_client (cli, error);
  if (client == NULL)
    return FALSE;

  snapshot = quiesce_snapshot_new (client, cli->domain_name, dir);
  quiesce_snapshot_set_domain_xml (snapshot, cli->domain);
  quiesce_snapshot_set_lease_manager (snapshot, leases);
  quiesce_snapshot_set_lease_wait (snapshot, (guint) cli_opt_number (cli, "lease-wait", 0));
  quiesce_snapshot_set_timeout (snapshot, (guint) cli_opt_number (cli, "timeout", 60));
  for (guint i = 0; i < disk_opts->len; i++)
    {
      const char *text = g_ptr_array_index (disk_opts, i);
      const char *eq = strchr (text, '=');
      g_autofree char *disk = eq != NULL ? g_strndup (text, eq - text) : g_strdup (text);

      if (!quiesce_snapshot_add_disk (snapshot, disk, eq != NULL ? eq + 1 : NULL, error))
        return FALSE;
      if (libvirt_name != NULL)
        {
          const char *target;

          if (cli->domain == NULL)
            {
              g_set_error (error, CLI_ERROR, CLI_ERROR_FAILED,
                           "--libvirt-snapshot: no XML of domain '%s'", cli->domain_name);
              return FALSE;
            }
          target = disk_target (cli->domain, disk, error);
          if (target == NULL)
            return FALSE;
          if (g_hash_table_add (seen, (gpointer) target))
            g_strv_builder_add (targets, target);
        }
    }
  if (libvirt_name != NULL)
    {
      LibvirtAction *action = g_new0 (LibvirtAction, 1);

      action->transport = g_object_ref (quiesce_client_get_transport (client));
      action->name = g_strdup (libvirt_name);
      action->targets = g_strv_builder_end (targets);
      quiesce_snapshot_set_action (snapshot, run_libvirt_action, action, libvirt_action_free);
    }
  else
    {
      Action *action = g_new0 (Action, 1);

      action->argv = g_strdupv (cli->action_argv);
      action->json = cli->json;
      quiesce_snapshot_set_action (snapshot, run_action, action, action_free);
    }
  quiesce_snapshot_set_reconnect_func (snapshot, reconnect_cb, cli, NULL);
  g_signal_connect (snapshot, "step", G_CALLBACK (step_cb),
                    (gpointer) g_getenv ("QUIESCE_TEST_CRASH_AFTER"));

  fprintf (stderr, "Snapshot run %s (journal %s)\n", quiesce_snapshot_get_run_id (snapshot),
           quiesce_snapshot_get_journal_path (snapshot));
  w.cli = cli;
  w.snapshot = snapshot;
  w.cancellable = cancellable;
  sig_int = g_unix_signal_add (SIGINT, signal_cb, &w);
  sig_term = g_unix_signal_add (SIGTERM, signal_cb, &w);
  thread = g_thread_new ("snapshot", worker_func, &w);
  while (!g_atomic_int_get (&w.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  g_source_remove (sig_int);
  g_source_remove (sig_term);

  result = quiesce_snapshot_to_json (snapshot);
  if (cli->json)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, result);
      cli_print_json (node);
    }
  else if (quiesce_snapshot_get_outcome (snapshot) != QUIESCE_SNAPSHOT_OUTCOME_NONE)
    printf ("Snapshot %s %s\n", quiesce_snapshot_get_run_id (snapshot),
            quiesce_snapshot_outcome_to_string (quiesce_snapshot_get_outcome (snapshot)));
  if (w.error != NULL)
    {
      g_propagate_error (error, w.error);
      return FALSE;
    }
  return TRUE;
}

/* ---- snapshot-recover ---- */

gboolean
cli_run_snapshot_recover (Cli *cli, GError **error)
{
  g_autofree char *dir = state_dir (cli);
  g_autoptr(JsonArray) reports = NULL;
  QuiesceClient *client = cli_client (cli, error);
  guint suspects = 0;

  if (client == NULL)
    return FALSE;
  reports = quiesce_snapshot_recover (client, dir, cli->domain_name, NULL, error);
  if (reports == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (reports); i++)
    if (g_strcmp0 (json_object_get_string_member_with_default (
                       json_array_get_object_element (reports, i), "outcome", ""),
                   "suspect") == 0)
      suspects++;

  if (cli->json)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      JsonObject *obj = json_object_new ();

      json_object_set_string_member (obj, "state-dir", dir);
      json_object_set_array_member (obj, "runs", json_array_ref (reports));
      json_node_take_object (node, obj);
      cli_print_json (node);
    }
  else if (json_array_get_length (reports) == 0)
    printf ("No unfinished snapshot runs in %s\n", dir);
  else
    {
      for (guint i = 0; i < json_array_get_length (reports); i++)
        {
          JsonObject *r = json_array_get_object_element (reports, i);

          printf ("%s: %s (%s; domain %s)\n", json_object_get_string_member (r, "run"),
                  json_object_get_string_member (r, "outcome"),
                  json_object_get_string_member_with_default (r, "notes", ""),
                  json_object_get_string_member_with_default (r, "domain", "?"));
        }
    }
  if (suspects > 0)
    {
      g_set_error (error, QUIESCE_SNAPSHOT_ERROR, QUIESCE_SNAPSHOT_ERROR_SUSPECT,
                   "%u snapshot run(s) are suspect: the handle expired or was lost during "
                   "the action, so what they made may be inconsistent",
                   suspects);
      return FALSE;
    }
  return TRUE;
}
