// SPDX-License-Identifier: GPL-2.0
#include "fuzz.hpp"

#include "error.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <linux/ioctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

namespace kuipc::fuzz {

namespace {

constexpr size_t kPage = 4096;

} // namespace

size_t Rng::length(size_t max)
{
	switch (below(8)) {
	case 0:
		return 0;
	case 1:
		return std::min<size_t>(1, max);
	case 2:
		return max;
	case 3: {
		const size_t p = size_t{1} << below(14);
		return std::min(p, max);
	}
	default:
		return below(max + 1);
	}
}

std::string Rng::bytes(size_t n)
{
	std::string s(n, '\0');
	for (auto &ch : s)
		ch = static_cast<char>(next() & 0xff);
	return s;
}

uint64_t Rng::value()
{
	static const std::array<uint64_t, 14> edges = {
		0, 1, 2, 0x7f, 0xff, 0x100, 0xffff, 0x10000,
		static_cast<uint64_t>(INT_MAX), static_cast<uint64_t>(INT_MAX) + 1,
		UINT_MAX, static_cast<uint64_t>(UINT_MAX) + 1,
		static_cast<uint64_t>(LLONG_MAX), ~uint64_t{0},
	};
	if (chance(50)) {
		const uint64_t v = edges[below(edges.size())];
		return chance(20) ? v - 1 : v;
	}
	return chance(50) ? below(4096) : next();
}

std::string Rng::text()
{
	static const std::vector<std::string> words = {
		"0", "1", "-1", "42", "1000", "1001", "2147483647", "2147483648",
		"-2147483648", "-2147483649", "4294967295", "4294967296",
		"18446744073709551615", "18446744073709551616",
		"99999999999999999999999999", "0x10", "0x", "010", "08", "0b1",
		"+1", "- 1", "1e3", "y", "n", "Y", "on", "off", "true", "1 2",
		" 1", "1 ", "\t1\n", "1\n\n", "", "\n", " ", "\xff", "é", "%s%n",
	};
	switch (below(6)) {
	case 0:
		return bytes(length(2 * kPage));
	case 1:
		return std::string(length(2 * kPage), static_cast<char>('0' + below(10)));
	case 2: {
		std::string s = pick(words);
		s.insert(below(s.size() + 1), 1, '\0');
		return s;
	}
	default: {
		std::string s = pick(words);
		if (chance(30))
			s += "\n";
		return s;
	}
	}
}

Arena::Arena()
{
	void *p = ::mmap(nullptr, kCapacity + kPage, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		throw_errno("mmap of the fuzzer's arena");
	base_ = static_cast<char *>(p);
	if (::mprotect(base_ + kCapacity, kPage, PROT_NONE) != 0) {
		const int e = errno;
		::munmap(base_, kCapacity + kPage);
		throw_err(e, "mprotect of the fuzzer's guard page");
	}
}

Arena::~Arena()
{
	::munmap(base_, kCapacity + kPage);
}

void *Arena::hold(const std::string &data)
{
	const size_t n = std::min(data.size(), kCapacity);
	char *p = base_ + kCapacity - n;
	std::copy_n(data.data(), n, p);
	return p;
}

void *Arena::pointer(Rng &rng, size_t n)
{
	n = std::min(n, kCapacity);
	switch (rng.below(10)) {
	case 0: /* runs into the guard page */
		return base_ + kCapacity - n / 2;
	case 1:
		return nullptr;
	case 2: { /* a kernel address (a 32-bit process: its top page, above
		   * TASK_SIZE); volatile: the compiler must not see it */
		const volatile uintptr_t kernel = sizeof(void *) == 8 ?
			static_cast<uintptr_t>(0xffff888000000000ULL) : 0xfffff000U;
		return reinterpret_cast<void *>(kernel); // NOLINT(performance-no-int-to-ptr): a bad address on purpose
	}
	case 3: /* unaligned */
		return base_ + 1 + rng.below(7);
	default: {
		char *p = base_ + rng.below(kCapacity - n + 1);
		const std::string junk = rng.bytes(n);
		std::copy_n(junk.data(), n, p);
		return p;
	}
	}
}

std::vector<Target> &targets()
{
	static std::vector<Target> all;
	return all;
}

Register::Register(Target t)
{
	targets().push_back(std::move(t));
}

int err()
{
	return errno;
}

int file_op(Ctx &c, const std::string &path)
{
	static const std::array<int, 4> modes = {O_RDONLY, O_WRONLY, O_RDWR,
						 O_WRONLY | O_TRUNC};
	const Fd fd(::open(path.c_str(),
			   modes[c.rng.below(modes.size())] | O_NONBLOCK | O_CLOEXEC));
	if (!fd)
		return err();
	int res = 0;
	for (size_t i = 0, n = 1 + c.rng.below(4); i < n; i++) {
		ssize_t r = 0;
		switch (c.rng.below(6)) {
		case 0:
		case 1: {
			const std::string text = c.rng.text();
			r = ::write(fd.get(), c.arena.hold(text), text.size());
			break;
		}
		case 2: {
			const size_t len = c.rng.length(Arena::kCapacity);
			r = ::read(fd.get(), c.arena.pointer(c.rng, len), len);
			break;
		}
		case 3: {
			const size_t len = c.rng.length(Arena::kCapacity);
			r = ::pread(fd.get(), c.arena.pointer(c.rng, len), len,
				    static_cast<off_t>(c.rng.value() & 0x7fffffff));
			break;
		}
		case 4: {
			const std::string text = c.rng.text();
			r = ::pwrite(fd.get(), c.arena.hold(text), text.size(),
				     static_cast<off_t>(c.rng.below(2 * kPage)));
			break;
		}
		default:
			r = ::lseek(fd.get(), static_cast<off_t>(c.rng.value()),
				    static_cast<int>(c.rng.below(5)));
			break;
		}
		if (r < 0)
			res = err();
	}
	return res;
}

int ioctl_op(Ctx &c, int fd, unsigned int magic,
	     const std::vector<unsigned long> &cmds)
{
	unsigned long cmd = c.rng.pick(cmds);
	switch (c.rng.below(6)) {
	case 0: /* another number of the same magic */
		cmd = _IOC(c.rng.below(4), magic, c.rng.below(256),
			   c.rng.below(512));
		break;
	case 1: /* the size bits changed */
		cmd = _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd),
			   c.rng.below(512));
		break;
	case 2: /* the direction bits changed */
		cmd = _IOC(c.rng.below(4), _IOC_TYPE(cmd), _IOC_NR(cmd),
			   _IOC_SIZE(cmd));
		break;
	default:
		break;
	}
	const size_t size = _IOC_SIZE(cmd);
	std::string arg = c.rng.bytes(size);
	if (size >= 4 && c.rng.chance(70)) { /* a plausible size field */
		const auto s = static_cast<uint32_t>(size);
		std::memcpy(arg.data(), &s, sizeof(s));
	}
	void *p = c.rng.chance(85) ? c.arena.hold(arg)
				   : c.arena.pointer(c.rng, size);
	return ::ioctl(fd, cmd, p) == 0 ? 0 : err();
}

} // namespace kuipc::fuzz
