/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-transport-libvirt: the agent of a libvirt-managed domain.
 *
 * libvirtd holds the guest agent's chardev socket of the domains it runs,
 * so a second client cannot connect to it: the only correct path to the
 * agent is libvirt itself.  Every command goes through
 * virDomainQemuAgentCommand(), and the domain XML, for disk target
 * names, comes from virDomainGetXMLDesc().
 * quiesce_transport_libvirt_create_disk_snapshot() makes an external
 * disk-only snapshot of some disks, without libvirt's own quiesce.
 *
 * The functions are always exported; when libquiesce-1 is built without
 * the meson feature `libvirt`, quiesce_transport_libvirt_is_supported()
 * is FALSE and quiesce_transport_libvirt_new() fails with
 * %QUIESCE_CLIENT_ERROR_NOT_CONNECTED. */
#pragma once

#if !defined(__QUIESCE_H_INSIDE__) && !defined(QUIESCE_COMPILATION)
#error "Only <quiesce.h> can be included directly."
#endif

#include "quiesce-transport.h"

G_BEGIN_DECLS

gboolean quiesce_transport_libvirt_is_supported (void);
QuiesceTransport *quiesce_transport_libvirt_new (const char *uri,
                                                 const char *domain,
                                                 GError **error);
char *quiesce_transport_libvirt_get_domain_xml (QuiesceTransport *self, GError **error);
gboolean quiesce_transport_libvirt_create_disk_snapshot (QuiesceTransport *self,
                                                         const char *name,
                                                         const char *const *targets,
                                                         GError **error);

G_END_DECLS
