# SPDX-License-Identifier: GPL-2.0
"""Where the suite's programs run, behind one interface: a QEMU guest
booted with a kernel (Guest), or the host's own running kernel (Native,
--native).

    target = targets.make(args, kernels_asked)[0]
    target.prepare(mechs)          # modules, and the guest's initramfs
    run = target.run(job, on_line) # vm.Run or native.Run

A Job says what to run: the runner in one of its modes (test, demo), the
benchmark or the fuzzer, and with which limits.
"""

import dataclasses
import os
import time

from . import (build, compat32, hostdeps, initramfs, kernels, native, ui,
               vm)

# Whole-run limit on the host, per boot; the guest limits each test itself.
HOST_TIMEOUT_S = 900


def select_mechs(only):
    """The mechanisms asked for (all when none), each checked."""
    known = build.mechs()
    for m in only:
        if m not in known:
            raise ui.Fatal(f"unknown mechanism '{m}' (known: "
                           f"{', '.join(known)})")
    return only or known


def boot_line(mode, mechs, timeout, faults=False):
    """The guest kernel's command line for a run of the runner."""
    # loglevel=5: KERN_WARNING and worse reach the console, where the host
    # looks for reports itself; printk.time marks the kernel's lines there.
    # log_buf_len: room for a mechanism's records between two reads.
    # no_timer_check: under TCG on a loaded host the IO-APIC timer check
    # can miss its ticks and panic the boot ("IO-APIC + timer doesn't
    # work!", seen at load 20 on 2 cores); virtual machines skip it.
    return (f"console=ttyS0 loglevel=5 printk.time=1 log_buf_len=4M "
            f"no_timer_check panic=-1 rdinit=/init "
            f"kuipc.mode={mode} kuipc.only={','.join(mechs)} "
            f"kuipc.timeout={timeout}" + (" kuipc.faults=1" if faults else ""))


@dataclasses.dataclass
class Job:
    """One run of a program of the suite."""

    mode: str        # the guest's kuipc.mode: test, demo, bench, fuzz
    mechs: list
    what: str        # for the progress line: "run procfs"
    # On the host (--native): the program, under build/userspace/, and
    # its arguments.
    program: tuple = ("tests", "kuipc-runner")
    args: tuple = ()
    timeout: int = 60          # kuipc.timeout: the guest's limit per test
    host_timeout: float = HOST_TIMEOUT_S
    faults: bool = False       # kuipc.faults=1
    params: str = ""           # more kernel parameters, " kuipc.x=y"
    say_accel: bool = True     # name the accelerator in the progress line
    detail: str = ""           # a line under the progress line


def _ready_line(kernel, on_line):
    """The callback for vm.boot: its None (the guest is ready) becomes a
    progress line with the time the boot took; result lines go to
    on_line."""
    t0 = time.monotonic()

    def handle(line):
        if line is None:
            print(f"    boot {kernel.release}: ready in "
                  f"{time.monotonic() - t0:.1f}s", file=ui.PROGRESS,
                  flush=True)
        else:
            on_line(line)
    return handle


class _Target:
    boots = False
    abi = "native"      # the user side's ABI: native, or compat32
    suffix = ""         # of its initramfs and working directories
    params = ""         # kernel parameters of its own

    def __init__(self, kernel, bdir):
        self.kernel = kernel
        self.bdir = bdir

    def workdir(self, mode):
        """Where a run of this mode keeps its files."""
        suffix = "" if mode == "test" else f"-{mode}"
        return os.path.join(build.builddir(), "vm",
                            self.kernel.release + self.suffix + suffix)

    def host_run(self):
        """What runs a program of this user side on the host: nothing
        but the program itself, or a loader before it."""
        del self
        return ()

    def _kos(self, mechs, profiled=False):
        kos = build.build_modules(self.kernel, coverage=profiled)
        return {m: ko for m, ko in kos.items() if m in mechs}


class Guest(_Target):
    """A QEMU guest booted with the kernel."""

    boots = True

    def __init__(self, kernel, bdir, accel):
        super().__init__(kernel, bdir)
        self.accel = accel
        self.image = None

    def _libraries(self, progs):
        """The programs' libraries for the initramfs (None: the host's)."""
        del progs
        return None

    def prepare(self, mechs, profiled=False):
        """Build the modules and the initramfs with the mechanisms'."""
        kos = self._kos(mechs, profiled)
        self.image = os.path.join(build.moddir(self.kernel, profiled),
                                  f"initramfs{self.suffix}.cpio")
        progs = build.binaries(self.bdir)
        initramfs.build_initramfs(self.image, progs, kos,
                                  self.kernel.extra_modules(),
                                  self._libraries(progs))

    def run(self, job, on_line):
        accel = f" ({self.accel})" if job.say_accel else ""
        abi = "" if self.abi == "native" else f", {self.abi} user space"
        ui.info(f"boot {self.kernel.release}{accel}{abi} and {job.what}")
        if job.detail:
            print(f"    {job.detail}", file=ui.PROGRESS, flush=True)
        append = boot_line(job.mode, job.mechs, job.timeout, job.faults) + \
            job.params + self.params
        return vm.boot(self.kernel, self.image, append, self.accel,
                       self.workdir(job.mode), job.host_timeout,
                       _ready_line(self.kernel, on_line))

    def console(self, mode):
        """(the console log of the last run of mode, its directory)."""
        workdir = self.workdir(mode)
        return vm.read_console(workdir), workdir

    def interactive(self, mechs):
        return vm.interactive(self.kernel, self.image,
                              boot_line("shell", mechs, 60) + self.params,
                              self.accel,
                              self.workdir("shell"))


class Compat32Guest(Guest):
    """A QEMU guest of an x86_64 kernel whose user side is i386
    (--compat32): every call of the suite goes through the kernel's compat
    entry points."""

    abi = "compat32"
    suffix = "-compat32"

    def __init__(self, kernel, bdir, accel):
        super().__init__(kernel, bdir, accel)
        if kernel.arch != "x86_64":
            raise ui.Fatal(f"--compat32 runs i386 programs on x86_64 "
                           f"kernels, not on {kernel.arch}")
        self.params = compat32.boot_params(kernel)

    def _libraries(self, progs):
        return compat32.libraries(progs)

    def host_run(self):
        return compat32.loader()


class Native(_Target):
    """The host's own running kernel (--native)."""

    def __init__(self, kernel, bdir):
        super().__init__(kernel, bdir)
        self.env = None

    def prepare(self, mechs, profiled=False):
        """Build the modules for the running kernel and make the host ready
        to run the suite's programs."""
        del profiled  # --coverage is refused with --native
        self.env = native.prepare(self._kos(mechs), self.bdir)

    def run(self, job, on_line):
        ui.info(f"{job.what} on the running kernel {self.kernel.release}")
        argv = [os.path.join(self.bdir, "userspace", *job.program),
                *job.args]
        return native.run(argv, self.env, on_line, job.host_timeout)

    def console(self, mode):
        """The host has no console log of its own to read."""
        del mode
        return None, None


def make(args, asked):
    """Host packages, kernels (asked: the specs given, the default when
    none), user-space build; returns a target per kernel.

    With --native the one kernel is the running one, checked first."""
    if args.native:
        if asked:
            raise ui.Fatal("--native runs on the host's own kernel: "
                           "it takes no --kernel")
        if args.compat32:
            raise ui.Fatal("--compat32 runs in a guest: no --native")
        ks = [native.check()]
    with ui.step("check host packages"):
        hostdeps.ensure()
    if not args.native:
        ks = [kernels.get(spec, refresh=args.refresh)
              for spec in asked or [kernels.DEFAULT]]
    if args.native:
        return [Native(k, args.builddir or build.build_userspace())
                for k in ks]
    if args.compat32:
        bdir = args.builddir or compat32.build_userspace()
        return [Compat32Guest(k, bdir, args.accel) for k in ks]
    bdir = args.builddir or build.build_userspace()
    return [Guest(k, bdir, args.accel) for k in ks]
