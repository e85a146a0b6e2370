// SPDX-License-Identifier: GPL-2.0
// VM tests of the chardev+ioctl pair: kuipc_chardev.ko and kuipc::chardev.
//
// The runner loads the module before these tests and unloads it after.
// Each test starts from a reset device, so none depends on another's
// leftovers. Waiting for another thread to block is done by watching its
// state in /proc, never by sleeping a guessed time.
#include <catch2/catch.hpp>

#include "chardev.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
#include <functional>
#include <future>
#include <initializer_list>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace {

using kuipc::test::errno_of;
using kuipc::test::ioctl_err;
using kuipc::test::wait_sleeping_in;

namespace cd = kuipc::chardev;
using cd::Config;
using cd::Stats;

constexpr const char *module_name = "kuipc_chardev";
constexpr uint32_t cap_min = KUIPC_CHARDEV_CAPACITY_MIN;
constexpr uint32_t cap_max = KUIPC_CHARDEV_CAPACITY_MAX;

/* Every test starts here: a reset device (empty, zero counters, defaults). */
cd::Device fresh_device(int flags = 0)
{
	cd::Device dev(KUIPC_CHARDEV_PATH, flags);
	dev.reset();
	return dev;
}

/* n bytes of a pattern that differs with seed. */
std::string pattern(size_t n, unsigned seed)
{
	std::string s(n, '\0');
	for (size_t i = 0; i < n; ++i)
		s[i] = static_cast<char>((i * 7 + size_t{seed} * 31 + i / 251) & 0xff);
	return s;
}

/* Read until exactly n bytes have come (the data must already be queued). */
std::string read_exactly(cd::Device &dev, size_t n)
{
	std::string out;
	while (out.size() < n)
		out += dev.read_string(n - out.size());
	return out;
}

using kuipc::test::bad_address;
using kuipc::test::kernel_address;
using kuipc::test::GuardedPages;

} // namespace

TEST_CASE("chardev: write then read returns the same bytes in order",
	  "[chardev]")
{
	cd::Device dev = fresh_device();

	CHECK(dev.write("hello") == 5);
	CHECK(dev.write(", world") == 7);
	/* A stream: a read takes at most what it asks for, in order. */
	CHECK(dev.read_string(3) == "hel");
	CHECK(dev.read_string() == "lo, world");

	/* Every byte value, written through a second open file. */
	std::string all(256, '\0');
	for (size_t i = 0; i < all.size(); ++i)
		all[i] = static_cast<char>(i);
	cd::Device other;
	CHECK(other.write(all) == all.size());
	CHECK(dev.read_string() == all);

	/* Zero-length calls return 0 at once, even on an empty FIFO. */
	char c = 0;
	CHECK(::write(dev.fd(), &c, 0) == 0);
	CHECK(::read(dev.fd(), &c, 0) == 0);

	/* No file position: lseek and pread fail with ESPIPE. */
	errno = 0;
	CHECK(::lseek(dev.fd(), 0, SEEK_SET) == -1);
	CHECK(errno == ESPIPE);
	errno = 0;
	CHECK(::pread(dev.fd(), &c, 1, 0) == -1);
	CHECK(errno == ESPIPE);
}

TEST_CASE("chardev: a blocked read is woken by a writer",
	  "[chardev][concurrency]")
{
	cd::Device dev = fresh_device();
	std::atomic<pid_t> tid{0};
	std::string got;
	int err = 0;

	std::thread reader([&] {
		tid = ::gettid();
		err = errno_of([&] {
			cd::Device mine;
			got = mine.read_string(64);
		});
	});
	/* The reader must be asleep in read() before the data exists. */
	CHECK(wait_sleeping_in(tid, {SYS_read}));
	CHECK(dev.write("wake up") == 7);
	reader.join();

	CHECK(err == 0);
	CHECK(got == "wake up");
	const Stats st = dev.stats();
	CHECK(st.reads == 1);
	CHECK(st.queued == 0);
}

TEST_CASE("chardev: a signal interrupts a blocked read with EINTR",
	  "[chardev][concurrency]")
{
	cd::Device dev = fresh_device();
	struct sigaction sa {};
	sa.sa_handler = [](int) {};
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the read must fail with EINTR */
	struct sigaction old {};
	REQUIRE(::sigaction(SIGUSR1, &sa, &old) == 0);

	std::atomic<pid_t> tid{0};
	ssize_t ret = 0;
	int err = 0;
	std::thread reader([&] {
		tid = ::gettid();
		char c = 0;
		ret = ::read(dev.fd(), &c, 1);
		err = errno;
	});
	const bool asleep = wait_sleeping_in(tid, {SYS_read});
	CHECK(asleep);
	if (asleep)
		::pthread_kill(reader.native_handle(), SIGUSR1);
	else
		dev.write("x"); /* never leave the thread blocked */
	reader.join();
	::sigaction(SIGUSR1, &old, nullptr);

	if (asleep) {
		CHECK(ret == -1);
		CHECK(err == EINTR);
		CHECK(dev.stats().reads == 0);
	}
}

TEST_CASE("chardev: O_NONBLOCK read on empty and write on full give EAGAIN",
	  "[chardev]")
{
	cd::Device dev = fresh_device(O_NONBLOCK);
	CHECK(errno_of([&] { (void)dev.read_string(16); }) == EAGAIN);

	dev.set_capacity(cap_min);
	const std::string first = pattern(200, 1);
	CHECK(dev.write(first) == first.size());
	/* 100 bytes do not fit in the 56 left: an atomic write stores none. */
	CHECK(errno_of([&] { dev.write(pattern(100, 2)); }) == EAGAIN);
	CHECK(dev.stats().queued == 200);
	const std::string rest = pattern(cap_min - 200, 3);
	CHECK(dev.write(rest) == rest.size());
	CHECK(errno_of([&] { dev.write("x"); }) == EAGAIN);

	CHECK(dev.read_string() == first + rest);
	CHECK(errno_of([&] { (void)dev.read_string(16); }) == EAGAIN);
	const Stats st = dev.stats();
	CHECK(st.writes == 2);
	CHECK(st.bytes_written == cap_min);
}

TEST_CASE("chardev: a write larger than the atomic size stores what fits",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();

	/* Blocking, yet it returns a short count once the FIFO is full. */
	const std::string big = pattern(cap_max + 1000, 4);
	CHECK(dev.write(big) == cap_max);
	CHECK(read_exactly(dev, cap_max) == big.substr(0, cap_max));

	/* It stores whole pieces of KUIPC_CHARDEV_ATOMIC_MAX while they fit. */
	dev.set_capacity(KUIPC_CHARDEV_ATOMIC_MAX + 44);
	const std::string two = pattern(2 * KUIPC_CHARDEV_ATOMIC_MAX + 88, 5);
	CHECK(dev.write(two) == KUIPC_CHARDEV_ATOMIC_MAX);
	CHECK(dev.stats().queued == KUIPC_CHARDEV_ATOMIC_MAX);
	CHECK(dev.read_string() == two.substr(0, KUIPC_CHARDEV_ATOMIC_MAX));
}

TEST_CASE("chardev: poll reports POLLIN and POLLOUT as the FIFO fills and drains",
	  "[chardev]")
{
	cd::Device dev = fresh_device();
	const short both = POLLIN | POLLOUT;
	CHECK(dev.poll(both, 0) == POLLOUT);

	/* A poller asleep waiting for POLLIN is woken by a write. */
	std::atomic<pid_t> tid{0};
	short rev = -1;
	std::thread poller([&] {
		tid = ::gettid();
		pollfd pfd{dev.fd(), POLLIN, 0};
		rev = ::poll(&pfd, 1, 10000) == 1 ? pfd.revents : short{0};
	});
	CHECK(wait_sleeping_in(tid, {SYS_poll, SYS_ppoll}));
	CHECK(dev.write("x") == 1);
	poller.join();
	CHECK(rev == POLLIN);
	CHECK(dev.poll(both, 0) == both);

	/* Full: POLLIN only. */
	dev.set_capacity(cap_min);
	CHECK(dev.write(pattern(cap_min - 1, 6)) == cap_min - 1);
	CHECK(dev.poll(both, 0) == POLLIN);
	/* One free byte is less than an atomic write needs: still no POLLOUT. */
	CHECK(dev.read_string(1) == "x");
	CHECK(dev.poll(both, 0) == POLLIN);

	/* A poller asleep waiting for POLLOUT is woken when a read makes room. */
	tid = 0;
	rev = -1;
	std::thread writer_poller([&] {
		tid = ::gettid();
		pollfd pfd{dev.fd(), POLLOUT, 0};
		rev = ::poll(&pfd, 1, 10000) == 1 ? pfd.revents : short{0};
	});
	CHECK(wait_sleeping_in(tid, {SYS_poll, SYS_ppoll}));
	CHECK(read_exactly(dev, cap_min - 1).size() == cap_min - 1);
	writer_poller.join();
	CHECK(rev == POLLOUT);
	CHECK(dev.poll(both, 0) == POLLOUT);
}

TEST_CASE("chardev: config set and get round trip and take effect", "[chardev]")
{
	cd::Device dev = fresh_device(O_NONBLOCK);

	const Config def = dev.config();
	CHECK(def.size == sizeof(Config));
	CHECK(def.capacity == KUIPC_CHARDEV_CAPACITY_DEFAULT);
	CHECK(def.reserved[0] == 0);
	CHECK(def.reserved[1] == 0);
	CHECK(cd::equal(def, cd::default_config()));

	for (const uint32_t cap : {cap_min, 1000U, cap_max}) {
		INFO("capacity " << cap);
		Config c = cd::default_config();
		c.capacity = cap;
		dev.set_config(c);
		CHECK(cd::equal(dev.config(), c));
	}

	/* The capacity is what writers may queue. */
	dev.set_capacity(300);
	const std::string a = pattern(256, 7);
	const std::string b = pattern(44, 8);
	CHECK(dev.write(a) == a.size());
	CHECK(errno_of([&] { dev.write(pattern(100, 9)); }) == EAGAIN);
	CHECK(dev.write(b) == b.size());

	/* Lowering it below what is queued keeps the data. */
	dev.set_capacity(cap_min);
	CHECK(dev.stats().queued == 300);
	CHECK(errno_of([&] { dev.write("x"); }) == EAGAIN);
	CHECK(dev.read_string() == a + b);

	/* The configuration belongs to the device, not to the open file. */
	cd::Device other;
	CHECK(other.config().capacity == cap_min);
}

TEST_CASE("chardev: an invalid config value gives EINVAL and changes nothing",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	const Config before = dev.config();

	for (const uint32_t cap : {0U, 1U, cap_min - 1, cap_max + 1, UINT32_MAX}) {
		INFO("capacity " << cap);
		Config c = before;
		c.capacity = cap;
		CHECK(ioctl_err(dev.fd(), KUIPC_CHARDEV_SET_CONFIG, &c) == EINVAL);
		CHECK(cd::equal(dev.config(), before));
	}

	/* A valid capacity beside a non-zero reserved field: refused whole. */
	for (const size_t i : {0U, 1U}) {
		INFO("reserved[" << i << "]");
		Config c = before;
		c.capacity = 2048;
		c.reserved[i] = 1;
		CHECK(ioctl_err(dev.fd(), KUIPC_CHARDEV_SET_CONFIG, &c) == EINVAL);
		CHECK(cd::equal(dev.config(), before));
	}

	/* Unknown flags of GET_STATS. */
	Stats st{};
	st.size = sizeof(st);
	st.flags = 1;
	CHECK(ioctl_err(dev.fd(), KUIPC_CHARDEV_GET_STATS, &st) == EINVAL);
}

TEST_CASE("chardev: a struct with the wrong size field gives EINVAL",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	const Config before = dev.config();

	constexpr auto cfg_size = static_cast<uint32_t>(sizeof(Config));
	for (const uint32_t size :
	     {0U, 8U, cfg_size - 1, cfg_size + 8, UINT32_MAX}) {
		INFO("config size " << size);
		Config c = before;
		c.capacity = 2048;
		c.size = size;
		CHECK(ioctl_err(dev.fd(), KUIPC_CHARDEV_SET_CONFIG, &c) == EINVAL);
		CHECK(cd::equal(dev.config(), before));
	}

	constexpr auto st_size = static_cast<uint32_t>(sizeof(Stats));
	for (const uint32_t size : {0U, st_size - 8, st_size + 8}) {
		INFO("stats size " << size);
		Stats st{};
		std::memset(&st, 0xaa, sizeof(st));
		st.size = size;
		st.flags = 0;
		CHECK(ioctl_err(dev.fd(), KUIPC_CHARDEV_GET_STATS, &st) == EINVAL);
		/* Nothing was written back. */
		CHECK(st.queued == 0xaaaaaaaaU);
		CHECK(st.bytes_written == 0xaaaaaaaaaaaaaaaaULL);
	}

	/* The same call with the right size answers. */
	Stats st{};
	st.size = sizeof(st);
	CHECK(ioctl_err(dev.fd(), KUIPC_CHARDEV_GET_STATS, &st) == 0);
	CHECK(st.size == sizeof(st));
}

TEST_CASE("chardev: bad user pointers give EFAULT and change nothing",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	const Config before = dev.config();
	const int fd = dev.fd();

	/* Unmapped, and a kernel address (access_ok() refuses it). */
	for (void *bad : {bad_address(1), kernel_address()}) {
		INFO("pointer " << bad);
		CHECK(ioctl_err(fd, KUIPC_CHARDEV_GET_CONFIG, bad) == EFAULT);
		CHECK(ioctl_err(fd, KUIPC_CHARDEV_SET_CONFIG, bad) == EFAULT);
		CHECK(ioctl_err(fd, KUIPC_CHARDEV_GET_STATS, bad) == EFAULT);
		errno = 0;
		CHECK(::write(fd, bad, 16) == -1);
		CHECK(errno == EFAULT);
	}
	CHECK(cd::equal(dev.config(), before));
	CHECK(dev.stats().bytes_written == 0);

	/* A read into a bad buffer consumes nothing. */
	CHECK(dev.write("keep me") == 7);
	errno = 0;
	CHECK(::read(fd, bad_address(1), 16) == -1);
	CHECK(errno == EFAULT);
	CHECK(dev.read_string() == "keep me");

	/* A write whose buffer faults part-way stores nothing of it. */
	const GuardedPages page;
	char *edge = page.tail(8);
	std::copy_n("12345678", 8, edge);
	errno = 0;
	CHECK(::write(fd, edge, 16) == -1);
	CHECK(errno == EFAULT);
	CHECK(dev.stats().queued == 0);

	/* A read that faults part-way returns only what it delivered. */
	const std::string data = pattern(32, 10);
	CHECK(dev.write(data) == data.size());
	const ssize_t n = ::read(fd, edge, data.size());
	const int err = errno;
	if (n < 0) {
		CHECK(err == EFAULT);
		CHECK(dev.read_string() == data);
	} else {
		CHECK(n <= 8);
		CHECK(std::string(edge, static_cast<size_t>(n)) ==
		      data.substr(0, static_cast<size_t>(n)));
		CHECK(dev.read_string() == data.substr(static_cast<size_t>(n)));
	}
}

TEST_CASE("chardev: an unknown ioctl gives ENOTTY", "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	const Config before = dev.config();
	const unsigned long magic = KUIPC_CHARDEV_IOC_MAGIC;
	const unsigned long get_nr = _IOC_NR(KUIPC_CHARDEV_GET_CONFIG);
	const unsigned long set_nr = _IOC_NR(KUIPC_CHARDEV_SET_CONFIG);

	const std::vector<unsigned long> cmds = {
		_IO(magic, 0x00),
		_IO(magic, 0x7f),
		_IOR(magic, get_nr, __u64),	  /* right number, wrong size */
		_IOWR(magic, get_nr, Config),	  /* wrong direction */
		_IO(magic, set_nr),		  /* no argument */
		_IOR(magic + 1, get_nr, Config), /* another magic */
		TCGETS,				  /* a terminal's */
	};
	for (const unsigned long cmd : cmds) {
		INFO("cmd " << cd::ioctl_name(cmd));
		Config c = before;
		c.capacity = 2048;
		CHECK(ioctl_err(dev.fd(), cmd, &c) == ENOTTY);
	}
	CHECK(cd::equal(dev.config(), before));

	/* isatty() relies on exactly this. */
	errno = 0;
	CHECK(::isatty(dev.fd()) == 0);
	CHECK(errno == ENOTTY);
}

TEST_CASE("chardev: lseek, pread and pwrite give ESPIPE and move no data",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	const int fd = dev.fd();
	CHECK(dev.write("queued") == 6);
	const Stats before = dev.stats();

	for (const int whence : {SEEK_SET, SEEK_CUR, SEEK_END}) {
		INFO("whence " << whence);
		errno = 0;
		CHECK(::lseek(fd, 0, whence) == -1);
		CHECK(errno == ESPIPE);
	}
	char buf[16];
	errno = 0;
	CHECK(::pread(fd, buf, sizeof(buf), 0) == -1);
	CHECK(errno == ESPIPE);
	errno = 0;
	CHECK(::pwrite(fd, "xx", 2, 0) == -1);
	CHECK(errno == ESPIPE);
	errno = 0;
	CHECK(::pwrite(fd, "xx", 2, 6) == -1);
	CHECK(errno == ESPIPE);

	const Stats after = dev.stats();
	CHECK(after.queued == before.queued);
	CHECK(after.bytes_written == before.bytes_written);
	CHECK(after.writes == before.writes);
	CHECK(after.reads == 0);
	CHECK(dev.read_string() == "queued");
}

TEST_CASE("chardev: mmap gives ENODEV and changes nothing",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	const Config before = dev.config();
	CHECK(dev.write("data") == 4);
	const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));

	for (const int flags : {MAP_SHARED, MAP_PRIVATE}) {
		for (const int prot : {PROT_READ, PROT_READ | PROT_WRITE}) {
			INFO("flags " << flags << " prot " << prot);
			errno = 0;
			void *m = ::mmap(nullptr, page, prot, flags, dev.fd(), 0);
			CHECK(m == MAP_FAILED);
			CHECK(errno == ENODEV);
			if (m != MAP_FAILED)
				::munmap(m, page);
		}
	}
	CHECK(cd::equal(dev.config(), before));
	CHECK(dev.stats().queued == 4);
	CHECK(dev.read_string() == "data");
}

TEST_CASE("chardev: zero-byte read and write return 0 at once and count "
	  "nothing",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	const int fd = dev.fd();

	/* Blocking descriptor, empty FIFO: a read of 0 bytes must not wait. */
	char buf[4];
	CHECK(::read(fd, buf, 0) == 0);
	CHECK(::read(fd, nullptr, 0) == 0);
	CHECK(::write(fd, buf, 0) == 0);
	CHECK(::write(fd, nullptr, 0) == 0);
	Stats st = dev.stats();
	CHECK(st.queued == 0);
	CHECK(st.writes == 0);
	CHECK(st.reads == 0);

	/* Nor with data queued, nor through an unmapped pointer. */
	CHECK(dev.write("abc") == 3);
	CHECK(::read(fd, bad_address(1), 0) == 0);
	CHECK(::write(fd, bad_address(1), 0) == 0);
	st = dev.stats();
	CHECK(st.queued == 3);
	CHECK(st.writes == 1);
	CHECK(st.bytes_written == 3);
	CHECK(st.reads == 0);
	CHECK(dev.read_string() == "abc");
}

TEST_CASE("chardev: an ioctl struct that straddles an inaccessible page gives "
	  "EFAULT",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	const Config before = dev.config();
	CHECK(dev.write("abc") == 3);
	const int fd = dev.fd();

	/* Only the first 8 bytes of the struct are readable. */
	const GuardedPages page;
	Config c = before;
	c.capacity = 2048;
	char *half = page.tail(8);
	std::memcpy(half, &c, 8);
	CHECK(ioctl_err(fd, KUIPC_CHARDEV_SET_CONFIG, half) == EFAULT);
	CHECK(ioctl_err(fd, KUIPC_CHARDEV_GET_CONFIG, half) == EFAULT);
	CHECK(cd::equal(dev.config(), before));

	/* Stats: the input part readable, the rest not. */
	Stats st{};
	st.size = sizeof(st);
	char *most = page.tail(sizeof(st) - 8);
	std::memcpy(most, &st, sizeof(st) - 8);
	CHECK(ioctl_err(fd, KUIPC_CHARDEV_GET_STATS, most) == EFAULT);

	/* A read-only buffer for a struct the module writes back. */
	const auto size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
	void *ro = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ro != MAP_FAILED);
	std::memcpy(ro, &st, sizeof(st));
	REQUIRE(::mprotect(ro, size, PROT_READ) == 0);
	CHECK(ioctl_err(fd, KUIPC_CHARDEV_GET_CONFIG, ro) == EFAULT);
	CHECK(ioctl_err(fd, KUIPC_CHARDEV_GET_STATS, ro) == EFAULT);
	::munmap(ro, size);

	CHECK(cd::equal(dev.config(), before));
	const Stats after = dev.stats();
	CHECK(after.queued == 3);
	CHECK(after.writes == 1);
	CHECK(dev.read_string() == "abc");
}

TEST_CASE("chardev: its ioctls on another kind of descriptor give ENOTTY or "
	  "EBADF",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	const Config before = dev.config();
	Config c = before;
	c.capacity = 2048;
	Stats st{};
	st.size = sizeof(st);

	const kuipc::Fd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
	REQUIRE(null_fd);
	int pipe_fds[2];
	REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
	const kuipc::Fd pipe_r(pipe_fds[0]);
	const kuipc::Fd pipe_w(pipe_fds[1]);
	for (const int fd : {null_fd.get(), pipe_r.get(), pipe_w.get()}) {
		INFO("fd " << fd);
		CHECK(ioctl_err(fd, KUIPC_CHARDEV_SET_CONFIG, &c) == ENOTTY);
		CHECK(ioctl_err(fd, KUIPC_CHARDEV_GET_CONFIG, &c) == ENOTTY);
		CHECK(ioctl_err(fd, KUIPC_CHARDEV_GET_STATS, &st) == ENOTTY);
		CHECK(ioctl_err(fd, KUIPC_CHARDEV_RESET, nullptr) == ENOTTY);
	}

	/* An O_PATH descriptor of the device node itself is no open file. */
	const kuipc::Fd path_fd(::open(KUIPC_CHARDEV_PATH, O_PATH | O_CLOEXEC));
	REQUIRE(path_fd);
	CHECK(ioctl_err(path_fd.get(), KUIPC_CHARDEV_SET_CONFIG, &c) == EBADF);
	CHECK(ioctl_err(path_fd.get(), KUIPC_CHARDEV_RESET, nullptr) == EBADF);

	CHECK(dev.write("kept") == 4);
	CHECK(cd::equal(dev.config(), before));
	CHECK(dev.stats().queued == 4);
	CHECK(dev.read_string() == "kept");
}

TEST_CASE("chardev: read on a write-only and write on a read-only descriptor "
	  "give EBADF",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	CHECK(dev.write("abc") == 3);

	const kuipc::Fd wo(::open(KUIPC_CHARDEV_PATH, O_WRONLY | O_CLOEXEC));
	const kuipc::Fd ro(::open(KUIPC_CHARDEV_PATH, O_RDONLY | O_CLOEXEC));
	REQUIRE(wo);
	REQUIRE(ro);
	char buf[8];
	errno = 0;
	CHECK(::read(wo.get(), buf, sizeof(buf)) == -1);
	CHECK(errno == EBADF);
	errno = 0;
	CHECK(::write(ro.get(), "xyz", 3) == -1);
	CHECK(errno == EBADF);

	const Stats st = dev.stats();
	CHECK(st.queued == 3);
	CHECK(st.writes == 1);
	CHECK(st.reads == 0);
	CHECK(dev.read_string() == "abc");
}

TEST_CASE("chardev: stats count bytes and calls; reset clears FIFO, stats and config",
	  "[chardev]")
{
	cd::Device dev = fresh_device(O_NONBLOCK);
	Stats st = dev.stats();
	CHECK(st.size == sizeof(Stats));
	CHECK(st.flags == 0);
	CHECK(st.reserved == 0);
	CHECK(st.queued == 0);
	CHECK(st.bytes_written == 0);
	CHECK(st.bytes_read == 0);
	CHECK(st.writes == 0);
	CHECK(st.reads == 0);

	CHECK(dev.write("abc") == 3);
	CHECK(dev.write("defgh") == 5);
	CHECK(dev.write("") == 0); /* stores nothing, counts nothing */
	CHECK(dev.read_string(4) == "abcd");
	st = dev.stats();
	CHECK(st.queued == 4);
	CHECK(st.bytes_written == 8);
	CHECK(st.bytes_read == 4);
	CHECK(st.writes == 2);
	CHECK(st.reads == 1);

	dev.set_capacity(1024);
	dev.reset();
	st = dev.stats();
	CHECK(st.queued == 0);
	CHECK(st.bytes_written == 0);
	CHECK(st.bytes_read == 0);
	CHECK(st.writes == 0);
	CHECK(st.reads == 0);
	CHECK(errno_of([&] { (void)dev.read_string(16); }) == EAGAIN);
	CHECK(cd::equal(dev.config(), cd::default_config()));
}

TEST_CASE("chardev: reset wakes a writer blocked on a full FIFO",
	  "[chardev][concurrency]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(cap_min);
	CHECK(dev.write(pattern(cap_min, 11)) == cap_min);

	std::atomic<pid_t> tid{0};
	size_t wrote = 0;
	int err = 0;
	std::thread writer([&] {
		tid = ::gettid();
		err = errno_of([&] {
			cd::Device mine;
			wrote = mine.write("late");
		});
	});
	CHECK(wait_sleeping_in(tid, {SYS_write}));
	dev.reset(); /* wakes the writer even if the check above failed */
	writer.join();

	CHECK(err == 0);
	CHECK(wrote == 4);
	CHECK(dev.read_string() == "late");
	const Stats st = dev.stats();
	CHECK(st.bytes_written == 4);
	CHECK(st.writes == 1);
}

namespace {

/* What the concurrency test sends: 16 bytes, checkable on their own. */
struct Record {
	uint32_t writer;
	uint32_t seq;
	uint64_t check;
};
static_assert(sizeof(Record) == 16);
static_assert(KUIPC_CHARDEV_ATOMIC_MAX % sizeof(Record) == 0);

/* Most records one atomic write() can carry. */
constexpr size_t max_batch = KUIPC_CHARDEV_ATOMIC_MAX / sizeof(Record);
/* Record.writer of the records that tell a reader to stop. */
constexpr uint32_t stop_writer = 0xffffffffU;

uint64_t record_check(uint32_t writer, uint32_t seq)
{
	return ((uint64_t{writer} << 32 | seq) * 0x9e3779b97f4a7c15ULL) ^
	       0x5bd1e9955bd1e995ULL;
}

/*
 * Write records 0..count-1 of writer w in batches of 1 to max_batch
 * records, one write() each. Returns "" or what went wrong.
 */
std::string write_records(uint32_t w, uint32_t count)
{
	try {
		cd::Device dev;
		std::vector<Record> batch;
		uint32_t seq = 0;
		for (size_t k = w; seq < count; ++k) {
			const size_t len =
				std::min<size_t>(1 + k % max_batch, count - seq);
			batch.clear();
			for (size_t i = 0; i < len; ++i, ++seq)
				batch.push_back({w, seq, record_check(w, seq)});
			const auto bytes = std::as_bytes(std::span(batch));
			const size_t n = dev.write(bytes);
			if (n != bytes.size())
				return "short write of " + std::to_string(n) +
				       " of " + std::to_string(bytes.size());
		}
	} catch (const kuipc::Error &e) {
		return e.what();
	}
	return "";
}

struct ReaderResult {
	std::vector<Record> got;
	size_t stops = 0;    /* stop records read */
	size_t reposted = 0; /* stop records written back */
	std::string error;
};

/*
 * Read whole numbers of records (at most batch per read()) until a stop
 * record comes. A reader that gets several stop records in one read puts
 * the extra ones back, so each reader ends on exactly one.
 */
void read_records(size_t batch, ReaderResult &res)
{
	try {
		cd::Device dev;
		std::vector<Record> buf(batch);
		for (;;) {
			const size_t n =
				dev.read(std::as_writable_bytes(std::span(buf)));
			if (n % sizeof(Record) != 0) {
				res.error = "torn read of " + std::to_string(n);
				return;
			}
			for (size_t i = 0; i < n / sizeof(Record); ++i) {
				if (buf[i].writer == stop_writer)
					++res.stops;
				else
					res.got.push_back(buf[i]);
			}
			if (res.stops == 0)
				continue;
			res.reposted = res.stops - 1;
			const std::vector<Record> back(res.reposted,
						       Record{stop_writer, 0, 0});
			if (!back.empty())
				dev.write(std::as_bytes(std::span(back)));
			return;
		}
	} catch (const kuipc::Error &e) {
		res.error = e.what();
	}
}

} // namespace

TEST_CASE("chardev: concurrent writers and readers lose, repeat and tear no record",
	  "[chardev][concurrency]")
{
	constexpr uint32_t writers = 4;
	constexpr uint32_t readers = 3;
	constexpr uint32_t per_writer = 3000;

	cd::Device ctl = fresh_device();
	/* Small, so that writers and readers block on each other often. */
	ctl.set_capacity(2 * cap_min);

	std::vector<ReaderResult> rres(readers);
	std::vector<std::thread> rthreads;
	for (uint32_t r = 0; r < readers; ++r)
		rthreads.emplace_back(read_records, 5 * (r + 1), std::ref(rres[r]));
	std::vector<std::string> werr(writers);
	std::vector<std::thread> wthreads;
	for (uint32_t w = 0; w < writers; ++w)
		wthreads.emplace_back([&werr, w] {
			werr[w] = write_records(w, per_writer);
		});
	for (auto &t : wthreads)
		t.join();
	/* All data is queued or read; the stop records come after it. */
	const std::vector<Record> stops(readers, Record{stop_writer, 0, 0});
	CHECK(ctl.write(std::as_bytes(std::span(stops))) ==
	      readers * sizeof(Record));
	for (auto &t : rthreads)
		t.join();

	for (const auto &e : werr)
		CHECK(e.empty());
	size_t stops_seen = 0;
	size_t reposted = 0;
	size_t bad = 0;
	size_t out_of_order = 0;
	std::vector<std::vector<unsigned>> seen(
		writers, std::vector<unsigned>(per_writer));
	for (const auto &res : rres) {
		CHECK(res.error.empty());
		CHECK(res.stops >= 1);
		stops_seen += res.stops;
		reposted += res.reposted;
		/* One reader sees each writer's records in the order written. */
		std::vector<int64_t> last(writers, -1);
		for (const Record &rec : res.got) {
			if (rec.writer >= writers || rec.seq >= per_writer ||
			    rec.check != record_check(rec.writer, rec.seq)) {
				++bad;
				continue;
			}
			++seen[rec.writer][rec.seq];
			if (static_cast<int64_t>(rec.seq) <= last[rec.writer])
				++out_of_order;
			last[rec.writer] = rec.seq;
		}
	}
	size_t missing = 0;
	size_t repeated = 0;
	for (const auto &v : seen) {
		for (const unsigned n : v) {
			missing += n == 0 ? 1 : 0;
			repeated += n > 1 ? 1 : 0;
		}
	}
	CHECK(bad == 0);
	CHECK(missing == 0);
	CHECK(repeated == 0);
	CHECK(out_of_order == 0);
	CHECK(stops_seen == readers + reposted);

	/* Everything written was read; the counters agree. */
	const Stats st = ctl.stats();
	CHECK(st.queued == 0);
	CHECK(st.bytes_read == st.bytes_written);
	const uint64_t records = uint64_t{writers} * per_writer + readers + reposted;
	CHECK(st.bytes_written == records * sizeof(Record));
}

TEST_CASE("chardev: an open file pins the module; unload removes the node",
	  "[chardev][lifecycle]")
{
	/* Whatever happens below, leave the module loaded for the runner. */
	const kuipc::test::ReloadGuard reload("chardev");

	{
		cd::Device dev = fresh_device();
		CHECK(dev.write("pinned") == 6);
		const int err = errno_of([] { kuipc::unload_module(module_name, 0); });
		CHECK((err == EAGAIN || err == EBUSY));
		CHECK(kuipc::module_loaded(module_name));
		/* Still fully working. */
		CHECK(dev.read_string() == "pinned");
	}

	/* Closed: the unload goes through and the node goes with it. */
	REQUIRE_NOTHROW(kuipc::unload_module(module_name, 2000));
	CHECK_FALSE(kuipc::module_loaded(module_name));
	struct stat st {};
	errno = 0;
	CHECK(::stat(KUIPC_CHARDEV_PATH, &st) == -1);
	CHECK(errno == ENOENT);

	/* Loaded again: a new node, and a device in its initial state. */
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path("chardev")));
	REQUIRE(::stat(KUIPC_CHARDEV_PATH, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	cd::Device dev;
	CHECK(cd::equal(dev.config(), cd::default_config()));
	CHECK(dev.stats().bytes_written == 0);
	CHECK(dev.write("again") == 5);
	CHECK(dev.read_string() == "again");
}

TEST_CASE("chardev: the node is root-only and refuses an unprivileged open",
	  "[chardev][permission]")
{
	cd::Device dev = fresh_device();
	struct stat st {};
	REQUIRE(::stat(KUIPC_CHARDEV_PATH, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) == 10); /* MISC_MAJOR: a misc device */
	CHECK((st.st_mode & 07777) == KUIPC_CHARDEV_MODE);
	CHECK(st.st_uid == 0);

	for (const int flags : {O_RDWR, O_RDONLY, O_WRONLY}) {
		INFO("open flags " << flags);
		CHECK(kuipc::test::run_unprivileged([flags] {
			return kuipc::test::open_errno(KUIPC_CHARDEV_PATH, flags);
		}) == EACCES);
	}
}

TEST_CASE("chardev: set config and reset need CAP_SYS_ADMIN, even with an open fd",
	  "[chardev][permission]")
{
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	CHECK(dev.write("keep") == 4);
	const Config before = dev.config();
	const int fd = dev.fd();

	/* The child inherits fd but drops every capability with its uid. */
	CHECK(kuipc::test::run_unprivileged([fd] {
		return ioctl_err(fd, KUIPC_CHARDEV_RESET, nullptr);
	}) == EPERM);
	CHECK(kuipc::test::run_unprivileged([fd] {
		Config c = cd::default_config();
		return ioctl_err(fd, KUIPC_CHARDEV_SET_CONFIG, &c);
	}) == EPERM);
	CHECK(cd::equal(dev.config(), before));
	CHECK(dev.stats().queued == 4);

	/* Queries and the data path are open to whoever holds the fd. */
	CHECK(kuipc::test::run_unprivileged([fd] {
		Config c{};
		return ioctl_err(fd, KUIPC_CHARDEV_GET_CONFIG, &c);
	}) == 0);
	CHECK(kuipc::test::run_unprivileged([fd] {
		Stats s{};
		s.size = sizeof(s);
		return ioctl_err(fd, KUIPC_CHARDEV_GET_STATS, &s);
	}) == 0);
	CHECK(kuipc::test::run_unprivileged([fd] {
		return ::write(fd, "!", 1) == 1 ? 0 : errno;
	}) == 0);
	CHECK(dev.read_string() == "keep!");
}

TEST_CASE("chardev: root in a new user namespace is refused what needs a capability in the initial one",
	  "[chardev][permission]")
{
	using kuipc::test::run_in_userns;
	cd::Device dev = fresh_device();
	dev.set_capacity(1024);
	CHECK(dev.write("keep") == 4);
	const Config before = dev.config();
	const int fd = dev.fd();

	/* Its uid 0 is nobody outside: the root-owned 0600 node stays shut. */
	for (const int flags : {O_RDWR, O_RDONLY, O_WRONLY}) {
		INFO("open flags " << flags);
		CHECK(run_in_userns([flags] {
			return kuipc::test::open_errno(KUIPC_CHARDEV_PATH, flags);
		}) == EACCES);
	}

	/* CAP_SYS_ADMIN in its own namespace is not capable(CAP_SYS_ADMIN). */
	CHECK(run_in_userns([fd] {
		return ioctl_err(fd, KUIPC_CHARDEV_RESET, nullptr);
	}) == EPERM);
	CHECK(run_in_userns([fd] {
		Config c = cd::default_config();
		return ioctl_err(fd, KUIPC_CHARDEV_SET_CONFIG, &c);
	}) == EPERM);
	CHECK(cd::equal(dev.config(), before));
	CHECK(dev.stats().queued == 4);

	/* The descriptor works there: the refusals were the capability's. */
	CHECK(run_in_userns([fd] {
		Config c{};
		const int err = ioctl_err(fd, KUIPC_CHARDEV_GET_CONFIG, &c);
		if (err != 0)
			return err;
		return ::write(fd, "!", 1) == 1 ? 0 : errno;
	}) == 0);
	CHECK(dev.read_string() == "keep!");
}

TEST_CASE("chardev: a non-zero reserved field of GET_STATS gives EINVAL, nothing copied out",
	  "[chardev][badinput]")
{
	cd::Device dev = fresh_device();
	dev.write("abc");
	const auto before = dev.stats();

	for (const uint32_t reserved : {1U, 0x80000000U, 0xffffffffU}) {
		CAPTURE(reserved);
		kuipc_chardev_stats st{};
		st.size = sizeof(st);
		st.reserved = reserved;
		st.bytes_written = 0x5a5a5a5a;
		CHECK(ioctl_err(dev.fd(), KUIPC_CHARDEV_GET_STATS, &st) == EINVAL);
		CHECK(st.bytes_written == 0x5a5a5a5a); /* nothing written back */
	}
	const auto after = dev.stats();
	CHECK(after.bytes_written == before.bytes_written);
	CHECK(after.queued == before.queued);
	CHECK(after.reserved == 0);
}

TEST_CASE("chardev: poll and write do not wait for a read stalled in its user copy",
	  "[chardev][concurrency]")
{
	using namespace std::chrono_literals;
	cd::Device dev = fresh_device();
	const auto page = kuipc::test::userfault_page();
	const std::string data = pattern(300, 11);
	REQUIRE(dev.write(data) == data.size());

	/* A read into a page whose fault stalls until resolve(). */
	ssize_t got = -1;
	int err = 0;
	std::thread reader([&] {
		got = ::read(dev.fd(), page->addr(), data.size());
		err = got < 0 ? errno : 0;
	});
	const bool stalled = page->wait_fault(kuipc::test::patience(10s));

	/* Meanwhile, through another open file: poll, then an atomic write. */
	std::promise<short> polled;
	std::future<short> revents = polled.get_future();
	ssize_t wrote = -1;
	std::thread other([&] {
		cd::Device mine;
		pollfd pfd{mine.fd(), POLLIN | POLLOUT, 0};
		polled.set_value(::poll(&pfd, 1, 0) == 1 ? pfd.revents : short{-1});
		wrote = ::write(mine.fd(), "after", 5);
	});
	const bool prompt = revents.wait_for(kuipc::test::patience(3s)) ==
			    std::future_status::ready;
	/* Let the read through on every path, then collect both threads. */
	page->resolve();
	reader.join();
	other.join();

	CHECK(stalled);
	CHECK(prompt);
	CHECK((revents.get() & POLLOUT) != 0);
	CHECK(wrote == 5);
	/* The stalled read got its bytes, in order, and then the write's. */
	CHECK(err == 0);
	REQUIRE(got == static_cast<ssize_t>(data.size()));
	CHECK(std::string(page->addr(), data.size()) == data);
	CHECK(dev.read_string() == "after");
	const Stats st = dev.stats();
	CHECK(st.reads == 2);
	CHECK(st.bytes_read == data.size() + 5);
	CHECK(st.queued == 0);
}
