// SPDX-License-Identifier: GPL-2.0
// Host-side tests of the uapi headers themselves: every header in
// modules/include/uapi/kuipc/ must build on its own as strict C90, with the
// flags of the kernel's own exported-header test (usr/include/Makefile),
// and as C++20, the language of the clients, each for x86_64 and for i386;
// and unit/uapi_layout.c holds each struct's layout in both ABIs. The
// headers are found by listing the directory, so a new pair's header is
// covered without an edit.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

/* Every kuipc uapi header, sorted. */
std::vector<fs::path> uapi_headers()
{
	std::vector<fs::path> out;
	for (const auto &e : fs::directory_iterator(fs::path(KUIPC_UAPI_DIR) / "kuipc"))
		if (e.is_regular_file() && e.path().extension() == ".h")
			out.push_back(e.path());
	std::sort(out.begin(), out.end());
	return out;
}

struct Outcome {
	int status = -1; /* the exit status, or -1 when it did not exit */
	std::string output; /* stdout and stderr together */
};

/* Run argv (no shell) and collect what it prints. */
Outcome run(const std::vector<std::string> &argv)
{
	std::array<int, 2> pipefd{};
	if (::pipe2(pipefd.data(), O_CLOEXEC) != 0)
		return {-1, "pipe2 failed"};
	const pid_t pid = ::fork();
	if (pid < 0) {
		::close(pipefd[0]);
		::close(pipefd[1]);
		return {-1, "fork failed"};
	}
	if (pid == 0) {
		::dup2(pipefd[1], STDOUT_FILENO);
		::dup2(pipefd[1], STDERR_FILENO);
		std::vector<char *> args;
		args.reserve(argv.size() + 1);
		for (const auto &a : argv)
			args.push_back(const_cast<char *>(a.c_str())); // NOLINT(cppcoreguidelines-pro-type-const-cast): execvp's signature
		args.push_back(nullptr);
		::execvp(args[0], args.data());
		::_exit(127);
	}
	::close(pipefd[1]);
	Outcome out;
	std::array<char, 4096> buf{};
	for (;;) {
		const ssize_t n = ::read(pipefd[0], buf.data(), buf.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		out.output.append(buf.data(), static_cast<size_t>(n));
	}
	::close(pipefd[0]);
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return out;
	}
	out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return out;
}

/*
 * Compile nothing but the header, included twice (the kernel's check of
 * the include guard), with the language flags given.
 */
Outcome compile_header(const std::string &compiler,
		       const std::vector<std::string> &flags,
		       const std::string &lang, const fs::path &header)
{
	std::vector<std::string> argv{compiler};
	argv.insert(argv.end(), flags.begin(), flags.end());
	argv.insert(argv.end(), {"-fsyntax-only", "-I", KUIPC_UAPI_DIR, "-x", lang,
				 "/dev/null", "-include", header.string(),
				 "-include", header.string()});
	return run(argv);
}

/* Both x86 ABIs: x86_64, and i386, whose __u64 is aligned to 4 bytes. */
const std::array<std::string, 2> kAbis{"-m64", "-m32"};

/* Compile every header with the flags given, for both ABIs. */
void check_headers(const std::string &compiler, std::vector<std::string> flags,
		   const std::string &lang)
{
	const auto headers = uapi_headers();
	REQUIRE(!headers.empty());
	flags.emplace_back();
	for (const auto &abi : kAbis) {
		flags.back() = abi;
		for (const auto &h : headers) {
			INFO(h.filename().string() << " " << abi);
			const Outcome out = compile_header(compiler, flags, lang, h);
			INFO(out.output);
			CHECK(out.status == 0);
		}
	}
}

} // namespace

TEST_CASE("uapi: every header builds as C90 with the kernel's header-test flags",
	  "[uapi][host]")
{
	/* UAPI_CFLAGS of usr/include/Makefile, plus the -Werror it adds. */
	check_headers(KUIPC_HOST_CC,
		      {"-std=c90", "-Wall", "-Werror=implicit-function-declaration",
		       "-Werror"},
		      "c");
}

TEST_CASE("uapi: every header builds as C++20", "[uapi][host]")
{
	check_headers(KUIPC_HOST_CXX, {"-std=c++20", "-Wall", "-Wextra", "-Werror"},
		      "c++");
}

TEST_CASE("uapi: every struct has the same layout on x86_64 and i386",
	  "[uapi][host]")
{
	/* unit/uapi_layout.c: each struct's size and offsets, static_asserts. */
	for (const auto &abi : kAbis) {
		INFO(abi);
		const Outcome out = run({KUIPC_HOST_CC, abi, "-std=c11", "-Wall", "-Wextra",
					 "-pedantic", "-Werror", "-fsyntax-only", "-I",
					 KUIPC_UAPI_DIR, KUIPC_UAPI_LAYOUT});
		INFO(out.output);
		CHECK(out.status == 0);
	}
}

TEST_CASE("uapi: unit/uapi_layout.c checks every struct of the headers",
	  "[uapi][host]")
{
	std::ifstream in(KUIPC_UAPI_LAYOUT);
	const std::string layout{std::istreambuf_iterator<char>(in), {}};
	REQUIRE(!layout.empty());
	const std::regex def(R"(^struct (kuipc_\w+) \{)", std::regex::multiline);
	int structs = 0;
	for (const auto &h : uapi_headers()) {
		std::ifstream hin(h);
		const std::string text{std::istreambuf_iterator<char>(hin), {}};
		for (std::sregex_iterator it(text.begin(), text.end(), def), end; it != end;
		     ++it) {
			const std::string name = (*it)[1];
			INFO(h.filename().string() << ": struct " << name);
			CHECK(layout.find("KUIPC_SIZE(" + name + ",") != std::string::npos);
			++structs;
		}
	}
	CHECK(structs > 0);
}
