#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""reconnect.py SOCKET CYCLES [BUSY_SOCKET]: the host side of a
virtio-serial port comes and goes, as libvirt's does around each command.

Each cycle connects to SOCKET (QEMU's chardev socket), sends a guest-sync
with a fresh id, waits up to 10 s for its reply (stale lines from earlier
cycles are skipped, as every client must), and every other cycle also asks
for guest-info (a reply of a few KB) and hangs up without reading it, or
reading only part of it.  With BUSY_SOCKET (qemu-ga's port), each cycle
first has qemu-ga run guest-get-fsinfo, which keeps the guest's CPU busy
so that the kernel handles the port's open/close events late: that is
when a reply was lost before (the agent dropped its output on a stale
hang-up).  Prints "cycles N lost M worst-ms X" and exits 1
when any sync went unanswered."""
import json
import random
import socket
import sys
import time

path, cycles = sys.argv[1], int(sys.argv[2])
busy = sys.argv[3] if len(sys.argv) > 3 else None


def keep_guest_busy():
    b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    b.connect(busy)
    b.settimeout(30)
    b.sendall(b'{"execute":"guest-get-fsinfo"}\n')
    data = b""
    try:
        while b"\n" not in data.replace(b"\xff", b""):
            chunk = b.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    b.close()


lost = 0
worst = 0.0
rng = random.Random(1)
for i in range(cycles):
    if busy:
        keep_guest_busy()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    sync_id = rng.randrange(1, 1 << 40)
    s.sendall(json.dumps({"execute": "guest-sync", "arguments": {"id": sync_id}}).encode() + b"\n")
    t0 = time.monotonic()
    buf = b""
    ok = False
    s.settimeout(0.5)
    while time.monotonic() - t0 < 10:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        buf += chunk.replace(b"\xff", b"")
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                if json.loads(line).get("return") == sync_id:
                    ok = True
            except ValueError:
                pass
        if ok:
            break
    ms = (time.monotonic() - t0) * 1000
    worst = max(worst, ms)
    if not ok:
        lost += 1
        print(f"# cycle {i}: no reply to guest-sync {sync_id} within 10 s", flush=True)
    mode = i % 4
    if mode == 1:
        s.sendall(b'{"execute":"guest-info"}\n')
    elif mode == 3:
        s.sendall(b'{"execute":"guest-info"}\n')
        try:
            s.settimeout(2)
            s.recv(100)
        except socket.timeout:
            pass
    s.close()
print(f"cycles {cycles} lost {lost} worst-ms {worst:.0f}")
sys.exit(1 if lost else 0)
