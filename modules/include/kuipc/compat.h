/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kuipc/compat.h - the one place where kernel version differences live.
 *
 * Module sources never test LINUX_VERSION_CODE themselves: every API that
 * changed between the supported kernels (6.1, 6.12 and the newest) gets a
 * shim here, with a note of which kernel changed what.
 */
#ifndef _KUIPC_COMPAT_H
#define _KUIPC_COMPAT_H

#include <linux/version.h>

/*
 * sysctl tables.
 * - 6.11 made the table argument of every proc_handler const ("sysctl:
 *   treewide: constify the ctl_table argument of proc_handlers"). Write a
 *   handler as  int h(KUIPC_CTL_TABLE_CONST struct ctl_table *table, ...).
 * - Up to 6.5 register_sysctl() walks the table to an empty entry; 6.6 made
 *   it a macro passing ARRAY_SIZE(table) to register_sysctl_sz(), and since
 *   6.11 ("sysctl: Remove check for sentinel element in ctl_table arrays")
 *   an empty entry is an entry without a name that fails the registration.
 *   End a table with KUIPC_SYSCTL_TABLE_END.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define KUIPC_CTL_TABLE_CONST const
#define KUIPC_SYSCTL_TABLE_END
#else
#define KUIPC_CTL_TABLE_CONST
#define KUIPC_SYSCTL_TABLE_END { }
#endif

#endif /* _KUIPC_COMPAT_H */
