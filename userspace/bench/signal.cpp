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

namespace sg = kuipc::signal;

/* The two real-time signals of the exchange: there and back. */
const int s_go = SIGRTMIN + 1;
const int s_ack = SIGRTMIN + 2;

sigset_t set_of(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	return set;
}

/*
 * One way of the exchange (round trip / 2): s_go to a waiting thread,
 * sent by the module on TRIGGER (via_module) or with pthread_sigqueue,
 * and s_ack back with pthread_sigqueue. The caller blocks both signals.
 */
Stats one_way(bool via_module)
{
	const sigset_t go_set = set_of(s_go);
	const sigset_t ack_set = set_of(s_ack);
	const pthread_t main_thread = pthread_self();
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
				reg = std::make_unique<sg::Device>(O_RDONLY);
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
			(void)::pthread_sigqueue(main_thread, s_ack, sigval{});
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
			(void)::pthread_sigqueue(waiter_thread, s_go, sigval{});
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
}

/*
 * A real-time signal to a waiting thread, which answers with a signal back
 * (pthread_sigqueue) that this thread takes with sigwaitinfo; one way is
 * the round trip / 2. The module sends the first signal on TRIGGER; the
 * floor sends it with pthread_sigqueue. Both signals stay blocked in both
 * threads, so each is taken by sigwaitinfo, never by a handler.
 */
void bench_signal(const Baseline &, std::vector<Row> &rows)
{
	const PinCpu0 pinned;
	const sg::BlockedSignals blocked({s_go, s_ack});
	const Stats floor = one_way(false);
	Row r{"signal",
	      "ioctl(TRIGGER) -> sigwaitinfo in a 2nd thread, answered by "
	      "pthread_sigqueue (round trip / 2)",
	      "pthread_sigqueue ping-pong one way", {}, 0, {}, {}};
	r.st = one_way(true);
	rows.push_back(against(r, floor));
}

const Register reg("signal", bench_signal);

} // namespace

} // namespace kuipc::bench
