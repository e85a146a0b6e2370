// SPDX-License-Identifier: GPL-2.0
// Fault injection of the chardev pair (faults.hpp): the load, and a write and a reconfiguration (ioctl) of the device.
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "chardev.hpp"
#include "module.hpp"

#include <string>

namespace {

namespace faults = kuipc::test::faults;
namespace chardev = kuipc::chardev;

} // namespace

TEST_CASE("chardev: load survives every allocation failure", "[chardev][.faults]")
{
	faults::sweep_load("chardev", {KUIPC_CHARDEV_PATH, "/sys/class/misc/" KUIPC_CHARDEV_NAME});
}

TEST_CASE("chardev: a write survives every allocation failure", "[chardev][.faults]")
{
	const faults::Loaded mod("chardev");
	chardev::Device dev(KUIPC_CHARDEV_PATH);
	chardev::Stats before = dev.stats();
	faults::sweep([&] { return faults::errno_of([&] { dev.write_all("data"); }); },
		      [&](const faults::Run &run) {
			      const chardev::Stats now = dev.stats();
			      CHECK(now.bytes_written == before.bytes_written + (run.err == 0 ? 4U : 0U));
			      CHECK(dev.read_string() == (run.err == 0 ? "data" : ""));
			      before = dev.stats();
		      });
}

TEST_CASE("chardev: a reconfiguration survives every allocation failure",
	  "[chardev][.faults]")
{
	const faults::Loaded mod("chardev");
	chardev::Device dev(KUIPC_CHARDEV_PATH);
	const chardev::Config defaults = dev.config();
	chardev::Config changed = defaults;
	changed.capacity = KUIPC_CHARDEV_CAPACITY_MIN;
	faults::sweep([&] { return faults::errno_of([&] { dev.set_config(changed); }); },
		      [&](const faults::Run &run) {
			      CHECK(chardev::equal(dev.config(), run.err == 0 ? changed : defaults));
			      dev.set_config(defaults);
		      });
}
