/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-hooks: programs that run around freezes, so applications can flush
 * (a database CHECKPOINT, a read lock held through the freeze).
 *
 * Executables in --hook-dir run sorted with "freeze" before an acquire
 * freezes anything new, and in reverse order with "thaw" after a release
 * thaws anything; qemu-ga's single --fsfreeze-hook script runs first (and
 * last).  Files not owned by root, or writable by group or other, are
 * refused and logged.  Each hook gets QUIESCE_HANDLE, QUIESCE_OWNER and
 * QUIESCE_MOUNTPOINTS (newline-separated), runs in its own process group,
 * and is killed with that group after --hook-timeout.  A failing freeze
 * hook fails the acquire, and the hooks that already ran "freeze" get
 * "thaw".  Hooks run in the freeze worker, never on the main loop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _QaHooks QaHooks;

typedef struct
{
  guint64 handle;
  const char *owner;       /* may be NULL */
  GPtrArray *mountpoints;  /* char*: the filesystems frozen or thawed */
} QaHookEnv;

/* hook_dir and single may be NULL; timeout_s 0 means 30 */
QaHooks *qa_hooks_new (const char *hook_dir, const char *single, guint timeout_s);
void qa_hooks_free (QaHooks *hooks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaHooks, qa_hooks_free)

/* the hooks that would run now, in freeze order (char*, full paths);
 * refused files are logged and left out */
GPtrArray *qa_hooks_list (QaHooks *hooks);

/* "freeze": stops at the first failure, runs "thaw" for the hooks that
 * had run "freeze", and fails naming the hook and its status.
 * "thaw": runs every hook in reverse order; fails (after running them
 * all) if any failed.  Thread-safe. */
gboolean qa_hooks_run_freeze (QaHooks *hooks, const QaHookEnv *env, GError **error);
gboolean qa_hooks_run_thaw (QaHooks *hooks, const QaHookEnv *env, GError **error);

G_END_DECLS
