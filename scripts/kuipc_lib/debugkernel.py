# SPDX-License-Identifier: GPL-2.0
"""The debug kernel: `scripts/kuipc test --kernel debug`.

Debian's kernels carry none of the kernel's own bug detectors, so a
use-after-free or a lock-order bug in a module can pass every test on them.
This kernel is built once from Debian's linux-source package (6.12, from
bookworm-backports, which the host's gcc-12 builds) with x86_64_defconfig,
kernel/configs/kvm_guest.config and scripts/debug-kernel/kuipc-debug.config
merged over it: KASAN (generic, inline), PROVE_LOCKING, DEBUG_ATOMIC_SLEEP,
DEBUG_KMEMLEAK, UBSAN, KFENCE and DEBUG_OBJECTS, and what the pairs need.
The tree is cached and is its own headers: the modules build against it
like against any kernel tree the user built (kernels.tree()). It is
rebuilt when the config fragment changes.
"""

import hashlib
import os
import shutil

from . import build, hostdeps, kernels, source, ui

FRAGMENT = os.path.join(build.REPO, "scripts", "debug-kernel",
                        "kuipc-debug.config")
# Options the debug run exists for: checked in the built .config.
REQUIRED = ("CONFIG_KASAN", "CONFIG_PROVE_LOCKING", "CONFIG_DEBUG_KMEMLEAK",
            "CONFIG_UBSAN", "CONFIG_KFENCE", "CONFIG_DEBUG_OBJECTS",
            "CONFIG_DEBUG_ATOMIC_SLEEP", "CONFIG_FAULT_INJECTION",
            "CONFIG_FAILSLAB", "CONFIG_FAIL_PAGE_ALLOC",
            "CONFIG_FAULT_INJECTION_DEBUG_FS",
            "CONFIG_FAULT_INJECTION_STACKTRACE_FILTER", "CONFIG_GCOV_KERNEL")
# What building a kernel needs beyond the suite's own host packages.
PACKAGES = {
    "flex": "the kernel's Kconfig lexer (debug kernel)",
    "bison": "the kernel's Kconfig parser (debug kernel)",
    "bc": "kernel build scripts (debug kernel)",
    "libssl-dev": "kernel build tools (debug kernel)",
    "libelf-dev": "objtool (debug kernel)",
    "cpio": "kernel build (debug kernel)",
    "xz-utils": "unpacks linux-source (debug kernel)",
}
# A test takes several times longer under KASAN and lockdep in TCG.
TIMEOUT_FACTOR = 5


# kasan_multi_shot: KASAN prints only its first report otherwise, so one
# report would hide every later one. no5lvl: with 5-level paging (QEMU's
# -cpu max has LA57) this kernel's KASAN reports a wild-memory-access in an
# interrupt taken early in start_kernel(), before any module is loaded
# (seen on 6.12.95 under TCG).
CMDLINE = "no5lvl kasan_multi_shot"


def _kernel(tree):
    """The built debug tree, with more guest memory for KASAN's shadow."""
    return kernels.tree(tree, kind="debug", memory_mb=2048,
                        timeout_factor=TIMEOUT_FACTOR, cmdline=CMDLINE)


def _fragment_hash():
    with open(FRAGMENT, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def _config_ok(tree):
    with open(os.path.join(tree, ".config"), encoding="utf-8") as f:
        have = {ln.split("=", 1)[0] for ln in f if ln.rstrip().endswith("=y")}
    missing = [o for o in REQUIRED if o not in have]
    if missing:
        raise ui.Fatal(f"the debug kernel's .config lacks {', '.join(missing)}"
                       f" ({tree}/.config)")


def _make(tree, *targets, quiet=True):
    # nice: a 20-minute build should not starve what else runs here.
    return ui.run(["nice", "-n", "10", "make", "-C", tree,
                   f"-j{os.cpu_count() or 1}", *targets], quiet=quiet)


def get():
    """The built debug kernel; builds it first when needed."""
    pkg, _ = source.deb()
    tree = os.path.join(kernels.cache_dir(), "debug", pkg)
    marker = os.path.join(tree, ".kuipc-ready")
    want = _fragment_hash()
    try:
        with open(marker, encoding="utf-8") as f:
            have = f.read().strip()
    except OSError:
        have = None
    if have == want:
        return _kernel(tree)

    hostdeps.ensure(list(PACKAGES), PACKAGES)
    if not os.path.exists(os.path.join(tree, "Makefile")):
        with ui.step(f"unpack {pkg} for the debug kernel"):
            shutil.rmtree(tree, ignore_errors=True)
            source.extract(tree)
    with ui.step("configure the debug kernel (KASAN, lockdep, kmemleak, "
                 "UBSAN, KFENCE, DEBUG_OBJECTS)"):
        _make(tree, "x86_64_defconfig")
        ui.run([os.path.join(tree, "scripts", "kconfig", "merge_config.sh"),
                "-m", "-O", tree, os.path.join(tree, ".config"),
                os.path.join(tree, "kernel", "configs", "kvm_guest.config"),
                FRAGMENT], quiet=True, cwd=tree)
        _make(tree, "olddefconfig")
        _config_ok(tree)
    with ui.step(f"build the debug kernel from {pkg} (once; some 30 "
                 "CPU-minutes)"):
        _make(tree, "bzImage", "modules")
    with open(marker, "w", encoding="utf-8") as f:
        f.write(want + "\n")
    return _kernel(tree)
