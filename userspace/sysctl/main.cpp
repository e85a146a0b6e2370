// SPDX-License-Identifier: GPL-2.0
// kuipc-sysctl: command line client of kuipc_sysctl.ko.
#include "sysctl.hpp"
#include "demo.hpp"
#include "cli.hpp"

#include "error.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sysctl = kuipc::sysctl;
using sysctl::Entry;

constexpr const char *prog = "kuipc-sysctl";

void usage(std::FILE *out)
{
	std::fprintf(out,
		     "usage: %s COMMAND\n"
		     "  get [ENTRY...]     print entries as sysctl(8) does "
		     "(all by default)\n"
		     "  set ENTRY VALUE    write VALUE to ENTRY\n"
		     "  reset              put back the values of module load\n"
		     "  demo               a narrated round trip, one line per "
		     "system call\n"
		     "ENTRY is value (%d..%d), name (up to %zu bytes) or "
		     "enabled (0 or 1),\n"
		     "with or without the \"%s.\" of its sysctl key; the files "
		     "are in %s.\n",
		     prog, sysctl::value_min, sysctl::value_max,
		     sysctl::name_max, KUIPC_SYSCTL_DIR, sysctl::dir_path);
}

/* Compare what the kernel returned with what it should have. */
void verify(const std::string &what, const std::string &got,
	    const std::string &want)
{
	if (got == want)
		return;
	kuipc::throw_err(EBADMSG, what + ": read \"" + sysctl::escape(got) +
					  "\", expected \"" +
					  sysctl::escape(want) + "\"");
}

/* A write the kernel must refuse with err. */
void expect_refused(const sysctl::Client &client, Entry e,
		    std::string_view text, int err)
{
	kuipc::demo::refused(err, [&] { client.write(e, text); });
}

/* The entry a command line names; a usage error if none. */
Entry entry_arg(std::string_view name)
{
	try {
		return sysctl::entry_from(name);
	} catch (const kuipc::Error &e) {
		throw kuipc::cli::Usage(e.what());
	}
}

int cmd_get(const sysctl::Client &client,
	    const std::vector<std::string_view> &names)
{
	std::vector<Entry> which;
	which.reserve(names.size());
	for (const auto n : names)
		which.push_back(entry_arg(n));
	if (which.empty())
		which.assign(sysctl::entries.begin(), sysctl::entries.end());
	for (const Entry e : which) {
		const std::string text = client.read(e);
		std::printf("%s = %s\n", sysctl::key(e).c_str(),
			    std::string(sysctl::strip_newline(text)).c_str());
	}
	return 0;
}

int cmd_set(const sysctl::Client &client, std::string_view name,
	    std::string_view value)
{
	const Entry e = entry_arg(name);
	if (e == Entry::name)
		client.set_name(value);
	else
		client.write(e, std::string(value) + "\n");
	return 0;
}

/*
 * Run a sysctl(8) command line (busybox's in the guest) and show it and its
 * output as one step; throws if it fails.
 */
void run_sysctl(const std::string &cmdline)
{
	struct Closer {
		void operator()(FILE *f) const { ::pclose(f); }
	};
	std::unique_ptr<FILE, Closer> pipe(::popen((cmdline + " 2>&1").c_str(), "r"));
	if (!pipe)
		kuipc::throw_errno("popen " + cmdline);
	std::string out;
	std::array<char, 256> buf{};
	while (std::fgets(buf.data(), buf.size(), pipe.get()) != nullptr)
		out += buf.data();
	const int status = ::pclose(pipe.release());
	while (!out.empty() && out.back() == '\n')
		out.pop_back();
	kuipc::demo::step("$ " + cmdline + "  ->  " + out);
	if (status != 0)
		kuipc::throw_err(EIO, cmdline + " failed: " + out);
}

int cmd_demo()
{
	using kuipc::demo::note;
	kuipc::demo::begin(48);
	const sysctl::Client client;
	const std::string too_big = std::to_string(sysctl::value_max + 1);
	const std::string too_long(sysctl::name_max + 1, 'x');

	note("1. read the int: proc_dointvec_minmax() prints it in decimal");
	(void)client.read(Entry::value);

	note("2. write 42 and read it back");
	client.write(Entry::value, "42\n");
	verify(sysctl::path(Entry::value), client.read(Entry::value), "42\n");

	note("3. " + too_big + " is above the maximum " +
	    std::to_string(sysctl::value_max) +
	    ": EINVAL, and the value stays 42");
	expect_refused(client, Entry::value, too_big + "\n", EINVAL);
	verify(sysctl::path(Entry::value), client.read(Entry::value), "42\n");

	note("4. write a name and read it back (a mutex makes it atomic)");
	client.write(Entry::name, "demo\n");
	verify(sysctl::path(Entry::name), client.read(Entry::name), "demo\n");

	note("5. a name of " + std::to_string(too_long.size()) +
	    " bytes is too long: EINVAL, not silently cut");
	expect_refused(client, Entry::name, too_long + "\n", EINVAL);
	verify(sysctl::path(Entry::name), client.read(Entry::name), "demo\n");

	note("6. the bool: write 1, read it back; \"yes\" is no number: "
	    "EINVAL");
	client.write(Entry::enabled, "1\n");
	expect_refused(client, Entry::enabled, "yes\n", EINVAL);
	verify(sysctl::path(Entry::enabled), client.read(Entry::enabled),
	       "1\n");

	note("7. the same entries through sysctl(8), as an administrator "
	    "would use them");
	run_sysctl("sysctl " KUIPC_SYSCTL_DIR "." KUIPC_SYSCTL_VALUE);
	run_sysctl("sysctl -w " KUIPC_SYSCTL_DIR "." KUIPC_SYSCTL_VALUE "=7");
	verify(sysctl::path(Entry::value), client.read(Entry::value), "7\n");

	note("8. put back the values the module loaded with");
	client.reset();
	verify(sysctl::path(Entry::value), client.read(Entry::value),
	       std::to_string(sysctl::value_default) + "\n");
	note("done: " + std::to_string(sysctl::entries.size()) +
	    " entries, every round trip as expected");
	kuipc::demo::end();
	return 0;
}

int run(const std::vector<std::string> &args)
{
	if (args.empty())
		throw kuipc::cli::Usage("no command");
	const std::string &cmd = args[0];
	const std::vector<std::string_view> rest(args.begin() + 1, args.end());
	const sysctl::Client client;

	if (cmd == "get")
		return cmd_get(client, rest);
	if (cmd == "set" && rest.size() == 2)
		return cmd_set(client, rest[0], rest[1]);
	if (cmd == "reset" && rest.empty()) {
		client.reset();
		return 0;
	}
	if (cmd == "demo" && rest.empty())
		return cmd_demo();
	throw kuipc::cli::Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
