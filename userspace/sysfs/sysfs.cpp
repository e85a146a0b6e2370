// SPDX-License-Identifier: GPL-2.0
#include "sysfs.hpp"

#include "error.hpp"
#include "file.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <limits>
#include <utility>

namespace kuipc::sysfs {

namespace {

/* A sysfs file never holds more than a page. */
std::size_t page_size()
{
	static const std::size_t size = [] {
		const long n = ::sysconf(_SC_PAGESIZE);
		return n > 0 ? static_cast<std::size_t>(n) : std::size_t{4096};
	}();
	return size;
}

/* Parse an unsigned decimal with no sign, no spaces, no other base. */
std::uint64_t parse_digits(std::string_view digits, std::string_view what,
			   std::uint64_t limit)
{
	if (digits.empty())
		throw_err(EBADMSG, std::string(what) + ": no digits");
	std::uint64_t v = 0;
	for (const char c : digits) {
		if (c < '0' || c > '9')
			throw_err(EBADMSG, std::string(what) + ": not a decimal: \"" +
						   escape(digits) + "\"");
		const auto d = static_cast<std::uint64_t>(c - '0');
		if (v > (limit - d) / 10)
			throw_err(ERANGE, std::string(what) + ": out of range: " +
						  std::string(digits));
		v = v * 10 + d;
	}
	return v;
}

} // namespace

const std::vector<File> &files()
{
	static const std::vector<File> all = {
		{KUIPC_SYSFS_VALUE, value_path, KUIPC_SYSFS_VALUE_MODE},
		{KUIPC_SYSFS_LABEL, label_path, KUIPC_SYSFS_LABEL_MODE},
		{KUIPC_SYSFS_WRITES, writes_path, KUIPC_SYSFS_WRITES_MODE},
		{KUIPC_SYSFS_EVENT, event_path, KUIPC_SYSFS_EVENT_MODE},
		{KUIPC_SYSFS_TRIGGER, trigger_path, KUIPC_SYSFS_TRIGGER_MODE},
		{KUIPC_SYSFS_PARAM_STEP, step_path, KUIPC_SYSFS_PARAM_MODE},
		{KUIPC_SYSFS_PARAM_TICK_MS, tick_ms_path,
		 KUIPC_SYSFS_PARAM_MODE},
	};
	return all;
}

std::string path_of(std::string_view name)
{
	for (const auto &f : files())
		if (name == f.name)
			return f.path;
	throw_err(ENOENT, "no attribute or parameter named \"" +
				  escape(name) + "\"");
}

std::string strip_newline(std::string_view text, std::string_view what)
{
	if (text.empty() || text.back() != '\n')
		throw_err(EBADMSG, std::string(what) +
					   ": no trailing newline in \"" +
					   escape(text) + "\"");
	text.remove_suffix(1);
	return std::string(text);
}

long long parse_int(std::string_view text, std::string_view what)
{
	std::string_view s = text;
	if (s.empty() || s.back() != '\n')
		throw_err(EBADMSG, std::string(what) +
					   ": no trailing newline in \"" +
					   escape(text) + "\"");
	s.remove_suffix(1);
	const bool neg = !s.empty() && s.front() == '-';
	if (neg)
		s.remove_prefix(1);
	constexpr auto max = std::numeric_limits<long long>::max();
	const std::uint64_t mag = parse_digits(
		s, what, neg ? static_cast<std::uint64_t>(max) + 1 :
			       static_cast<std::uint64_t>(max));
	if (!neg)
		return static_cast<long long>(mag);
	return mag == 0 ? 0 : -static_cast<long long>(mag - 1) - 1;
}

std::uint64_t parse_u64(std::string_view text, std::string_view what)
{
	std::string_view s = text;
	if (s.empty() || s.back() != '\n')
		throw_err(EBADMSG, std::string(what) +
					   ": no trailing newline in \"" +
					   escape(text) + "\"");
	s.remove_suffix(1);
	return parse_digits(s, what, std::numeric_limits<std::uint64_t>::max());
}

/* ---- Client -------------------------------------------------------------- */

namespace {

/* One read(2) or pread(2) of up to a page, EINTR retried. */
template <typename Read>
std::string read_page(const std::string &path, Read &&read)
{
	std::string buf(page_size(), '\0');
	ssize_t n = 0;
	do {
		n = read(buf.data(), buf.size());
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		throw_errno("read " + path);
	buf.resize(static_cast<std::size_t>(n));
	return buf;
}

} // namespace

std::string Client::read(const std::string &path) const
{
	const Fd fd(sys::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw_errno("open " + path);
	return read_page(path, [&](char *buf, std::size_t size) {
		return sys::read(fd.get(), buf, size);
	});
}

void Client::write(const std::string &path, std::string_view text) const
{
	/* sysfs hands the whole buffer to store(), which takes all or none. */
	file::write_once(path, text);
}

int Client::value() const
{
	const long long v = parse_int(read(value_path), value_path);
	if (v < std::numeric_limits<int>::min() ||
	    v > std::numeric_limits<int>::max())
		throw_err(ERANGE, std::string(value_path) + ": not an int");
	return static_cast<int>(v);
}

void Client::set_value(int value) const
{
	write(value_path, std::to_string(value) + "\n");
}

std::string Client::label() const
{
	return strip_newline(read(label_path), label_path);
}

void Client::set_label(std::string_view label) const
{
	write(label_path, std::string(label) + "\n");
}

std::uint64_t Client::writes() const
{
	return parse_u64(read(writes_path), writes_path);
}

std::uint64_t Client::event() const
{
	return parse_u64(read(event_path), event_path);
}

void Client::trigger() const
{
	write(trigger_path, std::to_string(trigger_fire) + "\n");
}

int Client::step() const
{
	const long long v = parse_int(read(step_path), step_path);
	if (v < std::numeric_limits<int>::min() ||
	    v > std::numeric_limits<int>::max())
		throw_err(ERANGE, std::string(step_path) + ": not an int");
	return static_cast<int>(v);
}

void Client::set_step(int step) const
{
	write(step_path, std::to_string(step) + "\n");
}

unsigned int Client::tick_ms() const
{
	const std::uint64_t v = parse_u64(read(tick_ms_path), tick_ms_path);
	if (v > std::numeric_limits<unsigned int>::max())
		throw_err(ERANGE, std::string(tick_ms_path) + ": not an uint");
	return static_cast<unsigned int>(v);
}

void Client::set_tick_ms(unsigned int ms) const
{
	write(tick_ms_path, std::to_string(ms) + "\n");
}

/* ---- Watcher ------------------------------------------------------------- */

Watcher::Watcher(std::string path) : path_(std::move(path))
{
	fd_.reset(sys::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd_)
		throw_errno("open " + path_);
	reread();
}

const std::string &Watcher::reread()
{
	const std::string buf = read_page(path_, [&](char *data, std::size_t size) {
		return sys::pread(fd_.get(), data, size, 0);
	});
	text_ = strip_newline(buf, path_);
	return text_;
}

bool Watcher::wait(int timeout_ms)
{
	using clock = std::chrono::steady_clock;
	const auto deadline =
		clock::now() + std::chrono::milliseconds(timeout_ms);

	for (bool first = true;; first = false) {
		int left = timeout_ms < 0 ? -1 : timeout_ms;
		if (timeout_ms >= 0 && !first) {
			const auto ms = std::chrono::duration_cast<
				std::chrono::milliseconds>(deadline - clock::now());
			left = ms.count() > 0 ? static_cast<int>(ms.count()) : 0;
		}
		/* sysfs always reports POLLIN; a notification adds POLLPRI
		 * and POLLERR, so ask for POLLPRI only. */
		pollfd pfd{fd_.get(), POLLPRI, 0};
		const int n = sys::poll(&pfd, 1, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno("poll " + path_);
		}
		if (n == 0)
			return false;
		if ((pfd.revents & POLLNVAL) != 0)
			throw_err(EBADF, "poll " + path_);
		reread();
		return true;
	}
}

} // namespace kuipc::sysfs
