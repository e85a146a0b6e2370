// SPDX-License-Identifier: GPL-2.0
// Fault injection of the configfs pair (faults.hpp): the load, and the creation of an item (mkdir).
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "configfs.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace {

namespace faults = kuipc::test::faults;
namespace configfs = kuipc::configfs;

bool has_item(const std::string &name)
{
	const auto items = configfs::Client::list();
	return std::find(items.begin(), items.end(), name) != items.end();
}

} // namespace

TEST_CASE("configfs: load survives every allocation failure", "[configfs][.faults]")
{
	faults::sweep_load("configfs", {KUIPC_CONFIGFS_SUBSYS_PATH, KUIPC_CONFIGFS_SUMMARY_PATH,
					KUIPC_CONFIGFS_SETTINGS_PATH,
					KUIPC_CONFIGFS_INITIAL_PATH});
}

TEST_CASE("configfs: an item's mkdir survives every allocation failure",
	  "[configfs][.faults]")
{
	const faults::Loaded mod("configfs");
	const configfs::Client client;
	client.create("kept");
	faults::sweep([&] { return faults::errno_of([&] { client.create("item"); }); },
		      [&](const faults::Run &run) {
			      CHECK(has_item("item") == (run.err == 0));
			      CHECK(has_item("kept"));
			      const auto sum = client.summary();
			      CHECK(sum.items == (run.err == 0 ? 2U : 1U));
			      CHECK(sum.allocated == sum.items);
			      if (run.err == 0)
				      client.remove("item");
		      });
	client.remove_all();
}
