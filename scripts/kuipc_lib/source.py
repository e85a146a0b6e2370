# SPDX-License-Identifier: GPL-2.0
"""Debian's linux-source package: the kernel's own tools and sources.

Downloaded once through the project-private apt (bookworm-backports, the
suite of the 6.12 kernel) and kept as the .deb in the cache; lint takes
checkpatch.pl from it, the KTAP test takes the KUnit tool (kunit.py
parse) and the debug kernel is built from it. Nothing is installed on
the host.
"""

import glob
import os
import shutil
import subprocess

from . import kernels, ui

ALIAS = "6.12"


def deb():
    """(package name, path of the cached .deb), downloading it once."""
    dest = os.path.join(kernels.cache_dir(), "linux-source")
    found = glob.glob(os.path.join(dest, "linux-source-*.deb"))
    if found:
        name = os.path.basename(found[0]).split("_", 1)[0]
        return name, found[0]
    papt = kernels._private_apt(ALIAS)  # pylint: disable=protected-access
    with ui.step("fetch linux-source"):
        papt.update()
        pkg = next((d for d in papt.depends("linux-source")
                    if d.startswith("linux-source-")), None)
        if pkg is None:
            raise ui.Fatal("cannot resolve linux-source in "
                           f"{', '.join(papt.suites)}")
        tmp = dest + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        papt.download([pkg], tmp)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    return pkg, glob.glob(os.path.join(dest, "linux-source-*.deb"))[0]


def extract(dest, members=()):
    """Unpack the kernel tree (or only members, paths inside it) into dest,
    without the tarball's top directory."""
    pkg, path = deb()
    os.makedirs(dest, exist_ok=True)
    tarball = f"./usr/src/{pkg}.tar.xz"
    fsys = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", path],
                            stdout=subprocess.PIPE)
    inner = subprocess.Popen(["tar", "-xO", tarball], stdin=fsys.stdout,
                             stdout=subprocess.PIPE)
    fsys.stdout.close()
    files = subprocess.run(["tar", "-xJ", "-C", dest, "--strip-components=1",
                            *[f"{pkg}/{m}" for m in members]],
                           stdin=inner.stdout, check=False)
    inner.stdout.close()
    if files.returncode != 0 or inner.wait() != 0 or fsys.wait() != 0:
        raise ui.Fatal(f"cannot unpack {tarball} from {path}")
    return pkg


def unpacked(name, members):
    """members of the tree unpacked once into the cache's name/; returns
    that directory."""
    dest = os.path.join(kernels.cache_dir(), name)
    if os.path.exists(os.path.join(dest, ".ready")):
        return dest
    deb()
    with ui.step(f"unpack {', '.join(members)} from linux-source"):
        shutil.rmtree(dest, ignore_errors=True)
        pkg = extract(dest, members)
        with open(os.path.join(dest, ".ready"), "w", encoding="utf-8") as f:
            f.write(pkg + "\n")
    return dest


def kunit_tool():
    """The kernel's KUnit tool, tools/testing/kunit/kunit.py, whose
    `parse` reads KTAP."""
    return os.path.join(unpacked("kunit-tool", ("tools/testing/kunit",)),
                        "tools", "testing", "kunit", "kunit.py")
