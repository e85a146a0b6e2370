// SPDX-License-Identifier: GPL-2.0
// Benchmark of the mmap pair; see docs/benchmarks.md.
#include "bench.hpp"

#include "error.hpp"
#include "mmap.hpp"

#include <kuipc/mmap.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kuipc::bench {

namespace {

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
		r.extra = ",\"producer_ns\":" + num(produce.p50);
		rows.push_back(against(r, floor));
	}
}

const Register reg("mmap", bench_mmap);

} // namespace

} // namespace kuipc::bench
