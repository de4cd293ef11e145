#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# record-fixtures.sh: (re-)record tests/data/sysroot/vm-lab/ from a fresh VM
# lab guest, and tests/data/sysroot/host-vda/ from this machine's root.
#
#   tests/vm/record-fixtures.sh [vm-lab|host-vda]...   (default: both)
#
# vm-lab/ gets, besides the recorder's tree (proc/, sys/, README):
#   fsinfo-qemu-ga.json     qemu-ga's guest-get-fsinfo reply, as sent
#   disks-qemu-ga.json      qemu-ga's guest-get-disks reply, as sent
#   fsinfo-quiesce.json     quiesce-agent's guest-get-fsinfo reply
#   resolve-quiesce.json    quiesce-agent's guest-fsfreeze-resolve reply (all)
#   lsblk.json              lsblk -J in the guest (no udev: no serials)
#   lab-facts.txt           the guest's LAB-DISK/VPORT/MOUNTINFO console lines
#   qemu.cmdline            the QEMU command line ($DIR = the lab's temp dir)
# Run as root on a machine where tests/vm/run-vm.sh works.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
data=$src/tests/data/sysroot
run=$here/run-vm.sh
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(vm-lab host-vda)

record_vm_lab() {
  local out=$data/vm-lab
  dir=$(mktemp -d /tmp/quiesce-vm-rec.XXXXXX)
  trap '"$run" stop "$dir" || true; rm -rf "$dir"' EXIT
  "$run" prepare
  "$run" start "$dir"
  rm -rf "$out"
  "$run" record "$dir" "$out" --only /mnt
  "$run" qga "$dir" '{"execute":"guest-get-fsinfo"}' >"$out/fsinfo-qemu-ga.json"
  "$run" qga "$dir" '{"execute":"guest-get-disks"}' >"$out/disks-qemu-ga.json"
  "$run" agent "$dir" '{"execute":"guest-get-fsinfo"}' >"$out/fsinfo-quiesce.json"
  "$run" agent "$dir" '{"execute":"guest-fsfreeze-resolve"}' >"$out/resolve-quiesce.json"
  "$run" exec "$dir" /usr/sbin/lsblk -J -o \
    NAME,KNAME,PATH,MAJ:MIN,TYPE,SIZE,SERIAL,WWN,HCTL,TRAN,SUBSYSTEMS,FSTYPE,MOUNTPOINTS,PKNAME \
    >"$out/lsblk.json"
  grep -E '^LAB-(BOOT|MODULES|LAB|DISK|VPORT|MOUNTINFO|READY)' "$dir/console.log" |
    tr -d '\r' >"$out/lab-facts.txt"
  sed "s|$dir|\$DIR|g; s|$("$run" cachedir)|\$CACHE|g" "$dir/qemu.cmdline" >"$out/qemu.cmdline"
  "$run" stop "$dir"
  rm -rf "$dir"
  trap - EXIT
  echo "recorded $out (boot to LAB-READY: $(cat "$out/../vm-lab/lab-facts.txt" | grep -o 'READY uptime=[0-9.]*'))"
}

record_host_vda() {
  local out=$data/host-vda
  rm -rf "$out"
  # a prefix that no mount lies under: only the root mount is kept
  (cd "$src" && tests/mk-sysroot.sh --only /.root-only tests/data/sysroot/host-vda)
}

for w in "${what[@]}"; do
  case "$w" in
    vm-lab) record_vm_lab ;;
    host-vda) record_host_vda ;;
    *) echo "record-fixtures: unknown '$w'" >&2; exit 2 ;;
  esac
done
