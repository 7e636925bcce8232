// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark floor (tests/bpf/bench_xdp.c), never loaded by xwampd: xdp_xwamp
 * without every check and the atomic Sequence Number, to measure in one run what that costs per packet.
 */
#define XW_FLOOR (XW_FLOOR_NO_HOST | XW_FLOOR_NO_IPCSUM | XW_FLOOR_PLAIN_SEQ)
#include "xwamp.bpf.c"
