// SPDX-License-Identifier: GPL-2.0
// kuipc::configfs: the client of kuipc_configfs.ko, a configfs subsystem at
// /sys/kernel/config/kuipc_configfs where mkdir(2) creates an item with a
// value attribute, rmdir(2) destroys it, settings/initial sets the value
// new items start with and summary shows everything the kernel holds.
// The ABI, including every errno, is described in <kuipc/configfs.h>.
#pragma once

#include "syscall.hpp"

#include <kuipc/configfs.h>

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kuipc::configfs {

inline constexpr const char *mount_point = KUIPC_CONFIGFS_MOUNT;
inline constexpr const char *subsys_path = KUIPC_CONFIGFS_SUBSYS_PATH;
inline constexpr const char *summary_path = KUIPC_CONFIGFS_SUMMARY_PATH;
inline constexpr const char *settings_path = KUIPC_CONFIGFS_SETTINGS_PATH;
inline constexpr const char *initial_path = KUIPC_CONFIGFS_INITIAL_PATH;
inline constexpr const char *settings_name = KUIPC_CONFIGFS_SETTINGS;
inline constexpr unsigned int rw_mode = KUIPC_CONFIGFS_RW_MODE;
inline constexpr unsigned int ro_mode = KUIPC_CONFIGFS_RO_MODE;
inline constexpr std::size_t name_max = KUIPC_CONFIGFS_NAME_MAX;
inline constexpr std::size_t max_items = KUIPC_CONFIGFS_MAX_ITEMS;
inline constexpr int value_min = KUIPC_CONFIGFS_VALUE_MIN;
inline constexpr int value_max = KUIPC_CONFIGFS_VALUE_MAX;
inline constexpr int initial_default = KUIPC_CONFIGFS_INITIAL_DEFAULT;

/* One item as summary lists it. */
struct Entry {
	std::string name;
	int value = 0;

	bool operator==(const Entry &) const = default;
};

/* The content of summary. */
struct Summary {
	unsigned int items = 0;		/* items in the subsystem */
	unsigned int allocated = 0;	/* item structures not yet released */
	std::vector<Entry> entries;	/* oldest first */

	bool operator==(const Summary &) const = default;

	/* The value of the item called name, if it is listed. */
	[[nodiscard]] std::optional<int> find(std::string_view name) const;
};

/*
 * Parse the text of summary. Throws kuipc::Error(EBADMSG) naming the line
 * when it does not follow the ABI, including when the number of item lines
 * differs from the count in the head line.
 */
Summary parse_summary(std::string_view text);

/* The text the module prints for s (the inverse of parse_summary). */
std::string format_summary(const Summary &s);

/*
 * Parse the content of a value or initial file ("-12\n"). Throws
 * kuipc::Error(EBADMSG) if it is not one decimal int and a newline.
 */
int parse_value(std::string_view text);

/* The path of an item's directory and of its value file. */
std::string item_path(std::string_view name);
std::string value_path(std::string_view name);

/* True when a configfs is mounted at mount_point (per /proc/self/mounts). */
bool mounted();

/* Bytes as the body of a C string literal (one home: kuipc::sys). */
using sys::escape;

/*
 * Talks to the module with plain mkdir/rmdir/open/read/write/close
 * (kuipc::sys, traced in a demo). Every call opens its file afresh, so a
 * Client holds no descriptor and can be shared by threads. Failures throw kuipc::Error with the errno of the
 * failed call; nothing is checked here that the kernel checks itself.
 */
class Client {
public:
	/* Throws kuipc::Error(ENOENT) naming what is missing: configfs not
	 * mounted, or the subsystem absent (module not loaded). */
	static void check_available();

	/* mkdir(2) an item; errors as documented in <kuipc/configfs.h>. */
	void create(const std::string &name) const;

	/* rmdir(2) an item. */
	void remove(const std::string &name) const;

	/* The names of the items, in directory order (settings excluded). */
	[[nodiscard]] static std::vector<std::string> list();

	/* rmdir every item; one removed meanwhile by someone else is fine. */
	void remove_all() const;

	[[nodiscard]] int value(const std::string &name) const;
	void set_value(const std::string &name, int value) const;

	/* Write text to the item's value file with one write(), unchanged. */
	void write_value(const std::string &name, std::string_view text) const;

	[[nodiscard]] int initial() const;
	void set_initial(int value) const;
	void write_initial(std::string_view text) const;

	[[nodiscard]] std::string summary_raw() const;
	[[nodiscard]] Summary summary() const;

	/* The whole content of a file, read until end of file. */
	[[nodiscard]] std::string read_file(const std::string &path) const;

	/*
	 * Write text to a file with one write() and check that all of it was
	 * taken (configfs stores all of it or fails).
	 */
	void write_file(const std::string &path, std::string_view text) const;
};

} // namespace kuipc::configfs
