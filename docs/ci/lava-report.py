#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Report each result of a `scripts/kuipc test --json` file to LAVA with
lava-test-case (docs/ci/lava-kuipc.yaml); a missing file is one failed
case, kuipc-run."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "scripts"))
from kuipc_lib import report  # noqa: E402  pylint: disable=wrong-import-position


def main(path):
    try:
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
    except (OSError, ValueError) as e:
        print(f"lava-report: {path}: {e}", file=sys.stderr)
        subprocess.run(["lava-test-case", "kuipc-run", "--result", "fail"],
                       check=False)
        return 1
    for case, result in report.lava_cases(run):
        subprocess.run(["lava-test-case", case, "--result", result],
                       check=False)
    subprocess.run(["lava-test-case", "kuipc-run", "--result",
                    "pass" if run["ok"] else "fail"], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
