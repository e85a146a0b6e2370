// SPDX-License-Identifier: GPL-2.0
/*
 * kuipc_signal - real-time signals with a payload, sent to the processes
 * that registered for them when an event happens.
 *
 * A process registers through an open file of the misc device (an ioctl);
 * an event is a TRIGGER ioctl or a write() on the device by anyone holding
 * a file opened for writing. Every registration receives every event as a
 * queued real-time signal whose si_value.sival_int is the event's payload.
 * The ABI (path, mode, ioctls, structs, who receives what) is documented
 * in <uapi/kuipc/signal.h>.
 *
 * Sending: kill_pid_info() would be the natural call but is not exported
 * (6.1, 6.12, 7.x), nor are group_send_sig_info() and do_send_sig_info().
 * kill_pid() is, but carries no siginfo; kill_pid_usb_asyncio() is, but
 * puts the value where si_pid and si_uid are (signalfd shows it as
 * ssi_pid/ssi_uid), uses SI_ASYNCIO and belongs to usbdevfs. So this
 * module uses send_sig_info(), the exported call that takes a siginfo and
 * a task, the way mq_notify() sends its signal: look the task up from the
 * struct pid with pid_task() inside rcu_read_lock(), send, and let no
 * task pointer outlive the RCU read-side section. send_sig_info() queues
 * on that task alone (PIDTYPE_PID), hence the two documented targets: the
 * thread-group leader for a process registration, the registering thread
 * for a thread registration.
 *
 * Right to signal: REGISTER checks that the caller may signal the target
 * as kill(2) would, and the registration keeps the caller's credentials
 * (get_current_cred(), put at the end), as F_SETOWN keeps the owner's for
 * SIGIO (sigio_perm() in fs/fcntl.c) and usbdevfs the opener's for its
 * completion signals. Every event checks them again against the target's
 * credentials of the moment, because a target's uids can change after
 * REGISTER (a set-uid program that had dropped to the user's uid goes back
 * to root) and kill(2) would then refuse the registrant. The check is
 * kill_pid_usb_asyncio() with signal 0: exported (GPL) with the same
 * signature on 6.1, 6.12 and 7.x, it applies the uid rule to the given
 * credentials and asks security_task_kill(), which is not exported
 * itself, and sends nothing for signal 0. Its limits: it has no CAP_KILL
 * path, so a registration made with CAP_KILL (or of the caller itself,
 * which kill(2) always allows) keeps its exemption from the uid rule,
 * checked here; and the LSM sees signal 0, the existence probe, not the
 * real-time signal that follows (SELinux asks for "signull", Smack allows
 * it), since no exported call asks the hook for a signal it does not send
 * itself. The check and the send are two steps, as in kill(2), which
 * does not hold the target's credentials across them either.
 *
 * Lifetime: each open file has one struct kuipc_signal_file, freed at
 * release. While registered it is on kuipc_signal.regs and holds a
 * reference to a struct pid (get_pid/put_pid). A struct pid outlives its
 * task and is never reused for another process, so a registration whose
 * process exited finds no task and is counted as gone; it cannot signal
 * a newcomer that got the same pid number. The target's self_exec_id is
 * recorded too: after an execve() the new program did not ask for the
 * signal (whose default action kills it), so it is skipped as gone, as
 * POSIX message queues do.
 *
 * Locking: one mutex protects the list, every file's registration and
 * the counters. Events are sent with it held, from process context; each
 * send is non-blocking (send_sig_info() takes the target's siglock with
 * interrupts off and allocates with GFP_ATOMIC). The fops carry .owner,
 * so every open file pins the module and no operation runs once
 * kuipc_signal_exit() has started. Every event walks the whole list under
 * the mutex, so one user may hold at most max_user_registrations
 * registrations (ENOSPC beyond).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include <uapi/kuipc/signal.h>

/* Registrations one user (real uid) may hold; read-only once loaded. */
static unsigned int max_user_registrations = KUIPC_SIGNAL_USER_REGS_DEFAULT;
module_param(max_user_registrations, uint, 0444);
MODULE_PARM_DESC(max_user_registrations,
		 "Registrations one user may hold at once (1 or more)");

/* The state of one open file of the device. */
struct kuipc_signal_file {
	struct list_head node; /* on kuipc_signal.regs while registered */
	struct pid *pid; /* counted reference; NULL while unregistered */
	const struct cred *cred; /* the registrant's, counted; with pid */
	bool exempt; /* from the uid rule: self, or registered with CAP_KILL */
	enum pid_type type; /* PIDTYPE_TGID, or PIDTYPE_PID for a thread */
	u32 flags; /* KUIPC_SIGNAL_REG_* */
	int signo;
	u64 exec_id; /* the target's self_exec_id at registration */
	u64 delivered; /* signals queued through this registration */
};

struct kuipc_signal {
	struct miscdevice misc;
	struct mutex lock; /* protects all below and every file's reg */
	struct list_head regs; /* registered kuipc_signal_files */
	unsigned int nregs;
	u64 events;
	u64 delivered;
	u64 gone;
	u64 failed;
	u64 refused;
};

/* What one event did: the out fields of struct kuipc_signal_trigger. */
struct kuipc_signal_result {
	u32 delivered;
	u32 gone;
	u32 failed;
	u32 refused;
};

static struct kuipc_signal kuipc_signal;

/*
 * The uid rule of kill(2) for a sender with credentials @cred:
 * kill_ok_by_cred() in kernel/signal.c, which is static, less its CAP_KILL
 * part; the same test as kill_as_cred_perm() there. Call under
 * rcu_read_lock().
 */
static bool kuipc_signal_uid_ok(const struct cred *cred,
				struct task_struct *task)
{
	const struct cred *tcred = __task_cred(task);

	return uid_eq(cred->euid, tcred->suid) ||
	       uid_eq(cred->euid, tcred->uid) ||
	       uid_eq(cred->uid, tcred->suid) ||
	       uid_eq(cred->uid, tcred->uid);
}

/*
 * May a registrant with credentials @cred signal @task, the live task of
 * @pid, now? 0, or -EPERM by the uid rule, or the LSM's errno. @exempt
 * skips the uid rule (see the comment at the top); the LSM can then not
 * be asked, as kill_pid_usb_asyncio() applies the uid rule first. Call
 * under rcu_read_lock(); never sleeps.
 */
static int kuipc_signal_permitted(struct pid *pid, const struct cred *cred,
				  bool exempt, struct task_struct *task)
{
	static const sigval_t none;

	if (!kuipc_signal_uid_ok(cred, task))
		return exempt ? 0 : -EPERM;
	/* Signal 0: the uid rule and security_task_kill(), nothing sent. */
	return kill_pid_usb_asyncio(0, 0, none, pid, cred);
}

/*
 * False once the task has exited or is exiting: a signal queued then is
 * dropped or never read. A snapshot: it may start exiting right after,
 * and that signal is lost, as with kill(2). Call under rcu_read_lock().
 */
static bool kuipc_signal_alive(struct task_struct *task)
{
	return !READ_ONCE(task->exit_state) &&
	       !(READ_ONCE(task->flags) & PF_EXITING);
}

/*
 * The task a registration signals, or NULL when it is gone: exited, or
 * running another program than the one that registered. Call under
 * rcu_read_lock(); the task must not be used after rcu_read_unlock().
 */
static struct task_struct *
kuipc_signal_target(const struct kuipc_signal_file *f)
{
	struct task_struct *task = pid_task(f->pid, f->type);

	if (!task || !kuipc_signal_alive(task) ||
	    READ_ONCE(task->self_exec_id) != f->exec_id)
		return NULL;
	return task;
}

/* Queue one signal for @f on @task. Call under rcu_read_lock(). */
static int kuipc_signal_send(const struct kuipc_signal_file *f,
			     struct task_struct *task, int value)
{
	struct kernel_siginfo info;

	/* Every byte set: clear_siginfo() zeroes the padding too. */
	clear_siginfo(&info);
	info.si_signo = f->signo;
	info.si_errno = 0;
	/*
	 * SI_QUEUE, as sigqueue() sends: a negative code gives the siginfo
	 * the "rt" layout, so signalfd and 32-bit readers get si_int too.
	 */
	info.si_code = SI_QUEUE;
	info.si_int = value;
	/*
	 * The sender is the process that caused the event. Its pid as the
	 * receiver's pid namespace sees it (0 if invisible there); its uid
	 * in our user namespace, which the signal code maps into the
	 * receiver's, as it does for sigqueue().
	 */
	info.si_pid = task_tgid_nr_ns(current, ns_of_pid(f->pid));
	info.si_uid = from_kuid_munged(current_user_ns(), current_uid());

	return send_sig_info(f->signo, &info, task);
}

/*
 * An event: a signal carrying @value to every registration. Process
 * context; sleeps on the mutex only.
 */
static int kuipc_signal_event(int value, struct kuipc_signal_result *res)
{
	struct kuipc_signal *ks = &kuipc_signal;
	struct kuipc_signal_file *f;

	memset(res, 0, sizeof(*res));
	if (mutex_lock_interruptible(&ks->lock))
		return -ERESTARTSYS;
	list_for_each_entry(f, &ks->regs, node) {
		struct task_struct *task;
		int ret = -ESRCH;

		rcu_read_lock();
		task = kuipc_signal_target(f);
		if (task) {
			ret = kuipc_signal_permitted(f->pid, f->cred, f->exempt,
						     task);
			if (!ret)
				ret = kuipc_signal_send(f, task, value);
			else if (ret != -ESRCH)
				ret = -EPERM; /* the LSM's errno too */
		}
		rcu_read_unlock();

		if (!ret) {
			f->delivered++;
			res->delivered++;
		} else if (ret == -ESRCH) {
			/* Gone, or began exiting after the check above. */
			res->gone++;
		} else if (ret == -EPERM) {
			/* Only our check: send_sig_info() never says EPERM. */
			res->refused++;
		} else {
			/* -EAGAIN: the receiver is over RLIMIT_SIGPENDING. */
			res->failed++;
		}
		/* The list can be long; the mutex may be held while we yield. */
		cond_resched();
	}
	ks->events++;
	ks->delivered += res->delivered;
	ks->gone += res->gone;
	ks->failed += res->failed;
	ks->refused += res->refused;
	mutex_unlock(&ks->lock);

	pr_debug("event %d: delivered %u, gone %u, failed %u, refused %u\n",
		 value, res->delivered, res->gone, res->failed, res->refused);
	return 0;
}

static long kuipc_signal_register(struct kuipc_signal_file *f,
				  void __user *argp)
{
	struct kuipc_signal *ks = &kuipc_signal;
	struct kuipc_signal_file *other;
	struct kuipc_signal_reg reg;
	const struct cred *cred;
	struct task_struct *task;
	unsigned int held = 0;
	bool exempt = false;
	enum pid_type type;
	struct pid *pid;
	u64 exec_id = 0;
	pid_t nr;
	long ret;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	/* Validate everything before taking any reference. */
	if (reg.size != sizeof(reg) || reg.flags & ~KUIPC_SIGNAL_REG_FLAGS ||
	    reg.status || reg.reserved || reg.delivered) {
		pr_debug("register: bad size %u, flags %#x or out fields\n",
			 reg.size, reg.flags);
		return -EINVAL;
	}
	if (reg.signo < KUIPC_SIGNAL_SIGNO_MIN ||
	    reg.signo > KUIPC_SIGNAL_SIGNO_MAX) {
		pr_debug("register: signal %d is not a real-time signal\n",
			 reg.signo);
		return -EINVAL;
	}
	if (reg.pid < 0 || (reg.flags & KUIPC_SIGNAL_REG_THREAD && reg.pid)) {
		pr_debug("register: bad pid %d for flags %#x\n", reg.pid,
			 reg.flags);
		return -EINVAL;
	}

	if (reg.flags & KUIPC_SIGNAL_REG_THREAD) {
		type = PIDTYPE_PID;
		pid = get_pid(task_pid(current));
	} else {
		type = PIDTYPE_TGID;
		/* A pid number means the caller's pid namespace. */
		pid = reg.pid ? find_get_pid(reg.pid) :
				get_pid(task_tgid(current));
		if (!pid) {
			pr_debug("register: no pid %d\n", reg.pid);
			return -ESRCH;
		}
	}

	/* Kept by the registration, checked again at every event. */
	cred = get_current_cred();
	rcu_read_lock();
	/* PIDTYPE_TGID finds nothing for a thread id: a process is needed. */
	task = pid_task(pid, type);
	if (!task || !kuipc_signal_alive(task)) {
		ret = -ESRCH;
	} else if (task->flags & PF_KTHREAD) {
		/* Kernel threads take no signals from user space. */
		ret = -EPERM;
	} else {
		/*
		 * kill(2) lets a process signal itself, and CAP_KILL signal
		 * anyone in the user namespace. The registrant's credentials
		 * never change and the target cannot leave the subtree of
		 * its user namespace (setns() needs CAP_SYS_ADMIN in the
		 * destination; an execve() makes the registration gone), so
		 * this holds for the registration's life.
		 */
		exempt = same_thread_group(task, current) ||
			 (!kuipc_signal_uid_ok(cred, task) &&
			  ns_capable(__task_cred(task)->user_ns, CAP_KILL));
		ret = kuipc_signal_permitted(pid, cred, exempt, task);
		exec_id = READ_ONCE(task->self_exec_id);
	}
	rcu_read_unlock();
	if (ret)
		goto out_put;

	/* For the log: once on the list, the reference is no longer ours. */
	nr = pid_vnr(pid);
	if (mutex_lock_interruptible(&ks->lock)) {
		ret = -ERESTARTSYS;
		goto out_put;
	}
	if (f->pid) {
		mutex_unlock(&ks->lock);
		ret = -EBUSY;
		goto out_put;
	}
	list_for_each_entry(other, &ks->regs, node)
		held += uid_eq(other->cred->uid, cred->uid);
	if (held >= max_user_registrations) {
		mutex_unlock(&ks->lock);
		pr_debug("register: uid %u holds %u registrations already\n",
			 from_kuid(&init_user_ns, cred->uid), held);
		ret = -ENOSPC;
		goto out_put;
	}
	f->pid = pid;
	f->cred = cred;
	f->exempt = exempt;
	f->type = type;
	f->flags = reg.flags;
	f->signo = reg.signo;
	f->exec_id = exec_id;
	f->delivered = 0;
	list_add_tail(&f->node, &ks->regs);
	ks->nregs++;
	mutex_unlock(&ks->lock);

	pr_debug("register: %s %d, signal %d\n",
		 type == PIDTYPE_PID ? "thread" : "process", nr, reg.signo);
	return 0;

out_put:
	put_cred(cred);
	put_pid(pid);
	return ret;
}

/*
 * Take @f off the list; returns the pid reference to drop, or NULL, and
 * in @cred the credentials reference that goes with it.
 */
static struct pid *kuipc_signal_unlink(struct kuipc_signal_file *f,
				       const struct cred **cred)
{
	struct pid *pid = f->pid;

	lockdep_assert_held(&kuipc_signal.lock);
	*cred = NULL;
	if (!pid)
		return NULL;
	list_del_init(&f->node);
	kuipc_signal.nregs--;
	*cred = f->cred;
	f->pid = NULL;
	f->cred = NULL;
	f->delivered = 0;
	return pid;
}

static long kuipc_signal_unregister(struct kuipc_signal_file *f)
{
	const struct cred *cred;
	struct pid *pid;

	if (mutex_lock_interruptible(&kuipc_signal.lock))
		return -ERESTARTSYS;
	pid = kuipc_signal_unlink(f, &cred);
	mutex_unlock(&kuipc_signal.lock);

	if (!pid)
		return -ENOENT;
	pr_debug("unregister: pid %d\n", pid_vnr(pid));
	put_cred(cred);
	put_pid(pid);
	return 0;
}

static long kuipc_signal_get_reg(struct kuipc_signal_file *f, void __user *argp)
{
	struct kuipc_signal_reg reg;
	struct task_struct *task;
	u32 status = 0;
	int ret;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	if (reg.size != sizeof(reg)) {
		pr_debug("get reg: bad size %u\n", reg.size);
		return -EINVAL;
	}

	if (mutex_lock_interruptible(&kuipc_signal.lock))
		return -ERESTARTSYS;
	if (!f->pid) {
		mutex_unlock(&kuipc_signal.lock);
		return -ENOENT;
	}
	rcu_read_lock();
	task = kuipc_signal_target(f);
	ret = task ? kuipc_signal_permitted(f->pid, f->cred, f->exempt, task) :
		     -ESRCH;
	if (ret)
		status = ret == -ESRCH ? ESRCH : EPERM;
	rcu_read_unlock();
	/* Every field assigned: no stack bytes reach user space. */
	reg.flags = f->flags;
	reg.signo = f->signo;
	reg.pid = pid_vnr(f->pid);
	reg.status = status;
	reg.reserved = 0;
	reg.delivered = f->delivered;
	mutex_unlock(&kuipc_signal.lock);

	if (copy_to_user(argp, &reg, sizeof(reg)))
		return -EFAULT;
	return 0;
}

static long kuipc_signal_trigger(void __user *argp)
{
	struct kuipc_signal_trigger trig;
	struct kuipc_signal_result res;
	long ret;

	if (copy_from_user(&trig, argp, sizeof(trig)))
		return -EFAULT;
	if (trig.size != sizeof(trig) || trig.delivered || trig.gone ||
	    trig.failed || trig.refused) {
		pr_debug("trigger: bad size %u or out fields\n",
			 trig.size);
		return -EINVAL;
	}
	/*
	 * Write the unchanged struct back first: a buffer we cannot write
	 * fails here with EFAULT before any signal is sent, rather than
	 * after the event with the caller left not knowing it happened.
	 */
	if (copy_to_user(argp, &trig, sizeof(trig)))
		return -EFAULT;

	ret = kuipc_signal_event(trig.value, &res);
	if (ret)
		return ret;
	trig.delivered = res.delivered;
	trig.gone = res.gone;
	trig.failed = res.failed;
	trig.refused = res.refused;
	if (copy_to_user(argp, &trig, sizeof(trig)))
		return -EFAULT;
	return 0;
}

/*
 * GET_STATS (@size the struct's) or GET_STATS_V0 (@size 40, for callers
 * built before @refused was added): only @size bytes are read and written.
 */
static long kuipc_signal_get_stats(void __user *argp, u32 size)
{
	struct kuipc_signal *ks = &kuipc_signal;
	struct kuipc_signal_stats st;

	/* All of it readable, as before the struct grew: EFAULT up front. */
	if (copy_from_user(&st, argp, size))
		return -EFAULT;
	if (st.size != size) {
		pr_debug("get stats: bad size %u\n", st.size);
		return -EINVAL;
	}

	memset(&st, 0, sizeof(st));
	st.size = size;
	if (mutex_lock_interruptible(&ks->lock))
		return -ERESTARTSYS;
	st.registrations = ks->nregs;
	st.events = ks->events;
	st.delivered = ks->delivered;
	st.gone = ks->gone;
	st.failed = ks->failed;
	st.refused = ks->refused;
	mutex_unlock(&ks->lock);

	if (copy_to_user(argp, &st, size))
		return -EFAULT;
	return 0;
}

static long kuipc_signal_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	struct kuipc_signal_file *f = file->private_data;
	void __user *argp = (void __user *)arg;
	/* The access mode is the right: receiving reads, sending writes. */
	bool readable = file->f_mode & FMODE_READ;
	bool writable = file->f_mode & FMODE_WRITE;
	long ret;

	switch (cmd) {
	case KUIPC_SIGNAL_REGISTER:
		ret = readable ? kuipc_signal_register(f, argp) : -EBADF;
		break;
	case KUIPC_SIGNAL_UNREGISTER:
		ret = readable ? kuipc_signal_unregister(f) : -EBADF;
		break;
	case KUIPC_SIGNAL_GET_REG:
		ret = readable ? kuipc_signal_get_reg(f, argp) : -EBADF;
		break;
	case KUIPC_SIGNAL_TRIGGER:
		ret = writable ? kuipc_signal_trigger(argp) : -EBADF;
		break;
	case KUIPC_SIGNAL_GET_STATS:
		ret = kuipc_signal_get_stats(argp, sizeof(struct kuipc_signal_stats));
		break;
	case KUIPC_SIGNAL_GET_STATS_V0:
		ret = kuipc_signal_get_stats(argp, KUIPC_SIGNAL_STATS_SIZE_V0);
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

/* An event from write(): the payload as decimal text. */
static ssize_t kuipc_signal_write(struct file *file, const char __user *buf,
				  size_t count, loff_t *ppos)
{
	char text[KUIPC_SIGNAL_WRITE_MAX + 1];
	struct kuipc_signal_result res;
	int value;
	int ret;

	if (!count)
		return 0;
	if (count > KUIPC_SIGNAL_WRITE_MAX) {
		pr_debug("write: %zu bytes is too long\n", count);
		return -EINVAL;
	}
	if (copy_from_user(text, buf, count))
		return -EFAULT;
	text[count] = '\0';
	/* kstrtoint() would stop at an embedded NUL: refuse one. */
	if (strlen(text) != count) {
		pr_debug("write: NUL byte in the value\n");
		return -EINVAL;
	}
	/* Decimal, optional sign, at most one trailing newline. */
	ret = kstrtoint(text, 10, &value);
	if (ret) {
		pr_debug("write: not a decimal int: %d\n", ret);
		return ret;
	}

	ret = kuipc_signal_event(value, &res);
	if (ret)
		return ret;
	return count;
}

static int kuipc_signal_open(struct inode *inode, struct file *file)
{
	struct kuipc_signal_file *f;

	/* Charged to the opener's memory cgroup: anyone may open the node. */
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	INIT_LIST_HEAD(&f->node);
	/* Replaces the struct miscdevice * that misc_open() put there. */
	file->private_data = f;
	/* No file position: lseek, pread and pwrite fail with ESPIPE. */
	return stream_open(inode, file);
}

/* The last descriptor of the file is gone: so is its registration. */
static int kuipc_signal_release(struct inode *inode, struct file *file)
{
	struct kuipc_signal_file *f = file->private_data;
	const struct cred *cred;
	struct pid *pid;

	mutex_lock(&kuipc_signal.lock);
	pid = kuipc_signal_unlink(f, &cred);
	mutex_unlock(&kuipc_signal.lock);

	if (pid) {
		pr_debug("release: registration of pid %d ends\n",
			 pid_vnr(pid));
		put_cred(cred);
		put_pid(pid);
	}
	kfree(f);
	return 0;
}

static const struct file_operations kuipc_signal_fops = {
	.owner = THIS_MODULE,
	.open = kuipc_signal_open,
	.release = kuipc_signal_release,
	.write = kuipc_signal_write,
	.unlocked_ioctl = kuipc_signal_ioctl,
	/* The structs have one layout for 32- and 64-bit callers. */
	.compat_ioctl = compat_ptr_ioctl,
};

static struct kuipc_signal kuipc_signal = {
	.misc = {
		.minor = MISC_DYNAMIC_MINOR,
		.name = KUIPC_SIGNAL_NAME,
		.fops = &kuipc_signal_fops,
		.mode = KUIPC_SIGNAL_MODE,
	},
	.lock = __MUTEX_INITIALIZER(kuipc_signal.lock),
	.regs = LIST_HEAD_INIT(kuipc_signal.regs),
};

static int __init kuipc_signal_init(void)
{
	int ret;

	/* The ABI must not change by accident; 64-bit fields 8-aligned. */
	BUILD_BUG_ON(sizeof(struct kuipc_signal_reg) != 32);
	BUILD_BUG_ON(offsetof(struct kuipc_signal_reg, delivered) != 24);
	BUILD_BUG_ON(sizeof(struct kuipc_signal_trigger) != 24);
	BUILD_BUG_ON(offsetof(struct kuipc_signal_trigger, refused) != 20);
	BUILD_BUG_ON(sizeof(struct kuipc_signal_stats) != 48);
	BUILD_BUG_ON(offsetof(struct kuipc_signal_stats, events) != 8);
	BUILD_BUG_ON(offsetof(struct kuipc_signal_stats, refused) !=
		     KUIPC_SIGNAL_STATS_SIZE_V0);
	/* The ABI's range is the kernel's real-time signals. */
	BUILD_BUG_ON(KUIPC_SIGNAL_SIGNO_MIN != SIGRTMIN);
	BUILD_BUG_ON(KUIPC_SIGNAL_SIGNO_MAX > _NSIG);
	/* "-2147483648\n" fits a write. */
	BUILD_BUG_ON(KUIPC_SIGNAL_WRITE_MAX < 12);

	if (!max_user_registrations) {
		pr_err("max_user_registrations must be 1 or more\n");
		return -EINVAL;
	}

	/* Last and only step: the device is usable once registered. */
	ret = misc_register(&kuipc_signal.misc);
	if (ret) {
		pr_err("cannot register %s: %d\n", KUIPC_SIGNAL_PATH, ret);
		return ret;
	}
	pr_info("loaded: %s, minor %d, signals %d..%d, %u registrations a user\n",
		KUIPC_SIGNAL_PATH, kuipc_signal.misc.minor,
		KUIPC_SIGNAL_SIGNO_MIN, KUIPC_SIGNAL_SIGNO_MAX,
		max_user_registrations);
	return 0;
}

static void __exit kuipc_signal_exit(void)
{
	/*
	 * No file is open (each pins the module), so no registration and
	 * no pid reference is left.
	 */
	misc_deregister(&kuipc_signal.misc);
	pr_info("unloaded\n");
}

module_init(kuipc_signal_init);
module_exit(kuipc_signal_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kuipc");
MODULE_DESCRIPTION("kuipc signal pair: real-time signals with a payload");
