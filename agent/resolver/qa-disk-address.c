/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qa-disk-address.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* controller drivers whose PCI function is the "pci-controller" of the
 * disks behind them; bridges in between are walked past */
static const char *const controller_drivers[] = {
  "virtio-pci", "ahci", "ata_piix", "nvme", "sym53c8xx", "xhci_hcd", "ehci-pci", NULL,
};

gboolean
qa_disk_address_parse_bdf (const char *text, gint64 *domain, gint64 *bus, gint64 *slot,
                           gint64 *function)
{
  unsigned int d, b, s, f;
  char tail;

  /* exactly 4:2:2.1 hex digits */
  if (strlen (text) != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.')
    return FALSE;
  if (sscanf (text, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &tail) != 4)
    return FALSE;
  *domain = d;
  *bus = b;
  *slot = s;
  *function = f;
  return TRUE;
}

/* "H:C:T:L" */
static gboolean
parse_hctl (const char *text, gint64 *h, gint64 *c, gint64 *t, gint64 *l)
{
  g_auto (GStrv) parts = g_strsplit (text, ":", -1);
  gint64 v[4];

  if (g_strv_length (parts) != 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    if (!g_ascii_string_to_signed (parts[i], 10, 0, G_MAXINT32, &v[i], NULL))
      return FALSE;
  *h = v[0];
  *c = v[1];
  *t = v[2];
  *l = v[3];
  return TRUE;
}

static gint
cmp_port (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;
  /* ata2 before ata10 */
  return (int) (strtol (x + 3, NULL, 10) - strtol (y + 3, NULL, 10));
}

/* the position of the disk's ataN among the controller's ata ports: the
 * AHCI port (libvirt's unit) or the IDE channel (libvirt's bus) */
static gint64
port_index (const QaSysroot *sysroot, const char *controller_path, const char *port)
{
  g_autoptr (GPtrArray) names = qa_sysroot_list_dir (sysroot, controller_path);
  g_autoptr (GPtrArray) ports = g_ptr_array_new ();

  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      if (g_str_has_prefix (n, "ata") && g_ascii_isdigit (n[3]))
        g_ptr_array_add (ports, (gpointer) n);
    }
  g_ptr_array_sort (ports, cmp_port);
  for (guint i = 0; i < ports->len; i++)
    if (g_strcmp0 (g_ptr_array_index (ports, i), port) == 0)
      return i;
  return -1;
}

static char *
attr_nonempty (const QaSysroot *sysroot, const char *path)
{
  char *v = qa_sysroot_read_attr (sysroot, path);
  if (v != NULL && v[0] == '\0')
    g_clear_pointer (&v, g_free);
  return v;
}

/* SCSI VPD page 0x80: a 4-byte header, then the serial, space padded */
static char *
vpd_serial (const QaSysroot *sysroot, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/sys/class/block/%s/device/vpd_pg80", name);
  g_autofree char *data = NULL;
  gsize len = 0;
  gsize n;

  if (!qa_sysroot_read (sysroot, path, &data, &len, NULL) || len <= 4)
    return NULL;
  n = ((guint8) data[2] << 8) | (guint8) data[3];
  n = MIN (n, len - 4);
  {
    g_autofree char *s = g_strndup (data + 4, n);
    g_strstrip (s);
    if (s[0] == '\0' || !g_utf8_validate (s, -1, NULL))
      return NULL;
    return g_steal_pointer (&s);
  }
}

/* udev's database, only where sysfs has nothing */
static char *
udev_serial (const QaSysroot *sysroot, const char *name)
{
  g_autofree char *devattr = g_strdup_printf ("/sys/class/block/%s/dev", name);
  g_autofree char *majmin = qa_sysroot_read_attr (sysroot, devattr);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  char *full = NULL;

  if (majmin == NULL)
    return NULL;
  path = g_strdup_printf ("/run/udev/data/b%s", majmin);
  if (!qa_sysroot_read (sysroot, path, &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "E:ID_SERIAL_SHORT=") && lines[i][18] != '\0')
        {
          g_free (full);
          return g_strdup (lines[i] + 18);
        }
      if (full == NULL && g_str_has_prefix (lines[i], "E:ID_SERIAL=") && lines[i][12] != '\0')
        full = g_strdup (lines[i] + 12);
    }
  return full;
}

static void
fill_serial (const QaSysroot *sysroot, QaDisk *d)
{
  g_autofree char *p1 = g_strdup_printf ("/sys/class/block/%s/serial", d->name);
  g_autofree char *p2 = g_strdup_printf ("/sys/class/block/%s/device/serial", d->name);
  g_autofree char *w1 = g_strdup_printf ("/sys/class/block/%s/wwid", d->name);
  g_autofree char *w2 = g_strdup_printf ("/sys/class/block/%s/device/wwid", d->name);

  g_clear_pointer (&d->serial, g_free);
  d->serial = attr_nonempty (sysroot, p1); /* virtio-blk */
  if (d->serial == NULL)
    d->serial = attr_nonempty (sysroot, p2); /* NVMe (the controller's) */
  if (d->serial == NULL)
    d->serial = vpd_serial (sysroot, d->name); /* SCSI, SATA through libata */
  if (d->serial == NULL)
    d->serial = udev_serial (sysroot, d->name);
  if (d->wwn == NULL)
    d->wwn = attr_nonempty (sysroot, w1);
  if (d->wwn == NULL)
    d->wwn = attr_nonempty (sysroot, w2);
}

void
qa_disk_address_fill (const QaSysroot *sysroot, QaDisk *d)
{
  g_autofree char *link = g_strdup_printf ("/sys/class/block/%s", d->name);
  g_autofree char *real = qa_sysroot_resolve_link (sysroot, link);
  g_auto (GStrv) parts = NULL;
  g_autoptr (GString) prefix = g_string_new (NULL);
  g_autofree char *controller_path = NULL;
  const char *driver = NULL;
  const char *port = NULL;
  gint64 h = -1, c = -1, t = -1, l = -1;
  gboolean have_hctl = FALSE;

  if (g_str_has_prefix (d->name, "loop"))
    {
      g_free (d->bus_type);
      d->bus_type = g_strdup ("file-backed-virtual");
      return;
    }
  fill_serial (sysroot, d);
  if (real == NULL || strstr (real, "/devices/virtual/") != NULL)
    return;

  parts = g_strsplit (real, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gint64 dom, bus, slot, fn;

      if (parts[i][0] == '\0')
        continue;
      g_string_append_printf (prefix, "/%s", parts[i]);
      if (driver == NULL && qa_disk_address_parse_bdf (parts[i], &dom, &bus, &slot, &fn))
        {
          g_autofree char *drv_link = g_strdup_printf ("%s/driver", prefix->str);
          g_autofree char *drv_path = qa_sysroot_resolve_link (sysroot, drv_link);
          g_autofree char *drv = drv_path != NULL ? g_path_get_basename (drv_path) : NULL;

          /* the last PCI function seen stands in should no known driver
           * show up; a known one ends the walk */
          d->pci_domain = dom;
          d->pci_bus = bus;
          d->pci_slot = slot;
          d->pci_function = fn;
          if (drv != NULL && g_strv_contains (controller_drivers, drv))
            {
              driver = g_intern_string (drv);
              controller_path = g_strdup (prefix->str);
            }
          continue;
        }
      if (driver != NULL && port == NULL && g_str_has_prefix (parts[i], "ata")
          && g_ascii_isdigit (parts[i][3]))
        port = parts[i];
      if (!have_hctl && parse_hctl (parts[i], &h, &c, &t, &l))
        have_hctl = TRUE;
    }
  if (driver == NULL)
    return;

  g_free (d->bus_type);
  d->bus = d->target = d->unit = 0;
  if (g_strcmp0 (driver, "virtio-pci") == 0)
    {
      if (have_hctl)
        {
          /* virtio-scsi: the real target and the LUN (qemu-ga 7.2 reports
           * target 0 for every disk, which libvirt cannot tell apart) */
          d->bus_type = g_strdup ("scsi");
          d->target = t;
          d->unit = l;
        }
      else
        d->bus_type = g_strdup ("virtio");
    }
  else if (g_strcmp0 (driver, "ahci") == 0)
    {
      d->bus_type = g_strdup ("sata");
      d->unit = port != NULL ? port_index (sysroot, controller_path, port) : -1;
    }
  else if (g_strcmp0 (driver, "ata_piix") == 0)
    {
      d->bus_type = g_strdup ("ide");
      d->bus = port != NULL ? port_index (sysroot, controller_path, port) : -1;
      d->unit = have_hctl ? t : -1;
    }
  else if (g_strcmp0 (driver, "sym53c8xx") == 0)
    {
      d->bus_type = g_strdup ("scsi");
      d->unit = have_hctl ? t : -1;
    }
  else if (g_strcmp0 (driver, "nvme") == 0)
    d->bus_type = g_strdup ("nvme");
  else
    d->bus_type = g_strdup ("usb");
  (void) h;
  (void) c;
}
