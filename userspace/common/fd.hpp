// SPDX-License-Identifier: GPL-2.0
// kuipc::Fd: a file descriptor owned by exactly one object. Its close()
// is traced like any other (see syscall.hpp).
#pragma once

#include "syscall.hpp"

#include <utility>

namespace kuipc {

class Fd {
public:
	Fd() noexcept = default;
	explicit Fd(int fd) noexcept : fd_(fd) {}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	Fd(Fd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
	Fd &operator=(Fd &&other) noexcept
	{
		if (this != &other)
			reset(std::exchange(other.fd_, -1));
		return *this;
	}
	~Fd() { reset(); }

	[[nodiscard]] int get() const noexcept { return fd_; }
	[[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
	explicit operator bool() const noexcept { return valid(); }

	/* Give up ownership without closing. */
	[[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

	void reset(int fd = -1) noexcept
	{
		if (fd_ >= 0)
			(void)sys::close(fd_);
		fd_ = fd;
	}

private:
	int fd_ = -1;
};

} // namespace kuipc
