// SPDX-License-Identifier: GPL-2.0
#include "support.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "module.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace kuipc::test {

int ioctl_err(int fd, unsigned long cmd, const void *arg)
{
	return ::ioctl(fd, cmd, arg) >= 0 ? 0 : errno;
}

namespace {

/*
 * Whether the task whose /proc directory is dir sleeps interruptibly in
 * one of syscalls; false too when it cannot be read (not there yet, gone).
 */
bool sleeping_in(const std::string &dir, std::initializer_list<long> syscalls)
{
	try {
		const std::string stat = read_file(dir + "/stat");
		const auto paren = stat.rfind(')');
		if (paren == std::string::npos || paren + 2 >= stat.size() ||
		    stat[paren + 2] != 'S')
			return false;
		/* "<nr> <args...>", or "running" / "-1 ..." outside one. */
		const std::string sc = read_file(dir + "/syscall");
		if (sc.empty() || sc[0] < '0' || sc[0] > '9')
			return false;
		const long nr = std::stol(sc);
		return std::find(syscalls.begin(), syscalls.end(), nr) != syscalls.end();
	} catch (const Error &) {
		return false;
	}
}

} // namespace

bool wait_sleeping_in(const std::atomic<pid_t> &tid, std::initializer_list<long> syscalls)
{
	using namespace std::chrono_literals;
	const auto deadline = std::chrono::steady_clock::now() + 10s;
	for (; std::chrono::steady_clock::now() < deadline;
	     std::this_thread::sleep_for(1ms)) {
		const pid_t t = tid.load();
		if (t != 0 && sleeping_in("/proc/self/task/" + std::to_string(t), syscalls))
			return true;
	}
	return false;
}

bool wait_sleeping_in(pid_t pid, long nr)
{
	using namespace std::chrono_literals;
	const std::string dir = "/proc/" + std::to_string(pid);
	const auto deadline = std::chrono::steady_clock::now() + 10s;
	for (; std::chrono::steady_clock::now() < deadline;
	     std::this_thread::sleep_for(1ms)) {
		if (sleeping_in(dir, {nr}))
			return true;
	}
	return false;
}

int mmap_err(int fd, std::size_t len, int prot, int flags, off_t off)
{
	void *p = ::mmap(nullptr, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return errno;
	::munmap(p, len);
	return 0;
}

int stat_errno(const std::string &path)
{
	struct stat st {};
	return ::stat(path.c_str(), &st) == 0 ? 0 : errno;
}

namespace {

/* fn()'s result as an exit code: 254 when it throws. */
int exit_code_of(const std::function<int()> &fn)
{
	try {
		return fn();
	} catch (...) {
		return 254;
	}
}

/*
 * Run child_main in a forked child, which exits with its result, and wait
 * for it: the wait status, or nullopt when fork() or waitpid() failed.
 */
std::optional<int> fork_and_wait(const std::function<int()> &child_main)
{
	const pid_t pid = ::fork();
	if (pid < 0)
		return std::nullopt;
	if (pid == 0)
		::_exit(child_main() & 0xff);
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return std::nullopt;
	}
	return status;
}

} // namespace

int run_as(unsigned int uid, unsigned int gid, const std::function<int()> &fn)
{
	const auto status = fork_and_wait([&] {
		if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
			return 255;
		return exit_code_of(fn);
	});
	if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) >= 254)
		return -1;
	return WEXITSTATUS(*status);
}

namespace {

std::string errno_text(const std::string &what, int err)
{
	return what + ": " + std::generic_category().message(err);
}

/* "" when every effective capability up to cap_last_cap is set. */
std::string missing_capabilities()
{
	__user_cap_header_struct hdr{};
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3> data{};
	if (::syscall(SYS_capget, &hdr, data.data()) != 0)
		return errno_text("capget", errno);
	const int last = std::stoi(read_file("/proc/sys/kernel/cap_last_cap"));
	std::string missing;
	for (int cap = 0; cap <= last; cap++) {
		const auto word = static_cast<std::size_t>(cap / 32);
		const std::uint32_t bit = 1U << (cap % 32);
		if (word >= data.size() || (data.at(word).effective & bit) == 0)
			missing += " " + std::to_string(cap);
	}
	return missing.empty() ? "" : "effective capabilities missing:" + missing;
}

/* The child's set-up; "" on success, else why it failed. */
std::string enter_userns(int unshare_flags)
{
	if (::setgroups(0, nullptr) != 0)
		return errno_text("setgroups", errno);
	if (::setgid(nobody_gid) != 0)
		return errno_text("setgid", errno);
	if (::setuid(nobody_uid) != 0)
		return errno_text("setuid", errno);
	/*
	 * Changing uid made the process non-dumpable, which makes its
	 * /proc/self files root's: it could not write its own uid_map.
	 */
	if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
		return errno_text("prctl(PR_SET_DUMPABLE)", errno);
	if (::unshare(CLONE_NEWUSER | unshare_flags) != 0)
		return errno_text("unshare(CLONE_NEWUSER)", errno);
	/* Without CAP_SETGID outside, gid_map needs setgroups denied first. */
	const std::string uid_map = "0 " + std::to_string(nobody_uid) + " 1\n";
	const std::string gid_map = "0 " + std::to_string(nobody_gid) + " 1\n";
	for (const auto &[path, data] :
	     {std::pair<std::string, std::string>{"/proc/self/setgroups", "deny"},
	      {"/proc/self/uid_map", uid_map},
	      {"/proc/self/gid_map", gid_map}}) {
		const int err = write_file(path, data);
		if (err != 0)
			return errno_text("write " + path, err);
	}
	if (::getuid() != 0 || ::geteuid() != 0 || ::getgid() != 0 ||
	    ::getegid() != 0)
		return "not root in the new user namespace: uid " +
		       std::to_string(::getuid()) + " euid " +
		       std::to_string(::geteuid()) + " gid " +
		       std::to_string(::getgid());
	return missing_capabilities();
}

/* Write all of msg to fd; the child's last words, so errors are moot. */
void tell(int fd, const std::string &msg)
{
	std::size_t done = 0;
	while (done < msg.size()) {
		const ssize_t n = ::write(fd, msg.data() + done, msg.size() - done);
		if (n <= 0 && errno != EINTR)
			return;
		if (n > 0)
			done += static_cast<std::size_t>(n);
	}
}

} // namespace

int run_in_userns(const std::function<int()> &fn, int unshare_flags)
{
	std::array<int, 2> p{};
	if (::pipe2(p.data(), O_CLOEXEC) != 0)
		throw UsernsError(errno_text("run_in_userns: pipe2", errno));
	Fd rd(p[0]);
	Fd wr(p[1]);
	const pid_t pid = ::fork();
	if (pid < 0)
		throw UsernsError(errno_text("run_in_userns: fork", errno));
	if (pid == 0) {
		/* Any word on the pipe means fn's result is not the answer. */
		rd.reset();
		int rc = 255;
		try {
			const std::string why = enter_userns(unshare_flags);
			if (!why.empty())
				tell(wr.get(), "no root user namespace: " + why);
			else
				rc = fn();
		} catch (const std::exception &e) {
			tell(wr.get(), std::string("the function threw: ") + e.what());
		} catch (...) {
			tell(wr.get(), "the function threw");
		}
		::_exit(rc & 0xff);
	}
	wr.reset();
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			throw UsernsError(errno_text("run_in_userns: waitpid", errno));
	}
	/*
	 * The child has exited; its words (fewer than a pipe holds) are in
	 * the pipe. Non-blocking: a process fn left behind may still hold the
	 * write end open.
	 */
	if (::fcntl(rd.get(), F_SETFL, O_NONBLOCK) != 0)
		throw UsernsError(errno_text("run_in_userns: fcntl", errno));
	const std::string msg = read_all(rd.get());
	if (!msg.empty())
		throw UsernsError("run_in_userns: " + msg);
	if (!WIFEXITED(status))
		throw UsernsError("run_in_userns: the child died of signal " +
				  std::to_string(WTERMSIG(status)));
	return WEXITSTATUS(status);
}

ChildEnd run_child(const std::function<int()> &fn)
{
	ChildEnd end;
	const auto status = fork_and_wait([&] { return exit_code_of(fn); });
	if (!status)
		return end;
	if (WIFEXITED(*status))
		end.code = WEXITSTATUS(*status);
	else if (WIFSIGNALED(*status))
		end.signal = WTERMSIG(*status);
	return end;
}

std::string read_all(int fd)
{
	std::string out;
	std::array<char, 4096> buf{};
	for (;;) {
		const ssize_t n = ::read(fd, buf.data(), buf.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		out.append(buf.data(), static_cast<std::size_t>(n));
	}
	return out;
}

std::string read_file(const std::string &path)
{
	Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw_errno("open " + path);
	std::string out;
	std::array<char, 4096> buf{};
	for (;;) {
		const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			throw_errno("read " + path);
		}
		if (n == 0)
			break;
		out.append(buf.data(), static_cast<size_t>(n));
	}
	return out;
}

int write_file(const std::string &path, const std::string &data)
{
	Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
	if (!fd)
		return errno;
	const ssize_t n = ::write(fd.get(), data.data(), data.size());
	if (n < 0)
		return errno;
	return static_cast<size_t>(n) == data.size() ? 0 : EIO;
}

GuardedPages::GuardedPages(int prot)
	: size_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)))
{
	void *p = ::mmap(nullptr, 2 * size_, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		throw_errno("mmap");
	base_ = static_cast<char *>(p);
	if (::mprotect(bad(), size_, prot) != 0) {
		const int err = errno;
		::munmap(base_, 2 * size_);
		throw_err(err, "mprotect");
	}
}

GuardedPages::~GuardedPages()
{
	::munmap(base_, 2 * size_);
}

UserfaultPage::UserfaultPage()
	: size_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)))
{
	/* glibc 2.36 has no wrapper. Kernel-mode faults too: not USER_MODE_ONLY. */
	const long fd = ::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		throw_errno("userfaultfd");
	uffd_ = static_cast<int>(fd);
	try {
		uffdio_api api{};
		api.api = UFFD_API;
		if (::ioctl(uffd_, UFFDIO_API, &api) != 0)
			throw_errno("UFFDIO_API");
		void *p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			throw_errno("mmap");
		base_ = static_cast<char *>(p);
		uffdio_register reg{};
		reg.range.start = reinterpret_cast<uintptr_t>(base_);
		reg.range.len = size_;
		reg.mode = UFFDIO_REGISTER_MODE_MISSING;
		if (::ioctl(uffd_, UFFDIO_REGISTER, &reg) != 0)
			throw_errno("UFFDIO_REGISTER");
	} catch (...) {
		if (base_ != nullptr)
			::munmap(base_, size_);
		::close(uffd_);
		throw;
	}
}

UserfaultPage::~UserfaultPage()
{
	/* Closing the userfaultfd first lets any stalled access through. */
	::close(uffd_);
	::munmap(base_, size_);
}

bool UserfaultPage::wait_fault(std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;) {
		uffd_msg msg{};
		const ssize_t n = ::read(uffd_, &msg, sizeof(msg));
		if (n == static_cast<ssize_t>(sizeof(msg)))
			return msg.event == UFFD_EVENT_PAGEFAULT;
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			throw_errno("read userfaultfd");
		const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
			deadline - std::chrono::steady_clock::now());
		if (left.count() <= 0)
			return false;
		pollfd pfd{uffd_, POLLIN, 0};
		if (::poll(&pfd, 1, static_cast<int>(left.count())) < 0 &&
		    errno != EINTR)
			throw_errno("poll userfaultfd");
	}
}

void UserfaultPage::resolve(std::span<const char> contents)
{
	if (resolved_)
		return;
	std::vector<char> page(size_, '\0');
	std::copy_n(contents.begin(), std::min(contents.size(), size_),
		    page.begin());
	uffdio_copy copy{};
	copy.dst = reinterpret_cast<uintptr_t>(base_);
	copy.src = reinterpret_cast<uintptr_t>(page.data());
	copy.len = size_;
	copy.mode = 0; /* and wake whoever waits on the page */
	if (::ioctl(uffd_, UFFDIO_COPY, &copy) != 0)
		throw_errno("UFFDIO_COPY");
	resolved_ = true;
}

std::unique_ptr<UserfaultPage> userfault_page()
{
	try {
		return std::make_unique<UserfaultPage>();
	} catch (const Error &e) {
		if (e.err() == ENOSYS)
			KUIPC_SKIP("the kernel has no userfaultfd (CONFIG_USERFAULTFD)");
		throw;
	}
}

ReloadGuard::~ReloadGuard()
{
	if (kuipc::module_loaded("kuipc_" + mech_))
		return;
	try {
		kuipc::load_module(kuipc::module_path(mech_));
	} catch (const kuipc::Error &) {
		/* Reported by the next test and the runner, see above. */
	}
}

int open_errno(const std::string &path, int flags)
{
	const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	::close(fd);
	return 0;
}

} // namespace kuipc::test
