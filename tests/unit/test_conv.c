// SPDX-License-Identifier: GPL-2.0-only
/*
 * Whole TWAMP-Control conversations without sockets: a struct srv
 * (control/srv.h) and a struct cli (control/cli.h) connected back to back
 * in memory, bytes pumped both ways in chunks of a chosen size (1 octet at
 * a time included), every mode (RFC 4656 3.1, RFC 5618), individual session
 * control (RFC 5938), reflect octets (RFC 6038), and the refusals: wrong
 * passphrase, mode not offered, unknown KeyID, a flipped bit under HMAC,
 * truncated and garbage input, session limits, SERVWAIT.
 *
 * The server's callbacks record what they are told, so the tests compare
 * what each side believes: SIDs, reflector ports and test keys must be the
 * same on both sides, and byte counts must be the RFC message sizes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "golden_open.h"
#include "chan.h"
#include "cli.h"
#include "codec.h"
#include "crypto.h"
#include "log.h"
#include "srv.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

#define PASS	   "correct horse battery"
#define T0	   1795000000000000000ULL /* some Unix time in ns (2026) */
#define SERVWAIT   (900 * 1000000000ULL)
#define START_TIME 0xeeaf032578eb13dfULL /* a Server-Start Start-Time */
#define MAXS	   16
#define WIRE_MAX   65536

static const uint8_t SID_ADDR[4] = {192, 0, 2, 7};

/* What the server's callbacks saw, per accepted session. */
struct rec {
	uint8_t sid[XW_SID_LEN];
	struct twsess_params p;
	int has_keys;
	struct xw_session_keys keys;
	uint16_t port;
	int started;
	int ended;
	enum srv_end why;
};

struct fx {
	struct srv *srv;
	struct cli *cli;
	struct srv_cfg scfg;
	struct cli_cfg ccfg;
	uint64_t now;

	/* server callbacks */
	struct rec rec[MAXS];
	int nrec;
	int key_calls;
	uint32_t key_mode;
	struct srv_key_req kreq; /* the last key_start request */
	int key_starts;		 /* key_start calls */
	int key_start_rc;	 /* what key_start answers */
	int refuse;		 /* sess_request answers this Accept when non-zero */
	int refuse_start;	 /* sess_start answers this Accept when non-zero */
	int zero_port;		 /* sess_request takes the session but leaves its port 0 */
	int requests;		 /* sess_request calls */
	int closed_calls;
	enum srv_close closed_why;

	/* client events */
	struct cli_event ev[64];
	int nev;

	/* everything that went over the wire */
	uint8_t c2s[WIRE_MAX], s2c[WIRE_MAX];
	size_t nc2s, ns2c;
};

/* ---- log capture: the warnings say what went wrong; tests check that they do */

__attribute__((constructor)) static void log_setup(void)
{
	t_log_capture();
}

/* ---- server callbacks ------------------------------------------------------- */

static int cb_key(void *arg, const struct srv_key_req *req, uint8_t *secret, size_t *len)
{
	const uint32_t mode = req->mode;
	const uint8_t *keyid = req->keyid;
	struct fx *f = arg;
	uint8_t want[XW_KEYID_LEN] = "alice";

	f->key_calls++;
	f->key_mode = mode;
	if ((mode & XW_MODE_IKEV2_DERIV) && !memcmp(keyid, "spi:", 4))
		return XW_ACCEPT_NO_IKE_SA; /* RFC 7717 5.3 hook */
	if (memcmp(keyid, want, sizeof(want)))
		return XW_ACCEPT_FAILURE;
	memcpy(secret, PASS, strlen(PASS));
	*len = strlen(PASS);
	return 0;
}

static int cb_request(void *arg, struct srv_sess *s, uint64_t now)
{
	struct fx *f = arg;
	struct rec *r;

	f->requests++;
	if (f->refuse)
		return f->refuse;
	if (f->nrec >= MAXS)
		return XW_ACCEPT_TEMP_LIMIT;
	r = &f->rec[f->nrec];
	memset(r, 0, sizeof(*r));
	memcpy(r->sid, s->sid, XW_SID_LEN);
	r->p = s->params;
	r->has_keys = s->has_keys;
	if (s->has_keys)
		r->keys = s->keys;
	/* propose another port, as twampd did on one host (RFC 5357 3.5) */
	s->port = f->zero_port ? 0 : (uint16_t)(s->params.receiver_port + 1);
	r->port = s->port;
	if (s->mode & XW_MODE_REFLECT_OCT)
		s->server_octets = 0x5a5a;
	s->user = r;
	f->nrec++;
	return XW_ACCEPT_OK;
}

static int cb_start(void *arg, struct srv_sess *s, uint64_t now)
{
	struct fx *f = arg;
	struct rec *r = s->user;

	if (f->refuse_start)
		return f->refuse_start;
	r->started++;
	return XW_ACCEPT_OK;
}

static void cb_end(void *arg, struct srv_sess *s, enum srv_end why, uint64_t now)
{
	struct rec *r = s->user;

	r->ended++;
	r->why = why;
}

static void cb_closed(void *arg, enum srv_close why)
{
	struct fx *f = arg;

	f->closed_calls++;
	f->closed_why = why;
}

static const struct srv_ops OPS = {
	.key_lookup = cb_key,
	.sess_request = cb_request,
	.sess_start = cb_start,
	.sess_end = cb_end,
	.closed = cb_closed,
};

/* ---- fixture --------------------------------------------------------------- */

static void fx_cfg(struct fx *f, uint32_t srv_modes, uint32_t cli_modes, const char *keyid,
		   const char *secret)
{
	memset(f, 0, sizeof(*f));
	t_log_reset();
	f->now = T0;
	f->scfg.modes = srv_modes;
	f->scfg.count = 1024;
	f->scfg.start_time = START_TIME;
	f->scfg.servwait_ns = SERVWAIT;
	memcpy(f->scfg.sid_addr, SID_ADDR, 4);
	f->scfg.peer = "test-client";
	f->ccfg.modes = cli_modes & XW_MODE_SECURITY_MASK;
	f->ccfg.features = cli_modes & ~XW_MODE_SECURITY_MASK;
	if (keyid)
		memcpy(f->ccfg.keyid, keyid, strnlen(keyid, XW_KEYID_LEN));
	f->ccfg.secret = (const uint8_t *)secret;
	f->ccfg.secret_len = secret ? strlen(secret) : 0;
	f->ccfg.peer = "test-server";
}

static int fx_start(struct fx *f)
{
	f->srv = srv_new(&f->scfg, &OPS, f, f->now);
	f->cli = cli_new(&f->ccfg);
	return f->srv && f->cli ? 0 : -1;
}

static void fx_free(struct fx *f)
{
	srv_free(f->srv);
	cli_free(f->cli);
	f->srv = NULL;
	f->cli = NULL;
}

static void drain_events(struct fx *f)
{
	struct cli_event ev;

	while (cli_event(f->cli, &ev))
		if (f->nev < (int)(sizeof(f->ev) / sizeof(f->ev[0])))
			f->ev[f->nev++] = ev;
}

/*
 * Moves bytes both ways in pieces of at most chunk octets until neither
 * side has anything to send.  A side that closed and flushed its output
 * makes the other side see end of stream, as TCP would.
 */
static void pump(struct fx *f, size_t chunk)
{
	int moved;

	do {
		const uint8_t *p;
		size_t n, k;

		moved = 0;
		while ((p = cli_out_peek(f->cli, &n)) && n) {
			k = n < chunk ? n : chunk;
			if (f->nc2s + k <= WIRE_MAX)
				memcpy(f->c2s + f->nc2s, p, k);
			f->nc2s += k;
			if (!srv_closed(f->srv))
				srv_feed(f->srv, p, k, f->now);
			cli_out_consume(f->cli, k);
			moved = 1;
		}
		while ((p = srv_out_peek(f->srv, &n)) && n) {
			k = n < chunk ? n : chunk;
			if (f->ns2c + k <= WIRE_MAX)
				memcpy(f->s2c + f->ns2c, p, k);
			f->ns2c += k;
			if (!cli_closed(f->cli))
				cli_feed(f->cli, p, k);
			srv_out_consume(f->srv, k);
			moved = 1;
		}
		if (srv_closed(f->srv) && !cli_closed(f->cli)) {
			cli_eof(f->cli);
			moved = 1;
		}
		if (cli_closed(f->cli) && !cli_out_pending(f->cli) && !srv_closed(f->srv)) {
			srv_eof(f->srv, f->now);
			moved = 1;
		}
		drain_events(f);
	} while (moved);
}

/* Index of the n-th (0-based) client event of a type, or -1. */
static int find_ev(const struct fx *f, enum cli_ev_type type, int nth)
{
	int i;

	for (i = 0; i < f->nev; i++)
		if (f->ev[i].type == type && nth-- == 0)
			return i;
	return -1;
}

static int count_ev(const struct fx *f, enum cli_ev_type type)
{
	int i, n = 0;

	for (i = 0; i < f->nev; i++)
		n += f->ev[i].type == type;
	return n;
}

static void params(struct twsess_params *p, uint16_t port)
{
	memset(p, 0, sizeof(*p));
	p->ipvn = 4;
	p->sender_port = port;
	p->receiver_port = port;
	p->sender_addr[0] = 198;
	p->sender_addr[1] = 51;
	p->sender_addr[2] = 100;
	p->sender_addr[3] = 1;
	memcpy(p->receiver_addr, SID_ADDR, 4);
	p->padding_len = 27;
	p->start_time = xw_ns_to_ntp(T0 + 1000000000ULL);
	p->timeout = 2ULL << 32;
	p->type_p = 46u << 24; /* DSCP EF */
}

/* ---- the full conversation, every mode ------------------------------------- */

static void req_from(struct codec_request_tw_session *q, const struct twsess_params *p)
{
	memset(q, 0, sizeof(*q));
	q->ipvn = p->ipvn;
	q->sender_port = p->sender_port;
	q->receiver_port = p->receiver_port;
	memcpy(q->sender_addr, p->sender_addr, 16);
	memcpy(q->receiver_addr, p->receiver_addr, 16);
	q->padding_len = p->padding_len;
	q->start_time = p->start_time;
	q->timeout = p->timeout;
	q->type_p = p->type_p;
	q->octets_to_reflect = p->octets_to_reflect;
	q->reflect_pad_len = p->pad_to_reflect;
}

/* Connection up to Server-Start; 0 when the client reports Accept 0. */
static int setup(struct fx *f, size_t chunk)
{
	int i;

	if (fx_start(f))
		return -1;
	pump(f, chunk);
	i = find_ev(f, CLI_EV_SERVER_START, 0);
	if (i < 0 || f->ev[i].accept != XW_ACCEPT_OK)
		return -1;
	return 0;
}

static void full_conv(uint32_t mode, int nsess, size_t chunk)
{
	struct fx *f = calloc(1, sizeof(*f));
	int secure = mode != XW_MODE_OPEN, keys = !!(mode & (XW_MODE_AUTH | XW_MODE_ENCRYPTED));
	uint8_t plain[XW_REQUEST_TW_SESSION_LEN];
	struct codec_request_tw_session q = {0};
	int i, j, e;
	size_t off;

	CHECK(f);
	fx_cfg(f, 0xff & ~XW_MODE_IKEV2_DERIV, mode, "alice", PASS);
	CHECK_EQ(fx_start(f), 0);
	CHECK_EQ(srv_state(f->srv), SRV_WAIT_SETUP);
	CHECK_EQ(srv_deadline_ns(f->srv), T0 + SERVWAIT);
	pump(f, chunk);

	/* greeting: the offered modes reach the client */
	e = find_ev(f, CLI_EV_GREETING, 0);
	CHECK(e == 0);
	CHECK_EQ(f->ev[e].modes, 0x7f);
	/* Server-Start accepted, Start-Time decrypted correctly in A/E/M */
	e = find_ev(f, CLI_EV_SERVER_START, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].accept, XW_ACCEPT_OK);
	CHECK_EQ(f->ev[e].modes, mode);
	CHECK(f->ev[e].start_time == START_TIME);
	CHECK_EQ(cli_mode(f->cli), mode);
	CHECK_EQ(srv_mode(f->srv), mode);
	CHECK_EQ(srv_state(f->srv), SRV_READY);
	CHECK_EQ(cli_state(f->cli), CLI_READY);
	CHECK_EQ(f->key_calls, secure);
	CHECK_EQ(f->nc2s, XW_SETUP_RESPONSE_LEN);
	CHECK_EQ(f->ns2c, XW_GREETING_LEN + XW_SERVER_START_LEN);
	/* the Set-Up-Response Mode on the wire */
	CHECK_EQ(get_be32(f->c2s), mode);

	/* N sessions */
	for (i = 0; i < nsess; i++) {
		struct twsess_params p;

		params(&p, (uint16_t)(9000 + 2 * i));
		CHECK_EQ(cli_request(f->cli, &p), i);
	}
	pump(f, chunk);
	CHECK_EQ(count_ev(f, CLI_EV_ACCEPT), nsess);
	CHECK_EQ(f->nrec, nsess);
	CHECK_EQ(srv_nsessions(f->srv), nsess);
	for (i = 0; i < nsess; i++) {
		const struct cli_sess *cs = cli_sess(f->cli, i);

		e = find_ev(f, CLI_EV_ACCEPT, i);
		CHECK_EQ(f->ev[e].sess, i);
		CHECK_EQ(f->ev[e].accept, XW_ACCEPT_OK);
		CHECK(cs && cs->answered);
		CHECK_EQ(cs->accept, XW_ACCEPT_OK);
		/* the port the server chose, not the one requested */
		CHECK_EQ(cs->port, 9000 + 2 * i + 1);
		CHECK_EQ(f->rec[i].port, cs->port);
		/* the server saw the parameters the client sent */
		CHECK_EQ(f->rec[i].p.receiver_port, 9000 + 2 * i);
		CHECK_EQ(f->rec[i].p.padding_len, 27);
		CHECK_EQ(f->rec[i].p.type_p, 46u << 24);
		CHECK(f->rec[i].p.timeout == 2ULL << 32);
		CHECK_MEM(f->rec[i].p.sender_addr, cs->params.sender_addr, 16);
		/* same SID on both sides; RFC 4656 3.5 layout: address, timestamp, random */
		CHECK_MEM(cs->sid, f->rec[i].sid, XW_SID_LEN);
		CHECK_MEM(cs->sid, SID_ADDR, 4);
		CHECK(get_be64(cs->sid + 4) == xw_ns_to_ntp(T0));
		for (j = 0; j < i; j++)
			CHECK(memcmp(cs->sid, cli_sess(f->cli, j)->sid, XW_SID_LEN));
		/* same test keys on both sides, only in authenticated / encrypted mode */
		CHECK_EQ(cs->has_keys, keys);
		CHECK_EQ(f->rec[i].has_keys, keys);
		if (keys) {
			CHECK_MEM(&cs->keys, &f->rec[i].keys, sizeof(cs->keys));
			for (j = 0; j < i; j++)
				CHECK(memcmp(&cs->keys, &cli_sess(f->cli, j)->keys,
					     sizeof(cs->keys)));
		}
	}
	/* the first Request-TW-Session: plaintext in open mode, ciphertext otherwise */
	req_from(&q, &cli_sess(f->cli, 0)->params);
	CHECK_EQ(codec_request_tw_session_encode(&q, mode, plain, sizeof(plain)),
		 XW_REQUEST_TW_SESSION_LEN);
	off = XW_SETUP_RESPONSE_LEN;
	if (secure)
		CHECK(memcmp(f->c2s + off, plain, 16) != 0);
	else
		CHECK_MEM(f->c2s + off, plain, XW_REQUEST_TW_SESSION_LEN);

	/* Start-Sessions */
	CHECK_EQ(cli_start(f->cli), 0);
	pump(f, chunk);
	e = find_ev(f, CLI_EV_STARTED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].accept, XW_ACCEPT_OK);
	CHECK_EQ(f->ev[e].count, nsess);
	CHECK_EQ(srv_nactive(f->srv), nsess);
	CHECK_EQ(srv_state(f->srv), SRV_TESTING);
	for (i = 0; i < nsess; i++) {
		CHECK_EQ(f->rec[i].started, 1);
		CHECK(cli_sess(f->cli, i)->started);
	}
	/* RFC 5357 3.1: no SERVWAIT while testing */
	CHECK(srv_deadline_ns(f->srv) == UINT64_MAX);
	f->now += 2 * SERVWAIT;
	CHECK_EQ(srv_timeout(f->srv, f->now), 0);

	/* Stop-Sessions (no answer in TWAMP) */
	CHECK_EQ(cli_stop(f->cli, XW_ACCEPT_OK), 0);
	pump(f, chunk);
	e = find_ev(f, CLI_EV_STOPPED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].count, nsess);
	CHECK_EQ(srv_state(f->srv), SRV_READY);
	CHECK_EQ(srv_nactive(f->srv), 0);
	CHECK_EQ(srv_nsessions(f->srv), 0);
	for (i = 0; i < nsess; i++) {
		CHECK_EQ(f->rec[i].ended, 1);
		CHECK_EQ(f->rec[i].why, SRV_END_STOP);
	}
	CHECK(srv_deadline_ns(f->srv) == f->now + SERVWAIT);
	CHECK(!srv_closed(f->srv));
	CHECK(!cli_closed(f->cli));

	/* byte counts: the RFC sizes of the messages exchanged */
	CHECK_EQ(f->nc2s, XW_SETUP_RESPONSE_LEN + nsess * XW_REQUEST_TW_SESSION_LEN +
				  XW_START_SESSIONS_LEN + XW_STOP_SESSIONS_LEN);
	CHECK_EQ(f->ns2c, XW_GREETING_LEN + XW_SERVER_START_LEN + nsess * XW_ACCEPT_SESSION_LEN +
				  XW_START_ACK_LEN);
	/* in open mode the Stop-Sessions is readable: Number of Sessions */
	if (!secure) {
		CHECK_EQ(f->c2s[f->nc2s - 32], XW_CMD_STOP_SESSIONS);
		CHECK_EQ(get_be32(f->c2s + f->nc2s - 28), nsess);
	}

	/* the client hangs up */
	cli_close(f->cli);
	pump(f, chunk);
	CHECK(srv_closed(f->srv));
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PEER);
	CHECK_EQ(f->closed_calls, 1);
	CHECK_EQ(count_ev(f, CLI_EV_CLOSED), 1);
	fx_free(f);
	free(f);
}

TEST(open_1)
{
	full_conv(XW_MODE_OPEN, 1, 4096);
}

TEST(open_3_bytewise)
{
	full_conv(XW_MODE_OPEN, 3, 1);
}

TEST(auth_1)
{
	full_conv(XW_MODE_AUTH, 1, 4096);
}

TEST(auth_3_bytewise)
{
	full_conv(XW_MODE_AUTH, 3, 1);
}

TEST(encrypted_1_bytewise)
{
	full_conv(XW_MODE_ENCRYPTED, 1, 1);
}

TEST(encrypted_3)
{
	full_conv(XW_MODE_ENCRYPTED, 3, 7);
}

TEST(mixed_1)
{
	full_conv(XW_MODE_MIXED, 1, 4096);
}

TEST(mixed_3_bytewise)
{
	full_conv(XW_MODE_MIXED, 3, 1);
}

/* Without a preference the client takes the strongest common mode: E > A > M > O. */
TEST(mode_choice_strongest_first)
{
	static const struct {
		uint32_t srv, cli, want;
	} cases[] = {
		{0x0f, 0x0f, XW_MODE_ENCRYPTED}, {0x0b, 0x0f, XW_MODE_AUTH},
		{0x09, 0x0f, XW_MODE_MIXED},	 {0x0f, 0x09, XW_MODE_MIXED},
		{0x01, 0x0f, XW_MODE_OPEN},
	};
	struct fx *f = calloc(1, sizeof(*f));
	unsigned int i;

	CHECK(f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx_cfg(f, cases[i].srv, cases[i].cli, "alice", PASS);
		CHECK_EQ(setup(f, 4096), 0);
		CHECK_EQ(cli_mode(f->cli), cases[i].want);
		CHECK_EQ(srv_mode(f->srv), cases[i].want);
		fx_free(f);
	}
	/* an explicit preference wins over the order */
	fx_cfg(f, 0x0f, 0x0f, "alice", PASS);
	f->ccfg.prefer = XW_MODE_OPEN;
	CHECK_EQ(setup(f, 4096), 0);
	CHECK_EQ(cli_mode(f->cli), XW_MODE_OPEN);
	fx_free(f);
	free(f);
}

/* ---- driving the server with hand-made bytes (open mode) ------------------ */

/* Takes everything the server queued; returns its length. */
static size_t srv_take(struct fx *f, uint8_t *buf, size_t cap)
{
	const uint8_t *p;
	size_t n;

	p = srv_out_peek(f->srv, &n);
	if (!p)
		return 0;
	if (n > cap)
		n = cap;
	memcpy(buf, p, n);
	srv_out_consume(f->srv, n);
	return n;
}

/* A server past setup in @mode (open + features), driven by raw bytes.  0 on success. */
static int raw_setup(struct fx *f, uint32_t mode, const char *keyid, uint8_t *ss_accept)
{
	struct codec_setup_response r = {.mode = mode};
	uint8_t buf[XW_SETUP_RESPONSE_LEN], out[128];

	f->srv = srv_new(&f->scfg, &OPS, f, f->now);
	if (!f->srv || srv_take(f, out, sizeof(out)) != XW_GREETING_LEN)
		return -1;
	if (keyid)
		memcpy(r.keyid, keyid, strnlen(keyid, XW_KEYID_LEN));
	if (codec_setup_response_encode(&r, buf, sizeof(buf)) != XW_SETUP_RESPONSE_LEN)
		return -1;
	srv_feed(f->srv, buf, sizeof(buf), f->now);
	if (srv_take(f, out, sizeof(out)) != XW_SERVER_START_LEN)
		return -1;
	*ss_accept = out[15];
	return 0;
}

/* An open-mode Request-TW-Session for port; returns the Accept-Session's Accept, SID in sid. */
static int raw_request(struct fx *f, uint32_t mode, uint16_t port, uint8_t sid[XW_SID_LEN])
{
	struct codec_request_tw_session q;
	struct codec_accept_session a;
	struct twsess_params p;
	uint8_t buf[XW_REQUEST_TW_SESSION_LEN], out[64];

	params(&p, port);
	req_from(&q, &p);
	if (codec_request_tw_session_encode(&q, mode, buf, sizeof(buf)) != sizeof(buf))
		return -1;
	srv_feed(f->srv, buf, sizeof(buf), f->now);
	if (srv_take(f, out, sizeof(out)) != XW_ACCEPT_SESSION_LEN)
		return -1;
	if (codec_accept_session_decode(&a, mode, out, XW_ACCEPT_SESSION_LEN))
		return -1;
	if (sid)
		memcpy(sid, a.sid, XW_SID_LEN);
	return a.accept;
}

/* ---- RFC 5938 individual session control ----------------------------------- */

TEST(indiv_start_n_stop_n)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	int i, e, two[2] = {0, 2}, one = 1, zero = 0;

	CHECK(f);
	fx_cfg(f, 0x1f, XW_MODE_AUTH | XW_MODE_INDIV_SESS, "alice", PASS);
	CHECK_EQ(setup(f, 1), 0);
	CHECK_EQ(cli_mode(f->cli), XW_MODE_AUTH | XW_MODE_INDIV_SESS);
	CHECK_EQ(srv_mode(f->srv), XW_MODE_AUTH | XW_MODE_INDIV_SESS);
	for (i = 0; i < 3; i++) {
		params(&p, (uint16_t)(7000 + 10 * i));
		CHECK_EQ(cli_request(f->cli, &p), i);
	}
	pump(f, 1);
	CHECK_EQ(count_ev(f, CLI_EV_ACCEPT), 3);

	/* start sessions 0 and 2 only */
	CHECK_EQ(cli_start_n(f->cli, two, 2), 0);
	pump(f, 1);
	e = find_ev(f, CLI_EV_STARTED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].accept, XW_ACCEPT_OK);
	CHECK_EQ(f->ev[e].count, 2);
	CHECK_EQ(f->rec[0].started, 1);
	CHECK_EQ(f->rec[1].started, 0);
	CHECK_EQ(f->rec[2].started, 1);
	CHECK_EQ(srv_nactive(f->srv), 2);
	CHECK_EQ(srv_state(f->srv), SRV_TESTING);
	CHECK(srv_deadline_ns(f->srv) == UINT64_MAX);

	/* RFC 5938: a new session may be requested while others run */
	params(&p, 7100);
	CHECK_EQ(cli_request(f->cli, &p), 3);
	pump(f, 1);
	CHECK_EQ(cli_sess(f->cli, 3)->accept, XW_ACCEPT_OK);
	CHECK_MEM(cli_sess(f->cli, 3)->sid, f->rec[3].sid, XW_SID_LEN);

	CHECK_EQ(cli_start_n(f->cli, &one, 1), 0);
	pump(f, 1);
	CHECK_EQ(srv_nactive(f->srv), 3);
	CHECK_EQ(f->rec[1].started, 1);

	/* stop session 0 only: the others go on, SERVWAIT stays suspended */
	CHECK_EQ(cli_stop_n(f->cli, &zero, 1), 0);
	pump(f, 1);
	e = find_ev(f, CLI_EV_STOPPED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].count, 1);
	CHECK_EQ(f->ev[e].accept, XW_ACCEPT_OK);
	CHECK_EQ(f->rec[0].ended, 1);
	CHECK_EQ(f->rec[0].why, SRV_END_STOP);
	CHECK_EQ(f->rec[1].ended, 0);
	CHECK_EQ(srv_nactive(f->srv), 2);
	CHECK_EQ(srv_state(f->srv), SRV_TESTING);
	CHECK(cli_sess(f->cli, 0)->stopped);

	/* cli_stop under bit 16 is Stop-N for every session in progress */
	CHECK_EQ(cli_stop(f->cli, XW_ACCEPT_OK), 0);
	pump(f, 1);
	e = find_ev(f, CLI_EV_STOPPED, 1);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].count, 2);
	CHECK_EQ(srv_nactive(f->srv), 0);
	CHECK_EQ(srv_state(f->srv), SRV_READY);
	CHECK_EQ(srv_nsessions(f->srv), 1); /* session 3 was never started */
	CHECK_EQ(f->rec[3].ended, 0);
	CHECK(srv_deadline_ns(f->srv) == f->now + SERVWAIT);

	/* only N commands went over the wire (RFC 5938 3.1: no 2 or 3) */
	CHECK_EQ(f->nc2s, XW_SETUP_RESPONSE_LEN + 4 * XW_REQUEST_TW_SESSION_LEN + CODEC_N_LEN(2) +
				  CODEC_N_LEN(1) + CODEC_N_LEN(1) + CODEC_N_LEN(2));
	CHECK_EQ(f->ns2c, XW_GREETING_LEN + XW_SERVER_START_LEN + 4 * XW_ACCEPT_SESSION_LEN +
				  CODEC_N_LEN(2) + CODEC_N_LEN(1) + CODEC_N_LEN(1) +
				  CODEC_N_LEN(2));
	CHECK(!srv_closed(f->srv) && !cli_closed(f->cli));
	fx_free(f);
	CHECK_EQ(f->rec[3].ended, 1);
	CHECK_EQ(f->rec[3].why, SRV_END_CLOSE);
	free(f);
}

/* The client wants bit 16, the server does not offer it: classic Start/Stop. */
TEST(indiv_not_offered)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	int zero = 0, e;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_ENCRYPTED | XW_MODE_INDIV_SESS, "alice", PASS);
	CHECK_EQ(setup(f, 4096), 0);
	CHECK_EQ(cli_mode(f->cli), XW_MODE_ENCRYPTED);
	params(&p, 7000);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	pump(f, 4096);
	CHECK_EQ(cli_start_n(f->cli, &zero, 1), -EOPNOTSUPP);
	CHECK_EQ(cli_start(f->cli), 0);
	pump(f, 4096);
	e = find_ev(f, CLI_EV_STARTED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].count, 1);
	CHECK_EQ(f->nc2s,
		 XW_SETUP_RESPONSE_LEN + XW_REQUEST_TW_SESSION_LEN + XW_START_SESSIONS_LEN);
	fx_free(f);
	free(f);
}

/* Start-N-Ack groups SIDs by Accept value (RFC 5938 3.3): one Ack per value. */
TEST(start_n_ack_groups_by_accept)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t sid[XW_SID_LEN], bogus[XW_SID_LEN], sids[3 * XW_SID_LEN], ss;
	uint8_t buf[CODEC_N_LEN(3)], out[512];
	struct codec_n_sessions m = {.num_sessions = 3, .sids = sids}, a;
	size_t n;
	int len;

	CHECK(f);
	fx_cfg(f, XW_MODE_OPEN | XW_MODE_INDIV_SESS, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN | XW_MODE_INDIV_SESS, NULL, &ss), 0);
	CHECK_EQ(ss, XW_ACCEPT_OK);
	CHECK_EQ(raw_request(f, XW_MODE_OPEN | XW_MODE_INDIV_SESS, 5000, sid), XW_ACCEPT_OK);
	memset(bogus, 0xab, sizeof(bogus));
	memcpy(sids, sid, XW_SID_LEN);
	memcpy(sids + XW_SID_LEN, bogus, XW_SID_LEN);
	memcpy(sids + 2 * XW_SID_LEN, sid, XW_SID_LEN);
	len = codec_start_n_sessions_encode(&m, buf, sizeof(buf));
	CHECK_EQ(len, CODEC_N_LEN(3));
	srv_feed(f->srv, buf, (size_t)len, f->now);
	n = srv_take(f, out, sizeof(out));
	CHECK_EQ(n, CODEC_N_LEN(2) + CODEC_N_LEN(1));
	CHECK_EQ(codec_start_n_ack_decode(&a, out, CODEC_N_LEN(2)), 0);
	CHECK_EQ(a.accept, XW_ACCEPT_OK);
	CHECK_EQ(a.num_sessions, 2);
	CHECK_MEM(a.sids, sid, XW_SID_LEN);
	CHECK_MEM(a.sids + XW_SID_LEN, sid, XW_SID_LEN);
	CHECK_EQ(codec_start_n_ack_decode(&a, out + CODEC_N_LEN(2), CODEC_N_LEN(1)), 0);
	CHECK_EQ(a.accept, XW_ACCEPT_FAILURE);
	CHECK_EQ(a.num_sessions, 1);
	CHECK_MEM(a.sids, bogus, XW_SID_LEN);
	CHECK_EQ(srv_nactive(f->srv), 1);
	CHECK(t_logged("unknown SID"));
	fx_free(f);
	free(f);
}

/* ---- RFC 6038 reflect octets / symmetrical size ------------------------------ */

TEST(rfc6038_reflect_octets)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	const struct cli_sess *cs;
	uint32_t mode = XW_MODE_ENCRYPTED | XW_MODE_REFLECT_OCT | XW_MODE_SYMMETRIC;

	CHECK(f);
	fx_cfg(f, 0x7f, mode, "alice", PASS);
	CHECK_EQ(setup(f, 3), 0);
	CHECK_EQ(cli_mode(f->cli), mode);
	CHECK_EQ(srv_mode(f->srv), mode);

	params(&p, 6000);
	p.padding_len = 60;
	p.octets_to_reflect = 0xbeef;
	p.pad_to_reflect = 4;
	CHECK_EQ(cli_request(f->cli, &p), 0);
	/* padding too short for the octets to reflect: Accept 3 (RFC 6038 4.3) */
	p.padding_len = 2;
	CHECK_EQ(cli_request(f->cli, &p), 1);
	p.padding_len = 60;
	p.octets_to_reflect = 0x1234;
	CHECK_EQ(cli_request(f->cli, &p), 2);
	pump(f, 3);

	cs = cli_sess(f->cli, 0);
	CHECK_EQ(cs->accept, XW_ACCEPT_OK);
	CHECK_EQ(cs->reflected_octets, 0xbeef);
	CHECK_EQ(cs->server_octets, 0x5a5a);
	CHECK_EQ(f->rec[0].p.octets_to_reflect, 0xbeef);
	CHECK_EQ(f->rec[0].p.pad_to_reflect, 4);
	cs = cli_sess(f->cli, 1);
	CHECK_EQ(cs->accept, XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(cs->port, 0);
	CHECK(t_logged("Length of padding to reflect"));
	/* the connection went on */
	cs = cli_sess(f->cli, 2);
	CHECK_EQ(cs->accept, XW_ACCEPT_OK);
	CHECK_EQ(cs->reflected_octets, 0x1234);
	CHECK_EQ(f->requests, 2);
	CHECK(!srv_closed(f->srv));
	fx_free(f);

	/* server without bits 5/6: the fields are not sent (MBZ) */
	fx_cfg(f, 0x0f, mode, "alice", PASS);
	CHECK_EQ(setup(f, 4096), 0);
	CHECK_EQ(cli_mode(f->cli), XW_MODE_ENCRYPTED);
	params(&p, 6000);
	p.padding_len = 60;
	p.octets_to_reflect = 0xbeef;
	p.pad_to_reflect = 4;
	CHECK_EQ(cli_request(f->cli, &p), 0);
	pump(f, 4096);
	CHECK_EQ(cli_sess(f->cli, 0)->accept, XW_ACCEPT_OK);
	CHECK_EQ(cli_sess(f->cli, 0)->reflected_octets, 0);
	CHECK_EQ(f->rec[0].p.octets_to_reflect, 0);
	CHECK_EQ(f->rec[0].p.pad_to_reflect, 0);
	fx_free(f);
	free(f);
}

/* ---- refusals at setup ------------------------------------------------------ */

TEST(wrong_passphrase)
{
	static const uint32_t modes[] = {XW_MODE_AUTH, XW_MODE_ENCRYPTED, XW_MODE_MIXED};
	static const uint8_t zero8[8];
	struct fx *f = calloc(1, sizeof(*f));
	unsigned int i;
	int e;

	CHECK(f);
	for (i = 0; i < 3; i++) {
		fx_cfg(f, 0x0f, modes[i], "alice", "correct horse battery staple");
		CHECK_EQ(fx_start(f), 0);
		pump(f, 1);
		e = find_ev(f, CLI_EV_SERVER_START, 0);
		CHECK(e >= 0);
		CHECK_EQ(f->ev[e].accept, XW_ACCEPT_FAILURE);
		CHECK(cli_closed(f->cli));
		CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_REFUSED);
		CHECK(srv_closed(f->srv));
		CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_AUTH);
		CHECK_EQ(f->closed_calls, 1);
		CHECK_EQ(f->key_calls, 1);
		CHECK(t_logged("does not hold our Challenge"));
		/* Server-Start with Accept 1 and Start-Time zero, in clear */
		CHECK_EQ(f->ns2c, XW_GREETING_LEN + XW_SERVER_START_LEN);
		CHECK_EQ(f->s2c[XW_GREETING_LEN + 15], XW_ACCEPT_FAILURE);
		CHECK_MEM(f->s2c + XW_GREETING_LEN + 32, zero8, 8);
		CHECK_EQ(f->nc2s, XW_SETUP_RESPONSE_LEN);
		CHECK_EQ(count_ev(f, CLI_EV_CLOSED), 1);
		fx_free(f);
	}
	free(f);
}

TEST(unknown_keyid)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t ss;
	int e;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_ENCRYPTED, "bob", PASS);
	CHECK_EQ(fx_start(f), 0);
	pump(f, 4096);
	e = find_ev(f, CLI_EV_SERVER_START, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].accept, XW_ACCEPT_FAILURE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_AUTH);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_REFUSED);
	CHECK(t_logged("KeyID \"bob\""));
	fx_free(f);

	/* RFC 7717 hook: the callback's Accept 6 reaches the wire */
	fx_cfg(f, 0x8f, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_AUTH | XW_MODE_IKEV2_DERIV, "spi:0102030405060708", &ss), 0);
	CHECK_EQ(ss, XW_ACCEPT_NO_IKE_SA);
	CHECK_EQ(f->key_mode, XW_MODE_AUTH | XW_MODE_IKEV2_DERIV);
	CHECK(srv_closed(f->srv));
	fx_free(f);
	free(f);
}

TEST(mode_not_offered)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cli_event ev;
	uint8_t g[XW_GREETING_LEN] = {0}, ss;
	const uint8_t *p;
	size_t n;

	CHECK(f);
	/* the client allows only secure modes, the server only open: Mode 0 and close */
	fx_cfg(f, XW_MODE_OPEN, XW_MODE_AUTH | XW_MODE_ENCRYPTED, "alice", PASS);
	CHECK_EQ(fx_start(f), 0);
	pump(f, 1);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_NO_MODE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_CLIENT_MODE0);
	CHECK_EQ(f->nc2s, XW_SETUP_RESPONSE_LEN);
	CHECK_EQ(get_be32(f->c2s), 0);
	CHECK_EQ(f->ns2c, XW_GREETING_LEN);
	CHECK_EQ(f->key_calls, 0);
	/* the reason is the application's to say, once (xwping: test_e2e_outputs) */
	CHECK_EQ(t_log_count(XW_LOG_WARN), 0);
	fx_free(f);

	/* a client choosing a mode the server did not offer: Server-Start Accept 3 */
	fx_cfg(f, XW_MODE_OPEN, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_ENCRYPTED, "alice", &ss), 0);
	CHECK_EQ(ss, XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_MODE);
	CHECK(t_logged("did not offer"));
	fx_free(f);
	/* ... or a feature bit it did not offer */
	fx_cfg(f, XW_MODE_OPEN, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN | XW_MODE_INDIV_SESS, NULL, &ss), 0);
	CHECK_EQ(ss, XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_MODE);
	fx_free(f);
	/* unknown high bits are ignored (RFC 4656 3.1) */
	fx_cfg(f, XW_MODE_OPEN, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN | 0x10000, NULL, &ss), 0);
	CHECK_EQ(ss, XW_ACCEPT_OK);
	CHECK_EQ(srv_mode(f->srv), XW_MODE_OPEN);
	fx_free(f);

	/* a greeting with Modes 0: the client closes without answering */
	fx_cfg(f, XW_MODE_OPEN, XW_MODE_OPEN, NULL, NULL);
	f->cli = cli_new(&f->ccfg);
	CHECK(f->cli);
	put_be32(g + 48, 1024); /* Count */
	CHECK_EQ(cli_feed(f->cli, g, sizeof(g)), -EPIPE);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_MODES0);
	p = cli_out_peek(f->cli, &n);
	CHECK(!p && n == 0);
	CHECK_EQ(cli_event(f->cli, &ev), 1);
	CHECK_EQ(ev.type, CLI_EV_GREETING);
	CHECK_EQ(ev.modes, 0);
	CHECK_EQ(cli_event(f->cli, &ev), 1);
	CHECK_EQ(ev.type, CLI_EV_CLOSED);
	CHECK_EQ(ev.reason, CLI_CLOSE_MODES0);
	fx_free(f);
	free(f);
}

/* ---- integrity: a flipped bit under HMAC closes the connection ------------- */

TEST(hmac_flip_client_to_server)
{
	static const uint32_t modes[] = {XW_MODE_AUTH, XW_MODE_ENCRYPTED, XW_MODE_MIXED};
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	uint8_t buf[XW_REQUEST_TW_SESSION_LEN];
	const uint8_t *o;
	unsigned int i;
	size_t n;

	CHECK(f);
	for (i = 0; i < 3; i++) {
		fx_cfg(f, 0x0f, modes[i], "alice", PASS);
		CHECK_EQ(setup(f, 4096), 0);
		params(&p, 4000);
		CHECK_EQ(cli_request(f->cli, &p), 0);
		o = cli_out_peek(f->cli, &n);
		CHECK_EQ(n, XW_REQUEST_TW_SESSION_LEN);
		memcpy(buf, o, n);
		cli_out_consume(f->cli, n);
		buf[40 + i] ^= 0x10; /* somewhere inside the request body */
		CHECK_EQ(srv_feed(f->srv, buf, sizeof(buf), f->now), -EPIPE);
		CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_HMAC);
		CHECK_EQ(f->requests, 0);
		CHECK_EQ(srv_out_pending(f->srv), 0);
		CHECK(t_logged("HMAC"));
		fx_free(f);
	}
	free(f);
}

TEST(hmac_flip_server_to_client)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	uint8_t buf[XW_ACCEPT_SESSION_LEN];
	const uint8_t *o;
	size_t n;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_ENCRYPTED, "alice", PASS);
	CHECK_EQ(setup(f, 4096), 0);
	params(&p, 4000);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	o = cli_out_peek(f->cli, &n);
	CHECK_EQ(srv_feed(f->srv, o, n, f->now), 0);
	cli_out_consume(f->cli, n);
	o = srv_out_peek(f->srv, &n);
	CHECK_EQ(n, XW_ACCEPT_SESSION_LEN);
	memcpy(buf, o, n);
	srv_out_consume(f->srv, n);
	buf[n - 1] ^= 0x01; /* in the (encrypted) HMAC itself */
	CHECK_EQ(cli_feed(f->cli, buf, sizeof(buf)), -EPIPE);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_HMAC);
	drain_events(f);
	CHECK_EQ(count_ev(f, CLI_EV_ACCEPT), 0);
	CHECK(f->ev[f->nev - 1].type == CLI_EV_CLOSED);
	CHECK_EQ(f->ev[f->nev - 1].reason, CLI_CLOSE_HMAC);
	fx_free(f);
	free(f);
}

/* ---- truncated and garbage input ------------------------------------------ */

TEST(truncated_input)
{
	static const uint32_t modes[] = {XW_MODE_OPEN, XW_MODE_ENCRYPTED};
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	const uint8_t *o;
	unsigned int i;
	size_t n;

	CHECK(f);
	for (i = 0; i < 2; i++) {
		fx_cfg(f, 0x0f, modes[i], "alice", PASS);
		CHECK_EQ(setup(f, 4096), 0);
		params(&p, 4000);
		CHECK_EQ(cli_request(f->cli, &p), 0);
		o = cli_out_peek(f->cli, &n);
		CHECK_EQ(n, XW_REQUEST_TW_SESSION_LEN);
		CHECK_EQ(srv_feed(f->srv, o, 50, f->now), 0); /* the connection ends here */
		CHECK_EQ(srv_eof(f->srv, f->now), -EPIPE);
		CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_TRUNCATED);
		CHECK_EQ(f->requests, 0);
		CHECK_EQ(srv_out_pending(f->srv), 0);
		CHECK_EQ(f->closed_calls, 1);
		CHECK(t_logged("50 octets into a message"));
		fx_free(f);
	}
	/* in the middle of the Set-Up-Response */
	fx_cfg(f, 0x0f, XW_MODE_AUTH, "alice", PASS);
	CHECK_EQ(fx_start(f), 0);
	o = srv_out_peek(f->srv, &n);
	CHECK_EQ(cli_feed(f->cli, o, n), 0);
	srv_out_consume(f->srv, n);
	o = cli_out_peek(f->cli, &n);
	CHECK_EQ(n, XW_SETUP_RESPONSE_LEN);
	CHECK_EQ(srv_feed(f->srv, o, 100, f->now), 0);
	CHECK_EQ(srv_eof(f->srv, f->now), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_TRUNCATED);
	CHECK_EQ(f->key_calls, 0);
	fx_free(f);
	/* the client sees half a greeting */
	fx_cfg(f, 0x0f, XW_MODE_AUTH, "alice", PASS);
	CHECK_EQ(fx_start(f), 0);
	o = srv_out_peek(f->srv, &n);
	CHECK_EQ(cli_feed(f->cli, o, 20), 0);
	CHECK_EQ(cli_eof(f->cli), -EPIPE);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_TRUNCATED);
	CHECK_EQ(cli_out_pending(f->cli), 0);
	fx_free(f);
	free(f);
}

TEST(garbage_input)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t junk[XW_SETUP_RESPONSE_LEN], out[128], ss;
	size_t n;

	CHECK(f);
	/* an unknown command number on an open connection: Accept-Session 3, close */
	fx_cfg(f, XW_MODE_OPEN, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN, NULL, &ss), 0);
	CHECK_EQ(ss, XW_ACCEPT_OK);
	memset(junk, 0xee, sizeof(junk));
	CHECK_EQ(srv_feed(f->srv, junk, 32, f->now), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
	n = srv_take(f, out, sizeof(out));
	CHECK_EQ(n, XW_ACCEPT_SESSION_LEN);
	CHECK_EQ(out[0], XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(get_be16(out + 2), 0); /* Port zero on refusal (RFC 5357 3.5) */
	CHECK(t_logged("not a TWAMP-Control command: Command Number 238"));
	fx_free(f);

	/* garbage instead of a Set-Up-Response: every Mode bit set */
	fx_cfg(f, XW_MODE_OPEN, 0, NULL, NULL);
	f->srv = srv_new(&f->scfg, &OPS, f, f->now);
	CHECK(f->srv);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_GREETING_LEN);
	memset(junk, 0xff, sizeof(junk));
	CHECK_EQ(srv_feed(f->srv, junk, sizeof(junk), f->now), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_MODE);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_SERVER_START_LEN);
	CHECK_EQ(out[15], XW_ACCEPT_NOT_SUPPORTED);
	fx_free(f);

	/* an oversized Start-N-Sessions (2^20 SIDs announced): closed at once */
	fx_cfg(f, XW_MODE_OPEN | XW_MODE_INDIV_SESS, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN | XW_MODE_INDIV_SESS, NULL, &ss), 0);
	memset(junk, 0, 16);
	junk[0] = XW_CMD_START_N_SESSIONS;
	put_be32(junk + 12, 1u << 20);
	CHECK_EQ(srv_feed(f->srv, junk, 16, f->now), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
	fx_free(f);

	/* garbage from the server in place of a greeting (Count 0): the client closes */
	fx_cfg(f, XW_MODE_OPEN, XW_MODE_OPEN, NULL, NULL);
	f->cli = cli_new(&f->ccfg);
	CHECK(f->cli);
	memset(junk, 0x00, XW_GREETING_LEN);
	junk[15] = 1;
	CHECK_EQ(cli_feed(f->cli, junk, XW_GREETING_LEN), -EPIPE);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_PROTO);
	fx_free(f);

	/* bytes from the server that nobody asked for */
	fx_cfg(f, XW_MODE_OPEN, XW_MODE_OPEN, NULL, NULL);
	CHECK_EQ(setup(f, 4096), 0);
	CHECK_EQ(cli_feed(f->cli, junk, 1), -EPIPE);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_PROTO);
	fx_free(f);
	free(f);
}

/* The OWAMP Request-Session (command 1) has a known length: Accept 3 and go on. */
TEST(foreign_command_then_go_on)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t req[XW_REQUEST_TW_SESSION_LEN + XW_HMAC_LEN] = {0}, out[128], ss;
	struct codec_request_tw_session q;
	struct twsess_params p;

	CHECK(f);
	fx_cfg(f, XW_MODE_OPEN, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN, NULL, &ss), 0);
	req[0] = XW_CMD_FORBIDDEN; /* 0 schedule slots: 112 + 16 octets */
	req[1] = 4;
	CHECK_EQ(srv_feed(f->srv, req, sizeof(req), f->now), 0);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_ACCEPT_SESSION_LEN);
	CHECK_EQ(out[0], XW_ACCEPT_NOT_SUPPORTED);
	CHECK(!srv_closed(f->srv));
	CHECK(t_logged("unexpected command 1"));
	/* Conf-Receiver != 0 in a Request-TW-Session: Accept 3 (RFC 5357 3.5), go on */
	params(&p, 4000);
	req_from(&q, &p);
	CHECK_EQ(codec_request_tw_session_encode(&q, XW_MODE_OPEN, req, sizeof(req)),
		 XW_REQUEST_TW_SESSION_LEN);
	req[3] = 1;
	CHECK_EQ(srv_feed(f->srv, req, XW_REQUEST_TW_SESSION_LEN, f->now), 0);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_ACCEPT_SESSION_LEN);
	CHECK_EQ(out[0], XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(f->requests, 0);
	/* and a good request still works */
	CHECK_EQ(raw_request(f, XW_MODE_OPEN, 4000, NULL), XW_ACCEPT_OK);
	CHECK_EQ(f->requests, 1);
	fx_free(f);
	free(f);
}

/* ---- limits and refusals of single commands --------------------------------- */

TEST(session_limit)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	int i, e;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_AUTH, "alice", PASS);
	f->scfg.max_sessions = 2;
	CHECK_EQ(setup(f, 5), 0);
	for (i = 0; i < 3; i++) {
		params(&p, (uint16_t)(3000 + i));
		CHECK_EQ(cli_request(f->cli, &p), i);
	}
	pump(f, 5);
	CHECK_EQ(cli_sess(f->cli, 0)->accept, XW_ACCEPT_OK);
	CHECK_EQ(cli_sess(f->cli, 1)->accept, XW_ACCEPT_OK);
	CHECK_EQ(cli_sess(f->cli, 2)->accept, XW_ACCEPT_PERM_LIMIT);
	CHECK_EQ(cli_sess(f->cli, 2)->port, 0);
	CHECK_EQ(cli_sess(f->cli, 2)->has_keys, 0);
	CHECK_EQ(f->requests, 2);
	CHECK(t_logged("limit"));
	/* the connection goes on with the two accepted sessions */
	CHECK_EQ(cli_start(f->cli), 0);
	CHECK_EQ(cli_stop(f->cli, XW_ACCEPT_OK), 0);
	pump(f, 5);
	e = find_ev(f, CLI_EV_STARTED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].count, 2);
	e = find_ev(f, CLI_EV_STOPPED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].count, 2);
	CHECK(!srv_closed(f->srv));
	CHECK_EQ(srv_nsessions(f->srv), 0);

	/* the daemon refuses one (temporary limit), then accepts the next */
	f->refuse = XW_ACCEPT_TEMP_LIMIT;
	params(&p, 3100);
	CHECK_EQ(cli_request(f->cli, &p), 3);
	pump(f, 5);
	CHECK_EQ(cli_sess(f->cli, 3)->accept, XW_ACCEPT_TEMP_LIMIT);
	CHECK_EQ(cli_sess(f->cli, 3)->port, 0);
	f->refuse = 0;
	CHECK_EQ(cli_request(f->cli, &p), 4);
	pump(f, 5);
	CHECK_EQ(cli_sess(f->cli, 4)->accept, XW_ACCEPT_OK);
	CHECK(!srv_closed(f->srv));
	fx_free(f);
	free(f);
}

/*
 * sess_request says OK but leaves the port 0 (a caller bug): the session is
 * refused with Accept 2, and handed back with sess_end (SRV_END_REFUSED)
 * exactly once, so that whatever the caller opened for it is closed; the
 * connection goes on.
 */
TEST(accepted_without_port)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	int e;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_AUTH, "alice", PASS);
	CHECK_EQ(setup(f, 5), 0);
	f->zero_port = 1;
	params(&p, 3000);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	pump(f, 5);
	CHECK_EQ(cli_sess(f->cli, 0)->accept, XW_ACCEPT_INTERNAL);
	CHECK_EQ(cli_sess(f->cli, 0)->port, 0);
	CHECK(t_logged("session accepted without a test port, Accept 2"));
	CHECK_EQ(f->nrec, 1);
	CHECK_EQ(f->rec[0].ended, 1);
	CHECK_EQ(f->rec[0].why, SRV_END_REFUSED);
	CHECK_EQ(srv_nsessions(f->srv), 0);
	/* the next one is accepted and runs; the refused one is not ended again */
	f->zero_port = 0;
	params(&p, 3100);
	CHECK_EQ(cli_request(f->cli, &p), 1);
	CHECK_EQ(cli_start(f->cli), 0);
	CHECK_EQ(cli_stop(f->cli, XW_ACCEPT_OK), 0);
	pump(f, 5);
	CHECK_EQ(cli_sess(f->cli, 1)->accept, XW_ACCEPT_OK);
	e = find_ev(f, CLI_EV_STOPPED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].count, 1);
	CHECK_EQ(f->nrec, 2);
	CHECK_EQ(f->rec[1].ended, 1);
	CHECK_EQ(f->rec[1].why, SRV_END_STOP);
	CHECK_EQ(f->rec[0].ended, 1);
	CHECK(!srv_closed(f->srv));
	fx_free(f);
	CHECK_EQ(f->rec[0].ended, 1);
	free(f);
}

TEST(start_refused)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	int e;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_ENCRYPTED, "alice", PASS);
	f->refuse_start = XW_ACCEPT_TEMP_LIMIT;
	CHECK_EQ(setup(f, 4096), 0);
	params(&p, 3000);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	CHECK_EQ(cli_start(f->cli), 0);
	pump(f, 4096);
	e = find_ev(f, CLI_EV_STARTED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].accept, XW_ACCEPT_TEMP_LIMIT);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_REFUSED);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_REFUSED);
	CHECK_EQ(f->rec[0].ended, 1);
	CHECK_EQ(f->rec[0].why, SRV_END_CLOSE);
	fx_free(f);
	free(f);
}

/* RFC 5357 3.8: a Stop-Sessions that does not count the sessions in progress closes. */
TEST(stop_count_mismatch)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct codec_stop_sessions st = {.num_sessions = 5};
	uint8_t buf[XW_START_SESSIONS_LEN], out[64], ss;

	CHECK(f);
	fx_cfg(f, XW_MODE_OPEN, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN, NULL, &ss), 0);
	CHECK_EQ(raw_request(f, XW_MODE_OPEN, 4000, NULL), XW_ACCEPT_OK);
	CHECK_EQ(codec_start_sessions_encode(buf, sizeof(buf)), XW_START_SESSIONS_LEN);
	CHECK_EQ(srv_feed(f->srv, buf, sizeof(buf), f->now), 0);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_START_ACK_LEN);
	CHECK_EQ(out[0], XW_ACCEPT_OK);
	/* a second Start-Sessions while measuring is not allowed (RFC 4656 3.4) ... */
	CHECK_EQ(codec_stop_sessions_encode(&st, buf, sizeof(buf)), XW_STOP_SESSIONS_LEN);
	CHECK_EQ(srv_feed(f->srv, buf, sizeof(buf), f->now), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
	CHECK(t_logged("Stop-Sessions for 5 sessions, but 1 were accepted"));
	CHECK_EQ(f->rec[0].ended, 1);
	CHECK_EQ(f->rec[0].why, SRV_END_CLOSE);
	fx_free(f);

	/* ... and neither is a second Start-Sessions */
	fx_cfg(f, XW_MODE_OPEN, 0, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN, NULL, &ss), 0);
	CHECK_EQ(raw_request(f, XW_MODE_OPEN, 4000, NULL), XW_ACCEPT_OK);
	CHECK_EQ(codec_start_sessions_encode(buf, sizeof(buf)), XW_START_SESSIONS_LEN);
	CHECK_EQ(srv_feed(f->srv, buf, sizeof(buf), f->now), 0);
	CHECK_EQ(srv_feed(f->srv, buf, sizeof(buf), f->now), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
	CHECK(t_logged("Start-Sessions while sessions run"));
	fx_free(f);
	free(f);
}

/* ---- a hand-made client in any security mode -------------------------------- */

/* The security modes, each run by the tests below. */
static const uint32_t SEC_MODES[] = {XW_MODE_OPEN, XW_MODE_AUTH, XW_MODE_ENCRYPTED, XW_MODE_MIXED};

/*
 * A server past setup in mode (security bit + features), the client side
 * played by hand: Token made here from PASS, the client's channel in *ch
 * (chan_fini() it).  0 on success.
 */
static int raw_conn(struct fx *f, uint32_t mode, struct chan *ch)
{
	struct codec_setup_response r = {.mode = mode};
	struct codec_greeting g;
	struct codec_server_start st;
	struct xw_session_keys keys;
	uint8_t buf[XW_SETUP_RESPONSE_LEN], out[128], kek[XW_AES_KEY_LEN];
	int secure = !(mode & XW_MODE_OPEN), rc = -1;

	memset(ch, 0, sizeof(*ch));
	f->srv = srv_new(&f->scfg, &OPS, f, f->now);
	if (!f->srv || srv_take(f, out, sizeof(out)) != XW_GREETING_LEN ||
	    codec_greeting_decode(&g, out, XW_GREETING_LEN))
		return -1;
	memcpy(r.keyid, "alice", 5);
	if (secure && (xw_random(&keys, sizeof(keys)) || xw_random(r.client_iv, 16) ||
		       xw_pbkdf2_sha1((const uint8_t *)PASS, strlen(PASS), g.salt, 16, g.count, kek,
				      sizeof(kek)) ||
		       xw_token_encrypt(kek, g.challenge, &keys, r.token)))
		goto out;
	if (codec_setup_response_encode(&r, buf, sizeof(buf)) != XW_SETUP_RESPONSE_LEN)
		goto out;
	srv_feed(f->srv, buf, sizeof(buf), f->now);
	if (srv_take(f, out, sizeof(out)) != XW_SERVER_START_LEN ||
	    codec_server_start_decode(&st, out, XW_SERVER_START_LEN) || st.accept)
		goto out;
	if (chan_init(ch, CHAN_ROLE_CLIENT, mode, secure ? &keys : NULL, r.client_iv,
		      st.server_iv) ||
	    chan_open_server_start(ch, out))
		goto out;
	rc = 0;
out:
	xw_wipe(&keys, sizeof(keys));
	xw_wipe(kek, sizeof(kek));
	return rc;
}

/* Seals and feeds one client message; srv_feed()'s result. */
static int raw_send(struct fx *f, struct chan *ch, uint8_t *msg, size_t len)
{
	if (chan_seal(ch, msg, len))
		return -EIO;
	return srv_feed(f->srv, msg, len, f->now);
}

/* Takes exactly len octets of server output and opens them; 0 or -1. */
static int raw_recv(struct fx *f, struct chan *ch, uint8_t *buf, size_t len)
{
	uint8_t tmp[CODEC_N_LEN(4)];

	if (len > sizeof(tmp) || srv_out_pending(f->srv) != len || srv_take(f, tmp, len) != len)
		return -1;
	if (chan_open(ch, tmp, len))
		return -1;
	memcpy(buf, tmp, len);
	return 0;
}

/* Request-TW-Session with the given padding; the Accept-Session's Accept, or -1. */
static int raw_req_pad(struct fx *f, struct chan *ch, uint32_t mode, uint16_t port,
		       uint32_t padding, uint16_t reflect, uint8_t sid[XW_SID_LEN])
{
	struct codec_request_tw_session q;
	struct codec_accept_session a;
	struct twsess_params p;
	uint8_t buf[XW_REQUEST_TW_SESSION_LEN], out[XW_ACCEPT_SESSION_LEN];

	params(&p, port);
	p.padding_len = padding;
	p.pad_to_reflect = reflect;
	req_from(&q, &p);
	if (codec_request_tw_session_encode(&q, mode, buf, sizeof(buf)) != sizeof(buf) ||
	    raw_send(f, ch, buf, sizeof(buf)) || raw_recv(f, ch, out, sizeof(out)) ||
	    codec_accept_session_decode(&a, mode, out, sizeof(out)))
		return -1;
	if (sid)
		memcpy(sid, a.sid, XW_SID_LEN);
	return a.accept;
}

static int raw_req(struct fx *f, struct chan *ch, uint32_t mode, uint16_t port,
		   uint8_t sid[XW_SID_LEN])
{
	return raw_req_pad(f, ch, mode, port, 27, 0, sid);
}

/* Start-Sessions; the Start-Ack's Accept, or -1 (e.g. the server closed). */
static int raw_start(struct fx *f, struct chan *ch)
{
	uint8_t buf[XW_START_SESSIONS_LEN], out[XW_START_ACK_LEN];

	if (codec_start_sessions_encode(buf, sizeof(buf)) != XW_START_SESSIONS_LEN ||
	    raw_send(f, ch, buf, sizeof(buf)) || raw_recv(f, ch, out, sizeof(out)))
		return -1;
	return out[0];
}

/* Stop-Sessions with this Number of Sessions; srv_feed()'s result (no answer). */
static int raw_stop(struct fx *f, struct chan *ch, uint32_t n)
{
	struct codec_stop_sessions st = {.num_sessions = n};
	uint8_t buf[XW_STOP_SESSIONS_LEN];

	if (codec_stop_sessions_encode(&st, buf, sizeof(buf)) != XW_STOP_SESSIONS_LEN)
		return -EIO;
	return raw_send(f, ch, buf, sizeof(buf));
}

/* Start-N-Sessions for one SID; the Start-N-Ack's Accept, or -1. */
static int raw_start_n(struct fx *f, struct chan *ch, const uint8_t sid[XW_SID_LEN])
{
	struct codec_n_sessions m = {.num_sessions = 1, .sids = sid}, a;
	uint8_t buf[CODEC_N_LEN(1)], out[CODEC_N_LEN(1)];

	if (codec_start_n_sessions_encode(&m, buf, sizeof(buf)) != (int)sizeof(buf) ||
	    raw_send(f, ch, buf, sizeof(buf)) || raw_recv(f, ch, out, sizeof(out)) ||
	    codec_start_n_ack_decode(&a, out, sizeof(out)))
		return -1;
	return a.accept;
}

/*
 * RFC 6038 4.2: Padding Length SHALL be > Length of padding to reflect;
 * 4.3: Accept 3 when the padding cannot give equal sizes (Symmetrical Size
 * mode; lengths as in testpkt.h: auth/enc reflector header 112).  In every
 * security mode; each refusal leaves the connection usable.
 */
TEST(rfc6038_padding_accept3)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct chan ch;
	unsigned int i;

	CHECK(f);
	for (i = 0; i < 4; i++) {
		uint32_t sec = SEC_MODES[i];
		int keyed = sec == XW_MODE_AUTH || sec == XW_MODE_ENCRYPTED;
		/* symmetrical size: sender 14+27 / 48+56 before padding; reflector 41 / 112 */
		uint32_t need = keyed ? 8 : 0, m = sec | XW_MODE_SYMMETRIC;
		uint32_t mr = m | XW_MODE_REFLECT_OCT, ro = sec | XW_MODE_REFLECT_OCT;

		fx_cfg(f, 0x7f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, m, &ch), 0);
		/* the case: authenticated, Padding Length 0 -> 104 vs 112 octets */
		CHECK_EQ(raw_req_pad(f, &ch, m, 4000, 0, 0, NULL),
			 keyed ? XW_ACCEPT_NOT_SUPPORTED : XW_ACCEPT_OK);
		if (keyed) {
			CHECK(t_logged("makes 104-octet packets, but the reflector's are at "
				       "least 112"));
			CHECK_EQ(raw_req_pad(f, &ch, m, 4001, need - 1, 0, NULL),
				 XW_ACCEPT_NOT_SUPPORTED);
		}
		CHECK_EQ(raw_req_pad(f, &ch, m, 4002, need, 0, NULL), XW_ACCEPT_OK);
		CHECK(!srv_closed(f->srv));
		fx_free(f);
		chan_fini(&ch);

		/* symmetrical size + reflect octets: > 4 (4.2) and equal sizes (4.3) */
		fx_cfg(f, 0x7f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, mr, &ch), 0);
		CHECK_EQ(raw_req_pad(f, &ch, mr, 4000, 4, 4, NULL), XW_ACCEPT_NOT_SUPPORTED);
		CHECK(t_logged("is not more than the Length of padding to reflect 4"));
		CHECK_EQ(raw_req_pad(f, &ch, mr, 4001, need + 4, 4, NULL),
			 keyed ? XW_ACCEPT_OK : XW_ACCEPT_NOT_SUPPORTED);
		if (keyed)
			CHECK_EQ(raw_req_pad(f, &ch, mr, 4002, need + 3, 4, NULL),
				 XW_ACCEPT_NOT_SUPPORTED);
		CHECK_EQ(raw_req_pad(f, &ch, mr, 4003, need + 5, 4, NULL), XW_ACCEPT_OK);
		CHECK_EQ(srv_nsessions(f->srv), keyed ? 2 : 1);
		fx_free(f);
		chan_fini(&ch);

		/* reflect octets without symmetrical size: only 4.2 applies */
		fx_cfg(f, 0x3f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, ro, &ch), 0);
		CHECK_EQ(raw_req_pad(f, &ch, ro, 4000, 8, 8, NULL), XW_ACCEPT_NOT_SUPPORTED);
		CHECK_EQ(raw_req_pad(f, &ch, ro, 4001, 9, 8, NULL), XW_ACCEPT_OK);
		/* nothing to reflect: Padding Length 0 is fine, as in RFC 5357 */
		CHECK_EQ(raw_req_pad(f, &ch, ro, 4002, 0, 0, NULL), XW_ACCEPT_OK);
		fx_free(f);
		chan_fini(&ch);
	}
	free(f);
}

/*
 * RFC 5357 3.5: an OWAMP Request-Session (command 1) gets Accept 3 in every
 * mode.  It carries two HMACs (RFC 4656 3.5), each checked; the connection
 * stays in step and a good Request-TW-Session is accepted after it.  A
 * forged second HMAC still closes the connection (RFC 4656 3.2).
 */
TEST(owamp_request_session_every_mode)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t req[XW_REQUEST_TW_SESSION_LEN + 2 * 16 + XW_HMAC_LEN];
	uint8_t out[XW_ACCEPT_SESSION_LEN];
	const size_t part1 = CODEC_REQUEST_SESSION_HMAC1_END, part2 = sizeof(req) - part1;
	struct chan ch;
	unsigned int i;
	int slots;

	CHECK(f);
	for (i = 0; i < 4; i++) {
		uint32_t m = SEC_MODES[i];

		for (slots = 0; slots <= 2; slots += 2) {
			size_t p2 = (size_t)slots * 16 + XW_HMAC_LEN;

			fx_cfg(f, 0x0f, 0, NULL, NULL);
			CHECK_EQ(raw_conn(f, m, &ch), 0);
			memset(req, 0, sizeof(req));
			req[0] = XW_CMD_FORBIDDEN;
			req[1] = 4;
			req[3] = 1;		 /* Conf-Receiver */
			req[7] = (uint8_t)slots; /* Number of Schedule Slots */
			req[part1] = 0;		 /* slot 0: Poisson */
			/* the client seals the two HMAC-terminated parts in turn */
			CHECK_EQ(chan_seal(&ch, req, part1), 0);
			CHECK_EQ(chan_seal(&ch, req + part1, p2), 0);
			CHECK_EQ(srv_feed(f->srv, req, part1 + p2, f->now), 0);
			CHECK_EQ(raw_recv(f, &ch, out, sizeof(out)), 0);
			CHECK_EQ(out[0], XW_ACCEPT_NOT_SUPPORTED);
			CHECK(!srv_closed(f->srv));
			CHECK(t_logged("unexpected command 1"));
			CHECK_EQ(f->requests, 0);
			CHECK_EQ(raw_req(f, &ch, m, 4000, NULL), XW_ACCEPT_OK);
			CHECK_EQ(f->requests, 1);
			fx_free(f);
			chan_fini(&ch);
		}
		if (m == XW_MODE_OPEN)
			continue; /* HMAC fields are MBZ there */
		/* a flipped bit under the second HMAC: mismatch, closed */
		fx_cfg(f, 0x0f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, m, &ch), 0);
		memset(req, 0, sizeof(req));
		req[0] = XW_CMD_FORBIDDEN;
		req[1] = 4;
		req[7] = 2;
		CHECK_EQ(chan_seal(&ch, req, part1), 0);
		CHECK_EQ(chan_seal(&ch, req + part1, part2), 0);
		req[part1 + 3] ^= 0x10;
		CHECK_EQ(srv_feed(f->srv, req, sizeof(req), f->now), -EPIPE);
		CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_HMAC);
		fx_free(f);
		chan_fini(&ch);
	}
	free(f);
}

/*
 * RFC 5938 3.1: no Start-Sessions under individual session control.  One
 * reaction before and during testing, in every mode: Start-Ack 3, no
 * session started, the connection goes on.  Without bit 16, Start-Sessions
 * while testing closes (RFC 4656 3.4), in every mode too.
 */
TEST(start_sessions_while_testing_every_mode)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t sid0[XW_SID_LEN], sid1[XW_SID_LEN];
	struct chan ch;
	unsigned int i;

	CHECK(f);
	for (i = 0; i < 4; i++) {
		uint32_t m = SEC_MODES[i] | XW_MODE_INDIV_SESS;

		fx_cfg(f, 0x1f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, m, &ch), 0);
		CHECK_EQ(raw_req(f, &ch, m, 4000, sid0), XW_ACCEPT_OK);
		CHECK_EQ(raw_req(f, &ch, m, 4002, sid1), XW_ACCEPT_OK);
		/* before any session runs */
		CHECK_EQ(raw_start(f, &ch), XW_ACCEPT_NOT_SUPPORTED);
		CHECK_EQ(srv_state(f->srv), SRV_READY);
		CHECK_EQ(srv_nactive(f->srv), 0);
		CHECK_EQ(raw_start_n(f, &ch, sid0), XW_ACCEPT_OK);
		CHECK_EQ(srv_state(f->srv), SRV_TESTING);
		/* during testing: the same answer */
		t_log_reset();
		CHECK_EQ(raw_start(f, &ch), XW_ACCEPT_NOT_SUPPORTED);
		CHECK(t_logged("Start-Sessions under individual session control"));
		CHECK_EQ(srv_state(f->srv), SRV_TESTING);
		CHECK_EQ(srv_nactive(f->srv), 1);
		CHECK_EQ(f->rec[0].started, 1);
		CHECK_EQ(f->rec[1].started, 0);
		/* and the connection is still in step */
		CHECK_EQ(raw_start_n(f, &ch, sid1), XW_ACCEPT_OK);
		CHECK_EQ(srv_nactive(f->srv), 2);
		CHECK(!srv_closed(f->srv));
		fx_free(f);
		chan_fini(&ch);

		m = SEC_MODES[i];
		fx_cfg(f, 0x0f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, m, &ch), 0);
		CHECK_EQ(raw_req(f, &ch, m, 4000, NULL), XW_ACCEPT_OK);
		CHECK_EQ(raw_start(f, &ch), XW_ACCEPT_OK);
		CHECK_EQ(raw_start(f, &ch), -1);
		CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
		CHECK(t_logged("Start-Sessions while sessions run"));
		CHECK_EQ(f->rec[0].why, SRV_END_CLOSE);
		fx_free(f);
		chan_fini(&ch);
	}
	free(f);
}

/*
 * RFC 5357 3.8: Number of Sessions counts every accepted session (started
 * or not, REFWAIT-ended included); Stop-Sessions ends them all; any other
 * count closes the connection.  In every mode.
 */
TEST(stop_sessions_every_mode)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t sid0[XW_SID_LEN];
	struct chan ch;
	unsigned int i;

	CHECK(f);
	for (i = 0; i < 4; i++) {
		uint32_t m = SEC_MODES[i];

		/* accepted, never started: Stop-Sessions for 2 ends both */
		fx_cfg(f, 0x0f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, m, &ch), 0);
		CHECK_EQ(raw_req(f, &ch, m, 4000, NULL), XW_ACCEPT_OK);
		CHECK_EQ(raw_req(f, &ch, m, 4002, NULL), XW_ACCEPT_OK);
		CHECK_EQ(raw_stop(f, &ch, 2), 0);
		CHECK_EQ(srv_nsessions(f->srv), 0);
		CHECK_EQ(f->rec[0].ended, 1);
		CHECK_EQ(f->rec[1].ended, 1);
		CHECK_EQ(f->rec[1].why, SRV_END_STOP);
		CHECK_EQ(f->rec[1].started, 0);
		CHECK_EQ(srv_state(f->srv), SRV_READY);
		/* the connection goes on: a new session, started and stopped */
		CHECK_EQ(raw_req(f, &ch, m, 4004, NULL), XW_ACCEPT_OK);
		CHECK_EQ(raw_start(f, &ch), XW_ACCEPT_OK);
		CHECK_EQ(raw_stop(f, &ch, 1), 0);
		CHECK_EQ(f->rec[2].why, SRV_END_STOP);
		CHECK(!srv_closed(f->srv));
		fx_free(f);
		chan_fini(&ch);

		/* counting only the started ones (0 of 2) is a mismatch: closed */
		fx_cfg(f, 0x0f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, m, &ch), 0);
		CHECK_EQ(raw_req(f, &ch, m, 4000, NULL), XW_ACCEPT_OK);
		CHECK_EQ(raw_req(f, &ch, m, 4002, NULL), XW_ACCEPT_OK);
		CHECK_EQ(raw_stop(f, &ch, 0), -EPIPE);
		CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
		CHECK(t_logged("Stop-Sessions for 0 sessions, but 2 were accepted"));
		CHECK_EQ(f->rec[1].why, SRV_END_CLOSE);
		fx_free(f);
		chan_fini(&ch);

		/* one ended by REFWAIT still counts for the client */
		fx_cfg(f, 0x0f, 0, NULL, NULL);
		CHECK_EQ(raw_conn(f, m, &ch), 0);
		CHECK_EQ(raw_req(f, &ch, m, 4000, sid0), XW_ACCEPT_OK);
		CHECK_EQ(raw_req(f, &ch, m, 4002, NULL), XW_ACCEPT_OK);
		CHECK_EQ(raw_start(f, &ch), XW_ACCEPT_OK);
		CHECK_EQ(srv_sess_expired(f->srv, sid0, f->now), 0);
		CHECK_EQ(raw_stop(f, &ch, 2), 0);
		CHECK_EQ(f->rec[0].why, SRV_END_REFWAIT);
		CHECK_EQ(f->rec[1].why, SRV_END_STOP);
		CHECK(!srv_closed(f->srv));
		/* ... until that Stop-Sessions: the next one counts from 0 */
		CHECK_EQ(raw_req(f, &ch, m, 4004, NULL), XW_ACCEPT_OK);
		CHECK_EQ(raw_stop(f, &ch, 2), -EPIPE);
		CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
		fx_free(f);
		chan_fini(&ch);
	}
	free(f);
}

/* The client counts accepted sessions that were never started (RFC 5357 3.8). */
TEST(cli_stop_before_start)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	int e;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_AUTH, "alice", PASS);
	CHECK_EQ(setup(f, 7), 0);
	params(&p, 3000);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	CHECK_EQ(cli_request(f->cli, &p), 1);
	CHECK_EQ(cli_stop(f->cli, XW_ACCEPT_OK), 0);
	pump(f, 7);
	e = find_ev(f, CLI_EV_STOPPED, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].count, 2);
	CHECK_EQ(srv_nsessions(f->srv), 0);
	CHECK_EQ(f->rec[0].why, SRV_END_STOP);
	CHECK_EQ(f->rec[1].why, SRV_END_STOP);
	CHECK(!srv_closed(f->srv) && !cli_closed(f->cli));
	fx_free(f);
	free(f);
}

/* ---- client defences --------------------------------------------------------- */

/*
 * Pumps like pump(), but an on-path attacker rewrites the Modes of the
 * Server Greeting (octets 12..15, not authenticated) on its way.
 */
static void pump_tampered(struct fx *f, uint32_t modes)
{
	uint8_t g[XW_GREETING_LEN];

	if (srv_take(f, g, sizeof(g)) != XW_GREETING_LEN)
		return;
	put_be32(g + 12, modes);
	cli_feed(f->cli, g, sizeof(g));
	pump(f, 4096);
}

/*
 * A client with a key allowed only keyed modes (xwping's default with a
 * key) refuses a greeting that offers open only, from a server or from an
 * attacker who removed the keyed bits: Set-Up-Response Mode 0, nothing
 * else.  One that also allows open (-A open) falls back, as asked.
 */
TEST(cli_no_open_fallback_with_key)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t mode0[4] = {0};

	CHECK(f);
	/* the server itself offers only open */
	fx_cfg(f, XW_MODE_OPEN, XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED, "alice", PASS);
	CHECK_EQ(fx_start(f), 0);
	pump(f, 4096);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_NO_MODE);
	CHECK_EQ(cli_mode(f->cli), 0);
	/* the reason is the application's to say, once (xwping: test_e2e_outputs) */
	CHECK_EQ(t_log_count(XW_LOG_WARN), 0);
	CHECK_EQ(f->nc2s, XW_SETUP_RESPONSE_LEN);
	CHECK_MEM(f->c2s, mode0, 4);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_CLIENT_MODE0);
	CHECK_EQ(f->requests + f->key_calls, 0);
	fx_free(f);

	/* the server offers everything; the greeting is tampered to offer open only */
	fx_cfg(f, 0x0f, XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED, "alice", PASS);
	CHECK_EQ(fx_start(f), 0);
	pump_tampered(f, XW_MODE_OPEN);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_NO_MODE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_CLIENT_MODE0);
	fx_free(f);

	/* the same attack on a client that allows open: it gets an open session */
	fx_cfg(f, 0x0f, 0x0f, "alice", PASS);
	CHECK_EQ(fx_start(f), 0);
	pump_tampered(f, XW_MODE_OPEN);
	CHECK(!cli_closed(f->cli));
	CHECK_EQ(cli_mode(f->cli), XW_MODE_OPEN);
	CHECK_EQ(srv_mode(f->srv), XW_MODE_OPEN);
	fx_free(f);
	free(f);
}

/* RFC 5357 6: a greeting Count above the maximum (default 32768) closes. */
TEST(cli_max_count)
{
	static const struct {
		uint32_t srv_count, max_count, cli_modes;
		int refused;
	} cases[] = {
		{32768, 0, XW_MODE_AUTH, 0},
		{65536, 0, XW_MODE_AUTH, 1},
		{65536, 0, XW_MODE_ENCRYPTED | XW_MODE_MIXED, 1},
		{65536, 65536, XW_MODE_ENCRYPTED, 0},
		{1u << 31, 65536, XW_MODE_ENCRYPTED, 1},
		{2048, 1024, XW_MODE_AUTH, 1},
		/* Count plays no part in open mode: no reason to refuse */
		{65536, 0, XW_MODE_OPEN, 0},
	};
	struct fx *f = calloc(1, sizeof(*f));
	unsigned int i;

	CHECK(f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx_cfg(f, 0x0f, cases[i].cli_modes, "alice", PASS);
		f->scfg.count = cases[i].srv_count;
		f->ccfg.max_count = cases[i].max_count;
		if (cases[i].srv_count > (1u << 20)) {
			/* do not make the server compute it: the greeting is enough */
			CHECK_EQ(fx_start(f), 0);
			pump(f, 4096);
		} else {
			setup(f, 4096);
		}
		if (cases[i].refused) {
			CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_COUNT);
			/* the reason is the application's to say, once (xwping: test_e2e_outputs) */
			CHECK_EQ(t_log_count(XW_LOG_WARN), 0);
			/* closed without a Set-Up-Response: no PBKDF2 was run */
			CHECK_EQ(f->nc2s, 0);
			CHECK_EQ(f->key_calls, 0);
		} else {
			CHECK(!cli_closed(f->cli));
			CHECK_EQ(cli_state(f->cli), CLI_READY);
		}
		fx_free(f);
	}
	free(f);
}

/* ---- SERVWAIT / REFWAIT (RFC 5357 3.1) ------------------------------------- */

TEST(servwait)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	uint64_t t;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_OPEN, NULL, NULL);
	CHECK_EQ(setup(f, 4096), 0);
	CHECK(srv_deadline_ns(f->srv) == T0 + SERVWAIT);
	f->now = T0 + SERVWAIT - 1;
	CHECK_EQ(srv_timeout(f->srv, f->now), 0);
	/* traffic moves the deadline */
	params(&p, 3000);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	CHECK_EQ(cli_start(f->cli), 0);
	pump(f, 4096);
	CHECK_EQ(srv_state(f->srv), SRV_TESTING);
	CHECK(srv_deadline_ns(f->srv) == UINT64_MAX);
	/* REFWAIT expired on every session: SERVWAIT resumes from now */
	f->now += 5 * SERVWAIT;
	CHECK_EQ(srv_sess_expired(f->srv, f->rec[0].sid, f->now), 0);
	CHECK_EQ(f->rec[0].why, SRV_END_REFWAIT);
	CHECK_EQ(srv_sess_expired(f->srv, f->rec[0].sid, f->now), -ENOENT);
	CHECK_EQ(srv_state(f->srv), SRV_READY);
	t = f->now;
	CHECK(srv_deadline_ns(f->srv) == t + SERVWAIT);
	CHECK_EQ(srv_timeout(f->srv, t + SERVWAIT - 1), 0);
	f->now = t + SERVWAIT;
	CHECK_EQ(srv_timeout(f->srv, f->now), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_TIMEOUT);
	CHECK(srv_deadline_ns(f->srv) == UINT64_MAX);
	pump(f, 4096);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_PEER);
	fx_free(f);
	free(f);
}

/*
 * An accepted session that is never started is ended by the caller's start
 * timeout (its reflector port freed); the others start as usual, and a
 * started session is not "unstarted".
 */
TEST(unstarted_session_expires)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_OPEN, NULL, NULL);
	CHECK_EQ(setup(f, 4096), 0);
	params(&p, 3000);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	params(&p, 3002);
	CHECK_EQ(cli_request(f->cli, &p), 1);
	pump(f, 4096);
	CHECK_EQ(srv_nsessions(f->srv), 2);
	t_log_capture();
	CHECK_EQ(srv_sess_unstarted_expired(f->srv, f->rec[0].sid, f->now), 0);
	CHECK_EQ(f->rec[0].ended, 1);
	CHECK_EQ(f->rec[0].why, SRV_END_UNSTARTED);
	CHECK(t_logged("not started in time"));
	CHECK_EQ(srv_nsessions(f->srv), 1);
	CHECK_EQ(srv_sess_unstarted_expired(f->srv, f->rec[0].sid, f->now), -ENOENT);
	/* SERVWAIT still runs (nothing started) and the connection goes on */
	CHECK(srv_deadline_ns(f->srv) != UINT64_MAX);
	CHECK_EQ(srv_state(f->srv), SRV_READY);
	CHECK_EQ(cli_start(f->cli), 0);
	pump(f, 4096);
	CHECK_EQ(srv_state(f->srv), SRV_TESTING);
	CHECK_EQ(f->rec[1].started, 1);
	CHECK_EQ(srv_sess_unstarted_expired(f->srv, f->rec[1].sid, f->now), -EBUSY);
	CHECK_EQ(f->rec[1].ended, 0);
	fx_free(f);
	free(f);
}

/* Commands queued before the greeting go out in order once the connection is up. */
TEST(commands_queued_early)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct twsess_params p;
	int e;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_ENCRYPTED, "alice", PASS);
	CHECK_EQ(fx_start(f), 0);
	params(&p, 3000);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	CHECK_EQ(cli_request(f->cli, &p), 1);
	CHECK_EQ(cli_start(f->cli), 0);
	CHECK_EQ(cli_stop(f->cli, XW_ACCEPT_OK), 0);
	CHECK_EQ(cli_busy(f->cli), 4);
	CHECK_EQ(cli_out_pending(f->cli), 0);
	pump(f, 1);
	CHECK_EQ(cli_busy(f->cli), 0);
	CHECK_EQ(count_ev(f, CLI_EV_ACCEPT), 2);
	e = find_ev(f, CLI_EV_STOPPED, 0);
	CHECK(e > find_ev(f, CLI_EV_STARTED, 0));
	CHECK_EQ(f->ev[e].count, 2);
	CHECK_EQ(f->rec[1].ended, 1);
	fx_free(f);
	free(f);
}

/* ---- interop: perfsonar-twamp-open.pcap, both roles -------------------------- */

static void cap_params(struct twsess_params *p)
{
	memset(p, 0, sizeof(*p));
	p->ipvn = 4;
	p->sender_port = 9527;
	p->receiver_port = 9527;
	p->sender_addr[0] = p->receiver_addr[0] = 127;
	p->sender_addr[3] = p->receiver_addr[3] = 1;
	p->padding_len = 27;
	p->start_time = 0xeeaf0326e91d8a55ULL;
	p->timeout = 0x00000002000895d1ULL;
}

/* Our client produces twping's bytes and understands twampd's. */
TEST(perfsonar_open_client)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t in[128], want[128], zero[XW_SETUP_RESPONSE_LEN] = {0};
	struct twsess_params p;
	const struct cli_sess *cs;
	const uint8_t *o;
	size_t n, k;
	int e;

	CHECK(f);
	fx_cfg(f, 0, XW_MODE_OPEN, NULL, NULL);
	f->cli = cli_new(&f->ccfg);
	CHECK(f->cli);
	k = t_unhex(CAP_GREETING, in, sizeof(in));
	CHECK_EQ(cli_feed(f->cli, in, k), 0);
	o = cli_out_peek(f->cli, &n);
	CHECK_EQ(n, XW_SETUP_RESPONSE_LEN);
	put_be32(zero, XW_MODE_OPEN);
	CHECK_MEM(o, zero, XW_SETUP_RESPONSE_LEN);
	cli_out_consume(f->cli, n);
	k = t_unhex(CAP_SERVER_START, in, sizeof(in));
	CHECK_EQ(cli_feed(f->cli, in, k), 0);
	drain_events(f);
	e = find_ev(f, CLI_EV_SERVER_START, 0);
	CHECK(e >= 0);
	CHECK(f->ev[e].start_time == 0xeeaf032578eb13dfULL);

	cap_params(&p);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	o = cli_out_peek(f->cli, &n);
	CHECK_EQ(t_unhex(CAP_REQUEST, want, sizeof(want)), n);
	CHECK_MEM(o, want, n);
	cli_out_consume(f->cli, n);
	k = t_unhex(CAP_ACCEPT, in, sizeof(in));
	CHECK_EQ(cli_feed(f->cli, in, k), 0);
	cs = cli_sess(f->cli, 0);
	CHECK_EQ(cs->accept, XW_ACCEPT_OK);
	CHECK_EQ(cs->port, 9528);
	CHECK_MEM(cs->sid, in + 4, XW_SID_LEN);

	CHECK_EQ(cli_start(f->cli), 0);
	o = cli_out_peek(f->cli, &n);
	CHECK_EQ(t_unhex(CAP_START, want, sizeof(want)), n);
	CHECK_MEM(o, want, n);
	cli_out_consume(f->cli, n);
	k = t_unhex(CAP_START_ACK, in, sizeof(in));
	CHECK_EQ(cli_feed(f->cli, in, k), 0);
	CHECK(cli_sess(f->cli, 0)->started);

	CHECK_EQ(cli_stop(f->cli, XW_ACCEPT_OK), 0);
	o = cli_out_peek(f->cli, &n);
	CHECK_EQ(t_unhex(CAP_STOP, want, sizeof(want)), n);
	CHECK_MEM(o, want, n);
	fx_free(f);
	free(f);
}

/* Our server understands twping's bytes and answers as twampd did (but its own SID). */
TEST(perfsonar_open_server)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t in[XW_SETUP_RESPONSE_LEN] = {0}, out[128], want[128];
	size_t k;

	CHECK(f);
	fx_cfg(f, 0x0f, 0, NULL, NULL);
	f->scfg.start_time = 0xeeaf032578eb13dfULL;
	f->scfg.sid_addr[0] = 127;
	f->scfg.sid_addr[1] = 0;
	f->scfg.sid_addr[2] = 0;
	f->scfg.sid_addr[3] = 1;
	f->srv = srv_new(&f->scfg, &OPS, f, f->now);
	CHECK(f->srv);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_GREETING_LEN);
	CHECK_EQ(get_be32(out + 12), 0x0f);
	CHECK_EQ(get_be32(out + 48), 1024);
	put_be32(in, XW_MODE_OPEN); /* frame 6 */
	CHECK_EQ(srv_feed(f->srv, in, sizeof(in), f->now), 0);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_SERVER_START_LEN);
	CHECK_EQ(t_unhex(CAP_SERVER_START, want, sizeof(want)), XW_SERVER_START_LEN);
	CHECK_MEM(out, want, XW_SERVER_START_LEN);

	k = t_unhex(CAP_REQUEST, in, sizeof(in));
	CHECK_EQ(srv_feed(f->srv, in, k, f->now), 0);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_ACCEPT_SESSION_LEN);
	CHECK_EQ(t_unhex(CAP_ACCEPT, want, sizeof(want)), XW_ACCEPT_SESSION_LEN);
	CHECK_MEM(out, want, 8); /* Accept 0, Port 9528, SID address 127.0.0.1 */
	CHECK_MEM(out + 20, want + 20, XW_ACCEPT_SESSION_LEN - 20);
	CHECK_MEM(out + 4, f->rec[0].sid, XW_SID_LEN);
	CHECK_EQ(f->rec[0].p.sender_port, 9527);
	CHECK(f->rec[0].p.timeout == 0x00000002000895d1ULL);

	k = t_unhex(CAP_START, in, sizeof(in));
	CHECK_EQ(srv_feed(f->srv, in, k, f->now), 0);
	CHECK_EQ(srv_take(f, out, sizeof(out)), XW_START_ACK_LEN);
	CHECK_EQ(t_unhex(CAP_START_ACK, want, sizeof(want)), XW_START_ACK_LEN);
	CHECK_MEM(out, want, XW_START_ACK_LEN);
	CHECK_EQ(f->rec[0].started, 1);

	k = t_unhex(CAP_STOP, in, sizeof(in));
	CHECK_EQ(srv_feed(f->srv, in, k, f->now), 0);
	CHECK_EQ(srv_out_pending(f->srv), 0);
	CHECK_EQ(f->rec[0].why, SRV_END_STOP);
	CHECK_EQ(srv_state(f->srv), SRV_READY);
	fx_free(f);
	free(f);
}

/* Configurations the RFC forbids are refused at creation. */
TEST(bad_config)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct srv_ops no_key = OPS;

	CHECK(f);
	fx_cfg(f, 0x0f, XW_MODE_OPEN, NULL, NULL);
	f->scfg.count = 1536; /* not a power of 2 (RFC 4656 3.1) */
	CHECK(!srv_new(&f->scfg, &OPS, f, f->now));
	f->scfg.count = 512; /* below 1024 */
	CHECK(!srv_new(&f->scfg, &OPS, f, f->now));
	f->scfg.count = 1024;
	f->scfg.modes = XW_MODE_INDIV_SESS; /* no security mode */
	CHECK(!srv_new(&f->scfg, &OPS, f, f->now));
	f->scfg.modes = XW_MODE_AUTH; /* secure modes need a key lookup */
	no_key.key_lookup = NULL;
	CHECK(!srv_new(&f->scfg, &no_key, f, f->now));
	f->ccfg.modes = 0;
	CHECK(!cli_new(&f->ccfg));
	free(f);
}

/* ---- RFC 7717: IKEv2-derived keys (the rfc7717 engineer's cases) ----------------- */

/* SPIi || SPIr as the KeyID carries them, and the key prf(SK_d, "IPPM") of that SA. */
static const uint8_t IKE_SPIS[16] = {0xe3, 0x3d, 0x65, 0xfa, 0xb7, 0x81, 0x8a, 0xd9,
				     0xe5, 0x8d, 0x53, 0x9a, 0x5b, 0x54, 0x2c, 0x26};
static const uint8_t IKE_KEY[32] = {0x24, 0xb0, 0x58, 0xb7, 0x0f, 0x70, 0x7f, 0x6d,
				    0xb7, 0xaa, 0x20, 0x15, 0x2e, 0x22, 0x6f, 0x21,
				    0xde, 0x6f, 0xcc, 0xe7, 0x0a, 0xc1, 0xe2, 0x6d,
				    0x5b, 0x06, 0x9d, 0x6d, 0xf8, 0x13, 0x3e, 0xab};

/* key_lookup of a server with one IKE SA: SPIs in the first 16 octets (RFC 7717 5.3). */
static int cb_key_ike(void *arg, const struct srv_key_req *req, uint8_t *secret, size_t *len)
{
	const uint32_t mode = req->mode;
	const uint8_t *keyid = req->keyid;
	struct fx *f = arg;

	if (!(mode & XW_MODE_IKEV2_DERIV))
		return cb_key(arg, req, secret, len);
	f->key_calls++;
	f->key_mode = mode;
	if (memcmp(keyid, IKE_SPIS, 16))
		return XW_ACCEPT_NO_IKE_SA;
	memcpy(secret, IKE_KEY, sizeof(IKE_KEY));
	*len = sizeof(IKE_KEY);
	return 0;
}

static void ike_conv(uint32_t mode, int nsess, size_t chunk)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct srv_ops ops = OPS;
	uint8_t want_keyid[XW_KEYID_LEN] = {0};
	int i, e;

	CHECK(f);
	ops.key_lookup = cb_key_ike;
	/* the client has no passphrase, only the IKE SA's key */
	fx_cfg(f, 0xff, XW_MODE_OPEN, NULL, NULL);
	f->ccfg.ike_modes = mode;
	memcpy(f->ccfg.ike_keyid, IKE_SPIS, 16);
	f->ccfg.ike_secret = IKE_KEY;
	f->ccfg.ike_secret_len = sizeof(IKE_KEY);
	f->srv = srv_new(&f->scfg, &ops, f, f->now);
	f->cli = cli_new(&f->ccfg);
	CHECK(f->srv && f->cli);
	pump(f, chunk);
	e = find_ev(f, CLI_EV_GREETING, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].modes, 0xff);
	e = find_ev(f, CLI_EV_SERVER_START, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].accept, XW_ACCEPT_OK);
	CHECK(f->ev[e].start_time == START_TIME);
	/* RFC 7717 7: 130 / 132 on the wire, SPIi || SPIr || zeros as KeyID */
	CHECK_EQ(get_be32(f->c2s), mode | XW_MODE_IKEV2_DERIV);
	memcpy(want_keyid, IKE_SPIS, 16);
	CHECK_MEM(f->c2s + 4, want_keyid, XW_KEYID_LEN);
	CHECK_EQ(f->key_calls, 1);
	CHECK_EQ(f->key_mode, mode | XW_MODE_IKEV2_DERIV);
	CHECK_EQ(srv_mode(f->srv), mode | XW_MODE_IKEV2_DERIV);
	CHECK_EQ(cli_mode(f->cli), mode | XW_MODE_IKEV2_DERIV);

	for (i = 0; i < nsess; i++) {
		struct twsess_params p;

		params(&p, (uint16_t)(9400 + 2 * i));
		p.padding_len = 64;
		CHECK_EQ(cli_request(f->cli, &p), i);
	}
	CHECK_EQ(cli_start(f->cli), 0);
	pump(f, chunk);
	CHECK_EQ(f->nrec, nsess);
	CHECK_EQ(srv_nactive(f->srv), nsess);
	for (i = 0; i < nsess; i++) {
		const struct cli_sess *cs = cli_sess(f->cli, i);

		CHECK(cs && cs->started);
		CHECK_MEM(cs->sid, f->rec[i].sid, XW_SID_LEN);
		/* downstream of the key nothing changes: per-session test keys as usual */
		CHECK(cs->has_keys && f->rec[i].has_keys);
		CHECK_MEM(&cs->keys, &f->rec[i].keys, sizeof(cs->keys));
	}
	CHECK_EQ(cli_stop(f->cli, XW_ACCEPT_OK), 0);
	pump(f, chunk);
	CHECK_EQ(srv_nactive(f->srv), 0);
	CHECK_EQ(srv_state(f->srv), SRV_READY);
	CHECK(!cli_closed(f->cli));
	CHECK_EQ(f->nc2s, XW_SETUP_RESPONSE_LEN + nsess * XW_REQUEST_TW_SESSION_LEN +
				  XW_START_SESSIONS_LEN + XW_STOP_SESSIONS_LEN);
	fx_free(f);

	/* the same client, the server's SA gone (other SPIs): Accept 6, closed */
	fx_cfg(f, 0xff, XW_MODE_OPEN, NULL, NULL);
	f->ccfg.ike_modes = mode;
	memcpy(f->ccfg.ike_keyid, IKE_SPIS, 16);
	f->ccfg.ike_keyid[0] ^= 1;
	f->ccfg.ike_secret = IKE_KEY;
	f->ccfg.ike_secret_len = sizeof(IKE_KEY);
	f->srv = srv_new(&f->scfg, &ops, f, f->now);
	f->cli = cli_new(&f->ccfg);
	CHECK(f->srv && f->cli);
	pump(f, chunk);
	e = find_ev(f, CLI_EV_SERVER_START, 0);
	CHECK(e >= 0);
	CHECK_EQ(f->ev[e].accept, XW_ACCEPT_NO_IKE_SA);
	CHECK_EQ(cli_close_reason(f->cli), CLI_CLOSE_REFUSED);
	CHECK(t_logged("RFC 7717"));
	fx_free(f);
	free(f);
}

TEST(ike_auth_2)
{
	ike_conv(XW_MODE_AUTH, 2, 4096);
}

TEST(ike_enc_2_bytewise)
{
	ike_conv(XW_MODE_ENCRYPTED, 2, 1);
}

TEST(ike_mixed_1)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct srv_ops ops = OPS;
	const struct cli_sess *cs;
	struct twsess_params p;

	CHECK(f);
	ops.key_lookup = cb_key_ike;
	fx_cfg(f, 0xff, XW_MODE_OPEN, NULL, NULL);
	f->ccfg.ike_modes = XW_MODE_MIXED;
	memcpy(f->ccfg.ike_keyid, IKE_SPIS, 16);
	f->ccfg.ike_secret = IKE_KEY;
	f->ccfg.ike_secret_len = sizeof(IKE_KEY);
	f->srv = srv_new(&f->scfg, &ops, f, f->now);
	f->cli = cli_new(&f->ccfg);
	CHECK(f->srv && f->cli);
	pump(f, 7);
	CHECK_EQ(get_be32(f->c2s), 136);
	params(&p, 9500);
	CHECK_EQ(cli_request(f->cli, &p), 0);
	pump(f, 7);
	cs = cli_sess(f->cli, 0);
	CHECK(cs && cs->accept == XW_ACCEPT_OK);
	/* RFC 5618: mixed-mode test packets carry no keys */
	CHECK(!cs->has_keys && !f->rec[0].has_keys);
	fx_free(f);
	free(f);
}

/* ---- the key step run elsewhere (ops->key_start, srv_key_done) --------------- */

static int cb_key_start(void *arg, const struct srv_key_req *req)
{
	struct fx *f = arg;

	f->key_starts++;
	f->kreq = *req;
	return f->key_start_rc;
}

/* What xwampd's key worker does with the request: look-up, then srv_key_derive(). */
static int key_finish(struct fx *f)
{
	uint8_t secret[SRV_SECRET_MAX];
	struct srv_key_res res;
	size_t len = 0;
	int rc;

	rc = cb_key(f, &f->kreq, secret, &len);
	srv_key_derive(&f->kreq, rc, secret, len, &res);
	xw_wipe(secret, sizeof(secret));
	return srv_key_done(f->srv, &res, f->now);
}

static int async_start(struct fx *f, uint32_t mode, const char *keyid)
{
	struct srv_ops ops = OPS;

	ops.key_lookup = NULL; /* never called when key_start is there */
	ops.key_start = cb_key_start;
	fx_cfg(f, 0x7f, mode, keyid, PASS);
	f->srv = srv_new(&f->scfg, &ops, f, f->now);
	f->cli = cli_new(&f->ccfg);
	return f->srv && f->cli ? 0 : -1;
}

TEST(async_key_auth_enc)
{
	uint32_t modes[] = {XW_MODE_AUTH, XW_MODE_ENCRYPTED};
	struct fx *f = calloc(1, sizeof(*f));
	const struct cli_sess *cs;
	struct twsess_params p;
	unsigned int m;
	int e;

	CHECK(f);
	for (m = 0; m < 2; m++) {
		CHECK_EQ(async_start(f, modes[m], "alice"), 0);
		pump(f, 4096);
		/* the machine waits for the key: no Server-Start yet, input held */
		CHECK_EQ(srv_state(f->srv), SRV_WAIT_KEY);
		CHECK_EQ(f->key_starts, 1);
		CHECK_EQ(f->key_calls, 0);
		CHECK_EQ(f->ns2c, XW_GREETING_LEN);
		CHECK_EQ(find_ev(f, CLI_EV_SERVER_START, 0), -1);
		CHECK_MEM(f->kreq.keyid, "alice", 6);
		CHECK_EQ(f->kreq.count, 1024);
		CHECK_EQ(f->kreq.mode, modes[m]);
		/* the worker's result: Server-Start Accept 0, then a session as usual */
		CHECK_EQ(key_finish(f), 0);
		pump(f, 4096);
		e = find_ev(f, CLI_EV_SERVER_START, 0);
		CHECK(e >= 0 && f->ev[e].accept == XW_ACCEPT_OK);
		CHECK_EQ(srv_state(f->srv), SRV_READY);
		params(&p, 9000);
		CHECK_EQ(cli_request(f->cli, &p), 0);
		pump(f, 4096);
		cs = cli_sess(f->cli, 0);
		CHECK(cs && cs->accept == XW_ACCEPT_OK && cs->has_keys);
		CHECK_MEM(&cs->keys, &f->rec[0].keys, sizeof(cs->keys));
		/* a second result is not taken */
		{
			struct srv_key_res late = {.accept = XW_ACCEPT_OK};

			CHECK_EQ(srv_key_done(f->srv, &late, f->now), -EINVAL);
		}
		fx_free(f);
	}
	free(f);
}

TEST(async_key_unknown_keyid_costs_a_derivation)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct srv_key_res res;
	static const uint8_t zero[XW_AES_KEY_LEN];
	int e;

	CHECK(f);
	CHECK_EQ(async_start(f, XW_MODE_AUTH, "mallory"), 0);
	pump(f, 4096);
	CHECK_EQ(srv_state(f->srv), SRV_WAIT_KEY);
	/* PBKDF2 runs on a dummy secret: a kek comes back with Accept 1 */
	CHECK_EQ(srv_key_derive(&f->kreq, XW_ACCEPT_FAILURE, NULL, 0, &res), XW_ACCEPT_FAILURE);
	CHECK(memcmp(res.kek, zero, sizeof(zero)) != 0);
	xw_wipe(&res, sizeof(res));
	CHECK_EQ(key_finish(f), -EPIPE);
	pump(f, 4096);
	e = find_ev(f, CLI_EV_SERVER_START, 0);
	CHECK(e >= 0 && f->ev[e].accept == XW_ACCEPT_FAILURE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_AUTH);
	CHECK(t_logged("mallory"));
	fx_free(f);
	free(f);
}

TEST(async_key_wrong_secret_and_refusal)
{
	struct fx *f = calloc(1, sizeof(*f));
	int e;

	CHECK(f);
	/* a known KeyID with the wrong passphrase: Accept 1, as an unknown one */
	CHECK_EQ(async_start(f, XW_MODE_AUTH, "alice"), 0);
	f->ccfg.secret = (const uint8_t *)"wrong";
	cli_free(f->cli);
	f->ccfg.secret_len = 5;
	f->cli = cli_new(&f->ccfg);
	pump(f, 4096);
	CHECK_EQ(key_finish(f), -EPIPE);
	pump(f, 4096);
	e = find_ev(f, CLI_EV_SERVER_START, 0);
	CHECK(e >= 0 && f->ev[e].accept == XW_ACCEPT_FAILURE);
	fx_free(f);

	/* key_start refuses at once (queue full): Server-Start Accept 5 */
	CHECK_EQ(async_start(f, XW_MODE_ENCRYPTED, "alice"), 0);
	f->key_start_rc = XW_ACCEPT_TEMP_LIMIT;
	pump(f, 4096);
	e = find_ev(f, CLI_EV_SERVER_START, 0);
	CHECK(e >= 0 && f->ev[e].accept == XW_ACCEPT_TEMP_LIMIT);
	CHECK(srv_closed(f->srv));
	fx_free(f);
	free(f);
}

TEST(async_key_closed_meanwhile_and_held_input)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t junk[1500];

	CHECK(f);
	/* the client goes away while the key step runs: the late result is ignored */
	CHECK_EQ(async_start(f, XW_MODE_AUTH, "alice"), 0);
	pump(f, 4096);
	CHECK_EQ(srv_state(f->srv), SRV_WAIT_KEY);
	CHECK_EQ(srv_eof(f->srv, f->now), -EPIPE);
	CHECK_EQ(key_finish(f), -EPIPE);
	CHECK_EQ(srv_out_pending(f->srv), 0);
	fx_free(f);

	/* input held while waiting is bounded: beyond it the connection closes */
	CHECK_EQ(async_start(f, XW_MODE_AUTH, "alice"), 0);
	pump(f, 4096);
	memset(junk, 0x5a, sizeof(junk));
	CHECK_EQ(srv_feed(f->srv, junk, sizeof(junk), f->now), 0);
	CHECK_EQ(srv_feed(f->srv, junk, sizeof(junk), f->now), 0);
	CHECK_EQ(srv_state(f->srv), SRV_WAIT_KEY);
	CHECK_EQ(srv_feed(f->srv, junk, sizeof(junk), f->now), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
	CHECK(t_logged("before Server-Start"));
	fx_free(f);

	/*
	 * held input is processed after Server-Start: garbage here, which
	 * cannot be framed: Server-Start Accept 0, then Accept-Session 3 (RFC
	 * 5357 3.5), then the close
	 */
	CHECK_EQ(async_start(f, XW_MODE_AUTH, "alice"), 0);
	pump(f, 4096);
	CHECK_EQ(srv_feed(f->srv, junk, 64, f->now), 0);
	CHECK_EQ(srv_out_pending(f->srv), 0);
	CHECK_EQ(key_finish(f), -EPIPE);
	CHECK_EQ(srv_close_reason(f->srv), SRV_CLOSE_PROTO);
	CHECK_EQ(srv_out_pending(f->srv), XW_SERVER_START_LEN + XW_ACCEPT_SESSION_LEN);
	fx_free(f);
	free(f);
}

/* ---- warnings a client can repeat: rate-limited per client (log.h) ------------ */

TEST(refused_requests_rate_limited_per_client)
{
	struct fx *f = calloc(1, sizeof(*f)), *g = calloc(1, sizeof(*g));
	struct xw_ratelimit rl = {0};
	uint8_t bad[XW_REQUEST_TW_SESSION_LEN] = {XW_CMD_REQUEST_TW_SESSION, 4, 1}, acc = 0xff;
	char want[64];
	int i;

	CHECK(f && g);
	/* two connections of one client share its limiter (srv_cfg.log_rl) */
	fx_cfg(f, 0x7f, XW_MODE_OPEN, NULL, NULL);
	fx_cfg(g, 0x7f, XW_MODE_OPEN, NULL, NULL);
	f->scfg.log_rl = &rl;
	g->scfg.log_rl = &rl;
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN, NULL, &acc), 0);
	CHECK_EQ(acc, XW_ACCEPT_OK);
	CHECK_EQ(raw_setup(g, XW_MODE_OPEN, NULL, &acc), 0);
	CHECK_EQ(acc, XW_ACCEPT_OK);
	t_log_reset();
	/* Conf-Sender 1: Accept 3 each time, the connection goes on (RFC 5357 3.5) */
	for (i = 0; i < 30; i++) {
		CHECK_EQ(srv_feed(f->srv, bad, sizeof(bad), f->now), 0);
		CHECK_EQ(srv_feed(g->srv, bad, sizeof(bad), f->now), 0);
	}
	CHECK_EQ(srv_out_pending(f->srv), 30 * XW_ACCEPT_SESSION_LEN);
	CHECK_EQ(srv_out_pending(g->srv), 30 * XW_ACCEPT_SESSION_LEN);
	/* 60 refusals in one second: XW_RATELIMIT_BURST lines for both connections */
	CHECK_EQ(t_log_count(XW_LOG_WARN), XW_RATELIMIT_BURST);
	/* a second later: the count of what was left out, then the line */
	CHECK_EQ(srv_feed(g->srv, bad, sizeof(bad), f->now + 1000000000ULL), 0);
	snprintf(want, sizeof(want), "%d similar messages suppressed", 60 - XW_RATELIMIT_BURST);
	CHECK(t_logged(want));
	CHECK_EQ(t_log_count(XW_LOG_WARN), XW_RATELIMIT_BURST + 2);
	srv_free(f->srv);
	srv_free(g->srv);

	/* without a shared limiter, each connection has its own */
	fx_cfg(f, 0x7f, XW_MODE_OPEN, NULL, NULL);
	CHECK_EQ(raw_setup(f, XW_MODE_OPEN, NULL, &acc), 0);
	t_log_reset();
	for (i = 0; i < 30; i++)
		CHECK_EQ(srv_feed(f->srv, bad, sizeof(bad), f->now), 0);
	CHECK_EQ(t_log_count(XW_LOG_WARN), XW_RATELIMIT_BURST);
	srv_free(f->srv);
	free(f);
	free(g);
}
