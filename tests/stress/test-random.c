/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stress: random clients against the kernel's truth.
 *
 *   test-random [--seconds S] [--seed N]
 *
 * 8 client processes work over 8 loop filesystems for S seconds (default
 * 35): random acquires of random subsets with short timeouts (1-3 s, so
 * that deadlines expire too), releases, renewals, status, handle lists,
 * legacy freeze-list/thaw, and disconnects: with handles held, in the
 * middle of a message, and right after sending an acquire (whose reply the
 * agent then drops; the handle still exists and its deadline ends it).
 *
 * A checker samples the invariant "a filesystem is frozen if and only if
 * some live handle holds it".  To sample without racing the clients it
 * pauses them (a flag in shared memory, and a count of operations in
 * flight that must drop to 0), waits out the settling time of abandoned
 * requests, then takes guest-fsfreeze-handles, the kernel's truth
 * (StProbe: a child that creates a file finishes, or blocks on the
 * freeze), and guest-fsfreeze-handles again; a sample counts only if both
 * lists agree.  The agent still changes its table by itself while the
 * clients are paused: a deadline that passes leaves the list at once and
 * its thaw follows a moment later.  So a mismatch is confirmed by a second
 * sample 500 ms later; only a mismatch of the same filesystem in the same
 * direction in both samples is a violation (a missed thaw or a lost
 * freeze persists; a thaw in progress does not).
 *
 * The clients check what they can see themselves: a release or renewal
 * that succeeds more than 1 s after the handle's deadline, a handle that
 * expires before its deadline, a live handle of their own missing from
 * the list, and any reply of a class the situation does not allow.
 *
 * At the end every client releases what it holds, the abandoned handles
 * expire, and nothing may be frozen.  Prints operations, samples and
 * violations; the test fails unless violations and unexpected replies are
 * 0. */
#include "qt-harness.h"
#include "qt-sweep.h"
#include "st-util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_FS       8
#define N_CLIENTS  8
#define MAX_HELD   2 /* handles a client holds at once */
#define CONFIRM_MS 500
#define SETTLE_MS  2000 /* how long an abandoned request may still run */
#define N_MSGS     16
#define REPLY_MS   30000

static long opt_seconds = 35;
static long opt_seed;

enum
{
  C_OPS,
  C_ACQUIRE,
  C_ACQUIRE_OK,
  C_RELEASE,
  C_RELEASE_OK,
  C_RELEASE_EXPIRED,
  C_RENEW,
  C_RENEW_OK,
  C_RENEW_EXPIRED,
  C_STATUS,
  C_PING,
  C_HANDLES,
  C_DISCONNECT,
  C_MIDMSG,
  C_ABANDON,
  C_ABANDON_SEEN,
  C_LEGACY_FREEZE,
  C_LEGACY_FREEZE_OK,
  C_LEGACY_THAW,
  C_LEGACY_THAW_OK,
  C_UNEXPECTED,
  C_N
};

typedef struct
{
  int pause;
  int inflight;
  int stop;
  gint64 settle_until_ms;
  gint64 counter[C_N];
  int n_msgs;
  char msg[N_MSGS][640];
} Shared;

static Shared *sh;

static void
count (int which)
{
  __atomic_add_fetch (&sh->counter[which], 1, __ATOMIC_SEQ_CST);
}

static void unexpected (int client, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
unexpected (int client, const char *fmt, ...)
{
  va_list ap;
  int slot;

  count (C_UNEXPECTED);
  slot = __atomic_fetch_add (&sh->n_msgs, 1, __ATOMIC_SEQ_CST);
  if (slot >= N_MSGS)
    return;
  va_start (ap, fmt);
  {
    g_autofree char *m = g_strdup_vprintf (fmt, ap);
    snprintf (sh->msg[slot], sizeof sh->msg[slot], "client %d at %" G_GINT64_FORMAT " ms: %s",
              client, qt_now_ms (), m);
  }
  va_end (ap);
}

/* ---- the pause protocol ---- */

static void
op_enter (void)
{
  for (;;)
    {
      while (__atomic_load_n (&sh->pause, __ATOMIC_SEQ_CST))
        qt_sleep_ms (1);
      __atomic_add_fetch (&sh->inflight, 1, __ATOMIC_SEQ_CST);
      if (!__atomic_load_n (&sh->pause, __ATOMIC_SEQ_CST))
        return;
      __atomic_sub_fetch (&sh->inflight, 1, __ATOMIC_SEQ_CST);
    }
}

static void
op_leave (void)
{
  __atomic_sub_fetch (&sh->inflight, 1, __ATOMIC_SEQ_CST);
}

/* an abandoned request may run on for a while: no sample until then */
static void
settle_later (void)
{
  gint64 until = qt_now_ms () + SETTLE_MS;
  gint64 cur = __atomic_load_n (&sh->settle_until_ms, __ATOMIC_SEQ_CST);

  while (cur < until
         && !__atomic_compare_exchange_n (&sh->settle_until_ms, &cur, until, FALSE,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
    ;
}

/* ---- a client ---- */

typedef struct
{
  gint64 id;
  gint64 deadline_lo; /* the deadline is after this (monotonic ms) */
  gint64 deadline_hi; /* and not after this */
  gint64 hold_until;  /* when the client lets it go */
} Held;

typedef struct
{
  int n;
  GRand *rand;
  const char *socket;
  const char *const *mps;
  StConn *conn;
  GArray *held;      /* Held */
  GArray *forgotten; /* Held: left to expire */
  gint64 next_acquire;
} Client;

static void
client_reconnect (Client *c)
{
  g_clear_pointer (&c->conn, st_conn_free);
  c->conn = st_conn_new (c->socket, 10000);
  if (c->conn == NULL)
    {
      unexpected (c->n, "cannot connect to the agent");
      _exit (3);
    }
}

/* a call; on no reply the client reports it and reconnects */
static JsonNode *
client_call (Client *c, const char *req)
{
  g_autofree char *why = NULL;
  JsonNode *r = st_conn_call (c->conn, req, REPLY_MS, &why);

  if (r == NULL)
    {
      unexpected (c->n, "%s: %s", req, why);
      client_reconnect (c);
    }
  return r;
}

static char *
random_mountpoints (Client *c, int max)
{
  int k = st_rand (c->rand, 1, max);
  gboolean pick[N_FS] = { 0 };
  GString *s = g_string_new ("[");
  gboolean comma = FALSE;

  for (int i = 0; i < k; i++)
    pick[st_rand (c->rand, 0, N_FS - 1)] = TRUE;
  for (int i = 0; i < N_FS; i++)
    if (pick[i])
      {
        g_string_append_printf (s, "%s\"%s\"", comma ? "," : "", c->mps[i]);
        comma = TRUE;
      }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static char *
acquire_request_owner (Client *c, int timeout, const char *owner)
{
  g_autofree char *mps = random_mountpoints (c, 2);

  return g_strdup_printf ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":"
                          "%s,\"owner\":\"%s\",\"timeout\":%d}}",
                          mps, owner, timeout);
}

static char *
acquire_request (Client *c, int timeout)
{
  g_autofree char *owner = g_strdup_printf ("st-client-%d", c->n);

  return acquire_request_owner (c, timeout, owner);
}

/* Closes right after an acquire: the agent drops the reply, and the handle
 * (if the agent got to the request) lives until its deadline.  Its
 * owner is unique, so the client can see it appear (then the request is
 * done); if it does not within 300 ms, the checker waits SETTLE_MS. */
static void
op_abandon (Client *c)
{
  static guint seq;
  g_autofree char *owner = g_strdup_printf ("st-abandon-%d-%u", c->n, seq++);
  g_autofree char *req = NULL;
  gint64 until;

  req = g_strdup_printf ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":"
                         "[\"%s\"],\"owner\":\"%s\",\"timeout\":1}}",
                         c->mps[st_rand (c->rand, 0, N_FS - 1)], owner);

  count (C_ABANDON);
  (void)st_conn_send (c->conn, req, strlen (req));
  client_reconnect (c);
  until = qt_now_ms () + 300;
  while (qt_now_ms () < until)
    {
      g_autofree char *why = NULL;
      g_autoptr (StHandles) hs = st_handles_get (c->conn, &why);
      if (hs == NULL)
        {
          unexpected (c->n, "%s", why);
          client_reconnect (c);
          break;
        }
      for (guint i = 0; i < hs->handles->len; i++)
        if (g_strcmp0 (((StHandle *)g_ptr_array_index (hs->handles, i))->owner, owner) == 0)
          {
            count (C_ABANDON_SEEN);
            return;
          }
      qt_sleep_ms (5);
    }
  settle_later ();
}

static void
op_acquire (Client *c)
{
  int timeout = st_rand (c->rand, 1, 3);
  g_autofree char *req = acquire_request (c, timeout);
  g_autoptr (JsonNode) r = NULL;
  gint64 t0 = qt_now_ms ();
  const char *cls;
  JsonNode *ret;
  JsonObject *o;
  Held held;
  gint64 e;

  count (C_ACQUIRE);
  if ((r = client_call (c, req)) == NULL)
    return;
  if ((cls = st_reply_error_class (r)) != NULL)
    {
      unexpected (c->n, "%s: %s", req, st_conn_last_reply (c->conn));
      return;
    }
  ret = st_reply_return (r);
  o = ret != NULL && JSON_NODE_HOLDS_OBJECT (ret) ? json_node_get_object (ret) : NULL;
  e = qt_int_or (o, "expires-in", -1);
  if (o == NULL || qt_int_or (o, "handle", 0) <= 0 || e < 0 || e > timeout)
    {
      unexpected (c->n, "%s: bad reply %s", req, st_conn_last_reply (c->conn));
      return;
    }
  count (C_ACQUIRE_OK);
  held.id = qt_int_or (o, "handle", 0);
  held.deadline_lo = t0 + (e - 1) * 1000;
  held.deadline_hi = qt_now_ms () + e * 1000;
  /* sometimes past the deadline: the release then meets HandleExpired */
  held.hold_until = qt_now_ms () + st_rand (c->rand, 0, 1200);
  g_array_append_val (c->held, held);
}

/* release or renew of a held handle; checks the deadline against the
 * outcome */
static void
op_release_or_renew (Client *c, GArray *list, guint k, gboolean renew)
{
  Held *held = &g_array_index (list, Held, k);
  int timeout = st_rand (c->rand, 1, 3);
  g_autofree char *req = NULL;
  g_autoptr (JsonNode) r = NULL;
  gint64 t0 = qt_now_ms ();
  gint64 t1;
  const char *cls;

  if (renew)
    req = g_strdup_printf (
        "{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
        ",\"timeout\":%d}}",
        held->id, timeout);
  else
    req = g_strdup_printf (
        "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT "}}",
        held->id);
  count (renew ? C_RENEW : C_RELEASE);
  if ((r = client_call (c, req)) == NULL)
    {
      /* unknown outcome: forget it, its deadline ends it */
      g_array_remove_index_fast (list, k);
      return;
    }
  t1 = qt_now_ms ();
  cls = st_reply_error_class (r);
  if (cls == NULL)
    {
      if (t0 > held->deadline_hi + 1000)
        unexpected (c->n,
                    "handle %" G_GINT64_FORMAT " was still alive %" G_GINT64_FORMAT
                    " ms after its deadline: %s -> %s",
                    held->id, t0 - held->deadline_hi, req, st_conn_last_reply (c->conn));
      if (renew)
        {
          JsonNode *ret = st_reply_return (r);
          JsonObject *o
              = ret != NULL && JSON_NODE_HOLDS_OBJECT (ret) ? json_node_get_object (ret) : NULL;
          gint64 e = qt_int_or (o, "expires-in", -1);
          if (e < 0 || e > timeout)
            unexpected (c->n, "%s: bad reply %s", req, st_conn_last_reply (c->conn));
          held->deadline_lo = t0 + (e - 1) * 1000;
          held->deadline_hi = t1 + e * 1000;
          count (C_RENEW_OK);
        }
      else
        {
          g_array_remove_index_fast (list, k);
          count (C_RELEASE_OK);
        }
      return;
    }
  if (g_strcmp0 (cls, "HandleExpired") == 0)
    {
      if (t1 < held->deadline_lo)
        unexpected (c->n,
                    "handle %" G_GINT64_FORMAT " expired %" G_GINT64_FORMAT
                    " ms before its deadline: %s -> %s",
                    held->id, held->deadline_lo - t1, req, st_conn_last_reply (c->conn));
      count (renew ? C_RENEW_EXPIRED : C_RELEASE_EXPIRED);
    }
  else
    unexpected (c->n, "%s: %s", req, st_conn_last_reply (c->conn));
  g_array_remove_index_fast (list, k);
}

static void
op_handles (Client *c)
{
  g_autofree char *why = NULL;
  g_autoptr (StHandles) hs = NULL;

  count (C_HANDLES);
  hs = st_handles_get (c->conn, &why);
  if (hs == NULL)
    {
      unexpected (c->n, "%s", why);
      client_reconnect (c);
      return;
    }
  for (guint i = 0; i < c->held->len + c->forgotten->len; i++)
    {
      Held *held = i < c->held->len ? &g_array_index (c->held, Held, i)
                                    : &g_array_index (c->forgotten, Held, i - c->held->len);
      gboolean listed = st_handles_find (hs, held->id) != NULL;
      if (!listed && held->deadline_lo > hs->t_reply_ms)
        unexpected (c->n,
                    "handle %" G_GINT64_FORMAT " is missing from the list %" G_GINT64_FORMAT
                    " ms before its deadline: %s",
                    held->id, held->deadline_lo - hs->t_reply_ms, st_conn_last_reply (c->conn));
      if (listed && hs->t_sent_ms > held->deadline_hi + 1000)
        unexpected (c->n,
                    "handle %" G_GINT64_FORMAT " is still listed %" G_GINT64_FORMAT
                    " ms after its deadline: %s",
                    held->id, hs->t_sent_ms - held->deadline_hi, st_conn_last_reply (c->conn));
    }
}

static void
op_simple (Client *c, int which, const char *req, const char *allowed_error)
{
  g_autoptr (JsonNode) r = NULL;
  const char *cls;
  JsonNode *ret;

  count (which);
  if ((r = client_call (c, req)) == NULL)
    return;
  cls = st_reply_error_class (r);
  ret = st_reply_return (r);
  if (cls == NULL)
    {
      gboolean ok = which == C_PING ? ret != NULL && JSON_NODE_HOLDS_OBJECT (ret)
                    : which == C_STATUS
                        ? ret != NULL && JSON_NODE_HOLDS_VALUE (ret)
                              && json_node_get_value_type (ret) == G_TYPE_STRING
                              && (g_strcmp0 (json_node_get_string (ret), "frozen") == 0
                                  || g_strcmp0 (json_node_get_string (ret), "thawed") == 0)
                        : ret != NULL && JSON_NODE_HOLDS_VALUE (ret)
                              && json_node_get_value_type (ret) == G_TYPE_INT64
                              && json_node_get_int (ret) >= 0;
      if (!ok)
        unexpected (c->n, "%s: bad reply %s", req, st_conn_last_reply (c->conn));
      if (which == C_LEGACY_FREEZE)
        count (C_LEGACY_FREEZE_OK);
      if (which == C_LEGACY_THAW)
        count (C_LEGACY_THAW_OK);
    }
  else if (allowed_error == NULL || g_strcmp0 (cls, allowed_error) != 0)
    unexpected (c->n, "%s: %s", req, st_conn_last_reply (c->conn));
}

/* A client holds a handle less than half of the time, so that the
 * filesystems are thawed a good part of it: after a release it waits
 * 0-2.5 s before the next acquire, and it holds a handle 0-1.2 s (past its
 * 1-3 s deadline, sometimes, unless it renewed it).  One handle in seven
 * is left to expire; 1.5 s after its deadline its release must be
 * HandleExpired. */
static void
client_step (Client *c)
{
  gint64 now = qt_now_ms ();
  int x;

  count (C_OPS);
  for (guint i = 0; i < c->forgotten->len; i++)
    if (now > g_array_index (c->forgotten, Held, i).deadline_hi + 1500)
      {
        op_release_or_renew (c, c->forgotten, i, FALSE);
        return;
      }
  for (guint i = 0; i < c->held->len; i++)
    if (now >= g_array_index (c->held, Held, i).hold_until)
      {
        if (st_rand (c->rand, 0, 6) == 0)
          {
            g_array_append_val (c->forgotten, g_array_index (c->held, Held, i));
            g_array_remove_index_fast (c->held, i);
          }
        else
          op_release_or_renew (c, c->held, i, FALSE);
        c->next_acquire = now + st_rand (c->rand, 0, 2500);
        return;
      }

  x = st_rand (c->rand, 0, 999);
  if (x < 250)
    {
      if (c->held->len < MAX_HELD && now >= c->next_acquire)
        op_acquire (c);
      else
        op_simple (c, C_STATUS, "{\"execute\":\"guest-fsfreeze-status\"}", NULL);
    }
  else if (x < 400)
    {
      if (c->held->len > 0)
        op_release_or_renew (c, c->held, (guint)st_rand (c->rand, 0, (int)c->held->len - 1), TRUE);
      else
        op_handles (c);
    }
  else if (x < 520)
    op_simple (c, C_STATUS, "{\"execute\":\"guest-fsfreeze-status\"}", NULL);
  else if (x < 660)
    op_handles (c);
  else if (x < 720)
    {
      /* close with handles held: they belong to no connection */
      count (C_DISCONNECT);
      client_reconnect (c);
    }
  else if (x < 770)
    {
      /* close in the middle of a message: nothing may happen */
      g_autofree char *req = acquire_request (c, 3);
      gsize cut = (gsize)st_rand (c->rand, 1, (int)strlen (req) - 1);
      count (C_MIDMSG);
      (void)st_conn_send (c->conn, req, cut);
      client_reconnect (c);
    }
  else if (x < 771)
    op_abandon (c);
  else if (x < 820)
    {
      g_autofree char *mps = random_mountpoints (c, 2);
      g_autofree char *req = g_strdup_printf (
          "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":%s}}", mps);
      /* CommandNotFound: the legacy handle is held already */
      op_simple (c, C_LEGACY_FREEZE, req, "CommandNotFound");
    }
  else if (x < 900)
    /* HandleExpired: once after the legacy handle expired */
    op_simple (c, C_LEGACY_THAW, "{\"execute\":\"guest-fsfreeze-thaw\"}", "HandleExpired");
  else
    op_simple (c, C_PING, "{\"execute\":\"guest-ping\"}", NULL);
}

static void G_GNUC_NORETURN
client_main (int n, const char *socket, const char *const *mps, guint32 seed)
{
  Client c = { 0 };

  c.n = n;
  c.rand = g_rand_new_with_seed (seed);
  c.socket = socket;
  c.mps = mps;
  c.held = g_array_new (FALSE, FALSE, sizeof (Held));
  c.forgotten = g_array_new (FALSE, FALSE, sizeof (Held));
  client_reconnect (&c);
  while (!__atomic_load_n (&sh->stop, __ATOMIC_SEQ_CST))
    {
      qt_sleep_ms (st_rand (c.rand, 2, 25));
      op_enter ();
      client_step (&c);
      op_leave ();
    }
  /* the end: release what this client holds */
  while (c.held->len > 0)
    {
      op_enter ();
      op_release_or_renew (&c, c.held, 0, FALSE);
      op_leave ();
    }
  st_conn_free (c.conn);
  _exit (0);
}

/* ---- the checker ---- */

typedef struct
{
  guint samples;   /* consistent samples */
  guint unstable;  /* the two handle lists differed */
  guint settling;  /* skipped: an abandoned request was settling */
  guint transient; /* a mismatch gone 500 ms later */
  guint violations;
  guint fs_frozen; /* filesystems seen frozen, over all samples */
  guint fs_thawed;
  gint64 pause_ms_max; /* longest pause of the clients */
} Figures;

/* one sample: H1, kernel, H2.  FALSE if the lists differ (then *H is
 * NULL). */
static gboolean
take_sample (StConn *conn, StProbe *probe, StHandles **h, gboolean *frozen)
{
  g_autofree char *why = NULL;
  g_autoptr (StHandles) h1 = NULL;
  g_autoptr (StHandles) h2 = NULL;

  h1 = st_handles_get (conn, &why);
  ck_assert_msg (h1 != NULL, "checker: %s", why);
  ck_assert_msg (st_probe_run (probe, frozen, 10000, &why), "checker: %s", why);
  h2 = st_handles_get (conn, &why);
  ck_assert_msg (h2 != NULL, "checker: %s", why);
  *h = NULL;
  if (!st_handles_same (h1, h2))
    return FALSE;
  *h = g_steal_pointer (&h1);
  return TRUE;
}

static void
pause_clients (Figures *f)
{
  gint64 t0 = qt_now_ms ();

  __atomic_store_n (&sh->pause, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n (&sh->inflight, __ATOMIC_SEQ_CST) != 0)
    {
      ck_assert_msg (qt_now_ms () - t0 < REPLY_MS + 5000,
                     "the clients did not pause: %d operations stay in flight",
                     __atomic_load_n (&sh->inflight, __ATOMIC_SEQ_CST));
      qt_sleep_ms (1);
    }
}

static void
resume_clients (Figures *f, gint64 t0)
{
  __atomic_store_n (&sh->pause, 0, __ATOMIC_SEQ_CST);
  f->pause_ms_max = MAX (f->pause_ms_max, qt_now_ms () - t0);
}

static void
check_once (StConn *conn, StProbe *probe, const char *const *mps, Figures *f)
{
  g_autoptr (StHandles) h = NULL;
  g_autoptr (StHandles) h2 = NULL;
  gboolean frozen[N_FS];
  gboolean frozen2[N_FS];
  gboolean mismatch[N_FS];
  gboolean any = FALSE;
  gint64 t0 = qt_now_ms ();

  pause_clients (f);
  if (qt_now_ms () < __atomic_load_n (&sh->settle_until_ms, __ATOMIC_SEQ_CST))
    {
      f->settling++;
      resume_clients (f, t0);
      return;
    }
  if (!take_sample (conn, probe, &h, frozen))
    {
      f->unstable++;
      resume_clients (f, t0);
      return;
    }
  f->samples++;
  for (int i = 0; i < N_FS; i++)
    {
      mismatch[i] = st_handles_hold (h, mps[i]) != frozen[i];
      any |= mismatch[i];
      if (frozen[i])
        f->fs_frozen++;
      else
        f->fs_thawed++;
    }
  if (!any)
    {
      resume_clients (f, t0);
      return;
    }

  /* confirm, still paused */
  for (int tries = 0;; tries++)
    {
      qt_sleep_ms (CONFIRM_MS);
      if (take_sample (conn, probe, &h2, frozen2))
        break;
      ck_assert_msg (tries < 20, "checker: the handle list never settled");
    }
  {
    g_autofree char *d1 = st_handles_describe (h);
    g_autofree char *d2 = st_handles_describe (h2);
    gboolean confirmed = FALSE;

    for (int i = 0; i < N_FS; i++)
      if (mismatch[i] && frozen2[i] == frozen[i] && st_handles_hold (h2, mps[i]) != frozen2[i])
        {
          confirmed = TRUE;
          f->violations++;
          g_printerr ("VIOLATION: %s is %s, but %s (for %d ms at least)\n"
                      "  handles then: %s\n  handles now:  %s\n",
                      mps[i], frozen[i] ? "frozen" : "thawed",
                      frozen[i] ? "no handle holds it" : "a handle holds it", CONFIRM_MS, d1, d2);
        }
    if (!confirmed)
      {
        f->transient++;
        if (g_getenv ("ST_VERBOSE") != NULL)
          {
            for (int i = 0; i < N_FS; i++)
              if (mismatch[i])
                g_print ("# transient: %s %s; handles %s; 500 ms later %s (%s)\n", mps[i],
                         frozen[i] ? "frozen" : "thawed", d1, frozen2[i] ? "frozen" : "thawed", d2);
          }
      }
  }
  resume_clients (f, t0);
}

START_TEST (test_random_clients)
{
  QtHarness *h = qt_harness ();
  const char *mps[N_FS + 1] = { NULL };
  pid_t pids[N_CLIENTS];
  g_autoptr (StConn) conn = NULL;
  g_autoptr (StHandles) end = NULL;
  g_autofree char *why = NULL;
  StProbe *probe;
  Figures f = { 0 };
  guint32 seed = opt_seed != 0 ? (guint32)opt_seed : g_random_int ();
  gboolean frozen[N_FS];
  gint64 t_end;
  int failed_clients = 0;

  sh = mmap (NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_msg (sh != MAP_FAILED, "mmap: %s", g_strerror (errno));
  memset (sh, 0, sizeof *sh);

  for (int i = 0; i < N_FS; i++)
    {
      g_autofree char *name = g_strdup_printf ("f%d", i);
      mps[i] = qt_fs_add (h, name, "ext4", 64);
    }
  /* the legacy handle expires quickly too */
  qt_agent_start (h, "--legacy-timeout", "3", NULL);
  probe = st_probe_new (mps);
  conn = st_conn_new (qt_agent_socket (h), 10000);
  ck_assert_msg (conn != NULL, "cannot connect");
  ck_assert_msg (st_probe_run (probe, frozen, 10000, &why), "%s", why);
  for (int i = 0; i < N_FS; i++)
    ck_assert_msg (!frozen[i], "%s is frozen before the test", mps[i]);

  st_note_foreign_freezers ();
  g_print ("# %d clients over %d filesystems for %ld s, seed %u (--seed %u repeats the "
           "clients' choices)\n",
           N_CLIENTS, N_FS, opt_seconds, seed, seed);
  for (int n = 0; n < N_CLIENTS; n++)
    {
      pids[n] = fork ();
      ck_assert_msg (pids[n] >= 0, "fork: %s", g_strerror (errno));
      if (pids[n] == 0)
        client_main (n, qt_agent_socket (h), mps, seed + (guint32)n * 7919u);
    }

  t_end = qt_now_ms () + opt_seconds * 1000;
  while (qt_now_ms () < t_end)
    {
      check_once (conn, probe, mps, &f);
      qt_sleep_ms (40);
    }

  /* the end: the clients release what they hold and exit */
  __atomic_store_n (&sh->stop, 1, __ATOMIC_SEQ_CST);
  __atomic_store_n (&sh->pause, 0, __ATOMIC_SEQ_CST);
  for (int n = 0; n < N_CLIENTS; n++)
    {
      gint64 deadline = qt_now_ms () + 60000;
      int status = 0;
      pid_t r;
      while ((r = waitpid (pids[n], &status, WNOHANG)) == 0 && qt_now_ms () < deadline)
        qt_sleep_ms (10);
      ck_assert_msg (r == pids[n], "client %d did not finish", n);
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        failed_clients++;
    }

  /* abandoned handles and the legacy handle expire within 3 s */
  {
    gint64 deadline = qt_now_ms () + 15000;
    for (;;)
      {
        g_clear_pointer (&end, st_handles_free);
        end = st_handles_get (conn, &why);
        ck_assert_msg (end != NULL, "%s", why);
        if (end->handles->len == 0)
          break;
        if (qt_now_ms () > deadline)
          {
            g_autofree char *d = st_handles_describe (end);
            qt_agent_dump_log (h);
            ck_abort_msg ("handles are still held 15 s after the clients stopped: %s", d);
          }
        qt_sleep_ms (200);
      }
  }
  /* the last expiry's thaw may still be under way */
  {
    gint64 deadline = qt_now_ms () + 2000;
    gboolean any;
    do
      {
        any = FALSE;
        ck_assert_msg (st_probe_run (probe, frozen, 10000, &why), "%s", why);
        for (int i = 0; i < N_FS; i++)
          any |= frozen[i];
        if (any)
          qt_sleep_ms (50);
      }
    while (any && qt_now_ms () < deadline);
    for (int i = 0; i < N_FS; i++)
      if (frozen[i])
        {
          f.violations++;
          g_printerr ("VIOLATION: %s is still frozen at the end, with no handle left\n", mps[i]);
        }
  }
  {
    g_autoptr (JsonNode) r
        = st_conn_call (conn, "{\"execute\":\"guest-fsfreeze-status\"}", 10000, &why);
    ck_assert_msg (r != NULL, "%s", why);
    ck_assert_msg (g_strcmp0 (st_conn_last_reply (conn), "{\"return\":\"thawed\"}") == 0,
                   "status at the end: %s", st_conn_last_reply (conn));
  }
  ck_assert_msg (st_probe_finish (probe, 10000), "probes are still blocked at the end");
  st_probe_free (probe);

  g_print (
      "# operations: %" G_GINT64_FORMAT " (acquire %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
      " ok, release %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " ok + %" G_GINT64_FORMAT
      " expired, renew %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " ok + %" G_GINT64_FORMAT
      " expired, status %" G_GINT64_FORMAT ", ping %" G_GINT64_FORMAT ", handles %" G_GINT64_FORMAT
      ", disconnects %" G_GINT64_FORMAT ", mid-message %" G_GINT64_FORMAT
      ", abandoned acquires %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT
      " seen done), legacy freeze %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
      " ok, legacy thaw %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " ok)\n",
      sh->counter[C_OPS], sh->counter[C_ACQUIRE], sh->counter[C_ACQUIRE_OK], sh->counter[C_RELEASE],
      sh->counter[C_RELEASE_OK], sh->counter[C_RELEASE_EXPIRED], sh->counter[C_RENEW],
      sh->counter[C_RENEW_OK], sh->counter[C_RENEW_EXPIRED], sh->counter[C_STATUS],
      sh->counter[C_PING], sh->counter[C_HANDLES], sh->counter[C_DISCONNECT], sh->counter[C_MIDMSG],
      sh->counter[C_ABANDON], sh->counter[C_ABANDON_SEEN], sh->counter[C_LEGACY_FREEZE],
      sh->counter[C_LEGACY_FREEZE_OK], sh->counter[C_LEGACY_THAW], sh->counter[C_LEGACY_THAW_OK]);
  g_print ("# samples: %u consistent (%u filesystems seen frozen, %u thawed); skipped: %u with "
           "differing handle lists, %u while abandoned requests settled; %u transient "
           "mismatches (gone %d ms later); longest client pause %" G_GINT64_FORMAT " ms\n",
           f.samples, f.fs_frozen, f.fs_thawed, f.unstable, f.settling, f.transient, CONFIRM_MS,
           f.pause_ms_max);
  g_print ("# stress figures: operations %" G_GINT64_FORMAT ", samples %u, violations %u, "
           "unexpected replies %" G_GINT64_FORMAT "\n",
           sh->counter[C_OPS], f.samples, f.violations, sh->counter[C_UNEXPECTED]);
  for (int i = 0; i < MIN (sh->n_msgs, N_MSGS); i++)
    g_printerr ("UNEXPECTED: %s\n", sh->msg[i]);
  if (f.violations > 0 || sh->counter[C_UNEXPECTED] > 0 || failed_clients > 0)
    {
      qt_agent_dump_log (h);
      st_note_foreign_freezers ();
    }
  ck_assert_msg (f.violations == 0, "%u violations of the invariant", f.violations);
  ck_assert_msg (sh->counter[C_UNEXPECTED] == 0, "%" G_GINT64_FORMAT " unexpected replies",
                 sh->counter[C_UNEXPECTED]);
  ck_assert_msg (failed_clients == 0, "%d clients failed", failed_clients);
  ck_assert_msg (f.samples >= 10, "only %u consistent samples", f.samples);
  munmap (sh, sizeof *sh);
}
END_TEST

int
main (int argc, char **argv)
{
  Suite *s = suite_create ("stress-random");

  opt_seconds = st_arg_long (argc, argv, "--seconds", opt_seconds);
  opt_seed = st_arg_long (argc, argv, "--seed", 0);
  qt_suite_add (s, "random-clients", test_random_clients, (int)opt_seconds + 180);
  return qt_main (s);
}
