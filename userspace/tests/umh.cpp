// SPDX-License-Identifier: GPL-2.0
// VM tests of the usermodehelper pair: kuipc_umh.ko, kuipc-umh-helper and
// kuipc::umh.
//
// The runner loads the module before these tests and unloads it after.
// Each test waits until no request of an earlier one is in flight and
// leaves the module loaded with its default helper. A running helper is
// found by its command line in /proc (argv[4] is the argument, unique per
// test); waiting is done by polling the module's counters or /proc, never
// by sleeping a guessed time.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "module.hpp"
#include "support.hpp"
#include "umh.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using kuipc::test::errno_of;
using kuipc::test::ioctl_err;

namespace umh = kuipc::umh;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char *mech = "umh";
constexpr const char *modname = "kuipc_umh";

/* Poll pred every 2 ms until it holds; false after limit (a safety net). */
bool wait_until(const std::function<bool()> &pred,
		std::chrono::milliseconds limit = 10s)
{
	const auto end = Clock::now() + limit;
	while (!pred()) {
		if (Clock::now() >= end)
			return false;
		std::this_thread::sleep_for(2ms);
	}
	return true;
}

/* Every test starts here: no request of an earlier test in flight. */
umh::Device idle_device()
{
	umh::Device dev;
	REQUIRE(wait_until([&] { return dev.stats().in_flight == 0; }));
	return dev;
}

/* 0, or the errno of one write(2) of text. */
int write_err(int fd, const std::string &text)
{
	const ssize_t n = ::write(fd, text.data(), text.size());
	if (n < 0)
		return errno;
	return static_cast<size_t>(n) == text.size() ? 0 : EIO;
}

/* A running helper process: its pid and the request id it was given. */
struct HelperProc {
	pid_t pid;
	uint64_t id;
};

/* The helper processes whose argument (argv[4]) is arg. */
std::vector<HelperProc> find_helpers(const std::string &arg)
{
	const std::string path = umh::helper_path();
	std::vector<HelperProc> found;
	for (const auto &ent : std::filesystem::directory_iterator("/proc")) {
		const std::string name = ent.path().filename();
		if (name.empty() || name.find_first_not_of("0123456789") !=
					    std::string::npos)
			continue;
		std::string cmdline;
		try {
			cmdline = kuipc::test::read_file("/proc/" + name + "/cmdline");
		} catch (const kuipc::Error &) {
			continue; /* gone meanwhile */
		}
		std::vector<std::string> argv;
		for (size_t pos = 0; pos < cmdline.size();) {
			const size_t end = cmdline.find('\0', pos);
			argv.push_back(cmdline.substr(pos, end - pos));
			if (end == std::string::npos)
				break;
			pos = end + 1;
		}
		if (argv.size() == 5 && argv[0] == path && argv[4] == arg)
			found.push_back({std::stoi(name), std::stoull(argv[1])});
	}
	return found;
}

/* True once pid no longer exists (reaped, not merely a zombie). */
bool gone(pid_t pid)
{
	return ::kill(pid, 0) != 0 && errno == ESRCH;
}

/*
 * Threads blocked in requests whose helpers hang: on the way out of a test,
 * also one cut short by a failed REQUIRE, kill those helpers and join the
 * threads, so no thread outlives its test. A no-op after a normal join.
 */
struct Hanging {
	std::vector<std::string> args;
	std::vector<std::thread> threads;

	Hanging() = default;
	Hanging(const Hanging &) = delete;
	Hanging &operator=(const Hanging &) = delete;
	~Hanging()
	{
		for (std::thread &t : threads) {
			if (!t.joinable())
				continue;
			try {
				for (const std::string &arg : args) {
					for (const HelperProc &p : find_helpers(arg))
						::kill(p.pid, SIGKILL);
				}
			} catch (...) {
				/* The request's own timeout ends it. */
			}
			t.join();
		}
	}
};

/* What a request whose helper hangs gives back when it ends. */
struct HungRequest {
	std::optional<umh::Result> res;
	std::atomic<int> err{0};
};

/*
 * Start, in a thread of hanging's, a request whose helper (argument arg)
 * reports and then hangs, and wait for that report. Returns the helper.
 */
HelperProc hang_request(umh::Device &dev, const umh::Stats &before, const std::string &arg,
			Hanging &hanging, HungRequest &req)
{
	hanging.args.push_back(arg);
	hanging.threads.emplace_back([&dev, &req, arg] {
		req.err = errno_of([&] {
			req.res = dev.trigger(umh::Mode::hang, arg, 0, KUIPC_UMH_TIMEOUT_MAX_MS);
		});
	});
	std::vector<HelperProc> procs;
	REQUIRE(wait_until([&] {
		procs = find_helpers(arg);
		return req.err != 0 ||
		       (procs.size() == 1 && dev.stats().reports == before.reports + 1);
	}));
	REQUIRE(req.err == 0);
	return procs.front();
}

/* Kill the helper of hang_request() and wait for the request: its result. */
const umh::Result &kill_hung(Hanging &hanging, HungRequest &req, const HelperProc &helper)
{
	REQUIRE(::kill(helper.pid, SIGKILL) == 0);
	hanging.threads.front().join();
	REQUIRE(req.err == 0);
	REQUIRE(req.res);
	return *req.res;
}

/* Reload the module with its default helper when a test leaves it out. */
struct Reload {
	Reload() = default;
	Reload(const Reload &) = delete;
	Reload &operator=(const Reload &) = delete;
	~Reload()
	{
		try {
			if (kuipc::module_loaded(modname) &&
			    umh::helper_path() == KUIPC_UMH_HELPER_DEFAULT)
				return;
			if (kuipc::module_loaded(modname))
				kuipc::unload_module(modname, 5000);
			kuipc::load_module(kuipc::module_path(mech));
		} catch (const kuipc::Error &) {
			/* The next test's open() will say so. */
		}
	}
};

using kuipc::test::GuardedPages;

/* The fields of two stats that bad input must leave alone. */
void check_unchanged(const umh::Stats &a, const umh::Stats &b)
{
	CHECK(b.in_flight == a.in_flight);
	CHECK(b.requests == a.requests);
	CHECK(b.exited == a.exited);
	CHECK(b.failed == a.failed);
	CHECK(b.reports == a.reports);
}

} // namespace

TEST_CASE("umh: the argument reaches the helper intact and comes back as its report",
	  "[umh]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();

	std::string longest;
	while (longest.size() + 2 <= KUIPC_UMH_ARG_MAX)
		longest += "é"; /* two bytes each: exactly the limit */
	REQUIRE(longest.size() == KUIPC_UMH_ARG_MAX);
	const std::vector<std::string> args = {
		"héllo wörld 'quoted' \"double\"",
		"",
		"  leading and trailing spaces  ",
		"tab\there, newline\nthere, back\\slash, $HOME `id` ;|&",
		"日本語 ✓ 🐧",
		longest,
	};

	uint64_t last = before.requests;
	for (const std::string &arg : args) {
		CAPTURE(arg);
		const umh::Result res = dev.trigger(umh::Mode::echo, arg);
		CHECK(res.id == last + 1);
		last = res.id;
		CHECK(res.reported());
		CHECK_FALSE(res.timed_out());
		CHECK(res.output == arg);
		CHECK(res.exited());
		CHECK(res.exit_code() == 0);
	}

	const umh::Stats after = dev.stats();
	CHECK(after.requests == last);
	CHECK(after.exited == before.exited + args.size());
	CHECK(after.reports == before.reports + args.size());
	CHECK(after.failed == before.failed);
	CHECK(after.in_flight == 0);
}

TEST_CASE("umh: the helper's exit status reaches the caller", "[umh]")
{
	umh::Device dev = idle_device();

	for (const uint32_t code : {0U, 3U, 42U, 1U, 255U}) {
		CAPTURE(code);
		const std::string arg = "exit with " + std::to_string(code);
		const umh::Result res = dev.trigger(umh::Mode::exit, arg, code);
		CHECK(res.exited());
		CHECK(res.exit_code() == static_cast<int>(code));
		/* The raw wait status: the exit code in bits 8-15. */
		CHECK(((res.status >> 8) & 0xff) == static_cast<int>(code));
		CHECK((res.status & 0x7f) == 0);
		CHECK(res.output == arg);
		CHECK(umh::describe_status(res.status) ==
		      "exited " + std::to_string(code));
	}
}

namespace {

/*
 * A request the module must refuse with err before it runs anything: no id
 * is used and no counter moves.
 */
void check_refused(umh::Device &dev, kuipc_umh_request req, int err)
{
	const umh::Stats before = dev.stats();
	CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, &req) == err);
	check_unchanged(before, dev.stats());
}

/* After refusals: the next request works and gets the next id. */
void check_still_serves(umh::Device &dev)
{
	const umh::Stats before = dev.stats();
	const umh::Result res = dev.trigger(umh::Mode::echo, "still here");
	CHECK(res.id == before.requests + 1);
	CHECK(res.output == "still here");
}

} // namespace

TEST_CASE("umh: an over-long argument or one holding a NUL is EINVAL, nothing runs",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	check_refused(dev, umh::make_request(umh::Mode::echo,
					     std::string(KUIPC_UMH_ARG_MAX + 1, 'x')),
		      EINVAL);
	check_refused(dev, umh::make_request(umh::Mode::echo,
					     std::string(std::size_t{4} * KUIPC_UMH_ARG_MAX, 'x')),
		      EINVAL);
	check_refused(dev, umh::make_request(umh::Mode::echo,
					     std::string("in\0side", 7)),
		      EINVAL);
	check_refused(dev, umh::make_request(umh::Mode::echo, std::string(1, '\0')),
		      EINVAL);
	check_still_serves(dev);
}

TEST_CASE("umh: an argument that is not UTF-8 is EINVAL, nothing runs",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	for (const std::string &s : {
		     std::string("caf\xc3"),          /* truncated sequence */
		     std::string("\xff\xfe"),         /* never valid in UTF-8 */
		     std::string("\xc0\xaf"),         /* overlong "/" */
		     std::string("\xed\xa0\x80"),     /* a UTF-16 surrogate */
		     std::string("\xf4\x90\x80\x80"), /* above U+10FFFF */
		     std::string("\x80start"),        /* a lone continuation */
	     }) {
		CAPTURE(s);
		check_refused(dev, umh::make_request(umh::Mode::echo, s), EINVAL);
	}
	check_still_serves(dev);
}

TEST_CASE("umh: an unknown mode is EINVAL", "[umh][badinput]")
{
	umh::Device dev = idle_device();
	for (const uint32_t mode : {0U, 4U, 0x80000000U, 0xffffffffU}) {
		CAPTURE(mode);
		kuipc_umh_request req = umh::make_request(umh::Mode::echo, "fine");
		req.mode = mode;
		check_refused(dev, req, EINVAL);
	}
	check_still_serves(dev);
}

TEST_CASE("umh: exit codes past 255, or any for echo, are EINVAL",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	check_refused(dev, umh::make_request(umh::Mode::exit, "fine",
					     KUIPC_UMH_EXIT_CODE_MAX + 1),
		      EINVAL);
	check_refused(dev, umh::make_request(umh::Mode::exit, "fine", 0xffffffffU),
		      EINVAL);
	/* echo exits 0: any other code is a contradiction. */
	check_refused(dev, umh::make_request(umh::Mode::echo, "fine", 1), EINVAL);
	/* The bound itself is accepted. */
	const umh::Result res = dev.trigger(umh::Mode::exit, "max",
					    KUIPC_UMH_EXIT_CODE_MAX);
	CHECK(WIFEXITED(res.status));
	CHECK(WEXITSTATUS(res.status) == KUIPC_UMH_EXIT_CODE_MAX);
}

TEST_CASE("umh: a timeout past KUIPC_UMH_TIMEOUT_MAX_MS is EINVAL",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	for (const uint32_t ms : {KUIPC_UMH_TIMEOUT_MAX_MS + 1U, 0xffffffffU}) {
		CAPTURE(ms);
		check_refused(dev, umh::make_request(umh::Mode::hang, "fine", 0, ms),
			      EINVAL);
	}
	check_still_serves(dev);
}

TEST_CASE("umh: output flags or reserved bits set on input are EINVAL",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	for (const uint32_t flags : {KUIPC_UMH_REPORTED, KUIPC_UMH_TIMED_OUT,
				     1U << 31}) {
		CAPTURE(flags);
		kuipc_umh_request req = umh::make_request(umh::Mode::echo, "fine");
		req.flags = flags;
		check_refused(dev, req, EINVAL);
	}
	check_still_serves(dev);
}

TEST_CASE("umh: malformed or unknown reports are refused and change nothing",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const std::string over(KUIPC_UMH_OUTPUT_MAX + 1, 'o');
	for (const std::string &bad : {std::string("no-space"),
				       std::string(" 1 leading space"),
				       std::string("abc output"),
				       std::string("-1 output"),
				       std::string("1x output"),
				       std::string("99999999999999999999999 x"),
				       umh::format_report(1, over)}) {
		CAPTURE(bad);
		CHECK(write_err(dev.fd(), bad) == EINVAL);
	}
	CHECK(write_err(dev.fd(), std::string(KUIPC_UMH_REPORT_MAX + 1, '1')) ==
	      EINVAL);
	CHECK(write_err(dev.fd(), umh::format_report(before.requests + 1000, "x")) ==
	      ENOENT);
	if (before.requests > 0) /* finished: no longer in flight */
		CHECK(write_err(dev.fd(), umh::format_report(before.requests, "x")) ==
		      ENOENT);
	check_unchanged(before, dev.stats());
}

TEST_CASE("umh: only the helper of a request may report for it",
	  "[umh][permission][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();

	/* A live request: its helper has reported and now hangs. */
	const std::string arg = "genuine report ✓";
	HungRequest req;
	Hanging hanging;
	const HelperProc helper = hang_request(dev, before, arg, hanging, req);
	CHECK(helper.id == before.requests + 1);

	/* Root, but not that helper: refused, by us and by nobody. */
	CHECK(write_err(dev.fd(), umh::format_report(helper.id, "forged")) == EPERM);
	/* Refused before the lookup: an id too long to be one, leading zeros
	 * and all, is no id at all. */
	CHECK(write_err(dev.fd(), std::string(30, '0') + std::to_string(helper.id) +
					  " forged") == EINVAL);
	const int fd = dev.fd();
	CHECK(kuipc::test::run_unprivileged([&] {
		return write_err(fd, umh::format_report(helper.id, "forged"));
	}) == EPERM);

	/* Killed from outside, the helper's signal is its status. */
	const umh::Result &res = kill_hung(hanging, req, helper);
	CHECK(res.id == helper.id);
	CHECK(res.signaled());
	CHECK(res.signal() == SIGKILL);
	CHECK_FALSE(res.timed_out());
	CHECK(res.reported());
	CHECK(res.output == arg);
	CHECK(dev.stats().reports == before.reports + 1);
}

TEST_CASE("umh: an argument the kernel cannot read gives EFAULT and runs nothing",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const GuardedPages pages(PROT_NONE);

	/* Wholly on the unreadable page. */
	kuipc_umh_request req =
		umh::make_request(umh::Mode::echo, std::string_view(pages.bad(), 4));
	CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, &req) == EFAULT);

	/* Three readable bytes, the fourth on the unreadable page. */
	char *abc = pages.tail(3);
	std::copy_n("abc", 3, abc);
	req = umh::make_request(umh::Mode::echo, std::string_view(abc, 4));
	CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, &req) == EFAULT);

	/* Addresses no process can have. */
	for (const uint64_t bad : {uint64_t{0}, ~uint64_t{0}, uint64_t{1} << 63}) {
		CAPTURE(bad);
		req = umh::make_request(umh::Mode::echo, "ok");
		req.arg_ptr = bad;
		CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, &req) == EFAULT);
	}

	check_unchanged(before, dev.stats());
	/* The readable part alone is a good argument. */
	const umh::Result res = dev.trigger(umh::Mode::echo, std::string_view(abc, 3));
	CHECK(res.id == before.requests + 1);
	CHECK(res.output == "abc");
}

TEST_CASE("umh: a request or stats struct the kernel cannot read gives EFAULT",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const GuardedPages pages(PROT_NONE);

	CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, pages.bad()) == EFAULT);
	CHECK(ioctl_err(dev.fd(), KUIPC_UMH_GET_STATS, pages.bad()) == EFAULT);

	/* A good request whose arg_len and flags lie on the unreadable page. */
	const std::string arg = "cut short";
	const kuipc_umh_request good = umh::make_request(umh::Mode::echo, arg);
	constexpr size_t head = offsetof(kuipc_umh_request, arg_len);
	char *at = pages.tail(head);
	std::memcpy(at, &good, head);
	CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, at) == EFAULT);

	/* Stats whose .size is readable but whose counters are not. */
	umh::Stats want{};
	want.size = sizeof(want);
	constexpr size_t stats_head = offsetof(umh::Stats, requests);
	at = pages.tail(stats_head);
	std::memcpy(at, &want, stats_head);
	CHECK(ioctl_err(dev.fd(), KUIPC_UMH_GET_STATS, at) == EFAULT);

	check_unchanged(before, dev.stats());
	CHECK(dev.trigger(umh::Mode::echo, arg).id == before.requests + 1);
}

TEST_CASE("umh: a request whose result cannot be written back gives EFAULT and runs nothing",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const GuardedPages pages(PROT_READ);

	/*
	 * The input fields and the start of the output are writable, the
	 * rest of output[] is on a read-only page: the module can read the
	 * whole request but cannot return the result.
	 */
	const std::string arg = "nowhere to answer";
	const kuipc_umh_request good = umh::make_request(umh::Mode::echo, arg);
	constexpr size_t writable = offsetof(kuipc_umh_request, output) + 16;
	char *at = pages.tail(writable);
	std::memcpy(at, &good, writable);
	CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, at) == EFAULT);

	/* Not run: no id used, no helper started, nothing reported. */
	check_unchanged(before, dev.stats());
	CHECK(find_helpers(arg).empty());

	/* The same request in writable memory runs, with the next id. */
	kuipc_umh_request req = good;
	const umh::Result res = dev.trigger(req);
	CHECK(res.id == before.requests + 1);
	CHECK(res.output == arg);
}

TEST_CASE("umh: ioctl numbers with the wrong size, direction or type give ENOTTY",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const std::string arg = "not this way";

	constexpr unsigned rw = _IOC_READ | _IOC_WRITE;
	constexpr unsigned nr = _IOC_NR(KUIPC_UMH_TRIGGER);
	constexpr unsigned size = sizeof(kuipc_umh_request);
	const std::vector<unsigned long> wrong = {
		_IOC(rw, KUIPC_UMH_IOC_MAGIC, nr, size - 1),
		_IOC(rw, KUIPC_UMH_IOC_MAGIC, nr, size + 1),
		_IOC(rw, KUIPC_UMH_IOC_MAGIC, nr, 8),
		_IOC(_IOC_WRITE, KUIPC_UMH_IOC_MAGIC, nr, size),
		_IOC(_IOC_READ, KUIPC_UMH_IOC_MAGIC, nr, size),
		_IOC(_IOC_NONE, KUIPC_UMH_IOC_MAGIC, nr, 0),
		_IOC(rw, KUIPC_UMH_IOC_MAGIC + 1, nr, size),
		_IOC(rw, KUIPC_UMH_IOC_MAGIC, _IOC_NR(KUIPC_UMH_GET_STATS), size),
		_IOC(rw, KUIPC_UMH_IOC_MAGIC, nr, sizeof(umh::Stats)),
	};
	for (const unsigned long cmd : wrong) {
		CAPTURE(umh::ioctl_name(cmd));
		/* A good request: only the number is wrong. */
		kuipc_umh_request req = umh::make_request(umh::Mode::echo, arg);
		CHECK(ioctl_err(dev.fd(), cmd, &req) == ENOTTY);
		CHECK(req.id == 0);
	}

	check_unchanged(before, dev.stats());
	CHECK(find_helpers(arg).empty());
	CHECK(dev.trigger(umh::Mode::echo, arg).id == before.requests + 1);
}

TEST_CASE("umh: a .size one byte off either way, or 0, gives EINVAL",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const std::string arg = "sized";

	for (const uint32_t size : {0U, uint32_t{sizeof(kuipc_umh_request) - 1},
				    uint32_t{sizeof(kuipc_umh_request) + 1}, 0xffffffffU}) {
		CAPTURE(size);
		kuipc_umh_request req = umh::make_request(umh::Mode::echo, arg);
		req.size = size;
		CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, &req) == EINVAL);
		CHECK(req.id == 0);
		CHECK(req.output_len == 0);
	}
	for (const uint32_t size : {0U, uint32_t{sizeof(umh::Stats) - 1},
				    uint32_t{sizeof(umh::Stats) + 1}}) {
		CAPTURE(size);
		/* A refused call writes nothing back: the marker stays. */
		umh::Stats st{};
		st.size = size;
		st.in_flight = 0xdead;
		st.requests = 0xbeef;
		CHECK(ioctl_err(dev.fd(), KUIPC_UMH_GET_STATS, &st) == EINVAL);
		CHECK(st.in_flight == 0xdead);
		CHECK(st.requests == 0xbeef);
	}

	check_unchanged(before, dev.stats());
	CHECK(dev.trigger(umh::Mode::echo, arg).id == before.requests + 1);
}

TEST_CASE("umh: -1 in a numeric field of a request gives EINVAL", "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const std::string arg = "minus one";
	constexpr uint32_t minus_one = 0xffffffffU;

	const std::vector<std::pair<const char *, uint32_t kuipc_umh_request::*>> fields = {
		{"mode", &kuipc_umh_request::mode},
		{"exit_code", &kuipc_umh_request::exit_code},
		{"timeout_ms", &kuipc_umh_request::timeout_ms},
		{"arg_len", &kuipc_umh_request::arg_len},
		{"flags", &kuipc_umh_request::flags},
	};
	for (const auto &[name, field] : fields) {
		CAPTURE(name);
		/* exit mode: the one where any exit code up to 255 is fine. */
		kuipc_umh_request req = umh::make_request(umh::Mode::exit, arg, 7);
		req.*field = minus_one;
		CHECK(ioctl_err(dev.fd(), KUIPC_UMH_TRIGGER, &req) == EINVAL);
		CHECK(req.id == 0);
	}

	check_unchanged(before, dev.stats());
	const umh::Result res = dev.trigger(umh::Mode::exit, arg, 7);
	CHECK(res.id == before.requests + 1);
	CHECK(res.exit_code() == 7);
}

TEST_CASE("umh: a report id that is not plain decimal digits gives EINVAL",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	/* No request has this id: a report that parses gets ENOENT. */
	const std::string id = std::to_string(before.requests + 1000);
	CHECK(write_err(dev.fd(), id + " parsed") == ENOENT);

	for (const std::string &bad : {"+" + id + " sign", id + "\n sign",
				       std::string(" ") + id + " space first",
				       id + std::string("\0", 1) + " embedded NUL",
				       id + "x trailing garbage", "0x" + id + " hex",
				       std::string("\t") + id + " tab"}) {
		CAPTURE(bad);
		CHECK(write_err(dev.fd(), bad) == EINVAL);
	}
	const umh::Stats after = dev.stats();
	check_unchanged(before, after);
	CHECK(after.abandoned == before.abandoned);
}

TEST_CASE("umh: a report of KUIPC_UMH_REPORT_MAX bytes is parsed, one byte more is EINVAL",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();

	/* The largest id (20 digits) and the largest output: parsed, and
	 * refused only because no such request is in flight. */
	const std::string max_id = std::to_string(UINT64_MAX);
	REQUIRE(max_id.size() == 20);
	const std::string longest =
		umh::format_report(UINT64_MAX, std::string(KUIPC_UMH_OUTPUT_MAX, 'o'));
	REQUIRE(longest.size() == KUIPC_UMH_REPORT_MAX);
	CHECK(write_err(dev.fd(), longest) == ENOENT);
	CHECK(write_err(dev.fd(), longest + "o") == EINVAL);

	/* One above the largest id: 20 digits, but it does not fit. */
	CHECK(write_err(dev.fd(), max_id + " x") == ENOENT);
	CHECK(write_err(dev.fd(), "18446744073709551616 x") == EINVAL);

	/* Output one byte over its own limit under a short id. */
	CHECK(write_err(dev.fd(),
			umh::format_report(1, std::string(KUIPC_UMH_OUTPUT_MAX + 1, 'o'))) ==
	      EINVAL);

	check_unchanged(before, dev.stats());
}

TEST_CASE("umh: a report id of more than KUIPC_UMH_ID_DIGITS_MAX digits is EINVAL, leading zeros too",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	/* No request has this id: a report that parses gets ENOENT. */
	const std::string id = std::to_string(before.requests + 1000);
	const std::string widest =
		std::string(KUIPC_UMH_ID_DIGITS_MAX - id.size(), '0') + id;
	CHECK(write_err(dev.fd(), widest + " x") == ENOENT);

	for (const std::string &bad :
	     {"0" + widest + " x", std::string(30, '0') + id + " x",
	      std::string(30, '0') + "1 x",
	      std::string(KUIPC_UMH_ID_DIGITS_MAX + 1, '0') + " x"}) {
		CAPTURE(bad);
		CHECK(write_err(dev.fd(), bad) == EINVAL);
	}
	check_unchanged(before, dev.stats());
}

TEST_CASE("umh: an empty report, an unreadable one and a pwrite() are refused",
	  "[umh][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const GuardedPages pages(PROT_NONE);
	const std::string report = umh::format_report(before.requests + 1000, "x");
	/* 0, or the errno of one write(2) of n bytes at p. */
	const auto write_at = [&](const char *p, size_t n) {
		return ::write(dev.fd(), p, n) < 0 ? errno : 0;
	};

	CHECK(write_at(report.data(), 0) == EINVAL);
	CHECK(write_at(pages.bad(), report.size()) == EFAULT);
	/* All but its last byte readable. */
	char *at = pages.tail(report.size() - 1);
	std::copy_n(report.data(), report.size() - 1, at);
	CHECK(write_at(at, report.size()) == EFAULT);

	/* The device is a stream: there is no offset to write at. */
	const ssize_t n = ::pwrite(dev.fd(), report.data(), report.size(), 0);
	const int pwrite_err = n < 0 ? errno : 0;
	CHECK(pwrite_err == ESPIPE);

	check_unchanged(before, dev.stats());
	/* The same report in full, from readable memory, parses. */
	CHECK(write_err(dev.fd(), report) == ENOENT);
}

TEST_CASE("umh: only CAP_SYS_ADMIN may trigger; the node is root-only",
	  "[umh][permission]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();

	struct stat st {};
	REQUIRE(::stat(KUIPC_UMH_PATH, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK((st.st_mode & 07777) == KUIPC_UMH_MODE);

	/* nobody cannot open the node ... */
	CHECK(kuipc::test::run_unprivileged([] {
		return errno_of([] { const umh::Device d; });
	}) == EACCES);

	/* ... and with a descriptor root opened, the capability is checked. */
	const int fd = dev.fd();
	CHECK(kuipc::test::run_unprivileged([fd] {
		const std::string arg = "unprivileged";
		kuipc_umh_request req = umh::make_request(umh::Mode::echo, arg);
		return ioctl_err(fd, KUIPC_UMH_TRIGGER, &req);
	}) == EPERM);
	/* Reading the counters needs no capability. */
	CHECK(kuipc::test::run_unprivileged([fd] {
		umh::Stats s{};
		s.size = sizeof(s);
		return ioctl_err(fd, KUIPC_UMH_GET_STATS, &s);
	}) == 0);

	check_unchanged(before, dev.stats());
	CHECK(dev.trigger(umh::Mode::echo, "root may").output == "root may");
}

TEST_CASE("umh: root in a new user namespace is refused what needs a capability in the initial one",
	  "[umh][permission]")
{
	using kuipc::test::run_in_userns;
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const int fd = dev.fd();

	/* Its uid 0 is nobody outside: the root-owned node stays shut. */
	CHECK(run_in_userns([] {
		return errno_of([] { const umh::Device d; });
	}) == EACCES);

	/* CAP_SYS_ADMIN in its own namespace is not capable(CAP_SYS_ADMIN). */
	CHECK(run_in_userns([fd] {
		const std::string arg = "user namespace";
		kuipc_umh_request req = umh::make_request(umh::Mode::echo, arg);
		return ioctl_err(fd, KUIPC_UMH_TRIGGER, &req);
	}) == EPERM);
	/* The descriptor works there: the refusal was the capability's. */
	CHECK(run_in_userns([fd] {
		umh::Stats s{};
		s.size = sizeof(s);
		return ioctl_err(fd, KUIPC_UMH_GET_STATS, &s);
	}) == 0);
	check_unchanged(before, dev.stats());

	/* Nor may it report for a live request: only its helper may. */
	const std::string arg = "genuine report, userns";
	HungRequest req;
	Hanging hanging;
	const HelperProc helper = hang_request(dev, before, arg, hanging, req);
	CHECK(run_in_userns([fd, id = helper.id] {
		return write_err(fd, umh::format_report(id, "forged"));
	}) == EPERM);

	const umh::Result &res = kill_hung(hanging, req, helper);
	CHECK(res.id == helper.id);
	CHECK(res.output == arg);
	CHECK(dev.stats().reports == before.reports + 1);
	CHECK(dev.stats().requests == before.requests + 1);
}

TEST_CASE("umh: the helper path is read-only after load",
	  "[umh][permission]")
{
	struct stat st {};
	REQUIRE(::stat(KUIPC_UMH_HELPER_PARAM, &st) == 0);
	CHECK((st.st_mode & 0777) == 0444);
	CHECK(kuipc::test::read_file(KUIPC_UMH_HELPER_PARAM) ==
	      std::string(KUIPC_UMH_HELPER_DEFAULT) + "\n");
	/* Not even root may change it: sysfs refuses a write open. */
	CHECK(kuipc::test::write_file(KUIPC_UMH_HELPER_PARAM, "/tmp/evil") == EACCES);
	CHECK(umh::helper_path() == KUIPC_UMH_HELPER_DEFAULT);
	umh::Device dev = idle_device();
	CHECK(dev.trigger(umh::Mode::echo, "still mine").output == "still mine");
}

TEST_CASE("umh: bad helper paths are refused at load; a missing helper gives ENOENT",
	  "[umh][lifecycle][badinput]")
{
	const Reload reload;
	idle_device();
	REQUIRE_NOTHROW(kuipc::unload_module(modname, 5000));

	const std::vector<std::string> bad = {
		"",
		"usr/bin/kuipc-umh-helper",
		"./kuipc-umh-helper",
		"/usr/../usr/bin/kuipc-umh-helper",
		"/usr/bin/..",
		"//usr/bin/kuipc-umh-helper",
		"/usr//bin/kuipc-umh-helper",
		"/usr/bin/./kuipc-umh-helper",
		"/usr/bin/",
		"/",
		"/" + std::string(KUIPC_UMH_HELPER_PATH_MAX, 'a'),
	};
	for (const std::string &path : bad) {
		CAPTURE(path);
		CHECK(errno_of([&] {
			kuipc::load_module(kuipc::module_path(mech), "helper=" + path);
		}) == EINVAL);
		CHECK_FALSE(kuipc::module_loaded(modname));
	}

	/* Absolute and clean, but no such file: it loads, triggers fail. */
	const std::string missing = "/nonexistent/kuipc-umh-helper";
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path(mech),
					   "helper=" + missing));
	CHECK(umh::helper_path() == missing);
	{
		const umh::Device dev;
		CHECK(errno_of([&] { (void)dev.trigger(umh::Mode::echo, "x"); }) ==
		      ENOENT);
		CHECK(errno_of([&] { (void)dev.trigger(umh::Mode::exit, "y", 3); }) ==
		      ENOENT);
		const umh::Stats st = dev.stats();
		CHECK(st.requests == 2);
		CHECK(st.failed == 2);
		CHECK(st.exited == 0);
		CHECK(st.in_flight == 0);
	}
	REQUIRE_NOTHROW(kuipc::unload_module(modname, 5000));

	/* A file that is not executable: the exec's own EACCES. */
	const std::string plain = "/tmp/kuipc-umh-not-executable";
	{
		const kuipc::Fd f(::open(plain.c_str(),
					 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
					 0644));
		REQUIRE(f);
		REQUIRE(write_err(f.get(), "#!/bin/sh\nexit 0\n") == 0);
	}
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path(mech),
					   "helper=" + plain));
	{
		const umh::Device dev;
		CHECK(errno_of([&] { (void)dev.trigger(umh::Mode::echo, "x"); }) ==
		      EACCES);
	}
	REQUIRE_NOTHROW(kuipc::unload_module(modname, 5000));
	::unlink(plain.c_str());

	/* Loaded normally again: the default helper runs. */
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path(mech)));
	CHECK(umh::helper_path() == KUIPC_UMH_HELPER_DEFAULT);
	const umh::Device dev;
	const umh::Result res = dev.trigger(umh::Mode::echo, "back again");
	CHECK(res.id == 1);
	CHECK(res.output == "back again");
}

TEST_CASE("umh: a caller killed while its helper hangs exits at once; "
	  "the helper dies and unload works",
	  "[umh][lifecycle]")
{
	const Reload reload;
	const std::string arg = "hang until my caller is killed";
	umh::Stats before{};
	{
		const umh::Device dev = idle_device();
		before = dev.stats();
	}

	const pid_t child = ::fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		/* Raw calls only: this is a fork of a threaded process. */
		const int fd = ::open(KUIPC_UMH_PATH, O_RDWR | O_CLOEXEC);
		kuipc_umh_request req = umh::make_request(umh::Mode::hang, arg, 0,
							  KUIPC_UMH_TIMEOUT_MAX_MS);
		::ioctl(fd, KUIPC_UMH_TRIGGER, &req);
		::_exit(0);
	}

	/* Wait until the helper runs and has reported: it hangs now. */
	std::vector<HelperProc> procs;
	std::optional<umh::Device> dev(std::in_place);
	const bool running = wait_until([&] {
		procs = find_helpers(arg);
		return procs.size() == 1 && dev->stats().reports == before.reports + 1;
	});
	CHECK(running);

	const auto t0 = Clock::now();
	REQUIRE(::kill(child, SIGKILL) == 0);
	int status = 0;
	pid_t waited = 0;
	const bool reaped = wait_until([&] {
		waited = ::waitpid(child, &status, WNOHANG);
		return waited != 0;
	}, 5s);
	if (!reaped)
		::waitpid(child, &status, 0); /* never leave it behind */
	const auto took = Clock::now() - t0;
	REQUIRE(running);
	CHECK(reaped);
	CHECK(waited == child);
	CHECK(WIFSIGNALED(status));
	CHECK(WTERMSIG(status) == SIGKILL);
	CHECK(took < 5s);

	/* The module killed the helper, and its work reaped it. */
	REQUIRE(procs.size() == 1);
	CHECK(wait_until([&] { return gone(procs.front().pid); }));
	CHECK(wait_until([&] { return dev->stats().in_flight == 0; }));
	const umh::Stats after = dev->stats();
	CHECK(after.abandoned == before.abandoned + 1);
	CHECK(after.requests == before.requests + 1);
	CHECK(after.exited == before.exited + 1);
	CHECK(after.timed_out == before.timed_out);

	/* Nothing holds the module: it unloads, and comes back fresh. */
	dev.reset();
	REQUIRE_NOTHROW(kuipc::unload_module(modname, 5000));
	CHECK_FALSE(kuipc::module_loaded(modname));
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path(mech)));
	const umh::Device fresh;
	CHECK(fresh.stats().abandoned == 0);
	CHECK(fresh.trigger(umh::Mode::echo, "alive").output == "alive");
}

TEST_CASE("umh: the module kills a helper at its timeout",
	  "[umh][lifecycle]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	const std::string arg = "hang past my timeout";
	constexpr uint32_t timeout_ms = 3000;

	const auto t0 = Clock::now();
	const umh::Result res = dev.trigger(umh::Mode::hang, arg, 0, timeout_ms);
	const auto took = Clock::now() - t0;

	CHECK(res.timed_out());
	CHECK(res.signaled());
	CHECK(res.signal() == SIGKILL);
	CHECK(res.reported());
	CHECK(res.output == arg);
	CHECK(took >= std::chrono::milliseconds(timeout_ms));
	/* Long before the helper's own limit would have ended it. */
	CHECK(took < std::chrono::seconds(KUIPC_UMH_HANG_MAX_S) / 3);
	CHECK(find_helpers(arg).empty());

	const umh::Stats after = dev.stats();
	CHECK(after.timed_out == before.timed_out + 1);
	CHECK(after.exited == before.exited + 1);
	CHECK(after.in_flight == 0);
}

TEST_CASE("umh: concurrent triggers each get their own status and report",
	  "[umh][concurrency]")
{
	const umh::Stats before = idle_device().stats();
	constexpr unsigned threads = 8;
	constexpr unsigned per_thread = 4;
	/*
	 * 32 helpers at once: on a slow kernel (KASAN under TCG) the default
	 * 10 s is not enough for all of them to start and report; allow what
	 * the runner allows a test, within the module's maximum.
	 */
	const auto helper_timeout_ms = static_cast<uint32_t>(std::min<long>(
		kuipc::test::patience(std::chrono::milliseconds(KUIPC_UMH_TIMEOUT_DEFAULT_MS))
			.count(),
		KUIPC_UMH_TIMEOUT_MAX_MS));

	struct Outcome {
		std::string arg;
		uint32_t code = 0;
		umh::Result res;
		int err = 0;
	};
	std::vector<std::vector<Outcome>> outcomes(threads);
	std::atomic<unsigned> ready{0};
	std::vector<std::thread> workers;
	for (unsigned t = 0; t < threads; ++t) {
		workers.emplace_back([&, t] {
			const umh::Device dev;
			++ready;
			while (ready.load() < threads) /* start together */
				std::this_thread::yield();
			for (unsigned i = 0; i < per_thread; ++i) {
				Outcome o;
				o.arg = "thread " + std::to_string(t) + " request " +
					std::to_string(i) + " ✓";
				o.code = t * per_thread + i;
				o.err = errno_of([&] {
					o.res = dev.trigger(umh::Mode::exit, o.arg, o.code,
							    helper_timeout_ms);
				});
				outcomes[t].push_back(std::move(o));
			}
		});
	}
	for (auto &w : workers)
		w.join();

	std::set<uint64_t> ids;
	for (const auto &per : outcomes) {
		REQUIRE(per.size() == per_thread);
		for (const Outcome &o : per) {
			CAPTURE(o.arg);
			CHECK(o.err == 0);
			CHECK(o.res.output == o.arg);
			CHECK(o.res.exited());
			CHECK(o.res.exit_code() == static_cast<int>(o.code));
			CHECK(o.res.id > before.requests);
			ids.insert(o.res.id);
		}
	}
	constexpr uint64_t total = uint64_t{threads} * per_thread;
	CHECK(ids.size() == total);
	umh::Device dev;
	const umh::Stats after = dev.stats();
	CHECK(after.requests == before.requests + total);
	CHECK(after.reports == before.reports + total);
	CHECK(after.exited == before.exited + total);
	CHECK(after.in_flight == 0);
}

TEST_CASE("umh: requests beyond KUIPC_UMH_MAX_INFLIGHT get EBUSY",
	  "[umh][concurrency][badinput]")
{
	umh::Device dev = idle_device();
	const umh::Stats before = dev.stats();
	constexpr unsigned n = KUIPC_UMH_MAX_INFLIGHT;

	std::vector<std::string> args;
	for (unsigned i = 0; i < n; ++i)
		args.push_back("busy " + std::to_string(i));
	std::vector<umh::Result> results(n);
	std::vector<int> errs(n, 0);
	Hanging hanging;
	hanging.args = args;
	for (unsigned i = 0; i < n; ++i) {
		hanging.threads.emplace_back([&, i] {
			errs[i] = errno_of([&] {
				results[i] = dev.trigger(umh::Mode::hang, args[i], 0,
							 KUIPC_UMH_TIMEOUT_MAX_MS);
			});
		});
	}

	/* All of them running and reported: the module is full. */
	const bool full = wait_until([&] {
		const umh::Stats st = dev.stats();
		return st.in_flight == n && st.reports == before.reports + n;
	}, 30s);
	CHECK(full);
	umh::Stats st = dev.stats();
	if (full) {
		CHECK(errno_of([&] { (void)dev.trigger(umh::Mode::echo, "one more"); }) ==
		      EBUSY);
		st = dev.stats();
		CHECK(st.requests == before.requests + n); /* no id used */
	}

	/* Let them go: kill each helper. */
	for (const std::string &arg : args) {
		std::vector<HelperProc> procs;
		wait_until([&] { return !(procs = find_helpers(arg)).empty(); });
		for (const HelperProc &p : procs)
			::kill(p.pid, SIGKILL);
	}
	for (auto &w : hanging.threads)
		w.join();
	for (unsigned i = 0; i < n; ++i) {
		CAPTURE(i);
		CHECK(errs[i] == 0);
		CHECK(results[i].signaled());
		CHECK(results[i].output == args[i]);
	}
	st = dev.stats();
	CHECK(st.in_flight == 0);
	CHECK(dev.trigger(umh::Mode::echo, "room again").output == "room again");
}
