// SPDX-License-Identifier: GPL-2.0
// Benchmark of the udp pair; see docs/benchmarks.md.
#include "bench.hpp"

#include "error.hpp"
#include "udp.hpp"

#include <kuipc/udp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace kuipc::bench {

namespace {

/*
 * ECHO of 64 bytes to the module's kernel socket, against the same client
 * talking to a user-space echo server (a thread on a loopback UDP socket
 * that returns each request with KUIPC_UDP_OP_REPLY set).
 */
void bench_udp(const Baseline &, std::vector<Row> &rows)
{
	const PinCpu0 pinned;
	const std::string payload(64, 'u');
	kuipc::Fd srv(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!srv)
		kuipc::throw_errno("socket");
	sockaddr_in addr{};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(addr);
	if (::bind(srv.get(), reinterpret_cast<sockaddr *>(&addr),
		   sizeof(addr)) < 0 ||
	    ::getsockname(srv.get(), reinterpret_cast<sockaddr *>(&addr),
			  &alen) < 0)
		kuipc::throw_errno("bind/getsockname");
	std::atomic<bool> stop{false};
	std::thread server([&] {
		PinCpu0::pin();
		char buf[2048];
		for (;;) {
			sockaddr_in from{};
			socklen_t flen = sizeof(from);
			const ssize_t n = ::recvfrom(
				srv.get(), buf, sizeof(buf), 0,
				reinterpret_cast<sockaddr *>(&from), &flen);
			if (stop.load())
				return;
			if (n < static_cast<ssize_t>(KUIPC_UDP_HDR_SIZE))
				continue;
			buf[offsetof(kuipc_udp_hdr, op)] |=
				static_cast<char>(KUIPC_UDP_OP_REPLY);
			(void)::sendto(srv.get(), buf, static_cast<size_t>(n),
				       0, reinterpret_cast<sockaddr *>(&from),
				       flen);
		}
	});
	Stats floor;
	Row r{"udp", "ECHO of 64 B to the kernel socket, round trip",
	      "user UDP echo server on loopback", {}, 0, {}, {}};
	try {
		kuipc::udp::Client user(ntohs(addr.sin_port));
		floor = measure([&] { (void)user.echo(payload); }, 3,
				"udp_floor");
		kuipc::udp::Client mod;
		r.st = measure([&] { (void)mod.echo(payload); }, 3, "udp");
	} catch (...) {
		stop.store(true);
		(void)::shutdown(srv.get(), SHUT_RDWR);
		server.join();
		throw;
	}
	stop.store(true);
	(void)::shutdown(srv.get(), SHUT_RDWR);
	server.join();
	rows.push_back(against(r, floor));
}

const Register reg("udp", bench_udp);

} // namespace

} // namespace kuipc::bench
