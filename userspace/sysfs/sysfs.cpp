// SPDX-License-Identifier: GPL-2.0
#include "sysfs.hpp"

#include "error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <utility>

namespace kuipc::sysfs {

namespace {

/* " = N" or " = -1 ENAME (message)", the tail of a traced call. */
std::string result(long ret, int err)
{
	if (ret >= 0)
		return " = " + std::to_string(ret);
	const char *name = ::strerrorname_np(err);
	return std::string(" = -1 ") + (name != nullptr ? name : "E?") + " (" +
	       std::strerror(err) + ")";
}

/* A sysfs file never holds more than a page. */
std::size_t page_size()
{
	static const std::size_t size = [] {
		const long n = ::sysconf(_SC_PAGESIZE);
		return n > 0 ? static_cast<std::size_t>(n) : std::size_t{4096};
	}();
	return size;
}

std::string revents_names(short revents)
{
	static constexpr std::pair<short, const char *> names[] = {
		{POLLIN, "POLLIN"},   {POLLPRI, "POLLPRI"},
		{POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"},
		{POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"},
	};
	std::string out;
	for (const auto &[bit, name] : names) {
		if ((revents & bit) == 0)
			continue;
		if (!out.empty())
			out += '|';
		out += name;
	}
	return out.empty() ? "0" : out;
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

std::string escape(std::string_view bytes, std::size_t max)
{
	static constexpr char hex[] = "0123456789abcdef";
	std::string out;

	for (std::size_t i = 0; i < bytes.size() && i < max; i++) {
		const auto c = static_cast<unsigned char>(bytes[i]);

		if (c == '\n') {
			out += "\\n";
		} else if (c == '\t') {
			out += "\\t";
		} else if (c == '\\' || c == '"') {
			out += '\\';
			out += static_cast<char>(c);
		} else if (c >= 0x20 && c < 0x7f) {
			out += static_cast<char>(c);
		} else {
			out += "\\x";
			out += hex[c >> 4];
			out += hex[c & 0xf];
		}
	}
	if (bytes.size() > max)
		out += "...";
	return out;
}

/* ---- Client -------------------------------------------------------------- */

Client::Client(Trace trace) : trace_(std::move(trace)) {}

std::string Client::read(const std::string &path) const
{
	Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	int err = errno;
	if (trace_)
		trace_("open(\"" + path + "\", O_RDONLY|O_CLOEXEC)" +
		       result(fd.get(), err));
	if (!fd)
		throw_err(err, "open " + path);

	std::string buf(page_size(), '\0');
	ssize_t n = 0;
	do {
		n = ::read(fd.get(), buf.data(), buf.size());
		err = errno;
	} while (n < 0 && err == EINTR);
	if (trace_) {
		const std::string shown =
			n >= 0 ? "\"" + escape(std::string_view(buf.data(),
								  static_cast<std::size_t>(n))) +
					 "\"" :
				 "buf";
		trace_("read(" + std::to_string(fd.get()) + ", " + shown + ", " +
		       std::to_string(buf.size()) + ")" + result(n, err));
	}
	if (n < 0)
		throw_err(err, "read " + path);
	buf.resize(static_cast<std::size_t>(n));

	const int num = fd.get();
	const int ret = ::close(fd.release());
	err = errno;
	if (trace_)
		trace_("close(" + std::to_string(num) + ")" + result(ret, err));
	return buf;
}

void Client::write(const std::string &path, std::string_view text) const
{
	Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
	int err = errno;
	if (trace_)
		trace_("open(\"" + path + "\", O_WRONLY|O_CLOEXEC)" +
		       result(fd.get(), err));
	if (!fd)
		throw_err(err, "open " + path + " for writing");

	ssize_t n = 0;
	do {
		n = ::write(fd.get(), text.data(), text.size());
		err = errno;
	} while (n < 0 && err == EINTR);
	if (trace_)
		trace_("write(" + std::to_string(fd.get()) + ", \"" +
		       escape(text) + "\", " + std::to_string(text.size()) +
		       ")" + result(n, err));

	const int num = fd.get();
	const int ret = ::close(fd.release());
	const int close_err = errno;
	if (trace_)
		trace_("close(" + std::to_string(num) + ")" +
		       result(ret, close_err));

	const std::string what = "write \"" + escape(text) + "\" to " + path;
	if (n < 0)
		throw_err(err, what);
	/* sysfs hands the whole buffer to store(), which takes all or none. */
	if (static_cast<std::size_t>(n) != text.size())
		throw_err(EIO, what + ": short write of " + std::to_string(n));
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

Watcher::Watcher(std::string path, Trace trace)
	: path_(std::move(path)), trace_(std::move(trace))
{
	fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
	const int err = errno;
	if (trace_)
		trace_("open(\"" + path_ + "\", O_RDONLY|O_CLOEXEC)" +
		       result(fd_.get(), err));
	if (!fd_)
		throw_err(err, "open " + path_);
	reread();
}

const std::string &Watcher::reread()
{
	std::string buf(page_size(), '\0');
	ssize_t n = 0;
	int err = 0;
	do {
		n = ::pread(fd_.get(), buf.data(), buf.size(), 0);
		err = errno;
	} while (n < 0 && err == EINTR);
	if (trace_) {
		const std::string shown =
			n >= 0 ? "\"" + escape(std::string_view(buf.data(),
								  static_cast<std::size_t>(n))) +
					 "\"" :
				 "buf";
		trace_("pread64(" + std::to_string(fd_.get()) + ", " + shown +
		       ", " + std::to_string(buf.size()) + ", 0)" +
		       result(n, err));
	}
	if (n < 0)
		throw_err(err, "pread " + path_);
	buf.resize(static_cast<std::size_t>(n));
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
		const int n = ::poll(&pfd, 1, left);
		const int err = errno;
		if (trace_) {
			std::string line = "poll([{fd=" + std::to_string(fd_.get()) +
					   ", events=POLLPRI}], 1, " +
					   std::to_string(left) + ")" +
					   result(n, err);
			if (n > 0)
				line += " ([{fd=" + std::to_string(fd_.get()) +
					", revents=" + revents_names(pfd.revents) +
					"}])";
			else if (n == 0)
				line += " (Timeout)";
			trace_(line);
		}
		if (n < 0) {
			if (err == EINTR)
				continue;
			throw_err(err, "poll " + path_);
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
