// SPDX-License-Identifier: GPL-2.0
// kuipc-sysfs: command line client of kuipc_sysfs.ko.
#include "sysfs.hpp"
#include "cli.hpp"
#include "demo.hpp"

#include "error.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sysfs = kuipc::sysfs;

constexpr const char *prog = "kuipc-sysfs";

/* How long the demo waits for a notification before giving up. */
constexpr int demo_timeout_ms = 5000;

void usage(std::FILE *out)
{
	std::fprintf(out,
		     "usage: %s COMMAND\n"
		     "  show              print every attribute and parameter\n"
		     "  get NAME          print one of them (value, label, "
		     "writes, event, step, tick_ms)\n"
		     "  set NAME TEXT     write TEXT and a newline to it "
		     "(value, label, step, tick_ms)\n"
		     "  trigger [N]       advance event N times (default 1)\n"
		     "  watch [NAME] [-n COUNT] [-t MS]\n"
		     "                    print NAME (default event), then its "
		     "new text on each\n"
		     "                    notification; stop after COUNT "
		     "(default: never) or fail\n"
		     "                    when none arrives within MS "
		     "(default: wait forever)\n"
		     "  demo              a narrated round trip, one line per "
		     "system call\n"
		     "Files are under %s and %s.\n",
		     prog, sysfs::dir_path, sysfs::params_path);
}

/* A non-negative decimal command line argument; a usage error otherwise. */
long long number(std::string_view arg, const char *what)
{
	long long v = 0;
	const auto *end = arg.data() + arg.size();
	const auto [ptr, ec] = std::from_chars(arg.data(), end, v);
	if (arg.empty() || ec != std::errc() || ptr != end || v < 0)
		throw kuipc::cli::Usage(std::string(what) + ": \"" + std::string(arg) +
					"\" is not a count");
	return v;
}

int cmd_show(const sysfs::Client &client)
{
	for (const auto &f : sysfs::files()) {
		if ((f.mode & 0444) == 0)
			continue; /* trigger: write-only */
		const std::string text = client.read(f.path);
		std::printf("%-8s = %s\n", f.name,
			    sysfs::strip_newline(text, f.path).c_str());
	}
	return 0;
}

int cmd_watch(const std::vector<std::string_view> &args)
{
	std::string name = KUIPC_SYSFS_EVENT;
	long long count = 0;
	int timeout_ms = -1;

	for (std::size_t i = 0; i < args.size(); i++) {
		if ((args[i] == "-n" || args[i] == "-t") && i + 1 < args.size()) {
			const long long v = number(args[i + 1], "watch");
			if (args[i] == "-n") {
				count = v;
			} else {
				if (v > 24LL * 3600 * 1000)
					throw kuipc::cli::Usage("watch: timeout too long");
				timeout_ms = static_cast<int>(v);
			}
			i++;
		} else if (i == 0 && !args[i].empty() && args[i].front() != '-') {
			name = args[i];
		} else {
			throw kuipc::cli::Usage("watch: unexpected argument " + std::string(args[i]));
		}
	}

	sysfs::Watcher watcher(sysfs::path_of(name));
	std::printf("%s = %s\n", name.c_str(), watcher.text().c_str());
	std::fflush(stdout);
	for (long long seen = 0; count == 0 || seen < count; seen++) {
		if (!watcher.wait(timeout_ms))
			kuipc::throw_err(ETIMEDOUT,
					 "no notification of " + name +
						 " within " +
						 std::to_string(timeout_ms) +
						 " ms");
		std::printf("%s = %s\n", name.c_str(), watcher.text().c_str());
		std::fflush(stdout);
	}
	return 0;
}

int cmd_demo()
{
	using kuipc::demo::note;
	kuipc::demo::begin(64);
	const sysfs::Client client;
	const std::string bad = std::to_string(sysfs::value_max + 1);

	note("1. read the int attribute: sysfs calls the module's show()");
	const int before = client.value();

	note("2. write 42: store() parses it with kstrtoint(), newline and "
	    "all");
	client.set_value(42);
	if (client.value() != 42)
		kuipc::throw_err(EPROTO, "value did not read back as 42");

	note("3. " + bad + " is out of range: EINVAL, and the value stays 42");
	kuipc::demo::refused(EINVAL, [&] { client.set_value(sysfs::value_max + 1); });
	if (client.value() != 42)
		kuipc::throw_err(EPROTO, "a rejected write changed value");

	note("4. the string attribute: one trailing newline is dropped");
	client.set_label("hello from user space");
	if (client.label() != "hello from user space")
		kuipc::throw_err(EPROTO, "label did not read back");

	note("5. the counter is read-only: even root cannot open it for "
	    "writing");
	kuipc::demo::refused(EACCES, [&] { client.write(sysfs::writes_path, "0\n"); });
	note("accepted writes so far: " + std::to_string(client.writes()));

	note("6. watch event: read it once, then poll() for POLLPRI");
	sysfs::Watcher watcher(sysfs::event_path);
	const std::string first = watcher.text();
	note("7. trigger: the module advances event and calls "
	    "sysfs_notify()");
	client.trigger();
	note("8. poll() returns at once because event changed since our read;"
	    " pread() from 0");
	if (!watcher.wait(demo_timeout_ms))
		kuipc::throw_err(ETIMEDOUT, "no notification of event");
	note("event went from " + first + " to " + watcher.text());

	note("9. module parameters: step is checked by its kernel_param_ops");
	const int step = client.step();
	kuipc::demo::refused(EINVAL, [&] { client.set_step(0); });
	if (client.step() != step)
		kuipc::throw_err(EPROTO, "a rejected step changed the parameter");

	note("10. put value and label back");
	client.set_value(before);
	client.set_label(sysfs::label_default);
	kuipc::demo::end();
	return 0;
}

int run(const std::vector<std::string> &args)
{
	if (args.empty())
		throw kuipc::cli::Usage("no command");
	const std::string &cmd = args[0];
	const std::vector<std::string_view> rest(args.begin() + 1, args.end());
	const sysfs::Client client;

	if (cmd == "help") {
		usage(stdout);
		return 0;
	}
	if (cmd == "show" && rest.empty())
		return cmd_show(client);
	if (cmd == "get" && rest.size() == 1) {
		const std::string text = client.read(sysfs::path_of(rest[0]));
		std::fwrite(text.data(), 1, text.size(), stdout);
		return 0;
	}
	if (cmd == "set" && rest.size() == 2) {
		client.write(sysfs::path_of(rest[0]), std::string(rest[1]) + "\n");
		return 0;
	}
	if (cmd == "trigger" && rest.size() <= 1) {
		const long long n = rest.empty() ? 1 : number(rest[0], "trigger");
		for (long long i = 0; i < n; i++)
			client.trigger();
		return 0;
	}
	if (cmd == "watch")
		return cmd_watch(rest);
	if (cmd == "demo" && rest.empty())
		return cmd_demo();
	throw kuipc::cli::Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
