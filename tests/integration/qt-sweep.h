/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qt-sweep: the cleanup paths of the integration tests (async-signal-safe:
 * system calls on static or stack buffers only). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* FITHAW on every mount below DIR (EINVAL, not frozen, is ignored) */
void qt_thaw_below (const char *dir);

/* Thaws everything below DIR, kills the children of this process (the
 * agent, writers, orphans) while it keeps thawing, then unmounts, detaches
 * the loop devices backed below DIR and removes its contents (and DIR
 * itself if REMOVE_SELF).  Never crosses into a mount it could not
 * unmount. */
void qt_sweep (const char *dir, gboolean remove_self);

/* The safe minimum for a test process that is going away: thaw below DIR,
 * kill the children, thaw again while they go.  The runner sweeps the rest. */
void qt_sweep_emergency (const char *dir);

void qt_sleep_ms (long ms);

G_END_DECLS
