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
 * Input: a 3-octet header, then records.
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
 * Records, by the low 3 bits of their first octet:
 *   0-3 a command: its plaintext follows, as long as codec_msg_len() says
 *       from its first octet (32 when it cannot tell), padded with zeros.
 *       0x08: the SIDs of a Start-N/Stop-N are replaced by the SIDs the
 *       server gave.  0x10: one bit of the sealed command is flipped.
 *   4   time passes (next octet x 8 s), srv_timeout().
 *   5   REFWAIT of the session given by the next octet (srv_sess_expired).
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
#include "srv.h"
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
};

struct ctx {
	uint8_t cb;
	unsigned int max_sessions;
	int key_pending; /* key_start() was called, srv_key_done() not yet */
	struct srv_key_req key_req;
	struct rec rec[MAXREC];
	unsigned int nrec;
	int closed_calls;
};

static int cb_key(void *arg, uint32_t mode, const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret,
		  size_t *len)
{
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
	found = cb_key(c, c->key_req.mode, c->key_req.keyid, secret, &len);
	srv_key_derive(&c->key_req, found, secret, len, &res);
	return srv_key_done(srv, &res, now);
}

static int cb_request(void *arg, struct srv_sess *s, uint64_t now)
{
	struct ctx *c = arg;

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
	s->user = &c->rec[c->nrec++];
	((struct rec *)s->user)->accepted = 1;
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
};
static const struct srv_ops OPS_ASYNC = {
	.key_lookup = cb_key,
	.key_start = cb_key_start,
	.sess_request = cb_request,
	.sess_start = cb_start,
	.sess_end = cb_end,
	.closed = cb_closed,
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
	uint8_t sids[MAXSIDS][XW_SID_LEN];
	unsigned int nsids;
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
				if (p->nsids < MAXSIDS)
					memcpy(p->sids[p->nsids++], a.sid, XW_SID_LEN);
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

static void send_command(struct peer *p, struct fz *f, uint8_t op)
{
	const uint8_t *src;
	size_t have, len, i;
	uint8_t c;
	int n;

	memset(cmd, 0, XW_BLOCK_LEN);
	src = fz_take(f, XW_BLOCK_LEN, &have);
	memcpy(cmd, src, have);
	n = codec_msg_len(CODEC_MSG_CLIENT_COMMAND, cmd, XW_BLOCK_LEN);
	len = n > 0 ? (size_t)n : 32;
	if (len > sizeof(cmd))
		len = sizeof(cmd);
	memset(cmd + XW_BLOCK_LEN, 0, len - XW_BLOCK_LEN);
	src = fz_take(f, len - XW_BLOCK_LEN, &have);
	memcpy(cmd + XW_BLOCK_LEN, src, have);
	c = cmd[0];
	if ((op & 0x08) && p->nsids &&
	    (c == XW_CMD_START_N_SESSIONS || c == XW_CMD_STOP_N_SESSIONS) && n > 0)
		for (i = 0; (i + 1) * XW_SID_LEN + CODEC_N_HDR_LEN + XW_HMAC_LEN <= len; i++)
			memcpy(cmd + CODEC_N_HDR_LEN + i * XW_SID_LEN, p->sids[i % p->nsids],
			       XW_SID_LEN);
	FUZZ_ASSERT(seal(p, cmd, len) == 0);
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
			if (p->nsids)
				srv_sess_expired(p->srv, p->sids[k % p->nsids], p->now);
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
	uint8_t h0, h1, h2;
	unsigned int i;

	if (size < 3)
		return 0;
	fuzz_reset();
	h0 = fz_u8(&f);
	h1 = fz_u8(&f);
	h2 = fz_u8(&f);
	memset(&ctx, 0, sizeof(ctx));
	ctx.cb = h2;
	ctx.max_sessions = h2 >> 4 & 7;
	memset(p, 0, offsetof(struct peer, in));
	p->ctx = &ctx;
	p->chunk = h1;
	p->now = T0;
	p->checked = 1;

	cfg.modes = 0xff;
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
	return 0;
}
