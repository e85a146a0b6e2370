// SPDX-License-Identifier: GPL-2.0
// kuipc-bench: how fast each pair's basic operation is, against the closest
// thing user space can do without the module (the floor), measured in the
// same boot. See docs/benchmarks.md.
//
// Each pair's file (userspace/bench/<mech>.cpp) registers the function
// that measures it with a static Register object; the driver (main.cpp)
// takes the baselines, loads each module, calls its function, unloads it
// and prints the rows as JSON. This file is what those functions share:
// the timing (measure()), the floors and the rows.
#pragma once

#include "fd.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <sched.h>
#include <string>
#include <vector>

namespace kuipc::bench {

constexpr uint64_t warmup_ns = 20'000'000;
constexpr uint64_t min_batch_ns = 2'000'000;
constexpr int nr_batches = 200;
constexpr size_t KiB = 1024;
constexpr size_t MiB = KiB * KiB;

struct Stats {
	double p50 = 0;
	double p99 = 0;
	uint64_t batch = 0; /* operations per batch */
};

/*
 * The per-operation time of op: each run is a warm-up thrown away, a batch
 * size N so that one batch takes at least 2 ms, then 200 batches whose
 * per-operation times give p50 and p99. The run with the median p50 of
 * runs is kept. With --profile, one call of op is traced first (what
 * names it; nothing is traced when what is empty).
 */
Stats measure(const std::function<void()> &op, int runs = 3,
	      const std::string &what = "");

/* --profile: trace one operation before each measurement. */
void set_profile(bool on);

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

/* v with prec digits after the point, as the JSON and floors print it. */
std::string num(double v, int prec = 1);

/*
 * r, measured, against a floor measured apart: its ratio is p50 / the
 * floor's p50, and the floor's p50 is added to its description.
 */
Row against(Row r, const Stats &floor);

/* "bench: line" on stderr. */
void progress(const std::string &line);

/* Taken once at the start, before any module is loaded. */
struct Baseline {
	Stats getppid;
	Stats pingpong_rt; /* eventfd round trip between two threads */
	double memcpy_64k_gbps = 0;
	double memcpy_1m_gbps = 0;
};

Baseline baseline();

/* A pair's measurement: appends its rows. */
using BenchFn = std::function<void(const Baseline &, std::vector<Row> &)>;

/* Every registered pair's measurement, by mechanism name. */
const std::map<std::string, BenchFn> &benches();

/* A pair's file registers its measurement with a static object of this type. */
struct Register {
	Register(const std::string &mech, BenchFn fn);
};

/* ---- what several pairs' measurements use ---- */

/* Read and write 8 bytes of an eventfd; a new eventfd. */
void efd_read(int fd);
void efd_write(int fd);
kuipc::Fd make_eventfd(int flags = 0);

/*
 * Both threads of a ping-pong run on CPU 0: a wake is then a context switch
 * on one CPU, not a cross-CPU interrupt, whose cost under TCG depends on how
 * the host schedules the vCPU threads (it varied 10x between runs).
 */
class PinCpu0 {
public:
	PinCpu0();
	~PinCpu0();
	PinCpu0(const PinCpu0 &) = delete;
	PinCpu0 &operator=(const PinCpu0 &) = delete;

	/* Pin the calling thread to CPU 0. */
	static void pin();

private:
	cpu_set_t old_;
};

/*
 * A row of op against calls x getppid, the getppid measured just before
 * op: the floor of an operation made of that many system calls.
 */
Row vs_getppid(const std::string &name, const std::string &op,
	       const std::function<void()> &fn, int calls = 1);

/*
 * A file-backed pair registers itself with a static object of this type,
 * which measures pread of one attribute on an open fd (one system call,
 * floor 1 x getppid) and open+read+close (floor 3 x getppid): rows
 * <mech> and <mech>_open_read_close. pread_path differs from path where
 * path cannot be pread (debugfs's number files are opened non-seekable).
 */
struct FileAttr {
	FileAttr(const std::string &mech, const char *path,
		 const char *pread_path = nullptr);

private:
	Register reg_;
};

/* The payloads of the rows that move bytes: <row>_<name>. */
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

/* "64 B", "4 KiB", "1 MiB". */
std::string bytes_str(size_t bytes);

/* The floor of a payload row: one memcpy of the same number of bytes. */
Stats memcpy_floor(size_t bytes);

} // namespace kuipc::bench
