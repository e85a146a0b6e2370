# SPDX-License-Identifier: GPL-2.0
"""scripts/kuipc lint: the field's own checkers on every module and client.

- sparse on every module file (make C=2) against the default kernel's headers;
- the kernel's checkpatch.pl --strict on every module, compat and uapi file,
  taken from Debian's linux-source package (the script and the two data
  files it reads are unpacked into the cache, nothing is installed);
- clang-tidy (.clang-tidy at the top of the tree) on the user-space code;
- pyflakes on the Python of scripts/ (the front door and its tools);
- the host unit tests built and run under AddressSanitizer and
  UndefinedBehaviorSanitizer.
Every finding is printed; any finding makes the command exit non-zero.
"""

import glob
import os
import re
import subprocess

from . import build, hostdeps, source, ui

# checkpatch.pl and the two data files it reads, from linux-source.
SOURCE_FILES = ("scripts/checkpatch.pl", "scripts/spelling.txt",
                "scripts/const_structs.checkpatch")

# checkpatch types ignored for a group of files, with the reason.
CHECKPATCH_IGNORE = {
    # compat.h is, by the project's rule, the one place for version tests,
    # written as the kernel writes them: LINUX_VERSION_CODE >= KERNEL_VERSION()
    # (two constants, which CONSTANT_COMPARISON mistakes for a reversed test).
    "modules/include/kuipc/compat.h": ("LINUX_VERSION_CODE",
                                       "CONSTANT_COMPARISON"),
    # BIT() is kernel-internal; a uapi header cannot use it.
    "modules/include/uapi/": ("BIT_MACRO",),
}
_FINDING = re.compile(r"^(\S+?):(\d+): (ERROR|WARNING|CHECK):")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _source_tools():
    """checkpatch.pl and its data files, unpacked once; returns the script."""
    return os.path.join(source.unpacked("checkpatch", SOURCE_FILES),
                        "scripts", "checkpatch.pl")


def _module_files():
    files = []
    for pattern in ("modules/*/*.c", "modules/*/*.h", "modules/include/*/*.h",
                    "modules/include/uapi/*/*.h"):
        files += glob.glob(os.path.join(build.REPO, pattern))
    return sorted(os.path.relpath(f, build.REPO) for f in files)


def checkpatch():
    """Findings of checkpatch.pl --strict on every module file."""
    script = _source_tools()
    findings = []
    with ui.step("checkpatch.pl --strict on the modules"):
        for rel in _module_files():
            ignore = []
            for prefix, types in CHECKPATCH_IGNORE.items():
                if rel.startswith(prefix):
                    ignore += types
            cmd = ["perl", script, "--strict", "--no-tree", "--terse",
                   "--show-types", "--color=never", "--file", rel]
            if ignore:
                cmd += ["--ignore", ",".join(ignore)]
            res = subprocess.run(cmd, cwd=build.REPO, capture_output=True,
                                 text=True, check=False)
            findings += [ln for ln in res.stdout.splitlines()
                         if _FINDING.match(ln)]
    return findings


def sparse(kernel):
    """sparse on every module file (C=2), as compiler-style warnings."""
    try:
        build.build_modules(kernel, sparse_all=True)
    except ui.Fatal as e:
        return [f"sparse/compiler: {e}"]
    return []


def clang_tidy(bdir):
    findings = []
    with ui.step("clang-tidy on the user-space code"):
        res = subprocess.run(
            ["run-clang-tidy", "-quiet", "-j", str(os.cpu_count() or 1),
             "-p", bdir, os.path.join(build.REPO, "userspace") + "/"],
            cwd=build.REPO, capture_output=True, text=True, check=False)
        # run-clang-tidy asks clang-tidy for colour even into a pipe.
        out = _ANSI.sub("", res.stdout + res.stderr)
        for ln in out.splitlines():
            if re.search(r": (warning|error):", ln):
                findings.append(ln)
        if res.returncode != 0 and not findings:
            findings.append("run-clang-tidy failed: " + out[-2000:])
    return findings


def _is_python(path):
    if path.endswith(".py"):
        return True
    try:
        with open(path, "rb") as f:
            first = f.readline()
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def python_files():
    """The Python files under scripts/, relative to the repository."""
    files = []
    for top, dirs, names in os.walk(os.path.join(build.REPO, "scripts")):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        files += [os.path.join(top, n) for n in sorted(names)
                  if _is_python(os.path.join(top, n))]
    return [os.path.relpath(f, build.REPO) for f in files]


def pyflakes():
    """pyflakes3 on every Python file of scripts/."""
    with ui.step("pyflakes on the Python of scripts/"):
        res = subprocess.run(["pyflakes3", *python_files()], cwd=build.REPO,
                             capture_output=True, text=True, check=False)
    findings = (res.stdout + res.stderr).splitlines()
    if res.returncode != 0 and not findings:
        findings.append(f"pyflakes3 exited {res.returncode}")
    return findings


def sanitizers():
    """Build the host unit tests with ASan+UBSan and run them."""
    sdir = os.path.join(build.builddir(), "sanitize")
    exe = os.path.join(sdir, "userspace", "tests", "kuipc-unit")
    with ui.step("host unit tests under ASan+UBSan"):
        if not os.path.exists(os.path.join(sdir, "build.ninja")):
            ui.run(["meson", "setup", sdir, build.REPO,
                    "-Db_sanitize=address,undefined", "-Db_lundef=false",
                    "-Dbuildtype=debug"], quiet=True)
        ui.run(["meson", "compile", "-C", sdir, "kuipc-unit"], quiet=True)
        env = dict(os.environ,
                   ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        res = subprocess.run([exe], capture_output=True, text=True,
                             env=env, check=False)
    if res.returncode == 0:
        return []
    out = (res.stdout + res.stderr).splitlines()
    return ["kuipc-unit under ASan+UBSan exited "
            f"{res.returncode}:"] + out[-60:]


def run(kernel, bdir):
    """All checkers; prints the findings, returns the exit status."""
    hostdeps.ensure(list(hostdeps.LINT_PACKAGES), hostdeps.LINT_PACKAGES)
    groups = [("sparse", sparse(kernel)),
              ("checkpatch", checkpatch()),
              ("clang-tidy", clang_tidy(bdir)),
              ("pyflakes", pyflakes()),
              ("sanitizers", sanitizers())]
    total = 0
    for name, findings in groups:
        for f in findings:
            print(f"{name}: {f}")
        total += len(findings)
    counts = ", ".join(f"{name} {len(f)}" for name, f in groups)
    if total:
        print(ui.red(f"lint: {total} findings ({counts})"))
        return 1
    print(ui.green(f"lint: clean ({counts})"))
    return 0
