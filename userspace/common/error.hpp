// SPDX-License-Identifier: GPL-2.0
// kuipc::Error: a failed system call, carrying errno and what was attempted.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>

namespace kuipc {

class Error : public std::system_error {
public:
	Error(int err, const std::string &what)
		: std::system_error(err, std::generic_category(), what)
	{
	}

	/* The errno value of the failed call. */
	[[nodiscard]] int err() const noexcept { return code().value(); }
};

/* Throw kuipc::Error for the current errno. */
[[noreturn]] inline void throw_errno(const std::string &what)
{
	throw Error(errno, what);
}

/* Throw kuipc::Error for a given errno. */
[[noreturn]] inline void throw_err(int err, const std::string &what)
{
	throw Error(err, what);
}

} // namespace kuipc
