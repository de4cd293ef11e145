#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mk-loop-lab.sh: build the loop lab on this machine, record it with
# tests/mk-sysroot.sh into tests/data/sysroot/loop-lab (or DEST), and take
# it all down again.  Needs root, loop devices, mkfs.{ext4,xfs,btrfs},
# sfdisk, partx and unshare.  It mounts only below /tmp/quiesce-rec-lab (a fixed
# name, so the recorded paths do not depend on mktemp) and freezes nothing.
#
#   sudo tests/data/sysroot/mk-loop-lab.sh [DEST]
#
# The lab, in the recorded mount order (mnt = /tmp/quiesce-rec-lab/mnt):
#   mnt/ext4         ext4 on a loop device
#   mnt/ext4-bind    mount --bind of mnt/ext4 (same superblock)
#   mnt/early        ext4 on a loop whose backing file lives in the xfs
#                    below, yet listed BEFORE the xfs: only the
#                    loop-backing edge can put it ahead of the xfs in freeze
#                    order (reverse mount order would not)
#   mnt/xfs          xfs on a loop device (320 MiB sparse image)
#   mnt/xfs/inner    ext4 on a loop whose image is mnt/xfs/inner.img
#   mnt/btrfs        btrfs on two loop devices (data single, metadata
#                    raid1), holding subvolume sv
#   mnt/btrfs-sv     mount -o subvol=sv of the same btrfs (same superblock)
#   mnt/gpt part     ext4 on partition 1 of a GPT-partitioned loop device
#                    (losetup -P); the space shows up as \040
#   mnt/tmpfs        a tmpfs (no block device) ...
#   mnt/tmpfs        ... covered by mount --bind mnt/ext4 (an overmount by
#                    a superblock first mounted earlier: what a process
#                    sees at mnt/tmpfs is the ext4)
#
# How mnt/early gets listed before the xfs: the xfs is first mounted at a
# staging dir, early.img is made there, attached and its ext4 mounted; then
# the xfs mount is moved (mount --move) to mnt/xfs, which re-attaches it
# as the root's newest child.  A new mount namespace (unshare -m) copies
# the tree depth-first in child order, so its mountinfo -- the one
# recorded -- lists mnt/early first.  (The recording namespace itself
# lists mounts in creation order.)  The loop's backing_file follows the
# move: mnt/xfs/early.img.
set -euo pipefail

LAB=/tmp/quiesce-rec-lab
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../../.." && pwd)
dest=${1:-$here/loop-lab}

[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 77; }
for t in mkfs.ext4 mkfs.xfs mkfs.btrfs btrfs sfdisk partx losetup unshare; do
  command -v "$t" >/dev/null || { echo "$0: needs $t" >&2; exit 77; }
done
if [ -e "$LAB" ]; then
  echo "$0: $LAB exists (another run, or a leftover): remove it first" >&2
  exit 1
fi

mounts=() # mountpoints we mounted, in mount order
loops=()  # loop devices we attached, in attach order
btrfs_devs=()

detach_ours() {
  # only a loop device still showing one of our backing files is ours
  local dev=$1 back
  back=$(losetup -n -O BACK-FILE "$dev" 2>/dev/null) || return 0
  case "$back" in
    "$LAB"/*) losetup -d "$dev" ;;
    *) echo "$0: $dev now backs '$back', not ours: left alone" >&2 ;;
  esac
}

cleanup() {
  local i
  set +e
  # loop files on the xfs keep it busy until their loops are detached,
  # hence a few passes; each loop is detached once at most, so a device
  # number reused by someone else is never touched
  for _ in 1 2 3; do
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
      [ -n "${mounts[i]}" ] || continue
      if ! mountpoint -q "${mounts[i]}"; then
        mounts[i]=
      elif umount "${mounts[i]}" 2>/dev/null; then
        mounts[i]=
      fi
    done
    # the kernel remembers scanned btrfs members: forget ours (only
    # possible once unmounted) while the loop devices are still ours
    for i in "${btrfs_devs[@]}"; do
      btrfs device scan --forget "$i" >/dev/null 2>&1
    done
    for ((i = ${#loops[@]} - 1; i >= 0; i--)); do
      [ -n "${loops[i]}" ] || continue
      detach_ours "${loops[i]}" && loops[i]=
    done
  done
  if grep -q " $LAB/" /proc/self/mountinfo; then
    echo "$0: something is still mounted below $LAB; not removing it" >&2
    grep " $LAB/" /proc/self/mountinfo >&2
  else
    rm -rf "$LAB"
  fi
}
trap cleanup EXIT

do_mount() {
  # do_mount MOUNTPOINT ARGS...: mount and remember
  local mp=$1
  shift
  mkdir -p "$mp"
  mount "$@" "$mp"
  mounts+=("$mp")
}

attached=
attach() {
  # attach ARGS... FILE: losetup and remember; the device is in $attached
  attached=$(losetup -f --show "$@")
  loops+=("$attached")
}

mkdir -p "$LAB/img" "$LAB/stage" "$LAB/mnt"

# images on the root filesystem (sparse)
truncate -s 32M "$LAB/img/ext4.img"
truncate -s 320M "$LAB/img/xfs.img"
truncate -s 128M "$LAB/img/btrfs.img"
truncate -s 128M "$LAB/img/btrfs2.img"
truncate -s 64M "$LAB/img/gpt.img"
printf 'label: gpt\nstart=2048, size=100000, type=L, name=lab\n' | sfdisk -q "$LAB/img/gpt.img"

attach "$LAB/img/ext4.img"
ext4_dev=$attached
attach "$LAB/img/xfs.img"
xfs_dev=$attached
attach "$LAB/img/btrfs.img"
btrfs_dev=$attached
attach "$LAB/img/btrfs2.img"
btrfs2_dev=$attached
attach -P "$LAB/img/gpt.img"
gpt_dev=$attached
mkfs.ext4 -q -F -L lab-ext4 "$ext4_dev"
mkfs.xfs -q -f -L lab-xfs "$xfs_dev"
mkfs.btrfs -q -f -L lab-btrfs -d single -m raid1 "$btrfs_dev" "$btrfs2_dev" >/dev/null
btrfs_devs=("$btrfs_dev" "$btrfs2_dev")
btrfs device scan "${btrfs_devs[@]}" >/dev/null
# kernels without a partition-table parser (CONFIG_EFI_PARTITION off, as
# on the recording host) scan nothing: partx reads the table with libblkid
# and adds the partition through BLKPG, which gives the same sysfs
for _ in $(seq 20); do [ -b "${gpt_dev}p1" ] && break; sleep 0.1; done
partx_note=
if [ ! -b "${gpt_dev}p1" ]; then
  partx -a "$gpt_dev"
  partx_note="The kernel found no partition (no partition-table parser built in): partx
added ${gpt_dev}p1 from the GPT through BLKPG, which makes the same sysfs."
fi
for _ in $(seq 50); do [ -b "${gpt_dev}p1" ] && break; sleep 0.1; done
mkfs.ext4 -q -F -L lab-gpt "${gpt_dev}p1"

# 1. ext4 and its bind mount
do_mount "$LAB/mnt/ext4" "$ext4_dev"
do_mount "$LAB/mnt/ext4-bind" --bind "$LAB/mnt/ext4"

# 2. the xfs at a staging dir, early.img in it, its ext4 mounted
do_mount "$LAB/stage" "$xfs_dev"
truncate -s 16M "$LAB/stage/early.img"
mkfs.ext4 -q -F -L lab-early "$LAB/stage/early.img"
attach "$LAB/stage/early.img"
early_dev=$attached
do_mount "$LAB/mnt/early" "$early_dev"

# 3. the xfs moved to its real place: it becomes the root's latest child
mkdir -p "$LAB/mnt/xfs"
mount --move "$LAB/stage" "$LAB/mnt/xfs"
for i in "${!mounts[@]}"; do
  [ "${mounts[i]}" = "$LAB/stage" ] && mounts[i]=$LAB/mnt/xfs
done

# 4. an ext4 image inside the xfs, loop-mounted below it
truncate -s 16M "$LAB/mnt/xfs/inner.img"
mkfs.ext4 -q -F -L lab-inner "$LAB/mnt/xfs/inner.img"
attach "$LAB/mnt/xfs/inner.img"
inner_dev=$attached
do_mount "$LAB/mnt/xfs/inner" "$inner_dev"

# 5. btrfs and a subvolume of it
do_mount "$LAB/mnt/btrfs" "$btrfs_dev"
btrfs -q subvolume create "$LAB/mnt/btrfs/sv" >/dev/null
do_mount "$LAB/mnt/btrfs-sv" -o subvol=sv "$btrfs_dev"

# 6. partition 1 of the GPT loop, at a path with a space
do_mount "$LAB/mnt/gpt part" "${gpt_dev}p1"

# 7. a tmpfs, then the ext4 bind-mounted over it
do_mount "$LAB/mnt/tmpfs" -t tmpfs -o size=1m lab-tmpfs
do_mount "$LAB/mnt/tmpfs" --bind "$LAB/mnt/ext4"

echo "lab:"
grep " $LAB/" /proc/self/mountinfo
losetup -l | grep "$LAB/" || true

# record from a fresh mount namespace: it lists the mounts in tree order,
# where the moved xfs comes after mnt/early (this namespace lists them in
# creation order)
rm -rf "$dest"
cd "$src"
case "$dest" in
  "$src"/*) dest_arg=${dest#"$src"/} ;; # the README then names no host path
  *) dest_arg=$dest ;;
esac
unshare -m --propagation unchanged tests/mk-sysroot.sh --only "$LAB" "$dest_arg"
{
  echo
  echo "The layout is the loop lab of tests/data/sysroot/mk-loop-lab.sh:"
  echo "  ext4      $ext4_dev  mnt/ext4, mnt/ext4-bind (bind)"
  echo "  early     $early_dev  mnt/early (backing file mnt/xfs/early.img)"
  echo "  xfs       $xfs_dev  mnt/xfs"
  echo "  inner     $inner_dev  mnt/xfs/inner (backing file mnt/xfs/inner.img)"
  echo "  btrfs     $btrfs_dev + $btrfs2_dev  mnt/btrfs, mnt/btrfs-sv (subvol=sv)"
  echo "  gpt       $gpt_dev (GPT), ${gpt_dev}p1 at 'mnt/gpt part'"
  echo "  tmpfs     mnt/tmpfs, covered by a bind mount of mnt/ext4"
  echo "(mnt = $LAB/mnt).  Recorded in a new mount namespace (unshare -m),"
  echo "whose mountinfo lists mounts in tree order: the xfs, mounted first at a"
  echo "staging dir and then moved, comes after mnt/early."
  [ -z "$partx_note" ] || printf '%s\n' "$partx_note"
} >>"$dest/README"
