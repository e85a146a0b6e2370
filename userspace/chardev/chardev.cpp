// SPDX-License-Identifier: GPL-2.0
#include "chardev.hpp"

#include "error.hpp"
#include "syscall.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace kuipc::chardev {

Config default_config() noexcept
{
	Config cfg{};
	cfg.size = sizeof(cfg);
	cfg.capacity = KUIPC_CHARDEV_CAPACITY_DEFAULT;
	return cfg;
}

bool equal(const Config &a, const Config &b) noexcept
{
	return std::memcmp(&a, &b, sizeof(a)) == 0;
}

std::string to_string(const Config &cfg)
{
	std::string s = "{size=" + std::to_string(cfg.size) +
			", capacity=" + std::to_string(cfg.capacity);
	if (cfg.reserved[0] != 0 || cfg.reserved[1] != 0)
		s += ", reserved=[" + std::to_string(cfg.reserved[0]) + ", " +
		     std::to_string(cfg.reserved[1]) + "]";
	return s + "}";
}

std::string to_string(const Stats &st)
{
	std::string s = "{size=" + std::to_string(st.size);
	if (st.flags != 0)
		s += ", flags=" + std::to_string(st.flags);
	return s + ", queued=" + std::to_string(st.queued) +
	       ", bytes_written=" + std::to_string(st.bytes_written) +
	       ", bytes_read=" + std::to_string(st.bytes_read) +
	       ", writes=" + std::to_string(st.writes) +
	       ", reads=" + std::to_string(st.reads) + "}";
}

std::string ioctl_name(unsigned long cmd)
{
	switch (cmd) {
	case KUIPC_CHARDEV_GET_CONFIG:
		return "KUIPC_CHARDEV_GET_CONFIG";
	case KUIPC_CHARDEV_SET_CONFIG:
		return "KUIPC_CHARDEV_SET_CONFIG";
	case KUIPC_CHARDEV_RESET:
		return "KUIPC_CHARDEV_RESET";
	case KUIPC_CHARDEV_GET_STATS:
		return "KUIPC_CHARDEV_GET_STATS";
	default:
		return sys::hex(cmd);
	}
}

std::string poll_events(short events)
{
	return sys::poll_events(events);
}

namespace {

/* One ioctl with a struct, EINTR retried; kuipc::Error on failure. */
template <typename T>
void device_ioctl(int fd, const std::string &path, unsigned long cmd, T *arg)
{
	const std::string name = ioctl_name(cmd);
	for (;;) {
		if (sys::ioctl(fd, cmd, name, arg, [](const T &v) { return to_string(v); }) == 0)
			return;
		if (errno != EINTR)
			throw_errno(std::string("ioctl ").append(name).append(" ").append(path));
	}
}

} // namespace

Device::Device(std::string path, int flags)
	: path_(std::move(path)),
	  fd_(sys::open(path_.c_str(), O_RDWR | O_CLOEXEC | flags))
{
	if (!fd_)
		throw_errno("open " + path_);
}

size_t Device::write(std::span<const std::byte> data)
{
	for (;;) {
		const ssize_t n = sys::write(fd_.get(), data.data(), data.size());
		if (n >= 0)
			return static_cast<size_t>(n);
		if (errno != EINTR)
			throw_errno("write " + path_);
	}
}

size_t Device::write(std::string_view text)
{
	return write(std::as_bytes(std::span(text.data(), text.size())));
}

void Device::write_all(std::string_view text)
{
	while (!text.empty())
		text.remove_prefix(write(text));
}

size_t Device::read(std::span<std::byte> buf)
{
	for (;;) {
		const ssize_t n = sys::read(fd_.get(), buf.data(), buf.size());
		if (n >= 0)
			return static_cast<size_t>(n);
		if (errno != EINTR)
			throw_errno("read " + path_);
	}
}

std::string Device::read_string(size_t max)
{
	std::string s(max, '\0');
	s.resize(read(std::as_writable_bytes(std::span(s.data(), s.size()))));
	return s;
}

short Device::poll(short events, int timeout_ms) const
{
	pollfd pfd{fd_.get(), events, 0};
	for (;;) {
		const int n = sys::poll(&pfd, 1, timeout_ms);
		if (n >= 0)
			return n == 0 ? short{0} : pfd.revents;
		if (errno != EINTR)
			throw_errno("poll " + path_);
	}
}

void Device::set_nonblocking(bool on)
{
	const int fl = sys::fcntl(fd_.get(), F_GETFL);
	if (fl < 0)
		throw_errno("fcntl F_GETFL " + path_);
	if (sys::fcntl(fd_.get(), F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) != 0)
		throw_errno("fcntl F_SETFL " + path_);
}

Config Device::config() const
{
	Config cfg{};
	device_ioctl(fd_.get(), path_, KUIPC_CHARDEV_GET_CONFIG, &cfg);
	return cfg;
}

void Device::set_config(const Config &cfg)
{
	Config copy = cfg;
	device_ioctl(fd_.get(), path_, KUIPC_CHARDEV_SET_CONFIG, &copy);
}

void Device::set_capacity(uint32_t capacity)
{
	Config cfg = config();
	cfg.capacity = capacity;
	set_config(cfg);
}

Stats Device::stats() const
{
	Stats st{};
	st.size = sizeof(st);
	device_ioctl(fd_.get(), path_, KUIPC_CHARDEV_GET_STATS, &st);
	return st;
}

void Device::reset()
{
	for (;;) {
		if (sys::ioctl(fd_.get(), KUIPC_CHARDEV_RESET, "KUIPC_CHARDEV_RESET") == 0)
			return;
		if (errno != EINTR)
			throw_errno("ioctl KUIPC_CHARDEV_RESET " + path_);
	}
}

} // namespace kuipc::chardev
