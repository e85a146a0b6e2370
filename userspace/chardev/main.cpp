// SPDX-License-Identifier: GPL-2.0
// kuipc-chardev: command line client of /dev/kuipc_chardev.
#include "chardev.hpp"
#include "cli.hpp"
#include "demo.hpp"
#include "error.hpp"
#include "syscall.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <chrono>
#include <cstdio>
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

using kuipc::cli::Usage;

uint32_t parse_u32(std::string_view s)
{
	uint32_t v = 0;
	const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || end != s.data() + s.size())
		throw Usage("not a number: " + std::string(s));
	return v;
}

/* poll() for POLLIN|POLLOUT without waiting. */
void show_poll(const cd::Device &dev)
{
	(void)dev.poll(POLLIN | POLLOUT, 0);
}

/* What the module refuses, and how. */
void demo_refused(cd::Device &dev, const cd::Config &small)
{
	namespace sys = kuipc::sys;
	dev.set_nonblocking(true);
	std::array<std::byte, 1> byte{};
	kuipc::demo::refused(EAGAIN, [&] { (void)dev.read(byte); });

	cd::Config bad = small;
	bad.capacity = 1;
	kuipc::demo::refused(EINVAL, [&] { dev.set_config(bad); });

	/* A bad pointer and an unknown command, made by hand. */
	if (sys::ioctl(dev.fd(), KUIPC_CHARDEV_GET_CONFIG, "KUIPC_CHARDEV_GET_CONFIG", 1UL) == 0 ||
	    errno != EFAULT)
		throw kuipc::Error(EPROTO, "GET_CONFIG to address 1 was not refused with EFAULT");
	const unsigned long unknown = _IO(KUIPC_CHARDEV_IOC_MAGIC, 0x7f);
	if (sys::ioctl(dev.fd(), unknown, cd::ioctl_name(unknown)) == 0 || errno != ENOTTY)
		throw kuipc::Error(EPROTO, "an unknown ioctl was not refused with ENOTTY");
}

int demo(const std::string &path)
{
	kuipc::demo::begin();
	cd::Device dev(path);
	dev.reset();
	const cd::Config cfg = dev.config();
	show_poll(dev);

	const std::string msg = "hello from user space";
	kuipc::demo::Stopwatch sw;
	sw.start();
	(void)dev.write(msg);
	sw.stop();
	show_poll(dev);

	sw.start();
	const std::string got = dev.read_string(KUIPC_CHARDEV_CAPACITY_MAX);
	sw.stop();
	if (got != msg)
		throw kuipc::Error(EIO, "read back " + kuipc::sys::quote(got) +
						", expected " + kuipc::sys::quote(msg));
	(void)dev.stats();

	cd::Config small = cfg;
	small.capacity = KUIPC_CHARDEV_CAPACITY_MIN;
	dev.set_config(small);
	demo_refused(dev, small);
	(void)dev.config();
	dev.reset();

	const double us = sw.us();
	std::array<char, 96> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: write + read of %zu bytes in %.1f us",
		      msg.size(), us);
	kuipc::demo::note(line.data());
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
		throw Usage("no command");
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
	throw Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
