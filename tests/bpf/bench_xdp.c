// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cost of the XDP reflector per packet under BPF_PROG_TEST_RUN, as a ratio
 * to a program that only swaps MAC addresses and returns XDP_TX
 * (bpf/xdp_baseline.bpf.c), both loaded and measured in the same run,
 * alternating, best of several rounds (doc/design.md "Benchmarks").
 * Target: at most 2.5x for the common case (IPv4, sender padded 27 octets).
 *
 * A test run repeats the program on the same buffer, so the reflected frame
 * is the next input.  Two sessions make that a ping-pong that is reflected
 * every time: one for sender -> reflector and its mirror image.  The run
 * checks that every repeat was reflected (stats) before it reports.
 *
 *   build/bench/bench_xdp [repeat [case]]   (root; default repeat 1000000, all cases)
 *
 * A second baseline, bpf/xdp_clock.bpf.c, is the MAC swap plus one
 * bpf_ktime_get_tai_ns(): the column "/clock" is the ratio to it, which
 * tells how much of the cost is the clock read alone (slow under a
 * hypervisor).
 *
 * Also prints each program's verifier instruction count (verified_insns)
 * and JIT size (jited_prog_len).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_baseline.skel.h"
#include "xdp_clock.skel.h"
#include "xdp_fixture.h"
#include "xwamp.skel.h"
#include "xwamp_floor_bare.skel.h"
#include "xwamp_floor_nocheck.skel.h"
#include "xwamp_floor_nohost.skel.h"
#include "xwamp_floor_noifstats.skel.h"
#include "xwamp_floor_noucsum.skel.h"

#define ROUNDS 7

struct bcase {
	const char *desc;
	struct fx_pkt pkt;
	uint8_t flags;
};

static const struct bcase cases[] = {
	{"ipv4 41 octets (padded 27)", {.paylen = 41}, 0},
	{"ipv4 41 octets, no UDP checksum", {.paylen = 41, .no_udp_csum = 1}, 0},
	{"ipv4 802.1Q 41 octets", {.paylen = 41, .nvlan = 1}, 0},
	{"ipv6 41 octets", {.v6 = 1, .paylen = 41}, 0},
	{"ipv4 symmetrical 128 octets", {.paylen = 128, .symmetric = 1}, XW_SESS_F_SYMMETRIC},
	{"ipv4 symmetrical 1400 octets", {.paylen = 1400, .symmetric = 1}, XW_SESS_F_SYMMETRIC},
	{"ipv4 1400 octets (padding moved)", {.paylen = 1400}, 0},
	{"ipv4 41 octets, Light local=*",
	 {.paylen = 41},
	 XW_SESS_F_ANY_DADDR | XW_SESS_F_ANY_SPORT},
	{"ipv6 41 octets, Light local=*",
	 {.v6 = 1, .paylen = 41},
	 XW_SESS_F_ANY_DADDR | XW_SESS_F_ANY_SPORT},
};

static int prog_info(int fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(fd, info, &len);
}

static double thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * ns per run of prog on frame, or -1.  The kernel's own figure
 * (opts.duration) is truncated to whole ns, 4% of the baseline; the
 * thread's CPU time around the call has sub-ns resolution over a million
 * repeats and, like the kernel's, leaves out time the thread was not
 * running.  The syscall's fixed cost (~1 us) is below 0.01 ns per repeat.
 */
static double run(int prog, const uint8_t *frame, size_t len, __u32 repeat, __u32 *retval)
{
	static uint8_t buf[4096], out[4096];
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	double t0;

	memcpy(buf, frame, len);
	opts.data_in = buf;
	opts.data_size_in = (__u32)len;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.repeat = repeat;
	t0 = thread_ns();
	if (bpf_prog_test_run_opts(prog, &opts))
		return -1;
	*retval = opts.retval;
	return (thread_ns() - t0) / repeat;
}

static __u64 stat_sum(int stats_fd, int ncpu, __u32 k)
{
	__u64 v[1024], sum = 0;
	int c;

	if (bpf_map_lookup_elem(stats_fd, &k, v))
		return 0;
	for (c = 0; c < ncpu && c < 1024; c++)
		sum += v[c];
	return sum;
}

static __u64 reflected(int stats_fd, int ncpu)
{
	return stat_sum(stats_fd, ncpu, XW_STAT_REFLECTED);
}

static int ow_count(void *ctx, void *data, size_t len)
{
	(*(__u64 *)ctx)++;
	return 0;
}

/*
 * The OWAMP receiver (XW_SESS_OW_RECV): a 14-octet open-mode sender packet,
 * recorded into the ring buffer and dropped.  The ring buffer holds ~26000
 * records, so the repeats run in chunks, drained between them (draining is
 * not timed: it is xwampd's side).  Every record must arrive.
 */
#define OW_CHUNK 16384u
static int bench_owamp(struct xwamp *skel, struct xdp_baseline *base, struct xdp_clock *clkp,
		       __u32 repeat, int rounds, int ncpu)
{
	struct fx_pkt p = {.paylen = 14};
	double best_b = 1e9, best_c = 1e9, best_o = 1e9;
	__u32 kf = FX_DPORT, rv_b = 0, rv_c = 0, rv_o = 0, n, done = 0;
	__u64 got = 0, before;
	struct ring_buffer *rb;
	struct xw_sess ow;
	uint8_t frame[256];
	struct fx_off o;
	size_t len = fx_build(&p, frame, &o);
	int r, rc = 1;

	memcpy(frame + 6, fx_mac_dst, 6);
	fx_session(&ow, 0, 0, 0, 14, 0);
	ow.mode = XW_SESS_OW_RECV;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.sessions), &kf, &ow, BPF_ANY))
		return 1;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.ow_events), ow_count, &got, NULL);
	if (!rb)
		return 1;
	before = stat_sum(bpf_map__fd(skel->maps.stats), ncpu, XW_STAT_OW_RECORDED);
	for (r = 0; r < rounds; r++) {
		double b =
			run(bpf_program__fd(base->progs.xdp_baseline), frame, len, repeat, &rv_b);
		double t = run(bpf_program__fd(clkp->progs.xdp_clock), frame, len, repeat, &rv_c);
		double x = 0;

		for (n = 0; n < repeat; n += OW_CHUNK) {
			__u32 k = repeat - n < OW_CHUNK ? repeat - n : OW_CHUNK;
			double y =
				run(bpf_program__fd(skel->progs.xdp_xwamp), frame, len, k, &rv_o);

			if (y < 0)
				goto out;
			x += y * k;
			done += k;
			ring_buffer__consume(rb);
		}
		x /= repeat;
		if (b < 0 || t < 0)
			goto out;
		best_b = b < best_b ? b : best_b;
		best_c = t < best_c ? t : best_c;
		best_o = x < best_o ? x : best_o;
	}
	ring_buffer__consume(rb);
	if (rv_o != XDP_DROP || got != done ||
	    stat_sum(bpf_map__fd(skel->maps.stats), ncpu, XW_STAT_OW_RECORDED) - before != done) {
		fprintf(stderr,
			"bench_xdp: owamp receiver: %llu of %u records arrived (verdict %u)\n",
			(unsigned long long)got, done, rv_o);
		goto out;
	}
	printf("%-34s %8.1f %8.1f %8.1f %6.2fx %6.2fx  (%.1f M records/s on one CPU, all %u "
	       "consumed)\n",
	       "OWAMP receiver ipv4 14 octets", best_b, best_c, best_o,
	       best_b > 0 ? best_o / best_b : 0.0, best_c > 0 ? best_o / best_c : 0.0,
	       best_o > 0 ? 1e3 / best_o : 0.0, done);
	rc = 0;
out:
	ring_buffer__free(rb);
	return rc;
}

/*
 * Floors: xdp_xwamp built without some of its work (bpf/xwamp_floor_*.bpf.c,
 * XW_FLOOR), measured on the first case (IPv4, 41 octets padded 27) in the
 * same rounds as the program itself and the two baselines, so that one run
 * says what each check costs and what is left when none is made: the
 * rewrite, the session and clock look-ups and the one clock read.
 */
struct floor {
	const char *desc;
	void *skel;
	void (*destroy)(void *skel);
	struct bpf_object *obj;
	int prog;
	double best;
};

#define FLOOR_LOAD(f, name, d)                                              \
	do {                                                                \
		struct name *s_ = name##__open_and_load();                  \
		(f)->desc = (d);                                            \
		(f)->skel = s_;                                             \
		(f)->destroy = (void (*)(void *))name##__destroy;           \
		(f)->obj = s_ ? s_->obj : NULL;                             \
		(f)->prog = s_ ? bpf_program__fd(s_->progs.xdp_xwamp) : -1; \
		(f)->best = 1e9;                                            \
	} while (0)

/* The case's session, sender -> reflector, and its mirror image for the way back. */
static void sessions_both_ways(const struct bcase *c, struct xw_sess *fwd, struct xw_sess *back)
{
	fx_session(fwd, c->pkt.v6, c->flags, 0, 0, 0);
	*back = *fwd;
	back->sender_port = fwd->refl_port;
	back->refl_port = fwd->sender_port;
	memcpy(back->sender_addr, fwd->refl_addr, 16);
	memcpy(back->refl_addr, fwd->sender_addr, 16);
}

/* The maps of obj as the first case wants them: clock, MACs, own addresses, both sessions. */
static int floor_maps(struct bpf_object *obj, const struct xw_bpf_clock *clk,
		      const struct xw_sess *fwd, const struct xw_sess *back)
{
	__u32 zero = 0, kf = FX_DPORT, kb = FX_SPORT;
	int own = bpf_object__find_map_fd_by_name(obj, "own_addrs");
	int sfd = bpf_object__find_map_fd_by_name(obj, "sessions");

	return bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "clock"), &zero, clk,
				   BPF_ANY) ||
	       fx_host(bpf_object__find_map_fd_by_name(obj, "if_macs"), own) ||
	       fx_own_add(own, 0, fx_ip4_snd, XW_OWN_UNICAST) ||
	       fx_own_add(own, 1, fx_ip6_snd, XW_OWN_UNICAST) ||
	       bpf_map_update_elem(sfd, &kf, fwd, BPF_ANY) ||
	       bpf_map_update_elem(sfd, &kb, back, BPF_ANY);
}

static int bench_floors(struct xwamp *skel, struct xdp_baseline *base, struct xdp_clock *clkp,
			const struct xw_bpf_clock *clk, __u32 repeat, int rounds)
{
	struct floor fl[6];
	const struct bcase *c = &cases[0];
	double best_b = 1e9, best_c = 1e9;
	struct xw_sess fwd, back;
	uint8_t frame[4096];
	struct fx_off o;
	size_t len = fx_build(&c->pkt, frame, &o), i, nfl = 6;
	__u32 rv;
	int r, rc = 1;

	memset(fl, 0, sizeof(fl));
	fl[0] = (struct floor){"xdp_xwamp (every check)",
			       NULL,
			       NULL,
			       skel->obj,
			       bpf_program__fd(skel->progs.xdp_xwamp),
			       1e9};
	FLOOR_LOAD(&fl[1], xwamp_floor_noifstats, "minus the per-interface counters");
	FLOOR_LOAD(&fl[2], xwamp_floor_noucsum, "minus the UDP checksum check");
	FLOOR_LOAD(&fl[3], xwamp_floor_nohost, "minus host_check (MAC, addrs, UDP csum)");
	FLOOR_LOAD(&fl[4], xwamp_floor_nocheck, "minus every check (+ IPv4 header csum)");
	FLOOR_LOAD(&fl[5], xwamp_floor_bare, "minus every check, Sequence Number not atomic");
	memcpy(frame + 6, fx_mac_dst, 6);
	sessions_both_ways(c, &fwd, &back);
	for (i = 0; i < nfl; i++)
		if (!fl[i].obj || floor_maps(fl[i].obj, clk, &fwd, &back)) {
			fprintf(stderr, "bench_xdp: floor \"%s\" cannot be loaded\n", fl[i].desc);
			goto out;
		}
	for (r = 0; r < rounds; r++) {
		double b = run(bpf_program__fd(base->progs.xdp_baseline), frame, len, repeat, &rv);
		double t = run(bpf_program__fd(clkp->progs.xdp_clock), frame, len, repeat, &rv);

		if (b < 0 || t < 0)
			goto out;
		best_b = b < best_b ? b : best_b;
		best_c = t < best_c ? t : best_c;
		for (i = 0; i < nfl; i++) {
			double x = run(fl[i].prog, frame, len, repeat, &rv);

			if (x < 0 || rv != XDP_TX) {
				fprintf(stderr, "bench_xdp: floor \"%s\": not reflected\n",
					fl[i].desc);
				goto out;
			}
			fl[i].best = x < fl[i].best ? x : fl[i].best;
		}
	}
	printf("floors, %s: the same program built without some of its work (XW_FLOOR)\n", c->desc);
	printf("  %-46s %8.1f ns  %6.2fx\n", "MAC swap + clock read (xdp_clock)", best_c, 1.0);
	/* the per-interface counters (fl[1]) and the checks (fl[2]..) are each taken from fl[0] */
	for (i = 0; i < nfl; i++)
		printf("  %-46s %8.1f ns  %6.2fx /clock  (%+.1f ns against %s)\n", fl[i].desc,
		       fl[i].best, fl[i].best / best_c,
		       i ? fl[i].best - fl[i <= 2 ? 0 : i - 1].best : fl[i].best - best_c,
		       i && i <= 2 ? "xdp_xwamp" : "the line above");
	printf("  target <= 1.4x /clock: %s; the program minus every check is %.2fx\n",
	       fl[0].best <= 1.4 * best_c ? "met" : "MISSED", fl[4].best / best_c);
	rc = 0;
out:
	for (i = 1; i < nfl; i++)
		if (fl[i].skel)
			fl[i].destroy(fl[i].skel);
	return rc;
}

int main(int argc, char **argv)
{
	__u32 repeat = argc > 1 ? (__u32)strtoul(argv[1], NULL, 0) : 1000000;
	long only = argc > 2 ? strtol(argv[2], NULL, 0) : -1;
	int rounds = getenv("BENCH_XDP_ROUNDS") ? atoi(getenv("BENCH_XDP_ROUNDS")) : ROUNDS;
	struct xdp_baseline *base = NULL;
	struct xdp_clock *clkp = NULL;
	struct bpf_prog_info bi, ri;
	struct xwamp *skel = NULL;
	int ncpu = libbpf_num_possible_cpus(), rc = 1, worst_fail = 0;
	struct xw_bpf_clock clk = {.utc_offset_ns = -37000000000LL, .errest = 0x8132};
	__u32 zero = 0;
	size_t i;

	base = xdp_baseline__open_and_load();
	clkp = xdp_clock__open_and_load();
	skel = xwamp__open_and_load();
	if (!base || !clkp || !skel) {
		fprintf(stderr, "bench_xdp: cannot load the programs (root?)\n");
		goto out;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.clock), &zero, &clk, BPF_ANY))
		goto out;
	if (prog_info(bpf_program__fd(base->progs.xdp_baseline), &bi) ||
	    prog_info(bpf_program__fd(skel->progs.xdp_xwamp), &ri))
		goto out;
	printf("xdp_baseline: verifier %u insns processed, xlated %u B, JIT %u B\n",
	       bi.verified_insns, bi.xlated_prog_len, bi.jited_prog_len);
	printf("xdp_xwamp:    verifier %u insns processed, xlated %u B, JIT %u B\n",
	       ri.verified_insns, ri.xlated_prog_len, ri.jited_prog_len);
	printf("%-34s %8s %8s %8s %7s %7s\n", "case", "base ns", "clock ns", "xwamp ns", "ratio",
	       "/clock");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *c = &cases[i];
		int sfd = bpf_map__fd(skel->maps.sessions);
		struct xw_sess fwd, back;
		__u32 kf = FX_DPORT, kb = FX_SPORT, rv_b = 0, rv_r = 0, rv_c = 0;
		double best_b = 1e9, best_r = 1e9, best_c = 1e9;
		uint8_t frame[4096];
		struct fx_off o;
		size_t len = fx_build(&c->pkt, frame, &o);
		__u64 before;
		int r;

		if (only >= 0 && (size_t)only != i)
			continue;
		/*
		 * The frame and its reflection alternate: both MACs are the
		 * interface's (if_macs), both addresses this host's (own_addrs).
		 */
		memcpy(frame + 6, fx_mac_dst, 6);
		if (fx_host(bpf_map__fd(skel->maps.if_macs), bpf_map__fd(skel->maps.own_addrs)) ||
		    fx_own_add(bpf_map__fd(skel->maps.own_addrs), 0, fx_ip4_snd, XW_OWN_UNICAST) ||
		    fx_own_add(bpf_map__fd(skel->maps.own_addrs), 1, fx_ip6_snd, XW_OWN_UNICAST))
			goto out;
		/* sender -> reflector, and the mirror image for the way back */
		sessions_both_ways(c, &fwd, &back);
		if (bpf_map_update_elem(sfd, &kf, &fwd, BPF_ANY) ||
		    bpf_map_update_elem(sfd, &kb, &back, BPF_ANY))
			goto out;

		before = reflected(bpf_map__fd(skel->maps.stats), ncpu);
		for (r = 0; r < rounds; r++) {
			double b = run(bpf_program__fd(base->progs.xdp_baseline), frame, len,
				       repeat, &rv_b);
			double x = run(bpf_program__fd(skel->progs.xdp_xwamp), frame, len, repeat,
				       &rv_r);

			double t = run(bpf_program__fd(clkp->progs.xdp_clock), frame, len, repeat,
				       &rv_c);

			if (b < 0 || x < 0 || t < 0)
				goto out;
			best_c = t < best_c ? t : best_c;
			best_b = b < best_b ? b : best_b;
			best_r = x < best_r ? x : best_r;
		}
		if (rv_b != XDP_TX || rv_r != XDP_TX ||
		    reflected(bpf_map__fd(skel->maps.stats), ncpu) - before !=
			    (__u64)rounds * repeat) {
			fprintf(stderr, "bench_xdp: %s: not every run was reflected\n", c->desc);
			worst_fail = 1;
		}
		printf("%-34s %8.1f %8.1f %8.1f %6.2fx %6.2fx%s\n", c->desc, best_b, best_c, best_r,
		       best_b > 0 ? best_r / best_b : 0.0, best_c > 0 ? best_r / best_c : 0.0,
		       i == 0 ? (best_r <= 2.5 * best_b ? "  (target <= 2.5x: met)"
							: "  (target <= 2.5x: MISSED)")
			      : "");
		if (i == 0)
			printf("%-34s %8s %8s %8s %6.2fx  (the clock read alone: the floor of any "
			       "reflector that stamps)\n",
			       "  MAC swap + clock / MAC swap", "", "", "",
			       best_b > 0 ? best_c / best_b : 0.0);
	}
	if ((only <= 0 || getenv("BENCH_XDP_FLOORS")) &&
	    bench_floors(skel, base, clkp, &clk, repeat, rounds)) {
		fprintf(stderr, "bench_xdp: the floors failed\n");
		worst_fail = 1;
	}
	if (only < 0 && bench_owamp(skel, base, clkp, repeat, rounds, ncpu)) {
		fprintf(stderr, "bench_xdp: the OWAMP receiver case failed\n");
		worst_fail = 1;
	}
	rc = worst_fail;
out:
	xwamp__destroy(skel);
	xdp_baseline__destroy(base);
	xdp_clock__destroy(clkp);
	return rc;
}
