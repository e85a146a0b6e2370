// SPDX-License-Identifier: GPL-2.0
// Fuzzing the eventfd pair: registrations of eventfds and of fds that are
// not, produce/fetch/status on random channels, closes in any order.
#include "fd.hpp"
#include "fuzz.hpp"

#include <kuipc/eventfd.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace {

namespace fz = kuipc::fuzz;

/* An fd to register: an eventfd mostly, else a pipe, a closed or bad fd. */
int some_fd(fz::Ctx &c, kuipc::Fd &keep, kuipc::Fd &keep2)
{
	switch (c.rng.below(6)) {
	case 0: {
		std::array<int, 2> p{};
		if (::pipe2(p.data(), O_CLOEXEC) != 0)
			return -1;
		keep = kuipc::Fd(p[0]);
		keep2 = kuipc::Fd(p[1]);
		return p[c.rng.below(2)];
	}
	case 1: { /* closed by the time the module looks */
		const int fd = ::eventfd(0, EFD_CLOEXEC);
		::close(fd);
		return fd;
	}
	case 2:
		return static_cast<int>(c.rng.value());
	default:
		keep = kuipc::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK |
						    (c.rng.chance(30) ? EFD_SEMAPHORE : 0)));
		return keep.get();
	}
}

uint32_t channel(fz::Ctx &c)
{
	return c.rng.chance(85) ? static_cast<uint32_t>(c.rng.below(KUIPC_EVENTFD_CHANNELS))
				: static_cast<uint32_t>(c.rng.value());
}

int device_op(fz::Ctx &c)
{
	const kuipc::Fd dev(::open(KUIPC_EVENTFD_PATH, O_RDWR | O_CLOEXEC));
	if (!dev)
		return fz::err();
	int res = 0;
	std::array<kuipc::Fd, 4> keep;
	for (size_t i = 0, n = 1 + c.rng.below(6); i < n; i++) {
		int r = 0;
		switch (c.rng.below(5)) {
		case 0: {
			kuipc_eventfd_register reg{};
			reg.channel = channel(c);
			reg.efd = some_fd(c, keep[i % 2 * 2], keep[i % 2 * 2 + 1]);
			reg.flags = c.rng.chance(90) ? 0 : static_cast<uint32_t>(c.rng.next());
			r = ::ioctl(dev.get(), KUIPC_EVENTFD_REGISTER, &reg);
			break;
		}
		case 1: {
			kuipc_eventfd_unregister un{};
			un.channel = channel(c);
			r = ::ioctl(dev.get(), KUIPC_EVENTFD_UNREGISTER, &un);
			break;
		}
		case 2:
		case 3: {
			kuipc_eventfd_msg msg{};
			msg.channel = channel(c);
			msg.len = static_cast<uint32_t>(c.rng.chance(80) ? c.rng.below(9)
									 : c.rng.value());
			msg.data = c.rng.next();
			r = ::ioctl(dev.get(), c.rng.chance(50) ? KUIPC_EVENTFD_PRODUCE
							       : KUIPC_EVENTFD_FETCH,
				    &msg);
			break;
		}
		default:
			r = fz::ioctl_op(c, dev.get(), KUIPC_EVENTFD_IOC_MAGIC,
					 {KUIPC_EVENTFD_REGISTER, KUIPC_EVENTFD_UNREGISTER,
					  KUIPC_EVENTFD_PRODUCE, KUIPC_EVENTFD_FETCH,
					  KUIPC_EVENTFD_STATUS});
			if (r != 0)
				res = r;
			continue;
		}
		if (r != 0)
			res = fz::err();
		if (c.rng.chance(20))
			keep[c.rng.below(keep.size())].reset(); /* close under it */
	}
	return res;
}

const fz::Register reg({"eventfd", {{"device", device_op}}});

} // namespace
