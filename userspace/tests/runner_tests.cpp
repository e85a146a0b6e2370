// SPDX-License-Identifier: GPL-2.0
// kuipc-runner: a mechanism's test cases, listed from Catch2 and run in
// forked children that stream their results back (runner_catch.cpp), each
// reported as a TAP line; and its fault-injection sweeps.
#include "runner.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>

namespace kuipc::runner {

/* Mechanisms present as /lib/kuipc/kuipc_<mech>.ko, sorted by name. */
std::vector<std::string> installed_mechs()
{
	std::vector<std::string> mechs;
	const std::string dir = kuipc::module_dir();
	DIR *d = ::opendir(dir.c_str());
	if (d == nullptr)
		return mechs;
	while (const dirent *e = ::readdir(d)) {
		const std::string name = e->d_name;
		const std::string pre = "kuipc_";
		const std::string suf = ".ko";
		if (name.size() > pre.size() + suf.size() &&
		    name.rfind(pre, 0) == 0 &&
		    name.compare(name.size() - suf.size(), suf.size(), suf) == 0)
			mechs.push_back(name.substr(
				pre.size(), name.size() - pre.size() - suf.size()));
	}
	::closedir(d);
	std::sort(mechs.begin(), mechs.end());
	return mechs;
}

namespace {

/*
 * The Catch2 specs of a mechanism's tests: those tagged [<mech>], but for
 * the fault-injection sweeps tagged [<mech>][.faults], which run (alone)
 * with --faults, the module not loaded.
 */
std::vector<std::string> selection(const std::string &mech, bool faults)
{
	if (faults)
		return {"[" + mech + "][faults]"};
	return {"[" + mech + "]", "~[faults]"};
}

/* A test name as a Catch2 test spec that matches only it. */
std::string spec_escape(const std::string &name)
{
	std::string o;
	for (const char c : name) {
		if (std::strchr(",[]\\*~\"", c) != nullptr)
			o += '\\';
		o += c;
	}
	return o;
}

/* A child of spawn(): its pid (-1 when it failed) and its pipe's read end. */
struct Child {
	pid_t pid = -1;
	kuipc::Fd rd;
	const char *failed = ""; /* "pipe" or "fork" when pid is -1 */
	int err = 0;		 /* and its errno */
};

/*
 * Fork a child that runs child_main(wr), wr the write end of a pipe whose
 * read end the parent keeps; child_main must not return.
 */
Child spawn(const std::function<void(int wr)> &child_main)
{
	Child c;
	std::array<int, 2> p{};
	if (::pipe2(p.data(), O_CLOEXEC) != 0) {
		c.failed = "pipe";
		c.err = errno;
		return c;
	}
	kuipc::Fd rd(p[0]);
	kuipc::Fd wr(p[1]);
	std::fflush(nullptr);
	const pid_t pid = ::fork();
	if (pid == 0) {
		rd.reset();
		child_main(wr.get());
		::_exit(127);
	}
	wr.reset();
	if (pid < 0) {
		c.failed = "fork";
		c.err = errno;
		return c;
	}
	c.pid = pid;
	c.rd = std::move(rd);
	return c;
}

/*
 * The inventory: the names of mech's test cases, from Catch2's own listing
 * (--list-test-names-only), run in a child like the tests. Empty with a
 * reason in why when the listing failed.
 */
std::vector<std::string> list_tests(const std::string &mech, bool faults, std::string &why)
{
	std::vector<std::string> names;
	const Child child = spawn([&](int wr) {
		::dup2(wr, 1);
		const auto specs = selection(mech, faults);
		std::vector<const char *> argv = {"kuipc-runner", "--list-test-names-only"};
		for (const auto &spec : specs)
			argv.push_back(spec.c_str());
		const int rc = catch_main(argv);
		std::fflush(nullptr);
		::_exit(rc < 0 ? 1 : 0);
	});
	if (child.pid < 0) {
		why = std::string(child.failed) + ": " + std::strerror(child.err);
		return names;
	}
	const pid_t pid = child.pid;
	const std::string text = kuipc::test::read_all(child.rd.get());
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		why = "listing the tests failed (wait status " + std::to_string(status) + ")";
		names.clear();
		return names;
	}
	std::istringstream in(text);
	for (std::string line; std::getline(in, line);) {
		/* Catch2 quotes a name that starts with '#'. */
		if (line.size() >= 2 && line.front() == '"' && line.back() == '"')
			line = line.substr(1, line.size() - 2);
		if (!line.empty())
			names.push_back(line);
	}
	return names;
}

/* What the test phase of one mechanism has seen so far. */
struct TestPhase {
	bool faults = false;		  /* the [faults] test cases */
	std::vector<std::string> started; /* in order, each once */
	std::set<std::string> ended;	  /* reported a result */
	int passed = 0;			  /* test cases that passed */
};
/* The child: run the tests of phase not started yet, records to wr. */
[[noreturn]] void exec_tests(const std::string &mech, const Options &opt,
			     const TestPhase &phase, int wr)
{
	const int fd = ::dup(wr); /* without O_CLOEXEC */
	::setenv("KUIPC_RESULT_FD", std::to_string(fd).c_str(), 1);
	::setenv("KUIPC_TEST_TIMEOUT_S", std::to_string(opt.timeout_s).c_str(), 1);
	::dup2(2, 1); /* test output must not mix with TAP */
	::setpgid(0, 0);
	std::vector<std::string> specs = selection(mech, phase.faults);
	for (const auto &name : phase.started)
		specs.push_back("~" + spec_escape(name));
	std::vector<const char *> argv = {"kuipc-runner", "-r", "kuipc-pipe", "--order",
					  "decl"};
	for (const auto &spec : specs)
		argv.push_back(spec.c_str());
	/* Arguments Catch2 refuses: exit status 3, told apart below. */
	if (catch_run_tests(argv) != 0)
		::_exit(3);
	std::fflush(nullptr);
	::_exit(0);
}

/* The parent's view of one child: what it has said so far. */
struct Reading {
	const std::string &mech;
	const Options &opt;
	MechResult &res;
	TestPhase &phase;
	std::string buf;		/* the start of a record not ended yet */
	std::string current;		/* the test that started and has not ended */
	std::vector<std::string> diags; /* the current test's failure details */
	std::string sites;		/* " (N sites)" of the running test's sweep */
	Clock::time_point deadline;

	void restart_clock()
	{
		deadline = Clock::now() + std::chrono::seconds(opt.timeout_s);
	}
};

/* The tags of an "end" record worth showing: not the mechanism's, not Catch2's. */
std::vector<std::string> shown_tags(const std::string &tags, const std::string &mech)
{
	std::vector<std::string> taglist;
	std::istringstream ts(tags);
	for (std::string t; std::getline(ts, t, ',');)
		if (t != "-" && t != mech && t != "." && t != "!hide")
			taglist.push_back(t);
	return taglist;
}

/* end <status> <tags> <name>: the test's TAP line. */
void on_end(Reading &r, const std::string &rest)
{
	std::istringstream is(rest);
	std::string status;
	std::string tags;
	std::getline(is, status, '\t');
	std::getline(is, tags, '\t');
	std::string name;
	std::getline(is, name);
	const std::vector<std::string> taglist = shown_tags(tags, r.mech);
	std::string shown;
	for (const auto &t : taglist)
		shown += " [" + t + "]";
	r.phase.ended.insert(name);
	if (status == "skip") {
		std::string why = r.diags.empty() ? "" : r.diags.back();
		if (why.rfind("SKIP ", 0) == 0)
			why = why.substr(5);
		skipped(r.res, name + shown, why);
	} else {
		const bool ok = status == "pass";
		std::string desc = name;
		desc += r.sites;
		desc += shown;
		check(r.res, ok, desc, r.diags);
		if (ok) {
			++r.phase.passed;
			for (const auto &t : taglist)
				++r.res.by_tag[t];
		}
	}
	r.current.clear();
	r.diags.clear();
	r.restart_clock();
}

/* One record of the child (PipeReporter's format). */
void on_record(Reading &r, const std::string &line)
{
	const auto tab = line.find('\t');
	const std::string kind = line.substr(0, tab);
	const std::string rest = tab == std::string::npos ? "" : line.substr(tab + 1);
	if (kind == "start") {
		r.current = rest;
		r.phase.started.push_back(rest);
		r.diags.clear();
		r.sites.clear();
		r.restart_clock();
	} else if (kind == "diag") {
		r.diags.push_back(rest);
	} else if (kind == "sites") {
		/* sites <load|op> <N>, from faults.cpp */
		const auto tab2 = rest.find('\t');
		const int n = std::atoi(rest.c_str() + tab2 + 1);
		(rest.substr(0, tab2) == "load" ? r.res.faults.load_sites
						 : r.res.faults.op_sites) += n;
		r.sites = " (" + std::to_string(n) + " sites)";
	} else if (kind == "end") {
		on_end(r, rest);
	}
}

/*
 * Read the child's records from fd until it closes the pipe, and the
 * kernel log as it comes meanwhile. Returns true when a test (or the
 * start) took longer than the timeout.
 */
bool read_records(Reading &r, int fd, KmsgReader &kmsg)
{
	for (;;) {
		const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
					  r.deadline - Clock::now())
					  .count();
		if (left <= 0)
			return true;
		std::array<pollfd, 2> pfd{{{fd, POLLIN, 0}, {kmsg.fd(), POLLIN, 0}}};
		const nfds_t nfds = kmsg.fd() >= 0 ? 2 : 1;
		const int pr = ::poll(pfd.data(), nfds, static_cast<int>(std::min<long>(left, 1000)));
		if (pr <= 0)
			continue;
		if (nfds == 2 && pfd[1].revents != 0)
			kmsg.pump();
		if (pfd[0].revents == 0)
			continue;
		std::array<char, 4096> chunk{};
		const ssize_t n = ::read(fd, chunk.data(), chunk.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		r.buf.append(chunk.data(), static_cast<size_t>(n));
		size_t nl = 0;
		while ((nl = r.buf.find('\n')) != std::string::npos) {
			const std::string line = r.buf.substr(0, nl);
			r.buf.erase(0, nl + 1);
			on_record(r, line);
		}
	}
}

/* Why the child ended early, from its wait status; "" when it did not. */
std::string early_end(int status, bool timed_out, const Reading &r)
{
	if (timed_out)
		return "timed out after " + std::to_string(r.opt.timeout_s) + " s";
	if (WIFSIGNALED(status))
		return std::string("test process killed by signal ") +
		       ::strsignal(WTERMSIG(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3 && r.current.empty())
		return "Catch2 refused the test specification";
	if (WIFEXITED(status) && (WEXITSTATUS(status) != 0 || !r.current.empty()))
		return "test process exited with status " +
		       std::to_string(WEXITSTATUS(status)) +
		       (r.current.empty() ? "" : " during the test");
	return "";
}

/*
 * Run the Catch2 tests of one mechanism in a child, except those already
 * started; report each as TAP. While they run, the kernel log is read as it
 * comes (so records cannot be overwritten before the check). Returns false
 * when the child ended early (timed out, crashed, or exited during a test or
 * with a failure status), so the caller can run the remaining tests.
 */
bool run_tests_once(const std::string &mech, const Options &opt, MechResult &res,
		    TestPhase &phase, KmsgReader &kmsg)
{
	const Child child = spawn([&](int wr) { exec_tests(mech, opt, phase, wr); });
	if (child.pid < 0) {
		check(res, false, mech + ": start tests", {std::strerror(child.err)});
		return true;
	}
	const pid_t pid = child.pid;
	Reading r{mech, opt, res, phase, {}, {}, {}, {}, {}};
	r.restart_clock();
	const bool timed_out = read_records(r, child.rd.get(), kmsg);
	if (timed_out)
		::kill(-pid, SIGKILL);
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	const std::string why = early_end(status, timed_out, r);
	if (why.empty())
		return true;
	if (!r.current.empty())
		phase.ended.insert(r.current);
	check(res, false, (r.current.empty() ? mech + ": tests" : r.current) + ": " + why,
	      r.diags);
	return false;
}

} // namespace

/*
 * Run all tests of a mechanism, going on after a test that hangs, crashes or
 * exits; then every listed test that reported no result fails as not run.
 */
void run_tests(const std::string &mech, const Options &opt, MechResult &res,
	       KmsgReader &kmsg, bool faults)
{
	std::string why;
	const std::vector<std::string> listed = list_tests(mech, faults, why);
	const std::string tag = faults ? "[" + mech + "][.faults]" : "[" + mech + "]";
	if (listed.empty() && why.empty())
		why = "no test case tagged " + tag;
	if (!check(res, !listed.empty(),
		   mech + (faults ? ": fault injection inventory" : ": test inventory"), {why}))
		return;
	diag(mech + ": " + std::to_string(listed.size()) + " test cases listed" +
	     (faults ? " for fault injection" : ""));
	TestPhase phase;
	phase.faults = faults;
	size_t before = 0;
	do {
		before = phase.started.size();
	} while (!run_tests_once(mech, opt, res, phase, kmsg) &&
		 phase.started.size() > before);
	for (const auto &name : listed) {
		if (phase.ended.count(name) == 0) {
			check(res, false, name, {}, "not run");
			++res.not_run;
		}
	}
	/* A mechanism whose every test skipped proved nothing. */
	if (phase.passed == 0)
		check(res, false, mech + ": at least one test passed",
		      {"no test case of " + tag + " passed"});
}

/*
 * --faults: the fault-injection sweeps of mech (faults.hpp), after its
 * tests and cycles, the module not loaded: the load sweep loads it, each
 * operation's sweep loads it for itself. The kernel log and kmemleak
 * checks of the mechanism that follow cover them.
 */
void run_faults(const std::string &mech, const Options &opt, MechResult &res,
		KmsgReader &kmsg)
{
	const auto t0 = Clock::now();
	const int failed0 = res.failed;
	res.faults.ran = true;
	run_tests(mech, opt, res, kmsg, true);
	if (kuipc::module_loaded("kuipc_" + mech)) {
		check(res, false, mech + ": fault injection leaves the module unloaded");
		try {
			kuipc::unload_module("kuipc_" + mech, 5000);
		} catch (const kuipc::Error &e) {
			diag(e.what());
		}
	}
	res.faults.failed = res.failed - failed0;
	res.faults.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
	std::array<char, 160> line{};
	std::snprintf(line.data(), line.size(),
		      "%s: fault injection took %.1f s (%d load sites, %d operation sites)",
		      mech.c_str(), res.faults.wall_s, res.faults.load_sites,
		      res.faults.op_sites);
	diag(line.data());
}

} // namespace kuipc::runner
