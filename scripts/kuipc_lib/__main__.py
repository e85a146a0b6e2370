# SPDX-License-Identifier: GPL-2.0
"""kuipc front door: demo, test, bench, shell (see README.md)."""

import concurrent.futures
import json
import os
import sys
import time

from . import (build, cli, coverage, dkms, doclinks, hostdeps, initramfs,
               kernels, lint, native, report, results, scaffold, selfcheck,
               ui, vm)

# Whole-run limit on the host, per boot; the guest limits each test itself.
HOST_TIMEOUT_S = 900


def _select_mechs(only):
    known = build.mechs()
    for m in only:
        if m not in known:
            raise ui.Fatal(f"unknown mechanism '{m}' (known: "
                           f"{', '.join(known)})")
    return only or known


def _prepare(args, kernel_specs, need_unit_tests=False):
    """Host packages, kernels, user-space build; returns (kernels, bdir).

    With --native the one kernel is the running one, checked first."""
    is_native = getattr(args, "native", False)
    if is_native:
        if getattr(args, "kernel", None):
            raise ui.Fatal("--native runs on the host's own kernel: "
                           "it takes no --kernel")
        ks = [native.check()]
    with ui.step("check host packages"):
        hostdeps.ensure()
    if not is_native:
        ks = [kernels.get(spec, refresh=args.refresh)
              for spec in kernel_specs]
    bdir = build.build_userspace() if not getattr(args, "builddir", None) \
        else args.builddir
    del need_unit_tests
    return ks, bdir


def _guest_image(kernel, bdir, mechs, profiled=False):
    kos = build.build_modules(kernel, coverage=profiled)
    kos = {m: ko for m, ko in kos.items() if m in mechs}
    path = os.path.join(build.moddir(kernel, profiled), "initramfs.cpio")
    initramfs.build_initramfs(path, build.binaries(bdir), kos,
                              kernel.extra_modules())
    return path


def _append(mode, mechs, timeout, faults=False):
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


def _boot_kernel(args, tap, k, image, mechs, live):
    """Boot one kernel with the runner. With live, its TAP lines are shown
    as they come; otherwise they are kept for the caller to show."""
    workdir = os.path.join(build.builddir(), "vm", k.release)
    t = time.monotonic()
    out = results.GuestOutput()
    # Kernels with the bug detectors on (--kernel debug) run slower.
    factor = k.timeout_factor
    append = _append("test", mechs, args.timeout * factor,
                     getattr(args, "faults", False))
    if getattr(args, "coverage", False):
        out.gcov = coverage.Receiver()
        append += " kuipc.gcov=1"

    def on_line(line):
        if line is None:
            print(f"    boot {k.release}: ready in "
                  f"{time.monotonic() - t:.1f}s",
                  file=ui.PROGRESS, flush=True)
        elif live:
            out.feed(tap, line)
        else:
            out.keep(line)

    ui.info(f"boot {k.release} ({args.accel}) and run {', '.join(mechs)}")
    host_timeout = getattr(args, "host_timeout", None) or \
        HOST_TIMEOUT_S * factor
    run = vm.boot(k, image, append, args.accel, workdir, host_timeout,
                  on_line)
    print(f"    {k.release}: guest run done in {run.wall_s:.1f}s "
          f"({run.accel})", file=ui.PROGRESS, flush=True)
    return run, out, workdir


def _run_suite(args, tap, ks, bdir, mechs):
    """Boot each kernel with the runner; returns the JSON kernel entries.

    Images are built one kernel after the other (make runs in parallel
    itself); with --jobs N up to N guests then run at once, and each one's
    TAP lines are shown, in kernel order, when it has finished.
    """
    if getattr(args, "native", False):
        return [_run_native_suite(args, tap, ks[0], bdir, mechs)]
    profiled = getattr(args, "coverage", False)
    images = [(k, _guest_image(k, bdir, mechs, profiled)) for k in ks]
    if profiled:
        for k in ks:
            coverage.clear(build.moddir(k, True))
    jobs = max(1, min(getattr(args, "jobs", 1) or 1, len(images)))
    if jobs == 1:
        runs = []
        for k, image in images:
            tap.source = k.release
            runs.append(_boot_kernel(args, tap, k, image, mechs, True))
    else:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futures = [pool.submit(_boot_kernel, args, tap, k, image, mechs,
                                   False) for k, image in images]
            runs = [f.result() for f in futures]
    entries = []
    for (k, _), (run, out, workdir) in zip(images, runs):
        tap.source = k.release
        out.replay(tap)
        console = vm.read_console(workdir)
        entries.append(results.judge(tap, k.release, run, out, mechs,
                                     getattr(args, "strict", False),
                                     console=console, workdir=workdir))
        if profiled:
            _coverage(tap, k, out, mechs, entries[-1])
    return entries


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
        print(f"#   {p}", file=tap.out)
    if problems:
        entry["failed"] += 1
        entry["ok"] = False
    if sums:
        entry["coverage"] = sums


def _native_env(k, bdir, mechs):
    """--native: build the modules for the running kernel and make the
    host ready to run the suite's programs; returns their environment."""
    kos = {m: ko for m, ko in build.build_modules(k).items() if m in mechs}
    return native.prepare(kos, bdir)


def _run_native_suite(args, tap, k, bdir, mechs):
    """The runner on the host's own kernel; returns the JSON kernel entry."""
    env = _native_env(k, bdir, mechs)
    runner = os.path.join(bdir, "userspace", "tests", "kuipc-runner")
    out = results.GuestOutput()
    tap.source = k.release
    ui.info(f"run {', '.join(mechs)} on the running kernel {k.release}")
    run = native.run([runner, "--only", ",".join(mechs), "--timeout",
                      str(args.timeout),
                      *(["--faults"] if getattr(args, "faults", False)
                        else [])], env,
                     lambda line: out.feed(tap, line),
                     HOST_TIMEOUT_S)
    return results.judge(tap, k.release, run, out, mechs,
                         getattr(args, "strict", False))


def cmd_test(args, vm_only=False, host_tests=True):
    t0 = time.monotonic()
    if vm_only:
        ui.progress_to_stderr()
        if args.builddir:
            os.environ["KUIPC_BUILDDIR"] = args.builddir
    mechs = _select_mechs(args.only)
    profiled = getattr(args, "coverage", False)
    if profiled and (args.native or len(args.kernel or []) != 1):
        raise ui.Fatal("--coverage takes one kernel built with "
                       "CONFIG_GCOV_KERNEL (--kernel debug), not --native")
    ks, bdir = _prepare(args, args.kernel or [kernels.DEFAULT])
    if profiled:
        coverage.check_kernel(ks[0])
        coverage.gcov_tool(ks[0])
        # Before the run, so that a missing tool cannot waste it.
        with ui.step("check coverage tools"):
            coverage.ensure_tools()
    tap = results.Tap(sys.stdout, strict=getattr(args, "strict", False))
    print("TAP version 13", flush=True)
    if host_tests and not vm_only:
        stale = dkms.check()
        tap.line(stale is None, "host: dkms.conf lists every mechanism")
        if stale is not None:
            print(f"#   {stale}")
        bad_links = doclinks.check()
        tap.line(not bad_links, "host: docs link to the lines they name")
        for problem in bad_links:
            print(f"#   {problem}")
        if bad_links:
            print("#   (scripts/doc-links --fix moves each link to its "
                  "symbol)")
        for ok, name, detail in build.host_unit_tests(bdir) + \
                build.python_unit_tests():
            tap.line(ok, f"host: {name}")
            if not ok:
                for ln in detail.splitlines()[:20]:
                    print(f"#   {ln}")
    entries = _run_suite(args, tap, ks, bdir, mechs)
    print(f"1..{tap.n}")
    if getattr(args, "table", False):
        report.print_table(entries, mechs, ui.PROGRESS)
    if getattr(args, "junit", None):
        report.write_junit(args.junit, tap.results)
    # Coverage is one kernel's (--coverage takes one): top level.
    sums = [e.pop("coverage") for e in entries if "coverage" in e]
    if sums:
        coverage.print_table(sums[0], ui.PROGRESS)
    if args.json:
        report.write_json(args.json, report.run_json(
            tap, entries, (sums[0] if sums else {}) if profiled else None))
    print(f"    total wall time {time.monotonic() - t0:.1f}s",
          file=ui.PROGRESS, flush=True)
    # Under meson (vm-suite) stdout must stay pure TAP.
    print(tap.summary(), file=ui.PROGRESS if vm_only else sys.stdout,
          flush=True)
    return 0 if tap.failed == 0 else 1


def cmd_demo(args):
    mechs = _select_mechs(args.mechs)
    ks, bdir = _prepare(args, [args.kernel or kernels.DEFAULT])
    k = ks[0]
    t = time.monotonic()

    def on_line(line):
        if line is None:
            print(f"    boot {k.release}: ready in "
                  f"{time.monotonic() - t:.1f}s", flush=True)
        elif not line.startswith("KUIPC-RESULT "):
            if "kernel | " in line:
                line = line.replace("kernel | ", ui._c("33", "kernel | "))  # pylint: disable=protected-access
            elif line.startswith("==="):
                line = ui._c("1", line)  # pylint: disable=protected-access
            print(line, flush=True)

    if args.native:
        env = _native_env(k, bdir, mechs)
        ui.info(f"run the demo of {', '.join(mechs)} on the running kernel "
                f"{k.release}")
        run = native.run([os.path.join(bdir, "userspace", "tests",
                                       "kuipc-runner"), "--demo", "--only",
                          ",".join(mechs)], env, on_line, HOST_TIMEOUT_S)
    else:
        image = _guest_image(k, bdir, mechs)
        workdir = os.path.join(build.builddir(), "vm", k.release + "-demo")
        ui.info(f"boot {k.release} and run the demo of {', '.join(mechs)}")
        run = vm.boot(k, image, _append("demo", mechs, 60), args.accel,
                      workdir, HOST_TIMEOUT_S, on_line)
    if run.problem:
        print(ui.red(f"demo failed: {run.problem}"))
        print(run.console_tail)
        return 1
    return 0 if run.exit_code == 0 else 1


def cmd_bench(args):
    """Boot once, run kuipc-bench in the guest, print and save its figures.

    A benchmark is never a test: nothing here is compared with a threshold
    and `test` never runs it.
    """
    mechs = _select_mechs(args.only)
    if args.chart:
        # Before the run, so that a missing tool cannot waste it.
        hostdeps.ensure(hostdeps.CHART_PACKAGES)
    ks, bdir = _prepare(args, [args.kernel or kernels.DEFAULT])
    k = ks[0]
    workdir = os.path.join(build.builddir(), "vm", k.release + "-bench")
    os.makedirs(workdir, exist_ok=True)
    t = time.monotonic()
    state = {"result": None}

    def on_line(line):
        if line is None:
            print(f"    boot {k.release}: ready in "
                  f"{time.monotonic() - t:.1f}s", file=ui.PROGRESS,
                  flush=True)
        elif line.startswith("KUIPC-BENCH "):
            state["result"] = json.loads(line[len("KUIPC-BENCH "):])
        else:
            print(f"  guest: {line}", file=ui.PROGRESS, flush=True)

    if args.native:
        env = _native_env(k, bdir, mechs)
        ui.info(f"benchmark {', '.join(mechs)} on the running kernel "
                f"{k.release}")
        run = native.run([os.path.join(bdir, "userspace", "bench",
                                       "kuipc-bench"),
                          *(["--profile"] if args.profile else []),
                          "--only", ",".join(mechs)], env, on_line,
                         HOST_TIMEOUT_S)
    else:
        image = _guest_image(k, bdir, mechs)
        ui.info(f"boot {k.release} ({args.accel}) and benchmark "
                f"{', '.join(mechs)}")
        append = _append("bench", mechs, 60)
        if args.profile:
            append += " kuipc.profile=1"
        run = vm.boot(k, image, append, args.accel, workdir,
                      HOST_TIMEOUT_S, on_line)
    res = state["result"]
    if res is None:
        print(ui.red(f"bench failed: {run.problem or 'no KUIPC-BENCH line'}"))
        print(run.console_tail)
        return 1
    out = report.bench_json(res, run.accel, k.release)
    report.print_bench(out)
    if args.json:
        report.write_json(args.json, out)
    if args.chart:
        chart = os.path.join(build.REPO, "scripts", "bench-chart")
        src = args.json
        if not src:
            src = os.path.join(workdir, "bench.json")
            report.write_json(src, out)
        ui.run([sys.executable, chart, src, args.chart])
        print(f"    chart written to {args.chart}", file=ui.PROGRESS)
    failed = [m for m, r in out["mechanisms"].items() if "error" in r]
    if run.problem or failed:
        print(ui.red(f"bench: {run.problem or ''} "
                     f"{'errors in ' + ', '.join(failed) if failed else ''}"))
        return 1
    return 0


def cmd_fuzz(args):
    """Boot once and run kuipc-fuzz in the guest for args.seconds."""
    mechs = _select_mechs(args.only)
    seed = args.seed if args.seed is not None else \
        int.from_bytes(os.urandom(8), "little") >> 1
    ks, bdir = _prepare(args, [args.kernel or kernels.DEFAULT])
    k = ks[0]
    image = _guest_image(k, bdir, mechs)
    workdir = os.path.join(build.builddir(), "vm", k.release + "-fuzz")
    again = f"scripts/kuipc fuzz --seed {seed} --seconds {args.seconds}" + \
        (f" --kernel {args.kernel}" if args.kernel else "") + \
        "".join(f" --only {m}" for m in args.only)
    ui.info(f"boot {k.release} and fuzz {', '.join(mechs)} for "
            f"{args.seconds} s, seed {seed}")
    print(f"    reproduce with: {again}", file=ui.PROGRESS, flush=True)
    t = time.monotonic()

    def on_line(line):
        if line is None:
            print(f"    boot {k.release}: ready in "
                  f"{time.monotonic() - t:.1f}s", file=ui.PROGRESS, flush=True)
        else:
            print(ui.red(line) if "FAIL" in line else line, flush=True)

    append = _append("fuzz", mechs, 60) + f" kuipc.fuzz={args.seconds},{seed}"
    run = vm.boot(k, image, append, args.accel, workdir,
                  args.seconds + HOST_TIMEOUT_S, on_line)
    if run.problem or run.exit_code != 0:
        print(ui.red(f"fuzz failed (seed {seed}): "
                     f"{run.problem or 'see the FAIL lines above'}"))
        if run.problem:
            print(run.console_tail)
        print(f"reproduce with: {again}")
        return 1
    return 0


def cmd_shell(args):
    mechs = build.mechs()
    ks, bdir = _prepare(args, [args.kernel or kernels.DEFAULT])
    k = ks[0]
    image = _guest_image(k, bdir, mechs)
    workdir = os.path.join(build.builddir(), "vm", k.release + "-shell")
    return vm.interactive(k, image, _append("shell", mechs, 60), args.accel,
                          workdir)


def cmd_lint(args):
    """sparse, checkpatch.pl --strict, clang-tidy, ASan+UBSan unit tests."""
    ks, bdir = _prepare(args, [args.kernel or kernels.DEFAULT])
    return lint.run(ks[0], bdir)


def cmd_doc_links(args):
    problems = doclinks.check(fix=args.fix)
    for p in problems:
        print(p)
    print(f"{doclinks.count()} links to code lines in docs/, "
          f"{len(problems)} wrong")
    return 1 if problems else 0


def cmd_gen_dkms_conf(args):
    if args.check:
        stale = dkms.check()
        if stale is not None:
            raise ui.Fatal(stale)
        print("dkms.conf is up to date")
        return 0
    print(f"wrote {dkms.write()}")
    return 0


def main(argv):
    args = cli.parse(argv)
    try:
        if args.cmd == "test":
            return cmd_test(args)
        if args.cmd == "matrix":
            return cmd_test(args, host_tests=False)
        if args.cmd == "vm-suite":
            return cmd_test(args, vm_only=True)
        if args.cmd == "demo":
            return cmd_demo(args)
        if args.cmd == "bench":
            return cmd_bench(args)
        if args.cmd == "fuzz":
            return cmd_fuzz(args)
        if args.cmd == "shell":
            return cmd_shell(args)
        if args.cmd == "lint":
            return cmd_lint(args)
        if args.cmd == "selfcheck":
            return selfcheck.run(args.controls)
        if args.cmd == "new":
            return scaffold.new(args.name)
        if args.cmd == "doc-links":
            return cmd_doc_links(args)
        if args.cmd == "gen-dkms-conf":
            return cmd_gen_dkms_conf(args)
    except ui.Fatal as e:
        print(ui.red(f"kuipc: {e}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
