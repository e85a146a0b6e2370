# SPDX-License-Identifier: GPL-2.0
"""`kuipc new NAME`: a new pair from scripts/templates/pair.

The template tree mirrors the repository: each file's path and contents
have @NAME@ and @NAME_UPPER@ replaced, and the trailing ".in" dropped (so
neither Kbuild nor Meson ever sees a template as one of its own files).
"""

import os
import re

from . import build, dkms, ui

TEMPLATES = os.path.join(build.REPO, "scripts", "templates", "pair")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,15}$")

# The name becomes a C++ namespace and part of C and Meson identifiers.
_RESERVED = frozenset("""
    alignas alignof and and_eq asm auto bitand bitor bool break case catch
    char char8_t char16_t char32_t class compl concept const consteval
    constexpr constinit const_cast continue co_await co_return co_yield
    decltype default delete do double dynamic_cast else enum explicit export
    extern false float for friend goto if inline int long mutable namespace
    new noexcept not not_eq nullptr operator or or_eq private protected
    public register reinterpret_cast requires return short signed sizeof
    static static_assert static_cast struct switch template this
    thread_local throw true try typedef typeid typename union unsigned using
    virtual void volatile wchar_t while xor xor_eq
    common tests include unit runner support bench fuzz faults std kuipc
""".split())


def _templates():
    for top, _, files in os.walk(TEMPLATES):
        for name in sorted(files):
            if name.endswith(".in"):
                yield os.path.relpath(os.path.join(top, name), TEMPLATES)


def _subst(text, name):
    return text.replace("@NAME_UPPER@", name.upper()).replace("@NAME@", name)


def targets(name):
    """[(template path, repository-relative output path)]."""
    return [(os.path.join(TEMPLATES, rel), _subst(rel[:-len(".in")], name))
            for rel in _templates()]


def _check(name, root, known):
    """Refuse a name that is malformed, reserved or taken under root
    (known: the mechanisms there)."""
    if not NAME_RE.match(name):
        raise ui.Fatal(f"bad name '{name}': it must match "
                       f"{NAME_RE.pattern} (lower case, digits, '_', "
                       "2 to 16 characters)")
    if name in known:
        raise ui.Fatal(f"'{name}' is already a mechanism (modules/{name})")
    if name in _RESERVED:
        raise ui.Fatal(f"'{name}' is reserved (a C++ keyword or a directory "
                       "of the build)")
    taken = [rel for _, rel in targets(name)
             if os.path.lexists(os.path.join(root, rel))]
    # A directory of that name under modules/ or userspace/ is taken too.
    for top in ("modules", "userspace"):
        rel = os.path.join(top, name)
        if os.path.lexists(os.path.join(root, rel)) and rel not in taken:
            taken.append(rel)
    if taken:
        raise ui.Fatal(f"'{name}' exists already: {', '.join(sorted(taken))}")


def write(name, root, known=()):
    """Write the pair's files under root; returns their paths, relative
    to root, in the order written."""
    _check(name, root, known)
    written = []
    for src, rel in targets(name):
        with open(src, encoding="utf-8") as f:
            text = _subst(f.read(), name)
        dst = os.path.join(root, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w", encoding="utf-8") as f:
            f.write(text)
        written.append(rel)
    return written


def new(name):
    """`kuipc new NAME`: the pair's files in this tree, and dkms.conf."""
    for rel in write(name, build.REPO, build.mechs()):
        print(f"  created {rel}")
    dkms.write()
    print("  updated dkms.conf")
    print(f"next: scripts/kuipc test --only {name}   "
          f"(then scripts/kuipc demo {name}, "
          f"scripts/kuipc bench --only {name})")
    return 0
