// SPDX-License-Identifier: GPL-2.0
// VM tests of the udp pair: kuipc_udp.ko and kuipc::udp::Client.
#include <catch2/catch.hpp>

#include "kmsg.hpp"
#include "module.hpp"
#include "support.hpp"
#include "udp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <latch>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using kuipc::test::errno_of;
using kuipc::test::outcome_of;

using kuipc::udp::Client;
using kuipc::udp::Reply;
using kuipc::udp::Stats;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t default_port = KUIPC_UDP_DEFAULT_PORT;

/* How long a test waits for a reply: a safety net for a loaded emulator. */
constexpr int timeout_ms = 10000;
constexpr std::uint64_t hdr_size = KUIPC_UDP_HDR_SIZE;
constexpr std::uint64_t stats_reply_size = hdr_size + sizeof(kuipc_udp_stats);
/* A STATS request carries zero padding: it is as long as its reply. */
constexpr std::uint64_t stats_request_size = hdr_size + KUIPC_UDP_STATS_PAD;

const std::string module_name = KUIPC_UDP_MODULE_NAME;

std::string module_file()
{
	return kuipc::module_path("udp");
}

/* n bytes of every value 0..255, varied by salt. */
std::string pattern(size_t n, std::uint32_t salt)
{
	std::string s(n, '\0');
	for (size_t i = 0; i < n; ++i)
		s[i] = static_cast<char>((i * 31 + salt) & 0xff);
	return s;
}

/* A user UDP socket bound to 127.0.0.1:port, or the errno of bind(). */
struct Bound {
	kuipc::Fd fd;
	int err = 0;
};

Bound bind_port(std::uint32_t addr, std::uint16_t port, bool reuse = false)
{
	Bound b;
	b.fd.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!b.fd) {
		b.err = errno;
		return b;
	}
	if (reuse) {
		const int one = 1;
		if (::setsockopt(b.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) != 0 ||
		    ::setsockopt(b.fd.get(), SOL_SOCKET, SO_REUSEPORT, &one,
				 sizeof(one)) != 0) {
			b.err = errno;
			return b;
		}
	}
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(addr);
	// NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
	if (::bind(b.fd.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof(sa)) != 0)
		b.err = errno;
	return b;
}

/* The errno of load_module(), 0 on success. */
int try_load(const std::string &params)
{
	return errno_of([&] { kuipc::load_module(module_file(), params); });
}

/* The errno of a full ECHO round trip on port, 0 on success. */
int try_echo(std::uint16_t port, const std::string &payload)
{
	return outcome_of([&] {
		Client c(port, timeout_ms);
		return c.echo(payload) == payload ? 0 : EBADMSG;
	});
}

/* "UDP: inuse N ..." of /proc/net/sockstat: UDP sockets bound in init_net. */
long udp_sockets_in_use()
{
	std::istringstream is(kuipc::test::read_file("/proc/net/sockstat"));
	for (std::string line; std::getline(is, line);) {
		std::istringstream ls(line);
		std::string proto;
		std::string key;
		long n = -1;
		if (ls >> proto >> key >> n && proto == "UDP:" && key == "inuse")
			return n;
	}
	return -1;
}

/*
 * Ask for STATS until done(stats) holds, for up to 5 s. A datagram that
 * gets no reply is served asynchronously; this is how a test learns that
 * the module has seen it. polls counts the STATS requests made.
 */
Stats stats_when(Client &c, const std::function<bool(const Stats &)> &done, int &polls)
{
	const auto deadline = Clock::now() + std::chrono::seconds(5);
	Stats s = c.stats();
	++polls;
	while (!done(s) && Clock::now() < deadline) {
		s = c.stats();
		++polls;
	}
	return s;
}

/* A counter of the kernel's UDP layer: the "Udp:" lines of /proc/net/snmp. */
std::uint64_t udp_mib(const std::string &name)
{
	std::istringstream is(kuipc::test::read_file("/proc/net/snmp"));
	std::vector<std::string> names;
	for (std::string line; std::getline(is, line);) {
		std::istringstream ls(line);
		std::string proto;
		if (!(ls >> proto) || proto != "Udp:")
			continue;
		std::vector<std::string> fields;
		for (std::string f; ls >> f;)
			fields.push_back(f);
		if (names.empty()) {
			names = fields;
			continue;
		}
		for (size_t i = 0; i < names.size() && i < fields.size(); ++i)
			if (names[i] == name)
				return std::stoull(fields[i]);
	}
	throw kuipc::Error(ENOENT, "no Udp " + name + " in /proc/net/snmp");
}

/*
 * A UDP datagram from saddr:sport to the module, made by hand: the
 * 8-byte UDP header with the right length and checksum, then payload. The
 * tests then get a field of it wrong and send it with RawUdp.
 */
std::string udp_datagram(std::uint16_t sport, const std::string &payload,
			 std::uint32_t saddr = KUIPC_UDP_ADDR)
{
	udphdr h{};
	h.source = htons(sport);
	h.dest = htons(default_port);
	h.len = htons(static_cast<std::uint16_t>(sizeof(h) + payload.size()));
	std::string d(sizeof(h), '\0');
	std::memcpy(d.data(), &h, sizeof(h));
	d += payload;

	/* RFC 768: over the IPv4 pseudo header (source saddr, destination
	 * 127.0.0.1, protocol, UDP length) and the datagram, in 16-bit words. */
	std::uint32_t sum = (saddr >> 16) + (saddr & 0xffff) +
			    (KUIPC_UDP_ADDR >> 16) + (KUIPC_UDP_ADDR & 0xffff) +
			    IPPROTO_UDP + static_cast<std::uint32_t>(d.size());
	for (size_t i = 0; i < d.size(); i += 2) {
		const auto hi = static_cast<unsigned char>(d[i]);
		const auto lo = i + 1 < d.size() ? static_cast<unsigned char>(d[i + 1]) : 0U;
		sum += (hi << 8) | lo;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	std::uint16_t check = static_cast<std::uint16_t>(~sum);
	if (check == 0)
		check = 0xffff; /* 0 means "no checksum" */
	h.check = htons(check);
	std::memcpy(d.data(), &h, sizeof(h));
	return d;
}

/* The UDP header's length or checksum field of a datagram, set to v. */
void set_udp_field(std::string &d, size_t offset, std::uint16_t v)
{
	const std::uint16_t be = htons(v);
	std::memcpy(d.data() + offset, &be, sizeof(be));
}

/* Send packet whole on the raw socket fd to 127.0.0.1; throws, what saying where. */
void send_raw(int fd, const std::string &packet, const char *what)
{
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(KUIPC_UDP_ADDR);
	// NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
	const auto *to = reinterpret_cast<const sockaddr *>(&sa);
	const ssize_t n = ::sendto(fd, packet.data(), packet.size(), 0, to, sizeof(sa));
	if (n < 0)
		kuipc::throw_errno(what);
	if (static_cast<size_t>(n) != packet.size())
		kuipc::throw_err(EIO, "short raw send");
}

/*
 * A raw IPv4 socket (root only): the kernel adds the IP header, the test
 * supplies everything from the UDP header on, so any of it can be wrong.
 */
class RawUdp {
public:
	RawUdp() : fd_(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP))
	{
		if (!fd_)
			kuipc::throw_errno("socket(AF_INET, SOCK_RAW, IPPROTO_UDP)");
	}

	void send(const std::string &packet) { send_raw(fd_.get(), packet, "sendto raw UDP"); }

private:
	kuipc::Fd fd_;
};

/* The port a bound socket got. */
std::uint16_t local_port(int fd)
{
	sockaddr_in sa{};
	socklen_t len = sizeof(sa);
	// NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
	if (::getsockname(fd, reinterpret_cast<sockaddr *>(&sa), &len) != 0)
		kuipc::throw_errno("getsockname");
	return ntohs(sa.sin_port);
}

/* One datagram arriving on fd within timeout_ms, or nothing. */
std::optional<std::string> receive_on(int fd, int timeout_ms)
{
	pollfd pfd{fd, POLLIN, 0};
	if (::poll(&pfd, 1, timeout_ms) != 1)
		return std::nullopt;
	std::string buf(KUIPC_UDP_DGRAM_MAX, '\0');
	const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
	if (n < 0)
		return std::nullopt;
	buf.resize(static_cast<size_t>(n));
	return buf;
}

/*
 * Send the UDP packet make(source port) that the kernel's UDP layer must
 * drop (it counts it in the Udp counter mib) and check that the module
 * never saw it: its counters move only by the STATS requests that read
 * them, and no reply comes back to the source port.
 */
void check_dropped_by_kernel(const std::function<std::string(std::uint16_t)> &make,
			     const char *mib)
{
	const Bound replies = bind_port(KUIPC_UDP_ADDR, 0);
	REQUIRE(replies.err == 0);
	const std::string packet = make(local_port(replies.fd.get()));
	Client c(default_port, timeout_ms);
	RawUdp raw;
	const Stats s0 = c.stats();
	const std::uint64_t mib0 = udp_mib(mib);

	raw.send(packet);
	const auto deadline = Clock::now() + std::chrono::seconds(5);
	while (udp_mib(mib) == mib0 && Clock::now() < deadline)
		std::this_thread::yield();
	REQUIRE(udp_mib(mib) == mib0 + 1);

	const Stats s1 = c.stats();
	CHECK(s1.requests == s0.requests + 1);
	CHECK(s1.rx_bytes == s0.rx_bytes + stats_request_size);
	CHECK(s1.replies == s0.replies + 1);
	CHECK(s1.dropped == s0.dropped);
	CHECK(s1.rejected == s0.rejected);
	CHECK(s1.send_errors == s0.send_errors);
	CHECK_FALSE(receive_on(replies.fd.get(), 0).has_value());
	CHECK(c.echo("served as before") == "served as before");
}

/*
 * A raw IPv4 socket that writes the IP header too (IP_HDRINCL): the test
 * chooses the source address, so it can be one that is not loopback.
 */
class RawIp {
public:
	RawIp() : fd_(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW))
	{
		if (!fd_)
			kuipc::throw_errno("socket(AF_INET, SOCK_RAW, IPPROTO_RAW)");
	}

	/* An IPv4 packet saddr -> 127.0.0.1 around the UDP datagram d. */
	void send(std::uint32_t saddr, const std::string &d)
	{
		iphdr ip{};
		ip.version = 4;
		ip.ihl = sizeof(ip) / 4;
		ip.ttl = 64;
		ip.protocol = IPPROTO_UDP;
		/* The kernel fills in the total length, id and checksum. */
		ip.saddr = htonl(saddr);
		ip.daddr = htonl(KUIPC_UDP_ADDR);
		std::string packet(sizeof(ip), '\0');
		std::memcpy(packet.data(), &ip, sizeof(ip));
		packet += d;
		send_raw(fd_.get(), packet, "sendto raw IP");
	}

private:
	kuipc::Fd fd_;
};

/*
 * Sets /proc/sys/net/ipv4/conf/<dev>/route_localnet for its lifetime and
 * puts the old value back: the setting (kube-proxy's) under which packets
 * from other hosts may be routed to 127.0.0.0/8.
 */
class RouteLocalnet {
public:
	explicit RouteLocalnet(const std::string &dev)
		: path_("/proc/sys/net/ipv4/conf/" + dev + "/route_localnet"),
		  old_(kuipc::test::read_file(path_))
	{
		const int err = kuipc::test::write_file(path_, "1\n");
		if (err != 0)
			kuipc::throw_err(err, "write " + path_);
	}
	RouteLocalnet(const RouteLocalnet &) = delete;
	RouteLocalnet &operator=(const RouteLocalnet &) = delete;
	RouteLocalnet(RouteLocalnet &&) = delete;
	RouteLocalnet &operator=(RouteLocalnet &&) = delete;
	~RouteLocalnet() { (void)kuipc::test::write_file(path_, old_); }

private:
	std::string path_;
	std::string old_;
};

/*
 * Send request from fd to the module, then an ECHO marker, and return the
 * datagrams that arrive before the marker's reply: the replies to request
 * (the module answers in order). Empty when it got none.
 */
std::vector<std::string> replies_to(int fd, const std::string &request)
{
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(default_port);
	sa.sin_addr.s_addr = htonl(KUIPC_UDP_ADDR);
	// NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
	const auto *to = reinterpret_cast<const sockaddr *>(&sa);
	const std::string marker =
		kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 0xfeedU, "marker");
	for (const std::string *d : {&request, &marker}) {
		if (::sendto(fd, d->data(), d->size(), 0, to, sizeof(sa)) !=
		    static_cast<ssize_t>(d->size()))
			kuipc::throw_errno("sendto");
	}
	std::vector<std::string> out;
	for (;;) {
		std::optional<std::string> r = receive_on(fd, timeout_ms);
		if (!r)
			kuipc::throw_err(ETIMEDOUT, "no reply to the marker");
		const Reply rep = kuipc::udp::decode_reply(*r);
		if (rep.seq == 0xfeedU && rep.op == KUIPC_UDP_OP_ECHO &&
		    rep.payload == "marker")
			break;
		out.push_back(*r);
	}
	return out;
}

} // namespace

TEST_CASE("udp: ECHO returns the payload for sizes from 0 bytes to the largest datagram",
	  "[udp]")
{
	Client c(default_port, timeout_ms);
	for (const size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{1472},
			       size_t{8192}, size_t{KUIPC_UDP_PAYLOAD_MAX}}) {
		INFO("payload of " << n << " bytes");
		const std::string payload = pattern(n, static_cast<std::uint32_t>(n));
		const std::uint32_t seq = c.next_seq();
		c.send_datagram(
			kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, seq, payload));
		const Reply r = c.wait_reply(seq);
		CHECK(r.status == 0);
		CHECK(r.op == KUIPC_UDP_OP_ECHO);
		CHECK(r.seq == seq);
		CHECK(r.payload.size() == n);
		CHECK(r.payload == payload);
	}
	/* One byte more does not fit in a UDP datagram at all. */
	try {
		c.echo(pattern(KUIPC_UDP_PAYLOAD_MAX + 1, 0));
		FAIL("a datagram above the UDP maximum was sent");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == EMSGSIZE);
	}
	CHECK(c.echo("still there") == "still there");
	CHECK(c.stale_replies() == 0);
}

TEST_CASE("udp: STATS counts every request, reply and byte exactly", "[udp]")
{
	Client c(default_port, timeout_ms);
	const Stats s0 = c.stats();
	const std::array<size_t, 4> sizes = {1, 100, 1472, 20000};
	std::uint64_t echo_bytes = 0;
	for (const size_t n : sizes) {
		CHECK(c.echo(pattern(n, 7)) == pattern(n, 7));
		echo_bytes += hdr_size + n;
	}
	const Stats s1 = c.stats();

	/* The counters include the STATS request that reads them, but not
	 * its reply: s0's reply shows up in s1. */
	CHECK(s1.requests - s0.requests == sizes.size() + 1);
	CHECK(s1.replies - s0.replies == sizes.size() + 1);
	CHECK(s1.rx_bytes - s0.rx_bytes == echo_bytes + stats_request_size);
	CHECK(s1.tx_bytes - s0.tx_bytes == echo_bytes + stats_reply_size);
	CHECK(s1.dropped == s0.dropped);
	CHECK(s1.rejected == s0.rejected);
	CHECK(s1.send_errors == s0.send_errors);
}

TEST_CASE("udp: malformed requests are answered with an error status and counted",
	  "[udp][badinput]")
{
	struct Case {
		const char *what;
		std::function<void(std::string &)> spoil;
		std::uint8_t op;
		int status;
	};
	const auto hdr_at = [](std::string &d, size_t off) -> char & {
		return d.at(off);
	};
	const std::vector<Case> cases = {
		{"version too new",
		 [&](std::string &d) {
			 hdr_at(d, offsetof(kuipc_udp_hdr, version)) =
				 static_cast<char>(KUIPC_UDP_VERSION + 1);
		 },
		 KUIPC_UDP_OP_ECHO, EPROTONOSUPPORT},
		{"version 0",
		 [&](std::string &d) { hdr_at(d, offsetof(kuipc_udp_hdr, version)) = 0; },
		 KUIPC_UDP_OP_ECHO, EPROTONOSUPPORT},
		{"status set in a request",
		 [&](std::string &d) {
			 hdr_at(d, offsetof(kuipc_udp_hdr, status) + 1) = 1;
		 },
		 KUIPC_UDP_OP_ECHO, EINVAL},
		{"len larger than the payload",
		 [&](std::string &d) {
			 hdr_at(d, offsetof(kuipc_udp_hdr, len) + 3) += 1;
		 },
		 KUIPC_UDP_OP_ECHO, EBADMSG},
		{"len smaller than the payload",
		 [&](std::string &d) {
			 hdr_at(d, offsetof(kuipc_udp_hdr, len) + 3) -= 1;
		 },
		 KUIPC_UDP_OP_ECHO, EBADMSG},
		{"len with its top byte set",
		 [&](std::string &d) {
			 hdr_at(d, offsetof(kuipc_udp_hdr, len)) = '\x80';
		 },
		 KUIPC_UDP_OP_ECHO, EBADMSG},
		{"trailing byte after the payload", [&](std::string &d) { d += 'x'; },
		 KUIPC_UDP_OP_ECHO, EBADMSG},
		{"op 0",
		 [&](std::string &d) { hdr_at(d, offsetof(kuipc_udp_hdr, op)) = 0; }, 0,
		 EOPNOTSUPP},
		{"op 0x7f",
		 [&](std::string &d) { hdr_at(d, offsetof(kuipc_udp_hdr, op)) = 0x7f; },
		 0x7f, EOPNOTSUPP},
		{"STATS with a payload that is not its padding",
		 [&](std::string &d) {
			 hdr_at(d, offsetof(kuipc_udp_hdr, op)) = KUIPC_UDP_OP_STATS;
		 },
		 KUIPC_UDP_OP_STATS, EINVAL},
		{"STATS without padding (16 bytes, shorter than its reply)",
		 [&](std::string &d) {
			 d.resize(hdr_size);
			 hdr_at(d, offsetof(kuipc_udp_hdr, op)) = KUIPC_UDP_OP_STATS;
			 hdr_at(d, offsetof(kuipc_udp_hdr, len) + 3) = 0;
		 },
		 KUIPC_UDP_OP_STATS, EINVAL},
		{"STATS with padding that is not zero",
		 [&](std::string &d) {
			 d.resize(hdr_size);
			 d += std::string(KUIPC_UDP_STATS_PAD, '\0');
			 d.back() = 1;
			 hdr_at(d, offsetof(kuipc_udp_hdr, op)) = KUIPC_UDP_OP_STATS;
			 hdr_at(d, offsetof(kuipc_udp_hdr, len) + 3) =
				 static_cast<char>(KUIPC_UDP_STATS_PAD);
		 },
		 KUIPC_UDP_OP_STATS, EINVAL},
	};

	Client c(default_port, timeout_ms);
	for (const auto &tc : cases) {
		INFO(tc.what);
		const Stats s0 = c.stats();
		const std::uint32_t seq = c.next_seq();
		std::string d =
			kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, seq, "payload");
		tc.spoil(d);
		c.send_datagram(d);
		const Reply r = c.wait_reply(seq);
		CHECK(r.status == tc.status);
		CHECK(r.op == tc.op);
		CHECK(r.payload.empty());

		/* Read back: counted as rejected, nothing else changed. */
		const Stats s1 = c.stats();
		CHECK(s1.rejected == s0.rejected + 1);
		CHECK(s1.dropped == s0.dropped);
		CHECK(s1.requests == s0.requests + 2);
		CHECK(s1.replies == s0.replies + 2);
		CHECK(s1.rx_bytes == s0.rx_bytes + d.size() + stats_request_size);
		CHECK(s1.tx_bytes == s0.tx_bytes + stats_reply_size + hdr_size);
	}
	CHECK(c.echo("served as before") == "served as before");
	CHECK(c.stale_replies() == 0);
}

TEST_CASE("udp: datagrams that are not requests are dropped without a reply and counted",
	  "[udp][badinput]")
{
	Client c(default_port, timeout_ms);
	const std::string good = kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 0, "abc");
	std::string bad_magic = good;
	bad_magic[0] = static_cast<char>(bad_magic[0] ^ 0x20);
	std::string a_reply = good;
	a_reply[offsetof(kuipc_udp_hdr, op)] =
		static_cast<char>(KUIPC_UDP_OP_ECHO | KUIPC_UDP_OP_REPLY);
	const std::vector<std::pair<const char *, std::string>> cases = {
		{"empty datagram", ""},
		{"1 byte", "k"},
		{"header less one byte", good.substr(0, hdr_size - 1)},
		{"wrong magic", bad_magic},
		{"a reply (reply bit set)", a_reply},
	};
	for (const auto &[what, datagram] : cases) {
		INFO(what);
		const Stats s0 = c.stats();
		c.send_datagram(datagram);
		int polls = 0;
		const Stats s1 = stats_when(
			c, [&](const Stats &s) { return s.dropped > s0.dropped; }, polls);
		CHECK(s1.dropped == s0.dropped + 1);
		CHECK(s1.rejected == s0.rejected);
		CHECK(s1.requests == s0.requests + 1 + static_cast<unsigned>(polls));
		CHECK(s1.rx_bytes == s0.rx_bytes + datagram.size() +
					     stats_request_size * static_cast<unsigned>(polls));
		CHECK(s1.replies == s0.replies + static_cast<unsigned>(polls));
		/* Any reply to the bad datagram would have been sent before the
		 * STATS reply that counted it, so it would be queued by now (or
		 * skipped as stale). There is none. */
		CHECK(c.stale_replies() == 0);
		CHECK_FALSE(c.any_datagram(0));
	}
	CHECK(c.echo("served as before") == "served as before");
}

TEST_CASE("udp: a datagram with a wrong UDP checksum never reaches the module",
	  "[udp][badinput]")
{
	check_dropped_by_kernel(
		[](std::uint16_t sport) {
			std::string d = udp_datagram(
				sport, kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 1, "sum"));
			const size_t at = offsetof(udphdr, check);
			std::uint16_t be = 0;
			std::memcpy(&be, d.data() + at, sizeof(be));
			/* Off by 0x100, never 0 (which would mean "no checksum"). */
			auto bad = static_cast<std::uint16_t>(ntohs(be) ^ 0x0100);
			if (bad == 0)
				bad = static_cast<std::uint16_t>(ntohs(be) ^ 0x0200);
			set_udp_field(d, at, bad);
			return d;
		},
		"InCsumErrors");
}

TEST_CASE("udp: a UDP length field beyond the end of the packet is dropped by the kernel",
	  "[udp][badinput]")
{
	check_dropped_by_kernel(
		[](std::uint16_t sport) {
			std::string d = udp_datagram(
				sport, kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 2, "long"));
			set_udp_field(d, offsetof(udphdr, len),
				      static_cast<std::uint16_t>(d.size() + 1));
			return d;
		},
		"InErrors");
}

TEST_CASE("udp: a UDP length field below the 8-byte UDP header is dropped by the kernel",
	  "[udp][badinput]")
{
	check_dropped_by_kernel(
		[](std::uint16_t sport) {
			std::string d = udp_datagram(
				sport, kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 3, "short"));
			set_udp_field(d, offsetof(udphdr, len),
				      static_cast<std::uint16_t>(sizeof(udphdr) - 1));
			return d;
		},
		"InErrors");
}

TEST_CASE("udp: a packet too short to hold a UDP header is dropped by the kernel",
	  "[udp][badinput]")
{
	/* Source and destination port, then the packet ends. */
	check_dropped_by_kernel(
		[](std::uint16_t sport) { return udp_datagram(sport, "").substr(0, 4); },
		"InErrors");
}

TEST_CASE("udp: bytes past the UDP length are cut off before the module reads",
	  "[udp][badinput]")
{
	const Bound replies = bind_port(KUIPC_UDP_ADDR, 0);
	REQUIRE(replies.err == 0);
	const std::uint16_t sport = local_port(replies.fd.get());
	Client c(default_port, timeout_ms);
	RawUdp raw;

	/* A whole request, then garbage inside the IP packet but beyond the
	 * UDP length: the module gets the request alone and answers it. */
	Stats s0 = c.stats();
	std::string req = kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 41, "abc");
	raw.send(udp_datagram(sport, req) + "garbage");
	auto reply = receive_on(replies.fd.get(), timeout_ms);
	REQUIRE(reply.has_value());
	Reply r = kuipc::udp::decode_reply(*reply);
	CHECK(r.seq == 41);
	CHECK(r.status == 0);
	CHECK(r.payload == "abc");
	Stats s1 = c.stats();
	CHECK(s1.requests == s0.requests + 2);
	CHECK(s1.rx_bytes == s0.rx_bytes + req.size() + stats_request_size);
	CHECK(s1.rejected == s0.rejected);
	CHECK(s1.dropped == s0.dropped);

	/* A UDP length that ends inside the payload: the module sees a
	 * request whose len is one more than what arrived. */
	s0 = s1;
	req = kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 42, "abc");
	std::string d = udp_datagram(sport, req.substr(0, req.size() - 1));
	d += req.back();
	raw.send(d);
	reply = receive_on(replies.fd.get(), timeout_ms);
	REQUIRE(reply.has_value());
	r = kuipc::udp::decode_reply(*reply);
	CHECK(r.seq == 42);
	CHECK(r.status == EBADMSG);
	CHECK(r.payload.empty());
	s1 = c.stats();
	CHECK(s1.requests == s0.requests + 2);
	CHECK(s1.rx_bytes == s0.rx_bytes + req.size() - 1 + stats_request_size);
	CHECK(s1.rejected == s0.rejected + 1);
	CHECK(s1.dropped == s0.dropped);
	CHECK_FALSE(receive_on(replies.fd.get(), 0).has_value());
}

TEST_CASE("udp: a request from source port 0 gets no reply and counts a send error",
	  "[udp][badinput]")
{
	Client c(default_port, timeout_ms);
	RawUdp raw;
	const Stats s0 = c.stats();

	const std::string req = kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 5, "zero");
	raw.send(udp_datagram(0, req));
	int polls = 0;
	const Stats s1 = stats_when(
		c, [&](const Stats &s) { return s.send_errors > s0.send_errors; }, polls);

	/* Received and valid, but port 0 cannot be sent to: the reply is
	 * counted as refused, not retried, and nothing else changes. */
	CHECK(s1.send_errors == s0.send_errors + 1);
	CHECK(s1.requests == s0.requests + 1 + static_cast<unsigned>(polls));
	CHECK(s1.replies == s0.replies + static_cast<unsigned>(polls));
	CHECK(s1.rx_bytes == s0.rx_bytes + req.size() + stats_request_size * static_cast<unsigned>(polls));
	CHECK(s1.tx_bytes == s0.tx_bytes + stats_reply_size * static_cast<unsigned>(polls));
	CHECK(s1.dropped == s0.dropped);
	CHECK(s1.rejected == s0.rejected);
	CHECK(c.echo("served as before") == "served as before");
}

TEST_CASE("udp: the largest ECHO with len one off its payload gets EBADMSG and no echo",
	  "[udp][badinput]")
{
	Client c(default_port, timeout_ms);
	const std::string payload = pattern(KUIPC_UDP_PAYLOAD_MAX, 3);
	for (const int delta : {+1, -1}) {
		INFO("len = payload size " << (delta > 0 ? "+ 1" : "- 1"));
		const Stats s0 = c.stats();
		const std::uint32_t seq = c.next_seq();
		std::string d = kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, seq, payload);
		const std::uint32_t len = htonl(static_cast<std::uint32_t>(
			static_cast<int>(KUIPC_UDP_PAYLOAD_MAX) + delta));
		std::memcpy(d.data() + offsetof(kuipc_udp_hdr, len), &len, sizeof(len));
		c.send_datagram(d);
		const Reply r = c.wait_reply(seq);
		CHECK(r.status == EBADMSG);
		CHECK(r.payload.empty());

		/* Only a header went back for the 65507 bytes that came in. */
		const Stats s1 = c.stats();
		CHECK(s1.rejected == s0.rejected + 1);
		CHECK(s1.requests == s0.requests + 2);
		CHECK(s1.rx_bytes == s0.rx_bytes + KUIPC_UDP_DGRAM_MAX + stats_request_size);
		CHECK(s1.tx_bytes == s0.tx_bytes + stats_reply_size + hdr_size);
		CHECK(s1.dropped == s0.dropped);
	}
	CHECK(c.echo(payload) == payload);
}

TEST_CASE("udp: a request with its magic in little-endian order is dropped",
	  "[udp][badinput]")
{
	Client c(default_port, timeout_ms);
	const Stats s0 = c.stats();
	std::string d = kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, c.next_seq(), "le");
	/* The bytes of the magic reversed: "PDUk". */
	const std::uint32_t le_magic = __builtin_bswap32(htonl(KUIPC_UDP_MAGIC));
	std::memcpy(d.data() + offsetof(kuipc_udp_hdr, magic), &le_magic, sizeof(le_magic));
	c.send_datagram(d);
	int polls = 0;
	const Stats s1 = stats_when(
		c, [&](const Stats &s) { return s.dropped > s0.dropped; }, polls);
	CHECK(s1.dropped == s0.dropped + 1);
	CHECK(s1.rejected == s0.rejected);
	CHECK(s1.requests == s0.requests + 1 + static_cast<unsigned>(polls));
	CHECK(s1.replies == s0.replies + static_cast<unsigned>(polls));
	CHECK(c.stale_replies() == 0);
	CHECK_FALSE(c.any_datagram(0));
	CHECK(c.echo("served as before") == "served as before");
}

TEST_CASE("udp: several clients at once each get only their own replies",
	  "[udp][concurrency]")
{
	constexpr int nthreads = 8;
	constexpr int per_thread = 150;
	const std::array<size_t, 5> sizes = {1, 64, 1472, 4000, 9000};

	Client observer(default_port, timeout_ms);
	const Stats s0 = observer.stats();

	std::latch start(nthreads);
	std::mutex mu;
	std::vector<std::string> errors;
	std::atomic<std::uint64_t> bytes{0};
	std::atomic<std::uint64_t> stale{0};
	std::vector<std::thread> threads;
	threads.reserve(nthreads);
	for (int t = 0; t < nthreads; ++t) {
		threads.emplace_back([&, t] {
			try {
				Client c(default_port, timeout_ms);
				start.arrive_and_wait();
				for (int i = 0; i < per_thread; ++i) {
					/* The largest payload now and then only:
					 * the module's receive buffer is finite. */
					const size_t n =
						i % 25 == 0
							? KUIPC_UDP_PAYLOAD_MAX
							: sizes.at(static_cast<size_t>(
									   i + t) %
								   sizes.size());
					const auto salt =
						static_cast<std::uint32_t>(t * 1000 + i);
					const std::string payload = pattern(n, salt);
					const std::uint32_t seq = c.next_seq();
					c.send_datagram(kuipc::udp::encode_request(
						KUIPC_UDP_OP_ECHO, seq, payload));
					const Reply r = c.wait_reply(seq);
					if (r.seq != seq || r.status != 0 ||
					    r.payload != payload)
						throw kuipc::Error(
							EBADMSG,
							"reply " + std::to_string(i) +
								" does not match");
					bytes += 2 * (hdr_size + n);
				}
				stale += c.stale_replies();
			} catch (const std::exception &e) {
				const std::lock_guard<std::mutex> lock(mu);
				errors.push_back("thread " + std::to_string(t) + ": " +
						 e.what());
			}
		});
	}
	for (auto &th : threads)
		th.join();
	for (const auto &e : errors)
		UNSCOPED_INFO(e);
	REQUIRE(errors.empty());
	CHECK(stale == 0);

	const Stats s1 = observer.stats();
	constexpr std::uint64_t total = std::uint64_t{nthreads} * per_thread;
	CHECK(s1.requests - s0.requests == total + 1);
	CHECK(s1.replies - s0.replies == total + 1);
	CHECK(s1.dropped == s0.dropped);
	CHECK(s1.rejected == s0.rejected);
	CHECK(s1.send_errors == s0.send_errors);
	CHECK((s1.rx_bytes - s0.rx_bytes) + (s1.tx_bytes - s0.tx_bytes) ==
	      bytes + stats_request_size + stats_reply_size);
}

TEST_CASE("udp: loading while the port is taken fails with EADDRINUSE and says why",
	  "[udp][lifecycle][badinput]")
{
	const kuipc::test::ReloadGuard reload("udp");
	kuipc::unload_module(module_name, 5000);
	REQUIRE_FALSE(kuipc::module_loaded(module_name));

	{
		const Bound squatter = bind_port(KUIPC_UDP_ADDR, default_port);
		REQUIRE(squatter.err == 0);
		kuipc::KmsgReader log;
		CHECK(try_load("") == EADDRINUSE);
		CHECK_FALSE(kuipc::module_loaded(module_name));

		const std::string where = "127.0.0.1:" + std::to_string(default_port);
		bool said_why = false;
		for (const auto &rec : log.drain()) {
			const std::string l = rec.substr(rec.find('|') + 1);
			UNSCOPED_INFO("kernel: " << l);
			if (l.rfind(module_name + ": ", 0) == 0 &&
			    l.find(where) != std::string::npos &&
			    (l.find("EADDRINUSE") != std::string::npos ||
			     l.find(std::to_string(-EADDRINUSE)) != std::string::npos))
				said_why = true;
		}
		CHECK(said_why);
	}

	/* The squatter is gone: the module loads and serves, from scratch. */
	REQUIRE(try_load("") == 0);
	Client c(default_port, timeout_ms);
	CHECK(c.echo("after EADDRINUSE") == "after EADDRINUSE");
	const Stats s = c.stats();
	CHECK(s.requests == 2);
	CHECK(s.replies == 1);
}

TEST_CASE("udp: a port of 0, above 65535 or not a number is refused with EINVAL",
	  "[udp][lifecycle][badinput]")
{
	const kuipc::test::ReloadGuard reload("udp");
	kuipc::unload_module(module_name, 5000);
	const long sockets0 = udp_sockets_in_use();

	for (const char *bad :
	     {"0", "65536", "70000", "4294967296", "-1", "abc", "24817x", "0x6000", ""}) {
		INFO("port=" << bad);
		CHECK(try_load(std::string("port=") + bad) == EINVAL);
		CHECK_FALSE(kuipc::module_loaded(module_name));
	}
	/* Nothing was left bound by the failed loads. */
	CHECK(udp_sockets_in_use() == sockets0);

	REQUIRE(try_load("") == 0);
	CHECK(kuipc::test::read_file(KUIPC_UDP_PORT_PARAM_PATH) ==
	      std::to_string(default_port) + "\n");
	CHECK(try_echo(default_port, "default port") == 0);
}

TEST_CASE("udp: the port parameter moves the service, from port 1 to 65535",
	  "[udp][lifecycle]")
{
	const kuipc::test::ReloadGuard reload("udp");
	for (const std::uint16_t p :
	     {std::uint16_t{KUIPC_UDP_PORT_MIN}, std::uint16_t{default_port + 1},
	      std::uint16_t{KUIPC_UDP_PORT_MAX}}) {
		INFO("port=" << p);
		kuipc::unload_module(module_name, 5000);
		REQUIRE(try_load("port=" + std::to_string(p)) == 0);
		CHECK(kuipc::test::read_file(KUIPC_UDP_PORT_PARAM_PATH) ==
		      std::to_string(p) + "\n");
		CHECK(try_echo(p, "moved") == 0);
		/* Nothing answers on the default port now. */
		CHECK(try_echo(default_port, "anyone?") == ECONNREFUSED);
	}
	kuipc::unload_module(module_name, 5000);
	REQUIRE(try_load("") == 0);
	CHECK(try_echo(default_port, "back home") == 0);
}

TEST_CASE("udp: unloading while clients send stops the worker and releases the socket",
	  "[udp][lifecycle][concurrency]")
{
	const kuipc::test::ReloadGuard reload("udp");
	constexpr int nthreads = 4;
	constexpr std::uint64_t warmup = 200;
	const long sockets0 = udp_sockets_in_use();
	REQUIRE(sockets0 >= 1);

	std::mutex mu;
	std::condition_variable cv;
	std::uint64_t replies = 0;
	int refused_after_unload = 0;
	bool unloading = false;
	bool unloaded = false;
	bool stop = false;
	std::vector<std::string> errors;

	std::vector<std::thread> threads;
	threads.reserve(nthreads);
	for (int t = 0; t < nthreads; ++t) {
		threads.emplace_back([&, t] {
			bool saw_refused = false;
			try {
				/* Shorter: after the unload, a request lost with
				 * the socket costs one timeout. */
				Client c(default_port, Client::default_timeout_ms);
				const std::string payload =
					pattern(512, static_cast<std::uint32_t>(t));
				/* Bounded: stops by itself even if the test
				 * thread never says so. */
				const auto deadline =
					Clock::now() + std::chrono::seconds(30);
				while (Clock::now() < deadline) {
					{
						const std::lock_guard<std::mutex> lock(
							mu);
						if (stop)
							break;
					}
					const int err = outcome_of([&] {
						return c.echo(payload) == payload ? 0 : EBADMSG;
					});
					const std::lock_guard<std::mutex> lock(mu);
					if (err == 0) {
						++replies;
					} else if (!unloading || (err != ECONNREFUSED &&
								  err != ETIMEDOUT)) {
						/* Once unloading, a request may be
						 * dropped with the socket (ETIMEDOUT)
						 * or find no one there (ECONNREFUSED);
						 * anything else is a bug. */
						errors.push_back(
							std::generic_category().message(
								err));
					} else if (err == ECONNREFUSED && unloaded &&
						   !saw_refused) {
						++refused_after_unload;
						saw_refused = true;
					}
					cv.notify_all();
				}
			} catch (const std::exception &e) {
				const std::lock_guard<std::mutex> lock(mu);
				errors.emplace_back(e.what());
				cv.notify_all();
			}
		});
	}

	/* Unload once traffic flows, while the threads keep sending. */
	{
		std::unique_lock<std::mutex> lock(mu);
		cv.wait_for(lock, std::chrono::seconds(20),
			    [&] { return replies >= warmup || !errors.empty(); });
	}
	std::uint64_t replies_before = 0;
	{
		const std::lock_guard<std::mutex> lock(mu);
		replies_before = replies;
		unloading = true;
	}
	kuipc::unload_module(module_name, 5000);
	const bool gone = !kuipc::module_loaded(module_name);
	{
		std::unique_lock<std::mutex> lock(mu);
		unloaded = true;
		/* Every sender finds the port closed: the socket is gone. */
		cv.wait_for(lock, std::chrono::seconds(20), [&] {
			return refused_after_unload == nthreads || !errors.empty();
		});
		stop = true;
	}
	for (auto &th : threads)
		th.join();

	for (const auto &e : errors)
		UNSCOPED_INFO("sender: " << e);
	CHECK(errors.empty());
	CHECK(replies_before >= warmup);
	CHECK(gone);
	CHECK(refused_after_unload == nthreads);
	/* The kernel socket is released (the clients' are closed too)... */
	CHECK(udp_sockets_in_use() == sockets0 - 1);
	/* ...and its port is free again. */
	CHECK(bind_port(KUIPC_UDP_ADDR, default_port).err == 0);

	/* Load again: a fresh instance serves, its counters from zero. */
	REQUIRE(try_load("") == 0);
	Client c(default_port, timeout_ms);
	CHECK(c.echo("after the storm") == "after the storm");
	CHECK(c.stats().requests == 2);
}

TEST_CASE("udp: any user may use the service but nobody can take its port or change it",
	  "[udp][permission]")
{
	using kuipc::test::run_unprivileged;

	/* The service is open to every local user, as any UDP port is. */
	CHECK(run_unprivileged([] { return try_echo(default_port, "from nobody"); }) ==
	      0);

	/* The kernel socket does not set SO_REUSEADDR/SO_REUSEPORT, so no one
	 * can bind the port beside it and steal requests. */
	CHECK(run_unprivileged([] {
		      return bind_port(KUIPC_UDP_ADDR, default_port, true).err;
	      }) == EADDRINUSE);
	CHECK(run_unprivileged([] {
		      return bind_port(INADDR_ANY, default_port, true).err;
	      }) == EADDRINUSE);
	CHECK(bind_port(KUIPC_UDP_ADDR, default_port, true).err == EADDRINUSE);

	/* The parameter is read-only (0444), for root as well. */
	CHECK(run_unprivileged([] {
		      return kuipc::test::write_file(KUIPC_UDP_PORT_PARAM_PATH, "1234");
	      }) == EACCES);
	CHECK(kuipc::test::write_file(KUIPC_UDP_PORT_PARAM_PATH, "1234") == EACCES);

	/* Read back: unchanged, and still served. */
	CHECK(run_unprivileged([] {
		      return kuipc::test::read_file(KUIPC_UDP_PORT_PARAM_PATH) ==
					     std::to_string(default_port) + "\n"
				     ? 0
				     : EBADMSG;
	      }) == 0);
	CHECK(try_echo(default_port, "still served") == 0);
}

TEST_CASE("udp: root in a new user namespace is refused what needs a capability in the initial one",
	  "[udp][permission]")
{
	/*
	 * The module reserves no request to privileged users: ECHO and STATS
	 * are open to every local process, as any UDP port is. What this
	 * shows: they work for root of a new user namespace too, from the
	 * initial network namespace where the socket lives, and its
	 * capabilities there let it neither take the port nor change it.
	 */
	using kuipc::test::run_in_userns;
	Client c(default_port, timeout_ms);
	const Stats s0 = c.stats();

	CHECK(run_in_userns([] {
		      return try_echo(default_port, "from a user namespace");
	      }) == 0);
	CHECK(run_in_userns([] {
		      return outcome_of([] {
			      Client u(default_port, timeout_ms);
			      return u.stats().requests > 0 ? 0 : EBADMSG;
		      });
	      }) == 0);

	CHECK(run_in_userns([] {
		      return bind_port(KUIPC_UDP_ADDR, default_port, true).err;
	      }) == EADDRINUSE);
	CHECK(run_in_userns([] {
		      return bind_port(INADDR_ANY, default_port, true).err;
	      }) == EADDRINUSE);
	CHECK(run_in_userns([] {
		      return kuipc::test::write_file(KUIPC_UDP_PORT_PARAM_PATH, "1234");
	      }) == EACCES);

	/* Its two requests, and this one, were served on the same port. */
	CHECK(kuipc::test::read_file(KUIPC_UDP_PORT_PARAM_PATH) ==
	      std::to_string(default_port) + "\n");
	const Stats s1 = c.stats();
	CHECK(s1.requests == s0.requests + 3);
	CHECK(s1.rejected == s0.rejected);
}

TEST_CASE("udp: no reply is longer than the request it answers, for every kind of request",
	  "[udp][badinput]")
{
	const Bound b = bind_port(KUIPC_UDP_ADDR, 0);
	REQUIRE(b.err == 0);
	const auto with = [](std::string d, size_t off, char v) {
		d.at(off) = v;
		return d;
	};
	const std::string echo = kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 1, "abc");
	const std::string stats = kuipc::udp::encode_stats_request(2);
	const std::vector<std::pair<const char *, std::string>> cases = {
		{"ECHO of 0 bytes", kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 3, "")},
		{"ECHO of 3 bytes", echo},
		{"ECHO of 1000 bytes",
		 kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 4, pattern(1000, 4))},
		{"STATS as the client sends it", stats},
		{"STATS without padding",
		 kuipc::udp::encode_request(KUIPC_UDP_OP_STATS, 5, "")},
		{"version 0", with(echo, offsetof(kuipc_udp_hdr, version), 0)},
		{"status set", with(echo, offsetof(kuipc_udp_hdr, status) + 1, 1)},
		{"len off by one", with(echo, offsetof(kuipc_udp_hdr, len) + 3, 4)},
		{"unknown op", with(echo, offsetof(kuipc_udp_hdr, op), 0x7f)},
		{"a reply", with(echo, offsetof(kuipc_udp_hdr, op),
				 static_cast<char>(KUIPC_UDP_OP_ECHO | KUIPC_UDP_OP_REPLY))},
		{"padded STATS, op 0", with(stats, offsetof(kuipc_udp_hdr, op), 0)},
	};
	for (const auto &[what, request] : cases) {
		INFO(what << ", " << request.size() << " bytes");
		const std::vector<std::string> replies = replies_to(b.fd.get(), request);
		CHECK(replies.size() <= 1);
		for (const std::string &r : replies)
			CHECK(r.size() <= request.size());
	}
}

TEST_CASE("udp: a datagram whose source is not loopback gets no reply, route_localnet or not",
	  "[udp][permission]")
{
	/* 10.0.0.1 stands for a host outside: with route_localnet=1 (as
	 * kube-proxy sets it) its packets to 127.0.0.1 are routed in. */
	constexpr std::uint32_t outside = 0x0a000001U;
	constexpr std::uint16_t sport = 40001;
	const RouteLocalnet localnet("lo");
	Client c(default_port, timeout_ms);
	RawIp raw;
	const std::string echo =
		kuipc::udp::encode_request(KUIPC_UDP_OP_ECHO, 7, pattern(100, 7));
	const std::string stats = kuipc::udp::encode_stats_request(8);
	const Stats s0 = c.stats();

	raw.send(outside, udp_datagram(sport, echo, outside));
	raw.send(outside, udp_datagram(sport, stats, outside));
	int polls = 0;
	const Stats s1 = stats_when(
		c, [&](const Stats &s) {
			return s.requests >= s0.requests + 2 + static_cast<unsigned>(polls);
		},
		polls);
	const auto n = static_cast<unsigned>(polls);
	REQUIRE(s1.requests == s0.requests + 2 + n);
	/* Only this client's STATS requests were answered. */
	CHECK(s1.replies == s0.replies + n);
	CHECK(s1.send_errors == s0.send_errors);
	CHECK(s1.tx_bytes == s0.tx_bytes + stats_reply_size * n);
	/* Counted as foreign, and as nothing else. */
	CHECK(s1.foreign == s0.foreign + 2);
	CHECK(s1.dropped == s0.dropped);
	CHECK(s1.rejected == s0.rejected);
	CHECK(s1.rx_bytes == s0.rx_bytes + echo.size() + stats.size() +
				     stats_request_size * n);
	CHECK(c.echo("served as before") == "served as before");
}
