// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark floor (tests/bpf/bench_xdp.c), never loaded by xwampd: xdp_xwamp
 * without the per-interface counters (if_stats), to measure in one run what they cost per packet.
 */
#define XW_FLOOR (XW_FLOOR_NO_IFSTATS)
#include "xwamp.bpf.c"
