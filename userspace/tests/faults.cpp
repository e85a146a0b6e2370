// SPDX-License-Identifier: GPL-2.0
#include "faults.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace kuipc::test::faults {

namespace {

constexpr const char *kFailNth = "/proc/thread-self/fail-nth";
constexpr const char *kDebugfs = "/sys/kernel/debug";
/* A step with more allocations than this is taken for a runaway loop. */
constexpr unsigned int kMaxSites = 5000;
/*
 * The top of x86_64's module area (MODULES_END, the fixmap above it). Its
 * bottom, MODULES_VADDR, depends on CONFIG_RANDOMIZE_BASE; nothing but
 * unmapped space lies between the kernel image's end and it, so the filter
 * starts at the image's end, which /proc/kallsyms tells.
 */
constexpr std::uint64_t kModulesEnd = 0xffffffffff000000ULL;

/*
 * What the filter needs from /proc/kallsyms: the end of the kernel image
 * (its highest symbol) and __vmalloc_node_range_noprof()'s range. Every
 * vmalloc() path goes through that function, and a failure in it prints
 * the allocation-failure warning with a stack dump (warn_alloc()), which
 * every log check of the suite takes for a kernel report: vmalloc is not
 * failed, the kmalloc a kvmalloc() tries first still is.
 */
struct Symbols { /* kernel addresses: 64-bit, whatever the runner's ABI */
	std::uint64_t image_end = 0;
	std::uint64_t vmalloc_start = 0;
	std::uint64_t vmalloc_end = 0;
};

Symbols read_symbols()
{
	Symbols s;
	std::ifstream in("/proc/kallsyms");
	std::string line;
	bool next_is_end = false;
	while (std::getline(in, line)) {
		if (line.find('[') != std::string::npos)
			continue; /* a module's symbol */
		const std::uint64_t addr = std::strtoull(line.c_str(), nullptr, 16);
		if (next_is_end && addr > s.vmalloc_start) {
			s.vmalloc_end = addr;
			next_is_end = false;
		}
		if (line.size() > 19 &&
		    line.compare(19, std::string::npos, "__vmalloc_node_range_noprof") == 0) {
			s.vmalloc_start = addr;
			next_is_end = true;
		}
		s.image_end = std::max(s.image_end, addr);
	}
	return s;
}

void set_knob(const std::string &attr, const std::string &knob, const std::string &value)
{
	const std::string path = std::string(kDebugfs) + "/" + attr + "/" + knob;
	const int err = write_file(path, value);
	if (err != 0)
		throw_err(err, "write " + value + " to " + path);
}

std::string hex(std::uint64_t v)
{
	std::array<char, 24> buf{};
	std::snprintf(buf.data(), buf.size(), "0x%" PRIx64, v);
	return buf.data();
}

/*
 * failslab and fail_page_alloc for fail-nth: fail-nth works per task and
 * ahead of probability, interval and times (should_fail_ex()), but after
 * each attribute's own filters, whose defaults would hide most of a
 * module's allocations: GFP_KERNEL ones (ignore-gfp-wait), order-0 pages
 * (min-order), highmem ones. verbose=0: a failure is not logged (with a
 * stack dump, at verbose=2, the default). probability 0: nothing fails
 * but the n-th allocation fail-nth asks for.
 */
void setup()
{
	static bool done = false;
	if (done)
		return;
	struct stat st {};
	if (::stat(kFailNth, &st) != 0 ||
	    ::stat((std::string(kDebugfs) + "/failslab").c_str(), &st) != 0)
		KUIPC_SKIP("the kernel has no fault injection (CONFIG_FAILSLAB, "
			   "CONFIG_FAULT_INJECTION_DEBUG_FS; scripts/kuipc test "
			   "--kernel debug)");
#if !defined(__x86_64__) && !defined(__i386__) /* i386: on an x86_64 kernel */
	KUIPC_SKIP("the stacktrace filter knows x86_64's module area only");
#endif
	const Symbols sym = read_symbols();
	if (sym.image_end == 0 || sym.vmalloc_end == 0)
		throw_err(ENOENT, "/proc/kallsyms: no kernel image end or "
				  "__vmalloc_node_range_noprof");
	const char *filter = std::getenv("KUIPC_FAULTS_FILTER");
	const bool unfiltered = filter != nullptr && std::string(filter) == "none";
	for (const std::string attr : {"failslab", "fail_page_alloc"}) {
		set_knob(attr, "verbose", "0");
		set_knob(attr, "probability", "0");
		set_knob(attr, "interval", "1");
		set_knob(attr, "ignore-gfp-wait", "N");
		set_knob(attr, "stacktrace-depth", "32");
		set_knob(attr, "require-start", unfiltered ? "0" : hex(sym.image_end + 1));
		set_knob(attr, "require-end", unfiltered ? hex(~std::uint64_t{0}) : hex(kModulesEnd));
		set_knob(attr, "reject-start", hex(sym.vmalloc_start));
		set_knob(attr, "reject-end", hex(sym.vmalloc_end));
	}
	set_knob("fail_page_alloc", "ignore-gfp-highmem", "N");
	set_knob("fail_page_alloc", "min-order", "0");
	done = true;
}

/* This thread's /proc/.../fail-nth, set back to 0 when done. */
class FailNth {
public:
	FailNth() : fd_(::open(kFailNth, O_RDWR | O_CLOEXEC))
	{
		if (!fd_)
			throw_errno(std::string("open ") + kFailNth);
	}
	FailNth(const FailNth &) = delete;
	FailNth &operator=(const FailNth &) = delete;
	FailNth(FailNth &&) = delete;
	FailNth &operator=(FailNth &&) = delete;
	~FailNth() { arm_noexcept(0); }

	/* Fail the n-th allocation from now on (0: none). */
	void arm(unsigned int n)
	{
		if (!arm_noexcept(n))
			throw_errno(std::string("write ") + kFailNth);
	}

	/* 0 once the armed allocation has failed, else how many are left. */
	[[nodiscard]] unsigned int left() const
	{
		std::array<char, 32> buf{};
		const ssize_t n = ::pread(fd_.get(), buf.data(), buf.size() - 1, 0);
		if (n <= 0)
			throw_errno(std::string("read ") + kFailNth);
		return static_cast<unsigned int>(std::strtoul(buf.data(), nullptr, 10));
	}

private:
	bool arm_noexcept(unsigned int n) noexcept
	{
		const std::string s = std::to_string(n);
		return ::write(fd_.get(), s.data(), s.size()) ==
		       static_cast<ssize_t>(s.size());
	}

	Fd fd_;
};

/* Tell the runner how many sites a sweep found: a record on its pipe. */
void report_sites(const char *kind, unsigned int n)
{
	const char *env = std::getenv("KUIPC_RESULT_FD");
	const int fd = env != nullptr ? std::atoi(env) : 1;
	const std::string line = std::string("sites\t") + kind + '\t' + std::to_string(n) + '\n';
	if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
		FAIL("cannot report the number of sites to the runner");
}

bool allowed(std::initializer_list<int> errnos, int err)
{
	return std::find(errnos.begin(), errnos.end(), err) != errnos.end();
}

std::string errname(int err)
{
	return err == 0 ? "success" : std::string(std::strerror(err));
}

} // namespace

std::vector<std::string> existing(const std::vector<std::string> &paths)
{
	std::vector<std::string> out;
	struct stat st {};
	for (const auto &p : paths)
		if (::stat(p.c_str(), &st) == 0)
			out.push_back(p);
	return out;
}

unsigned int sweep(const std::function<int()> &step,
		   const std::function<void(const Run &)> &check,
		   std::initializer_list<int> errnos)
{
	setup();
	FailNth nth;
	for (unsigned int n = 1; n <= kMaxSites; ++n) {
		nth.arm(n);
		const int err = step();
		const unsigned int left = nth.left();
		nth.arm(0);
		const Run run{n, left == 0, err};
		INFO("allocation " << n << (run.injected ? " failed" : " was not reached")
				   << "; the step gave " << errname(err));
		if (!run.injected) {
			REQUIRE(err == 0);
			check(run);
			report_sites("op", n - 1);
			return n - 1;
		}
		if (err != 0)
			REQUIRE(allowed(errnos, err));
		check(run);
	}
	FAIL("more than " << kMaxSites << " allocations in one step");
	return 0;
}

void sweep_load(const std::string &mech, const std::vector<std::string> &entries,
		const std::function<std::vector<std::string>()> &leftover,
		std::initializer_list<int> errnos)
{
	setup();
	const std::string name = "kuipc_" + mech;
	const std::string path = module_path(mech);
	REQUIRE_FALSE(module_loaded(name));
	REQUIRE(existing(entries).empty());
	const Fd ko(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!ko)
		throw_errno("open " + path);
	FailNth nth;
	for (unsigned int n = 1; n <= kMaxSites; ++n) {
		nth.arm(n);
		const long rc = ::syscall(SYS_finit_module, ko.get(), "", 0);
		const int err = rc == 0 ? 0 : errno;
		const unsigned int left = nth.left();
		nth.arm(0);
		const bool injected = left == 0;
		INFO("load with allocation " << n
					     << (injected ? " failing" : " not reached")
					     << " gave " << errname(err));
		if (rc == 0) {
			/* It coped with the failure: then it is complete. */
			std::string missing;
			for (const auto &e : entries)
				if (existing({e}).empty())
					missing += (missing.empty() ? "" : ", ") + e;
			CHECK(missing.empty());
			unload_module(name, 5000);
			if (!injected) {
				report_sites("load", n - 1);
				return;
			}
			continue;
		}
		/* A load that fails with no fault is broken, not failing. */
		REQUIRE(injected);
		CHECK(allowed(errnos, err));
		REQUIRE_FALSE(module_loaded(name));
		const auto left_behind = existing(entries);
		CHECK(left_behind.empty());
		if (leftover) {
			const auto more = leftover();
			CHECK(more.empty());
		}
		if (!left_behind.empty())
			FAIL("left behind after a failed load: " << left_behind.front());
	}
	FAIL("more than " << kMaxSites << " allocations in one load");
}

Loaded::Loaded(std::string mech, const std::string &params) : mech_(std::move(mech))
{
	load_module(module_path(mech_), params);
}

Loaded::~Loaded()
{
	try {
		unload_module("kuipc_" + mech_, 5000);
	} catch (const Error &) {
		/* The runner's unload check after the test reports it. */
	}
}

} // namespace kuipc::test::faults
