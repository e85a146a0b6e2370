// SPDX-License-Identifier: GPL-2.0
// kuipc-configfs: command line client of kuipc_configfs.ko.
#include "configfs.hpp"
#include "demo.hpp"

#include "error.hpp"

#include <cerrno>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace cfs = kuipc::configfs;

constexpr const char *prog = "kuipc-configfs";

void usage(std::FILE *out)
{
	std::fprintf(out,
		     "usage: %s COMMAND\n"
		     "  summary          print %s\n"
		     "  list             print the item names, one per line\n"
		     "  create NAME...   mkdir each item\n"
		     "  remove NAME...   rmdir each item\n"
		     "  get NAME         print the value of an item\n"
		     "  set NAME VALUE   write VALUE (as given) to an item\n"
		     "  initial [VALUE]  print, or write, settings/initial\n"
		     "  clear            rmdir every item\n"
		     "  demo             a narrated round trip, one line per "
		     "system call\n",
		     prog, cfs::summary_path);
}

/* One narrated step, after the kernel log lines it caused (demo.hpp). */
void say(const std::string &line)
{
	kuipc::demo::step(line);
}

/* Fail unless the kernel refused with the errno the ABI promises. */
template <typename Fn> void expect_errno(int want, const char *what, Fn fn)
{
	try {
		fn();
	} catch (const kuipc::Error &e) {
		if (e.err() == want)
			return;
		throw;
	}
	kuipc::throw_err(EPROTO, std::string(what) + " was accepted");
}

/* Fail unless got == want; what names the check. */
template <typename T>
void verify(const std::string &what, const T &got, const T &want)
{
	if (!(got == want))
		kuipc::throw_err(EPROTO, what + ": not what the kernel should hold");
}

int cmd_demo()
{
	kuipc::demo::begin();
	const cfs::Client client(say);
	const std::string name = "demo";

	cfs::Client::check_available();

	say("# 1. mkdir: configfs calls make_item(), the module allocates an "
	    "item");
	client.create(name);

	say("# 2. the new item starts with settings/initial");
	const int initial = client.initial();
	verify("value of a new item", client.value(name), initial);

	say("# 3. write a value: store() parses it and the kernel keeps it");
	client.set_value(name, 42);
	verify("value read back", client.value(name), 42);

	say("# 4. summary: what the kernel holds, read under su_mutex");
	cfs::Summary s = client.summary();
	verify("summary", s.find(name), std::optional<int>(42));

	say("# 5. bad input: not a number -> EINVAL, out of range -> ERANGE; "
	    "the value stays 42");
	expect_errno(EINVAL, "a non-numeric value",
		     [&] { client.write_value(name, "forty-two\n"); });
	expect_errno(ERANGE, "an out-of-range value", [&] {
		client.set_value(name, cfs::value_max + 1);
	});
	verify("value after bad input", client.value(name), 42);

	say("# 6. rmdir: drop_item() drops the reference, release() frees "
	    "the item");
	client.remove(name);
	s = client.summary();
	verify("item gone from summary", s.find(name), std::optional<int>());
	say("# " + std::to_string(s.items) + " items, " +
	    std::to_string(s.allocated) + " allocated");
	kuipc::demo::end();
	return 0;
}

int cmd_summary(const cfs::Client &client)
{
	const std::string text = client.summary_raw();
	(void)cfs::parse_summary(text); /* refuse to print a malformed one */
	std::fwrite(text.data(), 1, text.size(), stdout);
	return 0;
}

int cmd_list()
{
	for (const auto &name : cfs::Client::list())
		std::printf("%s\n", name.c_str());
	return 0;
}

int run(const std::vector<std::string> &args)
{
	if (args.empty()) {
		usage(stderr);
		return 2;
	}
	const std::string &cmd = args[0];
	const std::vector<std::string> rest(args.begin() + 1, args.end());
	const cfs::Client client;

	if (cmd == "-h" || cmd == "--help") {
		usage(stdout);
		return 0;
	}
	if (cmd == "create" && !rest.empty()) {
		for (const auto &name : rest)
			client.create(name);
		return 0;
	}
	if (cmd == "remove" && !rest.empty()) {
		for (const auto &name : rest)
			client.remove(name);
		return 0;
	}
	if (cmd == "get" && rest.size() == 1) {
		std::printf("%d\n", client.value(rest[0]));
		return 0;
	}
	if (cmd == "set" && rest.size() == 2) {
		client.write_value(rest[0], rest[1] + "\n");
		return 0;
	}
	if (cmd == "initial" && rest.size() <= 1) {
		if (rest.empty())
			std::printf("%d\n", client.initial());
		else
			client.write_initial(rest[0] + "\n");
		return 0;
	}
	if (!rest.empty()) {
		usage(stderr);
		return 2;
	}
	if (cmd == "summary")
		return cmd_summary(client);
	if (cmd == "list")
		return cmd_list();
	if (cmd == "clear") {
		client.remove_all();
		return 0;
	}
	if (cmd == "demo")
		return cmd_demo();
	usage(stderr);
	return 2;
}

} // namespace

int main(int argc, char **argv)
{
	try {
		return run(std::vector<std::string>(argv + 1, argv + argc));
	} catch (const kuipc::Error &e) {
		std::fflush(stdout);
		std::fprintf(stderr, "%s: %s (errno %d)\n", prog, e.what(),
			     e.err());
	} catch (const std::exception &e) {
		std::fflush(stdout);
		std::fprintf(stderr, "%s: %s\n", prog, e.what());
	}
	return 1;
}
