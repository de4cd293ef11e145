#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# compare-fsinfo.py OURS QGA: compare quiesce-agent's guest-get-fsinfo reply
# with qemu-ga's, both taken in the same guest (tests/vm/test-vm.sh).
#
# Every field qemu-ga reports must be in quiesce-agent's reply with the same
# value, in the same order of filesystems and of disks, except where the
# design says otherwise (DESIGN.md section 3 of the project notes, issue 3):
#   - virtio-scsi "target": qemu-ga reports 0 for every disk behind a
#     virtio-scsi controller; quiesce-agent reports the real SCSI target
#     (libvirt matches drive addresses on it).
#   - a two-device btrfs: qemu-ga lists only the mount-source device;
#     quiesce-agent lists every member (the first is qemu-ga's).
#   - added keys: "serial" and "wwn" of a disk (qemu-ga needs udev for the
#     serial and never reports a wwn on 7.2), "total-bytes-privileged" of a
#     filesystem (qemu-ga 9.1 has it, 7.2 not).
# A filesystem on a partition is compared as it is (both give the
# partition's "dev").
# Prints one line per difference, each marked "allowed" or "DIFFERENT";
# exits 1 when any difference is not allowed.
import json
import sys

ADDED_FS = {"total-bytes-privileged"}
ADDED_DISK = {"serial", "wwn"}


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = json.loads(f.read().strip().lstrip("\xff"))
    if "return" not in doc:
        sys.exit(f"{path}: not a reply: {doc}")
    return doc["return"]


def main():
    ours, qga = load(sys.argv[1]), load(sys.argv[2])
    bad = 0
    notes = []

    def diff(ok, what):
        nonlocal bad
        notes.append(("allowed  " if ok else "DIFFERENT") + " " + what)
        if not ok:
            bad += 1

    om = [f.get("mountpoint") for f in ours]
    qm = [f.get("mountpoint") for f in qga]
    if om != qm:
        diff(False, f"mountpoints/order: ours {om} qemu-ga {qm}")
    for q in qga:
        mp = q.get("mountpoint")
        o = next((f for f in ours if f.get("mountpoint") == mp), None)
        if o is None:
            diff(False, f"{mp}: missing in ours")
            continue
        for k, v in q.items():
            if k == "disk":
                continue
            if o.get(k) != v:
                diff(False, f"{mp}: {k}: ours {o.get(k)!r} qemu-ga {v!r}")
        for k in o:
            if k not in q:
                diff(k in ADDED_FS, f"{mp}: added {k}={o[k]!r}")
        od, qd = o.get("disk", []), q.get("disk", [])
        if len(od) != len(qd):
            extra = [d.get("dev") for d in od[len(qd):]]
            diff(q.get("type") == "btrfs" and len(od) > len(qd),
                 f"{mp}: {len(od)} disks in ours, {len(qd)} in qemu-ga (ours adds {extra})")
        for i, qdisk in enumerate(qd):
            if i >= len(od):
                diff(False, f"{mp}: disk {i} ({qdisk.get('dev')}) missing in ours")
                continue
            odisk = od[i]
            for k, v in qdisk.items():
                if odisk.get(k) != v:
                    scsi_target = (k == "target" and qdisk.get("bus-type") == "scsi")
                    diff(scsi_target,
                         f"{mp}: disk {i} {k}: ours {odisk.get(k)!r} qemu-ga {v!r}")
            for k in odisk:
                if k not in qdisk:
                    diff(k in ADDED_DISK, f"{mp}: disk {i} added {k}={odisk[k]!r}")
    for line in notes:
        print(line)
    print(f"{len(notes)} differences, {bad} not allowed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
