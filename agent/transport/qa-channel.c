/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-channel.h"
#include "qw-envelope.h"
#include "qw-error.h"
#include "qw-framer.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define READ_CHUNK 65536
#define MAX_INBOX 8                   /* messages waiting before reading pauses */
#define MAX_OUTBOX (4 * 1024 * 1024) /* bytes waiting before reading pauses */
#define RETRY_MS 100                 /* virtio-serial: poll again after a hang-up */
#define OUTBOX_KEEP (256 * 1024)     /* an outbox that grew past this is freed once empty */

typedef struct
{
  gboolean is_error;
  guint repeat; /* an error: how many times in a row it came */
  char *text;
  gsize len;
} InItem;

struct _QaChannel
{
  gint ref_count;
  int fd;
  gboolean persistent;
  gboolean closed;
  char *peer;
  QwFramer *framer;
  GQueue inbox; /* InItem* */
  gboolean waiting; /* a message is out for its reply */
  gboolean eof;     /* the peer shut its side: answer what came, then close */
  gboolean processing;
  GByteArray *outbox;
  gsize out_pos;    /* bytes of outbox already written */
  gboolean out_big; /* the outbox grew past OUTBOX_KEEP */
  gboolean was_big; /* it did once: trim the heap at the end */
  guint64 bytes_in;
  guint read_id;
  guint write_id;
  guint retry_id;
  QaChannelMessageFunc message_func;
  QaChannelClosedFunc closed_func;
  gpointer user_data;
};

static void update_watches (QaChannel *ch);

/* Memory a flood left behind goes back to the system: a client that sends
 * garbage and never reads its error replies makes a few MiB of outbox and
 * tens of thousands of small items, which glibc keeps (its mmap threshold
 * rises after the first big free) unless told to trim. */
static void
release_memory (void)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

static gsize
out_pending (const QaChannel *ch)
{
  return ch->outbox->len - ch->out_pos;
}

static void
outbox_reset (QaChannel *ch)
{
  ch->out_pos = 0;
  if (ch->out_big)
    {
      /* its own mapping (see main.c): freeing it gives it back; the heap
       * is trimmed once, when the channel goes */
      g_byte_array_unref (ch->outbox);
      ch->outbox = g_byte_array_new ();
      ch->out_big = FALSE;
      ch->was_big = TRUE;
    }
  else
    g_byte_array_set_size (ch->outbox, 0);
}
static void process (QaChannel *ch);
static gboolean on_retry (gpointer user_data);

static void
in_item_free (InItem *item)
{
  g_free (item->text);
  g_free (item);
}

static void
on_frame (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  QaChannel *ch = user_data;
  InItem *item, *last = g_queue_peek_tail (&ch->inbox);

  /* a run of the same error (garbage lines) is one item with a count:
   * memory stays flat however many lines one read brings */
  if (kind == QW_FRAME_ERROR && last != NULL && last->is_error && last->repeat < G_MAXUINT
      && last->len == len && memcmp (last->text, text, len) == 0)
    {
      last->repeat++;
      return;
    }
  item = g_new0 (InItem, 1);
  item->is_error = kind == QW_FRAME_ERROR;
  item->repeat = 1;
  item->text = g_strndup (text, len);
  item->len = len;
  g_queue_push_tail (&ch->inbox, item);
}

QaChannel *
qa_channel_new (int fd, gboolean persistent, gsize max_message, const char *peer)
{
  QaChannel *ch = g_new0 (QaChannel, 1);

  ch->ref_count = 1;
  ch->fd = fd;
  ch->persistent = persistent;
  ch->peer = g_strdup (peer);
  ch->framer = qw_framer_new (max_message, 0, on_frame, ch);
  g_queue_init (&ch->inbox);
  ch->outbox = g_byte_array_new ();
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  return ch;
}

QaChannel *
qa_channel_ref (QaChannel *ch)
{
  ch->ref_count++;
  return ch;
}

static void
remove_sources (QaChannel *ch)
{
  if (ch->read_id != 0)
    g_source_remove (ch->read_id);
  if (ch->write_id != 0)
    g_source_remove (ch->write_id);
  if (ch->retry_id != 0)
    g_source_remove (ch->retry_id);
  ch->read_id = ch->write_id = ch->retry_id = 0;
}

void
qa_channel_unref (QaChannel *ch)
{
  if (ch == NULL || --ch->ref_count > 0)
    return;
  remove_sources (ch);
  if (ch->fd >= 0)
    close (ch->fd);
  qw_framer_free (ch->framer);
  g_queue_clear_full (&ch->inbox, (GDestroyNotify) in_item_free);
  g_byte_array_unref (ch->outbox);
  g_free (ch->peer);
  if (ch->out_big || ch->was_big || ch->bytes_in > OUTBOX_KEEP)
    release_memory ();
  g_free (ch);
}

const char *
qa_channel_peer (const QaChannel *ch)
{
  return ch->peer;
}

gboolean
qa_channel_is_closed (const QaChannel *ch)
{
  return ch->closed;
}

void
qa_channel_close (QaChannel *ch)
{
  if (ch->closed)
    return;
  ch->closed = TRUE;
  remove_sources (ch);
  if (ch->fd >= 0)
    {
      close (ch->fd);
      ch->fd = -1;
    }
  g_queue_clear_full (&ch->inbox, (GDestroyNotify) in_item_free);
  outbox_reset (ch);
  g_debug ("%s: closed", ch->peer);
  if (ch->closed_func != NULL)
    ch->closed_func (ch, ch->user_data);
}

/* The host side of a virtio port went away, or seems to have.
 *
 * The guest kernel learns of a host hang-up and of the next connection
 * through control messages that it handles later than the data: bytes
 * from the new host may already have been read, and their reply queued,
 * when read() returns 0 for the old one.  So nothing is dropped here: the
 * messages read are answered and the replies owed are written when the
 * host is back (a client skips stale replies with guest-sync, as the
 * protocol says).  Only a partial message is forgotten.  A port with no
 * host polls as readable and hung up at once, so the fd is left alone
 * until a retry timer looks again. */
static void
hang_up (QaChannel *ch)
{
  if (!ch->persistent)
    {
      qa_channel_close (ch);
      return;
    }
  qw_framer_reset (ch->framer);
  if (ch->read_id != 0)
    {
      g_source_remove (ch->read_id);
      ch->read_id = 0;
    }
  if (ch->write_id != 0)
    {
      g_source_remove (ch->write_id);
      ch->write_id = 0;
    }
  if (ch->retry_id == 0)
    ch->retry_id = g_timeout_add (RETRY_MS, on_retry, ch);
}

static gboolean
flush (QaChannel *ch)
{
  while (out_pending (ch) > 0)
    {
      ssize_t n = write (ch->fd, ch->outbox->data + ch->out_pos, out_pending (ch));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            return TRUE;
          g_debug ("%s: write: %s", ch->peer, g_strerror (errno));
          hang_up (ch);
          return FALSE;
        }
      ch->out_pos += (gsize) n;
    }
  outbox_reset (ch);
  return TRUE;
}

static gboolean
on_writable (gint fd, GIOCondition cond, gpointer user_data)
{
  QaChannel *ch = user_data;

  ch->write_id = 0;
  qa_channel_ref (ch);
  if (flush (ch))
    {
      /* a virtio port with no host: writable never, hung up always */
      if (out_pending (ch) > 0 && (cond & G_IO_HUP) != 0)
        hang_up (ch);
      else
        {
          process (ch);
          update_watches (ch);
        }
    }
  qa_channel_unref (ch);
  return G_SOURCE_REMOVE;
}

static gboolean
on_readable (gint fd, GIOCondition cond, gpointer user_data)
{
  QaChannel *ch = user_data;
  guint self_id = ch->read_id;
  gboolean keep = FALSE;
  guint8 buf[READ_CHUNK];
  ssize_t n;

  n = read (ch->fd, buf, sizeof (buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  qa_channel_ref (ch);
  if (n == 0 && !ch->persistent)
    {
      /* a half-close (shutdown(SHUT_WR), "echo ... | socat"): the requests
       * already read still get their replies */
      ch->read_id = 0;
      ch->eof = TRUE;
      qw_framer_reset (ch->framer);
      process (ch);
      update_watches (ch);
    }
  else if (n <= 0)
    {
      if (n < 0)
        g_debug ("%s: read: %s", ch->peer, g_strerror (errno));
      ch->read_id = 0;
      hang_up (ch);
    }
  else
    {
      ch->bytes_in += (guint64) n;
      qw_framer_feed (ch->framer, buf, (gsize) n);
      process (ch);
      update_watches (ch);
      /* still wanted: the same source goes on (a new one per read was a
       * tenth of a guest-ping) */
      keep = ch->read_id != 0 && ch->read_id == self_id;
    }
  qa_channel_unref (ch);
  return keep ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
on_retry (gpointer user_data)
{
  QaChannel *ch = user_data;
  ch->retry_id = 0;
  update_watches (ch);
  return G_SOURCE_REMOVE;
}

static void
update_watches (QaChannel *ch)
{
  gboolean want_read;

  if (ch->closed)
    return;
  if (ch->eof && !ch->waiting && ch->inbox.length == 0 && out_pending (ch) == 0)
    {
      qa_channel_close (ch);
      return;
    }
  if (ch->retry_id != 0)
    return; /* after a hang-up: on_retry looks again */
  if (out_pending (ch) > 0 && ch->write_id == 0)
    ch->write_id = g_unix_fd_add (ch->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, on_writable, ch);
  want_read = !ch->eof && ch->inbox.length < MAX_INBOX && out_pending (ch) < MAX_OUTBOX;
  if (want_read && ch->read_id == 0)
    {
      ch->read_id = g_unix_fd_add (ch->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, ch);
    }
  else if (!want_read && ch->read_id != 0)
    {
      g_source_remove (ch->read_id);
      ch->read_id = 0;
    }
}

static void
queue_bytes (QaChannel *ch, GBytes *bytes, gboolean delimit)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  if (ch->closed)
    return;
  if (ch->out_pos > 0 && ch->out_pos >= ch->outbox->len / 2)
    {
      /* what was written goes; the copy is at most what stays */
      g_byte_array_remove_range (ch->outbox, 0, (guint) ch->out_pos);
      ch->out_pos = 0;
    }
  if (delimit)
    {
      guint8 ff = 0xff;
      g_byte_array_append (ch->outbox, &ff, 1);
    }
  g_byte_array_append (ch->outbox, data, (guint) len);
  if (ch->outbox->len > OUTBOX_KEEP)
    ch->out_big = TRUE;
  if (flush (ch))
    update_watches (ch);
}

void
qa_channel_send (QaChannel *ch, GBytes *bytes)
{
  queue_bytes (ch, bytes, FALSE);
}

void
qa_channel_reply (QaChannel *ch, GBytes *reply, gboolean delimit)
{
  queue_bytes (ch, reply, delimit);
  ch->waiting = FALSE;
  process (ch);
  update_watches (ch);
}

static void
process (QaChannel *ch)
{
  if (ch->processing)
    return;
  ch->processing = TRUE;
  qa_channel_ref (ch);
  /* a full outbox holds the rest back: one read of garbage is thousands of
   * error replies, and they wait here as items, not as reply text */
  while (!ch->closed && !ch->waiting && ch->inbox.length > 0 && out_pending (ch) < MAX_OUTBOX)
    {
      InItem *item = g_queue_pop_head (&ch->inbox);

      if (item->is_error)
        {
          g_autoptr (GBytes) bytes = qw_reply_error_literal (QW_ERROR_GENERIC, item->text, NULL);
          g_debug ("%s: %s", ch->peer, item->text);
          queue_bytes (ch, bytes, FALSE); /* may close the channel */
          if (--item->repeat > 0 && !ch->closed)
            {
              g_queue_push_head (&ch->inbox, item);
              continue;
            }
        }
      else
        {
          ch->waiting = TRUE;
          ch->message_func (ch, item->text, item->len, ch->user_data);
        }
      in_item_free (item);
    }
  qa_channel_unref (ch);
  ch->processing = FALSE;
}

void
qa_channel_start (QaChannel *ch, QaChannelMessageFunc message_func,
                  QaChannelClosedFunc closed_func, gpointer user_data)
{
  ch->message_func = message_func;
  ch->closed_func = closed_func;
  ch->user_data = user_data;
  update_watches (ch);
}
