// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_chardev - a misc character device with read/write over a bounded
 * FIFO, poll, and ioctls to get/set its configuration and read statistics.
 *
 * The ABI (device path, ioctl numbers, structs, limits and the exact
 * read/write semantics) is documented in <uapi/kuipc/chardev.h>.
 *
 * Locking: two mutexes, taken in this order.
 *  - read_lock serialises readers (and RESET, which also removes data). A
 *    reader holds it across its copy to user space, which may fault and
 *    sleep for as long as the page takes to arrive (a userfaultfd or FUSE
 *    mapping: indefinitely). Only readers and RESET wait for it, and they
 *    wait interruptibly.
 *  - lock serialises the FIFO, the configuration and the counters. It is
 *    never held across a user copy or a wait, so poll(), write() and the
 *    ioctls other than RESET never wait behind a faulting reader.
 * A reader peeks at the FIFO into the bounce buffer under lock, copies the
 * bounce buffer to user space with lock dropped, then takes lock again
 * and removes exactly the bytes that reached the caller. Nobody else
 * removes data meanwhile (read_lock), so those bytes are still the oldest
 * ones; bytes the copy did not deliver stay queued, in order, for the
 * next read(). Sleeping for data or space happens with both mutexes
 * dropped, on two wait queues: readers and EPOLLIN pollers on readq,
 * writers and EPOLLOUT pollers on writeq.
 *
 * Lifetime: the state is static and the misc device's fops carry
 * .owner = THIS_MODULE, so every open file pins the module; no file
 * operation can run once kuipc_chardev_exit() has started.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kfifo.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <kuipc/compat.h>
#include <uapi/kuipc/chardev.h>

struct kuipc_chardev {
	struct miscdevice misc;
	struct mutex read_lock; /* taken before lock; protects bounce */
	u8 bounce[KUIPC_CHARDEV_CAPACITY_MAX]; /* what a reader copies out */
	struct mutex lock; /* protects everything below */
	struct kfifo fifo; /* KUIPC_CHARDEV_CAPACITY_MAX bytes */
	struct kuipc_chardev_config cfg;
	u64 bytes_written;
	u64 bytes_read;
	u64 writes;
	u64 reads;
	wait_queue_head_t readq; /* waiting for data */
	wait_queue_head_t writeq; /* waiting for space */
};

static const struct kuipc_chardev_config kuipc_chardev_default_config = {
	.size = sizeof(struct kuipc_chardev_config),
	.capacity = KUIPC_CHARDEV_CAPACITY_DEFAULT,
};

static struct kuipc_chardev *kuipc_chardev_from_file(struct file *file)
{
	/* misc_open() stores the struct miscdevice in ->private_data. */
	return container_of(file->private_data, struct kuipc_chardev, misc);
}

/*
 * Bytes a write may still queue. Also called without the lock from wait
 * conditions, where a stale answer only means one more round: the result
 * is rechecked under the lock. data_race() says so to KCSAN.
 */
static unsigned int kuipc_chardev_space(struct kuipc_chardev *kcd)
{
	unsigned int cap = READ_ONCE(kcd->cfg.capacity);
	/* Racy without the lock, and meant to be: see above. */
	unsigned int len = data_race(kfifo_len(&kcd->fifo));

	return len < cap ? cap - len : 0;
}

/* Whether the FIFO holds data; lockless in the same way. */
static bool kuipc_chardev_has_data(struct kuipc_chardev *kcd)
{
	/* Racy without the lock, and meant to be: see above. */
	return !data_race(kfifo_is_empty(&kcd->fifo));
}

/*
 * Return with read_lock held and up to @count of the oldest bytes peeked
 * into kcd->bounce (at least one; the count is returned), or an error.
 * The bytes stay in the FIFO: the caller removes what it delivered.
 */
static ssize_t kuipc_chardev_peek(struct kuipc_chardev *kcd, size_t count,
				  bool nonblock)
{
	unsigned int n;

	for (;;) {
		/* Wait with no lock held, so as not to hold up other readers. */
		if (!nonblock &&
		    wait_event_interruptible(kcd->readq,
					     kuipc_chardev_has_data(kcd)))
			return -ERESTARTSYS;
		if (mutex_lock_interruptible(&kcd->read_lock))
			return -ERESTARTSYS;
		mutex_lock(&kcd->lock);
		n = kfifo_out_peek(&kcd->fifo, kcd->bounce, count);
		mutex_unlock(&kcd->lock);
		if (n)
			return n;
		/* Another reader took the data first. */
		mutex_unlock(&kcd->read_lock);
		if (nonblock)
			return -EAGAIN;
	}
}

/* Return with the lock held and at least @n bytes free, or an error. */
static int kuipc_chardev_lock_space(struct kuipc_chardev *kcd, unsigned int n,
				    bool nonblock)
{
	for (;;) {
		if (mutex_lock_interruptible(&kcd->lock))
			return -ERESTARTSYS;
		if (kuipc_chardev_space(kcd) >= n)
			return 0;
		mutex_unlock(&kcd->lock);
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(kcd->writeq,
					     kuipc_chardev_space(kcd) >= n))
			return -ERESTARTSYS;
	}
}

static int kuipc_chardev_open(struct inode *inode, struct file *file)
{
	/* A stream: no file position, lseek/pread/pwrite fail with ESPIPE. */
	return stream_open(inode, file);
}

static ssize_t kuipc_chardev_read(struct file *file, char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct kuipc_chardev *kcd = kuipc_chardev_from_file(file);
	unsigned long copied;
	ssize_t ret;

	if (!count)
		return 0;

	/* kfifo takes an unsigned int length: clamp so it cannot wrap. */
	ret = kuipc_chardev_peek(kcd, min_t(size_t, count, sizeof(kcd->bounce)),
				 file->f_flags & O_NONBLOCK);
	if (ret < 0)
		goto out;

	/*
	 * With lock dropped: a fault here, however long, holds up only the
	 * other readers. What did not reach the caller stays queued.
	 */
	copied = ret - copy_to_user(buf, kcd->bounce, ret);
	if (copied) {
		mutex_lock(&kcd->lock);
		/* Still the oldest bytes: only read_lock holders remove any. */
		kuipc_kfifo_skip_count(&kcd->fifo, copied);
		kcd->bytes_read += copied;
		kcd->reads++;
		mutex_unlock(&kcd->lock);
	}
	mutex_unlock(&kcd->read_lock);

	if (copied)
		wake_up_interruptible_poll(&kcd->writeq,
					   EPOLLOUT | EPOLLWRNORM);
	ret = copied ? (ssize_t)copied : -EFAULT;
out:
	pr_debug("read(%zu) = %zd\n", count, ret);
	return ret;
}

static ssize_t kuipc_chardev_write(struct file *file, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	struct kuipc_chardev *kcd = kuipc_chardev_from_file(file);
	u8 piece[KUIPC_CHARDEV_ATOMIC_MAX];
	bool nonblock = file->f_flags & O_NONBLOCK;
	size_t done = 0;
	ssize_t ret = 0;

	while (done < count) {
		size_t n = min_t(size_t, count - done, sizeof(piece));

		/*
		 * Copy in before taking the lock: a fault stores nothing of
		 * this piece, and no page fault is taken under the lock.
		 */
		if (copy_from_user(piece, buf + done, n)) {
			ret = -EFAULT;
			break;
		}
		/* Wait for the first piece only; then store what fits. */
		ret = kuipc_chardev_lock_space(kcd, n, nonblock || done);
		if (ret)
			break;
		kfifo_in(&kcd->fifo, piece, n);
		kcd->bytes_written += n;
		if (!done)
			kcd->writes++;
		mutex_unlock(&kcd->lock);

		wake_up_interruptible_poll(&kcd->readq, EPOLLIN | EPOLLRDNORM);
		done += n;
	}

	if (done)
		ret = done;
	pr_debug("write(%zu) = %zd\n", count, ret);
	return ret;
}

static __poll_t kuipc_chardev_poll(struct file *file, poll_table *wait)
{
	struct kuipc_chardev *kcd = kuipc_chardev_from_file(file);
	__poll_t mask = 0;

	poll_wait(file, &kcd->readq, wait);
	poll_wait(file, &kcd->writeq, wait);

	mutex_lock(&kcd->lock);
	if (!kfifo_is_empty(&kcd->fifo))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (kuipc_chardev_space(kcd) >= KUIPC_CHARDEV_ATOMIC_MAX)
		mask |= EPOLLOUT | EPOLLWRNORM;
	mutex_unlock(&kcd->lock);

	return mask;
}

static long kuipc_chardev_get_config(struct kuipc_chardev *kcd,
				     void __user *argp)
{
	struct kuipc_chardev_config cfg;

	if (mutex_lock_interruptible(&kcd->lock))
		return -ERESTARTSYS;
	cfg = kcd->cfg;
	mutex_unlock(&kcd->lock);

	if (copy_to_user(argp, &cfg, sizeof(cfg)))
		return -EFAULT;
	pr_debug("get config: capacity %u\n", cfg.capacity);
	return 0;
}

static long kuipc_chardev_set_config(struct kuipc_chardev *kcd,
				     void __user *argp)
{
	struct kuipc_chardev_config cfg;
	bool grew;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	/* Validate everything before changing anything. */
	if (cfg.size != sizeof(cfg) || cfg.reserved[0] || cfg.reserved[1]) {
		pr_debug("set config: bad size %u or reserved fields\n",
			 cfg.size);
		return -EINVAL;
	}
	if (cfg.capacity < KUIPC_CHARDEV_CAPACITY_MIN ||
	    cfg.capacity > KUIPC_CHARDEV_CAPACITY_MAX) {
		pr_debug("set config: capacity %u out of range\n",
			 cfg.capacity);
		return -EINVAL;
	}

	if (mutex_lock_interruptible(&kcd->lock))
		return -ERESTARTSYS;
	grew = cfg.capacity > kcd->cfg.capacity;
	WRITE_ONCE(kcd->cfg.capacity, cfg.capacity);
	mutex_unlock(&kcd->lock);

	if (grew)
		wake_up_interruptible_poll(&kcd->writeq,
					   EPOLLOUT | EPOLLWRNORM);
	pr_debug("set config: capacity %u\n", cfg.capacity);
	return 0;
}

static long kuipc_chardev_reset(struct kuipc_chardev *kcd)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	/* Not under a reader: it is about to remove the bytes it peeked. */
	if (mutex_lock_interruptible(&kcd->read_lock))
		return -ERESTARTSYS;
	mutex_lock(&kcd->lock);
	kfifo_reset(&kcd->fifo);
	WRITE_ONCE(kcd->cfg.capacity, kuipc_chardev_default_config.capacity);
	kcd->bytes_written = 0;
	kcd->bytes_read = 0;
	kcd->writes = 0;
	kcd->reads = 0;
	mutex_unlock(&kcd->lock);
	mutex_unlock(&kcd->read_lock);

	wake_up_interruptible_poll(&kcd->writeq, EPOLLOUT | EPOLLWRNORM);
	pr_debug("reset\n");
	return 0;
}

static long kuipc_chardev_get_stats(struct kuipc_chardev *kcd,
				    void __user *argp)
{
	struct kuipc_chardev_stats st;

	if (copy_from_user(&st, argp, sizeof(st)))
		return -EFAULT;
	if (st.size != sizeof(st) || st.flags || st.reserved) {
		pr_debug("get stats: bad size %u, flags %#x or reserved\n",
			 st.size, st.flags);
		return -EINVAL;
	}

	/* Every byte of st is assigned: nothing of the stack leaks out. */
	if (mutex_lock_interruptible(&kcd->lock))
		return -ERESTARTSYS;
	st.queued = kfifo_len(&kcd->fifo);
	st.reserved = 0;
	st.bytes_written = kcd->bytes_written;
	st.bytes_read = kcd->bytes_read;
	st.writes = kcd->writes;
	st.reads = kcd->reads;
	mutex_unlock(&kcd->lock);

	if (copy_to_user(argp, &st, sizeof(st)))
		return -EFAULT;
	pr_debug("get stats: %u queued\n", st.queued);
	return 0;
}

static long kuipc_chardev_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct kuipc_chardev *kcd = kuipc_chardev_from_file(file);
	void __user *argp = (void __user *)arg;
	long ret;

	switch (cmd) {
	case KUIPC_CHARDEV_GET_CONFIG:
		ret = kuipc_chardev_get_config(kcd, argp);
		break;
	case KUIPC_CHARDEV_SET_CONFIG:
		ret = kuipc_chardev_set_config(kcd, argp);
		break;
	case KUIPC_CHARDEV_RESET:
		ret = kuipc_chardev_reset(kcd);
		break;
	case KUIPC_CHARDEV_GET_STATS:
		ret = kuipc_chardev_get_stats(kcd, argp);
		break;
	default:
		/* Not ours: ENOTTY, as isatty() and friends expect. */
		ret = -ENOTTY;
		break;
	}
	if (ret)
		pr_debug("ioctl(%#x) = %ld\n", cmd, ret);
	return ret;
}

static const struct file_operations kuipc_chardev_fops = {
	.owner = THIS_MODULE,
	.open = kuipc_chardev_open,
	.read = kuipc_chardev_read,
	.write = kuipc_chardev_write,
	.poll = kuipc_chardev_poll,
	.unlocked_ioctl = kuipc_chardev_ioctl,
	/* The structs have one layout for 32- and 64-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
};

static struct kuipc_chardev kuipc_chardev = {
	.misc = {
		.minor = MISC_DYNAMIC_MINOR,
		.name = KUIPC_CHARDEV_NAME,
		.fops = &kuipc_chardev_fops,
		.mode = KUIPC_CHARDEV_MODE,
	},
	.read_lock = __MUTEX_INITIALIZER(kuipc_chardev.read_lock),
	.lock = __MUTEX_INITIALIZER(kuipc_chardev.lock),
	.readq = __WAIT_QUEUE_HEAD_INITIALIZER(kuipc_chardev.readq),
	.writeq = __WAIT_QUEUE_HEAD_INITIALIZER(kuipc_chardev.writeq),
};

static int __init kuipc_chardev_init(void)
{
	struct kuipc_chardev *kcd = &kuipc_chardev;
	int ret;

	/* The ABI must not change by accident; 64-bit fields 8-aligned. */
	BUILD_BUG_ON(sizeof(struct kuipc_chardev_config) != 16);
	BUILD_BUG_ON(sizeof(struct kuipc_chardev_stats) != 48);
	BUILD_BUG_ON(offsetof(struct kuipc_chardev_stats, bytes_written) % 8);
	/* kfifo sizes are powers of two; writers must always fit one piece. */
	BUILD_BUG_ON(!is_power_of_2(KUIPC_CHARDEV_CAPACITY_MAX));
	BUILD_BUG_ON(KUIPC_CHARDEV_CAPACITY_MIN < KUIPC_CHARDEV_ATOMIC_MAX);

	kcd->cfg = kuipc_chardev_default_config;
	ret = kfifo_alloc(&kcd->fifo, KUIPC_CHARDEV_CAPACITY_MAX, GFP_KERNEL);
	if (ret)
		return ret;

	/* Last: the device is usable as soon as it is registered. */
	ret = misc_register(&kcd->misc);
	if (ret) {
		pr_err("cannot register %s: %d\n", KUIPC_CHARDEV_PATH, ret);
		goto err_free_fifo;
	}

	pr_info("loaded: %s, minor %d, %u-byte fifo\n", KUIPC_CHARDEV_PATH,
		kcd->misc.minor, kfifo_size(&kcd->fifo));
	return 0;

err_free_fifo:
	kfifo_free(&kcd->fifo);
	return ret;
}

static void __exit kuipc_chardev_exit(void)
{
	struct kuipc_chardev *kcd = &kuipc_chardev;

	/* Reverse order of init. No file is open: each one pins the module. */
	misc_deregister(&kcd->misc);
	kfifo_free(&kcd->fifo);
	pr_info("unloaded\n");
}

module_init(kuipc_chardev_init);
module_exit(kuipc_chardev_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("kuipc chardev+ioctl pair: misc device over a kfifo");
