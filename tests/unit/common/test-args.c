/* SPDX-License-Identifier: GPL-2.0-or-later */
/* argument checking against declared tables, with qemu-ga's texts */

#include <json-glib/json-glib.h>
#include <string.h>

#include "qw-args.h"
#include "qw-error.h"
#include "test-util.h"

static const QwArgSpec pci_members[] = {
  { "domain", QW_ARG_INT },
  { "bus", QW_ARG_INT },
  { NULL },
};

static const QwArgSpec disk_members[] = {
  { "serial", QW_ARG_STR, TRUE },
  { "bus", QW_ARG_INT, TRUE, .min = 0, .max = 255 },
  { "dev", QW_ARG_STR, TRUE, .max_len = 16 },
  { "pci-controller", QW_ARG_OBJECT, TRUE, .members = pci_members },
  { NULL },
};

/* shaped like guest-fsfreeze-acquire, with small limits */
static const QwArgSpec acquire_spec[] = {
  { "disks", QW_ARG_OBJECT_ARRAY, TRUE, .max_len = 4, .members = disk_members },
  { "mountpoints", QW_ARG_STR_ARRAY, TRUE, .max_len = 3 },
  { "owner", QW_ARG_STR, TRUE, .max_len = 8 },
  { "timeout", QW_ARG_INT, TRUE, .min = 1, .max = 3600 },
  { "force", QW_ARG_BOOL, TRUE },
  { "extra", QW_ARG_ANY, TRUE },
  { "opts", QW_ARG_OBJECT, TRUE },
  { NULL },
};

/* shaped like guest-sync */
static const QwArgSpec sync_spec[] = {
  { "id", QW_ARG_INT },
  { NULL },
};

/* guest-ping takes nothing */
static const QwArgSpec ping_spec[] = {
  { NULL },
};

/* every type, required, default limits */
static const QwArgSpec required_spec[] = {
  { "handle", QW_ARG_INT, FALSE, .min = G_MININT64, .max = G_MAXINT64 },
  { "name", QW_ARG_STR },
  { "flag", QW_ARG_BOOL },
  { "obj", QW_ARG_OBJECT, .members = pci_members },
  { "list", QW_ARG_STR_ARRAY },
  { "objs", QW_ARG_OBJECT_ARRAY, .members = pci_members },
  { "any", QW_ARG_ANY },
  { NULL },
};

#define REQUIRED_OK \
  "\"handle\":1,\"name\":\"n\",\"flag\":false,\"obj\":{\"domain\":0,\"bus\":0},\"list\":[]," \
  "\"objs\":[],\"any\":0"

typedef struct
{
  const QwArgSpec *spec;
  const char *args; /* JSON object, or NULL for no arguments */
  const char *desc; /* NULL when the arguments fit */
} ArgsCase;

static const ArgsCase args_cases[] = {
  /* missing, unexpected, wrong type (REFERENCE.md) */
  { sync_spec, NULL, "Parameter 'id' is missing" },
  { sync_spec, "{}", "Parameter 'id' is missing" },
  { sync_spec, "{\"id\":1}", NULL },
  { sync_spec, "{\"id\":-9223372036854775808}", NULL },
  { sync_spec, "{\"id\":1,\"bogus\":1}", "Parameter 'bogus' is unexpected" },
  { sync_spec, "{\"bogus\":1}", "Parameter 'bogus' is unexpected" },
  { sync_spec, "{\"b\":1,\"a\":1,\"id\":1}", "Parameter 'b' is unexpected" },
  { sync_spec, "{\"id\":\"1\"}", "Invalid parameter type for 'id', expected: integer" },
  { sync_spec, "{\"id\":1.0}", "Invalid parameter type for 'id', expected: integer" },
  { sync_spec, "{\"id\":1e2}", "Invalid parameter type for 'id', expected: integer" },
  { sync_spec, "{\"id\":true}", "Invalid parameter type for 'id', expected: integer" },
  { sync_spec, "{\"id\":null}", "Invalid parameter type for 'id', expected: integer" },
  { sync_spec, "{\"id\":[1]}", "Invalid parameter type for 'id', expected: integer" },
  { ping_spec, NULL, NULL },
  { ping_spec, "{}", NULL },
  { ping_spec, "{\"bogus\":1}", "Parameter 'bogus' is unexpected" },
  { acquire_spec, NULL, NULL },
  { acquire_spec, "{\"mountpoints\":\"notalist\"}", "Invalid parameter type for 'mountpoints', expected: array" },
  { acquire_spec, "{\"force\":1}", "Invalid parameter type for 'force', expected: boolean" },
  { acquire_spec, "{\"force\":\"true\"}", "Invalid parameter type for 'force', expected: boolean" },
  { acquire_spec, "{\"force\":true}", NULL },
  { acquire_spec, "{\"owner\":[]}", "Invalid parameter type for 'owner', expected: string" },
  { acquire_spec, "{\"opts\":1}", "Invalid parameter type for 'opts', expected: object" },
  { acquire_spec, "{\"opts\":{\"anything\":[1]}}", NULL },
  /* null stands for an absent optional argument */
  { acquire_spec, "{\"timeout\":null,\"owner\":null,\"force\":null,\"disks\":null,\"mountpoints\":null,"
                  "\"opts\":null,\"extra\":null}", NULL },
  /* int ranges */
  { acquire_spec, "{\"timeout\":0}", "Parameter 'timeout' is out of range (1..3600)" },
  { acquire_spec, "{\"timeout\":-5}", "Parameter 'timeout' is out of range (1..3600)" },
  { acquire_spec, "{\"timeout\":3601}", "Parameter 'timeout' is out of range (1..3600)" },
  { acquire_spec, "{\"timeout\":1}", NULL },
  { acquire_spec, "{\"timeout\":3600}", NULL },
  { acquire_spec, "{\"timeout\":9223372036854775807}", "Parameter 'timeout' is out of range (1..3600)" },
  /* string lengths are bytes */
  { acquire_spec, "{\"owner\":\"12345678\"}", NULL },
  { acquire_spec, "{\"owner\":\"123456789\"}", "Parameter 'owner' is longer than 8 bytes" },
  { acquire_spec, "{\"owner\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", NULL },
  { acquire_spec, "{\"owner\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x\"}", "Parameter 'owner' is longer than 8 bytes" },
  /* string arrays */
  { acquire_spec, "{\"mountpoints\":[]}", NULL },
  { acquire_spec, "{\"mountpoints\":[\"/a\",\"/b\",\"/c\"]}", NULL },
  { acquire_spec, "{\"mountpoints\":[\"/a\",\"/b\",\"/c\",\"/d\"]}", "Parameter 'mountpoints' has more than 3 entries" },
  { acquire_spec, "{\"mountpoints\":[\"/a\",1]}", "Invalid parameter type for 'mountpoints[1]', expected: string" },
  { acquire_spec, "{\"mountpoints\":[null]}", "Invalid parameter type for 'mountpoints[0]', expected: string" },
  { acquire_spec, "{\"mountpoints\":[[\"/a\"]]}", "Invalid parameter type for 'mountpoints[0]', expected: string" },
  /* object arrays and nested names */
  { acquire_spec, "{\"disks\":{}}", "Invalid parameter type for 'disks', expected: array" },
  { acquire_spec, "{\"disks\":[1]}", "Invalid parameter type for 'disks[0]', expected: object" },
  { acquire_spec, "{\"disks\":[{\"serial\":\"A\"},null]}", "Invalid parameter type for 'disks[1]', expected: object" },
  { acquire_spec, "{\"disks\":[{\"serial\":\"A\"},{\"bogus\":1}]}", "Parameter 'disks[1].bogus' is unexpected" },
  { acquire_spec, "{\"disks\":[{\"serial\":5}]}", "Invalid parameter type for 'disks[0].serial', expected: string" },
  { acquire_spec, "{\"disks\":[{\"serial\":null,\"bus\":null}]}", NULL },
  { acquire_spec, "{\"disks\":[{\"bus\":256}]}", "Parameter 'disks[0].bus' is out of range (0..255)" },
  { acquire_spec, "{\"disks\":[{\"bus\":255,\"dev\":\"/dev/vda\"}]}", NULL },
  { acquire_spec, "{\"disks\":[{\"dev\":\"/dev/disk/by-id/x\"}]}", "Parameter 'disks[0].dev' is longer than 16 bytes" },
  { acquire_spec, "{\"disks\":[{\"pci-controller\":{\"domain\":0}}]}", "Parameter 'disks[0].pci-controller.bus' is missing" },
  { acquire_spec, "{\"disks\":[{\"pci-controller\":{\"domain\":0,\"bus\":\"x\"}}]}",
    "Invalid parameter type for 'disks[0].pci-controller.bus', expected: integer" },
  { acquire_spec, "{\"disks\":[{\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":1}}]}",
    "Parameter 'disks[0].pci-controller.slot' is unexpected" },
  { acquire_spec, "{\"disks\":[{\"pci-controller\":[]}]}", "Invalid parameter type for 'disks[0].pci-controller', expected: object" },
  { acquire_spec, "{\"disks\":[{},{},{},{}]}", NULL },
  { acquire_spec, "{\"disks\":[{},{},{},{},{}]}", "Parameter 'disks' has more than 4 entries" },
  /* any */
  { acquire_spec, "{\"extra\":[1,{\"a\":null}]}", NULL },
  /* order: unexpected members first, then the spec in its order */
  { acquire_spec, "{\"timeout\":0,\"bogus\":1}", "Parameter 'bogus' is unexpected" },
  { acquire_spec, "{\"timeout\":0,\"owner\":1}", "Invalid parameter type for 'owner', expected: string" },
  /* every required type: present, missing, null */
  { required_spec, "{" REQUIRED_OK "}", NULL },
  { required_spec, "{\"handle\":null}", "Invalid parameter type for 'handle', expected: integer" },
  { required_spec, "{\"handle\":-9223372036854775808,\"name\":\"n\",\"flag\":false,\"obj\":{\"domain\":0,\"bus\":0},"
                   "\"list\":[],\"objs\":[{\"domain\":1,\"bus\":2}],\"any\":null}", NULL },
  { required_spec, "{\"handle\":1}", "Parameter 'name' is missing" },
  { required_spec, "{\"handle\":1,\"name\":null}", "Invalid parameter type for 'name', expected: string" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":null}", "Invalid parameter type for 'flag', expected: boolean" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":true}", "Parameter 'obj' is missing" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":true,\"obj\":null}", "Invalid parameter type for 'obj', expected: object" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":true,\"obj\":{}}", "Parameter 'obj.domain' is missing" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":true,\"obj\":{\"domain\":0,\"bus\":0}}", "Parameter 'list' is missing" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":true,\"obj\":{\"domain\":0,\"bus\":0},\"list\":null}",
    "Invalid parameter type for 'list', expected: array" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":true,\"obj\":{\"domain\":0,\"bus\":0},\"list\":[],\"objs\":null}",
    "Invalid parameter type for 'objs', expected: array" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":true,\"obj\":{\"domain\":0,\"bus\":0},\"list\":[],\"objs\":[{}]}",
    "Parameter 'objs[0].domain' is missing" },
  { required_spec, "{\"handle\":1,\"name\":\"\",\"flag\":true,\"obj\":{\"domain\":0,\"bus\":0},\"list\":[],\"objs\":[]}",
    "Parameter 'any' is missing" },
};

static gboolean
check_text (const QwArgSpec *spec, const char *args, GError **error)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error_local = NULL;

  if (args == NULL)
    return qw_args_check (spec, NULL, error);
  node = json_from_string (args, &error_local);
  ck_assert_msg (node != NULL && JSON_NODE_HOLDS_OBJECT (node), "bad fixture %s: %s", args,
                 error_local != NULL ? error_local->message : "not an object");
  return qw_args_check (spec, json_node_get_object (node), error);
}

START_TEST (test_args_table)
{
  for (guint i = 0; i < G_N_ELEMENTS (args_cases); i++)
    {
      const ArgsCase *c = &args_cases[i];
      g_autoptr(GError) error = NULL;
      gboolean ok = check_text (c->spec, c->args, &error);

      if (c->desc == NULL)
        {
          ck_assert_msg (ok, "case %u %s: %s", i, c->args, error != NULL ? error->message : "");
          ck_assert_ptr_null (error);
          continue;
        }
      ck_assert_msg (!ok, "case %u %s: accepted", i, c->args);
      ck_assert_msg (g_error_matches (error, QW_ERROR, QW_ERROR_GENERIC), "case %u: wrong domain", i);
      ck_assert_msg (g_strcmp0 (error->message, c->desc) == 0, "case %u %s: got <%s> want <%s>", i,
                     c->args, error->message, c->desc);
    }
}
END_TEST

/* {"NAME":[N strings of LEN bytes]} */
static char *
array_args (const char *name, guint n, guint len)
{
  g_autoptr(GString) str = g_string_new (NULL);
  g_autofree char *item = g_strnfill (len, 'x');

  g_string_append_printf (str, "{\"%s\":[", name);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (str, "%s\"%s\"", i == 0 ? "" : ",", item);
  g_string_append (str, "]}");
  return g_string_free (g_steal_pointer (&str), FALSE);
}

static const QwArgSpec defaults_spec[] = {
  { "list", QW_ARG_STR_ARRAY, TRUE },
  { "objs", QW_ARG_OBJECT_ARRAY, TRUE },
  { "s", QW_ARG_STR, TRUE },
  { NULL },
};

START_TEST (test_args_default_limits)
{
  g_autofree char *list_ok = array_args ("list", QW_ARGS_DEFAULT_MAX_ENTRIES, 1);
  g_autofree char *list_long = array_args ("list", QW_ARGS_DEFAULT_MAX_ENTRIES + 1, 1);
  g_autofree char *item_ok = array_args ("list", 1, QW_ARGS_DEFAULT_MAX_STR);
  g_autofree char *item_long = array_args ("list", 1, QW_ARGS_DEFAULT_MAX_STR + 1);
  g_autofree char *str_fill_ok = g_strnfill (QW_ARGS_DEFAULT_MAX_STR, 'y');
  g_autofree char *str_fill_long = g_strnfill (QW_ARGS_DEFAULT_MAX_STR + 1, 'y');
  g_autofree char *str_ok = g_strdup_printf ("{\"s\":\"%s\"}", str_fill_ok);
  g_autofree char *str_long = g_strdup_printf ("{\"s\":\"%s\"}", str_fill_long);
  g_autoptr(GString) objs = g_string_new ("{\"objs\":[{}");
  g_autoptr(GError) e1 = NULL;
  g_autoptr(GError) e2 = NULL;
  g_autoptr(GError) e3 = NULL;
  g_autoptr(GError) e4 = NULL;

  ck_assert_uint_eq (QW_ARGS_DEFAULT_MAX_ENTRIES, 256);
  ck_assert_uint_eq (QW_ARGS_DEFAULT_MAX_STR, 4096);
  ck_assert (check_text (defaults_spec, list_ok, NULL));
  ck_assert (!check_text (defaults_spec, list_long, &e1));
  ck_assert_str_eq (e1->message, "Parameter 'list' has more than 256 entries");
  ck_assert (check_text (defaults_spec, item_ok, NULL));
  ck_assert (!check_text (defaults_spec, item_long, &e2));
  ck_assert_str_eq (e2->message, "Parameter 'list[0]' is longer than 4096 bytes");
  ck_assert (check_text (defaults_spec, str_ok, NULL));
  ck_assert (!check_text (defaults_spec, str_long, &e3));
  ck_assert_str_eq (e3->message, "Parameter 's' is longer than 4096 bytes");

  /* an object array without members accepts any objects, 256 of them */
  for (guint i = 1; i < QW_ARGS_DEFAULT_MAX_ENTRIES; i++)
    g_string_append (objs, ",{\"k\":1}");
  g_string_append (objs, "]}");
  ck_assert (check_text (defaults_spec, objs->str, NULL));
  g_string_truncate (objs, objs->len - 2);
  g_string_append (objs, ",{}]}");
  ck_assert (!check_text (defaults_spec, objs->str, &e4));
  ck_assert_str_eq (e4->message, "Parameter 'objs' has more than 256 entries");
}
END_TEST

START_TEST (test_args_no_range)
{
  /* min == max means no range check, whatever the value */
  static const QwArgSpec spec[] = {
    { "n", QW_ARG_INT, .min = 5, .max = 5 },
    { NULL },
  };

  ck_assert (check_text (spec, "{\"n\":-1}", NULL));
  ck_assert (check_text (spec, "{\"n\":9223372036854775807}", NULL));
}
END_TEST

START_TEST (test_arg_type_names)
{
  ck_assert_str_eq (qw_arg_type_name (QW_ARG_INT), "integer");
  ck_assert_str_eq (qw_arg_type_name (QW_ARG_BOOL), "boolean");
  ck_assert_str_eq (qw_arg_type_name (QW_ARG_STR), "string");
  ck_assert_str_eq (qw_arg_type_name (QW_ARG_OBJECT), "object");
  ck_assert_str_eq (qw_arg_type_name (QW_ARG_STR_ARRAY), "array");
  ck_assert_str_eq (qw_arg_type_name (QW_ARG_OBJECT_ARRAY), "array");
  ck_assert_str_eq (qw_arg_type_name (QW_ARG_ANY), "any");
}
END_TEST

static Suite *
args_suite (void)
{
  Suite *s = suite_create ("args");
  TCase *tc = tcase_create ("args");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_args_table);
  tcase_add_test (tc, test_args_default_limits);
  tcase_add_test (tc, test_args_no_range);
  tcase_add_test (tc, test_arg_type_names);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return qw_test_run (args_suite ());
}
