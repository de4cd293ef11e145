/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the command table, and the commands that only talk about the agent */
#include "config.h"

#include "qa-cmd-freeze.h"
#include "qa-cmd-info.h"
#include "qa-dispatch.h"
#include "qw-error.h"

#include <string.h>

#define MAX_OWNER 256
/* --max-entries is checked by the handlers; this only bounds the type check */
#define QA_HARD_MAX_ENTRIES 1000000

static void
cmd_sync (QaCall *call, JsonObject *args)
{
  qa_call_return (call, json_node_copy (json_object_get_member (args, "id")));
}

static void
cmd_sync_delimited (QaCall *call, JsonObject *args)
{
  qa_call_set_delimit (call);
  cmd_sync (call, args);
}

static void
cmd_ping (QaCall *call, JsonObject *args)
{
  qa_call_return (call, NULL);
}

static void
cmd_info (QaCall *call, JsonObject *args)
{
  QaContext *ctx = qa_call_context (call);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  gsize n = 0;
  const QaCommand *cmds = qa_commands (&n);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, ctx->version);
  json_builder_set_member_name (b, "supported_commands");
  json_builder_begin_array (b);
  for (gsize i = 0; i < n; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, cmds[i].name);
      json_builder_set_member_name (b, "enabled");
      json_builder_add_boolean_value (b, qa_command_enabled (ctx, &cmds[i]));
      json_builder_set_member_name (b, "success-response");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  qa_call_return (call, json_builder_get_root (b));
}

/* ---- argument specs --------------------------------------------------- */

static const QwArgSpec args_none[] = { { NULL } };

static const QwArgSpec args_sync[] = {
  { "id", QW_ARG_INT, FALSE },
  { NULL },
};

static const QwArgSpec args_pci[] = {
  { "domain", QW_ARG_INT, FALSE },
  { "bus", QW_ARG_INT, FALSE },
  { "slot", QW_ARG_INT, FALSE },
  { "function", QW_ARG_INT, FALSE },
  { NULL },
};

/* DiskSpec: any GuestDiskAddress field, plus wwn and name */
static const QwArgSpec args_disk_spec[] = {
  { "pci-controller", QW_ARG_OBJECT, TRUE, .members = args_pci },
  { "bus-type", QW_ARG_STR, TRUE, .max_len = 64 },
  { "bus", QW_ARG_INT, TRUE },
  { "target", QW_ARG_INT, TRUE },
  { "unit", QW_ARG_INT, TRUE },
  { "serial", QW_ARG_STR, TRUE, .max_len = 256 },
  { "dev", QW_ARG_STR, TRUE, .max_len = 4096 },
  { "wwn", QW_ARG_STR, TRUE, .max_len = 256 },
  { "name", QW_ARG_STR, TRUE, .max_len = 256 },
  { NULL },
};

static const QwArgSpec args_freeze_list[] = {
  { "mountpoints", QW_ARG_STR_ARRAY, TRUE, .max_len = QA_HARD_MAX_ENTRIES },
  { NULL },
};

static const QwArgSpec args_acquire[] = {
  { "disks", QW_ARG_OBJECT_ARRAY, TRUE, .max_len = QA_HARD_MAX_ENTRIES, .members = args_disk_spec },
  { "mountpoints", QW_ARG_STR_ARRAY, TRUE, .max_len = QA_HARD_MAX_ENTRIES },
  { "owner", QW_ARG_STR, TRUE, .max_len = MAX_OWNER },
  { "timeout", QW_ARG_INT, TRUE, .min = 1, .max = G_MAXINT64 },
  { "span", QW_ARG_STR, TRUE, .max_len = 16 },
  { NULL },
};

static const QwArgSpec args_release[] = {
  { "handle", QW_ARG_INT, FALSE, .min = 0, .max = G_MAXINT64 },
  { "force", QW_ARG_BOOL, TRUE },
  { NULL },
};

static const QwArgSpec args_renew[] = {
  { "handle", QW_ARG_INT, FALSE, .min = 1, .max = G_MAXINT64 },
  { "timeout", QW_ARG_INT, TRUE, .min = 1, .max = G_MAXINT64 },
  { NULL },
};

static const QwArgSpec args_resolve[] = {
  { "disks", QW_ARG_OBJECT_ARRAY, TRUE, .max_len = QA_HARD_MAX_ENTRIES, .members = args_disk_spec },
  { "mountpoints", QW_ARG_STR_ARRAY, TRUE, .max_len = QA_HARD_MAX_ENTRIES },
  { "span", QW_ARG_STR, TRUE, .max_len = 16 },
  { NULL },
};

/* sorted by name: guest-info lists them in this order */
static const QaCommand commands[] = {
  { "guest-fsfreeze-acquire", qa_cmd_fsfreeze_acquire, args_acquire, QA_CMD_NONE,
    "freeze filesystems under a new handle" },
  { "guest-fsfreeze-freeze", qa_cmd_fsfreeze_freeze, args_none, QA_CMD_LEGACY_FREEZE,
    "qemu-ga: freeze every freezable filesystem (the legacy handle)" },
  { "guest-fsfreeze-freeze-list", qa_cmd_fsfreeze_freeze_list, args_freeze_list,
    QA_CMD_LEGACY_FREEZE, "qemu-ga: freeze the listed mountpoints (the legacy handle)" },
  { "guest-fsfreeze-handles", qa_cmd_fsfreeze_handles, args_none, QA_CMD_NONE,
    "list the live handles" },
  { "guest-fsfreeze-release", qa_cmd_fsfreeze_release, args_release, QA_CMD_NONE,
    "release a handle, thawing what no other handle holds" },
  { "guest-fsfreeze-renew", qa_cmd_fsfreeze_renew, args_renew, QA_CMD_NONE,
    "move a handle's deadline" },
  { "guest-fsfreeze-resolve", qa_cmd_fsfreeze_resolve, args_resolve, QA_CMD_NONE,
    "show what an acquire would freeze, freezing nothing" },
  { "guest-fsfreeze-status", qa_cmd_fsfreeze_status, args_none, QA_CMD_NONE,
    "qemu-ga: \"frozen\" while any handle holds any filesystem" },
  { "guest-fsfreeze-thaw", qa_cmd_fsfreeze_thaw, args_none, QA_CMD_NONE,
    "qemu-ga: release the legacy handle" },
  { "guest-get-disks", qa_cmd_get_disks, args_none, QA_CMD_NONE,
    "every block device, its partitions, dependencies and address" },
  { "guest-get-fsinfo", qa_cmd_get_fsinfo, args_none, QA_CMD_NONE,
    "mounted filesystems with sizes and every disk beneath each" },
  { "guest-info", cmd_info, args_none, QA_CMD_NONE, "version and supported commands" },
  { "guest-ping", cmd_ping, args_none, QA_CMD_NONE, "check that the agent answers" },
  { "guest-sync", cmd_sync, args_sync, QA_CMD_NONE, "echo an id, to resynchronise" },
  { "guest-sync-delimited", cmd_sync_delimited, args_sync, QA_CMD_NONE,
    "echo an id after a 0xFF byte, to resynchronise" },
};

const QaCommand *
qa_commands (gsize *n)
{
  *n = G_N_ELEMENTS (commands);
  return commands;
}

const QaCommand *
qa_command_lookup (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}
