# SPDX-License-Identifier: GPL-2.0
"""A project-private apt: its own sources, lists and cache under the cache dir.

Nothing here touches the host's package state.  The mirror is read from the
host's own apt sources at run time and never written into the repository.
"""

import glob
import os
import re
import subprocess

from . import ui

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def _host_sources():
    """Yield (uri, suites, components) from the host's apt configuration."""
    files = ["/etc/apt/sources.list"] + sorted(
        glob.glob("/etc/apt/sources.list.d/*.list")
        + glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    key, _, val = line.partition(":")
                    fields[key.strip().lower()] = val.split()
                if "deb" not in fields.get("types", []):
                    continue
                for uri in fields.get("uris", []):
                    yield uri, fields.get("suites", []), fields.get(
                        "components", [])
        else:
            for line in text.splitlines():
                line = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0])
                parts = line.split()
                if len(parts) >= 3 and parts[0] == "deb":
                    yield parts[1], [parts[2]], parts[3:]


def mirrors():
    """Return (archive_uri, security_uri or None) of the host's Debian mirror."""
    archive = security = None
    for uri, suites, _ in _host_sources():
        for suite in suites:
            if suite.endswith("-security") and security is None:
                security = uri
            elif re.fullmatch(r"[a-z]+(-updates|-backports)?", suite) \
                    and archive is None and "debian" in uri:
                archive = uri
    if archive is None:
        raise ui.Fatal("no Debian archive found in the host's apt sources "
                       "(/etc/apt/sources.list*)")
    return archive.rstrip("/"), security.rstrip("/") if security else None


class PrivateApt:
    """apt-get confined to a directory: used only to download .deb files."""

    def __init__(self, root, suites, arch="amd64"):
        self.root = root
        self.suites = suites  # e.g. ["bookworm", "bookworm-updates", ...]
        # The architecture of the packages it downloads: only this apt's
        # own, never added to the host's dpkg.
        self.arch = arch
        for sub in ("lists/partial", "cache/archives/partial", "etc/parts",
                    "etc/prefs"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        self.status = os.path.join(root, "status")
        if not os.path.exists(self.status):
            open(self.status, "w", encoding="utf-8").close()

    def _opts(self):
        r = self.root
        return ["-o", f"Dir::Etc::SourceList={r}/etc/sources.list",
                "-o", f"Dir::Etc::SourceParts={r}/etc/parts",
                "-o", f"Dir::Etc::Preferences={r}/etc/preferences",
                "-o", f"Dir::Etc::PreferencesParts={r}/etc/prefs",
                "-o", f"Dir::State::Lists={r}/lists",
                "-o", f"Dir::State::status={self.status}",
                "-o", f"Dir::Cache={r}/cache",
                "-o", f"APT::Architecture={self.arch}",
                "-o", "Debug::NoLocking=1",
                "-o", "Acquire::Languages=none",
                "-o", "APT::Get::AllowUnauthenticated=false",
                "-q"]

    def _write_sources(self):
        archive, security = mirrors()
        lines = []
        for suite in self.suites:
            uri = security if suite.endswith("-security") else archive
            if uri is None:
                continue
            lines.append(f"deb [signed-by={KEYRING}] {uri} {suite} main")
        path = os.path.join(self.root, "etc/sources.list")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    def update(self):
        self._write_sources()
        ui.run(["apt-get", *self._opts(), "update"], quiet=True)

    def policy_version(self, pkg):
        out = subprocess.run(["apt-cache", *self._opts(), "policy", pkg],
                             capture_output=True, text=True, check=False)
        m = re.search(r"Candidate:\s*(\S+)", out.stdout)
        if not m or m.group(1) == "(none)":
            return None
        return m.group(1)

    def depends(self, pkg):
        out = subprocess.run(["apt-cache", *self._opts(), "depends", pkg],
                             capture_output=True, text=True, check=False)
        deps = []
        for line in out.stdout.splitlines():
            m = re.match(r"\s*\|?(Pre)?Depends:\s*(\S+)", line)
            if m and not m.group(2).startswith("<"):
                deps.append(m.group(2))
        return deps

    def download(self, pkgs, dest):
        os.makedirs(dest, exist_ok=True)
        ui.run(["apt-get", *self._opts(), "download", *pkgs], cwd=dest,
               quiet=True)
