// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second benchmark baseline (tests/bpf/bench_xdp.c): the MAC swap of
 * xdp_baseline plus the one clock read that any reflector must do, stored
 * into the frame.  On machines where reading the clock is slow (a TSC
 * behind a hypervisor: ~35 ns here) it shows what the clock alone costs.
 * The time goes where a reflector's T3 goes in an untagged IPv4 frame
 * without options (Ethernet 14 + IP 20 + UDP 8 + sequence number 4), so
 * that over veth (bench_veth) the frames stay well-formed TWAMP packets.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define XW_CLOCK_OFF (20 + 8 + 4) /* from the end of the Ethernet header */

SEC("xdp")
int xdp_clock(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 now = bpf_ktime_get_tai_ns();
	__u8 mac[6];

	if ((void *)(eth + 1) + XW_CLOCK_OFF + 8 > end)
		return XDP_PASS;
	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
	__builtin_memcpy((__u8 *)(eth + 1) + XW_CLOCK_OFF, &now, 8);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
