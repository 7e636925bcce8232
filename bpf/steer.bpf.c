// SPDX-License-Identifier: GPL-2.0-only
/*
 * The socket path's steering (loader/xwampd/steer.c): an sk_lookup program
 * that hands every UDP datagram for a reflector session's port and local
 * address to one socket per address family, so that xwampd reads the
 * datagrams of all sessions with one recvmmsg() instead of one epoll event
 * and one recvmmsg() per session (README "Scale").  The session's own
 * socket stays bound: it holds the port and sends the replies.
 *
 * Only an exact (address, port) of a session is steered: a datagram the
 * kernel would not have given to the session's socket (another local
 * address, TCP, a port with no session) takes the normal lookup.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xwamp/steer.h"

/*
 * The context as the uapi defines it (a stable ABI), without vmlinux.h's
 * preserve_access_index: no CO-RE relocation, so libbpf never loads the
 * kernel's BTF for this program (~11 MiB of peak memory in xwampd).
 */
struct xw_sk_lookup {
	__u64 sk;
	__u32 family;
	__u32 protocol;
	__u32 remote_ip4;
	__u32 remote_ip6[4];
	__u16 remote_port;
	__u16 pad;
	__u32 local_ip4;
	__u32 local_ip6[4];
	__u32 local_port; /* host order */
	__u32 ingress_ifindex;
};
_Static_assert(__builtin_offsetof(struct xw_sk_lookup, family) == 8, "uapi bpf_sk_lookup");
_Static_assert(__builtin_offsetof(struct xw_sk_lookup, local_ip4) == 40, "uapi bpf_sk_lookup");
_Static_assert(__builtin_offsetof(struct xw_sk_lookup, local_port) == 60, "uapi bpf_sk_lookup");

#define AF_INET	    2
#define AF_INET6    10
#define IPPROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);	      /* one per port */
	__uint(map_flags, BPF_F_NO_PREALLOC); /* memory per session, not for 65536 */
	__type(key, __u32);
	__type(value, struct xw_steer_port);
} steer_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, XW_STEER_NSOCKS);
	__type(key, __u32);
	__type(value, __u64);
} steer_socks SEC(".maps");

SEC("sk_lookup")
int xw_steer(struct xw_sk_lookup *ctx)
{
	struct xw_steer_port *p;
	void *sk;
	__u32 port = ctx->local_port, slot;

	if (ctx->protocol != IPPROTO_UDP)
		return SK_PASS;
	p = bpf_map_lookup_elem(&steer_ports, &port);
	if (!p)
		return SK_PASS;
	if (ctx->family == AF_INET) {
		if (p->v6 || p->addr[0] != ctx->local_ip4)
			return SK_PASS;
		slot = XW_STEER_V4;
	} else if (ctx->family == AF_INET6) {
		if (!p->v6 || p->addr[0] != ctx->local_ip6[0] || p->addr[1] != ctx->local_ip6[1] ||
		    p->addr[2] != ctx->local_ip6[2] || p->addr[3] != ctx->local_ip6[3])
			return SK_PASS;
		slot = XW_STEER_V6;
	} else {
		return SK_PASS;
	}
	sk = bpf_map_lookup_elem(&steer_socks, &slot);
	if (!sk)
		return SK_PASS;
	/* a failure (socket gone) leaves the normal lookup: the session's socket */
	bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
