// SPDX-License-Identifier: GPL-2.0
// Benchmark of the signal pair; see docs/benchmarks.md.
#include "bench.hpp"

#include "error.hpp"
#include "signal.hpp"

#include <fcntl.h>
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace kuipc::bench {

namespace {

/*
 * A real-time signal to a waiting thread, which answers with a signal back
 * (pthread_sigqueue) that this thread takes with sigwaitinfo; one way is
 * the round trip / 2. The module sends the first signal on TRIGGER; the
 * floor sends it with pthread_sigqueue. Both signals stay blocked in both
 * threads, so each is taken by sigwaitinfo, never by a handler.
 */
void bench_signal(const Baseline &, std::vector<Row> &rows)
{
	namespace sg = kuipc::signal;
	const PinCpu0 pinned;
	const int s_go = SIGRTMIN + 1;
	const int s_ack = SIGRTMIN + 2;
	const sg::BlockedSignals blocked({s_go, s_ack});
	sigset_t go_set, ack_set;
	sigemptyset(&go_set);
	sigaddset(&go_set, s_go);
	sigemptyset(&ack_set);
	sigaddset(&ack_set, s_ack);
	const pthread_t main_thread = pthread_self();

	auto one = [&](bool via_module) {
		std::atomic<int> ready{0}; /* 1 ready, -1 failed */
		std::atomic<bool> stop{false};
		std::string failure;
		pthread_t waiter_thread{};
		std::thread waiter([&] {
			PinCpu0::pin();
			waiter_thread = pthread_self();
			std::unique_ptr<sg::Device> reg;
			try {
				if (via_module) {
					reg = std::make_unique<sg::Device>(
						O_RDONLY);
					reg->register_thread(s_go);
				}
			} catch (const std::exception &e) {
				failure = e.what();
				ready.store(-1);
				return;
			}
			ready.store(1);
			for (;;) {
				if (::sigwaitinfo(&go_set, nullptr) < 0)
					continue;
				if (stop.load())
					return;
				(void)::pthread_sigqueue(main_thread, s_ack,
							 sigval{});
			}
		});
		while (ready.load() == 0)
			std::this_thread::yield();
		if (ready.load() < 0) {
			waiter.join();
			throw kuipc::Error(EIO, failure);
		}
		std::unique_ptr<sg::Device> dev;
		auto send = [&] {
			if (via_module)
				(void)dev->trigger(1);
			else
				(void)::pthread_sigqueue(waiter_thread, s_go,
							 sigval{});
		};
		Stats st;
		try {
			if (via_module)
				dev = std::make_unique<sg::Device>(O_RDWR);
			st = measure([&] {
				send();
				while (::sigwaitinfo(&ack_set, nullptr) < 0)
					;
			});
		} catch (...) {
			stop.store(true);
			(void)::pthread_sigqueue(waiter_thread, s_go, sigval{});
			waiter.join();
			throw;
		}
		stop.store(true);
		send();
		waiter.join();
		st.p50 /= 2;
		st.p99 /= 2;
		return st;
	};
	const Stats floor = one(false);
	Row r{"signal",
	      "ioctl(TRIGGER) -> sigwaitinfo in a 2nd thread, answered by "
	      "pthread_sigqueue (round trip / 2)",
	      "pthread_sigqueue ping-pong one way", {}, 0, {}, {}};
	r.st = one(true);
	r.ratio = r.st.p50 / floor.p50;
	r.floor += " (" + num(floor.p50) + " ns)";
	rows.push_back(r);
}

const Register reg("signal", bench_signal);

} // namespace

} // namespace kuipc::bench
