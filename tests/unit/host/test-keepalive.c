/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QuiesceKeepalive against a fake agent on a socketpair().
 *
 * test-client.c replays a fixed script; a keep-alive sends as many
 * renewals as time allows, so this fake answers by rule instead: sync
 * replies echo the id, ping succeeds, and renew succeeds a given number
 * of times, then answers with a chosen error class for ever.  It frames
 * requests with common/'s framer and envelope parser, as the agent does.
 *
 * Nothing here asserts tight timing: the tests count renewals after a
 * generous wait and only ask for a few of the many that should happen. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qw-envelope.h"
#include "qw-framer.h"
#include "quiesce.h"

#include "fake-agent.h"

#define HANDLE 7
/* long enough for any test machine, valgrind included */
#define WAIT_MS 10000

/* the renew rule, shared by the fake's thread and the test */
typedef struct
{
  GMutex lock;             /* guards all below */
  gint ok_budget;          /* renewals to answer with success; -1: all */
  const char *then_class;  /* the error class after that */
  gint64 expires_in;       /* the reply's expires-in; 0: the timeout asked */
  guint n_renew;           /* renew requests answered */
} Rule;

static FakeAgent *fake;
static Rule rule;
static QuiesceClient *client;

/* the reply to a renew, by the current rule */
static char *
fake_renew_reply (JsonObject *args)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&rule.lock);
  gint64 expires_in = rule.expires_in;

  rule.n_renew++;
  if (rule.ok_budget == 0)
    return g_strdup_printf ("{\"error\":{\"class\":\"%s\",\"desc\":\"handle %" G_GINT64_FORMAT
                            " is gone\"}}\n",
                            rule.then_class,
                            json_object_get_int_member_with_default (args, "handle", -1));
  if (rule.ok_budget > 0)
    rule.ok_budget--;
  if (expires_in == 0)
    expires_in = json_object_get_int_member_with_default (args, "timeout", 60);
  return g_strdup_printf ("{\"return\":{\"expires-in\":%" G_GINT64_FORMAT "}}\n", expires_in);
}

static gboolean
fake_answer (FakeAgent *fa, QwRequest *request, gpointer user_data)
{
  g_autofree char *reply = NULL;

  if (g_strcmp0 (request->execute, "guest-sync-delimited") == 0)
    /* 0xFF, then the id the client sent */
    reply = g_strdup_printf ("\xff{\"return\":%" G_GINT64_FORMAT "}\n",
                             json_object_get_int_member (request->arguments, "id"));
  else if (g_strcmp0 (request->execute, "guest-ping") == 0)
    reply = g_strdup ("{\"return\":{}}\n");
  else if (g_strcmp0 (request->execute, "guest-fsfreeze-renew") == 0)
    reply = fake_renew_reply (request->arguments);
  else
    {
      fake_agent_fail (fa, g_strdup_printf ("unexpected request %s", request->execute));
      reply = g_strdup ("{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"no\"}}\n");
    }
  return fake_agent_send (fa, reply, strlen (reply));
}

/* a client on one end of a socketpair, the fake agent on the other;
 * renew succeeds ok_budget times (-1: always), then fails with then_class */
static void
start (gint ok_budget, const char *then_class)
{
  g_mutex_init (&rule.lock);
  rule.ok_budget = ok_budget;
  rule.then_class = then_class;
  rule.expires_in = 0;
  rule.n_renew = 0;
  fake = fake_agent_start (fake_answer, NULL, 5000, &client);
}

/* closes the client, waits for the fake, checks it saw nothing odd */
static void
finish (void)
{
  g_clear_object (&client);
  fake_agent_finish (g_steal_pointer (&fake));
  g_mutex_clear (&rule.lock);
}

static guint
fake_renewals (void)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&rule.lock);

  return rule.n_renew;
}

/* every renew the client sent asked for this handle and timeout */
static void
assert_renew_requests (guint timeout_s)
{
  g_autofree char *want = g_strdup_printf ("guest-fsfreeze-renew {\"handle\":%d,\"timeout\":%u}",
                                           HANDLE, timeout_s);
  guint n = fake_agent_n_requests (fake);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *req = fake_agent_request (fake, i);

      if (g_str_has_prefix (req, "guest-fsfreeze-renew"))
        ck_assert_str_eq (req, want);
    }
}

/* threads named "keepalive" (GLib names its threads for the kernel) */
static guint
count_keepalive_threads (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;
  guint n = 0;

  ck_assert_ptr_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", name, "comm", NULL);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (path, &comm, NULL, NULL) && g_str_equal (g_strchomp (comm),
                                                                        "keepalive"))
        n++;
    }
  return n;
}

/* a new thread names itself once it runs */
static void
wait_keepalive_threads (guint n)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;

  while (count_keepalive_threads () != n && g_get_monotonic_time () < end)
    g_usleep (1000);
  ck_assert_uint_eq (count_keepalive_threads (), n);
}

/* what the signals said, from whichever thread emitted them */
typedef struct
{
  gint renewed;
  gint errors;
  gint expired;
  GThread *emitter;  /* the thread of the last emission */
  gint64 first_renewed; /* monotonic µs of the first renewed */
  gint64 fifth_renewed; /* and of the fifth */
  GError *error;     /* of the last expired */
  gboolean stop_in_handler;
  GMutex lock;
} Seen;

static void
seen_init (Seen *seen)
{
  memset (seen, 0, sizeof *seen);
  g_mutex_init (&seen->lock);
}

static void
seen_clear (Seen *seen)
{
  g_clear_error (&seen->error);
  g_mutex_clear (&seen->lock);
}

static void
renewed_cb (QuiesceKeepalive *ka, gint64 expires_in, Seen *seen)
{
  ck_assert_int_gt (expires_in, 0);
  g_mutex_lock (&seen->lock);
  seen->emitter = g_thread_self ();
  if (seen->renewed == 0)
    seen->first_renewed = g_get_monotonic_time ();
  if (seen->renewed == 4)
    seen->fifth_renewed = g_get_monotonic_time ();
  g_mutex_unlock (&seen->lock);
  g_atomic_int_inc (&seen->renewed);
}

static void
error_cb (QuiesceKeepalive *ka, const GError *error, Seen *seen)
{
  ck_assert_ptr_nonnull (error);
  g_atomic_int_inc (&seen->errors);
}

static void
expired_cb (QuiesceKeepalive *ka, const GError *error, Seen *seen)
{
  g_mutex_lock (&seen->lock);
  seen->emitter = g_thread_self ();
  g_clear_error (&seen->error);
  seen->error = g_error_copy (error);
  g_mutex_unlock (&seen->lock);
  /* stop is safe from here, in either mode */
  if (seen->stop_in_handler)
    quiesce_keepalive_stop (ka);
  g_atomic_int_inc (&seen->expired);
}

/* five renewals came, paced by the interval, not in a tight loop: the
 * first goes out at start, each next one an interval after the last
 * finished.  Only half of it is asked for, because GLib measures a new
 * timeout from the time cached at the start of the loop iteration */
static void
assert_paced (Seen *seen, guint interval_ms)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&seen->lock);

  ck_assert_int_ge (seen->renewed, 5);
  ck_assert_int_ge (seen->fifth_renewed - seen->first_renewed, 4 * (gint64) interval_ms * 1000 / 2);
}

static QuiesceKeepalive *
keepalive_new (guint timeout_s, guint interval_ms, Seen *seen)
{
  QuiesceKeepalive *ka = quiesce_keepalive_new (client, HANDLE, timeout_s);

  if (interval_ms != 0)
    quiesce_keepalive_set_interval_ms (ka, interval_ms);
  g_signal_connect (ka, "renewed", G_CALLBACK (renewed_cb), seen);
  g_signal_connect (ka, "error", G_CALLBACK (error_cb), seen);
  g_signal_connect (ka, "expired", G_CALLBACK (expired_cb), seen);
  return ka;
}

static gboolean
timeout_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* iterates the default context until *counter >= target or max_ms pass */
static void
spin_until (gint *counter, gint target, guint max_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (max_ms, timeout_flag_cb, &timed_out);

  while (!timed_out && (counter == NULL || g_atomic_int_get (counter) < target))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
}

static void
spin (guint ms)
{
  spin_until (NULL, 0, ms);
}

/* drops the keep-alive; in context mode a cancelled renewal may still
 * hold it until the context runs once more */
static void
keepalive_drop (QuiesceKeepalive **ka)
{
  gpointer weak = *ka;
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;

  g_object_add_weak_pointer (G_OBJECT (weak), &weak);
  g_clear_object (ka);
  while (weak != NULL && g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  ck_assert_msg (weak == NULL, "the keep-alive was not finalized");
}

START_TEST (test_default_interval)
{
  struct
  {
    guint timeout_s;
    guint interval_ms;
  } table[] = {
    { 30, 10000 },   /* a third of the timeout */
    { 0, 20000 },    /* 0: the agent's default, 60 s */
    { 1, 333 },      /* tiny timeouts still get several tries */
    { 3600, 1200000 },
  };

  start (-1, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_autoptr(QuiesceKeepalive) ka = quiesce_keepalive_new (client, HANDLE, table[i].timeout_s);

      ck_assert_uint_eq (quiesce_keepalive_get_interval_ms (ka), table[i].interval_ms);
      ck_assert_uint_eq (quiesce_keepalive_get_timeout (ka), table[i].timeout_s);
      ck_assert_int_eq (quiesce_keepalive_get_handle (ka), HANDLE);
      ck_assert_ptr_eq (quiesce_keepalive_get_client (ka), client);
      ck_assert_int_eq (quiesce_keepalive_get_expires_in (ka), -1);
      quiesce_keepalive_set_interval_ms (ka, 50);
      ck_assert_uint_eq (quiesce_keepalive_get_interval_ms (ka), 50);
    }
  finish ();
}
END_TEST

/* the agent clamps the timeout (--max-timeout): the interval follows the
 * expires-in it reports */
START_TEST (test_interval_follows_agent)
{
  g_autoptr(GError) error = NULL;
  QuiesceKeepalive *ka;
  Seen seen;

  seen_init (&seen);
  start (-1, NULL);
  g_mutex_lock (&rule.lock);
  rule.expires_in = 6;
  g_mutex_unlock (&rule.lock);
  ka = keepalive_new (3600, 0, &seen);
  ck_assert (quiesce_keepalive_start (ka, g_main_context_default (), &error));
  spin_until (&seen.renewed, 1, WAIT_MS);
  ck_assert_int_eq (g_atomic_int_get (&seen.renewed), 1);
  ck_assert_uint_eq (quiesce_keepalive_get_interval_ms (ka), 2000);
  ck_assert_int_le (quiesce_keepalive_get_expires_in (ka), 6);
  ck_assert_int_ge (quiesce_keepalive_get_expires_in (ka), 1);
  assert_renew_requests (3600);
  keepalive_drop (&ka);
  finish ();
  seen_clear (&seen);
}
END_TEST

START_TEST (test_renews_on_context)
{
  g_autoptr(GError) error = NULL;
  QuiesceKeepalive *ka;
  Seen seen;
  guint after_stop;

  seen_init (&seen);
  start (-1, NULL);
  ka = keepalive_new (30, 50, &seen);
  ck_assert (!quiesce_keepalive_is_running (ka));
  ck_assert (quiesce_keepalive_start (ka, g_main_context_default (), &error));
  ck_assert (quiesce_keepalive_is_running (ka));
  spin_until (&seen.renewed, 5, WAIT_MS);
  assert_paced (&seen, 50);
  ck_assert_uint_eq (quiesce_keepalive_get_renewals (ka), (guint) g_atomic_int_get (&seen.renewed));
  ck_assert_int_eq (g_atomic_int_get (&seen.errors), 0);
  ck_assert_int_eq (g_atomic_int_get (&seen.expired), 0);
  ck_assert (!quiesce_keepalive_is_expired (ka));
  ck_assert_ptr_null (quiesce_keepalive_dup_error (ka));
  /* on the context given */
  ck_assert_ptr_eq (seen.emitter, g_thread_self ());
  ck_assert_int_ge (quiesce_keepalive_get_expires_in (ka), 29);
  assert_renew_requests (30);

  quiesce_keepalive_stop (ka);
  quiesce_keepalive_stop (ka);
  ck_assert (!quiesce_keepalive_is_running (ka));
  ck_assert (!quiesce_keepalive_is_expired (ka));
  /* a renewal in flight at stop() may still arrive; then nothing more */
  spin (100);
  after_stop = fake_renewals ();
  spin (300);
  ck_assert_uint_eq (fake_renewals (), after_stop);
  ck_assert_uint_eq (quiesce_keepalive_get_renewals (ka), (guint) g_atomic_int_get (&seen.renewed));
  keepalive_drop (&ka);
  finish ();
  seen_clear (&seen);
}
END_TEST

START_TEST (test_expired_on_context)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) dup = NULL;
  QuiesceKeepalive *ka;
  Seen seen;

  seen_init (&seen);
  start (3, "HandleExpired");
  ka = keepalive_new (30, 50, &seen);
  ck_assert (quiesce_keepalive_start (ka, g_main_context_default (), &error));
  spin_until (&seen.expired, 1, WAIT_MS);
  ck_assert_int_eq (g_atomic_int_get (&seen.expired), 1);
  ck_assert_int_eq (g_atomic_int_get (&seen.renewed), 3);
  ck_assert_int_eq (g_atomic_int_get (&seen.errors), 0);
  ck_assert_msg (g_error_matches (seen.error, QUIESCE_AGENT_ERROR,
                                  QUIESCE_AGENT_ERROR_HANDLE_EXPIRED),
                 "%s", seen.error->message);
  /* the agent's own message, which names the handle and the time */
  ck_assert_str_eq (seen.error->message, "handle 7 is gone");
  ck_assert (quiesce_keepalive_is_expired (ka));
  ck_assert (!quiesce_keepalive_is_running (ka));
  dup = quiesce_keepalive_dup_error (ka);
  ck_assert (g_error_matches (dup, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_HANDLE_EXPIRED));

  /* renewals have stopped, and expired came once */
  spin (300);
  ck_assert_uint_eq (fake_renewals (), 4);
  ck_assert_int_eq (g_atomic_int_get (&seen.expired), 1);
  quiesce_keepalive_stop (ka);
  ck_assert (quiesce_keepalive_is_expired (ka));
  keepalive_drop (&ka);
  finish ();
  seen_clear (&seen);
}
END_TEST

/* an unknown handle, in own-thread mode, is reported at once: the first
 * renewal goes out at start, long before the 10 s interval */
START_TEST (test_not_found_on_thread)
{
  g_autoptr(GError) error = NULL;
  QuiesceKeepalive *ka;
  Seen seen;
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;

  seen_init (&seen);
  seen.stop_in_handler = TRUE;
  start (0, "HandleNotFound");
  ka = keepalive_new (30, 10000, &seen);
  ck_assert (quiesce_keepalive_start (ka, NULL, &error));
  while (g_atomic_int_get (&seen.expired) == 0 && g_get_monotonic_time () < end)
    g_usleep (1000);
  ck_assert_int_eq (g_atomic_int_get (&seen.expired), 1);
  ck_assert_int_eq (g_atomic_int_get (&seen.renewed), 0);
  g_mutex_lock (&seen.lock);
  ck_assert (g_error_matches (seen.error, QUIESCE_AGENT_ERROR,
                              QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND));
  ck_assert_ptr_ne (seen.emitter, g_thread_self ());
  g_mutex_unlock (&seen.lock);
  ck_assert (quiesce_keepalive_is_expired (ka));
  ck_assert_uint_eq (quiesce_keepalive_get_renewals (ka), 0);
  /* joins the thread the handler could not */
  quiesce_keepalive_stop (ka);
  ck_assert_uint_eq (count_keepalive_threads (), 0);
  ck_assert_uint_eq (fake_renewals (), 1);
  g_clear_object (&ka);
  finish ();
  seen_clear (&seen);
}
END_TEST

/* the caller blocks without iterating any context: its own thread keeps
 * renewing, while the caller still uses the same client */
START_TEST (test_own_thread_while_blocked)
{
  g_autoptr(GError) error = NULL;
  QuiesceKeepalive *ka;
  Seen seen;

  seen_init (&seen);
  start (-1, NULL);
  ka = keepalive_new (30, 50, &seen);
  ck_assert (quiesce_keepalive_start (ka, NULL, &error));
  wait_keepalive_threads (1);
  /* blocked: this thread iterates no context at all */
  for (guint waited = 0; g_atomic_int_get (&seen.renewed) < 5 && waited < WAIT_MS; waited += 100)
    g_usleep (100 * 1000);
  assert_paced (&seen, 50);
  /* the transport serialises calls: pings from here interleave safely */
  for (guint i = 0; i < 20; i++)
    {
      ck_assert_msg (quiesce_client_ping (client, NULL, &error), "%s", error->message);
      g_usleep (5000);
    }
  ck_assert_int_eq (g_atomic_int_get (&seen.errors), 0);
  ck_assert_int_eq (g_atomic_int_get (&seen.expired), 0);
  g_mutex_lock (&seen.lock);
  ck_assert_ptr_ne (seen.emitter, g_thread_self ());
  g_mutex_unlock (&seen.lock);
  assert_renew_requests (30);

  quiesce_keepalive_stop (ka);
  ck_assert_uint_eq (count_keepalive_threads (), 0);
  quiesce_keepalive_stop (ka);
  ck_assert_uint_eq (quiesce_keepalive_get_renewals (ka), (guint) g_atomic_int_get (&seen.renewed));
  g_clear_object (&ka);
  finish ();
  seen_clear (&seen);
}
END_TEST

/* renewals fail with a class that is not an expiry: error each time,
 * retries, and once the next try would come after the deadline,
 * expired with the last failure ("lost") */
START_TEST (test_lost)
{
  g_autoptr(GError) error = NULL;
  QuiesceKeepalive *ka;
  Seen seen;

  seen_init (&seen);
  start (1, "GenericError");
  ka = keepalive_new (1, 100, &seen);
  ck_assert (quiesce_keepalive_start (ka, g_main_context_default (), &error));
  spin_until (&seen.expired, 1, WAIT_MS);
  ck_assert_int_eq (g_atomic_int_get (&seen.expired), 1);
  ck_assert_int_eq (g_atomic_int_get (&seen.renewed), 1);
  /* retries every 25 ms for most of a second */
  ck_assert_int_ge (g_atomic_int_get (&seen.errors), 3);
  ck_assert_msg (g_error_matches (seen.error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_GENERIC),
                 "%s", seen.error->message);
  ck_assert_msg (strstr (seen.error->message, "could not be renewed before its deadline") != NULL,
                 "%s", seen.error->message);
  ck_assert (quiesce_keepalive_is_expired (ka));
  ck_assert_int_eq (quiesce_keepalive_get_expires_in (ka), 0);
  spin (200);
  ck_assert_int_eq (g_atomic_int_get (&seen.expired), 1);
  keepalive_drop (&ka);
  finish ();
  seen_clear (&seen);
}
END_TEST

/* stop before start, twice, and dispose without stop: no thread is left */
START_TEST (test_stop_idempotent)
{
  g_autoptr(GError) error = NULL;
  QuiesceKeepalive *ka;
  Seen seen;

  seen_init (&seen);
  start (-1, NULL);

  ka = keepalive_new (30, 50, &seen);
  quiesce_keepalive_stop (ka);
  quiesce_keepalive_stop (ka);
  g_clear_object (&ka);

  ka = keepalive_new (30, 50, &seen);
  ck_assert (quiesce_keepalive_start (ka, NULL, &error));
  g_usleep (100 * 1000);
  quiesce_keepalive_stop (ka);
  quiesce_keepalive_stop (ka);
  g_clear_object (&ka);
  ck_assert_uint_eq (count_keepalive_threads (), 0);

  /* dropping the last reference stops too; if it raced with a renewal
   * the thread finalizes the keep-alive and ends by itself */
  ka = keepalive_new (30, 50, &seen);
  ck_assert (quiesce_keepalive_start (ka, NULL, &error));
  g_usleep (100 * 1000);
  g_clear_object (&ka);
  wait_keepalive_threads (0);

  /* the same on a context, with a renewal likely in flight */
  ka = keepalive_new (30, 50, &seen);
  ck_assert (quiesce_keepalive_start (ka, g_main_context_default (), &error));
  spin (100);
  keepalive_drop (&ka);

  ck_assert_int_eq (g_atomic_int_get (&seen.errors), 0);
  ck_assert_int_eq (g_atomic_int_get (&seen.expired), 0);
  finish ();
  seen_clear (&seen);
}
END_TEST

static Suite *
keepalive_suite (void)
{
  Suite *s = suite_create ("host-keepalive");
  TCase *tc = tcase_create ("keepalive");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_default_interval);
  tcase_add_test (tc, test_interval_follows_agent);
  tcase_add_test (tc, test_renews_on_context);
  tcase_add_test (tc, test_expired_on_context);
  tcase_add_test (tc, test_not_found_on_thread);
  tcase_add_test (tc, test_own_thread_while_blocked);
  tcase_add_test (tc, test_lost);
  tcase_add_test (tc, test_stop_idempotent);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *runner = srunner_create (keepalive_suite ());
  int failed;

  srunner_run_all (runner, CK_ENV);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
