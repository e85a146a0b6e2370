/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/signal.h - ABI of the kuipc signal pair.
 *
 * kuipc_signal.ko registers the misc device KUIPC_SIGNAL_PATH. A process
 * registers, through an open file of the device, to receive a real-time
 * signal when an event happens; an event is a KUIPC_SIGNAL_TRIGGER ioctl
 * or a write() on the device, and carries a 32-bit payload. Every
 * registration receives every event.
 *
 * The signal, as signalfd(2) or sigwaitinfo(2) show it:
 *  - ssi_signo / si_signo: the registered signal number;
 *  - ssi_code / si_code: SI_QUEUE (as from sigqueue(3): so that the
 *    payload is part of the siginfo for every reader, signalfd and 32-bit
 *    callers included; SI_KERNEL would drop it);
 *  - ssi_int / si_value.sival_int: the payload;
 *  - ssi_pid, ssi_uid / si_pid, si_uid: the process that caused the event,
 *    as seen from the receiver's pid and user namespaces (0 for a pid
 *    outside the receiver's namespace).
 * Real-time signals queue: N events give N signals, in order, up to the
 * receiver's RLIMIT_SIGPENDING (beyond it the event counts as failed).
 *
 * Who gets it:
 *  - A process registration (flags 0) is delivered to the thread-group
 *    leader, i.e. the process's main thread: receive it there.
 *  - With KUIPC_SIGNAL_REG_THREAD, to the thread that registered.
 * Block the signal before registering (sigprocmask/pthread_sigmask) and
 * read it with signalfd(2) or sigwaitinfo(2): the default action of a
 * real-time signal is to terminate the process.
 *
 * Lifetime: a registration belongs to the open file (one per file) and
 * holds a reference to the process's struct pid, never a task pointer.
 * It ends with KUIPC_SIGNAL_UNREGISTER or when the last descriptor of the
 * file is closed (at the latest when the process exits). A registration
 * whose process (or thread) has exited, or has since called execve(), is
 * "gone": events skip it and count it in kuipc_signal_trigger.gone, and
 * KUIPC_SIGNAL_GET_REG reports status ESRCH. This happens when the file
 * outlives the process, e.g. a descriptor inherited by another process.
 *
 * Rights: the node is KUIPC_SIGNAL_MODE (0644, root:root), so anyone may
 * open it read-only and register, and only root may open it for writing.
 *  - REGISTER, UNREGISTER, GET_REG need a file opened for reading;
 *  - TRIGGER and write() need a file opened for writing;
 *  - otherwise EBADF, as read()/write() give for the wrong access mode.
 * Registering a process other than one's own needs the right to send it a
 * signal, as kill(2) checks it: same real or effective uid as the
 * target's real or saved uid, or CAP_KILL; else EPERM (and EPERM for a
 * kernel thread). A security module (LSM) may refuse it too, with its own
 * errno. A pid that names no process (or a thread, not a process) is
 * ESRCH.
 *
 * The right is checked again at every event, with the credentials the
 * registrant had at REGISTER (kept by the registration): a target whose
 * uids changed since (a set-uid program that went back to root) no
 * longer receives the signals of a registrant that kill(2) would refuse.
 * Events skip such a registration and count it in
 * kuipc_signal_trigger.refused; GET_REG reports status EPERM. It is
 * signalled again if the target's uids come back. A registration of the
 * caller's own process or thread is exempt from the uid rule (as kill(2)
 * lets a process signal itself), and so is one made with CAP_KILL over
 * the target's user namespace.
 *
 * One user (real uid of the registrant) holds at most
 * max_user_registrations registrations at once, a module parameter
 * (KUIPC_SIGNAL_USER_REGS_PATH, read-only once loaded, default
 * KUIPC_SIGNAL_USER_REGS_DEFAULT); one more REGISTER is ENOSPC, as
 * inotify_add_watch(2) and epoll_ctl(2) answer at their per-user limits.
 * Root is counted like any user.
 *
 * Every struct carries its own size: the caller sets .size to the sizeof()
 * it was compiled with and the module refuses any other value with EINVAL.
 * All fields are fixed width and naturally aligned with explicit padding,
 * so the layout is the same for 32-bit and 64-bit callers. Reserved and
 * output fields must be zero on input.
 */
#ifndef _UAPI_KUIPC_SIGNAL_H
#define _UAPI_KUIPC_SIGNAL_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The device node (a misc device, created by devtmpfs) and its mode. */
#define KUIPC_SIGNAL_NAME		"kuipc_signal"
#define KUIPC_SIGNAL_PATH		"/dev/" KUIPC_SIGNAL_NAME
#define KUIPC_SIGNAL_MODE		0644

/* The per-user limit on registrations: parameter, its file, default. */
#define KUIPC_SIGNAL_USER_REGS_PARAM	"max_user_registrations"
#define KUIPC_SIGNAL_USER_REGS_PATH \
	"/sys/module/" KUIPC_SIGNAL_NAME "/parameters/" \
	KUIPC_SIGNAL_USER_REGS_PARAM
#define KUIPC_SIGNAL_USER_REGS_DEFAULT	128

/*
 * The real-time signals as the kernel numbers them (SIGRTMIN, SIGRTMAX of
 * the kernel on x86, arm and most others); anything else is EINVAL. glibc
 * keeps 32 and 33 for itself and its SIGRTMIN is 34: C programs should
 * pick from SIGRTMIN..SIGRTMAX of <signal.h>.
 */
#define KUIPC_SIGNAL_SIGNO_MIN		32
#define KUIPC_SIGNAL_SIGNO_MAX		64

/*
 * write(): the payload as decimal text, an optional sign and one optional
 * trailing newline, at most this many bytes ("-2147483648\n" is 12).
 * Anything else is EINVAL, a value outside __s32 ERANGE.
 */
#define KUIPC_SIGNAL_WRITE_MAX		16

/* kuipc_signal_reg.flags: deliver to the registering thread only. */
#define KUIPC_SIGNAL_REG_THREAD		(1U << 0)
#define KUIPC_SIGNAL_REG_FLAGS		KUIPC_SIGNAL_REG_THREAD

/**
 * struct kuipc_signal_reg - a registration (REGISTER in, GET_REG out)
 * @size:	sizeof(struct kuipc_signal_reg)
 * @flags:	0 for the process, or KUIPC_SIGNAL_REG_THREAD
 * @signo:	KUIPC_SIGNAL_SIGNO_MIN..KUIPC_SIGNAL_SIGNO_MAX
 * @pid:	REGISTER: 0 for the caller's process, else the process id of
 *		another process (which the caller must be allowed to signal;
 *		not with KUIPC_SIGNAL_REG_THREAD). GET_REG: the registered
 *		process (or thread) id in the caller's pid namespace, 0 if it
 *		is not visible there.
 * @status:	GET_REG: 0 while events reach it, ESRCH once it is gone,
 *		EPERM while its registrant may not signal the target.
 *		REGISTER: must be zero.
 * @reserved:	must be zero; zero on output
 * @delivered:	GET_REG: signals queued through this registration.
 *		REGISTER: must be zero.
 */
struct kuipc_signal_reg {
	__u32 size;
	__u32 flags;
	__s32 signo;
	__s32 pid;
	__u32 status;
	__u32 reserved;
	__u64 delivered;
};

/**
 * struct kuipc_signal_trigger - an event (TRIGGER in and out)
 * @size:	in: sizeof(struct kuipc_signal_trigger)
 * @value:	in: the payload (si_value.sival_int of every signal)
 * @delivered:	out: signals queued, one per live registration
 * @gone:	out: registrations skipped because their process (or
 *		thread) has exited or exec'd
 * @failed:	out: signals the kernel refused to queue (the receiver is
 *		over RLIMIT_SIGPENDING)
 * @refused:	out: registrations skipped because their registrant may
 *		no longer signal the target (was @reserved, always zero)
 * The out fields must be zero on input.
 */
struct kuipc_signal_trigger {
	__u32 size;
	__s32 value;
	__u32 delivered;
	__u32 gone;
	__u32 failed;
	__u32 refused;
};

/**
 * struct kuipc_signal_stats - state and counters of the device
 * @size:		in: sizeof(struct kuipc_signal_stats)
 * @registrations:	registrations now, gone ones included
 * @events:		triggers and writes since load
 * @delivered:		signals queued since load
 * @gone:		registrations skipped as gone, summed over events
 * @failed:		signals the kernel refused, since load
 * @refused:		registrations skipped because the registrant may no
 *			longer signal the target, summed over events
 *
 * The struct grew @refused at its end. The size is part of an ioctl
 * number, so a caller built with the older 40-byte struct
 * (KUIPC_SIGNAL_STATS_SIZE_V0) still calls KUIPC_SIGNAL_GET_STATS_V0, the
 * number KUIPC_SIGNAL_GET_STATS had then, with .size 40, and gets the
 * fields it knows. .size must match the command's size, else EINVAL.
 */
struct kuipc_signal_stats {
	__u32 size;
	__u32 registrations;
	__u64 events;
	__u64 delivered;
	__u64 gone;
	__u64 failed;
	__u64 refused;
};

#define KUIPC_SIGNAL_STATS_SIZE_V0	40

/*
 * 0xE2 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst;
 * kuipc pairs share it, each with its own numbers: this one 0x30-0x3f.
 */
#define KUIPC_SIGNAL_IOC_MAGIC		0xE2

/*
 * Register this file: EBUSY if it already is (UNREGISTER first), ENOSPC
 * if the caller's user holds max_user_registrations already.
 */
#define KUIPC_SIGNAL_REGISTER \
	_IOW(KUIPC_SIGNAL_IOC_MAGIC, 0x30, struct kuipc_signal_reg)
/* End this file's registration; ENOENT if there is none. */
#define KUIPC_SIGNAL_UNREGISTER \
	_IO(KUIPC_SIGNAL_IOC_MAGIC, 0x31)
/* Read this file's registration (caller sets .size); ENOENT if none. */
#define KUIPC_SIGNAL_GET_REG \
	_IOWR(KUIPC_SIGNAL_IOC_MAGIC, 0x32, struct kuipc_signal_reg)
/* Send an event to every registration; the counts come back. */
#define KUIPC_SIGNAL_TRIGGER \
	_IOWR(KUIPC_SIGNAL_IOC_MAGIC, 0x33, struct kuipc_signal_trigger)
/* Read the state and counters (caller sets .size). */
#define KUIPC_SIGNAL_GET_STATS \
	_IOWR(KUIPC_SIGNAL_IOC_MAGIC, 0x34, struct kuipc_signal_stats)
/* The same for the 40-byte struct: GET_STATS before @refused was added. */
#define KUIPC_SIGNAL_GET_STATS_V0 \
	_IOC(_IOC_READ | _IOC_WRITE, KUIPC_SIGNAL_IOC_MAGIC, 0x34, \
	     KUIPC_SIGNAL_STATS_SIZE_V0)

#endif /* _UAPI_KUIPC_SIGNAL_H */
