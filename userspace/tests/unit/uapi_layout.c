/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The layout of every struct of the uapi headers, checked at compile time:
 * its size and each field's offset as x86_64 lays them out (the ABI in
 * use). unit/uapi.cpp compiles this file for x86_64 (-m64) and for i386
 * (-m32), whose __u64 is aligned to 4 bytes only: a struct that i386 lays
 * out differently fails here, before a 32-bit process can meet it through
 * compat_ptr_ioctl. unit/uapi.cpp also checks that every struct of the
 * headers has its line here.
 */
#include <stddef.h>

#include <kuipc/chardev.h>
#include <kuipc/debugfs.h>
#include <kuipc/eventfd.h>
#include <kuipc/mmap.h>
#include <kuipc/signal.h>
#include <kuipc/udp.h>
#include <kuipc/umh.h>

#define KUIPC_SIZE(s, n) \
	_Static_assert(sizeof(struct s) == (n), "sizeof(struct " #s ")")
#define KUIPC_AT(s, f, n) \
	_Static_assert(offsetof(struct s, f) == (n), #s "." #f)

/* chardev.h */
KUIPC_SIZE(kuipc_chardev_config, 16);
KUIPC_AT(kuipc_chardev_config, size, 0);
KUIPC_AT(kuipc_chardev_config, capacity, 4);
KUIPC_AT(kuipc_chardev_config, reserved, 8);

KUIPC_SIZE(kuipc_chardev_stats, 48);
KUIPC_AT(kuipc_chardev_stats, size, 0);
KUIPC_AT(kuipc_chardev_stats, flags, 4);
KUIPC_AT(kuipc_chardev_stats, queued, 8);
KUIPC_AT(kuipc_chardev_stats, reserved, 12);
KUIPC_AT(kuipc_chardev_stats, bytes_written, 16);
KUIPC_AT(kuipc_chardev_stats, bytes_read, 24);
KUIPC_AT(kuipc_chardev_stats, writes, 32);
KUIPC_AT(kuipc_chardev_stats, reads, 40);

/* debugfs.h */
KUIPC_SIZE(kuipc_debugfs_info, 24);
KUIPC_AT(kuipc_debugfs_info, magic, 0);
KUIPC_AT(kuipc_debugfs_info, abi_version, 4);
KUIPC_AT(kuipc_debugfs_info, log_max, 8);
KUIPC_AT(kuipc_debugfs_info, event_max, 12);
KUIPC_AT(kuipc_debugfs_info, capacity_min, 16);
KUIPC_AT(kuipc_debugfs_info, capacity_default, 20);

/* eventfd.h */
KUIPC_SIZE(kuipc_eventfd_register, 16);
KUIPC_AT(kuipc_eventfd_register, channel, 0);
KUIPC_AT(kuipc_eventfd_register, efd, 4);
KUIPC_AT(kuipc_eventfd_register, flags, 8);
KUIPC_AT(kuipc_eventfd_register, reserved, 12);

KUIPC_SIZE(kuipc_eventfd_unregister, 8);
KUIPC_AT(kuipc_eventfd_unregister, channel, 0);
KUIPC_AT(kuipc_eventfd_unregister, flags, 4);

KUIPC_SIZE(kuipc_eventfd_msg, 32);
KUIPC_AT(kuipc_eventfd_msg, channel, 0);
KUIPC_AT(kuipc_eventfd_msg, len, 4);
KUIPC_AT(kuipc_eventfd_msg, data, 8);
KUIPC_AT(kuipc_eventfd_msg, seq, 16);
KUIPC_AT(kuipc_eventfd_msg, flags, 24);
KUIPC_AT(kuipc_eventfd_msg, reserved, 28);

KUIPC_SIZE(kuipc_eventfd_status, 32);
KUIPC_AT(kuipc_eventfd_status, channel, 0);
KUIPC_AT(kuipc_eventfd_status, flags, 4);
KUIPC_AT(kuipc_eventfd_status, queued, 8);
KUIPC_AT(kuipc_eventfd_status, reserved, 12);
KUIPC_AT(kuipc_eventfd_status, produced, 16);
KUIPC_AT(kuipc_eventfd_status, fetched, 24);

/* mmap.h */
KUIPC_SIZE(kuipc_mmap_ctrl, 192);
KUIPC_AT(kuipc_mmap_ctrl, magic, 0);
KUIPC_AT(kuipc_mmap_ctrl, version, 4);
KUIPC_AT(kuipc_mmap_ctrl, size, 8);
KUIPC_AT(kuipc_mmap_ctrl, record_size, 12);
KUIPC_AT(kuipc_mmap_ctrl, records, 16);
KUIPC_AT(kuipc_mmap_ctrl, data_offset, 20);
KUIPC_AT(kuipc_mmap_ctrl, user_offset, 24);
KUIPC_AT(kuipc_mmap_ctrl, user_size, 28);
KUIPC_AT(kuipc_mmap_ctrl, pad0, 32);
KUIPC_AT(kuipc_mmap_ctrl, head, 64);
KUIPC_AT(kuipc_mmap_ctrl, pad1, 68);
KUIPC_AT(kuipc_mmap_ctrl, tail, 128);
KUIPC_AT(kuipc_mmap_ctrl, pad2, 132);

KUIPC_SIZE(kuipc_mmap_record, 64);
KUIPC_AT(kuipc_mmap_record, seq, 0);
KUIPC_AT(kuipc_mmap_record, len, 8);
KUIPC_AT(kuipc_mmap_record, reserved, 12);
KUIPC_AT(kuipc_mmap_record, payload, 16);
KUIPC_AT(kuipc_mmap_record, check, 56);

KUIPC_SIZE(kuipc_mmap_produce, 8);
KUIPC_AT(kuipc_mmap_produce, count, 0);
KUIPC_AT(kuipc_mmap_produce, flags, 4);

KUIPC_SIZE(kuipc_mmap_checksum, 16);
KUIPC_AT(kuipc_mmap_checksum, offset, 0);
KUIPC_AT(kuipc_mmap_checksum, len, 4);
KUIPC_AT(kuipc_mmap_checksum, sum, 8);

/* signal.h */
KUIPC_SIZE(kuipc_signal_reg, 32);
KUIPC_AT(kuipc_signal_reg, size, 0);
KUIPC_AT(kuipc_signal_reg, flags, 4);
KUIPC_AT(kuipc_signal_reg, signo, 8);
KUIPC_AT(kuipc_signal_reg, pid, 12);
KUIPC_AT(kuipc_signal_reg, status, 16);
KUIPC_AT(kuipc_signal_reg, reserved, 20);
KUIPC_AT(kuipc_signal_reg, delivered, 24);

KUIPC_SIZE(kuipc_signal_trigger, 24);
KUIPC_AT(kuipc_signal_trigger, size, 0);
KUIPC_AT(kuipc_signal_trigger, value, 4);
KUIPC_AT(kuipc_signal_trigger, delivered, 8);
KUIPC_AT(kuipc_signal_trigger, gone, 12);
KUIPC_AT(kuipc_signal_trigger, failed, 16);
KUIPC_AT(kuipc_signal_trigger, refused, 20);

KUIPC_SIZE(kuipc_signal_stats, 48);
KUIPC_AT(kuipc_signal_stats, size, 0);
KUIPC_AT(kuipc_signal_stats, registrations, 4);
KUIPC_AT(kuipc_signal_stats, events, 8);
KUIPC_AT(kuipc_signal_stats, delivered, 16);
KUIPC_AT(kuipc_signal_stats, gone, 24);
KUIPC_AT(kuipc_signal_stats, failed, 32);
KUIPC_AT(kuipc_signal_stats, refused, 40);

/* udp.h */
KUIPC_SIZE(kuipc_udp_hdr, 16);
KUIPC_AT(kuipc_udp_hdr, magic, 0);
KUIPC_AT(kuipc_udp_hdr, version, 4);
KUIPC_AT(kuipc_udp_hdr, op, 5);
KUIPC_AT(kuipc_udp_hdr, status, 6);
KUIPC_AT(kuipc_udp_hdr, seq, 8);
KUIPC_AT(kuipc_udp_hdr, len, 12);

KUIPC_SIZE(kuipc_udp_stats, 64);
KUIPC_AT(kuipc_udp_stats, requests, 0);
KUIPC_AT(kuipc_udp_stats, replies, 8);
KUIPC_AT(kuipc_udp_stats, dropped, 16);
KUIPC_AT(kuipc_udp_stats, rejected, 24);
KUIPC_AT(kuipc_udp_stats, send_errors, 32);
KUIPC_AT(kuipc_udp_stats, rx_bytes, 40);
KUIPC_AT(kuipc_udp_stats, tx_bytes, 48);
KUIPC_AT(kuipc_udp_stats, foreign, 56);

/* umh.h */
KUIPC_SIZE(kuipc_umh_request, 560);
KUIPC_AT(kuipc_umh_request, size, 0);
KUIPC_AT(kuipc_umh_request, mode, 4);
KUIPC_AT(kuipc_umh_request, exit_code, 8);
KUIPC_AT(kuipc_umh_request, timeout_ms, 12);
KUIPC_AT(kuipc_umh_request, arg_ptr, 16);
KUIPC_AT(kuipc_umh_request, arg_len, 24);
KUIPC_AT(kuipc_umh_request, flags, 28);
KUIPC_AT(kuipc_umh_request, id, 32);
KUIPC_AT(kuipc_umh_request, status, 40);
KUIPC_AT(kuipc_umh_request, output_len, 44);
KUIPC_AT(kuipc_umh_request, output, 48);

KUIPC_SIZE(kuipc_umh_stats, 56);
KUIPC_AT(kuipc_umh_stats, size, 0);
KUIPC_AT(kuipc_umh_stats, in_flight, 4);
KUIPC_AT(kuipc_umh_stats, requests, 8);
KUIPC_AT(kuipc_umh_stats, exited, 16);
KUIPC_AT(kuipc_umh_stats, failed, 24);
KUIPC_AT(kuipc_umh_stats, abandoned, 32);
KUIPC_AT(kuipc_umh_stats, timed_out, 40);
KUIPC_AT(kuipc_umh_stats, reports, 48);
