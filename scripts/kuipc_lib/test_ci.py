# SPDX-License-Identifier: GPL-2.0
"""The CI files of docs/ci/, read with a YAML parser (python3-yaml, a
host package): the shards each runs and the files its merge step joins
agree; the LAVA test definition runs the suite natively and reports each
result. Run by `scripts/kuipc test` as host tests."""

import os
import re
import unittest

import yaml

from kuipc_lib import build, report

CI = os.path.join(build.REPO, "docs", "ci")


def _load(name):
    with open(os.path.join(CI, name), encoding="utf-8") as f:
        return yaml.safe_load(f)


def _merged(script):
    """The files a `scripts/kuipc merge` command joins."""
    m = re.search(r"scripts/kuipc merge ((?:\S+\.json ?)+)", script)
    assert m, script
    return m.group(1).split()


class GitHub(unittest.TestCase):
    def test_the_shards_run_and_the_files_merged_agree(self):
        jobs = _load("github-matrix.yml")["jobs"]
        shards = jobs["shard"]["strategy"]["matrix"]["shard"]
        run = " ".join(s.get("run", "") for s in jobs["shard"]["steps"])
        n = int(re.search(r"--shard \$\{\{ matrix\.shard \}\}/(\d+)",
                          run).group(1))
        self.assertEqual(shards, list(range(1, n + 1)))
        self.assertIn("--json shard-${{ matrix.shard }}.json", run)
        merge = " ".join(s.get("run", "") for s in jobs["merge"]["steps"])
        self.assertEqual(_merged(merge),
                         [f"shard-{i}.json" for i in range(1, n + 1)])
        self.assertEqual(jobs["merge"]["needs"], "shard")
        self.assertEqual(jobs["merge"]["if"], "always()")
        self.assertIn("--junit matrix.xml", merge)
        cache = [s for s in jobs["shard"]["steps"]
                 if s.get("uses", "").startswith("actions/cache")]
        self.assertEqual(cache[0]["with"]["path"], "~/.cache/kuipc")
        report_step = [s for s in jobs["merge"]["steps"]
                       if "junit" in s.get("uses", "")]
        self.assertEqual(report_step[0]["with"]["report_paths"],
                         "matrix.xml")


class GitLab(unittest.TestCase):
    def test_the_shards_run_and_the_files_merged_agree(self):
        ci = _load("gitlab-ci.yml")
        n = ci["matrix"]["parallel"]
        script = " ".join(ci["matrix"]["script"])
        self.assertIn("--shard $CI_NODE_INDEX/$CI_NODE_TOTAL", script)
        self.assertIn("--json shard-$CI_NODE_INDEX.json", script)
        self.assertEqual(_merged(" ".join(ci["merge"]["script"])),
                         [f"shard-{i}.json" for i in range(1, n + 1)])
        self.assertEqual(ci["merge"]["needs"][0]["job"], "matrix")
        self.assertEqual(ci["merge"]["artifacts"]["reports"]["junit"],
                         "matrix.xml")
        self.assertEqual(ci["matrix"]["cache"]["paths"], [".cache/kuipc"])
        self.assertEqual(ci["variables"]["XDG_CACHE_HOME"],
                         "$CI_PROJECT_DIR/.cache")


class Lava(unittest.TestCase):
    def test_the_definition_runs_natively_and_reports_each_result(self):
        d = _load("lava-kuipc.yaml")
        self.assertEqual(d["metadata"]["format"],
                         "Lava-Test Test Definition 1.0")
        steps = d["run"]["steps"]
        self.assertTrue(any("scripts/kuipc test --native" in s and
                            "--json output/kuipc.json" in s for s in steps))
        self.assertIn("docs/ci/lava-report.py output/kuipc.json", steps[-1])
        self.assertTrue(os.access(os.path.join(CI, "lava-report.py"),
                                  os.X_OK))

    def test_case_ids_are_lavas_and_unique(self):
        run = {"host": [{"name": "host: a b", "status": "pass"}],
               "kernels": [{"kernel": "6.1.0-9", "tests": [
                   {"name": "procfs: x/y [tag]", "status": "fail"},
                   {"name": "procfs: x/y [tag]", "status": "skip"}]}]}
        self.assertEqual(list(report.lava_cases(run)), [
            ("host.host_a_b", "pass"), ("6.1.0-9.procfs_x_y_tag", "fail"),
            ("6.1.0-9.procfs_x_y_tag-2", "skip")])


if __name__ == "__main__":
    unittest.main()
