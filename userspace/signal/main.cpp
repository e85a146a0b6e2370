// SPDX-License-Identifier: GPL-2.0
// kuipc-signal: command line client of /dev/kuipc_signal.
#include "demo.hpp"
#include "error.hpp"
#include "signal.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
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

struct Usage {
	std::string why;
};

int parse_int(std::string_view s)
{
	int v = 0;
	const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size())
		throw Usage{"not a number: " + std::string(s)};
	return v;
}

int32_t parse_value(std::string_view s)
{
	try {
		return ks::parse_value(s);
	} catch (const kuipc::Error &) {
		throw Usage{"not a 32-bit decimal value: " + std::string(s)};
	}
}

/* One step of the narration, after the kernel lines it caused. */
void say(const std::string &line)
{
	kuipc::demo::step(line);
}

/* A raw call's result, with errno taken before anything can change it. */
struct Ret {
	long ret;
	int err;
};

Ret ret_of(long ret)
{
	return {ret, ret < 0 ? errno : 0};
}

/* " = 0" or " = -1 EBADF (Bad file descriptor)" */
std::string result(Ret r)
{
	if (r.ret >= 0)
		return " = " + std::to_string(r.ret);
	const char *desc = ::strerrordesc_np(r.err);
	return " = -1 " + ks::errno_name(r.err) + " (" +
	       (desc != nullptr ? desc : "Unknown error") + ")";
}

std::string sigset_str(int signo)
{
	/* strace omits the SIG prefix inside sets. */
	return "[" + ks::signal_name(signo).substr(3) + "]";
}

std::string trigger_in(const ks::Trigger &t)
{
	return "{size=" + std::to_string(t.size) +
	       ", value=" + std::to_string(t.value) + "}";
}

using Clock = std::chrono::steady_clock;

/* Read one signal for the demo, or fail the demo. */
ks::Event demo_read(ks::SignalFd &sfd, int32_t want)
{
	const std::optional<ks::Event> ev = sfd.wait(5000);
	if (!ev)
		throw kuipc::Error(ETIMEDOUT, "no signal within 5 s");
	say("read(" + std::to_string(sfd.fd()) + ", [" + ks::to_string(*ev) +
	    "], " + std::to_string(sizeof(signalfd_siginfo)) + ") = " +
	    std::to_string(sizeof(signalfd_siginfo)));
	if (ev->value != want)
		throw kuipc::Error(EIO, "payload " + std::to_string(ev->value) +
						", expected " + std::to_string(want));
	return *ev;
}

int demo(const std::string &path)
{
	kuipc::demo::begin();
	const int signo = ks::rt_signal(0);
	kuipc::demo::note("receiver: block the signal, then read it from a "
			  "signalfd (its default action would kill us)");
	ks::BlockedSignals blocked({signo});
	say("rt_sigprocmask(SIG_BLOCK, " + sigset_str(signo) + ", NULL, 8) = 0");
	ks::SignalFd sfd(blocked.set());
	const std::string sfd_s = std::to_string(sfd.fd());
	say("signalfd4(-1, " + sigset_str(signo) + ", 8, SFD_CLOEXEC|SFD_NONBLOCK) = " +
	    sfd_s);

	ks::Device rx(O_RDONLY, path);
	const std::string rx_s = std::to_string(rx.fd());
	say("open(\"" + path + "\", O_RDONLY|O_CLOEXEC) = " + rx_s);
	const ks::Registration reg = ks::make_registration(signo);
	rx.register_as(reg);
	say("ioctl(" + rx_s + ", KUIPC_SIGNAL_REGISTER, " + ks::to_string(reg) +
	    ") = 0");
	say("ioctl(" + rx_s + ", KUIPC_SIGNAL_GET_REG, " +
	    ks::to_string(rx.registration()) + ") = 0");

	kuipc::demo::note("sender: an event is a TRIGGER ioctl or a write() "
			  "on a file opened for writing");
	ks::Device tx(O_WRONLY, path);
	const std::string tx_s = std::to_string(tx.fd());
	say("open(\"" + path + "\", O_WRONLY|O_CLOEXEC) = " + tx_s);
	const auto t0 = Clock::now();
	ks::Trigger trig = tx.trigger(42);
	say("ioctl(" + tx_s + ", KUIPC_SIGNAL_TRIGGER, " +
	    trigger_in(ks::make_trigger(42)) + " => " + ks::to_string(trig) +
	    ") = 0");
	(void)demo_read(sfd, 42);
	const auto rtt = Clock::now() - t0;

	tx.write_value(7);
	const std::string seven = ks::format_value(7);
	say("write(" + tx_s + ", \"7\\n\", " + std::to_string(seven.size()) +
	    ") = " + std::to_string(seven.size()));
	(void)demo_read(sfd, 7);

	kuipc::demo::note("real-time signals queue: three events, three "
			  "signals, in order");
	for (int32_t v = 1; v <= 3; ++v) {
		trig = tx.trigger(v);
		say("ioctl(" + tx_s + ", KUIPC_SIGNAL_TRIGGER, " +
		    trigger_in(ks::make_trigger(v)) + " => " +
		    ks::to_string(trig) + ") = 0");
	}
	for (int32_t v = 1; v <= 3; ++v)
		(void)demo_read(sfd, v);

	kuipc::demo::note("what the module refuses");
	ks::Registration bad = ks::make_registration(SIGUSR1);
	Ret r = ret_of(::ioctl(rx.fd(), KUIPC_SIGNAL_REGISTER, &bad));
	say("ioctl(" + rx_s + ", KUIPC_SIGNAL_REGISTER, " + ks::to_string(bad) +
	    ")" + result(r));
	ks::Registration again = reg;
	r = ret_of(::ioctl(rx.fd(), KUIPC_SIGNAL_REGISTER, &again));
	say("ioctl(" + rx_s + ", KUIPC_SIGNAL_REGISTER, " + ks::to_string(again) +
	    ")" + result(r));
	ks::Trigger t = ks::make_trigger(1);
	r = ret_of(::ioctl(rx.fd(), KUIPC_SIGNAL_TRIGGER, &t));
	say("ioctl(" + rx_s + ", KUIPC_SIGNAL_TRIGGER, " + trigger_in(t) + ")" +
	    result(r));
	const std::string junk = "forty-two\n";
	r = ret_of(::write(tx.fd(), junk.data(), junk.size()));
	say("write(" + tx_s + ", \"forty-two\\n\", " + std::to_string(junk.size()) +
	    ")" + result(r));

	kuipc::demo::note("a registration lives as long as its file, which "
			  "may outlive the process: then it is gone");
	std::optional<ks::Device> shared;
	shared.emplace(O_RDONLY, path);
	const std::string sh_s = std::to_string(shared->fd());
	say("open(\"" + path + "\", O_RDONLY|O_CLOEXEC) = " + sh_s);
	std::fflush(nullptr);
	const pid_t child = ::fork();
	if (child < 0)
		kuipc::throw_errno("fork");
	if (child == 0) {
		/* The child registers itself on the inherited file and exits. */
		ks::Registration mine = ks::make_registration(signo);
		const int rc = ::ioctl(shared->fd(), KUIPC_SIGNAL_REGISTER, &mine);
		::_exit(rc == 0 ? 0 : errno);
	}
	say("fork() = " + std::to_string(child));
	int status = 0;
	while (::waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			kuipc::throw_errno("waitpid");
	}
	const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	kuipc::demo::note("child " + std::to_string(child) + ": ioctl(" + sh_s +
			  ", KUIPC_SIGNAL_REGISTER, " + ks::to_string(reg) + ")" +
			  result({code == 0 ? 0 : -1, code}) + ", then _exit(0)");
	say("wait4(" + std::to_string(child) +
	    ", [{WIFEXITED(s) && WEXITSTATUS(s) == " + std::to_string(code) +
	    "}], 0, NULL) = " + std::to_string(child));
	if (code != 0)
		throw kuipc::Error(code > 0 ? code : ECHILD, "child registration");
	trig = tx.trigger(43);
	say("ioctl(" + tx_s + ", KUIPC_SIGNAL_TRIGGER, " +
	    trigger_in(ks::make_trigger(43)) + " => " + ks::to_string(trig) +
	    ") = 0");
	say("ioctl(" + sh_s + ", KUIPC_SIGNAL_GET_REG, " +
	    ks::to_string(shared->registration()) + ") = 0");
	(void)demo_read(sfd, 43);
	shared.reset();
	say("close(" + sh_s + ") = 0");
	trig = tx.trigger(44);
	say("ioctl(" + tx_s + ", KUIPC_SIGNAL_TRIGGER, " +
	    trigger_in(ks::make_trigger(44)) + " => " + ks::to_string(trig) +
	    ") = 0");
	(void)demo_read(sfd, 44);

	say("ioctl(" + tx_s + ", KUIPC_SIGNAL_GET_STATS, " +
	    ks::to_string(tx.stats()) + ") = 0");

	const auto us = std::chrono::duration<double, std::micro>(rtt).count();
	std::array<char, 96> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: trigger ioctl to signal read in %.1f us", us);
	say(line.data());
	kuipc::demo::end();
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
			throw Usage{"unexpected argument: " + args[i]};
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
		throw Usage{"no command"};
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
	throw Usage{"bad command or arguments: " + cmd};
}

} // namespace

int main(int argc, char **argv)
{
	const std::vector<std::string> args(argv + 1, argv + argc);
	if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
		usage(stdout);
		return 0;
	}
	try {
		return run(args);
	} catch (const Usage &u) {
		std::fprintf(stderr, "%s: %s\n", prog, u.why.c_str());
		usage(stderr);
		return 2;
	} catch (const kuipc::Error &e) {
		std::fflush(stdout);
		std::fprintf(stderr, "%s: %s (errno %d)\n", prog, e.what(), e.err());
		return 1;
	}
}
