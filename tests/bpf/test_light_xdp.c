// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP Light wildcards in the XDP program's tuple check (bpf_shared.h
 * XW_SESS_F_ANY_SADDR / _ANY_SPORT / _ANY_DADDR, family 0), with
 * BPF_PROG_TEST_RUN: for each case a session entry, a frame from a sender
 * that matches or not, the expected verdict and "stats" slot; a reflected
 * frame must be addressed back to the sender it came from (addresses and
 * ports swapped) with an IPv4 header checksum and a UDP checksum that
 * verify from scratch.  Ethernet and L3-only (XW_CFG_L3, TUN) frames.
 * A wildcard local address is any of this host's (own_addrs: the
 * reflector's address and ...99 here), never another; a wildcard sender is
 * anyone but this host.
 *
 * Also an entry bound to one device (struct xw_sess.ifindex, set by xwampd
 * for IPsec-protected flows: README "IPsec view"): a frame of the session's
 * exact tuple that arrives on another device is passed untouched and
 * counted (XW_STAT_PASS_IFACE and the entry's passed counter), the same
 * frame on the bound device, or with no binding, is reflected.  That is
 * the attack of a cleartext packet spoofing a protected session's tuple on
 * the outer device: no XDP_TX answer in clear.  Those test runs carry
 * ingress_ifindex = lo (the kernel checks that it exists); "another
 * device" is an ifindex that is not lo's.
 *
 * Needs root (BPF_PROG_TEST_RUN).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "t.h"
#include "xdp_fixture.h"
#include "xwamp.skel.h"

#define ANY_S (XW_SESS_F_ANY_SADDR | XW_SESS_F_ANY_SPORT)
#define ANY_A (XW_SESS_F_ANY_SADDR | XW_SESS_F_ANY_DADDR)

static const uint8_t own4_99[4] = {192, 0, 2, 99};
static const uint8_t own6_99[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 99};

struct env {
	struct xwamp *skel;
	int prog, sessions, stats, ncpu;
	int lo; /* ifindex of lo (device binding cases) */
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
	/* this host: the fixture's reflector addresses and ...99 (last octet 99) */
	if (fx_host(bpf_map__fd(e->skel->maps.if_macs), bpf_map__fd(e->skel->maps.own_addrs)) ||
	    fx_own_add(bpf_map__fd(e->skel->maps.own_addrs), 0, own4_99, XW_OWN_UNICAST) ||
	    fx_own_add(bpf_map__fd(e->skel->maps.own_addrs), 1, own6_99, XW_OWN_UNICAST))
		return -errno;
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
	{"any local address, not this host's", 0, XW_SESS_F_ANY_DADDR, 4, 0, 98, 0, XDP_PASS,
	 XW_STAT_PASS_DST},
	{"IPv6 any local address, not this host's", 1, XW_SESS_F_ANY_DADDR, 6, 0, 98, 0, XDP_PASS,
	 XW_STAT_PASS_DST},
	{"all wildcards, from this host's own address", 0, ANY_S | ANY_A, 0, 99, 2, 5555, XDP_PASS,
	 XW_STAT_PASS_SRC},
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

/*
 * One test run of the frame in[0..len) (ctx: NULL, or the xdp_md to pass):
 * the verdict must be `verdict` and the stats slot `stat` must grow by one;
 * a frame that is not reflected must come out untouched.  0, or -1 after a
 * message naming the case.
 */
static int run_frame(const struct env *e, const uint8_t *in, size_t len, uint8_t *out,
		     const struct xdp_md *ctx, const char *pfx, const char *desc, int verdict,
		     enum xw_stat stat)
{
	struct xdp_md c;
	__u64 before, after;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	opts.data_in = in;
	opts.data_size_in = (__u32)len;
	opts.data_out = out;
	opts.data_size_out = 512;
	opts.repeat = 1;
	if (ctx) {
		c = *ctx;
		c.data_end = (__u32)len; /* the kernel wants the frame's length here */
		opts.ctx_in = &c;
		opts.ctx_size_in = sizeof(c);
	}
	before = stat_sum(e, stat);
	if (bpf_prog_test_run_opts(e->prog, &opts)) {
		fprintf(stderr, "  %s%s: test run: %s\n", pfx, desc, strerror(errno));
		return -1;
	}
	after = stat_sum(e, stat);
	if ((int)opts.retval != verdict || after != before + 1) {
		fprintf(stderr, "  %s%s: verdict %u (want %d), stat slot %d +%llu (want +1)\n", pfx,
			desc, opts.retval, verdict, stat, (unsigned long long)(after - before));
		return -1;
	}
	if (verdict != XDP_TX && (opts.data_size_out != len || memcmp(in, out, len))) {
		fprintf(stderr, "  %s%s: the passed frame was changed\n", pfx, desc);
		return -1;
	}
	return 0;
}

static int run_case(const struct env *e, int l3, const struct lcase *c)
{
	static uint8_t in[512], out[512];
	struct fx_pkt x = {.l3 = l3, .v6 = c->v6, .paylen = 41, .sport = c->sport};
	__u32 key = FX_DPORT;
	struct xw_sess s;
	struct fx_off o;
	size_t len;
	uint8_t *ip, *udp;

	fx_session(&s, c->v6, 0, 0, 0, 0);
	s.family = (uint8_t)c->family;
	s.flags = c->flags;
	if (bpf_map_update_elem(e->sessions, &key, &s, BPF_ANY))
		return -1;
	len = fx_build(&x, in, &o);
	if (len < 14) /* XDP test runs need 14 octets */
		return -1;
	mutate(in, &o, c);
	if (run_frame(e, in, len, out, NULL, l3 ? "L3 " : "", c->desc, c->verdict, c->stat))
		return -1;
	if (c->verdict != XDP_TX)
		return 0;
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

struct icase {
	const char *desc;
	int v6;
	int bind; /* 0: no binding, 1: bound to lo (the ingress), 2: bound to another device */
	int verdict;
	enum xw_stat stat;
	int passed; /* the entry's passed counter grows */
};

static const struct icase bound_cases[] = {
	{"unbound entry: reflected on any device", 0, 0, XDP_TX, XW_STAT_REFLECTED, 0},
	{"bound to the ingress device: reflected", 0, 1, XDP_TX, XW_STAT_REFLECTED, 0},
	{"bound to another device: spoof passed, not answered", 0, 2, XDP_PASS, XW_STAT_PASS_IFACE,
	 1},
	{"IPv6, bound to the ingress device: reflected", 1, 1, XDP_TX, XW_STAT_REFLECTED, 0},
	{"IPv6, bound to another device: passed", 1, 2, XDP_PASS, XW_STAT_PASS_IFACE, 1},
};

static int run_bound(const struct env *e, const struct icase *c)
{
	static uint8_t in[512], out[512];
	struct fx_pkt x = {.v6 = c->v6, .paylen = 41};
	struct xdp_md ctx = {.ingress_ifindex = (__u32)e->lo, .rx_queue_index = 0};
	__u32 key = FX_DPORT;
	struct xw_sess s;
	struct fx_off o;
	size_t len;

	fx_session(&s, c->v6, 0, 0, 0, 0);
	s.ifindex = c->bind == 0 ? 0 : c->bind == 1 ? (__u32)e->lo : (__u32)e->lo + 1000;
	if (bpf_map_update_elem(e->sessions, &key, &s, BPF_ANY))
		return -1;
	len = fx_build(&x, in, &o);
	if (run_frame(e, in, len, out, &ctx, "", c->desc, c->verdict, c->stat))
		return -1;
	if (bpf_map_lookup_elem(e->sessions, &key, &s))
		return -1;
	if (s.passed != (__u64)c->passed || s.next_seq != (c->verdict == XDP_TX ? 1u : 0u)) {
		fprintf(stderr, "  %s: entry passed %llu (want %d), next_seq %llu\n", c->desc,
			(unsigned long long)s.passed, c->passed, (unsigned long long)s.next_seq);
		return -1;
	}
	return 0;
}

TEST(session_bound_to_device)
{
	struct env e;
	unsigned int i;
	int bad = 0;

	CHECK_EQ(env_open(&e, 0), 0);
	e.lo = (int)if_nametoindex("lo");
	CHECK(e.lo > 0);
	for (i = 0; i < sizeof(bound_cases) / sizeof(bound_cases[0]); i++)
		bad += run_bound(&e, &bound_cases[i]) ? 1 : 0;
	xwamp__destroy(e.skel);
	CHECK_EQ(bad, 0);
}
