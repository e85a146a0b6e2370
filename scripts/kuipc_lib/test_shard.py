# SPDX-License-Identifier: GPL-2.0
"""Unit tests of shard.py and `merge`: the units split into parts that
cover them once, and the parts' JSON joined give what the whole run
gives; a missing, duplicated or foreign part is refused. Made-up guests
(several kernels) stand in for QEMU. Run by `scripts/kuipc test` as host
tests."""

import contextlib
import dataclasses
import io
import json
import os
import tempfile
import unittest
from unittest import mock

from kuipc_lib import __main__ as front, cli, shard, targets, ui
from kuipc_lib.commands import suite
from kuipc_lib.test_ktap import Agrees

KERNELS = ["6.1", "6.12", "latest"]
MECHS = ["procfs", "sysfs", "udp", "eventfd"]


@dataclasses.dataclass
class Done:
    problem: str = None
    exit_code: int = 0
    accel: str = "tcg"
    wall_s: float = 2.0
    console_tail: str = ""


def guest_lines(spec, mechs):
    """What the runner sends: sysfs fails a test on 6.12, udp skips one."""
    lines, n, counts = ["ok 1 - kernel: boot log clean"], 1, [1, 0, 0]
    mech_json = {}
    for m in mechs:
        bad = m == "sysfs" and spec == "6.12"
        for desc, ok, skip in ((f"{m}: module loads", True, False),
                               (f"{m}: round trip", not bad, False),
                               (f"{m}: a feature", True, m == "udp")):
            n += 1
            lines.append(f"{'ok' if ok else 'not ok'} {n} - {desc}"
                         + (" # SKIP no such file" if skip else ""))
            if not ok:
                lines.append("#   expected 3, got 4")
            counts[0 if ok and not skip else 1 if not ok else 2] += 1
        mech_json[m] = {"ok": not bad, "passed": 2 - bad, "failed": int(bad),
                        "skipped": int(m == "udp"), "load_ok": True,
                        "unload_ok": True, "dmesg_clean": True}
    lines += [f"1..{n}", "%d passed, %d failed, %d skipped" % tuple(counts),
              "KUIPC-RESULT " + json.dumps({
                  "ok": counts[1] == 0, "passed": counts[0],
                  "failed": counts[1], "skipped": counts[2],
                  "checks": {"end_of_run": True}, "mechanisms": mech_json})]
    return lines, counts[1]


class Fake(targets.Guest):
    """A guest that sends guest_lines() for the mechanisms of its job."""

    boots_of = []

    def __init__(self, spec):
        super().__init__(mock.Mock(release=f"{spec}.0-fake",
                                   timeout_factor=1, arch="x86_64"),
                         "/b", "tcg")
        self.spec = spec

    def prepare(self, mechs, profiled=False):
        del mechs, profiled

    def run(self, job, on_line):
        Fake.boots_of.append((self.spec, tuple(job.mechs)))
        lines, failed = guest_lines(self.spec, job.mechs)
        for ln in lines:
            on_line(ln)
        return Done(exit_code=1 if failed else 0)

    def console(self, mode):
        return "[    1.0] kuipc: loaded\n", "/w"


def _host_checks(tap, bdir):
    del bdir
    tap.line(True, "host: dkms.conf lists every mechanism")
    tap.line(True, "host: docs link to the lines they name")


def run(argv):
    """suite.test (or merge) on made-up guests: (exit status, stdout)."""
    def make(args, asked):
        del args
        return [Fake(s) for s in asked or ["6.1"]]
    out = io.StringIO()
    with mock.patch.object(targets, "make", make), \
            mock.patch.object(suite, "_host_checks", _host_checks), \
            mock.patch.object(ui, "PROGRESS", io.StringIO()), \
            contextlib.redirect_stdout(out):
        code = front.main(argv)
    return code, out.getvalue()


class Split(unittest.TestCase):
    def test_parts_cover_the_units_once_in_order(self):
        units = shard.units(KERNELS, MECHS)
        for n in range(1, len(units) + 1):
            parts = [shard.part(units, i, n) for i in range(1, n + 1)]
            self.assertEqual(sum(parts, []), units, n)
            self.assertLessEqual(max(map(len, parts)) -
                                 min(map(len, parts)), 1, n)
        self.assertEqual(shard.part(units, 2, 3), units[4:8])
        self.assertEqual(shard.per_kernel(shard.part(units, 2, 3)),
                         [("6.12", MECHS)])
        self.assertEqual(shard.per_kernel(shard.part(units, 2, 5)),
                         [("6.1", ["udp", "eventfd"])])
        self.assertEqual(shard.per_kernel(shard.part(units, 4, 5)), [
            ("6.12", ["eventfd"]), ("latest", ["procfs"])])
        with self.assertRaisesRegex(ui.Fatal, "only 12 units"):
            shard.part(units, 1, 13)


class Merge(Agrees):
    def setUp(self):
        self.dir = self.enterContext(tempfile.TemporaryDirectory())
        self.boots = []

    def _shards(self, n, kernels=KERNELS, cmd="matrix"):
        paths = []
        for i in range(1, n + 1):
            paths.append(os.path.join(self.dir, f"s{i}-{n}.json"))
            argv = [cmd, *[f"--kernel={k}" for k in kernels],
                    "--only", ",".join(MECHS), "--shard", f"{i}/{n}",
                    "--json", paths[-1]]
            Fake.boots_of = []
            code = run(argv)[0]
            with open(paths[-1], encoding="utf-8") as f:
                self.assertEqual(code, 0 if json.load(f)["ok"] else 1)
            self.boots.append(Fake.boots_of)
        return paths

    def _load(self, path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def test_merged_shards_give_the_whole_runs_results(self):
        whole = os.path.join(self.dir, "whole.json")
        self.assertEqual(run(["matrix", "--only", ",".join(MECHS), "--json",
                              whole])[0], 1)
        want = self._load(whole)
        self.assertEqual((want["passed"], want["failed"], want["skipped"]),
                         (3 * (1 + 10 + 3) + 1, 2, 3))
        for n in (1, 2, 3, 5, 12):
            self.boots = []
            merged = os.path.join(self.dir, f"m{n}.json")
            code, out = run(["merge", *self._shards(n), "--json", merged])
            self.assertEqual(code, 1, n)
            got = self._load(merged)
            for k in ("ok", "strict", "passed", "failed", "skipped"):
                self.assertEqual(got[k], want[k], (n, k))
            for g, w in zip(got["kernels"], want["kernels"]):
                for k in ("kernel", "passed", "failed", "skipped", "ok",
                          "mechanisms", "checks"):
                    self.assertEqual(g[k], w[k], (n, k))
            self.assertEqual(len(got["kernels"]), 3)
            self.assertIn(f"{want['passed']} passed, 2 failed, ", out)
            self.assertRegex(out, r"\n6\.12\.0-fake +ok 2 +FAIL 1 +ok 2 ")
            # One boot per kernel in a shard; each unit run once.
            for boots in self.boots:
                kernels = [k for k, _ in boots]
                self.assertEqual(len(kernels), len(set(kernels)), n)
            self.assertEqual(sorted((k, m) for boots in self.boots
                                    for k, ms in boots for m in ms),
                             sorted((k, m) for k in KERNELS for m in MECHS))
        self.assert_agrees(got)

    def test_only_shard_1_runs_the_host_checks(self):
        paths = self._shards(3, cmd="test")
        self.assertEqual([len(self._load(p)["host"]) for p in paths],
                         [2, 0, 0])
        s = self._load(paths[1])["shard"]
        self.assertEqual((s["index"], s["count"], s["units"]),
                         (2, 3, [["6.12", m] for m in MECHS]))

    def test_a_missing_duplicated_or_foreign_shard_is_refused(self):
        a, b, c = self._shards(3)
        other = self._shards(2, kernels=["6.1"])
        for paths, why in (
                ([a, b], "shard 3/3 missing"),
                ([a, b, b, c], "shard 2/3 given 2 times"),
                ([a, a, c], "shard 1/3 given 2 times: .*; shard 2/3 "
                 "missing"),
                ([a, b, other[1]], "is of another run"),
                ([a, b, c, os.path.join(self.dir, "none.json")],
                 "cannot read")):
            with self.assertRaisesRegex(ui.Fatal, why):
                shard.merge(paths)
        whole = os.path.join(self.dir, "w.json")
        run(["test", "--json", whole])
        with self.assertRaisesRegex(ui.Fatal, "not a shard's result"):
            shard.merge([whole])
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(run(["merge", a, b])[0], 1)
        self.assertIn("kuipc: cannot merge: shard 3/3 missing",
                      err.getvalue())

    def test_a_shard_of_more_parts_than_units_is_refused(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code, _ = run(["test", "--only", "procfs", "--shard", "2/2"])
        self.assertEqual(code, 1)
        self.assertIn("only 1 units", err.getvalue())
        self.assertEqual(cli.parse(["test", "--shard", "2/2"]).shard, (2, 2))


if __name__ == "__main__":
    unittest.main()
