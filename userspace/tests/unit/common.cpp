// SPDX-License-Identifier: GPL-2.0
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

TEST_CASE("common: Fd closes on destruction and moves ownership", "[common][host]")
{
	int raw = -1;
	{
		kuipc::Fd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
		REQUIRE(a.valid());
		raw = a.get();
		kuipc::Fd b(std::move(a));
		CHECK_FALSE(a.valid()); // NOLINT(bugprone-use-after-move,clang-analyzer-cplusplus.Move): the moved-from state is the point
		CHECK(b.get() == raw);
		CHECK(::fcntl(raw, F_GETFD) != -1);
	}
	CHECK(::fcntl(raw, F_GETFD) == -1);
	CHECK(errno == EBADF);
}

TEST_CASE("common: Fd release gives up ownership", "[common][host]")
{
	kuipc::Fd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
	const int raw = a.release();
	CHECK_FALSE(a.valid());
	CHECK(::close(raw) == 0);
}

TEST_CASE("common: Error carries errno and context", "[common][host]")
{
	const kuipc::Error e(ENOENT, "open /proc/x");
	CHECK(e.err() == ENOENT);
	CHECK(std::string(e.what()).find("open /proc/x") != std::string::npos);
	CHECK(std::string(e.what()).find("No such file") != std::string::npos);
}

TEST_CASE("common: module paths follow KUIPC_MODULE_DIR", "[common][host]")
{
	::setenv("KUIPC_MODULE_DIR", "/tmp/kmods", 1);
	CHECK(kuipc::module_path("procfs") == "/tmp/kmods/kuipc_procfs.ko");
	::unsetenv("KUIPC_MODULE_DIR");
	CHECK(kuipc::module_path("procfs") == "/lib/kuipc/kuipc_procfs.ko");
}

TEST_CASE("common: loading a missing module file fails with ENOENT", "[common][host]")
{
	try {
		kuipc::load_module("/nonexistent/kuipc_none.ko");
		FAIL("load_module did not throw");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == ENOENT);
	}
}
