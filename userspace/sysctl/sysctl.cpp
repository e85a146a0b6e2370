// SPDX-License-Identifier: GPL-2.0
#include "sysctl.hpp"

#include "error.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>
#include <vector>

namespace kuipc::sysctl {

namespace {

/* Enough for any entry: the longest text is a name and its "\n". */
constexpr std::size_t read_chunk = 4096;

/* " = N" or " = -1 ENAME (message)", the tail of a traced call. */
std::string result(long ret, int err)
{
	if (ret >= 0)
		return " = " + std::to_string(ret);
	const char *name = ::strerrorname_np(err);
	return std::string(" = -1 ") + (name != nullptr ? name : "E?") + " (" +
	       std::strerror(err) + ")";
}

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

std::string escape(std::string_view bytes, std::size_t max)
{
	static constexpr std::string_view hex = "0123456789abcdef";
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

std::string Client::read(Entry e) const
{
	const std::string file = path(e);
	Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
	int err = errno;

	trace("open(\"" + file + "\", O_RDONLY|O_CLOEXEC)" +
	      result(fd.get(), err));
	if (!fd)
		throw_err(err, "open " + file);

	std::string out;
	std::vector<char> buf(read_chunk);
	for (;;) {
		const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
		err = errno;
		const std::string got =
			n > 0 ? "\"" +
					escape(std::string_view(
						       buf.data(),
						       static_cast<std::size_t>(n)),
					       48) +
					"\""
			      : "buf";
		trace("read(" + std::to_string(fd.get()) + ", " + got + ", " +
		      std::to_string(buf.size()) + ")" + result(n, err));
		if (n < 0) {
			if (err == EINTR)
				continue;
			throw_err(err, "read " + file);
		}
		if (n == 0)
			break;
		out.append(buf.data(), static_cast<std::size_t>(n));
	}

	const int n = fd.get();
	const int ret = ::close(fd.release());
	err = errno;
	trace("close(" + std::to_string(n) + ")" + result(ret, err));
	return out;
}

void Client::write(Entry e, std::string_view text) const
{
	const std::string file = path(e);
	Fd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
	int err = errno;

	trace("open(\"" + file + "\", O_WRONLY|O_CLOEXEC)" +
	      result(fd.get(), err));
	if (!fd)
		throw_err(err, "open " + file);

	ssize_t n = 0;
	do {
		n = ::write(fd.get(), text.data(), text.size());
		err = errno;
		trace("write(" + std::to_string(fd.get()) + ", \"" +
		      escape(text, 48) + "\", " + std::to_string(text.size()) +
		      ")" + result(n, err));
	} while (n < 0 && err == EINTR);

	const int nfd = fd.get();
	const int ret = ::close(fd.release());
	const int cerr = errno;
	trace("close(" + std::to_string(nfd) + ")" + result(ret, cerr));

	const std::string what = "write \"" + escape(text, 48) + "\" to " + file;
	if (n < 0)
		throw_err(err, what);
	/* The handlers consume a whole value or refuse it. */
	if (static_cast<std::size_t>(n) != text.size())
		throw_err(EIO, what + ": short write of " + std::to_string(n));
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
