// SPDX-License-Identifier: GPL-2.0
// Host-side tests of the eventfd client's pure logic, its EventFd wrapper
// (eventfd(2) itself needs no module) and of the ABI layout.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "eventfd.hpp"

#include <fcntl.h>

#include <cstddef>
#include <string>

namespace ke = kuipc::eventfd;

TEST_CASE("eventfd: ABI structs have one layout on every architecture",
	  "[eventfd][host]")
{
	/* Fixed-width fields, 64-bit ones 8-aligned, no implicit padding:
	 * the same bytes for 32-bit callers, so compat_ptr_ioctl suffices. */
	STATIC_REQUIRE(sizeof(kuipc_eventfd_register) == 16);
	STATIC_REQUIRE(sizeof(kuipc_eventfd_unregister) == 8);
	STATIC_REQUIRE(sizeof(kuipc_eventfd_msg) == 32);
	STATIC_REQUIRE(offsetof(kuipc_eventfd_msg, data) == 8);
	STATIC_REQUIRE(offsetof(kuipc_eventfd_msg, seq) == 16);
	STATIC_REQUIRE(sizeof(kuipc_eventfd_status) == 32);
	STATIC_REQUIRE(offsetof(kuipc_eventfd_status, channel) == 0);
	STATIC_REQUIRE(offsetof(kuipc_eventfd_status, produced) == 16);
	/* The size of each struct is part of its ioctl number. */
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_EVENTFD_REGISTER) ==
		       sizeof(kuipc_eventfd_register));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_EVENTFD_UNREGISTER) ==
		       sizeof(kuipc_eventfd_unregister));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_EVENTFD_PRODUCE) == sizeof(kuipc_eventfd_msg));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_EVENTFD_FETCH) == sizeof(kuipc_eventfd_msg));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_EVENTFD_STATUS) ==
		       sizeof(kuipc_eventfd_status));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_EVENTFD_REGISTER) == _IOC_WRITE);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_EVENTFD_UNREGISTER) == _IOC_WRITE);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_EVENTFD_PRODUCE) == _IOC_WRITE);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_EVENTFD_FETCH) == (_IOC_READ | _IOC_WRITE));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_EVENTFD_STATUS) == (_IOC_READ | _IOC_WRITE));
	/* The limits fit the fields that carry them. */
	STATIC_REQUIRE(KUIPC_EVENTFD_CHANNELS > 0);
	STATIC_REQUIRE(KUIPC_EVENTFD_PAYLOAD_MAX > 0);
	STATIC_REQUIRE(KUIPC_EVENTFD_QUEUE_MAX > 0);
}

TEST_CASE("eventfd: status and ioctl commands print like strace",
	  "[eventfd][host]")
{
	CHECK(ke::status_flags(0) == "0");
	CHECK(ke::status_flags(KUIPC_EVENTFD_REGISTERED) == "REGISTERED");
	CHECK(ke::status_flags(KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER) ==
	      "REGISTERED|OWNER");
	CHECK(ke::status_flags(KUIPC_EVENTFD_OWNER | 0x100) == "OWNER|0x100");

	ke::Status st{};
	st.channel = 3;
	st.flags = KUIPC_EVENTFD_REGISTERED;
	st.queued = 2;
	st.produced = 5;
	st.fetched = 3;
	CHECK(ke::to_string(st) == "{channel=3, flags=REGISTERED, queued=2, "
				   "produced=5, fetched=3}");
	st.reserved = 9;
	CHECK(ke::to_string(st) == "{channel=3, flags=REGISTERED, queued=2, "
				   "reserved=9, produced=5, fetched=3}");

	CHECK(ke::ioctl_name(KUIPC_EVENTFD_REGISTER) == "KUIPC_EVENTFD_REGISTER");
	CHECK(ke::ioctl_name(KUIPC_EVENTFD_UNREGISTER) ==
	      "KUIPC_EVENTFD_UNREGISTER");
	CHECK(ke::ioctl_name(KUIPC_EVENTFD_PRODUCE) == "KUIPC_EVENTFD_PRODUCE");
	CHECK(ke::ioctl_name(KUIPC_EVENTFD_FETCH) == "KUIPC_EVENTFD_FETCH");
	CHECK(ke::ioctl_name(KUIPC_EVENTFD_STATUS) == "KUIPC_EVENTFD_STATUS");
	CHECK(ke::ioctl_name(0x1234) == "0x1234");

	CHECK(ke::eventfd_flags(0) == "0");
	CHECK(ke::eventfd_flags(EFD_CLOEXEC | EFD_SEMAPHORE) ==
	      "EFD_CLOEXEC|EFD_SEMAPHORE");
	CHECK(ke::eventfd_flags(EFD_NONBLOCK) == "EFD_NONBLOCK");
}

TEST_CASE("eventfd: EventFd counts, semaphores and never blocks when asked",
	  "[eventfd][host]")
{
	ke::EventFd plain(EFD_NONBLOCK);
	CHECK((::fcntl(plain.fd(), F_GETFD) & FD_CLOEXEC) != 0);
	CHECK(plain.flags() == (EFD_NONBLOCK | EFD_CLOEXEC));
	CHECK_FALSE(plain.wait(0));
	try {
		(void)plain.read();
		FAIL("read of an empty non-blocking eventfd succeeded");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == EAGAIN);
	}
	plain.write(2);
	plain.write(3);
	CHECK(plain.wait(0));
	CHECK(plain.read() == 5);
	CHECK_FALSE(plain.wait(0));

	ke::EventFd sem(EFD_NONBLOCK | EFD_SEMAPHORE, 2);
	CHECK(sem.read() == 1);
	CHECK(sem.read() == 1);
	CHECK_FALSE(sem.wait(0));
}
