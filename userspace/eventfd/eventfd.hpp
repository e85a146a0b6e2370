// SPDX-License-Identifier: GPL-2.0
// kuipc::eventfd: client of the misc device of kuipc_eventfd.ko.
//
// The device has KUIPC_EVENTFD_CHANNELS channels. A waiter registers an
// eventfd(2) on a channel and waits for it to become readable (poll,
// select, epoll); the module queues items on the channel and adds 1 to the
// eventfd per item; the waiter fetches the items over ioctl. The ABI, the
// errors and the exact semantics are in <kuipc/eventfd.h>.
#pragma once

#include "fd.hpp"

#include <kuipc/eventfd.h>

#include <sys/eventfd.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kuipc::eventfd {

using Status = kuipc_eventfd_status;

/* An item taken off a channel. */
struct Item {
	uint64_t seq = 0;  /* its number on the channel since registration */
	std::string data;  /* the payload bytes */
};

/* "REGISTERED|OWNER" for kuipc_eventfd_status.flags; "0" for none. */
[[nodiscard]] std::string status_flags(uint32_t flags);

/* "{channel=1, flags=REGISTERED|OWNER, queued=2, produced=5, fetched=3}" */
[[nodiscard]] std::string to_string(const Status &st);

/* "KUIPC_EVENTFD_REGISTER" for this device's commands, else "0x...". */
[[nodiscard]] std::string ioctl_name(unsigned long cmd);

/* "EFD_CLOEXEC|EFD_NONBLOCK|EFD_SEMAPHORE" for eventfd(2) flags; "0". */
[[nodiscard]] std::string eventfd_flags(int flags);

/*
 * An eventfd(2) of this process. Every call is one system call (EINTR is
 * retried) and throws kuipc::Error with its errno, EAGAIN included.
 */
class EventFd {
public:
	/* eventfd(initval, flags); EFD_CLOEXEC is always added. */
	explicit EventFd(int flags = 0, unsigned int initval = 0);

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	[[nodiscard]] int flags() const noexcept { return flags_; }

	/*
	 * One read(2): the counter, which it resets to 0, or 1 (and the
	 * counter less 1) with EFD_SEMAPHORE. Blocks while the counter is 0,
	 * or throws EAGAIN with EFD_NONBLOCK.
	 */
	uint64_t read();
	/* One write(2): adds n to the counter. */
	void write(uint64_t n);
	/* poll(2) for POLLIN: true when readable within timeout_ms (-1: ever). */
	[[nodiscard]] bool wait(int timeout_ms) const;

private:
	int flags_;
	Fd fd_;
};

/*
 * An open file of the device. Every call is one ioctl (EINTR is retried)
 * and throws kuipc::Error with its errno on failure.
 */
class Device {
public:
	/* open(path, O_RDWR | O_CLOEXEC) */
	explicit Device(std::string path = KUIPC_EVENTFD_PATH);

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	[[nodiscard]] const std::string &path() const noexcept
	{
		return path_;
	}

	/*
	 * KUIPC_EVENTFD_REGISTER: the module takes its own reference to the
	 * eventfd behind efd (an fd of this process), so efd may be closed
	 * afterwards. The registration lasts until unregister() through this
	 * Device, or until its last descriptor is closed.
	 */
	void register_eventfd(uint32_t channel, int efd);
	/* KUIPC_EVENTFD_UNREGISTER: drops the channel's queued items. */
	void unregister(uint32_t channel);

	/* KUIPC_EVENTFD_PRODUCE: queue one item, signal the channel. */
	void produce(uint32_t channel, std::span<const std::byte> payload);
	void produce(uint32_t channel, std::string_view payload);

	/* KUIPC_EVENTFD_FETCH: the oldest item; throws EAGAIN when empty. */
	Item fetch(uint32_t channel, size_t max = KUIPC_EVENTFD_PAYLOAD_MAX);
	/* fetch(), or nullopt when the channel is empty. */
	std::optional<Item> try_fetch(uint32_t channel);

	/* KUIPC_EVENTFD_STATUS */
	[[nodiscard]] Status status(uint32_t channel) const;

	/*
	 * close(2) now (the destructor would, silently): the last close ends
	 * every registration made through this open file.
	 */
	void close();

private:
	std::string path_;
	Fd fd_;
};

/*
 * One channel's registration, for as long as the object lives: an eventfd
 * of its own (EFD_NONBLOCK plus efd_flags), registered through dev on
 * construction and unregistered on destruction. dev must outlive it.
 */
class Listener {
public:
	Listener(Device &dev, uint32_t channel, int efd_flags = 0);
	~Listener();
	Listener(const Listener &) = delete;
	Listener &operator=(const Listener &) = delete;
	Listener(Listener &&) = delete;
	Listener &operator=(Listener &&) = delete;

	[[nodiscard]] uint32_t channel() const noexcept { return channel_; }
	[[nodiscard]] EventFd &eventfd() noexcept { return efd_; }

	/*
	 * Wait up to timeout_ms (-1: for ever) for the eventfd to be readable,
	 * then read it: the number of items signalled since the last wait (1
	 * with EFD_SEMAPHORE), or 0 when the time ran out.
	 */
	uint64_t wait(int timeout_ms);
	/* Fetch every item queued now, oldest first. */
	std::vector<Item> fetch_all();

private:
	Device &dev_;
	uint32_t channel_;
	EventFd efd_;
};

} // namespace kuipc::eventfd
