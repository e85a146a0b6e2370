# SPDX-License-Identifier: GPL-2.0
"""Unit tests of coverage.py: the guest's .gcda files arrive whole or the
run says they did not; the tracefile is summed per module. Run by
`scripts/kuipc test` as host tests."""

import base64
import hashlib
import io
import os
import tempfile
import unittest

from kuipc_lib import coverage, results, verdict


def _send(path, data, size=None, md5=None):
    """The lines scripts/guest/init writes for one file."""
    text = base64.encodebytes(data).decode()  # 76 characters a line
    return ([f"KUIPC-GCOV file {path}"] +
            [f"KUIPC-GCOV data {ln}" for ln in text.splitlines()] +
            [f"KUIPC-GCOV sum {len(data) if size is None else size} "
             f"{md5 or hashlib.md5(data).hexdigest()}"])


def _receive(lines):
    r = coverage.Receiver()
    for ln in lines:
        assert r.feed(ln), ln
    return r


DATA = bytes(range(256)) * 5


class Receiver(unittest.TestCase):
    def test_files_arrive_whole(self):
        r = _receive(_send("/b/m/a.gcda", DATA) + _send("/b/m/c.gcda", b"x")
                     + ["KUIPC-GCOV done 2"])
        self.assertEqual(r.complete(), [])
        self.assertEqual(r.files, {"/b/m/a.gcda": DATA, "/b/m/c.gcda": b"x"})

    def test_a_changed_byte_is_refused(self):
        lines = _send("/b/m/a.gcda", DATA)
        lines[1] = lines[1][:-2] + ("AA" if lines[1][-2:] != "AA" else "BA")
        r = _receive(lines + ["KUIPC-GCOV done 1"])
        self.assertNotIn("/b/m/a.gcda", r.files)
        self.assertTrue(r.complete())

    def test_a_lost_line_is_refused(self):
        lines = _send("/b/m/a.gcda", DATA)
        del lines[2]
        r = _receive(lines + ["KUIPC-GCOV done 1"])
        self.assertTrue(any("md5" in p for p in r.complete()))

    def test_no_end_record_is_incomplete(self):
        r = _receive(_send("/b/m/a.gcda", DATA))
        self.assertIn("the guest sent no end of its coverage data",
                      r.complete())

    def test_a_lost_file_is_incomplete(self):
        r = _receive(_send("/b/m/a.gcda", DATA) + ["KUIPC-GCOV done 2"])
        self.assertTrue(r.complete())

    def test_no_data_at_all_is_incomplete(self):
        r = _receive(["KUIPC-GCOV done 0"])
        self.assertTrue(r.complete())

    def test_a_file_the_guest_cannot_read_is_reported(self):
        r = _receive(["KUIPC-GCOV file /b/m/a.gcda",
                      "KUIPC-GCOV error cannot read /b/m/a.gcda",
                      "KUIPC-GCOV done 1"])
        self.assertTrue(r.complete())

    def test_other_lines_are_not_taken(self):
        self.assertFalse(coverage.Receiver().feed("ok 1 - procfs: x"))


class HostCount(unittest.TestCase):
    def test_coverage_lines_leave_the_tap_count_alone(self):
        out = io.StringIO()
        tap = results.Tap(out)
        guest = results.GuestOutput(coverage.Receiver())
        lines = ["ok 1 - procfs: a"] + _send("/b/a.gcda", DATA) + \
            ["KUIPC-GCOV done 1", "1..1", "1 passed, 0 failed"]
        for ln in lines:
            guest.feed(tap, ln)
        counts = guest.counts
        self.assertEqual((counts.lines, counts.plan, counts.summary),
                         (1, 1, (1, 0, 0)))
        self.assertEqual(verdict.cross_check(
            counts, 0, {"ok": True, "passed": 1, "failed": 0, "skipped": 0,
                        "checks": {"end_of_run": True},
                        "mechanisms": {"procfs": {}}}, ["procfs"]), [])
        self.assertNotIn("KUIPC-GCOV", out.getvalue())
        self.assertEqual(guest.gcov.complete(), [])


def _record(path, lf, lh, brf, brh):
    """A record of lf lines (lh hit) and brf branches (brh taken; of the
    others, half never reached: "-")."""
    lines = [f"DA:{i + 1},{3 if i < lh else 0}" for i in range(lf)]
    lines += [f"BRDA:{i // 2 + 1},0,{i % 2},"
              f"{2 if i < brh else ('-' if i % 2 else 0)}"
              for i in range(brf)]
    return "TN:\nSF:" + path + "\nFN:1,f\nFNDA:1,f\n" + \
        "\n".join(lines) + "\nend_of_record\n"


class Tracefile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()  # pylint: disable=consider-using-with
        self.dest = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_sums_per_module_without_shared_or_kernel_headers(self):
        m = os.path.join(self.dest, "modules")
        text = (_record(f"{m}/procfs/kuipc_procfs.c", 100, 80, 40, 20) +
                _record(f"{m}/procfs/extra.c", 10, 5, 2, 1) +
                _record(f"{m}/sysfs/kuipc_sysfs.c", 50, 50, 0, 0) +
                _record(f"{m}/include/kuipc/compat.h", 7, 7, 2, 2) +
                _record(f"{m}/procfs/kuipc_procfs.mod.c", 3, 3, 0, 0) +
                _record("/k/include/linux/list.h", 9, 9, 4, 4))
        sums, sources = coverage.parse_info(text, self.dest)
        self.assertEqual(sums, {
            "procfs": {"lines": [85, 110], "branches": [21, 42]},
            "sysfs": {"lines": [50, 50], "branches": [0, 0]}})
        kept = coverage.filter_info(text, set(sources))
        self.assertEqual(kept.count("end_of_record"), 3)
        self.assertNotIn("list.h", kept)
        self.assertNotIn("compat.h", kept)
        self.assertNotIn(".mod.c", kept)

    def test_a_path_outside_the_build_is_refused(self):
        os.makedirs(os.path.join(self.dest, "modules", "procfs"))
        good = os.path.join(self.dest, "modules", "procfs", "kuipc_procfs")
        with open(good + ".gcno", "wb"):
            pass
        written, problems = coverage.write_files(
            {good + ".gcda": b"data", "/etc/passwd.gcda": b"x",
             os.path.join(self.dest, "..", "x.gcda"): b"x",
             os.path.join(self.dest, "nognco.gcda"): b"x"}, self.dest)
        self.assertEqual(written, [good + ".gcda"])
        self.assertEqual(len(problems), 3)
        with open(good + ".gcda", "rb") as f:
            self.assertEqual(f.read(), b"data")


if __name__ == "__main__":
    unittest.main()
