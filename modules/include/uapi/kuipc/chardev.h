/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/chardev.h - ABI of the kuipc chardev+ioctl pair.
 *
 * kuipc_chardev.ko registers the misc device KUIPC_CHARDEV_PATH: a byte
 * stream through a bounded FIFO. write() queues bytes, read() takes them
 * out in order, poll() reports EPOLLIN/EPOLLOUT, and the ioctls below get
 * and set the configuration and read the statistics.
 *
 * Stream semantics:
 *  - read() blocks while the FIFO is empty (EAGAIN with O_NONBLOCK) and
 *    returns between 1 and count bytes. A buffer that faults part-way
 *    gets the bytes before the fault, which read() counts and returns;
 *    the rest stay queued, in order (EFAULT when no byte got through).
 *  - A write() of at most KUIPC_CHARDEV_ATOMIC_MAX bytes is atomic: it
 *    waits until all of it fits (EAGAIN with O_NONBLOCK) and its bytes are
 *    never interleaved with another write's, nor stored in part when the
 *    buffer faults (EFAULT, nothing stored).
 *  - A larger write() waits only for its first KUIPC_CHARDEV_ATOMIC_MAX
 *    bytes, then stores further KUIPC_CHARDEV_ATOMIC_MAX-byte pieces while
 *    they fit and returns the count stored (a short write). A buffer
 *    that faults in a later piece ends it the same way: the whole pieces
 *    before the fault are stored and counted.
 *  - EPOLLOUT means at least KUIPC_CHARDEV_ATOMIC_MAX bytes are free.
 *
 * Every struct carries its own size: the caller sets .size to the
 * sizeof() it was compiled with and the module refuses any other value
 * with EINVAL. All fields are fixed width and naturally aligned with
 * explicit padding, so the layout is the same for 32-bit and 64-bit
 * callers. Reserved fields must be zero on input and are zero on output.
 */
#ifndef _UAPI_KUIPC_CHARDEV_H
#define _UAPI_KUIPC_CHARDEV_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The device node (a misc device, created by devtmpfs) and its mode. */
#define KUIPC_CHARDEV_NAME		"kuipc_chardev"
#define KUIPC_CHARDEV_PATH		"/dev/" KUIPC_CHARDEV_NAME
#define KUIPC_CHARDEV_MODE		0600

/* Largest write() stored as one piece; also the EPOLLOUT threshold. */
#define KUIPC_CHARDEV_ATOMIC_MAX	256
/* Range and default of kuipc_chardev_config.capacity, in bytes. */
#define KUIPC_CHARDEV_CAPACITY_MIN	KUIPC_CHARDEV_ATOMIC_MAX
#define KUIPC_CHARDEV_CAPACITY_MAX	4096
#define KUIPC_CHARDEV_CAPACITY_DEFAULT	KUIPC_CHARDEV_CAPACITY_MAX

/**
 * struct kuipc_chardev_config - settings of the device
 * @size:	sizeof(struct kuipc_chardev_config)
 * @capacity:	bytes the FIFO holds before writers wait, from
 *		KUIPC_CHARDEV_CAPACITY_MIN to KUIPC_CHARDEV_CAPACITY_MAX.
 *		Lowering it below the bytes queued keeps them; writers wait
 *		until readers have made room.
 * @reserved:	must be zero
 */
struct kuipc_chardev_config {
	__u32 size;
	__u32 capacity;
	__u32 reserved[2];
};

/**
 * struct kuipc_chardev_stats - counters since load or the last reset
 * @size:		in: sizeof(struct kuipc_chardev_stats)
 * @flags:		in: must be zero (room for e.g. read-and-clear)
 * @queued:		bytes in the FIFO now
 * @reserved:		in: must be zero; out: zero
 * @bytes_written:	bytes stored by write()
 * @bytes_read:		bytes returned by read()
 * @writes:		write() calls that stored at least one byte
 * @reads:		read() calls that returned at least one byte
 */
struct kuipc_chardev_stats {
	__u32 size;
	__u32 flags;
	__u32 queued;
	__u32 reserved;
	__u64 bytes_written;
	__u64 bytes_read;
	__u64 writes;
	__u64 reads;
};

/* 0xE2 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define KUIPC_CHARDEV_IOC_MAGIC		0xE2

/* Read the configuration. */
#define KUIPC_CHARDEV_GET_CONFIG \
	_IOR(KUIPC_CHARDEV_IOC_MAGIC, 0x01, struct kuipc_chardev_config)
/* Replace the configuration; CAP_SYS_ADMIN. Invalid: EINVAL, no change. */
#define KUIPC_CHARDEV_SET_CONFIG \
	_IOW(KUIPC_CHARDEV_IOC_MAGIC, 0x02, struct kuipc_chardev_config)
/* Empty the FIFO, zero the counters, default config; CAP_SYS_ADMIN. */
#define KUIPC_CHARDEV_RESET \
	_IO(KUIPC_CHARDEV_IOC_MAGIC, 0x03)
/* Read the counters: the caller passes .size and .flags, gets the rest. */
#define KUIPC_CHARDEV_GET_STATS \
	_IOWR(KUIPC_CHARDEV_IOC_MAGIC, 0x04, struct kuipc_chardev_stats)

#endif /* _UAPI_KUIPC_CHARDEV_H */
