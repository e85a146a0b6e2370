// SPDX-License-Identifier: GPL-2.0
// kuipc-fuzz: random but bounded operations against every pair's interface.
//
// Each pair's file (userspace/fuzz/<mech>.cpp) registers its operations
// with a static Register object; the driver (main.cpp) loads the modules,
// runs random operations from all of them in two threads for a while,
// tries unloads and reloads in between, unloads everything and reads the
// kernel log. An operation checks nothing itself: it returns 0 or the
// errno it got (for the histogram); the verdict comes from the kernel log
// and from the modules unloading at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace kuipc::fuzz {

/* The random source of one thread, seeded from the run's seed. */
class Rng {
public:
	explicit Rng(uint64_t seed) : gen_(seed) {}

	uint64_t next() { return gen_(); }
	/* Uniform in [0, n); 0 when n is 0. */
	size_t below(size_t n) { return n == 0 ? 0 : next() % n; }
	bool chance(unsigned int percent) { return below(100) < percent; }
	template <typename T> const T &pick(const std::vector<T> &v)
	{
		return v[below(v.size())];
	}

	/* A length up to max, biased to 0, 1, powers of two and max. */
	size_t length(size_t max);
	/* n random bytes. */
	std::string bytes(size_t n);
	/*
	 * Text a pseudo-file might get: numbers in and far out of range,
	 * negative, hex and octal, whitespace, an embedded NUL, garbage, long
	 * runs, or random bytes.
	 */
	std::string text();
	/* A 64-bit value biased to boundaries (0, 1, -1, INT_MAX, ...). */
	uint64_t value();

private:
	std::mt19937_64 gen_;
};

/*
 * Memory handed to the kernel: kCapacity usable bytes directly followed
 * by a PROT_NONE page, so a buffer can end exactly at (or run into) a
 * fault. One per thread.
 */
class Arena {
public:
	static constexpr size_t kCapacity = size_t{4} * 4096;

	Arena();
	~Arena();
	Arena(const Arena &) = delete;
	Arena &operator=(const Arena &) = delete;

	/* n (<= kCapacity) bytes holding data, placed to end at the guard. */
	void *hold(const std::string &data);
	/*
	 * A pointer for the kernel to use for n bytes: usually good, else one
	 * that runs into the guard page, null, a kernel address, unaligned.
	 */
	void *pointer(Rng &rng, size_t n);

private:
	char *base_;
};

/* What an operation gets. */
struct Ctx {
	Rng &rng;
	Arena &arena;
};

/* One operation: 0, or the errno of what failed (for the histogram). */
using Op = std::function<int(Ctx &)>;

struct Target {
	Target(std::string m, std::vector<std::pair<std::string, Op>> o,
	       std::function<void()> c = {})
		: mech(std::move(m)), ops(std::move(o)), cleanup(std::move(c))
	{
	}

	std::string mech;
	std::vector<std::pair<std::string, Op>> ops;
	/* Undo what pins the module (e.g. configfs items) before unloading. */
	std::function<void()> cleanup;
};

/* Every registered target, in registration order. */
std::vector<Target> &targets();

/* A pair's file registers its target with a static object of this type. */
struct Register {
	explicit Register(Target t);
};

/* Helpers most pairs use. Each returns 0 or an errno, like an Op. */

/* Random reads, writes (random or near-valid text), seeks on a file. */
int file_op(Ctx &c, const std::string &path);

/*
 * A random ioctl on fd: one of cmds with random contents (first __u32 set
 * to the size _IOC_SIZE() encodes, most of the time), or a random number
 * of the magic, or one of cmds with its size or direction bits changed;
 * the argument from Arena::pointer().
 */
int ioctl_op(Ctx &c, int fd, unsigned int magic,
	     const std::vector<unsigned long> &cmds);

/* errno of the last failed call, as an Op result. */
int err();

} // namespace kuipc::fuzz
