# SPDX-License-Identifier: GPL-2.0
"""Unit tests of cli.py: the command line of the front door parses into
the attributes each command reads. Run by `scripts/kuipc test` as host
tests."""

import contextlib
import io
import unittest

from kuipc_lib import cli, kernels
from kuipc_lib.commands import COMMANDS

# What the commands read, by command (commands/*.py and targets.make()).
READS = {
    "test": {"kernel", "accel", "refresh", "native", "compat32", "builddir",
             "strict", "faults", "host_timeout", "only", "json", "timeout",
             "coverage", "jobs", "junit", "table", "vm_only", "host_tests",
             "ktap", "shard"},
    "merge": {"shards", "json", "junit", "ktap"},
    "demo": {"kernel", "accel", "refresh", "native", "compat32", "builddir",
             "mechs"},
    "bench": {"kernel", "accel", "refresh", "native", "compat32",
              "builddir", "only", "json", "chart", "profile"},
    "fuzz": {"kernel", "accel", "refresh", "native", "compat32", "builddir",
             "only", "seconds", "seed"},
    "shell": {"kernel", "accel", "refresh", "native", "compat32",
              "builddir"},
    "lint": {"kernel", "accel", "refresh", "native", "compat32",
             "builddir"},
    "selfcheck": {"controls"},
    "new": {"name"},
    "doc-links": {"fix"},
    "gen-dkms-conf": {"check"},
}
READS["matrix"] = READS["vm-suite"] = READS["test"]


def _exit(argv):
    """(exit status, stdout, stderr) of argparse leaving on argv."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with unittest.TestCase().assertRaises(SystemExit) as cm:
            cli.parse(argv)
    return cm.exception.code, out.getvalue(), err.getvalue()


class Parse(unittest.TestCase):
    def test_every_command_has_all_it_reads(self):
        argv = {"new": ["new", "x"], "merge": ["merge", "a.json"]}
        self.assertEqual(set(COMMANDS), set(READS))
        for cmd, reads in READS.items():
            args = vars(cli.parse(argv.get(cmd, [cmd])))
            self.assertEqual(args["cmd"], cmd)
            self.assertLessEqual(reads, set(args), cmd)

    def test_only_takes_lists_and_repeats(self):
        for cmd in ("test", "matrix", "vm-suite", "bench", "fuzz"):
            args = cli.parse([cmd, "--only", "procfs,sysfs,", "--only",
                              "udp"])
            self.assertEqual(args.only, ["procfs", "sysfs", "udp"], cmd)
            self.assertEqual(cli.parse([cmd]).only, [], cmd)

    def test_the_three_suite_commands_differ_only_in_their_defaults(self):
        test, matrix, vm = (cli.parse([c]) for c in
                            ("test", "matrix", "vm-suite"))
        self.assertEqual((test.host_tests, test.table, test.vm_only,
                          test.jobs, test.kernel), (True, False, False, 1,
                                                    None))
        self.assertEqual((matrix.host_tests, matrix.table, matrix.vm_only,
                          matrix.jobs, matrix.kernel),
                         (False, True, False, cli.DEFAULT_JOBS,
                          list(kernels.ALIASES)))
        self.assertEqual((vm.host_tests, vm.table, vm.vm_only, vm.native,
                          vm.coverage), (False, False, True, False, False))

    def test_options_keep_their_values(self):
        args = cli.parse(["test", "--kernel", "6.1", "--kernel", "debug",
                          "--strict", "--faults", "--host-timeout", "120",
                          "--timeout", "9", "--json", "x.json", "--native",
                          "--accel", "tcg"])
        self.assertEqual((args.kernel, args.strict, args.faults,
                          args.host_timeout, args.timeout, args.json,
                          args.native, args.accel),
                         (["6.1", "debug"], True, True, 120, 9, "x.json",
                          True, "tcg"))
        args = cli.parse(["matrix", "--kernel", "6.12", "--jobs", "2",
                          "--junit", "j.xml"])
        self.assertEqual((args.kernel, args.jobs, args.junit),
                         (["6.12"], 2, "j.xml"))
        args = cli.parse(["fuzz", "--seconds", "5", "--seed", "7",
                          "--kernel", "latest"])
        self.assertEqual((args.seconds, args.seed, args.kernel, args.native),
                         (5, 7, "latest", False))
        self.assertEqual(cli.parse(["demo", "procfs", "udp"]).mechs,
                         ["procfs", "udp"])
        self.assertEqual(cli.parse(["selfcheck", "a", "b"]).controls,
                         ["a", "b"])

    def test_compat32_is_off_unless_asked(self):
        for cmd in ("test", "matrix", "vm-suite", "demo", "bench", "fuzz",
                    "shell", "lint"):
            self.assertFalse(cli.parse([cmd]).compat32, cmd)
        for argv in (["test", "--compat32", "--strict"],
                     ["matrix", "--compat32"], ["demo", "--compat32", "udp"],
                     ["bench", "--compat32"]):
            self.assertTrue(cli.parse(argv).compat32, argv)
        code, _, err = _exit(["lint", "--compat32"])
        self.assertEqual(code, 2)
        self.assertIn("--compat32", err)

    def test_matrix_kernels_default_to_every_alias_without_sharing_it(self):
        first = cli.parse(["matrix"])
        first.kernel.append("mine")
        self.assertEqual(cli.parse(["matrix"]).kernel, list(kernels.ALIASES))

    def test_bad_command_lines_exit_2(self):
        for argv in ([], ["nope"], ["test", "--accel", "xen"],
                     ["fuzz", "--native"], ["shell", "--only", "procfs"],
                     ["test", "--timeout", "soon"]):
            code, _, err = _exit(argv)
            self.assertEqual(code, 2, argv)
            self.assertIn("usage: kuipc", err)

    def test_help_names_the_commands(self):
        code, out, _ = _exit(["--help"])
        self.assertEqual(code, 0)
        self.assertIn("{test,matrix,merge,demo,bench,fuzz,shell,lint,"
                      "selfcheck,new}", out)
        code, out, _ = _exit(["test", "--help"])
        self.assertEqual(code, 0)
        for flag in ("--kernel K", "--accel {auto,tcg,kvm}", "--native",
                     "--strict", "--faults", "--host-timeout SECONDS",
                     "--only MECH", "--json FILE", "--timeout TIMEOUT",
                     "--coverage", "--ktap FILE", "--shard I/N"):
            self.assertIn(flag, out)

    def test_shard_is_i_of_n(self):
        self.assertEqual(cli.parse(["test", "--shard", "2/3"]).shard, (2, 3))
        self.assertIsNone(cli.parse(["matrix"]).shard)
        for bad in ("0/3", "4/3", "1", "a/b", "1/0"):
            code, _, err = _exit(["matrix", "--shard", bad])
            self.assertEqual(code, 2, bad)
            self.assertIn("--shard", err)


if __name__ == "__main__":
    unittest.main()
