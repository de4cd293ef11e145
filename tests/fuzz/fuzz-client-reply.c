/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: what libquiesce-1 does with an agent's reply.
 *
 * Two paths per input:
 *  1. the real client over the real unix transport: a QuiesceClient on
 *     one end of a socketpair, a fake agent thread on the other that
 *     answers the guest-sync-delimited handshake properly, then answers
 *     the command with the input bytes and closes.  The first input byte
 *     picks the command (so its typed reply parser runs: ping, info,
 *     status, freeze, freeze-list, thaw, acquire, release, renew,
 *     handles, resolve, get-fsinfo), the rest is the reply;
 *  2. directly: every message our framer finds in the reply bytes is
 *     parsed, unwrapped with quiesce_transport_unwrap_reply(), and the
 *     value fed to the typed constructors (quiesce_filesystem_new_from_json,
 *     qh_filesystems_from_json, quiesce_handle_new_from_json,
 *     quiesce_disk_new_from_json), whatever its shape.
 *
 * Invariants, any failure aborts: a failed call sets an error of the
 * client, agent or GIO domains (never NULL, never another domain), a
 * successful one returns a value; no warning or critical is logged. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "quiesce-client.h"
#include "quiesce-disk.h"
#include "quiesce-error.h"
#include "quiesce-filesystem.h"
#include "quiesce-freeze.h"
#include "quiesce-handle.h"
#include "quiesce-transport.h"
#include "qw-framer.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* libquiesce-1 logs no warnings of its own: one from GLib (a GError
   * set twice, say) is a bug */
  g_log_set_writer_func (fuzz_log_writer,
                         GUINT_TO_POINTER (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL
                                           | G_LOG_LEVEL_WARNING),
                         NULL);
  return 0;
}

/* ---- the fake agent ---------------------------------------------------- */

typedef struct
{
  int fd;
  const guint8 *reply;
  gsize reply_len;
} Agent;

/* one request line (after an optional 0xFF); NULL at EOF */
static char *
read_line (int fd)
{
  g_autoptr (GString) line = g_string_new (NULL);

  for (;;)
    {
      char c;
      ssize_t n = read (fd, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return NULL;
      if ((guchar) c == 0xff)
        continue;
      if (c == '\n')
        return g_string_free (g_steal_pointer (&line), FALSE);
      g_string_append_c (line, c);
    }
}

static gboolean
send_all (int fd, const void *buf, gsize len)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gpointer
agent_thread (gpointer user_data)
{
  Agent *a = user_data;
  g_autofree char *sync = read_line (a->fd);
  g_autofree char *command = NULL;
  g_autoptr (JsonNode) node = NULL;
  char buf[256];

  if (sync == NULL)
    goto out;
  node = json_from_string (sync, NULL);
  fuzz_check (node != NULL && JSON_NODE_HOLDS_OBJECT (node), "the client sends JSON");
  {
    JsonObject *obj = json_node_get_object (node);
    JsonObject *args = json_object_get_object_member (obj, "arguments");
    g_autofree char *answer = NULL;

    fuzz_check (g_strcmp0 (json_object_get_string_member (obj, "execute"),
                           "guest-sync-delimited") == 0,
                "the client syncs first");
    answer = g_strdup_printf ("\xff{\"return\": %" G_GINT64_FORMAT "}\n",
                              json_object_get_int_member (args, "id"));
    if (!send_all (a->fd, answer, strlen (answer)))
      goto out;
  }
  command = read_line (a->fd);
  if (command == NULL)
    goto out;
  send_all (a->fd, a->reply, a->reply_len);
out:
  shutdown (a->fd, SHUT_WR);
  /* drain until the client closes its end */
  while (read (a->fd, buf, sizeof buf) > 0)
    ;
  close (a->fd);
  return NULL;
}

static void
check_error (gboolean ok, GError *error)
{
  if (ok)
    {
      fuzz_check (error == NULL, "no error on success");
      return;
    }
  fuzz_check (error != NULL, "a failure sets an error");
  fuzz_check (error->domain == QUIESCE_CLIENT_ERROR || error->domain == QUIESCE_AGENT_ERROR ||
                error->domain == G_IO_ERROR,
              "errors of the client's domains");
  fuzz_check (error->message != NULL && error->message[0] != '\0', "error has a message");
}

static void
free_array (GPtrArray *a)
{
  if (a != NULL)
    g_ptr_array_unref (a);
}

static void
run_client (guint8 which, const guint8 *reply, gsize reply_len)
{
  int sv[2];
  Agent agent;
  GThread *thread;
  g_autoptr (QuiesceClient) client = NULL;
  g_autoptr (GError) error = NULL;
  const char *mps[] = { "/mnt/a", "/mnt/b", NULL };
  gboolean ok = FALSE;

  fuzz_check (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  agent.fd = sv[1];
  agent.reply = reply;
  agent.reply_len = reply_len;
  thread = g_thread_new ("agent", agent_thread, &agent);
  client = quiesce_client_new_for_fd (sv[0], &error);
  fuzz_check (client != NULL, "client on a socketpair");
  quiesce_client_set_timeout (client, 5000);

  switch (which % 12)
    {
    case 0:
      ok = quiesce_client_ping (client, NULL, &error);
      break;
    case 1:
      {
        g_auto (GStrv) commands = NULL;
        g_auto (GStrv) disabled = NULL;
        g_autofree char *version = quiesce_client_info (client, &commands, &disabled, NULL, &error);
        ok = version != NULL;
        if (ok)
          fuzz_check (commands != NULL && disabled != NULL, "info lists");
        break;
      }
    case 2:
      {
        gboolean frozen = FALSE;
        ok = quiesce_client_fsfreeze_status (client, &frozen, NULL, &error);
        break;
      }
    case 3:
      ok = quiesce_client_fsfreeze_freeze (client, NULL, &error) >= 0;
      break;
    case 4:
      ok = quiesce_client_fsfreeze_freeze_list (client, mps, NULL, &error) >= 0;
      break;
    case 5:
      ok = quiesce_client_fsfreeze_thaw (client, NULL, &error) >= 0;
      break;
    case 6:
      {
        g_autoptr (QuiesceFreeze) f = quiesce_client_acquire (client, mps, NULL, "fuzz", 30,
                                                              QUIESCE_SPAN_DEFAULT, NULL, &error);
        ok = f != NULL;
        break;
      }
    case 7:
      {
        g_autoptr (QuiesceFreeze) f = quiesce_client_release (client, 7, FALSE, NULL, &error);
        ok = f != NULL;
        break;
      }
    case 8:
      ok = quiesce_client_renew (client, 7, 30, NULL, &error) >= 0;
      break;
    case 9:
      {
        GPtrArray *a = quiesce_client_handles (client, NULL, &error);
        ok = a != NULL;
        free_array (a);
        break;
      }
    case 10:
      {
        g_auto (GStrv) skipped = NULL;
        GPtrArray *a = quiesce_client_resolve (client, mps, NULL, QUIESCE_SPAN_INCLUDE, &skipped,
                                               NULL, &error);
        ok = a != NULL;
        free_array (a);
        break;
      }
    default:
      {
        GPtrArray *a = quiesce_client_get_fsinfo (client, NULL, &error);
        ok = a != NULL;
        free_array (a);
        break;
      }
    }
  check_error (ok, error);
  /* closing the client's end lets the agent thread finish */
  g_clear_object (&client);
  g_thread_join (thread);
}

/* ---- the constructors, directly --------------------------------------- */

static void
feed_constructors (JsonNode *value)
{
  g_autoptr (GError) error = NULL;

  if (value == NULL)
    return;
  if (JSON_NODE_HOLDS_OBJECT (value))
    {
      JsonObject *obj = json_node_get_object (value);
      QuiesceFilesystem *fs = quiesce_filesystem_new_from_json (obj, &error);
      QuiesceHandle *h;
      QuiesceDisk *d;

      check_error (fs != NULL, error);
      g_clear_error (&error);
      if (fs != NULL)
        quiesce_filesystem_unref (fs);
      h = quiesce_handle_new_from_json (obj, &error);
      check_error (h != NULL, error);
      g_clear_error (&error);
      if (h != NULL)
        quiesce_handle_unref (h);
      d = quiesce_disk_new_from_json (obj, &error);
      check_error (d != NULL, error);
      g_clear_error (&error);
      if (d != NULL)
        quiesce_disk_unref (d);
    }
  else if (JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *array = json_node_get_array (value);
      GPtrArray *list = qh_filesystems_from_json (array, &error);

      check_error (list != NULL, error);
      free_array (list);
      /* and each element on its own */
      for (guint i = 0; i < json_array_get_length (array) && i < 16; i++)
        feed_constructors (json_array_get_element (array, i));
    }
}

static void
message_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  guint *n = user_data;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonNode) value = NULL;
  g_autoptr (GError) error = NULL;

  if (kind != QW_FRAME_MESSAGE || ++*n > 8)
    return;
  node = json_from_string (text, NULL);
  if (node == NULL)
    return;
  value = quiesce_transport_unwrap_reply (node, &error);
  check_error (value != NULL, error);
  feed_constructors (value);
  /* a bare result too, as a libvirt transport hands it over */
  feed_constructors (node);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (QwFramer) framer = NULL;
  guint n = 0;

  if (size == 0)
    return 0;
  run_client (data[0], data + 1, size - 1);

  framer = qw_framer_new (QW_FRAMER_DEFAULT_MAX_MESSAGE, QW_FRAMER_DEFAULT_MAX_DEPTH, message_cb,
                          &n);
  qw_framer_feed (framer, data + 1, size - 1);
  qw_framer_feed (framer, (const guint8 *) "\n", 1);
  return 0;
}
