#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mk-sysroot.sh: record the parts of /proc and /sys that the agent's
# resolver reads into a sysroot tree, in the spirit of util-linux's lsblk
# sysroot dumps.  The result is test input: run the resolver with DEST as
# its sysroot prefix and it sees the recorded layout.
#
#   tests/mk-sysroot.sh [--only PREFIX]... DEST
#
# --only PREFIX (repeatable) keeps the root mount and the mounts at or
#     below PREFIX, so fixtures stay small and free of the recording host's
#     private paths.  The kept mountinfo lines are the real lines,
#     untouched (ids, parents, numbers, options).
#
# What is recorded (read-only; nothing is mounted, frozen or written
# outside DEST):
#   proc/self/mountinfo                 (filtered by --only)
#   proc/sys/kernel/random/boot_id      (a fixed fake uuid, not the host's)
#   for every block device a recorded mount uses, its partition parent,
#   its slaves (recursively) and, for btrfs, every member listed in
#   /sys/fs/btrfs/FSID/devices:
#     sys/dev/block/MAJ:MIN             symlink, same relative target
#     sys/class/block/NAME              symlink, same relative target
#     sys/block/NAME                    symlink, whole disks only
#     sys/devices/.../NAME/             a plain directory holding the
#       dev size partition serial wwid loop/backing_file dm/name dm/uuid
#       (those that exist) and slaves/ holders/ (symlinks, not followed
#       for holders)
#     sys/fs/btrfs/FSID/devices/*       symlinks
#   README                              how, when and where it was recorded
#
# Only small text files and symlinks are written.  Empty directories are
# not created (git would drop them anyway); the resolver treats a missing
# slaves/ like an empty one.
set -euo pipefail

FAKE_BOOT_ID=00000000-0000-4000-8000-00000000beef

usage() {
  echo "usage: $0 [--only PREFIX]... DEST" >&2
  exit 2
}

argv=("$@")
only=()
dest=
while [ $# -gt 0 ]; do
  case "$1" in
    --only)
      [ $# -ge 2 ] || usage
      p=${2%/}
      [ -n "$p" ] || p=/
      case "$p" in /*) ;; *) echo "$0: --only needs an absolute path" >&2; exit 2 ;; esac
      only+=("$p")
      shift 2
      ;;
    -h|--help) usage ;;
    -*) usage ;;
    *)
      [ -z "$dest" ] || usage
      dest=$1
      shift
      ;;
  esac
done
[ -n "$dest" ] || usage

if [ -e "$dest" ] && [ -n "$(ls -A "$dest" 2>/dev/null)" ]; then
  echo "$0: '$dest' exists and is not empty; remove it first" >&2
  exit 1
fi
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)

# mountinfo escapes space, tab, newline and backslash as \ooo: compare
# prefixes in that form so the kept lines stay byte-for-byte real
escape_path() {
  local s=$1
  s=${s//\\/\\134}
  s=${s// /\\040}
  s=${s//$'\t'/\\011}
  s=${s//$'\n'/\\012}
  printf '%s' "$s"
}

keep_mountpoint() {
  local mp=$1 p e
  [ "$mp" = / ] && return 0
  [ ${#only[@]} -eq 0 ] && return 0
  for p in "${only[@]}"; do
    e=$(escape_path "$p")
    [ "$e" = / ] && return 0
    [ "$mp" = "$e" ] && return 0
    case "$mp" in "$e"/*) return 0 ;; esac
  done
  return 1
}

# ---- /proc ----------------------------------------------------------------

mkdir -p "$dest/proc/self" "$dest/proc/sys/kernel/random"
mountinfo_lines=()
while IFS= read -r line; do
  read -r -a f <<<"$line"
  if keep_mountpoint "${f[4]}"; then
    mountinfo_lines+=("$line")
  fi
done </proc/self/mountinfo
printf '%s\n' "${mountinfo_lines[@]}" >"$dest/proc/self/mountinfo"
echo "$FAKE_BOOT_ID" >"$dest/proc/sys/kernel/random/boot_id"

# ---- which block devices --------------------------------------------------

declare -A want=()    # kernel names to record
declare -A done_dev=() # kernel names recorded

name_of_devno() {
  local link
  link=$(readlink "/sys/dev/block/$1" 2>/dev/null) || return 1
  basename "$link"
}

for line in "${mountinfo_lines[@]}"; do
  read -r -a f <<<"$line"
  devno=${f[2]}
  # the fields after the optional ones: "-" fstype source super-options
  for ((i = 6; i < ${#f[@]}; i++)); do
    [ "${f[i]}" = - ] && break
  done
  fstype=${f[i + 1]:-}
  source=${f[i + 2]:-}
  if [ "${devno%%:*}" != 0 ]; then
    if n=$(name_of_devno "$devno"); then
      want[$n]=1
    fi
  elif [ "$fstype" = btrfs ] && [[ "$source" == /dev/* ]]; then
    # btrfs reports an anonymous 0:N; its source names a member
    n=$(basename "$source")
    [ -e "/sys/class/block/$n" ] && want[$n]=1
  fi
done

# btrfs: every member of a filesystem that has a recorded member, and the
# filesystem's devices/ directory
btrfs_fsids=()
if [ -d /sys/fs/btrfs ]; then
  for fsdir in /sys/fs/btrfs/*/; do
    [ -d "$fsdir/devices" ] || continue
    hit=0
    for m in "$fsdir"devices/*; do
      [ -e "$m" ] || [ -L "$m" ] || continue
      [ -n "${want[$(basename "$m")]:-}" ] && hit=1
    done
    if [ $hit = 1 ]; then
      btrfs_fsids+=("$(basename "$fsdir")")
      for m in "$fsdir"devices/*; do
        want[$(basename "$m")]=1
      done
    fi
  done
fi

# ---- sysfs ----------------------------------------------------------------

copy_link() {
  # copy_link PATH: recreate the symlink /PATH under DEST with the same
  # (relative) target
  local src=/$1 target
  target=$(readlink "$src") || return 0
  mkdir -p "$dest/$(dirname "$1")"
  ln -sfn "$target" "$dest/$1"
}

copy_attr() {
  # copy_attr DIR REL: a small text attribute, when it exists and reads
  local src=$1/$2 out val
  [ -f "$src" ] || return 0
  val=$(head -c 4096 "$src" 2>/dev/null) || return 0
  out=$dest$1/$2
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$val" >"$out"
}

copy_bin() {
  # copy_bin DIR REL: a small binary attribute (SCSI VPD pages), as is
  local src=$1/$2 out
  [ -f "$src" ] || return 0
  out=$dest$1/$2
  mkdir -p "$(dirname "$out")"
  head -c 1024 "$src" >"$out" 2>/dev/null || rm -f "$out"
}

record_controller_path() {
  # what the disk-address code reads on the way from a disk up to its
  # controller: each PCI function's driver link, the ataN ports of an
  # ATA controller (their order numbers the SATA port / IDE channel), and
  # the SCSI/NVMe device's serial, wwid and VPD page 0x80
  local real=$1 p=/sys part ata
  local IFS=/
  for part in ${real#/sys/}; do
    p=$p/$part
    if [[ $part =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]$ ]]; then
      [ -L "$p/driver" ] && copy_link "${p#/}/driver"
      for ata in "$p"/ata[0-9]*; do
        [ -d "$ata" ] && mkdir -p "$dest$ata"
      done
    fi
  done
  unset IFS
  for a in device/serial device/wwid device/model device/vendor; do
    copy_attr "$real" "$a"
  done
  copy_bin "$real" device/vpd_pg80
  # udev's view, where the system has one (the agent prefers sysfs)
  local devno
  devno=$(cat "$real/dev" 2>/dev/null) || return 0
  if [ -f "/run/udev/data/b$devno" ]; then
    mkdir -p "$dest/run/udev/data"
    grep -E '^E:ID_(SERIAL|SERIAL_SHORT|WWN|PATH)=' "/run/udev/data/b$devno" \
      >"$dest/run/udev/data/b$devno" || true
  fi
}

record_dev() {
  local name=$1 real devno s parent
  [ -n "${done_dev[$name]:-}" ] && return 0
  done_dev[$name]=1
  [ -e "/sys/class/block/$name" ] || {
    echo "$0: warning: no /sys/class/block/$name" >&2
    return 0
  }
  real=$(readlink -f "/sys/class/block/$name")
  mkdir -p "$dest$real"

  copy_link "sys/class/block/$name"
  [ -L "/sys/block/$name" ] && copy_link "sys/block/$name"
  devno=$(cat "$real/dev")
  copy_link "sys/dev/block/$devno"

  for a in dev size partition serial wwid loop/backing_file dm/name dm/uuid; do
    copy_attr "$real" "$a"
  done
  case "$real" in
    */devices/virtual/*) ;;
    *) record_controller_path "$real" ;;
  esac
  for d in slaves holders; do
    for s in "$real/$d"/*; do
      [ -L "$s" ] || continue
      copy_link "${s#/}"
    done
  done

  if [ -f "$real/partition" ]; then
    parent=$(basename "$(dirname "$real")")
    record_dev "$parent"
  fi
  for s in "$real/slaves"/*; do
    [ -L "$s" ] || continue
    record_dev "$(basename "$s")"
  done
}

for n in $(printf '%s\n' "${!want[@]}" | sort); do
  record_dev "$n"
done
for fsid in "${btrfs_fsids[@]}"; do
  for m in /sys/fs/btrfs/"$fsid"/devices/*; do
    copy_link "${m#/}"
  done
done

# ---- README ---------------------------------------------------------------

{
  echo "Recorded sysroot (tests/mk-sysroot.sh)."
  echo
  printf 'command:  tests/mk-sysroot.sh'
  printf ' %q' "${argv[@]}"
  echo
  echo "date:     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel:   $(uname -srmv)"
  echo "devices:  $(printf '%s\n' "${!done_dev[@]}" | sort | tr '\n' ' ')"
  echo
  echo "proc/self/mountinfo holds the real lines of the recording process"
  if [ ${#only[@]} -gt 0 ]; then
    echo "(the root mount and those at or below: ${only[*]})."
  else
    echo "(every mount)."
  fi
  echo "proc/sys/kernel/random/boot_id is a fixed fake ($FAKE_BOOT_ID)."
} >"$dest/README"

echo "recorded ${#mountinfo_lines[@]} mounts and ${#done_dev[@]} block devices into $dest"
