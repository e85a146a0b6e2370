// SPDX-License-Identifier: GPL-2.0
// kuipc::genetlink: client of kuipc_genetlink.ko, built on libnl-genl-3.
#pragma once

#include "error.hpp"

#include <kuipc/genetlink.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct nl_cb;
struct nl_msg;
struct nl_sock;

namespace kuipc::genetlink {

/*
 * A request the kernel refused: errno plus what the kernel said about it in
 * its extended ACK (NETLINK_EXT_ACK), when it said anything.
 */
class NetlinkError : public kuipc::Error {
public:
	NetlinkError(int err, const std::string &what, std::string extack = {},
		     std::optional<uint32_t> missing_attr = {},
		     std::optional<uint32_t> bad_attr_offset = {});

	/* NLMSGERR_ATTR_MSG: the kernel's message, empty if none. */
	[[nodiscard]] const std::string &extack() const noexcept
	{
		return extack_;
	}
	/* NLMSGERR_ATTR_MISS_TYPE: id of a required attribute not sent. */
	[[nodiscard]] std::optional<uint32_t> missing_attr() const noexcept
	{
		return missing_attr_;
	}
	/* NLMSGERR_ATTR_OFFS: offset of the offending attribute in the request. */
	[[nodiscard]] std::optional<uint32_t> bad_attr_offset() const noexcept
	{
		return bad_attr_offset_;
	}

private:
	std::string extack_;
	std::optional<uint32_t> missing_attr_;
	std::optional<uint32_t> bad_attr_offset_;
};

/* Owners of libnl objects. */
struct SockDeleter {
	void operator()(nl_sock *sk) const noexcept;
};
struct MsgDeleter {
	void operator()(nl_msg *msg) const noexcept;
};
struct CbDeleter {
	void operator()(nl_cb *cb) const noexcept;
};
using SockPtr = std::unique_ptr<nl_sock, SockDeleter>;
using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;
using CbPtr = std::unique_ptr<nl_cb, CbDeleter>;

/* The value held by the module, as GET and the notifications report it. */
struct Value {
	uint32_t value = 0;
	uint32_t generation = 0;
};

/* A KUIPC_GENETLINK_CMD_VALUE_NTF received on the events group. */
struct Notification {
	Value value;
	uint32_t setter_port = 0; /* nlmsg_pid: netlink port of the SET */
};

/* One entry of the dump. */
struct Entry {
	uint32_t index = 0;
	std::string name;
};

/* What a dump looked like on the wire. */
struct DumpStats {
	size_t messages = 0; /* NLM_F_MULTI messages, NLMSG_DONE excluded */
	size_t bytes = 0;    /* their total nlmsg_len */
};

/*
 * What an NLMSG_ERROR or NLMSG_DONE message says: the errno (0 for an ACK
 * or a clean end of dump) and the extended ACK attributes that follow the
 * fixed part when NLM_F_ACK_TLVS is set.
 */
struct Ack {
	int err = 0;
	std::string extack;
	std::optional<uint32_t> missing_attr;
	std::optional<uint32_t> bad_attr_offset;
};

/* Parse an NLMSG_ERROR or NLMSG_DONE; nothing for other or short messages. */
std::optional<Ack> parse_ack(nlmsghdr *hdr);

/* The name of dump entry i, as the module formats it. */
std::string entry_name(uint32_t index);

/* Is the family registered (is the module loaded)? */
bool family_registered();

/*
 * One netlink socket bound to the family. Not thread-safe: use one Client
 * per thread (each has its own port). Throws kuipc::Error (NetlinkError for
 * a refusal by the kernel); ENOENT from the constructor means the family is
 * not registered.
 */
class Client {
public:
	Client();

	[[nodiscard]] int family_id() const noexcept { return family_; }
	[[nodiscard]] int events_group() const noexcept { return group_; }
	[[nodiscard]] uint32_t port() const noexcept;
	[[nodiscard]] int fd() const noexcept;

	/* CMD_ECHO: the string comes back. No NUL bytes inside. */
	std::string echo(std::string_view text);
	/* CMD_GET. */
	Value get();
	/* CMD_SET: needs CAP_NET_ADMIN. */
	void set(uint32_t value);
	/* CMD_DUMP: all entries, in the order received. */
	std::vector<Entry> dump(DumpStats *stats = nullptr);

	/* A dump in two steps: send the request now, read the replies later. */
	void dump_start();
	std::vector<Entry> dump_finish(DumpStats *stats = nullptr);

	/*
	 * Any request: genlmsghdr with cmd, attributes added by put_attrs,
	 * each reply message passed to on_reply. Waits for the ACK (or for
	 * NLMSG_DONE with NLM_F_DUMP in flags). This is how the tests send
	 * what the typed calls above never would.
	 */
	using AttrWriter = std::function<void(nl_msg *)>;
	using ReplyHandler = std::function<void(nl_msg *)>;
	void request(uint8_t cmd, int flags, const AttrWriter &put_attrs,
		     const ReplyHandler &on_reply, DumpStats *stats = nullptr);

	/*
	 * The two halves of request(), for callers that need a gap between.
	 * attr_bytes: room put_attrs needs, if more than a page.
	 */
	void send(uint8_t cmd, int flags, const AttrWriter &put_attrs,
		  size_t attr_bytes = 0);
	void receive(const char *what, const ReplyHandler &on_reply,
		     DumpStats *stats = nullptr);

private:
	SockPtr sock_;
	int family_ = -1;
	int group_ = -1;
};

/*
 * A socket subscribed to the events group. Subscribing needs no privilege.
 * If notifications arrive faster than they are read, the kernel drops them
 * and wait() throws ENOBUFS.
 */
class Subscriber {
public:
	Subscriber();

	[[nodiscard]] int fd() const noexcept;

	/* The next notification, or nothing after timeout_ms. */
	std::optional<Notification> wait(int timeout_ms);

private:
	SockPtr sock_;
	int family_ = -1;
	std::vector<Notification> queued_;
};

} // namespace kuipc::genetlink
