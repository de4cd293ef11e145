/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceFreeze: the result of guest-fsfreeze-acquire or -release. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define QUIESCE_TYPE_FREEZE (quiesce_freeze_get_type ())

typedef struct _QuiesceFreeze QuiesceFreeze;

GType quiesce_freeze_get_type (void) G_GNUC_CONST;

QuiesceFreeze *quiesce_freeze_new_from_acquire_json (JsonObject *object, GError **error);
QuiesceFreeze *quiesce_freeze_new_from_release_json (JsonObject *object,
                                                     gint64 handle,
                                                     GError **error);
QuiesceFreeze *quiesce_freeze_ref (QuiesceFreeze *self);
void quiesce_freeze_unref (QuiesceFreeze *self);

gint64 quiesce_freeze_get_handle (const QuiesceFreeze *self);
gboolean quiesce_freeze_is_release (const QuiesceFreeze *self);
gint quiesce_freeze_get_frozen (const QuiesceFreeze *self);
gint quiesce_freeze_get_thawed (const QuiesceFreeze *self);
GPtrArray *quiesce_freeze_get_filesystems (const QuiesceFreeze *self);
gint64 quiesce_freeze_get_expires_in (const QuiesceFreeze *self);
const char *const *quiesce_freeze_get_skipped (const QuiesceFreeze *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuiesceFreeze, quiesce_freeze_unref)

G_END_DECLS
