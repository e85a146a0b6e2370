// SPDX-License-Identifier: GPL-2.0
// The kernel log as the suite reads it: new /dev/kmsg records, and the
// reports (warnings, oopses, sanitizer and lockdep reports, new taint) that
// fail a mechanism.
#pragma once

#include "fd.hpp"

#include <string>
#include <vector>

namespace kuipc {

/* /dev/kmsg positioned at its end (records from now on), or at its start. */
class KmsgReader {
public:
	enum class From { now, boot };

	explicit KmsgReader(From from = From::now);

	[[nodiscard]] int fd() const { return fd_.get(); }

	/* Skip what is in the log now. */
	void seek_end();

	/* All records available now, as "<level>|<message>" strings. */
	std::vector<std::string> drain();

private:
	Fd fd_;
};

/* /proc/sys/kernel/tainted, or 0 when it cannot be read. */
unsigned long read_taint();

/*
 * What the kernel reported since kmsg was opened and taint0 was read: each
 * record matching a bad pattern (BUG:, WARNING:, Oops, KASAN, lockdep,
 * UBSAN, hung task, ...), and a line naming taint flags that appeared,
 * other than O (out-of-tree) and E (unsigned). Empty when all is clean.
 */
std::vector<std::string> kernel_reports(KmsgReader &kmsg, unsigned long taint0);

} // namespace kuipc
