/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: libvirt domain XML -> disks -> DiskSpecs.
 *
 * quiesce_domain_new_from_xml() on the input bytes as they are (with their
 * length, not NUL-terminated, so an over-read shows), then for every disk:
 * every getter, quiesce_domain_disk_to_spec(), quiesce_domain_lookup_disk()
 * by its target, and quiesce_domain_match_fsinfo_disk() against a few
 * guest disks shaped like the recorded lab's.  Seeded with
 * the XML files of tests/data/domains.
 *
 * Invariants, any failure aborts: a refused document has a
 * QUIESCE_DOMAIN_ERROR; an accepted one has a name; every disk has a
 * target that lookup finds again (a disk of that name); a spec is
 * a JSON object or a QUIESCE_DOMAIN_ERROR; no warning or critical is logged. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quiesce-domain-disk.h"
#include "quiesce-domain.h"
#include "fuzz-util.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static const char *const guest_disks_json[] = {
  "{\"bus-type\":\"virtio\",\"bus\":0,\"target\":0,\"unit\":0,\"dev\":\"/dev/vda\","
  "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":5,\"function\":0}}",
  "{\"bus-type\":\"scsi\",\"bus\":0,\"target\":1,\"unit\":2,\"dev\":\"/dev/sda\","
  "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":1,\"function\":0}}",
  "{\"bus-type\":\"sata\",\"bus\":0,\"target\":0,\"unit\":1,\"dev\":\"/dev/sdb\","
  "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":31,\"function\":2}}",
  "{\"bus-type\":\"ide\",\"bus\":1,\"target\":0,\"unit\":0,"
  "\"pci-controller\":{\"domain\":0,\"bus\":0,\"slot\":1,\"function\":1}}",
  "{\"bus-type\":\"virtio\",\"serial\":\"DISK-A\"}",
};
static JsonNode *guest_disks[G_N_ELEMENTS (guest_disks_json)];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* libquiesce-1 logs no warnings of its own: one from GLib (a GError
   * set twice, say) is a bug */
  g_log_set_writer_func (fuzz_log_writer,
                         GUINT_TO_POINTER (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL
                                           | G_LOG_LEVEL_WARNING),
                         NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (guest_disks_json); i++)
    {
      guest_disks[i] = json_from_string (guest_disks_json[i], NULL);
      fuzz_check (guest_disks[i] != NULL, "guest disk JSON");
    }
  return 0;
}

static void
use_string (const char *s)
{
  /* reads every byte, so ASan sees a dangling or unterminated string */
  if (s != NULL)
    fuzz_check (strlen (s) < G_MAXSIZE, "string");
}

static void
check_disk (QuiesceDomain *domain, QuiesceDomainDisk *disk)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) spec = NULL;
  QuiesceDomainDisk *found; /* transfer none */
  GPtrArray *disks = quiesce_domain_get_disks (domain);
  const char *target = quiesce_domain_disk_get_target (disk);
  guint a, b, c, d;

  fuzz_check (target != NULL && target[0] != '\0', "a disk has a target");
  use_string (quiesce_domain_disk_get_bus (disk));
  use_string (quiesce_domain_disk_get_device (disk));
  (void) quiesce_domain_disk_is_removable (disk);
  use_string (quiesce_domain_disk_get_source_type (disk));
  use_string (quiesce_domain_disk_get_source (disk));
  use_string (quiesce_domain_disk_get_source_pool (disk));
  use_string (quiesce_domain_disk_get_source_volume (disk));
  use_string (quiesce_domain_disk_get_source_protocol (disk));
  use_string (quiesce_domain_disk_get_driver_type (disk));
  use_string (quiesce_domain_disk_get_serial (disk));
  use_string (quiesce_domain_disk_get_wwn (disk));
  use_string (quiesce_domain_disk_get_alias (disk));
  use_string (quiesce_domain_disk_get_address_type (disk));
  use_string (quiesce_domain_disk_get_controller_model (disk));
  (void) quiesce_domain_disk_get_pci_address (disk, &a, &b, &c, &d);
  (void) quiesce_domain_disk_get_drive_address (disk, &a, &b, &c, &d);
  (void) quiesce_domain_disk_get_controller_pci_address (disk, &a, &b, &c, &d);

  spec = quiesce_domain_disk_to_spec (disk, &error);
  if (spec == NULL)
    fuzz_check (error != NULL && error->domain == QUIESCE_DOMAIN_ERROR, "spec error domain");
  else
    {
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autofree char *text = NULL;

      fuzz_check (error == NULL, "no error with a spec");
      json_node_set_object (node, spec);
      text = json_to_string (node, FALSE);
      fuzz_check (text != NULL && text[0] == '{', "a spec is an object");
    }
  g_clear_error (&error);

  found = quiesce_domain_lookup_disk (domain, target, &error);
  fuzz_check (found != NULL, "lookup finds a disk by its target");
  fuzz_check (g_strcmp0 (quiesce_domain_disk_get_target (found), target) == 0,
              "lookup finds a disk of that target");
  fuzz_check (g_ptr_array_find (disks, found, NULL), "lookup finds one of the domain's disks");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (QuiesceDomain) domain = NULL;
  QuiesceDomainDisk *none;
  GPtrArray *disks;

  domain = quiesce_domain_new_from_xml (data != NULL ? (const char *) data : "", (gssize) size, &error);
  if (domain == NULL)
    {
      fuzz_check (error != NULL && error->domain == QUIESCE_DOMAIN_ERROR &&
                    error->message[0] != '\0',
                  "a refused document has a QUIESCE_DOMAIN_ERROR");
      return 0;
    }
  fuzz_check (error == NULL, "no error on success");
  fuzz_check (quiesce_domain_get_name (domain) != NULL, "a domain has a name");
  use_string (quiesce_domain_get_name (domain));
  disks = quiesce_domain_get_disks (domain);
  fuzz_check (disks != NULL, "disks is never NULL");
  for (guint i = 0; i < disks->len; i++)
    check_disk (domain, g_ptr_array_index (disks, i));
  for (gsize i = 0; i < G_N_ELEMENTS (guest_disks); i++)
    use_string (quiesce_domain_match_fsinfo_disk (domain, json_node_get_object (guest_disks[i])));
  none = quiesce_domain_lookup_disk (domain, "no-such-disk\x01", &error);
  fuzz_check (none == NULL && error != NULL && error->domain == QUIESCE_DOMAIN_ERROR,
              "an unknown target is DiskNotFound");
  return 0;
}
