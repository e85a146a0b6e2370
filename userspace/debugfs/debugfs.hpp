// SPDX-License-Identifier: GPL-2.0
// kuipc::debugfs: the client of kuipc_debugfs.ko, which serves a directory
// in debugfs: value (u32), mask (x64), overwrite (bool) and info (blob) from
// the kernel's one-line helpers, capacity (a range-checked u32) and events
// (a bounded event log).
// The ABI, including every errno, is described in <kuipc/debugfs.h>.
#pragma once

#include "syscall.hpp"

#include <kuipc/debugfs.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kuipc::debugfs {

inline constexpr const char *dir_path = KUIPC_DEBUGFS_DIR_PATH;
inline constexpr const char *value_path = KUIPC_DEBUGFS_VALUE_PATH;
inline constexpr const char *mask_path = KUIPC_DEBUGFS_MASK_PATH;
inline constexpr const char *overwrite_path = KUIPC_DEBUGFS_OVERWRITE_PATH;
inline constexpr const char *info_path = KUIPC_DEBUGFS_INFO_PATH;
inline constexpr const char *capacity_path = KUIPC_DEBUGFS_CAPACITY_PATH;
inline constexpr const char *events_path = KUIPC_DEBUGFS_EVENTS_PATH;

inline constexpr std::size_t log_max = KUIPC_DEBUGFS_LOG_MAX;
inline constexpr std::size_t event_max = KUIPC_DEBUGFS_EVENT_MAX;
inline constexpr std::uint32_t capacity_min = KUIPC_DEBUGFS_CAPACITY_MIN;
inline constexpr std::uint32_t capacity_default =
	KUIPC_DEBUGFS_CAPACITY_DEFAULT;
inline constexpr std::size_t capacity_text_max =
	KUIPC_DEBUGFS_CAPACITY_TEXT_MAX;

using Info = kuipc_debugfs_info;

/* Buffer size of the read() calls when none is given. */
inline constexpr std::size_t default_chunk = 4096;

/* One line of the events file. */
struct Event {
	std::uint64_t seq = 0;
	std::string text;

	bool operator==(const Event &) const = default;
};

/*
 * Split the content of the events file into events. Throws
 * kuipc::Error(EBADMSG) naming the offset when the text is malformed.
 */
std::vector<Event> parse_events(std::string_view text);

/* Events in the read format of the events file: "<seq> <text>\n"... */
std::string format_events(const std::vector<Event> &events);

/*
 * A number as the u32/x64/attribute files print it: decimal ("42\n") or
 * "0x" and hex digits ("0x000000000000002a\n"), one trailing newline.
 * Throws kuipc::Error(EBADMSG) for anything else.
 */
std::uint64_t parse_number(std::string_view text);

/* "Y\n" or "N\n", as the bool helper prints it; else EBADMSG. */
bool parse_bool(std::string_view text);

/* The info blob from its raw bytes; EBADMSG on a wrong size or magic. */
Info parse_info(std::string_view bytes);

/* Bytes as the body of a C string literal (one home: kuipc::sys). */
using sys::escape;

/*
 * Talks to the module through plain open/read/write/close (kuipc::sys,
 * traced in a demo). Every call opens
 * the file afresh, so a Client holds no descriptor and can be shared by
 * threads. Failures throw kuipc::Error with the errno of the failed call.
 */
class Client {
public:
	/* True when the module's directory exists (module loaded). */
	[[nodiscard]] static bool available();

	[[nodiscard]] std::uint32_t value() const;
	/* Written in decimal; the helper keeps only the low 32 bits. */
	void set_value(std::uint64_t v) const;

	[[nodiscard]] std::uint64_t mask() const;
	void set_mask(std::uint64_t v) const;

	[[nodiscard]] bool overwrite() const;
	void set_overwrite(bool on) const;

	[[nodiscard]] Info info() const;

	[[nodiscard]] std::uint32_t capacity() const;
	/* ERANGE outside capacity_min..log_max. */
	void set_capacity(std::uint64_t n) const;

	/* The events file, undecoded, read with read() calls of chunk bytes. */
	[[nodiscard]] std::string
	read_events_raw(std::size_t chunk = default_chunk) const;

	/* The stored events, oldest first. */
	[[nodiscard]] std::vector<Event> events() const;

	/*
	 * Append one event with a single write() of text (no newline added).
	 * EINVAL for an empty, oversized or non-printable text, ENOSPC when
	 * the log is full and overwrite is off.
	 */
	void append(std::string_view text) const;

	/* Remove all events: open the events file with O_TRUNC. */
	void clear() const;

	/* Any file, whole, read with read() calls of chunk bytes. */
	[[nodiscard]] std::string
	read_file(const char *path, std::size_t chunk = default_chunk) const;

	/*
	 * Any file: one write() of data. Throws on failure and on a short
	 * write (these files take all bytes or none).
	 */
	void write_file(const char *path, std::string_view data) const;
};

} // namespace kuipc::debugfs
