// SPDX-License-Identifier: GPL-2.0
// Benchmark of the eventfd pair; see docs/benchmarks.md.
#include "bench.hpp"

#include "eventfd.hpp"

#include <poll.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace kuipc::bench {

namespace {

/*
 * PRODUCE in this thread; a second thread waiting in poll() on the channel's
 * eventfd wakes, reads it, FETCHes the item and answers on a plain eventfd.
 * A round trip, compared with the eventfd ping-pong round trip.
 */
void bench_eventfd(const Baseline &b, std::vector<Row> &rows)
{
	namespace ev = kuipc::eventfd;
	ev::Device dev;
	ev::Listener lis(dev, 0);
	const kuipc::Fd ack = make_eventfd();
	const PinCpu0 pinned;
	std::atomic<bool> stop{false};
	std::thread waiter([&] {
		PinCpu0::pin();
		const int efd = lis.eventfd().fd();
		for (;;) {
			pollfd p{efd, POLLIN, 0};
			if (::poll(&p, 1, -1) < 0 && errno != EINTR)
				return;
			uint64_t v;
			if (::read(efd, &v, sizeof(v)) != sizeof(v))
				continue;
			/* One item per count: no FETCH that fails. */
			for (uint64_t i = 0; i < v; i++)
				(void)dev.fetch(0);
			if (stop.load())
				return;
			efd_write(ack.get());
		}
	});
	Row r{"eventfd",
	      "ioctl(PRODUCE) -> poll wake + FETCH in a 2nd thread, acked "
	      "over a user eventfd (round trip / 2)",
	      "eventfd ping-pong one way", {}, 0, {}, {}};
	try {
		r.st = measure([&] {
			dev.produce(0, "x");
			efd_read(ack.get());
		}, 3, "eventfd");
	} catch (...) {
		stop.store(true);
		dev.produce(0, "x");
		waiter.join();
		throw;
	}
	stop.store(true);
	dev.produce(0, "x");
	waiter.join();
	r.st.p50 /= 2;
	r.st.p99 /= 2;
	r.ratio = r.st.p50 / (b.pingpong_rt.p50 / 2);
	rows.push_back(r);
}

const Register reg("eventfd", bench_eventfd);

} // namespace

} // namespace kuipc::bench
