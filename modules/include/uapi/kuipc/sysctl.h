/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/sysctl.h - the ABI of kuipc_sysctl.ko, shared with its client.
 *
 * The module registers one sysctl table in the directory KUIPC_SYSCTL_DIR
 * under /proc/sys, so the sysctl(8) keys are "kuipc.value", "kuipc.name" and
 * "kuipc.enabled". All three files have mode KUIPC_SYSCTL_MODE: anyone may
 * read, only root (euid 0) may write. Every value is written and read as
 * text, one value per file; a read ends with "\n".
 *
 * KUIPC_SYSCTL_VALUE_PATH: an int, from KUIPC_SYSCTL_VALUE_MIN to
 *	KUIPC_SYSCTL_VALUE_MAX inclusive, KUIPC_SYSCTL_VALUE_DEFAULT at load.
 *	The kernel's number parser takes blanks around the number and base
 *	prefixes: "42", " 42\n", "0x2a" and "052" all mean 42.
 *	Out of range, not a number, more than one word ("5 6") or empty ->
 *	EINVAL, value unchanged.
 *
 * KUIPC_SYSCTL_NAME_PATH: a string of at most KUIPC_SYSCTL_NAME_MAX bytes,
 *	KUIPC_SYSCTL_NAME_DEFAULT at load. A write stores the bytes up to the
 *	first "\n" or NUL, or up to the end of the write. Longer than
 *	KUIPC_SYSCTL_NAME_MAX -> EINVAL, name unchanged (plain
 *	proc_dostring() would cut it silently). Writes and reads of the whole
 *	name are atomic: a reader never sees a mix of two names.
 *
 * KUIPC_SYSCTL_ENABLED_PATH: a boolean, "0" or "1",
 *	KUIPC_SYSCTL_ENABLED_DEFAULT at load. Any other number (also "2" or
 *	"-1"), not a number, more than one word ("0 1") or empty -> EINVAL,
 *	value unchanged.
 *
 * With kernel.sysctl_writes_strict = 1 (the default since Linux 4.5) a write
 * at a file position other than 0 does nothing to "value" and "enabled",
 * and continues the string of "name" at that position (a position past its
 * end does nothing). Such writes still report every byte as written.
 */
#ifndef _UAPI_KUIPC_SYSCTL_H
#define _UAPI_KUIPC_SYSCTL_H

#include <linux/types.h>

/* The directory under /proc/sys and the entries in it. */
#define KUIPC_SYSCTL_DIR "kuipc"
#define KUIPC_SYSCTL_VALUE "value"
#define KUIPC_SYSCTL_NAME "name"
#define KUIPC_SYSCTL_ENABLED "enabled"

#define KUIPC_SYSCTL_DIR_PATH "/proc/sys/" KUIPC_SYSCTL_DIR
#define KUIPC_SYSCTL_VALUE_PATH KUIPC_SYSCTL_DIR_PATH "/" KUIPC_SYSCTL_VALUE
#define KUIPC_SYSCTL_NAME_PATH KUIPC_SYSCTL_DIR_PATH "/" KUIPC_SYSCTL_NAME
#define KUIPC_SYSCTL_ENABLED_PATH \
	KUIPC_SYSCTL_DIR_PATH "/" KUIPC_SYSCTL_ENABLED

/* Permission bits of the three files. */
#define KUIPC_SYSCTL_MODE 0644

/* "value": range and value at load. */
#define KUIPC_SYSCTL_VALUE_MIN 0
#define KUIPC_SYSCTL_VALUE_MAX 1000
#define KUIPC_SYSCTL_VALUE_DEFAULT 100

/* "name": longest name in bytes (without a terminating NUL), and at load. */
#define KUIPC_SYSCTL_NAME_MAX 31
#define KUIPC_SYSCTL_NAME_DEFAULT "kuipc"

/* "enabled": at load. */
#define KUIPC_SYSCTL_ENABLED_DEFAULT 0

#endif /* _UAPI_KUIPC_SYSCTL_H */
