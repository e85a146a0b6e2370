// SPDX-License-Identifier: GPL-2.0
// Fuzzing the procfs pair: its two files.
#include "fuzz.hpp"

#include <kuipc/procfs.h>

namespace {

namespace fz = kuipc::fuzz;

const fz::Register reg({"procfs",
			{{"records", [](fz::Ctx &c) {
				  return fz::file_op(c, KUIPC_PROCFS_RECORDS_PATH);
			  }},
			 {"messages", [](fz::Ctx &c) {
				  return fz::file_op(c, KUIPC_PROCFS_MESSAGES_PATH);
			  }}}});

} // namespace
