// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_sysfs - the sysfs pair of kuipc: a kobject under /sys/kernel with
 * one value per attribute file, a value the module changes by itself and
 * announces with sysfs_notify(), and module parameters whose
 * kernel_param_ops validate what they are given.
 *
 *   /sys/kernel/kuipc_sysfs/value    int in a range           0644
 *   /sys/kernel/kuipc_sysfs/label    bounded string           0644
 *   /sys/kernel/kuipc_sysfs/writes   accepted writes so far   0444
 *   /sys/kernel/kuipc_sysfs/event    advanced by the module   0444
 *   /sys/kernel/kuipc_sysfs/trigger  write "1": advance event 0200
 *   /sys/module/kuipc_sysfs/parameters/{step,tick_ms}         0644
 *
 * The exact ABI (paths, modes, ranges, errno values) is documented in
 * include/uapi/kuipc/sysfs.h.
 *
 * Lifetime: the state is one allocation embedding its kobject, freed by the
 * kobject's release() when the last reference is dropped. sysfs does not
 * pin the module while a file is open: removing the kobject's directory
 * waits for show()/store() calls in progress and makes later ones fail with
 * ENODEV, so nothing reaches this module's code once exit returns. The
 * parameter files are different: they are removed only after exit
 * returns, so their callbacks must cope with a module that is going away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <linux/sysfs.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <uapi/kuipc/sysfs.h>

struct kuipc_sysfs_state {
	struct kobject kobj;
	struct mutex lock;	/* protects the four fields below */
	int value;
	char label[KUIPC_SYSFS_LABEL_MAX + 1];
	u64 writes;
	u64 event;
	struct delayed_work tick;	/* advances event every tick_ms */
};

static struct kuipc_sysfs_state *kuipc_state;

/*
 * tick_owner is the state whose tick work may be (re)armed, or NULL. It is
 * only changed and tested under tick_lock, and the work is only armed under
 * it, so once exit has set it to NULL and cancel_delayed_work_sync() has
 * returned, nothing can arm the work again: not the work itself, and not a
 * write to the tick_ms parameter, whose file outlives our exit function.
 */
static DEFINE_SPINLOCK(tick_lock);
static struct kuipc_sysfs_state *tick_owner;

/* Completed by release(); exit waits for it (see kuipc_sysfs_exit()). */
static DECLARE_COMPLETION(state_released);

/* ---- module parameters ------------------------------------------------- */

/*
 * Both are read locklessly by the attribute and work code (READ_ONCE) and
 * written by their .set callbacks, which the parameter core serialises with
 * the module's parameter lock. The defaults are valid by construction.
 */
static int step = KUIPC_SYSFS_STEP_DEFAULT;
static unsigned int tick_ms = KUIPC_SYSFS_TICK_MS_OFF;

/*
 * A write to a parameter's file reaches .set cut to its first page, as a
 * NUL-terminated string. A string that fills the page may have been cut:
 * refuse it rather than take a number from the first page of a longer text.
 */
static bool kuipc_sysfs_param_too_long(const char *val)
{
	return strnlen(val, PAGE_SIZE) >= PAGE_SIZE;
}

/*
 * Every failure of a .set callback makes finit_module() fail at load time
 * (the core logs one line naming the parameter) and a write to the
 * parameter's file fail at run time; in both cases the value is unchanged.
 */
static int kuipc_sysfs_step_set(const char *val, const struct kernel_param *kp)
{
	int v;

	if (kuipc_sysfs_param_too_long(val) || kstrtoint(val, 10, &v) ||
	    v < KUIPC_SYSFS_STEP_MIN || v > KUIPC_SYSFS_STEP_MAX)
		return -EINVAL;
	WRITE_ONCE(*(int *)kp->arg, v);
	pr_debug("param step = %d\n", v);
	return 0;
}

static const struct kernel_param_ops step_ops = {
	.set = kuipc_sysfs_step_set,
	.get = param_get_int,
};

module_param_cb(step, &step_ops, &step, KUIPC_SYSFS_PARAM_MODE);
MODULE_PARM_DESC(step, "amount event advances per trigger or tick (1-100)");

/* Cancel the tick work and re-arm it with the current period, if any. */
static void kuipc_sysfs_tick_rearm(void)
{
	unsigned int ms = READ_ONCE(tick_ms);

	spin_lock(&tick_lock);
	if (tick_owner) {
		cancel_delayed_work(&tick_owner->tick);
		if (ms != KUIPC_SYSFS_TICK_MS_OFF)
			schedule_delayed_work(&tick_owner->tick,
					      msecs_to_jiffies(ms));
	}
	spin_unlock(&tick_lock);
}

static int kuipc_sysfs_tick_ms_set(const char *val,
				   const struct kernel_param *kp)
{
	unsigned int v;

	if (kuipc_sysfs_param_too_long(val) || kstrtouint(val, 10, &v))
		return -EINVAL;
	if (v != KUIPC_SYSFS_TICK_MS_OFF &&
	    (v < KUIPC_SYSFS_TICK_MS_MIN || v > KUIPC_SYSFS_TICK_MS_MAX))
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	pr_debug("param tick_ms = %u\n", v);
	/* At load time this runs before init: tick_owner is still NULL. */
	kuipc_sysfs_tick_rearm();
	return 0;
}

static const struct kernel_param_ops tick_ms_ops = {
	.set = kuipc_sysfs_tick_ms_set,
	.get = param_get_uint,
};

module_param_cb(tick_ms, &tick_ms_ops, &tick_ms, KUIPC_SYSFS_PARAM_MODE);
MODULE_PARM_DESC(tick_ms,
		 "advance event every tick_ms milliseconds (0 = off, 10-60000)");

/* ---- the state ----------------------------------------------------------- */

static struct kuipc_sysfs_state *kuipc_sysfs_to_state(struct kobject *kobj)
{
	return container_of(kobj, struct kuipc_sysfs_state, kobj);
}

/* Advance event by step and wake everyone polling the event file. */
static void kuipc_sysfs_event_advance(struct kuipc_sysfs_state *st,
				      const char *why)
{
	u64 event;

	mutex_lock(&st->lock);
	st->event += READ_ONCE(step);
	event = st->event;
	mutex_unlock(&st->lock);
	/* Sleeps (looks the file up by name): process context only. */
	sysfs_notify(&st->kobj, NULL, KUIPC_SYSFS_EVENT);
	pr_debug("event = %llu (%s)\n", event, why);
}

static void kuipc_sysfs_tick_work(struct work_struct *work)
{
	struct kuipc_sysfs_state *st =
		container_of(to_delayed_work(work), struct kuipc_sysfs_state,
			     tick);
	unsigned int ms;

	kuipc_sysfs_event_advance(st, "tick");
	spin_lock(&tick_lock);
	ms = READ_ONCE(tick_ms);
	if (tick_owner == st && ms != KUIPC_SYSFS_TICK_MS_OFF)
		schedule_delayed_work(&st->tick, msecs_to_jiffies(ms));
	spin_unlock(&tick_lock);
}

/*
 * sysfs hands store() a NUL-terminated copy of the written bytes. A NUL
 * inside them would hide the rest from kstrtoint(); refuse it instead.
 */
static bool kuipc_sysfs_has_nul(const char *buf, size_t count)
{
	return memchr(buf, 0, count);
}

/*
 * sysfs cuts a write longer than a page to its first page and gives no
 * sign of it: a count of a page or more may be the head of a longer text.
 */
static bool kuipc_sysfs_may_be_cut(size_t count)
{
	return count >= PAGE_SIZE;
}

/* ---- attributes ---------------------------------------------------------- */

static ssize_t kuipc_sysfs_value_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	struct kuipc_sysfs_state *st = kuipc_sysfs_to_state(kobj);
	int value;

	mutex_lock(&st->lock);
	value = st->value;
	mutex_unlock(&st->lock);
	return sysfs_emit(buf, "%d\n", value);
}

static ssize_t kuipc_sysfs_value_store(struct kobject *kobj,
				       struct kobj_attribute *attr,
				       const char *buf, size_t count)
{
	struct kuipc_sysfs_state *st = kuipc_sysfs_to_state(kobj);
	int value;

	/* kstrtoint() takes one trailing newline: "42\n" is fine. */
	if (kuipc_sysfs_may_be_cut(count) || kuipc_sysfs_has_nul(buf, count) ||
	    kstrtoint(buf, 10, &value) ||
	    value < KUIPC_SYSFS_VALUE_MIN || value > KUIPC_SYSFS_VALUE_MAX)
		return -EINVAL;

	mutex_lock(&st->lock);
	st->value = value;
	st->writes++;
	mutex_unlock(&st->lock);
	sysfs_notify(kobj, NULL, KUIPC_SYSFS_VALUE);
	pr_debug("value = %d\n", value);
	return count;
}

static ssize_t kuipc_sysfs_label_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	struct kuipc_sysfs_state *st = kuipc_sysfs_to_state(kobj);
	ssize_t ret;

	mutex_lock(&st->lock);
	ret = sysfs_emit(buf, "%s\n", st->label);
	mutex_unlock(&st->lock);
	return ret;
}

static ssize_t kuipc_sysfs_label_store(struct kobject *kobj,
				       struct kobj_attribute *attr,
				       const char *buf, size_t count)
{
	struct kuipc_sysfs_state *st = kuipc_sysfs_to_state(kobj);
	size_t len = count;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len > KUIPC_SYSFS_LABEL_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
	}

	mutex_lock(&st->lock);
	memcpy(st->label, buf, len);
	st->label[len] = '\0';
	st->writes++;
	mutex_unlock(&st->lock);
	sysfs_notify(kobj, NULL, KUIPC_SYSFS_LABEL);
	pr_debug("label = \"%.*s\"\n", (int)len, buf);
	return count;
}

static ssize_t kuipc_sysfs_writes_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	struct kuipc_sysfs_state *st = kuipc_sysfs_to_state(kobj);
	u64 writes;

	mutex_lock(&st->lock);
	writes = st->writes;
	mutex_unlock(&st->lock);
	return sysfs_emit(buf, "%llu\n", writes);
}

static ssize_t kuipc_sysfs_event_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	struct kuipc_sysfs_state *st = kuipc_sysfs_to_state(kobj);
	u64 event;

	mutex_lock(&st->lock);
	event = st->event;
	mutex_unlock(&st->lock);
	return sysfs_emit(buf, "%llu\n", event);
}

static ssize_t kuipc_sysfs_trigger_store(struct kobject *kobj,
					 struct kobj_attribute *attr,
					 const char *buf, size_t count)
{
	/* Exactly "1" or "1\n": not "+1", "01" or any other spelling. */
	if (kuipc_sysfs_has_nul(buf, count) ||
	    !sysfs_streq(buf, __stringify(KUIPC_SYSFS_TRIGGER_FIRE)))
		return -EINVAL;
	kuipc_sysfs_event_advance(kuipc_sysfs_to_state(kobj), "trigger");
	return count;
}

/*
 * Spelled out instead of __ATTR_RW() and friends so that names and modes
 * come from the uapi header. A file whose mode has no write bit cannot be
 * opened for writing, not even by root (sysfs checks the mode bits on open
 * on top of the usual permission check), and likewise for reading.
 */
static struct kobj_attribute value_attr = {
	.attr = { .name = KUIPC_SYSFS_VALUE, .mode = KUIPC_SYSFS_VALUE_MODE },
	.show = kuipc_sysfs_value_show,
	.store = kuipc_sysfs_value_store,
};

static struct kobj_attribute label_attr = {
	.attr = { .name = KUIPC_SYSFS_LABEL, .mode = KUIPC_SYSFS_LABEL_MODE },
	.show = kuipc_sysfs_label_show,
	.store = kuipc_sysfs_label_store,
};

static struct kobj_attribute writes_attr = {
	.attr = { .name = KUIPC_SYSFS_WRITES, .mode = KUIPC_SYSFS_WRITES_MODE },
	.show = kuipc_sysfs_writes_show,
};

static struct kobj_attribute event_attr = {
	.attr = { .name = KUIPC_SYSFS_EVENT, .mode = KUIPC_SYSFS_EVENT_MODE },
	.show = kuipc_sysfs_event_show,
};

static struct kobj_attribute trigger_attr = {
	.attr = { .name = KUIPC_SYSFS_TRIGGER,
		  .mode = KUIPC_SYSFS_TRIGGER_MODE },
	.store = kuipc_sysfs_trigger_store,
};

static struct attribute *kuipc_sysfs_attrs[] = {
	&value_attr.attr,
	&label_attr.attr,
	&writes_attr.attr,
	&event_attr.attr,
	&trigger_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(kuipc_sysfs);

static void kuipc_sysfs_release(struct kobject *kobj)
{
	struct kuipc_sysfs_state *st = kuipc_sysfs_to_state(kobj);

	pr_debug("release\n");
	mutex_destroy(&st->lock);
	kfree(st);
	complete(&state_released);
}

/* The default groups are created with the directory and removed with it. */
static const struct kobj_type kuipc_sysfs_ktype = {
	.release = kuipc_sysfs_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = kuipc_sysfs_groups,
};

/* ---- load and unload ----------------------------------------------------- */

static int __init kuipc_sysfs_init(void)
{
	struct kuipc_sysfs_state *st;
	int err;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	mutex_init(&st->lock);
	st->value = KUIPC_SYSFS_VALUE_DEFAULT;
	strscpy(st->label, KUIPC_SYSFS_LABEL_DEFAULT, sizeof(st->label));
	INIT_DELAYED_WORK(&st->tick, kuipc_sysfs_tick_work);

	err = kobject_init_and_add(&st->kobj, &kuipc_sysfs_ktype, kernel_kobj,
				   "%s", KUIPC_SYSFS_DIR);
	if (err)
		goto err_put;

	kuipc_state = st;
	spin_lock(&tick_lock);
	tick_owner = st;
	spin_unlock(&tick_lock);
	kuipc_sysfs_tick_rearm();

	pr_info("loaded: %s (step=%d tick_ms=%u)\n", KUIPC_SYSFS_DIR_PATH,
		READ_ONCE(step), READ_ONCE(tick_ms));
	return 0;

err_put:
	/* Once initialised, the kobject is freed by release(), even here. */
	kobject_put(&st->kobj);
	wait_for_completion(&state_released);
	return err;
}

static void __exit kuipc_sysfs_exit(void)
{
	struct kuipc_sysfs_state *st = kuipc_state;
	struct kernfs_node *kn[ARRAY_SIZE(kuipc_sysfs_attrs) - 1];
	size_t i;

	/* Stop the tick for good before its state goes away. */
	spin_lock(&tick_lock);
	tick_owner = NULL;
	spin_unlock(&tick_lock);
	cancel_delayed_work_sync(&st->tick);

	/*
	 * Removing a file does not wake a poll() already blocked on it. Hold
	 * the files' nodes across the removal and notify them after it: such
	 * a poll() then returns, and the read that follows fails with ENODEV.
	 */
	for (i = 0; i < ARRAY_SIZE(kn); i++)
		kn[i] = sysfs_get_dirent(st->kobj.sd,
					 kuipc_sysfs_attrs[i]->name);

	/*
	 * Remove the files now, waiting for show()/store() calls in progress;
	 * then drop our reference, which frees the state. With
	 * CONFIG_DEBUG_KOBJECT_RELEASE the release is deferred by a few
	 * seconds, so wait for it: release() is code of this module.
	 */
	kobject_del(&st->kobj);
	for (i = 0; i < ARRAY_SIZE(kn); i++) {
		if (kn[i]) {
			sysfs_notify_dirent(kn[i]);
			sysfs_put(kn[i]);
		}
	}
	kobject_put(&st->kobj);
	wait_for_completion(&state_released);
	kuipc_state = NULL;
	pr_info("unloaded\n");
}

module_init(kuipc_sysfs_init);
module_exit(kuipc_sysfs_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("kuipc sysfs pair: kobject attributes, module parameters");
