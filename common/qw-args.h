/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-args: strict argument checking, declared as data.
 *
 * Every command declares its arguments as a {NULL}-terminated QwArgSpec
 * array.  qw_args_check() refuses unknown, missing and mistyped
 * arguments with qemu-ga's texts:
 *   Parameter 'x' is unexpected
 *   Parameter 'x' is missing
 *   Invalid parameter type for 'x', expected: integer|string|boolean|array|object
 * and enforces the declared limits.  Nested names read 'disks[0].serial'.
 * Unknown members are reported first, in the order sent, then the spec's
 * entries in table order.  A JSON null for an optional argument counts as
 * absent; for a required one it is a type error (QW_ARG_ANY takes it).
 * QW_ARG_OBJECT / QW_ARG_OBJECT_ARRAY with .members NULL take any object;
 * strings inside QW_ARG_STR_ARRAY are limited to QW_ARGS_DEFAULT_MAX_STR. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  QW_ARG_INT,          /* JSON integer (not a float, not a bool) */
  QW_ARG_BOOL,
  QW_ARG_STR,
  QW_ARG_OBJECT,       /* members checked against .members */
  QW_ARG_STR_ARRAY,    /* array of strings */
  QW_ARG_OBJECT_ARRAY, /* array of objects, each checked against .members */
  QW_ARG_ANY,          /* any JSON value */
} QwArgType;

#define QW_ARGS_DEFAULT_MAX_STR 4096      /* bytes */
#define QW_ARGS_DEFAULT_MAX_ENTRIES 256   /* array entries */

typedef struct _QwArgSpec QwArgSpec;
struct _QwArgSpec
{
  const char *name; /* NULL ends the table */
  QwArgType type;
  gboolean optional;
  /* QW_ARG_INT: inclusive range, checked when min < max */
  gint64 min;
  gint64 max;
  /* QW_ARG_STR (bytes) / arrays (entries); 0 means the default above */
  gsize max_len;
  /* QW_ARG_OBJECT / QW_ARG_OBJECT_ARRAY: the members, {NULL}-terminated */
  const QwArgSpec *members;
};

/* check args against spec; args NULL is an empty object */
gboolean qw_args_check (const QwArgSpec *spec, JsonObject *args, GError **error);

/* the name the spec uses in error texts: integer, string, boolean, ... */
const char *qw_arg_type_name (QwArgType type);

G_END_DECLS
