/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qa-device: the virtio-serial port the host's QEMU chardev talks to.
 *
 * /dev/virtio-ports/NAME is a udev symlink; a guest without udev has only
 * /dev/vportNpM, so when the path is missing the port is found by its name
 * under /sys/class/virtio-ports. */
#pragma once

#include "qa-channel.h"
#include "qa-sysroot.h"

G_BEGIN_DECLS

#define QA_DEFAULT_DEVICE "/dev/virtio-ports/org.qemu.guest_agent.0"

typedef struct _QaDevice QaDevice;

QaDevice *qa_device_new (const QaSysroot *sysroot, const char *path, gsize max_message,
                         QaChannelMessageFunc message_func, gpointer user_data,
                         GError **error);
void qa_device_free (QaDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (QaDevice, qa_device_free)

/* the /dev/vportNpM node of a named port, or NULL */
char *qa_device_find_port (const QaSysroot *sysroot, const char *name);

G_END_DECLS
