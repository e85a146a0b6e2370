// SPDX-License-Identifier: GPL-2.0
#include "kmsg.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace kuipc {

namespace {

constexpr const char *kKmsg = "/dev/kmsg";

std::string errno_text(int err)
{
	return std::string(std::strerror(err)) + " (errno " + std::to_string(err) + ")";
}

} // namespace

KmsgReader::KmsgReader(From from)
	: fd_(::open(kKmsg, O_RDONLY | O_NONBLOCK | O_CLOEXEC))
{
	if (!fd_) {
		problems_.push_back(std::string("kernel log: cannot open ") + kKmsg +
				    ": " + errno_text(errno));
		return;
	}
	/* A fresh open starts at the oldest record the buffer still holds. */
	if (from == From::now)
		seek_end();
}

void KmsgReader::seek_end()
{
	kept_.clear();
	if (fd_ && ::lseek(fd_.get(), 0, SEEK_END) < 0)
		problems_.push_back(std::string("kernel log: lseek: ") + errno_text(errno));
}

void KmsgReader::pump()
{
	if (!fd_)
		return;
	/* The largest record the kernel hands out is about 8 KiB. */
	std::array<char, 16384> buf{};
	for (;;) {
		const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			if (errno == EPIPE) {
				/* Overwritten before we read them: the reader
				 * moved on to the oldest record still held. */
				++lost_;
				problems_.push_back(
					"kernel log: records were overwritten before they "
					"were read (EPIPE; " +
					std::to_string(lost_) + " time(s) in this run)");
				continue;
			}
			problems_.push_back(std::string("kernel log: read: ") +
					    errno_text(errno));
			return;
		}
		if (n == 0) {
			problems_.emplace_back("kernel log: read returned end of file");
			return;
		}
		const auto rec = parse_kmsg_record(
			std::string_view(buf.data(), static_cast<size_t>(n)));
		if (rec)
			kept_.push_back(*rec);
		else
			problems_.push_back("kernel log: unparsable record: " +
					    std::string(buf.data(),
							std::min<size_t>(static_cast<size_t>(n), 80)));
	}
}

std::vector<std::string> KmsgReader::drain()
{
	pump();
	std::vector<std::string> out;
	out.swap(kept_);
	return out;
}

std::vector<std::string> KmsgReader::take_problems()
{
	std::vector<std::string> out;
	out.swap(problems_);
	return out;
}

std::optional<std::string> parse_kmsg_record(std::string_view rec)
{
	const auto semi = rec.find(';');
	if (semi == std::string_view::npos)
		return std::nullopt;
	const std::string_view head = rec.substr(0, semi);
	if (head.empty() || head.find_first_not_of("0123456789,-+c") != std::string_view::npos)
		return std::nullopt;
	const int prefix = std::atoi(std::string(head.substr(0, head.find(','))).c_str());
	/* The text ends at the first real newline; dictionary lines follow. */
	std::string_view body = rec.substr(semi + 1);
	body = body.substr(0, body.find('\n'));
	std::string text;
	text.reserve(body.size());
	for (size_t i = 0; i < body.size(); ++i) {
		if (body[i] == '\\' && i + 3 < body.size() && body[i + 1] == 'x' &&
		    std::isxdigit(static_cast<unsigned char>(body[i + 2])) != 0 &&
		    std::isxdigit(static_cast<unsigned char>(body[i + 3])) != 0) {
			const std::string hex(body.substr(i + 2, 2));
			text += static_cast<char>(std::strtoul(hex.c_str(), nullptr, 16));
			i += 3;
		} else {
			text += body[i];
		}
	}
	return std::to_string(prefix & 7) + "|" + text;
}

namespace {

constexpr std::string_view kPatterns[] = {
#include "kernel-reports.inc"
};

bool line_reports(std::string_view line)
{
	for (std::string_view pat : kPatterns) {
		if (pat.front() == '^') {
			if (line.substr(0, pat.size() - 1) == pat.substr(1))
				return true;
		} else if (line.find(pat) != std::string_view::npos) {
			return true;
		}
	}
	return false;
}

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

std::vector<std::string> report_lines(std::string_view text)
{
	std::vector<std::string> bad;
	while (!text.empty()) {
		const auto nl = text.find('\n');
		const std::string_view line = text.substr(0, nl);
		if (line_reports(line))
			bad.emplace_back(line);
		if (nl == std::string_view::npos)
			break;
		text.remove_prefix(nl + 1);
	}
	return bad;
}

std::optional<unsigned long> read_taint()
{
	std::ifstream in("/proc/sys/kernel/tainted");
	unsigned long taint = 0;
	if (!(in >> taint))
		return std::nullopt;
	return taint;
}

std::vector<std::string> kernel_reports(KmsgReader &kmsg,
					std::optional<unsigned long> taint0)
{
	std::vector<std::string> bad;
	for (const auto &rec : kmsg.drain()) {
		for (auto &line : report_lines(std::string_view(rec).substr(rec.find('|') + 1)))
			bad.push_back(std::move(line));
	}
	for (auto &p : kmsg.take_problems())
		bad.push_back(std::move(p));
	const auto taint = read_taint();
	if (!taint0 || !taint) {
		bad.emplace_back("cannot read /proc/sys/kernel/tainted");
	} else {
		const unsigned long added = *taint & ~*taint0 & ~kAllowedTaint;
		if (added != 0)
			bad.push_back("new taint flags: " + taint_letters(added));
	}
	return bad;
}

} // namespace kuipc
