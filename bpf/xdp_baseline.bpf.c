// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark baseline (tests/bpf/bench_xdp.c): the least an XDP
 * reflector can do, swap the Ethernet addresses and send the frame back.
 * The reflector's cost is reported as a ratio to this program's, measured
 * in the same run, so that machine speed cancels out.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_baseline(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 mac[6];

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
