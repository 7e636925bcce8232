// SPDX-License-Identifier: GPL-2.0-only
/*
 * Text and JSON rendering of session statistics (see report.h for the
 * formats).  Values are kept in nanoseconds by stats.c and converted to
 * milliseconds only here, at the edge.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "report.h"
#include "xwamp/ntp.h"

#define NS_PER_MS 1e6

static int done(FILE *f)
{
	return ferror(f) ? -EIO : 0;
}

static const char *str_or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

/* ---------------------------------------------------------------- text */

/* 3 decimals of a ms is 1 us: finer than the scheduling noise of a host. */
static void text_ms(FILE *f, double ns)
{
	if (isfinite(ns))
		fprintf(f, "%.3f", ns / NS_PER_MS);
	else
		fputs("-", f);
}

static void text_dist(FILE *f, const char *label, const struct xw_dist *d,
		      const struct xw_stats_opts *opts, int unsync)
{
	unsigned int k;

	fprintf(f, "%-14s", label);
	if (!d->n) {
		fputs("no samples\n", f);
		return;
	}
	fputs("min/median/mean/max/p99 = ", f);
	text_ms(f, d->min);
	fputc('/', f);
	text_ms(f, d->median);
	fputc('/', f);
	text_ms(f, d->mean);
	fputc('/', f);
	text_ms(f, d->max);
	fputc('/', f);
	text_ms(f, d->p99);
	fputs(" ms, stddev ", f);
	text_ms(f, d->stddev);
	for (k = 0; opts && k < opts->npct; k++) {
		fprintf(f, ", p%g ", opts->pct[k]);
		text_ms(f, d->pct[k]);
	}
	fprintf(f, " ms (n=%" PRIu64 ")%s\n", (uint64_t)d->n, unsync ? " (unsync)" : "");
}

static const char *plural(__u64 n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int xw_report_text(FILE *f, const struct xw_report_meta *meta, const struct xw_stats_result *r,
		   const struct xw_stats_opts *opts)
{
	static const struct xw_report_meta none;
	unsigned int k, last;

	if (!meta)
		meta = &none;
	fprintf(f, "--- %s %s -> %s (%s) ---\n", str_or(meta->proto, "TWAMP"),
		str_or(meta->sender, "?"), str_or(meta->reflector, "?"), str_or(meta->mode, "?"));
	fprintf(f, "%" PRIu64 " sent, %" PRIu64 " received, %" PRIu64 " lost", (uint64_t)r->sent,
		(uint64_t)r->received, (uint64_t)r->lost);
	if (r->sent)
		fprintf(f, " (%.2f%%)", r->loss_ratio * 100.0);
	fprintf(f, ", %" PRIu64 " %s, %" PRIu64 " reordered", (uint64_t)r->duplicates,
		plural(r->duplicates, "duplicate", "duplicates"), (uint64_t)r->reordered);
	if (r->stray)
		fprintf(f, ", %" PRIu64 " stray", (uint64_t)r->stray);
	fputc('\n', f);

	/* details only when there is something to say, as ping does */
	if (r->lost && r->received)
		fprintf(f, "loss          forward %" PRIu64 ", backward %" PRIu64 "\n",
			(uint64_t)r->fwd_lost, (uint64_t)r->bwd_lost);
	if (r->reordered || r->fwd_reordered || r->bwd_reordered) {
		fprintf(f,
			"reordering    %.2f%%, max extent %" PRIu64 ", forward %" PRIu64
			", backward %" PRIu64 ", n-reordered",
			r->reordered_ratio * 100.0, (uint64_t)r->max_extent,
			(uint64_t)r->fwd_reordered, (uint64_t)r->bwd_reordered);
		/* up to the largest n that occurred: the interesting part (RFC 4737 5.4) */
		for (last = XW_STATS_NREORD_MAX; last > 1 && !r->nreordered[last - 1]; last--)
			;
		for (k = 0; k < last; k++)
			fprintf(f, " %u:%" PRIu64, k + 1, (uint64_t)r->nreordered[k]);
		fputc('\n', f);
	}

	text_dist(f, "round trip", &r->rtt.delay, opts, 0);
	text_dist(f, "forward", &r->fwd.delay, opts, r->unsync);
	text_dist(f, "backward", &r->bwd.delay, opts, r->unsync);
	text_dist(f, "reflector", &r->proc, opts, 0);
	/*
	 * Not marked: a constant clock error cancels in IPDV and PDV (RFC 5481
	 * 6.3, RFC 3393 5.1), only skew remains.
	 */
	text_dist(f, "IPDV rtt", &r->rtt.ipdv, opts, 0);
	text_dist(f, "IPDV fwd", &r->fwd.ipdv, opts, 0);
	text_dist(f, "IPDV bwd", &r->bwd.ipdv, opts, 0);
	text_dist(f, "PDV rtt", &r->rtt.pdv, opts, 0);
	text_dist(f, "PDV fwd", &r->fwd.pdv, opts, 0);
	text_dist(f, "PDV bwd", &r->bwd.pdv, opts, 0);
	if (r->received) {
		fputs("clock         one-way error bound ", f);
		text_ms(f, r->errest_max_ns);
		fprintf(f, " ms%s", r->unsync ? ", " : "\n");
		if (r->unsync)
			fprintf(f,
				"%" PRIu64 " of %" PRIu64 " samples unsynchronized (unsync): "
				"one-way values need both clocks synchronized (NTP, chrony or "
				"PTP on sender and reflector); round trip and IPDV do not\n",
				(uint64_t)r->n_unsync, (uint64_t)r->received);
	}
	return done(f);
}

/* ---------------------------------------------------------------- JSON */

/* JSON has no NaN or infinity: undefined values are null. */
static void json_ms(FILE *f, double ns)
{
	if (isfinite(ns))
		fprintf(f, "%.6f", ns / NS_PER_MS);
	else
		fputs("null", f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

/* A JSON string; the inputs are addresses and mode names, but escape anyway. */
static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Key for an extra percentile: 99.9 -> "p99_9" (a dot in a key is awkward for jq). */
static void pct_key(char *buf, size_t len, double p)
{
	char *c;

	snprintf(buf, len, "p%g", p);
	for (c = buf; *c; c++)
		if (*c == '.')
			*c = '_';
}

static void json_dist(FILE *f, const char *key, const struct xw_dist *d,
		      const struct xw_stats_opts *opts)
{
	unsigned int k;

	fprintf(f, ",\"%s\":{\"n\":%" PRIu64 ",\"min\":", key, (uint64_t)d->n);
	json_ms(f, d->min);
	fputs(",\"median\":", f);
	json_ms(f, d->median);
	fputs(",\"mean\":", f);
	json_ms(f, d->mean);
	fputs(",\"max\":", f);
	json_ms(f, d->max);
	fputs(",\"stddev\":", f);
	json_ms(f, d->stddev);
	fputs(",\"p90\":", f);
	json_ms(f, d->p90);
	fputs(",\"p95\":", f);
	json_ms(f, d->p95);
	fputs(",\"p99\":", f);
	json_ms(f, d->p99);
	for (k = 0; opts && k < opts->npct; k++) {
		char key2[32];

		pct_key(key2, sizeof(key2), opts->pct[k]);
		fprintf(f, ",\"%s\":", key2);
		json_ms(f, d->pct[k]);
	}
	fputc('}', f);
}

int xw_report_json_members(FILE *f, const struct xw_report_meta *meta,
			   const struct xw_stats_result *r, const struct xw_stats_opts *opts)
{
	static const struct xw_report_meta none;
	unsigned int k;

	if (!meta)
		meta = &none;
	fputs("\"session\":{\"proto\":", f);
	json_str(f, meta->proto);
	fputs(",\"mode\":", f);
	json_str(f, meta->mode);
	fputs(",\"sender\":", f);
	json_str(f, meta->sender);
	fputs(",\"reflector\":", f);
	json_str(f, meta->reflector);
	fputs("}", f);

	fprintf(f,
		",\"packets\":{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"loss_pct\":",
		(uint64_t)r->sent, (uint64_t)r->received, (uint64_t)r->lost);
	json_num(f, r->loss_ratio * 100.0);
	fprintf(f,
		",\"duplicates\":%" PRIu64 ",\"stray\":%" PRIu64 ",\"reordered\":%" PRIu64
		",\"reordered_pct\":",
		(uint64_t)r->duplicates, (uint64_t)r->stray, (uint64_t)r->reordered);
	json_num(f, r->reordered_ratio * 100.0);
	fprintf(f, ",\"max_reorder_extent\":");
	if (r->reordered)
		fprintf(f, "%" PRIu64, (uint64_t)r->max_extent);
	else
		fputs("null", f);
	fputs(",\"n_reordered\":[", f);
	for (k = 0; k < XW_STATS_NREORD_MAX; k++)
		fprintf(f, "%s%" PRIu64, k ? "," : "", (uint64_t)r->nreordered[k]);
	fprintf(f,
		"],\"fwd_lost\":%" PRIu64 ",\"bwd_lost\":%" PRIu64 ",\"fwd_reordered\":%" PRIu64
		",\"bwd_reordered\":%" PRIu64 "}",
		(uint64_t)r->fwd_lost, (uint64_t)r->bwd_lost, (uint64_t)r->fwd_reordered,
		(uint64_t)r->bwd_reordered);

	json_dist(f, "rtt_ms", &r->rtt.delay, opts);
	json_dist(f, "fwd_ms", &r->fwd.delay, opts);
	json_dist(f, "bwd_ms", &r->bwd.delay, opts);
	json_dist(f, "reflector_ms", &r->proc, opts);
	json_dist(f, "ipdv_rtt_ms", &r->rtt.ipdv, opts);
	json_dist(f, "ipdv_fwd_ms", &r->fwd.ipdv, opts);
	json_dist(f, "ipdv_bwd_ms", &r->bwd.ipdv, opts);
	json_dist(f, "ipdv_abs_rtt_ms", &r->rtt.ipdv_abs, opts);
	json_dist(f, "ipdv_abs_fwd_ms", &r->fwd.ipdv_abs, opts);
	json_dist(f, "ipdv_abs_bwd_ms", &r->bwd.ipdv_abs, opts);
	json_dist(f, "pdv_rtt_ms", &r->rtt.pdv, opts);
	json_dist(f, "pdv_fwd_ms", &r->fwd.pdv, opts);
	json_dist(f, "pdv_bwd_ms", &r->bwd.pdv, opts);

	fprintf(f, ",\"clock\":{\"unsync\":%s,\"n_unsync\":%" PRIu64 ",\"errest_max_ms\":",
		r->unsync ? "true" : "false", (uint64_t)r->n_unsync);
	json_ms(f, r->errest_max_ns);
	fputs(",\"errest_min_ms\":", f);
	json_ms(f, r->errest_min_ns);
	fputc('}', f);
	return done(f);
}

int xw_report_json(FILE *f, const struct xw_report_meta *meta, const struct xw_stats_result *r,
		   const struct xw_stats_opts *opts)
{
	fputc('{', f);
	xw_report_json_members(f, meta, r, opts);
	fputs("}\n", f);
	return done(f);
}

/* ---------------------------------------------------------- per packet */

static void text_ms_signed(FILE *f, const char *key, __s64 ns)
{
	fprintf(f, " %s=%.3f", key, (double)ns / NS_PER_MS);
}

static void text_arrival(FILE *f, const struct xw_stats_session *s, const struct xw_stats_pkt *p,
			 const struct xw_stats_arrival *a)
{
	fprintf(f, "seq=%" PRIu32 " rseq=%" PRIu32, p->seq, a->r.refl_seq);
	text_ms_signed(f, "rtt", xw_stats_arr_rtt(s, a));
	text_ms_signed(f, "fwd", xw_stats_arr_fwd(s, a));
	text_ms_signed(f, "bwd", xw_stats_arr_bwd(s, a));
	text_ms_signed(f, "refl", (__s64)(a->r.t3_ns - a->r.t2_ns));
	fputs(" ms", f);
	fprintf(f, " sttl=%u", a->r.sender_ttl);
	if (a->r.ip_ttl != XW_STATS_TTL_UNKNOWN)
		fprintf(f, " ttl=%d", a->r.ip_ttl);
	if (a->flags & XW_ARR_DUP)
		fputs(" dup", f);
	if (a->flags & XW_ARR_REORD)
		fprintf(f, " reordered extent=%" PRIu32, a->extent);
	if (!xw_stats_arr_synced(a))
		fputs(" (unsync)", f);
	fputc('\n', f);
}

int xw_report_packets_text(FILE *f, const struct xw_stats_session *s)
{
	size_t i, n = xw_stats_npkts(s);

	for (i = 0; i < n; i++) {
		const struct xw_stats_pkt *p = xw_stats_pkt_at(s, i);
		__u32 j;

		if (p->first == XW_STATS_NONE) {
			fprintf(f, "seq=%" PRIu32 " lost\n", p->seq);
			continue;
		}
		for (j = p->first; j != XW_STATS_NONE; j = xw_stats_arrival_at(s, j)->next)
			text_arrival(f, s, p, xw_stats_arrival_at(s, j));
	}
	return done(f);
}

static void json_arrival(FILE *f, const struct xw_stats_session *s, const struct xw_stats_pkt *p,
			 const struct xw_stats_arrival *a)
{
	fprintf(f,
		"{\"seq\":%" PRIu32 ",\"t1_ns\":%" PRIu64 ",\"lost\":false,\"refl_seq\":%" PRIu32
		",\"t2_ns\":%" PRIu64 ",\"t3_ns\":%" PRIu64 ",\"t4_ns\":%" PRIu64 ",\"rtt_ms\":",
		p->seq, (uint64_t)p->t1_ns, a->r.refl_seq, (uint64_t)a->r.t2_ns,
		(uint64_t)a->r.t3_ns, (uint64_t)a->r.t4_ns);
	json_ms(f, (double)xw_stats_arr_rtt(s, a));
	fputs(",\"fwd_ms\":", f);
	json_ms(f, (double)xw_stats_arr_fwd(s, a));
	fputs(",\"bwd_ms\":", f);
	json_ms(f, (double)xw_stats_arr_bwd(s, a));
	fputs(",\"reflector_ms\":", f);
	json_ms(f, (double)(__s64)(a->r.t3_ns - a->r.t2_ns));
	fprintf(f, ",\"dup\":%s,\"reordered\":%s,\"extent\":",
		(a->flags & XW_ARR_DUP) ? "true" : "false",
		(a->flags & XW_ARR_REORD) ? "true" : "false");
	if (a->flags & XW_ARR_REORD)
		fprintf(f, "%" PRIu32, a->extent);
	else
		fputs("null", f);
	fprintf(f, ",\"sender_ttl\":%u,\"ip_ttl\":", a->r.sender_ttl);
	if (a->r.ip_ttl != XW_STATS_TTL_UNKNOWN)
		fprintf(f, "%d", a->r.ip_ttl);
	else
		fputs("null", f);
	fprintf(f, ",\"synced\":%s}", xw_stats_arr_synced(a) ? "true" : "false");
}

int xw_report_packets_json(FILE *f, const struct xw_stats_session *s)
{
	size_t i, n = xw_stats_npkts(s);
	int first = 1;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		const struct xw_stats_pkt *p = xw_stats_pkt_at(s, i);
		__u32 j;

		if (p->first == XW_STATS_NONE) {
			fprintf(f, "%s{\"seq\":%" PRIu32 ",\"t1_ns\":%" PRIu64 ",\"lost\":true}",
				first ? "" : ",", p->seq, (uint64_t)p->t1_ns);
			first = 0;
			continue;
		}
		for (j = p->first; j != XW_STATS_NONE; j = xw_stats_arrival_at(s, j)->next) {
			if (!first)
				fputc(',', f);
			first = 0;
			json_arrival(f, s, p, xw_stats_arrival_at(s, j));
		}
	}
	fputs("]\n", f);
	return done(f);
}

/* ------------------------------------- the reference's formats (twping) */

#define NS_PER_S 1e9

/* An error estimate in seconds, as the reference prints it (%g). */
static double errest_s(__u16 ee)
{
	/* Multiplier * 2^Scale / 2^32 s (RFC 4656 4.1.2), exactly: no rounding to ns */
	return ldexp((double)(ee & 0xff), (int)((ee >> 8) & 0x3f) - 32);
}

int xw_report_raw_arrival(FILE *f, const struct xw_stats_session *s,
			  const struct xw_stats_arrival *a)
{
	const struct xw_stats_pkt *p = xw_stats_pkt_at(s, a->pkt);
	const struct xw_stats_reply *r = &a->r;

	fprintf(f,
		"%" PRIu32 " %020" PRIu64 " %d %g %020" PRIu64 " %d %g %u %" PRIu32 " %020" PRIu64
		" %d %g %020" PRIu64 " %d %g %d\n",
		p->seq, (uint64_t)xw_ns_to_ntp(p->t1_ns), xw_errest_synced(r->sender_errest),
		errest_s(r->sender_errest), (uint64_t)xw_ns_to_ntp(r->t2_ns),
		xw_errest_synced(r->refl_errest), errest_s(r->refl_errest), r->sender_ttl,
		r->refl_seq, (uint64_t)xw_ns_to_ntp(r->t3_ns), xw_errest_synced(r->refl_errest),
		errest_s(r->refl_errest), (uint64_t)xw_ns_to_ntp(r->t4_ns),
		xw_errest_synced(r->sender_errest), errest_s(r->sender_errest),
		r->ip_ttl == XW_STATS_TTL_UNKNOWN ? 0 : r->ip_ttl);
	return done(f);
}

int xw_report_raw_lost(FILE *f, const struct xw_stats_session *s)
{
	size_t i, n = xw_stats_npkts(s);

	for (i = 0; i < n; i++) {
		const struct xw_stats_pkt *p = xw_stats_pkt_at(s, i);

		if (p->first != XW_STATS_NONE)
			continue;
		fprintf(f, "%" PRIu32 " %020" PRIu64 " 0 0 %020d 0 0 0 0 %020d 0 0 %020d 0 0 0\n",
			p->seq, (uint64_t)xw_ns_to_ntp(p->t1_ns), 0, 0, 0);
	}
	return done(f);
}

/* Bucket counts of one delay bucket: [0] round trip, [1] forward, [2] backward. */
struct mbucket {
	long b;
	__u32 c[3];
};

struct mkey {
	long b;
	int type;
};

static int mkey_cmp(const void *x, const void *y)
{
	const struct mkey *a = x, *b = y;

	return (a->b > b->b) - (a->b < b->b);
}

/* The reference's bucket: delay / width, rounded away from zero. */
static long bucket_of(double delay_s, double width)
{
	double d = delay_s / width;

	return (long)(d < 0 ? floor(d) : ceil(d));
}

/* The reference's percentile: the first bucket where the running count reaches alpha * sent. */
static int bucket_pct(const struct mbucket *bk, size_t nb, int type, double alpha, __u64 sent,
		      double width, double *out)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < nb && bk[i].c[type] + sum < alpha * (double)sent; i++)
		sum += bk[i].c[type];
	if (i >= nb)
		return 0;
	*out = (double)bk[i].b * width;
	return 1;
}

static void machine_dist(FILE *f, const char *key, const char *suffix, int have, double v)
{
	if (have)
		fprintf(f, "%s%s\t%g\n", key, suffix, v);
}

/* Sorts keys[0..nk) and counts them into bk (one entry per bucket); the number of buckets. */
static size_t bucketize(struct mkey *keys, size_t nk, struct mbucket *bk)
{
	size_t i, nb = 0;

	qsort(keys, nk, sizeof(*keys), mkey_cmp);
	for (i = 0; i < nk; i++) {
		if (!nb || bk[nb - 1].b != keys[i].b)
			bk[nb++].b = keys[i].b;
		bk[nb - 1].c[keys[i].type]++;
	}
	return nb;
}

/* The session keys both references print first, up to SESSION_FINISHED. */
static void machine_header(FILE *f, const struct xw_machine_meta *m, __u64 start, __u64 end,
			   size_t sample)
{
	fprintf(f, "SUMMARY\t%.2f\n", 3.0);
	fprintf(f, "SID\t%s\n", m->sid ? m->sid : "");
	fprintf(f, "FROM_HOST\t%s\nFROM_ADDR\t%s\nFROM_PORT\t%u\n", str_or(m->from_host, "?"),
		str_or(m->from_addr, "?"), m->from_port);
	fprintf(f, "TO_HOST\t%s\nTO_ADDR\t%s\nTO_PORT\t%u\n", str_or(m->to_host, "?"),
		str_or(m->to_addr, "?"), m->to_port);
	fprintf(f, "START_TIME\t%020" PRIu64 "\nEND_TIME\t%020" PRIu64 "\n", (uint64_t)start,
		(uint64_t)end);
	if (m->dscp >= 0)
		fprintf(f, "DSCP\t0x%2.2x\n", (unsigned int)m->dscp);
	fprintf(f, "LOSS_TIMEOUT\t%" PRIu64 "\n", (uint64_t)m->loss_timeout);
	fprintf(f, "PACKET_PADDING\t%u\n", m->padding);
	fprintf(f, "SESSION_PACKET_COUNT\t%u\n", m->npackets);
	fprintf(f, "SAMPLE_PACKET_COUNT\t%zu\n", sample);
	fprintf(f, "BUCKET_WIDTH\t%g\n", m->bucket_width);
	fprintf(f, "SESSION_FINISHED\t%d\n", m->finished ? 1 : 0);
}

int xw_report_machine(FILE *f, const struct xw_machine_meta *m, const struct xw_stats_session *s)
{
	static const char *const sfx[3] = {"", "_FWD", "_BCK"};
	size_t i, na = xw_stats_narrivals(s), np = xw_stats_npkts(s), nk = 0, nb;
	double mn[4], mx[4], maxerr[3] = {0, 0, 0}, v, p50, p95;
	__u64 ttl[2][256] = {{0}}, sent = np, lost = 0, dups[2] = {0, 0};
	struct mkey *keys = NULL;
	struct mbucket *bk = NULL;
	int sync = 1, have = 0, t, ttl_kinds = 0;
	__u64 start = 0, end = 0;

	if (!m->bucket_width || !(m->bucket_width > 0))
		return -EINVAL;
	if (np) {
		start = xw_ns_to_ntp(xw_stats_pkt_at(s, 0)->t1_ns);
		end = xw_ns_to_ntp(xw_stats_pkt_at(s, np - 1)->t1_ns);
	}
	keys = calloc(3 * (na ? na : 1), sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < np; i++)
		lost += xw_stats_pkt_at(s, i)->first == XW_STATS_NONE;
	for (i = 0; i < na; i++) {
		const struct xw_stats_arrival *a = xw_stats_arrival_at(s, i);
		const struct xw_stats_reply *r = &a->r;
		double d[4], es = errest_s(r->sender_errest), er = errest_s(r->refl_errest);

		d[0] = (double)xw_stats_arr_rtt(s, a) / NS_PER_S;
		d[1] = (double)xw_stats_arr_fwd(s, a) / NS_PER_S;
		d[2] = (double)xw_stats_arr_bwd(s, a) / NS_PER_S;
		d[3] = (double)(__s64)(r->t3_ns - r->t2_ns) / NS_PER_S;
		for (t = 0; t < 4; t++) {
			mn[t] = have && mn[t] < d[t] ? mn[t] : d[t];
			mx[t] = have && mx[t] > d[t] ? mx[t] : d[t];
		}
		have = 1;
		/* round trip: all four timestamps; each direction: its two */
		maxerr[0] = fmax(maxerr[0], 2 * es + 2 * er);
		maxerr[1] = fmax(maxerr[1], es + er);
		maxerr[2] = fmax(maxerr[2], es + er);
		if (!xw_stats_arr_synced(a))
			sync = 0;
		if (a->flags & XW_ARR_DUP) {
			/* a new reflector seq: the reflector got it twice (forward) */
			const struct xw_stats_pkt *p = xw_stats_pkt_at(s, a->pkt);
			__u32 j;
			int again = 0;

			for (j = p->first; j != XW_STATS_NONE && j < i;
			     j = xw_stats_arrival_at(s, j)->next)
				again |= xw_stats_arrival_at(s, j)->r.refl_seq == r->refl_seq;
			dups[again ? 1 : 0]++;
			continue;
		}
		for (t = 0; t < 3; t++)
			keys[nk++] = (struct mkey){bucket_of(d[t], m->bucket_width), t};
		ttl[0][r->sender_ttl]++;
		if (r->ip_ttl >= 0 && r->ip_ttl < 256)
			ttl[1][r->ip_ttl]++;
	}
	bk = calloc(nk ? nk : 1, sizeof(*bk));
	if (!bk) {
		free(keys);
		return -ENOMEM;
	}
	nb = bucketize(keys, nk, bk);

	machine_header(f, m, start, end, np);
	fprintf(f, "SENT\t%" PRIu64 "\n", (uint64_t)sent);
	fprintf(f, "SYNC\t%d\n", sync);
	fprintf(f, "MAXERR\t%g\nMAXERR_FWD\t%g\nMAXERR_BCK\t%g\n", maxerr[0], maxerr[1], maxerr[2]);
	fprintf(f, "DUPS_FWD\t%" PRIu64 "\nDUPS_BCK\t%" PRIu64 "\n", (uint64_t)dups[0],
		(uint64_t)dups[1]);
	fprintf(f, "LOST\t%" PRIu64 "\n", (uint64_t)lost);
	for (t = 0; t < 3; t++)
		machine_dist(f, "MIN", sfx[t], have, mn[t]);
	machine_dist(f, "MIN", "_PROC", have, mn[3]);
	for (t = 0; t < 3; t++)
		if (bucket_pct(bk, nb, t, 0.5, sent, m->bucket_width, &v))
			fprintf(f, "MEDIAN%s\t%g\n", sfx[t], v);
	for (t = 0; t < 3; t++)
		machine_dist(f, "MAX", sfx[t], have, mx[t]);
	machine_dist(f, "MAX", "_PROC", have, mx[3]);
	for (t = 0; t < 3; t++)
		if (bucket_pct(bk, nb, t, 0.95, sent, m->bucket_width, &p95) &&
		    bucket_pct(bk, nb, t, 0.5, sent, m->bucket_width, &p50))
			fprintf(f, "PDV%s\t%g\n", sfx[t], p95 - p50);
	if (sent > lost) {
		fputs("<BUCKETS>\n", f);
		for (i = 0; i < nb; i++)
			fprintf(f, "\t%ld\t%u\t%u\t%u\n", bk[i].b, bk[i].c[0], bk[i].c[1],
				bk[i].c[2]);
		fputs("</BUCKETS>\n", f);
	}
	for (t = 0; t < 2; t++) {
		int lo = 255, hi = 0, k;

		for (k = 0; k < 256; k++)
			if (ttl[t][k]) {
				ttl_kinds++;
				lo = k < lo ? k : lo;
				hi = k > hi ? k : hi;
			}
		fprintf(f, "MINTTL%s\t%d\nMAXTTL%s\t%d\n", sfx[t + 1], lo, sfx[t + 1], hi);
	}
	if (ttl_kinds) {
		int k;

		fputs("<TTLBUCKETS>\n", f);
		for (k = 0; k < 256; k++)
			if (ttl[0][k] || ttl[1][k])
				fprintf(f, "\t%d\t%" PRIu64 "\t%" PRIu64 "\n", k,
					(uint64_t)ttl[0][k], (uint64_t)ttl[1][k]);
		fputs("</TTLBUCKETS>\n", f);
	}
	fputc('\n', f);
	free(bk);
	free(keys);
	return done(f);
}

/* ------------------------------ the reference's one-way formats (owping) */

/* How far back an arrival is compared for n-reordering (the reference's window is similar). */
#define OW_REORD_WIN 1024

int xw_report_ow_raw(FILE *f, const struct xw_ow_data *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct codec_ow_record *r = &d->rec[i];

		fprintf(f, "%" PRIu32 " %020" PRIu64 " %d %g %020" PRIu64 " %d %g %u\n", r->seq,
			(uint64_t)r->send_ts, xw_errest_synced(r->send_errest),
			errest_s(r->send_errest), (uint64_t)r->recv_ts,
			xw_errest_synced(r->recv_errest), errest_s(r->recv_errest), r->ttl);
	}
	return done(f);
}

/* What xw_report_ow_machine() gathers in one pass over the records. */
struct ow_machine {
	__u64 sent, lost, dups, ttl[256], rn[OW_REORD_WIN];
	double mn, mx, maxerr;
	int sync, have;
	struct mkey *keys; /* first copies' delay buckets */
	size_t nk;
	__u32 *arr; /* sequence numbers in arrival order, duplicates included */
	size_t narr;
	__u8 *state; /* per seq: 0 nothing yet, 1 received, 2 a lost-packet record */
};

static void ow_machine_rec(struct ow_machine *o, const struct codec_ow_record *r, double width)
{
	double delay, err;
	size_t j;
	int first;

	if (codec_ow_record_lost(r)) {
		if (o->state[r->seq])
			return; /* data that contradicts itself: the first word counts */
		o->state[r->seq] = 2;
		o->sent++;
		o->lost++;
		o->sync &= xw_errest_synced(r->recv_errest);
		o->maxerr = fmax(o->maxerr, errest_s(r->recv_errest));
		return;
	}
	if (o->state[r->seq] == 2)
		return;
	first = !o->state[r->seq];
	o->state[r->seq] = 1;
	if (first)
		o->sent++;
	else
		o->dups++;
	/* RFC 4737 5.3: n-reordered when the n arrivals before it all have larger seqs */
	for (j = 0; j < o->narr && j < OW_REORD_WIN && r->seq < o->arr[o->narr - 1 - j]; j++)
		o->rn[j]++;
	o->arr[o->narr++] = r->seq;
	o->sync &= xw_errest_synced(r->send_errest) & xw_errest_synced(r->recv_errest);
	delay = (double)(__s64)(xw_ntp_to_ns(r->recv_ts) - xw_ntp_to_ns(r->send_ts)) / NS_PER_S;
	err = errest_s(r->send_errest) + errest_s(r->recv_errest);
	o->maxerr = fmax(o->maxerr, err);
	o->mn = o->have && o->mn < delay ? o->mn : delay;
	o->mx = o->have && o->mx > delay ? o->mx : delay;
	o->have = 1;
	if (!first)
		return; /* delay buckets and TTLs: first copies only, as the reference */
	o->keys[o->nk++] = (struct mkey){bucket_of(delay, width), 0};
	o->ttl[r->ttl]++;
}

int xw_report_ow_machine(FILE *f, const struct xw_machine_meta *m, const struct xw_ow_data *d)
{
	struct ow_machine o = {.sync = 1};
	struct mbucket *bk = NULL;
	size_t i, nb;
	double p50, p95;
	int k, lo = 255, hi = 0, nttl = 0, rc = -ENOMEM;

	if (!m->bucket_width || !(m->bucket_width > 0))
		return -EINVAL;
	o.keys = calloc(d->n ? d->n : 1, sizeof(*o.keys));
	o.arr = calloc(d->n ? d->n : 1, sizeof(*o.arr));
	o.state = calloc(m->npackets ? m->npackets : 1, 1);
	bk = calloc(d->n ? d->n : 1, sizeof(*bk));
	if (!o.keys || !o.arr || !o.state || !bk)
		goto out;
	for (i = 0; i < d->n; i++)
		/* the sample is packets 0 .. npackets - 1; skip ranges were never sent */
		if (d->rec[i].seq < m->npackets &&
		    !xw_ow_in_skips(d->skips, d->nskips, d->rec[i].seq))
			ow_machine_rec(&o, &d->rec[i], m->bucket_width);
	nb = bucketize(o.keys, o.nk, bk);

	machine_header(f, m, m->start_ntp, m->end_ntp, m->npackets);
	fprintf(f,
		"SENT\t%" PRIu64 "\nSYNC\t%d\nMAXERR\t%g\nDUPS\t%" PRIu64 "\nLOST\t%" PRIu64 "\n",
		(uint64_t)o.sent, o.sync, o.maxerr, (uint64_t)o.dups, (uint64_t)o.lost);
	machine_dist(f, "MIN", "", o.have, o.mn);
	if (bucket_pct(bk, nb, 0, 0.5, o.sent, m->bucket_width, &p50))
		fprintf(f, "MEDIAN\t%g\n", p50);
	machine_dist(f, "MAX", "", o.have, o.mx);
	if (bucket_pct(bk, nb, 0, 0.95, o.sent, m->bucket_width, &p95) &&
	    bucket_pct(bk, nb, 0, 0.5, o.sent, m->bucket_width, &p50))
		fprintf(f, "PDV\t%g\n", p95 - p50);
	if (o.sent > o.lost) {
		fputs("<BUCKETS>\n", f);
		for (i = 0; i < nb; i++)
			fprintf(f, "\t%ld\t%u\n", bk[i].b, bk[i].c[0]);
		fputs("</BUCKETS>\n", f);
	}
	for (k = 0; k < 256; k++)
		if (o.ttl[k]) {
			nttl++;
			lo = k < lo ? k : lo;
			hi = k > hi ? k : hi;
		}
	/* always, 255 and 0 when nothing arrived, as the reference's current version */
	fprintf(f, "MINTTL\t%d\nMAXTTL\t%d\n", lo, hi);
	if (nttl) {
		fputs("<TTLBUCKETS>\n", f);
		for (k = 0; k < 256; k++)
			if (o.ttl[k])
				fprintf(f, "\t%d\t%" PRIu64 "\n", k, (uint64_t)o.ttl[k]);
		fputs("</TTLBUCKETS>\n", f);
	}
	/* the reference ends the summary here, then its reordering histogram */
	fputs("\n<NREORDERING>\n", f);
	for (i = 0; i < OW_REORD_WIN && o.rn[i]; i++)
		fprintf(f, "\t%zu\t%" PRIu64 "\n", i + 1, (uint64_t)o.rn[i]);
	if (i == 0 || i >= OW_REORD_WIN)
		fprintf(f, "\t%zu\t0\n", i + 1);
	fputs("</NREORDERING>\n", f);
	rc = done(f);
out:
	free(bk);
	free(o.state);
	free(o.arr);
	free(o.keys);
	return rc;
}
