// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc::sys: the system calls of the clients, traced.
 *
 * Each wrapper makes the real call and returns what it returned, with errno
 * as the call left it. While a sink is set (kuipc::demo::begin() sets one),
 * it also hands the sink one strace-style line built from the real
 * arguments and the real result:
 *
 *	open("/dev/kuipc_signal", O_RDONLY|O_CLOEXEC) = 4
 *	write(4, "forty-two\n", 10) = -1 EINVAL (Invalid argument)
 *
 * So a demo narrates what the client's code does, not what it is believed
 * to do. With no sink a wrapper costs one branch more than the call.
 */
#pragma once

#include <linux/ioctl.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace kuipc::sys {

/* Receives one traced line, e.g. `close(3) = 0`. */
using Sink = void (*)(const std::string &line);

namespace detail {
extern std::atomic<Sink> sink;
extern std::atomic<std::size_t> shown_max;
extern thread_local int untraced;
extern std::atomic<long long> sink_ns;
/*
 * Hand "call = result tail" to the sink; never throws. shown, when not
 * empty, stands for the result (an address).
 */
void emit(const std::string &call, long ret, int err, std::string_view tail = {},
	  std::string_view shown = {}) noexcept;
int raw_ioctl(int fd, unsigned long req, void *arg) noexcept;
} // namespace detail

/*
 * Trace to sink from now on; nullptr turns tracing off. Buffers are shown
 * up to max bytes (strace -s).
 */
void trace_to(Sink sink, std::size_t max = 32) noexcept;

[[nodiscard]] inline bool tracing() noexcept
{
	return detail::sink.load(std::memory_order_relaxed) != nullptr && detail::untraced == 0;
}

/*
 * The time spent in the sink so far: a demo that times its calls takes
 * its own narration out.
 */
[[nodiscard]] inline std::chrono::nanoseconds trace_overhead() noexcept
{
	return std::chrono::nanoseconds(detail::sink_ns.load(std::memory_order_relaxed));
}

/*
 * No tracing on this thread while it lives: for a loop that polls, whose
 * hundred identical lines would tell nothing.
 */
class Untraced {
public:
	Untraced() noexcept { ++detail::untraced; }
	~Untraced() { --detail::untraced; }
	Untraced(const Untraced &) = delete;
	Untraced &operator=(const Untraced &) = delete;
	Untraced(Untraced &&) = delete;
	Untraced &operator=(Untraced &&) = delete;
};

/* ---- formatting, the one home of strace's notation ------------------- */

/* How many bytes of a buffer quote() shows by default, as strace -s 32. */
inline constexpr std::size_t string_max = 32;
inline constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

/*
 * Bytes as the body of a C string literal: printable ASCII and valid UTF-8
 * as they are, \n \t \r \\ \" escaped, anything else \xNN (strace -x).
 * Cut after max bytes, "..." appended.
 */
[[nodiscard]] std::string escape(std::string_view bytes, std::size_t max = no_limit);

/* The literal itself: "abc\n", or "abc"... when cut after max bytes. */
[[nodiscard]] std::string quote(std::string_view bytes, std::size_t max = string_max);

/* "EINVAL" for an errno value, "0" for none, the number if unknown. */
[[nodiscard]] std::string errno_name(int err);

/* " = 3", or " = -1 EINVAL (Invalid argument)" when ret < 0. */
[[nodiscard]] std::string result(long ret, int err);

/* One named bit (or value) of a flags word. */
struct Flag {
	unsigned long bits;
	const char *name;
};

/* "A|B|0x40" of the names whose bits are all set in v, "0" for none. */
[[nodiscard]] std::string flag_names(unsigned long v, std::initializer_list<Flag> names);

/* "0x1f" */
[[nodiscard]] std::string hex(unsigned long v);

/* "O_RDWR|O_CREAT|O_CLOEXEC" */
[[nodiscard]] std::string open_flags(int flags);

/* "PROT_READ|PROT_WRITE", "PROT_NONE"; "MAP_SHARED|MAP_FIXED" */
[[nodiscard]] std::string mmap_prot(int prot);
[[nodiscard]] std::string mmap_flags(int flags);

/* "POLLIN|POLLOUT" */
[[nodiscard]] std::string poll_events(short events);

/* "MSG_DONTWAIT|MSG_TRUNC", "0" */
[[nodiscard]] std::string msg_flags(int flags);

/* "EFD_CLOEXEC|EFD_NONBLOCK|EFD_SEMAPHORE" */
[[nodiscard]] std::string eventfd_flags(int flags);

/* "[RTMIN 2]", a set as strace prints it (members among 1..NSIG-1). */
[[nodiscard]] std::string sigset(const sigset_t &set);

/* "SIGUSR1", "SIGRT_2": strace's name of a signal. */
[[nodiscard]] std::string signal_name(int signo);

/* "{sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("1.2.3.4")}" */
[[nodiscard]] std::string sockaddr(const struct sockaddr *addr, socklen_t len);

/* ---- files ------------------------------------------------------------ */

int open(const char *path, int flags, mode_t mode = 0);
int close(int fd);

/* read(2), traced with the bytes read quoted. */
ssize_t read(int fd, void *buf, std::size_t count);
ssize_t pread(int fd, void *buf, std::size_t count, off_t off);
ssize_t write(int fd, const void *buf, std::size_t count);
ssize_t pwrite(int fd, const void *buf, std::size_t count, off_t off);

/*
 * read(2) of something that is not text: show(ret) describes what the call
 * stored in buf (called only when tracing and ret > 0), e.g. "[2]".
 */
template <typename Show>
ssize_t read(int fd, void *buf, std::size_t count, Show &&show)
{
	if (!tracing())
		return ::read(fd, buf, count);
	const ssize_t ret = ::read(fd, buf, count);
	const int err = errno;
	detail::emit("read(" + std::to_string(fd) + ", " +
			     (ret > 0 ? show(static_cast<std::size_t>(ret)) : std::string("buf")) +
			     ", " + std::to_string(count) + ")",
		     ret, err);
	errno = err;
	return ret;
}

/* write(2) of something that is not text: shown as show() says. */
template <typename Show>
ssize_t write(int fd, const void *buf, std::size_t count, Show &&show)
{
	if (!tracing())
		return ::write(fd, buf, count);
	std::string line = "write(" + std::to_string(fd) + ", " + show() + ", " +
			   std::to_string(count) + ")";
	const ssize_t ret = ::write(fd, buf, count);
	const int err = errno;
	detail::emit(line, ret, err);
	errno = err;
	return ret;
}

int mkdir(const char *path, mode_t mode);
int rmdir(const char *path);
int fcntl(int fd, int cmd, int arg = 0);

/*
 * ioctl(2) with a struct argument, shown as strace shows it: what goes in
 * for _IOW, what comes out for _IOR, "in => out" for _IOWR when the call
 * changed it. show(const T &) prints the struct; a show(const T &, bool
 * out) is told which side it prints. name is the request's name, e.g.
 * "KUIPC_SIGNAL_TRIGGER".
 */
template <typename T, typename Show>
int ioctl(int fd, unsigned long req, std::string_view name, T *arg, Show &&show)
{
	if (!tracing())
		return detail::raw_ioctl(fd, req, arg);
	const auto side = [&](bool out) {
		if constexpr (std::is_invocable_v<Show, const T &, bool>)
			return std::string(show(*arg, out));
		else
			return std::string(show(*arg));
	};
	const unsigned int dir = _IOC_DIR(req);
	const std::string before = dir == _IOC_READ ? std::string() : side(false);
	const int ret = detail::raw_ioctl(fd, req, arg);
	const int err = errno;
	std::string shown = before;
	if (ret >= 0 && dir == _IOC_READ) {
		shown = side(true);
	} else if (ret >= 0 && dir == (_IOC_READ | _IOC_WRITE)) {
		const std::string after = side(true);
		if (after != before)
			shown += " => " + after;
	} else if (dir == _IOC_READ) {
		shown = "buf";
	}
	detail::emit("ioctl(" + std::to_string(fd) + ", " + std::string(name) + ", " + shown + ")",
		     ret, err);
	errno = err;
	return ret;
}

/* ioctl(2) with no argument (or an integer one, shown as a number). */
int ioctl(int fd, unsigned long req, std::string_view name, unsigned long arg = 0);

/* ---- waiting ---------------------------------------------------------- */

/* Traced with the events asked for and, on success, the revents. */
int poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);

/* select(2) for reading only; traced with the descriptors ready. */
int select(int nfds, fd_set *readfds, struct timeval *timeout);

/* ---- memory ----------------------------------------------------------- */

/* Traced with the addresses as they are: they change from run to run. */
void *mmap(void *addr, std::size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, std::size_t len);

/* ---- events and signals ----------------------------------------------- */

int eventfd(unsigned int initval, int flags);
/* signalfd4(fd, mask, flags). */
int signalfd(int fd, const sigset_t *mask, int flags);
/* pthread_sigmask (rt_sigprocmask): returns the error, 0 on success. */
int sigprocmask(int how, const sigset_t *set, sigset_t *old);
/* rt_sigtimedwait */
int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout);
pid_t fork();
/* wait4(pid, &status, options, NULL) */
pid_t waitpid(pid_t pid, int *status, int options);

/* ---- sockets ---------------------------------------------------------- */

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr *addr, socklen_t len);
int connect(int fd, const struct sockaddr *addr, socklen_t len);
int setsockopt(int fd, int level, int name, const void *value, socklen_t len,
	       std::string_view level_name, std::string_view opt_name);
ssize_t send(int fd, const void *buf, std::size_t len, int flags);
ssize_t sendto(int fd, const void *buf, std::size_t len, int flags,
	       const struct sockaddr *addr, socklen_t addrlen);
ssize_t recv(int fd, void *buf, std::size_t len, int flags);
ssize_t recvfrom(int fd, void *buf, std::size_t len, int flags, struct sockaddr *addr,
		 socklen_t *addrlen);

/* send(2)/recv(2) of a binary message: show() describes it. */
template <typename Show>
ssize_t send(int fd, const void *buf, std::size_t len, int flags, Show &&show)
{
	if (!tracing())
		return ::send(fd, buf, len, flags);
	std::string line = "sendto(" + std::to_string(fd) + ", " + show() + ", " +
			   std::to_string(len) + ", " + msg_flags(flags) + ", NULL, 0)";
	const ssize_t ret = ::send(fd, buf, len, flags);
	const int err = errno;
	detail::emit(line, ret, err);
	errno = err;
	return ret;
}

template <typename Show>
ssize_t recv(int fd, void *buf, std::size_t len, int flags, Show &&show)
{
	if (!tracing())
		return ::recv(fd, buf, len, flags);
	const ssize_t ret = ::recv(fd, buf, len, flags);
	const int err = errno;
	detail::emit("recvfrom(" + std::to_string(fd) + ", " +
			     (ret > 0 ? show(static_cast<std::size_t>(ret)) : std::string("buf")) + ", " +
			     std::to_string(len) + ", " + msg_flags(flags) + ", NULL, NULL)",
		     ret, err);
	errno = err;
	return ret;
}

/* recvfrom(2) of a binary message: show(ret) describes it. */
template <typename Show>
ssize_t recvfrom(int fd, void *buf, std::size_t len, int flags, struct sockaddr *addr,
		 socklen_t *addrlen, Show &&show)
{
	if (!tracing())
		return ::recvfrom(fd, buf, len, flags, addr, addrlen);
	const ssize_t ret = ::recvfrom(fd, buf, len, flags, addr, addrlen);
	const int err = errno;
	detail::emit("recvfrom(" + std::to_string(fd) + ", " +
			     (ret > 0 ? show(static_cast<std::size_t>(ret)) : std::string("buf")) + ", " +
			     std::to_string(len) + ", " + msg_flags(flags) + ", " +
			     (ret >= 0 && addr != nullptr && addrlen != nullptr ? sockaddr(addr, *addrlen)
										: std::string("NULL")) +
			     ", " + (addrlen != nullptr ? "[" + std::to_string(*addrlen) + "]" : "NULL") + ")",
		     ret, err);
	errno = err;
	return ret;
}

} // namespace kuipc::sys
