/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* the lockd plugin of QuiesceLeaseManager, as libvirt's virtlockd:
 *
 *  - a lease is an OFD lock (F_OFD_SETLK) on byte 0, length 1, of a lease
 *    file: F_WRLCK for exclusive, F_RDLCK for shared.  OFD locks belong to
 *    the open file description, not the process, so two leases taken in
 *    one process conflict exactly as two taken by two processes do, and
 *    the kernel drops them when the last fd of the description closes,
 *    which includes the death of the holder: a crashed tool never leaves
 *    a lease held;
 *  - the lease file is LOCKSPACE/<sha256 hex of the canonical image path>,
 *    or in direct mode the image itself;
 *  - the holder writes who it is (image, mode, host, pid, owner, since)
 *    as key=value lines after byte 0 of a lease file, for the "held by"
 *    error and lease-list.  It is diagnostics only: whether a lease is
 *    held is always asked of the kernel (F_OFD_GETLK), so stale text left
 *    by a holder that died reads as free.  Nothing is ever written into
 *    an image (direct mode).
 *
 * Lease files are never removed: removing one while a process waits on
 * it would let two processes lock two different inodes of one name. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quiesce-lease-private.h"

#define QL_POLL_MS          100
#define QL_HOLDER_MAX_BYTES 65536
#define QL_HOLDER_MAGIC     "quiesce-lease 1"

void
ql_holder_free (QlHolder *holder)
{
  if (holder == NULL)
    return;
  g_free (holder->image);
  g_free (holder->mode);
  g_free (holder->host);
  g_free (holder->owner);
  g_free (holder->token);
  g_free (holder);
}

char *
ql_holder_describe (const char *image, const QlHolder *holder)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *when = NULL;

  if (holder == NULL || holder->host == NULL)
    return g_strdup_printf ("Image '%s' is held by another process, which left no holder info",
                            image);
  if (holder->since > 0 && (dt = g_date_time_new_from_unix_utc (holder->since)) != NULL)
    when = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
  return g_strdup_printf ("Image '%s' is held by %s pid %" G_GINT64_FORMAT " owner %s since %s%s",
                          image, holder->host, holder->pid,
                          holder->owner != NULL && holder->owner[0] != '\0' ? holder->owner
                                                                            : "(none)",
                          when != NULL ? when : "(unknown time)",
                          g_strcmp0 (holder->mode, "shared") == 0 ? " (shared)" : "");
}

char *
ql_lockd_lease_path (const char *lockspace, const char *canonical)
{
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);

  return g_build_filename (lockspace, sum, NULL);
}

/* ---- holder info ---- */

static char *
holder_serialize (const char *canonical, QuiesceLeaseMode mode, const char *owner,
                  const char *token)
{
  g_autoptr(GString) text = g_string_new (QL_HOLDER_MAGIC "\n");
  g_autofree char *image = g_strescape (canonical, NULL);
  g_autofree char *host = g_strescape (g_get_host_name (), NULL);
  g_autofree char *tag = g_strescape (owner != NULL ? owner : "", NULL);

  g_string_append_printf (text, "image=%s\n", image);
  g_string_append_printf (text, "mode=%s\n", mode == QUIESCE_LEASE_EXCLUSIVE ? "exclusive" : "shared");
  g_string_append_printf (text, "host=%s\n", host);
  g_string_append_printf (text, "pid=%ld\n", (long) getpid ());
  g_string_append_printf (text, "owner=%s\n", tag);
  g_string_append_printf (text, "since=%" G_GINT64_FORMAT "\n",
                          g_get_real_time () / G_USEC_PER_SEC);
  g_string_append_printf (text, "token=%s\n", token);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
replace_str (char **slot, const char *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

/* lenient: a torn or foreign file gives what it can, or NULL */
static QlHolder *
holder_read (int fd)
{
  g_autofree char *buf = g_malloc (QL_HOLDER_MAX_BYTES + 1);
  g_autoptr(QlHolder) holder = g_new0 (QlHolder, 1);
  g_auto(GStrv) lines = NULL;
  ssize_t n;

  do
    n = pread (fd, buf, QL_HOLDER_MAX_BYTES, 1);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  lines = g_strsplit (buf, "\n", -1);
  if (g_strcmp0 (lines[0], QL_HOLDER_MAGIC) != 0)
    return NULL;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');
      g_autofree char *value = NULL;

      if (eq == NULL)
        continue;
      *eq = '\0';
      value = g_strcompress (eq + 1);
      if (strcmp (lines[i], "image") == 0)
        replace_str (&holder->image, value);
      else if (strcmp (lines[i], "mode") == 0)
        replace_str (&holder->mode, value);
      else if (strcmp (lines[i], "host") == 0)
        replace_str (&holder->host, value);
      else if (strcmp (lines[i], "owner") == 0)
        replace_str (&holder->owner, value[0] != '\0' ? value : NULL);
      else if (strcmp (lines[i], "token") == 0)
        replace_str (&holder->token, value);
      else if (strcmp (lines[i], "pid") == 0)
        holder->pid = g_ascii_strtoll (value, NULL, 10);
      else if (strcmp (lines[i], "since") == 0)
        holder->since = g_ascii_strtoll (value, NULL, 10);
    }
  return g_steal_pointer (&holder);
}

/* byte 1 serializes the writers of the holder info (shared holders write
 * it concurrently); it is held only for the few syscalls of a rewrite */
static void
info_mutex (int fd, gboolean take)
{
  struct flock fl = { .l_type = take ? F_WRLCK : F_UNLCK, .l_whence = SEEK_SET,
                      .l_start = 1, .l_len = 1 };

  while (fcntl (fd, F_OFD_SETLKW, &fl) < 0 && errno == EINTR)
    ;
}

/* byte 0 stays as it is (a hole in a new file): the lock lives there and
 * the text after it */
static gboolean
holder_write (int fd, const char *text, GError **error)
{
  gsize len = strlen (text);
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = pwrite (fd, text + done, len - done, 1 + done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s",
                       g_strerror (saved));
          return FALSE;
        }
      done += n;
    }
  if (ftruncate (fd, 1 + len) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s", g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* ---- locking ---- */

static int
open_lease (const char *path, gboolean direct, QuiesceLeaseMode mode, GError **error)
{
  int fd;

  do
    fd = direct ? open (path, O_RDWR | O_CLOEXEC | O_NOCTTY)
                : open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
  while (fd < 0 && errno == EINTR);
  /* a shared lease needs only a read lock, which a read-only image allows */
  if (fd < 0 && direct && mode == QUIESCE_LEASE_SHARED && (errno == EACCES || errno == EROFS))
    fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                   direct ? "Cannot open image '%s' to lock it: %s"
                          : "Cannot open lease file '%s': %s",
                   path, g_strerror (saved));
      return -1;
    }
  return fd;
}

/* wait for up to @ms or until @cancellable fires */
static void
wait_a_little (GCancellable *cancellable, gint64 ms)
{
  struct pollfd pfd = { .fd = -1, .events = POLLIN };

  if (cancellable != NULL)
    pfd.fd = g_cancellable_get_fd (cancellable);
  if (pfd.fd >= 0)
    {
      (void) poll (&pfd, 1, (int) ms);
      g_cancellable_release_fd (cancellable);
    }
  else
    g_usleep (ms * 1000);
}

int
ql_lockd_acquire (const char *path, const char *canonical, gboolean direct,
                  QuiesceLeaseMode mode, const char *owner, gint64 deadline,
                  GCancellable *cancellable, char **token, GError **error)
{
  struct flock fl = { 0 };
  int fd = open_lease (path, direct, mode, error);

  if (fd < 0)
    return -1;
  for (;;)
    {
      gint64 now;

      fl.l_type = mode == QUIESCE_LEASE_EXCLUSIVE ? F_WRLCK : F_RDLCK;
      fl.l_whence = SEEK_SET;
      fl.l_start = 0;
      fl.l_len = 1;
      fl.l_pid = 0; /* OFD locks require it */
      if (fcntl (fd, F_OFD_SETLK, &fl) == 0)
        break;
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EACCES)
        {
          int saved = errno;
          g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                       "Cannot lock '%s' for image '%s': %s", path, canonical,
                       g_strerror (saved));
          close (fd);
          return -1;
        }
      now = g_get_monotonic_time ();
      if (deadline == 0 || now >= deadline)
        {
          g_autoptr(QlHolder) holder = direct ? NULL : holder_read (fd);
          g_autofree char *msg = ql_holder_describe (canonical, holder);

          g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_HELD, "%s%s", msg,
                       deadline != 0 ? " (gave up waiting)" : "");
          close (fd);
          return -1;
        }
      wait_a_little (cancellable, MIN (QL_POLL_MS, (deadline - now + 999) / 1000));
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return -1;
        }
    }

  if (!direct)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *text = holder_serialize (canonical, mode, owner, id);
      g_autoptr(GError) local = NULL;
      gboolean ok;

      info_mutex (fd, TRUE);
      ok = holder_write (fd, text, &local);
      info_mutex (fd, FALSE);
      /* diagnostics only: the lease itself is held, so do not fail it */
      if (!ok)
        g_warning ("Cannot write the holder info into lease file '%s': %s", path,
                   local->message);
      else if (token != NULL)
        *token = g_steal_pointer (&id);
    }
  return fd;
}

gboolean
ql_lockd_release (int fd, const char *canonical, const char *token, GError **error)
{
  struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

  /* a shared lease may outlive us in other holders: if the info still
   * names us, leave only the image, so nobody is told a holder that has
   * gone (an exclusive release may keep it: the lock probe says "free") */
  if (token != NULL)
    {
      g_autoptr(QlHolder) holder = NULL;

      info_mutex (fd, TRUE);
      holder = holder_read (fd);
      if (holder != NULL && g_strcmp0 (holder->token, token) == 0 &&
          g_strcmp0 (holder->mode, "shared") == 0)
        {
          g_autofree char *image = g_strescape (canonical, NULL);
          g_autofree char *text = g_strdup_printf (QL_HOLDER_MAGIC "\nimage=%s\n", image);

          (void) holder_write (fd, text, NULL);
        }
      info_mutex (fd, FALSE);
    }

  /* closing alone would drop it too; unlocking first says what we mean
   * even if a forked child still shares the description */
  (void) fcntl (fd, F_OFD_SETLK, &fl);
  if (close (fd) < 0 && errno != EINTR)
    {
      int saved = errno;
      g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                   "Cannot close the lease of image '%s': %s", canonical, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* ---- list ---- */

static gboolean
is_lease_name (const char *name)
{
  if (strlen (name) != 64)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

static gint
compare_info (gconstpointer a, gconstpointer b)
{
  QuiesceLeaseInfo *x = *(QuiesceLeaseInfo **) a;
  QuiesceLeaseInfo *y = *(QuiesceLeaseInfo **) b;
  gint c = g_strcmp0 (quiesce_lease_info_get_image (x), quiesce_lease_info_get_image (y));

  return c != 0 ? c : g_strcmp0 (quiesce_lease_info_get_path (x), quiesce_lease_info_get_path (y));
}

GPtrArray *
ql_lockd_list (const char *lockspace, GError **error)
{
  g_autoptr(GPtrArray) out =
      g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_lease_info_unref);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  /* opened first for the errno, which GDir does not keep */
  {
    int dfd = open (lockspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (dfd < 0)
      {
        int saved = errno;
        g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                     "Cannot read lockspace '%s': %s", lockspace, g_strerror (saved));
        return NULL;
      }
    close (dfd);
  }
  dir = g_dir_open (lockspace, 0, NULL);
  if (dir == NULL)
    {
      g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                   "Cannot read lockspace '%s'", lockspace);
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(QlHolder) holder = NULL;
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
      const char *mode;
      int fd;

      if (!is_lease_name (name))
        continue;
      path = g_build_filename (lockspace, name, NULL);
      fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
      if (fd < 0)
        {
          int saved = errno;
          if (saved == ENOENT)
            continue;
          g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                       "Cannot open lease file '%s': %s", path, g_strerror (saved));
          return NULL;
        }
      /* a write-lock probe reports any lock of another description */
      if (fcntl (fd, F_OFD_GETLK, &fl) < 0)
        {
          int saved = errno;
          close (fd);
          g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                       "Cannot probe the lock of lease file '%s': %s", path, g_strerror (saved));
          return NULL;
        }
      mode = fl.l_type == F_WRLCK ? "exclusive" : fl.l_type == F_RDLCK ? "shared" : "free";
      holder = holder_read (fd);
      close (fd);
      g_ptr_array_add (out, ql_lease_info_new (path, mode, holder));
    }
  g_ptr_array_sort (out, compare_info);
  return g_steal_pointer (&out);
}
