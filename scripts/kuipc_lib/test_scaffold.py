# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scaffold.py (`kuipc new`): a pair is written from the
templates into a tree, and a bad or taken name is refused. Run by
`scripts/kuipc test` as host tests."""

import os
import tempfile
import unittest

from kuipc_lib import scaffold, ui

FILES = ["docs/demoname.md",
         "modules/demoname/Kbuild",
         "modules/demoname/kuipc_demoname.c",
         "modules/include/uapi/kuipc/demoname.h",
         "userspace/bench/demoname.cpp",
         "userspace/demoname/demoname.cpp",
         "userspace/demoname/demoname.hpp",
         "userspace/demoname/main.cpp",
         "userspace/demoname/meson.build",
         "userspace/fuzz/demoname.cpp",
         "userspace/tests/demoname.cpp",
         "userspace/tests/unit/demoname.cpp"]


class Scaffold(unittest.TestCase):
    def setUp(self):
        self.root = self.enterContext(tempfile.TemporaryDirectory())

    def _files(self):
        found = []
        for top, _, names in os.walk(self.root):
            found += [os.path.relpath(os.path.join(top, n), self.root)
                      for n in names]
        return sorted(found)

    def test_a_pair_is_written_with_its_name_everywhere(self):
        written = scaffold.write("demoname", self.root)
        self.assertEqual(sorted(written), FILES)
        self.assertEqual(self._files(), FILES)
        for rel in FILES:
            with open(os.path.join(self.root, rel), encoding="utf-8") as f:
                text = f.read()
            self.assertNotIn("@NAME", text, rel)
            self.assertIn("demoname", text, rel)
        with open(os.path.join(self.root, "modules/demoname/Kbuild"),
                  encoding="utf-8") as f:
            self.assertIn("kuipc_demoname.o", f.read())
        with open(os.path.join(self.root,
                               "modules/include/uapi/kuipc/demoname.h"),
                  encoding="utf-8") as f:
            self.assertIn("DEMONAME", f.read())
        # The bench and the fuzzer find the pair by its file, which
        # registers it under the pair's name.
        for rel, reg in (("userspace/bench/demoname.cpp",
                          'Register reg("demoname"'),
                         ("userspace/fuzz/demoname.cpp",
                          'Register reg({"demoname"')):
            with open(os.path.join(self.root, rel), encoding="utf-8") as f:
                self.assertIn(reg, f.read(), rel)

    def test_bad_and_reserved_names_are_refused(self):
        for name in ("Demo", "9lives", "x", "a-b", "seventeen_letters",
                     "class", "tests", "kuipc", "bench", "fuzz"):
            with self.assertRaises(ui.Fatal, msg=name):
                scaffold.write(name, self.root)
        self.assertEqual(self._files(), [])

    def test_a_taken_name_is_refused_and_nothing_is_written(self):
        with self.assertRaisesRegex(ui.Fatal, "already a mechanism"):
            scaffold.write("procfs", self.root, ["procfs"])
        os.makedirs(os.path.join(self.root, "userspace", "demoname"))
        with self.assertRaisesRegex(ui.Fatal, "exists already: "
                                    "userspace/demoname"):
            scaffold.write("demoname", self.root)
        self.assertEqual(self._files(), [])
        scaffold.write("othername", self.root)
        with self.assertRaisesRegex(ui.Fatal, "docs/othername.md"):
            scaffold.write("othername", self.root)


if __name__ == "__main__":
    unittest.main()
