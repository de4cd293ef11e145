/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceLeaseManager: disk-image leases, so that two tools (or two hosts)
 * never snapshot or hand over the same image at once.
 *
 * Plugins, chosen by name, as libvirt's lock managers:
 *   "nop"     no leases at all;
 *   "lockd"   OFD fcntl locks (F_OFD_SETLK) on byte 0 of a lease file in a
 *             lockspace directory (which may be on NFS), named by the
 *             SHA-256 of the canonical image path; or, with
 *             quiesce_lease_manager_set_direct(), on the image file itself.
 *             Holder info (host, pid, owner, time) is written into the
 *             lease file for diagnostics.  The locks die with the process
 *             that holds them;
 *   "sanlock" resources in a sanlock lockspace (when built with sanlock).
 *
 * Acquiring several images is all or nothing, in sorted order (so two
 * tools cannot deadlock); release goes in reverse order.  A lease held by
 * someone else is QUIESCE_LEASE_ERROR_HELD with a message that names the
 * holder: "held by HOST pid N owner X since TIME". */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define QUIESCE_LEASE_ERROR (quiesce_lease_error_quark ())
GQuark quiesce_lease_error_quark (void);

typedef enum
{
  QUIESCE_LEASE_ERROR_FAILED,      /* I/O or configuration trouble */
  QUIESCE_LEASE_ERROR_HELD,        /* someone else holds it (CLI exit code 7) */
  QUIESCE_LEASE_ERROR_UNSUPPORTED, /* unknown plugin, or not built in */
} QuiesceLeaseError;

typedef enum
{
  QUIESCE_LEASE_SHARED,
  QUIESCE_LEASE_EXCLUSIVE,
} QuiesceLeaseMode;

#define QUIESCE_TYPE_LEASE_MANAGER (quiesce_lease_manager_get_type ())
G_DECLARE_FINAL_TYPE (QuiesceLeaseManager, quiesce_lease_manager, QUIESCE, LEASE_MANAGER, GObject)

/* a set of leases acquired together; releasing it (or freeing it) lets
 * them go in reverse order */
typedef struct _QuiesceLeaseSet QuiesceLeaseSet;
GType quiesce_lease_set_get_type (void);
#define QUIESCE_TYPE_LEASE_SET (quiesce_lease_set_get_type ())

/* one lease as seen in a lockspace (quiesce lease-list) */
typedef struct _QuiesceLeaseInfo QuiesceLeaseInfo;
GType quiesce_lease_info_get_type (void);
#define QUIESCE_TYPE_LEASE_INFO (quiesce_lease_info_get_type ())

/* plugin: "nop", "lockd" or "sanlock"; lockspace: a directory for lockd,
 * a lockspace name or path for sanlock, NULL for nop */
QuiesceLeaseManager *quiesce_lease_manager_new (const char *plugin, const char *lockspace,
                                                GError **error);
const char *quiesce_lease_manager_get_plugin (QuiesceLeaseManager *self);
/* the owner tag written as holder info (e.g. a snapshot run id) */
void quiesce_lease_manager_set_owner (QuiesceLeaseManager *self, const char *owner);
/* lockd: lock the image files themselves instead of lease files */
void quiesce_lease_manager_set_direct (QuiesceLeaseManager *self, gboolean direct);
/* the lockspace as an absolute path, NULL for nop or none */
const char *quiesce_lease_manager_get_lockspace (QuiesceLeaseManager *self);
/* lockd: the file whose byte 0 is locked for IMAGE (the lease file, or
 * the canonical image in direct mode) */
char *quiesce_lease_manager_get_lease_path (QuiesceLeaseManager *self, const char *image,
                                            GError **error);

/* all or nothing, in sorted order of canonical paths; wait_s 0 fails at
 * once with QUIESCE_LEASE_ERROR_HELD, more waits up to that long */
QuiesceLeaseSet *quiesce_lease_manager_acquire (QuiesceLeaseManager *self,
                                                const char *const *images,
                                                QuiesceLeaseMode mode, guint wait_s,
                                                GCancellable *cancellable, GError **error);
gboolean quiesce_lease_set_release (QuiesceLeaseSet *set, GError **error);
QuiesceLeaseSet *quiesce_lease_set_ref (QuiesceLeaseSet *set);
void quiesce_lease_set_unref (QuiesceLeaseSet *set);
/* the canonical image paths, sorted (transfer none) */
const char *const *quiesce_lease_set_get_images (QuiesceLeaseSet *set);

/* the leases of a lockspace, held or not (lockd: every lease file) */
GPtrArray *quiesce_lease_manager_list (QuiesceLeaseManager *self, GError **error);

QuiesceLeaseInfo *quiesce_lease_info_ref (QuiesceLeaseInfo *info);
void quiesce_lease_info_unref (QuiesceLeaseInfo *info);
const char *quiesce_lease_info_get_image (QuiesceLeaseInfo *info);
/* "exclusive", "shared" or "free" */
const char *quiesce_lease_info_get_mode (QuiesceLeaseInfo *info);
const char *quiesce_lease_info_get_host (QuiesceLeaseInfo *info);
gint64 quiesce_lease_info_get_pid (QuiesceLeaseInfo *info);
const char *quiesce_lease_info_get_owner (QuiesceLeaseInfo *info);
/* unix seconds when the holder took it, 0 if unknown */
gint64 quiesce_lease_info_get_since (QuiesceLeaseInfo *info);
/* the lease file */
const char *quiesce_lease_info_get_path (QuiesceLeaseInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuiesceLeaseSet, quiesce_lease_set_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuiesceLeaseInfo, quiesce_lease_info_unref)

G_END_DECLS
