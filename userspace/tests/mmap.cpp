// SPDX-License-Identifier: GPL-2.0
// VM tests of the mmap pair: kuipc_mmap.ko and kuipc::mmap.
//
// The runner loads the module before these tests and unloads it after.
// Each test starts from a reset buffer (empty ring, seq 0, zeroed areas),
// so none depends on another's leftovers. Waiting for another thread to
// block is done by watching its state in /proc, never by sleeping a guessed
// time.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "mmap.hpp"
#include "module.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using kuipc::test::errno_of;
using kuipc::test::ioctl_err;
using kuipc::test::mmap_err;
using kuipc::test::wait_sleeping_in;

namespace km = kuipc::mmap;
using km::Record;

constexpr const char *module_name = "kuipc_mmap";
constexpr uint32_t records = KUIPC_MMAP_RECORDS;
constexpr uint32_t user_size = KUIPC_MMAP_USER_SIZE;

/* Every test starts here: a reset buffer. */
km::Device fresh_device(int flags = O_RDWR)
{
	km::Device dev(KUIPC_MMAP_PATH, flags);
	dev.reset();
	return dev;
}

size_t page_size()
{
	return static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

/* The size of the buffer as mapped: KUIPC_MMAP_SIZE in whole pages. */
size_t buffer_size()
{
	const size_t page = page_size();
	return (KUIPC_MMAP_SIZE + page - 1) / page * page;
}

/* 0, or the errno of KUIPC_MMAP_PRODUCE. */
int produce_err(int fd, uint32_t count, uint32_t flags = 0)
{
	kuipc_mmap_produce req{};
	req.count = count;
	req.flags = flags;
	return ioctl_err(fd, KUIPC_MMAP_PRODUCE, &req);
}

/*
 * Pop every waiting record and check that they are exactly records
 * first, first + 1, ... as the module writes them. Returns how many came;
 * counts the wrong ones in bad.
 */
size_t pop_expect(km::Ring &ring, uint64_t first, size_t &bad)
{
	std::vector<Record> got(records);
	const size_t n = ring.pop(got);
	for (size_t i = 0; i < n; ++i) {
		if (!km::check_ok(got[i]) ||
		    !km::equal(got[i], km::expected_record(first + i)))
			++bad;
	}
	return n;
}

/* n bytes of a pattern that differs with seed. */
std::vector<std::byte> pattern(size_t n, unsigned seed)
{
	std::vector<std::byte> v(n);
	for (size_t i = 0; i < n; ++i)
		v[i] = static_cast<std::byte>((i * 13 + size_t{seed} * 101 + i / 253) & 0xff);
	return v;
}

} // namespace

TEST_CASE("mmap: produced records are read from the mapping in order, byte for byte",
	  "[mmap]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev); /* checks magic, version and layout */
	const km::Ctrl &ctrl = ring.ctrl();
	CHECK(ctrl.magic == KUIPC_MMAP_MAGIC);
	CHECK(ctrl.records == records);
	CHECK(ctrl.head == 0);
	CHECK(ctrl.tail == 0);
	Record rec{};
	CHECK_FALSE(ring.try_pop(rec));

	/* 50 records: every payload length from 1 to KUIPC_MMAP_PAYLOAD_MAX. */
	CHECK(dev.produce(50) == 50);
	CHECK(ring.head() == 50);
	CHECK(ring.available() == 50);
	/* They sit in consecutive slots of the data area. */
	const auto *slots = reinterpret_cast<const Record *>(
		ring.mapping().data() + KUIPC_MMAP_DATA_OFFSET);
	CHECK(slots[0].seq == 0);
	CHECK(slots[49].seq == 49);
	CHECK(slots[50].seq == 0); /* not written yet: still zero */
	CHECK(slots[50].check == 0);

	size_t bad = 0;
	CHECK(pop_expect(ring, 0, bad) == 50);
	CHECK(bad == 0);
	CHECK(ring.tail() == 50);
	CHECK(ring.available() == 0);

	/* One at a time, and seen the same through a second open + mapping. */
	CHECK(dev.produce(3) == 3);
	km::Device other;
	const km::Ring view(other);
	CHECK(view.head() == 53);
	CHECK(km::equal(view.slot(51), ring.slot(51)));
	for (uint64_t seq = 50; seq < 53; ++seq) {
		INFO("seq " << seq);
		REQUIRE(ring.try_pop(rec));
		CHECK(km::equal(rec, km::expected_record(seq)));
	}
	CHECK_FALSE(ring.try_pop(rec));
	CHECK(view.tail() == 53); /* one ring: the tail is shared too */
}

TEST_CASE("mmap: a consumer sleeping in poll is woken by a produce",
	  "[mmap][concurrency]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.poll(POLLIN, 0) == 0);

	/* A raw poll(2) on another descriptor, asleep before data exists. */
	std::atomic<pid_t> tid{0};
	short rev = -1;
	std::thread poller([&] {
		tid = ::gettid();
		const km::Device mine;
		rev = mine.poll(POLLIN, 10000);
	});
	CHECK(wait_sleeping_in(tid, {SYS_poll, SYS_ppoll}));
	CHECK(dev.produce(1) == 1); /* wakes the poller even if that failed */
	poller.join();
	CHECK(rev == POLLIN);

	/* The module reads the consumer's tail from the mapping. */
	CHECK(dev.poll(POLLIN, 0) == POLLIN);
	Record rec{};
	REQUIRE(ring.try_pop(rec));
	CHECK(km::equal(rec, km::expected_record(0)));
	CHECK(dev.poll(POLLIN, 0) == 0);

	/* Ring::wait(): records first, poll(2) only when there are none. */
	tid = 0;
	bool woke = false;
	size_t got = 0;
	size_t bad = 0;
	std::thread consumer([&] {
		tid = ::gettid();
		woke = ring.wait(dev, 10000);
		got = pop_expect(ring, 1, bad);
	});
	CHECK(wait_sleeping_in(tid, {SYS_poll, SYS_ppoll}));
	CHECK(dev.produce(3) == 3);
	consumer.join();
	CHECK(woke);
	CHECK(got == 3);
	CHECK(bad == 0);
	CHECK(ring.available() == 0);

	/* With records waiting, wait() returns at once. */
	CHECK(dev.produce(1) == 1);
	CHECK(ring.wait(dev, 0));
}

TEST_CASE("mmap: the ring wraps around many times without losing a record",
	  "[mmap]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	uint64_t produced = 0;
	uint64_t consumed = 0;
	size_t bad = 0;

	/* Steps that put head and tail everywhere relative to the wrap. */
	for (const uint32_t step : {100U, 200U, records, 1U, records - 1, 37U,
				    records, 255U, 2U, 129U}) {
		INFO("step " << step << " at " << produced);
		CHECK(dev.produce(step) == step);
		produced += step;
		CHECK(ring.available() == produced - consumed);
		consumed += pop_expect(ring, consumed, bad);
		CHECK(consumed == produced);
	}
	CHECK(produced > uint64_t{5} * records);

	/* Half-consumed rings: produce fills exactly the free slots. */
	for (int round = 0; round < 6; ++round) {
		INFO("round " << round);
		const uint32_t free = records - ring.available();
		CHECK(dev.produce(records) == free);
		produced += free;
		/* Give back a part only, leaving head and tail mid-ring. */
		std::vector<Record> some(records / 2 + 3 * round);
		const size_t n = ring.pop(some);
		for (size_t i = 0; i < n; ++i)
			bad += km::equal(some[i], km::expected_record(consumed + i))
				       ? 0
				       : 1;
		consumed += n;
	}
	consumed += pop_expect(ring, consumed, bad);
	CHECK(bad == 0);
	CHECK(consumed == produced);
	CHECK(ring.head() == static_cast<uint32_t>(produced));
	CHECK(ring.tail() == ring.head());
	/* Record k sits in slot k mod KUIPC_MMAP_RECORDS. */
	CHECK(ring.slot(static_cast<uint32_t>(produced - 1)).seq == produced - 1);
}

TEST_CASE("mmap: a full ring makes PRODUCE fail with ENOSPC or produce what fits",
	  "[mmap]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);

	CHECK(dev.produce(records) == records);
	CHECK(ring.available() == records);
	/* Full: nothing is overwritten, head does not move. */
	CHECK(produce_err(dev.fd(), 1) == ENOSPC);
	CHECK(produce_err(dev.fd(), records) == ENOSPC);
	CHECK(errno_of([&] { (void)dev.produce(5); }) == ENOSPC);
	CHECK(dev.try_produce(5) == 0);
	CHECK(ring.head() == records);
	CHECK(km::equal(ring.slot(0), km::expected_record(0)));
	/* A count of 0 is no error, even when full. */
	CHECK(dev.produce(0) == 0);

	/* Ten slots given back: a request for twenty produces ten. */
	std::vector<Record> ten(10);
	CHECK(ring.pop(ten) == 10);
	CHECK(dev.produce(20) == 10);
	CHECK(ring.head() == records + 10);
	CHECK(produce_err(dev.fd(), 1) == ENOSPC);

	size_t bad = 0;
	CHECK(pop_expect(ring, 10, bad) == records);
	CHECK(bad == 0);
	CHECK(dev.produce(1) == 1);
}

TEST_CASE("mmap: the module checksums exactly the bytes written into the mapping",
	  "[mmap]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	const auto area = ring.user_area();
	REQUIRE(area.size() == user_size);
	const std::vector<std::byte> data = pattern(user_size, 1);
	std::memcpy(area.data(), data.data(), data.size());

	const size_t page = page_size();
	const std::vector<std::pair<uint32_t, uint32_t>> ranges = {
		{0, 0},
		{0, 1},
		{0, user_size},
		{1, 4095},
		{static_cast<uint32_t>(page) - 6, 12}, /* across a page */
		{123, 4567},
		{user_size - 1, 1},
		{user_size, 0},
	};
	for (const auto &[off, len] : ranges) {
		INFO("offset " << off << " len " << len);
		/* Ours is computed from our own copy, not from the mapping. */
		const uint64_t want =
			km::fnv1a(std::span(data).subspan(off, len));
		CHECK(dev.checksum(off, len) == want);
	}
	CHECK(dev.checksum(0, 0) == KUIPC_MMAP_FNV1A_INIT);

	/* The module reads the live bytes: one changed byte changes the sum. */
	const uint64_t before = dev.checksum(100, 200);
	area[150] ^= std::byte{0x5a};
	const uint64_t after = dev.checksum(100, 200);
	CHECK(after != before);
	CHECK(after == km::fnv1a(area.subspan(100, 200)));

	/* Another open file and mapping see the same user area. */
	const km::Device other;
	CHECK(other.checksum(0, user_size) == km::fnv1a(area));

	/* RESET zeroes it, as both sides see. */
	dev.reset();
	const std::vector<std::byte> zeros(64);
	CHECK(dev.checksum(0, 64) == km::fnv1a(zeros));
	CHECK(std::all_of(area.begin(), area.begin() + 64,
			  [](std::byte b) { return b == std::byte{0}; }));
}

TEST_CASE("mmap: a private, oversized or out-of-range mapping gives EINVAL",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(2) == 2);
	const int fd = dev.fd();
	const size_t page = page_size();
	const size_t size = buffer_size();
	const int rw = PROT_READ | PROT_WRITE;

	CHECK(mmap_err(fd, size, rw, MAP_PRIVATE, 0) == EINVAL);
	CHECK(mmap_err(fd, size, PROT_READ, MAP_PRIVATE, 0) == EINVAL);
	CHECK(mmap_err(fd, size + page, rw, MAP_SHARED, 0) == EINVAL);
	CHECK(mmap_err(fd, 64 * size, rw, MAP_SHARED, 0) == EINVAL);
	CHECK(mmap_err(fd, page, rw, MAP_SHARED, static_cast<off_t>(size)) ==
	      EINVAL);
	CHECK(mmap_err(fd, 2 * page, rw, MAP_SHARED,
		       static_cast<off_t>(size - page)) == EINVAL);
	CHECK(mmap_err(fd, page, rw, MAP_SHARED, off_t{1} << 40) == EINVAL);

	/* Windows inside the buffer are fine, down to its last page. */
	CHECK(mmap_err(fd, size, rw, MAP_SHARED, 0) == 0);
	CHECK(mmap_err(fd, page, rw, MAP_SHARED, static_cast<off_t>(size - page)) ==
	      0);
	if (KUIPC_MMAP_USER_OFFSET % page == 0) {
		/* A window on the user area only: writes reach the module. */
		const km::Mapping win =
			dev.map(size - KUIPC_MMAP_USER_OFFSET, rw,
				KUIPC_MMAP_USER_OFFSET);
		win.data()[7] = std::byte{0xa5};
		CHECK(ring.user_area()[7] == std::byte{0xa5});
		CHECK(dev.checksum(7, 1) == km::fnv1a(ring.user_area().subspan(7, 1)));
	}

	/* VM_DONTEXPAND: mremap() cannot grow a mapping past the buffer. */
	errno = 0;
	void *grown = ::mremap(ring.mapping().data(), size, size + page,
			       MREMAP_MAYMOVE);
	CHECK(grown == MAP_FAILED);
	CHECK(errno == EFAULT);
	if (grown != MAP_FAILED)
		::munmap(grown, size + page); /* never leave it behind */

	/* Nothing changed: the same two records, in the same mapping. */
	CHECK(ring.head() == 2);
	size_t bad = 0;
	CHECK(pop_expect(ring, 0, bad) == 2);
	CHECK(bad == 0);
}

TEST_CASE("mmap: a bad PRODUCE count or CHECKSUM range gives EINVAL and changes nothing",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(5) == 5);
	const int fd = dev.fd();

	for (const auto &[count, flags] : std::vector<std::pair<uint32_t, uint32_t>>{
		     {records + 1, 0},
		     {UINT32_MAX, 0},
		     {1, 1},
		     {1, 0x80000000U},
	     }) {
		INFO("count " << count << " flags " << flags);
		CHECK(produce_err(fd, count, flags) == EINVAL);
	}
	CHECK(ring.head() == 5);
	CHECK(ring.available() == 5);

	for (const auto &[off, len] : std::vector<std::pair<uint32_t, uint32_t>>{
		     {user_size + 1, 0},
		     {user_size, 1},
		     {0, user_size + 1},
		     {1, user_size},
		     {user_size - 4, 8},
		     {UINT32_MAX, 2},	       /* offset + len wraps to 1 */
		     {2, UINT32_MAX},	       /* so does this one */
		     {UINT32_MAX, UINT32_MAX},
	     }) {
		INFO("offset " << off << " len " << len);
		kuipc_mmap_checksum cs{};
		cs.offset = off;
		cs.len = len;
		cs.sum = 0x1111222233334444ULL;
		CHECK(ioctl_err(fd, KUIPC_MMAP_CHECKSUM, &cs) == EINVAL);
		CHECK(cs.sum == 0x1111222233334444ULL); /* nothing written back */
	}

	/* Still a working ring with the same five records. */
	size_t bad = 0;
	CHECK(pop_expect(ring, 0, bad) == 5);
	CHECK(bad == 0);
}

TEST_CASE("mmap: an impossible consumer index gives EIO and POLLERR until it is fixed",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(10) == 10);
	std::vector<Record> four(4);
	CHECK(ring.pop(four) == 4);

	/* Past head, far past it, and more than a ring's worth behind it. */
	for (const uint32_t bad : {11U, 1000U, 10U - records - 1, 0x80000000U}) {
		INFO("tail " << bad);
		ring.store_tail(bad);
		CHECK(produce_err(dev.fd(), 1) == EIO);
		CHECK((dev.poll(POLLIN, 0) & POLLERR) != 0);
		CHECK(ring.head() == 10); /* nothing produced */
		Record rec{};
		CHECK(errno_of([&] { (void)ring.try_pop(rec); }) == EIO);
		CHECK(errno_of([&] { (void)ring.wait(dev, 0); }) == EIO);
	}

	/* Exactly a ring behind is valid: full, so ENOSPC and not EIO. */
	ring.store_tail(10U - records);
	CHECK(produce_err(dev.fd(), 1) == ENOSPC);
	CHECK(dev.poll(POLLIN, 0) == POLLIN);

	/* The right index restores the ring as it was. */
	ring.store_tail(4);
	CHECK(dev.poll(POLLIN, 0) == POLLIN);
	CHECK(dev.produce(1) == 1);
	size_t bad = 0;
	CHECK(pop_expect(ring, 4, bad) == 7);
	CHECK(bad == 0);
}

TEST_CASE("mmap: an unknown ioctl gives ENOTTY", "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(3) == 3);
	const unsigned long magic = KUIPC_MMAP_IOC_MAGIC;
	const unsigned long produce_nr = _IOC_NR(KUIPC_MMAP_PRODUCE);
	const unsigned long reset_nr = _IOC_NR(KUIPC_MMAP_RESET);

	const std::vector<unsigned long> cmds = {
		_IO(magic, 0x00),
		_IO(magic, 0x7f),
		_IOR(magic, produce_nr, kuipc_mmap_produce),  /* wrong direction */
		_IOW(magic, produce_nr, __u32),		      /* wrong size */
		_IOW(magic, produce_nr, kuipc_mmap_checksum), /* likewise */
		_IOWR(magic, _IOC_NR(KUIPC_MMAP_CHECKSUM), __u32),
		_IO(magic + 1, reset_nr),		      /* another magic */
		TCGETS,					      /* a terminal's */
	};
	for (const unsigned long cmd : cmds) {
		INFO("cmd " << km::ioctl_name(cmd));
		kuipc_mmap_produce arg{};
		arg.count = 1;
		CHECK(ioctl_err(dev.fd(), cmd, &arg) == ENOTTY);
	}
	/* Neither a produce nor a reset happened. */
	CHECK(ring.head() == 3);
	CHECK(ring.available() == 3);

	errno = 0;
	CHECK(::isatty(dev.fd()) == 0);
	CHECK(errno == ENOTTY);
}

TEST_CASE("mmap: bad ioctl argument pointers give EFAULT and change nothing",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(2) == 2);
	const int fd = dev.fd();

	/* Unmapped, and a kernel address (access_ok() refuses it). */
	for (void *bad : {kuipc::test::bad_address(1),
				 kuipc::test::kernel_address()}) {
		INFO("pointer " << bad);
		CHECK(ioctl_err(fd, KUIPC_MMAP_PRODUCE, bad) == EFAULT);
		CHECK(ioctl_err(fd, KUIPC_MMAP_CHECKSUM, bad) == EFAULT);
	}
	CHECK(ring.head() == 2);

	/*
	 * Readable but not writable: CHECKSUM reads its argument, computes,
	 * then fails to write the sum back. PRODUCE only reads its argument,
	 * so a read-only one is fine.
	 */
	const size_t page = page_size();
	const km::Mapping ro(-1, page, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS);
	auto *req = reinterpret_cast<kuipc_mmap_produce *>(ro.data());
	req->count = 1;
	auto *cs = reinterpret_cast<kuipc_mmap_checksum *>(ro.data() + 64);
	cs->len = 16;
	cs->sum = 7;
	REQUIRE(::mprotect(ro.data(), page, PROT_READ) == 0);
	CHECK(ioctl_err(fd, KUIPC_MMAP_CHECKSUM, cs) == EFAULT);
	CHECK(cs->sum == 7);
	CHECK(::ioctl(fd, KUIPC_MMAP_PRODUCE, req) == 1);

	size_t bad = 0;
	CHECK(pop_expect(ring, 0, bad) == 3);
	CHECK(bad == 0);
}

TEST_CASE("mmap: a mapping pins the module even after close; munmap lets it unload",
	  "[mmap][lifecycle]")
{
	/* Whatever happens below, leave the module loaded for the runner. */
	const kuipc::test::ReloadGuard reload("mmap");

	{
		std::optional<km::Ring> ring;
		{
			km::Device dev = fresh_device();
			ring.emplace(dev);
			CHECK(dev.produce(3) == 3);
		} /* the descriptor is closed here */

		const int err = errno_of([] { kuipc::unload_module(module_name, 0); });
		CHECK((err == EAGAIN || err == EBUSY));
		REQUIRE(kuipc::module_loaded(module_name));

		/* The buffer is alive and the mapping still works. */
		size_t bad = 0;
		CHECK(pop_expect(*ring, 0, bad) == 3);
		CHECK(bad == 0);
		ring->user_area()[0] = std::byte{42};
		CHECK(ring->user_area()[0] == std::byte{42});
	} /* munmap */

	/* Unmapped: the last reference to the file is gone. */
	REQUIRE_NOTHROW(kuipc::unload_module(module_name, 2000));
	CHECK_FALSE(kuipc::module_loaded(module_name));
	struct stat st {};
	errno = 0;
	CHECK(::stat(KUIPC_MMAP_PATH, &st) == -1);
	CHECK(errno == ENOENT);

	/* Loaded again: a new, zeroed buffer. */
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path("mmap")));
	km::Device dev;
	km::Ring ring(dev);
	CHECK(ring.head() == 0);
	CHECK(ring.tail() == 0);
	CHECK(ring.user_area()[0] == std::byte{0});
	CHECK(dev.produce(1) == 1);
	Record rec{};
	REQUIRE(ring.try_pop(rec));
	CHECK(km::equal(rec, km::expected_record(0)));
}

TEST_CASE("mmap: a mapping outlives its descriptor and keeps working",
	  "[mmap][lifecycle]")
{
	std::optional<km::Ring> ring;
	{
		km::Device first = fresh_device();
		ring.emplace(first);
	} /* closed: only the mapping holds the file now */

	km::Device second;
	CHECK(second.produce(4) == 4);
	CHECK(second.poll(POLLIN, 0) == POLLIN);
	REQUIRE(ring->wait(second, 10000));
	size_t bad = 0;
	CHECK(pop_expect(*ring, 0, bad) == 4);
	CHECK(bad == 0);
	/* The tail written through the old mapping reaches the module. */
	CHECK(second.poll(POLLIN, 0) == 0);

	/* So do bytes written into its user area. */
	const std::vector<std::byte> data = pattern(300, 2);
	std::memcpy(ring->user_area().data() + 1000, data.data(), data.size());
	CHECK(second.checksum(1000, 300) == km::fnv1a(data));

	/* A blocked consumer of the old mapping, woken through the new fd. */
	std::atomic<pid_t> tid{0};
	bool woke = false;
	std::thread consumer([&] {
		tid = ::gettid();
		woke = ring->wait(second, 10000);
	});
	CHECK(wait_sleeping_in(tid, {SYS_poll, SYS_ppoll}));
	CHECK(second.produce(1) == 1);
	consumer.join();
	CHECK(woke);
	Record rec{};
	REQUIRE(ring->try_pop(rec));
	CHECK(km::equal(rec, km::expected_record(4)));
}

TEST_CASE("mmap: a producer and a consumer thread move 100000 records, none lost or torn",
	  "[mmap][concurrency]")
{
	constexpr uint64_t total = 100000;
	km::Device dev = fresh_device();
	km::Ring ring(dev);

	using Clock = std::chrono::steady_clock;
	const auto deadline = Clock::now() + std::chrono::seconds(45);
	std::atomic<bool> give_up{false};

	std::string perr;
	uint64_t full = 0; /* times the producer found the ring full */
	std::thread producer([&] {
		try {
			km::Device mine;
			uint64_t done = 0;
			for (uint32_t k = 0; done < total && !give_up; ++k) {
				const auto want = static_cast<uint32_t>(
					std::min<uint64_t>(1 + k % 64, total - done));
				const uint32_t n = mine.try_produce(want);
				done += n;
				if (n == 0) {
					/* No wake-up for space: the consumer
					 * makes none of its system calls. */
					++full;
					::sched_yield();
				}
				if (Clock::now() > deadline) {
					perr = "deadline at " + std::to_string(done);
					give_up = true;
				}
			}
		} catch (const kuipc::Error &e) {
			perr = e.what();
			give_up = true;
		}
	});

	std::string cerr;
	uint64_t next = 0;
	uint64_t torn = 0;
	uint64_t out_of_order = 0;
	uint64_t sleeps = 0;
	std::thread consumer([&] {
		try {
			std::vector<Record> buf(48);
			while (next < total && !give_up) {
				if (ring.available() == 0) {
					++sleeps;
					if (!ring.wait(dev, 10000)) {
						cerr = "no record for 10 s at " +
						       std::to_string(next);
						give_up = true;
						return;
					}
				}
				const size_t n = ring.pop(
					std::span(buf).first(1 + next % buf.size()));
				for (size_t i = 0; i < n; ++i, ++next) {
					const Record &r = buf[i];
					if (!km::check_ok(r))
						++torn;
					else if (!km::equal(r, km::expected_record(next)))
						++out_of_order;
				}
			}
		} catch (const kuipc::Error &e) {
			cerr = e.what();
			give_up = true;
		}
	});
	producer.join();
	consumer.join();

	INFO("producer found the ring full " << full << " times; consumer slept "
					     << sleeps << " times");
	INFO("producer error: " << perr << "; consumer error: " << cerr);
	CHECK(perr.empty());
	CHECK(cerr.empty());
	CHECK(next == total);
	CHECK(torn == 0);
	CHECK(out_of_order == 0);
	CHECK(ring.head() == static_cast<uint32_t>(total));
	CHECK(ring.available() == 0);
	CHECK(dev.poll(POLLIN, 0) == 0);
}

TEST_CASE("mmap: the node is root-only and refuses an unprivileged open",
	  "[mmap][permission]")
{
	const km::Device dev = fresh_device();
	struct stat st {};
	REQUIRE(::stat(KUIPC_MMAP_PATH, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) == 10); /* MISC_MAJOR: a misc device */
	CHECK((st.st_mode & 07777) == KUIPC_MMAP_MODE);
	CHECK(st.st_uid == 0);

	for (const int flags : {O_RDWR, O_RDONLY, O_WRONLY}) {
		INFO("open flags " << flags);
		CHECK(kuipc::test::run_unprivileged([flags] {
			return kuipc::test::open_errno(KUIPC_MMAP_PATH, flags);
		}) == EACCES);
	}
}

TEST_CASE("mmap: RESET needs CAP_SYS_ADMIN; a read-only descriptor maps read-only",
	  "[mmap][permission]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(3) == 3);
	ring.user_area()[5] = std::byte{9};
	const int fd = dev.fd();

	/* The child inherits fd but drops every capability with its uid. */
	CHECK(kuipc::test::run_unprivileged([fd] {
		return ioctl_err(fd, KUIPC_MMAP_RESET, nullptr);
	}) == EPERM);
	CHECK(ring.head() == 3);
	CHECK(ring.user_area()[5] == std::byte{9});
	CHECK(km::equal(ring.slot(2), km::expected_record(2)));

	/* Whoever holds the descriptor may produce and map it. */
	CHECK(kuipc::test::run_unprivileged([fd] {
		const int err = produce_err(fd, 1);
		if (err != 0)
			return err;
		return mmap_err(fd, buffer_size(), PROT_READ | PROT_WRITE,
				MAP_SHARED, 0);
	}) == 0);
	CHECK(ring.head() == 4);

	/* O_RDONLY: a shared read-only view, never a writable one. */
	const km::Device ro(KUIPC_MMAP_PATH, O_RDONLY);
	const size_t size = buffer_size();
	CHECK(mmap_err(ro.fd(), size, PROT_READ | PROT_WRITE, MAP_SHARED, 0) ==
	      EACCES);
	const km::Mapping view = ro.map(size, PROT_READ);
	const auto &ctrl = *reinterpret_cast<const km::Ctrl *>(view.data());
	CHECK(ctrl.head == 4);
	CHECK(::mprotect(view.data(), size, PROT_READ | PROT_WRITE) == -1);
	CHECK(errno == EACCES);
}

TEST_CASE("mmap: root in a new user namespace is refused what needs a capability in the initial one",
	  "[mmap][permission]")
{
	using kuipc::test::run_in_userns;
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(3) == 3);
	ring.user_area()[5] = std::byte{9};
	const int fd = dev.fd();

	/* Its uid 0 is nobody outside: the root-owned 0600 node stays shut. */
	for (const int flags : {O_RDWR, O_RDONLY, O_WRONLY}) {
		INFO("open flags " << flags);
		CHECK(run_in_userns([flags] {
			return kuipc::test::open_errno(KUIPC_MMAP_PATH, flags);
		}) == EACCES);
	}

	/* CAP_SYS_ADMIN in its own namespace is not capable(CAP_SYS_ADMIN). */
	CHECK(run_in_userns([fd] {
		return ioctl_err(fd, KUIPC_MMAP_RESET, nullptr);
	}) == EPERM);
	CHECK(ring.head() == 3);
	CHECK(ring.user_area()[5] == std::byte{9});
	CHECK(km::equal(ring.slot(2), km::expected_record(2)));

	/* The descriptor works there: the refusal was the capability's. */
	CHECK(run_in_userns([fd] {
		const int err = produce_err(fd, 1);
		if (err != 0)
			return err;
		return mmap_err(fd, buffer_size(), PROT_READ | PROT_WRITE,
				MAP_SHARED, 0);
	}) == 0);
	CHECK(ring.head() == 4);
}

namespace {

/*
 * Every slot as it must be once records 0 .. head - 1 were produced in
 * order: slot i holds the last record k < head with k = i mod the ring
 * size, or zeros if there is none. Returns how many slots differ.
 */
size_t ring_mismatches(const km::Ring &ring, uint32_t head)
{
	size_t bad = 0;
	for (uint32_t i = 0; i < records; ++i) {
		const Record &slot = ring.slot(i);
		if (i >= head) {
			bad += slot.seq == 0 && slot.check == 0 ? 0 : 1;
			continue;
		}
		const uint64_t k = i + uint64_t{records} * ((head - 1 - i) / records);
		bad += km::equal(slot, km::expected_record(k)) ? 0 : 1;
	}
	return bad;
}

/* The control page but for head and tail: all the module may not touch. */
std::vector<std::byte> ctrl_without_indices(const km::Ring &ring)
{
	std::vector<std::byte> v(ring.mapping().data(),
				 ring.mapping().data() + KUIPC_MMAP_CTRL_SIZE);
	std::fill_n(v.begin() + offsetof(km::Ctrl, head), sizeof(uint32_t),
		    std::byte{0});
	std::fill_n(v.begin() + offsetof(km::Ctrl, tail), sizeof(uint32_t),
		    std::byte{0});
	return v;
}

/* What KUIPC_MMAP_PRODUCE returns: records produced, or -errno. */
int produce_ret(int fd, uint32_t count)
{
	const kuipc_mmap_produce req{count, 0};
	const int n = ::ioctl(fd, KUIPC_MMAP_PRODUCE, &req);
	return n < 0 ? -errno : n;
}

} // namespace

TEST_CASE("mmap: every consumer index, valid or not, gives exactly the documented PRODUCE",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	const std::vector<std::byte> user = pattern(user_size, 3);
	std::memcpy(ring.user_area().data(), user.data(), user.size());
	const std::vector<std::byte> ctrl = ctrl_without_indices(ring);

	/* Move head off zero and off a slot boundary first. */
	CHECK(dev.produce(100) == 100);
	uint32_t head = 100;
	/* Tails relative to head: inside, on and just past each bound. */
	std::vector<uint32_t> offsets = {0,	      1,	   records - 1,
					 records,     records + 1, records + 2,
					 0x7fffffffU, 0x80000000U, 0xfffffffeU,
					 0xffffffffU};
	/* And a spread of others, the same on every run. */
	for (uint32_t x = 1; offsets.size() < 200; x = x * 1103515245U + 12345U)
		offsets.push_back(x % 3 ? x % (2 * records) : x);

	for (const uint32_t used : offsets) {
		const uint32_t tail = head - used;
		INFO("head " << head << " tail " << tail << " (" << used
			     << " in use)");
		ring.store_tail(tail);
		const int n = produce_ret(dev.fd(), records);
		if (used > records) {
			CHECK(n == -EIO);
			CHECK((dev.poll(POLLIN, 0) & POLLERR) != 0);
		} else if (used == records) {
			CHECK(n == -ENOSPC);
		} else {
			CHECK(n == static_cast<int>(records - used));
			head += records - used;
		}
		/* Only the slots it was entitled to, and nothing beyond. */
		REQUIRE(ring.head() == head);
		REQUIRE(ring_mismatches(ring, head) == 0);
		REQUIRE(ring.tail() == tail); /* never written by the module */
	}
	CHECK(std::equal(user.begin(), user.end(), ring.user_area().begin()));
	CHECK(ctrl_without_indices(ring) == ctrl);
	CHECK(dev.checksum(0, user_size) == km::fnv1a(user));

	/* A sane tail again: a normal ring. */
	ring.store_tail(head);
	CHECK(dev.poll(POLLIN, 0) == 0);
	CHECK(dev.produce(5) == 5);
	size_t bad = 0;
	CHECK(pop_expect(ring, head, bad) == 5);
	CHECK(bad == 0);
}

TEST_CASE("mmap: a hostile thread scribbling on tail during PRODUCE cannot push writes outside the ring",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	const std::vector<std::byte> user = pattern(user_size, 4);
	std::memcpy(ring.user_area().data(), user.data(), user.size());
	const std::vector<std::byte> ctrl = ctrl_without_indices(ring);

	std::atomic<bool> stop{false};
	std::thread scribbler([&] {
		uint32_t x = 2463534242U;
		while (!stop.load(std::memory_order_relaxed)) {
			/* xorshift32: garbage near head as well as far off. */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			const uint32_t near = ring.head() - x % (2 * records);
			ring.store_tail(x & 1 ? near : x);
		}
	});
	uint64_t produced = 0;
	uint32_t unexpected = 0;
	for (uint32_t k = 0; k < 3000; ++k) {
		const uint32_t count = k % (records + 1);
		const int n = produce_ret(dev.fd(), count);
		if (n >= 0 && static_cast<uint32_t>(n) <= count)
			produced += static_cast<uint32_t>(n);
		else if (n != -EIO && n != -ENOSPC)
			++unexpected;
		(void)dev.poll(POLLIN, 0);
	}
	stop = true;
	scribbler.join();

	CHECK(unexpected == 0);
	CHECK(produced > 0);
	/* Head counts exactly what was reported, and each slot is right. */
	const auto head = static_cast<uint32_t>(produced);
	CHECK(ring.head() == head);
	CHECK(ring_mismatches(ring, head) == 0);
	CHECK(std::equal(user.begin(), user.end(), ring.user_area().begin()));
	CHECK(ctrl_without_indices(ring) == ctrl);

	ring.store_tail(head);
	CHECK(dev.produce(records) == records);
	size_t bad = 0;
	CHECK(pop_expect(ring, produced, bad) == records);
	CHECK(bad == 0);
}

TEST_CASE("mmap: garbage over head and the layout fields is ignored by the module",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(3) == 3);
	auto *ctrl = reinterpret_cast<km::Ctrl *>(ring.mapping().data());

	/* Everything user space can write but tail, and the unread slots. */
	std::memset(ring.mapping().data(), 0xa5, offsetof(km::Ctrl, tail));
	std::memset(ring.mapping().data() + offsetof(km::Ctrl, tail) + 4, 0x5a,
		    KUIPC_MMAP_CTRL_SIZE - offsetof(km::Ctrl, tail) - 4);
	std::memset(ring.mapping().data() + KUIPC_MMAP_DATA_OFFSET +
			    std::size_t{3} * KUIPC_MMAP_RECORD_SIZE,
		    0xff, KUIPC_MMAP_RECORD_SIZE);
	REQUIRE(ctrl->head == 0xa5a5a5a5U);
	REQUIRE(ctrl->tail == 0);

	/* The module keeps its own head: 3 records, and it says so. */
	CHECK(dev.poll(POLLIN, 0) == POLLIN);
	CHECK(dev.produce(records) == records - 3);
	CHECK(ring.head() == records);
	CHECK(produce_err(dev.fd(), 1) == ENOSPC);
	CHECK(ring_mismatches(ring, records) == 0);
	/* The layout fields stay as user space left them until a RESET. */
	CHECK(ctrl->magic == 0xa5a5a5a5U);
	CHECK(ctrl->records == 0xa5a5a5a5U);
	CHECK(dev.checksum(0, 16) == km::fnv1a(ring.user_area().subspan(0, 16)));

	size_t bad = 0;
	CHECK(pop_expect(ring, 0, bad) == records);
	CHECK(bad == 0);
	dev.reset();
	CHECK(ctrl->magic == KUIPC_MMAP_MAGIC);
	CHECK(ctrl->records == records);
	CHECK(ctrl->user_size == user_size);
	CHECK(ctrl->head == 0);
	CHECK(std::all_of(ring.mapping().data() + offsetof(km::Ctrl, pad2),
			  ring.mapping().data() + KUIPC_MMAP_CTRL_SIZE,
			  [](std::byte b) { return b == std::byte{0}; }));
}

TEST_CASE("mmap: PRODUCE counts and CHECKSUM ranges on each side of their bounds",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	const std::vector<std::byte> user = pattern(user_size, 5);
	std::memcpy(ring.user_area().data(), user.data(), user.size());
	const int fd = dev.fd();

	/* Empty ring: 0 is a no-op, the ring size fits, one more does not. */
	CHECK(produce_err(fd, records + 1) == EINVAL);
	CHECK(ring.head() == 0);
	CHECK(produce_ret(fd, 0) == 0);
	CHECK(ring.head() == 0);
	CHECK(produce_ret(fd, records) == static_cast<int>(records));
	CHECK(ring.head() == records);
	/* Full ring: 0 still succeeds, 1 is ENOSPC, the bad count EINVAL. */
	CHECK(produce_err(fd, 0) == 0);
	CHECK(produce_err(fd, 1) == ENOSPC);
	CHECK(produce_err(fd, records + 1) == EINVAL);
	CHECK(produce_err(fd, 0, 1) == EINVAL);
	CHECK(ring.head() == records);
	CHECK(ring_mismatches(ring, records) == 0);

	/* Ranges that end exactly at the end of the area, and one byte on. */
	const std::span<const std::byte> all(user);
	for (const auto &[off, len, ok] :
	     std::vector<std::tuple<uint32_t, uint32_t, bool>>{
		     {0, user_size, true},
		     {0, user_size + 1, false},
		     {user_size - 1, 1, true},
		     {user_size - 1, 2, false},
		     {user_size, 0, true},
		     {user_size, 1, false},
		     {user_size + 1, 0, false},
	     }) {
		INFO("offset " << off << " len " << len);
		kuipc_mmap_checksum cs{off, len, 0x5555aaaa5555aaaaULL};
		const int err = ioctl_err(fd, KUIPC_MMAP_CHECKSUM, &cs);
		if (ok) {
			CHECK(err == 0);
			CHECK(cs.sum == km::fnv1a(all.subspan(off, len)));
		} else {
			CHECK(err == EINVAL);
			CHECK(cs.sum == 0x5555aaaa5555aaaaULL);
		}
		CHECK(cs.offset == off);
		CHECK(cs.len == len);
	}
	CHECK(std::equal(user.begin(), user.end(), ring.user_area().begin()));
	CHECK(ring.head() == records);
}

TEST_CASE("mmap: an argument running into a PROT_NONE page gives EFAULT",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(2) == 2);
	const int fd = dev.fd();
	const kuipc::test::GuardedPages pages;
	char *end = pages.bad();

	/* PRODUCE: count readable, flags not. */
	auto *count = reinterpret_cast<uint32_t *>(end - 4);
	*count = 1;
	CHECK(ioctl_err(fd, KUIPC_MMAP_PRODUCE, end - 4) == EFAULT);
	CHECK(ring.head() == 2);
	/* CHECKSUM: offset and len readable, sum neither way. */
	auto *range = reinterpret_cast<uint32_t *>(end - 8);
	range[0] = 0;
	range[1] = 16;
	CHECK(ioctl_err(fd, KUIPC_MMAP_CHECKSUM, end - 8) == EFAULT);
	CHECK(range[0] == 0);
	CHECK(range[1] == 16);
	/* A whole struct just before the guard is fine. */
	auto *cs = reinterpret_cast<kuipc_mmap_checksum *>(end - sizeof(kuipc_mmap_checksum));
	*cs = kuipc_mmap_checksum{0, 16, 0};
	CHECK(ioctl_err(fd, KUIPC_MMAP_CHECKSUM, cs) == 0);
	CHECK(cs->sum == km::fnv1a(ring.user_area().subspan(0, 16)));
	auto *req = reinterpret_cast<kuipc_mmap_produce *>(end - sizeof(kuipc_mmap_produce));
	*req = kuipc_mmap_produce{1, 0};
	CHECK(::ioctl(fd, KUIPC_MMAP_PRODUCE, req) == 1);

	size_t bad = 0;
	CHECK(pop_expect(ring, 0, bad) == 3);
	CHECK(bad == 0);
}

TEST_CASE("mmap: an unaligned, empty or negative mapping window is refused",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(2) == 2);
	const int fd = dev.fd();
	const size_t page = page_size();
	const int rw = PROT_READ | PROT_WRITE;

	CHECK(mmap_err(fd, 0, rw, MAP_SHARED, 0) == EINVAL);
	CHECK(mmap_err(fd, page, rw, MAP_SHARED, 1) == EINVAL);
	CHECK(mmap_err(fd, page, rw, MAP_SHARED, static_cast<off_t>(page / 2)) ==
	      EINVAL);
#if defined(__i386__)
	/*
	 * A 32-bit process cannot name a negative offset: mmap2 takes it in
	 * pages, unsigned, and glibc refuses a negative off_t itself. The
	 * largest page offset it can name reaches the module, which refuses
	 * a window past its buffer.
	 */
	CHECK(mmap_err(fd, page, rw, MAP_SHARED, -static_cast<off_t>(page)) == EINVAL);
	errno = 0;
	CHECK(::syscall(SYS_mmap2, nullptr, page, rw, MAP_SHARED, fd, 0xffffffffUL) == -1);
	CHECK(errno == EINVAL);
#else
	/* pgoff + pages wraps: the kernel refuses it before the module. */
	CHECK(mmap_err(fd, page, rw, MAP_SHARED, -static_cast<off_t>(page)) ==
	      EOVERFLOW);
#endif
	CHECK(mmap_err(fd, page, rw, MAP_SHARED, INT64_MIN) == EINVAL);
	/* Neither MAP_SHARED nor MAP_PRIVATE; a validated flag it lacks. */
	CHECK(mmap_err(fd, page, rw, 0, 0) == EINVAL);
	CHECK(mmap_err(fd, page, rw, MAP_SHARED_VALIDATE | MAP_SYNC, 0) ==
	      EOPNOTSUPP);
	/* A window that ends one page past the buffer, from any start. */
	const size_t size = buffer_size();
	for (size_t off = 0; off < size; off += page) {
		INFO("offset " << off);
		CHECK(mmap_err(fd, size - off + page, rw, MAP_SHARED,
			       static_cast<off_t>(off)) == EINVAL);
		CHECK(mmap_err(fd, size - off, rw, MAP_SHARED,
			       static_cast<off_t>(off)) == 0);
	}

	CHECK(ring.head() == 2);
	size_t bad = 0;
	CHECK(pop_expect(ring, 0, bad) == 2);
	CHECK(bad == 0);
}

TEST_CASE("mmap: a write-only descriptor cannot be mapped at all",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(1) == 1);
	const kuipc::Fd wo(::open(KUIPC_MMAP_PATH, O_WRONLY | O_CLOEXEC));
	REQUIRE(wo);
	const size_t size = buffer_size();

	for (const int prot : {PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE}) {
		INFO("prot " << km::prot_string(prot));
		CHECK(mmap_err(wo.get(), size, prot, MAP_SHARED, 0) == EACCES);
	}
	CHECK(ring.head() == 1);
	CHECK(dev.poll(POLLIN, 0) == POLLIN);
}

TEST_CASE("mmap: the ring is never executable: PROT_EXEC and a later mprotect are refused",
	  "[mmap][badinput]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	CHECK(dev.produce(1) == 1);
	const size_t size = buffer_size();

	for (const int prot : {PROT_EXEC, PROT_READ | PROT_EXEC,
			       PROT_READ | PROT_WRITE | PROT_EXEC}) {
		INFO("prot " << km::prot_string(prot));
		CHECK(mmap_err(dev.fd(), size, prot, MAP_SHARED, 0) == EPERM);
	}

	void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 dev.fd(), 0);
	REQUIRE(p != MAP_FAILED);
	const int err = ::mprotect(p, size, PROT_READ | PROT_EXEC) == 0 ? 0 : errno;
	::munmap(p, size);
	CHECK(err == EACCES);

	CHECK(ring.head() == 1);
	CHECK(dev.poll(POLLIN, 0) == POLLIN);
}

TEST_CASE("mmap: after MADV_DONTNEED the ring faults back in with the module's data",
	  "[mmap]")
{
	km::Device dev = fresh_device();
	km::Ring ring(dev);
	const int fd = dev.fd();
	const size_t size = buffer_size();
	const size_t page = page_size();
	const std::vector<std::byte> user = pattern(user_size, 6);
	constexpr uint32_t made = 5;
	constexpr uint32_t consumed = 2;

	/*
	 * In a child: a SIGBUS on the second access kills the child and
	 * fails this test, not the test process. Raw calls only; each
	 * failure has its own exit code.
	 */
	const kuipc::test::ChildEnd end = kuipc::test::run_child([&] {
		void *p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return 10;
		auto *base = static_cast<std::byte *>(p);
		auto *ctrl = static_cast<km::Ctrl *>(p);

		/* Write through the ring: records, the tail, the user area. */
		const kuipc_mmap_produce req{made, 0};
		if (::ioctl(fd, KUIPC_MMAP_PRODUCE, &req) != static_cast<int>(made))
			return 11;
		__atomic_store_n(&ctrl->tail, consumed, __ATOMIC_RELEASE);
		std::memcpy(base + KUIPC_MMAP_USER_OFFSET, user.data(), user.size());

		/* Drop every page table entry of the mapping. */
		if (::madvise(p, size, MADV_DONTNEED) != 0)
			return 12;

		/* The same memory comes back, not zero-filled pages. */
		if (ctrl->magic != KUIPC_MMAP_MAGIC || ctrl->records != records)
			return 13;
		if (__atomic_load_n(&ctrl->head, __ATOMIC_ACQUIRE) != made ||
		    ctrl->tail != consumed)
			return 14;
		const auto *slots = reinterpret_cast<const Record *>(
			base + KUIPC_MMAP_DATA_OFFSET);
		for (uint32_t i = 0; i < made; ++i) {
			if (!km::equal(slots[i], km::expected_record(i)))
				return 15;
		}
		if (std::memcmp(base + KUIPC_MMAP_USER_OFFSET, user.data(),
				user.size()) != 0)
			return 16;
		/* A write after the refault reaches the module too. */
		base[KUIPC_MMAP_USER_OFFSET] = ~user[0];

		/* A window at a page offset faults in its own pages. */
		void *q = ::mmap(nullptr, size - page, PROT_READ, MAP_SHARED, fd,
				 static_cast<off_t>(page));
		if (q == MAP_FAILED)
			return 17;
		if (::madvise(q, size - page, MADV_DONTNEED) != 0)
			return 18;
		const bool same = std::memcmp(q, base + page, size - page) == 0;
		::munmap(q, size - page);
		::munmap(p, size);
		return same ? 0 : 19;
	});
	INFO("child exit code " << end.code << ", killed by signal "
				<< end.signal);
	CHECK(end.signal == 0);
	REQUIRE(end.code == 0);

	/* The module and another mapping see what the child wrote. */
	std::vector<std::byte> now = user;
	now[0] = ~user[0];
	CHECK(dev.checksum(0, user_size) == km::fnv1a(now));
	CHECK(ring.user_area()[0] == now[0]);
	CHECK(ring.head() == made);
	CHECK(ring.tail() == consumed);
	size_t bad = 0;
	CHECK(pop_expect(ring, consumed, bad) == made - consumed);
	CHECK(bad == 0);
}
