// SPDX-License-Identifier: GPL-2.0
// kuipc-umh: command line client of kuipc_umh.ko (/dev/kuipc_umh).
#include "cli.hpp"
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

using kuipc::cli::Usage;

uint32_t parse_u32(std::string_view s)
{
	uint32_t v = 0;
	const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size())
		throw Usage("not a number: " + std::string(s));
	return v;
}

using Clock = std::chrono::steady_clock;

/*
 * A helper that hangs: trigger it on another thread and, once it has
 * reported, forge a report of its request from this process.
 */
void demo_hang(const umh::Device &dev)
{
	kuipc::demo::note("a helper that hangs, with a 1500 ms timeout; meanwhile "
			  "this process forges its report");
	const umh::Stats before = dev.stats();
	std::optional<umh::Result> hung;
	std::atomic<int> hang_err{0};
	std::thread waiter([&] {
		try {
			hung = dev.trigger(umh::Mode::hang, "stuck", 0, 1500);
		} catch (const kuipc::Error &e) {
			hang_err = e.err();
		}
	});
	umh::Stats now = before;
	{
		/* Until the helper has reported: it is running and in flight. */
		const kuipc::sys::Untraced quiet;
		for (const auto end = Clock::now() + std::chrono::seconds(10);
		     now.reports == before.reports && hang_err == 0 && Clock::now() < end;
		     now = dev.stats())
			std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	kuipc::demo::refused(EPERM, [&] { dev.report(now.requests, "forged"); });
	waiter.join();
	if (!hung)
		throw kuipc::Error(hang_err.load(), "hang request");
}

int demo(const std::string &path)
{
	namespace demo = kuipc::demo;
	demo::begin(64);
	const std::string helper = umh::helper_path();
	const umh::Device dev(path);
	demo::note("each trigger runs " + helper + " ID MODE CODE ARG; it writes \"ID ARG\" back to " +
		   path);

	const std::string text = "héllo wörld 'quoted' \"double\"";
	demo::Stopwatch sw;
	sw.start();
	const umh::Result echoed = dev.trigger(umh::Mode::echo, text);
	sw.stop();
	if (echoed.output != text || !echoed.exited() || echoed.exit_code() != 0)
		throw kuipc::Error(EIO, "echo came back as " + umh::to_string(echoed));

	const umh::Result exited = dev.trigger(umh::Mode::exit, "the answer", 42);
	if (!exited.exited() || exited.exit_code() != 42)
		throw kuipc::Error(EIO, "exit 42 came back as " + umh::to_string(exited));

	demo_hang(dev);

	demo::note("what the module refuses, and how");
	demo::refused(EINVAL, [&] { (void)dev.trigger(umh::Mode::echo, "caf\xc3"); });
	demo::refused(EINVAL, [&] { (void)dev.trigger(umh::Mode::exit, "the answer", 256); });
	(void)dev.stats();

	const double us = sw.us();
	std::array<char, 96> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: trigger + helper run + report in %.1f us", us);
	demo::note(line.data());
	demo::end();
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
		throw Usage("no command");
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
			std::printf("output: %s\n", umh::quote(res.output, 64).c_str());
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
	throw Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
