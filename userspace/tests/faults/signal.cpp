// SPDX-License-Identifier: GPL-2.0
// Fault injection of the signal pair (faults.hpp): the load, an open of the device and a trigger that queues a signal.
#include <catch2/catch.hpp>

#include "faults.hpp"
#include "fd.hpp"
#include "signal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace {

namespace faults = kuipc::test::faults;
namespace ks = kuipc::signal;

} // namespace

TEST_CASE("signal: load survives every allocation failure", "[signal][.faults]")
{
	faults::sweep_load("signal", {KUIPC_SIGNAL_PATH, "/sys/class/misc/" KUIPC_SIGNAL_NAME});
}

TEST_CASE("signal: an open survives every allocation failure", "[signal][.faults]")
{
	const faults::Loaded mod("signal");
	const ks::Device watcher;
	faults::sweep(
		[&] {
			const kuipc::Fd fd(::open(KUIPC_SIGNAL_PATH, O_RDWR | O_CLOEXEC));
			return fd ? 0 : errno;
		},
		[&](const faults::Run &) { CHECK(watcher.stats().registrations == 0); });
}

TEST_CASE("signal: a trigger survives every allocation failure", "[signal][.faults]")
{
	const faults::Loaded mod("signal");
	const int signo = ks::rt_signal(1);
	const ks::BlockedSignals blocked({signo});
	ks::Device dev;
	dev.register_process(signo);
	ks::Stats before = dev.stats();
	faults::sweep([&] { return faults::errno_of([&] { (void)dev.trigger(5); }); },
		      [&](const faults::Run &run) {
			      const ks::Stats now = dev.stats();
			      const unsigned int events = run.err == 0 ? 1 : 0;
			      CHECK(now.events == before.events + events);
			      /* The one registration was signalled, or failed. */
			      CHECK(now.delivered + now.failed + now.gone ==
				    before.delivered + before.failed + before.gone + events);
			      CHECK(now.registrations == 1);
			      before = now;
			      (void)blocked.discard_pending();
		      });
}
