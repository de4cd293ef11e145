/* SPDX-License-Identifier: GPL-2.0-or-later */
/* the informational commands: filesystems and disks, as qemu-ga shapes them */
#pragma once

#include "qa-dispatch.h"

G_BEGIN_DECLS

void qa_cmd_get_fsinfo (QaCall *call, JsonObject *args);
void qa_cmd_get_disks (QaCall *call, JsonObject *args);

G_END_DECLS
