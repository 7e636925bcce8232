// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark floor (tests/bpf/bench_xdp.c), never loaded by xwampd: xdp_xwamp
 * without the UDP checksum verification, to measure in one run what that costs per packet.
 */
#define XW_FLOOR (XW_FLOOR_NO_UCSUM)
#include "xwamp.bpf.c"
