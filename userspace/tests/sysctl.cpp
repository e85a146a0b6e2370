// SPDX-License-Identifier: GPL-2.0
// VM tests of the sysctl pair: kuipc_sysctl.ko through /proc/sys/kuipc,
// with kuipc::sysctl::Client, raw system calls and sysctl(8).
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "support.hpp"
#include "sysctl.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using kuipc::test::outcome_of;

namespace sc = kuipc::sysctl;
using kuipc::sysctl::Entry;
using kuipc::test::GuardedPages;
using kuipc::test::read_file;
using kuipc::test::write_file;

const std::string value_path = KUIPC_SYSCTL_VALUE_PATH;
const std::string name_path = KUIPC_SYSCTL_NAME_PATH;
const std::string enabled_path = KUIPC_SYSCTL_ENABLED_PATH;
const std::array<std::string, 3> all_paths = {value_path, name_path,
					      enabled_path};

/* The text the kernel prints for a value. */
std::string line(int v)
{
	return std::to_string(v) + "\n";
}

std::string line(const std::string &s)
{
	return s + "\n";
}

/* Put every entry back to its load-time value, checked through the kernel. */
void reset()
{
	sc::Client().reset();
	REQUIRE(read_file(value_path) == line(sc::value_default));
	REQUIRE(read_file(name_path) == line(sc::name_default));
	REQUIRE(read_file(enabled_path) == line(sc::enabled_default ? 1 : 0));
}

/* The system page size: the unit the sysctl core's buffers come in. */
std::size_t page_size()
{
	const long n = ::sysconf(_SC_PAGESIZE);
	REQUIRE(n > 0);
	return static_cast<std::size_t>(n);
}

/* One write() of each piece on one descriptor: bytes written or -errno. */
std::vector<long> write_pieces(const std::string &path,
			       const std::vector<std::string> &pieces)
{
	kuipc::Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
	REQUIRE(fd.valid());
	std::vector<long> out;
	out.reserve(pieces.size());
	for (const auto &p : pieces) {
		const ssize_t n = ::write(fd.get(), p.data(), p.size());
		out.push_back(n < 0 ? -errno : static_cast<long>(n));
	}
	return out;
}

/* pwrite() at pos on a fresh descriptor: bytes written or -errno. */
long pwrite_at(const std::string &path, const std::string &data, off_t pos)
{
	kuipc::Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
	REQUIRE(fd.valid());
	const ssize_t n = ::pwrite(fd.get(), data.data(), data.size(), pos);
	return n < 0 ? -errno : static_cast<long>(n);
}

/* The text of every entry, read through the kernel. */
std::array<std::string, 3> read_all()
{
	return {read_file(value_path), read_file(name_path),
		read_file(enabled_path)};
}

/* The sysctl(8) program: busybox's in the guest, procps' on a host. */
std::string find_sysctl_program()
{
	for (const char *p : {"/bin/sysctl", "/sbin/sysctl", "/usr/sbin/sysctl",
			      "/usr/bin/sysctl"})
		if (::access(p, X_OK) == 0)
			return p;
	return "";
}

struct Ran {
	int status = -1; /* exit status, or -1 when it did not exit */
	std::string out; /* stdout and stderr together */
};

/* fork() + execv() argv, collect its output and wait for it. */
Ran run_program(const std::vector<std::string> &argv)
{
	std::array<int, 2> p{};
	REQUIRE(::pipe2(p.data(), O_CLOEXEC) == 0);
	kuipc::Fd rd(p[0]);
	kuipc::Fd wr(p[1]);
	std::vector<char *> args;
	args.reserve(argv.size() + 1);
	for (const auto &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);

	const pid_t pid = ::fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		::dup2(wr.get(), 1);
		::dup2(wr.get(), 2);
		::execv(args[0], args.data());
		::_exit(127);
	}
	wr.reset();
	Ran r;
	r.out = kuipc::test::read_all(rd.get());
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0)
		REQUIRE(errno == EINTR);
	if (WIFEXITED(status))
		r.status = WEXITSTATUS(status);
	return r;
}

/* What the threads of a test saw go wrong; the first few are kept. */
class Failures {
public:
	void add(const std::string &what)
	{
		const std::lock_guard<std::mutex> lock(lock_);
		if (list_.size() < 8)
			list_.push_back(what);
	}

	[[nodiscard]] std::vector<std::string> list()
	{
		const std::lock_guard<std::mutex> lock(lock_);
		return list_;
	}

private:
	std::mutex lock_;
	std::vector<std::string> list_;
};

using Clock = std::chrono::steady_clock;
using Pair = std::array<std::string, 2>;

/*
 * Until the deadline, write the two texts of values and of names in turn,
 * at position 0 of descriptors that stay open: the time goes to the
 * handlers, not to open().
 */
void stress_writer(const Pair &values, const Pair &names,
		   Clock::time_point deadline, Failures &failures)
{
	const kuipc::Fd v(::open(value_path.c_str(), O_WRONLY | O_CLOEXEC));
	const kuipc::Fd n(::open(name_path.c_str(), O_WRONLY | O_CLOEXEC));
	if (!v || !n) {
		failures.add(std::string("writer: open: ") + std::strerror(errno));
		return;
	}
	auto put = [&](const kuipc::Fd &fd, const std::string &text) {
		const ssize_t got = ::pwrite(fd.get(), text.data(), text.size(), 0);
		if (got == static_cast<ssize_t>(text.size()))
			return true;
		failures.add("writer: \"" + sc::escape(text) + "\": " +
			     (got < 0 ? std::strerror(errno) : "short write"));
		return false;
	};
	for (std::size_t k = 0; Clock::now() < deadline; k ^= 1)
		if (!put(v, values[k]) || !put(n, names[k]))
			return;
}

/* While writers run, every read must be one of the texts written. */
void stress_reader(const std::set<std::string> &values,
		   const std::set<std::string> &names,
		   const std::atomic<int> &writers, std::atomic<long> &reads,
		   Failures &failures)
{
	const kuipc::Fd v(::open(value_path.c_str(), O_RDONLY | O_CLOEXEC));
	const kuipc::Fd n(::open(name_path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!v || !n) {
		failures.add(std::string("reader: open: ") + std::strerror(errno));
		return;
	}
	std::array<char, 64> buf{};
	auto get = [&](const kuipc::Fd &fd) {
		const ssize_t got = ::pread(fd.get(), buf.data(), buf.size(), 0);
		if (got < 0) {
			failures.add(std::string("reader: ") + std::strerror(errno));
			return std::string();
		}
		return std::string(buf.data(), static_cast<std::size_t>(got));
	};
	while (writers.load() > 0) {
		const std::string vs = get(v);
		const std::string ns = get(n);
		reads++;
		if (!values.contains(vs))
			failures.add("read value \"" + sc::escape(vs) + "\"");
		if (!names.contains(ns))
			failures.add("read name \"" + sc::escape(ns) + "\"");
	}
}

} // namespace

TEST_CASE("sysctl: integer round trip", "[sysctl]")
{
	reset();
	const sc::Client client;

	for (const int v : {sc::value_min, sc::value_max, 1, 42, 999,
			    sc::value_default}) {
		INFO("value " << v);
		client.set_value(v);
		CHECK(read_file(value_path) == line(v));
		CHECK(client.value() == v);
	}

	/* proc_dointvec's parser: blanks around, base 0 (0x hex, 0 octal). */
	const std::vector<std::pair<std::string, int>> forms = {
		{"7", 7}, {"  8\n", 8}, {"\t9 \n", 9}, {"0x2a\n", 42},
		{"010\n", 8}, {"-0\n", 0},
	};
	for (const auto &[text, want] : forms) {
		INFO("written \"" << sc::escape(text) << "\"");
		CHECK(write_file(value_path, text) == 0);
		CHECK(read_file(value_path) == line(want));
	}
}

TEST_CASE("sysctl: integer out of range is refused and the value kept",
	  "[sysctl][badinput]")
{
	reset();
	sc::Client().set_value(42);

	const std::vector<std::string> bad = {
		line(sc::value_min - 1),
		line(sc::value_max + 1),
		line(INT_MIN),
		line(INT_MAX),
		"2147483648\n",	      /* INT_MAX + 1: overflows an int */
		"-2147483649\n",      /* INT_MIN - 1 */
		"99999999999999999999\n", /* overflows an unsigned long */
	};
	for (const auto &text : bad) {
		INFO("written \"" << sc::escape(text) << "\"");
		CHECK(write_file(value_path, text) == EINVAL);
		CHECK(read_file(value_path) == "42\n");
	}

	/* The client reports the kernel's errno. */
	try {
		sc::Client().set_value(sc::value_max + 1);
		FAIL("set_value above the maximum succeeded");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == EINVAL);
	}
	CHECK(read_file(value_path) == "42\n");
}

TEST_CASE("sysctl: non-numeric integer input is refused and the value kept",
	  "[sysctl][badinput]")
{
	reset();
	sc::Client().set_value(42);

	const std::vector<std::string> bad = {
		"abc\n", "\n", " \n", "-\n", "+5\n", "12abc\n", "1.5\n",
		"0x\n",	 "5,\n", std::string("\0" "5\n", 3),
	};
	for (const auto &text : bad) {
		INFO("written \"" << sc::escape(text) << "\"");
		CHECK(write_file(value_path, text) == EINVAL);
		CHECK(read_file(value_path) == "42\n");
	}

	/* An empty write() reaches the handler and changes nothing. */
	CHECK(write_file(value_path, "") == 0);
	CHECK(read_file(value_path) == "42\n");
}

TEST_CASE("sysctl: string round trip", "[sysctl]")
{
	reset();
	const sc::Client client;
	const std::string longest(sc::name_max, 'n');

	const std::vector<std::string> good = {"hello", "with spaces\tand a tab",
					       longest, "x", ""};
	for (const auto &name : good) {
		INFO("name \"" << name << "\"");
		client.set_name(name);
		CHECK(read_file(name_path) == line(name));
		CHECK(client.name() == name);
	}

	/* The kernel stores up to the first newline or NUL; the whole write
	 * is reported as done. */
	CHECK(write_file(name_path, "first\nsecond\n") == 0);
	CHECK(read_file(name_path) == "first\n");
	CHECK(write_file(name_path, std::string("ab\0cd", 5)) == 0);
	CHECK(read_file(name_path) == "ab\n");

	/* The client refuses what the kernel would cut, before writing. */
	try {
		client.set_name("two\nlines");
		FAIL("set_name with a newline succeeded");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == EINVAL);
	}
	CHECK(read_file(name_path) == "ab\n");
}

TEST_CASE("sysctl: over-long string is refused and the name kept",
	  "[sysctl][badinput]")
{
	reset();
	sc::Client().set_name("keep");

	for (const std::size_t len :
	     {sc::name_max + 1, sc::name_max + 2, 2 * sc::name_max, std::size_t{200}}) {
		INFO(len << " bytes");
		CHECK(write_file(name_path, std::string(len, 'x')) == EINVAL);
		CHECK(write_file(name_path, std::string(len, 'x') + "\n") ==
		      EINVAL);
		CHECK(read_file(name_path) == "keep\n");
	}

	/* The longest name fits exactly. */
	const std::string longest(sc::name_max, 'y');
	CHECK(write_file(name_path, longest) == 0);
	CHECK(read_file(name_path) == line(longest));
}

TEST_CASE("sysctl: PAGE_SIZE-long input", "[sysctl][badinput]")
{
	reset();
	const std::size_t page = page_size();
	sc::Client().set_value(42);
	sc::Client().set_name("keep");

	/* A number of PAGE_SIZE digits is refused; so is one of 21 digits,
	 * the parser's limit. */
	for (const std::size_t len : {page, page - 1, page + 1, std::size_t{21}}) {
		INFO(len << " digits");
		CHECK(write_file(value_path, std::string(len, '1')) == EINVAL);
		CHECK(write_file(enabled_path, std::string(len, '1')) ==
		      EINVAL);
	}
	CHECK(read_file(value_path) == "42\n");
	CHECK(read_file(enabled_path) == "0\n");

	/* A valid number padded with blanks to PAGE_SIZE is accepted. */
	std::string padded = "7";
	padded.resize(page, '\n');
	CHECK(write_file(value_path, padded) == 0);
	CHECK(read_file(value_path) == "7\n");

	/* Names of PAGE_SIZE bytes and more are refused whole. */
	for (const std::size_t len : {page - 1, page, page + 1, 16 * page}) {
		INFO(len << " bytes of name");
		CHECK(write_file(name_path, std::string(len, 'x')) == EINVAL);
		CHECK(read_file(name_path) == "keep\n");
	}

	/* A short name then a newline and PAGE_SIZE bytes: the name is
	 * stored, the rest ignored. */
	std::string tail = "ok\n";
	tail.resize(page, 'x');
	CHECK(write_file(name_path, tail) == 0);
	CHECK(read_file(name_path) == "ok\n");
}

TEST_CASE("sysctl: boolean round trip and invalid input", "[sysctl][badinput]")
{
	reset();
	const sc::Client client;

	client.set_enabled(true);
	CHECK(read_file(enabled_path) == "1\n");
	CHECK(client.enabled());
	client.set_enabled(false);
	CHECK(read_file(enabled_path) == "0\n");
	CHECK_FALSE(client.enabled());
	CHECK(write_file(enabled_path, " 1 \n") == 0);
	CHECK(read_file(enabled_path) == "1\n");

	/* Only 0 and 1: other numbers are refused, not taken as true. */
	for (const std::string_view text :
	     {"2\n", "-1\n", "4294967297\n", "yes\n", "true\n", "on\n",
	      "\n", "1x\n", "-\n"}) {
		INFO("written \"" << sc::escape(text) << "\"");
		client.set_enabled(false);
		CHECK(write_file(enabled_path, std::string(text)) == EINVAL);
		CHECK(read_file(enabled_path) == "0\n");
		client.set_enabled(true);
		CHECK(write_file(enabled_path, std::string(text)) == EINVAL);
		CHECK(read_file(enabled_path) == "1\n");
	}
}

TEST_CASE("sysctl: writes at a file position other than 0",
	  "[sysctl][badinput]")
{
	/* Linux's default since 4.5; the outcomes below are those of it. */
	REQUIRE(read_file("/proc/sys/kernel/sysctl_writes_strict") == "1\n");
	reset();

	/* An int or a bool written at position 1 is ignored, yet the write
	 * reports every byte as done. */
	CHECK(pwrite_at(value_path, "7\n", 1) == 2);
	CHECK(read_file(value_path) == line(sc::value_default));
	CHECK(pwrite_at(enabled_path, "1\n", 1) == 2);
	CHECK(read_file(enabled_path) == "0\n");

	/* Two write()s on one descriptor make one name. */
	CHECK(write_pieces(name_path, {"abc", "def\n"}) ==
	      std::vector<long>{3, 4});
	CHECK(read_file(name_path) == "abcdef\n");

	/* A write at a position inside the name replaces its end... */
	CHECK(pwrite_at(name_path, "XY", 3) == 2);
	CHECK(read_file(name_path) == "abcXY\n");
	/* ...one past its end does nothing, and says it did. */
	CHECK(pwrite_at(name_path, "zz", 10) == 2);
	CHECK(read_file(name_path) == "abcXY\n");

	/* Pieces adding up to more than the maximum: the one that would
	 * overflow is refused, the name stays as the pieces before made it. */
	const std::string half(sc::name_max / 2 + 1, 'p');
	CHECK(write_pieces(name_path, {half, half}) ==
	      std::vector<long>{static_cast<long>(half.size()), -EINVAL});
	CHECK(read_file(name_path) == line(half));
}

TEST_CASE("sysctl: a second word after a number is refused",
	  "[sysctl][badinput]")
{
	reset();
	sc::Client().set_value(42);
	sc::Client().set_enabled(true);

	/*
	 * The stock parsers read one number and stop: "5 6" would set 5 and
	 * report fewer bytes written than given (echo then writes the rest at
	 * a position strict mode ignores), and "0 x" would set enabled to 0
	 * and report all of it written.
	 */
	for (const auto &text : std::vector<std::string>{
		     "5 6\n", "5 6", "5\t6\n", "5 x\n", " 5 \n 6\n", "0 1\n",
		     std::string("5\0 6\n", 5)}) {
		INFO("written \"" << sc::escape(text) << "\"");
		CHECK(write_pieces(value_path, {text}) ==
		      std::vector<long>{-EINVAL});
		CHECK(read_file(value_path) == "42\n");
		CHECK(write_pieces(enabled_path, {text}) ==
		      std::vector<long>{-EINVAL});
		CHECK(read_file(enabled_path) == "1\n");
	}

	/* Blanks alone around one number are still fine. */
	CHECK(write_file(value_path, " \t5 \n\n") == 0);
	CHECK(read_file(value_path) == "5\n");
	CHECK(write_file(enabled_path, "\n0\t\n") == 0);
	CHECK(read_file(enabled_path) == "0\n");
}

TEST_CASE("sysctl: a NUL right after a number is refused",
	  "[sysctl][badinput]")
{
	reset();
	sc::Client().set_value(42);
	sc::Client().set_enabled(true);

	for (const std::string &text :
	     {std::string("7\0", 2), std::string("7\0\n", 3),
	      std::string("0\0", 2), std::string("0x1\0", 4),
	      std::string("1\0" "0", 3)}) {
		INFO("written \"" << sc::escape(text) << "\"");
		CHECK(write_file(value_path, text) == EINVAL);
		CHECK(read_file(value_path) == "42\n");
		CHECK(write_file(enabled_path, text) == EINVAL);
		CHECK(read_file(enabled_path) == "1\n");
	}
}

TEST_CASE("sysctl: the range ends written in hex and octal",
	  "[sysctl][badinput]")
{
	reset();
	sc::Client().set_value(42);

	/* Just outside the range, and prefixes with digits of another base. */
	for (const std::string text :
	     {"0x3e9\n", "0X3E9\n", "01751\n", "-0x1\n", "-01\n", "08\n",
	      "0x1g\n", "0b1\n", "0o7\n", "00x1\n"}) {
		INFO("written \"" << sc::escape(text) << "\"");
		CHECK(write_file(value_path, text) == EINVAL);
		CHECK(read_file(value_path) == "42\n");
	}
	/* Just inside: both ends, in each base. */
	for (const auto &[text, want] : std::vector<std::pair<std::string, int>>{
		     {"0x3e8\n", sc::value_max},
		     {"0X3E8\n", sc::value_max},
		     {"01750\n", sc::value_max},
		     {"0x0\n", sc::value_min},
		     {"00\n", sc::value_min}}) {
		INFO("written \"" << sc::escape(text) << "\"");
		CHECK(write_file(value_path, text) == 0);
		CHECK(read_file(value_path) == line(want));
	}

	/* The boolean: 0 and 1 in any base, "-0" is a negative number. */
	sc::Client().set_enabled(false);
	for (const std::string text : {"0x2\n", "02\n", "-0\n", "0x\n"}) {
		INFO("written \"" << sc::escape(text) << "\"");
		CHECK(write_file(enabled_path, text) == EINVAL);
		CHECK(read_file(enabled_path) == "0\n");
	}
	CHECK(write_file(enabled_path, "0x1\n") == 0);
	CHECK(read_file(enabled_path) == "1\n");
	CHECK(write_file(enabled_path, "00\n") == 0);
	CHECK(read_file(enabled_path) == "0\n");
}

TEST_CASE("sysctl: an unreadable buffer gives EFAULT and changes nothing",
	  "[sysctl][badinput]")
{
	reset();
	const GuardedPages mem;
	sc::Client().set_value(42);
	sc::Client().set_name("keep");
	const auto before = read_all();

	/* Valid text right up to the inaccessible page, then one byte in. */
	const std::array<std::string, 3> text = {"7\n", "other\n", "1\n"};
	for (std::size_t i = 0; i < all_paths.size(); i++) {
		INFO(all_paths[i]);
		char *start = mem.bad() - text[i].size();
		std::copy(text[i].begin(), text[i].end(), start);

		kuipc::Fd fd(::open(all_paths[i].c_str(), O_WRONLY | O_CLOEXEC));
		REQUIRE(fd.valid());
		errno = 0;
		CHECK(::write(fd.get(), mem.bad(), 2) == -1);
		CHECK(errno == EFAULT);
		errno = 0;
		CHECK(::write(fd.get(), start, text[i].size() + 1) == -1);
		CHECK(errno == EFAULT);
	}
	CHECK(read_all() == before);
}

TEST_CASE("sysctl: reading into an unwritable buffer gives EFAULT",
	  "[sysctl][badinput]")
{
	reset();
	const GuardedPages mem;
	sc::Client().set_value(42);
	sc::Client().set_name("keep");
	const auto before = read_all();

	for (const auto &p : all_paths) {
		INFO(p);
		kuipc::Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
		REQUIRE(fd.valid());
		errno = 0;
		CHECK(::pread(fd.get(), mem.bad(), 16, 0) == -1);
		CHECK(errno == EFAULT);
		/* Straddling: the text would end on the inaccessible page. */
		errno = 0;
		CHECK(::pread(fd.get(), mem.bad() - 1, 16, 0) == -1);
		CHECK(errno == EFAULT);
	}
	CHECK(read_all() == before);
}

TEST_CASE("sysctl: ioctl, mmap and a negative offset are refused",
	  "[sysctl][badinput]")
{
	reset();
	sc::Client().set_value(42);
	const auto before = read_all();

	for (const auto &p : all_paths) {
		INFO(p);
		kuipc::Fd fd(::open(p.c_str(), O_RDWR | O_CLOEXEC));
		REQUIRE(fd.valid());
		int arg = 0;
		for (const unsigned long cmd : std::array<unsigned long, 3>{
			     _IO('k', 0), _IOW('k', 1, int), 0xdeadbeefUL}) {
			INFO("ioctl " << cmd);
			CHECK(kuipc::test::ioctl_err(fd.get(), cmd, &arg) == ENOTTY);
		}
		CHECK(kuipc::test::mmap_err(fd.get(), page_size(), PROT_READ, MAP_SHARED) == ENODEV);
		CHECK(pwrite_at(p, "1\n", -1) == -EINVAL);
	}
	CHECK(read_all() == before);
}

TEST_CASE("sysctl: anyone may read, only root may write",
	  "[sysctl][permission]")
{
	reset();
	const sc::Client client;
	client.set_value(7);
	client.set_name("root's");
	client.set_enabled(true);
	const std::array<std::string, 3> want = {"7\n", "root's\n", "1\n"};
	const std::array<std::string, 3> attempt = {"8\n", "nobody\n", "0\n"};

	for (std::size_t i = 0; i < all_paths.size(); i++) {
		const std::string &p = all_paths[i];
		INFO(p);

		struct stat st {};
		REQUIRE(::stat(p.c_str(), &st) == 0);
		CHECK(S_ISREG(st.st_mode));
		CHECK((st.st_mode & 07777) == sc::file_mode);
		CHECK(st.st_uid == 0);

		/* Reading needs only the "other" read bit. */
		CHECK(kuipc::test::run_unprivileged([&] {
			return outcome_of([&] { return read_file(p) == want[i] ? 0 : EBADMSG; });
		}) == 0);

		/* Opening for writing is refused by the permission check. */
		CHECK(kuipc::test::run_unprivileged([&] {
			kuipc::Fd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
			return fd ? 0 : errno;
		}) == EACCES);

		/* A descriptor root opened for writing does not help: the
		 * sysctl core checks the writer again on every write(). */
		kuipc::Fd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
		REQUIRE(fd.valid());
		CHECK(kuipc::test::run_unprivileged([&] {
			const ssize_t n = ::write(fd.get(), attempt[i].data(),
						  attempt[i].size());
			return n < 0 ? errno : 0;
		}) == EPERM);

		CHECK(read_file(p) == want[i]);
	}
}

TEST_CASE("sysctl: root in a new user namespace is refused what needs a capability in the initial one",
	  "[sysctl][permission]")
{
	reset();
	const sc::Client client;
	client.set_value(7);
	client.set_name("root's");
	client.set_enabled(true);
	const std::array<std::string, 3> want = {"7\n", "root's\n", "1\n"};
	const std::array<std::string, 3> attempt = {"8\n", "userns\n", "0\n"};
	using kuipc::test::run_in_userns;

	for (std::size_t i = 0; i < all_paths.size(); i++) {
		const std::string &p = all_paths[i];
		INFO(p);

		CHECK(run_in_userns([&] {
			return outcome_of([&] { return read_file(p) == want[i] ? 0 : EBADMSG; });
		}) == 0);

		/*
		 * The sysctl core gives the owner's bits to the initial
		 * namespace's root only: root of another user namespace
		 * gets the "other" bits, without write.
		 */
		CHECK(run_in_userns([&] {
			kuipc::Fd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
			return fd ? 0 : errno;
		}) == EACCES);

		/* Nor does a descriptor root opened: each write() is checked. */
		kuipc::Fd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
		REQUIRE(fd.valid());
		CHECK(run_in_userns([&] {
			const ssize_t n = ::write(fd.get(), attempt[i].data(),
						  attempt[i].size());
			return n < 0 ? errno : 0;
		}) == EPERM);

		CHECK(read_file(p) == want[i]);
	}
}

TEST_CASE("sysctl: concurrent writers leave one of the written values",
	  "[sysctl][concurrency]")
{
	reset();
	constexpr int writers = 4;
	constexpr int readers = 2;
	/* A racy handler shows a torn name a few times per second here
	 * (measured under TCG), a correct one never. */
	const auto deadline = Clock::now() + std::chrono::seconds(5);

	/* Writer i alternates between two ints and two names of its own;
	 * the names differ in length and letter, so a mix of two of them is
	 * never one of them. */
	std::set<std::string> values = {line(sc::value_default)};
	std::set<std::string> names = {line(sc::name_default)};
	std::vector<Pair> value_text(writers);
	std::vector<Pair> name_text(writers);
	for (int i = 0; i < writers; i++) {
		const auto c = static_cast<char>('a' + i);
		value_text[i] = {line(i + 1), line(sc::value_max - i)};
		name_text[i] = {line(std::string(2 + 9 * i, c)),
				line(std::string(sc::name_max - i, c))};
		values.insert(value_text[i].begin(), value_text[i].end());
		names.insert(name_text[i].begin(), name_text[i].end());
	}

	std::atomic<int> running{writers};
	std::atomic<long> reads{0};
	Failures failures;
	std::vector<std::thread> threads;
	threads.reserve(writers + readers);
	for (int i = 0; i < writers; i++) {
		threads.emplace_back([&, i] {
			stress_writer(value_text[i], name_text[i], deadline,
				      failures);
			running--;
		});
	}
	for (int i = 0; i < readers; i++) {
		threads.emplace_back([&] {
			stress_reader(values, names, running, reads, failures);
		});
	}
	for (auto &t : threads)
		t.join();

	INFO(reads.load() << " reads of each entry");
	for (const auto &f : failures.list())
		FAIL_CHECK(f);
	CHECK(reads.load() > 0);
	CHECK(values.contains(read_file(value_path)));
	CHECK(names.contains(read_file(name_path)));
}

TEST_CASE("sysctl: unload removes the entries, reload brings the defaults",
	  "[sysctl][lifecycle]")
{
	reset();
	const kuipc::test::ReloadGuard guard("sysctl");
	const sc::Client client;
	client.set_value(5);
	client.set_name("before unload");
	client.set_enabled(true);

	/* A descriptor open across the unload does not hold the module. */
	kuipc::Fd held(::open(value_path.c_str(), O_RDWR | O_CLOEXEC));
	REQUIRE(held.valid());

	kuipc::unload_module("kuipc_sysctl");
	CHECK_FALSE(kuipc::module_loaded("kuipc_sysctl"));
	CHECK_FALSE(sc::Client::available());

	struct stat st {};
	CHECK(::stat(sc::dir_path, &st) == -1);
	CHECK(errno == ENOENT);
	for (const auto &p : all_paths) {
		INFO(p);
		CHECK(::open(p.c_str(), O_RDONLY | O_CLOEXEC) == -1);
		CHECK(errno == ENOENT);
	}

	/* The held descriptor now reaches nothing: ENOENT both ways. */
	std::array<char, 16> buf{};
	CHECK(::pread(held.get(), buf.data(), buf.size(), 0) == -1);
	CHECK(errno == ENOENT);
	CHECK(::pwrite(held.get(), "6\n", 2, 0) == -1);
	CHECK(errno == ENOENT);
	held.reset();

	kuipc::load_module(kuipc::module_path("sysctl"));
	REQUIRE(sc::Client::available());
	CHECK(read_file(value_path) == line(sc::value_default));
	CHECK(read_file(name_path) == line(sc::name_default));
	CHECK(read_file(enabled_path) == line(sc::enabled_default ? 1 : 0));
}

TEST_CASE("sysctl: sysctl(8) reads and writes the keys", "[sysctl]")
{
	reset();
	const std::string prog = find_sysctl_program();
	if (prog.empty())
		FAIL("no sysctl program in /bin, /sbin, /usr/sbin or /usr/bin");
	const std::string vkey = sc::key(Entry::value);
	const std::string nkey = sc::key(Entry::name);
	const std::string ekey = sc::key(Entry::enabled);

	Ran r = run_program({prog, vkey});
	CHECK(r.status == 0);
	CHECK(r.out == vkey + " = " + line(sc::value_default));

	r = run_program({prog, "-w", vkey + "=5"});
	CHECK(r.status == 0);
	CHECK(r.out == vkey + " = 5\n");
	CHECK(read_file(value_path) == "5\n");

	r = run_program({prog, "-n", vkey});
	CHECK(r.status == 0);
	CHECK(r.out == "5\n");

	/* Refused by the kernel: sysctl(8) fails, the value stays. */
	const std::string too_big = std::to_string(sc::value_max + 1);
	r = run_program({prog, "-w", vkey + "=" + too_big});
	INFO("sysctl said: " << r.out);
	CHECK(r.status != 0);
	CHECK(read_file(value_path) == "5\n");

	r = run_program({prog, "-w", nkey + "=from-sysctl"});
	CHECK(r.status == 0);
	CHECK(read_file(name_path) == "from-sysctl\n");
	r = run_program({prog, nkey});
	CHECK(r.out == nkey + " = from-sysctl\n");

	r = run_program({prog, "-w", ekey + "=1"});
	CHECK(r.status == 0);
	CHECK(read_file(enabled_path) == "1\n");
	r = run_program({prog, ekey});
	CHECK(r.out == ekey + " = 1\n");
}
