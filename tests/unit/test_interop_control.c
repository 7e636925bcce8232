// SPDX-License-Identifier: GPL-2.0-only
/*
 * Offline interoperability with the reference implementation (perfSONAR
 * 5.2.3, tests/data/captures/README.md): every control message of every
 * TWAMP capture (open, auth, encrypted, mixed) and of the OWAMP auth and
 * encrypted captures goes through OUR channel (control/chan.h) and codec.
 *
 * For each capture: the two TCP streams are taken from the pcap
 * (tests/unit/pcap.h reassembles them), the
 * Greeting, Set-Up-Response and Server-Start are decoded; in the secure
 * modes the kek is derived from the passphrase "correct horse battery" +
 * Salt + Count and the Token decrypted.  Then:
 *  - each direction is read as a server resp. a client would read it:
 *    chan_next_len() on the bytes (checked at every prefix length, as
 *    bytes trickle in), chan_open() (decrypt + HMAC check), codec decode,
 *    fields checked against the README (mode, Accept, SID, ports,
 *    padding length, number of sessions); each stream must end exactly
 *    after the last message;
 *  - the plaintexts are sealed again by a chan of the other role with the
 *    same keys and IVs: the result must be the captured bytes, octet for
 *    octet (so our seal, HMAC coverage included, is perfSONAR's);
 *  - every single bit flip in an IV, the encrypted Start-Time block or any
 *    later message makes the message that holds it (the first message for
 *    an IV) fail, and every message before it still pass.
 * OWAMP messages after Server-Start differ from TWAMP's: they are split at
 * their HMACs (found by trial) and only decrypted and HMAC-checked, except
 * the Accept-Sessions, whose layout TWAMP shares.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "pcap.h"
#include "chan.h"
#include "codec.h"
#include "crypto.h"
#include "log.h"

#define PASSPHRASE "correct horse battery"
#define STREAM_MAX 16384
#define MSG_MAX	   32
#define PT_MAX	   512

/* The two directions of the control connection (tests/unit/pcap.h reassembles them). */
struct dir_stream {
	const uint8_t *data;
	size_t len;
};

struct streams {
	struct dir_stream c2s, s2c;
};

/* ---- One capture: setup messages, keys ---------------------------------- */

struct capture {
	struct xw_pcap pc;
	const char *name;
	int owamp;
	uint32_t mode; /* Set-Up-Response Mode */
	struct streams st;
	struct codec_greeting greet;
	struct codec_setup_response sur;
	struct codec_server_start ss; /* Start-Time still encrypted in secure modes */
	struct xw_session_keys keys;
};

static struct capture cap; /* one at a time; big */

static void load_capture(const char *name, int owamp, uint32_t want_mode)
{
	uint8_t kek[XW_AES_KEY_LEN];
	uint16_t port = owamp ? XW_PORT_OWAMP : XW_PORT_TWAMP;

	if (cap.name)
		xw_pcap_close(&cap.pc);
	memset(&cap, 0, sizeof(cap));
	cap.name = name;
	cap.owamp = owamp;
	CHECK_EQ(xw_pcap_open_capture(&cap.pc, name), 0);
	CHECK(cap.pc.has_control);
	CHECK_EQ(cap.pc.server_port, port);
	cap.st.c2s.data = cap.pc.dir[XW_PCAP_C2S].data;
	cap.st.c2s.len = cap.pc.dir[XW_PCAP_C2S].len;
	cap.st.s2c.data = cap.pc.dir[XW_PCAP_S2C].data;
	cap.st.s2c.len = cap.pc.dir[XW_PCAP_S2C].len;
	CHECK(cap.st.s2c.len >= XW_GREETING_LEN + XW_SERVER_START_LEN);
	CHECK(cap.st.c2s.len >= XW_SETUP_RESPONSE_LEN);

	/* Greeting: modes 15 (TWAMP, O+A+E+M) or 7 (OWAMP), Count 2048 */
	CHECK_EQ(codec_greeting_decode(&cap.greet, cap.st.s2c.data, XW_GREETING_LEN), 0);
	CHECK_EQ(cap.greet.modes, owamp ? 7 : 15);
	CHECK_EQ(cap.greet.count, 2048);

	CHECK_EQ(codec_setup_response_decode(&cap.sur, cap.st.c2s.data, XW_SETUP_RESPONSE_LEN), 0);
	CHECK_EQ(cap.sur.mode, want_mode);
	cap.mode = cap.sur.mode;

	CHECK_EQ(codec_server_start_decode(&cap.ss, cap.st.s2c.data + XW_GREETING_LEN,
					   XW_SERVER_START_LEN),
		 0);
	CHECK_EQ(cap.ss.accept, XW_ACCEPT_OK);

	if (want_mode == XW_MODE_OPEN) {
		uint8_t zero[XW_KEYID_LEN] = {0};

		CHECK_MEM(cap.sur.keyid, zero, XW_KEYID_LEN);
		return;
	}
	/* KeyID "alice", zero-padded to 80 octets */
	CHECK_MEM(cap.sur.keyid, "alice\0\0\0", 8);
	CHECK_EQ(xw_pbkdf2_sha1((const uint8_t *)PASSPHRASE, strlen(PASSPHRASE), cap.greet.salt,
				sizeof(cap.greet.salt), cap.greet.count, kek, sizeof(kek)),
		 0);
	CHECK_EQ(xw_token_decrypt(kek, cap.greet.challenge, cap.sur.token, &cap.keys), 0);
	xw_wipe(kek, sizeof(kek));
}

/* ---- Reading a direction through our chan -------------------------------- */

struct msg {
	size_t off, len;    /* in the stream */
	uint8_t pt[PT_MAX]; /* plaintext */
};

struct dir_result {
	int err;	 /* 0, or the error of the first message that failed */
	size_t fail_off; /* stream offset of that message */
	size_t nmsg;
	struct msg msg[MSG_MAX];
	uint8_t ss_pt[XW_SERVER_START_LEN]; /* s2c: Server-Start as opened */
};

/* OWAMP: where the HMAC-terminated segments end, found by trial (see top). */
struct segs {
	size_t n;
	size_t end[MSG_MAX];
};

static int want_next_len(const struct chan *ch, enum codec_msg type, const uint8_t *p, size_t avail,
			 int trickle)
{
	int n = chan_next_len(ch, type, p, avail), k, m;

	if (n <= 0 || !trickle)
		return n;
	/* the same answer (or "need more") at every shorter prefix */
	for (k = 0; k < n && (size_t)k <= avail; k++) {
		m = chan_next_len(ch, type, p, (size_t)k);
		if (m != 0 && m != n)
			return -EPROTO;
		if (k >= XW_BLOCK_LEN && m != n)
			return -EPROTO;
	}
	return n;
}

/*
 * Open one stream direction like its receiver.  @data/@len is the stream
 * (possibly with a bit flipped).  TWAMP: messages are framed by
 * chan_next_len() on the command number (c2s) or the expected sequence
 * (s2c: Accept-Session per request, then Start-Ack).  OWAMP: by @segs.
 */
static void run_dir(int c2s, const uint8_t *data, size_t len, const struct segs *segs,
		    const enum codec_msg *seq, size_t nseq, int trickle, struct dir_result *r)
{
	const uint8_t *civ = cap.st.c2s.data + CODEC_SETUP_RESPONSE_IV_OFF;
	uint8_t siv[XW_BLOCK_LEN], buf[CODEC_N_MAX_LEN];
	size_t off, i;
	struct chan ch;
	int n, err;

	memset(r, 0, sizeof(*r));
	/* IVs as they are in THIS copy of the stream (a flipped bit may hit them) */
	if (c2s)
		civ = data + CODEC_SETUP_RESPONSE_IV_OFF;
	memcpy(siv, (c2s ? cap.st.s2c.data : data) + XW_GREETING_LEN + CODEC_SERVER_START_IV_OFF,
	       sizeof(siv));
	err = chan_init(&ch, c2s ? CHAN_ROLE_SERVER : CHAN_ROLE_CLIENT, cap.mode, &cap.keys, civ,
			siv);
	if (err) {
		r->err = err;
		return;
	}
	if (c2s) {
		off = XW_SETUP_RESPONSE_LEN;
	} else {
		memcpy(r->ss_pt, data + XW_GREETING_LEN, XW_SERVER_START_LEN);
		err = chan_open_server_start(&ch, r->ss_pt);
		if (err) {
			r->err = err;
			r->fail_off = XW_GREETING_LEN;
			goto out;
		}
		off = XW_GREETING_LEN + XW_SERVER_START_LEN;
	}

	for (i = 0; off < len; i++) {
		if (i >= MSG_MAX) {
			r->err = -E2BIG;
			break;
		}
		if (segs)
			n = i < segs->n ? (int)(segs->end[i] - off) : -EBADMSG;
		else if (c2s)
			n = want_next_len(&ch, CODEC_MSG_CLIENT_COMMAND, data + off, len - off,
					  trickle);
		else if (i < nseq)
			n = want_next_len(&ch, seq[i], data + off, len - off, trickle);
		else
			n = -EBADMSG; /* more than the client expects */
		if (n <= 0 || off + (size_t)n > len || (size_t)n > PT_MAX) {
			r->err = n < 0 ? n : -EMSGSIZE;
			r->fail_off = off;
			break;
		}
		memcpy(buf, data + off, (size_t)n);
		err = chan_open(&ch, buf, (size_t)n);
		if (err) {
			r->err = err;
			r->fail_off = off;
			break;
		}
		r->msg[i].off = off;
		r->msg[i].len = (size_t)n;
		memcpy(r->msg[i].pt, buf, (size_t)n);
		r->nmsg = i + 1;
		off += (size_t)n;
	}
out:
	chan_fini(&ch);
}

static const uint8_t *dir_data(int c2s)
{
	return c2s ? cap.st.c2s.data : cap.st.s2c.data;
}

static size_t dir_len(int c2s)
{
	return c2s ? cap.st.c2s.len : cap.st.s2c.len;
}

/*
 * OWAMP: decrypt the whole direction as one CBC stream (decryption does not
 * depend on where messages end) and cut it after every block that is the
 * HMAC of everything since the previous cut.  The cuts must cover the
 * stream to its last octet.  The s2c coverage starts with the Start-Time
 * block of Server-Start, which is not a message of its own.
 */
static void find_segs(int c2s, struct segs *s)
{
	static uint8_t pt[STREAM_MAX];
	const uint8_t *data = dir_data(c2s);
	size_t len = dir_len(c2s);
	size_t dstart = c2s ? XW_SETUP_RESPONSE_LEN : XW_GREETING_LEN + CODEC_SERVER_START_ENC_OFF;
	size_t first = c2s ? XW_SETUP_RESPONSE_LEN : XW_GREETING_LEN + XW_SERVER_START_LEN;
	size_t acc = dstart, b;
	uint8_t iv[XW_BLOCK_LEN], mac[XW_HMAC_LEN];
	struct xw_aes *aes;

	memset(s, 0, sizeof(*s));
	CHECK(len <= sizeof(pt) && len > dstart);
	CHECK((len - dstart) % XW_BLOCK_LEN == 0);
	memcpy(iv,
	       c2s ? cap.sur.client_iv
		   : cap.st.s2c.data + XW_GREETING_LEN + CODEC_SERVER_START_IV_OFF,
	       sizeof(iv));
	aes = xw_aes_new(cap.keys.aes);
	CHECK(aes);
	CHECK_EQ(xw_aes_cbc_decrypt(aes, iv, data + dstart, pt + dstart, len - dstart), 0);
	xw_aes_free(aes);
	for (b = first; b + XW_HMAC_LEN <= len && s->n < MSG_MAX; b += XW_BLOCK_LEN) {
		CHECK_EQ(xw_hmac_oneshot(cap.keys.hmac, sizeof(cap.keys.hmac), pt + acc, b - acc,
					 mac),
			 0);
		if (xw_ct_equal(mac, pt + b, XW_HMAC_LEN)) {
			s->end[s->n++] = b + XW_HMAC_LEN;
			acc = b + XW_HMAC_LEN;
			b += XW_HMAC_LEN - XW_BLOCK_LEN; /* the loop adds one block */
		}
	}
	CHECK_EQ(acc, len);
}

/* Seal the opened plaintexts again with the sender's role: must give the capture. */
static void reseal_check(int c2s, const struct dir_result *r)
{
	const uint8_t *wire = dir_data(c2s);
	uint8_t ss[XW_SERVER_START_LEN], buf[PT_MAX];
	struct chan ch;
	size_t i;

	CHECK_EQ(chan_init(&ch, c2s ? CHAN_ROLE_CLIENT : CHAN_ROLE_SERVER, cap.mode, &cap.keys,
			   cap.sur.client_iv, cap.ss.server_iv),
		 0);
	if (!c2s) {
		memcpy(ss, r->ss_pt, sizeof(ss));
		CHECK_EQ(chan_seal_server_start(&ch, ss), 0);
		CHECK_MEM(ss, wire + XW_GREETING_LEN, sizeof(ss));
	}
	for (i = 0; i < r->nmsg; i++) {
		memcpy(buf, r->msg[i].pt, r->msg[i].len);
		CHECK_EQ(chan_seal(&ch, buf, r->msg[i].len), 0);
		CHECK_MEM(buf, wire + r->msg[i].off, r->msg[i].len);
	}
	chan_fini(&ch);
}

/* Index of the message that holds stream offset @o (IVs, Start-Time: the first). */
static size_t msg_of(const struct dir_result *good, size_t o)
{
	size_t i;

	for (i = 0; i < good->nmsg; i++)
		if (o < good->msg[i].off + good->msg[i].len)
			return i;
	return good->nmsg;
}

static void log_discard(enum xw_log_level level, const char *line, void *arg)
{
}

/*
 * Flip every bit from the IV of this direction to the end of the stream,
 * one at a time: the message holding it must fail, all before it pass.
 */
static void flip_all(int c2s, const struct dir_result *good, const struct segs *segs,
		     const enum codec_msg *seq, size_t nseq)
{
	static uint8_t data[STREAM_MAX];
	static struct dir_result r;
	size_t len = dir_len(c2s), o, i, hmac_fails = 0, tried = 0;
	size_t from =
		c2s ? CODEC_SETUP_RESPONSE_IV_OFF : XW_GREETING_LEN + CODEC_SERVER_START_IV_OFF;
	int bit;

	CHECK(len <= sizeof(data));
	memcpy(data, dir_data(c2s), len);
	xw_log_set_sink(log_discard, NULL); /* thousands of expected HMAC warnings */
	for (o = from; o < len; o++) {
		for (bit = 0; bit < 8; bit++) {
			data[o] ^= (uint8_t)(1u << bit);
			run_dir(c2s, data, len, segs, seq, nseq, 0, &r);
			data[o] ^= (uint8_t)(1u << bit);
			i = msg_of(good, o);
			if (!r.err || r.fail_off != good->msg[i].off || r.nmsg != i)
				fprintf(stderr,
					"%s %s: bit %d of octet %zu: err %d at %zu after %zu\n",
					cap.name, c2s ? "c2s" : "s2c", bit, o, r.err, r.fail_off,
					r.nmsg);
			CHECK(r.err < 0);
			CHECK_EQ(r.fail_off, good->msg[i].off);
			CHECK_EQ(r.nmsg, i);
			hmac_fails += r.err == -EACCES;
			tried++;
		}
	}
	xw_log_set_sink(NULL, NULL);
	/* framing may catch a flip in a command number first; the HMAC catches the rest */
	CHECK(hmac_fails > tried / 2);
}

/* ---- TWAMP ---------------------------------------------------------------- */

struct tw_expect {
	const char *file;
	uint32_t mode;
	uint16_t sender_port;
	uint16_t port; /* Accept-Session: the reflector's port (requested + 1) */
	uint32_t padding_len;
	const char *sid; /* NULL: only checked to start with the server's 127.0.0.1 */
};

/* Server-Start Start-Time of twampd: the same instance served every capture */
#define TWAMPD_START_TIME 0xeeaf032578eb13dfULL

static void twamp_capture(const struct tw_expect *e, int flips)
{
	static const enum codec_msg s2c_seq[] = {CODEC_MSG_ACCEPT_SESSION, CODEC_MSG_START_ACK};
	static struct dir_result c, s;
	static const uint8_t lo[4] = {127, 0, 0, 1}, zero[16];
	struct codec_request_tw_session req;
	struct codec_accept_session acc;
	struct codec_stop_sessions stop;
	struct codec_server_start ss;
	struct codec_start_ack ack;
	uint8_t sid[16];

	load_capture(e->file, 0, e->mode);
	if (t_failed())
		return;

	/* client -> server: Request-TW-Session, Start-Sessions, Stop-Sessions */
	run_dir(1, cap.st.c2s.data, cap.st.c2s.len, NULL, NULL, 0, 1, &c);
	CHECK_EQ(c.err, 0);
	CHECK_EQ(c.nmsg, 3);
	CHECK_EQ(c.msg[2].off + c.msg[2].len, cap.st.c2s.len);
	CHECK_EQ(c.msg[0].pt[0], XW_CMD_REQUEST_TW_SESSION);
	CHECK_EQ(codec_request_tw_session_decode(&req, cap.mode, c.msg[0].pt, c.msg[0].len), 0);
	CHECK_EQ(req.ipvn, 4);
	CHECK_EQ(req.sender_port, e->sender_port);
	CHECK_EQ(req.receiver_port, e->sender_port);
	CHECK_MEM(req.sender_addr, lo, 4);
	CHECK_MEM(req.receiver_addr, lo, 4);
	CHECK_MEM(req.sid, zero, 16);
	CHECK_EQ(req.padding_len, e->padding_len);
	CHECK_EQ(req.type_p, 0);
	CHECK_EQ(codec_start_sessions_decode(c.msg[1].pt, c.msg[1].len), 0);
	CHECK_EQ(codec_stop_sessions_decode(&stop, c.msg[2].pt, c.msg[2].len), 0);
	CHECK_EQ(stop.accept, XW_ACCEPT_OK);
	CHECK_EQ(stop.num_sessions, 1);

	/* server -> client: (Server-Start), Accept-Session, Start-Ack */
	run_dir(0, cap.st.s2c.data, cap.st.s2c.len, NULL, s2c_seq, 2, 1, &s);
	CHECK_EQ(s.err, 0);
	CHECK_EQ(s.nmsg, 2);
	CHECK_EQ(s.msg[1].off + s.msg[1].len, cap.st.s2c.len);
	CHECK_EQ(codec_server_start_decode(&ss, s.ss_pt, sizeof(s.ss_pt)), 0);
	CHECK_EQ(ss.start_time, TWAMPD_START_TIME); /* decrypted == the open capture's clear one */
	CHECK_MEM(s.ss_pt + 40, zero, 8);
	CHECK_EQ(codec_accept_session_decode(&acc, cap.mode, s.msg[0].pt, s.msg[0].len), 0);
	CHECK_EQ(acc.accept, XW_ACCEPT_OK);
	CHECK_EQ(acc.port, e->port);
	CHECK_MEM(acc.sid, lo, 4);
	if (e->sid) {
		t_unhex(e->sid, sid, sizeof(sid));
		CHECK_MEM(acc.sid, sid, 16);
	}
	CHECK_EQ(codec_start_ack_decode(&ack, s.msg[1].pt, s.msg[1].len), 0);
	CHECK_EQ(ack.accept, XW_ACCEPT_OK);

	/* our seal reproduces perfSONAR's bytes in both directions */
	reseal_check(1, &c);
	reseal_check(0, &s);

	if (flips) {
		flip_all(1, &c, NULL, NULL, 0);
		flip_all(0, &s, NULL, s2c_seq, 2);
	}
}

static const struct tw_expect TW_OPEN = {
	"perfsonar-twamp-open.pcap",	   XW_MODE_OPEN, 9527, 9528, 27,
	"7f000001eeaf0325e9107faa9f08bd11"};
static const struct tw_expect TW_AUTH = {
	"perfsonar-twamp-auth.pcap", XW_MODE_AUTH, 9570, 9571, 64, NULL};
static const struct tw_expect TW_ENC = {
	"perfsonar-twamp-encrypted.pcap", XW_MODE_ENCRYPTED, 9090, 9091, 64, NULL};
static const struct tw_expect TW_MIXED = {
	"perfsonar-twamp-mixed.pcap", XW_MODE_MIXED, 9884, 9885, 27, NULL};

TEST(twamp_open)
{
	twamp_capture(&TW_OPEN, 0);
	/* open mode: the HMAC fields are MBZ, and zero on the wire */
	CHECK_MEM(cap.st.c2s.data + XW_SETUP_RESPONSE_LEN + CODEC_REQUEST_TW_SESSION_HMAC_OFF,
		  (const uint8_t[16]){0}, 16);
}

TEST(twamp_auth)
{
	twamp_capture(&TW_AUTH, 1);
}

TEST(twamp_encrypted)
{
	twamp_capture(&TW_ENC, 1);
}

TEST(twamp_mixed)
{
	twamp_capture(&TW_MIXED, 1);
}

/* ---- OWAMP ---------------------------------------------------------------- */

struct ow_expect {
	const char *file;
	uint32_t mode;
	uint16_t port1, port2; /* the two Accept-Sessions' Port (README's UDP ports) */
};

static void owamp_capture(const struct ow_expect *e, uint64_t start_time)
{
	static struct dir_result c, s;
	static struct segs cs, ss_segs;
	struct codec_accept_session acc;
	struct codec_server_start ss;

	load_capture(e->file, 1, e->mode);
	if (t_failed())
		return;
	find_segs(1, &cs);
	find_segs(0, &ss_segs);
	if (t_failed())
		return;
	/* Request-Session = 112 (HMAC) + 1 slot + HMAC, twice; then Start, Stop, Fetch */
	CHECK(cs.n >= 6);
	CHECK_EQ(cs.end[0], XW_SETUP_RESPONSE_LEN + 112);
	CHECK_EQ(cs.end[1], XW_SETUP_RESPONSE_LEN + 112 + 32);

	run_dir(1, cap.st.c2s.data, cap.st.c2s.len, &cs, NULL, 0, 0, &c);
	CHECK_EQ(c.err, 0);
	CHECK_EQ(c.nmsg, cs.n);
	CHECK_EQ(c.msg[0].pt[0], XW_CMD_FORBIDDEN); /* the OWAMP Request-Session */
	run_dir(0, cap.st.s2c.data, cap.st.s2c.len, &ss_segs, NULL, 0, 0, &s);
	CHECK_EQ(s.err, 0);
	CHECK_EQ(s.nmsg, ss_segs.n);

	CHECK_EQ(codec_server_start_decode(&ss, s.ss_pt, sizeof(s.ss_pt)), 0);
	CHECK_EQ(ss.start_time, start_time);
	/* the first two server messages are the Accept-Sessions */
	CHECK_EQ(s.msg[0].len, XW_ACCEPT_SESSION_LEN);
	CHECK_EQ(codec_accept_session_decode(&acc, cap.mode, s.msg[0].pt, s.msg[0].len), 0);
	CHECK_EQ(acc.accept, XW_ACCEPT_OK);
	CHECK_EQ(acc.port, e->port1);
	CHECK_EQ(s.msg[1].len, XW_ACCEPT_SESSION_LEN);
	CHECK_EQ(codec_accept_session_decode(&acc, cap.mode, s.msg[1].pt, s.msg[1].len), 0);
	CHECK_EQ(acc.accept, XW_ACCEPT_OK);
	CHECK_EQ(acc.port, e->port2);

	reseal_check(1, &c);
	reseal_check(0, &s);
	flip_all(1, &c, &cs, NULL, 0);
	flip_all(0, &s, &ss_segs, NULL, 0);
}

/* Start-Time of owampd, read in the clear from the open capture. */
static uint64_t owampd_start_time(void)
{
	struct codec_server_start ss;

	load_capture("perfsonar-owamp-open.pcap", 1, XW_MODE_OPEN);
	if (t_failed())
		return 0;
	if (codec_server_start_decode(&ss, cap.st.s2c.data + XW_GREETING_LEN, XW_SERVER_START_LEN))
		return 0;
	return ss.start_time;
}

TEST(owamp_auth)
{
	static const struct ow_expect e = {"perfsonar-owamp-auth.pcap", XW_MODE_AUTH, 48699, 49023};
	uint64_t t0 = owampd_start_time();

	CHECK(t0 != 0);
	owamp_capture(&e, t0);
}

TEST(owamp_encrypted)
{
	static const struct ow_expect e = {"perfsonar-owamp-encrypted.pcap", XW_MODE_ENCRYPTED,
					   51004, 57535};
	uint64_t t0 = owampd_start_time();

	CHECK(t0 != 0);
	owamp_capture(&e, t0);
}

/* A wrong passphrase must not get past the Token (the challenge check). */
TEST(wrong_passphrase_rejected)
{
	struct xw_session_keys k;
	uint8_t kek[XW_AES_KEY_LEN];

	load_capture(TW_ENC.file, 0, TW_ENC.mode);
	if (t_failed())
		return;
	CHECK_EQ(xw_pbkdf2_sha1((const uint8_t *)"correct horse batterz", 21, cap.greet.salt, 16,
				cap.greet.count, kek, sizeof(kek)),
		 0);
	CHECK_EQ(xw_token_decrypt(kek, cap.greet.challenge, cap.sur.token, &k), -EACCES);
}
