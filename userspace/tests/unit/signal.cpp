// SPDX-License-Identifier: GPL-2.0
// Host-side tests of the signal client's pure logic and of the ABI layout.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "signal.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

namespace ks = kuipc::signal;

namespace {

/* The errno of the kuipc::Error that fn throws, or 0. */
template <typename Fn> int error_of(Fn &&fn)
{
	try {
		fn();
		return 0;
	} catch (const kuipc::Error &e) {
		return e.err();
	}
}

} // namespace

TEST_CASE("signal: ABI structs have one layout on every architecture",
	  "[signal][host]")
{
	/* Fixed-width fields, 64-bit ones 8-aligned, no implicit padding:
	 * the same bytes for 32-bit callers, so compat_ptr_ioctl suffices. */
	STATIC_REQUIRE(sizeof(kuipc_signal_reg) == 32);
	STATIC_REQUIRE(offsetof(kuipc_signal_reg, signo) == 8);
	STATIC_REQUIRE(offsetof(kuipc_signal_reg, pid) == 12);
	STATIC_REQUIRE(offsetof(kuipc_signal_reg, delivered) == 24);
	STATIC_REQUIRE(sizeof(kuipc_signal_trigger) == 24);
	STATIC_REQUIRE(offsetof(kuipc_signal_trigger, value) == 4);
	STATIC_REQUIRE(offsetof(kuipc_signal_trigger, refused) == 20);
	STATIC_REQUIRE(sizeof(kuipc_signal_stats) == 48);
	STATIC_REQUIRE(offsetof(kuipc_signal_stats, events) == 8);
	STATIC_REQUIRE(offsetof(kuipc_signal_stats, failed) == 32);
	/* The struct grew at its end; the old size keeps its own number. */
	STATIC_REQUIRE(offsetof(kuipc_signal_stats, refused) ==
		       KUIPC_SIGNAL_STATS_SIZE_V0);
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_SIGNAL_GET_STATS_V0) ==
		       KUIPC_SIGNAL_STATS_SIZE_V0);
	STATIC_REQUIRE(_IOC_NR(KUIPC_SIGNAL_GET_STATS_V0) ==
		       _IOC_NR(KUIPC_SIGNAL_GET_STATS));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_SIGNAL_GET_STATS_V0) ==
		       _IOC_DIR(KUIPC_SIGNAL_GET_STATS));
	/* The size of each struct is part of its ioctl number. */
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_SIGNAL_REGISTER) == sizeof(kuipc_signal_reg));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_SIGNAL_GET_REG) == sizeof(kuipc_signal_reg));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_SIGNAL_TRIGGER) ==
		       sizeof(kuipc_signal_trigger));
	STATIC_REQUIRE(_IOC_SIZE(KUIPC_SIGNAL_GET_STATS) ==
		       sizeof(kuipc_signal_stats));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_SIGNAL_REGISTER) == _IOC_WRITE);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_SIGNAL_UNREGISTER) == _IOC_NONE);
	STATIC_REQUIRE(_IOC_DIR(KUIPC_SIGNAL_GET_REG) == (_IOC_READ | _IOC_WRITE));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_SIGNAL_TRIGGER) == (_IOC_READ | _IOC_WRITE));
	STATIC_REQUIRE(_IOC_DIR(KUIPC_SIGNAL_GET_STATS) == (_IOC_READ | _IOC_WRITE));
	/* The range is glibc's real-time signals and the two it keeps. */
	CHECK(KUIPC_SIGNAL_SIGNO_MIN <= SIGRTMIN);
	CHECK(KUIPC_SIGNAL_SIGNO_MAX == SIGRTMAX);
	/* The longest int, sign and newline included, fits a write. */
	STATIC_REQUIRE(sizeof("-2147483648\n") - 1 <= KUIPC_SIGNAL_WRITE_MAX);
}

TEST_CASE("signal: arguments are built with their sizes and zeroed fields",
	  "[signal][host]")
{
	const ks::Registration r =
		ks::make_registration(40, 123, KUIPC_SIGNAL_REG_THREAD);
	CHECK(r.size == sizeof(r));
	CHECK(r.flags == KUIPC_SIGNAL_REG_THREAD);
	CHECK(r.signo == 40);
	CHECK(r.pid == 123);
	CHECK(r.status == 0);
	CHECK(r.reserved == 0);
	CHECK(r.delivered == 0);

	const ks::Trigger t = ks::make_trigger(-5);
	CHECK(t.size == sizeof(t));
	CHECK(t.value == -5);
	CHECK(t.delivered == 0);
	CHECK(t.gone == 0);
	CHECK(t.failed == 0);
	CHECK(t.refused == 0);
}

TEST_CASE("signal: signal numbers follow the kernel's real-time range",
	  "[signal][host]")
{
	CHECK_FALSE(ks::is_rt_signal(0));
	CHECK_FALSE(ks::is_rt_signal(SIGUSR1));
	CHECK_FALSE(ks::is_rt_signal(31));
	CHECK(ks::is_rt_signal(32));
	CHECK(ks::is_rt_signal(64));
	CHECK_FALSE(ks::is_rt_signal(65));
	CHECK_FALSE(ks::is_rt_signal(-1));

	CHECK(ks::rt_signal(0) == SIGRTMIN);
	CHECK(ks::rt_signal(3) == SIGRTMIN + 3);
	CHECK(ks::rt_signal(SIGRTMAX - SIGRTMIN) == SIGRTMAX);
	CHECK(error_of([] { (void)ks::rt_signal(SIGRTMAX - SIGRTMIN + 1); }) ==
	      EINVAL);
	CHECK(error_of([] { (void)ks::rt_signal(-1); }) == EINVAL);

	CHECK(ks::signal_name(32) == "SIGRT_0");
	CHECK(ks::signal_name(34) == "SIGRT_2");
	CHECK(ks::signal_name(64) == "SIGRT_32");
	CHECK(ks::signal_name(SIGUSR1) == "SIGUSR1");
	CHECK(ks::signal_name(SIGKILL) == "SIGKILL");
	CHECK(ks::signal_name(0) == "0");
	CHECK(ks::signal_name(65) == "65");
	CHECK(ks::signal_name(-3) == "-3");
}

TEST_CASE("signal: payloads parse and format as the module's write() takes them",
	  "[signal][host]")
{
	CHECK(ks::format_value(42) == "42\n");
	CHECK(ks::format_value(-7) == "-7\n");
	CHECK(ks::format_value(INT32_MIN) == "-2147483648\n");
	CHECK(ks::format_value(INT32_MIN).size() <= KUIPC_SIGNAL_WRITE_MAX);

	CHECK(ks::parse_value("0") == 0);
	CHECK(ks::parse_value("42") == 42);
	CHECK(ks::parse_value("+42") == 42);
	CHECK(ks::parse_value("-42") == -42);
	CHECK(ks::parse_value("2147483647") == INT32_MAX);
	CHECK(ks::parse_value("-2147483648") == INT32_MIN);

	for (const char *bad : {"", "+", "-", "+-1", "abc", "1x", " 1", "1 ",
				"0x10", "1.5"}) {
		INFO("\"" << bad << "\"");
		CHECK(error_of([bad] { (void)ks::parse_value(bad); }) == EINVAL);
	}
	CHECK(error_of([] { (void)ks::parse_value("2147483648"); }) == ERANGE);
	CHECK(error_of([] { (void)ks::parse_value("-2147483649"); }) == ERANGE);
}

TEST_CASE("signal: structs, events and ioctl commands print like strace",
	  "[signal][host]")
{
	ks::Registration r = ks::make_registration(34);
	CHECK(ks::to_string(r) == "{size=32, flags=0, signo=SIGRT_2, pid=0}");
	r.flags = KUIPC_SIGNAL_REG_THREAD | 8U;
	r.pid = 77;
	r.status = ESRCH;
	r.delivered = 3;
	CHECK(ks::to_string(r) ==
	      "{size=32, flags=KUIPC_SIGNAL_REG_THREAD|0x8, signo=SIGRT_2, "
	      "pid=77, status=ESRCH, delivered=3}");
	r = ks::make_registration(SIGUSR1);
	r.reserved = 5;
	CHECK(ks::to_string(r) ==
	      "{size=32, flags=0, signo=SIGUSR1, pid=0, reserved=5}");

	ks::Trigger t = ks::make_trigger(42);
	t.delivered = 2;
	t.gone = 1;
	CHECK(ks::to_string(t) ==
	      "{size=24, value=42, delivered=2, gone=1, failed=0}");

	ks::Stats st{};
	st.size = sizeof(st);
	st.registrations = 1;
	st.events = 5;
	st.delivered = 4;
	st.failed = 1;
	st.refused = 2;
	CHECK(ks::to_string(st) == "{size=48, registrations=1, events=5, "
				   "delivered=4, gone=0, failed=1, refused=2}");

	ks::Event ev;
	ev.signo = 34;
	ev.code = SI_QUEUE;
	ev.value = -1;
	ev.pid = 12;
	ev.uid = 0;
	CHECK(ks::to_string(ev) == "{ssi_signo=SIGRT_2, ssi_code=SI_QUEUE, "
				   "ssi_pid=12, ssi_uid=0, ssi_int=-1}");

	CHECK(ks::code_name(SI_QUEUE) == "SI_QUEUE");
	CHECK(ks::code_name(SI_KERNEL) == "SI_KERNEL");
	CHECK(ks::code_name(SI_USER) == "SI_USER");
	CHECK(ks::code_name(12345) == "12345");
	CHECK(ks::errno_name(0) == "0");
	CHECK(ks::errno_name(ESRCH) == "ESRCH");

	CHECK(ks::ioctl_name(KUIPC_SIGNAL_REGISTER) == "KUIPC_SIGNAL_REGISTER");
	CHECK(ks::ioctl_name(KUIPC_SIGNAL_UNREGISTER) == "KUIPC_SIGNAL_UNREGISTER");
	CHECK(ks::ioctl_name(KUIPC_SIGNAL_GET_REG) == "KUIPC_SIGNAL_GET_REG");
	CHECK(ks::ioctl_name(KUIPC_SIGNAL_TRIGGER) == "KUIPC_SIGNAL_TRIGGER");
	CHECK(ks::ioctl_name(KUIPC_SIGNAL_GET_STATS) == "KUIPC_SIGNAL_GET_STATS");
	CHECK(ks::ioctl_name(_IO(KUIPC_SIGNAL_IOC_MAGIC, 0x3f)) == "0xe23f");
}

TEST_CASE("signal: events are read from signalfd and siginfo alike",
	  "[signal][host]")
{
	signalfd_siginfo ssi{};
	ssi.ssi_signo = 40;
	ssi.ssi_code = SI_QUEUE;
	ssi.ssi_int = -9;
	ssi.ssi_pid = 321;
	ssi.ssi_uid = 65534;
	const ks::Event a = ks::event_of(ssi);
	CHECK(a.signo == 40);
	CHECK(a.code == SI_QUEUE);
	CHECK(a.value == -9);
	CHECK(a.pid == 321);
	CHECK(a.uid == 65534);

	siginfo_t si{};
	si.si_signo = 40;
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = -9;
	si.si_pid = 321;
	si.si_uid = 65534;
	const ks::Event b = ks::event_of(si);
	CHECK(b.signo == a.signo);
	CHECK(b.code == a.code);
	CHECK(b.value == a.value);
	CHECK(b.pid == a.pid);
	CHECK(b.uid == a.uid);
}

TEST_CASE("signal: a blocked set is restored and its pending signals discarded",
	  "[signal][host]")
{
	const int signo = SIGRTMIN + 5;
	sigset_t before;
	REQUIRE(::pthread_sigmask(SIG_SETMASK, nullptr, &before) == 0);
	REQUIRE(sigismember(&before, signo) == 0);
	{
		ks::BlockedSignals blocked({signo});
		sigset_t now;
		REQUIRE(::pthread_sigmask(SIG_SETMASK, nullptr, &now) == 0);
		CHECK(sigismember(&now, signo) == 1);
		/* Two queued to this thread, one of them read through a signalfd. */
		sigval v{};
		v.sival_int = 1;
		REQUIRE(::pthread_sigqueue(::pthread_self(), signo, v) == 0);
		v.sival_int = 2;
		REQUIRE(::pthread_sigqueue(::pthread_self(), signo, v) == 0);
		ks::SignalFd sfd(blocked.set());
		const std::optional<ks::Event> ev = sfd.wait(1000);
		REQUIRE(ev);
		CHECK(ev->value == 1);
		CHECK(ev->code == SI_QUEUE);
		/* The other is discarded on the way out: unblocking kills not. */
	}
	sigset_t after;
	REQUIRE(::pthread_sigmask(SIG_SETMASK, nullptr, &after) == 0);
	CHECK(sigismember(&after, signo) == 0);
	sigset_t pend;
	REQUIRE(::sigpending(&pend) == 0);
	CHECK(sigismember(&pend, signo) == 0);
}
