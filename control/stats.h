/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Statistics of one TWAMP-Test session, as seen by the Session-Sender.
 *
 * The client records one entry per sent packet (sender sequence number, T1)
 * and one per reply that arrives (reflector sequence number, T2, T3, T4,
 * Error Estimates, TTLs), in arrival order.  Duplicated, reordered and lost
 * replies are all expected.  xw_stats_compute() then derives, for the whole
 * session:
 *
 *   - counts: sent, received (unique), lost, duplicates, reordered
 *     (RFC 4737 3.3, NextExp over the arrival order), reordering extent
 *     (RFC 4737 4.2), n-reordering (RFC 4737 5), and the split of loss and
 *     reordering into forward and backward path from the reflector sequence
 *     numbers (RFC 5357 4.2.1: the reflector numbers the packets it
 *     reflects in the order it receives them);
 *   - round-trip delay (T4 - T1) - (T3 - T2) (RFC 5357 4.2.1: the
 *     reflector's processing time is removed), forward delay T2 - T1,
 *     backward delay T4 - T3, reflector processing time T3 - T2;
 *   - delay variation: IPDV (RFC 3393, RFC 5481 4.1, consecutive sender
 *     sequence numbers) and PDV (RFC 5481 4.2, delay minus session minimum)
 *     for each of round trip, forward and backward.
 *
 * Times are nanoseconds (already converted from NTP with xw_ntp_to_ns()).
 * Distribution values are doubles in nanoseconds.
 *
 * Validity: counts are always valid.  A struct xw_dist with n == 0 has no
 * samples and every other field is NaN (so that a printer that forgets to
 * check shows "nan", never a plausible 0).  Ratios are NaN when their
 * denominator is 0.  When nothing was received, every delay distribution
 * has n == 0.
 */
#ifndef XW_STATS_H
#define XW_STATS_H

#include <stddef.h>

#include "xwamp/types.h"

/* "no index" in the arrival links below */
#define XW_STATS_NONE	     0xffffffffU
/* IP TTL / hop limit of a reply that the socket did not report */
#define XW_STATS_TTL_UNKNOWN (-1)
/* extra percentiles a caller may request (beyond p90/p95/p99) */
#define XW_STATS_MAX_PCT     8
/* n-reordering (RFC 4737 5) is counted for n = 1 .. this */
#define XW_STATS_NREORD_MAX  8

/* What the sender learns from one reply (RFC 5357 4.2.1 reflector packet). */
struct xw_stats_reply {
	__u32 refl_seq;	     /* reflector's Sequence Number */
	__u64 t2_ns;	     /* Receive Timestamp: reflector received the test packet */
	__u64 t3_ns;	     /* Timestamp: reflector sent the reply */
	__u64 t4_ns;	     /* sender received the reply */
	__u16 sender_errest; /* raw Error Estimate of the sender clock (T1/T4) */
	__u16 refl_errest;   /* raw Error Estimate of the reflector clock (T2/T3) */
	__u8 sender_ttl;     /* Sender TTL field: TTL of the test packet at the reflector */
	__s16 ip_ttl;	     /* TTL/hop limit of the reply at the sender, or XW_STATS_TTL_UNKNOWN */
};

/* One sent packet. */
struct xw_stats_pkt {
	__u32 seq;	/* sender Sequence Number */
	__u64 t1_ns;	/* Timestamp of the test packet */
	__u32 first;	/* index of its first arrival, XW_STATS_NONE when lost */
	__u32 last;	/* index of its latest arrival (valid when nreplies > 0) */
	__u32 nreplies; /* arrivals for this packet (> 1: duplicates) */
};

/* Per-arrival flags, decided when the reply is added (all are on-line metrics). */
#define XW_ARR_DUP   0x1 /* not the first copy of this sender sequence number */
#define XW_ARR_REORD 0x2 /* RFC 4737 3.3 reordered at the sender (round trip) */

/* One arrival (reply) in arrival order. */
struct xw_stats_arrival {
	__u32 pkt;   /* index of the sent packet (xw_stats_pkt_at()) */
	__u32 next;  /* next arrival of the same sent packet, XW_STATS_NONE */
	__u32 flags; /* XW_ARR_* */
	/*
	 * RFC 4737 4.2 reordering extent (in arrivals, duplicates excluded),
	 * 0 when the arrival is not reordered or is a duplicate.
	 */
	__u32 extent;
	/*
	 * Largest n for which this arrival is n-reordered (RFC 4737 5.3
	 * Definition 1, duplicates included as that section says), 0 if not
	 * 1-reordered.  Capped at XW_STATS_NREORD_MAX so that recording stays
	 * O(1) per arrival.
	 */
	__u32 nreord;
	struct xw_stats_reply r;
};

/* Summary of one set of samples, in nanoseconds. */
struct xw_dist {
	__u64 n; /* samples; when 0 every field below is NaN */
	double min, max, mean;
	/*
	 * Population standard deviation (divide by n): the spread of this
	 * session's samples, not an estimate for a larger population.
	 */
	double stddev;
	/*
	 * Percentiles by linear interpolation between closest ranks over the
	 * sorted samples x[0..n-1] (Hyndman-Fan type 7, numpy's default):
	 * h = (n - 1) * p / 100, value = x[floor h] + (h - floor h) *
	 * (x[floor h + 1] - x[floor h]).  So p0 = min, p100 = max, median =
	 * p50 (the mean of the two middle samples when n is even).
	 */
	double median, p90, p95, p99;
	double pct[XW_STATS_MAX_PCT]; /* the caller's extra percentiles, opts order */
};

struct xw_stats_opts {
	unsigned int npct;	      /* <= XW_STATS_MAX_PCT */
	double pct[XW_STATS_MAX_PCT]; /* in [0, 100] */
};

/* Delay and its variation for one direction (or the round trip). */
struct xw_stats_delay {
	struct xw_dist delay;
	/*
	 * IPDV (RFC 5481 4.1): D(i+1) - D(i) for consecutive sender sequence
	 * numbers (sent packets i, i+1) where both arrived (first copies).
	 * Signed; ipdv_abs is the same series as absolute values.
	 */
	struct xw_dist ipdv;
	struct xw_dist ipdv_abs;
	/* PDV (RFC 5481 4.2): D(i) - min D over the session; p99 ~ jitter buffer */
	struct xw_dist pdv;
};

struct xw_stats_result {
	/* --- counts, always valid --- */
	__u64 sent;	  /* sent packets recorded */
	__u64 arrivals;	  /* replies matched to a sent packet, duplicates included */
	__u64 received;	  /* sent packets with at least one reply */
	__u64 lost;	  /* sent - received */
	__u64 duplicates; /* arrivals - received */
	__u64 stray;	  /* replies whose sender seq was never sent (not in any other count) */
	/* RFC 4737 3.3 over the arrival order at the sender, first copies only (4.1.3) */
	__u64 reordered;
	/* largest RFC 4737 4.2 extent; 0 when reordered == 0 */
	__u64 max_extent;
	/* [n-1]: arrivals that are n-reordered (RFC 4737 5.3), n = 1..NREORD_MAX */
	__u64 nreordered[XW_STATS_NREORD_MAX];
	/*
	 * Path split from the reflector sequence numbers (RFC 5357 4.2.1): the
	 * reflector numbers packets in its receive order, so NextExp over sender
	 * seqs sorted by reflector seq judges the forward path, and NextExp over
	 * reflector seqs in sender arrival order judges the backward path.
	 * Loss split: reflector seqs start at zero (RFC 5357 4.2.1), so the
	 * reflector reflected at least (max refl_seq + 1) copies; those whose
	 * refl_seq never arrived were lost on the way back (bwd_lost, at most
	 * lost), the rest of the loss was on the way out (fwd_lost).  Packets
	 * lost backward after the last reply we saw count as forward loss (it
	 * cannot be told).  No 32-bit wrap assumed.  fwd_lost = lost and the
	 * others 0 when nothing was received.
	 */
	__u64 fwd_reordered, bwd_reordered;
	__u64 fwd_lost, bwd_lost;
	double loss_ratio;	/* lost / sent; NaN when sent == 0 */
	double reordered_ratio; /* reordered / received (RFC 4737 4.1.3); NaN when received == 0 */

	/* --- delays over first copies; n == 0 when nothing was received --- */
	struct xw_stats_delay rtt; /* (T4 - T1) - (T3 - T2) */
	struct xw_stats_delay fwd; /* T2 - T1: needs synchronized clocks */
	struct xw_stats_delay bwd; /* T4 - T3: needs synchronized clocks */
	struct xw_dist proc;	   /* T3 - T2, reflector processing */

	/*
	 * One-way values depend on both clocks.  unsync: at least one sample
	 * had an Error Estimate (sender's or reflector's) without the S bit;
	 * the one-way numbers are still computed but must be marked.
	 * n_unsync: how many first-copy arrivals had that.
	 */
	int unsync;
	__u64 n_unsync;
	/*
	 * Error bound of a one-way sample: sender + reflector Error Estimate
	 * (RFC 4656 4.1.2, decoded with xw_errest_to_ns()).  Max and min over
	 * first-copy arrivals, ns; NaN when nothing was received.
	 */
	double errest_max_ns, errest_min_ns;
};

/* Opaque recorder of one session. */
struct xw_stats_session;

/* NULL on allocation failure. */
struct xw_stats_session *xw_stats_new(void);
void xw_stats_free(struct xw_stats_session *s);

/*
 * Record a sent packet.  Sender sequence numbers must strictly increase
 * (RFC 5357 4.1.2: 0, 1, 2, ...; gaps are allowed).  Returns 0, -EINVAL
 * when seq does not increase, -ENOMEM.
 */
int xw_stats_add_sent(struct xw_stats_session *s, __u32 seq, __u64 t1_ns);

/*
 * Record a reply for sender sequence number seq, in arrival order.
 * Returns 0; -ENOENT when no sent packet has that seq (counted as stray,
 * otherwise ignored); -ENOMEM.
 */
int xw_stats_add_reply(struct xw_stats_session *s, __u32 seq, const struct xw_stats_reply *r);

/* Read-only access to the records (for per-packet output). */
size_t xw_stats_npkts(const struct xw_stats_session *s);
const struct xw_stats_pkt *xw_stats_pkt_at(const struct xw_stats_session *s, size_t i);
size_t xw_stats_narrivals(const struct xw_stats_session *s);
const struct xw_stats_arrival *xw_stats_arrival_at(const struct xw_stats_session *s, size_t i);
__u64 xw_stats_nstray(const struct xw_stats_session *s);

/* Per-arrival values (ns, signed: one-way values can be negative when unsynchronized). */
__s64 xw_stats_arr_rtt(const struct xw_stats_session *s, const struct xw_stats_arrival *a);
__s64 xw_stats_arr_fwd(const struct xw_stats_session *s, const struct xw_stats_arrival *a);
__s64 xw_stats_arr_bwd(const struct xw_stats_session *s, const struct xw_stats_arrival *a);
/* 1 when both Error Estimates of the arrival have the S bit */
int xw_stats_arr_synced(const struct xw_stats_arrival *a);

/*
 * Compute everything for the session.  opts may be NULL (no extra
 * percentiles).  Returns 0, -EINVAL (bad opts), -ENOMEM; res is fully
 * written (NaN/0 as documented) on success.
 */
int xw_stats_compute(const struct xw_stats_session *s, const struct xw_stats_opts *opts,
		     struct xw_stats_result *res);

/*
 * Summarise n samples (any order; v is not modified, a copy is sorted).
 * Returns 0, -EINVAL, -ENOMEM.  n == 0 gives d->n = 0 and NaNs.
 */
int xw_dist_compute(const double *v, size_t n, const struct xw_stats_opts *opts, struct xw_dist *d);

/* Percentile p in [0, 100] of sorted[0..n-1] (n > 0), interpolated as above. */
double xw_percentile_sorted(const double *sorted, size_t n, double p);

/* ---- One-way statistics from OWAMP session data (RFC 4656 3.9) ---------- */

struct codec_ow_record;
struct codec_ow_skip;

/*
 * What the receiver's records say about one direction, beyond
 * xw_stats_result.  The records are fed into an xw_stats_session as if
 * each arrival were a "reply" with T2 = T3 = T4 = the receive time, so
 * every count and distribution of xw_stats_compute() is the one-way one:
 * fwd (= rtt) is the one-way delay and its IPDV/PDV, loss, duplicates and
 * RFC 4737 reordering are over the receiver's arrival order, and unsync
 * is set when either Error Estimate lacks the S bit (RFC 4656 4.1.2).
 * The path-split fields (bwd_*, fwd_reordered) mean nothing here.
 */
struct xw_ow_summary {
	__u64 expected;	    /* Next Seqno minus the packets in skip ranges: sent */
	__u64 skipped;	    /* packets the sender says it never sent (RFC 4656 3.8) */
	__u64 lost_records; /* lost-packet records in the data (receive time 0) */
	/* TTL / Hop Limit at the receiver over first copies; 0/0 when none */
	__u8 ttl_min, ttl_max;
	/* hops = 255 - TTL (RFC 4656 4.1.2: the sender SHOULD send with 255) */
	__u8 hops_min, hops_max;
};

/*
 * Fill @s (new, empty) from @n records in arrival order, for a session
 * whose sender reported @next_seqno and @nskips skip ranges (in order, as
 * codec_ow_skips_check() ensures).  Every sequence number below
 * next_seqno outside the skip ranges counts as sent.  Returns 0;
 * -EBADMSG when a received record's seq is >= next_seqno or inside a skip
 * range (RFC 4656 3.8: the session's results "MUST be invalidated");
 * -ENOMEM.
 */
/* 1 when seq lies in one of the nskips sorted, disjoint skip ranges (RFC 4656 3.8). */
int xw_ow_in_skips(const struct codec_ow_skip *skips, __u32 nskips, __u32 seq);

int xw_stats_from_owamp(struct xw_stats_session *s, const struct codec_ow_record *recs, size_t n,
			__u32 next_seqno, const struct codec_ow_skip *skips, __u32 nskips,
			struct xw_ow_summary *sum);

#endif /* XW_STATS_H */
