// SPDX-License-Identifier: GPL-2.0
#include "umh.hpp"

#include "error.hpp"
#include "file.hpp"
#include "syscall.hpp"

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

using sys::hex;

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
	       ", arg=" + quote(arg, 64) + ", arg_len=" + std::to_string(req.arg_len) +
	       "}";
}

std::string to_string(const Result &res)
{
	return "{id=" + std::to_string(res.id) + ", status=" +
	       hex(static_cast<unsigned int>(res.status)) + " (" +
	       describe_status(res.status) + "), flags=" + flag_names(res.flags) +
	       ", output=" + quote(res.output, 64) + "}";
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
	std::string s = file::read_all(KUIPC_UMH_HELPER_PARAM);
	if (!s.empty() && s.back() == '\n')
		s.pop_back();
	return s;
}

namespace {

/* The request going in (its argument followed), the result coming out. */
std::string shown(const kuipc_umh_request &req, bool out)
{
	if (!out) {
		// NOLINTNEXTLINE(performance-no-int-to-ptr): arg_ptr is our own buffer
		const auto *arg = reinterpret_cast<const char *>(static_cast<uintptr_t>(req.arg_ptr));
		return to_string(req, std::string_view(arg, arg != nullptr ? req.arg_len : 0));
	}
	Result res;
	res.id = req.id;
	res.status = req.status;
	res.flags = req.flags;
	res.output.assign(req.output, std::min<size_t>(req.output_len, sizeof(req.output)));
	return to_string(res);
}

std::string shown(const Stats &st, bool out)
{
	return out ? to_string(st) : "{size=" + std::to_string(st.size) + "}";
}

} // namespace

Device::Device(std::string path, int flags)
	: path_(std::move(path)), fd_(sys::open(path_.c_str(), flags | O_CLOEXEC))
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
	if (sys::ioctl(fd_.get(), KUIPC_UMH_TRIGGER, "KUIPC_UMH_TRIGGER", &req,
		       [](const auto &r, bool out) { return shown(r, out); }) != 0)
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
		if (sys::ioctl(fd_.get(), KUIPC_UMH_GET_STATS, "KUIPC_UMH_GET_STATS", &st,
			       [](const auto &v, bool out) { return shown(v, out); }) == 0)
			return st;
		if (errno != EINTR)
			throw_errno("ioctl KUIPC_UMH_GET_STATS " + path_);
	}
}

void Device::report(uint64_t id, std::string_view output) const
{
	const std::string rep = format_report(id, output);
	for (;;) {
		const ssize_t n = sys::write(fd_.get(), rep.data(), rep.size());
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
