# SPDX-License-Identifier: GPL-2.0
"""Debian kernels for the guest: fetched, unpacked and cached.

A kernel is named by an alias (6.1, 6.12, latest).  The first use resolves the
alias to a Debian kernel release through the project-private apt, downloads
the image and headers with `apt-get download` and unpacks them with `dpkg -x`.
Later uses read the cache only: no network, no apt.
"""

import dataclasses
import glob
import json
import os
import re
import shutil

from . import apt, ui

# alias -> (suites of the private apt, meta package of the cloud flavour)
ALIASES = {
    "6.1": (["bookworm", "bookworm-updates", "bookworm-security"],
            "linux-image-cloud-amd64"),
    "6.12": (["bookworm-backports"], "linux-image-cloud-amd64"),
    "latest": (["sid"], "linux-image-cloud-amd64"),
}
DEFAULT = "6.1"

# In-tree modules the suite needs when a kernel has them as modules (=m).
EXTRA_MODULES = {"CONFIG_CONFIGFS_FS": "configfs"}


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "kuipc")


@dataclasses.dataclass
class Kernel:
    """A kernel to build the modules for and to boot: a Debian kernel
    unpacked into the cache, a tree the user built, the debug kernel, or
    the host's own (--native, never booted)."""

    release: str
    root: str          # where its files are (a tree: the tree itself)
    kdir: str          # Kbuild's -C directory
    vmlinuz: str       # the image QEMU boots
    config: str        # its .config
    moddir: str        # its in-tree modules, for messages
    modules: str       # where its in-tree .ko files are searched
    kind: str = "debian"   # debian, tree, debug or native
    arch: str = "x86_64"
    memory_mb: int = 1024  # the guest's memory
    cmdline: str = ""      # kernel parameters of its own
    timeout_factor: int = 1  # how much slower its tests run

    def config_value(self, name):
        with open(self.config, encoding="utf-8") as f:
            for line in f:
                if line.startswith(name + "="):
                    return line.split("=", 1)[1].strip()
        return None

    def extra_modules(self):
        """In-tree .ko files the guest must load first (e.g. configfs)."""
        found = []
        for option, name in EXTRA_MODULES.items():
            if self.config_value(option) != "m":
                continue
            hits = glob.glob(os.path.join(self.modules, "**",
                                          f"{name}.ko*"), recursive=True)
            if not hits:
                raise ui.Fatal(f"{name}.ko not found in {self.moddir}")
            found.append(hits[0])
        return found


def _find(root, release, name, short):
    """A file of the image package: where it is put moved over the years
    (/boot and /lib before the /usr merge, /usr/lib/... after it)."""
    for pattern in (f"boot/{name}", f"usr/lib/modules/{release}/{short}",
                    f"usr/lib/linux-image-{release}/{short}"):
        hits = glob.glob(os.path.join(root, pattern), recursive=True)
        if hits:
            return hits[0]
    return None


def debian(release, root):
    """An unpacked Debian kernel: image, headers and in-tree modules."""
    kdir = os.path.join(root, "usr/src", f"linux-headers-{release}")
    mods = [os.path.join(root, d, release)
            for d in ("lib/modules", "usr/lib/modules")]
    moddir = next((d for d in mods
                   if os.path.isdir(os.path.join(d, "kernel"))), mods[0])
    return Kernel(
        release=release, root=root, kdir=kdir,
        vmlinuz=_find(root, release, f"vmlinuz-{release}", "vmlinuz") or
        os.path.join(root, "boot", f"vmlinuz-{release}"),
        config=_find(root, release, f"config-{release}", "config") or
        os.path.join(kdir, ".config"),
        moddir=moddir, modules=os.path.join(moddir, "kernel"))


def tree(path, kind="tree", **boot):
    """A kernel the user built: its build directory holds bzImage, .config,
    the in-tree modules and everything Kbuild needs to build ours. boot:
    the Kernel fields of a kind that boots differently (memory_mb...)."""
    kdir = os.path.abspath(path)
    rel = os.path.join(kdir, "include/config/kernel.release")
    vmlinuz = os.path.join(kdir, "arch/x86/boot/bzImage")
    config = os.path.join(kdir, ".config")
    for p in (rel, vmlinuz, config):
        if not os.path.exists(p):
            raise ui.Fatal(f"{path} is not a built x86 kernel tree: "
                           f"{p} is missing (run make there first)")
    with open(rel, encoding="utf-8") as f:
        release = f.read().strip()
    return Kernel(release=release, root=kdir, kdir=kdir, vmlinuz=vmlinuz,
                  config=config, moddir=kdir, modules=kdir, kind=kind,
                  **boot)


def _alias_file(alias):
    return os.path.join(cache_dir(), "kernels", f"alias-{alias}.json")


def _private_apt(alias):
    suites, _ = ALIASES[alias]
    return apt.PrivateApt(os.path.join(cache_dir(), "apt", alias), suites)


def _resolve(alias, papt):
    _, meta = ALIASES[alias]
    deps = [d for d in papt.depends(meta) if d.startswith("linux-image-")]
    if not deps:
        raise ui.Fatal(f"cannot resolve {meta} in {', '.join(papt.suites)}")
    return deps[0][len("linux-image-"):]


def _fix_headers(k):
    """Point the unpacked headers' absolute /usr/src paths into the cache.

    The Makefile is always rewritten from the packaged one (kept as
    Makefile.kuipc-orig at unpack time): Kbuild may regenerate a wrapper
    Makefile in an output directory, and the cache must not depend on what
    an earlier build did to it.
    """
    src = os.path.join(k.root, "usr/src")
    for mk in glob.glob(os.path.join(src, "*", "Makefile")):
        orig = mk + ".kuipc-orig"
        if not os.path.exists(orig):
            shutil.copy2(mk, orig)
        with open(orig, encoding="utf-8") as f:
            text = f.read()
        fixed = re.sub(r"^(include\s+|KBUILD_OUTPUT\s*:?=\s*)\S*/usr/src/",
                       rf"\g<1>{src}/", text, flags=re.M)
        with open(mk, encoding="utf-8") as f:
            current = f.read()
        if fixed != current:
            with open(mk, "w", encoding="utf-8") as f:
                f.write(fixed)


def _fetch(alias, release, dest):
    papt = _private_apt(alias)
    image = f"linux-image-{release}"
    headers = f"linux-headers-{release}"
    pkgs = [image, headers]
    # Newer images are split: linux-binary-* (vmlinuz), linux-modules-*.
    for dep in papt.depends(image):
        if dep.startswith(("linux-binary-", "linux-modules-")) or \
                dep == f"linux-base-{release}":
            pkgs.append(dep)
    for dep in papt.depends(headers):
        if dep.startswith(("linux-headers-", "linux-kbuild-")):
            pkgs.append(dep)
    debs = os.path.join(dest + ".debs")
    shutil.rmtree(debs, ignore_errors=True)
    with ui.step(f"fetch {', '.join(pkgs)}"):
        papt.download(pkgs, debs)
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with ui.step(f"unpack kernel {release}"):
        for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
            ui.run(["dpkg-deb", "-x", deb, tmp], quiet=True)
    for mk in glob.glob(os.path.join(tmp, "usr/src", "*", "Makefile")):
        shutil.copy2(mk, mk + ".kuipc-orig")
    shutil.rmtree(debs, ignore_errors=True)
    shutil.rmtree(dest, ignore_errors=True)  # an incomplete earlier fetch
    os.replace(tmp, dest)


def get(spec, refresh=False):
    """Return a ready Kernel for an alias (fetched on first use) or for
    the path of a kernel tree the user built."""
    if spec == "debug":
        from . import debugkernel  # pylint: disable=import-outside-toplevel
        return debugkernel.get()
    if spec not in ALIASES and os.path.isdir(spec):
        return tree(spec)
    if spec not in ALIASES:
        raise ui.Fatal(f"unknown kernel '{spec}' (known: "
                       f"{', '.join(ALIASES)}, debug, or the path of a "
                       "built kernel tree)")
    kroot = os.path.join(cache_dir(), "kernels")
    os.makedirs(kroot, exist_ok=True)
    release = None
    if not refresh and os.path.exists(_alias_file(spec)):
        with open(_alias_file(spec), encoding="utf-8") as f:
            release = json.load(f)["release"]
    if release is None:
        with ui.step(f"resolve kernel {spec} (private apt update)"):
            papt = _private_apt(spec)
            papt.update()
            release = _resolve(spec, papt)
        ui.info(f"kernel {spec} is {release}")
    dest = os.path.join(kroot, release)
    if not os.path.exists(os.path.join(dest, ".ready")):
        _fetch(spec, release, dest)
        open(os.path.join(dest, ".ready"), "w", encoding="utf-8").close()
    with open(_alias_file(spec), "w", encoding="utf-8") as f:
        json.dump({"release": release}, f)
    k = debian(release, dest)
    _fix_headers(k)  # idempotent; repairs a cache dir that was moved
    return k
