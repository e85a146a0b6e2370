# SPDX-License-Identifier: GPL-2.0
"""Building the modules (Kbuild) and the user-space side (Meson)."""

import filecmp
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

from . import chroot, ui

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# Files of the module tree copied into a per-kernel build directory.
_SRC_SUFFIXES = (".c", ".h", "Kbuild", "Makefile")


def mechs():
    out = subprocess.run([os.path.join(REPO, "scripts", "mechs")],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def builddir():
    return os.environ.get("KUIPC_BUILDDIR") or os.path.join(REPO, "build")


def _sync_tree(dest):
    """Mirror Kbuild + modules/ into dest, touching only changed files.

    Building in a copy keeps the source tree free of build products and lets
    several kernels build side by side; unchanged files keep their mtime, so
    Kbuild rebuilds only what changed.
    """
    wanted = set()
    for top, _, files in os.walk(os.path.join(REPO, "modules")):
        for name in files:
            if name.endswith(_SRC_SUFFIXES):
                wanted.add(os.path.relpath(os.path.join(top, name), REPO))
    wanted.add("Kbuild")
    for rel in wanted:
        src, dst = os.path.join(REPO, rel), os.path.join(dest, rel)
        if os.path.exists(dst) and filecmp.cmp(src, dst, shallow=False):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    for top, _, files in os.walk(dest):
        for name in files:
            rel = os.path.relpath(os.path.join(top, name), dest)
            if name.endswith(_SRC_SUFFIXES) and rel not in wanted and \
                    not name.endswith(".mod.c"):
                os.unlink(os.path.join(dest, rel))


def moddir(kernel, coverage=False):
    """Where the modules for a kernel are built. The profiled build
    (--coverage) has a directory of its own, so that a normal run keeps
    its unprofiled modules and neither rebuilds the other's."""
    return os.path.join(builddir(), "kmod-gcov" if coverage else "kmod",
                        kernel.release)


def build_modules(kernel, extra_make_args=(), sparse_all=False,
                  coverage=False):
    """Build every module for a kernel; any compiler warning is an error.

    sparse_all: run sparse on every file (C=2), not only on those that are
    recompiled (C=1). coverage: profile every object (GCOV_PROFILE=y: gcc's
    -fprofile-arcs -ftest-coverage, read back through gcov-kernel)."""
    dest = moddir(kernel, coverage)
    _sync_tree(dest)
    if coverage:
        extra_make_args = ("GCOV_PROFILE=y", *extra_make_args)
    # C=1: sparse checks every file that is recompiled; its findings are
    # warnings like the compiler's, so they fail the build too.
    make = ["make", "-C", kernel.kdir, f"M={dest}", "-j2",
            "C=2" if sparse_all else "C=1", *extra_make_args, "modules"]
    # A .ko left from an earlier build must not stand in for one this
    # build did not make (a module dropped from its Kbuild, say): Kbuild
    # relinks each from its unchanged objects in a moment.
    for m in mechs():
        stale = os.path.join(dest, "modules", m, f"kuipc_{m}.ko")
        if os.path.exists(stale):
            os.remove(stale)
    in_chroot = chroot.needs_chroot(kernel)
    where = " (in a build chroot)" if in_chroot else ""
    if in_chroot:
        root = chroot.ensure(kernel)
    what = " with coverage profiling" if coverage else ""
    with ui.step(f"build modules for {kernel.release}{what}{where}"):
        if in_chroot:
            res = chroot.run_in(root, [kernel.root, dest], make)
        else:
            if shutil.which("sparse") is None:
                if sparse_all:
                    raise ui.Fatal("sparse is not installed")
                make.remove("C=1")
            res = subprocess.run(make, capture_output=True, text=True,
                                 check=False)
        log = res.stdout + res.stderr
        with open(os.path.join(dest, "build.log"), "w",
                  encoding="utf-8") as f:
            f.write(log)
        warnings = [ln for ln in log.splitlines()
                    if "warning:" in ln or "error:" in ln]
        if res.returncode != 0 or warnings:
            print(log[-8000:])
            raise ui.Fatal(f"module build for {kernel.release} "
                           f"{'failed' if res.returncode else 'warned'} "
                           f"({len(warnings)} warning/error lines)")
    kos = {}
    for m in mechs():
        ko = os.path.join(dest, "modules", m, f"kuipc_{m}.ko")
        if not os.path.exists(ko):
            raise ui.Fatal(f"{ko} was not built")
        kos[m] = ko
    return kos


def build_userspace(bdir=None, setup_args=(), reconfigure=False):
    """Configure (once) and build the user side in bdir (build/ by
    default); setup_args: more `meson setup` options (a cross file);
    reconfigure: they changed since the last setup."""
    bdir = bdir or builddir()
    # Meson reads the list of mechanisms when it configures: a pair added
    # since then needs a reconfigure to be built and linked into the runner.
    seen = os.path.join(bdir, "kuipc-mechs")
    current = " ".join(mechs())
    try:
        with open(seen, encoding="utf-8") as f:
            configured = f.read().strip()
    except OSError:
        configured = None
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        with ui.step("meson setup"):
            ui.run(["meson", "setup", *setup_args, bdir, REPO], quiet=True)
    elif configured != current or reconfigure:
        with ui.step("meson setup --reconfigure (the set of pairs or the "
                     "options changed)"):
            ui.run(["meson", "setup", "--reconfigure", *setup_args, bdir,
                    REPO], quiet=True)
    with open(seen, "w", encoding="utf-8") as f:
        f.write(current + "\n")
    with ui.step("build clients and runner (meson compile)"):
        ui.run(["meson", "compile", "-C", bdir], quiet=True)
    return bdir


def binaries(bdir):
    """Programs to put in the guest: the runner, the benchmark and fuzzing
    programs and each pair's programs.

    A pair's programs are the executables named kuipc-* that its
    userspace/<mech>/meson.build builds: its CLI and any helper it needs.
    """
    progs = [os.path.join(bdir, "userspace", "tests", "kuipc-runner")]
    for tool in (("bench", "kuipc-bench"), ("fuzz", "kuipc-fuzz")):
        path = os.path.join(bdir, "userspace", *tool)
        if os.path.isfile(path):
            progs.append(path)
    for m in mechs():
        pdir = os.path.join(bdir, "userspace", m)
        if not os.path.isdir(pdir):
            continue
        for name in sorted(os.listdir(pdir)):
            exe = os.path.join(pdir, name)
            if name.startswith("kuipc-") and os.path.isfile(exe) and \
                    os.access(exe, os.X_OK):
                progs.append(exe)
    return progs


def host_unit_tests(bdir, run_with=()):
    """Run the host-side unit tests (under run_with: a loader, say);
    return [(ok, name, detail)]."""
    exe = os.path.join(bdir, "userspace", "tests", "kuipc-unit")
    report = os.path.join(bdir, "unit-junit.xml")
    with ui.step("host unit tests"):
        res = subprocess.run([*run_with, exe, "-r", "junit", "-o", report],
                             capture_output=True, text=True, check=False)
    results = []
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError) as e:
        return [(False, "host unit tests ran", f"{e}; {res.stderr[-500:]}")]
    for case in root.iter("testcase"):
        name = case.get("name")
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        detail = "" if bad is None else (bad.text or bad.get("message", ""))
        results.append((bad is None, name, detail.strip()))
    if res.returncode != 0 and all(ok for ok, _, _ in results):
        results.append((False, "host unit tests exit status",
                        f"exit {res.returncode}: {res.stderr[-500:]}"))
    return results


def python_unit_tests():
    """Run the front door's own unit tests (scripts/kuipc_lib/test_*.py);
    return [(ok, name, detail)]."""
    import unittest  # pylint: disable=import-outside-toplevel
    here = os.path.dirname(os.path.abspath(__file__))
    suite = unittest.defaultTestLoader.discover(
        here, pattern="test_*.py", top_level_dir=os.path.dirname(here))
    results = []

    class Collect(unittest.TestResult):
        def addSuccess(self, test):
            results.append((True, test.id(), ""))

        def addFailure(self, test, err):
            results.append((False, test.id(), self._exc_info_to_string(
                err, test)))

        def addError(self, test, err):
            self.addFailure(test, err)

    with ui.step("front-door unit tests"):
        suite.run(Collect())
    if not results:
        results.append((False, "front-door unit tests ran", "none found"))
    return [(ok, "kuipc_lib: " + name.split(".", 1)[-1], detail)
            for ok, name, detail in results]
