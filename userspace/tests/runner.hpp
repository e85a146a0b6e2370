// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc-runner's parts (runner.cpp has the overview):
 *   runner_tap.cpp     the TAP lines, the totals and the KUIPC-RESULT JSON
 *   runner_catch.cpp   Catch2: its implementation, runs of it, the child's reporter
 *   runner_tests.cpp   listing a mechanism's tests and running them in children
 *   runner_kernel.cpp  the kernel checks: log and taint, memory, kmemleak
 *   runner_mech.cpp    one mechanism: load, tests, unload, cycles, faults, log
 *   runner.cpp         the run over the mechanisms and main()
 */
#pragma once

#include "kmsg.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kuipc::runner {

using Clock = std::chrono::steady_clock;

struct MechResult {
	int passed = 0;
	int failed = 0;
	int skipped = 0;
	bool load_ok = false;
	bool unload_ok = false;
	bool dmesg_clean = false;
	int not_run = 0;
	std::map<std::string, int> by_tag;
	double wall_s = 0;
	/* --faults: the sweeps of its [faults] test cases (faults.hpp). */
	struct {
		bool ran = false;
		int load_sites = 0;
		int op_sites = 0;
		int failed = 0;
		double wall_s = 0;
	} faults;

	[[nodiscard]] bool ok() const
	{
		return failed == 0 && load_ok && unload_ok && dmesg_clean;
	}
};

/* Checks of the whole run, outside any mechanism. */
struct RunChecks {
	std::optional<bool> boot_log;
	std::optional<bool> end_of_run;
};

struct Options {
	std::vector<std::string> only;
	int timeout_s = 60;
	bool demo = false;
	bool boot_log = false;
	bool faults = false;
};

/* ---- runner_tap.cpp ---------------------------------------------------- */

/* The counts of the whole run. */
struct Totals {
	int tap_number = 0; /* TAP lines so far */
	int pass = 0;
	int fail = 0;
	int skip = 0;
};
const Totals &totals();

/* A line on stdout, flushed. */
void out(const std::string &line);
/* A TAP line, numbered; counted in no total. */
void tap(bool ok, const std::string &desc, const std::string &directive = "");
/* A TAP diagnostic line ("# text"). */
void diag(const std::string &text);

/* A TAP line for one of a mechanism's checks, counted in res and the totals. */
bool check(MechResult &res, bool ok, const std::string &desc,
	   const std::vector<std::string> &why = {}, const std::string &directive = "");
/* A skipped test case: TAP line with its reason, counted in res and the totals. */
void skipped(MechResult &res, const std::string &desc, const std::string &why);
/* A run-level check (boot log, end of run): TAP line and totals. */
bool run_check(const std::string &desc, const std::vector<std::string> &bad);
/* A demo's outcome, counted in the totals (no TAP line). */
void count(bool ok);

/* The KUIPC-RESULT object of the run. */
std::string result_json(const std::map<std::string, MechResult> &results,
			const RunChecks &checks, bool ok);
/* "N passed, N failed[, N skipped]" */
std::string summary();

/* ---- runner_catch.cpp ------------------------------------------------- */

/* Catch2 on its own command line (argv[0] first); its exit status. */
int catch_main(const std::vector<const char *> &argv);
/*
 * In a test child: Catch2 on argv, reporting through "kuipc-pipe". 0 once
 * it ran, 3 when it refused the arguments.
 */
int catch_run_tests(const std::vector<const char *> &argv);

/* ---- runner_kernel.cpp ------------------------------------------------- */

/* SUnreclaim and MemAvailable in KiB, after letting deferred frees run. */
std::pair<long, long> settled_memory();
/* The test phase's leak check: TAP line, counts. Returns its verdict. */
bool run_test_phase_leaks(const std::string &mech, MechResult &res,
			  std::pair<long, long> before, bool exact_leaks);
/* The load/unload cycle test: TAP line, diagnostics, counts. */
bool run_cycles(const std::string &mech, MechResult &res, bool exact_leaks);

/* kmemleak: whether the kernel has it, forget what leaked, scan. */
bool kmemleak_present();
void kmemleak_clear();
std::vector<std::string> kmemleak_scan();

/* The run-level checks of the kernel log. */
bool check_boot_log(KmsgReader &kmsg);
bool check_end_of_run(KmsgReader &kmsg, std::optional<unsigned long> taint0,
		      const Options &opt, bool kmemleak);

/* ---- runner_tests.cpp -------------------------------------------------- */

/* Mechanisms present as /lib/kuipc/kuipc_<mech>.ko, sorted by name. */
std::vector<std::string> installed_mechs();
/* All tests of a mechanism (or its [faults] sweeps), each a TAP line. */
void run_tests(const std::string &mech, const Options &opt, MechResult &res,
	       KmsgReader &kmsg, bool faults = false);
/* --faults: the fault-injection sweeps of mech, the module not loaded. */
void run_faults(const std::string &mech, const Options &opt, MechResult &res,
		KmsgReader &kmsg);

/* ---- runner_mech.cpp --------------------------------------------------- */

/*
 * One mechanism from load to the check of the kernel log. taint0 is the
 * taint mask the log check compares with; it is updated. Returns, for
 * --demo, the row of the demo's table ("ok|FAILED\t<time>").
 */
std::string run_mechanism(const std::string &mech, const Options &opt, MechResult &res,
			  KmsgReader &kmsg, std::optional<unsigned long> &taint0,
			  bool kmemleak);

} // namespace kuipc::runner
