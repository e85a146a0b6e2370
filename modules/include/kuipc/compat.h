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

#endif /* _KUIPC_COMPAT_H */
