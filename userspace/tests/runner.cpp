// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc-runner: runs the suite inside the guest, as root.
 *
 * One reader of /dev/kmsg lives from boot to the end of the run. With
 * --boot-log it first checks what the kernel logged since boot. Then for
 * each mechanism in turn: list the Catch2 test cases tagged [<mech>] (the
 * inventory), finit_module(kuipc_<mech>.ko), run them in a forked child (so
 * a crash, a hang or an exit() is contained and the rest still run),
 * delete_module(), load/unload cycles, then scan the log and the taint mask
 * for anything the kernel reported meanwhile. A listed test that never
 * reported a result fails as not run. After the last mechanism a grace
 * period and a final sweep of the log catch reports of late work.
 *
 * The verdict fails closed: a log that cannot be read, lost records or an
 * unreadable taint mask fail the run like a kernel report.
 *
 * Output: TAP on stdout, one line per test case plus the lines of each
 * mechanism's own checks, then a "KUIPC-RESULT {json}" line and the line
 * "N passed, N failed[, N skipped]". The exit status is 0 only when nothing
 * failed.
 *
 * --demo runs each mechanism's client "demo" with the module's debug output
 * enabled and shows the client's and the kernel's lines interleaved.
 *
 * The parts, one file each, are listed in runner.hpp.
 */
#include "runner.hpp"

#include "module.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace {

using namespace kuipc::runner;

/* The mechanisms to run: --only's, all installed ones by default; empty
 * after a "Bail out!" line. */
std::vector<std::string> mechanisms(const Options &opt)
{
	std::vector<std::string> mechs = installed_mechs();
	if (!opt.only.empty()) {
		for (const auto &m : opt.only) {
			if (std::find(mechs.begin(), mechs.end(), m) == mechs.end()) {
				out("Bail out! no module for mechanism '" + m + "' in " +
				    kuipc::module_dir());
				return {};
			}
		}
		mechs = opt.only;
	}
	if (mechs.empty())
		out("Bail out! no modules in " + kuipc::module_dir());
	return mechs;
}

/* --demo's closing table: one row per mechanism. */
void demo_table(const std::vector<std::pair<std::string, std::string>> &table)
{
	out("");
	out("mechanism      result   client run time");
	for (const auto &[m, row] : table) {
		const auto tab = row.find('\t');
		std::array<char, 128> line{};
		std::snprintf(line.data(), line.size(), "%-14s %-8s %s", m.c_str(),
			      row.substr(0, tab).c_str(), row.substr(tab + 1).c_str());
		out(line.data());
	}
}

int run(const Options &opt)
{
	const std::vector<std::string> mechs = mechanisms(opt);
	if (mechs.empty())
		return 2;
	/* One reader for the whole run: nothing logged between checks is lost. */
	kuipc::KmsgReader kmsg(opt.boot_log ? kuipc::KmsgReader::From::boot
					    : kuipc::KmsgReader::From::now);
	RunChecks checks;
	if (!opt.demo)
		out("TAP version 13");
	if (!opt.demo && opt.boot_log)
		checks.boot_log = check_boot_log(kmsg);
	const bool kmemleak = !opt.demo && kmemleak_present();

	std::map<std::string, MechResult> results;
	std::vector<std::pair<std::string, std::string>> table;
	std::optional<unsigned long> taint0 = kuipc::read_taint();
	for (const auto &mech : mechs) {
		const std::string row =
			run_mechanism(mech, opt, results[mech], kmsg, taint0, kmemleak);
		if (opt.demo)
			table.emplace_back(mech, row);
	}

	if (opt.demo) {
		demo_table(table);
	} else {
		diag("kernel: final sweep of the log");
		checks.end_of_run = check_end_of_run(kmsg, taint0, opt, kmemleak);
		out("1.." + std::to_string(totals().tap_number));
	}
	const bool ok = totals().fail == 0;
	out("KUIPC-RESULT " + result_json(results, checks, ok));
	out(summary());
	return ok ? 0 : 1;
}

void usage()
{
	std::fputs("usage: kuipc-runner [--only MECH[,MECH...]] [--timeout SECONDS] [--demo]\n"
		   "                    [--boot-log]  (first check the log since boot)\n"
		   "                    [--faults]  (also the fault-injection sweeps)\n"
		   "       kuipc-runner --catch [CATCH2 ARGS...]   (run Catch2 directly)\n",
		   stderr);
}

} // namespace

int main(int argc, char **argv)
{
	Options opt;
	std::vector<std::string> args(argv + 1, argv + argc);
	for (size_t i = 0; i < args.size(); ++i) {
		const std::string &a = args[i];
		if (a == "--catch") {
			/* Plain Catch2: e.g. --catch --list-tests */
			std::vector<const char *> cargv = {argv[0]};
			for (size_t j = i + 1; j < args.size(); ++j)
				cargv.push_back(args[j].c_str());
			return catch_main(cargv);
		}
		if (a == "--demo") {
			opt.demo = true;
		} else if (a == "--boot-log") {
			opt.boot_log = true;
		} else if (a == "--faults") {
			opt.faults = true;
		} else if ((a == "--only" || a == "--timeout") && i + 1 < args.size()) {
			const std::string v = args[++i];
			if (a == "--timeout") {
				opt.timeout_s = std::max(1, std::atoi(v.c_str()));
			} else {
				std::istringstream is(v);
				for (std::string m; std::getline(is, m, ',');)
					if (!m.empty())
						opt.only.push_back(m);
			}
		} else if (a == "-h" || a == "--help") {
			usage();
			return 0;
		} else {
			usage();
			return 2;
		}
	}
	if (::geteuid() != 0) {
		std::fputs("kuipc-runner: must run as root (it loads modules)\n", stderr);
		return 2;
	}
	return run(opt);
}
