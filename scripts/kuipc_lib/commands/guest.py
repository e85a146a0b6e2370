# SPDX-License-Identifier: GPL-2.0
"""The commands that run one program of the suite on one kernel: demo,
bench, fuzz, and shell (an interactive guest)."""

import json
import os
import sys

from .. import build, hostdeps, report, targets, ui


def _one(args):
    """The one target of a single-kernel command."""
    return targets.make(args, [args.kernel] if args.kernel else [])[0]


def _failed(what, problem, run):
    print(ui.red(f"{what} failed: {problem}"))
    print(run.console_tail)
    return 1


def _demo_line(line):
    """A line of the demo, the kernel's lines and the headings marked."""
    if line.startswith("KUIPC-RESULT "):
        return
    if "kernel | " in line:
        line = line.replace("kernel | ", ui._c("33", "kernel | "))  # pylint: disable=protected-access
    elif line.startswith("==="):
        line = ui._c("1", line)  # pylint: disable=protected-access
    print(line, flush=True)


def demo(args):
    mechs = targets.select_mechs(args.mechs)
    target = _one(args)
    target.prepare(mechs)
    job = targets.Job("demo", mechs, f"run the demo of {', '.join(mechs)}",
                      args=("--demo", "--only", ",".join(mechs)),
                      say_accel=False)
    run = target.run(job, _demo_line)
    if run.problem:
        return _failed("demo", run.problem, run)
    return 0 if run.exit_code == 0 else 1


def _chart(args, out, workdir):
    """Draw the figures with scripts/bench-chart into args.chart."""
    chart = os.path.join(build.REPO, "scripts", "bench-chart")
    src = args.json
    if not src:
        src = os.path.join(workdir, "bench.json")
        report.write_json(src, out)
    ui.run([sys.executable, chart, src, args.chart])
    print(f"    chart written to {args.chart}", file=ui.PROGRESS)


def bench(args):
    """Run kuipc-bench once, print and save its figures.

    A benchmark is never a test: nothing here is compared with a threshold
    and `test` never runs it.
    """
    mechs = targets.select_mechs(args.only)
    if args.chart:
        # Before the run, so that a missing tool cannot waste it.
        hostdeps.ensure(hostdeps.CHART_PACKAGES)
    target = _one(args)
    workdir = target.workdir("bench")
    os.makedirs(workdir, exist_ok=True)
    target.prepare(mechs)
    figures = []

    def on_line(line):
        if line.startswith("KUIPC-BENCH "):
            figures.append(json.loads(line[len("KUIPC-BENCH "):]))
        else:
            print(f"  guest: {line}", file=ui.PROGRESS, flush=True)

    profile = ("--profile",) if args.profile else ()
    job = targets.Job("bench", mechs, f"benchmark {', '.join(mechs)}",
                      program=("bench", "kuipc-bench"),
                      args=(*profile, "--only", ",".join(mechs)),
                      params=" kuipc.profile=1" if args.profile else "")
    run = target.run(job, on_line)
    if not figures:
        return _failed("bench", run.problem or "no KUIPC-BENCH line", run)
    out = report.bench_json(figures[-1], run.accel, target.kernel.release)
    report.print_bench(out)
    if args.json:
        report.write_json(args.json, out)
    if args.chart:
        _chart(args, out, workdir)
    failed = [m for m, r in out["mechanisms"].items() if "error" in r]
    if run.problem or failed:
        print(ui.red(f"bench: {run.problem or ''} "
                     f"{'errors in ' + ', '.join(failed) if failed else ''}"))
        return 1
    return 0


def fuzz(args):
    """Boot once and run kuipc-fuzz in the guest for args.seconds."""
    mechs = targets.select_mechs(args.only)
    seed = args.seed if args.seed is not None else \
        int.from_bytes(os.urandom(8), "little") >> 1
    target = _one(args)
    target.prepare(mechs)
    again = f"scripts/kuipc fuzz --seed {seed} --seconds {args.seconds}" + \
        (f" --kernel {args.kernel}" if args.kernel else "") + \
        "".join(f" --only {m}" for m in args.only)

    def on_line(line):
        print(ui.red(line) if "FAIL" in line else line, flush=True)

    job = targets.Job("fuzz", mechs, f"fuzz {', '.join(mechs)} for "
                      f"{args.seconds} s, seed {seed}",
                      host_timeout=args.seconds + targets.HOST_TIMEOUT_S,
                      params=f" kuipc.fuzz={args.seconds},{seed}",
                      say_accel=False, detail=f"reproduce with: {again}")
    run = target.run(job, on_line)
    if run.problem or run.exit_code != 0:
        print(ui.red(f"fuzz failed (seed {seed}): "
                     f"{run.problem or 'see the FAIL lines above'}"))
        if run.problem:
            print(run.console_tail)
        print(f"reproduce with: {again}")
        return 1
    return 0


def shell(args):
    mechs = build.mechs()
    target = _one(args)
    target.prepare(mechs)
    return target.interactive(mechs)
