// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc-fuzz [--seconds N] [--seed S] [--only MECH,...]
 *
 * Runs in the guest (scripts/kuipc fuzz) as root. Loads every selected
 * module, runs random operations of all of them in two threads for N
 * seconds while the main thread now and then unloads and reloads one of
 * them, then unloads them all and reads the kernel log. Exit status 0 when
 * the kernel reported nothing, every module unloaded and no operation hung.
 */
#include "error.hpp"
#include "fuzz.hpp"
#include "kmsg.hpp"
#include "module.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kThreads = 2;
/* An operation running longer than this is a hang: the run fails. */
constexpr auto kHang = 60s;

struct Options {
	int seconds = 60;
	uint64_t seed = 0;
	bool seeded = false;
	std::vector<std::string> only;
};

/* Counts of one thread; merged at the end. */
struct Counts {
	std::map<std::string, unsigned long> ops;		 /* per mechanism */
	std::map<std::string, std::map<int, unsigned long>> errs; /* errno */
};

/* What a worker is doing now, for the hang check. */
struct Busy {
	std::mutex lock;
	std::string what;
	Clock::time_point since = Clock::now();
};

void say(const std::string &line)
{
	std::fputs(("fuzz: " + line + "\n").c_str(), stdout);
	std::fflush(stdout);
}

std::vector<std::string> split(const std::string &s)
{
	std::vector<std::string> out;
	std::stringstream in(s);
	std::string item;
	while (std::getline(in, item, ','))
		if (!item.empty())
			out.push_back(item);
	return out;
}

bool parse(int argc, char **argv, Options &opt)
{
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		if (i + 1 >= argc)
			return false;
		const std::string v = argv[++i];
		if (a == "--seconds")
			opt.seconds = std::max(1, std::atoi(v.c_str()));
		else if (a == "--seed") {
			opt.seed = std::strtoull(v.c_str(), nullptr, 0);
			opt.seeded = true;
		} else if (a == "--only")
			opt.only = split(v);
		else
			return false;
	}
	return true;
}

/*
 * Real-time signals are what the signal pair sends; blocked in every
 * thread, a signal the fuzzer asked for stays pending instead of killing
 * it. SIGPIPE: a write to a socket whose peer went away.
 */
void block_signals()
{
	sigset_t set;
	sigemptyset(&set);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		sigaddset(&set, s);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGIO);
	pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void worker(uint64_t seed, const std::vector<const kuipc::fuzz::Target *> &ts,
	    const std::atomic<bool> &stop, Counts &counts, Busy &busy)
{
	kuipc::fuzz::Rng rng(seed);
	kuipc::fuzz::Arena arena;
	kuipc::fuzz::Ctx ctx{rng, arena};
	while (!stop.load(std::memory_order_relaxed)) {
		const auto &t = *ts[rng.below(ts.size())];
		const auto &[name, op] = t.ops[rng.below(t.ops.size())];
		{
			const std::lock_guard<std::mutex> g(busy.lock);
			busy.what = t.mech + " " + name;
			busy.since = Clock::now();
		}
		int e = 0;
		try {
			e = op(ctx);
		} catch (const kuipc::Error &ex) {
			e = ex.err();
		}
		++counts.ops[t.mech];
		++counts.errs[t.mech][e];
		const std::lock_guard<std::mutex> g(busy.lock);
		busy.what.clear();
	}
}

std::string histogram(const std::map<int, unsigned long> &errs)
{
	std::vector<std::pair<unsigned long, int>> by_count;
	by_count.reserve(errs.size());
	for (const auto &[e, n] : errs)
		by_count.emplace_back(n, e);
	std::sort(by_count.rbegin(), by_count.rend());
	std::string s;
	for (size_t i = 0; i < by_count.size() && i < 6; i++) {
		const int e = by_count[i].second;
		const char *name = e == 0 ? "ok" : strerrorname_np(e);
		s += std::string(i ? ", " : "") + (name ? name : std::to_string(e)) +
		     " " + std::to_string(by_count[i].first);
	}
	return s;
}

using Targets = std::vector<const kuipc::fuzz::Target *>;

/* The targets --only names (all without it), sorted by mechanism. */
Targets select_targets(const Options &opt)
{
	Targets ts;
	for (const auto &t : kuipc::fuzz::targets())
		if (opt.only.empty() ||
		    std::find(opt.only.begin(), opt.only.end(), t.mech) != opt.only.end())
			ts.push_back(&t);
	std::sort(ts.begin(), ts.end(),
		  [](const auto *a, const auto *b) { return a->mech < b->mech; });
	return ts;
}

/* The main thread's part while the workers run: unloads and reloads. */
struct Churn {
	unsigned long reloads = 0;
	unsigned long refused = 0;
	bool hung = false;
};

/* One unload (refused while in use) and reload of a random module. */
void reload_one(const Targets &ts, kuipc::fuzz::Rng &rng, Churn &churn,
		std::vector<std::string> &failures)
{
	const std::string mech = ts[rng.below(ts.size())]->mech;
	try {
		kuipc::unload_module("kuipc_" + mech, 0);
	} catch (const kuipc::Error &) {
		++churn.refused; /* in use: EBUSY/EAGAIN is the right answer */
		return;
	}
	try {
		kuipc::load_module(kuipc::module_path(mech));
		++churn.reloads;
	} catch (const kuipc::Error &e) {
		failures.push_back(std::string("reload: ") + e.what());
	}
}

/* True when a worker has been in one operation for longer than kHang. */
bool any_hung(std::vector<Busy> &busy, std::vector<std::string> &failures)
{
	bool hung = false;
	for (auto &b : busy) {
		const std::lock_guard<std::mutex> g(b.lock);
		if (!b.what.empty() && Clock::now() - b.since > kHang) {
			failures.push_back("operation hung: " + b.what);
			hung = true;
		}
	}
	return hung;
}

unsigned long total_ops(const std::vector<Counts> &counts)
{
	unsigned long n = 0;
	for (const auto &c : counts)
		for (const auto &[m, k] : c.ops)
			n += k;
	return n;
}

/* Now and then an unload and a reload, until the time is up or a hang. */
Churn churn_until(const Options &opt, const Targets &ts,
		  const std::vector<Counts> &counts, std::vector<Busy> &busy,
		  std::vector<std::string> &failures)
{
	kuipc::fuzz::Rng rng(opt.seed);
	Churn churn;
	const auto t0 = Clock::now();
	const auto end = t0 + std::chrono::seconds(opt.seconds);
	auto next_report = t0 + 10s;
	while (Clock::now() < end && !churn.hung) {
		std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng.below(1500)));
		reload_one(ts, rng, churn, failures);
		churn.hung = any_hung(busy, failures);
		if (Clock::now() >= next_report) {
			next_report += 10s;
			const auto secs = std::chrono::duration_cast<std::chrono::seconds>(
				Clock::now() - t0);
			say(std::to_string(secs.count()) + " s: " +
			    std::to_string(total_ops(counts)) + " ops");
		}
	}
	return churn;
}

/* A hung operation cannot be joined: report and leave at once. */
[[noreturn]] void fail_hung(const Options &opt, const std::vector<std::string> &failures,
			    kuipc::KmsgReader &kmsg, const std::optional<unsigned long> &taint0)
{
	for (const auto &f : failures)
		say("FAIL " + f);
	for (const auto &r : kuipc::kernel_reports(kmsg, taint0))
		say("FAIL kernel: " + r);
	say("seed " + std::to_string(opt.seed) + ": FAILED (an operation hung)");
	std::fflush(nullptr);
	std::_Exit(1);
}

/* One line per mechanism: its operations and their errnos; the total. */
unsigned long print_counts(const Targets &ts, const std::vector<Counts> &counts)
{
	unsigned long total = 0;
	for (const auto *t : ts) {
		unsigned long n = 0;
		std::map<int, unsigned long> errs;
		for (const auto &c : counts) {
			if (const auto it = c.ops.find(t->mech); it != c.ops.end())
				n += it->second;
			if (const auto it = c.errs.find(t->mech); it != c.errs.end())
				for (const auto &[e, k] : it->second)
					errs[e] += k;
		}
		total += n;
		std::array<char, 32> col{};
		std::snprintf(col.data(), col.size(), "%-10s %7lu ops: ", t->mech.c_str(), n);
		say(col.data() + histogram(errs));
	}
	return total;
}

} // namespace

int main(int argc, char **argv)
{
	Options opt;
	if (!parse(argc, argv, opt)) {
		std::fputs("usage: kuipc-fuzz [--seconds N] [--seed S] [--only MECH,...]\n",
			   stderr);
		return 2;
	}
	if (!opt.seeded)
		opt.seed = static_cast<uint64_t>(
			Clock::now().time_since_epoch().count());

	const Targets ts = select_targets(opt);
	if (ts.empty()) {
		say("nothing to fuzz");
		return 2;
	}
	std::string names;
	for (const auto *t : ts)
		names += (names.empty() ? "" : " ") + t->mech;
	say("seed " + std::to_string(opt.seed) + ", " + std::to_string(opt.seconds) +
	    " s, " + names);

	block_signals();
	kuipc::KmsgReader kmsg;
	const auto taint0 = kuipc::read_taint();
	std::vector<std::string> failures;
	for (const auto *t : ts) {
		try {
			kuipc::load_module(kuipc::module_path(t->mech));
		} catch (const kuipc::Error &e) {
			failures.push_back(std::string("load: ") + e.what());
		}
	}

	std::atomic<bool> stop{false};
	std::vector<Counts> counts(kThreads);
	std::vector<Busy> busy(kThreads);
	std::vector<std::thread> threads;
	threads.reserve(kThreads);
	for (int i = 0; i < kThreads; i++)
		threads.emplace_back(worker, opt.seed + static_cast<uint64_t>(i) + 1,
				     std::cref(ts), std::cref(stop),
				     std::ref(counts[i]), std::ref(busy[i]));
	const Churn churn = churn_until(opt, ts, counts, busy, failures);
	if (churn.hung)
		fail_hung(opt, failures, kmsg, taint0);
	stop = true;
	for (auto &t : threads)
		t.join();

	for (const auto *t : ts) {
		if (t->cleanup)
			t->cleanup();
		try {
			kuipc::unload_module("kuipc_" + t->mech, 10000);
		} catch (const kuipc::Error &e) {
			failures.push_back(std::string("final unload: ") + e.what());
		}
	}
	for (auto &r : kuipc::kernel_reports(kmsg, taint0))
		failures.push_back("kernel: " + r);

	const unsigned long total = print_counts(ts, counts);
	say(std::to_string(churn.reloads) + " unload+reload cycles, " +
	    std::to_string(churn.refused) + " unloads refused while in use");
	for (const auto &f : failures)
		say("FAIL " + f);
	const std::string verdict = failures.empty() ? "kernel log clean" : "FAILED";
	say(std::to_string(total) + " ops, seed " + std::to_string(opt.seed) + ", " +
	    verdict);
	return failures.empty() ? 0 : 1;
}
