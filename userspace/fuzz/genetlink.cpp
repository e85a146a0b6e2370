// SPDX-License-Identifier: GPL-2.0
// Fuzzing the genetlink pair: messages built with libnl for the family,
// with random commands, versions, flags and attributes (types in and out
// of the policy, any length, nested or not), answers read and dropped.
#include "fuzz.hpp"

#include <kuipc/genetlink.h>

#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <memory>

namespace {

namespace fz = kuipc::fuzz;

struct SockFree {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
};
struct MsgFree {
	void operator()(nl_msg *m) const { nlmsg_free(m); }
};

int message_op(fz::Ctx &c)
{
	const std::unique_ptr<nl_sock, SockFree> sock(nl_socket_alloc());
	if (!sock)
		return ENOMEM;
	if (genl_connect(sock.get()) < 0)
		return ECONNREFUSED;
	/* Resolved each time: a reload gives the family a new id. */
	const int family = genl_ctrl_resolve(sock.get(), KUIPC_GENETLINK_FAMILY_NAME);
	if (family < 0)
		return ENOENT;
	nl_socket_disable_auto_ack(sock.get());
	const timeval tv{0, 50000};
	setsockopt(nl_socket_get_fd(sock.get()), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	const std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc());
	if (!msg)
		return ENOMEM;
	const auto cmd = static_cast<uint8_t>(c.rng.chance(85) ? c.rng.below(KUIPC_GENETLINK_CMD_MAX + 2)
							       : c.rng.next());
	const auto version = static_cast<uint8_t>(c.rng.chance(85) ? KUIPC_GENETLINK_VERSION
								   : c.rng.next());
	int flags = NLM_F_REQUEST;
	if (c.rng.chance(25))
		flags |= NLM_F_DUMP;
	if (c.rng.chance(50))
		flags |= NLM_F_ACK;
	if (genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
			version) == nullptr)
		return ENOMEM;
	for (size_t i = 0, n = c.rng.below(5); i < n; i++) {
		const auto type = static_cast<int>(c.rng.chance(85) ? c.rng.below(KUIPC_GENETLINK_A_MAX + 2)
								    : c.rng.below(0x4000));
		if (c.rng.chance(15)) {
			nlattr *nest = nla_nest_start(msg.get(), type);
			if (nest != nullptr) {
				const std::string inner = c.rng.bytes(c.rng.length(64));
				nla_put(msg.get(), static_cast<int>(c.rng.below(8)),
					static_cast<int>(inner.size()), inner.data());
				nla_nest_end(msg.get(), nest);
			}
			continue;
		}
		std::string payload;
		switch (c.rng.below(4)) {
		case 0: /* a u32 */
			payload.resize(4);
			payload.replace(0, 4, c.rng.bytes(4));
			break;
		case 1: /* a string, terminated or not */
			payload = c.rng.text().substr(0, KUIPC_GENETLINK_STRING_MAX + 8);
			if (c.rng.chance(70))
				payload.push_back('\0');
			break;
		default:
			payload = c.rng.bytes(c.rng.length(600));
			break;
		}
		if (nla_put(msg.get(), type, static_cast<int>(payload.size()),
			    payload.data()) < 0)
			break;
	}
	int res = 0;
	if (nl_send_auto(sock.get(), msg.get()) < 0)
		res = EIO;
	/* Read what comes (a reply, an error, a dump) until a short silence. */
	for (int i = 0; i < 200; i++)
		if (nl_recvmsgs_default(sock.get()) < 0)
			break;
	return res;
}

const fz::Register reg({"genetlink", {{"message", message_op}}});

} // namespace
