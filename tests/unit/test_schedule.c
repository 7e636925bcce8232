// SPDX-License-Identifier: GPL-2.0-only
/*
 * The send schedules (control/schedule.h):
 * RFC 4656 5.1/5.2 algorithm S on chosen uniform numbers, the Poisson
 * stream's mean and spread, the periodic stream, and absolute deadlines
 * that do not drift.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "t.h"
#include "crypto.h"
#include "schedule.h"

/* A uniform source that plays back a fixed list. */
struct seq {
	const uint32_t *v;
	unsigned int n, i;
};

static uint32_t seq_next(void *arg)
{
	struct seq *s = arg;

	return s->i < s->n ? s->v[s->i++] : 0;
}

#define ONE_S (1ull << 32)

TEST(algorithm_s_immediate_acceptance)
{
	/* U = .0xxx: j = 0, U <- bits after the zero; U = 0 -> X = 0 */
	uint32_t a[] = {0x00000000};
	struct seq s = {a, 1, 0};

	CHECK_EQ(xw_exp_variate(ONE_S, seq_next, &s), 0);
	/* U = .10 0..: j = 1, shifted U = 0 -> X = mu * ln2 */
	uint32_t b[] = {0x80000000};
	struct seq t = {b, 1, 0};

	CHECK_EQ(xw_exp_variate(ONE_S, seq_next, &t), 0xB17217F8ull);
	/* j = 2, then U = 0x40000000 (< ln2) after shifting off "110": X = 2 ln2 + 0.25 */
	uint32_t c[] = {0xC8000000};
	struct seq u = {c, 1, 0};

	CHECK_EQ(xw_exp_variate(ONE_S, seq_next, &u), 2 * 0xB17217F8ull + 0x40000000ull);
	CHECK_EQ(u.i, 1);
}

TEST(algorithm_s_minimum_branch)
{
	/*
	 * U = 0x7C000000: j = 0, shifted U = 0xF8000000 >= Q[1] (0xB17217F8),
	 * < Q[3] (0xFD271862) but >= Q[2] (0xEEF193F7) -> k = 3 more uniforms,
	 * V = their minimum; X = mu * (0 + V) * ln2.
	 */
	uint32_t a[] = {0x7C000000, 0x90000000, 0x20000000, 0x50000000, 0x11111111};
	struct seq s = {a, 5, 0};
	uint64_t x = xw_exp_variate(ONE_S, seq_next, &s);

	CHECK_EQ(s.i, 4); /* the first U and exactly k = 3 others */
	CHECK_EQ(x, (0x20000000ull * 0xB17217F8ull) >> 32);
}

TEST(algorithm_s_all_ones)
{
	uint32_t a[] = {0xFFFFFFFF};
	struct seq s = {a, 1, 0};

	/* RFC 4656 5.1 S1 note: no zero bit -> mu * 32 * ln2 */
	CHECK_EQ(xw_exp_variate(ONE_S, seq_next, &s), 32 * 0xB17217F8ull);
}

TEST(poisson_mean_and_spread)
{
	struct xw_sched s;
	const int n = 200000;
	double sum = 0, sumsq = 0, mean, sd;
	uint64_t prev, t;
	int i, below = 0;

	xw_sched_init(&s, XW_SCHED_POISSON, 100000000 /* 0.1 s */, 42, 0);
	prev = xw_sched_next(&s);
	CHECK_EQ(prev, 0);
	for (i = 0; i < n; i++) {
		double g;

		t = xw_sched_next(&s);
		CHECK(t >= prev);
		g = (double)(t - prev) / 1e9;
		sum += g;
		sumsq += g * g;
		if (g < 0.1 * log(2))
			below++;
		prev = t;
	}
	mean = sum / n;
	sd = sqrt(sumsq / n - mean * mean);
	/* exponential: mean = sd = 0.1 s; the median is mean * ln2 */
	CHECK_NEAR(mean, 0.1, 0.002);
	CHECK_NEAR(sd, 0.1, 0.003);
	CHECK_NEAR((double)below / n, 0.5, 0.01);
}

TEST(poisson_seed_replays)
{
	struct xw_sched a, b, c;
	int i, differ = 0;

	xw_sched_init(&a, XW_SCHED_POISSON, 10000000, 7, 1000);
	xw_sched_init(&b, XW_SCHED_POISSON, 10000000, 7, 1000);
	xw_sched_init(&c, XW_SCHED_POISSON, 10000000, 8, 1000);
	for (i = 0; i < 100; i++) {
		uint64_t ta = xw_sched_next(&a), tc = xw_sched_next(&c);

		CHECK_EQ(ta, xw_sched_next(&b));
		differ += ta != tc;
	}
	CHECK(differ > 90);
}

TEST(periodic_does_not_drift)
{
	struct xw_sched s;
	uint64_t t = 0;
	int i;

	/* 1/3 ms is not a whole number of 2^-32 s: rounding must not add up */
	xw_sched_init(&s, XW_SCHED_PERIODIC, 333333, 0, 5000000000ull);
	for (i = 0; i <= 300000; i++)
		t = xw_sched_next(&s);
	/* 300000 gaps of 333333 ns = 99.9999 s, within 1 ns */
	CHECK_NEAR((double)(t - 5000000000ull), 300000.0 * 333333, 1.0);
}

/* ---- OWAMP schedules against the reference captures ----------------------- */

#include "codec.h"
#include "pcap.h"
#include "xwamp/wire.h"

/*
 * Every open-mode OWAMP capture: each session's send times, computed from
 * its SID, slots and Start Time (RFC 4656 5), must match the Timestamp of
 * every test packet sent, to within the sender's wake-up latency.  The
 * exponential delays have a mean of 0.1 s, so a generator that differs in
 * one bit of the 5.3 counter or of algorithm S misses by tens of ms.
 */
static void owamp_schedule_capture(const char *file, int nsessions)
{
	struct xw_pcap pc;
	const uint8_t *c2s, *s2c;
	size_t coff = XW_SETUP_RESPONSE_LEN, soff = XW_GREETING_LEN + XW_SERVER_START_LEN;
	int k, checked = 0;

	CHECK_EQ(xw_pcap_open_capture(&pc, file), 0);
	if (t_failed())
		return;
	c2s = pc.dir[XW_PCAP_C2S].data;
	s2c = pc.dir[XW_PCAP_S2C].data;
	for (k = 0; k < nsessions; k++) {
		struct codec_request_session rs;
		struct codec_accept_session acc;
		struct codec_ow_slot slots[4];
		struct xw_ow_sched sch;
		uint16_t sport, dport;
		uint32_t i, seq;
		size_t u;
		int n = codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, c2s + coff, 16);

		CHECK(n > 0);
		CHECK_EQ(codec_request_session_decode(&rs, c2s + coff, (size_t)n), 0);
		CHECK(rs.f.num_slots <= 4);
		if (t_failed())
			break;
		coff += (size_t)n;
		CHECK_EQ(codec_accept_session_decode(&acc, XW_MODE_OPEN, s2c + soff, 48), 0);
		soff += 48;
		CHECK_EQ(acc.accept, 0);
		for (i = 0; i < rs.f.num_slots; i++)
			codec_ow_slot_at(&rs, i, &slots[i]);
		/* RFC 4656 3.5: the receiving side chooses the SID */
		CHECK_EQ(xw_ow_sched_init(&sch, rs.f.conf_receiver ? acc.sid : rs.f.sid, slots,
					  rs.f.num_slots, rs.f.start_time),
			 0);
		/* the test packets of this session: to the server (Port) or from it */
		sport = rs.f.conf_receiver ? rs.f.sender_port : acc.port;
		dport = rs.f.conf_receiver ? acc.port : rs.f.receiver_port;
		for (u = 0, seq = 0; u < pc.n_udp; u++) {
			const struct xw_pcap_udp *p = &pc.udp[u];
			uint64_t want, got;
			int64_t d;

			if (p->sport != sport || p->dport != dport)
				continue;
			CHECK_EQ(get_be32(p->data), seq);
			want = xw_ow_sched_next(&sch);
			got = get_be64(p->data + 4);
			d = (int64_t)(got - want);
			/* sent after its time, and within 2 ms of it */
			if (d < 0 || d > (int64_t)(0.002 * 4294967296.0))
				fprintf(stderr,
					"%s: session %d seq %u: sent %lld/2^32 s after schedule\n",
					file, k, seq, (long long)d);
			CHECK(d >= 0 && d < (int64_t)(0.002 * 4294967296.0));
			seq++;
			checked++;
		}
		CHECK_EQ(seq, rs.f.num_packets);
		/* the time of a past packet is recomputed the same */
		CHECK_EQ(xw_ow_sched_time_of(&sch, 1), xw_ow_sched_time_of(&sch, 1));
		xw_ow_sched_fini(&sch);
	}
	CHECK_EQ(checked, 5 * nsessions);
	xw_pcap_close(&pc);
}

TEST(owamp_schedule_matches_reference_both_directions)
{
	owamp_schedule_capture("perfsonar-owamp-open.pcap", 2);
}

TEST(owamp_schedule_matches_reference_to_and_from)
{
	owamp_schedule_capture("perfsonar-owamp-open-to.pcap", 1);
	owamp_schedule_capture("perfsonar-owamp-open-from.pcap", 1);
}

TEST(owamp_schedule_circular_slots_and_rejections)
{
	static const struct codec_ow_slot pair[2] = {{CODEC_SLOT_FIXED, ONE_S / 2},
						     {CODEC_SLOT_FIXED, 0}};
	static const struct codec_ow_slot bad = {2, ONE_S};
	static const uint8_t sid[16] = {1};
	struct xw_ow_sched s;
	uint64_t t0 = 1000ull << 32;

	/* back-to-back pairs every 0.5 s: 0.5, 0.5, 1.0, 1.0, 1.5 ... */
	CHECK_EQ(xw_ow_sched_init(&s, sid, pair, 2, t0), 0);
	CHECK_EQ(xw_ow_sched_next(&s), t0 + ONE_S / 2);
	CHECK_EQ(xw_ow_sched_next(&s), t0 + ONE_S / 2);
	CHECK_EQ(xw_ow_sched_next(&s), t0 + ONE_S);
	CHECK_EQ(xw_ow_sched_next(&s), t0 + ONE_S);
	CHECK_EQ(xw_ow_sched_time_of(&s, 4), t0 + 3 * ONE_S / 2);
	CHECK_EQ(xw_ow_sched_time_of(&s, 0), t0 + ONE_S / 2);
	xw_ow_sched_fini(&s);
	CHECK_EQ(xw_ow_sched_init(&s, sid, pair, 0, t0), -EINVAL);
	CHECK_EQ(xw_ow_sched_init(&s, sid, &bad, 1, t0), -EINVAL);
}

/* RFC 4656 5.3: words 0..3 of E(0), then of E(4) (the counter counts words). */
TEST(owamp_unif_counter_mode)
{
	static const uint8_t sid[16] = {0x7f, 0, 0, 1, 0xee};
	uint8_t blk[16] = {0}, e0[16], e4[16];
	struct xw_unif u;
	struct xw_aes *a = xw_aes_new(sid);
	int i;

	CHECK(a != NULL);
	CHECK_EQ(xw_aes_ecb_encrypt(a, blk, e0, 16), 0);
	blk[15] = 4;
	CHECK_EQ(xw_aes_ecb_encrypt(a, blk, e4, 16), 0);
	xw_aes_free(a);
	CHECK_EQ(xw_unif_init(&u, sid), 0);
	for (i = 0; i < 4; i++)
		CHECK_EQ(xw_unif_next(&u), get_be32(e0 + 4 * i));
	for (i = 0; i < 4; i++)
		CHECK_EQ(xw_unif_next(&u), get_be32(e4 + 4 * i));
	xw_unif_fini(&u);
}
