// SPDX-License-Identifier: GPL-2.0
// Fault injection of the udp pair (faults.hpp): the load, and a request (served by a work item: fail-nth reaches only what the module does in the caller's task, so this sweep finds no site of the request itself).
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "udp.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "fd.hpp"

namespace {

namespace faults = kuipc::test::faults;
namespace udp = kuipc::udp;

/* The module's port, if something still holds it. */
std::vector<std::string> port_left()
{
	const kuipc::Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(KUIPC_UDP_DEFAULT_PORT);
	sa.sin_addr.s_addr = htonl(KUIPC_UDP_ADDR);
	if (fd && ::bind(fd.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof(sa)) != 0 &&
	    errno == EADDRINUSE)
		return {"UDP port " + std::to_string(KUIPC_UDP_DEFAULT_PORT) + " still bound"};
	return {};
}

} // namespace

TEST_CASE("udp: load survives every allocation failure", "[udp][.faults]")
{
	/*
	 * sock_create_kern() answers a failed socket inode with ENFILE
	 * (sock_alloc() in net/socket.c), which the module passes on.
	 */
	faults::sweep_load("udp", {}, port_left, {ENOMEM, ENFILE});
}

TEST_CASE("udp: a request survives every allocation failure", "[udp][.faults]")
{
	const faults::Loaded mod("udp");
	udp::Client client;
	std::string reply;
	faults::sweep([&] { return faults::errno_of([&] { reply = client.echo("ping"); }); },
		      [&](const faults::Run &run) {
			      if (run.err == 0)
				      CHECK(reply == "ping");
			      CHECK(client.echo("again") == "again");
		      });
}
