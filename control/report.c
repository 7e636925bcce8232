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
#include <string.h>

#include "report.h"

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
