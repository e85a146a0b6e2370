// SPDX-License-Identifier: GPL-2.0
#include "signal.hpp"

#include "error.hpp"
#include "syscall.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

namespace kuipc::signal {

Event event_of(const signalfd_siginfo &ssi) noexcept
{
	Event ev;
	ev.signo = static_cast<int>(ssi.ssi_signo);
	ev.code = ssi.ssi_code;
	ev.value = ssi.ssi_int;
	ev.pid = static_cast<pid_t>(ssi.ssi_pid);
	ev.uid = ssi.ssi_uid;
	return ev;
}

Event event_of(const siginfo_t &si) noexcept
{
	Event ev;
	ev.signo = si.si_signo;
	ev.code = si.si_code;
	ev.value = si.si_value.sival_int;
	ev.pid = si.si_pid;
	ev.uid = si.si_uid;
	return ev;
}

bool is_rt_signal(int signo) noexcept
{
	return signo >= KUIPC_SIGNAL_SIGNO_MIN && signo <= KUIPC_SIGNAL_SIGNO_MAX;
}

int rt_signal(int n)
{
	/* SIGRTMIN and SIGRTMAX are glibc calls, not constants. */
	const int signo = SIGRTMIN + n;
	if (n < 0 || signo > SIGRTMAX)
		throw_err(EINVAL, "SIGRTMIN+" + std::to_string(n) +
					  " is past SIGRTMAX");
	return signo;
}

std::string signal_name(int signo)
{
	return sys::signal_name(signo);
}

std::string code_name(int code)
{
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_KERNEL:
		return "SI_KERNEL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TIMER:
		return "SI_TIMER";
	case SI_MESGQ:
		return "SI_MESGQ";
	case SI_ASYNCIO:
		return "SI_ASYNCIO";
	case SI_SIGIO:
		return "SI_SIGIO";
	case SI_TKILL:
		return "SI_TKILL";
	default:
		return std::to_string(code);
	}
}

std::string ioctl_name(unsigned long cmd)
{
	switch (cmd) {
	case KUIPC_SIGNAL_REGISTER:
		return "KUIPC_SIGNAL_REGISTER";
	case KUIPC_SIGNAL_UNREGISTER:
		return "KUIPC_SIGNAL_UNREGISTER";
	case KUIPC_SIGNAL_GET_REG:
		return "KUIPC_SIGNAL_GET_REG";
	case KUIPC_SIGNAL_TRIGGER:
		return "KUIPC_SIGNAL_TRIGGER";
	case KUIPC_SIGNAL_GET_STATS:
		return "KUIPC_SIGNAL_GET_STATS";
	case KUIPC_SIGNAL_GET_STATS_V0:
		return "KUIPC_SIGNAL_GET_STATS_V0";
	default:
		return sys::hex(cmd);
	}
}

std::string errno_name(int err)
{
	return sys::errno_name(err);
}

namespace {

std::string flags_name(uint32_t flags)
{
	if (flags == 0)
		return "0";
	std::string s;
	if ((flags & KUIPC_SIGNAL_REG_THREAD) != 0)
		s = "KUIPC_SIGNAL_REG_THREAD";
	const uint32_t rest = flags & ~uint32_t{KUIPC_SIGNAL_REG_THREAD};
	if (rest != 0)
		s += (s.empty() ? "" : "|") + sys::hex(rest);
	return s;
}

} // namespace

std::string to_string(const Registration &reg)
{
	std::string s = "{size=" + std::to_string(reg.size) +
			", flags=" + flags_name(reg.flags) +
			", signo=" + signal_name(reg.signo) +
			", pid=" + std::to_string(reg.pid);
	if (reg.status != 0 || reg.delivered != 0)
		s += ", status=" + errno_name(static_cast<int>(reg.status)) +
		     ", delivered=" + std::to_string(reg.delivered);
	if (reg.reserved != 0)
		s += ", reserved=" + std::to_string(reg.reserved);
	return s + "}";
}

std::string to_string(const Trigger &trig)
{
	std::string s = "{size=" + std::to_string(trig.size) +
			", value=" + std::to_string(trig.value) +
			", delivered=" + std::to_string(trig.delivered) +
			", gone=" + std::to_string(trig.gone) +
			", failed=" + std::to_string(trig.failed);
	if (trig.refused != 0)
		s += ", refused=" + std::to_string(trig.refused);
	return s + "}";
}

std::string to_string(const Stats &st)
{
	return "{size=" + std::to_string(st.size) +
	       ", registrations=" + std::to_string(st.registrations) +
	       ", events=" + std::to_string(st.events) +
	       ", delivered=" + std::to_string(st.delivered) +
	       ", gone=" + std::to_string(st.gone) +
	       ", failed=" + std::to_string(st.failed) +
	       ", refused=" + std::to_string(st.refused) + "}";
}

std::string to_string(const Event &ev)
{
	return "{ssi_signo=" + signal_name(ev.signo) +
	       ", ssi_code=" + code_name(ev.code) +
	       ", ssi_pid=" + std::to_string(ev.pid) +
	       ", ssi_uid=" + std::to_string(ev.uid) +
	       ", ssi_int=" + std::to_string(ev.value) + "}";
}

Registration make_registration(int signo, pid_t pid, uint32_t flags) noexcept
{
	Registration reg{};
	reg.size = sizeof(reg);
	reg.flags = flags;
	reg.signo = signo;
	reg.pid = pid;
	return reg;
}

Trigger make_trigger(int32_t value) noexcept
{
	Trigger trig{};
	trig.size = sizeof(trig);
	trig.value = value;
	return trig;
}

std::string format_value(int32_t value)
{
	return std::to_string(value) + "\n";
}

int32_t parse_value(std::string_view text)
{
	int32_t v = 0;
	const char *first = text.data();
	const char *last = text.data() + text.size();
	/* from_chars takes no '+'; the module does, so accept it too. */
	if (first != last && *first == '+' && last - first > 1 && first[1] != '-')
		++first;
	const auto [end, ec] = std::from_chars(first, last, v);
	if (ec == std::errc::result_out_of_range)
		throw_err(ERANGE, "value " + std::string(text));
	if (ec != std::errc() || end != last)
		throw_err(EINVAL, "value " + std::string(text));
	return v;
}

Device::Device(int flags, std::string path)
	: path_(std::move(path)), fd_(sys::open(path_.c_str(), flags | O_CLOEXEC))
{
	if (!fd_)
		throw_errno("open " + path_);
}

namespace {

/* A TRIGGER going in carries only its size and value. */
std::string shown(const Trigger &trig, bool out)
{
	if (out)
		return to_string(trig);
	return "{size=" + std::to_string(trig.size) + ", value=" + std::to_string(trig.value) + "}";
}

/* GET_REG and GET_STATS take only the size in. */
std::string shown(const Registration &reg, bool out)
{
	return out || reg.signo != 0 ? to_string(reg) : "{size=" + std::to_string(reg.size) + "}";
}

std::string shown(const Stats &st, bool out)
{
	return out ? to_string(st) : "{size=" + std::to_string(st.size) + "}";
}

/* One ioctl on fd, EINTR retried; kuipc::Error naming path on failure. */
template <typename T>
void device_ioctl(int fd, const std::string &path, unsigned long cmd, T *arg)
{
	const std::string name = ioctl_name(cmd);
	for (;;) {
		if (sys::ioctl(fd, cmd, name, arg, [](const T &v, bool out) { return shown(v, out); }) == 0)
			return;
		if (errno != EINTR)
			throw_errno(std::string("ioctl ").append(name).append(" ").append(path));
	}
}

} // namespace

void Device::register_process(int signo, pid_t pid)
{
	register_as(make_registration(signo, pid));
}

void Device::register_thread(int signo)
{
	register_as(make_registration(signo, 0, KUIPC_SIGNAL_REG_THREAD));
}

void Device::register_as(const Registration &reg)
{
	Registration copy = reg;
	device_ioctl(fd_.get(), path_, KUIPC_SIGNAL_REGISTER, &copy);
}

void Device::unregister()
{
	for (;;) {
		if (sys::ioctl(fd_.get(), KUIPC_SIGNAL_UNREGISTER, "KUIPC_SIGNAL_UNREGISTER") == 0)
			return;
		if (errno != EINTR)
			throw_errno("ioctl KUIPC_SIGNAL_UNREGISTER " + path_);
	}
}

Registration Device::registration() const
{
	Registration reg{};
	reg.size = sizeof(reg);
	device_ioctl(fd_.get(), path_, KUIPC_SIGNAL_GET_REG, &reg);
	return reg;
}

Trigger Device::trigger(int32_t value)
{
	Trigger trig = make_trigger(value);
	device_ioctl(fd_.get(), path_, KUIPC_SIGNAL_TRIGGER, &trig);
	return trig;
}

void Device::write_value(int32_t value)
{
	const std::string text = format_value(value);
	for (;;) {
		const ssize_t n = sys::write(fd_.get(), text.data(), text.size());
		if (n == static_cast<ssize_t>(text.size()))
			return;
		if (n >= 0)
			throw_err(EIO, "short write to " + path_);
		if (errno != EINTR)
			throw_errno("write " + path_);
	}
}

Stats Device::stats() const
{
	Stats st{};
	st.size = sizeof(st);
	device_ioctl(fd_.get(), path_, KUIPC_SIGNAL_GET_STATS, &st);
	return st;
}

BlockedSignals::BlockedSignals(std::initializer_list<int> signos)
{
	sigemptyset(&set_);
	for (const int signo : signos) {
		if (sigaddset(&set_, signo) != 0)
			throw_errno("sigaddset " + signal_name(signo));
	}
	/* pthread_sigmask returns the error instead of setting errno. */
	const int err = sys::sigprocmask(SIG_BLOCK, &set_, &old_);
	if (err != 0)
		throw_err(err, "pthread_sigmask SIG_BLOCK");
}

BlockedSignals::~BlockedSignals()
{
	(void)discard_pending();
	(void)sys::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

size_t BlockedSignals::discard_pending() const noexcept
{
	/* Those blocked before us stay pending for their owner. */
	sigset_t mine = set_;
	for (int signo = 1; signo < NSIG; ++signo) {
		if (sigismember(&old_, signo) == 1)
			sigdelset(&mine, signo);
	}
	const timespec zero{};
	size_t n = 0;
	for (;;) {
		const int signo = sys::sigtimedwait(&mine, nullptr, &zero);
		if (signo > 0) {
			++n;
			continue;
		}
		if (errno == EINTR)
			continue;
		return n; /* EAGAIN: none left */
	}
}

SignalFd::SignalFd(const sigset_t &set)
	: fd_(sys::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC))
{
	if (!fd_)
		throw_errno("signalfd");
}

std::vector<Event> SignalFd::read_some(size_t max)
{
	std::vector<signalfd_siginfo> buf(max);
	for (;;) {
		const ssize_t n = sys::read(fd_.get(), buf.data(),
					    buf.size() * sizeof(signalfd_siginfo), [&](size_t got) {
						    std::string s;
						    for (size_t i = 0; i < got / sizeof(signalfd_siginfo); ++i)
							    s += (i == 0 ? "" : ", ") + to_string(event_of(buf[i]));
						    return "[" + s + "]";
					    });
		if (n >= 0) {
			std::vector<Event> out;
			const auto count = static_cast<size_t>(n) / sizeof(signalfd_siginfo);
			for (size_t i = 0; i < count; ++i)
				out.push_back(event_of(buf[i]));
			return out;
		}
		if (errno == EAGAIN)
			return {};
		if (errno != EINTR)
			throw_errno("read signalfd");
	}
}

std::optional<Event> SignalFd::wait(int timeout_ms)
{
	using Clock = std::chrono::steady_clock;
	const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
	pollfd pfd{fd_.get(), POLLIN, 0};
	for (;;) {
		std::vector<Event> got = read_some(1);
		if (!got.empty())
			return got.front();
		int left = -1;
		if (timeout_ms >= 0) {
			const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
				deadline - Clock::now());
			left = static_cast<int>(std::max<long>(0, ms.count()));
		}
		const int n = sys::poll(&pfd, 1, left);
		if (n == 0)
			return std::nullopt;
		if (n < 0 && errno != EINTR)
			throw_errno("poll signalfd");
	}
}

std::vector<Event> SignalFd::read_available()
{
	std::vector<Event> all;
	for (;;) {
		std::vector<Event> got = read_some(64);
		if (got.empty())
			return all;
		all.insert(all.end(), got.begin(), got.end());
	}
}

Listener::Listener(int signo, Scope scope, std::string path)
	: signo_(signo), blocked_({signo}), sfd_(blocked_.set()),
	  dev_(O_RDONLY, std::move(path))
{
	if (scope == Scope::thread)
		dev_.register_thread(signo);
	else
		dev_.register_process(signo);
}

} // namespace kuipc::signal
