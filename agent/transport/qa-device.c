/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-device.h"
#include "qw-error.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

struct _QaDevice
{
  char *path;
  QaChannel *channel;
};

char *
qa_device_find_port (const QaSysroot *sysroot, const char *name)
{
  g_autoptr (GPtrArray) ports = qa_sysroot_list_dir (sysroot, "/sys/class/virtio-ports");

  for (guint i = 0; i < ports->len; i++)
    {
      const char *port = g_ptr_array_index (ports, i);
      g_autofree char *attr = g_strdup_printf ("/sys/class/virtio-ports/%s/name", port);
      g_autofree char *pname = qa_sysroot_read_attr (sysroot, attr);

      if (g_strcmp0 (pname, name) == 0)
        return g_strdup_printf ("/dev/%s", port);
    }
  return NULL;
}

QaDevice *
qa_device_new (const QaSysroot *sysroot, const char *path, gsize max_message,
               QaChannelMessageFunc message_func, gpointer user_data, GError **error)
{
  g_autoptr (QaDevice) dev = g_new0 (QaDevice, 1);
  g_autofree char *full = qa_sysroot_path (sysroot, path);
  int fd;

  dev->path = g_strdup (path);
  if (access (full, F_OK) != 0 && g_str_has_prefix (path, "/dev/virtio-ports/"))
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *port = qa_device_find_port (sysroot, base);
      if (port != NULL)
        {
          g_info ("'%s' is missing (no udev?); using %s, the port named '%s'", path, port,
                  base);
          g_free (full);
          full = qa_sysroot_path (sysroot, port);
          g_free (dev->path);
          dev->path = g_steal_pointer (&port);
        }
    }
  fd = open (full, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      g_set_error (error, QW_ERROR, QW_ERROR_GENERIC, "Cannot open the channel '%s': %s",
                   dev->path, g_strerror (errno));
      return NULL;
    }
  dev->channel = qa_channel_new (fd, TRUE, max_message, dev->path);
  qa_channel_start (dev->channel, message_func, NULL, user_data);
  g_info ("serving on %s", dev->path);
  return g_steal_pointer (&dev);
}

void
qa_device_free (QaDevice *dev)
{
  if (dev == NULL)
    return;
  if (dev->channel != NULL)
    {
      qa_channel_close (dev->channel);
      qa_channel_unref (dev->channel);
    }
  g_free (dev->path);
  g_free (dev);
}
