// SPDX-License-Identifier: GPL-2.0
// Systematic fault injection (/proc/thread-self/fail-nth), as syzkaller does
// it: the test cases tagged [<mech>][.faults] of each pair, run by
// `scripts/kuipc test --kernel debug --faults`.
//
// A sweep runs one step (a module load, or one state-changing operation of
// a pair) again and again, the n-th memory allocation of the step failing
// on run n = 1, 2, ..., until a run has no n-th allocation left to fail.
// Only allocations whose call chain passes through module text count (the
// stacktrace filter of failslab and fail_page_alloc), so n counts the
// module's own allocation sites and those of the kernel functions it calls.
// Each run must fail cleanly with a documented errno or succeed, and leave
// the pair's state as its client sees it consistent with that result; the
// runner checks the kernel log and kmemleak afterwards.
#pragma once

#include "support.hpp"

#include <cerrno>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace kuipc::test::faults {

/* One run of a sweep: the allocation that was to fail, and the result. */
struct Run {
	unsigned int nth;   /* which allocation of the step was to fail */
	bool injected;	    /* it existed and failed (the fault was used) */
	int err;	    /* the step's errno, 0 when it succeeded */
};

/*
 * Sweep step, an operation of a loaded module: 0 on success or an errno.
 * After every run, check(run) asserts (Catch2 CHECK/REQUIRE) that the
 * pair's state agrees with run.err and restores what the next run starts
 * from. A failed run must have failed with one of errnos. Reports the
 * number of sites found to the runner ("<op> ... (N sites)").
 * Skips the test on a kernel without fault injection.
 */
unsigned int sweep(const std::function<int()> &step,
		   const std::function<void(const Run &)> &check,
		   std::initializer_list<int> errnos = {ENOMEM});

/*
 * The load sweep of kuipc_<mech>.ko, which is not loaded on entry (nor on
 * return). Every failed load must fail with one of errnos and leave none
 * of entries (paths the module creates: /proc, /sys, /dev, configfs,
 * debugfs) behind, nor anything leftover() names (registrations that are
 * no path: a genetlink family, a bound port). A load that succeeds though
 * an allocation failed must have created every entry.
 */
void sweep_load(const std::string &mech, const std::vector<std::string> &entries,
		const std::function<std::vector<std::string>()> &leftover = {},
		std::initializer_list<int> errnos = {ENOMEM});

/* kuipc_<mech>.ko loaded for the life of the object (for operation sweeps). */
class Loaded {
public:
	explicit Loaded(std::string mech, const std::string &params = "");
	Loaded(const Loaded &) = delete;
	Loaded &operator=(const Loaded &) = delete;
	Loaded(Loaded &&) = delete;
	Loaded &operator=(Loaded &&) = delete;
	~Loaded();

private:
	std::string mech_;
};

using kuipc::test::errno_of;

/* The paths among paths that exist. */
std::vector<std::string> existing(const std::vector<std::string> &paths);

} // namespace kuipc::test::faults
