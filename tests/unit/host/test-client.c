/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QuiesceClient against a scripted fake agent on a socketpair().
 *
 * The fake agent is a thread that frames requests with common/'s framer
 * and envelope parser (the agent's own), and answers each with the next
 * step of a script: the command it expects, the bytes it sends back
 * ("@ID@" becomes the request's arguments.id, for guest-sync-delimited),
 * an optional stall before the reply, and an optional hangup after it. */
#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qw-envelope.h"
#include "qw-error.h"
#include "qw-framer.h"
#include "quiesce.h"

#include "fake-agent.h"

typedef struct
{
  const char *execute; /* the command expected */
  const char *reply;   /* bytes sent back; NULL sends nothing */
  guint delay_ms;      /* stall before replying (cut short by a hangup) */
  gboolean hangup;     /* close the connection after the reply */
  gsize big;           /* if not 0: reply {"return":"aaa..."} of this many bytes */
} Step;

/* the script, read by the fake's thread */
typedef struct
{
  const Step *steps;
  guint n_steps;
  guint next;
} Script;

/* the canned sync answer: 0xFF, then the id the client sent */
#define SYNC_REPLY "\xff" "{\"return\":@ID@}\n"
#define STEP_SYNC { "guest-sync-delimited", SYNC_REPLY, 0, FALSE, 0 }

static FakeAgent *fake;
static Script script;
static QuiesceClient *client;

/* the reply text with @ID@ replaced */
static char *
fake_reply_text (const char *reply, JsonObject *args)
{
  const char *at = strstr (reply, "@ID@");
  g_autofree char *id = NULL;

  if (at == NULL)
    return g_strdup (reply);
  id = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (args, "id"));
  return g_strdup_printf ("%.*s%s%s", (int) (at - reply), reply, id, at + 4);
}

static gboolean
fake_answer (FakeAgent *fa, QwRequest *request, gpointer user_data)
{
  Script *sc = user_data;
  int fd = fake_agent_fd (fa);
  const Step *step;

  if (sc->next >= sc->n_steps)
    {
      fake_agent_fail (fa, g_strdup_printf ("unexpected request %s", request->execute));
      return TRUE;
    }
  step = &sc->steps[sc->next++];
  if (g_strcmp0 (step->execute, request->execute) != 0)
    fake_agent_fail (fa, g_strdup_printf ("step %u: expected %s, got %s", sc->next - 1,
                                          step->execute, request->execute));
  if (step->delay_ms > 0)
    {
      /* stall, but leave early if the client hangs up */
      struct pollfd pfd = { fd, POLLRDHUP, 0 };

      if (poll (&pfd, 1, (int) step->delay_ms) > 0)
        return FALSE;
    }
  if (step->big > 0)
    {
      g_autofree char *big = g_malloc (step->big);

      memset (big, 'a', step->big);
      if (!fake_agent_send (fa, "{\"return\":\"", 11) || !fake_agent_send (fa, big, step->big) ||
          !fake_agent_send (fa, "\"}\n", 3))
        return FALSE;
    }
  else if (step->reply != NULL)
    {
      g_autofree char *reply = fake_reply_text (step->reply, request->arguments);

      if (!fake_agent_send (fa, reply, strlen (reply)))
        return FALSE;
    }
  if (step->hangup)
    {
      shutdown (fd, SHUT_RDWR);
      return FALSE;
    }
  return TRUE;
}

/* a client on one end of a socketpair, the fake agent on the other */
static void
start (const Step *steps, guint n_steps, guint timeout_ms)
{
  script = (Script) { steps, n_steps, 0 };
  fake = fake_agent_start (fake_answer, &script, timeout_ms, &client);
}

/* closes the client, waits for the fake, checks every step was used */
static void
finish (void)
{
  g_clear_object (&client);
  fake_agent_finish (g_steal_pointer (&fake));
  ck_assert_msg (script.next == script.n_steps, "only %u of %u steps were used", script.next,
                 script.n_steps);
}

static char *
request_at (guint i)
{
  char *text = fake_agent_request (fake, i);

  ck_assert_msg (text != NULL, "no request %u", i);
  return text;
}

/* fixtures */

/* one FsRef, the loop-device disk as the agent reports it */
#define FSREF_A(refs)                                                              \
  "{\"mountpoint\":\"/srv/lab/a\","  /* first mount of the superblock */           \
  "\"name\":\"loop5\","              /* kernel name of its block device */         \
  "\"type\":\"ext4\","               /* filesystem type */                         \
  "\"refs\":" refs ","               /* handles holding it after the call */       \
  "\"disks\":[{\"pci-controller\":"  /* a loop device has no PCI address: */       \
  "{\"domain\":-1,\"bus\":-1,\"slot\":-1,\"function\":-1},"                         \
  "\"bus-type\":\"file-backed-virtual\","                                          \
  "\"bus\":-1,\"target\":-1,\"unit\":-1,"                                          \
  "\"dev\":\"/dev/loop5\"}],"        /* loop devices match DiskSpecs by dev */     \
  "\"spans\":[\"/dev/vdd\"]}"        /* a disk of it the request did not name */

static const Step typed_steps[] = {
  STEP_SYNC,
  /* guest-ping returns an empty object */
  { "guest-ping", "{\"return\":{}}\n" },
  { "guest-info",
    "{\"return\":{\"version\":\"0.1.0\","   /* the agent's version */
    "\"supported_commands\":["              /* one entry per command */
    "{\"name\":\"guest-ping\",\"enabled\":true,\"success-response\":true},"
    /* a legacy freeze is disabled while the legacy handle is held */
    "{\"name\":\"guest-fsfreeze-freeze\",\"enabled\":false,\"success-response\":true}]}}\n" },
  /* "frozen" while any handle holds any filesystem */
  { "guest-fsfreeze-status", "{\"return\":\"frozen\"}\n" },
  /* legacy calls return a bare count */
  { "guest-fsfreeze-freeze", "{\"return\":2}\n" },
  { "guest-fsfreeze-freeze-list", "{\"return\":1}\n" },
  { "guest-fsfreeze-thaw", "{\"return\":2}\n" },
  { "guest-fsfreeze-acquire",
    "{\"return\":{\"handle\":7,"            /* the new handle */
    "\"frozen\":1,"                         /* this call froze one (0 -> 1) */
    "\"filesystems\":[" FSREF_A ("2") "]," /* what the handle holds */
    "\"expires-in\":120,"                   /* seconds to the deadline */
    "\"skipped\":[\"'/srv/lab/c': Operation not supported\"]}}\n" },
  { "guest-fsfreeze-release",
    "{\"return\":{\"thawed\":1,"            /* this call thawed one (1 -> 0) */
    "\"filesystems\":[" FSREF_A ("0") "]}}\n" },
  { "guest-fsfreeze-renew", "{\"return\":{\"expires-in\":300}}\n" },
  { "guest-fsfreeze-handles",
    "{\"return\":["
    "{\"handle\":7,\"owner\":\"backup-1\",\"legacy\":false,"
    "\"created\":1795309039,"               /* unix seconds */
    "\"expires-in\":118,\"filesystems\":[\"/srv/lab/a\"]},"
    /* the legacy handle: no owner, no deadline (--legacy-timeout 0),
     * and something a restarted agent could not hold again */
    "{\"handle\":8,\"owner\":\"\",\"legacy\":true,\"created\":1795309041,"
    "\"expires-in\":-1,\"filesystems\":[\"/srv/lab/b\",\"/srv/lab/a\"],"
    "\"lost\":[\"'/srv/lab/b' is no longer mounted\"]}]}\n" },
  { "guest-fsfreeze-resolve",
    "{\"return\":{\"filesystems\":[" FSREF_A ("0") "]}}\n" },
  /* qemu-ga 7.2's guest-get-fsinfo in a guest, recorded (REFERENCE.md):
   * an LV on two virtio disks, then a plain virtio disk */
  { "guest-get-fsinfo",
    "{\"return\":[{\"name\": \"dm-0\", \"total-bytes\": 85160960, \"mountpoint\": \"/mnt/lv\", "
    "\"disk\": [{\"serial\": \"DISK-C\", \"bus-type\": \"virtio\", \"bus\": 0, \"unit\": 0, "
    "\"pci-controller\": {\"bus\": 0, \"slot\": 5, \"domain\": 0, \"function\": 0}, "
    "\"dev\": \"/dev/vdc\", \"target\": 0}, {\"serial\": \"DISK-D\", \"bus-type\": \"virtio\", "
    "\"bus\": 0, \"unit\": 0, \"pci-controller\": {\"bus\": 0, \"slot\": 6, \"domain\": 0, "
    "\"function\": 0}, \"dev\": \"/dev/vdd\", \"target\": 0}], \"used-bytes\": 14336, "
    "\"type\": \"ext4\"},"
    /* with no udevd, qemu-ga sends no serial */
    "{\"name\": \"vda\", \"mountpoint\": \"/mnt/a\", \"disk\": [{\"bus-type\": \"virtio\", "
    "\"bus\": 0, \"unit\": 0, \"pci-controller\": {\"bus\": 0, \"slot\": 3, \"domain\": 0, "
    "\"function\": 0}, \"dev\": \"/dev/vda\", \"target\": 0}], \"type\": \"ext4\"}]}\n" },
};

START_TEST (test_typed_calls)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_auto(GStrv) commands = NULL;
  g_auto(GStrv) disabled = NULL;
  g_auto(GStrv) skipped = NULL;
  g_autoptr(QuiesceFreeze) acquired = NULL;
  g_autoptr(QuiesceFreeze) released = NULL;
  g_autoptr(GPtrArray) handles = NULL;
  g_autoptr(GPtrArray) resolved = NULL;
  g_autoptr(GPtrArray) fsinfo = NULL;
  g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func ((GDestroyNotify) quiesce_disk_unref);
  g_autoptr(QuiesceDisk) spec = quiesce_disk_new ();
  const char *mountpoints[] = { "/srv/lab/a", NULL };
  QuiesceFilesystem *fs;
  QuiesceDisk *disk;
  QuiesceHandle *handle;
  gboolean frozen = FALSE;
  gint d, b, s, f;
  g_autofree char *req = NULL;

  start (typed_steps, G_N_ELEMENTS (typed_steps), 5000);

  ck_assert (quiesce_client_ping (client, NULL, &error));
  ck_assert_ptr_null (error);

  version = quiesce_client_info (client, &commands, &disabled, NULL, &error);
  ck_assert_str_eq (version, "0.1.0");
  ck_assert_uint_eq (g_strv_length (commands), 2);
  ck_assert_str_eq (commands[0], "guest-ping");
  ck_assert_uint_eq (g_strv_length (disabled), 1);
  ck_assert_str_eq (disabled[0], "guest-fsfreeze-freeze");

  ck_assert (quiesce_client_fsfreeze_status (client, &frozen, NULL, &error));
  ck_assert (frozen);
  ck_assert_int_eq (quiesce_client_fsfreeze_freeze (client, NULL, &error), 2);
  ck_assert_int_eq (quiesce_client_fsfreeze_freeze_list (client, mountpoints, NULL, &error), 1);
  ck_assert_int_eq (quiesce_client_fsfreeze_thaw (client, NULL, &error), 2);

  quiesce_disk_set_serial (spec, "DISK-B");
  quiesce_disk_set_name (spec, "vdb");
  quiesce_disk_set_pci_controller (spec, 0, 0, 4, 0);
  g_ptr_array_add (disks, quiesce_disk_ref (spec));
  acquired = quiesce_client_acquire (client, mountpoints, disks, "backup-1", 120,
                                     QUIESCE_SPAN_REFUSE, NULL, &error);
  ck_assert_msg (acquired != NULL, "%s", error ? error->message : "");
  ck_assert (!quiesce_freeze_is_release (acquired));
  ck_assert_int_eq (quiesce_freeze_get_handle (acquired), 7);
  ck_assert_int_eq (quiesce_freeze_get_frozen (acquired), 1);
  ck_assert_int_eq (quiesce_freeze_get_thawed (acquired), -1);
  ck_assert_int_eq (quiesce_freeze_get_expires_in (acquired), 120);
  ck_assert_uint_eq (g_strv_length ((GStrv) quiesce_freeze_get_skipped (acquired)), 1);
  ck_assert_uint_eq (quiesce_freeze_get_filesystems (acquired)->len, 1);
  fs = g_ptr_array_index (quiesce_freeze_get_filesystems (acquired), 0);
  ck_assert_str_eq (quiesce_filesystem_get_mountpoint (fs), "/srv/lab/a");
  ck_assert_str_eq (quiesce_filesystem_get_name (fs), "loop5");
  ck_assert_str_eq (quiesce_filesystem_get_fs_type (fs), "ext4");
  ck_assert_int_eq (quiesce_filesystem_get_refs (fs), 2);
  ck_assert_str_eq (quiesce_filesystem_get_spans (fs)[0], "/dev/vdd");
  ck_assert_int_eq (quiesce_filesystem_get_total_bytes (fs), -1);
  ck_assert_uint_eq (quiesce_filesystem_get_disks (fs)->len, 1);
  disk = g_ptr_array_index (quiesce_filesystem_get_disks (fs), 0);
  ck_assert_str_eq (quiesce_disk_get_dev (disk), "/dev/loop5");
  ck_assert_str_eq (quiesce_disk_get_bus_type (disk), "file-backed-virtual");
  ck_assert_ptr_null (quiesce_disk_get_serial (disk));
  ck_assert_int_eq (quiesce_disk_get_target (disk), -1);
  ck_assert (quiesce_disk_get_pci_controller (disk, &d, &b, &s, &f));
  ck_assert_int_eq (d + b + s + f, -4);
  /* what the client sent: request 8 (0 is the sync) */
  req = request_at (7);
  ck_assert_str_eq (req, "guest-fsfreeze-acquire {\"mountpoints\":[\"/srv/lab/a\"],"
                         "\"disks\":[{\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":4,"
                         "\"function\":0},\"serial\":\"DISK-B\",\"name\":\"vdb\"}],"
                         "\"span\":\"refuse\",\"owner\":\"backup-1\",\"timeout\":120}");

  released = quiesce_client_release (client, 7, FALSE, NULL, &error);
  ck_assert_msg (released != NULL, "%s", error ? error->message : "");
  ck_assert (quiesce_freeze_is_release (released));
  ck_assert_int_eq (quiesce_freeze_get_handle (released), 7);
  ck_assert_int_eq (quiesce_freeze_get_thawed (released), 1);
  ck_assert_int_eq (quiesce_freeze_get_frozen (released), -1);
  fs = g_ptr_array_index (quiesce_freeze_get_filesystems (released), 0);
  ck_assert_int_eq (quiesce_filesystem_get_refs (fs), 0);

  ck_assert_int_eq (quiesce_client_renew (client, 7, 300, NULL, &error), 300);

  handles = quiesce_client_handles (client, NULL, &error);
  ck_assert_msg (handles != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (handles->len, 2);
  handle = g_ptr_array_index (handles, 0);
  ck_assert_int_eq (quiesce_handle_get_id (handle), 7);
  ck_assert_str_eq (quiesce_handle_get_owner (handle), "backup-1");
  ck_assert (!quiesce_handle_get_legacy (handle));
  ck_assert_int_eq (quiesce_handle_get_created (handle), 1795309039);
  ck_assert_int_eq (quiesce_handle_get_expires_in (handle), 118);
  ck_assert_ptr_null (quiesce_handle_get_lost (handle)[0]);
  handle = g_ptr_array_index (handles, 1);
  ck_assert (quiesce_handle_get_legacy (handle));
  ck_assert_int_eq (quiesce_handle_get_expires_in (handle), -1);
  ck_assert_str_eq (quiesce_handle_get_mountpoints (handle)[1], "/srv/lab/a");
  ck_assert_str_eq (quiesce_handle_get_lost (handle)[0], "'/srv/lab/b' is no longer mounted");

  resolved = quiesce_client_resolve (client, NULL, NULL, QUIESCE_SPAN_DEFAULT, &skipped, NULL,
                                     &error);
  ck_assert_msg (resolved != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (resolved->len, 1);
  ck_assert_ptr_nonnull (skipped);
  ck_assert_ptr_null (skipped[0]);

  fsinfo = quiesce_client_get_fsinfo (client, NULL, &error);
  ck_assert_msg (fsinfo != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (fsinfo->len, 2);
  fs = g_ptr_array_index (fsinfo, 0);
  ck_assert_str_eq (quiesce_filesystem_get_name (fs), "dm-0");
  ck_assert_int_eq (quiesce_filesystem_get_refs (fs), -1);
  ck_assert_int_eq (quiesce_filesystem_get_total_bytes (fs), 85160960);
  ck_assert_int_eq (quiesce_filesystem_get_used_bytes (fs), 14336);
  ck_assert_uint_eq (quiesce_filesystem_get_disks (fs)->len, 2);
  disk = g_ptr_array_index (quiesce_filesystem_get_disks (fs), 1);
  ck_assert_str_eq (quiesce_disk_get_serial (disk), "DISK-D");
  ck_assert (quiesce_disk_get_pci_controller (disk, NULL, NULL, &s, NULL));
  ck_assert_int_eq (s, 6);
  fs = g_ptr_array_index (fsinfo, 1);
  ck_assert_int_eq (quiesce_filesystem_get_used_bytes (fs), -1);
  disk = g_ptr_array_index (quiesce_filesystem_get_disks (fs), 0);
  ck_assert_ptr_null (quiesce_disk_get_serial (disk));
  ck_assert_str_eq (quiesce_disk_get_dev (disk), "/dev/vda");

  finish ();
}
END_TEST

/* the same script through the async forms */

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

#define ASYNC_RESULT(var) g_autoptr(GAsyncResult) var = NULL

/* the results hold the client: they go before finish() closes it */
static void
async_calls_body (void)
{
  g_autoptr(GError) error = NULL;
  ASYNC_RESULT (r_ping);
  ASYNC_RESULT (r_info);
  ASYNC_RESULT (r_status);
  ASYNC_RESULT (r_freeze);
  ASYNC_RESULT (r_list);
  ASYNC_RESULT (r_thaw);
  ASYNC_RESULT (r_acquire);
  ASYNC_RESULT (r_release);
  ASYNC_RESULT (r_renew);
  ASYNC_RESULT (r_handles);
  ASYNC_RESULT (r_resolve);
  ASYNC_RESULT (r_fsinfo);
  g_autofree char *version = NULL;
  g_autoptr(QuiesceFreeze) acquired = NULL;
  g_autoptr(QuiesceFreeze) released = NULL;
  g_autoptr(GPtrArray) handles = NULL;
  g_autoptr(GPtrArray) resolved = NULL;
  g_autoptr(GPtrArray) fsinfo = NULL;
  const char *mountpoints[] = { "/srv/lab/a", NULL };
  gboolean frozen = FALSE;

  /* one at a time: calls are answered in order either way, but waiting
   * keeps each result next to its call */
  quiesce_client_ping_async (client, NULL, store_result, &r_ping);
  ck_assert (quiesce_client_ping_finish (client, wait_result (&r_ping), &error));
  quiesce_client_info_async (client, NULL, store_result, &r_info);
  version = quiesce_client_info_finish (client, wait_result (&r_info), NULL, NULL, &error);
  ck_assert_str_eq (version, "0.1.0");
  quiesce_client_fsfreeze_status_async (client, NULL, store_result, &r_status);
  ck_assert (quiesce_client_fsfreeze_status_finish (client, wait_result (&r_status), &frozen,
                                                    &error));
  ck_assert (frozen);
  quiesce_client_fsfreeze_freeze_async (client, NULL, store_result, &r_freeze);
  ck_assert_int_eq (quiesce_client_fsfreeze_freeze_finish (client, wait_result (&r_freeze), &error), 2);
  quiesce_client_fsfreeze_freeze_list_async (client, mountpoints, NULL, store_result, &r_list);
  ck_assert_int_eq (quiesce_client_fsfreeze_freeze_list_finish (client, wait_result (&r_list), &error), 1);
  quiesce_client_fsfreeze_thaw_async (client, NULL, store_result, &r_thaw);
  ck_assert_int_eq (quiesce_client_fsfreeze_thaw_finish (client, wait_result (&r_thaw), &error), 2);
  quiesce_client_acquire_async (client, mountpoints, NULL, NULL, 0, QUIESCE_SPAN_DEFAULT, NULL,
                                store_result, &r_acquire);
  acquired = quiesce_client_acquire_finish (client, wait_result (&r_acquire), &error);
  ck_assert_int_eq (quiesce_freeze_get_handle (acquired), 7);
  quiesce_client_release_async (client, 7, FALSE, NULL, store_result, &r_release);
  released = quiesce_client_release_finish (client, wait_result (&r_release), &error);
  ck_assert_int_eq (quiesce_freeze_get_handle (released), 7);
  ck_assert_int_eq (quiesce_freeze_get_thawed (released), 1);
  quiesce_client_renew_async (client, 7, 0, NULL, store_result, &r_renew);
  ck_assert_int_eq (quiesce_client_renew_finish (client, wait_result (&r_renew), &error), 300);
  quiesce_client_handles_async (client, NULL, store_result, &r_handles);
  handles = quiesce_client_handles_finish (client, wait_result (&r_handles), &error);
  ck_assert_uint_eq (handles->len, 2);
  quiesce_client_resolve_async (client, NULL, NULL, QUIESCE_SPAN_INCLUDE, NULL, store_result,
                                &r_resolve);
  resolved = quiesce_client_resolve_finish (client, wait_result (&r_resolve), NULL, &error);
  ck_assert_uint_eq (resolved->len, 1);
  quiesce_client_get_fsinfo_async (client, NULL, store_result, &r_fsinfo);
  fsinfo = quiesce_client_get_fsinfo_finish (client, wait_result (&r_fsinfo), &error);
  ck_assert_uint_eq (fsinfo->len, 2);
  ck_assert_ptr_null (error);
}

START_TEST (test_async_calls)
{
  start (typed_steps, G_N_ELEMENTS (typed_steps), 5000);
  async_calls_body ();
  finish ();
}
END_TEST

/* garbage and stale replies before the 0xFF of the sync reply */
static const Step garbage_steps[] = {
  { "guest-sync-delimited",
    "garbage\n"                      /* not JSON */
    "{\"return\":{}}\n"             /* a late reply to an earlier command */
    "\xff" "{\"return\":12345}\n"   /* a stale sync reply: 0xFF, another id */
    "\xff" "{\"ret"                 /* a sync reply cut by the next 0xFF */
    "\xff" "{\"return\":@ID@}\n" }, /* ours */
  { "guest-ping", "{\"return\":{}}\n" },
};

START_TEST (test_sync_garbage)
{
  g_autoptr(GError) error = NULL;

  start (garbage_steps, G_N_ELEMENTS (garbage_steps), 2000);
  ck_assert_msg (quiesce_client_ping (client, NULL, &error), "%s", error ? error->message : "");
  finish ();
}
END_TEST

/* a sync answered only with other ids: three attempts, then SYNC_FAILED */
static const Step sync_fail_steps[] = {
  { "guest-sync-delimited", "\xff" "{\"return\":1}\n" },
  { "guest-sync-delimited", "\xff" "{\"return\":2}\n" },
  { "guest-sync-delimited", "\xff" "{\"return\":3}\n" },
};

START_TEST (test_sync_failed)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *r0 = NULL;
  g_autofree char *r1 = NULL;

  start (sync_fail_steps, G_N_ELEMENTS (sync_fail_steps), 200);
  ck_assert (!quiesce_client_ping (client, NULL, &error));
  ck_assert_msg (g_error_matches (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_SYNC_FAILED),
                 "%s", error->message);
  /* each attempt has a fresh id */
  r0 = request_at (0);
  r1 = request_at (1);
  ck_assert_str_ne (r0, r1);
  finish ();
}
END_TEST

/* an agent that stalls: timeout; the next call resyncs and the late
 * reply (which would be a bad status) is dropped */
static const Step stall_steps[] = {
  STEP_SYNC,
  { "guest-ping", "{\"return\":{}}\n", 600 },
  STEP_SYNC,
  { "guest-fsfreeze-status", "{\"return\":\"thawed\"}\n" },
};

START_TEST (test_stall)
{
  g_autoptr(GError) error = NULL;
  gboolean frozen = TRUE;

  start (stall_steps, G_N_ELEMENTS (stall_steps), 300);
  ck_assert (!quiesce_client_ping (client, NULL, &error));
  ck_assert_msg (g_error_matches (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_TIMED_OUT),
                 "%s", error->message);
  g_clear_error (&error);
  /* the resync waits out the stall: the fake answers it after the late reply */
  quiesce_client_set_timeout (client, 3000);
  ck_assert_msg (quiesce_client_fsfreeze_status (client, &frozen, NULL, &error), "%s",
                 error ? error->message : "");
  ck_assert (!frozen);
  finish ();
}
END_TEST

/* the agent hangs up in the middle of a reply */
static const Step hangup_steps[] = {
  STEP_SYNC,
  { "guest-fsfreeze-handles", "{\"return\":[{\"handle\":1,", 0, TRUE },
};

START_TEST (test_disconnect_mid_reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) handles = NULL;

  start (hangup_steps, G_N_ELEMENTS (hangup_steps), 2000);
  handles = quiesce_client_handles (client, NULL, &error);
  ck_assert_ptr_null (handles);
  ck_assert_msg (g_error_matches (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_DISCONNECTED),
                 "%s", error->message);
  ck_assert_ptr_nonnull (strstr (error->message, "middle of a reply"));
  g_clear_error (&error);
  /* the connection is gone for good */
  ck_assert (!quiesce_client_ping (client, NULL, &error));
  ck_assert (g_error_matches (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED));
  finish ();
}
END_TEST

/* a class this library does not know */
static const Step unknown_class_steps[] = {
  STEP_SYNC,
  { "guest-fsfreeze-renew",
    "{\"error\":{\"class\":\"SomethingNew\","   /* not in the table */
    "\"desc\":\"the handle went to lunch\"}}\n" },
  /* an error keeps the channel in sync: no new sync before this one */
  { "guest-ping", "{\"return\":{}}\n" },
};

START_TEST (test_unknown_class)
{
  g_autoptr(GError) error = NULL;

  start (unknown_class_steps, G_N_ELEMENTS (unknown_class_steps), 2000);
  ck_assert_int_eq (quiesce_client_renew (client, 3, 0, NULL, &error), -1);
  ck_assert (g_error_matches (error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_GENERIC));
  ck_assert_str_eq (error->message, "SomethingNew: the handle went to lunch");
  g_clear_error (&error);
  ck_assert (quiesce_client_ping (client, NULL, &error));
  finish ();
}
END_TEST

/* every class of common/'s table comes back as its own code */
START_TEST (test_known_classes)
{
  gsize n_classes = 0;
  const QwErrorClass *classes = qw_error_classes (&n_classes);
  g_autoptr(GArray) steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  Step sync = STEP_SYNC;

  g_array_append_val (steps, sync);
  for (gsize i = 0; i < n_classes; i++)
    {
      char *reply = g_strdup_printf ("{\"error\":{\"class\":\"%s\",\"desc\":\"desc of %s\"}}\n",
                                     classes[i].name, classes[i].name);
      Step step = { "guest-fsfreeze-release", reply };

      g_ptr_array_add (texts, reply);
      g_array_append_val (steps, step);
    }
  start ((const Step *) steps->data, steps->len, 2000);
  for (gsize i = 0; i < n_classes; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(QuiesceFreeze) released = quiesce_client_release (client, 5, FALSE, NULL, &error);
      g_autofree char *desc = g_strdup_printf ("desc of %s", classes[i].name);

      ck_assert_ptr_null (released);
      ck_assert_msg (g_error_matches (error, QUIESCE_AGENT_ERROR, (gint) classes[i].code),
                     "%s gave %s/%d", classes[i].name, g_quark_to_string (error->domain),
                     error->code);
      ck_assert_str_eq (error->message, desc);
      ck_assert_str_eq (quiesce_agent_error_to_string ((QuiesceAgentError) classes[i].code),
                        classes[i].name);
    }
  finish ();
}
END_TEST

/* a reply over the 16 MiB cap is refused; the channel resyncs after it */
static const Step oversize_steps[] = {
  STEP_SYNC,
  { "guest-get-fsinfo", NULL, 0, FALSE, 16 * 1024 * 1024 + 4096 },
  STEP_SYNC,
  { "guest-ping", "{\"return\":{}}\n" },
};

START_TEST (test_oversize)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) fsinfo = NULL;

  start (oversize_steps, G_N_ELEMENTS (oversize_steps), 20000);
  fsinfo = quiesce_client_get_fsinfo (client, NULL, &error);
  ck_assert_ptr_null (fsinfo);
  ck_assert_msg (g_error_matches (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY),
                 "%s", error->message);
  ck_assert_msg (strstr (error->message, "size limit") != NULL, "%s", error->message);
  g_clear_error (&error);
  ck_assert_msg (quiesce_client_ping (client, NULL, &error), "%s", error ? error->message : "");
  finish ();
}
END_TEST

/* malformed replies: each is BAD_REPLY, none crashes; envelope-level ones
 * make the client resync */
static const Step malformed_steps[] = {
  STEP_SYNC,
  { "guest-ping", "[1,2]\n" },                                  /* not an object */
  STEP_SYNC,
  { "guest-ping", "{\"foo\":1}\n" },                            /* neither return nor error */
  STEP_SYNC,
  { "guest-ping", "{\"return\":{},\"error\":{}}\n" },           /* both */
  STEP_SYNC,
  { "guest-ping", "{\"error\":\"broken\"}\n" },                 /* error not an object */
  STEP_SYNC,
  { "guest-ping", "{\"error\":{\"class\":1,\"desc\":\"x\"}}\n" }, /* class not a string */
  STEP_SYNC,
  { "guest-ping", "{\"return\": tru}\n" },                      /* not JSON */
  STEP_SYNC,
  /* well-formed envelopes with the wrong return for the command: the
   * channel stays in sync */
  { "guest-fsfreeze-thaw", "{\"return\":\"two\"}\n" },         /* count as string */
  { "guest-fsfreeze-thaw", "{\"return\":-1}\n" },              /* negative count */
  { "guest-fsfreeze-status", "{\"return\":\"melting\"}\n" },   /* unknown state */
  { "guest-ping", "{\"return\":[]}\n" },                        /* ping wants {} */
  { "guest-fsfreeze-acquire",                                   /* expires-in mistyped */
    "{\"return\":{\"handle\":1,\"frozen\":1,\"filesystems\":[],\"expires-in\":\"soon\"}}\n" },
  { "guest-fsfreeze-release",                                   /* filesystems missing */
    "{\"return\":{\"thawed\":1}}\n" },
  { "guest-fsfreeze-renew", "{\"return\":{}}\n" },              /* expires-in missing */
  { "guest-fsfreeze-handles",                                   /* legacy not a bool */
    "{\"return\":[{\"handle\":1,\"owner\":\"\",\"legacy\":1,\"created\":0,"
    "\"expires-in\":1,\"filesystems\":[]}]}\n" },
  { "guest-fsfreeze-resolve",                                   /* an FsRef without refs */
    "{\"return\":{\"filesystems\":[{\"mountpoint\":\"/a\",\"name\":\"vda\",\"type\":\"ext4\","
    "\"disks\":[],\"spans\":[]}]}}\n" },
  { "guest-get-fsinfo",                                         /* a disk without bus-type */
    "{\"return\":[{\"name\":\"vda\",\"mountpoint\":\"/\",\"type\":\"ext4\",\"disk\":[{"
    "\"bus\":0,\"target\":0,\"unit\":0,\"pci-controller\":{\"domain\":0,\"bus\":0,"
    "\"slot\":3,\"function\":0}}]}]}\n" },
  { "guest-get-fsinfo", "{\"return\":{}}\n" },                  /* not an array */
  { "guest-info", "{\"return\":{\"version\":1}}\n" },           /* version not a string */
  { "guest-ping", "{\"return\":{}}\n" },                        /* and still usable */
};

static void
assert_bad_reply (GError **error)
{
  ck_assert_ptr_nonnull (*error);
  ck_assert_msg (g_error_matches (*error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY),
                 "%s/%d: %s", g_quark_to_string ((*error)->domain), (*error)->code,
                 (*error)->message);
  g_clear_error (error);
}

START_TEST (test_malformed)
{
  g_autoptr(GError) error = NULL;
  gboolean frozen;

  start (malformed_steps, G_N_ELEMENTS (malformed_steps), 2000);
  for (guint i = 0; i < 6; i++)
    {
      ck_assert (!quiesce_client_ping (client, NULL, &error));
      assert_bad_reply (&error);
    }
  ck_assert_int_eq (quiesce_client_fsfreeze_thaw (client, NULL, &error), -1);
  assert_bad_reply (&error);
  ck_assert_int_eq (quiesce_client_fsfreeze_thaw (client, NULL, &error), -1);
  assert_bad_reply (&error);
  ck_assert (!quiesce_client_fsfreeze_status (client, &frozen, NULL, &error));
  assert_bad_reply (&error);
  ck_assert (!quiesce_client_ping (client, NULL, &error));
  assert_bad_reply (&error);
  ck_assert_ptr_null (quiesce_client_acquire (client, NULL, NULL, NULL, 0, QUIESCE_SPAN_DEFAULT,
                                              NULL, &error));
  assert_bad_reply (&error);
  ck_assert_ptr_null (quiesce_client_release (client, 1, FALSE, NULL, &error));
  assert_bad_reply (&error);
  ck_assert_int_eq (quiesce_client_renew (client, 1, 0, NULL, &error), -1);
  assert_bad_reply (&error);
  ck_assert_ptr_null (quiesce_client_handles (client, NULL, &error));
  assert_bad_reply (&error);
  ck_assert_ptr_null (quiesce_client_resolve (client, NULL, NULL, QUIESCE_SPAN_DEFAULT, NULL,
                                              NULL, &error));
  assert_bad_reply (&error);
  ck_assert_ptr_null (quiesce_client_get_fsinfo (client, NULL, &error));
  assert_bad_reply (&error);
  ck_assert_ptr_null (quiesce_client_get_fsinfo (client, NULL, &error));
  assert_bad_reply (&error);
  ck_assert_ptr_null (quiesce_client_info (client, NULL, NULL, NULL, &error));
  assert_bad_reply (&error);
  ck_assert (quiesce_client_ping (client, NULL, &error));
  finish ();
}
END_TEST

/* an async call cancelled while the agent stalls; the next call resyncs */
static const Step cancel_steps[] = {
  STEP_SYNC,
  { "guest-ping", "{\"return\":{}}\n", 400 },
  STEP_SYNC,
  { "guest-fsfreeze-status", "{\"return\":\"frozen\"}\n" },
};

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

static void
async_cancel_body (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  gboolean frozen = FALSE;

  quiesce_client_ping_async (client, cancellable, store_result, &result);
  g_timeout_add (50, cancel_cb, cancellable);
  ck_assert (!quiesce_client_ping_finish (client, wait_result (&result), &error));
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s", error->message);
  g_clear_error (&error);
  ck_assert_msg (quiesce_client_fsfreeze_status (client, &frozen, NULL, &error), "%s",
                 error ? error->message : "");
  ck_assert (frozen);
}

START_TEST (test_async_cancel)
{
  start (cancel_steps, G_N_ELEMENTS (cancel_steps), 5000);
  async_cancel_body ();
  finish ();
}
END_TEST

START_TEST (test_not_connected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QuiesceClient) nobody = quiesce_client_new_for_path ("/nonexistent/quiesce.sock",
                                                                 &error);

  ck_assert_ptr_null (nobody);
  ck_assert (g_error_matches (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED));
  ck_assert_ptr_nonnull (strstr (error->message, "/nonexistent/quiesce.sock"));
}
END_TEST

/* the disk spec writer: only what is set */
START_TEST (test_disk_spec)
{
  g_autoptr(QuiesceDisk) spec = quiesce_disk_new ();
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  quiesce_disk_set_dev (spec, "/dev/loop3");
  quiesce_disk_set_target (spec, 1);
  quiesce_disk_set_unit (spec, 2);
  quiesce_disk_set_bus_type (spec, "scsi");
  obj = quiesce_disk_to_json (spec);
  node = json_node_init_object (json_node_alloc (), obj);
  text = qw_json_compact (node);
  ck_assert_str_eq (text, "{\"bus-type\":\"scsi\",\"target\":1,\"unit\":2,\"dev\":\"/dev/loop3\"}");
  quiesce_disk_set_dev (spec, NULL);
  ck_assert_ptr_null (quiesce_disk_get_dev (spec));
}
END_TEST

static Suite *
client_suite (void)
{
  Suite *s = suite_create ("host-client");
  TCase *tc = tcase_create ("client");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_typed_calls);
  tcase_add_test (tc, test_async_calls);
  tcase_add_test (tc, test_sync_garbage);
  tcase_add_test (tc, test_sync_failed);
  tcase_add_test (tc, test_stall);
  tcase_add_test (tc, test_disconnect_mid_reply);
  tcase_add_test (tc, test_unknown_class);
  tcase_add_test (tc, test_known_classes);
  tcase_add_test (tc, test_oversize);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_async_cancel);
  tcase_add_test (tc, test_not_connected);
  tcase_add_test (tc, test_disk_spec);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *runner = srunner_create (client_suite ());
  int failed;

  srunner_run_all (runner, CK_ENV);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
