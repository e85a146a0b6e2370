// SPDX-License-Identifier: GPL-2.0
// Fuzzing the sysfs pair: its attributes and module parameters.
#include "fd.hpp"
#include "fuzz.hpp"

#include <kuipc/sysfs.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <string>
#include <vector>

namespace {

namespace fz = kuipc::fuzz;

/* Parenthesised: each path is a concatenation of literals. */
const std::vector<std::string> files = {
	(KUIPC_SYSFS_VALUE_PATH),   (KUIPC_SYSFS_LABEL_PATH),
	(KUIPC_SYSFS_WRITES_PATH),  (KUIPC_SYSFS_EVENT_PATH),
	(KUIPC_SYSFS_TRIGGER_PATH), (KUIPC_SYSFS_STEP_PATH),
	(KUIPC_SYSFS_TICK_MS_PATH),
};

/* A short poll for POLLPRI on the self-changing attribute. */
int poll_event(fz::Ctx &c)
{
	const kuipc::Fd fd(::open(KUIPC_SYSFS_EVENT_PATH, O_RDONLY | O_CLOEXEC));
	if (!fd)
		return fz::err();
	std::array<char, 32> buf{};
	int res = ::read(fd.get(), buf.data(), buf.size()) < 0 ? fz::err() : 0;
	pollfd p{fd.get(), POLLPRI, 0};
	if (::poll(&p, 1, static_cast<int>(c.rng.below(20))) < 0)
		res = fz::err();
	return res;
}

const fz::Register reg({"sysfs",
			{{"attribute", [](fz::Ctx &c) {
				  return fz::file_op(c, c.rng.pick(files));
			  }},
			 {"poll", poll_event}}});

} // namespace
