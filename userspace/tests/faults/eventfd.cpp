// SPDX-License-Identifier: GPL-2.0
// Fault injection of the eventfd pair (faults.hpp): the load, and a message produced into a channel.
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "eventfd.hpp"

namespace {

namespace faults = kuipc::test::faults;
namespace eventfd = kuipc::eventfd;

} // namespace

TEST_CASE("eventfd: load survives every allocation failure", "[eventfd][.faults]")
{
	faults::sweep_load("eventfd", {KUIPC_EVENTFD_PATH, "/sys/class/misc/" KUIPC_EVENTFD_NAME});
}

TEST_CASE("eventfd: a produced message survives every allocation failure",
	  "[eventfd][.faults]")
{
	const faults::Loaded mod("eventfd");
	eventfd::Device dev;
	eventfd::EventFd efd;
	dev.register_eventfd(0, efd.fd());
	faults::sweep([&] { return faults::errno_of([&] { dev.produce(0, "item"); }); },
		      [&](const faults::Run &run) {
			      const eventfd::Status st = dev.status(0);
			      CHECK(st.queued == (run.err == 0 ? 1U : 0U));
			      CHECK(st.produced == st.fetched + st.queued);
			      const auto item = dev.try_fetch(0);
			      CHECK(item.has_value() == (run.err == 0));
		      });
	dev.unregister(0);
}
