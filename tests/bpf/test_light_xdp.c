// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP Light wildcards in the XDP program's tuple check (bpf_shared.h
 * XW_SESS_F_ANY_SADDR / _ANY_SPORT / _ANY_DADDR, family 0), with
 * BPF_PROG_TEST_RUN: for each case a session entry, a frame from a sender
 * that matches or not, the expected verdict and "stats" slot; a reflected
 * frame must be addressed back to the sender it came from (addresses and
 * ports swapped) with an IPv4 header checksum and a UDP checksum that
 * verify from scratch.  Ethernet and L3-only (XW_CFG_L3, TUN) frames.
 *
 * Needs root (BPF_PROG_TEST_RUN).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "t.h"
#include "xdp_fixture.h"
#include "xwamp.skel.h"

#define ANY_S (XW_SESS_F_ANY_SADDR | XW_SESS_F_ANY_SPORT)
#define ANY_A (XW_SESS_F_ANY_SADDR | XW_SESS_F_ANY_DADDR)

struct env {
	struct xwamp *skel;
	int prog, sessions, stats, ncpu;
};

static int env_open(struct env *e, int l3)
{
	struct xw_bpf_clock c = {.utc_offset_ns = -37LL * 1000000000LL, .errest = 0x8001};
	__u32 zero = 0;

	memset(e, 0, sizeof(*e));
	e->skel = xwamp__open();
	if (!e->skel)
		return -errno;
	e->skel->rodata->xw_cfg.flags = l3 ? XW_CFG_L3 : 0;
	if (xwamp__load(e->skel)) {
		xwamp__destroy(e->skel);
		return -EINVAL;
	}
	e->prog = bpf_program__fd(e->skel->progs.xdp_xwamp);
	e->sessions = bpf_map__fd(e->skel->maps.sessions);
	e->stats = bpf_map__fd(e->skel->maps.stats);
	e->ncpu = libbpf_num_possible_cpus();
	return bpf_map_update_elem(bpf_map__fd(e->skel->maps.clock), &zero, &c, BPF_ANY) ? -errno
											 : 0;
}

static __u64 stat_sum(const struct env *e, __u32 slot)
{
	__u64 v[1024] = {0}, sum = 0;
	int c;

	if (bpf_map_lookup_elem(e->stats, &slot, v))
		return ~0ULL;
	for (c = 0; c < e->ncpu && c < 1024; c++)
		sum += v[c];
	return sum;
}

struct lcase {
	const char *desc;
	int v6;
	uint8_t flags;
	int family; /* session family: 4, 6 or 0 */
	/* the frame's deviations from the fixture sender/reflector */
	uint8_t saddr_last; /* != 0: last octet of the sender address */
	uint8_t daddr_last; /* != 0: last octet of the reflector address */
	uint16_t sport;	    /* != 0: sender port */
	int verdict;
	enum xw_stat stat;
};

static const struct lcase cases[] = {
	{"exact session, other sender port", 0, 0, 4, 0, 0, 40001, XDP_PASS, XW_STAT_PASS_TUPLE},
	{"exact session, other sender address", 0, 0, 4, 77, 0, 0, XDP_PASS, XW_STAT_PASS_TUPLE},
	{"any sender, fixture sender", 0, ANY_S, 4, 0, 0, 0, XDP_TX, XW_STAT_REFLECTED},
	{"any sender, other address and port", 0, ANY_S, 4, 77, 0, 5555, XDP_TX, XW_STAT_REFLECTED},
	{"any sender, other local address", 0, ANY_S, 4, 77, 99, 5555, XDP_PASS,
	 XW_STAT_PASS_TUPLE},
	{"any sender port only, other port", 0, XW_SESS_F_ANY_SPORT, 4, 0, 0, 5555, XDP_TX,
	 XW_STAT_REFLECTED},
	{"any sender port only, other address", 0, XW_SESS_F_ANY_SPORT, 4, 77, 0, 5555, XDP_PASS,
	 XW_STAT_PASS_TUPLE},
	{"any local address", 0, XW_SESS_F_ANY_DADDR, 4, 0, 99, 0, XDP_TX, XW_STAT_REFLECTED},
	{"IPv6 any sender", 1, ANY_S, 6, 77, 0, 5555, XDP_TX, XW_STAT_REFLECTED},
	{"IPv6 packet, IPv4 wildcard session", 1, ANY_S, 4, 77, 0, 5555, XDP_PASS,
	 XW_STAT_PASS_TUPLE},
	{"family 0, all wildcards, IPv4", 0, ANY_S | ANY_A, 0, 77, 99, 5555, XDP_TX,
	 XW_STAT_REFLECTED},
	{"family 0, all wildcards, IPv6", 1, ANY_S | ANY_A, 0, 77, 99, 5555, XDP_TX,
	 XW_STAT_REFLECTED},
	{"family 0 without the address wildcards", 0, ANY_S, 0, 0, 0, 0, XDP_PASS,
	 XW_STAT_PASS_TUPLE},
};

/* Rewrite the frame's sender/reflector address, then its checksums from scratch. */
static void mutate(uint8_t *f, const struct fx_off *o, const struct lcase *c)
{
	uint8_t *ip = f + o->l3, *udp = f + o->l4;

	if (c->saddr_last)
		ip[c->v6 ? 8 + 15 : 12 + 3] = c->saddr_last;
	if (c->daddr_last)
		ip[c->v6 ? 24 + 15 : 16 + 3] = c->daddr_last;
	if (!c->v6)
		put_be16(ip + 10, fx_ip4_csum(ip, 20));
	put_be16(udp + 6, fx_udp_csum(c->v6, ip, udp, o->len - o->l4));
}

static int run_case(const struct env *e, int l3, const struct lcase *c)
{
	static uint8_t in[512], out[512];
	struct fx_pkt x = {.l3 = l3, .v6 = c->v6, .paylen = 41, .sport = c->sport};
	__u32 key = FX_DPORT;
	__u64 before, after;
	struct xw_sess s;
	struct fx_off o;
	size_t len;
	uint8_t *ip, *udp;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	fx_session(&s, c->v6, 0, 0, 0, 0);
	s.family = (uint8_t)c->family;
	s.flags = c->flags;
	if (bpf_map_update_elem(e->sessions, &key, &s, BPF_ANY))
		return -1;
	len = fx_build(&x, in, &o);
	if (len < 14) /* XDP test runs need 14 octets */
		return -1;
	mutate(in, &o, c);
	opts.data_in = in;
	opts.data_size_in = (__u32)len;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.repeat = 1;
	before = stat_sum(e, c->stat);
	if (bpf_prog_test_run_opts(e->prog, &opts)) {
		fprintf(stderr, "  %s: test run: %s\n", c->desc, strerror(errno));
		return -1;
	}
	after = stat_sum(e, c->stat);
	if ((int)opts.retval != c->verdict || after != before + 1) {
		fprintf(stderr, "  %s%s: verdict %u (want %d), stat slot %d +%llu (want +1)\n",
			l3 ? "L3 " : "", c->desc, opts.retval, c->verdict, c->stat,
			(unsigned long long)(after - before));
		return -1;
	}
	if (c->verdict != XDP_TX)
		return memcmp(in, out, len) ? -1 : 0; /* passed untouched */
	/* back to the sender it came from: the input's source is the output's destination */
	ip = out + o.l3;
	udp = out + o.l4;
	if (c->v6 ? memcmp(ip + 24, in + o.l3 + 8, 16) || memcmp(ip + 8, in + o.l3 + 24, 16)
		  : memcmp(ip + 16, in + o.l3 + 12, 4) || memcmp(ip + 12, in + o.l3 + 16, 4)) {
		fprintf(stderr, "  %s: addresses not swapped\n", c->desc);
		return -1;
	}
	if (get_be16(udp + 2) != (c->sport ? c->sport : FX_SPORT) || get_be16(udp) != FX_DPORT) {
		fprintf(stderr, "  %s: ports not swapped\n", c->desc);
		return -1;
	}
	if (!c->v6 && get_be16(ip + 10) != fx_ip4_csum(ip, 20)) {
		fprintf(stderr, "  %s: IPv4 header checksum\n", c->desc);
		return -1;
	}
	if (get_be16(udp + 6) != fx_udp_csum(c->v6, ip, udp, get_be16(udp + 4))) {
		fprintf(stderr, "  %s: UDP checksum %04x, from scratch %04x\n", c->desc,
			get_be16(udp + 6), fx_udp_csum(c->v6, ip, udp, get_be16(udp + 4)));
		return -1;
	}
	/* the reflector's header: Sender Sequence Number 7 copied at octet 24 (RFC 5357 4.2.1) */
	if (get_be32(out + o.pay + 24) != 7) {
		fprintf(stderr, "  %s: sender sequence number not copied\n", c->desc);
		return -1;
	}
	return 0;
}

static void run_all(int l3)
{
	struct env e;
	unsigned int i;
	int bad = 0;

	CHECK_EQ(env_open(&e, l3), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad += run_case(&e, l3, &cases[i]) ? 1 : 0;
	xwamp__destroy(e.skel);
	CHECK_EQ(bad, 0);
}

TEST(light_wildcards_ethernet)
{
	run_all(0);
}

TEST(light_wildcards_l3_tun)
{
	run_all(1);
}
