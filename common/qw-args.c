/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-args: command arguments checked against a declared table, with
 * qemu-ga's texts */

#include "qw-args.h"

#include <string.h>

#include "qw-error.h"

const char *
qw_arg_type_name (QwArgType type)
{
  switch (type)
    {
    case QW_ARG_INT:
      return "integer";
    case QW_ARG_BOOL:
      return "boolean";
    case QW_ARG_STR:
      return "string";
    case QW_ARG_OBJECT:
      return "object";
    case QW_ARG_STR_ARRAY:
    case QW_ARG_OBJECT_ARRAY:
      return "array";
    case QW_ARG_ANY:
      return "any";
    default:
      return "unknown";
    }
}

static gboolean
qw_args_type_error (const char *name, const char *expected, GError **error)
{
  g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Invalid parameter type for '%s', expected: %s",
               name, expected);
  return FALSE;
}

static gboolean
qw_args_holds (JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
qw_args_check_string (const char *name, JsonNode *node, gsize max_len, GError **error)
{
  if (!qw_args_holds (node, G_TYPE_STRING))
    return qw_args_type_error (name, "string", error);
  if (strlen (json_node_get_string (node)) > max_len)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "Parameter '%s' is longer than %" G_GSIZE_FORMAT " bytes", name, max_len);
      return FALSE;
    }
  return TRUE;
}

static gboolean qw_args_check_object (const QwArgSpec *spec,
                                      JsonObject *args,
                                      const char *prefix,
                                      GError **error);

static gboolean
qw_args_check_array (const QwArgSpec *entry, const char *name, JsonNode *node, GError **error)
{
  gsize max_entries = entry->max_len != 0 ? entry->max_len : QW_ARGS_DEFAULT_MAX_ENTRIES;
  JsonArray *array;
  guint n;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return qw_args_type_error (name, "array", error);
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > max_entries)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                   "Parameter '%s' has more than %" G_GSIZE_FORMAT " entries", name, max_entries);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *element_name = g_strdup_printf ("%s[%u]", name, i);

      if (entry->type == QW_ARG_STR_ARRAY)
        {
          if (!qw_args_check_string (element_name, element, QW_ARGS_DEFAULT_MAX_STR, error))
            return FALSE;
          continue;
        }
      if (!JSON_NODE_HOLDS_OBJECT (element))
        return qw_args_type_error (element_name, "object", error);
      if (entry->members != NULL &&
          !qw_args_check_object (entry->members, json_node_get_object (element), element_name,
                                 error))
        return FALSE;
    }
  return TRUE;
}

/* node is present and not null (or null for QW_ARG_ANY) */
static gboolean
qw_args_check_value (const QwArgSpec *entry, const char *name, JsonNode *node, GError **error)
{
  gint64 value;

  switch (entry->type)
    {
    case QW_ARG_INT:
      /* json-glib keeps integers as gint64 and 1.0 as a double */
      if (!qw_args_holds (node, G_TYPE_INT64))
        return qw_args_type_error (name, "integer", error);
      value = json_node_get_int (node);
      if (entry->min < entry->max && (value < entry->min || value > entry->max))
        {
          g_set_error (error, QW_ERROR, QW_ERROR_GENERIC,
                       "Parameter '%s' is out of range (%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
                       ")",
                       name, entry->min, entry->max);
          return FALSE;
        }
      return TRUE;
    case QW_ARG_BOOL:
      if (!qw_args_holds (node, G_TYPE_BOOLEAN))
        return qw_args_type_error (name, "boolean", error);
      return TRUE;
    case QW_ARG_STR:
      return qw_args_check_string (name, node,
                                   entry->max_len != 0 ? entry->max_len : QW_ARGS_DEFAULT_MAX_STR,
                                   error);
    case QW_ARG_OBJECT:
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return qw_args_type_error (name, "object", error);
      if (entry->members == NULL)
        return TRUE;
      return qw_args_check_object (entry->members, json_node_get_object (node), name, error);
    case QW_ARG_STR_ARRAY:
    case QW_ARG_OBJECT_ARRAY:
      return qw_args_check_array (entry, name, node, error);
    case QW_ARG_ANY:
      return TRUE;
    default:
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Parameter '%s' has no valid type", name);
      return FALSE;
    }
}

static const QwArgSpec *
qw_args_lookup (const QwArgSpec *spec, const char *name)
{
  for (const QwArgSpec *entry = spec; entry->name != NULL; entry++)
    {
      if (g_strcmp0 (entry->name, name) == 0)
        return entry;
    }
  return NULL;
}

/* prefix is NULL at top level, else "disks[0]" */
static gboolean
qw_args_check_object (const QwArgSpec *spec, JsonObject *args, const char *prefix, GError **error)
{
  /* unknown members first, in the order the client sent them, so the
   * text does not depend on hashing */
  if (args != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (args);

      for (GList *l = members; l != NULL; l = l->next)
        {
          const char *member = l->data;

          if (qw_args_lookup (spec, member) == NULL)
            {
              g_autofree char *name =
                prefix != NULL ? g_strdup_printf ("%s.%s", prefix, member) : g_strdup (member);

              g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Parameter '%s' is unexpected",
                           name);
              return FALSE;
            }
        }
    }

  for (const QwArgSpec *entry = spec; entry->name != NULL; entry++)
    {
      JsonNode *node = args != NULL ? json_object_get_member (args, entry->name) : NULL;
      g_autofree char *name = prefix != NULL ? g_strdup_printf ("%s.%s", prefix, entry->name)
                                             : g_strdup (entry->name);

      if (node == NULL)
        {
          if (entry->optional)
            continue;
          g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Parameter '%s' is missing", name);
          return FALSE;
        }
      /* null stands for an absent optional argument; for a required one
       * it is the wrong type (except where any value is allowed) */
      if (JSON_NODE_HOLDS_NULL (node) && entry->type != QW_ARG_ANY)
        {
          if (entry->optional)
            continue;
          return qw_args_type_error (name, qw_arg_type_name (entry->type), error);
        }
      if (!qw_args_check_value (entry, name, node, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * qw_args_check:
 * @spec: a {NULL}-terminated table
 * @args: (nullable): the request's arguments; %NULL is an empty object
 * @error: a #GError, or %NULL
 *
 * Checks unknown members first, then each entry of @spec in order.
 *
 * Returns: %TRUE if @args fits @spec
 */
gboolean
qw_args_check (const QwArgSpec *spec, JsonObject *args, GError **error)
{
  g_return_val_if_fail (spec != NULL, FALSE);
  return qw_args_check_object (spec, args, NULL, error);
}
