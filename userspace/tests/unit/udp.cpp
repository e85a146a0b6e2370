// SPDX-License-Identifier: GPL-2.0
// Host-side unit tests of the udp client: encoding, decoding, reply matching
// (against a stand-in server on a user socket; no kernel module involved).
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "udp.hpp"

#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>
#include <string>

using kuipc::udp::Client;
using kuipc::udp::Reply;

namespace {

std::string reply_bytes(std::uint8_t op, std::uint16_t status, std::uint32_t seq,
			const std::string &payload)
{
	kuipc_udp_hdr h{};
	h.magic = htonl(KUIPC_UDP_MAGIC);
	h.version = KUIPC_UDP_VERSION;
	h.op = static_cast<std::uint8_t>(op | KUIPC_UDP_OP_REPLY);
	h.status = htons(status);
	h.seq = htonl(seq);
	h.len = htonl(static_cast<std::uint32_t>(payload.size()));
	std::string d(sizeof(h), '\0');
	std::memcpy(d.data(), &h, sizeof(h));
	return d + payload;
}

int decode_error(const std::string &d)
{
	try {
		(void)kuipc::udp::decode_reply(d);
		return 0;
	} catch (const kuipc::Error &e) {
		return e.err();
	}
}

/* A user UDP socket on 127.0.0.1 standing in for the module. */
class FakeServer {
public:
	FakeServer() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0))
	{
		REQUIRE(fd_.valid());
		sockaddr_in sa{};
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(KUIPC_UDP_ADDR);
		// NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
		auto *addr = reinterpret_cast<sockaddr *>(&sa);
		socklen_t len = sizeof(sa);
		REQUIRE(::bind(fd_.get(), addr, len) == 0);
		REQUIRE(::getsockname(fd_.get(), addr, &len) == 0);
		port_ = ntohs(sa.sin_port);
	}

	[[nodiscard]] std::uint16_t port() const { return port_; }

	/* Receive one request; remember who sent it; return its header. */
	kuipc_udp_hdr receive()
	{
		std::string buf(KUIPC_UDP_DGRAM_MAX, '\0');
		peer_len_ = sizeof(peer_);
		const ssize_t n = ::recvfrom(
			fd_.get(), buf.data(), buf.size(), 0,
			reinterpret_cast<sockaddr *>(&peer_), // NOLINT
			&peer_len_);
		REQUIRE(n >= static_cast<ssize_t>(sizeof(kuipc_udp_hdr)));
		kuipc_udp_hdr h{};
		std::memcpy(&h, buf.data(), sizeof(h));
		return h;
	}

	/* Send to the sender of the last request. */
	void send(const std::string &d) { send_to(peer_, d); }

	void send_to(const sockaddr_in &to, const std::string &d)
	{
		// NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
		REQUIRE(::sendto(fd_.get(), d.data(), d.size(), 0,
				 reinterpret_cast<const sockaddr *>(&to),
				 sizeof(to)) == static_cast<ssize_t>(d.size()));
	}

private:
	kuipc::Fd fd_;
	std::uint16_t port_ = 0;
	sockaddr_in peer_{};
	socklen_t peer_len_ = 0;
};

/* The address a client's requests come from. */
sockaddr_in local_address(const Client &c)
{
	sockaddr_in sa{};
	socklen_t len = sizeof(sa);
	// NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
	REQUIRE(::getsockname(c.fd(), reinterpret_cast<sockaddr *>(&sa), &len) == 0);
	return sa;
}

} // namespace

TEST_CASE("udp: encode_request lays out the header in network byte order", "[udp][host]")
{
	const std::string d =
		kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 0x01020304, "hey");
	REQUIRE(d.size() == KUIPC_UDP_HDR_SIZE + 3);
	const auto byte = [&](size_t i) { return static_cast<unsigned char>(d[i]); };
	/* magic "kUDP" */
	CHECK(d.substr(0, 4) == "kUDP");
	CHECK(byte(offsetof(kuipc_udp_hdr, version)) == KUIPC_UDP_VERSION);
	CHECK(byte(offsetof(kuipc_udp_hdr, op)) == KUIPC_UDP_OP_ECHO);
	CHECK(byte(offsetof(kuipc_udp_hdr, status)) == 0);
	CHECK(byte(offsetof(kuipc_udp_hdr, status) + 1) == 0);
	CHECK(byte(offsetof(kuipc_udp_hdr, seq)) == 1);
	CHECK(byte(offsetof(kuipc_udp_hdr, seq) + 3) == 4);
	CHECK(byte(offsetof(kuipc_udp_hdr, len) + 3) == 3);
	CHECK(d.substr(KUIPC_UDP_HDR_SIZE) == "hey");
}

TEST_CASE("udp: decode_reply accepts replies and rejects anything else", "[udp][host]")
{
	const Reply r = kuipc::udp::decode_reply(
		reply_bytes(KUIPC_UDP_OP_ECHO, 0, 77, std::string("a\0b", 3)));
	CHECK(r.op == KUIPC_UDP_OP_ECHO);
	CHECK(r.status == 0);
	CHECK(r.seq == 77);
	CHECK(r.payload == std::string("a\0b", 3));

	const std::string good = reply_bytes(KUIPC_UDP_OP_ECHO, 0, 1, "xy");
	CHECK(decode_error(good) == 0);
	CHECK(decode_error("") == EBADMSG);
	CHECK(decode_error(good.substr(0, KUIPC_UDP_HDR_SIZE - 1)) == EBADMSG);
	CHECK(decode_error(good + "z") == EBADMSG);
	CHECK(decode_error(good.substr(0, good.size() - 1)) == EBADMSG);
	std::string d = good;
	d[0] = 'K';
	CHECK(decode_error(d) == EBADMSG);
	d = good;
	d[offsetof(kuipc_udp_hdr, version)] = 9;
	CHECK(decode_error(d) == EBADMSG);
	/* A request is not a reply. */
	CHECK(decode_error(kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 1, "xy")) ==
	      EBADMSG);
}

TEST_CASE("udp: decode_stats reads big-endian counters of the exact size", "[udp][host]")
{
	kuipc_udp_stats st{};
	st.requests = htobe64(1);
	st.replies = htobe64(2);
	st.dropped = htobe64(3);
	st.rejected = htobe64(4);
	st.send_errors = htobe64(5);
	st.rx_bytes = htobe64(0x0102030405060708ULL);
	st.tx_bytes = htobe64(7);
	st.foreign = htobe64(8);
	std::string p(sizeof(st), '\0');
	std::memcpy(p.data(), &st, sizeof(st));
	const auto s = kuipc::udp::decode_stats(p);
	CHECK(s.requests == 1);
	CHECK(s.replies == 2);
	CHECK(s.dropped == 3);
	CHECK(s.rejected == 4);
	CHECK(s.send_errors == 5);
	CHECK(s.rx_bytes == 0x0102030405060708ULL);
	CHECK(s.tx_bytes == 7);
	CHECK(s.foreign == 8);
	CHECK_THROWS_AS(kuipc::udp::decode_stats(p + "x"), kuipc::Error);
	CHECK_THROWS_AS(kuipc::udp::decode_stats(""), kuipc::Error);
}

TEST_CASE("udp: a STATS request is padded with zeros to the size of its reply",
	  "[udp][host]")
{
	const std::string d = kuipc::udp::encode_stats_request(5);
	CHECK(d.size() == KUIPC_UDP_HDR_SIZE + sizeof(kuipc_udp_stats));
	CHECK(d == kuipc::udp::encode_request(KUIPC_UDP_OP_STATS, 5,
					       std::string(KUIPC_UDP_STATS_PAD, '\0')));
	CHECK(kuipc::udp::describe(d).rfind("{STATS seq=5 len=64}", 0) == 0);
}

TEST_CASE("udp: describe shows header fields and a printable payload", "[udp][host]")
{
	CHECK(kuipc::udp::describe(kuipc::udp::encode_request(
		      KUIPC_UDP_OP_ECHO, 7, "hi\n")) == "{ECHO seq=7 len=3} \"hi\\n\"");
	CHECK(kuipc::udp::describe(reply_bytes(KUIPC_UDP_OP_STATS, 22, 8, "")) ==
	      "{STATS|REPLY seq=8 status=22 len=0}");
	CHECK(kuipc::udp::describe("ab") == "<2 bytes> \"ab\"");
	kuipc_udp_stats st{};
	st.requests = htobe64(3);
	std::string p(sizeof(st), '\0');
	std::memcpy(p.data(), &st, sizeof(st));
	CHECK(kuipc::udp::describe(reply_bytes(KUIPC_UDP_OP_STATS, 0, 9, p)) ==
	      "{STATS|REPLY seq=9 status=0 len=64} requests=3 replies=0 dropped=0 "
	      "rejected=0 send_errors=0 rx_bytes=0 tx_bytes=0 foreign=0");
	CHECK(kuipc::udp::op_name(0x42) == "op 66");
}

TEST_CASE("udp: the client skips stale replies and refuses foreign ones", "[udp][host]")
{
	FakeServer srv;
	Client c(srv.port(), 1000);

	/* Request A gets no answer in time: ETIMEDOUT. */
	const std::uint32_t a = c.next_seq();
	c.send_datagram(kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, a, "A"));
	(void)srv.receive();
	try {
		(void)c.wait_reply(a);
		FAIL("no reply was sent, yet one was received");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == ETIMEDOUT);
	}

	/* Request B: the late answer to A arrives first and is skipped. */
	const std::uint32_t b = c.next_seq();
	c.send_datagram(kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, b, "B"));
	(void)srv.receive();
	srv.send(reply_bytes(KUIPC_UDP_OP_ECHO, 0, a, "A"));
	srv.send(reply_bytes(KUIPC_UDP_OP_ECHO, 0, b, "B"));
	const Reply rb = c.wait_reply(b);
	CHECK(rb.seq == b);
	CHECK(rb.payload == "B");
	CHECK(c.stale_replies() == 1);

	/* A seq the client never sent is a protocol error. */
	const std::uint32_t d = c.next_seq();
	c.send_datagram(kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, d, "D"));
	(void)srv.receive();
	srv.send(reply_bytes(KUIPC_UDP_OP_ECHO, 0, d + 1000, "?"));
	try {
		(void)c.wait_reply(d);
		FAIL("a foreign seq was accepted");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == EPROTO);
	}
}

TEST_CASE("udp: echo and stats turn a reply status into kuipc::Error", "[udp][host]")
{
	FakeServer srv;
	Client c(srv.port(), 1000);
	/* Queue the answers before the calls: the seq each call will use is
	 * the next one after this. */
	const std::uint32_t taken = c.next_seq();
	srv.send_to(local_address(c),
		    reply_bytes(KUIPC_UDP_OP_ECHO, EPROTONOSUPPORT, taken + 1, ""));
	try {
		(void)c.echo("y");
		FAIL("an error status was not reported");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == EPROTONOSUPPORT);
	}

	kuipc_udp_stats st{};
	st.requests = htobe64(41);
	std::string p(sizeof(st), '\0');
	std::memcpy(p.data(), &st, sizeof(st));
	srv.send_to(local_address(c), reply_bytes(KUIPC_UDP_OP_STATS, 0, taken + 2, p));
	CHECK(c.stats().requests == 41);

	srv.send_to(local_address(c),
		    reply_bytes(KUIPC_UDP_OP_STATS, EINVAL, taken + 3, ""));
	try {
		(void)c.stats();
		FAIL("an error status was not reported");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == EINVAL);
	}
	CHECK(c.stale_replies() == 0);
}
