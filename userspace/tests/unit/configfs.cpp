// SPDX-License-Identifier: GPL-2.0
// Host-side unit tests of the configfs client's pure logic (no module needed).
#include <catch2/catch.hpp>

#include "configfs.hpp"
#include "error.hpp"

#include <cerrno>
#include <string>
#include <vector>

namespace {

namespace cfs = kuipc::configfs;

/* The errno parse_summary() fails with, or 0. */
int summary_errno(const std::string &text)
{
	try {
		(void)cfs::parse_summary(text);
		return 0;
	} catch (const kuipc::Error &e) {
		return e.err();
	}
}

int value_errno(const std::string &text)
{
	try {
		(void)cfs::parse_value(text);
		return 0;
	} catch (const kuipc::Error &e) {
		return e.err();
	}
}

} // namespace

TEST_CASE("configfs: summary text follows the ABI format", "[configfs][host]")
{
	cfs::Summary s;
	CHECK(cfs::format_summary(s) == "items 0 allocated 0\n");

	s.items = 2;
	s.allocated = 3;
	s.entries = {{"a", 1}, {"b-2_X", -1000000}};
	const std::string text = cfs::format_summary(s);
	CHECK(text == "items 2 allocated 3\na 1\nb-2_X -1000000\n");
	CHECK(cfs::parse_summary(text) == s);
	CHECK(cfs::parse_summary(text).find("b-2_X") == -1000000);
	CHECK_FALSE(cfs::parse_summary(text).find("c").has_value());
}

TEST_CASE("configfs: malformed summary text is refused with EBADMSG",
	  "[configfs][host]")
{
	const std::vector<std::string> bad = {
		"",
		"items 0 allocated 0",		   /* no newline */
		"items 1 allocated 1\n",	   /* an item missing */
		"items 0 allocated 0\na 1\n",	   /* one too many */
		"items -1 allocated 0\n",
		"items 0  allocated 0\n",
		"Items 0 allocated 0\n",
		"items 1 allocated 1\na  1\n",
		"items 1 allocated 1\na 1x\n",
		"items 1 allocated 1\na +1\n",
		"items 1 allocated 1\na.b 1\n",
		"items 1 allocated 1\n 1\n",
		"items 1 allocated 1\na 99999999999\n",
		"items 1 allocated 1\n" + std::string(cfs::name_max + 1, 'a') +
			" 1\n",
	};
	for (const auto &text : bad) {
		INFO("\"" << cfs::escape(text) << "\"");
		CHECK(summary_errno(text) == EBADMSG);
	}
	CHECK(summary_errno("items 1 allocated 1\n" +
			    std::string(cfs::name_max, 'a') + " -1\n") == 0);
}

TEST_CASE("configfs: attribute values parse strictly", "[configfs][host]")
{
	CHECK(cfs::parse_value("0\n") == 0);
	CHECK(cfs::parse_value("-17\n") == -17);
	CHECK(cfs::parse_value("1000000\n") == cfs::value_max);
	for (const std::string text : {"", "1", "\n", "1\n\n", "x\n", "+1\n",
				       "1 \n", "99999999999\n"}) {
		INFO("\"" << cfs::escape(text) << "\"");
		CHECK(value_errno(text) == EBADMSG);
	}
}

TEST_CASE("configfs: paths and escaping", "[configfs][host]")
{
	CHECK(cfs::item_path("a") == "/sys/kernel/config/kuipc_configfs/a");
	CHECK(cfs::value_path("a") ==
	      "/sys/kernel/config/kuipc_configfs/a/value");
	CHECK(std::string(cfs::initial_path) ==
	      "/sys/kernel/config/kuipc_configfs/settings/initial");
	CHECK(cfs::escape("a\n\"\x01") == "a\\n\\\"\\x01");
	CHECK(cfs::escape("abcdef", 3) == "abc...");
}
