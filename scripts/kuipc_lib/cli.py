# SPDX-License-Identifier: GPL-2.0
"""The front door's command line: one argparse parser.

Every subcommand's namespace has each attribute its command reads, set by
an option or by the subcommand's defaults, so a command never asks
whether one is there."""

import argparse
import os

from . import kernels, selfcheck, shard
from .targets import HOST_TIMEOUT_S

# Guests booted at once by matrix. A guest's vCPUs wait on timers and I/O
# much of the time, so one more guest than host cores keeps them busy: on 2
# cores, 3 kernels at once took 60 s where one after the other took 109 s.
DEFAULT_JOBS = (os.cpu_count() or 1) + 1

COMMANDS = "{test,matrix,merge,demo,bench,fuzz,shell,lint,selfcheck,new}"

# What the commands that run the suite (test, matrix, vm-suite) read
# beyond their options.
_SUITE = {"native": False, "coverage": False, "builddir": None, "jobs": 1,
          "junit": None, "table": False, "vm_only": False,
          "host_tests": False}


def _suite_defaults(sp, options, **values):
    """_SUITE as sp's defaults, but for its options (whose own defaults
    stand) and with values over it."""
    defaults = {k: v for k, v in _SUITE.items() if k not in options}
    sp.set_defaults(**dict(defaults, **values))


def _names(text):
    """--only a,b: a list of names (the option repeats: --only c)."""
    return [m for m in text.split(",") if m]


def _only(sp):
    sp.add_argument("--only", action="extend", type=_names, default=[],
                    metavar="MECH")


def _kernel_flags(sp, multi_kernel):
    if multi_kernel:
        sp.add_argument("--kernel", action="append", metavar="K",
                        help="kernel to boot (6.1, 6.12, latest, debug: "
                        "6.12 built with KASAN, lockdep, kmemleak, "
                        "UBSAN, KFENCE and DEBUG_OBJECTS, or the path "
                        "of a kernel tree you built); "
                        "repeatable; default 6.1")
    else:
        sp.add_argument("--kernel", metavar="K",
                        help="kernel to boot; default 6.1")
    sp.add_argument("--accel", choices=("auto", "tcg", "kvm"),
                    default="auto", help="QEMU accelerator")
    sp.add_argument("--compat32", action="store_true",
                    help="build the clients and the runner as i386 and run "
                    "them on the x86_64 kernel: every call goes through "
                    "the kernel's 32-bit compat entry points")
    sp.add_argument("--refresh", action="store_true",
                    help="re-resolve kernel versions (network)")


def _native_flag(sp):
    sp.add_argument("--native", action="store_true",
                    help="run on the host's own kernel instead of a "
                    "QEMU guest (root, module support and "
                    "/lib/modules/$(uname -r)/build needed; for hosts "
                    "that are themselves disposable VMs)")


def _verdict_flags(sp):
    sp.add_argument("--strict", action="store_true",
                    help="a skipped test fails the run (CI)")
    sp.add_argument("--faults", action="store_true",
                    help="also inject an allocation failure at every "
                    "site of each module's load and operations "
                    "(fail-nth; needs --kernel debug)")
    sp.add_argument("--host-timeout", type=int, metavar="SECONDS",
                    help="whole-run limit of a guest on the host "
                    f"(default {HOST_TIMEOUT_S}, times the kernel's "
                    "slow-down factor)")


def _suite_parser(sub, name, native=False, **kw):
    """A parser of a command that runs the VM suite and judges it."""
    sp = sub.add_parser(name, **kw)
    _kernel_flags(sp, True)
    if native:
        _native_flag(sp)
    _verdict_flags(sp)
    _only(sp)
    sp.add_argument("--json", metavar="FILE")
    sp.add_argument("--ktap", metavar="FILE",
                    help="also write the results as nested KTAP version 1 "
                    "(kernel, mechanism, test), as the kernel's "
                    "tools/testing/kunit/kunit.py parse reads it")
    sp.add_argument("--shard", type=shard.parse, metavar="I/N",
                    help="run only part I of N of the kernel x mechanism "
                    "units (one boot per kernel); join the parts' --json "
                    "files with `merge`")
    return sp


def _merge_parser(sub):
    sp = sub.add_parser("merge", help="join the --json files of the shards "
                        "of a run (--shard I/N) into the run's results")
    sp.add_argument("shards", nargs="+", metavar="SHARD.json")
    sp.add_argument("--json", metavar="FILE")
    sp.add_argument("--junit", metavar="FILE")
    sp.add_argument("--ktap", metavar="FILE")


def _test_parsers(sub):
    sp = _suite_parser(sub, "test", native=True,
                       help="host unit tests + the VM suite")
    sp.add_argument("--timeout", type=int, default=60,
                    help="per-test timeout in the guest (s)")
    sp.add_argument("--coverage", action="store_true",
                    help="line and branch coverage of the modules (lcov, "
                    "HTML in build/coverage/); needs --kernel debug")
    _suite_defaults(sp, ("native", "coverage"), host_tests=True)

    # For meson's `vm` test: the VM suite only, pure TAP on stdout.
    sp = _suite_parser(sub, "vm-suite")
    sp.add_argument("--timeout", type=int, default=60)
    sp.add_argument("--builddir")
    _suite_defaults(sp, ("builddir",), vm_only=True)

    sp = _suite_parser(sub, "matrix", help="the VM suite on every "
                       "supported kernel (6.1, 6.12, latest)")
    sp.add_argument("--junit", metavar="FILE")
    sp.add_argument("--timeout", type=int, default=60)
    sp.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                    help="guests to run at once (default: "
                    f"{DEFAULT_JOBS} on this machine)")
    _suite_defaults(sp, ("junit", "jobs"), table=True)


def _guest_parsers(sub):
    sp = sub.add_parser("demo", help="run pairs, showing both sides")
    _kernel_flags(sp, False)
    _native_flag(sp)
    sp.add_argument("mechs", nargs="*", metavar="MECH")
    sp.set_defaults(builddir=None)

    sp = sub.add_parser("bench", help="benchmarks: each pair against "
                        "its user-space floor (never part of test)")
    _kernel_flags(sp, False)
    _native_flag(sp)
    _only(sp)
    sp.add_argument("--json", metavar="FILE")
    sp.add_argument("--chart", metavar="SVG",
                    help="also draw the ratios (scripts/bench-chart, "
                    "gnuplot)")
    sp.add_argument("--profile", action="store_true",
                    help="trace one operation of each row with ftrace's "
                    "function_graph and show the trace")
    sp.set_defaults(builddir=None)

    sp = sub.add_parser("fuzz", help="random, bounded operations on every "
                        "pair's interface in a guest; fails on any kernel "
                        "report")
    _kernel_flags(sp, False)
    _only(sp)
    sp.add_argument("--seconds", type=int, default=60)
    sp.add_argument("--seed", type=int,
                    help="the run's seed (printed by every run)")
    sp.set_defaults(native=False, builddir=None)

    sp = sub.add_parser("shell", help="an interactive guest")
    _kernel_flags(sp, False)
    sp.set_defaults(native=False, builddir=None)


def _tool_parsers(sub):
    sp = sub.add_parser("lint", help="sparse, checkpatch.pl --strict, "
                        "clang-tidy, pyflakes and the unit tests under "
                        "ASan+UBSan")
    sp.add_argument("--kernel", metavar="K",
                    help="headers to run sparse against; default 6.1")
    sp.add_argument("--refresh", action="store_true",
                    help="re-resolve kernel versions (network)")
    sp.set_defaults(accel="auto", native=False, builddir=None,
                    compat32=False)

    sp = sub.add_parser("selfcheck", help="negative controls: inject one "
                        "fault at a time into a copy of the tree and show "
                        "that the verdict turns red for it")
    sp.add_argument("controls", nargs="*", metavar="CONTROL",
                    help="; ".join(f"{c.name}: {c.what}"
                                   for c in selfcheck.CONTROLS))

    sp = sub.add_parser("new", help="scaffold a new pair (module, client, "
                        "tests, doc) from scripts/templates/pair")
    sp.add_argument("name", metavar="NAME")

    sp = sub.add_parser("doc-links")  # for scripts/doc-links
    sp.add_argument("--fix", action="store_true")

    sp = sub.add_parser("gen-dkms-conf")  # for scripts/gen-dkms-conf
    sp.add_argument("--check", action="store_true")


def parser():
    p = argparse.ArgumentParser(
        prog="kuipc",
        description="Kernel<->user communication pairs, tested in QEMU.")
    sub = p.add_subparsers(dest="cmd", required=True, metavar=COMMANDS)
    _test_parsers(sub)
    _merge_parser(sub)
    _guest_parsers(sub)
    _tool_parsers(sub)
    return p


def parse(argv):
    """The namespace of a command line; argparse exits 2 on a bad one."""
    args = parser().parse_args(argv)
    if args.cmd == "matrix" and not args.kernel:
        args.kernel = list(kernels.ALIASES)
    return args
