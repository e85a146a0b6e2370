# SPDX-License-Identifier: GPL-2.0
"""Shards: a run's units of work split over several machines, and their
results joined again.

A unit is one mechanism on one kernel (kernel spec as given: 6.1, 6.12,
latest). The units, kernels in the order given and mechanisms in the
suite's order, are cut into N contiguous parts of nearly equal size:
shard I runs part I, one guest boot per kernel in it. A shard's JSON
records its shard, its units and all units of the run, so that merge
can refuse a missing or duplicated shard or a mix of runs.

The host's own checks (`host: ...`) do not depend on the kernel: shard 1
runs them, the others do not, so that each is counted once. The checks
of a guest run (guest run completes, counts agree, console clean, the
guest's own boot and end-of-run lines) come from each boot; merged, a
kernel has each of them once, passed only if it passed in every shard.
"""

import argparse
import json

from . import ui, verdict


def parse(text):
    """--shard I/N: (I, N), 1 <= I <= N."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not I/N (e.g. 2/3)") from None
    if not 1 <= i <= n:
        raise argparse.ArgumentTypeError(f"shard {text}: I must be from 1 "
                                         "to N")
    return i, n


def units(kernels, mechs):
    """Every unit of a run: [kernel, mechanism] pairs."""
    return [[k, m] for k in kernels for m in mechs]


def part(all_units, i, n):
    """The units of shard i of n: the i-th of n contiguous parts."""
    if n > len(all_units):
        raise ui.Fatal(f"--shard {i}/{n}: the run has only "
                       f"{len(all_units)} units (kernel x mechanism) to "
                       "split")
    u = len(all_units)
    return all_units[(i - 1) * u // n:i * u // n]


def per_kernel(mine):
    """A shard's units as [(kernel, [mechanisms])], one per kernel."""
    plan = {}
    for k, m in mine:
        plan.setdefault(k, []).append(m)
    return list(plan.items())


def record(shard, all_units):
    """The shard's record in its JSON."""
    i, n = shard
    return {"index": i, "count": n, "units": part(all_units, i, n),
            "all": all_units}


def load(paths):
    runs = []
    for p in paths:
        try:
            with open(p, encoding="utf-8") as f:
                runs.append(json.load(f))
        except (OSError, ValueError) as e:
            raise ui.Fatal(f"cannot read {p}: {e}") from None
    return runs


def check(paths, runs):
    """Raise ui.Fatal naming what is wrong with a set of shards: one
    without a shard record, a mix of runs, a shard given twice or one
    missing."""
    problems, seen = [], {}
    for p, r in zip(paths, runs):
        s = r.get("shard")
        if s is None:
            raise ui.Fatal(f"{p} is not a shard's result (run with "
                           "--shard I/N)")
        first = runs[0]["shard"]
        if (s["count"], s["all"], r.get("strict")) != \
                (first["count"], first["all"], runs[0].get("strict")):
            raise ui.Fatal(f"{p} (shard {s['index']}/{s['count']}) is of "
                           f"another run than {paths[0]} (shard "
                           f"{first['index']}/{first['count']}): N, "
                           "kernels, mechanisms or --strict differ")
        if s["units"] != part(s["all"], s["index"], s["count"]):
            problems.append(f"{p}: its units are not those of shard "
                            f"{s['index']}/{s['count']}")
        seen.setdefault(s["index"], []).append(p)
    n = runs[0]["shard"]["count"]
    for i, ps in sorted(seen.items()):
        if len(ps) > 1:
            problems.append(f"shard {i}/{n} given {len(ps)} times: "
                            + ", ".join(ps))
    problems += [f"shard {i}/{n} missing" for i in range(1, n + 1)
                 if i not in seen]
    if problems:
        raise ui.Fatal("cannot merge: " + "; ".join(problems))


def _mech_of(t, mechs):
    return next((m for m in mechs if t["name"].startswith(f"{m}: ")), None)


def _join(pairs, n):
    """Tests of several boots, (shard, test) pairs, with the same name as
    one: passed only if each passed; the diagnostics say which shard they
    came from."""
    out = {}
    for i, t in pairs:
        diag = [f"shard {i}/{n}: {d}" for d in t.get("diag", [])]
        seen = out.get(t["name"])
        if seen is None:
            out[t["name"]] = dict(t, diag=diag)
            continue
        seen["ok"] = seen["ok"] and t["ok"]
        seen["diag"] += diag
        seen["status"] = min(seen["status"], t["status"],
                             key=("fail", "pass", "skip").index)
        if t.get("directive") and not seen.get("directive"):
            seen["directive"] = t["directive"]
    for t in out.values():
        if not t["diag"]:
            del t["diag"]
    return list(out.values())


def _kernel_tests(parts, n):
    """A kernel's tests from its entries in each shard, (shard, entry):
    the kernel's own checks before the first mechanism line, every
    mechanism's lines, then the kernel's other checks."""
    pre, mech, post = [], [], []
    for i, e in parts:
        seen_mech = False
        for t in e.get("tests", []):
            if _mech_of(t, e.get("mechs", [])) is not None:
                seen_mech = True
                mech.append(t)
            else:
                (post if seen_mech else pre).append((i, t))
    return _join(pre, n) + mech + _join(post, n)


def entry_counts(e):
    """(passed, failed, skipped) of a kernel's entry, as results.judge
    counts them: the guest's lines as the guest said, plus the host's
    checks that failed."""
    passed = failed = skipped = 0
    for t in e["tests"]:
        if t["by"] == "host":
            failed += t["status"] == "fail"
        elif not t["ok"]:
            failed += 1
        elif verdict.is_skip(t.get("directive", "")):
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def _checks(parts):
    """The guest's and host's checks of several boots: each true only if
    true in all; the first non-zero exit status."""
    out = {}
    for _, e in parts:
        for k, v in e.get("checks", {}).items():
            if k == "exit_status":
                if out.get(k, 0) == 0:
                    out[k] = v  # the first that is not 0
            elif isinstance(v, bool):
                out[k] = out.get(k, True) and v
            else:
                out.setdefault(k, v)
    return out


def _kernel(parts, n, strict):
    """One kernel's entry from its entries in the shards."""
    first = parts[0][1]
    releases = {e["kernel"] for _, e in parts}
    if len(releases) > 1:
        raise ui.Fatal(f"cannot merge: kernel {first['spec']} is "
                       f"{' and '.join(sorted(releases))} in different "
                       "shards")
    e = {"kernel": first["kernel"], "spec": first["spec"],
         "accel": ",".join(dict.fromkeys(e["accel"] for _, e in parts)),
         "wall_s": round(sum(e["wall_s"] for _, e in parts), 1),
         "mechanisms": {}, "checks": _checks(parts)}
    for _, p in parts:
        e["mechanisms"].update(p["mechanisms"])
    errors = [f"shard {i}/{n}: {p['error']}" for i, p in parts
              if "error" in p]
    if errors:
        e["error"] = "; ".join(errors)
    faults = {}
    for _, p in parts:
        faults.update(p.get("faults", {}))
    if faults:
        e["faults"] = faults
    e["mechs"] = [m for _, p in parts for m in p["mechs"]]
    e["tests"] = _kernel_tests(parts, n)
    e["passed"], e["failed"], e["skipped"] = entry_counts(e)
    e["ok"] = (e["failed"] == 0 and not (strict and e["skipped"])
               and "error" not in e)
    return e


def merge(paths):
    """The shards' JSON files as one run's JSON, with the verdict, the
    totals and the results an unsharded run of the same units has."""
    runs = load(paths)
    check(paths, runs)
    runs.sort(key=lambda r: r["shard"]["index"])
    n, strict = runs[0]["shard"]["count"], runs[0].get("strict", False)
    by_kernel = {}
    for r in runs:
        for e in r["kernels"]:
            by_kernel.setdefault(e["spec"], []).append(
                (r["shard"]["index"], e))
    host = [t for r in runs for t in r.get("host", [])]
    entries = [_kernel(parts, n, strict) for parts in by_kernel.values()]
    statuses = [t["status"] for t in host] + \
        [t["status"] for e in entries for t in e["tests"]]
    out = {"strict": strict, "passed": statuses.count("pass"),
           "failed": statuses.count("fail"),
           "skipped": statuses.count("skip"),
           "kernels": entries, "host": host,
           "merged": {"count": n, "all": runs[0]["shard"]["all"]}}
    out = {"ok": out["failed"] == 0 and all(e["ok"] for e in entries),
           **out}
    return out


def mechs(run):
    """The mechanisms of a merged run, in the suite's order."""
    return list(dict.fromkeys(m for _, m in run["merged"]["all"]))
