// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_procfs - the procfs pair of kuipc: a multi-page seq_file and a
 * writable message store under /proc.
 *
 *   /proc/kuipc_procfs/records   a generated table, one line per record,
 *                                several pages long (seq_operations)
 *   /proc/kuipc_procfs/messages  write() appends one message, read() returns
 *                                all of them (single_open + proc_write)
 *
 * The exact ABI (paths, modes, limits, line formats, errno values) is
 * documented in include/uapi/kuipc/procfs.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/types.h>
#include <linux/uaccess.h>

#include <uapi/kuipc/procfs.h>

/*
 * Room for one line of KUIPC_PROCFS_RECORD_FMT: 38 bytes for an id below
 * 10000 (%04u then prints four digits), which init checks at build time.
 */
#define KUIPC_PROCFS_LINE_MAX 48

/*
 * A record and its line, formatted once at load. The table never changes,
 * so show() only copies the line: a 128-byte read shows four records, and
 * four seq_printf() calls (vsnprintf() parsing the format each time) were
 * most of its cost. A driver whose records change formats them in show(),
 * preferably with seq_put_decimal_ull() and seq_put_hex_ll(), which skip
 * the format parsing.
 */
struct kuipc_procfs_record {
	u32 id;
	u32 value;
	u32 len; /* bytes of line, without the NUL */
	char line[KUIPC_PROCFS_LINE_MAX];
};

/*
 * Filled in before the files are created and freed after they are removed;
 * never written in between, so readers need no lock.
 */
static struct kuipc_procfs_record *records;

struct kuipc_procfs_msg {
	struct list_head node;
	size_t len;
	u8 data[];
};

/* Protects msg_list and msg_count. Only taken in process context. */
static DEFINE_MUTEX(msg_lock);
static LIST_HEAD(msg_list);
static unsigned int msg_count;

static struct proc_dir_entry *proc_dir;

/* ---- records: a seq_file iterating over a table ------------------------ */

/*
 * seq_file calls start() at the beginning of each read() that needs more
 * output, with *pos the index of the next record (not a byte offset). Between
 * start() and stop() it may call next()/show() many times; it retries a
 * record that did not fit, so show() must have no side effects.
 */
static void *kuipc_procfs_records_start(struct seq_file *m, loff_t *pos)
{
	pr_debug("records: read from record %lld\n", *pos);
	if (*pos < 0 || *pos >= KUIPC_PROCFS_NR_RECORDS)
		return NULL;
	return &records[*pos];
}

static void *kuipc_procfs_records_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	if (*pos >= KUIPC_PROCFS_NR_RECORDS)
		return NULL;
	return &records[*pos];
}

static void kuipc_procfs_records_stop(struct seq_file *m, void *v)
{
	/*
	 * The table is immutable. A driver whose list can change takes its
	 * lock in start() and drops it here.
	 */
}

static int kuipc_procfs_records_show(struct seq_file *m, void *v)
{
	const struct kuipc_procfs_record *r = v;

	seq_write(m, r->line, r->len);
	return 0;
}

static const struct seq_operations records_seq_ops = {
	.start = kuipc_procfs_records_start,
	.next = kuipc_procfs_records_next,
	.stop = kuipc_procfs_records_stop,
	.show = kuipc_procfs_records_show,
};

/* ---- messages: a bounded, mutex-protected store ----------------------- */

/* Remove every message; returns how many there were. */
static unsigned int kuipc_procfs_messages_clear(void)
{
	struct kuipc_procfs_msg *msg, *tmp;
	unsigned int nr;
	LIST_HEAD(doomed);

	mutex_lock(&msg_lock);
	list_splice_init(&msg_list, &doomed);
	nr = msg_count;
	msg_count = 0;
	mutex_unlock(&msg_lock);

	list_for_each_entry_safe(msg, tmp, &doomed, node)
		kfree(msg);
	return nr;
}

/*
 * Called once per filling of the seq_file buffer (again with a larger buffer
 * if the output did not fit), each time under msg_lock, so every call prints
 * one consistent snapshot.
 */
static int kuipc_procfs_messages_show(struct seq_file *m, void *v)
{
	const struct kuipc_procfs_msg *msg;
	unsigned int nr;

	mutex_lock(&msg_lock);
	list_for_each_entry(msg, &msg_list, node) {
		seq_printf(m, "%zu ", msg->len);
		seq_write(m, msg->data, msg->len);
		seq_putc(m, '\n');
	}
	nr = msg_count;
	mutex_unlock(&msg_lock);

	pr_debug("messages: read %u messages\n", nr);
	return 0;
}

static int kuipc_procfs_messages_open(struct inode *inode, struct file *file)
{
	unsigned int nr;
	int ret;

	ret = single_open(file, kuipc_procfs_messages_show, NULL);
	if (ret)
		return ret;

	/* Like a regular file: "> messages" empties it, ">> messages" not. */
	if ((file->f_mode & FMODE_WRITE) && (file->f_flags & O_TRUNC)) {
		nr = kuipc_procfs_messages_clear();
		pr_debug("messages: cleared %u messages\n", nr);
	}
	return 0;
}

/* Each write() stores its bytes as one message; the offset is ignored. */
static ssize_t kuipc_procfs_messages_write(struct file *file,
					   const char __user *ubuf,
					   size_t count, loff_t *ppos)
{
	struct kuipc_procfs_msg *msg;
	unsigned int nr;
	ssize_t ret;

	if (!count)
		return 0;
	if (count > KUIPC_PROCFS_MSG_MAX) {
		pr_debug("messages: rejected %zu bytes, limit is %u\n", count,
			 KUIPC_PROCFS_MSG_MAX);
		return -EMSGSIZE;
	}

	/* Copy outside the lock: a page fault on ubuf may sleep for long. */
	msg = kmalloc(struct_size(msg, data, count), GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	if (copy_from_user(msg->data, ubuf, count)) {
		ret = -EFAULT;
		goto err_free;
	}
	msg->len = count;

	mutex_lock(&msg_lock);
	if (msg_count >= KUIPC_PROCFS_MSG_SLOTS) {
		mutex_unlock(&msg_lock);
		pr_debug("messages: full, rejected %zu bytes\n", count);
		ret = -ENOSPC;
		goto err_free;
	}
	list_add_tail(&msg->node, &msg_list);
	nr = ++msg_count;
	mutex_unlock(&msg_lock);

	pr_debug("messages: stored message %u, %zu bytes\n", nr, count);
	return count;

err_free:
	kfree(msg);
	return ret;
}

static const struct proc_ops messages_proc_ops = {
	.proc_open = kuipc_procfs_messages_open,
	.proc_read_iter = seq_read_iter,
	.proc_write = kuipc_procfs_messages_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/* ---- module init and exit ---------------------------------------------- */

static int __init kuipc_procfs_init(void)
{
	unsigned int i;
	int ret;

	BUILD_BUG_ON(KUIPC_PROCFS_NR_RECORDS > 10000);
	records = kvmalloc_array(KUIPC_PROCFS_NR_RECORDS, sizeof(*records),
				 GFP_KERNEL);
	if (!records)
		return -ENOMEM;
	for (i = 0; i < KUIPC_PROCFS_NR_RECORDS; i++) {
		struct kuipc_procfs_record *r = &records[i];

		r->id = i;
		r->value = kuipc_procfs_record_value(i);
		r->len = scnprintf(r->line, sizeof(r->line),
				   KUIPC_PROCFS_RECORD_FMT, r->id, r->value);
	}

	/* Everything the files use exists before they become visible. */
	proc_dir = proc_mkdir(KUIPC_PROCFS_DIR, NULL);
	if (!proc_dir) {
		ret = -ENOMEM;
		goto err_free_records;
	}
	/* A read-only seq_file needs no proc_ops of its own. */
	if (!proc_create_seq(KUIPC_PROCFS_RECORDS, KUIPC_PROCFS_RECORDS_MODE,
			     proc_dir, &records_seq_ops) ||
	    !proc_create(KUIPC_PROCFS_MESSAGES, KUIPC_PROCFS_MESSAGES_MODE,
			 proc_dir, &messages_proc_ops)) {
		ret = -ENOMEM;
		goto err_remove_dir;
	}

	pr_info("loaded, %s has %u records\n", KUIPC_PROCFS_RECORDS_PATH,
		KUIPC_PROCFS_NR_RECORDS);
	return 0;

err_remove_dir:
	proc_remove(proc_dir); /* and whatever was created inside it */
err_free_records:
	kvfree(records);
	return ret;
}

static void __exit kuipc_procfs_exit(void)
{
	/*
	 * proc_remove() waits for running handlers to return and releases
	 * files still open (their later calls fail with EIO), so nothing can
	 * reach the data freed below.
	 */
	proc_remove(proc_dir);
	kuipc_procfs_messages_clear();
	kvfree(records);
	pr_info("unloaded\n");
}

module_init(kuipc_procfs_init);
module_exit(kuipc_procfs_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("procfs example: a multi-page seq_file and a message store");
