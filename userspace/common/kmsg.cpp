// SPDX-License-Identifier: GPL-2.0
#include "kmsg.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string_view>

namespace kuipc {

KmsgReader::KmsgReader(From from)
	: fd_(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC))
{
	/* A fresh open starts at the oldest record the buffer still holds. */
	if (from == From::now)
		seek_end();
}

void KmsgReader::seek_end()
{
	if (fd_)
		::lseek(fd_.get(), 0, SEEK_END);
}

std::vector<std::string> KmsgReader::drain()
{
	std::vector<std::string> lines;
	std::array<char, 8192> buf{};
	while (fd_) {
		const ssize_t n = ::read(fd_.get(), buf.data(), buf.size() - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten records: skip ahead */
		if (n <= 0)
			break;
		const std::string_view rec(buf.data(), static_cast<size_t>(n));
		const auto semi = rec.find(';');
		if (semi == std::string_view::npos)
			continue;
		const int prefix = std::atoi(std::string(rec.substr(0, rec.find(','))).c_str());
		std::string_view msg = rec.substr(semi + 1);
		const auto nl = msg.find('\n');
		lines.push_back(std::to_string(prefix & 7) + "|" +
				std::string(msg.substr(0, nl)));
	}
	return lines;
}

namespace {

constexpr std::array<std::string_view, 13> kBadPatterns = {
	"BUG:",
	"WARNING:",
	"Oops",
	"general protection",
	"refcount_t",
	"list_del corruption",
	"sleeping function called",
	"Call Trace:",
	"UBSAN:",
	"blocked for more than", /* hung task */
	"soft lockup",
	"ODEBUG:",		 /* DEBUG_OBJECTS */
	"suspected memory leak", /* kmemleak's own log line */
};

/* Taint flags allowed to appear: O (out-of-tree, bit 12), E (unsigned, 13). */
constexpr unsigned long kAllowedTaint = (1UL << 12) | (1UL << 13);

std::string taint_letters(unsigned long mask)
{
	static constexpr std::string_view letters = "PFSRMBUDAWCIOELKXTN";
	std::string s;
	for (size_t bit = 0; bit < letters.size(); ++bit)
		if ((mask & (1UL << bit)) != 0)
			s += letters[bit];
	return s.empty() ? std::to_string(mask) : s;
}

} // namespace

unsigned long read_taint()
{
	std::ifstream in("/proc/sys/kernel/tainted");
	unsigned long taint = 0;
	if (!(in >> taint))
		return 0;
	return taint;
}

std::vector<std::string> kernel_reports(KmsgReader &kmsg, unsigned long taint0)
{
	std::vector<std::string> bad;
	for (const auto &rec : kmsg.drain()) {
		const std::string msg = rec.substr(rec.find('|') + 1);
		for (const auto pat : kBadPatterns) {
			if (msg.find(pat) != std::string::npos) {
				bad.push_back(msg);
				break;
			}
		}
	}
	const unsigned long added = read_taint() & ~taint0 & ~kAllowedTaint;
	if (added != 0)
		bad.push_back("new taint flags: " + taint_letters(added));
	return bad;
}

} // namespace kuipc
