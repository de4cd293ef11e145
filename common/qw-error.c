/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qw-error: the wire error classes as one static table */

#include "qw-error.h"

G_DEFINE_QUARK (qw-error-quark, qw_error)

/* in QwError order: qw_error_class_name() indexes it by code */
static const QwErrorClass qw_error_table[] = {
  { QW_ERROR_GENERIC, "GenericError",
    "the request was malformed or failed for a reason without a class of its own" },
  { QW_ERROR_COMMAND_NOT_FOUND, "CommandNotFound",
    "the command does not exist or is disabled while filesystems are frozen" },
  { QW_ERROR_DEVICE_NOT_FOUND, "DeviceNotFound",
    "no disk or freezable filesystem matches the request" },
  { QW_ERROR_HANDLE_NOT_FOUND, "HandleNotFound",
    "the freeze handle is unknown or was already released" },
  { QW_ERROR_HANDLE_EXPIRED, "HandleExpired",
    "the freeze handle passed its deadline and the agent thawed it" },
  { QW_ERROR_BUSY, "Busy",
    "a filesystem is already frozen by something outside the agent" },
  { QW_ERROR_FREEZE_FAILED, "FreezeFailed",
    "freezing a filesystem failed, and everything the call froze was thawed" },
  { QW_ERROR_LIMIT_EXCEEDED, "LimitExceeded",
    "a configured limit, such as the number of handles, was reached" },
  { QW_ERROR_PERMISSION_DENIED, "PermissionDenied",
    "the peer is not allowed to use this command" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (qw_error_table) == QW_ERROR_N_CLASSES);

const QwErrorClass *
qw_error_classes (gsize *n_classes)
{
  if (n_classes != NULL)
    *n_classes = G_N_ELEMENTS (qw_error_table);
  return qw_error_table;
}

const char *
qw_error_class_name (int code)
{
  if (code < 0 || code >= QW_ERROR_N_CLASSES)
    return qw_error_table[QW_ERROR_GENERIC].name;
  return qw_error_table[code].name;
}

gboolean
qw_error_class_from_name (const char *name, QwError *code)
{
  if (name != NULL)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (qw_error_table); i++)
        {
          if (g_strcmp0 (qw_error_table[i].name, name) == 0)
            {
              if (code != NULL)
                *code = qw_error_table[i].code;
              return TRUE;
            }
        }
    }
  if (code != NULL)
    *code = QW_ERROR_GENERIC;
  return FALSE;
}

QwError
qw_error_class_of (const GError *error)
{
  if (error == NULL || error->domain != QW_ERROR)
    return QW_ERROR_GENERIC;
  if (error->code < 0 || error->code >= QW_ERROR_N_CLASSES)
    return QW_ERROR_GENERIC;
  return (QwError) error->code;
}
