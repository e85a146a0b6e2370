// SPDX-License-Identifier: GPL-2.0
// kuipc::umh: client of kuipc_umh.ko, which runs a fixed helper program
// from the kernel (call_usermodehelper) and returns its exit status and
// the output it reported.
//
// The ABI (device, ioctls, structs, limits, the helper's argv and report
// format) is in <kuipc/umh.h>.
#pragma once

#include "fd.hpp"
#include "syscall.hpp"

#include <kuipc/umh.h>

#include <fcntl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kuipc::umh {

using Stats = kuipc_umh_stats;

/* What the helper is asked to do (KUIPC_UMH_MODE_*). */
enum class Mode : uint32_t {
	echo = KUIPC_UMH_MODE_ECHO,
	exit = KUIPC_UMH_MODE_EXIT,
	hang = KUIPC_UMH_MODE_HANG,
};

/* "echo", "exit", "hang": the names the module passes in argv[2]. */
[[nodiscard]] std::string_view mode_name(Mode mode) noexcept;
/* The Mode of such a name; nullopt for anything else. */
[[nodiscard]] std::optional<Mode> parse_mode(std::string_view name) noexcept;

/* What the module did with one request. */
struct Result {
	uint64_t id = 0;     /* the request id the helper was given */
	int status = 0;      /* the helper's wait status, as from waitpid() */
	uint32_t flags = 0;  /* KUIPC_UMH_REPORTED, KUIPC_UMH_TIMED_OUT */
	std::string output;  /* what the helper reported */

	[[nodiscard]] bool exited() const noexcept;
	[[nodiscard]] int exit_code() const noexcept;  /* when exited() */
	[[nodiscard]] bool signaled() const noexcept;
	[[nodiscard]] int signal() const noexcept;     /* when signaled() */
	[[nodiscard]] bool reported() const noexcept;
	[[nodiscard]] bool timed_out() const noexcept;
};

/* A request as the module wants it; arg must outlive its use. */
[[nodiscard]] kuipc_umh_request make_request(Mode mode, std::string_view arg,
					     uint32_t exit_code = 0,
					     uint32_t timeout_ms = 0) noexcept;

/* "exited 42", "killed by SIGKILL", for a wait status. */
[[nodiscard]] std::string describe_status(int status);
/* "REPORTED|TIMED_OUT", or "0". */
[[nodiscard]] std::string flag_names(uint32_t flags);
/* The helper's report: "<id> <output>". */
[[nodiscard]] std::string format_report(uint64_t id, std::string_view output);

/*
 * strace-like renderings for the demo and the CLI. A request is shown
 * with the argument it was made from (arg_ptr is not followed).
 */
[[nodiscard]] std::string to_string(const kuipc_umh_request &req,
				    std::string_view arg);
[[nodiscard]] std::string to_string(const Result &res);
[[nodiscard]] std::string to_string(const Stats &st);
/* "KUIPC_UMH_TRIGGER" for this device's commands, else "0x...". */
[[nodiscard]] std::string ioctl_name(unsigned long cmd);
/* A C string literal of text, UTF-8 kept as it is (one home: kuipc::sys). */
using sys::quote;

/* The helper path the loaded module runs (its read-only parameter). */
[[nodiscard]] std::string helper_path();

/*
 * An open file of the device. Every call is one system call (EINTR is
 * retried) and throws kuipc::Error with its errno on failure.
 */
class Device {
public:
	/* open(path, flags | O_CLOEXEC). */
	explicit Device(std::string path = KUIPC_UMH_PATH, int flags = O_RDWR);

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	[[nodiscard]] const std::string &path() const noexcept { return path_; }

	/*
	 * KUIPC_UMH_TRIGGER: run the helper and wait until it has exited
	 * (CAP_SYS_ADMIN). Fails with the errno of a helper that could not
	 * be run (ENOENT, EACCES, ...) or of a refused request (EINVAL,
	 * EBUSY, EPERM).
	 */
	[[nodiscard]] Result trigger(Mode mode, std::string_view arg,
				     uint32_t exit_code = 0,
				     uint32_t timeout_ms = 0) const;
	/* The same for a request made by the caller. */
	[[nodiscard]] Result trigger(kuipc_umh_request &req) const;

	/* KUIPC_UMH_GET_STATS. */
	[[nodiscard]] Stats stats() const;

	/* What a helper does: one write() of "<id> <output>". */
	void report(uint64_t id, std::string_view output) const;

private:
	std::string path_;
	Fd fd_;
};

} // namespace kuipc::umh
