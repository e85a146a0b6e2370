// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_configfs - the configfs pair of kuipc: user space creates kernel
 * objects with mkdir(2), sets them up through attribute files and destroys
 * them with rmdir(2).
 *
 *   /sys/kernel/config/kuipc_configfs/                 the subsystem
 *   /sys/kernel/config/kuipc_configfs/summary          what the kernel holds
 *   /sys/kernel/config/kuipc_configfs/settings/initial a default group
 *   /sys/kernel/config/kuipc_configfs/<name>/value     an item (mkdir)
 *
 * The exact ABI (names, limits, formats, every errno) is documented in
 * include/uapi/kuipc/configfs.h.
 *
 * Locking: configfs calls make_item() and drop_item() with su_mutex held,
 * and su_mutex is what protects the children list of the subsystem's group
 * (Documentation/filesystems/configfs.rst). This module keeps all of its
 * other state under the same mutex too: nr_items, initial_value and every
 * item's value. summary is thus one consistent snapshot. Taking su_mutex
 * in show() and store() cannot deadlock: configfs never waits for attribute
 * I/O while holding it (rmdir marks the item's files dead, waiting for
 * running show()/store() calls, before it takes su_mutex).
 *
 * Lifetime: an item is allocated in make_item() with one reference, which
 * configfs drops through drop_item() on rmdir(2); the last put calls
 * release(), which frees it. Every item and every open attribute file holds
 * a reference on this module (ct_owner, ca_owner), so the module cannot be
 * unloaded while any exists, and the subsystem is empty at exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/string.h>

#include <uapi/kuipc/configfs.h>

/*
 * show() writes into a page, of which configfs accepts at most 4096 bytes
 * (SIMPLE_ATTR_SIZE in fs/configfs/file.c) on any page size.
 */
#define KUIPC_SHOW_MAX SZ_4K

/* Longest lines of summary: an int takes at most 11 characters. */
#define KUIPC_SUMMARY_HEAD_MAX (sizeof(KUIPC_CONFIGFS_SUMMARY_HEAD_FMT) + 20)
#define KUIPC_SUMMARY_ITEM_MAX (KUIPC_CONFIGFS_NAME_MAX + 1 + 11 + 1)

struct kuipc_configfs_item {
	struct config_item item;
	int value; /* under kuipc_configfs_subsys.su_mutex */
};

static inline struct kuipc_configfs_item *
kuipc_configfs_to_item(struct config_item *item)
{
	return container_of(item, struct kuipc_configfs_item, item);
}

/* Set up in kuipc_configfs_init(); su_mutex guards all the state below. */
static struct configfs_subsystem kuipc_configfs_subsys;

/* Items in the subsystem: make_item() adds, drop_item() removes. */
static unsigned int nr_items;
/* The value new items start with (settings/initial). */
static int initial_value = KUIPC_CONFIGFS_INITIAL_DEFAULT;
/* Items allocated and not yet released; release() runs without su_mutex. */
static atomic_t nr_allocated = ATOMIC_INIT(0);

/*
 * Parse a value written by user space. configfs hands store() a copy of the
 * count bytes written, NUL-terminated, but cut to their first 4095 bytes
 * (SIMPLE_ATTR_SIZE - 1) without telling: a count beyond
 * KUIPC_CONFIGFS_WRITE_MAX may be the head of a longer text and is -EINVAL.
 * The syntax is checked over all count bytes first: anything but an
 * optionally signed decimal integer with at most one trailing newline is
 * -EINVAL, however long, and a NUL cannot hide what follows it.
 * kstrtoint() then fails only on overflow, with -ERANGE.
 */
static int kuipc_configfs_parse_value(const char *page, size_t count, int *out)
{
	size_t i = 0;
	int value;
	int ret;

	if (count > KUIPC_CONFIGFS_WRITE_MAX)
		return -EINVAL;
	if (count && page[count - 1] == '\n')
		count--;
	if (i < count && (page[i] == '+' || page[i] == '-'))
		i++;
	if (i == count)
		return -EINVAL;
	for (; i < count; i++)
		if (!isdigit(page[i]))
			return -EINVAL;

	ret = kstrtoint(page, 10, &value);
	if (ret)
		return ret;
	if (value < KUIPC_CONFIGFS_VALUE_MIN ||
	    value > KUIPC_CONFIGFS_VALUE_MAX)
		return -ERANGE;
	*out = value;
	return 0;
}

/* ---- an item: <name>/value ---------------------------------------------- */

static ssize_t kuipc_configfs_item_value_show(struct config_item *item,
					      char *page)
{
	int value;

	mutex_lock(&kuipc_configfs_subsys.su_mutex);
	value = kuipc_configfs_to_item(item)->value;
	mutex_unlock(&kuipc_configfs_subsys.su_mutex);

	return scnprintf(page, KUIPC_SHOW_MAX, "%d\n", value);
}

static ssize_t kuipc_configfs_item_value_store(struct config_item *item,
					       const char *page, size_t count)
{
	int value;
	int ret;

	ret = kuipc_configfs_parse_value(page, count, &value);
	if (ret) {
		pr_debug("%s: value: %zu bytes refused: %d\n",
			 config_item_name(item), count, ret);
		return ret;
	}

	mutex_lock(&kuipc_configfs_subsys.su_mutex);
	kuipc_configfs_to_item(item)->value = value;
	mutex_unlock(&kuipc_configfs_subsys.su_mutex);

	pr_debug("%s: value = %d\n", config_item_name(item), value);
	return count;
}

CONFIGFS_ATTR(kuipc_configfs_item_, value);

static struct configfs_attribute *kuipc_configfs_item_attrs[] = {
	&kuipc_configfs_item_attr_value,
	NULL,
};

/* Called when the last reference to the item is dropped. */
static void kuipc_configfs_item_release(struct config_item *item)
{
	kfree(kuipc_configfs_to_item(item));
	atomic_dec(&nr_allocated);
	pr_debug("item released, %d allocated\n", atomic_read(&nr_allocated));
}

/* Not const: ct_item_ops is a non-const pointer before 7.x. */
static struct configfs_item_operations kuipc_configfs_item_ops = {
	.release = kuipc_configfs_item_release,
};

static const struct config_item_type kuipc_configfs_item_type = {
	.ct_item_ops = &kuipc_configfs_item_ops,
	.ct_attrs = kuipc_configfs_item_attrs,
	.ct_owner = THIS_MODULE,
};

/* ---- the default group: settings/initial -------------------------------- */

static ssize_t kuipc_configfs_settings_initial_show(struct config_item *item,
						    char *page)
{
	int value;

	mutex_lock(&kuipc_configfs_subsys.su_mutex);
	value = initial_value;
	mutex_unlock(&kuipc_configfs_subsys.su_mutex);

	return scnprintf(page, KUIPC_SHOW_MAX, "%d\n", value);
}

static ssize_t kuipc_configfs_settings_initial_store(struct config_item *item,
						     const char *page,
						     size_t count)
{
	int value;
	int ret;

	ret = kuipc_configfs_parse_value(page, count, &value);
	if (ret) {
		pr_debug("initial: %zu bytes refused: %d\n", count, ret);
		return ret;
	}

	mutex_lock(&kuipc_configfs_subsys.su_mutex);
	initial_value = value;
	mutex_unlock(&kuipc_configfs_subsys.su_mutex);

	pr_debug("initial = %d\n", value);
	return count;
}

CONFIGFS_ATTR(kuipc_configfs_settings_, initial);

static struct configfs_attribute *kuipc_configfs_settings_attrs[] = {
	&kuipc_configfs_settings_attr_initial,
	NULL,
};

/* No group operations: mkdir(2) inside it fails with EPERM. */
static const struct config_item_type kuipc_configfs_settings_type = {
	.ct_attrs = kuipc_configfs_settings_attrs,
	.ct_owner = THIS_MODULE,
};

/* Static: configfs unlinks default groups when the subsystem goes away. */
static struct config_group kuipc_configfs_settings_group;

/* ---- the subsystem: mkdir/rmdir and summary ----------------------------- */

static bool kuipc_configfs_name_ok(const char *name)
{
	const char *c;

	for (c = name; *c; c++)
		if (!kuipc_configfs_name_char_ok(*c))
			return false;
	return true;
}

/* mkdir(2): configfs holds su_mutex. */
static struct config_item *kuipc_configfs_make_item(struct config_group *group,
						    const char *name)
{
	struct kuipc_configfs_item *kitem;

	lockdep_assert_held(&kuipc_configfs_subsys.su_mutex);

	if (strnlen(name, KUIPC_CONFIGFS_NAME_MAX + 1) >
	    KUIPC_CONFIGFS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	if (!kuipc_configfs_name_ok(name))
		return ERR_PTR(-EINVAL);
	if (nr_items >= KUIPC_CONFIGFS_MAX_ITEMS)
		return ERR_PTR(-ENOSPC);

	kitem = kzalloc(sizeof(*kitem), GFP_KERNEL);
	if (!kitem)
		return ERR_PTR(-ENOMEM);
	atomic_inc(&nr_allocated);

	/*
	 * Names longer than CONFIGFS_ITEM_NAME_LEN - 1 are kmalloc()ed, and
	 * config_item_init_type_name() does not report that failing. The put
	 * frees everything through kuipc_configfs_item_release().
	 */
	config_item_init_type_name(&kitem->item, name,
				   &kuipc_configfs_item_type);
	if (!config_item_name(&kitem->item)) {
		config_item_put(&kitem->item);
		return ERR_PTR(-ENOMEM);
	}

	kitem->value = initial_value;
	nr_items++;
	pr_debug("mkdir %s: value = %d, %u items\n", name, kitem->value,
		 nr_items);
	return &kitem->item;
}

/*
 * rmdir(2), or a mkdir(2) that failed after make_item(): configfs holds
 * su_mutex. Dropping the reference make_item() returned frees the item now,
 * or when the last other holder of a reference lets go of it.
 */
static void kuipc_configfs_drop_item(struct config_group *group,
				     struct config_item *item)
{
	lockdep_assert_held(&kuipc_configfs_subsys.su_mutex);

	nr_items--;
	pr_debug("rmdir %s: %u items\n", config_item_name(item), nr_items);
	config_item_put(item);
}

static ssize_t kuipc_configfs_subsys_summary_show(struct config_item *item,
						  char *page)
{
	struct config_item *child;
	size_t len;

	/* Every line fits: nothing is ever cut off. */
	BUILD_BUG_ON(KUIPC_SUMMARY_HEAD_MAX +
		     KUIPC_CONFIGFS_MAX_ITEMS * KUIPC_SUMMARY_ITEM_MAX >
		     KUIPC_SHOW_MAX);

	mutex_lock(&kuipc_configfs_subsys.su_mutex);
	len = scnprintf(page, KUIPC_SHOW_MAX, KUIPC_CONFIGFS_SUMMARY_HEAD_FMT,
			nr_items, (unsigned int)atomic_read(&nr_allocated));
	list_for_each_entry(child, &kuipc_configfs_subsys.su_group.cg_children,
			    ci_entry) {
		/* The settings default group is a child too. */
		if (child->ci_type != &kuipc_configfs_item_type)
			continue;
		len += scnprintf(page + len, KUIPC_SHOW_MAX - len,
				 KUIPC_CONFIGFS_SUMMARY_ITEM_FMT,
				 config_item_name(child),
				 kuipc_configfs_to_item(child)->value);
	}
	mutex_unlock(&kuipc_configfs_subsys.su_mutex);

	return len;
}

CONFIGFS_ATTR_RO(kuipc_configfs_subsys_, summary);

static struct configfs_attribute *kuipc_configfs_subsys_attrs[] = {
	&kuipc_configfs_subsys_attr_summary,
	NULL,
};

/* Not const: ct_group_ops is a non-const pointer before 7.x. */
static struct configfs_group_operations kuipc_configfs_subsys_group_ops = {
	.make_item = kuipc_configfs_make_item,
	.drop_item = kuipc_configfs_drop_item,
};

static const struct config_item_type kuipc_configfs_subsys_type = {
	.ct_group_ops = &kuipc_configfs_subsys_group_ops,
	.ct_attrs = kuipc_configfs_subsys_attrs,
	.ct_owner = THIS_MODULE,
};

/* ---- load and unload ---------------------------------------------------- */

static int __init kuipc_configfs_init(void)
{
	int ret;

	/*
	 * The modes the uapi header promises (0644, 0444) are those
	 * CONFIGFS_ATTR() and CONFIGFS_ATTR_RO() set; the suite checks them
	 * on the files themselves.
	 */
	/* A write of WRITE_MAX + 1 bytes is the longest configfs passes. */
	BUILD_BUG_ON(KUIPC_CONFIGFS_WRITE_MAX + 2 != KUIPC_SHOW_MAX);
	/* Default names fit the inline buffer: no allocation to fail. */
	BUILD_BUG_ON(sizeof(KUIPC_CONFIGFS_SUBSYS) > CONFIGFS_ITEM_NAME_LEN);
	BUILD_BUG_ON(sizeof(KUIPC_CONFIGFS_SETTINGS) > CONFIGFS_ITEM_NAME_LEN);

	config_group_init_type_name(&kuipc_configfs_subsys.su_group,
				    KUIPC_CONFIGFS_SUBSYS,
				    &kuipc_configfs_subsys_type);
	mutex_init(&kuipc_configfs_subsys.su_mutex);

	config_group_init_type_name(&kuipc_configfs_settings_group,
				    KUIPC_CONFIGFS_SETTINGS,
				    &kuipc_configfs_settings_type);
	configfs_add_default_group(&kuipc_configfs_settings_group,
				   &kuipc_configfs_subsys.su_group);

	ret = configfs_register_subsystem(&kuipc_configfs_subsys);
	if (ret) {
		pr_err("cannot register the configfs subsystem: %d\n", ret);
		goto err_mutex;
	}

	pr_info("loaded: %s\n", KUIPC_CONFIGFS_SUBSYS_PATH);
	return 0;

err_mutex:
	mutex_destroy(&kuipc_configfs_subsys.su_mutex);
	return ret;
}

static void __exit kuipc_configfs_exit(void)
{
	/* No item exists: each would hold a reference on this module. */
	configfs_unregister_subsystem(&kuipc_configfs_subsys);
	mutex_destroy(&kuipc_configfs_subsys.su_mutex);
	pr_info("unloaded\n");
}

module_init(kuipc_configfs_init);
module_exit(kuipc_configfs_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("configfs example: items made by mkdir(2), and a summary");
