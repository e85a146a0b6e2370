// SPDX-License-Identifier: GPL-2.0
#include "demo.hpp"

#include "fd.hpp"
#include "syscall.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace kuipc::demo {

namespace {

Fd &kmsg()
{
	static Fd fd;
	return fd;
}

bool interleave()
{
	const char *env = std::getenv("KUIPC_DEMO_KMSG");
	return env != nullptr && std::string_view(env) == "1";
}

void put(const char *side, const std::string &text)
{
	if (interleave())
		std::printf("  %s | %s\n", side, text.c_str());
	else
		std::printf("%s\n", text.c_str());
	std::fflush(stdout);
}

/* Print every /dev/kmsg record available now: "pri,seq,ts,flags;text". */
void drain()
{
	if (!kmsg())
		return;
	std::array<char, 8192> rec{};
	for (;;) {
		const ssize_t n = ::read(kmsg().get(), rec.data(), rec.size());
		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten meanwhile */
		if (n <= 0)
			return;
		std::string_view r(rec.data(), static_cast<size_t>(n));
		const auto semi = r.find(';');
		if (semi == std::string_view::npos)
			continue;
		r.remove_prefix(semi + 1);
		r = r.substr(0, r.find('\n'));
		put("kernel", std::string(r));
	}
}

} // namespace

void begin(std::size_t string_max)
{
	sys::trace_to(step, string_max);
	if (!interleave() || kmsg())
		return;
	kmsg().reset(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
	if (kmsg())
		::lseek(kmsg().get(), 0, SEEK_END);
}

void step(const std::string &line)
{
	drain();
	put("client", line);
}

void note(const std::string &text)
{
	drain();
	put("client", "# " + text);
}

void end()
{
	sys::trace_to(nullptr);
	drain();
}

} // namespace kuipc::demo
