// SPDX-License-Identifier: GPL-2.0
// Fault injection of the mmap pair (faults.hpp): the load, and a mapping of the buffer (mmap).
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "mmap.hpp"

#include <cstring>

namespace {

namespace faults = kuipc::test::faults;
namespace kmmap = kuipc::mmap;

} // namespace

TEST_CASE("mmap: load survives every allocation failure", "[mmap][.faults]")
{
	faults::sweep_load("mmap", {KUIPC_MMAP_PATH, "/sys/class/misc/" KUIPC_MMAP_NAME});
}

TEST_CASE("mmap: a mapping survives every allocation failure", "[mmap][.faults]")
{
	const faults::Loaded mod("mmap");
	const kmmap::Device dev;
	kmmap::Mapping map;
	faults::sweep([&] { return faults::errno_of([&] { map = dev.map(); }); },
		      [&](const faults::Run &run) {
			      CHECK(static_cast<bool>(map) == (run.err == 0));
			      /* A failed mmap() leaves the device mappable. */
			      if (!map)
				      map = dev.map();
			      kmmap::Ctrl ctrl{};
			      std::memcpy(&ctrl, map.data(), sizeof(ctrl));
			      CHECK(ctrl.magic == KUIPC_MMAP_MAGIC);
			      map.reset();
		      });
}
