// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwamp's XDP program.  For now it parses to UDP and counts what it sees;
 * the TWAMP-Test reflector (issue: XDP fast path) grows here.  Everything
 * it does not own is XDP_PASS, untouched.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xwamp/bpf_shared.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

const volatile struct xw_bpf_config xw_cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &what);

	if (v)
		(*v)++;
}

SEC("xdp")
int xdp_xwamp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u16 proto;

	count(XW_STAT_RX);
	if ((void *)(eth + 1) > end) {
		count(XW_STAT_TRUNCATED);
		return XDP_PASS;
	}
	proto = bpf_ntohs(eth->h_proto);
	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		count(XW_STAT_NOT_UDP);
	count(XW_STAT_PASS);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
