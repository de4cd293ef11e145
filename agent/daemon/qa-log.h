/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-log: where the agent's messages go.
 *
 * stderr (or syslog with --syslog), filtered by -v.  If stderr is a file on
 * a filesystem the agent freezes, messages are held in memory while it is
 * frozen and written after the thaw: the agent never writes to a
 * filesystem it has frozen. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void qa_log_init (gint verbose, gboolean use_syslog);
/* the mount id holding stderr when it is a regular file, else 0 */
guint64 qa_log_stderr_mount_id (void);
void qa_log_hold (gboolean hold);

G_END_DECLS
