// SPDX-License-Identifier: GPL-2.0
// The kernel log as the suite reads it: /dev/kmsg records, and the reports
// (warnings, oopses, sanitizer and lockdep reports, new taint) that fail a
// run. Every check fails closed: a log that cannot be opened or read,
// records overwritten before they were read, or a taint mask that cannot
// be read are reported like a kernel report, never taken for "clean".
#pragma once

#include "fd.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kuipc {

/*
 * /dev/kmsg, positioned at its end (records from now on) or at its start
 * (every record the buffer still holds, from boot on a fresh guest). Records
 * are read as they come (pump(), e.g. whenever fd() polls readable) and kept
 * until taken, so a reader that lives for the whole run loses nothing
 * between one check and the next.
 */
class KmsgReader {
public:
	enum class From { now, boot };

	explicit KmsgReader(From from = From::now);

	/* The descriptor to poll() for POLLIN, or -1 when the open failed. */
	[[nodiscard]] int fd() const { return fd_.get(); }

	/* Forget what is in the log now (records read or not). */
	void seek_end();

	/* Read every record available now into the kept ones. */
	void pump();

	/*
	 * The kept records plus those available now, as "<level>|<text>"
	 * strings; a record of several lines keeps them, '\n'-separated.
	 */
	std::vector<std::string> drain();

	/*
	 * Why the log cannot be trusted since the last call: the open failed,
	 * records were lost (EPIPE) or a read failed. Empty when all is well.
	 */
	std::vector<std::string> take_problems();

private:
	Fd fd_;
	std::vector<std::string> kept_;
	std::vector<std::string> problems_;
	unsigned long lost_ = 0;
};

/* One /dev/kmsg record ("pri,seq,ts,flags;text\n dict...") as "<level>|<text>",
 * with the kernel's \xNN escapes undone; nullopt when it is not a record. */
std::optional<std::string> parse_kmsg_record(std::string_view rec);

/* The lines of text that carry a kernel report (kernel-reports.inc). */
std::vector<std::string> report_lines(std::string_view text);

/* /proc/sys/kernel/tainted; nullopt when it cannot be read. */
std::optional<unsigned long> read_taint();

/*
 * What the kernel reported since kmsg was opened (or last asked) and taint0
 * was read: each line matching a report pattern, a line naming taint flags
 * that appeared other than O (out-of-tree) and E (unsigned), and every
 * problem of the reader or of reading the taint. Empty when all is clean.
 */
std::vector<std::string> kernel_reports(KmsgReader &kmsg,
					std::optional<unsigned long> taint0);

} // namespace kuipc
