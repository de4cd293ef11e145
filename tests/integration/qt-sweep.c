/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qt-sweep: the cleanup paths of the integration tests.
 *
 * They find what a test made by its path alone: mounts below a directory
 * (mountinfo), loop devices whose backing file is below it (sysfs), and the
 * children of this process (/proc; the runner is a subreaper, so orphans
 * of a failed test are its children).  They run in normal teardown, in the
 * runner after every test, at exit, and from signal handlers, so they use
 * only system calls on static or stack buffers. */
#include "qt-sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char sweep_mountinfo[1 << 20];

static gboolean
is_below (const char *path, const char *dir)
{
  size_t n = strlen (dir);

  return n > 0 && strncmp (path, dir, n) == 0 && path[n] == '/';
}

static ssize_t
read_small_file (const char *path, char *buf, size_t size)
{
  size_t n = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return -1;
  while (n + 1 < size)
    {
      ssize_t r = read (fd, buf + n, size - 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      n += (size_t) r;
    }
  close (fd);
  buf[n] = '\0';
  return (ssize_t) n;
}

/* calls FN for each mountpoint below DIR, in mountinfo order (or reversed);
 * mountpoints below our directories never need unescaping, since we chose
 * their names */
static int
for_each_mount_below (const char *dir, gboolean reverse, void (*fn) (const char *mp))
{
  char *lines[4096];
  int n = 0;
  int count = 0;
  char *p;

  if (read_small_file ("/proc/self/mountinfo", sweep_mountinfo, sizeof sweep_mountinfo) <= 0)
    return 0;
  p = sweep_mountinfo;
  while (*p != '\0' && n < (int) G_N_ELEMENTS (lines))
    {
      char *eol = strchr (p, '\n');
      if (eol != NULL)
        *eol = '\0';
      lines[n++] = p;
      if (eol == NULL)
        break;
      p = eol + 1;
    }
  for (int k = 0; k < n; k++)
    {
      char *line = lines[reverse ? n - 1 - k : k];
      char *mp = line;
      char *end;

      /* field 5 is the mountpoint */
      for (int f = 0; f < 4 && mp != NULL; f++)
        {
          mp = strchr (mp, ' ');
          if (mp != NULL)
            mp++;
        }
      if (mp == NULL)
        continue;
      end = strchr (mp, ' ');
      if (end != NULL)
        *end = '\0';
      if (is_below (mp, dir))
        {
          fn (mp);
          count++;
        }
    }
  return count;
}

static void
thaw_one (const char *mp)
{
  int fd = open (mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);

  if (fd < 0)
    return;
  /* EINVAL: not frozen */
  (void) ioctl (fd, FITHAW, 0);
  close (fd);
}

void
qt_thaw_below (const char *dir)
{
  for_each_mount_below (dir, FALSE, thaw_one);
}

static void
umount_one (const char *mp)
{
  (void) umount2 (mp, 0);
}

static void
umount_lazy_one (const char *mp)
{
  (void) umount2 (mp, MNT_DETACH);
}

/* the children of this process, by a scan of /proc (a subreaper inherits
 * the orphans of a failed test, so they are ours to kill) */
static int
signal_children (int sig)
{
  char buf[1 << 15];
  char stat[512];
  char path[64];
  int count = 0;
  pid_t self = getpid ();
  int dfd = open ("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dfd < 0)
    return 0;
  for (;;)
    {
      long nread = syscall (SYS_getdents64, dfd, buf, sizeof buf);
      if (nread <= 0)
        break;
      for (long off = 0; off < nread;)
        {
          struct
          {
            guint64 ino;
            gint64 off;
            unsigned short reclen;
            unsigned char type;
            char name[];
          } *d = (void *) (buf + off);
          const char *rp;
          long pid;
          long ppid;
          char *endp;

          off += d->reclen;
          pid = strtol (d->name, &endp, 10);
          if (*endp != '\0' || pid <= 0)
            continue;
          snprintf (path, sizeof path, "/proc/%ld/stat", pid);
          if (read_small_file (path, stat, sizeof stat) <= 0)
            continue;
          rp = strrchr (stat, ')');
          /* ") S PPID ..." */
          if (rp == NULL || strlen (rp) < 5)
            continue;
          ppid = strtol (rp + 4, NULL, 10);
          if (ppid != self)
            continue;
          count++;
          if (sig != 0)
            kill ((pid_t) pid, sig);
        }
    }
  close (dfd);
  return count;
}

static void
reap_children (void)
{
  int status;

  while (waitpid (-1, &status, WNOHANG) > 0)
    ;
}

void
qt_sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

  while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
    ;
}

static void
detach_loops_below (const char *dir)
{
  char buf[1 << 14];
  char path[128];
  char backing[PATH_MAX + 32];
  int dfd = open ("/sys/block", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dfd < 0)
    return;
  for (;;)
    {
      long nread = syscall (SYS_getdents64, dfd, buf, sizeof buf);
      if (nread <= 0)
        break;
      for (long off = 0; off < nread;)
        {
          struct
          {
            guint64 ino;
            gint64 off;
            unsigned short reclen;
            unsigned char type;
            char name[];
          } *d = (void *) (buf + off);
          ssize_t n;
          int fd;

          off += d->reclen;
          if (strncmp (d->name, "loop", 4) != 0)
            continue;
          snprintf (path, sizeof path, "/sys/block/%s/loop/backing_file", d->name);
          n = read_small_file (path, backing, sizeof backing);
          if (n <= 0)
            continue;
          if (backing[n - 1] == '\n')
            backing[n - 1] = '\0';
          if (!is_below (backing, dir))
            continue;
          snprintf (path, sizeof path, "/dev/%s", d->name);
          fd = open (path, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            continue;
          /* on a device still in use this sets autoclear instead */
          (void) ioctl (fd, LOOP_CLR_FD, 0);
          close (fd);
        }
    }
  close (dfd);
}

/* removes the contents of DFD (and not what is mounted below it: a
 * directory on another device is left alone) */
static void
rm_contents (int dfd, dev_t dev)
{
  char buf[1 << 13];

  for (;;)
    {
      long nread = syscall (SYS_getdents64, dfd, buf, sizeof buf);
      if (nread <= 0)
        break;
      for (long off = 0; off < nread;)
        {
          struct
          {
            guint64 ino;
            gint64 off;
            unsigned short reclen;
            unsigned char type;
            char name[];
          } *d = (void *) (buf + off);
          struct stat st;

          off += d->reclen;
          if (strcmp (d->name, ".") == 0 || strcmp (d->name, "..") == 0)
            continue;
          if (fstatat (dfd, d->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
          if (S_ISDIR (st.st_mode))
            {
              int sub;
              if (st.st_dev != dev)
                continue;
              sub = openat (dfd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
              if (sub >= 0)
                {
                  rm_contents (sub, dev);
                  close (sub);
                }
              (void) unlinkat (dfd, d->name, AT_REMOVEDIR);
            }
          else
            (void) unlinkat (dfd, d->name, 0);
        }
    }
}

static void
rm_rf (const char *dir, gboolean remove_self)
{
  struct stat st;
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (dfd < 0)
    return;
  if (fstat (dfd, &st) == 0)
    rm_contents (dfd, st.st_dev);
  close (dfd);
  if (remove_self)
    (void) rmdir (dir);
}

/* Thaw everything below DIR, then kill our children (the agent, writers,
 * orphans), thawing again while they go (an agent that was mid-freeze
 * may have frozen one more), then unmount, detach the loop devices and
 * remove the files. */
void
qt_sweep (const char *dir, gboolean remove_self)
{
  if (dir[0] == '\0')
    return;
  qt_thaw_below (dir);
  signal_children (SIGKILL);
  for (int i = 0; i < 200; i++)
    {
      reap_children ();
      qt_thaw_below (dir);
      if (signal_children (0) == 0)
        break;
      signal_children (SIGKILL);
      qt_sleep_ms (50);
    }
  for (int i = 0; i < 30; i++)
    {
      qt_thaw_below (dir);
      if (for_each_mount_below (dir, TRUE, umount_one) == 0)
        break;
      /* a loop device whose image lives on one of our filesystems keeps
       * that filesystem busy: detach it while its backing path is still
       * below DIR (after a lazy umount it would no longer be) */
      detach_loops_below (dir);
      qt_sleep_ms (100);
    }
  qt_thaw_below (dir);
  for_each_mount_below (dir, TRUE, umount_lazy_one);
  detach_loops_below (dir);
  rm_rf (dir, remove_self);
}

void
qt_sweep_emergency (const char *dir)
{
  if (dir[0] == '\0')
    return;
  qt_thaw_below (dir);
  signal_children (SIGKILL);
  for (int i = 0; i < 40; i++)
    {
      reap_children ();
      qt_thaw_below (dir);
      if (signal_children (0) == 0)
        break;
      qt_sleep_ms (50);
    }
}
