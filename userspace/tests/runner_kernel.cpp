// SPDX-License-Identifier: GPL-2.0
// kuipc-runner: the kernel checks. The memory a mechanism's tests and its
// load/unload cycles leave behind (SUnreclaim, MemAvailable), kmemleak's
// scans, and the kernel log and taint mask at boot and at the end of the run.
#include "runner.hpp"

#include "error.hpp"
#include "module.hpp"
#include "support.hpp"

#include <dirent.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>
#include <tuple>

namespace kuipc::runner {

namespace {

/*
 * Load/unload cycles. A module that leaks in its init or exit path, or
 * leaves something registered, shows as unreclaimable slab or lost memory
 * after many cycles. The first few cycles are not measured: they warm the
 * caches the module loader, kernfs and the sysctl/proc code allocate from.
 * The bounds allow for what a guest without leaks showed (measured): slab
 * pages kept on per-CPU partial lists, up to some 130 KiB of SUnreclaim,
 * and the page cache and kworkers moving MemAvailable: by up to 250 KiB
 * on 6.1, and on 6.12 once by 1216 KiB (debugfs, SUnreclaim -76 KiB, not
 * seen again in the next runs, which moved it by -472 and +8868 KiB).
 * They catch a leaked object of 8 KiB or more, or ten pages, per cycle
 * (an 8 KiB kmalloc per load showed +320 KiB); the debug kernel's kmemleak
 * catches every smaller leak.
 */
constexpr int kWarmupCycles = 3;
constexpr int kCycles = 50;
constexpr long kMaxSlabGrowthKiB = 256;
constexpr long kMaxAvailDropKiB = 2048;

/* A field of /proc/meminfo in KiB, e.g. "SUnreclaim". */
long meminfo_kib(const std::string &field)
{
	std::istringstream in(kuipc::test::read_file("/proc/meminfo"));
	std::string key;
	long value = 0;
	std::string unit;
	while (in >> key >> value) {
		std::getline(in, unit);
		if (key == field + ":")
			return value;
	}
	kuipc::throw_err(ENOENT, "/proc/meminfo has no " + field);
}

/* n load/unload cycles of mech's module, which is not loaded on entry. */
void cycle_module(const std::string &mech, int n)
{
	for (int i = 0; i < n; ++i) {
		kuipc::load_module(kuipc::module_path(mech));
		kuipc::unload_module("kuipc_" + mech, 5000);
	}
}

/*
 * Empty slabs and per-CPU partial slabs count in SUnreclaim until SLUB
 * gives them back; asking every cache to shrink first (as `slabinfo -s`
 * does) takes most of that noise out of a sample. Caches that refuse are
 * left as they are: the sample is then only noisier.
 */
void shrink_slabs()
{
	const std::string root = "/sys/kernel/slab";
	DIR *d = ::opendir(root.c_str());
	if (d == nullptr)
		return;
	while (const dirent *e = ::readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		kuipc::test::write_file(root + "/" + e->d_name + "/shrink", "1");
	}
	::closedir(d);
}

} // namespace

/* Give RCU callbacks and deferred frees a moment, then sample memory. */
std::pair<long, long> settled_memory()
{
	::sync();
	std::this_thread::sleep_for(std::chrono::milliseconds(200));
	shrink_slabs();
	return {meminfo_kib("SUnreclaim"), meminfo_kib("MemAvailable")};
}

namespace {

/*
 * SUnreclaim and MemAvailable against a sample taken before, with bounds.
 * RCU callbacks and deferred frees run late on a busy host: what is over a
 * bound is sampled again for a few seconds, and only memory that stays
 * gone is a leak. With exact_leaks (kmemleak is on) the bounds do not
 * apply: KASAN's quarantine and kmemleak's own metadata hold megabytes of
 * freed memory for a while; kmemleak's scan, reported with the kernel log,
 * decides object by object. Returns why it failed, or "" (then the figures
 * are shown as a diagnostic).
 */
std::string memory_growth(const std::string &what, std::pair<long, long> before,
			  long max_slab_kib, std::optional<long> max_drop_kib, bool exact_leaks)
{
	auto [slab1, avail1] = settled_memory();
	for (int i = 0; i < 15 && !exact_leaks &&
			(slab1 - before.first > max_slab_kib ||
			 (max_drop_kib && before.second - avail1 > *max_drop_kib));
	     ++i)
		std::tie(slab1, avail1) = settled_memory();
	const long slab_kib = slab1 - before.first;
	const long drop_kib = before.second - avail1;
	std::array<char, 200> line{};
	std::array<char, 32> avail_bound{};
	if (max_drop_kib)
		std::snprintf(avail_bound.data(), avail_bound.size(), "bound -%ld", *max_drop_kib);
	std::snprintf(line.data(), line.size(),
		      "%s: SUnreclaim %+ld KiB (bound %ld), MemAvailable %+ld KiB (%s)",
		      what.c_str(), slab_kib, max_slab_kib, -drop_kib,
		      max_drop_kib ? avail_bound.data() : "not bounded");
	if (exact_leaks) {
		diag(std::string(line.data()) + "; kmemleak decides");
		return "";
	}
	if (slab_kib > max_slab_kib || (max_drop_kib && drop_kib > *max_drop_kib))
		return line.data();
	diag(line.data());
	return "";
}

} // namespace

/* The cycle test: TAP line, diagnostics, counts. Returns its verdict. */
bool run_cycles(const std::string &mech, MechResult &res, bool exact_leaks)
{
	const std::string desc = mech + ": " + std::to_string(kCycles) +
				 " load/unload cycles leak no memory [lifecycle]";
	std::string why;
	try {
		cycle_module(mech, kWarmupCycles);
		const auto before = settled_memory();
		cycle_module(mech, kCycles);
		why = memory_growth(mech + ": after " + std::to_string(kCycles) + " cycles",
				    before, kMaxSlabGrowthKiB, kMaxAvailDropKiB, exact_leaks);
	} catch (const kuipc::Error &e) {
		why = e.what();
	}
	if (!check(res, why.empty(), desc, {why}))
		return false;
	++res.by_tag["lifecycle"];
	return true;
}

/*
 * The test phase's own leak check: unreclaimable slab before the module
 * was loaded against after its tests ran and it was unloaded. Objects the
 * module leaked per operation (per message, per item, per skb) stay
 * allocated after its unload. Leak-free runs, slab caches shrunk, showed
 * -64 to +200 KiB for eleven pairs on 6.1, 6.12 and 7.2, and +540 to
 * +844 KiB for umh, whose tests start and reap a few hundred helper
 * processes; kmemleak finds nothing there, and the kworkers made for them
 * stay until idle for minutes, which is the likely cause). The bound is
 * above that with margin; a leak of 4 KiB
 * per write() over procfs's tests (+3996 KiB) goes past it (the
 * selfcheck's leak-per-write control). Smaller per-operation leaks are
 * kmemleak's, on the debug kernel. MemAvailable is no measure here: tests
 * move the page cache by megabytes.
 */
constexpr long kMaxTestSlabGrowthKiB = 2048;

bool run_test_phase_leaks(const std::string &mech, MechResult &res,
			  std::pair<long, long> before, bool exact_leaks)
{
	std::string why;
	try {
		why = memory_growth(mech + ": after its tests", before,
				    kMaxTestSlabGrowthKiB, std::nullopt, exact_leaks);
	} catch (const kuipc::Error &e) {
		why = e.what();
	}
	return check(res, why.empty(), mech + ": its tests leak no memory", {why});
}

namespace {

/*
 * kmemleak, on kernels built with it (scripts/kuipc test --kernel debug):
 * "clear" before a mechanism forgets what leaked before it; after its tests
 * and cycles, two scans list every object allocated since and no longer
 * referenced. kmemleak ignores objects younger than 5 s (they may still be
 * on their way to a pointer), so the scan waits that long first; and a scan
 * reports an unreferenced object only if its contents did not change since
 * the scan before (the first scan that sees an object only takes its
 * checksum), so one scan alone misses every leak made since the last one.
 */
constexpr const char *kKmemleak = "/sys/kernel/debug/kmemleak";
constexpr auto kKmemleakMinAge = std::chrono::milliseconds(5500);

} // namespace

bool kmemleak_present()
{
	return ::access(kKmemleak, W_OK) == 0;
}

void kmemleak_clear()
{
	kuipc::test::write_file(kKmemleak, "clear");
}

/* The first lines of each suspected leak, one string per leak. */
std::vector<std::string> kmemleak_scan()
{
	std::vector<std::string> leaks;
	std::this_thread::sleep_for(kKmemleakMinAge);
	int err = kuipc::test::write_file(kKmemleak, "scan");
	if (err == 0)
		err = kuipc::test::write_file(kKmemleak, "scan");
	if (err != 0) {
		leaks.push_back(std::string("kmemleak: scan failed: ") +
				std::strerror(err));
		return leaks;
	}
	std::istringstream in(kuipc::test::read_file(kKmemleak));
	std::string line;
	int lines_kept = 0;
	while (std::getline(in, line)) {
		if (line.rfind("unreferenced object", 0) == 0) {
			leaks.push_back("kmemleak: " + line);
			lines_kept = 0;
		} else if (const auto text = line.find_first_not_of(' ');
			   !leaks.empty() && lines_kept < 12 &&
			   text != std::string::npos) {
			leaks.back() += " | " + line.substr(text);
			++lines_kept;
		}
	}
	return leaks;
}

/*
 * In a freshly booted guest: the kernel reported nothing before the suite.
 * Besides hiding a broken kernel, a report at boot can silence the ones
 * the suite exists for: KASAN prints only its first report (unless booted
 * with kasan_multi_shot), lockdep turns itself off after its first.
 */
bool check_boot_log(kuipc::KmsgReader &kmsg)
{
	return run_check("kernel: boot log clean", kuipc::kernel_reports(kmsg, 0UL));
}

/*
 * After the last mechanism: work a module left behind (a timer, a work
 * item, an RCU callback) runs after its unload, and may report then. Wait
 * a grace period, let kmemleak scan once more, and sweep the log.
 */
bool check_end_of_run(kuipc::KmsgReader &kmsg, std::optional<unsigned long> taint0,
		      const Options &opt, bool kmemleak)
{
	const auto grace = std::chrono::seconds(2) * std::max(1, opt.timeout_s / 60);
	std::vector<std::string> bad;
	if (kmemleak) {
		/* Leaks reported already were reported with their mechanism. */
		kmemleak_clear();
		bad = kmemleak_scan(); /* waits out kmemleak's minimum age */
	}
	const auto until = Clock::now() + grace;
	while (Clock::now() < until) {
		pollfd pfd{kmsg.fd(), POLLIN, 0};
		::poll(&pfd, kmsg.fd() >= 0 ? 1 : 0, 200);
		kmsg.pump();
	}
	for (auto &r : kuipc::kernel_reports(kmsg, taint0))
		bad.push_back(std::move(r));
	return run_check("kernel: log clean at end", bad);
}

} // namespace kuipc::runner
