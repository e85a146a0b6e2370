// SPDX-License-Identifier: GPL-2.0
#include "support.hpp"

#include "error.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>

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

ChildEnd run_child(const std::function<int()> &fn)
{
	ChildEnd end;
	const pid_t pid = ::fork();
	if (pid < 0)
		return end;
	if (pid == 0) {
		int rc = 254;
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
			return end;
	}
	if (WIFEXITED(status))
		end.code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		end.signal = WTERMSIG(status);
	return end;
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

} // namespace kuipc::test
