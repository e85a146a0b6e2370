// SPDX-License-Identifier: GPL-2.0
// Helpers shared by the VM test files (userspace/tests/<mech>.cpp).
#pragma once

#include <catch2/catch.hpp>

#include "error.hpp"

#include <sys/mman.h>

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

namespace kuipc::test {

/* Thrown by KUIPC_SKIP; the runner reports the test as skipped with reason. */
struct Skip : std::runtime_error {
	using std::runtime_error::runtime_error;
};

/* Prefix by which the runner's reporter recognises a skip. */
inline constexpr const char *skip_prefix = "kuipc-skip: ";

/* The errno of fn() (which throws kuipc::Error), 0 when it returned. */
template <typename Fn> int errno_of(Fn &&fn)
{
	try {
		fn();
		return 0;
	} catch (const kuipc::Error &e) {
		return e.err();
	}
}

/* 0 when ioctl(2) succeeded (returned 0 or more), else its errno. */
int ioctl_err(int fd, unsigned long cmd, const void *arg);

/*
 * Wait until thread tid of this process (0: not started yet) sleeps
 * interruptibly (state S) inside one of the given system calls, as
 * /proc/self/task/<tid>/{stat,syscall} show. The 10 s limit is only a
 * safety net; false when it passed.
 */
bool wait_sleeping_in(const std::atomic<pid_t> &tid, std::initializer_list<long> syscalls);

/* The same for process pid, in system call nr (/proc/<pid>/{stat,syscall}). */
bool wait_sleeping_in(pid_t pid, long nr);

/* 0 when mmap(2) mapped fd (the mapping is undone at once), else its errno. */
int mmap_err(int fd, std::size_t len, int prot, int flags, off_t off = 0);

/* 0 when path exists, else the errno of stat(2). */
int stat_errno(const std::string &path);

/*
 * fn()'s int, by convention 0 or an errno, or the errno of the
 * kuipc::Error it throws.
 */
template <typename Fn> int outcome_of(Fn &&fn)
{
	try {
		return fn();
	} catch (const kuipc::Error &e) {
		return e.err();
	}
}

/* Unprivileged identity used by permission tests. */
inline constexpr unsigned int nobody_uid = 65534;
inline constexpr unsigned int nobody_gid = 65534;

/*
 * Run fn in a forked child that has dropped to uid/gid (all capabilities
 * gone) and return fn's result: by convention 0 for success or an errno.
 * Returns -1 when the child could not drop privileges or died.
 */
int run_as(unsigned int uid, unsigned int gid, const std::function<int()> &fn);

/* run_as() for the nobody user. */
inline int run_unprivileged(const std::function<int()> &fn)
{
	return run_as(nobody_uid, nobody_gid, fn);
}

/* How a forked child ended: its exit code, or the signal that killed it. */
struct ChildEnd {
	int code = -1;	/* exit code, or -1 when it did not exit */
	int signal = 0; /* the signal that killed it, or 0 */
};

/*
 * Run fn in a forked child with the caller's privileges; fn's int is the
 * child's exit code (254 if it throws). For a test whose failure mode is a
 * signal (SIGBUS, SIGSEGV): the signal kills the child and is reported,
 * while the test process carries on. The child should make raw system
 * calls only: it is a fork of a process that may have had threads.
 */
ChildEnd run_child(const std::function<int()> &fn);

/*
 * Run fn in a forked child that has dropped to the nobody user and then
 * made a new user namespace in which it is root: uid and gid 0 there
 * (mapped to nobody outside) with every capability, but only in that
 * namespace. Permission tests use it to check that the module asks for
 * its capability in the initial user namespace (capable()), not in the
 * caller's (ns_capable(current_user_ns(), ...)), and that root-owned
 * files stay closed to a root whose uid 0 is not the real one.
 *
 * unshare_flags adds namespaces beside CLONE_NEWUSER (0: the child stays
 * in the initial network, mount, ... namespaces, where the module is).
 *
 * Returns fn's result: by convention 0 for success or an errno. Throws
 * UsernsError with the reason when the namespace could not be made (e.g.
 * unshare() refused), when the child is not root with a full effective
 * capability set inside it, when fn throws or the child dies: a test that
 * could not run fails, it never passes.
 */
struct UsernsError : std::runtime_error {
	using std::runtime_error::runtime_error;
};
int run_in_userns(const std::function<int()> &fn, int unshare_flags = 0);

/*
 * How a permission test runs a function as another caller, for checks
 * that hold for several: run_unprivileged or run_as_userns_root.
 */
using RunAs = std::function<int(const std::function<int()> &)>;

/* run_in_userns() with no namespace but the user one. */
inline int run_as_userns_root(const std::function<int()> &fn)
{
	return run_in_userns(fn);
}

/*
 * A test's own safety-net wait, scaled like the runner's per-test timeout
 * (KUIPC_TEST_TIMEOUT_S, 60 s by default): a kernel with KASAN and lockdep
 * under TCG gets a longer timeout, and its tests' waits grow with it.
 */
inline std::chrono::milliseconds patience(std::chrono::milliseconds base)
{
	const char *env = std::getenv("KUIPC_TEST_TIMEOUT_S");
	const long timeout_s = env != nullptr ? std::atol(env) : 0;
	return timeout_s > 60 ? base * timeout_s / 60 : base;
}

/* Everything read from fd until end of file (or until a read fails). */
std::string read_all(int fd);

/* Read a whole file (e.g. under /proc or /sys) as a string; throws. */
std::string read_file(const std::string &path);

/*
 * The errno of open(path, flags | O_CLOEXEC) (mode 0644 where O_CREAT asks
 * for one), or 0: the file is closed again. Safe in a forked child.
 */
int open_errno(const std::string &path, int flags);

/* Write a string with one write(); returns 0 or the errno of the failure. */
int write_file(const std::string &path, const std::string &data);

/*
 * addr as a pointer the compiler cannot see through (it would warn at a
 * call that passes a constant bad address): for EFAULT tests.
 */
inline void *bad_address(uintptr_t addr)
{
	const volatile uintptr_t hidden = addr;
	return reinterpret_cast<void *>(hidden); // NOLINT(performance-no-int-to-ptr): a bad address on purpose
}

/*
 * An address no user pointer may hold: in the kernel's half of a 64-bit
 * process, and for a 32-bit one (on an x86_64 kernel) the top page, above
 * its TASK_SIZE, where nothing is ever mapped.
 */
inline void *kernel_address()
{
	if constexpr (sizeof(void *) == 8)
		return bad_address(static_cast<uintptr_t>(0xffff888000000000ULL));
	else
		return bad_address(static_cast<uintptr_t>(0xfffff000UL));
}

/*
 * Two adjacent pages: the first read-write, the second mapped with prot
 * (PROT_NONE by default, or PROT_READ): memory whose end faults, for
 * EFAULT tests of copies that run off a buffer. Throws kuipc::Error.
 */
class GuardedPages {
public:
	explicit GuardedPages(int prot = PROT_NONE);
	GuardedPages(const GuardedPages &) = delete;
	GuardedPages &operator=(const GuardedPages &) = delete;
	GuardedPages(GuardedPages &&) = delete;
	GuardedPages &operator=(GuardedPages &&) = delete;
	~GuardedPages();

	/* The first, read-write page. */
	[[nodiscard]] char *good() const noexcept { return base_; }
	/* The first byte of the second page, the one mapped with prot. */
	[[nodiscard]] char *bad() const noexcept { return base_ + size_; }
	/* The last n bytes of the first page: the byte after them is bad(). */
	[[nodiscard]] char *tail(std::size_t n) const noexcept
	{
		return bad() - n;
	}
	/* The size of each page. */
	[[nodiscard]] std::size_t page_size() const noexcept { return size_; }

private:
	std::size_t size_;
	char *base_ = nullptr;
};

/*
 * One anonymous page registered with userfaultfd(2) for missing-page
 * faults: the first access to it, by user space or by a kernel user copy,
 * stalls until resolve() fills it (or the object is destroyed). For tests
 * of what a module does while one of its user copies is held up, as a
 * buffer backed by FUSE or by a slow userfaultfd handler would hold it.
 * Throws kuipc::Error; err() is ENOSYS on a kernel without userfaultfd.
 *
 * Destroy it only after every thread that may touch the page has been
 * joined or has been let through by resolve(): closing the userfaultfd
 * also lets a stalled access through, with a zero page.
 */
class UserfaultPage {
public:
	UserfaultPage();
	UserfaultPage(const UserfaultPage &) = delete;
	UserfaultPage &operator=(const UserfaultPage &) = delete;
	UserfaultPage(UserfaultPage &&) = delete;
	UserfaultPage &operator=(UserfaultPage &&) = delete;
	~UserfaultPage();

	/* The registered page; nothing is mapped there until resolve(). */
	[[nodiscard]] char *addr() const noexcept { return base_; }
	[[nodiscard]] std::size_t size() const noexcept { return size_; }

	/*
	 * Wait up to timeout for an access to stall on the page; true once
	 * one has (the access then waits for resolve()).
	 */
	bool wait_fault(std::chrono::milliseconds timeout);

	/*
	 * Map the page with contents at its start and zeros after them, and
	 * let every stalled access through. Once only; later calls do nothing.
	 */
	void resolve(std::span<const char> contents = {});

private:
	std::size_t size_;
	char *base_ = nullptr;
	int uffd_ = -1;
	bool resolved_ = false;
};

/* A new UserfaultPage; skips the test on a kernel without userfaultfd. */
std::unique_ptr<UserfaultPage> userfault_page();

/*
 * For a test that unloads its pair's module: however the test ends, the
 * module (kuipc_<mech>.ko, no parameters) is loaded again when this goes
 * out of scope, so that the next test finds it. A reload that fails is
 * left to the next test and the runner's unload check to report.
 */
class ReloadGuard {
public:
	explicit ReloadGuard(std::string mech) : mech_(std::move(mech)) {}
	ReloadGuard(const ReloadGuard &) = delete;
	ReloadGuard &operator=(const ReloadGuard &) = delete;
	ReloadGuard(ReloadGuard &&) = delete;
	ReloadGuard &operator=(ReloadGuard &&) = delete;
	~ReloadGuard();

private:
	std::string mech_;
};

} // namespace kuipc::test

/* Skip the current test: only where the running kernel lacks a feature. */
#define KUIPC_SKIP(reason) throw ::kuipc::test::Skip(reason)
