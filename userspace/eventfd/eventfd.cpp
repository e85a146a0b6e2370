// SPDX-License-Identifier: GPL-2.0
#include "eventfd.hpp"

#include "error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <utility>

namespace kuipc::eventfd {

namespace {

/* "A|B|C" of the names whose bits are set in v, "0" for none. */
template <typename T, size_t N>
std::string bit_names(T v, const std::array<std::pair<T, const char *>, N> &names)
{
	std::string s;
	for (const auto &[bit, name] : names) {
		if ((v & bit) == 0)
			continue;
		if (!s.empty())
			s += '|';
		s += name;
		v &= ~bit;
	}
	if (v != 0) {
		std::array<char, 24> buf{};
		std::snprintf(buf.data(), buf.size(), "%#x",
			      static_cast<unsigned int>(v));
		s += (s.empty() ? "" : "|") + std::string(buf.data());
	}
	return s.empty() ? "0" : s;
}

} // namespace

std::string status_flags(uint32_t flags)
{
	static constexpr std::array<std::pair<uint32_t, const char *>, 2> names = {{
		{KUIPC_EVENTFD_REGISTERED, "REGISTERED"},
		{KUIPC_EVENTFD_OWNER, "OWNER"},
	}};
	return bit_names(flags, names);
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
	default: {
		std::array<char, 24> buf{};
		std::snprintf(buf.data(), buf.size(), "%#lx", cmd);
		return buf.data();
	}
	}
}

std::string eventfd_flags(int flags)
{
	static constexpr std::array<std::pair<int, const char *>, 3> names = {{
		{EFD_CLOEXEC, "EFD_CLOEXEC"},
		{EFD_NONBLOCK, "EFD_NONBLOCK"},
		{EFD_SEMAPHORE, "EFD_SEMAPHORE"},
	}};
	return bit_names(flags, names);
}

std::string quote(std::string_view bytes, size_t max)
{
	std::string s = "\"";
	for (const char c : bytes.substr(0, max)) {
		switch (c) {
		case '"':
			s += "\\\"";
			break;
		case '\\':
			s += "\\\\";
			break;
		case '\n':
			s += "\\n";
			break;
		case '\t':
			s += "\\t";
			break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				s += c;
			} else {
				std::array<char, 8> buf{};
				std::snprintf(buf.data(), buf.size(), "\\%o",
					      static_cast<unsigned char>(c));
				s += buf.data();
			}
		}
	}
	s += '"';
	if (bytes.size() > max)
		s += "...";
	return s;
}

/* ---- EventFd ----------------------------------------------------------- */

EventFd::EventFd(int flags, unsigned int initval)
	: flags_(flags | EFD_CLOEXEC), fd_(::eventfd(initval, flags_))
{
	if (!fd_)
		throw_errno("eventfd(" + std::to_string(initval) + ", " +
			    eventfd_flags(flags_) + ")");
}

uint64_t EventFd::read()
{
	uint64_t v = 0;
	for (;;) {
		const ssize_t n = ::read(fd_.get(), &v, sizeof(v));
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
		const ssize_t r = ::write(fd_.get(), &n, sizeof(n));
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
		const int n = ::poll(&pfd, 1, timeout_ms);
		if (n >= 0)
			return n == 1 && (pfd.revents & POLLIN) != 0;
		if (errno != EINTR)
			throw_errno("poll eventfd");
	}
}

/* ---- Device ------------------------------------------------------------ */

Device::Device(std::string path)
	: path_(std::move(path)), fd_(::open(path_.c_str(), O_RDWR | O_CLOEXEC))
{
	if (!fd_)
		throw_errno("open " + path_);
}

void Device::ioctl(unsigned long cmd, void *arg) const
{
	for (;;) {
		if (::ioctl(fd_.get(), cmd, arg) == 0)
			return;
		if (errno != EINTR)
			throw_errno("ioctl " + ioctl_name(cmd) + " " + path_);
	}
}

void Device::register_eventfd(uint32_t channel, int efd)
{
	kuipc_eventfd_register req{};
	req.channel = channel;
	req.efd = efd;
	ioctl(KUIPC_EVENTFD_REGISTER, &req);
}

void Device::unregister(uint32_t channel)
{
	kuipc_eventfd_unregister req{};
	req.channel = channel;
	ioctl(KUIPC_EVENTFD_UNREGISTER, &req);
}

void Device::produce(uint32_t channel, std::span<const std::byte> payload)
{
	kuipc_eventfd_msg msg{};
	msg.channel = channel;
	/* A payload over the limit still reaches the kernel, which says EINVAL. */
	msg.len = payload.size() > UINT32_MAX ? UINT32_MAX
					      : static_cast<uint32_t>(payload.size());
	msg.data = reinterpret_cast<uintptr_t>(payload.data());
	ioctl(KUIPC_EVENTFD_PRODUCE, &msg);
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
	ioctl(KUIPC_EVENTFD_FETCH, &msg);
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
	ioctl(KUIPC_EVENTFD_STATUS, &st);
	return st;
}

void Device::close()
{
	if (::close(fd_.release()) != 0)
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
