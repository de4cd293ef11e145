/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the whole agent dispatch.
 *
 * bytes -> framer -> qa_dispatch_message() -> envelope -> command table
 * -> argument checks -> handlers -> freeze table and resolver -> reply,
 * over the recorded sysroot tests/data/sysroot/vm-lab (policy
 * --only-under /mnt) and a scripted freeze backend: open returns a fake
 * fd, FIFREEZE/FITHAW return 0 or an errno from the input, nothing is
 * ever opened, frozen or mounted for real.
 *
 * Input: a first byte < 0x80 means "everything succeeds" and the whole
 * input is the byte stream (so the seed corpus, plain requests, stays
 * meaningful).  A first byte >= 0x80 is a control byte: its low two bits
 * give 1..4 script bytes that follow it, bit 2 moves the table's clock
 * two hours on after the messages (every deadline passes), bit 3 selects
 * a small framer cap.  Each backend call takes the next script byte (one
 * freeze thread, so the order is deterministic) and picks its outcome
 * from it.
 *
 * The table lives across iterations, as in the agent, but is recreated
 * every RECREATE_EVERY inputs so that memory stays bounded.  A failure may
 * therefore depend on the inputs before it: QUIESCE_FUZZ_FRESH=1 starts
 * every input on a new table, to check whether one input alone reproduces
 * it (else rerun the run's inputs in order).  Setting
 * QUIESCE_FUZZ_JOURNAL_DIR (a tmpfs directory, say) journals every
 * change there too (slower); QUIESCE_FUZZ_VERBOSE=1 prints every
 * request and its reply.
 *
 * Invariants, any failure aborts:
 *  - every message gets exactly one reply, a compact line that our framer
 *    takes unchanged, a JSON object with exactly one of "return"/"error";
 *  - an error reply has "class" and a non-empty "desc";
 *  - only guest-sync-delimited replies are delimited;
 *  - after the input the table is idle again, and every critical or
 *    warning from the code under test aborts (G_DEBUG=fatal-criticals
 *    in spirit). */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qa-dispatch.h"
#include "qw-envelope.h"
#include "qw-error.h"
#include "qw-framer.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

#define RECREATE_EVERY 64
#define FAKE_FD_BASE 100000

/* ---- the scripted backend --------------------------------------------- */

static guint8 script[4];
static guint n_script;
static gint script_pos; /* atomic: the freezer runs in a worker thread */
static gint fake_fds;

static guint8
script_next (void)
{
  guint k;

  if (n_script == 0)
    return 0;
  k = (guint) g_atomic_int_add (&script_pos, 1);
  return script[k % n_script];
}

static int
fz_open (gpointer u, const char *path, dev_t expect_dev)
{
  static const int outcome[] = { 0, 0, -EXDEV, -ENOENT };
  int r = outcome[script_next () & 3];

  return r != 0 ? r : FAKE_FD_BASE + g_atomic_int_add (&fake_fds, 1) % 1000;
}

static int
fz_freeze (gpointer u, int fd, const char *path)
{
  static const int outcome[] = { 0, 0, 0, EBUSY, EOPNOTSUPP, EIO, EPERM, 0 };
  return outcome[(script_next () >> 2) & 7];
}

static int
fz_thaw (gpointer u, int fd, const char *path)
{
  static const int outcome[] = { 0, 0, EINVAL, EIO };
  return outcome[(script_next () >> 5) & 3];
}

static int
fz_sync (gpointer u, int fd, const char *path)
{
  return 0;
}

static void
fz_close (gpointer u, int fd)
{
  if (fd < FAKE_FD_BASE)
    {
      g_printerr ("close of an fd the backend never gave: %d\n", fd);
      abort ();
    }
}

static const QaFreezeOps fz_ops = { fz_open, fz_freeze, fz_thaw, fz_sync, fz_close, NULL };

/* ---- the agent's state across iterations ------------------------------- */

static gint64 fake_now = G_GINT64_CONSTANT (1000000) * G_USEC_PER_SEC;

static gint64
fz_clock (void)
{
  return fake_now;
}

static QaSysroot *sysroot;
static QaPolicy *policy;
static QaJournal *journal;
static QaFreezeTable *table;
static QaContext ctx;
static guint iterations;
static gboolean verbose; /* QUIESCE_FUZZ_VERBOSE=1: print each exchange */
static guint recreate_every = RECREATE_EVERY;

static void
table_create (void)
{
  QaTableLimits limits = { 0 };

  limits.max_handles = 32;
  limits.max_timeout = 3600;
  limits.legacy_timeout = 600;
  limits.tombstone_max = 16;
  limits.tombstone_age = 3600;
  limits.freeze_threads = 1;
  table = qa_freeze_table_new (&fz_ops, journal, &limits);
  qa_freeze_table_set_clock (table, fz_clock);
  qa_freeze_table_set_boot_id (table, "fuzz-boot");
  qa_freeze_table_set_prefix (table, qa_sysroot_prefix (sysroot));
  ctx.table = table;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  const char *src = g_getenv ("QUIESCE_SOURCE_DIR");
  const char *jdir = g_getenv ("QUIESCE_FUZZ_JOURNAL_DIR");
  g_autofree char *root = NULL;

  if (src == NULL)
    src = QUIESCE_FUZZ_SOURCE_DIR;
  root = g_build_filename (src, "tests", "data", "sysroot", "vm-lab", NULL);
  if (!g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("fuzz-dispatch: no recorded sysroot at %s (set QUIESCE_SOURCE_DIR)\n", root);
      exit (1);
    }
  /* warnings (a journal that cannot be written, ...), messages and
   * debug output are the agent's normal logging */
  g_log_set_writer_func (fuzz_log_writer,
                         GUINT_TO_POINTER (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL), NULL);
  verbose = g_strcmp0 (g_getenv ("QUIESCE_FUZZ_VERBOSE"), "1") == 0;
  if (g_strcmp0 (g_getenv ("QUIESCE_FUZZ_FRESH"), "1") == 0)
    recreate_every = 1;
  sysroot = qa_sysroot_new (root);
  policy = qa_policy_new ();
  policy->only_under = g_strdup ("/mnt");
  if (jdir != NULL && jdir[0] != '\0')
    journal = qa_journal_new (jdir);
  ctx.sysroot = sysroot;
  ctx.policy = policy;
  ctx.default_timeout = 60;
  ctx.max_entries = 16;
  ctx.version = "fuzz";
  table_create ();
  return 0;
}

/* ---- one input --------------------------------------------------------- */

typedef struct
{
  guint replies;
  gboolean delimit;
  char *text;
} Reply;

static void
one_message_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  guint *n = user_data;

  fuzz_check (kind == QW_FRAME_MESSAGE, "our framer accepts our replies");
  (*n)++;
}

static void
on_reply (GBytes *bytes, gboolean delimit, gpointer user_data)
{
  Reply *r = user_data;
  gsize len = 0;
  const char *text = g_bytes_get_data (bytes, &len);

  r->replies++;
  fuzz_check (r->replies == 1, "one reply per message");
  r->delimit = delimit;
  fuzz_check (len >= 3 && text[len - 1] == '\n', "reply ends with a newline");
  fuzz_check (memchr (text, '\n', len) == text + len - 1, "reply is one line");
  r->text = g_strndup (text, len - 1);
}

static void
check_reply (const Reply *r, const char *request, gsize request_len)
{
  g_autoptr (QwFramer) framer = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (QwRequest) req = NULL;
  JsonObject *obj;
  guint n = 0;
  gboolean has_return, has_error;

  framer = qw_framer_new (G_MAXSIZE, G_MAXUINT, one_message_cb, &n);
  qw_framer_feed (framer, (const guint8 *) r->text, strlen (r->text));
  qw_framer_feed (framer, (const guint8 *) "\n", 1);
  fuzz_check (n == 1, "reply frames as one message");
  node = json_from_string (r->text, NULL);
  fuzz_check (node != NULL && JSON_NODE_HOLDS_OBJECT (node), "reply is a JSON object");
  obj = json_node_get_object (node);
  has_return = json_object_has_member (obj, "return");
  has_error = json_object_has_member (obj, "error");
  fuzz_check (has_return != has_error, "exactly one of return and error");
  if (has_error)
    {
      JsonNode *e = json_object_get_member (obj, "error");
      JsonObject *eo;

      fuzz_check (JSON_NODE_HOLDS_OBJECT (e), "error is an object");
      eo = json_node_get_object (e);
      fuzz_check (json_object_has_member (eo, "class") && json_object_has_member (eo, "desc"),
                  "error has class and desc");
      fuzz_check (json_node_get_value_type (json_object_get_member (eo, "desc")) == G_TYPE_STRING
                    && json_object_get_string_member (eo, "desc")[0] != '\0',
                  "error desc is a non-empty string");
    }
  if (r->delimit)
    {
      req = qw_request_parse (request, request_len, NULL, NULL);
      fuzz_check (req != NULL && strcmp (req->execute, "guest-sync-delimited") == 0,
                  "only guest-sync-delimited is delimited");
    }
}

static void
wait_until (gboolean (*done) (gpointer), gpointer data)
{
  /* the freezer answers from a worker thread through the main context */
  while (!done (data))
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
reply_done (gpointer data)
{
  return ((Reply *) data)->replies > 0;
}

static gboolean
table_idle (gpointer data)
{
  return qa_freeze_table_is_idle (table);
}

typedef struct
{
  GPtrArray *items; /* char*: 'M' or 'E' + text */
} Inbox;

static void
inbox_cb (QwFrameKind kind, const char *text, gsize len, gpointer user_data)
{
  Inbox *in = user_data;
  char *item = g_malloc (len + 2);

  item[0] = kind == QW_FRAME_MESSAGE ? 'M' : 'E';
  memcpy (item + 1, text, len + 1);
  g_ptr_array_add (in->items, item);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gsize cap = QW_FRAMER_DEFAULT_MAX_MESSAGE;
  gboolean advance = FALSE;
  Inbox in = { g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (QwFramer) framer = NULL;

  n_script = 0;
  g_atomic_int_set (&script_pos, 0);
  if (size > 0 && data[0] >= 0x80)
    {
      guint8 c = data[0];
      gsize n = MIN ((gsize) (c & 3) + 1, size - 1);

      memcpy (script, data + 1, n);
      n_script = (guint) n;
      advance = (c & 4) != 0;
      if ((c & 8) != 0)
        cap = 64 + (c >> 4) * 32;
      data += 1 + n;
      size -= 1 + n;
    }

  /* the channel: frame everything read, then serve one message at a time */
  framer = qw_framer_new (cap, 0, inbox_cb, &in);
  qw_framer_feed (framer, data, size);
  qw_framer_feed (framer, (const guint8 *) "\n", 1);
  for (guint i = 0; i < in.items->len; i++)
    {
      const char *item = g_ptr_array_index (in.items, i);
      gsize len = strlen (item + 1);
      Reply r = { 0 };

      if (item[0] == 'E')
        {
          g_autoptr (GBytes) bytes = qw_reply_error_literal (QW_ERROR_GENERIC, item + 1, NULL);
          on_reply (bytes, FALSE, &r);
        }
      else
        {
          qa_dispatch_message (&ctx, item + 1, len, on_reply, &r);
          wait_until (reply_done, &r);
        }
      check_reply (&r, item + 1, len);
      if (verbose)
        g_printerr ("-> %s\n<- %s\n", item + 1, r.text);
      g_free (r.text);
    }
  g_ptr_array_unref (in.items);

  if (advance)
    {
      fake_now += G_GINT64_CONSTANT (2) * 3600 * G_USEC_PER_SEC;
      qa_freeze_table_expire_due (table);
    }
  wait_until (table_idle, NULL);
  /* nothing the table started may still be pending on the main context */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  if (++iterations % recreate_every == 0)
    {
      qa_freeze_table_free (table);
      table_create ();
    }
  return 0;
}
