// SPDX-License-Identifier: GPL-2.0
// Fuzzing the udp pair: datagrams to the module's port on 127.0.0.1, from
// valid requests with random fields to random bytes, replies read back.
#include "fd.hpp"
#include "fuzz.hpp"

#include <kuipc/udp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstring>

namespace {

namespace fz = kuipc::fuzz;

/* A request header with each field right most of the time. */
std::string datagram(fz::Ctx &c)
{
	if (c.rng.chance(15))
		return c.rng.bytes(c.rng.length(KUIPC_UDP_PAYLOAD_MAX + 64));
	const size_t payload = c.rng.length(KUIPC_UDP_PAYLOAD_MAX);
	kuipc_udp_hdr h{};
	h.magic = htonl(c.rng.chance(90) ? KUIPC_UDP_MAGIC : static_cast<uint32_t>(c.rng.next()));
	h.version = static_cast<uint8_t>(c.rng.chance(90) ? KUIPC_UDP_VERSION : c.rng.next());
	const unsigned int op = c.rng.chance(50) ? KUIPC_UDP_OP_ECHO : KUIPC_UDP_OP_STATS;
	h.op = static_cast<uint8_t>(c.rng.chance(80) ? op : c.rng.next());
	h.status = static_cast<uint16_t>(c.rng.chance(90) ? 0 : c.rng.next());
	h.seq = static_cast<uint32_t>(c.rng.next());
	h.len = htonl(static_cast<uint32_t>(c.rng.chance(85) ? payload : c.rng.value()));
	std::string d(reinterpret_cast<const char *>(&h), sizeof(h));
	if (h.op == KUIPC_UDP_OP_STATS && c.rng.chance(50)) {
		/* A STATS request as the protocol wants it: zero padding. */
		const uint32_t len = htonl(KUIPC_UDP_STATS_PAD);
		std::memcpy(d.data() + offsetof(kuipc_udp_hdr, len), &len, sizeof(len));
		d += std::string(KUIPC_UDP_STATS_PAD, '\0');
	} else {
		d += c.rng.bytes(payload);
	}
	if (c.rng.chance(10)) /* truncated anywhere, header included */
		d.resize(c.rng.below(d.size() + 1));
	return d;
}

int send_op(fz::Ctx &c)
{
	const kuipc::Fd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!s)
		return fz::err();
	sockaddr_in to{};
	to.sin_family = AF_INET;
	to.sin_port = htons(KUIPC_UDP_DEFAULT_PORT);
	to.sin_addr.s_addr = htonl(KUIPC_UDP_ADDR);
	int res = 0;
	const size_t n = 1 + c.rng.below(8);
	for (size_t i = 0; i < n; i++) {
		const std::string d = datagram(c);
		if (::sendto(s.get(), d.data(), d.size(), 0,
			     reinterpret_cast<const sockaddr *>(&to), sizeof(to)) < 0)
			res = fz::err();
	}
	/* Replies, if any, within a short wait. */
	static thread_local std::array<char, 65536> buf;
	pollfd p{s.get(), POLLIN, 0};
	while (::poll(&p, 1, 20) > 0)
		if (::recv(s.get(), buf.data(), buf.size(), MSG_DONTWAIT) < 0)
			break;
	return res;
}

const fz::Register reg({"udp", {{"datagrams", send_op}}});

} // namespace
