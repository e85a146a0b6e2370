// SPDX-License-Identifier: GPL-2.0
// Fuzzing the sysctl pair: its three entries under /proc/sys.
#include "fuzz.hpp"

#include <kuipc/sysctl.h>

namespace {

namespace fz = kuipc::fuzz;

const fz::Register reg({"sysctl",
			{{"value", [](fz::Ctx &c) {
				  return fz::file_op(c, KUIPC_SYSCTL_VALUE_PATH);
			  }},
			 {"name", [](fz::Ctx &c) {
				  return fz::file_op(c, KUIPC_SYSCTL_NAME_PATH);
			  }},
			 {"enabled", [](fz::Ctx &c) {
				  return fz::file_op(c, KUIPC_SYSCTL_ENABLED_PATH);
			  }}}});

} // namespace
