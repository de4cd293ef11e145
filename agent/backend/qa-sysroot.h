/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-sysroot: every path the agent reads from the running system.
 *
 * /proc/self/mountinfo, /sys, /dev and the mountpoints themselves are all
 * reached through a root prefix, so tests hand the agent a recorded tree
 * (as util-linux does with lsblk --sysroot).  This file and qa-fsfreeze.c
 * are the only places that touch the OS below the agent. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct _QaSysroot QaSysroot;

QaSysroot *qa_sysroot_new (const char *prefix);
void qa_sysroot_free (QaSysroot *sysroot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaSysroot, qa_sysroot_free)

/* "/" for the live system */
const char *qa_sysroot_prefix (const QaSysroot *sysroot);
gboolean qa_sysroot_is_live (const QaSysroot *sysroot);

/* prefix + path; path is absolute inside the sysroot */
char *qa_sysroot_path (const QaSysroot *sysroot, const char *path);

/* whole file contents (NUL-terminated) */
gboolean qa_sysroot_read (const QaSysroot *sysroot, const char *path, char **contents, gsize *len,
                          GError **error);

/* first line of a small attribute file, stripped; NULL if missing */
char *qa_sysroot_read_attr (const QaSysroot *sysroot, const char *path);

/* target of a symlink, resolved to an absolute path inside the sysroot
 * (as realpath would, but relative to the prefix); NULL if missing */
char *qa_sysroot_resolve_link (const QaSysroot *sysroot, const char *path);

gboolean qa_sysroot_exists (const QaSysroot *sysroot, const char *path);

/* names in a directory, sorted; empty array if missing */
GPtrArray *qa_sysroot_list_dir (const QaSysroot *sysroot, const char *path);

/* the mount id (mountinfo field 1) holding path on the live system, or 0
 * when it cannot be found (non-live sysroots, old kernels) */
guint64 qa_sysroot_mount_id_of_path (const QaSysroot *sysroot, const char *path);
guint64 qa_sysroot_mount_id_of_fd (int fd);

/* statvfs(2) of a mountpoint, as qemu-ga reports it: used = (blocks -
 * free) x fragment size, total = (used + available to non-root) x
 * fragment size, privileged total = blocks x fragment size.  It does not
 * block on a frozen filesystem. */
gboolean qa_sysroot_statvfs (const QaSysroot *sysroot, const char *mountpoint, guint64 *used,
                             guint64 *total, guint64 *total_privileged);

/* the boot id, so that a journal from an earlier boot is recognised */
char *qa_sysroot_boot_id (const QaSysroot *sysroot);

G_END_DECLS
