// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_eventfd - a misc device whose channels signal user space through
 * eventfds: user space registers an eventfd per channel and waits on it in
 * poll()/select()/epoll; the module queues items on the channel, signals
 * the eventfd once per item, and the waiter fetches the items over ioctl.
 *
 * The ABI (device path, ioctl numbers, structs, limits, errors and the
 * exact semantics) is documented in <uapi/kuipc/eventfd.h>.
 *
 * The eventfd is handed over as a file descriptor in an ioctl and resolved
 * with eventfd_ctx_fdget() in the caller's own context, never by looking
 * up another task's file table. The context reference it returns is held
 * for as long as the registration lasts and dropped with eventfd_ctx_put()
 * on UNREGISTER, on the last close of the registering file (release) and,
 * for completeness, in the exit function.
 *
 * Locking, per channel:
 *  - lock (a spinlock) protects the registration (ctx, owner, epoch), the
 *    queue and the counters. A spinlock, so that items can be produced
 *    from atomic context, as a driver's interrupt handler or timer would
 *    (such a producer would take it with spin_lock_irqsave()); here PRODUCE
 *    is an ioctl. eventfd_signal() is called under it: it only takes the
 *    eventfd's own wait-queue lock with interrupts saved and never sleeps.
 *  - fetch (a mutex) serialises FETCHes, and only them. A FETCH copies the
 *    oldest item into a buffer of its own under the spinlock, copies that
 *    to user space with the spinlock dropped (the copy may fault and sleep,
 *    for as long as a userfaultfd or FUSE page takes: indefinitely) and
 *    unlinks the item only once the copy succeeded, so a fault leaves it
 *    queued, in its place. Holding the mutex meanwhile is what keeps the
 *    item at the head: producers only append, and no other FETCH runs.
 *  - UNREGISTER and release take only the spinlock, never the mutex, so a
 *    close never waits for a FETCH stuck in a user copy. Ending the
 *    registration frees the items, the one being copied included (the
 *    FETCH copies from its own buffer), and bumps epoch: a FETCH that
 *    finds epoch changed once its copy is done has nothing left to unlink
 *    and returns the item it delivered.
 *  Lock order: fetch, then lock. No lock is held across eventfd_ctx_fdget()
 *  or eventfd_ctx_put().
 *
 * Lifetime: the state is static and the fops carry .owner = THIS_MODULE,
 * so every open file pins the module, and a registration never outlives
 * its file: no file operation runs once kuipc_eventfd_exit() has started.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include <kuipc/compat.h>
#include <uapi/kuipc/eventfd.h>

/* One produced item, queued on its channel. */
struct kuipc_eventfd_item {
	struct list_head node;
	u64 seq;
	u32 len;
	u8 data[];
};

struct kuipc_eventfd_channel {
	struct mutex fetch; /* serialises FETCH, held across its user copy */
	spinlock_t lock; /* protects everything below */
	struct eventfd_ctx *ctx; /* the registration's reference, or NULL */
	u64 epoch; /* registrations ended so far */
	/* The open file that registered: compared, never dereferenced. */
	const struct file *owner;
	struct list_head items; /* oldest first; empty without a registration */
	u32 queued;
	u64 produced; /* since the registration began: next item's seq */
	u64 fetched;
};

static struct kuipc_eventfd_channel
	kuipc_eventfd_channels[KUIPC_EVENTFD_CHANNELS];

/* The channel with number @nr, or NULL when it is out of range. */
static struct kuipc_eventfd_channel *kuipc_eventfd_channel(u32 nr)
{
	if (nr >= KUIPC_EVENTFD_CHANNELS)
		return NULL;
	nr = array_index_nospec(nr, KUIPC_EVENTFD_CHANNELS);
	return &kuipc_eventfd_channels[nr];
}

/* What a registration leaves behind once detached from its channel. */
struct kuipc_eventfd_leftovers {
	struct eventfd_ctx *ctx;
	struct list_head items;
	u32 dropped;
};

/*
 * End the channel's registration. Called with ch->lock held. A FETCH may
 * be copying the oldest item out, from its own copy of it: all the items
 * can go, and the new epoch tells that FETCH so. The caller frees what is
 * left with kuipc_eventfd_drop() once the lock is dropped.
 */
static void kuipc_eventfd_detach(struct kuipc_eventfd_channel *ch,
				 struct kuipc_eventfd_leftovers *left)
{
	lockdep_assert_held(&ch->lock);

	left->ctx = ch->ctx;
	left->dropped = ch->queued;
	list_splice_init(&ch->items, &left->items);
	ch->ctx = NULL;
	ch->owner = NULL;
	ch->queued = 0;
	ch->produced = 0;
	ch->fetched = 0;
	ch->epoch++;
}

static void kuipc_eventfd_drop(struct kuipc_eventfd_leftovers *left)
{
	struct kuipc_eventfd_item *item, *tmp;

	list_for_each_entry_safe(item, tmp, &left->items, node) {
		list_del(&item->node);
		kfree(item);
	}
	if (left->ctx)
		eventfd_ctx_put(left->ctx);
}

static long kuipc_eventfd_register(struct file *file, void __user *argp)
{
	struct kuipc_eventfd_register req;
	struct kuipc_eventfd_channel *ch;
	struct eventfd_ctx *ctx;
	bool busy;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ch = kuipc_eventfd_channel(req.channel);
	if (!ch || req.flags || req.reserved) {
		pr_debug("register channel %u: bad channel or flags\n",
			 req.channel);
		return -EINVAL;
	}

	/*
	 * Resolve the descriptor now, in the caller's own file table: EBADF
	 * when it is not open, EINVAL when it is not an eventfd. The context
	 * reference stays valid whatever the caller does with the fd later.
	 */
	ctx = eventfd_ctx_fdget(req.efd);
	if (IS_ERR(ctx)) {
		pr_debug("register channel %u, fd %d: %ld\n", req.channel,
			 req.efd, PTR_ERR(ctx));
		return PTR_ERR(ctx);
	}

	spin_lock(&ch->lock);
	busy = ch->ctx;
	if (!busy) {
		ch->ctx = ctx;
		ch->owner = file;
	}
	spin_unlock(&ch->lock);

	if (busy) {
		eventfd_ctx_put(ctx);
		pr_debug("register channel %u, fd %d: busy\n", req.channel,
			 req.efd);
		return -EBUSY;
	}
	pr_debug("register channel %u: fd %d\n", req.channel, req.efd);
	return 0;
}

static long kuipc_eventfd_unregister(struct file *file, void __user *argp)
{
	struct kuipc_eventfd_leftovers left = {
		.items = LIST_HEAD_INIT(left.items),
	};
	struct kuipc_eventfd_unregister req;
	struct kuipc_eventfd_channel *ch;
	long ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ch = kuipc_eventfd_channel(req.channel);
	if (!ch || req.flags) {
		pr_debug("unregister channel %u: bad channel or flags\n",
			 req.channel);
		return -EINVAL;
	}

	spin_lock(&ch->lock);
	if (!ch->ctx)
		ret = -ENOTCONN;
	else if (ch->owner != file)
		ret = -EPERM;
	else
		kuipc_eventfd_detach(ch, &left);
	spin_unlock(&ch->lock);

	kuipc_eventfd_drop(&left);
	pr_debug("unregister channel %u: %ld (%u items dropped)\n",
		 req.channel, ret, left.dropped);
	return ret;
}

static long kuipc_eventfd_produce(void __user *argp)
{
	struct kuipc_eventfd_item *item;
	struct kuipc_eventfd_channel *ch;
	struct kuipc_eventfd_msg req;
	u64 seq = 0;
	long ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ch = kuipc_eventfd_channel(req.channel);
	if (!ch || req.len > KUIPC_EVENTFD_PAYLOAD_MAX || req.seq ||
	    req.flags || req.reserved) {
		pr_debug("produce channel %u, %u bytes: bad argument\n",
			 req.channel, req.len);
		return -EINVAL;
	}

	/*
	 * Allocate and copy in before taking the lock: a fault queues
	 * nothing, and the spinlock is never held across a user copy. The
	 * memory is charged to the caller's memory cgroup.
	 */
	item = kmalloc(struct_size(item, data, req.len), GFP_KERNEL_ACCOUNT);
	if (!item)
		return -ENOMEM;
	if (copy_from_user(item->data, u64_to_user_ptr(req.data), req.len)) {
		kfree(item);
		return -EFAULT;
	}
	item->len = req.len;

	spin_lock(&ch->lock);
	if (!ch->ctx) {
		ret = -ENOTCONN;
	} else if (ch->queued >= KUIPC_EVENTFD_QUEUE_MAX) {
		ret = -ENOBUFS;
	} else {
		seq = ch->produced++;
		item->seq = seq;
		list_add_tail(&item->node, &ch->items);
		ch->queued++;
		/*
		 * One increment per item, made after it is queued, so that
		 * whoever reads the eventfd finds the item. The registration
		 * (and its context reference) cannot end while we hold the
		 * lock.
		 */
		kuipc_eventfd_signal(ch->ctx);
		item = NULL;
	}
	spin_unlock(&ch->lock);

	kfree(item);
	if (ret)
		pr_debug("produce channel %u, %u bytes: %ld\n", req.channel,
			 req.len, ret);
	else
		pr_debug("produce channel %u: item %llu, %u bytes; signal\n",
			 req.channel, seq, req.len);
	return ret;
}

static long kuipc_eventfd_fetch(void __user *argp)
{
	struct kuipc_eventfd_item *item = NULL;
	u8 data[KUIPC_EVENTFD_PAYLOAD_MAX];
	struct kuipc_eventfd_channel *ch;
	struct kuipc_eventfd_msg req;
	bool ended;
	u64 epoch = 0;
	long ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ch = kuipc_eventfd_channel(req.channel);
	if (!ch || req.flags || req.reserved) {
		pr_debug("fetch channel %u: bad channel or flags\n",
			 req.channel);
		return -EINVAL;
	}

	if (mutex_lock_interruptible(&ch->fetch))
		return -ERESTARTSYS;
	spin_lock(&ch->lock);
	if (!ch->ctx)
		ret = -ENOTCONN;
	else if (list_empty(&ch->items))
		ret = -EAGAIN;
	else
		item = list_first_entry(&ch->items, struct kuipc_eventfd_item,
					node);
	if (item && item->len > req.len)
		ret = -EMSGSIZE;
	if (!ret) {
		/* The item stays queued; we copy from our own copy of it. */
		memcpy(data, item->data, item->len);
		req.len = item->len;
		req.seq = item->seq;
		epoch = ch->epoch;
	}
	spin_unlock(&ch->lock);
	if (ret)
		goto out_unlock;

	/*
	 * No spinlock held: the copies may fault and sleep. A registration
	 * that ends meanwhile frees the item, not our copy of it. Unlink the
	 * item only if both copies succeeded.
	 */
	if (copy_to_user(u64_to_user_ptr(req.data), data, req.len) ||
	    copy_to_user(argp, &req, sizeof(req))) {
		ret = -EFAULT;
		goto out_unlock;
	}

	spin_lock(&ch->lock);
	ended = ch->epoch != epoch;
	if (!ended) {
		/* Still the oldest: only FETCH removes, and we hold fetch. */
		item = list_first_entry(&ch->items, struct kuipc_eventfd_item,
					node);
		WARN_ON_ONCE(item->seq != req.seq);
		list_del(&item->node);
		ch->queued--;
		ch->fetched++;
	}
	spin_unlock(&ch->lock);
	mutex_unlock(&ch->fetch);

	/*
	 * Ended: the registration's end freed the item after we had copied
	 * it; the caller has it, so it counts as fetched, not as dropped.
	 */
	if (!ended)
		kfree(item);
	pr_debug("fetch channel %u: item %llu, %u bytes%s\n", req.channel,
		 req.seq, req.len, ended ? " (registration ended meanwhile)" : "");
	return 0;

out_unlock:
	mutex_unlock(&ch->fetch);
	pr_debug("fetch channel %u: %ld\n", req.channel, ret);
	return ret;
}

static long kuipc_eventfd_status(struct file *file, void __user *argp)
{
	struct kuipc_eventfd_channel *ch;
	struct kuipc_eventfd_status st;
	u32 nr;

	if (get_user(nr, (u32 __user *)argp))
		return -EFAULT;
	ch = kuipc_eventfd_channel(nr);
	if (!ch) {
		pr_debug("status channel %u: bad channel\n", nr);
		return -EINVAL;
	}

	/* Every byte of st is assigned: nothing of the stack leaks out. */
	memset(&st, 0, sizeof(st));
	st.channel = nr;
	spin_lock(&ch->lock);
	if (ch->ctx)
		st.flags |= KUIPC_EVENTFD_REGISTERED;
	if (ch->ctx && ch->owner == file)
		st.flags |= KUIPC_EVENTFD_OWNER;
	st.queued = ch->queued;
	st.produced = ch->produced;
	st.fetched = ch->fetched;
	spin_unlock(&ch->lock);

	if (copy_to_user(argp, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static long kuipc_eventfd_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	long ret;

	switch (cmd) {
	case KUIPC_EVENTFD_REGISTER:
		ret = kuipc_eventfd_register(file, argp);
		break;
	case KUIPC_EVENTFD_UNREGISTER:
		ret = kuipc_eventfd_unregister(file, argp);
		break;
	case KUIPC_EVENTFD_PRODUCE:
		ret = kuipc_eventfd_produce(argp);
		break;
	case KUIPC_EVENTFD_FETCH:
		ret = kuipc_eventfd_fetch(argp);
		break;
	case KUIPC_EVENTFD_STATUS:
		ret = kuipc_eventfd_status(file, argp);
		break;
	default:
		/* Not ours: ENOTTY, as isatty() and friends expect. */
		pr_debug("ioctl(%#x): unknown\n", cmd);
		ret = -ENOTTY;
		break;
	}
	return ret;
}

/* The last close of an open file ends the registrations made through it. */
static int kuipc_eventfd_release(struct inode *inode, struct file *file)
{
	unsigned int nr;

	for (nr = 0; nr < KUIPC_EVENTFD_CHANNELS; nr++) {
		struct kuipc_eventfd_channel *ch = &kuipc_eventfd_channels[nr];
		struct kuipc_eventfd_leftovers left = {
			.items = LIST_HEAD_INIT(left.items),
		};

		/* Only the spinlock: a stalled FETCH must not hold up close. */
		spin_lock(&ch->lock);
		if (ch->ctx && ch->owner == file)
			kuipc_eventfd_detach(ch, &left);
		spin_unlock(&ch->lock);

		if (left.ctx)
			pr_debug("release: channel %u ends, %u items dropped\n",
				 nr, left.dropped);
		kuipc_eventfd_drop(&left);
	}
	return 0;
}

static const struct file_operations kuipc_eventfd_fops = {
	.owner = THIS_MODULE,
	/* No read/write: no file position either; lseek fails with ESPIPE. */
	.open = nonseekable_open,
	.release = kuipc_eventfd_release,
	.unlocked_ioctl = kuipc_eventfd_ioctl,
	/* The structs have one layout for 32- and 64-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice kuipc_eventfd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KUIPC_EVENTFD_NAME,
	.fops = &kuipc_eventfd_fops,
	.mode = KUIPC_EVENTFD_MODE,
};

static int __init kuipc_eventfd_init(void)
{
	unsigned int nr;
	int ret;

	/* The ABI must not change by accident; 64-bit fields 8-aligned. */
	BUILD_BUG_ON(sizeof(struct kuipc_eventfd_register) != 16);
	BUILD_BUG_ON(sizeof(struct kuipc_eventfd_unregister) != 8);
	BUILD_BUG_ON(sizeof(struct kuipc_eventfd_msg) != 32);
	BUILD_BUG_ON(sizeof(struct kuipc_eventfd_status) != 32);
	BUILD_BUG_ON(offsetof(struct kuipc_eventfd_msg, data) % 8);
	BUILD_BUG_ON(offsetof(struct kuipc_eventfd_status, produced) % 8);
	/* STATUS reads only the channel number, its first field. */
	BUILD_BUG_ON(offsetof(struct kuipc_eventfd_status, channel) != 0);

	for (nr = 0; nr < KUIPC_EVENTFD_CHANNELS; nr++) {
		struct kuipc_eventfd_channel *ch = &kuipc_eventfd_channels[nr];

		mutex_init(&ch->fetch);
		spin_lock_init(&ch->lock);
		INIT_LIST_HEAD(&ch->items);
	}

	/* Last: the device is usable as soon as it is registered. */
	ret = misc_register(&kuipc_eventfd_misc);
	if (ret) {
		pr_err("cannot register %s: %d\n", KUIPC_EVENTFD_PATH, ret);
		return ret;
	}

	pr_info("loaded: %s, minor %d, %u channels\n", KUIPC_EVENTFD_PATH,
		kuipc_eventfd_misc.minor, KUIPC_EVENTFD_CHANNELS);
	return 0;
}

static void __exit kuipc_eventfd_exit(void)
{
	unsigned int nr;

	misc_deregister(&kuipc_eventfd_misc);

	/*
	 * No file is open (each one pins the module) and registrations end
	 * with their file, so every channel is empty; dropping what is left
	 * anyway keeps "every reference is put on unload" true by
	 * construction rather than by argument.
	 */
	for (nr = 0; nr < KUIPC_EVENTFD_CHANNELS; nr++) {
		struct kuipc_eventfd_channel *ch = &kuipc_eventfd_channels[nr];
		struct kuipc_eventfd_leftovers left = {
			.items = LIST_HEAD_INIT(left.items),
		};

		spin_lock(&ch->lock);
		kuipc_eventfd_detach(ch, &left);
		spin_unlock(&ch->lock);
		kuipc_eventfd_drop(&left);
		mutex_destroy(&ch->fetch);
	}
	pr_info("unloaded\n");
}

module_init(kuipc_eventfd_init);
module_exit(kuipc_eventfd_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("kuipc eventfd pair: channels signalled through eventfds");
