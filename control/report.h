/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rendering one session's statistics (control/stats.h) for people and
 * programs: a ping-like text summary, a JSON object with a stable schema,
 * and per-packet records (text lines or a JSON array).
 *
 * Everything writes to a FILE * so that tests capture it with
 * open_memstream().  Every function returns 0, or -EIO when the stream
 * reports an error.
 *
 * JSON schema (units are in the key names; null where undefined, see the
 * validity rules in stats.h):
 *
 *   "session": {"proto","mode","sender","reflector"}   (strings, from meta)
 *   "packets": {"sent","received","lost","loss_pct","duplicates","stray",
 *               "reordered","reordered_pct",
 *               "max_reorder_extent" (null when nothing was reordered),
 *               "n_reordered": [n=1, n=2, ...],
 *               "fwd_lost","bwd_lost","fwd_reordered","bwd_reordered"}
 *   "rtt_ms", "fwd_ms", "bwd_ms", "reflector_ms",
 *   "ipdv_rtt_ms", "ipdv_fwd_ms", "ipdv_bwd_ms"   (signed IPDV),
 *   "ipdv_abs_rtt_ms", "ipdv_abs_fwd_ms", "ipdv_abs_bwd_ms",
 *   "pdv_rtt_ms", "pdv_fwd_ms", "pdv_bwd_ms":
 *        {"n","min","median","mean","max","stddev","p90","p95","p99",
 *         "p<extra>" ...}   extra percentile keys print p with '.' -> '_'
 *         (99.9 -> "p99_9")
 *   "clock": {"unsync": bool, "n_unsync", "errest_max_ms", "errest_min_ms"}
 *
 * Per-packet JSON array elements: {"seq", "t1_ns", "lost": bool} plus, for
 * each reply (one element per arrival, so a duplicated packet appears twice):
 *   {"refl_seq","t2_ns","t3_ns","t4_ns","rtt_ms","fwd_ms","bwd_ms",
 *    "reflector_ms","dup","reordered","extent","sender_ttl","ip_ttl",
 *    "synced"}  (ip_ttl null when unknown).
 */
#ifndef XW_REPORT_H
#define XW_REPORT_H

#include <stdio.h>

#include "stats.h"

/* Session description for the header line / "session" object; NULL fields print as "?" / null. */
struct xw_report_meta {
	const char *proto;     /* "TWAMP" */
	const char *mode;      /* "unauthenticated", "authenticated", "encrypted", "mixed" */
	const char *sender;    /* "192.0.2.1:40000" */
	const char *reflector; /* "192.0.2.2:862" */
};

/*
 * The text summary, e.g.
 *
 *   --- TWAMP 192.0.2.1:40000 -> 192.0.2.2:862 (unauthenticated) ---
 *   10 sent, 9 received, 1 lost (10.0%), 0 duplicates, 1 reordered
 *   round trip   min/median/mean/max/p99 = 1.000/1.200/1.300/2.000/2.000 ms
 *   forward      ... ms (unsync)
 *   ...
 *
 * opts: the same options given to xw_stats_compute(); extra percentiles are
 * printed on the delay lines.  May be NULL.
 */
int xw_report_text(FILE *f, const struct xw_report_meta *meta, const struct xw_stats_result *r,
		   const struct xw_stats_opts *opts);

/*
 * The JSON members without the enclosing braces ("session": {...},
 * "packets": {...}, ...), so that the client can put its own members in
 * the same top-level object:  fputs("{", f); ...; xw_report_json_members();
 * fputs("}", f).  No leading or trailing comma.
 */
int xw_report_json_members(FILE *f, const struct xw_report_meta *meta,
			   const struct xw_stats_result *r, const struct xw_stats_opts *opts);

/* A complete JSON object: "{" members "}" and a newline. */
int xw_report_json(FILE *f, const struct xw_report_meta *meta, const struct xw_stats_result *r,
		   const struct xw_stats_opts *opts);

/* One text line per arrival, plus one "lost" line per lost packet, by sender seq. */
int xw_report_packets_text(FILE *f, const struct xw_stats_session *s);

/* The same as a JSON array (see above), followed by a newline. */
int xw_report_packets_json(FILE *f, const struct xw_stats_session *s);

#endif /* XW_REPORT_H */
