// SPDX-License-Identifier: GPL-2.0
// kuipc::chardev: client of the misc device of kuipc_chardev.ko.
//
// The device is a byte stream through a bounded FIFO in the kernel, with
// ioctls for its configuration and counters. The ABI and the exact
// read/write semantics are in <kuipc/chardev.h>.
#pragma once

#include "fd.hpp"

#include <kuipc/chardev.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kuipc::chardev {

using Config = kuipc_chardev_config;
using Stats = kuipc_chardev_stats;

/* The configuration the module starts with and restores on reset. */
[[nodiscard]] Config default_config() noexcept;

/* Field by field (the structs have no padding, so this is exact). */
[[nodiscard]] bool equal(const Config &a, const Config &b) noexcept;

/* "{size=16, capacity=4096}", as strace would print the struct. */
[[nodiscard]] std::string to_string(const Config &cfg);
/* "{size=48, queued=5, bytes_written=5, bytes_read=0, writes=1, reads=0}" */
[[nodiscard]] std::string to_string(const Stats &st);

/* "KUIPC_CHARDEV_GET_CONFIG" for this device's commands, else "0x...". */
[[nodiscard]] std::string ioctl_name(unsigned long cmd);

/* "POLLIN|POLLOUT" for poll(2) event bits; "0" for none. */
[[nodiscard]] std::string poll_events(short events);

/*
 * An open file of the device. Every call is one system call (EINTR is
 * retried) and throws kuipc::Error with its errno on failure, EAGAIN
 * included, so callers of a non-blocking device catch that one.
 */
class Device {
public:
	/* open(path, O_RDWR | O_CLOEXEC | flags), e.g. flags = O_NONBLOCK. */
	explicit Device(std::string path = KUIPC_CHARDEV_PATH, int flags = 0);

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	[[nodiscard]] const std::string &path() const noexcept
	{
		return path_;
	}

	/* One write(2); returns the bytes stored, which may be fewer. */
	size_t write(std::span<const std::byte> data);
	size_t write(std::string_view text);
	/* write(2) until all of text is stored (blocking as needed). */
	void write_all(std::string_view text);

	/* One read(2); returns the bytes read (blocks while empty). */
	size_t read(std::span<std::byte> buf);
	/* One read(2) of at most max bytes, as a string. */
	std::string read_string(size_t max = KUIPC_CHARDEV_CAPACITY_MAX);

	/* poll(2) for events; returns revents, 0 when timeout_ms passed. */
	short poll(short events, int timeout_ms) const;

	/* Set or clear O_NONBLOCK. */
	void set_nonblocking(bool on);

	[[nodiscard]] Config config() const;
	/* Needs CAP_SYS_ADMIN; cfg.size must be sizeof(Config). */
	void set_config(const Config &cfg);
	/* config(), change the capacity, set_config(). */
	void set_capacity(uint32_t capacity);
	[[nodiscard]] Stats stats() const;
	/* Empty the FIFO, zero the counters, default config; CAP_SYS_ADMIN. */
	void reset();

private:
	std::string path_;
	Fd fd_;
};

} // namespace kuipc::chardev
