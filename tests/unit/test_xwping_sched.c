// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwping's send schedule (loader/xwping/sched.h, header-only and pure):
 * RFC 4656 5.1/5.2 algorithm S on chosen uniform numbers, the Poisson
 * stream's mean and spread, the periodic stream, and absolute deadlines
 * that do not drift.
 */
#include <math.h>

#include "t.h"
#include "../../loader/xwping/sched.h"

/* A uniform source that plays back a fixed list. */
struct seq {
	const uint32_t *v;
	unsigned int n, i;
};

static uint32_t seq_next(void *arg)
{
	struct seq *s = arg;

	return s->i < s->n ? s->v[s->i++] : 0;
}

#define ONE_S (1ull << 32)

TEST(algorithm_s_immediate_acceptance)
{
	/* U = .0xxx: j = 0, U <- bits after the zero; U = 0 -> X = 0 */
	uint32_t a[] = {0x00000000};
	struct seq s = {a, 1, 0};

	CHECK_EQ(xw_exp_variate(ONE_S, seq_next, &s), 0);
	/* U = .10 0..: j = 1, shifted U = 0 -> X = mu * ln2 */
	uint32_t b[] = {0x80000000};
	struct seq t = {b, 1, 0};

	CHECK_EQ(xw_exp_variate(ONE_S, seq_next, &t), 0xB17217F8ull);
	/* j = 2, then U = 0x40000000 (< ln2) after shifting off "110": X = 2 ln2 + 0.25 */
	uint32_t c[] = {0xC8000000};
	struct seq u = {c, 1, 0};

	CHECK_EQ(xw_exp_variate(ONE_S, seq_next, &u), 2 * 0xB17217F8ull + 0x40000000ull);
	CHECK_EQ(u.i, 1);
}

TEST(algorithm_s_minimum_branch)
{
	/*
	 * U = 0x7C000000: j = 0, shifted U = 0xF8000000 >= Q[1] (0xB17217F8),
	 * < Q[3] (0xFD271862) but >= Q[2] (0xEEF193F7) -> k = 3 more uniforms,
	 * V = their minimum; X = mu * (0 + V) * ln2.
	 */
	uint32_t a[] = {0x7C000000, 0x90000000, 0x20000000, 0x50000000, 0x11111111};
	struct seq s = {a, 5, 0};
	uint64_t x = xw_exp_variate(ONE_S, seq_next, &s);

	CHECK_EQ(s.i, 4); /* the first U and exactly k = 3 others */
	CHECK_EQ(x, (0x20000000ull * 0xB17217F8ull) >> 32);
}

TEST(algorithm_s_all_ones)
{
	uint32_t a[] = {0xFFFFFFFF};
	struct seq s = {a, 1, 0};

	/* RFC 4656 5.1 S1 note: no zero bit -> mu * 32 * ln2 */
	CHECK_EQ(xw_exp_variate(ONE_S, seq_next, &s), 32 * 0xB17217F8ull);
}

TEST(poisson_mean_and_spread)
{
	struct xw_sched s;
	const int n = 200000;
	double sum = 0, sumsq = 0, mean, sd;
	uint64_t prev, t;
	int i, below = 0;

	xw_sched_init(&s, XW_SCHED_POISSON, 100000000 /* 0.1 s */, 42, 0);
	prev = xw_sched_next(&s);
	CHECK_EQ(prev, 0);
	for (i = 0; i < n; i++) {
		double g;

		t = xw_sched_next(&s);
		CHECK(t >= prev);
		g = (double)(t - prev) / 1e9;
		sum += g;
		sumsq += g * g;
		if (g < 0.1 * log(2))
			below++;
		prev = t;
	}
	mean = sum / n;
	sd = sqrt(sumsq / n - mean * mean);
	/* exponential: mean = sd = 0.1 s; the median is mean * ln2 */
	CHECK_NEAR(mean, 0.1, 0.002);
	CHECK_NEAR(sd, 0.1, 0.003);
	CHECK_NEAR((double)below / n, 0.5, 0.01);
}

TEST(poisson_seed_replays)
{
	struct xw_sched a, b, c;
	int i, differ = 0;

	xw_sched_init(&a, XW_SCHED_POISSON, 10000000, 7, 1000);
	xw_sched_init(&b, XW_SCHED_POISSON, 10000000, 7, 1000);
	xw_sched_init(&c, XW_SCHED_POISSON, 10000000, 8, 1000);
	for (i = 0; i < 100; i++) {
		uint64_t ta = xw_sched_next(&a), tc = xw_sched_next(&c);

		CHECK_EQ(ta, xw_sched_next(&b));
		differ += ta != tc;
	}
	CHECK(differ > 90);
}

TEST(periodic_does_not_drift)
{
	struct xw_sched s;
	uint64_t t = 0;
	int i;

	/* 1/3 ms is not a whole number of 2^-32 s: rounding must not add up */
	xw_sched_init(&s, XW_SCHED_PERIODIC, 333333, 0, 5000000000ull);
	for (i = 0; i <= 300000; i++)
		t = xw_sched_next(&s);
	/* 300000 gaps of 333333 ns = 99.9999 s, within 1 ns */
	CHECK_NEAR((double)(t - 5000000000ull), 300000.0 * 333333, 1.0);
}
