# SPDX-License-Identifier: GPL-2.0
"""A build chroot for kernels the host's compiler cannot build for.

sid's kernels are built with a newer gcc than bookworm has, and their
Kbuild tools (objtool, modpost) need a newer glibc.  Their modules are built
in a debootstrap chroot of sid (minbase plus the compiler, make, pahole and
sparse), made once and cached.  Builds enter it in a private mount
namespace, with /proc mounted and the kernel tree and the build directory
bind-mounted at their own paths, so every absolute path stays valid.
"""

import os
import re
import shlex
import shutil
import subprocess

from . import apt, kernels, ui


def compiler_of(kernel):
    """The gcc the kernel's headers ask for, e.g. 'gcc-16', or None."""
    path = os.path.join(kernel.kdir, ".kernelvariables")
    try:
        with open(path, encoding="utf-8") as f:
            m = re.search(r"\bgcc-(\d+)\b", f.read())
    except OSError:
        return None
    return f"gcc-{m.group(1)}" if m else None


def needs_chroot(kernel):
    gcc = compiler_of(kernel)
    return gcc is not None and shutil.which(gcc) is None


def _suite_for(kernel):
    # The only kernels the host cannot build for are sid's.
    del kernel
    return "sid"


def ensure(kernel):
    """Return the root of a chroot able to build modules for kernel."""
    suite = _suite_for(kernel)
    gcc = compiler_of(kernel)
    root = os.path.join(kernels.cache_dir(), "chroot", f"{suite}-{gcc}")
    stamp = os.path.join(root, ".kuipc-ready")
    if os.path.exists(stamp):
        return root
    if shutil.which("debootstrap") is None:
        raise ui.Fatal("debootstrap is missing (package debootstrap)")
    archive, _ = apt.mirrors()
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.dirname(root), exist_ok=True)
    include = [gcc, "make", "dwarves", "sparse", "libelf1t64"]
    with ui.step(f"debootstrap a {suite} build chroot ({', '.join(include)})"):
        ui.run(["debootstrap", "--variant=minbase",
                f"--keyring={apt.KEYRING}",
                f"--include={','.join(include)}", suite, tmp, archive],
               quiet=True)
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp, root)
    open(stamp, "w", encoding="utf-8").close()
    return root


def run_in(root, binds, cmd):
    """Run cmd in the chroot; binds are host paths mounted at themselves."""
    lines = ["set -e"]
    for path in binds:
        inside = root + path
        lines.append(f"mkdir -p {shlex.quote(inside)}")
        lines.append(f"mount --bind {shlex.quote(path)} {shlex.quote(inside)}")
    lines.append(f"mount -t proc proc {shlex.quote(root + '/proc')}")
    env = "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8"
    lines.append(f"exec chroot {shlex.quote(root)} {env} "
                 + " ".join(shlex.quote(c) for c in cmd))
    return subprocess.run(["unshare", "--mount", "--propagation", "private",
                           "sh", "-c", "\n".join(lines)],
                          capture_output=True, text=True, check=False)
