/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quiesce(1): what the subcommands (quiesce-cli-commands.c) and the
 * command line, help and error handling (quiesce.c) share.  Only the
 * public API of libquiesce-1 is used. */
#pragma once

#include <quiesce.h>

G_BEGIN_DECLS

/* errors of the CLI itself; each maps to an exit code (quiesce.c) */
#define CLI_ERROR (cli_error_quark ())
GQuark cli_error_quark (void);

typedef enum
{
  CLI_ERROR_USAGE,         /* exit 2 */
  CLI_ERROR_CONNECT,       /* exit 3: no agent, no libvirt */
  CLI_ERROR_DEVICE,        /* exit 4: a disk that is not there */
  CLI_ERROR_FAILED,        /* exit 1 */
  CLI_ERROR_NOT_AVAILABLE, /* exit 1: a subcommand of a later version */
} CliError;

typedef enum
{
  CLI_OPT_BOOL,
  CLI_OPT_STRING,
  CLI_OPT_LIST,   /* a string, repeatable */
  CLI_OPT_NUMBER, /* an integer in [min, max] */
} CliOptType;

typedef struct
{
  const char *name; /* without the leading "--" */
  CliOptType type;
  const char *arg;  /* the placeholder in help, e.g. "DISK" */
  gint64 min, max;  /* CLI_OPT_NUMBER */
  const char *help;
} CliOption;

typedef struct _Cli Cli;

typedef struct
{
  const char *name;
  const char *summary;     /* one line, for the subcommand list */
  const char *description; /* a paragraph, for 'quiesce help NAME' */
  const char *usage_extra; /* what the synopsis cannot say, or NULL */
  const CliOption *options; /* terminated by a NULL name */
  gboolean (*run) (Cli *cli, GError **error);
  /* the optional operand in place of DOMAIN (e.g. "DIR" for lease-list),
   * or NULL: the subcommand needs a DOMAIN */
  const char *operand;
  /* TRUE: "--" ends the options and the rest is a command line that the
   * subcommand runs (cli->action_argv), as snapshot-create's action */
  gboolean takes_argv;
} CliCommand;

struct _Cli
{
  /* global options */
  char *uri;
  char *domain_xml;
  gboolean json;
  guint call_timeout_s;
  char *state_dir;

  /* the subcommand and its arguments */
  const CliCommand *command;
  char *domain_name;
  GHashTable *opts; /* option name -> GPtrArray of values ("" for flags) */
  char **action_argv; /* what follows "--" with takes_argv */

  /* made on demand */
  QuiesceDomain *domain;
  QuiesceClient *client;
};

/* the subcommand table (quiesce-cli-commands.c), terminated by a NULL name */
extern const CliCommand cli_commands[];

/* snapshot-create and snapshot-recover (quiesce-cli-snapshot.c) */
gboolean cli_run_snapshot_create (Cli *cli, GError **error);
gboolean cli_run_snapshot_recover (Cli *cli, GError **error);

/* option access; numbers were range-checked while parsing */
gboolean cli_opt_has (Cli *cli, const char *name);
const char *cli_opt_string (Cli *cli, const char *name);
GPtrArray *cli_opt_list (Cli *cli, const char *name);
gint64 cli_opt_number (Cli *cli, const char *name, gint64 dflt);

/* the domain XML of --domain-xml, or NULL without it (error set on a
 * file that cannot be read or parsed) */
gboolean cli_load_domain (Cli *cli, GError **error);

/* the connection, made on first use */
QuiesceClient *cli_client (Cli *cli, GError **error);
/* the URI cli_client() will use (-c, $QUIESCE_DEFAULT_URI, libvirt's
 * default) is a libvirt one */
gboolean cli_uses_libvirt (Cli *cli);

/* one JSON document on stdout */
void cli_print_json (JsonNode *node);

/* a virsh-style table: a header row, then rows of the same width */
typedef struct _CliTable CliTable;
CliTable *cli_table_new (const char *first, ...) G_GNUC_NULL_TERMINATED;
void cli_table_add (CliTable *table, const char *first, ...) G_GNUC_NULL_TERMINATED;
void cli_table_print (CliTable *table);
void cli_table_free (CliTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliTable, cli_table_free)

/* a warning on stderr that does not change the exit code */
void cli_warning (const char *format, ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
