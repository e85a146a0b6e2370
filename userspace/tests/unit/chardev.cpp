// SPDX-License-Identifier: GPL-2.0
// Host-side tests of the chardev client's pure logic and of the ABI layout.
#include <catch2/catch.hpp>

#include "chardev.hpp"

#include <poll.h>

#include <cstddef>
#include <string>

namespace cd = kuipc::chardev;

TEST_CASE("chardev: ABI structs have one layout on every architecture",
	  "[chardev][host]")
{
	/* Fixed-width fields, 64-bit ones 8-aligned, no implicit padding:
	 * the same bytes for 32-bit callers, so compat_ptr_ioctl suffices. */
	STATIC_REQUIRE(sizeof(kuipc_chardev_config) == 16);
	STATIC_REQUIRE(sizeof(kuipc_chardev_stats) == 48);
	STATIC_REQUIRE(offsetof(kuipc_chardev_stats, bytes_written) == 16);
	STATIC_REQUIRE(offsetof(kuipc_chardev_stats, reads) == 40);
	/* The size of each struct is part of its ioctl number. */
	constexpr size_t cfg = sizeof(kuipc_chardev_config);
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_CHARDEV_GET_CONFIG) == cfg);
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_CHARDEV_SET_CONFIG) == cfg);
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_CHARDEV_GET_STATS) ==
		       sizeof(kuipc_chardev_stats));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_CHARDEV_GET_CONFIG) == _IOC_READ);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_CHARDEV_SET_CONFIG) == _IOC_WRITE);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_CHARDEV_RESET) == _IOC_NONE);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_CHARDEV_GET_STATS) == (_IOC_READ | _IOC_WRITE));
	/* The limits fit together: a writer always gets one piece in. */
	STATIC_REQUIRE(KUIPC_CHARDEV_CAPACITY_MIN >= KUIPC_CHARDEV_ATOMIC_MAX);
	STATIC_REQUIRE(KUIPC_CHARDEV_CAPACITY_DEFAULT >= KUIPC_CHARDEV_CAPACITY_MIN);
	STATIC_REQUIRE(KUIPC_CHARDEV_CAPACITY_DEFAULT <= KUIPC_CHARDEV_CAPACITY_MAX);
}

TEST_CASE("chardev: default config carries its size and the default capacity",
	  "[chardev][host]")
{
	const cd::Config c = cd::default_config();
	CHECK(c.size == sizeof(c));
	CHECK(c.capacity == KUIPC_CHARDEV_CAPACITY_DEFAULT);
	CHECK(c.reserved[0] == 0);
	CHECK(c.reserved[1] == 0);
	CHECK(cd::equal(c, cd::default_config()));
	cd::Config d = c;
	d.reserved[1] = 1;
	CHECK_FALSE(cd::equal(c, d));
}

TEST_CASE("chardev: structs and ioctl commands print like strace",
	  "[chardev][host]")
{
	cd::Config c = cd::default_config();
	c.capacity = 300;
	CHECK(cd::to_string(c) == "{size=16, capacity=300}");
	c.reserved[1] = 7;
	CHECK(cd::to_string(c) == "{size=16, capacity=300, reserved=[0, 7]}");

	cd::Stats st{};
	st.size = sizeof(st);
	st.queued = 4;
	st.bytes_written = 8;
	st.bytes_read = 4;
	st.writes = 2;
	st.reads = 1;
	CHECK(cd::to_string(st) == "{size=48, queued=4, bytes_written=8, "
				   "bytes_read=4, writes=2, reads=1}");

	CHECK(cd::ioctl_name(KUIPC_CHARDEV_GET_CONFIG) == "KUIPC_CHARDEV_GET_CONFIG");
	CHECK(cd::ioctl_name(KUIPC_CHARDEV_SET_CONFIG) == "KUIPC_CHARDEV_SET_CONFIG");
	CHECK(cd::ioctl_name(KUIPC_CHARDEV_RESET) == "KUIPC_CHARDEV_RESET");
	CHECK(cd::ioctl_name(KUIPC_CHARDEV_GET_STATS) == "KUIPC_CHARDEV_GET_STATS");
	CHECK(cd::ioctl_name(_IO(KUIPC_CHARDEV_IOC_MAGIC, 0x7f)) == "0xe27f");

	CHECK(cd::poll_events(0) == "0");
	CHECK(cd::poll_events(POLLIN) == "POLLIN");
	CHECK(cd::poll_events(POLLIN | POLLOUT) == "POLLIN|POLLOUT");
}
