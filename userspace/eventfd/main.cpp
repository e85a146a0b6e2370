// SPDX-License-Identifier: GPL-2.0
// kuipc-eventfd: command line client of /dev/kuipc_eventfd.
#include "demo.hpp"
#include "error.hpp"
#include "eventfd.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
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

/*
 * select() for reading on one descriptor: true when it is readable,
 * false when timeout_ms passed (-1: wait for ever). EINTR is retried.
 */
bool select_readable(int fd, int timeout_ms)
{
	for (;;) {
		fd_set rfds;
		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		timeval tv{timeout_ms / 1000,
			   static_cast<suseconds_t>(timeout_ms % 1000) * 1000};
		const int n = ::select(fd + 1, &rfds, nullptr, nullptr,
				       timeout_ms < 0 ? nullptr : &tv);
		if (n >= 0)
			return n == 1;
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
		if (!select_readable(listener.eventfd().fd(), -1))
			continue;
		const uint64_t n = listener.eventfd().read();
		/* One increment per item: fetch as many as were signalled. */
		for (uint64_t i = 0; i < n && got < count; ++i, ++got) {
			const ke::Item item = dev.fetch(channel);
			std::printf("item %llu: %s\n",
				    static_cast<unsigned long long>(item.seq),
				    ke::quote(item.data, KUIPC_EVENTFD_PAYLOAD_MAX)
					    .c_str());
			std::fflush(stdout);
		}
	}
	return 0;
}

/* ---- demo ------------------------------------------------------------- */

/* A raw call's result, with errno taken before anything can change it. */
struct Ret {
	long ret;
	int err;
};

Ret ret_of(long ret)
{
	return {ret, ret < 0 ? errno : 0};
}

/* " = 0" or " = -1 EBUSY (Device or resource busy)" */
std::string result(Ret r)
{
	if (r.ret >= 0)
		return " = " + std::to_string(r.ret);
	const char *name = ::strerrorname_np(r.err);
	return " = -1 " + std::string(name != nullptr ? name : "E?") + " (" +
	       std::strerror(r.err) + ")";
}

std::string reg_str(uint32_t channel, int efd)
{
	return "{channel=" + std::to_string(channel) +
	       ", efd=" + std::to_string(efd) + "}";
}

std::string msg_str(const kuipc_eventfd_msg &m, std::string_view data,
		    bool with_seq)
{
	std::string s = "{channel=" + std::to_string(m.channel) +
			", len=" + std::to_string(m.len) + ", data=" +
			(data.empty() && m.len != 0 ? std::string("...")
						    : ke::quote(data));
	if (with_seq)
		s += ", seq=" + std::to_string(m.seq);
	return s + "}";
}

using Clock = std::chrono::steady_clock;

/*
 * Call select() for reading on fds and describe the call, strace style:
 * "select(6, [4 5], NULL, NULL, {tv_sec=0, tv_usec=0}) = 1 (in [5])".
 * The time the call took is added to *spent.
 */
std::string select_step(const std::vector<int> &fds, long timeout_ms,
			Clock::duration *spent = nullptr)
{
	fd_set rfds;
	FD_ZERO(&rfds);
	int nfds = 0;
	std::string set;
	for (const int fd : fds) {
		FD_SET(fd, &rfds);
		nfds = std::max(nfds, fd + 1);
		set += (set.empty() ? "" : " ") + std::to_string(fd);
	}
	timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	/* Before the call: Linux writes the time left back into tv. */
	std::string line = "select(" + std::to_string(nfds) + ", [" + set +
			   "], NULL, NULL, {tv_sec=" + std::to_string(tv.tv_sec) +
			   ", tv_usec=" + std::to_string(tv.tv_usec) + "})";
	const auto t0 = Clock::now();
	const Ret r = ret_of(::select(nfds, &rfds, nullptr, nullptr, &tv));
	if (spent != nullptr)
		*spent += Clock::now() - t0;
	line += result(r);
	if (r.ret == 0) {
		line += " (Timeout)";
	} else if (r.ret > 0) {
		std::string ready;
		for (const int fd : fds) {
			if (FD_ISSET(fd, &rfds))
				ready += (ready.empty() ? "" : " ") +
					 std::to_string(fd);
		}
		line += " (in [" + ready + "])";
	}
	return line;
}

int demo(const std::string &path)
{
	kuipc::demo::begin();
	ke::Device dev(path);
	const std::string dfd = std::to_string(dev.fd());
	kuipc::demo::step("open(\"" + path + "\", O_RDWR|O_CLOEXEC) = " + dfd);

	/* Two waiters, one eventfd and one channel each. */
	constexpr uint32_t ch_a = 0;
	constexpr uint32_t ch_b = 1;
	ke::EventFd efd_a(EFD_NONBLOCK);
	kuipc::demo::step("eventfd(0, " + ke::eventfd_flags(efd_a.flags()) +
			  ") = " + std::to_string(efd_a.fd()));
	ke::EventFd efd_b(EFD_NONBLOCK);
	kuipc::demo::step("eventfd(0, " + ke::eventfd_flags(efd_b.flags()) +
			  ") = " + std::to_string(efd_b.fd()));

	dev.register_eventfd(ch_a, efd_a.fd());
	kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_REGISTER, " +
			  reg_str(ch_a, efd_a.fd()) + ") = 0");
	dev.register_eventfd(ch_b, efd_b.fd());
	kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_REGISTER, " +
			  reg_str(ch_b, efd_b.fd()) + ") = 0");

	const std::vector<int> both = {efd_a.fd(), efd_b.fd()};
	kuipc::demo::note("nothing produced yet: neither eventfd is readable");
	kuipc::demo::step(select_step(both, 0));

	/* The time spent in the round trip's system calls, not in printing. */
	const std::array<std::string, 2> items = {"hello", "from the kernel"};
	Clock::duration rtt{};
	for (const std::string &text : items) {
		kuipc_eventfd_msg m{};
		m.channel = ch_b;
		m.len = static_cast<uint32_t>(text.size());
		const auto t0 = Clock::now();
		dev.produce(ch_b, text);
		rtt += Clock::now() - t0;
		kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_PRODUCE, " +
				  msg_str(m, text, false) + ") = 0");
	}
	kuipc::demo::note("one increment per item: channel " +
			  std::to_string(ch_b) + "'s eventfd counts 2, the "
			  "other one 0");
	kuipc::demo::step(select_step(both, 1000, &rtt));
	auto t0 = Clock::now();
	const uint64_t count = efd_b.read();
	rtt += Clock::now() - t0;
	kuipc::demo::step("read(" + std::to_string(efd_b.fd()) + ", [" +
			  std::to_string(count) + "], 8) = 8");
	for (uint64_t i = 0; i < count; ++i) {
		t0 = Clock::now();
		const ke::Item item = dev.fetch(ch_b);
		rtt += Clock::now() - t0;
		kuipc_eventfd_msg m{};
		m.channel = ch_b;
		m.len = static_cast<uint32_t>(item.data.size());
		m.seq = item.seq;
		kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_FETCH, " +
				  msg_str(m, item.data, true) + ") = 0");
		if (item.data != items.at(i))
			throw kuipc::Error(EIO, "fetched " + ke::quote(item.data) +
							", expected " +
							ke::quote(items.at(i)));
	}

	std::array<char, 8> none{};
	kuipc_eventfd_msg empty{};
	empty.channel = ch_b;
	empty.len = none.size();
	empty.data = reinterpret_cast<uintptr_t>(none.data());
	Ret r = ret_of(::ioctl(dev.fd(), KUIPC_EVENTFD_FETCH, &empty));
	kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_FETCH, " +
			  msg_str(empty, "", false) + ")" + result(r));
	kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_STATUS, " +
			  ke::to_string(dev.status(ch_b)) + ") = 0");

	/* What the module refuses, and how. */
	kuipc::demo::note("what the module refuses:");
	const kuipc::Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (!null)
		kuipc::throw_errno("open /dev/null");
	kuipc::demo::step("open(\"/dev/null\", O_RDONLY|O_CLOEXEC) = " +
			  std::to_string(null.get()));
	const auto try_register = [&](uint32_t channel, int efd) {
		kuipc_eventfd_register req{};
		req.channel = channel;
		req.efd = efd;
		const Ret rr = ret_of(::ioctl(dev.fd(), KUIPC_EVENTFD_REGISTER, &req));
		kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_REGISTER, " +
				  reg_str(channel, efd) + ")" + result(rr));
	};
	try_register(2, null.get());		    /* not an eventfd */
	try_register(2, 1000);			    /* not open */
	try_register(ch_b, efd_a.fd());		    /* channel taken */
	try_register(KUIPC_EVENTFD_CHANNELS, efd_a.fd()); /* no such channel */

	kuipc_eventfd_msg orphan{};
	orphan.channel = 2;
	orphan.len = 1;
	orphan.data = reinterpret_cast<uintptr_t>("x");
	r = ret_of(::ioctl(dev.fd(), KUIPC_EVENTFD_PRODUCE, &orphan));
	kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_PRODUCE, " +
			  msg_str(orphan, "x", false) + ")" + result(r));

	dev.unregister(ch_a);
	kuipc::demo::step("ioctl(" + dfd + ", KUIPC_EVENTFD_UNREGISTER, {channel=" +
			  std::to_string(ch_a) + "}) = 0");
	kuipc::demo::note("the last close of the device ends the registration "
			  "of channel " + std::to_string(ch_b));
	dev.close();
	kuipc::demo::step("close(" + dfd + ") = 0");

	const auto us = std::chrono::duration<double, std::micro>(rtt).count();
	std::array<char, 112> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: 2 x produce, select, read, 2 x fetch in %.1f us",
		      us);
	kuipc::demo::step(line.data());
	kuipc::demo::end();
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
		throw Usage{"no command"};
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
