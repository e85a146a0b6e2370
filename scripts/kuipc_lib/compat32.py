# SPDX-License-Identifier: GPL-2.0
"""32-bit user space on the x86-64 kernels (--compat32).

The clients, the runner and the common library are built as i386 with a
Meson cross file: the host's gcc -m32 (g++-multilib, a host package of
hostdeps, brings its libc and libstdc++) against a sysroot of Debian's i386 packages for the rest
(libnl), fetched through a private apt with APT::Architecture=i386 and
unpacked with `dpkg -x` into the cache, like the kernels. Nothing is
installed on the host and no architecture is added to its dpkg.

The guest then gets the i386 dynamic loader and libraries from the same
sysroot, at their own paths (/lib/ld-linux.so.2, /lib/i386-linux-gnu/...),
so every ioctl, mapping and netlink message of the suite comes from a
32-bit process through the kernel's compat entry points.
"""

import glob
import os
import re
import shutil
import subprocess

from . import apt, build, kernels, ui

ARCH = "i386"
TRIPLET = "i386-linux-gnu"
SUITES = ["bookworm", "bookworm-updates", "bookworm-security"]
# The sysroot: what the build links against and the guest runs on.
PACKAGES = ["libc6", "libstdc++6", "libgcc-s1", "libnl-3-200",
            "libnl-genl-3-200", "libnl-3-dev", "libnl-genl-3-dev"]
# Where the i386 loader searches by default: the guest's libraries go there.
LIB_DIRS = (f"lib/{TRIPLET}", f"usr/lib/{TRIPLET}")
INTERP = "/lib/ld-linux.so.2"


def sysroot():
    return os.path.join(kernels.cache_dir(), "sysroot", ARCH)


def builddir():
    return os.path.join(build.builddir(), "compat32")


def _fetch(dest):
    papt = apt.PrivateApt(os.path.join(kernels.cache_dir(), "apt", ARCH),
                          SUITES, arch=ARCH)
    debs = dest + ".debs"
    tmp = dest + ".tmp"
    with ui.step(f"fetch the {ARCH} sysroot ({', '.join(PACKAGES)})"):
        papt.update()
        shutil.rmtree(debs, ignore_errors=True)
        papt.download(PACKAGES, debs)
        shutil.rmtree(tmp, ignore_errors=True)
        for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
            ui.run(["dpkg-deb", "-x", deb, tmp], quiet=True)
    shutil.rmtree(debs, ignore_errors=True)
    shutil.rmtree(dest, ignore_errors=True)  # an incomplete earlier fetch
    os.replace(tmp, dest)
    open(os.path.join(dest, ".ready"), "w", encoding="utf-8").close()


def ensure_sysroot():
    """The unpacked sysroot, fetched on first use."""
    root = sysroot()
    if not os.path.exists(os.path.join(root, ".ready")):
        _fetch(root)
    return root


def cross_file(root):
    """The Meson cross file's text for i386 against the sysroot root.

    pkg-config reads only the sysroot's .pc files and the host's
    architecture-independent ones (catch2, header-only), and prefixes the
    sysroot to their paths."""
    pc = [os.path.join(root, "usr/lib", TRIPLET, "pkgconfig"),
          os.path.join(root, "usr/share/pkgconfig"), "/usr/share/pkgconfig"]
    return f"""[binaries]
c = ['gcc', '-m32']
cpp = ['g++', '-m32']
ar = 'ar'
strip = 'strip'
pkgconfig = 'pkg-config'

[built-in options]
cpp_link_args = ['-L{root}/usr/lib/{TRIPLET}', '-L{root}/lib/{TRIPLET}']

[properties]
sys_root = '{root}'
pkg_config_libdir = {pc!r}

[host_machine]
system = 'linux'
cpu_family = 'x86'
cpu = 'i686'
endian = 'little'
"""


def build_userspace():
    """Build the user side as i386 in build/compat32; its directory."""
    root = ensure_sysroot()
    bdir = builddir()
    os.makedirs(bdir, exist_ok=True)
    cross = os.path.join(bdir, "i386.ini")
    text = cross_file(root)
    try:
        with open(cross, encoding="utf-8") as f:
            changed = f.read() != text
    except OSError:
        changed = True
    if changed:
        with open(cross, "w", encoding="utf-8") as f:
            f.write(text)
    return build.build_userspace(bdir, ("--cross-file", cross),
                                 reconfigure=changed)


def _needed(path):
    """The DT_NEEDED names of an ELF file."""
    out = subprocess.run(["readelf", "-dW", path], capture_output=True,
                         text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", out)


def _in_sysroot(root, name):
    for d in LIB_DIRS:
        if os.path.exists(os.path.join(root, d, name)):
            return "/" + os.path.join(d, name)
    raise ui.Fatal(f"{name} (an i386 library the programs need) is not in "
                   f"{root}")


def libraries(progs):
    """[(path in the guest, file in the sysroot)]: the i386 loader and
    every library the programs need, their own needs followed."""
    root = ensure_sysroot()
    found = {INTERP}
    todo = list(progs)
    while todo:
        for name in _needed(todo.pop()):
            guest = _in_sysroot(root, name)
            if guest not in found:
                found.add(guest)
                todo.append(os.path.join(root, guest.lstrip("/")))
    return [(g, os.path.realpath(os.path.join(root, g.lstrip("/"))))
            for g in sorted(found)]


def loader():
    """The sysroot's i386 loader with its libraries, to run one of the
    i386 programs on the host (the unit tests) as the guest runs them:
    the host has no i386 libnl."""
    root = ensure_sysroot()
    return (os.path.join(root, INTERP.lstrip("/")), "--library-path",
            ":".join(os.path.join(root, d) for d in LIB_DIRS))


def boot_params(kernel):
    """Kernel parameters a compat32 run needs: kernels built with
    IA32_EMULATION_DEFAULT_DISABLED run 32-bit programs only when asked."""
    if kernel.config_value("CONFIG_IA32_EMULATION") != "y":
        raise ui.Fatal(f"{kernel.release} has no CONFIG_IA32_EMULATION: it "
                       "cannot run 32-bit programs")
    if kernel.config_value("CONFIG_IA32_EMULATION_DEFAULT_DISABLED") == "y":
        return " ia32_emulation=1"
    return ""
