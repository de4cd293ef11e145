#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# compare-virsh.py DIR REPORT: the same virsh commands, run by
# test-libvirt.sh once against quiesce-agent and once against qemu-ga (on
# org.qemu.guest_agent.0 of the same guest image, booted with
# quiesce.swap_agents=1), side by side.
#
# DIR holds, per command NN: NN.cmd (the command line), NN.quiesce and
# NN.qemu-ga (its output, then a last line "[exit RC]").  Writes REPORT (both
# outputs side by side, the exceptions applied, the verdict per command),
# prints it, and exits 1 when an output differs beyond the exceptions the
# design allows.
#
# The outputs must be equal, exit status included, after normalising both
# (runs of blanks; the timestamp name of a snapshot) and after these
# documented exceptions, applied to quiesce-agent's output only:
#   E1 btrfs members: quiesce-agent reports every device of a multi-device
#      btrfs (DESIGN.md section 3, issue 3); qemu-ga only the mount source.
#      domfsinfo: /mnt/btrfs Target "vdg,vdh" is "vdg" for qemu-ga;
#      guestinfo: its disk.count 2 and disk.1.* are dropped.
#   E2 virtio-scsi target: quiesce-agent reports the real SCSI target (1);
#      qemu-ga 7.2 reports 0, so libvirt matches no <disk> for /mnt/scsi:
#      domfsinfo's Target "sda" and guestinfo's disk.0.alias "sda" are
#      absent with qemu-ga.
#   E3 serials: quiesce-agent reads the serial from sysfs; qemu-ga needs
#      udev's database, which this guest (like many minimal ones) does not
#      run: guestinfo's disk.M.serial lines are absent with qemu-ga.
#   E4 freeze-all counts: quiesce-agent freezes only what --only-under /mnt
#      allows; every filesystem qemu-ga freezes here is under /mnt, so the
#      counts must be equal (no exception is applied, the note says why).
import difflib
import os
import re
import sys


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().rstrip("\n").split("\n")


def squeeze(lines):
    out = []
    for line in lines:
        line = re.sub(r"[ \t]+", " ", line).rstrip()
        line = re.sub(r"^(Domain snapshot )\d+( created)", r"\1<time>\2", line)
        if line.startswith("-----"):
            line = "-----"
        out.append(line)
    return out


def fs_index(lines, mountpoint):
    for line in lines:
        m = re.match(r"fs\.(\d+)\.mountpoint : (.*)$", line)
        if m and m.group(2) == mountpoint:
            return m.group(1)
    return None


def exceptions(cmd, lines):
    """quiesce-agent's output as qemu-ga would print it, and the notes"""
    notes = []
    out = []
    if " domfsinfo " in f" {cmd} ":
        for line in lines:
            if line.startswith(" /mnt/btrfs ") or line.startswith("/mnt/btrfs "):
                new = re.sub(r" vdg,vdh$", " vdg", line)
                if new != line:
                    notes.append("E1 btrfs Target vdg,vdh -> vdg")
                line = new
            if line.startswith(" /mnt/scsi ") or line.startswith("/mnt/scsi "):
                new = re.sub(r" sda$", "", line)
                if new != line:
                    notes.append("E2 scsi Target sda -> (none)")
                line = new
            out.append(line)
        return out, notes
    if "guestinfo" in cmd:
        btr = fs_index(lines, "/mnt/btrfs")
        scsi = fs_index(lines, "/mnt/scsi")
        for line in lines:
            if re.match(r"fs\.\d+\.disk\.\d+\.serial :", line):
                notes.append("E3 " + line)
                continue
            if btr is not None:
                if line == f"fs.{btr}.disk.count : 2":
                    notes.append("E1 " + line + " -> 1")
                    line = f"fs.{btr}.disk.count : 1"
                elif line.startswith(f"fs.{btr}.disk.1."):
                    notes.append("E1 " + line)
                    continue
            if scsi is not None and line == f"fs.{scsi}.disk.0.alias : sda":
                notes.append("E2 " + line)
                continue
            out.append(line)
        return out, notes
    return lines, notes


def side_by_side(left, right, width=64):
    """both outputs in two columns, equal lines on the same row (difflib),
    "|" marking a row whose sides differ"""
    rows = []
    sm = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        n = max(i2 - i1, j2 - j1)
        for k in range(n):
            a = left[i1 + k] if i1 + k < i2 else ""
            b = right[j1 + k] if j1 + k < j2 else ""
            mark = " " if tag == "equal" else "|"
            rows.append(f"  {a:<{width}} {mark} {b}".rstrip())
    return rows


def main():
    d, report = sys.argv[1], sys.argv[2]
    steps = sorted(f[:-4] for f in os.listdir(d) if f.endswith(".cmd"))
    rep = []
    bad = 0
    for s in steps:
        cmd = read(os.path.join(d, s + ".cmd"))[0]
        try:
            ours = read(os.path.join(d, s + ".quiesce"))
            qga = read(os.path.join(d, s + ".qemu-ga"))
        except FileNotFoundError as e:
            rep.append(f"$ {cmd}\n  MISSING {e.filename}")
            bad += 1
            continue
        rep.append(f"$ {cmd}")
        rep.append(f"  {'quiesce-agent':<64}   qemu-ga 7.2")
        rep.extend(side_by_side(ours, qga))
        o, notes = exceptions(cmd, squeeze(ours))
        q = squeeze(qga)
        if "domfsfreeze" in cmd and "--mountpoint" not in cmd:
            notes.append("E4 freeze-all: --only-under /mnt excludes nothing qemu-ga freezes here")
        for n in notes:
            rep.append(("  note " if n.startswith("E4") else "  exception ") + n)
        if o == q:
            applied = any(not n.startswith("E4") for n in notes)
            rep.append("  => agree" + (" (with the exceptions above)" if applied else ""))
        else:
            bad += 1
            rep.append("  => DIFFERENT beyond the documented exceptions:")
            for i in range(max(len(o), len(q))):
                a = o[i] if i < len(o) else "<none>"
                b = q[i] if i < len(q) else "<none>"
                if a != b:
                    rep.append(f"     quiesce-agent: {a}")
                    rep.append(f"     qemu-ga:       {b}")
        rep.append("")
    rep.append(f"{len(steps)} commands, {bad} differ beyond the documented exceptions")
    text = "\n".join(rep) + "\n"
    with open(report, "w", encoding="utf-8") as f:
        f.write(text)
    sys.stdout.write(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
