// SPDX-License-Identifier: GPL-2.0
#include "umh.hpp"

#include "error.hpp"

#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace kuipc::umh {

namespace {

constexpr std::array<std::pair<Mode, std::string_view>, 3> mode_names = {{
	{Mode::echo, KUIPC_UMH_MODE_ECHO_NAME},
	{Mode::exit, KUIPC_UMH_MODE_EXIT_NAME},
	{Mode::hang, KUIPC_UMH_MODE_HANG_NAME},
}};

std::string hex(unsigned long v)
{
	std::array<char, 24> buf{};
	std::snprintf(buf.data(), buf.size(), "%#lx", v);
	return buf.data();
}

/* Bytes of the valid UTF-8 sequence of two or more bytes at s, else 0. */
size_t utf8_sequence(std::string_view s)
{
	const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
	struct Lead {
		unsigned char mask, value;
		size_t n;
		uint32_t min;
	};
	static constexpr std::array<Lead, 3> leads = {{
		{0xe0, 0xc0, 2, 0x80},
		{0xf0, 0xe0, 3, 0x800},
		{0xf8, 0xf0, 4, 0x10000},
	}};
	size_t n = 0;
	uint32_t min = 0;
	uint32_t cp = 0;
	for (const Lead &l : leads) {
		if ((b(0) & l.mask) == l.value) {
			n = l.n;
			min = l.min;
			cp = b(0) & static_cast<unsigned char>(~l.mask);
			break;
		}
	}
	if (n == 0)
		return 0;
	if (s.size() < n)
		return 0;
	for (size_t i = 1; i < n; ++i) {
		if ((b(i) & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (b(i) & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

} // namespace

std::string_view mode_name(Mode mode) noexcept
{
	for (const auto &[m, name] : mode_names) {
		if (m == mode)
			return name;
	}
	return "?";
}

std::optional<Mode> parse_mode(std::string_view name) noexcept
{
	for (const auto &[m, n] : mode_names) {
		if (n == name)
			return m;
	}
	return std::nullopt;
}

bool Result::exited() const noexcept
{
	return WIFEXITED(status);
}

int Result::exit_code() const noexcept
{
	return WEXITSTATUS(status);
}

bool Result::signaled() const noexcept
{
	return WIFSIGNALED(status);
}

int Result::signal() const noexcept
{
	return WTERMSIG(status);
}

bool Result::reported() const noexcept
{
	return (flags & KUIPC_UMH_REPORTED) != 0;
}

bool Result::timed_out() const noexcept
{
	return (flags & KUIPC_UMH_TIMED_OUT) != 0;
}

kuipc_umh_request make_request(Mode mode, std::string_view arg,
			       uint32_t exit_code, uint32_t timeout_ms) noexcept
{
	kuipc_umh_request req{};
	req.size = sizeof(req);
	req.mode = static_cast<uint32_t>(mode);
	req.exit_code = exit_code;
	req.timeout_ms = timeout_ms;
	req.arg_ptr = reinterpret_cast<uintptr_t>(arg.data());
	req.arg_len = static_cast<uint32_t>(arg.size());
	return req;
}

std::string describe_status(int status)
{
	if (WIFEXITED(status))
		return "exited " + std::to_string(WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		const int sig = WTERMSIG(status);
		const char *name = ::sigabbrev_np(sig);
		if (name == nullptr)
			return "killed by signal " + std::to_string(sig);
		return "killed by SIG" + std::string(name);
	}
	return "status " + hex(static_cast<unsigned int>(status));
}

std::string flag_names(uint32_t flags)
{
	std::string s;
	const auto add = [&](uint32_t bit, const char *name) {
		if ((flags & bit) == 0)
			return;
		if (!s.empty())
			s += '|';
		s += name;
		flags &= ~bit;
	};
	add(KUIPC_UMH_REPORTED, "REPORTED");
	add(KUIPC_UMH_TIMED_OUT, "TIMED_OUT");
	if (flags != 0) {
		if (!s.empty())
			s += '|';
		s += hex(flags);
	}
	return s.empty() ? "0" : s;
}

std::string format_report(uint64_t id, std::string_view output)
{
	std::string s = std::to_string(id);
	s += ' ';
	s += output;
	return s;
}

std::string quote(std::string_view text, size_t max)
{
	std::string s = "\"";
	const std::string_view shown = text.substr(0, max);
	for (size_t i = 0; i < shown.size();) {
		const char c = shown[i];
		const auto u = static_cast<unsigned char>(c);
		if (u >= 0x80) {
			const size_t n = utf8_sequence(shown.substr(i));
			if (n != 0) {
				s += shown.substr(i, n);
				i += n;
				continue;
			}
		}
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
			if (u < 0x20 || u >= 0x7f) {
				std::array<char, 8> buf{};
				std::snprintf(buf.data(), buf.size(), "\\%o", u);
				s += buf.data();
			} else {
				s += c;
			}
		}
		++i;
	}
	s += '"';
	if (text.size() > max)
		s += "...";
	return s;
}

std::string to_string(const kuipc_umh_request &req, std::string_view arg)
{
	std::string mode = std::to_string(req.mode);
	for (const auto &[m, name] : mode_names) {
		if (static_cast<uint32_t>(m) == req.mode)
			mode = name;
	}
	return "{size=" + std::to_string(req.size) + ", mode=" + mode +
	       ", exit_code=" + std::to_string(req.exit_code) +
	       ", timeout_ms=" + std::to_string(req.timeout_ms) +
	       ", arg=" + quote(arg) + ", arg_len=" + std::to_string(req.arg_len) +
	       "}";
}

std::string to_string(const Result &res)
{
	return "{id=" + std::to_string(res.id) + ", status=" +
	       hex(static_cast<unsigned int>(res.status)) + " (" +
	       describe_status(res.status) + "), flags=" + flag_names(res.flags) +
	       ", output=" + quote(res.output) + "}";
}

std::string to_string(const Stats &st)
{
	return "{size=" + std::to_string(st.size) +
	       ", in_flight=" + std::to_string(st.in_flight) +
	       ", requests=" + std::to_string(st.requests) +
	       ", exited=" + std::to_string(st.exited) +
	       ", failed=" + std::to_string(st.failed) +
	       ", abandoned=" + std::to_string(st.abandoned) +
	       ", timed_out=" + std::to_string(st.timed_out) +
	       ", reports=" + std::to_string(st.reports) + "}";
}

std::string ioctl_name(unsigned long cmd)
{
	switch (cmd) {
	case KUIPC_UMH_TRIGGER:
		return "KUIPC_UMH_TRIGGER";
	case KUIPC_UMH_GET_STATS:
		return "KUIPC_UMH_GET_STATS";
	default:
		return hex(cmd);
	}
}

std::string helper_path()
{
	Fd fd(::open(KUIPC_UMH_HELPER_PARAM, O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw_errno(std::string("open ") + KUIPC_UMH_HELPER_PARAM);
	std::array<char, KUIPC_UMH_HELPER_PATH_MAX + 1> buf{};
	ssize_t n = 0;
	do {
		n = ::read(fd.get(), buf.data(), buf.size());
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		throw_errno(std::string("read ") + KUIPC_UMH_HELPER_PARAM);
	std::string s(buf.data(), static_cast<size_t>(n));
	if (!s.empty() && s.back() == '\n')
		s.pop_back();
	return s;
}

Device::Device(std::string path, int flags)
	: path_(std::move(path)), fd_(::open(path_.c_str(), flags | O_CLOEXEC))
{
	if (!fd_)
		throw_errno("open " + path_);
}

Result Device::trigger(Mode mode, std::string_view arg, uint32_t exit_code,
		       uint32_t timeout_ms) const
{
	kuipc_umh_request req = make_request(mode, arg, exit_code, timeout_ms);
	return trigger(req);
}

Result Device::trigger(kuipc_umh_request &req) const
{
	/*
	 * Not retried on EINTR: the wait in the module ends only on a fatal
	 * signal, and a retry would run the helper a second time.
	 */
	if (::ioctl(fd_.get(), KUIPC_UMH_TRIGGER, &req) != 0)
		throw_errno("ioctl KUIPC_UMH_TRIGGER " + path_);
	Result res;
	res.id = req.id;
	res.status = req.status;
	res.flags = req.flags;
	res.output.assign(req.output,
			  std::min<size_t>(req.output_len, sizeof(req.output)));
	return res;
}

Stats Device::stats() const
{
	Stats st{};
	st.size = sizeof(st);
	for (;;) {
		if (::ioctl(fd_.get(), KUIPC_UMH_GET_STATS, &st) == 0)
			return st;
		if (errno != EINTR)
			throw_errno("ioctl KUIPC_UMH_GET_STATS " + path_);
	}
}

void Device::report(uint64_t id, std::string_view output) const
{
	const std::string rep = format_report(id, output);
	for (;;) {
		const ssize_t n = ::write(fd_.get(), rep.data(), rep.size());
		if (n >= 0) {
			if (static_cast<size_t>(n) != rep.size())
				throw_err(EIO, "short report write " + path_);
			return;
		}
		if (errno != EINTR)
			throw_errno("write report " + path_);
	}
}

} // namespace kuipc::umh
