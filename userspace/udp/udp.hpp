// SPDX-License-Identifier: GPL-2.0
// kuipc::udp: the client of kuipc_udp.ko, a request/reply service on a kernel
// UDP socket bound to 127.0.0.1 (protocol: <kuipc/udp.h>).
#pragma once

#include "error.hpp"
#include "fd.hpp"

#include <kuipc/udp.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace kuipc::udp {

/* One reply as received; payload holds the bytes after the header. */
struct Reply {
	std::uint8_t op = 0;	  /* the request's op, KUIPC_UDP_OP_REPLY removed */
	std::uint16_t status = 0; /* 0 or a positive errno */
	std::uint32_t seq = 0;
	std::string payload;
};

/* The module's counters (struct kuipc_udp_stats in host byte order). */
struct Stats {
	std::uint64_t requests = 0;
	std::uint64_t replies = 0;
	std::uint64_t dropped = 0;
	std::uint64_t rejected = 0;
	std::uint64_t send_errors = 0;
	std::uint64_t rx_bytes = 0;
	std::uint64_t tx_bytes = 0;
	std::uint64_t foreign = 0;
};

/* Encode a request datagram: header (len = payload size) + payload. */
std::string encode_request(std::uint8_t op, std::uint32_t seq, std::string_view payload);

/*
 * A STATS request: its payload is KUIPC_UDP_STATS_PAD zero bytes, so that
 * it is as long as its reply (the module never answers with more bytes
 * than it got).
 */
std::string encode_stats_request(std::uint32_t seq);

/*
 * Decode a reply datagram. Throws kuipc::Error(EBADMSG) when it is not a
 * well-formed reply (short, wrong magic or version, reply bit missing, or a
 * length that does not match the datagram).
 */
Reply decode_reply(std::string_view datagram);

/* Decode the payload of a STATS reply; throws kuipc::Error(EBADMSG). */
Stats decode_stats(std::string_view payload);

/* "requests=N replies=N dropped=N ..." */
std::string to_string(const Stats &s);

/* Name of an op for messages: "ECHO", "STATS" or "op N". */
std::string op_name(std::uint8_t op);

/*
 * One-line description of a datagram for traces, e.g.
 * {ECHO|REPLY seq=7 status=0 len=5} "hello" (payload shortened, bytes that
 * are not printable ASCII shown as \xNN; a STATS reply's counters decoded).
 */
std::string describe(std::string_view datagram);

/*
 * A UDP socket connected to the module at 127.0.0.1:port. Connecting means
 * the kernel delivers only datagrams from that address to this socket, and
 * reports ECONNREFUSED when nothing is bound there (module not loaded).
 *
 * Each request gets the next sequence number. A reply is matched by seq:
 * a reply to an earlier request (one that timed out) is discarded and
 * counted; a seq this client never sent is a protocol error (EPROTO).
 */
class Client {
public:
	static constexpr int default_timeout_ms = 2000;

	/*
	 * socket() + connect(); throws kuipc::Error. timeout_ms bounds each
	 * wait for a reply. Its calls go through kuipc::sys (traced in a demo).
	 */
	explicit Client(std::uint16_t port = KUIPC_UDP_DEFAULT_PORT,
			int timeout_ms = default_timeout_ms);

	/*
	 * ECHO round trip: returns the payload the module sent back. Throws
	 * kuipc::Error with the reply's status when it is not 0, ETIMEDOUT when
	 * no reply arrives in time, or the errno of a failed system call.
	 */
	std::string echo(std::string_view payload);

	/* STATS round trip; throws like echo(). */
	Stats stats();

	/* Send a request and wait for its reply, whatever its status. */
	Reply call(std::uint8_t op, std::string_view payload);

	/* Send one datagram as it is (for malformed requests); throws. */
	void send_datagram(std::string_view datagram);

	/* Take the next sequence number, as call() does. */
	std::uint32_t next_seq() noexcept { return next_seq_++; }

	/* Wait for the reply carrying seq (see the class comment); throws. */
	Reply wait_reply(std::uint32_t seq);

	/*
	 * Wait up to timeout_ms for any datagram; true if one arrived (it is
	 * consumed), false on timeout. For checking that no reply comes.
	 */
	bool any_datagram(int timeout_ms);

	/* Replies discarded because they answered an earlier request. */
	[[nodiscard]] std::uint64_t stale_replies() const noexcept { return stale_; }

	[[nodiscard]] std::uint16_t port() const noexcept { return port_; }
	[[nodiscard]] int fd() const noexcept { return fd_.get(); }

private:
	/* Receive one datagram within the deadline; false on timeout. */
	bool receive(std::string &buf, int timeout_ms);
	Fd fd_;
	std::uint16_t port_ = 0;
	int timeout_ms_ = 0;
	std::uint32_t first_seq_ = 0;
	std::uint32_t next_seq_ = 0;
	std::uint64_t stale_ = 0;
};

} // namespace kuipc::udp
