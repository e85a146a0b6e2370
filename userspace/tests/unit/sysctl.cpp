// SPDX-License-Identifier: GPL-2.0
// Host-side tests of the sysctl client's pure logic (no module involved).
#include <catch2/catch.hpp>

#include "error.hpp"
#include "sysctl.hpp"

#include <cerrno>
#include <string>

namespace sc = kuipc::sysctl;

TEST_CASE("sysctl: paths and keys come from the uapi header", "[sysctl][host]")
{
	CHECK(sc::path(sc::Entry::value) == KUIPC_SYSCTL_VALUE_PATH);
	CHECK(sc::path(sc::Entry::name) == KUIPC_SYSCTL_NAME_PATH);
	CHECK(sc::path(sc::Entry::enabled) == KUIPC_SYSCTL_ENABLED_PATH);
	CHECK(sc::key(sc::Entry::value) == "kuipc.value");
	CHECK(sc::key(sc::Entry::enabled) == "kuipc.enabled");
	for (const auto e : sc::entries) {
		CHECK(sc::entry_from(sc::entry_name(e)) == e);
		CHECK(sc::entry_from(sc::key(e)) == e);
	}
	try {
		(void)sc::entry_from("kuipc.nothing");
		FAIL("unknown entry accepted");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == EINVAL);
	}
}

TEST_CASE("sysctl: parse_int takes the kernel's output only", "[sysctl][host]")
{
	CHECK(sc::parse_int("100\n", "v") == 100);
	CHECK(sc::parse_int("-12\n", "v") == -12);
	CHECK(sc::parse_int("0\n", "v") == 0);
	for (const char *bad : {"", "\n", "100", "1 \n", "x\n", "1x\n",
				"99999999999\n", " 1\n"}) {
		INFO("text \"" << sc::escape(bad) << "\"");
		try {
			(void)sc::parse_int(bad, "v");
			FAIL("accepted");
		} catch (const kuipc::Error &e) {
			CHECK(e.err() == EBADMSG);
		}
	}
}

TEST_CASE("sysctl: parse_bool takes 0 and 1 only", "[sysctl][host]")
{
	CHECK_FALSE(sc::parse_bool("0\n", "b"));
	CHECK(sc::parse_bool("1\n", "b"));
	for (const char *bad : {"", "2\n", "1", "true\n", "01\n"}) {
		INFO("text \"" << sc::escape(bad) << "\"");
		try {
			(void)sc::parse_bool(bad, "b");
			FAIL("accepted");
		} catch (const kuipc::Error &e) {
			CHECK(e.err() == EBADMSG);
		}
	}
}

TEST_CASE("sysctl: strip_newline and escape", "[sysctl][host]")
{
	CHECK(sc::strip_newline("abc\n") == "abc");
	CHECK(sc::strip_newline("abc") == "abc");
	CHECK(sc::strip_newline("\n\n") == "\n");
	CHECK(sc::strip_newline("").empty());
	CHECK(sc::escape("a\"b\\c\n\t") == "a\\\"b\\\\c\\n\\t");
	CHECK(sc::escape(std::string("\0\xff", 2)) == "\\x00\\xff");
	CHECK(sc::escape("abcdef", 3) == "abc...");
}

TEST_CASE("sysctl: set_name refuses what the kernel would cut",
	  "[sysctl][host]")
{
	/* Refused before any file is opened, so this runs without the
	 * module. */
	const sc::Client client;
	for (const std::string &name : {std::string("a\nb"),
				       std::string("a\0b", 3)}) {
		try {
			client.set_name(name);
			FAIL("accepted");
		} catch (const kuipc::Error &e) {
			CHECK(e.err() == EINVAL);
		}
	}
}
