// SPDX-License-Identifier: GPL-2.0
#include "wire.hpp"

#include "error.hpp"
#include "fd.hpp"
#include "genetlink.hpp"
#include "syscall.hpp"

#include <kuipc/genetlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

namespace kuipc::genetlink::wire {

namespace {

/* Big enough for any skb a dump fills (the kernel stops at 32 KiB). */
constexpr std::size_t recv_size = std::size_t{64} * 1024;

/* Messages shown of a run; the rest are counted. */
constexpr std::size_t shown_messages = 2;

std::string nl_flags(uint16_t flags, bool request)
{
	std::initializer_list<sys::Flag> common = {{NLM_F_REQUEST, "NLM_F_REQUEST"},
						   {NLM_F_MULTI, "NLM_F_MULTI"},
						   {NLM_F_ACK, "NLM_F_ACK"},
						   {NLM_F_ECHO, "NLM_F_ECHO"},
						   {NLM_F_DUMP_INTR, "NLM_F_DUMP_INTR"}};
	/* The high bits mean one thing in a request, another in an ACK. */
	const unsigned long high = flags & 0xf00U;
	std::string s = sys::flag_names(flags & 0xffU, common);
	if (high == 0)
		return s;
	const std::string h = request ? sys::flag_names(high, {{NLM_F_DUMP, "NLM_F_DUMP"},
								{NLM_F_ROOT, "NLM_F_ROOT"},
								{NLM_F_MATCH, "NLM_F_MATCH"}})
				      : sys::flag_names(high, {{NLM_F_CAPPED, "NLM_F_CAPPED"},
							      {NLM_F_ACK_TLVS, "NLM_F_ACK_TLVS"}});
	return s == "0" ? h : s + "|" + h;
}

/* One attribute: a string or a u32 of the family, or of nlctrl. */
std::string attr(const nlattr *a, bool ctrl)
{
	const auto type = static_cast<uint16_t>(a->nla_type & NLA_TYPE_MASK);
	const auto len = static_cast<std::size_t>(nla_len(a));
	const auto *data = static_cast<const char *>(nla_data(a));
	const auto text = [&] {
		return sys::quote(std::string_view(data, len != 0 ? strnlen(data, len) : 0), 40);
	};
	const auto number = [&] {
		uint32_t v = 0;
		std::memcpy(&v, data, std::min(len, sizeof(v)));
		return std::to_string(len == sizeof(uint16_t) ? v & 0xffffU : v);
	};
	if (ctrl) {
		if (type == CTRL_ATTR_FAMILY_NAME)
			return "FAMILY_NAME " + text();
		if (type == CTRL_ATTR_FAMILY_ID)
			return "FAMILY_ID " + number();
		return "";
	}
	switch (type) {
	case KUIPC_GENETLINK_A_STRING:
		return "STRING " + text();
	case KUIPC_GENETLINK_A_NAME:
		return "NAME " + text();
	case KUIPC_GENETLINK_A_VALUE:
		return "VALUE " + number();
	case KUIPC_GENETLINK_A_GENERATION:
		return "GENERATION " + number();
	case KUIPC_GENETLINK_A_INDEX:
		return "INDEX " + number();
	default:
		return "attr " + std::to_string(type);
	}
}

/* A generic netlink message: its command and attributes. */
std::string genl_message(nlmsghdr *hdr)
{
	if (genlmsg_valid_hdr(hdr, 0) == 0)
		return "? (" + std::to_string(hdr->nlmsg_len) + " bytes)";
	const bool ctrl = hdr->nlmsg_type == GENL_ID_CTRL;
	const genlmsghdr *g = genlmsg_hdr(hdr);
	std::string s = ctrl ? (g->cmd == CTRL_CMD_GETFAMILY	 ? "nlctrl GETFAMILY"
				: g->cmd == CTRL_CMD_NEWFAMILY ? "nlctrl NEWFAMILY"
							       : "nlctrl cmd " + std::to_string(g->cmd))
			     : cmd_name(g->cmd);
	std::string attrs;
	bool more = false;
	nlattr *a = nullptr;
	int rem = 0;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem)
	{
		const std::string one = attr(a, ctrl);
		if (one.empty())
			more = true;
		else
			attrs += (attrs.empty() ? "" : ", ") + one;
	}
	if (more)
		attrs += attrs.empty() ? "..." : ", ...";
	return s + " {" + attrs + "}";
}

std::string message(nlmsghdr *hdr)
{
	const bool request = (hdr->nlmsg_flags & NLM_F_REQUEST) != 0;
	const std::string head = (hdr->nlmsg_flags != 0 ? nl_flags(hdr->nlmsg_flags, request) + " " : "") +
				 "seq=" + std::to_string(hdr->nlmsg_seq);
	if (hdr->nlmsg_type == NLMSG_ERROR || hdr->nlmsg_type == NLMSG_DONE) {
		const std::optional<Ack> ack = parse_ack(hdr);
		std::string s = hdr->nlmsg_type == NLMSG_DONE ? "NLMSG_DONE" : "NLMSG_ERROR";
		if (ack && ack->err == 0 && hdr->nlmsg_type == NLMSG_ERROR)
			s += " ACK";
		else if (ack && ack->err != 0)
			s += " " + sys::errno_name(ack->err);
		if (ack && !ack->extack.empty())
			s += " " + sys::quote(ack->extack, 64);
		return s + " " + head;
	}
	std::string s = genl_message(hdr);
	const auto brace = s.find(" {");
	return s.substr(0, brace) + " " + head + s.substr(brace);
}

int send_traced(nl_sock *sk, nl_msg *msg)
{
	nlmsghdr *hdr = nlmsg_hdr(msg);
	ssize_t n = 0;
	do {
		n = sys::send(nl_socket_get_fd(sk), hdr, hdr->nlmsg_len, 0,
			      [&] { return describe(hdr, hdr->nlmsg_len); });
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -nl_syserr2nlerr(errno) : static_cast<int>(n);
}

int receive_traced(nl_sock *sk, sockaddr_nl *nla, unsigned char **buf, ucred **creds)
{
	*creds = nullptr;
	/* libnl frees what it is handed with free(). */
	std::unique_ptr<unsigned char, decltype(&std::free)> data(
		// NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
		static_cast<unsigned char *>(std::malloc(recv_size)), &std::free);
	if (!data)
		return -NLE_NOMEM;
	ssize_t n = 0;
	do {
		socklen_t alen = sizeof(*nla);
		/* MSG_TRUNC: the real length, should a message not fit. */
		n = sys::recvfrom(nl_socket_get_fd(sk), data.get(), recv_size, MSG_TRUNC,
				  reinterpret_cast<sockaddr *>(nla), &alen,
				  [&](std::size_t got) {
					  return describe(data.get(), std::min(got, recv_size));
				  });
	} while (n < 0 && errno == EINTR);
	if (n > 0 && static_cast<std::size_t>(n) > recv_size)
		return -NLE_MSG_TRUNC;
	if (n <= 0) {
		const int err = errno;
		data.reset();
		errno = err; /* ENOBUFS and ENOMEM both become NLE_NOMEM */
		return n == 0 ? 0 : -nl_syserr2nlerr(err);
	}
	*buf = data.release();
	return static_cast<int>(n);
}

} // namespace

std::string cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case KUIPC_GENETLINK_CMD_ECHO:
		return "ECHO";
	case KUIPC_GENETLINK_CMD_GET:
		return "GET";
	case KUIPC_GENETLINK_CMD_SET:
		return "SET";
	case KUIPC_GENETLINK_CMD_DUMP:
		return "DUMP";
	case KUIPC_GENETLINK_CMD_VALUE_NTF:
		return "VALUE_NTF";
	default:
		return "cmd " + std::to_string(cmd);
	}
}

std::string describe(const void *buf, std::size_t len)
{
	std::string s = "[";
	std::size_t count = 0;
	auto *hdr = static_cast<nlmsghdr *>(const_cast<void *>(buf));
	for (auto rem = static_cast<int>(len); nlmsg_ok(hdr, rem); hdr = nlmsg_next(hdr, &rem)) {
		if (count < shown_messages)
			s += (count != 0 ? ", " : "") + message(hdr);
		++count;
	}
	if (count > shown_messages)
		s += ", ... " + std::to_string(count) + " messages";
	return s + "]";
}

void open_socket(nl_sock *sk)
{
	Fd fd(sys::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
	if (!fd)
		throw_errno("socket(AF_NETLINK, NETLINK_GENERIC)");
	sockaddr_nl local{};
	local.nl_family = AF_NETLINK; /* nl_pid 0: the kernel picks the port */
	if (sys::bind(fd.get(), reinterpret_cast<const sockaddr *>(&local), sizeof(local)) != 0)
		throw_errno("bind(AF_NETLINK)");
	const int rc = nl_socket_set_fd(sk, NETLINK_GENERIC, fd.get());
	if (rc < 0)
		throw_err(EINVAL, std::string("nl_socket_set_fd: ") + nl_geterror(rc));
	(void)fd.release(); /* sk owns it now */
	nl_cb *cb = nl_socket_get_cb(sk);
	nl_cb_overwrite_send(cb, send_traced);
	trace_receive(cb);
	nl_cb_put(cb);
}

void trace_receive(nl_cb *cb)
{
	nl_cb_overwrite_recv(cb, receive_traced);
}

} // namespace kuipc::genetlink::wire
