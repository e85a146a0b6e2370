// SPDX-License-Identifier: GPL-2.0
// kuipc-chardev: command line client of /dev/kuipc_chardev.
#include "chardev.hpp"
#include "demo.hpp"
#include "error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace cd = kuipc::chardev;

constexpr const char *prog = "kuipc-chardev";

void usage(FILE *to)
{
	std::fprintf(to,
		     "usage: %s [--device PATH] COMMAND [ARGS]\n"
		     "commands:\n"
		     "  write [--nonblock] TEXT   write TEXT (no newline added)\n"
		     "  read [--nonblock] [MAX]   read up to MAX bytes (default %d)\n"
		     "  config                    print the configuration\n"
		     "  set capacity BYTES        set the capacity (%d..%d; root)\n"
		     "  stats                     print the counters\n"
		     "  reset                     empty, zero counters, default "
		     "config (root)\n"
		     "  demo                      narrated round trip\n"
		     "device: %s\n",
		     prog, KUIPC_CHARDEV_CAPACITY_MAX, KUIPC_CHARDEV_CAPACITY_MIN,
		     KUIPC_CHARDEV_CAPACITY_MAX, KUIPC_CHARDEV_PATH);
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

/* " = 0" or " = -1 EAGAIN (Resource temporarily unavailable)" */
std::string result(Ret r)
{
	if (r.ret >= 0)
		return " = " + std::to_string(r.ret);
	const int err = r.err;
	const char *name = ::strerrorname_np(err);
	return " = -1 " + std::string(name != nullptr ? name : "E?") + " (" +
	       std::strerror(err) + ")";
}

std::string fd_str(const cd::Device &dev)
{
	return std::to_string(dev.fd());
}

using Clock = std::chrono::steady_clock;

int demo(const std::string &path)
{
	kuipc::demo::begin();
	cd::Device dev(path);
	say("open(\"" + path + "\", O_RDWR|O_CLOEXEC) = " + fd_str(dev));
	const std::string fd = fd_str(dev);

	dev.reset();
	say("ioctl(" + fd + ", KUIPC_CHARDEV_RESET) = 0");

	const cd::Config cfg = dev.config();
	say("ioctl(" + fd + ", KUIPC_CHARDEV_GET_CONFIG, " + cd::to_string(cfg) +
	    ") = 0");

	const auto show_poll = [&] {
		const short ev = POLLIN | POLLOUT;
		const short rev = dev.poll(ev, 0);
		say("poll([{fd=" + fd + ", events=" + cd::poll_events(ev) +
		    "}], 1, 0) = " + (rev != 0 ? "1 ([{fd=" + fd + ", revents=" +
							cd::poll_events(rev) + "}])"
					   : std::string("0 (Timeout)")));
	};
	show_poll();

	const std::string msg = "hello from user space";
	auto t0 = Clock::now();
	const size_t wrote = dev.write(msg);
	auto rtt = Clock::now() - t0;
	say("write(" + fd + ", " + cd::quote(msg) + ", " +
	    std::to_string(msg.size()) + ") = " + std::to_string(wrote));

	show_poll();

	std::string buf(KUIPC_CHARDEV_CAPACITY_MAX, '\0');
	t0 = Clock::now();
	const size_t got =
		dev.read(std::as_writable_bytes(std::span(buf.data(), buf.size())));
	rtt += Clock::now() - t0;
	buf.resize(got);
	say("read(" + fd + ", " + cd::quote(buf) + ", " +
	    std::to_string(KUIPC_CHARDEV_CAPACITY_MAX) + ") = " +
	    std::to_string(got));
	if (buf != msg)
		throw kuipc::Error(EIO, "read back " + cd::quote(buf) +
						", expected " + cd::quote(msg));

	say("ioctl(" + fd + ", KUIPC_CHARDEV_GET_STATS, " +
	    cd::to_string(dev.stats()) + ") = 0");

	cd::Config small = cfg;
	small.capacity = KUIPC_CHARDEV_CAPACITY_MIN;
	dev.set_config(small);
	say("ioctl(" + fd + ", KUIPC_CHARDEV_SET_CONFIG, " +
	    cd::to_string(small) + ") = 0");

	/* What the module refuses, and how. */
	dev.set_nonblocking(true);
	say("fcntl(" + fd + ", F_SETFL, O_RDWR|O_NONBLOCK) = 0");
	char byte = 0;
	Ret r = ret_of(::read(dev.fd(), &byte, 1));
	say("read(" + fd + ", ..., 1)" + result(r));

	cd::Config bad = small;
	bad.capacity = 1;
	r = ret_of(::ioctl(dev.fd(), KUIPC_CHARDEV_SET_CONFIG, &bad));
	say("ioctl(" + fd + ", KUIPC_CHARDEV_SET_CONFIG, " + cd::to_string(bad) +
	    ")" + result(r));

	r = ret_of(::ioctl(dev.fd(), KUIPC_CHARDEV_GET_CONFIG, 1UL));
	say("ioctl(" + fd + ", KUIPC_CHARDEV_GET_CONFIG, 0x1)" + result(r));

	const unsigned long unknown = _IO(KUIPC_CHARDEV_IOC_MAGIC, 0x7f);
	r = ret_of(::ioctl(dev.fd(), unknown, 0UL));
	say("ioctl(" + fd + ", " + cd::ioctl_name(unknown) + ", NULL)" +
	    result(r));

	say("ioctl(" + fd + ", KUIPC_CHARDEV_GET_CONFIG, " +
	    cd::to_string(dev.config()) + ") = 0");

	dev.reset();
	say("ioctl(" + fd + ", KUIPC_CHARDEV_RESET) = 0");

	const auto us = std::chrono::duration<double, std::micro>(rtt).count();
	std::array<char, 96> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: write + read of %zu bytes in %.1f us",
		      msg.size(), us);
	say(line.data());
	kuipc::demo::end();
	return 0;
}

int run(const std::vector<std::string> &args)
{
	std::string path = KUIPC_CHARDEV_PATH;
	size_t i = 0;
	if (i + 1 < args.size() && args[i] == "--device") {
		path = args[i + 1];
		i += 2;
	}
	if (i >= args.size())
		throw Usage{"no command"};
	const std::string &cmd = args[i++];
	bool nonblock = false;
	if (i < args.size() && args[i] == "--nonblock" &&
	    (cmd == "read" || cmd == "write")) {
		nonblock = true;
		++i;
	}
	const size_t nargs = args.size() - i;

	if (cmd == "demo" && nargs == 0)
		return demo(path);
	if (cmd == "write" && nargs == 1) {
		cd::Device dev(path, nonblock ? O_NONBLOCK : 0);
		const size_t n = dev.write(args[i]);
		std::printf("wrote %zu of %zu bytes\n", n, args[i].size());
		return 0;
	}
	if (cmd == "read" && nargs <= 1) {
		const uint32_t max =
			nargs == 1 ? parse_u32(args[i]) : KUIPC_CHARDEV_CAPACITY_MAX;
		cd::Device dev(path, nonblock ? O_NONBLOCK : 0);
		const std::string data = dev.read_string(max);
		std::fwrite(data.data(), 1, data.size(), stdout);
		return 0;
	}
	if (cmd == "config" && nargs == 0) {
		std::printf("%s\n", cd::to_string(cd::Device(path).config()).c_str());
		return 0;
	}
	if (cmd == "set" && nargs == 2 && args[i] == "capacity") {
		cd::Device dev(path);
		dev.set_capacity(parse_u32(args[i + 1]));
		std::printf("%s\n", cd::to_string(dev.config()).c_str());
		return 0;
	}
	if (cmd == "stats" && nargs == 0) {
		std::printf("%s\n", cd::to_string(cd::Device(path).stats()).c_str());
		return 0;
	}
	if (cmd == "reset" && nargs == 0) {
		cd::Device(path).reset();
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
