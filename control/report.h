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

/* ---- The reference client's formats (perfSONAR twping -M and -R) ---------- */

/*
 * What the machine-readable summary says about the session beyond the
 * statistics: the reference prints these from its session header.
 */
struct xw_machine_meta {
	const char *sid;		   /* 32 hex digits */
	const char *from_host, *from_addr; /* the Session-Sender */
	unsigned int from_port;
	const char *to_host, *to_addr; /* the Session-Reflector */
	unsigned int to_port;
	int dscp;	       /* 0..63, or -1 when Type-P is not a DSCP */
	__u64 loss_timeout;    /* 32.32 fixed point seconds, as the reference prints it */
	unsigned int padding;  /* Packet Padding octets */
	unsigned int npackets; /* packets the session was to send */
	double bucket_width;   /* seconds (the reference's default: 0.0001) */
	int finished;	       /* 1: the session ran to its end, 0: cut short */
	/* OWAMP only: NTP scheduled send times of the first and the last packet */
	__u64 start_ntp, end_ntp;
};

/*
 * The summary in the format of perfSONAR twping -M ("SUMMARY 3.00"): one
 * "KEY<TAB>value" per line, delays in seconds with %g, NTP timestamps as
 * 20-digit decimals, the delay histogram between <BUCKETS> and </BUCKETS>
 * ("<TAB>bucket<TAB>round trip<TAB>forward<TAB>backward", bucket = delay /
 * width rounded away from zero, first copies only), the TTL histogram
 * (forward = the Sender TTL the reflector saw, backward = the reply's TTL
 * here), a blank line at the end.  Medians are the reference's: the bucket
 * where the running count reaches half of the packets sent (lost included);
 * PDV is its 95th minus its 50th percentile.  Minimum, maximum and MAXERR
 * count every arrival, duplicates included, as the reference does.
 */
int xw_report_machine(FILE *f, const struct xw_machine_meta *m, const struct xw_stats_session *s);

/*
 * One line per arrival in the format of perfSONAR twping -R, 16 fields:
 * "SSEQ STIME SS SERR SRTIME SRS SRERR STTL RSEQ RSTIME RSS RSERR RTIME RS
 * RERR RTTL": T1, T2, T3, T4 as 20-digit NTP decimals, each with its S bit
 * and error estimate in seconds (%g) (T1 and T4 with the sender's, T2 and
 * T3 with the reflector's), the Sender TTL the reflector saw and the
 * reply's TTL here (0 when unknown).
 */
int xw_report_raw_arrival(FILE *f, const struct xw_stats_session *s,
			  const struct xw_stats_arrival *a);
/* The lost packets, one line each: receive fields all zero. */
int xw_report_raw_lost(FILE *f, const struct xw_stats_session *s);

/* ---- The reference's one-way formats (perfSONAR owping -M and -R) ----------- */

struct codec_ow_record;
struct codec_ow_skip;

/* One direction's OWAMP session data as the receiver recorded it (RFC 4656 3.9). */
struct xw_ow_data {
	const struct codec_ow_record *rec; /* arrival order, lost-packet records included */
	size_t n;
	const struct codec_ow_skip *skips; /* the sender's skip ranges: not counted at all */
	__u32 nskips;
};

/*
 * owping -M ("SUMMARY 3.00", one-way): the twping keys without the _FWD,
 * _BCK and _PROC ones, DUPS, one count per <BUCKETS> line, MINTTL/MAXTTL
 * (255 and 0 when nothing arrived) and <TTLBUCKETS> (only when something
 * did) of the TTL at the receiver, a blank line, then the n-reordering
 * histogram <NREORDERING> (RFC 4737 5: "\tn\tcount" for n = 1 ... while
 * the count is not zero;
 * "\t1\t0" when nothing was reordered).  Every record the data holds
 * counts as the reference counts it: a lost-packet record is sent and
 * lost (its receive Error Estimate goes into MAXERR and SYNC), a received
 * one is sent once and a duplicate after that, records in skip ranges not
 * at all.  START_TIME and END_TIME are m->start_ntp and m->end_ntp.
 */
int xw_report_ow_machine(FILE *f, const struct xw_machine_meta *m, const struct xw_ow_data *d);

/*
 * owping -R: one line per record, in the data's order, 8 fields "SEQNO
 * STIME SS SERR RTIME RS RERR TTL" (NTP timestamps as 20-digit decimals,
 * the Error Estimates in seconds with %g); lost-packet records as they are
 * (receive time 0).
 */
int xw_report_ow_raw(FILE *f, const struct xw_ow_data *d);

#endif /* XW_REPORT_H */
