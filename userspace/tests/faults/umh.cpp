// SPDX-License-Identifier: GPL-2.0
// Fault injection of the umh pair (faults.hpp): the load, and a helper run (TRIGGER).
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "umh.hpp"

namespace {

namespace faults = kuipc::test::faults;
namespace umh = kuipc::umh;

} // namespace

TEST_CASE("umh: load survives every allocation failure", "[umh][.faults]")
{
	faults::sweep_load("umh", {KUIPC_UMH_PATH, "/sys/class/misc/" KUIPC_UMH_NAME});
}

TEST_CASE("umh: a helper run survives every allocation failure", "[umh][.faults]")
{
	const faults::Loaded mod("umh");
	const umh::Device dev;
	umh::Stats before = dev.stats();
	faults::sweep(
		[&] {
			return faults::errno_of([&] {
				const umh::Result res = dev.trigger(umh::Mode::exit, "x", 3);
				CHECK(res.exited());
				CHECK(res.exit_code() == 3);
			});
		},
		[&](const faults::Run &run) {
			const umh::Stats now = dev.stats();
			CHECK(now.in_flight == 0);
			CHECK(now.requests == before.requests + (run.err == 0 ? 1U : 0U));
			CHECK(now.exited == before.exited + (run.err == 0 ? 1U : 0U));
			before = now;
		});
}
