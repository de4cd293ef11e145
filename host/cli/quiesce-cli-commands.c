/* SPDX-License-Identifier: GPL-2.0-or-later */
/* quiesce(1): the subcommands, declared in one static table with their
 * options (the help and the man page follow it), and their handlers.
 *
 * Every handler sends the agent's commands with quiesce_client_call() and
 * keeps the reply: --json prints the `return` value unchanged, and the
 * text output reads the same reply through the library's result types,
 * which also validate its shape. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "quiesce-cli.h"

/* ---- small helpers ---- */

static JsonNode *
call (Cli *cli, const char *execute, JsonObject *args, GError **error)
{
  QuiesceClient *client = cli_client (cli, error);

  if (client == NULL)
    return NULL;
  return quiesce_client_call (client, execute, args, NULL, error);
}

static gboolean
bad_reply (const char *execute, GError **error)
{
  g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
               "The agent's reply to %s is not of the shape that command returns", execute);
  return FALSE;
}

static gboolean
reply_int (JsonNode *node, const char *execute, gint64 *out, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return bad_reply (execute, error);
  *out = json_node_get_int (node);
  return TRUE;
}

static JsonObject *
reply_object (JsonNode *node, const char *execute, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_reply (execute, error);
      return NULL;
    }
  return json_node_get_object (node);
}

static const char *
member_string (JsonObject *obj, const char *member)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonArray *
member_array (JsonObject *obj, const char *member)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
warn_skipped (const char *const *skipped)
{
  for (guint i = 0; skipped != NULL && skipped[i] != NULL; i++)
    cli_warning ("skipped %s", skipped[i]);
}

static char *
join_strv (const char *const *strv)
{
  if (strv == NULL || strv[0] == NULL)
    return g_strdup ("-");
  return g_strjoinv (", ", (char **) strv);
}

/* the Target column: libvirt target names with --domain-xml (a disk it
 * cannot map is left out, as virsh does), else the guest's device nodes */
static GStrv
disk_targets (Cli *cli, JsonArray *disks)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; disks != NULL && i < json_array_get_length (disks); i++)
    {
      JsonNode *node = json_array_get_element (disks, i);
      JsonObject *disk = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *name = NULL;

      if (disk == NULL)
        continue;
      if (cli->domain != NULL)
        name = quiesce_domain_match_fsinfo_disk (cli->domain, disk);
      else
        name = member_string (disk, "dev");
      if (name != NULL)
        g_strv_builder_add (builder, name);
    }
  return g_strv_builder_end (builder);
}

/* ---- the selection of domfsfreeze and domfsresolve ---- */

/* DISK: a target name of --domain-xml, or KEY:VALUE[,KEY:VALUE...] */
static QuiesceDisk *
resolve_disk (Cli *cli, const char *text, GError **error)
{
  g_autoptr(JsonObject) spec = NULL;
  QuiesceDomainDisk *ddisk; /* owned by the domain */
  g_autoptr(GError) local = NULL;

  if (strchr (text, ':') != NULL)
    spec = quiesce_disk_spec_parse (text, error);
  else if (cli->domain == NULL)
    {
      g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                   "Disk '%s' is a target name, which needs --domain-xml FILE before the "
                   "subcommand; or name the disk explicitly, e.g. --disk dev:/dev/vdb or "
                   "--disk serial:SERIAL",
                   text);
      return NULL;
    }
  else
    {
      ddisk = quiesce_domain_lookup_disk (cli->domain, text, &local);
      if (ddisk == NULL)
        {
          g_set_error (error, local->domain, local->code, "%s (in %s%s%s)", local->message,
                       cli->domain_xml != NULL ? "'" : "",
                       cli->domain_xml != NULL ? cli->domain_xml : "the domain XML from libvirt",
                       cli->domain_xml != NULL ? "'" : "");
          return NULL;
        }
      spec = quiesce_domain_disk_to_spec (ddisk, error);
    }
  if (spec == NULL)
    return NULL;
  return quiesce_disk_new_from_spec (spec, error);
}

static gboolean
add_selection (Cli *cli, JsonObject *args, GError **error)
{
  GPtrArray *mountpoints = cli_opt_list (cli, "mountpoint");
  GPtrArray *disks = cli_opt_list (cli, "disk");
  const char *span = cli_opt_string (cli, "span");

  if (mountpoints != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < mountpoints->len; i++)
        json_array_add_string_element (array, g_ptr_array_index (mountpoints, i));
      json_object_set_array_member (args, "mountpoints", array);
    }
  if (disks != NULL)
    {
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < disks->len; i++)
        {
          g_autoptr(QuiesceDisk) disk = resolve_disk (cli, g_ptr_array_index (disks, i), error);

          if (disk == NULL)
            return FALSE;
          json_array_add_object_element (array, quiesce_disk_to_json (disk));
        }
      json_object_set_array_member (args, "disks", g_steal_pointer (&array));
    }
  if (span != NULL)
    {
      if (strcmp (span, "include") != 0 && strcmp (span, "refuse") != 0)
        {
          g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                       "Option '--span' takes include or refuse, not '%s'", span);
          return FALSE;
        }
      json_object_set_string_member (args, "span", span);
    }
  return TRUE;
}

/* ---- domfsfreeze ---- */

static gboolean
freeze_legacy (Cli *cli, GError **error)
{
  static const char *const not_legacy[] = { "disk", "owner", "timeout", "span", NULL };
  GPtrArray *mountpoints = cli_opt_list (cli, "mountpoint");
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *execute = "guest-fsfreeze-freeze";
  gint64 count;

  for (guint i = 0; not_legacy[i] != NULL; i++)
    if (cli_opt_has (cli, not_legacy[i]))
      {
        g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                     "Option '--%s' does not go with --legacy: the legacy freeze takes "
                     "only mountpoints",
                     not_legacy[i]);
        return FALSE;
      }
  if (mountpoints != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < mountpoints->len; i++)
        json_array_add_string_element (array, g_ptr_array_index (mountpoints, i));
      args = json_object_new ();
      json_object_set_array_member (args, "mountpoints", array);
      execute = "guest-fsfreeze-freeze-list";
    }
  node = call (cli, execute, args, error);
  if (node == NULL || !reply_int (node, execute, &count, error))
    return FALSE;
  if (cli->json)
    cli_print_json (node);
  else
    printf ("Froze %" G_GINT64_FORMAT " filesystem(s)\n", count);
  return TRUE;
}

static gboolean
run_domfsfreeze (Cli *cli, GError **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(QuiesceFreeze) freeze = NULL;
  JsonObject *obj;

  if (cli_opt_has (cli, "legacy"))
    return freeze_legacy (cli, error);

  if (!add_selection (cli, args, error))
    return FALSE;
  if (cli_opt_has (cli, "owner"))
    json_object_set_string_member (args, "owner", cli_opt_string (cli, "owner"));
  if (cli_opt_has (cli, "timeout"))
    json_object_set_int_member (args, "timeout", cli_opt_number (cli, "timeout", 0));

  node = call (cli, "guest-fsfreeze-acquire", args, error);
  if (node == NULL || (obj = reply_object (node, "guest-fsfreeze-acquire", error)) == NULL)
    return FALSE;
  freeze = quiesce_freeze_new_from_acquire_json (obj, error);
  if (freeze == NULL)
    return FALSE;
  if (cli->json)
    {
      cli_print_json (node);
      return TRUE;
    }
  warn_skipped (quiesce_freeze_get_skipped (freeze));
  printf ("Froze %u filesystem(s)\n", quiesce_freeze_get_filesystems (freeze)->len);
  printf ("Handle: %" G_GINT64_FORMAT "\n", quiesce_freeze_get_handle (freeze));
  return TRUE;
}

/* ---- domfsthaw ---- */

/* how many filesystems of the legacy handle no other handle holds, or -1
 * when the agent cannot tell (qemu-ga has no guest-fsfreeze-handles) */
static gint64
legacy_thaw_estimate (Cli *cli)
{
  g_autoptr(JsonNode) list = call (cli, "guest-fsfreeze-handles", NULL, NULL);
  g_autoptr(GHashTable) others = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) handles = g_ptr_array_new_with_free_func (
      (GDestroyNotify) quiesce_handle_unref);
  QuiesceHandle *legacy = NULL;
  JsonArray *array;
  gint64 n = 0;

  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return -1;
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      QuiesceHandle *h = JSON_NODE_HOLDS_OBJECT (e)
                             ? quiesce_handle_new_from_json (json_node_get_object (e), NULL)
                             : NULL;
      const char *const *mps;

      if (h == NULL)
        return -1;
      g_ptr_array_add (handles, h);
      if (quiesce_handle_get_legacy (h))
        {
          legacy = h;
          continue;
        }
      mps = quiesce_handle_get_mountpoints (h);
      for (guint k = 0; mps != NULL && mps[k] != NULL; k++)
        g_hash_table_add (others, (gpointer) mps[k]);
    }
  if (legacy == NULL)
    return 0;
  for (const char *const *mps = quiesce_handle_get_mountpoints (legacy); mps != NULL && *mps != NULL;
       mps++)
    if (!g_hash_table_contains (others, *mps))
      n++;
  return n;
}

static gboolean
run_domfsthaw (Cli *cli, GError **error)
{
  gboolean by_handle = cli_opt_has (cli, "handle");
  gboolean legacy = cli_opt_has (cli, "legacy");
  gboolean all = cli_opt_has (cli, "all");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(QuiesceFreeze) freeze = NULL;
  gint64 handle = 0;
  JsonObject *obj;

  if (by_handle + legacy + all != 1)
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "domfsthaw needs exactly one of --handle H, --legacy, or --all "
                           "--force");
      return FALSE;
    }
  if (cli_opt_has (cli, "force") && !all)
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "Option '--force' goes only with --all");
      return FALSE;
    }
  if (all && !cli_opt_has (cli, "force"))
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "--all thaws what every handle holds, other tools' included: "
                           "confirm it with --force");
      return FALSE;
    }

  if (legacy)
    {
      gint64 count;
      gint64 thawed;

      /* guest-fsfreeze-thaw returns how many filesystems the legacy handle
       * held, as qemu-ga does; what it really thawed is the part that no
       * other handle holds, which the handle list just before tells */
      thawed = legacy_thaw_estimate (cli);
      node = call (cli, "guest-fsfreeze-thaw", NULL, error);
      if (node == NULL || !reply_int (node, "guest-fsfreeze-thaw", &count, error))
        return FALSE;
      if (cli->json)
        cli_print_json (node);
      else
        printf ("Thawed %" G_GINT64_FORMAT " filesystem(s)\n", thawed >= 0 ? MIN (thawed, count) : count);
      return TRUE;
    }

  args = json_object_new ();
  if (by_handle)
    handle = cli_opt_number (cli, "handle", 0);
  json_object_set_int_member (args, "handle", handle);
  if (all)
    json_object_set_boolean_member (args, "force", TRUE);
  node = call (cli, "guest-fsfreeze-release", args, error);
  if (node == NULL || (obj = reply_object (node, "guest-fsfreeze-release", error)) == NULL)
    return FALSE;
  freeze = quiesce_freeze_new_from_release_json (obj, handle, error);
  if (freeze == NULL)
    return FALSE;
  if (cli->json)
    cli_print_json (node);
  else
    printf ("Thawed %d filesystem(s)\n", quiesce_freeze_get_thawed (freeze));
  return TRUE;
}

/* ---- domfsrenew ---- */

static gboolean
run_domfsrenew (Cli *cli, GError **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonObject *obj;
  JsonNode *expires;
  gint64 handle;

  if (!cli_opt_has (cli, "handle"))
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE, "domfsrenew needs --handle H");
      return FALSE;
    }
  handle = cli_opt_number (cli, "handle", 0);
  json_object_set_int_member (args, "handle", handle);
  if (cli_opt_has (cli, "timeout"))
    json_object_set_int_member (args, "timeout", cli_opt_number (cli, "timeout", 0));
  node = call (cli, "guest-fsfreeze-renew", args, error);
  if (node == NULL || (obj = reply_object (node, "guest-fsfreeze-renew", error)) == NULL)
    return FALSE;
  expires = json_object_get_member (obj, "expires-in");
  if (expires == NULL || !JSON_NODE_HOLDS_VALUE (expires) ||
      json_node_get_value_type (expires) != G_TYPE_INT64)
    return bad_reply ("guest-fsfreeze-renew", error);
  if (cli->json)
    cli_print_json (node);
  else
    printf ("Handle %" G_GINT64_FORMAT " expires in %" G_GINT64_FORMAT " s\n", handle,
            json_node_get_int (expires));
  return TRUE;
}

/* ---- domfsstatus ---- */

static char *
format_time (gint64 unix_s)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_s);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

static gboolean
run_domfsstatus (Cli *cli, GError **error)
{
  g_autoptr(JsonNode) status = NULL;
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GPtrArray) handles = g_ptr_array_new_with_free_func (
      (GDestroyNotify) quiesce_handle_unref);
  g_autoptr(CliTable) table = NULL;
  JsonArray *array;

  status = call (cli, "guest-fsfreeze-status", NULL, error);
  if (status == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (status) || json_node_get_value_type (status) != G_TYPE_STRING)
    return bad_reply ("guest-fsfreeze-status", error);
  list = call (cli, "guest-fsfreeze-handles", NULL, error);
  if (list == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (list))
    return bad_reply ("guest-fsfreeze-handles", error);
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      QuiesceHandle *h;

      if (!JSON_NODE_HOLDS_OBJECT (e))
        return bad_reply ("guest-fsfreeze-handles", error);
      h = quiesce_handle_new_from_json (json_node_get_object (e), error);
      if (h == NULL)
        return FALSE;
      g_ptr_array_add (handles, h);
    }

  if (cli->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "status");
      json_builder_add_value (b, json_node_copy (status));
      json_builder_set_member_name (b, "handles");
      json_builder_add_value (b, json_node_copy (list));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      cli_print_json (root);
      return TRUE;
    }

  printf ("Status: %s\n", json_node_get_string (status));
  if (handles->len == 0)
    {
      printf ("No handles are held\n");
      return TRUE;
    }
  table = cli_table_new ("Handle", "Owner", "Legacy", "Created", "Expires in", "Filesystems",
                         NULL);
  for (guint i = 0; i < handles->len; i++)
    {
      QuiesceHandle *h = g_ptr_array_index (handles, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, quiesce_handle_get_id (h));
      g_autofree char *created = format_time (quiesce_handle_get_created (h));
      g_autofree char *expires = quiesce_handle_get_expires_in (h) < 0
                                     ? g_strdup ("never")
                                     : g_strdup_printf ("%" G_GINT64_FORMAT " s",
                                                        quiesce_handle_get_expires_in (h));
      g_autofree char *mps = join_strv (quiesce_handle_get_mountpoints (h));
      const char *owner = quiesce_handle_get_owner (h);

      cli_table_add (table, id, owner != NULL && owner[0] != '\0' ? owner : "-",
                     quiesce_handle_get_legacy (h) ? "yes" : "no", created, expires, mps, NULL);
    }
  cli_table_print (table);
  for (guint i = 0; i < handles->len; i++)
    {
      QuiesceHandle *h = g_ptr_array_index (handles, i);
      const char *const *lost = quiesce_handle_get_lost (h);

      for (guint k = 0; lost != NULL && lost[k] != NULL; k++)
        printf ("Handle %" G_GINT64_FORMAT " lost: %s\n", quiesce_handle_get_id (h), lost[k]);
    }
  return TRUE;
}

/* ---- domfsinfo ---- */

static gboolean
is_nothing_to_freeze (const GError *error)
{
  return g_error_matches (error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_GENERIC) &&
         g_str_has_prefix (error->message, "Nothing to freeze");
}

static gboolean
run_domfsinfo (Cli *cli, GError **error)
{
  g_autoptr(GError) fsinfo_error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonArray) out = json_array_new ();
  JsonArray *entries = NULL;
  const char *disks_member = "disk";

  node = call (cli, "guest-get-fsinfo", NULL, &fsinfo_error);
  if (node == NULL &&
      g_error_matches (fsinfo_error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_COMMAND_NOT_FOUND))
    {
      /* an agent without guest-get-fsinfo (quiesce-agent before it had
       * one): what a freeze of everything would take is the freezable
       * part of the same table */
      g_autoptr(GError) resolve_error = NULL;

      node = call (cli, "guest-fsfreeze-resolve", NULL, &resolve_error);
      if (node == NULL && is_nothing_to_freeze (resolve_error))
        entries = NULL;
      else if (node == NULL)
        {
          /* qemu-ga while frozen, say: its own error says more */
          g_propagate_error (error, g_steal_pointer (&fsinfo_error));
          return FALSE;
        }
      else
        {
          JsonObject *obj = reply_object (node, "guest-fsfreeze-resolve", error);

          if (obj == NULL)
            return FALSE;
          entries = member_array (obj, "filesystems");
          if (entries == NULL)
            return bad_reply ("guest-fsfreeze-resolve", error);
          disks_member = "disks";
        }
    }
  else if (node == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&fsinfo_error));
      return FALSE;
    }
  else if (!JSON_NODE_HOLDS_ARRAY (node))
    return bad_reply ("guest-get-fsinfo", error);
  else
    entries = json_node_get_array (node);

  /* both replies come in reverse mount order; show mount order, as virsh */
  for (guint n = entries != NULL ? json_array_get_length (entries) : 0; n > 0; n--)
    {
      JsonNode *e = json_array_get_element (entries, n - 1);
      JsonObject *fs = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      JsonArray *disks = member_array (fs, disks_member);
      g_auto(GStrv) targets = NULL;
      JsonObject *row;
      JsonArray *targets_json = json_array_new ();

      if (fs == NULL || member_string (fs, "mountpoint") == NULL)
        {
          json_array_unref (targets_json);
          return bad_reply ("guest-get-fsinfo", error);
        }
      targets = disk_targets (cli, disks);
      for (guint k = 0; targets[k] != NULL; k++)
        json_array_add_string_element (targets_json, targets[k]);
      row = json_object_new ();
      json_object_set_string_member (row, "mountpoint", member_string (fs, "mountpoint"));
      json_object_set_string_member (row, "name", member_string (fs, "name"));
      json_object_set_string_member (row, "type", member_string (fs, "type"));
      json_object_set_array_member (row, "target", targets_json);
      json_object_set_array_member (row, "disks",
                                    disks != NULL ? json_array_ref (disks) : json_array_new ());
      json_array_add_object_element (out, row);
    }

  if (cli->json)
    {
      g_autoptr(JsonNode) root = json_node_init_array (json_node_alloc (), out);

      cli_print_json (root);
      return TRUE;
    }
  if (json_array_get_length (out) == 0)
    {
      printf ("No filesystems are mounted in the domain\n");
      return TRUE;
    }
  {
    g_autoptr(CliTable) table = cli_table_new ("Mountpoint", "Name", "Type", "Target", NULL);

    for (guint i = 0; i < json_array_get_length (out); i++)
      {
        JsonObject *row = json_array_get_object_element (out, i);
        JsonArray *t = member_array (row, "target");
        g_autoptr(GString) target = g_string_new (NULL);

        for (guint k = 0; k < json_array_get_length (t); k++)
          g_string_append_printf (target, "%s%s", k > 0 ? "," : "",
                                  json_array_get_string_element (t, k));
        cli_table_add (table, member_string (row, "mountpoint"),
                       member_string (row, "name") != NULL ? member_string (row, "name") : "",
                       member_string (row, "type") != NULL ? member_string (row, "type") : "",
                       target->str, NULL);
      }
    cli_table_print (table);
  }
  return TRUE;
}

/* ---- domfsresolve ---- */

static gboolean
run_domfsresolve (Cli *cli, GError **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(CliTable) table = NULL;
  g_auto(GStrv) skipped = NULL;
  JsonObject *obj;
  JsonArray *fss;

  if (!add_selection (cli, args, error))
    return FALSE;
  node = call (cli, "guest-fsfreeze-resolve", args, error);
  if (node == NULL || (obj = reply_object (node, "guest-fsfreeze-resolve", error)) == NULL)
    return FALSE;
  fss = member_array (obj, "filesystems");
  if (fss == NULL)
    return bad_reply ("guest-fsfreeze-resolve", error);
  if (cli->json)
    {
      cli_print_json (node);
      return TRUE;
    }
  if (json_object_has_member (obj, "skipped"))
    {
      JsonArray *s = member_array (obj, "skipped");
      g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

      for (guint i = 0; s != NULL && i < json_array_get_length (s); i++)
        {
          const char *text = json_array_get_string_element (s, i);
          if (text != NULL)
            g_strv_builder_add (b, text);
        }
      skipped = g_strv_builder_end (b);
      warn_skipped ((const char *const *) skipped);
    }
  table = cli_table_new ("Mountpoint", "Name", "Type", "Refs", "Target", "Spans", NULL);
  for (guint i = 0; i < json_array_get_length (fss); i++)
    {
      JsonNode *e = json_array_get_element (fss, i);
      g_autoptr(QuiesceFilesystem) fs = NULL;
      g_autoptr(JsonObject) fsobj = NULL;
      g_autofree char *refs = NULL;
      g_autofree char *target = NULL;
      g_autofree char *spans = NULL;
      g_auto(GStrv) targets = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (e))
        return bad_reply ("guest-fsfreeze-resolve", error);
      fs = quiesce_filesystem_new_from_json (json_node_get_object (e), error);
      if (fs == NULL)
        return FALSE;
      targets = disk_targets (cli, member_array (json_node_get_object (e), "disks"));
      target = g_strjoinv (",", targets);
      refs = g_strdup_printf ("%d", quiesce_filesystem_get_refs (fs));
      spans = join_strv (quiesce_filesystem_get_spans (fs));
      cli_table_add (table, quiesce_filesystem_get_mountpoint (fs),
                     quiesce_filesystem_get_name (fs) != NULL ? quiesce_filesystem_get_name (fs)
                                                              : "",
                     quiesce_filesystem_get_fs_type (fs) != NULL
                         ? quiesce_filesystem_get_fs_type (fs)
                         : "",
                     refs, target, spans, NULL);
    }
  if (json_array_get_length (fss) == 0)
    printf ("No filesystems are selected\n");
  else
    cli_table_print (table);
  return TRUE;
}

/* ---- domping, domagentinfo ---- */

static gboolean
run_domping (Cli *cli, GError **error)
{
  g_autoptr(JsonNode) node = call (cli, "guest-ping", NULL, error);

  if (node == NULL)
    return FALSE;
  if (cli->json)
    cli_print_json (node);
  else
    printf ("The agent of '%s' is responding\n", cli->domain_name);
  return TRUE;
}

static gboolean
run_domagentinfo (Cli *cli, GError **error)
{
  g_autoptr(JsonNode) node = call (cli, "guest-info", NULL, error);
  g_autoptr(CliTable) table = NULL;
  JsonObject *obj;
  JsonArray *commands;

  if (node == NULL || (obj = reply_object (node, "guest-info", error)) == NULL)
    return FALSE;
  commands = member_array (obj, "supported_commands");
  if (member_string (obj, "version") == NULL || commands == NULL)
    return bad_reply ("guest-info", error);
  if (cli->json)
    {
      cli_print_json (node);
      return TRUE;
    }
  printf ("Version: %s\n", member_string (obj, "version"));
  table = cli_table_new ("Command", "Enabled", NULL);
  for (guint i = 0; i < json_array_get_length (commands); i++)
    {
      JsonNode *e = json_array_get_element (commands, i);
      JsonObject *c = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      const char *name = member_string (c, "name");

      if (name == NULL)
        return bad_reply ("guest-info", error);
      cli_table_add (table, name,
                     json_object_get_boolean_member_with_default (c, "enabled", TRUE) ? "yes"
                                                                                       : "no",
                     NULL);
    }
  cli_table_print (table);
  return TRUE;
}

/* ---- lease-list ---- */

/* "42s", "3m05s", "2h07m", "4d03h" */
static char *
format_age (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds < 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT "s", seconds);
  if (seconds < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT "m%02" G_GINT64_FORMAT "s", seconds / 60,
                            seconds % 60);
  if (seconds < 86400)
    return g_strdup_printf ("%" G_GINT64_FORMAT "h%02" G_GINT64_FORMAT "m", seconds / 3600,
                            seconds % 3600 / 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT "d%02" G_GINT64_FORMAT "h", seconds / 86400,
                          seconds % 86400 / 3600);
}

static void
set_string_or_null (JsonObject *obj, const char *member, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (obj, member, value);
  else
    json_object_set_null_member (obj, member);
}

static gboolean
run_lease_list (Cli *cli, GError **error)
{
  const char *dir = cli_opt_string (cli, "lease-dir");
  g_autoptr(QuiesceLeaseManager) manager = NULL;
  g_autoptr(GPtrArray) leases = NULL;
  g_autoptr(CliTable) table = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (dir != NULL && cli->domain_name != NULL)
    {
      g_set_error (error, CLI_ERROR, CLI_ERROR_USAGE,
                   "Give the lockspace once: --lease-dir '%s' or '%s'", dir, cli->domain_name);
      return FALSE;
    }
  if (dir == NULL)
    dir = cli->domain_name;
  if (dir == NULL)
    {
      g_set_error_literal (error, CLI_ERROR, CLI_ERROR_USAGE,
                           "lease-list needs the lockspace directory: --lease-dir DIR or DIR");
      return FALSE;
    }
  manager = quiesce_lease_manager_new ("lockd", dir, error);
  if (manager == NULL)
    return FALSE;
  leases = quiesce_lease_manager_list (manager, error);
  if (leases == NULL)
    return FALSE;

  if (cli->json)
    {
      g_autoptr(JsonArray) out = json_array_new ();
      g_autoptr(JsonNode) root = NULL;

      for (guint i = 0; i < leases->len; i++)
        {
          QuiesceLeaseInfo *info = g_ptr_array_index (leases, i);
          JsonObject *row = json_object_new ();
          gint64 since = quiesce_lease_info_get_since (info);

          set_string_or_null (row, "image", quiesce_lease_info_get_image (info));
          json_object_set_string_member (row, "mode", quiesce_lease_info_get_mode (info));
          set_string_or_null (row, "host", quiesce_lease_info_get_host (info));
          if (quiesce_lease_info_get_pid (info) > 0)
            json_object_set_int_member (row, "pid", quiesce_lease_info_get_pid (info));
          else
            json_object_set_null_member (row, "pid");
          set_string_or_null (row, "owner", quiesce_lease_info_get_owner (info));
          if (since > 0)
            json_object_set_int_member (row, "since", since);
          else
            json_object_set_null_member (row, "since");
          json_object_set_string_member (row, "lease-file", quiesce_lease_info_get_path (info));
          json_array_add_object_element (out, row);
        }
      root = json_node_init_array (json_node_alloc (), out);
      cli_print_json (root);
      return TRUE;
    }
  if (leases->len == 0)
    {
      printf ("No leases in '%s'\n", dir);
      return TRUE;
    }
  table = cli_table_new ("Image", "Mode", "Holder", "Age", NULL);
  for (guint i = 0; i < leases->len; i++)
    {
      QuiesceLeaseInfo *info = g_ptr_array_index (leases, i);
      const char *mode = quiesce_lease_info_get_mode (info);
      gboolean held = g_strcmp0 (mode, "free") != 0;
      g_autofree char *holder = NULL;
      g_autofree char *age = NULL;

      /* a free lease's text names its last holder, who no longer holds it */
      if (held && quiesce_lease_info_get_host (info) != NULL)
        holder = g_strdup_printf ("%s pid %" G_GINT64_FORMAT " owner %s",
                                  quiesce_lease_info_get_host (info),
                                  quiesce_lease_info_get_pid (info),
                                  quiesce_lease_info_get_owner (info) != NULL
                                      ? quiesce_lease_info_get_owner (info)
                                      : "-");
      if (held && quiesce_lease_info_get_host (info) != NULL &&
          quiesce_lease_info_get_since (info) > 0)
        age = format_age (now - quiesce_lease_info_get_since (info));
      cli_table_add (table,
                     quiesce_lease_info_get_image (info) != NULL
                         ? quiesce_lease_info_get_image (info)
                         : quiesce_lease_info_get_path (info),
                     mode, holder != NULL ? holder : (held ? "?" : "-"), age != NULL ? age : "-",
                     NULL);
    }
  cli_table_print (table);
  return TRUE;
}

/* ---- the tables ---- */

#define SELECTION_OPTIONS                                                                          \
  { "disk", CLI_OPT_LIST, "DISK", 0, 0,                                                            \
    "a disk whose filesystems are selected: a target name of --domain-xml (vda), or "              \
    "KEY:VALUE[,KEY:VALUE...] with keys serial, wwn, dev and pci (DDDD:BB:SS.F), e.g. "            \
    "dev:/dev/vdb; repeatable" },                                                                  \
  { "mountpoint", CLI_OPT_LIST, "MP", 0, 0,                                                        \
    "a mountpoint in the guest; repeatable" },                                                     \
  { "span", CLI_OPT_STRING, "include|refuse", 0, 0,                                                \
    "a filesystem selected through a disk that also lies on other disks: include it "              \
    "(default) or refuse the request" }

static const CliOption domfsfreeze_options[] = {
  SELECTION_OPTIONS,
  { "timeout", CLI_OPT_NUMBER, "SECONDS", 1, G_MAXINT,
    "the handle's deadline, after which the agent thaws by itself (agent default 60)" },
  { "owner", CLI_OPT_STRING, "TAG", 0, 0, "a label shown by domfsstatus" },
  { "legacy", CLI_OPT_BOOL, NULL, 0, 0,
    "use qemu-ga's guest-fsfreeze-freeze(-list) under the single legacy handle, as virsh "
    "domfsfreeze does; takes only --mountpoint" },
  { NULL },
};

static const CliOption domfsthaw_options[] = {
  { "handle", CLI_OPT_NUMBER, "H", 1, G_MAXINT64, "release this handle" },
  { "legacy", CLI_OPT_BOOL, NULL, 0, 0,
    "release the legacy handle (qemu-ga's guest-fsfreeze-thaw, as virsh domfsthaw)" },
  { "all", CLI_OPT_BOOL, NULL, 0, 0, "release every handle; needs --force" },
  { "force", CLI_OPT_BOOL, NULL, 0, 0, "confirm --all" },
  { NULL },
};

static const CliOption domfsrenew_options[] = {
  { "handle", CLI_OPT_NUMBER, "H", 1, G_MAXINT64, "the handle to renew (required)" },
  { "timeout", CLI_OPT_NUMBER, "SECONDS", 1, G_MAXINT,
    "the new deadline, from now (agent default 60)" },
  { NULL },
};

static const CliOption domfsresolve_options[] = {
  SELECTION_OPTIONS,
  { NULL },
};

static const CliOption lease_list_options[] = {
  { "lease-dir", CLI_OPT_STRING, "DIR", 0, 0,
    "the lockd lockspace directory (or give DIR as the operand)" },
  { NULL },
};

static const CliOption snapshot_create_options[] = {
  { "disk", CLI_OPT_LIST, "DISK[=IMAGE]", 0, 0,
    "a disk to freeze and whose image to lease: a target name of --domain-xml (vda), or "
    "KEY:VALUE[,KEY:VALUE...] (e.g. dev:/dev/vdb); =IMAGE is its image file on the host, "
    "else the <source> of the domain XML; repeatable" },
  { "lease", CLI_OPT_STRING, "nop|lockd|sanlock", 0, 0,
    "the lease manager (default lockd with --lease-dir, else nop)" },
  { "lease-dir", CLI_OPT_STRING, "DIR", 0, 0, "the lockspace directory of lockd" },
  { "lease-wait", CLI_OPT_NUMBER, "SECONDS", 0, 86400,
    "wait this long for a lease another holds (default 0: fail at once, naming the holder)" },
  { "timeout", CLI_OPT_NUMBER, "SECONDS", 1, G_MAXINT,
    "the handle's deadline, renewed while the action runs (default 60)" },
  { "libvirt-snapshot", CLI_OPT_STRING, "NAME", 0, 0,
    "the action, instead of -- COMMAND: a libvirt external disk-only snapshot NAME of "
    "exactly the --disk disks, without libvirt's own quiesce (needs a libvirt URI)" },
  { NULL },
};

static const CliOption no_options[] = {
  { NULL },
};

const CliCommand cli_commands[] = {
  { "domfsfreeze", "Freeze filesystems under a new handle",
    "Freezes the selected filesystems (all freezable ones without --disk or --mountpoint) "
    "under a new handle with a deadline, and prints 'Froze N filesystem(s)', N being what "
    "the handle holds, then 'Handle: H'. Other handles and the legacy freeze keep their "
    "own filesystems: the agent counts references per filesystem.",
    "With --legacy it prints only 'Froze N filesystem(s)', as virsh does.",
    domfsfreeze_options, run_domfsfreeze },
  { "domfsthaw", "Release a handle, thawing what no other handle holds",
    "Releases one handle (--handle), the legacy handle (--legacy), or every handle (--all "
    "--force), and prints 'Thawed N filesystem(s)', N being how many filesystems were "
    "really thawed; filesystems that other handles still hold stay frozen.",
    NULL, domfsthaw_options, run_domfsthaw },
  { "domfsrenew", "Move a handle's deadline",
    "Sets the deadline of a handle to --timeout seconds from now and prints when it "
    "expires.",
    NULL, domfsrenew_options, run_domfsrenew },
  { "domfsstatus", "Show whether anything is frozen, and the handles",
    "Prints the agent's freeze status (frozen or thawed) and the table of live handles: "
    "number, owner, whether it is the legacy handle, creation time (UTC), time left, and "
    "the filesystems each holds.",
    NULL, no_options, run_domfsstatus },
  { "domfsinfo", "List the guest's filesystems and their disks",
    "Prints virsh's table of Mountpoint, Name, Type and Target, where Target lists the "
    "libvirt disk names (with --domain-xml) or else the guest's device nodes.",
    "An agent without guest-get-fsinfo (older quiesce-agent builds) gets "
    "guest-fsfreeze-resolve instead, which lists only the filesystems it may freeze.",
    no_options, run_domfsinfo },
  { "domfsresolve", "Show what a freeze would take, freezing nothing",
    "Prints the filesystems that domfsfreeze with the same selection would freeze, in "
    "freeze order, with how many handles hold each now and the disks outside the request "
    "that they also lie on (Spans).",
    NULL, domfsresolve_options, run_domfsresolve },
  { "domping", "Check that the agent answers",
    "Sends guest-ping and reports that the agent is responding.", NULL, no_options,
    run_domping },
  { "domagentinfo", "Show the agent's version and commands",
    "Prints the agent's version and each command it supports, with whether it is enabled "
    "now (the legacy freezes are disabled while the legacy handle is held).",
    NULL, no_options, run_domagentinfo },
  { "lease-list", "Show the leases of a lockd lockspace",
    "Prints every lease file of the lockspace DIR: the image, whether it is held now "
    "(exclusive, shared or free, as the kernel says), the holder (host, pid and owner tag "
    "written by the holder) and how long it has been held. A lease whose holder died is "
    "free: the kernel drops the lock with the process. Takes no DOMAIN.",
    NULL, lease_list_options, run_lease_list, "DIR" },
  { "snapshot-create", "Freeze disks, run a snapshot command, thaw; journaled",
    "Resolves the disks and their images, takes exclusive leases on the images, freezes "
    "the disks' filesystems under a handle owned by the run id, renews it while COMMAND "
    "runs (with QUIESCE_DOMAIN, QUIESCE_HANDLE, QUIESCE_DISKS, QUIESCE_IMAGES and "
    "QUIESCE_MOUNTPOINTS in its environment), then releases the handle and the leases. "
    "Each step is journaled in the state directory and shown on stderr with its time. The "
    "thaw always happens, also when COMMAND fails (exit 11) or on SIGINT/SIGTERM. A handle "
    "that expired or was lost during COMMAND makes the run suspect (exit 6).",
    "The action follows '--': snapshot-create DOMAIN --disk DISK[=IMAGE]... -- COMMAND "
    "[ARGS...]; or, through libvirt, --libvirt-snapshot NAME instead. A lease held by "
    "another is exit 7, naming the holder.",
    snapshot_create_options, cli_run_snapshot_create, NULL, TRUE },
  { "snapshot-recover", "Finish snapshot runs whose process died",
    "Reads the unfinished journals of the state directory (of DOMAIN only, if given), "
    "releases the agent handles owned by their run ids, notes what became of their leases, "
    "marks each journal finished and reports each run: completed, rolled back or suspect "
    "(exit 6 if any is). Runs whose process still lives are left alone.",
    NULL, no_options, cli_run_snapshot_recover, "DOMAIN" },
  { NULL },
};
