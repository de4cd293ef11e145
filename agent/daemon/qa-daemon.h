/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-daemon: the agent's life cycle.
 *
 * It builds the pieces from the configuration (sysroot, policy, journal,
 * freeze table, transports), restores the journal, serves until SIGTERM or
 * SIGINT, then thaws everything it holds and exits. */
#pragma once

#include "qa-config.h"
#include "qa-fsfreeze.h"

G_BEGIN_DECLS

typedef struct _QaDaemon QaDaemon;

QaDaemon *qa_daemon_new (const QaConfig *config, const QaFreezeOps *ops, GError **error);
void qa_daemon_free (QaDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaDaemon, qa_daemon_free)

/* serve until asked to stop; returns the exit status */
int qa_daemon_run (QaDaemon *daemon);

G_END_DECLS
