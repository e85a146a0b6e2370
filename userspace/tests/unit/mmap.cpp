// SPDX-License-Identifier: GPL-2.0
// Host-side tests of the mmap client's pure logic and of the ABI layout.
#include <catch2/catch.hpp>

#include "mmap.hpp"

#include <poll.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace km = kuipc::mmap;

TEST_CASE("mmap: ABI structs and layout are the same on every architecture",
	  "[mmap][host]")
{
	/* The indices sit on cache lines of their own. */
	STATIC_REQUIRE(sizeof(kuipc_mmap_ctrl) == 192);
	STATIC_REQUIRE(offsetof(kuipc_mmap_ctrl, head) == 64);
	STATIC_REQUIRE(offsetof(kuipc_mmap_ctrl, tail) == 128);
	STATIC_REQUIRE(sizeof(kuipc_mmap_ctrl) <= KUIPC_MMAP_CTRL_SIZE);
	/* Records fill their slots exactly, 64-bit fields 8-aligned. */
	STATIC_REQUIRE(sizeof(kuipc_mmap_record) == KUIPC_MMAP_RECORD_SIZE);
	STATIC_REQUIRE(offsetof(kuipc_mmap_record, payload) == 16);
	STATIC_REQUIRE(offsetof(kuipc_mmap_record, check) == 56);
	STATIC_REQUIRE(sizeof(kuipc_mmap_produce) == 8);
	STATIC_REQUIRE(sizeof(kuipc_mmap_checksum) == 16);
	/* The areas follow each other; the ring is a power of two. */
	STATIC_REQUIRE(KUIPC_MMAP_DATA_OFFSET == KUIPC_MMAP_CTRL_SIZE);
	STATIC_REQUIRE(KUIPC_MMAP_USER_OFFSET ==
		       KUIPC_MMAP_DATA_OFFSET + KUIPC_MMAP_DATA_SIZE);
	STATIC_REQUIRE(KUIPC_MMAP_SIZE ==
		       KUIPC_MMAP_USER_OFFSET + KUIPC_MMAP_USER_SIZE);
	STATIC_REQUIRE((KUIPC_MMAP_RECORDS & (KUIPC_MMAP_RECORDS - 1)) == 0);
	/* The size of each struct is part of its ioctl number. */
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_MMAP_PRODUCE) == sizeof(kuipc_mmap_produce));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_MMAP_CHECKSUM) ==
		       sizeof(kuipc_mmap_checksum));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_MMAP_PRODUCE) == _IOC_WRITE);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_MMAP_CHECKSUM) == (_IOC_READ | _IOC_WRITE));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_MMAP_RESET) == _IOC_NONE);
}

TEST_CASE("mmap: fnv1a gives the published FNV-1a 64 values", "[mmap][host]")
{
	const auto sum = [](std::string_view s) {
		return km::fnv1a(std::as_bytes(std::span(s.data(), s.size())));
	};
	CHECK(sum("") == 0xcbf29ce484222325ULL);
	CHECK(sum("a") == 0xaf63dc4c8601ec8cULL);
	CHECK(sum("foobar") == 0x85944171f73967e8ULL);
	/* Chaining equals summing the concatenation. */
	const std::string_view foo = "foo";
	const std::string_view bar = "bar";
	CHECK(km::fnv1a(std::as_bytes(std::span(bar.data(), bar.size())),
			sum(foo)) == sum("foobar"));
}

TEST_CASE("mmap: expected records carry their seq, length, payload and check",
	  "[mmap][host]")
{
	for (uint64_t seq : {0ULL, 1ULL, 39ULL, 40ULL, 255ULL, 256ULL,
			     0xffffffffULL, 0x100000000ULL}) {
		INFO("seq " << seq);
		const km::Record r = km::expected_record(seq);
		CHECK(r.seq == seq);
		CHECK(r.len >= 1);
		CHECK(r.len <= KUIPC_MMAP_PAYLOAD_MAX);
		CHECK(r.reserved == 0);
		for (uint32_t i = r.len; i < KUIPC_MMAP_PAYLOAD_MAX; ++i)
			CHECK(r.payload[i] == 0);
		CHECK(km::check_ok(r));
		/* Any flipped bit shows. */
		km::Record t = r;
		t.payload[r.len - 1] ^= 1;
		CHECK_FALSE(km::check_ok(t));
		CHECK_FALSE(km::equal(t, r));
	}
	CHECK(km::expected_record(0).len == 1);
	CHECK(km::expected_record(KUIPC_MMAP_PAYLOAD_MAX - 1).len ==
	      KUIPC_MMAP_PAYLOAD_MAX);
	CHECK_FALSE(km::equal(km::expected_record(1), km::expected_record(2)));
	/* A zeroed slot (never written) does not pass. */
	const km::Record zero{};
	CHECK_FALSE(km::check_ok(zero));
}

TEST_CASE("mmap: structs, flags and ioctl commands print like strace",
	  "[mmap][host]")
{
	km::Record r = km::expected_record(2);
	const std::string s = km::to_string(r);
	CHECK(s.rfind("{seq=2, len=3, payload=[", 0) == 0);
	CHECK(s.find(", check=0x") != std::string::npos);
	r.reserved = 5;
	CHECK(km::to_string(r).find("reserved=5") != std::string::npos);

	kuipc_mmap_ctrl c{};
	c.magic = KUIPC_MMAP_MAGIC;
	c.head = 7;
	c.tail = 3;
	const std::string cs = km::to_string(c);
	CHECK(cs.rfind("{magic=0x6b6d6d70, version=0,", 0) == 0);
	CHECK(cs.find("head=7, tail=3}") != std::string::npos);

	CHECK(km::ioctl_name(KUIPC_MMAP_PRODUCE) == "KUIPC_MMAP_PRODUCE");
	CHECK(km::ioctl_name(KUIPC_MMAP_CHECKSUM) == "KUIPC_MMAP_CHECKSUM");
	CHECK(km::ioctl_name(KUIPC_MMAP_RESET) == "KUIPC_MMAP_RESET");
	CHECK(km::ioctl_name(0x1234) == "0x1234");

	CHECK(km::poll_events(0) == "0");
	CHECK(km::poll_events(POLLIN | POLLERR) == "POLLIN|POLLERR");
	CHECK(km::prot_string(PROT_READ | PROT_WRITE) == "PROT_READ|PROT_WRITE");
	CHECK(km::prot_string(PROT_NONE) == "PROT_NONE");
	CHECK(km::map_flags_string(MAP_SHARED) == "MAP_SHARED");
	CHECK(km::map_flags_string(MAP_PRIVATE | MAP_FIXED) ==
	      "MAP_PRIVATE|MAP_FIXED");
}
