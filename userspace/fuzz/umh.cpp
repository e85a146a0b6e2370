// SPDX-License-Identifier: GPL-2.0
// Fuzzing the usermodehelper pair: requests with random fields (a hanging
// helper always gets a short timeout, so a run stays bounded), random
// reports written to the device, random ioctls.
#include "fd.hpp"
#include "fuzz.hpp"

#include <kuipc/umh.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

namespace {

namespace fz = kuipc::fuzz;

constexpr uint32_t kHangTimeoutMaxMs = 200;

int trigger(fz::Ctx &c, int fd)
{
	kuipc_umh_request req{};
	req.size = c.rng.chance(90) ? sizeof(req) : static_cast<uint32_t>(c.rng.value());
	req.mode = c.rng.chance(85) ? 1 + static_cast<uint32_t>(c.rng.below(3))
				    : static_cast<uint32_t>(c.rng.value());
	req.exit_code = c.rng.chance(50) ? 0 : static_cast<uint32_t>(c.rng.value());
	req.timeout_ms = static_cast<uint32_t>(c.rng.below(kHangTimeoutMaxMs) + 1);
	if (req.mode != KUIPC_UMH_MODE_HANG && c.rng.chance(10))
		req.timeout_ms = static_cast<uint32_t>(c.rng.value());
	const std::string arg = c.rng.chance(50) ? c.rng.text()
						 : c.rng.bytes(c.rng.length(size_t{2} * KUIPC_UMH_ARG_MAX));
	req.arg_len = static_cast<uint32_t>(c.rng.chance(90) ? arg.size() : c.rng.value());
	req.arg_ptr = reinterpret_cast<uintptr_t>(c.rng.chance(90) ? c.arena.hold(arg)
								   : c.arena.pointer(c.rng, arg.size()));
	req.flags = c.rng.chance(90) ? 0 : static_cast<uint32_t>(c.rng.next());
	return ::ioctl(fd, KUIPC_UMH_TRIGGER, &req) == 0 ? 0 : fz::err();
}

int device_op(fz::Ctx &c)
{
	const kuipc::Fd dev(::open(KUIPC_UMH_PATH, O_RDWR | O_CLOEXEC));
	if (!dev)
		return fz::err();
	switch (c.rng.below(4)) {
	case 0: {
		const std::string report = std::to_string(c.rng.value()) + " " +
					   c.rng.bytes(c.rng.length(KUIPC_UMH_REPORT_MAX));
		const std::string text = c.rng.chance(50) ? report : c.rng.text();
		return ::write(dev.get(), c.arena.hold(text), text.size()) < 0 ? fz::err() : 0;
	}
	case 1: {
		/* No random TRIGGER here: its timeout could be a minute. */
		kuipc_umh_stats st{};
		st.size = sizeof(st);
		if (c.rng.chance(50))
			return ::ioctl(dev.get(), KUIPC_UMH_GET_STATS, &st) == 0 ? 0 : fz::err();
		return fz::ioctl_op(c, dev.get(), KUIPC_UMH_IOC_MAGIC, {KUIPC_UMH_GET_STATS});
	}
	default:
		return trigger(c, dev.get());
	}
}

const fz::Register reg({"umh", {{"device", device_op}}});

} // namespace
