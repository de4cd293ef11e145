/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-report: statistics, table and JSON; see bench-report.h. */
#include "config.h"

#include "bench-report.h"

#include <stdio.h>
#include <stdlib.h>

const char *const bench_variant_key[N_VARIANTS]
    = { "quiesce_legacy", "quiesce_handle", "qemu_ga", "control" };
static const char *const variant_label[N_VARIANTS]
    = { "freeze-list/thaw", "acquire/release", "", "" };

BenchReport *
bench_report_new (gboolean have_qga, int control_ms)
{
  BenchReport *r = g_new0 (BenchReport, 1);

  r->series = g_ptr_array_new ();
  r->notes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->note_order = g_ptr_array_new_with_free_func (g_free);
  r->have_qga = have_qga;
  r->control_ms = control_ms;
  for (int a = 0; a < 2; a++)
    for (int k = 0; k < N_RSS; k++)
      r->rss_kb[a][k] = -1;
  return r;
}

/* ---- statistics ------------------------------------------------------- */

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* linear interpolation between the closest ranks */
static double
quantile (const double *sorted, guint n, double q)
{
  double pos = q * (n - 1);
  guint lo = (guint)pos;
  return lo + 1 < n ? sorted[lo] + (pos - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

Stats
bench_stats_of (GArray *v)
{
  Stats s = { 0 };
  g_autofree double *d = NULL;

  if (v == NULL || v->len == 0)
    return s;
  d = g_memdup2 (v->data, v->len * sizeof (double));
  qsort (d, v->len, sizeof (double), cmp_double);
  s.n = v->len;
  s.median = quantile (d, s.n, 0.5);
  s.p10 = quantile (d, s.n, 0.1);
  s.p90 = quantile (d, s.n, 0.9);
  s.min = d[0];
  s.max = d[s.n - 1];
  return s;
}

Series *
bench_series_new (BenchReport *r, gboolean in_table, const char *unit, const char *label,
                  const char *key_fmt, ...)
{
  Series *s = g_new0 (Series, 1);
  va_list ap;

  va_start (ap, key_fmt);
  s->key = g_strdup_vprintf (key_fmt, ap);
  va_end (ap);
  s->label = g_strdup (label);
  s->unit = unit;
  s->in_table = in_table;
  for (int i = 0; i < N_VARIANTS; i++)
    s->v[i] = g_array_new (FALSE, FALSE, sizeof (double));
  g_ptr_array_add (r->series, s);
  return s;
}

void
bench_series_add (Series *s, Variant v, double x)
{
  g_array_append_val (s->v[v], x);
}

void
bench_report_note (BenchReport *r, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *text = NULL;
  guint count;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (r->notes, text));
  if (count == 0)
    {
      fprintf (stderr, "bench: note: %s\n", text);
      g_ptr_array_add (r->note_order, g_strdup (text));
    }
  g_hash_table_insert (r->notes, g_steal_pointer (&text), GUINT_TO_POINTER (count + 1));
}

/* ---- the table -------------------------------------------------------- */

static char *
fmt_stats (Stats s)
{
  int prec = s.median >= 100 ? 0 : s.median >= 10 ? 1 : s.median >= 1 ? 2 : 3;

  if (s.n == 0)
    return g_strdup ("-");
  return g_strdup_printf ("%.*f [%.*f..%.*f]", prec, s.median, prec, s.p10, prec, s.p90);
}

static void
print_cells (const char *label, const char *q, const char *g, const char *ratio)
{
  printf ("%-60s %-24s %-24s %6s\n", label, q, g, ratio);
}

static void
print_row (const char *label, Stats q, Stats g)
{
  g_autofree char *qs = fmt_stats (q);
  g_autofree char *gs = fmt_stats (g);
  g_autofree char *ratio = q.n > 0 && g.n > 0 && g.median > 0
                               ? g_strdup_printf ("%.3f", q.median / g.median)
                               : g_strdup ("-");

  print_cells (label, qs, gs, ratio);
}

static void
print_rss_row (const char *label, long q, long g)
{
  g_autofree char *qs = g_strdup_printf ("%ld kB", q);
  g_autofree char *gs = g > 0 ? g_strdup_printf ("%ld kB", g) : g_strdup ("-");
  g_autofree char *ratio = g > 0 ? g_strdup_printf ("%.3f", (double)q / g) : g_strdup ("-");

  print_cells (label, qs, gs, ratio);
}

void
bench_report_print (BenchReport *r, const char *header, const char *params)
{
  static const char *const rss_labels[N_RSS] = {
    "RSS (VmRSS) after start and one ping", "  of which anonymous (RssAnon)",
    "RSS (VmRSS) after the runs",           "  of which anonymous (RssAnon)",
    "peak RSS (VmHWM) after the runs",
  };

  printf ("%s\n%s\n\n", header, params);
  print_cells ("measure (ms: median [p10..p90])", "quiesce-agent",
               r->have_qga ? "qemu-ga" : "qemu-ga (absent)", "ratio");
  for (guint i = 0; i < r->series->len; i++)
    {
      Series *s = g_ptr_array_index (r->series, i);
      Stats g = bench_stats_of (s->v[QGA]);
      if (!s->in_table)
        continue;
      if (s->v[Q_HANDLE]->len == 0)
        print_row (s->label, bench_stats_of (s->v[Q_LEGACY]), g);
      else
        for (Variant v = Q_LEGACY; v <= Q_HANDLE; v++)
          {
            g_autofree char *l = g_strdup_printf ("%s, %s", s->label, variant_label[v]);
            print_row (l, bench_stats_of (s->v[v]), g);
          }
      if (s->v[CONTROL]->len > 0)
        {
          g_autofree char *l
              = g_strdup_printf ("%s, no freeze (%d ms window)", s->label, r->control_ms);
          Stats none = { 0 };
          print_row (l, bench_stats_of (s->v[CONTROL]), none);
        }
    }
  for (int k = 0; k < N_RSS; k++)
    print_rss_row (rss_labels[k], r->rss_kb[0][k], r->have_qga ? r->rss_kb[1][k] : -1);
  if (r->note_order->len > 0)
    {
      printf ("\nnotes:\n");
      for (guint i = 0; i < r->note_order->len; i++)
        {
          const char *t = g_ptr_array_index (r->note_order, i);
          printf ("  %s (%u times)\n", t, GPOINTER_TO_UINT (g_hash_table_lookup (r->notes, t)));
        }
    }
  fflush (stdout);
}

/* ---- JSON ------------------------------------------------------------- */

static void
member_double (JsonBuilder *j, const char *name, double x)
{
  json_builder_set_member_name (j, name);
  json_builder_add_double_value (j, x);
}

static void
json_stats (JsonBuilder *j, GArray *v)
{
  Stats s = bench_stats_of (v);

  json_builder_begin_object (j);
  json_builder_set_member_name (j, "n");
  json_builder_add_int_value (j, s.n);
  member_double (j, "median", s.median);
  member_double (j, "p10", s.p10);
  member_double (j, "p90", s.p90);
  member_double (j, "min", s.min);
  member_double (j, "max", s.max);
  json_builder_set_member_name (j, "samples");
  json_builder_begin_array (j);
  for (guint i = 0; i < v->len; i++)
    json_builder_add_double_value (j, g_array_index (v, double, i));
  json_builder_end_array (j);
  json_builder_end_object (j);
}

static void
json_series (JsonBuilder *j, Series *s)
{
  Stats g = bench_stats_of (s->v[QGA]);

  json_builder_begin_object (j);
  json_builder_set_member_name (j, "key");
  json_builder_add_string_value (j, s->key);
  json_builder_set_member_name (j, "label");
  json_builder_add_string_value (j, s->label);
  json_builder_set_member_name (j, "unit");
  json_builder_add_string_value (j, s->unit);
  for (int v = 0; v < N_VARIANTS; v++)
    if (s->v[v]->len > 0)
      {
        json_builder_set_member_name (j, bench_variant_key[v]);
        json_stats (j, s->v[v]);
      }
  for (int v = Q_LEGACY; v <= Q_HANDLE; v++)
    if (s->v[v]->len > 0 && g.n > 0 && g.median > 0)
      {
        g_autofree char *k = g_strdup_printf ("ratio_%s", bench_variant_key[v]);
        member_double (j, k, bench_stats_of (s->v[v]).median / g.median);
      }
  json_builder_end_object (j);
}

void
bench_report_write_json (BenchReport *r, JsonObject *meta, const char *path)
{
  static const char *const rss_keys[N_RSS]
      = { "vmrss_idle", "rssanon_idle", "vmrss_after", "rssanon_after", "vmhwm_after" };
  g_autoptr (JsonBuilder) j = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GList) members = json_object_get_members (meta);

  json_builder_begin_object (j);
  for (GList *l = members; l != NULL; l = l->next)
    {
      json_builder_set_member_name (j, l->data);
      json_builder_add_value (j, json_node_copy (json_object_get_member (meta, l->data)));
    }
  json_builder_set_member_name (j, "series");
  json_builder_begin_array (j);
  for (guint i = 0; i < r->series->len; i++)
    json_series (j, g_ptr_array_index (r->series, i));
  json_builder_end_array (j);

  json_builder_set_member_name (j, "rss_kb");
  json_builder_begin_object (j);
  for (int a = 0; a < 2; a++)
    {
      json_builder_set_member_name (j, a == 0 ? "quiesce" : "qemu_ga");
      json_builder_begin_object (j);
      for (int k = 0; k < N_RSS; k++)
        {
          json_builder_set_member_name (j, rss_keys[k]);
          json_builder_add_int_value (j, r->rss_kb[a][k]);
        }
      json_builder_end_object (j);
    }
  json_builder_end_object (j);

  json_builder_set_member_name (j, "notes");
  json_builder_begin_array (j);
  for (guint i = 0; i < r->note_order->len; i++)
    {
      const char *t = g_ptr_array_index (r->note_order, i);
      json_builder_begin_object (j);
      json_builder_set_member_name (j, "text");
      json_builder_add_string_value (j, t);
      json_builder_set_member_name (j, "count");
      json_builder_add_int_value (j, GPOINTER_TO_UINT (g_hash_table_lookup (r->notes, t)));
      json_builder_end_object (j);
    }
  json_builder_end_array (j);
  json_builder_end_object (j);

  root = json_builder_get_root (j);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  if (!json_generator_to_file (gen, path, &error))
    fprintf (stderr, "bench: cannot write %s: %s\n", path, error->message);
}
