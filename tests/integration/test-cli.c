/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Root integration tests of quiesce(1) against the real quiesce-agent on
 * loop filesystems (ext4 and xfs), through the harness of qt-harness.c:
 * the agent runs with --only-under the test's own directory, and writers
 * (qt_expect) show what the kernel really has frozen.
 *
 * Stable outputs are compared with golden files in tests/data/cli/, after
 * the volatile parts (paths, loop device numbers, times, deadlines) are
 * replaced by @NAMES@ and, in text output, runs of blanks by three (the
 * width of a column depends on the length of the test's paths).  Run with
 * QUIESCE_UPDATE_GOLDEN=1 to rewrite them.
 *
 * Limit: loop devices have no serial, wwn or PCI address, so a libvirt
 * target name (vda) cannot be mapped to one of them.  Target names are
 * tested up to the agent (the spec it gets, a name missing from the XML);
 * real freezes name disks by the explicit dev: form. */
#include "qt-harness.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *
cli_path (void)
{
  const char *env = g_getenv ("QUIESCE_CLI");

  return env != NULL ? env : "quiesce";
}

typedef struct
{
  int status; /* exit code; -1 when killed by a signal */
  char *out;
  char *err;
} CliRun;

static void
cli_run_clear (CliRun *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRun, cli_run_clear)

static GSubprocess *
cli_spawnv (GPtrArray *argv)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *p;

  g_ptr_array_add (argv, NULL);
  p = g_subprocess_newv ((const char *const *) argv->pdata,
                         G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  ck_assert_msg (p != NULL, "cannot run %s: %s", cli_path (), error ? error->message : "?");
  return p;
}

static void
cli_finish (GSubprocess *p, CliRun *r)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = g_subprocess_communicate_utf8 (p, NULL, NULL, &r->out, &r->err, &error);

  ck_assert_msg (ok, "communicate: %s", error->message);
  r->status = g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p) : -1;
}

/* quiesce [-c unix:SOCK] ARGS...; SOCK NULL: no -c */
static void
cli (CliRun *r, const char *sock, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) p = NULL;
  va_list ap;

  g_ptr_array_add (argv, g_strdup (cli_path ()));
  if (sock != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("-c"));
      g_ptr_array_add (argv, g_strconcat ("unix:", sock, NULL));
    }
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (ap);
  p = cli_spawnv (argv);
  cli_finish (p, r);
}

#define assert_status(r, expected)                                                                 \
  ck_assert_msg ((r)->status == (expected), "exit %d, expected %d\nstdout: %s\nstderr: %s",       \
                 (r)->status, (expected), (r)->out, (r)->err)

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    if (*p == '\n')
      n++;
  return n;
}

/* a failure: nothing on stdout, one "quiesce: " line on stderr (plus the
 * "Try 'quiesce help ...'." hint for usage errors) that holds NEEDLE */
static void
assert_error (CliRun *r, int code, const char *needle)
{
  assert_status (r, code);
  ck_assert_msg (r->out[0] == '\0', "stdout is not empty: %s", r->out);
  ck_assert_msg (g_str_has_prefix (r->err, "quiesce: "), "stderr: %s", r->err);
  ck_assert_msg (strstr (r->err, needle) != NULL, "stderr lacks '%s': %s", needle, r->err);
  if (code == 2)
    {
      ck_assert_msg (count_lines (r->err) == 2 && strstr (r->err, "\nTry 'quiesce help") != NULL,
                     "a usage error is one line and a hint: %s", r->err);
    }
  else
    ck_assert_msg (count_lines (r->err) == 1, "not one line: %s", r->err);
}

/* ---- golden files ---- */

typedef struct
{
  const char *from;
  const char *to;
} Subst;

static char *
regex_replace (const char *text, const char *pattern, const char *replacement)
{
  g_autoptr(GRegex) re = g_regex_new (pattern, G_REGEX_MULTILINE, 0, NULL);

  ck_assert (re != NULL);
  return g_regex_replace (re, text, -1, 0, replacement, 0, NULL);
}

static char *
normalise (const char *text, const Subst *subst, gboolean table)
{
  char *s = g_strdup (text);

  for (guint i = 0; subst != NULL && subst[i].from != NULL; i++)
    {
      g_autofree char *escaped = g_regex_escape_string (subst[i].from, -1);
      g_autofree char *pattern = g_strconcat (escaped, "\\b", NULL);
      g_autofree char *old = s;

      s = regex_replace (old, pattern, subst[i].to);
    }
  {
    static const char *const volatile_parts[][2] = {
      { "\"created\" : [0-9]+", "\"created\" : @TIME@" },
      { "\"expires-in\" : [0-9]+", "\"expires-in\" : @SECONDS@" },
      { "\"(sync|freeze)-ms\" : [0-9.e+-]+", "\"\\1-ms\" : @MS@" },
      { "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", "@TIME@" },
      { "\\b[0-9]+ s\\b", "@SECONDS@ s" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (volatile_parts); i++)
      {
        g_autofree char *old = s;
        s = regex_replace (old, volatile_parts[i][0], volatile_parts[i][1]);
      }
  }
  if (table)
    {
      g_autofree char *old1 = s;
      g_autofree char *old2 = NULL;

      old2 = regex_replace (old1, " {2,}", "   ");
      s = regex_replace (old2, "^-+$", "---");
    }
  return s;
}

static void
check_golden (const char *name, const char *actual, const Subst *subst, gboolean table)
{
  const char *src = g_getenv ("QUIESCE_SOURCE_DIR");
  g_autofree char *path = NULL;
  g_autofree char *norm = normalise (actual, subst, table);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert_msg (src != NULL, "QUIESCE_SOURCE_DIR is not set");
  path = g_build_filename (src, "tests", "data", "cli", name, NULL);
  if (g_strcmp0 (g_getenv ("QUIESCE_UPDATE_GOLDEN"), "1") == 0)
    {
      ck_assert_msg (g_file_set_contents (path, norm, -1, &error), "%s", error->message);
      g_print ("# wrote %s\n", path);
      return;
    }
  ck_assert_msg (g_file_get_contents (path, &expected, NULL, &error), "%s", error->message);
  if (g_strcmp0 (expected, norm) != 0)
    {
      /* Check's failure messages are short: the texts go to stderr */
      g_printerr ("--- expected (%s)\n%s--- actual (normalised)\n%s--- raw\n%s", path,
                  expected, norm, actual);
      ck_abort_msg ("output differs from %s (see stderr)", path);
    }
}

/* a JSON document on stdout */
static JsonNode *
parse_json (CliRun *r)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  ck_assert_msg (json_parser_load_from_data (parser, r->out, -1, &error),
                 "stdout is not JSON (%s): %s", error->message, r->out);
  return json_node_copy (json_parser_get_root (parser));
}

/* ---- the lab: a (ext4) and b (xfs, else ext4) ---- */

typedef struct
{
  const char *a, *b;
  const char *sock;
  gboolean golden; /* b is xfs, so the golden files apply */
  char *name_a, *name_b; /* loopN */
  Subst subst[7];
} Lab;

static void
lab_clear (Lab *lab)
{
  g_free (lab->name_a);
  g_free (lab->name_b);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Lab, lab_clear)

static void
lab_setup (QtHarness *h, Lab *lab)
{
  const char *tb = qt_have_mkfs ("xfs") ? "xfs" : "ext4";

  lab->golden = strcmp (tb, "xfs") == 0;
  if (!lab->golden)
    g_print ("# mkfs.xfs is missing: b is ext4 and the golden files are not compared\n");
  lab->a = qt_fs_add (h, "a", "ext4", 64);
  lab->b = qt_fs_add (h, "b", tb, 320);
  qt_agent_start (h, NULL);
  lab->sock = qt_agent_socket (h);
  lab->name_a = g_path_get_basename (qt_fs_device (h, lab->a));
  lab->name_b = g_path_get_basename (qt_fs_device (h, lab->b));
  /* longest first: the mountpoints hold the test directory */
  lab->subst[0] = (Subst) { lab->a, "@A@" };
  lab->subst[1] = (Subst) { lab->b, "@B@" };
  lab->subst[2] = (Subst) { qt_fs_device (h, lab->a), "@DEV_A@" };
  lab->subst[3] = (Subst) { qt_fs_device (h, lab->b), "@DEV_B@" };
  lab->subst[4] = (Subst) { lab->name_a, "@NAME_A@" };
  lab->subst[5] = (Subst) { lab->name_b, "@NAME_B@" };
  lab->subst[6] = (Subst) { NULL, NULL };
}

static void
golden (Lab *lab, const char *name, CliRun *r, gboolean table)
{
  if (lab->golden)
    check_golden (name, r->out, lab->subst, table);
}

/* guest-get-fsinfo lists every mount of the machine, not only those
 * below --only-under: keep the header and the lab's own rows */
static void
keep_lab_rows (Lab *lab, CliRun *r)
{
  g_auto(GStrv) lines = g_strsplit (r->out, "\n", -1);
  g_autoptr(GString) kept = g_string_new (NULL);
  g_autofree char *a = g_strconcat (" ", lab->a, " ", NULL);
  g_autofree char *b = g_strconcat (" ", lab->b, " ", NULL);

  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    if (i < 2 || g_str_has_prefix (lines[i], a) || g_str_has_prefix (lines[i], b))
      g_string_append_printf (kept, "%s\n", lines[i]);
  g_free (r->out);
  r->out = g_string_free (g_steal_pointer (&kept), FALSE);
}

static void
keep_lab_entries (Lab *lab, CliRun *r)
{
  g_autoptr(JsonNode) root = parse_json (r);
  g_autoptr(JsonArray) kept = json_array_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) out = NULL;
  g_autofree char *text = NULL;
  JsonArray *all;

  ck_assert (JSON_NODE_HOLDS_ARRAY (root));
  all = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *fs = json_array_get_object_element (all, i);
      const char *mp = json_object_get_string_member (fs, "mountpoint");

      if (g_strcmp0 (mp, lab->a) == 0 || g_strcmp0 (mp, lab->b) == 0)
        json_array_add_element (kept, json_node_copy (json_array_get_element (all, i)));
    }
  out = json_node_init_array (json_node_alloc (), kept);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, out);
  g_free (r->out);
  text = json_generator_to_data (gen, NULL);
  r->out = g_strconcat (text, "\n", NULL);
}

static gint64
handle_of (CliRun *r)
{
  const char *line = strstr (r->out, "Handle: ");

  ck_assert_msg (line != NULL, "no 'Handle: ' line: %s", r->out);
  return g_ascii_strtoll (line + strlen ("Handle: "), NULL, 10);
}

/* ---- tests ---- */

START_TEST (test_help)
{
  g_auto(CliRun) r = { 0 };
  const char *src = g_getenv ("QUIESCE_SOURCE_DIR");
  g_autofree char *completion_path = NULL;
  g_autofree char *completion = NULL;
  g_autofree char *man_path = NULL;
  g_autofree char *man = NULL;
  static const char *const commands[] = { "domfsfreeze", "domfsthaw", "domfsrenew",
                                          "domfsstatus", "domfsinfo", "domfsresolve",
                                          "domping", "domagentinfo", "lease-list",
                                          "snapshot-create", "snapshot-recover", NULL };

  cli (&r, NULL, "--help", NULL);
  assert_status (&r, 0);
  check_golden ("help.txt", r.out, NULL, FALSE);
  cli_run_clear (&r);
  cli (&r, NULL, "help", NULL);
  assert_status (&r, 0);
  check_golden ("help.txt", r.out, NULL, FALSE);

  ck_assert (src != NULL);
  completion_path = g_build_filename (src, "host", "cli", "quiesce.bash-completion", NULL);
  ck_assert (g_file_get_contents (completion_path, &completion, NULL, NULL));
  man_path = g_build_filename (src, "man", "quiesce.1", NULL);
  ck_assert (g_file_get_contents (man_path, &man, NULL, NULL));

  for (guint i = 0; commands[i] != NULL; i++)
    {
      g_auto(CliRun) h = { 0 };
      g_autoptr(GRegex) re = g_regex_new ("^  (--[a-z-]+)", G_REGEX_MULTILINE, 0, NULL);
      g_autoptr(GMatchInfo) m = NULL;
      g_autofree char *golden_name = g_strdup_printf ("help-%s.txt", commands[i]);

      cli (&h, NULL, "help", commands[i], NULL);
      assert_status (&h, 0);
      check_golden (golden_name, h.out, NULL, FALSE);
      ck_assert_msg (strstr (completion, commands[i]) != NULL,
                     "the bash completion lacks %s", commands[i]);
      {
        /* roff spells a hyphen in a name "\-" */
        g_auto (GStrv) parts = g_strsplit (commands[i], "-", -1);
        g_autofree char *roff = g_strjoinv ("\\-", parts);
        g_autofree char *section = g_strdup_printf (".SS \"%s ", roff);
        ck_assert_msg (strstr (man, section) != NULL, "quiesce.1 lacks a section %s",
                       commands[i]);
      }
      /* every option in the help is offered by the completion */
      g_regex_match (re, h.out, 0, &m);
      while (g_match_info_matches (m))
        {
          g_autofree char *opt = g_match_info_fetch (m, 1);
          g_auto (GStrv) opt_parts = g_strsplit (opt, "-", -1);
          g_autofree char *opt_roff = g_strjoinv ("\\-", opt_parts);

          ck_assert_msg (strstr (completion, opt) != NULL,
                         "the bash completion lacks %s of %s", opt, commands[i]);
          ck_assert_msg (strstr (man, opt_roff) != NULL, "quiesce.1 lacks %s of %s", opt,
                         commands[i]);
          g_match_info_next (m, NULL);
        }
      cli_run_clear (&h);
      /* SUBCOMMAND --help too */
      cli (&h, NULL, commands[i], "--help", NULL);
      assert_status (&h, 0);
      ck_assert (g_str_has_prefix (h.out, "Usage: quiesce"));
    }
}
END_TEST

START_TEST (test_bad_input)
{
  QtHarness *h = qt_harness ();
  g_autofree char *xml = g_build_filename (qt_test_dir (h), "labvm.xml", NULL);
  g_autofree char *missing_xml = g_build_filename (qt_test_dir (h), "nonexistent.xml", NULL);
  g_autofree char *bad_xml = g_build_filename (qt_test_dir (h), "bad.xml", NULL);
  g_autofree char *missing_sock = g_build_filename (qt_test_dir (h), "missing.sock", NULL);
  g_autofree char *dead_sock = g_build_filename (qt_test_dir (h), "dead.sock", NULL);
  g_autofree char *dead_uri = g_strconcat ("unix:", dead_sock, NULL);
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  int fd;

  ck_assert (g_file_set_contents (
      xml,
      "<domain type='kvm'>\n"
      "  <name>labvm</name>\n"
      "  <devices>\n"
      "    <disk type='file' device='disk'>\n"
      "      <driver name='qemu' type='qcow2'/>\n"
      "      <source file='/var/lib/libvirt/images/a.qcow2'/>\n"
      "      <target dev='vda' bus='virtio'/>\n"
      "      <serial>DISK-A</serial>\n"
      "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n"
      "    </disk>\n"
      "    <disk type='file' device='disk'>\n"
      "      <driver name='qemu' type='qcow2'/>\n"
      "      <source file='/var/lib/libvirt/images/b.qcow2'/>\n"
      "      <target dev='vdb' bus='virtio'/>\n"
      "      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>\n"
      "    </disk>\n"
      "  </devices>\n"
      "</domain>\n",
      -1, NULL));
  ck_assert (g_file_set_contents (bad_xml, "<domain><name>x</na", -1, NULL));

  /* a socket file that nobody listens on: connect() is refused */
  fd = socket (AF_UNIX, SOCK_STREAM, 0);
  ck_assert (fd >= 0);
  g_strlcpy (sun.sun_path, dead_sock, sizeof sun.sun_path);
  ck_assert_msg (bind (fd, (struct sockaddr *) &sun, sizeof sun) == 0, "bind: %s",
                 g_strerror (errno));
  close (fd);

  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfrobnicate", "vm", NULL);
    assert_error (&r, 2, "Unknown subcommand 'domfrobnicate'");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsfreeze", "vm", "--bogus", NULL);
    assert_error (&r, 2, "Unknown option '--bogus' for domfsfreeze");
    ck_assert (strstr (r.err, "Try 'quiesce help domfsfreeze'.") != NULL);
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "--bogus", "domping", "vm", NULL);
    assert_error (&r, 2, "Unknown global option '--bogus'");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsstatus", NULL);
    assert_error (&r, 2, "domfsstatus needs a DOMAIN");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsstatus", "vm", "vm2", NULL);
    assert_error (&r, 2, "Unexpected argument 'vm2'");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsthaw", "vm", "--handle", "seven", NULL);
    assert_error (&r, 2, "Option '--handle' takes a whole number");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "-t", "0", "domping", "vm", NULL);
    assert_error (&r, 2, "Option '-t' takes a whole number");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsthaw", "vm", NULL);
    assert_error (&r, 2, "exactly one of --handle H, --legacy, or --all --force");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsthaw", "vm", "--all", NULL);
    assert_error (&r, 2, "confirm it with --force");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsfreeze", "vm", "--legacy", "--disk", "dev:/dev/x", NULL);
    assert_error (&r, 2, "'--disk' does not go with --legacy");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsfreeze", "vm", "--span", "maybe", NULL);
    assert_error (&r, 2, "'--span' takes include or refuse");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsfreeze", "vm", "--disk", "colour:blue", NULL);
    assert_error (&r, 2, "Unknown key 'colour'");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domfsfreeze", "vm", "--disk", "vda", NULL);
    assert_error (&r, 2, "needs --domain-xml FILE");
  }
  /* XML problems come before the connection */
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "--domain-xml", missing_xml, "domfsinfo", "vm", NULL);
    assert_error (&r, 1, missing_xml);
    ck_assert (strstr (r.err, "No such file or directory") != NULL);
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "--domain-xml", bad_xml, "domfsinfo", "vm", NULL);
    assert_error (&r, 1, bad_xml);
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "--domain-xml", xml, "domfsfreeze", "vm", "--disk", "vdz", NULL);
    assert_error (&r, 4, "has no disk 'vdz'; its disks are: vda, vdb");
    ck_assert (strstr (r.err, xml) != NULL);
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "--domain-xml", xml, "domfsresolve", "vm", "--disk", "vdz", NULL);
    assert_error (&r, 4, "has no disk 'vdz'");
  }
  /* connections */
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "domping", "vm", NULL);
    assert_error (&r, 3, missing_sock);
    ck_assert (strstr (r.err, "No such file or directory") != NULL);
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, NULL, "-c", dead_uri, "domping", "vm", NULL);
    assert_error (&r, 3, dead_sock);
    ck_assert (strstr (r.err, "Connection refused") != NULL);
  }
  if (g_strcmp0 (g_getenv ("QUIESCE_HAVE_LIBVIRT"), "1") == 0)
    {
      /* built with libvirt: no libvirtd here, or no such domain; without
       * -c the default is libvirt's, as for virsh (its test driver needs
       * no daemon) */
      {
        g_auto(CliRun) r = { 0 };
        /* "Cannot connect to libvirt ..." without a libvirtd, "Domain not
         * found ..." when one runs: exit 3 either way */
        cli (&r, NULL, "-c", "qemu:///system", "domping", "quiesce-no-such-vm", NULL);
        assert_status (&r, 3);
        ck_assert_msg (strstr (r.err, "libvirt") != NULL || strstr (r.err, "Domain not found") != NULL,
                       "%s", r.err);
      }
      {
        g_auto(CliRun) r = { 0 };
        g_unsetenv ("QUIESCE_DEFAULT_URI");
        g_setenv ("LIBVIRT_DEFAULT_URI", "test:///default", TRUE);
        cli (&r, NULL, "domping", "no-such-vm", NULL);
        g_unsetenv ("LIBVIRT_DEFAULT_URI");
        assert_error (&r, 3, "Domain not found");
      }
    }
  else
    {
      {
        g_auto(CliRun) r = { 0 };
        cli (&r, NULL, "-c", "qemu:///system", "domping", "vm", NULL);
        assert_error (&r, 3, "the libvirt transport is not built in this version");
      }
      {
        g_auto(CliRun) r = { 0 };
        g_unsetenv ("QUIESCE_DEFAULT_URI");
        cli (&r, NULL, "domping", "vm", NULL);
        assert_error (&r, 2, "give -c unix:PATH");
      }
    }
  {
    g_auto(CliRun) r = { 0 };
    g_setenv ("QUIESCE_DEFAULT_URI", dead_uri, TRUE);
    cli (&r, NULL, "domping", "vm", NULL);
    g_unsetenv ("QUIESCE_DEFAULT_URI");
    assert_error (&r, 3, dead_sock);
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, missing_sock, "snapshot-create", "vm", NULL);
    assert_error (&r, 2, "needs the action");
  }
}
END_TEST

START_TEST (test_every_subcommand)
{
  QtHarness *h = qt_harness ();
  g_auto(Lab) lab = { 0 };
  g_autofree char *xml = g_build_filename (qt_test_dir (h), "labvm.xml", NULL);
  gint64 h1, h2;

  lab_setup (h, &lab);
  ck_assert (g_file_set_contents (
      xml,
      "<domain type='kvm'>\n  <name>labvm</name>\n  <devices>\n"
      "    <disk type='file' device='disk'>\n"
      "      <source file='/var/lib/libvirt/images/a.qcow2'/>\n"
      "      <target dev='vda' bus='virtio'/>\n      <serial>DISK-A</serial>\n"
      "      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n"
      "    </disk>\n  </devices>\n</domain>\n",
      -1, NULL));

  {
    g_auto(CliRun) r = { 0 };
    cli (&r, lab.sock, "domping", "vm", NULL);
    assert_status (&r, 0);
    golden (&lab, "domping.txt", &r, TRUE);
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domping", "vm", NULL);
    assert_status (&r, 0);
    golden (&lab, "domping.json", &r, FALSE);
  }
  {
    g_auto(CliRun) r = { 0 };
    g_autoptr(JsonNode) j = NULL;

    cli (&r, lab.sock, "domagentinfo", "vm", NULL);
    assert_status (&r, 0);
    ck_assert (g_str_has_prefix (r.out, "Version: "));
    ck_assert (strstr (r.out, " guest-fsfreeze-acquire ") != NULL);
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domagentinfo", "vm", NULL);
    assert_status (&r, 0);
    j = parse_json (&r);
    ck_assert (JSON_NODE_HOLDS_OBJECT (j));
    ck_assert (json_object_has_member (json_node_get_object (j), "supported_commands"));
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, lab.sock, "domfsinfo", "vm", NULL);
    assert_status (&r, 0);
    keep_lab_rows (&lab, &r);
    golden (&lab, "domfsinfo.txt", &r, TRUE);
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domfsinfo", "vm", NULL);
    assert_status (&r, 0);
    keep_lab_entries (&lab, &r);
    golden (&lab, "domfsinfo.json", &r, FALSE);
    cli_run_clear (&r);
    /* loop devices have no serial: no Target maps, as virsh leaves it empty */
    cli (&r, lab.sock, "--domain-xml", xml, "domfsinfo", "vm", NULL);
    assert_status (&r, 0);
    keep_lab_rows (&lab, &r);
    golden (&lab, "domfsinfo-xml.txt", &r, TRUE);
  }
  {
    g_auto(CliRun) r = { 0 };
    g_autofree char *disk_a = g_strconcat ("dev:", qt_fs_device (h, lab.a), NULL);

    cli (&r, lab.sock, "domfsresolve", "vm", NULL);
    assert_status (&r, 0);
    golden (&lab, "domfsresolve.txt", &r, TRUE);
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domfsresolve", "vm", "--disk", disk_a, NULL);
    assert_status (&r, 0);
    golden (&lab, "domfsresolve-disk.json", &r, FALSE);
    cli_run_clear (&r);
    /* a target name of the XML reaches the agent as its <serial>, which no
     * loop device has */
    cli (&r, lab.sock, "--domain-xml", xml, "domfsresolve", "vm", "--disk", "vda", NULL);
    assert_error (&r, 4, "serial 'DISK-A' holds a mounted filesystem");
  }
  qt_expect (h, lab.a, FALSE, lab.b, FALSE, NULL);

  /* freeze a by mountpoint (text), b by disk (JSON) */
  {
    g_auto(CliRun) r = { 0 };
    g_autoptr(JsonNode) j = NULL;
    g_autofree char *disk_b = g_strconcat ("dev:", qt_fs_device (h, lab.b), NULL);

    cli (&r, lab.sock, "domfsfreeze", "vm", "--mountpoint", lab.a, "--owner", "cli-a",
         "--timeout", "120", NULL);
    assert_status (&r, 0);
    golden (&lab, "domfsfreeze.txt", &r, TRUE);
    h1 = handle_of (&r);
    qt_expect (h, lab.a, TRUE, lab.b, FALSE, NULL);
    cli_run_clear (&r);

    cli (&r, lab.sock, "--json", "domfsfreeze", "vm", "--disk", disk_b, "--owner", "cli-b", NULL);
    assert_status (&r, 0);
    j = parse_json (&r);
    h2 = json_object_get_int_member (json_node_get_object (j), "handle");
    ck_assert_int_eq (json_object_get_int_member (json_node_get_object (j), "frozen"), 1);
    golden (&lab, "domfsfreeze.json", &r, FALSE);
    qt_expect (h, lab.a, TRUE, lab.b, TRUE, NULL);
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, lab.sock, "domfsstatus", "vm", NULL);
    assert_status (&r, 0);
    golden (&lab, "domfsstatus-frozen.txt", &r, TRUE);
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domfsstatus", "vm", NULL);
    assert_status (&r, 0);
    golden (&lab, "domfsstatus-frozen.json", &r, FALSE);
  }
  {
    g_auto(CliRun) r = { 0 };
    g_autofree char *hs = g_strdup_printf ("%" G_GINT64_FORMAT, h1);
    g_autoptr(JsonNode) j = NULL;

    cli (&r, lab.sock, "domfsrenew", "vm", "--handle", hs, "--timeout", "300", NULL);
    assert_status (&r, 0);
    {
      g_autofree char *expected = g_strdup_printf ("Handle %s expires in 300 s\n", hs);
      ck_assert_str_eq (r.out, expected);
    }
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domfsrenew", "vm", "--handle", hs, "--timeout", "200", NULL);
    assert_status (&r, 0);
    j = parse_json (&r);
    ck_assert_int_eq (json_object_get_int_member (json_node_get_object (j), "expires-in"), 200);
  }
  /* the legacy freeze beside them, and its refusal as qemu-ga's */
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, lab.sock, "domfsfreeze", "vm", "--legacy", NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "Froze 2 filesystem(s)\n");
    cli_run_clear (&r);
    cli (&r, lab.sock, "domfsfreeze", "vm", "--legacy", "--mountpoint", lab.a, NULL);
    assert_error (&r, 1, "has been disabled: the agent is in frozen state");
    cli_run_clear (&r);
    /* both stay held by h1 and h2: nothing is really thawed */
    cli (&r, lab.sock, "domfsthaw", "vm", "--legacy", NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "Thawed 0 filesystem(s)\n");
    qt_expect (h, lab.a, TRUE, lab.b, TRUE, NULL);
    cli_run_clear (&r);
    /* --json keeps the agent's return: how many the legacy handle held */
    cli (&r, lab.sock, "domfsfreeze", "vm", "--legacy", NULL);
    assert_status (&r, 0);
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domfsthaw", "vm", "--legacy", NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "2\n");
    qt_expect (h, lab.a, TRUE, lab.b, TRUE, NULL);
  }
  {
    g_auto(CliRun) r = { 0 };
    g_autofree char *hs1 = g_strdup_printf ("%" G_GINT64_FORMAT, h1);
    g_autofree char *hs2 = g_strdup_printf ("%" G_GINT64_FORMAT, h2);

    cli (&r, lab.sock, "domfsthaw", "vm", "--handle", hs1, NULL);
    assert_status (&r, 0);
    golden (&lab, "domfsthaw.txt", &r, TRUE);
    qt_expect (h, lab.a, FALSE, lab.b, TRUE, NULL);
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domfsthaw", "vm", "--handle", hs2, NULL);
    assert_status (&r, 0);
    golden (&lab, "domfsthaw.json", &r, FALSE);
    qt_expect (h, lab.a, FALSE, lab.b, FALSE, NULL);
    cli_run_clear (&r);
    cli (&r, lab.sock, "domfsthaw", "vm", "--handle", hs2, NULL);
    assert_error (&r, 5, "does not exist");
  }
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, lab.sock, "domfsstatus", "vm", NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "Status: thawed\nNo handles are held\n");
    cli_run_clear (&r);
    cli (&r, lab.sock, "--json", "domfsstatus", "vm", NULL);
    assert_status (&r, 0);
    golden (&lab, "domfsstatus-thawed.json", &r, FALSE);
  }
  /* --all --force drops everything, the legacy handle included */
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, lab.sock, "domfsfreeze", "vm", "--legacy", "--mountpoint", lab.b, NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "Froze 1 filesystem(s)\n");
    cli_run_clear (&r);
    cli (&r, lab.sock, "domfsfreeze", "vm", "--mountpoint", lab.a, NULL);
    assert_status (&r, 0);
    qt_expect (h, lab.a, TRUE, lab.b, TRUE, NULL);
    cli_run_clear (&r);
    cli (&r, lab.sock, "domfsthaw", "vm", "--all", "--force", NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "Thawed 2 filesystem(s)\n");
    qt_expect (h, lab.a, FALSE, lab.b, FALSE, NULL);
  }
}
END_TEST

/* two CLI processes, each holding its own handle on interleaved sets:
 * P1 holds a and b, P2 holds b; the kernel shows that a release thaws
 * only what no other handle holds */
START_TEST (test_interleaved)
{
  QtHarness *h = qt_harness ();
  g_auto(Lab) lab = { 0 };
  g_autofree char *disk_b = NULL;
  gint64 h1, h2;

  lab_setup (h, &lab);
  disk_b = g_strconcat ("dev:", qt_fs_device (h, lab.b), NULL);
  {
    /* both freezes at once, as two processes */
    g_autoptr(GPtrArray) argv1 = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) argv2 = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GSubprocess) p1 = NULL;
    g_autoptr(GSubprocess) p2 = NULL;
    g_auto(CliRun) r1 = { 0 };
    g_auto(CliRun) r2 = { 0 };
    const char *args1[] = { "domfsfreeze", "vm", "--mountpoint", lab.a, "--mountpoint", lab.b,
                            "--owner", "p1", NULL };
    const char *args2[] = { "domfsfreeze", "vm", "--disk", disk_b, "--owner", "p2", NULL };

    for (GPtrArray *argv = argv1; argv != NULL; argv = argv == argv1 ? argv2 : NULL)
      {
        const char *const *args = argv == argv1 ? args1 : args2;

        g_ptr_array_add (argv, g_strdup (cli_path ()));
        g_ptr_array_add (argv, g_strdup ("-c"));
        g_ptr_array_add (argv, g_strconcat ("unix:", lab.sock, NULL));
        for (guint i = 0; args[i] != NULL; i++)
          g_ptr_array_add (argv, g_strdup (args[i]));
      }
    p1 = cli_spawnv (argv1);
    p2 = cli_spawnv (argv2);
    cli_finish (p1, &r1);
    cli_finish (p2, &r2);
    assert_status (&r1, 0);
    assert_status (&r2, 0);
    ck_assert_msg (g_str_has_prefix (r1.out, "Froze 2 filesystem(s)\nHandle: "), "%s", r1.out);
    ck_assert_msg (g_str_has_prefix (r2.out, "Froze 1 filesystem(s)\nHandle: "), "%s", r2.out);
    h1 = handle_of (&r1);
    h2 = handle_of (&r2);
    ck_assert (h1 != h2);
  }
  qt_expect (h, lab.a, TRUE, lab.b, TRUE, NULL);
  {
    g_auto(CliRun) r = { 0 };
    g_autofree char *hs1 = g_strdup_printf ("%" G_GINT64_FORMAT, h1);
    g_autofree char *hs2 = g_strdup_printf ("%" G_GINT64_FORMAT, h2);

    /* P1 lets go: a thaws, b stays for P2 */
    cli (&r, lab.sock, "domfsthaw", "vm", "--handle", hs1, NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "Thawed 1 filesystem(s)\n");
    qt_expect (h, lab.a, FALSE, lab.b, TRUE, NULL);
    cli_run_clear (&r);

    /* P1 comes back for a while P2 still holds b */
    cli (&r, lab.sock, "domfsfreeze", "vm", "--mountpoint", lab.a, "--owner", "p1", NULL);
    assert_status (&r, 0);
    ck_assert_msg (g_str_has_prefix (r.out, "Froze 1 filesystem(s)\n"), "%s", r.out);
    h1 = handle_of (&r);
    g_free (hs1);
    hs1 = g_strdup_printf ("%" G_GINT64_FORMAT, h1);
    qt_expect (h, lab.a, TRUE, lab.b, TRUE, NULL);
    cli_run_clear (&r);

    cli (&r, lab.sock, "domfsthaw", "vm", "--handle", hs2, NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "Thawed 1 filesystem(s)\n");
    qt_expect (h, lab.a, TRUE, lab.b, FALSE, NULL);
    cli_run_clear (&r);

    cli (&r, lab.sock, "domfsthaw", "vm", "--handle", hs1, NULL);
    assert_status (&r, 0);
    ck_assert_str_eq (r.out, "Thawed 1 filesystem(s)\n");
    qt_expect (h, lab.a, FALSE, lab.b, FALSE, NULL);
  }
}
END_TEST

/* exit codes of the agent's error classes */
START_TEST (test_agent_errors)
{
  QtHarness *h = qt_harness ();
  const char *a = qt_fs_add (h, "a", "ext4", 64);
  const char *b = qt_fs_add (h, "b", "ext4", 64);
  const char *sock;

  qt_agent_start (h, "--max-handles", "1", NULL);
  sock = qt_agent_socket (h);

  /* DeviceNotFound: 4 */
  {
    g_auto(CliRun) r = { 0 };
    g_autofree char *not_mp = g_build_filename (qt_only_under (h), "nowhere", NULL);

    cli (&r, sock, "domfsfreeze", "vm", "--mountpoint", not_mp, NULL);
    assert_error (&r, 4, "is not a mountpoint");
  }
  /* HandleNotFound: 5 */
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, sock, "domfsrenew", "vm", "--handle", "999", NULL);
    assert_error (&r, 5, "Handle 999 does not exist");
  }
  /* Busy: 7, a filesystem frozen behind the agent's back */
  {
    g_auto(CliRun) r = { 0 };
    const char *freeze[] = { "fsfreeze", "-f", b, NULL };
    const char *thaw[] = { "fsfreeze", "-u", b, NULL };

    qt_run (freeze);
    cli (&r, sock, "domfsfreeze", "vm", "--mountpoint", b, NULL);
    qt_run (thaw);
    assert_error (&r, 7, "already frozen by someone else");
  }
  /* LimitExceeded: 9 (--max-handles 1), then HandleExpired: 6 */
  {
    g_auto(CliRun) r = { 0 };
    gint64 hd;
    g_autofree char *hs = NULL;

    cli (&r, sock, "domfsfreeze", "vm", "--mountpoint", a, "--timeout", "1", NULL);
    assert_status (&r, 0);
    hd = handle_of (&r);
    hs = g_strdup_printf ("%" G_GINT64_FORMAT, hd);
    cli_run_clear (&r);
    cli (&r, sock, "domfsfreeze", "vm", "--mountpoint", b, NULL);
    assert_error (&r, 9, "Too many handles");
    cli_run_clear (&r);
    g_usleep (2500 * 1000);
    qt_expect (h, a, FALSE, NULL);
    cli (&r, sock, "domfsthaw", "vm", "--handle", hs, NULL);
    assert_error (&r, 6, "expired");
  }
  /* a call timeout shorter than nothing: -t works and the agent stays usable */
  {
    g_auto(CliRun) r = { 0 };
    cli (&r, sock, "-t", "5", "domping", "vm", NULL);
    assert_status (&r, 0);
  }
}
END_TEST

/* a connection the agent refuses (here: past --max-clients) exits with
 * the refusal's class, not as an unreachable agent (3) */
START_TEST (test_refused)
{
  QtHarness *h = qt_harness ();
  g_autoptr(QtClient) holder = NULL;
  g_auto(CliRun) r = { 0 };

  qt_agent_start (h, "--max-clients", "1", NULL);
  g_usleep (300 * 1000); /* the harness's own connection is closing */
  holder = qt_client_new (h);
  qt_ping (holder);
  cli (&r, qt_agent_socket (h), "domping", "vm", NULL);
  assert_error (&r, 9, "refused the connection");
  cli_run_clear (&r);
  g_clear_pointer (&holder, qt_client_free);
  g_usleep (100 * 1000);
  cli (&r, qt_agent_socket (h), "domping", "vm", NULL);
  assert_status (&r, 0);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("integration-cli");

  if (g_getenv ("QUIESCE_CLI") == NULL)
    {
      g_print ("QUIESCE_CLI is not set (run through meson test)\n");
      return QT_EXIT_SKIP;
    }
  qt_suite_add (s, "help", test_help, 60);
  qt_suite_add (s, "bad-input", test_bad_input, 60);
  qt_suite_add (s, "every-subcommand", test_every_subcommand, 240);
  qt_suite_add (s, "interleaved", test_interleaved, 120);
  qt_suite_add (s, "agent-errors", test_agent_errors, 120);
  qt_suite_add (s, "refused", test_refused, 60);
  return qt_main (s);
}
