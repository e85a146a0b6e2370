/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/procfs.h - the ABI of kuipc_procfs.ko, shared with its client.
 *
 * The module creates a directory with two files:
 *
 * KUIPC_PROCFS_RECORDS_PATH (mode KUIPC_PROCFS_RECORDS_MODE, read-only)
 *	KUIPC_PROCFS_NR_RECORDS lines, one per record id 0, 1, 2 ..., each
 *	printed with KUIPC_PROCFS_RECORD_FMT from the id and
 *	kuipc_procfs_record_value(id). Every line has the same length, and the
 *	whole file spans several pages. It supports lseek() and pread().
 *
 * KUIPC_PROCFS_MESSAGES_PATH (mode KUIPC_PROCFS_MESSAGES_MODE)
 *	A store of up to KUIPC_PROCFS_MSG_SLOTS messages.
 *	write():  each call appends its bytes as one message. Any byte values
 *		  are allowed (binary safe; no NUL terminator is needed or
 *		  added). The file offset is ignored. Results:
 *		  0 bytes                        -> returns 0, stores nothing
 *		  1..KUIPC_PROCFS_MSG_MAX bytes  -> returns the count, stored
 *		  more than KUIPC_PROCFS_MSG_MAX -> EMSGSIZE, store unchanged
 *		  store already full             -> ENOSPC, store unchanged
 *		  unreadable buffer              -> EFAULT, store unchanged
 *		  (the size is checked first: EMSGSIZE wins over EFAULT)
 *		  pwrite() at any offset         -> ESPIPE (a seq_file)
 *	open() for writing with O_TRUNC removes all messages first, so
 *	"echo hi > messages" replaces the contents and ">>" appends.
 *	read():   all messages, oldest first, each encoded as
 *		  "<length in decimal> <length raw bytes>\n"
 *		  e.g. "5 hello\n". One read sequence sees one consistent
 *		  snapshot as long as it starts at offset 0. lseek() takes
 *		  SEEK_SET and SEEK_CUR to offsets >= 0, anything else EINVAL.
 *
 * Both files: an unwritable read buffer -> EFAULT (the file position does
 * not move); any ioctl() -> ENOTTY; mmap() -> EIO. records has no write
 * handler: root, who may open it for writing, gets EIO from write().
 */
#ifndef _UAPI_KUIPC_PROCFS_H
#define _UAPI_KUIPC_PROCFS_H

#include <linux/types.h>

/* Names under /proc, and the full paths built from them. */
#define KUIPC_PROCFS_DIR "kuipc_procfs"
#define KUIPC_PROCFS_RECORDS "records"
#define KUIPC_PROCFS_MESSAGES "messages"

#define KUIPC_PROCFS_DIR_PATH "/proc/" KUIPC_PROCFS_DIR
#define KUIPC_PROCFS_RECORDS_PATH KUIPC_PROCFS_DIR_PATH "/" KUIPC_PROCFS_RECORDS
#define KUIPC_PROCFS_MESSAGES_PATH \
	KUIPC_PROCFS_DIR_PATH "/" KUIPC_PROCFS_MESSAGES

/* Permission bits of the two files. */
#define KUIPC_PROCFS_RECORDS_MODE 0444
#define KUIPC_PROCFS_MESSAGES_MODE 0644

/* The records file: how many, and the exact line printed for each. */
#define KUIPC_PROCFS_NR_RECORDS 1000U
#define KUIPC_PROCFS_RECORD_FMT "kuipc_procfs record %04u value 0x%08x\n"

/* The value printed in the line of record id. */
static __inline__ __u32 kuipc_procfs_record_value(__u32 id)
{
	return (id * 2654435761U) ^ 0x6b756970U;
}

/* The messages file: largest single message and number of messages kept. */
#define KUIPC_PROCFS_MSG_MAX 256U
#define KUIPC_PROCFS_MSG_SLOTS 16U

#endif /* _UAPI_KUIPC_PROCFS_H */
