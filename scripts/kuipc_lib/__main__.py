# SPDX-License-Identifier: GPL-2.0
"""kuipc front door: demo, test, bench, shell (see README.md).

cli.py parses the command line, commands/ holds one function per command;
they run the suite's programs on targets.py's guests (or the host's own
kernel) and judge and write the results with results.py and report.py."""

import sys

from . import cli, ui
from .commands import COMMANDS


def main(argv):
    args = cli.parse(argv)
    try:
        return COMMANDS[args.cmd](args)
    except ui.Fatal as e:
        print(ui.red(f"kuipc: {e}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
