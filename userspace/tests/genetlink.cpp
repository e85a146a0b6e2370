// SPDX-License-Identifier: GPL-2.0
// VM tests of kuipc_genetlink.ko through the kuipc::genetlink client.
#include <catch2/catch.hpp>

#include "fd.hpp"
#include "genetlink.hpp"
#include "module.hpp"
#include "support.hpp"

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using kuipc::test::errno_of;

namespace gn = kuipc::genetlink;

constexpr const char *kModule = "kuipc_genetlink";
constexpr int kWaitMs = 10000; /* safety net for events that must come */

/*
 * The largest skb one dumpit call can fill is SKB_WITH_OVERHEAD(32768)
 * (netlink caps max_recvmsg_len there), so a dump bigger than this was
 * necessarily produced by several dumpit calls, i.e. the cursor worked.
 */
constexpr size_t kMaxDumpSkb = 32768;

/* The NetlinkError fn throws, or nothing if it succeeds. */
template <typename Fn> std::optional<gn::NetlinkError> refusal(Fn &&fn)
{
	try {
		fn();
	} catch (const gn::NetlinkError &e) {
		return e;
	}
	return std::nullopt;
}

/* The NetlinkError of a SET whose attributes put_attrs writes, if any. */
std::optional<gn::NetlinkError> set_refusal(gn::Client &c, const gn::Client::AttrWriter &put_attrs)
{
	return refusal([&] { c.request(KUIPC_GENETLINK_CMD_SET, 0, put_attrs, {}); });
}

/* e is a refusal with errno err and an extended ACK message. */
void check_refused(const std::optional<gn::NetlinkError> &e, int err)
{
	REQUIRE(e.has_value());
	CHECK(e->err() == err);
	CHECK_FALSE(e->extack().empty());
}

/* Where the next attribute put into msg will start (for NLMSGERR_ATTR_OFFS). */
uint32_t next_attr_offset(nl_msg *msg)
{
	return nlmsg_hdr(msg)->nlmsg_len; /* already 4-byte aligned */
}

/*
 * A known starting point: value set by us and its notification consumed,
 * so a later notification can only come from a later request.
 */
gn::Value settle(gn::Client &c, gn::Subscriber &sub, uint32_t value)
{
	c.set(value);
	const auto n = sub.wait(kWaitMs);
	REQUIRE(n.has_value());
	REQUIRE(n->value.value == value);
	return n->value;
}

/*
 * After a refused request: the value and generation are what they were,
 * and the refused request sent no notification (the next one to arrive
 * belongs to the SET made here, one generation later).
 */
void check_unchanged(gn::Client &c, gn::Subscriber &sub, const gn::Value &before)
{
	const gn::Value now = c.get();
	CHECK(now.value == before.value);
	CHECK(now.generation == before.generation);
	const uint32_t probe = before.value == KUIPC_GENETLINK_VALUE_MAX
				       ? KUIPC_GENETLINK_VALUE_MIN
				       : before.value + 1;
	c.set(probe);
	const auto n = sub.wait(kWaitMs);
	REQUIRE(n.has_value());
	CHECK(n->value.value == probe);
	CHECK(n->value.generation == before.generation + 1);
}

} // namespace

TEST_CASE("genetlink: family, version and events group resolve by name", "[genetlink]")
{
	REQUIRE(gn::family_registered());
	gn::Client c;
	CHECK(c.family_id() >= GENL_MIN_ID);
	CHECK(c.events_group() > 0);

	/* The version the module puts in its replies is the ABI's. */
	std::optional<int> version;
	c.request(KUIPC_GENETLINK_CMD_GET, 0, {}, [&](nl_msg *msg) {
		version = genlmsg_hdr(nlmsg_hdr(msg))->version;
	});
	REQUIRE(version.has_value());
	CHECK(*version == KUIPC_GENETLINK_VERSION);
}

TEST_CASE("genetlink: ECHO returns the string it was sent", "[genetlink]")
{
	gn::Client c;
	CHECK(c.echo("hello, kernel") == "hello, kernel");
	CHECK(c.echo("").empty());
	const std::string longest(KUIPC_GENETLINK_STRING_MAX, 'x');
	CHECK(c.echo(longest) == longest);
	std::string all_bytes;
	for (int b = 1; b < 256; ++b)
		all_bytes += static_cast<char>(b);
	CHECK(c.echo(all_bytes) == all_bytes);
}

TEST_CASE("genetlink: SET then GET returns the value and counts generations", "[genetlink]")
{
	gn::Client c;
	c.set(KUIPC_GENETLINK_VALUE_MIN);
	const gn::Value a = c.get();
	CHECK(a.value == KUIPC_GENETLINK_VALUE_MIN);

	c.set(KUIPC_GENETLINK_VALUE_MAX);
	const gn::Value b = c.get();
	CHECK(b.value == KUIPC_GENETLINK_VALUE_MAX);
	CHECK(b.generation == a.generation + 1);

	/* Storing the same value again is still a change event. */
	c.set(KUIPC_GENETLINK_VALUE_MAX);
	CHECK(c.get().generation == a.generation + 2);

	/* Another socket sees the same state. */
	gn::Client other;
	const gn::Value o = other.get();
	CHECK(o.value == KUIPC_GENETLINK_VALUE_MAX);
	CHECK(o.generation == a.generation + 2);
}

TEST_CASE("genetlink: DUMP delivers every entry once, in order, over several messages",
	  "[genetlink]")
{
	gn::Client c;
	for (int round = 0; round < 2; ++round) {
		INFO("dump round " << round);
		gn::DumpStats st;
		const auto entries = c.dump(&st);
		REQUIRE(entries.size() == KUIPC_GENETLINK_DUMP_ENTRIES);
		for (uint32_t i = 0; i < KUIPC_GENETLINK_DUMP_ENTRIES; ++i) {
			if (entries[i].index != i || entries[i].name != gn::entry_name(i)) {
				FAIL_CHECK("entry " << i << " is " << entries[i].index << " \""
						    << entries[i].name << "\"");
				break;
			}
		}
		CHECK(st.messages == KUIPC_GENETLINK_DUMP_ENTRIES);
		CHECK(st.messages > 1);
		/* More than one dumpit call's worth: the cursor carried on. */
		CHECK(st.bytes > kMaxDumpSkb);
	}
	/* Nothing of the dumps is left on the socket. */
	CHECK(c.echo("after the dumps") == "after the dumps");
}

TEST_CASE("genetlink: subscribers receive every SET with the new value", "[genetlink]")
{
	gn::Client c;
	gn::Subscriber one;
	gn::Subscriber two;

	c.set(1234);
	const gn::Value now = c.get();
	for (gn::Subscriber *sub : {&one, &two}) {
		const auto n = sub->wait(kWaitMs);
		REQUIRE(n.has_value());
		CHECK(n->value.value == 1234);
		CHECK(n->value.generation == now.generation);
		CHECK(n->setter_port == c.port());
	}

	c.set(4321);
	const auto n = one.wait(kWaitMs);
	REQUIRE(n.has_value());
	CHECK(n->value.value == 4321);
	CHECK(n->value.generation == now.generation + 1);
}

TEST_CASE("genetlink: a missing required attribute gives EINVAL naming it",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 77);

	auto e = refusal([&] { c.request(KUIPC_GENETLINK_CMD_SET, 0, {}, {}); });
	check_refused(e, EINVAL);
	CHECK(e->missing_attr() == std::optional<uint32_t>(KUIPC_GENETLINK_A_VALUE));
	INFO("SET {}: " << e->what());

	e = refusal([&] { c.request(KUIPC_GENETLINK_CMD_ECHO, 0, {}, {}); });
	check_refused(e, EINVAL);
	CHECK(e->missing_attr() == std::optional<uint32_t>(KUIPC_GENETLINK_A_STRING));

	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: an over-long or unterminated string gives EINVAL at the attribute",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 78);

	uint32_t at = 0;
	auto e = refusal([&] { c.echo(std::string(KUIPC_GENETLINK_STRING_MAX + 1, 'y')); });
	check_refused(e, EINVAL);
	CHECK(e->bad_attr_offset().has_value());
	INFO("long ECHO: " << e->what());

	/* Far too long: still the kernel's policy that says no. */
	e = refusal([&] { c.echo(std::string(10000, 'z')); });
	check_refused(e, EINVAL);

	/* Bytes without the NUL that NLA_NUL_STRING requires. */
	e = refusal([&] {
		c.request(
			KUIPC_GENETLINK_CMD_ECHO, 0,
			[&](nl_msg *msg) {
				at = next_attr_offset(msg);
				REQUIRE(nla_put(msg, KUIPC_GENETLINK_A_STRING, 3, "abc") == 0);
			},
			{});
	});
	check_refused(e, EINVAL);
	CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));

	/* The socket is fine afterwards, and nothing changed. */
	CHECK(c.echo("still here") == "still here");
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: a wrongly sized VALUE gives EINVAL at the attribute",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 79);

	uint32_t at = 0;
	auto e = set_refusal(c, [&](nl_msg *msg) {
		at = next_attr_offset(msg);
		REQUIRE(nla_put_u8(msg, KUIPC_GENETLINK_A_VALUE, 5) == 0);
	});
	check_refused(e, EINVAL);
	CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));
	INFO("SET {u8}: " << e->what());

	e = set_refusal(c, [&](nl_msg *msg) {
		REQUIRE(nla_put_u64(msg, KUIPC_GENETLINK_A_VALUE, 5) == 0);
	});
	check_refused(e, EINVAL);

	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: a VALUE outside the policy range gives ERANGE", "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 80);

	for (const uint32_t bad : {uint32_t{KUIPC_GENETLINK_VALUE_MAX + 1},
				   uint32_t{KUIPC_GENETLINK_VALUE_MIN - 1}, uint32_t{0xffffffff}}) {
		INFO("value " << bad);
		const auto e = refusal([&] { c.set(bad); });
		check_refused(e, ERANGE);
		CHECK(e->bad_attr_offset().has_value());
	}
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: attributes a command does not take are rejected",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 81);

	/* SET with its value plus an attribute that belongs to ECHO. */
	uint32_t at = 0;
	auto e = set_refusal(c, [&](nl_msg *msg) {
		REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 500) == 0);
		at = next_attr_offset(msg);
		REQUIRE(nla_put_string(msg, KUIPC_GENETLINK_A_STRING, "x") == 0);
	});
	check_refused(e, EINVAL);
	CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));

	/* An attribute id no command knows. */
	e = set_refusal(c, [&](nl_msg *msg) {
		REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 500) == 0);
		REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_MAX + 1, 1) == 0);
	});
	check_refused(e, EINVAL);

	/* GET and DUMP take no attributes at all. */
	for (const int flags : {0, NLM_F_DUMP}) {
		const uint8_t cmd = flags == 0 ? KUIPC_GENETLINK_CMD_GET : KUIPC_GENETLINK_CMD_DUMP;
		INFO("command " << int{cmd});
		e = refusal([&] {
			c.request(
				cmd, flags,
				[&](nl_msg *msg) {
					REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 500) == 0);
				},
				{});
		});
		check_refused(e, EINVAL);
	}

	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: unknown commands and wrong do/dump use give EOPNOTSUPP",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 82);

	for (const uint8_t cmd : {uint8_t{KUIPC_GENETLINK_CMD_UNSPEC},
				  uint8_t{KUIPC_GENETLINK_CMD_VALUE_NTF},
				  uint8_t{__KUIPC_GENETLINK_CMD_MAX}, uint8_t{255}}) {
		INFO("command " << int{cmd});
		const auto e = refusal([&] { c.request(cmd, 0, {}, {}); });
		REQUIRE(e.has_value());
		CHECK(e->err() == EOPNOTSUPP);
	}
	/* GET has no dump, DUMP has no do. */
	auto e = refusal([&] { c.request(KUIPC_GENETLINK_CMD_GET, NLM_F_DUMP, {}, {}); });
	REQUIRE(e.has_value());
	CHECK(e->err() == EOPNOTSUPP);
	e = refusal([&] { c.request(KUIPC_GENETLINK_CMD_DUMP, 0, {}, {}); });
	REQUIRE(e.has_value());
	CHECK(e->err() == EOPNOTSUPP);

	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: a non-zero reserved header byte gives EINVAL", "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 83);

	const auto e = set_refusal(c, [&](nl_msg *msg) {
		genlmsg_hdr(nlmsg_hdr(msg))->reserved = 1;
		REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 900) == 0);
	});
	check_refused(e, EINVAL);
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: bytes after the last attribute give EINVAL", "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 84);

	/* 2 and 3 stray bytes, and 4 zero bytes: an attribute of length 0. */
	for (const size_t n : {size_t{2}, size_t{3}, size_t{4}}) {
		INFO(n << " bytes after a valid VALUE");
		const auto e = set_refusal(c, [&](nl_msg *msg) {
			REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 901) == 0);
			void *tail = nlmsg_reserve(msg, n, 1);
			REQUIRE(tail != nullptr);
			std::memset(tail, n == 4 ? 0 : 'x', n);
		});
		REQUIRE(e.has_value());
		CHECK(e->err() == EINVAL);
		CHECK(e->extack() == "bytes leftover after parsing attributes");
	}
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: an attribute longer than what is left of the message gives EINVAL",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 85);

	/* The VALUE's last two bytes cut off: its header says 8, 6 arrive. */
	auto e = set_refusal(c, [&](nl_msg *msg) {
		REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 902) == 0);
		nlmsg_hdr(msg)->nlmsg_len -= 2;
	});
	REQUIRE(e.has_value());
	CHECK(e->err() == EINVAL);
	CHECK(e->extack() == "bytes leftover after parsing attributes");

	/* A whole VALUE whose header claims far more than the message holds. */
	e = set_refusal(c, [&](nl_msg *msg) {
		nlattr *nla = static_cast<nlattr *>(nlmsg_tail(nlmsg_hdr(msg)));
		REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 903) == 0);
		nla->nla_len = 200;
	});
	REQUIRE(e.has_value());
	CHECK(e->err() == EINVAL);
	CHECK(e->extack() == "bytes leftover after parsing attributes");

	/* And one shorter than an attribute header. */
	e = set_refusal(c, [&](nl_msg *msg) {
		nlattr *nla = static_cast<nlattr *>(nlmsg_tail(nlmsg_hdr(msg)));
		REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 904) == 0);
		nla->nla_len = NLA_HDRLEN - 1;
	});
	REQUIRE(e.has_value());
	CHECK(e->err() == EINVAL);
	CHECK(e->extack() == "bytes leftover after parsing attributes");

	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: a message cut inside the genetlink header gives EINVAL",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 86);

	/* No genlmsghdr at all, then all of it but one byte. */
	for (const uint32_t keep : {uint32_t{0}, uint32_t{GENL_HDRLEN - 1}}) {
		INFO(keep << " bytes of the genetlink header");
		const auto e = set_refusal(c, [&](nl_msg *msg) {
			REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 905) == 0);
			nlmsg_hdr(msg)->nlmsg_len = NLMSG_HDRLEN + keep;
		});
		REQUIRE(e.has_value());
		CHECK(e->err() == EINVAL);
	}
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: a VALUE marked as nested gives EINVAL at the attribute",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 87);

	/* A proper u32, but with NLA_F_NESTED set in its type. */
	uint32_t at = 0;
	auto e = set_refusal(c, [&](nl_msg *msg) {
		at = next_attr_offset(msg);
		const uint32_t v = 906;
		REQUIRE(nla_put(msg, KUIPC_GENETLINK_A_VALUE | NLA_F_NESTED,
				sizeof(v), &v) == 0);
	});
	REQUIRE(e.has_value());
	CHECK(e->err() == EINVAL);
	CHECK(e->extack() == "NLA_F_NESTED not expected");
	CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));

	/* A nest of attributes where the u32 should be. */
	e = set_refusal(c, [&](nl_msg *msg) {
		at = next_attr_offset(msg);
		nlattr *nest = nla_nest_start(msg, KUIPC_GENETLINK_A_VALUE);
		REQUIRE(nest != nullptr);
		REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 907) == 0);
		REQUIRE(nla_put_string(msg, KUIPC_GENETLINK_A_STRING, "in") == 0);
		REQUIRE(nla_nest_end(msg, nest) == 0);
		nest->nla_type |= NLA_F_NESTED;
	});
	check_refused(e, EINVAL);
	CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));

	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: attribute id 0 (UNSPEC) gives EINVAL at the attribute",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 88);

	for (const uint8_t cmd : {uint8_t{KUIPC_GENETLINK_CMD_SET},
				  uint8_t{KUIPC_GENETLINK_CMD_ECHO}}) {
		INFO("command " << int{cmd});
		uint32_t at = 0;
		const auto e = refusal([&] {
			c.request(
				cmd, 0,
				[&](nl_msg *msg) {
					if (cmd == KUIPC_GENETLINK_CMD_SET)
						REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE,
								    908) == 0);
					else
						REQUIRE(nla_put_string(msg, KUIPC_GENETLINK_A_STRING,
								       "x") == 0);
					at = next_attr_offset(msg);
					REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_UNSPEC, 908) == 0);
				},
				{});
		});
		REQUIRE(e.has_value());
		CHECK(e->err() == EINVAL);
		CHECK(e->extack() == "Unknown attribute type");
		CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));
	}
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: a duplicated VALUE is refused if either copy is out of range",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 89);

	constexpr uint32_t good = 909;
	constexpr uint32_t bad = KUIPC_GENETLINK_VALUE_MAX + 1;
	for (const bool bad_first : {true, false}) {
		INFO((bad_first ? "out-of-range copy first" : "out-of-range copy last"));
		uint32_t at = 0;
		const auto e = set_refusal(c, [&](nl_msg *msg) {
			for (const bool this_bad : {bad_first, !bad_first}) {
				if (this_bad)
					at = next_attr_offset(msg);
				REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE,
						    this_bad ? bad : good) == 0);
			}
		});
		check_refused(e, ERANGE);
		CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));
	}
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: an empty STRING attribute gives EINVAL at the attribute",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 90);

	uint32_t at = 0;
	const auto e = refusal([&] {
		c.request(
			KUIPC_GENETLINK_CMD_ECHO, 0,
			[&](nl_msg *msg) {
				at = next_attr_offset(msg);
				REQUIRE(nla_put(msg, KUIPC_GENETLINK_A_STRING, 0, nullptr) == 0);
			},
			[](nl_msg *) { FAIL("an ECHO reply to an empty attribute"); });
	});
	check_refused(e, EINVAL);
	CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));

	/* The shortest valid string is its NUL alone. */
	CHECK(c.echo("").empty());
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: a STRING over the limit gives ERANGE even with a NUL early on",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 91);

	/*
	 * "ab", NUL, then filler up to one byte past the limit, then NUL. The
	 * NUL is there, so this is not EINVAL like a string without one: the
	 * policy's length check refuses it with ERANGE.
	 */
	std::string bytes = std::string("ab") + '\0';
	bytes.resize(KUIPC_GENETLINK_STRING_MAX + 1, 'z');
	bytes += '\0';
	uint32_t at = 0;
	const auto e = refusal([&] {
		c.request(
			KUIPC_GENETLINK_CMD_ECHO, 0,
			[&](nl_msg *msg) {
				at = next_attr_offset(msg);
				REQUIRE(nla_put(msg, KUIPC_GENETLINK_A_STRING,
						static_cast<int>(bytes.size()), bytes.data()) == 0);
			},
			[](nl_msg *) { FAIL("an ECHO reply to an over-long attribute"); });
	});
	check_refused(e, ERANGE);
	CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));

	/* Exactly at the limit, the same shape is accepted; the string ends
	 * at its first NUL. */
	bytes.resize(KUIPC_GENETLINK_STRING_MAX);
	bytes += '\0';
	std::optional<std::string> answer;
	c.request(
		KUIPC_GENETLINK_CMD_ECHO, 0,
		[&](nl_msg *msg) {
			REQUIRE(nla_put(msg, KUIPC_GENETLINK_A_STRING,
					static_cast<int>(bytes.size()), bytes.data()) == 0);
		},
		[&](nl_msg *msg) {
			nlattr *a = nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN,
						    KUIPC_GENETLINK_A_STRING);
			if (a != nullptr)
				answer = nla_get_string(a);
		});
	CHECK(answer == std::optional<std::string>("ab"));
	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: unprivileged SET gives EPERM while GET, ECHO and DUMP work",
	  "[genetlink][permission]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 321);

	/* Each child opens its own socket: the opener's capabilities count. */
	const int set_rc = kuipc::test::run_unprivileged([] {
		gn::Client u;
		const auto e = refusal([&] { u.set(999); });
		return e ? e->err() : 0;
	});
	CHECK(set_rc == EPERM);

	const int get_rc = kuipc::test::run_unprivileged([&] {
		gn::Client u;
		const gn::Value v = u.get();
		return v.value == before.value && v.generation == before.generation
			       ? 0
			       : EBADMSG;
	});
	CHECK(get_rc == 0);

	const int echo_dump_rc = kuipc::test::run_unprivileged([] {
		gn::Client u;
		if (u.echo("from nobody") != "from nobody")
			return EBADMSG;
		return u.dump().size() == KUIPC_GENETLINK_DUMP_ENTRIES ? 0 : EBADMSG;
	});
	CHECK(echo_dump_rc == 0);

	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: root in a new user namespace is refused what needs a capability in the initial one",
	  "[genetlink][permission]")
{
	using kuipc::test::run_in_userns;
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 322);

	/*
	 * SET is GENL_ADMIN_PERM: CAP_NET_ADMIN in the initial user namespace,
	 * for the socket's opener and the sender. Root of another user
	 * namespace has it only there. Tried from the initial network
	 * namespace, where the family is.
	 */
	CHECK(run_in_userns([] {
		gn::Client u;
		const auto e = refusal([&] { u.set(999); });
		return e ? e->err() : 0;
	}) == EPERM);

	/* GET, ECHO and DUMP need no capability, there either. */
	CHECK(run_in_userns([&before] {
		gn::Client u;
		const gn::Value v = u.get();
		if (v.value != before.value || v.generation != before.generation)
			return EBADMSG;
		if (u.echo("from a user namespace") != "from a user namespace")
			return EBADMSG;
		return u.dump().size() == KUIPC_GENETLINK_DUMP_ENTRIES ? 0 : EBADMSG;
	}) == 0);

	/*
	 * In a network namespace of its own, root of the user namespace does
	 * have CAP_NET_ADMIN over the namespace; the family is not netnsok,
	 * so it is not there to be asked.
	 */
	CHECK(run_in_userns(
		      [] { return errno_of([] { const gn::Client u; }); },
		      CLONE_NEWNET) == ENOENT);

	check_unchanged(c, sub, before);
}

TEST_CASE("genetlink: an unprivileged process may listen to the events group",
	  "[genetlink][permission]")
{
	gn::Client c;
	std::array<int, 2> p{};
	REQUIRE(::pipe2(p.data(), O_CLOEXEC) == 0);
	kuipc::Fd rd(p[0]);
	kuipc::Fd wr(p[1]);

	/* Sets the value once the unprivileged child says it is listening. */
	std::atomic<int> setter_rc{-1};
	std::jthread setter([&] {
		pollfd pfd{rd.get(), POLLIN, 0};
		char byte = 0;
		if (::poll(&pfd, 1, kWaitMs) != 1 || ::read(rd.get(), &byte, 1) != 1) {
			setter_rc = ETIMEDOUT;
			return;
		}
		setter_rc = errno_of([&] { c.set(555); });
	});
	const int child_rc = kuipc::test::run_unprivileged([&] {
		gn::Subscriber sub;
		if (::write(wr.get(), "x", 1) != 1)
			return EIO;
		const auto n = sub.wait(kWaitMs);
		if (!n)
			return ETIMEDOUT;
		return n->value.value == 555 ? 0 : EBADMSG;
	});
	/* If the child never got to write, unblock the setter. */
	const ssize_t unblock = ::write(wr.get(), "x", 1);
	(void)unblock;
	setter.join();
	CHECK(setter_rc == 0);
	CHECK(child_rc == 0);
	CHECK(c.get().value == 555);
}

TEST_CASE("genetlink: after unload the family is gone, after reload it starts afresh",
	  "[genetlink][lifecycle]")
{
	const kuipc::test::ReloadGuard guard("genetlink");
	gn::Client old;
	old.set(KUIPC_GENETLINK_VALUE_INITIAL + 1);

	kuipc::unload_module(kModule);
	REQUIRE_FALSE(kuipc::module_loaded(kModule));
	CHECK_FALSE(gn::family_registered());
	try {
		gn::Client gone;
		FAIL("family still resolves after unload");
	} catch (const kuipc::Error &e) {
		CHECK(e.err() == ENOENT);
	}
	/* A socket that resolved the id before the unload gets ENOENT now. */
	const auto e = refusal([&] { (void)old.get(); });
	REQUIRE(e.has_value());
	CHECK(e->err() == ENOENT);

	kuipc::load_module(kuipc::module_path("genetlink"));
	REQUIRE(gn::family_registered());
	gn::Client fresh;
	const gn::Value v = fresh.get();
	CHECK(v.value == KUIPC_GENETLINK_VALUE_INITIAL);
	CHECK(v.generation == 0);
}

TEST_CASE("genetlink: an unfinished dump holds the module until its socket closes",
	  "[genetlink][lifecycle]")
{
	const kuipc::test::ReloadGuard guard("genetlink");
	{
		gn::Client reader;
		reader.dump_start();
		/* The dump in progress holds a module reference. */
		try {
			kuipc::unload_module(kModule, 0);
			FAIL("module unloaded during a dump");
		} catch (const kuipc::Error &e) {
			CHECK((e.err() == EWOULDBLOCK || e.err() == EAGAIN || e.err() == EBUSY));
		}
		REQUIRE(kuipc::module_loaded(kModule));
		/* The refused unload did not disturb the dump. */
		const auto entries = reader.dump_finish();
		REQUIRE(entries.size() == KUIPC_GENETLINK_DUMP_ENTRIES);
		CHECK(entries.back().index == KUIPC_GENETLINK_DUMP_ENTRIES - 1);
	}
	{
		/* Abandoned half way: closing the socket releases the module. */
		gn::Client quitter;
		quitter.dump_start();
	}
	kuipc::unload_module(kModule, 5000);
	CHECK_FALSE(kuipc::module_loaded(kModule));
	kuipc::load_module(kuipc::module_path("genetlink"));
	CHECK(gn::family_registered());
}

TEST_CASE("genetlink: concurrent SETs are each notified once, in generation order",
	  "[genetlink][concurrency]")
{
	constexpr uint32_t kThreads = 4;
	constexpr uint32_t kPerThread = 50;
	constexpr size_t kTotal = size_t{kThreads} * kPerThread;
	gn::Subscriber sub;
	gn::Client c;
	const uint32_t g0 = c.get().generation;

	std::array<std::string, kThreads> errors;
	std::vector<std::jthread> threads; /* joined on every way out */
	threads.reserve(kThreads);
	for (uint32_t t = 0; t < kThreads; ++t) {
		threads.emplace_back([t, &errors] {
			try {
				gn::Client w;
				for (uint32_t i = 0; i < kPerThread; ++i)
					w.set(100 * (t + 1) + i);
			} catch (const std::exception &e) {
				errors.at(t) = e.what();
			}
		});
	}
	std::vector<gn::Notification> seen;
	while (seen.size() < kTotal) {
		const auto n = sub.wait(kWaitMs);
		if (!n)
			break;
		seen.push_back(*n);
	}
	for (auto &th : threads)
		th.join();
	for (const auto &err : errors)
		CHECK(err.empty());
	REQUIRE(seen.size() == kTotal);

	std::map<uint32_t, uint32_t> next_of_thread; /* program order per writer */
	std::set<uint32_t> values;
	for (size_t k = 0; k < seen.size(); ++k) {
		const auto &v = seen[k].value;
		CHECK(v.generation == g0 + 1 + k);
		const uint32_t t = v.value / 100 - 1;
		const uint32_t i = v.value % 100;
		CHECK(t < kThreads);
		CHECK(i == next_of_thread[t]++);
		CHECK(values.insert(v.value).second);
	}
	const gn::Value last = c.get();
	CHECK(last.generation == g0 + kTotal);
	CHECK(last.value == seen.back().value.value);
}

TEST_CASE("genetlink: concurrent ECHOs and DUMPs each get their own answers",
	  "[genetlink][concurrency]")
{
	constexpr int kThreads = 4;
	std::array<std::string, kThreads> errors;
	std::vector<std::jthread> threads; /* joined on every way out */
	threads.reserve(kThreads);
	for (int t = 0; t < kThreads; ++t) {
		threads.emplace_back([t, &errors] {
			try {
				gn::Client c;
				for (int i = 0; i < 100; ++i) {
					const std::string s = "thread " + std::to_string(t) +
							      " message " + std::to_string(i);
					if (c.echo(s) != s)
						throw std::runtime_error("wrong echo for " + s);
					if (i % 25 != 0)
						continue;
					const auto entries = c.dump();
					if (entries.size() != KUIPC_GENETLINK_DUMP_ENTRIES)
						throw std::runtime_error("short dump");
					for (uint32_t k = 0; k < entries.size(); ++k)
						if (entries[k].index != k ||
						    entries[k].name != gn::entry_name(k))
							throw std::runtime_error("bad dump entry");
				}
			} catch (const std::exception &e) {
				errors.at(static_cast<size_t>(t)) = e.what();
			}
		});
	}
	for (auto &th : threads)
		th.join();
	for (const auto &err : errors)
		CHECK(err.empty());
}

TEST_CASE("genetlink: an attribute sent twice is refused, even when both copies are valid",
	  "[genetlink][badinput]")
{
	gn::Client c;
	gn::Subscriber sub;
	const gn::Value before = settle(c, sub, 92);

	/* The core would keep the last copy: the module refuses the request. */
	for (const uint32_t second : {92U, 500U}) {
		INFO("second copy " << second);
		uint32_t at = 0;
		const auto e = set_refusal(c, [&](nl_msg *msg) {
			REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, 92) == 0);
			at = next_attr_offset(msg);
			REQUIRE(nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, second) == 0);
		});
		REQUIRE(e.has_value());
		CHECK(e->err() == EINVAL);
		CHECK(e->extack() == "duplicate attribute");
		CHECK(e->bad_attr_offset() == std::optional<uint32_t>(at));
	}
	const auto e = refusal([&] {
		c.request(
			KUIPC_GENETLINK_CMD_ECHO, 0,
			[&](nl_msg *msg) {
				REQUIRE(nla_put_string(msg, KUIPC_GENETLINK_A_STRING, "one") == 0);
				REQUIRE(nla_put_string(msg, KUIPC_GENETLINK_A_STRING, "two") == 0);
			},
			{});
	});
	REQUIRE(e.has_value());
	CHECK(e->err() == EINVAL);
	CHECK(e->extack() == "duplicate attribute");
	check_unchanged(c, sub, before);
}
