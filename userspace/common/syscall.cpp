// SPDX-License-Identifier: GPL-2.0
#include "syscall.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace kuipc::sys {

namespace detail {

std::atomic<Sink> sink{nullptr};
std::atomic<std::size_t> shown_max{string_max};
thread_local int untraced = 0;
std::atomic<long long> sink_ns{0};

void emit(const std::string &call, long ret, int err, std::string_view tail,
	  std::string_view shown) noexcept
{
	const Sink s = sink.load(std::memory_order_relaxed);
	if (s == nullptr || untraced != 0)
		return;
	const auto t0 = std::chrono::steady_clock::now();
	try {
		s(call + (shown.empty() ? result(ret, err) : " = " + std::string(shown)) +
		  std::string(tail));
	} catch (...) {
		/* A line that cannot be printed must not change the call. */
	}
	sink_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
				  std::chrono::steady_clock::now() - t0)
				  .count(),
			  std::memory_order_relaxed);
}

int raw_ioctl(int fd, unsigned long req, void *arg) noexcept
{
	return ::ioctl(fd, req, arg);
}

} // namespace detail

void trace_to(Sink sink, std::size_t max) noexcept
{
	detail::shown_max.store(max, std::memory_order_relaxed);
	detail::sink.store(sink, std::memory_order_relaxed);
}

namespace {

/* Run call() and trace line() with its result, errno kept. */
template <typename Call, typename Line>
auto traced(Call &&call, Line &&line)
{
	if (!tracing())
		return call();
	const auto ret = call();
	const int err = errno;
	detail::emit(line(), static_cast<long>(ret), err);
	errno = err;
	return ret;
}

/* Bytes of the valid UTF-8 sequence of two or more bytes at s, else 0. */
std::size_t utf8_sequence(std::string_view s)
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

std::string str(int v)
{
	return std::to_string(v);
}

std::string mode_str(mode_t mode)
{
	std::array<char, 16> buf{};
	std::snprintf(buf.data(), buf.size(), "0%o", static_cast<unsigned>(mode));
	return buf.data();
}

std::string fd_list(int nfds, const fd_set *set)
{
	std::string s = "[";
	for (int fd = 0; set != nullptr && fd < nfds; ++fd) {
		if (FD_ISSET(fd, set))
			s += (s.size() > 1 ? " " : "") + str(fd);
	}
	return s + "]";
}

std::string family_name(int family)
{
	switch (family) {
	case AF_UNIX:
		return "AF_UNIX";
	case AF_INET:
		return "AF_INET";
	case AF_INET6:
		return "AF_INET6";
	case AF_NETLINK:
		return "AF_NETLINK";
	default:
		return str(family);
	}
}

std::string socket_type(int type)
{
	const int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	std::string s;
	switch (base) {
	case SOCK_STREAM:
		s = "SOCK_STREAM";
		break;
	case SOCK_DGRAM:
		s = "SOCK_DGRAM";
		break;
	case SOCK_RAW:
		s = "SOCK_RAW";
		break;
	default:
		s = str(base);
	}
	if ((type & SOCK_CLOEXEC) != 0)
		s += "|SOCK_CLOEXEC";
	if ((type & SOCK_NONBLOCK) != 0)
		s += "|SOCK_NONBLOCK";
	return s;
}

std::string protocol_name(int domain, int protocol)
{
	if (domain == AF_NETLINK && protocol == NETLINK_GENERIC)
		return "NETLINK_GENERIC";
	if (domain == AF_INET && protocol == IPPROTO_UDP)
		return "IPPROTO_UDP";
	if (domain == AF_INET && protocol == IPPROTO_TCP)
		return "IPPROTO_TCP";
	return str(protocol);
}

std::string pointer(const void *p)
{
	return hex(reinterpret_cast<std::uintptr_t>(p));
}

std::string wait_status(int status)
{
	if (WIFEXITED(status))
		return "[{WIFEXITED(s) && WEXITSTATUS(s) == " + str(WEXITSTATUS(status)) + "}]";
	if (WIFSIGNALED(status))
		return "[{WIFSIGNALED(s) && WTERMSIG(s) == " + signal_name(WTERMSIG(status)) +
		       (WCOREDUMP(status) ? " && WCOREDUMP(s)" : "") + "}]";
	return "[" + hex(static_cast<unsigned>(status)) + "]";
}

} // namespace

/* ---- formatting ----------------------------------------------------- */

std::string escape(std::string_view bytes, std::size_t max)
{
	static constexpr std::string_view digits = "0123456789abcdef";
	std::string out;
	const std::string_view shown = bytes.substr(0, max);
	for (std::size_t i = 0; i < shown.size(); ++i) {
		const char ch = shown[i];
		const auto c = static_cast<unsigned char>(ch);
		const std::size_t n = c >= 0x80 ? utf8_sequence(shown.substr(i)) : 0;
		if (n != 0) {
			out += shown.substr(i, n);
			i += n - 1;
			continue;
		}
		switch (c) {
		case '\n':
			out += "\\n";
			break;
		case '\t':
			out += "\\t";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\\':
		case '"':
			out += '\\';
			out += ch;
			break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				out += ch;
			} else {
				out += "\\x";
				out += digits[c >> 4];
				out += digits[c & 0xf];
			}
		}
	}
	if (bytes.size() > max)
		out += "...";
	return out;
}

std::string quote(std::string_view bytes, std::size_t max)
{
	std::string s = "\"" + escape(bytes.substr(0, max)) + "\"";
	if (bytes.size() > max)
		s += "...";
	return s;
}

std::string errno_name(int err)
{
	if (err == 0)
		return "0";
	const char *name = ::strerrorname_np(err);
	return name != nullptr ? name : str(err);
}

std::string result(long ret, int err)
{
	if (ret >= 0)
		return " = " + std::to_string(ret);
	const char *desc = ::strerrordesc_np(err);
	return " = -1 " + errno_name(err) + " (" + (desc != nullptr ? desc : "Unknown error") + ")";
}

std::string hex(unsigned long v)
{
	std::array<char, 24> buf{};
	std::snprintf(buf.data(), buf.size(), "%#lx", v);
	return buf.data();
}

std::string flag_names(unsigned long v, std::initializer_list<Flag> names)
{
	std::string s;
	for (const Flag &f : names) {
		if (f.bits == 0 || (v & f.bits) != f.bits)
			continue;
		s += (s.empty() ? "" : "|") + std::string(f.name);
		v &= ~f.bits;
	}
	if (v != 0)
		s += (s.empty() ? "" : "|") + hex(v);
	return s.empty() ? "0" : s;
}

std::string open_flags(int flags)
{
	std::string s;
	switch (flags & O_ACCMODE) {
	case O_WRONLY:
		s = "O_WRONLY";
		break;
	case O_RDWR:
		s = "O_RDWR";
		break;
	default:
		s = "O_RDONLY";
	}
	const auto rest = static_cast<unsigned>(flags & ~O_ACCMODE);
	if (rest != 0)
		s += "|" + flag_names(rest, {{O_CREAT, "O_CREAT"},
					    {O_EXCL, "O_EXCL"},
					    {O_NOCTTY, "O_NOCTTY"},
					    {O_TRUNC, "O_TRUNC"},
					    {O_APPEND, "O_APPEND"},
					    {O_NONBLOCK, "O_NONBLOCK"},
					    {O_DIRECTORY, "O_DIRECTORY"},
					    {O_NOFOLLOW, "O_NOFOLLOW"},
					    /* 0 in glibc's 64-bit headers, but F_GETFL reports it */
					    {0100000, "O_LARGEFILE"},
					    {O_CLOEXEC, "O_CLOEXEC"}});
	return s;
}

std::string poll_events(short events)
{
	return flag_names(static_cast<unsigned short>(events),
			  {{POLLIN, "POLLIN"},
			   {POLLPRI, "POLLPRI"},
			   {POLLOUT, "POLLOUT"},
			   {POLLERR, "POLLERR"},
			   {POLLHUP, "POLLHUP"},
			   {POLLNVAL, "POLLNVAL"},
			   {POLLRDNORM, "POLLRDNORM"},
			   {POLLWRNORM, "POLLWRNORM"}});
}

std::string mmap_prot(int prot)
{
	if (prot == PROT_NONE)
		return "PROT_NONE";
	return flag_names(static_cast<unsigned>(prot),
			  {{PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"}});
}

std::string mmap_flags(int flags)
{
	std::string s = (flags & MAP_TYPE) == MAP_PRIVATE ? "MAP_PRIVATE" : "MAP_SHARED";
	const auto rest = static_cast<unsigned>(flags & ~MAP_TYPE);
	if (rest != 0)
		s += "|" + flag_names(rest, {{MAP_FIXED, "MAP_FIXED"},
					    {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
					    {MAP_POPULATE, "MAP_POPULATE"},
					    {MAP_LOCKED, "MAP_LOCKED"},
					    {MAP_NORESERVE, "MAP_NORESERVE"}});
	return s;
}

std::string msg_flags(int flags)
{
	return flag_names(static_cast<unsigned>(flags), {{MSG_DONTWAIT, "MSG_DONTWAIT"},
							  {MSG_PEEK, "MSG_PEEK"},
							  {MSG_TRUNC, "MSG_TRUNC"},
							  {MSG_WAITALL, "MSG_WAITALL"},
							  {MSG_NOSIGNAL, "MSG_NOSIGNAL"}});
}

std::string eventfd_flags(int flags)
{
	return flag_names(static_cast<unsigned>(flags), {{EFD_CLOEXEC, "EFD_CLOEXEC"},
							  {EFD_NONBLOCK, "EFD_NONBLOCK"},
							  {EFD_SEMAPHORE, "EFD_SEMAPHORE"}});
}

std::string signal_name(int signo)
{
	/* strace counts real-time signals from the kernel's SIGRTMIN, 32. */
	constexpr int rtmin = 32;
	if (signo >= rtmin && signo < NSIG)
		return "SIGRT_" + str(signo - rtmin);
	const char *abbrev = signo > 0 ? ::sigabbrev_np(signo) : nullptr;
	return abbrev != nullptr ? std::string("SIG") + abbrev : str(signo);
}

std::string sigset(const sigset_t &set)
{
	std::string s = "[";
	for (int signo = 1; signo < NSIG; ++signo) {
		if (sigismember(&set, signo) == 1)
			s += (s.size() > 1 ? " " : "") + signal_name(signo).substr(3);
	}
	return s + "]";
}

std::string sockaddr(const struct sockaddr *addr, socklen_t len)
{
	if (addr == nullptr)
		return "NULL";
	if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
		sockaddr_in in{};
		std::memcpy(&in, addr, sizeof(in));
		std::array<char, INET_ADDRSTRLEN> ip{};
		::inet_ntop(AF_INET, &in.sin_addr, ip.data(), ip.size());
		return "{sa_family=AF_INET, sin_port=htons(" + str(ntohs(in.sin_port)) +
		       "), sin_addr=inet_addr(\"" + ip.data() + "\")}";
	}
	if (addr->sa_family == AF_NETLINK && len >= sizeof(sockaddr_nl)) {
		sockaddr_nl nl{};
		std::memcpy(&nl, addr, sizeof(nl));
		return "{nl_family=AF_NETLINK, nl_pid=" + std::to_string(nl.nl_pid) +
		       ", nl_groups=" + hex(nl.nl_groups) + "}";
	}
	return "{sa_family=" + family_name(addr->sa_family) + ", ...}";
}

/* ---- files ------------------------------------------------------------ */

int open(const char *path, int flags, mode_t mode)
{
	return traced([&] { return ::open(path, flags, mode); },
		      [&] {
			      return "open(" + quote(path, no_limit) + ", " + open_flags(flags) +
				     ((flags & O_CREAT) != 0 ? ", " + mode_str(mode) : "") + ")";
		      });
}

int close(int fd)
{
	return traced([&] { return ::close(fd); }, [&] { return "close(" + str(fd) + ")"; });
}

namespace {

std::string got(const void *buf, ssize_t ret)
{
	if (ret <= 0)
		return "buf";
	return quote(std::string_view(static_cast<const char *>(buf), static_cast<std::size_t>(ret)),
		     detail::shown_max.load(std::memory_order_relaxed));
}

std::string bytes(const void *buf, std::size_t count)
{
	return quote(std::string_view(static_cast<const char *>(buf), count),
		     detail::shown_max.load(std::memory_order_relaxed));
}

} // namespace

ssize_t read(int fd, void *buf, std::size_t count)
{
	return read(fd, buf, count, [&](std::size_t n) { return got(buf, static_cast<ssize_t>(n)); });
}

ssize_t pread(int fd, void *buf, std::size_t count, off_t off)
{
	if (!tracing())
		return ::pread(fd, buf, count, off);
	const ssize_t ret = ::pread(fd, buf, count, off);
	const int err = errno;
	detail::emit("pread64(" + str(fd) + ", " + got(buf, ret) + ", " + std::to_string(count) +
			     ", " + std::to_string(off) + ")",
		     ret, err);
	errno = err;
	return ret;
}

ssize_t write(int fd, const void *buf, std::size_t count)
{
	return write(fd, buf, count, [&] { return bytes(buf, count); });
}

ssize_t pwrite(int fd, const void *buf, std::size_t count, off_t off)
{
	return traced([&] { return ::pwrite(fd, buf, count, off); },
		      [&] {
			      return "pwrite64(" + str(fd) + ", " + bytes(buf, count) + ", " +
				     std::to_string(count) + ", " + std::to_string(off) + ")";
		      });
}

int mkdir(const char *path, mode_t mode)
{
	return traced([&] { return ::mkdir(path, mode); },
		      [&] { return "mkdir(" + quote(path, no_limit) + ", " + mode_str(mode) + ")"; });
}

int rmdir(const char *path)
{
	return traced([&] { return ::rmdir(path); },
		      [&] { return "rmdir(" + quote(path, no_limit) + ")"; });
}

int fcntl(int fd, int cmd, int arg)
{
	if (cmd == F_GETFL && tracing()) {
		const int ret = ::fcntl(fd, cmd);
		const int err = errno;
		if (ret < 0)
			detail::emit("fcntl(" + str(fd) + ", F_GETFL)", ret, err);
		else
			detail::emit("fcntl(" + str(fd) + ", F_GETFL)", ret, 0,
				     " (flags " + open_flags(ret) + ")", hex(static_cast<unsigned>(ret)));
		errno = err;
		return ret;
	}
	return traced([&] { return ::fcntl(fd, cmd, arg); },
		      [&] {
			      if (cmd == F_GETFL)
				      return "fcntl(" + str(fd) + ", F_GETFL)";
			      if (cmd == F_SETFL)
				      return "fcntl(" + str(fd) + ", F_SETFL, " + open_flags(arg) + ")";
			      return "fcntl(" + str(fd) + ", " + str(cmd) + ", " + str(arg) + ")";
		      });
}

int ioctl(int fd, unsigned long req, std::string_view name, unsigned long arg)
{
	return traced([&] { return ::ioctl(fd, req, arg); },
		      [&] {
			      return "ioctl(" + str(fd) + ", " + std::string(name) +
				     (arg != 0 ? ", " + hex(arg) : "") + ")";
		      });
}

/* ---- waiting ---------------------------------------------------------- */

int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	if (!tracing())
		return ::poll(fds, nfds, timeout_ms);
	std::string line = "poll([";
	for (nfds_t i = 0; i < nfds; ++i)
		line += (i != 0 ? ", " : "") + std::string("{fd=") + str(fds[i].fd) +
			", events=" + poll_events(fds[i].events) + "}";
	line += "], " + std::to_string(nfds) + ", " + str(timeout_ms) + ")";
	const int ret = ::poll(fds, nfds, timeout_ms);
	const int err = errno;
	std::string tail = ret == 0 ? " (Timeout)" : "";
	for (nfds_t i = 0; ret > 0 && i < nfds; ++i) {
		if (fds[i].revents != 0)
			tail += (tail.empty() ? " ([" : ", ") + std::string("{fd=") + str(fds[i].fd) +
				", revents=" + poll_events(fds[i].revents) + "}";
	}
	if (ret > 0)
		tail += "])";
	detail::emit(line, ret, err, tail);
	errno = err;
	return ret;
}

int select(int nfds, fd_set *readfds, struct timeval *timeout)
{
	if (!tracing())
		return ::select(nfds, readfds, nullptr, nullptr, timeout);
	/* Before the call: Linux writes the time left back into *timeout. */
	const std::string line =
		"select(" + str(nfds) + ", " + fd_list(nfds, readfds) + ", NULL, NULL, " +
		(timeout == nullptr ? std::string("NULL")
				    : "{tv_sec=" + std::to_string(timeout->tv_sec) +
					      ", tv_usec=" + std::to_string(timeout->tv_usec) + "}") +
		")";
	const int ret = ::select(nfds, readfds, nullptr, nullptr, timeout);
	const int err = errno;
	std::string tail;
	if (ret == 0)
		tail = " (Timeout)";
	else if (ret > 0)
		tail = " (in " + fd_list(nfds, readfds) + ")";
	detail::emit(line, ret, err, tail);
	errno = err;
	return ret;
}

/* ---- memory ----------------------------------------------------------- */

void *mmap(void *addr, std::size_t len, int prot, int flags, int fd, off_t off)
{
	if (!tracing())
		return ::mmap(addr, len, prot, flags, fd, off);
	void *ret = ::mmap(addr, len, prot, flags, fd, off);
	const int err = errno;
	const std::string line = "mmap(" + (addr == nullptr ? std::string("NULL") : pointer(addr)) +
				 ", " + std::to_string(len) + ", " + mmap_prot(prot) + ", " +
				 mmap_flags(flags) + ", " + str(fd) + ", " +
				 hex(static_cast<unsigned long>(off)) + ")";
	if (ret == MAP_FAILED)
		detail::emit(line, -1, err);
	else
		detail::emit(line, 0, 0, "", pointer(ret));
	errno = err;
	return ret;
}

int munmap(void *addr, std::size_t len)
{
	return traced([&] { return ::munmap(addr, len); },
		      [&] { return "munmap(" + pointer(addr) + ", " + std::to_string(len) + ")"; });
}

/* ---- events and signals ----------------------------------------------- */

int eventfd(unsigned int initval, int flags)
{
	return traced([&] { return ::eventfd(initval, flags); },
		      [&] {
			      return "eventfd2(" + std::to_string(initval) + ", " + eventfd_flags(flags) + ")";
		      });
}

int signalfd(int fd, const sigset_t *mask, int flags)
{
	return traced([&] { return ::signalfd(fd, mask, flags); },
		      [&] {
			      return "signalfd4(" + str(fd) + ", " + sigset(*mask) + ", " +
				     std::to_string(NSIG / 8) + ", " +
				     flag_names(static_cast<unsigned>(flags),
						{{SFD_CLOEXEC, "SFD_CLOEXEC"}, {SFD_NONBLOCK, "SFD_NONBLOCK"}}) +
				     ")";
		      });
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!tracing())
		return ::pthread_sigmask(how, set, old);
	const char *how_name = how == SIG_BLOCK ? "SIG_BLOCK" : how == SIG_UNBLOCK ? "SIG_UNBLOCK" : "SIG_SETMASK";
	const std::string line = std::string("rt_sigprocmask(") + how_name + ", " +
				 (set == nullptr ? std::string("NULL") : sigset(*set));
	const int err = ::pthread_sigmask(how, set, old);
	detail::emit(line + ", " + (old == nullptr ? std::string("NULL") : sigset(*old)) + ", " +
			     std::to_string(NSIG / 8) + ")",
		     err == 0 ? 0 : -1, err);
	return err;
}

int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
	return traced([&] { return ::sigtimedwait(set, info, timeout); },
		      [&] {
			      return "rt_sigtimedwait(" + sigset(*set) + ", " +
				     (info == nullptr ? "NULL" : "info") + ", " +
				     (timeout == nullptr ? std::string("NULL")
							 : "{tv_sec=" + std::to_string(timeout->tv_sec) +
								   ", tv_nsec=" +
								   std::to_string(timeout->tv_nsec) + "}") +
				     ", " + std::to_string(NSIG / 8) + ")";
		      });
}

pid_t fork()
{
	if (!tracing())
		return ::fork();
	const pid_t ret = ::fork();
	const int err = errno;
	/* One call, one line: the parent's. */
	if (ret != 0)
		detail::emit("fork()", ret, err);
	errno = err;
	return ret;
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	return traced([&] { return ::waitpid(pid, status, options); },
		      [&] {
			      return "wait4(" + str(pid) + ", " + (status != nullptr ? wait_status(*status) : "NULL") +
				     ", " + str(options) + ", NULL)";
		      });
}

/* ---- sockets ---------------------------------------------------------- */

int socket(int domain, int type, int protocol)
{
	return traced([&] { return ::socket(domain, type, protocol); },
		      [&] {
			      return "socket(" + family_name(domain) + ", " + socket_type(type) + ", " +
				     protocol_name(domain, protocol) + ")";
		      });
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return traced([&] { return ::bind(fd, addr, len); },
		      [&] { return "bind(" + str(fd) + ", " + sockaddr(addr, len) + ", " + std::to_string(len) + ")"; });
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return traced([&] { return ::connect(fd, addr, len); },
		      [&] { return "connect(" + str(fd) + ", " + sockaddr(addr, len) + ", " + std::to_string(len) + ")"; });
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len,
	       std::string_view level_name, std::string_view opt_name)
{
	return traced([&] { return ::setsockopt(fd, level, name, value, len); },
		      [&] {
			      int v = 0;
			      std::string shown = "buf";
			      if (len == sizeof(int)) {
				      std::memcpy(&v, value, sizeof(v));
				      shown = "[" + str(v) + "]";
			      }
			      return "setsockopt(" + str(fd) + ", " + std::string(level_name) + ", " +
				     std::string(opt_name) + ", " + shown + ", " + std::to_string(len) + ")";
		      });
}

ssize_t send(int fd, const void *buf, std::size_t len, int flags)
{
	return send(fd, buf, len, flags, [&] { return bytes(buf, len); });
}

ssize_t sendto(int fd, const void *buf, std::size_t len, int flags,
	       const struct sockaddr *addr, socklen_t addrlen)
{
	return traced([&] { return ::sendto(fd, buf, len, flags, addr, addrlen); },
		      [&] {
			      return "sendto(" + str(fd) + ", " + bytes(buf, len) + ", " + std::to_string(len) +
				     ", " + msg_flags(flags) + ", " + sockaddr(addr, addrlen) + ", " +
				     std::to_string(addrlen) + ")";
		      });
}

ssize_t recv(int fd, void *buf, std::size_t len, int flags)
{
	return recv(fd, buf, len, flags, [&](std::size_t n) { return got(buf, static_cast<ssize_t>(n)); });
}

ssize_t recvfrom(int fd, void *buf, std::size_t len, int flags, struct sockaddr *addr,
		 socklen_t *addrlen)
{
	return recvfrom(fd, buf, len, flags, addr, addrlen,
			[&](std::size_t n) { return got(buf, static_cast<ssize_t>(n)); });
}

} // namespace kuipc::sys
