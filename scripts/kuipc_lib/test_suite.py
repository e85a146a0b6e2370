# SPDX-License-Identifier: GPL-2.0
"""Unit tests of commands/suite.py on targets that boot nothing: the runs
of several kernels, one after the other or at once (matrix --jobs), give
the same results, at once each kernel's lines and checks together in
kernel order, and each run is judged. Run by
`scripts/kuipc test` as host tests."""

import io
import json
import threading
import unittest
from unittest import mock

from kuipc_lib import cli, kernels, results, ui
from kuipc_lib.commands import suite


def _lines(release):
    result = {"ok": True, "passed": 1, "failed": 0, "skipped": 0,
              "checks": {"end_of_run": True}, "mechanisms": {"procfs": {}}}
    return ["TAP version 13", f"ok 1 - procfs: on {release}", "1..1",
            "1 passed, 0 failed", "KUIPC-RESULT " + json.dumps(result)]


class Done:
    accel = "tcg"
    wall_s = 1.0
    exit_code = 0
    problem = None
    console_tail = ""


class Fake:
    """A target that sends a fixed run and records the job it was given."""

    boots = True
    abi = "native"

    def __init__(self, release, factor=1):
        self.kernel = kernels.Kernel(release=release, root="/", kdir="/",
                                     vmlinuz="/", config="/", moddir="/",
                                     modules="/", timeout_factor=factor)
        self.jobs = []
        self.prepared = None
        self.threads = set()

    def prepare(self, mechs, profiled=False):
        self.prepared = (mechs, profiled)

    def run(self, job, on_line):
        self.jobs.append(job)
        self.threads.add(threading.get_ident())
        for line in _lines(self.kernel.release):
            on_line(line)
        return Done()

    def console(self, mode):
        return f"[    1.0] {mode} console of {self.kernel.release}\n", "/w"


def _run(argv, tgts):
    args = cli.parse(argv)
    tap = results.Tap(io.StringIO(), strict=args.strict)
    with mock.patch.object(ui, "PROGRESS", io.StringIO()):
        entries = suite._suite(args, tap, [  # pylint: disable=protected-access
            (t.kernel.release, t, ["procfs"]) for t in tgts])
    return tap, entries


class Suite(unittest.TestCase):
    def test_jobs_at_once_give_the_results_of_one_after_the_other(self):
        one, at_once = [Fake("6.1"), Fake("6.12")], \
            [Fake("6.1"), Fake("6.12")]
        tap1, entries1 = _run(["matrix", "--only", "procfs", "--jobs", "1"],
                              one)
        tap2, entries2 = _run(["matrix", "--only", "procfs", "--jobs", "2"],
                              at_once)
        self.assertEqual(entries1, entries2)
        def key(r):
            return r["source"], r["name"]
        self.assertEqual(sorted(tap2.results, key=key),
                         sorted(tap1.results, key=key))
        self.assertEqual(len(one[0].threads | one[1].threads), 1)
        self.assertEqual([e["kernel"] for e in entries2], ["6.1", "6.12"])
        self.assertEqual({(e["arch"], e["abi"]) for e in entries2},
                         {("x86_64", "native")})
        self.assertTrue(all(e["ok"] for e in entries2))
        self.assertEqual(tap2.n, 8)  # 2 kernels x (1 line + 3 checks)
        self.assertIn("ok 5 - procfs: on 6.12", tap2.out.getvalue())
        self.assertEqual([r["source"] for r in tap2.results],
                         ["6.1"] * 4 + ["6.12"] * 4)

    def test_the_job_carries_the_options_and_the_kernels_factor(self):
        t = Fake("debug", factor=5)
        _run(["test", "--timeout", "7", "--faults"], [t])
        job = t.jobs[0]
        self.assertEqual((job.mode, job.mechs, job.timeout, job.host_timeout,
                          job.faults, job.params),
                         ("test", ["procfs"], 35, 4500, True, ""))
        self.assertEqual(job.args, ("--only", "procfs", "--timeout", "7",
                                    "--faults"))
        self.assertEqual(t.prepared, (["procfs"], False))
        _run(["test", "--host-timeout", "60"], [t])
        self.assertEqual(t.jobs[1].host_timeout, 60)


if __name__ == "__main__":
    unittest.main()
