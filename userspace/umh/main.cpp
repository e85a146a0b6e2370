// SPDX-License-Identifier: GPL-2.0
// kuipc-umh: command line client of kuipc_umh.ko (/dev/kuipc_umh).
#include "demo.hpp"
#include "error.hpp"
#include "umh.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace umh = kuipc::umh;

constexpr const char *prog = "kuipc-umh";

void usage(FILE *to)
{
	std::fprintf(to,
		     "usage: %s [--device PATH] COMMAND [ARGS]\n"
		     "commands (running the helper needs root):\n"
		     "  echo [--timeout MS] TEXT        helper reports TEXT, exits 0\n"
		     "  exit [--timeout MS] CODE TEXT   helper reports TEXT, exits CODE "
		     "(0..%d)\n"
		     "  hang [--timeout MS] TEXT        helper reports TEXT, sleeps "
		     "until killed\n"
		     "                                  (timeout default %d ms, max %d)\n"
		     "  stats                           print the module's counters\n"
		     "  helper                          print the helper path the "
		     "module runs\n"
		     "  demo                            narrated round trip\n"
		     "device: %s\n",
		     prog, KUIPC_UMH_EXIT_CODE_MAX, KUIPC_UMH_TIMEOUT_DEFAULT_MS,
		     KUIPC_UMH_TIMEOUT_MAX_MS, KUIPC_UMH_PATH);
}

struct Usage {
	std::string why;
};

uint32_t parse_u32(std::string_view s)
{
	uint32_t v = 0;
	const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size())
		throw Usage{"not a number: " + std::string(s)};
	return v;
}

void say(const std::string &line)
{
	kuipc::demo::step(line);
}

/* " = -1 EPERM (Operation not permitted)" for an errno. */
std::string failed(int err)
{
	const char *name = ::strerrorname_np(err);
	return " = -1 " + std::string(name != nullptr ? name : "E?") + " (" +
	       std::strerror(err) + ")";
}

/* One trigger, narrated as the ioctl with its argument and result. */
umh::Result narrate_trigger(const umh::Device &dev, kuipc_umh_request req,
			    std::string_view arg)
{
	const std::string call = "ioctl(" + std::to_string(dev.fd()) +
				 ", KUIPC_UMH_TRIGGER, " +
				 umh::to_string(req, arg) + ")";
	umh::Result res = dev.trigger(req);
	say(call + " = 0 -> " + umh::to_string(res));
	return res;
}

using Clock = std::chrono::steady_clock;

int demo(const std::string &path)
{
	kuipc::demo::begin();
	const std::string helper = umh::helper_path();
	say(std::string("read(\"") + KUIPC_UMH_HELPER_PARAM + "\") = " +
	    umh::quote(helper + "\n"));
	const umh::Device dev(path);
	const std::string fd = std::to_string(dev.fd());
	say("open(\"" + path + "\", O_RDWR|O_CLOEXEC) = " + fd);
	kuipc::demo::note("each trigger runs " + helper +
			  " ID MODE CODE ARG; it writes \"ID ARG\" back to " +
			  path);

	const std::string text = "héllo wörld 'quoted' \"double\"";
	const auto t0 = Clock::now();
	const umh::Result echoed =
		narrate_trigger(dev, umh::make_request(umh::Mode::echo, text), text);
	const auto rtt = Clock::now() - t0;
	if (echoed.output != text || !echoed.exited() || echoed.exit_code() != 0)
		throw kuipc::Error(EIO, "echo came back as " + umh::to_string(echoed));

	const std::string answer = "the answer";
	const umh::Result exited =
		narrate_trigger(dev, umh::make_request(umh::Mode::exit, answer, 42),
				answer);
	if (!exited.exited() || exited.exit_code() != 42)
		throw kuipc::Error(EIO, "exit 42 came back as " +
						umh::to_string(exited));

	kuipc::demo::note("a helper that hangs, with a 1500 ms timeout; meanwhile "
			  "this process forges its report");
	const std::string stuck = "stuck";
	const kuipc_umh_request hang_req =
		umh::make_request(umh::Mode::hang, stuck, 0, 1500);
	const umh::Stats before = dev.stats();
	std::optional<umh::Result> hung;
	std::atomic<int> hang_err{0};
	std::thread waiter([&] {
		try {
			kuipc_umh_request r = hang_req;
			hung = dev.trigger(r);
		} catch (const kuipc::Error &e) {
			hang_err = e.err();
		}
	});
	/* Until the helper has reported: it is running and in flight. */
	umh::Stats now = dev.stats();
	for (const auto end = Clock::now() + std::chrono::seconds(10);
	     now.reports == before.reports && hang_err == 0 && Clock::now() < end;
	     now = dev.stats())
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	const std::string forged = umh::format_report(now.requests, "forged");
	const ssize_t n = ::write(dev.fd(), forged.data(), forged.size());
	const int werr = errno;
	say("write(" + fd + ", " + umh::quote(forged) + ", " +
	    std::to_string(forged.size()) + ")" +
	    (n < 0 ? failed(werr) : " = " + std::to_string(n)));
	waiter.join();
	if (!hung)
		throw kuipc::Error(hang_err.load(), "hang request");
	say("ioctl(" + fd + ", KUIPC_UMH_TRIGGER, " + umh::to_string(hang_req, stuck) +
	    ") = 0 -> " + umh::to_string(*hung));

	kuipc::demo::note("what the module refuses, and how");
	const std::string bad_utf8 = "caf\xc3";
	kuipc_umh_request bad = umh::make_request(umh::Mode::echo, bad_utf8);
	const int r1 = ::ioctl(dev.fd(), KUIPC_UMH_TRIGGER, &bad);
	const int e1 = errno;
	say("ioctl(" + fd + ", KUIPC_UMH_TRIGGER, " + umh::to_string(bad, bad_utf8) + ")" +
	    (r1 < 0 ? failed(e1) : " = " + std::to_string(r1)));
	kuipc_umh_request badcode = umh::make_request(umh::Mode::exit, answer, 256);
	const int r2 = ::ioctl(dev.fd(), KUIPC_UMH_TRIGGER, &badcode);
	const int e2 = errno;
	say("ioctl(" + fd + ", KUIPC_UMH_TRIGGER, " + umh::to_string(badcode, answer) +
	    ")" + (r2 < 0 ? failed(e2) : " = " + std::to_string(r2)));

	say("ioctl(" + fd + ", KUIPC_UMH_GET_STATS, " + umh::to_string(dev.stats()) +
	    ") = 0");

	const auto us = std::chrono::duration<double, std::micro>(rtt).count();
	std::array<char, 96> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: trigger + helper run + report in %.1f us", us);
	say(line.data());
	kuipc::demo::end();
	return 0;
}

int run(const std::vector<std::string> &args)
{
	std::string path = KUIPC_UMH_PATH;
	size_t i = 0;
	if (i + 1 < args.size() && args[i] == "--device") {
		path = args[i + 1];
		i += 2;
	}
	if (i >= args.size())
		throw Usage{"no command"};
	const std::string &cmd = args[i++];
	const std::optional<umh::Mode> mode = umh::parse_mode(cmd);
	uint32_t timeout_ms = 0;
	if (mode && i + 1 < args.size() && args[i] == "--timeout") {
		timeout_ms = parse_u32(args[i + 1]);
		i += 2;
	}
	const size_t nargs = args.size() - i;

	if (cmd == "demo" && nargs == 0)
		return demo(path);
	if (mode && nargs == (*mode == umh::Mode::exit ? 2U : 1U)) {
		const uint32_t code =
			*mode == umh::Mode::exit ? parse_u32(args[i++]) : 0;
		const umh::Result res =
			umh::Device(path).trigger(*mode, args[i], code, timeout_ms);
		std::printf("request %llu: %s%s\n",
			    static_cast<unsigned long long>(res.id),
			    umh::describe_status(res.status).c_str(),
			    res.timed_out() ? " (timed out)" : "");
		if (res.reported())
			std::printf("output: %s\n", umh::quote(res.output).c_str());
		else
			std::printf("no report\n");
		return 0;
	}
	if (cmd == "stats" && nargs == 0) {
		std::printf("%s\n", umh::to_string(umh::Device(path).stats()).c_str());
		return 0;
	}
	if (cmd == "helper" && nargs == 0) {
		std::printf("%s\n", umh::helper_path().c_str());
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
