// SPDX-License-Identifier: GPL-2.0
// Host-side unit tests of the procfs client's pure logic (no module needed).
#include <catch2/catch.hpp>

#include "error.hpp"
#include "procfs.hpp"

#include <cerrno>
#include <string>
#include <vector>

namespace {

namespace procfs = kuipc::procfs;
using Strings = std::vector<std::string>;

/* The errno decode_messages() fails with, or 0. */
int decode_errno(const std::string &text)
{
	try {
		(void)procfs::decode_messages(text);
		return 0;
	} catch (const kuipc::Error &e) {
		return e.err();
	}
}

} // namespace

TEST_CASE("procfs: record lines follow the ABI format", "[procfs][host]")
{
	CHECK(procfs::record_line(0) ==
	      "kuipc_procfs record 0000 value 0x6b756970\n");
	CHECK(procfs::record_line(1) ==
	      "kuipc_procfs record 0001 value 0xf54210c1\n");

	const std::string all = procfs::expected_records();
	const std::size_t len = procfs::record_line(0).size();
	CHECK(all.size() == procfs::nr_records * len);
	CHECK(all.substr(len * 999, len) == procfs::record_line(999));
	CHECK(procfs::record_line(999).size() == len);
}

TEST_CASE("procfs: messages encode and decode symmetrically", "[procfs][host]")
{
	const Strings msgs = {"hello", std::string("\0\n", 2), "5 x\n",
			      std::string(procfs::msg_max, 'm')};
	const std::string text = procfs::encode_messages(msgs);

	CHECK(text.substr(0, 8) == "5 hello\n");
	CHECK(procfs::decode_messages(text) == msgs);
	CHECK(procfs::decode_messages("").empty());
	CHECK(procfs::decode_messages("0 \n") == Strings{""});
}

TEST_CASE("procfs: malformed messages text is rejected with EBADMSG",
	  "[procfs][host]")
{
	CHECK(decode_errno("5 hello\n") == 0);
	CHECK(decode_errno("hello\n") == EBADMSG);	  // no length
	CHECK(decode_errno("5hello\n") == EBADMSG);	  // no space
	CHECK(decode_errno("5 hell") == EBADMSG);	  // cut short
	CHECK(decode_errno("5 hello") == EBADMSG);	  // no newline
	CHECK(decode_errno("5 hello!") == EBADMSG);	  // wrong terminator
	CHECK(decode_errno("5 hello\n3") == EBADMSG);	  // trailing junk
	CHECK(decode_errno("99999999999999999999 x\n") == EBADMSG);
	CHECK(decode_errno(std::to_string(procfs::msg_max + 1) + " " +
			   std::string(procfs::msg_max + 1, 'x') + "\n") ==
	      EBADMSG);
}

TEST_CASE("procfs: escape shows bytes as a C string body", "[procfs][host]")
{
	CHECK(procfs::escape("plain text") == "plain text");
	CHECK(procfs::escape(std::string("a\0\n\t\"\\\xff", 7)) ==
	      "a\\x00\\n\\t\\\"\\\\\\xff");
	CHECK(procfs::escape("abcdef", 3) == "abc...");
	CHECK(procfs::escape("abc", 3) == "abc");
}
