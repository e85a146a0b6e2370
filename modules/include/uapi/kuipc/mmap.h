/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/mmap.h - ABI of the kuipc mmap pair.
 *
 * kuipc_mmap.ko registers the misc device KUIPC_MMAP_PATH. Its mmap()
 * exposes one kernel buffer of KUIPC_MMAP_SIZE bytes, shared by every
 * open file and every mapping, laid out as:
 *
 *   offset                   size                  contents
 *   0                        KUIPC_MMAP_CTRL_SIZE  struct kuipc_mmap_ctrl
 *   KUIPC_MMAP_DATA_OFFSET   KUIPC_MMAP_DATA_SIZE  ring of KUIPC_MMAP_RECORDS
 *                                                  struct kuipc_mmap_record
 *   KUIPC_MMAP_USER_OFFSET   KUIPC_MMAP_USER_SIZE  user-to-kernel bytes
 *
 * The offsets are fixed bytes, not pages: they hold for any page size.
 *
 * Kernel to user: a single-producer, single-consumer ring. The module
 * writes records when asked with KUIPC_MMAP_PRODUCE; user space reads them
 * straight from the mapping, with no system call while records are there.
 *   - ctrl.head is written only by the module: the number of records ever
 *     produced (mod 2^32). The module fills a slot, then store-releases
 *     head; the consumer load-acquires head, then reads the slots.
 *   - ctrl.tail is written only by the consumer: the number of records
 *     consumed (mod 2^32). The consumer reads a slot, then store-releases
 *     tail; the module load-acquires tail before reusing slots.
 *   - Record i is in slot i % KUIPC_MMAP_RECORDS; head - tail (as __u32)
 *     is the number waiting, from 0 to KUIPC_MMAP_RECORDS. Any other value
 *     means the consumer wrote a bad tail: KUIPC_MMAP_PRODUCE fails with
 *     EIO and poll() reports EPOLLERR until tail is valid again (or a
 *     KUIPC_MMAP_RESET).
 *   - poll() reports EPOLLIN while head != tail: a consumer that finds the
 *     ring empty sleeps in poll() and is woken by the next PRODUCE.
 *   - One consumer at a time: several consumers must serialise themselves.
 *
 * User to kernel: user space writes any bytes into the user area and asks
 * for KUIPC_MMAP_CHECKSUM over a range of it; the module computes
 * kuipc_mmap_fnv1a() over the bytes it sees there.
 *
 * mmap(): MAP_SHARED only (EINVAL for MAP_PRIVATE), a whole-page window
 * that lies inside the buffer (EINVAL for a length or page offset beyond
 * it). The module never reads anything from the mapping but ctrl.tail and
 * the user area; every other field is for user space to read. The pages
 * are the module's and are mapped on first access: after
 * madvise(MADV_DONTNEED) a mapping reads the same data again.
 *
 * Lifetime: a mapping holds its file, and the file holds the module, so
 * the module cannot be unloaded while any mapping exists, even after the
 * descriptor it was made with is closed. The buffer lives as long as the
 * module: it is shared by all opens and starts zeroed.
 */
#ifndef _UAPI_KUIPC_MMAP_H
#define _UAPI_KUIPC_MMAP_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The device node (a misc device, created by devtmpfs) and its mode. */
#define KUIPC_MMAP_NAME		"kuipc_mmap"
#define KUIPC_MMAP_PATH		"/dev/" KUIPC_MMAP_NAME
#define KUIPC_MMAP_MODE		0600

/* ctrl.magic and ctrl.version: what a client checks after mapping. */
#define KUIPC_MMAP_MAGIC	0x6b6d6d70 /* "kmmp" */
#define KUIPC_MMAP_VERSION	1

/* Layout of the buffer, in bytes (see the table above). */
#define KUIPC_MMAP_CTRL_SIZE	4096
#define KUIPC_MMAP_RECORD_SIZE	64
#define KUIPC_MMAP_RECORDS	256 /* ring capacity, a power of two */
#define KUIPC_MMAP_DATA_OFFSET	KUIPC_MMAP_CTRL_SIZE
#define KUIPC_MMAP_DATA_SIZE \
	(KUIPC_MMAP_RECORDS * KUIPC_MMAP_RECORD_SIZE)
#define KUIPC_MMAP_USER_OFFSET \
	(KUIPC_MMAP_DATA_OFFSET + KUIPC_MMAP_DATA_SIZE)
#define KUIPC_MMAP_USER_SIZE	8192
#define KUIPC_MMAP_SIZE \
	(KUIPC_MMAP_USER_OFFSET + KUIPC_MMAP_USER_SIZE)

/* Bytes of payload a record can carry. */
#define KUIPC_MMAP_PAYLOAD_MAX	40

/**
 * struct kuipc_mmap_ctrl - the control page, at offset 0 of the mapping
 * @magic:		KUIPC_MMAP_MAGIC
 * @version:		KUIPC_MMAP_VERSION
 * @size:		KUIPC_MMAP_SIZE
 * @record_size:	KUIPC_MMAP_RECORD_SIZE
 * @records:		KUIPC_MMAP_RECORDS
 * @data_offset:	KUIPC_MMAP_DATA_OFFSET
 * @user_offset:	KUIPC_MMAP_USER_OFFSET
 * @user_size:		KUIPC_MMAP_USER_SIZE
 * @pad0:		zero; ends the first cache line
 * @head:		producer index, written by the module (store-release)
 * @pad1:		zero; head and tail sit on cache lines of their own
 * @tail:		consumer index, written by user space (store-release)
 * @pad2:		zero
 *
 * The fields from @magic to @user_size are set at load and on RESET so
 * that a client can check the layout it was built for; the module itself
 * never reads them back. Only @tail is written by user space.
 */
struct kuipc_mmap_ctrl {
	__u32 magic;
	__u32 version;
	__u32 size;
	__u32 record_size;
	__u32 records;
	__u32 data_offset;
	__u32 user_offset;
	__u32 user_size;
	__u8 pad0[32];
	__u32 head;
	__u8 pad1[60];
	__u32 tail;
	__u8 pad2[60];
};

/**
 * struct kuipc_mmap_record - one slot of the ring
 * @seq:	sequence number: 0 for the first record after load or RESET
 * @len:	bytes of @payload used: kuipc_mmap_payload_len(@seq)
 * @reserved:	zero
 * @payload:	kuipc_mmap_payload_byte(@seq, i) for i < @len, then zeros
 * @check:	kuipc_mmap_fnv1a() of every byte before @check: a reader that
 *		sees a torn or stale record sees a wrong @check
 *
 * The content is a function of @seq, so a reader can verify every byte.
 */
struct kuipc_mmap_record {
	__u64 seq;
	__u32 len;
	__u32 reserved;
	__u8 payload[KUIPC_MMAP_PAYLOAD_MAX];
	__u64 check;
};

/**
 * struct kuipc_mmap_produce - argument of KUIPC_MMAP_PRODUCE
 * @count:	records to produce, 0 to KUIPC_MMAP_RECORDS (EINVAL above)
 * @flags:	must be zero
 */
struct kuipc_mmap_produce {
	__u32 count;
	__u32 flags;
};

/**
 * struct kuipc_mmap_checksum - argument of KUIPC_MMAP_CHECKSUM
 * @offset:	in: first byte, from the start of the user area
 * @len:	in: bytes; offset + len must not exceed KUIPC_MMAP_USER_SIZE
 * @sum:	out: kuipc_mmap_fnv1a(KUIPC_MMAP_FNV1A_INIT, bytes, len)
 */
struct kuipc_mmap_checksum {
	__u32 offset;
	__u32 len;
	__u64 sum;
};

/* 64-bit FNV-1a: start from KUIPC_MMAP_FNV1A_INIT, chain calls freely. */
#define KUIPC_MMAP_FNV1A_INIT	0xcbf29ce484222325ULL
#define KUIPC_MMAP_FNV1A_PRIME	0x00000100000001b3ULL

/*
 * The helpers below are shared by the module and its clients, so that the
 * two sides cannot disagree. __inline__, not inline: this header must also
 * build as C90 (the kernel's own check of exported headers uses -std=c90,
 * where inline is no keyword); GCC and Clang accept __inline__ in every
 * mode, and the other exported headers spell it so too.
 */
static __inline__ __u64 kuipc_mmap_fnv1a(__u64 hash, const void *buf, __u32 len)
{
	const __u8 *p = (const __u8 *)buf;
	__u32 i;

	for (i = 0; i < len; i++) {
		hash ^= p[i];
		hash *= KUIPC_MMAP_FNV1A_PRIME;
	}
	return hash;
}

/* What record @seq carries: its payload length and bytes. */
static __inline__ __u32 kuipc_mmap_payload_len(__u64 seq)
{
	/* A 32-bit modulo: no 64-bit division helper needed anywhere. */
	return 1 + (__u32)seq % KUIPC_MMAP_PAYLOAD_MAX;
}

static __inline__ __u8 kuipc_mmap_payload_byte(__u64 seq, __u32 i)
{
	return (__u8)(seq * 31 + i * 7 + (seq >> 8));
}

/* 0xE3 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define KUIPC_MMAP_IOC_MAGIC	0xE3

/*
 * Write count records into the ring: as many as there is room for. Returns
 * the number produced (count, or fewer when the ring fills up), 0 for a
 * count of 0; ENOSPC when the ring is full and count > 0; EINVAL for a
 * count above KUIPC_MMAP_RECORDS or non-zero flags; EIO for a bad ctrl.tail.
 * Wakes the pollers.
 */
#define KUIPC_MMAP_PRODUCE \
	_IOW(KUIPC_MMAP_IOC_MAGIC, 0x01, struct kuipc_mmap_produce)
/* Checksum a range of the user area; EINVAL when it is out of bounds. */
#define KUIPC_MMAP_CHECKSUM \
	_IOWR(KUIPC_MMAP_IOC_MAGIC, 0x02, struct kuipc_mmap_checksum)
/*
 * Empty the ring (head = tail = 0, the next seq 0), zero the records and
 * the user area, rewrite the control page; CAP_SYS_ADMIN. For a quiet
 * ring: a consumer running meanwhile sees its tail go back to 0.
 */
#define KUIPC_MMAP_RESET \
	_IO(KUIPC_MMAP_IOC_MAGIC, 0x03)

#endif /* _UAPI_KUIPC_MMAP_H */
