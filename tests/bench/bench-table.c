/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-table: the freeze table's own cost, in process, no ioctls.
 *
 *   bench-table [--handles N] [--fs N] [--cycles N] [--json FILE]
 *
 * A backend whose FIFREEZE and FITHAW do nothing stands in for the kernel.
 * With N live handles spread over the filesystems it times one acquire
 * plus one release of an already frozen filesystem (the table's
 * bookkeeping: refcounts, the deadline index, the queue), then the journal
 * write of the whole table at 1,000 and at N handles. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "qa-freeze-table.h"

static int
nop_open (gpointer user_data, const char *path, dev_t expect_dev)
{
  return 100;
}

static int
nop_call (gpointer user_data, int fd, const char *path)
{
  return 0;
}

static void
nop_close (gpointer user_data, int fd)
{
}

static const QaFreezeOps nop_ops = { nop_open, nop_call, nop_call, nop_call, nop_close, NULL };

static QaFs *
make_fs (guint i)
{
  QaFs *fs = g_new0 (QaFs, 1);
  fs->ref_count = 1;
  fs->major = 7;
  fs->minor = i;
  fs->mountpoint = g_strdup_printf ("/bench/fs%03u", i);
  fs->mountpoints = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (fs->mountpoints, g_strdup (fs->mountpoint));
  fs->fstype = g_strdup ("ext4");
  fs->source = g_strdup_printf ("/dev/loop%u", i);
  fs->name = g_strdup_printf ("loop%u", i);
  fs->disks = g_ptr_array_new ();
  fs->rank = i;
  return fs;
}

typedef struct
{
  gboolean done;
  guint64 handle;
} Outcome;

static void
on_done (const QaTableResult *r, const GError *error, gpointer user_data)
{
  Outcome *o = user_data;
  if (error != NULL)
    {
      fprintf (stderr, "bench-table: %s\n", error->message);
      exit (1);
    }
  o->done = TRUE;
  o->handle = r->handle;
}

static void
wait_done (Outcome *o)
{
  while (!o->done)
    g_main_context_iteration (NULL, TRUE);
}

static guint64
acquire_one (QaFreezeTable *t, QaFs *fs)
{
  g_autoptr (GPtrArray) one = g_ptr_array_new ();
  Outcome o = { 0 };

  g_ptr_array_add (one, fs);
  qa_freeze_table_acquire (t, one, "bench", 3600, on_done, &o);
  wait_done (&o);
  return o.handle;
}

static void
release_one (QaFreezeTable *t, guint64 handle)
{
  Outcome o = { 0 };
  qa_freeze_table_release (t, handle, FALSE, on_done, &o);
  wait_done (&o);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
stats (GArray *v, double *median, double *p10, double *p90)
{
  qsort (v->data, v->len, sizeof (double), cmp_double);
  *median = g_array_index (v, double, v->len / 2);
  *p10 = g_array_index (v, double, v->len / 10);
  *p90 = g_array_index (v, double, v->len * 9 / 10);
}

static QaFreezeTable *
fill (QaJournal *journal, GPtrArray *fs, guint handles)
{
  QaTableLimits limits = { .max_handles = handles + 10, .max_timeout = 3600 };
  QaFreezeTable *t = qa_freeze_table_new (&nop_ops, journal, &limits);

  for (guint i = 0; i < handles; i++)
    acquire_one (t, g_ptr_array_index (fs, i % fs->len));
  return t;
}

/* acquire+release of an already held filesystem, with HANDLES live */
static void
time_cycles (QaFreezeTable *t, GPtrArray *fs, guint cycles, double *m, double *p10, double *p90)
{
  g_autoptr (GArray) us = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < cycles; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      guint64 h = acquire_one (t, g_ptr_array_index (fs, i % fs->len));
      double dt;
      release_one (t, h);
      dt = (double) (g_get_monotonic_time () - t0);
      g_array_append_val (us, dt);
    }
  stats (us, m, p10, p90);
}

static void
time_journal (QaFreezeTable *t, QaJournal *j, guint rounds, double *m, double *p10, double *p90,
              gsize *bytes)
{
  g_autoptr (GArray) ms = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i < rounds; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (JsonNode) node = qa_freeze_table_to_json (t);
      double dt;
      if (!qa_journal_save (j, node, NULL))
        exit (1);
      dt = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (ms, dt);
    }
  {
    struct stat st;
    *bytes = g_stat (qa_journal_path (j), &st) == 0 ? (gsize) st.st_size : 0;
  }
  stats (ms, m, p10, p90);
}

int
main (int argc, char **argv)
{
  gint handles = 10000, nfs = 100, cycles = 20000;
  g_autofree char *json_out = NULL;
  const GOptionEntry entries[] = {
    { "handles", 0, 0, G_OPTION_ARG_INT, &handles, "Live handles (default 10000)", "N" },
    { "fs", 0, 0, G_OPTION_ARG_INT, &nfs, "Filesystems (default 100)", "N" },
    { "cycles", 0, 0, G_OPTION_ARG_INT, &cycles, "Timed acquire+release cycles", "N" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_out, "Also write results as JSON", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- the freeze table's own cost");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) fs = g_ptr_array_new_with_free_func ((GDestroyNotify) qa_fs_unref);
  g_autofree char *dir = NULL;
  double cm, c10, c90, j1m, j1p10, j1p90, jnm, jnp10, jnp90;
  gsize j1bytes, jnbytes;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || handles < 1000 || nfs < 1)
    {
      fprintf (stderr, "bench-table: %s\n", error != NULL ? error->message : "bad arguments");
      return 2;
    }
  /* the journal on tmpfs, as /run is in a guest */
  dir = g_dir_make_tmp ("quiesce-bench-table-XXXXXX", NULL);
  for (gint i = 0; i < nfs; i++)
    g_ptr_array_add (fs, make_fs ((guint) i));

  {
    g_autoptr (QaFreezeTable) t = fill (NULL, fs, (guint) handles);
    time_cycles (t, fs, (guint) cycles, &cm, &c10, &c90);
  }
  {
    g_autoptr (QaJournal) j = qa_journal_new (dir);
    g_autoptr (QaFreezeTable) t1 = fill (NULL, fs, 1000);
    g_autoptr (QaFreezeTable) tn = fill (NULL, fs, (guint) handles);
    time_journal (t1, j, 50, &j1m, &j1p10, &j1p90, &j1bytes);
    time_journal (tn, j, 10, &jnm, &jnp10, &jnp90, &jnbytes);
    g_unlink (qa_journal_path (j));
  }
  g_rmdir (dir);

  printf ("%-44s %9.2f us [%.2f..%.2f]\n",
          g_strdup_printf ("acquire+release, %d live handles, %d fs", handles, nfs), cm, c10, c90);
  printf ("%-44s %9.2f ms [%.2f..%.2f] (%zu bytes)\n", "journal write, 1000 handles", j1m, j1p10,
          j1p90, j1bytes);
  printf ("%-44s %9.2f ms [%.2f..%.2f] (%zu bytes)\n",
          g_strdup_printf ("journal write, %d handles", handles), jnm, jnp10, jnp90, jnbytes);
  if (json_out != NULL)
    {
      g_autofree char *js = g_strdup_printf (
          "{\"handles\":%d,\"filesystems\":%d,\"acquire_release_us\":{\"median\":%.3f,\"p10\":%.3f,"
          "\"p90\":%.3f},\"journal_write_ms\":{\"1000\":%.3f,\"%d\":%.3f},"
          "\"journal_bytes\":{\"1000\":%zu,\"%d\":%zu}}\n",
          handles, nfs, cm, c10, c90, j1m, handles, jnm, j1bytes, handles, jnbytes);
      g_file_set_contents (json_out, js, -1, NULL);
    }
  return 0;
}
