/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libquiesce-1: the host side of quiesce.  Include only this header. */
#pragma once

#define __QUIESCE_H_INSIDE__

#include "quiesce-client.h"
#include "quiesce-disk.h"
#include "quiesce-error.h"
#include "quiesce-filesystem.h"
#include "quiesce-freeze.h"
#include "quiesce-handle.h"
#include "quiesce-keepalive.h"
#include "quiesce-lease.h"
#include "quiesce-snapshot.h"
#include "quiesce-transport.h"
#include "quiesce-transport-libvirt.h"
#include "quiesce-disk-spec.h"
#include "quiesce-domain.h"
#include "quiesce-domain-disk.h"

#undef __QUIESCE_H_INSIDE__
