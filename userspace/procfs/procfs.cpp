// SPDX-License-Identifier: GPL-2.0
#include "procfs.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "file.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>

namespace kuipc::procfs {

namespace {

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

std::string Client::read_records(std::size_t chunk) const
{
	return file::read_all(records_path, chunk);
}

std::string Client::read_messages_raw(std::size_t chunk) const
{
	return file::read_all(messages_path, chunk);
}

std::vector<std::string> Client::messages() const
{
	return decode_messages(read_messages_raw());
}

void Client::write_message(std::string_view msg) const
{
	file::write_once(messages_path, msg);
}

void Client::clear() const
{
	const Fd fd(sys::open(messages_path, O_WRONLY | O_TRUNC | O_CLOEXEC));
	if (!fd)
		throw_errno(std::string("open ") + messages_path);
}

} // namespace kuipc::procfs
