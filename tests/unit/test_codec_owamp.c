// SPDX-License-Identifier: GPL-2.0-only
/*
 * Golden bytes for every OWAMP-Control message (RFC 4656 3.5-3.9,
 * control/codec.h).
 *
 * perfsonar-owamp-open-to.pcap (owping -t, open mode: every octet in the
 * clear) holds Request-Session with its slot, Accept-Session, Start-Sessions,
 * Start-Ack, both Stop-Sessions (the server's with no record, the client's
 * with one), Fetch-Session, Fetch-Ack and the session data.  Each direction
 * is framed with codec_msg_len() (at every prefix length), each message
 * decoded, its fields checked against the capture's README and re-encoded to
 * the same bytes.  Messages the capture lacks (skip ranges, several
 * records, IPv6, fixed slots, rejected Fetch-Ack) have golden hex written
 * from the RFC diagrams.  Then every rejection the codec promises.
 */
#include <errno.h>
#include <string.h>

#include "t.h"
#include "pcap.h"
#include "codec.h"
#include "xwamp/wire.h"

static const uint8_t LOOPBACK[4] = {127, 0, 0, 1};
static const uint8_t ZERO16[16];

/* Length of the next message, and the same answer (or "need more") at every shorter prefix. */
static int framed_len(enum codec_msg type, const uint8_t *p, size_t avail)
{
	int n = codec_msg_len(type, p, avail), k, m;

	for (k = 0; n > 0 && k < n && (size_t)k <= avail; k++) {
		m = codec_msg_len(type, p, (size_t)k);
		if (m != 0 && m != n)
			return -EPROTO;
	}
	return n;
}

struct open_to {
	struct xw_pcap pc;
	const uint8_t *c2s, *s2c;
	size_t c2s_len, s2c_len;
};

static int load_open_to(struct open_to *o)
{
	memset(o, 0, sizeof(*o));
	if (xw_pcap_open_capture(&o->pc, "perfsonar-owamp-open-to.pcap"))
		return -1;
	o->c2s = o->pc.dir[XW_PCAP_C2S].data;
	o->c2s_len = o->pc.dir[XW_PCAP_C2S].len;
	o->s2c = o->pc.dir[XW_PCAP_S2C].data;
	o->s2c_len = o->pc.dir[XW_PCAP_S2C].len;
	return 0;
}

TEST(client_stream_from_capture)
{
	struct open_to o;
	struct codec_request_session rs;
	struct codec_ow_stop stop;
	struct codec_ow_stop_rec rec;
	struct codec_fetch_session fs;
	struct codec_ow_slot slot, slots[1];
	uint8_t out[256], sid[16];
	size_t off;
	int n;

	CHECK_EQ(load_open_to(&o), 0);
	if (t_failed())
		return;
	off = XW_SETUP_RESPONSE_LEN;

	/* Request-Session: 112 + one slot + HMAC */
	n = framed_len(CODEC_MSG_OW_CLIENT_COMMAND, o.c2s + off, o.c2s_len - off);
	CHECK_EQ(n, 144);
	CHECK_EQ(codec_request_session_decode(&rs, o.c2s + off, (size_t)n), 0);
	CHECK_EQ(rs.f.ipvn, 4);
	CHECK_EQ(rs.f.conf_sender, 0);	 /* -t: the client sends, */
	CHECK_EQ(rs.f.conf_receiver, 1); /* the server receives */
	CHECK_EQ(rs.f.num_slots, 1);
	CHECK_EQ(rs.f.num_packets, 5);
	CHECK_EQ(rs.f.sender_port, 9129);
	CHECK_EQ(rs.f.receiver_port, 0);
	CHECK_MEM(rs.f.sender_addr, LOOPBACK, 4);
	CHECK_MEM(rs.f.receiver_addr, LOOPBACK, 4);
	CHECK_MEM(rs.f.sid, ZERO16, 16); /* the receiver (server) chooses it */
	CHECK_EQ(rs.f.padding_len, 0);
	CHECK_EQ(rs.f.type_p, 0);
	CHECK_EQ(rs.f.timeout >> 32, 2); /* owping's default loss threshold, about 2 s */
	codec_ow_slot_at(&rs, 0, &slot);
	CHECK_EQ(slot.type, CODEC_SLOT_EXP);
	CHECK_EQ(slot.param, 0x199999a0ull); /* README: mean 0.1 s */
	slots[0] = slot;
	rs.slots = slots;
	CHECK_EQ(codec_request_session_encode(&rs, out, sizeof(out)), 144);
	CHECK_MEM(out, o.c2s + off, 144);
	off += 144;

	n = framed_len(CODEC_MSG_OW_CLIENT_COMMAND, o.c2s + off, o.c2s_len - off);
	CHECK_EQ(n, XW_START_SESSIONS_LEN);
	CHECK_EQ(codec_start_sessions_decode(o.c2s + off, (size_t)n), 0);
	off += (size_t)n;

	/* Stop-Sessions with the one send session the client controlled */
	n = framed_len(CODEC_MSG_OW_CLIENT_COMMAND, o.c2s + off, o.c2s_len - off);
	CHECK_EQ(n, 16 + 32 + 16);
	CHECK_EQ(codec_ow_stop_sessions_decode(&stop, o.c2s + off, (size_t)n), 0);
	CHECK_EQ(stop.accept, 0);
	CHECK_EQ(stop.num_sessions, 1);
	{
		size_t ro = 0;

		codec_ow_stop_rec_at(&stop, &ro, &rec);
		CHECK_EQ(ro, 32);
	}
	CHECK_EQ(rec.next_seqno, 5);
	CHECK_EQ(rec.num_skips, 0);
	CHECK_MEM(rec.sid, LOOPBACK, 4);
	memcpy(sid, rec.sid, 16);
	CHECK_EQ(codec_ow_stop_sessions_encode(0, &rec, 1, out, sizeof(out)), n);
	CHECK_MEM(out, o.c2s + off, (size_t)n);
	off += (size_t)n;

	/* Fetch-Session of the complete session */
	n = framed_len(CODEC_MSG_OW_CLIENT_COMMAND, o.c2s + off, o.c2s_len - off);
	CHECK_EQ(n, CODEC_FETCH_SESSION_LEN);
	CHECK_EQ(codec_fetch_session_decode(&fs, o.c2s + off, (size_t)n), 0);
	CHECK_EQ(fs.begin_seq, CODEC_FETCH_ALL_BEGIN);
	CHECK_EQ(fs.end_seq, CODEC_FETCH_ALL_END);
	CHECK_MEM(fs.sid, sid, 16);
	CHECK_EQ(codec_fetch_session_encode(&fs, out, sizeof(out)), n);
	CHECK_MEM(out, o.c2s + off, (size_t)n);
	off += (size_t)n;
	CHECK_EQ(off, o.c2s_len);
	xw_pcap_close(&o.pc);
}

TEST(server_stream_from_capture)
{
	struct open_to o;
	struct codec_accept_session acc;
	struct codec_start_ack sa;
	struct codec_ow_stop stop;
	struct codec_fetch_ack fa;
	struct codec_request_session rs;
	struct codec_ow_record rec[5];
	uint8_t out[256], sid[16];
	uint64_t prev_recv = 0;
	size_t off, i;
	int n;

	CHECK_EQ(load_open_to(&o), 0);
	if (t_failed())
		return;
	off = XW_GREETING_LEN + XW_SERVER_START_LEN;

	CHECK_EQ(codec_accept_session_decode(&acc, XW_MODE_OPEN, o.s2c + off, 48), 0);
	CHECK_EQ(acc.accept, 0);
	CHECK_EQ(acc.port, 40269);
	memcpy(sid, acc.sid, 16);
	CHECK_EQ(codec_accept_session_encode(&acc, XW_MODE_OPEN, out, sizeof(out)), 48);
	CHECK_MEM(out, o.s2c + off, 48); /* OWAMP's MBZ(12) = TWAMP's fields without RFC 6038 */
	off += 48;
	CHECK_EQ(codec_start_ack_decode(&sa, o.s2c + off, 32), 0);
	CHECK_EQ(sa.accept, 0);
	off += 32;

	/* the server's Stop-Sessions: it controlled no send session */
	n = framed_len(CODEC_MSG_OW_STOP_SESSIONS, o.s2c + off, o.s2c_len - off);
	CHECK_EQ(n, 32);
	CHECK_EQ(codec_ow_stop_sessions_decode(&stop, o.s2c + off, (size_t)n), 0);
	CHECK_EQ(stop.num_sessions, 0);
	CHECK_EQ(codec_ow_stop_sessions_encode(0, NULL, 0, out, sizeof(out)), 32);
	CHECK_MEM(out, o.s2c + off, 32);
	off += 32;

	n = framed_len(CODEC_MSG_FETCH_ACK, o.s2c + off, o.s2c_len - off);
	CHECK_EQ(n, CODEC_FETCH_ACK_LEN);
	CHECK_EQ(codec_fetch_ack_decode(&fa, o.s2c + off, (size_t)n), 0);
	CHECK_EQ(fa.accept, 0);
	CHECK(fa.finished != 0);
	CHECK_EQ(fa.next_seqno, 5);
	CHECK_EQ(fa.num_skips, 0);
	CHECK_EQ(fa.num_records, 5);
	CHECK_EQ(codec_fetch_ack_encode(&fa, out, sizeof(out)), n);
	CHECK_MEM(out, o.s2c + off, (size_t)n);
	off += (size_t)n;

	/* the reproduction of Request-Session, with the ports used and the SID */
	n = framed_len(CODEC_MSG_OW_CLIENT_COMMAND, o.s2c + off, o.s2c_len - off);
	CHECK_EQ(n, 144);
	CHECK_EQ(codec_request_session_decode(&rs, o.s2c + off, (size_t)n), 0);
	CHECK_EQ(rs.f.sender_port, 9129);
	CHECK_EQ(rs.f.receiver_port, 40269);
	CHECK_MEM(rs.f.sid, sid, 16);
	off += (size_t)n;

	/* no skip range: the part is its HMAC alone */
	CHECK_EQ(codec_ow_skips_part_encode(NULL, 0, out, sizeof(out)), 16);
	CHECK_MEM(out, o.s2c + off, 16);
	off += 16;

	/* 5 records of 25 octets, padded to 128, HMAC */
	CHECK_EQ(o.s2c_len - off, CODEC_OW_RECORDS_PART_LEN(5));
	CHECK_EQ(CODEC_OW_RECORDS_PART_LEN(5), 144);
	for (i = 0; i < 5; i++) {
		codec_ow_record_decode(&rec[i], o.s2c + off + i * CODEC_OW_RECORD_LEN);
		CHECK_EQ(rec[i].seq, i);
		CHECK_EQ(rec[i].send_errest, 0x0001);
		CHECK_EQ(rec[i].recv_errest, 0x0001);
		CHECK_EQ(rec[i].ttl, 255);
		CHECK(!codec_ow_record_lost(&rec[i]));
		CHECK(rec[i].send_ts < rec[i].recv_ts);
		CHECK(rec[i].recv_ts > prev_recv);
		prev_recv = rec[i].recv_ts;
	}
	CHECK_EQ(codec_ow_records_part_encode(rec, 5, out, sizeof(out)), 144);
	CHECK_MEM(out, o.s2c + off, 144);
	xw_pcap_close(&o.pc);
}

/* IPv6, both Conf bits, fixed + exponential slots (a Poisson stream of pairs). */
TEST(request_session_ipv6_two_slots_golden)
{
	static const char *golden =
		"01060101" /* 1, IPVN 6, Conf-Sender 1, Conf-Receiver 1 */
		"00000002" /* two slots */
		"000003e8" /* 1000 packets */
		"1f4a2710" /* ports 8010, 10000 */
		"20010db8000000000000000000000001"
		"20010db8000000000000000000000002"
		"00000000000000000000000000000000" /* SID: chosen by the server */
		"00000080"			   /* padding 128 */
		"eebfa6fe80000000"		   /* start time */
		"0000000300000000"		   /* timeout 3 s */
		"00000000"			   /* Type-P: DSCP 0 */
		"0000000000000000"		   /* MBZ */
		"00000000000000000000000000000000" /* HMAC */
		"00000000000000000000000033333333" /* exp, mean 0.2 s */
		"01000000000000000000000000000000" /* fixed, 0: back to back */
		"00000000000000000000000000000000";
	static const struct codec_ow_slot slots[2] = {{CODEC_SLOT_EXP, 0x33333333},
						      {CODEC_SLOT_FIXED, 0}};
	struct codec_request_session m = {0}, d;
	struct codec_ow_slot s;
	uint8_t want[CODEC_OW_REQUEST_LEN(2)], out[CODEC_OW_REQUEST_LEN(2)];

	CHECK_EQ(t_unhex(golden, want, sizeof(want)), (int)sizeof(want));
	m.f.ipvn = 6;
	m.f.conf_sender = 1;
	m.f.conf_receiver = 1;
	m.f.num_slots = 2;
	m.f.num_packets = 1000;
	m.f.sender_port = 8010;
	m.f.receiver_port = 10000;
	t_unhex("20010db8000000000000000000000001", m.f.sender_addr, 16);
	t_unhex("20010db8000000000000000000000002", m.f.receiver_addr, 16);
	m.f.padding_len = 128;
	m.f.start_time = 0xeebfa6fe80000000ull;
	m.f.timeout = 3ull << 32;
	m.slots = slots;
	CHECK_EQ(codec_request_session_encode(&m, out, sizeof(out)), (int)sizeof(out));
	CHECK_MEM(out, want, sizeof(want));
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, want, 16), (int)sizeof(want));
	/* non-zero Conf values read as 1; MBZ octets ignored */
	want[2] = 7;
	want[91] = 0x55;
	CHECK_EQ(codec_request_session_decode(&d, want, sizeof(want)), 0);
	CHECK_EQ(d.f.conf_sender, 1);
	CHECK_EQ(d.f.conf_receiver, 1);
	CHECK_MEM(d.f.receiver_addr, m.f.receiver_addr, 16);
	codec_ow_slot_at(&d, 1, &s);
	CHECK_EQ(s.type, CODEC_SLOT_FIXED);
	CHECK_EQ(s.param, 0);
	codec_ow_slot_at(&d, 0, &s);
	CHECK_EQ(s.param, 0x33333333);
}

TEST(request_session_rejections)
{
	static const struct codec_ow_slot slot = {CODEC_SLOT_EXP, 0x199999a0};
	struct codec_request_session m = {0}, d;
	uint8_t b[CODEC_OW_REQUEST_LEN(2)];

	m.f.ipvn = 4;
	m.f.conf_receiver = 1;
	m.f.num_slots = 1;
	m.slots = &slot;
	CHECK_EQ(codec_request_session_encode(&m, b, sizeof(b)), 144);
	CHECK_EQ(codec_request_session_decode(&d, b, 144), 0);
	/* wrong slot count: the length no longer matches */
	put_be32(b + 4, 2);
	CHECK_EQ(codec_request_session_decode(&d, b, 144), -EMSGSIZE);
	put_be32(b + 4, 0);
	CHECK_EQ(codec_request_session_decode(&d, b, 144), -EMSGSIZE);
	CHECK_EQ(codec_request_session_decode(&d, b, CODEC_OW_REQUEST_LEN(0)), -EBADMSG);
	put_be32(b + 4, CODEC_OW_SLOTS_MAX + 1);
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, 16), -EMSGSIZE);
	CHECK_EQ(codec_request_session_decode(&d, b, 144), -EMSGSIZE);
	put_be32(b + 4, 1);
	CHECK_EQ(codec_request_session_decode(&d, b, 143), -EMSGSIZE);
	/* neither agent to configure */
	b[3] = 0;
	CHECK_EQ(codec_request_session_decode(&d, b, 144), -EBADMSG);
	b[3] = 1;
	/* unknown slot type: Accept 3 */
	b[112] = 2;
	CHECK_EQ(codec_request_session_decode(&d, b, 144), -EOPNOTSUPP);
	b[112] = 0;
	/* IPVN 5 */
	b[1] = 5;
	CHECK_EQ(codec_request_session_decode(&d, b, 144), -EOPNOTSUPP);
	b[1] = 4;
	/* PHB ID Type-P: fine for a receiving server, refused when it must send */
	put_be32(b + 84, 0x40001000);
	CHECK_EQ(codec_request_session_decode(&d, b, 144), 0);
	b[2] = 1;
	CHECK_EQ(codec_request_session_decode(&d, b, 144), -EOPNOTSUPP);
	/* TWAMP's command number is not Request-Session */
	b[0] = XW_CMD_REQUEST_TW_SESSION;
	CHECK_EQ(codec_request_session_decode(&d, b, 144), -EBADMSG);
	/* encode refuses no slot */
	m.f.num_slots = 0;
	CHECK_EQ(codec_request_session_encode(&m, b, sizeof(b)), -EINVAL);
	m.f.num_slots = 1;
	CHECK_EQ(codec_request_session_encode(&m, b, 143), -ENOSPC);
}

/* Two records: one with three skip ranges (two blocks of them), one with none. */
TEST(stop_sessions_skip_ranges_golden)
{
	static const char *golden = "03000000"
				    "00000002"
				    "0000000000000000" /* 3, Accept 0, two sessions */
				    "0a0000010000000000000000000000aa" /* SID 1 */
				    "00000064"
				    "00000003" /* Next Seqno 100, 3 ranges */
				    "00000000"
				    "00000009" /* 0..9 */
				    "00000014"
				    "00000014" /* 20..20 */
				    "00000032"
				    "00000040" /* 50..64: 48 octets, no pad */
				    "0a0000010000000000000000000000bb" /* SID 2 */
				    "00000005"
				    "00000000"
				    "0000000000000000" /* Next Seqno 5, none, pad */
				    "00000000000000000000000000000000"; /* HMAC */
	static const struct codec_ow_skip sk[3] = {{0, 9}, {20, 20}, {50, 64}};
	struct codec_ow_stop_rec r[2] = {0}, got;
	struct codec_ow_stop d;
	struct codec_ow_skip s;
	uint8_t want[16 + 48 + 32 + 16], out[sizeof(want)];
	size_t off = 0, k;

	CHECK_EQ(t_unhex(golden, want, sizeof(want)), (int)sizeof(want));
	t_unhex("0a0000010000000000000000000000aa", r[0].sid, 16);
	r[0].next_seqno = 100;
	r[0].num_skips = 3;
	r[0].skips = sk;
	t_unhex("0a0000010000000000000000000000bb", r[1].sid, 16);
	r[1].next_seqno = 5;
	CHECK_EQ(codec_ow_stop_sessions_encode(0, r, 2, out, sizeof(out)), (int)sizeof(want));
	CHECK_MEM(out, want, sizeof(want));
	/* framing: the length is known only once every record header is in */
	for (k = 0; k <= sizeof(want); k++) {
		int n = codec_msg_len(CODEC_MSG_OW_STOP_SESSIONS, want, k);

		CHECK(n == 0 || n == (int)sizeof(want));
		CHECK_EQ(n != 0, k >= 16 + 48 + 24);
	}
	CHECK_EQ(codec_ow_stop_sessions_decode(&d, want, sizeof(want)), 0);
	CHECK_EQ(d.num_sessions, 2);
	codec_ow_stop_rec_at(&d, &off, &got);
	CHECK_EQ(got.next_seqno, 100);
	CHECK_EQ(got.num_skips, 3);
	codec_ow_skip_at(got.skip_bytes, 2, &s);
	CHECK_EQ(s.first, 50);
	CHECK_EQ(s.last, 64);
	codec_ow_stop_rec_at(&d, &off, &got);
	CHECK_MEM(got.sid, r[1].sid, 16);
	CHECK_EQ(off, d.recs_len);
}

TEST(stop_sessions_rejections)
{
	struct codec_ow_skip sk[2] = {{10, 19}, {5, 6}};
	struct codec_ow_stop_rec r = {0};
	struct codec_ow_stop d;
	uint8_t b[16 + 32 + 16];

	r.next_seqno = 100;
	r.num_skips = 2;
	r.skips = sk;
	/* out of order: encode refuses, and so does decode of the same bytes */
	CHECK_EQ(codec_ow_stop_sessions_encode(0, &r, 1, b, sizeof(b)), -EINVAL);
	r.num_skips = 1;
	CHECK_EQ(codec_ow_stop_sessions_encode(0, &r, 1, b, sizeof(b)), (int)sizeof(b));
	put_be32(b + 16 + 20, 2); /* claim two ranges: the record now needs 48 octets */
	CHECK_EQ(codec_ow_stop_sessions_decode(&d, b, sizeof(b)), -EMSGSIZE);
	put_be32(b + 16 + 20, 1);
	/* reversed range */
	put_be32(b + 16 + 24, 20);
	CHECK_EQ(codec_ow_stop_sessions_decode(&d, b, sizeof(b)), -EBADMSG);
	put_be32(b + 16 + 24, 10);
	/* beyond Next Seqno */
	put_be32(b + 16 + 16, 15);
	CHECK_EQ(codec_ow_stop_sessions_decode(&d, b, sizeof(b)), -EBADMSG);
	put_be32(b + 16 + 16, 100);
	CHECK_EQ(codec_ow_stop_sessions_decode(&d, b, sizeof(b)), 0);
	/* overlapping ranges in a two-range record */
	{
		uint8_t two[16 + 48 + 16] = {XW_CMD_STOP_SESSIONS};

		put_be32(two + 4, 1);
		put_be32(two + 16 + 16, 100);
		put_be32(two + 16 + 20, 2);
		put_be32(two + 16 + 24, 10);
		put_be32(two + 16 + 28, 19);
		put_be32(two + 16 + 32, 19);
		put_be32(two + 16 + 36, 30);
		CHECK_EQ(codec_ow_stop_sessions_decode(&d, two, sizeof(two)), -EBADMSG);
		put_be32(two + 16 + 32, 20);
		CHECK_EQ(codec_ow_stop_sessions_decode(&d, two, sizeof(two)), 0);
	}
	/* a record count the length does not hold */
	put_be32(b + 4, 2);
	CHECK_EQ(codec_ow_stop_sessions_decode(&d, b, sizeof(b)), -EMSGSIZE);
	put_be32(b + 4, CODEC_OW_STOP_SESSIONS_MAX + 1);
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_STOP_SESSIONS, b, sizeof(b)), -EMSGSIZE);
	put_be32(b + 4, 1);
	put_be32(b + 16 + 16, CODEC_OW_SKIPS_MAX + 2);
	put_be32(b + 16 + 20, CODEC_OW_SKIPS_MAX + 1);
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_STOP_SESSIONS, b, sizeof(b)), -EMSGSIZE);
}

/*
 * RFC 4656 3.8: skip ranges are in order, disjoint and below Next Seqno, so
 * a record cannot have more of them than Next Seqno: refused from the 40
 * octets of header and record header alone, before any range is waited for.
 */
TEST(stop_sessions_more_skips_than_packets_golden)
{
	static const char *hex = "03000000000000010000000000000000" /* 3, Accept 0, 1 session */
				 "7f000001eebfa6fd813a604ee352ed4f" /* SID */
				 "00000002"
				 "00000003"; /* Next Seqno 2, 3 ranges */
	uint8_t b[40];

	CHECK_EQ(t_unhex(hex, b, sizeof(b)), 40);
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_STOP_SESSIONS, b, sizeof(b)), -EBADMSG);
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, sizeof(b)), -EBADMSG);
	b[39] = 2; /* two single-packet ranges below 2 can be: the length is known */
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_STOP_SESSIONS, b, sizeof(b)),
		 16 + (int)CODEC_OW_STOP_REC_LEN(2) + 16);
}

/*
 * Fetch-Ack golden bad bytes (RFC 4656 3.9): with Accept 0 and Finished 0,
 * Next Seqno and Number of Skip Ranges "MUST be set to zero by the server";
 * a finished session cannot have more skip ranges than packets below Next
 * Seqno.  Accept != 0 is the exception: "The client MUST ignore all
 * remaining fields", so garbage there is not refused.  MBZ is ignored (3.1).
 */
TEST(fetch_ack_strict_golden)
{
	struct codec_fetch_ack fd;
	uint8_t b[32];

	/* not finished, Next Seqno 7 */
	t_unhex("00000000 00000007 00000000 00000003 00000000000000000000000000000000", b, 32);
	CHECK_EQ(codec_fetch_ack_decode(&fd, b, 32), -EBADMSG);
	/* not finished, one skip range */
	t_unhex("00000000 00000000 00000001 00000003 00000000000000000000000000000000", b, 32);
	CHECK_EQ(codec_fetch_ack_decode(&fd, b, 32), -EBADMSG);
	/* finished, Next Seqno 2, three skip ranges */
	t_unhex("00010000 00000002 00000003 00000000 00000000000000000000000000000000", b, 32);
	CHECK_EQ(codec_fetch_ack_decode(&fd, b, 32), -EBADMSG);
	/* finished as 0x80 (non-zero), MBZ octets set: accepted, Finished reads 1 */
	t_unhex("0080abcd 0000000a 00000002 00000008 00000000000000000000000000000000", b, 32);
	CHECK_EQ(codec_fetch_ack_decode(&fd, b, 32), 0);
	CHECK_EQ(fd.finished, 1);
	CHECK_EQ(fd.next_seqno, 10);
	CHECK_EQ(fd.num_skips, 2);
	CHECK_EQ(fd.num_records, 8);
	/* not finished, all zero but the records: accepted */
	t_unhex("00000000 00000000 00000000 00000005 00000000000000000000000000000000", b, 32);
	CHECK_EQ(codec_fetch_ack_decode(&fd, b, 32), 0);
	CHECK_EQ(fd.finished, 0);
	CHECK_EQ(fd.num_records, 5);
	/* refused with garbage behind: ignored, every field 0 */
	t_unhex("05000000 00000007 00000009 00000003 00000000000000000000000000000000", b, 32);
	CHECK_EQ(codec_fetch_ack_decode(&fd, b, 32), 0);
	CHECK_EQ(fd.accept, XW_ACCEPT_TEMP_LIMIT);
	CHECK_EQ(fd.next_seqno, 0);
	CHECK_EQ(fd.num_skips, 0);
	CHECK_EQ(fd.num_records, 0);
}

TEST(fetch_golden_and_rejections)
{
	static const char *fs_hex = "04000000000000000000000a00000013"
				    "7f000001eebfa6fd813a604ee352ed4f"
				    "00000000000000000000000000000000";
	struct codec_fetch_session fs = {10, 19, {0}}, d;
	struct codec_fetch_ack fa = {0}, fd;
	uint8_t want[48], out[48];

	CHECK_EQ(t_unhex(fs_hex, want, sizeof(want)), 48);
	t_unhex("7f000001eebfa6fd813a604ee352ed4f", fs.sid, 16);
	CHECK_EQ(codec_fetch_session_encode(&fs, out, sizeof(out)), 48);
	CHECK_MEM(out, want, 48);
	CHECK_EQ(codec_fetch_session_decode(&d, want, 48), 0);
	CHECK_EQ(d.begin_seq, 10);
	CHECK_EQ(d.end_seq, 19);
	want[11] = 0x20; /* Begin 32 > End 19 */
	CHECK_EQ(codec_fetch_session_decode(&d, want, 48), -EBADMSG);
	CHECK_EQ(codec_fetch_session_decode(&d, want, 47), -EMSGSIZE);

	/* Fetch-Ack: unfinished session: Next Seqno and skips MUST be 0 on the wire */
	fa.finished = 0;
	fa.next_seqno = 7;
	fa.num_skips = 1;
	fa.num_records = 3;
	CHECK_EQ(codec_fetch_ack_encode(&fa, out, sizeof(out)), 32);
	t_unhex("00000000000000000000000000000003", want, 16);
	CHECK_MEM(out, want, 16);
	/* refused: every field but Accept zero, and ignored on decode */
	fa.accept = XW_ACCEPT_FAILURE;
	CHECK_EQ(codec_fetch_ack_encode(&fa, out, sizeof(out)), 32);
	t_unhex("01000000000000000000000000000000", want, 16);
	CHECK_MEM(out, want, 16);
	out[1] = 1;
	out[15] = 9;
	CHECK_EQ(codec_fetch_ack_decode(&fd, out, 32), 0);
	CHECK_EQ(fd.accept, XW_ACCEPT_FAILURE);
	CHECK_EQ(fd.finished, 0);
	CHECK_EQ(fd.num_records, 0);
	/* reserved Accept reads as 1 */
	out[0] = 200;
	CHECK_EQ(codec_fetch_ack_decode(&fd, out, 32), 0);
	CHECK_EQ(fd.accept, XW_ACCEPT_FAILURE);
}

/* A lost packet's record (RFC 4656 3.9) and records across a block boundary. */
TEST(records_part_lost_packet_golden)
{
	static const char *hex = "00000007"
				 "4001"
				 "8003"
				 "eebfa6fe00000000"
				 "0000000000000000"
				 "ff"
				 "00000008"
				 "0001"
				 "8003"
				 "eebfa6fe10000000"
				 "eebfa6fe10100000"
				 "3f"
				 "0000000000000000000000000000" /* pad 50 -> 64 */
				 "00000000000000000000000000000000";
	struct codec_ow_record r[2] = {
		{7, CODEC_OW_LOST_ERREST, 0x8003, 0xeebfa6fe00000000ull, 0, 255},
		{8, 0x0001, 0x8003, 0xeebfa6fe10000000ull, 0xeebfa6fe10100000ull, 63}};
	struct codec_ow_record d;
	uint8_t want[80], out[80];

	CHECK_EQ(t_unhex(hex, want, sizeof(want)), 80);
	CHECK_EQ(codec_ow_records_part_encode(r, 2, out, sizeof(out)), 80);
	CHECK_MEM(out, want, 80);
	codec_ow_record_decode(&d, want);
	CHECK(codec_ow_record_lost(&d));
	CHECK_EQ(d.send_errest, 0x4001);
	codec_ow_record_decode(&d, want + 25);
	CHECK(!codec_ow_record_lost(&d));
	CHECK_EQ(d.ttl, 63);
	CHECK_EQ(codec_ow_records_part_encode(r, 2, out, 79), -ENOSPC);
}

TEST(owamp_client_command_lengths)
{
	uint8_t b[16] = {0};

	b[0] = XW_CMD_START_SESSIONS;
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, 1), 32);
	b[0] = XW_CMD_FETCH_SESSION;
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, 1), 48);
	b[0] = XW_CMD_STOP_SESSIONS; /* no session: header + HMAC */
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, 16), 32);
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, 15), 0);
	b[0] = XW_CMD_REQUEST_TW_SESSION; /* TWAMP's commands are not OWAMP's */
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, 16), -EBADMSG);
	b[0] = XW_CMD_START_N_SESSIONS;
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, 16), -EBADMSG);
	CHECK_EQ(codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, b, 0), 0);
}

/* A sender's skip ranges as it notes packets it did not send (RFC 4656 4.1.1, 3.8). */
TEST(skip_note_merges_and_saturates)
{
	struct codec_ow_skip s[2];
	uint8_t wire[2 * CODEC_OW_SKIP_LEN + 16];
	uint32_t n = 0;

	codec_ow_skip_note(s, &n, 2, 0);
	codec_ow_skip_note(s, &n, 2, 1);
	codec_ow_skip_note(s, &n, 2, 2); /* 0..2 */
	codec_ow_skip_note(s, &n, 2, 5); /* 5..5 */
	CHECK_EQ(n, 2);
	CHECK_EQ(s[0].first, 0);
	CHECK_EQ(s[0].last, 2);
	CHECK_EQ(s[1].first, 5);
	/* no room for a third: the last one widens, the list stays valid */
	codec_ow_skip_note(s, &n, 2, 9);
	CHECK_EQ(n, 2);
	CHECK_EQ(s[1].last, 9);
	CHECK_EQ(codec_ow_skips_part_encode(s, n, wire, sizeof(wire)), 32);
	CHECK_EQ(codec_ow_skips_check(wire, n, 10), 0);
}
