// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers of the veth benchmark (tests/bpf/bench_veth.c), on the client's
 * end of the veth pair:
 *   xdp_gen_tx      the generator: run with BPF_PROG_RUN and
 *                   BPF_F_TEST_XDP_LIVE_FRAMES, it sends every injected
 *                   frame out of the client veth to the server (XDP_TX).
 *   xdp_count_drop  attached to the client veth: counts the replies and
 *                   drops them, so that nothing but the reflector and the
 *                   veth path is measured.
 *   xdp_count_pass  the same, passing them to the stack (round trips with
 *                   a socket: a veth peer needs an XDP program to receive
 *                   XDP_TX frames).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} replies SEC(".maps");

static __always_inline void count(void)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&replies, &zero);

	if (v)
		(*v)++;
}

SEC("xdp")
int xdp_gen_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp")
int xdp_count_drop(struct xdp_md *ctx)
{
	count();
	return XDP_DROP;
}

SEC("xdp")
int xdp_count_pass(struct xdp_md *ctx)
{
	count();
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
