# SPDX-License-Identifier: GPL-2.0
"""The guest's initramfs: busybox, our programs and their libraries, modules.

Written as an uncompressed newc cpio archive: decompressing is the slowest
part of an emulated boot, and the archive is only a few megabytes.
"""

import lzma
import os
import re
import stat
import subprocess

from . import build, ui

BUSYBOX = "/bin/busybox"
GUEST_DIR = os.path.join(build.REPO, "scripts", "guest")


class Cpio:
    """A minimal writer of the "newc" format read by the kernel."""

    def __init__(self, path):
        self.f = open(path, "wb")  # pylint: disable=consider-using-with
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, data=b"", nlink=1):
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08X}" for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0,
            len(name_b), 0))
        self.ino += 1
        self.f.write(hdr.encode() + name_b)
        self.f.write(b"\0" * ((4 - (110 + len(name_b)) % 4) % 4))
        self.f.write(data)
        self.f.write(b"\0" * ((4 - len(data) % 4) % 4))

    def dir(self, name):
        parts = name.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.seen:
                self.seen.add(d)
                self._entry(d, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, name, data, mode=0o644):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        if name in self.seen:
            return
        self.seen.add(name)
        self._entry(name, stat.S_IFREG | mode, data)

    def copy(self, src, name, mode=None):
        with open(src, "rb") as f:
            data = f.read()
        if mode is None:
            mode = os.stat(src).st_mode & 0o777
        self.file(name, data, mode)

    def symlink(self, name, target):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        if name not in self.seen:
            self.seen.add(name)
            self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def close(self):
        self._entry("TRAILER!!!", 0)
        self.f.close()


def _libraries(progs):
    """Shared libraries the programs need, as ldd resolves them."""
    libs = set()
    for prog in progs:
        out = subprocess.run(["ldd", prog], capture_output=True, text=True,
                             check=False).stdout
        for line in out.splitlines():
            m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
            if m:
                libs.add(m.group(1))
    return sorted(libs)


def _module_bytes(path):
    """An in-tree module, decompressed: 6.12+ ship .ko.xz (7.x may .ko.zst),
    which busybox's insmod hands to the kernel as they are."""
    if path.endswith(".xz"):
        with lzma.open(path) as f:
            return f.read()
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], capture_output=True,
                              check=True).stdout
    with open(path, "rb") as f:
        return f.read()


def build_initramfs(path, progs, kos, extra_kos, libs=None):
    """Write the initramfs; kos maps mechanism -> .ko path. libs: the
    programs' libraries as [(path in the guest, file)]; by default the
    host's, as ldd finds them (32-bit programs bring theirs: compat32)."""
    if not os.path.exists(BUSYBOX):
        raise ui.Fatal(f"{BUSYBOX} missing (package busybox-static)")
    with ui.step("initramfs"):
        cpio = Cpio(path + ".tmp")
        for d in ("dev", "proc", "sys", "tmp", "run", "root", "etc",
                  "sbin", "usr/sbin"):
            cpio.dir(d)
        cpio.copy(BUSYBOX, "bin/busybox", 0o755)
        cpio.symlink("bin/sh", "busybox")
        cpio.copy(os.path.join(GUEST_DIR, "init"), "init", 0o755)
        cpio.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
                  b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
        cpio.file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
        for prog in progs:
            cpio.copy(prog, "usr/bin/" + os.path.basename(prog), 0o755)
        if libs is None:
            libs = [(lib, os.path.realpath(lib)) for lib in _libraries(progs)]
        for guest, real in libs:
            cpio.copy(real, guest, 0o755)
        motd = ["", "kuipc guest. Each pair: module in /lib/kuipc (modprobe "
                "loads it by name), client on PATH. Try:"]
        for mech in sorted(kos):
            motd.append(f"  modprobe kuipc_{mech} dyndbg=+p; "
                        f"kuipc-{mech} demo; dmesg | tail; "
                        f"rmmod kuipc_{mech}")
        motd += ["  kuipc-runner --only <mech>    (the test suite; it loads "
                 "the module itself)", "Leave with: poweroff", ""]
        cpio.file("etc/motd", "\n".join(motd).encode())
        for mech, ko in sorted(kos.items()):
            cpio.copy(ko, f"lib/kuipc/kuipc_{mech}.ko", 0o644)
        for i, ko in enumerate(extra_kos):
            name = os.path.basename(ko)
            cpio.file(f"lib/kuipc/extra/{i:02d}-{name.split('.ko')[0]}.ko",
                      _module_bytes(ko))
        cpio.close()
        os.replace(path + ".tmp", path)
    return path
