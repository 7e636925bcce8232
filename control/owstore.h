/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * OWAMP session data at the receiver (RFC 4656 3.8, 3.9, 4.2): the packet
 * records of every session the server receives, kept for Fetch-Session.
 *
 * Pure (no I/O, no clock: callers pass now); shared by every receive path
 * (the UDP socket and the XDP ring buffer hand their records to
 * ow_store_add()).  The store belongs to the daemon, not to a control
 * connection: session data outlives the connection that created it for
 * cfg.keep_ns after the session ended, so that "a Fetch-Session with SID
 * from this session works for a different OWAMP-Control session" (3.8).
 *
 * Bounds (resource limits, not from the RFC): a session may hold at most
 * cfg.max_records records and the store cfg.max_total; ow_store_open()
 * reserves Number of Packets records (plus room for duplicates, a quarter
 * more, at least 16) and refuses with Accept 4 (-ENOSPC) when that does not
 * fit.  Records beyond a session's reservation are dropped and counted.
 *
 * Life of a session: ow_store_open() at Accept-Session, records while it
 * runs (a partial Fetch-Session works then, RFC 4656 3.9), ow_store_stop()
 * with the sender's Next Seqno and skip ranges (normal end: lost-packet
 * records are appended for every sequence number below Next Seqno neither
 * received nor skipped, with the send time the schedule gives, 3.9), or
 * ow_store_abort() (connection broken, Stop-Sessions Accept != 0: a fetch of
 * the complete session is then denied, 3.9).  ow_store_expire() frees
 * sessions kept longer than keep_ns after their end.
 */
#ifndef XW_OWSTORE_H
#define XW_OWSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "schedule.h"

struct ow_store_cfg {
	uint32_t max_records; /* per session (Accept 4 beyond) */
	uint64_t max_total;   /* records over all sessions held */
	uint32_t max_sessions;
	uint64_t keep_ns; /* how long data stays fetchable after the session ended */
};

enum ow_sess_state {
	OW_SESS_RUNNING = 0,
	OW_SESS_FINISHED, /* Stop-Sessions with Accept 0 */
	OW_SESS_ABORTED,  /* ended any other way */
};

struct ow_store;

struct ow_store *ow_store_new(const struct ow_store_cfg *cfg);
void ow_store_free(struct ow_store *st);

/*
 * A session the server will receive: @req is its Request-Session as the
 * reproduction of RFC 4656 3.9 must show it (the SID and the ports used
 * filled in; both HMAC fields zero), @len octets.  The schedule is built
 * from it (lost-packet send times).  0; -ENOSPC (Accept 4: over a bound),
 * -EEXIST (SID held), -EINVAL (bad request), -ENOMEM.
 */
int ow_store_open(struct ow_store *st, const uint8_t *req, size_t len, uint64_t now_ns);

/*
 * One received packet of session @sid.  0; -ENOENT (no such running
 * session: not stored), -ENOSPC (over the session's reservation: dropped,
 * counted in ow_store_dropped()).
 */
int ow_store_add(struct ow_store *st, const uint8_t sid[XW_SID_LEN],
		 const struct codec_ow_record *r);

/*
 * Normal end (RFC 4656 3.8): the sender's @next_seqno and skip ranges
 * (already checked in order).  Records whose scheduled send time lies
 * within the session's Timeout before @now_ntp are discarded (3.8: "MUST
 * discard any packet records ... with a (computed) send time that falls
 * between the current time minus Timeout and the current time"); a record
 * with a sequence number >= next_seqno invalidates the session (aborted).
 * @recv_errest is the Error Estimate of the clock that declares packets
 * lost.  -ENOENT; -EALREADY when not running.
 */
int ow_store_stop(struct ow_store *st, const uint8_t sid[XW_SID_LEN], uint32_t next_seqno,
		  const struct codec_ow_skip *skips, uint32_t nskips, uint64_t now_ntp,
		  uint16_t recv_errest, uint64_t now_ns);
/* Abnormal end; -ENOENT, -EALREADY. */
int ow_store_abort(struct ow_store *st, const uint8_t sid[XW_SID_LEN], uint64_t now_ns);

/*
 * The answer to a Fetch-Session: Fetch-Ack fields and, with Accept 0, the
 * data parts ready for chan_seal() one after the other: the Request-Session
 * reproduction (two parts: CODEC_OW_REQUEST_HMAC1_END octets, then the
 * rest), the skip ranges part, the records part (RFC 4656 3.9).  Accept 1
 * for an unknown SID, and for the complete session (Begin 0, End all ones)
 * while it runs or after it ended abnormally.  Records are those with
 * begin <= seq <= end, in arrival order.  Free with ow_fetch_free().
 */
struct ow_fetch {
	struct codec_fetch_ack ack;
	uint8_t *data; /* all parts, back to back (streaming: the first three) */
	size_t req_len, skips_len, recs_len;
	/* streaming: where ow_fetch_next() is; private */
	struct ow_recbuf *rb;
	size_t pos, n;
	uint32_t begin_seq, end_seq, left;
};
int ow_store_fetch(struct ow_store *st, const struct codec_fetch_session *f, struct ow_fetch *out);
/*
 * The same answer with the records part not built: data holds the
 * reproduction and the skip ranges part only, and the records (ack.
 * num_records of them, recs_len octets once encoded) come from
 * ow_fetch_next() in any number of steps, so that a Fetch-Session of a
 * million records costs no more than the step the caller encodes.  The
 * records are those stored at this call, read in place: the answer holds
 * them (a Stop-Sessions meanwhile rewrites a copy, an expiry leaves them to
 * the answer) until ow_fetch_free().
 */
int ow_store_fetch_stream(struct ow_store *st, const struct codec_fetch_session *f,
			  struct ow_fetch *out);
/* The next up to @max records of a streaming answer into @out; 0 when all were given. */
uint32_t ow_fetch_next(struct ow_fetch *f, struct codec_ow_record *out, uint32_t max);
void ow_fetch_free(struct ow_fetch *f);

/* Frees sessions that ended more than keep_ns before now; returns how many. */
unsigned int ow_store_expire(struct ow_store *st, uint64_t now_ns);
/* When ow_store_expire() has work next (UINT64_MAX: none). */
uint64_t ow_store_deadline(const struct ow_store *st);

/* Counters and look-ups for logs, tests and the daemon's status. */
unsigned int ow_store_nsessions(const struct ow_store *st);
uint64_t ow_store_nrecords(const struct ow_store *st); /* reserved, over all sessions */
uint64_t ow_store_dropped(const struct ow_store *st);
/* -ENOENT or the state; *nrec = records stored so far when not NULL. */
int ow_store_state(const struct ow_store *st, const uint8_t sid[XW_SID_LEN], size_t *nrec);

#endif /* XW_OWSTORE_H */
