// SPDX-License-Identifier: GPL-2.0-only
/*
 * An XDP program that passes every frame.  Tests and the demo attach it to
 * the client's veth: a frame that the peer sends back with XDP_TX reaches
 * this end's stack only when this end has an XDP program of its own (veth
 * queues XDP_TX frames for the peer's NAPI, which only runs with XDP on:
 * doc/testbed.md section 5).  Real NICs need
 * nothing of the kind.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
