# SPDX-License-Identifier: GPL-2.0
"""Host packages the suite needs; installs what is missing with apt-get."""

import os
import subprocess

from . import ui

# Debian package -> why it is needed.
PACKAGES = {
    "qemu-system-x86": "boots the test kernels",
    "busybox-static": "the guest's shell and tools",
    "meson": "builds the clients and the runner",
    "ninja-build": "meson's backend",
    "g++": "compiles the clients (C++20)",
    "gcc-12": "compiles the modules for bookworm kernels",
    "g++-multilib": "i386 builds: the uapi headers' 32-bit host tests and "
                    "--compat32",
    "make": "Kbuild",
    "pkg-config": "finds catch2 and libnl for meson",
    "catch2": "the test framework",
    "libnl-genl-3-dev": "the generic netlink client",
    "dwarves": "pahole, used by Kbuild for module BTF",
    "sparse": "static checking of the modules (make C=1)",
    "debootstrap": "the build chroot for kernels newer than bookworm's gcc",
    "python3-yaml": "host tests: read the CI files of docs/ci/",
    "python3-tap": "host tests: a TAP reader (tappy) of the suite's output",
}


# Needed only by `scripts/kuipc lint`.
LINT_PACKAGES = {
    "clang-tidy": "lints the clients (scripts/kuipc lint)",
    "perl": "runs the kernel's checkpatch.pl (scripts/kuipc lint)",
    "xz-utils": "unpacks checkpatch.pl from linux-source",
    "pyflakes3": "checks the Python of scripts/ (scripts/kuipc lint)",
}


# Needed only by `scripts/kuipc bench --chart` (scripts/bench-chart).
CHART_PACKAGES = {
    "gnuplot-nox": "draws the benchmark chart (scripts/bench-chart)",
}


def _installed(pkg):
    res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                         capture_output=True, text=True, check=False)
    return res.returncode == 0 and "install ok installed" in res.stdout


def missing(packages=None):
    return [p for p in (packages or PACKAGES) if not _installed(p)]


def _why(pkg):
    for table in (PACKAGES, LINT_PACKAGES, CHART_PACKAGES):
        if pkg in table:
            return table[pkg]
    return "needed"


def ensure(packages=None, why=None):
    """Install missing packages; announce each with why[pkg] (default: the
    suite's own lists). No apt call when none is missing."""
    todo = missing(packages)
    if not todo:
        return
    for pkg in todo:
        ui.info(f"installing missing host package: {pkg} "
                f"({why[pkg] if why and pkg in why else _why(pkg)})")
    if os.geteuid() != 0:
        raise ui.Fatal("installing packages needs root: run as root or "
                       f"apt-get install {' '.join(todo)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with ui.step(f"apt-get install {' '.join(todo)}"):
        res = ui.run(["apt-get", "install", "-y", "-q",
                      "--no-install-recommends", *todo],
                     quiet=True, env=env, check=False)
        if res.returncode != 0:
            # Stale package lists are the usual cause on a fresh machine.
            ui.run(["apt-get", "update", "-q"], quiet=True, env=env)
            ui.run(["apt-get", "install", "-y", "-q",
                    "--no-install-recommends", *todo], quiet=True, env=env)
