/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceDisk: one guest disk, as qemu-ga's GuestDiskAddress plus `wwn`
 * and `name`.  The same type is the DiskSpec of acquire and resolve: a
 * spec carries only the fields that are set. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define QUIESCE_TYPE_DISK (quiesce_disk_get_type ())

typedef struct _QuiesceDisk QuiesceDisk;

GType quiesce_disk_get_type (void) G_GNUC_CONST;

QuiesceDisk *quiesce_disk_new (void);
QuiesceDisk *quiesce_disk_new_from_json (JsonObject *object, GError **error);
QuiesceDisk *quiesce_disk_new_from_spec (JsonObject *spec, GError **error);
QuiesceDisk *quiesce_disk_ref (QuiesceDisk *self);
void quiesce_disk_unref (QuiesceDisk *self);
JsonObject *quiesce_disk_to_json (const QuiesceDisk *self);

const char *quiesce_disk_get_dev (const QuiesceDisk *self);
const char *quiesce_disk_get_serial (const QuiesceDisk *self);
const char *quiesce_disk_get_wwn (const QuiesceDisk *self);
const char *quiesce_disk_get_bus_type (const QuiesceDisk *self);
const char *quiesce_disk_get_name (const QuiesceDisk *self);
gint quiesce_disk_get_bus (const QuiesceDisk *self);
gint quiesce_disk_get_target (const QuiesceDisk *self);
gint quiesce_disk_get_unit (const QuiesceDisk *self);
gboolean quiesce_disk_get_pci_controller (const QuiesceDisk *self,
                                          gint *domain,
                                          gint *bus,
                                          gint *slot,
                                          gint *function);

void quiesce_disk_set_dev (QuiesceDisk *self, const char *dev);
void quiesce_disk_set_serial (QuiesceDisk *self, const char *serial);
void quiesce_disk_set_wwn (QuiesceDisk *self, const char *wwn);
void quiesce_disk_set_bus_type (QuiesceDisk *self, const char *bus_type);
void quiesce_disk_set_name (QuiesceDisk *self, const char *name);
void quiesce_disk_set_bus (QuiesceDisk *self, gint bus);
void quiesce_disk_set_target (QuiesceDisk *self, gint target);
void quiesce_disk_set_unit (QuiesceDisk *self, gint unit);
void quiesce_disk_set_pci_controller (QuiesceDisk *self,
                                      gint domain,
                                      gint bus,
                                      gint slot,
                                      gint function);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QuiesceDisk, quiesce_disk_unref)

G_END_DECLS
