# SPDX-License-Identifier: GPL-2.0
"""test, matrix and vm-suite: the host's checks and unit tests, then the
VM suite on each kernel, judged by the host (results.judge)."""

import concurrent.futures
import os
import sys
import time

from .. import (build, coverage, dkms, doclinks, report, results, targets,
                ui)


def _host_checks(tap, bdir):
    """The checks of the tree and the unit tests, as TAP lines."""
    stale = dkms.check()
    tap.line(stale is None, "host: dkms.conf lists every mechanism")
    if stale is not None:
        tap.note(stale)
    bad_links = doclinks.check()
    tap.line(not bad_links, "host: docs link to the lines they name")
    for problem in bad_links:
        tap.note(problem)
    if bad_links:
        tap.note("(scripts/doc-links --fix moves each link to its symbol)")
    for ok, name, detail in build.host_unit_tests(bdir) + \
            build.python_unit_tests():
        tap.line(ok, f"host: {name}")
        if not ok:
            for ln in detail.splitlines()[:20]:
                tap.note(ln)


def _run_kernel(args, tap, target, mechs, live):
    """Run the suite on one target. With live, its TAP lines are shown as
    they come; otherwise they are kept for the caller to show. Returns
    (the run, its results.GuestOutput)."""
    k = target.kernel
    out = results.GuestOutput(coverage.Receiver() if args.coverage else None)
    # Kernels with the bug detectors on (--kernel debug) run slower.
    job = targets.Job(
        "test", mechs, f"run {', '.join(mechs)}",
        args=("--only", ",".join(mechs), "--timeout", str(args.timeout),
              *(("--faults",) if args.faults else ())),
        timeout=args.timeout * k.timeout_factor,
        host_timeout=args.host_timeout or
        targets.HOST_TIMEOUT_S * k.timeout_factor,
        faults=args.faults, params=" kuipc.gcov=1" if args.coverage else "")
    run = target.run(job, (lambda line: out.feed(tap, line)) if live
                     else out.keep)
    if target.boots:
        print(f"    {k.release}: guest run done in {run.wall_s:.1f}s "
              f"({run.accel})", file=ui.PROGRESS, flush=True)
    return run, out


def _coverage(tap, k, out, mechs, entry):
    """The coverage data of one run: a TAP line saying whether it arrived
    whole and lcov read it; the sums go into entry["coverage"]."""
    try:
        sums, problems = coverage.report(k, build.moddir(k, True),
                                         out.gcov, mechs)
    except ui.Fatal as e:
        sums, problems = None, [str(e)]
    tap.line(not problems, f"{k.release}: coverage data of every module "
             "arrived whole and lcov read it")
    for p in problems[:40]:
        tap.note(p)
    if problems:
        entry["failed"] += 1
        entry["ok"] = False
    if sums:
        entry["coverage"] = sums


def _run_all(args, tap, tgts, mechs):
    """Run the suite on each target; returns [(run, output)].

    Images are built one kernel after the other (make runs in parallel
    itself); with --jobs N up to N guests then run at once, and each one's
    TAP lines are shown, in kernel order, when it has finished."""
    for t in tgts:
        t.prepare(mechs, args.coverage)
    if args.coverage:
        for t in tgts:
            coverage.clear(build.moddir(t.kernel, True))
    jobs = max(1, min(args.jobs or 1, len(tgts)))
    if jobs == 1:
        runs = []
        for t in tgts:
            tap.source = t.kernel.release
            runs.append(_run_kernel(args, tap, t, mechs, True))
        return runs
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(_run_kernel, args, tap, t, mechs, False)
                   for t in tgts]
        return [f.result() for f in futures]


def _suite(args, tap, tgts, mechs):
    """The VM suite on each target and the host's checks of each run;
    returns the JSON kernel entries."""
    entries = []
    for t, (run, out) in zip(tgts, _run_all(args, tap, tgts, mechs)):
        tap.source = t.kernel.release
        out.replay(tap)
        console, workdir = t.console("test")
        entries.append(results.judge(tap, t.kernel.release, run, out, mechs,
                                     args.strict, console=console,
                                     workdir=workdir))
        if args.coverage:
            _coverage(tap, t.kernel, out, mechs, entries[-1])
    return entries


def _check_coverage(args, tgts):
    if not args.coverage:
        return
    coverage.check_kernel(tgts[0].kernel)
    coverage.gcov_tool(tgts[0].kernel)
    # Before the run, so that a missing tool cannot waste it.
    with ui.step("check coverage tools"):
        coverage.ensure_tools()


def _write(args, tap, entries, mechs):
    """The table, JUnit and JSON files asked for."""
    if args.table:
        report.print_table(entries, mechs, ui.PROGRESS)
    if args.junit:
        report.write_junit(args.junit, tap.results)
    # Coverage is one kernel's (--coverage takes one): top level.
    sums = [e.pop("coverage") for e in entries if "coverage" in e]
    if sums:
        coverage.print_table(sums[0], ui.PROGRESS)
    if args.json:
        cov = (sums[0] if sums else {}) if args.coverage else None
        report.write_json(args.json, report.run_json(tap, entries, cov))


def test(args):
    """test (host checks, then the VM suite), matrix (every kernel, a
    table) and vm-suite (meson's: stdout pure TAP)."""
    t0 = time.monotonic()
    if args.vm_only:
        ui.progress_to_stderr()
        if args.builddir:
            os.environ["KUIPC_BUILDDIR"] = args.builddir
    mechs = targets.select_mechs(args.only)
    if args.coverage and (args.native or len(args.kernel or []) != 1):
        raise ui.Fatal("--coverage takes one kernel built with "
                       "CONFIG_GCOV_KERNEL (--kernel debug), not --native")
    tgts = targets.make(args, args.kernel or [])
    _check_coverage(args, tgts)
    tap = results.Tap(sys.stdout, strict=args.strict)
    print("TAP version 13", flush=True)
    if args.host_tests:
        _host_checks(tap, tgts[0].bdir)
    entries = _suite(args, tap, tgts, mechs)
    print(f"1..{tap.n}")
    _write(args, tap, entries, mechs)
    print(f"    total wall time {time.monotonic() - t0:.1f}s",
          file=ui.PROGRESS, flush=True)
    # Under meson (vm-suite) stdout must stay pure TAP.
    print(tap.summary(), file=ui.PROGRESS if args.vm_only else sys.stdout,
          flush=True)
    return 0 if tap.failed == 0 else 1
