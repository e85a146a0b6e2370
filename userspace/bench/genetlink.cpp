// SPDX-License-Identifier: GPL-2.0
// Benchmark of the genetlink pair; see docs/benchmarks.md.
#include "bench.hpp"

#include "error.hpp"
#include "genetlink.hpp"

#include <sys/socket.h>

#include <thread>
#include <vector>

namespace kuipc::bench {

namespace {

/*
 * A GET request and its reply through libnl (the pair's client), against a
 * 64-byte datagram bounced by a thread on an AF_UNIX socketpair. The
 * kernel answers GET inside the sendmsg() of the request, with no second
 * thread; the floor pays two thread wakes instead, the pair pays libnl's
 * message building and parsing and the family's policy checks.
 */
void bench_genetlink(const Baseline &, std::vector<Row> &rows)
{
	Stats floor;
	{
		const PinCpu0 pinned;
		int sv[2];
		if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) <
		    0)
			kuipc::throw_errno("socketpair");
		const kuipc::Fd near(sv[0]);
		const kuipc::Fd far(sv[1]);
		std::thread echo([&] {
			PinCpu0::pin();
			char buf[64];
			for (;;) {
				const ssize_t n =
					::recv(far.get(), buf, sizeof(buf), 0);
				if (n <= 1)
					return; /* a 1-byte datagram: stop */
				(void)::send(far.get(), buf,
					     static_cast<size_t>(n), 0);
			}
		});
		char msg[64] = {};
		try {
			floor = measure([&] {
				if (::send(near.get(), msg, sizeof(msg), 0) < 0 ||
				    ::recv(near.get(), msg, sizeof(msg), 0) < 0)
					kuipc::throw_errno("AF_UNIX echo");
			});
		} catch (...) {
			(void)::send(near.get(), msg, 1, 0);
			echo.join();
			throw;
		}
		(void)::send(near.get(), msg, 1, 0);
		echo.join();
	}
	kuipc::genetlink::Client c;
	Row r{"genetlink", "KUIPC_GENETLINK_CMD_GET request + reply (libnl)",
	      "AF_UNIX datagram echo between two threads", {}, 0, {}, {}};
	r.st = measure([&] { (void)c.get(); }, 3, "genetlink");
	rows.push_back(against(r, floor));
}

const Register reg("genetlink", bench_genetlink);

} // namespace

} // namespace kuipc::bench
