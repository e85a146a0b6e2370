// SPDX-License-Identifier: GPL-2.0
// kuipc::sys: the traced system calls' notation, checked against strace's.
#include <catch2/catch.hpp>

#include "cli.hpp"
#include "error.hpp"
#include "syscall.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace sys = kuipc::sys;

std::vector<std::string> &lines()
{
	static std::vector<std::string> v;
	return v;
}

void collect(const std::string &line)
{
	lines().push_back(line);
}

/* Trace to lines() for as long as it lives. */
struct Capture {
	Capture()
	{
		lines().clear();
		sys::trace_to(collect);
	}
	~Capture() { sys::trace_to(nullptr); }
	Capture(const Capture &) = delete;
	Capture &operator=(const Capture &) = delete;
	Capture(Capture &&) = delete;
	Capture &operator=(Capture &&) = delete;
};

} // namespace

TEST_CASE("sys: escape and quote as strace -x -s 32", "[sys][host]")
{
	CHECK(sys::escape("a\"b\\c\n\t\r") == "a\\\"b\\\\c\\n\\t\\r");
	CHECK(sys::escape(std::string("\0\x7f\xff", 3)) == "\\x00\\x7f\\xff");
	CHECK(sys::escape("abcdef", 3) == "abc...");
	CHECK(sys::quote("") == "\"\"");
	CHECK(sys::quote("abcdef", 3) == "\"abc\"...");
	CHECK(sys::quote(std::string(40, 'x')) == "\"" + std::string(32, 'x') + "\"...");
	CHECK(sys::quote(std::string(32, 'x')) == "\"" + std::string(32, 'x') + "\"");
}

TEST_CASE("sys: results, flags and names", "[sys][host]")
{
	CHECK(sys::result(3, 0) == " = 3");
	CHECK(sys::result(-1, EINVAL) == " = -1 EINVAL (Invalid argument)");
	CHECK(sys::errno_name(0) == "0");
	CHECK(sys::errno_name(ENOENT) == "ENOENT");
	CHECK(sys::open_flags(O_RDONLY | O_CLOEXEC) == "O_RDONLY|O_CLOEXEC");
	CHECK(sys::open_flags(O_WRONLY | O_TRUNC) == "O_WRONLY|O_TRUNC");
	CHECK(sys::flag_names(0, {{1, "A"}}) == "0");
	CHECK(sys::flag_names(0x43, {{1, "A"}, {2, "B"}}) == "A|B|0x40");
	CHECK(sys::signal_name(SIGUSR1) == "SIGUSR1");
	CHECK(sys::signal_name(34) == "SIGRT_2");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, 34);
	CHECK(sys::sigset(set) == "[USR1 RT_2]");
}

TEST_CASE("sys: no sink, no line; errno as the call left it", "[sys][host]")
{
	lines().clear();
	CHECK(sys::close(-1) == -1);
	CHECK(errno == EBADF);
	CHECK(lines().empty());
}

TEST_CASE("sys: a traced call prints its real arguments and result", "[sys][host]")
{
	const Capture cap;
	const int fd = sys::open("/dev/null", O_WRONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	CHECK(sys::write(fd, "hi\n", 3) == 3);
	CHECK(sys::close(fd) == 0);
	CHECK(sys::close(fd) == -1);
	CHECK(errno == EBADF);
	REQUIRE(lines().size() == 4);
	CHECK(lines()[0] == "open(\"/dev/null\", O_WRONLY|O_CLOEXEC) = " + std::to_string(fd));
	CHECK(lines()[1] == "write(" + std::to_string(fd) + ", \"hi\\n\", 3) = 3");
	CHECK(lines()[2] == "close(" + std::to_string(fd) + ") = 0");
	CHECK(lines()[3] == "close(" + std::to_string(fd) + ") = -1 EBADF (Bad file descriptor)");
}

TEST_CASE("sys: reads show what came back, poll the ready events", "[sys][host]")
{
	const Capture cap;
	const int efd = sys::eventfd(2, EFD_CLOEXEC | EFD_NONBLOCK);
	REQUIRE(efd >= 0);
	pollfd pfd{efd, POLLIN, 0};
	CHECK(sys::poll(&pfd, 1, 0) == 1);
	uint64_t v = 0;
	CHECK(sys::read(efd, &v, sizeof(v), [&](size_t) { return "[" + std::to_string(v) + "]"; }) == 8);
	CHECK(sys::read(efd, &v, sizeof(v)) == -1);
	CHECK(errno == EAGAIN);
	CHECK(sys::poll(&pfd, 1, 0) == 0);
	sys::close(efd);
	const std::string e = std::to_string(efd);
	REQUIRE(lines().size() == 6);
	CHECK(lines()[0] == "eventfd2(2, EFD_CLOEXEC|EFD_NONBLOCK) = " + e);
	CHECK(lines()[1] == "poll([{fd=" + e + ", events=POLLIN}], 1, 0) = 1 ([{fd=" + e + ", revents=POLLIN}])");
	CHECK(lines()[2] == "read(" + e + ", [2], 8) = 8");
	CHECK(lines()[3] == "read(" + e + ", buf, 8) = -1 EAGAIN (Resource temporarily unavailable)");
	CHECK(lines()[4] == "poll([{fd=" + e + ", events=POLLIN}], 1, 0) = 0 (Timeout)");
}

TEST_CASE("sys: an ioctl shows its argument before and after", "[sys][host]")
{
	const Capture cap;
	int n = 7;
	CHECK(sys::ioctl(-1, 0x1234, "CMD", &n, [](int v) { return "[" + std::to_string(v) + "]"; }) == -1);
	REQUIRE(lines().size() == 1);
	CHECK(lines()[0] == "ioctl(-1, CMD, [7]) = -1 EBADF (Bad file descriptor)");
}

TEST_CASE("cli: describe names the errno", "[sys][host]")
{
	CHECK(kuipc::cli::describe(kuipc::Error(ENOENT, "open /x")) ==
	      "open /x: No such file or directory (ENOENT)");
	CHECK(kuipc::cli::describe(std::runtime_error("bad")) == "bad");
}
