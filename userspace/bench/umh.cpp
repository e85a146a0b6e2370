// SPDX-License-Identifier: GPL-2.0
// Benchmark of the umh pair; see docs/benchmarks.md.
#include "bench.hpp"

#include "error.hpp"
#include "umh.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>
#include <vector>

namespace kuipc::bench {

namespace {

/*
 * TRIGGER (the module runs its helper with call_usermodehelper and waits
 * for it to exit) against posix_spawn + waitpid of the same helper from
 * user space. Both helpers try to report: the module's is accepted, the
 * one spawned here is refused (no request has its id) and exits.
 */
void bench_umh(const Baseline &, std::vector<Row> &rows)
{
	namespace um = kuipc::umh;
	const std::string helper = um::helper_path();
	const Stats floor = measure([&] {
		std::string a0 = helper, a1 = "0", a2 = "exit", a3 = "0",
			    a4 = "";
		char *argv[] = {a0.data(), a1.data(), a2.data(), a3.data(),
				a4.data(), nullptr};
		char *envp[] = {nullptr};
		pid_t pid;
		const int err = ::posix_spawn(&pid, helper.c_str(), nullptr,
					      nullptr, argv, envp);
		if (err != 0)
			kuipc::throw_err(err, "posix_spawn " + helper);
		int status;
		while (::waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				kuipc::throw_errno("waitpid");
	}, 1);
	const um::Device dev;
	Row r{"umh", "ioctl(KUIPC_UMH_TRIGGER), helper in exit mode, to its exit",
	      "posix_spawn + waitpid of the helper", {}, 0, {}, {}};
	r.st = measure([&] { (void)dev.trigger(um::Mode::exit, "", 0); }, 1);
	rows.push_back(against(r, floor));
}

const Register reg("umh", bench_umh);

} // namespace

} // namespace kuipc::bench
