// SPDX-License-Identifier: GPL-2.0
// kuipc::mmap: client of the misc device of kuipc_mmap.ko.
//
// The device's mmap() shares one kernel buffer: a control page, a ring of
// records that the module produces (on KUIPC_MMAP_PRODUCE) and user space
// consumes straight from memory, and a user area that user space writes and
// the module checksums (KUIPC_MMAP_CHECKSUM). The layout and the ring
// protocol are in <kuipc/mmap.h>.
#pragma once

#include "fd.hpp"

#include <kuipc/mmap.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace kuipc::mmap {

using Ctrl = kuipc_mmap_ctrl;
using Record = kuipc_mmap_record;

/* 64-bit FNV-1a of bytes, chained from hash: what KUIPC_MMAP_CHECKSUM sums. */
[[nodiscard]] uint64_t fnv1a(std::span<const std::byte> bytes,
			     uint64_t hash = KUIPC_MMAP_FNV1A_INIT) noexcept;

/* The record the module writes for seq, byte for byte. */
[[nodiscard]] Record expected_record(uint64_t seq) noexcept;

/* Whether rec.check is the checksum of the bytes before it. */
[[nodiscard]] bool check_ok(const Record &rec) noexcept;

/* Field by field (the structs have no implicit padding, so this is exact). */
[[nodiscard]] bool equal(const Record &a, const Record &b) noexcept;

/* "{seq=3, len=4, payload=[...], check=0x...}", as strace would print it. */
[[nodiscard]] std::string to_string(const Record &rec);
/* "{magic=0x6b6d6d70, version=1, ..., head=3, tail=0}" */
[[nodiscard]] std::string to_string(const Ctrl &ctrl);

/* "KUIPC_MMAP_PRODUCE" for this device's commands, else "0x...". */
[[nodiscard]] std::string ioctl_name(unsigned long cmd);

/* "POLLIN|POLLERR" for poll(2) event bits; "0" for none. */
[[nodiscard]] std::string poll_events(short events);

/* "PROT_READ|PROT_WRITE", "MAP_SHARED": for mmap(2) narration. */
[[nodiscard]] std::string prot_string(int prot);
[[nodiscard]] std::string map_flags_string(int flags);

/* A mapping owned by exactly one object: munmap() on destruction. */
class Mapping {
public:
	Mapping() noexcept = default;
	/* mmap(NULL, len, prot, flags, fd, offset); throws kuipc::Error. */
	Mapping(int fd, size_t len, int prot, int flags, off_t offset = 0);
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;
	Mapping(Mapping &&other) noexcept;
	Mapping &operator=(Mapping &&other) noexcept;
	~Mapping() { reset(); }

	[[nodiscard]] std::byte *data() const noexcept { return addr_; }
	[[nodiscard]] size_t size() const noexcept { return len_; }
	explicit operator bool() const noexcept { return addr_ != nullptr; }

	/* munmap() now (the device's release runs once nothing holds it). */
	void reset() noexcept;

private:
	std::byte *addr_ = nullptr;
	size_t len_ = 0;
};

/*
 * An open file of the device. Every call is one system call (EINTR is
 * retried) and throws kuipc::Error with its errno on failure.
 */
class Device {
public:
	/* open(path, flags | O_CLOEXEC); flags O_RDWR or O_RDONLY. */
	explicit Device(std::string path = KUIPC_MMAP_PATH, int flags = O_RDWR);

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	[[nodiscard]] const std::string &path() const noexcept
	{
		return path_;
	}

	/* close(2) the descriptor now; mappings made from it stay valid. */
	void close() noexcept { fd_.reset(); }

	/*
	 * KUIPC_MMAP_PRODUCE: returns the records produced, fewer than count
	 * when the ring fills up. Throws ENOSPC when it is full.
	 */
	uint32_t produce(uint32_t count);
	/* The same, but 0 instead of ENOSPC: for producers that retry. */
	uint32_t try_produce(uint32_t count);

	/* KUIPC_MMAP_CHECKSUM over [offset, offset + len) of the user area. */
	[[nodiscard]] uint64_t checksum(uint32_t offset, uint32_t len) const;

	/* KUIPC_MMAP_RESET: empty ring, seq 0, zeroed areas; CAP_SYS_ADMIN. */
	void reset();

	/* poll(2) for events; returns revents, 0 when timeout_ms passed. */
	[[nodiscard]] short poll(short events, int timeout_ms) const;

	/* mmap(2) a MAP_SHARED window of the buffer. */
	[[nodiscard]] Mapping map(size_t len = KUIPC_MMAP_SIZE,
				  int prot = PROT_READ | PROT_WRITE,
				  off_t offset = 0) const;

private:
	std::string path_;
	Fd fd_;
};

/*
 * The consumer's view of a whole mapping of the buffer. Reading records
 * makes no system call while there are some; wait() sleeps in poll(2) when
 * there are none. One consumer at a time (the ring is single-consumer).
 */
class Ring {
public:
	/* Map the whole buffer of dev read-write and check the control page. */
	explicit Ring(const Device &dev);
	/* Take a mapping of the whole buffer; throws EPROTO on a bad layout. */
	explicit Ring(Mapping mapping);

	[[nodiscard]] const Ctrl &ctrl() const noexcept { return *ctrl_; }
	[[nodiscard]] const Mapping &mapping() const noexcept { return map_; }

	/* ctrl.head, load-acquire: records before it are fully written. */
	[[nodiscard]] uint32_t head() const noexcept;
	/* ctrl.tail: the consumer's own index. */
	[[nodiscard]] uint32_t tail() const noexcept;
	/* Records waiting: head - tail (above KUIPC_MMAP_RECORDS: corrupt). */
	[[nodiscard]] uint32_t available() const noexcept;

	/*
	 * Copy up to out.size() records out of the ring, then store-release
	 * the new tail once. Returns the number copied, 0 when empty; no
	 * system call. Throws EIO when head and tail are inconsistent.
	 */
	size_t pop(std::span<Record> out);
	/* pop() of one record. */
	bool try_pop(Record &out);

	/*
	 * Wait until records are available: at once if there are some, else
	 * poll(2) dev for POLLIN. Returns false when timeout_ms passed. Throws
	 * EIO when the module reports POLLERR (a bad tail).
	 */
	bool wait(const Device &dev, int timeout_ms) const;

	/* The slot record i (mod KUIPC_MMAP_RECORDS) is in; no ordering. */
	[[nodiscard]] const Record &slot(uint32_t i) const noexcept;

	/* Store ctrl.tail directly (store-release): pop() does this. */
	void store_tail(uint32_t tail) noexcept;

	/* The user-to-kernel area, KUIPC_MMAP_USER_SIZE bytes. */
	[[nodiscard]] std::span<std::byte> user_area() const noexcept;

private:
	Mapping map_;
	Ctrl *ctrl_ = nullptr;
	Record *ring_ = nullptr;
};

} // namespace kuipc::mmap
