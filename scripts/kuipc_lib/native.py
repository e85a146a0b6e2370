# SPDX-License-Identifier: GPL-2.0
"""--native: test, demo and bench on the host's own running kernel.

Meant for people already inside a disposable virtual machine: the modules
are built against /lib/modules/$(uname -r)/build and loaded into the
running kernel, and the programs that would run in the guest run here as
root. Before anything is built, the host is checked for root, loadable
module support and the kernel's headers; what is missing is said and
nothing is done.
"""

import os
import shutil
import signal
import subprocess
import threading
import time

from . import build, chroot, kernels, ui


def host_kernel():
    """The running kernel, seen the way build.build_modules() needs it."""
    release = os.uname().release
    kdir = f"/lib/modules/{release}/build"
    moddir = f"/lib/modules/{release}"
    return kernels.Kernel(release=release, root=kdir, kdir=kdir,
                          vmlinuz=f"/boot/vmlinuz-{release}",
                          config=os.path.join(kdir, ".config"),
                          moddir=moddir,
                          modules=os.path.join(moddir, "kernel"),
                          kind="native")


def _mounted(path):
    try:
        with open("/proc/self/mounts", encoding="utf-8") as f:
            return any(line.split()[1] == path for line in f)
    except OSError:
        return False


def check():
    """Return the running kernel, or raise Fatal listing every missing
    piece."""
    k = host_kernel()
    problems = []
    if os.geteuid() != 0:
        problems.append("not running as root: loading modules and the "
                        "permission tests need root (use sudo)")
    if not os.path.exists("/proc/modules"):
        problems.append(f"the running kernel {k.release} has no loadable "
                        "module support (no /proc/modules): use the QEMU "
                        "guest instead (drop --native)")
    if not os.path.exists(os.path.join(k.kdir, "Makefile")):
        problems.append(f"no kernel headers at {k.kdir}: install them, e.g. "
                        f"apt-get install linux-headers-{k.release}")
    else:
        gcc = chroot.compiler_of(k)
        if gcc is not None and shutil.which(gcc) is None:
            problems.append(f"the headers of {k.release} ask for {gcc}, "
                            f"which is not installed: apt-get install {gcc}")
    loaded = sorted(d for d in os.listdir("/sys/module")
                    if d.startswith("kuipc_")) \
        if os.path.isdir("/sys/module") else []
    if loaded:
        problems.append("kuipc modules are loaded already (the suite loads "
                        f"its own): rmmod {' '.join(loaded)}")
    if problems:
        raise ui.Fatal("--native cannot run here:\n  - " +
                       "\n  - ".join(problems))
    return k


def prepare(kos, bdir):
    """Put the modules where the runner looks, mount what the pairs use and
    install the umh pair's helper at the one path its module runs.

    Returns the environment for the runner, the benchmark or a demo."""
    moddir = os.path.join(build.builddir(), "native", os.uname().release)
    shutil.rmtree(moddir, ignore_errors=True)
    os.makedirs(moddir)
    for mech, ko in kos.items():
        shutil.copy2(ko, os.path.join(moddir, f"kuipc_{mech}.ko"))
    if not _mounted("/sys/kernel/debug"):
        ui.run(["mount", "-t", "debugfs", "debugfs", "/sys/kernel/debug"],
               quiet=True, check=False)
    if not _mounted("/sys/kernel/config"):
        ui.run(["modprobe", "configfs"], quiet=True, check=False)
        if os.path.isdir("/sys/kernel/config"):
            ui.run(["mount", "-t", "configfs", "configfs",
                    "/sys/kernel/config"], quiet=True, check=False)
    progs = build.binaries(bdir)
    for prog in progs:
        if os.path.basename(prog) == "kuipc-umh-helper" and "umh" in kos:
            dest = "/usr/bin/kuipc-umh-helper"
            ui.info(f"installing {dest} (the umh pair's helper: its module "
                    "runs only this path)")
            shutil.copy2(prog, dest)
    path = os.pathsep.join(sorted({os.path.dirname(p) for p in progs}))
    return dict(os.environ, KUIPC_MODULE_DIR=moddir,
                PATH=path + os.pathsep + os.environ.get("PATH", ""))


class Run:
    """What a native run left: like vm.Run for the callers that print it."""

    def __init__(self, exit_code, wall_s, problem):
        self.exit_code = exit_code
        self.wall_s = wall_s
        self.problem = problem
        self.accel = "native"
        self.console_tail = ""


def run(argv, env, on_line, timeout_s):
    """Run a program of the suite on the host, one callback per output
    line; a run past timeout_s is killed and reported."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    expired = threading.Event()

    def kill():
        expired.set()
        os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout_s, kill)
    timer.start()
    try:
        for line in proc.stdout:
            on_line(line.rstrip("\n"))
        code = proc.wait()
    finally:
        timer.cancel()
    problem = f"killed after {timeout_s} s" if expired.is_set() else None
    if problem is None and code < 0:
        problem = f"{os.path.basename(argv[0])} died of signal {-code}"
    return Run(code, time.monotonic() - t0, problem)
