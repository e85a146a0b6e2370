# SPDX-License-Identifier: GPL-2.0
"""A run's results: the host's TAP stream, what one guest sent, and the
host's checks of one guest run as TAP lines and a JSON entry."""

import json
import re

from . import ui, verdict

_TAP = re.compile(r"^(not ok|ok)\s+\d+(.*)$")


class Tap:
    """Renumbers the TAP lines of several sources into one stream.

    A `not ok` line is a failure whatever its directive. With strict, a
    skipped test is a failure too (CI: a skip there hides a lost check).

    Each line is kept in results, as a dict: source (host, or the kernel
    the line is of), by (host: the host's own check; guest: the guest's
    line), name, ok (the line's own), status (pass, fail or skip, as
    counted), directive and diag (its diagnostic lines) when it has
    them. The JSON, JUnit and KTAP files are written from these."""

    def __init__(self, out, strict=False):
        self.out = out
        self.strict = strict
        self.n = 0
        self.passed = self.failed = self.skipped = 0
        self.source = "host"
        self.results = []
        self._pending = []  # a guest's comments before its next line

    def line(self, ok, desc, directive=""):
        self.n += 1
        text = f"{'ok' if ok else 'not ok'} {self.n} - {desc}"
        if directive:
            text += f" # {directive}"
        self._keep("host", ok, desc, directive)
        self._print(text, ok)

    def _keep(self, by, ok, desc, directive):
        """Count a result and keep it in results."""
        status = self._count(ok, directive)
        r = {"source": self.source, "by": by, "name": desc, "ok": ok,
             "status": status}
        if directive:
            r["directive"] = directive
        if self._pending:
            r["diag"], self._pending = self._pending, []
        self.results.append(r)

    def _diag(self, text, after):
        """A diagnostic line of the last result (after) or of the next."""
        last = self.results[-1] if self.results else None
        if after and last is not None and last["source"] == self.source:
            last.setdefault("diag", []).append(text)
        else:
            self._pending.append(text)

    def note(self, text):
        """A diagnostic line under the last result: `#   text`."""
        self._diag(text, True)
        print(f"#   {text}", file=self.out)

    def _count(self, ok, directive):
        if not ok or (self.strict and verdict.is_skip(directive)):
            self.failed += 1
            return "fail"
        if verdict.is_skip(directive):
            self.skipped += 1
            return "skip"
        self.passed += 1
        return "pass"

    def of(self, source):
        """The results of one source."""
        return [r for r in self.results if r["source"] == source]

    def _print(self, text, ok=None):
        if ok is False:
            text = ui.red(text)
        print(text, file=self.out, flush=True)

    def guest(self, line):
        """A line from the guest runner; returns True if it was TAP."""
        m = _TAP.match(line)
        if m:
            self.n += 1
            ok = m.group(1) == "ok"
            rest = m.group(2)
            directive = rest.split(" # ", 1)[1] if " # " in rest else ""
            desc = rest.split(" # ", 1)[0].lstrip(" -")
            self._keep("guest", ok, desc, directive)
            if self.strict and verdict.is_skip(directive):
                ok = False
                rest += " (a skip fails under --strict)"
            self._print(f"{m.group(1)} {self.n}{rest}", ok)
            return True
        if line.startswith("#"):
            self._diag(line[1:].strip(), _explains(line))
            self._print(line)
            return True
        return False

    def summary(self):
        s = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            s += f", {self.skipped} skipped"
        return s


def _explains(comment):
    """Whether a guest's comment explains the line before it: the runner
    writes a check's reasons indented under it (`#   why`) and a heading
    of what comes next flush (`# procfs: 21 test cases listed`)."""
    return comment.startswith("#  ")


class GuestOutput:
    """What one run of the runner sent: TAP lines (also counted on their
    own, for the cross-check), its result JSON and, with --coverage, the
    coverage data (gcov: a coverage.Receiver)."""

    def __init__(self, gcov=None):
        self.gcov = gcov
        self.result = None
        self.counts = verdict.GuestCounts()
        self.kept = []

    def keep(self, line):
        """Hold a line back, for a run whose lines are shown later."""
        self.kept.append(line)

    def replay(self, tap):
        for line in self.kept:
            self.feed(tap, line)
        self.kept = []

    def feed(self, tap, line):
        """Handle one result line: TAP, the result JSON, coverage data,
        or other."""
        if self.gcov is not None and self.gcov.feed(line):
            return
        if line.startswith("KUIPC-RESULT "):
            try:
                self.result = json.loads(line[len("KUIPC-RESULT "):])
            except ValueError:
                self.result = None
                print(f"  guest: unparsable result line: {line[:200]}",
                      file=ui.PROGRESS, flush=True)
            return
        if self.counts.feed(line) and not verdict.TAP.match(line):
            return  # plan or summary: the host prints its own
        if line.startswith("TAP version"):
            return
        if not tap.guest(line):
            print(f"  guest: {line}", file=ui.PROGRESS, flush=True)


def _run_completes(tap, release, run, result, workdir):
    """The first check: the run ended and sent its results; returns the
    problem, or None."""
    problem = run.problem
    if problem is None and result is None:
        problem = "the guest sent no results"
    tap.line(problem is None, f"{release}: guest run completes")
    if problem is not None:
        where = f" ({workdir}/console.log)" if workdir else ""
        tap.note(f"{problem}; console tail{where}:")
        for ln in run.console_tail.splitlines():
            tap.note(f"  {ln}")
    return problem


def judge(tap, release, run, out, mechs, strict, console=None,
          workdir=None):
    """The host's checks of one run (verdict.py), as TAP lines; returns
    the run's JSON entry. console: the guest's console log (None for a
    run on the host's own kernel, which has none)."""
    result = out.result
    failed_before = tap.failed
    entry = {"kernel": release, "accel": run.accel,
             "wall_s": round(run.wall_s, 1), "mechanisms": {}}
    if result is not None:
        entry["mechanisms"] = result.get("mechanisms", {})
        if "faults" in result:
            entry["faults"] = result["faults"]
    problem = _run_completes(tap, release, run, result, workdir)
    if problem is not None:
        entry["error"] = problem
    disagree = verdict.cross_check(out.counts, run.exit_code, result, mechs)
    tap.line(not disagree, f"{release}: the guest's exit status, plan, "
             "summary and results agree with the host's count")
    for d in disagree:
        tap.note(d)
    checks = dict(result.get("checks", {})) if result else {}
    checks["exit_status"] = run.exit_code
    checks["counts_agree"] = not disagree
    if console is not None:
        reports = verdict.console_reports(console)
        tap.line(not reports, f"{release}: console shows no kernel report")
        for r in reports[:40]:
            tap.note(f"console: {r}")
        checks["console_clean"] = not reports
    entry["checks"] = checks
    for r in entry["mechanisms"].values():
        r["ok"] = bool(r.get("ok")) and not (strict and r.get("skipped"))
    # This kernel's own lines plus the host's checks of it.
    counts = out.counts
    entry["passed"], entry["failed"], entry["skipped"] = \
        counts.passed, counts.failed + (tap.failed - failed_before), \
        counts.skipped
    entry["ok"] = (entry["failed"] == 0 and not (strict and counts.skipped)
                   and problem is None)
    entry["mechs"] = list(mechs)
    entry["tests"] = tests_of(tap, tap.source)
    return entry


def tests_of(tap, source):
    """The results of one source, as the JSON keeps them."""
    return [{k: v for k, v in r.items() if k != "source"}
            for r in tap.of(source)]
