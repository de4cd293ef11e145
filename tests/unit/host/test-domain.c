/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QuiesceDomain over the recorded libvirt 9.0 domain XMLs in
 * tests/data/domains: what is read from each disk, the DiskSpec of each
 * bus type (golden JSON), libvirt's mapping of guest-get-fsinfo disks
 * back to targets, bad XML, and the explicit KEY:VALUE disk identity */
#include <check.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "quiesce-disk-spec.h"
#include "quiesce-domain.h"

#ifndef QH_DOMAINS_DIR
#error "QH_DOMAINS_DIR must name tests/data/domains"
#endif

static QuiesceDomain *
load_fixture (const char *file)
{
  g_autofree char *path = g_build_filename (QH_DOMAINS_DIR, file, NULL);
  g_autoptr(GError) error = NULL;
  QuiesceDomain *domain = quiesce_domain_new_from_file (path, &error);

  ck_assert_msg (domain != NULL, "%s: %s", file, error != NULL ? error->message : "?");
  return domain;
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_node_set_object (node, object);
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static JsonObject *
json_parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  ck_assert_msg (json_parser_load_from_data (parser, text, -1, &error), "bad test JSON %s: %s",
                 text, error != NULL ? error->message : "?");
  ck_assert (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* one line per disk with every field that is set, so a whole fixture is
 * compared at once and a difference shows which field broke */
static char *
describe_disk (QuiesceDomainDisk *disk)
{
  GString *out = g_string_new (quiesce_domain_disk_get_target (disk));
  const struct
  {
    const char *label;
    const char *value;
  } fields[] = {
    { "bus", quiesce_domain_disk_get_bus (disk) },
    { "device", quiesce_domain_disk_get_device (disk) },
    { "type", quiesce_domain_disk_get_source_type (disk) },
    { "source", quiesce_domain_disk_get_source (disk) },
    { "pool", quiesce_domain_disk_get_source_pool (disk) },
    { "volume", quiesce_domain_disk_get_source_volume (disk) },
    { "protocol", quiesce_domain_disk_get_source_protocol (disk) },
    { "driver", quiesce_domain_disk_get_driver_type (disk) },
    { "serial", quiesce_domain_disk_get_serial (disk) },
    { "wwn", quiesce_domain_disk_get_wwn (disk) },
    { "alias", quiesce_domain_disk_get_alias (disk) },
  };
  guint d, b, s, f, c, t, u;

  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      if (fields[i].value != NULL)
        g_string_append_printf (out, " %s=%s", fields[i].label, fields[i].value);
    }
  if (quiesce_domain_disk_is_removable (disk))
    g_string_append (out, " removable");
  if (quiesce_domain_disk_get_pci_address (disk, &d, &b, &s, &f))
    g_string_append_printf (out, " pci=%04x:%02x:%02x.%x", d, b, s, f);
  else if (quiesce_domain_disk_get_drive_address (disk, &c, &b, &t, &u))
    g_string_append_printf (out, " drive=%u:%u:%u:%u", c, b, t, u);
  else if (quiesce_domain_disk_get_address_type (disk) != NULL)
    g_string_append_printf (out, " address=%s", quiesce_domain_disk_get_address_type (disk));
  if (quiesce_domain_disk_get_controller_model (disk) != NULL)
    g_string_append_printf (out, " model=%s", quiesce_domain_disk_get_controller_model (disk));
  if (quiesce_domain_disk_get_controller_pci_address (disk, &d, &b, &s, &f))
    g_string_append_printf (out, " controller=%04x:%02x:%02x.%x", d, b, s, f);
  return g_string_free (out, FALSE);
}

/* ---- every fixture, every disk ---------------------------------------- */

typedef struct
{
  const char *file;
  const char *name;
  const char *disks[8]; /* describe_disk() of each, in XML order; NULL ends */
} FixtureCase;

#define IMG "/tmp/qfix/img/"

static const FixtureCase fixture_cases[] = {
  /* virtio-blk: PCI-addressed, no controller */
  { "virtio-blk.xml",
    "fix-virtio-blk",
    { "vda bus=virtio device=disk type=file source=" IMG "a.qcow2 driver=qcow2 serial=DISK-A "
      "alias=virtio-disk0 pci=0000:03:00.0",
      "vdb bus=virtio device=disk type=file source=" IMG "b.qcow2 driver=qcow2 serial=DISK-B "
      "alias=virtio-disk1 pci=0000:04:00.0",
      "vdc bus=virtio device=disk type=file source=" IMG "c.qcow2 driver=qcow2 "
      "alias=virtio-disk2 pci=0000:05:00.0" } },
  /* virtio-scsi: drive addresses resolved to the HBA's PCI address */
  { "virtio-scsi.xml",
    "fix-virtio-scsi",
    { "sda bus=scsi device=disk type=file source=" IMG "s1.qcow2 driver=qcow2 serial=DISK-S "
      "alias=scsi0-0-0-0 drive=0:0:0:0 model=virtio-scsi controller=0000:01:00.0",
      "sdb bus=scsi device=disk type=file source=" IMG "s2.qcow2 driver=qcow2 "
      "wwn=5000c50015ea71ad alias=scsi0-0-1-2 drive=0:0:1:2 model=virtio-scsi "
      "controller=0000:01:00.0",
      "sdc bus=scsi device=disk type=file source=" IMG "s3.qcow2 driver=qcow2 "
      "alias=scsi0-0-2-0 drive=0:0:2:0 model=virtio-scsi controller=0000:01:00.0" } },
  /* sata: q35's AHCI at 00:1f.2, which has no model attribute */
  { "sata.xml",
    "fix-sata",
    { "sda bus=sata device=disk type=file source=" IMG "t1.qcow2 driver=qcow2 serial=SATA-1 "
      "alias=sata0-0-0 drive=0:0:0:0 controller=0000:00:1f.2",
      "sdb bus=sata device=disk type=file source=" IMG "t2.qcow2 driver=qcow2 alias=sata0-0-1 "
      "drive=0:0:0:1 controller=0000:00:1f.2",
      "sdc bus=sata device=cdrom type=file source=" IMG "cd.iso driver=raw alias=sata0-0-2 "
      "removable drive=0:0:0:2 controller=0000:00:1f.2" } },
  /* ide on i440fx: PIIX3 IDE at 00:01.1; the empty cdrom has no source */
  { "ide.xml",
    "fix-ide",
    { "hda bus=ide device=disk type=file source=" IMG "i1.qcow2 driver=qcow2 serial=IDE-1 "
      "alias=ide0-0-0 drive=0:0:0:0 controller=0000:00:01.1",
      "hdb bus=ide device=disk type=file source=" IMG "i2.qcow2 driver=qcow2 alias=ide0-0-1 "
      "drive=0:0:0:1 controller=0000:00:01.1",
      "hdc bus=ide device=cdrom type=file alias=ide0-1-0 removable drive=0:1:0:0 "
      "controller=0000:00:01.1" } },
  /* file, block and volume sources, and a cdrom */
  { "sources.xml",
    "fix-sources",
    { "vda bus=virtio device=disk type=file source=" IMG "a2.qcow2 driver=qcow2 serial=ROOT "
      "alias=virtio-disk0 pci=0000:03:00.0",
      "vdb bus=virtio device=disk type=block source=/dev/loop0 driver=raw serial=BLOCK-1 "
      "alias=virtio-disk1 pci=0000:04:00.0",
      "vdc bus=virtio device=disk type=volume source=fixpool/data.qcow2 pool=fixpool "
      "volume=data.qcow2 driver=qcow2 alias=virtio-disk2 pci=0000:05:00.0",
      "sda bus=sata device=cdrom type=file source=" IMG "cd.iso driver=raw alias=sata0-0-0 "
      "removable drive=0:0:0:0 controller=0000:00:1f.2" } },
  /* network and host-nvme sources, a SCSI lun, usb, a floppy; the nvme
   * disk's host address (0000:81:00.0) and the backing store's source
   * must not leak into the disk */
  { "other-sources.xml",
    "fix-other-sources",
    { "vda bus=virtio device=disk type=network source=rbdpool/vm-disk-1 protocol=rbd "
      "driver=raw serial=RBD-1 pci=0000:03:00.0",
      "vdb bus=virtio device=disk type=nvme driver=raw pci=0000:04:00.0",
      "sda bus=scsi device=lun type=block source=/dev/loop0 driver=raw drive=0:0:0:0 "
      "model=virtio-scsi controller=0000:01:00.0",
      "sdb bus=usb device=disk type=file source=" IMG "a.qcow2 driver=qcow2 serial=USB-1 "
      "address=usb model=qemu-xhci controller=0000:02:00.0",
      "fda bus=fdc device=floppy type=file driver=raw removable drive=0:0:0:0" } },
};

START_TEST (test_fixture)
{
  const FixtureCase *fc = &fixture_cases[_i];
  g_autoptr(QuiesceDomain) domain = load_fixture (fc->file);
  GPtrArray *disks = quiesce_domain_get_disks (domain);
  guint expected = 0;

  ck_assert_str_eq (quiesce_domain_get_name (domain), fc->name);
  while (expected < G_N_ELEMENTS (fc->disks) && fc->disks[expected] != NULL)
    expected++;
  ck_assert_msg (disks->len == expected, "%s: %u disks, expected %u", fc->file, disks->len,
                 expected);
  for (guint i = 0; i < disks->len; i++)
    {
      g_autofree char *got = describe_disk (g_ptr_array_index (disks, i));

      ck_assert_msg (g_strcmp0 (got, fc->disks[i]) == 0,
                     "%s disk %u:\n got      <%s>\n expected <%s>", fc->file, i, got,
                     fc->disks[i]);
    }
}
END_TEST

/* ---- DiskSpecs -------------------------------------------------------- */

typedef struct
{
  const char *file;
  const char *target;
  const char *spec; /* golden JSON, or NULL for an error */
  const char *error; /* a substring of the error message */
} SpecCase;

/* compact JSON of the PCI address d:b:s.f */
#define PCI(d, b, s, f) \
  "{\"domain\":" #d ",\"bus\":" #b ",\"slot\":" #s ",\"function\":" #f "}"

static const SpecCase spec_cases[] = {
  /* a serial wins over everything */
  { "virtio-blk.xml", "vda", "{\"serial\":\"DISK-A\",\"name\":\"vda\"}" },
  /* virtio-blk without serial: the disk's own PCI function */
  { "virtio-blk.xml", "vdc", "{\"bus-type\":\"virtio\",\"pci-controller\":" PCI (0, 5, 0, 0)
                             ",\"name\":\"vdc\"}" },
  { "virtio-scsi.xml", "sda", "{\"serial\":\"DISK-S\",\"name\":\"sda\"}" },
  /* no serial: the wwn */
  { "virtio-scsi.xml", "sdb", "{\"wwn\":\"5000c50015ea71ad\",\"name\":\"sdb\"}" },
  /* virtio-scsi: the HBA, SCSI id and LUN; no bus (the channel) */
  { "virtio-scsi.xml", "sdc", "{\"bus-type\":\"scsi\",\"pci-controller\":" PCI (0, 1, 0, 0)
                              ",\"target\":2,\"unit\":0,\"name\":\"sdc\"}" },
  /* sata: the AHCI function and the port as unit */
  { "sata.xml", "sdb", "{\"bus-type\":\"sata\",\"pci-controller\":" PCI (0, 0, 31, 2)
                       ",\"unit\":1,\"name\":\"sdb\"}" },
  { "sata.xml", "sdc", "{\"bus-type\":\"sata\",\"pci-controller\":" PCI (0, 0, 31, 2)
                       ",\"unit\":2,\"name\":\"sdc\"}" },
  /* ide: the IDE function, channel as bus, master/slave as unit */
  { "ide.xml", "hda", "{\"serial\":\"IDE-1\",\"name\":\"hda\"}" },
  { "ide.xml", "hdb", "{\"bus-type\":\"ide\",\"pci-controller\":" PCI (0, 0, 1, 1)
                      ",\"bus\":0,\"unit\":1,\"name\":\"hdb\"}" },
  { "ide.xml", "hdc", "{\"bus-type\":\"ide\",\"pci-controller\":" PCI (0, 0, 1, 1)
                      ",\"bus\":1,\"unit\":0,\"name\":\"hdc\"}" },
  { "sources.xml", "vdb", "{\"serial\":\"BLOCK-1\",\"name\":\"vdb\"}" },
  { "sources.xml", "vdc", "{\"bus-type\":\"virtio\",\"pci-controller\":" PCI (0, 5, 0, 0)
                          ",\"name\":\"vdc\"}" },
  /* the guest's address of a host-nvme disk, not the host's 81:00.0 */
  { "other-sources.xml", "vdb", "{\"bus-type\":\"virtio\",\"pci-controller\":" PCI (0, 4, 0, 0)
                                ",\"name\":\"vdb\"}" },
  { "other-sources.xml", "sda", "{\"bus-type\":\"scsi\",\"pci-controller\":" PCI (0, 1, 0, 0)
                                ",\"target\":0,\"unit\":0,\"name\":\"sda\"}" },
  { "other-sources.xml", "sdb", "{\"serial\":\"USB-1\",\"name\":\"sdb\"}" },
  /* the fdc has no PCI address: nothing the agent reports */
  { "other-sources.xml", "fda", NULL, "Disk 'fda' has no serial, wwn or address" },
};

START_TEST (test_spec)
{
  const SpecCase *sc = &spec_cases[_i];
  g_autoptr(QuiesceDomain) domain = load_fixture (sc->file);
  g_autoptr(GError) error = NULL;
  QuiesceDomainDisk *disk = quiesce_domain_lookup_disk (domain, sc->target, &error);
  g_autoptr(JsonObject) spec = NULL;

  ck_assert_msg (disk != NULL, "%s", error != NULL ? error->message : "?");
  spec = quiesce_domain_disk_to_spec (disk, &error);
  if (sc->spec != NULL)
    {
      g_autofree char *got = NULL;

      ck_assert_msg (spec != NULL, "%s %s: %s", sc->file, sc->target,
                     error != NULL ? error->message : "?");
      got = object_to_string (spec);
      ck_assert_str_eq (got, sc->spec);
    }
  else
    {
      ck_assert_msg (spec == NULL, "%s %s: a spec where an error was expected", sc->file,
                     sc->target);
      ck_assert (g_error_matches (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_NO_IDENTITY));
      ck_assert_msg (strstr (error->message, sc->error) != NULL, "%s", error->message);
    }
}
END_TEST

/* written by hand, shaped as libvirt writes them: a usb disk, a scsi
 * disk whose controller has no PCI address, and an NVMe namespace in the
 * form of libvirt releases after 9.0 (9.0 refuses bus='nvme'; the
 * <address type='drive'> on an nvme controller is a guess at that form) */
static const char usb_xml[] =
  "<domain type='kvm'>\n"
  "  <name>hand</name>\n"
  "  <devices>\n"
  "    <disk type='file' device='disk'>\n"
  "      <source file='/img/u.raw'/>\n"
  "      <target dev='sdb' bus='usb'/>\n"
  "      <address type='usb' bus='1' port='1'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='disk'>\n"
  "      <source file='/img/s.raw'/>\n"
  "      <target dev='sdc' bus='scsi'/>\n"
  "      <serial>BOTH</serial>\n"
  "      <wwn>5000c50015ea71ae</wwn>\n"
  "      <address type='drive' controller='1' bus='0' target='0' unit='0'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='disk'>\n"
  "      <source file='/img/t.raw'/>\n"
  "      <target dev='sdd' bus='scsi'/>\n"
  "      <address type='drive' controller='1' bus='0' target='0' unit='1'/>\n"
  "    </disk>\n"
  "    <controller type='usb' index='0' model='qemu-xhci'>\n"
  "      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>\n"
  "    </controller>\n"
  "    <controller type='usb' index='1' model='qemu-xhci'>\n"
  "      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>\n"
  "    </controller>\n"
  "    <disk type='file' device='disk'>\n"
  "      <source file='/img/n.raw'/>\n"
  "      <target dev='nvme0n1' bus='nvme'/>\n"
  "      <address type='drive' controller='0' bus='0' target='0' unit='1'/>\n"
  "    </disk>\n"
  "    <controller type='scsi' index='1' model='virtio-scsi'/>\n"
  "    <controller type='nvme' index='0'>\n"
  "      <address type='pci' domain='0x0000' bus='0x08' slot='0x00' function='0x0'/>\n"
  "    </controller>\n"
  "  </devices>\n"
  "</domain>\n";

START_TEST (test_spec_hand)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(QuiesceDomain) domain = quiesce_domain_new_from_xml (usb_xml, -1, &error);
  g_autoptr(JsonObject) usb = NULL;
  g_autoptr(JsonObject) both = NULL;
  g_autoptr(JsonObject) none = NULL;
  g_autoptr(JsonObject) nvme = NULL;
  g_autoptr(JsonObject) guest = NULL;
  g_autofree char *usb_text = NULL;
  g_autofree char *both_text = NULL;
  g_autofree char *nvme_text = NULL;

  ck_assert_msg (domain != NULL, "%s", error != NULL ? error->message : "?");
  /* usb bus 1 is the second xhci, at 07:00.0 */
  usb = quiesce_domain_disk_to_spec (quiesce_domain_lookup_disk (domain, "sdb", NULL), NULL);
  ck_assert (usb != NULL);
  usb_text = object_to_string (usb);
  ck_assert_str_eq (usb_text, "{\"bus-type\":\"usb\",\"pci-controller\":" PCI (0, 7, 0, 0)
                              ",\"name\":\"sdb\"}");
  /* serial before wwn */
  both = quiesce_domain_disk_to_spec (quiesce_domain_lookup_disk (domain, "sdc", NULL), NULL);
  ck_assert (both != NULL);
  both_text = object_to_string (both);
  ck_assert_str_eq (both_text, "{\"serial\":\"BOTH\",\"name\":\"sdc\"}");
  /* a controller without a PCI address gives no identity */
  none = quiesce_domain_disk_to_spec (quiesce_domain_lookup_disk (domain, "sdd", NULL), &error);
  ck_assert (none == NULL);
  ck_assert (g_error_matches (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_NO_IDENTITY));
  ck_assert (!quiesce_domain_disk_get_controller_pci_address (
    quiesce_domain_lookup_disk (domain, "sdd", NULL), NULL, NULL, NULL, NULL));
  ck_assert_str_eq (quiesce_domain_disk_get_controller_model (
                      quiesce_domain_lookup_disk (domain, "sdd", NULL)),
                    "virtio-scsi");
  g_clear_error (&error);

  /* nvme: the controller function only; the agent reports unit 0 */
  nvme = quiesce_domain_disk_to_spec (quiesce_domain_lookup_disk (domain, "nvme0n1", NULL),
                                      &error);
  ck_assert_msg (nvme != NULL, "%s", error != NULL ? error->message : "?");
  nvme_text = object_to_string (nvme);
  ck_assert_str_eq (nvme_text, "{\"bus-type\":\"nvme\",\"pci-controller\":" PCI (0, 8, 0, 0)
                               ",\"name\":\"nvme0n1\"}");

  /* libvirt 9.0's rule knows scsi, sata, ide and fdc only: no nvme match
   * by address */
  guest = json_parse_object ("{\"bus-type\":\"nvme\",\"bus\":0,\"target\":0,\"unit\":1,"
                             "\"pci-controller\":{\"domain\":0,\"bus\":8,\"slot\":0,"
                             "\"function\":0}}");
  ck_assert (quiesce_domain_match_fsinfo_disk (domain, guest) == NULL);
  g_clear_pointer (&guest, json_object_unref);

  /* a controller without a PCI address is not 0000:00:00.0 */
  guest = json_parse_object ("{\"bus-type\":\"scsi\",\"bus\":0,\"target\":0,\"unit\":1,"
                             "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":0,"
                             "\"function\":0}}");
  ck_assert (quiesce_domain_match_fsinfo_disk (domain, guest) == NULL);
}
END_TEST

START_TEST (test_lookup_unknown)
{
  g_autoptr(QuiesceDomain) domain = load_fixture ("virtio-blk.xml");
  g_autoptr(QuiesceDomain) empty = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert (quiesce_domain_lookup_disk (domain, "vdz", &error) == NULL);
  ck_assert (g_error_matches (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_DISK_NOT_FOUND));
  ck_assert_str_eq (error->message,
                    "Domain 'fix-virtio-blk' has no disk 'vdz'; its disks are: vda, vdb, vdc");
  g_clear_error (&error);

  empty = quiesce_domain_new_from_xml ("<domain><name>bare</name><devices/></domain>", -1, &error);
  ck_assert (empty != NULL);
  ck_assert_uint_eq (quiesce_domain_get_disks (empty)->len, 0);
  ck_assert (quiesce_domain_lookup_disk (empty, "vda", &error) == NULL);
  ck_assert_str_eq (error->message, "Domain 'bare' has no disk 'vda': it has no disks at all");
}
END_TEST

/* ---- guest-get-fsinfo disks back to targets --------------------------- */

typedef struct
{
  const char *file;
  const char *guest_disk; /* one GuestDiskAddress, as the agent sends it */
  const char *target;     /* expected, or NULL */
} MatchCase;

static const MatchCase match_cases[] = {
  /* qemu-ga's shape (REFERENCE.md), serial first */
  { "virtio-blk.xml",
    "{\"serial\":\"DISK-A\",\"bus-type\":\"virtio\",\"bus\":0,\"unit\":0,"
    "\"pci-controller\":{\"bus\":3,\"slot\":0,\"domain\":0,\"function\":0},"
    "\"dev\":\"/dev/vda\",\"target\":0}",
    "vda" },
  /* no serial (qemu-ga without udev): by PCI address alone */
  { "virtio-blk.xml",
    "{\"bus-type\":\"virtio\",\"bus\":0,\"unit\":0,"
    "\"pci-controller\":{\"bus\":5,\"slot\":0,\"domain\":0,\"function\":0},"
    "\"dev\":\"/dev/vdc\",\"target\":0}",
    "vdc" },
  /* the serial decides even against the address */
  { "virtio-blk.xml",
    "{\"serial\":\"DISK-B\",\"bus-type\":\"virtio\",\"bus\":0,\"unit\":0,"
    "\"pci-controller\":{\"bus\":3,\"slot\":0,\"domain\":0,\"function\":0},\"target\":0}",
    "vdb" },
  /* an unknown serial falls through to the address */
  { "virtio-blk.xml",
    "{\"serial\":\"OTHER\",\"bus-type\":\"virtio\",\"bus\":0,\"unit\":0,"
    "\"pci-controller\":{\"bus\":4,\"slot\":0,\"domain\":0,\"function\":0},\"target\":0}",
    "vdb" },
  /* REFERENCE.md's DISK-C, from another guest: neither its serial nor
   * 0000:00:05.0 is in this domain */
  { "virtio-blk.xml",
    "{\"serial\":\"DISK-C\",\"bus-type\":\"virtio\",\"bus\":0,\"unit\":0,"
    "\"pci-controller\":{\"bus\":0,\"slot\":5,\"domain\":0,\"function\":0},"
    "\"dev\":\"/dev/vdc\",\"target\":0}",
    NULL },
  /* a loop device: all -1 */
  { "virtio-blk.xml",
    "{\"bus-type\":\"file-backed-virtual\",\"bus\":-1,\"unit\":-1,\"target\":-1,"
    "\"pci-controller\":{\"bus\":-1,\"slot\":-1,\"domain\":-1,\"function\":-1},"
    "\"dev\":\"/dev/loop3\"}",
    NULL },
  /* libvirt needs every numeric field; so do we */
  { "virtio-blk.xml",
    "{\"bus-type\":\"virtio\",\"unit\":0,\"target\":0,"
    "\"pci-controller\":{\"bus\":5,\"slot\":0,\"domain\":0,\"function\":0}}",
    NULL },
  { "virtio-blk.xml",
    "{\"bus-type\":\"virtio\",\"bus\":0,\"unit\":0,\"target\":0,"
    "\"pci-controller\":{\"bus\":5,\"slot\":0,\"domain\":0}}",
    NULL },
  /* quiesce-agent on virtio-scsi: the HBA, target 1, LUN 2 */
  { "virtio-scsi.xml",
    "{\"bus-type\":\"scsi\",\"bus\":0,\"target\":1,\"unit\":2,"
    "\"pci-controller\":{\"domain\":0,\"bus\":1,\"slot\":0,\"function\":0},\"dev\":\"/dev/sdb\"}",
    "sdb" },
  /* qemu-ga 7.2 on the same disk reports target 0: libvirt cannot name it */
  { "virtio-scsi.xml",
    "{\"bus-type\":\"scsi\",\"bus\":0,\"target\":0,\"unit\":2,"
    "\"pci-controller\":{\"domain\":0,\"bus\":1,\"slot\":0,\"function\":0},\"dev\":\"/dev/sdb\"}",
    NULL },
  /* udev's SCSI serial is not <serial>: matched by address instead */
  { "virtio-scsi.xml",
    "{\"serial\":\"0QEMU_QEMU_HARDDISK_DISK-S\",\"bus-type\":\"scsi\",\"bus\":0,\"target\":0,"
    "\"unit\":0,\"pci-controller\":{\"domain\":0,\"bus\":1,\"slot\":0,\"function\":0}}",
    "sda" },
  { "virtio-scsi.xml",
    "{\"bus-type\":\"scsi\",\"bus\":0,\"target\":2,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":1,\"slot\":0,\"function\":0}}",
    "sdc" },
  /* the right drive numbers on another PCI function: no controller */
  { "virtio-scsi.xml",
    "{\"bus-type\":\"scsi\",\"bus\":0,\"target\":2,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":2,\"slot\":0,\"function\":0}}",
    NULL },
  /* AHCI port 1 */
  { "sata.xml",
    "{\"bus-type\":\"sata\",\"bus\":0,\"target\":0,\"unit\":1,"
    "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":31,\"function\":2},\"dev\":\"/dev/sdb\"}",
    "sdb" },
  { "sata.xml",
    "{\"bus-type\":\"sata\",\"bus\":0,\"target\":0,\"unit\":5,"
    "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":31,\"function\":2}}",
    NULL },
  /* the AHCI exists but holds no disk in virtio-blk.xml */
  { "virtio-blk.xml",
    "{\"bus-type\":\"sata\",\"bus\":0,\"target\":0,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":31,\"function\":2}}",
    NULL },
  /* PIIX IDE: channel 0 slave, channel 1 master */
  { "ide.xml",
    "{\"bus-type\":\"ide\",\"bus\":0,\"target\":0,\"unit\":1,"
    "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":1,\"function\":1},\"dev\":\"/dev/sdb\"}",
    "hdb" },
  { "ide.xml",
    "{\"bus-type\":\"ide\",\"bus\":1,\"target\":0,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":1,\"function\":1},\"dev\":\"/dev/sr0\"}",
    "hdc" },
  /* the USB controller's address matches no disk rule (libvirt's either) */
  { "other-sources.xml",
    "{\"bus-type\":\"usb\",\"bus\":0,\"target\":0,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":2,\"slot\":0,\"function\":0}}",
    NULL },
  /* ... but its serial does */
  { "other-sources.xml",
    "{\"serial\":\"USB-1\",\"bus-type\":\"usb\",\"bus\":0,\"target\":0,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":2,\"slot\":0,\"function\":0}}",
    "sdb" },
  /* a host-nvme disk is virtio-blk to the guest, at 04:00.0 */
  { "other-sources.xml",
    "{\"bus-type\":\"virtio\",\"bus\":0,\"target\":0,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":4,\"slot\":0,\"function\":0}}",
    "vdb" },
  { "other-sources.xml",
    "{\"bus-type\":\"virtio\",\"bus\":0,\"target\":0,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":129,\"slot\":0,\"function\":0}}",
    NULL },
  /* mistyped members are no match, never a crash */
  { "virtio-blk.xml",
    "{\"serial\":7,\"bus\":\"0\",\"target\":0,\"unit\":0,\"pci-controller\":[3,0,0,0]}",
    NULL },
};

START_TEST (test_match)
{
  const MatchCase *mc = &match_cases[_i];
  g_autoptr(QuiesceDomain) domain = load_fixture (mc->file);
  g_autoptr(JsonObject) guest_disk = json_parse_object (mc->guest_disk);
  const char *got = quiesce_domain_match_fsinfo_disk (domain, guest_disk);

  ck_assert_msg (g_strcmp0 (got, mc->target) == 0, "%s %s: got %s, expected %s", mc->file,
                 mc->guest_disk, got != NULL ? got : "NULL",
                 mc->target != NULL ? mc->target : "NULL");
}
END_TEST

/* two disks with one serial: the serial names neither, the address does */
START_TEST (test_match_duplicate_serial)
{
  static const char xml[] =
    "<domain type='kvm'><name>dup</name><devices>"
    "<disk type='file' device='disk'><target dev='vda' bus='virtio'/><serial>SAME</serial>"
    "<address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></disk>"
    "<disk type='file' device='disk'><target dev='vdb' bus='virtio'/><serial>SAME</serial>"
    "<address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/></disk>"
    "</devices></domain>";
  g_autoptr(QuiesceDomain) domain = quiesce_domain_new_from_xml (xml, -1, NULL);
  g_autoptr(JsonObject) guest_disk = json_parse_object (
    "{\"serial\":\"SAME\",\"bus\":0,\"target\":0,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":3,\"slot\":0,\"function\":0}}");
  g_autoptr(JsonObject) guest_disk2 = json_parse_object (
    "{\"serial\":\"SAME\",\"bus\":0,\"target\":0,\"unit\":0,"
    "\"pci-controller\":{\"domain\":0,\"bus\":4,\"slot\":0,\"function\":0}}");

  ck_assert (domain != NULL);
  ck_assert_str_eq (quiesce_domain_match_fsinfo_disk (domain, guest_disk), "vda");
  ck_assert_str_eq (quiesce_domain_match_fsinfo_disk (domain, guest_disk2), "vdb");
}
END_TEST

/* ---- bad XML and bad files -------------------------------------------- */

typedef struct
{
  const char *xml;
  gint code;
  const char *message; /* a substring */
} BadXmlCase;

static const BadXmlCase bad_xml_cases[] = {
  { "", QUIESCE_DOMAIN_ERROR_INVALID_XML, "empty" },
  { "<domain><name>x</name><devices></domain>", QUIESCE_DOMAIN_ERROR_INVALID_XML,
    "line 1 char" },
  { "<domain><name>x</name>\n<devices>\n<disk>\n</devices></domain>",
    QUIESCE_DOMAIN_ERROR_INVALID_XML, "line 4" },
  { "not xml at all", QUIESCE_DOMAIN_ERROR_INVALID_XML, "line 1" },
  /* well-formed, but a storage pool, not a domain */
  { "<pool type='dir'><name>default</name></pool>", QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN,
    "the root element is <pool>, not <domain>" },
  { "<domainsnapshot><domain><name>x</name></domain></domainsnapshot>",
    QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN, "<domainsnapshot>" },
  { "<domain type='kvm'><devices/></domain>", QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN, "no <name>" },
  /* values libvirt never writes */
  { "<domain><name>x</name><devices>\n<disk type='file'>\n"
    "<target dev='vda' bus='virtio'/>\n"
    "<address type='pci' domain='0x0000' bus='0x00' slot='0x20' function='0x0'/>\n"
    "</disk></devices></domain>",
    QUIESCE_DOMAIN_ERROR_INVALID, "line 4 char" },
  { "<domain><name>x</name><devices><disk type='file'><target dev='sda' bus='scsi'/>"
    "<address type='drive' controller='0' bus='0' target='-1' unit='0'/>"
    "</disk></devices></domain>",
    QUIESCE_DOMAIN_ERROR_INVALID, "invalid target '-1'" },
  { "<domain><name>x</name><devices><disk type='file'><target dev='sda' bus='scsi'/>"
    "<address type='drive' controller='0' bus='0' target='0x1' unit='0'/>"
    "</disk></devices></domain>",
    QUIESCE_DOMAIN_ERROR_INVALID, "invalid target '0x1'" },
  { "<domain><name>x</name><devices>\n<controller type='scsi' index='one'/>"
    "</devices></domain>",
    QUIESCE_DOMAIN_ERROR_INVALID, "<controller> has an invalid index 'one'" },
  { "<domain><name>x</name><devices>\n\n<disk type='file'><source file='/a'/></disk>"
    "</devices></domain>",
    QUIESCE_DOMAIN_ERROR_INVALID, "the <disk> that starts on line 3 has no <target dev='...'/>" },
};

START_TEST (test_bad_xml)
{
  const BadXmlCase *bc = &bad_xml_cases[_i];
  g_autoptr(GError) error = NULL;
  g_autoptr(QuiesceDomain) domain = quiesce_domain_new_from_xml (bc->xml, -1, &error);

  ck_assert_msg (domain == NULL, "parsed: %s", bc->xml);
  ck_assert_msg (g_error_matches (error, QUIESCE_DOMAIN_ERROR, bc->code), "%s: code %d (%s)",
                 bc->xml, error->code, error->message);
  ck_assert_msg (strstr (error->message, bc->message) != NULL, "%s: <%s> lacks <%s>", bc->xml,
                 error->message, bc->message);
}
END_TEST

START_TEST (test_bad_files)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-domain-XXXXXX", NULL);
  g_autofree char *broken = g_build_filename (dir, "broken.xml", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.xml", NULL);
  g_autofree char *pool = g_build_filename (dir, "pool.xml", NULL);
  QuiesceDomain *domain;

  ck_assert (dir != NULL);
  ck_assert (g_file_set_contents (broken, "<domain>\n  <name>x</name>\n  <devices>\n</domain>\n",
                                  -1, NULL));
  ck_assert (g_file_set_contents (pool, "<pool type='dir'/>\n", -1, NULL));

  /* cannot be read: the file error, naming the file */
  domain = quiesce_domain_new_from_file (missing, &error);
  ck_assert (domain == NULL);
  ck_assert (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT));
  ck_assert_msg (strstr (error->message, missing) != NULL, "%s", error->message);
  ck_assert_msg (g_str_has_prefix (error->message, "Cannot read domain XML: "), "%s",
                 error->message);
  g_clear_error (&error);

  /* a directory: unreadable as a file, even for root (chmod 000 is not) */
  domain = quiesce_domain_new_from_file (dir, &error);
  ck_assert (domain == NULL);
  ck_assert (error != NULL && error->domain == G_FILE_ERROR);
  ck_assert_msg (strstr (error->message, dir) != NULL, "%s", error->message);
  g_clear_error (&error);

  /* malformed: the file, then GMarkup's line and char */
  domain = quiesce_domain_new_from_file (broken, &error);
  ck_assert (domain == NULL);
  ck_assert (g_error_matches (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_XML));
  {
    g_autofree char *prefix = g_strdup_printf ("Cannot parse domain XML '%s': ", broken);

    ck_assert_msg (g_str_has_prefix (error->message, prefix), "%s", error->message);
    ck_assert_msg (strstr (error->message, "line 4 char") != NULL, "%s", error->message);
  }
  g_clear_error (&error);

  /* not a domain */
  domain = quiesce_domain_new_from_file (pool, &error);
  ck_assert (domain == NULL);
  ck_assert (g_error_matches (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN));
  ck_assert_msg (strstr (error->message, pool) != NULL, "%s", error->message);
  g_clear_error (&error);

  g_unlink (broken);
  g_unlink (pool);
  g_rmdir (dir);
}
END_TEST

/* length-delimited input: the XML need not be NUL-terminated */
START_TEST (test_xml_len)
{
  static const char xml[] = "<domain><name>cut</name></domain>GARBAGE";
  g_autoptr(GError) error = NULL;
  g_autoptr(QuiesceDomain) domain = quiesce_domain_new_from_xml (xml, strlen (xml) - 7, &error);

  ck_assert_msg (domain != NULL, "%s", error != NULL ? error->message : "?");
  ck_assert_str_eq (quiesce_domain_get_name (domain), "cut");
}
END_TEST

/* ---- KEY:VALUE disk identities ---------------------------------------- */

typedef struct
{
  const char *text;
  const char *spec;  /* golden JSON, or NULL */
  const char *error; /* a substring, when spec is NULL */
} SpecParseCase;

static const SpecParseCase spec_parse_cases[] = {
  { "serial:DISK-A", "{\"serial\":\"DISK-A\"}" },
  { "dev:/dev/loop3", "{\"dev\":\"/dev/loop3\"}" },
  { "wwn:5000c50015ea71ad", "{\"wwn\":\"5000c50015ea71ad\"}" },
  { "pci:0000:00:1f.2", "{\"pci-controller\":" PCI (0, 0, 31, 2) "}" },
  { "pci:0:4:0.0", "{\"pci-controller\":" PCI (0, 4, 0, 0) "}" },
  { "pci:ABCD:FF:1F.7", "{\"pci-controller\":" PCI (43981, 255, 31, 7) "}" },
  /* values keep every ':' after the first */
  { "serial:A:B:C", "{\"serial\":\"A:B:C\"}" },
  { "dev:/dev/disk/by-path/pci-0000:00:05.0", "{\"dev\":\"/dev/disk/by-path/pci-0000:00:05.0\"}" },
  { "serial:X,dev:/dev/vdb,wwn:0x5000c500,pci:0000:03:00.0",
    "{\"serial\":\"X\",\"dev\":\"/dev/vdb\",\"wwn\":\"0x5000c500\",\"pci-controller\":"
    PCI (0, 3, 0, 0) "}" },
  { "", NULL, "Empty disk identity" },
  { "vda", NULL, "'vda' in disk identity 'vda' is not KEY:VALUE" },
  { "serial:", NULL, "Key 'serial' in disk identity 'serial:' has an empty value" },
  { ":x", NULL, "Unknown key ''" },
  { "bogus:1", NULL,
    "Unknown key 'bogus' in disk identity 'bogus:1': keys are serial, wwn, dev and pci" },
  { "Serial:A", NULL, "Unknown key 'Serial'" },
  { "serial:a,,dev:b", NULL, "has an empty item" },
  { "serial:a,", NULL, "has an empty item" },
  { "serial:a,b", NULL, "'b' in disk identity 'serial:a,b' is not KEY:VALUE" },
  { "serial:a,b", NULL, "a ',' inside a value is not supported" },
  { "serial:a,serial:b", NULL, "Key 'serial' is given twice" },
  { "pci:0000:00:20.0", NULL, "Invalid PCI address '0000:00:20.0'" },
  { "pci:00:1f.2", NULL, "Invalid PCI address '00:1f.2'" },
  { "pci:0000:00:1f.8", NULL, "Invalid PCI address" },
  { "pci:0000:00:1f", NULL, "Invalid PCI address" },
  { "pci:00000:00:1f.2", NULL, "Invalid PCI address" },
  { "pci:0000:100:1f.2", NULL, "Invalid PCI address" },
  { "pci:0000:00:1g.2", NULL, "Invalid PCI address" },
  { "pci:0000:00:1f.2x", NULL, "Invalid PCI address" },
  { "pci:0000::1f.2", NULL, "Invalid PCI address" },
  { "pci:0000:00:1f.", NULL, "expected DDDD:BB:SS.F in hex" },
};

START_TEST (test_spec_parse)
{
  const SpecParseCase *pc = &spec_parse_cases[_i];
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) spec = quiesce_disk_spec_parse (pc->text, &error);

  if (pc->spec != NULL)
    {
      g_autofree char *got = NULL;

      ck_assert_msg (spec != NULL, "'%s': %s", pc->text, error != NULL ? error->message : "?");
      got = object_to_string (spec);
      ck_assert_str_eq (got, pc->spec);
    }
  else
    {
      ck_assert_msg (spec == NULL, "'%s' parsed", pc->text);
      ck_assert (g_error_matches (error, QUIESCE_DOMAIN_ERROR,
                                  QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC));
      ck_assert_msg (strstr (error->message, pc->error) != NULL, "'%s': <%s> lacks <%s>",
                     pc->text, error->message, pc->error);
    }
}
END_TEST

/* the boxed type: copies are references */
START_TEST (test_boxed)
{
  g_autoptr(QuiesceDomain) domain = load_fixture ("sata.xml");
  QuiesceDomainDisk *disk = g_ptr_array_index (quiesce_domain_get_disks (domain), 0);
  QuiesceDomainDisk *copy = g_boxed_copy (QUIESCE_TYPE_DOMAIN_DISK, disk);

  ck_assert_ptr_eq (copy, disk);
  g_boxed_free (QUIESCE_TYPE_DOMAIN_DISK, copy);
  ck_assert_str_eq (quiesce_domain_disk_get_target (disk), "sda");
}
END_TEST

static Suite *
domain_suite (void)
{
  Suite *s = suite_create ("domain");
  TCase *tc = tcase_create ("domain");

  tcase_add_loop_test (tc, test_fixture, 0, G_N_ELEMENTS (fixture_cases));
  tcase_add_loop_test (tc, test_spec, 0, G_N_ELEMENTS (spec_cases));
  tcase_add_test (tc, test_spec_hand);
  tcase_add_test (tc, test_lookup_unknown);
  tcase_add_loop_test (tc, test_match, 0, G_N_ELEMENTS (match_cases));
  tcase_add_test (tc, test_match_duplicate_serial);
  tcase_add_loop_test (tc, test_bad_xml, 0, G_N_ELEMENTS (bad_xml_cases));
  tcase_add_test (tc, test_bad_files);
  tcase_add_test (tc, test_xml_len);
  tcase_add_loop_test (tc, test_spec_parse, 0, G_N_ELEMENTS (spec_parse_cases));
  tcase_add_test (tc, test_boxed);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (domain_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
