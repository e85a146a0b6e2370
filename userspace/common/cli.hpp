// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc::cli: the frame of every client's command line program.
 *
 *	int main(int argc, char **argv)
 *	{
 *		return kuipc::cli::main(argc, argv, {"kuipc-x", usage, run});
 *	}
 *
 * "-h" or "--help" as the first argument prints the usage on stdout (exit
 * 0). run() returns the exit status; it throws cli::Usage for a bad
 * command line (message and usage on stderr, exit 2), and kuipc::Error or
 * std::system_error for a failed call (message with the errno's name on
 * stderr, exit 1).
 */
#pragma once

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kuipc::cli {

/* A bad command line. */
class Usage : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

struct Program {
	const char *name;
	/* Prints the usage text to the given stream. */
	void (*usage)(std::FILE *to);
	/* The arguments after the program's name; returns the exit status. */
	std::function<int(const std::vector<std::string> &args)> run;
};

int main(int argc, char **argv, const Program &prog);

/* The exception's message as main() prints it, without the name. */
std::string describe(const std::exception &e);

} // namespace kuipc::cli
