// SPDX-License-Identifier: GPL-2.0
// VM tests of the sysfs pair: kuipc_sysfs.ko and kuipc::sysfs::Client.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "support.hpp"
#include "sysfs.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <future>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using kuipc::test::errno_of;

namespace sysfs = kuipc::sysfs;
using kuipc::test::GuardedPages;
using kuipc::test::read_file;
using kuipc::test::run_unprivileged;
using kuipc::test::write_file;

/* Safety net for every wait on the kernel; never reached when all is well. */
constexpr int wait_ms = 10000;
constexpr auto wait_time = std::chrono::milliseconds(wait_ms);

bool exists(const char *path)
{
	struct stat st {};
	return ::stat(path, &st) == 0;
}

std::uint64_t as_u64(const std::string &text)
{
	return sysfs::parse_u64(text + "\n", "event");
}

/* Default step and no tick: event then moves only on a trigger. */
void quiet(const sysfs::Client &c)
{
	c.set_tick_ms(sysfs::tick_ms_off);
	c.set_step(sysfs::step_default);
}

void load_default()
{
	kuipc::load_module(kuipc::module_path("sysfs"));
}

/* Whatever a test does to the module, it is loaded when the test ends. */
class KeepLoaded {
public:
	KeepLoaded() = default;
	KeepLoaded(const KeepLoaded &) = delete;
	KeepLoaded &operator=(const KeepLoaded &) = delete;
	KeepLoaded(KeepLoaded &&) = delete;
	KeepLoaded &operator=(KeepLoaded &&) = delete;
	~KeepLoaded()
	{
		try {
			if (!kuipc::module_loaded(sysfs::module_name))
				load_default();
		} catch (...) {
			/* The next test fails loudly on the missing files. */
		}
	}
};

bool is_poll(long nr)
{
#ifdef SYS_poll
	if (nr == SYS_poll)
		return true;
#endif
	return nr == SYS_ppoll;
}

/*
 * Wait (bounded) until thread tid is blocked in poll()/ppoll(), as
 * /proc/self/task/<tid>/syscall shows. Only makes a test stronger: the
 * result holds either way, so a kernel without that file just returns.
 */
void wait_until_in_poll(pid_t tid)
{
	const std::string path =
		"/proc/self/task/" + std::to_string(tid) + "/syscall";
	const auto deadline = std::chrono::steady_clock::now() + wait_time;
	while (std::chrono::steady_clock::now() < deadline) {
		std::string text;
		try {
			text = read_file(path);
		} catch (const kuipc::Error &) {
			return;
		}
		std::istringstream is(text);
		long nr = -1;
		if (is >> nr && is_poll(nr))
			return;
		std::this_thread::yield();
	}
}

/* What a watcher thread saw. */
struct Seen {
	bool woke = false;
	int err = 0;
	std::string text;
};

/*
 * Start a thread that opens a Watcher on path, reports its thread id and
 * first text through ready, waits once (at most timeout_ms) and reports
 * through done.
 */
std::thread start_watcher(const char *path, int timeout_ms,
			  std::promise<std::pair<pid_t, std::string>> &ready,
			  std::promise<Seen> &done)
{
	return std::thread([path, timeout_ms, &ready, &done] {
		Seen seen;
		try {
			sysfs::Watcher w(path);
			ready.set_value({::gettid(), w.text()});
			seen.err = errno_of(
				[&] { seen.woke = w.wait(timeout_ms); });
			seen.text = w.text();
		} catch (...) {
			try {
				ready.set_exception(std::current_exception());
			} catch (const std::future_error &) {
				/* ready was already set */
			}
		}
		done.set_value(seen);
	});
}

std::size_t page_size()
{
	return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

/* write() of n bytes at buf to a fresh descriptor: 0 if all taken, or errno. */
int write_raw(const char *path, const void *buf, std::size_t n)
{
	const kuipc::Fd fd(::open(path, O_WRONLY | O_CLOEXEC));
	if (!fd)
		return errno;
	const ssize_t r = ::write(fd.get(), buf, n);
	if (r < 0)
		return errno;
	return static_cast<std::size_t>(r) == n ? 0 : EIO;
}

} // namespace

TEST_CASE("sysfs: value round trip, one accepted write counted per store",
	  "[sysfs]")
{
	const sysfs::Client c;

	for (const int v : {sysfs::value_min, -1, 0, 42, sysfs::value_max}) {
		INFO("value " << v);
		const std::uint64_t w0 = c.writes();
		c.set_value(v);
		CHECK(c.value() == v);
		CHECK(read_file(sysfs::value_path) == std::to_string(v) + "\n");
		CHECK(c.writes() == w0 + 1);
	}
	/* No newline and an explicit sign are fine too. */
	REQUIRE(write_file(sysfs::value_path, "17") == 0);
	CHECK(c.value() == 17);
	REQUIRE(write_file(sysfs::value_path, "+18\n") == 0);
	CHECK(c.value() == 18);
}

TEST_CASE("sysfs: malformed or out-of-range value gives EINVAL, unchanged",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	c.set_value(7);
	const std::uint64_t w0 = c.writes();

	const std::vector<std::string> bad = {
		std::to_string(sysfs::value_max + 1) + "\n",
		std::to_string(sysfs::value_min - 1) + "\n",
		"99999999999\n",
		"-99999999999",
		"abc\n",
		"4x\n",
		"0x10\n",
		" 5\n",
		"5 \n",
		"5\n\n",
		"\n",
		"-\n",
		"+",
		std::string("4\0" "2\n", 4),
	};
	for (const auto &b : bad) {
		INFO("write \"" << sysfs::escape(b) << "\"");
		CHECK(write_file(sysfs::value_path, b) == EINVAL);
		CHECK(c.value() == 7);
	}
	CHECK(c.writes() == w0);

	/* Zero bytes never reach store(): write() returns 0. */
	{
		kuipc::Fd fd(::open(sysfs::value_path, O_WRONLY | O_CLOEXEC));
		REQUIRE(fd);
		CHECK(::write(fd.get(), "", 0) == 0);
	}
	/* sysfs cuts more than a page to one page, still too long a number. */
	const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
	CHECK(write_file(sysfs::value_path, std::string(page + 1, '1')) ==
	      EINVAL);
	CHECK(c.value() == 7);
	CHECK(c.writes() == w0);
}

TEST_CASE("sysfs: label is bounded and loses exactly one trailing newline",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	const std::string longest(sysfs::label_max, 'm');

	REQUIRE(write_file(sysfs::label_path, "abc\n") == 0);
	CHECK(c.label() == "abc");
	CHECK(read_file(sysfs::label_path) == "abc\n");
	REQUIRE(write_file(sysfs::label_path, "no newline") == 0);
	CHECK(c.label() == "no newline");
	REQUIRE(write_file(sysfs::label_path, longest + "\n") == 0);
	CHECK(c.label() == longest);
	REQUIRE(write_file(sysfs::label_path, longest) == 0);
	CHECK(c.label() == longest);
	REQUIRE(write_file(sysfs::label_path, "gr\xc3\xbc\xc3\x9f" "e\n") == 0);
	CHECK(c.label() == "gr\xc3\xbc\xc3\x9f" "e");
	REQUIRE(write_file(sysfs::label_path, "\n") == 0);
	CHECK(c.label().empty());

	c.set_label("keep me");
	const std::uint64_t w0 = c.writes();
	const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
	const std::vector<std::pair<std::string, int>> bad = {
		{longest + "x", EINVAL},
		{longest + "x\n", EINVAL},
		{"abc\n\n", EINVAL},
		{"a\nb", EINVAL},
		{"tab\there", EINVAL},
		{std::string("nul\0byte", 8), EINVAL},
		{"del\x7f", EINVAL},
		{std::string(page, 'y'), EINVAL},
		{std::string(page + 1, 'y'), EINVAL},
	};
	for (const auto &[text, err] : bad) {
		INFO("write \"" << sysfs::escape(text) << "\"");
		CHECK(write_file(sysfs::label_path, text) == err);
		CHECK(c.label() == "keep me");
	}
	CHECK(c.writes() == w0);
}

TEST_CASE("sysfs: trigger accepts only \"1\"; anything else is EINVAL",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	quiet(c);
	const std::uint64_t e0 = c.event();

	for (const std::string b : {"0", "2", "-1", "x", "1\n\n", " 1", "1 ",
				    "\n", "01x"}) {
		INFO("write \"" << sysfs::escape(b) << "\"");
		CHECK(write_file(sysfs::trigger_path, b) == EINVAL);
	}
	CHECK(c.event() == e0);
	REQUIRE(write_file(sysfs::trigger_path, "1") == 0);
	REQUIRE(write_file(sysfs::trigger_path, "1\n") == 0);
	CHECK(c.event() == e0 + uint64_t{2} * sysfs::step_default);
}

TEST_CASE("sysfs: a write of a page or more is refused whole, though its "
	  "first page is a number",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	quiet(c);
	const std::size_t page = page_size();

	/* Just inside: leading zeros up to one byte short of a page. */
	REQUIRE(write_file(sysfs::value_path,
			   std::string(page - 2, '0') + "5") == 0);
	CHECK(c.value() == 5);
	c.set_value(7);
	const std::uint64_t w0 = c.writes();

	/* sysfs hands store() only the first page of these: "0...05". */
	const std::string head = std::string(page - 1, '0') + "5";
	const std::vector<std::string> bad = {
		head,
		head + "x",
		head + "\n",
		std::string(page - 2, '0') + "5\n",
		std::string(page - 1, '0') + "5" + std::string(page, '9'),
	};
	for (const auto &b : bad) {
		INFO("write of " << b.size() << " bytes, \""
				 << sysfs::escape(b.substr(page - 4)) << "\" at "
				 << page - 4);
		CHECK(write_file(sysfs::value_path, b) == EINVAL);
		CHECK(c.value() == 7);
	}
	CHECK(c.writes() == w0);

	/* The parameters' files are cut the same way. */
	REQUIRE(write_file(sysfs::step_path,
			   std::string(page - 2, '0') + "3") == 0);
	CHECK(c.step() == 3);
	quiet(c);
	const std::string step_head = std::string(page - 1, '0') + "3";
	CHECK(write_file(sysfs::step_path, step_head) == EINVAL);
	CHECK(write_file(sysfs::step_path, step_head + "x") == EINVAL);
	CHECK(c.step() == sysfs::step_default);
	const std::string tick_head = std::string(page - 3, '0') + "100";
	CHECK(write_file(sysfs::tick_ms_path, tick_head + "junk") == EINVAL);
	CHECK(c.tick_ms() == sysfs::tick_ms_off);
}

TEST_CASE("sysfs: trigger takes only the exact text \"1\", not \"+1\" or "
	  "\"01\"",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	quiet(c);
	const std::uint64_t e0 = c.event();

	const std::vector<std::string> bad = {
		"+1", "01", "0001", "+1\n", "01\n", "1\r\n", "0x1", "1.0",
		std::string("1\0", 2), std::string("1\0" "\n", 3),
	};
	for (const auto &b : bad) {
		INFO("write \"" << sysfs::escape(b) << "\"");
		CHECK(write_file(sysfs::trigger_path, b) == EINVAL);
		CHECK(c.event() == e0);
	}
	REQUIRE(write_file(sysfs::trigger_path, "1") == 0);
	CHECK(c.event() == e0 + sysfs::step_default);
}

TEST_CASE("sysfs: value in another base or notation is refused; leading zeros "
	  "stay decimal",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	c.set_value(7);
	const std::uint64_t w0 = c.writes();

	const std::vector<std::string> bad = {
		"0X10\n", "0b1\n",   "0o7\n",  "1e3\n",	 "1_000\n", "1,5\n",
		"+-1\n",  "-+1\n",   "--1\n",  "++1\n",	 "\xd9\xa3\n",
		"-01001\n", "+01001\n", "\t5\n", "5\t\n", "5\r\n",
	};
	for (const auto &b : bad) {
		INFO("write \"" << sysfs::escape(b) << "\"");
		CHECK(write_file(sysfs::value_path, b) == EINVAL);
		CHECK(c.value() == 7);
	}
	CHECK(c.writes() == w0);

	/* Base 10 throughout: "010" is ten, not eight. */
	const std::vector<std::pair<std::string, int>> good = {
		{"010\n", 10},
		{"-0\n", 0},
		{"-01000\n", sysfs::value_min},
		{"+01000\n", sysfs::value_max},
	};
	for (const auto &[text, want] : good) {
		INFO("write \"" << sysfs::escape(text) << "\"");
		REQUIRE(write_file(sysfs::value_path, text) == 0);
		CHECK(c.value() == want);
	}
	CHECK(c.writes() == w0 + good.size());
}

TEST_CASE("sysfs: a bad user buffer gives EFAULT and changes nothing",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	quiet(c);
	c.set_value(7);
	c.set_label("keep");
	const std::uint64_t w0 = c.writes();
	const std::uint64_t e0 = c.event();

	/* A whole inaccessible buffer, and one that faults after "42". */
	const GuardedPages page;
	char *edge = page.tail(2);
	std::copy_n("42", 2, edge);
	for (const char *path :
	     {sysfs::value_path, sysfs::label_path, sysfs::trigger_path}) {
		INFO(path);
		CHECK(write_raw(path, page.bad(), 2) == EFAULT);
		CHECK(write_raw(path, edge, 4) == EFAULT);
	}
	std::memcpy(page.tail(1), "1", 1);
	CHECK(write_raw(sysfs::trigger_path, page.tail(1), 2) == EFAULT);
	CHECK(c.value() == 7);
	CHECK(c.label() == "keep");
	CHECK(c.writes() == w0);
	CHECK(c.event() == e0);

	/* A read into an inaccessible buffer fails too, and changes nothing. */
	{
		const kuipc::Fd fd(::open(sysfs::value_path,
					  O_RDONLY | O_CLOEXEC));
		REQUIRE(fd);
		errno = 0;
		CHECK(::read(fd.get(), page.bad(), 16) == -1);
		CHECK(errno == EFAULT);
	}
	CHECK(c.value() == 7);
	CHECK(c.writes() == w0);
}

TEST_CASE("sysfs: ioctl and mmap on attribute files are refused",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	quiet(c);
	c.set_value(7);
	const std::uint64_t w0 = c.writes();
	const std::uint64_t e0 = c.event();

	for (const char *path : {sysfs::value_path, sysfs::event_path,
				 sysfs::step_path}) {
		INFO(path);
		const kuipc::Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
		REQUIRE(fd);
		termios t{};
		CHECK(kuipc::test::ioctl_err(fd.get(), TCGETS, &t) == ENOTTY);
		CHECK(kuipc::test::mmap_err(fd.get(), page_size(), PROT_READ, MAP_SHARED) == ENODEV);
	}
	CHECK(c.value() == 7);
	CHECK(c.writes() == w0);
	CHECK(c.event() == e0);
	CHECK(c.step() == sysfs::step_default);
}

TEST_CASE("sysfs: parameters in another base or with spaces are refused; "
	  "their bounds are taken",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	quiet(c);

	const std::vector<std::string> bad_step = {
		"0x5", "05x", "1e1", " 5", "5 ", "5\n\n", "-0", "+-5", "\t5",
	};
	for (const auto &b : bad_step) {
		INFO("step \"" << sysfs::escape(b) << "\"");
		CHECK(write_file(sysfs::step_path, b) == EINVAL);
		CHECK(c.step() == sysfs::step_default);
	}
	const std::vector<std::string> bad_tick = {
		"0x64", "100 ", "1e2", "+-100", "-0x1", "4294967296",
	};
	for (const auto &b : bad_tick) {
		INFO("tick_ms \"" << sysfs::escape(b) << "\"");
		CHECK(write_file(sysfs::tick_ms_path, b) == EINVAL);
		CHECK(c.tick_ms() == sysfs::tick_ms_off);
	}

	/* Both ends of each range, spelt with a sign or leading zeros. */
	REQUIRE(write_file(sysfs::step_path,
			   "+" + std::to_string(sysfs::step_min)) == 0);
	CHECK(c.step() == sysfs::step_min);
	REQUIRE(write_file(sysfs::step_path,
			   "0" + std::to_string(sysfs::step_max) + "\n") == 0);
	CHECK(c.step() == sysfs::step_max);
	REQUIRE(write_file(sysfs::tick_ms_path,
			   std::to_string(sysfs::tick_ms_max)) == 0);
	CHECK(c.tick_ms() == sysfs::tick_ms_max);
	quiet(c);
	CHECK(c.step() == sysfs::step_default);
	CHECK(c.tick_ms() == sysfs::tick_ms_off);
}

TEST_CASE("sysfs: file modes; read-only and write-only hold even for root",
	  "[sysfs][permission]")
{
	REQUIRE(::geteuid() == 0);
	const sysfs::Client c;
	quiet(c);

	for (const auto &f : sysfs::files()) {
		INFO(f.path);
		struct stat st {};
		REQUIRE(::stat(f.path, &st) == 0);
		CHECK((st.st_mode & 07777) == f.mode);
		CHECK(st.st_uid == 0);
	}

	const std::uint64_t w0 = c.writes();
	const std::uint64_t e0 = c.event();
	/* Root passes the DAC check; sysfs refuses on the mode bits. */
	CHECK(write_file(sysfs::writes_path, "0\n") == EACCES);
	CHECK(write_file(sysfs::event_path, "0\n") == EACCES);
	CHECK(errno_of([] { (void)read_file(sysfs::trigger_path); }) == EACCES);
	CHECK(c.writes() == w0);
	CHECK(c.event() == e0);
}

TEST_CASE("sysfs: an unprivileged user can read but not write",
	  "[sysfs][permission]")
{
	const sysfs::Client c;
	quiet(c);
	c.set_value(5);
	c.set_label("set by root");
	const std::uint64_t w0 = c.writes();
	const std::uint64_t e0 = c.event();

	CHECK(run_unprivileged([] {
		      return read_file(sysfs::value_path) == "5\n" ? 0 : EPROTO;
	      }) == 0);
	for (const char *path : {sysfs::value_path, sysfs::label_path,
				 sysfs::trigger_path, sysfs::step_path,
				 sysfs::tick_ms_path}) {
		INFO(path);
		CHECK(run_unprivileged([path] {
			      return write_file(path, "1\n");
		      }) == EACCES);
	}
	CHECK(c.value() == 5);
	CHECK(c.label() == "set by root");
	CHECK(c.step() == sysfs::step_default);
	CHECK(c.tick_ms() == sysfs::tick_ms_off);
	CHECK(c.writes() == w0);
	CHECK(c.event() == e0);
}

TEST_CASE("sysfs: root in a new user namespace is refused what needs a capability in the initial one",
	  "[sysfs][permission]")
{
	using kuipc::test::run_in_userns;
	const sysfs::Client c;
	quiet(c);
	c.set_value(6);
	c.set_label("set by root");
	const std::uint64_t w0 = c.writes();
	const std::uint64_t e0 = c.event();

	/*
	 * Every file is root's and no "other" write bit is set: root of a
	 * user namespace, whose uid 0 is nobody outside, may not override
	 * that, nor trigger an event or change a module parameter.
	 */
	CHECK(run_in_userns([] {
		      return read_file(sysfs::value_path) == "6\n" ? 0 : EPROTO;
	      }) == 0);
	for (const char *path : {sysfs::value_path, sysfs::label_path,
				 sysfs::trigger_path, sysfs::step_path,
				 sysfs::tick_ms_path}) {
		INFO(path);
		CHECK(run_in_userns([path] { return write_file(path, "1\n"); }) ==
		      EACCES);
	}
	CHECK(c.value() == 6);
	CHECK(c.label() == "set by root");
	CHECK(c.step() == sysfs::step_default);
	CHECK(c.tick_ms() == sysfs::tick_ms_off);
	CHECK(c.writes() == w0);
	CHECK(c.event() == e0);
}

TEST_CASE("sysfs: poll() blocked in one thread wakes on a trigger from another",
	  "[sysfs][concurrency]")
{
	const sysfs::Client c;
	quiet(c);
	const std::uint64_t e0 = c.event();

	std::promise<std::pair<pid_t, std::string>> ready;
	std::promise<Seen> done;
	auto ready_f = ready.get_future();
	auto done_f = done.get_future();
	std::thread t = start_watcher(sysfs::event_path, wait_ms, ready, done);

	REQUIRE(ready_f.wait_for(wait_time) == std::future_status::ready);
	const auto [tid, first] = ready_f.get();
	CHECK(as_u64(first) == e0);
	wait_until_in_poll(tid);
	c.trigger();
	const bool finished =
		done_f.wait_for(wait_time) == std::future_status::ready;
	t.join();
	REQUIRE(finished);
	const Seen seen = done_f.get();
	CHECK(seen.err == 0);
	CHECK(seen.woke);
	CHECK(as_u64(seen.text) == e0 + sysfs::step_default);
}

TEST_CASE("sysfs: notifications are kept until the next read and only sent on "
	  "change",
	  "[sysfs]")
{
	const sysfs::Client c;
	quiet(c);
	c.set_value(1);

	sysfs::Watcher ev(sysfs::event_path);
	const std::uint64_t e0 = as_u64(ev.text());
	CHECK_FALSE(ev.wait(0)); /* nothing since the first read */
	c.trigger();		 /* before poll(): still reported */
	REQUIRE(ev.wait(0));
	CHECK(as_u64(ev.text()) == e0 + sysfs::step_default);
	CHECK_FALSE(ev.wait(0)); /* the pread() in wait() re-armed it */

	sysfs::Watcher val(sysfs::value_path);
	CHECK(val.text() == "1");
	CHECK(write_file(sysfs::value_path, "nope\n") == EINVAL);
	CHECK_FALSE(val.wait(0)); /* a rejected write notifies nobody */
	c.set_value(2);
	REQUIRE(val.wait(wait_ms));
	CHECK(val.text() == "2");

	sysfs::Watcher lab(sysfs::label_path);
	c.set_label("changed");
	REQUIRE(lab.wait(wait_ms));
	CHECK(lab.text() == "changed");
	CHECK_FALSE(ev.wait(0)); /* value and label do not touch event */
}

TEST_CASE("sysfs: concurrent writers and readers see only values written",
	  "[sysfs][concurrency]")
{
	const sysfs::Client c;
	c.set_value(0);
	c.set_label("initial");
	const std::uint64_t w0 = c.writes();

	constexpr int writers = 3;
	constexpr int per_writer = 150;
	/* Writer k writes its own range of values and its own two labels,
	 * of different lengths, so a torn read cannot pass for a good one. */
	auto value_of = [](int k, int i) { return sysfs::value_min + 600 * k + i; };
	auto label_of = [](int k, int i) {
		return std::string(i % 2 == 0 ? 3 + k : sysfs::label_max - k,
				   static_cast<char>('a' + k));
	};
	std::set<int> good_values = {0};
	std::set<std::string> good_labels = {"initial"};
	for (int k = 0; k < writers; k++) {
		for (int i = 0; i < per_writer; i++) {
			good_values.insert(value_of(k, i));
			good_labels.insert(label_of(k, i));
		}
	}
	REQUIRE(*good_values.rbegin() <= sysfs::value_max);

	std::atomic<bool> stop{false};
	std::atomic<int> bad_reads{0};
	std::atomic<int> reads{0};
	std::vector<std::exception_ptr> errors(writers + 2);
	std::vector<std::string> bad_text(2);
	std::vector<std::thread> threads;
	threads.reserve(writers + 2);

	for (int k = 0; k < writers; k++) {
		threads.emplace_back([&, k] {
			try {
				for (int i = 0; i < per_writer; i++) {
					c.set_value(value_of(k, i));
					c.set_label(label_of(k, i));
				}
			} catch (...) {
				errors[k] = std::current_exception();
			}
		});
	}
	/* Reader 0 opens the file each time; reader 1 keeps one descriptor
	 * and re-reads from offset 0, as a watcher does. */
	for (int r = 0; r < 2; r++) {
		threads.emplace_back([&, r] {
			try {
				sysfs::Watcher keep(sysfs::value_path);
				do {
					const int v = r == 0 ?
						c.value() :
						std::stoi(keep.reread());
					const std::string l = c.label();
					reads++;
					if (good_values.count(v) == 0 ||
					    good_labels.count(l) == 0) {
						bad_reads++;
						bad_text[r] = std::to_string(v) +
							      " / " + l;
					}
				} while (!stop.load());
			} catch (...) {
				errors[writers + r] = std::current_exception();
			}
		});
	}
	for (int k = 0; k < writers; k++)
		threads[k].join();
	stop = true;
	for (std::size_t i = writers; i < threads.size(); i++)
		threads[i].join();

	for (const auto &e : errors)
		CHECK_NOTHROW(e ? std::rethrow_exception(e) : void());
	INFO("bad reads: " << bad_text[0] << " | " << bad_text[1]);
	CHECK(bad_reads == 0);
	CHECK(reads > 0);
	CHECK(c.writes() == w0 + uint64_t{2} * writers * per_writer);
	std::set<int> last_values;
	for (int k = 0; k < writers; k++)
		last_values.insert(value_of(k, per_writer - 1));
	CHECK(last_values.count(c.value()) == 1);
}

TEST_CASE("sysfs: module parameters reject bad values, keep the old one",
	  "[sysfs][badinput]")
{
	const sysfs::Client c;
	quiet(c);

	const std::vector<std::string> bad_step = {
		"0",  std::to_string(sysfs::step_max + 1),
		"-1", "abc",
		"\n", "1.5",
		"2 2",
	};
	for (const auto &b : bad_step) {
		INFO("step \"" << sysfs::escape(b) << "\"");
		CHECK(write_file(sysfs::step_path, b) == EINVAL);
		CHECK(c.step() == sysfs::step_default);
	}
	const std::vector<std::string> bad_tick = {
		std::to_string(sysfs::tick_ms_min - 1),
		std::to_string(sysfs::tick_ms_max + 1),
		"-10",
		"ten",
		"99999999999",
	};
	for (const auto &b : bad_tick) {
		INFO("tick_ms \"" << sysfs::escape(b) << "\"");
		CHECK(write_file(sysfs::tick_ms_path, b) == EINVAL);
		CHECK(c.tick_ms() == sysfs::tick_ms_off);
	}

	/* A good step is taken, and the module uses it. */
	c.set_step(sysfs::step_max);
	CHECK(c.step() == sysfs::step_max);
	const std::uint64_t e0 = c.event();
	c.trigger();
	CHECK(c.event() == e0 + sysfs::step_max);
	c.set_tick_ms(sysfs::tick_ms_max);
	CHECK(c.tick_ms() == sysfs::tick_ms_max);
	quiet(c);
	CHECK(c.step() == sysfs::step_default);
	CHECK(c.tick_ms() == sysfs::tick_ms_off);
}

TEST_CASE("sysfs: with tick_ms set the module advances event by itself",
	  "[sysfs]")
{
	const sysfs::Client c;
	quiet(c);
	constexpr int step = 3;
	c.set_step(step);

	sysfs::Watcher w(sysfs::event_path);
	const std::uint64_t e0 = as_u64(w.text());
	c.set_tick_ms(sysfs::tick_ms_min);
	std::uint64_t prev = e0;
	for (int i = 0; i < 3; i++) {
		REQUIRE(w.wait(wait_ms));
		const std::uint64_t e = as_u64(w.text());
		CHECK(e > prev);
		CHECK((e - e0) % step == 0);
		prev = e;
	}
	quiet(c);
	CHECK(c.tick_ms() == sysfs::tick_ms_off);
}

TEST_CASE("sysfs: loading with a bad parameter fails with EINVAL and leaves "
	  "nothing",
	  "[sysfs][lifecycle][badinput]")
{
	const KeepLoaded keep;
	const sysfs::Client c;
	const std::string ko = kuipc::module_path("sysfs");

	kuipc::unload_module(sysfs::module_name);
	REQUIRE_FALSE(kuipc::module_loaded(sysfs::module_name));

	const std::vector<std::string> bad_params = {
		"step=0",
		"step=" + std::to_string(sysfs::step_max + 1),
		"step=abc",
		"step=",
		"step",
		"tick_ms=" + std::to_string(sysfs::tick_ms_min - 1),
		"tick_ms=" + std::to_string(sysfs::tick_ms_max + 1),
		"tick_ms=-1",
	};
	for (const auto &params : bad_params) {
		INFO("params \"" << params << "\"");
		CHECK(errno_of([&] { kuipc::load_module(ko, params); }) == EINVAL);
		CHECK_FALSE(kuipc::module_loaded(sysfs::module_name));
		CHECK_FALSE(exists(sysfs::dir_path));
	}

	/* Good parameters are applied before the files appear. */
	kuipc::load_module(ko, "step=4");
	CHECK(c.step() == 4);
	const std::uint64_t e0 = c.event();
	c.trigger();
	CHECK(c.event() == e0 + 4);

	kuipc::unload_module(sysfs::module_name);
	load_default();
	CHECK(c.step() == sysfs::step_default);
}

TEST_CASE("sysfs: unload removes the directory; reload starts from defaults",
	  "[sysfs][lifecycle]")
{
	const KeepLoaded keep;
	const sysfs::Client c;
	c.set_value(9);
	c.set_label("old");
	c.set_step(5);
	c.trigger();

	kuipc::unload_module(sysfs::module_name);
	CHECK_FALSE(kuipc::module_loaded(sysfs::module_name));
	CHECK_FALSE(exists(sysfs::dir_path));
	CHECK_FALSE(exists(sysfs::params_path));
	CHECK(errno_of([&] { (void)c.value(); }) == ENOENT);

	load_default();
	CHECK(c.value() == sysfs::value_default);
	CHECK(c.label() == sysfs::label_default);
	CHECK(c.writes() == 0);
	CHECK(c.event() == 0);
	CHECK(c.step() == sysfs::step_default);
	CHECK(c.tick_ms() == sysfs::tick_ms_off);
}

TEST_CASE("sysfs: open files do not pin the module; after unload they fail "
	  "with ENODEV",
	  "[sysfs][lifecycle]")
{
	const KeepLoaded keep;
	const sysfs::Client c;
	quiet(c);
	c.set_value(3);

	/* The tick is running while the module goes away. */
	sysfs::Watcher ev(sysfs::event_path);
	c.set_tick_ms(sysfs::tick_ms_min);
	REQUIRE(ev.wait(wait_ms));
	kuipc::Fd val(::open(sysfs::value_path, O_RDWR | O_CLOEXEC));
	REQUIRE(val);

	kuipc::unload_module(sysfs::module_name);
	CHECK_FALSE(kuipc::module_loaded(sysfs::module_name));

	CHECK(errno_of([&] { (void)ev.reread(); }) == ENODEV);
	pollfd pfd{ev.fd(), POLLPRI, 0};
	CHECK(::poll(&pfd, 1, wait_ms) == 1);
	CHECK((pfd.revents & POLLERR) != 0);
	errno = 0;
	CHECK(::write(val.get(), "1\n", 2) == -1);
	CHECK(errno == ENODEV);

	load_default();
	CHECK(c.tick_ms() == sysfs::tick_ms_off);
	CHECK(c.value() == sysfs::value_default);
}

TEST_CASE("sysfs: a poll() blocked on a file returns when the module unloads",
	  "[sysfs][lifecycle][concurrency]")
{
	const KeepLoaded keep;
	const sysfs::Client c;
	quiet(c);

	std::promise<std::pair<pid_t, std::string>> ready;
	std::promise<Seen> done;
	auto ready_f = ready.get_future();
	auto done_f = done.get_future();
	/*
	 * After its timeout, poll() looks at the file once more and then
	 * sees it gone, so the watcher's own limit is three times ours: only
	 * a wake-up caused by the unload ends it within ours.
	 */
	std::thread t =
		start_watcher(sysfs::event_path, 3 * wait_ms, ready, done);

	REQUIRE(ready_f.wait_for(wait_time) == std::future_status::ready);
	const pid_t tid = ready_f.get().first;
	wait_until_in_poll(tid);
	const int unload_err =
		errno_of([] { kuipc::unload_module(sysfs::module_name); });
	const bool finished =
		done_f.wait_for(wait_time) == std::future_status::ready;
	t.join();
	CHECK(unload_err == 0);
	REQUIRE(finished);
	/* Woken, and the re-read that follows finds the file gone. */
	CHECK(done_f.get().err == ENODEV);
}
