// SPDX-License-Identifier: GPL-2.0
// Fault injection of the procfs pair (faults.hpp): the load, and each
// operation that changes the message store.
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "fd.hpp"
#include "procfs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace {

namespace faults = kuipc::test::faults;
namespace procfs = kuipc::procfs;
using Strings = std::vector<std::string>;

} // namespace

TEST_CASE("procfs: load survives every allocation failure", "[procfs][.faults]")
{
	faults::sweep_load("procfs", {KUIPC_PROCFS_DIR_PATH, KUIPC_PROCFS_RECORDS_PATH,
				      KUIPC_PROCFS_MESSAGES_PATH});
}

TEST_CASE("procfs: a message write survives every allocation failure",
	  "[procfs][.faults]")
{
	const faults::Loaded mod("procfs");
	const procfs::Client client;
	client.write_message("kept");
	faults::sweep([&] { return faults::errno_of([&] { client.write_message("new"); }); },
		      [&](const faults::Run &run) {
			      const Strings want = run.err == 0 ? Strings{"kept", "new"}
								: Strings{"kept"};
			      CHECK(client.messages() == want);
			      client.clear();
			      client.write_message("kept");
		      });
}

TEST_CASE("procfs: an emptying open (O_TRUNC) survives every allocation failure",
	  "[procfs][.faults]")
{
	const faults::Loaded mod("procfs");
	const procfs::Client client;
	client.write_message("kept");
	faults::sweep(
		[&] {
			const kuipc::Fd fd(::open(KUIPC_PROCFS_MESSAGES_PATH,
						  O_WRONLY | O_TRUNC | O_CLOEXEC));
			return fd ? 0 : errno;
		},
		[&](const faults::Run &run) {
			CHECK(client.messages() == (run.err == 0 ? Strings{} : Strings{"kept"}));
			client.clear();
			client.write_message("kept");
		});
}
