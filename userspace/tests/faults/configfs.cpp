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

/* Sweep the mkdir of name next to an item that must survive every run. */
void sweep_mkdir(const std::string &name)
{
	const faults::Loaded mod("configfs");
	const configfs::Client client;
	client.create("kept");
	faults::sweep([&] { return faults::errno_of([&] { client.create(name); }); },
		      [&](const faults::Run &run) {
			      CHECK(has_item(name) == (run.err == 0));
			      CHECK(has_item("kept"));
			      const auto sum = client.summary();
			      CHECK(sum.items == (run.err == 0 ? 2U : 1U));
			      CHECK(sum.allocated == sum.items);
			      if (run.err == 0)
				      client.remove(name);
		      });
	client.remove_all();
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
	sweep_mkdir("item");
}

/*
 * configfs keeps a name of up to CONFIGFS_ITEM_NAME_LEN - 1 (19) bytes in the
 * item; a longer one is a kmalloc() of its own, which make_item() checks.
 */
TEST_CASE("configfs: mkdir of a name too long for the item's inline buffer "
	  "survives every allocation failure",
	  "[configfs][.faults]")
{
	const std::string name(KUIPC_CONFIGFS_NAME_MAX, 'n');
	static_assert(KUIPC_CONFIGFS_NAME_MAX >= 20);
	sweep_mkdir(name);
}
