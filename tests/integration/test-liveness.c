/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root integration test: the agent keeps answering while a freeze of dirty
 * data is in progress.
 *
 * One client acquires a filesystem that holds ~200 MiB of dirty data while
 * a second client pings every 10 ms.  The check is about order, not speed:
 * pings sent after the acquire must be answered before the acquire's reply
 * whenever the freeze lasted long enough to send some (> 50 ms).  Both
 * sockets are read by one thread, and the acquire's socket first, so a ping
 * reply counted as "during the freeze" really was there before the freeze
 * reply. */
#include "qt-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define DIRTY_MIB      200
#define PING_PERIOD_MS 10
#define MAX_PINGS      20000

typedef struct
{
  gint64 sent_ms;
  gint64 reply_ms;
  guint64 sent_seq;
  guint64 reply_seq; /* 0: no reply yet */
} Ping;

static void
write_dirty (const char *mountpoint, guint mib)
{
  g_autofree char *path = g_build_filename (mountpoint, "dirty.bin", NULL);
  g_autofree guint32 *block = g_new (guint32, (1 << 20) / 4);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  ck_assert_msg (fd >= 0, "open %s: %s", path, g_strerror (errno));
  for (guint i = 0; i < mib; i++)
    {
      gsize done = 0;
      for (guint k = 0; k < (1 << 20) / 4; k++)
        block[k] = g_random_int ();
      while (done < (1 << 20))
        {
          ssize_t n = write (fd, (char *) block + done, (1 << 20) - done);
          ck_assert_msg (n > 0 || errno == EINTR, "write %s: %s", path, g_strerror (errno));
          if (n > 0)
            done += (gsize) n;
        }
    }
  /* no fsync: the freeze has to write it back */
  close (fd);
}

static char *
meminfo_dirty (void)
{
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL)
      || (p = strstr (text, "Dirty:")) == NULL)
    return g_strdup ("?");
  return g_strstrip (g_strndup (p + 6, strcspn (p + 6, "\n")));
}

START_TEST (test_ping_during_freeze)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) fc = NULL;
  g_autoptr (QtClient) pc = NULL;
  g_autofree Ping *pings = g_new0 (Ping, MAX_PINGS);
  g_autofree char *req = NULL;
  g_autofree char *dirty = NULL;
  g_autofree char *acq_line = NULL;
  const char *d;
  guint n_pings = 0;
  guint n_replies = 0;
  guint64 seq = 0;
  guint64 acq_seq = 0;
  gint64 t_sent, t_reply = 0, next_ping, deadline;
  guint during = 0;
  gint64 longest = 0;
  gint64 longest_during = 0;
  gint64 freeze_ms;
  gint64 handle;

  /* room for the dirty data; the image stays sparse */
  d = qt_fs_add (h, "d", "ext4", 1024);
  qt_agent_start (h, NULL);
  fc = qt_client_new (h);
  pc = qt_client_new (h);
  qt_ping (fc);
  qt_ping (pc);
  qt_expect (h, d, FALSE, NULL);

  write_dirty (d, DIRTY_MIB);
  dirty = meminfo_dirty ();
  g_print ("# wrote %d MiB without fsync; Dirty: %s\n", DIRTY_MIB, dirty);

  req = g_strdup_printf ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":"
                         "[\"%s\"],\"owner\":\"it-live\",\"timeout\":300}}",
                         d);
  qt_client_send_raw (fc, req, strlen (req));
  t_sent = qt_now_ms ();
  seq++;
  next_ping = t_sent;
  deadline = t_sent + 120000;

  for (;;)
    {
      gint64 now = qt_now_ms ();
      struct pollfd pfd[2] = { { qt_client_fd (fc), POLLIN, 0 }, { qt_client_fd (pc), POLLIN, 0 } };
      char *line;
      int wait;

      ck_assert_msg (
          now < deadline,
          "no reply to the acquire (or to %u pings) within 120 s; %u of %u pings answered",
          n_pings - n_replies, n_replies, n_pings);
      /* pings only while the freeze is in progress */
      if (acq_seq == 0 && now >= next_ping && n_pings < MAX_PINGS)
        {
          g_autofree char *ping
              = g_strdup_printf ("{\"execute\":\"guest-ping\",\"id\":%u}", n_pings);
          qt_client_send_raw (pc, ping, strlen (ping));
          pings[n_pings].sent_ms = now;
          pings[n_pings].sent_seq = ++seq;
          n_pings++;
          next_ping += PING_PERIOD_MS;
        }
      wait = acq_seq == 0 ? (int) CLAMP (next_ping - qt_now_ms (), 0, PING_PERIOD_MS) : 100;
      (void) poll (pfd, 2, wait);

      /* the acquire's socket first: ties count against the agent */
      if (acq_seq == 0 && (line = qt_client_read_line (fc, 0)) != NULL)
        {
          acq_seq = ++seq;
          t_reply = qt_now_ms ();
          acq_line = line;
        }
      while ((line = qt_client_read_line (pc, 0)) != NULL)
        {
          g_autoptr (JsonParser) p = json_parser_new ();
          JsonObject *o;
          gint64 id;

          ck_assert_msg (json_parser_load_from_data (p, line, -1, NULL)
                             && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)),
                         "ping reply is no JSON object: %s", line);
          o = json_node_get_object (json_parser_get_root (p));
          ck_assert_msg (json_object_has_member (o, "return") && json_object_has_member (o, "id"),
                         "ping reply without return or id: %s", line);
          id = qt_get_int (o, "id");
          ck_assert_msg (id >= 0 && id < n_pings && pings[id].reply_seq == 0,
                         "ping reply with an unexpected id: %s", line);
          /* replies come in request order */
          ck_assert_msg ((guint) id == n_replies, "ping reply %" G_GINT64_FORMAT " came before %u",
                         id, n_replies);
          pings[id].reply_seq = ++seq;
          pings[id].reply_ms = qt_now_ms ();
          n_replies++;
          g_free (line);
        }
      if (acq_seq != 0 && n_replies == n_pings)
        break;
    }

  {
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *o;
    ck_assert_msg (json_parser_load_from_data (p, acq_line, -1, NULL)
                       && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)),
                   "acquire reply is no JSON object: %s", acq_line);
    o = json_node_get_object (json_parser_get_root (p));
    ck_assert_msg (json_object_has_member (o, "return"), "the acquire failed: %s", acq_line);
    o = qt_obj_or_null (o, "return");
    ck_assert_msg (o != NULL, "the acquire returned no object: %s", acq_line);
    handle = qt_get_int (o, "handle");
    ck_assert_msg (qt_get_int (o, "frozen") == 1,
                   "the acquire froze %" G_GINT64_FORMAT ", not 1: %s", qt_get_int (o, "frozen"),
                   acq_line);
  }

  freeze_ms = t_reply - t_sent;
  for (guint i = 0; i < n_pings; i++)
    {
      gint64 rtt = pings[i].reply_ms - pings[i].sent_ms;
      longest = MAX (longest, rtt);
      if (pings[i].reply_seq < acq_seq)
        {
          during++;
          longest_during = MAX (longest_during, rtt);
        }
    }
  g_print ("# freeze of %d MiB dirty: %" G_GINT64_FORMAT
           " ms; %u pings sent during it, %u answered "
           "before the freeze reply; longest ping %" G_GINT64_FORMAT " ms (%" G_GINT64_FORMAT
           " ms among those answered during the freeze)\n",
           DIRTY_MIB, freeze_ms, n_pings, during, longest, longest_during);
  if (freeze_ms > 50)
    ck_assert_msg (during >= 1,
                   "the freeze took %" G_GINT64_FORMAT
                   " ms and none of the %u pings sent after the "
                   "acquire was answered before its reply: the agent blocks while it freezes",
                   freeze_ms, n_pings);
  else
    g_print ("# the freeze was too fast (%" G_GINT64_FORMAT " ms) to observe pings during it\n",
             freeze_ms);

  qt_expect (h, d, TRUE, NULL);
  qt_assert_int (fc, qt_get_int (qt_release (fc, handle), "thawed"), 1);
  qt_expect (h, d, FALSE, NULL);
  qt_ping (pc);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("integration-liveness");

  qt_suite_add (s, "ping-during-freeze", test_ping_during_freeze, 240);
  return qt_main (s);
}
