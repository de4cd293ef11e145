/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "quiesce-error.h"

#include "qw-error.h"

/* the public enum mirrors common/'s table; a mismatch would silently
 * rename classes, so it is checked at build time */
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_GENERIC == (int) QW_ERROR_GENERIC);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_COMMAND_NOT_FOUND == (int) QW_ERROR_COMMAND_NOT_FOUND);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_DEVICE_NOT_FOUND == (int) QW_ERROR_DEVICE_NOT_FOUND);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_HANDLE_NOT_FOUND == (int) QW_ERROR_HANDLE_NOT_FOUND);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_HANDLE_EXPIRED == (int) QW_ERROR_HANDLE_EXPIRED);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_BUSY == (int) QW_ERROR_BUSY);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_FREEZE_FAILED == (int) QW_ERROR_FREEZE_FAILED);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_LIMIT_EXCEEDED == (int) QW_ERROR_LIMIT_EXCEEDED);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_PERMISSION_DENIED == (int) QW_ERROR_PERMISSION_DENIED);
G_STATIC_ASSERT ((int) QUIESCE_AGENT_ERROR_PERMISSION_DENIED + 1 == (int) QW_ERROR_N_CLASSES);

/**
 * quiesce_client_error_quark:
 *
 * Returns: the #GQuark of the %QUIESCE_CLIENT_ERROR domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (quiesce-client-error-quark, quiesce_client_error)

/**
 * quiesce_agent_error_quark:
 *
 * Returns: the #GQuark of the %QUIESCE_AGENT_ERROR domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (quiesce-agent-error-quark, quiesce_agent_error)

/**
 * quiesce_agent_error_to_string:
 * @code: a #QuiesceAgentError
 *
 * Gets the wire name of an error class, e.g. `HandleExpired`.
 *
 * Returns: (transfer none): the class name; `GenericError` for an unknown
 *   code
 *
 * Since: 0.1
 */
const char *
quiesce_agent_error_to_string (QuiesceAgentError code)
{
  return qw_error_class_name ((int) code);
}

/**
 * quiesce_agent_error_new_from_wire:
 * @class_name: the `class` member of an error reply
 * @desc: the `desc` member of an error reply
 *
 * Rebuilds an agent error from its wire form.  A class this library does
 * not know becomes %QUIESCE_AGENT_ERROR_GENERIC and keeps its name in the
 * message, as "CLASS: DESC", so nothing the agent said is lost.
 *
 * Returns: (transfer full): a new #GError in %QUIESCE_AGENT_ERROR
 *
 * Since: 0.1
 */
GError *
quiesce_agent_error_new_from_wire (const char *class_name, const char *desc)
{
  QwError code = QW_ERROR_GENERIC;

  g_return_val_if_fail (class_name != NULL, NULL);
  g_return_val_if_fail (desc != NULL, NULL);

  if (!qw_error_class_from_name (class_name, &code))
    return g_error_new (QUIESCE_AGENT_ERROR, QUIESCE_AGENT_ERROR_GENERIC, "%s: %s", class_name, desc);
  return g_error_new_literal (QUIESCE_AGENT_ERROR, (gint) code, desc);
}

/* internal reply validation (see quiesce-error.h) */

static JsonNode *
member_or_null (JsonObject *obj,
                const char *what,
                const char *member,
                gboolean required,
                GError **error,
                gboolean *ok)
{
  JsonNode *node = json_object_get_member (obj, member);

  *ok = TRUE;
  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    node = NULL;
  if (node == NULL && required)
    {
      g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
                   "The agent's %s lacks member '%s'", what, member);
      *ok = FALSE;
    }
  return node;
}

static gboolean
bad_type (const char *what, const char *member, const char *type, GError **error)
{
  g_set_error (error, QUIESCE_CLIENT_ERROR, QUIESCE_CLIENT_ERROR_BAD_REPLY,
               "The agent's %s member '%s' is not %s", what, member, type);
  return FALSE;
}

gboolean
qh_json_get_string (JsonObject *obj, const char *what, const char *member,
                    gboolean required, const char **out, GError **error)
{
  gboolean ok;
  JsonNode *node = member_or_null (obj, what, member, required, error, &ok);

  *out = NULL;
  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return bad_type (what, member, "a string", error);
  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
qh_json_get_int (JsonObject *obj, const char *what, const char *member,
                 gboolean required, gint64 *out, GError **error)
{
  gboolean ok;
  JsonNode *node = member_or_null (obj, what, member, required, error, &ok);

  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return bad_type (what, member, "an integer", error);
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
qh_json_get_gint (JsonObject *obj, const char *what, const char *member,
                  gboolean required, gint *out, GError **error)
{
  gint64 v = *out;

  if (!qh_json_get_int (obj, what, member, required, &v, error))
    return FALSE;
  if (v < G_MININT || v > G_MAXINT)
    return bad_type (what, member, "a 32-bit integer", error);
  *out = (gint) v;
  return TRUE;
}

gboolean
qh_json_get_bool (JsonObject *obj, const char *what, const char *member,
                  gboolean required, gboolean *out, GError **error)
{
  gboolean ok;
  JsonNode *node = member_or_null (obj, what, member, required, error, &ok);

  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return bad_type (what, member, "a boolean", error);
  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
qh_json_get_object (JsonObject *obj, const char *what, const char *member,
                    gboolean required, JsonObject **out, GError **error)
{
  gboolean ok;
  JsonNode *node = member_or_null (obj, what, member, required, error, &ok);

  *out = NULL;
  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad_type (what, member, "an object", error);
  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
qh_json_get_array (JsonObject *obj, const char *what, const char *member,
                   gboolean required, JsonArray **out, GError **error)
{
  gboolean ok;
  JsonNode *node = member_or_null (obj, what, member, required, error, &ok);

  *out = NULL;
  if (node == NULL)
    return ok;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return bad_type (what, member, "an array", error);
  *out = json_node_get_array (node);
  return TRUE;
}

/* an array of strings; *out is an empty vector when optional and absent */
gboolean
qh_json_get_strv (JsonObject *obj, const char *what, const char *member,
                  gboolean required, GStrv *out, GError **error)
{
  JsonArray *array = NULL;
  g_autoptr(GPtrArray) strv = g_ptr_array_new_with_free_func (g_free);

  *out = NULL;
  if (!qh_json_get_array (obj, what, member, required, &array, error))
    return FALSE;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return bad_type (what, member, "an array of strings", error);
      g_ptr_array_add (strv, g_strdup (json_node_get_string (node)));
    }
  g_ptr_array_add (strv, NULL);
  *out = (GStrv) g_ptr_array_free (g_steal_pointer (&strv), FALSE);
  return TRUE;
}
