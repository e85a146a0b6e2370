// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_mmap - a misc device whose mmap() shares one kernel buffer with
 * user space: a control page, a ring of fixed-size records that the module
 * produces and user space consumes without system calls, and an area that
 * user space writes and the module reads back (checksums).
 *
 * The ABI (layout, structs, ioctls, the ring protocol) is documented in
 * <uapi/kuipc/mmap.h>.
 *
 * Trust: the mapping is writable by user space, so nothing in it is
 * trusted. The module keeps the producer index in its own state and only
 * publishes it into the control page; the one value it reads back is the
 * consumer index, which it validates before use and never uses to index
 * memory (slots are picked by the module's own index, masked).
 *
 * Ordering: the producer fills slots, then smp_store_release()s head; the
 * consumer load-acquires head before reading slots, and store-releases
 * tail after reading them; the producer smp_load_acquire()s tail before
 * reusing slots.
 *
 * Locking: a mutex serialises producers and RESET (the producer side of
 * the ring is single-writer). poll() and CHECKSUM take no lock: poll reads
 * two 32-bit indices, and the user area belongs to user space, which may
 * change it at any time.
 *
 * Mapping: .mmap_prepare where the kernel has it, .mmap before (see
 * kuipc/compat.h); either only checks the request and sets the VMA's flags
 * and vm_ops. The pages are inserted on demand by kuipc_mmap_fault(), so a
 * mapping whose page table entries were dropped (MADV_DONTNEED) faults the
 * same pages back in.
 *
 * Lifetime: one buffer, allocated at load and freed at unload. The misc
 * device's fops carry .owner = THIS_MODULE, so an open file pins the
 * module; a mapping holds a reference to its file, so the module stays
 * pinned until the last munmap(), even after close(). Hence no file or
 * mapping can outlive the buffer. Each page table entry also holds a
 * reference to its page, taken by the fault handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include <kuipc/compat.h>
#include <uapi/kuipc/mmap.h>

/* The buffer is mapped in whole pages; the layout is in bytes. */
#define KUIPC_MMAP_BUF_SIZE	PAGE_ALIGN(KUIPC_MMAP_SIZE)
#define KUIPC_MMAP_BUF_PAGES	(KUIPC_MMAP_BUF_SIZE >> PAGE_SHIFT)

struct kuipc_mmap {
	struct miscdevice misc;
	struct mutex lock; /* serialises PRODUCE and RESET */
	void *buf; /* vmalloc_user(KUIPC_MMAP_BUF_SIZE), shared with users */
	struct kuipc_mmap_ctrl *ctrl; /* buf + 0 */
	struct kuipc_mmap_record *ring; /* buf + KUIPC_MMAP_DATA_OFFSET */
	u8 *user; /* buf + KUIPC_MMAP_USER_OFFSET */
	u64 seq; /* seq of the next record; under lock */
	u32 head; /* (u32)seq: our copy of ctrl->head, never read back */
	wait_queue_head_t waitq; /* pollers waiting for records */
};

static struct kuipc_mmap *kuipc_mmap_from_file(struct file *file)
{
	/* misc_open() stores the struct miscdevice in ->private_data. */
	return container_of(file->private_data, struct kuipc_mmap, misc);
}

/* Write the fields a client checks; everything else in ctrl is zero. */
static void kuipc_mmap_init_ctrl(struct kuipc_mmap_ctrl *ctrl)
{
	ctrl->magic = KUIPC_MMAP_MAGIC;
	ctrl->version = KUIPC_MMAP_VERSION;
	ctrl->size = KUIPC_MMAP_SIZE;
	ctrl->record_size = KUIPC_MMAP_RECORD_SIZE;
	ctrl->records = KUIPC_MMAP_RECORDS;
	ctrl->data_offset = KUIPC_MMAP_DATA_OFFSET;
	ctrl->user_offset = KUIPC_MMAP_USER_OFFSET;
	ctrl->user_size = KUIPC_MMAP_USER_SIZE;
}

/* Build record @seq on the stack, then store it whole into its slot. */
static void kuipc_mmap_fill(struct kuipc_mmap_record *slot, u64 seq)
{
	struct kuipc_mmap_record rec = {
		.seq = seq,
		.len = kuipc_mmap_payload_len(seq),
	};
	u32 i;

	for (i = 0; i < rec.len; i++)
		rec.payload[i] = kuipc_mmap_payload_byte(seq, i);
	rec.check = kuipc_mmap_fnv1a(KUIPC_MMAP_FNV1A_INIT, &rec,
				     offsetof(struct kuipc_mmap_record, check));
	memcpy(slot, &rec, sizeof(rec));
}

static int kuipc_mmap_open(struct inode *inode, struct file *file)
{
	pr_debug("open\n");
	/* No read/write, no file position: lseek fails with ESPIPE. */
	return nonseekable_open(inode, file);
}

static int kuipc_mmap_release(struct inode *inode, struct file *file)
{
	/* The last reference: every descriptor closed AND every munmap(). */
	pr_debug("release\n");
	return 0;
}

/*
 * Pages are served on demand: the first access to each page of a mapping
 * faults here, and so does the next access after anything that dropped the
 * page table entries (MADV_DONTNEED), which finds the same page of the
 * buffer again, data intact.
 * A driver that inserts its pages at mmap time instead (remap_vmalloc_range,
 * vm_insert_page) and has no .fault answers that next access with SIGBUS.
 *
 * vmf->pgoff is the page of the buffer: the mapping's page offset plus the
 * page within it. The mapping hooks accept only windows inside the buffer
 * and VM_DONTEXPAND keeps them so; the index finds memory, so it is checked
 * again here all the same.
 */
static vm_fault_t kuipc_mmap_fault(struct vm_fault *vmf)
{
	struct kuipc_mmap *km = vmf->vma->vm_private_data;
	struct page *page;

	if (vmf->pgoff >= KUIPC_MMAP_BUF_PAGES)
		return VM_FAULT_SIGBUS;
	page = vmalloc_to_page(km->buf + (vmf->pgoff << PAGE_SHIFT));
	/* The page table entry's reference, dropped when it is zapped. */
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kuipc_mmap_vm_ops = {
	.fault = kuipc_mmap_fault,
};

/*
 * What a mapping must be, checked by either hook (@hook names it in the
 * log) on the mapping about to be made: shared, not executable, a window
 * of @pages pages at page @pgoff inside the buffer.
 */
static int kuipc_mmap_check(const char *hook, bool shared, bool exec,
			    unsigned long pgoff, unsigned long pages)
{
	int ret = 0;

	/*
	 * A private mapping would copy pages on write: the consumer's tail
	 * and the user area would never reach the module. VM_MAYSHARE, not
	 * VM_SHARED: a MAP_SHARED mapping of a read-only file has only the
	 * former, and is a fine way to watch the ring.
	 */
	if (!shared)
		ret = -EINVAL;
	/*
	 * The ring holds data, never code: no PROT_EXEC now, and no
	 * mprotect(PROT_EXEC) later (the hooks clear VM_MAYEXEC).
	 */
	else if (exec)
		ret = -EPERM;
	/* The window must lie inside the buffer (no overflow: pages > 0). */
	else if (pgoff >= KUIPC_MMAP_BUF_PAGES ||
		 pages > KUIPC_MMAP_BUF_PAGES - pgoff)
		ret = -EINVAL;
	pr_debug("%s(%lu pages at page %lu, %s) = %d\n", hook, pages, pgoff,
		 shared ? "shared" : "private", ret);
	return ret;
}

#ifdef KUIPC_HAVE_MMAP_PREPARE
/*
 * Called before the VMA exists; what is set in @desc (flags, vm_ops,
 * private data) becomes the VMA's. Nothing is mapped here: the pages come
 * from kuipc_mmap_fault(), so no mmap_action is needed.
 */
static int kuipc_mmap_mmap_prepare(struct vm_area_desc *desc)
{
	int ret;

	ret = kuipc_mmap_check("mmap_prepare", kuipc_desc_test(desc, MAYSHARE),
			       kuipc_desc_test(desc, EXEC), desc->pgoff,
			       (desc->end - desc->start) >> PAGE_SHIFT);
	if (ret)
		return ret;
	/* Not to be grown by mremap(), nor written into core dumps. */
	kuipc_desc_set(desc, DONTEXPAND);
	kuipc_desc_set(desc, DONTDUMP);
	kuipc_desc_clear(desc, MAYEXEC);
	desc->vm_ops = &kuipc_mmap_vm_ops;
	desc->private_data = kuipc_mmap_from_file(desc->file);
	return 0;
}
#else
/* The same, on a VMA already set up: kernels without .mmap_prepare. */
static int kuipc_mmap_mmap(struct file *file, struct vm_area_struct *vma)
{
	int ret;

	ret = kuipc_mmap_check("mmap", vma->vm_flags & VM_MAYSHARE,
			       vma->vm_flags & VM_EXEC, vma->vm_pgoff,
			       vma_pages(vma));
	if (ret)
		return ret;
	kuipc_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	kuipc_vm_flags_clear(vma, VM_MAYEXEC);
	vma->vm_ops = &kuipc_mmap_vm_ops;
	vma->vm_private_data = kuipc_mmap_from_file(file);
	return 0;
}
#endif

static __poll_t kuipc_mmap_poll(struct file *file, poll_table *wait)
{
	struct kuipc_mmap *km = kuipc_mmap_from_file(file);
	u32 used;

	/*
	 * Queue first, then look: a PRODUCE that ends after this read wakes
	 * us; one that ended before it is seen here (wake_up() and
	 * poll_wait() both take the wait queue's lock).
	 */
	poll_wait(file, &km->waitq, wait);
	used = READ_ONCE(km->head) - READ_ONCE(km->ctrl->tail);
	if (used > KUIPC_MMAP_RECORDS)
		return EPOLLERR; /* a bad tail: it stays so until fixed */
	return used ? EPOLLIN | EPOLLRDNORM : 0;
}

static long kuipc_mmap_produce(struct kuipc_mmap *km, void __user *argp)
{
	struct kuipc_mmap_produce req;
	u32 head, tail, used, n, i;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req))) {
		pr_debug("produce: bad argument pointer\n");
		return -EFAULT;
	}
	if (req.flags || req.count > KUIPC_MMAP_RECORDS) {
		pr_debug("produce: bad count %u or flags %#x\n", req.count,
			 req.flags);
		return -EINVAL;
	}

	if (mutex_lock_interruptible(&km->lock))
		return -ERESTARTSYS;
	head = km->head;
	/*
	 * Pairs with the consumer's store-release of tail: its reads of the
	 * slots it gave back are complete before they are overwritten.
	 */
	tail = smp_load_acquire(&km->ctrl->tail);
	used = head - tail;
	if (used > KUIPC_MMAP_RECORDS) {
		pr_debug("produce: bad tail %u (head %u)\n", tail, head);
		ret = -EIO;
		goto out_unlock;
	}
	n = min_t(u32, req.count, KUIPC_MMAP_RECORDS - used);
	if (!n) {
		ret = req.count ? -ENOSPC : 0;
		goto out_unlock;
	}
	for (i = 0; i < n; i++) {
		/* From our own index, masked: never from user space. */
		u32 slot = (head + i) & (KUIPC_MMAP_RECORDS - 1);

		kuipc_mmap_fill(&km->ring[slot], km->seq + i);
	}
	km->seq += n;
	head += n;
	/*
	 * Our own copy first: a consumer that sees the new ctrl->head may
	 * consume up to it and call poll() at once, which compares km->head
	 * with that tail; an old km->head there reads as a bad tail (EPOLLERR).
	 * The release below orders this store before the new ctrl->head.
	 */
	WRITE_ONCE(km->head, head);
	/* Pairs with the consumer's load-acquire: records before head. */
	smp_store_release(&km->ctrl->head, head);
	ret = n;
out_unlock:
	mutex_unlock(&km->lock);

	if (ret > 0)
		wake_up_interruptible_poll(&km->waitq, EPOLLIN | EPOLLRDNORM);
	pr_debug("produce(%u) = %ld, head %u tail %u\n", req.count, ret, head,
		 tail);
	return ret;
}

static long kuipc_mmap_checksum(struct kuipc_mmap *km, void __user *argp)
{
	struct kuipc_mmap_checksum cs;

	if (copy_from_user(&cs, argp, sizeof(cs))) {
		pr_debug("checksum: bad argument pointer\n");
		return -EFAULT;
	}
	/* Written so that it cannot overflow: offset first, then len. */
	if (cs.offset > KUIPC_MMAP_USER_SIZE ||
	    cs.len > KUIPC_MMAP_USER_SIZE - cs.offset) {
		pr_debug("checksum: range %u+%u out of bounds\n", cs.offset,
			 cs.len);
		return -EINVAL;
	}
	/* The bytes user space wrote through its mapping, read in place. */
	cs.sum = kuipc_mmap_fnv1a(KUIPC_MMAP_FNV1A_INIT, km->user + cs.offset,
				  cs.len);
	if (copy_to_user(argp, &cs, sizeof(cs))) {
		pr_debug("checksum: cannot write the sum back\n");
		return -EFAULT;
	}
	pr_debug("checksum(%u, %u) = %#llx\n", cs.offset, cs.len, cs.sum);
	return 0;
}

static long kuipc_mmap_reset(struct kuipc_mmap *km)
{
	if (!capable(CAP_SYS_ADMIN)) {
		pr_debug("reset: not CAP_SYS_ADMIN\n");
		return -EPERM;
	}

	if (mutex_lock_interruptible(&km->lock))
		return -ERESTARTSYS;
	memset(km->buf, 0, KUIPC_MMAP_BUF_SIZE);
	kuipc_mmap_init_ctrl(km->ctrl);
	km->seq = 0;
	WRITE_ONCE(km->head, 0);
	mutex_unlock(&km->lock);

	pr_debug("reset\n");
	return 0;
}

static long kuipc_mmap_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	struct kuipc_mmap *km = kuipc_mmap_from_file(file);
	void __user *argp = (void __user *)arg;
	long ret;

	switch (cmd) {
	case KUIPC_MMAP_PRODUCE:
		ret = kuipc_mmap_produce(km, argp);
		break;
	case KUIPC_MMAP_CHECKSUM:
		ret = kuipc_mmap_checksum(km, argp);
		break;
	case KUIPC_MMAP_RESET:
		ret = kuipc_mmap_reset(km);
		break;
	default:
		/* Not ours: ENOTTY, as isatty() and friends expect. */
		pr_debug("ioctl(%#x): unknown command\n", cmd);
		ret = -ENOTTY;
		break;
	}
	/* Each command logs its own outcome. */
	return ret;
}

static const struct file_operations kuipc_mmap_fops = {
	.owner = THIS_MODULE,
	.open = kuipc_mmap_open,
	.release = kuipc_mmap_release,
#ifdef KUIPC_HAVE_MMAP_PREPARE
	.mmap_prepare = kuipc_mmap_mmap_prepare,
#else
	.mmap = kuipc_mmap_mmap,
#endif
	.poll = kuipc_mmap_poll,
	.unlocked_ioctl = kuipc_mmap_ioctl,
	/* The structs have one layout for 32- and 64-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
};

static struct kuipc_mmap kuipc_mmap = {
	.misc = {
		.minor = MISC_DYNAMIC_MINOR,
		.name = KUIPC_MMAP_NAME,
		.fops = &kuipc_mmap_fops,
		.mode = KUIPC_MMAP_MODE,
	},
	.lock = __MUTEX_INITIALIZER(kuipc_mmap.lock),
	.waitq = __WAIT_QUEUE_HEAD_INITIALIZER(kuipc_mmap.waitq),
};

static int __init kuipc_mmap_init(void)
{
	struct kuipc_mmap *km = &kuipc_mmap;
	int ret;

	/* The ABI must not change by accident; indices on cache lines. */
	BUILD_BUG_ON(sizeof(struct kuipc_mmap_ctrl) != 192);
	BUILD_BUG_ON(offsetof(struct kuipc_mmap_ctrl, head) != 64);
	BUILD_BUG_ON(offsetof(struct kuipc_mmap_ctrl, tail) != 128);
	BUILD_BUG_ON(sizeof(struct kuipc_mmap_ctrl) > KUIPC_MMAP_CTRL_SIZE);
	BUILD_BUG_ON(sizeof(struct kuipc_mmap_record) !=
		     KUIPC_MMAP_RECORD_SIZE);
	BUILD_BUG_ON(offsetof(struct kuipc_mmap_record, check) % 8);
	BUILD_BUG_ON(sizeof(struct kuipc_mmap_produce) != 8);
	BUILD_BUG_ON(sizeof(struct kuipc_mmap_checksum) != 16);
	/* Slots are picked by masking; head - tail must stay meaningful. */
	BUILD_BUG_ON(!is_power_of_2(KUIPC_MMAP_RECORDS));
	BUILD_BUG_ON(KUIPC_MMAP_DATA_OFFSET % KUIPC_MMAP_RECORD_SIZE);

	/* Zeroed, page-aligned, and meant for mapping into user space. */
	km->buf = vmalloc_user(KUIPC_MMAP_BUF_SIZE);
	if (!km->buf)
		return -ENOMEM;
	km->ctrl = km->buf;
	km->ring = km->buf + KUIPC_MMAP_DATA_OFFSET;
	km->user = km->buf + KUIPC_MMAP_USER_OFFSET;
	kuipc_mmap_init_ctrl(km->ctrl);

	/* Last: the device is usable as soon as it is registered. */
	ret = misc_register(&km->misc);
	if (ret) {
		pr_err("cannot register %s: %d\n", KUIPC_MMAP_PATH, ret);
		goto err_free_buf;
	}

	pr_info("loaded: %s, minor %d, %u records of %u bytes, %u-byte user area\n",
		KUIPC_MMAP_PATH, km->misc.minor, KUIPC_MMAP_RECORDS,
		KUIPC_MMAP_RECORD_SIZE, KUIPC_MMAP_USER_SIZE);
	return 0;

err_free_buf:
	vfree(km->buf);
	return ret;
}

static void __exit kuipc_mmap_exit(void)
{
	struct kuipc_mmap *km = &kuipc_mmap;

	/*
	 * Reverse order of init. No file is open and nothing is mapped: each
	 * open file pins the module, and each mapping holds its file.
	 */
	misc_deregister(&km->misc);
	vfree(km->buf);
	pr_info("unloaded\n");
}

module_init(kuipc_mmap_init);
module_exit(kuipc_mmap_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("kuipc mmap pair: a record ring and a user area via mmap");
