# SPDX-License-Identifier: GPL-2.0
"""Unit tests of report.py: the JSON, JUnit and table writers. Run by
`scripts/kuipc test` as host tests."""

import io
import json
import os
import tempfile
import unittest
import xml.etree.ElementTree as ET

from kuipc_lib import report, results


def _mech(passed=3, failed=0, load_ok=True):
    return {"ok": not failed, "passed": passed, "failed": failed,
            "skipped": 0, "load_ok": load_ok, "unload_ok": True,
            "dmesg_clean": True}


ENTRIES = [
    {"kernel": "6.1.0-57-cloud-amd64", "wall_s": 11.6, "ok": True,
     "mechanisms": {"procfs": _mech(), "sysfs": _mech(failed=1)}},
    {"kernel": "6.12.9", "wall_s": 3.0, "ok": False,
     "error": "kernel panic",
     "mechanisms": {"procfs": _mech(load_ok=False)}},
]


class Files(unittest.TestCase):
    def setUp(self):
        self.dir = self.enterContext(tempfile.TemporaryDirectory())

    def test_json_is_indented_and_ends_with_a_newline(self):
        path = os.path.join(self.dir, "out.json")
        report.write_json(path, {"b": [1], "a": True})
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(text, '{\n  "b": [\n    1\n  ],\n  "a": true\n}\n')

    def test_run_json_carries_the_totals_and_coverage_when_asked(self):
        tap = results.Tap(io.StringIO(), strict=True)
        tap.line(True, "host: a")
        out = report.run_json(tap, ENTRIES[:1])
        self.assertEqual(list(out), ["ok", "strict", "passed", "failed",
                                     "skipped", "kernels", "host"])
        self.assertEqual(out["host"], [{"by": "host", "name": "host: a",
                                        "ok": True, "status": "pass"}])
        self.assertEqual((out["ok"], out["strict"], out["passed"]),
                         (True, True, 1))
        self.assertEqual(report.run_json(tap, ENTRIES, {})["coverage"], {})
        self.assertFalse(report.run_json(tap, ENTRIES)["ok"])
        tap.line(False, "host: b")
        self.assertFalse(report.run_json(tap, ENTRIES[:1])["ok"])

    def test_run_json_puts_one_kernels_fault_figures_at_the_top(self):
        tap = results.Tap(io.StringIO(), strict=True)
        faults = {"procfs": {"load_sites": 8, "op_sites": 10, "failed": 0}}
        one = [dict(ENTRIES[0], faults=faults)]
        self.assertEqual(report.run_json(tap, one)["faults"], faults)
        self.assertNotIn("faults", report.run_json(tap, ENTRIES[:1]))
        # Several kernels: each entry keeps its own, nothing at the top.
        self.assertNotIn("faults", report.run_json(tap, one + ENTRIES[1:]))

    def test_junit_has_a_suite_per_source_and_a_case_per_line(self):
        path = os.path.join(self.dir, "out.xml")
        def t(name, status, directive=""):
            return {"name": name, "status": status, "directive": directive}
        report.write_junit(path, {"host": [
            t("host: dkms.conf lists every mechanism", "pass")],
            "kernels": [{"kernel": "6.1", "tests": [
                t("procfs: module loads", "pass"),
                t("procfs: read back", "fail"),
                t("sysfs: a feature", "skip", "SKIP no such file"),
                t("the end", "pass")]}]})
        root = ET.parse(path).getroot()
        self.assertEqual(root.tag, "testsuites")
        suites = {s.get("name"): s for s in root}
        self.assertEqual(list(suites), ["host", "6.1"])
        s = suites["6.1"]
        self.assertEqual((s.get("tests"), s.get("failures"),
                          s.get("skipped")), ("4", "1", "1"))
        cases = list(s)
        self.assertEqual([c.get("classname") for c in cases],
                         ["6.1.procfs", "6.1.procfs", "6.1.sysfs",
                          "6.1.6.1"])
        self.assertEqual(cases[1].find("failure").get("message"),
                         "procfs: read back")
        self.assertEqual(cases[2].find("skipped").get("message"),
                         "no such file")
        self.assertIsNone(cases[0].find("failure"))
        self.assertEqual(suites["host"].get("tests"), "1")


class Tables(unittest.TestCase):
    def test_matrix_table_shows_counts_failures_and_errors(self):
        out = io.StringIO()
        report.print_table(ENTRIES, ["procfs", "sysfs"], out)
        self.assertEqual(out.getvalue().splitlines(), [
            "",
            "kernel                procfs    sysfs     wall",
            "6.1.0-57-cloud-amd64  ok 3      FAIL 1    11.6s",
            "6.12.9                FAIL 0    -         3.0s  (kernel panic)",
            ""])

    def test_bench_table_aligns_its_columns(self):
        res = report.bench_json(
            {"vcpus": 2, "baseline": {"getppid_ns": 90,
                                      "eventfd_pingpong_ns": 1500,
                                      "memcpy_gbps": {"4K": 10.5}},
             "mechanisms": {"procfs": {"p50_ns": 1234.4, "p99_ns": 99999,
                                       "ratio": 1.234, "floor": "pipe"},
                            "udp": {"error": "timed out"}}},
            "tcg", "6.1")
        self.assertEqual((res["kernel"], res["method"]), ("6.1", {}))
        out = io.StringIO()
        report.print_bench(res, out)
        self.assertEqual(out.getvalue().splitlines(), [
            "kernel 6.1  accel tcg  vcpus 2",
            "accel=tcg: absolute times are emulation times; only the "
            "ratios mean anything",
            "baseline: getppid 90 ns, eventfd ping-pong (one way) 1500 ns, "
            "memcpy 4K 10.5 GB/s",
            "",
            "mechanism  p50 ns  p99 ns  ratio  floor",
            "procfs       1234   99999   1.23  pipe",
            "udp             -       -      -  error: timed out"])
        self.assertEqual(json.loads(json.dumps(res)), res)


if __name__ == "__main__":
    unittest.main()
