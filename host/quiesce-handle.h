/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceHandle: one entry of guest-fsfreeze-handles. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define QUIESCE_TYPE_HANDLE (quiesce_handle_get_type ())

typedef struct _QuiesceHandle QuiesceHandle;

GType quiesce_handle_get_type (void) G_GNUC_CONST;

QuiesceHandle *quiesce_handle_new_from_json (JsonObject *object, GError **error);
QuiesceHandle *quiesce_handle_ref (QuiesceHandle *self);
void quiesce_handle_unref (QuiesceHandle *self);

gint64 quiesce_handle_get_id (const QuiesceHandle *self);
const char *quiesce_handle_get_owner (const QuiesceHandle *self);
gboolean quiesce_handle_get_legacy (const QuiesceHandle *self);
gint64 quiesce_handle_get_created (const QuiesceHandle *self);
gint64 quiesce_handle_get_expires_in (const QuiesceHandle *self);
const char *const *quiesce_handle_get_mountpoints (const QuiesceHandle *self);
const char *const *quiesce_handle_get_lost (const QuiesceHandle *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuiesceHandle, quiesce_handle_unref)

G_END_DECLS
