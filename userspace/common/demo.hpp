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

#include "error.hpp"
#include "syscall.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace kuipc::demo {

/*
 * Start narrating: from here on every system call made through kuipc::sys
 * is a step, showing up to string_max bytes of a buffer, and kernel lines
 * are shown with the steps.
 */
void begin(std::size_t string_max = 32);

/* One step: the system call with its arguments and its result. */
void step(const std::string &line);

/* A comment between steps, printed as "# text". */
void note(const std::string &text);

/*
 * Run call(), which must fail with err: what the module refuses. Any other
 * outcome is an error of the demo (kuipc::Error EPROTO, or call()'s own).
 */
template <typename Call>
void refused(int err, Call &&call)
{
	try {
		call();
	} catch (const Error &e) {
		if (e.err() == err)
			return;
		throw;
	}
	throw Error(EPROTO, "the call was expected to fail with errno " + std::to_string(err));
}

/*
 * Times the calls of a round trip, less the time their narration took
 * (sys::trace_overhead()): what the figure would be without a demo.
 */
class Stopwatch {
public:
	void start() noexcept
	{
		t0_ = std::chrono::steady_clock::now();
		o0_ = sys::trace_overhead();
	}
	void stop() noexcept
	{
		total_ += (std::chrono::steady_clock::now() - t0_) - (sys::trace_overhead() - o0_);
	}
	[[nodiscard]] double us() const noexcept
	{
		return std::chrono::duration<double, std::micro>(total_).count();
	}

private:
	std::chrono::steady_clock::time_point t0_{};
	std::chrono::nanoseconds o0_{};
	std::chrono::steady_clock::duration total_{};
};

/* Stop tracing; show the kernel lines logged after the last step. */
void end();

} // namespace kuipc::demo
