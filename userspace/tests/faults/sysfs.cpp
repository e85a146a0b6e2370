// SPDX-License-Identifier: GPL-2.0
// Fault injection of the sysfs pair (faults.hpp): the load, and a trigger (an event with its notification).
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "sysfs.hpp"

#include <cstdint>

namespace {

namespace faults = kuipc::test::faults;
namespace sysfs = kuipc::sysfs;

} // namespace

TEST_CASE("sysfs: load survives every allocation failure", "[sysfs][.faults]")
{
	/* std::string(): each path is a concatenation of literals. */
	faults::sweep_load("sysfs", {std::string(KUIPC_SYSFS_DIR_PATH),
				std::string(KUIPC_SYSFS_VALUE_PATH),
				std::string(KUIPC_SYSFS_LABEL_PATH),
				std::string(KUIPC_SYSFS_WRITES_PATH),
				std::string(KUIPC_SYSFS_EVENT_PATH),
				std::string(KUIPC_SYSFS_TRIGGER_PATH)});
}

TEST_CASE("sysfs: a trigger survives every allocation failure", "[sysfs][.faults]")
{
	const faults::Loaded mod("sysfs");
	const sysfs::Client client;
	std::uint64_t before = client.event();
	faults::sweep([&] { return faults::errno_of([&] { client.trigger(); }); },
		      [&](const faults::Run &run) {
			      const std::uint64_t now = client.event();
			      CHECK(now == before + (run.err == 0 ? 1U : 0U));
			      before = now;
		      });
}
