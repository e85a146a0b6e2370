/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/debugfs.h - the ABI of kuipc_debugfs.ko, shared with its client.
 *
 * The module creates one directory in debugfs (mounted, as usual, at
 * KUIPC_DEBUGFS_MOUNT; the mount point is root-only, mode 0700, by default)
 * with six files. Four come from the kernel's one-line helpers and behave
 * exactly as those helpers do on the running kernel; two have the module's
 * own handlers.
 *
 * value     (debugfs_create_u32, mode KUIPC_DEBUGFS_VALUE_MODE)
 *	A u32, initially KUIPC_DEBUGFS_VALUE_INIT, read as "%llu\n". A write
 *	is parsed with kstrtoull(base 0: "42", "0x2a" and "052" are all 42).
 *	Non-numeric text -> EINVAL; above 2^64-1 -> ERANGE. The helper does
 *	not range-check: 2^32..2^64-1 is silently cut to its low 32 bits.
 *
 * mask      (debugfs_create_x64, mode KUIPC_DEBUGFS_MASK_MODE)
 *	A u64, initially KUIPC_DEBUGFS_MASK_INIT, read as "0x%016llx\n";
 *	written like value.
 *
 * overwrite (debugfs_create_bool, mode KUIPC_DEBUGFS_OVERWRITE_MODE)
 *	Read as "Y\n" or "N\n", initially "Y". A write is parsed with
 *	kstrtobool(): y/Y/1/n/N/0 and on/off (only the first one or two bytes
 *	count, so "yes" and "Yikes" are both Y). Text kstrtobool() refuses is
 *	ignored: the write still reports all bytes written and the value stays
 *	as it was (the helper's behaviour on every supported kernel), even
 *	when the buffer cannot be read.
 *	It decides what appending to a full log does, see events.
 *
 * info      (debugfs_create_blob, mode KUIPC_DEBUGFS_INFO_MODE)
 *	Exactly sizeof(struct kuipc_debugfs_info) bytes, in host byte order.
 *	Before Linux 6.8 a blob has no write method (write() -> EINVAL); since
 *	6.8 root can overwrite its bytes in place whatever its mode, because
 *	root passes the permission check of a 0400 file.
 *
 * capacity  (own write, mode KUIPC_DEBUGFS_CAPACITY_MODE)
 *	How many events the log keeps, initially
 *	KUIPC_DEBUGFS_CAPACITY_DEFAULT, read as "%llu\n". A write is parsed
 *	like value, but the module checks the whole text and the range: more
 *	than KUIPC_DEBUGFS_CAPACITY_TEXT_MAX bytes, a NUL byte or non-numeric
 *	-> EINVAL; above 2^64-1 -> ERANGE; outside
 *	KUIPC_DEBUGFS_CAPACITY_MIN..KUIPC_DEBUGFS_LOG_MAX -> ERANGE; and the
 *	capacity is then unchanged. Lowering it drops the oldest events that
 *	no longer fit.
 *
 * events    (own file_operations, mode KUIPC_DEBUGFS_EVENTS_MODE)
 *	The event log: at most capacity events, oldest first.
 *	write():  each call appends one event. Its text is the written bytes
 *		  minus one trailing '\n', if any; it must be 1 to
 *		  KUIPC_DEBUGFS_EVENT_MAX bytes of printable ASCII (0x20-0x7e).
 *		  The file offset is ignored. Results:
 *		  0 bytes                 -> returns 0, appends nothing
 *		  valid text              -> returns the count, appended
 *		  empty, too long, other
 *		  bytes, embedded '\n'    -> EINVAL, log unchanged
 *		  log full, overwrite Y   -> the oldest event is dropped
 *		  log full, overwrite N   -> ENOSPC, log unchanged
 *		  unreadable buffer       -> EFAULT, log unchanged
 *		  Every appended event gets the next sequence number, starting
 *		  at 1 when the module loads and never reused.
 *	read():   one line per event, "<sequence number in decimal> <text>\n".
 *		  A read sequence from offset 0 sees one consistent snapshot;
 *		  lseek(SEEK_SET/SEEK_CUR) and pread() work.
 *	open() for writing with O_TRUNC removes all events first, so
 *	"echo hi > events" replaces the log and ">>" appends. Sequence numbers
 *	continue after a clear.
 *
 * Unloading the module removes the whole directory.
 */
#ifndef _UAPI_KUIPC_DEBUGFS_H
#define _UAPI_KUIPC_DEBUGFS_H

#include <linux/types.h>

/* Where debugfs is mounted, our directory, and the names inside it. */
#define KUIPC_DEBUGFS_MOUNT "/sys/kernel/debug"
#define KUIPC_DEBUGFS_DIR "kuipc_debugfs"
#define KUIPC_DEBUGFS_VALUE "value"
#define KUIPC_DEBUGFS_MASK "mask"
#define KUIPC_DEBUGFS_OVERWRITE "overwrite"
#define KUIPC_DEBUGFS_INFO "info"
#define KUIPC_DEBUGFS_CAPACITY "capacity"
#define KUIPC_DEBUGFS_EVENTS "events"

#define KUIPC_DEBUGFS_DIR_PATH KUIPC_DEBUGFS_MOUNT "/" KUIPC_DEBUGFS_DIR
#define KUIPC_DEBUGFS_VALUE_PATH KUIPC_DEBUGFS_DIR_PATH "/" KUIPC_DEBUGFS_VALUE
#define KUIPC_DEBUGFS_MASK_PATH KUIPC_DEBUGFS_DIR_PATH "/" KUIPC_DEBUGFS_MASK
#define KUIPC_DEBUGFS_OVERWRITE_PATH \
	KUIPC_DEBUGFS_DIR_PATH "/" KUIPC_DEBUGFS_OVERWRITE
#define KUIPC_DEBUGFS_INFO_PATH KUIPC_DEBUGFS_DIR_PATH "/" KUIPC_DEBUGFS_INFO
#define KUIPC_DEBUGFS_CAPACITY_PATH \
	KUIPC_DEBUGFS_DIR_PATH "/" KUIPC_DEBUGFS_CAPACITY
#define KUIPC_DEBUGFS_EVENTS_PATH \
	KUIPC_DEBUGFS_DIR_PATH "/" KUIPC_DEBUGFS_EVENTS

/* Permission bits: root only, even if debugfs is mounted with mode=0755. */
#define KUIPC_DEBUGFS_VALUE_MODE 0600
#define KUIPC_DEBUGFS_MASK_MODE 0600
#define KUIPC_DEBUGFS_OVERWRITE_MODE 0600
#define KUIPC_DEBUGFS_INFO_MODE 0400
#define KUIPC_DEBUGFS_CAPACITY_MODE 0600
#define KUIPC_DEBUGFS_EVENTS_MODE 0600

/* Values after loading. */
#define KUIPC_DEBUGFS_VALUE_INIT 42U
#define KUIPC_DEBUGFS_MASK_INIT 0xc0ffeeULL
#define KUIPC_DEBUGFS_CAPACITY_DEFAULT 16U

/* The event log: slots, smallest capacity, longest event text. */
#define KUIPC_DEBUGFS_LOG_MAX 64U
#define KUIPC_DEBUGFS_CAPACITY_MIN 1U
/* Longest text a capacity write may have, a trailing '\n' included. */
#define KUIPC_DEBUGFS_CAPACITY_TEXT_MAX 23U
#define KUIPC_DEBUGFS_EVENT_MAX 128U

/* The content of the info blob. */
#define KUIPC_DEBUGFS_MAGIC 0x6b756466U /* "kudf" */
#define KUIPC_DEBUGFS_ABI_VERSION 1U

struct kuipc_debugfs_info {
	__u32 magic;		/* KUIPC_DEBUGFS_MAGIC */
	__u32 abi_version;	/* KUIPC_DEBUGFS_ABI_VERSION */
	__u32 log_max;		/* KUIPC_DEBUGFS_LOG_MAX */
	__u32 event_max;	/* KUIPC_DEBUGFS_EVENT_MAX */
	__u32 capacity_min;	/* KUIPC_DEBUGFS_CAPACITY_MIN */
	__u32 capacity_default;	/* KUIPC_DEBUGFS_CAPACITY_DEFAULT */
};

#endif /* _UAPI_KUIPC_DEBUGFS_H */
