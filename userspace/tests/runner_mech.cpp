// SPDX-License-Identifier: GPL-2.0
// kuipc-runner: one mechanism's turn. Load its module, run its tests (or,
// with --demo, its client's demo), unload it, then its leak checks, load
// and unload cycles and fault-injection sweeps, and last the check of what
// the kernel logged meanwhile.
#include "runner.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace kuipc::runner {

namespace {

/*
 * Run "kuipc-<mech> demo". The client narrates its steps through
 * kuipc::demo (userspace/common/demo.hpp), which, with KUIPC_DEMO_KMSG=1,
 * shows the kernel log lines each step caused right before the step; lines
 * it prints otherwise are shown as the client's.
 */
bool run_demo_client(const std::string &mech, KmsgReader &kmsg, double &secs,
		     std::vector<std::string> &reports)
{
	for (const auto &rec : kmsg.drain()) /* the module's load messages */
		out("  kernel | " + rec.substr(rec.find('|') + 1));
	std::array<int, 2> p{};
	if (::pipe2(p.data(), O_CLOEXEC) != 0)
		return false;
	kuipc::Fd rd(p[0]);
	kuipc::Fd wr(p[1]);
	const std::string prog = "kuipc-" + mech;
	std::fflush(nullptr);
	const auto t0 = Clock::now();
	const pid_t pid = ::fork();
	if (pid == 0) {
		::dup2(wr.get(), 1);
		::dup2(wr.get(), 2);
		::setenv("KUIPC_DEMO_KMSG", "1", 1);
		::execlp(prog.c_str(), prog.c_str(), "demo", nullptr);
		std::fprintf(stderr, "exec %s: %s\n", prog.c_str(), std::strerror(errno));
		::_exit(127);
	}
	wr.reset();
	if (pid < 0)
		return false;
	auto show = [](const std::string &line) {
		if (line.rfind("  kernel | ", 0) == 0 || line.rfind("  client | ", 0) == 0)
			out(line);
		else
			out("  client | " + line);
	};
	std::string buf;
	for (;;) {
		pollfd pfd{rd.get(), POLLIN, 0};
		if (::poll(&pfd, 1, 60000) <= 0) {
			out("  (demo gave no output for 60 s: stopped)");
			::kill(pid, SIGKILL);
			break;
		}
		std::array<char, 4096> chunk{};
		const ssize_t n = ::read(rd.get(), chunk.data(), chunk.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf.append(chunk.data(), static_cast<size_t>(n));
		size_t nl = 0;
		while ((nl = buf.find('\n')) != std::string::npos) {
			show(buf.substr(0, nl));
			buf.erase(0, nl + 1);
		}
	}
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	secs = std::chrono::duration<double>(Clock::now() - t0).count();
	if (!buf.empty())
		show(buf);
	/*
	 * The client showed the kernel's lines up to its end: not shown
	 * again, but still scanned for reports.
	 */
	for (const auto &rec : kmsg.drain())
		for (auto &line : kuipc::report_lines(
			     std::string_view(rec).substr(rec.find('|') + 1)))
			reports.push_back(std::move(line));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Memory before the module is loaded, for the test phase's leak check. */
std::optional<std::pair<long, long>> memory_before(const std::string &mech,
						   const Options &opt, MechResult &res)
{
	if (opt.demo)
		return std::nullopt;
	try {
		return settled_memory();
	} catch (const kuipc::Error &e) {
		check(res, false, mech + ": memory sampled before its tests", {e.what()});
	}
	return std::nullopt;
}

/* Load the module; for a demo with its debug output on. */
void load(const std::string &mech, const Options &opt, MechResult &res)
{
	std::string load_err;
	try {
		kuipc::load_module(kuipc::module_path(mech), opt.demo ? "dyndbg=+p" : "");
		res.load_ok = true;
	} catch (const kuipc::Error &e) {
		load_err = e.what();
	}
	if (!opt.demo)
		check(res, res.load_ok, mech + ": module loads", {load_err});
	else if (!res.load_ok)
		out("  load failed: " + load_err);
}

/* Unload the module, if it loaded. */
void unload(const std::string &mech, const Options &opt, MechResult &res)
{
	if (!res.load_ok)
		return;
	std::string unload_err;
	try {
		kuipc::unload_module("kuipc_" + mech, 5000);
		res.unload_ok = true;
	} catch (const kuipc::Error &e) {
		unload_err = e.what();
	}
	if (!opt.demo)
		check(res, res.unload_ok, mech + ": module unloads", {unload_err});
}

/* The checks that follow a clean unload: leaks, cycles, fault injection. */
void after_unload(const std::string &mech, const Options &opt, MechResult &res,
		  KmsgReader &kmsg, const std::optional<std::pair<long, long>> &mem0,
		  bool kmemleak)
{
	if (mem0)
		run_test_phase_leaks(mech, res, *mem0, kmemleak);
	kmsg.pump();
	run_cycles(mech, res, kmemleak);
	if (opt.faults)
		run_faults(mech, opt, res, kmsg);
}

/* The kernel log check of the mechanism: kmemleak's scan, the log, the taint. */
void check_kernel_log(const std::string &mech, const Options &opt, MechResult &res,
		      KmsgReader &kmsg, std::optional<unsigned long> &taint0,
		      bool kmemleak, std::vector<std::string> &bad)
{
	if (opt.demo) {
		for (const auto &rec : kmsg.drain())
			out("  kernel | " + rec.substr(rec.find('|') + 1));
	}
	if (kmemleak) {
		for (auto &leak : kmemleak_scan())
			bad.push_back(std::move(leak));
	}
	for (auto &r : kuipc::kernel_reports(kmsg, taint0))
		bad.push_back(std::move(r));
	/* Later checks compare with the taint as it is now. */
	taint0 = kuipc::read_taint();
	res.dmesg_clean = bad.empty();
	if (!opt.demo) {
		std::vector<std::string> shown;
		shown.reserve(bad.size());
		for (const auto &b : bad)
			shown.push_back("kernel: " + b);
		check(res, res.dmesg_clean, mech + ": kernel log clean", shown);
	}
}

/* A demo's row of the table, its outcome counted; its reports shown. */
std::string demo_row(const MechResult &res, bool demo_ok, double demo_secs,
		     const std::vector<std::string> &bad)
{
	const bool ok = res.load_ok && res.unload_ok && res.dmesg_clean && demo_ok;
	std::array<char, 32> t{};
	std::snprintf(t.data(), t.size(), "%.1f ms", demo_secs * 1e3);
	if (!ok) {
		for (const auto &b : bad)
			out("  kernel report: " + b);
	}
	count(ok);
	return std::string(ok ? "ok" : "FAILED") + "\t" + t.data();
}

} // namespace

std::string run_mechanism(const std::string &mech, const Options &opt, MechResult &res,
			  KmsgReader &kmsg, std::optional<unsigned long> &taint0,
			  bool kmemleak)
{
	const auto t0 = Clock::now();
	if (opt.demo)
		out("\n=== " + mech + " ===");
	else
		diag(mech);
	if (kmemleak)
		kmemleak_clear();
	const auto mem0 = memory_before(mech, opt, res);
	load(mech, opt, res);
	double demo_secs = 0;
	bool demo_ok = false;
	std::vector<std::string> bad;
	if (res.load_ok) {
		if (!opt.demo)
			run_tests(mech, opt, res, kmsg);
		else
			demo_ok = run_demo_client(mech, kmsg, demo_secs, bad);
	}
	unload(mech, opt, res);
	if (!opt.demo && res.unload_ok)
		after_unload(mech, opt, res, kmsg, mem0, kmemleak);
	check_kernel_log(mech, opt, res, kmsg, taint0, kmemleak, bad);
	res.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
	if (opt.demo)
		return demo_row(res, demo_ok, demo_secs, bad);
	std::array<char, 96> done{};
	std::snprintf(done.data(), done.size(), "%s: done in %.1f s", mech.c_str(), res.wall_s);
	diag(done.data());
	return "";
}

} // namespace kuipc::runner
