/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QuiesceDomain: the disks of a libvirt domain XML (as `virsh dumpxml`
 * prints it), read with GMarkup, and the two directions of disk identity:
 * a target name (vda) to a DiskSpec for the agent, and a guest-get-fsinfo
 * disk back to a target name, by libvirt's own rule. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "quiesce-domain-disk.h"

G_BEGIN_DECLS

/**
 * QuiesceDomainError:
 * @QUIESCE_DOMAIN_ERROR_INVALID_XML: the text is not well-formed XML
 * @QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN: well-formed, but not a libvirt domain
 *   (another root element, or no `<name>`)
 * @QUIESCE_DOMAIN_ERROR_INVALID: a domain with a value libvirt never writes
 *   (a bad address number, a disk without `<target dev>`)
 * @QUIESCE_DOMAIN_ERROR_DISK_NOT_FOUND: no disk has that target name
 * @QUIESCE_DOMAIN_ERROR_NO_IDENTITY: the disk has no serial, wwn or address
 *   that the guest agent reports, so no DiskSpec can name it
 * @QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC: an explicit `KEY:VALUE[,…]` disk
 *   identity is malformed
 *
 * Errors of domain XML parsing and disk identities.  A file that cannot be
 * read keeps its #G_FILE_ERROR.
 *
 * Since: 0.1
 */
typedef enum
{
  QUIESCE_DOMAIN_ERROR_INVALID_XML,
  QUIESCE_DOMAIN_ERROR_NOT_A_DOMAIN,
  QUIESCE_DOMAIN_ERROR_INVALID,
  QUIESCE_DOMAIN_ERROR_DISK_NOT_FOUND,
  QUIESCE_DOMAIN_ERROR_NO_IDENTITY,
  QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
} QuiesceDomainError;

#define QUIESCE_DOMAIN_ERROR (quiesce_domain_error_quark ())

GQuark quiesce_domain_error_quark (void);

#define QUIESCE_TYPE_DOMAIN (quiesce_domain_get_type ())

G_DECLARE_FINAL_TYPE (QuiesceDomain, quiesce_domain, QUIESCE, DOMAIN, GObject)

QuiesceDomain *quiesce_domain_new_from_xml (const char *xml, gssize len, GError **error);
QuiesceDomain *quiesce_domain_new_from_file (const char *path, GError **error);

const char *quiesce_domain_get_name (QuiesceDomain *self);
GPtrArray *quiesce_domain_get_disks (QuiesceDomain *self);
QuiesceDomainDisk *quiesce_domain_lookup_disk (QuiesceDomain *self,
                                               const char *target,
                                               GError **error);
const char *quiesce_domain_match_fsinfo_disk (QuiesceDomain *self, JsonObject *guest_disk);

G_END_DECLS
