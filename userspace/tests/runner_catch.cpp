// SPDX-License-Identifier: GPL-2.0
// kuipc-runner's Catch2: its implementation, the runs of it that list and
// run tests, and the child side's reporter, which streams one record per
// event to the parent (runner_tests.cpp reads them).
#define CATCH_CONFIG_RUNNER
/* A crashing test is reported by the parent, with the test's name. */
#define CATCH_CONFIG_NO_POSIX_SIGNALS
#include <catch2/catch.hpp>

#include "runner.hpp"

#include "support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>

namespace {

/*
 * Records written to the pipe given in $KUIPC_RESULT_FD, one per line,
 * fields separated by a tab:
 *   start <name>
 *   diag  <text>                        (a failure detail of the running test)
 *   end   pass|fail|skip <tags> <name>  (tags: comma separated, no brackets)
 */
class PipeReporter : public Catch::StreamingReporterBase<PipeReporter> {
public:
	using StreamingReporterBase::StreamingReporterBase;

	static std::string getDescription()
	{
		return "kuipc-runner's internal record stream";
	}

	void assertionStarting(Catch::AssertionInfo const &) override {}

	bool assertionEnded(Catch::AssertionStats const &stats) override
	{
		const auto &r = stats.assertionResult;
		if (r.isOk())
			return true;
		const std::string msg = r.getMessage();
		if (r.getResultType() == Catch::ResultWas::ThrewException &&
		    msg.rfind(kuipc::test::skip_prefix, 0) == 0) {
			skip_reason_ = msg.substr(std::strlen(kuipc::test::skip_prefix));
			return true;
		}
		std::ostringstream os;
		const auto where = r.getSourceInfo();
		os << where.file << ':' << where.line << ": ";
		if (r.hasExpression())
			os << r.getExpressionInMacro() << " with expansion "
			   << r.getExpandedExpression();
		if (!msg.empty())
			os << (r.hasExpression() ? "; " : "") << msg;
		for (const auto &info : stats.infoMessages)
			os << " [" << info.message << ']';
		emit("diag", os.str());
		return true;
	}

	void testCaseStarting(Catch::TestCaseInfo const &info) override
	{
		StreamingReporterBase::testCaseStarting(info);
		skip_reason_.reset();
		emit("start", info.name);
	}

	void testCaseEnded(Catch::TestCaseStats const &stats) override
	{
		std::string tags;
		for (const auto &t : stats.testInfo.tags) {
			if (!tags.empty())
				tags += ',';
			tags += t;
		}
		/* A skip is thrown as an exception, which Catch2 counts as one
		 * failed assertion; anything failing besides it is a failure. */
		const auto failed = stats.totals.assertions.failed;
		const char *status = "pass";
		if (skip_reason_ && failed == 1) {
			status = "skip";
			emit("diag", "SKIP " + *skip_reason_);
		} else if (failed > 0) {
			status = "fail";
		}
		emit("end", std::string(status) + '\t' + (tags.empty() ? "-" : tags) +
				    '\t' + stats.testInfo.name);
		StreamingReporterBase::testCaseEnded(stats);
	}

private:
	static void emit(const char *kind, std::string text)
	{
		std::replace(text.begin(), text.end(), '\n', ' ');
		const std::string line = std::string(kind) + '\t' + text + '\n';
		const char *env = std::getenv("KUIPC_RESULT_FD");
		const int fd = env != nullptr ? std::atoi(env) : 1;
		size_t off = 0;
		while (off < line.size()) {
			const ssize_t n =
				::write(fd, line.data() + off, line.size() - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return;
			off += static_cast<size_t>(n);
		}
	}

	std::optional<std::string> skip_reason_;
};

} // namespace

CATCH_REGISTER_REPORTER("kuipc-pipe", PipeReporter)

CATCH_TRANSLATE_EXCEPTION(kuipc::test::Skip const &e)
{
	return std::string(kuipc::test::skip_prefix) + e.what();
}

namespace kuipc::runner {

int catch_main(const std::vector<const char *> &argv)
{
	return Catch::Session().run(static_cast<int>(argv.size()), argv.data());
}

int catch_run_tests(const std::vector<const char *> &argv)
{
	Catch::Session session;
	if (session.applyCommandLine(static_cast<int>(argv.size()), argv.data()) != 0)
		return 3;
	session.run();
	return 0;
}

} // namespace kuipc::runner
