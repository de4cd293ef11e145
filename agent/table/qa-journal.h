/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-journal: the freeze table on disk, written atomically.
 *
 * The whole table is one JSON document, replaced with write-to-temp and
 * rename, so a crash of the agent leaves either the old or the new
 * table, never a torn one.  The table calls this before every reply that
 * depends on a change, and before it freezes anything new (so a crash in
 * the middle of a freeze still leaves a record with a deadline). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _QaJournal QaJournal;

QaJournal *qa_journal_new (const char *state_dir);
void qa_journal_free (QaJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaJournal, qa_journal_free)

const char *qa_journal_path (const QaJournal *journal);

gboolean qa_journal_save (QaJournal *journal, JsonNode *table, GError **error);

/* NULL with no error when there is no journal yet */
JsonNode *qa_journal_load (QaJournal *journal, GError **error);

/* writes so far, for benchmarks and logs */
guint64 qa_journal_writes (const QaJournal *journal);

G_END_DECLS
