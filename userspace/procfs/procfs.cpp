// SPDX-License-Identifier: GPL-2.0
#include "procfs.hpp"

#include "error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace kuipc::procfs {

namespace {

/* " = N" or " = -1 ENAME (message)", the tail of a traced call. */
std::string result(long ret, int err)
{
	if (ret >= 0)
		return " = " + std::to_string(ret);
	const char *name = ::strerrorname_np(err);
	return std::string(" = -1 ") + (name != nullptr ? name : "E?") + " (" +
	       std::strerror(err) + ")";
}

[[noreturn]] void malformed(std::size_t offset, const char *why)
{
	throw_err(EBADMSG, std::string("messages file, offset ") +
				   std::to_string(offset) + ": " + why);
}

} // namespace

std::string record_line(unsigned int id)
{
	/* One byte more than the longest line, for snprintf's NUL. */
	char buf[sizeof(KUIPC_PROCFS_RECORD_FMT) + 16];
	const int n = std::snprintf(buf, sizeof(buf), KUIPC_PROCFS_RECORD_FMT,
				    id, kuipc_procfs_record_value(id));
	if (n < 0 || static_cast<std::size_t>(n) >= sizeof(buf))
		throw_err(EOVERFLOW, "format record " + std::to_string(id));
	return std::string(buf, static_cast<std::size_t>(n));
}

std::string expected_records()
{
	std::string out;
	for (unsigned int id = 0; id < nr_records; id++)
		out += record_line(id);
	return out;
}

std::string encode_messages(const std::vector<std::string> &msgs)
{
	std::string out;
	for (const auto &msg : msgs) {
		out += std::to_string(msg.size());
		out += ' ';
		out += msg;
		out += '\n';
	}
	return out;
}

std::vector<std::string> decode_messages(std::string_view text)
{
	std::vector<std::string> msgs;
	std::size_t pos = 0;

	while (pos < text.size()) {
		const std::size_t start = pos;
		std::size_t len = 0;

		while (pos < text.size() && text[pos] >= '0' &&
		       text[pos] <= '9') {
			len = len * 10 + static_cast<std::size_t>(text[pos] - '0');
			if (len > msg_max)
				malformed(start, "length above the limit");
			pos++;
		}
		if (pos == start)
			malformed(start, "expected a decimal length");
		if (pos >= text.size() || text[pos] != ' ')
			malformed(pos, "expected a space after the length");
		pos++;
		if (text.size() - pos < len + 1)
			malformed(start, "message cut short");
		if (text[pos + len] != '\n')
			malformed(pos + len, "expected a newline after the message");
		msgs.emplace_back(text.substr(pos, len));
		pos += len + 1;
	}
	return msgs;
}

std::string escape(std::string_view bytes, std::size_t max)
{
	static constexpr char hex[] = "0123456789abcdef";
	std::string out;

	for (std::size_t i = 0; i < bytes.size() && i < max; i++) {
		const auto c = static_cast<unsigned char>(bytes[i]);

		if (c == '\n') {
			out += "\\n";
		} else if (c == '\t') {
			out += "\\t";
		} else if (c == '\\' || c == '"') {
			out += '\\';
			out += static_cast<char>(c);
		} else if (c >= 0x20 && c < 0x7f) {
			out += static_cast<char>(c);
		} else {
			out += "\\x";
			out += hex[c >> 4];
			out += hex[c & 0xf];
		}
	}
	if (bytes.size() > max)
		out += "...";
	return out;
}

Client::Client(Trace trace) : trace_(std::move(trace)) {}

void Client::trace(const std::string &line) const
{
	if (trace_)
		trace_(line);
}

Fd Client::open(const char *path, int flags, const char *flag_names) const
{
	Fd fd(::open(path, flags | O_CLOEXEC));
	const int err = errno;

	trace("open(\"" + std::string(path) + "\", " + flag_names +
	      "|O_CLOEXEC)" + result(fd.get(), err));
	if (!fd)
		throw_err(err, std::string("open ") + path);
	return fd;
}

void Client::close(Fd fd) const
{
	const int n = fd.get();
	const int ret = ::close(fd.release());
	const int err = errno;

	trace("close(" + std::to_string(n) + ")" + result(ret, err));
	/* The data went with write(); a failing close() loses nothing. */
}

std::string Client::read_all(const char *path, std::size_t chunk) const
{
	if (chunk == 0)
		throw_err(EINVAL, "read " + std::string(path) + ": empty buffer");

	Fd fd = open(path, O_RDONLY, "O_RDONLY");
	std::string out;
	std::vector<char> buf(chunk);

	for (;;) {
		const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
		const int err = errno;

		trace("read(" + std::to_string(fd.get()) + ", buf, " +
		      std::to_string(buf.size()) + ")" + result(n, err));
		if (n < 0) {
			if (err == EINTR)
				continue;
			throw_err(err, std::string("read ") + path);
		}
		if (n == 0)
			break;
		out.append(buf.data(), static_cast<std::size_t>(n));
	}
	close(std::move(fd));
	return out;
}

std::string Client::read_records(std::size_t chunk) const
{
	return read_all(records_path, chunk);
}

std::string Client::read_messages_raw(std::size_t chunk) const
{
	return read_all(messages_path, chunk);
}

std::vector<std::string> Client::messages() const
{
	return decode_messages(read_messages_raw());
}

void Client::write_message(std::string_view msg) const
{
	Fd fd = open(messages_path, O_WRONLY, "O_WRONLY");
	ssize_t n;
	int err;

	do {
		n = ::write(fd.get(), msg.data(), msg.size());
		err = errno;
		trace("write(" + std::to_string(fd.get()) + ", \"" +
		      escape(msg, 32) + "\", " + std::to_string(msg.size()) +
		      ")" + result(n, err));
	} while (n < 0 && err == EINTR);

	close(std::move(fd));

	const std::string what = std::string("write ") + messages_path + " (" +
				 std::to_string(msg.size()) + " bytes)";
	if (n < 0)
		throw_err(err, what);
	/* The module stores all bytes or none; anything else is a bug. */
	if (static_cast<std::size_t>(n) != msg.size())
		throw_err(EIO, what + ": short write of " + std::to_string(n));
}

void Client::clear() const
{
	close(open(messages_path, O_WRONLY | O_TRUNC, "O_WRONLY|O_TRUNC"));
}

} // namespace kuipc::procfs
