# SPDX-License-Identifier: GPL-2.0
"""Unit tests of verdict.py: each check turns red on the input it exists
for. Run by `scripts/kuipc test` as host tests, or by
`python3 -m unittest discover -s scripts/kuipc_lib`."""

import unittest

from kuipc_lib import verdict


def _counts(lines):
    c = verdict.GuestCounts()
    for ln in lines:
        c.feed(ln)
    return c


GOOD = ["ok 1 - a", "ok 2 - b # SKIP no feature", "1..2",
        "1 passed, 0 failed, 1 skipped"]
RESULT = {"ok": True, "passed": 1, "failed": 0, "skipped": 1,
          "checks": {"boot_log": True, "end_of_run": True},
          "mechanisms": {"procfs": {}}}


class Patterns(unittest.TestCase):
    def test_patterns_come_from_the_guests_file(self):
        pats = verdict.report_patterns()
        self.assertIn(("WARNING:", False), pats)
        self.assertIn(("BUG ", True), pats)

    def test_console_reports_only_kernel_lines(self):
        console = ("[    1.000] kuipc_procfs: loaded\n"
                   "[    2.500] WARNING: CPU: 0 PID: 9 at x.c:1 f+0x1\n"
                   "a test printed WARNING: to stderr\n"
                   "[    3.000] BUG kmalloc-64 (Tainted: G): Poison\r\n")
        self.assertEqual(verdict.console_reports(console),
                         ["WARNING: CPU: 0 PID: 9 at x.c:1 f+0x1",
                          "BUG kmalloc-64 (Tainted: G): Poison"])


class CrossCheck(unittest.TestCase):
    def test_agreeing_run_passes(self):
        self.assertEqual(verdict.cross_check(_counts(GOOD), 0, RESULT,
                                             ["procfs"]), [])

    def test_not_ok_with_a_directive_is_a_failure(self):
        c = _counts(["not ok 1 - a # SKIP hidden", "not ok 2 - b # TODO"])
        self.assertEqual((c.passed, c.failed, c.skipped), (0, 2, 0))

    def test_exit_status_must_be_zero(self):
        self.assertTrue(verdict.cross_check(_counts(GOOD), 1, RESULT,
                                            ["procfs"]))
        self.assertTrue(verdict.cross_check(_counts(GOOD), None, RESULT,
                                            ["procfs"]))

    def test_plan_must_match_the_lines(self):
        lines = GOOD[:1] + GOOD[2:]  # a TAP line lost on the way
        self.assertTrue(any("plan" in p for p in verdict.cross_check(
            _counts(lines), 0, RESULT, ["procfs"])))

    def test_summary_must_match_the_count(self):
        lines = GOOD[:3] + ["2 passed, 0 failed"]
        self.assertTrue(any("summary" in p for p in verdict.cross_check(
            _counts(lines), 0, RESULT, ["procfs"])))
        self.assertTrue(verdict.cross_check(_counts(GOOD[:3]), 0, RESULT,
                                            ["procfs"]))

    def test_result_json_must_agree_and_name_every_mechanism(self):
        self.assertTrue(verdict.cross_check(_counts(GOOD), 0, None,
                                            ["procfs"]))
        self.assertTrue(verdict.cross_check(
            _counts(GOOD), 0, dict(RESULT, passed=2), ["procfs"]))
        self.assertTrue(verdict.cross_check(_counts(GOOD), 0, RESULT,
                                            ["procfs", "sysfs"]))
        self.assertTrue(verdict.cross_check(
            _counts(GOOD), 0, dict(RESULT, checks={"end_of_run": False}),
            ["procfs"]))


if __name__ == "__main__":
    unittest.main()
