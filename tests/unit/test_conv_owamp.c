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
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "cli.h"
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
/* srv_cfg.ow_max_slots of the next fx_server() (0: the default) */
static uint32_t fx_max_slots;
/* srv_cfg.ow_stopwait_ns of the next fx_server() */
static uint64_t fx_stopwait_ns;

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

static int cb_key(void *arg, const struct srv_key_req *req, uint8_t *secret, size_t *len)
{
	const uint8_t *keyid = req->keyid;

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

	return ow_store_fetch_stream(f->store, q, out);
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

/* The server side only: store and state machine, the greeting queued. */
static void fx_server(struct fx *f, size_t chunk)
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
		.ow_max_slots = fx_max_slots,
		.ow_stopwait_ns = fx_stopwait_ns,
	};

	memset(f, 0, sizeof(*f));
	memcpy(cfg.sid_addr, SID_ADDR, 4);
	f->now = NOW0;
	f->chunk = chunk;
	f->store = ow_store_new(&scfg);
	f->srv = srv_new(&cfg, &OPS, f, f->now);
	CHECK(f->srv != NULL);
}

static void fx_setup(struct fx *f, uint32_t mode, size_t chunk)
{
	struct codec_greeting g;
	struct codec_setup_response r = {.mode = mode};
	struct codec_server_start ss;
	struct xw_session_keys keys;
	uint8_t buf[XW_SETUP_RESPONSE_LEN], kek[16];

	fx_server(f, chunk);
	f->mode = mode;
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

/* ---- the real client machine (control/cli.h, CLI_PROTO_OWAMP) --------------- */

#define NEV 32

struct cfx {
	struct fx f;
	struct cli *c;
	struct cli_event ev[NEV];
	int nev;
};

/* Everything each side queues goes to the other in f.chunk pieces, until both are quiet. */
static void cpump(struct cfx *x)
{
	const uint8_t *p;
	size_t n, k;
	int moved;
	struct cli_event ev;

	do {
		moved = 0;
		while ((p = cli_out_peek(x->c, &n)) && n) {
			k = n < x->f.chunk ? n : x->f.chunk;
			if (!srv_closed(x->f.srv))
				srv_feed(x->f.srv, p, k, x->f.now);
			cli_out_consume(x->c, k);
			moved = 1;
		}
		while ((p = srv_out_peek(x->f.srv, &n)) && n) {
			k = n < x->f.chunk ? n : x->f.chunk;
			if (!cli_closed(x->c))
				cli_feed(x->c, p, k);
			srv_out_consume(x->f.srv, k);
			moved = 1;
		}
		if (srv_closed(x->f.srv) && !cli_closed(x->c)) {
			cli_eof(x->c);
			moved = 1;
		}
		while (cli_event(x->c, &ev))
			if (x->nev < NEV)
				x->ev[x->nev++] = ev;
	} while (moved);
}

static struct cli *ow_cli(uint32_t modes, uint32_t prefer)
{
	struct cli_cfg cfg = {
		.proto = CLI_PROTO_OWAMP,
		.modes = modes,
		.prefer = prefer,
		.secret = (const uint8_t *)PASS,
		.secret_len = strlen(PASS),
		.peer = "srv",
	};

	memcpy(cfg.keyid, "alice", 5);
	return cli_new(&cfg);
}

/* A Request-Session as xwping makes it; the server receives (-t) or sends (-f). */
static void ow_req(struct codec_request_session *m, const struct codec_ow_slot *slot,
		   int server_receives, uint64_t now)
{
	memset(m, 0, sizeof(*m));
	m->f.ipvn = 4;
	m->f.conf_receiver = (uint8_t)server_receives;
	m->f.conf_sender = (uint8_t)!server_receives;
	m->f.num_slots = 1;
	m->f.num_packets = NPKT;
	m->f.sender_port = server_receives ? 9000 : 0;
	m->f.receiver_port = server_receives ? 0 : 9001;
	memcpy(m->f.sender_addr, SID_ADDR, 4);
	memcpy(m->f.receiver_addr, SID_ADDR, 4);
	if (!server_receives)
		t_unhex(CLIENT_SID, m->f.sid, 16);
	m->f.start_time = xw_ns_to_ntp(now + 1000000000ull);
	m->f.timeout = 2ull << 32;
	m->slots = slot;
}

static int find_ev(const struct cfx *x, enum cli_ev_type type, int from)
{
	int i;

	for (i = from; i < x->nev; i++)
		if (x->ev[i].type == type)
			return i;
	return -1;
}

/* Handshake, both Request-Sessions and Start-Sessions through the client machine. */
static void cli_started(struct cfx *x, uint32_t mode, size_t chunk, int *i1, int *i2)
{
	static const struct codec_ow_slot slot = {CODEC_SLOT_EXP, 0x199999a0};
	struct codec_request_session m;
	int k;

	memset(x, 0, sizeof(*x));
	fx_server(&x->f, chunk);
	x->c = ow_cli(mode, 0);
	CHECK(x->c != NULL);
	if (!x->c || !x->f.srv)
		return;
	/* queued before the greeting: the machine sends them in turn after Server-Start */
	ow_req(&m, &slot, 1, x->f.now);
	*i1 = cli_ow_request(x->c, &m);
	ow_req(&m, &slot, 0, x->f.now);
	*i2 = cli_ow_request(x->c, &m);
	CHECK_EQ(*i1, 0);
	CHECK_EQ(*i2, 1);
	CHECK_EQ(cli_start(x->c), 0);
	cpump(x);
	k = find_ev(x, CLI_EV_SERVER_START, 0);
	CHECK(k >= 0);
	if (k < 0)
		return;
	CHECK_EQ(x->ev[k].accept, XW_ACCEPT_OK);
	CHECK_EQ(cli_mode(x->c), mode);
	k = find_ev(x, CLI_EV_ACCEPT, k);
	CHECK(k >= 0 && x->ev[k].sess == *i1 && x->ev[k].accept == XW_ACCEPT_OK);
	k = find_ev(x, CLI_EV_ACCEPT, k + 1);
	CHECK(k >= 0 && x->ev[k].sess == *i2 && x->ev[k].accept == XW_ACCEPT_OK);
	k = find_ev(x, CLI_EV_STARTED, k + 1);
	CHECK(k >= 0 && x->ev[k].accept == XW_ACCEPT_OK && x->ev[k].count == 2);
	CHECK_EQ(srv_state(x->f.srv), SRV_TESTING);
	CHECK_EQ(cli_busy(x->c), 0);
}

static void cli_whole(uint32_t mode, size_t chunk)
{
	static struct cfx x;
	struct codec_ow_slot slot = {CODEC_SLOT_EXP, 0x199999a0};
	struct codec_ow_skip skip = {7, 7};
	struct codec_ow_stop_rec rec = {0};
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	const struct cli_sess *s1, *s2;
	const struct cli_fetch *fr;
	struct codec_request_session rs;
	struct codec_ow_record r;
	struct xw_ow_sched sch;
	uint8_t sid[16];
	uint32_t seq, i;
	uint64_t t;
	int i1 = -1, i2 = -1, fi, bad, k;

	cli_started(&x, mode, chunk, &i1, &i2);
	if (t_failed())
		goto out;
	s1 = cli_sess(x.c, i1);
	s2 = cli_sess(x.c, i2);
	CHECK_EQ(s1->port, RECV_PORT);
	CHECK_EQ(s1->ow_send, 1);
	CHECK_MEM(s1->sid, SID_ADDR, 4); /* RFC 4656 3.5: the server receives, its SID */
	CHECK_EQ(s2->port, SEND_PORT);
	CHECK_EQ(s2->ow_send, 0);
	t_unhex(CLIENT_SID, sid, 16);
	CHECK_MEM(s2->sid, sid, 16); /* we receive: the SID we chose */
	CHECK_EQ(cli_keys(x.c) != NULL, mode != XW_MODE_OPEN);
	/* RFC 4656 4.1.2: each session's test keys from the control keys and its SID */
	CHECK_EQ(s1->has_keys, mode != XW_MODE_OPEN);
	CHECK_EQ(s2->has_keys, mode != XW_MODE_OPEN);
	if (mode != XW_MODE_OPEN) {
		struct xw_session_keys tk;

		CHECK_EQ(xw_test_keys_derive(cli_keys(x.c), s1->sid, &tk), 0);
		CHECK_MEM(&s1->keys, &tk, sizeof(tk));
		CHECK_EQ(xw_test_keys_derive(cli_keys(x.c), s2->sid, &tk), 0);
		CHECK_MEM(&s2->keys, &tk, sizeof(tk));
	}

	/* the server's receiver records every packet but 4 (lost) and 7 (skipped) */
	CHECK_EQ(xw_ow_sched_init(&sch, s1->sid, &slot, 1, xw_ns_to_ntp(NOW0 + 1000000000ull)), 0);
	for (seq = 0; seq < NPKT; seq++) {
		t = xw_ow_sched_next(&sch);
		if (seq == 4 || seq == 7)
			continue;
		r = (struct codec_ow_record){seq, 0x8001, 0x8001, t, t + (1ull << 32) / 1000, 61};
		CHECK_EQ(ow_store_add(x.f.store, s1->sid, &r), 0);
	}
	xw_ow_sched_fini(&sch);
	x.f.now += 100ull * 1000000000ull;

	/* Stop-Sessions both ways (RFC 4656 3.8): our record, the server's record */
	memcpy(rec.sid, s1->sid, 16);
	rec.next_seqno = NPKT;
	rec.num_skips = 1;
	rec.skips = &skip;
	x.nev = 0;
	CHECK_EQ(cli_ow_stop(x.c, XW_ACCEPT_OK, &rec, 1), 0);
	cpump(&x);
	CHECK_EQ(x.nev, 1);
	CHECK_EQ(x.ev[0].type, CLI_EV_STOPPED);
	CHECK_EQ(x.ev[0].accept, XW_ACCEPT_OK);
	CHECK_EQ(x.ev[0].count, 1);
	CHECK_EQ(x.f.nstop_ok, 1); /* the server took our skip range and Next Seqno */
	CHECK_EQ(srv_state(x.f.srv), SRV_READY);
	CHECK(s1->stopped && s2->stopped);
	CHECK_EQ(s2->ow_stop_seen, 1);
	CHECK_EQ(s2->ow_next_seqno, NPKT);
	CHECK_EQ(s2->ow_nskips, 1);
	CHECK(s2->ow_nskips == 1 && s2->ow_skips[0].first == 2 && s2->ow_skips[0].last == 3);

	/* Fetch-Session of what the server received, and of an unknown SID (RFC 4656 3.9) */
	memcpy(q.sid, s1->sid, 16);
	x.nev = 0;
	fi = cli_ow_fetch(x.c, &q);
	q.sid[0] ^= 0x80;
	bad = cli_ow_fetch(x.c, &q);
	CHECK(fi >= 0 && bad > fi);
	cpump(&x);
	k = find_ev(&x, CLI_EV_FETCHED, 0);
	CHECK(k == 0 && x.ev[0].sess == fi && x.ev[0].accept == XW_ACCEPT_OK && x.ev[0].count == 9);
	k = find_ev(&x, CLI_EV_FETCHED, 1);
	CHECK(k == 1 && x.ev[1].sess == bad && x.ev[1].accept == XW_ACCEPT_FAILURE);
	fr = cli_fetch(x.c, fi);
	CHECK_EQ(fr->ack.finished, 1);
	CHECK_EQ(fr->ack.next_seqno, NPKT);
	CHECK(fr->ack.num_skips == 1 && fr->skips[0].first == 7 && fr->skips[0].last == 7);
	CHECK_EQ(fr->ack.num_records, 9);
	for (i = 0; i < 9 && fr->ack.num_records == 9; i++) {
		CHECK_EQ(fr->recs[i].seq, i < 8 ? (i < 4 ? i : i < 6 ? i + 1 : i + 2) : 4);
		CHECK_EQ(codec_ow_record_lost(&fr->recs[i]), i == 8);
	}
	CHECK_EQ(codec_request_session_decode(&rs, fr->req, fr->req_len), 0);
	CHECK_EQ(rs.f.receiver_port, RECV_PORT);
	CHECK_MEM(rs.f.sid, s1->sid, 16);
	CHECK(!cli_closed(x.c));
	CHECK(!srv_closed(x.f.srv));
	CHECK_EQ(cli_busy(x.c), 0);
out:
	cli_free(x.c);
	fx_free(&x.f);
}

TEST(client_machine_open_bytewise)
{
	cli_whole(XW_MODE_OPEN, 1);
}

TEST(client_machine_auth)
{
	cli_whole(XW_MODE_AUTH, 7);
}

TEST(client_machine_encrypted_bytewise)
{
	cli_whole(XW_MODE_ENCRYPTED, 1);
}

TEST(client_machine_encrypted_whole_messages)
{
	cli_whole(XW_MODE_ENCRYPTED, 4096);
}

TEST(client_never_chooses_mixed_mode_on_owamp)
{
	static struct cfx x;
	int i1, i2;

	/* mixed is TWAMP's (RFC 5618): masked out even when preferred */
	memset(&x, 0, sizeof(x));
	fx_server(&x.f, 64);
	x.c = ow_cli(XW_MODE_MIXED | XW_MODE_AUTH, XW_MODE_MIXED);
	cpump(&x);
	CHECK_EQ(cli_mode(x.c), XW_MODE_AUTH);
	CHECK_EQ(cli_state(x.c), CLI_READY);
	/* the other protocol's commands are refused, nothing is sent */
	CHECK_EQ(cli_request(x.c, &(struct twsess_params){.ipvn = 4}), -EOPNOTSUPP);
	CHECK_EQ(cli_stop(x.c, 0), -EOPNOTSUPP);
	CHECK_EQ(cli_start_n(x.c, (int[]){0}, 1), -EOPNOTSUPP);
	CHECK_EQ(cli_out_pending(x.c), 0);
	cli_free(x.c);
	fx_free(&x.f);
	(void)i1;
	(void)i2;
}

TEST(owamp_commands_refused_on_twamp)
{
	struct cli_cfg cfg = {.modes = XW_MODE_OPEN, .peer = "srv"};
	struct codec_fetch_session q = {0};
	struct codec_request_session m;
	struct codec_ow_slot slot = {CODEC_SLOT_FIXED, 1ull << 32};
	struct cli *c = cli_new(&cfg);

	ow_req(&m, &slot, 1, NOW0);
	CHECK_EQ(cli_ow_request(c, &m), -EOPNOTSUPP);
	CHECK_EQ(cli_ow_stop(c, 0, NULL, 0), -EOPNOTSUPP);
	CHECK_EQ(cli_ow_fetch(c, &q), -EOPNOTSUPP);
	cli_free(c);
}

TEST(client_does_not_send_a_stop_missing_its_send_session)
{
	static struct cfx x;
	int i1 = -1, i2 = -1;

	cli_started(&x, XW_MODE_ENCRYPTED, 16, &i1, &i2);
	if (t_failed())
		goto out;
	x.nev = 0;
	t_log_capture();
	/* RFC 4656 3.8: it must account for the session we send: 0 records is invalid */
	CHECK_EQ(cli_ow_stop(x.c, XW_ACCEPT_OK, NULL, 0), 0);
	CHECK_EQ(cli_out_pending(x.c), 0);
	CHECK(cli_event(x.c, &x.ev[0]));
	CHECK_EQ(x.ev[0].type, CLI_EV_STOPPED);
	CHECK_EQ(x.ev[0].accept, XW_ACCEPT_FAILURE);
	CHECK(t_logged("not sent (RFC 4656 3.8)"));
	CHECK(!cli_closed(x.c));
	CHECK_EQ(srv_state(x.f.srv), SRV_TESTING);
	t_log_reset();
out:
	cli_free(x.c);
	fx_free(&x.f);
}

/*
 * The client sends Stop-Sessions for its session I (NPKT packets sent) and
 * the server never sees it: an on-path forger answers instead.
 */
static void cli_stop_unheard(struct cfx *x, int i)
{
	struct codec_ow_stop_rec rec = {0};
	size_t n;

	memcpy(rec.sid, cli_sess(x->c, i)->sid, 16);
	rec.next_seqno = NPKT;
	CHECK_EQ(cli_ow_stop(x->c, XW_ACCEPT_OK, &rec, 1), 0);
	cli_out_peek(x->c, &n);
	CHECK(n > 0);
	cli_out_consume(x->c, n);
}

TEST(client_closes_on_a_server_stop_with_the_wrong_count)
{
	static struct cfx x;
	uint8_t forged[CODEC_OW_STOP_HDR_LEN + XW_HMAC_LEN];
	int i1 = -1, i2 = -1;

	cli_started(&x, XW_MODE_OPEN, 64, &i1, &i2);
	if (t_failed())
		goto out;
	cli_stop_unheard(&x, i1);
	/* a Stop-Sessions describing none of the one session the server sends */
	CHECK_EQ(codec_ow_stop_sessions_encode(XW_ACCEPT_OK, NULL, 0, forged, sizeof(forged)),
		 (int)sizeof(forged));
	t_log_capture();
	cli_feed(x.c, forged, sizeof(forged));
	CHECK(cli_closed(x.c));
	CHECK_EQ(cli_close_reason(x.c), CLI_CLOSE_PROTO);
	CHECK(t_logged("describes 0 sessions, it sends 1"));
	CHECK_EQ(cli_sess(x.c, i2)->ow_stop_seen, 0);
	t_log_reset();
out:
	cli_free(x.c);
	fx_free(&x.f);
}

TEST(client_closes_on_an_accept_with_port_0)
{
	/*
	 * An Accept-Session with Accept 0 and Port 0 for a session we send
	 * (RFC 4656 3.5: Port is where the packets go): nowhere to send, the
	 * client closes rather than send to port 0.  For a session the server
	 * sends, Port 0 is only the port it sends from: accepted.
	 */
	static const struct codec_ow_slot slot = {CODEC_SLOT_EXP, 0x199999a0};
	static struct cfx x;
	struct codec_request_session m;
	struct codec_accept_session a = {0};
	uint8_t forged[XW_ACCEPT_SESSION_LEN];
	int server_receives, i;
	size_t n;

	for (server_receives = 1; server_receives >= 0; server_receives--) {
		memset(&x, 0, sizeof(x));
		fx_server(&x.f, 64);
		x.c = ow_cli(XW_MODE_OPEN, 0);
		CHECK(x.c != NULL && x.f.srv != NULL);
		if (!x.c || !x.f.srv)
			goto out;
		cpump(&x); /* greeting, Set-Up-Response, Server-Start */
		CHECK(find_ev(&x, CLI_EV_SERVER_START, 0) >= 0);
		ow_req(&m, &slot, server_receives, x.f.now);
		i = cli_ow_request(x.c, &m);
		CHECK_EQ(i, 0);
		cli_out_peek(x.c, &n);
		CHECK(n > 0);
		cli_out_consume(x.c, n); /* an on-path forger answers instead */
		a.accept = XW_ACCEPT_OK;
		a.port = 0;
		memset(a.sid, 0x5a, sizeof(a.sid));
		CHECK_EQ(codec_accept_session_encode(&a, XW_MODE_OPEN, forged, sizeof(forged)),
			 (int)sizeof(forged));
		t_log_capture();
		cli_feed(x.c, forged, sizeof(forged));
		if (server_receives) {
			CHECK(cli_closed(x.c));
			CHECK_EQ(cli_close_reason(x.c), CLI_CLOSE_PROTO);
			CHECK(t_logged("accepted with Port 0"));
		} else {
			CHECK(!cli_closed(x.c));
			CHECK_EQ(cli_sess(x.c, i)->accept, XW_ACCEPT_OK);
		}
		t_log_reset();
	out:
		cli_free(x.c);
		fx_free(&x.f);
	}
}

TEST(client_closes_on_a_fetch_ack_announcing_too_many_records)
{
	static struct cfx x;
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	struct codec_fetch_ack fa = {.accept = XW_ACCEPT_OK,
				     .finished = 1,
				     .next_seqno = 0xffffffffu,
				     .num_records = 0xffffffffu};
	uint8_t ack[CODEC_FETCH_ACK_LEN];
	size_t n;
	int fi;

	memset(&x, 0, sizeof(x));
	fx_server(&x.f, 64);
	x.c = ow_cli(XW_MODE_OPEN, 0);
	cpump(&x);
	CHECK_EQ(cli_state(x.c), CLI_READY);
	fi = cli_ow_fetch(x.c, &q);
	CHECK_EQ(fi, 0);
	cli_out_peek(x.c, &n);
	cli_out_consume(x.c, n);
	/* 4 Gi records would be a 100 GiB allocation: refused before any is read */
	CHECK_EQ(codec_fetch_ack_encode(&fa, ack, sizeof(ack)), (int)sizeof(ack));
	t_log_capture();
	cli_feed(x.c, ack, sizeof(ack));
	CHECK(cli_closed(x.c));
	CHECK_EQ(cli_close_reason(x.c), CLI_CLOSE_PROTO);
	CHECK(t_logged("more than we take"));
	t_log_reset();
	cli_free(x.c);
	fx_free(&x.f);
}

/*
 * Fetch data whose records fall outside the range asked (RFC 4656 3.9: the
 * records "that fall within the requested range") or at/after a finished
 * session's Next Seqno: the client refuses them and closes.
 */
TEST(client_closes_on_fetch_records_outside_the_range)
{
	static const uint8_t seqs[] = {3, 12, 10, 7};
	static const uint32_t next[] = {10, 10, 10, 11};
	static const char *why[] = {"outside 5..11 asked", "outside 5..11 asked",
				    "or beyond Next Seqno",
				    "Next Seqno 11 beyond the session's 10"};
	unsigned int k;

	for (k = 0; k < sizeof(seqs); k++) {
		static struct cfx x;
		struct codec_fetch_session q = {5, 11, {0x7f, 0, 0, 1, 9}};
		struct codec_fetch_ack fa = {.accept = XW_ACCEPT_OK,
					     .finished = 1,
					     .next_seqno = next[k],
					     .num_records = 1};
		struct codec_ow_slot slot = {CODEC_SLOT_FIXED, 1ull << 30};
		struct codec_request_session rq = {.slots = &slot};
		struct codec_ow_record r = {.seq = seqs[k], .send_ts = 1, .recv_ts = 2, .ttl = 64};
		uint8_t buf[CODEC_FETCH_ACK_LEN + CODEC_OW_REQUEST_LEN(1) +
			    CODEC_OW_SKIPS_PART_LEN(0) + CODEC_OW_RECORDS_PART_LEN(1)];
		size_t n, off = 0;

		memset(&x, 0, sizeof(x));
		fx_server(&x.f, 64);
		x.c = ow_cli(XW_MODE_OPEN, 0);
		cpump(&x);
		CHECK_EQ(cli_state(x.c), CLI_READY);
		CHECK_EQ(cli_ow_fetch(x.c, &q), 0);
		cli_out_peek(x.c, &n);
		cli_out_consume(x.c, n); /* a forged server answers */
		rq.f.ipvn = 4;
		rq.f.conf_receiver = 1;
		rq.f.num_slots = 1;
		rq.f.num_packets = 10;
		memcpy(rq.f.sid, q.sid, XW_SID_LEN);
		off += (size_t)codec_fetch_ack_encode(&fa, buf, sizeof(buf));
		off += (size_t)codec_request_session_encode(&rq, buf + off, sizeof(buf) - off);
		off += (size_t)codec_ow_skips_part_encode(NULL, 0, buf + off, sizeof(buf) - off);
		off += (size_t)codec_ow_records_part_encode(&r, 1, buf + off, sizeof(buf) - off);
		CHECK_EQ(off, sizeof(buf));
		t_log_capture();
		cli_feed(x.c, buf, sizeof(buf));
		CHECK(cli_closed(x.c));
		CHECK_EQ(cli_close_reason(x.c), CLI_CLOSE_PROTO);
		CHECK(t_logged(why[k]));
		t_log_reset();
		cli_free(x.c);
		fx_free(&x.f);
		if (t_failed())
			return;
	}
}

/*
 * A Request-Session of nslots fixed slots and npkt packets (the server
 * receives), fed in f->chunk pieces; *closed when the server closed
 * instead of answering.  Returns the Accept or -1.
 */
static int request_n(struct fx *f, uint32_t nslots, uint32_t npkt, uint8_t *sid)
{
	struct codec_request_session m = {0};
	struct codec_ow_slot *slots = calloc(nslots, sizeof(*slots));
	size_t len = CODEC_OW_REQUEST_LEN(nslots);
	uint8_t *buf = malloc(len), out[XW_ACCEPT_SESSION_LEN];
	struct codec_accept_session a;
	uint32_t i;
	int rc = -1;

	if (!slots || !buf)
		goto out;
	for (i = 0; i < nslots; i++)
		slots[i] = (struct codec_ow_slot){CODEC_SLOT_FIXED, 0x10000000ull + i};
	m.f.ipvn = 4;
	m.f.conf_receiver = 1;
	m.f.num_slots = nslots;
	m.f.num_packets = npkt;
	m.f.sender_port = 9000;
	memcpy(m.f.sender_addr, SID_ADDR, 4);
	memcpy(m.f.receiver_addr, SID_ADDR, 4);
	m.f.start_time = xw_ns_to_ntp(f->now + 1000000000ull);
	m.f.timeout = 2ull << 32;
	m.slots = slots;
	if (codec_request_session_encode(&m, buf, len) != (int)len)
		goto out;
	send_part(f, buf, CODEC_OW_REQUEST_HMAC1_END);
	send_part(f, buf + CODEC_OW_REQUEST_HMAC1_END, len - CODEC_OW_REQUEST_HMAC1_END);
	if (recv_part(f, out, sizeof(out)) ||
	    codec_accept_session_decode(&a, f->mode, out, sizeof(out)))
		goto out;
	if (sid)
		memcpy(sid, a.sid, 16);
	rc = a.accept;
out:
	free(slots);
	free(buf);
	return rc;
}

/*
 * RFC 4656 3.5 sets no bound on Number of Schedule Slots; ours is
 * --owamp-max-slots.  At and below it the request is taken (3000: three
 * times what a 16 KiB buffer held), above it the request is read through
 * without being kept and refused with Accept 4 (3.3: permanent resource
 * limitation) while the connection goes on in step: a request after it is
 * accepted, in encrypted mode too (CBC chain and HMAC followed the slots).
 */
TEST(request_slots_at_below_above_the_bound)
{
	static const uint32_t modes[] = {XW_MODE_OPEN, XW_MODE_ENCRYPTED};
	unsigned int k;

	for (k = 0; k < 2 && !t_failed(); k++) {
		static struct fx f;
		static const struct ow_store_cfg big = {100000, 1000000, 8, 60ull * 1000000000ull};

		fx_max_slots = 3000;
		fx_setup(&f, modes[k], 1000);
		fx_max_slots = 0;
		ow_store_free(f.store);
		f.store = ow_store_new(&big);
		t_log_capture();
		CHECK_EQ(request_n(&f, 2999, NPKT, NULL), XW_ACCEPT_OK);
		CHECK_EQ(request_n(&f, 3000, NPKT, NULL), XW_ACCEPT_OK);
		CHECK_EQ(request_n(&f, 3001, NPKT, NULL), XW_ACCEPT_PERM_LIMIT);
		CHECK(t_logged("3001 schedule slots, more than --owamp-max-slots 3000"));
		/* far beyond: 4 MiB of slots stream through, nothing of it kept */
		CHECK_EQ(request_n(&f, 1u << 18, NPKT, NULL), XW_ACCEPT_PERM_LIMIT);
		CHECK(!srv_closed(f.srv));
		CHECK_EQ(request_n(&f, 1, NPKT, NULL), XW_ACCEPT_OK);
		CHECK_EQ(srv_nsessions(f.srv), 3);
		t_log_reset();
		fx_free(&f);
	}
}

/* A slot altered on the way: the streamed part's HMAC does not verify: closed, no answer. */
TEST(request_beyond_the_bound_with_a_bad_hmac_closes)
{
	static struct fx f;
	uint32_t n = 5000;
	size_t len = CODEC_OW_REQUEST_LEN(n);
	uint8_t *buf = calloc(1, len);

	fx_setup(&f, XW_MODE_AUTH, 512);
	CHECK(buf != NULL);
	if (t_failed())
		goto out;
	buf[0] = XW_CMD_REQUEST_SESSION;
	buf[1] = 4;
	buf[3] = 1;
	put_be32(buf + 4, n);
	put_be32(buf + 8, NPKT);
	send_part(&f, buf, CODEC_OW_REQUEST_HMAC1_END);
	CHECK_EQ(chan_seal(&f.ch, buf + CODEC_OW_REQUEST_HMAC1_END,
			   len - CODEC_OW_REQUEST_HMAC1_END),
		 0);
	buf[len - 100] ^= 1;
	t_log_capture();
	srv_feed(f.srv, buf + CODEC_OW_REQUEST_HMAC1_END, len - CODEC_OW_REQUEST_HMAC1_END, f.now);
	CHECK(srv_closed(f.srv));
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_HMAC);
	CHECK_EQ(pending(&f), 0);
	t_log_reset();
out:
	free(buf);
	fx_free(&f);
}

/*
 * Stop-Sessions is bounded by what the client's send sessions could have
 * sent (RFC 4656 3.8: skip ranges of packets below Next Seqno <= Number of
 * Packets), not by a fixed size: a legitimate one with 3000 skip ranges
 * (24 KiB, beyond the 16 KiB buffer of before) is taken in encrypted mode;
 * one longer than that bound is closed on with a log line as soon as it
 * passes the bound, without waiting for (or holding) the rest; a Number of
 * Sessions not theirs is closed on from the first block.
 */
TEST(stop_sessions_bounded_by_the_sessions)
{
	static const struct ow_store_cfg big = {100000, 1000000, 8, 60ull * 1000000000ull};
	static struct fx f;
	static struct codec_ow_skip sk[3000];
	struct codec_ow_stop_rec rec = {0};
	uint8_t sid[16], *buf;
	size_t cap = 16 + CODEC_OW_STOP_REC_LEN(60000) + 16;
	int len, i;
	uint8_t hdr[16];

	buf = malloc(cap);
	CHECK(buf != NULL);
	/* the legitimate one */
	fx_setup(&f, XW_MODE_ENCRYPTED, 4096);
	ow_store_free(f.store);
	f.store = ow_store_new(&big);
	CHECK_EQ(request_n(&f, 1, 6000, sid), XW_ACCEPT_OK);
	start(&f);
	for (i = 0; i < 3000; i++)
		sk[i] = (struct codec_ow_skip){(uint32_t)i * 2, (uint32_t)i * 2};
	memcpy(rec.sid, sid, 16);
	rec.next_seqno = 6000;
	rec.num_skips = 3000;
	rec.skips = sk;
	len = codec_ow_stop_sessions_encode(0, &rec, 1, buf, cap);
	CHECK(len > 16 * 1024);
	send_part(&f, buf, (size_t)len);
	CHECK(!srv_closed(f.srv));
	CHECK_EQ(srv_state(f.srv), SRV_READY);
	CHECK_EQ(f.nstop_ok, 1);
	fx_free(&f);
	if (t_failed())
		goto out;

	/* 60000 ranges below a Next Seqno of 10^6, for a session of 10 packets */
	fx_setup(&f, XW_MODE_ENCRYPTED, 16);
	CHECK_EQ(request_n(&f, 1, NPKT, sid), XW_ACCEPT_OK);
	start(&f);
	memset(buf, 0, cap);
	buf[0] = XW_CMD_STOP_SESSIONS;
	put_be32(buf + 4, 1);
	memcpy(buf + 16, sid, 16);
	put_be32(buf + 32, 1000000);
	put_be32(buf + 36, 60000);
	CHECK_EQ(chan_seal(&f.ch, buf, cap), 0);
	t_log_capture();
	/* the bound is 16 + 112 + 16 octets: fed 160, closed */
	srv_feed(f.srv, buf, 160, f.now);
	CHECK(srv_closed(f.srv));
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_PROTO);
	CHECK(t_logged("a 480064-octet Stop-Sessions is longer than it may be here (144)"));
	t_log_reset();
	fx_free(&f);
	if (t_failed())
		goto out;

	/* Number of Sessions 5 for the 1 session the client sends: closed from 16 octets */
	fx_setup(&f, XW_MODE_OPEN, 16);
	CHECK_EQ(request_n(&f, 1, NPKT, sid), XW_ACCEPT_OK);
	start(&f);
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = XW_CMD_STOP_SESSIONS;
	put_be32(hdr + 4, 5);
	t_log_capture();
	srv_feed(f.srv, hdr, sizeof(hdr), f.now);
	CHECK(srv_closed(f.srv));
	CHECK(t_logged("Stop-Sessions describes 5 sessions, the client sends 1"));
	t_log_reset();
	fx_free(&f);
out:
	free(buf);
}

/*
 * The server's Stop-Sessions is bounded the same way at the client (RFC
 * 4656 3.8): a record with 60000 skip ranges for a session of NPKT packets
 * is refused from its record header, not buffered.
 */
TEST(client_closes_on_a_server_stop_longer_than_its_sessions)
{
	static struct cfx x;
	uint8_t forged[64] = {XW_CMD_STOP_SESSIONS};
	int i1 = -1, i2 = -1;

	cli_started(&x, XW_MODE_OPEN, 64, &i1, &i2);
	if (t_failed())
		goto out;
	cli_stop_unheard(&x, i1);
	put_be32(forged + 4, 1);
	memcpy(forged + 16, cli_sess(x.c, i2)->sid, 16);
	put_be32(forged + 32, 1000000);
	put_be32(forged + 36, 60000);
	t_log_capture();
	cli_feed(x.c, forged, sizeof(forged));
	CHECK(cli_closed(x.c));
	CHECK_EQ(cli_close_reason(x.c), CLI_CLOSE_PROTO);
	CHECK(t_logged("longer than the 1 sessions it sends could need (144 octets)"));
	t_log_reset();
out:
	cli_free(x.c);
	fx_free(&x.f);
}

/*
 * Fetch-Session of 100000 records (RFC 4656 3.9) in encrypted mode: the
 * server queues its records a step at a time as its output is taken, so
 * what waits never exceeds ~48 KiB (2.5 MB whole) even when nothing is
 * taken at all; every record arrives byte-exact through the CBC stream and
 * the one HMAC of the records part; a command pipelined behind the fetch
 * is answered after the last record.
 */
TEST(fetch_of_100000_records_streams_in_bounded_steps)
{
	static const struct ow_store_cfg big = {200000, 1000000, 8, 60ull * 1000000000ull};
	static struct fx f;
	enum { N = 100000 };
	struct codec_fetch_session q = {0, 0xfffffffeu, {0}};
	struct codec_fetch_ack fa;
	struct codec_ow_record r, got;
	uint8_t sid[16], *recs = NULL, qb[2][CODEC_FETCH_SESSION_LEN], part[160];
	size_t total = CODEC_OW_RECORDS_PART_LEN(N), off, step, maxpend = 0;
	uint32_t i;

	fx_setup(&f, XW_MODE_ENCRYPTED, 4096);
	ow_store_free(f.store);
	f.store = ow_store_new(&big);
	CHECK_EQ(request_n(&f, 1, N, sid), XW_ACCEPT_OK);
	for (i = 0; i < N && !t_failed(); i++) {
		r = (struct codec_ow_record){
			i,	   0x8001, 0x8002, 0x1000000000ull + i, 0x2000000000ull + 3 * i,
			(uint8_t)i};
		CHECK_EQ(ow_store_add(f.store, sid, &r), 0);
	}
	recs = malloc(total);
	CHECK(recs != NULL);
	if (t_failed())
		goto out;
	/* the fetch, and behind it one for an unknown SID, before reading anything */
	memcpy(q.sid, sid, 16);
	CHECK_EQ(codec_fetch_session_encode(&q, qb[0], sizeof(qb[0])), 48);
	q.sid[15] ^= 1;
	CHECK_EQ(codec_fetch_session_encode(&q, qb[1], sizeof(qb[1])), 48);
	CHECK_EQ(chan_seal(&f.ch, qb[0], 48), 0);
	CHECK_EQ(chan_seal(&f.ch, qb[1], 48), 0);
	srv_feed(f.srv, qb, sizeof(qb), f.now);
	CHECK(srv_fetching(f.srv));
	/* a client that reads nothing: the queue stays bounded */
	CHECK(pending(&f) < 64 * 1024);
	/* not idle while the answer streams: no SERVWAIT (900 s) meanwhile */
	CHECK_EQ(srv_deadline_ns(f.srv), UINT64_MAX);
	CHECK_EQ(srv_timeout(f.srv, f.now + 1000 * 1000000000ull), 0);
	CHECK(!srv_closed(f.srv));
	CHECK_EQ(recv_part(&f, part, CODEC_FETCH_ACK_LEN), 0);
	CHECK_EQ(codec_fetch_ack_decode(&fa, part, CODEC_FETCH_ACK_LEN), 0);
	CHECK_EQ(fa.accept, XW_ACCEPT_OK);
	CHECK_EQ(fa.num_records, N);
	CHECK_EQ(recv_part(&f, part, CODEC_OW_REQUEST_HMAC1_END), 0);
	CHECK_EQ(recv_part(&f, part, CODEC_OW_REQUEST_LEN(1) - CODEC_OW_REQUEST_HMAC1_END), 0);
	CHECK_EQ(recv_part(&f, part, CODEC_OW_SKIPS_PART_LEN(0)), 0);
	/* the records part in reads of 7008 octets, opened as they come */
	for (off = 0; off + XW_HMAC_LEN < total && !t_failed(); off += step) {
		step = total - XW_HMAC_LEN - off < 7008 ? total - XW_HMAC_LEN - off : 7008;
		if (pending(&f) > maxpend)
			maxpend = pending(&f);
		CHECK_EQ(take(&f, recs + off, step), 0);
		CHECK_EQ(chan_open_more(&f.ch, recs + off, step), 0);
	}
	CHECK_EQ(recv_part(&f, recs + off, XW_HMAC_LEN), 0); /* the HMAC verifies */
	t_log_capture();
	CHECK(maxpend < 64 * 1024);
	for (i = 0; i < N && !t_failed(); i++) {
		codec_ow_record_decode(&got, recs + (size_t)i * CODEC_OW_RECORD_LEN);
		CHECK_EQ(got.seq, i);
		CHECK_EQ(got.send_errest, 0x8001);
		CHECK_EQ(got.recv_errest, 0x8002);
		CHECK_EQ(got.send_ts, 0x1000000000ull + i);
		CHECK_EQ(got.recv_ts, 0x2000000000ull + 3 * i);
		CHECK_EQ(got.ttl, (uint8_t)i);
	}
	CHECK(!srv_fetching(f.srv));
	/* SERVWAIT restarts when the answer is done (the next srv_timeout's now) */
	CHECK_EQ(srv_deadline_ns(f.srv), 0);
	CHECK_EQ(srv_timeout(f.srv, f.now + 2000 * 1000000000ull), 0);
	CHECK_EQ(srv_deadline_ns(f.srv), f.now + 2900 * 1000000000ull);
	/* the pipelined one, answered after the data */
	CHECK_EQ(recv_part(&f, part, CODEC_FETCH_ACK_LEN), 0);
	CHECK_EQ(part[0], XW_ACCEPT_FAILURE);
	CHECK_EQ(pending(&f), 0);
	CHECK(!srv_closed(f.srv));
	t_log_reset();
out:
	free(recs);
	fx_free(&f);
}

/*
 * RFC 4656 3 says a control message not received some minutes after it is
 * expected SHOULD drop the connection; 3.8 expects Stop-Sessions when the
 * sessions are complete: Timeout after the last scheduled packet.  With
 * ow_stopwait_ns (xwampd: --refwait) the connection of a client that never
 * stops is closed that long after, and its sessions end; before the
 * Stop-Sessions it is not; an idle connection before Start-Sessions is
 * closed by SERVWAIT as in TWAMP.
 */
TEST(no_stop_sessions_after_completion_closes)
{
	static struct fx f;
	struct codec_accept_session a1, a2;
	uint64_t t0, due, sec = 1000000000ull;

	fx_stopwait_ns = 5 * sec;
	fx_setup(&f, XW_MODE_AUTH, 64);
	fx_stopwait_ns = 0;
	/* both fixed slots of 0x199999a0 (0.1 s), 10 packets, Timeout 2 s, from now + 1 s */
	CHECK_EQ(request(&f, 1, CODEC_SLOT_FIXED, &a1), XW_ACCEPT_OK);
	CHECK_EQ(request(&f, 0, CODEC_SLOT_FIXED, &a2), XW_ACCEPT_OK);
	CHECK_EQ(srv_deadline_ns(f.srv), f.now + 900 * sec); /* SERVWAIT until started */
	start(&f);
	t0 = xw_ns_to_ntp(f.now + sec);
	due = xw_ntp_to_ns(t0 + NPKT * 0x199999a0ull + (2ull << 32));
	CHECK_EQ(srv_deadline_ns(f.srv), due + 5 * sec);
	t_log_capture();
	CHECK_EQ(srv_timeout(f.srv, due + 5 * sec - 1), 0);
	CHECK(!srv_closed(f.srv));
	CHECK_EQ(srv_timeout(f.srv, due + 5 * sec), -EPIPE);
	CHECK(srv_closed(f.srv));
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_TIMEOUT);
	CHECK(t_logged("no Stop-Sessions 5 s after the sessions were complete"));
	CHECK_EQ(f.nend, 2);
	CHECK_EQ(ow_store_state(f.store, a1.sid, NULL), OW_SESS_ABORTED);
	t_log_reset();
	fx_free(&f);
	if (t_failed())
		return;

	/* without it (0): no deadline while testing */
	fx_setup(&f, XW_MODE_OPEN, 64);
	CHECK_EQ(request(&f, 1, CODEC_SLOT_FIXED, &a1), XW_ACCEPT_OK);
	start(&f);
	CHECK_EQ(srv_deadline_ns(f.srv), UINT64_MAX);
	fx_free(&f);
	if (t_failed())
		return;

	/* idle before any Start-Sessions: SERVWAIT */
	fx_setup(&f, XW_MODE_OPEN, 64);
	t_log_capture();
	CHECK_EQ(srv_timeout(f.srv, f.now + 900 * sec), -EPIPE);
	CHECK_EQ(srv_close_reason(f.srv), SRV_CLOSE_TIMEOUT);
	CHECK(t_logged("nothing received for 900 s (SERVWAIT)"));
	t_log_reset();
	fx_free(&f);
}

/*
 * The completion time of a session of 2^32 - 1 packets (RFC 4656 3.8) is
 * not walked packet by packet (one AES per exponential delay: minutes of
 * CPU at Start-Sessions, found by fuzz_srv): fixed slots add up exactly,
 * exponential ones are bounded by mean + 10 standard deviations.
 */
TEST(completion_of_a_huge_session_is_bounded_not_walked)
{
	static const uint8_t types[] = {CODEC_SLOT_FIXED, CODEC_SLOT_EXP};
	unsigned int k;

	for (k = 0; k < 2 && !t_failed(); k++) {
		static struct fx f;
		struct codec_ow_slot slot = {types[k], 0x028f5c29ull}; /* 0.01 s */
		struct codec_request_session m = {.slots = &slot};
		uint8_t buf[CODEC_OW_REQUEST_LEN(1)], out[XW_ACCEPT_SESSION_LEN];
		uint64_t sec = 1000000000ull, n = 0xffffffffull, mean, dl;

		fx_stopwait_ns = 5 * sec;
		fx_setup(&f, XW_MODE_OPEN, 64);
		fx_stopwait_ns = 0;
		m.f.ipvn = 4;
		m.f.conf_sender = 1; /* the server sends: no store reservation */
		m.f.num_slots = 1;
		m.f.num_packets = (uint32_t)n;
		m.f.receiver_port = 9001;
		memcpy(m.f.sender_addr, SID_ADDR, 4);
		memcpy(m.f.receiver_addr, SID_ADDR, 4);
		t_unhex(CLIENT_SID, m.f.sid, 16);
		m.f.start_time = xw_ns_to_ntp(f.now + sec);
		m.f.timeout = 2ull << 32;
		CHECK_EQ(codec_request_session_encode(&m, buf, sizeof(buf)), (int)sizeof(buf));
		send_part(&f, buf, CODEC_OW_REQUEST_HMAC1_END);
		send_part(&f, buf + CODEC_OW_REQUEST_HMAC1_END, 32);
		CHECK_EQ(recv_part(&f, out, sizeof(out)), 0);
		CHECK_EQ(out[0], XW_ACCEPT_OK);
		start(&f);
		/* n delays of 0.01 s: about 42949673 s (1.4 years) after the start */
		mean = xw_ntp_to_ns(m.f.start_time + n * 0x028f5c29ull) - f.now - sec;
		dl = srv_deadline_ns(f.srv) - (f.now + sec + 2 * sec + 5 * sec);
		if (types[k] == CODEC_SLOT_FIXED)
			CHECK(dl - mean < sec); /* exact, within rounding */
		else /* mean + 10 sd: the sd of the sum is 0.01 s * sqrt(n) = 655 s */
			CHECK(dl > mean + 6000 * sec && dl < mean + 7000 * sec);
		fx_free(&f);
	}
}
