# SPDX-License-Identifier: GPL-2.0
"""The host's verdict on a guest run: checks that fail closed.

The guest runner says what it saw; the host does not take its word alone.
A run passes only when the guest's runner exited 0, its plan and summary
agree with the TAP lines the host counted, its result JSON agrees with
both and names every mechanism asked for, no `not ok` line was excused by
a directive, and the serial console, read independently of the guest's
own log reader, shows no kernel report. The report patterns are those of
the guest (userspace/common/kernel-reports.inc), read from the one file.
"""

import os
import re

from . import build

PATTERNS_FILE = os.path.join(build.REPO, "userspace", "common",
                             "kernel-reports.inc")
_PATTERN = re.compile(r'^\s*"((?:[^"\\]|\\.)*)",')
# A kernel line on the console: printk's timestamp (printk.time=1).
_KERNEL_LINE = re.compile(r"^\[\s*\d+\.\d+\]\s?(.*)$")
TAP = re.compile(r"^(not ok|ok)\s+(\d+)(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)$")
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")


def report_patterns(path=PATTERNS_FILE):
    """The report patterns, as (text, anchored) pairs."""
    pats = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = _PATTERN.match(line)
            if m:
                text = m.group(1).encode().decode("unicode_escape")
                pats.append((text[1:], True) if text.startswith("^")
                            else (text, False))
    if not pats:
        raise ValueError(f"no report patterns in {path}")
    return pats


def report_lines(text, patterns=None):
    """The lines of text that carry a kernel report."""
    patterns = patterns or report_patterns()
    bad = []
    for line in text.splitlines():
        for pat, anchored in patterns:
            if (line.startswith(pat) if anchored else pat in line):
                bad.append(line)
                break
    return bad


def console_reports(console, patterns=None):
    """Kernel reports among the kernel's own lines of a console log."""
    kernel = []
    for line in console.splitlines():
        m = _KERNEL_LINE.match(line.rstrip("\r"))
        if m:
            kernel.append(m.group(1))
    return report_lines("\n".join(kernel), patterns)


def tap_status(line):
    """(ok, directive) of a TAP result line, or None when it is not one.

    A `not ok` line is a failure whatever its directive: ok is False."""
    m = TAP.match(line)
    if not m:
        return None
    rest = m.group(3)
    directive = rest.split(" # ", 1)[1].strip() if " # " in rest else ""
    return m.group(1) == "ok", directive


def is_skip(directive):
    return directive.upper().startswith("SKIP")


class GuestCounts:
    """What the host counted of one guest's output."""

    def __init__(self):
        self.lines = 0
        self.passed = self.failed = self.skipped = 0
        self.plan = None
        self.summary = None

    def feed(self, line):
        """Count one result line; returns True if it was TAP, plan or
        summary."""
        st = tap_status(line)
        if st is not None:
            ok, directive = st
            self.lines += 1
            if not ok:
                self.failed += 1
            elif is_skip(directive):
                self.skipped += 1
            else:
                self.passed += 1
            return True
        m = PLAN.match(line)
        if m:
            self.plan = int(m.group(1))
            return True
        m = SUMMARY.match(line)
        if m:
            self.summary = (int(m.group(1)), int(m.group(2)),
                            int(m.group(3) or 0))
            return True
        return False


def cross_check(counts, exit_code, result, mechs):
    """Problems between what the guest said and what the host counted."""
    problems = []
    if exit_code is None:
        problems.append("the guest reported no exit status of its runner")
    elif exit_code != 0:
        problems.append(f"the guest's runner exited with status {exit_code}")
    if counts.plan is None:
        problems.append("the guest printed no TAP plan")
    elif counts.plan != counts.lines:
        problems.append(f"the guest's plan is 1..{counts.plan} but "
                        f"{counts.lines} TAP lines arrived")
    mine = (counts.passed, counts.failed, counts.skipped)
    if counts.summary is None:
        problems.append("the guest printed no summary line")
    elif counts.summary != mine:
        problems.append("the guest's summary says %d passed, %d failed, "
                        "%d skipped; the host counted %d, %d, %d"
                        % (counts.summary + mine))
    if result is None:
        problems.append("the guest sent no result JSON")
        return problems
    said = (result.get("passed"), result.get("failed"), result.get("skipped"))
    if said != mine:
        problems.append(f"the guest's result JSON counts {said}, the host "
                        f"counted {mine}")
    if result.get("ok") is not True and counts.failed == 0:
        problems.append("the guest's result JSON is not ok, though no TAP "
                        "line failed")
    missing = [m for m in mechs if m not in result.get("mechanisms", {})]
    if missing:
        problems.append("the guest reported nothing of " + ", ".join(missing))
    checks = result.get("checks", {})
    if checks.get("end_of_run") is not True:
        problems.append("the guest did not report the end-of-run sweep of "
                        "the kernel log as clean")
    return problems
