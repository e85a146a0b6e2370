// SPDX-License-Identifier: GPL-2.0
// Host-side tests of the genetlink client's pure logic: no module involved.
#include <catch2/catch.hpp>

#include "genetlink.hpp"

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>

namespace {

namespace gn = kuipc::genetlink;

/* An NLMSG_ERROR as the kernel builds it, echoing `echoed` payload bytes. */
gn::MsgPtr error_msg(int err, bool capped, size_t echoed)
{
	const int flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
	gn::MsgPtr msg(nlmsg_alloc_simple(NLMSG_ERROR, flags));
	REQUIRE(msg);
	auto *e = static_cast<nlmsgerr *>(
		nlmsg_reserve(msg.get(), sizeof(nlmsgerr), NLMSG_ALIGNTO));
	REQUIRE(e != nullptr);
	e->error = -err;
	e->msg.nlmsg_len = static_cast<uint32_t>(NLMSG_HDRLEN + echoed);
	if (!capped && echoed > 0) {
		void *copy = nlmsg_reserve(msg.get(), echoed, NLMSG_ALIGNTO);
		REQUIRE(copy != nullptr);
		std::memset(copy, 0xa5, echoed);
	}
	return msg;
}

} // namespace

TEST_CASE("genetlink: host: entry names are distinct and fit the module's buffer",
	  "[genetlink][host]")
{
	std::set<std::string> names;
	for (uint32_t i = 0; i < KUIPC_GENETLINK_DUMP_ENTRIES; ++i) {
		const std::string name = gn::entry_name(i);
		INFO("entry " << i << ": " << name);
		/* The module's buffer holds it with its NUL, untruncated. */
		REQUIRE(name.size() < KUIPC_GENETLINK_ENTRY_NAME_SIZE);
		REQUIRE(name.find(std::to_string(i)) != std::string::npos);
		REQUIRE(names.insert(name).second);
	}
}

TEST_CASE("genetlink: host: extended ACK attributes are found, capped or not",
	  "[genetlink][host]")
{
	for (const bool capped : {true, false}) {
		INFO("capped " << capped);
		/* 24 bytes of request payload, echoed only when not capped. */
		auto msg = error_msg(EINVAL, capped, 24);
		REQUIRE(nla_put_string(msg.get(), NLMSGERR_ATTR_MSG, "missing value") == 0);
		REQUIRE(nla_put_u32(msg.get(), NLMSGERR_ATTR_OFFS, 20) == 0);
		REQUIRE(nla_put_u32(msg.get(), NLMSGERR_ATTR_MISS_TYPE,
				    KUIPC_GENETLINK_A_VALUE) == 0);
		const auto ack = gn::parse_ack(nlmsg_hdr(msg.get()));
		REQUIRE(ack.has_value());
		CHECK(ack->err == EINVAL);
		CHECK(ack->extack == "missing value");
		CHECK(ack->bad_attr_offset == std::optional<uint32_t>(20));
		CHECK(ack->missing_attr ==
		      std::optional<uint32_t>(KUIPC_GENETLINK_A_VALUE));
	}
}

TEST_CASE("genetlink: host: an ACK without TLVs and a non-ACK message",
	  "[genetlink][host]")
{
	auto ok = error_msg(0, true, 0);
	nlmsg_hdr(ok.get())->nlmsg_flags &= ~static_cast<uint16_t>(NLM_F_ACK_TLVS);
	const auto ack = gn::parse_ack(nlmsg_hdr(ok.get()));
	REQUIRE(ack.has_value());
	CHECK(ack->err == 0);
	CHECK(ack->extack.empty());

	gn::MsgPtr data(nlmsg_alloc_simple(GENL_MIN_ID, 0));
	REQUIRE(data);
	CHECK_FALSE(gn::parse_ack(nlmsg_hdr(data.get())).has_value());
}

TEST_CASE("genetlink: host: a lying echoed length does not send the parser astray",
	  "[genetlink][host]")
{
	auto msg = error_msg(EPERM, false, 0);
	REQUIRE(nla_put_string(msg.get(), NLMSGERR_ATTR_MSG, "x") == 0);
	auto *e = static_cast<nlmsgerr *>(nlmsg_data(nlmsg_hdr(msg.get())));
	e->msg.nlmsg_len = 0x7fffffff; /* far beyond the message */
	auto ack = gn::parse_ack(nlmsg_hdr(msg.get()));
	REQUIRE(ack.has_value());
	CHECK(ack->err == EPERM);
	CHECK(ack->extack.empty());

	/* Claims fewer bytes than a header: ignored too. */
	e->msg.nlmsg_len = 3;
	ack = gn::parse_ack(nlmsg_hdr(msg.get()));
	REQUIRE(ack.has_value());
	CHECK(ack->extack.empty());

	/* Too short to hold a struct nlmsgerr at all. */
	gn::MsgPtr runt(nlmsg_alloc_simple(NLMSG_ERROR, 0));
	REQUIRE(runt);
	CHECK_FALSE(gn::parse_ack(nlmsg_hdr(runt.get())).has_value());
}

TEST_CASE("genetlink: host: NLMSG_DONE carries a failed dump's errno and text",
	  "[genetlink][host]")
{
	gn::MsgPtr done(nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS));
	REQUIRE(done);
	int rc = -EMSGSIZE;
	REQUIRE(nlmsg_append(done.get(), &rc, sizeof(rc), NLMSG_ALIGNTO) == 0);
	REQUIRE(nla_put_string(done.get(), NLMSGERR_ATTR_MSG, "entry too big") == 0);
	const auto ack = gn::parse_ack(nlmsg_hdr(done.get()));
	REQUIRE(ack.has_value());
	CHECK(ack->err == EMSGSIZE);
	CHECK(ack->extack == "entry too big");

	gn::MsgPtr clean(nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI));
	int zero = 0;
	REQUIRE(nlmsg_append(clean.get(), &zero, sizeof(zero), NLMSG_ALIGNTO) == 0);
	const auto end = gn::parse_ack(nlmsg_hdr(clean.get()));
	REQUIRE(end.has_value());
	CHECK(end->err == 0);
}

TEST_CASE("genetlink: host: NetlinkError shows the kernel's message", "[genetlink][host]")
{
	const gn::NetlinkError e(EINVAL, "SET", "missing value attribute",
				 KUIPC_GENETLINK_A_VALUE);
	CHECK(e.err() == EINVAL);
	CHECK(e.extack() == "missing value attribute");
	CHECK(std::string(e.what()).find("missing value attribute") != std::string::npos);
	CHECK(std::string(e.what()).find("SET") == 0);

	const gn::NetlinkError plain(EPERM, "SET");
	CHECK(plain.extack().empty());
	CHECK(std::string(plain.what()).find("kernel") == std::string::npos);
}
