// SPDX-License-Identifier: GPL-2.0
// kuipc-mmap: command line client of /dev/kuipc_mmap.
#include "demo.hpp"
#include "error.hpp"
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

std::string hex(uint64_t v)
{
	std::array<char, 24> buf{};
	std::snprintf(buf.data(), buf.size(), "%#llx",
		      static_cast<unsigned long long>(v));
	return buf.data();
}

std::string ptr(const void *p)
{
	return hex(reinterpret_cast<uintptr_t>(p));
}

/* One step of the narration, after the kernel lines it caused. */
void say(const std::string &line)
{
	kuipc::demo::step(line);
}

void note(const std::string &text)
{
	kuipc::demo::note(text);
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

/* " = 0" or " = -1 EINVAL (Invalid argument)" */
std::string result(Ret r)
{
	if (r.ret >= 0)
		return " = " + std::to_string(r.ret);
	const char *name = ::strerrorname_np(r.err);
	return " = -1 " + std::string(name != nullptr ? name : "E?") + " (" +
	       std::strerror(r.err) + ")";
}

std::string produce_str(const kuipc_mmap_produce &p)
{
	return "{count=" + std::to_string(p.count) +
	       ", flags=" + std::to_string(p.flags) + "}";
}

std::string checksum_str(const kuipc_mmap_checksum &c, bool out)
{
	return "{offset=" + std::to_string(c.offset) +
	       ", len=" + std::to_string(c.len) +
	       (out ? ", sum=" + hex(c.sum) : std::string()) + "}";
}

std::string mmap_call(size_t len, int prot, int flags, int fd, off_t off)
{
	return "mmap(NULL, " + std::to_string(len) + ", " +
	       km::prot_string(prot) + ", " + km::map_flags_string(flags) +
	       ", " + std::to_string(fd) + ", " + std::to_string(off) + ")";
}

/* mmap(2) that is expected to fail: narrate it, unmap if it did not. */
void narrate_bad_mmap(int fd, size_t len, int flags, off_t off)
{
	const int prot = PROT_READ | PROT_WRITE;
	void *p = ::mmap(nullptr, len, prot, flags, fd, off);
	const Ret r = ret_of(p == MAP_FAILED ? -1 : 0);
	if (p != MAP_FAILED) {
		::munmap(p, len);
		say(mmap_call(len, prot, flags, fd, off) + " = " + ptr(p));
		return;
	}
	say(mmap_call(len, prot, flags, fd, off) + result(r));
}

using Clock = std::chrono::steady_clock;

int demo(const std::string &path)
{
	kuipc::demo::begin();
	km::Device dev(path);
	const std::string fd = std::to_string(dev.fd());
	say("open(\"" + path + "\", O_RDWR|O_CLOEXEC) = " + fd);

	dev.reset();
	say("ioctl(" + fd + ", KUIPC_MMAP_RESET) = 0");

	const int prot = PROT_READ | PROT_WRITE;
	std::optional<km::Ring> mapped(std::in_place, dev.map());
	km::Ring &ring = *mapped;
	const void *base = ring.mapping().data();
	say(mmap_call(KUIPC_MMAP_SIZE, prot, MAP_SHARED, dev.fd(), 0) + " = " +
	    ptr(base));
	note("control page: " + km::to_string(ring.ctrl()));

	const auto show_poll = [&] {
		const short rev = dev.poll(POLLIN, 0);
		say("poll([{fd=" + fd + ", events=POLLIN}], 1, 0) = " +
		    (rev != 0 ? "1 ([{fd=" + fd + ", revents=" +
					km::poll_events(rev) + "}])"
			      : std::string("0 (Timeout)")));
	};
	show_poll();

	/* Kernel to user: three records, read without a system call. */
	kuipc_mmap_produce req{};
	req.count = 3;
	auto t0 = Clock::now();
	const uint32_t made = dev.produce(req.count);
	auto rtt = Clock::now() - t0;
	say("ioctl(" + fd + ", KUIPC_MMAP_PRODUCE, " + produce_str(req) +
	    ") = " + std::to_string(made));
	show_poll();

	const uint32_t head = ring.head();
	note("load-acquire ctrl.head = " + std::to_string(head) +
	     ", ctrl.tail = " + std::to_string(ring.tail()) +
	     " (memory, no system call)");
	std::vector<km::Record> recs(made);
	t0 = Clock::now();
	const size_t got = ring.pop(recs);
	rtt += Clock::now() - t0;
	for (size_t i = 0; i < got; ++i) {
		const km::Record &r = recs[i];
		note("record " + km::to_string(r) +
		     (km::check_ok(r) && km::equal(r, km::expected_record(i))
			      ? " ok"
			      : " BAD"));
		if (!km::equal(r, km::expected_record(i)))
			throw kuipc::Error(EIO, "record " + std::to_string(i) +
							" is not what the module "
							"should write");
	}
	note("store-release ctrl.tail = " + std::to_string(ring.tail()));
	show_poll();

	/* User to kernel: bytes written into the mapping, summed by the module. */
	const std::string msg = "hello from user space";
	auto area = ring.user_area();
	std::memcpy(area.data(), msg.data(), msg.size());
	note("memcpy(" + ptr(area.data()) + " (user area), \"" + msg + "\", " +
	     std::to_string(msg.size()) + ")");
	kuipc_mmap_checksum cs{};
	cs.len = static_cast<uint32_t>(msg.size());
	const std::string cs_in = checksum_str(cs, false);
	cs.sum = dev.checksum(cs.offset, cs.len);
	say("ioctl(" + fd + ", KUIPC_MMAP_CHECKSUM, " + cs_in + " => " +
	    checksum_str(cs, true) + ") = 0");
	const uint64_t mine = km::fnv1a(area.first(msg.size()));
	note("fnv1a computed here: " + hex(mine) +
	     (mine == cs.sum ? " (the same bytes)" : " (DIFFERENT)"));
	if (mine != cs.sum)
		throw kuipc::Error(EIO, "the module summed other bytes");

	/* What the module refuses, and how. */
	narrate_bad_mmap(dev.fd(), KUIPC_MMAP_SIZE, MAP_PRIVATE, 0);
	const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
	const size_t buf_size = (KUIPC_MMAP_SIZE + page - 1) / page * page;
	narrate_bad_mmap(dev.fd(), buf_size + page, MAP_SHARED, 0);
	narrate_bad_mmap(dev.fd(), page, MAP_SHARED,
			 static_cast<off_t>(buf_size));

	kuipc_mmap_checksum bad{};
	bad.offset = KUIPC_MMAP_USER_SIZE - 4;
	bad.len = 8;
	Ret r = ret_of(::ioctl(dev.fd(), KUIPC_MMAP_CHECKSUM, &bad));
	say("ioctl(" + fd + ", KUIPC_MMAP_CHECKSUM, " + checksum_str(bad, false) +
	    ")" + result(r));

	kuipc_mmap_produce big{};
	big.count = KUIPC_MMAP_RECORDS + 1;
	r = ret_of(::ioctl(dev.fd(), KUIPC_MMAP_PRODUCE, &big));
	say("ioctl(" + fd + ", KUIPC_MMAP_PRODUCE, " + produce_str(big) + ")" +
	    result(r));

	/* A full ring: the producer refuses rather than overwrite. */
	big.count = KUIPC_MMAP_RECORDS;
	r = ret_of(::ioctl(dev.fd(), KUIPC_MMAP_PRODUCE, &big));
	say("ioctl(" + fd + ", KUIPC_MMAP_PRODUCE, " + produce_str(big) + ")" +
	    result(r));
	req.count = 1;
	r = ret_of(::ioctl(dev.fd(), KUIPC_MMAP_PRODUCE, &req));
	say("ioctl(" + fd + ", KUIPC_MMAP_PRODUCE, " + produce_str(req) + ")" +
	    result(r));

	/* The mapping, not the descriptor, keeps the file (and module) alive. */
	const std::string old_fd = fd;
	dev.close();
	say("close(" + old_fd + ") = 0");
	note("no release yet: the mapping still holds the file; ctrl.head = " +
	     std::to_string(ring.head()));
	mapped.reset();
	say("munmap(" + ptr(base) + ", " + std::to_string(KUIPC_MMAP_SIZE) +
	    ") = 0");

	const auto us = std::chrono::duration<double, std::micro>(rtt).count();
	std::array<char, 112> line{};
	std::snprintf(line.data(), line.size(),
		      "round trip: produce + consume of %u records in %.1f us",
		      made, us);
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
		throw Usage{"text does not fit at offset " +
			    std::to_string(offset) + " of the " +
			    std::to_string(area.size()) + "-byte user area"};
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
		throw Usage{"no command"};
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
