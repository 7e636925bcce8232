// SPDX-License-Identifier: GPL-2.0-only
/*
 * Whole OWAMP-Control conversations without sockets (RFC 4656 3): the
 * server state machine (control/srv.h, SRV_PROTO_OWAMP) after the shared
 * handshake, driven by a client made of the codec and the channel, in
 * open, authenticated and encrypted mode, fed in small pieces.  The
 * "daemon" side is the session store (control/owstore.h): the server
 * receives one session and sends another, both Stop-Sessions cross with
 * their records and skip ranges, and Fetch-Session returns the data of
 * the session the server received, lost-packet records included.
 * Then the bad input: wrong Stop-Sessions counts, records for sessions the
 * client does not send, skip ranges out of order, fetch of an unknown SID,
 * fetch while testing, TWAMP commands, unsupported requests.
 */
#include <errno.h>
#include <string.h>

#include "t.h"
#include "chan.h"
#include "codec.h"
#include "crypto.h"
#include "owstore.h"
#include "srv.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

#define PASS	   "correct horse battery"
#define NOW0	   (1800000000ull * 1000000000ull)
#define NPKT	   10
#define RECV_PORT  20000
#define SEND_PORT  20001
#define CLIENT_SID "0a000001eebfa6fd0000000011223344"

static const uint8_t SID_ADDR[4] = {192, 0, 2, 2};

struct fx {
	struct srv *srv;
	struct ow_store *store;
	uint64_t now;
	size_t chunk;
	uint32_t mode;
	struct chan ch;
	int nend, nstop_ok;
	uint8_t recv_sid[16];
};

static int cb_key(void *arg, uint32_t mode, const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret,
		  size_t *len)
{
	if (memcmp(keyid, "alice", 6))
		return XW_ACCEPT_FAILURE;
	memcpy(secret, PASS, strlen(PASS));
	*len = strlen(PASS);
	return 0;
}

/* The daemon's part: a receiver gets a store entry, a sender a port. */
static int cb_request(void *arg, struct srv_sess *s, uint64_t now)
{
	struct fx *f = arg;

	if (s->params.conf_receiver) {
		s->port = RECV_PORT;
		/* the store keeps the reproduction; ports/SID are written after this call */
		codec_request_session_fixup(s->ow_req, s->ow_req_len, s->sid, s->params.sender_port,
					    s->port);
		if (ow_store_open(f->store, s->ow_req, s->ow_req_len, now))
			return XW_ACCEPT_PERM_LIMIT;
		memcpy(f->recv_sid, s->sid, 16);
	} else {
		s->port = SEND_PORT;
	}
	return XW_ACCEPT_OK;
}

static void cb_end(void *arg, struct srv_sess *s, enum srv_end why, uint64_t now)
{
	struct fx *f = arg;

	f->nend++;
	if (!s->params.conf_receiver)
		return;
	if (why == SRV_END_STOP && s->ow_stop_ok) {
		f->nstop_ok++;
		ow_store_stop(f->store, s->sid, s->ow_next_seqno, s->ow_skips, s->ow_nskips,
			      xw_ns_to_ntp(now), 0x8001, now);
	} else {
		ow_store_abort(f->store, s->sid, now);
	}
}

/* Our send session: all sent but 2..3, which were skipped. */
static int cb_sent(void *arg, struct srv_sess *s, uint32_t *next, struct codec_ow_skip *skips,
		   uint32_t *nskips)
{
	*next = s->params.num_packets;
	skips[0] = (struct codec_ow_skip){2, 3};
	*nskips = 1;
	return 0;
}

static int cb_fetch(void *arg, const struct codec_fetch_session *q, struct ow_fetch *out,
		    uint64_t now)
{
	struct fx *f = arg;

	return ow_store_fetch(f->store, q, out);
}

static const struct srv_ops OPS = {
	.key_lookup = cb_key,
	.sess_request = cb_request,
	.sess_end = cb_end,
	.ow_sent = cb_sent,
	.ow_fetch = cb_fetch,
};

/* Take exactly n octets of server output. */
static int take(struct fx *f, uint8_t *buf, size_t n)
{
	size_t have;
	const uint8_t *p = srv_out_peek(f->srv, &have);

	if (!p || have < n)
		return -1;
	memcpy(buf, p, n);
	srv_out_consume(f->srv, n);
	return 0;
}

static size_t pending(struct fx *f)
{
	return srv_out_pending(f->srv);
}

/* Seal one HMAC part and feed it to the server in f->chunk pieces. */
static void send_part(struct fx *f, uint8_t *buf, size_t len)
{
	size_t off;

	CHECK_EQ(chan_seal(&f->ch, buf, len), 0);
	for (off = 0; off < len; off += f->chunk)
		srv_feed(f->srv, buf + off, len - off < f->chunk ? len - off : f->chunk, f->now);
}

/* Receive and open one part of n octets. */
static int recv_part(struct fx *f, uint8_t *buf, size_t n)
{
	if (take(f, buf, n))
		return -1;
	return chan_open(&f->ch, buf, n);
}

static void fx_setup(struct fx *f, uint32_t mode, size_t chunk)
{
	static const struct ow_store_cfg scfg = {1000, 10000, 8, 60ull * 1000000000ull};
	struct srv_cfg cfg = {
		.modes = XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED,
		.count = 1024,
		.start_time = 1,
		.max_sessions = 4,
		.servwait_ns = 900ull * 1000000000ull,
		.peer = "test",
		.proto = SRV_PROTO_OWAMP,
	};
	struct codec_greeting g;
	struct codec_setup_response r = {.mode = mode};
	struct codec_server_start ss;
	struct xw_session_keys keys;
	uint8_t buf[XW_SETUP_RESPONSE_LEN], kek[16];

	memset(f, 0, sizeof(*f));
	memcpy(cfg.sid_addr, SID_ADDR, 4);
	f->now = NOW0;
	f->chunk = chunk;
	f->mode = mode;
	f->store = ow_store_new(&scfg);
	f->srv = srv_new(&cfg, &OPS, f, f->now);
	CHECK(f->srv != NULL);
	if (!f->srv)
		return;
	CHECK_EQ(take(f, buf, XW_GREETING_LEN), 0);
	CHECK_EQ(codec_greeting_decode(&g, buf, XW_GREETING_LEN), 0);
	/* OWAMP offers no mixed mode (RFC 5618 is TWAMP's) */
	CHECK_EQ(g.modes, XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED);
	CHECK_EQ(xw_random(r.client_iv, 16), 0);
	CHECK_EQ(xw_random(keys.aes, sizeof(keys.aes)), 0);
	CHECK_EQ(xw_random(keys.hmac, sizeof(keys.hmac)), 0);
	if (mode != XW_MODE_OPEN) {
		memcpy(r.keyid, "alice", 5);
		CHECK_EQ(xw_pbkdf2_sha1((const uint8_t *)PASS, strlen(PASS), g.salt, 16, g.count,
					kek, 16),
			 0);
		CHECK_EQ(xw_token_encrypt(kek, g.challenge, &keys, r.token), 0);
	}
	CHECK_EQ(codec_setup_response_encode(&r, buf, sizeof(buf)), XW_SETUP_RESPONSE_LEN);
	srv_feed(f->srv, buf, sizeof(buf), f->now);
	CHECK_EQ(take(f, buf, XW_SERVER_START_LEN), 0);
	CHECK_EQ(codec_server_start_decode(&ss, buf, XW_SERVER_START_LEN), 0);
	CHECK_EQ(ss.accept, XW_ACCEPT_OK);
	CHECK_EQ(chan_init(&f->ch, CHAN_ROLE_CLIENT, mode, &keys, r.client_iv, ss.server_iv), 0);
	CHECK_EQ(chan_open_server_start(&f->ch, buf), 0);
	xw_wipe(&keys, sizeof(keys));
}

static void fx_free(struct fx *f)
{
	srv_free(f->srv);
	chan_fini(&f->ch);
	ow_store_free(f->store);
}

/* Request-Session: conf_receiver (server receives) or conf_sender; returns Accept-Session. */
static int request(struct fx *f, int server_receives, uint8_t slot_type,
		   struct codec_accept_session *a)
{
	static const struct codec_ow_slot exp = {CODEC_SLOT_EXP, 0x199999a0};
	struct codec_ow_slot slot = exp;
	struct codec_request_session m = {0};
	uint8_t buf[CODEC_OW_REQUEST_LEN(1)], out[XW_ACCEPT_SESSION_LEN];

	slot.type = slot_type;
	m.f.ipvn = 4;
	m.f.conf_receiver = (uint8_t)server_receives;
	m.f.conf_sender = (uint8_t)!server_receives;
	m.f.num_slots = 1;
	m.f.num_packets = NPKT;
	m.f.sender_port = server_receives ? 9000 : 0;
	m.f.receiver_port = server_receives ? 0 : 9001;
	memcpy(m.f.sender_addr, SID_ADDR, 4);
	memcpy(m.f.receiver_addr, SID_ADDR, 4);
	if (!server_receives)
		t_unhex(CLIENT_SID, m.f.sid, 16);
	m.f.start_time = xw_ns_to_ntp(f->now + 1000000000ull);
	m.f.timeout = 2ull << 32;
	m.slots = &slot;
	if (codec_request_session_encode(&m, buf, sizeof(buf)) != (int)sizeof(buf))
		return -1;
	buf[112] = slot_type; /* unvalidated on encode: lets a test send type 2 */
	/* two HMAC parts (RFC 4656 3.5) */
	send_part(f, buf, CODEC_OW_REQUEST_HMAC1_END);
	send_part(f, buf + CODEC_OW_REQUEST_HMAC1_END, sizeof(buf) - CODEC_OW_REQUEST_HMAC1_END);
	if (recv_part(f, out, sizeof(out)))
		return -1;
	return codec_accept_session_decode(a, f->mode, out, sizeof(out)) ? -1 : a->accept;
}

static void start(struct fx *f)
{
	uint8_t buf[32];

	CHECK_EQ(codec_start_sessions_encode(buf, sizeof(buf)), 32);
	send_part(f, buf, 32);
	CHECK_EQ(recv_part(f, buf, 32), 0);
	CHECK_EQ(buf[0], XW_ACCEPT_OK);
	CHECK_EQ(srv_state(f->srv), SRV_TESTING);
}

static void stop(struct fx *f, const struct codec_ow_stop_rec *recs, uint32_t n)
{
	uint8_t buf[256];
	int len = codec_ow_stop_sessions_encode(0, recs, n, buf, sizeof(buf));

	CHECK(len > 0);
	send_part(f, buf, (size_t)len);
}

static int fetch(struct fx *f, const uint8_t sid[16], struct codec_fetch_ack *fa)
{
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	uint8_t buf[CODEC_FETCH_SESSION_LEN];

	memcpy(q.sid, sid, 16);
	if (codec_fetch_session_encode(&q, buf, sizeof(buf)) != (int)sizeof(buf))
		return -1;
	send_part(f, buf, sizeof(buf));
	if (recv_part(f, buf, CODEC_FETCH_ACK_LEN))
		return -1;
	return codec_fetch_ack_decode(fa, buf, CODEC_FETCH_ACK_LEN);
}

static void whole(uint32_t mode, size_t chunk)
{
	static struct fx f;
	struct codec_accept_session a1, a2;
	struct codec_ow_skip skip = {7, 7};
	struct codec_ow_stop_rec rec = {0};
	struct codec_ow_stop st;
	struct codec_ow_stop_rec srec;
	struct codec_fetch_ack fa;
	struct codec_request_session rs;
	struct codec_ow_record r;
	struct xw_ow_sched sch;
	struct codec_ow_slot slot = {CODEC_SLOT_EXP, 0x199999a0};
	uint8_t buf[1024], sid[16];
	uint32_t seq, i;
	size_t off = 0;
	uint64_t t;

	fx_setup(&f, mode, chunk);
	if (t_failed())
		return;
	/* the server receives (owping -t) and sends (-f) */
	CHECK_EQ(request(&f, 1, CODEC_SLOT_EXP, &a1), XW_ACCEPT_OK);
	CHECK_EQ(a1.port, RECV_PORT);
	CHECK_MEM(a1.sid, SID_ADDR, 4); /* RFC 4656 3.5: the receiver's SID */
	CHECK_EQ(request(&f, 0, CODEC_SLOT_EXP, &a2), XW_ACCEPT_OK);
	CHECK_EQ(a2.port, SEND_PORT);
	t_unhex(CLIENT_SID, sid, 16);
	CHECK_MEM(a2.sid, sid, 16); /* the client's SID for the session it receives */
	start(&f);

	/* the receive path's records: every packet on schedule but 4 (lost) and 7 (skipped) */
	CHECK_EQ(xw_ow_sched_init(&sch, a1.sid, &slot, 1, xw_ns_to_ntp(NOW0 + 1000000000ull)), 0);
	for (seq = 0; seq < NPKT; seq++) {
		t = xw_ow_sched_next(&sch);
		if (seq == 4 || seq == 7)
			continue;
		r = (struct codec_ow_record){seq, 0x8001, 0x8001, t, t + (1ull << 32) / 1000, 61};
		CHECK_EQ(ow_store_add(f.store, a1.sid, &r), 0);
	}
	f.now += 100ull * 1000000000ull; /* Stop well after Timeout */

	/* the client's Stop-Sessions: one record, the session it sends */
	memcpy(rec.sid, a1.sid, 16);
	rec.next_seqno = NPKT;
	rec.num_skips = 1;
	rec.skips = &skip;
	stop(&f, &rec, 1);
	/* the server's answer: its own send session, with its skip range */
	CHECK_EQ(pending(&f), 16 + 32 + 16);
	CHECK_EQ(recv_part(&f, buf, 64), 0);
	CHECK_EQ(codec_ow_stop_sessions_decode(&st, buf, 64), 0);
	CHECK_EQ(st.num_sessions, 1);
	codec_ow_stop_rec_at(&st, &off, &srec);
	CHECK_MEM(srec.sid, sid, 16);
	CHECK_EQ(srec.next_seqno, NPKT);
	CHECK_EQ(srec.num_skips, 1);
	CHECK_EQ(f.nend, 2);
	CHECK_EQ(f.nstop_ok, 1);
	CHECK_EQ(srv_state(f.srv), SRV_READY);

	/* Fetch-Session of the complete session the server received */
	CHECK_EQ(fetch(&f, a1.sid, &fa), 0);
	CHECK_EQ(fa.accept, XW_ACCEPT_OK);
	CHECK_EQ(fa.finished, 1);
	CHECK_EQ(fa.next_seqno, NPKT);
	CHECK_EQ(fa.num_skips, 1);
	CHECK_EQ(fa.num_records, 9); /* 8 received + lost 4 */
	CHECK_EQ(recv_part(&f, buf, CODEC_OW_REQUEST_HMAC1_END), 0);
	CHECK_EQ(recv_part(&f, buf + CODEC_OW_REQUEST_HMAC1_END, 32), 0);
	CHECK_EQ(codec_request_session_decode(&rs, buf, CODEC_OW_REQUEST_LEN(1)), 0);
	CHECK_EQ(rs.f.receiver_port, RECV_PORT); /* the port used */
	CHECK_EQ(rs.f.sender_port, 9000);
	CHECK_MEM(rs.f.sid, a1.sid, 16);
	CHECK_EQ(recv_part(&f, buf, CODEC_OW_SKIPS_PART_LEN(1)), 0);
	CHECK_EQ(get_be32(buf), 7);
	CHECK_EQ(recv_part(&f, buf, CODEC_OW_RECORDS_PART_LEN(9)), 0);
	for (i = 0; i < 9; i++) {
		codec_ow_record_decode(&r, buf + i * CODEC_OW_RECORD_LEN);
		CHECK_EQ(r.seq, i < 8 ? (i < 4 ? i : i < 6 ? i + 1 : i + 2) : 4);
		CHECK_EQ(codec_ow_record_lost(&r), i == 8);
	}
	CHECK_EQ(pending(&f), 0);
	/* an unknown SID: Fetch-Ack 1, nothing else, the connection goes on */
	sid[0] ^= 0x80;
	CHECK_EQ(fetch(&f, sid, &fa), 0);
	CHECK_EQ(fa.accept, XW_ACCEPT_FAILURE);
	CHECK_EQ(pending(&f), 0);
	CHECK(!srv_closed(f.srv));
	/* the data survives this connection: another one fetches it */
	fx_free(&f);
	xw_ow_sched_fini(&sch);
}

TEST(open_bytewise)
{
	whole(XW_MODE_OPEN, 1);
}

TEST(auth)
{
	whole(XW_MODE_AUTH, 7);
}

TEST(encrypted_bytewise)
{
	whole(XW_MODE_ENCRYPTED, 1);
}

TEST(encrypted_whole_messages)
{
	whole(XW_MODE_ENCRYPTED, 4096);
}

/* ---- bad input ----------------------------------------------------------- */

static void two_sessions_started(struct fx *f, uint32_t mode, struct codec_accept_session *a1,
				 struct codec_accept_session *a2)
{
	fx_setup(f, mode, 64);
	CHECK_EQ(request(f, 1, CODEC_SLOT_EXP, a1), XW_ACCEPT_OK);
	CHECK_EQ(request(f, 0, CODEC_SLOT_FIXED, a2), XW_ACCEPT_OK);
	start(f);
}

TEST(stop_with_wrong_count_closes)
{
	static struct fx f;
	struct codec_accept_session a1, a2;

	two_sessions_started(&f, XW_MODE_ENCRYPTED, &a1, &a2);
	t_log_capture();
	stop(&f, NULL, 0); /* the client sends one session: 0 records is wrong */
	CHECK(srv_closed(f.srv));
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_PROTO);
	CHECK(t_logged("Stop-Sessions describes 0 sessions, the client sends 1"));
	CHECK_EQ(f.nstop_ok, 0); /* the received session ended abnormally */
	CHECK_EQ(ow_store_state(f.store, a1.sid, NULL), OW_SESS_ABORTED);
	t_log_reset();
	fx_free(&f);
}

TEST(stop_describing_the_servers_send_session_closes)
{
	static struct fx f;
	struct codec_accept_session a1, a2;
	struct codec_ow_stop_rec rec = {0};

	two_sessions_started(&f, XW_MODE_AUTH, &a1, &a2);
	memcpy(rec.sid, a2.sid, 16); /* the server sends that one, not the client */
	rec.next_seqno = NPKT;
	t_log_capture();
	stop(&f, &rec, 1);
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_PROTO);
	CHECK(t_logged("a session the client does not send"));
	t_log_reset();
	fx_free(&f);
}

TEST(stop_with_skip_ranges_out_of_order_closes)
{
	static struct fx f;
	struct codec_accept_session a1, a2;
	uint8_t buf[16 + 32 + 16] = {XW_CMD_STOP_SESSIONS};

	two_sessions_started(&f, XW_MODE_OPEN, &a1, &a2);
	put_be32(buf + 4, 1);
	memcpy(buf + 16, a1.sid, 16);
	put_be32(buf + 32, NPKT);
	put_be32(buf + 36, 1);
	put_be32(buf + 40, 6); /* 6..5: reversed */
	put_be32(buf + 44, 5);
	t_log_capture();
	send_part(&f, buf, sizeof(buf));
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_PROTO);
	CHECK(t_logged("malformed Stop-Sessions"));
	t_log_reset();
	fx_free(&f);
}

TEST(stop_with_next_seqno_beyond_the_session_closes)
{
	static struct fx f;
	struct codec_accept_session a1, a2;
	struct codec_ow_stop_rec rec = {0};

	two_sessions_started(&f, XW_MODE_OPEN, &a1, &a2);
	memcpy(rec.sid, a1.sid, 16);
	rec.next_seqno = NPKT + 1;
	t_log_capture();
	stop(&f, &rec, 1);
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_PROTO);
	t_log_reset();
	fx_free(&f);
}

TEST(fetch_while_testing_closes)
{
	static struct fx f;
	struct codec_accept_session a1, a2;
	struct codec_fetch_ack fa;

	two_sessions_started(&f, XW_MODE_OPEN, &a1, &a2);
	t_log_capture();
	CHECK(fetch(&f, a1.sid, &fa) < 0); /* no answer */
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_PROTO);
	CHECK(t_logged("Fetch-Session not allowed in state testing"));
	t_log_reset();
	fx_free(&f);
}

TEST(unsupported_requests_get_accept_codes)
{
	static struct fx f;
	struct codec_accept_session a;
	uint8_t buf[CODEC_OW_REQUEST_LEN(1)], out[48];

	fx_setup(&f, XW_MODE_AUTH, 16);
	t_log_capture();
	/* an unknown slot type: Accept 3, the connection goes on */
	CHECK_EQ(request(&f, 1, 2, &a), XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(a.port, 0);
	/* both Conf bits: Accept 3 */
	CHECK_EQ(request(&f, 1, CODEC_SLOT_EXP, &a), XW_ACCEPT_OK);
	memset(buf, 0, sizeof(buf));
	buf[0] = XW_CMD_REQUEST_SESSION;
	buf[1] = 4;
	buf[2] = buf[3] = 1;
	put_be32(buf + 4, 1);
	put_be32(buf + 8, NPKT);
	send_part(&f, buf, CODEC_OW_REQUEST_HMAC1_END);
	send_part(&f, buf + CODEC_OW_REQUEST_HMAC1_END, 32);
	CHECK_EQ(recv_part(&f, out, 48), 0);
	CHECK_EQ(out[0], XW_ACCEPT_NOT_SUPPORTED);
	/* we send, but the client gave no SID: Accept 1 (buf was sealed in place: anew) */
	memset(buf, 0, sizeof(buf));
	buf[0] = XW_CMD_REQUEST_SESSION;
	buf[1] = 4;
	buf[2] = 1;
	put_be32(buf + 4, 1);
	put_be32(buf + 8, NPKT);
	send_part(&f, buf, CODEC_OW_REQUEST_HMAC1_END);
	send_part(&f, buf + CODEC_OW_REQUEST_HMAC1_END, 32);
	CHECK_EQ(recv_part(&f, out, 48), 0);
	CHECK_EQ(out[0], XW_ACCEPT_FAILURE);
	CHECK(!srv_closed(f.srv));
	t_log_reset();
	fx_free(&f);
}

TEST(session_limit_accept_4)
{
	static struct fx f;
	struct codec_accept_session a;
	int i;

	fx_setup(&f, XW_MODE_OPEN, 32);
	for (i = 0; i < 4; i++)
		CHECK_EQ(request(&f, 1, CODEC_SLOT_EXP, &a), XW_ACCEPT_OK);
	t_log_capture();
	CHECK_EQ(request(&f, 1, CODEC_SLOT_EXP, &a), XW_ACCEPT_PERM_LIMIT);
	t_log_reset();
	fx_free(&f);
}

TEST(twamp_command_on_owamp_closes_with_accept_3)
{
	static struct fx f;
	uint8_t buf[XW_REQUEST_TW_SESSION_LEN] = {XW_CMD_REQUEST_TW_SESSION, 4}, out[48];

	fx_setup(&f, XW_MODE_ENCRYPTED, 16);
	t_log_capture();
	send_part(&f, buf, sizeof(buf));
	CHECK(srv_closed(f.srv));
	CHECK_EQ(recv_part(&f, out, 48), 0);
	CHECK_EQ(out[0], XW_ACCEPT_NOT_SUPPORTED);
	t_log_reset();
	fx_free(&f);
}
