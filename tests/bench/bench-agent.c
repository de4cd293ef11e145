/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-agent: quiesce-agent beside qemu-ga on the same loop filesystems,
 * in the same run.
 *
 *   bench-agent [--fs LIST] [--stall-fs LIST] [--rounds R] [--pings P]
 *               [--json FILE] ...          (see --help)
 *
 * Measures, each taken alternately from the two agents round by round (in
 * a shuffled order each round), so that machine noise hits both alike:
 *   - guest-ping round trip;
 *   - freeze+thaw of 1, 8 and 32 filesystems, back to back and after 1 s
 *     idle; quiesce-agent both with the legacy pair (freeze-list + thaw,
 *     as sent to qemu-ga) and with a handle (acquire + release);
 *   - the application stall: one writer per filesystem writes and fsyncs
 *     4 KiB every 1 ms (bench-writers.c); its worst write+fsync overlapping
 *     a freeze -> thaw cycle, the worst over the writers per cycle, with
 *     the filesystems idle and with 16 MiB dirty on each;
 *   - the agents' RSS after start and after the runs.
 * Output: medians with p10..p90 and the ratio quiesce/qemu-ga on stdout,
 * every sample in the JSON file.
 *
 * Root only, and never while other tests run: qemu-ga's thaw issues FITHAW
 * on every mount of the machine.  The lab and its safety rules are in
 * bench-lab.c. */
#include "config.h"

#include "bench-lab.h"
#include "bench-report.h"
#include "bench-writers.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

typedef struct
{
  /* parameters */
  char *fs_list, *stall_fs_list;
  gint rounds, stall_rounds, pings, idle_ms, dirty_mib, fs_mib, period_us, settle_ms;
  gint control_ms;
  char *json_out;
  char *agent_path, *qga_path;
  /* the run */
  GArray *fs_counts, *stall_counts; /* guint */
  guint max_fs;
  BenchAgent *quiesce, *qga;
  char *quiesce_version, *qga_version;
  BenchReport *rep;
  GRand *rand;
  int pauses, paused_s;                   /* for other tests */
  char *load_start, *load_mid, *load_end; /* /proc/loadavg */
} Bench;

/* ---- one freeze -> thaw cycle ----------------------------------------- */

static JsonObject *
reply_object (const char *reply, JsonParser *p)
{
  JsonNode *root;

  if (!json_parser_load_from_data (p, reply, -1, NULL))
    return NULL;
  root = json_parser_get_root (p);
  return JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

/* the "return" of REPLY as an integer, or the member MEMBER of it; fails
 * the run on an error reply */
static gint64
reply_int (BenchAgent *a, const char *reply, const char *member, const char *what)
{
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = reply_object (reply, p);
  JsonNode *ret = o != NULL ? json_object_get_member (o, "return") : NULL;

  if (ret == NULL)
    bench_fail ("%s: %s failed: %s", bench_agent_name (a), what, reply);
  if (member == NULL)
    return JSON_NODE_HOLDS_VALUE (ret) ? json_node_get_int (ret) : -1;
  if (!JSON_NODE_HOLDS_OBJECT (ret))
    return -1;
  return json_object_get_int_member_with_default (json_node_get_object (ret), member, -1);
}

static char *
mount_list (Bench *b, guint n)
{
  GString *s = g_string_new (NULL);
  char **mounts = bench_lab_mounts ();

  g_assert (n >= 1 && n <= b->max_fs);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s\"%s\"", i > 0 ? "," : "", mounts[i]);
  return g_string_free (s, FALSE);
}

typedef struct
{
  double total_ms;                       /* freeze request sent -> thaw reply received */
  double freeze_ms;                      /* freeze request sent -> freeze reply received */
  double agent_sync_ms, agent_freeze_ms; /* as the acquire reply reports them, or -1 */
} Cycle;

/* before every cycle: qemu-ga's thaw (FITHAW on every mount) would thaw
 * another test's frozen filesystems, and any other test's load would land
 * in the numbers; so wait until no other test runs */
static void
wait_quiet (Bench *b)
{
  for (int waited = 0;; waited += 5)
    {
      g_autofree char *others = bench_lab_other_tests ();
      if (others == NULL)
        {
          if (waited > 0)
            {
              b->pauses++;
              b->paused_s += waited;
            }
          return;
        }
      if (waited >= 900)
        bench_fail ("other tests were still running after 15 minutes:\n%s", others);
      if (waited == 0)
        fprintf (stderr,
                 "bench: pausing while other tests run (qemu-ga's thaw would thaw their "
                 "filesystems too):\n%s",
                 others);
      bench_sleep_ms (5000);
    }
}

static Cycle
run_cycle (Bench *b, Variant v, guint n, BenchWriters *w)
{
  BenchAgent *a = v == QGA ? b->qga : b->quiesce;
  g_autofree char *list = mount_list (b, n);
  g_autofree char *freeze = NULL;
  g_autofree char *thaw = NULL;
  g_autofree char *r1 = NULL;
  g_autofree char *r2 = NULL;
  Cycle c = { 0, 0, -1, -1 };
  double ms1, ms2;
  gint64 frozen, thawed;
  guint left;

  if (v == Q_HANDLE)
    freeze = g_strdup_printf ("{\"execute\":\"guest-fsfreeze-acquire\",\"arguments\":"
                              "{\"mountpoints\":[%s],\"owner\":\"bench\",\"timeout\":120}}",
                              list);
  else
    freeze = g_strdup_printf (
        "{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[%s]}}", list);

  wait_quiet (b);
  if (w != NULL)
    bench_writers_open_window (w);
  r1 = bench_agent_call (a, freeze, &ms1);
  frozen = reply_int (a, r1, v == Q_HANDLE ? "frozen" : NULL, "freeze");
  if (v == Q_HANDLE)
    thaw = g_strdup_printf (
        "{\"execute\":\"guest-fsfreeze-release\",\"arguments\":{\"handle\":%" G_GINT64_FORMAT "}}",
        reply_int (a, r1, "handle", "acquire"));
  else
    thaw = g_strdup ("{\"execute\":\"guest-fsfreeze-thaw\"}");
  r2 = bench_agent_call (a, thaw, &ms2);
  if (w != NULL)
    bench_writers_close_window (w);
  thawed = reply_int (a, r2, v == Q_HANDLE ? "thawed" : NULL, "thaw");

  c.total_ms = ms1 + ms2;
  c.freeze_ms = ms1;
  if (v == Q_HANDLE)
    {
      c.agent_sync_ms = reply_int (a, r1, "sync-ms", "acquire");
      c.agent_freeze_ms = reply_int (a, r1, "freeze-ms", "acquire");
    }
  if (frozen != (gint64)n)
    bench_report_note (b->rep, "%s (%s) froze %" G_GINT64_FORMAT " of %u filesystems",
                       bench_agent_name (a), bench_variant_key[v], frozen, n);
  if (thawed != (gint64)n)
    bench_report_note (b->rep,
                       "%s (%s) reported %" G_GINT64_FORMAT " thawed after freezing %u filesystems",
                       bench_agent_name (a), bench_variant_key[v], thawed, n);
  left = bench_lab_thaw (0); /* kernel truth: FITHAW succeeds only on a frozen filesystem */
  if (left > 0)
    bench_report_note (b->rep, "%s (%s) left %u filesystems frozen after its thaw reply",
                       bench_agent_name (a), bench_variant_key[v], left);
  return c;
}

/* ---- measures --------------------------------------------------------- */

/* the variants of one round in a fresh random order (seeded: the same in
 * every run), so that no variant always follows the same other one: a
 * cycle can leave work behind (journal, loop writeback) for the next */
static guint
round_order (Bench *b, Variant *order, gboolean with_control)
{
  guint n = 0;

  order[n++] = Q_LEGACY;
  order[n++] = Q_HANDLE;
  if (b->qga != NULL)
    order[n++] = QGA;
  if (with_control)
    order[n++] = CONTROL;
  for (guint i = n - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (b->rand, 0, i + 1);
      Variant t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  return n;
}

static void
measure_ping (Bench *b)
{
  Series *s = bench_series_new (b->rep, TRUE, "ms", "guest-ping round trip", "ping");
  const char *ping = "{\"execute\":\"guest-ping\"}";
  BenchAgent *agents[2] = { b->quiesce, b->qga };
  Variant vs[2] = { Q_LEGACY, QGA };
  guint na = b->qga != NULL ? 2 : 1;

  for (int block = 0; block < MAX (b->pings / 100, 1); block++)
    for (guint k = 0; k < na; k++)
      {
        guint ai = (block + k) % na;
        for (int i = 0; i < MIN (b->pings, 100); i++)
          {
            double ms;
            g_autofree char *r = bench_agent_call (agents[ai], ping, &ms);
            reply_int (agents[ai], r, NULL, "guest-ping");
            bench_series_add (s, vs[ai], ms);
          }
      }
}

static void
measure_freeze (Bench *b, guint n, guint idle_ms)
{
  g_autofree char *label
      = idle_ms > 0 ? g_strdup_printf ("freeze+thaw, %u fs, after %u ms idle", n, idle_ms)
                    : g_strdup_printf ("freeze+thaw, %u fs, back to back", n);
  const char *mode = idle_ms > 0 ? "idle" : "b2b";
  Series *total = bench_series_new (b->rep, TRUE, "ms", label, "freeze_thaw.%s.%u", mode, n);
  Series *freeze = bench_series_new (b->rep, FALSE, "ms", label, "freeze_reply.%s.%u", mode, n);
  Series *sync_ms = bench_series_new (b->rep, FALSE, "ms", label, "agent_sync_ms.%s.%u", mode, n);
  Series *frz_ms = bench_series_new (b->rep, FALSE, "ms", label, "agent_freeze_ms.%s.%u", mode, n);

  fprintf (stderr, "bench: %s\n", total->label);
  for (int r = 0; r < b->rounds; r++)
    {
      Variant order[N_VARIANTS];
      guint nv = round_order (b, order, FALSE);
      for (guint k = 0; k < nv; k++)
        {
          Variant v = order[k];
          Cycle c;
          wait_quiet (b);
          if (idle_ms > 0)
            {
              sync (); /* nothing left over from the previous cycle */
              bench_sleep_ms (idle_ms);
            }
          else
            run_cycle (b, v, n, NULL); /* back to back: right after one of its own */
          c = run_cycle (b, v, n, NULL);
          bench_series_add (total, v, c.total_ms);
          bench_series_add (freeze, v, c.freeze_ms);
          if (c.agent_sync_ms >= 0)
            bench_series_add (sync_ms, v, c.agent_sync_ms);
          if (c.agent_freeze_ms >= 0)
            bench_series_add (frz_ms, v, c.agent_freeze_ms);
        }
    }
}

/* DIRTY_MIB written (no fsync) to a fresh file on each of the first n
 * filesystems; returns the time it took */
static double
make_dirty (Bench *b, guint n)
{
  static char chunk[1 << 20];
  char **mounts = bench_lab_mounts ();
  gint64 t0 = bench_now_ns ();

  if (chunk[0] == 0)
    memset (chunk, 'd', sizeof (chunk));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_build_filename (mounts[i], "bench-dirty.dat", NULL);
      int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0)
        bench_fail ("cannot open %s: %s", path, g_strerror (errno));
      for (int m = 0; m < b->dirty_mib; m++)
        if (write (fd, chunk, sizeof (chunk)) != (ssize_t)sizeof (chunk))
          bench_fail ("cannot write %s: %s", path, g_strerror (errno));
      close (fd);
    }
  return (bench_now_ns () - t0) / 1e6;
}

static void
measure_stall (Bench *b, guint n, BenchWriters *w, gboolean dirty)
{
  const char *mode = dirty ? "dirty" : "idle";
  g_autofree char *label = NULL;
  Series *worst, *mean, *overlap, *silent, *cycle, *dirty_ms;

  if (dirty)
    label = g_strdup_printf ("stall, %u fs, %d MiB dirty each", n, b->dirty_mib);
  else
    label = g_strdup_printf ("stall, %u fs, idle", n);
  worst = bench_series_new (b->rep, TRUE, "ms", label, "stall.%s.%u", mode, n);
  mean = bench_series_new (b->rep, FALSE, "ms", label, "stall_mean_writer.%s.%u", mode, n);
  overlap = bench_series_new (b->rep, FALSE, "writes", label, "stall_overlapping_writes.%s.%u",
                              mode, n);
  silent
      = bench_series_new (b->rep, FALSE, "writers", label, "stall_silent_writers.%s.%u", mode, n);
  cycle = bench_series_new (b->rep, FALSE, "ms", label, "stall_cycle.%s.%u", mode, n);
  dirty_ms = bench_series_new (b->rep, FALSE, "ms", label, "dirty_write.%s.%u", mode, n);
  fprintf (stderr, "bench: %s\n", label);

  for (Variant v = Q_LEGACY; v <= QGA; v++) /* warm-up, not recorded */
    if (v != QGA || b->qga != NULL)
      run_cycle (b, v, n, NULL);
  for (int r = 0; r < b->stall_rounds; r++)
    {
      Variant order[N_VARIANTS];
      guint nv = round_order (b, order, TRUE);
      for (guint k = 0; k < nv; k++)
        {
          Variant v = order[k];
          BenchStall st;
          Cycle c = { 0 };

          wait_quiet (b);
          sync (); /* nothing left over from the previous cycle */
          bench_sleep_ms (300);
          if (dirty)
            bench_series_add (dirty_ms, v, make_dirty (b, n));
          if (v == CONTROL)
            {
              bench_writers_open_window (w);
              bench_sleep_ms (b->control_ms);
              bench_writers_close_window (w);
            }
          else
            c = run_cycle (b, v, n, w);
          st = bench_writers_collect (w, b->settle_ms);
          if (st.late > 0)
            bench_report_note (b->rep, "%u writers were still inside a write 10 s after the thaw",
                               st.late);
          bench_series_add (worst, v, st.worst_ms);
          bench_series_add (mean, v, st.mean_worst_ms);
          bench_series_add (overlap, v, st.overlapping);
          bench_series_add (silent, v, st.silent);
          if (v != CONTROL)
            bench_series_add (cycle, v, c.total_ms);
        }
    }
}

static void
read_rss (Bench *b, int when)
{
  BenchAgent *agents[2] = { b->quiesce, b->qga };

  for (int a = 0; a < 2; a++)
    if (agents[a] != NULL)
      {
        b->rep->rss_kb[a][when == 0 ? RSS_IDLE : RSS_AFTER]
            = bench_agent_status_kb (agents[a], "VmRSS");
        b->rep->rss_kb[a][when == 0 ? ANON_IDLE : ANON_AFTER]
            = bench_agent_status_kb (agents[a], "RssAnon");
        if (when == 1)
          b->rep->rss_kb[a][HWM_AFTER] = bench_agent_status_kb (agents[a], "VmHWM");
      }
}

/* ---- main ------------------------------------------------------------- */

static char *
cpu_model (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    {
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix (lines[i], "model name"))
          return g_strdup (g_strstrip (strchr (lines[i], ':') + 1));
    }
  return g_strdup ("unknown CPU");
}

static GArray *
parse_counts (const char *text, const char *what)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  GArray *a = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 n;
      if (*g_strstrip (parts[i]) == '\0')
        continue;
      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 200, &n, NULL))
        {
          fprintf (stderr, "bench: bad %s '%s' (numbers from 1 to 200, comma-separated)\n", what,
                   text);
          exit (2);
        }
      g_array_append_val (a, n);
    }
  return a;
}

static char *
first_line_of (const char *cmd)
{
  g_autofree char *out = NULL;

  if (!g_spawn_command_line_sync (cmd, &out, NULL, NULL, NULL) || out == NULL)
    return g_strdup ("unknown");
  return g_strdup (g_strstrip (g_strdelimit (out, "\n", '\0')));
}

static char *
loadavg (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) f = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("unknown");
  f = g_strsplit (text, " ", 4);
  return g_strv_length (f) >= 3 ? g_strdup_printf ("%s %s %s", f[0], f[1], f[2])
                                : g_strdup ("unknown");
}

/* the JSON file's date, machine, agents and parameters */
static JsonObject *
make_meta (Bench *b, const char *date, const char *kernel, const char *cpu)
{
  JsonObject *meta = json_object_new ();
  JsonObject *machine = json_object_new ();
  JsonObject *agents = json_object_new ();
  JsonObject *p = json_object_new ();

  json_object_set_string_member (meta, "date", date);
  json_object_set_string_member (machine, "kernel", kernel);
  json_object_set_string_member (machine, "cpu", cpu);
  json_object_set_int_member (machine, "nproc", sysconf (_SC_NPROCESSORS_ONLN));
  json_object_set_string_member (machine, "loadavg_start", b->load_start);
  json_object_set_string_member (machine, "loadavg_before_stall", b->load_mid);
  json_object_set_string_member (machine, "loadavg_end", b->load_end);
  json_object_set_object_member (meta, "machine", machine);
  json_object_set_string_member (agents, "quiesce", b->quiesce_version);
  json_object_set_string_member (agents, "qemu_ga", b->qga != NULL ? b->qga_version : "absent");
  json_object_set_object_member (meta, "agents", agents);
  json_object_set_string_member (p, "fs", b->fs_list);
  json_object_set_string_member (p, "stall_fs", b->stall_fs_list);
  json_object_set_int_member (p, "rounds", b->rounds);
  json_object_set_int_member (p, "stall_rounds", b->stall_rounds);
  json_object_set_int_member (p, "pings", b->pings);
  json_object_set_int_member (p, "idle_ms", b->idle_ms);
  json_object_set_int_member (p, "dirty_mib", b->dirty_mib);
  json_object_set_int_member (p, "fs_mib", b->fs_mib);
  json_object_set_int_member (p, "writer_period_us", b->period_us);
  json_object_set_int_member (p, "settle_ms", b->settle_ms);
  json_object_set_int_member (p, "control_window_ms", b->control_ms);
  json_object_set_object_member (meta, "params", p);
  return meta;
}

int
main (int argc, char **argv)
{
  Bench bb = { .fs_list = g_strdup ("1,8,32"),
               .stall_fs_list = g_strdup ("8"),
               .rounds = 10,
               .stall_rounds = -1,
               .pings = 2000,
               .idle_ms = 1000,
               .dirty_mib = 16,
               .fs_mib = 64,
               .period_us = 1000,
               .settle_ms = 100,
               .control_ms = 100 };
  Bench *b = &bb;
  gboolean no_qga = FALSE;
  const GOptionEntry entries[] = {
    { "fs", 0, 0, G_OPTION_ARG_STRING, &b->fs_list,
      "Filesystem counts for freeze+thaw (default 1,8,32)", "LIST" },
    { "stall-fs", 0, 0, G_OPTION_ARG_STRING, &b->stall_fs_list,
      "Filesystem counts for the stall, empty for none (default 8)", "LIST" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &b->rounds, "Freeze+thaw rounds per variant (default 10)",
      "R" },
    { "stall-rounds", 0, 0, G_OPTION_ARG_INT, &b->stall_rounds,
      "Stall cycles per variant and condition (default: --rounds)", "R" },
    { "pings", 0, 0, G_OPTION_ARG_INT, &b->pings, "Pings per agent (default 2000)", "P" },
    { "idle-ms", 0, 0, G_OPTION_ARG_INT, &b->idle_ms, "Idle time before idle cycles (1000)", "MS" },
    { "dirty-mib", 0, 0, G_OPTION_ARG_INT, &b->dirty_mib,
      "Dirty data per filesystem for the stall (16)", "MIB" },
    { "fs-mib", 0, 0, G_OPTION_ARG_INT, &b->fs_mib, "Size of each loop filesystem (64)", "MIB" },
    { "writer-period-us", 0, 0, G_OPTION_ARG_INT, &b->period_us,
      "A writer's write+fsync period (1000)", "US" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &b->json_out, "Also write every number as JSON",
      "FILE" },
    { "agent", 0, 0, G_OPTION_ARG_FILENAME, &b->agent_path,
      "quiesce-agent (default $QUIESCE_AGENT or build/agent/quiesce-agent)", "PATH" },
    { "qemu-ga", 0, 0, G_OPTION_ARG_FILENAME, &b->qga_path, "qemu-ga (default: from PATH)",
      "PATH" },
    { "no-qemu-ga", 0, 0, G_OPTION_ARG_NONE, &no_qga, "Measure quiesce-agent alone", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- quiesce-agent beside qemu-ga");
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *date = NULL, *cpu = NULL, *header = NULL, *params = NULL;
  g_autofree char *load_start = NULL;
  gint64 t_start;
  struct utsname uts;
  guint max_stall = 0;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench: %s\n", error->message);
      return 2;
    }
  if (b->stall_rounds < 0)
    b->stall_rounds = b->rounds;
  if (b->rounds < 1 || b->pings < 0 || b->idle_ms < 0 || b->dirty_mib < 0 || b->fs_mib < 16
      || b->period_us < 100 || b->dirty_mib > b->fs_mib / 2)
    {
      fprintf (stderr, "bench: bad parameters (see --help)\n");
      return 2;
    }
  b->fs_counts = parse_counts (b->fs_list, "--fs");
  b->stall_counts = parse_counts (b->stall_fs_list, "--stall-fs");
  for (guint i = 0; i < b->fs_counts->len; i++)
    b->max_fs = MAX (b->max_fs, g_array_index (b->fs_counts, guint, i));
  for (guint i = 0; i < b->stall_counts->len; i++)
    max_stall = MAX (max_stall, g_array_index (b->stall_counts, guint, i));
  b->max_fs = MAX (b->max_fs, max_stall);
  if (b->max_fs == 0)
    {
      fprintf (stderr, "bench: nothing to measure\n");
      return 2;
    }
  if (geteuid () != 0 || access ("/dev/loop-control", F_OK) != 0)
    {
      printf ("SKIP: the benchmark needs root and loop devices\n");
      return 77;
    }
  if (b->agent_path == NULL)
    b->agent_path = g_strdup (g_getenv ("QUIESCE_AGENT") != NULL ? g_getenv ("QUIESCE_AGENT")
                                                                 : "build/agent/quiesce-agent");
  if (b->qga_path == NULL && !no_qga)
    b->qga_path = g_find_program_in_path ("qemu-ga");
  if (!g_file_test (b->agent_path, G_FILE_TEST_IS_EXECUTABLE))
    {
      fprintf (stderr, "bench: no quiesce-agent at %s (build it, or --agent)\n", b->agent_path);
      return 1;
    }
  if (b->qga_path == NULL && !no_qga)
    {
      fprintf (stderr, "bench: qemu-ga not found (apt-get install qemu-guest-agent, or "
                       "--no-qemu-ga)\n");
      return 1;
    }
  b->rep = bench_report_new (b->qga_path != NULL, b->control_ms);
  b->rand = g_rand_new_with_seed (20240607);

  bench_lab_init ();
  now = g_date_time_new_now_local ();
  date = g_date_time_format (now, "%F %T %z");
  uname (&uts);
  cpu = cpu_model ();
  {
    g_autofree char *qv = g_strdup_printf ("'%s' --version", b->agent_path);
    g_autofree char *gv = g_strdup_printf ("'%s' --version", b->qga_path ? b->qga_path : "true");
    b->quiesce_version = first_line_of (qv);
    b->qga_version = first_line_of (gv);
  }
  load_start = loadavg ();
  t_start = bench_now_ns ();
  header = g_strdup_printf ("quiesce bench, %s, linux %s, %s, %ld CPUs", date, uts.release, cpu,
                            sysconf (_SC_NPROCESSORS_ONLN));
  params = g_strdup_printf (
      "%s vs %s; %u loop ext4 filesystems of %d MiB; freeze+thaw on %s fs, %d rounds, idle "
      "%d ms; stall on %s fs, %d rounds, writers 4 KiB+fsync every %d us, %d MiB dirty/fs; "
      "%d pings",
      b->quiesce_version, b->qga_path != NULL ? b->qga_version : "no qemu-ga", b->max_fs, b->fs_mib,
      b->fs_list, b->rounds, b->idle_ms, b->stall_fs_list, b->stall_rounds, b->period_us,
      b->dirty_mib, b->pings);
  fprintf (stderr, "bench: making %u loop filesystems in %s\n", b->max_fs, bench_lab_dir ());
  bench_lab_make_fs (b->max_fs, b->fs_mib);

  b->quiesce = bench_agent_start_quiesce (b->agent_path);
  if (b->qga_path != NULL)
    b->qga = bench_agent_start_qemu_ga (b->qga_path);
  wait_quiet (b);
  {
    g_autofree char *r1 = bench_agent_call (b->quiesce, "{\"execute\":\"guest-ping\"}", NULL);
    g_autofree char *r2
        = b->qga != NULL ? bench_agent_call (b->qga, "{\"execute\":\"guest-ping\"}", NULL) : NULL;
    read_rss (b, 0);
  }

  fprintf (stderr, "bench: guest-ping\n");
  measure_ping (b);
  for (guint i = 0; i < b->fs_counts->len; i++)
    measure_freeze (b, g_array_index (b->fs_counts, guint, i), 0);
  for (guint i = 0; i < b->fs_counts->len && b->idle_ms > 0; i++)
    measure_freeze (b, g_array_index (b->fs_counts, guint, i), b->idle_ms);
  b->load_mid = loadavg ();
  for (guint i = 0; i < b->stall_counts->len; i++)
    {
      guint n = g_array_index (b->stall_counts, guint, i);
      BenchWriters *w = bench_writers_start (bench_lab_mounts (), n, b->period_us);
      guint64 before, total, errors;
      double rate, target = 1e6 / b->period_us;
      Series *s;

      /* what the writers manage without any freeze: a machine too small
       * for them shows here */
      before = bench_writers_total (w, &errors);
      bench_sleep_ms (2000);
      rate = (bench_writers_total (w, &errors) - before) / 2.0 / n;
      s = bench_series_new (b->rep, FALSE, "writes/s", "writes+fsyncs per second per writer",
                            "writer_rate.%u", n);
      bench_series_add (s, CONTROL, rate);
      if (rate < 0.8 * target)
        bench_report_note (b->rep,
                           "the %u writers made only %.0f writes+fsyncs per second each, of %.0f "
                           "asked, before any freeze (the machine cannot keep up)",
                           n, rate, target);
      measure_stall (b, n, w, FALSE);
      if (b->dirty_mib > 0)
        measure_stall (b, n, w, TRUE);
      total = bench_writers_total (w, &errors);
      if (errors > 0)
        bench_report_note (b->rep,
                           "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " writer writes failed",
                           errors, total);
      bench_lab_thaw (0);
      bench_writers_stop (w);
    }
  read_rss (b, 1);
  if (b->pauses > 0)
    bench_report_note (b->rep,
                       "paused %d times for other tests, %d s in all: the cycles next to a "
                       "pause may carry their load",
                       b->pauses, b->paused_s);
  {
    g_autofree char *s1
        = bench_agent_call (b->quiesce, "{\"execute\":\"guest-fsfreeze-status\"}", NULL);
    g_autofree char *s2
        = b->qga != NULL
              ? bench_agent_call (b->qga, "{\"execute\":\"guest-fsfreeze-status\"}", NULL)
              : NULL;
    if (strstr (s1, "\"thawed\"") == NULL)
      bench_report_note (b->rep, "quiesce-agent's status after the runs: %s", s1);
    if (s2 != NULL && strstr (s2, "\"thawed\"") == NULL)
      bench_report_note (b->rep, "qemu-ga's status after the runs: %s", s2);
  }

  {
    /* the machine's load over the run: other work shows here */
    g_autofree char *load_end = loadavg ();
    g_autofree char *p2 = g_strdup_printf (
        "%s\nload average (1, 5, 15 min): at start %s, before the stall runs %s, at end %s "
        "(the stall's writers count: they wait in fsync); %.0f s in all",
        params, load_start, b->load_mid, load_end, (bench_now_ns () - t_start) / 1e9);
    bench_report_print (b->rep, header, p2);
    b->load_start = g_steal_pointer (&load_start);
    b->load_end = g_steal_pointer (&load_end);
  }
  if (b->json_out != NULL)
    {
      g_autoptr (JsonObject) meta = make_meta (b, date, uts.release, cpu);
      bench_report_write_json (b->rep, meta, b->json_out);
    }
  return 0; /* the lab is cleaned up at exit */
}
