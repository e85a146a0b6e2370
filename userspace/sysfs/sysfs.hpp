// SPDX-License-Identifier: GPL-2.0
// kuipc::sysfs: the client of kuipc_sysfs.ko, which serves one value per
// file under /sys/kernel/kuipc_sysfs (value, label, writes, event, trigger)
// and two module parameters under /sys/module/kuipc_sysfs/parameters.
// The ABI, including every errno, is described in <kuipc/sysfs.h>.
#pragma once

#include "fd.hpp"
#include "syscall.hpp"

#include <kuipc/sysfs.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kuipc::sysfs {

inline constexpr const char *module_name = KUIPC_SYSFS_MODULE;
inline constexpr const char *dir_path = KUIPC_SYSFS_DIR_PATH;
inline constexpr const char *value_path = KUIPC_SYSFS_VALUE_PATH;
inline constexpr const char *label_path = KUIPC_SYSFS_LABEL_PATH;
inline constexpr const char *writes_path = KUIPC_SYSFS_WRITES_PATH;
inline constexpr const char *event_path = KUIPC_SYSFS_EVENT_PATH;
inline constexpr const char *trigger_path = KUIPC_SYSFS_TRIGGER_PATH;
inline constexpr const char *params_path = KUIPC_SYSFS_PARAMS_PATH;
inline constexpr const char *step_path = KUIPC_SYSFS_STEP_PATH;
inline constexpr const char *tick_ms_path = KUIPC_SYSFS_TICK_MS_PATH;

inline constexpr int value_min = KUIPC_SYSFS_VALUE_MIN;
inline constexpr int value_max = KUIPC_SYSFS_VALUE_MAX;
inline constexpr int value_default = KUIPC_SYSFS_VALUE_DEFAULT;
inline constexpr std::size_t label_max = KUIPC_SYSFS_LABEL_MAX;
inline constexpr const char *label_default = KUIPC_SYSFS_LABEL_DEFAULT;
inline constexpr int trigger_fire = KUIPC_SYSFS_TRIGGER_FIRE;
inline constexpr int step_min = KUIPC_SYSFS_STEP_MIN;
inline constexpr int step_max = KUIPC_SYSFS_STEP_MAX;
inline constexpr int step_default = KUIPC_SYSFS_STEP_DEFAULT;
inline constexpr unsigned int tick_ms_off = KUIPC_SYSFS_TICK_MS_OFF;
inline constexpr unsigned int tick_ms_min = KUIPC_SYSFS_TICK_MS_MIN;
inline constexpr unsigned int tick_ms_max = KUIPC_SYSFS_TICK_MS_MAX;

/* One file of the module: its short name, path and permission bits. */
struct File {
	const char *name;
	const char *path;
	unsigned int mode;
};

/* The attribute files, then the parameter files, in ABI order. */
const std::vector<File> &files();

/* The path of the attribute or parameter called name; throws ENOENT. */
std::string path_of(std::string_view name);

/*
 * The text of a sysfs file without its one trailing newline; throws
 * kuipc::Error(EBADMSG) naming what when the newline is missing.
 */
std::string strip_newline(std::string_view text, std::string_view what);

/* A decimal int as sysfs prints it ("-12\n"); throws EBADMSG / ERANGE. */
long long parse_int(std::string_view text, std::string_view what);

/* An unsigned 64-bit decimal as sysfs prints it; throws EBADMSG / ERANGE. */
std::uint64_t parse_u64(std::string_view text, std::string_view what);

/* Bytes as the body of a C string literal (one home: kuipc::sys). */
using sys::escape;

/*
 * Reads and writes the module's files with open/read/write/close. Each call
 * opens the file afresh, so a Client holds no descriptor and can be shared
 * by threads. Nothing is checked on this side: the module validates every
 * write. Failures throw kuipc::Error with the errno of the failed call.
 */
class Client {
public:
	/* The whole text of a file, newline included, read with one read(). */
	[[nodiscard]] std::string read(const std::string &path) const;

	/* Write text with one write(); a short write throws EIO. */
	void write(const std::string &path, std::string_view text) const;

	[[nodiscard]] int value() const;
	void set_value(int value) const;

	[[nodiscard]] std::string label() const;
	/* Written with a trailing newline, which the module drops. */
	void set_label(std::string_view label) const;

	[[nodiscard]] std::uint64_t writes() const;
	[[nodiscard]] std::uint64_t event() const;

	/* Advance event once (by step); returns after the notification. */
	void trigger() const;

	[[nodiscard]] int step() const;
	void set_step(int step) const;

	[[nodiscard]] unsigned int tick_ms() const;
	void set_tick_ms(unsigned int ms) const;
};

/*
 * Waits for sysfs_notify() on one file. Keeps the file open: the
 * constructor opens it and reads it once (a notification is reported
 * relative to the last read of the open file), wait() blocks in poll() for
 * POLLPRI and then reads the file again from offset 0 with pread(), which
 * also re-arms the next wait.
 */
class Watcher {
public:
	explicit Watcher(std::string path);

	/* The text read last, without its newline. */
	[[nodiscard]] const std::string &text() const { return text_; }

	[[nodiscard]] int fd() const { return fd_.get(); }

	/*
	 * Block until the file is notified or timeout_ms pass (negative: no
	 * limit). On a notification read the new text and return true; on a
	 * timeout return false. Throws kuipc::Error, e.g. ENODEV when the
	 * module was unloaded while the file was open.
	 */
	bool wait(int timeout_ms);

	/* Read the file again from offset 0 (pread); returns the new text. */
	const std::string &reread();

private:
	std::string path_;
	Fd fd_;
	std::string text_;
};

} // namespace kuipc::sysfs
