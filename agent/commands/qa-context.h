/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-context: what command handlers may use.  The daemon owns it. */
#pragma once

#include "qa-freeze-table.h"
#include "qa-resolver.h"
#include "qa-sysroot.h"

G_BEGIN_DECLS

typedef struct
{
  QaSysroot *sysroot;
  QaPolicy *policy;
  QaFreezeTable *table;
  gint64 default_timeout; /* --default-timeout, seconds */
  guint max_entries;      /* array arguments: disks, mountpoints */
  const char *version;
} QaContext;

G_END_DECLS
