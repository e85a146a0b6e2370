// SPDX-License-Identifier: GPL-2.0
// The bench core: timing, --profile, the baselines, the floors and rows
// several pairs share, and the registry the pairs' files fill.
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
#include "bench.hpp"

#include "error.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <thread>

namespace kuipc::bench {

namespace {

uint64_t now_ns()
{
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
	       static_cast<uint64_t>(ts.tv_nsec);
}

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
 */
} // namespace

Stats measure(const std::function<void()> &op, int runs,
	      const std::string &what)
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


void set_profile(bool on)
{
	g_profile = on;
}

std::string num(double v, int prec)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%.*f", prec, v);
	return buf;
}

Row against(Row r, const Stats &floor)
{
	r.ratio = r.st.p50 / floor.p50;
	r.floor += " (" + num(floor.p50) + " ns)";
	return r;
}

void progress(const std::string &line)
{
	std::cerr << "bench: " << line << std::endl;
}

/* ---- the registry ---- */

namespace {

std::map<std::string, BenchFn> &registry()
{
	static std::map<std::string, BenchFn> m;
	return m;
}

} // namespace

const std::map<std::string, BenchFn> &benches()
{
	return registry();
}

Register::Register(const std::string &mech, BenchFn fn)
{
	registry().emplace(mech, std::move(fn));
}

/* ---- eventfds and CPU 0 ---- */

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

kuipc::Fd make_eventfd(int flags)
{
	kuipc::Fd fd(::eventfd(0, EFD_CLOEXEC | flags));
	if (!fd)
		kuipc::throw_errno("eventfd");
	return fd;
}

PinCpu0::PinCpu0()
{
	CPU_ZERO(&old_);
	if (::sched_getaffinity(0, sizeof(old_), &old_) < 0)
		kuipc::throw_errno("sched_getaffinity");
	pin();
}

PinCpu0::~PinCpu0()
{
	(void)::sched_setaffinity(0, sizeof(old_), &old_);
}

void PinCpu0::pin()
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (::sched_setaffinity(0, sizeof(set), &set) < 0)
		kuipc::throw_errno("sched_setaffinity");
}

/* ---- baselines ---- */

namespace {

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
	return static_cast<double>(size) /
	       memcpy_floor(size).p50; /* bytes/ns = GB/s */
}

} // namespace

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

/* ---- floors and rows several pairs share ---- */

namespace {

kuipc::Fd open_file(const char *path)
{
	kuipc::Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
	if (!fd)
		kuipc::throw_errno(std::string("open ") + path);
	return fd;
}

} // namespace

/*
 * getppid is measured again just before a row that uses it as its floor:
 * the host's load moves TCG's speed within a run (the baseline getppid
 * taken at the start doubled between two runs), so the floor is taken
 * within seconds of the operation, like every other floor.
 */
Row vs_getppid(const std::string &name, const std::string &op,
	       const std::function<void()> &fn, int calls)
{
	Row r{name, op, std::to_string(calls) + " x getppid", {}, 0, {}, {}};
	const Stats floor = measure([] { (void)::getppid(); });
	r.st = measure(fn, 3, name);
	r.ratio = r.st.p50 / (calls * floor.p50);
	r.floor += calls == 1 ? " (" + num(floor.p50) + " ns)"
			      : " (getppid " + num(floor.p50) + " ns)";
	return r;
}

namespace {

void file_attr(const std::string &mech, const char *path,
	       const char *pread_path, std::vector<Row> &rows)
{
	std::array<char, 128> buf{};
	{
		const kuipc::Fd fd = open_file(pread_path);
		rows.push_back(vs_getppid(
			mech, std::string("pread(") + pread_path + ", 128, 0)",
			[&] {
				if (::pread(fd.get(), buf.data(), buf.size(),
					    0) < 0)
					kuipc::throw_errno(
						std::string("pread ") +
						pread_path);
			}));
	}
	rows.push_back(vs_getppid(
		mech + "_open_read_close",
		std::string("open+read+close ") + path,
		[&] {
			const kuipc::Fd fd = open_file(path);
			if (::read(fd.get(), buf.data(), buf.size()) < 0)
				kuipc::throw_errno(std::string("read ") +
						   path);
		},
		3));
}

} // namespace

FileAttr::FileAttr(const std::string &mech, const char *path,
		   const char *pread_path)
	: reg_(mech, [=](const Baseline &, std::vector<Row> &rows) {
		  file_attr(mech, path,
			    pread_path == nullptr ? path : pread_path, rows);
	  })
{
}

std::string bytes_str(size_t bytes)
{
	if (bytes >= MiB)
		return std::to_string(bytes / MiB) + " MiB";
	if (bytes >= KiB)
		return std::to_string(bytes / KiB) + " KiB";
	return std::to_string(bytes) + " B";
}

Stats memcpy_floor(size_t bytes)
{
	std::vector<char> src(bytes, 'm');
	std::vector<char> dst(bytes);
	return measure([&] {
		std::memcpy(dst.data(), src.data(), bytes);
		asm volatile("" : : "r"(dst.data()) : "memory");
	});
}

} // namespace kuipc::bench
