// SPDX-License-Identifier: GPL-2.0
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "kmsg.hpp"
#include "module.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

TEST_CASE("common: kmsg records parse with their level and every line", "[common][host]")
{
	const auto rec = kuipc::parse_kmsg_record(
		"4,812,1234567,-;WARNING: CPU: 0 PID: 1 at x.c:1\\x0aline two\n"
		" SUBSYSTEM=misc\n");
	REQUIRE(rec.has_value());
	CHECK(*rec == "4|WARNING: CPU: 0 PID: 1 at x.c:1\nline two");
	CHECK_FALSE(kuipc::parse_kmsg_record("no separator").has_value());
	CHECK_FALSE(kuipc::parse_kmsg_record("x,y;text").has_value());
	/* A backslash is escaped by the kernel as \x5c. */
	CHECK(*kuipc::parse_kmsg_record("6,1,1,-;a\\x5cb") == "6|a\\b");
}

TEST_CASE("common: a report on any line of a record is found", "[common][host]")
{
	using kuipc::report_lines;
	CHECK(report_lines("kuipc_procfs: loaded").empty());
	/* The report is on the second line of the record. */
	CHECK(report_lines("first line\nkernel BUG at mm/slub.c:42!") ==
	      std::vector<std::string>{"kernel BUG at mm/slub.c:42!"});
	/* SLUB's own check: "BUG <cache>" only at the start of a line. */
	CHECK(report_lines("BUG kmalloc-64 (Not tainted): Poison overwritten").size() == 1);
	CHECK(report_lines("kuipc_x: DEBUG value").empty());
	for (const char *text :
	     {"BUG: KASAN: slab-use-after-free in f+0x1/0x2",
	      "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
	      "INFO: task a:1 blocked for more than 120 seconds.",
	      "WARNING: possible circular locking dependency detected",
	      "UBSAN: shift-out-of-bounds in x.c:3:4", "Kernel panic - not syncing: x",
	      "list_del corruption, ffff0000 ->next is NULL",
	      "kmemleak: 1 new suspected memory leaks"})
		CHECK(report_lines(text).size() == 1);
}

TEST_CASE("common: the kernel log reader fails closed", "[common][host]")
{
	/* Whatever the host allows, a reader never reports an unusable log
	 * as clean: either it reads, or it says why not. */
	kuipc::KmsgReader kmsg;
	const auto problems = kmsg.take_problems();
	if (kmsg.fd() < 0)
		CHECK_FALSE(problems.empty());
	else
		CHECK(problems.empty());
	const auto bad = kuipc::kernel_reports(kmsg, std::nullopt);
	CHECK(std::find(bad.begin(), bad.end(), "cannot read /proc/sys/kernel/tainted") !=
	      bad.end());
}
