/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* the sanlock plugin of QuiesceLeaseManager (built only with libsanlock):
 * disk paxos leases through a running sanlock daemon, as libvirt's sanlock
 * lock driver.
 *
 * The lockspace of the manager is a directory on storage that every host
 * sees at the same path:
 *
 *  - DIR/lockspace is the sanlock lockspace (delta leases, one per host
 *    id), initialised once by the administrator with
 *      sanlock direct init -s NAME:0:DIR/lockspace:0
 *    Its NAME is read from the file.  This host joins it
 *    (sanlock_add_lockspace) on the first acquire with the host id in
 *    $QUIESCE_SANLOCK_HOST_ID (1..2000, unique per host); when the daemon
 *    has already joined it (the usual case: it takes ~20 s, once per boot)
 *    its host id is used as it is;
 *  - DIR/<sha256 of the canonical image path>.sanlock is the resource lease
 *    of one image (1 MiB, 512-byte sectors), named by the first 40 hex
 *    digits of that sum.  It is made on first use: written into a private
 *    temporary file by the daemon (sanlock_write_resource), then link()ed
 *    into place, so two tools making it at once cannot wipe one another's
 *    lease;
 *  - DIR/<sha256>.holder is the holder info (image, mode, host, pid, owner,
 *    since), written after the lease is taken, for the "held by" error and
 *    lease-list.  It is diagnostics only: whether a lease is held is always
 *    asked of sanlock.
 *
 * Each image is held by a registration of its own (sanlock_register), a
 * close-on-exec connection to the daemon: an action that execs does not
 * inherit it, and when this process dies the daemon releases what it held.
 * Exclusive is a plain paxos lease; shared is SANLK_RES_SHARED.  Requests
 * never wait inside the daemon (SANLK_ACQUIRE_OWNER_NOWAIT); waiting up to
 * a deadline is a poll here. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sanlock.h>
#include <sanlock_admin.h>
#include <sanlock_resource.h>
#include <sanlock_rv.h>

#include <glib/gstdio.h>

#include "quiesce-lease-private.h"

/* shared with quiesce-lease.c (which declares them too) */
int ql_sanlock_acquire (const char *lockspace, const char *canonical, QuiesceLeaseMode mode,
                        const char *owner, gint64 deadline, GCancellable *cancellable,
                        char **token, GError **error);
gboolean ql_sanlock_release (int fd, GError **error);
GPtrArray *ql_sanlock_list (const char *lockspace, GError **error);

#define QLS_POLL_MS      250
#define QLS_RES_BYTES    (1024 * 1024) /* ALIGN1M, SECTOR512 */
#define QLS_HOLDER_MAGIC "quiesce-lease 1"
#define QLS_HOST_ID_ENV  "QUIESCE_SANLOCK_HOST_ID"

/* a resource with its one disk */
typedef struct
{
  struct sanlk_resource res;
  struct sanlk_disk disk;
} QlsResource;

static char *
lockspace_file (const char *dir)
{
  return g_build_filename (dir, "lockspace", NULL);
}

static char *
image_sum (const char *canonical)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
}

static char *
resource_path (const char *dir, const char *sum)
{
  g_autofree char *base = g_strconcat (sum, ".sanlock", NULL);

  return g_build_filename (dir, base, NULL);
}

static char *
holder_path (const char *dir, const char *sum)
{
  g_autofree char *base = g_strconcat (sum, ".holder", NULL);

  return g_build_filename (dir, base, NULL);
}

static void
set_name (char *dst, const char *src)
{
  memset (dst, 0, SANLK_NAME_LEN);
  strncpy (dst, src, SANLK_NAME_LEN - 1);
}

static gboolean
set_path (struct sanlk_disk *disk, const char *path, GError **error)
{
  if (strlen (path) >= SANLK_PATH_LEN)
    {
      g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                   "The path '%s' is too long for sanlock", path);
      return FALSE;
    }
  memset (disk, 0, sizeof *disk);
  g_strlcpy (disk->path, path, SANLK_PATH_LEN);
  return TRUE;
}

static const char *
describe_rv (int rv)
{
  if (rv == -ECONNREFUSED || rv == -ENOENT)
    return "the sanlock daemon is not running (or not reachable)";
  return rv <= -200 ? sanlock_strerror (rv) : g_strerror (-rv);
}

static void set_rv_error (GError **error, int rv, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
set_rv_error (GError **error, int rv, const char *fmt, ...)
{
  g_autofree char *what = NULL;
  va_list ap;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);

  g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED, "%s: %s (%d)", what,
               describe_rv (rv), rv);
}

/* the name written in DIR/lockspace */
static gboolean
read_lockspace (const char *dir, struct sanlk_lockspace *ls, GError **error)
{
  g_autofree char *file = lockspace_file (dir);
  uint32_t io_timeout = 0;
  int rv;

  memset (ls, 0, sizeof *ls);
  if (!set_path (&ls->host_id_disk, file, error))
    return FALSE;
  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                   "No sanlock lockspace at '%s': make it once with "
                   "'sanlock direct init -s NAME:0:%s:0' (on a file of 1 MiB at least)",
                   file, file);
      return FALSE;
    }
  rv = sanlock_read_lockspace (ls, 0, &io_timeout);
  if (rv < 0)
    {
      set_rv_error (error, rv, "Cannot read the sanlock lockspace '%s'", file);
      return FALSE;
    }
  ls->name[SANLK_NAME_LEN - 1] = '\0';
  if (!set_path (&ls->host_id_disk, file, error))
    return FALSE;
  ls->host_id_disk.offset = 0;
  return TRUE;
}

/* joined (or joining, waited for) lockspace of that name: its host id */
static guint64
joined_host_id (const char *name, gboolean *adding)
{
  struct sanlk_lockspace *lss = NULL;
  int count = 0;
  guint64 host_id = 0;

  *adding = FALSE;
  if (sanlock_get_lockspaces (&lss, &count, 0) < 0 || lss == NULL)
    return 0;
  for (int i = 0; i < count; i++)
    if (strncmp (lss[i].name, name, SANLK_NAME_LEN) == 0)
      {
        host_id = lss[i].host_id;
        *adding = (lss[i].flags & SANLK_LSF_ADD) != 0;
      }
  free (lss);
  return host_id;
}

/* this host in the lockspace: at once when the daemon has joined it, else
 * sanlock_add_lockspace with $QUIESCE_SANLOCK_HOST_ID (about 20 s: the
 * delta lease) */
static gboolean
join_lockspace (struct sanlk_lockspace *ls, GError **error)
{
  gboolean adding = FALSE;
  guint64 host_id = joined_host_id (ls->name, &adding);
  const char *env;
  guint64 wanted = 0;
  int rv;

  if (host_id > 0 && !adding)
    {
      ls->host_id = host_id;
      return TRUE;
    }
  env = g_getenv (QLS_HOST_ID_ENV);
  if (host_id == 0)
    {
      if (env == NULL || !g_ascii_string_to_unsigned (env, 10, 1, 2000, &wanted, NULL))
        {
          g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                       "This host has not joined the sanlock lockspace '%s': set %s to its "
                       "host id (1..2000, unique per host), or join it with 'sanlock client "
                       "add_lockspace -s %s:ID:%s:0'",
                       ls->name, QLS_HOST_ID_ENV, ls->name, ls->host_id_disk.path);
          return FALSE;
        }
      ls->host_id = wanted;
      rv = sanlock_add_lockspace (ls, 0);
      if (rv == 0 || rv == -EEXIST)
        return TRUE;
      if (rv != -EINPROGRESS)
        {
          set_rv_error (error, rv, "Cannot join the sanlock lockspace '%s'", ls->name);
          return FALSE;
        }
    }
  else
    ls->host_id = host_id;
  /* another process is joining it: wait for that */
  rv = sanlock_inq_lockspace (ls, SANLK_INQ_WAIT);
  if (rv < 0)
    {
      set_rv_error (error, rv, "Joining the sanlock lockspace '%s' failed", ls->name);
      return FALSE;
    }
  return TRUE;
}

static void
resource_init (QlsResource *r, const struct sanlk_lockspace *ls, const char *sum,
               const char *path)
{
  char name[41];

  memset (r, 0, sizeof *r);
  g_strlcpy (name, sum, sizeof name);
  memcpy (r->res.lockspace_name, ls->name, SANLK_NAME_LEN);
  set_name (r->res.name, name);
  r->res.num_disks = 1;
  g_strlcpy (r->disk.path, path, SANLK_PATH_LEN);
}

/* DIR/<sum>.sanlock, made if missing: written aside, then linked in place */
static gboolean
ensure_resource (const char *dir, const struct sanlk_lockspace *ls, const char *sum,
                 const char *path, GError **error)
{
  g_autofree char *tmp = NULL;
  QlsResource r;
  int fd, rv;

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  tmp = g_build_filename (dir, ".new-XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate (fd, QLS_RES_BYTES) < 0)
    {
      int saved = errno;

      g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                   "Cannot make a sanlock resource in '%s': %s", dir, g_strerror (saved));
      if (fd >= 0)
        {
          close (fd);
          g_unlink (tmp);
        }
      return FALSE;
    }
  close (fd);
  resource_init (&r, ls, sum, tmp);
  r.res.flags = SANLK_RES_ALIGN1M | SANLK_RES_SECTOR512;
  rv = sanlock_write_resource (&r.res, 0, 0, 0);
  if (rv < 0)
    {
      set_rv_error (error, rv, "Cannot write the sanlock resource for '%s'", path);
      g_unlink (tmp);
      return FALSE;
    }
  fd = open (tmp, O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      (void) fsync (fd);
      close (fd);
    }
  /* link() fails with EEXIST when another made it first: theirs is used */
  if (link (tmp, path) < 0 && errno != EEXIST)
    {
      int saved = errno;

      g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED,
                   "Cannot put the sanlock resource in place at '%s': %s", path,
                   g_strerror (saved));
      g_unlink (tmp);
      return FALSE;
    }
  g_unlink (tmp);
  return TRUE;
}

/* ---- holder info ---- */

static void
holder_write (const char *path, const char *canonical, QuiesceLeaseMode mode, const char *owner,
              const char *token, guint64 host_id)
{
  g_autoptr(GString) text = g_string_new (QLS_HOLDER_MAGIC "\n");
  g_autofree char *image = g_strescape (canonical, NULL);
  g_autofree char *host = g_strescape (g_get_host_name (), NULL);
  g_autofree char *tag = g_strescape (owner != NULL ? owner : "", NULL);
  g_autoptr(GError) local = NULL;

  g_string_append_printf (text, "image=%s\n", image);
  g_string_append_printf (text, "mode=%s\n",
                          mode == QUIESCE_LEASE_EXCLUSIVE ? "exclusive" : "shared");
  g_string_append_printf (text, "host=%s\n", host);
  g_string_append_printf (text, "pid=%ld\n", (long) getpid ());
  g_string_append_printf (text, "owner=%s\n", tag);
  g_string_append_printf (text, "since=%" G_GINT64_FORMAT "\n",
                          g_get_real_time () / G_USEC_PER_SEC);
  g_string_append_printf (text, "token=%s\n", token);
  g_string_append_printf (text, "host-id=%" G_GUINT64_FORMAT "\n", host_id);
  if (!g_file_set_contents (path, text->str, (gssize) text->len, &local))
    g_debug ("Cannot write the holder info '%s': %s", path, local->message);
}

static QlHolder *
holder_read (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  QlHolder *holder;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  if (g_strcmp0 (lines[0], QLS_HOLDER_MAGIC) != 0)
    return NULL;
  holder = g_new0 (QlHolder, 1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *eq = strchr (lines[i], '=');
      char *value;

      if (eq == NULL)
        continue;
      *eq = '\0';
      value = g_strcompress (eq + 1);
      if (strcmp (lines[i], "image") == 0)
        g_free (holder->image), holder->image = value;
      else if (strcmp (lines[i], "mode") == 0)
        g_free (holder->mode), holder->mode = value;
      else if (strcmp (lines[i], "host") == 0)
        g_free (holder->host), holder->host = value;
      else if (strcmp (lines[i], "owner") == 0 && value[0] != '\0')
        g_free (holder->owner), holder->owner = value;
      else if (strcmp (lines[i], "token") == 0)
        g_free (holder->token), holder->token = value;
      else
        {
          if (strcmp (lines[i], "pid") == 0)
            holder->pid = g_ascii_strtoll (value, NULL, 10);
          else if (strcmp (lines[i], "since") == 0)
            holder->since = g_ascii_strtoll (value, NULL, 10);
          g_free (value);
        }
    }
  return holder;
}

/* who holds it, as far as sanlock tells (the host ids of its owners) */
static char *
sanlock_owners (QlsResource *r, gboolean *shared)
{
  struct sanlk_host *hosts = NULL;
  int count = 0;
  g_autoptr(GString) ids = g_string_new (NULL);

  *shared = FALSE;
  if (sanlock_read_resource_owners (&r->res, 0, &hosts, &count) < 0)
    return NULL;
  *shared = (r->res.flags & SANLK_RES_SHARED) != 0;
  for (int i = 0; i < count; i++)
    g_string_append_printf (ids, "%s%" G_GUINT64_FORMAT, ids->len > 0 ? "," : "",
                            (guint64) hosts[i].host_id);
  free (hosts);
  return ids->len > 0 ? g_string_free (g_steal_pointer (&ids), FALSE) : NULL;
}

static gboolean
is_held_rv (int rv)
{
  return rv == -EEXIST || rv == -EAGAIN || rv == -EBUSY || rv == SANLK_ACQUIRE_IDLIVE ||
         rv == SANLK_ACQUIRE_OWNED || rv == SANLK_ACQUIRE_OTHER ||
         rv == SANLK_ACQUIRE_SHRETRY || rv == SANLK_ACQUIRE_OWNED_RETRY;
}

static const char *
held_reason (int rv)
{
  switch (rv)
    {
    case -EEXIST:
      return "held by another process of this host";
    case SANLK_ACQUIRE_IDLIVE:
    case SANLK_ACQUIRE_OWNED:
    case SANLK_ACQUIRE_OWNED_RETRY:
      return "owned by a live host";
    case SANLK_ACQUIRE_SHRETRY:
      return "held shared";
    default:
      return "held";
    }
}

static void
set_held_error (GError **error, const char *dir, const char *sum, const char *canonical,
                QlsResource *r, int rv)
{
  g_autofree char *hpath = holder_path (dir, sum);
  g_autoptr(QlHolder) holder = holder_read (hpath);
  g_autofree char *text = ql_holder_describe (canonical, holder);
  gboolean shared = FALSE;
  g_autofree char *owners = sanlock_owners (r, &shared);

  g_set_error (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_HELD,
               "%s (sanlock: %s, %d%s%s%s)", text, held_reason (rv), rv,
               owners != NULL ? ", owner host_id " : "", owners != NULL ? owners : "",
               shared ? ", shared" : "");
}

static gboolean
wait_a_bit (gint64 deadline, GCancellable *cancellable, GError **error)
{
  gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
  struct pollfd pfd = { .fd = -1, .events = POLLIN };

  if (cancellable != NULL)
    pfd.fd = g_cancellable_get_fd (cancellable);
  (void) poll (&pfd, 1, (int) CLAMP (left_ms, 0, QLS_POLL_MS));
  if (cancellable != NULL)
    g_cancellable_release_fd (cancellable);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* one lease on @canonical in the lockspace directory @dir, polling until
 * @deadline (monotonic microseconds; 0: try once); on success the
 * registration fd that holds it, and *@token the id of the holder info */
int
ql_sanlock_acquire (const char *dir, const char *canonical, QuiesceLeaseMode mode,
                    const char *owner, gint64 deadline, GCancellable *cancellable, char **token,
                    GError **error)
{
  struct sanlk_lockspace ls;
  g_autofree char *sum = image_sum (canonical);
  g_autofree char *path = resource_path (dir, sum);
  QlsResource r;
  struct sanlk_resource *rp = &r.res;
  int sock, rv;

  if (!read_lockspace (dir, &ls, error) || !join_lockspace (&ls, error) ||
      !ensure_resource (dir, &ls, sum, path, error))
    return -1;
  resource_init (&r, &ls, sum, path);
  if (mode == QUIESCE_LEASE_SHARED)
    r.res.flags |= SANLK_RES_SHARED;

  for (;;)
    {
      sock = sanlock_register ();
      if (sock < 0)
        {
          set_rv_error (error, sock, "Cannot register with the sanlock daemon");
          return -1;
        }
      /* the action must not inherit the registration */
      (void) fcntl (sock, F_SETFD, FD_CLOEXEC);
      rv = sanlock_acquire (sock, -1, SANLK_ACQUIRE_OWNER_NOWAIT, 1, &rp, NULL);
      if (rv == 0)
        break;
      close (sock);
      if (!is_held_rv (rv))
        {
          set_rv_error (error, rv, "Cannot take the sanlock lease of '%s'", canonical);
          return -1;
        }
      if (deadline == 0 || g_get_monotonic_time () >= deadline)
        {
          set_held_error (error, dir, sum, canonical, &r, rv);
          return -1;
        }
      if (!wait_a_bit (deadline, cancellable, error))
        return -1;
    }

  *token = g_uuid_string_random ();
  {
    g_autofree char *hpath = holder_path (dir, sum);

    holder_write (hpath, canonical, mode, owner, *token, ls.host_id);
  }
  return sock;
}

/* lets every lease of the registration go, and closes it */
gboolean
ql_sanlock_release (int fd, GError **error)
{
  int rv = sanlock_release (fd, -1, SANLK_REL_ALL, 0, NULL);

  close (fd);
  if (rv < 0)
    {
      /* closing the registration lets the daemon release it anyway */
      set_rv_error (error, rv, "Releasing a sanlock lease failed");
      return FALSE;
    }
  return TRUE;
}

static gint
info_compare (gconstpointer a, gconstpointer b)
{
  QuiesceLeaseInfo *x = *(QuiesceLeaseInfo *const *) a;
  QuiesceLeaseInfo *y = *(QuiesceLeaseInfo *const *) b;

  return g_strcmp0 (quiesce_lease_info_get_image (x) != NULL ? quiesce_lease_info_get_image (x)
                                                            : quiesce_lease_info_get_path (x),
                    quiesce_lease_info_get_image (y) != NULL ? quiesce_lease_info_get_image (y)
                                                            : quiesce_lease_info_get_path (y));
}

/* every resource of the lockspace directory, held or not (as sanlock
 * reads the owners on disk), with its last holder info */
GPtrArray *
ql_sanlock_list (const char *dir, GError **error)
{
  g_autoptr(GPtrArray) out =
      g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_lease_info_unref);
  g_autoptr(GDir) d = NULL;
  struct sanlk_lockspace ls;
  const char *name;

  if (!read_lockspace (dir, &ls, error))
    return NULL;
  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sum = NULL;
      g_autofree char *path = NULL;
      g_autofree char *hpath = NULL;
      g_autoptr(QlHolder) holder = NULL;
      g_autofree char *owners = NULL;
      gboolean shared = FALSE;
      QlsResource r;

      if (!g_str_has_suffix (name, ".sanlock"))
        continue;
      sum = g_strndup (name, strlen (name) - strlen (".sanlock"));
      path = resource_path (dir, sum);
      hpath = holder_path (dir, sum);
      holder = holder_read (hpath);
      resource_init (&r, &ls, sum, path);
      owners = sanlock_owners (&r, &shared);
      g_ptr_array_add (out, ql_lease_info_new (path,
                                               owners == NULL ? "free"
                                               : shared       ? "shared"
                                                              : "exclusive",
                                               holder));
    }
  g_ptr_array_sort (out, info_compare);
  return g_steal_pointer (&out);
}
