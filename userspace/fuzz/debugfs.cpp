// SPDX-License-Identifier: GPL-2.0
// Fuzzing the debugfs pair: every file of its directory.
#include "fuzz.hpp"

#include <kuipc/debugfs.h>

#include <string>
#include <vector>

namespace {

namespace fz = kuipc::fuzz;

/* Parenthesised: each path is a concatenation of literals. */
const std::vector<std::string> files = {
	(KUIPC_DEBUGFS_VALUE_PATH),    (KUIPC_DEBUGFS_MASK_PATH),
	(KUIPC_DEBUGFS_OVERWRITE_PATH), (KUIPC_DEBUGFS_INFO_PATH),
	(KUIPC_DEBUGFS_CAPACITY_PATH), (KUIPC_DEBUGFS_EVENTS_PATH),
};

const fz::Register reg({"debugfs",
			{{"file", [](fz::Ctx &c) {
				  return fz::file_op(c, c.rng.pick(files));
			  }}}});

} // namespace
