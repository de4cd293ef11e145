/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the man pages follow the code: every command of the table (with its
 * arguments) and every error class has its entry in quiesce-protocol(7),
 * and every option that quiesce-agent --help prints has its entry in
 * quiesce-agent(8).  The tables and --help are the truth; a new command,
 * class or option without documentation fails here. */
#include "config.h"

#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "qa-dispatch.h"
#include "qw-error.h"

/* ---- helpers ---------------------------------------------------------- */

static char *
source_path (const char *relative)
{
  const char *dir = g_getenv ("QUIESCE_SOURCE_DIR");

  ck_assert_msg (dir != NULL, "QUIESCE_SOURCE_DIR is not set (run through meson test)");
  return g_build_filename (dir, relative, NULL);
}

static char *
agent_path (void)
{
  const char *agent = g_getenv ("QUIESCE_AGENT");
  const char *build = g_getenv ("QUIESCE_BUILD_DIR");

  if (agent != NULL)
    return g_strdup (agent);
  ck_assert_msg (build != NULL, "neither QUIESCE_AGENT nor QUIESCE_BUILD_DIR is set");
  return g_build_filename (build, "agent", "quiesce-agent", NULL);
}

/* the page's source with the roff escapes that appear inside names
 * undone, so "guest\-ping" reads "guest-ping" */
static char *
load_page (const char *name)
{
  static const struct
  {
    const char *from;
    const char *to;
  } escapes[] = {
    { "\\-", "-" },  { "\\(aq", "'" }, { "\\(dq", "\"" }, { "\\&", "" }, { "\\%", "" },
    { "\\fB", "" }, { "\\fI", "" },   { "\\fR", "" },    { "\\fP", "" },
  };
  g_autofree char *relative = g_build_filename ("man", name, NULL);
  g_autofree char *path = source_path (relative);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  GString *out;

  if (!g_file_get_contents (path, &text, NULL, &error))
    ck_abort_msg ("cannot read %s: %s", path, error->message);
  out = g_string_sized_new (strlen (text));
  for (const char *p = text; *p != '\0';)
    {
      gboolean replaced = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (escapes) && !replaced; i++)
        if (g_str_has_prefix (p, escapes[i].from))
          {
            g_string_append (out, escapes[i].to);
            p += strlen (escapes[i].from);
            replaced = TRUE;
          }
      if (!replaced)
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

/* the text of one ".SH TITLE" section, up to the next ".SH" */
static char *
page_section (const char *page, const char *title)
{
  g_autofree char *heading = g_strdup_printf ("\n.SH %s\n", title);
  const char *start = strstr (page, heading);
  const char *end;

  ck_assert_msg (start != NULL, "no section '%s'", title);
  start += strlen (heading);
  end = strstr (start, "\n.SH ");
  return end != NULL ? g_strndup (start, end - start) : g_strdup (start);
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

/* word occurs in text as a whole name: "guest-sync" does not count when
 * only "guest-sync-delimited" is there */
static gboolean
mentions (const char *text, const char *word)
{
  gsize n = strlen (word);

  for (const char *p = strstr (text, word); p != NULL; p = strstr (p + 1, word))
    {
      gboolean start_ok = p == text || !is_name_char (p[-1]);
      gboolean end_ok = !is_name_char (p[n]);

      if (start_ok && end_ok)
        return TRUE;
    }
  return FALSE;
}

/* the long and short options that --help prints, e.g. "--state-dir", "-t" */
static GPtrArray *
help_options (void)
{
  g_autofree char *agent = agent_path ();
  const char *argv[] = { agent, "--help", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *options = g_ptr_array_new_with_free_func (g_free);
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                     &status, &error))
    ck_abort_msg ("cannot run %s --help: %s", agent, error->message);
  /* g_spawn_check_wait_status() is 2.70; we support 2.66 */
  ck_assert_msg (g_spawn_check_exit_status (status, NULL), "%s --help failed: %s", agent, err);

  /* option lines look like "  -t, --state-dir=DIR   Journal ..." */
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = g_strstrip (g_strdup (lines[i]));
      g_auto (GStrv) words = NULL;

      if (line[0] != '-')
        continue;
      /* the option names come first; the description starts at the
       * first word that is not one */
      words = g_strsplit_set (line, " ,=", -1);
      for (guint j = 0; words[j] != NULL; j++)
        {
          if (words[j][0] == '\0')
            continue;
          if (words[j][0] != '-')
            break;
          if (!g_ptr_array_find_with_equal_func (options, words[j], g_str_equal, NULL))
            g_ptr_array_add (options, g_strdup (words[j]));
        }
    }
  return options;
}

/* every argument name of a spec, nested members included */
static void
collect_args (const QwArgSpec *spec, GPtrArray *names)
{
  for (const QwArgSpec *a = spec; a != NULL && a->name != NULL; a++)
    {
      if (!g_ptr_array_find_with_equal_func (names, a->name, g_str_equal, NULL))
        g_ptr_array_add (names, (gpointer) a->name);
      if (a->members != NULL)
        collect_args (a->members, names);
    }
}

/* ---- tests ------------------------------------------------------------ */

START_TEST (test_commands_documented)
{
  g_autofree char *page = load_page ("quiesce-protocol.7");
  gsize n = 0;
  const QaCommand *cmds = qa_commands (&n);

  ck_assert_uint_gt (n, 0);
  for (gsize i = 0; i < n; i++)
    {
      /* each command has a subsection of its own */
      g_autofree char *heading = g_strdup_printf ("\n.SS %s\n", cmds[i].name);
      ck_assert_msg (strstr (page, heading) != NULL,
                     "command '%s' has no '.SS %s' entry in quiesce-protocol(7)", cmds[i].name,
                     cmds[i].name);
    }
}
END_TEST

START_TEST (test_arguments_documented)
{
  g_autofree char *page = load_page ("quiesce-protocol.7");
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  gsize n = 0;
  const QaCommand *cmds = qa_commands (&n);

  for (gsize i = 0; i < n; i++)
    collect_args (cmds[i].args, names);
  ck_assert_uint_gt (names->len, 0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      ck_assert_msg (mentions (page, name), "argument '%s' is not in quiesce-protocol(7)", name);
    }
}
END_TEST

START_TEST (test_error_classes_documented)
{
  g_autofree char *page = load_page ("quiesce-protocol.7");
  g_autofree char *section = page_section (page, "ERROR CLASSES");
  gsize n = 0;
  const QwErrorClass *classes = qw_error_classes (&n);

  ck_assert_uint_eq (n, QW_ERROR_N_CLASSES);
  for (gsize i = 0; i < n; i++)
    ck_assert_msg (mentions (section, classes[i].name),
                   "error class '%s' is not in ERROR CLASSES of quiesce-protocol(7)",
                   classes[i].name);
}
END_TEST

START_TEST (test_options_documented)
{
  g_autofree char *page = load_page ("quiesce-agent.8");
  g_autofree char *section = page_section (page, "OPTIONS");
  g_autoptr (GPtrArray) options = help_options ();
  guint n_long = 0;

  for (guint i = 0; i < options->len; i++)
    {
      const char *opt = g_ptr_array_index (options, i);

      if (g_str_has_prefix (opt, "--"))
        n_long++;
      ck_assert_msg (mentions (section, opt), "option '%s' of --help is not in OPTIONS of "
                                              "quiesce-agent(8)",
                     opt);
    }
  /* a --help that printed nothing useful must not pass for documented */
  ck_assert_uint_ge (n_long, 20);
  ck_assert_msg (mentions (section, "--state-dir") && mentions (section, "--only-under"),
                 "OPTIONS lacks the options every test relies on");
}
END_TEST

/* the matcher itself: a prefix of a longer name is not a mention */
START_TEST (test_mentions)
{
  ck_assert (mentions ("see guest-sync-delimited", "guest-sync-delimited"));
  ck_assert (!mentions ("see guest-sync-delimited", "guest-sync"));
  ck_assert (mentions ("(guest-sync) and guest-sync-delimited", "guest-sync"));
  ck_assert (!mentions ("--max-timeout=N", "--max"));
  ck_assert (mentions (".BR -t \", \" --state-dir =DIR", "-t"));
  ck_assert (!mentions ("NotBusy", "Busy"));
}
END_TEST

static Suite *
docs_suite (void)
{
  Suite *s = suite_create ("docs");
  TCase *tc = tcase_create ("pages");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_mentions);
  tcase_add_test (tc, test_commands_documented);
  tcase_add_test (tc, test_arguments_documented);
  tcase_add_test (tc, test_error_classes_documented);
  tcase_add_test (tc, test_options_documented);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *runner = srunner_create (docs_suite ());
  int failed;

  srunner_run_all (runner, CK_ENV);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
