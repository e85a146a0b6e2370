// SPDX-License-Identifier: GPL-2.0
// Fault injection of the debugfs pair (faults.hpp): the load, and the emptying open (O_TRUNC) of the event log.
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "debugfs.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace {

namespace faults = kuipc::test::faults;
namespace debugfs = kuipc::debugfs;

} // namespace

TEST_CASE("debugfs: load survives every allocation failure", "[debugfs][.faults]")
{
	/* std::string(): each path is a concatenation of literals. */
	faults::sweep_load("debugfs", {std::string(KUIPC_DEBUGFS_DIR_PATH),
				std::string(KUIPC_DEBUGFS_VALUE_PATH),
				std::string(KUIPC_DEBUGFS_MASK_PATH),
				std::string(KUIPC_DEBUGFS_OVERWRITE_PATH),
				std::string(KUIPC_DEBUGFS_INFO_PATH),
				std::string(KUIPC_DEBUGFS_CAPACITY_PATH),
				std::string(KUIPC_DEBUGFS_EVENTS_PATH)});
}

TEST_CASE("debugfs: an emptying open (O_TRUNC) survives every allocation failure",
	  "[debugfs][.faults]")
{
	const faults::Loaded mod("debugfs");
	const debugfs::Client client;
	client.append("kept");
	faults::sweep(
		[&] {
			const kuipc::Fd fd(::open(KUIPC_DEBUGFS_EVENTS_PATH,
						  O_WRONLY | O_TRUNC | O_CLOEXEC));
			return fd ? 0 : errno;
		},
		[&](const faults::Run &run) {
			CHECK(client.events().size() == (run.err == 0 ? 0U : 1U));
			client.clear();
			client.append("kept");
		});
}
