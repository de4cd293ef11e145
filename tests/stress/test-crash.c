/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash at random points: SIGKILL of the agent, restart on the same
 * --state-dir, and the journal must still tell the truth.
 *
 *   test-crash [--cycles N] [--seed N]
 *
 * Each of N cycles (default 25) does a few random operations (acquires of
 * random subsets of 4 filesystems with short or long deadlines, releases,
 * renewals), then kills the agent with SIGKILL at a random moment:
 *   idle     after the operations;
 *   burst    while 3-8 pipelined requests on 1-2 connections are served;
 *   dirty    (every sixth cycle) while an acquire of a filesystem with
 *            64 MiB of dirty data (written without fsync just before) is
 *            syncing or freezing, 0-60 ms (mostly) or 60-800 ms after it
 *            was sent;
 *   release  while a release is in progress;
 * and in some cycles once more, 0-30 ms after the restart (during the
 * agent's own restore, possibly before it listens), sometimes after a
 * downtime long enough for short deadlines to pass.  Replies that reached
 * the socket before the kill count as outcomes; the others are unknown.
 *
 * After each restart (a "recovery"), once the handle list is stable:
 *   - the journal and the kernel agree: every filesystem a listed handle
 *     holds is frozen (the lost list is separate), and every frozen
 *     filesystem is held by a listed handle (a mismatch is confirmed 500 ms
 *     later, as the agent thaws expired handles right after its restore);
 *   - every handle whose acquire was answered and whose deadline is ahead
 *     is listed, with the same filesystems and nothing new in "lost";
 *     every handle whose release was answered is gone (and a second
 *     release is HandleNotFound); every handle whose deadline passed more
 *     than 1 s ago is gone, and its release is HandleExpired (tombstones
 *     survive the restart);
 *   - a random subset of the listed handles is released by number, which
 *     must succeed;
 *   - every third cycle, the shortest deadline is waited out (plus 1 s):
 *     the handle is gone and nothing it alone held is frozen.
 * At the end every handle is released by number, nothing is frozen, and
 * the agent stops on SIGTERM with status 0.  Prints cycles, recoveries and
 * violations; the test fails unless violations are 0. */
#include "qt-harness.h"
#include "qt-sweep.h"
#include "st-util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_SMALL    4
#define N_FS       (N_SMALL + 1) /* + the dirty one */
#define DIRTY_MIB  64
#define CONFIRM_MS 500
#define REPLY_MS   60000
#define KILL_MS    120000 /* a killed agent may first finish a sync */
#define MAX_LIVE   10

static long opt_cycles = 25;
static long opt_seed;

typedef struct
{
  gint64 id;
  gint64 deadline_lo;      /* monotonic ms: the deadline is after this */
  gint64 deadline_hi;      /* and not after this */
  GPtrArray *fs;           /* sorted mountpoints */
  guint n_lost;            /* lost entries it had when last seen */
  gboolean maybe_released; /* a release was cut by the kill */
} Known;

typedef enum
{
  REQ_ACQUIRE,
  REQ_RELEASE,
  REQ_RENEW,
} ReqKind;

typedef struct
{
  ReqKind kind;
  gint64 handle; /* release, renew */
  int timeout;   /* acquire, renew */
  gint64 t_sent;
} Pending;

typedef struct
{
  QtHarness *h;
  GRand *rand;
  StAgent *agent;
  StProbe *probe;
  const char *mps[N_FS + 1];
  const char *dirty;
  GHashTable *known;    /* id -> Known: handles that should exist */
  GHashTable *released; /* ids whose release was answered */
  GHashTable *expired;  /* ids that expired (deadline + 1 s passed) */
  /* figures */
  guint cycles;
  guint recoveries;
  guint startup_kills;
  guint downtimes;
  guint samples;
  guint transient;
  guint violations;
  guint deadline_checks;
  guint released_checked;
  guint expired_checked;
  guint adopted;
  guint dirty_kills;
  guint dirty_cut;    /* dirty kills before the acquire's reply */
  guint cut_requests; /* requests left unanswered by a kill */
  guint dirty_frozen; /* dirty kills after which the dirty fs was held */
  guint mode_count[4];
  guint fs_frozen_seen;
} Crash;

static const char *const mode_name[] = { "idle", "burst", "dirty", "release" };

static void violation (Crash *x, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
violation (Crash *x, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  x->violations++;
  g_printerr ("VIOLATION (cycle %u): %s\n", x->cycles, msg);
  st_agent_log_note (x->agent, "VIOLATION: %s", msg);
}

static void
known_free (Known *k)
{
  g_ptr_array_unref (k->fs);
  g_free (k);
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *)a, *(char *const *)b);
}

static GPtrArray *
sorted_copy (GPtrArray *fs)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < fs->len; i++)
    g_ptr_array_add (out, g_strdup (g_ptr_array_index (fs, i)));
  g_ptr_array_sort (out, cmp_str);
  return out;
}

static gboolean
same_strv (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) != 0)
      return FALSE;
  return TRUE;
}

static gint64 *
id_key (gint64 id)
{
  return g_memdup2 (&id, sizeof id);
}

static Known *
known_add (Crash *x, gint64 id, GPtrArray *fs, gint64 lo, gint64 hi, guint n_lost)
{
  Known *k = g_new0 (Known, 1);

  k->id = id;
  k->fs = sorted_copy (fs);
  k->deadline_lo = lo;
  k->deadline_hi = hi;
  k->n_lost = n_lost;
  g_hash_table_replace (x->known, id_key (id), k);
  return k;
}

static Known *
known_find (Crash *x, gint64 id)
{
  return g_hash_table_lookup (x->known, &id);
}

static void
mark (GHashTable *set, gint64 id)
{
  g_hash_table_add (set, id_key (id));
}

static GPtrArray *
known_list (Crash *x)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTableIter it;
  gpointer v;

  g_hash_table_iter_init (&it, x->known);
  while (g_hash_table_iter_next (&it, NULL, &v))
    g_ptr_array_add (out, v);
  return out;
}

/* ---- requests ---- */

static char *
random_small (Crash *x, int max)
{
  int k = st_rand (x->rand, 1, max);
  gboolean pick[N_SMALL] = { 0 };
  GString *s = g_string_new ("[");
  gboolean comma = FALSE;

  for (int i = 0; i < k; i++)
    pick[st_rand (x->rand, 0, N_SMALL - 1)] = TRUE;
  for (int i = 0; i < N_SMALL; i++)
    if (pick[i])
      {
        g_string_append_printf (s, "%s\"%s\"", comma ? "," : "", x->mps[i]);
        comma = TRUE;
      }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static int
random_timeout (Crash *x)
{
  /* short ones expire within a cycle or two, long ones outlive several */
  return st_rand (x->rand, 0, 9) < 4 ? st_rand (x->rand, 1, 2) : st_rand (x->rand, 4, 15);
}

static char *
acquire_req (const char *mps, int timeout)
{
  return g_strdup_printf ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":"
                          "%s,\"owner\":\"st-crash\",\"timeout\":%d}}",
                          mps, timeout);
}

static char *
release_req (gint64 id)
{
  return g_strdup_printf (
      "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT "}}",
      id);
}

static char *
renew_req (gint64 id, int timeout)
{
  return g_strdup_printf (
      "{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
      ",\"timeout\":%d}}",
      id, timeout);
}

/* the outcome of one answered request (REPLY) for the model; a reply the
 * situation does not allow is a violation */
static void
apply_reply (Crash *x, const Pending *p, JsonNode *reply, const char *line, gint64 t_reply)
{
  const char *cls = st_reply_error_class (reply);
  JsonNode *ret = st_reply_return (reply);
  JsonObject *o = ret != NULL && JSON_NODE_HOLDS_OBJECT (ret) ? json_node_get_object (ret) : NULL;
  Known *k = p->kind != REQ_ACQUIRE ? known_find (x, p->handle) : NULL;

  switch (p->kind)
    {
    case REQ_ACQUIRE:
      {
        g_autoptr (GPtrArray) fs = g_ptr_array_new_with_free_func (g_free);
        JsonArray *a = o != NULL && json_object_get_member (o, "filesystems") != NULL
                               && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "filesystems"))
                           ? json_object_get_array_member (o, "filesystems")
                           : NULL;
        gint64 id = qt_int_or (o, "handle", 0);
        gint64 e = qt_int_or (o, "expires-in", -1);

        if (cls != NULL || id <= 0 || e < 0 || a == NULL)
          {
            violation (x, "acquire failed or answered wrongly: %s", line);
            return;
          }
        for (guint i = 0; i < json_array_get_length (a); i++)
          {
            const char *mp = qt_str_or_null (qt_obj_at (a, i), "mountpoint");
            if (mp != NULL)
              g_ptr_array_add (fs, g_strdup (mp));
          }
        known_add (x, id, fs, p->t_sent + (e - 1) * 1000, t_reply + e * 1000, 0);
        return;
      }
    case REQ_RELEASE:
    case REQ_RENEW:
      if (cls == NULL)
        {
          if (k != NULL && p->t_sent > k->deadline_hi + 1000)
            violation (x,
                       "handle %" G_GINT64_FORMAT " still alive %" G_GINT64_FORMAT
                       " ms after its deadline: %s",
                       p->handle, p->t_sent - k->deadline_hi, line);
          if (p->kind == REQ_RELEASE)
            {
              g_hash_table_remove (x->known, &p->handle);
              mark (x->released, p->handle);
            }
          else if (k != NULL)
            {
              gint64 e = qt_int_or (o, "expires-in", -1);
              if (e < 0)
                violation (x, "renew answered wrongly: %s", line);
              k->deadline_lo = p->t_sent + (e - 1) * 1000;
              k->deadline_hi = t_reply + e * 1000;
            }
        }
      else if (g_strcmp0 (cls, "HandleExpired") == 0 && k != NULL)
        {
          if (t_reply < k->deadline_lo)
            violation (x,
                       "handle %" G_GINT64_FORMAT " expired %" G_GINT64_FORMAT
                       " ms before its deadline: %s",
                       p->handle, k->deadline_lo - t_reply, line);
          g_hash_table_remove (x->known, &p->handle);
          mark (x->expired, p->handle);
        }
      else if (g_strcmp0 (cls, "HandleExpired") == 0
               && g_hash_table_contains (x->expired, &p->handle))
        ; /* a request of a pipeline that ran after the expiry */
      else if (g_strcmp0 (cls, "HandleNotFound") == 0 && k != NULL && k->maybe_released)
        {
          /* a release cut by the kill did happen before this request */
          g_hash_table_remove (x->known, &p->handle);
          mark (x->released, p->handle);
        }
      else if (g_strcmp0 (cls, "HandleNotFound") == 0 && k == NULL
               && g_hash_table_contains (x->released, &p->handle))
        ; /* a request of a pipeline that ran after the release */
      else
        violation (x, "%s of handle %" G_GINT64_FORMAT " answered %s",
                   p->kind == REQ_RELEASE ? "release" : "renew", p->handle, line);
      return;
    }
}

/* one request, answered */
static void
call (Crash *x, StConn *c, const Pending *p, const char *req)
{
  g_autofree char *why = NULL;
  g_autoptr (JsonNode) r = st_conn_call (c, req, REPLY_MS, &why);

  if (r == NULL)
    {
      st_agent_dump_log (x->agent, 60);
      ck_abort_msg ("%s: %s", req, why);
    }
  apply_reply (x, p, r, st_conn_last_reply (c), qt_now_ms ());
}

static Known *
random_known (Crash *x, gboolean alive_only)
{
  g_autoptr (GPtrArray) all = known_list (x);
  g_autoptr (GPtrArray) pick = g_ptr_array_new ();
  gint64 now = qt_now_ms ();

  for (guint i = 0; i < all->len; i++)
    {
      Known *k = g_ptr_array_index (all, i);
      if (!alive_only || k->deadline_lo > now + 300)
        g_ptr_array_add (pick, k);
    }
  if (pick->len == 0)
    return NULL;
  return g_ptr_array_index (pick, (guint)st_rand (x->rand, 0, (int)pick->len - 1));
}

static void
random_ops (Crash *x, StConn *c)
{
  int n = st_rand (x->rand, 2, 6);
  gboolean have_short = FALSE;

  for (int i = 0; i < n; i++)
    {
      int r = st_rand (x->rand, 0, 99);
      Known *k;
      Pending p = { .t_sent = qt_now_ms () };

      if (r < 50 && g_hash_table_size (x->known) < MAX_LIVE)
        {
          g_autofree char *mps = random_small (x, 3);
          g_autofree char *req = NULL;
          p.kind = REQ_ACQUIRE;
          p.timeout = random_timeout (x);
          have_short |= p.timeout <= 2;
          req = acquire_req (mps, p.timeout);
          call (x, c, &p, req);
        }
      else if (r < 80 && (k = random_known (x, TRUE)) != NULL)
        {
          g_autofree char *req = release_req (k->id);
          p.kind = REQ_RELEASE;
          p.handle = k->id;
          call (x, c, &p, req);
        }
      else if ((k = random_known (x, TRUE)) != NULL)
        {
          g_autofree char *req = NULL;
          p.kind = REQ_RENEW;
          p.handle = k->id;
          p.timeout = random_timeout (x);
          req = renew_req (k->id, p.timeout);
          call (x, c, &p, req);
        }
    }
  if (!have_short && g_hash_table_size (x->known) < MAX_LIVE)
    {
      /* something for the deadline checks */
      g_autofree char *mps = random_small (x, 2);
      g_autofree char *req = NULL;
      Pending p
          = { .kind = REQ_ACQUIRE, .timeout = st_rand (x->rand, 1, 2), .t_sent = qt_now_ms () };
      req = acquire_req (mps, p.timeout);
      call (x, c, &p, req);
    }
}

/* ---- killing ---- */

typedef struct
{
  StConn *conn;
  GArray *pending; /* Pending */
} Pipe;

static void
pipe_send (Crash *x, Pipe *pp, const Pending *p, const char *req)
{
  if (!st_conn_send (pp->conn, req, strlen (req)))
    ck_abort_msg ("sending %s failed", req);
  g_array_append_val (pp->pending, *p);
  /* the outcome is unknown until a reply comes */
  if (p->kind == REQ_RELEASE || p->kind == REQ_RENEW)
    {
      Known *k = known_find (x, p->handle);
      if (k != NULL && p->kind == REQ_RELEASE)
        k->maybe_released = TRUE;
      if (k != NULL && p->kind == REQ_RENEW)
        {
          k->deadline_lo = MIN (k->deadline_lo, p->t_sent + (p->timeout - 1) * 1000);
          k->deadline_hi = MAX (k->deadline_hi, p->t_sent + p->timeout * 1000 + KILL_MS);
        }
    }
}

/* after the kill: the replies that made it to the socket are outcomes;
 * returns how many requests stayed unanswered */
static guint
pipe_collect (Crash *x, Pipe *pp)
{
  guint answered = 0;
  guint n = pp->pending->len;

  for (guint i = 0; i < pp->pending->len; i++)
    {
      g_autofree char *why = NULL;
      g_autoptr (JsonNode) r = NULL;
      Pending *p = &g_array_index (pp->pending, Pending, i);

      /* the peer is dead: whatever is buffered comes at once, then EOF */
      r = st_conn_call (pp->conn, "", 2000, &why);
      if (r == NULL)
        break;
      answered++;
      apply_reply (x, p, r, st_conn_last_reply (pp->conn), qt_now_ms ());
    }
  g_array_unref (pp->pending);
  st_conn_free (pp->conn);
  return n - answered;
}

static void
kill_agent (Crash *x)
{
  if (!st_agent_kill (x->agent, KILL_MS))
    {
      st_agent_dump_log (x->agent, 60);
      ck_abort_msg ("the agent did not die within %d s of SIGKILL", KILL_MS / 1000);
    }
}

static int
kill_at_random (Crash *x)
{
  int r = st_rand (x->rand, 0, 99);
  /* a dirty kill costs seconds (the dying agent finishes its sync first):
   * one cycle in six */
  int mode = x->cycles % 6 == 2 ? 2 : r < 20 ? 0 : r < 75 ? 1 : 3;
  Pipe pipes[2] = { { 0 } };
  int n_pipes = 0;

  if (mode == 3 && g_hash_table_size (x->known) == 0)
    mode = 1;
  x->mode_count[mode]++;
  st_agent_log_note (x->agent, "cycle %u: kill mode %s", x->cycles, mode_name[mode]);
  switch (mode)
    {
    case 0:
      break;
    case 1:
      {
        n_pipes = st_rand (x->rand, 1, 2);
        for (int i = 0; i < n_pipes; i++)
          {
            pipes[i].conn = st_conn_new (qt_agent_socket (x->h), 10000);
            ck_assert_msg (pipes[i].conn != NULL, "cannot connect");
            pipes[i].pending = g_array_new (FALSE, FALSE, sizeof (Pending));
          }
        for (int i = st_rand (x->rand, 3, 8); i > 0; i--)
          {
            Pipe *pp = &pipes[st_rand (x->rand, 0, n_pipes - 1)];
            Pending p = { .t_sent = qt_now_ms () };
            int what = st_rand (x->rand, 0, 9);
            Known *k = random_known (x, FALSE);
            g_autofree char *req = NULL;

            if (what < 5 || k == NULL || k->maybe_released)
              {
                g_autofree char *mps = random_small (x, 3);
                p.kind = REQ_ACQUIRE;
                p.timeout = random_timeout (x);
                req = acquire_req (mps, p.timeout);
              }
            else if (what < 8)
              {
                p.kind = REQ_RELEASE;
                p.handle = k->id;
                req = release_req (k->id);
              }
            else
              {
                p.kind = REQ_RENEW;
                p.handle = k->id;
                p.timeout = random_timeout (x);
                req = renew_req (k->id, p.timeout);
              }
            pipe_send (x, pp, &p, req);
          }
        g_usleep ((gulong)st_rand (x->rand, 0, 15000));
        break;
      }
    case 2:
      {
        g_autofree char *why = NULL;
        g_autofree char *path = g_build_filename (x->dirty, "dirty.bin", NULL);
        g_autofree char *mps = NULL;
        Pending p = { .kind = REQ_ACQUIRE };
        g_autofree char *req = NULL;

        ck_assert_msg (st_write_dirty (path, DIRTY_MIB, &why), "%s", why);
        if (st_rand (x->rand, 0, 1))
          mps = g_strdup_printf ("[\"%s\"]", x->dirty);
        else
          mps = g_strdup_printf ("[\"%s\",\"%s\"]", x->dirty,
                                 x->mps[st_rand (x->rand, 0, N_SMALL - 1)]);
        p.timeout = random_timeout (x);
        p.t_sent = qt_now_ms ();
        req = acquire_req (mps, p.timeout);
        n_pipes = 1;
        pipes[0].conn = st_conn_new (qt_agent_socket (x->h), 10000);
        ck_assert_msg (pipes[0].conn != NULL, "cannot connect");
        pipes[0].pending = g_array_new (FALSE, FALSE, sizeof (Pending));
        pipe_send (x, &pipes[0], &p, req);
        /* the sync of 64 MiB into a loop device's page cache is quick:
         * mostly early kills, to catch it */
        g_usleep ((gulong)(st_rand (x->rand, 0, 9) < 7 ? st_rand (x->rand, 0, 60)
                                                       : st_rand (x->rand, 60, 800))
                  * 1000);
        x->dirty_kills++;
        break;
      }
    case 3:
      {
        Known *k = random_known (x, FALSE);
        Pending p = { .kind = REQ_RELEASE, .handle = k->id, .t_sent = qt_now_ms () };
        g_autofree char *req = release_req (k->id);

        n_pipes = 1;
        pipes[0].conn = st_conn_new (qt_agent_socket (x->h), 10000);
        ck_assert_msg (pipes[0].conn != NULL, "cannot connect");
        pipes[0].pending = g_array_new (FALSE, FALSE, sizeof (Pending));
        pipe_send (x, &pipes[0], &p, req);
        g_usleep ((gulong)st_rand (x->rand, 0, 3000));
        break;
      }
    }
  kill_agent (x);
  for (int i = 0; i < n_pipes; i++)
    {
      guint cut = pipe_collect (x, &pipes[i]);
      x->cut_requests += cut;
      if (mode == 2 && cut > 0)
        x->dirty_cut++;
    }
  return mode;
}

static void
restart (Crash *x)
{
  ck_assert_msg (st_agent_spawn (x->agent) > 0, "cannot start the agent");
  if (!st_agent_wait_listening (x->agent, 30000))
    {
      st_agent_dump_log (x->agent, 80);
      ck_abort_msg ("the restarted agent did not listen within 30 s (cycle %u)", x->cycles);
    }
}

/* ---- checking ---- */

/* a stable handle list and the kernel's truth in between */
static StHandles *
stable_sample (Crash *x, StConn *c, gboolean *frozen)
{
  for (int tries = 0; tries < 50; tries++)
    {
      g_autofree char *why = NULL;
      g_autoptr (StHandles) h1 = st_handles_get (c, &why);
      g_autoptr (StHandles) h2 = NULL;

      ck_assert_msg (h1 != NULL, "%s", why);
      ck_assert_msg (st_probe_run (x->probe, frozen, 20000, &why), "%s", why);
      h2 = st_handles_get (c, &why);
      ck_assert_msg (h2 != NULL, "%s", why);
      if (st_handles_same (h1, h2))
        return g_steal_pointer (&h1);
      qt_sleep_ms (50);
    }
  ck_abort_msg ("the handle list never settled");
  return NULL;
}

/* the journal (as listed) against the kernel; returns the sample */
static StHandles *
check_kernel (Crash *x, StConn *c, const char *when)
{
  gboolean frozen[N_FS];
  gboolean frozen2[N_FS];
  gboolean mismatch[N_FS];
  gboolean any = FALSE;
  StHandles *hs = stable_sample (x, c, frozen);
  g_autoptr (StHandles) hs2 = NULL;

  x->samples++;
  for (int i = 0; i < N_FS; i++)
    {
      mismatch[i] = st_handles_hold (hs, x->mps[i]) != frozen[i];
      any |= mismatch[i];
      x->fs_frozen_seen += frozen[i];
    }
  if (!any)
    return hs;
  /* an expired handle leaves the list at once, its thaw follows */
  qt_sleep_ms (CONFIRM_MS);
  hs2 = stable_sample (x, c, frozen2);
  {
    g_autofree char *d1 = st_handles_describe (hs);
    g_autofree char *d2 = st_handles_describe (hs2);
    gboolean confirmed = FALSE;

    for (int i = 0; i < N_FS; i++)
      if (mismatch[i] && frozen2[i] == frozen[i] && st_handles_hold (hs2, x->mps[i]) != frozen2[i])
        {
          confirmed = TRUE;
          violation (x, "%s: %s is %s, but %s (for %d ms at least); handles %s, then %s", when,
                     x->mps[i], frozen[i] ? "frozen" : "thawed",
                     frozen[i] ? "no handle holds it" : "a handle holds it", CONFIRM_MS, d1, d2);
        }
    if (!confirmed)
      x->transient++;
  }
  st_handles_free (hs);
  return g_steal_pointer (&hs2);
}

static void
expect_release_error (Crash *x, StConn *c, gint64 id, const char *klass)
{
  g_autofree char *req = release_req (id);
  g_autofree char *why = NULL;
  g_autoptr (JsonNode) r = st_conn_call (c, req, REPLY_MS, &why);

  ck_assert_msg (r != NULL, "%s: %s", req, why);
  if (g_strcmp0 (st_reply_error_class (r), klass) != 0)
    violation (x, "release of handle %" G_GINT64_FORMAT ": expected %s, got %s", id, klass,
               st_conn_last_reply (c));
}

/* the model against the list, after a restart */
static void
check_model (Crash *x, StConn *c, StHandles *hs)
{
  g_autoptr (GPtrArray) all = known_list (x);
  g_autoptr (GArray) now_expired = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < all->len; i++)
    {
      Known *k = g_ptr_array_index (all, i);
      StHandle *sh = st_handles_find (hs, k->id);

      if (sh == NULL)
        {
          if (k->maybe_released)
            {
              /* the cut release was done before the kill */
              g_hash_table_remove (x->known, &k->id);
              continue;
            }
          if (k->deadline_lo > hs->t_reply_ms)
            violation (x,
                       "handle %" G_GINT64_FORMAT " is missing after the restart, %" G_GINT64_FORMAT
                       " ms before its deadline",
                       k->id, k->deadline_lo - hs->t_reply_ms);
          g_array_append_val (now_expired, k->id);
          continue;
        }
      k->maybe_released = FALSE;
      if (hs->t_sent_ms > k->deadline_hi + 1000)
        violation (x,
                   "handle %" G_GINT64_FORMAT " is still listed %" G_GINT64_FORMAT
                   " ms after its deadline",
                   k->id, hs->t_sent_ms - k->deadline_hi);
      {
        g_autoptr (GPtrArray) fs = sorted_copy (sh->fs);
        if (!same_strv (fs, k->fs))
          {
            g_autofree char *d = st_handles_describe (hs);
            violation (x,
                       "handle %" G_GINT64_FORMAT " holds other filesystems after the restart: %s",
                       k->id, d);
          }
      }
      if (sh->lost->len != k->n_lost)
        violation (
            x, "handle %" G_GINT64_FORMAT " has %u lost entries after the restart, not %u%s%s",
            k->id, sh->lost->len, k->n_lost, sh->lost->len > 0 ? ": " : "",
            sh->lost->len > 0 ? (const char *)g_ptr_array_index (sh->lost, sh->lost->len - 1) : "");
      /* the list tells the deadline */
      k->deadline_lo = hs->t_sent_ms + (sh->expires_in - 1) * 1000;
      k->deadline_hi = hs->t_reply_ms + sh->expires_in * 1000;
    }
  for (guint i = 0; i < now_expired->len; i++)
    {
      gint64 id = g_array_index (now_expired, gint64, i);
      g_hash_table_remove (x->known, &id);
      mark (x->expired, id);
      /* the tombstone survived the restart */
      expect_release_error (x, c, id, "HandleExpired");
      x->expired_checked++;
    }

  /* handles the model does not know: acquires cut by the kill */
  for (guint i = 0; i < hs->handles->len; i++)
    {
      StHandle *sh = g_ptr_array_index (hs->handles, i);
      if (known_find (x, sh->id) != NULL)
        continue;
      if (g_hash_table_contains (x->released, &sh->id))
        violation (x, "handle %" G_GINT64_FORMAT " is listed again after its release was answered",
                   sh->id);
      else if (g_hash_table_contains (x->expired, &sh->id))
        violation (x, "handle %" G_GINT64_FORMAT " is listed again after it expired", sh->id);
      else
        {
          known_add (x, sh->id, sh->fs, hs->t_sent_ms + (sh->expires_in - 1) * 1000,
                     hs->t_reply_ms + sh->expires_in * 1000, sh->lost->len);
          x->adopted++;
        }
    }

  /* released handles stay released (one of them each time) */
  if (g_hash_table_size (x->released) > 0)
    {
      GHashTableIter it;
      gpointer key;
      guint pick = (guint)st_rand (x->rand, 0, (int)g_hash_table_size (x->released) - 1);
      g_hash_table_iter_init (&it, x->released);
      while (g_hash_table_iter_next (&it, &key, NULL))
        if (pick-- == 0)
          break;
      expect_release_error (x, c, *(gint64 *)key, "HandleNotFound");
      x->released_checked++;
    }
}

/* releases a random subset of the listed handles by number */
static void
release_some (Crash *x, StConn *c, StHandles *hs, gboolean all)
{
  for (guint i = 0; i < hs->handles->len; i++)
    {
      StHandle *sh = g_ptr_array_index (hs->handles, i);
      Known *k = known_find (x, sh->id);
      Pending p = { .kind = REQ_RELEASE, .handle = sh->id };
      g_autofree char *req = NULL;
      g_autofree char *why = NULL;
      g_autoptr (JsonNode) r = NULL;
      const char *cls;

      if (!all && st_rand (x->rand, 0, 99) >= 40)
        continue;
      p.t_sent = qt_now_ms ();
      req = release_req (sh->id);
      r = st_conn_call (c, req, REPLY_MS, &why);
      ck_assert_msg (r != NULL, "%s: %s", req, why);
      cls = st_reply_error_class (r);
      if (cls != NULL && g_strcmp0 (cls, "HandleExpired") == 0 && k != NULL
          && qt_now_ms () >= k->deadline_lo)
        {
          g_hash_table_remove (x->known, &sh->id);
          mark (x->expired, sh->id);
          continue;
        }
      if (cls != NULL)
        {
          violation (x, "a listed handle is not releasable by its number: %s -> %s", req,
                     st_conn_last_reply (c));
          continue;
        }
      apply_reply (x, &p, r, st_conn_last_reply (c), qt_now_ms ());
    }
}

/* waits out the shortest deadline (+1 s) and checks that it ended */
static void
check_deadline (Crash *x, StConn *c)
{
  g_autoptr (GPtrArray) all = known_list (x);
  Known *first = NULL;
  gint64 id;
  gint64 until;

  for (guint i = 0; i < all->len; i++)
    {
      Known *k = g_ptr_array_index (all, i);
      if (first == NULL || k->deadline_hi < first->deadline_hi)
        first = k;
    }
  if (first == NULL || first->deadline_hi > qt_now_ms () + 2500)
    {
      g_autofree char *mps = random_small (x, 2);
      g_autofree char *req = acquire_req (mps, 1);
      Pending p = { .kind = REQ_ACQUIRE, .timeout = 1, .t_sent = qt_now_ms () };
      g_autofree char *why = NULL;
      g_autoptr (JsonNode) r = st_conn_call (c, req, REPLY_MS, &why);
      JsonNode *ret;

      ck_assert_msg (r != NULL, "%s: %s", req, why);
      apply_reply (x, &p, r, st_conn_last_reply (c), qt_now_ms ());
      ret = st_reply_return (r);
      if (ret == NULL || !JSON_NODE_HOLDS_OBJECT (ret))
        return;
      first = known_find (x, qt_int_or (json_node_get_object (ret), "handle", 0));
      if (first == NULL)
        return;
    }
  id = first->id;
  until = first->deadline_hi + 1000;
  while (qt_now_ms () < until)
    qt_sleep_ms (MIN (100, until - qt_now_ms () + 1));
  {
    g_autoptr (StHandles) hs = check_kernel (x, c, "past a deadline");
    if (st_handles_find (hs, id) != NULL)
      violation (x, "handle %" G_GINT64_FORMAT " is still listed 1 s past its deadline", id);
  }
  x->deadline_checks++;
  if (known_find (x, id) != NULL)
    {
      g_hash_table_remove (x->known, &id);
      mark (x->expired, id);
    }
  expect_release_error (x, c, id, "HandleExpired");
}

static void
one_cycle (Crash *x)
{
  g_autoptr (StConn) c = NULL;
  g_autoptr (StHandles) hs = NULL;

  int mode;

  x->cycles++;
  c = st_conn_new (qt_agent_socket (x->h), 10000);
  ck_assert_msg (c != NULL, "cannot connect");
  random_ops (x, c);
  g_clear_pointer (&c, st_conn_free);

  mode = kill_at_random (x);
  if (st_rand (x->rand, 0, 99) < 15)
    {
      /* a crash during the restore itself */
      st_agent_log_note (x->agent, "cycle %u: a kill during the start", x->cycles);
      ck_assert_msg (st_agent_spawn (x->agent) > 0, "cannot start the agent");
      g_usleep ((gulong)st_rand (x->rand, 0, 30000));
      kill_agent (x);
      x->startup_kills++;
    }
  if (st_rand (x->rand, 0, 99) < 10)
    {
      /* short deadlines pass while no agent runs */
      g_usleep ((gulong)st_rand (x->rand, 1000, 2500) * 1000);
      x->downtimes++;
    }
  restart (x);

  c = st_conn_new (qt_agent_socket (x->h), 10000);
  ck_assert_msg (c != NULL, "cannot connect after the restart");
  {
    guint before = x->violations;
    hs = check_kernel (x, c, "after the restart");
    check_model (x, c, hs);
    if (mode == 2 && st_handles_hold (hs, x->dirty))
      x->dirty_frozen++;
    if (x->violations == before)
      x->recoveries++;
    else
      st_agent_dump_log (x->agent, 60);
  }
  release_some (x, c, hs, FALSE);
  g_clear_pointer (&hs, st_handles_free);
  hs = check_kernel (x, c, "after releases by number");
  if (x->cycles % 3 == 0)
    check_deadline (x, c);
}

START_TEST (test_crash_cycles)
{
  QtHarness *h = qt_harness ();
  g_autofree char *log = g_build_filename (qt_test_dir (h), "agent-crash.log", NULL);
  guint32 seed = opt_seed != 0 ? (guint32)opt_seed : g_random_int ();
  Crash x = { 0 };
  gint64 t0;

  x.h = h;
  x.rand = g_rand_new_with_seed (seed);
  for (int i = 0; i < N_SMALL; i++)
    {
      g_autofree char *name = g_strdup_printf ("c%d", i);
      x.mps[i] = qt_fs_add (h, name, "ext4", 64);
    }
  /* room for the dirty data; the image stays sparse */
  x.dirty = x.mps[N_SMALL] = qt_fs_add (h, "dirty", "ext4", 512);
  x.known = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)known_free);
  x.released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  x.expired = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  x.probe = st_probe_new (x.mps);
  x.agent = st_agent_new (h, log, NULL);
  st_note_foreign_freezers ();
  g_print ("# %ld crash cycles over %d filesystems, seed %u (--seed %u repeats the choices); "
           "agent log %s\n",
           opt_cycles, N_FS, seed, seed, log);
  restart (&x);

  t0 = qt_now_ms ();
  for (long i = 0; i < opt_cycles; i++)
    {
      one_cycle (&x);
      if ((i + 1) % 25 == 0)
        g_print ("# %u cycles, %u recoveries, %u violations (%" G_GINT64_FORMAT " s)\n", x.cycles,
                 x.recoveries, x.violations, (qt_now_ms () - t0) / 1000);
    }

  /* the end: every handle is releasable by its number, nothing stays
   * frozen, and the agent stops cleanly */
  {
    g_autoptr (StConn) c = st_conn_new (qt_agent_socket (h), 10000);
    g_autoptr (StHandles) hs = NULL;
    g_autoptr (StHandles) end = NULL;
    g_autofree char *why = NULL;
    gboolean frozen[N_FS];
    int status;

    ck_assert_msg (c != NULL, "cannot connect");
    hs = check_kernel (&x, c, "at the end");
    release_some (&x, c, hs, TRUE);
    end = check_kernel (&x, c, "at the end, after releasing every handle");
    if (end->handles->len != 0)
      {
        g_autofree char *d = st_handles_describe (end);
        violation (&x, "handles remain after releasing every handle: %s", d);
      }
    ck_assert_msg (st_probe_run (x.probe, frozen, 20000, &why), "%s", why);
    for (int i = 0; i < N_FS; i++)
      if (frozen[i])
        violation (&x, "%s is frozen at the end", x.mps[i]);
    status = st_agent_stop (x.agent, 30000);
    if (!(status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0))
      violation (&x, "the agent did not stop cleanly on SIGTERM (status 0x%x)", status);
  }
  ck_assert_msg (st_probe_finish (x.probe, 10000), "probes are still blocked at the end");

  g_print ("# kills: %u idle, %u burst, %u dirty (%d MiB; %u before the acquire's reply; the "
           "dirty filesystem was held after %u restarts), %u during a release; %u more during "
           "the restore; %u downtimes past short deadlines; %u requests cut by kills\n",
           x.mode_count[0], x.mode_count[1], x.mode_count[2], DIRTY_MIB, x.dirty_cut,
           x.dirty_frozen, x.mode_count[3], x.startup_kills, x.downtimes, x.cut_requests);
  g_print ("# checks: %u kernel samples (%u filesystems seen frozen, %u transient mismatches "
           "gone %d ms later), %u deadlines waited out, %u tombstones and %u released handles "
           "checked, %u handles of cut acquires adopted\n",
           x.samples, x.fs_frozen_seen, x.transient, CONFIRM_MS, x.deadline_checks,
           x.expired_checked, x.released_checked, x.adopted);
  g_print ("# crash figures: cycles %u, recoveries %u, violations %u (%" G_GINT64_FORMAT " s)\n",
           x.cycles, x.recoveries, x.violations, (qt_now_ms () - t0) / 1000);
  if (x.violations > 0)
    {
      /* the test directory goes away with the sweep: keep the whole log */
      g_autofree char *text = NULL;
      g_autofree char *keep = g_strdup_printf ("/tmp/quiesce-stress-crash.%d.log", (int)getpid ());
      st_agent_dump_log (x.agent, 150);
      if (g_file_get_contents (log, &text, NULL, NULL)
          && g_file_set_contents (keep, text, -1, NULL))
        g_printerr ("the whole agent log of this run: %s\n", keep);
      st_note_foreign_freezers ();
    }
  ck_assert_msg (x.violations == 0, "%u violations", x.violations);
  ck_assert_msg (x.recoveries == x.cycles, "%u recoveries in %u cycles", x.recoveries, x.cycles);

  st_probe_free (x.probe);
  st_agent_free (x.agent);
  g_hash_table_unref (x.known);
  g_hash_table_unref (x.released);
  g_hash_table_unref (x.expired);
  g_rand_free (x.rand);
}
END_TEST

int
main (int argc, char **argv)
{
  Suite *s = suite_create ("stress-crash");

  opt_cycles = st_arg_long (argc, argv, "--cycles", opt_cycles);
  opt_seed = st_arg_long (argc, argv, "--seed", 0);
  /* about 1.5 s a cycle; generous */
  qt_suite_add (s, "crash-cycles", test_crash_cycles, (int)(120 + opt_cycles * 6));
  return qt_main (s);
}
