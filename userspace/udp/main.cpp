// SPDX-License-Identifier: GPL-2.0
// kuipc-udp: talk to kuipc_udp.ko, a request/reply service on 127.0.0.1.
#include "cli.hpp"
#include "demo.hpp"
#include "udp.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

namespace {

namespace udp = kuipc::udp;

constexpr const char *prog = "kuipc-udp";

void usage(std::FILE *to)
{
	std::fprintf(to,
		     "usage: %s [--port N] [--timeout MS] COMMAND\n"
		     "  echo TEXT   send TEXT in an ECHO request, print the reply\n"
		     "  stats       print the module's counters\n"
		     "  demo        a narrated round trip, one line per system call\n"
		     "The module serves 127.0.0.1:%u unless loaded with port=N.\n",
		     prog, KUIPC_UDP_DEFAULT_PORT);
}

/* A whole decimal number in [lo, hi], or a usage error. */
unsigned long parse_number(const std::string &what, const std::string &s,
			   unsigned long lo, unsigned long hi)
{
	char *end = nullptr;
	errno = 0;
	const unsigned long v = std::strtoul(s.c_str(), &end, 10);
	if (s.empty() || s[0] == '-' || *end != '\0' || errno != 0 || v < lo || v > hi)
		throw kuipc::cli::Usage("bad " + what + " '" + s + "' (want " +
					std::to_string(lo) + ".." + std::to_string(hi) + ")");
	return v;
}

int cmd_demo(std::uint16_t port, int timeout_ms)
{
	namespace demo = kuipc::demo;

	demo::begin();
	demo::note("1. a UDP socket connected to the module's 127.0.0.1:" +
		   std::to_string(port));
	udp::Client c(port, timeout_ms);

	demo::note("2. ECHO: the module sends the payload back, same seq");
	const std::string text = "hello from user space";
	if (c.echo(text) != text)
		kuipc::throw_err(EPROTO, "the ECHO reply differs from the request");
	demo::note("the reply matches the request");

	demo::note("3. a request of an unknown version gets an error status");
	const std::uint32_t seq = c.next_seq();
	std::string bad = udp::encode_request(KUIPC_UDP_OP_ECHO, seq, "x");
	bad[offsetof(kuipc_udp_hdr, version)] = static_cast<char>(KUIPC_UDP_VERSION + 1);
	c.send_datagram(bad);
	const udp::Reply r = c.wait_reply(seq);
	if (r.status != EPROTONOSUPPORT)
		kuipc::throw_err(EPROTO, "a bad version was answered with status " +
						 std::to_string(r.status));
	demo::note("status " + std::to_string(r.status) + ": " +
		   std::generic_category().message(r.status));

	demo::note("4. STATS (padded to its reply's size): the module's counters, "
		   "this request included");
	(void)c.stats();
	demo::end();
	return 0;
}

int run(const std::vector<std::string> &args)
{
	std::uint16_t port = KUIPC_UDP_DEFAULT_PORT;
	int timeout_ms = udp::Client::default_timeout_ms;
	size_t i = 0;
	for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
		const std::string &a = args[i];
		if (a == "--help") {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= args.size() || (a != "--port" && a != "--timeout"))
			throw kuipc::cli::Usage("bad option: " + a);
		if (a == "--port")
			port = static_cast<std::uint16_t>(
				parse_number("port", args[++i], KUIPC_UDP_PORT_MIN,
					     KUIPC_UDP_PORT_MAX));
		else
			timeout_ms = static_cast<int>(
				parse_number("timeout", args[++i], 1, 600000));
	}
	const size_t left = args.size() - i;
	const std::string cmd = left > 0 ? args[i] : "";

	if (cmd == "echo" && left == 2) {
		udp::Client c(port, timeout_ms);
		const std::string reply = c.echo(args[i + 1]);
		std::printf("%s\n", reply.c_str());
		return 0;
	}
	if (cmd == "stats" && left == 1) {
		udp::Client c(port, timeout_ms);
		std::printf("%s\n", udp::to_string(c.stats()).c_str());
		return 0;
	}
	if (cmd == "demo" && left == 1)
		return cmd_demo(port, timeout_ms);
	throw kuipc::cli::Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
