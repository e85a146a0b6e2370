/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/genetlink.h - the ABI of kuipc_genetlink.ko, shared with its client.
 *
 * The module registers the generic netlink family KUIPC_GENETLINK_FAMILY_NAME,
 * version KUIPC_GENETLINK_VERSION, in the initial network namespace only. Its
 * numeric id and the id of its multicast group are assigned at load time:
 * resolve them by name through the "nlctrl" family (CTRL_CMD_GETFAMILY).
 *
 * Every command validates its attributes strictly: an attribute the command
 * does not list, an attribute of the wrong size, a string without its NUL or
 * a value out of range, a non-zero genlmsghdr.reserved or trailing bytes all
 * fail with an errno and an extended ACK message (NETLINK_EXT_ACK).
 *
 * KUIPC_GENETLINK_CMD_ECHO (do; anyone)
 *	request: KUIPC_GENETLINK_A_STRING, required
 *	reply:   KUIPC_GENETLINK_CMD_ECHO with the same KUIPC_GENETLINK_A_STRING
 *
 * KUIPC_GENETLINK_CMD_GET (do; anyone)
 *	request: no attributes
 *	reply:   KUIPC_GENETLINK_CMD_GET with KUIPC_GENETLINK_A_VALUE and
 *		 KUIPC_GENETLINK_A_GENERATION
 *
 * KUIPC_GENETLINK_CMD_SET (do; CAP_NET_ADMIN, else EPERM)
 *	request: KUIPC_GENETLINK_A_VALUE, required, in
 *		 [KUIPC_GENETLINK_VALUE_MIN, KUIPC_GENETLINK_VALUE_MAX]
 *	reply:   none besides the ACK. Every successful SET, even one that
 *		 stores the value already held, adds one to the generation and
 *		 sends one KUIPC_GENETLINK_CMD_VALUE_NTF to the multicast group
 *		 KUIPC_GENETLINK_MCGRP_EVENTS (and to the sender as well if it
 *		 set NLM_F_ECHO). Notifications leave in generation order.
 *
 * KUIPC_GENETLINK_CMD_DUMP (dump, NLM_F_DUMP; anyone)
 *	request: no attributes
 *	reply:   KUIPC_GENETLINK_DUMP_ENTRIES messages, one per entry, in index
 *		 order 0, 1, 2 ..., each KUIPC_GENETLINK_CMD_DUMP with
 *		 KUIPC_GENETLINK_A_INDEX and KUIPC_GENETLINK_A_NAME (the index
 *		 printed with KUIPC_GENETLINK_ENTRY_NAME_FMT), then NLMSG_DONE.
 *		 The whole dump is larger than one receive buffer, so it always
 *		 arrives in several datagrams.
 *
 * KUIPC_GENETLINK_CMD_VALUE_NTF (notification only, never a request)
 *	KUIPC_GENETLINK_A_VALUE and KUIPC_GENETLINK_A_GENERATION after a SET;
 *	nlmsg_pid and nlmsg_seq are those of the SET request.
 *
 * Other command numbers fail with EOPNOTSUPP.
 */
#ifndef _UAPI_KUIPC_GENETLINK_H
#define _UAPI_KUIPC_GENETLINK_H

#include <linux/types.h>

/* Names to resolve through nlctrl (at most GENL_NAMSIZ - 1 characters). */
#define KUIPC_GENETLINK_FAMILY_NAME "kuipc_genetlink"
#define KUIPC_GENETLINK_MCGRP_EVENTS "events"

/* Put in genlmsghdr.version by the module; requests may carry any version. */
#define KUIPC_GENETLINK_VERSION 1

enum kuipc_genetlink_cmd {
	KUIPC_GENETLINK_CMD_UNSPEC,
	KUIPC_GENETLINK_CMD_ECHO,
	KUIPC_GENETLINK_CMD_GET,
	KUIPC_GENETLINK_CMD_SET,
	KUIPC_GENETLINK_CMD_DUMP,
	KUIPC_GENETLINK_CMD_VALUE_NTF,

	__KUIPC_GENETLINK_CMD_MAX,
	KUIPC_GENETLINK_CMD_MAX = __KUIPC_GENETLINK_CMD_MAX - 1
};

enum kuipc_genetlink_attr {
	KUIPC_GENETLINK_A_UNSPEC,
	KUIPC_GENETLINK_A_STRING,	/* NUL-terminated string */
	KUIPC_GENETLINK_A_VALUE,	/* __u32 */
	KUIPC_GENETLINK_A_GENERATION,	/* __u32, successful SETs since load */
	KUIPC_GENETLINK_A_INDEX,	/* __u32, dump entry index */
	KUIPC_GENETLINK_A_NAME,		/* NUL-terminated string, dump entry */

	__KUIPC_GENETLINK_A_MAX,
	KUIPC_GENETLINK_A_MAX = __KUIPC_GENETLINK_A_MAX - 1
};

/* Longest KUIPC_GENETLINK_A_STRING in bytes, not counting its NUL. */
#define KUIPC_GENETLINK_STRING_MAX 256

/* The value: its range, and what it holds after the module loads. */
#define KUIPC_GENETLINK_VALUE_MIN 1
#define KUIPC_GENETLINK_VALUE_MAX 10000
#define KUIPC_GENETLINK_VALUE_INITIAL 1

/* The dump: how many entries, and the name of entry i (printf format). */
#define KUIPC_GENETLINK_DUMP_ENTRIES 1000U
#define KUIPC_GENETLINK_ENTRY_NAME_FMT "kuipc_genetlink dump entry %04u"
/* Size of a buffer that holds any entry name with its NUL. */
#define KUIPC_GENETLINK_ENTRY_NAME_SIZE 40

#endif /* _UAPI_KUIPC_GENETLINK_H */
