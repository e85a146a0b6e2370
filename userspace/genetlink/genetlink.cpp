// SPDX-License-Identifier: GPL-2.0
#include "genetlink.hpp"

#include "syscall.hpp"
#include "wire.hpp"

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <utility>

namespace kuipc::genetlink {

namespace {

/* libnl reports -NLE_* codes; the rest of kuipc speaks errno. */
int nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_INTR:
		return EINTR;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_INVAL:
		return EINVAL;
	case NLE_RANGE:
		return ERANGE;
	case NLE_MSGSIZE:
		return EMSGSIZE;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_PERM:
		return EPERM;
	case NLE_BUSY:
		return EBUSY;
	case NLE_PROTO_MISMATCH:
		return EPROTONOSUPPORT;
	case NLE_NODEV:
		return ENODEV;
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_MSGTYPE_NOSUPPORT:
		return EPROTO;
	default:
		return EIO;
	}
}

[[noreturn]] void throw_nle(int nle, const std::string &what)
{
	throw NetlinkError(nle_errno(nle),
			   what + " (libnl: " + nl_geterror(nle) + ")");
}

/* An unconnected libnl socket turned into a connected NETLINK_GENERIC one. */
SockPtr connect_generic()
{
	SockPtr sk(nl_socket_alloc());
	if (!sk)
		throw_err(ENOMEM, "nl_socket_alloc");
	wire::open_socket(sk.get());
	/*
	 * Ask for the extended ACK (the kernel's error text and the offending
	 * attribute) and for errors without a copy of our request.
	 */
	const int on = 1;
	for (const int opt : {NETLINK_EXT_ACK, NETLINK_CAP_ACK}) {
		if (sys::setsockopt(nl_socket_get_fd(sk.get()), SOL_NETLINK, opt, &on, sizeof(on),
				    "SOL_NETLINK",
				    opt == NETLINK_EXT_ACK ? "NETLINK_EXT_ACK" : "NETLINK_CAP_ACK") != 0)
			throw_errno("setsockopt(SOL_NETLINK)");
	}
	return sk;
}

int resolve_family(nl_sock *sk)
{
	const int id = genl_ctrl_resolve(sk, KUIPC_GENETLINK_FAMILY_NAME);
	if (id < 0)
		throw_nle(id, "resolve generic netlink family " KUIPC_GENETLINK_FAMILY_NAME
			      " (is kuipc_genetlink.ko loaded?)");
	return id;
}

int resolve_group(nl_sock *sk)
{
	const int grp = genl_ctrl_resolve_grp(sk, KUIPC_GENETLINK_FAMILY_NAME,
					      KUIPC_GENETLINK_MCGRP_EVENTS);
	if (grp < 0)
		throw_nle(grp, "resolve multicast group " KUIPC_GENETLINK_MCGRP_EVENTS);
	return grp;
}

/* Our view of the module's attributes, for validating what it sends. */
using Policy = std::array<nla_policy, KUIPC_GENETLINK_A_MAX + 1>;

const Policy &reply_policy()
{
	static const Policy policy = [] {
		Policy p{};
		p[KUIPC_GENETLINK_A_STRING] = {.type = NLA_STRING,
					       .minlen = 0,
					       .maxlen = KUIPC_GENETLINK_STRING_MAX + 1};
		p[KUIPC_GENETLINK_A_VALUE] = {.type = NLA_U32, .minlen = 0,
					      .maxlen = sizeof(uint32_t)};
		p[KUIPC_GENETLINK_A_GENERATION] = {.type = NLA_U32, .minlen = 0,
						   .maxlen = sizeof(uint32_t)};
		p[KUIPC_GENETLINK_A_INDEX] = {.type = NLA_U32, .minlen = 0,
					      .maxlen = sizeof(uint32_t)};
		p[KUIPC_GENETLINK_A_NAME] = {.type = NLA_STRING, .minlen = 0,
					     .maxlen = KUIPC_GENETLINK_ENTRY_NAME_SIZE};
		return p;
	}();
	return policy;
}

using Attrs = std::array<nlattr *, KUIPC_GENETLINK_A_MAX + 1>;

/* Check the header of a message from the module and validate its attributes. */
Attrs parse_reply(nl_msg *msg, uint8_t cmd, const char *what)
{
	nlmsghdr *hdr = nlmsg_hdr(msg);
	if (genlmsg_valid_hdr(hdr, 0) == 0)
		throw_err(EPROTO, std::string(what) + ": short reply");
	if (genlmsg_hdr(hdr)->cmd != cmd)
		throw_err(EPROTO, std::string(what) + ": reply has command " +
					  std::to_string(genlmsg_hdr(hdr)->cmd));
	Attrs tb{};
	const int rc = genlmsg_parse(hdr, 0, tb.data(), KUIPC_GENETLINK_A_MAX,
				     reply_policy().data());
	if (rc < 0)
		throw_nle(rc, std::string(what) + ": malformed reply");
	return tb;
}

nlattr *require(const Attrs &tb, int attr, const char *what)
{
	if (tb.at(static_cast<size_t>(attr)) == nullptr)
		throw_err(EPROTO, std::string(what) + ": reply lacks attribute " +
					  std::to_string(attr));
	return tb.at(static_cast<size_t>(attr));
}

Value parse_value(nl_msg *msg, uint8_t cmd, const char *what)
{
	const Attrs tb = parse_reply(msg, cmd, what);
	return {nla_get_u32(require(tb, KUIPC_GENETLINK_A_VALUE, what)),
		nla_get_u32(require(tb, KUIPC_GENETLINK_A_GENERATION, what))};
}

/* The state of one request while libnl's callbacks run. */
struct Txn {
	const Client::ReplyHandler *on_reply = nullptr;
	DumpStats *stats = nullptr;
	bool done = false;
	Ack ack;		/* errno and extended ACK of the final message */
	std::exception_ptr exc; /* thrown by on_reply, rethrown later */
};

/*
 * NL_CB_MSG_IN sees every message whole before libnl dispatches it: the
 * one place where the attributes after an error's payload can be read.
 */
int on_msg_in(nl_msg *msg, void *arg)
{
	auto &t = *static_cast<Txn *>(arg);
	if (auto ack = parse_ack(nlmsg_hdr(msg)); ack && ack->err != 0)
		t.ack = std::move(*ack);
	return NL_OK;
}

int on_valid(nl_msg *msg, void *arg)
{
	auto &t = *static_cast<Txn *>(arg);
	if (t.exc)
		return NL_SKIP; /* keep reading to the end, ignore the rest */
	const nlmsghdr *hdr = nlmsg_hdr(msg);
	if (t.stats != nullptr && (hdr->nlmsg_flags & NLM_F_MULTI) != 0) {
		++t.stats->messages;
		t.stats->bytes += hdr->nlmsg_len;
	}
	try {
		if (t.on_reply != nullptr && *t.on_reply)
			(*t.on_reply)(msg);
	} catch (...) {
		t.exc = std::current_exception();
	}
	return NL_OK;
}

int on_error(sockaddr_nl * /*who*/, nlmsgerr *e, void *arg)
{
	auto &t = *static_cast<Txn *>(arg);
	t.ack.err = -e->error; /* the rest came through on_msg_in */
	t.done = true;
	return NL_STOP;
}

int on_end(nl_msg * /*msg*/, void *arg)
{
	static_cast<Txn *>(arg)->done = true;
	return NL_STOP;
}

CbPtr make_callbacks(Txn &t)
{
	CbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
	if (!cb)
		throw_err(ENOMEM, "nl_cb_alloc");
	nl_cb_set(cb.get(), NL_CB_MSG_IN, NL_CB_CUSTOM, on_msg_in, &t);
	nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_end, &t);
	nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_end, &t);
	nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &t);
	wire::trace_receive(cb.get());
	return cb;
}

std::string cmd_name(uint8_t cmd)
{
	return wire::cmd_name(cmd);
}

} // namespace

NetlinkError::NetlinkError(int err, const std::string &what, std::string extack,
			   std::optional<uint32_t> missing_attr,
			   std::optional<uint32_t> bad_attr_offset)
	: kuipc::Error(err, extack.empty() ? what : what + " [kernel: " + extack + "]"),
	  extack_(std::move(extack)), missing_attr_(missing_attr),
	  bad_attr_offset_(bad_attr_offset)
{
}

void SockDeleter::operator()(nl_sock *sk) const noexcept
{
	nl_socket_free(sk); /* closes the fd too */
}

void MsgDeleter::operator()(nl_msg *msg) const noexcept
{
	nlmsg_free(msg);
}

void CbDeleter::operator()(nl_cb *cb) const noexcept
{
	nl_cb_put(cb);
}

std::optional<Ack> parse_ack(nlmsghdr *hdr)
{
	Ack ack;
	int fixed = 0; /* bytes between the header and the TLVs */
	if (hdr->nlmsg_type == NLMSG_ERROR) {
		if (nlmsg_datalen(hdr) < static_cast<int>(sizeof(nlmsgerr)))
			return std::nullopt;
		const auto *e = static_cast<const nlmsgerr *>(nlmsg_data(hdr));
		ack.err = -e->error;
		fixed = sizeof(nlmsgerr);
		/* Unless capped, our request's payload is echoed before the TLVs. */
		if ((hdr->nlmsg_flags & NLM_F_CAPPED) == 0) {
			if (e->msg.nlmsg_len < NLMSG_HDRLEN ||
			    e->msg.nlmsg_len > hdr->nlmsg_len)
				return ack; /* nonsense length: ignore the TLVs */
			fixed += static_cast<int>(e->msg.nlmsg_len - NLMSG_HDRLEN);
		}
	} else if (hdr->nlmsg_type == NLMSG_DONE) {
		/* A dump that failed part way ends with its -errno in DONE. */
		int rc = 0;
		if (nlmsg_datalen(hdr) >= static_cast<int>(sizeof(rc)))
			std::memcpy(&rc, nlmsg_data(hdr), sizeof(rc));
		ack.err = rc < 0 ? -rc : 0;
		fixed = sizeof(rc);
	} else {
		return std::nullopt;
	}
	if ((hdr->nlmsg_flags & NLM_F_ACK_TLVS) == 0)
		return ack;

	std::array<nla_policy, NLMSGERR_ATTR_MAX + 1> pol{};
	pol[NLMSGERR_ATTR_MSG] = {.type = NLA_STRING, .minlen = 0, .maxlen = 0};
	pol[NLMSGERR_ATTR_OFFS] = {.type = NLA_U32, .minlen = 0, .maxlen = 0};
	pol[NLMSGERR_ATTR_MISS_TYPE] = {.type = NLA_U32, .minlen = 0, .maxlen = 0};
	std::array<nlattr *, NLMSGERR_ATTR_MAX + 1> tb{};
	/* nlmsg_parse checks that the fixed part and every TLV fit. */
	if (nlmsg_parse(hdr, fixed, tb.data(), NLMSGERR_ATTR_MAX, pol.data()) < 0)
		return ack;
	if (tb[NLMSGERR_ATTR_MSG] != nullptr)
		ack.extack = nla_get_string(tb[NLMSGERR_ATTR_MSG]);
	if (tb[NLMSGERR_ATTR_OFFS] != nullptr)
		ack.bad_attr_offset = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	if (tb[NLMSGERR_ATTR_MISS_TYPE] != nullptr)
		ack.missing_attr = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
	return ack;
}

std::string entry_name(uint32_t index)
{
	std::array<char, KUIPC_GENETLINK_ENTRY_NAME_SIZE> buf{};
	std::snprintf(buf.data(), buf.size(), KUIPC_GENETLINK_ENTRY_NAME_FMT, index);
	return buf.data();
}

bool family_registered()
{
	const SockPtr sk = connect_generic();
	const int id = genl_ctrl_resolve(sk.get(), KUIPC_GENETLINK_FAMILY_NAME);
	if (id >= 0)
		return true;
	if (id == -NLE_OBJ_NOTFOUND)
		return false;
	throw_nle(id, "resolve generic netlink family " KUIPC_GENETLINK_FAMILY_NAME);
}

/* ------------------------------------------------------------------------ */

Client::Client()
	: sock_(connect_generic()), family_(resolve_family(sock_.get())),
	  group_(resolve_group(sock_.get()))
{
}

uint32_t Client::port() const noexcept
{
	return nl_socket_get_local_port(sock_.get());
}

int Client::fd() const noexcept
{
	return nl_socket_get_fd(sock_.get());
}

void Client::send(uint8_t cmd, int flags, const AttrWriter &put_attrs,
		  size_t attr_bytes)
{
	MsgPtr msg(attr_bytes == 0 ? nlmsg_alloc()
				   : nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + attr_bytes));
	if (!msg)
		throw_err(ENOMEM, "nlmsg_alloc");
	if (genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, flags,
			cmd, KUIPC_GENETLINK_VERSION) == nullptr)
		throw_err(EMSGSIZE, "genlmsg_put");
	if (put_attrs)
		put_attrs(msg.get());
	/* Port, sequence number, NLM_F_REQUEST and (auto-ack) NLM_F_ACK. */
	nl_complete_msg(sock_.get(), msg.get());
	/* A dump ends with NLMSG_DONE: an ACK would only trail behind it. */
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		nlmsg_hdr(msg.get())->nlmsg_flags &= ~static_cast<uint16_t>(NLM_F_ACK);
	const int rc = nl_send(sock_.get(), msg.get());
	if (rc < 0)
		throw_nle(rc, std::string("sendmsg ") + cmd_name(cmd));
}

void Client::receive(const char *what, const ReplyHandler &on_reply,
		     DumpStats *stats)
{
	Txn t;
	t.on_reply = &on_reply;
	t.stats = stats;
	const CbPtr cb = make_callbacks(t);
	while (!t.done) {
		const int rc = nl_recvmsgs(sock_.get(), cb.get());
		if (t.ack.err != 0)
			break;
		if (rc < 0)
			throw_nle(rc, std::string("recvmsg ") + what);
	}
	if (t.ack.err != 0)
		throw NetlinkError(t.ack.err, what, t.ack.extack, t.ack.missing_attr,
				   t.ack.bad_attr_offset);
	if (t.exc)
		std::rethrow_exception(t.exc);
}

void Client::request(uint8_t cmd, int flags, const AttrWriter &put_attrs,
		     const ReplyHandler &on_reply, DumpStats *stats)
{
	send(cmd, flags, put_attrs);
	receive(cmd_name(cmd).c_str(), on_reply, stats);
}

std::string Client::echo(std::string_view text)
{
	if (text.find('\0') != std::string_view::npos)
		throw_err(EINVAL, "ECHO: text contains a NUL byte");
	/* An attribute's length is a u16; the kernel enforces the real limit. */
	if (text.size() + 1 > UINT16_MAX - NLA_HDRLEN)
		throw_err(EMSGSIZE, "ECHO: text too long for a netlink attribute");
	const std::string payload(text); /* c_str() adds the NUL */
	std::optional<std::string> answer;
	send(
		KUIPC_GENETLINK_CMD_ECHO, 0,
		[&](nl_msg *msg) {
			const int rc = nla_put(msg, KUIPC_GENETLINK_A_STRING,
					       static_cast<int>(payload.size() + 1),
					       payload.c_str());
			if (rc < 0)
				throw_nle(rc, "ECHO: add string attribute");
		},
		nla_total_size(static_cast<int>(payload.size() + 1)));
	receive("ECHO", [&](nl_msg *msg) {
		const Attrs tb = parse_reply(msg, KUIPC_GENETLINK_CMD_ECHO, "ECHO");
		answer = nla_get_string(require(tb, KUIPC_GENETLINK_A_STRING, "ECHO"));
	});
	if (!answer)
		throw_err(EPROTO, "ECHO: no reply before the ACK");
	return *answer;
}

Value Client::get()
{
	std::optional<Value> v;
	request(KUIPC_GENETLINK_CMD_GET, 0, {}, [&](nl_msg *msg) {
		v = parse_value(msg, KUIPC_GENETLINK_CMD_GET, "GET");
	});
	if (!v)
		throw_err(EPROTO, "GET: no reply before the ACK");
	return *v;
}

void Client::set(uint32_t value)
{
	request(
		KUIPC_GENETLINK_CMD_SET, 0,
		[&](nl_msg *msg) {
			const int rc = nla_put_u32(msg, KUIPC_GENETLINK_A_VALUE, value);
			if (rc < 0)
				throw_nle(rc, "SET: add value attribute");
		},
		{});
}

void Client::dump_start()
{
	send(KUIPC_GENETLINK_CMD_DUMP, NLM_F_DUMP, {});
}

std::vector<Entry> Client::dump_finish(DumpStats *stats)
{
	std::vector<Entry> entries;
	entries.reserve(KUIPC_GENETLINK_DUMP_ENTRIES);
	DumpStats local;
	receive(
		"DUMP",
		[&](nl_msg *msg) {
			const Attrs tb = parse_reply(msg, KUIPC_GENETLINK_CMD_DUMP, "DUMP");
			entries.push_back(
				{nla_get_u32(require(tb, KUIPC_GENETLINK_A_INDEX, "DUMP")),
				 nla_get_string(require(tb, KUIPC_GENETLINK_A_NAME, "DUMP"))});
		},
		stats != nullptr ? stats : &local);
	return entries;
}

std::vector<Entry> Client::dump(DumpStats *stats)
{
	dump_start();
	return dump_finish(stats);
}

/* ------------------------------------------------------------------------ */

namespace {

struct SubscriberCtx {
	int family = -1;
	std::vector<Notification> *out = nullptr;
	std::exception_ptr exc;
};

int on_notification(nl_msg *msg, void *arg)
{
	auto &ctx = *static_cast<SubscriberCtx *>(arg);
	const nlmsghdr *hdr = nlmsg_hdr(msg);
	if (hdr->nlmsg_type != ctx.family || ctx.exc)
		return NL_SKIP;
	try {
		if (genlmsg_valid_hdr(nlmsg_hdr(msg), 0) != 0 &&
		    genlmsg_hdr(nlmsg_hdr(msg))->cmd == KUIPC_GENETLINK_CMD_VALUE_NTF)
			ctx.out->push_back(
				{parse_value(msg, KUIPC_GENETLINK_CMD_VALUE_NTF, "VALUE_NTF"),
				 hdr->nlmsg_pid});
	} catch (...) {
		ctx.exc = std::current_exception();
	}
	return NL_OK;
}

int accept_any_seq(nl_msg * /*msg*/, void * /*arg*/)
{
	return NL_OK;
}

} // namespace

Subscriber::Subscriber() : sock_(connect_generic())
{
	/* Room for bursts of notifications. */
	const int size = 1 << 20;
	if (sys::setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size), "SOL_SOCKET",
			    "SO_RCVBUF") != 0)
		throw_errno("setsockopt(SO_RCVBUF)");
	family_ = resolve_family(sock_.get());
	const int grp = resolve_group(sock_.get());
	if (sys::setsockopt(fd(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp),
			    "SOL_NETLINK", "NETLINK_ADD_MEMBERSHIP") != 0)
		throw_errno("setsockopt(NETLINK_ADD_MEMBERSHIP)");
}

int Subscriber::fd() const noexcept
{
	return nl_socket_get_fd(sock_.get());
}

std::optional<Notification> Subscriber::wait(int timeout_ms)
{
	using Clock = std::chrono::steady_clock;
	const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
	while (queued_.empty()) {
		const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
					  deadline - Clock::now())
					  .count();
		pollfd pfd{fd(), POLLIN, 0};
		const int pr = sys::poll(&pfd, 1, static_cast<int>(left > 0 ? left : 0));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			throw_errno("poll");
		if (pr == 0)
			return std::nullopt;

		SubscriberCtx ctx;
		ctx.family = family_;
		ctx.out = &queued_;
		CbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
		if (!cb)
			throw_err(ENOMEM, "nl_cb_alloc");
		nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_notification, &ctx);
		/* Notifications answer nothing we sent: no sequence check. */
		nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, accept_any_seq, nullptr);
		wire::trace_receive(cb.get());
		errno = 0;
		const int rc = nl_recvmsgs(sock_.get(), cb.get());
		/*
		 * libnl turns both ENOBUFS (recvmsg: the queue overflowed)
		 * and ENOMEM (its own buffer allocation) into NLE_NOMEM;
		 * errno still tells them apart.
		 */
		if (rc == -NLE_NOMEM && errno != ENOMEM)
			throw_err(ENOBUFS, "recvmsg notifications: receive queue "
					   "overflowed, notifications were lost");
		if (rc < 0)
			throw_nle(rc, "recvmsg notifications");
		if (ctx.exc)
			std::rethrow_exception(ctx.exc);
	}
	Notification n = queued_.front();
	queued_.erase(queued_.begin());
	return n;
}

} // namespace kuipc::genetlink
