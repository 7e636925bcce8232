// SPDX-License-Identifier: GPL-2.0-only
/*
 * Session statistics: recording (on-line reordering metrics) and the
 * summary computation.  See stats.h for the definitions and their RFCs.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "stats.h"
#include "xwamp/ntp.h"

/* A point where the running maximum of first-copy arrivals grew. */
struct xw_brk {
	__u32 pos;    /* position among first-copy arrivals (0-based) */
	__u32 maxpkt; /* the new maximum (sent packet index) */
};

struct xw_stats_session {
	struct xw_stats_pkt *pkts;
	size_t npkts, cap_pkts;
	struct xw_stats_arrival *arr;
	size_t narr, cap_arr;
	/*
	 * RFC 4737 3.3 NextExp, over sent packet indexes rather than raw seqs:
	 * the mapping is strictly increasing, so the verdicts are the same and
	 * gaps in the sender's numbering do not matter.
	 */
	__u32 next_exp;
	__u32 nuniq; /* first-copy arrivals so far: the RFC 4737 4.2 index i (0-based) */
	/*
	 * In-order first copies are exactly the new running maxima, so this
	 * list is sorted by both pos and maxpkt: the RFC 4737 4.2 "smallest j
	 * with s[j] > s[i]" is the first breakpoint with maxpkt > s[i].
	 */
	struct xw_brk *brk;
	size_t nbrk, cap_brk;
	__u64 nstray;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem)
		return -ENOMEM;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

struct xw_stats_session *xw_stats_new(void)
{
	return calloc(1, sizeof(struct xw_stats_session));
}

void xw_stats_free(struct xw_stats_session *s)
{
	if (!s)
		return;
	free(s->pkts);
	free(s->arr);
	free(s->brk);
	free(s);
}

int xw_stats_add_sent(struct xw_stats_session *s, __u32 seq, __u64 t1_ns)
{
	struct xw_stats_pkt *p;
	int err;

	if (s->npkts && seq <= s->pkts[s->npkts - 1].seq)
		return -EINVAL;
	if (s->npkts >= XW_STATS_NONE)
		return -ENOMEM;
	err = grow((void **)&s->pkts, &s->cap_pkts, s->npkts + 1, sizeof(*s->pkts));
	if (err)
		return err;
	p = &s->pkts[s->npkts++];
	p->seq = seq;
	p->t1_ns = t1_ns;
	p->first = XW_STATS_NONE;
	p->last = XW_STATS_NONE;
	p->nreplies = 0;
	return 0;
}

/* Sent packet index of seq (binary search: seqs strictly increase), or -1. */
static long find_pkt(const struct xw_stats_session *s, __u32 seq)
{
	size_t lo = 0, hi = s->npkts;

	/* the common case: seqs 0, 1, 2, ... without gaps */
	if (s->npkts && seq >= s->pkts[0].seq) {
		size_t guess = seq - s->pkts[0].seq;

		if (guess < s->npkts && s->pkts[guess].seq == seq)
			return (long)guess;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->pkts[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->npkts && s->pkts[lo].seq == seq)
		return (long)lo;
	return -1;
}

int xw_stats_add_reply(struct xw_stats_session *s, __u32 seq, const struct xw_stats_reply *r)
{
	struct xw_stats_arrival *a;
	struct xw_stats_pkt *p;
	__u32 idx, k;
	long pi;
	int err;

	pi = find_pkt(s, seq);
	if (pi < 0) {
		s->nstray++;
		return -ENOENT;
	}
	idx = (__u32)pi;
	if (s->narr >= XW_STATS_NONE)
		return -ENOMEM;
	err = grow((void **)&s->arr, &s->cap_arr, s->narr + 1, sizeof(*s->arr));
	if (err)
		return err;
	err = grow((void **)&s->brk, &s->cap_brk, s->nbrk + 1, sizeof(*s->brk));
	if (err)
		return err;

	p = &s->pkts[idx];
	a = &s->arr[s->narr];
	memset(a, 0, sizeof(*a));
	a->pkt = idx;
	a->next = XW_STATS_NONE;
	a->r = *r;

	/*
	 * RFC 4737 5.3 Definition 1: arrival i is n-reordered when the n
	 * arrivals before it all carry larger sequence numbers.  Duplicates
	 * are part of that sample (5.2: l may exceed k).
	 */
	for (k = 0; k < XW_STATS_NREORD_MAX && k < s->narr; k++)
		if (s->arr[s->narr - 1 - k].pkt <= idx)
			break;
	a->nreord = k;

	if (p->nreplies) {
		/*
		 * RFC 4737 4.1.3: only the first copy is judged for reordering.
		 * The copies are chained in arrival order from the packet's
		 * latest one: a path that duplicates one packet a million times
		 * costs a million steps, not a walk of the chain for each.
		 */
		a->flags |= XW_ARR_DUP;
		s->arr[p->last].next = (__u32)s->narr;
	} else {
		p->first = (__u32)s->narr;
		if (idx >= s->next_exp) {
			/* RFC 4737 3.3: in order, NextExp = s + 1 */
			s->next_exp = idx + 1;
			s->brk[s->nbrk].pos = s->nuniq;
			s->brk[s->nbrk].maxpkt = idx;
			s->nbrk++;
		} else {
			/* s < NextExp: reordered; RFC 4737 4.2.3 extent i - j */
			size_t lo = 0, hi = s->nbrk;

			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (s->brk[mid].maxpkt <= idx)
					lo = mid + 1;
				else
					hi = mid;
			}
			/* lo < nbrk: NextExp > idx means some earlier maximum > idx */
			a->flags |= XW_ARR_REORD;
			a->extent = s->nuniq - s->brk[lo].pos;
		}
		s->nuniq++;
	}
	p->last = (__u32)s->narr;
	p->nreplies++;
	s->narr++;
	return 0;
}

size_t xw_stats_npkts(const struct xw_stats_session *s)
{
	return s->npkts;
}

const struct xw_stats_pkt *xw_stats_pkt_at(const struct xw_stats_session *s, size_t i)
{
	return i < s->npkts ? &s->pkts[i] : NULL;
}

size_t xw_stats_narrivals(const struct xw_stats_session *s)
{
	return s->narr;
}

const struct xw_stats_arrival *xw_stats_arrival_at(const struct xw_stats_session *s, size_t i)
{
	return i < s->narr ? &s->arr[i] : NULL;
}

__u64 xw_stats_nstray(const struct xw_stats_session *s)
{
	return s->nstray;
}

/* Differences of 64-bit unsigned times taken modulo 2^64, then signed. */
static __s64 tdiff(__u64 later, __u64 earlier)
{
	return (__s64)(later - earlier);
}

__s64 xw_stats_arr_rtt(const struct xw_stats_session *s, const struct xw_stats_arrival *a)
{
	/*
	 * RFC 5357 4.2.1: the reflector's own time T3 - T2 is not path delay.
	 * T2 and T3 are the reflector's word: the whole difference is taken
	 * modulo 2^64 (a signed subtraction of the two parts overflows, which
	 * is undefined, for a T3 - T2 near 2^63).
	 */
	return tdiff(a->r.t4_ns - s->pkts[a->pkt].t1_ns, a->r.t3_ns - a->r.t2_ns);
}

__s64 xw_stats_arr_fwd(const struct xw_stats_session *s, const struct xw_stats_arrival *a)
{
	return tdiff(a->r.t2_ns, s->pkts[a->pkt].t1_ns);
}

__s64 xw_stats_arr_bwd(const struct xw_stats_session *s, const struct xw_stats_arrival *a)
{
	return tdiff(a->r.t4_ns, a->r.t3_ns);
}

int xw_stats_arr_synced(const struct xw_stats_arrival *a)
{
	return xw_errest_synced(a->r.sender_errest) && xw_errest_synced(a->r.refl_errest);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double xw_percentile_sorted(const double *sorted, size_t n, double p)
{
	double h, lo;
	size_t i;

	if (!n || !(p >= 0.0 && p <= 100.0))
		return NAN;
	/* Hyndman-Fan type 7: h = (n - 1) p, linear between the two ranks */
	h = (double)(n - 1) * p / 100.0;
	lo = floor(h);
	i = (size_t)lo;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + (h - lo) * (sorted[i + 1] - sorted[i]);
}

static void dist_empty(struct xw_dist *d)
{
	size_t i;

	d->n = 0;
	d->min = d->max = d->mean = d->stddev = NAN;
	d->median = d->p90 = d->p95 = d->p99 = NAN;
	for (i = 0; i < XW_STATS_MAX_PCT; i++)
		d->pct[i] = NAN;
}

static int opts_valid(const struct xw_stats_opts *o)
{
	unsigned int i;

	if (!o)
		return 1;
	if (o->npct > XW_STATS_MAX_PCT)
		return 0;
	for (i = 0; i < o->npct; i++)
		if (!(o->pct[i] >= 0.0 && o->pct[i] <= 100.0))
			return 0;
	return 1;
}

int xw_dist_compute(const double *v, size_t n, const struct xw_stats_opts *opts, struct xw_dist *d)
{
	double *x, sum = 0.0, ss = 0.0;
	unsigned int k;
	size_t i;

	dist_empty(d);
	if (!opts_valid(opts))
		return -EINVAL;
	if (!n)
		return 0;
	x = malloc(n * sizeof(*x));
	if (!x)
		return -ENOMEM;
	memcpy(x, v, n * sizeof(*x));
	qsort(x, n, sizeof(*x), cmp_double);

	for (i = 0; i < n; i++)
		sum += x[i];
	d->mean = sum / (double)n;
	/* two passes: the one-pass sum of squares loses precision on ns values */
	for (i = 0; i < n; i++)
		ss += (x[i] - d->mean) * (x[i] - d->mean);
	d->stddev = sqrt(ss / (double)n);
	d->n = n;
	d->min = x[0];
	d->max = x[n - 1];
	d->median = xw_percentile_sorted(x, n, 50.0);
	d->p90 = xw_percentile_sorted(x, n, 90.0);
	d->p95 = xw_percentile_sorted(x, n, 95.0);
	d->p99 = xw_percentile_sorted(x, n, 99.0);
	for (k = 0; opts && k < opts->npct; k++)
		d->pct[k] = xw_percentile_sorted(x, n, opts->pct[k]);
	free(x);
	return 0;
}

/*
 * Delay, IPDV and PDV of one direction.  d[i] is the delay of sent packet i,
 * valid when ok[i].  IPDV pairs are consecutive sent packets (RFC 5481 4.1,
 * RFC 3393's "consecutive" selection function) where both arrived.
 */
static int delay_compute(const double *d, const unsigned char *ok, size_t npkts,
			 const struct xw_stats_opts *opts, double *tmp, struct xw_stats_delay *out)
{
	size_t i, n = 0;
	double mn;
	int err;

	for (i = 0; i < npkts; i++)
		if (ok[i])
			tmp[n++] = d[i];
	err = xw_dist_compute(tmp, n, opts, &out->delay);
	if (err)
		return err;

	/* PDV: RFC 5481 4.2, D(i) - D(min) */
	mn = out->delay.min;
	for (i = 0; i < n; i++)
		tmp[i] -= mn;
	err = xw_dist_compute(tmp, n, opts, &out->pdv);
	if (err)
		return err;

	n = 0;
	for (i = 1; i < npkts; i++)
		if (ok[i] && ok[i - 1])
			tmp[n++] = d[i] - d[i - 1];
	err = xw_dist_compute(tmp, n, opts, &out->ipdv);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		tmp[i] = fabs(tmp[i]);
	return xw_dist_compute(tmp, n, opts, &out->ipdv_abs);
}

struct xw_rseq {
	__u32 refl_seq;
	__u32 arr; /* arrival index */
};

static int cmp_rseq(const void *a, const void *b)
{
	const struct xw_rseq *x = a, *y = b;

	if (x->refl_seq != y->refl_seq)
		return x->refl_seq < y->refl_seq ? -1 : 1;
	return (x->arr > y->arr) - (x->arr < y->arr);
}

/*
 * Split reordering and loss into forward and backward path with the
 * reflector sequence numbers (see stats.h).  Works on all arrivals: a
 * duplicate made on the forward path has its own refl_seq, one made on the
 * backward path repeats one.
 */
static int path_split(const struct xw_stats_session *s, struct xw_stats_result *res)
{
	struct xw_rseq *rs;
	unsigned char *first_rs, *seen_pkt;
	__u64 next_exp = 0, uniq = 0, reflected;
	size_t i;

	res->fwd_reordered = res->bwd_reordered = 0;
	res->bwd_lost = 0;
	res->fwd_lost = res->lost;
	if (!s->narr)
		return 0;
	rs = malloc(s->narr * sizeof(*rs));
	first_rs = calloc(s->narr, 1);
	seen_pkt = calloc(s->npkts, 1);
	if (!rs || !first_rs || !seen_pkt) {
		free(rs);
		free(first_rs);
		free(seen_pkt);
		return -ENOMEM;
	}
	for (i = 0; i < s->narr; i++) {
		rs[i].refl_seq = s->arr[i].r.refl_seq;
		rs[i].arr = (__u32)i;
	}
	qsort(rs, s->narr, sizeof(*rs), cmp_rseq);

	/* Forward: the reflector's receive order is refl_seq order. */
	for (i = 0; i < s->narr; i++) {
		__u32 pkt = s->arr[rs[i].arr].pkt;

		if (i && rs[i].refl_seq == rs[i - 1].refl_seq)
			continue; /* backward duplicate of the previous entry */
		first_rs[rs[i].arr] = 1;
		uniq++;
		if (seen_pkt[pkt])
			continue; /* forward duplicate: first copy only (RFC 4737 4.1.3) */
		seen_pkt[pkt] = 1;
		if (pkt >= next_exp)
			next_exp = (__u64)pkt + 1;
		else
			res->fwd_reordered++;
	}

	/* Backward: the sender's arrival order of the reflector's numbers. */
	next_exp = 0;
	for (i = 0; i < s->narr; i++) {
		__u64 r = s->arr[i].r.refl_seq;

		if (!first_rs[i])
			continue;
		if (r >= next_exp)
			next_exp = r + 1;
		else
			res->bwd_reordered++;
	}

	/* RFC 5357 4.2.1: the reflector's numbering starts at zero */
	reflected = (__u64)rs[s->narr - 1].refl_seq + 1;
	res->bwd_lost = reflected - uniq;
	if (res->bwd_lost > res->lost)
		res->bwd_lost = res->lost;
	res->fwd_lost = res->lost - res->bwd_lost;

	free(rs);
	free(first_rs);
	free(seen_pkt);
	return 0;
}

int xw_stats_compute(const struct xw_stats_session *s, const struct xw_stats_opts *opts,
		     struct xw_stats_result *res)
{
	double *rtt = NULL, *fwd = NULL, *bwd = NULL, *tmp = NULL;
	unsigned char *ok = NULL;
	size_t i, n = s->npkts, nproc = 0;
	int err = -ENOMEM;

	memset(res, 0, sizeof(*res));
	dist_empty(&res->proc);
	dist_empty(&res->rtt.delay);
	res->rtt.ipdv = res->rtt.ipdv_abs = res->rtt.pdv = res->rtt.delay;
	res->fwd = res->bwd = res->rtt;
	res->errest_max_ns = res->errest_min_ns = NAN;
	if (!opts_valid(opts))
		return -EINVAL;

	res->sent = s->npkts;
	res->arrivals = s->narr;
	res->stray = s->nstray;
	for (i = 0; i < s->narr; i++) {
		const struct xw_stats_arrival *a = &s->arr[i];
		__u32 k;

		if (!(a->flags & XW_ARR_DUP))
			res->received++;
		if (a->flags & XW_ARR_REORD) {
			res->reordered++;
			if (a->extent > res->max_extent)
				res->max_extent = a->extent;
		}
		for (k = 0; k < a->nreord; k++)
			res->nreordered[k]++;
	}
	res->lost = res->sent - res->received;
	res->duplicates = res->arrivals - res->received;
	res->loss_ratio = res->sent ? (double)res->lost / (double)res->sent : NAN;
	res->reordered_ratio = res->received ? (double)res->reordered / (double)res->received : NAN;

	err = path_split(s, res);
	if (err)
		return err;
	if (!n)
		return 0;

	err = -ENOMEM;
	rtt = malloc(n * sizeof(double));
	fwd = malloc(n * sizeof(double));
	bwd = malloc(n * sizeof(double));
	tmp = malloc(n * sizeof(double));
	ok = calloc(n, 1);
	if (!rtt || !fwd || !bwd || !tmp || !ok)
		goto out;

	for (i = 0; i < n; i++) {
		const struct xw_stats_arrival *a;
		double e;

		if (s->pkts[i].first == XW_STATS_NONE)
			continue;
		a = &s->arr[s->pkts[i].first];
		ok[i] = 1;
		rtt[i] = (double)xw_stats_arr_rtt(s, a);
		fwd[i] = (double)xw_stats_arr_fwd(s, a);
		bwd[i] = (double)xw_stats_arr_bwd(s, a);
		tmp[nproc++] = (double)tdiff(a->r.t3_ns, a->r.t2_ns);
		if (!xw_stats_arr_synced(a)) {
			res->unsync = 1;
			res->n_unsync++;
		}
		/* RFC 4656 4.1.2: each clock contributes its own error bound */
		e = (double)xw_errest_to_ns(a->r.sender_errest) +
		    (double)xw_errest_to_ns(a->r.refl_errest);
		if (isnan(res->errest_max_ns) || e > res->errest_max_ns)
			res->errest_max_ns = e;
		if (isnan(res->errest_min_ns) || e < res->errest_min_ns)
			res->errest_min_ns = e;
	}
	err = xw_dist_compute(tmp, nproc, opts, &res->proc);
	if (!err)
		err = delay_compute(rtt, ok, n, opts, tmp, &res->rtt);
	if (!err)
		err = delay_compute(fwd, ok, n, opts, tmp, &res->fwd);
	if (!err)
		err = delay_compute(bwd, ok, n, opts, tmp, &res->bwd);
out:
	free(rtt);
	free(fwd);
	free(bwd);
	free(tmp);
	free(ok);
	return err;
}

/* ---- One-way statistics from OWAMP session data ---------------------------- */

/* 1 when seq lies in one of the ordered skip ranges. */
int xw_ow_in_skips(const struct codec_ow_skip *skips, __u32 nskips, __u32 seq)
{
	__u32 lo = 0, hi = nskips;

	while (lo < hi) { /* ranges are sorted and disjoint: binary search */
		__u32 mid = lo + (hi - lo) / 2;

		if (seq < skips[mid].first)
			hi = mid;
		else if (seq > skips[mid].last)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int xw_stats_from_owamp(struct xw_stats_session *s, const struct codec_ow_record *recs, size_t n,
			__u32 next_seqno, const struct codec_ow_skip *skips, __u32 nskips,
			struct xw_ow_summary *sum)
{
	__u64 *t1 = NULL;
	__u8 *seen = NULL;
	__u32 seq, k = 0;
	size_t i, arrivals = 0;
	int err = 0;

	memset(sum, 0, sizeof(*sum));
	if (next_seqno) {
		t1 = calloc(next_seqno, sizeof(*t1));
		seen = calloc(next_seqno, 1);
		if (!t1 || !seen) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		const struct codec_ow_record *r = &recs[i];
		int lost = codec_ow_record_lost(r);

		if (r->seq >= next_seqno || xw_ow_in_skips(skips, nskips, r->seq)) {
			if (lost)
				continue;
			/* RFC 4656 3.8: "MUST be invalidated" */
			err = -EBADMSG;
			goto out;
		}
		if (lost)
			sum->lost_records++;
		if (!t1[r->seq])
			t1[r->seq] = xw_ntp_to_ns(r->send_ts);
	}
	/* every sequence number the sender says it sent, in order */
	for (seq = 0; seq < next_seqno; seq++) {
		while (k < nskips && skips[k].last < seq)
			k++;
		if (k < nskips && seq >= skips[k].first) {
			sum->skipped++;
			continue;
		}
		err = xw_stats_add_sent(s, seq, t1[seq]);
		if (err)
			goto out;
		sum->expected++;
	}
	/* each arrival: T2 = T3 = T4 = receive time, so T2 - T1 is the one-way delay */
	for (i = 0; i < n; i++) {
		const struct codec_ow_record *r = &recs[i];
		__u64 rx = xw_ntp_to_ns(r->recv_ts);
		struct xw_stats_reply rep = {
			.refl_seq = (__u32)arrivals,
			.t2_ns = rx,
			.t3_ns = rx,
			.t4_ns = rx,
			.sender_errest = r->send_errest,
			.refl_errest = r->recv_errest,
			.sender_ttl = r->ttl,
			.ip_ttl = r->ttl,
		};

		if (codec_ow_record_lost(r) || r->seq >= next_seqno)
			continue;
		err = xw_stats_add_reply(s, r->seq, &rep);
		if (err)
			goto out;
		arrivals++;
		if (seen[r->seq])
			continue;
		seen[r->seq] = 1;
		if (arrivals == 1 || r->ttl < sum->ttl_min)
			sum->ttl_min = r->ttl;
		if (arrivals == 1 || r->ttl > sum->ttl_max)
			sum->ttl_max = r->ttl;
	}
	if (arrivals) {
		sum->hops_min = (__u8)(255 - sum->ttl_max);
		sum->hops_max = (__u8)(255 - sum->ttl_min);
	}
out:
	free(t1);
	free(seen);
	return err;
}
