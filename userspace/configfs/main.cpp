// SPDX-License-Identifier: GPL-2.0
// kuipc-configfs: command line client of kuipc_configfs.ko.
#include "configfs.hpp"
#include "cli.hpp"
#include "demo.hpp"

#include "error.hpp"

#include <cerrno>
#include <cstdio>
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

/* Fail unless got == want; what names the check. */
template <typename T>
void verify(const std::string &what, const T &got, const T &want)
{
	if (!(got == want))
		kuipc::throw_err(EPROTO, what + ": not what the kernel should hold");
}

int cmd_demo()
{
	using kuipc::demo::note;
	kuipc::demo::begin(96);
	const cfs::Client client;
	const std::string name = "demo";

	cfs::Client::check_available();

	note("1. mkdir: configfs calls make_item(), the module allocates an "
	    "item");
	client.create(name);

	note("2. the new item starts with settings/initial");
	const int initial = client.initial();
	verify("value of a new item", client.value(name), initial);

	note("3. write a value: store() parses it and the kernel keeps it");
	client.set_value(name, 42);
	verify("value read back", client.value(name), 42);

	note("4. summary: what the kernel holds, read under su_mutex");
	cfs::Summary s = client.summary();
	verify("summary", s.find(name), std::optional<int>(42));

	note("5. bad input: not a number -> EINVAL, out of range -> ERANGE; "
	    "the value stays 42");
	kuipc::demo::refused(EINVAL, [&] { client.write_value(name, "forty-two\n"); });
	kuipc::demo::refused(ERANGE, [&] {
		client.set_value(name, cfs::value_max + 1);
	});
	verify("value after bad input", client.value(name), 42);

	note("6. rmdir: drop_item() drops the reference, release() frees "
	    "the item");
	client.remove(name);
	s = client.summary();
	verify("item gone from summary", s.find(name), std::optional<int>());
	note(std::to_string(s.items) + " items, " +
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
	if (args.empty())
		throw kuipc::cli::Usage("no command");
	const std::string &cmd = args[0];
	const std::vector<std::string> rest(args.begin() + 1, args.end());
	const cfs::Client client;

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
	if (!rest.empty()) 
		throw kuipc::cli::Usage("bad arguments for " + cmd);
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
	throw kuipc::cli::Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
