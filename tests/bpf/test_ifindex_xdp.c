// SPDX-License-Identifier: GPL-2.0-only
/*
 * A session entry bound to one device (struct xw_sess.ifindex, set by
 * xwampd for IPsec-protected flows: README "IPsec view"): with
 * BPF_PROG_TEST_RUN on the XDP program, a frame of the session's exact
 * tuple that arrives on another device is passed untouched and counted
 * (XW_STAT_PASS_IFACE and the entry's passed counter), while the same frame
 * on the bound device, or with no binding, is reflected.  This is the
 * attack of a cleartext packet spoofing a protected session's tuple on the
 * outer device: it must not be answered by XDP_TX in clear.
 *
 * Test runs carry ingress_ifindex = lo (the kernel checks that it exists);
 * "another device" is an ifindex that is not lo's.  Needs root.
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

struct env {
	struct xwamp *skel;
	int prog, sessions, stats, ncpu, lo;
};

static int env_open(struct env *e)
{
	struct xw_bpf_clock c = {.utc_offset_ns = 0, .errest = 0x8001};
	__u32 zero = 0;

	memset(e, 0, sizeof(*e));
	e->lo = (int)if_nametoindex("lo");
	if (!e->lo)
		return -ENODEV;
	e->skel = xwamp__open();
	if (!e->skel)
		return -errno;
	if (xwamp__load(e->skel)) {
		xwamp__destroy(e->skel);
		e->skel = NULL;
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

struct icase {
	const char *desc;
	int v6;
	int bind; /* 0: no binding, 1: bound to lo (the ingress), 2: bound to another device */
	int verdict;
	enum xw_stat stat;
	int passed; /* the entry's passed counter grows */
};

static const struct icase cases[] = {
	{"unbound entry: reflected on any device", 0, 0, XDP_TX, XW_STAT_REFLECTED, 0},
	{"bound to the ingress device: reflected", 0, 1, XDP_TX, XW_STAT_REFLECTED, 0},
	{"bound to another device: spoof passed, not answered", 0, 2, XDP_PASS, XW_STAT_PASS_IFACE,
	 1},
	{"IPv6, bound to the ingress device: reflected", 1, 1, XDP_TX, XW_STAT_REFLECTED, 0},
	{"IPv6, bound to another device: passed", 1, 2, XDP_PASS, XW_STAT_PASS_IFACE, 1},
};

static int run_case(const struct env *e, const struct icase *c)
{
	static uint8_t in[512], out[512];
	struct fx_pkt x = {.v6 = c->v6, .paylen = 41};
	struct xdp_md ctx = {.ingress_ifindex = (__u32)e->lo, .rx_queue_index = 0};
	__u32 key = FX_DPORT;
	__u64 before, after;
	struct xw_sess s;
	struct fx_off o;
	size_t len;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	fx_session(&s, c->v6, 0, 0, 0, 0);
	s.ifindex = c->bind == 0 ? 0 : c->bind == 1 ? (__u32)e->lo : (__u32)e->lo + 1000;
	if (bpf_map_update_elem(e->sessions, &key, &s, BPF_ANY))
		return -1;
	len = fx_build(&x, in, &o);
	ctx.data_end = (__u32)len;
	opts.data_in = in;
	opts.data_size_in = (__u32)len;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	before = stat_sum(e, c->stat);
	if (bpf_prog_test_run_opts(e->prog, &opts)) {
		fprintf(stderr, "  %s: test run: %s\n", c->desc, strerror(errno));
		return -1;
	}
	after = stat_sum(e, c->stat);
	if ((int)opts.retval != c->verdict || after != before + 1) {
		fprintf(stderr, "  %s: verdict %u (want %d), stat slot %d +%llu (want +1)\n",
			c->desc, opts.retval, c->verdict, c->stat,
			(unsigned long long)(after - before));
		return -1;
	}
	if (bpf_map_lookup_elem(e->sessions, &key, &s))
		return -1;
	if (s.passed != (__u64)c->passed || s.next_seq != (c->verdict == XDP_TX ? 1u : 0u)) {
		fprintf(stderr, "  %s: entry passed %llu (want %d), next_seq %llu\n", c->desc,
			(unsigned long long)s.passed, c->passed, (unsigned long long)s.next_seq);
		return -1;
	}
	if (c->verdict != XDP_TX && (opts.data_size_out != len || memcmp(in, out, len))) {
		fprintf(stderr, "  %s: the passed frame was changed\n", c->desc);
		return -1;
	}
	return 0;
}

TEST(session_bound_to_device)
{
	struct env e;
	unsigned int i;
	int bad = 0;

	CHECK_EQ(env_open(&e), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		bad += run_case(&e, &cases[i]) ? 1 : 0;
	xwamp__destroy(e.skel);
	CHECK_EQ(bad, 0);
}
