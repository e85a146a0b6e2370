# SPDX-License-Identifier: GPL-2.0
"""Progress lines, command execution and errors for the front door."""

import contextlib
import os
import subprocess
import sys
import time

_T0 = time.monotonic()
COLOR = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
# Progress goes to stdout, or to stderr when stdout must be pure TAP.
PROGRESS = sys.stdout


def progress_to_stderr():
    global PROGRESS, COLOR  # pylint: disable=global-statement
    PROGRESS = sys.stderr
    COLOR = sys.stderr.isatty() and os.environ.get("NO_COLOR") is None


class Fatal(Exception):
    """An error the user must act on; printed without a traceback."""


def _c(code, text):
    return f"\033[{code}m{text}\033[0m" if COLOR else text


def info(msg):
    print(f"{_c('1;34', '==>')} {msg}", file=PROGRESS, flush=True)


def warn(msg):
    print(f"{_c('1;33', 'warning:')} {msg}", file=sys.stderr, flush=True)


def green(text):
    return _c("32", text)


def red(text):
    return _c("31", text)


@contextlib.contextmanager
def step(what):
    """Announce a step and print its elapsed time when it ends."""
    t = time.monotonic()
    info(f"{what} ...")
    try:
        yield
    except BaseException:
        print(f"    {what}: {red('failed')} after "
              f"{time.monotonic() - t:.1f}s", file=PROGRESS, flush=True)
        raise
    print(f"    {what}: done in {time.monotonic() - t:.1f}s", file=PROGRESS,
          flush=True)


def elapsed():
    return time.monotonic() - _T0


def run(cmd, quiet=False, cwd=None, env=None, check=True):
    """Run a command; on failure show its output and raise Fatal."""
    res = subprocess.run(cmd, cwd=cwd, env=env, text=True,
                         stdout=subprocess.PIPE if quiet else None,
                         stderr=subprocess.STDOUT if quiet else None,
                         check=False)
    if check and res.returncode != 0:
        if quiet and res.stdout:
            PROGRESS.write(res.stdout[-6000:])
        raise Fatal(f"command failed ({res.returncode}): {' '.join(cmd)}")
    return res
