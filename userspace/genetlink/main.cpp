// SPDX-License-Identifier: GPL-2.0
// kuipc-genetlink: command line client of kuipc_genetlink.ko.
#include "genetlink.hpp"
#include "demo.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <span>
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
		kuipc::throw_err(ec == std::errc::result_out_of_range ? ERANGE : EINVAL,
				 std::string(what) + " \"" + std::string(s) + "\"");
	return v;
}

/* One narrated step, after the kernel log lines it caused (demo.hpp). */
void say(const std::string &line)
{
	kuipc::demo::step(line);
}

std::string quoted(std::string_view s)
{
	return "\"" + std::string(s) + "\"";
}

std::string value_str(const gn::Value &v)
{
	return "{VALUE " + std::to_string(v.value) + ", GENERATION " +
	       std::to_string(v.generation) + "}";
}

std::string refusal(const gn::NetlinkError &e)
{
	return "-1 " + std::string(strerrorname_np(e.err()) != nullptr
					   ? strerrorname_np(e.err())
					   : "?") +
	       " (" + std::strerror(e.err()) + "), extack " + quoted(e.extack());
}

int demo()
{
	kuipc::demo::begin();
	gn::Client c;
	const std::string fd = std::to_string(c.fd());
	say("socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC) = " + fd +
	    "; nlctrl GETFAMILY " + quoted(KUIPC_GENETLINK_FAMILY_NAME) + " = id " +
	    std::to_string(c.family_id()) + ", group " +
	    quoted(KUIPC_GENETLINK_MCGRP_EVENTS) + " = " +
	    std::to_string(c.events_group()));

	gn::Subscriber sub;
	const std::string sfd = std::to_string(sub.fd());
	say("socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC) = " + sfd +
	    "; setsockopt(" + sfd + ", SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, " +
	    std::to_string(c.events_group()) + ") = 0");

	const std::string text = "hello, kernel";
	const std::string back = c.echo(text);
	say("sendmsg(" + fd + ", ECHO {STRING " + quoted(text) + "}) ; recvmsg(" +
	    fd + ") = ECHO {STRING " + quoted(back) + "}");

	const gn::Value before = c.get();
	say("sendmsg(" + fd + ", GET {}) ; recvmsg(" + fd + ") = GET " +
	    value_str(before));

	const uint32_t next = before.value == 42 ? 43 : 42;
	c.set(next);
	say("sendmsg(" + fd + ", SET {VALUE " + std::to_string(next) +
	    "}) ; recvmsg(" + fd + ") = ACK 0");

	const auto ntf = sub.wait(5000);
	if (!ntf)
		kuipc::throw_err(ETIMEDOUT, "no VALUE_NTF within 5 s");
	say("recvmsg(" + sfd + ") = VALUE_NTF " + value_str(ntf->value) +
	    " from port " + std::to_string(ntf->setter_port));

	try {
		c.request(KUIPC_GENETLINK_CMD_SET, 0, {}, {});
		kuipc::throw_err(EPROTO, "SET without a value was accepted");
	} catch (const gn::NetlinkError &e) {
		say("sendmsg(" + fd + ", SET {}) ; recvmsg(" + fd + ") = " + refusal(e));
	}
	try {
		c.set(KUIPC_GENETLINK_VALUE_MAX + 1);
		kuipc::throw_err(EPROTO, "SET out of range was accepted");
	} catch (const gn::NetlinkError &e) {
		say("sendmsg(" + fd + ", SET {VALUE " +
		    std::to_string(KUIPC_GENETLINK_VALUE_MAX + 1) + "}) ; recvmsg(" + fd +
		    ") = " + refusal(e));
	}

	gn::DumpStats st;
	const auto entries = c.dump(&st);
	say("sendmsg(" + fd + ", DUMP NLM_F_DUMP) ; recvmsg(" + fd + ") ... = " +
	    std::to_string(entries.size()) + " entries in " +
	    std::to_string(st.messages) + " messages, " + std::to_string(st.bytes) +
	    " bytes, then NLMSG_DONE; first " +
	    (entries.empty() ? "-" : quoted(entries.front().name)) + ", last " +
	    (entries.empty() ? "-" : quoted(entries.back().name)));

	c.set(before.value);
	say("sendmsg(" + fd + ", SET {VALUE " + std::to_string(before.value) +
	    "}) ; recvmsg(" + fd + ") = ACK 0 (value restored)");
	say("close(" + sfd + ") = 0 ; close(" + fd + ") = 0");
	kuipc::demo::end();
	return 0;
}

int run(const std::vector<std::string_view> &args)
{
	if (args.empty()) {
		usage(stderr);
		return 2;
	}
	const std::string_view cmd = args[0];
	if (cmd == "help" || cmd == "-h" || cmd == "--help") {
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
	usage(stderr);
	return 2;
}

} // namespace

int main(int argc, char **argv)
{
	const std::span<char *> all(argv, static_cast<size_t>(argc));
	const std::vector<std::string_view> args(all.begin() + 1, all.end());
	try {
		return run(args);
	} catch (const kuipc::Error &e) {
		std::cout.flush();
		std::fprintf(stderr, "%s: %s (errno %d)\n", kProg, e.what(), e.err());
	} catch (const std::exception &e) {
		std::cout.flush();
		std::fprintf(stderr, "%s: %s\n", kProg, e.what());
	}
	return 1;
}
