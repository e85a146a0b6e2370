// SPDX-License-Identifier: GPL-2.0
#include "eventfd.hpp"

#include "error.hpp"
#include "syscall.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <utility>

namespace kuipc::eventfd {

std::string status_flags(uint32_t flags)
{
	return sys::flag_names(flags, {{KUIPC_EVENTFD_REGISTERED, "REGISTERED"},
				       {KUIPC_EVENTFD_OWNER, "OWNER"}});
}

std::string to_string(const Status &st)
{
	std::string s = "{channel=" + std::to_string(st.channel) +
			", flags=" + status_flags(st.flags) +
			", queued=" + std::to_string(st.queued);
	if (st.reserved != 0)
		s += ", reserved=" + std::to_string(st.reserved);
	return s + ", produced=" + std::to_string(st.produced) +
	       ", fetched=" + std::to_string(st.fetched) + "}";
}

std::string ioctl_name(unsigned long cmd)
{
	switch (cmd) {
	case KUIPC_EVENTFD_REGISTER:
		return "KUIPC_EVENTFD_REGISTER";
	case KUIPC_EVENTFD_UNREGISTER:
		return "KUIPC_EVENTFD_UNREGISTER";
	case KUIPC_EVENTFD_PRODUCE:
		return "KUIPC_EVENTFD_PRODUCE";
	case KUIPC_EVENTFD_FETCH:
		return "KUIPC_EVENTFD_FETCH";
	case KUIPC_EVENTFD_STATUS:
		return "KUIPC_EVENTFD_STATUS";
	default:
		return sys::hex(cmd);
	}
}

std::string eventfd_flags(int flags)
{
	return sys::eventfd_flags(flags);
}

namespace {

std::string shown(const kuipc_eventfd_register &r)
{
	return "{channel=" + std::to_string(r.channel) + ", efd=" + std::to_string(r.efd) + "}";
}

std::string shown(const kuipc_eventfd_unregister &r)
{
	return "{channel=" + std::to_string(r.channel) + "}";
}

/* The payload is shown where it holds one: going in, or coming back. */
std::string shown(const kuipc_eventfd_msg &m, bool with_data, bool with_seq)
{
	std::string s = "{channel=" + std::to_string(m.channel) + ", len=" + std::to_string(m.len) +
			", data=";
	if (with_data && m.len <= KUIPC_EVENTFD_PAYLOAD_MAX)
		// NOLINTNEXTLINE(performance-no-int-to-ptr): data is our own buffer's address
		s += sys::quote(std::string_view(reinterpret_cast<const char *>(m.data), m.len));
	else
		s += "...";
	if (with_seq)
		s += ", seq=" + std::to_string(m.seq);
	return s + "}";
}

/* One ioctl, EINTR retried; kuipc::Error naming path on failure. */
template <typename T, typename Show>
void device_ioctl(int fd, const std::string &path, unsigned long cmd, T *arg, Show &&show)
{
	const std::string name = ioctl_name(cmd);
	for (;;) {
		if (sys::ioctl(fd, cmd, name, arg, show) == 0)
			return;
		if (errno != EINTR)
			throw_errno(std::string("ioctl ").append(name).append(" ").append(path));
	}
}

} // namespace

/* ---- EventFd ----------------------------------------------------------- */

EventFd::EventFd(int flags, unsigned int initval)
	: flags_(flags | EFD_CLOEXEC), fd_(sys::eventfd(initval, flags_))
{
	if (!fd_)
		throw_errno("eventfd(" + std::to_string(initval) + ", " +
			    eventfd_flags(flags_) + ")");
}

uint64_t EventFd::read()
{
	uint64_t v = 0;
	for (;;) {
		const ssize_t n = sys::read(fd_.get(), &v, sizeof(v),
					    [&](size_t) { return "[" + std::to_string(v) + "]"; });
		if (n == static_cast<ssize_t>(sizeof(v)))
			return v;
		if (n >= 0)
			throw_err(EIO, "read eventfd: short read");
		if (errno != EINTR)
			throw_errno("read eventfd");
	}
}

void EventFd::write(uint64_t n)
{
	for (;;) {
		const ssize_t r = sys::write(fd_.get(), &n, sizeof(n),
					     [&] { return "[" + std::to_string(n) + "]"; });
		if (r == static_cast<ssize_t>(sizeof(n)))
			return;
		if (r >= 0)
			throw_err(EIO, "write eventfd: short write");
		if (errno != EINTR)
			throw_errno("write eventfd");
	}
}

bool EventFd::wait(int timeout_ms) const
{
	pollfd pfd{fd_.get(), POLLIN, 0};
	for (;;) {
		const int n = sys::poll(&pfd, 1, timeout_ms);
		if (n >= 0)
			return n == 1 && (pfd.revents & POLLIN) != 0;
		if (errno != EINTR)
			throw_errno("poll eventfd");
	}
}

/* ---- Device ------------------------------------------------------------ */

Device::Device(std::string path)
	: path_(std::move(path)), fd_(sys::open(path_.c_str(), O_RDWR | O_CLOEXEC))
{
	if (!fd_)
		throw_errno("open " + path_);
}

void Device::register_eventfd(uint32_t channel, int efd)
{
	kuipc_eventfd_register req{};
	req.channel = channel;
	req.efd = efd;
	device_ioctl(fd_.get(), path_, KUIPC_EVENTFD_REGISTER, &req,
		     [](const auto &r) { return shown(r); });
}

void Device::unregister(uint32_t channel)
{
	kuipc_eventfd_unregister req{};
	req.channel = channel;
	device_ioctl(fd_.get(), path_, KUIPC_EVENTFD_UNREGISTER, &req,
		     [](const auto &r) { return shown(r); });
}

void Device::produce(uint32_t channel, std::span<const std::byte> payload)
{
	kuipc_eventfd_msg msg{};
	msg.channel = channel;
	/* A payload over the limit still reaches the kernel, which says EINVAL. */
	msg.len = payload.size() > UINT32_MAX ? UINT32_MAX
					      : static_cast<uint32_t>(payload.size());
	msg.data = reinterpret_cast<uintptr_t>(payload.data());
	device_ioctl(fd_.get(), path_, KUIPC_EVENTFD_PRODUCE, &msg,
		     [](const auto &m) { return shown(m, true, false); });
}

void Device::produce(uint32_t channel, std::string_view payload)
{
	produce(channel, std::as_bytes(std::span(payload.data(), payload.size())));
}

Item Device::fetch(uint32_t channel, size_t max)
{
	std::string buf(max, '\0');
	kuipc_eventfd_msg msg{};
	msg.channel = channel;
	msg.len = max > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(max);
	msg.data = reinterpret_cast<uintptr_t>(buf.data());
	device_ioctl(fd_.get(), path_, KUIPC_EVENTFD_FETCH, &msg,
		     [](const auto &m, bool out) { return shown(m, out, out); });
	buf.resize(msg.len);
	return Item{msg.seq, std::move(buf)};
}

std::optional<Item> Device::try_fetch(uint32_t channel)
{
	try {
		return fetch(channel);
	} catch (const Error &e) {
		if (e.err() == EAGAIN)
			return std::nullopt;
		throw;
	}
}

Status Device::status(uint32_t channel) const
{
	Status st{};
	st.channel = channel;
	device_ioctl(fd_.get(), path_, KUIPC_EVENTFD_STATUS, &st,
		     [](const Status &v, bool out) {
			     return out ? to_string(v) : "{channel=" + std::to_string(v.channel) + "}";
		     });
	return st;
}

void Device::close()
{
	if (sys::close(fd_.release()) != 0)
		throw_errno("close " + path_);
}

/* ---- Listener ---------------------------------------------------------- */

Listener::Listener(Device &dev, uint32_t channel, int efd_flags)
	: dev_(dev), channel_(channel), efd_(efd_flags | EFD_NONBLOCK)
{
	dev_.register_eventfd(channel_, efd_.fd());
}

Listener::~Listener()
{
	try {
		dev_.unregister(channel_);
	} catch (const Error &) {
		/* Already ended, e.g. by an explicit unregister(). */
	}
}

uint64_t Listener::wait(int timeout_ms)
{
	if (!efd_.wait(timeout_ms))
		return 0;
	try {
		return efd_.read();
	} catch (const Error &e) {
		/* Another reader of the same eventfd was first. */
		if (e.err() == EAGAIN)
			return 0;
		throw;
	}
}

std::vector<Item> Listener::fetch_all()
{
	std::vector<Item> items;
	while (auto item = dev_.try_fetch(channel_))
		items.push_back(std::move(*item));
	return items;
}

} // namespace kuipc::eventfd
