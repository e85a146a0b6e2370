// SPDX-License-Identifier: GPL-2.0
// kuipc-bench: run in the guest by `scripts/kuipc bench`; prints one line
// `KUIPC-BENCH {json}` on stdout and its progress on stderr. Takes the
// baselines, then for each registered pair (userspace/bench/<mech>.cpp)
// loads its module, measures it and unloads it. See docs/benchmarks.md.
#include "bench.hpp"

#include "module.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

namespace {

namespace kb = kuipc::bench;

/* The names of a comma-separated list ("a,b,,c"), appended to out. */
void add_names(std::vector<std::string> &out, const std::string &list)
{
	for (size_t start = 0; start <= list.size();) {
		const size_t end = std::min(list.find(',', start), list.size());
		if (end > start)
			out.push_back(list.substr(start, end - start));
		start = end + 1;
	}
}

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

/* Load mech's module, measure it, unload it; false on any failure. */
bool run_one(const std::string &mech, const kb::BenchFn &fn,
	     const kb::Baseline &b, std::vector<kb::Row> &rows)
{
	kb::progress(mech);
	const std::string modname = "kuipc_" + mech;
	bool ok = true;
	bool loaded = false;
	try {
		kuipc::load_module(kuipc::module_path(mech));
		loaded = true;
		fn(b, rows);
	} catch (const std::exception &e) {
		rows.push_back(kb::Row{mech, {}, {}, {}, 0, e.what(), {}});
		ok = false;
	}
	if (loaded) {
		try {
			kuipc::unload_module(modname, 5000);
		} catch (const std::exception &e) {
			std::cerr << "bench: unload " << modname << ": "
				  << e.what() << "\n";
			ok = false;
		}
	}
	return ok;
}

std::string baseline_json(const kb::Baseline &b)
{
	std::string j = "{\"getppid_ns\":" + kb::num(b.getppid.p50);
	j += ",\"getppid_p99_ns\":" + kb::num(b.getppid.p99);
	j += ",\"eventfd_pingpong_ns\":" + kb::num(b.pingpong_rt.p50 / 2);
	j += ",\"eventfd_pingpong_p99_ns\":" +
	     kb::num(b.pingpong_rt.p99 / 2);
	j += ",\"memcpy_gbps\":{\"64KiB\":" + kb::num(b.memcpy_64k_gbps, 2) +
	     ",\"1MiB\":" + kb::num(b.memcpy_1m_gbps, 2) + "}}";
	return j;
}

std::string row_json(const kb::Row &r)
{
	std::string j = json_str(r.name) + ":{";
	if (!r.error.empty())
		return j + "\"error\":" + json_str(r.error) + "}";
	j += "\"op\":" + json_str(r.op);
	j += ",\"p50_ns\":" + kb::num(r.st.p50);
	j += ",\"p99_ns\":" + kb::num(r.st.p99);
	j += ",\"ratio\":" + kb::num(r.ratio, 2);
	j += ",\"floor\":" + json_str(r.floor);
	if (r.ratio > 0)
		j += ",\"floor_ns\":" + kb::num(r.st.p50 / r.ratio);
	j += ",\"batch\":" + std::to_string(r.st.batch);
	return j + r.extra + "}";
}

std::string result_json(const kb::Baseline &b,
			const std::vector<kb::Row> &rows)
{
	utsname u{};
	::uname(&u);
	std::string j = "{\"kernel\":" + json_str(u.release);
	j += ",\"vcpus\":" + std::to_string(sysconf(_SC_NPROCESSORS_ONLN));
	j += ",\"baseline\":" + baseline_json(b);
	j += ",\"method\":{\"warmup_ms\":" +
	     std::to_string(kb::warmup_ns / 1'000'000) +
	     ",\"min_batch_ms\":" +
	     std::to_string(kb::min_batch_ns / 1'000'000) +
	     ",\"batches\":" + std::to_string(kb::nr_batches) + ",\"runs\":3}";
	j += ",\"mechanisms\":{";
	bool first = true;
	for (const kb::Row &r : rows) {
		if (!first)
			j += ",";
		first = false;
		j += row_json(r);
	}
	return j + "}}";
}

} // namespace

int main(int argc, char **argv)
{
	std::vector<std::string> only;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		if (a == "--only" && i + 1 < argc) {
			add_names(only, argv[++i]);
		} else if (a == "--profile") {
			kb::set_profile(true);
		} else {
			std::cerr << "usage: kuipc-bench [--profile] "
				     "[--only MECH,...]\n";
			return 2;
		}
	}

	kb::Baseline b;
	try {
		b = kb::baseline();
	} catch (const std::exception &e) {
		std::cerr << "bench: baseline failed: " << e.what() << "\n";
		return 1;
	}

	int status = 0;
	std::vector<kb::Row> rows;
	for (const auto &[mech, fn] : kb::benches()) {
		if (!only.empty() &&
		    std::find(only.begin(), only.end(), mech) == only.end())
			continue;
		if (!run_one(mech, fn, b, rows))
			status = 1;
	}
	std::cout << "KUIPC-BENCH " << result_json(b, rows) << std::endl;
	return status;
}
