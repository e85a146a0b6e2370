// SPDX-License-Identifier: GPL-2.0
// kuipc-genetlink: command line client of kuipc_genetlink.ko.
#include "genetlink.hpp"
#include "cli.hpp"
#include "demo.hpp"
#include "syscall.hpp"

#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace gn = kuipc::genetlink;

constexpr const char *kProg = "kuipc-genetlink";

void usage(std::FILE *to)
{
	std::fprintf(to,
		     "usage: %s COMMAND [ARGS]\n"
		     "  info                  family id, multicast group id, own port\n"
		     "  echo TEXT             ECHO: the module sends TEXT back\n"
		     "  get                   GET: the value and its generation\n"
		     "  set VALUE             SET (needs CAP_NET_ADMIN), %u..%u\n"
		     "  dump                  DUMP: all %u entries, one per line\n"
		     "  monitor [COUNT]       print COUNT (default: endless) change events\n"
		     "  demo                  narrated round trip of every command\n",
		     kProg, KUIPC_GENETLINK_VALUE_MIN, KUIPC_GENETLINK_VALUE_MAX,
		     KUIPC_GENETLINK_DUMP_ENTRIES);
}

uint32_t parse_u32(std::string_view s, const char *what)
{
	uint32_t v = 0;
	const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size() || s.empty())
		throw kuipc::cli::Usage(std::string(what) + " \"" + std::string(s) + "\"");
	return v;
}

int demo()
{
	namespace demo = kuipc::demo;
	demo::begin(64);
	demo::note("a socket for requests; libnl asks nlctrl for the ids of the family "
		   "and of its group");
	gn::Client c;
	demo::note("family " + kuipc::sys::quote(KUIPC_GENETLINK_FAMILY_NAME) + " = id " +
		   std::to_string(c.family_id()) + ", group " +
		   kuipc::sys::quote(KUIPC_GENETLINK_MCGRP_EVENTS) + " = " + std::to_string(c.events_group()) +
		   "; a second socket subscribes to the group");
	gn::Subscriber sub;

	const std::string text = "hello, kernel";
	if (c.echo(text) != text)
		kuipc::throw_err(EPROTO, "ECHO came back different");
	const gn::Value before = c.get();
	const uint32_t next = before.value == 42 ? 43 : 42;
	c.set(next);
	const auto ntf = sub.wait(5000);
	if (!ntf)
		kuipc::throw_err(ETIMEDOUT, "no VALUE_NTF within 5 s");
	demo::note("the notification names the SET's socket: port " +
		   std::to_string(ntf->setter_port) + (ntf->setter_port == c.port() ? " (ours)" : ""));

	demo::note("what the module refuses: the kernel says why in an extended ACK");
	demo::refused(EINVAL, [&] { c.request(KUIPC_GENETLINK_CMD_SET, 0, {}, {}); });
	demo::refused(ERANGE, [&] { c.set(KUIPC_GENETLINK_VALUE_MAX + 1); });

	gn::DumpStats st;
	const auto entries = c.dump(&st);
	demo::note(std::to_string(entries.size()) + " entries in " + std::to_string(st.messages) +
		   " messages, " + std::to_string(st.bytes) + " bytes, then NLMSG_DONE; first " +
		   (entries.empty() ? "-" : kuipc::sys::quote(entries.front().name)) + ", last " +
		   (entries.empty() ? "-" : kuipc::sys::quote(entries.back().name)));

	c.set(before.value);
	demo::note("value restored");
	demo::end();
	return 0;
}

int run(const std::vector<std::string> &args)
{
	if (args.empty())
		throw kuipc::cli::Usage("no command");
	const std::string &cmd = args[0];
	if (cmd == "help") {
		usage(stdout);
		return 0;
	}
	if (cmd == "demo" && args.size() == 1)
		return demo();
	if (cmd == "info" && args.size() == 1) {
		gn::Client c;
		std::cout << "family " << KUIPC_GENETLINK_FAMILY_NAME << " id "
			  << c.family_id() << " version " << KUIPC_GENETLINK_VERSION
			  << "\ngroup " << KUIPC_GENETLINK_MCGRP_EVENTS << " id "
			  << c.events_group() << "\nport " << c.port() << '\n';
		return 0;
	}
	if (cmd == "echo" && args.size() == 2) {
		gn::Client c;
		std::cout << c.echo(args[1]) << '\n';
		return 0;
	}
	if (cmd == "get" && args.size() == 1) {
		gn::Client c;
		const auto v = c.get();
		std::cout << v.value << " (generation " << v.generation << ")\n";
		return 0;
	}
	if (cmd == "set" && args.size() == 2) {
		const uint32_t v = parse_u32(args[1], "set: not a number");
		gn::Client c;
		c.set(v);
		return 0;
	}
	if (cmd == "dump" && args.size() == 1) {
		gn::Client c;
		gn::DumpStats st;
		for (const auto &e : c.dump(&st))
			std::cout << e.index << '\t' << e.name << '\n';
		std::cerr << st.messages << " messages, " << st.bytes << " bytes\n";
		return 0;
	}
	if (cmd == "monitor" && args.size() <= 2) {
		const uint32_t count = args.size() == 2 ? parse_u32(args[1], "monitor: not a count") : 0;
		gn::Subscriber sub;
		for (uint32_t n = 0; count == 0 || n < count;) {
			const auto ntf = sub.wait(1000);
			if (!ntf)
				continue;
			std::cout << "value " << ntf->value.value << " generation "
				  << ntf->value.generation << " set by port "
				  << ntf->setter_port << std::endl;
			++n;
		}
		return 0;
	}
	throw kuipc::cli::Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {kProg, usage, run});
}
