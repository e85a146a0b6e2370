# SPDX-License-Identifier: GPL-2.0
"""The KTAP the suite writes, read by a parser of the kernel's own: the
KUnit tool's `kunit.py parse` (tools/testing/kunit, from linux-source
through source.py). Its counts and statuses must be the suite's JSON's,
for a recorded real run and for made-up runs with a failure, a skip and
a crash. Run by `scripts/kuipc test` as host tests."""

import collections
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from tap.parser import Parser  # python3-tap (tappy), a host package

from kuipc_lib import report, results, source, ui, verdict
from kuipc_lib.test_results import Run

HERE = os.path.dirname(os.path.abspath(__file__))
# stdout of `scripts/kuipc test --only procfs --only sysctl --strict` on
# 6.1 (its progress lines included).
REAL = os.path.join(HERE, "testdata", "procfs-sysctl-6.1.tap")
_SUMMARY = re.compile(r"Testing complete\. Ran (\d+) tests: (.*)$")
_STATUS = {"PASS": "pass", "FAIL": "fail", "SKIP": "skip"}


def _leaves(group, path=()):
    """(suite path, name, status) of each test case of kunit.py's JSON."""
    for g in group["sub_groups"]:
        yield from _leaves(g, path + (g["name"],))
    for t in group["test_cases"]:
        yield path, t["name"], _STATUS.get(t["status"], t["status"])


def kunit_parse(run):
    """kunit.py parse of the KTAP of run: (exit status, summary line,
    {kind: count} of the summary, leaves of its JSON, the KTAP text)."""
    tool = source.kunit_tool()
    with tempfile.TemporaryDirectory() as d:
        ktap, out = os.path.join(d, "run.ktap"), os.path.join(d, "k.json")
        report.write_ktap(ktap, run)
        res = subprocess.run([sys.executable, tool, "parse", ktap,
                              f"--json={out}"], capture_output=True,
                             text=True, check=False)
        with open(ktap, encoding="utf-8") as f:
            text = f.read()
        if not os.path.exists(out):
            raise AssertionError(f"kunit.py parse wrote no JSON (status "
                                 f"{res.returncode}):\n{res.stdout}"
                                 f"{res.stderr}\n{text}")
        with open(out, encoding="utf-8") as f:
            leaves = list(_leaves(json.load(f)))
    lines = re.sub(r"\x1b\[[0-9;]*m", "", res.stdout).splitlines()
    summary = next((ln.split("] ", 1)[-1] for ln in lines
                    if _SUMMARY.search(ln)), None)
    if summary is None:
        raise AssertionError(f"no summary line from kunit.py:\n{res.stdout}"
                             f"{res.stderr}")
    counts = {k: int(v) for k, v in (
        kv.split(": ") for kv in _SUMMARY.search(summary).group(2)
        .split(", "))}
    return res.returncode, summary, counts, leaves, text


def expected(run):
    """{suite: Counter of statuses} and the totals of a run's JSON."""
    suites = {"host": collections.Counter(t["status"]
                                          for t in run.get("host", []))}
    for e in run["kernels"]:
        suites[e["kernel"]] = collections.Counter(t["status"]
                                                  for t in e["tests"])
    return {k: v for k, v in suites.items() if v}


class Agrees(unittest.TestCase):
    """kunit.py's verdict on a run's KTAP is the run's JSON's."""

    def assert_agrees(self, run):
        code, summary, counts, leaves, text = kunit_parse(run)
        want = {k: run[k] for k in ("passed", "failed", "skipped")
                if run[k]}
        self.assertEqual(counts, want, f"{summary}\n{text}")
        self.assertEqual(code, 0 if run["failed"] == 0 else 1, summary)
        got = collections.defaultdict(collections.Counter)
        for path, _, status in leaves:
            got[path[0]][status] += 1
        self.assertEqual(dict(got), expected(run), text)
        return summary, text


def replay(text, strict):
    """The run's JSON from its host's TAP stream (stdout of `test`): the
    host's lines, a kernel's guest lines and its host checks."""
    release = re.search(r"- (\S+): guest run completes", text).group(1)
    mechs = sorted(set(re.findall(r"^(?:not )?ok \d+ - ([a-z]+): ", text,
                                  re.M)) - {"host", "kernel"})
    tap = results.Tap(io.StringIO(), strict=strict)
    for line in text.splitlines():
        st = verdict.tap_status(line)
        desc = line.split(" - ", 1)[-1].split(" # ", 1)[0]
        if st is not None and desc.startswith(("host: ", release + ": ")):
            tap.source = "host" if desc.startswith("host: ") else release
            tap.line(st[0], desc, st[1])
        elif st is not None or line.startswith("#"):
            if st is not None:
                tap.source = release
            tap.guest(line.replace(" (a skip fails under --strict)", ""))
    entry = {"kernel": release, "accel": "tcg", "wall_s": 0, "ok": True,
             "mechs": mechs, "tests": results.tests_of(tap, release)}
    return tap, report.run_json(tap, [entry])


class RealRun(Agrees):

    def test_a_recorded_run_reads_the_same(self):
        with open(REAL, encoding="utf-8") as f:
            text = f.read()
        tap, run = replay(text, strict=True)
        self.assertEqual(tap.summary(), text.rstrip().splitlines()[-1])
        summary, ktap = self.assert_agrees(run)
        self.assertRegex(summary, r"^Testing complete\. Ran \d+ tests: "
                         r"passed: \d+$")
        self.assertIn("  # Subtest: procfs\n", ktap)
        self.assertIn("ok 1 module loads\n", ktap)


GOOD = {"ok": True, "passed": 2, "failed": 0, "skipped": 0,
        "checks": {"boot_log": True, "end_of_run": True},
        "mechanisms": {"procfs": {"ok": True, "passed": 2, "failed": 0,
                                  "skipped": 0}}}


def guest_run(lines, run, strict=False, mechs=("procfs",)):
    """The JSON of a made-up run: host checks, then one guest's lines
    judged by results.judge."""
    tap = results.Tap(io.StringIO(), strict=strict)
    tap.line(True, "host: dkms.conf lists every mechanism")
    tap.source = "6.1.0-99-amd64"
    out = results.GuestOutput()
    with mock.patch.object(ui, "PROGRESS", io.StringIO()):
        for ln in lines:
            out.feed(tap, ln)
    entry = results.judge(tap, tap.source, run, out, list(mechs), strict,
                          console="[    1.0] kuipc: loaded\n")
    return report.run_json(tap, [entry])


def _result(passed, failed, skipped, ok=None):
    r = dict(GOOD, passed=passed, failed=failed, skipped=skipped,
             ok=failed == 0 if ok is None else ok)
    r["mechanisms"] = {"procfs": dict(r["mechanisms"]["procfs"],
                                      passed=passed, failed=failed,
                                      skipped=skipped, ok=failed == 0)}
    return "KUIPC-RESULT " + json.dumps(r)


class MadeUp(Agrees):

    def test_a_failure(self):
        run = guest_run([
            "ok 1 - kernel: boot log clean", "# procfs: 2 test cases listed",
            "ok 2 - procfs: module loads", "not ok 3 - procfs: read back",
            "#   expected 3, got 4", "1..3", "2 passed, 1 failed",
            _result(2, 1, 0)], Run(exit_code=1))
        # The read back, and the host's cross-check of the guest's exit
        # status.
        self.assertEqual((run["passed"], run["failed"]), (5, 2))
        _, text = self.assert_agrees(run)
        self.assertIn("    # expected 3, got 4\n    not ok 2 read back\n",
                      text)
        self.assertIn("  not ok 2 procfs\n", text)

    def test_a_skip_is_a_skip_and_fails_under_strict(self):
        lines = ["ok 1 - procfs: module loads",
                 "ok 2 - procfs: a feature # SKIP no such file", "1..2",
                 "1 passed, 0 failed, 1 skipped", _result(1, 0, 1)]
        run = guest_run(lines, Run())
        self.assertEqual((run["failed"], run["skipped"]), (0, 1))
        _, text = self.assert_agrees(run)
        self.assertIn("ok 2 a feature # SKIP no such file\n", text)
        strict = guest_run(lines, Run(), strict=True)
        self.assertEqual((strict["failed"], strict["skipped"]), (1, 0))
        _, text = self.assert_agrees(strict)
        self.assertIn("# SKIP no such file (a skip fails under --strict)\n"
                      "    not ok 2 a feature\n", text)

    def test_a_test_that_crashed_and_one_not_run(self):
        run = guest_run([
            "ok 1 - procfs: module loads", "ok 2 - procfs: a",
            "not ok 3 - procfs: b: killed by signal 11",
            "not ok 4 - procfs: c # not run", "1..4", "2 passed, 2 failed",
            _result(2, 2, 0)], Run(exit_code=1))
        self.assertEqual(run["failed"], 3)
        _, text = self.assert_agrees(run)
        self.assertIn("    # not run\n    not ok 4 c\n", text)

    def test_a_guest_that_died_mid_mechanism(self):
        tail = ("Kernel panic - not syncing: VFS: Unable to mount root\n"
                "reboot: System halted")
        run = guest_run([
            "ok 1 - kernel: boot log clean", "# procfs: 3 test cases listed",
            "ok 2 - procfs: module loads", "ok 3 - procfs: a"],
            Run(exit_code=None, problem="the guest stopped", tail=tail))
        entry = run["kernels"][0]
        self.assertEqual(entry["error"], "the guest stopped")
        self.assertEqual((run["passed"], run["failed"]), (5, 2))
        _, text = self.assert_agrees(run)
        self.assertIn("not ok 3 guest run completes\n", text)
        self.assertIn("Kernel panic - not syncing : VFS : Unable", text)


def _tappy(text):
    """tappy's reading of each line (parse_text would warn on stdout that
    it reads no TAP 13 YAML blocks, which the suite writes none of)."""
    parser = Parser()
    return [parser.parse_line(ln) for ln in text.splitlines()]


class Tappy(unittest.TestCase):
    """tappy (python3-tap), a TAP reader of the kind CI systems use, reads
    the console stream whole and the KTAP's top level: a result per
    suite, as the KTAP specification says plain TAP readers see it."""

    def test_the_console_stream_and_the_ktap_suites(self):
        with open(REAL, encoding="utf-8") as f:
            text = f.read()
        lines = _tappy(text)
        res = [ln for ln in lines if ln.category == "test"]
        plan = [ln for ln in lines if ln.category == "plan"]
        self.assertEqual(plan[0].expected_tests, len(res))
        _, run = replay(text, strict=True)
        self.assertEqual(sum(r.ok and not r.skip for r in res),
                         run["passed"])
        self.assertEqual(sum(not r.ok for r in res), run["failed"])
        top = [ln for ln in _tappy("\n".join(report.ktap(run)))
               if ln.category == "test"]
        self.assertEqual([(r.number, r.description, r.ok) for r in top],
                         [(1, "host", True), (2, run["kernels"][0]["kernel"],
                                              run["failed"] == 0)])
