// SPDX-License-Identifier: GPL-2.0-only
/*
 * Session statistics and their rendering, against inputs whose answers are
 * worked out by hand in the comments (RFC 4737 section 7 examples for
 * reordering, RFC 5481 figures 3 and 4 for IPDV/PDV under loss).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "stats.h"
#include "t.h"
#include "xwamp/ntp.h"

#define US   1000LL
#define MS   1000000LL
/* a plausible wall-clock time, so nothing relies on small numbers */
#define BASE (1700000000ULL * 1000000000ULL)
#define IVL  (20 * MS) /* send interval */

/* S bit, Scale 32, Multiplier m: exactly m seconds (RFC 4656 4.1.2) */
#define EE(m)	     ((__u16)(XW_ERREST_S | (32 << 8) | (m)))
#define EE_NOSYNC(m) ((__u16)((32 << 8) | (m)))

/* ------------------------------------------------------------ helpers */

static struct xw_stats_session *session_sent(unsigned int n)
{
	struct xw_stats_session *s = xw_stats_new();
	unsigned int i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++)
		if (xw_stats_add_sent(s, i, BASE + (__u64)i * IVL)) {
			xw_stats_free(s);
			return NULL;
		}
	return s;
}

/*
 * A reply for sender seq: forward delay fwd, reflector time proc, backward
 * delay bwd, reflector clock ahead of the sender's by off.
 */
static int reply(struct xw_stats_session *s, __u32 seq, __u32 rseq, long long fwd, long long proc,
		 long long bwd, long long off, __u16 serr, __u16 rerr)
{
	struct xw_stats_reply r = {0};
	__u64 t1 = BASE + (__u64)seq * IVL;

	r.refl_seq = rseq;
	r.t2_ns = t1 + fwd + off;
	r.t3_ns = r.t2_ns + proc;
	r.t4_ns = r.t3_ns - off + bwd;
	r.sender_errest = serr;
	r.refl_errest = rerr;
	r.sender_ttl = 255;
	r.ip_ttl = 64;
	return xw_stats_add_reply(s, seq, &r);
}

/* plain reply: 1 ms out, 50 us in the reflector, 2 ms back, synced clocks */
static int reply_plain(struct xw_stats_session *s, __u32 seq, __u32 rseq)
{
	return reply(s, seq, rseq, 1 * MS, 50 * US, 2 * MS, 0, EE(1), EE(1));
}

static char *capture_buf;
static size_t capture_len;

static FILE *capture_open(void)
{
	free(capture_buf);
	capture_buf = NULL;
	capture_len = 0;
	return open_memstream(&capture_buf, &capture_len);
}

/*
 * A small JSON checker (RFC 8259 grammar, minus \u surrogate checks): skips
 * one value at p and returns the character after it, or NULL when invalid.
 */
static const char *j_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *j_value(const char *p, int depth);

static const char *j_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *j_number(const char *p)
{
	const char *d;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		d = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		d = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return NULL;
	}
	return p;
}

static const char *j_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = j_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		int obj = *p == '{';

		p = j_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = j_string(j_ws(p));
				if (!p)
					return NULL;
				p = j_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = j_value(p, depth + 1);
			if (!p)
				return NULL;
			p = j_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return j_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return j_number(p);
}

/* 1 when s is exactly one valid JSON value (plus whitespace) */
static int j_valid(const char *s)
{
	const char *e = j_value(s, 0);

	return e && !*j_ws(e);
}

/*
 * Value of a dotted path ("rtt_ms.median") in a valid document: a pointer
 * to the value's text, or NULL.  Only objects are walked.
 */
static const char *j_get(const char *doc, const char *path)
{
	const char *p = j_ws(doc);
	char key[64];

	while (*path) {
		const char *dot = strchr(path, '.');
		size_t kl = dot ? (size_t)(dot - path) : strlen(path);
		int found = 0;

		if (*p != '{' || kl + 3 > sizeof(key))
			return NULL;
		key[0] = '"';
		memcpy(key + 1, path, kl);
		key[kl + 1] = '"';
		key[kl + 2] = 0;
		p = j_ws(p + 1);
		while (*p == '"') {
			const char *ke = j_string(p);

			if (!ke)
				return NULL;
			if ((size_t)(ke - p) == kl + 2 && !memcmp(p, key, kl + 2)) {
				p = j_ws(j_ws(ke) + 1);
				found = 1;
				break;
			}
			p = j_value(j_ws(j_ws(ke) + 1), 0);
			if (!p)
				return NULL;
			p = j_ws(p);
			if (*p == ',')
				p = j_ws(p + 1);
		}
		if (!found)
			return NULL;
		path += kl;
		if (*path == '.')
			path++;
	}
	return p;
}

static double j_num(const char *doc, const char *path)
{
	const char *v = j_get(doc, path);

	if (!v || !j_number(v))
		return NAN;
	return strtod(v, NULL);
}

static int j_is_null(const char *doc, const char *path)
{
	const char *v = j_get(doc, path);

	return v && !strncmp(v, "null", 4);
}

/* elements of a top-level array */
static int j_array_len(const char *doc)
{
	const char *p = j_ws(doc);
	int n = 0;

	if (*p++ != '[')
		return -1;
	p = j_ws(p);
	if (*p == ']')
		return 0;
	for (;;) {
		p = j_value(p, 0);
		if (!p)
			return -1;
		n++;
		p = j_ws(p);
		if (*p == ']')
			return n;
		if (*p++ != ',')
			return -1;
	}
}

/* the checker itself must reject what it should */
TEST(json_checker_rejects_bad_documents)
{
	CHECK(j_valid("{\"a\":[1,2.5,-3e2,null,true,false,\"x\\n\"],\"b\":{}}"));
	CHECK(!j_valid("{\"a\":1,}"));
	CHECK(!j_valid("{\"a\":nan}"));
	CHECK(!j_valid("{\"a\":01}"));
	CHECK(!j_valid("[1 2]"));
	CHECK(!j_valid("{\"a\":1}}"));
	CHECK(!j_valid("{\"a\":\"x}"));
	CHECK_NEAR(j_num("{\"x\":{\"a\":1,\"b\":{\"c\":[1,2]},\"d\":4.5}}", "x.d"), 4.5, 1e-12);
	CHECK(j_get("{\"x\":{\"a\":1}}", "x.b") == NULL);
}

/* ----------------------------------------------------- distributions */

TEST(percentiles_by_hand)
{
	/* sorted: 15 20 35 40 50; type 7: h = 4 p / 100 */
	static const double v[] = {40, 15, 50, 20, 35};
	struct xw_stats_opts o = {.npct = 4, .pct = {0, 30, 40, 100}};
	struct xw_dist d;

	CHECK_EQ(xw_dist_compute(v, 5, &o, &d), 0);
	CHECK_EQ(d.n, 5);
	CHECK_NEAR(d.min, 15, 1e-9);
	CHECK_NEAR(d.max, 50, 1e-9);
	CHECK_NEAR(d.mean, 32, 1e-9);	/* 160 / 5 */
	CHECK_NEAR(d.median, 35, 1e-9); /* h = 2 */
	CHECK_NEAR(d.p90, 46, 1e-9);	/* h = 3.6: 40 + 0.6 * 10 */
	CHECK_NEAR(d.p95, 48, 1e-9);	/* h = 3.8: 40 + 0.8 * 10 */
	CHECK_NEAR(d.p99, 49.6, 1e-9);	/* h = 3.96 */
	CHECK_NEAR(d.pct[0], 15, 1e-9);
	CHECK_NEAR(d.pct[1], 23, 1e-9); /* h = 1.2: 20 + 0.2 * 15 */
	CHECK_NEAR(d.pct[2], 29, 1e-9); /* h = 1.6: 20 + 0.6 * 15 */
	CHECK_NEAR(d.pct[3], 50, 1e-9);
	/* population: squares 289 144 9 64 324 = 830, / 5 = 166 */
	CHECK_NEAR(d.stddev, sqrt(166.0), 1e-9);
	/* the input is not reordered in place */
	CHECK(v[0] == 40 && v[1] == 15);
}

TEST(percentiles_even_single_empty_and_bad_opts)
{
	static const double even[] = {4, 1, 3, 2};
	static const double one[] = {7};
	struct xw_stats_opts bad = {.npct = 1, .pct = {100.5}};
	struct xw_stats_opts toomany = {.npct = XW_STATS_MAX_PCT + 1};
	struct xw_dist d;

	CHECK_EQ(xw_dist_compute(even, 4, NULL, &d), 0);
	CHECK_NEAR(d.median, 2.5, 1e-12); /* mean of the middle two */
	CHECK_EQ(xw_dist_compute(one, 1, NULL, &d), 0);
	CHECK(d.min == 7 && d.median == 7 && d.p99 == 7 && d.max == 7 && d.stddev == 0);
	CHECK_EQ(xw_dist_compute(one, 0, NULL, &d), 0);
	CHECK_EQ(d.n, 0);
	CHECK(isnan(d.min) && isnan(d.mean) && isnan(d.median) && isnan(d.p99) && isnan(d.stddev) &&
	      isnan(d.pct[0]));
	CHECK_EQ(xw_dist_compute(one, 1, &bad, &d), -EINVAL);
	CHECK_EQ(xw_dist_compute(one, 1, &toomany, &d), -EINVAL);
	CHECK(isnan(xw_percentile_sorted(one, 1, -1)));
}

/* --------------------------------------------------------- sessions */

TEST(no_loss_fixed_delays)
{
	struct xw_stats_session *s = session_sent(10);
	struct xw_stats_result r;
	unsigned int i;

	CHECK(s);
	for (i = 0; i < 10; i++)
		CHECK_EQ(reply_plain(s, i, i), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.sent, 10);
	CHECK_EQ(r.received, 10);
	CHECK_EQ(r.arrivals, 10);
	CHECK_EQ(r.lost, 0);
	CHECK_EQ(r.duplicates, 0);
	CHECK_EQ(r.reordered, 0);
	CHECK_EQ(r.max_extent, 0);
	CHECK_EQ(r.nreordered[0], 0);
	CHECK_EQ(r.fwd_lost + r.bwd_lost + r.fwd_reordered + r.bwd_reordered, 0);
	CHECK(r.loss_ratio == 0.0 && r.reordered_ratio == 0.0);
	/* rtt = (T4 - T1) - (T3 - T2) = 3.05 ms - 0.05 ms */
	CHECK_EQ(r.rtt.delay.n, 10);
	CHECK_NEAR(r.rtt.delay.min, 3 * MS, 1e-3);
	CHECK_NEAR(r.rtt.delay.max, 3 * MS, 1e-3);
	CHECK_NEAR(r.rtt.delay.median, 3 * MS, 1e-3);
	CHECK_NEAR(r.rtt.delay.stddev, 0, 1e-3);
	CHECK_NEAR(r.fwd.delay.mean, 1 * MS, 1e-3);
	CHECK_NEAR(r.bwd.delay.p99, 2 * MS, 1e-3);
	CHECK_NEAR(r.proc.min, 50 * US, 1e-3);
	CHECK_NEAR(r.proc.max, 50 * US, 1e-3);
	/* 9 consecutive pairs, all 0; 10 PDV samples, all 0 */
	CHECK_EQ(r.rtt.ipdv.n, 9);
	CHECK_NEAR(r.rtt.ipdv.max, 0, 1e-3);
	CHECK_NEAR(r.rtt.ipdv.min, 0, 1e-3);
	CHECK_EQ(r.fwd.pdv.n, 10);
	CHECK_NEAR(r.fwd.pdv.p99, 0, 1e-3);
	CHECK(!r.unsync);
	CHECK_EQ(r.n_unsync, 0);
	/* 1 s + 1 s of Error Estimate on every sample */
	CHECK_NEAR(r.errest_max_ns, 2e9, 1);
	CHECK_NEAR(r.errest_min_ns, 2e9, 1);
	xw_stats_free(s);
}

TEST(rtt_does_not_depend_on_reflector_clock)
{
	/* reflector 5 s ahead: one-way delays are off by +-5 s, rtt is not */
	struct xw_stats_session *s = session_sent(3);
	struct xw_stats_result r;
	unsigned int i;

	CHECK(s);
	for (i = 0; i < 3; i++)
		CHECK_EQ(reply(s, i, i, 1 * MS, 7 * MS, 2 * MS, 5000 * MS, EE(1), EE(1)), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_NEAR(r.rtt.delay.max, 3 * MS, 1e-3);
	CHECK_NEAR(r.proc.mean, 7 * MS, 1e-3);
	CHECK_NEAR(r.fwd.delay.min, 5001 * MS, 1e-3);
	CHECK_NEAR(r.bwd.delay.min, -4998 * MS, 1e-3); /* negative, not wrapped */
	/* a constant offset cancels in IPDV and PDV */
	CHECK_NEAR(r.fwd.ipdv.max, 0, 1e-3);
	CHECK_NEAR(r.bwd.pdv.max, 0, 1e-3);
	xw_stats_free(s);
}

TEST(losses_at_known_positions_and_path_split)
{
	/*
	 * 10 sent.  Seq 2 is lost on the way out: the reflector sees
	 * 0 1 3 4 5 6 7 8 9 and numbers them 0..8.  The replies of seq 5 and 6
	 * (refl 4 and 5) are lost on the way back.  So received 7, lost 3
	 * (30 %), bwd_lost = (8 + 1) - 7 distinct refl seqs = 2, fwd_lost = 1.
	 * IPDV pairs with both ends received: (0,1) (3,4) (7,8) (8,9) = 4.
	 */
	static const __u32 seqs[] = {0, 1, 3, 4, 7, 8, 9};
	static const __u32 rseqs[] = {0, 1, 2, 3, 6, 7, 8};
	struct xw_stats_session *s = session_sent(10);
	struct xw_stats_result r;
	unsigned int i;

	CHECK(s);
	for (i = 0; i < 7; i++)
		CHECK_EQ(reply_plain(s, seqs[i], rseqs[i]), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.sent, 10);
	CHECK_EQ(r.received, 7);
	CHECK_EQ(r.lost, 3);
	CHECK_NEAR(r.loss_ratio, 0.3, 1e-12);
	CHECK_EQ(r.fwd_lost, 1);
	CHECK_EQ(r.bwd_lost, 2);
	CHECK_EQ(r.reordered, 0);
	CHECK_EQ(r.rtt.delay.n, 7);
	CHECK_EQ(r.rtt.ipdv.n, 4);
	CHECK_EQ(r.rtt.pdv.n, 7);
	CHECK(xw_stats_pkt_at(s, 2)->first == XW_STATS_NONE);
	CHECK(xw_stats_pkt_at(s, 3)->first == 2);
	xw_stats_free(s);
}

/*
 * RFC 5481 figure 4 (burst loss) as forward delays, backward and reflector
 * time constant: delays 3 4 U U U U U 5 4 3 ms.
 *   IPDV (pairs by sender seq, both received): 4-3 = 1, 4-5 = -1, 3-4 = -1
 *     -> n 3, min -1, max 1, mean -1/3, median -1; |IPDV| all 1.
 *   PDV = D - 3: 0 1 2 1 0 -> sorted 0 0 1 1 2, mean 0.8, median 1,
 *     p99: h = 3.96 -> 1 + 0.96 * 1 = 1.96.
 * And figure 3 (every other packet lost): delays 3 U 5 U 4 U 3 U 4 U:
 *   IPDV has no sample at all, PDV = 0 2 1 0 1.
 */
TEST(ipdv_pdv_rfc5481_figures)
{
	static const int fig4[10] = {3, 4, 0, 0, 0, 0, 0, 5, 4, 3};
	static const int fig3[10] = {3, 0, 5, 0, 4, 0, 3, 0, 4, 0};
	struct xw_stats_session *s = session_sent(10);
	struct xw_stats_result r;
	unsigned int i, rs = 0;

	CHECK(s);
	for (i = 0; i < 10; i++)
		if (fig4[i])
			CHECK_EQ(reply(s, i, rs++, fig4[i] * MS, 10 * US, 1 * MS, 0, EE(1), EE(1)),
				 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.fwd.ipdv.n, 3);
	CHECK_NEAR(r.fwd.ipdv.min, -1 * MS, 1e-3);
	CHECK_NEAR(r.fwd.ipdv.max, 1 * MS, 1e-3);
	CHECK_NEAR(r.fwd.ipdv.mean, -1.0 / 3 * MS, 1e-3);
	CHECK_NEAR(r.fwd.ipdv.median, -1 * MS, 1e-3);
	CHECK_EQ(r.fwd.ipdv_abs.n, 3);
	CHECK_NEAR(r.fwd.ipdv_abs.min, 1 * MS, 1e-3);
	CHECK_NEAR(r.fwd.ipdv_abs.mean, 1 * MS, 1e-3);
	CHECK_EQ(r.fwd.pdv.n, 5);
	CHECK_NEAR(r.fwd.pdv.min, 0, 1e-3);
	CHECK_NEAR(r.fwd.pdv.mean, 0.8 * MS, 1e-3);
	CHECK_NEAR(r.fwd.pdv.median, 1 * MS, 1e-3);
	CHECK_NEAR(r.fwd.pdv.p99, 1.96 * MS, 1e-3);
	CHECK_NEAR(r.fwd.pdv.max, 2 * MS, 1e-3);
	/* backward constant: no variation; the round trip sees the forward one */
	CHECK_NEAR(r.bwd.ipdv_abs.max, 0, 1e-3);
	CHECK_NEAR(r.rtt.ipdv.min, -1 * MS, 1e-3);
	CHECK_NEAR(r.rtt.pdv.max, 2 * MS, 1e-3);
	xw_stats_free(s);

	s = session_sent(10);
	CHECK(s);
	rs = 0;
	for (i = 0; i < 10; i++)
		if (fig3[i])
			CHECK_EQ(reply(s, i, rs++, fig3[i] * MS, 10 * US, 1 * MS, 0, EE(1), EE(1)),
				 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.fwd.ipdv.n, 0);
	CHECK(isnan(r.fwd.ipdv.max));
	CHECK_EQ(r.fwd.pdv.n, 5);
	CHECK_NEAR(r.fwd.pdv.max, 2 * MS, 1e-3);
	CHECK_NEAR(r.fwd.pdv.mean, 0.8 * MS, 1e-3); /* (0+2+1+0+1)/5 */
	xw_stats_free(s);
}

/*
 * RFC 4737 table 1 delays as forward delays: 68 ms each, packet 4 150 ms,
 * 20 ms apart.  IPDV by source number: 0 0 +82 -82 0 0 0 0 0 (table 1's
 * IPDV column, 9 pairs).
 */
TEST(ipdv_rfc4737_table1)
{
	struct xw_stats_session *s = session_sent(10);
	struct xw_stats_result r;
	unsigned int i;

	CHECK(s);
	for (i = 0; i < 10; i++)
		CHECK_EQ(reply(s, i, i, (i == 3 ? 150 : 68) * MS, 0, 1 * MS, 0, EE(1), EE(1)), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.fwd.ipdv.n, 9);
	CHECK_NEAR(r.fwd.ipdv.max, 82 * MS, 1e-3);
	CHECK_NEAR(r.fwd.ipdv.min, -82 * MS, 1e-3);
	CHECK_NEAR(r.fwd.ipdv.median, 0, 1e-3);
	CHECK_NEAR(r.fwd.ipdv_abs.mean, 164.0 / 9 * MS, 1e-3);
	CHECK_NEAR(r.fwd.pdv.max, 82 * MS, 1e-3);
	xw_stats_free(s);
}

/* Replies arriving in RFC 4737 order (1-based source numbers, as in the RFC). */
static int arrive(struct xw_stats_session *s, const int *order, int n)
{
	int i, err;

	/* reflector sees them in send order: refl seq = sender seq */
	for (i = 0; i < n; i++) {
		err = reply_plain(s, (__u32)(order[i] - 1), (__u32)(order[i] - 1));
		if (err)
			return err;
	}
	return 0;
}

TEST(reordering_rfc4737_examples)
{
	struct xw_stats_session *s;
	struct xw_stats_result r;

	/*
	 * 7.1: s = 1 2 3 5 6 7 8 4 9 10.  Packet 4 arrives with NextExp = 9:
	 * reordered.  i = 8, smallest j with s[j] > 4 is j = 4 (packet 5):
	 * e = 4.  Its 4 predecessors 8 7 6 5 are all > 4, the 5th (3) not:
	 * 4-reordered, so counted for n = 1..4.  Ratio 1/10.
	 */
	static const int t1[] = {1, 2, 3, 5, 6, 7, 8, 4, 9, 10};
	/*
	 * 7.2: s = 1 2 3 4 7 5 6 8 9 10.  5 (i=6) and 6 (i=7) reordered, both
	 * with j = 5 (packet 7): e = 1 and 2, max 2.  5 is 1-reordered (7 > 5
	 * but 4 < 5); 6 is not (5 < 6).
	 */
	static const int t2[] = {1, 2, 3, 4, 7, 5, 6, 8, 9, 10};
	/*
	 * 7.3: s = 1 2 3 7 8 9 10 4 5 6 11.  4, 5, 6 reordered at i = 8, 9, 10,
	 * all with j = 4: e = 4, 5, 6 (the RFC's histogram), max 6.  Packet 4
	 * is 4-reordered; 5 and 6 are not 1-reordered.
	 */
	static const int t3[] = {1, 2, 3, 7, 8, 9, 10, 4, 5, 6, 11};
	/*
	 * 7.4: s = 1 2 3 6 7 4 5 8 9 10 12 13 11 14 15 16.  Reordered 4 (e=2),
	 * 5 (e=3), 11 (e=2): 3, max 3.  4 follows 7 6 (> 4) then 3: 2-reordered;
	 * 5 follows 4: not; 11 follows 13 12 then 10: 2-reordered.
	 */
	static const int t4[] = {1, 2, 3, 6, 7, 4, 5, 8, 9, 10, 12, 13, 11, 14, 15, 16};

	s = session_sent(10);
	CHECK(s);
	CHECK_EQ(arrive(s, t1, 10), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.reordered, 1);
	CHECK_EQ(r.max_extent, 4);
	CHECK_NEAR(r.reordered_ratio, 0.1, 1e-12);
	CHECK_EQ(r.nreordered[0], 1);
	CHECK_EQ(r.nreordered[3], 1);
	CHECK_EQ(r.nreordered[4], 0);
	CHECK_EQ(xw_stats_arrival_at(s, 7)->flags, XW_ARR_REORD);
	CHECK_EQ(xw_stats_arrival_at(s, 7)->extent, 4);
	CHECK_EQ(xw_stats_arrival_at(s, 7)->nreord, 4);
	CHECK_EQ(xw_stats_arrival_at(s, 8)->flags, 0);
	/* the reflector saw them in order: all of it happened on the way back */
	CHECK_EQ(r.fwd_reordered, 0);
	CHECK_EQ(r.bwd_reordered, 1);
	CHECK_EQ(r.lost, 0);
	xw_stats_free(s);

	s = session_sent(10);
	CHECK(s);
	CHECK_EQ(arrive(s, t2, 10), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.reordered, 2);
	CHECK_EQ(r.max_extent, 2);
	CHECK_EQ(xw_stats_arrival_at(s, 5)->extent, 1);
	CHECK_EQ(xw_stats_arrival_at(s, 6)->extent, 2);
	CHECK_EQ(r.nreordered[0], 1);
	CHECK_EQ(r.nreordered[1], 0);
	xw_stats_free(s);

	s = session_sent(11);
	CHECK(s);
	CHECK_EQ(arrive(s, t3, 11), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.reordered, 3);
	CHECK_EQ(r.max_extent, 6);
	CHECK_EQ(xw_stats_arrival_at(s, 7)->extent, 4);
	CHECK_EQ(xw_stats_arrival_at(s, 8)->extent, 5);
	CHECK_EQ(xw_stats_arrival_at(s, 9)->extent, 6);
	CHECK_EQ(r.nreordered[0], 1);
	CHECK_EQ(r.nreordered[3], 1);
	CHECK_EQ(r.nreordered[4], 0);
	CHECK_NEAR(r.reordered_ratio, 3.0 / 11, 1e-12);
	xw_stats_free(s);

	s = session_sent(16);
	CHECK(s);
	CHECK_EQ(arrive(s, t4, 16), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.reordered, 3);
	CHECK_EQ(r.max_extent, 3);
	CHECK_EQ(xw_stats_arrival_at(s, 5)->extent, 2);
	CHECK_EQ(xw_stats_arrival_at(s, 6)->extent, 3);
	CHECK_EQ(xw_stats_arrival_at(s, 12)->extent, 2);
	CHECK_EQ(r.nreordered[0], 2);
	CHECK_EQ(r.nreordered[1], 2);
	CHECK_EQ(r.nreordered[2], 0);
	xw_stats_free(s);
}

TEST(reordering_on_the_forward_path)
{
	/*
	 * The reflector receives 0 2 1 3 and numbers them 0 1 2 3; the replies
	 * come back in the reflector's order.  Forward (sender seqs in refl
	 * order 0 2 1 3): 1 reordered.  Backward (refl seqs 0 1 2 3): none.
	 * Round trip at the sender: 0 2 1 3, 1 reordered with e = 1.
	 */
	struct xw_stats_session *s = session_sent(4);
	struct xw_stats_result r;

	CHECK(s);
	CHECK_EQ(reply_plain(s, 0, 0), 0);
	CHECK_EQ(reply_plain(s, 2, 1), 0);
	CHECK_EQ(reply_plain(s, 1, 2), 0);
	CHECK_EQ(reply_plain(s, 3, 3), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.reordered, 1);
	CHECK_EQ(r.max_extent, 1);
	CHECK_EQ(r.fwd_reordered, 1);
	CHECK_EQ(r.bwd_reordered, 0);
	xw_stats_free(s);
}

TEST(duplicates)
{
	/*
	 * 5 sent.  Seq 1 duplicated on the way out (reflected twice: refl 1
	 * and 2), seq 3 duplicated on the way back (refl 4 twice).  Arrivals
	 * (seq, refl): (0,0) (1,1) (1,2) (2,3) (3,4) (3,4) (4,5): 7 arrivals,
	 * 5 received, 2 duplicates, nothing lost or reordered (RFC 4737 4.1.3:
	 * first copies only).  The duplicates carry a 10 ms larger delay that
	 * must not show in the delay statistics (first copies only).
	 */
	struct xw_stats_session *s = session_sent(5);
	struct xw_stats_result r;

	CHECK(s);
	CHECK_EQ(reply_plain(s, 0, 0), 0);
	CHECK_EQ(reply_plain(s, 1, 1), 0);
	CHECK_EQ(reply(s, 1, 2, 11 * MS, 50 * US, 2 * MS, 0, EE(1), EE(1)), 0);
	CHECK_EQ(reply_plain(s, 2, 3), 0);
	CHECK_EQ(reply_plain(s, 3, 4), 0);
	CHECK_EQ(reply(s, 3, 4, 1 * MS, 50 * US, 12 * MS, 0, EE(1), EE(1)), 0);
	CHECK_EQ(reply_plain(s, 4, 5), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.arrivals, 7);
	CHECK_EQ(r.received, 5);
	CHECK_EQ(r.duplicates, 2);
	CHECK_EQ(r.lost, 0);
	CHECK_EQ(r.reordered, 0);
	CHECK_EQ(r.fwd_reordered + r.bwd_reordered, 0);
	CHECK_EQ(r.bwd_lost, 0);
	CHECK_EQ(r.nreordered[0], 0);
	CHECK_NEAR(r.rtt.delay.max, 3 * MS, 1e-3);
	CHECK_EQ(r.rtt.delay.n, 5);
	CHECK_EQ(xw_stats_arrival_at(s, 2)->flags, XW_ARR_DUP);
	CHECK_EQ(xw_stats_arrival_at(s, 5)->flags, XW_ARR_DUP);
	CHECK_EQ(xw_stats_pkt_at(s, 1)->nreplies, 2);
	CHECK_EQ(xw_stats_arrival_at(s, 1)->next, 2);
	CHECK_EQ(xw_stats_arrival_at(s, 2)->next, XW_STATS_NONE);
	xw_stats_free(s);
}

TEST(duplicates_chained_in_arrival_order)
{
	/*
	 * One packet copied a million times by the path (a looping or
	 * replaying network, or a generator replaying one frame): the copies
	 * stay chained in arrival order and are added in linear time (a walk
	 * of the chain per copy would take hours: the test runner's timeout).
	 */
	enum { COPIES = 1000000 };
	struct xw_stats_session *s = session_sent(3);
	struct xw_stats_result r;
	__u32 j, n = 0;
	int i;

	CHECK(s);
	CHECK_EQ(reply_plain(s, 1, 0), 0);
	CHECK_EQ(reply_plain(s, 0, 1), 0);
	for (i = 0; i < COPIES; i++)
		CHECK_EQ(reply_plain(s, 1, 2 + (__u32)i), 0);
	CHECK_EQ(reply_plain(s, 0, 2 + COPIES), 0);
	CHECK_EQ(xw_stats_pkt_at(s, 1)->nreplies, COPIES + 1);
	for (j = xw_stats_pkt_at(s, 1)->first; j != XW_STATS_NONE;
	     j = xw_stats_arrival_at(s, j)->next) {
		CHECK_EQ(xw_stats_arrival_at(s, j)->pkt, 1);
		/* arrival 0, then 2, 3, ... in order */
		CHECK_EQ(j, n ? n + 1 : 0);
		n++;
	}
	CHECK_EQ(n, COPIES + 1);
	CHECK_EQ(xw_stats_arrival_at(s, 1)->next, COPIES + 2);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.received, 2);
	CHECK_EQ(r.duplicates, COPIES + 1);
	CHECK_EQ(r.lost, 1);
	xw_stats_free(s);
}

TEST(stray_and_bad_sequence)
{
	struct xw_stats_session *s = session_sent(3);
	struct xw_stats_result r;

	CHECK(s);
	CHECK_EQ(xw_stats_add_sent(s, 2, BASE), -EINVAL); /* not increasing */
	CHECK_EQ(reply_plain(s, 99, 0), -ENOENT);
	CHECK_EQ(reply_plain(s, 1, 0), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.stray, 1);
	CHECK_EQ(r.arrivals, 1);
	CHECK_EQ(r.sent, 3);
	xw_stats_free(s);

	/* gaps in the sender's numbering are allowed and looked up right */
	s = xw_stats_new();
	CHECK(s);
	CHECK_EQ(xw_stats_add_sent(s, 10, BASE), 0);
	CHECK_EQ(xw_stats_add_sent(s, 20, BASE + IVL), 0);
	CHECK_EQ(xw_stats_add_sent(s, 25, BASE + 2 * IVL), 0);
	{
		struct xw_stats_reply rp = {.t2_ns = BASE + 2 * IVL + MS,
					    .t3_ns = BASE + 2 * IVL + MS,
					    .t4_ns = BASE + 2 * IVL + 2 * MS,
					    .ip_ttl = XW_STATS_TTL_UNKNOWN};

		CHECK_EQ(xw_stats_add_reply(s, 25, &rp), 0);
		CHECK_EQ(xw_stats_add_reply(s, 15, &rp), -ENOENT);
	}
	CHECK_EQ(xw_stats_arrival_at(s, 0)->pkt, 2);
	xw_stats_free(s);
}

TEST(unsynchronized_flags_and_error_bound)
{
	/*
	 * Packet 0: both S, 1 s + 2 s.  Packet 1: reflector without S, 1 s +
	 * 1 s.  Packet 2 lost.  unsync, n_unsync 1, bound max 3 s min 2 s.
	 */
	struct xw_stats_session *s = session_sent(3);
	struct xw_stats_result r;
	FILE *f;

	CHECK(s);
	CHECK_EQ(reply(s, 0, 0, 1 * MS, 0, 1 * MS, 0, EE(1), EE(2)), 0);
	CHECK_EQ(reply(s, 1, 1, 1 * MS, 0, 1 * MS, 0, EE(1), EE_NOSYNC(1)), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK(r.unsync);
	CHECK_EQ(r.n_unsync, 1);
	CHECK_NEAR(r.errest_max_ns, 3e9, 1);
	CHECK_NEAR(r.errest_min_ns, 2e9, 1);
	/* the numbers are still there */
	CHECK_EQ(r.fwd.delay.n, 2);
	CHECK(xw_stats_arr_synced(xw_stats_arrival_at(s, 0)));
	CHECK(!xw_stats_arr_synced(xw_stats_arrival_at(s, 1)));

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_text(f, NULL, &r, NULL), 0);
	fclose(f);
	CHECK(strstr(capture_buf, "\nforward       min/median/mean/max/p99 = 1.000/") != NULL);
	/* marked on one-way delay lines, not on the round trip */
	CHECK(strstr(strstr(capture_buf, "\nforward "), "(unsync)\n") != NULL);
	CHECK(strstr(strstr(capture_buf, "\nbackward "), "(unsync)\n") != NULL);
	CHECK(strstr(capture_buf, "\nround trip") &&
	      strchr(strstr(capture_buf, "\nround trip") + 1, '\n') <
		      strstr(capture_buf, "(unsync)"));

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_json(f, NULL, &r, NULL), 0);
	fclose(f);
	CHECK(j_valid(capture_buf));
	CHECK(!strncmp(j_get(capture_buf, "clock.unsync"), "true", 4));
	CHECK_NEAR(j_num(capture_buf, "clock.n_unsync"), 1, 0);
	CHECK_NEAR(j_num(capture_buf, "clock.errest_max_ms"), 3000, 1e-6);

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_packets_text(f, s), 0);
	fclose(f);
	CHECK(strstr(capture_buf, "seq=1 rseq=1 rtt=2.000 fwd=1.000 bwd=1.000 refl=0.000 ms "
				  "sttl=255 ttl=64 (unsync)\n") != NULL);
	CHECK(strstr(capture_buf, "seq=2 lost\n") != NULL);
	xw_stats_free(s);
}

TEST(empty_session_reports_full_loss_and_null_delays)
{
	struct xw_stats_session *s = session_sent(3);
	struct xw_report_meta m = {"TWAMP", "unauthenticated", "192.0.2.1:40000", "192.0.2.2:862"};
	struct xw_stats_result r;
	FILE *f;

	CHECK(s);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.received, 0);
	CHECK_EQ(r.lost, 3);
	CHECK_EQ(r.fwd_lost, 3);
	CHECK_EQ(r.bwd_lost, 0);
	CHECK_NEAR(r.loss_ratio, 1.0, 0);
	CHECK(isnan(r.reordered_ratio));
	CHECK_EQ(r.rtt.delay.n, 0);
	CHECK(isnan(r.rtt.delay.min) && isnan(r.fwd.pdv.p99) && isnan(r.proc.mean));
	CHECK(isnan(r.errest_max_ns));

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_text(f, &m, &r, NULL), 0);
	fclose(f);
	CHECK(!strncmp(
		capture_buf,
		"--- TWAMP 192.0.2.1:40000 -> 192.0.2.2:862 (unauthenticated) ---\n"
		"3 sent, 0 received, 3 lost (100.00%), 0 duplicates, 0 reordered\n",
		strlen("--- TWAMP 192.0.2.1:40000 -> 192.0.2.2:862 (unauthenticated) ---\n"
		       "3 sent, 0 received, 3 lost (100.00%), 0 duplicates, 0 reordered\n")));
	CHECK(strstr(capture_buf, "\nround trip    no samples\n") != NULL);
	CHECK(strstr(capture_buf, "nan") == NULL);

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_json(f, &m, &r, NULL), 0);
	fclose(f);
	CHECK(j_valid(capture_buf));
	CHECK_NEAR(j_num(capture_buf, "packets.loss_pct"), 100, 1e-9);
	CHECK(j_is_null(capture_buf, "packets.reordered_pct"));
	CHECK(j_is_null(capture_buf, "packets.max_reorder_extent"));
	CHECK(j_is_null(capture_buf, "rtt_ms.min"));
	CHECK(j_is_null(capture_buf, "rtt_ms.median"));
	CHECK(j_is_null(capture_buf, "pdv_fwd_ms.p99"));
	CHECK(j_is_null(capture_buf, "clock.errest_max_ms"));
	CHECK_NEAR(j_num(capture_buf, "rtt_ms.n"), 0, 0);
	CHECK(!strncmp(j_get(capture_buf, "session.reflector"), "\"192.0.2.2:862\"", 15));

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_packets_json(f, s), 0);
	fclose(f);
	CHECK(j_valid(capture_buf));
	CHECK_EQ(j_array_len(capture_buf), 3);
	xw_stats_free(s);

	/* nothing sent at all: ratios undefined, still valid output */
	s = xw_stats_new();
	CHECK(s);
	CHECK_EQ(xw_stats_compute(s, NULL, &r), 0);
	CHECK_EQ(r.sent, 0);
	CHECK(isnan(r.loss_ratio));
	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_json(f, NULL, &r, NULL), 0);
	fclose(f);
	CHECK(j_valid(capture_buf));
	CHECK(j_is_null(capture_buf, "packets.loss_pct"));
	CHECK(j_is_null(capture_buf, "session.mode"));
	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_packets_json(f, s), 0);
	fclose(f);
	CHECK_EQ(j_array_len(capture_buf), 0);
	xw_stats_free(s);
}

TEST(report_text_and_json_numbers)
{
	/*
	 * 10 sent, seq 2 lost (forward: the reflector numbers 9 packets 0..8),
	 * arrivals 0 1 4 3 5 6 7 8 9 with 3 reordered (e = 1) on the way back, seq 5
	 * duplicated on the way back.  Forward delay 1 ms except seq 9:
	 * 1.5 ms; reflector 50 us; backward 2 ms.
	 *   rtt: nine samples, 8 x 3.0 and one 3.5 -> min 3, median 3,
	 *   mean 27.5/9 = 3.0556, max 3.5, p99: h = 7.92, 3 + 0.92 * 0.5 = 3.46.
	 *   Extra percentile 99.9: h = 7.992 -> 3.496.
	 */
	static const __u32 order[] = {0, 1, 4, 3, 5, 5, 6, 7, 8, 9};
	static const __u32 rseq[] = {0, 1, 3, 2, 4, 4, 5, 6, 7, 8};
	struct xw_stats_opts o = {.npct = 1, .pct = {99.9}};
	struct xw_report_meta m = {"TWAMP", "encrypted", "[2001:db8::1]:40000",
				   "[2001:db8::2]:862"};
	struct xw_stats_session *s = session_sent(10);
	struct xw_stats_result r;
	unsigned int i;
	FILE *f;

	CHECK(s);
	for (i = 0; i < 10; i++)
		CHECK_EQ(reply(s, order[i], rseq[i], order[i] == 9 ? 1500 * US : 1 * MS, 50 * US,
			       2 * MS, 0, EE(1), EE(1)),
			 0);
	CHECK_EQ(xw_stats_compute(s, &o, &r), 0);
	CHECK_EQ(r.received, 9);
	CHECK_EQ(r.lost, 1);
	CHECK_EQ(r.duplicates, 1);
	CHECK_EQ(r.reordered, 1);
	CHECK_EQ(r.fwd_lost, 1);
	CHECK_EQ(r.bwd_lost, 0);
	/* the reflector got 0 1 3 4 ... in order (refl 0 1 2 3 ...); refl 3 came back before 2 */
	CHECK_EQ(r.fwd_reordered, 0);
	CHECK_EQ(r.bwd_reordered, 1);
	CHECK_NEAR(r.rtt.delay.p99, 3.46 * MS, 1e-3);
	CHECK_NEAR(r.rtt.delay.pct[0], 3.496 * MS, 1e-3);

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_text(f, &m, &r, &o), 0);
	fclose(f);
	CHECK(strstr(capture_buf,
		     "--- TWAMP [2001:db8::1]:40000 -> [2001:db8::2]:862 "
		     "(encrypted) ---\n"
		     "10 sent, 9 received, 1 lost (10.00%), 1 duplicate, 1 reordered\n") ==
	      capture_buf);
	CHECK(strstr(capture_buf, "\nround trip    min/median/mean/max/p99 = "
				  "3.000/3.000/3.056/3.500/3.460 ms, stddev 0.157, p99.9 3.496 ms "
				  "(n=9)\n") != NULL);
	CHECK(strstr(capture_buf, "\nreflector     min/median/mean/max/p99 = "
				  "0.050/0.050/0.050/0.050/0.050 ms") != NULL);
	CHECK(strstr(capture_buf, "\nloss          forward 1, backward 0\n") != NULL);
	CHECK(strstr(capture_buf, "\nreordering    11.11%, max extent 1, forward 0, backward 1, "
				  "n-reordered 1:1\n") != NULL);
	CHECK(strstr(capture_buf, "\nIPDV rtt ") != NULL);
	CHECK(strstr(capture_buf, "\nPDV bwd ") != NULL);
	CHECK(strstr(capture_buf, "unsync") == NULL);

	f = capture_open();
	CHECK(f);
	CHECK_EQ(fputs("{\"client\":\"xwping\",", f) >= 0, 1);
	CHECK_EQ(xw_report_json_members(f, &m, &r, &o), 0);
	fputs("}", f);
	fclose(f);
	CHECK(j_valid(capture_buf));
	CHECK(!strncmp(j_get(capture_buf, "client"), "\"xwping\"", 8));
	CHECK_NEAR(j_num(capture_buf, "packets.sent"), 10, 0);
	CHECK_NEAR(j_num(capture_buf, "packets.received"), 9, 0);
	CHECK_NEAR(j_num(capture_buf, "packets.lost"), 1, 0);
	CHECK_NEAR(j_num(capture_buf, "packets.loss_pct"), 10, 1e-4);
	CHECK_NEAR(j_num(capture_buf, "packets.duplicates"), 1, 0);
	CHECK_NEAR(j_num(capture_buf, "packets.reordered"), 1, 0);
	CHECK_NEAR(j_num(capture_buf, "packets.max_reorder_extent"), 1, 0);
	CHECK_NEAR(j_num(capture_buf, "packets.fwd_lost"), 1, 0);
	CHECK_NEAR(j_num(capture_buf, "rtt_ms.min"), 3.0, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "rtt_ms.median"), 3.0, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "rtt_ms.mean"), 27.5 / 9, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "rtt_ms.max"), 3.5, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "rtt_ms.p99"), 3.46, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "rtt_ms.p99_9"), 3.496, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "fwd_ms.max"), 1.5, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "bwd_ms.max"), 2.0, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "reflector_ms.mean"), 0.05, 1e-6);
	/* pairs (0,1) (3,4) (4,5) (5,6) (6,7) (7,8) (8,9): the last one +0.5 */
	CHECK_NEAR(j_num(capture_buf, "ipdv_rtt_ms.n"), 7, 0);
	CHECK_NEAR(j_num(capture_buf, "ipdv_fwd_ms.max"), 0.5, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "ipdv_abs_fwd_ms.mean"), 0.5 / 7, 1e-6);
	CHECK_NEAR(j_num(capture_buf, "pdv_rtt_ms.max"), 0.5, 1e-6);
	CHECK(!strncmp(j_get(capture_buf, "clock.unsync"), "false", 5));
	CHECK(!strncmp(j_get(capture_buf, "session.mode"), "\"encrypted\"", 11));

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_packets_json(f, s), 0);
	fclose(f);
	CHECK(j_valid(capture_buf));
	/* 9 received + 1 duplicate + 1 lost */
	CHECK_EQ(j_array_len(capture_buf), 11);
	CHECK(strstr(capture_buf, "{\"seq\":2,\"t1_ns\":1700000000040000000,\"lost\":true}") !=
	      NULL);
	CHECK(strstr(capture_buf, "\"seq\":3,") &&
	      strstr(strstr(capture_buf, "\"seq\":3,"), "\"reordered\":true,\"extent\":1,"));

	f = capture_open();
	CHECK(f);
	CHECK_EQ(xw_report_packets_text(f, s), 0);
	fclose(f);
	/* by sender seq: 0 1 (2 lost) 3 4 5 5 6 7 8 9 */
	CHECK(strstr(capture_buf, "seq=1 rseq=1 ") && strstr(capture_buf, "seq=2 lost\nseq=3 "));
	CHECK(strstr(capture_buf, "seq=3 rseq=2 rtt=3.000 fwd=1.000 bwd=2.000 refl=0.050 ms "
				  "sttl=255 ttl=64 reordered extent=1\n") != NULL);
	CHECK(strstr(capture_buf, "seq=5 rseq=4 rtt=3.000 fwd=1.000 bwd=2.000 refl=0.050 ms "
				  "sttl=255 ttl=64\nseq=5 rseq=4 rtt=3.000 fwd=1.000 bwd=2.000 "
				  "refl=0.050 ms sttl=255 ttl=64 dup\n") != NULL);
	xw_stats_free(s);
	free(capture_buf);
	capture_buf = NULL;
}
