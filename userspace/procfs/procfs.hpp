// SPDX-License-Identifier: GPL-2.0
// kuipc::procfs: the client of kuipc_procfs.ko, which serves
// /proc/kuipc_procfs/records (a multi-page seq_file) and
// /proc/kuipc_procfs/messages (a bounded message store).
// The ABI, including every errno, is described in <kuipc/procfs.h>.
#pragma once

#include "syscall.hpp"

#include <kuipc/procfs.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kuipc::procfs {

inline constexpr const char *dir_path = KUIPC_PROCFS_DIR_PATH;
inline constexpr const char *records_path = KUIPC_PROCFS_RECORDS_PATH;
inline constexpr const char *messages_path = KUIPC_PROCFS_MESSAGES_PATH;
inline constexpr unsigned int records_mode = KUIPC_PROCFS_RECORDS_MODE;
inline constexpr unsigned int messages_mode = KUIPC_PROCFS_MESSAGES_MODE;
inline constexpr std::size_t nr_records = KUIPC_PROCFS_NR_RECORDS;
inline constexpr std::size_t msg_max = KUIPC_PROCFS_MSG_MAX;
inline constexpr std::size_t msg_slots = KUIPC_PROCFS_MSG_SLOTS;

/* Buffer size of the read() calls when none is given. */
inline constexpr std::size_t default_chunk = 4096;

/* The line the module prints for record id (computed here, not read). */
std::string record_line(unsigned int id);

/* The whole records file as the module must print it. */
std::string expected_records();

/* Messages in the read format of the messages file: "<len> <bytes>\n"... */
std::string encode_messages(const std::vector<std::string> &msgs);

/*
 * Split the content of the messages file into messages. Throws
 * kuipc::Error(EBADMSG) naming the offset when the text is malformed.
 */
std::vector<std::string> decode_messages(std::string_view text);

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
	/* The records file, read with read() calls of chunk bytes. */
	[[nodiscard]] std::string read_records(
		std::size_t chunk = default_chunk) const;

	/* The messages file, undecoded. */
	[[nodiscard]] std::string read_messages_raw(
		std::size_t chunk = default_chunk) const;

	/* The stored messages, oldest first. */
	[[nodiscard]] std::vector<std::string> messages() const;

	/*
	 * Append msg as one message with a single write(). Fails with
	 * EMSGSIZE (longer than msg_max) or ENOSPC (msg_slots stored).
	 */
	void write_message(std::string_view msg) const;

	/* Remove all messages: open the file for writing with O_TRUNC. */
	void clear() const;
};

} // namespace kuipc::procfs
