/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QuiesceLeaseManager: the lockd plugin on a temporary lockspace, with
 * competing holders in other processes (fork) and in this one (OFD locks
 * conflict between open file descriptions, whoever owns them), and the
 * nop plugin.  No root needed.
 *
 * A holder process is driven through two pipes: it reports "ok" or the
 * error after acquiring, then waits for one command byte: 'r' releases
 * and reports, 'x' exits (with the leases still held until the exit). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "quiesce.h"

static char *tmpdir;
static char *lockspace;

static void
setup (void)
{
  g_autofree char *made = g_dir_make_tmp ("test-lease-XXXXXX", NULL);
  char *real;

  ck_assert_ptr_nonnull (made);
  /* canonical, as the lease manager reports image paths */
  real = realpath (made, NULL);
  ck_assert_ptr_nonnull (real);
  tmpdir = g_strdup (real);
  free (real);
  lockspace = g_build_filename (tmpdir, "lockspace", NULL);
}

static void
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
teardown (void)
{
  rm_rf (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&lockspace, g_free);
}

/* an image file with some content under tmpdir */
static char *
make_image (const char *name)
{
  char *path = g_build_filename (tmpdir, name, NULL);

  ck_assert (g_file_set_contents (path, "IMAGE-CONTENT", -1, NULL));
  return path;
}

static QuiesceLeaseManager *
lockd (const char *owner, gboolean direct)
{
  g_autoptr(GError) error = NULL;
  QuiesceLeaseManager *m = quiesce_lease_manager_new ("lockd", direct ? NULL : lockspace, &error);

  ck_assert_msg (m != NULL, "%s", error != NULL ? error->message : "");
  quiesce_lease_manager_set_owner (m, owner);
  quiesce_lease_manager_set_direct (m, direct);
  return m;
}

/* ---- holder processes ---- */

typedef struct
{
  pid_t pid;
  int cmd;    /* write end: commands */
  int report; /* read end: reports */
} Holder;

static void
write_all (int fd, const char *text)
{
  gsize len = strlen (text) + 1;

  ck_assert_int_eq (write (fd, text, len), (ssize_t) len);
}

/* one report, NUL-terminated */
static char *
read_report (int fd)
{
  GString *s = g_string_new (NULL);
  char c;

  while (read (fd, &c, 1) == 1 && c != '\0')
    g_string_append_c (s, c);
  return g_string_free (s, FALSE);
}

static Holder
holder_start (const char *owner, gboolean direct, const char *const *images,
              QuiesceLeaseMode mode)
{
  int cmd[2], report[2];
  Holder h;

  ck_assert_int_eq (pipe (cmd), 0);
  ck_assert_int_eq (pipe (report), 0);
  h.pid = fork ();
  ck_assert_int_ge (h.pid, 0);
  if (h.pid == 0)
    {
      g_autoptr(QuiesceLeaseManager) m = NULL;
      g_autoptr(QuiesceLeaseSet) set = NULL;
      g_autoptr(GError) error = NULL;
      char c;

      close (cmd[1]);
      close (report[0]);
      m = lockd (owner, direct);
      set = quiesce_lease_manager_acquire (m, images, mode, 0, NULL, &error);
      write_all (report[1], set != NULL ? "ok" : error->message);
      while (read (cmd[0], &c, 1) == 1)
        {
          if (c == 'r')
            {
              quiesce_lease_set_release (set, NULL);
              write_all (report[1], "released");
            }
          else
            break;
        }
      /* _exit() skips the cleanups, and valgrind checks children too */
      g_clear_pointer (&set, quiesce_lease_set_unref);
      g_clear_object (&m);
      g_clear_error (&error);
      _exit (0);
    }
  close (cmd[0]);
  close (report[1]);
  h.cmd = cmd[1];
  h.report = report[0];
  {
    g_autofree char *r = read_report (h.report);
    ck_assert_str_eq (r, "ok");
  }
  return h;
}

static void
holder_release (Holder *h)
{
  g_autofree char *r = NULL;

  ck_assert_int_eq (write (h->cmd, "r", 1), 1);
  r = read_report (h->report);
  ck_assert_str_eq (r, "released");
}

static void
holder_stop (Holder *h)
{
  int status;

  (void) write (h->cmd, "x", 1);
  close (h->cmd);
  close (h->report);
  ck_assert_int_eq (waitpid (h->pid, &status, 0), h->pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/* after @ms, the holder releases (in its own process); the thread only
 * sends the command */
typedef struct
{
  Holder *h;
  guint ms;
} LaterArgs;

static gpointer
release_later_thread (gpointer data)
{
  LaterArgs *args = data;

  g_usleep (args->ms * 1000);
  (void) write (args->h->cmd, "r", 1);
  g_free (args);
  return NULL;
}

static GThread *
holder_release_later (Holder *h, guint ms)
{
  LaterArgs *args = g_new0 (LaterArgs, 1);

  args->h = h;
  args->ms = ms;
  return g_thread_new ("release-later", release_later_thread, args);
}

static void
assert_held_by (const GError *error, const char *image, pid_t pid, const char *owner)
{
  g_autofree char *pidtext = g_strdup_printf (" pid %d ", (int) pid);
  g_autofree char *ownertext = g_strdup_printf (" owner %s ", owner);

  ck_assert_ptr_nonnull (error);
  ck_assert_msg (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_HELD), "%s",
                 error->message);
  ck_assert_msg (strstr (error->message, image) != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, g_get_host_name ()) != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, pidtext) != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, ownertext) != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, " since ") != NULL, "%s", error->message);
}

/* ---- tests ---- */

START_TEST (test_held_other_process)
{
  g_autofree char *img = make_image ("a.img");
  const char *images[] = { img, NULL };
  g_autoptr(QuiesceLeaseManager) m = lockd ("run-B", FALSE);
  g_autoptr(QuiesceLeaseSet) set = NULL;
  g_autoptr(GError) error = NULL;
  Holder h = holder_start ("run-A", FALSE, images, QUIESCE_LEASE_EXCLUSIVE);
  GThread *thread;
  gint64 t0;

  t0 = g_get_monotonic_time ();
  set = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_null (set);
  assert_held_by (error, img, h.pid, "run-A");
  /* "at once" */
  ck_assert_int_lt (g_get_monotonic_time () - t0, G_USEC_PER_SEC / 2);
  g_clear_error (&error);

  /* with a wait, it gets it once the holder lets go */
  thread = holder_release_later (&h, 300);
  t0 = g_get_monotonic_time ();
  set = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 10, NULL, &error);
  ck_assert_msg (set != NULL, "%s", error != NULL ? error->message : "");
  ck_assert_int_ge (g_get_monotonic_time () - t0, 200 * 1000);
  g_thread_join (thread);
  {
    g_autofree char *r = read_report (h.report);
    ck_assert_str_eq (r, "released");
  }
  holder_stop (&h);
}
END_TEST

START_TEST (test_held_same_process)
{
  g_autofree char *img = make_image ("a.img");
  const char *images[] = { img, NULL };
  g_autoptr(QuiesceLeaseManager) m1 = lockd ("first", FALSE);
  g_autoptr(QuiesceLeaseManager) m2 = lockd ("second", FALSE);
  g_autoptr(QuiesceLeaseSet) s1 = NULL;
  g_autoptr(QuiesceLeaseSet) s2 = NULL;
  g_autoptr(GError) error = NULL;

  s1 = quiesce_lease_manager_acquire (m1, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_nonnull (s1);
  /* the same manager twice conflicts too: each acquire is its own fd */
  s2 = quiesce_lease_manager_acquire (m1, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_null (s2);
  assert_held_by (error, img, getpid (), "first");
  g_clear_error (&error);
  s2 = quiesce_lease_manager_acquire (m2, images, QUIESCE_LEASE_SHARED, 0, NULL, &error);
  ck_assert_ptr_null (s2);
  assert_held_by (error, img, getpid (), "first");
  g_clear_error (&error);

  ck_assert (quiesce_lease_set_release (s1, &error));
  ck_assert (quiesce_lease_set_release (s1, &error)); /* twice is fine */
  s2 = quiesce_lease_manager_acquire (m2, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_msg (s2 != NULL, "%s", error != NULL ? error->message : "");
}
END_TEST

START_TEST (test_shared)
{
  g_autofree char *img = make_image ("a.img");
  const char *images[] = { img, NULL };
  g_autoptr(QuiesceLeaseManager) m = lockd ("reader-2", FALSE);
  g_autoptr(QuiesceLeaseSet) s1 = NULL;
  g_autoptr(QuiesceLeaseSet) s2 = NULL;
  g_autoptr(QuiesceLeaseSet) s3 = NULL;
  g_autoptr(GError) error = NULL;
  Holder h = holder_start ("reader-1", FALSE, images, QUIESCE_LEASE_SHARED);

  /* shared + shared, from another process and from this one */
  s1 = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_SHARED, 0, NULL, &error);
  ck_assert_msg (s1 != NULL, "%s", error != NULL ? error->message : "");
  s2 = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_SHARED, 0, NULL, &error);
  ck_assert_msg (s2 != NULL, "%s", error != NULL ? error->message : "");
  /* shared + exclusive */
  s3 = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_null (s3);
  ck_assert (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_HELD));
  ck_assert_msg (strstr (error->message, "(shared)") != NULL, "%s", error->message);
  g_clear_error (&error);
  quiesce_lease_set_release (s1, NULL);
  quiesce_lease_set_release (s2, NULL);
  /* the other process still holds it shared; the info named reader-2,
   * who has gone, so it no longer names anyone rather than a wrong one */
  s3 = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_null (s3);
  ck_assert (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_HELD));
  ck_assert_msg (strstr (error->message, img) != NULL, "%s", error->message);
  ck_assert_msg (strstr (error->message, "reader-2") == NULL, "%s", error->message);
  g_clear_error (&error);
  {
    g_autoptr(GPtrArray) list = quiesce_lease_manager_list (m, &error);
    ck_assert_int_eq (list->len, 1);
    ck_assert_str_eq (quiesce_lease_info_get_image (list->pdata[0]), img);
    ck_assert_str_eq (quiesce_lease_info_get_mode (list->pdata[0]), "shared");
    ck_assert_ptr_null (quiesce_lease_info_get_host (list->pdata[0]));
  }
  holder_release (&h);
  s3 = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_msg (s3 != NULL, "%s", error != NULL ? error->message : "");
  holder_stop (&h);
}
END_TEST

static const char *
find_mode (GPtrArray *list, const char *image)
{
  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (quiesce_lease_info_get_image (list->pdata[i]), image) == 0)
      return quiesce_lease_info_get_mode (list->pdata[i]);
  return NULL;
}

START_TEST (test_all_or_nothing)
{
  g_autofree char *a = make_image ("a.img");
  g_autofree char *b = make_image ("b.img");
  g_autofree char *c = make_image ("c.img");
  const char *only_b[] = { b, NULL };
  const char *all[] = { c, a, b, NULL };
  g_autoptr(QuiesceLeaseManager) m = lockd ("all", FALSE);
  g_autoptr(QuiesceLeaseSet) set = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  Holder h = holder_start ("holds-b", FALSE, only_b, QUIESCE_LEASE_EXCLUSIVE);

  set = quiesce_lease_manager_acquire (m, all, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_null (set);
  assert_held_by (error, b, h.pid, "holds-b");
  g_clear_error (&error);

  /* a (taken first) was let go again, c was never taken */
  list = quiesce_lease_manager_list (m, &error);
  ck_assert_ptr_nonnull (list);
  ck_assert_str_eq (find_mode (list, a), "free");
  ck_assert_str_eq (find_mode (list, b), "exclusive");
  ck_assert_ptr_null (find_mode (list, c));
  {
    const char *only_a[] = { a, NULL };
    g_autoptr(QuiesceLeaseSet) sa =
        quiesce_lease_manager_acquire (m, only_a, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
    ck_assert_msg (sa != NULL, "%s", error != NULL ? error->message : "");
  }

  holder_release (&h);
  set = quiesce_lease_manager_acquire (m, all, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_msg (set != NULL, "%s", error != NULL ? error->message : "");
  {
    const char *const *got = quiesce_lease_set_get_images (set);
    ck_assert_int_eq (g_strv_length ((char **) got), 3);
    ck_assert_str_eq (got[0], a);
    ck_assert_str_eq (got[1], b);
    ck_assert_str_eq (got[2], c);
  }
  holder_stop (&h);
}
END_TEST

/* two processes take {a,b} and {b,a} in a loop; sorted acquisition means
 * neither can hold one while waiting for the other */
static void
rounds (const char *first, const char *second, const char *owner)
{
  const char *images[] = { first, second, NULL };
  g_autoptr(QuiesceLeaseManager) m = lockd (owner, FALSE);

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QuiesceLeaseSet) set =
          quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 20, NULL, &error);

      if (set == NULL)
        {
          g_printerr ("%s round %u: %s\n", owner, i, error->message);
          _exit (1);
        }
      g_usleep (g_random_int_range (0, 3000));
      if (!quiesce_lease_set_release (set, &error))
        _exit (2);
    }
  g_clear_object (&m);
  _exit (0);
}

START_TEST (test_sorted_no_deadlock)
{
  g_autofree char *a = make_image ("a.img");
  g_autofree char *b = make_image ("b.img");
  pid_t p1, p2;
  int s1, s2;

  p1 = fork ();
  ck_assert_int_ge (p1, 0);
  if (p1 == 0)
    rounds (a, b, "ab");
  p2 = fork ();
  ck_assert_int_ge (p2, 0);
  if (p2 == 0)
    rounds (b, a, "ba");
  ck_assert_int_eq (waitpid (p1, &s1, 0), p1);
  ck_assert_int_eq (waitpid (p2, &s2, 0), p2);
  ck_assert (WIFEXITED (s1) && WEXITSTATUS (s1) == 0);
  ck_assert (WIFEXITED (s2) && WEXITSTATUS (s2) == 0);
}
END_TEST

START_TEST (test_sigkill_releases)
{
  g_autofree char *img = make_image ("a.img");
  const char *images[] = { img, NULL };
  g_autoptr(QuiesceLeaseManager) m = lockd ("next", FALSE);
  g_autoptr(QuiesceLeaseSet) set = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  Holder h = holder_start ("crashes", FALSE, images, QUIESCE_LEASE_EXCLUSIVE);
  QuiesceLeaseInfo *info;

  list = quiesce_lease_manager_list (m, &error);
  ck_assert_ptr_nonnull (list);
  ck_assert_int_eq (list->len, 1);
  ck_assert_str_eq (quiesce_lease_info_get_mode (list->pdata[0]), "exclusive");
  g_clear_pointer (&list, g_ptr_array_unref);

  ck_assert_int_eq (kill (h.pid, SIGKILL), 0);
  ck_assert_int_eq (waitpid (h.pid, NULL, 0), h.pid);
  close (h.cmd);
  close (h.report);

  /* the kernel dropped the lock; the stale holder info reads as free */
  list = quiesce_lease_manager_list (m, &error);
  ck_assert_ptr_nonnull (list);
  ck_assert_int_eq (list->len, 1);
  info = list->pdata[0];
  ck_assert_str_eq (quiesce_lease_info_get_mode (info), "free");
  ck_assert_str_eq (quiesce_lease_info_get_image (info), img);
  ck_assert_int_eq (quiesce_lease_info_get_pid (info), h.pid);
  ck_assert_str_eq (quiesce_lease_info_get_owner (info), "crashes");

  set = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_msg (set != NULL, "%s", error != NULL ? error->message : "");
}
END_TEST

START_TEST (test_direct)
{
  g_autofree char *img = make_image ("disk.img");
  const char *images[] = { img, NULL };
  g_autoptr(QuiesceLeaseManager) m = lockd ("direct", TRUE);
  g_autoptr(QuiesceLeaseSet) set = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *content = NULL;
  g_autofree char *path = NULL;
  Holder h = holder_start ("direct-holder", TRUE, images, QUIESCE_LEASE_EXCLUSIVE);

  path = quiesce_lease_manager_get_lease_path (m, img, &error);
  ck_assert_str_eq (path, img);
  set = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_null (set);
  ck_assert (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_HELD));
  ck_assert_msg (strstr (error->message, img) != NULL, "%s", error->message);
  g_clear_error (&error);
  holder_release (&h);
  set = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_msg (set != NULL, "%s", error != NULL ? error->message : "");
  holder_stop (&h);

  /* nothing was written into the image, and no lockspace was made */
  ck_assert (g_file_get_contents (img, &content, NULL, NULL));
  ck_assert_str_eq (content, "IMAGE-CONTENT");
  ck_assert (!g_file_test (lockspace, G_FILE_TEST_EXISTS));

  /* a direct lease needs the image */
  {
    g_autofree char *missing = g_build_filename (tmpdir, "missing.img", NULL);
    const char *none[] = { missing, NULL };
    g_autoptr(QuiesceLeaseSet) s2 =
        quiesce_lease_manager_acquire (m, none, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
    ck_assert_ptr_null (s2);
    ck_assert (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED));
  }
}
END_TEST

START_TEST (test_nop)
{
  g_autofree char *img = make_image ("a.img");
  g_autofree char *dotted = g_build_filename (tmpdir, ".", "a.img", NULL);
  const char *images[] = { img, dotted, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(QuiesceLeaseManager) m = quiesce_lease_manager_new ("nop", NULL, &error);
  g_autoptr(QuiesceLeaseSet) s1 = NULL;
  g_autoptr(QuiesceLeaseSet) s2 = NULL;
  g_autoptr(GPtrArray) list = NULL;

  ck_assert_ptr_nonnull (m);
  ck_assert_str_eq (quiesce_lease_manager_get_plugin (m), "nop");
  s1 = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  s2 = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_nonnull (s1);
  ck_assert_ptr_nonnull (s2);
  /* canonical and deduplicated */
  ck_assert_int_eq (g_strv_length ((char **) quiesce_lease_set_get_images (s1)), 1);
  ck_assert_str_eq (quiesce_lease_set_get_images (s1)[0], img);
  list = quiesce_lease_manager_list (m, &error);
  ck_assert_ptr_nonnull (list);
  ck_assert_int_eq (list->len, 0);
  ck_assert (quiesce_lease_set_release (s1, &error));
}
END_TEST

START_TEST (test_plugins)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QuiesceLeaseManager) m = quiesce_lease_manager_new ("flock", NULL, &error);

  ck_assert_ptr_null (m);
  ck_assert (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_UNSUPPORTED));
  ck_assert_msg (strstr (error->message, "'flock'") != NULL, "%s", error->message);
  g_clear_error (&error);
#if !HAVE_SANLOCK
  m = quiesce_lease_manager_new ("sanlock", "LS", &error);
  ck_assert_ptr_null (m);
  ck_assert (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_UNSUPPORTED));
  ck_assert_str_eq (error->message, "sanlock support is not built in");
  g_clear_error (&error);
#else
  /* built in: the manager exists; tests/integration/test-sanlock.c drives
   * it against a daemon */
  m = quiesce_lease_manager_new ("sanlock", "LS", &error);
  ck_assert_msg (m != NULL, "%s", error != NULL ? error->message : "");
  g_clear_object (&m);
#endif

  /* lockd needs a lockspace unless direct */
  m = quiesce_lease_manager_new ("lockd", NULL, &error);
  ck_assert_ptr_nonnull (m);
  {
    const char *images[] = { "/nonexistent/x.img", NULL };
    g_autoptr(QuiesceLeaseSet) set =
        quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
    ck_assert_ptr_null (set);
    ck_assert (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED));
  }
}
END_TEST

START_TEST (test_list)
{
  g_autofree char *a = make_image ("a.img");
  g_autofree char *b = make_image ("b.img");
  g_autofree char *link = g_build_filename (tmpdir, "b-link.img", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "sub", "..", "new.img", NULL);
  g_autofree char *missing_canon = g_build_filename (tmpdir, "new.img", NULL);
  const char *ia[] = { a, NULL };
  const char *ib[] = { link, missing, NULL };
  g_autoptr(QuiesceLeaseManager) m = lockd ("lister", FALSE);
  g_autoptr(QuiesceLeaseSet) sb = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  Holder h = holder_start ("holder-a", FALSE, ia, QUIESCE_LEASE_EXCLUSIVE);

  ck_assert_int_eq (symlink (b, link), 0);
  sb = quiesce_lease_manager_acquire (m, ib, QUIESCE_LEASE_SHARED, 0, NULL, &error);
  ck_assert_msg (sb != NULL, "%s", error != NULL ? error->message : "");
  /* a stranger in the lockspace is not a lease */
  {
    g_autofree char *junk = g_build_filename (lockspace, "README", NULL);
    ck_assert (g_file_set_contents (junk, "x", -1, NULL));
  }

  list = quiesce_lease_manager_list (m, &error);
  ck_assert_ptr_nonnull (list);
  ck_assert_int_eq (list->len, 3);
  /* sorted by image: a, b (through the symlink), new (normalized) */
  {
    QuiesceLeaseInfo *ia_info = list->pdata[0];
    g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, a, -1);
    g_autofree char *want = g_build_filename (lockspace, sum, NULL);

    ck_assert_str_eq (quiesce_lease_info_get_image (ia_info), a);
    ck_assert_str_eq (quiesce_lease_info_get_path (ia_info), want);
    ck_assert_str_eq (quiesce_lease_info_get_mode (ia_info), "exclusive");
    ck_assert_str_eq (quiesce_lease_info_get_host (ia_info), g_get_host_name ());
    ck_assert_int_eq (quiesce_lease_info_get_pid (ia_info), h.pid);
    ck_assert_str_eq (quiesce_lease_info_get_owner (ia_info), "holder-a");
    ck_assert_int_ge (quiesce_lease_info_get_since (ia_info), now - 5);
    ck_assert_int_le (quiesce_lease_info_get_since (ia_info), now + 5);
  }
  ck_assert_str_eq (quiesce_lease_info_get_image (list->pdata[1]), b);
  ck_assert_str_eq (quiesce_lease_info_get_mode (list->pdata[1]), "shared");
  ck_assert_int_eq (quiesce_lease_info_get_pid (list->pdata[1]), getpid ());
  ck_assert_str_eq (quiesce_lease_info_get_image (list->pdata[2]), missing_canon);
  ck_assert_str_eq (quiesce_lease_info_get_mode (list->pdata[2]), "shared");

  quiesce_lease_set_release (sb, NULL);
  holder_stop (&h);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = quiesce_lease_manager_list (m, &error);
  ck_assert_int_eq (list->len, 3);
  for (guint i = 0; i < list->len; i++)
    ck_assert_str_eq (quiesce_lease_info_get_mode (list->pdata[i]), "free");

  /* a lockspace that is not there */
  {
    g_autofree char *nowhere = g_build_filename (tmpdir, "nowhere", NULL);
    g_autoptr(QuiesceLeaseManager) m2 = quiesce_lease_manager_new ("lockd", nowhere, NULL);
    g_autoptr(GPtrArray) l2 = quiesce_lease_manager_list (m2, &error);
    ck_assert_ptr_null (l2);
    ck_assert (g_error_matches (error, QUIESCE_LEASE_ERROR, QUIESCE_LEASE_ERROR_FAILED));
  }
}
END_TEST

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static gpointer
cancel_thread (gpointer data)
{
  g_usleep (200 * 1000);
  cancel_cb (data);
  return NULL;
}

START_TEST (test_cancel)
{
  g_autofree char *img = make_image ("a.img");
  const char *images[] = { img, NULL };
  g_autoptr(QuiesceLeaseManager) m = lockd ("waiter", FALSE);
  g_autoptr(QuiesceLeaseSet) held = NULL;
  g_autoptr(QuiesceLeaseSet) set = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GThread *thread;
  gint64 t0;

  held = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 0, NULL, &error);
  ck_assert_ptr_nonnull (held);
  thread = g_thread_new ("cancel", cancel_thread, cancellable);
  t0 = g_get_monotonic_time ();
  set = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 30, cancellable,
                                       &error);
  g_thread_join (thread);
  ck_assert_ptr_null (set);
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_int_lt (g_get_monotonic_time () - t0, 5 * G_USEC_PER_SEC);
  g_clear_error (&error);

  /* a wait that runs out names the holder too */
  t0 = g_get_monotonic_time ();
  set = quiesce_lease_manager_acquire (m, images, QUIESCE_LEASE_EXCLUSIVE, 1, NULL, &error);
  ck_assert_ptr_null (set);
  assert_held_by (error, img, getpid (), "waiter");
  ck_assert_int_ge (g_get_monotonic_time () - t0, 900 * 1000);
}
END_TEST

static Suite *
lease_suite (void)
{
  Suite *s = suite_create ("lease");
  TCase *tc = tcase_create ("lockd");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_held_other_process);
  tcase_add_test (tc, test_held_same_process);
  tcase_add_test (tc, test_shared);
  tcase_add_test (tc, test_all_or_nothing);
  tcase_add_test (tc, test_sorted_no_deadlock);
  tcase_add_test (tc, test_sigkill_releases);
  tcase_add_test (tc, test_direct);
  tcase_add_test (tc, test_nop);
  tcase_add_test (tc, test_plugins);
  tcase_add_test (tc, test_list);
  tcase_add_test (tc, test_cancel);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (lease_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
