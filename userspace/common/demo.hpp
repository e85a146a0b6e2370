// SPDX-License-Identifier: GPL-2.0
/*
 * Narration for the clients' "demo" subcommands.
 *
 * A demo prints one step per system call: what the client called, with its
 * arguments and result, as kuipc::sys traced it (syscall.hpp). Run by `kuipc-runner --demo` (which sets
 * KUIPC_DEMO_KMSG=1), each step is preceded by the kernel log lines logged
 * since the previous one, read from /dev/kmsg, so the two sides appear in the
 * order they happened. Run by hand, only the client's lines are printed.
 */
#pragma once

#include <string>

namespace kuipc::demo {

/*
 * Start narrating: from here on every system call made through kuipc::sys
 * is a step, and kernel lines are shown with the steps.
 */
void begin();

/* One step: the system call with its arguments and its result. */
void step(const std::string &line);

/* A comment between steps, printed as "# text". */
void note(const std::string &text);

/* Stop tracing; show the kernel lines logged after the last step. */
void end();

} // namespace kuipc::demo
