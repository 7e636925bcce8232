// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwamp's in-kernel TWAMP-Test Session-Reflector (RFC 5357 4.2, RFC 6038
 * 5.2): one XDP program and one tc program over the same maps and the same
 * transform (include/xwamp/reflect.h).
 *
 *   frame -> [Ethernet [802.1Q/802.1ad x2]] -> IPv4 (header checksum) | IPv6 -> UDP
 *         -> sessions[dst port] -> 5-tuple, armed
 *         -> for this host? (host_check(): MAC, addresses, UDP checksum)
 *         -> unauthenticated: reflect (reflect.h), swap, stamp, checksums
 *         -> XDP_TX (xdp_xwamp) | bpf_redirect(ifindex, 0) (tc_xwamp)
 *
 * Everything else is passed (XDP_PASS / TC_ACT_OK), untouched.  TWAMP-Test
 * packets of an armed session that must not be answered (too short, wrong
 * length, Error Estimate Multiplier 0) are dropped, as the userspace
 * reflector drops them.  Each frame increments exactly one "stats" slot
 * (bpf_shared.h).
 *
 * Why a tc program: on a kernel xfrm interface generic XDP sees a rebuilt
 * Ethernet header in front of the decrypted packet and XDP_TX sends it into
 * the SA with that header; a tc ingress program that bpf_redirect()s to the
 * same L3 device is handed the packet with the MAC header stripped
 * (doc/testbed.md section 4).  Attach it with clsact ingress,
 * direct action.
 *
 * Not handled here (passed, counted): IPv6 extension headers (a TWAMP
 * sender has no reason to send them; UDP must be the first next header),
 * IPv4 fragments and options, more than two VLAN tags.
 *
 * Safe by default: a frame is answered (or redirected to AF_XDP) only when
 * the kernel would have delivered it to this host's socket: the Ethernet
 * destination is the interface's own MAC, the addresses are unicast host
 * addresses (include/xwamp/hostaddr.h, the rules xwampd's sockets apply
 * too), a wildcard local address is one of this host's (own_addrs), a
 * wildcard sender is not, and the IPv4 header and UDP checksums verify.
 * A UDP checksum is trusted only when complete: a CHECKSUM_PARTIAL packet
 * (a local sender with TX offload over veth, tap) holds only the
 * pseudo-header sum in its checksum field, which no program can tell from
 * a corrupted one; it is passed and the kernel, which knows, hands it to
 * the session's socket.  Authenticated and encrypted
 * sessions go to xwampd's AF_XDP sockets (XDP; xsk_redirect()), or are
 * passed to their UDP socket (tc, or no AF_XDP socket on the queue).
 *
 * Frames start at the Ethernet header, or, with XW_CFG_L3 in xw_cfg, at
 * the IP header (XDP on a TUN device such as strongSwan's ipsec0; the IP
 * version then comes from the first nibble).  The tc program with XW_CFG_L3
 * (TUN, xfrm interfaces) takes the IP header at offset 0 when its length
 * is the packet's, else behind a 14-octet link header whose EtherType is
 * skb->protocol (the header an xfrm interface rebuilds).
 */
/*
 * Floors for the benchmark only (tests/bpf/bench_xdp.c): bpf/xwamp_floor_*.bpf.c
 * build this same program with XW_FLOOR set, each without some of its work,
 * so that one run measures what each check costs.  The program xwampd
 * loads is built with XW_FLOOR 0: every check.
 */
#ifndef XW_FLOOR
#define XW_FLOOR 0
#endif
#define XW_FLOOR_NO_UCSUM   1  /* no UDP checksum verification */
#define XW_FLOOR_NO_HOST    2  /* no host_check() (MAC, addresses, UDP checksum) */
#define XW_FLOOR_NO_IPCSUM  4  /* no IPv4 header checksum verification */
#define XW_FLOOR_PLAIN_SEQ  8  /* Sequence Number without an atomic operation */
#define XW_FLOOR_NO_IFSTATS 16 /* no per-interface counters (if_stats) */
#if XW_FLOOR & XW_FLOOR_PLAIN_SEQ
#define XW_REFL_SEQ_NEXT(p) ((*(p))++)
#endif

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xwamp/bpf_shared.h"
#include "xwamp/hostaddr.h"
#include "xwamp/ntp.h"
#include "xwamp/reflect.h"

#define ETH_P_IP     0x0800
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8
#define IPPROTO_UDP_ 17
#define XW_TTL	     255 /* RFC 5357 4.2.1: reflector SHOULD send with TTL 255 */
#define XW_MAX_VLAN  2
#define TC_ACT_OK_   0
#define TC_ACT_SHOT_ 2

/* parse() modes */
#define PARSE_ETH   0 /* Ethernet header first */
#define PARSE_L3    1 /* IP header first (XDP, XW_CFG_L3) */
#define PARSE_TC_L3 2 /* IP header first, or behind a rebuilt link header (tc, XW_CFG_L3) */

const volatile struct xw_bpf_config xw_cfg = {};

/* The Unix second of the last timestamp (xw_refl_ns_to_ntp()): .bss, no lookup. */
__u64 xw_ntp_sec_cache;

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

/* The same counters per ingress interface: key = slot * XW_STAT_MAX + enum xw_stat. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XW_IF_SLOTS *XW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} if_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xw_bpf_clock);
} clock SEC(".maps");

/*
 * AF_XDP sockets of xwampd, one per receive queue of each interface
 * (loader/xwampd/xsk.c): frames of armed authenticated/encrypted sessions go
 * to the socket of the interface and queue they arrived on (xsk_ifs gives
 * the interface's first slot); no entry for the interface, or an empty slot,
 * and the frame is passed, i.e. the session's UDP socket answers.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XW_XSK_MAX_IFS);
	__type(key, __u32);
	__type(value, __u32);
} xsk_ifs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XW_XSK_MAX_IFS *XW_XSK_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

/* This host's addresses and the attached interfaces' MACs (bpf_shared.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XW_OWN_MAX);
	__type(key, struct xw_own_key);
	__type(value, struct xw_own_val);
} own_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XW_IF_MACS_MAX);
	__type(key, __u32);
	__type(value, struct xw_if_mac);
} if_macs SEC(".maps");

/*
 * The entry of a local port (host order): the table starts at port
 * xw_cfg.sess_base, so a port below it wraps to an index past the end and,
 * like one past the end, finds nothing (the array's own bounds check).
 */
static __always_inline struct xw_sess *sess_lookup(__u32 port)
{
	__u32 k = port - xw_cfg.sess_base;

	return bpf_map_lookup_elem(&sessions, &k);
}

/* OWAMP receiver records for xwampd (struct xw_ow_event; XW_SESS_OW_RECV) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XW_OW_EVENTS_BYTES);
} ow_events SEC(".maps");

struct xw_vlan {
	__be16 tci;
	__be16 proto;
};

typedef __u64 __attribute__((may_alias)) u64_a;
typedef __u32 __attribute__((may_alias)) u32_a;
typedef __u16 __attribute__((may_alias)) u16_a;

/*
 * Count the frame's outcome twice: in "stats" (every interface) and in the
 * ingress interface's row of "if_stats" (slot ifindex % XW_IF_SLOTS, as
 * if_macs: no lookup to find the row, the array's own bounds check).
 */
static __always_inline int verdict(__u32 ifindex, __u32 what, int action)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &what);
	__u32 k;

	if (v)
		(*v)++;
	if (!(XW_FLOOR & XW_FLOOR_NO_IFSTATS)) {
		k = (ifindex % XW_IF_SLOTS) * XW_STAT_MAX + what;
		v = bpf_map_lookup_elem(&if_stats, &k);
		if (v)
			(*v)++;
	}
	return action;
}

/*
 * Internet checksum arithmetic (RFC 1071) in native byte order: a sum of
 * 16-bit words loaded from memory is byte-order independent, so words are
 * loaded and stored as they lie and never swapped.  Every region summed
 * here starts at an even offset from the UDP header unless said otherwise.
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

/* x * 256 mod 0xffff: the sum of the same octets one position further. */
static __always_inline __u16 csum_rot8(__u16 x)
{
	return (__u16)((x >> 8) | (x << 8));
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

/* The 14-octet sender header (caller checked it exists). */
static __always_inline __u64 csum_sender_hdr(const __u8 *p)
{
	return csum_add64(0, *(const u64_a *)p) + *(const u32_a *)(p + 8) / 0x10000 +
	       (*(const u32_a *)(p + 8) & 0xffff) + *(const u16_a *)(p + 12);
}

/*
 * Sum of the reflector's 41-octet header just written, from the values
 * rather than from memory: reloading 8-octet words right after the 4- and
 * 8-octet stores that wrote them defeats store forwarding (~15 ns here).
 * ts: T2 = T3; h14: the native sum of the sender's first 14 octets, which
 * now sit 24 octets further (an even distance: same sum).  The sequence
 * number is reloaded as it was stored, 4 octets at 0 (forwarded).
 */
static __always_inline __u16 refl_hdr_sum(const __u8 *p, __u64 ts, __u16 errest, __u8 ttl,
					  __u16 h14)
{
	/* big-endian words: T3, T2, Error Estimate, MBZ, Sender TTL | 0 */
	__u16 be = csum_fold(2 * ((ts >> 32) + (ts & 0xffffffff)) + errest + ((__u32)ttl << 8));

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	be = csum_rot8(be);
#endif
	return csum_fold((__u64)be + *(const u32_a *)p + h14);
}

/*
 * Mask keeping the octets of a 64-bit word loaded from memory whose
 * positions are >= skip (0..8): shifts split in two so that none is 64.
 */
static __always_inline __u64 keep_from(__u32 skip)
{
	__u32 sh = skip * 8;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (~0ULL << (sh / 2)) << (sh - sh / 2);
#else
	return (~0ULL >> (sh / 2)) >> (sh - sh / 2);
#endif
}

/*
 * Sum of the last t (0..32) octets of the 32-octet window at w, weighted by
 * their positions in the UDP datagram: odd when w starts at an odd offset,
 * where every octet's weight is the other one, i.e. the sum is rotated.
 */
static __always_inline __u16 csum_tail(const __u8 *w, __u32 t, int odd)
{
	__u32 skip = 32 - t, i;
	__u64 acc = 0;
	__u16 s;

#pragma unroll
	for (i = 0; i < 4; i++) {
		__u32 k = skip > 8 * i ? skip - 8 * i : 0;

		acc = csum_add64(acc, *(const u64_a *)(w + 8 * i) & keep_from(k < 8 ? k : 8));
	}
	s = csum_fold(acc);
	return odd ? csum_rot8(s) : s;
}

/* RFC 1624 eqn. 3 over several 16-bit changes: HC' = ~(~HC + ~m + m' ...). */
static __always_inline __u16 csum_upd(__u16 hc, __u64 delta)
{
	return (__u16)~csum_fold((__u64)(__u16)~hc + delta);
}

static __always_inline __u64 csum_chg(__u16 old, __u16 new)
{
	return (__u64)(__u16)~old + new;
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
 * tc on an L3 device: is there an IP header of the skb's protocol at pos
 * whose length is the whole packet (pkt_len octets from pos)?
 */
static __always_inline int l3_here(void *pos, void *end, __u16 proto, __u32 pkt_len)
{
	__u8 *b = pos;

	if ((void *)(b + 6) > end)
		return 0;
	if (proto == ETH_P_IP)
		return (b[0] >> 4) == 4 && bpf_ntohs(*(u16_a *)(b + 2)) == pkt_len;
	if (proto == ETH_P_IPV6)
		return (b[0] >> 4) == 6 &&
		       bpf_ntohs(*(u16_a *)(b + 4)) + sizeof(struct ipv6hdr) == pkt_len;
	return 0;
}

/*
 * A 16-bit length field in host order that older verifiers (Debian's 6.1)
 * know to be < 65536: they lose the bounds of a byte swap, and the mask
 * after an opaque barrier restores them (the compiler would drop a plain one).
 */
static __always_inline __u32 len16(__be16 v)
{
	__u32 x = bpf_ntohs(v);

	asm volatile("" : "+r"(x));
	return x & 0xffff;
}

/*
 * Parse to the UDP header.  Returns -1 and the stats slot in *why for
 * anything that is not a well-formed IPv4/IPv6 UDP datagram inside the
 * frame; the cursor (pos) is checked before each header is read (doc/style.md 9).
 * The common case (Ethernet, IPv4 without options) takes the first branch
 * of every test.  skb_proto (host order) and pkt_len: PARSE_TC_L3 only.
 */
static __always_inline int parse(void *data, void *end, struct pkt *k, __u32 *why, int mode,
				 __u16 skb_proto, __u32 pkt_len)
{
	void *pos = data;
	__u16 proto;
	int i;

	if (mode == PARSE_ETH) {
		struct ethhdr *eth = pos;

		if ((void *)(eth + 1) > end)
			goto trunc;
		proto = bpf_ntohs(eth->h_proto);
		pos = eth + 1;
		if (proto != ETH_P_IP) {
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
	} else if (mode == PARSE_L3) {
		if (pos + 1 > end)
			goto trunc;
		proto = (*(__u8 *)pos >> 4) == 4   ? ETH_P_IP
			: (*(__u8 *)pos >> 4) == 6 ? ETH_P_IPV6
						   : 0;
	} else {
		proto = skb_proto;
		if (!l3_here(pos, end, proto, pkt_len)) {
			struct ethhdr *eth = pos;

			if ((void *)(eth + 1) > end)
				goto trunc;
			if (bpf_ntohs(eth->h_proto) != proto)
				proto = 0;
			pos = eth + 1;
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
		tot = len16(ip->tot_len);
		if (tot < hlen + sizeof(struct udphdr) || pos + tot > end) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		k->v6 = 0;
		k->ttl = ip->ttl;
		k->l4off = k->l3off + hlen;
		pos += hlen;
		k->ulen = len16(((struct udphdr *)pos)->len);
		if (k->ulen < sizeof(struct udphdr) || k->ulen > tot - hlen) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		/* options (source routes, ...) are the kernel's to process */
		if (hlen != sizeof(*ip)) {
			*why = XW_STAT_PASS_IPOPT;
			return -1;
		}
		/* RFC 1122 3.2.1.2: a datagram whose header checksum fails is discarded */
		if (!(XW_FLOOR & XW_FLOOR_NO_IPCSUM) &&
		    csum_fold((__u64)((u32_a *)ip)[0] + ((u32_a *)ip)[1] + ((u32_a *)ip)[2] +
			      ((u32_a *)ip)[3] + ((u32_a *)ip)[4]) != 0xffff) {
			*why = XW_STAT_PASS_IPCSUM;
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
		plen = len16(ip6->payload_len);
		if (plen < sizeof(struct udphdr) || (void *)(ip6 + 1) + plen > end) {
			*why = XW_STAT_PASS_BADLEN;
			return -1;
		}
		k->v6 = 1;
		k->ttl = ip6->hop_limit;
		k->l4off = k->l3off + sizeof(*ip6);
		pos = ip6 + 1;
		k->ulen = len16(((struct udphdr *)pos)->len);
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

/*
 * The packet's addresses and ports against the session's 5-tuple.  TWAMP
 * Light sessions (XW_SESS_F_ANY_*) leave out the parts configured as
 * wildcards; family 0 then stands for either family.
 */
static __always_inline int tuple_ok(const struct xw_sess *s, void *ip, const struct udphdr *udp,
				    int v6)
{
	__u8 f = s->flags;

	if (s->refl_port != udp->dest)
		return 0;
	if (!(f & XW_SESS_F_ANY_SPORT) && s->sender_port != udp->source)
		return 0;
	if (!v6) {
		const struct iphdr *h = ip;

		if (s->family != XW_SESS_INET && s->family)
			return 0;
		return (s->family || (f & XW_SESS_F_ANY_SADDR && f & XW_SESS_F_ANY_DADDR)) &&
		       ((f & XW_SESS_F_ANY_SADDR) || h->saddr == *(const u32_a *)s->sender_addr) &&
		       ((f & XW_SESS_F_ANY_DADDR) || h->daddr == *(const u32_a *)s->refl_addr);
	}
	{
		const struct ipv6hdr *h = ip;
		const u64_a *sa = (const u64_a *)&h->saddr, *da = (const u64_a *)&h->daddr;
		const u64_a *ss = (const u64_a *)s->sender_addr, *sr = (const u64_a *)s->refl_addr;

		if (s->family != XW_SESS_INET6 && s->family)
			return 0;
		return (s->family || (f & XW_SESS_F_ANY_SADDR && f & XW_SESS_F_ANY_DADDR)) &&
		       ((f & XW_SESS_F_ANY_SADDR) || (sa[0] == ss[0] && sa[1] == ss[1])) &&
		       ((f & XW_SESS_F_ANY_DADDR) || (da[0] == sr[0] && da[1] == sr[1]));
	}
}

/* Rare-path session counters: shared between CPUs, so atomic. */
static __always_inline void sess_count(__u64 *c)
{
	__sync_fetch_and_add(c, 1);
}

/* Longest UDP datagram whose checksum is verified (longer ones are passed). */
#define XW_CSUM_CHUNK 256
#define XW_CSUM_MAX   (XW_REFL_MAX_MOVE + 512)

/*
 * The kernel's csum_partial() over n (constant, multiple of 4, <= 512)
 * octets at c, which the caller checked are in the frame: a 32-bit partial
 * sum, congruent to the 16-bit one modulo 0xffff, so it adds into acc.
 */
#define CSUM_HELPER(acc, c, n) ((acc) += (__u32)bpf_csum_diff(NULL, 0, (__be32 *)(c), (n), 0))

/*
 * Does the UDP checksum of the datagram at udp (k->ulen octets, inside the
 * frame: parse() checked) verify, pseudo-header included (RFC 768, RFC
 * 8200 8.1)?  The sum of everything, the checksum field included, is
 * 0xffff (one's complement -0) exactly when it does.  The last ulen % 256
 * octets first, in pieces of 128, 64 (the kernel's csum_partial() through
 * bpf_csum_diff(): several times faster than BPF code on long runs), then
 * 32, 16, 8, 4, 2 and 1 (32-bit loads); each piece is at an even offset
 * from the UDP header but the last single octet, the first of a 16-bit
 * word.  Then 256-octet chunks from the start, so that nothing after the
 * loop depends on where it stopped and the verifier walks what follows
 * once.  Longer than XW_CSUM_MAX: not verified (-1).
 */
static __always_inline int udp_csum_ok(void *data, void *end, const struct pkt *k)
{
	__u8 *l3 = data + (k->l3off & 0x3f), *u = data + (k->l4off & 0x7f), *c;
	__u32 n = k->ulen, off = 0, base, rem, i;
	__u64 acc;

	if (n > XW_CSUM_MAX)
		return -1;
	if ((void *)(u + sizeof(struct udphdr)) > end)
		return 0;
	if (!k->v6) {
		struct iphdr *ip = (struct iphdr *)l3;

		if ((void *)(ip + 1) > end)
			return 0;
		acc = (__u64)ip->saddr + ip->daddr;
	} else {
		if ((void *)(l3 + sizeof(struct ipv6hdr)) > end)
			return 0;
		acc = (__u64)((u32_a *)l3)[2] + ((u32_a *)l3)[3] + ((u32_a *)l3)[4] +
		      ((u32_a *)l3)[5] + ((u32_a *)l3)[6] + ((u32_a *)l3)[7] + ((u32_a *)l3)[8] +
		      ((u32_a *)l3)[9];
	}
	acc += bpf_htons(IPPROTO_UDP_) + bpf_htons((__u16)n);
	rem = n & (XW_CSUM_CHUNK - 1);
	base = n - rem;
	XW_REFL_OPAQUE(base);
	base &= 0x3fff;
	c = u + base;
	if (rem & 128) {
		if ((void *)(c + 128) > end)
			return 0;
		CSUM_HELPER(acc, c, 128);
		c += 128;
	}
	if (rem & 64) {
		if ((void *)(c + 64) > end)
			return 0;
		CSUM_HELPER(acc, c, 64);
		c += 64;
	}
	if (rem & 32) {
		if ((void *)(c + 32) > end)
			return 0;
		acc += (__u64)((u32_a *)c)[0] + ((u32_a *)c)[1] + ((u32_a *)c)[2] +
		       ((u32_a *)c)[3] + ((u32_a *)c)[4] + ((u32_a *)c)[5] + ((u32_a *)c)[6] +
		       ((u32_a *)c)[7];
		c += 32;
	}
	if (rem & 16) {
		if ((void *)(c + 16) > end)
			return 0;
		acc += (__u64)((u32_a *)c)[0] + ((u32_a *)c)[1] + ((u32_a *)c)[2] + ((u32_a *)c)[3];
		c += 16;
	}
	if (rem & 8) {
		if ((void *)(c + 8) > end)
			return 0;
		acc += (__u64)((u32_a *)c)[0] + ((u32_a *)c)[1];
		c += 8;
	}
	if (rem & 4) {
		if ((void *)(c + 4) > end)
			return 0;
		acc += *(const u32_a *)c;
		c += 4;
	}
	if (rem & 2) {
		if ((void *)(c + 2) > end)
			return 0;
		acc += *(const u16_a *)c;
		c += 2;
	}
	if (rem & 1) {
		if ((void *)(c + 1) > end)
			return 0;
		acc += bpf_ntohs((__u16)c[0] << 8);
	}
	for (i = 0; i < XW_CSUM_MAX / XW_CSUM_CHUNK && off < base; i++) {
		c = u + (off & 0x3fff);
		if ((void *)(c + XW_CSUM_CHUNK) > end)
			return 0; /* cannot happen: the datagram is inside the frame */
		CSUM_HELPER(acc, c, XW_CSUM_CHUNK);
		off += XW_CSUM_CHUNK;
	}
	return csum_fold(acc) == 0xffff;
}

/* Where a 16-octet address lies in own_addrs: IPv4 as ::ffff:a.b.c.d. */
static __always_inline struct xw_own_val *own_lookup(const __u8 *a, int v6)
{
	struct xw_own_key key;

	if (v6) {
		__builtin_memcpy(key.addr, a, 16);
	} else {
		*(u64_a *)key.addr = 0;
		*(u32_a *)(key.addr + 8) = bpf_htonl(0xffff);
		*(u32_a *)(key.addr + 12) = *(const u32_a *)a;
	}
	return bpf_map_lookup_elem(&own_addrs, &key);
}

/*
 * Would the kernel deliver this session's frame to this host's socket?
 * 0, or the stats slot of the first reason it would not (bpf_shared.h
 * XW_STAT_PASS_IPOPT..): the frame is then passed, not answered.  Only
 * frames that would be answered get here, so other traffic pays nothing.
 * eth: the Ethernet header (NULL on L3 devices), ifindex: the device's.
 */
static __always_inline __u32 host_check(void *data, void *end, const struct pkt *k,
					const struct xw_sess *s, const struct ethhdr *eth,
					__u32 ifindex)
{
	__u8 *l3 = data + (k->l3off & 0x3f), *sa, *da;
	struct xw_own_val *o;
	int r;

	if (XW_FLOOR & XW_FLOOR_NO_HOST)
		return 0;
	if (eth) {
		__u32 slot = ifindex % XW_IF_MACS_MAX;
		struct xw_if_mac *m = bpf_map_lookup_elem(&if_macs, &slot);

		if ((void *)(eth + 1) > end)
			return XW_STAT_PASS_TRUNC;
		/* a multicast/broadcast destination never equals the stored unicast MAC */
		if (!m || m->ifindex != ifindex || *(u32_a *)eth->h_dest != *(u32_a *)m->mac ||
		    *(u16_a *)(eth->h_dest + 4) != *(u16_a *)(m->mac + 4))
			return XW_STAT_PASS_MAC;
	}
	if (!k->v6) {
		if ((void *)(l3 + sizeof(struct iphdr)) > end)
			return XW_STAT_PASS_TRUNC;
		sa = l3 + __builtin_offsetof(struct iphdr, saddr);
		da = l3 + __builtin_offsetof(struct iphdr, daddr);
		if (!xw_host_addr4(sa, 0))
			return XW_STAT_PASS_SRC;
		if (!xw_host_addr4(da, 0))
			return XW_STAT_PASS_DST;
	} else {
		if ((void *)(l3 + sizeof(struct ipv6hdr)) > end)
			return XW_STAT_PASS_TRUNC;
		sa = l3 + __builtin_offsetof(struct ipv6hdr, saddr);
		da = l3 + __builtin_offsetof(struct ipv6hdr, daddr);
		if (!xw_host_addr6(sa, 0))
			return XW_STAT_PASS_SRC;
		if (!xw_host_addr6(da, 0))
			return XW_STAT_PASS_DST;
	}
	/* wildcards: a fixed address is the one xwampd (or its configuration) set */
	if (s->flags & XW_SESS_F_ANY_SADDR && own_lookup(sa, k->v6))
		return XW_STAT_PASS_SRC;
	if (s->flags & XW_SESS_F_ANY_DADDR) {
		o = own_lookup(da, k->v6);
		if (!o || o->kind != XW_OWN_UNICAST)
			return XW_STAT_PASS_DST;
	}
	if (k->ucsum0)
		return k->v6 ? XW_STAT_PASS_UDPCSUM : 0; /* IPv4 without: none to verify */
	if (XW_FLOOR & XW_FLOOR_NO_UCSUM)
		return 0;
	r = udp_csum_ok(data, end, k);
	if (r < 0)
		return XW_STAT_PASS_NOROOM;
	return r ? 0 : XW_STAT_PASS_UDPCSUM;
}

/*
 * The session of a parsed frame, or NULL with the stats slot in *why (the
 * frame is passed).  *why 0: to be reflected here, *out_len set to the
 * reflector packet's length.  XDP only (xsk): the session with *why
 * XW_STAT_REDIRECTED or XW_STAT_OW_RECORDED, for xsk_redirect() or
 * ow_record(), which need not look it up again.  eth, ifindex: for
 * host_check().
 */
static __always_inline struct xw_sess *sess_find(void *data, void *end, const struct pkt *k,
						 __u32 *why, __u32 *out_len, int xsk,
						 const struct ethhdr *eth, __u32 ifindex)
{
	struct udphdr *udp = data + (k->l4off & 0x7f);
	void *l3 = data + (k->l3off & 0x3f);
	struct xw_sess *s;
	__u32 port, rl;

	*why = XW_STAT_PASS_TRUNC;
	if ((void *)(udp + 1) > end)
		return NULL;
	port = bpf_ntohs(udp->dest);
	s = sess_lookup(port);
	if (!s || s->state == XW_SESS_FREE) {
		*why = XW_STAT_PASS_NO_SESS;
		return NULL;
	}
	if ((void *)(l3 + (k->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr))) > end)
		return NULL;
	if (!tuple_ok(s, l3, udp, k->v6)) {
		*why = XW_STAT_PASS_TUPLE;
		return NULL;
	}
	/* an IPsec-protected flow: only on its in-tunnel device (bpf_shared.h) */
	if (s->ifindex && s->ifindex != ifindex) {
		sess_count(&s->passed);
		*why = XW_STAT_PASS_IFACE;
		return NULL;
	}
	/* XDP only: AF_XDP redirects and OWAMP records (the tc program passes them) */
	if (s->state != XW_SESS_ARMED ||
	    (s->mode != XW_SESS_UNAUTH &&
	     !(xsk && (s->mode == XW_SESS_AUTH_REDIRECT || s->mode == XW_SESS_OW_RECV)))) {
		sess_count(&s->passed);
		*why = s->state != XW_SESS_ARMED ? XW_STAT_PASS_DISARMED : XW_STAT_PASS_MODE;
		return NULL;
	}
	/* to be answered, here or by AF_XDP: only what the kernel would take */
	*why = host_check(data, end, k, s, eth, ifindex);
	if (*why)
		return NULL;
	if (s->mode == XW_SESS_AUTH_REDIRECT) {
		/* the caller redirects it to AF_XDP (xsk_redirect()) */
		*why = XW_STAT_REDIRECTED;
		return s;
	}
	if (s->mode == XW_SESS_OW_RECV) {
		/* the caller records it (ow_record()) */
		*why = XW_STAT_OW_RECORDED;
		return s;
	}
	rl = (s->flags & XW_SESS_F_REFLECT) ? s->reflect_len : 0;
	*out_len = XW_REFL_OUT_LEN(k->ulen - (__u32)sizeof(struct udphdr), rl);
	return s;
}

/* UDP checksum change for the caller to apply (tc: through the helpers). */
struct ucsum {
	__u64 delta; /* one's complement change of the datagram, pseudo-header length aside */
	__u16 old_len, new_len; /* UDP length as on the wire (pseudo-header) */
};

/*
 * Reflect the frame in place once it has room for the answer (sess_find's
 * out_len): transform, addresses, ports, DSCP, TTL, lengths, IPv4 header
 * checksum.  Returns the stats slot: XW_STAT_REFLECTED, a DROP_* or a PASS_*
 * (then nothing was changed).  The UDP checksum change is left in *uc
 * (delta 0 and ucsum0: none); the Ethernet addresses are the caller's.
 *
 * UDP checksum without summing the payload (RFC 1071, RFC 1624): C, the
 * complement of the received checksum, is the sum of pseudo-header, UDP
 * header and payload.  Taking away the pseudo-header and UDP header (A +
 * 2 x length), the sender header and the discarded tail D leaves M, the sum
 * of the padding that stays.  Moved from offset 14 to 41, every octet of it
 * changes position by 27, an odd number, so each octet's weight swaps
 * between 256 and 1: as 256 x 256 = 1 mod 0xffff, the moved padding sums
 * to 256 x M, i.e. M with its octets swapped (csum_rot8).  The new sum is
 * A + 2 x new length + the new 41-octet header + rot8(M).  D is at most 27
 * octets at the end of the sender packet (len - 14 - (out_len - 41)):
 * read as one masked 32-octet window.  With Symmetrical Size nothing
 * moves: M is what follows octet 41, unrotated.
 */
static __always_inline __u32 transform(void *data, void *end, const struct pkt *k,
				       struct xw_sess *s, __u32 out_len, struct ucsum *uc)
{
	struct xw_refl_args a = {};
	struct xw_bpf_clock *clk;
	struct udphdr *udp;
	__u32 len, zero = 0, woff;
	__u64 acc, now;
	__u16 addr_sum = 0, m = 0, h14 = 0, ln;
	__u8 *p, *l3;
	int r, sym, inplace;

	l3 = data + (k->l3off & 0x3f);
	udp = data + (k->l4off & 0x7f);
	p = (__u8 *)(udp + 1);
	if ((void *)(p + XW_REFL_HDR) > end || (void *)(l3 + sizeof(struct ipv6hdr)) > end)
		return XW_STAT_PASS_NOROOM;
	len = k->ulen - sizeof(struct udphdr);
	sym = s->flags & XW_SESS_F_SYMMETRIC;

	/* Sums of what is about to change, from the received packet. */
	if (k->ucsum0 || (out_len == len && (sym || len == XW_REFL_HDR))) {
		acc = 0;
	} else if (!k->v6) {
		struct iphdr *ip = (struct iphdr *)l3;

		acc = (__u64)ip->saddr + ip->daddr;
	} else {
		acc = csum_add64(0, *(u64_a *)(l3 + 8));
		acc = csum_add64(acc, *(u64_a *)(l3 + 16));
		acc = csum_add64(acc, *(u64_a *)(l3 + 24));
		acc = csum_add64(acc, *(u64_a *)(l3 + 32));
	}
	uc->old_len = udp->len;
	/*
	 * Common case: same length and no padding moves (Symmetrical Size, or
	 * exactly the 41-octet minimum): only the first 41 octets change.
	 */
	inplace = out_len == len && (sym || len == XW_REFL_HDR);
	if (k->ucsum0) {
	} else if (inplace) {
		/*
		 * The sender's first 14 octets reappear 24 octets further (an
		 * even distance: same sum), so what changes is octets 14..40.
		 */
		acc = *(const u16_a *)(p + 14);
		acc = csum_add64(acc, *(const u64_a *)(p + 16));
		acc = csum_add64(acc, *(const u64_a *)(p + 24));
		acc = csum_add64(acc, *(const u64_a *)(p + 32));
		m = csum_fold(acc + bpf_ntohs((__u16)p[40] << 8));
	} else {
		h14 = csum_fold(csum_sender_hdr(p));
		addr_sum = csum_fold(acc + bpf_htons(IPPROTO_UDP_) + udp->source + udp->dest);
		acc = (__u16)~udp->check;
		acc += (__u16)~addr_sum;
		acc += 2 * (__u64)(__u16)~uc->old_len;
		if (sym) {
			acc += (__u16)~csum_fold(csum_refl_hdr(p));
		} else {
			__u32 t = len + XW_REFL_SYM_MBZ - out_len; /* D's length, <= 27 if valid */

			acc += (__u16)~h14;
			/* the window ends at the end of the sender packet */
			woff = (k->l4off + sizeof(struct udphdr) + len - 32) & 0x3fff;
			if (len >= XW_REFL_SENDER_HDR && t <= XW_REFL_SYM_MBZ &&
			    data + woff + 32 <= end)
				acc += (__u16)~csum_tail(data + woff, t, len & 1);
		}
		m = csum_fold(acc);
	}

	/*
	 * One clock read serves as receive (T2) and transmit (T3) timestamp:
	 * a second bpf_ktime_get_tai_ns() costs more than the whole rest of
	 * the rewrite.  So the reflector's processing time reads as 0; what
	 * it hides is the few hundred ns between this point and the driver
	 * sending the frame, well inside a typical Error Estimate.
	 */
	clk = bpf_map_lookup_elem(&clock, &zero);
	if (!clk)
		return XW_STAT_PASS_NOROOM;
	now = bpf_ktime_get_tai_ns() + clk->utc_offset_ns;
	a.rx_ts = xw_refl_ns_to_ntp(now, &xw_ntp_sec_cache);
	a.tx_ts = a.rx_ts;
	a.errest = clk->errest;
	a.next_seq = &s->next_seq;
	a.expect_len = s->expect_len;
	a.reflect_len = (s->flags & XW_SESS_F_REFLECT) ? s->reflect_len : 0;
	a.sender_ttl = k->ttl;
	a.flags = s->flags;
	r = xw_reflect_open(p, end, len, &a);
	if (r < 0) {
		if (r == XW_REFL_E_TRUNC) {
			sess_count(&s->drops[XW_SESS_DROP_TRUNC]);
			return XW_STAT_DROP_TRUNC;
		}
		if (r == XW_REFL_E_LEN) {
			sess_count(&s->drops[XW_SESS_DROP_LEN]);
			return XW_STAT_DROP_LEN;
		}
		if (r == XW_REFL_E_MULT0) {
			sess_count(&s->drops[XW_SESS_DROP_MULT0]);
			return XW_STAT_DROP_MULT0;
		}
		return XW_STAT_PASS_NOROOM;
	}

	/* UDP: ports swapped (the pseudo-header sum does not change). */
	{
		__be16 sp = udp->source;

		udp->source = udp->dest;
		udp->dest = sp;
	}
	ln = bpf_htons(sizeof(struct udphdr) + r);
	uc->new_len = ln;

	if (!k->v6) {
		struct iphdr *ip = (struct iphdr *)l3;
		__u16 o0, o8, ot;
		__be32 sa;

		sa = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = sa;
		o0 = *(u16_a *)ip;
		o8 = *(u16_a *)((__u8 *)ip + 8);
		ot = ip->tot_len;
		ip->tos = s->dscp << 2; /* ECN Not-ECT: we are no ECN transport */
		ip->ttl = XW_TTL;
		if ((__u32)r != len)
			ip->tot_len = bpf_htons(bpf_ntohs(ot) + (r - len));
		ip->check = csum_upd(ip->check, csum_chg(o0, *(u16_a *)ip) +
							csum_chg(o8, *(u16_a *)((__u8 *)ip + 8)) +
							csum_chg(ot, ip->tot_len));
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)l3;
		__u8 *b = l3, tc = s->dscp << 2;
		__u64 t0, t1;

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
	udp->len = ln;

	/* IPv4 without a UDP checksum stays without (RFC 768). */
	uc->delta = 0;
	if (k->ucsum0) {
	} else if (inplace) {
		uc->delta = csum_fold((__u64)refl_hdr_sum(p, a.tx_ts, a.errest, a.sender_ttl, 0) +
				      (__u16)~m);
	} else {
		__u16 h = refl_hdr_sum(p, a.tx_ts, a.errest, a.sender_ttl, h14);

		/* new sum, pseudo-header length still the old one ... */
		acc = (__u64)addr_sum + uc->old_len + ln + h + (sym ? m : csum_rot8(m));
		/* ... as a change of the received sum C */
		uc->delta = csum_fold(acc + (__u16)udp->check);
	}
	return XW_STAT_REFLECTED;
}

static __always_inline void swap_mac(void *data, void *end)
{
	struct ethhdr *eth = data;
	__u8 mac[6];

	if ((void *)(eth + 1) > end)
		return;
	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
}

/*
 * An armed authenticated/encrypted session's frame to the AF_XDP socket of
 * its receive queue, with the receive timestamp (Unix ns, as transform()
 * stamps T2) in 8 octets of metadata in front of the frame, so that the
 * userspace reflector reports the time XDP saw the frame.  No socket on the
 * queue (or no room for metadata): passed to the kernel, the session's UDP
 * socket answers.
 */
static __always_inline int xsk_redirect(struct xdp_md *ctx, struct xw_sess *s)
{
	__u32 zero = 0, ifindex = ctx->ingress_ifindex, queue = ctx->rx_queue_index, *base;
	struct xw_bpf_clock *clk;
	void *meta, *data;
	long rc;

	base = bpf_map_lookup_elem(&xsk_ifs, &ifindex);
	if (!base || queue >= XW_XSK_MAX_QUEUES)
		goto pass;
	clk = bpf_map_lookup_elem(&clock, &zero);
	if (!clk || bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u64)))
		goto pass;
	meta = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if (meta + sizeof(__u64) > data)
		goto unmeta;
	*(u64_a *)meta = bpf_ktime_get_tai_ns() + clk->utc_offset_ns;
	rc = bpf_redirect_map(&xsks, *base + queue, XDP_PASS);
	if (rc == XDP_REDIRECT)
		return verdict(ifindex, XW_STAT_REDIRECTED, XDP_REDIRECT);
unmeta:
	/* the stack gets the frame as it came (no metadata for an skb) */
	bpf_xdp_adjust_meta(ctx, (int)sizeof(__u64));
pass:
	sess_count(&s->passed);
	return verdict(ifindex, XW_STAT_PASS_MODE, XDP_PASS);
}

/*
 * OWAMP receiver (RFC 4656 4.2): the receive time first, then what a
 * packet record needs (Sequence Number, Timestamp, Error Estimate of the
 * open-mode sender packet, RFC 4656 4.1.2, and the TTL) into the ring
 * buffer; the frame is dropped, no copy reaches a socket.  Ring buffer
 * full: passed, the session's socket records it (same record, later
 * timestamp).  A packet that is not the session's length is dropped, as
 * its socket would; the Multiplier-0 rule is xwampd's (it drops the record).
 */
static __always_inline int ow_record(void *data, void *end, const struct pkt *k, struct xw_sess *s,
				     __u32 ifindex)
{
	struct udphdr *udp = data + (k->l4off & 0x7f);
	struct xw_bpf_clock *clk;
	struct xw_ow_event *e;
	__u32 zero = 0;
	__u8 *p;
	__u64 now;

	clk = bpf_map_lookup_elem(&clock, &zero);
	if (!clk)
		return verdict(ifindex, XW_STAT_PASS_MODE, XDP_PASS);
	now = bpf_ktime_get_tai_ns() + clk->utc_offset_ns;
	p = (__u8 *)(udp + 1);
	if ((void *)(p + 14) > end)
		return verdict(ifindex, XW_STAT_PASS_TRUNC, XDP_PASS);
	if (s->expect_len && k->ulen - (__u32)sizeof(struct udphdr) != s->expect_len) {
		sess_count(&s->drops[XW_SESS_DROP_LEN]);
		return verdict(ifindex, XW_STAT_OW_LEN, XDP_DROP);
	}
	e = bpf_ringbuf_reserve(&ow_events, sizeof(*e), 0);
	if (!e) {
		sess_count(&s->passed);
		return verdict(ifindex, XW_STAT_OW_FULL, XDP_PASS);
	}
	e->port = bpf_ntohs(udp->dest);
	e->ttl = k->ttl;
	e->pad0 = 0;
	__builtin_memcpy(e->seq, p, 4);
	__builtin_memcpy(e->send_ts, p + 4, 8);
	__builtin_memcpy(e->send_errest, p + 12, 2);
	e->pad1[0] = e->pad1[1] = 0;
	e->recv_ns = now;
	bpf_ringbuf_submit(e, 0);
	sess_count(&s->next_seq); /* records handed over: xwampd's counter of the XDP path */
	return verdict(ifindex, XW_STAT_OW_RECORDED, XDP_DROP);
}

/*
 * No tailroom (veth: a frame from the peer's stack stays in the peer's skb,
 * allocated with XDP_PACKET_HEADROOM in front because XDP is attached here,
 * but with only the allocator's slack behind): take the growth from the
 * headroom instead and move the frame's octets (headers and the short
 * sender packet, at most GROW_FRONT_MAX) to the new start, so the frame
 * ends grow octets later, as bpf_xdp_adjust_tail() would have made it.
 * 0 done, -1 nothing changed, GROW_BROKEN the frame was changed but could
 * not be completed (the verifier's checks; cannot happen: end - data is
 * flen + grow after the adjustment).
 */
#define GROW_FRONT_MAX 128u
#define GROW_BROKEN    (-2)
static __always_inline int grow_front(struct xdp_md *ctx, __u32 flen, __u32 grow)
{
	__u8 *d, *end;
	__u32 i;

	if (flen > GROW_FRONT_MAX || grow > GROW_FRONT_MAX || bpf_xdp_adjust_head(ctx, -(int)grow))
		return -1;
	d = (__u8 *)(long)ctx->data;
	end = (__u8 *)(long)ctx->data_end;
	/* ascending: the destination is in front of the source */
	for (i = 0; i < GROW_FRONT_MAX && i < flen; i++) {
		__u8 *src = d + ((i + grow) & (2 * GROW_FRONT_MAX - 1)), *dst = d + i;

		if (src + 1 > end || dst + 1 > end)
			return GROW_BROKEN;
		*dst = *src;
	}
	return 0;
}

SEC("xdp")
int xdp_xwamp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	int l3 = xw_cfg.flags & XW_CFG_L3;
	__u32 why = 0, out_len = 0, need, flen, st;
	struct ucsum uc;
	struct xw_sess *s;
	struct pkt k = {};

	if (parse(data, end, &k, &why, l3 ? PARSE_L3 : PARSE_ETH, 0, 0))
		return verdict(ctx->ingress_ifindex, why, XDP_PASS);
	s = sess_find(data, end, &k, &why, &out_len, 1, l3 ? NULL : data, ctx->ingress_ifindex);
	if (s && why == XW_STAT_REDIRECTED)
		return xsk_redirect(ctx, s);
	if (s && why == XW_STAT_OW_RECORDED)
		return ow_record(data, end, &k, s, ctx->ingress_ifindex);
	if (!s)
		return verdict(ctx->ingress_ifindex, why, XDP_PASS);

	/*
	 * A sender packet shorter than the reflector's header (+ reflected
	 * octets) gets a longer answer (RFC 5357 4.2.1): grow the frame to
	 * exactly the new datagram (dropping any Ethernet trailer) first.
	 */
	need = k.l4off + sizeof(struct udphdr) + out_len;
	flen = end - data;
	if (need > flen) {
		int g = out_len > XW_REFL_MAX_MOVE ? -1
						   : bpf_xdp_adjust_tail(ctx, (int)(need - flen));

		if (g && out_len <= XW_REFL_MAX_MOVE)
			g = grow_front(ctx, flen, need - flen);
		if (g == GROW_BROKEN)
			return verdict(ctx->ingress_ifindex, XW_STAT_PASS_NOROOM, XDP_DROP);
		if (g)
			return verdict(ctx->ingress_ifindex, XW_STAT_PASS_NOROOM, XDP_PASS);
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
	}
	st = transform(data, end, &k, s, out_len, &uc);
	if (st != XW_STAT_REFLECTED)
		return verdict(ctx->ingress_ifindex, st, XW_STAT_IS_DROP(st) ? XDP_DROP : XDP_PASS);
	if (!l3)
		swap_mac(data, end);
	if (!k.ucsum0) {
		__u8 *ck = data + ((k.l4off + 6) & 0x7f);

		if ((void *)(ck + 2) <= end) {
			/* pseudo-header length change, then 0 is sent as 0xffff (RFC 768) */
			__u16 c =
				csum_upd(*(u16_a *)ck, uc.delta + csum_chg(uc.old_len, uc.new_len));

			*(u16_a *)ck = c ? c : 0xffff;
		}
	}
	return verdict(ctx->ingress_ifindex, XW_STAT_REFLECTED, XDP_TX);
}

SEC("tc")
int tc_xwamp(struct __sk_buff *skb)
{
	int l3 = xw_cfg.flags & XW_CFG_L3;
	__u32 why = 0, out_len = 0, need, flen, st, ckoff;
	struct ucsum uc;
	struct xw_sess *s;
	struct pkt k = {};
	void *data, *end;

	/* direct access needs the packet in the linear area */
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if (data + skb->len > end) {
		bpf_skb_pull_data(skb, skb->len);
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
	}
	if (parse(data, end, &k, &why, l3 ? PARSE_TC_L3 : PARSE_ETH, bpf_ntohs(skb->protocol),
		  skb->len))
		return verdict(skb->ifindex, why, TC_ACT_OK_);
	s = sess_find(data, end, &k, &why, &out_len, 0, l3 ? NULL : data, skb->ifindex);
	if (!s)
		return verdict(skb->ifindex, why, TC_ACT_OK_);

	/* as in XDP: grow to the answer's length first */
	need = k.l4off + sizeof(struct udphdr) + out_len;
	flen = end - data;
	if (need > flen) {
		if (out_len > XW_REFL_MAX_MOVE || bpf_skb_change_tail(skb, need, 0) ||
		    bpf_skb_pull_data(skb, need))
			return verdict(skb->ifindex, XW_STAT_PASS_NOROOM, TC_ACT_OK_);
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
	}
	st = transform(data, end, &k, s, out_len, &uc);
	if (st != XW_STAT_REFLECTED)
		return verdict(skb->ifindex, st, XW_STAT_IS_DROP(st) ? TC_ACT_SHOT_ : TC_ACT_OK_);
	if (!l3)
		swap_mac(data, end);
	/*
	 * UDP checksum through the helpers, which keep skb->csum right for
	 * CHECKSUM_COMPLETE (CHECKSUM_PARTIAL packets never get here: their
	 * checksum field does not verify, host_check()).
	 */
	if (!k.ucsum0) {
		ckoff = k.l4off + 6;
		bpf_l4_csum_replace(skb, ckoff, 0, uc.delta, BPF_F_MARK_MANGLED_0 | 2);
		if (uc.old_len != uc.new_len)
			bpf_l4_csum_replace(skb, ckoff, uc.old_len, uc.new_len,
					    BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | 2);
	}
	verdict(skb->ifindex, XW_STAT_REFLECTED, 0);
	return bpf_redirect(skb->ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
