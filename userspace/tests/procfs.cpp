// SPDX-License-Identifier: GPL-2.0
// VM tests of the procfs pair: kuipc_procfs.ko and kuipc::procfs::Client.
// The runner has loaded the module; every test leaves it loaded, and each
// test that uses the message store empties it first.
#include <catch2/catch.hpp>

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "procfs.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using kuipc::test::errno_of;
using kuipc::test::outcome_of;
using kuipc::test::stat_errno;

namespace procfs = kuipc::procfs;
using Strings = std::vector<std::string>;

constexpr const char *modname = "kuipc_procfs";

/* The permission bits of path; throws if it cannot be stat()ed. */
unsigned int mode_of(const char *path)
{
	struct stat st {};
	if (::stat(path, &st) != 0)
		kuipc::throw_errno(std::string("stat ") + path);
	return st.st_mode & 07777;
}

kuipc::Fd open_or_throw(const char *path, int flags)
{
	kuipc::Fd fd(::open(path, flags | O_CLOEXEC));
	if (!fd)
		kuipc::throw_errno(std::string("open ") + path);
	return fd;
}

/* One write() of len bytes from buf: 0 if all were taken, else the errno. */
int write_raw(const char *path, const void *buf, std::size_t len)
{
	const kuipc::Fd fd = open_or_throw(path, O_WRONLY);
	const ssize_t n = ::write(fd.get(), buf, len);
	if (n < 0)
		return errno;
	return static_cast<std::size_t>(n) == len ? 0 : EIO;
}

/* The errno of client.write_message(msg), 0 if it succeeded. */
int write_errno(const procfs::Client &client, const std::string &msg)
{
	return errno_of([&] { client.write_message(msg); });
}

/* "msg-00", "msg-01", ...: n distinct, recognisable messages. */
Strings numbered(std::size_t n)
{
	Strings out;
	for (std::size_t i = 0; i < n; i++)
		out.push_back("msg-" + std::string(i < 10 ? "0" : "") +
			      std::to_string(i));
	return out;
}

using kuipc::test::GuardedPages;

/* Loads the module again at scope exit if a test left it unloaded. */
class KeepLoaded {
public:
	KeepLoaded() = default;
	KeepLoaded(const KeepLoaded &) = delete;
	KeepLoaded &operator=(const KeepLoaded &) = delete;
	~KeepLoaded()
	{
		if (kuipc::module_loaded(modname))
			return;
		try {
			kuipc::load_module(kuipc::module_path("procfs"));
		} catch (const kuipc::Error &) {
			/* The runner reports the module as failing to unload. */
		}
	}
};

} // namespace

TEST_CASE("procfs: messages written are read back unchanged", "[procfs]")
{
	const procfs::Client client;
	client.clear();
	REQUIRE(client.read_messages_raw().empty());

	client.write_message("first");
	client.write_message("second, with a newline\n");
	REQUIRE(kuipc::test::write_file(procfs::messages_path, "third") == 0);

	/* The exact bytes of the documented format, not just our decoder. */
	CHECK(client.read_messages_raw() ==
	      "5 first\n23 second, with a newline\n\n5 third\n");
	CHECK(client.messages() ==
	      Strings{"first", "second, with a newline\n", "third"});
	/* Reading does not consume. */
	CHECK(client.messages().size() == 3);
}

TEST_CASE("procfs: opening messages with O_TRUNC replaces them", "[procfs]")
{
	const procfs::Client client;
	client.clear();
	client.write_message("old one");
	client.write_message("old two");

	/* What a shell does for "echo new > messages". */
	const kuipc::Fd fd =
		open_or_throw(procfs::messages_path, O_WRONLY | O_TRUNC);
	CHECK(client.messages().empty());
	REQUIRE(::write(fd.get(), "new", 3) == 3);
	CHECK(client.messages() == Strings{"new"});

	/* Opening for reading never clears. */
	const kuipc::Fd ro = open_or_throw(procfs::messages_path, O_RDONLY);
	CHECK(client.messages() == Strings{"new"});
}

TEST_CASE("procfs: records read through small buffers are exactly the list",
	  "[procfs]")
{
	const procfs::Client client;
	const std::string want = procfs::expected_records();
	const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

	REQUIRE(want.size() == procfs::nr_records * procfs::record_line(0).size());
	REQUIRE(want.size() > 8 * page);

	for (const std::size_t chunk :
	     {std::size_t{1}, std::size_t{7}, std::size_t{61}, page - 1, page,
	      page + 1, 16 * page}) {
		INFO("read() buffer of " << chunk << " bytes");
		CHECK(client.read_records(chunk) == want);
	}
}

TEST_CASE("procfs: records at odd offsets via pread and lseek", "[procfs]")
{
	const std::string want = procfs::expected_records();
	const kuipc::Fd fd = open_or_throw(procfs::records_path, O_RDONLY);
	const std::size_t size = want.size();
	std::vector<char> buf(8192);

	for (const std::size_t off :
	     {std::size_t{0}, std::size_t{1}, std::size_t{41}, std::size_t{43},
	      std::size_t{4095}, std::size_t{4097}, std::size_t{12345},
	      size - 4099, size - 7, size - 1}) {
		for (const std::size_t len :
		     {std::size_t{1}, std::size_t{13}, std::size_t{4099}}) {
			INFO("pread of " << len << " bytes at " << off);
			const ssize_t n = ::pread(fd.get(), buf.data(), len,
						  static_cast<off_t>(off));
			REQUIRE(n >= 0);
			/* seq_file may return less than asked: never wrong bytes. */
			REQUIRE(static_cast<std::size_t>(n) <= len);
			CHECK(n > 0);
			CHECK(std::string(buf.data(), static_cast<std::size_t>(n)) ==
			      want.substr(off, static_cast<std::size_t>(n)));
		}
	}
	CHECK(::pread(fd.get(), buf.data(), 10, static_cast<off_t>(size)) == 0);
	CHECK(::pread(fd.get(), buf.data(), 10, static_cast<off_t>(size + 999)) ==
	      0);

	REQUIRE(::lseek(fd.get(), 20001, SEEK_SET) == 20001);
	REQUIRE(::read(fd.get(), buf.data(), 100) == 100);
	CHECK(std::string(buf.data(), 100) == want.substr(20001, 100));
	CHECK(::lseek(fd.get(), 0, SEEK_CUR) == 20101);
	REQUIRE(::lseek(fd.get(), -101, SEEK_CUR) == 20000);
	REQUIRE(::read(fd.get(), buf.data(), 1) == 1);
	CHECK(buf[0] == want[20000]);

	errno = 0;
	CHECK(::lseek(fd.get(), -1, SEEK_SET) == -1);
	CHECK(errno == EINVAL);
}

TEST_CASE("procfs: an oversized message fails with EMSGSIZE, store intact",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	client.clear();
	client.write_message("keep me");

	CHECK(write_errno(client, std::string(procfs::msg_max + 1, 'x')) ==
	      EMSGSIZE);
	CHECK(kuipc::test::write_file(procfs::messages_path,
				      std::string(1 << 20, 'y')) == EMSGSIZE);
	CHECK(client.messages() == Strings{"keep me"});

	/* The limit itself is allowed. */
	const std::string biggest(procfs::msg_max, 'z');
	CHECK(write_errno(client, biggest) == 0);
	CHECK(client.messages() == Strings{"keep me", biggest});
}

TEST_CASE("procfs: a full store refuses more with ENOSPC, store intact",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	const Strings msgs = numbered(procfs::msg_slots);
	client.clear();
	for (const auto &msg : msgs)
		REQUIRE(write_errno(client, msg) == 0);

	CHECK(write_errno(client, "one too many") == ENOSPC);
	CHECK(write_errno(client, "x") == ENOSPC);
	CHECK(client.messages() == msgs);

	/* Clearing makes room again. */
	client.clear();
	CHECK(write_errno(client, "after clear") == 0);
	CHECK(client.messages() == Strings{"after clear"});
}

TEST_CASE("procfs: an unreadable user buffer gives EFAULT, store intact",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	const GuardedPages mem;
	std::fill_n(mem.good(), mem.page_size(), 'a');
	client.clear();
	client.write_message("before");

	/* Wholly unmapped, and straddling into the unmapped page. */
	CHECK(write_raw(procfs::messages_path, mem.bad(), 5) == EFAULT);
	CHECK(write_raw(procfs::messages_path, mem.bad() - 10, 20) == EFAULT);
	CHECK(client.messages() == Strings{"before"});

	/* The same readable bytes alone are fine. */
	CHECK(write_raw(procfs::messages_path, mem.bad() - 10, 10) == 0);
	CHECK(client.messages() == Strings{"before", std::string(10, 'a')});
}

TEST_CASE("procfs: empty writes store nothing, binary messages round trip",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	client.clear();

	/* write() of 0 bytes reaches the module and must store nothing. */
	{
		const kuipc::Fd fd =
			open_or_throw(procfs::messages_path, O_WRONLY);
		CHECK(::write(fd.get(), "", 0) == 0);
	}
	CHECK(client.read_messages_raw().empty());

	std::string every_byte;
	for (int c = 0; c < 256 && every_byte.size() < procfs::msg_max; c++)
		every_byte += static_cast<char>(c);
	const Strings msgs = {
		every_byte,
		std::string(1, '\0'),
		std::string("a\0b", 3),
		"\n\n",
		"12 looks like a header\n",
		"\xff",
	};
	for (const auto &msg : msgs)
		REQUIRE(write_errno(client, msg) == 0);

	CHECK(client.read_messages_raw() == procfs::encode_messages(msgs));
	CHECK(client.messages() == msgs);
}

TEST_CASE("procfs: the size limit is checked before the buffer is read",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	const GuardedPages mem;
	client.clear();
	client.write_message("keep me");

	/* One byte over the limit: refused whatever the buffer holds. */
	CHECK(write_raw(procfs::messages_path, mem.bad(), procfs::msg_max + 1) ==
	      EMSGSIZE);
	/* At the limit the module copies, and the copy faults. */
	CHECK(write_raw(procfs::messages_path, mem.bad(), procfs::msg_max) ==
	      EFAULT);
	CHECK(client.messages() == Strings{"keep me"});
}

TEST_CASE("procfs: null and kernel-space pointers give EFAULT, store intact",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	client.clear();
	client.write_message("before");
	const std::string stored = client.read_messages_raw();

	/* The first page and an address in the kernel's half. */
	const std::vector<const void *> bad = {
		nullptr, kuipc::test::kernel_address()};
	for (const void *p : bad) {
		INFO("buffer at " << p);
		CHECK(write_raw(procfs::messages_path, p, 5) == EFAULT);

		const kuipc::Fd fd = open_or_throw(procfs::messages_path,
						   O_RDONLY);
		errno = 0;
		CHECK(::read(fd.get(), const_cast<void *>(p), 5) == -1);
		CHECK(errno == EFAULT);
	}
	CHECK(client.read_messages_raw() == stored);
}

TEST_CASE("procfs: reading into an unwritable buffer gives EFAULT",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	const GuardedPages mem;
	const std::string want = procfs::expected_records();
	client.clear();
	client.write_message("still here");
	const std::string stored = client.read_messages_raw();

	for (const auto &[path, content] :
	     {std::pair{procfs::records_path, want},
	      std::pair{procfs::messages_path, stored}}) {
		INFO(path);
		const kuipc::Fd fd = open_or_throw(path, O_RDONLY);
		errno = 0;
		CHECK(::read(fd.get(), mem.bad(), 8) == -1);
		CHECK(errno == EFAULT);
		errno = 0;
		CHECK(::pread(fd.get(), mem.bad(), 4, 3) == -1);
		CHECK(errno == EFAULT);

		/* The failed read consumed nothing: the same descriptor
		 * goes on from offset 0. */
		CHECK(::lseek(fd.get(), 0, SEEK_CUR) == 0);
		std::vector<char> buf(8);
		REQUIRE(::read(fd.get(), buf.data(), buf.size()) == 8);
		CHECK(std::string(buf.data(), buf.size()) == content.substr(0, 8));
	}
	CHECK(client.read_messages_raw() == stored);
	CHECK(client.read_records() == want);
}

TEST_CASE("procfs: descriptors opened read-only cannot write",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	client.clear();
	client.write_message("unchanged");

	for (const char *path : {procfs::records_path, procfs::messages_path}) {
		INFO(path);
		const kuipc::Fd fd = open_or_throw(path, O_RDONLY);
		errno = 0;
		CHECK(::write(fd.get(), "x", 1) == -1);
		CHECK(errno == EBADF);
	}
	CHECK(client.messages() == Strings{"unchanged"});
	CHECK(client.read_records() == procfs::expected_records());
}

TEST_CASE("procfs: records has no write method, even for root",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	const std::string want = procfs::expected_records();
	client.clear();

	/* Root passes the permission check of a 0444 file... */
	const kuipc::Fd fd = open_or_throw(procfs::records_path, O_RDWR);
	/* ...and procfs answers EIO, as the file has no write handler. */
	const std::string line = procfs::record_line(0);
	errno = 0;
	CHECK(::write(fd.get(), line.data(), line.size()) == -1);
	CHECK(errno == EIO);

	CHECK(client.read_records() == want);
	CHECK(client.messages().empty());
}

TEST_CASE("procfs: unknown ioctls and mmap are refused, nothing changes",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	client.clear();
	client.write_message("intact");

	for (const char *path : {procfs::records_path, procfs::messages_path}) {
		INFO(path);
		const kuipc::Fd fd = open_or_throw(path, O_RDWR);
		int arg = 0;
		for (const unsigned long cmd : std::array<unsigned long, 4>{
			     _IO('k', 0), _IOR('k', 1, int), _IOW('k', 2, int),
			     0xdeadbeefUL}) {
			INFO("ioctl " << cmd);
			CHECK(kuipc::test::ioctl_err(fd.get(), cmd, &arg) == ENOTTY);
		}
		CHECK(kuipc::test::mmap_err(fd.get(), 4096, PROT_READ, MAP_SHARED) == EIO);
	}
	CHECK(client.messages() == Strings{"intact"});
	CHECK(client.read_records() == procfs::expected_records());
}

TEST_CASE("procfs: pwrite is refused, a write after lseek appends",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	client.clear();
	client.write_message("first");

	const kuipc::Fd fd = open_or_throw(procfs::messages_path, O_RDWR);
	/* seq_file files take no pwrite(), at any offset. */
	for (const off_t off : {off_t{0}, off_t{1}, off_t{12345}}) {
		INFO("pwrite at " << off);
		errno = 0;
		CHECK(::pwrite(fd.get(), "at an offset", 12, off) == -1);
		CHECK(errno == ESPIPE);
	}
	/* A negative offset is refused before that. */
	errno = 0;
	CHECK(::pwrite(fd.get(), "minus one", 9, -1) == -1);
	CHECK(errno == EINVAL);
	CHECK(client.messages() == Strings{"first"});

	/* write() ignores the file position: one more message, appended. */
	REQUIRE(::lseek(fd.get(), 7, SEEK_SET) == 7);
	CHECK(::write(fd.get(), "after lseek", 11) == 11);
	CHECK(client.messages() == Strings{"first", "after lseek"});
}

TEST_CASE("procfs: lseek refuses SEEK_END and negative offsets",
	  "[procfs][badinput]")
{
	const procfs::Client client;
	client.clear();
	client.write_message("0123456789");
	const std::string stored = client.read_messages_raw();
	REQUIRE(stored == "10 0123456789\n");

	const kuipc::Fd fd = open_or_throw(procfs::messages_path, O_RDONLY);
	REQUIRE(::lseek(fd.get(), 3, SEEK_SET) == 3);
	for (const auto &[off, whence] :
	     std::vector<std::pair<off_t, int>>{{0, SEEK_END},
						{-1, SEEK_END},
						{-1, SEEK_SET},
						{-4, SEEK_CUR},
						{0, SEEK_DATA},
						{0, 42}}) {
		INFO("lseek(" << off << ", " << whence << ")");
		errno = 0;
		CHECK(::lseek(fd.get(), off, whence) == -1);
		CHECK(errno == EINVAL);
		/* The position stays where it was. */
		CHECK(::lseek(fd.get(), 0, SEEK_CUR) == 3);
	}
	std::vector<char> buf(64);
	const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
	REQUIRE(n >= 0);
	CHECK(std::string(buf.data(), static_cast<std::size_t>(n)) ==
	      stored.substr(3));
	CHECK(client.read_messages_raw() == stored);
}

namespace {

/*
 * With stored in the messages file: a caller that run() runs as may
 * neither write, truncate nor open the records for writing, but reads
 * the same bytes root reads; and the messages are as they were.
 */
void check_only_reads(const procfs::Client &client, const kuipc::test::RunAs &run,
		      const std::string &stored)
{
	CHECK(run([] {
		      return kuipc::test::write_file(procfs::messages_path, "intruder");
	      }) == EACCES);
	CHECK(run([] {
		      const kuipc::Fd fd(::open(procfs::messages_path,
						O_WRONLY | O_TRUNC | O_CLOEXEC));
		      return fd ? 0 : errno;
	      }) == EACCES);
	CHECK(run([] {
		      const kuipc::Fd fd(::open(procfs::records_path, O_WRONLY | O_CLOEXEC));
		      return fd ? 0 : errno;
	      }) == EACCES);

	/* Reading is allowed and sees the same bytes root sees. */
	CHECK(run([&stored] {
		      return outcome_of([&] {
			      const procfs::Client c;
			      if (c.read_messages_raw() != stored ||
				  c.read_records(61) != procfs::expected_records())
				      return EBADMSG;
			      return 0;
		      });
	      }) == 0);

	CHECK(client.read_messages_raw() == stored);
}

} // namespace

TEST_CASE("procfs: an unprivileged user can read but not write or clear",
	  "[procfs][permission]")
{
	const procfs::Client client;

	CHECK(mode_of(procfs::records_path) == procfs::records_mode);
	CHECK(mode_of(procfs::messages_path) == procfs::messages_mode);

	client.clear();
	client.write_message("root's message");
	check_only_reads(client, kuipc::test::run_unprivileged, client.read_messages_raw());
}

TEST_CASE("procfs: root in a new user namespace is refused what needs a capability in the initial one",
	  "[procfs][permission]")
{
	const procfs::Client client;
	client.clear();
	client.write_message("root's message");

	/*
	 * Both files are root's without an "other" write bit: root of a user
	 * namespace, whose uid 0 is nobody outside, may not override that.
	 */
	check_only_reads(client, kuipc::test::run_as_userns_root, client.read_messages_raw());
}

TEST_CASE("procfs: parallel readers see whole snapshots while a writer works",
	  "[procfs][concurrency]")
{
	const procfs::Client client;
	const std::string want_records = procfs::expected_records();
	const Strings seq = numbered(procfs::msg_slots);
	constexpr int rounds = 60;

	std::atomic<long> record_reads{0};
	std::atomic<long> message_reads{0};
	std::mutex err_lock;
	Strings errors;
	auto fail = [&](const std::string &what) {
		const std::lock_guard<std::mutex> guard(err_lock);
		errors.push_back(what);
	};

	client.clear();
	std::vector<std::jthread> readers;
	for (const std::size_t chunk : {61, 4096, 1000}) {
		readers.emplace_back([&, chunk](const std::stop_token &stop) {
			try {
				do {
					if (client.read_records(chunk) != want_records)
						fail("records differ, chunk " +
						     std::to_string(chunk));
					record_reads++;
				} while (!stop.stop_requested());
			} catch (const std::exception &e) {
				fail(e.what());
			}
		});
	}
	for (const std::size_t chunk : {7, 100}) {
		readers.emplace_back([&, chunk](const std::stop_token &stop) {
			try {
				do {
					/* A prefix of seq, or the lock is broken. */
					const Strings got = procfs::decode_messages(
						client.read_messages_raw(chunk));
					if (got.size() > seq.size() ||
					    !std::equal(got.begin(), got.end(),
							seq.begin()))
						fail("torn messages snapshot");
					message_reads++;
				} while (!stop.stop_requested());
			} catch (const std::exception &e) {
				fail(e.what());
			}
		});
	}

	try {
		for (int r = 0; r < rounds; r++) {
			client.clear();
			for (const auto &msg : seq)
				client.write_message(msg);
		}
	} catch (const std::exception &e) {
		fail(std::string("writer: ") + e.what());
	}
	readers.clear(); /* request_stop() and join() each */

	CHECK(errors.empty());
	for (const auto &e : errors)
		UNSCOPED_INFO(e);
	CHECK(record_reads >= 3);
	CHECK(message_reads >= 2);
	CHECK(client.messages() == seq);
}

TEST_CASE("procfs: unload removes the entries, reload restores them",
	  "[procfs][lifecycle]")
{
	const procfs::Client client;
	const KeepLoaded keep;
	client.clear();
	client.write_message("gone after reload");
	REQUIRE(stat_errno(procfs::records_path) == 0);

	kuipc::unload_module(modname);
	CHECK_FALSE(kuipc::module_loaded(modname));
	CHECK(stat_errno(procfs::dir_path) == ENOENT);
	CHECK(stat_errno(procfs::records_path) == ENOENT);
	CHECK(stat_errno(procfs::messages_path) == ENOENT);

	kuipc::load_module(kuipc::module_path("procfs"));
	REQUIRE(kuipc::module_loaded(modname));
	CHECK(client.read_records() == procfs::expected_records());
	CHECK(client.messages().empty());
	client.write_message("after reload");
	CHECK(client.messages() == Strings{"after reload"});
}

TEST_CASE("procfs: descriptors held across unload fail with EIO",
	  "[procfs][lifecycle]")
{
	const procfs::Client client;
	const std::string want = procfs::expected_records();
	const KeepLoaded keep;
	client.clear();

	kuipc::Fd rec = open_or_throw(procfs::records_path, O_RDONLY);
	kuipc::Fd msg = open_or_throw(procfs::messages_path, O_RDWR);
	std::vector<char> buf(100);
	REQUIRE(::read(rec.get(), buf.data(), buf.size()) == 100);
	CHECK(std::string(buf.data(), buf.size()) == want.substr(0, 100));

	/* Open proc files do not pin the module: unloading must succeed. */
	kuipc::unload_module(modname);
	REQUIRE_FALSE(kuipc::module_loaded(modname));

	errno = 0;
	CHECK(::read(rec.get(), buf.data(), buf.size()) == -1);
	CHECK(errno == EIO);
	errno = 0;
	CHECK(::write(msg.get(), "x", 1) == -1);
	CHECK(errno == EIO);
	errno = 0;
	CHECK(::read(msg.get(), buf.data(), buf.size()) == -1);
	CHECK(errno == EIO);
	CHECK(::close(rec.release()) == 0);
	CHECK(::close(msg.release()) == 0);

	kuipc::load_module(kuipc::module_path("procfs"));
	CHECK(client.read_records() == want);
}
