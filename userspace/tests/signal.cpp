// SPDX-License-Identifier: GPL-2.0
// VM tests of the signal pair: kuipc_signal.ko and kuipc::signal.
//
// The runner loads the module before these tests and unloads it after.
// Each test sets up its own registrations and ends them (every file it
// opens is closed by RAII), so none depends on another's leftovers; counts
// are read as differences of GET_STATS. Signals are received on the main
// thread with a signalfd, the signal blocked first. Waiting for another
// process or thread is done on pipes, waitid() or its state in /proc,
// never by sleeping a guessed time; timeouts are only a safety net.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "signal.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using kuipc::test::errno_of;
using kuipc::test::ioctl_err;
using kuipc::test::wait_sleeping_in;

namespace ks = kuipc::signal;
using ks::Event;
using ks::Registration;
using ks::Stats;
using ks::Trigger;

constexpr const char *module_name = "kuipc_signal";
/*
 * read(2) of /bin/cat, the guest's busybox: x86_64 even when the runner is
 * i386 (--compat32), and /proc/PID/syscall gives the number of the task's
 * own ABI, x86_64's 0.
 */
#if defined(__i386__)
constexpr long kCatRead = 0;
#else
constexpr long kCatRead = SYS_read;
#endif
/* Safety net for every wait; a passing test never gets near it. */
constexpr int base_wait_ms = 10000;

/* base_wait_ms scaled like the runner's per-test timeout (a slow kernel waits longer). */
int wait_ms_now()
{
	return static_cast<int>(
		kuipc::test::patience(std::chrono::milliseconds(base_wait_ms)).count());
}

/* glibc's SIGRTMIN + n: the signals a C program may use. */
int rt(int n)
{
	return ks::rt_signal(n);
}

Stats stats()
{
	return ks::Device(O_RDONLY).stats();
}

/* One event from a fresh writable file; returns the counts. */
Trigger trigger(int32_t value)
{
	return ks::Device(O_WRONLY).trigger(value);
}

/* 0 and the struct, or the errno of KUIPC_SIGNAL_GET_REG. */
int get_reg(int fd, Registration &reg)
{
	reg = Registration{};
	reg.size = sizeof(reg);
	return ioctl_err(fd, KUIPC_SIGNAL_GET_REG, &reg);
}

int register_err(int fd, const Registration &reg)
{
	return ioctl_err(fd, KUIPC_SIGNAL_REGISTER, &reg);
}

/* 0, or the errno of a write(2) that must take all of text. */
int write_err(int fd, const std::string &text)
{
	const ssize_t n = ::write(fd, text.data(), text.size());
	if (n < 0)
		return errno;
	return static_cast<size_t>(n) == text.size() ? 0 : EIO;
}

/* Is signo pending for this thread or its process? */
bool pending(int signo)
{
	sigset_t set;
	sigemptyset(&set);
	return ::sigpending(&set) == 0 && sigismember(&set, signo) == 1;
}

/* Give up every privilege, as support.cpp's run_as() does. */
bool drop_to(uid_t uid, gid_t gid)
{
	return ::setgroups(0, nullptr) == 0 && ::setgid(gid) == 0 &&
	       ::setuid(uid) == 0;
}

/*
 * As the caller run() runs as: 0 when a registration of signo for pid
 * takes and reads back right, else the errno.
 */
int registers_as(const kuipc::test::RunAs &run, int signo, pid_t pid)
{
	return run([signo, pid] {
		ks::Device d(O_RDONLY);
		const int err = register_err(d.fd(), ks::make_registration(signo, pid));
		if (err != 0)
			return err;
		Registration r{};
		return get_reg(d.fd(), r) == 0 && r.pid == pid ? 0 : EIO;
	});
}

/* Up to n events from source (a Listener or a SignalFd), each within wait_ms_now(). */
template <typename Source> std::vector<Event> wait_events(Source &source, std::size_t n)
{
	std::vector<Event> v;
	while (v.size() < n) {
		const std::optional<Event> e = source.wait(wait_ms_now());
		if (!e)
			break;
		v.push_back(*e);
	}
	return v;
}

/* Read one byte from fd within wait_ms_now(); -1 on EOF, error or timeout. */
int read_byte(int fd)
{
	pollfd pfd{fd, POLLIN, 0};
	for (;;) {
		const int n = ::poll(&pfd, 1, wait_ms_now());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		unsigned char b = 0;
		const ssize_t r = ::read(fd, &b, 1);
		if (r < 0 && errno == EINTR)
			continue;
		return r == 1 ? b : -1;
	}
}

/*
 * A forked child running body, which returns its exit code (0 for
 * success; Catch2 must not be used in it). Two pipes synchronise it with
 * the test: the child calls ready(code) when set up and wait_go() before
 * going on; the test calls wait_ready() and go(). The destructor kills
 * and reaps a child still around, so no test leaves one behind.
 */
class Child {
public:
	explicit Child(const std::function<int(Child &)> &body)
	{
		std::array<int, 2> up{};
		std::array<int, 2> down{};
		if (::pipe2(up.data(), O_CLOEXEC) != 0)
			kuipc::throw_errno("pipe2");
		up_rd_.reset(up[0]);
		up_wr_.reset(up[1]);
		if (::pipe2(down.data(), O_CLOEXEC) != 0)
			kuipc::throw_errno("pipe2");
		down_rd_.reset(down[0]);
		down_wr_.reset(down[1]);
		std::fflush(nullptr);
		pid_ = ::fork();
		if (pid_ < 0)
			kuipc::throw_errno("fork");
		if (pid_ == 0) {
			up_rd_.reset();
			down_wr_.reset();
			int rc = 255;
			try {
				rc = body(*this);
			} catch (...) {
				rc = 254;
			}
			::_exit(rc & 0xff);
		}
		up_wr_.reset();
		down_rd_.reset();
	}
	Child(const Child &) = delete;
	Child &operator=(const Child &) = delete;
	Child(Child &&) = delete;
	Child &operator=(Child &&) = delete;

	~Child()
	{
		if (!reaped_ && pid_ > 0) {
			::kill(pid_, SIGKILL);
			(void)reap();
		}
	}

	[[nodiscard]] pid_t pid() const noexcept { return pid_; }

	/* In the child. */
	void ready(unsigned char code = 0) const
	{
		(void)!::write(up_wr_.get(), &code, 1);
	}
	[[nodiscard]] bool wait_go() const { return read_byte(down_rd_.get()) == 0; }

	/* In the test: the child's ready() code, or -1. */
	[[nodiscard]] int wait_ready() const { return read_byte(up_rd_.get()); }
	void go() const
	{
		const unsigned char b = 0;
		(void)!::write(down_wr_.get(), &b, 1);
	}

	/* Wait until it has exited, leaving it a zombie (not reaped). */
	[[nodiscard]] bool wait_zombie() const
	{
		siginfo_t si{};
		while (::waitid(P_PID, static_cast<id_t>(pid_), &si,
				WEXITED | WNOWAIT) != 0) {
			if (errno != EINTR)
				return false;
		}
		return si.si_pid == pid_;
	}

	/* Reap it: its exit code, 128 + signal if killed, -1 on error. */
	int reap()
	{
		int status = 0;
		while (::waitpid(pid_, &status, 0) < 0) {
			if (errno != EINTR)
				return -1;
		}
		reaped_ = true;
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
	}

	/* Still running (not exited)? */
	[[nodiscard]] bool running() const
	{
		siginfo_t si{};
		if (::waitid(P_PID, static_cast<id_t>(pid_), &si,
			     WEXITED | WNOHANG | WNOWAIT) != 0)
			return false;
		return si.si_pid == 0;
	}

private:
	pid_t pid_ = -1;
	bool reaped_ = false;
	kuipc::Fd up_rd_;
	kuipc::Fd up_wr_;
	kuipc::Fd down_rd_;
	kuipc::Fd down_wr_;
};

/* Exit codes of the receiving children. */
enum ChildCode : unsigned char {
	child_ok = 0,
	child_no_signal = 1,
	child_wrong_signal = 2,
	child_setup_failed = 3,
};

/* In a child: wait for one signal and check it; a ChildCode. */
int expect_event(ks::SignalFd &sfd, int signo, int32_t value, pid_t from)
{
	const std::optional<Event> ev = sfd.wait(wait_ms_now());
	if (!ev)
		return child_no_signal;
	if (ev->signo != signo || ev->code != SI_QUEUE || ev->value != value ||
	    ev->pid != from)
		return child_wrong_signal;
	return child_ok;
}

/* Sets RLIMIT_SIGPENDING for this process; restores it on destruction. */
class SigpendingLimit {
public:
	explicit SigpendingLimit(rlim_t soft)
	{
		if (::getrlimit(RLIMIT_SIGPENDING, &old_) != 0)
			kuipc::throw_errno("getrlimit");
		const rlimit lim{soft, old_.rlim_max};
		if (::setrlimit(RLIMIT_SIGPENDING, &lim) != 0)
			kuipc::throw_errno("setrlimit");
	}
	SigpendingLimit(const SigpendingLimit &) = delete;
	SigpendingLimit &operator=(const SigpendingLimit &) = delete;
	~SigpendingLimit() { ::setrlimit(RLIMIT_SIGPENDING, &old_); }

private:
	rlimit old_{};
};

} // namespace

TEST_CASE("signal: a trigger delivers its payload to the registered process",
	  "[signal]")
{
	const int signo = rt(1);
	const Stats before = stats();
	ks::Listener l(signo);
	CHECK(stats().registrations == before.registrations + 1);
	ks::Device w(O_WRONLY);

	const Trigger t = w.trigger(42);
	CHECK(t.size == sizeof(Trigger));
	CHECK(t.value == 42);
	CHECK(t.delivered == 1);
	CHECK(t.gone == 0);
	CHECK(t.failed == 0);
	CHECK(t.refused == 0);

	const std::optional<Event> ev = l.wait(wait_ms_now());
	REQUIRE(ev);
	CHECK(ev->signo == signo);
	CHECK(ev->code == SI_QUEUE);
	CHECK(ev->value == 42);
	CHECK(ev->pid == ::getpid()); /* we caused the event */
	CHECK(ev->uid == ::getuid());
	CHECK_FALSE(l.wait(0).has_value()); /* one event, one signal */

	/* write() is an event too; and the whole range of the payload. */
	for (const int32_t v : {-7, 0, INT32_MIN, INT32_MAX}) {
		INFO("value " << v);
		w.write_value(v);
		const std::optional<Event> e = l.wait(wait_ms_now());
		REQUIRE(e);
		CHECK(e->value == v);
		CHECK(e->code == SI_QUEUE);
	}

	const Registration reg = l.device().registration();
	CHECK(reg.size == sizeof(Registration));
	CHECK(reg.flags == 0);
	CHECK(reg.signo == signo);
	CHECK(reg.pid == ::getpid());
	CHECK(reg.status == 0);
	CHECK(reg.reserved == 0);
	CHECK(reg.delivered == 5);

	const Stats after = stats();
	CHECK(after.size == sizeof(Stats));
	CHECK(after.events - before.events == 5);
	CHECK(after.delivered - before.delivered == 5);
	CHECK(after.gone == before.gone);
	CHECK(after.failed == before.failed);

	/* The same signal read with sigtimedwait(): si_value carries it. */
	const int other = rt(2);
	ks::BlockedSignals blocked({other});
	ks::Device d(O_RDONLY);
	d.register_process(other);
	CHECK(w.trigger(5).delivered == 2);
	siginfo_t si{};
	const timespec ts{wait_ms_now() / 1000, 0};
	REQUIRE(::sigtimedwait(&blocked.set(), &si, &ts) == other);
	CHECK(si.si_code == SI_QUEUE);
	CHECK(si.si_value.sival_int == 5);
	CHECK(si.si_pid == ::getpid());
	const std::optional<Event> first = l.wait(wait_ms_now());
	REQUIRE(first);
	CHECK(first->value == 5);
}

TEST_CASE("signal: N events queue N signals, received in order", "[signal]")
{
	constexpr int n = 100;
	ks::Listener l(rt(3));
	ks::Device w(O_WRONLY);

	/* All queued before any is read: real-time signals do not merge. */
	int delivered = 0;
	for (int32_t v = 1; v <= n; ++v)
		delivered += static_cast<int>(w.trigger(v).delivered);
	CHECK(delivered == n);
	CHECK(pending(l.signo()));

	const std::vector<Event> evs = l.read_available();
	REQUIRE(evs.size() == n);
	int out_of_order = 0;
	for (size_t i = 0; i < evs.size(); ++i) {
		if (evs[i].value != static_cast<int32_t>(i + 1) ||
		    evs[i].signo != l.signo())
			++out_of_order;
	}
	CHECK(out_of_order == 0);
	CHECK_FALSE(pending(l.signo()));
	CHECK(l.device().registration().delivered == n);
}

TEST_CASE("signal: every registration receives each event, across processes",
	  "[signal]")
{
	constexpr int children = 3;
	const int signo = rt(4);
	const pid_t self = ::getpid();
	const Stats before = stats();
	ks::Listener l(signo);

	std::vector<std::unique_ptr<Child>> kids;
	for (int i = 0; i < children; ++i) {
		/* Each child: its own file, signal and registration. */
		const int sig = rt(5 + i);
		kids.push_back(std::make_unique<Child>([sig, self](Child &c) {
			try {
				ks::Listener mine(sig);
				c.ready();
				return expect_event(mine.signal_fd(), sig, 77, self);
			} catch (const kuipc::Error &) {
				c.ready(child_setup_failed);
				return int{child_setup_failed};
			}
		}));
	}
	for (const auto &k : kids)
		CHECK(k->wait_ready() == 0);
	CHECK(stats().registrations == before.registrations + 1 + children);

	const Trigger t = trigger(77);
	CHECK(t.delivered == 1 + children);
	CHECK(t.gone == 0);
	const std::optional<Event> ev = l.wait(wait_ms_now());
	REQUIRE(ev);
	CHECK(ev->value == 77);
	for (const auto &k : kids)
		CHECK(k->reap() == child_ok);

	/* Their files closed when they exited: so did their registrations. */
	CHECK(stats().registrations == before.registrations + 1);
	CHECK(trigger(78).delivered == 1);
}

TEST_CASE("signal: concurrent triggers and registrations lose and repeat no signal",
	  "[signal][concurrency]")
{
	constexpr int32_t threads = 4;
	constexpr int32_t per_thread = 50;
	constexpr size_t total = static_cast<size_t>(threads) * per_thread;
	const int churn_sig = rt(2);
	const Stats before = stats();
	/* Blocked here, so in every thread started below too. */
	ks::BlockedSignals churn_blocked({churn_sig});
	ks::SignalFd churn_fd(churn_blocked.set());
	ks::Listener l(rt(3));

	std::atomic<bool> stop{false};
	std::atomic<int> churned{0};
	std::string churn_error;
	/* Registrations come and go while the events fly. */
	std::thread churn([&] {
		try {
			while (!stop.load()) {
				ks::Device d(O_RDONLY);
				d.register_process(churn_sig);
				if (d.registration().signo != churn_sig)
					churn_error = "wrong registration";
				if (churned++ % 2 == 0)
					d.unregister();
			}
		} catch (const kuipc::Error &e) {
			churn_error = e.what();
		}
	});
	std::vector<uint64_t> failed(threads);
	std::vector<std::string> errors(threads);
	std::vector<std::thread> senders;
	senders.reserve(threads);
	for (int32_t t = 0; t < threads; ++t) {
		senders.emplace_back([&failed, &errors, t] {
			try {
				ks::Device w(O_WRONLY);
				for (int32_t i = 0; i < per_thread; ++i)
					failed[t] += w.trigger(t * 1000 + i).failed;
			} catch (const kuipc::Error &e) {
				errors[t] = e.what();
			}
		});
	}

	/* Receive while they send, so no queue grows long. */
	std::vector<Event> got;
	const auto deadline =
		std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms_now());
	while (got.size() < total &&
	       std::chrono::steady_clock::now() < deadline) {
		std::array<pollfd, 2> pfds = {{{l.signal_fd().fd(), POLLIN, 0},
					       {churn_fd.fd(), POLLIN, 0}}};
		(void)::poll(pfds.data(), pfds.size(), 100);
		for (const Event &e : l.read_available())
			got.push_back(e);
		(void)churn_fd.read_available();
	}
	for (auto &s : senders)
		s.join();
	stop = true;
	churn.join();
	(void)churn_fd.read_available();

	for (const auto &e : errors)
		CHECK(e.empty());
	CHECK(churn_error.empty());
	CHECK(churned.load() > 0);
	for (const uint64_t f : failed)
		CHECK(f == 0);
	/* Each payload exactly once, and each thread's in the order sent. */
	REQUIRE(got.size() == total);
	std::vector<int32_t> next(threads, 0);
	int bad = 0;
	for (const Event &e : got) {
		const int32_t t = e.value / 1000;
		const int32_t i = e.value % 1000;
		if (e.signo != l.signo() || t < 0 || t >= threads ||
		    i != next[t]++)
			++bad;
	}
	CHECK(bad == 0);
	CHECK_FALSE(l.wait(0).has_value());
	CHECK(l.device().registration().delivered == total);
	CHECK(stats().registrations == before.registrations + 1);
}

TEST_CASE("signal: a thread registration signals that thread; a process one the main thread",
	  "[signal][concurrency]")
{
	const int sig_thread = rt(4);
	const int sig_process = rt(5);
	/* Blocked in this thread and, inherited, in the workers. */
	ks::BlockedSignals blocked({sig_thread, sig_process});
	ks::SignalFd main_fd(blocked.set());
	ks::Device shared(O_RDONLY);

	/* A worker registers itself on a file the main thread keeps. */
	std::promise<void> registered;
	std::promise<void> go;
	std::optional<Event> worker_got;
	std::string worker_error;
	std::future<void> go_seen = go.get_future();
	std::thread worker([&] {
		bool announced = false;
		try {
			sigset_t mine;
			sigemptyset(&mine);
			sigaddset(&mine, sig_thread);
			ks::SignalFd sfd(mine);
			shared.register_thread(sig_thread);
			announced = true;
			registered.set_value();
			worker_got = sfd.wait(wait_ms_now());
		} catch (const kuipc::Error &e) {
			worker_error = e.what();
			if (!announced)
				registered.set_value();
		}
		go_seen.wait();
	});
	/* No REQUIRE until the join: the thread must never be left running. */
	CHECK(registered.get_future().wait_for(std::chrono::milliseconds(wait_ms_now())) ==
	      std::future_status::ready);
	Registration reg{};
	CHECK(get_reg(shared.fd(), reg) == 0);
	CHECK(reg.flags == KUIPC_SIGNAL_REG_THREAD);
	CHECK(reg.pid != ::getpid()); /* the worker's thread id */
	CHECK(reg.status == 0);

	CHECK(trigger(11).delivered == 1);
	/* Queued for the worker alone: not pending for this thread. */
	CHECK_FALSE(pending(sig_thread));
	go.set_value();
	worker.join();
	CHECK(worker_error.empty());
	REQUIRE(worker_got);
	CHECK(worker_got->signo == sig_thread);
	CHECK(worker_got->value == 11);
	CHECK(main_fd.read_available().empty());

	/* The thread has exited; the file has not: the registration is gone. */
	const Trigger t = trigger(12);
	CHECK(t.delivered == 0);
	CHECK(t.gone == 1);
	REQUIRE(get_reg(shared.fd(), reg) == 0);
	CHECK(reg.status == ESRCH);
	CHECK(reg.delivered == 1);
	shared.unregister();

	/* A process registration made on another thread reaches this one. */
	std::thread other([&] {
		try {
			shared.register_process(sig_process);
		} catch (const kuipc::Error &e) {
			worker_error = e.what();
		}
	});
	other.join();
	CHECK(worker_error.empty());
	CHECK(trigger(13).delivered == 1);
	const std::optional<Event> ev = main_fd.wait(wait_ms_now());
	REQUIRE(ev);
	CHECK(ev->signo == sig_process);
	CHECK(ev->value == 13);
}

TEST_CASE("signal: a full signal queue counts as failed, never as delivered",
	  "[signal]")
{
	constexpr rlim_t limit = 8;
	constexpr int32_t events = 20;
	ks::Listener l(rt(6));
	ks::Device w(O_WRONLY);
	const Stats before = stats();

	uint32_t delivered = 0;
	uint32_t failed = 0;
	{
		/* Our queue holds at most `limit` pending signals. */
		SigpendingLimit lim(limit);
		for (int32_t v = 1; v <= events; ++v) {
			const Trigger t = w.trigger(v);
			CHECK(t.delivered + t.failed == 1);
			delivered += t.delivered;
			failed += t.failed;
		}
	}
	CHECK(delivered >= 1);
	CHECK(delivered <= limit);
	CHECK(failed == events - delivered);
	/* What was counted delivered arrived: the first ones, in order. */
	const std::vector<Event> evs = l.read_available();
	REQUIRE(evs.size() == delivered);
	for (size_t i = 0; i < evs.size(); ++i)
		CHECK(evs[i].value == static_cast<int32_t>(i + 1));
	const Stats after = stats();
	CHECK(after.failed - before.failed == failed);
	CHECK(after.delivered - before.delivered == delivered);
	CHECK(l.device().registration().delivered == delivered);

	/* With room again, events arrive again. */
	CHECK(w.trigger(100).delivered == 1);
	const std::optional<Event> ev = l.wait(wait_ms_now());
	REQUIRE(ev);
	CHECK(ev->value == 100);
}

TEST_CASE("signal: non-real-time signals and malformed registrations give EINVAL",
	  "[signal][badinput]")
{
	ks::Device d(O_RDONLY);
	const uint32_t regs = stats().registrations;
	Registration reg{};

	for (const int signo : {0, 1, int{SIGKILL}, int{SIGUSR1}, 31,
				KUIPC_SIGNAL_SIGNO_MAX + 1, 128, -1, INT_MIN,
				INT_MAX}) {
		INFO("signo " << signo);
		CHECK(register_err(d.fd(), ks::make_registration(signo)) == EINVAL);
		CHECK(get_reg(d.fd(), reg) == ENOENT);
	}

	const int ok = rt(1);
	std::vector<std::pair<const char *, Registration>> bad;
	Registration r = ks::make_registration(ok);
	for (const uint32_t size : {0U, 24U, 31U, 40U, UINT32_MAX}) {
		r.size = size;
		bad.emplace_back("size", r);
	}
	for (const uint32_t flags : {2U, 0x80000000U,
				     KUIPC_SIGNAL_REG_THREAD | 4U}) {
		r = ks::make_registration(ok, 0, flags);
		bad.emplace_back("flags", r);
	}
	r = ks::make_registration(ok);
	r.status = ESRCH;
	bad.emplace_back("status", r);
	r = ks::make_registration(ok);
	r.reserved = 1;
	bad.emplace_back("reserved", r);
	r = ks::make_registration(ok);
	r.delivered = 1;
	bad.emplace_back("delivered", r);
	bad.emplace_back("negative pid", ks::make_registration(ok, -1));
	bad.emplace_back("INT_MIN pid", ks::make_registration(ok, INT_MIN));
	bad.emplace_back("thread with a pid",
			 ks::make_registration(ok, ::getpid(),
					       KUIPC_SIGNAL_REG_THREAD));
	for (const auto &[what, b] : bad) {
		INFO(what << ": " << ks::to_string(b));
		CHECK(register_err(d.fd(), b) == EINVAL);
		CHECK(get_reg(d.fd(), reg) == ENOENT);
	}
	CHECK(stats().registrations == regs);

	/* The edges of the range are accepted (no event: 32 and 33 are
	 * glibc's own signals), and so is the pid of the caller itself. */
	for (const int signo : {KUIPC_SIGNAL_SIGNO_MIN, KUIPC_SIGNAL_SIGNO_MAX,
				int{SIGRTMIN}, int{SIGRTMAX}}) {
		INFO("signo " << signo);
		CHECK(register_err(d.fd(), ks::make_registration(signo)) == 0);
		REQUIRE(get_reg(d.fd(), reg) == 0);
		CHECK(reg.signo == signo);
		CHECK(reg.pid == ::getpid());
		CHECK(ioctl_err(d.fd(), KUIPC_SIGNAL_UNREGISTER, nullptr) == 0);
	}
	CHECK(register_err(d.fd(), ks::make_registration(ok, ::getpid())) == 0);
	CHECK(ioctl_err(d.fd(), KUIPC_SIGNAL_UNREGISTER, nullptr) == 0);
	CHECK(stats().registrations == regs);

	/* Other structs with a wrong size. */
	Stats st{};
	st.size = sizeof(st) - 8;
	CHECK(ioctl_err(d.fd(), KUIPC_SIGNAL_GET_STATS, &st) == EINVAL);
	reg = Registration{};
	reg.size = sizeof(reg) + 8;
	CHECK(ioctl_err(d.fd(), KUIPC_SIGNAL_GET_REG, &reg) == EINVAL);
}

TEST_CASE("signal: malformed events are refused and send nothing",
	  "[signal][badinput]")
{
	ks::Listener l(rt(7));
	ks::Device w(O_RDWR);
	const Stats before = stats();

	const std::vector<std::pair<std::string, int>> writes = {
		{"abc", EINVAL},
		{"12x", EINVAL},
		{"1 2", EINVAL},
		{" 1", EINVAL},
		{"1\n\n", EINVAL},
		{"0x10", EINVAL},
		{"+", EINVAL},
		{"-", EINVAL},
		{"\n", EINVAL},
		{std::string("1\0", 2), EINVAL},
		{std::string("\0" "1", 2), EINVAL},
		{"2147483648", ERANGE},
		{"-2147483649", ERANGE},
		{"9999999999999999", ERANGE},	/* 16 bytes: the maximum */
		{"00000000000000001", EINVAL},	/* 17 bytes: too long */
		{std::string(4096, '1'), EINVAL},
	};
	for (const auto &[text, err] : writes) {
		INFO("write \"" << text << "\" (" << text.size() << " bytes)");
		CHECK(write_err(w.fd(), text) == err);
	}
	/* A zero-length write is no event. */
	CHECK(::write(w.fd(), "", 0) == 0);

	Trigger t = ks::make_trigger(1);
	t.size = sizeof(t) + 4;
	CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_TRIGGER, &t) == EINVAL);
	for (const auto field : {&Trigger::delivered, &Trigger::gone,
				 &Trigger::failed, &Trigger::refused}) {
		t = ks::make_trigger(1);
		t.*field = 1;
		INFO("trigger " << ks::to_string(t));
		CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_TRIGGER, &t) == EINVAL);
	}

	/* Unmapped and kernel addresses. */
	for (void *bad : {kuipc::test::bad_address(1),
				 kuipc::test::kernel_address()}) {
		INFO("pointer " << bad);
		CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_TRIGGER, bad) == EFAULT);
		CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_GET_STATS, bad) == EFAULT);
		CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_GET_REG, bad) == EFAULT);
		CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_REGISTER, bad) == EFAULT);
		errno = 0;
		CHECK(::write(w.fd(), bad, 2) == -1);
		CHECK(errno == EFAULT);
	}
	/* A valid trigger the module cannot write back: no event either. */
	const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
	void *ro = ::mmap(nullptr, page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ro != MAP_FAILED);
	const Trigger valid = ks::make_trigger(1);
	std::memcpy(ro, &valid, sizeof(valid));
	REQUIRE(::mprotect(ro, page, PROT_READ) == 0);
	CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_TRIGGER, ro) == EFAULT);
	::munmap(ro, page);

	/* Commands that are not this device's. */
	const unsigned long magic = KUIPC_SIGNAL_IOC_MAGIC;
	const unsigned long trig_nr = _IOC_NR(KUIPC_SIGNAL_TRIGGER);
	const std::vector<unsigned long> cmds = {
		_IO(magic, 0x3f),
		_IO(magic, trig_nr),		    /* no argument */
		_IOWR(magic, trig_nr, __u64),	    /* right number, wrong size */
		_IOW(magic, trig_nr, Trigger),	    /* wrong direction */
		_IOWR(magic + 1, trig_nr, Trigger), /* another magic */
		TCGETS,				    /* a terminal's */
	};
	for (const unsigned long cmd : cmds) {
		INFO("cmd " << ks::ioctl_name(cmd));
		Trigger tt = ks::make_trigger(1);
		CHECK(ioctl_err(w.fd(), cmd, &tt) == ENOTTY);
	}

	/* Nothing of it was an event. */
	const Stats after = stats();
	CHECK(after.events == before.events);
	CHECK(after.delivered == before.delivered);
	CHECK_FALSE(l.wait(0).has_value());
	CHECK(l.device().registration().delivered == 0);

	/* Well-formed text does go through, sign and newline included. */
	CHECK(write_err(w.fd(), "+5\n") == 0);
	CHECK(write_err(w.fd(), "-0") == 0);
	const std::vector<Event> evs = wait_events(l, 2);
	REQUIRE(evs.size() == 2);
	CHECK(evs[0].value == 5);
	CHECK(evs[1].value == 0);
}

TEST_CASE("signal: one registration per file; unregister and close end it",
	  "[signal][lifecycle]")
{
	const int s1 = rt(1);
	const int s2 = rt(2);
	ks::BlockedSignals blocked({s1, s2});
	ks::SignalFd sfd(blocked.set());
	const uint32_t regs = stats().registrations;
	Registration reg{};
	{
		ks::Device d(O_RDONLY);
		CHECK(get_reg(d.fd(), reg) == ENOENT);
		d.register_process(s1);
		CHECK(stats().registrations == regs + 1);

		/* A second registration on the same file: EBUSY, first kept. */
		CHECK(register_err(d.fd(), ks::make_registration(s2)) == EBUSY);
		REQUIRE(get_reg(d.fd(), reg) == 0);
		CHECK(reg.signo == s1);
		CHECK(stats().registrations == regs + 1);
		CHECK(trigger(1).delivered == 1);
		std::optional<Event> ev = sfd.wait(wait_ms_now());
		REQUIRE(ev);
		CHECK(ev->signo == s1);
		CHECK(ev->value == 1);

		d.unregister();
		CHECK(get_reg(d.fd(), reg) == ENOENT);
		CHECK(ioctl_err(d.fd(), KUIPC_SIGNAL_UNREGISTER, nullptr) == ENOENT);
		CHECK(stats().registrations == regs);
		CHECK(trigger(2).delivered == 0);
		CHECK_FALSE(sfd.wait(0).has_value());

		/* The file can register again, afresh. */
		d.register_process(s2);
		CHECK(trigger(3).delivered == 1);
		ev = sfd.wait(wait_ms_now());
		REQUIRE(ev);
		CHECK(ev->signo == s2);
		CHECK(ev->value == 3);
		REQUIRE(get_reg(d.fd(), reg) == 0);
		CHECK(reg.delivered == 1);

		/* Another file is another registration, even in one process. */
		ks::Device d2(O_RDONLY);
		d2.register_process(s1);
		CHECK(stats().registrations == regs + 2);
		CHECK(trigger(4).delivered == 2);
		const std::vector<Event> both = wait_events(sfd, 2);
		REQUIRE(both.size() == 2);
		CHECK(both[0].value == 4);
		CHECK(both[1].value == 4);
		CHECK(both[0].signo != both[1].signo);
	}
	/* Both files closed: both registrations ended. */
	CHECK(stats().registrations == regs);
	CHECK(trigger(5).delivered == 0);
	CHECK_FALSE(sfd.wait(0).has_value());
}

TEST_CASE("signal: a registered process that exits is reported gone, not signalled",
	  "[signal][lifecycle]")
{
	const int signo = rt(8);
	ks::BlockedSignals blocked({signo});
	const Stats before = stats();

	/* Its own file: closed when it exits, so the registration ends. */
	{
		Child c([signo](Child &self) {
			ks::Device d(O_RDONLY);
			d.register_process(signo);
			self.ready();
			return self.wait_go() ? 0 : 1;
		});
		REQUIRE(c.wait_ready() == 0);
		CHECK(stats().registrations == before.registrations + 1);
		c.go();
		CHECK(c.reap() == 0);
		CHECK(stats().registrations == before.registrations);
	}

	/*
	 * A file it shares with us: the registration outlives the child and
	 * holds the pid of an exited process. It must be reported gone,
	 * before and after the zombie is reaped, and never signal anyone.
	 */
	ks::Device shared(O_RDONLY);
	Child c([&shared, signo](Child &self) {
		const int err = register_err(shared.fd(),
					     ks::make_registration(signo));
		self.ready(static_cast<unsigned char>(err));
		return self.wait_go() ? 0 : 1;
	});
	REQUIRE(c.wait_ready() == 0);
	Registration reg{};
	REQUIRE(get_reg(shared.fd(), reg) == 0);
	CHECK(reg.pid == c.pid());
	CHECK(reg.status == 0);
	CHECK(stats().registrations == before.registrations + 1);

	c.go();
	REQUIRE(c.wait_zombie());
	Trigger t = trigger(21);
	CHECK(t.delivered == 0);
	CHECK(t.gone == 1);
	CHECK(t.failed == 0);
	REQUIRE(get_reg(shared.fd(), reg) == 0);
	CHECK(reg.status == ESRCH);

	CHECK(c.reap() == 0);
	t = trigger(22);
	CHECK(t.delivered == 0);
	CHECK(t.gone == 1);
	REQUIRE(get_reg(shared.fd(), reg) == 0);
	CHECK(reg.status == ESRCH);
	CHECK(reg.pid == c.pid()); /* the number it had */
	CHECK(reg.delivered == 0);
	/* The signal went nowhere: not to us, who share the file. */
	CHECK_FALSE(pending(signo));

	const Stats after = stats();
	CHECK(after.gone - before.gone == 2);
	CHECK(after.registrations == before.registrations + 1);
	shared.unregister();
	CHECK(stats().registrations == before.registrations);
}

TEST_CASE("signal: a registered process that execs another program is not signalled",
	  "[signal][lifecycle]")
{
	const int signo = rt(9);
	ks::Device shared(O_RDONLY);
	std::array<int, 2> in{};
	REQUIRE(::pipe2(in.data(), O_CLOEXEC) == 0);
	kuipc::Fd in_rd(in[0]);
	kuipc::Fd in_wr(in[1]);

	Child c([&](Child &self) {
		/* Unblocked: delivered, this signal would kill the program. */
		sigset_t none;
		sigemptyset(&none);
		::pthread_sigmask(SIG_SETMASK, &none, nullptr);
		const int err = register_err(shared.fd(),
					     ks::make_registration(signo));
		self.ready(static_cast<unsigned char>(err));
		if (err != 0 || !self.wait_go() || ::dup2(in_rd.get(), 0) != 0)
			return 1;
		::execl("/bin/cat", "cat", nullptr);
		return 127;
	});
	REQUIRE(c.wait_ready() == 0);
	Registration reg{};
	REQUIRE(get_reg(shared.fd(), reg) == 0);
	CHECK(reg.status == 0);
	c.go();
	/* cat is running once it waits in read(0). */
	REQUIRE(wait_sleeping_in(c.pid(), kCatRead));
	CHECK(kuipc::test::read_file("/proc/" + std::to_string(c.pid()) +
				     "/comm") == "cat\n");

	REQUIRE(get_reg(shared.fd(), reg) == 0);
	CHECK(reg.pid == c.pid());
	CHECK(reg.status == ESRCH);
	const Trigger t = trigger(31);
	CHECK(t.delivered == 0);
	CHECK(t.gone == 1);
	CHECK(c.running());

	/* cat ends normally on EOF: no signal killed it. */
	in_wr.reset();
	CHECK(c.reap() == 0);
}

TEST_CASE("signal: receiving needs read access, sending write access",
	  "[signal][permission]")
{
	struct stat st {};
	REQUIRE(::stat(KUIPC_SIGNAL_PATH, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) == 10); /* MISC_MAJOR */
	CHECK((st.st_mode & 07777) == KUIPC_SIGNAL_MODE);
	CHECK(st.st_uid == 0);

	/* Anyone may open it to receive; only root to send. */
	for (const auto &[flags, err] : {std::pair{O_RDONLY, 0},
					  std::pair{O_WRONLY, EACCES},
					  std::pair{O_RDWR, EACCES}}) {
		INFO("open flags " << flags);
		CHECK(kuipc::test::run_unprivileged([flags = flags] {
			return kuipc::test::open_errno(KUIPC_SIGNAL_PATH, flags);
		}) == err);
	}

	/* The access mode of the file is the right, for root too. */
	const Stats before = stats();
	ks::Device wo(O_WRONLY);
	Registration reg = ks::make_registration(rt(1));
	CHECK(register_err(wo.fd(), reg) == EBADF);
	CHECK(get_reg(wo.fd(), reg) == EBADF);
	CHECK(ioctl_err(wo.fd(), KUIPC_SIGNAL_UNREGISTER, nullptr) == EBADF);
	ks::Device ro(O_RDONLY);
	Trigger t = ks::make_trigger(1);
	CHECK(ioctl_err(ro.fd(), KUIPC_SIGNAL_TRIGGER, &t) == EBADF);
	CHECK(write_err(ro.fd(), "1\n") == EBADF);
	CHECK(stats().events == before.events);
	CHECK(stats().registrations == before.registrations);

	/* An unprivileged process registers itself; root's event reaches it. */
	const int signo = rt(2);
	const pid_t self = ::getpid();
	Child c([signo, self](Child &child) {
		if (!drop_to(kuipc::test::nobody_uid, kuipc::test::nobody_gid)) {
			child.ready(child_setup_failed);
			return int{child_setup_failed};
		}
		try {
			ks::Listener l(signo);
			child.ready();
			return expect_event(l.signal_fd(), signo, 21, self);
		} catch (const kuipc::Error &e) {
			child.ready(static_cast<unsigned char>(e.err()));
			return int{child_setup_failed};
		}
	});
	REQUIRE(c.wait_ready() == 0);
	CHECK(trigger(21).delivered == 1);
	CHECK(c.reap() == child_ok);

	/* The right travels with the descriptor: a writable one works. */
	const int wfd = wo.fd();
	CHECK(kuipc::test::run_unprivileged([wfd] {
		Trigger tt = ks::make_trigger(1);
		return ioctl_err(wfd, KUIPC_SIGNAL_TRIGGER, &tt);
	}) == 0);
	CHECK(stats().events == before.events + 2);
}

TEST_CASE("signal: registering another process needs the right to signal it",
	  "[signal][permission]")
{
	const int signo = rt(3);
	const uint32_t regs = stats().registrations;
	const pid_t self = ::getpid();

	/* A process of another unprivileged user, waiting for a signal. */
	constexpr uid_t other_uid = kuipc::test::nobody_uid - 1;
	Child other([signo](Child &c) {
		if (!drop_to(other_uid, other_uid)) {
			c.ready(child_setup_failed);
			return int{child_setup_failed};
		}
		ks::BlockedSignals blocked({signo});
		ks::SignalFd sfd(blocked.set());
		c.ready();
		return expect_event(sfd, signo, 41, ::getppid());
	});
	REQUIRE(other.wait_ready() == 0);
	/* And one of the nobody user, which nobody may register. */
	Child peer([](Child &c) {
		if (!drop_to(kuipc::test::nobody_uid, kuipc::test::nobody_gid)) {
			c.ready(child_setup_failed);
			return int{child_setup_failed};
		}
		c.ready();
		return c.wait_go() ? 0 : 1;
	});
	REQUIRE(peer.wait_ready() == 0);

	const auto nobody_registers = [signo](pid_t pid) {
		return registers_as(kuipc::test::run_unprivileged, signo, pid);
	};
	CHECK(nobody_registers(1) == EPERM);	       /* init, root's */
	CHECK(nobody_registers(self) == EPERM);	       /* this test, root's */
	CHECK(nobody_registers(other.pid()) == EPERM); /* another user's */
	CHECK(nobody_registers(peer.pid()) == 0);      /* its own user's */
	CHECK(stats().registrations == regs);

	/* No such process, or a thread id rather than a process id: ESRCH. */
	ks::Device d(O_RDONLY);
	CHECK(register_err(d.fd(), ks::make_registration(signo, INT_MAX)) == ESRCH);
	/* A kernel thread (kthreadd), even for root: EPERM. */
	CHECK(register_err(d.fd(), ks::make_registration(signo, 2)) == EPERM);
	std::promise<pid_t> tid;
	std::promise<void> done;
	std::thread th([&] {
		tid.set_value(::gettid());
		done.get_future().wait();
	});
	const pid_t thread_id = tid.get_future().get();
	CHECK(register_err(d.fd(), ks::make_registration(signo, thread_id)) ==
	      ESRCH);
	done.set_value();
	th.join();
	Registration reg{};
	CHECK(get_reg(d.fd(), reg) == ENOENT);

	/* Root (CAP_KILL) may register the other user's process: it gets it. */
	d.register_process(signo, other.pid());
	REQUIRE(get_reg(d.fd(), reg) == 0);
	CHECK(reg.pid == other.pid());
	const Trigger t = trigger(41);
	CHECK(t.delivered == 1);
	CHECK(other.reap() == child_ok);
	CHECK_FALSE(pending(signo));
	peer.go();
	CHECK(peer.reap() == 0);
}

TEST_CASE("signal: root in a new user namespace is refused what needs a capability in the initial one",
	  "[signal][permission]")
{
	using kuipc::test::run_in_userns;
	const int signo = rt(4);
	const uint32_t regs = stats().registrations;
	const pid_t self = ::getpid();

	/*
	 * The node is root's, 0644: root of a user namespace, whose uid 0 is
	 * nobody outside, may open it to receive but not to send.
	 */
	for (const auto &[flags, err] : {std::pair{O_RDONLY, 0},
					  std::pair{O_WRONLY, EACCES},
					  std::pair{O_RDWR, EACCES}}) {
		INFO("open flags " << flags);
		CHECK(run_in_userns([flags = flags] {
			return kuipc::test::open_errno(KUIPC_SIGNAL_PATH, flags);
		}) == err);
	}

	/* A process of another unprivileged user, and one of nobody. */
	const auto waiting_as = [](uid_t uid) {
		return [uid](Child &c) {
			if (!drop_to(uid, uid)) {
				c.ready(child_setup_failed);
				return int{child_setup_failed};
			}
			c.ready();
			return c.wait_go() ? 0 : 1;
		};
	};
	Child other(waiting_as(kuipc::test::nobody_uid - 1));
	REQUIRE(other.wait_ready() == 0);
	Child peer(waiting_as(kuipc::test::nobody_uid));
	REQUIRE(peer.wait_ready() == 0);

	const auto userns_registers = [signo](pid_t pid) {
		return registers_as(kuipc::test::run_as_userns_root, signo, pid);
	};
	/*
	 * CAP_KILL counts in the target's user namespace, here the initial
	 * one; root of a new namespace has it only over that namespace.
	 */
	CHECK(userns_registers(1) == EPERM);	       /* init, root's */
	CHECK(userns_registers(self) == EPERM);	       /* this test, root's */
	CHECK(userns_registers(other.pid()) == EPERM); /* another user's */
	/* Its uid is nobody outside: nobody's process, kill(2) could signal. */
	CHECK(userns_registers(peer.pid()) == 0);
	CHECK(stats().registrations == regs);

	other.go();
	peer.go();
	CHECK(other.reap() == 0);
	CHECK(peer.reap() == 0);
}

TEST_CASE("signal: a registered process that returns to root is refused at every event, as kill(2) refuses",
	  "[signal][permission]")
{
	const int signo = rt(6);
	/* An unprivileged user other than nobody, which other tests use. */
	constexpr uid_t user = 1000;

	/*
	 * The target: root's child running as a set-uid-root program does
	 * before it returns to root (real and effective uid 1000, saved 0).
	 */
	Child target([signo](Child &c) {
		ks::BlockedSignals blocked({signo});
		ks::SignalFd sfd(blocked.set());
		if (::setresuid(user, user, 0) != 0) {
			c.ready(child_setup_failed);
			return int{child_setup_failed};
		}
		c.ready();
		if (!c.wait_go())
			return int{child_setup_failed};
		/* Signalled while it runs as uid 1000, as it agreed. */
		const int first = expect_event(sfd, signo, 60, ::getppid());
		if (first != child_ok || ::setresuid(0, 0, 0) != 0) {
			c.ready(child_setup_failed);
			return first != child_ok ? first : int{child_setup_failed};
		}
		c.ready();
		if (!c.wait_go())
			return int{child_setup_failed};
		/* The event that came since is pending by now, or was refused. */
		if (pending(signo)) {
			c.ready(child_wrong_signal);
			return int{child_wrong_signal};
		}
		/* Back to uid 1000: the registrant may signal it again. */
		if (::setresuid(user, user, 0) != 0) {
			c.ready(child_setup_failed);
			return int{child_setup_failed};
		}
		c.ready();
		return expect_event(sfd, signo, 62, ::getppid());
	});
	REQUIRE(target.wait_ready() == 0);
	const pid_t tpid = target.pid();

	/* The registrant: a process of uid 1000, which may signal it now. */
	Child registrant([signo, tpid](Child &c) {
		if (!drop_to(user, user)) {
			c.ready(child_setup_failed);
			return int{child_setup_failed};
		}
		try {
			ks::Device d(O_RDONLY);
			d.register_process(signo, tpid);
			c.ready();
			if (!c.wait_go())
				return int{child_setup_failed};
			/* What kill(2) says once the target is root again. */
			const int err = ::kill(tpid, signo) == 0 ? 0 : errno;
			c.ready(static_cast<unsigned char>(err));
			if (!c.wait_go())
				return int{child_setup_failed};
			/* What GET_REG says of the registration then. */
			Registration r{};
			const int gerr = get_reg(d.fd(), r);
			c.ready(static_cast<unsigned char>(gerr != 0 ? 255U : r.status));
			/* Hold the registration until the test is done. */
			return c.wait_go() ? 0 : int{child_setup_failed};
		} catch (const kuipc::Error &e) {
			c.ready(static_cast<unsigned char>(e.err()));
			return int{child_setup_failed};
		}
	});
	REQUIRE(registrant.wait_ready() == 0);

	const Trigger t0 = trigger(60);
	CHECK(t0.delivered == 1);
	target.go();
	REQUIRE(target.wait_ready() == 0);

	/* Root again: uid 1000 may no longer signal it, by kill(2)... */
	registrant.go();
	CHECK(registrant.wait_ready() == EPERM);
	/* ...nor through the registration it made before. */
	const Stats before = stats();
	const Trigger t1 = trigger(61);
	CHECK(t1.delivered == 0);
	CHECK(t1.gone == 0);
	CHECK(t1.failed == 0);
	CHECK(t1.refused == 1);
	const Stats after = stats();
	CHECK(after.delivered == before.delivered);
	CHECK(after.refused == before.refused + 1);
	CHECK(after.registrations == before.registrations);
	registrant.go();
	CHECK(registrant.wait_ready() == EPERM);
	target.go();
	REQUIRE(target.wait_ready() == 0);

	/* The registration stayed: with the uids back, so are the signals. */
	const Trigger t2 = trigger(62);
	CHECK(t2.delivered == 1);
	CHECK(t2.refused == 0);
	CHECK(target.reap() == child_ok);
	registrant.go();
	CHECK(registrant.reap() == 0);
}

TEST_CASE("signal: one user stops at max_user_registrations with ENOSPC; other users do not",
	  "[signal][permission]")
{
	const std::string param = kuipc::test::read_file(KUIPC_SIGNAL_USER_REGS_PATH);
	const unsigned long limit = std::stoul(param);
	CHECK(limit == KUIPC_SIGNAL_USER_REGS_DEFAULT);
	const int signo = rt(7);
	const uint32_t regs = stats().registrations;

	/* A nobody process registers itself on limit files, then one more. */
	Child full([signo, limit](Child &c) {
		if (!drop_to(kuipc::test::nobody_uid, kuipc::test::nobody_gid)) {
			c.ready(child_setup_failed);
			return int{child_setup_failed};
		}
		ks::BlockedSignals blocked({signo});
		std::vector<std::unique_ptr<ks::Device>> devs;
		try {
			for (unsigned long i = 0; i < limit; ++i) {
				devs.push_back(std::make_unique<ks::Device>(O_RDONLY));
				devs.back()->register_process(signo);
			}
		} catch (const kuipc::Error &e) {
			c.ready(static_cast<unsigned char>(e.err()));
			return int{child_setup_failed};
		}
		ks::Device extra(O_RDONLY);
		c.ready(static_cast<unsigned char>(
			register_err(extra.fd(), ks::make_registration(signo))));
		/* A thread registration counts the same. */
		c.ready(static_cast<unsigned char>(register_err(
			extra.fd(),
			ks::make_registration(signo, 0, KUIPC_SIGNAL_REG_THREAD))));
		if (!c.wait_go())
			return int{child_setup_failed};
		/* One closed: room for one again. */
		devs.pop_back();
		c.ready(static_cast<unsigned char>(
			register_err(extra.fd(), ks::make_registration(signo))));
		return c.wait_go() ? 0 : int{child_setup_failed};
	});
	REQUIRE(full.wait_ready() == ENOSPC);
	CHECK(full.wait_ready() == ENOSPC);
	CHECK(stats().registrations == regs + limit);

	/* Another user, and root, are not affected. */
	CHECK(kuipc::test::run_as(1000, 1000, [signo] {
		      ks::BlockedSignals blocked({signo});
		      ks::Device d(O_RDONLY);
		      return register_err(d.fd(), ks::make_registration(signo));
	      }) == 0);
	{
		ks::Listener l(signo);
		CHECK(stats().registrations == regs + limit + 1);
	}

	full.go();
	CHECK(full.wait_ready() == 0);
	CHECK(stats().registrations == regs + limit);
	full.go();
	CHECK(full.reap() == 0);
	CHECK(stats().registrations == regs);
}

TEST_CASE("signal: GET_STATS of the older 40-byte struct still works and writes 40 bytes",
	  "[signal]")
{
	const Stats now = stats();
	std::array<unsigned char, sizeof(Stats)> buf{};
	buf.fill(0xab);
	const uint32_t size = KUIPC_SIGNAL_STATS_SIZE_V0;
	std::memcpy(buf.data(), &size, sizeof(size));
	ks::Device d(O_RDONLY);
	REQUIRE(ioctl_err(d.fd(), KUIPC_SIGNAL_GET_STATS_V0, buf.data()) == 0);
	Stats old{};
	std::memcpy(&old, buf.data(), KUIPC_SIGNAL_STATS_SIZE_V0);
	CHECK(old.size == KUIPC_SIGNAL_STATS_SIZE_V0);
	CHECK(old.registrations == now.registrations);
	CHECK(old.events == now.events);
	CHECK(old.delivered == now.delivered);
	/* Not a byte past the old struct. */
	for (size_t i = KUIPC_SIGNAL_STATS_SIZE_V0; i < buf.size(); ++i)
		CHECK(buf.at(i) == 0xab);
	/* The size must match the command's. */
	std::memcpy(buf.data(), &now.size, sizeof(now.size));
	CHECK(ioctl_err(d.fd(), KUIPC_SIGNAL_GET_STATS_V0, buf.data()) == EINVAL);
	Stats st{};
	st.size = KUIPC_SIGNAL_STATS_SIZE_V0;
	CHECK(ioctl_err(d.fd(), KUIPC_SIGNAL_GET_STATS, &st) == EINVAL);
}

TEST_CASE("signal: an open file pins the module; unload removes the node",
	  "[signal][lifecycle]")
{
	const kuipc::test::ReloadGuard reload("signal");

	{
		ks::Listener l(rt(4));
		const int err = errno_of([] { kuipc::unload_module(module_name, 0); });
		CHECK((err == EAGAIN || err == EBUSY));
		CHECK(kuipc::module_loaded(module_name));
		/* Still fully working. */
		CHECK(trigger(51).delivered == 1);
		const std::optional<Event> ev = l.wait(wait_ms_now());
		REQUIRE(ev);
		CHECK(ev->value == 51);
	}

	/* Closed: the unload goes through and the node goes with it. */
	REQUIRE_NOTHROW(kuipc::unload_module(module_name, 2000));
	CHECK_FALSE(kuipc::module_loaded(module_name));
	struct stat st {};
	errno = 0;
	CHECK(::stat(KUIPC_SIGNAL_PATH, &st) == -1);
	CHECK(errno == ENOENT);

	/* Loaded again: a new node and zero counters; it works. */
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path("signal")));
	REQUIRE(::stat(KUIPC_SIGNAL_PATH, &st) == 0);
	const Stats s = stats();
	CHECK(s.registrations == 0);
	CHECK(s.events == 0);
	CHECK(s.delivered == 0);
	ks::Listener l(rt(4));
	CHECK(trigger(52).delivered == 1);
	const std::optional<Event> ev = l.wait(wait_ms_now());
	REQUIRE(ev);
	CHECK(ev->value == 52);
}

TEST_CASE("signal: max_user_registrations=0 is refused at load with EINVAL",
	  "[signal][lifecycle][badinput]")
{
	const kuipc::test::ReloadGuard reload("signal");
	REQUIRE_NOTHROW(kuipc::unload_module(module_name, 2000));

	CHECK(kuipc::test::errno_of([] {
		      kuipc::load_module(kuipc::module_path("signal"),
					 "max_user_registrations=0");
	      }) == EINVAL);
	CHECK_FALSE(kuipc::module_loaded(module_name));
	struct stat st {};
	CHECK(::stat(KUIPC_SIGNAL_PATH, &st) == -1);

	/* One is the smallest limit that loads, and it holds. */
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path("signal"),
					   "max_user_registrations=1"));
	CHECK(kuipc::test::read_file(KUIPC_SIGNAL_USER_REGS_PATH) == "1\n");
	{
		const ks::Listener l(rt(4));
		const ks::Device extra(O_RDONLY);
		CHECK(register_err(extra.fd(), ks::make_registration(rt(4))) ==
		      ENOSPC);
	}
	/* Back to the default for the tests after this one (the guard). */
	REQUIRE_NOTHROW(kuipc::unload_module(module_name, 2000));
}

namespace {

using kuipc::test::GuardedPages;

/* Same registration, field by field (GET_REG output). */
bool same(const Registration &a, const Registration &b)
{
	return a.size == b.size && a.flags == b.flags && a.signo == b.signo &&
	       a.pid == b.pid && a.status == b.status &&
	       a.reserved == b.reserved && a.delivered == b.delivered;
}

/* Same counters (GET_STATS output). */
bool same(const Stats &a, const Stats &b)
{
	return std::memcmp(&a, &b, sizeof(a)) == 0;
}

} // namespace

TEST_CASE("signal: a zombie, a reaped process or a pid past pid_max cannot be registered",
	  "[signal][badinput]")
{
	const int signo = rt(1);
	const Stats before = stats();
	ks::Device d(O_RDONLY);
	Registration reg{};

	Child c([](Child &self) {
		self.ready();
		return 0;
	});
	REQUIRE(c.wait_ready() == 0);
	REQUIRE(c.wait_zombie());
	CHECK(register_err(d.fd(), ks::make_registration(signo, c.pid())) ==
	      ESRCH);
	CHECK(get_reg(d.fd(), reg) == ENOENT);
	REQUIRE(c.reap() == 0);
	CHECK(register_err(d.fd(), ks::make_registration(signo, c.pid())) ==
	      ESRCH);
	CHECK(get_reg(d.fd(), reg) == ENOENT);

	const int pid_max =
		std::stoi(kuipc::test::read_file("/proc/sys/kernel/pid_max"));
	for (const int pid : {pid_max, pid_max + 1}) {
		INFO("pid " << pid);
		CHECK(register_err(d.fd(), ks::make_registration(signo, pid)) ==
		      ESRCH);
		CHECK(get_reg(d.fd(), reg) == ENOENT);
	}
	CHECK(same(stats(), before));

	/* The same file still registers a live process. */
	CHECK(register_err(d.fd(), ks::make_registration(signo, ::getpid())) == 0);
	REQUIRE(get_reg(d.fd(), reg) == 0);
	CHECK(reg.pid == ::getpid());
	CHECK(stats().registrations == before.registrations + 1);
}

TEST_CASE("signal: a refused REGISTER on a registered file leaves its registration as it was",
	  "[signal][badinput]")
{
	ks::Listener l(rt(1));
	const int fd = l.device().fd();
	CHECK(trigger(1).delivered == 1);
	REQUIRE(l.wait(wait_ms_now()));
	Registration before{};
	REQUIRE(get_reg(fd, before) == 0);
	REQUIRE(before.delivered == 1);
	const uint32_t regs = stats().registrations;

	Registration wrong_size = ks::make_registration(rt(2));
	wrong_size.size = sizeof(wrong_size) - 1;
	Registration reserved = ks::make_registration(rt(2));
	reserved.reserved = 7;
	const std::vector<std::tuple<const char *, Registration, int>> bad = {
		{"signal 0", ks::make_registration(0), EINVAL},
		{"SIGRTMAX + 1", ks::make_registration(KUIPC_SIGNAL_SIGNO_MAX + 1),
		 EINVAL},
		{"size - 1", wrong_size, EINVAL},
		{"reserved", reserved, EINVAL},
		{"no such pid", ks::make_registration(rt(2), INT_MAX), ESRCH},
		{"kthreadd", ks::make_registration(rt(2), 2), EPERM},
		{"well-formed", ks::make_registration(rt(2)), EBUSY},
		{"the same again", ks::make_registration(rt(1)), EBUSY},
	};
	for (const auto &[what, reg, err] : bad) {
		INFO(what << ": " << ks::to_string(reg));
		CHECK(register_err(fd, reg) == err);
		Registration now{};
		REQUIRE(get_reg(fd, now) == 0);
		CHECK(same(now, before));
		CHECK(stats().registrations == regs);
	}

	/* Still the first signal, and nothing else arrived meanwhile. */
	CHECK_FALSE(l.wait(0).has_value());
	CHECK(trigger(2).delivered == 1);
	const std::optional<Event> ev = l.wait(wait_ms_now());
	REQUIRE(ev);
	CHECK(ev->signo == rt(1));
	CHECK(ev->value == 2);
}

TEST_CASE("signal: a struct or text running into a PROT_NONE page gives EFAULT",
	  "[signal][badinput]")
{
	ks::Listener l(rt(2));
	ks::Device w(O_RDWR);
	const GuardedPages page;
	Registration reg_before{};
	REQUIRE(get_reg(l.device().fd(), reg_before) == 0);
	const Stats before = stats();

	/* Each struct with its first 8 bytes readable, the rest not. */
	const auto straddling = [&](const auto &valid) {
		char *p = page.tail(8);
		std::memcpy(p, &valid, 8);
		return p;
	};
	ks::Device fresh(O_RDONLY);
	CHECK(ioctl_err(fresh.fd(), KUIPC_SIGNAL_REGISTER,
			straddling(ks::make_registration(rt(3)))) == EFAULT);
	Registration reg{};
	CHECK(get_reg(fresh.fd(), reg) == ENOENT);
	Registration out{};
	out.size = sizeof(out);
	CHECK(ioctl_err(l.device().fd(), KUIPC_SIGNAL_GET_REG, straddling(out)) ==
	      EFAULT);
	Stats st{};
	st.size = sizeof(st);
	CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_GET_STATS, straddling(st)) == EFAULT);
	CHECK(ioctl_err(w.fd(), KUIPC_SIGNAL_TRIGGER,
			straddling(ks::make_trigger(9))) == EFAULT);
	/* "12": the '2' is in the page that faults. */
	std::memcpy(page.tail(1), "1", 1);
	errno = 0;
	CHECK(::write(w.fd(), page.tail(1), 2) == -1);
	CHECK(errno == EFAULT);

	CHECK(same(stats(), before));
	REQUIRE(get_reg(l.device().fd(), reg) == 0);
	CHECK(same(reg, reg_before));
	CHECK_FALSE(l.wait(0).has_value());

	/* The same text one byte earlier is all readable: one event. */
	std::memcpy(page.tail(2), "12", 2);
	CHECK(::write(w.fd(), page.tail(2), 2) == 2);
	const std::optional<Event> ev = l.wait(wait_ms_now());
	REQUIRE(ev);
	CHECK(ev->value == 12);
}

TEST_CASE("signal: GET_REG and GET_STATS into read-only memory give EFAULT",
	  "[signal][badinput]")
{
	ks::Listener l(rt(4));
	CHECK(trigger(4).delivered == 1);
	REQUIRE(l.wait(wait_ms_now()));
	Registration reg_before{};
	REQUIRE(get_reg(l.device().fd(), reg_before) == 0);
	const Stats before = stats();

	const GuardedPages page;
	char *p = page.tail(sizeof(Registration) + sizeof(Stats));
	Registration in_reg{};
	in_reg.size = sizeof(in_reg);
	Stats in_st{};
	in_st.size = sizeof(in_st);
	std::memcpy(p, &in_reg, sizeof(in_reg));
	std::memcpy(p + sizeof(in_reg), &in_st, sizeof(in_st));
	REQUIRE(::mprotect(page.good(), page.page_size(), PROT_READ) == 0);
	CHECK(ioctl_err(l.device().fd(), KUIPC_SIGNAL_GET_REG, p) == EFAULT);
	CHECK(ioctl_err(l.device().fd(), KUIPC_SIGNAL_GET_STATS,
			p + sizeof(in_reg)) == EFAULT);
	/* Nothing was written into it, and nothing changed in the module. */
	CHECK(std::memcmp(p, &in_reg, sizeof(in_reg)) == 0);
	CHECK(std::memcmp(p + sizeof(in_reg), &in_st, sizeof(in_st)) == 0);
	REQUIRE(::mprotect(page.good(), page.page_size(),
			   PROT_READ | PROT_WRITE) == 0);

	Registration reg{};
	REQUIRE(get_reg(l.device().fd(), reg) == 0);
	CHECK(same(reg, reg_before));
	CHECK(same(stats(), before));
}

TEST_CASE("signal: GET_REG and GET_STATS with a wrong size give EINVAL and write nothing",
	  "[signal][badinput]")
{
	ks::Listener l(rt(5));
	const int fd = l.device().fd();
	Registration reg_before{};
	REQUIRE(get_reg(fd, reg_before) == 0);
	const Stats before = stats();

	for (const uint32_t size : {0U, 1U, uint32_t{sizeof(Registration)} - 1,
				    uint32_t{sizeof(Registration)} + 1,
				    uint32_t{sizeof(Stats)}, UINT32_MAX}) {
		INFO("size " << size);
		Registration reg{};
		std::memset(&reg, 0xab, sizeof(reg));
		reg.size = size;
		const Registration sent = reg;
		CHECK(ioctl_err(fd, KUIPC_SIGNAL_GET_REG, &reg) == EINVAL);
		CHECK(std::memcmp(&reg, &sent, sizeof(reg)) == 0);
	}
	for (const uint32_t size : {0U, uint32_t{sizeof(Stats)} - 1,
				    uint32_t{sizeof(Stats)} + 1,
				    uint32_t{sizeof(Registration)}, UINT32_MAX}) {
		INFO("size " << size);
		Stats st{};
		std::memset(&st, 0xab, sizeof(st));
		st.size = size;
		const Stats sent = st;
		CHECK(ioctl_err(fd, KUIPC_SIGNAL_GET_STATS, &st) == EINVAL);
		CHECK(std::memcmp(&st, &sent, sizeof(st)) == 0);
	}

	Registration reg{};
	REQUIRE(get_reg(fd, reg) == 0);
	CHECK(same(reg, reg_before));
	CHECK(same(stats(), before));
}

TEST_CASE("signal: every other command number of the device's magic is ENOTTY",
	  "[signal][badinput]")
{
	ks::Listener l(rt(6));
	ks::Device rw(O_RDWR);
	Registration reg_before{};
	REQUIRE(get_reg(l.device().fd(), reg_before) == 0);
	const Stats before = stats();
	const std::vector<unsigned long> ours = {
		KUIPC_SIGNAL_REGISTER, KUIPC_SIGNAL_UNREGISTER, KUIPC_SIGNAL_GET_REG,
		KUIPC_SIGNAL_TRIGGER, KUIPC_SIGNAL_GET_STATS};

	/* Every number, each direction, the sizes of this ABI's structs. */
	const unsigned long magic = KUIPC_SIGNAL_IOC_MAGIC;
	int tried = 0;
	std::vector<unsigned long> wrong;
	for (unsigned long nr = 0; nr <= 0xff; ++nr) {
		for (const unsigned long cmd :
		     {_IO(magic, nr), _IOR(magic, nr, Registration),
		      _IOW(magic, nr, Registration), _IOWR(magic, nr, Registration),
		      _IOWR(magic, nr, Trigger), _IOWR(magic, nr, Stats),
		      _IOW(magic, nr, __u32)}) {
			if (std::find(ours.begin(), ours.end(), cmd) != ours.end())
				continue;
			/* A buffer that would pass as any of the structs. */
			std::array<uint64_t, 8> arg{};
			arg[0] = sizeof(Trigger);
			++tried;
			if (ioctl_err(rw.fd(), cmd, arg.data()) != ENOTTY)
				wrong.push_back(cmd);
		}
	}
	CHECK(tried == 256 * 7 - 5);
	for (const unsigned long cmd : wrong)
		FAIL_CHECK("not ENOTTY: " << ks::ioctl_name(cmd));

	CHECK(same(stats(), before));
	Registration reg{};
	REQUIRE(get_reg(l.device().fd(), reg) == 0);
	CHECK(same(reg, reg_before));
	CHECK_FALSE(l.wait(0).has_value());
}

TEST_CASE("signal: each command with the wrong size or direction bits is ENOTTY",
	  "[signal][badinput]")
{
	ks::Listener l(rt(7));
	const int fd = l.device().fd();
	Registration reg_before{};
	REQUIRE(get_reg(fd, reg_before) == 0);
	const Stats before = stats();
	const unsigned long magic = KUIPC_SIGNAL_IOC_MAGIC;
	const unsigned long reg_nr = _IOC_NR(KUIPC_SIGNAL_REGISTER);
	const unsigned long unreg_nr = _IOC_NR(KUIPC_SIGNAL_UNREGISTER);
	const unsigned long get_nr = _IOC_NR(KUIPC_SIGNAL_GET_REG);
	const unsigned long stats_nr = _IOC_NR(KUIPC_SIGNAL_GET_STATS);
	/* The older, smaller struct a stale client might have been built with. */
	struct OldReg {
		__u32 size;
		__u32 flags;
		__s32 signo;
		__s32 pid;
		__u64 delivered;
	};

	const std::vector<unsigned long> cmds = {
		_IOWR(magic, reg_nr, Registration), /* REGISTER as read-write */
		_IOR(magic, reg_nr, Registration),
		_IO(magic, reg_nr),
		_IOW(magic, reg_nr, OldReg),
		_IOW(magic, reg_nr, Stats),
		_IOW(magic, unreg_nr, __u32), /* UNREGISTER with an argument */
		_IOR(magic, unreg_nr, Registration),
		_IOR(magic, get_nr, Registration), /* GET_REG read-only */
		_IOWR(magic, get_nr, OldReg),
		_IO(magic, get_nr),
		_IOR(magic, stats_nr, Stats), /* GET_STATS read-only */
		_IOWR(magic, stats_nr, Registration),
		_IO(magic, stats_nr),
	};
	for (const unsigned long cmd : cmds) {
		INFO("cmd " << ks::ioctl_name(cmd));
		Registration arg = ks::make_registration(rt(8));
		CHECK(ioctl_err(fd, cmd, &arg) == ENOTTY);
		Registration reg{};
		REQUIRE(get_reg(fd, reg) == 0);
		CHECK(same(reg, reg_before));
	}
	CHECK(same(stats(), before));
}

TEST_CASE("signal: read, pread, pwrite, lseek and mmap of the device are refused",
	  "[signal][badinput]")
{
	ks::Listener l(rt(8));
	ks::Device rw(O_RDWR);
	const Stats before = stats();
	std::array<char, 16> buf{};

	errno = 0;
	CHECK(::read(rw.fd(), buf.data(), buf.size()) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(::pread(rw.fd(), buf.data(), buf.size(), 0) == -1);
	CHECK(errno == ESPIPE);
	errno = 0;
	CHECK(::pwrite(rw.fd(), "5\n", 2, 0) == -1);
	CHECK(errno == ESPIPE);
	errno = 0;
	CHECK(::lseek(rw.fd(), 0, SEEK_SET) == -1);
	CHECK(errno == ESPIPE);
	const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
	errno = 0;
	void *map = ::mmap(nullptr, page, PROT_READ, MAP_SHARED, rw.fd(), 0);
	CHECK(map == MAP_FAILED);
	CHECK(errno == ENODEV);
	if (map != MAP_FAILED)
		::munmap(map, page);

	CHECK(same(stats(), before));
	CHECK_FALSE(l.wait(0).has_value());
	CHECK(l.device().registration().delivered == 0);
	/* write() at the current position is the event it is meant to be. */
	CHECK(write_err(rw.fd(), "5\n") == 0);
	const std::optional<Event> ev = l.wait(wait_ms_now());
	REQUIRE(ev);
	CHECK(ev->value == 5);
}

TEST_CASE("signal: the device's ioctls on descriptors that are not the device fail",
	  "[signal][badinput]")
{
	ks::Listener l(rt(9));
	const Stats before = stats();

	std::array<int, 2> p{};
	REQUIRE(::pipe2(p.data(), O_CLOEXEC) == 0);
	const kuipc::Fd rd(p[0]);
	const kuipc::Fd wr(p[1]);
	std::array<int, 2> sv{};
	REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv.data()) == 0);
	const kuipc::Fd s0(sv[0]);
	const kuipc::Fd s1(sv[1]);
	const kuipc::Fd file(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
	REQUIRE(file);
	const kuipc::Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
	REQUIRE(null);
	const kuipc::Fd path(::open(KUIPC_SIGNAL_PATH, O_PATH | O_CLOEXEC));
	REQUIRE(path);
	int closed = -1;
	{
		const ks::Device gone(O_RDWR);
		closed = gone.fd();
	}

	const std::vector<std::pair<int, int>> fds = {
		{rd.get(), ENOTTY}, {s0.get(), ENOTTY},	 {file.get(), ENOTTY},
		{null.get(), ENOTTY}, {path.get(), EBADF}, {closed, EBADF},
		{-1, EBADF},	    {INT_MAX, EBADF},	 {1 << 20, EBADF},
	};
	for (const auto &[fd, err] : fds) {
		INFO("fd " << fd);
		Registration reg = ks::make_registration(rt(9));
		CHECK(ioctl_err(fd, KUIPC_SIGNAL_REGISTER, &reg) == err);
		Trigger t = ks::make_trigger(3);
		CHECK(ioctl_err(fd, KUIPC_SIGNAL_TRIGGER, &t) == err);
		CHECK(t.delivered == 0);
		Stats st{};
		st.size = sizeof(st);
		CHECK(ioctl_err(fd, KUIPC_SIGNAL_GET_STATS, &st) == err);
		CHECK(st.events == 0);
	}
	CHECK(same(stats(), before));
	CHECK_FALSE(l.wait(0).has_value());
}

TEST_CASE("signal: a pid that exists only outside the caller's pid namespace is ESRCH",
	  "[signal][badinput]")
{
	const int signo = rt(10);
	const pid_t outer = ::getpid();
	const Stats before = stats();

	/* Codes of the process in the new namespace. */
	enum : unsigned char {
		ns_ok = 0,
		ns_outer_registered = 10,
		ns_left_registration = 11,
		ns_self_refused = 12,
		ns_self_wrong = 13,
		ns_setup_failed = 14,
	};
	Child c([signo, outer](Child &) {
		if (::unshare(CLONE_NEWPID) != 0)
			return int{ns_setup_failed};
		/* Its first child is pid 1 of the new namespace. */
		const pid_t inner = ::fork();
		if (inner < 0)
			return int{ns_setup_failed};
		if (inner == 0) {
			int rc = ns_setup_failed;
			try {
				ks::Device d(O_RDONLY);
				Registration reg{};
				if (register_err(d.fd(), ks::make_registration(
								  signo, outer)) != ESRCH)
					rc = ns_outer_registered;
				else if (get_reg(d.fd(), reg) != ENOENT)
					rc = ns_left_registration;
				else if (register_err(d.fd(), ks::make_registration(
								       signo, 1)) != 0)
					rc = ns_self_refused;
				else if (get_reg(d.fd(), reg) != 0 || reg.pid != 1)
					rc = ns_self_wrong;
				else
					rc = ns_ok;
			} catch (...) {
			}
			::_exit(rc);
		}
		int status = 0;
		while (::waitpid(inner, &status, 0) < 0) {
			if (errno != EINTR)
				return int{ns_setup_failed};
		}
		return WIFEXITED(status) ? WEXITSTATUS(status) : int{ns_setup_failed};
	});
	CHECK(c.reap() == ns_ok);
	/* Its file was closed: nothing is left registered. */
	const Stats after = stats();
	CHECK(after.registrations == before.registrations);
	CHECK(after.events == before.events);
}
