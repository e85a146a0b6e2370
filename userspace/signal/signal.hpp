// SPDX-License-Identifier: GPL-2.0
// kuipc::signal: client of the misc device of kuipc_signal.ko.
//
// A process registers through an open file of the device to receive a
// real-time signal carrying a 32-bit payload whenever an event (a trigger
// ioctl or a write) happens. The ABI and who receives what are in
// <kuipc/signal.h>.
//
// The receiving side must block the signal before registering and read it
// synchronously (signalfd or sigwaitinfo): the default action of a
// real-time signal terminates the process. Listener does it in that order.
#pragma once

#include "fd.hpp"

#include <kuipc/signal.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kuipc::signal {

using Registration = kuipc_signal_reg;
using Trigger = kuipc_signal_trigger;
using Stats = kuipc_signal_stats;

/* One received signal: the fields the module sets. */
struct Event {
	int signo = 0;
	int code = 0;	    /* SI_QUEUE for the module's signals */
	int32_t value = 0;  /* the event's payload */
	pid_t pid = 0;	    /* the process that caused the event */
	uid_t uid = 0;
};

[[nodiscard]] Event event_of(const signalfd_siginfo &ssi) noexcept;
[[nodiscard]] Event event_of(const siginfo_t &si) noexcept;

/* A real-time signal as the kernel (and the module) counts them. */
[[nodiscard]] bool is_rt_signal(int signo) noexcept;
/* glibc's SIGRTMIN + n; kuipc::Error(EINVAL) past SIGRTMAX. */
[[nodiscard]] int rt_signal(int n);

/* strace's names: "SIGRT_2" for 34, "SIGUSR1", or the number. */
[[nodiscard]] std::string signal_name(int signo);
/* "SI_QUEUE", "SI_USER", ... or the number. */
[[nodiscard]] std::string code_name(int code);
/* "KUIPC_SIGNAL_TRIGGER" for this device's commands, else "0x...". */
[[nodiscard]] std::string ioctl_name(unsigned long cmd);
/* "0", "EBADF", ... for an errno value. */
[[nodiscard]] std::string errno_name(int err);

/* As strace would print them. */
[[nodiscard]] std::string to_string(const Registration &reg);
[[nodiscard]] std::string to_string(const Trigger &trig);
[[nodiscard]] std::string to_string(const Stats &st);
/* "{ssi_signo=SIGRT_2, ssi_code=SI_QUEUE, ssi_pid=1, ssi_uid=0, ssi_int=42}" */
[[nodiscard]] std::string to_string(const Event &ev);

/* The REGISTER argument: sizes set, everything else zero. */
[[nodiscard]] Registration make_registration(int signo, pid_t pid = 0,
					     uint32_t flags = 0) noexcept;
/* The TRIGGER argument for a payload. */
[[nodiscard]] Trigger make_trigger(int32_t value) noexcept;

/* What write() takes: "42\n". */
[[nodiscard]] std::string format_value(int32_t value);
/* Decimal text to a payload; kuipc::Error EINVAL or ERANGE. */
[[nodiscard]] int32_t parse_value(std::string_view text);

/*
 * An open file of the device. Open it O_RDONLY to register (anyone may),
 * O_WRONLY or O_RDWR to trigger (root, by the node's mode). Every call is
 * one system call (EINTR is retried) and throws kuipc::Error with its
 * errno on failure.
 */
class Device {
public:
	/* open(path, flags | O_CLOEXEC). */
	explicit Device(int flags = O_RDWR, std::string path = KUIPC_SIGNAL_PATH);

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	[[nodiscard]] const std::string &path() const noexcept { return path_; }

	/* Register the caller's process (pid 0) or another process for signo. */
	void register_process(int signo, pid_t pid = 0);
	/* Register the calling thread for signo. */
	void register_thread(int signo);
	/* KUIPC_SIGNAL_REGISTER with a struct as given. */
	void register_as(const Registration &reg);
	void unregister();
	/* This file's registration; kuipc::Error ENOENT if none. */
	[[nodiscard]] Registration registration() const;

	/* One event through the ioctl: the counts come back. */
	Trigger trigger(int32_t value);
	/* One event through write(2) of format_value(value). */
	void write_value(int32_t value);

	[[nodiscard]] Stats stats() const;

private:
	std::string path_;
	Fd fd_;
};

/*
 * Blocks signals in the calling thread for its lifetime. On destruction
 * it discards those of them still pending, so that unblocking cannot
 * deliver one (and kill the process), then restores the previous mask.
 * Create and destroy it on the same thread; threads started meanwhile
 * inherit the blocked mask.
 */
class BlockedSignals {
public:
	explicit BlockedSignals(std::initializer_list<int> signos);
	~BlockedSignals();
	BlockedSignals(const BlockedSignals &) = delete;
	BlockedSignals &operator=(const BlockedSignals &) = delete;
	BlockedSignals(BlockedSignals &&) = delete;
	BlockedSignals &operator=(BlockedSignals &&) = delete;

	[[nodiscard]] const sigset_t &set() const noexcept { return set_; }
	/* Discard the pending ones now; returns how many there were. */
	size_t discard_pending() const noexcept;

private:
	sigset_t set_{};
	sigset_t old_{};
};

/* A signalfd(2) for a set of (blocked) signals: non-blocking, cloexec. */
class SignalFd {
public:
	explicit SignalFd(const sigset_t &set);

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	/* Wait up to timeout_ms (-1: forever) for one; nullopt on timeout. */
	[[nodiscard]] std::optional<Event> wait(int timeout_ms);
	/* Every signal readable now, in the order the kernel hands them out. */
	[[nodiscard]] std::vector<Event> read_available();

private:
	/* One read(2) of up to max signals; empty when none is pending. */
	std::vector<Event> read_some(size_t max);

	Fd fd_;
};

/*
 * The receiving side in one object, set up in the safe order: block the
 * signal, create the signalfd, open the device read-only, register.
 * Destroyed in reverse: the registration ends before the signal is
 * unblocked. A process listener is served on the main thread (where the
 * module delivers it); a thread listener on the thread that created it.
 */
class Listener {
public:
	enum class Scope { process, thread };

	explicit Listener(int signo, Scope scope = Scope::process,
			  std::string path = KUIPC_SIGNAL_PATH);

	[[nodiscard]] int signo() const noexcept { return signo_; }
	[[nodiscard]] Device &device() noexcept { return dev_; }
	[[nodiscard]] SignalFd &signal_fd() noexcept { return sfd_; }

	[[nodiscard]] std::optional<Event> wait(int timeout_ms)
	{
		return sfd_.wait(timeout_ms);
	}
	[[nodiscard]] std::vector<Event> read_available()
	{
		return sfd_.read_available();
	}

private:
	int signo_;
	BlockedSignals blocked_;
	SignalFd sfd_;
	Device dev_;
};

} // namespace kuipc::signal
