// SPDX-License-Identifier: GPL-2.0
#include "udp.hpp"

#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

namespace kuipc::udp {

static_assert(sizeof(kuipc_udp_hdr) == KUIPC_UDP_HDR_SIZE);
static_assert(sizeof(kuipc_udp_stats) == 8 * sizeof(std::uint64_t));
static_assert(sizeof(kuipc_udp_stats) == KUIPC_UDP_STATS_PAD);

namespace {

using Clock = std::chrono::steady_clock;

std::string endpoint(std::uint16_t port)
{
	return "127.0.0.1:" + std::to_string(port);
}

/*
 * Throw for a failed send() or recv(). ECONNREFUSED comes from an ICMP
 * "port unreachable": nothing is bound to the port.
 */
[[noreturn]] void throw_io(const std::string &what)
{
	const int err = errno;
	if (err == ECONNREFUSED)
		throw_err(err, what + " (is " KUIPC_UDP_MODULE_NAME " loaded?)");
	throw_err(err, what);
}

kuipc_udp_hdr read_header(std::string_view datagram)
{
	kuipc_udp_hdr hdr{};
	std::memcpy(&hdr, datagram.data(), sizeof(hdr));
	return hdr;
}

} // namespace

std::string encode_request(std::uint8_t op, std::uint32_t seq, std::string_view payload)
{
	kuipc_udp_hdr hdr{};
	hdr.magic = htonl(KUIPC_UDP_MAGIC);
	hdr.version = KUIPC_UDP_VERSION;
	hdr.op = op;
	hdr.status = 0;
	hdr.seq = htonl(seq);
	hdr.len = htonl(static_cast<std::uint32_t>(payload.size()));
	std::string out(sizeof(hdr) + payload.size(), '\0');
	std::memcpy(out.data(), &hdr, sizeof(hdr));
	/* std::copy: an empty payload's data() may be null, memcpy()'s may not. */
	std::copy(payload.begin(), payload.end(), out.begin() + sizeof(hdr));
	return out;
}

std::string encode_stats_request(std::uint32_t seq)
{
	return encode_request(KUIPC_UDP_OP_STATS, seq,
			      std::string(KUIPC_UDP_STATS_PAD, '\0'));
}

Reply decode_reply(std::string_view datagram)
{
	if (datagram.size() < sizeof(kuipc_udp_hdr))
		throw_err(EBADMSG, "reply of " + std::to_string(datagram.size()) +
					   " bytes is shorter than the header");
	const kuipc_udp_hdr hdr = read_header(datagram);
	if (ntohl(hdr.magic) != KUIPC_UDP_MAGIC || hdr.version != KUIPC_UDP_VERSION)
		throw_err(EBADMSG, "reply with a wrong magic or version");
	if ((hdr.op & KUIPC_UDP_OP_REPLY) == 0)
		throw_err(EBADMSG, "datagram without the reply bit");
	const auto payload = datagram.substr(sizeof(hdr));
	if (ntohl(hdr.len) != payload.size())
		throw_err(EBADMSG, "reply length " + std::to_string(ntohl(hdr.len)) +
					   " but " + std::to_string(payload.size()) +
					   " payload bytes");
	Reply r;
	r.op = static_cast<std::uint8_t>(hdr.op & ~KUIPC_UDP_OP_REPLY);
	r.status = ntohs(hdr.status);
	r.seq = ntohl(hdr.seq);
	r.payload = payload;
	return r;
}

Stats decode_stats(std::string_view payload)
{
	if (payload.size() != sizeof(kuipc_udp_stats))
		throw_err(EBADMSG, "STATS payload of " + std::to_string(payload.size()) +
					   " bytes");
	kuipc_udp_stats st{};
	std::memcpy(&st, payload.data(), sizeof(st));
	Stats s;
	s.requests = be64toh(st.requests);
	s.replies = be64toh(st.replies);
	s.dropped = be64toh(st.dropped);
	s.rejected = be64toh(st.rejected);
	s.send_errors = be64toh(st.send_errors);
	s.rx_bytes = be64toh(st.rx_bytes);
	s.tx_bytes = be64toh(st.tx_bytes);
	s.foreign = be64toh(st.foreign);
	return s;
}

std::string to_string(const Stats &s)
{
	return "requests=" + std::to_string(s.requests) +
	       " replies=" + std::to_string(s.replies) +
	       " dropped=" + std::to_string(s.dropped) +
	       " rejected=" + std::to_string(s.rejected) +
	       " send_errors=" + std::to_string(s.send_errors) +
	       " rx_bytes=" + std::to_string(s.rx_bytes) +
	       " tx_bytes=" + std::to_string(s.tx_bytes) +
	       " foreign=" + std::to_string(s.foreign);
}

std::string op_name(std::uint8_t op)
{
	switch (op) {
	case KUIPC_UDP_OP_ECHO:
		return "ECHO";
	case KUIPC_UDP_OP_STATS:
		return "STATS";
	default:
		return "op " + std::to_string(op);
	}
}

std::string describe(std::string_view datagram)
{
	if (datagram.size() < sizeof(kuipc_udp_hdr))
		return "<" + std::to_string(datagram.size()) + " bytes> " +
		       sys::quote(datagram, 40);
	const kuipc_udp_hdr hdr = read_header(datagram);
	const bool reply = (hdr.op & KUIPC_UDP_OP_REPLY) != 0;
	std::string s = "{";
	if (ntohl(hdr.magic) != KUIPC_UDP_MAGIC)
		s += "magic=BAD ";
	if (hdr.version != KUIPC_UDP_VERSION)
		s += "version=" + std::to_string(hdr.version) + " ";
	s += op_name(static_cast<std::uint8_t>(hdr.op & ~KUIPC_UDP_OP_REPLY));
	if (reply)
		s += "|REPLY";
	s += " seq=" + std::to_string(ntohl(hdr.seq));
	if (reply || hdr.status != 0)
		s += " status=" + std::to_string(ntohs(hdr.status));
	s += " len=" + std::to_string(ntohl(hdr.len)) + "}";
	const auto payload = datagram.substr(sizeof(hdr));
	if (payload.empty())
		return s;
	if (reply && (hdr.op & ~KUIPC_UDP_OP_REPLY) == KUIPC_UDP_OP_STATS &&
	    payload.size() == sizeof(kuipc_udp_stats))
		return s + " " + to_string(decode_stats(payload));
	return s + " " + sys::quote(payload, 40);
}

Client::Client(std::uint16_t port, int timeout_ms)
    : port_(port), timeout_ms_(timeout_ms)
{
	/* Start at a random seq so that a reply meant for another client
	 * (which would be a kernel bug) cannot match by chance. */
	std::random_device rd;
	first_seq_ = next_seq_ = static_cast<std::uint32_t>(rd());

	fd_.reset(sys::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
	if (!fd_)
		throw_errno("socket(AF_INET, SOCK_DGRAM)");

	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(KUIPC_UDP_ADDR);
	// NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
	const auto *addr = reinterpret_cast<const sockaddr *>(&sa);
	if (sys::connect(fd_.get(), addr, sizeof(sa)) != 0)
		throw_errno("connect to " + endpoint(port));
}

void Client::send_datagram(std::string_view datagram)
{
	ssize_t n = 0;
	do {
		n = sys::send(fd_.get(), datagram.data(), datagram.size(), 0,
			      [&] { return describe(datagram); });
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		throw_io("send " + std::to_string(datagram.size()) + " bytes to " +
			 endpoint(port_));
	if (static_cast<size_t>(n) != datagram.size())
		throw_err(EMSGSIZE, "send to " + endpoint(port_) + " was cut");
}

bool Client::receive(std::string &buf, int timeout_ms)
{
	pollfd pfd{fd_.get(), POLLIN, 0};
	int pr = 0;
	do {
		pr = sys::poll(&pfd, 1, timeout_ms);
	} while (pr < 0 && errno == EINTR);
	if (pr < 0)
		throw_errno("poll");
	if (pr == 0)
		return false;

	buf.resize(KUIPC_UDP_DGRAM_MAX);
	ssize_t n = 0;
	do {
		/* MSG_TRUNC: return the real size even if it did not fit. */
		n = sys::recv(fd_.get(), buf.data(), buf.size(), MSG_TRUNC, [&](size_t got) {
			return describe(std::string_view(buf.data(), std::min(got, buf.size())));
		});
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		throw_io("recv from " + endpoint(port_));
	if (static_cast<size_t>(n) > buf.size())
		throw_err(EMSGSIZE, "datagram of " + std::to_string(n) + " bytes from " +
					    endpoint(port_));
	buf.resize(static_cast<size_t>(n));
	return true;
}

Reply Client::wait_reply(std::uint32_t seq)
{
	const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
	std::string buf;
	for (;;) {
		const auto left = std::chrono::ceil<std::chrono::milliseconds>(
					  deadline - Clock::now())
					  .count();
		if (left < 0 || !receive(buf, static_cast<int>(left)))
			throw_err(ETIMEDOUT, "no reply to seq " + std::to_string(seq) +
						     " from " + endpoint(port_) +
						     " within " +
						     std::to_string(timeout_ms_) + " ms");
		Reply r = decode_reply(buf);
		if (r.seq == seq)
			return r;
		/* Unsigned distances from the first seq survive wrap-around. */
		if (r.seq - first_seq_ < seq - first_seq_) {
			++stale_;
			continue;
		}
		throw_err(EPROTO, "reply with seq " + std::to_string(r.seq) +
					  ", which this client never sent (waiting for " +
					  std::to_string(seq) + ")");
	}
}

bool Client::any_datagram(int timeout_ms)
{
	std::string buf;
	return receive(buf, timeout_ms);
}

Reply Client::call(std::uint8_t op, std::string_view payload)
{
	const std::uint32_t seq = next_seq();
	send_datagram(encode_request(op, seq, payload));
	return wait_reply(seq);
}

std::string Client::echo(std::string_view payload)
{
	Reply r = call(KUIPC_UDP_OP_ECHO, payload);
	if (r.status != 0)
		throw_err(r.status, "ECHO seq " + std::to_string(r.seq) + " refused by " +
					    endpoint(port_));
	if (r.op != KUIPC_UDP_OP_ECHO)
		throw_err(EPROTO, "ECHO answered as " + op_name(r.op));
	return std::move(r.payload);
}

Stats Client::stats()
{
	const std::uint32_t seq = next_seq();
	send_datagram(encode_stats_request(seq));
	const Reply r = wait_reply(seq);
	if (r.status != 0)
		throw_err(r.status, "STATS seq " + std::to_string(r.seq) +
					    " refused by " + endpoint(port_));
	if (r.op != KUIPC_UDP_OP_STATS)
		throw_err(EPROTO, "STATS answered as " + op_name(r.op));
	return decode_stats(r.payload);
}

} // namespace kuipc::udp
