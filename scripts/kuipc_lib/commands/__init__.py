# SPDX-License-Identifier: GPL-2.0
"""The front door's commands: one function per command, each taking the
namespace cli.parse() made and returning the exit status."""

from . import guest, suite, tools

COMMANDS = {
    "test": suite.test,
    "matrix": suite.test,
    "vm-suite": suite.test,
    "merge": suite.merge,
    "demo": guest.demo,
    "bench": guest.bench,
    "fuzz": guest.fuzz,
    "shell": guest.shell,
    "lint": tools.lint,
    "selfcheck": tools.selfcheck,
    "new": tools.new,
    "doc-links": tools.doc_links,
    "gen-dkms-conf": tools.gen_dkms_conf,
}
