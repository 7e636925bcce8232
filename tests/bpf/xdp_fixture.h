/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by tests/bpf/test_xdp_reflect.c and tests/bpf/bench_xdp.c:
 * build TWAMP-Test frames (Ethernet, VLAN tags, IPv4 with options, IPv6,
 * UDP) with checksums computed from scratch, and write session entries.
 * Header-only because the Makefile builds one .c per test binary.
 */
#ifndef XW_XDP_FIXTURE_H
#define XW_XDP_FIXTURE_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>

#include "testpkt.h"
#include "xwamp/bpf_shared.h"
#include "xwamp/reflect.h"
#include "xwamp/wire.h"

#define FX_SPORT 40000
#define FX_DPORT 9000
#define FX_TTL	 61

static const uint8_t fx_mac_dst[6] = {0x02, 0, 0, 0, 0, 0x01}; /* the reflector */
static const uint8_t fx_mac_src[6] = {0x02, 0, 0, 0, 0, 0x02}; /* the sender */
static const uint8_t fx_ip4_snd[4] = {192, 0, 2, 1};
static const uint8_t fx_ip4_ref[4] = {192, 0, 2, 2};
static const uint8_t fx_ip6_snd[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t fx_ip6_ref[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

struct fx_pkt {
	int l3;	   /* no link layer (TUN) */
	int v6;	   /* IPv6, else IPv4 */
	int nvlan; /* 0, 1 (802.1Q) or 2 (802.1ad outer + 802.1Q inner) */
	int ipopt; /* IPv4 option octets (multiple of 4, <= 40) */
	int symmetric;
	uint32_t paylen;  /* UDP payload length */
	uint32_t trailer; /* octets after the IP datagram (Ethernet padding) */
	uint16_t sport, dport;
	uint8_t tos;
	int no_udp_csum; /* IPv4: checksum 0 */
};

/* Offsets of the frame built by fx_build(). */
struct fx_off {
	uint32_t l3, l4, pay, len;
};

/* RFC 1071 sum of len octets, big-endian words, not complemented or folded. */
static inline uint32_t fx_sum(const uint8_t *p, size_t len, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static inline uint16_t fx_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* IPv4 header checksum over hlen octets, from scratch (field taken as 0). */
static inline uint16_t fx_ip4_csum(const uint8_t *ip, size_t hlen)
{
	uint8_t h[60];

	memcpy(h, ip, hlen);
	h[10] = h[11] = 0;
	return (uint16_t)~fx_fold(fx_sum(h, hlen, 0));
}

/* UDP checksum of the datagram at udp (ulen octets), from scratch; 0 -> 0xffff. */
static inline uint16_t fx_udp_csum(int v6, const uint8_t *l3, const uint8_t *udp, size_t ulen)
{
	uint32_t acc = 0;
	uint16_t c;
	uint8_t tmp[8];

	if (v6)
		acc = fx_sum(l3 + 8, 32, acc);
	else
		acc = fx_sum(l3 + 12, 8, acc);
	acc += 17 + (uint32_t)ulen;
	memcpy(tmp, udp, 8);
	tmp[6] = tmp[7] = 0;
	acc = fx_sum(tmp, 8, acc);
	acc = fx_sum(udp + 8, ulen - 8, acc);
	c = (uint16_t)~fx_fold(acc);
	return c ? c : 0xffff;
}

/*
 * The sender packet: seq 7, timestamp, Error Estimate S=1 Multiplier 1,
 * Symmetrical Size MBZ zero, then a padding pattern that differs per octet.
 */
static inline void fx_sender_payload(uint8_t *p, uint32_t len, int symmetric)
{
	uint32_t i, pad = 14 + (symmetric ? 27 : 0);

	for (i = 0; i < len; i++)
		p[i] = i < pad ? 0 : (uint8_t)(i * 7 + 3);
	if (len >= 4)
		put_be32(p, 7);
	if (len >= 12)
		put_be64(p + 4, 0xE123456789ABCDEFULL);
	if (len >= 14)
		put_be16(p + 12, 0x8001);
}

/*
 * One sender packet of len octets reflected by both reflectors, on copies
 * of it: a by control/testpkt.c xw_tp_reflect_open(), b by reflect.h
 * xw_reflect_open() (cap octets each), Symmetrical Size sym, Reflect
 * Octets rl, expected length expect_len (0: any), the same timestamps and
 * Error Estimate.  Their results in *ra and *rb; *seq is reflect.h's
 * counter, 5 before the call (6 after a reflection).
 */
static inline void fx_reflect_both(uint8_t *a, uint8_t *b, size_t cap, __u32 len, int sym, __u16 rl,
				   __u32 expect_len, __u64 *seq, int *ra, int *rb)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_OPEN, .reflect_len = rl, .symmetric = (__u8)sym};
	struct xw_tp_refl r = {.seq = 5,
			       .rx_ts = 0x1111222233334444ULL,
			       .tx_ts = 0x5555666677778888ULL,
			       .errest = 0x8105,
			       .sender_ttl = 58};
	struct xw_refl_args args = {
		.rx_ts = r.rx_ts,
		.tx_ts = r.tx_ts,
		.next_seq = seq,
		.expect_len = expect_len,
		.errest = r.errest,
		.reflect_len = rl,
		.sender_ttl = 58,
		.flags = (__u8)((sym ? XW_REFL_F_SYMMETRIC : 0) | (rl ? XW_REFL_F_REFLECT : 0))};

	*seq = 5;
	*ra = xw_tp_reflect_open(&cfg, a, len, cap, expect_len, &r);
	*rb = xw_reflect_open(b, b + cap, len, &args);
}

/* Build a frame into f; returns its length and fills *o. */
static inline size_t fx_build(const struct fx_pkt *x, uint8_t *f, struct fx_off *o)
{
	size_t n = 0, iphl, ulen = 8 + x->paylen;
	uint8_t *ip, *udp;
	int i;

	if (!x->l3) {
		memcpy(f, fx_mac_dst, 6);
		memcpy(f + 6, fx_mac_src, 6);
		n = 12;
		for (i = 0; i < x->nvlan; i++) {
			put_be16(f + n, x->nvlan == 2 && i == 0 ? 0x88A8 : 0x8100);
			put_be16(f + n + 2, (uint16_t)(100 + i));
			n += 4;
		}
		put_be16(f + n, x->v6 ? 0x86DD : 0x0800);
		n += 2;
	}
	o->l3 = (uint32_t)n;
	ip = f + n;
	if (!x->v6) {
		iphl = 20 + (size_t)x->ipopt;
		memset(ip, 0, iphl);
		ip[0] = 0x40 | (uint8_t)(iphl / 4);
		ip[1] = x->tos;
		put_be16(ip + 2, (uint16_t)(iphl + ulen));
		put_be16(ip + 4, 0x1234);
		ip[8] = FX_TTL;
		ip[9] = 17;
		memcpy(ip + 12, fx_ip4_snd, 4);
		memcpy(ip + 16, fx_ip4_ref, 4);
		for (i = 0; i < x->ipopt; i++)
			ip[20 + i] = 1; /* NOP options */
		put_be16(ip + 10, fx_ip4_csum(ip, iphl));
	} else {
		iphl = 40;
		memset(ip, 0, iphl);
		ip[0] = 0x60 | (x->tos >> 4);
		ip[1] = (uint8_t)(x->tos << 4) | 0x0a; /* flow label 0xa1234 */
		ip[2] = 0x12;
		ip[3] = 0x34;
		put_be16(ip + 4, (uint16_t)ulen);
		ip[6] = 17;
		ip[7] = FX_TTL;
		memcpy(ip + 8, fx_ip6_snd, 16);
		memcpy(ip + 24, fx_ip6_ref, 16);
	}
	udp = ip + iphl;
	o->l4 = (uint32_t)(udp - f);
	o->pay = o->l4 + 8;
	put_be16(udp, x->sport ? x->sport : FX_SPORT);
	put_be16(udp + 2, x->dport ? x->dport : FX_DPORT);
	put_be16(udp + 4, (uint16_t)ulen);
	put_be16(udp + 6, 0);
	fx_sender_payload(udp + 8, x->paylen, x->symmetric);
	if (!x->no_udp_csum || x->v6)
		put_be16(udp + 6, fx_udp_csum(x->v6, ip, udp, ulen));
	n = o->pay + x->paylen;
	for (i = 0; i < (int)x->trailer; i++)
		f[n++] = 0xee;
	o->len = (uint32_t)n;
	return n;
}

/* The own_addrs key of an address (bpf_shared.h: IPv4 as ::ffff:a.b.c.d). */
static inline struct xw_own_key fx_own_key(int v6, const uint8_t *a)
{
	struct xw_own_key k;

	memset(&k, 0, sizeof(k));
	if (v6) {
		memcpy(k.addr, a, 16);
	} else {
		k.addr[10] = k.addr[11] = 0xff;
		memcpy(k.addr + 12, a, 4);
	}
	return k;
}

/* Put an address in own_addrs as kind (enum xw_own_kind); 0 or -1. */
static inline int fx_own_add(int own_fd, int v6, const uint8_t *a, uint8_t kind)
{
	struct xw_own_key k = fx_own_key(v6, a);
	struct xw_own_val v = {.ifindex = 1, .kind = kind};

	return bpf_map_update_elem(own_fd, &k, &v, BPF_ANY) ? -1 : 0;
}

/*
 * The host the fixtures run on, as xwampd would describe it: test runs see
 * the loopback device (ifindex 1) as the receiving interface, here with
 * the reflector's MAC (if_macs), and the reflector's addresses are this
 * host's (own_addrs).  0 or -1.
 */
#define FX_IFINDEX 1
static inline int fx_host(int if_macs_fd, int own_fd)
{
	struct xw_if_mac m;
	__u32 slot = FX_IFINDEX % XW_IF_MACS_MAX;

	memset(&m, 0, sizeof(m));
	m.ifindex = FX_IFINDEX;
	memcpy(m.mac, fx_mac_dst, 6);
	if (bpf_map_update_elem(if_macs_fd, &slot, &m, BPF_ANY))
		return -1;
	return fx_own_add(own_fd, 0, fx_ip4_ref, XW_OWN_UNICAST) ||
			       fx_own_add(own_fd, 1, fx_ip6_ref, XW_OWN_UNICAST)
		       ? -1
		       : 0;
}

/* A session entry for the frames fx_build() makes. */
static inline void fx_session(struct xw_sess *s, int v6, uint8_t flags, uint16_t reflect_len,
			      uint32_t expect_len, uint8_t dscp)
{
	memset(s, 0, sizeof(*s));
	s->state = XW_SESS_ARMED;
	s->mode = XW_SESS_UNAUTH;
	s->flags = flags;
	s->family = v6 ? XW_SESS_INET6 : XW_SESS_INET;
	s->dscp = dscp;
	s->reflect_len = reflect_len;
	s->sender_port = htons(FX_SPORT);
	s->refl_port = htons(FX_DPORT);
	s->expect_len = expect_len;
	memcpy(s->sender_addr, v6 ? fx_ip6_snd : fx_ip4_snd, v6 ? 16 : 4);
	memcpy(s->refl_addr, v6 ? fx_ip6_ref : fx_ip4_ref, v6 ? 16 : 4);
}

#endif /* XW_XDP_FIXTURE_H */
