/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* what the lease manager (quiesce-lease.c) and its lockd plugin
 * (quiesce-lease-lockd.c) share; not installed */
#pragma once

#include <gio/gio.h>

#include "quiesce-lease.h"

G_BEGIN_DECLS

/* the holder info a lockd lease file carries after byte 0 */
typedef struct
{
  char *image;
  char *mode; /* "exclusive" or "shared", as the holder wrote it */
  char *host;
  gint64 pid;
  char *owner;
  gint64 since;
  char *token; /* tells holders apart, even two in one process */
} QlHolder;

void ql_holder_free (QlHolder *holder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QlHolder, ql_holder_free)

/* "Image 'X' is held by HOST pid N owner O since TIME" */
char *ql_holder_describe (const char *image, const QlHolder *holder);

/* realpath when the image exists, else the normalized absolute path */
char *ql_canonical_path (const char *image, GError **error);
/* LOCKSPACE/<sha256 hex of the canonical path> */
char *ql_lockd_lease_path (const char *lockspace, const char *canonical);

/* one lease: open and lock @path (a lease file, created if missing, or
 * in direct mode the image itself), polling until @deadline (monotonic
 * microseconds; 0: try once); on success the locked fd, and unless
 * @direct the holder info written, with *@token its id */
int ql_lockd_acquire (const char *path, const char *canonical, gboolean direct,
                      QuiesceLeaseMode mode, const char *owner, gint64 deadline,
                      GCancellable *cancellable, char **token, GError **error);
/* unlock and close; FALSE with an error if close() reports one (NFS) */
gboolean ql_lockd_release (int fd, const char *canonical, const char *token, GError **error);
/* every lease file of @lockspace, as QuiesceLeaseInfo */
GPtrArray *ql_lockd_list (const char *lockspace, GError **error);

QuiesceLeaseInfo *ql_lease_info_new (const char *path, const char *mode, const QlHolder *holder);

G_END_DECLS
