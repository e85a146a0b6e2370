# SPDX-License-Identifier: GPL-2.0
"""dkms.conf at the repository root, generated from the mechanism list.

DKMS needs every module named explicitly, so the file is written by
scripts/gen-dkms-conf (and by `kuipc new`), and `kuipc test` checks that it
is up to date before booting anything.
"""

import os
import re

from . import build

PATH = os.path.join(build.REPO, "dkms.conf")


def version():
    """The project version from meson.build's project() call."""
    with open(os.path.join(build.REPO, "meson.build"), encoding="utf-8") as f:
        m = re.search(r"project\([^)]*?version\s*:\s*'([^']+)'", f.read(),
                      re.S)
    if not m:
        raise RuntimeError("no version in meson.build's project()")
    return m.group(1)


def render(mechs=None):
    mechs = build.mechs() if mechs is None else mechs
    tree = "${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build"
    lines = [
        "# SPDX-License-Identifier: GPL-2.0",
        "# DKMS configuration: builds every module of the suite against the",
        "# running (or given) kernel's headers with the top-level Kbuild.",
        "# Generated from the mechanism list by scripts/gen-dkms-conf: do not",
        "# edit; `scripts/kuipc test` fails when it is out of date.",
        'PACKAGE_NAME="kuipc"',
        f'PACKAGE_VERSION="{version()}"',
        f'MAKE[0]="make -C ${{kernel_source_dir}} M={tree} modules"',
        f'CLEAN="make -C ${{kernel_source_dir}} M={tree} clean"',
        'AUTOINSTALL="yes"',
    ]
    for i, m in enumerate(mechs):
        lines += [
            "",
            f'BUILT_MODULE_NAME[{i}]="kuipc_{m}"',
            f'BUILT_MODULE_LOCATION[{i}]="modules/{m}/"',
            f'DEST_MODULE_LOCATION[{i}]="/extra"',
        ]
    return "\n".join(lines) + "\n"


def write():
    text = render()
    with open(PATH, "w", encoding="utf-8") as f:
        f.write(text)
    return PATH


def check():
    """None when dkms.conf matches the mechanism list, else what is wrong."""
    try:
        with open(PATH, encoding="utf-8") as f:
            have = f.read()
    except OSError as e:
        return f"cannot read dkms.conf: {e}"
    if have == render():
        return None
    listed = set(re.findall(r'^BUILT_MODULE_NAME\[\d+\]="kuipc_(\w+)"',
                            have, re.M))
    mechs = set(build.mechs())
    parts = []
    if mechs - listed:
        parts.append("missing " + ", ".join(sorted(mechs - listed)))
    if listed - mechs:
        parts.append("extra " + ", ".join(sorted(listed - mechs)))
    what = "; ".join(parts) or "contents differ"
    return f"dkms.conf is stale ({what}): run scripts/gen-dkms-conf"
