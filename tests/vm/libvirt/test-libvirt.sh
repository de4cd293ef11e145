#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-libvirt.sh: the libvirt part of the "vm" suite (issue 6).  Starts
# virtlogd and libvirtd by hand when they do not run, boots the lab guest
# of ../run-vm.sh as a libvirt type='qemu' (TCG) domain with quiesce-agent
# on org.qemu.guest_agent.0, then:
#   1. drives quiesce-agent with the real, unmodified virsh (domfsinfo,
#      domfsfreeze/domfsthaw, guestinfo, snapshot-create-as --quiesce);
#   2. drives it with quiesce -c qemu:///system (the libvirt transport of
#      libquiesce-1), and checks the point of the project: a handle holds
#      the LV's filesystem frozen across `virsh domfsfreeze` +
#      `virsh domfsthaw`, as a writer in the guest shows;
#      quiesce snapshot-create DOMAIN --disk vdb -- COMMAND: COMMAND's
#      environment, what is frozen while it runs, nothing frozen after;
#      and snapshot-create DOMAIN --disk vdb --libvirt-snapshot qz1 while
#      another handle holds /mnt/lv: only vdb moves to an overlay, qz1 is
#      listed, /mnt/lv stays frozen (its metadata is deleted afterwards);
#   3. checks that libvirt's errors keep their message (agent timeout,
#      agent not connected, domain not running, no such domain);
#   4. boots the same image again with quiesce.swap_agents=1 (qemu-ga on
#      org.qemu.guest_agent.0), runs the virsh commands of 1 against qemu-ga
#      and compares both outputs side by side (compare-virsh.py names the
#      exceptions the design allows); the side-by-side report also goes to
#      BUILD/meson-logs/vm-libvirt-virsh-vs-qemu-ga.txt.
# Every virsh and quiesce command and its output goes to the log ("$ ..."
# lines).  Stops only the daemons it started, and undefines the domain.
#
# Exit 77 with the reason when libvirt, QEMU or the kernel cannot be had.
#
# Environment: QUIESCE_CLI (default BUILD/host/cli/quiesce), those of
# ../run-vm.sh, QUIESCE_LIBVIRT_DOMAIN (default quiesce-labvm).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${QUIESCE_SOURCE_DIR:-$(cd "$here/../../.." && pwd)}
build=${QUIESCE_BUILD_DIR:-$src/build}
run=$here/../run-vm.sh
lab=$here/libvirt-lab.sh
cli=${QUIESCE_CLI:-$build/host/cli/quiesce}
dom=${QUIESCE_LIBVIRT_DOMAIN:-quiesce-labvm}
uri=qemu:///system
n=0
failed=0
t_start=$EPOCHREALTIME

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}'; }

# run a command, log it with its output and exit status; OUT and RC get them
OUT=
RC=0
logrun() {
  local t0=$EPOCHREALTIME
  OUT=$("$@" 2>&1)
  RC=$?
  echo "\$ ${*/#$cli/quiesce}"
  [ -n "$OUT" ] && sed 's/^/  | /' <<<"$OUT"
  echo "  [exit $RC, $(elapsed "$t0") s]"
}
v() { logrun virsh -c "$uri" "$@"; }
q() { logrun "$cli" -c "$uri" "$@"; }
# expect WHAT RC PATTERN...: the last command exited RC and printed every PATTERN
expect() {
  local what=$1 rc=$2 p
  shift 2
  if [ "$RC" != "$rc" ]; then
    nok "$what (exit $RC, not $rc)"
    return 1
  fi
  for p in "$@"; do
    # shellcheck disable=SC2053
    if [[ "$OUT" != *$p* ]]; then
      nok "$what (no '$p')"
      return 1
    fi
  done
  ok "$what"
}

[ -x "$cli" ] || { echo "SKIP: no quiesce CLI at $cli" >&2; exit 77; }
if "$cli" -c "$uri" domping "$dom" 2>&1 | grep -q "libvirt transport is not built"; then
  echo "SKIP: this quiesce is built without the libvirt transport (meson -Dlibvirt=enabled)" >&2
  exit 77
fi

"$run" prepare
rc=$?
[ $rc = 0 ] || exit $rc

dir=$(mktemp -d /tmp/quiesce-libvirt.XXXXXX)
cleanup() {
  "$lab" remove "$dom" >/dev/null 2>&1
  "$lab" daemons-stop "$dir" >/dev/null 2>&1
  if [ "$failed" != 0 ] && [ -f "$dir/console.log" ]; then
    echo "---- guest console (tail) ----"
    grep -av '^LAB-MOUNTINFO' "$dir/console.log" | tail -30
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

t0=$EPOCHREALTIME
"$lab" daemons-start "$dir"
rc=$?
[ $rc = 0 ] || exit $rc
ok "virtlogd and libvirtd answer on $uri ($(elapsed "$t0") s)"

domlog=/var/log/libvirt/qemu/$dom.log
domlog_lines=$(cat "$domlog" 2>/dev/null | wc -l)
t0=$EPOCHREALTIME
"$lab" start "$dir" "$dom"
rc=$?
if [ $rc = 77 ]; then exit 77; fi
if [ $rc != 0 ]; then nok "boot to LAB-READY"; exit 1; fi
ok "boot of the libvirt domain to LAB-READY in $(elapsed "$t0") s wall"
qa_pid=$(grep -a '^LAB-READY' "$dir/console.log" | grep -o 'quiesce-agent=[0-9][0-9]*' | head -1 | cut -d= -f2)

# libvirt connects to the agent once the guest opens the port
for _ in $(seq 100); do
  virsh -c "$uri" domfsinfo "$dom" >/dev/null 2>&1 && break
  sleep 0.2
done

# ---- 1. unmodified virsh against quiesce-agent -------------------------------

# The same virsh commands run against quiesce-agent here and, at the end,
# against qemu-ga in the same guest image (section 4): each output goes to
# $cmp/NN.quiesce or $cmp/NN.qemu-ga for compare-virsh.py.
cmp=$dir/virsh-cmp
mkdir -p "$cmp"
step=0
cv() {
  # cv AGENT ARGS...: virsh ARGS, logged and recorded as the next step
  local agent=$1
  shift
  v "$@"
  step=$((step + 1))
  local f
  f=$cmp/$(printf %02d $step)
  echo "virsh ${*/#$dom/DOMAIN}" >"$f.cmd"
  { [ -n "$OUT" ] && printf '%s\n' "$OUT"; echo "[exit $RC]"; } >"$f.$agent"
}
virsh_steps() {
  # virsh_steps AGENT: the commands compared between the two agents; the
  # expectations are those of quiesce-agent (measured against qemu-ga in
  # REFERENCE.md), the comparison in section 4 holds for both
  local agent=$1
  step=0
  cv "$agent" domfsinfo "$dom"
  [ "$agent" = quiesce ] && expect "virsh domfsinfo: the LV's Target is vdc,vdd" 0 \
    '/mnt/lv*dm-0*ext4*vdc,vdd' '/mnt/virtio*vda*ext4*vda' '/mnt/md*vde,vdf' '/mnt/btrfs*vdg,vdh'
  cv "$agent" guestinfo "$dom" --filesystem
  [ "$agent" = quiesce ] && expect "virsh guestinfo --filesystem" 0 'fs.count            : 9' \
    'mountpoint     : /mnt/lv' 'disk.0.alias   : vdc' 'disk.0.serial  : QZ-LV-1' 'disk.1.alias   : vdd'
  cv "$agent" domfsfreeze "$dom" --mountpoint /mnt/part1 --mountpoint /mnt/lv
  [ "$agent" = quiesce ] && expect "virsh domfsfreeze --mountpoint x2" 0 'Froze 2 filesystem(s)'
  cv "$agent" domfsfreeze "$dom" --mountpoint /mnt/virtio
  [ "$agent" = quiesce ] && expect "a second virsh domfsfreeze while frozen fails as against qemu-ga" 1 \
    'error: Unable to freeze filesystems' \
    "error: internal error: unable to execute QEMU agent command 'guest-fsfreeze-freeze-list': Command guest-fsfreeze-freeze-list has been disabled: the agent is in frozen state"
  cv "$agent" domfsthaw "$dom"
  [ "$agent" = quiesce ] && expect "virsh domfsthaw" 0 'Thawed 2 filesystem(s)'
  cv "$agent" domfsthaw "$dom"
  [ "$agent" = quiesce ] && expect "virsh domfsthaw again" 0 'Thawed 0 filesystem(s)'
  cv "$agent" domfsfreeze "$dom" --mountpoint /nonexistent
  [ "$agent" = quiesce ] && expect "virsh domfsfreeze of a non-mountpoint" 0 'Froze 0 filesystem(s)'
  cv "$agent" domfsthaw "$dom" --mountpoint /mnt/part1
  [ "$agent" = quiesce ] && expect "virsh domfsthaw --mountpoint is refused by libvirt" 1 \
    'error: Unable to thaw filesystems' 'specifying mountpoints is not supported'
  cv "$agent" domfsfreeze "$dom"
  [ "$agent" = quiesce ] && expect "virsh domfsfreeze (all, restricted by --only-under /mnt)" 0 'Froze 9 filesystem(s)'
  cv "$agent" domfsthaw "$dom"
  [ "$agent" = quiesce ] && expect "virsh domfsthaw (all)" 0 'Thawed 9 filesystem(s)'
  cv "$agent" snapshot-create-as "$dom" --disk-only --quiesce --no-metadata
  [ "$agent" = quiesce ] && expect "virsh snapshot-create-as --disk-only --quiesce --no-metadata" 0 'Domain snapshot'
  # nothing is left frozen by the quiesced snapshot: a thaw finds nothing
  cv "$agent" domfsthaw "$dom"
  [ "$agent" = quiesce ] && expect "virsh domfsthaw after the quiesced snapshot: nothing was frozen" 0 'Thawed 0 filesystem(s)'
  return 0
}

echo "# ---- virsh against quiesce-agent ----"
virsh_steps quiesce
q domfsstatus "$dom"
expect "thawed after the quiesced snapshot" 0 'thawed'

# ---- 2. quiesce through libvirt, and the point of the project -------------------

echo "# ---- quiesce -c $uri against quiesce-agent ----"
q domping "$dom"
expect "quiesce domping" 0 "responding"
q domfsinfo "$dom"
expect "quiesce domfsinfo: Target from the XML libvirt gives" 0 '/mnt/lv*dm-0*ext4*vdc,vdd'
q domfsresolve "$dom" --disk vdc
expect "quiesce domfsresolve --disk vdc (no --domain-xml): the LV, spans vdd" 0 '/mnt/lv' '/dev/vdd'
q --json domfsfreeze "$dom" --disk vdc --owner libvirt-test --timeout 300
handle=$(sed -n 's/.*"handle" *: *\([0-9]*\).*/\1/p' <<<"$OUT" | head -1)
if expect "quiesce domfsfreeze --disk vdc freezes /mnt/lv, spans vdd" 0 '"/mnt/lv"' '"/dev/vdd"' &&
   [ -n "$handle" ]; then
  wpid=$("$run" spawn "$dir" /bin/busybox sh -c 'echo data >/mnt/lv/written && /bin/busybox sync -f /mnt/lv/written')
  v domfsfreeze "$dom"
  expect "virsh domfsfreeze while the handle holds /mnt/lv" 0 'Froze 9 filesystem(s)'
  v domfsthaw "$dom"
  expect "virsh domfsthaw" 0 'Thawed'
  vpid=$("$run" spawn "$dir" /bin/busybox sh -c 'echo data >/mnt/virtio/written && /bin/busybox sync -f /mnt/virtio/written')
  sleep 2
  st=$("$run" status "$dir" "$vpid")
  echo "# writer on /mnt/virtio: $st"
  [ "$st" = "exited 0" ] && ok "virsh domfsthaw thawed /mnt/virtio (its writer finished)" ||
    nok "virsh domfsthaw thawed /mnt/virtio (writer: $st)"
  st=$("$run" status "$dir" "$wpid")
  echo "# writer on /mnt/lv: $st"
  [ "$st" = running ] && ok "/mnt/lv stays frozen by the handle after virsh domfsfreeze + domfsthaw (its writer blocks)" ||
    nok "/mnt/lv stays frozen by the handle after virsh domfsfreeze + domfsthaw (writer: $st)"
  q domfsstatus "$dom"
  expect "quiesce domfsstatus shows the handle" 0 'frozen' 'libvirt-test' '/mnt/lv'
  q domfsthaw "$dom" --handle "$handle"
  expect "quiesce domfsthaw --handle" 0 'Thawed 1 filesystem(s)'
  st=running
  for _ in $(seq 50); do
    st=$("$run" status "$dir" "$wpid")
    [ "$st" = running ] || break
    sleep 0.2
  done
  [ "$st" = "exited 0" ] && ok "the /mnt/lv writer finishes after the handle is thawed" ||
    nok "the /mnt/lv writer finishes after the handle is thawed ($st)"
  q domfsthaw "$dom" --handle "$handle"
  expect "quiesce domfsthaw --handle again: HandleNotFound (exit 5) through libvirt" 5 \
    "unable to execute QEMU agent command 'guest-fsfreeze-release'" 'does not exist'
fi
q domfsstatus "$dom"
expect "quiesce domfsstatus: thawed" 0 'thawed'
q domfsfreeze "$dom" --disk nosuch
expect "quiesce --disk of no disk of the domain: exit 4" 4 "has no disk 'nosuch'"

# ---- 2b. quiesce snapshot-create through libvirt ------------------------------------
# vdb is the partitioned disk: /mnt/part1 and /mnt/part2.  COMMAND records
# its environment and, through the same libvirt transport, what the agent
# holds while it runs.

echo "# ---- quiesce -c $uri snapshot-create ----"
snapout=$dir/snapshot-action.out
rm -f "$snapout"
q --state-dir "$dir/state" snapshot-create "$dom" --disk vdb --timeout 120 -- \
  sh -c 'printf "%s\n" "$QUIESCE_MOUNTPOINTS" >"$1"; env | grep "^QUIESCE_" | sort >>"$1";
         "$2" -c "$3" domfsstatus "$QUIESCE_DOMAIN" >>"$1" 2>&1' action "$snapout" "$cli" "$uri"
expect "quiesce snapshot-create $dom --disk vdb -- COMMAND: exit 0" 0 'completed'
env_seen=$(cat "$snapout" 2>/dev/null)
sed 's/^/  action| /' <<<"$env_seen"
mp_seen=$(sed -n '/^QUIESCE_/q;p' <<<"$env_seen" | LC_ALL=C sort | tr '\n' ' ')
if [ "$mp_seen" = "/mnt/part1 /mnt/part2 " ]; then
  ok "COMMAND saw QUIESCE_MOUNTPOINTS = the two filesystems of vdb ($mp_seen)"
else
  nok "COMMAND saw QUIESCE_MOUNTPOINTS '$mp_seen', not /mnt/part1 /mnt/part2"
fi
if [[ "$env_seen" == *"QUIESCE_DOMAIN=$dom"* && "$env_seen" == *"QUIESCE_DISKS=vdb"* &&
      "$env_seen" == *"QUIESCE_HANDLE="[0-9]* && "$env_seen" == *"QUIESCE_RUN=snap-"* &&
      "$env_seen" == *"QUIESCE_IMAGES=$dir/disk-vdb"* ]]; then
  ok "COMMAND saw QUIESCE_DOMAIN, QUIESCE_DISKS=vdb, QUIESCE_HANDLE, QUIESCE_RUN and vdb's image"
else
  nok "COMMAND's environment is incomplete"
fi
if [[ "$env_seen" == *frozen*'/mnt/part1'* && "$env_seen" == *'/mnt/part2'* &&
      "$env_seen" != *'/mnt/lv'* ]]; then
  ok "while COMMAND ran, the agent held exactly vdb's filesystems frozen"
else
  nok "while COMMAND ran, domfsstatus did not show exactly /mnt/part1 and /mnt/part2 frozen"
fi
q domfsstatus "$dom"
expect "nothing stays frozen after snapshot-create" 0 'thawed'
wpid=$("$run" spawn "$dir" /bin/busybox sh -c 'echo data >/mnt/part1/after-snap && /bin/busybox sync -f /mnt/part1/after-snap')
st=running
for _ in $(seq 50); do
  st=$("$run" status "$dir" "$wpid")
  [ "$st" = running ] || break
  sleep 0.2
done
[ "$st" = "exited 0" ] && ok "a writer on /mnt/part1 finishes after snapshot-create" ||
  nok "a writer on /mnt/part1 finishes after snapshot-create ($st)"

# ---- 2c. snapshot-create --libvirt-snapshot: the point of issue 6, section 3 ------
# While another tool's handle holds /mnt/lv (vdc), a libvirt disk-only
# snapshot of vdb alone: only vdb moves to a new overlay, qz1 is listed,
# and /mnt/lv stays frozen (libvirt's own quiesce would have thawed it).

echo "# ---- quiesce -c $uri snapshot-create --libvirt-snapshot ----"
# source of TARGET in `virsh domblklist` output
blk_source() { awk -v t="$2" '$1 == t {print $2}' <<<"$1"; }
q snapshot-create "$dom" --disk vdb --libvirt-snapshot qz0 -- true
expect "--libvirt-snapshot with -- COMMAND: usage error (exit 2)" 2 'takes no -- COMMAND'
q snapshot-create "$dom" --disk dev:/dev/vdb --libvirt-snapshot qz0
expect "--libvirt-snapshot --disk dev:/dev/vdb (no disk of the XML): refused (exit 4)" 4 \
  "disk 'dev:/dev/vdb' is no disk of the domain XML"
q --json domfsfreeze "$dom" --disk vdc --owner other-tool --timeout 300
other=$(sed -n 's/.*"handle" *: *\([0-9]*\).*/\1/p' <<<"$OUT" | head -1)
if expect "another tool's handle holds /mnt/lv (domfsfreeze --disk vdc)" 0 '"/mnt/lv"' &&
   [ -n "$other" ]; then
  lvpid=$("$run" spawn "$dir" /bin/busybox sh -c 'echo data >/mnt/lv/during-snap && /bin/busybox sync -f /mnt/lv/during-snap')
  v domblklist "$dom"
  blk_before=$OUT
  t0=$EPOCHREALTIME
  q --state-dir "$dir/state" snapshot-create "$dom" --disk vdb --libvirt-snapshot qz1 --timeout 120
  expect "quiesce snapshot-create $dom --disk vdb --libvirt-snapshot qz1: exit 0 ($(elapsed "$t0") s)" 0 \
    'completed' 'Created libvirt snapshot qz1 of vdb'
  v domblklist "$dom"
  blk_after=$OUT
  moved=""
  for t in $(awk 'NR > 2 && NF {print $1}' <<<"$blk_before"); do
    [ "$(blk_source "$blk_before" "$t")" != "$(blk_source "$blk_after" "$t")" ] && moved="$moved$t "
  done
  if [ "$moved" = "vdb " ] && [ -n "$(blk_source "$blk_after" vdb)" ]; then
    ok "virsh domblklist: only vdb moved, to a new overlay ($(blk_source "$blk_after" vdb))"
  else
    nok "virsh domblklist: the disks that moved are '$moved', not just vdb"
  fi
  v snapshot-list "$dom" --disk-only
  expect "virsh snapshot-list --disk-only lists qz1" 0 'qz1' 'disk-snapshot'
  v snapshot-dumpxml "$dom" qz1
  expect "virsh snapshot-dumpxml qz1: vdb external, vdc not snapshotted" 0 \
    "<disk name='vdb' snapshot='external'" "<disk name='vdc' snapshot='no'"
  wpid=$("$run" spawn "$dir" /bin/busybox sh -c 'echo data >/mnt/part1/after-lvsnap && /bin/busybox sync -f /mnt/part1/after-lvsnap')
  st=running
  for _ in $(seq 50); do
    st=$("$run" status "$dir" "$wpid")
    [ "$st" = running ] || break
    sleep 0.2
  done
  [ "$st" = "exited 0" ] && ok "a writer on /mnt/part1 finishes after --libvirt-snapshot (vdb thawed)" ||
    nok "a writer on /mnt/part1 finishes after --libvirt-snapshot ($st)"
  st=$("$run" status "$dir" "$lvpid")
  [ "$st" = running ] && ok "a writer on /mnt/lv still blocks: the other handle's freeze is untouched" ||
    nok "a writer on /mnt/lv still blocks after --libvirt-snapshot (writer: $st)"
  q domfsstatus "$dom"
  expect "quiesce domfsstatus: only the other tool's handle, on /mnt/lv" 0 'frozen' 'other-tool' '/mnt/lv'
  q domfsthaw "$dom" --handle "$other"
  expect "the other tool releases its handle" 0 'Thawed 1 filesystem(s)'
  st=running
  for _ in $(seq 50); do
    st=$("$run" status "$dir" "$lvpid")
    [ "$st" = running ] || break
    sleep 0.2
  done
  [ "$st" = "exited 0" ] && ok "the /mnt/lv writer finishes once the other handle is released" ||
    nok "the /mnt/lv writer finishes once the other handle is released ($st)"
  # KEY:VALUE is mapped to its target through the domain XML
  q --state-dir "$dir/state" snapshot-create "$dom" --disk serial:QZ-PART --libvirt-snapshot qz2
  expect "--disk serial:QZ-PART --libvirt-snapshot qz2: mapped to vdb" 0 'completed' \
    'Created libvirt snapshot qz2 of vdb'
  v snapshot-delete "$dom" qz2 --metadata
  expect "virsh snapshot-delete qz2 --metadata" 0 'qz2'
  v snapshot-delete "$dom" qz1 --metadata
  expect "virsh snapshot-delete qz1 --metadata" 0 'qz1'
else
  [ -n "$other" ] && q domfsthaw "$dom" --handle "$other"
fi

# only what this boot added to the domain's log
if tail -n +"$((domlog_lines + 1))" "$domlog" 2>/dev/null | grep -aq 'tainted: custom-ga-command'; then
  ok "the domain log shows libvirt's custom-ga-command taint (expected)"
  tail -n +"$((domlog_lines + 1))" "$domlog" | grep -a 'tainted' | sed 's/^/# /'
else
  nok "the domain log shows libvirt's custom-ga-command taint"
fi

# ---- 3. libvirt's errors keep their message --------------------------------------

echo "# ---- errors through libvirt ----"
q domping no-such-domain-quiesce
expect "no such domain: exit 3, libvirt's message" 3 "Domain not found: no domain with matching name 'no-such-domain-quiesce'"
if [ -n "$qa_pid" ]; then
  "$run" exec "$dir" /bin/busybox kill -STOP "$qa_pid"
  logrun "$cli" -c "$uri" -t 2 domping "$dom"
  expect "agent timeout (agent stopped, -t 2): exit 3, libvirt's message" 3 \
    'Guest agent is not responding: Guest agent not available for now'
  "$run" exec "$dir" /bin/busybox kill -CONT "$qa_pid"
  sleep 1
  q domping "$dom"
  expect "the agent answers again once continued" 0 "responding"
  "$run" exec "$dir" /bin/busybox kill "$qa_pid"
  sleep 1
  q domping "$dom"
  expect "agent not connected (agent killed): exit 3, libvirt's message" 3 \
    'QEMU guest agent is not connected'
  v domfsinfo "$dom"
  expect "virsh says the same" 1 'QEMU guest agent is not connected'
else
  nok "no quiesce-agent pid on the LAB-READY line: the agent error checks did not run"
fi
t1=$EPOCHREALTIME
"$lab" stop "$dir" "$dom"
ok "domain stopped ($(elapsed "$t1") s)"
q domping "$dom"
expect "domain not running: exit 3, libvirt's message" 3 'domain is not running'

# ---- 4. the same virsh commands against qemu-ga, same guest image ---------------------
# The guest's init, given quiesce.swap_agents=1, runs Debian's qemu-ga on
# org.qemu.guest_agent.0 (the channel libvirtd holds) and quiesce-agent on
# .1.  Same domain name, same disks (fresh), same kernel and initramfs.

echo "# ---- virsh against qemu-ga (quiesce.swap_agents=1) ----"
"$lab" remove "$dom" >/dev/null 2>&1
gdir=$dir/qemu-ga
t0=$EPOCHREALTIME
QUIESCE_VM_SWAP_AGENTS=1 "$lab" start "$gdir" "$dom"
rc=$?
if [ $rc = 0 ] && grep -aq '^LAB-AGENTS quiesce-agent-port=org.qemu.guest_agent.1 qemu-ga-port=org.qemu.guest_agent.0' "$gdir/console.log"; then
  ok "boot of the same image with qemu-ga on org.qemu.guest_agent.0 in $(elapsed "$t0") s wall"
  for _ in $(seq 100); do
    virsh -c "$uri" domfsinfo "$dom" >/dev/null 2>&1 && break
    sleep 0.2
  done
  virsh_steps qemu-ga
  t1=$EPOCHREALTIME
  "$lab" remove "$dom"
  ok "qemu-ga domain destroyed ($(elapsed "$t1") s)"
  report=$build/meson-logs/vm-libvirt-virsh-vs-qemu-ga.txt
  [ -d "$build/meson-logs" ] || report=$dir/virsh-vs-qemu-ga.txt
  echo "# ---- side by side: quiesce-agent | qemu-ga (also in $report) ----"
  if python3 "$here/compare-virsh.py" "$cmp" "$report" | sed 's/^/# /'; [ "${PIPESTATUS[0]}" = 0 ]; then
    ok "every virsh command gives the same output against quiesce-agent and qemu-ga, but the documented exceptions"
  else
    nok "virsh outputs differ between quiesce-agent and qemu-ga beyond the documented exceptions (see $report)"
  fi
else
  nok "boot of the same image with qemu-ga on org.qemu.guest_agent.0 (rc $rc)"
  [ -f "$gdir/console.log" ] && grep -av '^LAB-MOUNTINFO' "$gdir/console.log" | tail -20
fi

echo "# libvirt vm test: $n checks, $failed failed, $(elapsed "$t_start") s in all"
[ "$failed" = 0 ]
