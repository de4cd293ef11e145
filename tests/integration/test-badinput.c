/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root integration tests: bad input over the socket.
 *
 * Every case must get a precise error, leave the agent running and usable
 * (a ping after it works) and leave nothing frozen (writers at the end of
 * each test, and the agent's own status and handle list). */
#include "qt-harness.h"

#include <string.h>
#include <sys/socket.h>

static void
survived (QtHarness *h, QtClient *c, const char *name)
{
  if (!qt_agent_alive (h))
    {
      qt_agent_dump_log (h);
      ck_abort_msg ("case '%s': the agent died", name);
    }
  qt_ping (c);
}

static void
assert_idle (QtClient *c)
{
  JsonNode *ret;

  qt_assert_str (c, qt_status (c), "thawed");
  ret = qt_ok (c, "{\"execute\":\"guest-fsfreeze-handles\"}");
  qt_assert_reply (c, JSON_NODE_HOLDS_ARRAY (ret)
                          && json_array_get_length (json_node_get_array (ret)) == 0);
}

/* one request, one error reply of class KLASS */
static void
err_case (QtHarness *h, QtClient *c, const char *name, const char *klass, const char *req)
{
  const char *desc;

  desc = qt_err (c, klass, "%s", req);
  g_print ("# %-34s %s: %s\n", name, klass, desc);
  survived (h, c, name);
}

/* one request, an error of either class */
static void
err2_case (QtHarness *h, QtClient *c, const char *name, const char *k1, const char *k2,
           const char *req)
{
  JsonObject *o = json_node_get_object (qt_call (c, "%s", req));
  JsonObject *e;
  const char *klass;

  qt_assert_reply (c, json_object_has_member (o, "error"));
  e = qt_obj_or_null (o, "error");
  qt_assert_reply (c, e != NULL);
  klass = qt_get_str (e, "class");
  ck_assert_msg (g_strcmp0 (klass, k1) == 0 || g_strcmp0 (klass, k2) == 0,
                 "case '%s': expected error class %s or %s\n  request: %s\n  reply:   %s", name, k1,
                 k2, qt_client_last_request (c), qt_client_last_reply (c));
  g_print ("# %-34s %s: %s\n", name, klass, qt_get_str (e, "desc"));
  survived (h, c, name);
}

/* Raw bytes, then guest-sync (after a 0xFF and delimited when DELIMITED).
 * Every line before the sync reply must be an error; MIN_ERRORS of them at
 * least must be GenericError. */
static void
raw_case (QtHarness *h, QtClient *c, const char *name, const void *data, gsize len,
          guint min_errors, gboolean delimited)
{
  g_auto (GStrv) before = NULL;
  guint n_generic = 0;
  const char *first = NULL;

  qt_client_send_raw (c, data, len);
  before = qt_resync (c, delimited);
  for (guint i = 0; before[i] != NULL; i++)
    {
      g_autoptr (JsonParser) p = json_parser_new ();
      JsonObject *o;
      JsonObject *e;

      ck_assert_msg (json_parser_load_from_data (p, before[i], -1, NULL)
                         && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)),
                     "case '%s': a reply is no JSON object: %s", name, before[i]);
      o = json_node_get_object (json_parser_get_root (p));
      ck_assert_msg (!json_object_has_member (o, "return"),
                     "case '%s': garbage got a success reply: %s", name, before[i]);
      e = qt_obj_or_null (o, "error");
      ck_assert_msg (e != NULL, "case '%s': a reply is neither error nor return: %s", name,
                     before[i]);
      if (g_strcmp0 (qt_str_or_null (e, "class"), "GenericError") == 0)
        n_generic++;
      if (first == NULL)
        first = before[i];
    }
  ck_assert_msg (
      n_generic >= min_errors,
      "case '%s': expected at least %u GenericError replies before the sync reply, got %u", name,
      min_errors, n_generic);
  g_print ("# %-34s %u error line(s)%s%.160s\n", name, g_strv_length (before),
           first != NULL ? ", first: " : "", first != NULL ? first : "");
  survived (h, c, name);
}

static char *
repeat_json (const char *prefix, const char *item, guint n, const char *suffix)
{
  GString *s = g_string_new (prefix);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      g_string_append (s, item);
    }
  g_string_append (s, suffix);
  return g_string_free (s, FALSE);
}

#define ACQ(args) "{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":" args "}"

/* 9a. malformed JSON, non-objects, envelope errors */
START_TEST (test_bad_json)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) c = NULL;
  const char *a;
  static const struct
  {
    const char *name;
    const char *bytes;
  } raw[] = {
    { "unquoted string", "{\"execute\": guest-ping}" },
    { "trailing comma", "{\"execute\": \"guest-ping\",}" },
    { "bare word", "hello\n" },
    { "bare number", "42\n" },
    { "unbalanced close", "}\n" },
    { "bad escape", "{\"execute\": \"guest-\\qping\"}" },
    { "duplicate key", "{\"execute\":\"guest-ping\",\"execute\":\"guest-fsfreeze-status\"}" },
  };

  a = qt_fs_add (h, "a", "ext4", 320);
  qt_agent_start (h, NULL);
  c = qt_client_new (h);

  for (gsize i = 0; i < G_N_ELEMENTS (raw); i++)
    raw_case (h, c, raw[i].name, raw[i].bytes, strlen (raw[i].bytes), 1, FALSE);

  err_case (h, c, "array", "GenericError", "[1,2]");
  err_case (h, c, "string", "GenericError", "\"guest-ping\"");
  err_case (h, c, "empty object", "GenericError", "{}");
  err_case (h, c, "unknown member", "GenericError", "{\"execute\":\"guest-ping\",\"bogus\":1}");
  err_case (h, c, "execute not a string", "GenericError", "{\"execute\":42}");
  err_case (h, c, "arguments not an object", "GenericError",
            "{\"execute\":\"guest-ping\",\"arguments\":[]}");
  err_case (h, c, "unknown command", "CommandNotFound", "{\"execute\":\"guest-no-such-command\"}");

  /* the id is echoed, on errors too */
  {
    JsonObject *o
        = json_node_get_object (qt_call (c, "{\"execute\":\"guest-ping\",\"id\":\"abc-1\"}"));
    qt_assert_str (c, qt_str_or_null (o, "id"), "abc-1");
    o = json_node_get_object (qt_call (c, "{\"execute\":\"guest-no-such\",\"id\":7}"));
    qt_assert_int (c, qt_int_or (o, "id", -1), 7);
  }

  /* framing is by object: split over writes and lines, two on one line */
  {
    g_autofree char *line = NULL;
    qt_client_send_raw (c, "{\"execute\":", 11);
    g_usleep (50000);
    qt_client_send_raw (c, "\n \"guest-ping\"}", 15);
    line = qt_client_read_line (c, 10000);
    ck_assert_msg (line != NULL && g_strcmp0 (line, "{\"return\":{}}") == 0,
                   "a ping split over two writes and lines got %s", line ? line : "(none)");
  }
  {
    const char *two = "{\"execute\":\"guest-ping\"}{\"execute\":\"guest-ping\"}";
    qt_client_send_raw (c, two, strlen (two));
    for (int i = 0; i < 2; i++)
      {
        g_autofree char *line = qt_client_read_line (c, 10000);
        ck_assert_msg (line != NULL && strstr (line, "\"return\"") != NULL,
                       "two objects on one line: reply %d is %s", i, line ? line : "(none)");
      }
  }

  /* nesting far beyond any sane limit (100 KB, under the size cap):
   * a recursive parser would overflow its stack here */
  {
    g_autofree char *open_ = g_strnfill (50000, '[');
    g_autofree char *close_ = g_strnfill (50000, ']');
    g_autofree char *deep = g_strconcat (open_, close_, NULL);
    raw_case (h, c, "50000-deep array", deep, strlen (deep), 1, TRUE);
    g_free (deep);
    deep = g_strconcat ("{\"execute\":\"guest-ping\",\"arguments\":{\"x\":", open_, close_, "}}",
                        NULL);
    raw_case (h, c, "50000-deep argument", deep, strlen (deep), 1, TRUE);
    /* never closed: only the 0xFF resync ends it */
    raw_case (h, c, "50000 unclosed [", open_, strlen (open_), 0, TRUE);
  }

  /* invalid UTF-8 and control bytes: any error, as long as it survives */
  {
    const char bad[] = "{\"execute\":\"guest-ping\",\"id\":\"\xc3\x28\x01\"}";
    raw_case (h, c, "invalid UTF-8", bad, sizeof bad - 1, 0, TRUE);
    raw_case (h, c, "NUL bytes", "{\"exe\0cute\":1}\0\0\0", 18, 0, TRUE);
  }

  /* 64 KiB of random bytes */
  {
    g_autofree guint8 *junk = g_new (guint8, 65536);
    for (gsize i = 0; i < 65536; i++)
      junk[i] = (guint8) g_random_int_range (0, 256);
    raw_case (h, c, "64 KiB random bytes", junk, 65536, 0, TRUE);
  }

  qt_expect (h, a, FALSE, NULL);
  assert_idle (c);
}
END_TEST

/* 9b. wrong types, missing and extra arguments, timeouts, handles */
START_TEST (test_bad_args)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) c = NULL;
  g_autofree char *req = NULL;
  const char *a;
  JsonNode *ret;
  gint64 hd;

  g_autofree char *longowner = g_strnfill (300, 'o');

  a = qt_fs_add (h, "a", "ext4", 320);
  qt_agent_start (h, "--max-timeout", "120", NULL);
  c = qt_client_new (h);

#define ACQ_A(extra) g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\"]" extra "}"), a)
  {
    struct
    {
      const char *name;
      const char *klass;
      char *req;
    } cases[] = {
      { "mountpoints not a list", "GenericError",
        g_strdup (ACQ ("{\"mountpoints\":\"notalist\"}")) },
      { "mountpoints of numbers", "GenericError", g_strdup (ACQ ("{\"mountpoints\":[1,2]}")) },
      { "mountpoints of null", "GenericError", g_strdup (ACQ ("{\"mountpoints\":[null]}")) },
      { "empty selection", "GenericError", g_strdup (ACQ ("{\"mountpoints\":[]}")) },
      { "timeout a string", "GenericError", ACQ_A (",\"timeout\":\"10\"") },
      { "timeout a float", "GenericError", ACQ_A (",\"timeout\":1.5") },
      { "timeout negative", "GenericError", ACQ_A (",\"timeout\":-1") },
      { "timeout zero", "GenericError", ACQ_A (",\"timeout\":0") },
      { "timeout 1e30", "GenericError", ACQ_A (",\"timeout\":1e30") },
      { "owner a number", "GenericError", ACQ_A (",\"owner\":42") },
      { "owner 300 bytes", "GenericError",
        g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\"],\"owner\":\"%s\"}"), a, longowner) },
      { "owner with a control char", "GenericError", ACQ_A (",\"owner\":\"a\\u0001b\"") },
      { "span unknown", "GenericError", ACQ_A (",\"span\":\"sometimes\"") },
      { "disks not a list", "GenericError", g_strdup (ACQ ("{\"disks\":{}}")) },
      { "disk spec name only", "GenericError",
        g_strdup (ACQ ("{\"disks\":[{\"name\":\"vda\"}]}")) },
      { "disk spec unknown field", "GenericError",
        g_strdup (ACQ ("{\"disks\":[{\"colour\":\"red\"}]}")) },
      { "acquire extra argument", "GenericError", ACQ_A (",\"bogus\":1") },
      { "release missing handle", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{}}") },
      { "release no arguments", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-release\"}") },
      { "release handle a string", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":\"1\"}}") },
      { "release handle a float", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":1.5}}") },
      { "release extra argument", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":1,\"bogus\":"
                  "true}}") },
      { "release force a string", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":0,\"force\":"
                  "\"yes\"}}") },
      { "release unknown handle", "HandleNotFound",
        g_strdup ("{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":987654}}") },
      { "renew unknown handle", "HandleNotFound",
        g_strdup ("{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"handle\":987654,"
                  "\"timeout\":5}}") },
      { "renew missing handle", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"timeout\":5}}") },
      { "guest-sync without id", "GenericError",
        g_strdup ("{\"execute\":\"guest-sync\",\"arguments\":{}}") },
      { "guest-sync id a string", "GenericError",
        g_strdup ("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":\"x\"}}") },
      { "guest-ping with an argument", "GenericError",
        g_strdup ("{\"execute\":\"guest-ping\",\"arguments\":{\"bogus\":1}}") },
      { "status with an argument", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-status\",\"arguments\":{\"x\":1}}") },
      { "freeze-list not a list", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":"
                  "\"notalist\"}}") },
      { "thaw with an argument", "GenericError",
        g_strdup ("{\"execute\":\"guest-fsfreeze-thaw\",\"arguments\":{\"mountpoints\":[]}}") },
    };
#undef ACQ_A

    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        err_case (h, c, cases[i].name, cases[i].klass, cases[i].req);
        g_free (cases[i].req);
      }
  }
  /* none of them may have frozen A */
  qt_expect (h, a, FALSE, NULL);
  assert_idle (c);

  /* a handle number that is not positive */
  err2_case (h, c, "release handle -1", "HandleNotFound", "GenericError",
             "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":-1}}");

  /* huge timeouts are clamped to --max-timeout, and expires-in tells */
  req = g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\"],\"timeout\":4611686018427387904}"), a);
  ret = qt_ok (c, "%s", req);
  qt_assert_reply (c, JSON_NODE_HOLDS_OBJECT (ret));
  hd = qt_get_int (json_node_get_object (ret), "handle");
  qt_assert_reply (c, qt_get_int (json_node_get_object (ret), "expires-in") <= 120
                          && qt_get_int (json_node_get_object (ret), "expires-in") > 100);
  qt_expect (h, a, TRUE, NULL);
  ret = qt_ok (c,
               "{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
               ",\"timeout\":9223372036854775807}}",
               hd);
  qt_assert_reply (c, JSON_NODE_HOLDS_OBJECT (ret));
  qt_assert_reply (c, qt_get_int (json_node_get_object (ret), "expires-in") <= 120);
  g_free (req);
  req = g_strdup_printf (
      "{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT
      ",\"timeout\":-5}}",
      hd);
  err_case (h, c, "renew negative timeout", "GenericError", req);
  qt_expect (h, a, TRUE, NULL);

  /* double release */
  qt_assert_int (c, qt_get_int (qt_release (c, hd), "thawed"), 1);
  qt_expect (h, a, FALSE, NULL);
  g_free (req);
  req = g_strdup_printf (
      "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT "}}",
      hd);
  err_case (h, c, "double release", "HandleNotFound", req);
  g_free (req);
  req = g_strdup_printf (
      "{\"execute\":\"guest-fsfreeze-renew\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT "}}", hd);
  err_case (h, c, "renew after release", "HandleNotFound", req);

  qt_expect (h, a, FALSE, NULL);
  assert_idle (c);
}
END_TEST

/* 9c. selections: not a mount, outside --only-under, huge arrays */
START_TEST (test_bad_selection)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) c = NULL;
  g_autofree char *notmount = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *req = NULL;
  g_autofree char *item = NULL;
  const char *a, *b, *e;
  JsonNode *ret;

  a = qt_fs_add (h, "a", "ext4", 320);
  b = qt_fs_add (h, "b", "ext4", 320);
  /* a real loop filesystem, ours, but outside --only-under */
  e = qt_fs_add_at (h, "outside/e", "ext4", 320);
  qt_agent_start (h, NULL);
  c = qt_client_new (h);
  qt_expect (h, a, FALSE, b, FALSE, e, FALSE, NULL);

  notmount = g_build_filename (qt_only_under (h), "not-a-mount", NULL);
  g_mkdir (notmount, 0755);
  missing = g_build_filename (qt_only_under (h), "does-not-exist", NULL);

  req = g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\"]}"), notmount);
  err_case (h, c, "not a mountpoint", "DeviceNotFound", req);
  g_free (req);
  req = g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\"]}"), missing);
  err_case (h, c, "nonexistent path", "DeviceNotFound", req);
  g_free (req);
  req = g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\"]}"), e);
  err_case (h, c, "outside --only-under", "DeviceNotFound", req);
  g_free (req);
  req = g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\"]}"), qt_only_under (h));
  err_case (h, c, "the --only-under dir itself", "DeviceNotFound", req);
  g_free (req);
  req = g_strdup_printf (
      "{\"execute\":\"guest-fsfreeze-resolve\",\"arguments\":{\"mountpoints\":[\"%s\"]}}", e);
  err_case (h, c, "resolve outside --only-under", "DeviceNotFound", req);
  g_free (req);
  /* one bad path fails the whole call: A and B stay thawed */
  req = g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\",\"%s\",\"%s\"]}"), a, e, b);
  err_case (h, c, "good and outside together", "DeviceNotFound", req);
  g_free (req);
  req = g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s\",\"%s\"]}"), a, notmount);
  err_case (h, c, "good and not-a-mount together", "DeviceNotFound", req);
  qt_expect (h, a, FALSE, b, FALSE, e, FALSE, NULL);
  assert_idle (c);

  /* the legacy freeze ignores them, as qemu-ga does */
  qt_assert_int (c, qt_legacy_freeze (c, e, notmount, missing, NULL), 0);
  qt_assert_int (c, qt_legacy_thaw (c), 0);
  qt_expect (h, a, FALSE, b, FALSE, e, FALSE, NULL);

  /* resolve freezes nothing */
  g_free (req);
  req = g_strdup_printf (
      "{\"execute\":\"guest-fsfreeze-resolve\",\"arguments\":{\"mountpoints\":[\"%s\"]}}", a);
  ret = qt_ok (c, "%s", req);
  qt_assert_reply (c, JSON_NODE_HOLDS_OBJECT (ret));
  (void) qt_fsref (json_node_get_object (ret), a);
  qt_expect (h, a, FALSE, NULL);

  /* no selection is every freezable filesystem: under --only-under that is
   * A and B, never E (outside) nor anything of the machine (resolve only:
   * a freeze-all is not sent, in case the scope were wrong) */
  ret = qt_ok (c, "{\"execute\":\"guest-fsfreeze-resolve\"}");
  qt_assert_reply (c, JSON_NODE_HOLDS_OBJECT (ret));
  qt_assert_int (
      c, json_array_get_length (qt_get_array (json_node_get_object (ret), "filesystems")), 2);
  (void) qt_fsref (json_node_get_object (ret), a);
  (void) qt_fsref (json_node_get_object (ret), b);
  qt_expect (h, a, FALSE, b, FALSE, e, FALSE, NULL);

  /* arrays over the cap of 256: 257 copies of a good mountpoint, and
   * 100,000 entries (small ones, so the message stays under 1 MiB) */
  g_free (item);
  item = g_strdup_printf ("\"%s\"", a);
  g_free (req);
  req = repeat_json ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":[",
                     item, 257, "]}}");
  err2_case (h, c, "257 mountpoints", "GenericError", "LimitExceeded", req);
  g_free (req);
  req = repeat_json ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"mountpoints\":[",
                     "\"x\"", 100000, "]}}");
  err2_case (h, c, "100,000 mountpoints", "GenericError", "LimitExceeded", req);
  g_free (req);
  req = repeat_json ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":{\"disks\":[", "{}",
                     100000, "]}}");
  err2_case (h, c, "100,000 disks", "GenericError", "LimitExceeded", req);
  g_free (req);
  req = repeat_json ("{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[",
                     "\"x\"", 100000, "]}}");
  err2_case (h, c, "freeze-list 100,000 entries", "GenericError", "LimitExceeded", req);

  qt_expect (h, a, FALSE, b, FALSE, e, FALSE, NULL);
  assert_idle (c);
}
END_TEST

/* 9d. oversize messages and clients that go away */
START_TEST (test_oversize_disconnect)
{
  QtHarness *h = qt_harness ();
  g_autoptr (QtClient) c = NULL;
  const char *a;

  a = qt_fs_add (h, "a", "ext4", 320);
  qt_agent_start (h, NULL);
  c = qt_client_new (h);

  /* a 1 MiB string: refused with an error as soon as the cap is passed;
   * a 0xFF then resyncs */
  {
    g_autofree char *big = g_strnfill (1 << 20, 'A');
    g_autofree char *msg
        = g_strdup_printf ("{\"execute\":\"guest-ping\",\"arguments\":{\"x\":\"%s\"}}", big);
    g_autofree char *line = NULL;

    qt_client_send_raw (c, msg, strlen (msg));
    line = qt_client_read_line (c, 10000);
    ck_assert_msg (line != NULL && strstr (line, "\"GenericError\"") != NULL,
                   "a 1 MiB message: expected a GenericError reply, got %s",
                   line ? line : "(none)");
    g_print ("# %-34s %.160s\n", "1 MiB string", line);
    raw_case (h, c, "resync after 1 MiB", "", 0, 0, TRUE);
  }
  {
    g_autofree char *big = g_strnfill (1 << 20, 'B');
    g_autofree char *msg = g_strdup_printf (ACQ ("{\"mountpoints\":[\"%s/%s\"]}"), a, big);
    g_autofree char *line = NULL;

    qt_client_send_raw (c, msg, strlen (msg));
    line = qt_client_read_line (c, 10000);
    ck_assert_msg (line != NULL && strstr (line, "\"GenericError\"") != NULL,
                   "a 1 MiB acquire: expected a GenericError reply, got %s",
                   line ? line : "(none)");
    raw_case (h, c, "resync after 1 MiB acquire", "", 0, 0, TRUE);
  }
  /* 4 MiB of whitespace-free garbage inside one string, never closed */
  {
    g_autofree char *big = g_strnfill (4 << 20, 'C');
    g_autofree char *line = NULL;

    qt_client_send_raw (c, "{\"execute\":\"", 12);
    qt_client_send_raw (c, big, 4 << 20);
    line = qt_client_read_line (c, 10000);
    ck_assert_msg (line != NULL && strstr (line, "\"GenericError\"") != NULL,
                   "4 MiB unclosed: expected a GenericError reply, got %s", line ? line : "(none)");
    raw_case (h, c, "resync after 4 MiB unclosed", "", 0, 0, TRUE);
  }

  /* a client that disconnects mid-message */
  {
    g_autoptr (QtClient) d = qt_client_new (h);
    g_autofree char *half
        = g_strdup_printf ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":"
                           "{\"mountpoints\":[\"%s\"",
                           a);
    qt_client_send_raw (d, half, strlen (half));
    g_clear_pointer (&d, qt_client_free);
    g_usleep (100000);
    survived (h, c, "disconnect mid-message");
  }
  /* a client that stalls mid-message does not block the others */
  {
    g_autoptr (QtClient) d = qt_client_new (h);
    qt_client_send_raw (d, "{\"execute\":\"guest-fsfreeze-st", 29);
    survived (h, c, "stalled client");
    qt_assert_str (c, qt_status (c), "thawed");
    /* and it can finish its message later */
    qt_client_send_raw (d, "atus\"}", 6);
    {
      g_autofree char *line = qt_client_read_line (d, 10000);
      ck_assert_msg (line != NULL && strstr (line, "\"thawed\"") != NULL,
                     "the stalled client's message, finished later, got %s",
                     line ? line : "(none)");
    }
  }
  /* a client that sends and goes away without reading */
  {
    g_autoptr (QtClient) d = qt_client_new (h);
    for (int i = 0; i < 100; i++)
      qt_client_send_raw (d, "{\"execute\":\"guest-info\"}", 24);
    g_clear_pointer (&d, qt_client_free);
    g_usleep (100000);
    survived (h, c, "disconnect without reading");
  }
  /* a client that half-closes after a request still gets its reply */
  {
    g_autoptr (QtClient) d = qt_client_new (h);
    g_autofree char *line = NULL;
    qt_client_send_raw (d, "{\"execute\":\"guest-ping\"}", 24);
    shutdown (qt_client_fd (d), SHUT_WR);
    line = qt_client_read_line (d, 10000);
    g_print ("# %-34s %s\n", "half-closed client", line ? line : "(no reply)");
    survived (h, c, "half-closed client");
  }
  /* many clients at once */
  {
    QtClient *many[50];
    for (int i = 0; i < 50; i++)
      many[i] = qt_client_new (h);
    for (int i = 0; i < 50; i++)
      qt_ping (many[i]);
    for (int i = 0; i < 50; i++)
      qt_client_free (many[i]);
    survived (h, c, "50 clients");
  }

  qt_expect (h, a, FALSE, NULL);
  assert_idle (c);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("integration-badinput");

  qt_suite_add (s, "bad-json", test_bad_json, 180);
  qt_suite_add (s, "bad-args", test_bad_args, 180);
  qt_suite_add (s, "bad-selection", test_bad_selection, 180);
  qt_suite_add (s, "oversize-disconnect", test_oversize_disconnect, 180);
  return qt_main (s);
}
