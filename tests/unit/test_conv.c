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
	int refuse;	  /* sess_request answers this Accept when non-zero */
	int refuse_start; /* sess_start answers this Accept when non-zero */
	int requests;	  /* sess_request calls */
	int closed_calls;
	enum srv_close closed_why;

	/* client events */
	struct cli_event ev[64];
	int nev;

	/* everything that went over the wire */
	uint8_t c2s[WIRE_MAX], s2c[WIRE_MAX];
	size_t nc2s, ns2c;
};

/* ---- server callbacks ------------------------------------------------------- */

static int cb_key(void *arg, uint32_t mode, const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret,
		  size_t *len)
{
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
	s->port = (uint16_t)(s->params.receiver_port + 1);
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
		strncpy((char *)f->ccfg.keyid, keyid, XW_KEYID_LEN);
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
