// SPDX-License-Identifier: GPL-2.0
// kuipc-umh-helper: the program kuipc_umh.ko runs from the kernel.
//
// Started by call_usermodehelper() as root, with no open file descriptors,
// the environment HOME=/ PATH=/sbin:/bin:/usr/sbin:/usr/bin and
//     argv = { path, request id, mode, exit code, argument }
// (see <kuipc/umh.h>). It reports its argument back with one write() of
// "<id> <argument>" to the module's device, then, by mode, exits 0 (echo),
// exits with the exit code (exit), or sleeps until it is killed, at most
// KUIPC_UMH_HANG_MAX_S seconds, and then exits with the exit code (hang).
//
// Nobody sees its stdout or stderr; its exit status and its report are
// all it can say. It exits with status failure_exit when it cannot do as
// told; the module then returns that status without KUIPC_UMH_REPORTED.
#include "error.hpp"
#include "umh.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <string_view>

namespace {

namespace umh = kuipc::umh;

constexpr int failure_exit = 125;

/*
 * A helper starts with no file descriptors at all: the first open() would
 * get 0 and a stray write to "stdout" would land in it. Fill 0, 1 and 2
 * with /dev/null first.
 */
bool open_std_fds()
{
	for (;;) {
		const int fd = ::open("/dev/null", O_RDWR);
		if (fd < 0)
			return false;
		if (fd > 2) {
			::close(fd);
			return true;
		}
	}
}

template <typename T> bool parse_num(std::string_view s, T &v)
{
	const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	return ec == std::errc() && end == s.data() + s.size();
}

/* Sleep until killed, but no longer than KUIPC_UMH_HANG_MAX_S. */
void hang()
{
	timespec until{};
	::clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += KUIPC_UMH_HANG_MAX_S;
	while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until,
				 nullptr) == EINTR) {
	}
}

} // namespace

int main(int argc, char **argv)
{
	if (!open_std_fds() || argc != 5)
		return failure_exit;
	uint64_t id = 0;
	unsigned int code = 0;
	const auto mode = umh::parse_mode(argv[2]);
	if (!parse_num(argv[1], id) || !mode || !parse_num(argv[3], code) ||
	    code > KUIPC_UMH_EXIT_CODE_MAX)
		return failure_exit;

	try {
		umh::Device(KUIPC_UMH_PATH, O_WRONLY).report(id, argv[4]);
	} catch (const kuipc::Error &) {
		return failure_exit;
	}

	switch (*mode) {
	case umh::Mode::echo:
		return 0;
	case umh::Mode::exit:
		return static_cast<int>(code);
	case umh::Mode::hang:
		hang();
		return static_cast<int>(code);
	}
	return failure_exit;
}
