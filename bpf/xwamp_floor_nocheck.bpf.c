// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark floor (tests/bpf/bench_xdp.c), never loaded by xwampd: xdp_xwamp
 * without every check (host_check() and the IPv4 header checksum), to measure in one run what that costs per packet.
 */
#define XW_FLOOR (XW_FLOOR_NO_HOST | XW_FLOOR_NO_IPCSUM)
#include "xwamp.bpf.c"
