// SPDX-License-Identifier: GPL-2.0-only
/*
 * OWAMP session data at the receiver (control/owstore.h): records, the
 * normal end with lost-packet records at their scheduled send times
 * (RFC 4656 3.8, 3.9), the Timeout discard of 3.8, Fetch-Session with the
 * complete and partial ranges while running, after a normal and after an
 * abnormal end, the bounds (Accept 4), and the retention after the end.
 */
#include <errno.h>
#include <string.h>

#include "t.h"
#include "codec.h"
#include "owstore.h"
#include "xwamp/wire.h"

#define SEC	(1ull << 32)
#define T0	(3900000000ull * SEC) /* session Start Time (NTP) */
#define TENTH	0x1999999aull	      /* fixed slot: 0.1 s */
#define KEEP_NS (60ull * 1000000000ull)
#define RECV_EE 0x8003

static const uint8_t SID[16] = {192, 0, 2, 2, 0xee, 1, 2, 3, 4, 5, 6, 7, 9, 9, 9, 9};
static const struct ow_store_cfg CFG = {
	.max_records = 1000, .max_total = 2000, .max_sessions = 4, .keep_ns = KEEP_NS};

/* A Request-Session as the reproduction shows it: SID and ports filled in. */
static size_t make_req(uint8_t *buf, size_t cap, const uint8_t sid[16], uint32_t npkt,
		       uint64_t timeout)
{
	static const struct codec_ow_slot slot = {CODEC_SLOT_FIXED, TENTH};
	struct codec_request_session m = {0};
	int n;

	m.f.ipvn = 4;
	m.f.conf_receiver = 1;
	m.f.num_slots = 1;
	m.f.num_packets = npkt;
	m.f.sender_port = 9000;
	m.f.receiver_port = 9001;
	memcpy(m.f.sid, sid, 16);
	m.f.start_time = T0;
	m.f.timeout = timeout;
	m.slots = &slot;
	n = codec_request_session_encode(&m, buf, cap);
	return n > 0 ? (size_t)n : 0;
}

static struct codec_ow_record rx(uint32_t seq, uint8_t ttl)
{
	/* sent on schedule (seq + 1) tenths after T0, received 5 ms later */
	uint64_t send = T0 + (uint64_t)(seq + 1) * TENTH;

	return (struct codec_ow_record){seq, 0x8001, RECV_EE, send, send + SEC / 200, ttl};
}

static void add(struct ow_store *st, const uint32_t *seqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct codec_ow_record r = rx(seqs[i], 64);

		CHECK_EQ(ow_store_add(st, SID, &r), 0);
	}
}

TEST(normal_end_lost_records_and_fetch)
{
	static const uint32_t seqs[] = {0, 1, 2, 4, 3, 3, 6};
	static const struct codec_ow_skip skip = {7, 7};
	struct codec_fetch_session all = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	struct ow_store *st = ow_store_new(&CFG);
	uint8_t req[256];
	size_t rl = make_req(req, sizeof(req), SID, 10, 2 * SEC), i;
	struct ow_fetch f;
	struct codec_ow_record r;
	struct codec_request_session rs;
	struct codec_ow_skip s;

	CHECK(st && rl);
	CHECK_EQ(ow_store_open(st, req, rl, 0), 0);
	add(st, seqs, 7);
	/* 9 sent (7 skipped), Stop long after the Timeout of the last */
	CHECK_EQ(ow_store_stop(st, SID, 9, &skip, 1, T0 + 10 * SEC, RECV_EE, 1000), 0);
	memcpy(all.sid, SID, 16);
	CHECK_EQ(ow_store_fetch(st, &all, &f), 0);
	CHECK_EQ(f.ack.accept, 0);
	CHECK_EQ(f.ack.finished, 1);
	CHECK_EQ(f.ack.next_seqno, 9);
	CHECK_EQ(f.ack.num_skips, 1);
	CHECK_EQ(f.ack.num_records, 9); /* 7 arrivals + lost 5 and 8 */
	CHECK_EQ(f.req_len, rl);
	CHECK_MEM(f.data, req, rl);
	CHECK_EQ(codec_request_session_decode(&rs, f.data, f.req_len), 0);
	CHECK_EQ(f.skips_len, 16 + 16);
	codec_ow_skip_at(f.data + rl, 0, &s);
	CHECK_EQ(s.first, 7);
	CHECK_EQ(s.last, 7);
	CHECK_EQ(f.recs_len, CODEC_OW_RECORDS_PART_LEN(9));
	for (i = 0; i < 7; i++) {
		codec_ow_record_decode(&r, f.data + rl + f.skips_len + i * 25);
		CHECK_EQ(r.seq, seqs[i]); /* arrival order */
		CHECK_EQ(r.ttl, 64);
	}
	/* RFC 4656 3.9 lost-packet records: presumed send time, EE 1/64/0, recv 0, TTL 255 */
	codec_ow_record_decode(&r, f.data + rl + f.skips_len + 7 * 25);
	CHECK_EQ(r.seq, 5);
	CHECK_EQ(r.send_ts, T0 + 6 * TENTH);
	CHECK_EQ(r.send_errest, 0x4001);
	CHECK_EQ(r.recv_errest, RECV_EE);
	CHECK_EQ(r.recv_ts, 0);
	CHECK_EQ(r.ttl, 255);
	codec_ow_record_decode(&r, f.data + rl + f.skips_len + 8 * 25);
	CHECK_EQ(r.seq, 8);
	CHECK_EQ(r.send_ts, T0 + 9 * TENTH);
	ow_fetch_free(&f);

	/* a range: records 3..5 (both copies of 3, and the lost 5) */
	all.begin_seq = 3;
	all.end_seq = 5;
	CHECK_EQ(ow_store_fetch(st, &all, &f), 0);
	CHECK_EQ(f.ack.num_records, 4);
	ow_fetch_free(&f);

	/* the data outlives the connection that made it: kept keep_ns after the end */
	CHECK_EQ(ow_store_expire(st, 1000 + KEEP_NS - 1), 0);
	CHECK_EQ(ow_store_deadline(st), 1000 + KEEP_NS);
	CHECK_EQ(ow_store_expire(st, 1000 + KEEP_NS), 1);
	CHECK_EQ(ow_store_fetch(st, &all, &f), 0);
	CHECK_EQ(f.ack.accept, XW_ACCEPT_FAILURE);
	CHECK_EQ(ow_store_nrecords(st), 0);
	ow_store_free(st);
}

TEST(fetch_while_running_and_unknown_sid)
{
	static const uint32_t seqs[] = {0, 1, 2, 3};
	struct codec_fetch_session q = {1, 2, {0}};
	struct ow_store *st = ow_store_new(&CFG);
	uint8_t req[256];
	size_t rl = make_req(req, sizeof(req), SID, 10, 2 * SEC);
	struct ow_fetch f;

	CHECK_EQ(ow_store_open(st, req, rl, 0), 0);
	add(st, seqs, 4);
	memcpy(q.sid, SID, 16);
	/* partial: what arrived so far in the range; Finished 0, Next Seqno 0 */
	CHECK_EQ(ow_store_fetch(st, &q, &f), 0);
	CHECK_EQ(f.ack.accept, 0);
	CHECK_EQ(f.ack.finished, 0);
	CHECK_EQ(f.ack.next_seqno, 0);
	CHECK_EQ(f.ack.num_records, 2);
	ow_fetch_free(&f);
	/* complete, while running: denied (RFC 4656 3.9) */
	q.begin_seq = CODEC_FETCH_ALL_BEGIN;
	q.end_seq = CODEC_FETCH_ALL_END;
	CHECK_EQ(ow_store_fetch(st, &q, &f), 0);
	CHECK_EQ(f.ack.accept, XW_ACCEPT_FAILURE);
	CHECK(f.data == NULL);
	/* unknown SID */
	q.sid[0] ^= 1;
	CHECK_EQ(ow_store_fetch(st, &q, &f), 0);
	CHECK_EQ(f.ack.accept, XW_ACCEPT_FAILURE);
	ow_store_free(st);
}

TEST(stop_that_disagrees_invalidates)
{
	static const uint32_t seqs[] = {0, 1, 5};
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	struct ow_store *st = ow_store_new(&CFG);
	uint8_t req[256];
	size_t rl = make_req(req, sizeof(req), SID, 10, 2 * SEC);
	struct ow_fetch f;

	CHECK_EQ(ow_store_open(st, req, rl, 0), 0);
	add(st, seqs, 3);
	/* the sender says it sent 0..3, but 5 arrived: RFC 4656 3.8 invalidates */
	CHECK_EQ(ow_store_stop(st, SID, 4, NULL, 0, T0 + 10 * SEC, RECV_EE, 5), -EBADMSG);
	CHECK_EQ(ow_store_state(st, SID, NULL), OW_SESS_ABORTED);
	memcpy(q.sid, SID, 16);
	CHECK_EQ(ow_store_fetch(st, &q, &f), 0);
	CHECK_EQ(f.ack.accept, XW_ACCEPT_FAILURE);
	/* a second Stop for it is refused, and records no longer enter */
	CHECK_EQ(ow_store_stop(st, SID, 10, NULL, 0, T0 + 10 * SEC, RECV_EE, 5), -EALREADY);
	{
		struct codec_ow_record r = rx(6, 64);

		CHECK_EQ(ow_store_add(st, SID, &r), -ENOENT);
	}
	ow_store_free(st);

	/* more packets than requested: invalid as well */
	st = ow_store_new(&CFG);
	CHECK_EQ(ow_store_open(st, req, rl, 0), 0);
	CHECK_EQ(ow_store_stop(st, SID, 11, NULL, 0, T0 + 10 * SEC, RECV_EE, 5), -EBADMSG);
	ow_store_free(st);
}

/* RFC 4656 3.8: records sent within Timeout before the Stop are discarded, not lost. */
TEST(stop_discards_records_within_timeout)
{
	static const uint32_t seqs[] = {0, 1, 2, 3, 4, 5, 6, 7};
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	struct ow_store *st = ow_store_new(&CFG);
	uint8_t req[256];
	size_t rl = make_req(req, sizeof(req), SID, 10, SEC / 2), i;
	struct ow_fetch f;
	struct codec_ow_record r;

	CHECK_EQ(ow_store_open(st, req, rl, 0), 0);
	add(st, seqs, 8);
	/* Stop at T0 + 0.95 s with Timeout 0.5 s: sends after T0 + 0.45 s go (seq >= 4) */
	CHECK_EQ(ow_store_stop(st, SID, 10, NULL, 0, T0 + 95 * SEC / 100, RECV_EE, 5), 0);
	memcpy(q.sid, SID, 16);
	CHECK_EQ(ow_store_fetch(st, &q, &f), 0);
	CHECK_EQ(f.ack.num_records, 4);
	for (i = 0; i < 4; i++) {
		codec_ow_record_decode(&r, f.data + f.req_len + f.skips_len + i * 25);
		CHECK_EQ(r.seq, i);
		CHECK(!codec_ow_record_lost(&r));
	}
	ow_fetch_free(&f);
	ow_store_free(st);
}

TEST(bounds_give_accept_4_and_duplicates_are_capped)
{
	struct ow_store_cfg cfg = CFG;
	struct ow_store *st;
	uint8_t req[256], sid2[16];
	size_t rl;
	int i, dropped = 0;

	cfg.max_records = 100;
	cfg.max_total = 150;
	cfg.max_sessions = 2;
	st = ow_store_new(&cfg);
	/* 85 packets + 21 for duplicates > 100 per session */
	rl = make_req(req, sizeof(req), SID, 85, SEC);
	CHECK_EQ(ow_store_open(st, req, rl, 0), -ENOSPC);
	/* 80 + 20 = 100 fits; a second one does not fit the total of 150 */
	rl = make_req(req, sizeof(req), SID, 80, SEC);
	CHECK_EQ(ow_store_open(st, req, rl, 0), 0);
	CHECK_EQ(ow_store_open(st, req, rl, 0), -EEXIST);
	memcpy(sid2, SID, 16);
	sid2[15] = 1;
	rl = make_req(req, sizeof(req), sid2, 80, SEC);
	CHECK_EQ(ow_store_open(st, req, rl, 0), -ENOSPC);
	rl = make_req(req, sizeof(req), sid2, 30, SEC);
	CHECK_EQ(ow_store_open(st, req, rl, 0), 0); /* 30 + 16 = 46: 146 <= 150 */
	sid2[15] = 2;
	rl = make_req(req, sizeof(req), sid2, 1, SEC);
	CHECK_EQ(ow_store_open(st, req, rl, 0), -ENOSPC); /* max_sessions */
	/* a flood of duplicates stops at the reservation (100), counted */
	for (i = 0; i < 150; i++) {
		struct codec_ow_record r = rx(1, 64);

		dropped += ow_store_add(st, SID, &r) == -ENOSPC;
	}
	CHECK_EQ(dropped, 50);
	CHECK_EQ(ow_store_dropped(st), 50);
	ow_store_free(st);
}

/*
 * A streaming Fetch-Session answer (ow_store_fetch_stream) reads the
 * records in place and holds them: a Stop-Sessions meanwhile (which
 * discards and appends records, RFC 4656 3.8) rewrites a copy, an expiry
 * meanwhile frees the session but not them, and records arriving after the
 * fetch are not in it (Number of Records was told in the Fetch-Ack).
 */
TEST(streaming_answer_holds_its_records)
{
	static const uint32_t seqs[] = {0, 1, 2, 3, 4, 5};
	struct codec_fetch_session q = {1, 4, {0}};
	struct ow_store *st = ow_store_new(&CFG);
	uint8_t req[256];
	size_t rl = make_req(req, sizeof(req), SID, 10, 2 * SEC);
	struct ow_fetch f, g;
	struct codec_ow_record r[8];
	uint32_t i;

	CHECK_EQ(ow_store_open(st, req, rl, 0), 0);
	add(st, seqs, 6);
	memcpy(q.sid, SID, 16);
	CHECK_EQ(ow_store_fetch_stream(st, &q, &f), 0);
	CHECK_EQ(f.ack.num_records, 4);
	CHECK_EQ(f.recs_len, CODEC_OW_RECORDS_PART_LEN(4));
	CHECK_EQ(ow_fetch_next(&f, r, 1), 1);
	CHECK_EQ(r[0].seq, 1);
	add(st, seqs, 1); /* a duplicate of 0 after the fetch */
	/* Next Seqno 6, Stop at T0 + 0.65 s with a Timeout of 2 s: every record was
	 * sent within Timeout before the Stop and is discarded (RFC 4656 3.8) */
	CHECK_EQ(ow_store_stop(st, SID, 6, NULL, 0, T0 + 65 * SEC / 100, RECV_EE, 100), 0);
	CHECK_EQ(ow_store_state(st, SID, NULL), OW_SESS_FINISHED);
	/* a second, whole answer sees the store's new records: none in 1..4 */
	q.begin_seq = CODEC_FETCH_ALL_BEGIN;
	q.end_seq = CODEC_FETCH_ALL_END;
	CHECK_EQ(ow_store_fetch(st, &q, &g), 0);
	CHECK_EQ(g.ack.num_records, 0);
	ow_fetch_free(&g);
	/* the session expires; the first answer goes on from its own records */
	CHECK_EQ(ow_store_expire(st, 100 + KEEP_NS), 1);
	CHECK_EQ(ow_store_nsessions(st), 0);
	CHECK_EQ(ow_fetch_next(&f, r, 8), 3);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(r[i].seq, i + 2);
		CHECK_EQ(r[i].ttl, 64);
		CHECK_EQ(r[i].recv_ts, rx(i + 2, 64).recv_ts);
	}
	CHECK_EQ(ow_fetch_next(&f, r, 8), 0);
	ow_fetch_free(&f);
	ow_store_free(st);
}
