/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceSnapshot: the snapshot run and its recovery.
 *
 * A run is a straight line of blocking steps, meant for a worker thread
 * (the CLI runs it on one and keeps its main thread for signals).  Each
 * step is written to the journal before the next starts, and the state
 * that another process needs to undo a step is journaled before the step
 * (the run id is the agent `owner` of the handle, so even a handle whose
 * acquire reply never came back is found again).  Once anything is frozen,
 * every path out goes through the thaw: a failed action, an interruption,
 * a lost connection (with a reconnect), a journal that cannot be written.
 *
 * Whether the freeze held through the whole action is decided from what
 * the keep-alive saw and from one renewal sent right after the action: a
 * handle alive then was alive throughout, since an expired handle never
 * comes back.  A connection that broke during the action (the agent
 * restarted) makes the run suspect, because nothing watched the freeze
 * meanwhile. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "quiesce-snapshot.h"

#include "quiesce-disk-spec.h"
#include "quiesce-disk.h"
#include "quiesce-error.h"
#include "quiesce-filesystem.h"
#include "quiesce-handle.h"
#include "quiesce-keepalive.h"
#include "quiesce-snapshot-journal.h"

#define QUIESCE_SNAPSHOT_DEFAULT_TIMEOUT 60
#define QUIESCE_SNAPSHOT_N_STEPS         (QUIESCE_SNAPSHOT_STEP_RELEASE + 1)
/* between two reconnect attempts while the handle must still be released */
#define QUIESCE_SNAPSHOT_RECONNECT_MS 250

G_DEFINE_QUARK (quiesce-snapshot-error-quark, quiesce_snapshot_error)

/**
 * QuiesceSnapshot:
 *
 * One snapshot run: it resolves the disks and their images, takes
 * exclusive leases on the images, freezes the filesystems of the disks by
 * handle (owner: the run id) with a deadline, renews the handle on a
 * private thread, calls the action, releases the handle and the leases.
 * Every step is journaled as one JSON file in the state directory, so that
 * quiesce_snapshot_recover() can finish a run whose process died.
 *
 * Since: 0.1
 */
struct _QuiesceSnapshot
{
  GObject parent_instance;

  QuiesceClient *client;
  char *domain;
  char *state_dir;
  QuiesceDomain *domain_xml;
  GPtrArray *disk_args;  /* of char*: DISK as given */
  GPtrArray *image_args; /* of char* or NULL: =IMAGE as given */
  QuiesceLeaseManager *leases;
  guint lease_wait_s;
  guint timeout_s;

  QuiesceSnapshotActionFunc action;
  gpointer action_data;
  GDestroyNotify action_destroy;
  QuiesceSnapshotReconnectFunc reconnect;
  gpointer reconnect_data;
  GDestroyNotify reconnect_destroy;

  char *run_id;
  char *journal_path;
  GStrv disks;       /* resolved */
  GStrv images;      /* those disks that have one */
  GStrv mountpoints; /* what the handle froze */
  GPtrArray *specs;  /* of QuiesceDisk */
  gint64 handle;
  QuiesceSnapshotOutcome outcome;
  gint64 step_ms[QUIESCE_SNAPSHOT_N_STEPS];
  gboolean ran;

  JsonObject *journal;

  /* set from the keep-alive's thread */
  GMutex lock;
  gboolean expired;
  gboolean lost;
  char *suspect_reason;
};

G_DEFINE_TYPE (QuiesceSnapshot, quiesce_snapshot, G_TYPE_OBJECT)

enum
{
  SIGNAL_STEP,
  SIGNAL_LAST
};

static guint signals[SIGNAL_LAST];

static const char *const step_names[] = { "resolve", "leases", "freeze",
                                          "action",  "thaw",   "release" };

/**
 * quiesce_snapshot_step_to_string:
 * @step: a #QuiesceSnapshotStep
 *
 * Returns: the step's name in journals and JSON (`resolve`, `leases`,
 *   `freeze`, `action`, `thaw`, `release`), as `QUIESCE_TEST_CRASH_AFTER`
 *   takes them
 *
 * Since: 0.1
 */
const char *
quiesce_snapshot_step_to_string (QuiesceSnapshotStep step)
{
  g_return_val_if_fail ((guint) step < QUIESCE_SNAPSHOT_N_STEPS, NULL);
  return step_names[step];
}

/**
 * quiesce_snapshot_outcome_to_string:
 * @outcome: a #QuiesceSnapshotOutcome
 *
 * Returns: `completed`, `rolled back`, `suspect`, or %NULL for
 *   %QUIESCE_SNAPSHOT_OUTCOME_NONE
 *
 * Since: 0.1
 */
const char *
quiesce_snapshot_outcome_to_string (QuiesceSnapshotOutcome outcome)
{
  switch (outcome)
    {
    case QUIESCE_SNAPSHOT_OUTCOME_COMPLETED:
      return "completed";
    case QUIESCE_SNAPSHOT_OUTCOME_ROLLED_BACK:
      return "rolled back";
    case QUIESCE_SNAPSHOT_OUTCOME_SUSPECT:
      return "suspect";
    case QUIESCE_SNAPSHOT_OUTCOME_NONE:
    default:
      return NULL;
    }
}

static void
quiesce_snapshot_finalize (GObject *object)
{
  QuiesceSnapshot *self = QUIESCE_SNAPSHOT (object);

  if (self->action_destroy != NULL)
    self->action_destroy (self->action_data);
  if (self->reconnect_destroy != NULL)
    self->reconnect_destroy (self->reconnect_data);
  g_clear_object (&self->client);
  g_clear_object (&self->domain_xml);
  g_clear_object (&self->leases);
  g_free (self->domain);
  g_free (self->state_dir);
  g_ptr_array_unref (self->disk_args);
  g_ptr_array_unref (self->image_args);
  g_free (self->run_id);
  g_free (self->journal_path);
  g_strfreev (self->disks);
  g_strfreev (self->images);
  g_strfreev (self->mountpoints);
  g_clear_pointer (&self->specs, g_ptr_array_unref);
  g_clear_pointer (&self->journal, json_object_unref);
  g_free (self->suspect_reason);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (quiesce_snapshot_parent_class)->finalize (object);
}

static void
quiesce_snapshot_class_init (QuiesceSnapshotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = quiesce_snapshot_finalize;

  /**
   * QuiesceSnapshot::step:
   * @self: the #QuiesceSnapshot
   * @step: the #QuiesceSnapshotStep just done (as an int)
   * @ms: how long it took, in milliseconds
   *
   * Emitted on the thread of quiesce_snapshot_run() after each step is
   * done and journaled: the place for progress output (and for the CLI's
   * crash injection, which must come after the journal).
   *
   * Since: 0.1
   */
  signals[SIGNAL_STEP] = g_signal_new ("step", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT,
                                       G_TYPE_INT64);
}

static void
quiesce_snapshot_init (QuiesceSnapshot *self)
{
  g_mutex_init (&self->lock);
  self->disk_args = g_ptr_array_new_with_free_func (g_free);
  self->image_args = g_ptr_array_new_with_free_func (g_free);
  self->timeout_s = QUIESCE_SNAPSHOT_DEFAULT_TIMEOUT;
  for (guint i = 0; i < QUIESCE_SNAPSHOT_N_STEPS; i++)
    self->step_ms[i] = -1;
}

static char *
new_run_id (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");

  return g_strdup_printf ("snap-%s-%08x", stamp, g_random_int ());
}

/**
 * quiesce_snapshot_new:
 * @client: the connection to the agent
 * @domain: the domain's name (a label in the journal and the action's
 *   environment)
 * @state_dir: the directory of the journals (made if missing)
 *
 * Creates a run with a fresh run id (`snap-<UTC time>-<random>`), which is
 * also the agent `owner` of its handle and the lease owner.
 *
 * Returns: (transfer full): a new #QuiesceSnapshot
 *
 * Since: 0.1
 */
QuiesceSnapshot *
quiesce_snapshot_new (QuiesceClient *client, const char *domain, const char *state_dir)
{
  QuiesceSnapshot *self;

  g_return_val_if_fail (QUIESCE_IS_CLIENT (client), NULL);
  g_return_val_if_fail (domain != NULL, NULL);
  g_return_val_if_fail (state_dir != NULL, NULL);
  self = g_object_new (QUIESCE_TYPE_SNAPSHOT, NULL);
  self->client = g_object_ref (client);
  self->domain = g_strdup (domain);
  self->state_dir = g_strdup (state_dir);
  self->run_id = new_run_id ();
  self->journal_path = qh_journal_path (state_dir, self->run_id);
  return self;
}

/**
 * quiesce_snapshot_set_domain_xml:
 * @self: a #QuiesceSnapshot
 * @domain: (nullable): the domain XML that maps target names (vda) to
 *   disk identities and gives their `<source>` images
 *
 * Since: 0.1
 */
void
quiesce_snapshot_set_domain_xml (QuiesceSnapshot *self, QuiesceDomain *domain)
{
  g_return_if_fail (QUIESCE_IS_SNAPSHOT (self));
  g_set_object (&self->domain_xml, domain);
}

/**
 * quiesce_snapshot_add_disk:
 * @self: a #QuiesceSnapshot
 * @disk: a target name of the domain XML (`vda`), or an explicit identity
 *   `KEY:VALUE[,KEY:VALUE…]` (keys `serial`, `wwn`, `dev`, `pci`)
 * @image: (nullable): the disk's image file on the host; %NULL takes the
 *   `<source>` of the domain XML
 * @error: return location for a #GError
 *
 * Adds a disk whose filesystems the run freezes and whose image it
 * leases.  Only the syntax is checked here; the disk is resolved by the
 * run's first step.
 *
 * Returns: %TRUE, or %FALSE with %QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC
 *
 * Since: 0.1
 */
gboolean
quiesce_snapshot_add_disk (QuiesceSnapshot *self, const char *disk, const char *image,
                           GError **error)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), FALSE);
  g_return_val_if_fail (disk != NULL, FALSE);

  if (strchr (disk, ':') != NULL)
    {
      g_autoptr(JsonObject) spec = quiesce_disk_spec_parse (disk, error);

      if (spec == NULL)
        return FALSE;
    }
  else if (disk[0] == '\0')
    {
      g_set_error_literal (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                           "An empty disk name");
      return FALSE;
    }
  if (image != NULL && image[0] == '\0')
    {
      g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                   "Disk '%s' has an empty image path after '='", disk);
      return FALSE;
    }
  g_ptr_array_add (self->disk_args, g_strdup (disk));
  g_ptr_array_add (self->image_args, g_strdup (image));
  return TRUE;
}

/**
 * quiesce_snapshot_set_lease_manager:
 * @self: a #QuiesceSnapshot
 * @manager: (nullable): where to take exclusive leases on the images;
 *   %NULL takes none (as the `nop` plugin)
 *
 * Since: 0.1
 */
void
quiesce_snapshot_set_lease_manager (QuiesceSnapshot *self, QuiesceLeaseManager *manager)
{
  g_return_if_fail (QUIESCE_IS_SNAPSHOT (self));
  g_set_object (&self->leases, manager);
}

/**
 * quiesce_snapshot_set_lease_wait:
 * @self: a #QuiesceSnapshot
 * @wait_s: how long to wait for leases that another holds; 0 (the
 *   default) fails at once with %QUIESCE_LEASE_ERROR_HELD
 *
 * Since: 0.1
 */
void
quiesce_snapshot_set_lease_wait (QuiesceSnapshot *self, guint wait_s)
{
  g_return_if_fail (QUIESCE_IS_SNAPSHOT (self));
  self->lease_wait_s = wait_s;
}

/**
 * quiesce_snapshot_set_timeout:
 * @self: a #QuiesceSnapshot
 * @timeout_s: the handle's deadline in seconds (default 60); the
 *   keep-alive renews it at a third of that
 *
 * Since: 0.1
 */
void
quiesce_snapshot_set_timeout (QuiesceSnapshot *self, guint timeout_s)
{
  g_return_if_fail (QUIESCE_IS_SNAPSHOT (self));
  g_return_if_fail (timeout_s >= 1);
  self->timeout_s = timeout_s;
}

/**
 * quiesce_snapshot_set_action:
 * @self: a #QuiesceSnapshot
 * @func: (scope notified) (nullable): the action; %NULL does nothing
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Since: 0.1
 */
void
quiesce_snapshot_set_action (QuiesceSnapshot *self, QuiesceSnapshotActionFunc func,
                             gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (QUIESCE_IS_SNAPSHOT (self));
  if (self->action_destroy != NULL)
    self->action_destroy (self->action_data);
  self->action = func;
  self->action_data = user_data;
  self->action_destroy = destroy;
}

/**
 * quiesce_snapshot_set_reconnect_func:
 * @self: a #QuiesceSnapshot
 * @func: (scope notified) (nullable): makes a new client for the same
 *   agent
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data
 *
 * Without it, a connection that broke (the agent restarted) leaves the
 * handle to its deadline and to quiesce_snapshot_recover(); with it, the
 * run reconnects until the handle's deadline to release it.
 *
 * Since: 0.1
 */
void
quiesce_snapshot_set_reconnect_func (QuiesceSnapshot *self, QuiesceSnapshotReconnectFunc func,
                                     gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (QUIESCE_IS_SNAPSHOT (self));
  if (self->reconnect_destroy != NULL)
    self->reconnect_destroy (self->reconnect_data);
  self->reconnect = func;
  self->reconnect_data = user_data;
  self->reconnect_destroy = destroy;
}

/* ---- accessors ---- */

/**
 * quiesce_snapshot_get_run_id:
 * @self: a #QuiesceSnapshot
 *
 * Returns: the run id, also the handle's owner and the journal's name
 *
 * Since: 0.1
 */
const char *
quiesce_snapshot_get_run_id (QuiesceSnapshot *self)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), NULL);
  return self->run_id;
}

/**
 * quiesce_snapshot_get_domain:
 * @self: a #QuiesceSnapshot
 *
 * Returns: the domain's name
 *
 * Since: 0.1
 */
const char *
quiesce_snapshot_get_domain (QuiesceSnapshot *self)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), NULL);
  return self->domain;
}

/**
 * quiesce_snapshot_get_journal_path:
 * @self: a #QuiesceSnapshot
 *
 * Returns: the journal file of the run
 *
 * Since: 0.1
 */
const char *
quiesce_snapshot_get_journal_path (QuiesceSnapshot *self)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), NULL);
  return self->journal_path;
}

/**
 * quiesce_snapshot_get_handle:
 * @self: a #QuiesceSnapshot
 *
 * Returns: the freeze handle once the freeze step is done, else 0
 *
 * Since: 0.1
 */
gint64
quiesce_snapshot_get_handle (QuiesceSnapshot *self)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), 0);
  return self->handle;
}

/**
 * quiesce_snapshot_get_disks:
 * @self: a #QuiesceSnapshot
 *
 * Returns: (transfer none) (nullable): the disks as given, once resolved
 *
 * Since: 0.1
 */
const char *const *
quiesce_snapshot_get_disks (QuiesceSnapshot *self)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), NULL);
  return (const char *const *) self->disks;
}

/**
 * quiesce_snapshot_get_images:
 * @self: a #QuiesceSnapshot
 *
 * Returns: (transfer none) (nullable): the images of the disks, once
 *   resolved
 *
 * Since: 0.1
 */
const char *const *
quiesce_snapshot_get_images (QuiesceSnapshot *self)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), NULL);
  return (const char *const *) self->images;
}

/**
 * quiesce_snapshot_get_mountpoints:
 * @self: a #QuiesceSnapshot
 *
 * Returns: (transfer none) (nullable): the guest mountpoints the handle
 *   froze, once frozen
 *
 * Since: 0.1
 */
const char *const *
quiesce_snapshot_get_mountpoints (QuiesceSnapshot *self)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), NULL);
  return (const char *const *) self->mountpoints;
}

/**
 * quiesce_snapshot_get_outcome:
 * @self: a #QuiesceSnapshot
 *
 * Returns: how the run ended, or %QUIESCE_SNAPSHOT_OUTCOME_NONE
 *
 * Since: 0.1
 */
QuiesceSnapshotOutcome
quiesce_snapshot_get_outcome (QuiesceSnapshot *self)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), QUIESCE_SNAPSHOT_OUTCOME_NONE);
  return self->outcome;
}

/**
 * quiesce_snapshot_get_step_ms:
 * @self: a #QuiesceSnapshot
 * @step: a #QuiesceSnapshotStep
 *
 * Returns: how long @step took in milliseconds, or -1 if it did not run
 *
 * Since: 0.1
 */
gint64
quiesce_snapshot_get_step_ms (QuiesceSnapshot *self, QuiesceSnapshotStep step)
{
  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), -1);
  g_return_val_if_fail ((guint) step < QUIESCE_SNAPSHOT_N_STEPS, -1);
  return self->step_ms[step];
}

/**
 * quiesce_snapshot_to_json:
 * @self: a #QuiesceSnapshot
 *
 * The run as its journal holds it (see quiesce(1), JSON OUTPUT):
 * `run`, `domain`, `host`, `pid`, `created`, `timeout`, `disks`
 * (`[{disk, image, spec}]`), `images`, `lease`, `step` (the last one
 * done), `steps` (milliseconds per step), `handle`, `mountpoints`,
 * `action` (`{state, message?}`), `handle-state`, `suspect-reason`,
 * `outcome` and `finished`.
 *
 * Returns: (transfer full): a new JSON object
 *
 * Since: 0.1
 */
JsonObject *
quiesce_snapshot_to_json (QuiesceSnapshot *self)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), NULL);
  if (self->journal == NULL)
    {
      JsonObject *obj = json_object_new ();

      json_object_set_string_member (obj, "run", self->run_id);
      json_object_set_string_member (obj, "domain", self->domain);
      json_object_set_null_member (obj, "outcome");
      json_object_set_boolean_member (obj, "finished", FALSE);
      return obj;
    }
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, self->journal);
  {
    g_autoptr(JsonNode) copy = json_node_copy (node);

    return json_object_ref (json_node_get_object (copy));
  }
}

/* ---- the journal of this run ---- */

static JsonArray *
strv_to_array (const char *const *strv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_array_add_string_element (array, strv[i]);
  return array;
}

static gboolean
journal_commit (QuiesceSnapshot *self, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (!qh_journal_write (self->state_dir, self->run_id, self->journal, &local))
    {
      g_set_error (error, QUIESCE_SNAPSHOT_ERROR, QUIESCE_SNAPSHOT_ERROR_JOURNAL, "%s",
                   local->message);
      return FALSE;
    }
  return TRUE;
}

static void
journal_set_action (QuiesceSnapshot *self, const char *state, const char *message)
{
  JsonObject *action = json_object_new ();

  json_object_set_string_member (action, "state", state);
  if (message != NULL)
    json_object_set_string_member (action, "message", message);
  json_object_set_object_member (self->journal, "action", action);
}

/* a step is done: its time, the journal, then the signal */
static gboolean
step_done (QuiesceSnapshot *self, QuiesceSnapshotStep step, gint64 started_us, GError **error)
{
  gint64 ms = (g_get_monotonic_time () - started_us) / 1000;

  self->step_ms[step] = ms;
  json_object_set_string_member (self->journal, "step", step_names[step]);
  json_object_set_int_member (json_object_get_object_member (self->journal, "steps"),
                              step_names[step], ms);
  if (!journal_commit (self, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_STEP], 0, (gint) step, ms);
  return TRUE;
}

/* ---- step 1: resolve ---- */

static gboolean
resolve_disks (QuiesceSnapshot *self, GError **error)
{
  g_autoptr(GStrvBuilder) disks = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) images = g_strv_builder_new ();
  JsonArray *entries = json_array_new ();

  json_object_set_array_member (self->journal, "disks", entries);
  self->specs = g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_disk_unref);
  if (self->disk_args->len == 0)
    {
      g_set_error_literal (error, QUIESCE_SNAPSHOT_ERROR, QUIESCE_SNAPSHOT_ERROR_FAILED,
                           "A snapshot needs at least one disk");
      return FALSE;
    }
  for (guint i = 0; i < self->disk_args->len; i++)
    {
      const char *text = g_ptr_array_index (self->disk_args, i);
      const char *image = g_ptr_array_index (self->image_args, i);
      g_autoptr(JsonObject) spec = NULL;
      g_autoptr(QuiesceDisk) disk = NULL;
      JsonObject *entry;

      if (strchr (text, ':') != NULL)
        spec = quiesce_disk_spec_parse (text, error);
      else if (self->domain_xml == NULL)
        {
          g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                       "Disk '%s' is a target name, which needs the domain XML; or name the "
                       "disk explicitly, e.g. dev:/dev/vdb=IMAGE",
                       text);
          return FALSE;
        }
      else
        {
          QuiesceDomainDisk *ddisk = quiesce_domain_lookup_disk (self->domain_xml, text, error);

          if (ddisk == NULL)
            return FALSE;
          spec = quiesce_domain_disk_to_spec (ddisk, error);
          if (image == NULL)
            image = quiesce_domain_disk_get_source (ddisk);
        }
      if (spec == NULL)
        return FALSE;
      disk = quiesce_disk_new_from_spec (spec, error);
      if (disk == NULL)
        return FALSE;
      if (image == NULL && self->leases != NULL &&
          g_strcmp0 (quiesce_lease_manager_get_plugin (self->leases), "nop") != 0)
        {
          g_set_error (error, QUIESCE_SNAPSHOT_ERROR, QUIESCE_SNAPSHOT_ERROR_FAILED,
                       "Disk '%s' has no image to lease: give it as %s=IMAGE, or a domain "
                       "XML whose disk has a <source>",
                       text, text);
          return FALSE;
        }
      entry = json_object_new ();
      json_object_set_string_member (entry, "disk", text);
      if (image != NULL)
        json_object_set_string_member (entry, "image", image);
      else
        json_object_set_null_member (entry, "image");
      json_object_set_object_member (entry, "spec", json_object_ref (spec));
      json_array_add_object_element (entries, entry);

      g_strv_builder_add (disks, text);
      if (image != NULL)
        g_strv_builder_add (images, image);
      g_ptr_array_add (self->specs, g_steal_pointer (&disk));
    }
  self->disks = g_strv_builder_end (disks);
  self->images = g_strv_builder_end (images);
  json_object_set_array_member (self->journal, "images",
                                strv_to_array ((const char *const *) self->images));
  return TRUE;
}

/* ---- connection trouble ---- */

static gboolean
is_connection_error (const GError *error)
{
  return error != NULL && error->domain == QUIESCE_CLIENT_ERROR &&
         error->code != QUIESCE_CLIENT_ERROR_BAD_REPLY;
}

static gboolean
is_handle_gone (const GError *error)
{
  return g_error_matches (error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_HANDLE_EXPIRED) ||
         g_error_matches (error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND);
}

static void
mark_suspect (QuiesceSnapshot *self, gboolean lost, const char *reason)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (lost)
    self->lost = TRUE;
  else
    self->expired = TRUE;
  if (self->suspect_reason == NULL)
    self->suspect_reason = g_strdup (reason);
}

static void
keepalive_expired_cb (QuiesceKeepalive *ka, const GError *error, gpointer user_data)
{
  QuiesceSnapshot *self = user_data;
  g_autofree char *reason = g_strdup_printf ("the handle expired during the action (%s)",
                                             error != NULL ? error->message : "no renewal");

  (void) ka;
  mark_suspect (self, FALSE, reason);
}

static void
keepalive_error_cb (QuiesceKeepalive *ka, const GError *error, gpointer user_data)
{
  QuiesceSnapshot *self = user_data;

  (void) ka;
  /* the agent went away with our handle: nothing watched the freeze */
  if (error != NULL && is_connection_error (error) &&
      error->code != QUIESCE_CLIENT_ERROR_TIMED_OUT)
    {
      g_autofree char *reason = g_strdup_printf (
          "the connection to the agent was lost during the action (%s)", error->message);

      mark_suspect (self, TRUE, reason);
    }
}

/* a new connection after the old one broke, trying until DEADLINE_US */
static gboolean
reconnect (QuiesceSnapshot *self, gint64 deadline_us, GError **error)
{
  g_autoptr(GError) last = NULL;

  if (self->reconnect == NULL)
    return FALSE;
  while (g_get_monotonic_time () < deadline_us)
    {
      g_autoptr(GError) local = NULL;
      QuiesceClient *client = self->reconnect (self->reconnect_data, &local);

      if (client != NULL && quiesce_client_sync (client, NULL, &local))
        {
          g_object_unref (self->client);
          self->client = client;
          return TRUE;
        }
      g_clear_object (&client);
      g_clear_error (&last);
      last = g_steal_pointer (&local);
      g_usleep (QUIESCE_SNAPSHOT_RECONNECT_MS * 1000);
    }
  if (last != NULL)
    g_propagate_error (error, g_steal_pointer (&last));
  return FALSE;
}

/* release HANDLE, reconnecting while the connection is broken and the
 * handle may still be held (its deadline) */
static QuiesceFreeze *
release_handle (QuiesceSnapshot *self, gint64 handle, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) self->timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(GError) local = NULL;
      QuiesceFreeze *freeze = quiesce_client_release (self->client, handle, FALSE, NULL, &local);

      if (freeze != NULL)
        return freeze;
      if (!is_connection_error (local) || !reconnect (self, deadline, NULL))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
    }
}

/* handles of this run that the agent holds, by owner; released (used when
 * an acquire's reply was lost, and by recovery) */
static guint
release_by_owner (QuiesceClient *client, const char *owner, GString *notes, GError **error)
{
  g_autoptr(GPtrArray) handles = quiesce_client_handles (client, NULL, error);
  guint released = 0;

  if (handles == NULL)
    return G_MAXUINT;
  for (guint i = 0; i < handles->len; i++)
    {
      QuiesceHandle *h = g_ptr_array_index (handles, i);
      g_autoptr(QuiesceFreeze) freeze = NULL;
      g_autoptr(GError) local = NULL;
      gint64 id = quiesce_handle_get_id (h);

      if (g_strcmp0 (quiesce_handle_get_owner (h), owner) != 0)
        continue;
      freeze = quiesce_client_release (client, id, FALSE, NULL, &local);
      if (freeze != NULL)
        {
          released++;
          g_string_append_printf (notes, "released handle %" G_GINT64_FORMAT " (thawed %d); ",
                                  id, quiesce_freeze_get_thawed (freeze));
        }
      else if (is_handle_gone (local))
        g_string_append_printf (notes, "handle %" G_GINT64_FORMAT ": %s (%s); ", id,
                                quiesce_agent_error_to_string (local->code), local->message);
      else
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return G_MAXUINT;
        }
    }
  return released;
}

/* ---- the run ---- */

typedef struct
{
  QuiesceSnapshot *self;
  QuiesceLeaseSet *leases;
  gboolean frozen;
} Run;

static void
set_outcome (QuiesceSnapshot *self, QuiesceSnapshotOutcome outcome)
{
  self->outcome = outcome;
  json_object_set_string_member (self->journal, "outcome",
                                 quiesce_snapshot_outcome_to_string (outcome));
}

/* steps 7 and the end, for a run that stops before the action: nothing
 * happened, so it is rolled back */
static gboolean
roll_back_before_action (Run *run, GError **error_inout)
{
  QuiesceSnapshot *self = run->self;
  g_autoptr(GError) local = NULL;

  if (run->leases != NULL)
    {
      gint64 t = g_get_monotonic_time ();

      if (!quiesce_lease_set_release (run->leases, &local))
        g_warning ("Releasing the leases of run '%s' failed: %s", self->run_id,
                   local->message);
      g_clear_pointer (&run->leases, quiesce_lease_set_unref);
      g_clear_error (&local);
      step_done (self, QUIESCE_SNAPSHOT_STEP_RELEASE, t, NULL);
    }
  set_outcome (self, QUIESCE_SNAPSHOT_OUTCOME_ROLLED_BACK);
  json_object_set_boolean_member (self->journal, "finished", TRUE);
  if (*error_inout != NULL)
    json_object_set_string_member (self->journal, "error", (*error_inout)->message);
  journal_commit (self, NULL);
  return FALSE;
}

/**
 * quiesce_snapshot_run:
 * @self: a #QuiesceSnapshot
 * @cancellable: (nullable): cancelling it interrupts the run: a lease
 *   wait stops, the action is asked to stop (through its cancellable),
 *   and the handle and leases are released as always
 * @error: return location for a #GError
 *
 * Runs the steps: resolve the disks and images; take exclusive leases on
 * the images (sorted, all or nothing); acquire a handle on the disks with
 * the run id as owner and the timeout as deadline; renew it on a private
 * thread; call the action; release the handle; release the leases.  Each
 * step is journaled before the next begins, and #QuiesceSnapshot::step is
 * emitted after each.  Blocks: call it from a worker thread if the caller
 * has a main loop to keep running.
 *
 * The handle is released on every path once acquired.  If it expired or
 * the connection to the agent was lost during the action, the run ends
 * with %QUIESCE_SNAPSHOT_ERROR_SUSPECT; if the action failed or was
 * interrupted, with %QUIESCE_SNAPSHOT_ERROR_ACTION_FAILED (after the
 * thaw).  Errors before the action keep their domains
 * (%QUIESCE_AGENT_ERROR, %QUIESCE_CLIENT_ERROR, %QUIESCE_LEASE_ERROR,
 * %QUIESCE_DOMAIN_ERROR).  A run that could not release its handle stays
 * unfinished in the journal, for quiesce_snapshot_recover().
 *
 * Returns: %TRUE if the run completed
 *
 * Since: 0.1
 */
gboolean
quiesce_snapshot_run (QuiesceSnapshot *self, GCancellable *cancellable, GError **error)
{
  Run run = { self, NULL, FALSE };
  g_autoptr(GError) local = NULL;
  g_autoptr(GError) action_error = NULL;
  g_autoptr(QuiesceFreeze) frozen = NULL;
  g_autoptr(QuiesceFreeze) thawed = NULL;
  g_autoptr(QuiesceKeepalive) keepalive = NULL;
  g_autoptr(GError) thaw_error = NULL;
  gboolean action_ok;
  gboolean suspect;
  gboolean released;
  gint64 t;

  g_return_val_if_fail (QUIESCE_IS_SNAPSHOT (self), FALSE);
  g_return_val_if_fail (!self->ran, FALSE);
  self->ran = TRUE;

  /* ---- 1. resolve ---- */
  t = g_get_monotonic_time ();
  if (!qh_journal_ensure_dir (self->state_dir, error))
    return FALSE;
  self->journal = json_object_new ();
  json_object_set_int_member (self->journal, "version", 1);
  json_object_set_string_member (self->journal, "run", self->run_id);
  json_object_set_string_member (self->journal, "domain", self->domain);
  json_object_set_string_member (self->journal, "host", g_get_host_name ());
  json_object_set_int_member (self->journal, "pid", getpid ());
  json_object_set_int_member (self->journal, "pid-start", (gint64) qh_process_start_time (getpid ()));
  json_object_set_int_member (self->journal, "created", g_get_real_time () / G_USEC_PER_SEC);
  json_object_set_int_member (self->journal, "timeout", self->timeout_s);
  json_object_set_object_member (self->journal, "steps", json_object_new ());
  json_object_set_null_member (self->journal, "step");
  json_object_set_null_member (self->journal, "handle");
  json_object_set_null_member (self->journal, "handle-state");
  json_object_set_null_member (self->journal, "suspect-reason");
  json_object_set_null_member (self->journal, "outcome");
  json_object_set_boolean_member (self->journal, "finished", FALSE);
  journal_set_action (self, "not run", NULL);
  {
    JsonObject *lease = json_object_new ();

    json_object_set_string_member (lease, "plugin", self->leases != NULL
                                                        ? quiesce_lease_manager_get_plugin (self->leases)
                                                        : "nop");
    json_object_set_array_member (lease, "images", json_array_new ());
    json_object_set_boolean_member (lease, "held", FALSE);
    json_object_set_object_member (self->journal, "lease", lease);
  }
  if (!resolve_disks (self, &local))
    {
      /* nothing is journaled for a run that never started */
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!step_done (self, QUIESCE_SNAPSHOT_STEP_RESOLVE, t, error))
    return FALSE;

  /* ---- 2. leases ---- */
  t = g_get_monotonic_time ();
  if (self->leases != NULL)
    {
      JsonObject *lease = json_object_get_object_member (self->journal, "lease");

      quiesce_lease_manager_set_owner (self->leases, self->run_id);
      run.leases = quiesce_lease_manager_acquire (self->leases, (const char *const *) self->images,
                                                  QUIESCE_LEASE_EXCLUSIVE, self->lease_wait_s,
                                                  cancellable, &local);
      if (run.leases == NULL)
        {
          roll_back_before_action (&run, &local);
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      json_object_set_array_member (lease, "images",
                                    strv_to_array (quiesce_lease_set_get_images (run.leases)));
      json_object_set_boolean_member (lease, "held", TRUE);
    }
  if (!step_done (self, QUIESCE_SNAPSHOT_STEP_LEASES, t, &local) ||
      g_cancellable_set_error_if_cancelled (cancellable, &local))
    {
      roll_back_before_action (&run, &local);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  /* ---- 3. freeze ---- */
  t = g_get_monotonic_time ();
  /* journaled first: a crash between the agent's freeze and our journal
   * is found again by the owner */
  json_object_set_string_member (self->journal, "handle-state", "acquiring");
  if (!journal_commit (self, &local))
    {
      roll_back_before_action (&run, &local);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  frozen = quiesce_client_acquire (self->client, NULL, self->specs, self->run_id, self->timeout_s,
                                   QUIESCE_SPAN_DEFAULT, NULL, &local);
  if (frozen == NULL)
    {
      g_autoptr(GString) notes = g_string_new (NULL);

      /* a reply that never came may hide a handle that exists */
      if (is_connection_error (local))
        release_by_owner (self->client, self->run_id, notes, NULL);
      json_object_set_string_member (self->journal, "handle-state", "none");
      roll_back_before_action (&run, &local);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  self->handle = quiesce_freeze_get_handle (frozen);
  {
    GPtrArray *fss = quiesce_freeze_get_filesystems (frozen);
    g_autoptr(GStrvBuilder) mps = g_strv_builder_new ();

    for (guint i = 0; fss != NULL && i < fss->len; i++)
      g_strv_builder_add (mps, quiesce_filesystem_get_mountpoint (g_ptr_array_index (fss, i)));
    self->mountpoints = g_strv_builder_end (mps);
  }
  json_object_set_int_member (self->journal, "handle", self->handle);
  json_object_set_string_member (self->journal, "handle-state", "held");
  json_object_set_array_member (self->journal, "mountpoints",
                                strv_to_array ((const char *const *) self->mountpoints));
  run.frozen = TRUE;

  /* ---- 4. keep renewing ---- */
  keepalive = quiesce_keepalive_new (self->client, self->handle, self->timeout_s);
  g_signal_connect (keepalive, "expired", G_CALLBACK (keepalive_expired_cb), self);
  g_signal_connect (keepalive, "error", G_CALLBACK (keepalive_error_cb), self);

  /* a failure from here on still goes to the thaw */
  if (!step_done (self, QUIESCE_SNAPSHOT_STEP_FREEZE, t, &action_error) ||
      !quiesce_keepalive_start (keepalive, NULL, &action_error))
    ;
  else if (g_cancellable_set_error_if_cancelled (cancellable, &action_error))
    ;
  else
    {
      /* ---- 5. the action ---- */
      t = g_get_monotonic_time ();
      journal_set_action (self, "running", NULL);
      if (journal_commit (self, &action_error) && self->action != NULL)
        self->action (self, cancellable, self->action_data, &action_error);
    }
  action_ok = action_error == NULL;

  /* one renewal right after the action: a handle alive now was alive
   * throughout, since an expired handle never comes back */
  if (!self->expired && !self->lost)
    {
      g_autoptr(GError) verr = NULL;

      if (quiesce_client_renew (self->client, self->handle, self->timeout_s, NULL, &verr) < 0)
        {
          g_autofree char *reason = NULL;

          if (is_handle_gone (verr))
            {
              reason = g_strdup_printf ("the handle was %s when the action ended (%s)",
                                        verr->code == QUIESCE_AGENT_ERROR_HANDLE_EXPIRED
                                            ? "expired"
                                            : "unknown to the agent",
                                        verr->message);
              mark_suspect (self, FALSE, reason);
            }
          else if (is_connection_error (verr))
            {
              reason = g_strdup_printf ("the connection to the agent was lost during the "
                                        "action (%s)",
                                        verr->message);
              mark_suspect (self, TRUE, reason);
            }
          else
            {
              reason = g_strdup_printf ("the handle could not be checked when the action "
                                        "ended (%s)",
                                        verr->message);
              mark_suspect (self, TRUE, reason);
            }
        }
    }
  quiesce_keepalive_stop (keepalive);
  if (quiesce_keepalive_is_expired (keepalive) && !self->expired)
    mark_suspect (self, FALSE, "the handle expired during the action");
  suspect = self->expired || self->lost;

  if (action_ok)
    journal_set_action (self, "succeeded", NULL);
  else
    journal_set_action (self,
                        g_error_matches (action_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                            ? "interrupted"
                            : "failed",
                        action_error->message);
  if (suspect)
    json_object_set_string_member (self->journal, "suspect-reason", self->suspect_reason);
  /* the action step is "done" even when it failed: it returned */
  step_done (self, QUIESCE_SNAPSHOT_STEP_ACTION, t, NULL);

  /* ---- 6. thaw ---- */
  t = g_get_monotonic_time ();
  thawed = release_handle (self, self->handle, &thaw_error);
  released = thawed != NULL || is_handle_gone (thaw_error);
  if (thawed != NULL)
    json_object_set_string_member (self->journal, "handle-state", "released");
  else if (released)
    {
      json_object_set_string_member (self->journal, "handle-state",
                                     thaw_error->code == QUIESCE_AGENT_ERROR_HANDLE_EXPIRED
                                         ? "expired"
                                         : "not found");
      if (!suspect)
        /* alive after the action, gone by the release: it expired in
         * between, which the snapshot does not care about */
        g_debug ("Handle %" G_GINT64_FORMAT " of run '%s' went away after the action: %s",
                 self->handle, self->run_id, thaw_error->message);
    }
  else
    json_object_set_string_member (self->journal, "handle-state", "unknown");
  if (released)
    step_done (self, QUIESCE_SNAPSHOT_STEP_THAW, t, NULL);
  else
    journal_commit (self, NULL);

  /* ---- 7. leases ---- */
  t = g_get_monotonic_time ();
  if (run.leases != NULL)
    {
      g_autoptr(GError) lerr = NULL;

      if (!quiesce_lease_set_release (run.leases, &lerr))
        g_warning ("Releasing the leases of run '%s' failed: %s", self->run_id, lerr->message);
      g_clear_pointer (&run.leases, quiesce_lease_set_unref);
      json_object_set_boolean_member (json_object_get_object_member (self->journal, "lease"),
                                      "held", FALSE);
    }
  if (released)
    step_done (self, QUIESCE_SNAPSHOT_STEP_RELEASE, t, NULL);

  /* ---- the end ---- */
  if (suspect)
    set_outcome (self, QUIESCE_SNAPSHOT_OUTCOME_SUSPECT);
  else if (action_ok)
    set_outcome (self, QUIESCE_SNAPSHOT_OUTCOME_COMPLETED);
  else
    set_outcome (self, QUIESCE_SNAPSHOT_OUTCOME_ROLLED_BACK);
  if (!released)
    {
      /* left unfinished: snapshot-recover releases it when the agent is
       * back; the agent's deadline thaws it meanwhile */
      json_object_set_string_member (self->journal, "error", thaw_error->message);
      journal_commit (self, NULL);
      g_set_error (error, QUIESCE_SNAPSHOT_ERROR, QUIESCE_SNAPSHOT_ERROR_SUSPECT,
                   "Snapshot run '%s' is suspect: its handle %" G_GINT64_FORMAT
                   " could not be released (%s); the agent thaws it at its deadline (%u s), "
                   "and 'quiesce snapshot-recover' finishes the run",
                   self->run_id, self->handle, thaw_error->message, self->timeout_s);
      return FALSE;
    }
  json_object_set_boolean_member (self->journal, "finished", TRUE);
  if (!journal_commit (self, &local))
    g_warning ("%s", local->message);

  if (suspect)
    {
      g_set_error (error, QUIESCE_SNAPSHOT_ERROR, QUIESCE_SNAPSHOT_ERROR_SUSPECT,
                   "Snapshot run '%s' is suspect: %s; what the action made may be "
                   "inconsistent%s%s",
                   self->run_id, self->suspect_reason, action_ok ? "" : "; the action failed: ",
                   action_ok ? "" : action_error->message);
      return FALSE;
    }
  if (!action_ok)
    {
      g_set_error (error, QUIESCE_SNAPSHOT_ERROR, QUIESCE_SNAPSHOT_ERROR_ACTION_FAILED,
                   "The snapshot action %s: %s; the filesystems were thawed",
                   g_error_matches (action_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                       ? "was interrupted"
                       : "failed",
                   action_error->message);
      return FALSE;
    }
  return TRUE;
}

/* ---- recovery ---- */

static const char *
member_string (JsonObject *obj, const char *member)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
member_int (JsonObject *obj, const char *member, gint64 dflt)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return dflt;
  return json_node_get_int (node);
}

static gboolean
member_bool (JsonObject *obj, const char *member)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static gint
step_index (const char *name)
{
  for (guint i = 0; i < QUIESCE_SNAPSHOT_N_STEPS; i++)
    if (g_strcmp0 (name, step_names[i]) == 0)
      return (gint) i;
  return -1;
}

/* one unfinished journal: the report, and the journal marked finished */
static JsonObject *
recover_one (QuiesceClient *client, const char *state_dir, JsonObject *journal, GError **error)
{
  const char *run_id = member_string (journal, "run");
  JsonObject *action = json_object_get_member (journal, "action") != NULL &&
                               JSON_NODE_HOLDS_OBJECT (json_object_get_member (journal, "action"))
                           ? json_object_get_object_member (journal, "action")
                           : NULL;
  JsonObject *lease = json_object_get_member (journal, "lease") != NULL &&
                              JSON_NODE_HOLDS_OBJECT (json_object_get_member (journal, "lease"))
                          ? json_object_get_object_member (journal, "lease")
                          : NULL;
  const char *action_state = member_string (action, "state");
  const char *plugin = member_string (lease, "plugin");
  gint step = step_index (member_string (journal, "step"));
  gint64 pid = member_int (journal, "pid", 0);
  g_autoptr(GString) notes = g_string_new (NULL);
  g_autoptr(GError) local = NULL;
  JsonObject *report = json_object_new ();
  QuiesceSnapshotOutcome outcome;
  guint released;

  json_object_set_string_member (report, "run", run_id);
  json_object_set_string_member (report, "domain", member_string (journal, "domain"));
  json_object_set_string_member (report, "step", step >= 0 ? step_names[step] : "none");
  if (member_int (journal, "handle", 0) > 0)
    json_object_set_int_member (report, "handle", member_int (journal, "handle", 0));
  else
    json_object_set_null_member (report, "handle");

  /* the handles this run holds, found by owner */
  released = release_by_owner (client, run_id, notes, &local);
  if (released == G_MAXUINT)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                  "Cannot recover run '%s': ", run_id);
      json_object_unref (report);
      return NULL;
    }
  if (released == 0 && notes->len == 0)
    g_string_append (notes, "no handle held; ");
  json_object_set_int_member (report, "released-handles", released);

  /* leases die with their holder: the kernel drops OFD locks when the
   * process exits, sanlock frees what a dead pid held */
  if (plugin == NULL || g_strcmp0 (plugin, "nop") == 0)
    g_string_append (notes, "no leases (nop); ");
  else if (member_bool (lease, "held"))
    g_string_append_printf (notes,
                            "%s leases released by the kernel when pid %" G_GINT64_FORMAT
                            " died; ",
                            plugin, pid);
  else if (step >= QUIESCE_SNAPSHOT_STEP_RELEASE)
    g_string_append_printf (notes, "%s leases were released by the run; ", plugin);
  else
    g_string_append_printf (notes, "%s leases were never taken; ", plugin);

  /* what happened to the snapshot */
  if (g_strcmp0 (member_string (journal, "outcome"), "suspect") == 0 ||
      member_string (journal, "suspect-reason") != NULL)
    {
      outcome = QUIESCE_SNAPSHOT_OUTCOME_SUSPECT;
      g_string_append_printf (notes, "suspect: %s; ",
                              member_string (journal, "suspect-reason") != NULL
                                  ? member_string (journal, "suspect-reason")
                                  : member_string (journal, "error"));
    }
  else if (g_strcmp0 (action_state, "succeeded") == 0)
    {
      /* the action ended while the handle was verified alive */
      outcome = QUIESCE_SNAPSHOT_OUTCOME_COMPLETED;
    }
  else
    {
      outcome = QUIESCE_SNAPSHOT_OUTCOME_ROLLED_BACK;
      if (g_strcmp0 (action_state, "running") == 0)
        g_string_append (notes, "the action was interrupted by the crash; ");
      else if (action_state != NULL && g_strcmp0 (action_state, "not run") != 0)
        g_string_append_printf (notes, "the action %s; ", action_state);
      else
        g_string_append (notes, "no action ran; ");
    }

  if (notes->len >= 2)
    g_string_truncate (notes, notes->len - 2);
  json_object_set_string_member (report, "outcome", quiesce_snapshot_outcome_to_string (outcome));
  json_object_set_string_member (report, "notes", notes->str);

  {
    JsonObject *rec = json_object_new ();

    json_object_set_int_member (rec, "time", g_get_real_time () / G_USEC_PER_SEC);
    json_object_set_int_member (rec, "pid", getpid ());
    json_object_set_string_member (rec, "notes", notes->str);
    json_object_set_object_member (journal, "recovery", rec);
  }
  json_object_set_string_member (journal, "outcome", quiesce_snapshot_outcome_to_string (outcome));
  json_object_set_boolean_member (journal, "finished", TRUE);
  if (!qh_journal_write (state_dir, run_id, journal, error))
    {
      json_object_unref (report);
      return NULL;
    }
  return report;
}

/**
 * quiesce_snapshot_recover:
 * @client: the connection to the agent of the runs
 * @state_dir: the journals' directory
 * @domain: (nullable): only the runs of this domain
 * @cancellable: (nullable): a #GCancellable (checked between runs)
 * @error: return location for a #GError
 *
 * Finishes the unfinished runs of @state_dir whose process is gone: it
 * releases the handles whose owner is the run id (an expired or unknown
 * one is noted), notes what became of the run's leases, and marks each
 * journal finished.  A run whose process still lives is reported as
 * `running` and left alone.
 *
 * Each report is an object `{run, domain, step, handle, released-handles,
 * outcome, notes}` where `outcome` is `completed` (the action had
 * finished under the freeze), `rolled back` (no action happened, or it
 * failed or was cut short: nothing is held any more), `suspect` (the
 * handle expired or was lost during the action) or `running`.
 *
 * Returns: (transfer full): the reports, one per unfinished run, or %NULL
 *   on error (the runs reported before it are finished already)
 *
 * Since: 0.1
 */
JsonArray *
quiesce_snapshot_recover (QuiesceClient *client, const char *state_dir, const char *domain,
                          GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) journals = NULL;
  g_autoptr(JsonArray) reports = json_array_new ();

  g_return_val_if_fail (QUIESCE_IS_CLIENT (client), NULL);
  g_return_val_if_fail (state_dir != NULL, NULL);

  journals = qh_journal_load_all (state_dir, error);
  if (journals == NULL)
    return NULL;
  for (guint i = 0; i < journals->len; i++)
    {
      JsonObject *journal = g_ptr_array_index (journals, i);
      gint64 pid = member_int (journal, "pid", 0);
      guint64 start = (guint64) member_int (journal, "pid-start", 0);
      JsonObject *report;

      if (member_bool (journal, "finished") || member_string (journal, "run") == NULL)
        continue;
      if (domain != NULL && g_strcmp0 (member_string (journal, "domain"), domain) != 0)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      /* a live run is not ours to undo (same pid and start time: the
       * same process, not a reused pid) */
      if (pid > 0 && start != 0 && qh_process_start_time (pid) == start && pid != getpid ())
        {
          report = json_object_new ();
          json_object_set_string_member (report, "run", member_string (journal, "run"));
          json_object_set_string_member (report, "domain", member_string (journal, "domain"));
          json_object_set_string_member (report, "outcome", "running");
          json_object_set_string_member (report, "notes",
                                         "its process is still running; left alone");
          json_array_add_object_element (reports, report);
          continue;
        }
      report = recover_one (client, state_dir, journal, error);
      if (report == NULL)
        return NULL;
      json_array_add_object_element (reports, report);
    }
  return g_steal_pointer (&reports);
}
