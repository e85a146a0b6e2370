# SPDX-License-Identifier: GPL-2.0
"""Booting the guest in QEMU and collecting what it reports.

The guest's console is the first serial port (kept in console.log); its
results come over the second serial port (results.log).  The guest prints a
ready-marker on the console once user space runs: with --accel auto, KVM is
tried first and abandoned for TCG when no marker comes in time.
"""

import os
import signal
import subprocess
import time

from . import kernels, qemu, ui

READY = "KUIPC-READY"
KVM_READY_TIMEOUT = 8.0


def _kvm_broken_file():
    return os.path.join(kernels.cache_dir(), "kvm-no-marker")


def _qemu_cmd(kernel, initrd, append, accel, workdir, interactive):
    binary, extra = qemu.get()
    # A kernel may need parameters of its own (the debug kernel's).
    append = " ".join(filter(None, [append, kernel.cmdline]))
    cmd = [binary, *extra, "-accel", accel, "-cpu", "host" if accel == "kvm" else "max",
           "-smp", "2", "-m", str(kernel.memory_mb), "-nodefaults", "-no-user-config",
           "-display", "none", "-no-reboot",
           "-kernel", kernel.vmlinuz, "-initrd", initrd, "-append", append]
    if interactive:
        cmd += ["-serial", "mon:stdio",
                "-chardev", f"file,id=res,path={workdir}/results.log",
                "-serial", "chardev:res"]
    else:
        cmd += ["-chardev", f"file,id=con,path={workdir}/console.log",
                "-serial", "chardev:con",
                "-chardev", f"file,id=res,path={workdir}/results.log",
                "-serial", "chardev:res"]
    return cmd


class Run:
    """The outcome of one boot."""

    def __init__(self):
        self.accel = None
        self.ready = False     # the guest printed its ready-marker
        self.lines = []        # result lines, in order
        self.exit_code = None  # the guest program's exit status
        self.problem = None    # why the run failed, if it did
        self.console_tail = ""
        self.wall_s = 0.0


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def read_console(workdir):
    """The whole console log of the last boot in workdir."""
    return _read(os.path.join(workdir, "console.log"))


def _boot_once(kernel, initrd, append, accel, workdir, timeout, on_line,
               ready_timeout):
    for name in ("console.log", "results.log"):
        open(os.path.join(workdir, name), "w", encoding="utf-8").close()
    cmd = _qemu_cmd(kernel, initrd, append, accel, workdir, False)
    with open(os.path.join(workdir, "qemu.cmd"), "w", encoding="utf-8") as f:
        f.write(" ".join(cmd) + "\n")
    run = Run()
    run.accel = accel
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ready = False
    consumed = 0
    pending = ""
    panic = None
    try:
        while True:
            exited = proc.poll() is not None
            text = _read(os.path.join(workdir, "results.log"))
            if len(text) > consumed:
                pending += text[consumed:]
                consumed = len(text)
                while "\n" in pending:
                    line, pending = pending.split("\n", 1)
                    line = line.rstrip("\r")
                    if line.startswith("KUIPC-EXIT "):
                        run.exit_code = int(line.split()[1])
                        continue
                    run.lines.append(line)
                    on_line(line)
            console = _read(os.path.join(workdir, "console.log"))
            if not ready and READY in console:
                ready = True
                on_line(None)  # boot finished: lets the caller time it
            if panic is None and "Kernel panic" in console:
                panic = "Kernel panic"
            if exited:
                break
            elapsed = time.monotonic() - t0
            if not ready and ready_timeout and elapsed > ready_timeout:
                run.problem = "no-ready-marker"
                break
            if elapsed > timeout:
                run.problem = f"guest did not finish within {timeout:.0f} s"
                break
            if panic is not None:
                time.sleep(1.0)  # let the trace reach the log
                run.problem = "kernel panic"
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    qemu_out = proc.stdout.read().decode("utf-8", "replace") \
        if proc.stdout else ""
    proc.stdout.close()
    run.wall_s = time.monotonic() - t0
    run.ready = ready
    console = _read(os.path.join(workdir, "console.log"))
    run.console_tail = "\n".join(console.splitlines()[-40:])
    if run.problem is None and run.exit_code is None:
        if not ready:
            run.problem = "guest never became ready"
        else:
            run.problem = "guest stopped without reporting an exit status"
        if qemu_out.strip():
            run.console_tail += "\n[qemu] " + qemu_out.strip()[-1000:]
    if panic and run.problem is None:
        run.problem = "kernel panic"
    return run


def boot(kernel, initrd, append, accel, workdir, timeout, on_line):
    """Boot the guest non-interactively; return a Run."""
    os.makedirs(workdir, exist_ok=True)
    if accel == "auto":
        kvm_ok = os.access("/dev/kvm", os.R_OK | os.W_OK) and \
            not os.path.exists(_kvm_broken_file())
        if kvm_ok:
            run = _boot_once(kernel, initrd, append, "kvm", workdir, timeout,
                             on_line, KVM_READY_TIMEOUT)
            if run.ready:
                return run
            ui.warn(f"KVM guest gave no ready-marker within "
                    f"{KVM_READY_TIMEOUT:.0f} s ({run.problem}); using TCG "
                    f"from now on (remove {_kvm_broken_file()} to try KVM "
                    "again)")
            with open(_kvm_broken_file(), "w", encoding="utf-8") as f:
                f.write("KVM guest printed no ready-marker\n")
        accel = "tcg"
    return _boot_once(kernel, initrd, append, accel, workdir, timeout,
                      on_line, None)


def interactive(kernel, initrd, append, accel, workdir):
    """Boot with the console on this terminal (for `kuipc shell`)."""
    os.makedirs(workdir, exist_ok=True)
    if accel == "auto":
        accel = "tcg" if os.path.exists(_kvm_broken_file()) or \
            not os.access("/dev/kvm", os.R_OK | os.W_OK) else "kvm"
    cmd = _qemu_cmd(kernel, initrd, append, accel, workdir, True)
    ui.info(f"booting {kernel.release} ({accel}); leave with `poweroff` "
            "or Ctrl-a x")
    return subprocess.call(cmd)
