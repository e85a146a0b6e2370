# SPDX-License-Identifier: GPL-2.0
"""scripts/kuipc selfcheck: negative controls of the verdict.

Each control injects one fault into a throw-away copy of the tree (under
build/selfcheck/), runs the suite there and passes only when the run ends
red for the expected reason: its exit status is not 0 and every expected
pattern appears in its output. A control that stays green, or turns red
for another reason, is a defect in the harness. Not part of `test`: each
control boots a guest.
"""

import os
import re
import shutil
import subprocess
import time

from . import build, ui

PROCFS = "modules/procfs/kuipc_procfs.c"
PROCFS_TESTS = "userspace/tests/procfs.cpp"
INIT = "scripts/guest/init"

_EXIT_ANCHOR = '\tpr_info("unloaded\\n");\n}\n'
_WRITE_ANCHOR = "\tmsg->len = count;\n"
_TEST_ANCHOR = 'TEST_CASE("procfs: an unprivileged user can read but not write'


class Control:
    """One injected fault: edits (path, anchor, text to insert before the
    anchor, or None to delete the file), the suite's arguments, and the
    patterns its output must show."""

    def __init__(self, name, what, edits, args, expect):
        self.name = name
        self.what = what
        self.edits = edits
        self.args = args
        self.expect = expect


CONTROLS = [
    Control("warn-at-unload", "the procfs module WARNs in its exit",
            [(PROCFS, _EXIT_ANCHOR, "\tWARN_ON(1);\n")],
            ["--only", "procfs"],
            [r"not ok \d+ - procfs: kernel log clean",
             r"kernel: WARNING: CPU"]),
    Control("late-report", "every unload of procfs leaves work that logs a "
            "WARNING one second later (a helper process the exit starts; "
            "the last one lands after the mechanism's own check)",
            [(PROCFS, _EXIT_ANCHOR,
              "\t{\n\t\tchar *argv[] = { \"/bin/sh\", \"-c\", \"sleep 1; "
              "echo '<4>WARNING: CPU: 0 PID: 0 at kuipc_procfs late report'"
              " > /dev/kmsg\", NULL };\n\n"
              "\t\tcall_usermodehelper(argv[0], argv, NULL, "
              "UMH_WAIT_EXEC);\n\t}\n")],
            ["--only", "procfs"],
            [r"not ok \d+ - kernel: log clean at end",
             r"kernel: WARNING: CPU: 0 PID: 0 at kuipc_procfs late report"]),
    Control("exit-mid-test", "a procfs test calls exit(0) half-way through "
            "the mechanism's tests",
            [(PROCFS_TESTS, _TEST_ANCHOR,
              'TEST_CASE("procfs: a test that exits", "[procfs]")\n{\n'
              "\tstd::exit(0);\n}\n\n")],
            ["--only", "procfs"],
            [r"not ok \d+ - procfs: a test that exits: test process exited "
             r"with status 0 during the test",
             r"ok \d+ - procfs: an unprivileged user can read"]),
    Control("kmsg-unreadable", "/dev/kmsg is removed in the guest",
            [(INIT, "mount -t tmpfs tmpfs /tmp\n", "rm -f /dev/kmsg\n")],
            ["--only", "procfs"],
            [r"kernel: kernel log: cannot open /dev/kmsg",
             r"not ok \d+ - kernel: boot log clean"]),
    Control("leak-per-write", "procfs leaks 4 KiB on every write()",
            [(PROCFS, "/* Each write() stores its bytes",
              "static void *leaked;\n\n"),
             (PROCFS, _WRITE_ANCHOR,
              "\tWRITE_ONCE(leaked, kmalloc(4096, GFP_KERNEL));\n")],
            ["--only", "procfs"],
            [r"not ok \d+ - procfs: its tests leak no memory"]),
    Control("leak-per-write-debug", "procfs leaks 4 KiB on every write(), "
            "on the debug kernel",
            [(PROCFS, "/* Each write() stores its bytes",
              "static void *leaked;\n\n"),
             (PROCFS, _WRITE_ANCHOR,
              "\tWRITE_ONCE(leaked, kmalloc(4096, GFP_KERNEL));\n")],
            ["--only", "procfs", "--kernel", "debug"],
            [r"not ok \d+ - procfs: kernel log clean",
             r"kmemleak: unreferenced object"]),
    Control("ko-not-built", "the procfs module is not built",
            [("modules/procfs/Kbuild", "obj-m += kuipc_procfs.o\n",
              "obj-$(CONFIG_KUIPC_NO_SUCH_OPTION) += kuipc_procfs.o\n#")],
            ["--only", "procfs"],
            [r"kuipc_procfs\.ko was not built"]),
    Control("ko-missing-in-guest", "the procfs module is left out of the "
            "guest's initramfs",
            [("scripts/kuipc_lib/initramfs.py",
              "        for mech, ko in sorted(kos.items()):\n",
              "        kos = {m: k for m, k in kos.items() if m != \"procfs\"}\n")],
            ["--only", "procfs"],
            [r"no module for mechanism 'procfs'",
             r"not ok \d+ - [^:]+: guest run completes"]),
    Control("guest-hangs", "the guest hangs before the runner starts",
            [(INIT, "\t# shellcheck disable=SC2086\n\tkuipc-runner --boot-log",
              "\tsleep 100000\n")],
            ["--only", "procfs", "--host-timeout", "120"],
            [r"guest did not finish within 120 s",
             r"not ok \d+ - [^:]+: guest run completes"]),
]


def _copy_tree(dest):
    """A copy of the working tree, without build products or .git. The
    copy's own build/ is kept from the last selfcheck: it rebuilds only
    what changed."""
    src = build.REPO
    tree = os.path.join(dest, "src")

    def ignore(path, names):
        if os.path.abspath(path) == src:
            return [n for n in names if n in ("build", ".git")]
        return []
    if os.path.isdir(tree):
        for name in os.listdir(tree):
            if name != "build":
                full = os.path.join(tree, name)
                if os.path.isdir(full) and not os.path.islink(full):
                    shutil.rmtree(full)
                else:
                    os.remove(full)
    os.makedirs(tree, exist_ok=True)
    shutil.copytree(src, tree, ignore=ignore, symlinks=True,
                    dirs_exist_ok=True)
    return tree


def _apply(tree, control):
    """Apply the edits; returns the original contents to restore."""
    saved = {}
    for path, anchor, text in control.edits:
        full = os.path.join(tree, path)
        with open(full, encoding="utf-8") as f:
            body = f.read()
        saved.setdefault(path, body)
        if anchor is None:
            os.remove(full)
            continue
        if body.count(anchor) != 1:
            raise ui.Fatal(f"control {control.name}: anchor not found once "
                           f"in {path}: {anchor!r}")
        with open(full, "w", encoding="utf-8") as f:
            f.write(body.replace(anchor, text + anchor))
    return saved


def _restore(tree, saved):
    for path, body in saved.items():
        with open(os.path.join(tree, path), "w", encoding="utf-8") as f:
            f.write(body)


def run(names):
    """Run the controls named (all when none); returns the exit status."""
    controls = [c for c in CONTROLS if not names or c.name in names]
    unknown = set(names) - {c.name for c in CONTROLS}
    if unknown:
        raise ui.Fatal(f"unknown control(s) {', '.join(sorted(unknown))} "
                       f"(known: {', '.join(c.name for c in CONTROLS)})")
    root = os.path.join(build.builddir(), "selfcheck")
    tree = _copy_tree(root)
    kuipc = os.path.join(tree, "scripts", "kuipc")
    print("TAP version 13", flush=True)
    failed = 0
    for n, c in enumerate(controls, 1):
        saved = _apply(tree, c)
        log = os.path.join(root, f"{c.name}.log")
        ui.info(f"control {c.name}: {c.what}")
        t0 = time.monotonic()
        try:
            with open(log, "w", encoding="utf-8") as f:
                res = subprocess.run([kuipc, "test", *c.args],
                                     stdout=f, stderr=subprocess.STDOUT,
                                     cwd=tree, check=False)
        finally:
            _restore(tree, saved)
        with open(log, encoding="utf-8", errors="replace") as f:
            out = f.read()
        missing = [p for p in c.expect if not re.search(p, out, re.M)]
        ok = res.returncode != 0 and not missing
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {n} - control {c.name}: "
              f"{'red' if res.returncode else 'GREEN'} "
              f"(exit {res.returncode}, {time.monotonic() - t0:.0f} s)",
              flush=True)
        for p in c.expect:
            hit = re.search(p, out, re.M)
            print(f"#   {'found' if hit else 'MISSING'}: "
                  f"{hit.group(0) if hit else p}", flush=True)
        if not ok:
            print(f"#   output: {log}", flush=True)
    print(f"1..{len(controls)}")
    print(f"{len(controls) - failed} passed, {failed} failed", flush=True)
    return 1 if failed else 0
