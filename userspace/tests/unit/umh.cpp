// SPDX-License-Identifier: GPL-2.0
// Host-side tests of the umh client's pure logic and of the ABI layout.
#include <catch2/catch.hpp>

#include "umh.hpp"

#include <sys/wait.h>

#include <csignal>
#include <cstddef>
#include <string>

namespace umh = kuipc::umh;

TEST_CASE("umh: ABI structs have one layout on every architecture",
	  "[umh][host]")
{
	/* Fixed-width fields, 64-bit ones 8-aligned, no implicit padding. */
	STATIC_REQUIRE(offsetof(kuipc_umh_request, arg_ptr) == 16);
	STATIC_REQUIRE(offsetof(kuipc_umh_request, flags) == 28);
	STATIC_REQUIRE(offsetof(kuipc_umh_request, id) == 32);
	STATIC_REQUIRE(offsetof(kuipc_umh_request, output) == 48);
	STATIC_REQUIRE(sizeof(kuipc_umh_request) == 48 + KUIPC_UMH_OUTPUT_MAX);
	STATIC_REQUIRE(sizeof(kuipc_umh_stats) == 56);
	STATIC_REQUIRE(offsetof(kuipc_umh_stats, requests) == 8);
	/* The size of each struct is part of its ioctl number. */
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_UMH_TRIGGER) == sizeof(kuipc_umh_request));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_UMH_GET_STATS) == sizeof(kuipc_umh_stats));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_UMH_TRIGGER) == (_IOC_READ | _IOC_WRITE));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_UMH_GET_STATS) == (_IOC_READ | _IOC_WRITE));
	/* The limits fit together: an echo of the longest argument fits. */
	STATIC_REQUIRE(KUIPC_UMH_OUTPUT_MAX >= KUIPC_UMH_ARG_MAX);
	STATIC_REQUIRE(KUIPC_UMH_TIMEOUT_DEFAULT_MS <= KUIPC_UMH_TIMEOUT_MAX_MS);
	/* The helper's own limit never ends a hang before the module's. */
	STATIC_REQUIRE(KUIPC_UMH_HANG_MAX_S * 1000 > KUIPC_UMH_TIMEOUT_MAX_MS);
	STATIC_REQUIRE(sizeof(KUIPC_UMH_HELPER_DEFAULT) <= KUIPC_UMH_HELPER_PATH_MAX);
}

TEST_CASE("umh: mode names round-trip and unknown names are refused",
	  "[umh][host]")
{
	for (const umh::Mode m : {umh::Mode::echo, umh::Mode::exit, umh::Mode::hang})
		CHECK(umh::parse_mode(umh::mode_name(m)) == m);
	CHECK(umh::mode_name(umh::Mode::echo) == KUIPC_UMH_MODE_ECHO_NAME);
	CHECK(umh::mode_name(umh::Mode::exit) == KUIPC_UMH_MODE_EXIT_NAME);
	CHECK(umh::mode_name(umh::Mode::hang) == KUIPC_UMH_MODE_HANG_NAME);
	CHECK_FALSE(umh::parse_mode(""));
	CHECK_FALSE(umh::parse_mode("Echo"));
	CHECK_FALSE(umh::parse_mode("exit "));
}

TEST_CASE("umh: a request carries its size, mode and argument",
	  "[umh][host]")
{
	const std::string arg = "héllo";
	const kuipc_umh_request req = umh::make_request(umh::Mode::exit, arg, 42, 500);
	CHECK(req.size == sizeof(kuipc_umh_request));
	CHECK(req.mode == KUIPC_UMH_MODE_EXIT);
	CHECK(req.exit_code == 42);
	CHECK(req.timeout_ms == 500);
	CHECK(req.arg_len == arg.size());
	CHECK(req.arg_ptr == reinterpret_cast<uintptr_t>(arg.data()));
	CHECK(req.flags == 0);
	CHECK(req.id == 0);
	CHECK(umh::to_string(req, arg) ==
	      "{size=560, mode=exit, exit_code=42, timeout_ms=500, "
	      "arg=\"héllo\", arg_len=6}");
}

TEST_CASE("umh: wait statuses, flags and results print like strace",
	  "[umh][host]")
{
	CHECK(umh::describe_status(0) == "exited 0");
	CHECK(umh::describe_status(42 << 8) == "exited 42");
	CHECK(umh::describe_status(SIGKILL) == "killed by SIGKILL");
	CHECK(umh::flag_names(0) == "0");
	CHECK(umh::flag_names(KUIPC_UMH_REPORTED | KUIPC_UMH_TIMED_OUT) ==
	      "REPORTED|TIMED_OUT");
	CHECK(umh::flag_names(KUIPC_UMH_REPORTED | 0x80) == "REPORTED|0x80");

	umh::Result res;
	res.id = 7;
	res.status = 3 << 8;
	res.flags = KUIPC_UMH_REPORTED;
	res.output = "out";
	CHECK(res.exited());
	CHECK(res.exit_code() == 3);
	CHECK_FALSE(res.signaled());
	CHECK(res.reported());
	CHECK_FALSE(res.timed_out());
	CHECK(umh::to_string(res) ==
	      "{id=7, status=0x300 (exited 3), flags=REPORTED, output=\"out\"}");

	res.status = SIGKILL;
	CHECK(res.signaled());
	CHECK(res.signal() == SIGKILL);
	CHECK_FALSE(res.exited());

	CHECK(umh::ioctl_name(KUIPC_UMH_TRIGGER) == "KUIPC_UMH_TRIGGER");
	CHECK(umh::ioctl_name(KUIPC_UMH_GET_STATS) == "KUIPC_UMH_GET_STATS");
	CHECK(umh::ioctl_name(0x1234) == "0x1234");
}

TEST_CASE("umh: reports are the id, a space and the output", "[umh][host]")
{
	CHECK(umh::format_report(1, "x") == "1 x");
	CHECK(umh::format_report(18446744073709551615ULL, "") ==
	      "18446744073709551615 ");
	CHECK(umh::format_report(5, "a b") == "5 a b");
	/* The longest report fits in what the module accepts. */
	CHECK(umh::format_report(18446744073709551615ULL,
				 std::string(KUIPC_UMH_OUTPUT_MAX, 'o'))
		      .size() == KUIPC_UMH_REPORT_MAX);
}

TEST_CASE("umh: quote keeps valid UTF-8 and escapes everything else",
	  "[umh][host]")
{
	CHECK(umh::quote("plain") == "\"plain\"");
	CHECK(umh::quote("héllo wörld ✓ 🐧") == "\"héllo wörld ✓ 🐧\"");
	CHECK(umh::quote("a\"b\\c\n\t") == "\"a\\\"b\\\\c\\n\\t\"");
	CHECK(umh::quote(std::string("\0\x01\x7f", 3)) == "\"\\x00\\x01\\x7f\"");
	/* Truncated, overlong, surrogate, lone continuation: \xNN bytes. */
	CHECK(umh::quote("caf\xc3") == "\"caf\\xc3\"");
	CHECK(umh::quote("\xc0\xaf") == "\"\\xc0\\xaf\"");
	CHECK(umh::quote("\xed\xa0\x80") == "\"\\xed\\xa0\\x80\"");
	CHECK(umh::quote("\x80") == "\"\\x80\"");
	CHECK(umh::quote("abcdef", 3) == "\"abc\"...");
}
