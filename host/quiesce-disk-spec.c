/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* quiesce-disk-spec: KEY:VALUE[,KEY:VALUE...] to a DiskSpec object */

#include "config.h"

#include <string.h>

#include "quiesce-disk-spec.h"
#include "quiesce-domain-disk-private.h"
#include "quiesce-domain.h"

#define KEYS_TEXT "serial, wwn, dev and pci"

/* one hex field of a PCI address: 1..max_digits hex digits, <= max */
static gboolean
parse_hex_field (const char *start, gsize len, gsize max_digits, guint max, guint *out)
{
  guint value = 0;

  if (len == 0 || len > max_digits)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isxdigit (start[i]))
        return FALSE;
      value = value * 16 + g_ascii_xdigit_value (start[i]);
    }
  if (value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

/* DDDD:BB:SS.F as lspci -D and libvirt's nodedev names print it: domain
 * up to 4 hex digits, bus 2, slot 2 (at most 0x1f), function 1 (at most
 * 7); fewer digits are accepted */
static gboolean
parse_pci (const char *text, QhPciAddress *out)
{
  const char *colon1 = strchr (text, ':');
  const char *colon2 = colon1 != NULL ? strchr (colon1 + 1, ':') : NULL;
  const char *dot = colon2 != NULL ? strchr (colon2 + 1, '.') : NULL;

  if (dot == NULL)
    return FALSE;
  return parse_hex_field (text, colon1 - text, 4, 0xffff, &out->domain)
         && parse_hex_field (colon1 + 1, colon2 - colon1 - 1, 2, 0xff, &out->bus)
         && parse_hex_field (colon2 + 1, dot - colon2 - 1, 2, 0x1f, &out->slot)
         && parse_hex_field (dot + 1, strlen (dot + 1), 1, 7, &out->function);
}

/**
 * quiesce_disk_spec_parse:
 * @text: an explicit disk identity, e.g. `serial:DISK-A`,
 *   `dev:/dev/loop3` or `pci:0000:00:1f.2,serial:X`
 * @error: return location for a #GError, or %NULL
 *
 * Parses the explicit form of a DISK argument, `KEY:VALUE[,KEY:VALUE…]`,
 * into a DiskSpec: `serial`, `wwn` and `dev` become the members of the
 * same name, and `pci` (`DDDD:BB:SS.F`, hex) becomes `pci-controller`.
 *
 * Each item is split at its first ':' only, so values may hold ':'
 * (`dev:/dev/disk/by-path/pci-0000:00:05.0`).  A ',' always separates
 * items: a value cannot hold one.  Target names (`vda`) never hold ':',
 * so a DISK argument with a ':' is an explicit identity.
 *
 * Returns: (transfer full): a new DiskSpec object, or %NULL with
 *   %QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC for an empty text, an item
 *   that is not KEY:VALUE, an unknown or repeated key, an empty value, or
 *   a malformed PCI address
 *
 * Since: 0.1
 */
JsonObject *
quiesce_disk_spec_parse (const char *text, GError **error)
{
  g_autoptr(JsonObject) spec = json_object_new ();
  g_auto(GStrv) items = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (text[0] == '\0')
    {
      g_set_error_literal (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                           "Empty disk identity: give KEY:VALUE, where KEY is serial, wwn, "
                           "dev or pci, e.g. 'serial:DISK-A'");
      return NULL;
    }

  items = g_strsplit (text, ",", -1);
  for (gsize i = 0; items[i] != NULL; i++)
    {
      const char *item = items[i];
      const char *colon = strchr (item, ':');
      g_autofree char *key = NULL;
      const char *value;
      const char *member;

      if (item[0] == '\0')
        {
          g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                       "Disk identity '%s' has an empty item; items are KEY:VALUE separated "
                       "by ',', and a ',' inside a value is not supported",
                       text);
          return NULL;
        }
      if (colon == NULL)
        {
          g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                       "'%s' in disk identity '%s' is not KEY:VALUE (keys are " KEYS_TEXT
                       "; a ',' inside a value is not supported)",
                       item, text);
          return NULL;
        }
      key = g_strndup (item, colon - item);
      value = colon + 1;

      if (strcmp (key, "serial") == 0 || strcmp (key, "wwn") == 0 || strcmp (key, "dev") == 0)
        member = key;
      else if (strcmp (key, "pci") == 0)
        member = "pci-controller";
      else
        {
          g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                       "Unknown key '%s' in disk identity '%s': keys are " KEYS_TEXT, key,
                       text);
          return NULL;
        }
      if (value[0] == '\0')
        {
          g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                       "Key '%s' in disk identity '%s' has an empty value", key, text);
          return NULL;
        }
      if (json_object_has_member (spec, member))
        {
          g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                       "Key '%s' is given twice in disk identity '%s'", key, text);
          return NULL;
        }

      if (strcmp (key, "pci") == 0)
        {
          QhPciAddress pci;

          if (!parse_pci (value, &pci))
            {
              g_set_error (error, QUIESCE_DOMAIN_ERROR, QUIESCE_DOMAIN_ERROR_INVALID_DISK_SPEC,
                           "Invalid PCI address '%s' in disk identity '%s': expected "
                           "DDDD:BB:SS.F in hex (slot at most 1f, function at most 7), "
                           "e.g. 0000:00:1f.2",
                           value, text);
              return NULL;
            }
          json_object_set_object_member (spec, member, qh_pci_address_to_json (&pci));
        }
      else
        json_object_set_string_member (spec, member, value);
    }
  return g_steal_pointer (&spec);
}
