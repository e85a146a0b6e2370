// SPDX-License-Identifier: GPL-2.0
#include "file.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "syscall.hpp"

#include <cerrno>
#include <vector>

namespace kuipc::file {

namespace {

Fd open_file(const std::string &path, int flags)
{
	Fd fd(sys::open(path.c_str(), flags | O_CLOEXEC));
	if (!fd)
		throw_errno("open " + path);
	return fd;
}

} // namespace

std::string read_all(const std::string &path, std::size_t chunk, int flags)
{
	if (chunk == 0)
		throw_err(EINVAL, "read " + path + ": empty buffer");
	Fd fd = open_file(path, flags);
	std::string out;
	std::vector<char> buf(chunk);
	for (;;) {
		const ssize_t n = sys::read(fd.get(), buf.data(), buf.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno("read " + path);
		if (n == 0)
			break;
		out.append(buf.data(), static_cast<std::size_t>(n));
	}
	fd.reset();
	return out;
}

void write_once(const std::string &path, std::string_view text, int flags)
{
	Fd fd = open_file(path, flags);
	ssize_t n = 0;
	do {
		n = sys::write(fd.get(), text.data(), text.size());
	} while (n < 0 && errno == EINTR);
	const int err = errno;
	/* The data went with write(); a failing close() loses nothing. */
	fd.reset();
	const std::string what = "write " + sys::quote(text) + " to " + path;
	if (n < 0)
		throw_err(err, what);
	if (static_cast<std::size_t>(n) != text.size())
		throw_err(EIO, what + ": short write of " + std::to_string(n));
}

} // namespace kuipc::file
