# SPDX-License-Identifier: GPL-2.0
"""Line and branch coverage of the modules: `scripts/kuipc test --kernel
debug --coverage`.

The modules are built with GCOV_PROFILE=y (Kbuild adds -fprofile-arcs
-ftest-coverage to every object) in a build directory of their own, so a
normal run stays unprofiled. In the guest, gcov-kernel (CONFIG_GCOV_KERNEL)
shows each module's counters as /sys/kernel/debug/gcov/<object path>.gcda;
with gcov_persist=1, its default, an unloaded module's counters are kept
and each later load adds to them (kernel/gcov/fs.c: save_info() sums on
unload, get_accumulated_info() adds the loaded copy on read), so the data
read after the runner has unloaded every module covers the whole run: the
tests and every load/unload cycle.

The guest's init then sends each file over the results port, after the
runner has finished and before its exit line:

    KUIPC-GCOV file /abs/path/of/obj.gcda
    KUIPC-GCOV data <base64, one line of up to 76 characters each>
    KUIPC-GCOV sum <bytes> <md5>
    KUIPC-GCOV done <number of files>

The host checks size and md5 of each file, writes it next to the .gcno of
the module build, runs lcov (geninfo with the gcov of the compiler that
built the modules, branch coverage on) and genhtml into build/coverage/,
and sums lines and branches per module.
"""

import base64
import hashlib
import os
import re
import shutil

from . import build, hostdeps, ui

PACKAGES = {"lcov": "reads the modules' coverage data and writes the "
            "HTML report (--coverage)"}
PREFIX = "KUIPC-GCOV "
# The result port carries the files as text: one record per line.
_RECORD = re.compile(r"^KUIPC-GCOV (file|data|sum|done|error) ?(.*)$")


def html_dir():
    return os.path.join(build.builddir(), "coverage")


class Receiver:
    """Collects the .gcda files a guest sends (see the module docstring).

    files maps the guest's path to the bytes received; problems lists what
    did not arrive whole. A run without a `done` record, or whose count of
    files disagrees with it, is incomplete: complete() says so.
    """

    def __init__(self):
        self.files = {}
        self.problems = []
        self.done = None
        self.announced = 0
        self._path = None
        self._chunks = []

    def feed(self, line):
        """Take one line; returns True if it was a coverage record."""
        if not line.startswith(PREFIX):
            return False
        m = _RECORD.match(line)
        if not m:
            self.problems.append(f"unknown coverage record: {line[:120]}")
            return True
        kind, rest = m.group(1), m.group(2).strip()
        if kind == "file":
            if self._path is not None:
                self.problems.append(f"{self._path}: no checksum record")
            self._path, self._chunks = rest, []
            self.announced += 1
        elif kind == "data":
            if self._path is None:
                self.problems.append("coverage data outside a file")
            else:
                self._chunks.append(rest)
        elif kind == "sum":
            self._finish(rest)
        elif kind == "done":
            if self._path is not None:
                self.problems.append(f"{self._path}: no checksum record")
                self._path = None
            try:
                self.done = int(rest)
            except ValueError:
                self.problems.append(f"bad coverage count: {rest}")
        else:
            self.problems.append(f"guest: {rest}")
        return True

    def _finish(self, rest):
        path, self._path = self._path, None
        if path is None:
            self.problems.append("coverage checksum outside a file")
            return
        try:
            size_s, md5 = rest.split()
            data = base64.b64decode("".join(self._chunks), validate=True)
        except ValueError as e:
            self.problems.append(f"{path}: unreadable ({e})")
            return
        if len(data) != int(size_s) or \
                hashlib.md5(data).hexdigest() != md5:
            self.problems.append(f"{path}: {len(data)} bytes arrived, "
                                 f"{size_s} were sent, or the md5 differs")
            return
        self.files[path] = data

    def complete(self):
        """Problems that make the data unfit to report; [] when whole."""
        problems = list(self.problems)
        if self.done is None:
            problems.append("the guest sent no end of its coverage data")
        elif self.done != self.announced:
            problems.append(f"the guest counted {self.done} coverage "
                            f"files, {self.announced} arrived")
        if self.done == 0:
            problems.append("the guest found no coverage data (are the "
                            "modules built with GCOV_PROFILE=y?)")
        return problems


def gcov_tool(kernel):
    """The gcov that reads what the kernel tree's compiler wrote (gcov-12
    for gcc 12: the .gcno/.gcda format changes between GCC versions)."""
    ver = kernel.config_value("CONFIG_GCC_VERSION")
    if not ver or not ver.isdigit() or int(ver) == 0:
        raise ui.Fatal(f"{kernel.release}: the modules are not built with "
                       "gcc (CONFIG_GCC_VERSION); coverage reads gcc's data")
    tool = f"gcov-{int(ver) // 10000}"
    if shutil.which(tool) is None:
        raise ui.Fatal(f"{tool} is missing (it comes with gcc-"
                       f"{int(ver) // 10000})")
    return tool


def check_kernel(kernel):
    if kernel.config_value("CONFIG_GCOV_KERNEL") != "y":
        raise ui.Fatal(f"{kernel.release} has no CONFIG_GCOV_KERNEL: "
                       "--coverage needs --kernel debug (or a tree of your "
                       "own built with it)")


def clear(dest):
    """Remove the .gcda files of an earlier run from a module build."""
    for top, _, files in os.walk(dest):
        for name in files:
            if name.endswith(".gcda"):
                os.unlink(os.path.join(top, name))


def write_files(files, dest):
    """Write the received files where gcc named them: beside each .gcno
    of the module build in dest. A path outside dest is refused."""
    root = os.path.realpath(dest) + os.sep
    written, problems = [], []
    for path, data in sorted(files.items()):
        real = os.path.realpath(path)
        if not real.startswith(root) or not real.endswith(".gcda"):
            problems.append(f"{path}: not a .gcda of {dest}")
            continue
        if not os.path.exists(real[:-len(".gcda")] + ".gcno"):
            problems.append(f"{path}: no .gcno beside it (built elsewhere?)")
            continue
        with open(real, "wb") as f:
            f.write(data)
        written.append(real)
    return written, problems


def parse_info(text, dest):
    """Per-module sums of an lcov tracefile: {mech: {"lines": [hit, total],
    "branches": [hit, total]}} over the sources in dest/modules/<mech>/.
    Headers shared by all (modules/include), the kernel's own headers and
    Kbuild's generated <module>.mod.c are left out: their inline functions are the kernel's code or
    everyone's. Returns (sums, {source path: mech})."""
    mods = os.path.join(os.path.realpath(dest), "modules") + os.sep
    sums, sources = {}, {}
    mech = None
    for line in text.splitlines():
        key, _, val = line.partition(":")
        if key == "SF":
            mech = None
            path = os.path.realpath(val)
            if path.startswith(mods):
                first = path[len(mods):].split(os.sep, 1)[0]
                # <module>.mod.c is Kbuild's generated module info: data.
                if first != "include" and os.sep in path[len(mods):] and \
                        not path.endswith(".mod.c"):
                    mech = first
                    sources[val] = mech
                    sums.setdefault(mech, {"lines": [0, 0],
                                           "branches": [0, 0]})
        elif mech is None:
            continue
        elif key in ("DA", "BRDA"):
            # Counted from the records themselves: geninfo writes no
            # LF/LH/BRF/BRH summary lines. A branch never reached has
            # the count "-".
            kind = "lines" if key == "DA" else "branches"
            count = val.split(",")[1 if key == "DA" else 3]
            sums[mech][kind][1] += 1
            if count not in ("0", "-"):
                sums[mech][kind][0] += 1
        elif key == "end_of_record":
            mech = None
    return sums, sources


def filter_info(text, keep):
    """The records of an lcov tracefile whose source is in keep."""
    out, record, wanted = [], [], False
    for line in text.splitlines():
        if line.startswith("SF:"):
            wanted = line[3:] in keep
        record.append(line)
        if line == "end_of_record":
            if wanted:
                out.extend(record)
            record, wanted = [], False
    return "\n".join(out) + "\n"


def report(kernel, dest, receiver, mechs):
    """Turn what the guest sent into the tracefile, the HTML report and the
    per-module sums. Returns (sums, problems); sums is None when the data
    could not be used."""
    problems = receiver.complete()
    if problems:
        return None, problems
    written, problems = write_files(receiver.files, dest)
    if problems:
        return None, problems
    out = html_dir()
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    raw = os.path.join(out, "all.info")
    info = os.path.join(out, "modules.info")
    branch = ["--rc", "lcov_branch_coverage=1"]
    with ui.step(f"coverage: lcov over {len(written)} .gcda files"):
        ui.run(["lcov", "--capture", "--quiet", "--directory",
                os.path.join(dest, "modules"), "--gcov-tool",
                gcov_tool(kernel), *branch, "--output-file", raw],
               quiet=True)
        with open(raw, encoding="utf-8") as f:
            text = f.read()
        sums, sources = parse_info(text, dest)
        with open(info, "w", encoding="utf-8") as f:
            f.write(filter_info(text, set(sources)))
        ui.run(["genhtml", "--quiet", "--branch-coverage", "--legend",
                "--title", f"kuipc modules on {kernel.release}",
                "--prefix", dest, "--output-directory", out, info],
               quiet=True)
    missing = [m for m in mechs if m not in sums]
    if missing:
        problems.append("no coverage data for " + ", ".join(missing))
    return {m: sums[m] for m in mechs if m in sums}, problems


def _pct(hit, total):
    return f"{100.0 * hit / total:5.1f}%" if total else "    -"


def print_table(sums, out):
    rows = [("module", "lines", "", "branches", "")]
    tot = [0, 0, 0, 0]
    for mech, s in sums.items():
        (lh, lt), (bh, bt) = s["lines"], s["branches"]
        rows.append((mech, f"{lh}/{lt}", _pct(lh, lt), f"{bh}/{bt}",
                     _pct(bh, bt)))
        tot = [tot[0] + lh, tot[1] + lt, tot[2] + bh, tot[3] + bt]
    rows.append(("total", f"{tot[0]}/{tot[1]}", _pct(tot[0], tot[1]),
                 f"{tot[2]}/{tot[3]}", _pct(tot[2], tot[3])))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    print("", file=out)
    for i, r in enumerate(rows):
        print(r[0].ljust(widths[0]) + "  " +
              "  ".join(r[j].rjust(widths[j]) for j in range(1, 5)),
              file=out)
        if i == 0 or i == len(rows) - 2:
            print("-" * (sum(widths) + 8), file=out)
    print(f"\nHTML: {os.path.join(html_dir(), 'index.html')} (one page per "
          "source, hit counts per line and branch)", file=out, flush=True)


def ensure_tools():
    hostdeps.ensure(list(PACKAGES), PACKAGES)
