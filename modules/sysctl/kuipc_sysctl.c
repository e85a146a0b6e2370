// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_sysctl - the sysctl pair of kuipc: three tunables under
 * /proc/sys/kuipc/, read and written with sysctl(8) or plain read()/write().
 *
 *   value    an int in a range   proc_dointvec_minmax(), extra1/extra2
 *   enabled  0 or 1              proc_douintvec_minmax(), SYSCTL_ZERO/ONE
 *   name     a bounded string    proc_dostring() on a copy, under a mutex
 *
 * The kernel's stock handlers parse the text, check the range and store the
 * number with a single WRITE_ONCE(). They stop after one number, though, and
 * take what follows it without complaint, so "value" and "enabled" get a
 * three-line check in front of them. "name" needs a short handler:
 * proc_dostring() copies byte by byte without a lock, so two writers could
 * leave a mix of both strings (a name nobody wrote) and a reader could see
 * half a write; and it cuts a string that does not fit without telling the
 * writer.
 *
 * The exact ABI (paths, modes, ranges, errno values) is documented in
 * include/uapi/kuipc/sysctl.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <linux/types.h>

#include <kuipc/compat.h>
#include <uapi/kuipc/sysctl.h>

/*
 * "value". extra1/extra2 are plain void pointers, but proc_dointvec_minmax()
 * only reads the ints behind them, so the bounds can be const (the kernel's
 * own SYSCTL_ZERO and friends are casts of a const array too).
 */
static int kuipc_value = KUIPC_SYSCTL_VALUE_DEFAULT;
static const int kuipc_value_min = KUIPC_SYSCTL_VALUE_MIN;
static const int kuipc_value_max = KUIPC_SYSCTL_VALUE_MAX;

/*
 * "enabled". Not proc_dobool(): up to 6.2 it wants .maxlen == sizeof(int)
 * for a bool (and refuses every write when given sizeof(bool)), from 6.3 on
 * exactly sizeof(bool). An unsigned int limited to 0..1 means the same on
 * every kernel, and refuses "2" instead of reading it as true.
 */
static unsigned int kuipc_enabled = KUIPC_SYSCTL_ENABLED_DEFAULT;

/*
 * True when the len bytes of buf are more than one word between blanks.
 *
 * proc_dointvec_minmax() parses one number and stops: "5 6" sets 5 and the
 * write reports 2 of its 4 bytes done (echo then writes "6\n" at position
 * 2, which strict mode ignores, so the shell sees success).
 * proc_douintvec_minmax() skips the blanks after the number and reports
 * every byte done, so "0 1" and "1 x" pass whole. A write of more than one
 * word is refused before either handler sees it.
 */
static bool kuipc_sysctl_several_words(const struct ctl_table *table,
				       const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && isspace(buf[i]))
		i++;
	while (i < len && !isspace(buf[i]))
		i++;
	while (i < len && isspace(buf[i]))
		i++;
	if (i == len)
		return false;
	pr_debug("%s: refused a second word at byte %zu\n", table->procname,
		 i);
	return true;
}

static int
kuipc_sysctl_value_handler(KUIPC_CTL_TABLE_CONST struct ctl_table *table,
			   int write, void *buffer, size_t *lenp, loff_t *ppos)
{
	if (write && kuipc_sysctl_several_words(table, buffer, *lenp))
		return -EINVAL;
	return proc_dointvec_minmax(table, write, buffer, lenp, ppos);
}

static int
kuipc_sysctl_enabled_handler(KUIPC_CTL_TABLE_CONST struct ctl_table *table,
			     int write, void *buffer, size_t *lenp,
			     loff_t *ppos)
{
	if (write && kuipc_sysctl_several_words(table, buffer, *lenp))
		return -EINVAL;
	return proc_douintvec_minmax(table, write, buffer, lenp, ppos);
}

/* "name". Read and written only with kuipc_name_lock held. */
static DEFINE_MUTEX(kuipc_name_lock);
static char kuipc_name[KUIPC_SYSCTL_NAME_MAX + 1] = KUIPC_SYSCTL_NAME_DEFAULT;

/*
 * The proc_handler of "name". @buffer is a kernel buffer (the sysctl core
 * copies from and to user space around this call), so nothing here faults
 * or sleeps while the mutex is held.
 *
 * proc_dostring() works on a snapshot one byte larger than a name can be:
 * it keeps its usual semantics (stop at the first "\n" or NUL; with
 * sysctl_writes_strict, a write at a position continues the string there),
 * and a result that fills the extra byte was cut, so it is refused instead
 * of stored. The snapshot is copied back only when the write succeeded, so
 * a refused write changes nothing.
 */
static int
kuipc_sysctl_name_handler(KUIPC_CTL_TABLE_CONST struct ctl_table *table,
			  int write, void *buffer, size_t *lenp, loff_t *ppos)
{
	char tmp[KUIPC_SYSCTL_NAME_MAX + 2];
	struct ctl_table snap = *table;
	size_t count = *lenp;
	loff_t pos = *ppos;
	int ret;

	snap.data = tmp;
	snap.maxlen = sizeof(tmp);

	mutex_lock(&kuipc_name_lock);
	strscpy(tmp, kuipc_name, sizeof(tmp));
	ret = proc_dostring(&snap, write, buffer, lenp, ppos);
	if (!ret && write) {
		if (strlen(tmp) > KUIPC_SYSCTL_NAME_MAX)
			ret = -EINVAL;
		else
			strscpy(kuipc_name, tmp, sizeof(kuipc_name));
	}
	mutex_unlock(&kuipc_name_lock);

	if (ret)
		*ppos = pos;
	pr_debug("name: %s of %zu bytes at %lld: %d\n",
		 write ? "write" : "read", write ? count : *lenp, pos, ret);
	return ret;
}

/*
 * 6.1 walks the table up to the empty entry at its end; 6.6 and later take
 * the number of entries from ARRAY_SIZE() instead, and since 6.11 the empty
 * entry counts as an entry without a name, which fails the registration.
 * Const (read-only once loaded) on the kernels whose register_sysctl()
 * accepts that, from 6.13.
 */
static KUIPC_SYSCTL_TABLE_CONST struct ctl_table kuipc_sysctl_table[] = {
	{
		.procname	= KUIPC_SYSCTL_VALUE,
		.data		= &kuipc_value,
		.maxlen		= sizeof(kuipc_value),
		.mode		= KUIPC_SYSCTL_MODE,
		.proc_handler	= kuipc_sysctl_value_handler,
		.extra1		= (void *)&kuipc_value_min,
		.extra2		= (void *)&kuipc_value_max,
	},
	{
		.procname	= KUIPC_SYSCTL_NAME,
		.mode		= KUIPC_SYSCTL_MODE,
		.proc_handler	= kuipc_sysctl_name_handler,
	},
	{
		.procname	= KUIPC_SYSCTL_ENABLED,
		.data		= &kuipc_enabled,
		.maxlen		= sizeof(kuipc_enabled),
		.mode		= KUIPC_SYSCTL_MODE,
		.proc_handler	= kuipc_sysctl_enabled_handler,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	KUIPC_SYSCTL_TABLE_END
};

static struct ctl_table_header *kuipc_sysctl_header;

static int __init kuipc_sysctl_init(void)
{
	/*
	 * Creates /proc/sys/kuipc if needed and the files in it. NULL on any
	 * failure (out of memory, a malformed table, a name already taken);
	 * the kernel logs which one, the errno is not passed back.
	 */
	kuipc_sysctl_header = register_sysctl(KUIPC_SYSCTL_DIR,
					      kuipc_sysctl_table);
	if (!kuipc_sysctl_header) {
		pr_err("cannot register " KUIPC_SYSCTL_DIR_PATH "\n");
		return -ENOMEM;
	}

	pr_info("loaded: " KUIPC_SYSCTL_DIR_PATH "/{" KUIPC_SYSCTL_VALUE ","
		KUIPC_SYSCTL_NAME "," KUIPC_SYSCTL_ENABLED "}\n");
	return 0;
}

static void __exit kuipc_sysctl_exit(void)
{
	/*
	 * Removes the files and waits until every handler call in progress
	 * has returned. A descriptor still open gets ENOENT from now on, so
	 * nothing can reach this module's data after this line.
	 */
	unregister_sysctl_table(kuipc_sysctl_header);

	pr_info("unloaded: value %d, enabled %u\n", kuipc_value,
		kuipc_enabled);
}

module_init(kuipc_sysctl_init);
module_exit(kuipc_sysctl_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("kuipc sysctl pair: an int, a string and a bool");
