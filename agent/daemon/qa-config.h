/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-config: the agent's settings, as given on the command line */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char **listen;       /* "unix:PATH" */
  char *device;        /* virtio-serial path; NULL: default unless --listen */
  char *state_dir;
  char *sysroot;
  char *only_under;
  char **exclude;
  GArray *allow_uids;  /* uid_t */
  gint64 max_handles;
  gint64 max_timeout;
  gint64 default_timeout;
  gint64 legacy_timeout;
  gint64 max_message;
  gint64 max_clients;
  gint64 max_entries;
  gint64 freeze_threads;
  char *hook_dir;
  char *fsfreeze_hook;
  gint64 hook_timeout;
  char *pidfile;
  gboolean daemonize;
  gboolean syslog;
  gint verbose;
} QaConfig;

G_END_DECLS
