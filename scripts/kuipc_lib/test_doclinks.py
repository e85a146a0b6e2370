# SPDX-License-Identifier: GPL-2.0
"""Unit tests of doclinks.py on a tree of its own: a link that holds its
symbol passes, a moved one is reported and fixed, a link to no file or
naming no symbol is reported. Run by `scripts/kuipc test` as host tests."""

import os
import tempfile
import unittest

from kuipc_lib import doclinks

CODE = """\
/* a module */
#include <x.h>

static int kuipc_x_write(int a)
{
\treturn a;
}
"""

PAGE = """\
The write is [`kuipc_x_write()`](../modules/x/x.c#L4).
Moved: [`kuipc_x_write()`](../modules/x/x.c#L2) and
[the writer](../modules/x/x.c#L1 "kuipc_x_write").
Gone: [`nothing()`](../modules/x/none.c#L1).
Vague: [the code](../modules/x/x.c#L4).
Unknown: [`kuipc_y()`](../modules/x/x.c#L4).
Not ours: [x](https://example.org/x.c#L3).
"""


class DocLinks(unittest.TestCase):
    def setUp(self):
        self.root = self.enterContext(tempfile.TemporaryDirectory())
        for rel, text in (("modules/x/x.c", CODE), ("docs/x.md", PAGE)):
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)

    def _page(self):
        with open(os.path.join(self.root, "docs/x.md"),
                  encoding="utf-8") as f:
            return f.read()

    def test_each_wrong_link_is_reported(self):
        self.assertEqual(doclinks.count(self.root), 6)
        self.assertEqual(doclinks.check(root=self.root), [
            "docs/x.md: [`kuipc_x_write()`](../modules/x/x.c#L2): line 2 "
            "does not hold kuipc_x_write (it is at line 4)",
            "docs/x.md: [the writer](../modules/x/x.c#L1): line 1 does not "
            "hold kuipc_x_write (it is at line 4)",
            "docs/x.md: [`nothing()`](../modules/x/none.c#L1): no such file",
            "docs/x.md: [the code](../modules/x/x.c#L4): the link names no "
            "symbol (add one as its title)",
            "docs/x.md: [`kuipc_y()`](../modules/x/x.c#L4): line 4 does not "
            "hold kuipc_y (not found in the file)"])
        self.assertEqual(self._page(), PAGE)

    def test_fix_moves_links_to_the_definition(self):
        problems = doclinks.check(fix=True, root=self.root)
        self.assertEqual(len(problems), 3)
        page = self._page()
        self.assertIn("Moved: [`kuipc_x_write()`](../modules/x/x.c#L4) and"
                      "\n[the writer](../modules/x/x.c#L4 \"kuipc_x_write\")",
                      page)
        self.assertIn("[`nothing()`](../modules/x/none.c#L1)", page)
        self.assertEqual(len(doclinks.check(root=self.root)), 3)


if __name__ == "__main__":
    unittest.main()
