/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-transport-libvirt: the agent of a libvirt-managed domain,
 * through libvirt.
 *
 * Only the blocking execute() is implemented: virDomainQemuAgentCommand()
 * blocks, and the interface's default async half runs it in a GTask
 * thread.  Sync is left to libvirtd, which sends its own guest-sync
 * before each command; the interface's default sync() succeeds.
 *
 * What libvirt hands back.  A reply of the agent comes back whole, as
 * text, and is unwrapped like any other.  An error reply of the agent
 * does not: libvirt turns it into VIR_ERR_INTERNAL_ERROR "unable to
 * execute QEMU agent command 'NAME': DESC" and drops the class.  The
 * class is then recovered from DESC for the messages quiesce-agent and
 * qemu-ga are known to send (classify_agent_desc()); anything else is
 * %QUIESCE_AGENT_ERROR_GENERIC.  The message is always libvirt's,
 * unchanged, so that "domain is not running", "QEMU guest agent is not
 * connected" and "Guest agent not available for now" (libvirt's agent
 * timeout) read exactly as virsh prints them.
 *
 * A side effect that is expected: virDomainQemuAgentCommand() marks the
 * domain tainted ("custom-ga-command") in its log, once per domain
 * start, as it does for `virsh qemu-agent-command`. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "quiesce-domain.h"
#include "quiesce-domain-disk.h"
#include "quiesce-error.h"
#include "quiesce-transport.h"
#include "quiesce-transport-libvirt.h"

#if HAVE_LIBVIRT

#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>

#include "qw-envelope.h"

#define QUIESCE_TYPE_TRANSPORT_LIBVIRT (quiesce_transport_libvirt_get_type ())
G_DECLARE_FINAL_TYPE (QuiesceTransportLibvirt, quiesce_transport_libvirt, QUIESCE,
                      TRANSPORT_LIBVIRT, GObject)

struct _QuiesceTransportLibvirt
{
  GObject parent_instance;

  virConnectPtr conn;
  virDomainPtr dom;
  char *uri;
  char *name;
};

static void quiesce_transport_libvirt_iface_init (QuiesceTransportInterface *iface);

G_DEFINE_TYPE_WITH_CODE (QuiesceTransportLibvirt, quiesce_transport_libvirt, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (QUIESCE_TYPE_TRANSPORT,
                                                quiesce_transport_libvirt_iface_init))

/* libvirt prints every error on stderr unless a handler is set; the
 * errors are returned as GErrors instead (libvirt-glib does the same) */
static void
silent_error_func (void *user_data, virErrorPtr err)
{
}

static void
install_error_handler (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      virSetErrorFunc (NULL, silent_error_func);
      g_once_init_leave (&once, 1);
    }
}

/* the class of an agent's error desc, for the messages of quiesce-agent
 * (agent/) and qemu-ga; GenericError for any other */
static QuiesceAgentError
classify_agent_desc (const char *desc)
{
  static const struct
  {
    const char *prefix; /* at the start of desc, or NULL */
    const char *infix;  /* anywhere in desc, or NULL */
    QuiesceAgentError code;
  } table[] = {
    { "The command ", " has not been found", QUIESCE_AGENT_ERROR_COMMAND_NOT_FOUND },
    { "Command ", " has been disabled", QUIESCE_AGENT_ERROR_COMMAND_NOT_FOUND },
    { "Handle ", " does not exist", QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND },
    { "Handle ", " expired at ", QUIESCE_AGENT_ERROR_HANDLE_EXPIRED },
    { "Cannot freeze '", "already frozen by someone else", QUIESCE_AGENT_ERROR_BUSY },
    { "Cannot freeze '", "so its FIFREEZE would hang", QUIESCE_AGENT_ERROR_BUSY },
    { "Cannot freeze '", "nothing was frozen", QUIESCE_AGENT_ERROR_FREEZE_FAILED },
    { "Too many handles", NULL, QUIESCE_AGENT_ERROR_LIMIT_EXCEEDED },
    { "No disk with ", NULL, QUIESCE_AGENT_ERROR_DEVICE_NOT_FOUND },
    { NULL, "' is not a mountpoint", QUIESCE_AGENT_ERROR_DEVICE_NOT_FOUND },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if ((table[i].prefix == NULL || g_str_has_prefix (desc, table[i].prefix)) &&
        (table[i].infix == NULL || strstr (desc, table[i].infix) != NULL))
      return table[i].code;
  return QUIESCE_AGENT_ERROR_GENERIC;
}

/* libvirt's last error of this thread as a GError, its message kept */
static void
set_error_from_libvirt (GError **error, const char *what)
{
  virErrorPtr err = virGetLastError ();
  const char *message = err != NULL && err->message != NULL ? err->message : NULL;
  g_autofree char *fallback = NULL;

  if (message == NULL)
    message = fallback = g_strdup_printf ("%s failed with no error from libvirt", what);

  if (err == NULL)
    {
      g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_DISCONNECTED,
                           message);
      return;
    }
  switch (err->code)
    {
    case VIR_ERR_INTERNAL_ERROR:
      {
        /* "internal error: unable to execute QEMU agent command 'X': DESC" */
        const char *p = strstr (message, "unable to execute QEMU agent command '");

        if (p != NULL && (p = strstr (p, "': ")) != NULL)
          {
            g_set_error_literal (error, QUIESCE_AGENT_ERROR, classify_agent_desc (p + 3),
                                 message);
            break;
          }
        g_set_error_literal (error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_GENERIC, message);
        break;
      }
    case VIR_ERR_AGENT_UNRESPONSIVE:
      /* "Guest agent is not responding: QEMU guest agent is not connected"
       * or "...: Guest agent not available for now" (the call timed out) */
      if (strstr (message, "not connected") != NULL)
        g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                             message);
      else
        g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_TIMED_OUT,
                             message);
      break;
    case VIR_ERR_OPERATION_TIMEOUT:
      g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_TIMED_OUT, message);
      break;
    case VIR_ERR_OPERATION_INVALID: /* "domain is not running" */
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
    case VIR_ERR_SYSTEM_ERROR:
    case VIR_ERR_RPC:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
    case VIR_ERR_ACCESS_DENIED:
      g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                           message);
      break;
    default:
      g_set_error_literal (error, QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_GENERIC, message);
      break;
    }
  virResetLastError ();
}

static JsonNode *
quiesce_transport_libvirt_execute (QuiesceTransport *transport,
                                   const char *execute,
                                   JsonObject *arguments,
                                   guint timeout_ms,
                                   GCancellable *cancellable,
                                   GError **error)
{
  QuiesceTransportLibvirt *self = QUIESCE_TRANSPORT_LIBVIRT (transport);
  g_autoptr(GBytes) request = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error_local = NULL;
  char *result;
  int timeout_s;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  request = qw_request_build (execute, arguments, NULL);
  text = g_strndup (g_bytes_get_data (request, NULL), g_bytes_get_size (request));
  /* libvirt's timeout is in seconds: round up, and 0 (none) is BLOCK */
  if (timeout_ms == 0)
    timeout_s = VIR_DOMAIN_QEMU_AGENT_COMMAND_BLOCK;
  else
    timeout_s = (int) MIN ((timeout_ms + 999) / 1000, (guint) G_MAXINT);

  result = virDomainQemuAgentCommand (self->dom, text, timeout_s, 0);
  if (result == NULL)
    {
      set_error_from_libvirt (error, "virDomainQemuAgentCommand");
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, result, -1, &error_local))
    {
      g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                   "%s: the agent's reply is not valid JSON: %s", execute, error_local->message);
      free (result);
      return NULL;
    }
  free (result);
  reply = json_parser_steal_root (parser);
  return quiesce_transport_unwrap_reply (reply, error);
}

static void
quiesce_transport_libvirt_iface_init (QuiesceTransportInterface *iface)
{
  iface->execute = quiesce_transport_libvirt_execute;
}

static void
quiesce_transport_libvirt_finalize (GObject *object)
{
  QuiesceTransportLibvirt *self = QUIESCE_TRANSPORT_LIBVIRT (object);

  if (self->dom != NULL)
    virDomainFree (self->dom);
  if (self->conn != NULL)
    virConnectClose (self->conn);
  g_free (self->uri);
  g_free (self->name);
  G_OBJECT_CLASS (quiesce_transport_libvirt_parent_class)->finalize (object);
}

static void
quiesce_transport_libvirt_class_init (QuiesceTransportLibvirtClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = quiesce_transport_libvirt_finalize;
}

static void
quiesce_transport_libvirt_init (QuiesceTransportLibvirt *self)
{
}

#endif /* HAVE_LIBVIRT */

/**
 * quiesce_transport_libvirt_is_supported:
 *
 * Whether this libquiesce-1 was built with the libvirt transport (the
 * meson feature `libvirt`).
 *
 * Returns: %TRUE if quiesce_transport_libvirt_new() can work
 *
 * Since: 0.1
 */
gboolean
quiesce_transport_libvirt_is_supported (void)
{
  return HAVE_LIBVIRT;
}

/**
 * quiesce_transport_libvirt_new:
 * @uri: (nullable): a libvirt connection URI such as `qemu:///system`;
 *   %NULL for libvirt's default (`$LIBVIRT_DEFAULT_URI`, libvirt.conf)
 * @domain: the domain's name, UUID or id, looked up in that order, as
 *   virsh does
 * @error: return location for a #GError
 *
 * Connects to libvirt and looks the domain up.  The domain need not be
 * running yet: a command then fails with libvirt's "domain is not
 * running".  Each command goes through virDomainQemuAgentCommand() with
 * the call's timeout in whole seconds (rounded up; none is
 * %VIR_DOMAIN_QEMU_AGENT_COMMAND_BLOCK).  libvirt's errors keep their
 * message; "domain is not running" and "QEMU guest agent is not
 * connected" are %QUIESCE_CLIENT_ERROR_NOT_CONNECTED, libvirt's agent
 * timeout is %QUIESCE_CLIENT_ERROR_TIMED_OUT, and an error reply of the
 * agent is a %QUIESCE_AGENT_ERROR whose class is recovered from its text
 * (libvirt passes the text only).
 *
 * The first command marks the domain tainted ("custom-ga-command") in
 * libvirt's log; this is expected.
 *
 * The first call installs a silent libvirt error handler
 * (virSetErrorFunc()) so that libvirt does not print errors that are
 * returned as #GError anyway.
 *
 * Returns: (transfer full): a new #QuiesceTransport, or %NULL with
 *   %QUIESCE_CLIENT_ERROR_NOT_CONNECTED
 *
 * Since: 0.1
 */
QuiesceTransport *
quiesce_transport_libvirt_new (const char *uri, const char *domain, GError **error)
{
#if HAVE_LIBVIRT
  QuiesceTransportLibvirt *self;
  virConnectPtr conn;
  virDomainPtr dom = NULL;
  guint64 id;

  g_return_val_if_fail (domain != NULL, NULL);

  install_error_handler ();
  conn = virConnectOpen (uri);
  if (conn == NULL)
    {
      g_autoptr(GError) local = NULL;

      set_error_from_libvirt (&local, "virConnectOpen");
      g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                   "Cannot connect to libvirt at '%s': %s", uri != NULL ? uri : "(default)",
                   local->message);
      return NULL;
    }
  /* as virsh's virshLookupDomainBy: name, then UUID, then id */
  dom = virDomainLookupByName (conn, domain);
  if (dom == NULL && strlen (domain) == VIR_UUID_STRING_BUFLEN - 1)
    dom = virDomainLookupByUUIDString (conn, domain);
  if (dom == NULL && g_ascii_string_to_unsigned (domain, 10, 0, G_MAXINT, &id, NULL))
    dom = virDomainLookupByID (conn, (int) id);
  if (dom == NULL)
    {
      set_error_from_libvirt (error, "virDomainLookupByName");
      virConnectClose (conn);
      return NULL;
    }
  self = g_object_new (QUIESCE_TYPE_TRANSPORT_LIBVIRT, NULL);
  self->conn = conn;
  self->dom = dom;
  self->uri = g_strdup (uri);
  self->name = g_strdup (domain);
  return QUIESCE_TRANSPORT (self);
#else
  g_return_val_if_fail (domain != NULL, NULL);
  g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
               "Cannot use libvirt URI '%s': this libquiesce-1 was built without the "
               "libvirt transport",
               uri != NULL ? uri : "(default)");
  return NULL;
#endif
}

/**
 * quiesce_transport_libvirt_get_domain_xml:
 * @self: a transport from quiesce_transport_libvirt_new()
 * @error: return location for a #GError
 *
 * The domain's XML as virDomainGetXMLDesc() gives it: the live XML (with
 * the PCI and drive addresses libvirt assigned) when the domain runs.
 * Feed it to quiesce_domain_new_from_xml() to resolve disk target names.
 *
 * Returns: (transfer full): the XML, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
quiesce_transport_libvirt_get_domain_xml (QuiesceTransport *self, GError **error)
{
#if HAVE_LIBVIRT
  QuiesceTransportLibvirt *lv;
  char *xml;
  char *copy;

  g_return_val_if_fail (G_TYPE_CHECK_INSTANCE_TYPE (self, QUIESCE_TYPE_TRANSPORT_LIBVIRT), NULL);
  lv = QUIESCE_TRANSPORT_LIBVIRT (self);
  xml = virDomainGetXMLDesc (lv->dom, 0);
  if (xml == NULL)
    {
      set_error_from_libvirt (error, "virDomainGetXMLDesc");
      return NULL;
    }
  copy = g_strdup (xml);
  free (xml);
  return copy;
#else
  g_return_val_if_fail (QUIESCE_IS_TRANSPORT (self), NULL);
  g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                       "This libquiesce-1 was built without the libvirt transport");
  return NULL;
#endif
}

/**
 * quiesce_transport_libvirt_create_disk_snapshot:
 * @self: a transport from quiesce_transport_libvirt_new()
 * @name: the snapshot's name, as libvirt will list it
 * @targets: (array zero-terminated=1): the target names of the disks to
 *   snapshot, e.g. `vda`; at least one
 * @error: return location for a #GError
 *
 * Creates an external disk-only snapshot of exactly @targets, with
 * metadata (virsh snapshot-list lists it): virDomainSnapshotCreateXML()
 * with %VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY and
 * %VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC, and never
 * %VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE: the caller holds its own freeze
 * (by handle), and libvirt's would freeze and then thaw every filesystem
 * of the guest.  Every other disk of the domain (from its live XML) is
 * given `snapshot='no'`, since a disk-only snapshot otherwise takes them
 * all.  libvirt chooses the overlays' names (next to each image, with
 * @name as suffix).
 *
 * The call blocks until libvirt is done and cannot be cancelled.
 *
 * Returns: %TRUE once libvirt made the snapshot; %FALSE with @error set
 *   (%QUIESCE_DOMAIN_ERROR_DISK_NOT_FOUND for a target the domain does
 *   not have; libvirt's message otherwise)
 *
 * Since: 0.1
 */
gboolean
quiesce_transport_libvirt_create_disk_snapshot (QuiesceTransport *self,
                                                const char *name,
                                                const char *const *targets,
                                                GError **error)
{
#if HAVE_LIBVIRT
  QuiesceTransportLibvirt *lv;
  g_autofree char *xml = NULL;
  g_autoptr(QuiesceDomain) domain = NULL;
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) snap_xml = g_string_new ("<domainsnapshot>\n");
  g_autofree char *escaped_name = NULL;
  GPtrArray *disks;
  virDomainSnapshotPtr snap;

  g_return_val_if_fail (G_TYPE_CHECK_INSTANCE_TYPE (self, QUIESCE_TYPE_TRANSPORT_LIBVIRT), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (targets != NULL && targets[0] != NULL, FALSE);
  lv = QUIESCE_TRANSPORT_LIBVIRT (self);

  if (name[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "A libvirt snapshot needs a name");
      return FALSE;
    }
  /* the live XML: every disk the domain has now, overlays included */
  xml = quiesce_transport_libvirt_get_domain_xml (self, error);
  if (xml == NULL)
    return FALSE;
  domain = quiesce_domain_new_from_xml (xml, -1, error);
  if (domain == NULL)
    return FALSE;
  for (guint i = 0; targets[i] != NULL; i++)
    {
      if (quiesce_domain_lookup_disk (domain, targets[i], error) == NULL)
        return FALSE;
      g_hash_table_add (wanted, (gpointer) targets[i]);
    }

  escaped_name = g_markup_escape_text (name, -1);
  g_string_append_printf (snap_xml, "  <name>%s</name>\n  <disks>\n", escaped_name);
  disks = quiesce_domain_get_disks (domain);
  for (guint i = 0; i < disks->len; i++)
    {
      const char *target = quiesce_domain_disk_get_target (g_ptr_array_index (disks, i));
      g_autofree char *escaped = NULL;

      if (target == NULL)
        continue;
      escaped = g_markup_escape_text (target, -1);
      g_string_append_printf (snap_xml, "    <disk name='%s' snapshot='%s'/>\n", escaped,
                              g_hash_table_contains (wanted, target) ? "external" : "no");
    }
  g_string_append (snap_xml, "  </disks>\n</domainsnapshot>\n");

  /* never VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE: see above */
  snap = virDomainSnapshotCreateXML (lv->dom, snap_xml->str,
                                     VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY |
                                         VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC);
  if (snap == NULL)
    {
      set_error_from_libvirt (error, "virDomainSnapshotCreateXML");
      g_prefix_error (error, "Cannot create the libvirt snapshot '%s': ", name);
      return FALSE;
    }
  virDomainSnapshotFree (snap);
  return TRUE;
#else
  g_return_val_if_fail (QUIESCE_IS_TRANSPORT (self), FALSE);
  g_set_error_literal (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_NOT_CONNECTED,
                       "This libquiesce-1 was built without the libvirt transport");
  return FALSE;
#endif
}
