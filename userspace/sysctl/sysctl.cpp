// SPDX-License-Identifier: GPL-2.0
#include "sysctl.hpp"

#include "error.hpp"
#include "file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>

namespace kuipc::sysctl {

namespace {

/* Enough for any entry: the longest text is a name and its "\n". */
constexpr std::size_t read_chunk = 4096;

} // namespace

const char *entry_name(Entry e)
{
	switch (e) {
	case Entry::value:
		return KUIPC_SYSCTL_VALUE;
	case Entry::name:
		return KUIPC_SYSCTL_NAME;
	case Entry::enabled:
		return KUIPC_SYSCTL_ENABLED;
	}
	throw_err(EINVAL, "unknown sysctl entry");
}

Entry entry_from(std::string_view s)
{
	constexpr std::string_view prefix = KUIPC_SYSCTL_DIR ".";
	if (s.substr(0, prefix.size()) == prefix)
		s.remove_prefix(prefix.size());
	for (const Entry e : entries)
		if (s == entry_name(e))
			return e;
	throw_err(EINVAL, "unknown sysctl entry '" + std::string(s) + "'");
}

std::string path(Entry e)
{
	return std::string(dir_path) + "/" + entry_name(e);
}

std::string key(Entry e)
{
	return std::string(KUIPC_SYSCTL_DIR) + "." + entry_name(e);
}

std::string_view strip_newline(std::string_view text)
{
	if (!text.empty() && text.back() == '\n')
		text.remove_suffix(1);
	return text;
}

int parse_int(std::string_view text, const std::string &what)
{
	const std::string_view digits = strip_newline(text);
	int v = 0;
	const auto [end, ec] =
		std::from_chars(digits.data(), digits.data() + digits.size(), v);
	if (digits.empty() || text.back() != '\n' || ec != std::errc() ||
	    end != digits.data() + digits.size())
		throw_err(EBADMSG, what + ": not an int: \"" + escape(text, 32) +
					   "\"");
	return v;
}

bool parse_bool(std::string_view text, const std::string &what)
{
	if (text == "0\n")
		return false;
	if (text == "1\n")
		return true;
	throw_err(EBADMSG, what + ": not 0 or 1: \"" + escape(text, 32) + "\"");
}

std::string Client::read(Entry e) const
{
	return file::read_all(path(e), read_chunk);
}

void Client::write(Entry e, std::string_view text) const
{
	file::write_once(path(e), text);
}

int Client::value() const
{
	return parse_int(read(Entry::value), path(Entry::value));
}

void Client::set_value(int v) const
{
	write(Entry::value, std::to_string(v) + "\n");
}

std::string Client::name() const
{
	return std::string(strip_newline(read(Entry::name)));
}

void Client::set_name(std::string_view name) const
{
	if (name.find_first_of(std::string_view("\n\0", 2)) !=
	    std::string_view::npos)
		throw_err(EINVAL, "name \"" + escape(name, 48) +
					  "\": holds a newline or a NUL");
	write(Entry::name, std::string(name) + "\n");
}

bool Client::enabled() const
{
	return parse_bool(read(Entry::enabled), path(Entry::enabled));
}

void Client::set_enabled(bool on) const
{
	write(Entry::enabled, on ? "1\n" : "0\n");
}

void Client::reset() const
{
	set_value(value_default);
	set_name(name_default);
	set_enabled(enabled_default);
}

bool Client::available()
{
	struct stat st {};
	return ::stat(dir_path, &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace kuipc::sysctl
