# SPDX-License-Identifier: GPL-2.0
"""test, matrix and vm-suite: the host's checks and unit tests, then the
VM suite on each kernel, judged by the host (results.judge)."""

import concurrent.futures
import os
import sys
import time

from .. import (build, coverage, dkms, doclinks, kernels, report, results,
                shard, targets, ui)


def _host_checks(tap, target):
    """The checks of the tree and the unit tests (those of the target's
    build, run as its user side runs), as TAP lines."""
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
    for ok, name, detail in build.host_unit_tests(target.bdir, target.host_run()) + \
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
    """Run the suite on each target, with its mechanisms (mechs, a list
    per target); returns [(run, output)].

    Images are built one kernel after the other (make runs in parallel
    itself); with --jobs N up to N guests then run at once, and each one's
    TAP lines are shown, in kernel order, when it has finished."""
    for t, m in zip(tgts, mechs):
        t.prepare(m, args.coverage)
    if args.coverage:
        for t in tgts:
            coverage.clear(build.moddir(t.kernel, True))
    jobs = max(1, min(args.jobs or 1, len(tgts)))
    if jobs == 1:
        runs = []
        for t, m in zip(tgts, mechs):
            tap.source = t.kernel.release
            runs.append(_run_kernel(args, tap, t, m, True))
        return runs
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(_run_kernel, args, tap, t, m, False)
                   for t, m in zip(tgts, mechs)]
        return [f.result() for f in futures]


def _suite(args, tap, plan):
    """The VM suite on each target and the host's checks of each run;
    plan: [(kernel spec, target, mechanisms)]. Returns the JSON kernel
    entries."""
    tgts = [t for _, t, _ in plan]
    mechs = [m for _, _, m in plan]
    entries = []
    for (spec, t, m), (run, out) in zip(plan,
                                        _run_all(args, tap, tgts, mechs)):
        tap.source = t.kernel.release
        out.replay(tap)
        console, workdir = t.console("test")
        entries.append(results.judge(tap, t.kernel.release, run, out, m,
                                     args.strict, console=console,
                                     workdir=workdir))
        entries[-1].update(spec=spec, arch=t.kernel.arch, abi=t.abi)
        if args.coverage:
            _coverage(tap, t.kernel, out, m, entries[-1])
    return entries


def _check_coverage(args, tgts):
    if not args.coverage:
        return
    coverage.check_kernel(tgts[0].kernel)
    coverage.gcov_tool(tgts[0].kernel)
    # Before the run, so that a missing tool cannot waste it.
    with ui.step("check coverage tools"):
        coverage.ensure_tools()


def _write(args, tap, entries, mechs, record=None):
    """The table, JUnit, KTAP and JSON files asked for; record: the
    shard's, for its JSON."""
    if args.table:
        report.print_table(entries, mechs, ui.PROGRESS)
    # Coverage is one kernel's (--coverage takes one): top level.
    sums = [e.pop("coverage") for e in entries if "coverage" in e]
    if sums:
        coverage.print_table(sums[0], ui.PROGRESS)
    cov = (sums[0] if sums else {}) if args.coverage else None
    run = report.run_json(tap, entries, cov)
    if record is not None:
        run["shard"] = record
    write_files(args, run)


def write_files(args, run):
    """The JSON, JUnit and KTAP files of a run's JSON that args ask for."""
    if args.junit:
        report.write_junit(args.junit, run)
    if args.ktap:
        report.write_ktap(args.ktap, run)
    if args.json:
        report.write_json(args.json, run)


def _plan(args, mechs):
    """[(kernel spec, target, mechanisms)] of this run (of its shard with
    --shard), and the shard's record (None without --shard)."""
    specs = ["native"] if args.native else \
        (args.kernel or [kernels.DEFAULT])
    if not args.shard:
        tgts = targets.make(args, args.kernel or [])
        return [(s, t, mechs) for s, t in zip(specs, tgts)], None
    if args.coverage:
        raise ui.Fatal("--coverage takes one whole run: no --shard")
    record = shard.record(args.shard, shard.units(specs, mechs))
    mine = shard.per_kernel(record["units"])
    tgts = targets.make(args, [] if args.native else [k for k, _ in mine])
    ui.info(f"shard {args.shard[0]}/{args.shard[1]}: " + "; ".join(
        f"{k}: {', '.join(m)}" for k, m in mine))
    return [(k, t, m) for (k, m), t in zip(mine, tgts)], record


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
    plan, record = _plan(args, mechs)
    _check_coverage(args, [t for _, t, _ in plan])
    tap = results.Tap(sys.stdout, strict=args.strict)
    print("TAP version 13", flush=True)
    # The host's checks are the same on every shard: shard 1 runs them.
    if args.host_tests and (record is None or record["index"] == 1):
        _host_checks(tap, plan[0][1])
    entries = _suite(args, tap, plan)
    print(f"1..{tap.n}")
    _write(args, tap, entries, mechs, record)
    print(f"    total wall time {time.monotonic() - t0:.1f}s",
          file=ui.PROGRESS, flush=True)
    # Under meson (vm-suite) stdout must stay pure TAP.
    print(tap.summary(), file=ui.PROGRESS if args.vm_only else sys.stdout,
          flush=True)
    return 0 if tap.failed == 0 else 1


def merge(args):
    """Join the JSON files of a run's shards into the run's JSON, table,
    JUnit and KTAP; the verdict is the whole run's."""
    run = shard.merge(args.shards)
    report.print_table(run["kernels"], shard.mechs(run), sys.stdout)
    write_files(args, run)
    print(f"merged {run['merged']['count']} shards: "
          f"{len(run['kernels'])} kernels, "
          f"{len(run['merged']['all'])} units")
    print(f"{run['passed']} passed, {run['failed']} failed" +
          (f", {run['skipped']} skipped" if run["skipped"] else ""))
    return 0 if run["ok"] else 1
