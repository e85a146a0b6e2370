// SPDX-License-Identifier: GPL-2.0
// Host-side unit tests of the debugfs client's parsing and formatting.
#include <catch2/catch.hpp>

#include "debugfs.hpp"
#include "error.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace debugfs = kuipc::debugfs;

namespace {

/* The errno of the kuipc::Error fn throws, or 0. */
template <typename Fn> int error_of(Fn fn)
{
	try {
		fn();
	} catch (const kuipc::Error &e) {
		return e.err();
	}
	return 0;
}

} // namespace

TEST_CASE("debugfs: events format and parse back", "[debugfs][host]")
{
	const std::vector<debugfs::Event> evs = {
		{1, "alpha"},
		{2, "two words"},
		{18446744073709551615ULL, std::string(debugfs::event_max, '~')},
	};
	const std::string text = debugfs::format_events(evs);
	CHECK(text.substr(0, 16) == "1 alpha\n2 two wo");
	CHECK(debugfs::parse_events(text) == evs);
	CHECK(debugfs::parse_events("").empty());
}

TEST_CASE("debugfs: malformed event lines are EBADMSG", "[debugfs][host]")
{
	for (const std::string &bad : std::vector<std::string>{
		     "1 no newline", "x text\n", "1\n", " 1 text\n", "0 zero\n",
		     "1 \n", "1 tab\there\n", "18446744073709551616 big\n",
		     "1 " + std::string(debugfs::event_max + 1, 'a') + "\n"}) {
		INFO(debugfs::escape(bad));
		CHECK(error_of([&] { (void)debugfs::parse_events(bad); }) ==
		      EBADMSG);
	}
}

TEST_CASE("debugfs: numbers as the helpers print them", "[debugfs][host]")
{
	CHECK(debugfs::parse_number("42\n") == 42);
	CHECK(debugfs::parse_number("0x00000000deadbeef\n") == 0xdeadbeef);
	CHECK(debugfs::parse_number("18446744073709551615\n") == ~0ULL);
	CHECK(debugfs::parse_number("0xffffffffffffffff\n") == ~0ULL);
	for (const char *bad : {"42", "\n", "0x\n", "-1\n", "4 2\n", "0xg\n",
				"18446744073709551616\n", "42\n\n"}) {
		INFO(debugfs::escape(bad));
		CHECK(error_of([&] { (void)debugfs::parse_number(bad); }) ==
		      EBADMSG);
	}
}

TEST_CASE("debugfs: bools as the helper prints them", "[debugfs][host]")
{
	CHECK(debugfs::parse_bool("Y\n"));
	CHECK_FALSE(debugfs::parse_bool("N\n"));
	for (const char *bad : {"Y", "y\n", "1\n", "YN\n", ""})
		CHECK(error_of([&] { (void)debugfs::parse_bool(bad); }) ==
		      EBADMSG);
}

TEST_CASE("debugfs: info blob decoding checks size and magic",
	  "[debugfs][host]")
{
	debugfs::Info info{};
	info.magic = KUIPC_DEBUGFS_MAGIC;
	info.abi_version = KUIPC_DEBUGFS_ABI_VERSION;
	std::string raw(sizeof(info), '\0');
	std::memcpy(raw.data(), &info, sizeof(info));
	CHECK(debugfs::parse_info(raw).abi_version ==
	      KUIPC_DEBUGFS_ABI_VERSION);

	CHECK(error_of([&] { (void)debugfs::parse_info(raw.substr(1)); }) ==
	      EBADMSG);
	raw[0] ^= 1;
	CHECK(error_of([&] { (void)debugfs::parse_info(raw); }) == EBADMSG);
}

TEST_CASE("debugfs: escape shows bytes as a C string body", "[debugfs][host]")
{
	CHECK(debugfs::escape("a\n\t\"\\") == "a\\n\\t\\\"\\\\");
	CHECK(debugfs::escape(std::string("\0\xff", 2)) == "\\x00\\xff");
	CHECK(debugfs::escape("abcdef", 3) == "abc...");
}
