#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-vm.sh: boot a small real Linux guest under QEMU with a disk lab
# (virtio-blk, virtio-scsi, AHCI/SATA, NVMe, a partitioned disk, LVM over
# two disks, md RAID1, two-device btrfs), quiesce-agent on virtio-serial
# org.qemu.guest_agent.0 and Debian's qemu-ga on org.qemu.guest_agent.1.
#
#   run-vm.sh prepare                 fetch the kernel, build the initramfs
#   run-vm.sh start DIR               make disks in DIR, boot, wait for LAB-READY
#   run-vm.sh agent DIR JSON          one request to quiesce-agent, print the reply
#   run-vm.sh qga DIR JSON            one request to qemu-ga, print the reply
#   run-vm.sh exec DIR CMD [ARG]...   run CMD in the guest (through qemu-ga's
#                                     guest-exec); print its stdout, exit with
#                                     its status
#   run-vm.sh spawn DIR CMD [ARG]...  start CMD in the guest, print its guest pid
#   run-vm.sh status DIR PID          "running" or "exited CODE"
#   run-vm.sh record DIR DEST [OPT].. run tests/mk-sysroot.sh [OPT]... and
#                                     tests/vm/mk-sysroot-extra.sh in the guest,
#                                     unpack the recording into DEST
#   run-vm.sh stop DIR                power the guest off (kill it if it hangs)
#
# Exit status 77 (meson's "skipped") with a printed reason when QEMU, the
# kernel package or the guest tools are missing and cannot be installed.
#
# Environment:
#   QUIESCE_SOURCE_DIR, QUIESCE_BUILD_DIR  set by meson; default: this tree
#                                     and its build/
#   QUIESCE_AGENT        the agent binary (default BUILD/agent/quiesce-agent)
#   QUIESCE_VM_CACHE     kernel and initramfs cache (default BUILD/tests/vm/cache)
#   QUIESCE_VM_TIMEOUT   seconds to wait for LAB-READY (default 600)
#   QUIESCE_VM_INSTALL   0: never apt-get install missing host packages
#
# KVM does not work on the machines this was written on (nested PVM), so
# the guest runs under TCG unless QUIESCE_VM_ACCEL=kvm.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${QUIESCE_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
build=${QUIESCE_BUILD_DIR:-$src/build}
agent_bin=${QUIESCE_AGENT:-$build/agent/quiesce-agent}
cache=${QUIESCE_VM_CACHE:-$build/tests/vm/cache}
timeout=${QUIESCE_VM_TIMEOUT:-600}
accel=${QUIESCE_VM_ACCEL:-tcg}

skip() { echo "SKIP: $*" >&2; exit 77; }
die() { echo "run-vm: $*" >&2; exit 1; }
log() { echo "run-vm: $*" >&2; }

# ---- host packages ----------------------------------------------------------

# command -> Debian package that provides it on the host
host_needs=(
  qemu-system-x86_64:qemu-system-x86 socat:socat cpio:cpio modprobe:kmod
  depmod:kmod busybox:busybox-static lvm:lvm2 mdadm:mdadm mkfs.btrfs:btrfs-progs
  mkfs.ext4:e2fsprogs sfdisk:fdisk lsblk:util-linux ldconfig:libc-bin
  apt-get:apt dpkg:dpkg
)
# libraries of Debian's qemu-ga, which is unpacked with dpkg -x, not installed
qga_lib_pkgs=(libglib2.0-0 libudev1 libnuma1 liburing2)

have() { PATH=$PATH:/usr/sbin:/sbin command -v "$1" >/dev/null 2>&1; }

ensure_host_tools() {
  local missing=() pkgs=() e p
  for e in "${host_needs[@]}"; do
    have "${e%%:*}" || { missing+=("${e%%:*}"); pkgs+=("${e#*:}"); }
  done
  for p in "${qga_lib_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$p")
  done
  [ ${#pkgs[@]} -eq 0 ] && return 0
  if [ "${QUIESCE_VM_INSTALL:-1}" = 1 ] && [ "$(id -u)" = 0 ] && have apt-get; then
    log "installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null 2>&1 || true
    # shellcheck disable=SC2046
    apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${pkgs[@]}" | sort -u) \
      >"$cache/apt.log" 2>&1 || skip "apt-get install ${pkgs[*]} failed (see $cache/apt.log)"
  fi
  for e in "${host_needs[@]}"; do
    have "${e%%:*}" || skip "${e%%:*} is missing (Debian package ${e#*:})"
  done
}

# ---- kernel -----------------------------------------------------------------

fetch_kernel() {
  # the newest Debian kernel package linux-image-amd64 points at, unpacked
  # (dpkg -x, not installed) into $cache/kernel
  if [ -f "$cache/kernel/ok" ]; then
    kver=$(cat "$cache/kernel/ok")
    return 0
  fi
  local pkg deb
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$pkg" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [ -n "$pkg" ] || skip "no Debian kernel package found (apt-cache depends linux-image-amd64)"
  rm -rf "$cache/kernel" "$cache/dl"
  mkdir -p "$cache/dl" "$cache/kernel"
  (cd "$cache/dl" && apt-get download "$pkg" >/dev/null 2>&1) ||
    skip "cannot download the kernel package $pkg"
  deb=$(ls "$cache"/dl/*.deb | head -1)
  dpkg -x "$deb" "$cache/kernel/root"
  kver=$(ls "$cache/kernel/root/lib/modules" | head -1)
  cp "$cache/kernel/root/boot/vmlinuz-$kver" "$cache/kernel/vmlinuz"
  depmod -b "$cache/kernel/root" "$kver"
  rm -rf "$cache/dl"
  echo "$kver" >"$cache/kernel/ok"
}

fetch_qga() {
  # Debian's qemu-ga binary, dpkg -x of qemu-guest-agent (not installed)
  [ -x "$cache/qga/usr/sbin/qemu-ga" ] && return 0
  rm -rf "$cache/qga" "$cache/dl-qga"
  mkdir -p "$cache/dl-qga"
  (cd "$cache/dl-qga" && apt-get download qemu-guest-agent >/dev/null 2>&1) ||
    skip "cannot download qemu-guest-agent"
  dpkg -x "$cache"/dl-qga/*.deb "$cache/qga"
  rm -rf "$cache/dl-qga"
}

# modules, in load order (modprobe --show-depends on the unpacked tree)
guest_modules=(virtio_pci virtio_blk virtio_console virtio_scsi sd_mod ahci nvme
               crc32c ext4 dm_mod md_mod raid1 btrfs)

# ---- initramfs --------------------------------------------------------------

add_file() {
  # add_file HOSTPATH GUESTPATH
  mkdir -p "$root/$(dirname "$2")"
  cp -L "$1" "$root/$2"
}

add_libs() {
  local lib
  for lib in $(ldd "$1" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
    [ -e "$root/lib/x86_64-linux-gnu/$(basename "$lib")" ] && continue
    case "$lib" in
      */ld-linux-x86-64.so.2) add_file "$lib" /lib64/ld-linux-x86-64.so.2 ;;
    esac
    add_file "$lib" "/lib/x86_64-linux-gnu/$(basename "$lib")"
  done
  if ldd "$1" 2>/dev/null | grep -q "not found"; then
    die "$1: libraries not found: $(ldd "$1" | grep 'not found' | tr '\n' ' ')"
  fi
}

add_bin() {
  # add_bin HOSTPATH GUESTPATH: a dynamic binary and its libraries
  add_file "$1" "$2"
  add_libs "$1"
}

build_initramfs() {
  [ -x "$agent_bin" ] || die "no agent binary at $agent_bin (ninja -C $build)"
  root=$cache/initramfs.d
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/x86_64-linux-gnu,lib64,etc/lvm,proc,sys,dev,run,tmp,mnt,lab,root}
  mkdir -p "$root/var"
  ln -s ../run "$root/var/run"
  ln -s ../run/lock "$root/var/lock"

  # busybox for the shell and the small tools; real tools by absolute path
  cp "$(PATH=$PATH:/usr/sbin:/sbin command -v busybox)" "$root/bin/busybox"
  local a
  for a in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
  done

  local p
  for p in /usr/bin/bash /usr/sbin/lvm /usr/sbin/mdadm /usr/sbin/mkfs.btrfs /usr/bin/btrfs \
           /usr/sbin/mke2fs /usr/sbin/sfdisk /usr/bin/lsblk /usr/sbin/blkid /usr/sbin/dmsetup; do
    [ -e "$p" ] || p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$(basename "$p")")
    add_bin "$p" "/usr/sbin/$(basename "$p")"
  done
  ln -sf mke2fs "$root/usr/sbin/mkfs.ext4"
  add_bin "$agent_bin" /usr/sbin/quiesce-agent
  add_bin "$cache/qga/usr/sbin/qemu-ga" /usr/sbin/qemu-ga

  cat >"$root/etc/lvm/lvm.conf" <<'EOF'
devices {
  obtain_device_list_from_udev = 0
  external_device_info_source = "none"
}
activation {
  udev_sync = 0
  udev_rules = 0
  monitoring = 0
}
global {
  use_lvmetad = 0
}
EOF
  mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
  echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
  echo "root:x:0:" >"$root/etc/group"
  echo /lib/x86_64-linux-gnu >"$root/etc/ld.so.conf"
  ldconfig -r "$root" 2>/dev/null || true

  # kernel modules in load order
  local kroot=$cache/kernel/root m line
  : >"$root/lab/modules"
  for m in "${guest_modules[@]}"; do
    modprobe -C /dev/null -d "$kroot" -S "$kver" --show-depends "$m"
  done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' | while read -r line; do
    rel=${line#"$kroot"}
    add_file "$line" "$rel"
    echo "$rel" >>"$root/lab/modules"
  done

  add_file "$here/init" /init
  chmod 755 "$root/init"
  add_file "$src/tests/mk-sysroot.sh" /lab/mk-sysroot.sh
  add_file "$here/mk-sysroot-extra.sh" /lab/mk-sysroot-extra.sh
  echo "$kver" >"$root/lab/kernel"

  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$cache/initramfs.gz.tmp"
  mv "$cache/initramfs.gz.tmp" "$cache/initramfs.gz"
}

cmd_prepare() {
  mkdir -p "$cache"
  ensure_host_tools
  fetch_kernel
  fetch_qga
  build_initramfs
  log "kernel $kver, initramfs $(du -h "$cache/initramfs.gz" | cut -f1) in $cache"
}

# ---- the guest --------------------------------------------------------------

# disks: file:size:bus:serial
lab_disks=(
  vda:64M:virtio:QZ-VIRTIO-A
  vdb:64M:virtio:QZ-PART
  vdc:64M:virtio:QZ-LV-1
  vdd:64M:virtio:QZ-LV-2
  vde:64M:virtio:QZ-MD-1
  vdf:64M:virtio:QZ-MD-2
  vdg:160M:virtio:QZ-BTR-1
  vdh:160M:virtio:QZ-BTR-2
  scsi:64M:scsi:QZ-SCSI
  sata:64M:sata:QZ-SATA
  nvme:64M:nvme:QZ-NVME
)

qemu_cmdline() {
  # the QEMU command line for the lab in DIR, one argument per line
  local dir=$1 slot=8 d name size bus serial
  printf '%s\n' qemu-system-x86_64 -accel "$accel" -machine pc -cpu max -smp 1 -m 768 \
    -nodefaults -display none -no-reboot \
    -kernel "$cache/kernel/vmlinuz" -initrd "$cache/initramfs.gz" \
    -append "console=ttyS0 loglevel=4 panic=-1 rdinit=/init" \
    -serial "file:$dir/console.log" \
    -device virtio-serial-pci,id=vser0,addr=0x4 \
    -chardev "socket,path=$dir/agent.sock,server=on,wait=off,id=qga0" \
    -device virtserialport,bus=vser0.0,chardev=qga0,name=org.qemu.guest_agent.0 \
    -chardev "socket,path=$dir/qga.sock,server=on,wait=off,id=qga1" \
    -device virtserialport,bus=vser0.0,chardev=qga1,name=org.qemu.guest_agent.1 \
    -device virtio-scsi-pci,id=scsi0,addr=0x5 \
    -device ahci,id=ahci0,addr=0x6 \
    -monitor "unix:$dir/monitor.sock,server=on,wait=off"
  for d in "${lab_disks[@]}"; do
    IFS=: read -r name size bus serial <<<"$d"
    printf '%s\n' -drive "file=$dir/disk-$name.img,format=raw,if=none,id=d-$name,cache=unsafe"
    case "$bus" in
      virtio)
        printf '%s\n' -device "virtio-blk-pci,drive=d-$name,serial=$serial,addr=$(printf 0x%x $slot)"
        slot=$((slot + 1)) ;;
      scsi) printf '%s\n' -device "scsi-hd,bus=scsi0.0,channel=0,scsi-id=1,lun=2,drive=d-$name,serial=$serial" ;;
      sata) printf '%s\n' -device "ide-hd,bus=ahci0.0,drive=d-$name,serial=$serial" ;;
      nvme) printf '%s\n' -device "nvme,drive=d-$name,serial=$serial,addr=0x7" ;;
    esac
  done
}

cmd_start() {
  local dir=$1 d name size bus serial
  [ -f "$cache/initramfs.gz" ] && [ -f "$cache/kernel/ok" ] || cmd_prepare
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  for d in "${lab_disks[@]}"; do
    IFS=: read -r name size bus serial <<<"$d"
    rm -f "$dir/disk-$name.img"
    truncate -s "$size" "$dir/disk-$name.img"
  done
  rm -f "$dir/console.log" "$dir"/*.sock
  mapfile -t cmd < <(qemu_cmdline "$dir")
  local a line=""
  for a in "${cmd[@]}"; do
    case "$a" in *" "*) line+=" '$a'" ;; *) line+=" $a" ;; esac
  done
  echo "${line# }" >"$dir/qemu.cmdline"
  local t0=$EPOCHREALTIME
  "${cmd[@]}" -daemonize -pidfile "$dir/qemu.pid" >"$dir/qemu.log" 2>&1 ||
    { cat "$dir/qemu.log" >&2; skip "qemu-system-x86_64 cannot start (see $dir/qemu.log)"; }
  local pid
  pid=$(cat "$dir/qemu.pid")
  while :; do
    if grep -q '^LAB-READY' "$dir/console.log" 2>/dev/null; then break; fi
    if grep -q '^LAB-FAIL' "$dir/console.log" 2>/dev/null; then
      tail -40 "$dir/console.log" >&2; die "the guest failed to set up its lab"
    fi
    kill -0 "$pid" 2>/dev/null || { tail -40 "$dir/console.log" >&2; die "QEMU exited before LAB-READY"; }
    if awk -v a="$t0" -v b="$EPOCHREALTIME" -v t="$timeout" 'BEGIN {exit !(b - a > t)}'; then
      tail -40 "$dir/console.log" >&2; kill "$pid"; die "no LAB-READY after ${timeout}s"
    fi
    sleep 0.2
  done
  local wall
  wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
  echo "$wall" >"$dir/boot-seconds"
  log "LAB-READY after ${wall}s wall ($(grep '^LAB-READY' "$dir/console.log"))"
}

# ---- talking to the agents --------------------------------------------------

request() {
  # request SOCKET JSON: guest-sync with a fresh id to skip any stale
  # reply left in the port, then JSON; print JSON's reply line
  local sock=$1 json=$2 id line
  [ -S "$sock" ] || die "no socket $sock (is the guest running?)"
  id=$((RANDOM * 32768 + RANDOM))
  coproc SOCAT { exec socat - "UNIX-CONNECT:$sock"; }
  local in=${SOCAT[1]} out=${SOCAT[0]} spid=$SOCAT_PID
  printf '{"execute":"guest-sync","arguments":{"id":%d}}\n' "$id" >&"$in"
  while :; do
    IFS= read -r -t 60 line <&"$out" || { kill "$spid" 2>/dev/null; die "no guest-sync reply on $sock"; }
    line=${line//$'\xff'/}
    case "$line" in *"\"return\""*"$id"*) break ;; esac
  done
  printf '%s\n' "$json" >&"$in"
  IFS= read -r -t "${QUIESCE_VM_REPLY_TIMEOUT:-120}" line <&"$out" ||
    { kill "$spid" 2>/dev/null; die "no reply on $sock"; }
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  printf '%s\n' "$line"
}

json_str() {
  # json_str STRING: a JSON string literal
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

cmd_exec() {
  # through qemu-ga's guest-exec; stdout to stdout, stderr to stderr
  local dir=$1 path=$2 args="" a r pid
  shift 2
  for a in "$@"; do args+="${args:+,}$(json_str "$a")"; done
  r=$(request "$dir/qga.sock" "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":$(json_str "$path"),\"arg\":[$args],\"capture-output\":true}}")
  pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' <<<"$r")
  [ -n "$pid" ] || die "guest-exec failed: $r"
  while :; do
    r=$(request "$dir/qga.sock" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
    case "$r" in *'"exited": true'*) break ;; *'"exited": false'*) sleep 0.2 ;; *) die "guest-exec-status: $r" ;; esac
  done
  sed -n 's/.*"out-data": *"\([^"]*\)".*/\1/p' <<<"$r" | base64 -d
  sed -n 's/.*"err-data": *"\([^"]*\)".*/\1/p' <<<"$r" | base64 -d >&2
  local code
  code=$(sed -n 's/.*"exitcode": *\([0-9-]*\).*/\1/p' <<<"$r")
  return "${code:-1}"
}

cmd_spawn() {
  # start CMD in the guest through guest-exec without waiting; print its pid
  local dir=$1 path=$2 args="" a r pid
  shift 2
  for a in "$@"; do args+="${args:+,}$(json_str "$a")"; done
  r=$(request "$dir/qga.sock" "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":$(json_str "$path"),\"arg\":[$args],\"capture-output\":true}}")
  pid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' <<<"$r")
  [ -n "$pid" ] || die "guest-exec failed: $r"
  echo "$pid"
}

cmd_status() {
  # print "running" or "exited CODE" for a pid from spawn
  local r
  r=$(request "$1/qga.sock" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$2}}")
  case "$r" in
    *'"exited": true'*) echo "exited $(sed -n 's/.*"exitcode": *\([0-9-]*\).*/\1/p' <<<"$r")" ;;
    *'"exited": false'*) echo running ;;
    *) die "guest-exec-status: $r" ;;
  esac
}

cmd_record() {
  # run the recorder in the guest, copy the tree out as a tar stream
  local dir=$1 dest=$2 q="" a
  shift 2
  for a in "$@"; do q+=" $(printf '%q' "$a")"; done
  [ ! -e "$dest" ] || [ -z "$(ls -A "$dest")" ] || die "$dest exists and is not empty"
  mkdir -p "$dest"
  cmd_exec "$dir" /usr/sbin/bash -c \
    "rm -rf /tmp/rec && bash /lab/mk-sysroot.sh$q /tmp/rec >&2 &&
     bash /lab/mk-sysroot-extra.sh /tmp/rec && tar -C /tmp/rec -cf - ." \
    | tar -C "$dest" -xf -
  [ -f "$dest/proc/self/mountinfo" ] || die "the recording in $dest is empty"
}

cmd_stop() {
  local dir=$1 pid
  [ -f "$dir/qemu.pid" ] || return 0
  pid=$(cat "$dir/qemu.pid")
  if kill -0 "$pid" 2>/dev/null; then
    # the guest's init handles no ACPI event: sync, then quit QEMU
    QUIESCE_VM_REPLY_TIMEOUT=20 cmd_exec "$dir" /bin/busybox sync >/dev/null 2>&1 || true
    printf 'quit\n' | timeout 5 socat - "UNIX-CONNECT:$dir/monitor.sock" >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/qemu.pid"
}

case "${1:-}" in
  prepare) cmd_prepare ;;
  cmdline) qemu_cmdline "${2:?DIR}" ;;
  cachedir) echo "$cache" ;;
  start) cmd_start "${2:?DIR}" ;;
  agent) request "${2:?DIR}/agent.sock" "${3:?JSON}" ;;
  qga) request "${2:?DIR}/qga.sock" "${3:?JSON}" ;;
  exec) shift; [ $# -ge 2 ] || die "usage: exec DIR CMD [ARG]..."; cmd_exec "$@" ;;
  record) shift; [ $# -ge 2 ] || die "usage: record DIR DEST [OPT]..."; cmd_record "$@" ;;
  spawn) shift; [ $# -ge 2 ] || die "usage: spawn DIR CMD [ARG]..."; cmd_spawn "$@" ;;
  status) cmd_status "${2:?DIR}" "${3:?PID}" ;;
  stop) cmd_stop "${2:?DIR}" ;;
  *) sed -n '5,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
