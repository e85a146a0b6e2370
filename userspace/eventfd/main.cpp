// SPDX-License-Identifier: GPL-2.0
// kuipc-eventfd: command line client of /dev/kuipc_eventfd.
#include "cli.hpp"
#include "demo.hpp"
#include "error.hpp"
#include "eventfd.hpp"
#include "fd.hpp"
#include "syscall.hpp"

#include <fcntl.h>
#include <sys/select.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ke = kuipc::eventfd;

constexpr const char *prog = "kuipc-eventfd";

void usage(FILE *to)
{
	std::fprintf(to,
		     "usage: %s [--device PATH] COMMAND [ARGS]\n"
		     "commands:\n"
		     "  listen CHANNEL [COUNT]   register an eventfd on CHANNEL, "
		     "wait in select()\n"
		     "                           and print COUNT items (default "
		     "1) as they come\n"
		     "  produce CHANNEL TEXT...  queue each TEXT as one item "
		     "(needs a listener)\n"
		     "  status [CHANNEL]         print the state of one or all "
		     "channels\n"
		     "  demo                     narrated round trip\n"
		     "channels: 0..%d, payload: at most %d bytes\n"
		     "device: %s\n",
		     prog, KUIPC_EVENTFD_CHANNELS - 1, KUIPC_EVENTFD_PAYLOAD_MAX,
		     KUIPC_EVENTFD_PATH);
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

/*
 * select() for reading on fds: how many are readable, 0 when timeout_ms
 * passed (-1: wait for ever). EINTR is retried.
 */
int select_readable(const std::vector<int> &fds, long timeout_ms)
{
	for (;;) {
		fd_set rfds;
		FD_ZERO(&rfds);
		int nfds = 0;
		for (const int fd : fds) {
			FD_SET(fd, &rfds);
			nfds = std::max(nfds, fd + 1);
		}
		timeval tv{timeout_ms / 1000, static_cast<suseconds_t>(timeout_ms % 1000) * 1000};
		const int n = kuipc::sys::select(nfds, &rfds, timeout_ms < 0 ? nullptr : &tv);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			kuipc::throw_errno("select");
	}
}

int listen(const std::string &path, uint32_t channel, uint32_t count)
{
	ke::Device dev(path);
	ke::Listener listener(dev, channel);
	std::printf("listening on channel %u (eventfd %d)\n", channel,
		    listener.eventfd().fd());
	std::fflush(stdout);
	uint32_t got = 0;
	while (got < count) {
		if (select_readable({listener.eventfd().fd()}, -1) == 0)
			continue;
		const uint64_t n = listener.eventfd().read();
		/* One increment per item: fetch as many as were signalled. */
		for (uint64_t i = 0; i < n && got < count; ++i, ++got) {
			const ke::Item item = dev.fetch(channel);
			std::printf("item %llu: %s\n",
				    static_cast<unsigned long long>(item.seq),
				    kuipc::sys::quote(item.data, KUIPC_EVENTFD_PAYLOAD_MAX)
					    .c_str());
			std::fflush(stdout);
		}
	}
	return 0;
}

/* ---- demo ------------------------------------------------------------- */

/* What the module refuses, and how. */
void demo_refused(ke::Device &dev, uint32_t busy, int efd)
{
	namespace demo = kuipc::demo;
	demo::note("what the module refuses:");
	const kuipc::Fd null(kuipc::sys::open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (!null)
		kuipc::throw_errno("open /dev/null");
	demo::refused(EINVAL, [&] { dev.register_eventfd(2, null.get()); }); /* not an eventfd */
	demo::refused(EBADF, [&] { dev.register_eventfd(2, 1000); });	    /* not open */
	demo::refused(EBUSY, [&] { dev.register_eventfd(busy, efd); });	    /* channel taken */
	demo::refused(EINVAL, [&] { dev.register_eventfd(KUIPC_EVENTFD_CHANNELS, efd); });
	demo::refused(ENOTCONN, [&] { dev.produce(2, "x"); }); /* nobody listens */
}

/*
 * Two items through channel ch of dev, waited for with select() on both
 * eventfds; returns the time spent in the round trip's system calls, in us.
 */
double demo_round_trip(ke::Device &dev, uint32_t ch, ke::EventFd &efd,
		       const std::vector<int> &both)
{
	const std::array<std::string, 2> items = {"hello", "from the kernel"};
	kuipc::demo::Stopwatch sw;
	sw.start();
	for (const std::string &text : items)
		dev.produce(ch, text);
	sw.stop();
	kuipc::demo::note("one increment per item: channel " + std::to_string(ch) +
			  "'s eventfd counts 2, the other one 0");
	sw.start();
	if (select_readable(both, 1000) != 1)
		throw kuipc::Error(EIO, "not exactly one eventfd readable");
	const uint64_t count = efd.read();
	for (uint64_t i = 0; i < count; ++i) {
		const ke::Item item = dev.fetch(ch);
		if (item.data != items.at(i))
			throw kuipc::Error(EIO, "fetched " + kuipc::sys::quote(item.data) +
							", expected " + kuipc::sys::quote(items.at(i)));
	}
	sw.stop();
	return sw.us();
}

int demo(const std::string &path)
{
	namespace demo = kuipc::demo;
	demo::begin();
	ke::Device dev(path);

	/* Two waiters, one eventfd and one channel each. */
	constexpr uint32_t ch_a = 0;
	constexpr uint32_t ch_b = 1;
	ke::EventFd efd_a(EFD_NONBLOCK);
	ke::EventFd efd_b(EFD_NONBLOCK);
	dev.register_eventfd(ch_a, efd_a.fd());
	dev.register_eventfd(ch_b, efd_b.fd());

	const std::vector<int> both = {efd_a.fd(), efd_b.fd()};
	demo::note("nothing produced yet: neither eventfd is readable");
	if (select_readable(both, 0) != 0)
		throw kuipc::Error(EIO, "an eventfd is readable before any item");
	const double us = demo_round_trip(dev, ch_b, efd_b, both);
	demo::note("the channel is empty now");
	demo::refused(EAGAIN, [&] { (void)dev.fetch(ch_b, 8); });
	(void)dev.status(ch_b);

	demo_refused(dev, ch_b, efd_a.fd());
	dev.unregister(ch_a);
	demo::note("the last close of the device ends the registration "
		   "of channel " + std::to_string(ch_b));
	dev.close();

	std::array<char, 112> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: 2 x produce, select, read, 2 x fetch in %.1f us", us);
	demo::note(line.data());
	demo::end();
	return 0;
}

/* ---- commands --------------------------------------------------------- */

int status(const std::string &path, const std::vector<uint32_t> &channels)
{
	const ke::Device dev(path);
	for (const uint32_t ch : channels)
		std::printf("%s\n", ke::to_string(dev.status(ch)).c_str());
	return 0;
}

int run(const std::vector<std::string> &args)
{
	std::string path = KUIPC_EVENTFD_PATH;
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
	if (cmd == "listen" && (nargs == 1 || nargs == 2))
		return listen(path, parse_u32(args[i]),
			      nargs == 2 ? parse_u32(args[i + 1]) : 1);
	if (cmd == "produce" && nargs >= 2) {
		ke::Device dev(path);
		const uint32_t ch = parse_u32(args[i]);
		for (size_t k = i + 1; k < args.size(); ++k)
			dev.produce(ch, args[k]);
		return 0;
	}
	if (cmd == "status" && nargs <= 1) {
		std::vector<uint32_t> channels;
		if (nargs == 1)
			channels.push_back(parse_u32(args[i]));
		for (uint32_t ch = 0; nargs == 0 && ch < KUIPC_EVENTFD_CHANNELS; ++ch)
			channels.push_back(ch);
		return status(path, channels);
	}
	throw Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
