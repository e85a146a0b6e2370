# SPDX-License-Identifier: GPL-2.0
"""The commands that boot nothing of their own: lint, selfcheck, new,
doc-links and gen-dkms-conf."""

from .. import dkms, doclinks, lint as linters, scaffold, targets, ui
from .. import selfcheck as controls


def lint(args):
    """sparse, checkpatch.pl --strict, clang-tidy, pyflakes, ASan+UBSan
    unit tests."""
    target = targets.make(args, [args.kernel] if args.kernel else [])[0]
    return linters.run(target.kernel, target.bdir)


def selfcheck(args):
    return controls.run(args.controls)


def new(args):
    return scaffold.new(args.name)


def doc_links(args):
    problems = doclinks.check(fix=args.fix)
    for p in problems:
        print(p)
    print(f"{doclinks.count()} links to code lines in docs/, "
          f"{len(problems)} wrong")
    return 1 if problems else 0


def gen_dkms_conf(args):
    if args.check:
        stale = dkms.check()
        if stale is not None:
            raise ui.Fatal(stale)
        print("dkms.conf is up to date")
        return 0
    print(f"wrote {dkms.write()}")
    return 0
