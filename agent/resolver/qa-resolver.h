/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-resolver: from the mount table to freezable filesystems and the disks
 * beneath them.
 *
 * A scan reads mountinfo and sysfs through the sysroot and produces a
 * QaFsView: one QaFs per superblock (bind mounts and btrfs subvolumes count
 * once), in mount order, each with its disks, whether the policy lets it be
 * frozen (and why not), and its rank in freeze order: children before
 * parents, and a filesystem on a loop device before the filesystem that
 * holds the loop's backing file. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "qa-sysroot.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;     /* kernel name, e.g. "vda", "loop3" */
  char *dev;      /* device node, e.g. "/dev/vda" */
  char *part_dev; /* the partition node a filesystem reaches it through,
                   * e.g. "/dev/vda1"; reported as "dev", as qemu-ga does */
  char *bus_type; /* GuestDiskBusType, e.g. "virtio", "file-backed-virtual" */
  gint64 pci_domain, pci_bus, pci_slot, pci_function; /* -1 when unknown */
  gint64 bus, target, unit;                           /* -1 when unknown */
  char *serial; /* NULL when unknown */
  char *wwn;    /* NULL when unknown */
} QaDisk;

void qa_disk_free (QaDisk *disk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaDisk, qa_disk_free)

/* GuestDiskAddress */
JsonNode *qa_disk_to_json (const QaDisk *disk);

/* the disk NAME (a /sys/block entry) with its address filled in */
QaDisk *qa_disk_new (const QaSysroot *sysroot, const char *name);


typedef struct
{
  gint ref_count;
  guint index;           /* position in the view (mount order of the first mount) */
  guint major, minor;    /* superblock id, mountinfo field 3 */
  char *mountpoint;      /* first mount of this superblock, mount order */
  GPtrArray *mountpoints; /* every mount of it (char*), mount order */
  char *fstype;
  char *source;
  char *name;    /* block device name ("loop3", "dm-0"), or the source */
  char *why_not; /* NULL when freezable, else the reason */
  GPtrArray *disks; /* QaDisk*, the disks beneath */
  GArray *backing;  /* guint: view indices of the fs holding our loop backing files */
  GPtrArray *backing_keys; /* char*: their superblock keys, "MAJ:MIN" */
  guint rank;       /* freeze order: lower freezes first */
  guint level;      /* dependency level: all of level n freeze before level n+1 */
} QaFs;

QaFs *qa_fs_ref (QaFs *fs);
void qa_fs_unref (QaFs *fs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaFs, qa_fs_unref)

/* the filesystems that live on the network or have no block device:
 * neither frozen nor listed by guest-get-fsinfo */
gboolean qa_fs_is_blockless (const QaFs *fs);

/* a stable key for the superblock, "MAJ:MIN" */
char *qa_fs_key (const QaFs *fs);

typedef struct
{
  char *only_under;   /* freeze only mounts strictly below this; NULL: anywhere */
  GPtrArray *exclude; /* char*: mountpoints (starting with '/') or fs types */
  GPtrArray *protect; /* QaProtect*: filesystems never frozen, with the reason */
} QaPolicy;

typedef struct
{
  char *path;   /* e.g. the state directory */
  char *reason; /* e.g. "it holds the agent's state directory" */
  guint64 mount_id; /* statx mount id on the live system, 0 if unknown */
} QaProtect;

QaPolicy *qa_policy_new (void);
void qa_policy_free (QaPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaPolicy, qa_policy_free)
void qa_policy_protect (QaPolicy *policy, const QaSysroot *sysroot, const char *path,
                        guint64 mount_id, const char *reason);

typedef struct
{
  GPtrArray *fs;       /* QaFs*, mount order */
  GPtrArray *mounts;   /* QaMount*, mount order */
  GPtrArray *mount_fs; /* QaFs* of each mount (borrowed), parallel to mounts */
} QaFsView;

void qa_fs_view_free (QaFsView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaFsView, qa_fs_view_free)

QaFsView *qa_resolver_scan (const QaSysroot *sysroot, const QaPolicy *policy, GError **error);

/* the filesystem mounted exactly at path (the topmost mount there);
 * DeviceNotFound with the reason when it is not a freezable mountpoint */
QaFs *qa_fs_view_lookup (const QaFsView *view, const char *path, GError **error);

/* every freezable filesystem, mount order */
GPtrArray *qa_fs_view_freezable (const QaFsView *view);

/* sort a QaFs* array into freeze order (thaw order is the reverse) */
void qa_fs_sort_freeze_order (GPtrArray *fs);

/* a DiskSpec as sent by the host: any of the GuestDiskAddress fields plus
 * wwn and name (a label, never matched) */
typedef struct
{
  char *name;
  char *dev;
  char *serial;
  char *wwn;
  char *bus_type;
  gboolean has_pci;
  gint64 pci_domain, pci_bus, pci_slot, pci_function;
  gboolean has_bus, has_target, has_unit;
  gint64 bus, target, unit;
} QaDiskSpec;

void qa_disk_spec_free (QaDiskSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaDiskSpec, qa_disk_spec_free)
QaDiskSpec *qa_disk_spec_from_json (JsonObject *obj);
/* "serial 'X'", "dev '/dev/vdb'": how errors name a spec */
char *qa_disk_spec_describe (const QaDiskSpec *spec);

/* the disk a spec names: exactly one disk among those beneath mounted
 * filesystems; DeviceNotFound for none, GenericError when ambiguous or
 * when the spec carries no identity field */
const QaDisk *qa_fs_view_match_disk (const QaFsView *view, const QaDiskSpec *spec,
                                     GError **error);

G_END_DECLS
