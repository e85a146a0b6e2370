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

#include <linux/eventfd.h>
#include <linux/kfifo.h>
#include <linux/mm.h>
#include <linux/net.h>
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

/*
 * register_sysctl() takes a const table since 6.13 ("sysctl: allow
 * registration of const struct ctl_table"); 6.1 and 6.12 declare it
 * non-const, though they do not write to it either. Declare a table as
 *   static KUIPC_SYSCTL_TABLE_CONST struct ctl_table t[] = { ... };
 * so that it sits in read-only memory wherever the kernel allows it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define KUIPC_SYSCTL_TABLE_CONST const
#else
#define KUIPC_SYSCTL_TABLE_CONST
#endif

/*
 * eventfd_signal() before 6.8: __u64 eventfd_signal(ctx, n) adds n (capped
 * so the counter stops at ULLONG_MAX) and returns the amount added.
 * Since 6.8 (3652117f8548 "eventfd: simplify eventfd_signal()" and the two
 * commits after it): void eventfd_signal(ctx) adds 1, a static inline around
 * eventfd_signal_mask(ctx, mask). The 6.7.y stable series took the change
 * too, which a version test cannot see; 6.1.y did not. eventfd_signal_mask()
 * is not exported on 6.1. Either form warns once and does nothing when
 * called from inside an eventfd wake-up (see eventfd_signal_allowed()).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
static inline void kuipc_eventfd_signal(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx);
}
#else
static inline void kuipc_eventfd_signal(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx, 1);
}
#endif

/*
 * kernel_bind() and kernel_connect() take a struct sockaddr_unsized * since
 * 6.19 ("net: ... sockaddr_unsized"); 6.1 and 6.12 take struct sockaddr *.
 * Pass the address as kuipc_sockaddr(&addr).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
#define kuipc_sockaddr(sa) ((struct sockaddr_unsized *)(sa))
#else
#define kuipc_sockaddr(sa) ((struct sockaddr *)(sa))
#endif

/*
 * vm_area_struct.vm_flags became read-only in 6.3 (per-VMA locking): it is
 * changed with vm_flags_set() and vm_flags_clear(), which also write-lock
 * the VMA. Before 6.3 there are no such helpers and the field is written
 * directly; .mmap runs with mmap_lock held for writing either way.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void kuipc_vm_flags_set(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void kuipc_vm_flags_clear(struct vm_area_struct *vma,
					vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#else
static inline void kuipc_vm_flags_set(struct vm_area_struct *vma,
				      vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}

static inline void kuipc_vm_flags_clear(struct vm_area_struct *vma,
					vm_flags_t flags)
{
	vm_flags_clear(vma, flags);
}
#endif

/*
 * kfifo_skip_count(), which drops the oldest count elements, came in 6.10
 * ("kfifo: introduce and use kfifo_skip_count()"); before it only
 * kfifo_skip() (one element) existed. For a FIFO without records, which is
 * all kuipc uses, it only advances the out index, as done here by hand.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
static inline void kuipc_kfifo_skip_count(struct kfifo *fifo,
					  unsigned int count)
{
	kfifo_skip_count(fifo, count);
}
#else
static inline void kuipc_kfifo_skip_count(struct kfifo *fifo,
					  unsigned int count)
{
	fifo->kfifo.out += count;
}
#endif

/*
 * f_op->mmap_prepare (6.16, "mm: introduce new .mmap_prepare() file
 * callback") is called before the VMA exists, with a struct vm_area_desc
 * describing the mapping to be made: its flags, page offset, range, and the
 * vm_ops and private data the VMA will get. f_op->mmap, called with the VMA
 * already in the tree, is deprecated in its favour and drivers are being
 * converted; a file may have one or the other, not both (can_mmap_file()).
 * KUIPC_HAVE_MMAP_PREPARE tells a module which one to provide.
 *
 * The descriptor's flags: up to 6.19 a vm_flags_t desc->vm_flags tested
 * with VM_* masks; since 7.0 a vma_flags_t bitmap desc->vma_flags, read and
 * changed through vma_desc_test(), vma_desc_set_flags() and
 * vma_desc_clear_flags() with VMA_*_BIT numbers (the form of 7.2's headers;
 * the 6.16 to 7.1 forms follow upstream history and are not built here).
 * Pass the flag's name without prefix: kuipc_desc_test(desc, MAYSHARE).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define KUIPC_HAVE_MMAP_PREPARE 1
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
#define kuipc_desc_test(desc, name) vma_desc_test(desc, VMA_##name##_BIT)
#define kuipc_desc_set(desc, name) vma_desc_set_flags(desc, VMA_##name##_BIT)
#define kuipc_desc_clear(desc, name) \
	vma_desc_clear_flags(desc, VMA_##name##_BIT)
#elif defined(KUIPC_HAVE_MMAP_PREPARE)
#define kuipc_desc_test(desc, name) (!!((desc)->vm_flags & VM_##name))
#define kuipc_desc_set(desc, name) ((desc)->vm_flags |= VM_##name)
#define kuipc_desc_clear(desc, name) ((desc)->vm_flags &= ~VM_##name)
#endif

#endif /* _KUIPC_COMPAT_H */
