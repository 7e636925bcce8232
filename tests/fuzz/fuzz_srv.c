// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TWAMP-Control server state machine (control/srv.h) driven by a
 * fuzzed client, without sockets (as tests/unit/test_conv.c does).
 *
 * The harness is the Control-Client: it reads the Server Greeting, makes
 * the Token from a fixed passphrase and fixed session keys (RFC 4656 3.1),
 * sets up its own channel (control/chan.h) from the Server-Start, and then
 * seals the fuzzer's bytes as commands: AES-CBC and HMAC in the
 * authenticated, encrypted and mixed modes, so that they pass the server's
 * HMAC check and reach the command handlers.  Every answer of the server
 * is opened with the client's channel: its HMAC must verify and it must
 * decode as the message that command calls for.
 *
 * Input: a 4-octet header, then records.
 *   h0  bits 0-1 security mode (open, auth, encrypted, mixed); 0x04 raw:
 *       the rest of the input goes to srv_feed() as it is, from the first
 *       octet (the unauthenticated path, Set-Up-Response included);
 *       0x08 individual session control (RFC 5938); 0x10 reflect octets,
 *       0x20 symmetrical size (RFC 6038); 0x40 RFC 7717 (Mode | 128, SPIs
 *       in the KeyID); 0x80 a wrong passphrase.
 *   h1  feed chunk size (0: whole messages).
 *   h2  callbacks: bits 0-1 sess_request (accept, accept on another port,
 *       Accept 5, -ENOMEM); bits 2-3 sess_start (accept, accept, Accept 2,
 *       -EIO); bits 4-6 max_sessions; 0x80 the key step runs outside
 *       srv_feed() (ops->key_start, srv_key_done()): in the raw mode the
 *       next chunk arrives while it runs (the machine holds it), and an
 *       input that ends then closes the connection before the late result.
 *   h3  0x01 OWAMP-Control (RFC 4656 3.4-3.9) instead of TWAMP's command
 *       set: security modes only (mixed reads as authenticated), the real
 *       session store (control/owstore.h) behind sess_request, sess_end
 *       and ow_fetch as xwampd wires it; answers are drained, not checked.
 * Records, by the low 3 bits of their first octet:
 *   0-3 a command: its plaintext follows, as long as codec_msg_len() says
 *       (32 when it cannot tell), padded with zeros.  0x08: the SIDs it
 *       names (Start-N/Stop-N, OWAMP Stop-Sessions records, Fetch-Session)
 *       are replaced by the SIDs the server gave.  0x10: one bit of the
 *       sealed command is flipped.
 *   4   time passes (next octet x 8 s), srv_timeout().
 *   5   REFWAIT of the session given by the next octet (srv_sess_expired);
 *       0x40: its start timeout (srv_sess_unstarted_expired); 0x80: OWAMP,
 *       a packet record (the next 25 octets) stored for it.
 *   6   raw octets into the channel (count in the next octet).
 *   7   the client closes (srv_eof).
 * After a flipped bit or raw octets the answers are no longer checked
 * (what the server decrypted is unknown); they are still drained.
 *
 * Since the randomness is fixed, the byte stream of a handshake
 * conversation replays exactly in the raw mode: the seed corpus holds two,
 * so that the raw mode too gets past the Token (with the key step held).
 *
 * Also checked: sess_end is called exactly once for every session that
 * sess_request accepted, ops->closed at most once, and never more sessions
 * than max_sessions.
 */
#include <errno.h>
#include <string.h>

#include "chan.h"
#include "codec.h"
#include "crypto.h"
#include "fuzz.h"
#include "owstore.h"
#include "srv.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

#define T0	 1795000000000000000ULL
#define NS	 1000000000ULL
#define MAXREC	 64
#define MAXSIDS	 32
#define CMD_MAX	 (1u << 20) + 256
#define SERVWAIT (900 * NS)

static const uint8_t SID_ADDR[4] = {192, 0, 2, 7};

struct rec {
	int accepted, started, ended;
	int recv; /* OWAMP: the server receives, the store holds the session */
	uint8_t sid[XW_SID_LEN];
};

struct ctx {
	uint8_t cb;
	unsigned int max_sessions;
	int owamp;
	struct ow_store *store;
	uint8_t sids[MAXSIDS][XW_SID_LEN]; /* every SID sess_request accepted */
	unsigned int nsids;
	int key_pending; /* key_start() was called, srv_key_done() not yet */
	struct srv_key_req key_req;
	struct rec rec[MAXREC];
	unsigned int nrec;
	int closed_calls;
};

static int cb_key(void *arg, const struct srv_key_req *req, uint8_t *secret, size_t *len)
{
	const uint32_t mode = req->mode;
	const uint8_t *keyid = req->keyid;
	static const uint8_t alice[XW_KEYID_LEN] = "alice";

	if (mode & XW_MODE_IKEV2_DERIV) {
		/* RFC 7717 5.3: the first 16 octets are the SPIs, the rest is ignored */
		if (memcmp(keyid, fuzz_spis, sizeof(fuzz_spis)))
			return XW_ACCEPT_NO_IKE_SA;
		memcpy(secret, fuzz_ike_secret, sizeof(fuzz_ike_secret));
		*len = sizeof(fuzz_ike_secret);
		return 0;
	}
	if (memcmp(keyid, alice, sizeof(alice)))
		return XW_ACCEPT_FAILURE;
	memcpy(secret, FUZZ_PASS, strlen(FUZZ_PASS));
	*len = strlen(FUZZ_PASS);
	return 0;
}

static int cb_key_start(void *arg, const struct srv_key_req *req)
{
	struct ctx *c = arg;

	FUZZ_ASSERT(!c->key_pending);
	c->key_req = *req;
	c->key_pending = 1;
	return 0;
}

/* What a key_start worker does: the look-up, then PBKDF2 (srv_key_derive). */
static int key_done(struct srv *srv, struct ctx *c, uint64_t now)
{
	uint8_t secret[SRV_SECRET_MAX];
	struct srv_key_res res;
	size_t len = 0;
	int found;

	c->key_pending = 0;
	found = cb_key(c, &c->key_req, secret, &len);
	srv_key_derive(&c->key_req, found, secret, len, &res);
	return srv_key_done(srv, &res, now);
}

static int cb_request(void *arg, struct srv_sess *s, uint64_t now)
{
	struct ctx *c = arg;
	struct rec *r;

	switch (c->cb & 3) {
	case 2:
		return XW_ACCEPT_TEMP_LIMIT;
	case 3:
		return -ENOMEM;
	}
	if (c->nrec >= MAXREC)
		return XW_ACCEPT_TEMP_LIMIT;
	/* the requested port, or another one (RFC 5357 3.5); 0 asks us to choose */
	s->port = (uint16_t)(s->params.receiver_port + (c->cb & 1));
	if (!s->port)
		s->port = (uint16_t)(20000 + c->nrec);
	if (s->mode & XW_MODE_REFLECT_OCT)
		s->server_octets = 0x5a5a;
	r = &c->rec[c->nrec];
	if (c->owamp && s->params.conf_receiver) {
		/* as xwampd: the store keeps the request with our SID and ports */
		int rc;

		codec_request_session_fixup(s->ow_req, s->ow_req_len, s->sid, s->params.sender_port,
					    s->port);
		rc = ow_store_open(c->store, s->ow_req, s->ow_req_len, now);
		if (rc)
			return rc == -ENOSPC ? XW_ACCEPT_PERM_LIMIT : XW_ACCEPT_INTERNAL;
		r->recv = 1;
	}
	c->nrec++;
	r->accepted = 1;
	memcpy(r->sid, s->sid, XW_SID_LEN);
	if (c->nsids < MAXSIDS)
		memcpy(c->sids[c->nsids++], s->sid, XW_SID_LEN);
	s->user = r;
	return XW_ACCEPT_OK;
}

static int cb_start(void *arg, struct srv_sess *s, uint64_t now)
{
	struct ctx *c = arg;
	struct rec *r = s->user;

	FUZZ_ASSERT(r && r->accepted && !r->ended);
	switch (c->cb >> 2 & 3) {
	case 2:
		return XW_ACCEPT_INTERNAL;
	case 3:
		return -EIO;
	}
	r->started++;
	return XW_ACCEPT_OK;
}

static void cb_end(void *arg, struct srv_sess *s, enum srv_end why, uint64_t now)
{
	struct rec *r = s->user;

	FUZZ_ASSERT(r && r->accepted);
	r->ended++;
	FUZZ_ASSERT(r->ended == 1);
	if (r->recv) {
		if (why == SRV_END_STOP && s->ow_stop_ok)
			ow_store_stop(((struct ctx *)arg)->store, r->sid, s->ow_next_seqno,
				      s->ow_skips, s->ow_nskips, xw_ns_to_ntp(now), 0x0001, now);
		else
			ow_store_abort(((struct ctx *)arg)->store, r->sid, now);
	}
}

/* OWAMP: what our send session did (RFC 4656 3.8): 10 packets, 2 and 3 skipped. */
static int cb_ow_sent(void *arg, struct srv_sess *s, uint32_t *next_seqno,
		      struct codec_ow_skip *skips, uint32_t *nskips)
{
	FUZZ_ASSERT(*nskips >= 1);
	*next_seqno = 10;
	skips[0].first = 2;
	skips[0].last = 3;
	*nskips = 1;
	return 0;
}

static int cb_ow_fetch(void *arg, const struct codec_fetch_session *f, struct ow_fetch *out,
		       uint64_t now)
{
	struct ctx *c = arg;

	ow_store_expire(c->store, now);
	return ow_store_fetch(c->store, f, out);
}

static void cb_closed(void *arg, enum srv_close why)
{
	struct ctx *c = arg;

	c->closed_calls++;
	FUZZ_ASSERT(c->closed_calls == 1);
}

static const struct srv_ops OPS = {
	.key_lookup = cb_key,
	.sess_request = cb_request,
	.sess_start = cb_start,
	.sess_end = cb_end,
	.closed = cb_closed,
	.ow_sent = cb_ow_sent,
	.ow_fetch = cb_ow_fetch,
};
static const struct srv_ops OPS_ASYNC = {
	.key_lookup = cb_key,
	.key_start = cb_key_start,
	.sess_request = cb_request,
	.sess_start = cb_start,
	.sess_end = cb_end,
	.closed = cb_closed,
	.ow_sent = cb_ow_sent,
	.ow_fetch = cb_ow_fetch,
};

/* The harness's side of the conversation. */
struct peer {
	struct srv *srv;
	struct ctx *ctx;
	struct chan chan;
	int chan_up;
	int checked; /* answers are still checked */
	size_t chunk;
	uint64_t now;
	size_t nin;
	uint8_t in[CMD_MAX]; /* what the server sent, not yet read (nin octets) */
};

static uint8_t cmd[CMD_MAX];

static void feed(struct peer *p, const uint8_t *buf, size_t len)
{
	size_t k;

	while (len && !srv_closed(p->srv)) {
		k = p->chunk && p->chunk < len ? p->chunk : len;
		srv_feed(p->srv, buf, k, p->now);
		buf += k;
		len -= k;
	}
}

/* Everything the server queued, appended to p->in. */
static void drain(struct peer *p)
{
	const uint8_t *o;
	size_t n;

	while ((o = srv_out_peek(p->srv, &n)) && n) {
		if (p->nin + n <= sizeof(p->in))
			memcpy(p->in + p->nin, o, n);
		else
			p->checked = 0;
		p->nin += n;
		srv_out_consume(p->srv, n);
	}
	if (!p->checked)
		p->nin = 0;
}

/* Reads every answer in p->in as a message of type t: HMAC and decoding must hold. */
static void read_answers(struct peer *p, enum codec_msg t)
{
	size_t off = 0;

	while (p->checked && off < p->nin) {
		uint8_t *m = p->in + off;
		size_t avail = p->nin - off;
		int n = chan_next_len(&p->chan, t, m, avail);

		FUZZ_ASSERT(n > 0 && (size_t)n <= avail);
		FUZZ_ASSERT(chan_open(&p->chan, m, (size_t)n) == 0);
		if (t == CODEC_MSG_ACCEPT_SESSION) {
			struct codec_accept_session a;

			FUZZ_ASSERT(codec_accept_session_decode(&a, srv_mode(p->srv), m,
								(size_t)n) == 0);
			if (a.accept == XW_ACCEPT_OK) {
				/* RFC 4656 3.5: the SID starts with the server's address */
				FUZZ_ASSERT(!memcmp(a.sid, SID_ADDR, 4));
				/* and is the one the session was set up with */
				FUZZ_ASSERT(p->ctx->nsids &&
					    !memcmp(a.sid, p->ctx->sids[p->ctx->nsids - 1],
						    XW_SID_LEN));
			}
		} else if (t == CODEC_MSG_START_ACK) {
			struct codec_start_ack a;

			FUZZ_ASSERT(codec_start_ack_decode(&a, m, (size_t)n) == 0);
		} else {
			struct codec_n_sessions a;

			FUZZ_ASSERT((t == CODEC_MSG_START_N_ACK
					     ? codec_start_n_ack_decode(&a, m, (size_t)n)
					     : codec_stop_n_ack_decode(&a, m, (size_t)n)) == 0);
		}
		off += (size_t)n;
	}
	p->nin = 0;
}

/* What the server answers to a command, as far as the harness can tell. */
static enum codec_msg answer_to(const struct peer *p, uint8_t c)
{
	int indiv = !!(srv_mode(p->srv) & XW_MODE_INDIV_SESS);

	switch (c) {
	case XW_CMD_START_SESSIONS:
		return CODEC_MSG_START_ACK;
	case XW_CMD_START_N_SESSIONS:
		return indiv ? CODEC_MSG_START_N_ACK : CODEC_MSG_ACCEPT_SESSION;
	case XW_CMD_STOP_N_SESSIONS:
		return indiv ? CODEC_MSG_STOP_N_ACK : CODEC_MSG_ACCEPT_SESSION;
	default:
		/* Accept-Session, or Accept 3 in one for anything unexpected */
		return CODEC_MSG_ACCEPT_SESSION;
	}
}

static int seal(struct peer *p, uint8_t *buf, size_t len)
{
	/* an OWAMP Request-Session has two HMACs (RFC 4656 3.5) */
	if (buf[0] == XW_CMD_FORBIDDEN && len > CODEC_REQUEST_SESSION_HMAC1_END)
		return chan_seal(&p->chan, buf, CODEC_REQUEST_SESSION_HMAC1_END) ||
		       chan_seal(&p->chan, buf + CODEC_REQUEST_SESSION_HMAC1_END,
				 len - CODEC_REQUEST_SESSION_HMAC1_END);
	return chan_seal(&p->chan, buf, len);
}

/* OWAMP Stop-Sessions records and Fetch-Session name the sessions the server gave. */
static void patch_ow_sids(const struct ctx *c, uint8_t *m, size_t len)
{
	size_t off = CODEC_OW_STOP_HDR_LEN;
	unsigned int i = 0;

	if (m[0] == XW_CMD_FETCH_SESSION && len >= 32) {
		memcpy(m + 16, c->sids[0], XW_SID_LEN);
		return;
	}
	if (m[0] != XW_CMD_STOP_SESSIONS)
		return;
	while (off + CODEC_OW_STOP_REC_HDR_LEN + XW_HMAC_LEN <= len) {
		memcpy(m + off, c->sids[i++ % c->nsids], XW_SID_LEN);
		off += CODEC_OW_STOP_REC_LEN(get_be32(m + off + 20));
	}
}

static void send_command(struct peer *p, struct fz *f, uint8_t op)
{
	const uint8_t *src;
	size_t have, len, i;
	uint8_t c;
	int n;

	/* the length from what the input holds (an OWAMP Stop-Sessions needs its records) */
	have = f->n < sizeof(cmd) ? f->n : sizeof(cmd);
	memset(cmd, 0, have > 32 ? have : 32);
	memcpy(cmd, f->p, have);
	n = codec_msg_len(p->ctx->owamp ? CODEC_MSG_OW_CLIENT_COMMAND : CODEC_MSG_CLIENT_COMMAND,
			  cmd, have > XW_BLOCK_LEN ? have : XW_BLOCK_LEN);
	len = n > 0 ? (size_t)n : 32;
	if (len > sizeof(cmd))
		len = sizeof(cmd);
	src = fz_take(f, len, &have);
	memset(cmd, 0, len);
	memcpy(cmd, src, have);
	c = cmd[0];
	if ((op & 0x08) && p->ctx->nsids && p->ctx->owamp && n > 0)
		patch_ow_sids(p->ctx, cmd, len);
	if ((op & 0x08) && p->ctx->nsids && !p->ctx->owamp &&
	    (c == XW_CMD_START_N_SESSIONS || c == XW_CMD_STOP_N_SESSIONS) && n > 0)
		for (i = 0; (i + 1) * XW_SID_LEN + CODEC_N_HDR_LEN + XW_HMAC_LEN <= len; i++)
			memcpy(cmd + CODEC_N_HDR_LEN + i * XW_SID_LEN,
			       p->ctx->sids[i % p->ctx->nsids], XW_SID_LEN);
	FUZZ_ASSERT(seal(p, cmd, len) == 0);
	if (p->ctx->owamp)
		p->checked = 0; /* OWAMP answers are drained, not modelled */
	if (op & 0x10) {
		cmd[(op >> 5) % len] ^= 0x01;
		p->checked = 0;
	}
	feed(p, cmd, len);
	drain(p);
	if (c == XW_CMD_STOP_SESSIONS && p->checked) {
		/* TWAMP Stop-Sessions has no answer (RFC 5357 3.8) */
		FUZZ_ASSERT(p->nin == 0);
		return;
	}
	/* a command that cannot be framed gets Accept-Session 3 (RFC 5357 3.5) */
	read_answers(p, n > 0 ? answer_to(p, c) : CODEC_MSG_ACCEPT_SESSION);
}

/* Greeting -> Set-Up-Response -> Server-Start; 0 when commands can follow. */
static int handshake(struct peer *p, uint8_t h0)
{
	const struct xw_session_keys keys = fuzz_keys;
	static const uint8_t client_iv[XW_BLOCK_LEN] = "client-iv-fixed";
	struct codec_greeting g;
	struct codec_setup_response r = {0};
	struct codec_server_start ss;
	uint8_t buf[XW_SETUP_RESPONSE_LEN], kek[XW_AES_KEY_LEN];
	uint32_t sec = 1u << (h0 & 3);

	drain(p);
	FUZZ_ASSERT(p->nin == XW_GREETING_LEN);
	FUZZ_ASSERT(codec_greeting_decode(&g, p->in, p->nin) == 0);
	p->nin = 0;
	r.mode = sec | (h0 & 0x08 ? XW_MODE_INDIV_SESS : 0) |
		 (h0 & 0x10 ? XW_MODE_REFLECT_OCT : 0) | (h0 & 0x20 ? XW_MODE_SYMMETRIC : 0);
	if (p->ctx->owamp) {
		/* OWAMP: no mixed mode (RFC 5618 is TWAMP's), no feature bits */
		sec = sec == XW_MODE_MIXED ? XW_MODE_AUTH : sec;
		r.mode = sec;
	}
	if (sec != XW_MODE_OPEN) {
		const uint8_t *secret = (const uint8_t *)FUZZ_PASS;
		size_t slen = strlen(FUZZ_PASS);
		uint8_t wrong[64];

		if (h0 & 0x40) {
			r.mode |= XW_MODE_IKEV2_DERIV;
			memcpy(r.keyid, fuzz_spis, sizeof(fuzz_spis));
			secret = fuzz_ike_secret;
			slen = sizeof(fuzz_ike_secret);
		} else {
			memcpy(r.keyid, "alice", 5);
		}
		if (h0 & 0x80) {
			memcpy(wrong, secret, slen);
			wrong[0] ^= 0x20;
			secret = wrong;
		}
		FUZZ_ASSERT(xw_pbkdf2_sha1(secret, slen, g.salt, sizeof(g.salt), g.count, kek,
					   sizeof(kek)) == 0);
		FUZZ_ASSERT(xw_token_encrypt(kek, g.challenge, &keys, r.token) == 0);
		memcpy(r.client_iv, client_iv, sizeof(client_iv));
	}
	FUZZ_ASSERT(codec_setup_response_encode(&r, buf, sizeof(buf)) == XW_SETUP_RESPONSE_LEN);
	feed(p, buf, sizeof(buf));
	drain(p);
	if (p->ctx->key_pending) {
		/* nothing is said before the key step is done */
		FUZZ_ASSERT(p->nin == 0 && srv_state(p->srv) == SRV_WAIT_KEY);
		key_done(p->srv, p->ctx, p->now);
		drain(p);
	}
	FUZZ_ASSERT(p->nin == XW_SERVER_START_LEN);
	FUZZ_ASSERT(codec_server_start_decode(&ss, p->in, p->nin) == 0);
	if (ss.accept != XW_ACCEPT_OK) {
		/* only the wrong passphrase is refused here */
		FUZZ_ASSERT(h0 & 0x80);
		FUZZ_ASSERT(srv_closed(p->srv));
		return -1;
	}
	FUZZ_ASSERT(!(h0 & 0x80) || sec == XW_MODE_OPEN);
	FUZZ_ASSERT(chan_init(&p->chan, CHAN_ROLE_CLIENT, r.mode, &keys, client_iv, ss.server_iv) ==
		    0);
	p->chan_up = 1;
	FUZZ_ASSERT(chan_open_server_start(&p->chan, p->in) == 0);
	FUZZ_ASSERT(codec_server_start_decode(&ss, p->in, XW_SERVER_START_LEN) == 0);
	p->nin = 0;
	FUZZ_ASSERT(srv_state(p->srv) == SRV_READY && srv_mode(p->srv) == r.mode);
	/* a result nobody waits for is refused */
	if (p->ctx->cb & 0x80) {
		struct srv_key_res res = {.accept = XW_ACCEPT_OK};

		FUZZ_ASSERT(srv_key_done(p->srv, &res, p->now) == -EINVAL);
	}
	return 0;
}

static void run(struct peer *p, struct fz *f)
{
	while (f->n && !srv_closed(p->srv)) {
		uint8_t op = fz_u8(f), k;
		const uint8_t *raw;
		size_t n;

		switch (op & 7) {
		case 4:
			p->now += (uint64_t)fz_u8(f) * 8 * NS;
			srv_timeout(p->srv, p->now);
			break;
		case 5:
			k = fz_u8(f);
			if (op & 0x80) {
				struct codec_ow_record rec;

				raw = fz_take(f, CODEC_OW_RECORD_LEN, &n);
				if (n < CODEC_OW_RECORD_LEN || !p->ctx->nsids)
					break;
				codec_ow_record_decode(&rec, raw);
				ow_store_add(p->ctx->store, p->ctx->sids[k % p->ctx->nsids], &rec);
			} else if (p->ctx->nsids && (op & 0x40)) {
				srv_sess_unstarted_expired(p->srv, p->ctx->sids[k % p->ctx->nsids],
							   p->now);
			} else if (p->ctx->nsids) {
				srv_sess_expired(p->srv, p->ctx->sids[k % p->ctx->nsids], p->now);
			}
			break;
		case 6:
			raw = fz_take(f, fz_u8(f), &n);
			feed(p, raw, n);
			p->checked = 0;
			break;
		case 7:
			srv_eof(p->srv, p->now);
			break;
		default:
			send_command(p, f, op);
			break;
		}
		drain(p);
		if (!p->checked)
			p->nin = 0;
		if (p->ctx->max_sessions)
			FUZZ_ASSERT(srv_nsessions(p->srv) <= p->ctx->max_sessions);
		FUZZ_ASSERT(srv_nactive(p->srv) <= srv_nsessions(p->srv));
	}
}

static struct peer peer;
static struct ctx ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_cfg cfg = {0};
	struct peer *p = &peer;
	struct fz f = {data, size};
	uint8_t h0, h1, h2, h3;
	const struct ow_store_cfg oc = {
		.max_records = 4096,
		.max_total = 65536,
		.max_sessions = 64,
		.keep_ns = 60 * NS,
	};
	unsigned int i;

	if (size < 4)
		return 0;
	fuzz_reset();
	h0 = fz_u8(&f);
	h1 = fz_u8(&f);
	h2 = fz_u8(&f);
	h3 = fz_u8(&f);
	memset(&ctx, 0, sizeof(ctx));
	ctx.owamp = h3 & 1;
	ctx.store = ow_store_new(&oc);
	FUZZ_ASSERT(ctx.store != NULL);
	ctx.cb = h2;
	ctx.max_sessions = h2 >> 4 & 7;
	memset(p, 0, offsetof(struct peer, in));
	p->ctx = &ctx;
	p->chunk = h1;
	p->now = T0;
	p->checked = 1;

	cfg.modes = ctx.owamp
			    ? XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_IKEV2_DERIV
			    : 0xff;
	cfg.proto = ctx.owamp ? SRV_PROTO_OWAMP : SRV_PROTO_TWAMP;
	cfg.count = 1024;
	cfg.start_time = 0xeeaf032578eb13dfULL;
	cfg.max_sessions = ctx.max_sessions;
	cfg.servwait_ns = SERVWAIT;
	memcpy(cfg.sid_addr, SID_ADDR, 4);
	cfg.peer = "fuzz-client";
	p->srv = srv_new(&cfg, h2 & 0x80 ? &OPS_ASYNC : &OPS, &ctx, p->now);
	FUZZ_ASSERT(p->srv != NULL);

	if (h0 & 0x04) {
		/* raw: the fuzzer is the client from the first octet */
		int held = 0;

		p->checked = 0; /* nothing to check the answers with */
		drain(p);
		while (f.n && !srv_closed(p->srv)) {
			size_t n;
			const uint8_t *raw = fz_take(&f, p->chunk ? p->chunk : f.n, &n);

			srv_feed(p->srv, raw, n, p->now);
			/* the key step ends after one more chunk has come in */
			if (ctx.key_pending && held++)
				key_done(p->srv, &ctx, p->now);
			drain(p);
		}
		if (ctx.key_pending) {
			/* the client went away meanwhile: the late result is ignored */
			srv_eof(p->srv, p->now);
			drain(p);
			FUZZ_ASSERT(key_done(p->srv, &ctx, p->now) < 0);
			FUZZ_ASSERT(srv_out_pending(p->srv) == 0);
		}
	} else if (handshake(p, h0) == 0) {
		run(p, &f);
	}
	drain(p);
	if (!srv_closed(p->srv))
		srv_timeout(p->srv, p->now + 2 * SERVWAIT);
	srv_free(p->srv);
	if (p->chan_up)
		chan_fini(&p->chan);
	/* every session accepted was ended exactly once, and the close reported once */
	for (i = 0; i < ctx.nrec; i++)
		FUZZ_ASSERT(ctx.rec[i].accepted && ctx.rec[i].ended == 1);
	FUZZ_ASSERT(ctx.closed_calls == 1);
	ow_store_free(ctx.store);
	return 0;
}
