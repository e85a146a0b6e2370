// SPDX-License-Identifier: GPL-2.0
// VM tests of the eventfd pair: kuipc_eventfd.ko and kuipc::eventfd.
//
// The runner loads the module before these tests and unloads it after.
// Registrations end with the open file they were made through, so every
// test starts from free channels (it checks so) and leaves them free by
// closing its own descriptors. Waiting for another thread to block is done
// by watching its state in /proc, never by sleeping a guessed time.
//
// The eventfd counter and id are read back without disturbing them from
// /proc/self/fdinfo/<fd> ("eventfd-count" in hex, "eventfd-id"). Ids come
// from a kernel IDA that always hands out the lowest free one, which lets
// the lifecycle tests see whether the module still holds an eventfd context
// that no descriptor refers to any more.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "eventfd.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace {

using kuipc::test::bad_address;
using kuipc::test::kernel_address;
using kuipc::test::errno_of;
using kuipc::test::ioctl_err;
using kuipc::test::wait_sleeping_in;

namespace ke = kuipc::eventfd;
using ke::Status;

constexpr const char *module_name = "kuipc_eventfd";
constexpr uint32_t nch = KUIPC_EVENTFD_CHANNELS;

int register_err(const ke::Device &dev, uint32_t channel, int efd,
		 uint32_t flags = 0, uint32_t reserved = 0)
{
	kuipc_eventfd_register req{};
	req.channel = channel;
	req.efd = efd;
	req.flags = flags;
	req.reserved = reserved;
	return ioctl_err(dev.fd(), KUIPC_EVENTFD_REGISTER, &req);
}

int unregister_err(const ke::Device &dev, uint32_t channel, uint32_t flags = 0)
{
	kuipc_eventfd_unregister req{};
	req.channel = channel;
	req.flags = flags;
	return ioctl_err(dev.fd(), KUIPC_EVENTFD_UNREGISTER, &req);
}

kuipc_eventfd_msg make_msg(uint32_t channel, const void *data, uint32_t len)
{
	kuipc_eventfd_msg m{};
	m.channel = channel;
	m.len = len;
	m.data = reinterpret_cast<uintptr_t>(data);
	return m;
}

int produce_err(const ke::Device &dev, kuipc_eventfd_msg m)
{
	return ioctl_err(dev.fd(), KUIPC_EVENTFD_PRODUCE, &m);
}

int produce_err(const ke::Device &dev, uint32_t channel, std::string_view s)
{
	return produce_err(dev, make_msg(channel, s.data(),
					 static_cast<uint32_t>(s.size())));
}

/* Registrations end with their file: a test starts with every channel free. */
void require_all_free(const ke::Device &dev)
{
	for (uint32_t ch = 0; ch < nch; ++ch) {
		INFO("channel " << ch);
		const Status st = dev.status(ch);
		REQUIRE(st.flags == 0);
		REQUIRE(st.queued == 0);
	}
}

/* A field of /proc/self/fdinfo/<fd>, e.g. "eventfd-id"; throws if absent. */
std::string fdinfo_field(int fd, const std::string &key)
{
	const std::string info = kuipc::test::read_file(
		"/proc/self/fdinfo/" + std::to_string(fd));
	const std::string tag = key + ":";
	auto pos = info.find(tag);
	if (pos == std::string::npos || (pos != 0 && info[pos - 1] != '\n'))
		kuipc::throw_err(ENOENT, "fdinfo of fd " + std::to_string(fd) +
						 " has no " + key);
	pos += tag.size();
	const auto end = info.find('\n', pos);
	return info.substr(pos, end - pos);
}

/* The counter of an eventfd, read without resetting it. */
uint64_t eventfd_count(int fd)
{
	return std::stoull(fdinfo_field(fd, "eventfd-count"), nullptr, 16);
}

/* The kernel's id of an eventfd context (lowest free when created). */
int eventfd_id(int fd)
{
	return std::stoi(fdinfo_field(fd, "eventfd-id"));
}

/* The system calls glibc's select() may use. */
const std::initializer_list<long> select_calls = {SYS_select, SYS_pselect6};

using kuipc::test::GuardedPages;

/* A kuipc_eventfd_msg on a page of its own that user space can only read. */
class ReadOnlyMsg {
public:
	explicit ReadOnlyMsg(const kuipc_eventfd_msg &m)
		: size_(static_cast<size_t>(::sysconf(_SC_PAGESIZE))),
		  base_(::mmap(nullptr, size_, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
	{
		if (base_ == MAP_FAILED)
			kuipc::throw_errno("mmap");
		std::memcpy(base_, &m, sizeof(m));
		if (::mprotect(base_, size_, PROT_READ) != 0) {
			const int err = errno;
			::munmap(base_, size_);
			kuipc::throw_err(err, "mprotect");
		}
	}
	ReadOnlyMsg(const ReadOnlyMsg &) = delete;
	ReadOnlyMsg &operator=(const ReadOnlyMsg &) = delete;
	~ReadOnlyMsg() { ::munmap(base_, size_); }

	[[nodiscard]] const void *get() const noexcept { return base_; }

private:
	size_t size_;
	void *base_;
};

} // namespace

TEST_CASE("eventfd: a produced item signals the eventfd and is fetched back",
	  "[eventfd]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 3;
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());

	Status st = dev.status(ch);
	CHECK(st.channel == ch);
	CHECK(st.flags == (KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER));
	CHECK(st.queued == 0);
	CHECK(st.produced == 0);
	CHECK(st.fetched == 0);
	CHECK(st.reserved == 0);
	/* Nothing produced: not readable. */
	CHECK_FALSE(efd.wait(0));
	CHECK(errno_of([&] { (void)dev.fetch(ch); }) == EAGAIN);

	dev.produce(ch, "hello");
	CHECK(efd.wait(0));
	st = dev.status(ch);
	CHECK(st.queued == 1);
	CHECK(st.produced == 1);
	CHECK(efd.read() == 1);
	CHECK_FALSE(efd.wait(0));
	const ke::Item item = dev.fetch(ch);
	CHECK(item.seq == 0);
	CHECK(item.data == "hello");
	st = dev.status(ch);
	CHECK(st.queued == 0);
	CHECK(st.fetched == 1);

	/* Every byte value, a full-size payload, and an empty one. */
	std::string all(KUIPC_EVENTFD_PAYLOAD_MAX, '\0');
	for (size_t i = 0; i < all.size(); ++i)
		all[i] = static_cast<char>(i);
	dev.produce(ch, all);
	dev.produce(ch, "");
	CHECK(efd.read() == 2);
	const ke::Item full = dev.fetch(ch);
	CHECK(full.seq == 1);
	CHECK(full.data == all);
	const ke::Item empty = dev.fetch(ch);
	CHECK(empty.seq == 2);
	CHECK(empty.data.empty());

	/* Through another open file: PRODUCE and FETCH need no registration. */
	ke::Device other;
	other.produce(ch, "via another file");
	CHECK(efd.read() == 1);
	CHECK(other.fetch(ch).data == "via another file");
	CHECK(other.status(ch).flags == KUIPC_EVENTFD_REGISTERED);

	/* An ioctl-only device: no file position. */
	errno = 0;
	CHECK(::lseek(dev.fd(), 0, SEEK_SET) == -1);
	CHECK(errno == ESPIPE);

	dev.unregister(ch);
	CHECK(dev.status(ch).flags == 0);
}

namespace {

/* What one waiter of the wake-up test saw. */
struct Waiter {
	std::atomic<pid_t> tid{0};
	int selected = -1; /* select()'s return value */
	bool own = false;  /* its own eventfd was in the readable set */
	bool stop = false; /* the stop eventfd was */
	uint64_t count = 0;
	std::string data; /* what it fetched */
	std::string error;
};

/*
 * As in the classic scenario: one thread per channel creates an eventfd,
 * registers it through the shared device and waits in select(). Only the
 * target's channel is produced. The target must wake; every other waiter
 * must still be asleep, and leaves only when the test writes the stop
 * eventfd that all of them also watch, so no timeout decides anything.
 */
void wake_round(uint32_t target)
{
	INFO("target channel " << target);
	ke::Device dev;
	require_all_free(dev);
	ke::EventFd stop(EFD_NONBLOCK);
	std::array<Waiter, nch> w;
	std::vector<std::thread> threads;

	for (uint32_t i = 0; i < nch; ++i) {
		threads.emplace_back([&dev, &stop, &w, i] {
			Waiter &me = w[i];
			me.tid = ::gettid();
			try {
				ke::EventFd efd(EFD_NONBLOCK);
				dev.register_eventfd(i, efd.fd());
				fd_set rfds;
				FD_ZERO(&rfds);
				FD_SET(efd.fd(), &rfds);
				FD_SET(stop.fd(), &rfds);
				timeval tv{10, 0}; /* a safety net only */
				me.selected = ::select(std::max(efd.fd(), stop.fd()) + 1,
						       &rfds, nullptr, nullptr, &tv);
				me.own = FD_ISSET(efd.fd(), &rfds);
				me.stop = FD_ISSET(stop.fd(), &rfds);
				if (me.own) {
					me.count = efd.read();
					me.data = dev.fetch(i).data;
				}
				dev.unregister(i);
			} catch (const kuipc::Error &e) {
				me.error = e.what();
			}
		});
	}
	bool all_asleep = true;
	for (uint32_t i = 0; i < nch; ++i)
		all_asleep = wait_sleeping_in(w[i].tid, select_calls) && all_asleep;
	CHECK(all_asleep);
	/* Registered through the shared open file, as threads of a process. */
	for (uint32_t i = 0; i < nch; ++i) {
		INFO("channel " << i);
		CHECK(dev.status(i).flags ==
		      (KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER));
	}

	dev.produce(target, "for " + std::to_string(target));
	threads[target].join();
	CHECK(w[target].error.empty());
	CHECK(w[target].selected == 1);
	CHECK(w[target].own);
	CHECK_FALSE(w[target].stop);
	CHECK(w[target].count == 1);
	CHECK(w[target].data == "for " + std::to_string(target));

	/* Nobody else was woken: all are still asleep in select(). */
	for (uint32_t i = 0; i < nch; ++i) {
		if (i == target)
			continue;
		INFO("channel " << i);
		CHECK(wait_sleeping_in(w[i].tid, select_calls));
	}
	stop.write(1);
	for (uint32_t i = 0; i < nch; ++i) {
		if (i != target)
			threads[i].join();
	}
	for (uint32_t i = 0; i < nch; ++i) {
		if (i == target)
			continue;
		INFO("channel " << i);
		CHECK(w[i].error.empty());
		CHECK(w[i].selected == 1);
		CHECK_FALSE(w[i].own);
		CHECK(w[i].stop);
	}
	/* Every waiter unregistered on its way out. */
	for (uint32_t i = 0; i < nch; ++i) {
		INFO("channel " << i);
		CHECK(dev.status(i).flags == 0);
	}
}

} // namespace

TEST_CASE("eventfd: only the thread whose channel is produced wakes",
	  "[eventfd][concurrency]")
{
	for (const uint32_t target : {0U, nch / 2, nch - 1})
		wake_round(target);
}

TEST_CASE("eventfd: the counter gets one increment per produced item",
	  "[eventfd]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 1;
	ke::Listener l(dev, ch);
	ke::EventFd &efd = l.eventfd();

	/* Three items before the reader looks: one read returns 3. */
	for (const char *s : {"one", "two", "three"})
		dev.produce(ch, s);
	CHECK(eventfd_count(efd.fd()) == 3);
	CHECK(efd.read() == 3);
	CHECK(eventfd_count(efd.fd()) == 0);
	CHECK(errno_of([&] { (void)efd.read(); }) == EAGAIN);
	/* The read took the count, not the items: they are all there. */
	const std::vector<ke::Item> items = l.fetch_all();
	REQUIRE(items.size() == 3);
	CHECK(items[0].data == "one");
	CHECK(items[1].data == "two");
	CHECK(items[2].data == "three");
	for (size_t i = 0; i < items.size(); ++i)
		CHECK(items[i].seq == i);

	/* The count is the items since the last read, whatever was fetched. */
	dev.produce(ch, "four");
	CHECK(dev.fetch(ch).data == "four");
	dev.produce(ch, "five");
	CHECK(l.wait(0) == 2);
	CHECK(dev.fetch(ch).seq == 4);

	/* The module adds to what user space wrote: it never resets. */
	efd.write(10);
	dev.produce(ch, "six");
	CHECK(efd.read() == 11);
	const Status st = dev.status(ch);
	CHECK(st.produced == 6);
	CHECK(st.fetched == 5);
	CHECK(st.queued == 1);
}

TEST_CASE("eventfd: an EFD_SEMAPHORE eventfd reads 1 per produced item",
	  "[eventfd]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 5;
	ke::Listener l(dev, ch, EFD_SEMAPHORE);
	ke::EventFd &efd = l.eventfd();

	for (const char *s : {"a", "b", "c"})
		dev.produce(ch, s);
	CHECK(eventfd_count(efd.fd()) == 3);
	/* Each read takes one: read, fetch, three times; then nothing. */
	for (const char *s : {"a", "b", "c"}) {
		INFO("item " << s);
		CHECK(efd.wait(0));
		CHECK(efd.read() == 1);
		CHECK(dev.fetch(ch).data == s);
	}
	CHECK_FALSE(efd.wait(0));
	CHECK(errno_of([&] { (void)efd.read(); }) == EAGAIN);
	CHECK(errno_of([&] { (void)dev.fetch(ch); }) == EAGAIN);
	CHECK(eventfd_count(efd.fd()) == 0);
}

TEST_CASE("eventfd: REGISTER of a non-eventfd gives EINVAL, of a closed fd EBADF",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 2;

	std::array<int, 2> p{};
	REQUIRE(::pipe2(p.data(), O_CLOEXEC) == 0);
	const kuipc::Fd rd(p[0]);
	const kuipc::Fd wr(p[1]);
	const kuipc::Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
	REQUIRE(null);
	const kuipc::Fd memfd(::memfd_create("kuipc", MFD_CLOEXEC));
	REQUIRE(memfd);
	for (const int fd : {rd.get(), wr.get(), null.get(), memfd.get(), dev.fd()}) {
		INFO("fd " << fd);
		CHECK(register_err(dev, ch, fd) == EINVAL);
	}

	/* A descriptor that was an eventfd and is closed now, or never was. */
	int closed = -1;
	{
		const ke::EventFd gone;
		closed = gone.fd();
	}
	for (const int fd : {closed, -1, INT_MIN, INT_MAX, 1 << 20}) {
		INFO("fd " << fd);
		CHECK(register_err(dev, ch, fd) == EBADF);
	}

	/* Nothing was registered: the channel still refuses items. */
	const Status st = dev.status(ch);
	CHECK(st.flags == 0);
	CHECK(produce_err(dev, ch, "x") == ENOTCONN);
	CHECK(dev.status(ch).queued == 0);

	/* And a real eventfd on the same channel is accepted. */
	ke::EventFd efd(EFD_NONBLOCK);
	CHECK(register_err(dev, ch, efd.fd()) == 0);
	dev.produce(ch, "x");
	CHECK(efd.read() == 1);
}

TEST_CASE("eventfd: REGISTER resolves the fd in the caller's own file table",
	  "[eventfd][lifecycle]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 4;
	ke::EventFd mine(EFD_NONBLOCK);
	const kuipc::Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
	REQUIRE(null);
	const int efd_nr = mine.fd();
	const int null_nr = null.get();

	/* In a child whose fd efd_nr is /dev/null, efd_nr is no eventfd. */
	CHECK(kuipc::test::run_child([&] {
		if (::dup2(null_nr, efd_nr) < 0)
			return 100;
		return register_err(dev, ch, efd_nr);
	}).code == EINVAL);
	/* In a child that closed efd_nr, it is not open at all. */
	CHECK(kuipc::test::run_child([&] {
		::close(efd_nr);
		return register_err(dev, ch, efd_nr);
	}).code == EBADF);
	CHECK(dev.status(ch).flags == 0);

	/*
	 * In a child whose fd null_nr is an eventfd of its own, it registers;
	 * the device file is shared with this process, so the registration
	 * outlives the child and keeps the child's eventfd alive.
	 */
	CHECK(kuipc::test::run_child([&] {
		const ke::EventFd child;
		if (::dup2(child.fd(), null_nr) < 0)
			return 100;
		return register_err(dev, ch, null_nr);
	}).code == 0);
	CHECK(dev.status(ch).flags ==
	      (KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER));
	/* Signalling it touches neither of this process's fds with the numbers. */
	dev.produce(ch, "to the child's eventfd");
	CHECK(eventfd_count(mine.fd()) == 0);
	CHECK(dev.fetch(ch).data == "to the child's eventfd");
	dev.unregister(ch);
	CHECK(dev.status(ch).flags == 0);
}

TEST_CASE("eventfd: a second REGISTER of a channel gives EBUSY and keeps the first",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	ke::Device other;
	require_all_free(dev);
	constexpr uint32_t ch = 6;
	ke::EventFd first(EFD_NONBLOCK);
	ke::EventFd second(EFD_NONBLOCK);
	dev.register_eventfd(ch, first.fd());

	CHECK(register_err(dev, ch, second.fd()) == EBUSY);
	CHECK(register_err(dev, ch, first.fd()) == EBUSY);
	CHECK(register_err(other, ch, second.fd()) == EBUSY);
	/* The first registration is intact and still the one signalled. */
	CHECK(dev.status(ch).flags ==
	      (KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER));
	CHECK(other.status(ch).flags == KUIPC_EVENTFD_REGISTERED);
	dev.produce(ch, "first");
	CHECK(eventfd_count(first.fd()) == 1);
	CHECK(eventfd_count(second.fd()) == 0);

	/* Only the registering open file ends it. */
	CHECK(unregister_err(other, ch) == EPERM);
	CHECK(dev.status(ch).flags ==
	      (KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER));
	CHECK(dev.status(ch).queued == 1);
	CHECK(unregister_err(dev, ch) == 0);
	CHECK(unregister_err(dev, ch) == ENOTCONN);

	/* Free again: the other file may take it now. */
	CHECK(register_err(other, ch, second.fd()) == 0);
	other.produce(ch, "second");
	CHECK(eventfd_count(first.fd()) == 1);
	CHECK(eventfd_count(second.fd()) == 1);
	CHECK(other.status(ch).flags ==
	      (KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER));
	CHECK(dev.status(ch).flags == KUIPC_EVENTFD_REGISTERED);
	/* The same eventfd may serve two channels. */
	CHECK(register_err(dev, ch + 1, second.fd()) == 0);
	dev.produce(ch + 1, "also second");
	CHECK(eventfd_count(second.fd()) == 2);
}

TEST_CASE("eventfd: UNREGISTER drops the queued items and leaves the eventfd",
	  "[eventfd][lifecycle]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 0;
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());
	for (const char *s : {"x", "y", "z"})
		dev.produce(ch, s);
	CHECK(dev.status(ch).queued == 3);

	dev.unregister(ch);
	const Status st = dev.status(ch);
	CHECK(st.flags == 0);
	CHECK(st.queued == 0);
	CHECK(st.produced == 0);
	CHECK(errno_of([&] { (void)dev.fetch(ch); }) == ENOTCONN);
	CHECK(produce_err(dev, ch, "late") == ENOTCONN);
	/* The module does not touch the eventfd: its count is still 3. */
	CHECK(eventfd_count(efd.fd()) == 3);

	/* A new registration starts empty, numbering from 0. */
	CHECK(efd.read() == 3);
	dev.register_eventfd(ch, efd.fd());
	CHECK(errno_of([&] { (void)dev.fetch(ch); }) == EAGAIN);
	dev.produce(ch, "new");
	CHECK(efd.read() == 1);
	const ke::Item item = dev.fetch(ch);
	CHECK(item.seq == 0);
	CHECK(item.data == "new");
}

TEST_CASE("eventfd: FETCH on empty gives EAGAIN, a small buffer EMSGSIZE, "
	  "a full queue ENOBUFS",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 7;

	/* No registration: nothing to produce to or fetch from. */
	CHECK(produce_err(dev, ch, "x") == ENOTCONN);
	CHECK(errno_of([&] { (void)dev.fetch(ch); }) == ENOTCONN);
	CHECK(unregister_err(dev, ch) == ENOTCONN);

	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());
	CHECK(errno_of([&] { (void)dev.fetch(ch); }) == EAGAIN);

	/* The oldest item does not fit: EMSGSIZE, and it stays first. */
	dev.produce(ch, "0123456789");
	dev.produce(ch, "ab");
	CHECK(errno_of([&] { (void)dev.fetch(ch, 9); }) == EMSGSIZE);
	CHECK(errno_of([&] { (void)dev.fetch(ch, 0); }) == EMSGSIZE);
	CHECK(dev.status(ch).queued == 2);
	CHECK(dev.fetch(ch, 10).data == "0123456789");
	CHECK(dev.fetch(ch, 2).data == "ab");
	CHECK(efd.read() == 2);

	/* Fill the queue: the next item is refused and not signalled. */
	for (uint32_t i = 0; i < KUIPC_EVENTFD_QUEUE_MAX; ++i)
		dev.produce(ch, std::to_string(i));
	CHECK(produce_err(dev, ch, "one too many") == ENOBUFS);
	Status st = dev.status(ch);
	CHECK(st.queued == KUIPC_EVENTFD_QUEUE_MAX);
	CHECK(st.produced == KUIPC_EVENTFD_QUEUE_MAX + 2);
	CHECK(eventfd_count(efd.fd()) == KUIPC_EVENTFD_QUEUE_MAX);
	/* One out, one more in; the refused one never existed. */
	CHECK(dev.fetch(ch).data == "0");
	dev.produce(ch, "fits again");
	std::vector<ke::Item> rest;
	while (auto item = dev.try_fetch(ch))
		rest.push_back(*item);
	REQUIRE(rest.size() == KUIPC_EVENTFD_QUEUE_MAX);
	CHECK(rest.front().data == "1");
	CHECK(rest.back().data == "fits again");
	CHECK(rest.back().seq == KUIPC_EVENTFD_QUEUE_MAX + 2);
	CHECK(efd.read() == KUIPC_EVENTFD_QUEUE_MAX + 1);
}

TEST_CASE("eventfd: bad channels, sizes and reserved fields give EINVAL",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 2;
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());
	dev.produce(ch, "kept");
	const auto unchanged = [&] {
		const Status st = dev.status(ch);
		CHECK(st.flags ==
		      (KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER));
		CHECK(st.queued == 1);
		CHECK(st.produced == 1);
		CHECK(eventfd_count(efd.fd()) == 1);
	};

	std::array<char, KUIPC_EVENTFD_PAYLOAD_MAX + 1> buf{};
	for (const uint32_t bad : {nch, nch + 1, 0x80000000U, UINT32_MAX}) {
		INFO("channel " << bad);
		ke::EventFd other;
		CHECK(register_err(dev, bad, other.fd()) == EINVAL);
		CHECK(unregister_err(dev, bad) == EINVAL);
		CHECK(produce_err(dev, make_msg(bad, buf.data(), 1)) == EINVAL);
		kuipc_eventfd_msg m = make_msg(bad, buf.data(), buf.size());
		CHECK(ioctl_err(dev.fd(), KUIPC_EVENTFD_FETCH, &m) == EINVAL);
		Status st{};
		st.channel = bad;
		CHECK(ioctl_err(dev.fd(), KUIPC_EVENTFD_STATUS, &st) == EINVAL);
	}
	unchanged();

	/* A payload one byte over the limit, or absurdly large. */
	for (const uint32_t len : {KUIPC_EVENTFD_PAYLOAD_MAX + 1U, UINT32_MAX}) {
		INFO("len " << len);
		CHECK(produce_err(dev, make_msg(ch, buf.data(), len)) == EINVAL);
	}
	unchanged();

	/* Non-zero flags, reserved fields, or a seq given to PRODUCE. */
	CHECK(register_err(dev, ch + 1, efd.fd(), 1, 0) == EINVAL);
	CHECK(register_err(dev, ch + 1, efd.fd(), 0, 1) == EINVAL);
	CHECK(dev.status(ch + 1).flags == 0);
	CHECK(unregister_err(dev, ch, 1) == EINVAL);
	const auto produce_with = [&](const std::function<void(kuipc_eventfd_msg &)> &set) {
		kuipc_eventfd_msg m = make_msg(ch, buf.data(), 1);
		set(m);
		return produce_err(dev, m);
	};
	CHECK(produce_with([](kuipc_eventfd_msg &m) { m.flags = 1; }) == EINVAL);
	CHECK(produce_with([](kuipc_eventfd_msg &m) { m.reserved = 1; }) == EINVAL);
	CHECK(produce_with([](kuipc_eventfd_msg &m) { m.seq = 7; }) == EINVAL);
	const auto fetch_with = [&](const std::function<void(kuipc_eventfd_msg &)> &set) {
		kuipc_eventfd_msg m = make_msg(ch, buf.data(), buf.size());
		set(m);
		return ioctl_err(dev.fd(), KUIPC_EVENTFD_FETCH, &m);
	};
	CHECK(fetch_with([](kuipc_eventfd_msg &m) { m.flags = 1; }) == EINVAL);
	CHECK(fetch_with([](kuipc_eventfd_msg &m) { m.reserved = 1; }) == EINVAL);
	unchanged();
	CHECK(dev.fetch(ch).data == "kept");
}

TEST_CASE("eventfd: bad user pointers give EFAULT and change nothing",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 1;
	ke::EventFd efd(EFD_NONBLOCK);
	const int fd = dev.fd();

	/* Unmapped, and a kernel address (access_ok() refuses it). */
	for (void *bad : {bad_address(1), kernel_address()}) {
		INFO("pointer " << bad);
		for (const unsigned long cmd :
		     {KUIPC_EVENTFD_REGISTER, KUIPC_EVENTFD_UNREGISTER,
		      KUIPC_EVENTFD_PRODUCE, KUIPC_EVENTFD_FETCH,
		      KUIPC_EVENTFD_STATUS}) {
			INFO("cmd " << ke::ioctl_name(cmd));
			CHECK(ioctl_err(fd, cmd, bad) == EFAULT);
		}
	}
	CHECK(dev.status(ch).flags == 0);

	dev.register_eventfd(ch, efd.fd());
	/* A payload that is not readable: nothing queued, nothing signalled. */
	const GuardedPages page;
	char *edge = page.tail(8);
	std::memcpy(edge, "12345678", 8);
	for (const auto &[ptr, len] :
	     {std::pair{bad_address(1), 16U},
	      std::pair{kernel_address(), 16U},
	      std::pair{static_cast<void *>(edge), 16U}}) {
		INFO("payload " << ptr << ", " << len << " bytes");
		CHECK(produce_err(dev, make_msg(ch, ptr, len)) == EFAULT);
	}
	Status st = dev.status(ch);
	CHECK(st.queued == 0);
	CHECK(st.produced == 0);
	CHECK(eventfd_count(efd.fd()) == 0);
	/* The readable 8 bytes alone are fine. */
	CHECK(produce_err(dev, make_msg(ch, edge, 8)) == 0);

	/* A buffer that cannot take the item: EFAULT, and the item stays. */
	for (void *ptr : {bad_address(1), kernel_address(),
			  static_cast<void *>(page.tail(4))}) {
		INFO("buffer " << ptr);
		kuipc_eventfd_msg m = make_msg(ch, ptr, 8);
		CHECK(ioctl_err(fd, KUIPC_EVENTFD_FETCH, &m) == EFAULT);
		st = dev.status(ch);
		CHECK(st.queued == 1);
		CHECK(st.fetched == 0);
	}
	/*
	 * The item reaches the buffer but the struct, on a read-only page,
	 * cannot be written back with its length and seq: the item stays.
	 */
	{
		std::array<char, 8> out{};
		const ReadOnlyMsg ro(make_msg(ch, out.data(), out.size()));
		CHECK(ioctl_err(fd, KUIPC_EVENTFD_FETCH, ro.get()) == EFAULT);
		st = dev.status(ch);
		CHECK(st.queued == 1);
		CHECK(st.fetched == 0);
	}
	const ke::Item item = dev.fetch(ch);
	CHECK(item.seq == 0);
	CHECK(item.data == "12345678");
	CHECK(dev.status(ch).fetched == 1);
}

TEST_CASE("eventfd: an unknown ioctl gives ENOTTY", "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 3;
	ke::EventFd efd(EFD_NONBLOCK);
	const unsigned long magic = KUIPC_EVENTFD_IOC_MAGIC;
	const unsigned long reg_nr = _IOC_NR(KUIPC_EVENTFD_REGISTER);
	const unsigned long fetch_nr = _IOC_NR(KUIPC_EVENTFD_FETCH);

	const std::vector<unsigned long> cmds = {
		_IO(magic, 0x00),
		_IO(magic, 0x2f),
		_IOW(magic, reg_nr, __u64),			 /* wrong size */
		_IOR(magic, reg_nr, kuipc_eventfd_register),	 /* wrong direction */
		_IOW(magic, fetch_nr, kuipc_eventfd_msg),	 /* wrong direction */
		_IO(magic, reg_nr),				 /* no argument */
		_IOW(magic + 1, reg_nr, kuipc_eventfd_register), /* another magic */
		TCGETS,						 /* a terminal's */
	};
	for (const unsigned long cmd : cmds) {
		INFO("cmd " << ke::ioctl_name(cmd));
		kuipc_eventfd_register req{};
		req.channel = ch;
		req.efd = efd.fd();
		CHECK(ioctl_err(dev.fd(), cmd, &req) == ENOTTY);
	}
	/* None of them registered anything. */
	CHECK(dev.status(ch).flags == 0);

	/* isatty() relies on exactly this. */
	errno = 0;
	CHECK(::isatty(dev.fd()) == 0);
	CHECK(errno == ENOTTY);
}

namespace {

/* What the concurrency test sends: 16 bytes, checkable on their own. */
struct Record {
	uint32_t producer;
	uint32_t seq;
	uint64_t check;
};
static_assert(sizeof(Record) == 16);

uint64_t record_check(uint32_t producer, uint32_t channel, uint32_t seq)
{
	const uint64_t key = (uint64_t{producer} << 40) ^
			     (uint64_t{channel} << 32) ^ seq;
	return (key * 0x9e3779b97f4a7c15ULL) ^ 0x5bd1e9955bd1e995ULL;
}

/*
 * Producer p: records 0..count-1 to every channel, channels in a rotating
 * order. A full channel (ENOBUFS) is retried after yielding the CPU: flow
 * control, not timing. Returns "" or what went wrong.
 */
std::string produce_records(uint32_t p, uint32_t count)
{
	using namespace std::chrono_literals;
	const auto deadline = std::chrono::steady_clock::now() +
			      kuipc::test::patience(20s);
	try {
		const ke::Device dev;
		for (uint32_t seq = 0; seq < count; ++seq) {
			for (uint32_t k = 0; k < nch; ++k) {
				const uint32_t ch = (p + seq + k) % nch;
				const Record rec{p, seq, record_check(p, ch, seq)};
				kuipc_eventfd_msg m =
					make_msg(ch, &rec, sizeof(rec));
				int err = 0;
				while ((err = ioctl_err(dev.fd(),
							KUIPC_EVENTFD_PRODUCE,
							&m)) == ENOBUFS) {
					if (std::chrono::steady_clock::now() > deadline)
						return "channel " + std::to_string(ch) +
						       " stayed full";
					::sched_yield();
				}
				if (err != 0)
					return "produce on channel " +
					       std::to_string(ch) + ": " +
					       std::strerror(err);
			}
		}
	} catch (const kuipc::Error &e) {
		return e.what();
	}
	return "";
}

struct ConsumerResult {
	uint64_t got = 0;
	uint64_t bad = 0;	   /* wrong size or checksum */
	uint64_t out_of_order = 0; /* a producer's seq not the next one */
	uint64_t seq_gaps = 0;	   /* the kernel's seq not the next one */
	uint64_t max_count = 0;	   /* largest eventfd read */
	std::string error;
};

/*
 * Consumer of one channel: wait for the eventfd, read the count, fetch
 * exactly that many items (each must be there: the module signals after
 * queueing), check each, until expected items came.
 */
void consume_records(ke::Device &dev, ke::EventFd &efd, uint32_t ch,
		     uint32_t producers, uint64_t expected, ConsumerResult &res)
{
	using namespace std::chrono_literals;
	try {
		std::vector<uint32_t> next(producers, 0);
		while (res.got < expected) {
			if (!efd.wait(static_cast<int>(kuipc::test::patience(10s).count()))) {
				res.error = "no signal in time after " +
					    std::to_string(res.got) + " items";
				return;
			}
			const uint64_t n = efd.read();
			res.max_count = std::max(res.max_count, n);
			for (uint64_t i = 0; i < n; ++i) {
				const ke::Item item = dev.fetch(ch);
				if (item.seq != res.got)
					++res.seq_gaps;
				++res.got;
				Record rec{};
				if (item.data.size() != sizeof(rec)) {
					++res.bad;
					continue;
				}
				std::memcpy(&rec, item.data.data(), sizeof(rec));
				if (rec.producer >= producers ||
				    rec.check != record_check(rec.producer, ch, rec.seq)) {
					++res.bad;
					continue;
				}
				if (rec.seq != next[rec.producer])
					++res.out_of_order;
				next[rec.producer] = rec.seq + 1;
			}
		}
	} catch (const kuipc::Error &e) {
		res.error = std::string(e.what()) + " after " +
			    std::to_string(res.got) + " items";
	}
}

} // namespace

TEST_CASE("eventfd: several producers and consumers pass every item once, in order",
	  "[eventfd][concurrency]")
{
	constexpr uint32_t producers = 4;
	constexpr uint32_t per_channel = 250; /* from each producer */
	constexpr uint64_t expected = uint64_t{producers} * per_channel;

	const ke::Device ctl;
	require_all_free(ctl);
	/* One consumer per channel, each with its own open file and eventfd. */
	std::vector<std::unique_ptr<ke::Device>> cdev;
	std::vector<std::unique_ptr<ke::EventFd>> cefd;
	for (uint32_t ch = 0; ch < nch; ++ch) {
		cdev.push_back(std::make_unique<ke::Device>());
		cefd.push_back(std::make_unique<ke::EventFd>(EFD_NONBLOCK));
		cdev[ch]->register_eventfd(ch, cefd[ch]->fd());
	}

	std::vector<ConsumerResult> cres(nch);
	std::vector<std::thread> consumers;
	for (uint32_t ch = 0; ch < nch; ++ch)
		consumers.emplace_back(consume_records, std::ref(*cdev[ch]),
				       std::ref(*cefd[ch]), ch, producers,
				       expected, std::ref(cres[ch]));
	std::vector<std::string> perr(producers);
	std::vector<std::thread> pthreads;
	for (uint32_t p = 0; p < producers; ++p)
		pthreads.emplace_back([&perr, p] {
			perr[p] = produce_records(p, per_channel);
		});
	for (auto &t : pthreads)
		t.join();
	for (auto &t : consumers)
		t.join();

	for (uint32_t p = 0; p < producers; ++p) {
		INFO("producer " << p);
		CHECK(perr[p].empty());
	}
	for (uint32_t ch = 0; ch < nch; ++ch) {
		INFO("channel " << ch);
		const ConsumerResult &r = cres[ch];
		CHECK(r.error.empty());
		CHECK(r.got == expected);
		CHECK(r.bad == 0);
		CHECK(r.out_of_order == 0);
		CHECK(r.seq_gaps == 0);
		/* Everything produced was fetched; nothing is left to signal. */
		const Status st = ctl.status(ch);
		CHECK(st.queued == 0);
		CHECK(st.produced == expected);
		CHECK(st.fetched == expected);
		CHECK(eventfd_count(cefd[ch]->fd()) == 0);
		CHECK(errno_of([&] { (void)cdev[ch]->fetch(ch); }) == EAGAIN);
	}
}

TEST_CASE("eventfd: closing the device ends its registrations",
	  "[eventfd][lifecycle]")
{
	ke::Device dev;
	require_all_free(dev);
	std::vector<std::unique_ptr<ke::EventFd>> efds;
	{
		ke::Device mine;
		for (uint32_t ch = 0; ch < 4; ++ch) {
			efds.push_back(std::make_unique<ke::EventFd>(EFD_NONBLOCK));
			mine.register_eventfd(ch, efds.back()->fd());
			for (uint32_t i = 0; i <= ch; ++i)
				mine.produce(ch, "queued");
		}
		/* A second descriptor of the same open file keeps it open. */
		const kuipc::Fd dup(::fcntl(mine.fd(), F_DUPFD_CLOEXEC, 0));
		REQUIRE(dup);
		mine.close();
		CHECK(dev.status(2).flags == KUIPC_EVENTFD_REGISTERED);
		CHECK(dev.status(2).queued == 3);
	} /* the last descriptor of it goes here */

	for (uint32_t ch = 0; ch < 4; ++ch) {
		INFO("channel " << ch);
		const Status st = dev.status(ch);
		CHECK(st.flags == 0);
		CHECK(st.queued == 0);
		CHECK(produce_err(dev, ch, "x") == ENOTCONN);
		/* The eventfds are untouched, and free to register again. */
		CHECK(eventfd_count(efds[ch]->fd()) == ch + 1);
		CHECK(register_err(dev, ch, efds[ch]->fd()) == 0);
	}

	/* The same for a process that exits without unregistering. */
	constexpr uint32_t ch = 6;
	CHECK(kuipc::test::run_child([&] {
		ke::Device child;
		const ke::EventFd efd;
		child.register_eventfd(ch, efd.fd());
		child.produce(ch, "left behind");
		return 0;
	}).code == 0);
	const Status st = dev.status(ch);
	CHECK(st.flags == 0);
	CHECK(st.queued == 0);
}

TEST_CASE("eventfd: the module holds the eventfd until the registration ends",
	  "[eventfd][lifecycle]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 5;

	/* A descriptor of the eventfd may go: the registration still signals. */
	auto efd = std::make_unique<ke::EventFd>(EFD_NONBLOCK);
	const kuipc::Fd dup(::fcntl(efd->fd(), F_DUPFD_CLOEXEC, 0));
	REQUIRE(dup);
	dev.register_eventfd(ch, efd->fd());
	efd.reset();
	dev.produce(ch, "still signalled");
	CHECK(eventfd_count(dup.get()) == 1);
	CHECK(dev.fetch(ch).data == "still signalled");
	dev.unregister(ch);

	/*
	 * With no descriptor at all, the context lives on in the module: its
	 * id stays taken until the registration ends. Ids are handed out
	 * lowest first, so the next eventfd gets the same id if and only if
	 * the module dropped its reference.
	 */
	const auto orphan_then = [&](const std::function<void(ke::Device &)> &end) {
		auto mine = std::make_unique<ke::Device>();
		int id = -1;
		{
			const ke::EventFd orphan;
			id = eventfd_id(orphan.fd());
			mine->register_eventfd(ch, orphan.fd());
		}
		mine->produce(ch, "to nobody");
		{
			const ke::EventFd probe;
			CHECK(eventfd_id(probe.fd()) != id); /* still held */
			end(*mine);
			const ke::EventFd after; /* probe still holds its id */
			CHECK(eventfd_id(after.fd()) == id); /* dropped */
		}
		CHECK(dev.status(ch).flags == 0);
	};
	SECTION("UNREGISTER drops it")
	{
		orphan_then([](ke::Device &d) { d.unregister(ch); });
	}
	SECTION("the last close of the device drops it")
	{
		orphan_then([](ke::Device &d) { d.close(); });
	}
	SECTION("a refused REGISTER drops the reference it took")
	{
		ke::EventFd holder(EFD_NONBLOCK);
		dev.register_eventfd(ch, holder.fd());
		int id = -1;
		{
			const ke::EventFd loser;
			id = eventfd_id(loser.fd());
			CHECK(register_err(dev, ch, loser.fd()) == EBUSY);
		}
		const ke::EventFd after;
		CHECK(eventfd_id(after.fd()) == id);
		dev.unregister(ch);
	}
}

TEST_CASE("eventfd: unload waits for the registrations' file, then is clean",
	  "[eventfd][lifecycle]")
{
	const kuipc::test::ReloadGuard reload("eventfd");
	ke::EventFd efd(EFD_NONBLOCK);
	{
		ke::Device dev;
		require_all_free(dev);
		for (uint32_t ch = 0; ch < nch; ++ch)
			dev.register_eventfd(ch, efd.fd());
		dev.produce(0, "pending");

		/* Registrations are held by an open file, which pins the module. */
		const int err = errno_of([] { kuipc::unload_module(module_name, 0); });
		CHECK((err == EAGAIN || err == EBUSY));
		CHECK(kuipc::module_loaded(module_name));
		/* Still fully working. */
		dev.produce(nch - 1, "after the refused unload");
		CHECK(dev.fetch(nch - 1).data == "after the refused unload");
		CHECK(eventfd_count(efd.fd()) == 2);
	}

	/* Closed: every registration ended, the unload goes through. */
	REQUIRE_NOTHROW(kuipc::unload_module(module_name, 2000));
	CHECK_FALSE(kuipc::module_loaded(module_name));
	struct stat st {};
	errno = 0;
	CHECK(::stat(KUIPC_EVENTFD_PATH, &st) == -1);
	CHECK(errno == ENOENT);
	/* The eventfd outlives the module, count intact. */
	CHECK(eventfd_count(efd.fd()) == 2);
	CHECK(efd.read() == 2);
	efd.write(1);
	CHECK(efd.read() == 1);

	/* Loaded again: every channel free. */
	REQUIRE_NOTHROW(kuipc::load_module(kuipc::module_path("eventfd")));
	ke::Device dev;
	require_all_free(dev);
	ke::Listener l(dev, 0);
	dev.produce(0, "again");
	CHECK(l.wait(0) == 1);
	CHECK(dev.fetch(0).seq == 0);
}

TEST_CASE("eventfd: the node is root-only and refuses an unprivileged open",
	  "[eventfd][permission]")
{
	ke::Device dev;
	require_all_free(dev);
	struct stat st {};
	REQUIRE(::stat(KUIPC_EVENTFD_PATH, &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK(major(st.st_rdev) == 10); /* MISC_MAJOR: a misc device */
	CHECK((st.st_mode & 07777) == KUIPC_EVENTFD_MODE);
	CHECK(st.st_uid == 0);

	for (const int flags : {O_RDWR, O_RDONLY, O_WRONLY}) {
		INFO("open flags " << flags);
		CHECK(kuipc::test::run_unprivileged([flags] {
			return kuipc::test::open_errno(KUIPC_EVENTFD_PATH, flags);
		}) == EACCES);
	}

	/*
	 * The node's mode is the access control: a descriptor handed to an
	 * unprivileged process lets it register its own eventfd, and
	 * that registration belongs to the shared open file.
	 */
	constexpr uint32_t ch = 2;
	const int fd = dev.fd();
	CHECK(kuipc::test::run_unprivileged([fd] {
		const int efd = ::eventfd(0, EFD_CLOEXEC);
		if (efd < 0)
			return errno;
		kuipc_eventfd_register req{};
		req.channel = ch;
		req.efd = efd;
		const int err = ioctl_err(fd, KUIPC_EVENTFD_REGISTER, &req);
		::close(efd);
		return err;
	}) == 0);
	CHECK(dev.status(ch).flags ==
	      (KUIPC_EVENTFD_REGISTERED | KUIPC_EVENTFD_OWNER));
	dev.unregister(ch);
}

namespace {

/* Everything STATUS says about a channel, for before/after comparisons. */
bool same(const Status &a, const Status &b)
{
	return a.channel == b.channel && a.flags == b.flags &&
	       a.queued == b.queued && a.reserved == b.reserved &&
	       a.produced == b.produced && a.fetched == b.fetched;
}

} // namespace

TEST_CASE("eventfd: root in a new user namespace is refused what needs a capability in the initial one",
	  "[eventfd][permission]")
{
	/*
	 * The module checks no capability: the root-owned 0600 node is the
	 * access control, and a registration belongs to the open file it was
	 * made through. Root of a user namespace gets no further than nobody:
	 * it cannot open the node, nor end or replace the registration of
	 * another open file; with a descriptor handed to it, it may do what
	 * any holder of one may (PRODUCE).
	 */
	using kuipc::test::run_in_userns;
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 3;
	ke::EventFd efd;
	dev.register_eventfd(ch, efd.fd());
	const Status before = dev.status(ch);

	for (const int flags : {O_RDWR, O_RDONLY, O_WRONLY}) {
		INFO("open flags " << flags);
		CHECK(run_in_userns([flags] {
			return kuipc::test::open_errno(KUIPC_EVENTFD_PATH, flags);
		}) == EACCES);
	}

	const ke::Device other;
	const int ofd = other.fd();
	CHECK(run_in_userns([ofd] {
		kuipc_eventfd_unregister req{};
		req.channel = ch;
		return ioctl_err(ofd, KUIPC_EVENTFD_UNREGISTER, &req);
	}) == EPERM);
	CHECK(run_in_userns([ofd] {
		const int e = ::eventfd(0, EFD_CLOEXEC);
		if (e < 0)
			return errno;
		kuipc_eventfd_register req{};
		req.channel = ch;
		req.efd = e;
		const int err = ioctl_err(ofd, KUIPC_EVENTFD_REGISTER, &req);
		::close(e);
		return err;
	}) == EBUSY);
	CHECK(same(dev.status(ch), before));
	CHECK_FALSE(efd.wait(0));

	CHECK(run_in_userns([ofd] {
		const std::string_view s = "from a user namespace";
		kuipc_eventfd_msg m =
			make_msg(ch, s.data(), static_cast<uint32_t>(s.size()));
		return ioctl_err(ofd, KUIPC_EVENTFD_PRODUCE, &m);
	}) == 0);
	CHECK(efd.read() == 1);
	CHECK(dev.fetch(ch).data == "from a user namespace");
	dev.unregister(ch);
}

TEST_CASE("eventfd: REGISTER of an epoll, signalfd, timerfd, socket or O_PATH fd is refused",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 5;
	ke::EventFd efd(EFD_NONBLOCK);
	const int id = eventfd_id(efd.fd());

	const kuipc::Fd ep(::epoll_create1(EPOLL_CLOEXEC));
	REQUIRE(ep);
	sigset_t mask;
	sigemptyset(&mask);
	const kuipc::Fd sfd(::signalfd(-1, &mask, SFD_CLOEXEC));
	REQUIRE(sfd);
	const kuipc::Fd tfd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
	REQUIRE(tfd);
	const kuipc::Fd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	REQUIRE(sock);
	for (const int fd : {ep.get(), sfd.get(), tfd.get(), sock.get()}) {
		INFO("fd " << fd);
		CHECK(register_err(dev, ch, fd) == EINVAL);
		CHECK(dev.status(ch).flags == 0);
	}
	/* The eventfd itself, opened as a path only: no file to use. */
	const kuipc::Fd path(::open(("/proc/self/fd/" + std::to_string(efd.fd())).c_str(),
				    O_PATH | O_CLOEXEC));
	REQUIRE(path);
	CHECK(register_err(dev, ch, path.get()) == EBADF);
	CHECK(dev.status(ch).flags == 0);

	/* Nothing holds or signalled the eventfd; the channel is free. */
	CHECK(produce_err(dev, ch, "x") == ENOTCONN);
	CHECK(eventfd_count(efd.fd()) == 0);
	CHECK(eventfd_id(efd.fd()) == id);
	CHECK(register_err(dev, ch, efd.fd()) == 0);
	dev.produce(ch, "x");
	CHECK(efd.read() == 1);
}

TEST_CASE("eventfd: payload lengths and buffer sizes on each side of their bounds",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 4;
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());

	std::string full(KUIPC_EVENTFD_PAYLOAD_MAX + 1, '\0');
	for (size_t i = 0; i < full.size(); ++i)
		full[i] = static_cast<char>('a' + i % 26);
	CHECK(produce_err(dev, make_msg(ch, full.data(), KUIPC_EVENTFD_PAYLOAD_MAX)) ==
	      0);
	const Status one = dev.status(ch);
	CHECK(one.queued == 1);
	CHECK(produce_err(dev, make_msg(ch, full.data(),
					KUIPC_EVENTFD_PAYLOAD_MAX + 1)) == EINVAL);
	CHECK(same(dev.status(ch), one));
	CHECK(eventfd_count(efd.fd()) == 1);

	/* A buffer one byte short: EMSGSIZE, nothing written, item kept. */
	std::string buf(KUIPC_EVENTFD_PAYLOAD_MAX, '#');
	kuipc_eventfd_msg m =
		make_msg(ch, buf.data(), KUIPC_EVENTFD_PAYLOAD_MAX - 1);
	CHECK(ioctl_err(dev.fd(), KUIPC_EVENTFD_FETCH, &m) == EMSGSIZE);
	CHECK(m.len == KUIPC_EVENTFD_PAYLOAD_MAX - 1);
	CHECK(buf == std::string(KUIPC_EVENTFD_PAYLOAD_MAX, '#'));
	CHECK(same(dev.status(ch), one));
	/* Exactly big enough. */
	m = make_msg(ch, buf.data(), KUIPC_EVENTFD_PAYLOAD_MAX);
	CHECK(ioctl_err(dev.fd(), KUIPC_EVENTFD_FETCH, &m) == 0);
	CHECK(m.len == KUIPC_EVENTFD_PAYLOAD_MAX);
	CHECK(m.seq == 0);
	CHECK(buf == full.substr(0, KUIPC_EVENTFD_PAYLOAD_MAX));

	/* Zero bytes: no pointer is read or written, even a NULL one. */
	CHECK(produce_err(dev, make_msg(ch, nullptr, 0)) == 0);
	m = make_msg(ch, nullptr, 0);
	CHECK(ioctl_err(dev.fd(), KUIPC_EVENTFD_FETCH, &m) == 0);
	CHECK(m.len == 0);
	CHECK(m.seq == 1);

	/* The last channel is a channel; the next one is not. */
	ke::EventFd last(EFD_NONBLOCK);
	CHECK(register_err(dev, nch - 1, last.fd()) == 0);
	CHECK(register_err(dev, nch, last.fd()) == EINVAL);
	dev.produce(nch - 1, "last");
	CHECK(eventfd_count(last.fd()) == 1);
	CHECK(dev.fetch(nch - 1).data == "last");
	CHECK(efd.read() == 2);
}

TEST_CASE("eventfd: structs running into a PROT_NONE page give EFAULT and change nothing",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 3;
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());
	dev.produce(ch, "kept");
	const Status before = dev.status(ch);
	const GuardedPages page;
	const int fd = dev.fd();

	/* Each struct with only its first few bytes readable. */
	ke::EventFd other(EFD_NONBLOCK);
	kuipc_eventfd_register reg{};
	reg.channel = ch + 1;
	reg.efd = other.fd();
	std::memcpy(page.tail(8), &reg, 8);
	CHECK(ioctl_err(fd, KUIPC_EVENTFD_REGISTER, page.tail(8)) == EFAULT);
	CHECK(dev.status(ch + 1).flags == 0);

	const kuipc_eventfd_unregister unreg{ch, 0};
	std::memcpy(page.tail(4), &unreg, 4);
	CHECK(ioctl_err(fd, KUIPC_EVENTFD_UNREGISTER, page.tail(4)) == EFAULT);
	CHECK(same(dev.status(ch), before));

	std::array<char, KUIPC_EVENTFD_PAYLOAD_MAX> buf{};
	const kuipc_eventfd_msg msg = make_msg(ch, buf.data(), 4);
	std::memcpy(page.tail(16), &msg, 16);
	CHECK(ioctl_err(fd, KUIPC_EVENTFD_PRODUCE, page.tail(16)) == EFAULT);
	CHECK(same(dev.status(ch), before));
	CHECK(ioctl_err(fd, KUIPC_EVENTFD_FETCH, page.tail(16)) == EFAULT);
	CHECK(same(dev.status(ch), before));

	/* STATUS reads only the channel, then cannot write the answer. */
	std::memcpy(page.tail(4), &ch, 4);
	CHECK(ioctl_err(fd, KUIPC_EVENTFD_STATUS, page.tail(4)) == EFAULT);
	/* The whole struct just before the guard is fine. */
	auto *st = reinterpret_cast<Status *>(page.tail(sizeof(Status)));
	*st = Status{};
	st->channel = ch;
	CHECK(ioctl_err(fd, KUIPC_EVENTFD_STATUS, st) == 0);
	CHECK(same(*st, before));

	CHECK(eventfd_count(efd.fd()) == 1);
	CHECK(eventfd_count(other.fd()) == 0);
	CHECK(dev.fetch(ch).data == "kept");
}

TEST_CASE("eventfd: every other command number of the shared magic is ENOTTY",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 0;
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());
	dev.produce(ch, "kept");
	const Status before = dev.status(ch);
	const std::vector<unsigned long> ours = {
		KUIPC_EVENTFD_REGISTER, KUIPC_EVENTFD_UNREGISTER,
		KUIPC_EVENTFD_PRODUCE, KUIPC_EVENTFD_FETCH, KUIPC_EVENTFD_STATUS};

	/*
	 * Every number (the other kuipc pairs' too), each direction, each
	 * size (STATUS's struct has the message's size, so it is covered).
	 */
	const unsigned long magic = KUIPC_EVENTFD_IOC_MAGIC;
	int tried = 0;
	std::vector<unsigned long> wrong;
	for (unsigned long nr = 0; nr <= 0xff; ++nr) {
		for (const unsigned long cmd :
		     {_IO(magic, nr), _IOW(magic, nr, kuipc_eventfd_register),
		      _IOW(magic, nr, kuipc_eventfd_unregister),
		      _IOR(magic, nr, kuipc_eventfd_msg),
		      _IOW(magic, nr, kuipc_eventfd_msg),
		      _IOWR(magic, nr, kuipc_eventfd_msg)}) {
			if (std::find(ours.begin(), ours.end(), cmd) != ours.end())
				continue;
			/* A valid argument for any of the commands. */
			std::array<char, 4> data{};
			kuipc_eventfd_msg m = make_msg(ch, data.data(), data.size());
			++tried;
			if (ioctl_err(dev.fd(), cmd, &m) != ENOTTY)
				wrong.push_back(cmd);
		}
	}
	CHECK(tried == 256 * 6 - 5);
	for (const unsigned long cmd : wrong)
		FAIL_CHECK("not ENOTTY: " << ke::ioctl_name(cmd));

	CHECK(same(dev.status(ch), before));
	CHECK(eventfd_count(efd.fd()) == 1);
	for (uint32_t c = 1; c < nch; ++c)
		CHECK(dev.status(c).flags == 0);
	CHECK(dev.fetch(ch).data == "kept");
}

TEST_CASE("eventfd: read, write, pread, lseek and mmap of the device are refused",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 6;
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());
	dev.produce(ch, "kept");
	const Status before = dev.status(ch);
	std::array<char, 16> buf{};

	errno = 0;
	CHECK(::read(dev.fd(), buf.data(), buf.size()) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(::write(dev.fd(), "item", 4) == -1);
	CHECK(errno == EINVAL);
	errno = 0;
	CHECK(::pread(dev.fd(), buf.data(), buf.size(), 0) == -1);
	CHECK(errno == ESPIPE);
	errno = 0;
	CHECK(::lseek(dev.fd(), 0, SEEK_SET) == -1);
	CHECK(errno == ESPIPE);
	const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
	errno = 0;
	void *map = ::mmap(nullptr, page, PROT_READ, MAP_SHARED, dev.fd(), 0);
	CHECK(map == MAP_FAILED);
	CHECK(errno == ENODEV);
	if (map != MAP_FAILED)
		::munmap(map, page);

	CHECK(same(dev.status(ch), before));
	CHECK(eventfd_count(efd.fd()) == 1);
	CHECK(dev.fetch(ch).data == "kept");
}

TEST_CASE("eventfd: the device's ioctls on descriptors that are not the device fail",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 1;
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());
	const Status before = dev.status(ch);

	std::array<int, 2> p{};
	REQUIRE(::pipe2(p.data(), O_CLOEXEC) == 0);
	const kuipc::Fd rd(p[0]);
	const kuipc::Fd wr(p[1]);
	const kuipc::Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
	REQUIRE(null);
	const kuipc::Fd path(::open(KUIPC_EVENTFD_PATH, O_PATH | O_CLOEXEC));
	REQUIRE(path);
	int closed = -1;
	{
		const ke::Device gone;
		closed = gone.fd();
	}
	const std::vector<std::pair<int, int>> fds = {
		{efd.fd(), ENOTTY}, {rd.get(), ENOTTY}, {null.get(), ENOTTY},
		{path.get(), EBADF}, {closed, EBADF},	{-1, EBADF},
		{INT_MAX, EBADF},
	};
	std::array<char, 4> data{};
	for (const auto &[fd, err] : fds) {
		INFO("fd " << fd);
		kuipc_eventfd_msg m = make_msg(ch, data.data(), data.size());
		CHECK(ioctl_err(fd, KUIPC_EVENTFD_PRODUCE, &m) == err);
		Status st{};
		st.channel = ch;
		CHECK(ioctl_err(fd, KUIPC_EVENTFD_STATUS, &st) == err);
		CHECK(st.flags == 0);
	}
	CHECK(same(dev.status(ch), before));
	CHECK(eventfd_count(efd.fd()) == 0);
}

TEST_CASE("eventfd: an eventfd already at its largest count saturates; items still queue",
	  "[eventfd][badinput]")
{
	ke::Device dev;
	require_all_free(dev);
	constexpr uint32_t ch = 2;
	constexpr uint64_t top = UINT64_MAX - 1; /* the most write(2) may add */
	ke::EventFd efd(EFD_NONBLOCK);
	dev.register_eventfd(ch, efd.fd());
	efd.write(top);
	CHECK(eventfd_count(efd.fd()) == top);

	/* The first item takes it to UINT64_MAX, where poll says POLLERR. */
	dev.produce(ch, "first");
	CHECK(eventfd_count(efd.fd()) == UINT64_MAX);
	pollfd pfd{efd.fd(), POLLIN, 0};
	CHECK(::poll(&pfd, 1, 0) == 1);
	CHECK((pfd.revents & POLLERR) != 0);
	/* Past it the increment is lost, not wrapped; the item is queued. */
	dev.produce(ch, "second");
	CHECK(eventfd_count(efd.fd()) == UINT64_MAX);
	const Status st = dev.status(ch);
	CHECK(st.queued == 2);
	CHECK(st.produced == 2);
	/* A write(2) cannot push it further either. */
	errno = 0;
	const uint64_t one = 1;
	CHECK(::write(efd.fd(), &one, sizeof(one)) == -1);
	CHECK(errno == EAGAIN);

	/* The items are intact and in order; the counter works again. */
	CHECK(dev.fetch(ch).data == "first");
	CHECK(dev.fetch(ch).data == "second");
	CHECK(efd.read() == UINT64_MAX);
	dev.produce(ch, "third");
	CHECK(efd.read() == 1);
	CHECK(dev.fetch(ch).data == "third");
}

namespace {

/* What a FETCH stalled in its user copy saw while a file was closed. */
struct StalledFetch {
	bool stalled = false;	/* the FETCH's data copy stalled on the page */
	bool prompt = false;	/* the close returned while it was stalled */
	int close_err = -1;	/* the close's errno, 0 */
	int fetch_err = -1;	/* the FETCH's errno, 0 */
	kuipc_eventfd_msg msg{}; /* what the FETCH filled in */
};

/*
 * A FETCH of channel ch on fetching whose data copy stalls on page; while
 * it is stalled, close_file() runs in a thread of its own. The FETCH is let
 * through once the close returned or 3 s passed, and both threads joined.
 */
StalledFetch fetch_stalled_across(const ke::Device &fetching, uint32_t ch,
				  kuipc::test::UserfaultPage &page,
				  const std::function<void()> &close_file)
{
	using namespace std::chrono_literals;
	StalledFetch r;
	r.msg = make_msg(ch, page.addr(), KUIPC_EVENTFD_PAYLOAD_MAX);
	std::thread fetcher(
		[&] { r.fetch_err = ioctl_err(fetching.fd(), KUIPC_EVENTFD_FETCH, &r.msg); });
	r.stalled = page.wait_fault(kuipc::test::patience(10s));

	std::promise<int> closed;
	std::future<int> close_err = closed.get_future();
	std::thread closer([&] { closed.set_value(errno_of(close_file)); });
	r.prompt = close_err.wait_for(kuipc::test::patience(3s)) == std::future_status::ready;
	/* Let the FETCH through on every path, then collect both threads. */
	page.resolve();
	fetcher.join();
	closer.join();
	r.close_err = close_err.get();
	return r;
}

/*
 * The close was prompt and went through; the FETCH, let through, took
 * the first item, payload, whole (its data at data).
 */
void check_stalled_fetch(const StalledFetch &f, const char *data, const std::string &payload)
{
	CHECK(f.stalled);
	CHECK(f.prompt);
	CHECK(f.close_err == 0);
	CHECK(f.fetch_err == 0);
	CHECK(f.msg.seq == 0);
	REQUIRE(f.msg.len == payload.size());
	CHECK(std::string(data, f.msg.len) == payload);
}

} // namespace

TEST_CASE("eventfd: closing the device does not wait for a FETCH stalled in its user copy",
	  "[eventfd][concurrency]")
{
	ke::Device dev;
	require_all_free(dev);
	kuipc::Fd efd(::eventfd(0, EFD_CLOEXEC));
	REQUIRE(efd);
	dev.register_eventfd(0, efd.get());
	const std::string payload = "stalled but not lost";
	dev.produce(0, payload);
	dev.produce(0, "next");
	const auto page = kuipc::test::userfault_page();

	/* A FETCH whose data copy stalls; meanwhile another open file of
	 * the device is closed. */
	const StalledFetch f = fetch_stalled_across(dev, 0, *page, [] {
		ke::Device other;
		other.close();
	});
	/* The stalled FETCH took the oldest item, once; the next one waits. */
	check_stalled_fetch(f, page->addr(), payload);
	const Status st = dev.status(0);
	CHECK(st.queued == 1);
	CHECK(st.fetched == 1);
	const ke::Item next = dev.fetch(0);
	CHECK(next.seq == 1);
}

TEST_CASE("eventfd: a FETCH stalled in its user copy completes when its registration ends",
	  "[eventfd][concurrency][lifecycle]")
{
	ke::Device fetching;
	require_all_free(fetching);
	auto owner = std::make_unique<ke::Device>();
	kuipc::Fd efd(::eventfd(0, EFD_CLOEXEC));
	REQUIRE(efd);
	owner->register_eventfd(3, efd.get());
	const std::string payload = "taken before the end";
	owner->produce(3, payload);
	owner->produce(3, "dropped with the registration");
	const auto page = kuipc::test::userfault_page();

	/* The registering file's last close ends the registration meanwhile. */
	StalledFetch f = fetch_stalled_across(fetching, 3, *page, [&] { owner->close(); });
	/* The FETCH had taken the item: it is delivered, whole, once. */
	check_stalled_fetch(f, page->addr(), payload);
	/* The registration is gone with everything still queued. */
	const Status st = fetching.status(3);
	CHECK(st.flags == 0);
	CHECK(st.queued == 0);
	CHECK(st.fetched == 0);
	CHECK(ioctl_err(fetching.fd(), KUIPC_EVENTFD_FETCH, &f.msg) == ENOTCONN);
}
