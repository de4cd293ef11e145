/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceSnapshot: one snapshot run (resolve disks → exclusive leases on
 * their images → freeze by handle → keep renewing → the action → thaw by
 * handle → release the leases), every step journaled on the host so that
 * quiesce_snapshot_recover() can finish or undo a run whose process died. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "quiesce-client.h"
#include "quiesce-domain.h"
#include "quiesce-lease.h"

G_BEGIN_DECLS

/**
 * QuiesceSnapshotError:
 * @QUIESCE_SNAPSHOT_ERROR_FAILED: the run could not be set up or a step
 *   failed before the action; nothing is held any more
 * @QUIESCE_SNAPSHOT_ERROR_SUSPECT: the handle expired or was lost during
 *   the action (or could not be released afterwards): the snapshot may
 *   be inconsistent (CLI exit code 6)
 * @QUIESCE_SNAPSHOT_ERROR_ACTION_FAILED: the action failed or was
 *   interrupted; the filesystems were thawed (CLI exit code 11)
 * @QUIESCE_SNAPSHOT_ERROR_JOURNAL: the journal could not be written
 *
 * Errors of a snapshot run.  Errors of the agent, the connection and the
 * lease manager keep their own domains.
 *
 * Since: 0.1
 */
typedef enum
{
  QUIESCE_SNAPSHOT_ERROR_FAILED,
  QUIESCE_SNAPSHOT_ERROR_SUSPECT,
  QUIESCE_SNAPSHOT_ERROR_ACTION_FAILED,
  QUIESCE_SNAPSHOT_ERROR_JOURNAL,
} QuiesceSnapshotError;

#define QUIESCE_SNAPSHOT_ERROR (quiesce_snapshot_error_quark ())
GQuark quiesce_snapshot_error_quark (void);

/**
 * QuiesceSnapshotStep:
 * @QUIESCE_SNAPSHOT_STEP_RESOLVE: the disks and their images were resolved
 * @QUIESCE_SNAPSHOT_STEP_LEASES: the exclusive leases were taken
 * @QUIESCE_SNAPSHOT_STEP_FREEZE: the filesystems were frozen under a
 *   handle, which the keep-alive renews from now on
 * @QUIESCE_SNAPSHOT_STEP_ACTION: the action returned (with success or not)
 * @QUIESCE_SNAPSHOT_STEP_THAW: the handle was released
 * @QUIESCE_SNAPSHOT_STEP_RELEASE: the leases were released
 *
 * The steps of a run, in order, as #QuiesceSnapshot::step reports them
 * once each is done and journaled.
 *
 * Since: 0.1
 */
typedef enum
{
  QUIESCE_SNAPSHOT_STEP_RESOLVE,
  QUIESCE_SNAPSHOT_STEP_LEASES,
  QUIESCE_SNAPSHOT_STEP_FREEZE,
  QUIESCE_SNAPSHOT_STEP_ACTION,
  QUIESCE_SNAPSHOT_STEP_THAW,
  QUIESCE_SNAPSHOT_STEP_RELEASE,
} QuiesceSnapshotStep;

/**
 * QuiesceSnapshotOutcome:
 * @QUIESCE_SNAPSHOT_OUTCOME_NONE: the run has not finished
 * @QUIESCE_SNAPSHOT_OUTCOME_COMPLETED: the action finished while the
 *   filesystems were frozen, and everything was released
 * @QUIESCE_SNAPSHOT_OUTCOME_ROLLED_BACK: no action happened, or it failed
 *   or was interrupted; nothing is held any more
 * @QUIESCE_SNAPSHOT_OUTCOME_SUSPECT: the handle expired or was lost during
 *   the action: what it made may be inconsistent
 *
 * How a run ended ("completed", "rolled back", "suspect" in journals and
 * JSON).
 *
 * Since: 0.1
 */
typedef enum
{
  QUIESCE_SNAPSHOT_OUTCOME_NONE,
  QUIESCE_SNAPSHOT_OUTCOME_COMPLETED,
  QUIESCE_SNAPSHOT_OUTCOME_ROLLED_BACK,
  QUIESCE_SNAPSHOT_OUTCOME_SUSPECT,
} QuiesceSnapshotOutcome;

#define QUIESCE_TYPE_SNAPSHOT (quiesce_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (QuiesceSnapshot, quiesce_snapshot, QUIESCE, SNAPSHOT, GObject)

/**
 * QuiesceSnapshotActionFunc:
 * @snapshot: the run; its disks, images, mountpoints and handle are set
 * @cancellable: (nullable): cancelled when the run is interrupted; a long
 *   action should watch it and stop
 * @user_data: the data given with the function
 * @error: return location for why the action failed
 *
 * The snapshot action, called while the filesystems are frozen and the
 * handle is being renewed on another thread.
 *
 * Returns: %TRUE if the action succeeded
 *
 * Since: 0.1
 */
typedef gboolean (*QuiesceSnapshotActionFunc) (QuiesceSnapshot *snapshot,
                                               GCancellable *cancellable,
                                               gpointer user_data,
                                               GError **error);

/**
 * QuiesceSnapshotReconnectFunc:
 * @user_data: the data given with the function
 * @error: return location for why no connection could be made
 *
 * Makes a new client for the same agent, used when the connection broke
 * (the agent restarted) and the handle must still be released.
 *
 * Returns: (transfer full) (nullable): a new client, or %NULL
 *
 * Since: 0.1
 */
typedef QuiesceClient *(*QuiesceSnapshotReconnectFunc) (gpointer user_data, GError **error);

const char *quiesce_snapshot_step_to_string (QuiesceSnapshotStep step);
const char *quiesce_snapshot_outcome_to_string (QuiesceSnapshotOutcome outcome);

QuiesceSnapshot *quiesce_snapshot_new (QuiesceClient *client, const char *domain,
                                       const char *state_dir);
void quiesce_snapshot_set_domain_xml (QuiesceSnapshot *self, QuiesceDomain *domain);
gboolean quiesce_snapshot_add_disk (QuiesceSnapshot *self, const char *disk, const char *image,
                                    GError **error);
void quiesce_snapshot_set_lease_manager (QuiesceSnapshot *self, QuiesceLeaseManager *manager);
void quiesce_snapshot_set_lease_wait (QuiesceSnapshot *self, guint wait_s);
void quiesce_snapshot_set_timeout (QuiesceSnapshot *self, guint timeout_s);
void quiesce_snapshot_set_action (QuiesceSnapshot *self, QuiesceSnapshotActionFunc func,
                                  gpointer user_data, GDestroyNotify destroy);
void quiesce_snapshot_set_reconnect_func (QuiesceSnapshot *self,
                                          QuiesceSnapshotReconnectFunc func,
                                          gpointer user_data, GDestroyNotify destroy);

gboolean quiesce_snapshot_run (QuiesceSnapshot *self, GCancellable *cancellable,
                               GError **error);

const char *quiesce_snapshot_get_run_id (QuiesceSnapshot *self);
const char *quiesce_snapshot_get_domain (QuiesceSnapshot *self);
const char *quiesce_snapshot_get_journal_path (QuiesceSnapshot *self);
gint64 quiesce_snapshot_get_handle (QuiesceSnapshot *self);
const char *const *quiesce_snapshot_get_disks (QuiesceSnapshot *self);
const char *const *quiesce_snapshot_get_images (QuiesceSnapshot *self);
const char *const *quiesce_snapshot_get_mountpoints (QuiesceSnapshot *self);
QuiesceSnapshotOutcome quiesce_snapshot_get_outcome (QuiesceSnapshot *self);
gint64 quiesce_snapshot_get_step_ms (QuiesceSnapshot *self, QuiesceSnapshotStep step);
JsonObject *quiesce_snapshot_to_json (QuiesceSnapshot *self);

JsonArray *quiesce_snapshot_recover (QuiesceClient *client, const char *state_dir,
                                     const char *domain, GCancellable *cancellable,
                                     GError **error);

G_END_DECLS
