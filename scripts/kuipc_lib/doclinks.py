# SPDX-License-Identifier: GPL-2.0
"""Links from docs/*.md to lines of our code, kept true.

A page links to the line that defines what it names:

    [`kuipc_procfs_write()`](../modules/procfs/kuipc_procfs.c#L120)

The link text names a symbol (backticks and a trailing "()" are ignored;
for a text that is not an identifier, e.g. "the policy", put the symbol
after a colon in the title: [the policy](../x.c#L40 "kuipc_genl_policy")).
`kuipc test` fails when such a line no longer holds its symbol;
scripts/doc-links --fix moves each link to the symbol's definition.
"""

import glob
import os
import re

from . import build

_LINK = re.compile(r"\[([^\]\n]+)\]\((\.\./(?:modules|userspace|scripts)/"
                   r"[^)#\s]+)#L(\d+)(?:\s+\"([^\"]+)\")?\)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_:]*")


def _symbol(text, title):
    if title:
        return title
    s = text.strip().strip("`").strip()
    if s.endswith("()"):
        s = s[:-2]
    s = s.split("::")[-1] if "::" in s else s
    return s if _IDENT.fullmatch(s) else None


def _holds(line, sym):
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(sym)}(?![A-Za-z0-9_])",
                     line) is not None


def _definition(lines, sym):
    """1-based line of sym's definition: a line starting (after qualifiers
    and a type) with it and an opening parenthesis, brace or '='; else its
    first #define; else its first mention."""
    word = rf"(?<![A-Za-z0-9_]){re.escape(sym)}(?![A-Za-z0-9_])"
    patterns = [rf"^#define\s+{re.escape(sym)}\b",
                rf"^[A-Za-z_][^;]*{word}\s*\((?!.*;\s*$)",
                rf"^(struct|enum|union|class)\s+{re.escape(sym)}\b[^;]*$",
                rf"^(static\s+)?(const\s+)?[A-Za-z_][^;(]*{word}\s*(\[|=)",
                rf"^\s+{word}\s*[,=(]",
                word]
    for pat in patterns:
        for i, line in enumerate(lines):
            if re.search(pat, line):
                return i + 1
    return None


def _pages(root):
    return sorted(glob.glob(os.path.join(root, "docs", "*.md")))


def check(fix=False, root=build.REPO):
    """Return a list of problems; with fix, rewrite what can be fixed.
    root: the tree whose docs/ is read."""
    problems = []
    for page in _pages(root):
        with open(page, encoding="utf-8") as f:
            text = f.read()
        cache = {}

        def lines_of(rel, page=page, cache=cache):
            path = os.path.normpath(os.path.join(os.path.dirname(page), rel))
            if path not in cache:
                try:
                    with open(path, encoding="utf-8") as f:
                        cache[path] = f.read().splitlines()
                except OSError:
                    cache[path] = None
            return cache[path]

        def repl(m, page=page, lines_of=lines_of):
            text_, rel, num, title = m.group(1), m.group(2), int(m.group(3)), \
                m.group(4)
            where = f"{os.path.relpath(page, root)}: [{text_}]({rel}" \
                f"#L{num})"
            sym = _symbol(text_, title)
            lines = lines_of(rel)
            if lines is None:
                problems.append(f"{where}: no such file")
                return m.group(0)
            if sym is None:
                problems.append(f"{where}: the link names no symbol (add "
                                "one as its title)")
                return m.group(0)
            if 1 <= num <= len(lines) and _holds(lines[num - 1], sym):
                return m.group(0)
            found = _definition(lines, sym)
            if not fix or found is None:
                problems.append(f"{where}: line {num} does not hold {sym}" +
                                (f" (it is at line {found})" if found
                                 else " (not found in the file)"))
                return m.group(0)
            return m.group(0).replace(f"#L{num}", f"#L{found}", 1)

        new = _LINK.sub(repl, text)
        if fix and new != text:
            with open(page, "w", encoding="utf-8") as f:
                f.write(new)
    return problems


def count(root=build.REPO):
    n = 0
    for page in _pages(root):
        with open(page, encoding="utf-8") as f:
            n += len(_LINK.findall(f.read()))
    return n
