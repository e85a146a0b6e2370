# SPDX-License-Identifier: GPL-2.0
"""Writers of a run's results: the JSON files, JUnit XML and the
terminal tables (kernel x mechanism for matrix, the benchmark's rows)."""

import json
import re
import sys
import xml.etree.ElementTree as ET

from . import results


def write_json(path, data):
    """data as indented JSON, with a final newline."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def run_json(tap, entries, coverage=None):
    """The JSON of `test` and `matrix`: the totals of the TAP stream, one
    entry per kernel (with its results: tests) and the host's own results
    (host); coverage (a dict, or None when not asked for) at the top
    level, and so are the fault-injection figures of a run on one kernel
    (each entry keeps its own)."""
    out = {"ok": tap.failed == 0 and all(e["ok"] for e in entries),
           "strict": tap.strict, "passed": tap.passed,
           "failed": tap.failed, "skipped": tap.skipped,
           "kernels": entries, "host": results.tests_of(tap, "host")}
    if coverage is not None:
        out["coverage"] = coverage
    if len(entries) == 1 and "faults" in entries[0]:
        out["faults"] = entries[0]["faults"]
    return out


def _cases(run):
    """(suite, test) of each result of a run's JSON: the host's, then
    each kernel's."""
    for t in run.get("host", []):
        yield "host", t
    for e in run["kernels"]:
        for t in e.get("tests", []):
            yield e["kernel"], t


def lava_cases(run):
    """(test case id, result) of each result of a run's JSON, for LAVA's
    lava-test-case: ids of letters, digits, '_', '.' and '-' only, made
    unique; result pass, fail or skip."""
    seen = set()
    for source, t in _cases(run):
        case = re.sub(r"[^A-Za-z0-9_.-]+", "_",
                      f"{source}.{t['name']}").strip("_")[:100]
        unique, n = case, 1
        while unique in seen:
            n += 1
            unique = f"{case}-{n}"
        seen.add(unique)
        yield unique, t["status"]


def write_junit(path, run):
    """JUnit XML of a run's JSON: a test suite per kernel (and the host),
    a test case per TAP line."""
    root = ET.Element("testsuites")
    suites = {}
    for source, t in _cases(run):
        suite = suites.get(source)
        if suite is None:
            suite = suites[source] = ET.SubElement(
                root, "testsuite", name=source, tests="0", failures="0",
                skipped="0")
        desc = t["name"]
        mech = desc.split(":", 1)[0] if ":" in desc else source
        case = ET.SubElement(suite, "testcase", classname=f"{source}.{mech}",
                             name=desc)
        suite.set("tests", str(int(suite.get("tests")) + 1))
        directive = t.get("directive", "")
        if t["status"] == "skip":
            ET.SubElement(case, "skipped", message=directive[4:].strip())
            suite.set("skipped", str(int(suite.get("skipped")) + 1))
        elif t["status"] == "fail":
            ET.SubElement(case, "failure", message=desc + (
                f" # {directive}" if directive else "")).text = \
                "\n".join(t.get("diag", []))
            suite.set("failures", str(int(suite.get("failures")) + 1))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


# Lines on which the kernel's KTAP readers stop reading (kunit_parser.py's
# KTAP_END): in a diagnostic they get a space before each colon.
_KTAP_END = ("List of all partitions:", "Kernel panic - not syncing: VFS:",
             "reboot: System halted")


def _ktap_diag(text):
    for marker in _KTAP_END:
        text = text.replace(marker, marker.replace(":", " :"))
    return f"# {text}".rstrip()


def _ktap_name(text, prefix):
    """A test's name: its description without the group's prefix, and
    without '#', which ends a KTAP name."""
    if text.startswith(prefix):
        text = text[len(prefix):]
    return text.replace("#", "%23").strip() or "(unnamed)"


def _ktap_test(n, t, prefix):
    """The lines of one test: its diagnostics, then its result. Only a
    skip that was not failed (--strict) keeps the SKIP directive; other
    directives become diagnostics."""
    lines = [_ktap_diag(d) for d in t.get("diag", [])]
    directive = t.get("directive", "")
    name = _ktap_name(t["name"], prefix)
    if t["status"] == "skip":
        return lines + [f"ok {n} {name} # {directive}".rstrip()]
    if directive:
        lines.append(_ktap_diag(directive + (
            " (a skip fails under --strict)"
            if directive.upper().startswith("SKIP") else "")))
    return lines + [f"{'ok' if t['status'] == 'pass' else 'not ok'} {n} "
                    f"{name}"]


def _status(node):
    """A group's status: failed if one of its tests failed, skipped if all
    were skipped, else passed."""
    if "tests" not in node:
        return node["status"]
    statuses = {_status(c) for c in node["tests"]}
    if "fail" in statuses:
        return "fail"
    return "skip" if statuses == {"skip"} else "pass"


def _ktap_block(children, depth, name=None, diag=()):
    """A KTAP version line, plan and tests, indented by depth; a group
    (a dict with tests) nests its own block."""
    pad = "  " * depth
    out = [f"{pad}KTAP version 1"]
    if name is not None:
        out.append(f"{pad}# Subtest: {name}")
    out += [pad + _ktap_diag(d) for d in diag]
    out.append(f"{pad}1..{len(children)}")
    for n, child in enumerate(children, 1):
        if "tests" not in child:
            out += [pad + ln for ln in _ktap_test(n, child,
                                                  child.get("prefix", ""))]
            continue
        out += _ktap_block(child["tests"], depth + 1, child["name"],
                           child.get("diag", ()))
        status = _status(child)
        out.append(f"{pad}{'not ok' if status == 'fail' else 'ok'} {n} "
                   f"{child['name']}" + (" # SKIP" if status == "skip"
                                         else ""))
    return out


def _kernel_groups(entry):
    """A kernel's tests as KTAP children: a group per mechanism (its
    tests, load, unload, cycles, log and memory checks), where its first
    line came, and the kernel's own checks (the guest's and the host's)."""
    children, groups = [], {}
    for t in entry.get("tests", []):
        mech = next((m for m in entry.get("mechs", [])
                     if t["name"].startswith(f"{m}: ")), None)
        if mech is None:
            children.append(dict(t, prefix=f"{entry['kernel']}: "))
            continue
        if mech not in groups:
            groups[mech] = {"name": mech, "tests": []}
            children.append(groups[mech])
        groups[mech]["tests"].append(dict(t, prefix=f"{mech}: "))
    return children


def ktap(run):
    """A run's JSON as nested KTAP version 1 lines: a suite for the host's
    checks, one per kernel, in it one per mechanism."""
    suites = []
    if run.get("host"):
        suites.append({"name": "host", "tests": [
            dict(t, prefix="host: ") for t in run["host"]]})
    for e in run["kernels"]:
        diag = [f"kernel {e['kernel']}, {e.get('accel', '?')}, "
                f"{e.get('wall_s', 0)}s"]
        if "error" in e:
            diag.append(f"error: {e['error']}")
        suites.append({"name": e["kernel"], "tests": _kernel_groups(e),
                       "diag": diag})
    suites = [s for s in suites if s["tests"]]
    return _ktap_block(suites, 0, diag=[
        f"kuipc: {run['passed']} passed, {run['failed']} failed, "
        f"{run['skipped']} skipped" + (" (strict)" if run.get("strict")
                                       else "")])


def write_ktap(path, run):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(ktap(run)) + "\n")


def _cell(r):
    """One mechanism's cell of the matrix table."""
    if r is None:
        return "-"
    if r["failed"] or not (r["load_ok"] and r["unload_ok"]
                           and r["dmesg_clean"]):
        return f"FAIL {r['failed']}"
    return f"ok {r['passed']}"


def print_table(entries, mechs, out):
    """kernel x mechanism: passed count, or what went wrong."""
    width = max([len(e["kernel"]) for e in entries] + [6])
    cols = [max(len(m), 8) for m in mechs]
    print("", file=out)
    print("kernel".ljust(width) + "  " + "  ".join(
        m.ljust(c) for m, c in zip(mechs, cols)) + "  wall", file=out)
    for e in entries:
        cells = [_cell(e["mechanisms"].get(m)).ljust(c)
                 for m, c in zip(mechs, cols)]
        print(e["kernel"].ljust(width) + "  " + "  ".join(cells) +
              f"  {e['wall_s']}s" + (f"  ({e['error']})" if "error" in e
                                     else ""), file=out)
    print("", file=out, flush=True)


def bench_json(res, accel, release):
    """The JSON of `bench` from the KUIPC-BENCH line of the program."""
    return {"kernel": res.get("kernel", release), "accel": accel,
            "vcpus": res.get("vcpus"), "baseline": res["baseline"],
            "method": res.get("method", {}),
            "mechanisms": res["mechanisms"]}


def print_bench(res, out=None):
    """The benchmark's figures: the baseline, then a row per operation."""
    out = out or sys.stdout
    b = res["baseline"]
    print(f"kernel {res['kernel']}  accel {res['accel']}  "
          f"vcpus {res['vcpus']}", file=out)
    if res["accel"] == "tcg":
        print("accel=tcg: absolute times are emulation times; "
              "only the ratios mean anything", file=out)
    mc = b.get("memcpy_gbps", {})
    print(f"baseline: getppid {b['getppid_ns']} ns, eventfd ping-pong "
          f"(one way) {b['eventfd_pingpong_ns']} ns, memcpy "
          + ", ".join(f"{k} {v} GB/s" for k, v in mc.items()), file=out)
    print("", file=out)
    rows = [("mechanism", "p50 ns", "p99 ns", "ratio", "floor")]
    for name, r in res["mechanisms"].items():
        if "error" in r:
            rows.append((name, "-", "-", "-", "error: " + r["error"]))
        else:
            rows.append((name, f"{r['p50_ns']:.0f}", f"{r['p99_ns']:.0f}",
                         f"{r['ratio']:.2f}", r["floor"]))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join([row[0].ljust(widths[0])] +
                        [row[i].rjust(widths[i]) for i in (1, 2, 3)] +
                        [row[4]]), file=out)
