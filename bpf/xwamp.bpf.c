// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwamp's XDP program: the unauthenticated TWAMP-Test Session-Reflector
 * (RFC 5357 4.2, RFC 6038 5.2) in the driver path.
 *
 *   frame -> [Ethernet [802.1Q/802.1ad x2]] -> IPv4 (options ok) | IPv6 -> UDP
 *         -> sessions[dst port] -> 5-tuple, armed, unauthenticated
 *         -> reflect (include/xwamp/reflect.h), swap, stamp, checksums -> XDP_TX
 *
 * Everything else is XDP_PASS, untouched.  TWAMP-Test packets of an armed
 * session that must not be answered (too short, wrong length, Error Estimate
 * Multiplier 0) are XDP_DROP, as the userspace reflector drops them.  Each
 * frame increments exactly one "stats" slot (bpf_shared.h).
 *
 * Not handled here (XDP_PASS, counted): IPv6 extension headers (a TWAMP
 * sender has no reason to send them; UDP must be the first next header),
 * IPv4 fragments, more than two VLAN tags, authenticated sessions (AF_XDP
 * redirect comes later).
 *
 * Frames start at the Ethernet header, or at the IP header when xw_cfg has
 * XW_CFG_L3 (TUN devices such as strongSwan's ipsec0: set per attach, the
 * IP version then comes from the first nibble).
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xwamp/bpf_shared.h"
#include "xwamp/ntp.h"
#include "xwamp/reflect.h"

#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8
#define IPPROTO_UDP_ 17
#define XW_TTL	     255 /* RFC 5357 4.2.1: reflector SHOULD send with TTL 255 */
#define XW_MAX_VLAN  2

const volatile struct xw_bpf_config xw_cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XW_SESS_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct xw_sess);
} sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xw_bpf_clock);
} clock SEC(".maps");

struct xw_vlan {
	__be16 tci;
	__be16 proto;
};

typedef __u64 __attribute__((may_alias)) u64_a;
typedef __u32 __attribute__((may_alias)) u32_a;
typedef __u16 __attribute__((may_alias)) u16_a;

static __always_inline int verdict(__u32 what, int action)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &what);

	if (v)
		(*v)++;
	return action;
}

/*
 * Internet checksum arithmetic (RFC 1071) in native byte order: a sum of
 * 16-bit words loaded from memory is byte-order independent, so words are
 * loaded and stored as they lie and never swapped.  Every region summed
 * here starts at an even offset from the UDP header.
 */
static __always_inline __u16 csum_fold(__u64 acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (__u16)acc;
}

static __always_inline __u64 csum_add64(__u64 acc, __u64 w)
{
	return acc + (w & 0xffffffff) + (w >> 32);
}

/* The first 41 octets of a TWAMP payload (caller checked they exist). */
static __always_inline __u64 csum_refl_hdr(const __u8 *p)
{
	__u64 acc = 0;

	acc = csum_add64(acc, *(const u64_a *)p);
	acc = csum_add64(acc, *(const u64_a *)(p + 8));
	acc = csum_add64(acc, *(const u64_a *)(p + 16));
	acc = csum_add64(acc, *(const u64_a *)(p + 24));
	acc = csum_add64(acc, *(const u64_a *)(p + 32));
	/* octet 40 is at an even offset: the first octet of a word */
	return acc + (__u64)bpf_ntohs((__u16)p[40] << 8);
}

/*
 * Sum of len octets at p (an even offset), every access checked against
 * end: 8-octet words, then the last len % 8 octets one by one.  Loop bounds
 * come from len alone, never from the previous loop's exit, so that the
 * verifier walks each loop once per entry state.
 */
static __always_inline int csum_span(const __u8 *p, const void *end, __u32 len, __u64 *accp)
{
	__u64 acc = *accp;
	__u32 nw, base, tail;
	int k;

	XW_REFL_OPAQUE(len);
	len &= 0x1fff; /* exact: len <= 8 + 4096 + 41 */
	nw = len >> 3;
	tail = len & 7;
	base = len & ~7U;
	for (k = 0; k < 0x1fff / 8 && (__u32)k < nw; k++) {
		const __u8 *q = p + ((k * 8) & 0x1fff);

		if ((const void *)(q + 8) > end)
			return -1;
		acc = csum_add64(acc, *(const u64_a *)q);
	}
	for (k = 0; k < 7 && (__u32)k < tail; k++) {
		const __u8 *q = p + ((base + k) & 0x1fff);

		if ((const void *)(q + 1) > end)
			return -1;
		/* base is even: odd k are the second octet of their word */
		acc += bpf_htons((k & 1) ? (__u16)*q : (__u16)*q << 8);
	}
	*accp = acc;
	return 0;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), on a 16-bit field in place. */
static __always_inline void csum_replace16(__u8 *field, __u16 old, __u16 new)
{
	__u16 hc = *(u16_a *)field;
	__u64 acc = (__u16)~hc;

	acc += (__u16)~old;
	acc += new;
	*(u16_a *)field = (__u16)~csum_fold(acc);
}

struct pkt {
	__u32 l3off; /* offset of the IP header */
	__u32 l4off; /* offset of the UDP header */
	__u32 ulen;  /* UDP length */
	__u8 v6;     /* IPv6, else IPv4 */
	__u8 ttl;    /* received TTL / Hop Limit */
	__u8 ucsum0; /* IPv4 UDP checksum was 0 (none) */
	__u8 pad;
};

/*
 * Parse to the UDP header.  Returns -1 and the stats slot in *why for
 * anything that is not a well-formed IPv4/IPv6 UDP datagram inside the
 * frame; the cursor (pos) is checked before each header is read (STYLE.md 9).
 */
static __always_inline int parse(void *data, void *end, struct pkt *k, __u32 *why)
{
	void *pos = data;
	__u16 proto;
	int i;

	if (xw_cfg.flags & XW_CFG_L3) {
		if (pos + 1 > end)
			goto trunc;
		proto = (*(__u8 *)pos >> 4) == 4   ? ETH_P_IP
			: (*(__u8 *)pos >> 4) == 6 ? ETH_P_IPV6
						   : 0;
	} else {
		struct ethhdr *eth = pos;

		if ((void *)(eth + 1) > end)
			goto trunc;
		proto = bpf_ntohs(eth->h_proto);
		pos = eth + 1;
#pragma unroll
		for (i = 0; i < XW_MAX_VLAN; i++) {
			struct xw_vlan *vh = pos;

			if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
				break;
			if ((void *)(vh + 1) > end)
				goto trunc;
			proto = bpf_ntohs(vh->proto);
			pos = vh + 1;
		}
	}
	k->l3off = pos - data;

	if (proto == ETH_P_IP) {
		struct iphdr *ip = pos;
		__u32 hlen, tot;

		if ((void *)(ip + 1) > end)
			goto trunc;
		hlen = ip->ihl * 4;
		if (ip->version != 4 || hlen < sizeof(*ip)) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		if (ip->protocol != IPPROTO_UDP_) {
			*why = XW_STAT_PASS_NOT_UDP;
			return -1;
		}
		/* fragments: MF set or an offset (RFC 791) */
		if (ip->frag_off & bpf_htons(0x3fff)) {
			*why = XW_STAT_PASS_FRAG;
			return -1;
		}
		if (pos + hlen + sizeof(struct udphdr) > end)
			goto trunc;
		tot = bpf_ntohs(ip->tot_len);
		if (tot < hlen + sizeof(struct udphdr) || pos + tot > end) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		k->v6 = 0;
		k->ttl = ip->ttl;
		k->l4off = k->l3off + hlen;
		pos += hlen;
		k->ulen = bpf_ntohs(((struct udphdr *)pos)->len);
		if (k->ulen < sizeof(struct udphdr) || k->ulen > tot - hlen) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		k->ucsum0 = ((struct udphdr *)pos)->check == 0;
		return 0;
	}
	if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = pos;
		__u32 plen;

		if ((void *)(ip6 + 1) > end)
			goto trunc;
		if (ip6->version != 6) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		if (ip6->nexthdr != IPPROTO_UDP_) {
			*why = XW_STAT_PASS_NOT_UDP;
			return -1;
		}
		if ((void *)(ip6 + 1) + sizeof(struct udphdr) > end)
			goto trunc;
		/* payload length 0 is a jumbogram (RFC 2675): not ours */
		plen = bpf_ntohs(ip6->payload_len);
		if (plen < sizeof(struct udphdr) || (void *)(ip6 + 1) + plen > end) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		k->v6 = 1;
		k->ttl = ip6->hop_limit;
		k->l4off = k->l3off + sizeof(*ip6);
		pos = ip6 + 1;
		k->ulen = bpf_ntohs(((struct udphdr *)pos)->len);
		if (k->ulen < sizeof(struct udphdr) || k->ulen > plen) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		k->ucsum0 = 0;
		return 0;
	}
	*why = XW_STAT_PASS_NOT_IP;
	return -1;
trunc:
	*why = XW_STAT_PASS_TRUNC;
	return -1;
}

/* The packet's addresses and ports against the session's 5-tuple. */
static __always_inline int tuple_ok(const struct xw_sess *s, void *ip, const struct udphdr *udp,
				    int v6)
{
	if (s->sender_port != udp->source || s->refl_port != udp->dest)
		return 0;
	if (!v6) {
		const struct iphdr *h = ip;

		return s->family == XW_SESS_INET && h->saddr == *(const u32_a *)s->sender_addr &&
		       h->daddr == *(const u32_a *)s->refl_addr;
	}
	{
		const struct ipv6hdr *h = ip;
		const u64_a *sa = (const u64_a *)&h->saddr, *da = (const u64_a *)&h->daddr;
		const u64_a *ss = (const u64_a *)s->sender_addr, *sr = (const u64_a *)s->refl_addr;

		return s->family == XW_SESS_INET6 && sa[0] == ss[0] && sa[1] == ss[1] &&
		       da[0] == sr[0] && da[1] == sr[1];
	}
}

static __always_inline void sess_count(__u64 *c)
{
	__sync_fetch_and_add(c, 1);
}

SEC("xdp")
int xdp_xwamp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xw_refl_args a = {};
	struct xw_bpf_clock *clk;
	struct xw_sess *s;
	struct udphdr *udp;
	struct pkt k = {};
	__u32 why = 0, port, len, rl, out_len, need, flen, zero = 0;
	__u8 *p, *l3;
	__u64 old41 = 0, now;
	int moved, r;

	if (parse(data, end, &k, &why))
		return verdict(why, XDP_PASS);
	/* parse() proved l3off + IP header and l4off + 8 are inside the frame */
	k.l3off &= 0x3f;
	k.l4off &= 0x7f;
	l3 = data + k.l3off;
	udp = data + k.l4off;
	if ((void *)(udp + 1) > end)
		return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);

	port = bpf_ntohs(udp->dest);
	s = bpf_map_lookup_elem(&sessions, &port);
	if (!s || s->state == XW_SESS_FREE)
		return verdict(XW_STAT_PASS_NO_SESS, XDP_PASS);
	if (k.v6) {
		if ((void *)(l3 + sizeof(struct ipv6hdr)) > end)
			return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);
	} else if ((void *)(l3 + sizeof(struct iphdr)) > end) {
		return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);
	}
	if (!tuple_ok(s, l3, udp, k.v6))
		return verdict(XW_STAT_PASS_TUPLE, XDP_PASS);
	if (s->state != XW_SESS_ARMED || s->mode != XW_SESS_UNAUTH) {
		sess_count(&s->passed);
		return verdict(s->state != XW_SESS_ARMED ? XW_STAT_PASS_DISARMED
							 : XW_STAT_PASS_MODE,
			       XDP_PASS);
	}

	/*
	 * A sender packet shorter than the reflector's header (+ reflected
	 * octets) gets a longer answer (RFC 5357 4.2.1): grow the frame to
	 * exactly the new datagram (dropping any Ethernet trailer) first.
	 */
	len = k.ulen - sizeof(struct udphdr);
	rl = (s->flags & XW_SESS_F_REFLECT) ? s->reflect_len : 0;
	out_len = XW_REFL_OUT_LEN(len, rl);
	need = k.l4off + sizeof(struct udphdr) + out_len;
	flen = end - data;
	if (need > flen) {
		if (out_len > 0x1000 || bpf_xdp_adjust_tail(ctx, (int)(need - flen)))
			return verdict(XW_STAT_PASS_NOROOM, XDP_PASS);
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		l3 = data + k.l3off;
		udp = data + k.l4off;
		if ((void *)(udp + 1) > end || (void *)(l3 + sizeof(struct ipv6hdr)) > end)
			return verdict(XW_STAT_PASS_NOROOM, XDP_PASS);
	}
	p = (__u8 *)(udp + 1);
	if ((void *)(p + XW_REFL_HDR) > end)
		return verdict(XW_STAT_PASS_NOROOM, XDP_PASS);
	moved = !(s->flags & XW_SESS_F_SYMMETRIC) && out_len > XW_REFL_HDR;
	if (!moved && out_len == len)
		old41 = csum_refl_hdr(p);

	/*
	 * One clock read serves as receive (T2) and transmit (T3) timestamp:
	 * a second bpf_ktime_get_tai_ns() costs as much as the whole rest of
	 * the rewrite.  So the reflector's processing time reads as 0; what
	 * it hides is the few hundred ns between this point and the driver
	 * sending the frame, well inside a typical Error Estimate.
	 */
	clk = bpf_map_lookup_elem(&clock, &zero);
	if (!clk)
		return verdict(XW_STAT_PASS_NOROOM, XDP_PASS);
	now = bpf_ktime_get_tai_ns() + clk->utc_offset_ns;
	a.rx_ts = xw_ns_to_ntp(now);
	a.tx_ts = a.rx_ts;
	a.errest = clk->errest;
	a.next_seq = &s->next_seq;
	a.expect_len = s->expect_len;
	a.reflect_len = rl;
	a.sender_ttl = k.ttl;
	a.flags = s->flags;
	r = xw_reflect_open(p, end, len, &a);
	if (r < 0) {
		if (r == XW_REFL_E_TRUNC) {
			sess_count(&s->drops[XW_SESS_DROP_TRUNC]);
			return verdict(XW_STAT_DROP_TRUNC, XDP_DROP);
		}
		if (r == XW_REFL_E_LEN) {
			sess_count(&s->drops[XW_SESS_DROP_LEN]);
			return verdict(XW_STAT_DROP_LEN, XDP_DROP);
		}
		if (r == XW_REFL_E_MULT0) {
			sess_count(&s->drops[XW_SESS_DROP_MULT0]);
			return verdict(XW_STAT_DROP_MULT0, XDP_DROP);
		}
		return verdict(XW_STAT_PASS_NOROOM, XDP_PASS);
	}

	/* Link layer: back to where it came from. */
	if (!(xw_cfg.flags & XW_CFG_L3)) {
		struct ethhdr *eth = data;
		__u8 mac[6];

		if ((void *)(eth + 1) > end)
			return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);
		__builtin_memcpy(mac, eth->h_dest, 6);
		__builtin_memcpy(eth->h_dest, eth->h_source, 6);
		__builtin_memcpy(eth->h_source, mac, 6);
	}

	/* UDP: ports swapped (the pseudo-header sum does not change). */
	{
		__be16 sp = udp->source;

		udp->source = udp->dest;
		udp->dest = sp;
	}

	if (!k.v6) {
		struct iphdr *ip = (struct iphdr *)l3;
		__be32 sa;
		__u16 o0, o8, n0, n8;

		if ((void *)(ip + 1) > end)
			return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);
		sa = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = sa;
		o0 = *(u16_a *)ip;
		o8 = *(u16_a *)((__u8 *)ip + 8);
		ip->tos = s->dscp << 2; /* ECN Not-ECT: we are no ECN transport */
		ip->ttl = XW_TTL;
		n0 = *(u16_a *)ip;
		n8 = *(u16_a *)((__u8 *)ip + 8);
		csum_replace16((__u8 *)&ip->check, o0, n0);
		csum_replace16((__u8 *)&ip->check, o8, n8);
		if ((__u32)r != len) {
			__u16 ot = ip->tot_len;

			ip->tot_len = bpf_htons(bpf_ntohs(ot) + (r - len));
			csum_replace16((__u8 *)&ip->check, ot, ip->tot_len);
		}
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)l3;
		__u8 *b = l3, tc = s->dscp << 2;
		__u64 t0, t1;

		if ((void *)(ip6 + 1) > end)
			return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);
		t0 = *(u64_a *)(b + 8);
		t1 = *(u64_a *)(b + 16);
		*(u64_a *)(b + 8) = *(u64_a *)(b + 24);
		*(u64_a *)(b + 16) = *(u64_a *)(b + 32);
		*(u64_a *)(b + 24) = t0;
		*(u64_a *)(b + 32) = t1;
		/* version 6 | Traffic Class (DSCP, ECN 0) | Flow Label kept */
		b[0] = 0x60 | (tc >> 4);
		b[1] = (__u8)(tc << 4) | (b[1] & 0x0f);
		ip6->hop_limit = XW_TTL;
		if ((__u32)r != len)
			ip6->payload_len = bpf_htons(bpf_ntohs(ip6->payload_len) + (r - len));
	}

	if ((__u32)r != len)
		udp->len = bpf_htons(sizeof(struct udphdr) + r);

	/*
	 * UDP checksum.  IPv4 without one stays without.  When only the first
	 * 41 payload octets changed: incremental (RFC 1624).  When the
	 * padding moved or the datagram grew: from scratch.
	 */
	if (k.ucsum0)
		return verdict(XW_STAT_REFLECTED, XDP_TX);
	if (!moved && (__u32)r == len && udp->check) {
		csum_replace16((__u8 *)&udp->check, csum_fold(old41), csum_fold(csum_refl_hdr(p)));
		if (!udp->check)
			udp->check = 0xffff;
		return verdict(XW_STAT_REFLECTED, XDP_TX);
	}
	{
		__u64 acc = 0;
		__u16 c;

		/* pseudo-header: addresses, protocol, UDP length (RFC 768, RFC 8200 8.1) */
		if (!k.v6) {
			struct iphdr *ip = (struct iphdr *)l3;

			if ((void *)(ip + 1) > end)
				return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);
			acc += ip->saddr;
			acc += ip->daddr;
		} else {
			__u8 *b = l3;

			if ((void *)(b + 40) > end)
				return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);
			acc = csum_add64(acc, *(u64_a *)(b + 8));
			acc = csum_add64(acc, *(u64_a *)(b + 16));
			acc = csum_add64(acc, *(u64_a *)(b + 24));
			acc = csum_add64(acc, *(u64_a *)(b + 32));
		}
		acc += bpf_htons(IPPROTO_UDP_);
		acc += udp->len;
		udp->check = 0;
		if (csum_span((__u8 *)udp, end, sizeof(struct udphdr) + r, &acc))
			return verdict(XW_STAT_PASS_TRUNC, XDP_PASS);
		c = ~csum_fold(acc);
		udp->check = c ? c : 0xffff;
	}
	return verdict(XW_STAT_REFLECTED, XDP_TX);
}

char LICENSE[] SEC("license") = "GPL";
