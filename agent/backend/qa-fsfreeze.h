/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-fsfreeze: the FIFREEZE/FITHAW backend, behind a small ops table.
 *
 * The freeze table never calls ioctl() itself: it goes through QaFreezeOps,
 * so unit tests script an errno per filesystem and record the order of
 * calls.  Ops are called from worker threads and must be thread-safe. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct
{
  /* open the mountpoint O_RDONLY|O_DIRECTORY; returns an fd or -errno.
   * expect_dev, when not 0, is the superblock the path must lead to:
   * -EXDEV when another filesystem now covers the path */
  int (*open_fs) (gpointer user_data, const char *path, dev_t expect_dev);
  /* 0 or an errno */
  int (*freeze) (gpointer user_data, int fd, const char *path);
  int (*thaw) (gpointer user_data, int fd, const char *path);
  /* flush dirty data before freezing; 0 or an errno */
  int (*sync_fs) (gpointer user_data, int fd, const char *path);
  void (*close_fs) (gpointer user_data, int fd);
  gpointer user_data;
} QaFreezeOps;

/* the real thing: open(2), ioctl(FIFREEZE/FITHAW), syncfs(2), close(2) */
const QaFreezeOps *qa_fsfreeze_linux_ops (void);

G_END_DECLS
