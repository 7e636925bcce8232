// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPsec SA profile in whole conversations (control/srv.c, control/cli.c,
 * keys through a control/keysrc.h source of class XW_KEYCLASS_SA, as xwampd
 * asks it): every variant (KEYMAT, Alternative 1, Alternative 2) in every
 * mode, the greeting's length and SA fields on the wire, the client closing
 * on a wrong SPI or protocol before sending anything (draft 4.1), keys that
 * differ, an SA gone at the server, encryption-only and AEAD SAs, and an SA
 * replaced (rekey) under a running connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "convpump.h"
#include "cli.h"
#include "crypto.h"
#include "keysrc.h"
#include "log.h"
#include "saprof.h"
#include "srv.h"

#define T0 1795000000000000000ULL

__attribute__((constructor)) static void log_setup(void)
{
	t_log_capture();
}

/* ---- a key source of class SA: the server's view of its SAD ------------------ */

struct sad {
	struct xw_sa_pair pair; /* the server's pair with the client */
	int present;
	int calls;
};

static int sad_server(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct sad *d = ctx;
	uint32_t proto, spi_i, spi_r;

	d->calls++;
	xw_sa_keyid_get(req->keyid, &proto, &spi_i, &spi_r);
	if (!d->present || proto != d->pair.c2s.proto || spi_i != d->pair.c2s.spi ||
	    spi_r != d->pair.s2c.spi)
		return -ENOENT;
	memcpy(out->keyid, req->keyid, XW_KEYID_LEN);
	return xw_sa_pair_to_secret(&d->pair, out->secret, sizeof(out->secret), &out->len);
}

static void sad_free(void *ctx)
{
}

static const struct xw_keysrc_ops SAD_OPS = {
	.kind = "test-sad",
	.classes = XW_KEYCLASS_BIT(XW_KEYCLASS_SA),
	.server = sad_server,
	.free = sad_free,
};

/* ---- the conversation ----------------------------------------------------------- */

struct conv {
	struct srv *srv;
	struct cli *cli;
	struct xw_keysrcs keys;
	struct sad sad;
	uint8_t c2s[4096], s2c[4096];
	size_t nc2s, ns2c;
	struct cli_event ev[32];
	int nev;
	struct xw_session_keys test_keys; /* the server's, of the last session */
	uint32_t key_mode;
	enum xw_keyclass key_cls; /* of the last key request */
};

/* srv_ops.key_lookup as xwampd's keys.c does it */
static int cb_key(void *arg, const struct srv_key_req *req, uint8_t *secret, size_t *len)
{
	const uint32_t mode = req->mode;
	const uint8_t *keyid = req->keyid;
	struct conv *c = arg;
	struct xw_key k;
	int rc;

	c->key_mode = mode;
	c->key_cls = req->cls;
	rc = xw_keysrcs_server(&c->keys, "test-client", req->cls, keyid, &k);
	if (rc == XW_ACCEPT_OK) {
		memcpy(secret, k.secret, k.len);
		*len = k.len;
	}
	xw_key_wipe(&k);
	return rc;
}

static int cb_request(void *arg, struct srv_sess *s, uint64_t now)
{
	struct conv *c = arg;

	s->port = s->params.receiver_port;
	if (s->has_keys)
		c->test_keys = s->keys;
	return XW_ACCEPT_OK;
}

static void cb_end(void *arg, struct srv_sess *s, enum srv_end why, uint64_t now)
{
}

/* OWAMP's Fetch-Session: nothing stored here */
static int cb_fetch(void *arg, const struct codec_fetch_session *f, struct ow_fetch *out,
		    uint64_t now)
{
	return XW_ACCEPT_FAILURE;
}

static const struct srv_ops OPS = {
	.key_lookup = cb_key,
	.sess_request = cb_request,
	.sess_end = cb_end,
	.ow_fetch = cb_fetch,
};

static void pump(struct conv *c)
{
	convpump_run(c->srv, c->cli, &CONVPUMP_OF(c), T0);
}

static int server_start_accept(const struct conv *c)
{
	return convpump_server_start(c->ev, c->nev);
}

static void fill(uint8_t *p, size_t n, uint8_t from)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(from + i);
}

/* ESP AES-CBC-128 + HMAC-SHA2-256 both ways; tag varies the keys */
static void pair_of(struct xw_sa_pair *p, uint32_t spi_i, uint32_t spi_r, uint8_t tag)
{
	memset(p, 0, sizeof(*p));
	p->c2s.proto = p->s2c.proto = IPPROTO_ESP;
	p->c2s.spi = spi_i;
	p->s2c.spi = spi_r;
	fill(p->c2s.enc, 16, tag);
	p->c2s.enc_len = 16;
	fill(p->c2s.integ, 32, tag + 0x40);
	p->c2s.integ_len = 32;
	fill(p->s2c.enc, 16, tag + 0x80);
	p->s2c.enc_len = 16;
	fill(p->s2c.integ, 32, tag + 0xc0);
	p->s2c.integ_len = 32;
}

static int vanish; /* the next conv_open's SA is gone before the key step */
/* the roots each end is told (--sa-root), for the next conv_open */
static enum xw_sa_root srv_root, cli_root;
/* OWAMP instead of TWAMP for the next conv_open */
static int conv_owamp;

/* Server with its SAD pair srv_pair (naming it in the greeting), client with cli_pair. */
static int conv_open(struct conv *c, enum xw_sa_variant v, const struct xw_sa_pair *srv_pair,
		     const struct xw_sa_pair *cli_pair, uint32_t cli_modes)
{
	struct srv_cfg sc = {
		.modes = XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED,
		.count = 1024,
		.peer = "test-client",
		.sa_variant = v,
		.sa_proto = srv_pair->c2s.proto,
		.sa_spi_i = srv_pair->c2s.spi,
		.sa_spi_r = srv_pair->s2c.spi,
		.sa_root = srv_root,
		.proto = conv_owamp ? SRV_PROTO_OWAMP : SRV_PROTO_TWAMP,
	};
	struct cli_cfg cc = {
		.modes = cli_modes, .peer = "test-server", .sa_variant = v, .sa_root = cli_root};
	struct xw_keysrc src = {&SAD_OPS, NULL, "sad"};

	memset(c, 0, sizeof(*c));
	c->sad.pair = *srv_pair;
	c->sad.present = !vanish;
	vanish = 0;
	src.ctx = &c->sad;
	if (xw_keysrcs_add(&c->keys, &src))
		return -1;
	cc.sa = *cli_pair;
	cc.proto = conv_owamp ? CLI_PROTO_OWAMP : CLI_PROTO_TWAMP;
	conv_owamp = 0;
	c->srv = srv_new(&sc, &OPS, c, T0);
	c->cli = cli_new(&cc);
	xw_wipe(&cc, sizeof(cc));
	if (!c->srv || !c->cli)
		return -1;
	pump(c);
	return 0;
}

static void conv_free(struct conv *c)
{
	srv_free(c->srv);
	cli_free(c->cli);
	xw_keysrcs_free(&c->keys);
	c->srv = NULL;
	c->cli = NULL;
}

/* Request, start, stop one session; 0 when both sides agree on the test keys. */
static int conv_session(struct conv *c, uint16_t port)
{
	const struct cli_sess *cs;
	int idx = -1, rc;

	for (int i = 0; (cs = cli_sess(c->cli, i)); i++)
		idx = i;
	rc = convpump_session(c->srv, c->cli, &CONVPUMP_OF(c), T0, port, c->test_keys.aes);
	/* the HMAC keys too */
	cs = cli_sess(c->cli, idx + 1);
	if (!rc && cs && cs->has_keys && memcmp(cs->keys.hmac, c->test_keys.hmac, XW_HMAC_KEY_LEN))
		rc = -3;
	return rc;
}

static const size_t GREETING_LEN[] = {[XW_SA_KEYMAT] = 64, [XW_SA_ALT1] = 44, [XW_SA_ALT2] = 28};
static const size_t SETUP_LEN[] = {[XW_SA_KEYMAT] = 164, [XW_SA_ALT1] = 36, [XW_SA_ALT2] = 20};

TEST(every_variant_every_mode)
{
	static const uint32_t modes[] = {XW_MODE_OPEN, XW_MODE_AUTH, XW_MODE_ENCRYPTED,
					 XW_MODE_MIXED};
	static const uint8_t sa_ids[] = {0x00, 0x00, 0x00, 0x32, 0xc0, 0x00,
					 0x01, 0x01, 0xc0, 0x00, 0x02, 0x02};
	struct xw_sa_pair p;
	struct xw_session_keys want;
	struct conv c;

	pair_of(&p, 0xc0000101, 0xc0000202, 0x10);
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		for (unsigned int m = 0; m < 4; m++) {
			char what[64];

			snprintf(what, sizeof(what), "%s mode %u", xw_sa_variant_name(v), modes[m]);
			CHECK_EQ(conv_open(&c, v, &p, &p, modes[m]), 0);
			/* the greeting: the variant's length, Protocol 50 and the SPIs first */
			CHECK(c.ns2c >= GREETING_LEN[v] + XW_SERVER_START_LEN);
			CHECK_MEM(c.s2c, sa_ids, sizeof(sa_ids));
			CHECK_EQ(c.nc2s, SETUP_LEN[v]);
			if (server_start_accept(&c) != XW_ACCEPT_OK)
				t_fail(__FILE__, __LINE__, "%s: Accept %d", what,
				       server_start_accept(&c));
			CHECK_EQ(server_start_accept(&c), XW_ACCEPT_OK);
			CHECK_EQ(cli_mode(c.cli) & XW_MODE_SECURITY_MASK, modes[m]);
			/* a keyed mode went to the SA source, open mode did not */
			CHECK_EQ(c.sad.calls, modes[m] != XW_MODE_OPEN);
			if (c.sad.calls)
				/* the class is the request's field; the client's Mode is as sent */
				CHECK(c.key_cls == XW_KEYCLASS_SA &&
				      c.key_mode == (cli_mode(c.cli) & 0xff));
			memset(&c.test_keys, 0, sizeof(c.test_keys));
			CHECK_EQ(conv_session(&c, 5000), 0);
			if (modes[m] & (XW_MODE_AUTH | XW_MODE_ENCRYPTED)) {
				uint8_t km[XW_SA_KEYMAT_MAX];
				size_t n;

				/* Alternatives 1, 2: the test keys are the SA-derived ones */
				if (v == XW_SA_ALT1) {
					CHECK_EQ(xw_sa_keymat(&p, km, &n), 0);
					CHECK_EQ(xw_sa_alt1_keys(km, n, &want), 0);
					CHECK_MEM(&c.test_keys, &want, sizeof(want));
				} else if (v == XW_SA_ALT2) {
					CHECK_EQ(xw_sa_alt2_keys(&p, &want), 0);
					CHECK_MEM(&c.test_keys, &want, sizeof(want));
				} else {
					CHECK_EQ(xw_sa_alt2_keys(&p, &want), 0);
					CHECK(memcmp(&c.test_keys, &want, sizeof(want)));
				}
			}
			conv_free(&c);
		}
	}
}

TEST(client_closes_on_other_sa)
{
	struct xw_sa_pair sp, cp;
	struct conv c;

	pair_of(&sp, 0xc0000101, 0xc0000202, 0x10);
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		/* SPIi, SPIr, both swapped, then the protocol: nothing goes out, CLI_CLOSE_SA */
		for (int which = 0; which < 4; which++) {
			cp = sp;
			if (which == 0)
				cp.c2s.spi ^= 0x100;
			else if (which == 1)
				cp.s2c.spi ^= 0x100;
			else if (which == 2) {
				cp.c2s.spi = sp.s2c.spi;
				cp.s2c.spi = sp.c2s.spi;
			}
			t_log_reset();
			if (which < 3) {
				CHECK_EQ(conv_open(&c, v, &sp, &cp,
						   XW_MODE_ENCRYPTED | XW_MODE_AUTH),
					 0);
			} else {
				/* the server's SA is AH with the same SPIs */
				cp.c2s.proto = cp.s2c.proto = IPPROTO_AH;
				CHECK_EQ(conv_open(&c, v, &cp, &sp,
						   XW_MODE_ENCRYPTED | XW_MODE_AUTH),
					 0);
			}
			CHECK(cli_closed(c.cli));
			CHECK_EQ(cli_close_reason(c.cli), CLI_CLOSE_SA);
			CHECK_EQ(c.nc2s, 0);
			CHECK_EQ(c.sad.calls, 0);
			CHECK(t_logged("closing (IPsec SA profile, draft 4.1)"));
			conv_free(&c);
		}
	}
}

TEST(keys_differ)
{
	struct xw_sa_pair sp, cp;
	struct conv c;

	pair_of(&sp, 0xc0000101, 0xc0000202, 0x10);
	pair_of(&cp, 0xc0000101, 0xc0000202, 0x11); /* same SPIs, other keys */
	/* KEYMAT and Alternative 1: the Token gives it away, Accept 1 */
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT1; v++) {
		CHECK_EQ(conv_open(&c, v, &sp, &cp, XW_MODE_AUTH), 0);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_FAILURE);
		CHECK(srv_closed(c.srv));
		conv_free(&c);
	}
	/*
	 * Alternative 2 has no Token: Server-Start carries no HMAC (RFC 4656
	 * 3.1), so the first command's HMAC is where the server finds out; it
	 * closes and no session is ever accepted
	 */
	CHECK_EQ(conv_open(&c, XW_SA_ALT2, &sp, &cp, XW_MODE_AUTH), 0);
	CHECK_EQ(server_start_accept(&c), XW_ACCEPT_OK);
	CHECK(conv_session(&c, 5004) != 0);
	CHECK(srv_closed(c.srv));
	CHECK(c.test_keys.aes[0] == 0 && c.test_keys.hmac[0] == 0);
	conv_free(&c);
}

/*
 * SKEYSEED of the IKE SA as the root (draft 4.1, 4.2.1 "from the IKE SA";
 * the charon plugin's source hands it out with the Child SA pair): both ends
 * with it work, and the test keys of Alternative 1 are PRF(SKEYSEED, ...);
 * one end on KEYMAT, another SKEYSEED, or a source without SKEYSEED: Accept 1.
 */
TEST(skeyseed_root)
{
	struct xw_sa_pair sp, cp;
	struct xw_session_keys want;
	struct conv c;

	pair_of(&sp, 0xc0000101, 0xc0000202, 0x10);
	fill(sp.skeyseed, 32, 0x50);
	sp.skeyseed_len = 32;
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT1; v++) {
		srv_root = cli_root = XW_SA_ROOT_IKE;
		CHECK_EQ(conv_open(&c, v, &sp, &sp, XW_MODE_ENCRYPTED), 0);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_OK);
		memset(&c.test_keys, 0, sizeof(c.test_keys));
		CHECK_EQ(conv_session(&c, 5010), 0);
		if (v == XW_SA_ALT1) {
			CHECK_EQ(xw_sa_alt1_keys(sp.skeyseed, 32, &want), 0);
			CHECK_MEM(&c.test_keys, &want, sizeof(want));
		}
		conv_free(&c);
		/* the client on KEYMAT, the server on SKEYSEED */
		srv_root = XW_SA_ROOT_IKE;
		cli_root = XW_SA_ROOT_IPSEC;
		CHECK_EQ(conv_open(&c, v, &sp, &sp, XW_MODE_AUTH), 0);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_FAILURE);
		conv_free(&c);
		/* the same Child SA keys, another SKEYSEED */
		cp = sp;
		cp.skeyseed[31] ^= 1;
		srv_root = cli_root = XW_SA_ROOT_IKE;
		CHECK_EQ(conv_open(&c, v, &sp, &cp, XW_MODE_AUTH), 0);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_FAILURE);
		conv_free(&c);
		/* the server's source has no SKEYSEED (the kernel SAD): Accept 1, said why */
		cp = sp;
		cp.skeyseed_len = 0;
		t_log_reset();
		srv_root = cli_root = XW_SA_ROOT_IKE;
		CHECK_EQ(conv_open(&c, v, &cp, &sp, XW_MODE_AUTH), 0);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_FAILURE);
		CHECK(t_logged("no SKEYSEED of the IKE SA"));
		conv_free(&c);
	}
	/* a client without SKEYSEED, or with Alternative 2 (no root), does not start */
	cli_root = XW_SA_ROOT_IKE;
	srv_root = XW_SA_ROOT_IPSEC;
	cp = sp;
	cp.skeyseed_len = 0;
	t_log_reset();
	CHECK(conv_open(&c, XW_SA_KEYMAT, &sp, &cp, XW_MODE_AUTH) != 0);
	CHECK(t_logged("no SKEYSEED for this SA pair"));
	conv_free(&c);
	CHECK(conv_open(&c, XW_SA_ALT2, &sp, &sp, XW_MODE_AUTH) != 0);
	CHECK(t_logged("Alternative 2 has no root key"));
	conv_free(&c);
	srv_root = cli_root = XW_SA_ROOT_IPSEC;
}

/*
 * sa_later (xwampd --sa-socket: charon names the pair in the key worker):
 * nothing goes out before srv_sa_named(); a client that speaks first is
 * closed (RFC 4656 3.1); no pair: closed with nothing sent; a pair: its
 * greeting, and the conversation runs.
 */
TEST(greeting_after_the_sa_lookup)
{
	struct srv_cfg sc = {
		.modes = XW_MODE_AUTH | XW_MODE_ENCRYPTED,
		.count = 1024,
		.peer = "test-client",
		.sa_variant = XW_SA_ALT1,
		.sa_later = true,
	};
	static const uint8_t sa_ids[] = {0x00, 0x00, 0x00, 0x32, 0xc0, 0x00,
					 0x01, 0x01, 0xc0, 0x00, 0x02, 0x02};
	struct cli_cfg cc = {
		.modes = XW_MODE_ENCRYPTED, .peer = "test-server", .sa_variant = XW_SA_ALT1};
	struct xw_keysrc src = {&SAD_OPS, NULL, "sad"};
	struct srv *s;
	struct conv c;
	size_t n = 0;

	for (int round = 0; round < 2; round++) {
		s = srv_new(&sc, &OPS, NULL, T0);
		CHECK(s != NULL);
		CHECK_EQ(srv_state(s), SRV_WAIT_SA);
		CHECK(srv_out_peek(s, &n) == NULL || n == 0);
		if (round == 0) {
			CHECK(srv_feed(s, "x", 1, T0) < 0);
			CHECK(srv_closed(s));
			CHECK_EQ(srv_close_reason(s), SRV_CLOSE_PROTO);
		} else {
			CHECK_EQ(srv_sa_named(s, -ENOENT, 0, 0, 0, T0), 0);
			CHECK(srv_closed(s));
			CHECK_EQ(srv_close_reason(s), SRV_CLOSE_NO_SA);
		}
		n = 0;
		CHECK(srv_out_peek(s, &n) == NULL || n == 0);
		srv_free(s);
	}
	/* named: the greeting of Figure 3 with the pair, then a whole conversation */
	memset(&c, 0, sizeof(c));
	pair_of(&c.sad.pair, 0xc0000101, 0xc0000202, 0x10);
	c.sad.present = 1;
	src.ctx = &c.sad;
	CHECK_EQ(xw_keysrcs_add(&c.keys, &src), 0);
	cc.sa = c.sad.pair;
	c.srv = srv_new(&sc, &OPS, &c, T0);
	c.cli = cli_new(&cc);
	CHECK(c.srv && c.cli);
	CHECK_EQ(srv_sa_named(c.srv, 0, IPPROTO_ESP, 0xc0000101, 0xc0000202, T0), 0);
	CHECK_EQ(srv_state(c.srv), SRV_WAIT_SETUP);
	CHECK_EQ(srv_sa_named(c.srv, 0, IPPROTO_ESP, 1, 2, T0), -EINVAL);
	pump(&c);
	CHECK(c.ns2c >= GREETING_LEN[XW_SA_ALT1]);
	CHECK_MEM(c.s2c, sa_ids, sizeof(sa_ids));
	CHECK_EQ(server_start_accept(&c), XW_ACCEPT_OK);
	CHECK_EQ(conv_session(&c, 5020), 0);
	conv_free(&c);
}

/*
 * OWAMP shares the handshake (RFC 4656 3.1): every variant in open,
 * authenticated and encrypted mode (OWAMP has no mixed mode), the greeting
 * of the variant on the wire, then a Request-Session (the server receives)
 * whose test keys agree on both ends: the control keys in Alternatives 1
 * and 2 (draft 4.2), per SID with KEYMAT (RFC 4656 4.1.2); keys that
 * differ: Accept 1.
 */
TEST(owamp_every_variant)
{
	static const uint32_t modes[] = {XW_MODE_OPEN, XW_MODE_AUTH, XW_MODE_ENCRYPTED};
	struct codec_ow_slot slot = {.type = 0, .param = 1ULL << 28};
	struct xw_sa_pair p, q;
	struct xw_session_keys want;
	const struct cli_sess *cs;
	struct conv c;
	int idx;

	pair_of(&p, 0xc0000101, 0xc0000202, 0x10);
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		for (unsigned int m = 0; m < 3; m++) {
			struct codec_request_session r = {.slots = &slot};

			conv_owamp = 1;
			CHECK_EQ(conv_open(&c, v, &p, &p, modes[m]), 0);
			CHECK(c.ns2c >= GREETING_LEN[v]);
			CHECK_EQ(server_start_accept(&c), XW_ACCEPT_OK);
			CHECK_EQ(cli_mode(c.cli) & XW_MODE_SECURITY_MASK, modes[m]);
			r.f.ipvn = 4;
			r.f.conf_receiver = 1;
			r.f.num_slots = 1;
			r.f.num_packets = 10;
			r.f.sender_port = 20001;
			r.f.receiver_port = 20000;
			memcpy(r.f.sender_addr, "\xc0\x00\x02\x01", 4);
			memcpy(r.f.receiver_addr, "\xc0\x00\x02\x02", 4);
			memset(&c.test_keys, 0, sizeof(c.test_keys));
			idx = cli_ow_request(c.cli, &r);
			CHECK(idx >= 0);
			pump(&c);
			cs = cli_sess(c.cli, idx);
			CHECK(cs && cs->answered && cs->accept == XW_ACCEPT_OK);
			if (!cs) {
				conv_free(&c);
				continue;
			}
			CHECK_EQ(cs->has_keys, modes[m] != XW_MODE_OPEN);
			if (cs->has_keys) {
				/* both ends' test keys, then which ones */
				CHECK_MEM(&cs->keys, &c.test_keys, sizeof(want));
				if (v != XW_SA_KEYMAT) {
					CHECK_EQ(xw_sa_derive(v, XW_SA_ROOT_IPSEC, &p, NULL, 0,
							      NULL, &want),
						 0);
					CHECK_MEM(&cs->keys, &want, sizeof(want));
				} else {
					CHECK(memcmp(&cs->keys, cli_keys(c.cli), sizeof(want)));
				}
			}
			conv_free(&c);
		}
	}
	/* keys that differ (same SPIs): the Token gives it away, Accept 1 */
	pair_of(&q, 0xc0000101, 0xc0000202, 0x11);
	conv_owamp = 1;
	CHECK_EQ(conv_open(&c, XW_SA_ALT1, &p, &q, XW_MODE_AUTH), 0);
	CHECK_EQ(server_start_accept(&c), XW_ACCEPT_FAILURE);
	conv_free(&c);
}

TEST(sa_gone_at_server)
{
	struct xw_sa_pair p;
	struct conv c;

	pair_of(&p, 0xc0000101, 0xc0000202, 0x10);
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		/* the SA disappears between the greeting and Set-Up-Response: Accept 1, logged */
		vanish = 1;
		t_log_reset();
		CHECK_EQ(conv_open(&c, v, &p, &p, XW_MODE_AUTH), 0);
		CHECK_EQ(c.sad.calls, 1);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_FAILURE);
		CHECK(t_logged("IPsec SA profile: no keys of protocol 50 SPIi 0xc0000101 SPIr "
			       "0xc0000202: no such SA"));
		conv_free(&c);
	}
}

TEST(encryption_only_and_aead)
{
	struct xw_sa_pair p, enc_only, aead;
	struct cli_cfg cc = {.modes = XW_MODE_AUTH, .peer = "x"};
	struct conv c;

	pair_of(&p, 0xc0000101, 0xc0000202, 0x10);
	enc_only = p;
	enc_only.c2s.integ_len = enc_only.s2c.integ_len = 0;
	/* the client refuses to start with it, in every variant */
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		cc.sa_variant = v;
		cc.sa = enc_only;
		t_log_reset();
		CHECK(!cli_new(&cc));
		CHECK(t_logged("encryption-only"));
	}
	/* the server, whose SAD holds it, answers Accept 3 */
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		CHECK_EQ(conv_open(&c, v, &enc_only, &p, XW_MODE_AUTH), 0);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_NOT_SUPPORTED);
		conv_free(&c);
	}
	/* AEAD (rfc4106 key + salt, no integrity key): KEYMAT and Alternative 1 work */
	aead = p;
	aead.c2s.aead = aead.s2c.aead = true;
	aead.c2s.enc_len = aead.s2c.enc_len = 20;
	aead.c2s.integ_len = aead.s2c.integ_len = 0;
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT1; v++) {
		CHECK_EQ(conv_open(&c, v, &aead, &aead, XW_MODE_ENCRYPTED), 0);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_OK);
		CHECK_EQ(conv_session(&c, 5001), 0);
		conv_free(&c);
	}
	/* ... Alternative 2 does not: refused by the client, Accept 3 from the server */
	cc.sa_variant = XW_SA_ALT2;
	cc.sa = aead;
	CHECK(!cli_new(&cc));
	CHECK_EQ(conv_open(&c, XW_SA_ALT2, &aead, &p, XW_MODE_ENCRYPTED), 0);
	CHECK_EQ(server_start_accept(&c), XW_ACCEPT_NOT_SUPPORTED);
	conv_free(&c);
}

TEST(rekey_under_running_connection)
{
	struct xw_sa_pair old_p, new_p;
	struct conv c;

	pair_of(&old_p, 0xc0000101, 0xc0000202, 0x10);
	pair_of(&new_p, 0xc0000303, 0xc0000404, 0x20);
	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		struct xw_session_keys first;

		CHECK_EQ(conv_open(&c, v, &old_p, &old_p, XW_MODE_ENCRYPTED), 0);
		CHECK_EQ(server_start_accept(&c), XW_ACCEPT_OK);
		CHECK_EQ(conv_session(&c, 5002), 0);
		first = c.test_keys;
		/*
		 * DECISION (draft 4.1, 4.2.1 "keys follow the SA"): the rekey replaces
		 * the SA in the SAD; the connection keeps the keys it set up with and
		 * goes on; new sessions on it too (no re-keying in the middle of
		 * O/TWAMP-Control, which has no message for it).
		 */
		c.sad.pair = new_p;
		CHECK_EQ(conv_session(&c, 5003), 0);
		if (v != XW_SA_KEYMAT)
			CHECK_MEM(&c.test_keys, &first, sizeof(first));
		CHECK_EQ(c.sad.calls, 1);
		conv_free(&c);
		/* a new connection names the new SA: a client still on the old one closes */
		CHECK_EQ(conv_open(&c, v, &new_p, &old_p, XW_MODE_ENCRYPTED), 0);
		CHECK_EQ(cli_close_reason(c.cli), CLI_CLOSE_SA);
		conv_free(&c);
	}
}
