// SPDX-License-Identifier: GPL-2.0
// kuipc-signal: command line client of /dev/kuipc_signal.
#include "cli.hpp"
#include "demo.hpp"
#include "error.hpp"
#include "signal.hpp"
#include "syscall.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ks = kuipc::signal;

constexpr const char *prog = "kuipc-signal";

void usage(FILE *to)
{
	std::fprintf(to,
		     "usage: %s [--device PATH] COMMAND [ARGS]\n"
		     "commands:\n"
		     "  listen [--thread] [--count N] [--timeout MS] [SIGNO]\n"
		     "                         register for SIGNO (default SIGRTMIN,\n"
		     "                         %d..%d) and print each signal; stop\n"
		     "                         after N signals (0: never) or MS ms\n"
		     "                         without one\n"
		     "  trigger VALUE          send an event (ioctl; needs write access)\n"
		     "  write VALUE            send an event with write(2)\n"
		     "  stats                  print the device's counters\n"
		     "  demo                   narrated round trip\n"
		     "device: %s\n",
		     prog, KUIPC_SIGNAL_SIGNO_MIN, KUIPC_SIGNAL_SIGNO_MAX,
		     KUIPC_SIGNAL_PATH);
}

using kuipc::cli::Usage;

int parse_int(std::string_view s)
{
	int v = 0;
	const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size())
		throw Usage("not a number: " + std::string(s));
	return v;
}

int32_t parse_value(std::string_view s)
{
	try {
		return ks::parse_value(s);
	} catch (const kuipc::Error &) {
		throw Usage("not a 32-bit decimal value: " + std::string(s));
	}
}

/* Read one signal for the demo, or fail the demo. */
ks::Event demo_read(ks::SignalFd &sfd, int32_t want)
{
	const std::optional<ks::Event> ev = sfd.wait(5000);
	if (!ev)
		throw kuipc::Error(ETIMEDOUT, "no signal within 5 s");
	if (ev->value != want)
		throw kuipc::Error(EIO, "payload " + std::to_string(ev->value) +
						", expected " + std::to_string(want));
	return *ev;
}

/*
 * Fork a child that registers itself on the inherited file dev and exits;
 * returns its exit code (0: registered, else the errno).
 */
int child_registers(ks::Device &dev, int signo)
{
	std::fflush(nullptr);
	const pid_t child = kuipc::sys::fork();
	if (child < 0)
		kuipc::throw_errno("fork");
	if (child == 0) {
		int code = 0;
		try {
			dev.register_process(signo);
		} catch (const kuipc::Error &e) {
			code = e.err();
		}
		std::fflush(nullptr);
		::_exit(code);
	}
	int status = 0;
	while (kuipc::sys::waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			kuipc::throw_errno("waitpid");
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : ECHILD;
}

/*
 * The receiver's signal: two events, then three queued in order. Returns
 * the time from the first trigger to its signal read, in us.
 */
double demo_events(ks::Device &tx, ks::SignalFd &sfd)
{
	namespace demo = kuipc::demo;
	kuipc::demo::Stopwatch sw;
	sw.start();
	(void)tx.trigger(42);
	(void)demo_read(sfd, 42);
	sw.stop();
	tx.write_value(7);
	(void)demo_read(sfd, 7);

	demo::note("real-time signals queue: three events, three signals, in order");
	for (int32_t v = 1; v <= 3; ++v)
		(void)tx.trigger(v);
	for (int32_t v = 1; v <= 3; ++v)
		(void)demo_read(sfd, v);
	return sw.us();
}

void demo_refused(ks::Device &rx, ks::Device &tx, int signo)
{
	namespace demo = kuipc::demo;
	demo::note("what the module refuses");
	demo::refused(EINVAL, [&] { rx.register_process(SIGUSR1); });
	demo::refused(EBUSY, [&] { rx.register_process(signo); });
	demo::refused(EBADF, [&] { (void)rx.trigger(1); });
	const std::string junk = "forty-two\n";
	if (kuipc::sys::write(tx.fd(), junk.data(), junk.size()) >= 0 || errno != EINVAL)
		throw kuipc::Error(EPROTO, "a write of junk was not refused with EINVAL");
}

int demo(const std::string &path)
{
	namespace demo = kuipc::demo;
	demo::begin();
	const int signo = ks::rt_signal(0);
	demo::note("receiver: block the signal, then read it from a "
		   "signalfd (its default action would kill us)");
	ks::BlockedSignals blocked({signo});
	ks::SignalFd sfd(blocked.set());
	ks::Device rx(O_RDONLY, path);
	rx.register_process(signo);
	(void)rx.registration();

	demo::note("sender: an event is a TRIGGER ioctl or a write() "
		   "on a file opened for writing");
	ks::Device tx(O_WRONLY, path);
	const double us = demo_events(tx, sfd);
	demo_refused(rx, tx, signo);

	demo::note("a registration lives as long as its file, which "
		   "may outlive the process: then it is gone");
	std::optional<ks::Device> shared;
	shared.emplace(O_RDONLY, path);
	demo::note("a child registers itself on the inherited file, then exits");
	const int code = child_registers(*shared, signo);
	if (code != 0)
		throw kuipc::Error(code, "child registration");
	(void)tx.trigger(43);
	(void)shared->registration();
	(void)demo_read(sfd, 43);
	shared.reset();
	(void)tx.trigger(44);
	(void)demo_read(sfd, 44);
	(void)tx.stats();

	std::array<char, 96> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: trigger ioctl to signal read in %.1f us", us);
	demo::note(line.data());
	demo::end();
	return 0;
}

int listen(const std::string &path, const std::vector<std::string> &args,
	   size_t i)
{
	bool thread = false;
	int count = 0;
	int timeout = -1;
	std::optional<int> signo;
	for (; i < args.size(); ++i) {
		if (args[i] == "--thread") {
			thread = true;
		} else if (args[i] == "--count" && i + 1 < args.size()) {
			count = parse_int(args[++i]);
		} else if (args[i] == "--timeout" && i + 1 < args.size()) {
			timeout = parse_int(args[++i]);
		} else if (!signo) {
			signo = parse_int(args[i]);
		} else {
			throw Usage("unexpected argument: " + args[i]);
		}
	}
	ks::Listener l(signo.value_or(SIGRTMIN),
		       thread ? ks::Listener::Scope::thread
			      : ks::Listener::Scope::process,
		       path);
	std::printf("registered pid %d for %s; waiting\n", ::getpid(),
		    ks::signal_name(l.signo()).c_str());
	std::fflush(stdout);
	for (int n = 0; count == 0 || n < count; ++n) {
		const std::optional<ks::Event> ev = l.wait(timeout);
		if (!ev)
			throw kuipc::Error(ETIMEDOUT, "no signal within " +
							      std::to_string(timeout) +
							      " ms");
		std::printf("%s\n", ks::to_string(*ev).c_str());
		std::fflush(stdout);
	}
	return 0;
}

int run(const std::vector<std::string> &args)
{
	std::string path = KUIPC_SIGNAL_PATH;
	size_t i = 0;
	if (i + 1 < args.size() && args[i] == "--device") {
		path = args[i + 1];
		i += 2;
	}
	if (i >= args.size())
		throw Usage("no command");
	const std::string &cmd = args[i++];
	const size_t nargs = args.size() - i;

	if (cmd == "demo" && nargs == 0)
		return demo(path);
	if (cmd == "listen")
		return listen(path, args, i);
	if (cmd == "trigger" && nargs == 1) {
		ks::Device dev(O_WRONLY, path);
		const ks::Trigger t = dev.trigger(parse_value(args[i]));
		std::printf("delivered %u, gone %u, failed %u, refused %u\n",
			    t.delivered, t.gone, t.failed, t.refused);
		return 0;
	}
	if (cmd == "write" && nargs == 1) {
		ks::Device dev(O_WRONLY, path);
		dev.write_value(parse_value(args[i]));
		return 0;
	}
	if (cmd == "stats" && nargs == 0) {
		const ks::Stats st = ks::Device(O_RDONLY, path).stats();
		std::printf("%s\n", ks::to_string(st).c_str());
		return 0;
	}
	throw Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
