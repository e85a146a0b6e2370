// SPDX-License-Identifier: GPL-2.0
// kuipc::file: whole-file reads and single writes through kuipc::sys, the
// way the clients of the pseudo file systems (proc, sys, configfs, debugfs)
// talk to their modules. Failures throw kuipc::Error with the call's errno.
#pragma once

#include <fcntl.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace kuipc::file {

/*
 * open(path, flags | O_CLOEXEC), read() with chunk-byte buffers up to end
 * of file, close(): the file's bytes. EINTR is retried.
 */
std::string read_all(const std::string &path, std::size_t chunk = 4096,
		     int flags = O_RDONLY);

/*
 * open(path, flags | O_CLOEXEC), one write() of text (retried on EINTR),
 * close(). The write's errno is thrown after the close; a short write is
 * EIO, since these files take a whole value or nothing.
 */
void write_once(const std::string &path, std::string_view text,
		int flags = O_WRONLY);

} // namespace kuipc::file
