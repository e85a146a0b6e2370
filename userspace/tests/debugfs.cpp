// SPDX-License-Identifier: GPL-2.0
// VM tests of the debugfs pair: kuipc_debugfs.ko and kuipc::debugfs::Client.
#include <catch2/catch.hpp>

#include "debugfs.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace {

using kuipc::test::errno_of;
using kuipc::test::stat_errno;

namespace debugfs = kuipc::debugfs;
using kuipc::test::GuardedPages;
using kuipc::test::read_file;
using kuipc::test::write_file;

constexpr const char *mech = "debugfs";
constexpr const char *modname = "kuipc_debugfs";

/* Every file of the directory with the mode the ABI gives it. */
struct FileSpec {
	const char *path;
	unsigned int mode;
};
constexpr std::array<FileSpec, 6> all_files = {{
	{KUIPC_DEBUGFS_VALUE_PATH, KUIPC_DEBUGFS_VALUE_MODE},
	{KUIPC_DEBUGFS_MASK_PATH, KUIPC_DEBUGFS_MASK_MODE},
	{KUIPC_DEBUGFS_OVERWRITE_PATH, KUIPC_DEBUGFS_OVERWRITE_MODE},
	{KUIPC_DEBUGFS_INFO_PATH, KUIPC_DEBUGFS_INFO_MODE},
	{KUIPC_DEBUGFS_CAPACITY_PATH, KUIPC_DEBUGFS_CAPACITY_MODE},
	{KUIPC_DEBUGFS_EVENTS_PATH, KUIPC_DEBUGFS_EVENTS_MODE},
}};

using kuipc::test::open_errno;

unsigned int file_mode(const char *path)
{
	struct stat st {};
	if (::stat(path, &st) != 0)
		kuipc::throw_errno(std::string("stat ") + path);
	return st.st_mode & 07777;
}

/* (major, minor) of the running kernel. */
std::pair<int, int> kernel_version()
{
	struct utsname u {};
	if (::uname(&u) != 0)
		kuipc::throw_errno("uname");
	const std::string_view rel(u.release);
	int major = 0;
	int minor = 0;
	const auto r1 =
		std::from_chars(rel.data(), rel.data() + rel.size(), major);
	if (r1.ec != std::errc() || r1.ptr == rel.data() + rel.size() ||
	    *r1.ptr != '.' ||
	    std::from_chars(r1.ptr + 1, rel.data() + rel.size(), minor).ec !=
		    std::errc())
		kuipc::throw_err(EINVAL,
				 std::string("kernel release ") + u.release);
	return {major, minor};
}

/* pread() until n bytes or end of file; throws on error. */
std::string pread_string(int fd, std::size_t n, off_t off)
{
	std::string buf(n, '\0');
	const ssize_t got = ::pread(fd, buf.data(), n, off);
	if (got < 0)
		kuipc::throw_errno("pread");
	buf.resize(static_cast<std::size_t>(got));
	return buf;
}

/*
 * The text of the i-th event of writer t in the concurrency test:
 * "w<t>-<i, 5 digits>-" padded with one letter per writer.
 */
std::string writer_text(unsigned int t, unsigned int i)
{
	const std::string num = std::to_string(i);
	std::string text =
		"w" + std::to_string(t) + "-" +
		std::string(5 - std::min<std::size_t>(5, num.size()), '0') +
		num + "-";
	/* Lengths vary so a torn or mixed line cannot look whole. */
	const std::size_t len =
		12 + (i * 7 + t * 13) % (debugfs::event_max - 12);
	text.resize(len, static_cast<char>('a' + t));
	return text;
}

struct WriterId {
	unsigned int t = 0;
	unsigned int i = 0;
};

/* Writer and index from the head of a writer_text(), if it has one. */
std::optional<WriterId> writer_of(std::string_view text)
{
	WriterId id;
	const char *end = text.data() + text.size();
	if (text.empty() || text[0] != 'w')
		return std::nullopt;
	const auto r1 = std::from_chars(text.data() + 1, end, id.t);
	if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '-')
		return std::nullopt;
	const auto r2 = std::from_chars(r1.ptr + 1, end, id.i);
	if (r2.ec != std::errc() || r2.ptr == end || *r2.ptr != '-')
		return std::nullopt;
	return id;
}

/* A known, default-like state: empty log, given capacity, overwrite on. */
void reset_log(const debugfs::Client &c, std::uint32_t capacity)
{
	c.set_overwrite(true);
	c.set_capacity(capacity);
	c.clear();
	REQUIRE(c.events().empty());
}

/* Texts of the events, for comparing with what was written. */
std::vector<std::string> texts(const std::vector<debugfs::Event> &evs)
{
	std::vector<std::string> out;
	out.reserve(evs.size());
	for (const auto &ev : evs)
		out.push_back(ev.text);
	return out;
}

/* Sequence numbers are consecutive, oldest first. */
bool consecutive(const std::vector<debugfs::Event> &evs)
{
	for (std::size_t i = 1; i < evs.size(); i++)
		if (evs[i].seq != evs[i - 1].seq + 1)
			return false;
	return true;
}

/* Restores the mode of a directory when the test ends. */
class ModeGuard {
public:
	explicit ModeGuard(const char *path)
		: path_(path), mode_(file_mode(path))
	{
	}
	ModeGuard(const ModeGuard &) = delete;
	ModeGuard &operator=(const ModeGuard &) = delete;
	~ModeGuard() { ::chmod(path_, mode_); }

private:
	const char *path_;
	mode_t mode_;
};

} // namespace

TEST_CASE("debugfs: u32 value round trip", "[debugfs]")
{
	const debugfs::Client c;

	CHECK(write_file(debugfs::value_path, "0\n") == 0);
	CHECK(read_file(debugfs::value_path) == "0\n");
	CHECK(write_file(debugfs::value_path, "4294967295\n") == 0);
	CHECK(read_file(debugfs::value_path) == "4294967295\n");

	/* kstrtoull with base 0: hex and octal prefixes, newline optional. */
	CHECK(write_file(debugfs::value_path, "0x2a") == 0);
	CHECK(read_file(debugfs::value_path) == "42\n");
	CHECK(write_file(debugfs::value_path, "0777\n") == 0);
	CHECK(read_file(debugfs::value_path) == "511\n");

	c.set_value(7);
	CHECK(c.value() == 7);
}

TEST_CASE("debugfs: u32 value refuses text that is not a number",
	  "[debugfs][badinput]")
{
	REQUIRE(write_file(debugfs::value_path, "1234\n") == 0);

	for (const std::string bad :
	     {"abc", "12abc", "-1", " 5", "5 5", "0x", "\n", "1.5", ""}) {
		INFO("input \"" << debugfs::escape(bad) << "\"");
		CHECK(write_file(debugfs::value_path, bad) == EINVAL);
		CHECK(read_file(debugfs::value_path) == "1234\n");
	}
	/* Above 2^64-1: kstrtoull itself refuses. */
	CHECK(write_file(debugfs::value_path, "18446744073709551616\n") ==
	      ERANGE);
	CHECK(read_file(debugfs::value_path) == "1234\n");
}

TEST_CASE("debugfs: u32 helper truncates, capacity refuses out of range",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;

	/*
	 * The helper stores the low 32 bits of any u64 without complaint:
	 * the classic reason to write a DEFINE_DEBUGFS_ATTRIBUTE instead.
	 */
	CHECK(write_file(debugfs::value_path, "4294967296\n") == 0);
	CHECK(c.value() == 0);
	CHECK(write_file(debugfs::value_path, "4294967298\n") == 0);
	CHECK(c.value() == 2);
	/* Only the first 23 bytes are parsed: octal 04, not 042. */
	const std::string long_zeros = std::string(22, '0') + "42";
	CHECK(write_file(debugfs::value_path, long_zeros) == 0);
	CHECK(c.value() == 4);

	/* capacity checks before it changes anything. */
	c.set_capacity(8);
	const std::vector<std::pair<std::string, int>> bad = {
		{"4294967296\n", ERANGE},
		{"4294967304\n", ERANGE}, /* 2^32 + 8: no truncation to 8 */
		{"0\n", ERANGE},
		{std::to_string(debugfs::log_max + 1) + "\n", ERANGE},
		{"18446744073709551616\n", ERANGE},
		{"many\n", EINVAL},
		{"-1\n", EINVAL},
	};
	for (const auto &[text, err] : bad) {
		INFO("input \"" << debugfs::escape(text) << "\"");
		CHECK(write_file(debugfs::capacity_path, text) == err);
		CHECK(read_file(debugfs::capacity_path) == "8\n");
	}

	/* Both ends of the range are accepted. */
	c.set_capacity(debugfs::capacity_min);
	CHECK(c.capacity() == debugfs::capacity_min);
	c.set_capacity(debugfs::log_max);
	CHECK(c.capacity() == debugfs::log_max);
	c.set_capacity(debugfs::capacity_default);
}

TEST_CASE("debugfs: bool accepts Y/N/1/0/on/off and ignores anything else",
	  "[debugfs][badinput]")
{
	const std::vector<std::pair<std::string, std::string>> good = {
		{"Y\n", "Y\n"},
		{"N\n", "N\n"},
		{"1", "Y\n"},
		{"0", "N\n"},
		{"y", "Y\n"},
		{"n", "N\n"},
		{"on", "Y\n"},
		{"off", "N\n"},
		/* kstrtobool looks at the first byte or two only. */
		{"yes", "Y\n"},
		{"Nope", "N\n"},
	};
	for (const auto &[text, shown] : good) {
		INFO("input \"" << debugfs::escape(text) << "\"");
		CHECK(write_file(debugfs::overwrite_path, text) == 0);
		CHECK(read_file(debugfs::overwrite_path) == shown);
	}

	/*
	 * Text kstrtobool refuses is ignored, not refused: the helper
	 * reports every byte written and keeps the old value.
	 */
	for (const char *start : {"Y\n", "N\n"}) {
		REQUIRE(write_file(debugfs::overwrite_path, start) == 0);
		for (const std::string garbage :
		     {"maybe", "2", "-1", "o", "\n"}) {
			INFO("start " << debugfs::escape(start) << ", input \""
				      << debugfs::escape(garbage) << "\"");
			const int err =
				write_file(debugfs::overwrite_path, garbage);
			CHECK(err == 0);
			CHECK(read_file(debugfs::overwrite_path) == start);
		}
	}
	REQUIRE(write_file(debugfs::overwrite_path, "Y\n") == 0);
}

TEST_CASE("debugfs: x64 mask reads as 0x%016llx", "[debugfs][badinput]")
{
	const debugfs::Client c;
	const std::vector<std::pair<std::string, std::uint64_t>> cases = {
		{"0xdeadbeef\n", 0xdeadbeefULL},
		{"255\n", 255},
		{"0\n", 0},
		{"010\n", 8}, /* a leading 0 means octal */
		{"0xffffffffffffffff\n", ~0ULL},
		{"18446744073709551615\n", ~0ULL},
		{"0x0123456789abcdef\n", 0x0123456789abcdefULL},
	};
	for (const auto &[text, v] : cases) {
		INFO("input \"" << debugfs::escape(text) << "\"");
		CHECK(write_file(debugfs::mask_path, text) == 0);
		std::array<char, 24> want{};
		const int len =
			std::snprintf(want.data(), want.size(), "0x%016llx\n",
				      static_cast<unsigned long long>(v));
		REQUIRE(len == 19);
		CHECK(read_file(debugfs::mask_path) == want.data());
		CHECK(c.mask() == v);
	}

	c.set_mask(0xc0ffee);
	for (const auto &[text, err] : std::vector<std::pair<std::string, int>>{
		     {"0xfg\n", EINVAL},
		     {"mask\n", EINVAL},
		     {"0x10000000000000000\n", ERANGE}}) {
		INFO("input \"" << debugfs::escape(text) << "\"");
		CHECK(write_file(debugfs::mask_path, text) == err);
		CHECK(read_file(debugfs::mask_path) == "0x0000000000c0ffee\n");
	}
}

TEST_CASE("debugfs: capacity refuses text longer than it reads",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, debugfs::log_max);
	for (const char *t : {"one", "two", "three", "four"})
		c.append(t);
	const std::string log = c.read_events_raw();

	/* 16 as "0x0...010" of len bytes. */
	const auto padded = [](std::size_t len) {
		return "0x" + std::string(len - 4, '0') + "10";
	};
	/* One byte over the limit, in two ways, then far over it. */
	for (const std::string &text :
	     {padded(debugfs::capacity_text_max + 1),
	      padded(debugfs::capacity_text_max) + "x", padded(64),
	      std::string(4096, '7')}) {
		INFO("input \"" << debugfs::escape(text, 40) << "\", "
				<< text.size() << " bytes");
		CHECK(write_file(debugfs::capacity_path, text) == EINVAL);
		CHECK(c.capacity() == debugfs::log_max);
		CHECK(c.read_events_raw() == log);
	}

	/* Just inside: the same number in exactly capacity_text_max bytes. */
	CHECK(write_file(debugfs::capacity_path,
			 padded(debugfs::capacity_text_max)) == 0);
	CHECK(c.capacity() == 16);
	CHECK(write_file(debugfs::capacity_path,
			 padded(debugfs::capacity_text_max - 1) + "\n") == 0);
	CHECK(c.capacity() == 16);
	CHECK(c.read_events_raw() == log);
	c.set_capacity(debugfs::capacity_default);
}

TEST_CASE("debugfs: capacity refuses a NUL inside the text",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, 8);

	for (const std::string &text :
	     {std::string("4\0", 2), std::string("4\0junk\n", 7),
	      std::string("\0" "4", 2), std::string(1, '\0'),
	      std::string("1\0" "6\n", 4)}) {
		INFO("input \"" << debugfs::escape(text) << "\"");
		CHECK(write_file(debugfs::capacity_path, text) == EINVAL);
		CHECK(read_file(debugfs::capacity_path) == "8\n");
	}
	c.set_capacity(debugfs::capacity_default);
}

TEST_CASE("debugfs: a buffer the kernel cannot read gives EFAULT",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, 8);
	c.set_value(1234);
	c.set_mask(0xc0ffee);
	const GuardedPages page;

	for (const char *path :
	     {debugfs::value_path, debugfs::mask_path, debugfs::capacity_path}) {
		INFO(path);
		const std::string before = read_file(path);
		const kuipc::Fd fd(::open(path, O_WRONLY | O_CLOEXEC));
		REQUIRE(fd);
		errno = 0;
		CHECK(::write(fd.get(), page.bad(), 2) == -1);
		CHECK(errno == EFAULT);
		CHECK(read_file(path) == before);
	}

	/* The bool helper ignores what it cannot parse, a fault included:
	 * it reports the bytes written and keeps the value. */
	for (const char *start : {"Y\n", "N\n"}) {
		REQUIRE(write_file(debugfs::overwrite_path, start) == 0);
		const kuipc::Fd fd(
			::open(debugfs::overwrite_path, O_WRONLY | O_CLOEXEC));
		REQUIRE(fd);
		CHECK(::write(fd.get(), page.bad(), 2) == 2);
		CHECK(read_file(debugfs::overwrite_path) == start);
	}
	c.set_overwrite(true);
	c.set_capacity(debugfs::capacity_default);
}

TEST_CASE("debugfs: reading into an unwritable buffer gives EFAULT",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, 8);
	c.append("kept");
	const GuardedPages page;

	for (const auto &f : all_files) {
		INFO(f.path);
		const std::string before = read_file(f.path);
		REQUIRE_FALSE(before.empty());
		const kuipc::Fd fd(::open(f.path, O_RDONLY | O_CLOEXEC));
		REQUIRE(fd);
		errno = 0;
		CHECK(::read(fd.get(), page.bad(), 16) == -1);
		CHECK(errno == EFAULT);
		CHECK(read_file(f.path) == before);
	}
	CHECK(texts(c.events()) == std::vector<std::string>{"kept"});
	c.set_capacity(debugfs::capacity_default);
}

TEST_CASE("debugfs: events checks the size before it reads the buffer",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, debugfs::log_max);
	c.append("keep");
	const std::string before = c.read_events_raw();
	const GuardedPages page;

	const kuipc::Fd fd(::open(debugfs::events_path, O_WRONLY | O_CLOEXEC));
	REQUIRE(fd);
	/* One byte over text and newline: refused without a copy. */
	errno = 0;
	CHECK(::write(fd.get(), page.bad(), debugfs::event_max + 2) == -1);
	CHECK(errno == EINVAL);
	/* Within the limit the copy is tried, and faults. */
	errno = 0;
	CHECK(::write(fd.get(), page.bad(), debugfs::event_max + 1) == -1);
	CHECK(errno == EFAULT);
	errno = 0;
	CHECK(::write(fd.get(), page.bad(), 1) == -1);
	CHECK(errno == EFAULT);
	CHECK(c.read_events_raw() == before);
}

TEST_CASE("debugfs: unknown ioctls and mmap are refused on every file",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, 8);
	c.append("kept");
	std::vector<std::string> before;
	before.reserve(all_files.size());
	for (const auto &f : all_files)
		before.push_back(read_file(f.path));

	for (const auto &f : all_files) {
		INFO(f.path);
		const kuipc::Fd fd(::open(f.path, O_RDWR | O_CLOEXEC));
		REQUIRE(fd);
		int arg = 0;
		for (const unsigned long cmd : std::array<unsigned long, 3>{
			     _IO('k', 0), _IOW('k', 1, int), 0xdeadbeefUL}) {
			INFO("ioctl " << cmd);
			CHECK(kuipc::test::ioctl_err(fd.get(), cmd, &arg) == ENOTTY);
		}
		CHECK(kuipc::test::mmap_err(fd.get(), 4096, PROT_READ, MAP_SHARED) == ENODEV);
	}
	for (std::size_t i = 0; i < all_files.size(); i++)
		CHECK(read_file(all_files[i].path) == before[i]);
	c.set_capacity(debugfs::capacity_default);
}

TEST_CASE("debugfs: events refuses pwrite, a write after lseek appends",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, debugfs::log_max);
	c.append("first");
	const std::uint64_t seq = c.events().back().seq;

	const kuipc::Fd fd(::open(debugfs::events_path, O_RDWR | O_CLOEXEC));
	REQUIRE(fd);
	/* A seq_file takes no pwrite(), at any offset. */
	for (const off_t off : {off_t{0}, off_t{3}, off_t{99999}}) {
		INFO("pwrite at " << off);
		errno = 0;
		CHECK(::pwrite(fd.get(), "offset", 6, off) == -1);
		CHECK(errno == ESPIPE);
	}
	/* A negative offset is refused before that. */
	errno = 0;
	CHECK(::pwrite(fd.get(), "minus", 5, -1) == -1);
	CHECK(errno == EINVAL);
	CHECK(texts(c.events()) == std::vector<std::string>{"first"});

	/* write() ignores the file position: appended, next number. */
	REQUIRE(::lseek(fd.get(), 5, SEEK_SET) == 5);
	CHECK(::write(fd.get(), "after lseek", 11) == 11);
	const auto evs = c.events();
	CHECK(texts(evs) == std::vector<std::string>{"first", "after lseek"});
	CHECK(evs.back().seq == seq + 1);
}

TEST_CASE("debugfs: info blob holds the ABI and is closed to others",
	  "[debugfs][permission]")
{
	CHECK(file_mode(debugfs::info_path) == KUIPC_DEBUGFS_INFO_MODE);

	const std::string raw = read_file(debugfs::info_path);
	REQUIRE(raw.size() == sizeof(debugfs::Info));
	const debugfs::Info info = debugfs::parse_info(raw);
	CHECK(info.magic == KUIPC_DEBUGFS_MAGIC);
	CHECK(info.abi_version == KUIPC_DEBUGFS_ABI_VERSION);
	CHECK(info.log_max == KUIPC_DEBUGFS_LOG_MAX);
	CHECK(info.event_max == KUIPC_DEBUGFS_EVENT_MAX);
	CHECK(info.capacity_min == KUIPC_DEBUGFS_CAPACITY_MIN);
	CHECK(info.capacity_default == KUIPC_DEBUGFS_CAPACITY_DEFAULT);

	/* simple_read_from_buffer: any offset, any size, EOF at the end. */
	{
		const kuipc::Fd fd(
			::open(debugfs::info_path, O_RDONLY | O_CLOEXEC));
		REQUIRE(fd);
		for (std::size_t off = 1; off < raw.size(); off += 3)
			CHECK(pread_string(fd.get(), 1,
					   static_cast<off_t>(off)) ==
			      raw.substr(off, 1));
		CHECK(pread_string(fd.get(), 64, 5) == raw.substr(5));
		CHECK(pread_string(fd.get(), 7, static_cast<off_t>(raw.size()))
			      .empty());
	}

	/* Nobody else may read it, let alone write it. */
	CHECK(kuipc::test::run_unprivileged([] {
		      return open_errno(debugfs::info_path, O_RDONLY);
	      }) == EACCES);
	CHECK(kuipc::test::run_unprivileged([] {
		      return open_errno(debugfs::info_path, O_WRONLY);
	      }) == EACCES);

	/*
	 * Root passes the permission check of a 0400 file. Before 6.8 the
	 * blob has no write method; since 6.8 it has, whatever the mode. The
	 * same bytes are written back, so the content must not change.
	 */
	const auto [major, minor] = kernel_version();
	const bool writable = major > 6 || (major == 6 && minor >= 8);
	INFO("kernel " << major << "." << minor);
	CHECK(write_file(debugfs::info_path, raw) == (writable ? 0 : EINVAL));
	CHECK(read_file(debugfs::info_path) == raw);
}

TEST_CASE("debugfs: events append and read back in order", "[debugfs]")
{
	const debugfs::Client c;
	reset_log(c, debugfs::log_max);

	const std::string longest(debugfs::event_max, 'L');
	c.append("alpha");
	c.append("beta\n"); /* one trailing newline is not part of the text */
	c.append("gamma delta ~!@#$%^&*()");
	c.append(longest);
	c.append(longest + "\n");

	const auto evs = c.events();
	REQUIRE(evs.size() == 5);
	CHECK(texts(evs) == std::vector<std::string>{"alpha", "beta",
						     "gamma delta ~!@#$%^&*()",
						     longest, longest});
	CHECK(consecutive(evs));
	CHECK(debugfs::format_events(evs) == c.read_events_raw());

	/* O_TRUNC empties the log; sequence numbers go on. */
	c.clear();
	CHECK(c.read_events_raw().empty());
	c.append("after clear");
	const auto after = c.events();
	REQUIRE(after.size() == 1);
	CHECK(after[0].seq == evs.back().seq + 1);

	/* Write, then read, on one descriptor open for both. */
	const kuipc::Fd fd(::open(debugfs::events_path, O_RDWR | O_CLOEXEC));
	REQUIRE(fd);
	REQUIRE(::write(fd.get(), "rw", 2) == 2);
	std::array<char, 256> buf{};
	const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
	REQUIRE(n > 0);
	CHECK(debugfs::parse_events(
		      std::string_view(buf.data(), static_cast<std::size_t>(n)))
		      .back()
		      .text == "rw");
}

TEST_CASE("debugfs: events refuses bad text and leaves the log unchanged",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, debugfs::log_max);
	c.append("keep");
	const std::string before = c.read_events_raw();
	const std::uint64_t seq = c.events().back().seq;

	const std::string max(debugfs::event_max, 'x');
	const std::vector<std::string> bad = {
		"\n",
		"two\nlines",
		"trailing\n\n",
		"tab\there",
		"cr\r",
		"caf\xc3\xa9",
		std::string("nul\0byte", 8),
		"\x7f",
		max + "y", /* one byte too long */
		max + "\n\n", /* too long even without one newline */
		std::string(4096, 'z'),
		std::string(1 << 20, 'z'),
	};
	for (const auto &text : bad) {
		INFO("input \"" << debugfs::escape(text, 40) << "\", "
				<< text.size() << " bytes");
		CHECK(write_file(debugfs::events_path, text) == EINVAL);
		CHECK(c.read_events_raw() == before);
	}

	/* A buffer the kernel cannot read: EFAULT, nothing appended. */
	{
		const kuipc::Fd fd(
			::open(debugfs::events_path, O_WRONLY | O_CLOEXEC));
		REQUIRE(fd);
		const GuardedPages page;
		errno = 0;
		CHECK(::write(fd.get(), page.bad(), 8) == -1);
		CHECK(errno == EFAULT);
		/* Zero bytes: nothing to append, not an error. */
		CHECK(::write(fd.get(), "", 0) == 0);
	}
	CHECK(c.read_events_raw() == before);

	/* Refusals used no sequence number. */
	c.append("next");
	CHECK(c.events().back().seq == seq + 1);
}

TEST_CASE("debugfs: log keeps only the last N events, oldest dropped first",
	  "[debugfs]")
{
	const debugfs::Client c;
	reset_log(c, 5);

	std::vector<std::string> all;
	for (int i = 1; i <= 12; i++) {
		all.push_back("event " + std::to_string(i));
		c.append(all.back());
	}
	auto evs = c.events();
	REQUIRE(evs.size() == 5);
	CHECK(texts(evs) == std::vector<std::string>(all.end() - 5, all.end()));
	CHECK(consecutive(evs));
	const std::uint64_t last = evs.back().seq;

	/* Shrinking drops the oldest; growing drops nothing. */
	c.set_capacity(3);
	evs = c.events();
	CHECK(texts(evs) == std::vector<std::string>(all.end() - 3, all.end()));
	CHECK(evs.back().seq == last);
	c.set_capacity(debugfs::log_max);
	CHECK(c.events() == evs);

	/* The ring wraps around its slots many times and stays in order. */
	for (std::size_t i = 0; i < 3 * debugfs::log_max; i++)
		c.append("wrap " + std::to_string(i));
	evs = c.events();
	REQUIRE(evs.size() == debugfs::log_max);
	CHECK(consecutive(evs));
	CHECK(evs.front().text ==
	      "wrap " + std::to_string(2 * debugfs::log_max));
	CHECK(evs.back().seq == last + 3 * debugfs::log_max);
}

TEST_CASE("debugfs: full log refuses events while overwrite is N",
	  "[debugfs][badinput]")
{
	const debugfs::Client c;
	reset_log(c, 3);
	for (const char *t : {"a", "b", "c"})
		c.append(t);
	const std::string full = c.read_events_raw();

	c.set_overwrite(false);
	CHECK(write_file(debugfs::events_path, "d") == ENOSPC);
	CHECK(c.read_events_raw() == full);

	/* Room again after a capacity raise; full again at the new limit. */
	c.set_capacity(4);
	c.append("d");
	CHECK(write_file(debugfs::events_path, "e") == ENOSPC);
	CHECK(texts(c.events()) ==
	      std::vector<std::string>{"a", "b", "c", "d"});

	c.set_overwrite(true);
	c.append("e");
	CHECK(texts(c.events()) ==
	      std::vector<std::string>{"b", "c", "d", "e"});
	c.set_capacity(debugfs::capacity_default);
}

TEST_CASE("debugfs: events read whole with 1, 7, 64-byte buffers and preads",
	  "[debugfs]")
{
	const debugfs::Client c;
	reset_log(c, debugfs::log_max);

	/* More than a page of text, so seq_file has to grow its buffer. */
	std::vector<std::string> written;
	for (std::size_t i = 0; i < debugfs::log_max; i++) {
		const std::size_t len = 1 + (i * 37) % debugfs::event_max;
		std::string text = "e" + std::to_string(i) + ":";
		text.resize(std::max(len, text.size()),
			    static_cast<char>('a' + i % 26));
		written.push_back(text);
		c.append(text);
	}
	const std::string whole = c.read_events_raw(65536);
	REQUIRE(whole.size() > 4096);
	const auto evs = debugfs::parse_events(whole);
	CHECK(texts(evs) == written);
	CHECK(consecutive(evs));

	for (const std::size_t chunk : {1, 7, 64, 4096}) {
		INFO("chunk " << chunk);
		CHECK(c.read_events_raw(chunk) == whole);
	}

	const kuipc::Fd fd(::open(debugfs::events_path, O_RDONLY | O_CLOEXEC));
	REQUIRE(fd);
	const auto size = static_cast<off_t>(whole.size());

	/* pread() in 7-byte steps from offset 3, then out of order. */
	std::string pieces;
	for (off_t off = 3; off < size; off += 7)
		pieces += pread_string(fd.get(), 7, off);
	CHECK(pieces == whole.substr(3));
	for (const off_t off : {size - 1, off_t{1}, size / 2 + 1, off_t{4095},
				off_t{4097}, off_t{13}, size - 7}) {
		INFO("offset " << off);
		CHECK(pread_string(fd.get(), 64, off) ==
		      whole.substr(static_cast<std::size_t>(off), 64));
	}
	CHECK(pread_string(fd.get(), 7, size).empty());
	CHECK(pread_string(fd.get(), 7, size + 1000).empty());

	/* lseek() and read() agree with pread(). */
	REQUIRE(::lseek(fd.get(), 4099, SEEK_SET) == 4099);
	std::array<char, 64> buf{};
	const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
	REQUIRE(n > 0);
	CHECK(std::string(buf.data(), static_cast<std::size_t>(n)) ==
	      whole.substr(4099, 64));
}

TEST_CASE("debugfs: concurrent writers lose no event and tear no line",
	  "[debugfs][concurrency]")
{
	constexpr unsigned int writers = 4;
	constexpr unsigned int per_writer = 200;
	const debugfs::Client c;
	reset_log(c, debugfs::log_max);
	c.append("start");
	const std::uint64_t start = c.events().back().seq;

	/* The first few problems in any thread, and how many there were. */
	std::mutex err_lock;
	std::vector<std::string> errors;
	unsigned int nr_errors = 0;
	auto fail = [&](const std::string &what) {
		const std::lock_guard<std::mutex> g(err_lock);
		if (nr_errors++ < 8)
			errors.push_back(what);
	};

	/* Every line any reader sees must be whole and written by someone. */
	auto check_snapshot = [&](const std::vector<debugfs::Event> &evs) {
		if (!consecutive(evs))
			fail("sequence numbers not consecutive in a snapshot");
		for (const auto &ev : evs) {
			if (ev.text == "start")
				continue;
			const auto id = writer_of(ev.text);
			if (!id || id->t >= writers || id->i >= per_writer ||
			    ev.text != writer_text(id->t, id->i))
				fail("torn or unknown line: " + ev.text);
		}
	};

	/* Writers start once the reader reads; it reads until they end. */
	std::atomic<bool> go{false};
	std::atomic<unsigned int> running{writers};
	std::vector<std::thread> threads;
	for (unsigned int t = 0; t < writers; t++) {
		threads.emplace_back([&, t] {
			while (!go)
				std::this_thread::yield();
			try {
				for (unsigned int i = 0; i < per_writer; i++)
					c.append(writer_text(t, i));
			} catch (const std::exception &e) {
				fail(e.what());
			}
			running--;
		});
	}
	unsigned int snapshots = 0;
	threads.emplace_back([&] {
		try {
			/* Small reads: many read() calls per snapshot. */
			do {
				check_snapshot(debugfs::parse_events(
					c.read_events_raw(61)));
				snapshots++;
				go = true;
			} while (running > 0);
		} catch (const std::exception &e) {
			fail(e.what());
		}
		go = true;
	});
	for (auto &th : threads)
		th.join();

	INFO(snapshots << " snapshots read while writing");
	for (const auto &e : errors)
		FAIL_CHECK(e);
	CHECK(nr_errors == 0);

	const auto evs = c.events();
	REQUIRE(evs.size() == debugfs::log_max);
	check_snapshot(evs);
	/* Every append got exactly one sequence number. */
	CHECK(evs.back().seq == start + std::uint64_t{writers} * per_writer);

	/* Each writer's events appear in the order it wrote them. */
	std::array<int, writers> last{};
	last.fill(-1);
	for (const auto &ev : evs) {
		const auto id = writer_of(ev.text);
		REQUIRE(id);
		REQUIRE(id->t < writers);
		CHECK(static_cast<int>(id->i) > last.at(id->t));
		last.at(id->t) = static_cast<int>(id->i);
	}
	CHECK(nr_errors == 0);
}

TEST_CASE("debugfs: unprivileged user cannot open any file",
	  "[debugfs][permission]")
{
	for (const auto &f : all_files) {
		INFO(f.path);
		CHECK(file_mode(f.path) == f.mode);
	}
	CHECK(file_mode(KUIPC_DEBUGFS_MOUNT) == 0700);

	auto refused = [] {
		for (const auto &f : all_files) {
			for (const int flags : {O_RDONLY, O_WRONLY}) {
				const int err = open_errno(f.path, flags);
				if (err != EACCES)
					return err == 0 ? 1 : err;
			}
		}
		return 0;
	};
	/* The mount point (0700) stops nobody first... */
	CHECK(kuipc::test::run_unprivileged(refused) == 0);
	CHECK(kuipc::test::run_unprivileged(
		      [] { return stat_errno(debugfs::dir_path); }) == EACCES);

	/* ...and the files' own modes still do when it is opened up. */
	const ModeGuard guard(KUIPC_DEBUGFS_MOUNT);
	REQUIRE(::chmod(KUIPC_DEBUGFS_MOUNT, 0755) == 0);
	CHECK(kuipc::test::run_unprivileged(
		      [] { return stat_errno(debugfs::dir_path); }) == 0);
	CHECK(kuipc::test::run_unprivileged(refused) == 0);

	/* Root is unaffected. */
	CHECK(read_file(debugfs::overwrite_path).size() == 2);
}

TEST_CASE("debugfs: root in a new user namespace is refused what needs a capability in the initial one",
	  "[debugfs][permission]")
{
	const debugfs::Client c;
	c.set_value(7);
	c.set_mask(0x5a);
	reset_log(c, 3);
	c.set_overwrite(false);
	c.append("root's event");
	const auto before = c.events();
	const debugfs::Info info = c.info();

	/*
	 * Every file is root's, mode 0600 or 0400: a root whose uid 0 is
	 * nobody outside its user namespace has no right to override that.
	 */
	auto refused = [] {
		for (const auto &f : all_files) {
			for (const int flags : {O_RDONLY, O_WRONLY}) {
				const int err = open_errno(f.path, flags);
				if (err != EACCES)
					return err == 0 ? 1 : err;
			}
		}
		return 0;
	};
	using kuipc::test::run_in_userns;
	CHECK(run_in_userns(refused) == 0);
	CHECK(run_in_userns([] { return stat_errno(debugfs::dir_path); }) ==
	      EACCES);

	/* The files' own modes hold when the mount point is opened up. */
	{
		const ModeGuard guard(KUIPC_DEBUGFS_MOUNT);
		REQUIRE(::chmod(KUIPC_DEBUGFS_MOUNT, 0755) == 0);
		CHECK(run_in_userns([] {
			      return stat_errno(debugfs::dir_path);
		      }) == 0);
		CHECK(run_in_userns(refused) == 0);
		CHECK(run_in_userns([] {
			      return write_file(debugfs::value_path, "8");
		      }) == EACCES);
		CHECK(run_in_userns([] {
			      return write_file(debugfs::events_path, "intruder");
		      }) == EACCES);
	}

	CHECK(c.value() == 7);
	CHECK(c.mask() == 0x5a);
	CHECK_FALSE(c.overwrite());
	CHECK(c.capacity() == 3);
	CHECK(texts(c.events()) == texts(before));
	CHECK(c.info().magic == info.magic);
}

TEST_CASE("debugfs: unload removes the directory, open files fail safely",
	  "[debugfs][lifecycle]")
{
	const kuipc::test::ReloadGuard guard(mech);
	const debugfs::Client c;
	c.set_value(7);
	c.set_capacity(3);
	c.append("before unload");

	/* Our own file_operations pin the module while a file is open. */
	for (const char *path :
	     {debugfs::events_path, debugfs::capacity_path}) {
		INFO(path);
		kuipc::Fd pin(::open(path, O_RDONLY | O_CLOEXEC));
		REQUIRE(pin);
		const int err = errno_of([] { kuipc::unload_module(modname, 0); });
		CHECK(err == EWOULDBLOCK);
		CHECK(kuipc::module_loaded(modname));
	}

	/* The helpers' files do not: their fops belong to debugfs. */
	kuipc::Fd value_fd(::open(debugfs::value_path, O_RDWR | O_CLOEXEC));
	REQUIRE(value_fd);
	kuipc::unload_module(modname);
	CHECK_FALSE(kuipc::module_loaded(modname));
	CHECK(stat_errno(debugfs::dir_path) == ENOENT);
	CHECK(open_errno(debugfs::value_path, O_RDONLY) == ENOENT);

	/* The descriptor outlived the module: EIO, never the freed variable. */
	std::array<char, 16> buf{};
	errno = 0;
	CHECK(::read(value_fd.get(), buf.data(), buf.size()) == -1);
	CHECK(errno == EIO);
	errno = 0;
	CHECK(::write(value_fd.get(), "1\n", 2) == -1);
	CHECK(errno == EIO);

	/* Loading again starts from the initial state. */
	kuipc::load_module(kuipc::module_path(mech));
	REQUIRE(debugfs::Client::available());
	CHECK(c.value() == KUIPC_DEBUGFS_VALUE_INIT);
	CHECK(c.mask() == KUIPC_DEBUGFS_MASK_INIT);
	CHECK(c.overwrite());
	CHECK(c.capacity() == KUIPC_DEBUGFS_CAPACITY_DEFAULT);
	CHECK(c.events().empty());
	c.append("after reload");
	CHECK(c.events().front().seq == 1);

	/* The old descriptor still refers to the removed file. */
	errno = 0;
	CHECK(::read(value_fd.get(), buf.data(), buf.size()) == -1);
	CHECK(errno == EIO);
}
