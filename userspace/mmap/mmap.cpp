// SPDX-License-Identifier: GPL-2.0
#include "mmap.hpp"

#include "error.hpp"
#include "syscall.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

namespace kuipc::mmap {

namespace {

constexpr uint32_t ring_mask = KUIPC_MMAP_RECORDS - 1;
static_assert((KUIPC_MMAP_RECORDS & ring_mask) == 0, "a power of two");

using sys::hex;

/* The two indices live in the shared page: every access is atomic. */
uint32_t load_acquire(uint32_t &field) noexcept
{
	return std::atomic_ref<uint32_t>(field).load(std::memory_order_acquire);
}

} // namespace

uint64_t fnv1a(std::span<const std::byte> bytes, uint64_t hash) noexcept
{
	/* The header's definition, so both sides compute the same sum. */
	return kuipc_mmap_fnv1a(hash, bytes.data(),
				static_cast<uint32_t>(bytes.size()));
}

Record expected_record(uint64_t seq) noexcept
{
	Record rec{};
	rec.seq = seq;
	rec.len = kuipc_mmap_payload_len(seq);
	for (uint32_t i = 0; i < rec.len; ++i)
		rec.payload[i] = kuipc_mmap_payload_byte(seq, i);
	rec.check = kuipc_mmap_fnv1a(KUIPC_MMAP_FNV1A_INIT, &rec,
				     offsetof(Record, check));
	return rec;
}

bool check_ok(const Record &rec) noexcept
{
	return rec.check == kuipc_mmap_fnv1a(KUIPC_MMAP_FNV1A_INIT, &rec,
					     offsetof(Record, check));
}

bool equal(const Record &a, const Record &b) noexcept
{
	return std::memcmp(&a, &b, sizeof(a)) == 0;
}

std::string to_string(const Record &rec)
{
	std::string s = "{seq=" + std::to_string(rec.seq) +
			", len=" + std::to_string(rec.len) + ", payload=[";
	const uint32_t shown = std::min<uint32_t>(rec.len, 4);
	for (uint32_t i = 0; i < shown; ++i)
		s += (i != 0 ? ", " : "") + hex(rec.payload[i]);
	if (rec.len > shown)
		s += ", ...";
	s += "]";
	if (rec.reserved != 0)
		s += ", reserved=" + std::to_string(rec.reserved);
	return s + ", check=" + hex(rec.check) + "}";
}

std::string to_string(const Ctrl &ctrl)
{
	return "{magic=" + hex(ctrl.magic) +
	       ", version=" + std::to_string(ctrl.version) +
	       ", size=" + std::to_string(ctrl.size) +
	       ", record_size=" + std::to_string(ctrl.record_size) +
	       ", records=" + std::to_string(ctrl.records) +
	       ", data_offset=" + std::to_string(ctrl.data_offset) +
	       ", user_offset=" + std::to_string(ctrl.user_offset) +
	       ", user_size=" + std::to_string(ctrl.user_size) +
	       ", head=" + std::to_string(ctrl.head) +
	       ", tail=" + std::to_string(ctrl.tail) + "}";
}

std::string ioctl_name(unsigned long cmd)
{
	switch (cmd) {
	case KUIPC_MMAP_PRODUCE:
		return "KUIPC_MMAP_PRODUCE";
	case KUIPC_MMAP_CHECKSUM:
		return "KUIPC_MMAP_CHECKSUM";
	case KUIPC_MMAP_RESET:
		return "KUIPC_MMAP_RESET";
	default:
		return hex(cmd);
	}
}

std::string poll_events(short events)
{
	return sys::poll_events(events);
}

std::string prot_string(int prot)
{
	return sys::mmap_prot(prot);
}

std::string map_flags_string(int flags)
{
	return sys::mmap_flags(flags);
}

namespace {

std::string shown(const kuipc_mmap_produce &p)
{
	return "{count=" + std::to_string(p.count) + ", flags=" + std::to_string(p.flags) + "}";
}

std::string shown(const kuipc_mmap_checksum &c, bool out)
{
	return "{offset=" + std::to_string(c.offset) + ", len=" + std::to_string(c.len) +
	       (out ? ", sum=" + hex(c.sum) : std::string()) + "}";
}

} // namespace

Mapping::Mapping(int fd, size_t len, int prot, int flags, off_t offset)
{
	void *addr = sys::mmap(nullptr, len, prot, flags, fd, offset);
	if (addr == MAP_FAILED)
		throw_errno("mmap " + std::to_string(len) + " bytes at " +
			    std::to_string(offset));
	addr_ = static_cast<std::byte *>(addr);
	len_ = len;
}

Mapping::Mapping(Mapping &&other) noexcept
	: addr_(std::exchange(other.addr_, nullptr)),
	  len_(std::exchange(other.len_, 0))
{
}

Mapping &Mapping::operator=(Mapping &&other) noexcept
{
	if (this != &other) {
		reset();
		addr_ = std::exchange(other.addr_, nullptr);
		len_ = std::exchange(other.len_, 0);
	}
	return *this;
}

void Mapping::reset() noexcept
{
	if (addr_ != nullptr)
		(void)sys::munmap(addr_, len_);
	addr_ = nullptr;
	len_ = 0;
}

Device::Device(std::string path, int flags)
	: path_(std::move(path)), fd_(sys::open(path_.c_str(), flags | O_CLOEXEC))
{
	if (!fd_)
		throw_errno("open " + path_);
}

uint32_t Device::produce(uint32_t count)
{
	kuipc_mmap_produce req{};
	req.count = count;
	for (;;) {
		const int n = sys::ioctl(fd_.get(), KUIPC_MMAP_PRODUCE, "KUIPC_MMAP_PRODUCE", &req,
					 [](const auto &r) { return shown(r); });
		if (n >= 0)
			return static_cast<uint32_t>(n);
		if (errno != EINTR)
			throw_errno("ioctl KUIPC_MMAP_PRODUCE " + path_);
	}
}

uint32_t Device::try_produce(uint32_t count)
{
	try {
		return produce(count);
	} catch (const Error &e) {
		if (e.err() == ENOSPC)
			return 0;
		throw;
	}
}

uint64_t Device::checksum(uint32_t offset, uint32_t len) const
{
	kuipc_mmap_checksum cs{};
	cs.offset = offset;
	cs.len = len;
	while (sys::ioctl(fd_.get(), KUIPC_MMAP_CHECKSUM, "KUIPC_MMAP_CHECKSUM", &cs,
			  [](const auto &c, bool out) { return shown(c, out); }) != 0) {
		if (errno != EINTR)
			throw_errno("ioctl KUIPC_MMAP_CHECKSUM " + path_);
	}
	return cs.sum;
}

void Device::reset()
{
	while (sys::ioctl(fd_.get(), KUIPC_MMAP_RESET, "KUIPC_MMAP_RESET") != 0) {
		if (errno != EINTR)
			throw_errno("ioctl KUIPC_MMAP_RESET " + path_);
	}
}

short Device::poll(short events, int timeout_ms) const
{
	pollfd pfd{fd_.get(), events, 0};
	for (;;) {
		const int n = sys::poll(&pfd, 1, timeout_ms);
		if (n > 0)
			return pfd.revents;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			throw_errno("poll " + path_);
	}
}

Mapping Device::map(size_t len, int prot, off_t offset) const
{
	return {fd_.get(), len, prot, MAP_SHARED, offset};
}

Ring::Ring(const Device &dev) : Ring(dev.map()) {}

Ring::Ring(Mapping mapping) : map_(std::move(mapping))
{
	if (map_.size() < KUIPC_MMAP_SIZE)
		throw_err(EINVAL, "ring: a mapping of " +
					  std::to_string(map_.size()) +
					  " bytes is not the whole buffer");
	ctrl_ = reinterpret_cast<Ctrl *>(map_.data());
	ring_ = reinterpret_cast<Record *>(map_.data() + KUIPC_MMAP_DATA_OFFSET);
	/* The module writes these at load; a mismatch is another ABI. */
	const Ctrl &c = *ctrl_;
	if (c.magic != KUIPC_MMAP_MAGIC || c.version != KUIPC_MMAP_VERSION ||
	    c.size != KUIPC_MMAP_SIZE ||
	    c.record_size != KUIPC_MMAP_RECORD_SIZE ||
	    c.records != KUIPC_MMAP_RECORDS ||
	    c.data_offset != KUIPC_MMAP_DATA_OFFSET ||
	    c.user_offset != KUIPC_MMAP_USER_OFFSET ||
	    c.user_size != KUIPC_MMAP_USER_SIZE)
		throw_err(EPROTO, "ring: control page " + to_string(c) +
					  " is not the layout of <kuipc/mmap.h>");
}

uint32_t Ring::head() const noexcept
{
	/* Pairs with the module's smp_store_release() of head. */
	return load_acquire(ctrl_->head);
}

uint32_t Ring::tail() const noexcept
{
	/* Only this consumer writes it: no ordering needed to read it. */
	return std::atomic_ref<uint32_t>(ctrl_->tail).load(
		std::memory_order_relaxed);
}

uint32_t Ring::available() const noexcept
{
	return head() - tail();
}

size_t Ring::pop(std::span<Record> out)
{
	const uint32_t t = tail();
	const uint32_t avail = head() - t;
	if (avail > KUIPC_MMAP_RECORDS)
		throw_err(EIO, "ring: head " + std::to_string(t + avail) +
				       " and tail " + std::to_string(t) +
				       " are inconsistent");
	const uint32_t n = std::min<uint32_t>(
		avail, static_cast<uint32_t>(
			       std::min<size_t>(out.size(), KUIPC_MMAP_RECORDS)));
	for (uint32_t i = 0; i < n; ++i)
		std::memcpy(&out[i], &ring_[(t + i) & ring_mask], sizeof(Record));
	if (n != 0)
		store_tail(t + n);
	return n;
}

bool Ring::try_pop(Record &out)
{
	return pop(std::span(&out, 1)) == 1;
}

bool Ring::wait(const Device &dev, int timeout_ms) const
{
	using Clock = std::chrono::steady_clock;
	const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
	for (;;) {
		/* The fast path: no system call while records are waiting. */
		const uint32_t n = available();
		if (n > KUIPC_MMAP_RECORDS)
			throw_err(EIO, "ring: tail " + std::to_string(tail()) +
					       " is " + std::to_string(n) +
					       " records behind head");
		if (n != 0)
			return true;
		int left = -1;
		if (timeout_ms >= 0) {
			const auto ms =
				std::chrono::duration_cast<std::chrono::milliseconds>(
					deadline - Clock::now())
					.count();
			left = static_cast<int>(std::max<decltype(ms)>(ms, 0));
		}
		const short rev = dev.poll(POLLIN, left);
		if ((rev & POLLERR) != 0)
			throw_err(EIO, "ring: the module reports a bad tail " +
					       std::to_string(tail()));
		if (rev == 0)
			return available() != 0;
	}
}

const Record &Ring::slot(uint32_t i) const noexcept
{
	return ring_[i & ring_mask];
}

void Ring::store_tail(uint32_t tail) noexcept
{
	/* Pairs with the module's smp_load_acquire() of tail: our reads of
	 * the slots are done before it may overwrite them. */
	std::atomic_ref<uint32_t>(ctrl_->tail).store(tail,
						     std::memory_order_release);
}

std::span<std::byte> Ring::user_area() const noexcept
{
	return {map_.data() + KUIPC_MMAP_USER_OFFSET, KUIPC_MMAP_USER_SIZE};
}

} // namespace kuipc::mmap
