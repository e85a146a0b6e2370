/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/udp.h - the wire protocol of kuipc_udp.ko, shared with its client.
 *
 * The module owns a kernel UDP socket bound to 127.0.0.1 on the port given
 * by its "port" parameter (KUIPC_UDP_PORT_MIN..KUIPC_UDP_PORT_MAX, default
 * KUIPC_UDP_DEFAULT_PORT; anything else fails the load with EINVAL, a port
 * already bound fails it with EADDRINUSE). Any local user may send to it;
 * nothing else may:
 *  - the socket is bound to the loopback device too: a packet that arrives
 *    on any other device never reaches it, whatever route_localnet says;
 *  - a datagram whose source address is outside 127.0.0.0/8 is dropped
 *    without a reply and counted in kuipc_udp_stats.foreign;
 *  - no reply carries more bytes than the request it answers (UDP payload
 *    against UDP payload), so a forged source gains no amplification:
 *    ECHO returns as many bytes as it got, error replies are a bare
 *    header (never longer than a request, as shorter datagrams get no
 *    reply), and a STATS request is padded to the size of its reply.
 *
 * One datagram is one request and gets at most one reply, sent to the
 * request's source address. A datagram is a struct kuipc_udp_hdr followed by
 * exactly hdr.len bytes of payload. Every multi-byte field is big endian.
 *
 * Requests:  magic = KUIPC_UDP_MAGIC, version = KUIPC_UDP_VERSION,
 *	      op = one of enum kuipc_udp_op, status = 0, seq = any value
 *	      chosen by the client, len = payload bytes.
 *	KUIPC_UDP_OP_ECHO   payload: 0..KUIPC_UDP_PAYLOAD_MAX bytes, any values.
 *			    reply payload: the same bytes.
 *	KUIPC_UDP_OP_STATS  payload: KUIPC_UDP_STATS_PAD zero bytes, padding
 *			    the request to the size of its reply.
 *			    reply payload: struct kuipc_udp_stats, the counters
 *			    as they stand with this request counted and before
 *			    its own reply is sent.
 * Replies:   magic and version as above, op = request op |
 *	      KUIPC_UDP_OP_REPLY, seq = the request's seq, status = 0 or a
 *	      positive Linux errno, len = payload bytes (0 when status != 0).
 *
 * Malformed datagrams:
 *	shorter than the header, wrong magic, or
 *	KUIPC_UDP_OP_REPLY set in op            -> dropped, no reply (a reply is
 *						   never answered, so two
 *						   servers cannot ping-pong)
 *	version != KUIPC_UDP_VERSION             -> status EPROTONOSUPPORT
 *	status != 0 in a request                 -> status EINVAL
 *	len != datagram size - header size       -> status EBADMSG
 *	op unknown                               -> status EOPNOTSUPP
 *	STATS with another payload than          -> status EINVAL (a bare
 *	  KUIPC_UDP_STATS_PAD zero bytes            header: never longer
 *						    than the request)
 *	source address outside 127.0.0.0/8       -> dropped, no reply
 * Each is counted in struct kuipc_udp_stats (dropped, rejected or foreign).
 */
#ifndef _UAPI_KUIPC_UDP_H
#define _UAPI_KUIPC_UDP_H

#include <linux/types.h>

/*
 * The address the module binds: 127.0.0.1 (INADDR_LOOPBACK), in host byte
 * order; and the range and default of its port.
 */
#define KUIPC_UDP_ADDR 0x7f000001U
#define KUIPC_UDP_PORT_MIN 1U
#define KUIPC_UDP_PORT_MAX 65535U
#define KUIPC_UDP_DEFAULT_PORT 24817U

/* The module's name, and the file under /sys showing its port (mode 0444). */
#define KUIPC_UDP_MODULE_NAME "kuipc_udp"
#define KUIPC_UDP_PORT_PARAM "port"
#define KUIPC_UDP_PORT_PARAM_PATH \
	"/sys/module/" KUIPC_UDP_MODULE_NAME "/parameters/" KUIPC_UDP_PORT_PARAM

#define KUIPC_UDP_MAGIC 0x6b554450U /* "kUDP" */
#define KUIPC_UDP_VERSION 1U

/* Request operations; a reply carries the request's op | KUIPC_UDP_OP_REPLY. */
enum kuipc_udp_op {
	KUIPC_UDP_OP_ECHO = 1,
	KUIPC_UDP_OP_STATS = 2,
};

#define KUIPC_UDP_OP_REPLY 0x80U

struct kuipc_udp_hdr {
	__be32 magic;
	__u8 version;
	__u8 op;
	__be16 status;
	__be32 seq;
	__be32 len;
};

/* Largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header). */
#define KUIPC_UDP_DGRAM_MAX 65507U
#define KUIPC_UDP_HDR_SIZE 16U /* sizeof(struct kuipc_udp_hdr) */
#define KUIPC_UDP_PAYLOAD_MAX (KUIPC_UDP_DGRAM_MAX - KUIPC_UDP_HDR_SIZE)

/* The payload of a STATS reply. Counters start at 0 when the module loads. */
struct kuipc_udp_stats {
	__be64 requests;    /* datagrams received, malformed ones included */
	__be64 replies;     /* replies sent, error replies included */
	__be64 dropped;     /* malformed datagrams dropped without a reply */
	__be64 rejected;    /* malformed requests answered with a status */
	__be64 send_errors; /* replies the socket refused (not retried) */
	__be64 rx_bytes;    /* bytes of all datagrams received */
	__be64 tx_bytes;    /* bytes of all replies sent */
	__be64 foreign;     /* datagrams from outside 127.0.0.0/8, dropped
			     * without a reply (counted in requests too)
			     */
};

/* The payload of a STATS request: this many zero bytes. */
#define KUIPC_UDP_STATS_PAD 64U /* sizeof(struct kuipc_udp_stats) */

#endif /* _UAPI_KUIPC_UDP_H */
