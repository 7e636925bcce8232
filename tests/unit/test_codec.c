// SPDX-License-Identifier: GPL-2.0-only
/*
 * Golden bytes for every TWAMP-Control message (control/codec.h).
 *
 * The messages of perfsonar-twamp-open.pcap (frames 4..24, TCP payloads
 * copied from the capture; captures/README.md gives the field values) are
 * decoded, checked field by field and re-encoded to the same bytes.  The
 * messages that capture does not have (Start-N/Stop-N and their Acks,
 * RFC 6038 fields, IPv6) have golden hex written by hand from the RFC
 * diagrams.  Then every rejection the codec promises.
 */
#include <errno.h>
#include <string.h>

#include "t.h"
#include "codec.h"
#include "xwamp/ntp.h"

#include "golden_open.h"

static const uint8_t LOOPBACK[4] = {127, 0, 0, 1};
static const uint8_t ZERO16[16];

TEST(greeting_from_capture)
{
	uint8_t wire[XW_GREETING_LEN], out[XW_GREETING_LEN];
	uint8_t chal[16], salt[16];
	struct codec_greeting g;

	CHECK_EQ(t_unhex(CAP_GREETING, wire, sizeof(wire)), XW_GREETING_LEN);
	t_unhex("fdc165ba4c1f50172d349a90efc3760d", chal, 16);
	t_unhex("b4879295db88df92d2c3d76eb88b3890", salt, 16);
	CHECK_EQ(codec_greeting_decode(&g, wire, sizeof(wire)), 0);
	CHECK_EQ(g.modes, XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED);
	CHECK_MEM(g.challenge, chal, 16);
	CHECK_MEM(g.salt, salt, 16);
	CHECK_EQ(g.count, 2048);
	CHECK_EQ(codec_greeting_encode(&g, out, sizeof(out)), XW_GREETING_LEN);
	CHECK_MEM(out, wire, XW_GREETING_LEN);
	CHECK_EQ(codec_msg_len(CODEC_MSG_GREETING, NULL, 0), XW_GREETING_LEN);
}

TEST(greeting_mbz_ignored_and_bad_count_rejected)
{
	uint8_t wire[XW_GREETING_LEN];
	struct codec_greeting g;

	t_unhex(CAP_GREETING, wire, sizeof(wire));
	wire[0] = 0xff;	 /* Unused */
	wire[63] = 0x55; /* MBZ: receiver MUST ignore */
	CHECK_EQ(codec_greeting_decode(&g, wire, sizeof(wire)), 0);
	CHECK_EQ(g.count, 2048);
	wire[50] = 0x0c; /* Count 0x0c00 = 3072: not a power of 2 */
	CHECK_EQ(codec_greeting_decode(&g, wire, sizeof(wire)), -EBADMSG);
	wire[50] = 0x02; /* 512 < 1024 */
	CHECK_EQ(codec_greeting_decode(&g, wire, sizeof(wire)), -EBADMSG);
	CHECK_EQ(codec_greeting_decode(&g, wire, sizeof(wire) - 1), -EMSGSIZE);
}

TEST(setup_response_from_capture)
{
	uint8_t wire[XW_SETUP_RESPONSE_LEN] = {0}, out[XW_SETUP_RESPONSE_LEN];
	struct codec_setup_response s;
	uint8_t zero_keyid[XW_KEYID_LEN] = {0};

	/* frame 6: Mode 1, then 160 zero octets (KeyID, Token, Client-IV) */
	wire[3] = 1;
	CHECK_EQ(codec_setup_response_decode(&s, wire, sizeof(wire)), 0);
	CHECK_EQ(s.mode, XW_MODE_OPEN);
	CHECK_MEM(s.keyid, zero_keyid, XW_KEYID_LEN);
	CHECK_EQ(codec_setup_response_encode(&s, out, sizeof(out)), XW_SETUP_RESPONSE_LEN);
	CHECK_MEM(out, wire, sizeof(wire));
}

TEST(setup_response_auth_layout)
{
	uint8_t out[XW_SETUP_RESPONSE_LEN], want[XW_SETUP_RESPONSE_LEN] = {0};
	struct codec_setup_response s = {.mode = XW_MODE_AUTH}, d;

	/* perfsonar-twamp-auth.pcap frame 6: Mode 2, KeyID "alice" zero-padded */
	memcpy(s.keyid, "alice", 5);
	memset(s.token, 0xa5, sizeof(s.token));
	memset(s.client_iv, 0x3c, sizeof(s.client_iv));
	want[3] = 2;
	memcpy(want + 4, "alice", 5);
	memset(want + 84, 0xa5, 64);
	memset(want + 148, 0x3c, 16);
	CHECK_EQ(codec_setup_response_encode(&s, out, sizeof(out)), XW_SETUP_RESPONSE_LEN);
	CHECK_MEM(out, want, sizeof(want));
	CHECK_EQ(codec_setup_response_decode(&d, out, sizeof(out)), 0);
	CHECK_MEM(d.client_iv, s.client_iv, 16);
	/* two security modes at once */
	out[3] = XW_MODE_AUTH | XW_MODE_ENCRYPTED;
	CHECK_EQ(codec_setup_response_decode(&d, out, sizeof(out)), -EBADMSG);
	/* feature bits with one security mode are fine (RFC 5938, 6038) */
	out[3] = XW_MODE_ENCRYPTED | XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT;
	CHECK_EQ(codec_setup_response_decode(&d, out, sizeof(out)), 0);
	CHECK_EQ(d.mode, XW_MODE_ENCRYPTED | XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT);
	CHECK_EQ(codec_setup_response_decode(&d, out, sizeof(out) + 1), -EMSGSIZE);
}

TEST(server_start_from_capture)
{
	uint8_t wire[XW_SERVER_START_LEN], out[XW_SERVER_START_LEN];
	struct codec_server_start s;

	CHECK_EQ(t_unhex(CAP_SERVER_START, wire, sizeof(wire)), XW_SERVER_START_LEN);
	CHECK_EQ(codec_server_start_decode(&s, wire, sizeof(wire)), 0);
	CHECK_EQ(s.accept, XW_ACCEPT_OK);
	CHECK_MEM(s.server_iv, ZERO16, 16);
	/* Nov 23, 2026 18:23:33.47 UTC */
	CHECK_EQ(s.start_time, 0xeeaf032578eb13dfULL);
	CHECK_NEAR((double)xw_ntp_to_ns(s.start_time) / 1e9, 1795458213.472, 0.001);
	CHECK_EQ(codec_server_start_encode(&s, out, sizeof(out)), XW_SERVER_START_LEN);
	CHECK_MEM(out, wire, sizeof(wire));
}

TEST(server_start_reserved_accept_reads_as_1)
{
	uint8_t wire[XW_SERVER_START_LEN];
	struct codec_server_start s;

	t_unhex(CAP_SERVER_START, wire, sizeof(wire));
	wire[0] = 0x77; /* MBZ: ignored */
	wire[15] = 200; /* reserved: RFC 4656 3.3 says read as 1 */
	CHECK_EQ(codec_server_start_decode(&s, wire, sizeof(wire)), 0);
	CHECK_EQ(s.accept, XW_ACCEPT_FAILURE);
	wire[15] = XW_ACCEPT_TEMP_LIMIT;
	CHECK_EQ(codec_server_start_decode(&s, wire, sizeof(wire)), 0);
	CHECK_EQ(s.accept, XW_ACCEPT_TEMP_LIMIT);
	CHECK_EQ(codec_server_start_decode(&s, wire, 47), -EMSGSIZE);
}

TEST(request_tw_session_from_capture)
{
	uint8_t wire[XW_REQUEST_TW_SESSION_LEN], out[XW_REQUEST_TW_SESSION_LEN];
	struct codec_request_tw_session r;

	CHECK_EQ(t_unhex(CAP_REQUEST, wire, sizeof(wire)), XW_REQUEST_TW_SESSION_LEN);
	CHECK_EQ(codec_peek_cmd(wire, sizeof(wire)), XW_CMD_REQUEST_TW_SESSION);
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, wire, 1), XW_REQUEST_TW_SESSION_LEN);
	CHECK_EQ(codec_request_tw_session_decode(&r, XW_MODE_OPEN, wire, sizeof(wire)), 0);
	CHECK_EQ(r.ipvn, 4);
	CHECK_EQ(r.conf_sender, 0);
	CHECK_EQ(r.conf_receiver, 0);
	CHECK_EQ(r.num_slots, 0);
	CHECK_EQ(r.num_packets, 0);
	CHECK_EQ(r.sender_port, 9527);
	CHECK_EQ(r.receiver_port, 9527);
	CHECK_MEM(r.sender_addr, LOOPBACK, 4);
	CHECK_MEM(r.receiver_addr, LOOPBACK, 4);
	CHECK_MEM(r.sid, ZERO16, 16);
	CHECK_EQ(r.padding_len, 27);
	/* Nov 23, 2026 18:23:34.910607000 UTC */
	CHECK_EQ(r.start_time, 0xeeaf0326e91d8a55ULL);
	CHECK_NEAR((double)(xw_ntp_to_ns(r.start_time) % 1000000000ULL), 910607000, 1000);
	/* 2 s + 0x000895d1 / 2^32 s = 2.000131 s (Wireshark 4.0 prints "2.000000131") */
	CHECK_EQ(r.timeout, 0x00000002000895d1ULL);
	CHECK_EQ(r.type_p, 0);
	CHECK_EQ(r.octets_to_reflect, 0);
	CHECK_EQ(codec_request_tw_session_encode(&r, XW_MODE_OPEN, out, sizeof(out)),
		 XW_REQUEST_TW_SESSION_LEN);
	CHECK_MEM(out, wire, sizeof(wire));
}

TEST(request_tw_session_mbz_ignored)
{
	uint8_t wire[XW_REQUEST_TW_SESSION_LEN];
	struct codec_request_tw_session r;

	t_unhex(CAP_REQUEST, wire, sizeof(wire));
	wire[1] |= 0xf0;	     /* MBZ nibble before IPVN */
	memset(wire + 20, 0xee, 12); /* "Sender Address (cont.) or MBZ" with IPv4 */
	memset(wire + 36, 0xee, 12); /* receiver idem */
	memset(wire + 88, 0xee, 8);  /* MBZ (RFC 6038 fields without that mode) */
	memset(wire + 96, 0xee, 16); /* HMAC: MBZ in open mode, the codec never looks */
	CHECK_EQ(codec_request_tw_session_decode(&r, XW_MODE_OPEN, wire, sizeof(wire)), 0);
	CHECK_EQ(r.ipvn, 4);
	CHECK_MEM(r.sender_addr + 4, ZERO16, 12);
	CHECK_MEM(r.receiver_addr + 4, ZERO16, 12);
	CHECK_EQ(r.octets_to_reflect, 0);
	CHECK_EQ(r.reflect_pad_len, 0);
}

/*
 * Hand-written from RFC 5357 3.5 + RFC 6038 4.2: IPv6, DSCP EF (46: Type-P
 * first octet 00 101110 = 0x2e, RFC 4656 3.5), Reflect Octets.
 */
static const char *const REQ_V6_RO = "05060000 00000000 00000000 c350c351"
				     "20010db8000000000000000000000001"
				     "20010db8000000000000000000000002"
				     "00000000000000000000000000000000"
				     "00000040 e0000000 80000000 00000005"
				     "00000000 2e000000 abcd0010 00000000"
				     "00000000000000000000000000000000";

TEST(request_tw_session_ipv6_reflect_octets_golden)
{
	uint8_t want[XW_REQUEST_TW_SESSION_LEN], out[XW_REQUEST_TW_SESSION_LEN];
	struct codec_request_tw_session r =
						{
							.ipvn = 6,
							.sender_port = 50000,
							.receiver_port = 50001,
							.padding_len = 64,
							.start_time = 0xe000000080000000ULL,
							.timeout = 5ULL << 32,
							.type_p = CODEC_TYPE_P_FROM_DSCP(46),
							.octets_to_reflect = 0xabcd,
							.reflect_pad_len = 16,
						},
					d;
	uint32_t mode = XW_MODE_ENCRYPTED | XW_MODE_REFLECT_OCT;

	t_unhex("20010db8000000000000000000000001", r.sender_addr, 16);
	t_unhex("20010db8000000000000000000000002", r.receiver_addr, 16);
	CHECK_EQ(t_unhex(REQ_V6_RO, want, sizeof(want)), XW_REQUEST_TW_SESSION_LEN);
	CHECK_EQ(codec_request_tw_session_encode(&r, mode, out, sizeof(out)),
		 XW_REQUEST_TW_SESSION_LEN);
	CHECK_MEM(out, want, sizeof(want));
	CHECK_EQ(codec_request_tw_session_decode(&d, mode, want, sizeof(want)), 0);
	CHECK_EQ(d.ipvn, 6);
	CHECK_MEM(d.receiver_addr, r.receiver_addr, 16);
	CHECK_EQ(CODEC_TYPE_P_DSCP(d.type_p), 46);
	CHECK_EQ(d.octets_to_reflect, 0xabcd);
	CHECK_EQ(d.reflect_pad_len, 16);
	CHECK_EQ(d.timeout, 5ULL << 32);

	/* without the Reflect Octets mode those octets are MBZ: not written, not read */
	CHECK_EQ(codec_request_tw_session_decode(&d, XW_MODE_ENCRYPTED, want, sizeof(want)), 0);
	CHECK_EQ(d.octets_to_reflect, 0);
	CHECK_EQ(d.reflect_pad_len, 0);
	CHECK_EQ(codec_request_tw_session_encode(&r, XW_MODE_ENCRYPTED, out, sizeof(out)),
		 XW_REQUEST_TW_SESSION_LEN);
	CHECK_MEM(out + 88, ZERO16, 8);
	CHECK_MEM(out, want, 88);
}

TEST(request_tw_session_rejections)
{
	uint8_t good[XW_REQUEST_TW_SESSION_LEN], w[XW_REQUEST_TW_SESSION_LEN + 16];
	struct codec_request_tw_session r;

	t_unhex(CAP_REQUEST, good, sizeof(good));
	memcpy(w, good, sizeof(good));
	/* truncated and oversized */
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 111), -EMSGSIZE);
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 0), -EMSGSIZE);
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 113), -EMSGSIZE);
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 128), -EMSGSIZE);
	/* bad command: the OWAMP Request-Session (1), Start-Sessions (2) */
	w[0] = XW_CMD_FORBIDDEN;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EBADMSG);
	w[0] = XW_CMD_START_SESSIONS;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EBADMSG);
	/* bad IP versions */
	memcpy(w, good, sizeof(good));
	w[1] = 5;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EOPNOTSUPP);
	w[1] = 0;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EOPNOTSUPP);
	/* Conf-Sender / Conf-Receiver non-zero: RFC 5357 3.5 Accept 3 */
	memcpy(w, good, sizeof(good));
	w[2] = 1;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EOPNOTSUPP);
	CHECK_EQ(r.conf_sender, 1);
	w[2] = 0;
	w[3] = 1;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EOPNOTSUPP);
	/* Type-P: PHB ID form (01...), and stray bits below the DSCP octet */
	memcpy(w, good, sizeof(good));
	w[84] = 0x40;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EOPNOTSUPP);
	w[84] = 0x80;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EOPNOTSUPP);
	w[84] = 0x2e;
	w[87] = 0x01;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), -EOPNOTSUPP);
	w[87] = 0x00;
	CHECK_EQ(codec_request_tw_session_decode(&r, 1, w, 112), 0);
	CHECK_EQ(CODEC_TYPE_P_DSCP(r.type_p), 0x2e);
	/* the encoder refuses what it cannot write */
	r.ipvn = 5;
	CHECK_EQ(codec_request_tw_session_encode(&r, 1, w, sizeof(w)), -EINVAL);
	r.ipvn = 4;
	CHECK_EQ(codec_request_tw_session_encode(&r, 1, w, 111), -ENOSPC);
}

TEST(accept_session_from_capture)
{
	uint8_t wire[XW_ACCEPT_SESSION_LEN], out[XW_ACCEPT_SESSION_LEN], sid[16];
	struct codec_accept_session a;

	CHECK_EQ(t_unhex(CAP_ACCEPT, wire, sizeof(wire)), XW_ACCEPT_SESSION_LEN);
	t_unhex("7f000001eeaf0325e9107faa9f08bd11", sid, 16);
	CHECK_EQ(codec_accept_session_decode(&a, XW_MODE_OPEN, wire, sizeof(wire)), 0);
	CHECK_EQ(a.accept, XW_ACCEPT_OK);
	CHECK_EQ(a.port, 9528);
	CHECK_MEM(a.sid, sid, 16);
	CHECK_EQ(codec_accept_session_encode(&a, XW_MODE_OPEN, out, sizeof(out)),
		 XW_ACCEPT_SESSION_LEN);
	CHECK_MEM(out, wire, sizeof(wire));
	CHECK_EQ(codec_accept_session_decode(&a, XW_MODE_OPEN, wire, 47), -EMSGSIZE);
	wire[0] = 99;
	wire[1] = 0xff; /* MBZ */
	CHECK_EQ(codec_accept_session_decode(&a, XW_MODE_OPEN, wire, sizeof(wire)), 0);
	CHECK_EQ(a.accept, XW_ACCEPT_FAILURE);
	CHECK_EQ(a.port, 9528);
}

/* Hand-written from RFC 6038 4.3: Accept 0, Port 862+1000, Reflected/Server octets. */
static const char *const ACCEPT_RO = "00000756 0a000001eeaf032500000000c0ffee00"
				     "abcd1234 0000000000000000"
				     "00000000000000000000000000000000";

TEST(accept_session_reflect_octets_golden)
{
	uint8_t want[XW_ACCEPT_SESSION_LEN], out[XW_ACCEPT_SESSION_LEN];
	struct codec_accept_session a = {.accept = 0,
					 .port = 1878,
					 .reflected_octets = 0xabcd,
					 .server_octets = 0x1234},
				    d;
	uint32_t mode = XW_MODE_AUTH | XW_MODE_REFLECT_OCT;

	t_unhex("0a000001eeaf032500000000c0ffee00", a.sid, 16);
	CHECK_EQ(t_unhex(ACCEPT_RO, want, sizeof(want)), XW_ACCEPT_SESSION_LEN);
	CHECK_EQ(codec_accept_session_encode(&a, mode, out, sizeof(out)), XW_ACCEPT_SESSION_LEN);
	CHECK_MEM(out, want, sizeof(want));
	CHECK_EQ(codec_accept_session_decode(&d, mode, want, sizeof(want)), 0);
	CHECK_EQ(d.reflected_octets, 0xabcd);
	CHECK_EQ(d.server_octets, 0x1234);
	CHECK_EQ(codec_accept_session_decode(&d, XW_MODE_AUTH, want, sizeof(want)), 0);
	CHECK_EQ(d.reflected_octets, 0);
	CHECK_EQ(d.server_octets, 0);
}

TEST(start_sessions_and_ack_from_capture)
{
	uint8_t wire[32], out[32];
	struct codec_start_ack a = {.accept = 9};

	CHECK_EQ(t_unhex(CAP_START, wire, sizeof(wire)), 32);
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, wire, 1), XW_START_SESSIONS_LEN);
	CHECK_EQ(codec_start_sessions_decode(wire, sizeof(wire)), 0);
	CHECK_EQ(codec_start_sessions_encode(out, sizeof(out)), 32);
	CHECK_MEM(out, wire, 32);
	CHECK_EQ(codec_start_sessions_decode(wire, 31), -EMSGSIZE);
	CHECK_EQ(codec_start_sessions_decode(wire, 48), -EMSGSIZE);
	wire[0] = XW_CMD_STOP_SESSIONS;
	CHECK_EQ(codec_start_sessions_decode(wire, 32), -EBADMSG);

	CHECK_EQ(t_unhex(CAP_START_ACK, wire, sizeof(wire)), 32);
	CHECK_EQ(codec_start_ack_decode(&a, wire, sizeof(wire)), 0);
	CHECK_EQ(a.accept, XW_ACCEPT_OK);
	CHECK_EQ(codec_start_ack_encode(&a, out, sizeof(out)), 32);
	CHECK_MEM(out, wire, 32);
	CHECK_EQ(codec_start_ack_decode(&a, wire, 16), -EMSGSIZE);
}

TEST(stop_sessions_from_capture)
{
	uint8_t wire[32], out[32];
	struct codec_stop_sessions s;

	CHECK_EQ(t_unhex(CAP_STOP, wire, sizeof(wire)), 32);
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, wire, 1), XW_STOP_SESSIONS_LEN);
	CHECK_EQ(codec_stop_sessions_decode(&s, wire, sizeof(wire)), 0);
	CHECK_EQ(s.accept, XW_ACCEPT_OK);
	CHECK_EQ(s.num_sessions, 1);
	CHECK_EQ(codec_stop_sessions_encode(&s, out, sizeof(out)), 32);
	CHECK_MEM(out, wire, 32);
	/* TWAMP: no session description records may follow (RFC 5357 3.8) */
	CHECK_EQ(codec_stop_sessions_decode(&s, wire, 64), -EMSGSIZE);
	CHECK_EQ(codec_stop_sessions_decode(&s, wire, 31), -EMSGSIZE);
	wire[0] = XW_CMD_START_SESSIONS;
	CHECK_EQ(codec_stop_sessions_decode(&s, wire, 32), -EBADMSG);
}

/* Hand-written from RFC 5938 3.2-3.5: two SIDs, and one SID with Accept 5. */
static const char *const SID_A = "0a000001eeaf032500000000000000aa";
static const char *const SID_B = "0a000001eeaf0325000000000000bbbb";
static const char *const START_N_2 = "07000000 00000000 00000000 00000002"
				     "0a000001eeaf032500000000000000aa"
				     "0a000001eeaf0325000000000000bbbb"
				     "00000000000000000000000000000000";
static const char *const START_N_ACK_1 = "08050000 00000000 00000000 00000001"
					 "0a000001eeaf032500000000000000aa"
					 "00000000000000000000000000000000";
static const char *const STOP_N_1 = "09000000 00000000 00000000 00000001"
				    "0a000001eeaf0325000000000000bbbb"
				    "00000000000000000000000000000000";
static const char *const STOP_N_ACK_2 = "0a000000 00000000 00000000 00000002"
					"0a000001eeaf032500000000000000aa"
					"0a000001eeaf0325000000000000bbbb"
					"00000000000000000000000000000000";

TEST(start_stop_n_golden)
{
	uint8_t sids[32], want[64], out[64];
	struct codec_n_sessions m = {.num_sessions = 2}, d;

	t_unhex(SID_A, sids, 16);
	t_unhex(SID_B, sids + 16, 16);
	m.sids = sids;

	CHECK_EQ(t_unhex(START_N_2, want, sizeof(want)), 64);
	CHECK_EQ(codec_start_n_sessions_encode(&m, out, sizeof(out)), 64);
	CHECK_MEM(out, want, 64);
	CHECK_EQ(codec_start_n_sessions_decode(&d, want, 64), 0);
	CHECK_EQ(d.num_sessions, 2);
	CHECK_MEM(d.sids, sids, 32);
	CHECK(d.sids == want + 16); /* points into the decoded buffer */
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, want, 15), 0);
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, want, 16), 64);
	CHECK_EQ(codec_msg_len(CODEC_MSG_START_N_SESSIONS, want, 16), 64);

	m.accept = XW_ACCEPT_TEMP_LIMIT;
	m.num_sessions = 1;
	CHECK_EQ(t_unhex(START_N_ACK_1, want, sizeof(want)), 48);
	CHECK_EQ(codec_start_n_ack_encode(&m, out, sizeof(out)), 48);
	CHECK_MEM(out, want, 48);
	CHECK_EQ(codec_start_n_ack_decode(&d, want, 48), 0);
	CHECK_EQ(d.accept, XW_ACCEPT_TEMP_LIMIT);
	CHECK_EQ(d.num_sessions, 1);
	CHECK_MEM(d.sids, sids, 16);
	CHECK_EQ(codec_msg_len(CODEC_MSG_START_N_ACK, want, 16), 48);

	m.accept = 0;
	m.sids = sids + 16;
	CHECK_EQ(t_unhex(STOP_N_1, want, sizeof(want)), 48);
	CHECK_EQ(codec_stop_n_sessions_encode(&m, out, sizeof(out)), 48);
	CHECK_MEM(out, want, 48);
	CHECK_EQ(codec_stop_n_sessions_decode(&d, want, 48), 0);
	CHECK_MEM(d.sids, sids + 16, 16);
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, want, 16), 48);

	m.sids = sids;
	m.num_sessions = 2;
	CHECK_EQ(t_unhex(STOP_N_ACK_2, want, sizeof(want)), 64);
	CHECK_EQ(codec_stop_n_ack_encode(&m, out, sizeof(out)), 64);
	CHECK_MEM(out, want, 64);
	CHECK_EQ(codec_stop_n_ack_decode(&d, want, 64), 0);
	CHECK_EQ(d.accept, 0);
	CHECK_EQ(d.num_sessions, 2);
}

TEST(start_stop_n_rejections)
{
	uint8_t w[80], sids[16] = {1};
	struct codec_n_sessions d, m = {.num_sessions = 0, .sids = sids};

	t_unhex(START_N_2, w, sizeof(w));
	/* count says 2 but 3 or 1 SIDs are there: wrong length */
	CHECK_EQ(codec_start_n_sessions_decode(&d, w, 48), -EMSGSIZE);
	CHECK_EQ(codec_start_n_sessions_decode(&d, w, 80), -EMSGSIZE);
	CHECK_EQ(codec_start_n_sessions_decode(&d, w, 63), -EMSGSIZE);
	CHECK_EQ(codec_start_n_sessions_decode(&d, w, 32), -EMSGSIZE);
	/* wrong command */
	CHECK_EQ(codec_stop_n_sessions_decode(&d, w, 64), -EBADMSG);
	CHECK_EQ(codec_start_n_ack_decode(&d, w, 64), -EBADMSG);
	/* Number of Sessions 0: "MUST be one or greater" */
	w[15] = 0;
	CHECK_EQ(codec_start_n_sessions_decode(&d, w, 32), -EMSGSIZE);
	CHECK_EQ(codec_start_n_sessions_decode(&d, w, 48), -EBADMSG);
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, w, 16), -EBADMSG);
	/* more SIDs than we accept: refused before waiting for them */
	w[12] = 0x7f;
	CHECK_EQ(codec_msg_len(CODEC_MSG_START_N_SESSIONS, w, 16), -EMSGSIZE);
	CHECK_EQ(codec_start_n_sessions_decode(&d, w, 64), -EMSGSIZE);
	/* encoder */
	CHECK_EQ(codec_start_n_sessions_encode(&m, w, sizeof(w)), -EINVAL);
	m.num_sessions = 1;
	CHECK_EQ(codec_start_n_sessions_encode(&m, w, 47), -ENOSPC);
	CHECK_EQ(codec_start_n_sessions_encode(&m, w, 48), 48);
}

TEST(client_command_lengths)
{
	uint8_t b[16] = {0};

	CHECK_EQ(codec_peek_cmd(b, 0), -EAGAIN);
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, b, 0), 0);
	/* OWAMP Request-Session with 1 slot: 112 + 16 + 16 (RFC 4656 3.5) */
	b[0] = XW_CMD_FORBIDDEN;
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, b, 4), 0);
	b[7] = 1;
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, b, 8), 144);
	/* Fetch-Session (OWAMP only), Experimentation, unassigned: unknown */
	b[0] = XW_CMD_FETCH_SESSION;
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, b, 16), -EBADMSG);
	b[0] = XW_CMD_EXPERIMENTATION;
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, b, 16), -EBADMSG);
	b[0] = 0;
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, b, 16), -EBADMSG);
	/* fixed-size server messages */
	CHECK_EQ(codec_msg_len(CODEC_MSG_ACCEPT_SESSION, NULL, 0), 48);
	CHECK_EQ(codec_msg_len(CODEC_MSG_START_ACK, NULL, 0), 32);
	CHECK_EQ(codec_msg_len(CODEC_MSG_SERVER_START, NULL, 0), 48);
	CHECK_EQ(codec_msg_len(CODEC_MSG_SETUP_RESPONSE, NULL, 0), 164);
	CHECK_EQ(codec_msg_len(CODEC_MSG_START_N_ACK, b, 15), 0);
}

/*
 * OWAMP Request-Session (RFC 4656 3.5) with 2 schedule slots, written out
 * from the RFC's diagrams: the fixed part ends in the first HMAC (octets
 * 96..111), the slots follow from octet 112, the second HMAC ends the
 * message.  TWAMP refuses it (RFC 5357 3.5) but must frame it and check
 * both HMACs, each over what follows the previous one (RFC 4656 3.2).
 */
TEST(request_session_two_hmacs_golden)
{
	static const char hex[] =
		/* 1 | MBZ/IPVN 4 | Conf-Sender 0 | Conf-Receiver 1; 2 slots; 10 packets */
		"01 04 00 01  00 00 00 02  00 00 00 0a"
		/* Sender Port 4000, Receiver Port 5000 */
		"0f a0 13 88"
		/* Sender Address 192.0.2.1 + 12 MBZ, Receiver Address 192.0.2.2 + 12 MBZ */
		"c0 00 02 01  00 00 00 00  00 00 00 00  00 00 00 00"
		"c0 00 02 02  00 00 00 00  00 00 00 00  00 00 00 00"
		/* SID (16, zero in a request) */
		"00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00"
		/* Padding Length 27, Start Time, Timeout 2 s, Type-P 0, MBZ (8) */
		"00 00 00 1b  ee af 03 25  78 eb 13 df  00 00 00 02  00 00 00 00"
		"00 00 00 00  00 00 00 00  00 00 00 00"
		/* first HMAC */
		"a1 a1 a1 a1  a1 a1 a1 a1  a1 a1 a1 a1  a1 a1 a1 a1"
		/* slot 0: Poisson (0), slot 1: Wait (1); MBZ (7), Slot Parameter */
		"00 00 00 00  00 00 00 00  00 00 00 00  19 99 99 9a"
		"01 00 00 00  00 00 00 00  00 00 00 01  00 00 00 00"
		/* second HMAC */
		"a2 a2 a2 a2  a2 a2 a2 a2  a2 a2 a2 a2  a2 a2 a2 a2";
	uint8_t w[256];
	size_t n = t_unhex(hex, w, sizeof(w));

	CHECK_EQ(n, 160);
	CHECK_EQ(codec_peek_cmd(w, n), XW_CMD_FORBIDDEN);
	CHECK_EQ(codec_msg_len(CODEC_MSG_CLIENT_COMMAND, w, 16), 160);
	/* the first HMAC ends where the slots start */
	CHECK_EQ(CODEC_REQUEST_SESSION_HMAC1_END, 112);
	CHECK_EQ(w[CODEC_REQUEST_SESSION_HMAC1_END - 1], 0xa1);
	CHECK_EQ(w[CODEC_REQUEST_SESSION_HMAC1_END - XW_HMAC_LEN], 0xa1);
	CHECK_EQ(w[CODEC_REQUEST_SESSION_HMAC1_END - XW_HMAC_LEN - 1], 0x00);
	CHECK_EQ(w[CODEC_REQUEST_SESSION_HMAC1_END + 16], 0x01); /* slot 1's Slot Type */
	CHECK_EQ(w[n - XW_HMAC_LEN], 0xa2);
	/* the slots and the second HMAC are whole blocks too */
	CHECK_EQ((n - CODEC_REQUEST_SESSION_HMAC1_END) % XW_BLOCK_LEN, 0);
}

TEST(accept_values)
{
	CHECK_EQ(codec_accept_from_wire(0), 0);
	CHECK_EQ(codec_accept_from_wire(5), 5);
	CHECK_EQ(codec_accept_from_wire(6), 6); /* RFC 7717 5.3 */
	CHECK_EQ(codec_accept_from_wire(7), 1);
	CHECK_EQ(codec_accept_from_wire(255), 1);
}
