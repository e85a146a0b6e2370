/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/sysfs.h - the ABI of kuipc_sysfs.ko, shared with its client.
 *
 * The module adds the directory KUIPC_SYSFS_DIR_PATH (a kobject under
 * /sys/kernel) holding one text value per file. Every read returns the value
 * followed by one newline. Every write must carry the whole new value in one
 * write() call; the file offset is ignored. A rejected write changes nothing.
 *
 * value   (KUIPC_SYSFS_VALUE_MODE)  a decimal int in
 *	   [KUIPC_SYSFS_VALUE_MIN, KUIPC_SYSFS_VALUE_MAX], initially
 *	   KUIPC_SYSFS_VALUE_DEFAULT. Accepts an optional sign and one trailing
 *	   newline ("42", "-7\n"); no other base, no other spaces.
 *	   Malformed or out of range -> EINVAL.
 * label   (KUIPC_SYSFS_LABEL_MODE)  a string of at most KUIPC_SYSFS_LABEL_MAX
 *	   bytes, initially KUIPC_SYSFS_LABEL_DEFAULT. One trailing newline of
 *	   the write is dropped, so "echo name > label" stores "name". The
 *	   empty string is allowed ("echo > label"). Longer than the limit or
 *	   containing a control byte (below 0x20, or 0x7f; this includes NUL
 *	   and an inner newline) -> EINVAL.
 * writes  (KUIPC_SYSFS_WRITES_MODE, read-only)  how many writes to value and
 *	   label were accepted since the module was loaded (unsigned 64 bit).
 * event   (KUIPC_SYSFS_EVENT_MODE, read-only)  an unsigned 64-bit counter the
 *	   module advances by itself, by the "step" parameter each time: once
 *	   per write to trigger, and every "tick_ms" milliseconds while that
 *	   parameter is not KUIPC_SYSFS_TICK_MS_OFF.
 * trigger (KUIPC_SYSFS_TRIGGER_MODE, write-only)  writing
 *	   KUIPC_SYSFS_TRIGGER_FIRE ("1" or "1\n") advances event once and
 *	   returns after the notification was sent. Anything else, including
 *	   "+1" and "01" -> EINVAL.
 *
 * A write of zero bytes never reaches the module: it returns 0 and changes
 * nothing. sysfs cuts a write longer than a page to its first page without
 * telling the module, so a write of a page or more fails with EINVAL (also
 * for the parameters), even when its first page alone would be valid.
 * Opening a file in a direction its mode lacks fails with EACCES, for root
 * too; a user other than root can open none of them for writing (EACCES).
 *
 * Notifications: after every change of value, label or event the module
 * calls sysfs_notify() on that file. To wait for one: open the file, read
 * it, then poll() it for POLLPRI (sysfs reports POLLPRI | POLLERR); after
 * each wake-up read it again from offset 0 (pread), which also re-arms the
 * poll. A change between the read and the poll() is not lost: poll() then
 * returns at once. When the module is unloaded, a poll() blocked on one of
 * its files returns too, and the next read fails with ENODEV (as does any
 * use of a descriptor that was open across the unload: an open file does
 * not keep the module loaded).
 *
 * Module parameters, under KUIPC_SYSFS_PARAMS_PATH, writable by root at
 * run time and settable at load time ("step=3 tick_ms=100"). A bad value
 * written at run time gives EINVAL and keeps the old one; a bad value at
 * load time makes finit_module() fail with EINVAL.
 * step     event increment, [KUIPC_SYSFS_STEP_MIN, KUIPC_SYSFS_STEP_MAX],
 *	    default KUIPC_SYSFS_STEP_DEFAULT.
 * tick_ms  period of the automatic event advance in milliseconds:
 *	    KUIPC_SYSFS_TICK_MS_OFF (the default) or a value in
 *	    [KUIPC_SYSFS_TICK_MS_MIN, KUIPC_SYSFS_TICK_MS_MAX].
 */
#ifndef _UAPI_KUIPC_SYSFS_H
#define _UAPI_KUIPC_SYSFS_H

#include <linux/types.h>

/* Module name (also its directory under /sys/module). */
#define KUIPC_SYSFS_MODULE "kuipc_sysfs"

/* The kobject's directory under /sys/kernel. */
#define KUIPC_SYSFS_DIR "kuipc_sysfs"
#define KUIPC_SYSFS_DIR_PATH "/sys/kernel/" KUIPC_SYSFS_DIR

/* Attribute names, their paths and their permission bits. */
#define KUIPC_SYSFS_VALUE "value"
#define KUIPC_SYSFS_LABEL "label"
#define KUIPC_SYSFS_WRITES "writes"
#define KUIPC_SYSFS_EVENT "event"
#define KUIPC_SYSFS_TRIGGER "trigger"

#define KUIPC_SYSFS_VALUE_PATH KUIPC_SYSFS_DIR_PATH "/" KUIPC_SYSFS_VALUE
#define KUIPC_SYSFS_LABEL_PATH KUIPC_SYSFS_DIR_PATH "/" KUIPC_SYSFS_LABEL
#define KUIPC_SYSFS_WRITES_PATH KUIPC_SYSFS_DIR_PATH "/" KUIPC_SYSFS_WRITES
#define KUIPC_SYSFS_EVENT_PATH KUIPC_SYSFS_DIR_PATH "/" KUIPC_SYSFS_EVENT
#define KUIPC_SYSFS_TRIGGER_PATH KUIPC_SYSFS_DIR_PATH "/" KUIPC_SYSFS_TRIGGER

#define KUIPC_SYSFS_VALUE_MODE 0644
#define KUIPC_SYSFS_LABEL_MODE 0644
#define KUIPC_SYSFS_WRITES_MODE 0444
#define KUIPC_SYSFS_EVENT_MODE 0444
#define KUIPC_SYSFS_TRIGGER_MODE 0200

/* value: range and initial value. */
#define KUIPC_SYSFS_VALUE_MIN (-1000)
#define KUIPC_SYSFS_VALUE_MAX 1000
#define KUIPC_SYSFS_VALUE_DEFAULT 0

/* label: longest accepted string (bytes, without the newline) and initial. */
#define KUIPC_SYSFS_LABEL_MAX 32
#define KUIPC_SYSFS_LABEL_DEFAULT "kuipc"

/* trigger: the one value it accepts. */
#define KUIPC_SYSFS_TRIGGER_FIRE 1

/* Module parameters: directory, names, ranges, defaults. */
#define KUIPC_SYSFS_PARAMS_PATH "/sys/module/" KUIPC_SYSFS_MODULE "/parameters"
#define KUIPC_SYSFS_PARAM_STEP "step"
#define KUIPC_SYSFS_PARAM_TICK_MS "tick_ms"
#define KUIPC_SYSFS_STEP_PATH \
	KUIPC_SYSFS_PARAMS_PATH "/" KUIPC_SYSFS_PARAM_STEP
#define KUIPC_SYSFS_TICK_MS_PATH \
	KUIPC_SYSFS_PARAMS_PATH "/" KUIPC_SYSFS_PARAM_TICK_MS
#define KUIPC_SYSFS_PARAM_MODE 0644

#define KUIPC_SYSFS_STEP_MIN 1
#define KUIPC_SYSFS_STEP_MAX 100
#define KUIPC_SYSFS_STEP_DEFAULT 1

#define KUIPC_SYSFS_TICK_MS_OFF 0
#define KUIPC_SYSFS_TICK_MS_MIN 10
#define KUIPC_SYSFS_TICK_MS_MAX 60000

#endif /* _UAPI_KUIPC_SYSFS_H */
