#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# libvirt-lab.sh: the VM lab of ../run-vm.sh (same kernel, initramfs, disks
# and agents), run by a real libvirtd instead of a bare QEMU.
#
#   libvirt-lab.sh daemons-start DIR   start virtlogd and libvirtd unless
#                                      they run; note in DIR what was started
#   libvirt-lab.sh daemons-stop DIR    stop only what daemons-start started,
#                                      undo its /etc/libvirt/qemu.conf
#   libvirt-lab.sh xml DIR NAME        print the domain XML
#   libvirt-lab.sh start DIR NAME      make the disks, `virsh define` and
#                                      `virsh start` the domain, wait for
#                                      LAB-READY
#   libvirt-lab.sh stop DIR NAME       `virsh destroy` it (it stays defined)
#   libvirt-lab.sh remove NAME         destroy and undefine it
#
# With QUIESCE_VM_SWAP_AGENTS=1 (xml, start) the kernel command line gets
# quiesce.swap_agents=1: the guest's init then runs qemu-ga on
# org.qemu.guest_agent.0 (the channel libvirtd holds) and quiesce-agent on
# .1 (DIR/qga.sock), so that the same virsh commands can be run against
# qemu-ga in the same guest image.  run-vm.sh's exec/spawn/status do not
# work on such a domain (they need qemu-ga on DIR/qga.sock).
#
# The domain is type='qemu' (TCG), direct kernel boot, 8 virtio disks
# vda..vdh with <serial>, a virtio-scsi and a SATA disk, the agent channel
# org.qemu.guest_agent.0 (quiesce-agent, held by libvirtd) and a second
# channel org.qemu.guest_agent.1 (qemu-ga) bound to DIR/qga.sock, so that
# run-vm.sh's exec/spawn/status/qga work on DIR unchanged.  libvirt 9.0
# has no NVMe disk bus: the NVMe disk is added with <qemu:commandline>
# (the domain log then also shows the "custom-argv" taint).
#
# As root only: libvirtd's system instance.  When they are missing,
# daemons-start creates the libvirt-qemu user and group that Debian's
# libvirt-daemon-system would have created (libvirtd's QEMU driver does
# not start without them), and, if /etc/libvirt/qemu.conf does not exist,
# writes one that runs QEMU as root with no security driver (removed
# again by daemons-stop).  Exit 77 with the reason when libvirt cannot be
# had.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/../run-vm.sh
cache=$("$run" cachedir)
timeout=${QUIESCE_VM_TIMEOUT:-600}
uri=qemu:///system

skip() { echo "SKIP: $*" >&2; exit 77; }
die() { echo "libvirt-lab: $*" >&2; exit 1; }
log() { echo "libvirt-lab: $*" >&2; }
have() { PATH=$PATH:/usr/sbin:/sbin command -v "$1" >/dev/null 2>&1; }

qemu_conf=/etc/libvirt/qemu.conf
conf_mark="# written by quiesce tests/vm/libvirt/libvirt-lab.sh"

daemon_pid() {
  # daemon_pid NAME: pid of a running daemon NAME, from its pidfile
  local f
  for f in "/run/$1.pid" "$2"; do
    [ -n "$f" ] && [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && { cat "$f"; return 0; }
  done
  return 1
}

cmd_daemons_start() {
  local dir=$1 t
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] || skip "libvirtd's system instance needs root"
  for t in libvirtd virtlogd virsh qemu-system-x86_64; do
    have "$t" || skip "$t is missing (Debian: libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu qemu-system-x86)"
  done
  [ -e /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ] ||
    [ -n "$(find /usr/lib* -name libvirt_driver_qemu.so 2>/dev/null | head -1)" ] ||
    skip "libvirt's QEMU driver is missing (Debian: libvirt-daemon-driver-qemu)"
  getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu ||
    skip "cannot create the group libvirt-qemu"
  getent group kvm >/dev/null || groupadd --system kvm || true
  getent passwd libvirt-qemu >/dev/null ||
    useradd --system --no-create-home -d /var/lib/libvirt -s /usr/sbin/nologin \
      -g libvirt-qemu -G kvm libvirt-qemu || skip "cannot create the user libvirt-qemu"
  if [ ! -e "$qemu_conf" ]; then
    mkdir -p /etc/libvirt
    printf '%s\nuser = "root"\ngroup = "root"\nsecurity_driver = "none"\n' "$conf_mark" >"$qemu_conf"
    touch "$dir/wrote-qemu.conf"
  fi
  if ! daemon_pid virtlogd "" >/dev/null; then
    virtlogd -d -p "$dir/virtlogd.pid" || skip "virtlogd cannot start"
    for _ in $(seq 50); do [ -f "$dir/virtlogd.pid" ] && break; sleep 0.1; done
    [ -f "$dir/virtlogd.pid" ] || skip "virtlogd did not start"
    cp "$dir/virtlogd.pid" "$dir/started-virtlogd"
  fi
  if ! virsh -c "$uri" uri >/dev/null 2>&1; then
    libvirtd -d -p "$dir/libvirtd.pid" || skip "libvirtd cannot start"
    for _ in $(seq 100); do
      virsh -c "$uri" uri >/dev/null 2>&1 && break
      sleep 0.1
    done
    [ -f "$dir/libvirtd.pid" ] && cp "$dir/libvirtd.pid" "$dir/started-libvirtd"
    virsh -c "$uri" uri >/dev/null 2>&1 ||
      skip "libvirtd does not answer on $uri (run 'libvirtd' in the foreground to see why)"
  fi
  virsh -c "$uri" version 2>&1 | sed 's/^/libvirt-lab: /' >&2
}

cmd_daemons_stop() {
  local dir=$1 f pid
  for f in libvirtd virtlogd; do
    [ -f "$dir/started-$f" ] || continue
    pid=$(cat "$dir/started-$f")
    # only the daemon this script started, by its pid
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/started-$f"
  done
  if [ -f "$dir/wrote-qemu.conf" ] && head -1 "$qemu_conf" 2>/dev/null | grep -qF "$conf_mark"; then
    rm -f "$qemu_conf"
  fi
  rm -f "$dir/wrote-qemu.conf"
}

# the disks of run-vm.sh: file:size:bus:serial, and their libvirt targets
lab_disks=(
  vda:64M:virtio:QZ-VIRTIO-A
  vdb:64M:virtio:QZ-PART
  vdc:64M:virtio:QZ-LV-1
  vdd:64M:virtio:QZ-LV-2
  vde:64M:virtio:QZ-MD-1
  vdf:64M:virtio:QZ-MD-2
  vdg:160M:virtio:QZ-BTR-1
  vdh:160M:virtio:QZ-BTR-2
  sda:64M:scsi:QZ-SCSI
  sdb:64M:sata:QZ-SATA
  nvme:64M:nvme:QZ-NVME
)

cmd_xml() {
  local dir=$1 name=$2 d target size bus serial swap_arg=""
  [ "${QUIESCE_VM_SWAP_AGENTS:-0}" = 1 ] && swap_arg=" quiesce.swap_agents=1"
  cat <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <memory unit='MiB'>768</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$cache/kernel/vmlinuz</kernel>
    <initrd>$cache/initramfs.gz</initrd>
    <cmdline>console=ttyS0 loglevel=4 panic=-1 rdinit=/init$swap_arg</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='maximum' check='none'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$(PATH=$PATH:/usr/bin command -v qemu-system-x86_64)</emulator>
    <controller type='usb' model='none'/>
    <controller type='scsi' index='0' model='virtio-scsi'/>
    <controller type='sata' index='0'/>
    <controller type='virtio-serial' index='0'/>
XML
  for d in "${lab_disks[@]}"; do
    IFS=: read -r target size bus serial <<<"$d"
    [ "$bus" = nvme ] && continue
    printf "    <disk type='file' device='disk'>\n"
    printf "      <driver name='qemu' type='raw' cache='unsafe'/>\n"
    printf "      <source file='%s'/>\n" "$dir/disk-$target.img"
    printf "      <target dev='%s' bus='%s'/>\n" "$target" "$bus"
    printf "      <serial>%s</serial>\n" "$serial"
    [ "$bus" = scsi ] &&
      printf "      <address type='drive' controller='0' bus='0' target='1' unit='2'/>\n"
    printf "    </disk>\n"
  done
  cat <<XML
    <serial type='file'>
      <source path='$dir/console.log'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$dir/console.log'/>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <channel type='unix'>
      <source mode='bind' path='$dir/qga.sock'/>
      <target type='virtio' name='org.qemu.guest_agent.1'/>
    </channel>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-drive'/>
    <qemu:arg value='file=$dir/disk-nvme.img,format=raw,if=none,id=d-nvme,cache=unsafe'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='nvme,drive=d-nvme,serial=QZ-NVME,bus=pci.0,addr=0x1e'/>
  </qemu:commandline>
</domain>
XML
}

cmd_start() {
  local dir=$1 name=$2 d target size bus serial
  [ -f "$cache/initramfs.gz" ] && [ -f "$cache/kernel/ok" ] || "$run" prepare
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  for d in "${lab_disks[@]}"; do
    IFS=: read -r target size bus serial <<<"$d"
    rm -f "$dir/disk-$target.img"
    truncate -s "$size" "$dir/disk-$target.img"
  done
  rm -f "$dir/console.log" "$dir"/*.sock
  cmd_xml "$dir" "$name" >"$dir/domain.xml"
  cmd_remove "$name"
  virsh -c "$uri" define "$dir/domain.xml" >"$dir/virsh-create.log" 2>&1 ||
    { cat "$dir/virsh-create.log" >&2; die "virsh define refuses the domain XML"; }
  local t0=$EPOCHREALTIME
  virsh -c "$uri" start "$name" >>"$dir/virsh-create.log" 2>&1 ||
    { cat "$dir/virsh-create.log" >&2; cmd_remove "$name"
      skip "virsh start cannot start the domain (see $dir/virsh-create.log)"; }
  while :; do
    if grep -q '^LAB-READY' "$dir/console.log" 2>/dev/null; then break; fi
    if grep -q '^LAB-FAIL' "$dir/console.log" 2>/dev/null; then
      tail -40 "$dir/console.log" >&2; die "the guest failed to set up its lab"
    fi
    virsh -c "$uri" domid "$name" >/dev/null 2>&1 ||
      { tail -40 "$dir/console.log" >&2 || true; die "the domain stopped before LAB-READY"; }
    if awk -v a="$t0" -v b="$EPOCHREALTIME" -v t="$timeout" 'BEGIN {exit !(b - a > t)}'; then
      tail -40 "$dir/console.log" >&2; virsh -c "$uri" destroy "$name" >/dev/null 2>&1
      die "no LAB-READY after ${timeout}s"
    fi
    sleep 0.2
  done
  local wall
  wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
  echo "$wall" >"$dir/boot-seconds"
  log "LAB-READY after ${wall}s wall ($(grep -a '^LAB-READY' "$dir/console.log"))"
}

cmd_stop() {
  local dir=$1 name=$2
  virsh -c "$uri" domid "$name" >/dev/null 2>&1 || return 0
  grep -aq '^LAB-AGENTS quiesce-agent-port=org.qemu.guest_agent.1' "$dir/console.log" 2>/dev/null ||
    QUIESCE_VM_REPLY_TIMEOUT=20 "$run" exec "$dir" /bin/busybox sync >/dev/null 2>&1 || true
  virsh -c "$uri" destroy "$name" >/dev/null 2>&1 || true
}

cmd_remove() {
  local name=$1
  virsh -c "$uri" dominfo "$name" >/dev/null 2>&1 || return 0
  virsh -c "$uri" destroy "$name" >/dev/null 2>&1 || true
  virsh -c "$uri" undefine "$name" >/dev/null 2>&1 || true
}

case "${1:-}" in
  daemons-start) cmd_daemons_start "${2:?DIR}" ;;
  daemons-stop) cmd_daemons_stop "${2:?DIR}" ;;
  xml) cmd_xml "${2:?DIR}" "${3:?NAME}" ;;
  start) cmd_start "${2:?DIR}" "${3:?NAME}" ;;
  stop) cmd_stop "${2:?DIR}" "${3:?NAME}" ;;
  remove) cmd_remove "${2:?NAME}" ;;
  *) sed -n '7,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
