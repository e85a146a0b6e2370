// SPDX-License-Identifier: GPL-2.0
// Host-side unit tests of the sysfs client's pure logic (no module needed).
#include <catch2/catch.hpp>

#include "error.hpp"
#include "sysfs.hpp"

#include <cerrno>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>

namespace {

namespace sysfs = kuipc::sysfs;

int err_of(const std::function<void()> &fn)
{
	try {
		fn();
	} catch (const kuipc::Error &e) {
		return e.err();
	}
	return 0;
}

} // namespace

TEST_CASE("sysfs: parse_int takes what sysfs prints and nothing else",
	  "[sysfs][host]")
{
	CHECK(sysfs::parse_int("0\n", "t") == 0);
	CHECK(sysfs::parse_int("42\n", "t") == 42);
	CHECK(sysfs::parse_int("-1000\n", "t") == -1000);
	CHECK(sysfs::parse_int("9223372036854775807\n", "t") ==
	      std::numeric_limits<long long>::max());
	CHECK(sysfs::parse_int("-9223372036854775808\n", "t") ==
	      std::numeric_limits<long long>::min());

	for (const char *bad : {"42", "", "\n", "-\n", "+1\n", " 1\n", "1 \n",
				"0x10\n", "1\n\n", "1.5\n"}) {
		INFO(bad);
		CHECK(err_of([bad] { (void)sysfs::parse_int(bad, "t"); }) ==
		      EBADMSG);
	}
	CHECK(err_of([] {
		      (void)sysfs::parse_int("9223372036854775808\n", "t");
	      }) == ERANGE);
	CHECK(err_of([] {
		      (void)sysfs::parse_int("-9223372036854775809\n", "t");
	      }) == ERANGE);
}

TEST_CASE("sysfs: parse_u64 covers the whole unsigned range", "[sysfs][host]")
{
	CHECK(sysfs::parse_u64("0\n", "t") == 0);
	CHECK(sysfs::parse_u64("18446744073709551615\n", "t") ==
	      std::numeric_limits<std::uint64_t>::max());
	CHECK(err_of([] {
		      (void)sysfs::parse_u64("18446744073709551616\n", "t");
	      }) == ERANGE);
	CHECK(err_of([] { (void)sysfs::parse_u64("-1\n", "t"); }) == EBADMSG);
	CHECK(err_of([] { (void)sysfs::parse_u64("7", "t"); }) == EBADMSG);
}

TEST_CASE("sysfs: strip_newline removes exactly one", "[sysfs][host]")
{
	CHECK(sysfs::strip_newline("abc\n", "t") == "abc");
	CHECK(sysfs::strip_newline("\n", "t").empty());
	CHECK(sysfs::strip_newline("a\n\n", "t") == "a\n");
	CHECK(err_of([] { (void)sysfs::strip_newline("abc", "t"); }) ==
	      EBADMSG);
	CHECK(err_of([] { (void)sysfs::strip_newline("", "t"); }) == EBADMSG);
}

TEST_CASE("sysfs: file table matches the uapi header", "[sysfs][host]")
{
	std::set<std::string> names;
	std::set<std::string> paths;
	for (const auto &f : sysfs::files()) {
		INFO(f.name);
		names.insert(f.name);
		paths.insert(f.path);
		const std::string path = f.path;
		const std::string dir = path.rfind(sysfs::dir_path, 0) == 0 ?
						sysfs::dir_path :
						sysfs::params_path;
		CHECK(path == dir + "/" + f.name);
		CHECK(sysfs::path_of(f.name) == path);
		CHECK((f.mode & ~0777U) == 0);
	}
	CHECK(names.size() == sysfs::files().size());
	CHECK(paths.size() == sysfs::files().size());
	CHECK(err_of([] { (void)sysfs::path_of("nope"); }) == ENOENT);
	CHECK(sysfs::value_min <= sysfs::value_default);
	CHECK(sysfs::value_default <= sysfs::value_max);
	CHECK(std::string(sysfs::label_default).size() <= sysfs::label_max);
	CHECK(sysfs::tick_ms_off < sysfs::tick_ms_min);
}

TEST_CASE("sysfs: escape shows control bytes and cuts long input",
	  "[sysfs][host]")
{
	CHECK(sysfs::escape("42\n") == "42\\n");
	CHECK(sysfs::escape(std::string("a\0b", 3)) == "a\\x00b");
	CHECK(sysfs::escape("\"q\"") == "\\\"q\\\"");
	CHECK(sysfs::escape("abcdef", 3) == "abc...");
}
