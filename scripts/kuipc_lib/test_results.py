# SPDX-License-Identifier: GPL-2.0
"""Unit tests of results.py: the host's TAP stream renumbers and counts
what every source sends, a guest's output is taken apart, and the host's
checks of a run turn red on what they exist for. Run by `scripts/kuipc
test` as host tests."""

import io
import json
import unittest
from unittest import mock

from kuipc_lib import results, ui

RESULT = {"ok": True, "passed": 2, "failed": 0, "skipped": 0,
          "checks": {"boot_log": True, "end_of_run": True},
          "mechanisms": {"procfs": {"ok": True, "passed": 2, "failed": 0,
                                    "skipped": 0}}}
GUEST = ["TAP version 13", "ok 1 - kernel: boot log clean", "# procfs",
         "ok 2 - procfs: module loads", "1..2", "2 passed, 0 failed",
         "KUIPC-RESULT " + json.dumps(RESULT)]


class Run:
    """A finished run as vm.boot() returns it."""

    def __init__(self, exit_code=0, problem=None, tail=""):
        self.exit_code = exit_code
        self.problem = problem
        self.accel = "tcg"
        self.wall_s = 12.34
        self.console_tail = tail


def _fed(lines, tap=None):
    tap = tap or results.Tap(io.StringIO())
    out = results.GuestOutput()
    for ln in lines:
        out.feed(tap, ln)
    return tap, out


class Plain(unittest.TestCase):
    """Without colour, whatever the terminal."""

    def setUp(self):
        self.enterContext(mock.patch.object(ui, "COLOR", False))


class TapStream(Plain):

    def test_host_and_guest_lines_are_numbered_in_one_stream(self):
        tap = results.Tap(io.StringIO())
        tap.line(True, "host: a")
        tap.source = "6.1"
        self.assertTrue(tap.guest("ok 1 - procfs: b"))
        self.assertTrue(tap.guest("not ok 7 - procfs: c # TODO later"))
        tap.line(False, "6.1: d", "SKIP why")
        self.assertEqual(tap.out.getvalue().splitlines(), [
            "ok 1 - host: a", "ok 2 - procfs: b",
            "not ok 3 - procfs: c # TODO later",
            "not ok 4 - 6.1: d # SKIP why"])
        self.assertEqual([(r["source"], r["by"], r["ok"], r["name"],
                           r["status"], r.get("directive", ""))
                          for r in tap.results], [
            ("host", "host", True, "host: a", "pass", ""),
            ("6.1", "guest", True, "procfs: b", "pass", ""),
            ("6.1", "guest", False, "procfs: c", "fail", "TODO later"),
            ("6.1", "host", False, "6.1: d", "fail", "SKIP why")])
        self.assertEqual((tap.n, tap.passed, tap.failed, tap.skipped),
                         (4, 2, 2, 0))

    def test_a_skip_counts_as_skipped_or_fails_under_strict(self):
        tap = results.Tap(io.StringIO())
        tap.guest("ok 1 - procfs: a # SKIP no feature")
        self.assertEqual((tap.passed, tap.failed, tap.skipped), (0, 0, 1))
        self.assertEqual(tap.summary(), "0 passed, 0 failed, 1 skipped")
        strict = results.Tap(io.StringIO(), strict=True)
        strict.guest("ok 1 - procfs: a # SKIP no feature")
        self.assertEqual((strict.passed, strict.failed, strict.skipped),
                         (0, 1, 0))
        self.assertEqual(strict.out.getvalue(), "ok 1 - procfs: a # SKIP no "
                         "feature (a skip fails under --strict)\n")
        self.assertEqual(strict.results[0]["status"], "fail")
        self.assertTrue(strict.results[0]["ok"])
        self.assertEqual(strict.summary(), "0 passed, 1 failed")

    def test_comments_pass_and_other_lines_are_not_tap(self):
        tap = results.Tap(io.StringIO())
        self.assertTrue(tap.guest("# procfs: 21 test cases listed"))
        self.assertFalse(tap.guest("okay then"))
        self.assertEqual(tap.out.getvalue(),
                         "# procfs: 21 test cases listed\n")
        self.assertEqual(tap.n, 0)


class Output(unittest.TestCase):
    def test_guest_lines_are_counted_and_shown_once(self):
        tap, out = _fed(GUEST)
        self.assertEqual(out.result, RESULT)
        self.assertEqual((out.counts.lines, out.counts.plan,
                          out.counts.summary), (2, 2, (2, 0, 0)))
        # The guest's own version line, plan and summary are not passed
        # on: the host prints its own.
        self.assertEqual(tap.out.getvalue().splitlines(), [
            "ok 1 - kernel: boot log clean", "# procfs",
            "ok 2 - procfs: module loads"])

    def test_an_unparsable_result_line_leaves_no_result(self):
        with mock.patch.object(ui, "PROGRESS", io.StringIO()) as progress:
            _, out = _fed(["KUIPC-RESULT {not json"])
        self.assertIsNone(out.result)
        self.assertEqual(progress.getvalue(), "  guest: unparsable result "
                         "line: KUIPC-RESULT {not json\n")

    def test_kept_lines_wait_for_replay(self):
        tap = results.Tap(io.StringIO())
        out = results.GuestOutput()
        for ln in GUEST:
            out.keep(ln)
        self.assertEqual(tap.out.getvalue(), "")
        out.replay(tap)
        self.assertEqual(tap.n, 2)
        self.assertEqual(out.result, RESULT)


class Judge(Plain):

    def test_a_good_run_passes_with_its_entry(self):
        tap, out = _fed(GUEST)
        entry = results.judge(tap, "6.1", Run(), out, ["procfs"], True,
                              console="[    1.0] kuipc_procfs: loaded\n")
        self.assertEqual(list(entry), ["kernel", "accel", "wall_s",
                                       "mechanisms", "checks", "passed",
                                       "failed", "skipped", "ok", "mechs",
                                       "tests"])
        self.assertEqual((entry["kernel"], entry["accel"], entry["wall_s"]),
                         ("6.1", "tcg", 12.3))
        self.assertEqual(entry["checks"], {
            "boot_log": True, "end_of_run": True, "exit_status": 0,
            "counts_agree": True, "console_clean": True})
        self.assertEqual((entry["passed"], entry["failed"], entry["ok"]),
                         (2, 0, True))
        self.assertEqual(tap.n, 5)
        self.assertEqual(tap.failed, 0)

    def test_a_run_without_results_fails_with_its_console_tail(self):
        tap, out = _fed(GUEST[:-1])
        entry = results.judge(tap, "6.1", Run(tail="last words"), out,
                              ["procfs"], False, workdir="/w")
        text = tap.out.getvalue()
        self.assertIn("not ok 3 - 6.1: guest run completes", text)
        self.assertIn("#   the guest sent no results; console tail "
                      "(/w/console.log):\n#     last words", text)
        self.assertEqual(entry["error"], "the guest sent no results")
        self.assertFalse(entry["ok"])
        self.assertEqual(entry["failed"], 2)  # no results, so no agreement
        self.assertNotIn("console_clean", entry["checks"])

    def test_a_kernel_report_on_the_console_fails(self):
        tap, out = _fed(GUEST)
        entry = results.judge(tap, "6.1", Run(), out, ["procfs"], False,
                              console="[    2.5] WARNING: CPU: 0 PID: 1\n")
        self.assertIn("#   console: WARNING: CPU: 0 PID: 1",
                      tap.out.getvalue())
        self.assertFalse(entry["checks"]["console_clean"])
        self.assertFalse(entry["ok"])

    def test_strict_turns_a_mechanism_with_a_skip_red(self):
        result = json.loads(GUEST[-1][len("KUIPC-RESULT "):])
        result["mechanisms"]["procfs"]["skipped"] = 1
        tap, out = _fed(GUEST[:-1] + ["KUIPC-RESULT " + json.dumps(result)])
        entry = results.judge(tap, "6.1", Run(), out, ["procfs"], True)
        self.assertFalse(entry["mechanisms"]["procfs"]["ok"])


if __name__ == "__main__":
    unittest.main()
