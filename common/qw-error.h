/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-error: the error classes that cross the wire, as a table.
 *
 * A GError in the QW_ERROR domain carries one class; its code is the
 * QwError value and its message the reply's "desc".  The class names are
 * stable wire names (DESIGN.md section 3.2). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  QW_ERROR_GENERIC = 0,      /* GenericError */
  QW_ERROR_COMMAND_NOT_FOUND, /* CommandNotFound */
  QW_ERROR_DEVICE_NOT_FOUND, /* DeviceNotFound */
  QW_ERROR_HANDLE_NOT_FOUND, /* HandleNotFound */
  QW_ERROR_HANDLE_EXPIRED,   /* HandleExpired */
  QW_ERROR_BUSY,             /* Busy */
  QW_ERROR_FREEZE_FAILED,    /* FreezeFailed */
  QW_ERROR_LIMIT_EXCEEDED,   /* LimitExceeded */
  QW_ERROR_PERMISSION_DENIED, /* PermissionDenied */
  QW_ERROR_N_CLASSES
} QwError;

typedef struct
{
  QwError code;
  const char *name;    /* the wire name, e.g. "HandleExpired" */
  const char *summary; /* one line for man pages and --help */
} QwErrorClass;

#define QW_ERROR (qw_error_quark ())
GQuark qw_error_quark (void);

/* the whole table, in QwError order; *n_classes gets its length */
const QwErrorClass *qw_error_classes (gsize *n_classes);

/* wire name of a code; unknown codes map to "GenericError" */
const char *qw_error_class_name (int code);

/* code of a wire name; FALSE (and *code = QW_ERROR_GENERIC) if unknown */
gboolean qw_error_class_from_name (const char *name, QwError *code);

/* the class of any GError: its code when in QW_ERROR, else GenericError */
QwError qw_error_class_of (const GError *error);

G_END_DECLS
