// SPDX-License-Identifier: GPL-2.0
// VM tests of the configfs pair: kuipc_configfs.ko and kuipc::configfs::Client.
// The runner has loaded the module; every test leaves it loaded, and each
// one starts from fresh(): configfs mounted, no items, initial at default.
#include <catch2/catch.hpp>

#include "configfs.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"
#include "support.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace kuipc::configfs {

/* How Catch2 prints them when a check fails. */
std::ostream &operator<<(std::ostream &os, const Entry &e)
{
	return os << '{' << e.name << ' ' << e.value << '}';
}

std::ostream &operator<<(std::ostream &os, const Summary &s)
{
	return os << '"' << escape(format_summary(s)) << '"';
}

} // namespace kuipc::configfs

namespace {

using kuipc::test::stat_errno;

namespace cfs = kuipc::configfs;
using Strings = std::vector<std::string>;

constexpr const char *modname = "kuipc_configfs";

using kuipc::test::errno_of;

/* The permission bits of path; throws if it cannot be stat()ed. */
unsigned int mode_of(const std::string &path)
{
	struct stat st {};
	if (::stat(path.c_str(), &st) != 0)
		kuipc::throw_errno("stat " + path);
	return st.st_mode & 07777;
}

bool is_dir(const std::string &path)
{
	struct stat st {};
	return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/* mkdir/rmdir without the client: 0 or errno. */
int mkdir_errno(const std::string &path)
{
	return ::mkdir(path.c_str(), 0755) == 0 ? 0 : errno;
}

int rmdir_errno(const std::string &path)
{
	return ::rmdir(path.c_str()) == 0 ? 0 : errno;
}

/* A path syscall's result: 0 or errno. */
int errno_if(int ret)
{
	return ret == 0 ? 0 : errno;
}

using kuipc::test::open_errno;

/* An address the compiler cannot see through (it would warn at a call). */
const char *bad_address(std::uintptr_t addr)
{
	return static_cast<const char *>(kuipc::test::bad_address(addr));
}

using kuipc::test::GuardedPages;

/*
 * Where every test starts: configfs mounted, the module's subsystem there,
 * no items left by anyone, settings/initial at its default.
 */
cfs::Client fresh()
{
	if (!cfs::mounted())
		FAIL("configfs is not mounted at "
		     << cfs::mount_point
		     << "; the guest must run: mount -t configfs none "
		     << cfs::mount_point);
	cfs::Client client;
	cfs::Client::check_available();
	client.remove_all();
	client.set_initial(cfs::initial_default);
	const cfs::Summary s = client.summary();
	REQUIRE(s.items == 0);
	REQUIRE(s.allocated == 0);
	REQUIRE(s.entries.empty());
	return client;
}

Strings sorted(Strings v)
{
	std::sort(v.begin(), v.end());
	return v;
}

/* Thread-safe collection of failures seen by worker threads. */
class Failures {
public:
	void add(const std::string &what)
	{
		const std::lock_guard lock(mutex_);
		if (list_.size() < 20)
			list_.push_back(what);
		++count_;
	}

	/* Report them all in the calling (Catch2) thread. */
	void check() const
	{
		const std::lock_guard lock(mutex_);
		for (const auto &f : list_)
			UNSCOPED_INFO(f);
		CHECK(count_ == 0);
	}

private:
	mutable std::mutex mutex_;
	Strings list_;
	std::size_t count_ = 0;
};

} // namespace

TEST_CASE("configfs: mkdir creates an item whose value round-trips",
	  "[configfs]")
{
	const cfs::Client client = fresh();

	client.create("alpha");
	CHECK(is_dir(cfs::item_path("alpha")));
	CHECK(mode_of(cfs::value_path("alpha")) == cfs::rw_mode);
	CHECK(mode_of(cfs::summary_path) == cfs::ro_mode);
	CHECK(client.value("alpha") == cfs::initial_default);

	for (const int v : {1, -1, 42, cfs::value_min, cfs::value_max, 0}) {
		INFO("value " << v);
		client.set_value("alpha", v);
		CHECK(client.value("alpha") == v);
	}

	/* The trailing newline is optional and a '+' sign is accepted. */
	client.write_value("alpha", "17");
	CHECK(client.value("alpha") == 17);
	client.write_value("alpha", "+18\n");
	CHECK(client.value("alpha") == 18);

	const cfs::Summary s = client.summary();
	CHECK(s.items == 1);
	CHECK(s.find("alpha") == std::optional<int>(18));

	client.remove("alpha");
}

TEST_CASE("configfs: summary lists every item with the value the kernel holds",
	  "[configfs]")
{
	const cfs::Client client = fresh();
	/* The longest name allowed does not fit configfs's inline buffer. */
	const std::string longest(cfs::name_max, 'n');
	const std::vector<cfs::Entry> want = {
		{"a", 5}, {"b-2", -300}, {"C_3", cfs::value_max}, {longest, 77}};

	for (const auto &e : want) {
		client.create(e.name);
		client.set_value(e.name, e.value);
	}

	cfs::Summary s = client.summary();
	CHECK(s.items == want.size());
	CHECK(s.allocated == want.size());
	CHECK(s.entries == want); /* oldest first */

	Strings names;
	for (const auto &e : want)
		names.push_back(e.name);
	CHECK(sorted(cfs::Client::list()) == sorted(names));

	/* A change made through one item shows in the next snapshot. */
	client.set_value("b-2", 301);
	s = client.summary();
	CHECK(s.find("b-2") == std::optional<int>(301));
	CHECK(s.find("a") == std::optional<int>(5));

	client.remove_all();
	CHECK(client.summary() == cfs::Summary{});
}

TEST_CASE("configfs: rmdir removes the item and releases it at once",
	  "[configfs][lifecycle]")
{
	const cfs::Client client = fresh();
	client.create("keep");
	client.set_value("keep", 1);
	client.create("gone");
	client.set_value("gone", 2);
	REQUIRE(client.summary().items == 2);

	/* A descriptor opened before the rmdir and not read yet. */
	const std::string path = cfs::value_path("gone");
	const kuipc::Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
	REQUIRE(fd.valid());

	client.remove("gone");
	CHECK(stat_errno(cfs::item_path("gone")) == ENOENT);
	const cfs::Summary s = client.summary();
	CHECK(s.items == 1);
	/* release() ran although the value file is still open. */
	CHECK(s.allocated == 1);
	CHECK(s.entries == std::vector<cfs::Entry>{{"keep", 1}});
	CHECK(cfs::Client::list() == Strings{"keep"});

	/* The open file outlived the item: it fails, the kernel survives. */
	CHECK(::write(fd.get(), "5\n", 2) == -1);
	CHECK(errno == ENOENT);
	std::array<char, 16> buf{};
	CHECK(::read(fd.get(), buf.data(), buf.size()) == -1);
	CHECK(errno == ENOENT);

	CHECK(errno_of([&] { client.remove("gone"); }) == ENOENT);

	/* The same name again is a new item, with the initial value. */
	client.create("gone");
	CHECK(client.value("gone") == cfs::initial_default);
	CHECK(client.summary().items == 2);
	client.remove_all();
	CHECK(client.summary() == cfs::Summary{});
}

TEST_CASE("configfs: a non-numeric value is refused with EINVAL",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 7);
	client.set_initial(3);

	const Strings bad = {"\n",     "abc\n",   "12abc\n",
			     "1.5\n",  "0x10\n",  " 4\n",
			     "4 \n",   "4\n\n",   "--4\n",
			     "+\n",    "seven",   std::string("4\0" "9\n", 4),
			     std::string(100, '9') + "x"};
	for (const auto &text : bad) {
		INFO("write \"" << cfs::escape(text) << "\"");
		CHECK(errno_of([&] { client.write_value("x", text); }) ==
		      EINVAL);
		CHECK(client.value("x") == 7);
		CHECK(errno_of([&] { client.write_initial(text); }) == EINVAL);
		CHECK(client.initial() == 3);
	}

	/* A write() of no bytes: configfs itself refuses it with EFAULT,
	 * without calling store(). */
	{
		const std::string path = cfs::value_path("x");
		const kuipc::Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
		REQUIRE(fd.valid());
		const ssize_t n = ::write(fd.get(), "", 0);
		const int err = n < 0 ? errno : 0;
		CHECK(n == -1);
		CHECK(err == EFAULT);
		CHECK(client.value("x") == 7);
	}

	/* What the kernel holds is unchanged, and new items still use 3. */
	client.create("y");
	CHECK(client.value("y") == 3);
	const cfs::Summary s = client.summary();
	CHECK(s.entries == std::vector<cfs::Entry>{{"x", 7}, {"y", 3}});
}

TEST_CASE("configfs: an out-of-range value is refused with ERANGE",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 11);
	client.set_initial(12);

	const Strings bad = {
		std::to_string(cfs::value_max + 1),
		std::to_string(cfs::value_min - 1) + "\n",
		std::to_string(INT_MAX) + "\n",
		std::to_string(INT_MIN) + "\n",
		"2147483648\n",
		"-2147483649\n",
		"99999999999999999999\n",
	};
	for (const auto &text : bad) {
		INFO("write \"" << cfs::escape(text) << "\"");
		CHECK(errno_of([&] { client.write_value("x", text); }) ==
		      ERANGE);
		CHECK(client.value("x") == 11);
		CHECK(errno_of([&] { client.write_initial(text); }) == ERANGE);
		CHECK(client.initial() == 12);
	}
	CHECK(client.summary().find("x") == std::optional<int>(11));

	/* Both ends of the range are accepted. */
	for (const int v : {cfs::value_min, cfs::value_max}) {
		client.set_value("x", v);
		CHECK(client.value("x") == v);
		client.set_initial(v);
		CHECK(client.initial() == v);
	}
}

TEST_CASE("configfs: an over-long or malformed item name is refused",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("ok");
	client.set_value("ok", 4);
	const std::string longest(cfs::name_max, 'L');
	client.create(longest);

	struct Case {
		std::string name;
		int err;
	};
	const std::vector<Case> cases = {
		{std::string(cfs::name_max + 1, 'L'), ENAMETOOLONG},
		{std::string(255, 'L'), ENAMETOOLONG},	/* the module */
		{std::string(256, 'L'), ENAMETOOLONG},	/* the VFS */
		{"has space", EINVAL},
		{"semi;colon", EINVAL},
		{"dot.ted", EINVAL},
		{"new\nline", EINVAL},
		{"\xc3\xbcmlaut", EINVAL},
		{"ok", EEXIST},
		{cfs::settings_name, EEXIST},
	};
	for (const auto &c : cases) {
		INFO("mkdir \"" << cfs::escape(c.name, 40) << "\" ("
				<< c.name.size() << " bytes)");
		CHECK(mkdir_errno(cfs::item_path(c.name)) == c.err);
	}

	/* Nothing was created, nothing changed. */
	const cfs::Summary s = client.summary();
	CHECK(s.items == 2);
	CHECK(s.allocated == 2);
	CHECK(s.entries == std::vector<cfs::Entry>{{"ok", 4}, {longest, 0}});
	CHECK(sorted(cfs::Client::list()) == sorted({"ok", longest}));
}

TEST_CASE("configfs: a write longer than configfs passes on is refused whole",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	constexpr std::size_t write_max = KUIPC_CONFIGFS_WRITE_MAX;

	/* Just inside: leading zeros up to the limit. */
	client.write_value("x", std::string(write_max - 1, '0') + "5");
	CHECK(client.value("x") == 5);
	client.write_initial(std::string(write_max - 2, '0') + "6\n");
	CHECK(client.initial() == 6);
	client.set_value("x", 7);
	client.set_initial(3);

	/* configfs hands store() at most the first 4095 bytes of these. */
	const Strings bad = {
		std::string(write_max, '0') + "5",
		std::string(write_max - 1, '0') + "5\n",
		std::string(4999, '0') + "x",
		std::string(4094, '0') + "5" + std::string(100, 'x'),
		std::string(8192, '9'),
	};
	for (const auto &text : bad) {
		INFO("write of " << text.size() << " bytes ending \""
				 << cfs::escape(text.substr(text.size() - 4))
				 << "\"");
		CHECK(errno_of([&] { client.write_value("x", text); }) ==
		      EINVAL);
		CHECK(client.value("x") == 7);
		CHECK(errno_of([&] { client.write_initial(text); }) == EINVAL);
		CHECK(client.initial() == 3);
	}
	CHECK(client.summary().entries == std::vector<cfs::Entry>{{"x", 7}});
}

TEST_CASE("configfs: leading zeros, signs and the range bounds",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 7);
	client.set_initial(3);

	struct Case {
		std::string text;
		int err;
	};
	const std::vector<Case> bad = {
		{"0001000001\n", ERANGE},
		{"-0001000001\n", ERANGE},
		{"+1000001", ERANGE},
		{"+-1\n", EINVAL},
		{"-+1\n", EINVAL},
		{"1e3\n", EINVAL},
		{"0X10\n", EINVAL},
		{"0b1\n", EINVAL},
		{"\t5\n", EINVAL},
		{"5\r\n", EINVAL},
		{"\xd9\xa3\n", EINVAL},
		{std::string("5\n\0", 3), EINVAL},
	};
	for (const auto &c : bad) {
		INFO("write \"" << cfs::escape(c.text) << "\"");
		CHECK(errno_of([&] { client.write_value("x", c.text); }) ==
		      c.err);
		CHECK(client.value("x") == 7);
		CHECK(errno_of([&] { client.write_initial(c.text); }) == c.err);
		CHECK(client.initial() == 3);
	}

	/* Just inside the bounds, spelt with zeros and signs: decimal. */
	const std::vector<std::pair<std::string, int>> good = {
		{"0001000000\n", cfs::value_max},
		{"-0001000000\n", cfs::value_min},
		{"-0", 0},
		{"+0\n", 0},
		{"010\n", 10},
	};
	for (const auto &[text, want] : good) {
		INFO("write \"" << cfs::escape(text) << "\"");
		client.write_value("x", text);
		CHECK(client.value("x") == want);
		client.write_initial(text);
		CHECK(client.initial() == want);
	}
}

TEST_CASE("configfs: summary is read-only, even for root",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 7);
	const std::string before = client.summary_raw();

	REQUIRE(::geteuid() == 0);
	CHECK(open_errno(cfs::summary_path, O_WRONLY) == EACCES);
	CHECK(open_errno(cfs::summary_path, O_RDWR) == EACCES);
	CHECK(open_errno(cfs::summary_path, O_WRONLY | O_TRUNC) == EACCES);
	CHECK(kuipc::test::write_file(cfs::summary_path, "items 0\n") ==
	      EACCES);
	/* Directories cannot be opened for writing at all. */
	CHECK(open_errno(cfs::item_path("x"), O_WRONLY) == EISDIR);
	CHECK(open_errno(cfs::settings_path, O_RDWR) == EISDIR);

	CHECK(client.summary_raw() == before);
	CHECK(client.value("x") == 7);
}

TEST_CASE("configfs: mkdir anywhere but the subsystem directory is refused",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 7);
	const std::string before = client.summary_raw();

	struct Case {
		std::string path;
		int err;
	};
	const std::vector<Case> cases = {
		{cfs::item_path("x") + "/sub", EPERM},	/* in an item */
		{std::string(cfs::settings_path) + "/sub", EPERM},
		{cfs::item_path("missing") + "/sub", ENOENT},
		{cfs::value_path("x") + "/sub", ENOTDIR},
		{cfs::value_path("x"), EEXIST},
		{cfs::summary_path, EEXIST},
		{cfs::initial_path, EEXIST},
	};
	for (const auto &c : cases) {
		INFO("mkdir " << c.path);
		CHECK(mkdir_errno(c.path) == c.err);
	}
	/* A name the kernel cannot even read. */
	const GuardedPages page;
	errno = 0;
	CHECK(::mkdir(page.bad(), 0755) == -1);
	CHECK(errno == EFAULT);
	errno = 0;
	CHECK(::mkdir(bad_address(1), 0755) == -1);
	CHECK(errno == EFAULT);

	CHECK(client.summary_raw() == before);
	CHECK(cfs::Client::list() == Strings{"x"});
	CHECK(client.value("x") == 7);
}

TEST_CASE("configfs: rmdir of the default group, of a file or of \".\" is "
	  "refused",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 7);
	client.set_initial(3);
	const std::string before = client.summary_raw();

	struct Case {
		std::string path;
		int err;
	};
	const std::vector<Case> cases = {
		{cfs::settings_path, EPERM},
		{cfs::settings_path + std::string("/"), EPERM},
		{cfs::value_path("x"), ENOTDIR},
		{cfs::summary_path, ENOTDIR},
		{cfs::initial_path, ENOTDIR},
		{cfs::item_path("x") + "/.", EINVAL},
		{cfs::item_path("missing"), ENOENT},
	};
	for (const auto &c : cases) {
		INFO("rmdir " << c.path);
		CHECK(rmdir_errno(c.path) == c.err);
	}

	CHECK(is_dir(cfs::settings_path));
	CHECK(client.initial() == 3);
	CHECK(client.summary_raw() == before);
	CHECK(cfs::Client::list() == Strings{"x"});
	CHECK(client.value("x") == 7);
}

TEST_CASE("configfs: unlink, rename, symlink, mknod and file creation are "
	  "refused",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 7);
	const std::string before = client.summary_raw();
	const std::string value = cfs::value_path("x");

	CHECK(errno_if(::unlink(value.c_str())) == EPERM);
	CHECK(errno_if(::unlink(cfs::summary_path)) == EPERM);
	CHECK(errno_if(::unlink(cfs::item_path("x").c_str())) == EISDIR);
	CHECK(errno_if(::rename(cfs::item_path("x").c_str(),
				cfs::item_path("y").c_str())) == EPERM);
	CHECK(errno_if(::rename(value.c_str(),
				(cfs::item_path("x") + "/v2").c_str())) ==
	      EPERM);
	CHECK(errno_if(::symlink(value.c_str(),
				 cfs::item_path("lnk").c_str())) == EPERM);
	/* mknod(S_IFREG) is a create: EACCES like open(O_CREAT). */
	CHECK(errno_if(::mknod(cfs::item_path("node").c_str(),
			       S_IFREG | 0644, 0)) == EACCES);
	CHECK(errno_if(::mknod(cfs::item_path("fifo").c_str(),
			       S_IFIFO | 0644, 0)) == EPERM);
	CHECK(open_errno(cfs::item_path("file"), O_WRONLY | O_CREAT) == EACCES);
	CHECK(open_errno(cfs::item_path("x") + "/extra",
			 O_WRONLY | O_CREAT) == EACCES);

	for (const char *name : {"y", "lnk", "node", "fifo", "file"}) {
		INFO(name);
		CHECK(stat_errno(cfs::item_path(name)) == ENOENT);
	}
	CHECK(stat_errno(cfs::item_path("x") + "/extra") == ENOENT);
	CHECK(client.summary_raw() == before);
	CHECK(cfs::Client::list() == Strings{"x"});
	CHECK(client.value("x") == 7);
}

TEST_CASE("configfs: a write from an inaccessible buffer gives EFAULT",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 7);
	client.set_initial(3);

	const GuardedPages page;
	for (const std::string &path :
	     {cfs::value_path("x"), std::string(cfs::initial_path)}) {
		INFO(path);
		const kuipc::Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
		REQUIRE(fd.valid());
		errno = 0;
		CHECK(::write(fd.get(), page.bad(), 2) == -1);
		CHECK(errno == EFAULT);
		errno = 0;
		CHECK(::write(fd.get(), bad_address(1), 2) == -1);
		CHECK(errno == EFAULT);
	}
	CHECK(client.value("x") == 7);
	CHECK(client.initial() == 3);
	CHECK(client.summary().entries == std::vector<cfs::Entry>{{"x", 7}});
}

TEST_CASE("configfs: ioctl and mmap on attribute files are refused",
	  "[configfs][badinput]")
{
	const cfs::Client client = fresh();
	client.create("x");
	client.set_value("x", 7);
	const std::string before = client.summary_raw();
	const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

	for (const std::string &path :
	     {cfs::value_path("x"), std::string(cfs::initial_path),
	      std::string(cfs::summary_path)}) {
		INFO(path);
		const kuipc::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
		REQUIRE(fd.valid());
		termios t{};
		CHECK(kuipc::test::ioctl_err(fd.get(), TCGETS, &t) == ENOTTY);
		CHECK(kuipc::test::mmap_err(fd.get(), size, PROT_READ, MAP_SHARED) == ENODEV);
	}
	CHECK(client.summary_raw() == before);
	CHECK(client.value("x") == 7);
	CHECK(client.initial() == cfs::initial_default);
}

namespace {

/*
 * With the item "owned" at 5: a caller that run() runs as can read the
 * group, but neither make (name), remove nor write, and left all as it was.
 */
void check_only_reads(const kuipc::test::RunAs &run, const std::string &name)
{
	const cfs::Client client = fresh();
	client.create("owned");
	client.set_value("owned", 5);

	CHECK(run([&] { return mkdir_errno(cfs::item_path(name)); }) == EACCES);
	CHECK(run([] { return rmdir_errno(cfs::item_path("owned")); }) == EACCES);
	CHECK(run([] {
		      return kuipc::test::write_file(cfs::value_path("owned"), "6\n");
	      }) == EACCES);
	CHECK(run([] { return kuipc::test::write_file(cfs::initial_path, "6\n"); }) == EACCES);
	/* Reading is open to everyone: the files are 0644 and 0444. */
	CHECK(run([] {
		      return errno_of([] {
			      const cfs::Client c;
			      if (c.summary().find("owned") != 5 || c.value("owned") != 5)
				      kuipc::throw_err(EPROTO, "wrong value");
		      });
	      }) == 0);

	const cfs::Summary s = client.summary();
	CHECK(s.entries == std::vector<cfs::Entry>{{"owned", 5}});
	CHECK(client.value("owned") == 5);
	CHECK(client.initial() == cfs::initial_default);
	CHECK(stat_errno(cfs::item_path(name)) == ENOENT);
}

} // namespace

TEST_CASE("configfs: an unprivileged user can read but not change anything",
	  "[configfs][permission]")
{
	check_only_reads(kuipc::test::run_unprivileged, "nobody");
}

TEST_CASE("configfs: root in a new user namespace is refused what needs a capability in the initial one",
	  "[configfs][permission]")
{
	/*
	 * The group and its files are root's and no "other" write bit is
	 * set; root of a user namespace cannot override the modes of files
	 * whose owner its namespace does not map.
	 */
	check_only_reads(kuipc::test::run_as_userns_root, "userns");
}

TEST_CASE("configfs: the settings default group is fixed and sets new values",
	  "[configfs][lifecycle]")
{
	const cfs::Client client = fresh();
	REQUIRE(is_dir(cfs::settings_path));
	CHECK(mode_of(cfs::initial_path) == cfs::rw_mode);
	CHECK(client.initial() == cfs::initial_default);

	/* A default group cannot be removed, nor hold items. */
	CHECK(rmdir_errno(cfs::settings_path) == EPERM);
	CHECK(mkdir_errno(std::string(cfs::settings_path) + "/sub") == EPERM);
	CHECK(is_dir(cfs::settings_path));

	client.create("before");
	CHECK(client.value("before") == cfs::initial_default);
	client.set_initial(123);
	CHECK(client.initial() == 123);
	client.create("after");
	CHECK(client.value("after") == 123);
	CHECK(client.value("before") == cfs::initial_default);

	/* The group is not an item: neither counted nor listed. */
	const cfs::Summary s = client.summary();
	CHECK(s.items == 2);
	CHECK(s.entries == std::vector<cfs::Entry>{
				   {"before", cfs::initial_default},
				   {"after", 123}});
	CHECK(sorted(cfs::Client::list()) == Strings{"after", "before"});
	client.remove_all();
	client.set_initial(cfs::initial_default);
}

TEST_CASE("configfs: threads creating and removing items keep the count exact",
	  "[configfs][concurrency]")
{
	const cfs::Client client = fresh();
	constexpr unsigned int workers = 4;
	constexpr unsigned int rounds = 40;
	constexpr unsigned int keep = 6;
	Failures failures;
	std::atomic<bool> stop{false};
	std::atomic<long> snapshots{0};

	/* Every snapshot must be consistent: parse_summary() checks that
	 * the head line counts exactly the item lines that follow. */
	std::thread reader([&] {
		while (!stop.load()) {
			try {
				const cfs::Summary s = client.summary();
				if (s.items > workers * (keep + 1))
					failures.add("too many items: " +
						     std::to_string(s.items));
				++snapshots;
			} catch (const kuipc::Error &e) {
				failures.add(std::string("reader: ") + e.what());
			}
		}
	});

	auto work = [&](unsigned int w) {
		try {
			for (unsigned int r = 0; r < rounds; r++) {
				const std::string name = "t" + std::to_string(w) +
							 "r" + std::to_string(r);
				const int v = static_cast<int>(w * 1000 + r);
				client.create(name);
				client.set_value(name, v);
				if (client.value(name) != v)
					failures.add(name + ": value lost");
				client.remove(name);
			}
			for (unsigned int k = 0; k < keep; k++) {
				const std::string name = "k" + std::to_string(w) +
							 "-" + std::to_string(k);
				client.create(name);
				client.set_value(name,
						 static_cast<int>(w * 100 + k));
			}
		} catch (const kuipc::Error &e) {
			failures.add(std::string("worker: ") + e.what());
		}
	};
	{
		std::vector<std::jthread> threads;
		for (unsigned int w = 0; w < workers; w++)
			threads.emplace_back(work, w);
	}
	stop = true;
	reader.join();
	failures.check();
	CHECK(snapshots.load() > 0);

	/* Exactly the kept items remain, each with its own value. */
	const cfs::Summary s = client.summary();
	CHECK(s.items == workers * keep);
	CHECK(s.allocated == workers * keep);
	std::map<std::string, int> got;
	for (const auto &e : s.entries)
		got[e.name] = e.value;
	std::map<std::string, int> want;
	for (unsigned int w = 0; w < workers; w++)
		for (unsigned int k = 0; k < keep; k++)
			want["k" + std::to_string(w) + "-" + std::to_string(k)] =
				static_cast<int>(w * 100 + k);
	CHECK(got == want);

	/* Remove them from all threads at once. */
	const Strings names = cfs::Client::list();
	CHECK(names.size() == want.size());
	{
		std::vector<std::jthread> threads;
		for (unsigned int w = 0; w < workers; w++)
			threads.emplace_back([&, w] {
				for (std::size_t i = w; i < names.size();
				     i += workers) {
					try {
						client.remove(names[i]);
					} catch (const kuipc::Error &e) {
						failures.add(e.what());
					}
				}
			});
	}
	failures.check();
	CHECK(client.summary() == cfs::Summary{});
}

TEST_CASE("configfs: racing mkdirs stop at the item limit with ENOSPC",
	  "[configfs][concurrency]")
{
	const cfs::Client client = fresh();
	constexpr std::size_t workers = 8;
	constexpr std::size_t per_worker = 2 * cfs::max_items / workers;
	std::atomic<std::size_t> made{0};
	std::atomic<std::size_t> full{0};
	Failures failures;

	{
		std::vector<std::jthread> threads;
		for (std::size_t w = 0; w < workers; w++)
			threads.emplace_back([&, w] {
				for (std::size_t i = 0; i < per_worker; i++) {
					const int err = errno_of([&] {
						client.create("L" + std::to_string(w) +
							      "-" + std::to_string(i));
					});
					if (err == 0)
						++made;
					else if (err == ENOSPC)
						++full;
					else
						failures.add("mkdir: errno " +
							     std::to_string(err));
				}
			});
	}
	failures.check();
	CHECK(made.load() == cfs::max_items);
	CHECK(full.load() == workers * per_worker - cfs::max_items);

	cfs::Summary s = client.summary();
	CHECK(s.items == cfs::max_items);
	CHECK(s.allocated == cfs::max_items);
	CHECK(cfs::Client::list().size() == cfs::max_items);
	CHECK(errno_of([&] { client.create("extra"); }) == ENOSPC);

	/* One freed slot is usable again. */
	client.remove(cfs::Client::list().front());
	client.create("extra");
	s = client.summary();
	CHECK(s.items == cfs::max_items);
	CHECK(s.find("extra") == std::optional<int>(cfs::initial_default));

	client.remove_all();
	CHECK(client.summary() == cfs::Summary{});
}

TEST_CASE("configfs: unload is refused while an item or open file pins it",
	  "[configfs][lifecycle]")
{
	const cfs::Client client = fresh();

	/* Whatever happens below, leave the module loaded for the runner. */
	const kuipc::test::ReloadGuard reload("configfs");

	client.create("pin");
	client.set_value("pin", 8);
	const int busy = errno_of([] { kuipc::unload_module(modname, 0); });
	INFO("delete_module with an item: errno " << busy);
	CHECK((busy == EAGAIN || busy == EBUSY));
	REQUIRE(kuipc::module_loaded(modname));
	CHECK(client.summary().find("pin") == std::optional<int>(8));

	{
		/* An open attribute file pins the module as well. */
		const kuipc::Fd fd(::open(cfs::summary_path, O_RDONLY | O_CLOEXEC));
		REQUIRE(fd.valid());
		client.remove("pin");
		REQUIRE(client.summary().items == 0);
		const int open_busy =
			errno_of([] { kuipc::unload_module(modname, 0); });
		INFO("delete_module with an open file: errno " << open_busy);
		CHECK((open_busy == EAGAIN || open_busy == EBUSY));
		REQUIRE(kuipc::module_loaded(modname));
	}

	/* Nothing pins it now: it unloads and takes its subsystem along. */
	kuipc::unload_module(modname, 5000);
	CHECK_FALSE(kuipc::module_loaded(modname));
	CHECK(stat_errno(cfs::subsys_path) == ENOENT);
	CHECK(cfs::mounted());

	/* Loaded again, it starts from nothing. */
	kuipc::load_module(kuipc::module_path("configfs"));
	REQUIRE(kuipc::module_loaded(modname));
	const cfs::Summary s = client.summary();
	CHECK(s == cfs::Summary{});
	CHECK(client.initial() == cfs::initial_default);
}
