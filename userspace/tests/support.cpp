// SPDX-License-Identifier: GPL-2.0
#include "support.hpp"

#include "error.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <vector>

namespace kuipc::test {

int run_as(unsigned int uid, unsigned int gid, const std::function<int()> &fn)
{
	const pid_t pid = ::fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 ||
		    ::setuid(uid) != 0)
			::_exit(255);
		int rc = 255;
		try {
			rc = fn();
		} catch (...) {
			rc = 254;
		}
		::_exit(rc & 0xff);
	}
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) >= 254)
		return -1;
	return WEXITSTATUS(status);
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

} // namespace kuipc::test
