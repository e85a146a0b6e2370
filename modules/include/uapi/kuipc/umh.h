/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kuipc/umh.h - ABI of the kuipc usermodehelper pair.
 *
 * kuipc_umh.ko runs one fixed user-space program, the helper, from the
 * kernel (call_usermodehelper) and returns what it did to the process that
 * asked for it. The pieces:
 *
 *  - The helper's path is the module parameter "helper", set at load time
 *    and read-only afterwards (/sys/module/kuipc_umh/parameters/helper,
 *    mode 0444). It must be absolute, at most KUIPC_UMH_HELPER_PATH_MAX - 1
 *    bytes, with no empty, "." or ".." component ("//", "/./", "/../", a
 *    trailing "/"); otherwise the load fails with EINVAL.
 *
 *  - The misc device KUIPC_UMH_PATH (mode 0600). Its ioctl
 *    KUIPC_UMH_TRIGGER (CAP_SYS_ADMIN, else EPERM) runs the helper once
 *    and waits for it to exit. The wait can be ended by a fatal signal
 *    only; the module then kills the helper (SIGKILL).
 *
 *  - The helper is run as root, with the fixed environment HOME=/ and
 *    PATH=/sbin:/bin:/usr/sbin:/usr/bin, no open file descriptors, and
 *    the argument vector
 *        argv[0]  the helper path
 *        argv[1]  the request id, in decimal
 *        argv[2]  the mode: KUIPC_UMH_MODE_*_NAME
 *        argv[3]  the exit code the caller asked for, in decimal
 *        argv[4]  the caller's argument (valid UTF-8, no NUL; may be "")
 *
 *  - The helper reports back by one write() to KUIPC_UMH_PATH of
 *        "<request id> <output>"
 *    (the id in 1 to KUIPC_UMH_ID_DIGITS_MAX decimal digits, leading zeros
 *    included, one space, then 0 to
 *    KUIPC_UMH_OUTPUT_MAX bytes of output). Only the helper process of
 *    that request may report, once: another writer gets EPERM, a second
 *    report EALREADY, an unknown id ENOENT, anything malformed or longer
 *    EINVAL. The output is returned to the caller with the helper's exit
 *    status.
 *
 * Every struct carries its own size: the caller sets .size to the sizeof()
 * it was compiled with and the module refuses any other value with EINVAL.
 * All fields are fixed width and naturally aligned with explicit padding,
 * so the layout is the same for 32-bit and 64-bit callers. Reserved
 * fields must be zero on input and are zero on output.
 */
#ifndef _UAPI_KUIPC_UMH_H
#define _UAPI_KUIPC_UMH_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The device node (a misc device, created by devtmpfs) and its mode. */
#define KUIPC_UMH_NAME			"kuipc_umh"
#define KUIPC_UMH_PATH			"/dev/" KUIPC_UMH_NAME
#define KUIPC_UMH_MODE			0600

/*
 * The helper: default path, where the module parameter "helper" shows the
 * path in use, and the length limit of that path (with its NUL).
 */
#define KUIPC_UMH_HELPER_DEFAULT	"/usr/bin/kuipc-umh-helper"
#define KUIPC_UMH_HELPER_PARAM	"/sys/module/kuipc_umh/parameters/helper"
#define KUIPC_UMH_HELPER_PATH_MAX	256

/* Largest argument, in bytes (no NUL counted); longer ones: EINVAL. */
#define KUIPC_UMH_ARG_MAX		256
/* Largest output a helper may report, in bytes. */
#define KUIPC_UMH_OUTPUT_MAX		512
/*
 * Most digits in a report's id: those of 2^64 - 1. Leading zeros count, so
 * a longer id is EINVAL whatever its value.
 */
#define KUIPC_UMH_ID_DIGITS_MAX		20
/* Longest report write(): "<id> <output>". */
#define KUIPC_UMH_REPORT_MAX \
	(KUIPC_UMH_ID_DIGITS_MAX + 1 + KUIPC_UMH_OUTPUT_MAX)
/* Helpers running (or being reaped) at once; one more: EBUSY. */
#define KUIPC_UMH_MAX_INFLIGHT		16

/*
 * How long a helper may run, in milliseconds, from the moment the module
 * starts it; then the module kills it (SIGKILL) and sets
 * KUIPC_UMH_TIMED_OUT. 0 in kuipc_umh_request.timeout_ms means the
 * default.
 */
#define KUIPC_UMH_TIMEOUT_DEFAULT_MS	10000
#define KUIPC_UMH_TIMEOUT_MAX_MS	60000

/*
 * What the helper does: every mode first reports its argument as its
 * output, then
 *  ECHO: exits with status 0 (exit_code must be 0);
 *  EXIT: exits with exit_code (0..255);
 *  HANG: sleeps until it is killed, at most KUIPC_UMH_HANG_MAX_S seconds
 *        (a safety net of the helper itself), then exits with exit_code.
 */
#define KUIPC_UMH_MODE_ECHO		1
#define KUIPC_UMH_MODE_EXIT		2
#define KUIPC_UMH_MODE_HANG		3
#define KUIPC_UMH_MODE_ECHO_NAME	"echo"
#define KUIPC_UMH_MODE_EXIT_NAME	"exit"
#define KUIPC_UMH_MODE_HANG_NAME	"hang"
#define KUIPC_UMH_EXIT_CODE_MAX		255
#define KUIPC_UMH_HANG_MAX_S		90

/* kuipc_umh_request.flags, set by the module. */
#define KUIPC_UMH_REPORTED		(1U << 0) /* the helper reported */
#define KUIPC_UMH_TIMED_OUT		(1U << 1) /* the module killed it */

/**
 * struct kuipc_umh_request - one run of the helper (KUIPC_UMH_TRIGGER)
 * @size:	in: sizeof(struct kuipc_umh_request)
 * @mode:	in: KUIPC_UMH_MODE_*
 * @exit_code:	in: the exit code the helper is asked to use (see modes)
 * @timeout_ms:	in: 0 (KUIPC_UMH_TIMEOUT_DEFAULT_MS) or
 *		1..KUIPC_UMH_TIMEOUT_MAX_MS
 * @arg_ptr:	in: user address of the argument
 * @arg_len:	in: its length in bytes, 0..KUIPC_UMH_ARG_MAX; it must be
 *		valid UTF-8 without NUL
 * @flags:	in: must be zero; out: KUIPC_UMH_REPORTED, KUIPC_UMH_TIMED_OUT
 * @id:		out: the request id the helper was given (argv[1]); ids
 *		start at 1 and grow by one per accepted request
 * @status:	out: the helper's wait status, as waitpid() gives it: exit
 *		code in bits 8-15 (WEXITSTATUS), or the killing signal in bits
 *		0-6 (WTERMSIG)
 * @output_len:	out: bytes in @output (0 without a report)
 * @output:	out: what the helper reported (not NUL-terminated)
 *
 * The ioctl returns 0 once the helper has exited, whatever its status.
 * It fails when the helper could not be run at all, with the errno of
 * that failure: ENOENT (no such file), EACCES (not executable), ENOEXEC,
 * ENOMEM, EBUSY (KUIPC_UMH_MAX_INFLIGHT reached, or helpers disabled
 * during suspend), ETIMEDOUT (timed out before it was running), EINVAL for a
 * request that breaks the rules above, and EFAULT for a request, argument
 * or output area the module cannot read or write (nothing is run for
 * these two; the output fields are zeroed before the helper starts).
 */
struct kuipc_umh_request {
	__u32 size;
	__u32 mode;
	__u32 exit_code;
	__u32 timeout_ms;
	__u64 arg_ptr;
	__u32 arg_len;
	__u32 flags;
	__u64 id;
	__s32 status;
	__u32 output_len;
	char output[KUIPC_UMH_OUTPUT_MAX];
};

/**
 * struct kuipc_umh_stats - counters since load
 * @size:	in: sizeof(struct kuipc_umh_stats)
 * @in_flight:	requests whose helper is queued, running or being reaped
 * @requests:	requests accepted (also the id of the last one)
 * @exited:	helpers that ran and were reaped (with any status)
 * @failed:	requests whose helper could not be run
 * @abandoned:	callers killed while they waited
 * @timed_out:	requests their timeout stopped: the helper killed, or
 *		never run (ETIMEDOUT)
 * @reports:	reports accepted from helpers
 */
struct kuipc_umh_stats {
	__u32 size;
	__u32 in_flight;
	__u64 requests;
	__u64 exited;
	__u64 failed;
	__u64 abandoned;
	__u64 timed_out;
	__u64 reports;
};

/* 0xE2 is unused in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define KUIPC_UMH_IOC_MAGIC		0xE2

/* Run the helper and wait for it; CAP_SYS_ADMIN. */
#define KUIPC_UMH_TRIGGER \
	_IOWR(KUIPC_UMH_IOC_MAGIC, 0x40, struct kuipc_umh_request)
/* Read the counters: the caller passes .size, gets the rest. */
#define KUIPC_UMH_GET_STATS \
	_IOWR(KUIPC_UMH_IOC_MAGIC, 0x41, struct kuipc_umh_stats)

#endif /* _UAPI_KUIPC_UMH_H */
