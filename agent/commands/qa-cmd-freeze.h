/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the freeze commands: qemu-ga's legacy ones and quiesce's handles */
#pragma once

#include "qa-dispatch.h"

G_BEGIN_DECLS

void qa_cmd_fsfreeze_status (QaCall *call, JsonObject *args);
void qa_cmd_fsfreeze_freeze (QaCall *call, JsonObject *args);
void qa_cmd_fsfreeze_freeze_list (QaCall *call, JsonObject *args);
void qa_cmd_fsfreeze_thaw (QaCall *call, JsonObject *args);
void qa_cmd_fsfreeze_acquire (QaCall *call, JsonObject *args);
void qa_cmd_fsfreeze_release (QaCall *call, JsonObject *args);
void qa_cmd_fsfreeze_renew (QaCall *call, JsonObject *args);
void qa_cmd_fsfreeze_handles (QaCall *call, JsonObject *args);
void qa_cmd_fsfreeze_resolve (QaCall *call, JsonObject *args);

G_END_DECLS
