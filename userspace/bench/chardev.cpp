// SPDX-License-Identifier: GPL-2.0
// Benchmark of the chardev pair; see docs/benchmarks.md.
#include "bench.hpp"

#include "chardev.hpp"

#include <kuipc/chardev.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace kuipc::bench {

namespace {

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
		rows.push_back(against(r, floor));
	}
}

void bench_chardev(const Baseline &, std::vector<Row> &rows)
{
	const kuipc::chardev::Device dev;
	rows.push_back(vs_getppid("chardev", "ioctl(KUIPC_CHARDEV_GET_CONFIG)",
				  [&] { (void)dev.config(); }));
	bench_chardev_read(rows);
}

const Register reg("chardev", bench_chardev);

} // namespace

} // namespace kuipc::bench
