// SPDX-License-Identifier: GPL-2.0-only
/*
 * One-way statistics from OWAMP session data (control/stats.h
 * xw_stats_from_owamp()): the records perfsonar-owamp-open-to.pcap fetched,
 * and hand-made sessions with skip ranges, lost-packet records, duplicates,
 * reordering, TTLs and both kinds of Error Estimate.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "t.h"
#include "codec.h"
#include "pcap.h"
#include "stats.h"
#include "xwamp/ntp.h"

#define S_BIT	   0x8000
#define NTP_MS(ms) (((__u64)(ms) << 32) / 1000)

static struct codec_ow_record rec(__u32 seq, __u64 send_ms, __u64 recv_ms, __u8 ttl, __u16 ee)
{
	struct codec_ow_record r = {seq, ee, ee, (1000ull << 32) + NTP_MS(send_ms), 0, ttl};

	if (recv_ms)
		r.recv_ts = (1000ull << 32) + NTP_MS(recv_ms);
	return r;
}

TEST(fetched_records_of_the_capture)
{
	struct xw_pcap pc;
	struct codec_ow_record r[5];
	struct xw_stats_session *s = xw_stats_new();
	struct xw_stats_result res;
	struct xw_ow_summary sum;
	double want_min = 1e18, d;
	size_t off, i;

	CHECK(s != NULL);
	CHECK_EQ(xw_pcap_open_capture(&pc, "perfsonar-owamp-open-to.pcap"), 0);
	if (t_failed())
		return;
	/* s2c: greeting, Server-Start, Accept, Start-Ack, Stop, Fetch-Ack, repro, skips, records */
	off = 64 + 48 + 48 + 32 + 32 + 32 + 144 + 16;
	CHECK_EQ(pc.dir[XW_PCAP_S2C].len, off + 144);
	for (i = 0; i < 5; i++) {
		codec_ow_record_decode(&r[i], pc.dir[XW_PCAP_S2C].data + off + i * 25);
		d = (double)(xw_ntp_to_ns(r[i].recv_ts) - xw_ntp_to_ns(r[i].send_ts));
		if (d < want_min)
			want_min = d;
	}
	CHECK_EQ(xw_stats_from_owamp(s, r, 5, 5, NULL, 0, &sum), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &res), 0);
	CHECK_EQ(sum.expected, 5);
	CHECK_EQ(res.sent, 5);
	CHECK_EQ(res.received, 5);
	CHECK_EQ(res.lost, 0);
	CHECK_EQ(res.duplicates, 0);
	CHECK_EQ(res.reordered, 0);
	CHECK_EQ(res.fwd.delay.n, 5);
	CHECK_NEAR(res.fwd.delay.min, want_min, 1.0);
	CHECK(res.fwd.delay.min > 0 && res.fwd.delay.max < 1e9); /* one host: positive, < 1 s */
	/* README: Error Estimate 0x0001 everywhere: S bit clear, so unsynchronized */
	CHECK_EQ(res.unsync, 1);
	CHECK_EQ(res.n_unsync, 5);
	CHECK_EQ(sum.ttl_min, 255);
	CHECK_EQ(sum.hops_max, 0);
	xw_stats_free(s);
	xw_pcap_close(&pc);
}

/*
 * Next Seqno 10, packets 3..4 skipped; arrivals 0 1 2 6 5 5(dup) 7, a
 * lost-packet record for 8, nothing at all for 9.
 */
TEST(skips_loss_duplicates_reordering_ttl)
{
	struct codec_ow_record r[] = {
		rec(0, 0, 10, 250, S_BIT | 1),	  rec(1, 100, 112, 250, S_BIT | 1),
		rec(2, 200, 209, 251, S_BIT | 1), rec(6, 600, 615, 249, S_BIT | 1),
		rec(5, 500, 616, 250, S_BIT | 1), rec(5, 500, 617, 250, S_BIT | 1),
		rec(7, 700, 711, 250, S_BIT | 1), rec(8, 800, 0, 255, CODEC_OW_LOST_ERREST),
	};
	static const struct codec_ow_skip skips[] = {{3, 4}};
	struct xw_stats_session *s = xw_stats_new();
	struct xw_stats_result res;
	struct xw_ow_summary sum;

	CHECK(s != NULL);
	CHECK_EQ(xw_stats_from_owamp(s, r, sizeof(r) / sizeof(r[0]), 10, skips, 1, &sum), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &res), 0);
	CHECK_EQ(sum.skipped, 2);
	CHECK_EQ(sum.expected, 8);
	CHECK_EQ(sum.lost_records, 1);
	CHECK_EQ(res.sent, 8);	   /* skipped packets were never sent: not lost */
	CHECK_EQ(res.received, 6); /* 0 1 2 5 6 7 */
	CHECK_EQ(res.lost, 2);	   /* 8 (record) and 9 (none) */
	CHECK_EQ(res.duplicates, 1);
	CHECK_EQ(res.reordered, 1); /* 5 after 6 (RFC 4737 3.3) */
	CHECK_EQ(res.max_extent, 1);
	CHECK_EQ(res.unsync, 0); /* S bit on both ends */
	CHECK_EQ(res.fwd.delay.n, 6);
	CHECK_NEAR(res.fwd.delay.min, 9e6, 2.0);
	CHECK_NEAR(res.fwd.delay.max, 116e6, 2.0); /* the first copy of 5 */
	CHECK_EQ(sum.ttl_min, 249);
	CHECK_EQ(sum.ttl_max, 251);
	CHECK_EQ(sum.hops_min, 4);
	CHECK_EQ(sum.hops_max, 6);
	CHECK_NEAR(res.loss_ratio, 0.25, 1e-12);
	xw_stats_free(s);
}

TEST(unsync_when_either_error_estimate_says_so)
{
	struct codec_ow_record r[2] = {rec(0, 0, 10, 255, S_BIT | 1),
				       rec(1, 100, 110, 255, S_BIT | 1)};
	struct xw_stats_session *s = xw_stats_new();
	struct xw_stats_result res;
	struct xw_ow_summary sum;

	r[1].recv_errest = 1; /* only the receiver's clock is unsynchronized */
	CHECK_EQ(xw_stats_from_owamp(s, r, 2, 2, NULL, 0, &sum), 0);
	CHECK_EQ(xw_stats_compute(s, NULL, &res), 0);
	CHECK_EQ(res.unsync, 1);
	CHECK_EQ(res.n_unsync, 1);
	xw_stats_free(s);
}

/* RFC 4656 3.8: data that contradicts what the sender says it sent is invalid. */
TEST(records_beyond_next_seqno_or_in_skips_invalidate)
{
	struct codec_ow_record beyond[2] = {rec(0, 0, 10, 255, 1), rec(5, 500, 510, 255, 1)};
	struct codec_ow_record skipped[1] = {rec(3, 300, 310, 255, 1)};
	struct codec_ow_record lost_beyond[1] = {rec(7, 700, 0, 255, CODEC_OW_LOST_ERREST)};
	static const struct codec_ow_skip sk[] = {{2, 3}};
	struct xw_stats_session *s;
	struct xw_ow_summary sum;

	s = xw_stats_new();
	CHECK_EQ(xw_stats_from_owamp(s, beyond, 2, 5, NULL, 0, &sum), -EBADMSG);
	xw_stats_free(s);
	s = xw_stats_new();
	CHECK_EQ(xw_stats_from_owamp(s, skipped, 1, 5, sk, 1, &sum), -EBADMSG);
	xw_stats_free(s);
	/* a lost-packet record past the end is only a record too many */
	s = xw_stats_new();
	CHECK_EQ(xw_stats_from_owamp(s, lost_beyond, 1, 5, NULL, 0, &sum), 0);
	CHECK_EQ(sum.expected, 5);
	xw_stats_free(s);
}
