#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test-symbols.sh LIBRARY MAPFILE
#
# The dynamic symbols that LIBRARY defines must be exactly the names in
# the global section of MAPFILE: an export added without a map entry, or
# a map entry whose function vanished, both fail.  Version nodes (type A)
# are not symbols of the API.
set -eu

lib=$1
map=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" |
  awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u > "$tmp/exported"

# names between "global:" and "local:", comments stripped
sed -e 's|/\*.*\*/||' -e 's|^ *\*.*||' "$map" |
  awk '/global:/ { on = 1; next } /local:/ { on = 0 } on && /;/ { gsub(/[ \t;]/, ""); if ($0 != "") print }' |
  sort -u > "$tmp/listed"

if grep -q '[*?]' "$tmp/listed"; then
  echo "FAIL: $map lists a wildcard in its global section; list every symbol" >&2
  exit 1
fi
if [ ! -s "$tmp/listed" ]; then
  echo "FAIL: no symbols found in $map" >&2
  exit 1
fi

if ! diff -u "$tmp/listed" "$tmp/exported" > "$tmp/diff"; then
  echo "FAIL: exported symbols of $lib differ from $map (- map only, + exported only):" >&2
  grep '^[-+][^-+]' "$tmp/diff" >&2
  exit 1
fi
echo "ok: $(wc -l < "$tmp/exported") symbols match $map"
