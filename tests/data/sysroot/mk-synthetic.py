#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mk-synthetic.py: write a synthetic sysroot of 256 disks and 1,000 mounts.

    tests/data/sysroot/mk-synthetic.py DEST

Scale input for the resolver (tests/unit/agent/test-resolver.c generates
it into a temp dir at test time; it is not committed).  Its shapes copy the
recorded loop-lab tree (tests/mk-sysroot.sh): relative sysfs symlinks into
sys/devices, small attribute files, real mountinfo syntax.  The layout, and
the counts the test checks:

  disks (256 whole disks)
    vda..         160 virtio disks, major 252, 16 minors each, under
                  pci0000:00/0000:00:1c.N/0000:BB:SS.0/virtioI/block/,
                  with serial; partitions p1 and p2 (vdXN names)
    nvmeCn1        32 NVMe namespaces, major 259, with serial and wwid
                  ("eui.5157ab0000000CCC"); partitions nvmeCn1p1, p2
    loopN          64 loop devices, major 7, each backed by a file on the
                  filesystem of the virtio disk N+1 (partition 1); loop56..63
                  are partitioned (losetup -P): loopNp1, major 259

  superblocks (400; 384 with a block device), in mount order
    /              vda1 (disk 0, partition 1)
    /virt/tN       16 tmpfs (no block device; "shared:N" optional fields)
    /loops/N       64 filesystems on loopN (loopNp1 for N >= 56), listed
                   before the filesystems holding their backing files, as
                   a cloned mount namespace lists a moved mount (see
                   loop-lab): only the loop-backing edges can order them
    /srv/dI        191 filesystems on partition 1 of disks 1..191
    /srv/dI/data   64 filesystems on partition 2 of disks 128..191
    /lv/K          64 dm devices (dm-K, major 253) whose slaves are
                   partition 2 of disks 2K and 2K+1 (2 disks each)

  mounts (1,000)
    the 400 above, then 600 bind mounts of the 384 block superblocks in
    turn (/bind/J, every tenth as "/bind/with space J", escaped \\040)

Every number is fixed, so the output is the same on every run.
"""

import os
import sys

N_VIRTIO = 160
N_NVME = 32
N_LOOP = 64
N_LOOP_PARTITIONED = 8
N_TMPFS = 16
N_DM = 64
N_DATA = 64  # disks 128..191 get a filesystem on partition 2
N_MOUNTS = 1000


def disk_name_suffix(i):
    """the kernel's sd/vd naming: a..z, aa..zz, aaa.."""
    s = ""
    i += 1
    while i > 0:
        i -= 1
        s = chr(ord("a") + i % 26) + s
        i //= 26
    return s


class Tree:
    def __init__(self, dest):
        self.dest = dest

    def path(self, rel):
        return os.path.join(self.dest, rel.lstrip("/"))

    def write(self, rel, text):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text + "\n")

    def link(self, rel, target_rel):
        """a symlink at rel pointing at target_rel, relative, as sysfs does"""
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        target = os.path.relpath("/" + target_rel.lstrip("/"), os.path.dirname("/" + rel.lstrip("/")))
        os.symlink(target, p)

    def block(self, name, devpath, major, minor, size, whole, attrs=None):
        """a block device at sys/devices/DEVPATH with its class, dev and
        (whole disks) block links"""
        self.write(f"{devpath}/dev", f"{major}:{minor}")
        self.write(f"{devpath}/size", str(size))
        for k, v in (attrs or {}).items():
            self.write(f"{devpath}/{k}", v)
        self.link(f"sys/class/block/{name}", devpath)
        self.link(f"sys/dev/block/{major}:{minor}", devpath)
        if whole:
            self.link(f"sys/block/{name}", devpath)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dest = sys.argv[1]
    if os.path.exists(dest) and os.listdir(dest):
        print(f"{dest} exists and is not empty", file=sys.stderr)
        return 1
    t = Tree(dest)
    t.write("proc/sys/kernel/random/boot_id", "00000000-0000-4000-8000-00000000cafe")

    # ---- disks: (name, [partition names], devno of each partition)
    disks = []  # per disk: dict(name, parts=[(name, major, minor)])
    for i in range(N_VIRTIO):
        name = "vd" + disk_name_suffix(i)
        devpath = (f"sys/devices/pci0000:00/0000:00:1c.{i // 32}/0000:{1 + i // 32:02x}:"
                   f"{i % 32:02x}.0/virtio{i + 4}/block/{name}")
        t.block(name, devpath, 252, i * 16, 41943040, True, {"serial": f"synth-vd-{i:04d}"})
        parts = []
        for p in (1, 2):
            pname = f"{name}{p}"
            t.block(pname, f"{devpath}/{pname}", 252, i * 16 + p, 20969472, False,
                    {"partition": str(p)})
            parts.append((pname, 252, i * 16 + p, f"{devpath}/{pname}"))
        disks.append({"name": name, "parts": parts, "devpath": devpath})
    for c in range(N_NVME):
        name = f"nvme{c}n1"
        devpath = (f"sys/devices/pci0000:00/0000:00:1d.{c // 8}/0000:{0x40 + c:02x}:00.0/"
                   f"nvme/nvme{c}/{name}")
        t.block(name, devpath, 259, c * 3, 83886080, True,
                {"serial": f"SYNTHNVME{c:04d}", "wwid": f"eui.5157ab0000000{c:03d}"})
        parts = []
        for p in (1, 2):
            pname = f"{name}p{p}"
            t.block(pname, f"{devpath}/{pname}", 259, c * 3 + p, 41940992, False,
                    {"partition": str(p)})
            parts.append((pname, 259, c * 3 + p, f"{devpath}/{pname}"))
        disks.append({"name": name, "parts": parts, "devpath": devpath})
    assert len(disks) == N_VIRTIO + N_NVME == 192

    # ---- dm devices over partition 2 of disks 2K and 2K+1
    dms = []
    for k in range(N_DM):
        name = f"dm-{k}"
        devpath = f"sys/devices/virtual/block/{name}"
        t.block(name, devpath, 253, k, 41938944, True,
                {"dm/name": f"vg{k}-lv", "dm/uuid": f"LVM-synth{k:04d}"})
        for d in (2 * k, 2 * k + 1):
            pname, _, _, ppath = disks[d]["parts"][1]
            t.link(f"{devpath}/slaves/{pname}", ppath)
            t.link(f"{ppath}/holders/{name}", devpath)
        dms.append((name, 253, k))

    # ---- mounts
    lines = []
    next_id = [20]

    def esc(s):
        return (s.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011")
                .replace("\n", "\\012"))

    def mount(parent, major, minor, mp, fstype, source, opt_fields="", root="/"):
        mid = next_id[0]
        next_id[0] += 1
        mid_fields = f" {opt_fields}" if opt_fields else ""
        lines.append(f"{mid} {parent} {major}:{minor} {esc(root)} {esc(mp)} rw,relatime"
                     f"{mid_fields} - {fstype} {esc(source)} rw")
        return mid

    root_part = disks[0]["parts"][0]
    root_id = mount(1, root_part[1], root_part[2], "/", "ext4", f"/dev/{root_part[0]}",
                    "shared:1")
    # per block superblock: major, minor, first mountpoint, fstype, source
    block_sbs = [(root_part[1], root_part[2], "/", "ext4", f"/dev/{root_part[0]}")]
    for n in range(N_TMPFS):
        mount(root_id, 0, 30 + n, f"/virt/t{n}", "tmpfs", "tmpfs", f"shared:{n + 2}")
    for n in range(N_LOOP):
        name = f"loop{n}"
        devpath = f"sys/devices/virtual/block/{name}"
        t.block(name, devpath, 7, n, 2097152, True,
                {"loop/backing_file": f"/srv/d{n + 1}/images/{name}.img"})
        mp = f"/loops/{n}"
        if n >= N_LOOP - N_LOOP_PARTITIONED:
            pname = f"{name}p1"
            t.block(pname, f"{devpath}/{pname}", 259, 100 + n, 2095104, False,
                    {"partition": "1"})
            mount(root_id, 259, 100 + n, mp, "ext4", f"/dev/{pname}")
            block_sbs.append((259, 100 + n, mp, "ext4", f"/dev/{pname}"))
        else:
            mount(root_id, 7, n, mp, "ext4", f"/dev/{name}")
            block_sbs.append((7, n, mp, "ext4", f"/dev/{name}"))
    srv = {}
    for i in range(1, 192):
        pname, ma, mi, _ = disks[i]["parts"][0]
        mp = f"/srv/d{i}"
        fstype = "ext4" if i % 2 else "xfs"
        srv[i] = mount(root_id, ma, mi, mp, fstype, f"/dev/{pname}")
        block_sbs.append((ma, mi, mp, fstype, f"/dev/{pname}"))
    for i in range(192 - N_DATA, 192):
        pname, ma, mi, _ = disks[i]["parts"][1]
        mp = f"/srv/d{i}/data"
        mount(srv[i], ma, mi, mp, "ext4", f"/dev/{pname}")
        block_sbs.append((ma, mi, mp, "ext4", f"/dev/{pname}"))
    for name, ma, mi in dms:
        mp = f"/lv/{name[3:]}"
        mount(root_id, ma, mi, mp, "xfs", f"/dev/mapper/vg{mi}-lv")
        block_sbs.append((ma, mi, mp, "xfs", f"/dev/mapper/vg{mi}-lv"))
    assert len(block_sbs) == 384, len(block_sbs)
    j = 0
    while len(lines) < N_MOUNTS:
        ma, mi, _, fstype, source = block_sbs[j % len(block_sbs)]
        where = f"/bind/with space {j}" if j % 10 == 0 else f"/bind/{j}"
        mount(root_id, ma, mi, where, fstype, source)
        j += 1

    t.write("proc/self/mountinfo", "\n".join(lines))
    t.write("README", "Synthetic sysroot written by tests/data/sysroot/mk-synthetic.py "
            "(not a recording): 256 disks, 1,000 mounts, 400 superblocks.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
