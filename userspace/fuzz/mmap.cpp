// SPDX-License-Identifier: GPL-2.0
// Fuzzing the mmap pair: mappings of any shape, garbage written over the
// shared ring (indices included), and its ioctls.
#include "fd.hpp"
#include "fuzz.hpp"

#include <kuipc/mmap.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace {

namespace fz = kuipc::fuzz;

constexpr size_t kPage = 4096;

int device_op(fz::Ctx &c)
{
	const kuipc::Fd fd(::open(KUIPC_MMAP_PATH, (c.rng.chance(80) ? O_RDWR : O_RDONLY) |
							   O_NONBLOCK | O_CLOEXEC));
	if (!fd)
		return fz::err();
	int res = 0;
	/* A mapping: usually the whole buffer, sometimes any window. */
	size_t len = KUIPC_MMAP_SIZE;
	off_t off = 0;
	if (c.rng.chance(40)) {
		len = c.rng.length(KUIPC_MMAP_SIZE + 2 * kPage);
		off = static_cast<off_t>(c.rng.below(8) * kPage + (c.rng.chance(10) ? 1 : 0));
	}
	static const std::array<int, 5> prots = {PROT_READ, PROT_READ | PROT_WRITE,
						 PROT_WRITE, PROT_READ | PROT_EXEC,
						 PROT_NONE};
	const int prot = c.rng.chance(70) ? PROT_READ | PROT_WRITE
					  : prots[c.rng.below(prots.size())];
	const int flags = c.rng.chance(90) ? MAP_SHARED : MAP_PRIVATE;
	void *map = ::mmap(nullptr, len, prot, flags, fd.get(), off);
	if (map == MAP_FAILED) {
		res = fz::err();
		map = nullptr;
	}
	if (map != nullptr && (prot & PROT_WRITE) != 0 && c.rng.chance(60)) {
		/* Garbage anywhere in the mapping: the module must not trust it. */
		for (size_t i = 0, n = 1 + c.rng.below(8); i < n; i++) {
			const size_t at = c.rng.below(len);
			const std::string junk = c.rng.bytes(std::min<size_t>(len - at, 16));
			std::memcpy(static_cast<char *>(map) + at, junk.data(), junk.size());
		}
	}
	for (size_t i = 0, n = 1 + c.rng.below(4); i < n; i++) {
		if (c.rng.chance(20)) {
			pollfd p{fd.get(), POLLIN, 0};
			if (::poll(&p, 1, 0) < 0)
				res = fz::err();
		} else if (const int e = fz::ioctl_op(c, fd.get(), KUIPC_MMAP_IOC_MAGIC,
						      {KUIPC_MMAP_PRODUCE,
						       KUIPC_MMAP_CHECKSUM,
						       KUIPC_MMAP_RESET});
			   e != 0) {
			res = e;
		}
	}
	if (map != nullptr)
		::munmap(map, len);
	return res;
}

const fz::Register reg({"mmap", {{"device", device_op}}});

} // namespace
