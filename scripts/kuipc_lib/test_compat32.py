# SPDX-License-Identifier: GPL-2.0
"""Unit tests of --compat32 (compat32.py and its target in targets.py):
the cross file, the kernel parameters, the guest's boot line, image and
working directory, and the JSON entry's arch and abi. Run by
`scripts/kuipc test` as host tests."""

import io
import os
import tempfile
import unittest
from unittest import mock

from kuipc_lib import cli, compat32, kernels, results, targets, ui
from kuipc_lib.commands import suite


def _kernel(tmp, config, arch="x86_64"):
    path = os.path.join(tmp, "config")
    with open(path, "w", encoding="utf-8") as f:
        f.write(config)
    return kernels.Kernel(release="6.1.0-fake", root=tmp, kdir=tmp,
                          vmlinuz=path, config=path, moddir=tmp,
                          modules=tmp, arch=arch)


class Compat32(unittest.TestCase):
    def test_cross_file_builds_i386_against_the_sysroot(self):
        text = compat32.cross_file("/sr")
        for want in ("c = ['gcc', '-m32']", "cpp = ['g++', '-m32']",
                     "cpu_family = 'x86'", "sys_root = '/sr'",
                     "/sr/usr/lib/i386-linux-gnu/pkgconfig",
                     "-L/sr/lib/i386-linux-gnu"):
            self.assertIn(want, text)

    def test_boot_params_follow_the_kernel_config(self):
        with tempfile.TemporaryDirectory() as tmp:
            on = "CONFIG_IA32_EMULATION=y\n"
            self.assertEqual(compat32.boot_params(_kernel(tmp, on)), "")
            off = on + "CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y\n"
            self.assertEqual(compat32.boot_params(_kernel(tmp, off)),
                             " ia32_emulation=1")
            with self.assertRaises(ui.Fatal):
                compat32.boot_params(_kernel(tmp, "# none\n"))

    def test_guest_boots_with_its_image_params_and_workdir(self):
        with tempfile.TemporaryDirectory() as tmp:
            k = _kernel(tmp, "CONFIG_IA32_EMULATION=y\n"
                        "CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y\n")
            t = targets.Compat32Guest(k, "/b32", "tcg")
            self.assertEqual(t.abi, "compat32")
            self.assertTrue(t.workdir("test").endswith(
                "6.1.0-fake-compat32"))
            t.image = "/img"
            job = targets.Job("test", ["udp"], "run udp")
            with mock.patch.object(targets.vm, "boot") as boot, \
                    mock.patch.object(ui, "PROGRESS", io.StringIO()), \
                    mock.patch.object(ui, "info"):
                t.run(job, print)
            append = boot.call_args[0][2]
            self.assertTrue(append.endswith(" ia32_emulation=1"), append)
            self.assertIn("kuipc.only=udp", append)
            with self.assertRaises(ui.Fatal):
                targets.Compat32Guest(_kernel(tmp, "", arch="arm64"),
                                      "/b32", "tcg")

    def test_native_refuses_it(self):
        args = cli.parse(["test", "--native", "--compat32"])
        with self.assertRaises(ui.Fatal):
            targets.make(args, [])

    def test_json_entry_names_arch_and_abi(self):
        class Run:
            accel, wall_s, exit_code, problem, console_tail = \
                "tcg", 1.0, 0, None, ""
        with tempfile.TemporaryDirectory() as tmp:
            t = targets.Compat32Guest(
                _kernel(tmp, "CONFIG_IA32_EMULATION=y\n"), "/b32", "tcg")
            t.prepare = mock.Mock()
            t.run = mock.Mock(return_value=Run())
            t.console = mock.Mock(return_value=("", "/w"))
            args = cli.parse(["test", "--compat32"])
            tap = results.Tap(io.StringIO())
            with mock.patch.object(ui, "PROGRESS", io.StringIO()):
                entry, = suite._suite(  # pylint: disable=protected-access
                    args, tap, [("6.1", t, ["udp"])])
        self.assertEqual((entry["arch"], entry["abi"], entry["spec"]),
                         ("x86_64", "compat32", "6.1"))


if __name__ == "__main__":
    unittest.main()
