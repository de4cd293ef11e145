/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-report: the benchmark's samples, their statistics, the table on
 * stdout and the JSON file. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

typedef enum
{
  Q_LEGACY, /* quiesce-agent: guest-fsfreeze-freeze-list + guest-fsfreeze-thaw */
  Q_HANDLE, /* quiesce-agent: guest-fsfreeze-acquire + guest-fsfreeze-release */
  QGA,      /* qemu-ga: guest-fsfreeze-freeze-list + guest-fsfreeze-thaw */
  CONTROL,  /* no agent: the writers over a window without any freeze */
  N_VARIANTS
} Variant;

extern const char *const bench_variant_key[N_VARIANTS];

/* one measure: samples per variant */
typedef struct
{
  char *key;
  char *label;
  const char *unit;
  gboolean in_table;     /* else JSON only */
  GArray *v[N_VARIANTS]; /* double */
} Series;

typedef struct
{
  double median, p10, p90, min, max;
  guint n;
} Stats;

enum
{
  RSS_IDLE,   /* VmRSS after start and one ping */
  ANON_IDLE,  /* RssAnon then: VmRSS less the pages of files (shared libraries) */
  RSS_AFTER,  /* VmRSS after the runs */
  ANON_AFTER, /* RssAnon then */
  HWM_AFTER,  /* VmHWM after the runs: the peak */
  N_RSS
};

typedef struct
{
  GPtrArray *series; /* Series*, in run order */
  GHashTable *notes; /* text -> count */
  GPtrArray *note_order;
  long rss_kb[2][N_RSS]; /* [quiesce-agent, qemu-ga] */
  gboolean have_qga;
  int control_ms;
} BenchReport;

BenchReport *bench_report_new (gboolean have_qga, int control_ms);
Stats bench_stats_of (GArray *v);

Series *bench_series_new (BenchReport *r, gboolean in_table, const char *unit, const char *label,
                          const char *key_fmt, ...) G_GNUC_PRINTF (5, 6);
void bench_series_add (Series *s, Variant v, double x);

/* something that looked wrong: printed at once on stderr, then counted
 * in the table's notes and the JSON */
void bench_report_note (BenchReport *r, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

void bench_report_print (BenchReport *r, const char *header, const char *params);
/* META's members (date, machine, parameters) come first */
void bench_report_write_json (BenchReport *r, JsonObject *meta, const char *path);
