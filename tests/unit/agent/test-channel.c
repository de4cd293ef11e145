/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-channel over a socketpair: replies in request order, a half-close
 * still answered, and the persistent (virtio-serial) mode, whose host side
 * hangs up and comes back, keeping every message read and every reply owed.
 *
 * The virtio case is the one a VM test caught: the guest kernel may
 * report the old host's hang-up after the new host's request was read,
 * and dropping the output then lost that request's reply. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qa-channel.h"

typedef struct
{
  GPtrArray *texts; /* the messages handed on, in order */
  QaChannel *held;  /* set: replies are made later by the test */
  gboolean hold;
  gboolean closed;
} Peer;

static void
on_message (QaChannel *ch, const char *text, gsize len, gpointer user_data)
{
  Peer *p = user_data;

  g_ptr_array_add (p->texts, g_strndup (text, len));
  if (p->hold)
    {
      p->held = ch;
      return;
    }
  {
    g_autofree char *r = g_strdup_printf ("{\"return\":%u}\n", p->texts->len);
    g_autoptr (GBytes) b = g_bytes_new (r, strlen (r));
    qa_channel_reply (ch, b, FALSE);
  }
}

static void
on_closed (QaChannel *ch, gpointer user_data)
{
  ((Peer *) user_data)->closed = TRUE;
}

static void
spin_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

/* read what the host end has, turning the main loop meanwhile, until
 * WANT bytes came or TIMEOUT_MS passed */
static GString *
host_read (int fd, gsize want, guint timeout_ms)
{
  GString *got = g_string_new (NULL);
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;

  while (got->len < want && g_get_monotonic_time () < end)
    {
      char buf[65536];
      ssize_t n = recv (fd, buf, sizeof (buf), MSG_DONTWAIT);

      if (n > 0)
        g_string_append_len (got, buf, n);
      else if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return got;
}

static void
host_write (int fd, const char *text)
{
  ck_assert_int_eq (write (fd, text, strlen (text)), (ssize_t) strlen (text));
}

/* a channel on one end of a socketpair; the test is the host on the other */
typedef struct
{
  Peer p;
  QaChannel *ch;
  int host;
} Pair;

static void
pair_open (Pair *t, gboolean persistent, gboolean hold)
{
  int sv[2];

  ck_assert_int_eq (socketpair (AF_UNIX, SOCK_STREAM, 0, sv), 0);
  t->p.texts = g_ptr_array_new_with_free_func (g_free);
  t->p.hold = hold;
  t->ch = qa_channel_new (sv[0], persistent, 4096, persistent ? "vport" : "test");
  t->host = sv[1];
  qa_channel_start (t->ch, on_message, on_closed, &t->p);
}

static void
pair_close (Pair *t)
{
  close (t->host);
  qa_channel_unref (t->ch);
  g_ptr_array_unref (t->p.texts);
}

START_TEST (test_in_order)
{
  Pair t = { 0 };
  g_autoptr (GString) got = NULL;

  pair_open (&t, FALSE, FALSE);
  host_write (t.host, "{\"execute\":\"a\"}{\"execute\":\"b\"}\n{\"execute\":\"c\"}");
  got = host_read (t.host, 3 * strlen ("{\"return\":1}\n"), 5000);
  ck_assert_str_eq (got->str, "{\"return\":1}\n{\"return\":2}\n{\"return\":3}\n");
  ck_assert_uint_eq (t.p.texts->len, 3);
  ck_assert_str_eq (g_ptr_array_index (t.p.texts, 2), "{\"execute\":\"c\"}");
  pair_close (&t);
}
END_TEST

/* a unix client that shuts its writing side still gets its replies, and
 * the channel closes after them */
START_TEST (test_half_close)
{
  Pair t = { 0 };
  g_autoptr (GString) got = NULL;
  g_autoptr (GBytes) reply = g_bytes_new_static ("{\"return\":{}}\n", 14);

  pair_open (&t, FALSE, TRUE);
  host_write (t.host, "{\"execute\":\"slow\"}\n");
  ck_assert_int_eq (shutdown (t.host, SHUT_WR), 0);
  spin_ms (200);
  ck_assert_ptr_nonnull (t.p.held);
  ck_assert (!t.p.closed);
  qa_channel_reply (t.p.held, reply, FALSE);
  got = host_read (t.host, 14, 5000);
  ck_assert_str_eq (got->str, "{\"return\":{}}\n");
  spin_ms (50);
  ck_assert (t.p.closed);
  pair_close (&t);
}
END_TEST

/* persistent: a reply too big for the socket buffers is partly written
 * when the host side hangs up (read() returns 0); all of it still reaches
 * the host, and the channel serves the next request after the pause */
START_TEST (test_persistent_keeps_owed_reply)
{
  Pair t = { 0 };
  g_autoptr (GString) got = NULL;
  g_autoptr (GString) big = g_string_new ("{\"return\":\"");
  g_autoptr (GBytes) reply = NULL;
  gsize want;

  while (big->len < 2 * 1024 * 1024)
    g_string_append (big, "0123456789abcdef");
  g_string_append (big, "\"}\n");
  want = big->len;
  reply = g_bytes_new (big->str, big->len);

  pair_open (&t, TRUE, TRUE);
  host_write (t.host, "{\"execute\":\"guest-info\"}\n");
  spin_ms (100);
  ck_assert_ptr_nonnull (t.p.held);
  qa_channel_reply (t.p.held, reply, FALSE); /* fills the socket, the rest waits */
  ck_assert_int_eq (shutdown (t.host, SHUT_WR), 0); /* the host hangs up */
  spin_ms (300); /* the channel sees read() == 0, maybe more than once */
  ck_assert (!t.p.closed);
  got = host_read (t.host, want, 20000);
  ck_assert_uint_eq (got->len, want);
  ck_assert (memcmp (got->str, big->str, want) == 0);
  ck_assert (!t.p.closed);
  pair_close (&t);
}
END_TEST

/* persistent: a message read before the hang-up is seen is still handed
 * on and answered; a partial one is forgotten */
START_TEST (test_persistent_keeps_messages)
{
  Pair t = { 0 };
  g_autoptr (GString) got = NULL;

  pair_open (&t, TRUE, FALSE);
  /* a whole message, then half of one, then the hang-up, all at once */
  host_write (t.host, "{\"execute\":\"guest-sync\",\"arguments\":{\"id\":7}}{\"execute\":\"gue");
  ck_assert_int_eq (shutdown (t.host, SHUT_WR), 0);
  got = host_read (t.host, strlen ("{\"return\":1}\n"), 5000);
  ck_assert_str_eq (got->str, "{\"return\":1}\n");
  spin_ms (300);
  ck_assert (!t.p.closed);
  ck_assert_uint_eq (t.p.texts->len, 1);
  pair_close (&t);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("channel");
  TCase *tc = tcase_create ("channel");
  SRunner *sr;
  int failed;

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_in_order);
  tcase_add_test (tc, test_half_close);
  tcase_add_test (tc, test_persistent_keeps_owed_reply);
  tcase_add_test (tc, test_persistent_keeps_messages);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
