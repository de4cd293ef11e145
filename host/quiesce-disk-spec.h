/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-disk-spec: the explicit disk identity of the CLI,
 * KEY:VALUE[,KEY:VALUE...] with keys serial, wwn, dev and pci
 * (DDDD:BB:SS.F), turned into a DiskSpec object for the agent. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonObject *quiesce_disk_spec_parse (const char *text, GError **error);

G_END_DECLS
