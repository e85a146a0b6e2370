/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/eventfd.h - ABI of the kuipc eventfd pair.
 *
 * kuipc_eventfd.ko registers the misc device KUIPC_EVENTFD_PATH with
 * KUIPC_EVENTFD_CHANNELS channels. A channel is a queue of items (byte
 * strings of at most KUIPC_EVENTFD_PAYLOAD_MAX bytes) and at most one
 * registered eventfd(2), which the module signals once per item queued:
 *
 *  - KUIPC_EVENTFD_REGISTER {channel, efd}: efd is looked up in the
 *    caller's own file table while the ioctl runs, and the module keeps a
 *    reference to that eventfd (not to the number), so the caller may close
 *    efd afterwards. A channel holds one registration: a second REGISTER
 *    fails with EBUSY, whoever makes it, until the first one ends.
 *    The registration belongs to the open file of the device it was made
 *    through. It ends with KUIPC_EVENTFD_UNREGISTER through that same open
 *    file, or when that open file is closed for the last time. Either way
 *    the items still queued are discarded and the module's eventfd
 *    reference is dropped; the eventfd itself is left as it is.
 *  - KUIPC_EVENTFD_PRODUCE {channel, len, data} (through any open file)
 *    queues a copy of the payload on a registered channel and adds 1 to its
 *    eventfd: one eventfd increment per produced item. A read() of a plain
 *    eventfd returns the number of items produced since the previous read;
 *    an EFD_SEMAPHORE eventfd returns 1 per read, once per item.
 *  - KUIPC_EVENTFD_FETCH {channel, len, data} (through any open file)
 *    takes the oldest item off the channel: items come out in the order
 *    they were produced, each exactly once. The eventfd is signalled after
 *    the item is queued, so a FETCH that follows a read of the eventfd finds
 *    every item the read counted (unless another FETCH took it first).
 *    A FETCH under way when the registration ends still returns the item
 *    it took; ending a registration never waits for a FETCH.
 *  - KUIPC_EVENTFD_STATUS {channel} reads a channel's state back.
 *
 * Errors:
 *   EINVAL	channel >= KUIPC_EVENTFD_CHANNELS, a non-zero flags or reserved
 *		field, len > KUIPC_EVENTFD_PAYLOAD_MAX, or efd is an open file
 *		that is not an eventfd
 *   EBADF	efd is not an open file descriptor of the caller
 *   EBUSY	REGISTER on a channel that already has a registration
 *   ENOTCONN	PRODUCE, FETCH or UNREGISTER on a channel with none
 *   EPERM	UNREGISTER through another open file than the registering one
 *   ENOBUFS	PRODUCE on a channel holding KUIPC_EVENTFD_QUEUE_MAX items
 *   EAGAIN	FETCH on an empty channel
 *   EMSGSIZE	FETCH with len smaller than the oldest item (it stays queued)
 *   EFAULT	a bad pointer: the argument struct, or data
 *   ENOTTY	not one of the commands below
 * A call that fails changes nothing: no item is queued, taken or dropped
 * and no eventfd is signalled or referenced.
 *
 * All fields are fixed width and naturally aligned with explicit padding,
 * so the layout is the same for 32-bit and 64-bit callers. Pointers travel
 * as __u64. Reserved fields must be zero on input and are zero on output.
 */
#ifndef _UAPI_KUIPC_EVENTFD_H
#define _UAPI_KUIPC_EVENTFD_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The device node (a misc device, created by devtmpfs) and its mode. */
#define KUIPC_EVENTFD_NAME		"kuipc_eventfd"
#define KUIPC_EVENTFD_PATH		"/dev/" KUIPC_EVENTFD_NAME
#define KUIPC_EVENTFD_MODE		0600

/* Channels are numbered 0 .. KUIPC_EVENTFD_CHANNELS - 1. */
#define KUIPC_EVENTFD_CHANNELS		8
/* Largest payload of one item, in bytes (0 is allowed: a bare event). */
#define KUIPC_EVENTFD_PAYLOAD_MAX	256
/* Items a channel holds before PRODUCE fails with ENOBUFS. */
#define KUIPC_EVENTFD_QUEUE_MAX		64

/**
 * struct kuipc_eventfd_register - argument of KUIPC_EVENTFD_REGISTER
 * @channel:	the channel to signal
 * @efd:	an eventfd file descriptor of the caller
 * @flags:	must be zero
 * @reserved:	must be zero
 */
struct kuipc_eventfd_register {
	__u32 channel;
	__s32 efd;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct kuipc_eventfd_unregister - argument of KUIPC_EVENTFD_UNREGISTER
 * @channel:	the channel whose registration ends
 * @flags:	must be zero
 */
struct kuipc_eventfd_unregister {
	__u32 channel;
	__u32 flags;
};

/**
 * struct kuipc_eventfd_msg - argument of PRODUCE and FETCH
 * @channel:	the channel
 * @len:	PRODUCE: payload bytes, 0 to KUIPC_EVENTFD_PAYLOAD_MAX.
 *		FETCH: in, the size of the buffer at @data; out, the bytes
 *		of the item copied there
 * @data:	user address of the payload (PRODUCE) or buffer (FETCH)
 * @seq:	FETCH, out: the item's number on its channel, counted from 0
 *		since the registration began. PRODUCE: must be zero
 * @flags:	must be zero
 * @reserved:	must be zero
 */
struct kuipc_eventfd_msg {
	__u32 channel;
	__u32 len;
	__u64 data;
	__u64 seq;
	__u32 flags;
	__u32 reserved;
};

/* kuipc_eventfd_status.flags */
/* The channel has a registered eventfd. */
#define KUIPC_EVENTFD_REGISTERED	(1U << 0)
/* ... registered through the open file that asks. */
#define KUIPC_EVENTFD_OWNER		(1U << 1)

/**
 * struct kuipc_eventfd_status - argument of KUIPC_EVENTFD_STATUS
 * @channel:	in: the channel; every other field is output only
 * @flags:	KUIPC_EVENTFD_REGISTERED, KUIPC_EVENTFD_OWNER
 * @queued:	items waiting to be fetched
 * @reserved:	zero
 * @produced:	items produced since the registration began (zero with none)
 * @fetched:	items fetched since the registration began (zero with none)
 */
struct kuipc_eventfd_status {
	__u32 channel;
	__u32 flags;
	__u32 queued;
	__u32 reserved;
	__u64 produced;
	__u64 fetched;
};

/*
 * 0xE2 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst;
 * the kuipc chardev pair uses numbers 0x01-0x0f, this one 0x20-0x2f.
 */
#define KUIPC_EVENTFD_IOC_MAGIC		0xE2

/* Attach an eventfd to a channel. */
#define KUIPC_EVENTFD_REGISTER \
	_IOW(KUIPC_EVENTFD_IOC_MAGIC, 0x20, struct kuipc_eventfd_register)
/* End a registration: drop the queued items and the eventfd reference. */
#define KUIPC_EVENTFD_UNREGISTER \
	_IOW(KUIPC_EVENTFD_IOC_MAGIC, 0x21, struct kuipc_eventfd_unregister)
/* Queue an item and signal the channel's eventfd. */
#define KUIPC_EVENTFD_PRODUCE \
	_IOW(KUIPC_EVENTFD_IOC_MAGIC, 0x22, struct kuipc_eventfd_msg)
/* Take the oldest item. */
#define KUIPC_EVENTFD_FETCH \
	_IOWR(KUIPC_EVENTFD_IOC_MAGIC, 0x23, struct kuipc_eventfd_msg)
/* Read a channel's state. */
#define KUIPC_EVENTFD_STATUS \
	_IOWR(KUIPC_EVENTFD_IOC_MAGIC, 0x24, struct kuipc_eventfd_status)

#endif /* _UAPI_KUIPC_EVENTFD_H */
