/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceKeepalive: renews one handle at about a third of its timeout.
 *
 * It runs in one of two places:
 *  - on a GMainContext of the caller: each renewal is
 *    quiesce_client_renew_async(), so nothing blocks that context, but it
 *    must be iterated;
 *  - on a private thread with its own context: each renewal is a
 *    blocking quiesce_client_renew(), so a caller blocked for minutes in
 *    a snapshot action still keeps its handle.
 *
 * Either way there is at most one renewal in flight, and the next one is
 * scheduled only when it has finished (one-shot timers), so a slow agent
 * never gets a queue of renewals.  All state is under one mutex because
 * stop() and the accessors may come from any thread. */
#include "config.h"

#include "quiesce-keepalive.h"

#include "quiesce-error.h"

/* the timeout the agent applies to a renew without one */
#define QUIESCE_KEEPALIVE_AGENT_DEFAULT_S 60
/* retries after a failure come this many times faster than renewals */
#define QUIESCE_KEEPALIVE_RETRY_DIVISOR 4
#define QUIESCE_KEEPALIVE_MIN_RETRY     10

/**
 * QuiesceKeepalive:
 *
 * Renews one freeze handle at about a third of its timeout until it is
 * stopped, and tells at once when the handle has expired
 * (#QuiesceKeepalive::expired).  It runs on a #GMainContext of the caller
 * or on a private thread; see quiesce_keepalive_start().
 *
 * Since: 0.1
 */
struct _QuiesceKeepalive
{
  GObject parent_instance;

  /* fixed at construction */
  QuiesceClient *client;
  gint64 handle;
  guint timeout_s;

  GMutex lock;               /* guards everything below */
  guint interval_ms;         /* 0: derived from the timeout */
  guint agent_interval_ms;   /* a third of the last expires-in; 0 before */
  gboolean started;
  gboolean stopping;         /* stop() was called, or the handle expired */
  gboolean expired;
  gboolean own_thread;
  GMainContext *context;     /* where timers fire and signals are emitted */
  GMainLoop *loop;           /* own thread only */
  GThread *thread;           /* own thread only; NULL once joined */
  GSource *timer;            /* the next renewal, if scheduled */
  GCancellable *cancellable;
  gint64 deadline;           /* monotonic µs: the agent thaws at about this time */
  guint renewals;
  GError *error;             /* why it expired, or the last failure since a success */
};

G_DEFINE_TYPE (QuiesceKeepalive, quiesce_keepalive, G_TYPE_OBJECT)

enum
{
  SIGNAL_RENEWED,
  SIGNAL_ERROR,
  SIGNAL_EXPIRED,
  SIGNAL_LAST
};

static guint signals[SIGNAL_LAST];

/* the interval now in force; lock held */
static guint
interval_locked (QuiesceKeepalive *self)
{
  guint timeout_s = self->timeout_s != 0 ? self->timeout_s : QUIESCE_KEEPALIVE_AGENT_DEFAULT_S;
  guint interval;

  if (self->interval_ms != 0)
    return self->interval_ms;
  interval = timeout_s * 1000 / 3;
  /* the agent clamps a timeout above its --max-timeout, and expires-in
   * tells the truth: follow it */
  if (self->agent_interval_ms != 0)
    interval = MIN (interval, self->agent_interval_ms);
  return MAX (interval, QUIESCE_KEEPALIVE_MIN_INTERVAL);
}

static guint
retry_locked (QuiesceKeepalive *self)
{
  return MAX (interval_locked (self) / QUIESCE_KEEPALIVE_RETRY_DIVISOR,
              QUIESCE_KEEPALIVE_MIN_RETRY);
}

static gboolean tick_cb (gpointer user_data);

/* lock held; the source does not hold self: stop() and dispose destroy it */
static void
schedule_locked (QuiesceKeepalive *self, guint delay_ms)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_source_unref (self->timer);
    }
  self->timer = g_timeout_source_new (delay_ms);
  g_source_set_name (self->timer, "[quiesce] keep-alive");
  g_source_set_callback (self->timer, tick_cb, self, NULL);
  g_source_attach (self->timer, self->context);
}

static gboolean
is_expiry (const GError *error)
{
  return g_error_matches (error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_HANDLE_EXPIRED) ||
         g_error_matches (error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND);
}

/* the outcome of one renewal, on the keep-alive's context; the caller
 * holds a reference, so handlers may drop theirs */
static void
renew_done (QuiesceKeepalive *self, gint64 sent, gint64 expires_in, const GError *error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GError) emit_error = NULL;
  guint signal_id;

  /* after stop() nothing is reported, a cancelled renewal included */
  if (self->stopping)
    return;

  if (error == NULL)
    {
      self->renewals++;
      /* counted from when the request left, to err on the early side */
      self->deadline = sent + expires_in * G_USEC_PER_SEC;
      self->agent_interval_ms = (guint) MIN (expires_in * 1000 / 3, G_MAXUINT);
      g_clear_error (&self->error);
      schedule_locked (self, interval_locked (self));
      g_clear_pointer (&locker, g_mutex_locker_free);
      g_signal_emit (self, signals[SIGNAL_RENEWED], 0, expires_in);
      return;
    }

  g_clear_error (&self->error);
  self->error = g_error_copy (error);
  if (is_expiry (error))
    {
      /* the agent has thawed, or never knew, the handle; its message
       * names the handle and says when */
      self->expired = TRUE;
    }
  else if (g_get_monotonic_time () + (gint64) retry_locked (self) * 1000 >= self->deadline)
    {
      /* the next try would come after the deadline: the agent has thawed
       * by then, unless a reply we never saw renewed it.  Expired is the
       * safe answer for a snapshot.  The error keeps the last failure's
       * domain and code (never an expiry class), so a caller can tell
       * this "lost" from the agent's verdict */
      g_prefix_error (&self->error,
                      "Handle %" G_GINT64_FORMAT " could not be renewed before its deadline: ",
                      self->handle);
      self->expired = TRUE;
    }

  if (self->expired)
    {
      /* no more renewals; the thread, if any, ends now and is joined by
       * stop() or dispose */
      self->stopping = TRUE;
      if (self->loop != NULL)
        g_main_loop_quit (self->loop);
      signal_id = signals[SIGNAL_EXPIRED];
    }
  else
    {
      schedule_locked (self, retry_locked (self));
      signal_id = signals[SIGNAL_ERROR];
    }
  emit_error = g_error_copy (self->error);
  g_clear_pointer (&locker, g_mutex_locker_free);
  g_signal_emit (self, signal_id, 0, emit_error);
}

/* one renewal in flight on a caller's context */
typedef struct
{
  QuiesceKeepalive *self; /* a reference: the result arrives even after stop() */
  gint64 sent;
} RenewCall;

static void
renew_async_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RenewCall *call = user_data;
  g_autoptr(QuiesceKeepalive) self = call->self;
  g_autoptr(GError) error = NULL;
  gint64 expires_in = quiesce_client_renew_finish (QUIESCE_CLIENT (source), result, &error);

  renew_done (self, call->sent, expires_in, expires_in < 0 ? error : NULL);
  g_free (call);
}

static gboolean
tick_cb (gpointer user_data)
{
  g_autoptr(QuiesceKeepalive) self = g_object_ref (user_data);
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GError) error = NULL;
  gboolean own_thread;
  gint64 sent, expires_in;

  g_mutex_lock (&self->lock);
  if (self->stopping)
    {
      g_mutex_unlock (&self->lock);
      return G_SOURCE_REMOVE;
    }
  /* this source is done: the next renewal gets a new one */
  g_clear_pointer (&self->timer, g_source_unref);
  cancellable = g_object_ref (self->cancellable);
  own_thread = self->own_thread;
  g_mutex_unlock (&self->lock);

  sent = g_get_monotonic_time ();
  if (!own_thread)
    {
      RenewCall *call = g_new0 (RenewCall, 1);

      call->self = g_object_ref (self);
      call->sent = sent;
      /* the GTask delivers its result to the thread-default context: make
       * sure that is ours, whoever iterates it */
      g_main_context_push_thread_default (self->context);
      quiesce_client_renew_async (self->client, self->handle, self->timeout_s, cancellable,
                                  renew_async_cb, call);
      g_main_context_pop_thread_default (self->context);
      return G_SOURCE_REMOVE;
    }
  /* own thread: blocking is the point; stop() cancels it */
  expires_in = quiesce_client_renew (self->client, self->handle, self->timeout_s, cancellable,
                                     &error);
  renew_done (self, sent, expires_in, expires_in < 0 ? error : NULL);
  return G_SOURCE_REMOVE;
}

/* the private thread: it owns references to its loop and context, and
 * never touches self after the loop ends, so that the keep-alive may be
 * finalized from one of its own signal handlers */
typedef struct
{
  GMainContext *context;
  GMainLoop *loop;
} ThreadData;

static gpointer
thread_func (gpointer user_data)
{
  ThreadData *data = user_data;

  g_main_context_push_thread_default (data->context);
  g_main_loop_run (data->loop);
  g_main_context_pop_thread_default (data->context);
  g_main_loop_unref (data->loop);
  g_main_context_unref (data->context);
  g_free (data);
  return NULL;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* lock held.  g_main_loop_quit() before g_main_loop_run() is lost, so
 * the quit goes through the context: it runs once the loop does.  The
 * source holds no reference to the loop: it runs only inside
 * g_main_loop_run(), whose thread holds one, and a reference would make a
 * cycle (context -> source -> loop -> context) once the loop has ended */
static void
quit_thread_locked (QuiesceKeepalive *self)
{
  g_autoptr(GSource) source = NULL;

  if (self->loop == NULL)
    return;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, quit_cb, self->loop, NULL);
  g_source_attach (source, self->context);
}

static void
keepalive_stop (QuiesceKeepalive *self, gboolean disposing)
{
  g_autoptr(GCancellable) cancellable = NULL;
  GThread *thread = NULL;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (self->cancellable != NULL)
    cancellable = g_object_ref (self->cancellable);
  quit_thread_locked (self);
  if (self->thread != NULL)
    {
      if (self->thread != g_thread_self ())
        thread = g_steal_pointer (&self->thread);
      else if (disposing)
        /* finalized from a handler on the thread itself: it cannot join
         * itself, and ends by itself when the handler returns */
        g_clear_pointer (&self->thread, g_thread_unref);
      /* else: stop() from a handler; a later stop() or dispose joins */
    }
  g_mutex_unlock (&self->lock);

  /* outside the lock: "cancelled" handlers run synchronously */
  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
  if (thread != NULL)
    g_thread_join (thread);
}

static void
quiesce_keepalive_dispose (GObject *object)
{
  QuiesceKeepalive *self = QUIESCE_KEEPALIVE (object);

  keepalive_stop (self, TRUE);
  G_OBJECT_CLASS (quiesce_keepalive_parent_class)->dispose (object);
}

static void
quiesce_keepalive_finalize (GObject *object)
{
  QuiesceKeepalive *self = QUIESCE_KEEPALIVE (object);

  g_clear_object (&self->client);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (quiesce_keepalive_parent_class)->finalize (object);
}

static void
quiesce_keepalive_class_init (QuiesceKeepaliveClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = quiesce_keepalive_dispose;
  object_class->finalize = quiesce_keepalive_finalize;

  /**
   * QuiesceKeepalive::renewed:
   * @self: the #QuiesceKeepalive
   * @expires_in: the seconds to the new deadline, as the agent reported
   *
   * Emitted after each successful renewal, on the keep-alive's context.
   *
   * Since: 0.1
   */
  signals[SIGNAL_RENEWED] = g_signal_new ("renewed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                          1, G_TYPE_INT64);

  /**
   * QuiesceKeepalive::error:
   * @self: the #QuiesceKeepalive
   * @error: why the renewal failed (%QUIESCE_CLIENT_ERROR, or a
   *   %QUIESCE_AGENT_ERROR other than an expiry)
   *
   * Emitted when a renewal failed but the handle's deadline is still far
   * enough away to try again; the keep-alive retries at a quarter of its
   * interval.
   *
   * Since: 0.1
   */
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, g_cclosure_marshal_VOID__BOXED, G_TYPE_NONE,
                                        1, G_TYPE_ERROR);

  /**
   * QuiesceKeepalive::expired:
   * @self: the #QuiesceKeepalive
   * @error: why: %QUIESCE_AGENT_ERROR_HANDLE_EXPIRED or
   *   %QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND when the agent said so, or
   *   the last failure's error when the handle was lost: no renewal got
   *   through before its deadline
   *
   * Emitted once, as soon as the handle is known or presumed expired, on
   * the keep-alive's context.  Renewals have stopped; the filesystems may
   * have thawed, so a snapshot taken meanwhile may be inconsistent.
   * Handlers may call quiesce_keepalive_stop() and drop their reference.
   *
   * Since: 0.1
   */
  signals[SIGNAL_EXPIRED] = g_signal_new ("expired", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          g_cclosure_marshal_VOID__BOXED, G_TYPE_NONE, 1,
                                          G_TYPE_ERROR);
}

static void
quiesce_keepalive_init (QuiesceKeepalive *self)
{
  g_mutex_init (&self->lock);
}

/**
 * quiesce_keepalive_new:
 * @client: the client that holds the handle
 * @handle: the handle, as returned by quiesce_client_acquire()
 * @timeout_s: the timeout each renewal asks for, in seconds; 0 for the
 *   agent's default (60 s unless the agent says otherwise)
 *
 * Creates a keep-alive that, once started, renews @handle with @timeout_s
 * at a third of the timeout (at least every
 * %QUIESCE_KEEPALIVE_MIN_INTERVAL ms), and of the `expires-in` the agent
 * reports, if the agent clamped the timeout.
 *
 * The first renewal is sent as soon as it starts, so a handle that has
 * already expired is reported at once.  Until the first renewal succeeds,
 * the handle's deadline is taken to be @timeout_s from the start.
 *
 * The keep-alive shares @client with its caller.  The unix transport runs
 * one call at a time under a mutex, so the caller may go on using @client
 * from any thread meanwhile; a renewal then waits for the call in
 * progress, and the other way round.
 *
 * Returns: (transfer full): a new #QuiesceKeepalive holding a reference to
 *   @client
 *
 * Since: 0.1
 */
QuiesceKeepalive *
quiesce_keepalive_new (QuiesceClient *client, gint64 handle, guint timeout_s)
{
  QuiesceKeepalive *self;

  g_return_val_if_fail (QUIESCE_IS_CLIENT (client), NULL);
  self = g_object_new (QUIESCE_TYPE_KEEPALIVE, NULL);
  self->client = g_object_ref (client);
  self->handle = handle;
  self->timeout_s = timeout_s;
  return self;
}

/**
 * quiesce_keepalive_set_interval_ms:
 * @self: a #QuiesceKeepalive
 * @interval_ms: the time between renewals in milliseconds; 0 for a third
 *   of the timeout
 *
 * Overrides the interval, for tests and for agents with a long round
 * trip.  It takes effect from the next renewal on.
 *
 * Since: 0.1
 */
void
quiesce_keepalive_set_interval_ms (QuiesceKeepalive *self, guint interval_ms)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (QUIESCE_IS_KEEPALIVE (self));
  locker = g_mutex_locker_new (&self->lock);
  self->interval_ms = interval_ms;
}

/**
 * quiesce_keepalive_get_interval_ms:
 * @self: a #QuiesceKeepalive
 *
 * Returns: the time between renewals now in force, in milliseconds
 *
 * Since: 0.1
 */
guint
quiesce_keepalive_get_interval_ms (QuiesceKeepalive *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return interval_locked (self);
}

/**
 * quiesce_keepalive_start:
 * @self: a #QuiesceKeepalive
 * @context: (nullable): the #GMainContext to run on, or %NULL for a
 *   private thread
 * @error: return location for a #GError
 *
 * Starts renewing.  A keep-alive starts once.
 *
 * With a @context, each renewal is an async call whose result arrives on
 * @context, where the signals are emitted too; @context must be iterated
 * (the caller's main loop must run), or no renewal happens.
 *
 * With %NULL, a private thread with its own context makes blocking calls,
 * so the handle stays alive while the caller blocks; the signals are then
 * emitted on that thread, and handlers must be thread-safe (use
 * g_main_context_invoke() to get back to the caller's context).
 *
 * Returns: %TRUE on success, %FALSE if the thread could not be created
 *
 * Since: 0.1
 */
gboolean
quiesce_keepalive_start (QuiesceKeepalive *self, GMainContext *context, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  ThreadData *data;
  GThread *thread;

  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  g_return_val_if_fail (!self->started, FALSE);
  g_return_val_if_fail (!self->stopping, FALSE);

  self->started = TRUE;
  self->own_thread = context == NULL;
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_new ();
  self->cancellable = g_cancellable_new ();
  self->deadline = g_get_monotonic_time () +
                   (gint64) (self->timeout_s != 0 ? self->timeout_s
                                                  : QUIESCE_KEEPALIVE_AGENT_DEFAULT_S) *
                       G_USEC_PER_SEC;
  schedule_locked (self, 0);
  if (!self->own_thread)
    return TRUE;

  self->loop = g_main_loop_new (self->context, FALSE);
  data = g_new0 (ThreadData, 1);
  data->context = g_main_context_ref (self->context);
  data->loop = g_main_loop_ref (self->loop);
  thread = g_thread_try_new ("keepalive", thread_func, data, error);
  if (thread == NULL)
    {
      g_main_loop_unref (data->loop);
      g_main_context_unref (data->context);
      g_free (data);
      self->stopping = TRUE;
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
      g_prefix_error (error, "Cannot start the keep-alive of handle %" G_GINT64_FORMAT ": ",
                      self->handle);
      return FALSE;
    }
  self->thread = thread;
  return TRUE;
}

/**
 * quiesce_keepalive_stop:
 * @self: a #QuiesceKeepalive
 *
 * Stops renewing: no signal is emitted after it returns, and a renewal in
 * progress is cancelled.  In own-thread mode it joins the thread, which
 * may wait for a call of another thread on the same client to finish.
 *
 * It may be called more than once, before quiesce_keepalive_start(), and
 * from the keep-alive's own signal handlers (the thread is then joined by
 * a later call or when @self is finalized).
 *
 * Dropping the last reference stops it too, but call this first when the
 * thread must be gone at a known point: a renewal in progress holds a
 * reference, and if it turns out to be the last one, the private thread
 * finalizes @self and ends by itself instead of being joined.
 *
 * In context mode, a cancelled renewal still completes on the context and
 * holds a reference to @self until the context is iterated once more.
 *
 * Since: 0.1
 */
void
quiesce_keepalive_stop (QuiesceKeepalive *self)
{
  g_return_if_fail (QUIESCE_IS_KEEPALIVE (self));
  keepalive_stop (self, FALSE);
}

/**
 * quiesce_keepalive_get_client:
 * @self: a #QuiesceKeepalive
 *
 * Returns: (transfer none): the client
 *
 * Since: 0.1
 */
QuiesceClient *
quiesce_keepalive_get_client (QuiesceKeepalive *self)
{
  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), NULL);
  return self->client;
}

/**
 * quiesce_keepalive_get_handle:
 * @self: a #QuiesceKeepalive
 *
 * Returns: the handle it renews
 *
 * Since: 0.1
 */
gint64
quiesce_keepalive_get_handle (QuiesceKeepalive *self)
{
  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), -1);
  return self->handle;
}

/**
 * quiesce_keepalive_get_timeout:
 * @self: a #QuiesceKeepalive
 *
 * Returns: the timeout each renewal asks for, in seconds; 0 for the
 *   agent's default
 *
 * Since: 0.1
 */
guint
quiesce_keepalive_get_timeout (QuiesceKeepalive *self)
{
  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), 0);
  return self->timeout_s;
}

/**
 * quiesce_keepalive_is_running:
 * @self: a #QuiesceKeepalive
 *
 * Returns: %TRUE between quiesce_keepalive_start() and either
 *   quiesce_keepalive_stop() or an expiry
 *
 * Since: 0.1
 */
gboolean
quiesce_keepalive_is_running (QuiesceKeepalive *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), FALSE);
  locker = g_mutex_locker_new (&self->lock);
  return self->started && !self->stopping;
}

/**
 * quiesce_keepalive_is_expired:
 * @self: a #QuiesceKeepalive
 *
 * Returns: %TRUE once #QuiesceKeepalive::expired has been emitted
 *
 * Since: 0.1
 */
gboolean
quiesce_keepalive_is_expired (QuiesceKeepalive *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), FALSE);
  locker = g_mutex_locker_new (&self->lock);
  return self->expired;
}

/**
 * quiesce_keepalive_get_renewals:
 * @self: a #QuiesceKeepalive
 *
 * Returns: how many renewals succeeded
 *
 * Since: 0.1
 */
guint
quiesce_keepalive_get_renewals (QuiesceKeepalive *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), 0);
  locker = g_mutex_locker_new (&self->lock);
  return self->renewals;
}

/**
 * quiesce_keepalive_get_expires_in:
 * @self: a #QuiesceKeepalive
 *
 * The time left, by this host's clock, before the deadline that the last
 * successful renewal reported (or @timeout_s from the start, before one).
 *
 * Returns: whole seconds, 0 once the deadline has passed or the handle
 *   expired, or -1 before quiesce_keepalive_start()
 *
 * Since: 0.1
 */
gint64
quiesce_keepalive_get_expires_in (QuiesceKeepalive *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), -1);
  locker = g_mutex_locker_new (&self->lock);
  if (!self->started)
    return -1;
  if (self->expired)
    return 0;
  return MAX (self->deadline - g_get_monotonic_time (), 0) / G_USEC_PER_SEC;
}

/**
 * quiesce_keepalive_dup_error:
 * @self: a #QuiesceKeepalive
 *
 * Returns: (transfer full) (nullable): why the handle expired; while it
 *   runs, the failure of the last renewal if none succeeded since; else
 *   %NULL
 *
 * Since: 0.1
 */
GError *
quiesce_keepalive_dup_error (QuiesceKeepalive *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (QUIESCE_IS_KEEPALIVE (self), NULL);
  locker = g_mutex_locker_new (&self->lock);
  return self->error != NULL ? g_error_copy (self->error) : NULL;
}
