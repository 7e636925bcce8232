/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between the XDP program and xwampd: every struct either side
 * reads from a map is defined here once, with explicit padding and size
 * asserts (ARCHITECTURE.md decision 6).
 */
#ifndef XWAMP_BPF_SHARED_H
#define XWAMP_BPF_SHARED_H

#include "xwamp/types.h"

/* Global counters, one slot per reason, per CPU (map "stats"). */
enum xw_stat {
	XW_STAT_RX = 0,	     /* frames the program saw */
	XW_STAT_PASS,	     /* handed to the kernel untouched */
	XW_STAT_NOT_UDP,     /* not IPv4/IPv6 UDP */
	XW_STAT_TRUNCATED,   /* a header ran past the end of the frame */
	XW_STAT_MAX,
};

/* Runtime configuration, set in .rodata before load. */
struct xw_bpf_config {
	__u32 flags;
	__u32 pad;
};
_Static_assert(sizeof(struct xw_bpf_config) == 8, "xw_bpf_config layout");

#endif /* XWAMP_BPF_SHARED_H */
