/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/configfs.h - the ABI of kuipc_configfs.ko, shared with its client.
 *
 * The module registers a configfs subsystem; it needs configfs (built in
 * or configfs.ko) to load. configfs must also be mounted at
 * KUIPC_CONFIGFS_MOUNT (mount -t configfs none /sys/kernel/config): the
 * module loads without that, but nothing is reachable until it is.
 *
 * KUIPC_CONFIGFS_SUBSYS_PATH/               (directory 0755, owner root)
 *	summary    (KUIPC_CONFIGFS_RO_MODE) what the kernel holds, one
 *		   consistent snapshot per open():
 *		   one line KUIPC_CONFIGFS_SUMMARY_HEAD_FMT with the number of
 *		   items and the number of item structures allocated and not
 *		   yet released (equal once no rmdir is in progress), then
 *		   one line KUIPC_CONFIGFS_SUMMARY_ITEM_FMT (name, value) per
 *		   item, oldest first. Always shorter than 4096 bytes.
 *	settings/  a default group, there from load to unload:
 *		   rmdir(2) of it, or mkdir(2) inside it -> EPERM
 *	  initial  (KUIPC_CONFIGFS_RW_MODE) the value new items start with;
 *		   KUIPC_CONFIGFS_INITIAL_DEFAULT after load. Written like
 *		   value (same syntax, range and errors). Changing it does not
 *		   change items that exist.
 *	<name>/    an item: mkdir(2) creates it, rmdir(2) destroys it
 *	  value    (KUIPC_CONFIGFS_RW_MODE) an integer, printed as "%d\n"
 *
 * mkdir(2) in the subsystem directory, in the order checked:
 *	not privileged (no write permission on the directory)  -> EACCES
 *	name longer than NAME_MAX (255)           -> ENAMETOOLONG (the VFS)
 *	name already taken, including "settings"  -> EEXIST (the VFS)
 *	name longer than KUIPC_CONFIGFS_NAME_MAX  -> ENAMETOOLONG
 *	a byte of the name fails kuipc_configfs_name_char_ok() -> EINVAL
 *	KUIPC_CONFIGFS_MAX_ITEMS items exist      -> ENOSPC
 *	success: the item's value is the current settings/initial.
 * rmdir(2) of an item: gone from the directory and from summary when rmdir
 *	returns, its memory released. A descriptor still open on its value
 *	file then fails write(), and a first read(), with ENOENT.
 *
 * write(2) to value or initial: each write() call is parsed on its own,
 * whatever the file offset, and either stores the value and returns the
 * whole count, or stores nothing and fails:
 *	accepted syntax: optional '+' or '-', decimal digits, at most one
 *		trailing '\n': "42", "-7\n", "+3", "007"
 *	anything else, of any length -> EINVAL ("\n", "abc", "1.5", "0x10",
 *		" 4", "4 ", "4\n\n", "4\0009", "99999999999x")
 *	more than KUIPC_CONFIGFS_WRITE_MAX bytes in one write() -> EINVAL
 *		(configfs cuts a write() at 4095 bytes without telling the
 *		module, so a longer text could otherwise pass as its head)
 *	a decimal integer outside [KUIPC_CONFIGFS_VALUE_MIN,
 *		KUIPC_CONFIGFS_VALUE_MAX], including ones beyond int -> ERANGE
 *	not privileged (the file is 0644, owner root) -> EACCES at open()
 *	a write() of 0 bytes -> EFAULT (configfs itself, without calling
 *		the module; seen on 6.1 and 6.12)
 *	a buffer that faults part-way: configfs passes the module only the
 *		bytes it could copy, so "42" followed by an unmapped page
 *		stores 42 and returns 2 (a short count, not EFAULT); one that
 *		faults at its first byte -> EFAULT, nothing stored
 *
 * While any item exists, or any attribute file of the subsystem is open,
 * configfs holds a reference on the module: delete_module(2) fails with
 * EWOULDBLOCK (== EAGAIN) under O_NONBLOCK.
 */
#ifndef _UAPI_KUIPC_CONFIGFS_H
#define _UAPI_KUIPC_CONFIGFS_H

#include <linux/types.h>

/* Where configfs is mounted, and the names below it. */
#define KUIPC_CONFIGFS_MOUNT "/sys/kernel/config"
#define KUIPC_CONFIGFS_SUBSYS "kuipc_configfs"
#define KUIPC_CONFIGFS_SUMMARY "summary"
#define KUIPC_CONFIGFS_SETTINGS "settings"
#define KUIPC_CONFIGFS_INITIAL "initial"
#define KUIPC_CONFIGFS_VALUE "value"

#define KUIPC_CONFIGFS_SUBSYS_PATH \
	KUIPC_CONFIGFS_MOUNT "/" KUIPC_CONFIGFS_SUBSYS
#define KUIPC_CONFIGFS_SUMMARY_PATH \
	KUIPC_CONFIGFS_SUBSYS_PATH "/" KUIPC_CONFIGFS_SUMMARY
#define KUIPC_CONFIGFS_SETTINGS_PATH \
	KUIPC_CONFIGFS_SUBSYS_PATH "/" KUIPC_CONFIGFS_SETTINGS
#define KUIPC_CONFIGFS_INITIAL_PATH \
	KUIPC_CONFIGFS_SETTINGS_PATH "/" KUIPC_CONFIGFS_INITIAL

/* Permission bits configfs gives the attribute files (see configfs.h). */
#define KUIPC_CONFIGFS_RW_MODE 0644
#define KUIPC_CONFIGFS_RO_MODE 0444

/* Item names: at most this many bytes, each passing the test below. */
#define KUIPC_CONFIGFS_NAME_MAX 32U

/* The longest write() to value or initial that is parsed at all. */
#define KUIPC_CONFIGFS_WRITE_MAX 4094U

/* At most this many items exist at a time. */
#define KUIPC_CONFIGFS_MAX_ITEMS 64U

/* The range of value and initial, both ends included. */
#define KUIPC_CONFIGFS_VALUE_MIN (-1000000)
#define KUIPC_CONFIGFS_VALUE_MAX 1000000

/* settings/initial after the module is loaded. */
#define KUIPC_CONFIGFS_INITIAL_DEFAULT 0

/* The lines of summary: the head (items, allocated), then one per item. */
#define KUIPC_CONFIGFS_SUMMARY_HEAD_FMT "items %u allocated %u\n"
#define KUIPC_CONFIGFS_SUMMARY_ITEM_FMT "%s %d\n"

/*
 * Nonzero when c may appear in an item name: ASCII letters, digits, '_'
 * and '-'. Names thus never contain a space or a newline, and each line of
 * summary splits at its one space.
 */
static __inline__ int kuipc_configfs_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

#endif /* _UAPI_KUIPC_CONFIGFS_H */
