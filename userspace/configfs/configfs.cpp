// SPDX-License-Identifier: GPL-2.0
#include "configfs.hpp"

#include "error.hpp"
#include "file.hpp"
#include "fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

namespace kuipc::configfs {

namespace {

/* The mode mkdir(2) is given; configfs makes every directory 0755 anyway. */
constexpr mode_t dir_mode = 0755;

[[noreturn]] void malformed(std::size_t line, const std::string &why)
{
	throw_err(EBADMSG, std::string("summary, line ") +
				   std::to_string(line) + ": " + why);
}

/* A whole string_view as a number of type T, or nothing. */
template <typename T> std::optional<T> to_number(std::string_view s)
{
	T v{};
	const char *end = s.data() + s.size();
	const auto [ptr, ec] = std::from_chars(s.data(), end, v);
	if (s.empty() || ec != std::errc() || ptr != end)
		return std::nullopt;
	return v;
}

/* snprintf into a std::string: the formats come from the uapi header. */
template <typename... Args>
std::string format(const char *fmt, Args... args)
{
	std::array<char, 128> buf{};
	const int n = std::snprintf(buf.data(), buf.size(), fmt, args...);
	if (n < 0 || static_cast<std::size_t>(n) >= buf.size())
		throw_err(EOVERFLOW, std::string("format \"") + fmt + "\"");
	return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::string head_line(unsigned int items, unsigned int allocated)
{
	return format(KUIPC_CONFIGFS_SUMMARY_HEAD_FMT, items, allocated);
}

std::string item_line(const Entry &e)
{
	return format(KUIPC_CONFIGFS_SUMMARY_ITEM_FMT, e.name.c_str(), e.value);
}

bool name_ok(std::string_view name)
{
	return !name.empty() && name.size() <= name_max &&
	       std::all_of(name.begin(), name.end(), [](char c) {
		       return kuipc_configfs_name_char_ok(c) != 0;
	       });
}

/* Split text into lines, each of which must end with '\n'. */
std::vector<std::string_view> split_lines(std::string_view text)
{
	std::vector<std::string_view> lines;
	while (!text.empty()) {
		const auto nl = text.find('\n');
		if (nl == std::string_view::npos)
			malformed(lines.size() + 1, "no newline at the end");
		lines.push_back(text.substr(0, nl));
		text.remove_prefix(nl + 1);
	}
	return lines;
}

struct DirCloser {
	void operator()(DIR *d) const noexcept { ::closedir(d); }
};

} // namespace

std::optional<int> Summary::find(std::string_view name) const
{
	for (const auto &e : entries)
		if (e.name == name)
			return e.value;
	return std::nullopt;
}

Summary parse_summary(std::string_view text)
{
	const auto lines = split_lines(text);
	if (lines.empty())
		malformed(1, "empty");

	Summary s;
	{
		/* "items N allocated M": parse, then print it back the way
		 * the module does and insist on the very same text. */
		std::istringstream is{std::string(lines[0])};
		std::string word1;
		std::string num1;
		std::string word2;
		std::string num2;
		is >> word1 >> num1 >> word2 >> num2;
		const auto items = to_number<unsigned int>(num1);
		const auto allocated = to_number<unsigned int>(num2);
		if (!items || !allocated ||
		    head_line(*items, *allocated) != std::string(lines[0]) + '\n')
			malformed(1, "not \"" +
					     escape(KUIPC_CONFIGFS_SUMMARY_HEAD_FMT) +
					     "\": \"" + escape(lines[0], 64) + "\"");
		s.items = *items;
		s.allocated = *allocated;
	}

	for (std::size_t i = 1; i < lines.size(); i++) {
		const std::string_view line = lines[i];
		const auto sp = line.find(' ');
		if (sp == std::string_view::npos)
			malformed(i + 1, "no space");
		const std::string_view name = line.substr(0, sp);
		const auto value = to_number<int>(line.substr(sp + 1));
		if (!name_ok(name))
			malformed(i + 1, "bad item name \"" + escape(name, 64) + "\"");
		if (!value)
			malformed(i + 1, "bad value in \"" + escape(line, 64) + "\"");
		Entry e{std::string(name), *value};
		if (item_line(e) != std::string(line) + '\n')
			malformed(i + 1, "not in the ABI format: \"" +
						 escape(line, 64) + "\"");
		s.entries.push_back(std::move(e));
	}
	if (s.entries.size() != s.items)
		malformed(1, std::to_string(s.items) + " items counted, " +
				     std::to_string(s.entries.size()) + " listed");
	return s;
}

std::string format_summary(const Summary &s)
{
	std::string out = head_line(s.items, s.allocated);
	for (const auto &e : s.entries)
		out += item_line(e);
	return out;
}

int parse_value(std::string_view text)
{
	if (text.empty() || text.back() != '\n')
		throw_err(EBADMSG, "value \"" + escape(text, 64) +
					   "\": no newline at the end");
	const auto v = to_number<int>(text.substr(0, text.size() - 1));
	if (!v)
		throw_err(EBADMSG, "value \"" + escape(text, 64) +
					   "\": not a decimal int");
	return *v;
}

std::string item_path(std::string_view name)
{
	return std::string(subsys_path) + "/" + std::string(name);
}

std::string value_path(std::string_view name)
{
	return item_path(name) + "/" KUIPC_CONFIGFS_VALUE;
}

bool mounted()
{
	std::ifstream mounts("/proc/self/mounts");
	std::string line;
	while (std::getline(mounts, line)) {
		std::istringstream is(line);
		std::string dev;
		std::string dir;
		std::string type;
		is >> dev >> dir >> type;
		if (dir == mount_point && type == "configfs")
			return true;
	}
	return false;
}

void Client::check_available()
{
	if (!mounted())
		throw_err(ENOENT, std::string("configfs is not mounted at ") +
					  mount_point +
					  " (mount -t configfs none " +
					  mount_point + ")");
	struct stat st {};
	if (::stat(subsys_path, &st) != 0)
		throw_errno(std::string("stat ") + subsys_path +
			    " (is kuipc_configfs.ko loaded?)");
}

void Client::create(const std::string &name) const
{
	const std::string path = item_path(name);
	if (sys::mkdir(path.c_str(), dir_mode) != 0)
		throw_errno("mkdir " + escape(path, 96));
}

void Client::remove(const std::string &name) const
{
	const std::string path = item_path(name);
	if (sys::rmdir(path.c_str()) != 0)
		throw_errno("rmdir " + escape(path, 96));
}

std::vector<std::string> Client::list()
{
	const std::unique_ptr<DIR, DirCloser> dir(::opendir(subsys_path));
	if (!dir)
		throw_errno(std::string("opendir ") + subsys_path);

	std::vector<std::string> names;
	for (;;) {
		errno = 0;
		const dirent *e = ::readdir(dir.get());
		if (e == nullptr) {
			if (errno != 0)
				throw_errno(std::string("readdir ") + subsys_path);
			break;
		}
		const std::string_view name = e->d_name;
		if (e->d_type != DT_DIR || name == "." || name == ".." ||
		    name == settings_name)
			continue;
		names.emplace_back(name);
	}
	return names;
}

void Client::remove_all() const
{
	for (const auto &name : list()) {
		try {
			remove(name);
		} catch (const Error &e) {
			if (e.err() != ENOENT)
				throw;
		}
	}
}

std::string Client::read_file(const std::string &path) const
{
	return file::read_all(path);
}

void Client::write_file(const std::string &path, std::string_view text) const
{
	/* configfs hands all of it (up to 4095 bytes) to one store(). */
	file::write_once(path, text);
}

int Client::value(const std::string &name) const
{
	return parse_value(read_file(value_path(name)));
}

void Client::set_value(const std::string &name, int value) const
{
	write_value(name, std::to_string(value) + "\n");
}

void Client::write_value(const std::string &name, std::string_view text) const
{
	write_file(value_path(name), text);
}

int Client::initial() const
{
	return parse_value(read_file(initial_path));
}

void Client::set_initial(int value) const
{
	write_initial(std::to_string(value) + "\n");
}

void Client::write_initial(std::string_view text) const
{
	write_file(initial_path, text);
}

std::string Client::summary_raw() const
{
	return read_file(summary_path);
}

Summary Client::summary() const
{
	return parse_summary(summary_raw());
}

} // namespace kuipc::configfs
