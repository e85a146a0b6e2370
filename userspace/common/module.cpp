// SPDX-License-Identifier: GPL-2.0
#include "module.hpp"

#include "error.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace kuipc {

std::string module_dir()
{
	const char *dir = std::getenv("KUIPC_MODULE_DIR");
	return (dir != nullptr && *dir != '\0') ? dir : "/lib/kuipc";
}

std::string module_path(const std::string &mech)
{
	return module_dir() + "/kuipc_" + mech + ".ko";
}

void load_module(const std::string &path, const std::string &params)
{
	Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		throw_errno("open " + path);
	if (::syscall(SYS_finit_module, fd.get(), params.c_str(), 0) != 0)
		throw_errno("finit_module " + path);
}

void unload_module(const std::string &name, int retry_ms)
{
	using clock = std::chrono::steady_clock;
	const auto deadline = clock::now() + std::chrono::milliseconds(retry_ms);

	for (;;) {
		if (::syscall(SYS_delete_module, name.c_str(), O_NONBLOCK) == 0)
			return;
		const int err = errno;
		if ((err != EAGAIN && err != EBUSY && err != EWOULDBLOCK) ||
		    clock::now() >= deadline)
			throw_err(err, "delete_module " + name);
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

bool module_loaded(const std::string &name)
{
	struct stat st {};
	return ::stat(("/sys/module/" + name).c_str(), &st) == 0;
}

} // namespace kuipc
