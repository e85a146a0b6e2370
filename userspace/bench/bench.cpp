// SPDX-License-Identifier: GPL-2.0
// kuipc-bench: how fast each pair's basic operation is, against the closest
// thing user space can do without the module (the floor), measured in the
// same boot. Run in the guest by `scripts/kuipc bench`; prints one line
// `KUIPC-BENCH {json}` on stdout and its progress on stderr.
//
// Method: each measurement runs the operation for a warm-up that is thrown
// away, then picks a batch size N so that one batch takes at least 2 ms,
// then times 200 batches; the per-operation time of a batch is its time / N,
// and the result is the 50th and 99th percentile of those 200 values; this
// is repeated three times (once for umh) and the median run kept.
// See docs/benchmarks.md.
//
// --profile: before each measurement, trace one operation with ftrace's
// function_graph tracer (the system call entries it makes, a few levels
// deep) and print the trace on stderr, to see where the time goes.

#include "chardev.hpp"
#include "error.hpp"
#include "eventfd.hpp"
#include "fd.hpp"
#include "genetlink.hpp"
#include "mmap.hpp"
#include "module.hpp"
#include "signal.hpp"
#include "udp.hpp"
#include "umh.hpp"

#include <kuipc/chardev.h>
#include <kuipc/configfs.h>
#include <kuipc/debugfs.h>
#include <kuipc/eventfd.h>
#include <kuipc/procfs.h>
#include <kuipc/sysctl.h>
#include <kuipc/sysfs.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <csignal>
#include <sys/eventfd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr uint64_t warmup_ns = 20'000'000;
constexpr uint64_t min_batch_ns = 2'000'000;
constexpr int nr_batches = 200;
constexpr size_t KiB = 1024;
constexpr size_t MiB = KiB * KiB;

uint64_t now_ns()
{
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
	       static_cast<uint64_t>(ts.tv_nsec);
}

struct Stats {
	double p50 = 0;
	double p99 = 0;
	uint64_t batch = 0; /* operations per batch */
};

/* The per-operation time of op: p50 and p99 over nr_batches batches. */
Stats measure_once(const std::function<void()> &op)
{
	const uint64_t w0 = now_ns();
	while (now_ns() - w0 < warmup_ns)
		op();
	uint64_t n = 1;
	for (;;) {
		const uint64_t t0 = now_ns();
		for (uint64_t i = 0; i < n; i++)
			op();
		if (now_ns() - t0 >= min_batch_ns)
			break;
		n *= 2;
	}
	std::vector<double> per;
	per.reserve(nr_batches);
	for (int b = 0; b < nr_batches; b++) {
		const uint64_t t0 = now_ns();
		for (uint64_t i = 0; i < n; i++)
			op();
		per.push_back(static_cast<double>(now_ns() - t0) /
			      static_cast<double>(n));
	}
	std::sort(per.begin(), per.end());
	Stats s;
	s.p50 = per[per.size() / 2];
	s.p99 = per[static_cast<size_t>(
			     std::ceil(0.99 * static_cast<double>(per.size()))) -
		     1];
	s.batch = n;
	return s;
}

/* ---- --profile: one operation under function_graph ---- */

bool g_profile = false;
const std::string tracing = "/sys/kernel/tracing/";
/* The system calls the measured operations make: the graphs' roots. */
constexpr const char *graph_roots =
	"__x64_sys_pread64 __x64_sys_read __x64_sys_write __x64_sys_openat "
	"__x64_sys_close __x64_sys_ioctl __x64_sys_sendmsg __x64_sys_recvmsg "
	"__x64_sys_sendto __x64_sys_recvfrom __x64_sys_getppid";
constexpr int graph_depth = 5;
constexpr int max_trace_lines = 120;

void trace_write(const std::string &file, const std::string &value)
{
	const std::string path = tracing + file;
	const kuipc::Fd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
	if (!fd)
		kuipc::throw_errno("open " + path);
	/* set_graph_function takes one name per write(): write the rest. */
	for (size_t off = 0; off < value.size();) {
		const ssize_t n = ::write(fd.get(), value.data() + off,
					  value.size() - off);
		if (n <= 0)
			kuipc::throw_errno("write " + path);
		off += static_cast<size_t>(n);
	}
	if (value.empty() && ::write(fd.get(), "", 0) < 0)
		kuipc::throw_errno("write " + path);
}

/*
 * Trace one call of op (after a warm-up) and print the graph on stderr,
 * each line prefixed with "trace <what>: ". Times under function_graph
 * include the tracer's own cost: compare the parts, not the totals.
 */
void profile_one(const std::string &what, const std::function<void()> &op)
{
	if (::access((tracing + "trace").c_str(), F_OK) != 0 &&
	    ::mount("tracefs", tracing.c_str(), "tracefs", 0, nullptr) < 0)
		kuipc::throw_errno("mount tracefs");
	for (int i = 0; i < 100; i++)
		op();
	trace_write("tracing_on", "0");
	trace_write("current_tracer", "nop");
	trace_write("set_graph_function", graph_roots);
	trace_write("max_graph_depth", std::to_string(graph_depth));
	trace_write("options/funcgraph-irqs", "0");
	trace_write("current_tracer", "function_graph");
	trace_write("trace", "");
	trace_write("tracing_on", "1");
	op();
	trace_write("tracing_on", "0");
	std::string text;
	{
		/* Read before changing the tracer: that empties the buffer. */
		const kuipc::Fd fd(::open((tracing + "trace").c_str(),
					  O_RDONLY | O_CLOEXEC));
		if (!fd)
			kuipc::throw_errno("open trace");
		std::array<char, 4096> buf{};
		ssize_t n = 0;
		while ((n = ::read(fd.get(), buf.data(), buf.size())) > 0)
			text.append(buf.data(), static_cast<size_t>(n));
	}
	trace_write("current_tracer", "nop");
	std::istringstream lines(text);
	std::string line;
	int shown = 0;
	while (std::getline(lines, line) && shown < max_trace_lines)
		if (!line.empty() && line[0] != '#') {
			std::cerr << "trace " << what << ": " << line << "\n";
			shown++;
		}
	std::cerr.flush();
}

/*
 * measure_once() repeated runs times; the run with the median p50 is kept
 * (its p50 and p99), so one run disturbed by the host does not decide.
 * With --profile, one call of op is traced first (what names it).
 */
Stats measure(const std::function<void()> &op, int runs = 3,
	      const std::string &what = "")
{
	if (g_profile && !what.empty())
		profile_one(what, op);
	if (g_profile)
		runs = 1; /* the figures of a profiling run are only a guide */
	std::vector<Stats> all;
	all.reserve(static_cast<size_t>(runs));
	for (int i = 0; i < runs; i++)
		all.push_back(measure_once(op));
	std::sort(all.begin(), all.end(),
		  [](const Stats &a, const Stats &b) { return a.p50 < b.p50; });
	return all[all.size() / 2];
}

/* One row of the "mechanisms" object. */
struct Row {
	std::string name;
	std::string op;
	std::string floor;
	Stats st;
	double ratio = 0;
	std::string error;
	std::string extra; /* more JSON members: ",\"name\":value..." */
};

std::string json_str(const std::string &s)
{
	std::string out = "\"";
	for (const char c : s) {
		if (c == '"' || c == '\\') {
			out += '\\';
			out += c;
		} else if (static_cast<unsigned char>(c) < 0x20) {
			char buf[8];
			std::snprintf(buf, sizeof(buf), "\\u%04x", c);
			out += buf;
		} else {
			out += c;
		}
	}
	return out + "\"";
}

std::string num(double v, int prec = 1)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%.*f", prec, v);
	return buf;
}

void progress(const std::string &line)
{
	std::cerr << "bench: " << line << std::endl;
}

/* ---- baselines ---- */

struct Baseline {
	Stats getppid;
	Stats pingpong_rt; /* eventfd round trip between two threads */
	double memcpy_64k_gbps = 0;
	double memcpy_1m_gbps = 0;
};

void efd_read(int fd)
{
	uint64_t v;
	if (::read(fd, &v, sizeof(v)) != sizeof(v))
		kuipc::throw_errno("read(eventfd)");
}

void efd_write(int fd)
{
	const uint64_t v = 1;
	if (::write(fd, &v, sizeof(v)) != sizeof(v))
		kuipc::throw_errno("write(eventfd)");
}

kuipc::Fd make_eventfd(int flags = 0)
{
	kuipc::Fd fd(::eventfd(0, EFD_CLOEXEC | flags));
	if (!fd)
		kuipc::throw_errno("eventfd");
	return fd;
}

/*
 * Both threads of a ping-pong run on CPU 0: a wake is then a context switch
 * on one CPU, not a cross-CPU interrupt, whose cost under TCG depends on how
 * the host schedules the vCPU threads (it varied 10x between runs).
 */
class PinCpu0 {
public:
	PinCpu0()
	{
		CPU_ZERO(&old_);
		if (::sched_getaffinity(0, sizeof(old_), &old_) < 0)
			kuipc::throw_errno("sched_getaffinity");
		pin();
	}
	~PinCpu0() { (void)::sched_setaffinity(0, sizeof(old_), &old_); }
	PinCpu0(const PinCpu0 &) = delete;
	PinCpu0 &operator=(const PinCpu0 &) = delete;

	/* Pin the calling thread to CPU 0. */
	static void pin()
	{
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		if (::sched_setaffinity(0, sizeof(set), &set) < 0)
			kuipc::throw_errno("sched_setaffinity");
	}

private:
	cpu_set_t old_;
};

/* Two threads bouncing a pair of eventfds; one op is a round trip. */
Stats eventfd_pingpong()
{
	const kuipc::Fd ping = make_eventfd();
	const kuipc::Fd pong = make_eventfd();
	const PinCpu0 pinned;
	std::atomic<bool> stop{false};
	std::thread echo([&] {
		PinCpu0::pin();
		for (;;) {
			efd_read(ping.get());
			if (stop.load())
				return;
			efd_write(pong.get());
		}
	});
	const Stats s = measure([&] {
		efd_write(ping.get());
		efd_read(pong.get());
	});
	stop.store(true);
	efd_write(ping.get());
	echo.join();
	return s;
}

double memcpy_gbps(size_t size)
{
	std::vector<char> src(size, 'x');
	std::vector<char> dst(size);
	const Stats s = measure([&] {
		std::memcpy(dst.data(), src.data(), size);
		asm volatile("" : : "r"(dst.data()) : "memory");
	});
	return static_cast<double>(size) / s.p50; /* bytes/ns = GB/s */
}

Baseline baseline()
{
	Baseline b;
	progress("baseline getppid");
	b.getppid = measure([] { (void)::getppid(); }, 3, "getppid");
	progress("baseline eventfd ping-pong");
	b.pingpong_rt = eventfd_pingpong();
	progress("baseline memcpy");
	b.memcpy_64k_gbps = memcpy_gbps(64 * KiB);
	b.memcpy_1m_gbps = memcpy_gbps(MiB);
	return b;
}

/* ---- the pairs ---- */

kuipc::Fd open_file(const char *path)
{
	kuipc::Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
	if (!fd)
		kuipc::throw_errno(std::string("open ") + path);
	return fd;
}

/*
 * getppid measured again just before a row that uses it as its floor: the
 * host's load moves TCG's speed within a run (the baseline getppid taken at
 * the start doubled between two runs), so the floor is taken within seconds
 * of the operation, like every other floor.
 */
Stats getppid_floor()
{
	return measure([] { (void)::getppid(); });
}

/*
 * A file-backed pair: pread of one attribute on an open fd (one system
 * call, floor 1 x getppid) and open+read+close (floor 3 x getppid).
 * pread_path differs from path where path cannot be pread (debugfs's
 * number files are opened non-seekable).
 */
void file_attr(const std::string &mech, const char *path,
	       const Baseline &, std::vector<Row> &rows,
	       const char *pread_path = nullptr)
{
	std::array<char, 128> buf{};
	if (pread_path == nullptr)
		pread_path = path;
	{
		const kuipc::Fd fd = open_file(pread_path);
		Row r{mech, std::string("pread(") + pread_path + ", 128, 0)",
		      "1 x getppid", {}, 0, {}, {}};
		const Stats floor = getppid_floor();
		r.st = measure([&] {
			if (::pread(fd.get(), buf.data(), buf.size(), 0) < 0)
				kuipc::throw_errno(std::string("pread ") +
						   pread_path);
		}, 3, mech);
		r.ratio = r.st.p50 / floor.p50;
		r.floor += " (" + num(floor.p50) + " ns)";
		rows.push_back(r);
	}
	Row r{mech + "_open_read_close",
	      std::string("open+read+close ") + path, "3 x getppid", {}, 0,
	      {}, {}};
	const Stats floor = getppid_floor();
	r.st = measure([&] {
		const kuipc::Fd fd = open_file(path);
		if (::read(fd.get(), buf.data(), buf.size()) < 0)
			kuipc::throw_errno(std::string("read ") + path);
	}, 3, r.name);
	r.ratio = r.st.p50 / (3 * floor.p50);
	r.floor += " (getppid " + num(floor.p50) + " ns)";
	rows.push_back(r);
}

void bench_chardev_read(std::vector<Row> &rows);

void bench_chardev(const Baseline &, std::vector<Row> &rows)
{
	const kuipc::chardev::Device dev;
	Row r{"chardev", "ioctl(KUIPC_CHARDEV_GET_CONFIG)", "1 x getppid",
	      {}, 0, {}, {}};
	const Stats floor = getppid_floor();
	r.st = measure([&] { (void)dev.config(); }, 3, "chardev");
	r.ratio = r.st.p50 / floor.p50;
	r.floor += " (" + num(floor.p50) + " ns)";
	rows.push_back(r);
	bench_chardev_read(rows);
}

/*
 * PRODUCE in this thread; a second thread waiting in poll() on the channel's
 * eventfd wakes, reads it, FETCHes the item and answers on a plain eventfd.
 * A round trip, compared with the eventfd ping-pong round trip.
 */
void bench_eventfd(const Baseline &b, std::vector<Row> &rows)
{
	namespace ev = kuipc::eventfd;
	ev::Device dev;
	ev::Listener lis(dev, 0);
	const kuipc::Fd ack = make_eventfd();
	const PinCpu0 pinned;
	std::atomic<bool> stop{false};
	std::thread waiter([&] {
		PinCpu0::pin();
		const int efd = lis.eventfd().fd();
		for (;;) {
			pollfd p{efd, POLLIN, 0};
			if (::poll(&p, 1, -1) < 0 && errno != EINTR)
				return;
			uint64_t v;
			if (::read(efd, &v, sizeof(v)) != sizeof(v))
				continue;
			/* One item per count: no FETCH that fails. */
			for (uint64_t i = 0; i < v; i++)
				(void)dev.fetch(0);
			if (stop.load())
				return;
			efd_write(ack.get());
		}
	});
	Row r{"eventfd",
	      "ioctl(PRODUCE) -> poll wake + FETCH in a 2nd thread, acked "
	      "over a user eventfd (round trip / 2)",
	      "eventfd ping-pong one way", {}, 0, {}, {}};
	try {
		r.st = measure([&] {
			dev.produce(0, "x");
			efd_read(ack.get());
		}, 3, "eventfd");
	} catch (...) {
		stop.store(true);
		dev.produce(0, "x");
		waiter.join();
		throw;
	}
	stop.store(true);
	dev.produce(0, "x");
	waiter.join();
	r.st.p50 /= 2;
	r.st.p99 /= 2;
	r.ratio = r.st.p50 / (b.pingpong_rt.p50 / 2);
	rows.push_back(r);
}

/*
 * ECHO of 64 bytes to the module's kernel socket, against the same client
 * talking to a user-space echo server (a thread on a loopback UDP socket
 * that returns each request with KUIPC_UDP_OP_REPLY set).
 */
void bench_udp(const Baseline &, std::vector<Row> &rows)
{
	const PinCpu0 pinned;
	const std::string payload(64, 'u');
	kuipc::Fd srv(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!srv)
		kuipc::throw_errno("socket");
	sockaddr_in addr{};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(addr);
	if (::bind(srv.get(), reinterpret_cast<sockaddr *>(&addr),
		   sizeof(addr)) < 0 ||
	    ::getsockname(srv.get(), reinterpret_cast<sockaddr *>(&addr),
			  &alen) < 0)
		kuipc::throw_errno("bind/getsockname");
	std::atomic<bool> stop{false};
	std::thread server([&] {
		PinCpu0::pin();
		char buf[2048];
		for (;;) {
			sockaddr_in from{};
			socklen_t flen = sizeof(from);
			const ssize_t n = ::recvfrom(
				srv.get(), buf, sizeof(buf), 0,
				reinterpret_cast<sockaddr *>(&from), &flen);
			if (stop.load())
				return;
			if (n < static_cast<ssize_t>(KUIPC_UDP_HDR_SIZE))
				continue;
			buf[offsetof(kuipc_udp_hdr, op)] |=
				static_cast<char>(KUIPC_UDP_OP_REPLY);
			(void)::sendto(srv.get(), buf, static_cast<size_t>(n),
				       0, reinterpret_cast<sockaddr *>(&from),
				       flen);
		}
	});
	Stats floor;
	Row r{"udp", "ECHO of 64 B to the kernel socket, round trip",
	      "user UDP echo server on loopback", {}, 0, {}, {}};
	try {
		kuipc::udp::Client user(ntohs(addr.sin_port));
		floor = measure([&] { (void)user.echo(payload); }, 3,
				"udp_floor");
		kuipc::udp::Client mod;
		r.st = measure([&] { (void)mod.echo(payload); }, 3, "udp");
	} catch (...) {
		stop.store(true);
		(void)::shutdown(srv.get(), SHUT_RDWR);
		server.join();
		throw;
	}
	stop.store(true);
	(void)::shutdown(srv.get(), SHUT_RDWR);
	server.join();
	r.ratio = r.st.p50 / floor.p50;
	r.floor += " (" + num(floor.p50) + " ns)";
	rows.push_back(r);
}

/*
 * A real-time signal to a waiting thread, which answers with a signal back
 * (pthread_sigqueue) that this thread takes with sigwaitinfo; one way is
 * the round trip / 2. The module sends the first signal on TRIGGER; the
 * floor sends it with pthread_sigqueue. Both signals stay blocked in both
 * threads, so each is taken by sigwaitinfo, never by a handler.
 */
void bench_signal(const Baseline &, std::vector<Row> &rows)
{
	namespace sg = kuipc::signal;
	const PinCpu0 pinned;
	const int s_go = SIGRTMIN + 1;
	const int s_ack = SIGRTMIN + 2;
	const sg::BlockedSignals blocked({s_go, s_ack});
	sigset_t go_set, ack_set;
	sigemptyset(&go_set);
	sigaddset(&go_set, s_go);
	sigemptyset(&ack_set);
	sigaddset(&ack_set, s_ack);
	const pthread_t main_thread = pthread_self();

	auto one = [&](bool via_module) {
		std::atomic<int> ready{0}; /* 1 ready, -1 failed */
		std::atomic<bool> stop{false};
		std::string failure;
		pthread_t waiter_thread{};
		std::thread waiter([&] {
			PinCpu0::pin();
			waiter_thread = pthread_self();
			std::unique_ptr<sg::Device> reg;
			try {
				if (via_module) {
					reg = std::make_unique<sg::Device>(
						O_RDONLY);
					reg->register_thread(s_go);
				}
			} catch (const std::exception &e) {
				failure = e.what();
				ready.store(-1);
				return;
			}
			ready.store(1);
			for (;;) {
				if (::sigwaitinfo(&go_set, nullptr) < 0)
					continue;
				if (stop.load())
					return;
				(void)::pthread_sigqueue(main_thread, s_ack,
							 sigval{});
			}
		});
		while (ready.load() == 0)
			std::this_thread::yield();
		if (ready.load() < 0) {
			waiter.join();
			throw kuipc::Error(EIO, failure);
		}
		std::unique_ptr<sg::Device> dev;
		auto send = [&] {
			if (via_module)
				(void)dev->trigger(1);
			else
				(void)::pthread_sigqueue(waiter_thread, s_go,
							 sigval{});
		};
		Stats st;
		try {
			if (via_module)
				dev = std::make_unique<sg::Device>(O_RDWR);
			st = measure([&] {
				send();
				while (::sigwaitinfo(&ack_set, nullptr) < 0)
					;
			});
		} catch (...) {
			stop.store(true);
			(void)::pthread_sigqueue(waiter_thread, s_go, sigval{});
			waiter.join();
			throw;
		}
		stop.store(true);
		send();
		waiter.join();
		st.p50 /= 2;
		st.p99 /= 2;
		return st;
	};
	const Stats floor = one(false);
	Row r{"signal",
	      "ioctl(TRIGGER) -> sigwaitinfo in a 2nd thread, answered by "
	      "pthread_sigqueue (round trip / 2)",
	      "pthread_sigqueue ping-pong one way", {}, 0, {}, {}};
	r.st = one(true);
	r.ratio = r.st.p50 / floor.p50;
	r.floor += " (" + num(floor.p50) + " ns)";
	rows.push_back(r);
}

/*
 * A GET request and its reply through libnl (the pair's client), against a
 * 64-byte datagram bounced by a thread on an AF_UNIX socketpair. The
 * kernel answers GET inside the sendmsg() of the request, with no second
 * thread; the floor pays two thread wakes instead, the pair pays libnl's
 * message building and parsing and the family's policy checks.
 */
void bench_genetlink(const Baseline &, std::vector<Row> &rows)
{
	Stats floor;
	{
		const PinCpu0 pinned;
		int sv[2];
		if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) <
		    0)
			kuipc::throw_errno("socketpair");
		const kuipc::Fd near(sv[0]);
		const kuipc::Fd far(sv[1]);
		std::thread echo([&] {
			PinCpu0::pin();
			char buf[64];
			for (;;) {
				const ssize_t n =
					::recv(far.get(), buf, sizeof(buf), 0);
				if (n <= 1)
					return; /* a 1-byte datagram: stop */
				(void)::send(far.get(), buf,
					     static_cast<size_t>(n), 0);
			}
		});
		char msg[64] = {};
		try {
			floor = measure([&] {
				if (::send(near.get(), msg, sizeof(msg), 0) < 0 ||
				    ::recv(near.get(), msg, sizeof(msg), 0) < 0)
					kuipc::throw_errno("AF_UNIX echo");
			});
		} catch (...) {
			(void)::send(near.get(), msg, 1, 0);
			echo.join();
			throw;
		}
		(void)::send(near.get(), msg, 1, 0);
		echo.join();
	}
	kuipc::genetlink::Client c;
	Row r{"genetlink", "KUIPC_GENETLINK_CMD_GET request + reply (libnl)",
	      "AF_UNIX datagram echo between two threads", {}, 0, {}, {}};
	r.st = measure([&] { (void)c.get(); }, 3, "genetlink");
	r.ratio = r.st.p50 / floor.p50;
	r.floor += " (" + num(floor.p50) + " ns)";
	rows.push_back(r);
}

/* ---- moving a payload: mmap ring and chardev read() ---- */

/* The payloads of the mmap_<size> and chardev_read_<size> rows. */
struct Payload {
	const char *name;
	size_t bytes;
};
constexpr std::array<Payload, 4> payloads{{
	{"64", 64},
	{"4K", 4 * KiB},
	{"64K", 64 * KiB},
	{"1M", MiB},
}};

std::string bytes_str(size_t bytes)
{
	if (bytes >= MiB)
		return std::to_string(bytes / MiB) + " MiB";
	if (bytes >= KiB)
		return std::to_string(bytes / KiB) + " KiB";
	return std::to_string(bytes) + " B";
}

/* The floor of both: one memcpy of the same number of bytes. */
Stats memcpy_floor(size_t bytes)
{
	std::vector<char> src(bytes, 'm');
	std::vector<char> dst(bytes);
	return measure([&] {
		std::memcpy(dst.data(), src.data(), bytes);
		asm volatile("" : : "r"(dst.data()) : "memory");
	});
}

/*
 * mmap_<size>: the module writes size / KUIPC_MMAP_RECORD_SIZE records
 * into the ring (PRODUCE ioctls) and the consumer pops them out of the
 * mapping into its own buffer, a ring's worth (KUIPC_MMAP_RECORDS records,
 * 16 KiB) per pass: a payload larger than the ring takes several passes.
 * Floor: memcpy of the same bytes. The row also gives producer_ns, the
 * same PRODUCE calls with the records skipped (tail moved to head, nothing
 * read): what the kernel side costs alone.
 */
void bench_mmap(const Baseline &, std::vector<Row> &rows)
{
	namespace mm = kuipc::mmap;
	mm::Device dev;
	mm::Ring ring(dev);
	std::vector<mm::Record> out(KUIPC_MMAP_RECORDS);
	for (const Payload &p : payloads) {
		const size_t records = p.bytes / KUIPC_MMAP_RECORD_SIZE;
		const Stats floor = memcpy_floor(p.bytes);
		auto pass = [&](bool read) {
			size_t left = records;
			while (left > 0) {
				const auto want = static_cast<uint32_t>(
					std::min<size_t>(left,
							 KUIPC_MMAP_RECORDS));
				uint32_t n = dev.produce(want);
				left -= n;
				if (!read) {
					ring.store_tail(ring.head());
					continue;
				}
				while (n > 0) {
					const size_t got = ring.pop(
						std::span(out.data(), n));
					if (got == 0)
						kuipc::throw_err(
							EIO,
							"ring empty after PRODUCE");
					n -= static_cast<uint32_t>(got);
				}
			}
		};
		const std::string name = std::string("mmap_") + p.name;
		const size_t passes =
			(records + KUIPC_MMAP_RECORDS - 1) / KUIPC_MMAP_RECORDS;
		Row r{name,
		      "PRODUCE of " + std::to_string(records) + " records (" +
			      bytes_str(p.bytes) + ") + pop of all of them " +
			      "from the mapping, in " + std::to_string(passes) +
			      (passes == 1 ? " ring pass" : " ring passes"),
		      "memcpy of " + bytes_str(p.bytes), {}, 0, {}, {}};
		const Stats produce =
			measure([&] { pass(false); }, 3, name + "_producer");
		r.st = measure([&] { pass(true); }, 3, name);
		r.ratio = r.st.p50 / floor.p50;
		r.floor += " (" + num(floor.p50) + " ns)";
		r.extra = ",\"producer_ns\":" + num(produce.p50);
		rows.push_back(r);
	}
}

/*
 * chardev_read_<size>: the same payload through the chardev pair's FIFO,
 * write() then read() until it is all back, a FIFO's worth
 * (KUIPC_CHARDEV_CAPACITY_MAX, 4 KiB, the default capacity) per pass.
 * Floor: memcpy of the same bytes.
 */
void bench_chardev_read(std::vector<Row> &rows)
{
	namespace cd = kuipc::chardev;
	cd::Device dev;
	std::vector<std::byte> src(KUIPC_CHARDEV_CAPACITY_MAX,
				   std::byte{'c'});
	std::vector<std::byte> dst(KUIPC_CHARDEV_CAPACITY_MAX);
	for (const Payload &p : payloads) {
		const Stats floor = memcpy_floor(p.bytes);
		const std::string name = std::string("chardev_read_") + p.name;
		const size_t chunk =
			std::min<size_t>(p.bytes, KUIPC_CHARDEV_CAPACITY_MAX);
		const size_t passes = (p.bytes + chunk - 1) / chunk;
		Row r{name,
		      "write() + read() of " + bytes_str(p.bytes) +
			      " through the FIFO, " + bytes_str(chunk) +
			      " per pass, " + std::to_string(passes) +
			      (passes == 1 ? " pass" : " passes"),
		      "memcpy of " + bytes_str(p.bytes), {}, 0, {}, {}};
		r.st = measure([&] {
			for (size_t done = 0; done < p.bytes; done += chunk) {
				size_t in = 0;
				while (in < chunk)
					in += dev.write(std::span(src).subspan(
						in, chunk - in));
				for (size_t got = 0; got < chunk;)
					got += dev.read(std::span(dst).subspan(
						0, chunk - got));
			}
		}, 3, name);
		r.ratio = r.st.p50 / floor.p50;
		r.floor += " (" + num(floor.p50) + " ns)";
		rows.push_back(r);
	}
}

/*
 * TRIGGER (the module runs its helper with call_usermodehelper and waits
 * for it to exit) against posix_spawn + waitpid of the same helper from
 * user space. Both helpers try to report: the module's is accepted, the
 * one spawned here is refused (no request has its id) and exits.
 */
void bench_umh(const Baseline &, std::vector<Row> &rows)
{
	namespace um = kuipc::umh;
	const std::string helper = um::helper_path();
	const Stats floor = measure([&] {
		std::string a0 = helper, a1 = "0", a2 = "exit", a3 = "0",
			    a4 = "";
		char *argv[] = {a0.data(), a1.data(), a2.data(), a3.data(),
				a4.data(), nullptr};
		char *envp[] = {nullptr};
		pid_t pid;
		const int err = ::posix_spawn(&pid, helper.c_str(), nullptr,
					      nullptr, argv, envp);
		if (err != 0)
			kuipc::throw_err(err, "posix_spawn " + helper);
		int status;
		while (::waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				kuipc::throw_errno("waitpid");
	}, 1);
	const um::Device dev;
	Row r{"umh", "ioctl(KUIPC_UMH_TRIGGER), helper in exit mode, to its exit",
	      "posix_spawn + waitpid of the helper", {}, 0, {}, {}};
	r.st = measure([&] { (void)dev.trigger(um::Mode::exit, "", 0); }, 1);
	r.ratio = r.st.p50 / floor.p50;
	r.floor += " (" + num(floor.p50) + " ns)";
	rows.push_back(r);
}

using BenchFn = std::function<void(const Baseline &, std::vector<Row> &)>;

const std::map<std::string, BenchFn> &benches()
{
	static const std::map<std::string, BenchFn> m = {
		{"procfs",
		 [](const Baseline &b, std::vector<Row> &rows) {
			 file_attr("procfs", KUIPC_PROCFS_RECORDS_PATH, b,
				   rows);
		 }},
		{"sysfs",
		 [](const Baseline &b, std::vector<Row> &rows) {
			 file_attr("sysfs", KUIPC_SYSFS_VALUE_PATH, b, rows);
		 }},
		{"debugfs",
		 [](const Baseline &b, std::vector<Row> &rows) {
			 file_attr("debugfs", KUIPC_DEBUGFS_VALUE_PATH, b,
				   rows, KUIPC_DEBUGFS_INFO_PATH);
		 }},
		{"sysctl",
		 [](const Baseline &b, std::vector<Row> &rows) {
			 file_attr("sysctl", KUIPC_SYSCTL_VALUE_PATH, b, rows);
		 }},
		{"configfs",
		 [](const Baseline &b, std::vector<Row> &rows) {
			 file_attr("configfs", KUIPC_CONFIGFS_INITIAL_PATH, b,
				   rows);
		 }},
		{"chardev", bench_chardev},
		{"eventfd", bench_eventfd},
		{"udp", bench_udp},
		{"signal", bench_signal},
		{"genetlink", bench_genetlink},
		{"mmap", bench_mmap},
		{"umh", bench_umh},
	};
	return m;
}

std::vector<std::string> split(const std::string &s)
{
	std::vector<std::string> out;
	std::stringstream ss(s);
	std::string item;
	while (std::getline(ss, item, ','))
		if (!item.empty())
			out.push_back(item);
	return out;
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> only;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		if (a == "--only" && i + 1 < argc) {
			for (const auto &m : split(argv[++i]))
				only.push_back(m);
		} else if (a == "--profile") {
			g_profile = true;
		} else {
			std::cerr << "usage: kuipc-bench [--profile] "
				     "[--only MECH,...]\n";
			return 2;
		}
	}
	utsname u{};
	::uname(&u);

	int status = 0;
	Baseline b;
	try {
		b = baseline();
	} catch (const std::exception &e) {
		std::cerr << "bench: baseline failed: " << e.what() << "\n";
		return 1;
	}

	std::vector<Row> rows;
	for (const auto &[mech, fn] : benches()) {
		if (!only.empty() &&
		    std::find(only.begin(), only.end(), mech) == only.end())
			continue;
		progress(mech);
		const std::string modname = "kuipc_" + mech;
		bool loaded = false;
		try {
			kuipc::load_module(kuipc::module_path(mech));
			loaded = true;
			fn(b, rows);
		} catch (const std::exception &e) {
			rows.push_back(Row{mech, {}, {}, {}, 0, e.what(), {}});
			status = 1;
		}
		if (loaded) {
			try {
				kuipc::unload_module(modname, 5000);
			} catch (const std::exception &e) {
				std::cerr << "bench: unload " << modname << ": "
					  << e.what() << "\n";
				status = 1;
			}
		}
	}

	std::string j = "{\"kernel\":" + json_str(u.release);
	j += ",\"vcpus\":" + std::to_string(sysconf(_SC_NPROCESSORS_ONLN));
	j += ",\"baseline\":{\"getppid_ns\":" + num(b.getppid.p50);
	j += ",\"getppid_p99_ns\":" + num(b.getppid.p99);
	j += ",\"eventfd_pingpong_ns\":" + num(b.pingpong_rt.p50 / 2);
	j += ",\"eventfd_pingpong_p99_ns\":" + num(b.pingpong_rt.p99 / 2);
	j += ",\"memcpy_gbps\":{\"64KiB\":" + num(b.memcpy_64k_gbps, 2) +
	     ",\"1MiB\":" + num(b.memcpy_1m_gbps, 2) + "}}";
	j += ",\"method\":{\"warmup_ms\":" +
	     std::to_string(warmup_ns / 1'000'000) +
	     ",\"min_batch_ms\":" + std::to_string(min_batch_ns / 1'000'000) +
	     ",\"batches\":" + std::to_string(nr_batches) +
	     ",\"runs\":3}";
	j += ",\"mechanisms\":{";
	bool first = true;
	for (const Row &r : rows) {
		if (!first)
			j += ",";
		first = false;
		j += json_str(r.name) + ":{";
		if (!r.error.empty()) {
			j += "\"error\":" + json_str(r.error) + "}";
			continue;
		}
		j += "\"op\":" + json_str(r.op);
		j += ",\"p50_ns\":" + num(r.st.p50);
		j += ",\"p99_ns\":" + num(r.st.p99);
		j += ",\"ratio\":" + num(r.ratio, 2);
		j += ",\"floor\":" + json_str(r.floor);
		if (r.ratio > 0)
			j += ",\"floor_ns\":" + num(r.st.p50 / r.ratio);
		j += ",\"batch\":" + std::to_string(r.st.batch);
		j += r.extra + "}";
	}
	j += "}}";
	std::cout << "KUIPC-BENCH " << j << std::endl;
	return status;
}
