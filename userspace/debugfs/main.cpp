// SPDX-License-Identifier: GPL-2.0
// kuipc-debugfs: command line client of kuipc_debugfs.ko.
#include "debugfs.hpp"
#include "cli.hpp"
#include "demo.hpp"

#include "error.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace debugfs = kuipc::debugfs;

constexpr const char *prog = "kuipc-debugfs";

/* The files "get" and "set" accept, by name. */
const std::map<std::string_view, const char *> &files()
{
	static const std::map<std::string_view, const char *> m = {
		{KUIPC_DEBUGFS_VALUE, debugfs::value_path},
		{KUIPC_DEBUGFS_MASK, debugfs::mask_path},
		{KUIPC_DEBUGFS_OVERWRITE, debugfs::overwrite_path},
		{KUIPC_DEBUGFS_INFO, debugfs::info_path},
		{KUIPC_DEBUGFS_CAPACITY, debugfs::capacity_path},
		{KUIPC_DEBUGFS_EVENTS, debugfs::events_path},
	};
	return m;
}

void usage(std::FILE *out)
{
	std::fprintf(
		out,
		"usage: %s COMMAND\n"
		"  status          print every file of %s\n"
		"  get FILE        print one file as the kernel returns it\n"
		"  set FILE TEXT   write TEXT and a newline to FILE, one "
		"write()\n"
		"  event TEXT...   append each TEXT as one event\n"
		"  log             print the event log\n"
		"  clear           remove all events\n"
		"  demo            a narrated round trip, one line per "
		"system call\n"
		"FILE is one of value, mask, overwrite, info, capacity, "
		"events.\n",
		prog, debugfs::dir_path);
}

const char *file_path(std::string_view name)
{
	const auto it = files().find(name);
	if (it == files().end())
		throw kuipc::cli::Usage("no file named \"" + std::string(name) + "\" in " +
					debugfs::dir_path);
	return it->second;
}

void print_info(const debugfs::Info &info)
{
	std::printf("info: magic 0x%08x, ABI %u, log of %u..%u events "
		    "(default %u) of up to %u bytes\n",
		    info.magic, info.abi_version, info.capacity_min,
		    info.log_max, info.capacity_default, info.event_max);
}

int cmd_status(const debugfs::Client &client)
{
	print_info(client.info());
	std::printf("value: %" PRIu32 "\n", client.value());
	std::printf("mask: 0x%016" PRIx64 "\n", client.mask());
	std::printf("overwrite: %s\n", client.overwrite() ? "Y" : "N");
	std::printf("capacity: %" PRIu32 "\n", client.capacity());
	std::printf("events: %zu stored\n", client.events().size());
	return 0;
}

int cmd_get(const debugfs::Client &client, std::string_view name)
{
	const char *path = file_path(name);
	if (name == KUIPC_DEBUGFS_INFO) {
		print_info(client.info());
		return 0;
	}
	const std::string text = client.read_file(path);
	std::fwrite(text.data(), 1, text.size(), stdout);
	return 0;
}

int cmd_log(const debugfs::Client &client)
{
	for (const auto &ev : client.events())
		std::printf("%6" PRIu64 "  %s\n", ev.seq, ev.text.c_str());
	return 0;
}

/* Run fn, which must fail with errno want; narrate the outcome. */
template <typename Fn> void expect_error(int want, Fn fn)
{
	kuipc::demo::refused(want, fn);
	kuipc::demo::note("   refused as expected");
}

void check(bool ok, const std::string &what)
{
	if (!ok)
		kuipc::throw_err(EPROTO, what);
}

int cmd_demo()
{
	using kuipc::demo::note;
	kuipc::demo::begin(40);
	const debugfs::Client client;

	note("1. the info blob (debugfs_create_blob): binary, fixed size");
	const debugfs::Info info = client.info();
	check(info.abi_version == KUIPC_DEBUGFS_ABI_VERSION, "ABI version");
	note("   magic ok, ABI " + std::to_string(info.abi_version) +
	    ", up to " + std::to_string(info.log_max) + " events");

	note("2. value (debugfs_create_u32): write 7, read it back");
	client.set_value(7);
	check(client.value() == 7, "value did not read back as 7");

	note("3. the u32 helper does not range-check: 2^32 + 2 is stored "
	    "as 2");
	client.set_value((1ULL << 32) + 2);
	check(client.value() == 2, "value was not truncated to 2");

	note("4. capacity checks its range itself: 2^32 + 2 gets ERANGE");
	expect_error(ERANGE, [&] { client.set_capacity((1ULL << 32) + 2); });
	client.set_capacity(4);

	note("5. mask (debugfs_create_x64) reads as 0x%016llx");
	client.set_mask(0xdeadbeef);
	check(client.mask() == 0xdeadbeef, "mask did not read back");

	note("6. events: clear, append three, read them back");
	client.clear();
	for (const char *text : {"first", "second", "third"})
		client.append(text);
	const auto evs = client.events();
	check(evs.size() == 3 && evs[2].text == "third", "events read back");

	note("7. an event with a newline inside is refused with EINVAL");
	expect_error(EINVAL, [&] { client.append("two\nlines"); });

	note("8. capacity 4 with overwrite Y: a fifth event drops the first");
	client.set_overwrite(true);
	client.append("fourth");
	client.append("fifth");
	const auto ring = client.events();
	check(ring.size() == 4 && ring.front().text == "second",
	      "the oldest event was not dropped");

	note("9. overwrite N (debugfs_create_bool): a full log gets ENOSPC");
	client.set_overwrite(false);
	expect_error(ENOSPC, [&] { client.append("sixth"); });
	client.set_overwrite(true);
	client.set_capacity(debugfs::capacity_default);
	note("done: every value read back as the kernel stored it");
	kuipc::demo::end();
	return 0;
}

int run(const std::vector<std::string> &args)
{
	if (args.empty())
		throw kuipc::cli::Usage("no command");
	const std::string &cmd = args[0];
	const std::vector<std::string_view> rest(args.begin() + 1, args.end());
	const debugfs::Client client;

	if (cmd == "event" && !rest.empty()) {
		for (const auto text : rest)
			client.append(text);
		return 0;
	}
	if (cmd == "get" && rest.size() == 1)
		return cmd_get(client, rest[0]);
	if (cmd == "set" && rest.size() == 2) {
		client.write_file(file_path(rest[0]),
				  std::string(rest[1]) + "\n");
		return 0;
	}
	if (!rest.empty()) 
		throw kuipc::cli::Usage("bad arguments for " + cmd);
	if (cmd == "status")
		return cmd_status(client);
	if (cmd == "log")
		return cmd_log(client);
	if (cmd == "clear") {
		client.clear();
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
