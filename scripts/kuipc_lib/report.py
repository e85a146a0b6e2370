# SPDX-License-Identifier: GPL-2.0
"""Writers of a run's results: the JSON files, JUnit XML and the
terminal tables (kernel x mechanism for matrix, the benchmark's rows)."""

import json
import sys
import xml.etree.ElementTree as ET


def write_json(path, data):
    """data as indented JSON, with a final newline."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def run_json(tap, entries, coverage=None):
    """The JSON of `test` and `matrix`: the totals of the TAP stream and
    one entry per kernel; coverage (a dict, or None when not asked for)
    at the top level, and so are the fault-injection figures of a run on
    one kernel (each entry keeps its own)."""
    out = {"ok": tap.failed == 0 and all(e["ok"] for e in entries),
           "strict": tap.strict, "passed": tap.passed,
           "failed": tap.failed, "skipped": tap.skipped,
           "kernels": entries}
    if coverage is not None:
        out["coverage"] = coverage
    if len(entries) == 1 and "faults" in entries[0]:
        out["faults"] = entries[0]["faults"]
    return out


def write_junit(path, results):
    """JUnit XML: a test suite per kernel, a test case per TAP line
    (results: Tap.results, (source, ok, description, directive))."""
    root = ET.Element("testsuites")
    suites = {}
    for source, ok, desc, directive in results:
        suite = suites.get(source)
        if suite is None:
            suite = suites[source] = ET.SubElement(
                root, "testsuite", name=source, tests="0", failures="0",
                skipped="0")
        mech = desc.split(":", 1)[0] if ":" in desc else source
        case = ET.SubElement(suite, "testcase", classname=f"{source}.{mech}",
                             name=desc)
        suite.set("tests", str(int(suite.get("tests")) + 1))
        if directive.upper().startswith("SKIP"):
            ET.SubElement(case, "skipped", message=directive[4:].strip())
            suite.set("skipped", str(int(suite.get("skipped")) + 1))
        elif not ok:
            ET.SubElement(case, "failure", message=desc)
            suite.set("failures", str(int(suite.get("failures")) + 1))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


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
