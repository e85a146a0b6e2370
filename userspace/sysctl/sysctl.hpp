// SPDX-License-Identifier: GPL-2.0
// kuipc::sysctl: the client of kuipc_sysctl.ko, which registers three
// sysctl entries in /proc/sys/kuipc: "value" (a bounded int), "name" (a
// bounded string) and "enabled" (a bool).
// The ABI, including every errno, is described in <kuipc/sysctl.h>.
#pragma once

#include "syscall.hpp"

#include <kuipc/sysctl.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace kuipc::sysctl {

inline constexpr const char *dir_path = KUIPC_SYSCTL_DIR_PATH;
inline constexpr unsigned int file_mode = KUIPC_SYSCTL_MODE;
inline constexpr int value_min = KUIPC_SYSCTL_VALUE_MIN;
inline constexpr int value_max = KUIPC_SYSCTL_VALUE_MAX;
inline constexpr int value_default = KUIPC_SYSCTL_VALUE_DEFAULT;
inline constexpr std::size_t name_max = KUIPC_SYSCTL_NAME_MAX;
inline constexpr const char *name_default = KUIPC_SYSCTL_NAME_DEFAULT;
inline constexpr bool enabled_default = KUIPC_SYSCTL_ENABLED_DEFAULT != 0;

/* The entries of the table. */
enum class Entry { value, name, enabled };
inline constexpr std::array<Entry, 3> entries = {Entry::value, Entry::name,
						 Entry::enabled};

/* "value", "name" or "enabled". */
const char *entry_name(Entry e);

/* The entry named s ("value" or "kuipc.value"); throws Error(EINVAL). */
Entry entry_from(std::string_view s);

/* Its file, e.g. "/proc/sys/kuipc/value". */
std::string path(Entry e);

/* Its sysctl(8) key, e.g. "kuipc.value". */
std::string key(Entry e);

/* The text as read, without its one trailing "\n". */
std::string_view strip_newline(std::string_view text);

/*
 * An int as the kernel prints it ("-12\n"); throws Error(EBADMSG) on any
 * other text. what names the source in the message.
 */
int parse_int(std::string_view text, const std::string &what);

/* "0\n" or "1\n"; throws Error(EBADMSG) on any other text. */
bool parse_bool(std::string_view text, const std::string &what);

/* Bytes as the body of a C string literal (one home: kuipc::sys). */
using sys::escape;

/*
 * Reads and writes the entries with plain open/read/write/close (kuipc::sys,
 * traced in a demo). Every call
 * opens the file afresh, so a Client holds no descriptor and can be shared
 * by threads. Failures throw kuipc::Error with the errno of the failed call.
 */
class Client {
public:
	/* The text of an entry as the kernel prints it, e.g. "100\n". */
	[[nodiscard]] std::string read(Entry e) const;

	/*
	 * Write text to an entry with a single write() at position 0.
	 * EINVAL when the kernel refuses it (out of range, not a number, a
	 * name too long), EACCES when the caller is not root.
	 */
	void write(Entry e, std::string_view text) const;

	[[nodiscard]] int value() const;
	void set_value(int v) const;

	[[nodiscard]] std::string name() const;
	/*
	 * Throws Error(EINVAL) without writing when name holds a "\n" or a
	 * NUL: the kernel would store only the part before it.
	 */
	void set_name(std::string_view name) const;

	[[nodiscard]] bool enabled() const;
	void set_enabled(bool on) const;

	/* Put every entry back to the value it has when the module loads. */
	void reset() const;

	/* True when the module's directory exists (the module is loaded). */
	[[nodiscard]] static bool available();
};

} // namespace kuipc::sysctl
