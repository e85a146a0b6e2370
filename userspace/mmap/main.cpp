// SPDX-License-Identifier: GPL-2.0
// kuipc-mmap: command line client of /dev/kuipc_mmap.
#include "cli.hpp"
#include "demo.hpp"
#include "error.hpp"
#include "syscall.hpp"
#include "mmap.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace km = kuipc::mmap;

constexpr const char *prog = "kuipc-mmap";

void usage(FILE *to)
{
	std::fprintf(to,
		     "usage: %s [--device PATH] COMMAND [ARGS]\n"
		     "commands:\n"
		     "  info                   print the control page\n"
		     "  produce COUNT          ask the module for COUNT records "
		     "(0..%d)\n"
		     "  consume [MAX] [--wait MS]\n"
		     "                         print and consume up to MAX "
		     "waiting records;\n"
		     "                         with --wait, sleep in poll() up "
		     "to MS ms for one\n"
		     "  checksum TEXT [OFFSET] write TEXT into the user area at "
		     "OFFSET and\n"
		     "                         compare the module's checksum "
		     "with ours\n"
		     "  reset                  empty the ring, zero the areas "
		     "(root)\n"
		     "  demo                   narrated round trip\n"
		     "device: %s\n",
		     prog, KUIPC_MMAP_RECORDS, KUIPC_MMAP_PATH);
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

using kuipc::sys::hex;
using kuipc::demo::note;

/* mmap(2) that the module must refuse with err. */
void bad_mmap(const km::Device &dev, int err, size_t len, int flags, off_t off)
{
	void *p = kuipc::sys::mmap(nullptr, len, PROT_READ | PROT_WRITE, flags, dev.fd(), off);
	if (p != MAP_FAILED) {
		(void)kuipc::sys::munmap(p, len);
		throw kuipc::Error(EPROTO, "a mapping the module must refuse was made");
	}
	if (errno != err)
		kuipc::throw_errno("mmap");
}

/* What the module refuses, and how. */
void demo_refused(km::Device &dev)
{
	namespace demo = kuipc::demo;
	bad_mmap(dev, EINVAL, KUIPC_MMAP_SIZE, MAP_PRIVATE, 0);
	const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
	const size_t buf_size = (KUIPC_MMAP_SIZE + page - 1) / page * page;
	bad_mmap(dev, EINVAL, buf_size + page, MAP_SHARED, 0);
	bad_mmap(dev, EINVAL, page, MAP_SHARED, static_cast<off_t>(buf_size));

	demo::refused(EINVAL, [&] { (void)dev.checksum(KUIPC_MMAP_USER_SIZE - 4, 8); });
	demo::refused(EINVAL, [&] { (void)dev.produce(KUIPC_MMAP_RECORDS + 1); });
	note("a full ring: the producer refuses rather than overwrite");
	(void)dev.produce(KUIPC_MMAP_RECORDS);
	demo::refused(ENOSPC, [&] { (void)dev.produce(1); });
}

/* Kernel to user: records read from the mapping without a system call. */
void check_records(km::Ring &ring, std::vector<km::Record> &recs, size_t got)
{
	for (size_t i = 0; i < got; ++i) {
		const km::Record &r = recs[i];
		const bool ok = km::check_ok(r) && km::equal(r, km::expected_record(i));
		note("record " + km::to_string(r) + (ok ? " ok" : " BAD"));
		if (!ok)
			throw kuipc::Error(EIO, "record " + std::to_string(i) +
							" is not what the module should write");
	}
	note("store-release ctrl.tail = " + std::to_string(ring.tail()));
}

/* User to kernel: bytes written into the mapping, summed by the module. */
void user_to_kernel(km::Device &dev, km::Ring &ring)
{
	const std::string msg = "hello from user space";
	auto area = ring.user_area();
	std::memcpy(area.data(), msg.data(), msg.size());
	note("copy " + kuipc::sys::quote(msg) + " into the user area at " +
	     hex(reinterpret_cast<uintptr_t>(area.data())) + " (memory, no system call)");
	const uint64_t sum = dev.checksum(0, static_cast<uint32_t>(msg.size()));
	const uint64_t mine = km::fnv1a(area.first(msg.size()));
	note("fnv1a computed here: " + hex(mine) +
	     (mine == sum ? " (the same bytes)" : " (DIFFERENT)"));
	if (mine != sum)
		throw kuipc::Error(EIO, "the module summed other bytes");
}

int demo(const std::string &path)
{
	kuipc::demo::begin();
	km::Device dev(path);
	dev.reset();

	std::optional<km::Ring> mapped(std::in_place, dev.map());
	km::Ring &ring = *mapped;
	note("control page: " + km::to_string(ring.ctrl()));
	(void)dev.poll(POLLIN, 0);

	kuipc::demo::Stopwatch sw;
	sw.start();
	const uint32_t made = dev.produce(3);
	sw.stop();
	(void)dev.poll(POLLIN, 0);

	note("load-acquire ctrl.head = " + std::to_string(ring.head()) +
	     ", ctrl.tail = " + std::to_string(ring.tail()) + " (memory, no system call)");
	std::vector<km::Record> recs(made);
	sw.start();
	const size_t got = ring.pop(recs);
	sw.stop();
	check_records(ring, recs, got);
	(void)dev.poll(POLLIN, 0);

	user_to_kernel(dev, ring);
	demo_refused(dev);

	note("the mapping, not the descriptor, keeps the file (and module) alive");
	dev.close();
	note("no release yet: the mapping still holds the file; ctrl.head = " +
	     std::to_string(ring.head()));
	mapped.reset();

	const double us = sw.us();
	std::array<char, 112> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: produce + consume of %u records in %.1f us", made, us);
	note(line.data());
	kuipc::demo::end();
	return 0;
}

int cmd_info(const std::string &path)
{
	const km::Device dev(path, O_RDONLY);
	const km::Mapping m = dev.map(KUIPC_MMAP_SIZE, PROT_READ);
	const auto &ctrl = *reinterpret_cast<const km::Ctrl *>(m.data());
	std::printf("%s\n", km::to_string(ctrl).c_str());
	std::printf("waiting: %u of %u records\n", ctrl.head - ctrl.tail,
		    KUIPC_MMAP_RECORDS);
	return 0;
}

int cmd_consume(const std::string &path, uint32_t max, int wait_ms)
{
	const km::Device dev(path);
	km::Ring ring(dev);
	if (wait_ms != 0 && !ring.wait(dev, wait_ms)) {
		std::printf("no records\n");
		return 0;
	}
	std::vector<km::Record> recs(std::min<uint32_t>(max, KUIPC_MMAP_RECORDS));
	const size_t n = ring.pop(recs);
	for (size_t i = 0; i < n; ++i)
		std::printf("%s%s\n", km::to_string(recs[i]).c_str(),
			    km::check_ok(recs[i]) ? "" : " (bad check)");
	return 0;
}

int cmd_checksum(const std::string &path, std::string_view text,
		 uint32_t offset)
{
	const km::Device dev(path);
	km::Ring ring(dev);
	const auto area = ring.user_area();
	if (offset > area.size() || text.size() > area.size() - offset)
		throw Usage("text does not fit at offset " +
			    std::to_string(offset) + " of the " +
			    std::to_string(area.size()) + "-byte user area");
	std::memcpy(area.data() + offset, text.data(), text.size());
	const auto len = static_cast<uint32_t>(text.size());
	const uint64_t theirs = dev.checksum(offset, len);
	const uint64_t mine = km::fnv1a(area.subspan(offset, len));
	std::printf("kernel %s, user %s: %s\n", hex(theirs).c_str(),
		    hex(mine).c_str(), theirs == mine ? "same" : "DIFFERENT");
	return theirs == mine ? 0 : 1;
}

int run(const std::vector<std::string> &args)
{
	std::string path = KUIPC_MMAP_PATH;
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
	if (cmd == "info" && nargs == 0)
		return cmd_info(path);
	if (cmd == "produce" && nargs == 1) {
		const uint32_t n = km::Device(path).produce(parse_u32(args[i]));
		std::printf("produced %u\n", n);
		return 0;
	}
	if (cmd == "consume" && nargs <= 3) {
		uint32_t max = KUIPC_MMAP_RECORDS;
		int wait_ms = 0;
		for (; i < args.size(); ++i) {
			if (args[i] == "--wait" && i + 1 < args.size())
				wait_ms = static_cast<int>(parse_u32(args[++i]));
			else
				max = parse_u32(args[i]);
		}
		return cmd_consume(path, max, wait_ms);
	}
	if (cmd == "checksum" && (nargs == 1 || nargs == 2))
		return cmd_checksum(path, args[i],
				    nargs == 2 ? parse_u32(args[i + 1]) : 0);
	if (cmd == "reset" && nargs == 0) {
		km::Device(path).reset();
		return 0;
	}
	throw Usage("bad command or arguments: " + cmd);
}

} // namespace

int main(int argc, char **argv)
{
	return kuipc::cli::main(argc, argv, {prog, usage, run});
}
