# SPDX-License-Identifier: GPL-2.0
"""The QEMU that boots the guests.

bookworm's QEMU 7.2 mis-emulates something in the SLUB fast path of 6.12 and
newer kernels under TCG: the guest dies with a double fault in
kmem_cache_alloc in about one boot of two (any -cpu model, any -smp).
bookworm-backports' QEMU (10.0, built for bookworm) boots them reliably, so
the suite fetches it through the private apt and unpacks it into the cache,
like the kernels; nothing on the host is upgraded.  The host's QEMU (package
qemu-system-x86) still provides the shared libraries and the BIOS, and is
the fallback if the newer one cannot be had.
"""

import glob
import json
import os
import shutil
import subprocess

from . import apt, kernels, ui

SUITE = "bookworm-backports"
PACKAGES = ["qemu-system-x86", "qemu-system-common", "qemu-system-data"]


def _root():
    return os.path.join(kernels.cache_dir(), "qemu")


def _works(binary):
    try:
        res = subprocess.run([binary, "--version"], capture_output=True,
                             text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return res.returncode == 0


def _fetch(dest):
    papt = apt.PrivateApt(os.path.join(kernels.cache_dir(), "apt", "qemu"),
                          [SUITE])
    with ui.step(f"fetch QEMU from {SUITE}"):
        papt.update()
        version = papt.policy_version("qemu-system-x86")
        if version is None:
            raise ui.Fatal(f"qemu-system-x86 not found in {SUITE}")
        debs = dest + ".debs"
        shutil.rmtree(debs, ignore_errors=True)
        papt.download(PACKAGES, debs)
        tmp = dest + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
            ui.run(["dpkg-deb", "-x", deb, tmp], quiet=True)
        shutil.rmtree(debs, ignore_errors=True)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    return version


def get():
    """Return (qemu-system-x86_64 path, [extra args]) to boot guests with."""
    dest = os.path.join(_root(), "root")
    stamp = os.path.join(_root(), "qemu.json")
    binary = os.path.join(dest, "usr/bin/qemu-system-x86_64")
    if not os.path.exists(stamp) or not os.path.exists(binary):
        os.makedirs(_root(), exist_ok=True)
        try:
            version = _fetch(dest)
            if not _works(binary):
                raise ui.Fatal(f"{binary} does not run on this host")
            with open(stamp, "w", encoding="utf-8") as f:
                json.dump({"version": version}, f)
        except ui.Fatal as e:
            ui.warn(f"{e}; using the host's QEMU, with which 6.12 and newer "
                    "guests may crash under TCG")
            return _host(), []
    return binary, ["-L", os.path.join(dest, "usr/share/qemu")]


def _host():
    qemu = shutil.which("qemu-system-x86_64")
    if qemu is None:
        raise ui.Fatal("qemu-system-x86_64 not found (package "
                       "qemu-system-x86)")
    return qemu
