// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TWAMP Control-Client state machine (control/cli.h) driven by a
 * fuzzed server, without sockets.
 *
 * The harness is the server: it sends a Server Greeting (fixed Challenge
 * and Salt), decrypts the client's Token with the fixed passphrase (or the
 * RFC 7717 key), sets up its own channel (control/chan.h) and answers with
 * Server-Start; from then on the fuzzer's bytes are sealed as server
 * messages (AES-CBC + HMAC in the secure modes), so that they pass the
 * client's HMAC check and reach its handlers.  Every command the client
 * sends is opened with the server's channel: its HMAC must verify, it must
 * decode, and its Token must hold the right Challenge (RFC 4656 3.1).
 *
 * Input: a 4-octet header, then records.
 *   h0  the server's Modes: bits 0-3 security modes, 0x10 individual session
 *       control, 0x20 reflect octets, 0x40 symmetrical size, 0x80 RFC 7717.
 *   h1  bits 0-3 the modes the client allows (none: open), 0x10 the client
 *       has an RFC 7717 key, 0x20 the server has another passphrase (Accept
 *       1), 0x40 raw: the rest of the input is fed as it is, from the
 *       first octet (Server Greeting included), to a client with a
 *       Request-TW-Session and a Start-Sessions queued.  0x80 with 0x40: the
 *       client speaks OWAMP (cli_cfg.proto) and has two Request-Sessions
 *       (either direction), Start-Sessions, Stop-Sessions with a record for
 *       the SID "fuzz-owamp-sid-1" and a Fetch-Session queued (the
 *       session the server sends has SID "fuzz-owamp-sid-2").
 *   h2  feed chunk size (0: whole messages).
 *   h3  Accept of Server-Start (values above 6 read as 0).
 * Records, by the low 3 bits of their first octet:
 *   0   cli_request() with parameters from the next 16 octets
 *   1   cli_start()            2  cli_stop(next octet)
 *   3/4 cli_start_n()/cli_stop_n() of (next octet % 4 + 1) indices
 *   5   a server message: the one the client waits for (0x20: the type in
 *       bits 6-7 instead), plaintext from the input, as long as the codec
 *       says; 0x08: an N-Ack names the client's own SIDs; 0x10: one bit of
 *       the sealed message is flipped.
 *   6   raw octets (count in the next octet)   7  end of stream
 * Events are checked: CLOSED comes last and only once, ACCEPT names a
 * session that exists.
 */
#include <errno.h>
#include <string.h>

#include "chan.h"
#include "cli.h"
#include "codec.h"
#include "crypto.h"
#include "fuzz.h"
#include "xwamp/wire.h"

#define MSG_MAX CODEC_N_MAX_LEN

static const uint8_t CHALLENGE[16] = "fixed-challenge";
static const uint8_t SALT[16] = "fixed-salt-1234";

struct peer {
	struct cli *cli;
	struct chan chan;
	int chan_up;
	int checked;
	size_t chunk;
	uint32_t mode;
	enum codec_msg expect[8]; /* answers the client waits for, oldest first */
	unsigned int nexpect;
	int closed_seen;
	unsigned int nsid;
};

static uint8_t msg[MSG_MAX];
static uint8_t in[MSG_MAX + 256];

static void feed(struct peer *p, const uint8_t *buf, size_t len)
{
	size_t k;

	while (len && !cli_closed(p->cli)) {
		k = p->chunk && p->chunk < len ? p->chunk : len;
		cli_feed(p->cli, buf, k);
		buf += k;
		len -= k;
	}
}

static void events(struct peer *p)
{
	struct cli_event ev;

	while (cli_event(p->cli, &ev)) {
		FUZZ_ASSERT(!p->closed_seen);
		if (ev.type == CLI_EV_CLOSED) {
			p->closed_seen = 1;
			FUZZ_ASSERT(cli_closed(p->cli));
		}
		if (ev.type == CLI_EV_FETCHED && ev.accept == XW_ACCEPT_OK) {
			const struct cli_fetch *fe = cli_fetch(p->cli, ev.sess);

			FUZZ_ASSERT(fe && fe->req && fe->skips && fe->recs);
			FUZZ_ASSERT(ev.count == fe->ack.num_records);
		}
		if (ev.type == CLI_EV_ACCEPT) {
			const struct cli_sess *s = cli_sess(p->cli, ev.sess);

			FUZZ_ASSERT(ev.sess >= 0 && (unsigned int)ev.sess < cli_nsess(p->cli));
			FUZZ_ASSERT(s && s->answered);
			FUZZ_ASSERT(!s->has_keys || (p->mode & (XW_MODE_AUTH | XW_MODE_ENCRYPTED)));
		}
	}
}

/* The client's commands: opened, checked, and what each one waits for noted. */
static void read_commands(struct peer *p)
{
	const uint8_t *o;
	size_t n, off = 0, nin = 0;

	while ((o = cli_out_peek(p->cli, &n)) && n) {
		if (nin + n <= sizeof(in))
			memcpy(in + nin, o, n);
		nin += n;
		cli_out_consume(p->cli, n);
	}
	if (!p->checked || !p->chan_up || nin > sizeof(in))
		return;
	while (off < nin) {
		uint8_t *m = in + off;
		int len = chan_next_len(&p->chan, CODEC_MSG_CLIENT_COMMAND, m, nin - off);

		FUZZ_ASSERT(len > 0 && (size_t)len <= nin - off);
		FUZZ_ASSERT(chan_open(&p->chan, m, (size_t)len) == 0);
		switch (m[0]) {
		case XW_CMD_REQUEST_TW_SESSION: {
			struct codec_request_tw_session q;

			FUZZ_ASSERT(codec_request_tw_session_decode(&q, p->mode, m, (size_t)len) !=
				    -EBADMSG);
			FUZZ_ASSERT(codec_request_tw_session_decode(&q, p->mode, m, (size_t)len) !=
				    -EMSGSIZE);
			p->expect[p->nexpect++ % 8] = CODEC_MSG_ACCEPT_SESSION;
			break;
		}
		case XW_CMD_START_SESSIONS:
			FUZZ_ASSERT(codec_start_sessions_decode(m, (size_t)len) == 0);
			p->expect[p->nexpect++ % 8] = CODEC_MSG_START_ACK;
			break;
		case XW_CMD_STOP_SESSIONS: {
			struct codec_stop_sessions s;

			FUZZ_ASSERT(codec_stop_sessions_decode(&s, m, (size_t)len) == 0);
			break;
		}
		case XW_CMD_START_N_SESSIONS:
		case XW_CMD_STOP_N_SESSIONS: {
			struct codec_n_sessions s;
			int start = m[0] == XW_CMD_START_N_SESSIONS;

			/* RFC 5938 2: only with individual session control */
			FUZZ_ASSERT(p->mode & XW_MODE_INDIV_SESS);
			FUZZ_ASSERT((start ? codec_start_n_sessions_decode(&s, m, (size_t)len)
					   : codec_stop_n_sessions_decode(&s, m, (size_t)len)) ==
				    0);
			p->expect[p->nexpect++ % 8] =
				start ? CODEC_MSG_START_N_ACK : CODEC_MSG_STOP_N_ACK;
			break;
		}
		default:
			FUZZ_ASSERT(0 && "the client sent an unknown command");
		}
		/* one command at a time: the next waits for the answer */
		FUZZ_ASSERT(p->nexpect <= 1);
		off += (size_t)len;
	}
}

static void server_message(struct peer *p, struct fz *f, uint8_t op)
{
	static const enum codec_msg types[4] = {CODEC_MSG_ACCEPT_SESSION, CODEC_MSG_START_ACK,
						CODEC_MSG_START_N_ACK, CODEC_MSG_STOP_N_ACK};
	enum codec_msg t = p->nexpect ? p->expect[0] : CODEC_MSG_ACCEPT_SESSION;
	const uint8_t *src;
	size_t have, len, i;
	int n;

	if (op & 0x20) {
		/* not what the client waits for: it frames the bytes its own way */
		t = types[op >> 6];
		p->checked = 0;
	}
	memset(msg, 0, XW_BLOCK_LEN);
	src = fz_take(f, XW_BLOCK_LEN, &have);
	memcpy(msg, src, have);
	if (t == CODEC_MSG_START_N_ACK || t == CODEC_MSG_STOP_N_ACK)
		msg[0] = t == CODEC_MSG_START_N_ACK ? XW_CMD_START_N_ACK : XW_CMD_STOP_N_ACK;
	n = codec_msg_len(t, msg, XW_BLOCK_LEN);
	len = n > 0 ? (size_t)n : 32;
	memset(msg + XW_BLOCK_LEN, 0, len - XW_BLOCK_LEN);
	src = fz_take(f, len - XW_BLOCK_LEN, &have);
	memcpy(msg + XW_BLOCK_LEN, src, have);
	if ((op & 0x08) && n > 0 && cli_nsess(p->cli) &&
	    (t == CODEC_MSG_START_N_ACK || t == CODEC_MSG_STOP_N_ACK))
		for (i = 0; CODEC_N_HDR_LEN + (i + 1) * XW_SID_LEN + XW_HMAC_LEN <= len; i++)
			memcpy(msg + CODEC_N_HDR_LEN + i * XW_SID_LEN,
			       cli_sess(p->cli, (int)(i % cli_nsess(p->cli)))->sid, XW_SID_LEN);
	if (t == CODEC_MSG_ACCEPT_SESSION && (op & 0x08)) {
		/* a distinct SID for each session, so that N-Acks can name them */
		msg[4] = 192;
		msg[5] = 0;
		msg[6] = 2;
		msg[7] = 2;
		put_be32(msg + 16, ++p->nsid);
	}
	FUZZ_ASSERT(chan_seal(&p->chan, msg, len) == 0);
	if (op & 0x10) {
		msg[(op >> 5) % len] ^= 0x80;
		p->checked = 0;
	}
	if (p->nexpect && t == p->expect[0] &&
	    (t == CODEC_MSG_ACCEPT_SESSION || t == CODEC_MSG_START_ACK)) {
		memmove(p->expect, p->expect + 1, (p->nexpect - 1) * sizeof(p->expect[0]));
		p->nexpect--;
	} else if (p->nexpect && t == p->expect[0]) {
		/* N-Acks may come in several messages: the client says when it is done */
		p->checked = 0;
	}
	feed(p, msg, len);
}

static void indices(struct fz *f, int *idx, unsigned int *n)
{
	unsigned int i;

	*n = fz_u8(f) % 4 + 1;
	for (i = 0; i < *n; i++)
		idx[i] = fz_u8(f) % 8;
}

static void run(struct peer *p, struct fz *f)
{
	while (f->n && !cli_closed(p->cli)) {
		uint8_t op = fz_u8(f);
		struct twsess_params tp = {0};
		const uint8_t *raw;
		unsigned int k;
		int idx[4];
		size_t n;

		switch (op & 7) {
		case 0:
			tp.ipvn = op & 0x08 ? 6 : 4;
			tp.sender_port = fz_u16(f);
			tp.receiver_port = fz_u16(f);
			tp.sender_addr[0] = fz_u8(f);
			tp.receiver_addr[0] = fz_u8(f);
			tp.padding_len = fz_u16(f);
			tp.start_time = (uint64_t)fz_u32(f) << 32;
			tp.timeout = (uint64_t)fz_u8(f) << 32;
			tp.type_p = twsess_typep_from_dscp(fz_u8(f));
			tp.octets_to_reflect = fz_u16(f);
			tp.pad_to_reflect = fz_u8(f);
			cli_request(p->cli, &tp);
			break;
		case 1:
			cli_start(p->cli);
			break;
		case 2:
			cli_stop(p->cli, fz_u8(f));
			break;
		case 3:
		case 4:
			indices(f, idx, &k);
			if ((op & 7) == 3)
				cli_start_n(p->cli, idx, k);
			else
				cli_stop_n(p->cli, idx, k);
			break;
		case 5:
			server_message(p, f, op);
			break;
		case 6:
			raw = fz_take(f, fz_u8(f), &n);
			feed(p, raw, n);
			p->checked = 0;
			break;
		default:
			if (op & 0x08)
				cli_close(p->cli);
			else
				cli_eof(p->cli);
			break;
		}
		read_commands(p);
		events(p);
	}
}

static const uint8_t OW_SID[16] = "fuzz-owamp-sid-1";
static const uint8_t OW_SID2[16] = "fuzz-owamp-sid-2";

/* OWAMP: a session the server receives and one it sends (RFC 4656 3.5). */
static void owamp_queue(struct cli *c)
{
	static const struct codec_ow_slot slot = {CODEC_SLOT_EXP, 1ull << 30};
	struct codec_request_session m = {.slots = &slot};

	m.f.ipvn = 4;
	m.f.num_slots = 1;
	m.f.num_packets = 10;
	m.f.conf_receiver = 1;
	m.f.sender_port = 9000;
	FUZZ_ASSERT(cli_ow_request(c, &m) == 0);
	m.f.conf_receiver = 0;
	m.f.conf_sender = 1;
	m.f.receiver_port = 9001;
	memcpy(m.f.sid, OW_SID2, 16);
	FUZZ_ASSERT(cli_ow_request(c, &m) == 1);
}

/* Our Stop-Sessions record names OW_SID: sent when the server gave it to session 0. */
static void owamp_stop_fetch(struct cli *c)
{
	static const struct codec_ow_skip skip = {2, 3};
	struct codec_ow_stop_rec rec = {.next_seqno = 10, .num_skips = 1, .skips = &skip};
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};

	memcpy(rec.sid, OW_SID, 16);
	memcpy(q.sid, OW_SID, 16);
	FUZZ_ASSERT(cli_ow_stop(c, XW_ACCEPT_OK, &rec, 1) == 0);
	FUZZ_ASSERT(cli_ow_fetch(c, &q) == 0);
}

/* Greeting, Set-Up-Response, Server-Start; 0 when the client is ready. */
static int handshake(struct peer *p, uint8_t h0, uint8_t h1, uint8_t accept)
{
	struct codec_greeting g = {.count = 1024};
	struct codec_setup_response r;
	struct codec_server_start ss = {.start_time = 0xeeaf032578eb13dfULL};
	struct xw_session_keys keys;
	uint8_t buf[XW_SETUP_RESPONSE_LEN], kek[XW_AES_KEY_LEN], secret[64];
	const uint8_t *o;
	size_t n, slen;
	uint32_t sec;
	int rc;

	g.modes = h0;
	memcpy(g.challenge, CHALLENGE, 16);
	memcpy(g.salt, SALT, 16);
	FUZZ_ASSERT(codec_greeting_encode(&g, buf, sizeof(buf)) == XW_GREETING_LEN);
	feed(p, buf, XW_GREETING_LEN);
	o = cli_out_peek(p->cli, &n);
	if (!(h0 & XW_MODE_SECURITY_MASK)) {
		/* Modes 0: the server does not wish to talk (RFC 4656 3.1) */
		FUZZ_ASSERT(cli_closed(p->cli) && (!o || !n));
		return -1;
	}
	FUZZ_ASSERT(o && n == XW_SETUP_RESPONSE_LEN);
	FUZZ_ASSERT(codec_setup_response_decode(&r, o, n) == 0);
	cli_out_consume(p->cli, n);
	sec = r.mode & XW_MODE_SECURITY_MASK;
	if (!sec) {
		/* no common mode: Mode 0 and close */
		FUZZ_ASSERT(cli_closed(p->cli));
		return -1;
	}
	/* one security bit, offered by us (RFC 4656 3.1), features only if offered */
	FUZZ_ASSERT(!(sec & (sec - 1)) && (sec & h0) && !(r.mode & ~(uint32_t)h0 & 0xf0));
	p->mode = r.mode;
	if (sec == XW_MODE_OPEN) {
		FUZZ_ASSERT(chan_init(&p->chan, CHAN_ROLE_SERVER, r.mode, NULL, NULL, NULL) == 0);
	} else {
		if (r.mode & XW_MODE_IKEV2_DERIV) {
			FUZZ_ASSERT(!memcmp(r.keyid, fuzz_spis, sizeof(fuzz_spis)));
			memcpy(secret, fuzz_ike_secret, sizeof(fuzz_ike_secret));
			slen = sizeof(fuzz_ike_secret);
		} else {
			FUZZ_ASSERT(!memcmp(r.keyid, "alice", 6));
			memcpy(secret, FUZZ_PASS, strlen(FUZZ_PASS));
			slen = strlen(FUZZ_PASS);
		}
		if (h1 & 0x20)
			secret[0] ^= 0x20;
		FUZZ_ASSERT(xw_pbkdf2_sha1(secret, slen, SALT, 16, 1024, kek, sizeof(kek)) == 0);
		rc = xw_token_decrypt(kek, CHALLENGE, r.token, &keys);
		/* the client's Token holds our Challenge (RFC 4656 3.1) */
		FUZZ_ASSERT(rc == 0 || ((h1 & 0x20) && rc == -EACCES));
		if (rc)
			accept = XW_ACCEPT_FAILURE;
		else
			FUZZ_ASSERT(chan_init(&p->chan, CHAN_ROLE_SERVER, r.mode, &keys,
					      r.client_iv,
					      (const uint8_t *)"server-iv-fixed") == 0);
	}
	ss.accept = accept;
	memcpy(ss.server_iv, "server-iv-fixed", 16);
	FUZZ_ASSERT(codec_server_start_encode(&ss, buf, sizeof(buf)) == XW_SERVER_START_LEN);
	if (accept == XW_ACCEPT_OK) {
		p->chan_up = 1;
		FUZZ_ASSERT(chan_seal_server_start(&p->chan, buf) == 0);
	} else if (sec == XW_MODE_OPEN || rc == 0) {
		chan_fini(&p->chan);
	}
	feed(p, buf, XW_SERVER_START_LEN);
	events(p);
	if (accept != XW_ACCEPT_OK) {
		FUZZ_ASSERT(cli_closed(p->cli));
		return -1;
	}
	FUZZ_ASSERT(cli_state(p->cli) == CLI_READY && cli_mode(p->cli) == r.mode);
	read_commands(p);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct peer peer;
	struct peer *p = &peer;
	struct cli_cfg cfg = {0};
	struct fz f = {data, size};
	uint8_t h0, h1, h2, h3;

	if (size < 4)
		return 0;
	fuzz_reset();
	h0 = fz_u8(&f);
	h1 = fz_u8(&f);
	h2 = fz_u8(&f);
	h3 = fz_u8(&f);
	memset(p, 0, sizeof(*p));
	p->chunk = h2;
	p->checked = 1;

	cfg.modes = h1 & 0x0f ? h1 & 0x0f : XW_MODE_OPEN;
	cfg.features = XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT | XW_MODE_SYMMETRIC;
	memcpy(cfg.keyid, "alice", 5);
	cfg.secret = (const uint8_t *)FUZZ_PASS;
	cfg.secret_len = strlen(FUZZ_PASS);
	cfg.peer = "fuzz-server";
	if ((h1 & 0xc0) == 0xc0)
		cfg.proto = CLI_PROTO_OWAMP;
	if (h1 & 0x10) {
		cfg.ike_modes = XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED;
		memcpy(cfg.ike_keyid, fuzz_spis, sizeof(fuzz_spis));
		cfg.ike_secret = fuzz_ike_secret;
		cfg.ike_secret_len = sizeof(fuzz_ike_secret);
	}
	p->cli = cli_new(&cfg);
	FUZZ_ASSERT(p->cli != NULL);

	if (h1 & 0x40) {
		/* raw: the fuzzer is the server from the first octet; some commands wait */
		struct twsess_params tp = {.ipvn = 4, .sender_port = 9000, .receiver_port = 9000};

		if (cfg.proto == CLI_PROTO_OWAMP)
			owamp_queue(p->cli);
		else
			cli_request(p->cli, &tp);
		cli_start(p->cli);
		if (cfg.proto == CLI_PROTO_OWAMP)
			owamp_stop_fetch(p->cli);
		while (f.n && !cli_closed(p->cli)) {
			size_t n;
			const uint8_t *raw = fz_take(&f, p->chunk ? p->chunk : f.n, &n);

			cli_feed(p->cli, raw, n);
			p->checked = 0;
			read_commands(p);
			events(p);
		}
	} else if (handshake(p, h0, h1, h3 <= XW_ACCEPT_NO_IKE_SA ? h3 : 0) == 0) {
		run(p, &f);
	}
	if (!cli_closed(p->cli))
		cli_eof(p->cli);
	events(p);
	FUZZ_ASSERT(p->closed_seen);
	cli_free(p->cli);
	if (p->chan_up)
		chan_fini(&p->chan);
	return 0;
}
