// SPDX-License-Identifier: GPL-2.0
#include "debugfs.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>

namespace kuipc::debugfs {

namespace {

[[noreturn]] void malformed(std::string_view what, std::size_t offset,
			    const char *why)
{
	throw_err(EBADMSG, std::string(what) + ", offset " +
				   std::to_string(offset) + ": " + why);
}

/* Without the one trailing newline the files print; EBADMSG if missing. */
std::string_view strip_newline(std::string_view text, std::string_view what)
{
	if (text.empty() || text.back() != '\n')
		malformed(what, text.size(), "expected a trailing newline");
	return text.substr(0, text.size() - 1);
}

} // namespace

std::vector<Event> parse_events(std::string_view text)
{
	static constexpr std::string_view what = "events file";
	std::vector<Event> events;
	std::size_t pos = 0;

	while (pos < text.size()) {
		const std::size_t nl = text.find('\n', pos);
		if (nl == std::string_view::npos)
			malformed(what, pos, "line without a newline");
		const std::string_view line = text.substr(pos, nl - pos);
		const std::size_t sp = line.find(' ');
		if (sp == 0 || sp == std::string_view::npos)
			malformed(what, pos, "expected \"<seq> <text>\"");

		Event ev;
		const auto [end, ec] =
			std::from_chars(line.data(), line.data() + sp, ev.seq);
		if (ec != std::errc() || end != line.data() + sp || ev.seq == 0)
			malformed(what, pos, "bad sequence number");
		ev.text = line.substr(sp + 1);
		if (ev.text.empty() || ev.text.size() > event_max)
			malformed(what, pos + sp + 1, "bad text length");
		for (std::size_t i = 0; i < ev.text.size(); i++) {
			const auto c = static_cast<unsigned char>(ev.text[i]);
			if (c < 0x20 || c > 0x7e)
				malformed(what, pos + sp + 1 + i,
					  "non-printable byte");
		}
		events.push_back(std::move(ev));
		pos = nl + 1;
	}
	return events;
}

std::string format_events(const std::vector<Event> &events)
{
	std::string out;
	for (const auto &ev : events) {
		out += std::to_string(ev.seq);
		out += ' ';
		out += ev.text;
		out += '\n';
	}
	return out;
}

std::uint64_t parse_number(std::string_view text)
{
	static constexpr std::string_view what = "number";
	const std::string_view digits = strip_newline(text, what);
	int base = 10;
	std::size_t skip = 0;

	if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'x') {
		base = 16;
		skip = 2;
	}
	std::uint64_t v = 0;
	const char *first = digits.data() + skip;
	const char *last = digits.data() + digits.size();
	const auto [end, ec] = std::from_chars(first, last, v, base);
	if (first == last || ec != std::errc() || end != last)
		malformed(what, static_cast<std::size_t>(end - digits.data()),
			  "expected decimal or 0x-prefixed hex digits");
	return v;
}

bool parse_bool(std::string_view text)
{
	static constexpr std::string_view what = "bool";
	const std::string_view v = strip_newline(text, what);
	if (v == "Y")
		return true;
	if (v == "N")
		return false;
	malformed(what, 0, "expected Y or N");
}

Info parse_info(std::string_view bytes)
{
	Info info{};
	if (bytes.size() != sizeof(info))
		throw_err(EBADMSG,
			  "info blob: " + std::to_string(bytes.size()) +
				  " bytes, expected " +
				  std::to_string(sizeof(info)));
	std::memcpy(&info, bytes.data(), sizeof(info));
	if (info.magic != KUIPC_DEBUGFS_MAGIC)
		throw_err(EBADMSG, "info blob: wrong magic");
	return info;
}

bool Client::available()
{
	struct stat st {};
	return ::stat(dir_path, &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Client::read_file(const char *path, std::size_t chunk) const
{
	return file::read_all(path, chunk);
}

void Client::write_file(const char *path, std::string_view data) const
{
	file::write_once(path, data);
}

std::uint32_t Client::value() const
{
	const std::uint64_t v = parse_number(read_file(value_path));
	if (v > std::numeric_limits<std::uint32_t>::max())
		throw_err(EBADMSG, std::string(value_path) + ": not a u32");
	return static_cast<std::uint32_t>(v);
}

void Client::set_value(std::uint64_t v) const
{
	write_file(value_path, std::to_string(v) + "\n");
}

std::uint64_t Client::mask() const
{
	return parse_number(read_file(mask_path));
}

void Client::set_mask(std::uint64_t v) const
{
	std::array<char, 24> buf{};
	const int n = std::snprintf(buf.data(), buf.size(), "0x%llx\n",
				    static_cast<unsigned long long>(v));
	write_file(mask_path,
		   std::string_view(buf.data(), static_cast<std::size_t>(n)));
}

bool Client::overwrite() const
{
	return parse_bool(read_file(overwrite_path));
}

void Client::set_overwrite(bool on) const
{
	write_file(overwrite_path, on ? "Y\n" : "N\n");
}

Info Client::info() const
{
	return parse_info(read_file(info_path));
}

std::uint32_t Client::capacity() const
{
	const std::uint64_t v = parse_number(read_file(capacity_path));
	if (v > std::numeric_limits<std::uint32_t>::max())
		throw_err(EBADMSG, std::string(capacity_path) + ": not a u32");
	return static_cast<std::uint32_t>(v);
}

void Client::set_capacity(std::uint64_t n) const
{
	write_file(capacity_path, std::to_string(n) + "\n");
}

std::string Client::read_events_raw(std::size_t chunk) const
{
	return read_file(events_path, chunk);
}

std::vector<Event> Client::events() const
{
	return parse_events(read_events_raw());
}

void Client::append(std::string_view text) const
{
	write_file(events_path, text);
}

void Client::clear() const
{
	const Fd fd(sys::open(events_path, O_WRONLY | O_TRUNC | O_CLOEXEC));
	if (!fd)
		throw_errno(std::string("open ") + events_path);
}

} // namespace kuipc::debugfs
