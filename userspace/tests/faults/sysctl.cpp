// SPDX-License-Identifier: GPL-2.0
// Fault injection of the sysctl pair (faults.hpp): the load, and a write of the name.
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "sysctl.hpp"

namespace {

namespace faults = kuipc::test::faults;
namespace sysctl = kuipc::sysctl;

} // namespace

TEST_CASE("sysctl: load survives every allocation failure", "[sysctl][.faults]")
{
	faults::sweep_load("sysctl", {KUIPC_SYSCTL_DIR_PATH, KUIPC_SYSCTL_VALUE_PATH,
				      KUIPC_SYSCTL_NAME_PATH, KUIPC_SYSCTL_ENABLED_PATH});
}

TEST_CASE("sysctl: a write of the name survives every allocation failure",
	  "[sysctl][.faults]")
{
	const faults::Loaded mod("sysctl");
	const sysctl::Client client;
	client.set_name("kept");
	faults::sweep([&] { return faults::errno_of([&] { client.set_name("new"); }); },
		      [&](const faults::Run &run) {
			      CHECK(client.name() == (run.err == 0 ? "new" : "kept"));
			      client.set_name("kept");
		      });
}
