// SPDX-License-Identifier: GPL-2.0
// Fuzzing the chardev pair: reads, writes, polls and ioctls on the device.
#include "fd.hpp"
#include "fuzz.hpp"

#include <kuipc/chardev.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace {

namespace fz = kuipc::fuzz;

int device_op(fz::Ctx &c)
{
	/* O_NONBLOCK: an empty or full FIFO answers EAGAIN, never blocks. */
	const kuipc::Fd fd(::open(KUIPC_CHARDEV_PATH,
				  O_RDWR | O_NONBLOCK | O_CLOEXEC));
	if (!fd)
		return fz::err();
	int res = 0;
	for (size_t i = 0, n = 1 + c.rng.below(6); i < n; i++) {
		ssize_t r = 0;
		const size_t len = c.rng.length(fz::Arena::kCapacity);
		switch (c.rng.below(5)) {
		case 0:
			r = ::write(fd.get(), c.arena.hold(c.rng.bytes(len)), len);
			break;
		case 1:
			r = ::read(fd.get(), c.arena.pointer(c.rng, len), len);
			break;
		case 2: {
			pollfd p{fd.get(), POLLIN | POLLOUT, 0};
			r = ::poll(&p, 1, 0);
			break;
		}
		default:
			r = fz::ioctl_op(c, fd.get(), KUIPC_CHARDEV_IOC_MAGIC,
					 {KUIPC_CHARDEV_GET_CONFIG,
					  KUIPC_CHARDEV_SET_CONFIG,
					  KUIPC_CHARDEV_RESET,
					  KUIPC_CHARDEV_GET_STATS});
			if (r != 0)
				return static_cast<int>(r);
			continue;
		}
		if (r < 0)
			res = fz::err();
	}
	return res;
}

const fz::Register reg({"chardev", {{"device", device_op}}});

} // namespace
