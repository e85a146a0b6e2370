// SPDX-License-Identifier: GPL-2.0
// Fault injection of the genetlink pair (faults.hpp): the load, and the commands echo, get and set.
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "genetlink.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace faults = kuipc::test::faults;
namespace genl = kuipc::genetlink;

std::vector<std::string> family_left()
{
	if (genl::family_registered())
		return {"genetlink family " KUIPC_GENETLINK_FAMILY_NAME};
	return {};
}

} // namespace

TEST_CASE("genetlink: load survives every allocation failure", "[genetlink][.faults]")
{
	faults::sweep_load("genetlink", {}, family_left);
}

TEST_CASE("genetlink: echo survives every allocation failure", "[genetlink][.faults]")
{
	const faults::Loaded mod("genetlink");
	genl::Client client;
	std::string reply;
	faults::sweep([&] { return faults::errno_of([&] { reply = client.echo("ping"); }); },
		      [&](const faults::Run &run) {
			      if (run.err == 0)
				      CHECK(reply == "ping");
			      reply.clear();
			      CHECK(client.echo("again") == "again");
		      });
}

TEST_CASE("genetlink: get survives every allocation failure", "[genetlink][.faults]")
{
	const faults::Loaded mod("genetlink");
	genl::Client client;
	client.set(7);
	const genl::Value want = client.get();
	genl::Value got{};
	faults::sweep([&] { return faults::errno_of([&] { got = client.get(); }); },
		      [&](const faults::Run &run) {
			      if (run.err == 0) {
				      CHECK(got.value == want.value);
				      CHECK(got.generation == want.generation);
			      }
		      });
}

TEST_CASE("genetlink: set survives every allocation failure", "[genetlink][.faults]")
{
	const faults::Loaded mod("genetlink");
	genl::Client client;
	genl::Subscriber sub;
	genl::Value before = client.get();
	std::uint32_t next = before.value + 1;
	faults::sweep([&] { return faults::errno_of([&] { client.set(next); }); },
		      [&](const faults::Run &run) {
			      const genl::Value now = client.get();
			      if (run.err == 0) {
				      CHECK(now.value == next);
				      CHECK(now.generation == before.generation + 1);
			      } else {
				      CHECK(now.value == before.value);
				      CHECK(now.generation == before.generation);
			      }
			      before = now;
			      ++next;
		      });
}
