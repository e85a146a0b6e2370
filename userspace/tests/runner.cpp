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
 */
#define CATCH_CONFIG_RUNNER
/* A crashing test is reported by the parent, with the test's name. */
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "kmsg.hpp"
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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

/* ------------------------------------------------------------------------ */
/* The child side: a Catch2 reporter that streams one record per event.     */
/* ------------------------------------------------------------------------ */

/*
 * Records written to the pipe given in $KUIPC_RESULT_FD, one per line,
 * fields separated by a tab:
 *   start <name>
 *   diag  <text>                        (a failure detail of the running test)
 *   end   pass|fail|skip <tags> <name>  (tags: comma separated, no brackets)
 */
class PipeReporter : public Catch::StreamingReporterBase<PipeReporter> {
public:
	using StreamingReporterBase::StreamingReporterBase;

	static std::string getDescription()
	{
		return "kuipc-runner's internal record stream";
	}

	void assertionStarting(Catch::AssertionInfo const &) override {}

	bool assertionEnded(Catch::AssertionStats const &stats) override
	{
		const auto &r = stats.assertionResult;
		if (r.isOk())
			return true;
		const std::string msg = r.getMessage();
		if (r.getResultType() == Catch::ResultWas::ThrewException &&
		    msg.rfind(kuipc::test::skip_prefix, 0) == 0) {
			skip_reason_ = msg.substr(std::strlen(kuipc::test::skip_prefix));
			return true;
		}
		std::ostringstream os;
		const auto where = r.getSourceInfo();
		os << where.file << ':' << where.line << ": ";
		if (r.hasExpression())
			os << r.getExpressionInMacro() << " with expansion "
			   << r.getExpandedExpression();
		if (!msg.empty())
			os << (r.hasExpression() ? "; " : "") << msg;
		for (const auto &info : stats.infoMessages)
			os << " [" << info.message << ']';
		emit("diag", os.str());
		return true;
	}

	void testCaseStarting(Catch::TestCaseInfo const &info) override
	{
		StreamingReporterBase::testCaseStarting(info);
		skip_reason_.reset();
		emit("start", info.name);
	}

	void testCaseEnded(Catch::TestCaseStats const &stats) override
	{
		std::string tags;
		for (const auto &t : stats.testInfo.tags) {
			if (!tags.empty())
				tags += ',';
			tags += t;
		}
		/* A skip is thrown as an exception, which Catch2 counts as one
		 * failed assertion; anything failing besides it is a failure. */
		const auto failed = stats.totals.assertions.failed;
		const char *status = "pass";
		if (skip_reason_ && failed == 1) {
			status = "skip";
			emit("diag", "SKIP " + *skip_reason_);
		} else if (failed > 0) {
			status = "fail";
		}
		emit("end", std::string(status) + '\t' + (tags.empty() ? "-" : tags) +
				    '\t' + stats.testInfo.name);
		StreamingReporterBase::testCaseEnded(stats);
	}

private:
	static void emit(const char *kind, std::string text)
	{
		std::replace(text.begin(), text.end(), '\n', ' ');
		const std::string line = std::string(kind) + '\t' + text + '\n';
		const char *env = std::getenv("KUIPC_RESULT_FD");
		const int fd = env != nullptr ? std::atoi(env) : 1;
		size_t off = 0;
		while (off < line.size()) {
			const ssize_t n =
				::write(fd, line.data() + off, line.size() - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return;
			off += static_cast<size_t>(n);
		}
	}

	std::optional<std::string> skip_reason_;
};

} // namespace

CATCH_REGISTER_REPORTER("kuipc-pipe", PipeReporter)

CATCH_TRANSLATE_EXCEPTION(kuipc::test::Skip const &e)
{
	return std::string(kuipc::test::skip_prefix) + e.what();
}

namespace {

/* ------------------------------------------------------------------------ */
/* The parent side.                                                          */
/* ------------------------------------------------------------------------ */

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

int g_tap_number = 0;
int g_total_pass = 0;
int g_total_fail = 0;
int g_total_skip = 0;

void out(const std::string &line)
{
	std::fputs(line.c_str(), stdout);
	std::fputc('\n', stdout);
	std::fflush(stdout);
}

void tap(bool ok, const std::string &desc, const std::string &directive = "")
{
	++g_tap_number;
	std::string line = (ok ? "ok " : "not ok ") + std::to_string(g_tap_number) +
			   " - " + desc;
	if (!directive.empty())
		line += " # " + directive;
	out(line);
}

void diag(const std::string &text)
{
	out("# " + text);
}

/* A TAP line for one of a mechanism's checks, counted in res and the totals. */
bool check(MechResult &res, bool ok, const std::string &desc,
	   const std::vector<std::string> &why = {}, const std::string &directive = "")
{
	tap(ok, desc, directive);
	for (const auto &w : why)
		if (!w.empty())
			diag("  " + w);
	if (ok) {
		++res.passed;
		++g_total_pass;
	} else {
		++res.failed;
		++g_total_fail;
	}
	return ok;
}

std::string json_escape(std::string_view s)
{
	std::string o;
	for (const char c : s) {
		switch (c) {
		case '"':
			o += "\\\"";
			break;
		case '\\':
			o += "\\\\";
			break;
		case '\n':
			o += "\\n";
			break;
		default:
			if (static_cast<unsigned char>(c) < 0x20) {
				std::array<char, 8> buf{};
				std::snprintf(buf.data(), buf.size(), "\\u%04x",
					      static_cast<unsigned char>(c));
				o += buf.data();
			} else {
				o += c;
			}
		}
	}
	return o;
}

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

/*
 * The inventory: the names of mech's test cases, from Catch2's own listing
 * (--list-test-names-only), run in a child like the tests. Empty with a
 * reason in why when the listing failed.
 */
std::vector<std::string> list_tests(const std::string &mech, bool faults, std::string &why)
{
	std::vector<std::string> names;
	std::array<int, 2> p{};
	if (::pipe2(p.data(), O_CLOEXEC) != 0) {
		why = std::string("pipe: ") + std::strerror(errno);
		return names;
	}
	kuipc::Fd rd(p[0]);
	kuipc::Fd wr(p[1]);
	std::fflush(nullptr);
	const pid_t pid = ::fork();
	if (pid == 0) {
		::dup2(wr.get(), 1);
		const auto specs = selection(mech, faults);
		std::vector<const char *> argv = {"kuipc-runner", "--list-test-names-only"};
		for (const auto &spec : specs)
			argv.push_back(spec.c_str());
		const int rc = Catch::Session().run(static_cast<int>(argv.size()), argv.data());
		std::fflush(nullptr);
		::_exit(rc < 0 ? 1 : 0);
	}
	wr.reset();
	if (pid < 0) {
		why = std::string("fork: ") + std::strerror(errno);
		return names;
	}
	std::string text;
	std::array<char, 4096> chunk{};
	for (;;) {
		const ssize_t n = ::read(rd.get(), chunk.data(), chunk.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		text.append(chunk.data(), static_cast<size_t>(n));
	}
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

/*
 * Run the Catch2 tests of one mechanism in a child, except those already
 * started; report each as TAP. While they run, the kernel log is read as it
 * comes (so records cannot be overwritten before the check). Returns false
 * when the child ended early (timed out, crashed, or exited during a test or
 * with a failure status), so the caller can run the remaining tests.
 */
bool run_tests_once(const std::string &mech, const Options &opt, MechResult &res,
		    TestPhase &phase, kuipc::KmsgReader &kmsg)
{
	std::array<int, 2> p{};
	if (::pipe2(p.data(), O_CLOEXEC) != 0) {
		check(res, false, mech + ": start tests", {std::strerror(errno)});
		return true;
	}
	kuipc::Fd rd(p[0]);
	kuipc::Fd wr(p[1]);
	std::fflush(nullptr);
	const pid_t pid = ::fork();
	if (pid == 0) {
		rd.reset();
		const int fd = ::dup(wr.get()); /* without O_CLOEXEC */
		::setenv("KUIPC_RESULT_FD", std::to_string(fd).c_str(), 1);
		::setenv("KUIPC_TEST_TIMEOUT_S", std::to_string(opt.timeout_s).c_str(), 1);
		::dup2(2, 1); /* test output must not mix with TAP */
		::setpgid(0, 0);
		std::vector<std::string> specs = selection(mech, phase.faults);
		for (const auto &name : phase.started)
			specs.push_back("~" + spec_escape(name));
		std::vector<const char *> argv = {"kuipc-runner", "-r", "kuipc-pipe",
						  "--order", "decl"};
		for (const auto &spec : specs)
			argv.push_back(spec.c_str());
		Catch::Session session;
		/* Arguments Catch2 refuses: exit status 3, told apart below. */
		if (session.applyCommandLine(static_cast<int>(argv.size()), argv.data()) != 0)
			::_exit(3);
		session.run();
		std::fflush(nullptr);
		::_exit(0);
	}
	wr.reset();
	if (pid < 0) {
		check(res, false, mech + ": start tests", {std::strerror(errno)});
		return true;
	}

	std::string buf;
	std::string current;
	std::vector<std::string> diags;
	std::string sites; /* " (N sites)" of the running test's sweep */
	auto deadline = Clock::now() + std::chrono::seconds(opt.timeout_s);
	bool timed_out = false;
	for (;;) {
		const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
					  deadline - Clock::now())
					  .count();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		std::array<pollfd, 2> pfd{{{rd.get(), POLLIN, 0}, {kmsg.fd(), POLLIN, 0}}};
		const nfds_t nfds = kmsg.fd() >= 0 ? 2 : 1;
		const int pr = ::poll(pfd.data(), nfds, static_cast<int>(std::min<long>(left, 1000)));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		if (nfds == 2 && pfd[1].revents != 0)
			kmsg.pump();
		if (pfd[0].revents == 0)
			continue;
		std::array<char, 4096> chunk{};
		const ssize_t n = ::read(rd.get(), chunk.data(), chunk.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf.append(chunk.data(), static_cast<size_t>(n));
		size_t nl = 0;
		while ((nl = buf.find('\n')) != std::string::npos) {
			const std::string line = buf.substr(0, nl);
			buf.erase(0, nl + 1);
			const auto tab = line.find('\t');
			const std::string kind = line.substr(0, tab);
			const std::string rest = tab == std::string::npos ? "" : line.substr(tab + 1);
			if (kind == "start") {
				current = rest;
				phase.started.push_back(rest);
				diags.clear();
				sites.clear();
				deadline = Clock::now() + std::chrono::seconds(opt.timeout_s);
			} else if (kind == "diag") {
				diags.push_back(rest);
			} else if (kind == "sites") {
				/* sites <load|op> <N>, from faults.cpp */
				const auto tab2 = rest.find('\t');
				const int n = std::atoi(rest.c_str() + tab2 + 1);
				(rest.substr(0, tab2) == "load" ? res.faults.load_sites
								 : res.faults.op_sites) += n;
				sites = " (" + std::to_string(n) + " sites)";
			} else if (kind == "end") {
				std::istringstream is(rest);
				std::string status;
				std::string tags;
				std::getline(is, status, '\t');
				std::getline(is, tags, '\t');
				std::string name;
				std::getline(is, name);
				std::string shown_tags;
				std::vector<std::string> taglist;
				std::istringstream ts(tags);
				for (std::string t; std::getline(ts, t, ',');)
					if (t != "-" && t != mech && t != "." && t != "!hide")
						taglist.push_back(t);
				for (const auto &t : taglist)
					shown_tags += " [" + t + "]";
				phase.ended.insert(name);
				if (status == "skip") {
					std::string why = diags.empty() ? "" : diags.back();
					if (why.rfind("SKIP ", 0) == 0)
						why = why.substr(5);
					tap(true, name + shown_tags, "SKIP " + why);
					++res.skipped;
					++g_total_skip;
				} else {
					const bool ok = status == "pass";
					std::string desc = name;
					desc += sites;
					desc += shown_tags;
					check(res, ok, desc, diags);
					if (ok) {
						++phase.passed;
						for (const auto &t : taglist)
							++res.by_tag[t];
					}
				}
				current.clear();
				diags.clear();
				deadline = Clock::now() + std::chrono::seconds(opt.timeout_s);
			}
		}
	}
	if (timed_out)
		::kill(-pid, SIGKILL);
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	std::string why;
	if (timed_out)
		why = "timed out after " + std::to_string(opt.timeout_s) + " s";
	else if (WIFSIGNALED(status))
		why = std::string("test process killed by signal ") +
		      ::strsignal(WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 3 && current.empty())
		why = "Catch2 refused the test specification";
	else if (WIFEXITED(status) && (WEXITSTATUS(status) != 0 || !current.empty()))
		why = "test process exited with status " +
		      std::to_string(WEXITSTATUS(status)) +
		      (current.empty() ? "" : " during the test");
	if (!why.empty()) {
		if (!current.empty())
			phase.ended.insert(current);
		check(res, false, (current.empty() ? mech + ": tests" : current) + ": " + why,
		      diags);
		return false;
	}
	return true;
}

/*
 * Run all tests of a mechanism, going on after a test that hangs, crashes or
 * exits; then every listed test that reported no result fails as not run.
 */
void run_tests(const std::string &mech, const Options &opt, MechResult &res,
	       kuipc::KmsgReader &kmsg, bool faults = false)
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
		kuipc::KmsgReader &kmsg)
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

/*
 * Load/unload cycles. A module that leaks in its init or exit path, or
 * leaves something registered, shows as unreclaimable slab or lost memory
 * after many cycles. The first few cycles are not measured: they warm the
 * caches the module loader, kernfs and the sysctl/proc code allocate from.
 * The bounds allow for what a guest without leaks showed (measured): slab
 * pages kept on per-CPU partial lists, up to some 130 KiB of SUnreclaim,
 * and the page cache and kworkers moving MemAvailable: by up to 250 KiB
 * on 6.1, and on 6.12 once by 1216 KiB (debugfs, SUnreclaim -76 KiB, not
 * seen again in the next runs, which moved it by -472 and +8868 KiB).
 * They catch a leaked object of 8 KiB or more, or ten pages, per cycle
 * (an 8 KiB kmalloc per load showed +320 KiB); the debug kernel's kmemleak
 * catches every smaller leak.
 */
constexpr int kWarmupCycles = 3;
constexpr int kCycles = 50;
constexpr long kMaxSlabGrowthKiB = 256;
constexpr long kMaxAvailDropKiB = 2048;

/* A field of /proc/meminfo in KiB, e.g. "SUnreclaim". */
long meminfo_kib(const std::string &field)
{
	std::istringstream in(kuipc::test::read_file("/proc/meminfo"));
	std::string key;
	long value = 0;
	std::string unit;
	while (in >> key >> value) {
		std::getline(in, unit);
		if (key == field + ":")
			return value;
	}
	kuipc::throw_err(ENOENT, "/proc/meminfo has no " + field);
}

/* n load/unload cycles of mech's module, which is not loaded on entry. */
void cycle_module(const std::string &mech, int n)
{
	for (int i = 0; i < n; ++i) {
		kuipc::load_module(kuipc::module_path(mech));
		kuipc::unload_module("kuipc_" + mech, 5000);
	}
}

/*
 * Empty slabs and per-CPU partial slabs count in SUnreclaim until SLUB
 * gives them back; asking every cache to shrink first (as `slabinfo -s`
 * does) takes most of that noise out of a sample. Caches that refuse are
 * left as they are: the sample is then only noisier.
 */
void shrink_slabs()
{
	const std::string root = "/sys/kernel/slab";
	DIR *d = ::opendir(root.c_str());
	if (d == nullptr)
		return;
	while (const dirent *e = ::readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		kuipc::test::write_file(root + "/" + e->d_name + "/shrink", "1");
	}
	::closedir(d);
}

/* Give RCU callbacks and deferred frees a moment, then sample memory. */
std::pair<long, long> settled_memory()
{
	::sync();
	std::this_thread::sleep_for(std::chrono::milliseconds(200));
	shrink_slabs();
	return {meminfo_kib("SUnreclaim"), meminfo_kib("MemAvailable")};
}

/*
 * SUnreclaim and MemAvailable against a sample taken before, with bounds.
 * RCU callbacks and deferred frees run late on a busy host: what is over a
 * bound is sampled again for a few seconds, and only memory that stays
 * gone is a leak. With exact_leaks (kmemleak is on) the bounds do not
 * apply: KASAN's quarantine and kmemleak's own metadata hold megabytes of
 * freed memory for a while; kmemleak's scan, reported with the kernel log,
 * decides object by object. Returns why it failed, or "" (then the figures
 * are shown as a diagnostic).
 */
std::string memory_growth(const std::string &what, std::pair<long, long> before,
			  long max_slab_kib, std::optional<long> max_drop_kib, bool exact_leaks)
{
	auto [slab1, avail1] = settled_memory();
	for (int i = 0; i < 15 && !exact_leaks &&
			(slab1 - before.first > max_slab_kib ||
			 (max_drop_kib && before.second - avail1 > *max_drop_kib));
	     ++i)
		std::tie(slab1, avail1) = settled_memory();
	const long slab_kib = slab1 - before.first;
	const long drop_kib = before.second - avail1;
	std::array<char, 200> line{};
	std::array<char, 32> avail_bound{};
	if (max_drop_kib)
		std::snprintf(avail_bound.data(), avail_bound.size(), "bound -%ld", *max_drop_kib);
	std::snprintf(line.data(), line.size(),
		      "%s: SUnreclaim %+ld KiB (bound %ld), MemAvailable %+ld KiB (%s)",
		      what.c_str(), slab_kib, max_slab_kib, -drop_kib,
		      max_drop_kib ? avail_bound.data() : "not bounded");
	if (exact_leaks) {
		diag(std::string(line.data()) + "; kmemleak decides");
		return "";
	}
	if (slab_kib > max_slab_kib || (max_drop_kib && drop_kib > *max_drop_kib))
		return line.data();
	diag(line.data());
	return "";
}

/* The cycle test: TAP line, diagnostics, counts. Returns its verdict. */
bool run_cycles(const std::string &mech, MechResult &res, bool exact_leaks)
{
	const std::string desc = mech + ": " + std::to_string(kCycles) +
				 " load/unload cycles leak no memory [lifecycle]";
	std::string why;
	try {
		cycle_module(mech, kWarmupCycles);
		const auto before = settled_memory();
		cycle_module(mech, kCycles);
		why = memory_growth(mech + ": after " + std::to_string(kCycles) + " cycles",
				    before, kMaxSlabGrowthKiB, kMaxAvailDropKiB, exact_leaks);
	} catch (const kuipc::Error &e) {
		why = e.what();
	}
	if (!check(res, why.empty(), desc, {why}))
		return false;
	++res.by_tag["lifecycle"];
	return true;
}

/*
 * The test phase's own leak check: unreclaimable slab before the module
 * was loaded against after its tests ran and it was unloaded. Objects the
 * module leaked per operation (per message, per item, per skb) stay
 * allocated after its unload. Leak-free runs, slab caches shrunk, showed
 * -64 to +200 KiB for eleven pairs on 6.1, 6.12 and 7.2, and +540 to
 * +844 KiB for umh, whose tests start and reap a few hundred helper
 * processes; kmemleak finds nothing there, and the kworkers made for them
 * stay until idle for minutes, which is the likely cause). The bound is
 * above that with margin; a leak of 4 KiB
 * per write() over procfs's tests (+3996 KiB) goes past it (the
 * selfcheck's leak-per-write control). Smaller per-operation leaks are
 * kmemleak's, on the debug kernel. MemAvailable is no measure here: tests
 * move the page cache by megabytes.
 */
constexpr long kMaxTestSlabGrowthKiB = 2048;

bool run_test_phase_leaks(const std::string &mech, MechResult &res,
			  std::pair<long, long> before, bool exact_leaks)
{
	std::string why;
	try {
		why = memory_growth(mech + ": after its tests", before,
				    kMaxTestSlabGrowthKiB, std::nullopt, exact_leaks);
	} catch (const kuipc::Error &e) {
		why = e.what();
	}
	return check(res, why.empty(), mech + ": its tests leak no memory", {why});
}

/*
 * kmemleak, on kernels built with it (scripts/kuipc test --kernel debug):
 * "clear" before a mechanism forgets what leaked before it; after its tests
 * and cycles, two scans list every object allocated since and no longer
 * referenced. kmemleak ignores objects younger than 5 s (they may still be
 * on their way to a pointer), so the scan waits that long first; and a scan
 * reports an unreferenced object only if its contents did not change since
 * the scan before (the first scan that sees an object only takes its
 * checksum), so one scan alone misses every leak made since the last one.
 */
constexpr const char *kKmemleak = "/sys/kernel/debug/kmemleak";
constexpr auto kKmemleakMinAge = std::chrono::milliseconds(5500);

bool kmemleak_present()
{
	return ::access(kKmemleak, W_OK) == 0;
}

/* The first lines of each suspected leak, one string per leak. */
std::vector<std::string> kmemleak_scan()
{
	std::vector<std::string> leaks;
	std::this_thread::sleep_for(kKmemleakMinAge);
	int err = kuipc::test::write_file(kKmemleak, "scan");
	if (err == 0)
		err = kuipc::test::write_file(kKmemleak, "scan");
	if (err != 0) {
		leaks.push_back(std::string("kmemleak: scan failed: ") +
				std::strerror(err));
		return leaks;
	}
	std::istringstream in(kuipc::test::read_file(kKmemleak));
	std::string line;
	int lines_kept = 0;
	while (std::getline(in, line)) {
		if (line.rfind("unreferenced object", 0) == 0) {
			leaks.push_back("kmemleak: " + line);
			lines_kept = 0;
		} else if (const auto text = line.find_first_not_of(' ');
			   !leaks.empty() && lines_kept < 12 &&
			   text != std::string::npos) {
			leaks.back() += " | " + line.substr(text);
			++lines_kept;
		}
	}
	return leaks;
}

std::string result_json(const std::map<std::string, MechResult> &results,
			const RunChecks &checks, bool ok)
{
	auto opt_bool = [](const std::optional<bool> &b) {
		return b ? (*b ? "true" : "false") : "null";
	};
	std::ostringstream js;
	js << "{\"ok\": " << (ok ? "true" : "false") << ", \"passed\": " << g_total_pass
	   << ", \"failed\": " << g_total_fail << ", \"skipped\": " << g_total_skip
	   << ", \"tap_lines\": " << g_tap_number
	   << ", \"checks\": {\"boot_log\": " << opt_bool(checks.boot_log)
	   << ", \"end_of_run\": " << opt_bool(checks.end_of_run) << "}, \"mechanisms\": {";
	bool first = true;
	for (const auto &[mech, r] : results) {
		js << (first ? "" : ", ") << '"' << json_escape(mech) << "\": {"
		   << "\"ok\": " << (r.ok() ? "true" : "false")
		   << ", \"passed\": " << r.passed << ", \"failed\": " << r.failed
		   << ", \"skipped\": " << r.skipped << ", \"not_run\": " << r.not_run
		   << ", \"load_ok\": " << (r.load_ok ? "true" : "false")
		   << ", \"unload_ok\": " << (r.unload_ok ? "true" : "false")
		   << ", \"dmesg_clean\": " << (r.dmesg_clean ? "true" : "false")
		   << ", \"wall_s\": " << r.wall_s << ", \"by_tag\": {";
		bool ft = true;
		for (const auto &[tag, n] : r.by_tag) {
			js << (ft ? "" : ", ") << '"' << json_escape(tag) << "\": " << n;
			ft = false;
		}
		js << "}}";
		first = false;
	}
	js << "}";
	bool any_faults = false;
	for (const auto &[mech, r] : results) {
		if (!r.faults.ran)
			continue;
		js << (any_faults ? ", " : ", \"faults\": {") << '"' << json_escape(mech)
		   << "\": {\"load_sites\": " << r.faults.load_sites
		   << ", \"op_sites\": " << r.faults.op_sites
		   << ", \"failed\": " << r.faults.failed << ", \"wall_s\": " << r.faults.wall_s
		   << "}";
		any_faults = true;
	}
	js << (any_faults ? "}}" : "}");
	return js.str();
}

/*
 * Run "kuipc-<mech> demo". The client narrates its steps through
 * kuipc::demo (userspace/common/demo.hpp), which, with KUIPC_DEMO_KMSG=1,
 * shows the kernel log lines each step caused right before the step; lines
 * it prints otherwise are shown as the client's.
 */
bool run_demo_client(const std::string &mech, kuipc::KmsgReader &kmsg, double &secs,
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

/* A run-level check (boot log, end of run): TAP line and totals. */
bool run_check(const std::string &desc, const std::vector<std::string> &bad)
{
	tap(bad.empty(), desc);
	for (const auto &b : bad)
		diag("  kernel: " + b);
	bad.empty() ? ++g_total_pass : ++g_total_fail;
	return bad.empty();
}

/*
 * In a freshly booted guest: the kernel reported nothing before the suite.
 * Besides hiding a broken kernel, a report at boot can silence the ones
 * the suite exists for: KASAN prints only its first report (unless booted
 * with kasan_multi_shot), lockdep turns itself off after its first.
 */
bool check_boot_log(kuipc::KmsgReader &kmsg)
{
	return run_check("kernel: boot log clean", kuipc::kernel_reports(kmsg, 0UL));
}

/*
 * After the last mechanism: work a module left behind (a timer, a work
 * item, an RCU callback) runs after its unload, and may report then. Wait
 * a grace period, let kmemleak scan once more, and sweep the log.
 */
bool check_end_of_run(kuipc::KmsgReader &kmsg, std::optional<unsigned long> taint0,
		      const Options &opt, bool kmemleak)
{
	const auto grace = std::chrono::seconds(2) * std::max(1, opt.timeout_s / 60);
	std::vector<std::string> bad;
	if (kmemleak) {
		/* Leaks reported already were reported with their mechanism. */
		kuipc::test::write_file(kKmemleak, "clear");
		bad = kmemleak_scan(); /* waits out kmemleak's minimum age */
	}
	const auto until = Clock::now() + grace;
	while (Clock::now() < until) {
		pollfd pfd{kmsg.fd(), POLLIN, 0};
		::poll(&pfd, kmsg.fd() >= 0 ? 1 : 0, 200);
		kmsg.pump();
	}
	for (auto &r : kuipc::kernel_reports(kmsg, taint0))
		bad.push_back(std::move(r));
	return run_check("kernel: log clean at end", bad);
}

int run(const Options &opt)
{
	std::vector<std::string> mechs = installed_mechs();
	if (!opt.only.empty()) {
		for (const auto &m : opt.only) {
			if (std::find(mechs.begin(), mechs.end(), m) == mechs.end()) {
				out("Bail out! no module for mechanism '" + m + "' in " +
				    kuipc::module_dir());
				return 2;
			}
		}
		mechs = opt.only;
	}
	if (mechs.empty()) {
		out("Bail out! no modules in " + kuipc::module_dir());
		return 2;
	}
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
		MechResult &res = results[mech];
		const auto t0 = Clock::now();
		const std::string modname = "kuipc_" + mech;
		if (opt.demo)
			out("\n=== " + mech + " ===");
		else
			diag(mech);
		if (kmemleak)
			kuipc::test::write_file(kKmemleak, "clear");
		std::optional<std::pair<long, long>> mem0;
		if (!opt.demo) {
			try {
				mem0 = settled_memory();
			} catch (const kuipc::Error &e) {
				check(res, false, mech + ": memory sampled before its tests",
				      {e.what()});
			}
		}

		std::string load_err;
		try {
			kuipc::load_module(kuipc::module_path(mech),
					   opt.demo ? "dyndbg=+p" : "");
			res.load_ok = true;
		} catch (const kuipc::Error &e) {
			load_err = e.what();
		}
		if (!opt.demo)
			check(res, res.load_ok, mech + ": module loads", {load_err});
		else if (!res.load_ok)
			out("  load failed: " + load_err);

		double demo_secs = 0;
		bool demo_ok = false;
		std::vector<std::string> bad;
		if (res.load_ok) {
			if (!opt.demo)
				run_tests(mech, opt, res, kmsg);
			else
				demo_ok = run_demo_client(mech, kmsg, demo_secs, bad);
		}

		std::string unload_err;
		if (res.load_ok) {
			try {
				kuipc::unload_module(modname, 5000);
				res.unload_ok = true;
			} catch (const kuipc::Error &e) {
				unload_err = e.what();
			}
			if (!opt.demo)
				check(res, res.unload_ok, mech + ": module unloads", {unload_err});
		}
		if (!opt.demo && res.unload_ok) {
			if (mem0)
				run_test_phase_leaks(mech, res, *mem0, kmemleak);
			kmsg.pump();
			run_cycles(mech, res, kmemleak);
			if (opt.faults)
				run_faults(mech, opt, res, kmsg);
		}

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
		res.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
		if (!opt.demo) {
			std::array<char, 96> done{};
			std::snprintf(done.data(), done.size(), "%s: done in %.1f s",
				      mech.c_str(), res.wall_s);
			diag(done.data());
		}
		if (opt.demo) {
			const bool ok = res.load_ok && res.unload_ok && res.dmesg_clean && demo_ok;
			std::array<char, 32> t{};
			std::snprintf(t.data(), t.size(), "%.1f ms", demo_secs * 1e3);
			table.emplace_back(mech, std::string(ok ? "ok" : "FAILED") + "\t" + t.data());
			if (!ok) {
				for (const auto &b : bad)
					out("  kernel report: " + b);
				++g_total_fail;
			} else {
				++g_total_pass;
			}
		}
	}

	if (opt.demo) {
		out("");
		out("mechanism      result   client run time");
		for (const auto &[m, row] : table) {
			const auto tab = row.find('\t');
			std::array<char, 128> line{};
			std::snprintf(line.data(), line.size(), "%-14s %-8s %s", m.c_str(),
				      row.substr(0, tab).c_str(), row.substr(tab + 1).c_str());
			out(line.data());
		}
	} else {
		diag("kernel: final sweep of the log");
		checks.end_of_run = check_end_of_run(kmsg, taint0, opt, kmemleak);
		out("1.." + std::to_string(g_tap_number));
	}
	const bool ok = g_total_fail == 0;
	out("KUIPC-RESULT " + result_json(results, checks, ok));
	std::string summary = std::to_string(g_total_pass) + " passed, " +
			      std::to_string(g_total_fail) + " failed";
	if (g_total_skip > 0)
		summary += ", " + std::to_string(g_total_skip) + " skipped";
	out(summary);
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
			return Catch::Session().run(static_cast<int>(cargv.size()), cargv.data());
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
