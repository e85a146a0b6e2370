// SPDX-License-Identifier: GPL-2.0
// Fuzzing the signal pair: registrations with any signal number and flags,
// of this process only (never another: a real-time signal would kill it),
// triggers, and the signals they queue taken back with sigtimedwait().
#include "fd.hpp"
#include "fuzz.hpp"

#include <kuipc/signal.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <ctime>

namespace {

namespace fz = kuipc::fuzz;

/* Take back every pending signal the module may have queued to us. */
void drain()
{
	sigset_t set;
	sigemptyset(&set);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(&set, s);
	const timespec zero{};
	while (::sigtimedwait(&set, nullptr, &zero) > 0)
		;
}

int device_op(fz::Ctx &c)
{
	const kuipc::Fd dev(::open(KUIPC_SIGNAL_PATH, O_RDWR | O_CLOEXEC));
	if (!dev)
		return fz::err();
	int res = 0;
	for (size_t i = 0, n = 1 + c.rng.below(6); i < n; i++) {
		int r = 0;
		switch (c.rng.below(5)) {
		case 0: {
			kuipc_signal_reg reg{};
			reg.size = c.rng.chance(90) ? sizeof(reg)
						    : static_cast<uint32_t>(c.rng.value());
			reg.flags = c.rng.chance(70) ? 0
				    : c.rng.chance(70) ? KUIPC_SIGNAL_REG_THREAD
						       : static_cast<uint32_t>(c.rng.next());
			reg.signo = c.rng.chance(80)
					    ? SIGRTMIN + static_cast<int>(c.rng.below(
							       SIGRTMAX - SIGRTMIN + 1))
					    : static_cast<int>(c.rng.value());
			/* Ourselves, or a pid that cannot be anyone's. */
			reg.pid = c.rng.chance(80) ? 0
				  : c.rng.chance(50) ? ::getpid()
						     : -static_cast<int>(c.rng.below(1000)) - 1;
			r = ::ioctl(dev.get(), KUIPC_SIGNAL_REGISTER, &reg);
			break;
		}
		case 1:
			r = ::ioctl(dev.get(), KUIPC_SIGNAL_UNREGISTER);
			break;
		case 2: {
			kuipc_signal_trigger trig{};
			trig.size = sizeof(trig);
			trig.value = static_cast<int32_t>(c.rng.next());
			r = ::ioctl(dev.get(), KUIPC_SIGNAL_TRIGGER, &trig);
			break;
		}
		case 3: {
			kuipc_signal_reg reg{};
			reg.size = sizeof(reg);
			r = ::ioctl(dev.get(), KUIPC_SIGNAL_GET_REG, &reg);
			break;
		}
		default: {
			/* No random REGISTER here: its pid field could be anyone. */
			const int e = fz::ioctl_op(c, dev.get(), KUIPC_SIGNAL_IOC_MAGIC,
						   {KUIPC_SIGNAL_UNREGISTER,
						    KUIPC_SIGNAL_GET_REG,
						    KUIPC_SIGNAL_TRIGGER,
						    KUIPC_SIGNAL_GET_STATS,
						    KUIPC_SIGNAL_GET_STATS_V0});
			if (e != 0)
				res = e;
			continue;
		}
		}
		if (r != 0)
			res = fz::err();
	}
	drain();
	return res;
}

const fz::Register reg({"signal", {{"device", device_op}}});

} // namespace
