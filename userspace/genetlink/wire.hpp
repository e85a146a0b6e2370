// SPDX-License-Identifier: GPL-2.0
/*
 * The genetlink client's sockets and messages on the wire: created, sent
 * and received through kuipc::sys, so that a demo traces them. libnl keeps
 * building and parsing the messages; it hands their sending and receiving
 * to the callbacks installed here.
 */
#pragma once

#include <netlink/handlers.h>
#include <netlink/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace kuipc::genetlink::wire {

/*
 * socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_GENERIC) and bind() to
 * a port the kernel picks, given to sk (which closes it when freed); sk's
 * own callbacks send and receive through kuipc::sys.
 */
void open_socket(nl_sock *sk);

/* Make cb receive through kuipc::sys, as the socket's own callbacks do. */
void trace_receive(nl_cb *cb);

/* "ECHO", "GET", ... or "cmd N". */
std::string cmd_name(uint8_t cmd);

/*
 * The netlink messages in buf as a trace shows them, e.g.
 * [ECHO NLM_F_REQUEST|NLM_F_ACK seq=3 {STRING "hi"}]; a long run of
 * messages (a dump) is cut after the first few.
 */
std::string describe(const void *buf, std::size_t len);

} // namespace kuipc::genetlink::wire
