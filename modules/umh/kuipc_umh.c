// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_umh - run one fixed user-space helper from the kernel
 * (call_usermodehelper) on request, and hand its exit status and the
 * output it reports back to the process that asked.
 *
 * The ABI (device path, ioctls, structs, limits, the helper's argv and
 * report format) is documented in <uapi/kuipc/umh.h>.
 *
 * Flow of one request:
 *  1. KUIPC_UMH_TRIGGER (CAP_SYS_ADMIN) validates the request, gives it an
 *     id, puts it on the list and queues its work on our workqueue; the
 *     caller then waits killably for it.
 *  2. The work runs call_usermodehelper_exec(UMH_WAIT_PROC), arming a
 *     delayed work that kills the helper at its timeout. In the helper's
 *     own thread, just before exec, kuipc_umh_helper_init() records the
 *     helper's struct pid (or refuses to run a cancelled request).
 *  3. The helper write()s "<id> <output>" to the device; only the process
 *     recorded for that id may, once.
 *  4. When the helper has been reaped the work stores the result, takes
 *     the request off the list and completes the caller.
 *
 * Why a workqueue and not UMH_KILLABLE: with UMH_WAIT_PROC | UMH_KILLABLE
 * a killed caller returns at once and the kernel keeps using the
 * subprocess_info on its own: the path, argv and envp until the exec, the
 * init callback, and the cleanup callback when the helper exits. In a
 * module all of these are module memory and module text, and nothing
 * holds the module, so the caller's file can be closed and the module
 * unloaded while the orphaned helper still runs: the kernel then calls
 * freed code. Here the caller waits killably on our own completion
 * instead, and the only thread that calls into the usermodehelper code is
 * our work, which the module exit drains with destroy_workqueue(). A
 * killed caller cancels its request, which kills the helper.
 *
 * Locking: one mutex protects the list of requests, each request's
 * helper pid, cancel reason, flags and output, and the counters. Nothing
 * under it copies from or to user space.
 *
 * Lifetime: a request has two references, the caller's and the work's.
 * The misc device's fops carry .owner = THIS_MODULE, so no trigger is in
 * progress once kuipc_umh_exit() runs; the requests left then are those
 * of killed callers, whose helpers exit kills and whose works
 * destroy_workqueue() waits for. Each work cancels its timeout work
 * synchronously before it finishes, so nothing of ours is left on the
 * system workqueue either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nls.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/umh.h>
#include <linux/workqueue.h>

#include <uapi/kuipc/umh.h>

/* The helper's path: fixed at load (0444), checked by kuipc_umh_init(). */
static char *helper = KUIPC_UMH_HELPER_DEFAULT;
module_param(helper, charp, 0444);
MODULE_PARM_DESC(helper,
		 "absolute path of the helper program (default "
		 KUIPC_UMH_HELPER_DEFAULT ")");

/* The helper's whole environment. */
static char *kuipc_umh_envp[] = {
	"HOME=/",
	"PATH=/sbin:/bin:/usr/sbin:/usr/bin",
	NULL,
};

static const char *const kuipc_umh_mode_names[] = {
	[KUIPC_UMH_MODE_ECHO] = KUIPC_UMH_MODE_ECHO_NAME,
	[KUIPC_UMH_MODE_EXIT] = KUIPC_UMH_MODE_EXIT_NAME,
	[KUIPC_UMH_MODE_HANG] = KUIPC_UMH_MODE_HANG_NAME,
};

/* argv of the helper: path, id, mode, exit code, argument, NULL. */
#define KUIPC_UMH_ARGC 5

struct kuipc_umh_req {
	struct list_head node;		/* on kuipc_umh.reqs while running */
	refcount_t ref;			/* the caller's and the work's */
	struct work_struct work;	/* runs the helper */
	struct delayed_work timeout;	/* kills it after its timeout */
	struct completion done;		/* the work finished: result valid */
	unsigned long timeout_jiffies;
	int result;			/* call_usermodehelper_exec() */
	/* Under kuipc_umh.lock: */
	struct pid *pid;		/* the helper, once it is started */
	int cancel;			/* != 0: must not run, -errno why */
	/* In: the request; out (under the lock): flags, output. */
	struct kuipc_umh_request r;
	char *argv[KUIPC_UMH_ARGC + 1];
	char id_str[24];
	char code_str[12];
	char arg[KUIPC_UMH_ARG_MAX + 1];
};

static struct kuipc_umh {
	struct workqueue_struct *wq;
	/* Protects the fields below, and pid, cancel, r.flags, r.output. */
	struct mutex lock;
	struct list_head reqs;
	u32 in_flight;
	u64 requests;
	u64 exited;
	u64 failed;
	u64 abandoned;
	u64 timed_out;
	u64 reports;
} kuipc_umh = {
	.lock = __MUTEX_INITIALIZER(kuipc_umh.lock),
	.reqs = LIST_HEAD_INIT(kuipc_umh.reqs),
};

static void kuipc_umh_req_put(struct kuipc_umh_req *req)
{
	if (refcount_dec_and_test(&req->ref)) {
		put_pid(req->pid);
		kfree(req);
	}
}

/*
 * Stop a request: a helper not yet started will not run, a running one
 * is killed. The first reason wins. Called with the lock held; kill_pid()
 * does not sleep, and of a helper that has exited already it only
 * returns -ESRCH: the struct pid reference keeps the pointer valid and is
 * never taken for a newer process with the same number.
 */
static void kuipc_umh_cancel(struct kuipc_umh_req *req, int why)
{
	lockdep_assert_held(&kuipc_umh.lock);
	if (req->cancel)
		return;
	req->cancel = why;
	if (req->pid)
		kill_pid(req->pid, SIGKILL, 1);
}

/*
 * Runs in the helper's own thread, after the kernel has set up its
 * credentials and before the exec: current is the helper process. A
 * nonzero return aborts the exec and becomes call_usermodehelper_exec()'s
 * result.
 */
static int kuipc_umh_helper_init(struct subprocess_info *info,
				 struct cred *new)
{
	struct kuipc_umh_req *req = info->data;
	int ret;

	mutex_lock(&kuipc_umh.lock);
	ret = req->cancel;
	if (!ret)
		req->pid = get_pid(task_tgid(current));
	mutex_unlock(&kuipc_umh.lock);
	if (!ret)
		pr_debug("request %llu: helper is pid %d\n", req->r.id,
			 task_tgid_nr(current));
	return ret;
}

static void kuipc_umh_timeout(struct work_struct *work)
{
	struct kuipc_umh_req *req =
		container_of(to_delayed_work(work), struct kuipc_umh_req,
			     timeout);

	/* kuipc_umh_run() tells, once the helper is reaped, what it did. */
	mutex_lock(&kuipc_umh.lock);
	kuipc_umh_cancel(req, -ETIMEDOUT);
	mutex_unlock(&kuipc_umh.lock);
	pr_debug("request %llu: timed out after %u ms, helper killed\n",
		 req->r.id, jiffies_to_msecs(req->timeout_jiffies));
}

static void kuipc_umh_run(struct work_struct *work)
{
	struct kuipc_umh_req *req =
		container_of(work, struct kuipc_umh_req, work);
	struct subprocess_info *info;
	int ret;

	mutex_lock(&kuipc_umh.lock);
	ret = req->cancel;
	mutex_unlock(&kuipc_umh.lock);

	if (!ret) {
		/*
		 * No cleanup callback: argv and envp belong to the request,
		 * which outlives the call, and the kernel frees info itself.
		 */
		info = call_usermodehelper_setup(helper, req->argv,
						 kuipc_umh_envp, GFP_KERNEL,
						 kuipc_umh_helper_init, NULL,
						 req);
		if (info) {
			schedule_delayed_work(&req->timeout,
					      req->timeout_jiffies);
			ret = call_usermodehelper_exec(info, UMH_WAIT_PROC);
			cancel_delayed_work_sync(&req->timeout);
		} else {
			ret = -ENOMEM;
		}
	}

	mutex_lock(&kuipc_umh.lock);
	if (req->cancel == -ETIMEDOUT) {
		/*
		 * The timeout fired. It stopped the helper if the helper never
		 * ran, if its exec failed under the SIGKILL, or if it died of
		 * the SIGKILL (wait status: the signal in the low 7 bits). A
		 * helper that exited by itself just before was not stopped.
		 */
		if (ret < 0) {
			ret = -ETIMEDOUT;
			kuipc_umh.timed_out++;
		} else if ((ret & 0x7f) == SIGKILL) {
			req->r.flags |= KUIPC_UMH_TIMED_OUT;
			kuipc_umh.timed_out++;
		}
	}
	list_del_init(&req->node);
	kuipc_umh.in_flight--;
	if (ret < 0)
		kuipc_umh.failed++;
	else
		kuipc_umh.exited++;
	req->result = ret;
	mutex_unlock(&kuipc_umh.lock);

	if (ret < 0)
		pr_debug("request %llu: cannot run %s: %d\n", req->r.id, helper,
			 ret);
	else
		pr_debug("request %llu: helper reaped, wait status %#x\n",
			 req->r.id, ret);
	complete(&req->done);
	kuipc_umh_req_put(req);
}

/* Valid UTF-8 (no overlong forms, no surrogates) without NUL. */
static bool kuipc_umh_valid_text(const char *s, size_t len)
{
	while (len) {
		unicode_t u;
		int n = utf8_to_utf32((const u8 *)s, len, &u);

		if (n <= 0 || !u)
			return false;
		s += n;
		len -= n;
	}
	return true;
}

/* Copy in and check a request; fill in req. Nothing is run yet. */
static int kuipc_umh_prepare(struct kuipc_umh_req *req,
			     struct kuipc_umh_request __user *ureq)
{
	struct kuipc_umh_request *r = &req->r;

	/* The input fields only: output is written, never read. */
	if (copy_from_user(r, ureq, offsetof(struct kuipc_umh_request, id)))
		return -EFAULT;
	if (r->size != sizeof(*r) || r->flags) {
		pr_debug("trigger: bad size %u or flags %#x\n", r->size,
			 r->flags);
		return -EINVAL;
	}
	if (r->mode < KUIPC_UMH_MODE_ECHO || r->mode > KUIPC_UMH_MODE_HANG ||
	    r->exit_code > KUIPC_UMH_EXIT_CODE_MAX ||
	    (r->mode == KUIPC_UMH_MODE_ECHO && r->exit_code)) {
		pr_debug("trigger: bad mode %u or exit code %u\n", r->mode,
			 r->exit_code);
		return -EINVAL;
	}
	if (r->timeout_ms > KUIPC_UMH_TIMEOUT_MAX_MS) {
		pr_debug("trigger: timeout %u ms too long\n", r->timeout_ms);
		return -EINVAL;
	}
	if (r->arg_len > KUIPC_UMH_ARG_MAX) {
		pr_debug("trigger: argument of %u bytes too long\n",
			 r->arg_len);
		return -EINVAL;
	}
	if (copy_from_user(req->arg, u64_to_user_ptr(r->arg_ptr), r->arg_len))
		return -EFAULT;
	req->arg[r->arg_len] = '\0';
	if (!kuipc_umh_valid_text(req->arg, r->arg_len)) {
		pr_debug("trigger: argument is not UTF-8 text without NUL\n");
		return -EINVAL;
	}
	/*
	 * The result is written back into the caller's struct: find out now
	 * whether it can be, so that a bad address runs nothing and uses no
	 * id. flags is zero already; the other output fields start as zero.
	 */
	if (clear_user(&ureq->flags, sizeof(*r) -
		       offsetof(struct kuipc_umh_request, flags)))
		return -EFAULT;

	req->timeout_jiffies = msecs_to_jiffies(r->timeout_ms ?:
						KUIPC_UMH_TIMEOUT_DEFAULT_MS);
	snprintf(req->code_str, sizeof(req->code_str), "%u", r->exit_code);
	req->argv[0] = helper;
	req->argv[1] = req->id_str; /* filled in once the id is known */
	req->argv[2] = (char *)kuipc_umh_mode_names[r->mode];
	req->argv[3] = req->code_str;
	req->argv[4] = req->arg;
	req->argv[KUIPC_UMH_ARGC] = NULL;
	return 0;
}

static long kuipc_umh_trigger(struct kuipc_umh_request __user *ureq)
{
	struct kuipc_umh *ku = &kuipc_umh;
	struct kuipc_umh_req *req;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	INIT_LIST_HEAD(&req->node);
	refcount_set(&req->ref, 1);
	INIT_WORK(&req->work, kuipc_umh_run);
	INIT_DELAYED_WORK(&req->timeout, kuipc_umh_timeout);
	init_completion(&req->done);

	ret = kuipc_umh_prepare(req, ureq);
	if (ret)
		goto out;

	mutex_lock(&ku->lock);
	if (ku->in_flight >= KUIPC_UMH_MAX_INFLIGHT) {
		mutex_unlock(&ku->lock);
		pr_debug("trigger: %u requests in flight\n",
			 KUIPC_UMH_MAX_INFLIGHT);
		ret = -EBUSY;
		goto out;
	}
	req->r.id = ++ku->requests;
	ku->in_flight++;
	list_add_tail(&req->node, &ku->reqs);
	mutex_unlock(&ku->lock);

	snprintf(req->id_str, sizeof(req->id_str), "%llu", req->r.id);
	pr_debug("request %llu: exec %s %s %s %s \"%s\"\n", req->r.id, helper,
		 req->id_str, req->argv[2], req->code_str, req->arg);
	refcount_inc(&req->ref); /* the work's */
	queue_work(ku->wq, &req->work);

	if (wait_for_completion_killable(&req->done)) {
		/* Only a fatal signal ends the wait: nobody sees ret. */
		mutex_lock(&ku->lock);
		if (!list_empty(&req->node)) {
			kuipc_umh_cancel(req, -EINTR);
			ku->abandoned++;
		}
		mutex_unlock(&ku->lock);
		pr_debug("request %llu: caller killed, helper killed\n",
			 req->r.id);
		ret = -EINTR;
		goto out;
	}

	ret = req->result;
	if (ret < 0)
		goto out;
	/* The work has finished: nothing changes req->r any more. */
	req->r.status = ret;
	ret = 0;
	if (copy_to_user(&ureq->flags, &req->r.flags,
			 sizeof(req->r) -
			 offsetof(struct kuipc_umh_request, flags)))
		ret = -EFAULT;
out:
	kuipc_umh_req_put(req);
	return ret;
}

static long kuipc_umh_get_stats(struct kuipc_umh_stats __user *ust)
{
	struct kuipc_umh *ku = &kuipc_umh;
	struct kuipc_umh_stats st;

	if (copy_from_user(&st, ust, sizeof(st)))
		return -EFAULT;
	if (st.size != sizeof(st)) {
		pr_debug("get stats: bad size %u\n", st.size);
		return -EINVAL;
	}

	/* Every byte of st is assigned: nothing of the stack leaks out. */
	mutex_lock(&ku->lock);
	st.in_flight = ku->in_flight;
	st.requests = ku->requests;
	st.exited = ku->exited;
	st.failed = ku->failed;
	st.abandoned = ku->abandoned;
	st.timed_out = ku->timed_out;
	st.reports = ku->reports;
	mutex_unlock(&ku->lock);

	if (copy_to_user(ust, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

static long kuipc_umh_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	long ret;

	switch (cmd) {
	case KUIPC_UMH_TRIGGER:
		ret = kuipc_umh_trigger(argp);
		break;
	case KUIPC_UMH_GET_STATS:
		ret = kuipc_umh_get_stats(argp);
		break;
	default:
		/* Not ours: ENOTTY, as isatty() and friends expect. */
		ret = -ENOTTY;
		break;
	}
	if (ret)
		pr_debug("ioctl(%#x) = %ld\n", cmd, ret);
	return ret;
}

static struct kuipc_umh_req *kuipc_umh_find(u64 id)
{
	struct kuipc_umh_req *req;

	lockdep_assert_held(&kuipc_umh.lock);
	list_for_each_entry(req, &kuipc_umh.reqs, node)
		if (req->r.id == id)
			return req;
	return NULL;
}

/* A helper's report: one write() of "<id> <output>". */
static ssize_t kuipc_umh_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct kuipc_umh_req *req;
	char *kbuf, *space;
	size_t digits, len;
	ssize_t ret;
	u64 id = 0;

	if (count > KUIPC_UMH_REPORT_MAX)
		return -EINVAL;
	kbuf = memdup_user_nul(buf, count);
	if (IS_ERR(kbuf))
		return PTR_ERR(kbuf);

	ret = -EINVAL;
	space = memchr(kbuf, ' ', count);
	if (!space || space == kbuf)
		goto out;
	*space = '\0';
	/*
	 * 1 to KUIPC_UMH_ID_DIGITS_MAX digits and nothing else: kstrtou64()
	 * alone also takes "+1", "1\n" and "1\0x", and any number of
	 * leading zeros.
	 */
	digits = space - kbuf;
	if (digits > KUIPC_UMH_ID_DIGITS_MAX ||
	    strspn(kbuf, "0123456789") != digits || kstrtou64(kbuf, 10, &id))
		goto out;
	len = count - (space + 1 - kbuf);
	if (len > KUIPC_UMH_OUTPUT_MAX)
		goto out;

	mutex_lock(&kuipc_umh.lock);
	req = kuipc_umh_find(id);
	if (!req) {
		ret = -ENOENT;
	} else if (!req->pid || req->pid != task_tgid(current)) {
		/* Only the helper process of this very request. */
		ret = -EPERM;
	} else if (req->r.flags & KUIPC_UMH_REPORTED) {
		ret = -EALREADY;
	} else {
		memcpy(req->r.output, space + 1, len);
		req->r.output_len = len;
		req->r.flags |= KUIPC_UMH_REPORTED;
		kuipc_umh.reports++;
		ret = count;
	}
	mutex_unlock(&kuipc_umh.lock);
out:
	pr_debug("request %llu: report of %zu bytes from pid %d = %zd\n",
		 id, count, task_tgid_nr(current), ret);
	kfree(kbuf);
	return ret;
}

static const struct file_operations kuipc_umh_fops = {
	.owner = THIS_MODULE,
	/* A stream: no file position; lseek and pwrite fail with ESPIPE. */
	.open = stream_open,
	.write = kuipc_umh_write,
	.unlocked_ioctl = kuipc_umh_ioctl,
	/* The structs have one layout for 32- and 64-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice kuipc_umh_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KUIPC_UMH_NAME,
	.fops = &kuipc_umh_fops,
	.mode = KUIPC_UMH_MODE,
};

/* Absolute, bounded, and no empty, "." or ".." component. */
static int kuipc_umh_check_path(const char *path)
{
	const char *p, *end;
	size_t n;

	if (!path || strnlen(path, KUIPC_UMH_HELPER_PATH_MAX) ==
		     KUIPC_UMH_HELPER_PATH_MAX) {
		pr_err("helper path refused: missing, or %d bytes or longer\n",
		       KUIPC_UMH_HELPER_PATH_MAX);
		return -EINVAL;
	}
	if (path[0] != '/') {
		pr_err("helper \"%s\" refused: not an absolute path\n", path);
		return -EINVAL;
	}
	for (p = path + 1;; p = end + 1) {
		end = strchrnul(p, '/');
		n = end - p;
		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			pr_err("helper \"%s\" refused: empty, \".\" or \"..\" path component\n",
			       path);
			return -EINVAL;
		}
		if (!*end)
			return 0;
	}
}

/*
 * With CONFIG_STATIC_USERMODEHELPER the kernel runs
 * CONFIG_STATIC_USERMODEHELPER_PATH in place of every helper, and with that
 * path empty call_usermodehelper_exec() returns 0 without running anything:
 * every request would "succeed" with status 0 and no report. Better not to
 * load than to pretend. The decision is the kernel config's, made at
 * compile time; a non-empty path is only worth a warning, since our
 * helper's path then arrives as argv[0] of the program the kernel runs.
 */
static int kuipc_umh_check_static_helper(void)
{
#ifdef CONFIG_STATIC_USERMODEHELPER
	if (!CONFIG_STATIC_USERMODEHELPER_PATH[0]) {
		pr_err("CONFIG_STATIC_USERMODEHELPER_PATH is empty: the kernel runs no helper at all\n");
		return -EOPNOTSUPP;
	}
	pr_warn("CONFIG_STATIC_USERMODEHELPER: the kernel runs \"%s\" instead of every helper\n",
		CONFIG_STATIC_USERMODEHELPER_PATH);
#endif
	return 0;
}

static int __init kuipc_umh_init(void)
{
	struct kuipc_umh *ku = &kuipc_umh;
	int ret;

	/* The ABI must not change by accident; 64-bit fields 8-aligned. */
	BUILD_BUG_ON(sizeof(struct kuipc_umh_request) !=
		     48 + KUIPC_UMH_OUTPUT_MAX);
	BUILD_BUG_ON(offsetof(struct kuipc_umh_request, arg_ptr) % 8);
	BUILD_BUG_ON(offsetof(struct kuipc_umh_request, id) % 8);
	BUILD_BUG_ON(sizeof(struct kuipc_umh_stats) != 56);
	BUILD_BUG_ON(ARRAY_SIZE(kuipc_umh_mode_names) !=
		     KUIPC_UMH_MODE_HANG + 1);

	ret = kuipc_umh_check_static_helper();
	if (ret)
		return ret;
	ret = kuipc_umh_check_path(helper);
	if (ret)
		return ret;

	/* Each work waits for its helper: one worker per request. */
	ku->wq = alloc_workqueue(KUIPC_UMH_NAME, WQ_UNBOUND,
				 KUIPC_UMH_MAX_INFLIGHT);
	if (!ku->wq)
		return -ENOMEM;

	/* Last: the device is usable as soon as it is registered. */
	ret = misc_register(&kuipc_umh_misc);
	if (ret) {
		pr_err("cannot register %s: %d\n", KUIPC_UMH_PATH, ret);
		goto err_wq;
	}

	pr_info("loaded: %s, helper %s\n", KUIPC_UMH_PATH, helper);
	return 0;

err_wq:
	destroy_workqueue(ku->wq);
	return ret;
}

static void __exit kuipc_umh_exit(void)
{
	struct kuipc_umh *ku = &kuipc_umh;
	struct kuipc_umh_req *req;

	/* No file is open (each pins the module): no trigger is running. */
	misc_deregister(&kuipc_umh_misc);

	/* Left: requests of killed callers. Stop their helpers ... */
	mutex_lock(&ku->lock);
	list_for_each_entry(req, &ku->reqs, node)
		kuipc_umh_cancel(req, -ESHUTDOWN);
	mutex_unlock(&ku->lock);
	/* ... and wait until each work has reaped its helper and freed. */
	destroy_workqueue(ku->wq);
	WARN_ON(!list_empty(&ku->reqs));

	pr_info("unloaded: %llu requests, %llu helpers reaped\n",
		ku->requests, ku->exited);
}

module_init(kuipc_umh_init);
module_exit(kuipc_umh_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("kuipc usermodehelper pair: runs a fixed helper on request");
