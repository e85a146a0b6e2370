// SPDX-License-Identifier: GPL-2.0
#include "cli.hpp"

#include "syscall.hpp"

#include <system_error>

namespace kuipc::cli {

std::string describe(const std::exception &e)
{
	const auto *se = dynamic_cast<const std::system_error *>(&e);
	if (se == nullptr || se->code().category() != std::generic_category())
		return e.what();
	return std::string(e.what()) + " (" + sys::errno_name(se->code().value()) + ")";
}

int main(int argc, char **argv, const Program &prog)
{
	const std::vector<std::string> args(argv + 1, argv + argc);
	if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
		prog.usage(stdout);
		return 0;
	}
	try {
		return prog.run(args);
	} catch (const Usage &u) {
		std::fflush(stdout);
		std::fprintf(stderr, "%s: %s\n", prog.name, u.what());
		prog.usage(stderr);
		return 2;
	} catch (const std::exception &e) {
		std::fflush(stdout);
		std::fprintf(stderr, "%s: %s\n", prog.name, describe(e).c_str());
		return 1;
	}
}

} // namespace kuipc::cli
