// SPDX-License-Identifier: GPL-2.0
// kuipc-runner: the TAP lines on stdout, the run's totals and its JSON.
#include "runner.hpp"

#include <array>
#include <cstdio>
#include <sstream>
#include <string_view>

namespace kuipc::runner {

namespace {

Totals g_totals; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables): the run's one count

std::string json_escape(std::string_view s)
{
	std::string o;
	for (const char c : s) {
		switch (c) {
		case '"':
			o += "\\\"";
			break;
		case '\\':
			o += "\\\\";
			break;
		case '\n':
			o += "\\n";
			break;
		default:
			if (static_cast<unsigned char>(c) < 0x20) {
				std::array<char, 8> buf{};
				std::snprintf(buf.data(), buf.size(), "\\u%04x",
					      static_cast<unsigned char>(c));
				o += buf.data();
			} else {
				o += c;
			}
		}
	}
	return o;
}

const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

const char *json_opt_bool(const std::optional<bool> &b)
{
	return b ? json_bool(*b) : "null";
}

/* "\"<mech>\": {...}" of one mechanism in "mechanisms". */
void mech_json(std::ostringstream &js, const std::string &mech, const MechResult &r)
{
	js << '"' << json_escape(mech) << "\": {"
	   << "\"ok\": " << json_bool(r.ok()) << ", \"passed\": " << r.passed
	   << ", \"failed\": " << r.failed << ", \"skipped\": " << r.skipped
	   << ", \"not_run\": " << r.not_run << ", \"load_ok\": " << json_bool(r.load_ok)
	   << ", \"unload_ok\": " << json_bool(r.unload_ok)
	   << ", \"dmesg_clean\": " << json_bool(r.dmesg_clean) << ", \"wall_s\": " << r.wall_s
	   << ", \"by_tag\": {";
	bool first = true;
	for (const auto &[tag, n] : r.by_tag) {
		js << (first ? "" : ", ") << '"' << json_escape(tag) << "\": " << n;
		first = false;
	}
	js << "}}";
}

/* ", \"faults\": {...}" when a mechanism ran its sweeps, else nothing. */
void faults_json(std::ostringstream &js, const std::map<std::string, MechResult> &results)
{
	bool any = false;
	for (const auto &[mech, r] : results) {
		if (!r.faults.ran)
			continue;
		js << (any ? ", " : ", \"faults\": {") << '"' << json_escape(mech)
		   << "\": {\"load_sites\": " << r.faults.load_sites
		   << ", \"op_sites\": " << r.faults.op_sites << ", \"failed\": " << r.faults.failed
		   << ", \"wall_s\": " << r.faults.wall_s << "}";
		any = true;
	}
	if (any)
		js << "}";
}

} // namespace

const Totals &totals()
{
	return g_totals;
}

void out(const std::string &line)
{
	std::fputs(line.c_str(), stdout);
	std::fputc('\n', stdout);
	std::fflush(stdout);
}

void tap(bool ok, const std::string &desc, const std::string &directive)
{
	++g_totals.tap_number;
	std::string line = (ok ? "ok " : "not ok ") + std::to_string(g_totals.tap_number) +
			   " - " + desc;
	if (!directive.empty())
		line += " # " + directive;
	out(line);
}

void diag(const std::string &text)
{
	out("# " + text);
}

bool check(MechResult &res, bool ok, const std::string &desc,
	   const std::vector<std::string> &why, const std::string &directive)
{
	tap(ok, desc, directive);
	for (const auto &w : why)
		if (!w.empty())
			diag("  " + w);
	if (ok) {
		++res.passed;
		++g_totals.pass;
	} else {
		++res.failed;
		++g_totals.fail;
	}
	return ok;
}

void skipped(MechResult &res, const std::string &desc, const std::string &why)
{
	tap(true, desc, "SKIP " + why);
	++res.skipped;
	++g_totals.skip;
}

bool run_check(const std::string &desc, const std::vector<std::string> &bad)
{
	tap(bad.empty(), desc);
	for (const auto &b : bad)
		diag("  kernel: " + b);
	count(bad.empty());
	return bad.empty();
}

void count(bool ok)
{
	ok ? ++g_totals.pass : ++g_totals.fail;
}

std::string result_json(const std::map<std::string, MechResult> &results,
			const RunChecks &checks, bool ok)
{
	std::ostringstream js;
	js << "{\"ok\": " << json_bool(ok) << ", \"passed\": " << g_totals.pass
	   << ", \"failed\": " << g_totals.fail << ", \"skipped\": " << g_totals.skip
	   << ", \"tap_lines\": " << g_totals.tap_number
	   << ", \"checks\": {\"boot_log\": " << json_opt_bool(checks.boot_log)
	   << ", \"end_of_run\": " << json_opt_bool(checks.end_of_run) << "}, \"mechanisms\": {";
	bool first = true;
	for (const auto &[mech, r] : results) {
		js << (first ? "" : ", ");
		mech_json(js, mech, r);
		first = false;
	}
	js << "}";
	faults_json(js, results);
	js << "}";
	return js.str();
}

std::string summary()
{
	std::string s = std::to_string(g_totals.pass) + " passed, " +
			std::to_string(g_totals.fail) + " failed";
	if (g_totals.skip > 0)
		s += ", " + std::to_string(g_totals.skip) + " skipped";
	return s;
}

} // namespace kuipc::runner
