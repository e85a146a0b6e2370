// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_debugfs - the debugfs pair of kuipc: the one-line helpers next to a
 * file with its own file_operations, all in one directory.
 *
 *   /sys/kernel/debug/kuipc_debugfs/value      debugfs_create_u32()
 *                                  /mask       debugfs_create_x64()
 *                                  /overwrite  debugfs_create_bool()
 *                                  /info       debugfs_create_blob()
 *                                  /capacity   simple_attr read, own
 *                                              write: a u32 whose text and
 *                                              range are checked
 *                                  /events     a bounded event log (seq_file
 *                                              read, one event per write)
 *
 * The exact ABI (paths, modes, formats, limits, errno values) is documented
 * in include/uapi/kuipc/debugfs.h.
 *
 * Lifetime: debugfs_create_file() wraps our file_operations in a proxy that
 * takes a reference on this module for as long as a file is open, and
 * debugfs_remove() waits for handlers still running in any file of the
 * directory; later calls through descriptors still open on the helper files
 * fail with EIO. So nothing below can run once the exit function has passed
 * debugfs_remove().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uaccess.h>

#include <uapi/kuipc/debugfs.h>

struct kuipc_debugfs_event {
	u64 seq;
	char text[KUIPC_DEBUGFS_EVENT_MAX + 1]; /* NUL-terminated */
};

/*
 * A ring of KUIPC_DEBUGFS_LOG_MAX slots holding the last "capacity" events:
 * the oldest one is in slots[head], the next ones follow modulo LOG_MAX.
 */
struct kuipc_debugfs_log {
	struct mutex lock; /* protects all fields but overwrite */
	struct kuipc_debugfs_event *slots;
	unsigned int head;
	unsigned int count;
	unsigned int capacity;
	u64 next_seq;
	/*
	 * Written by the debugfs bool helper with a plain store and no lock
	 * of ours, so it is read once per use with READ_ONCE().
	 */
	bool overwrite;
};

static struct kuipc_debugfs_log event_log = {
	.lock = __MUTEX_INITIALIZER(event_log.lock),
	.capacity = KUIPC_DEBUGFS_CAPACITY_DEFAULT,
	.next_seq = 1,
	.overwrite = true,
};

/*
 * Plain variables behind the u32 and x64 helpers. The helpers read and write
 * them without any lock or notification: a driver that used them would have
 * to treat them as changing at any moment.
 */
static u32 knob_value = KUIPC_DEBUGFS_VALUE_INIT;
static u64 knob_mask = KUIPC_DEBUGFS_MASK_INIT;

/*
 * The blob's bytes must stay valid as long as the file exists, and must be
 * writable memory: since Linux 6.8 debugfs_create_blob() has a write method,
 * and root passes the permission check of a read-only file, so it may
 * overwrite them in place. Nothing here ever reads them back.
 */
static struct kuipc_debugfs_info info = {
	.magic = KUIPC_DEBUGFS_MAGIC,
	.abi_version = KUIPC_DEBUGFS_ABI_VERSION,
	.log_max = KUIPC_DEBUGFS_LOG_MAX,
	.event_max = KUIPC_DEBUGFS_EVENT_MAX,
	.capacity_min = KUIPC_DEBUGFS_CAPACITY_MIN,
	.capacity_default = KUIPC_DEBUGFS_CAPACITY_DEFAULT,
};

static struct debugfs_blob_wrapper info_blob = {
	.data = &info,
	.size = sizeof(info),
};

static struct dentry *debugfs_dir;

/* ---- the event log ------------------------------------------------------ */

static struct kuipc_debugfs_event *
kuipc_debugfs_log_slot(struct kuipc_debugfs_log *log, unsigned int i)
{
	return &log->slots[(log->head + i) % KUIPC_DEBUGFS_LOG_MAX];
}

/* Caller holds log->lock and log->count > 0. */
static void kuipc_debugfs_log_drop_oldest(struct kuipc_debugfs_log *log)
{
	log->head = (log->head + 1) % KUIPC_DEBUGFS_LOG_MAX;
	log->count--;
}

/* Append one event of len bytes (checked by the caller); returns its seq. */
static int kuipc_debugfs_log_append(struct kuipc_debugfs_log *log,
				    const char *text, size_t len, u64 *seq)
{
	struct kuipc_debugfs_event *ev;

	mutex_lock(&log->lock);
	if (log->count >= log->capacity) {
		if (!READ_ONCE(log->overwrite)) {
			mutex_unlock(&log->lock);
			return -ENOSPC;
		}
		kuipc_debugfs_log_drop_oldest(log);
	}
	ev = kuipc_debugfs_log_slot(log, log->count);
	memcpy(ev->text, text, len);
	ev->text[len] = '\0';
	ev->seq = log->next_seq++;
	*seq = ev->seq;
	log->count++;
	mutex_unlock(&log->lock);
	return 0;
}

/* Remove every event; returns how many there were. */
static unsigned int kuipc_debugfs_log_clear(struct kuipc_debugfs_log *log)
{
	unsigned int nr;

	mutex_lock(&log->lock);
	nr = log->count;
	log->head = 0;
	log->count = 0;
	mutex_unlock(&log->lock);
	return nr;
}

/* ---- capacity: a u32 attribute whose range is checked ------------------- */

static int kuipc_debugfs_capacity_get(void *data, u64 *val)
{
	struct kuipc_debugfs_log *log = data;

	mutex_lock(&log->lock);
	*val = log->capacity;
	mutex_unlock(&log->lock);
	return 0;
}

/*
 * kuipc_debugfs_capacity_write() has already parsed the text with
 * kstrtou64() (EINVAL for non-numeric text, ERANGE above 2^64-1); the range
 * of a u32 and of the log is ours to check, before anything is truncated or
 * changed.
 */
static int kuipc_debugfs_capacity_set(void *data, u64 val)
{
	struct kuipc_debugfs_log *log = data;
	unsigned int old, dropped = 0;

	if (val < KUIPC_DEBUGFS_CAPACITY_MIN || val > KUIPC_DEBUGFS_LOG_MAX) {
		pr_debug("capacity: refused %llu\n", val);
		return -ERANGE;
	}

	mutex_lock(&log->lock);
	old = log->capacity;
	log->capacity = (unsigned int)val;
	while (log->count > log->capacity) {
		kuipc_debugfs_log_drop_oldest(log);
		dropped++;
	}
	mutex_unlock(&log->lock);

	pr_debug("capacity: %u -> %llu, dropped %u events\n", old, val,
		 dropped);
	return 0;
}

/*
 * Not DEFINE_DEBUGFS_ATTRIBUTE(): its write, simple_attr_write(), parses only
 * the first 23 bytes and a C string, yet reports the whole write done, so
 * "0x0000000000000000000010" (16, in 24 bytes) would set the capacity to 1
 * and "4\0junk" would set 4. Here the text must fit and hold no NUL.
 */
static ssize_t kuipc_debugfs_capacity_write(struct file *file,
					    const char __user *ubuf,
					    size_t count, loff_t *ppos)
{
	struct dentry *dentry = file->f_path.dentry;
	char text[KUIPC_DEBUGFS_CAPACITY_TEXT_MAX + 1];
	u64 val;
	int ret;

	if (count > KUIPC_DEBUGFS_CAPACITY_TEXT_MAX) {
		pr_debug("capacity: refused %zu bytes of text\n", count);
		return -EINVAL;
	}
	if (copy_from_user(text, ubuf, count))
		return -EFAULT;
	text[count] = '\0';
	if (strlen(text) != count) {
		pr_debug("capacity: refused a NUL in the text\n");
		return -EINVAL;
	}
	ret = kstrtou64(text, 0, &val);
	if (ret)
		return ret;

	/* As debugfs_attr_write() does: no call once the file is removed. */
	ret = debugfs_file_get(dentry);
	if (ret)
		return ret;
	ret = kuipc_debugfs_capacity_set(file_inode(file)->i_private, val);
	debugfs_file_put(dentry);
	if (ret)
		return ret;
	return count;
}

static int kuipc_debugfs_capacity_open(struct inode *inode, struct file *file)
{
	return simple_attr_open(inode, file, kuipc_debugfs_capacity_get, NULL,
				"%llu\n");
}

/*
 * The fops DEFINE_DEBUGFS_ATTRIBUTE() would make, but for the write. The
 * matching pair is debugfs_create_file_unsafe(): debugfs_attr_read() and
 * kuipc_debugfs_capacity_write() protect themselves against removal, so the
 * heavier full proxy is not needed.
 */
static const struct file_operations capacity_fops = {
	.owner = THIS_MODULE,
	.open = kuipc_debugfs_capacity_open,
	.release = simple_attr_release,
	.read = debugfs_attr_read,
	.write = kuipc_debugfs_capacity_write,
};

/* ---- events: the log as a file with its own file_operations ------------- */

/*
 * single_open() output: the whole log, printed under the lock in one call.
 * seq_file calls this again with a larger buffer when the text did not fit,
 * and keeps the text for the following read() calls, so one read sequence
 * from offset 0 sees one consistent snapshot, in buffers of any size.
 */
static int kuipc_debugfs_events_show(struct seq_file *m, void *v)
{
	struct kuipc_debugfs_log *log = m->private;
	const struct kuipc_debugfs_event *ev;
	unsigned int i;

	mutex_lock(&log->lock);
	for (i = 0; i < log->count; i++) {
		ev = kuipc_debugfs_log_slot(log, i);
		seq_printf(m, "%llu %s\n", ev->seq, ev->text);
	}
	mutex_unlock(&log->lock);
	return 0;
}

static int kuipc_debugfs_events_open(struct inode *inode, struct file *file)
{
	struct kuipc_debugfs_log *log = inode->i_private;
	unsigned int nr;
	int ret;

	ret = single_open(file, kuipc_debugfs_events_show, log);
	if (ret)
		return ret;

	/* Like a regular file: "> events" empties it, ">> events" not. */
	if ((file->f_mode & FMODE_WRITE) && (file->f_flags & O_TRUNC)) {
		nr = kuipc_debugfs_log_clear(log);
		pr_debug("events: cleared %u events\n", nr);
	}
	return 0;
}

/* Each write() is one event; the file offset is ignored. */
static ssize_t kuipc_debugfs_events_write(struct file *file,
					  const char __user *ubuf, size_t count,
					  loff_t *ppos)
{
	struct seq_file *m = file->private_data;
	struct kuipc_debugfs_log *log = m->private;
	/*
	 * The text and an optional '\n'; kuipc_debugfs_log_append() adds
	 * the NUL.
	 */
	char text[KUIPC_DEBUGFS_EVENT_MAX + 1];
	size_t len, i;
	u64 seq;
	int ret;

	if (!count)
		return 0;
	if (count > KUIPC_DEBUGFS_EVENT_MAX + 1) {
		pr_debug("events: refused %zu bytes, limit is %u\n", count,
			 KUIPC_DEBUGFS_EVENT_MAX);
		return -EINVAL;
	}
	if (copy_from_user(text, ubuf, count))
		return -EFAULT;

	len = count;
	if (text[len - 1] == '\n')
		len--;
	if (!len || len > KUIPC_DEBUGFS_EVENT_MAX) {
		pr_debug("events: refused %zu bytes of text\n", len);
		return -EINVAL;
	}
	/* Printable ASCII only: no line can be split or forged. */
	for (i = 0; i < len; i++) {
		u8 c = text[i];

		if (c < 0x20 || c > 0x7e) {
			pr_debug("events: refused byte 0x%02x at %zu\n", c, i);
			return -EINVAL;
		}
	}

	ret = kuipc_debugfs_log_append(log, text, len, &seq);
	if (ret) {
		pr_debug("events: log full, refused %zu bytes\n", len);
		return ret;
	}
	pr_debug("events: appended event %llu, %zu bytes\n", seq, len);
	return count;
}

static const struct file_operations events_fops = {
	.owner = THIS_MODULE,
	.open = kuipc_debugfs_events_open,
	.read = seq_read,
	.write = kuipc_debugfs_events_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* ---- module init and exit ----------------------------------------------- */

/* 0 when the file name exists in the module's directory, else -ENOMEM. */
static int __init kuipc_debugfs_created(const char *name)
{
	struct dentry *file = debugfs_lookup(name, debugfs_dir);

	if (!file)
		return -ENOMEM;
	dput(file);
	return 0;
}

static int __init kuipc_debugfs_init(void)
{
	struct dentry *file;
	int ret;

	event_log.slots = kvcalloc(KUIPC_DEBUGFS_LOG_MAX,
				   sizeof(*event_log.slots), GFP_KERNEL);
	if (!event_log.slots)
		return -ENOMEM;

	/*
	 * Drivers usually ignore debugfs errors: debugfs is optional for
	 * them. Here it is the whole interface, so a missing directory fails
	 * the load (ENODEV without CONFIG_DEBUG_FS, EPERM with debugfs=off,
	 * EEXIST if the name is taken).
	 */
	debugfs_dir = debugfs_create_dir(KUIPC_DEBUGFS_DIR, NULL);
	if (IS_ERR(debugfs_dir)) {
		ret = PTR_ERR(debugfs_dir);
		pr_err("cannot create %s: %d\n", KUIPC_DEBUGFS_DIR_PATH, ret);
		goto err_free_slots;
	}

	/*
	 * The one-line helpers return nothing: a file they could not create
	 * (out of memory) would just be missing. Each is looked up, so that
	 * the module loads with its whole interface or not at all.
	 */
	debugfs_create_u32(KUIPC_DEBUGFS_VALUE, KUIPC_DEBUGFS_VALUE_MODE,
			   debugfs_dir, &knob_value);
	debugfs_create_x64(KUIPC_DEBUGFS_MASK, KUIPC_DEBUGFS_MASK_MODE,
			   debugfs_dir, &knob_mask);
	debugfs_create_bool(KUIPC_DEBUGFS_OVERWRITE,
			    KUIPC_DEBUGFS_OVERWRITE_MODE, debugfs_dir,
			    &event_log.overwrite);
	ret = kuipc_debugfs_created(KUIPC_DEBUGFS_VALUE);
	if (!ret)
		ret = kuipc_debugfs_created(KUIPC_DEBUGFS_MASK);
	if (!ret)
		ret = kuipc_debugfs_created(KUIPC_DEBUGFS_OVERWRITE);
	if (ret)
		goto err_remove_dir;

	file = debugfs_create_blob(KUIPC_DEBUGFS_INFO, KUIPC_DEBUGFS_INFO_MODE,
				   debugfs_dir, &info_blob);
	if (IS_ERR(file))
		goto err_file;
	file = debugfs_create_file_unsafe(KUIPC_DEBUGFS_CAPACITY,
					  KUIPC_DEBUGFS_CAPACITY_MODE,
					  debugfs_dir, &event_log,
					  &capacity_fops);
	if (IS_ERR(file))
		goto err_file;
	file = debugfs_create_file(KUIPC_DEBUGFS_EVENTS,
				   KUIPC_DEBUGFS_EVENTS_MODE, debugfs_dir,
				   &event_log, &events_fops);
	if (IS_ERR(file))
		goto err_file;

	pr_info("loaded, %s keeps the last %u of %u events\n",
		KUIPC_DEBUGFS_EVENTS_PATH, event_log.capacity,
		KUIPC_DEBUGFS_LOG_MAX);
	return 0;

err_file:
	ret = PTR_ERR(file);
err_remove_dir:
	pr_err("cannot create the files in %s: %d\n", KUIPC_DEBUGFS_DIR_PATH,
	       ret);
	debugfs_remove(debugfs_dir); /* and everything inside it */
err_free_slots:
	kvfree(event_log.slots);
	return ret;
}

static void __exit kuipc_debugfs_exit(void)
{
	/*
	 * Recursive (debugfs_remove_recursive() is the same function). It
	 * waits for handlers running in any of the files, and from then on
	 * calls through descriptors still open on the helper files fail with
	 * EIO, so the log can be freed.
	 */
	debugfs_remove(debugfs_dir);
	kvfree(event_log.slots);
	mutex_destroy(&event_log.lock);
	pr_info("unloaded\n");
}

module_init(kuipc_debugfs_init);
module_exit(kuipc_debugfs_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("debugfs example: one-line helpers and a bounded event log");
