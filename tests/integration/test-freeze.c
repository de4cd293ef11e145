/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root integration tests: the freeze table of quiesce-agent against the
 * kernel.  After every step, writers on each filesystem show what is really
 * frozen (qt_expect). */
#include "qt-harness.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define DISABLED_FREEZE_LIST                                                                       \
  "Command guest-fsfreeze-freeze-list has been disabled: the agent is in frozen state"
#define DISABLED_FREEZE                                                                            \
  "Command guest-fsfreeze-freeze has been disabled: the agent is in frozen state"

static JsonArray *
handles (QtClient *c)
{
  JsonNode *ret = qt_ok (c, "{\"execute\":\"guest-fsfreeze-handles\"}");

  qt_assert_reply (c, JSON_NODE_HOLDS_ARRAY (ret));
  return json_node_get_array (ret);
}

/* the handle's entry must list exactly these mountpoints (any order) */
static void
assert_handle_lists (QtClient *c, JsonArray *list, gint64 handle, const char *owner,
                     gboolean legacy, const char *const *mps)
{
  JsonObject *e = qt_handles_find (list, handle);
  JsonArray *fs;
  JsonNode *lg;

  ck_assert_msg (e != NULL, "handle %" G_GINT64_FORMAT " is not listed: %s", handle,
                 qt_client_last_reply (c));
  if (owner != NULL)
    qt_assert_str (c, qt_get_str (e, "owner"), owner);
  lg = json_object_get_member (e, "legacy");
  qt_assert_reply (c, lg != NULL && json_node_get_value_type (lg) == G_TYPE_BOOLEAN);
  qt_assert_int (c, json_node_get_boolean (lg), legacy);
  (void) qt_get_int (e, "created");
  (void) qt_get_int (e, "expires-in");
  fs = qt_get_array (e, "filesystems");
  qt_assert_int (c, json_array_get_length (fs), g_strv_length ((char **) mps));
  for (guint i = 0; mps[i] != NULL; i++)
    {
      gboolean found = FALSE;
      for (guint k = 0; k < json_array_get_length (fs); k++)
        if (g_strcmp0 (qt_str_at (fs, k), mps[i]) == 0)
          found = TRUE;
      ck_assert_msg (found, "handle %" G_GINT64_FORMAT " does not list %s: %s", handle, mps[i],
                     qt_client_last_reply (c));
    }
}

/* the legacy handle's entry, or NULL */
static JsonObject *
legacy_entry (JsonArray *list)
{
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = qt_obj_at (list, i);
      if (o != NULL && qt_bool_or (o, "legacy", FALSE))
        return o;
    }
  return NULL;
}

static gboolean
command_enabled (QtClient *c, const char *name)
{
  JsonNode *ret = qt_ok (c, "{\"execute\":\"guest-info\"}");
  JsonArray *cmds;

  qt_assert_reply (c, JSON_NODE_HOLDS_OBJECT (ret));
  cmds = qt_get_array (json_node_get_object (ret), "supported_commands");
  for (guint i = 0; i < json_array_get_length (cmds); i++)
    {
      JsonObject *o = qt_obj_at (cmds, i);
      if (o != NULL && g_strcmp0 (qt_str_or_null (o, "name"), name) == 0)
        return qt_bool_or (o, "enabled", FALSE);
    }
  ck_abort_msg ("guest-info does not list %s: %s", name, qt_client_last_reply (c));
  return FALSE;
}

static void
assert_idle (QtClient *c)
{
  qt_assert_str (c, qt_status (c), "thawed");
  qt_assert_int (c, json_array_get_length (handles (c)), 0);
}

static void
start (const char **a, const char **b, const char **c, QtClient **cl)
{
  QtHarness *h = qt_harness ();

  qt_fs_standard (h, a, b, c);
  qt_agent_start (h, NULL);
  *cl = qt_client_new (h);
  assert_idle (*cl);
  qt_expect (h, *a, FALSE, *b, FALSE, *c, FALSE, NULL);
}

/* 1. counting: acquire A,B -> h1; acquire A -> h2; release h1 -> B thawed,
 * A frozen; release h2 -> A thawed */
START_TEST (test_counting)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) cl = NULL;
  const char *a, *b, *c;
  JsonObject *r;
  JsonArray *list;
  gint64 h1, h2;

  start (&a, &b, &c, &cl);

  r = qt_acquire (cl, "it-count", 0, a, b, NULL);
  h1 = qt_get_int (r, "handle");
  qt_assert_int (cl, qt_get_int (r, "frozen"), 2);
  qt_assert_int (cl, json_array_get_length (qt_get_array (r, "filesystems")), 2);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, a), "refs"), 1);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, b), "refs"), 1);
  /* the default deadline is 60 s */
  qt_assert_reply (cl, qt_get_int (r, "expires-in") > 50 && qt_get_int (r, "expires-in") <= 60);
  qt_expect (h, a, TRUE, b, TRUE, c, FALSE, NULL);
  qt_assert_str (cl, qt_status (cl), "frozen");

  r = qt_acquire (cl, "it-count", 0, a, NULL);
  h2 = qt_get_int (r, "handle");
  qt_assert_reply (cl, h2 != h1);
  qt_assert_int (cl, qt_get_int (r, "frozen"), 0);
  qt_assert_int (cl, json_array_get_length (qt_get_array (r, "filesystems")), 1);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, a), "refs"), 2);
  qt_expect (h, a, TRUE, b, TRUE, c, FALSE, NULL);

  list = handles (cl);
  qt_assert_int (cl, json_array_get_length (list), 2);
  assert_handle_lists (cl, list, h1, "it-count", FALSE, (const char *const[]){ a, b, NULL });
  assert_handle_lists (cl, list, h2, "it-count", FALSE, (const char *const[]){ a, NULL });

  r = qt_release (cl, h1);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, a), "refs"), 1);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, b), "refs"), 0);
  qt_expect (h, a, TRUE, b, FALSE, c, FALSE, NULL);
  qt_assert_str (cl, qt_status (cl), "frozen");

  r = qt_release (cl, h2);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, a), "refs"), 0);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);

  /* a second release of a released handle */
  qt_err (cl, "HandleNotFound",
          "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
          "}}",
          h1);
}
END_TEST

/* 2. interleaved and nested */
START_TEST (test_interleaved_nested)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) cl = NULL;
  const char *a, *b, *c;
  JsonObject *r;
  gint64 h1, h2, h3, h4;

  start (&a, &b, &c, &cl);

  /* interleaved: A -> h1; B -> h2; release h1; release h2 */
  h1 = qt_get_int (qt_acquire (cl, "it-inter", 0, a, NULL), "handle");
  qt_expect (h, a, TRUE, b, FALSE, c, FALSE, NULL);
  h2 = qt_get_int (qt_acquire (cl, "it-inter", 0, b, NULL), "handle");
  qt_expect (h, a, TRUE, b, TRUE, c, FALSE, NULL);
  r = qt_release (cl, h1);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_expect (h, a, FALSE, b, TRUE, c, FALSE, NULL);
  r = qt_release (cl, h2);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);

  /* nested: A -> h3; B -> h4; release h4; release h3 */
  h3 = qt_get_int (qt_acquire (cl, "it-nest", 0, a, NULL), "handle");
  h4 = qt_get_int (qt_acquire (cl, "it-nest", 0, b, NULL), "handle");
  qt_expect (h, a, TRUE, b, TRUE, c, FALSE, NULL);
  /* handle numbers are never reused */
  qt_assert_reply (cl, h3 != h1 && h3 != h2 && h4 != h1 && h4 != h2 && h3 != h4);
  r = qt_release (cl, h4);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_expect (h, a, TRUE, b, FALSE, c, FALSE, NULL);
  r = qt_release (cl, h3);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);
}
END_TEST

/* 3. the legacy freeze beside live handles */
START_TEST (test_legacy_beside_handles)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) cl = NULL;
  const char *a, *b, *c;
  JsonObject *r;
  JsonObject *leg;
  const char *desc;
  gint64 h1, h2;

  start (&a, &b, &c, &cl);
  qt_assert_reply (cl, command_enabled (cl, "guest-fsfreeze-freeze-list"));

  h1 = qt_get_int (qt_acquire (cl, "it-legacy", 0, a, NULL), "handle");
  qt_expect (h, a, TRUE, b, FALSE, c, FALSE, NULL);
  /* a legacy freeze while only handles are active succeeds, and what
   * they froze counts for it too */
  qt_assert_int (cl, qt_legacy_freeze (cl, a, b, NULL), 2);
  qt_expect (h, a, TRUE, b, TRUE, c, FALSE, NULL);

  /* a second legacy freeze fails as in qemu-ga, and changes nothing */
  desc = qt_err (
      cl, "CommandNotFound",
      "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"%s\"]}}", c);
  qt_assert_str (cl, desc, DISABLED_FREEZE_LIST);
  /* (the agent runs with --only-under, so even this freeze-all is safe) */
  desc = qt_err (cl, "CommandNotFound", "{\"execute\":\"guest-fsfreeze-freeze\"}");
  qt_assert_str (cl, desc, DISABLED_FREEZE);
  qt_assert_reply (cl, !command_enabled (cl, "guest-fsfreeze-freeze-list"));
  qt_assert_reply (cl, !command_enabled (cl, "guest-fsfreeze-freeze"));
  qt_assert_reply (cl, command_enabled (cl, "guest-fsfreeze-acquire"));
  qt_expect (h, a, TRUE, b, TRUE, c, FALSE, NULL);

  leg = legacy_entry (handles (cl));
  ck_assert_msg (leg != NULL, "guest-fsfreeze-handles lists no legacy handle: %s",
                 qt_client_last_reply (cl));
  qt_assert_int (cl, json_array_get_length (qt_get_array (leg, "filesystems")), 2);

  /* the handle goes: A stays frozen, the legacy handle holds it */
  r = qt_release (cl, h1);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 0);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, a), "refs"), 1);
  qt_expect (h, a, TRUE, b, TRUE, c, FALSE, NULL);

  /* a new handle on B, then the legacy thaw: it thaws A only */
  r = qt_acquire (cl, "it-legacy", 0, b, NULL);
  h2 = qt_get_int (r, "handle");
  qt_assert_int (cl, qt_get_int (r, "frozen"), 0);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, b), "refs"), 2);
  qt_assert_int (cl, qt_legacy_thaw (cl), 2);
  qt_expect (h, a, FALSE, b, TRUE, c, FALSE, NULL);
  qt_assert_str (cl, qt_status (cl), "frozen");
  qt_assert_reply (cl, command_enabled (cl, "guest-fsfreeze-freeze-list"));
  qt_assert_reply (cl, legacy_entry (handles (cl)) == NULL);

  /* as in qemu-ga: a thaw with nothing held returns 0 */
  qt_assert_int (cl, qt_legacy_thaw (cl), 0);
  qt_expect (h, a, FALSE, b, TRUE, c, FALSE, NULL);

  r = qt_release (cl, h2);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);

  /* freeze-list ignores what is not a freezable mountpoint, and an empty
   * list holds nothing */
  {
    g_autofree char *notmp = g_build_filename (qt_only_under (h), "not-a-mount", NULL);
    g_mkdir (notmp, 0755);
    qt_assert_int (cl, qt_legacy_freeze (cl, notmp, NULL), 0);
    qt_assert_int (cl, qt_legacy_thaw (cl), 0);
    /* (an empty list: "mountpoints":[]) */
    qt_assert_int (cl, qt_legacy_freeze (cl, NULL), 0);
    qt_assert_int (cl, qt_legacy_thaw (cl), 0);
  }
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);
}
END_TEST

/* 4. deadlines */
START_TEST (test_deadline)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) cl = NULL;
  const char *a, *b, *c;
  JsonObject *r;
  JsonNode *ret;
  gint64 h1, h2, t0;

  qt_fs_standard (h, &a, &b, &c);
  qt_agent_start (h, "--legacy-timeout", "2", NULL);
  cl = qt_client_new (h);

  /* a handle that expires by itself */
  t0 = qt_now_ms ();
  r = qt_acquire (cl, "it-deadline", 1, a, NULL);
  h1 = qt_get_int (r, "handle");
  qt_assert_reply (cl, qt_get_int (r, "expires-in") >= 0 && qt_get_int (r, "expires-in") <= 1);
  qt_expect (h, a, TRUE, b, FALSE, c, FALSE, NULL);
  /* the writer blocked on A must finish once the deadline thaws it */
  qt_expect (h, a, FALSE, NULL);
  g_print ("# the 1 s deadline thawed A %" G_GINT64_FORMAT " ms after the acquire\n",
           qt_now_ms () - t0);
  qt_assert_reply (cl, qt_handles_find (handles (cl), h1) == NULL);
  qt_assert_str (cl, qt_status (cl), "thawed");
  qt_err (cl, "HandleExpired",
          "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
          "}}",
          h1);
  qt_err (cl, "HandleExpired",
          "{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
          ",\"timeout\":10}}",
          h1);
  /* the tombstone keeps answering */
  qt_err (cl, "HandleExpired",
          "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
          "}}",
          h1);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);

  /* renew extends the deadline */
  h2 = qt_get_int (qt_acquire (cl, "it-deadline", 2, b, NULL), "handle");
  ret = qt_ok (cl,
               "{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
               ",\"timeout\":30}}",
               h2);
  qt_assert_reply (cl, JSON_NODE_HOLDS_OBJECT (ret));
  qt_assert_reply (cl, qt_get_int (json_node_get_object (ret), "expires-in") > 20
                           && qt_get_int (json_node_get_object (ret), "expires-in") <= 30);
  g_usleep (3 * G_USEC_PER_SEC);
  qt_expect (h, a, FALSE, b, TRUE, c, FALSE, NULL);
  r = qt_release (cl, h2);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);

  /* the legacy handle has its own deadline (--legacy-timeout 2) */
  qt_assert_int (cl, qt_legacy_freeze (cl, c, NULL), 1);
  qt_expect (h, a, FALSE, b, FALSE, c, TRUE, NULL);
  qt_expect (h, c, FALSE, NULL);
  qt_assert_reply (cl, legacy_entry (handles (cl)) == NULL);
  /* the first thaw reports the expiry, the next returns 0 */
  qt_err (cl, "HandleExpired", "{\"execute\":\"guest-fsfreeze-thaw\"}");
  qt_assert_int (cl, qt_legacy_thaw (cl), 0);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);
}
END_TEST

/* 5. SIGKILL with handles held: a restart on the same state dir keeps them */
START_TEST (test_kill_restart)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) cl = NULL;
  const char *a, *b, *c;
  JsonObject *r;
  JsonArray *list;
  struct stat st;
  gint64 h1, h2, h3;
  int status;

  start (&a, &b, &c, &cl);
  ck_assert_msg (stat (qt_agent_socket (h), &st) == 0 && S_ISSOCK (st.st_mode), "%s is no socket",
                 qt_agent_socket (h));
  ck_assert_msg ((st.st_mode & 0777) == 0600, "the socket has mode %03o, expected 600",
                 st.st_mode & 0777);

  h1 = qt_get_int (qt_acquire (cl, "it-restart-1", 300, a, b, NULL), "handle");
  h2 = qt_get_int (qt_acquire (cl, "it-restart-2", 300, b, c, NULL), "handle");
  qt_expect (h, a, TRUE, b, TRUE, c, TRUE, NULL);

  qt_agent_signal (h, SIGKILL);
  status = qt_agent_wait (h, 10000);
  ck_assert_msg (status != -1 && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
                 "the agent did not die of SIGKILL (status 0x%x)", status);
  g_clear_pointer (&cl, qt_client_free);
  /* the kernel keeps them frozen */
  qt_expect (h, a, TRUE, b, TRUE, c, TRUE, NULL);

  /* the stale socket is replaced */
  qt_agent_restart (h);
  cl = qt_client_new (h);
  qt_ping (cl);
  qt_assert_str (cl, qt_status (cl), "frozen");
  list = handles (cl);
  qt_assert_int (cl, json_array_get_length (list), 2);
  assert_handle_lists (cl, list, h1, "it-restart-1", FALSE, (const char *const[]){ a, b, NULL });
  assert_handle_lists (cl, list, h2, "it-restart-2", FALSE, (const char *const[]){ b, c, NULL });
  qt_expect (h, a, TRUE, b, TRUE, c, TRUE, NULL);

  r = qt_release (cl, h1);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 1);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, b), "refs"), 1);
  qt_expect (h, a, FALSE, b, TRUE, c, TRUE, NULL);
  r = qt_release (cl, h2);
  qt_assert_int (cl, qt_get_int (r, "thawed"), 2);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);

  /* numbers are not reused after a restart either */
  h3 = qt_get_int (qt_acquire (cl, "it-restart-3", 0, c, NULL), "handle");
  qt_assert_reply (cl, h3 != h1 && h3 != h2);
  qt_expect (h, c, TRUE, NULL);
  qt_assert_int (cl, qt_get_int (qt_release (cl, h3), "thawed"), 1);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
}
END_TEST

/* 6. a filesystem frozen outside the agent (fsfreeze -f) */
START_TEST (test_external_freeze)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) cl = NULL;
  const char *a, *b, *c;
  const char *desc;

  start (&a, &b, &c, &cl);
  qt_run ((const char *const[]){ "fsfreeze", "-f", a, NULL });
  qt_expect (h, a, TRUE, b, FALSE, c, FALSE, NULL);

  /* A is mounted first, so in reverse mount order C and B freeze before A
   * fails: the acquire must undo them */
  desc = qt_err (cl, "Busy",
                 "{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":"
                 "[\"%s\",\"%s\",\"%s\"],\"owner\":\"it-external\"}}",
                 a, b, c);
  g_print ("# acquire on an externally frozen fs: Busy, \"%s\"\n", desc);
  qt_expect (h, a, TRUE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);

  /* the legacy freeze skips it and does not count it */
  qt_assert_int (cl, qt_legacy_freeze (cl, a, b, NULL), 1);
  qt_expect (h, a, TRUE, b, TRUE, c, FALSE, NULL);
  /* ... and its thaw leaves it frozen */
  qt_assert_int (cl, qt_legacy_thaw (cl), 1);
  qt_expect (h, a, TRUE, b, FALSE, c, FALSE, NULL);
  assert_idle (cl);

  qt_run ((const char *const[]){ "fsfreeze", "-u", a, NULL });
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
}
END_TEST

/* 8. SIGTERM thaws everything and exits 0 */
START_TEST (test_sigterm)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) cl = NULL;
  const char *a, *b, *c;
  int status;

  start (&a, &b, &c, &cl);
  (void) qt_acquire (cl, "it-term", 300, a, b, NULL);
  (void) qt_acquire (cl, "it-term", 300, b, NULL);
  qt_assert_int (cl, qt_legacy_freeze (cl, c, NULL), 1);
  qt_expect (h, a, TRUE, b, TRUE, c, TRUE, NULL);

  qt_agent_signal (h, SIGTERM);
  status = qt_agent_wait (h, 10000);
  if (status == -1)
    qt_agent_dump_log (h);
  ck_assert_msg (status != -1, "the agent did not exit within 10 s of SIGTERM");
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                 "the agent's SIGTERM exit status is 0x%x, expected exit 0", status);
  g_clear_pointer (&cl, qt_client_free);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);

  /* and a restart on the same state dir has nothing to hold */
  qt_agent_restart (h);
  cl = qt_client_new (h);
  assert_idle (cl);
  qt_expect (h, a, FALSE, b, FALSE, c, FALSE, NULL);
}
END_TEST

/* 10. ext4, xfs, btrfs; a bind mount and a btrfs subvolume are the same
 * filesystem as their source */
static void
check_fsref_disk (QtClient *cl, JsonObject *fsref, const char *type, const char *dev)
{
  JsonArray *disks;
  gboolean found = FALSE;

  qt_assert_str (cl, qt_get_str (fsref, "type"), type);
  (void) qt_get_str (fsref, "name");
  disks = qt_get_array (fsref, "disks");
  for (guint i = 0; i < json_array_get_length (disks); i++)
    {
      JsonObject *d = qt_obj_at (disks, i);
      if (d != NULL && g_strcmp0 (qt_str_or_null (d, "dev"), dev) == 0)
        found = TRUE;
    }
  ck_assert_msg (found, "the FsRef of type %s does not list disk %s: %s", type, dev,
                 qt_client_last_reply (cl));
}

START_TEST (test_fstypes_bind)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) cl = NULL;
  const char *a, *b, *c, *abind;
  const char *csub = NULL;
  g_autofree char *csub_path = NULL;
  JsonObject *r;
  gint64 h1, h2, h3;

  qt_fs_standard (h, &a, &b, &c);
  abind = qt_fs_bind (h, a, "a-bind");
  if (g_strcmp0 (qt_fs_type (h, c), "btrfs") == 0)
    {
      g_autofree char *g = g_find_program_in_path ("btrfs");
      if (g != NULL)
        {
          g_autofree char *sv = g_build_filename (c, "sv", NULL);
          g_autofree char *opt = g_strdup ("subvol=sv");
          qt_run ((const char *const[]){ "btrfs", "-q", "subvolume", "create", sv, NULL });
          csub_path = g_build_filename (qt_only_under (h), "c-sub", NULL);
          csub = csub_path;
          g_mkdir (csub, 0755);
          qt_run ((const char *const[]){ "mount", "-o", opt, qt_fs_device (h, c), csub, NULL });
        }
      else
        g_print ("# SKIP (part): no btrfs tool, subvolumes not covered\n");
    }
  qt_agent_start (h, NULL);
  cl = qt_client_new (h);
  qt_expect (h, a, FALSE, abind, FALSE, b, FALSE, c, FALSE, NULL);

  /* the bind mount: one filesystem, counted once */
  r = qt_acquire (cl, "it-types", 0, a, abind, NULL);
  h1 = qt_get_int (r, "handle");
  qt_assert_int (cl, qt_get_int (r, "frozen"), 1);
  qt_assert_int (cl, json_array_get_length (qt_get_array (r, "filesystems")), 1);
  /* the FsRef names the first mount of the superblock */
  qt_assert_int (cl, qt_get_int (qt_fsref (r, a), "refs"), 1);
  check_fsref_disk (cl, qt_fsref (r, a), "ext4", qt_fs_device (h, a));
  qt_expect (h, a, TRUE, abind, TRUE, b, FALSE, c, FALSE, NULL);

  /* through the bind mount alone: the same filesystem, refs 2 */
  r = qt_acquire (cl, "it-types", 0, abind, NULL);
  h2 = qt_get_int (r, "handle");
  qt_assert_int (cl, qt_get_int (r, "frozen"), 0);
  qt_assert_int (cl, qt_get_int (qt_fsref (r, a), "refs"), 2);

  /* xfs and btrfs (or their ext4 stand-ins) */
  r = qt_acquire (cl, "it-types", 0, b, c, NULL);
  h3 = qt_get_int (r, "handle");
  qt_assert_int (cl, qt_get_int (r, "frozen"), 2);
  check_fsref_disk (cl, qt_fsref (r, b), qt_fs_type (h, b), qt_fs_device (h, b));
  check_fsref_disk (cl, qt_fsref (r, c), qt_fs_type (h, c), qt_fs_device (h, c));
  if (csub != NULL)
    qt_expect (h, a, TRUE, abind, TRUE, b, TRUE, c, TRUE, csub, TRUE, NULL);
  else
    qt_expect (h, a, TRUE, abind, TRUE, b, TRUE, c, TRUE, NULL);

  qt_assert_int (cl, qt_get_int (qt_release (cl, h1), "thawed"), 0);
  qt_expect (h, a, TRUE, abind, TRUE, NULL);
  qt_assert_int (cl, qt_get_int (qt_release (cl, h2), "thawed"), 1);
  qt_assert_int (cl, qt_get_int (qt_release (cl, h3), "thawed"), 2);
  if (csub != NULL)
    qt_expect (h, a, FALSE, abind, FALSE, b, FALSE, c, FALSE, csub, FALSE, NULL);
  else
    qt_expect (h, a, FALSE, abind, FALSE, b, FALSE, c, FALSE, NULL);

  if (csub != NULL)
    {
      /* the subvolume mount and its top: one btrfs superblock */
      r = qt_acquire (cl, "it-types", 0, c, csub, NULL);
      h1 = qt_get_int (r, "handle");
      qt_assert_int (cl, qt_get_int (r, "frozen"), 1);
      qt_assert_int (cl, json_array_get_length (qt_get_array (r, "filesystems")), 1);
      qt_expect (h, c, TRUE, csub, TRUE, NULL);
      qt_assert_int (cl, qt_get_int (qt_release (cl, h1), "thawed"), 1);
      qt_expect (h, c, FALSE, csub, FALSE, NULL);
    }
  assert_idle (cl);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("integration-freeze");

  qt_suite_add (s, "counting", test_counting, 120);
  qt_suite_add (s, "interleaved-nested", test_interleaved_nested, 120);
  qt_suite_add (s, "legacy-beside-handles", test_legacy_beside_handles, 120);
  qt_suite_add (s, "deadline", test_deadline, 120);
  qt_suite_add (s, "kill-restart", test_kill_restart, 120);
  qt_suite_add (s, "external-freeze", test_external_freeze, 120);
  qt_suite_add (s, "sigterm", test_sigterm, 120);
  qt_suite_add (s, "fstypes-bind", test_fstypes_bind, 120);
  return qt_main (s);
}
