/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceFilesystem: one filesystem (superblock), from an FsRef of
 * acquire/release/resolve or from an entry of guest-get-fsinfo. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define QUIESCE_TYPE_FILESYSTEM (quiesce_filesystem_get_type ())

typedef struct _QuiesceFilesystem QuiesceFilesystem;

GType quiesce_filesystem_get_type (void) G_GNUC_CONST;

QuiesceFilesystem *quiesce_filesystem_new_from_json (JsonObject *object, GError **error);
QuiesceFilesystem *quiesce_filesystem_ref (QuiesceFilesystem *self);
void quiesce_filesystem_unref (QuiesceFilesystem *self);

const char *quiesce_filesystem_get_mountpoint (const QuiesceFilesystem *self);
const char *quiesce_filesystem_get_name (const QuiesceFilesystem *self);
const char *quiesce_filesystem_get_fs_type (const QuiesceFilesystem *self);
gint quiesce_filesystem_get_refs (const QuiesceFilesystem *self);
GPtrArray *quiesce_filesystem_get_disks (const QuiesceFilesystem *self);
const char *const *quiesce_filesystem_get_spans (const QuiesceFilesystem *self);
gint64 quiesce_filesystem_get_used_bytes (const QuiesceFilesystem *self);
gint64 quiesce_filesystem_get_total_bytes (const QuiesceFilesystem *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuiesceFilesystem, quiesce_filesystem_unref)

#ifdef QUIESCE_COMPILATION
/* internal, not exported: an array of FsRef or fsinfo objects */
GPtrArray *qh_filesystems_from_json (JsonArray *array, GError **error);
#endif

G_END_DECLS
