/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-fsfreeze.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int
linux_open_fs (gpointer user_data, const char *path, dev_t expect_dev)
{
  /* as fsfreeze(8): a read-only descriptor of the mountpoint directory;
   * it is kept while frozen so FITHAW works even after a lazy umount */
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
  struct stat st;

  if (fd < 0)
    return -errno;
  /* the path may have been covered by another mount since the scan:
   * never freeze a filesystem that was not asked for */
  if (expect_dev != 0 && (fstat (fd, &st) != 0 || st.st_dev != expect_dev))
    {
      close (fd);
      return -EXDEV;
    }
  return fd;
}

static int
linux_freeze (gpointer user_data, int fd, const char *path)
{
  return ioctl (fd, FIFREEZE, 0) == 0 ? 0 : errno;
}

static int
linux_thaw (gpointer user_data, int fd, const char *path)
{
  return ioctl (fd, FITHAW, 0) == 0 ? 0 : errno;
}

static int
linux_sync_fs (gpointer user_data, int fd, const char *path)
{
  return syncfs (fd) == 0 ? 0 : errno;
}

static void
linux_close_fs (gpointer user_data, int fd)
{
  if (fd >= 0)
    close (fd);
}

static const QaFreezeOps linux_ops = {
  .open_fs = linux_open_fs,
  .freeze = linux_freeze,
  .thaw = linux_thaw,
  .sync_fs = linux_sync_fs,
  .close_fs = linux_close_fs,
  .user_data = NULL,
};

const QaFreezeOps *
qa_fsfreeze_linux_ops (void)
{
  return &linux_ops;
}
