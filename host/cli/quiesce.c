/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quiesce(1): the virsh-style command line of libquiesce-1.
 *
 * This file holds what every subcommand shares: the global options, the
 * parser of subcommand options (driven by the static tables of
 * quiesce-cli-commands.c, which also generate the help), the connection,
 * output helpers, and the one place where an error becomes an exit code. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "quiesce-cli.h"

#define CLI_DEFAULT_CALL_TIMEOUT_S 30
#define CLI_MAX_CALL_TIMEOUT_S     86400

G_DEFINE_QUARK (quiesce-cli-error-quark, cli_error)

/* ---- global options: a table too, so that help is generated ---- */

typedef struct
{
  const char *short_name; /* "-c" or NULL */
  const char *long_name;  /* "--connect" or NULL */
  const char *arg;        /* NULL for a flag */
  const char *help;
} CliGlobalOption;

static const CliGlobalOption global_options[] = {
  { "-c", "--connect", "URI",
    "the agent: unix:PATH, a QEMU guest agent chardev socket or a quiesce-agent "
    "--listen socket; or a libvirt URI such as qemu:///system, DOMAIN being a libvirt "
    "domain (default: $QUIESCE_DEFAULT_URI, else $LIBVIRT_DEFAULT_URI, else "
    "qemu:///system when built with libvirt)" },
  { NULL, "--domain-xml", "FILE",
    "a libvirt domain XML (virsh dumpxml) that maps disk target names such as vda" },
  { NULL, "--json", NULL, "print one JSON document instead of text" },
  { "-t", "--call-timeout", "SECONDS",
    "how long to wait for each reply of the agent (default 30); it must exceed the "
    "time a freeze takes" },
  { NULL, "--state-dir", "DIR",
    "host state (snapshot journals; default $QUIESCE_STATE_DIR, else /var/lib/quiesce "
    "for root)" },
  { "-h", "--help", NULL, "show this help" },
  { "-V", "--version", NULL, "show the version" },
  { NULL, NULL, NULL, NULL },
};

/* subcommands of a later version: listed so that scripts get a clear
 * message and exit 1, not a usage error */
static const char *const later_commands[] = { NULL };

/* ---- options ---- */

gboolean
cli_opt_has (Cli *cli, const char *name)
{
  return g_hash_table_contains (cli->opts, name);
}

const char *
cli_opt_string (Cli *cli, const char *name)
{
  GPtrArray *values = g_hash_table_lookup (cli->opts, name);

  return values != NULL && values->len > 0 ? g_ptr_array_index (values, 0) : NULL;
}

GPtrArray *
cli_opt_list (Cli *cli, const char *name)
{
  return g_hash_table_lookup (cli->opts, name);
}

gint64
cli_opt_number (Cli *cli, const char *name, gint64 dflt)
{
  const char *text = cli_opt_string (cli, name);

  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : dflt;
}

/* ---- help, generated from the tables ---- */

static const CliCommand *
find_command (const char *name)
{
  for (const CliCommand *c = cli_commands; c->name != NULL; c++)
    if (strcmp (c->name, name) == 0)
      return c;
  return NULL;
}

static void
print_wrapped (FILE *out, const char *text, guint indent, guint width)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  guint col = indent;

  fprintf (out, "%*s", indent, "");
  for (guint i = 0; words[i] != NULL; i++)
    {
      guint len = g_utf8_strlen (words[i], -1);

      if (col > indent && col + 1 + len > width)
        {
          fprintf (out, "\n%*s", indent, "");
          col = indent;
        }
      else if (col > indent)
        {
          fputc (' ', out);
          col++;
        }
      fputs (words[i], out);
      col += len;
    }
  fputc ('\n', out);
}

/* "  --name ARG" padded to a column, then the help, wrapped */
static void
print_option_line (FILE *out, const char *left, const char *help)
{
  const guint column = 26;

  if (strlen (left) + 2 <= column)
    fprintf (out, "%-*s", (int) column, left);
  else
    fprintf (out, "%s\n%*s", left, (int) column, "");
  {
    g_autoptr(GString) line = g_string_new (NULL);
    g_auto(GStrv) words = g_strsplit (help, " ", -1);
    guint col = column;

    for (guint i = 0; words[i] != NULL; i++)
      {
        guint len = g_utf8_strlen (words[i], -1);

        if (col > column && col + 1 + len > 79)
          {
            g_string_append_printf (line, "\n%*s", (int) column, "");
            col = column;
          }
        else if (col > column)
          {
            g_string_append_c (line, ' ');
            col++;
          }
        g_string_append (line, words[i]);
        col += len;
      }
    fprintf (out, "%s\n", line->str);
  }
}

static void
print_global_help (FILE *out)
{
  fprintf (out, "Usage: quiesce [GLOBAL OPTIONS] SUBCOMMAND DOMAIN [OPTIONS]\n"
                "       quiesce help [SUBCOMMAND]\n\n");
  print_wrapped (out,
                 "Freeze and thaw the filesystems of a guest through quiesce-agent (or "
                 "qemu-ga, for the commands it has), with freeze handles. Global options "
                 "go before the subcommand, as in virsh. DOMAIN is a label when the "
                 "agent is reached by a unix socket.",
                 0, 79);
  fprintf (out, "\nGlobal options:\n");
  for (const CliGlobalOption *o = global_options; o->help != NULL; o++)
    {
      g_autofree char *left = g_strdup_printf (
          "  %s%s%s%s%s", o->short_name != NULL ? o->short_name : "",
          o->short_name != NULL && o->long_name != NULL ? ", " : "",
          o->long_name != NULL ? o->long_name : "", o->arg != NULL ? " " : "",
          o->arg != NULL ? o->arg : "");
      print_option_line (out, left, o->help);
    }
  fprintf (out, "\nSubcommands:\n");
  for (const CliCommand *c = cli_commands; c->name != NULL; c++)
    {
      g_autofree char *left = g_strdup_printf ("  %s", c->name);
      print_option_line (out, left, c->summary);
    }
  for (guint i = 0; later_commands[i] != NULL; i++)
    {
      g_autofree char *left = g_strdup_printf ("  %s", later_commands[i]);
      print_option_line (out, left, "not yet available in this version");
    }
  fprintf (out, "\nRun 'quiesce help SUBCOMMAND' for the options of one. Exit codes: see "
                "quiesce(1).\n");
}

static void
print_command_help (FILE *out, const CliCommand *c)
{
  g_autoptr(GString) synopsis = g_string_new (NULL);

  if (c->operand != NULL)
    g_string_append_printf (synopsis, "Usage: quiesce [GLOBAL OPTIONS] %s [%s]", c->name,
                            c->operand);
  else
    g_string_append_printf (synopsis, "Usage: quiesce [GLOBAL OPTIONS] %s DOMAIN", c->name);
  for (const CliOption *o = c->options; o->name != NULL; o++)
    {
      switch (o->type)
        {
        case CLI_OPT_BOOL:
          g_string_append_printf (synopsis, " [--%s]", o->name);
          break;
        case CLI_OPT_LIST:
          g_string_append_printf (synopsis, " [--%s %s]...", o->name, o->arg);
          break;
        case CLI_OPT_STRING:
        case CLI_OPT_NUMBER:
        default:
          g_string_append_printf (synopsis, " [--%s %s]", o->name, o->arg);
          break;
        }
    }
  if (c->takes_argv)
    g_string_append (synopsis, " [-- COMMAND [ARGS...]]");
  /* the synopsis, wrapped between options and indented under the first */
  {
    g_auto(GStrv) parts = g_strsplit (synopsis->str, " [", -1);
    guint col = 0;

    for (guint i = 0; parts[i] != NULL; i++)
      {
        g_autofree char *part = i == 0 ? g_strdup (parts[i]) : g_strconcat ("[", parts[i], NULL);
        guint len = g_utf8_strlen (part, -1);

        if (i > 0 && col + 1 + len > 79)
          {
            fprintf (out, "\n       ");
            col = 7;
          }
        else if (i > 0)
          {
            fputc (' ', out);
            col++;
          }
        fputs (part, out);
        col += len;
      }
    fprintf (out, "\n\n");
  }
  fprintf (out, "%s: %s\n\n", c->name, c->summary);
  print_wrapped (out, c->description, 2, 79);
  if (c->usage_extra != NULL)
    {
      fputc ('\n', out);
      print_wrapped (out, c->usage_extra, 2, 79);
    }
  if (c->options[0].name != NULL)
    {
      fprintf (out, "\nOptions:\n");
      for (const CliOption *o = c->options; o->name != NULL; o++)
        {
          g_autofree char *left =
              g_strdup_printf ("  --%s%s%s", o->name, o->type == CLI_OPT_BOOL ? "" : " ",
                               o->type == CLI_OPT_BOOL ? "" : o->arg);
          print_option_line (out, left, o->help);
        }
    }
}

/* ---- errors and exit codes ---- */

/* DESIGN.md 4.1: the exit code depends only on the error class */
static int
exit_code_for (const GError *error)
{
  if (error->domain == CLI_ERROR)
    {
      switch ((CliError) error->code)
        {
        case CLI_ERROR_USAGE:
          return 2;
        case CLI_ERROR_CONNECT:
          return 3;
        case CLI_ERROR_DEVICE:
          return 4;
        case CLI_ERROR_FAILED:
        case CLI_ERROR_NOT_AVAILABLE:
        default:
          return 1;
        }
    }
  if (error->domain == QUIESCE_CLIENT_ERROR)
    {
      switch ((QuiesceClientError) error->code)
        {
        case QUIESCE_CLIENT_ERROR_NOT_CONNECTED:
        case QUIESCE_CLIENT_ERROR_DISCONNECTED:
        case QUIESCE_CLIENT_ERROR_TIMED_OUT:
        case QUIESCE_CLIENT_ERROR_SYNC_FAILED:
          return 3;
        case QUIESCE_CLIENT_ERROR_BAD_REPLY:
        default:
          return 1;
        }
    }
  if (error->domain == QUIESCE_AGENT_ERROR)
    {
      switch ((QuiesceAgentError) error->code)
        {
        case QUIESCE_AGENT_ERROR_DEVICE_NOT_FOUND:
          return 4;
        case QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND:
          return 5;
        case QUIESCE_AGENT_ERROR_HANDLE_EXPIRED:
          return 6;
        case QUIESCE_AGENT_ERROR_BUSY:
          return 7;
        case QUIESCE_AGENT_ERROR_FREEZE_FAILED:
          return 8;
        case QUIESCE_AGENT_ERROR_LIMIT_EXCEEDED:
          return 9;
        case QUIESCE_AGENT_ERROR_PERMISSION_DENIED:
          return 10;
        case QUIESCE_AGENT_ERROR_GENERIC:
        case QUIESCE_AGENT_ERROR_COMMAND_NOT_FOUND:
        default:
          return 1;
        }
    }
  if (error->domain == QUIESCE_SNAPSHOT_ERROR)
    {
      switch ((QuiesceSnapshotError) error->code)
        {
        case QUIESCE_SNAPSHOT_ERROR_SUSPECT:
          return 6;
        case QUIESCE_SNAPSHOT_ERROR_ACTION_FAILED:
          return 11;
        default:
          return 1;
        }
    }
  /* a lease another holds: exit 7, as Busy */
  if (error->domain == QUIESCE_LEASE_ERROR && error->code == QUIESCE_LEASE_ERROR_HELD)
    return 7;
  if (error->domain == QUIESCE_DOMAIN_ERROR)
    {
      switch ((QuiesceDomainError) error->code)
        {
        case QUIESCE_DOMAIN_ERROR_DISK_NOT_FOUND:
          return 4;
        case QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC:
          return 2;
        default:
          return 1;
        }
    }
  return 1;
}

/* an agent's desc or a file's text may hold newlines; errors are one line */
static char *
one_line (const char *text)
{
  char *copy = g_strdup (text);

  for (char *p = copy; *p != '\0'; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  return g_strchomp (copy);
}

static int
report_error (Cli *cli, const GError *error)
{
  g_autofree char *message = one_line (error->message);
  int code = exit_code_for (error);

  fprintf (stderr, "quiesce: %s\n", message);
  if (code == 2)
    {
      if (cli != NULL && cli->command != NULL)
        fprintf (stderr, "Try 'quiesce help %s'.\n", cli->command->name);
      else
        fprintf (stderr, "Try 'quiesce help'.\n");
    }
  return code;
}

void
cli_warning (const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  line = one_line (text);
  fprintf (stderr, "quiesce: warning: %s\n", line);
}

/* ---- output ---- */

void
cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

struct _CliTable
{
  guint n_columns;
  GPtrArray *rows; /* of GStrv; row 0 is the header */
};

static GStrv
collect_row (const char *first, va_list args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (const char *cell = first; cell != NULL; cell = va_arg (args, const char *))
    g_strv_builder_add (builder, cell);
  return g_strv_builder_end (builder);
}

CliTable *
cli_table_new (const char *first, ...)
{
  CliTable *table = g_new0 (CliTable, 1);
  va_list args;
  GStrv header;

  va_start (args, first);
  header = collect_row (first, args);
  va_end (args);
  table->n_columns = g_strv_length (header);
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (table->rows, header);
  return table;
}

void
cli_table_add (CliTable *table, const char *first, ...)
{
  va_list args;
  GStrv row;

  va_start (args, first);
  row = collect_row (first, args);
  va_end (args);
  g_return_if_fail (g_strv_length (row) == table->n_columns);
  g_ptr_array_add (table->rows, row);
}

/* as virsh's vshTable: one space of margin, three between columns, a line
 * of dashes under the header; no trailing blanks */
void
cli_table_print (CliTable *table)
{
  g_autofree guint *widths = g_new0 (guint, table->n_columns);
  guint total = 1;

  for (guint r = 0; r < table->rows->len; r++)
    {
      GStrv row = g_ptr_array_index (table->rows, r);

      for (guint c = 0; c < table->n_columns; c++)
        widths[c] = MAX (widths[c], (guint) g_utf8_strlen (row[c], -1));
    }
  for (guint c = 0; c < table->n_columns; c++)
    total += widths[c] + 3;
  for (guint r = 0; r < table->rows->len; r++)
    {
      GStrv row = g_ptr_array_index (table->rows, r);
      g_autoptr(GString) line = g_string_new (" ");

      for (guint c = 0; c < table->n_columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < table->n_columns)
            for (guint pad = g_utf8_strlen (row[c], -1); pad < widths[c] + 3; pad++)
              g_string_append_c (line, ' ');
        }
      g_strchomp (line->str);
      printf ("%s\n", line->str);
      if (r == 0)
        {
          g_autofree char *dashes = g_strnfill (total - 2, '-');
          printf ("%s\n", dashes);
        }
    }
}

void
cli_table_free (CliTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->rows);
  g_free (table);
}

/* ---- domain XML and connection ---- */

/* -c, else $QUIESCE_DEFAULT_URI, else (with libvirt) $LIBVIRT_DEFAULT_URI
 * or qemu:///system, as virsh; NULL if none */
static const char *
cli_uri (Cli *cli)
{
  const char *uri = cli->uri;

  if (uri == NULL || uri[0] == '\0')
    uri = g_getenv ("QUIESCE_DEFAULT_URI");
  if ((uri == NULL || uri[0] == '\0') && quiesce_transport_libvirt_is_supported ())
    {
      uri = g_getenv ("LIBVIRT_DEFAULT_URI");
      if (uri == NULL || uri[0] == '\0')
        uri = "qemu:///system";
    }
  return uri != NULL && uri[0] != '\0' ? uri : NULL;
}

/* a libvirt URI: DRIVER[+TRANSPORT]://..., anything but unix: */
static gboolean
uri_is_libvirt (const char *uri)
{
  return uri != NULL && !g_str_has_prefix (uri, "unix:") && strstr (uri, "://") != NULL;
}

gboolean
cli_uses_libvirt (Cli *cli)
{
  return uri_is_libvirt (cli_uri (cli));
}

gboolean
cli_load_domain (Cli *cli, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (cli->domain != NULL)
    return TRUE;
  if (cli->domain_xml == NULL)
    {
      QuiesceClient *client;
      g_autofree char *xml = NULL;

      /* through libvirt the XML comes from libvirtd, so that --disk vda
       * needs no --domain-xml; only for subcommands that take a DOMAIN */
      if (!cli_uses_libvirt (cli) || cli->domain_name == NULL ||
          cli->command == NULL || cli->command->operand != NULL)
        return TRUE;
      client = cli_client (cli, error);
      if (client == NULL)
        return FALSE;
      xml = quiesce_transport_libvirt_get_domain_xml (quiesce_client_get_transport (client),
                                                      error);
      if (xml == NULL)
        return FALSE;
      cli->domain = quiesce_domain_new_from_xml (xml, -1, &local);
      if (cli->domain == NULL)
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_FAILED, "%s (the XML of domain '%s' from %s)",
                       local->message, cli->domain_name, cli_uri (cli));
          return FALSE;
        }
      return TRUE;
    }
  cli->domain = quiesce_domain_new_from_file (cli->domain_xml, &local);
  if (cli->domain == NULL)
    {
      /* a file that cannot be read keeps G_FILE_ERROR: exit 1 */
      g_set_error (error, CLI_ERROR, CLI_ERROR_FAILED, "%s (given with --domain-xml)",
                   local->message);
      return FALSE;
    }
  return TRUE;
}

QuiesceClient *
cli_client (Cli *cli, GError **error)
{
  const char *uri = cli_uri (cli);
  const char *path;

  if (cli->client != NULL)
    return cli->client;
  if (uri == NULL)
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "No agent to talk to: give -c unix:PATH (a QEMU guest agent "
                           "chardev socket or a quiesce-agent --listen socket), or set "
                           "QUIESCE_DEFAULT_URI");
      return NULL;
    }
  if (g_str_has_prefix (uri, "unix:"))
    {
      path = uri + strlen ("unix:");
      /* unix:///run/x.sock is a common way to write it too */
      if (g_str_has_prefix (path, "//"))
        path += 2;
      if (path[0] == '\0')
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                       "URI '%s' names no socket: give -c unix:PATH", uri);
          return NULL;
        }
    }
  else if (uri_is_libvirt (uri))
    {
      g_autoptr(QuiesceTransport) transport = NULL;

      if (!quiesce_transport_libvirt_is_supported ())
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_CONNECT,
                       "Cannot use URI '%s': the libvirt transport is not built in this "
                       "version of quiesce; give -c unix:PATH of the agent socket",
                       uri);
          return NULL;
        }
      transport = quiesce_transport_libvirt_new (uri, cli->domain_name, error);
      if (transport == NULL)
        return NULL;
      cli->client = quiesce_client_new (transport);
      quiesce_client_set_timeout (cli->client, cli->call_timeout_s * 1000);
      return cli->client;
    }
  else
    {
      g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                   "Unknown URI '%s': give -c unix:PATH of the agent socket, or a libvirt "
                   "URI such as qemu:///system",
                   uri);
      return NULL;
    }

  cli->client = quiesce_client_new_for_path (path, error);
  if (cli->client == NULL)
    return NULL;
  quiesce_client_set_timeout (cli->client, cli->call_timeout_s * 1000);
  return cli->client;
}

/* ---- command line ---- */

static gboolean
parse_number (const char *what, const char *text, gint64 min, gint64 max, gint64 *out,
              GError **error)
{
  g_autoptr(GError) local = NULL;
  gint64 value;

  if (!g_ascii_string_to_signed (text, 10, min, max, &value, &local))
    {
      g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                   "%s takes a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                   ", not '%s'",
                   what, min, max, text);
      return FALSE;
    }
  if (out != NULL)
    *out = value;
  return TRUE;
}

static const CliOption *
find_option (const CliCommand *c, const char *name)
{
  for (const CliOption *o = c->options; o->name != NULL; o++)
    if (strcmp (o->name, name) == 0)
      return o;
  return NULL;
}

/* SUBCOMMAND's own arguments: DOMAIN (once, anywhere) and its options, as
 * --name VALUE or --name=VALUE; "--" ends the options */
static gboolean
parse_command_args (Cli *cli, int argc, char **argv, GError **error)
{
  gboolean options_done = FALSE;

  for (int i = 0; i < argc; i++)
    {
      const char *arg = argv[i];
      g_autofree char *name = NULL;
      const char *value = NULL;
      const CliOption *opt;
      GPtrArray *values;

      if (options_done || arg[0] != '-' || strcmp (arg, "-") == 0)
        {
          if (cli->domain_name != NULL)
            {
              g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "Unexpected argument '%s': %s takes one %s, and '%s' is it",
                           arg, cli->command->name,
                           cli->command->operand != NULL ? cli->command->operand : "DOMAIN",
                           cli->domain_name);
              return FALSE;
            }
          cli->domain_name = g_strdup (arg);
          continue;
        }
      if (strcmp (arg, "--") == 0)
        {
          /* snapshot-create: the rest is the action's command line */
          if (cli->command->takes_argv)
            {
              cli->action_argv = g_strdupv (argv + i + 1);
              break;
            }
          options_done = TRUE;
          continue;
        }
      if (!g_str_has_prefix (arg, "--"))
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE, "Unknown option '%s' for %s", arg,
                       cli->command->name);
          return FALSE;
        }
      name = g_strdup (arg + 2);
      if (strchr (name, '=') != NULL)
        {
          char *eq = strchr (name, '=');
          *eq = '\0';
          value = arg + 2 + (eq - name) + 1;
        }
      opt = find_option (cli->command, name);
      if (opt == NULL)
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE, "Unknown option '--%s' for %s", name,
                       cli->command->name);
          return FALSE;
        }
      if (opt->type == CLI_OPT_BOOL)
        {
          if (value != NULL)
            {
              g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "Option '--%s' takes no value", name);
              return FALSE;
            }
          value = "";
        }
      else if (value == NULL)
        {
          if (i + 1 >= argc)
            {
              g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE, "Option '--%s' needs a value (%s)",
                           name, opt->arg);
              return FALSE;
            }
          value = argv[++i];
        }
      if (opt->type == CLI_OPT_NUMBER)
        {
          g_autofree char *what = g_strdup_printf ("Option '--%s'", name);

          if (!parse_number (what, value, opt->min, opt->max, NULL, error))
            return FALSE;
        }
      values = g_hash_table_lookup (cli->opts, opt->name);
      if (values != NULL && opt->type != CLI_OPT_LIST)
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE, "Option '--%s' is given twice", name);
          return FALSE;
        }
      if (values == NULL)
        {
          values = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (cli->opts, (gpointer) opt->name, values);
        }
      g_ptr_array_add (values, g_strdup (value));
    }
  if (cli->domain_name == NULL && cli->command->operand == NULL)
    {
      g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE, "%s needs a DOMAIN", cli->command->name);
      return FALSE;
    }
  return TRUE;
}

typedef enum
{
  PARSED_RUN,
  PARSED_DONE, /* help or version printed */
} ParseResult;

/* global options, then the subcommand; *rest_index is where its own
 * arguments start */
static gboolean
parse_global (Cli *cli, int argc, char **argv, ParseResult *result, GError **error)
{
  int i = 1;

  *result = PARSED_RUN;
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      const char *arg = argv[i];
      const char *value = NULL;
      g_autofree char *name = g_strdup (arg);
      const CliGlobalOption *opt = NULL;
      char *eq = g_str_has_prefix (name, "--") ? strchr (name, '=') : NULL;

      if (eq != NULL)
        {
          *eq = '\0';
          value = arg + (eq - name) + 1;
        }
      if (strcmp (name, "--") == 0)
        {
          i++;
          break;
        }
      for (const CliGlobalOption *o = global_options; o->help != NULL; o++)
        if (g_strcmp0 (o->short_name, name) == 0 || g_strcmp0 (o->long_name, name) == 0)
          opt = o;
      if (opt == NULL)
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                       "Unknown global option '%s' (subcommand options go after the "
                       "subcommand)",
                       name);
          return FALSE;
        }
      if (opt->arg == NULL && value != NULL)
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE, "Option '%s' takes no value", name);
          return FALSE;
        }
      if (opt->arg != NULL && value == NULL)
        {
          if (i + 1 >= argc)
            {
              g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE, "Option '%s' needs a value (%s)",
                           name, opt->arg);
              return FALSE;
            }
          value = argv[++i];
        }

      if (strcmp (opt->long_name, "--help") == 0)
        {
          print_global_help (stdout);
          *result = PARSED_DONE;
          return TRUE;
        }
      else if (strcmp (opt->long_name, "--version") == 0)
        {
          printf ("quiesce %s\n", PACKAGE_VERSION);
          *result = PARSED_DONE;
          return TRUE;
        }
      else if (strcmp (opt->long_name, "--connect") == 0)
        {
          g_free (cli->uri);
          cli->uri = g_strdup (value);
        }
      else if (strcmp (opt->long_name, "--domain-xml") == 0)
        {
          g_free (cli->domain_xml);
          cli->domain_xml = g_strdup (value);
        }
      else if (strcmp (opt->long_name, "--json") == 0)
        cli->json = TRUE;
      else if (strcmp (opt->long_name, "--call-timeout") == 0)
        {
          gint64 seconds;

          if (!parse_number ("Option '-t'", value, 1, CLI_MAX_CALL_TIMEOUT_S, &seconds, error))
            return FALSE;
          cli->call_timeout_s = (guint) seconds;
        }
      else if (strcmp (opt->long_name, "--state-dir") == 0)
        {
          g_free (cli->state_dir);
          cli->state_dir = g_strdup (value);
        }
    }

  if (i >= argc)
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE, "No subcommand given");
      return FALSE;
    }

  if (strcmp (argv[i], "help") == 0)
    {
      const CliCommand *c;

      *result = PARSED_DONE;
      if (i + 1 >= argc)
        {
          print_global_help (stdout);
          return TRUE;
        }
      c = find_command (argv[i + 1]);
      if (c == NULL)
        {
          g_set_error (error, CLI_ERROR,
                       g_strv_contains (later_commands, argv[i + 1]) ? CLI_ERROR_NOT_AVAILABLE
                                                                     : CLI_ERROR_USAGE,
                       g_strv_contains (later_commands, argv[i + 1])
                           ? "Subcommand '%s' is not yet available in this version of quiesce"
                           : "Unknown subcommand '%s'",
                       argv[i + 1]);
          return FALSE;
        }
      print_command_help (stdout, c);
      return TRUE;
    }

  cli->command = find_command (argv[i]);
  if (cli->command == NULL)
    {
      if (g_strv_contains (later_commands, argv[i]))
        g_set_error (error, CLI_ERROR, CLI_ERROR_NOT_AVAILABLE,
                     "Subcommand '%s' is not yet available in this version of quiesce",
                     argv[i]);
      else
        g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE, "Unknown subcommand '%s'", argv[i]);
      return FALSE;
    }

  /* SUBCOMMAND --help, as virsh allows */
  for (int k = i + 1; k < argc; k++)
    {
      if (strcmp (argv[k], "--") == 0)
        break;
      if (strcmp (argv[k], "--help") == 0 || strcmp (argv[k], "-h") == 0)
        {
          print_command_help (stdout, cli->command);
          *result = PARSED_DONE;
          return TRUE;
        }
    }
  return parse_command_args (cli, argc - i - 1, argv + i + 1, error);
}

static void
cli_clear (Cli *cli)
{
  g_clear_pointer (&cli->uri, g_free);
  g_clear_pointer (&cli->domain_xml, g_free);
  g_clear_pointer (&cli->state_dir, g_free);
  g_clear_pointer (&cli->domain_name, g_free);
  g_clear_pointer (&cli->action_argv, g_strfreev);
  g_clear_pointer (&cli->opts, g_hash_table_unref);
  g_clear_object (&cli->domain);
  g_clear_object (&cli->client);
}

int
main (int argc, char **argv)
{
  Cli cli = { 0 };
  g_autoptr(GError) error = NULL;
  ParseResult result;
  int code = 0;

  setlocale (LC_ALL, "");
  cli.call_timeout_s = CLI_DEFAULT_CALL_TIMEOUT_S;
  cli.opts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                    (GDestroyNotify) g_ptr_array_unref);

  if (!parse_global (&cli, argc, argv, &result, &error))
    code = report_error (&cli, error);
  else if (result == PARSED_RUN)
    {
      if (!cli_load_domain (&cli, &error) || !cli.command->run (&cli, &error))
        code = report_error (&cli, error);
    }
  if (fflush (stdout) != 0 && code == 0)
    {
      fprintf (stderr, "quiesce: cannot write the output: %s\n", g_strerror (errno));
      code = 1;
    }
  cli_clear (&cli);
  return code;
}
