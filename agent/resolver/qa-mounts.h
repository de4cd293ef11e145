/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-mounts: parse /proc/self/mountinfo text (pure; see proc(5)). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint id;
  guint parent_id;
  guint major;
  guint minor;
  char *root;       /* octal escapes decoded */
  char *mountpoint; /* octal escapes decoded */
  char *options;
  char *fstype;
  char *source; /* octal escapes decoded */
  char *super_options;
} QaMount;

void qa_mount_free (QaMount *mount);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaMount, qa_mount_free)

/* mounts in file (= mount) order; malformed lines are an error that names
 * the line, because a half-read table could let a filesystem be missed */
GPtrArray *qa_mounts_parse (const char *text, GError **error);

/* decode mountinfo's \ooo escapes (space, tab, newline, backslash) */
char *qa_mounts_unescape (const char *s);

G_END_DECLS
