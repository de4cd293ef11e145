#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mk-sysroot-extra.sh: add to a tree recorded by tests/mk-sysroot.sh the
# sysfs facts that building a qemu-ga GuestDiskAddress reads, which
# mk-sysroot.sh does not record (yet):
#
#   tests/vm/mk-sysroot-extra.sh DEST
#
# For every ancestor directory of each recorded device under sys/devices:
#   driver                      symlink (same target; dangling in DEST), on
#                               PCI functions: qemu-ga picks the controller
#                               by the driver's name
#   ataN/ata_port/ataN/port_no  for every ataN child (AHCI ports): qemu-ga's
#   hostN/scsi_host/hostN/unique_id   "host index" is a position among them
#   H:C:T:L/{vendor,model,wwid,vpd_pg80}   SCSI/SATA devices; vpd_pg80 is the
#                               raw VPD page (4 header bytes, then the serial)
#   nvmeN/{serial,model,firmware_rev}      NVMe controllers
# Run it where mk-sysroot.sh ran, right after it (it reads the live /sys).
set -euo pipefail
dest=${1:?usage: $0 DEST}
[ -d "$dest/sys/devices" ] || { echo "$0: no recording in $dest" >&2; exit 1; }

declare -A seen=()

copy_attr() {
  # copy_attr DIR NAME: a file copied as it is (binary VPD pages too)
  [ -f "$1/$2" ] || return 0
  mkdir -p "$dest$1"
  cat "$1/$2" >"$dest$1/$2" 2>/dev/null || rm -f "$dest$1/$2"
}

ancestor() {
  local a=$1 c b
  [ -n "${seen[$a]:-}" ] && return 0
  seen[$a]=1
  b=$(basename "$a")
  if [ -L "$a/driver" ] && [[ "$b" =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]]; then
    mkdir -p "$dest$a"
    ln -sfn "$(readlink "$a/driver")" "$dest$a/driver"
  fi
  for c in "$a"/ata[0-9]* "$a"/host[0-9]*; do
    [ -d "$c" ] || continue
    c=$(basename "$c")
    case "$c" in
      ata*) copy_attr "$a/$c/ata_port/$c" port_no ;;
      host*) copy_attr "$a/$c/scsi_host/$c" unique_id ;;
    esac
  done
  if [[ "$b" =~ ^[0-9]+:[0-9]+:[0-9]+:[0-9]+$ ]]; then
    for f in vendor model wwid vpd_pg80; do copy_attr "$a" "$f"; done
  fi
  if [[ "$b" =~ ^nvme[0-9]+$ ]]; then
    for f in serial model firmware_rev; do copy_attr "$a" "$f"; done
  fi
}

find "$dest/sys/devices" -name dev -type f | sed 's|/dev$||' | LC_ALL=C sort -u |
  while read -r d; do
    real=${d#"$dest"}
    a=$(dirname "$real")
    while [ "$a" != /sys/devices ] && [ "$a" != / ]; do
      ancestor "$a"
      a=$(dirname "$a")
    done
  done
echo "added address facts for $(find "$dest/sys/devices" -name dev -type f | wc -l) devices in $dest" >&2
