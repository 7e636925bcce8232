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
 * OWAMP (every capture: open, auth, encrypted, to/from only, fixed slots):
 * each direction is framed by our codec (chan_next_len() on ciphertext,
 * Request-Session and the fetched Request-Session opened as their two HMAC
 * parts, the fetch data parts sized from the Fetch-Ack), every message
 * decoded and checked against the README, and the parts must end exactly
 * where an HMAC of everything since the previous one ends (found by trial,
 * independently of the codec).  Every test packet is verified (HMAC and
 * decryption with the SID's test keys in the secure modes) and rebuilt byte
 * for byte by our sender; another session's keys verify none.
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
#include "testpkt.h"
#include "xwamp/wire.h"

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

/*
 * What an OWAMP capture's control conversation says, read with OUR framing
 * (codec_msg_len() through chan_next_len(), on ciphertext in the secure
 * modes) and decoded message by message.
 */
#define OW_SESS_MAX 2
struct ow_conv {
	struct segs seg[2]; /* [c2s, s2c]: where each HMAC-ended part ends */
	uint32_t nreq;
	struct codec_request_tw_session req[OW_SESS_MAX];
	struct codec_ow_slot slot[OW_SESS_MAX];
	struct codec_accept_session acc[OW_SESS_MAX];
	uint32_t client_stop_n, server_stop_n;
	struct codec_ow_stop_rec client_rec, server_rec;
	int fetched;
	struct codec_fetch_session fetch;
	struct codec_fetch_ack fack;
	struct codec_request_tw_session repro;
	uint32_t nrecords;
	struct codec_ow_record rec[8];
};

/* Open the next @n octets of the direction: returns the plaintext (static) or NULL. */
static const uint8_t *ow_open(struct chan *ch, const uint8_t *data, size_t *off, size_t len,
			      size_t n, struct segs *sg)
{
	static uint8_t pt[PT_MAX];

	if (!n || n > PT_MAX || *off + n > len || sg->n >= MSG_MAX)
		return NULL;
	memcpy(pt, data + *off, n);
	if (chan_open(ch, pt, n))
		return NULL;
	*off += n;
	sg->end[sg->n++] = *off;
	return pt;
}

static void ow_read_c2s(struct ow_conv *cv)
{
	const uint8_t *data = cap.st.c2s.data, *pt;
	size_t len = cap.st.c2s.len, off = XW_SETUP_RESPONSE_LEN;
	uint8_t whole[PT_MAX];
	struct chan ch;
	int n;

	CHECK_EQ(chan_init(&ch, CHAN_ROLE_SERVER, cap.mode, &cap.keys, cap.sur.client_iv,
			   cap.ss.server_iv),
		 0);
	while (off < len && !t_failed()) {
		n = chan_next_len(&ch, CODEC_MSG_OW_CLIENT_COMMAND, data + off, len - off);
		CHECK(n > 0);
		if (n <= 0)
			break;
		if (chan_peek_cmd(&ch, data + off, len - off) == XW_CMD_REQUEST_SESSION) {
			struct codec_request_session rs;

			/* two HMAC parts (RFC 4656 3.5), opened one after the other */
			pt = ow_open(&ch, data, &off, len, CODEC_OW_REQUEST_HMAC1_END, &cv->seg[0]);
			CHECK(pt != NULL);
			if (!pt)
				break;
			memcpy(whole, pt, CODEC_OW_REQUEST_HMAC1_END);
			pt = ow_open(&ch, data, &off, len, (size_t)n - CODEC_OW_REQUEST_HMAC1_END,
				     &cv->seg[0]);
			CHECK(pt != NULL);
			if (!pt)
				break;
			memcpy(whole + CODEC_OW_REQUEST_HMAC1_END, pt,
			       (size_t)n - CODEC_OW_REQUEST_HMAC1_END);
			CHECK_EQ(codec_request_session_decode(&rs, whole, (size_t)n), 0);
			CHECK(cv->nreq < OW_SESS_MAX);
			CHECK_EQ(rs.f.num_slots, 1);
			if (t_failed())
				break;
			cv->req[cv->nreq] = rs.f;
			codec_ow_slot_at(&rs, 0, &cv->slot[cv->nreq]);
			cv->nreq++;
			continue;
		}
		pt = ow_open(&ch, data, &off, len, (size_t)n, &cv->seg[0]);
		CHECK(pt != NULL);
		if (!pt)
			break;
		switch (pt[0]) {
		case XW_CMD_START_SESSIONS:
			CHECK_EQ(codec_start_sessions_decode(pt, (size_t)n), 0);
			break;
		case XW_CMD_STOP_SESSIONS: {
			struct codec_ow_stop st;
			size_t ro = 0;

			CHECK_EQ(codec_ow_stop_sessions_decode(&st, pt, (size_t)n), 0);
			CHECK_EQ(st.accept, 0);
			cv->client_stop_n = st.num_sessions;
			if (st.num_sessions) {
				codec_ow_stop_rec_at(&st, &ro, &cv->client_rec);
				cv->client_rec.skip_bytes = NULL;
			}
			break;
		}
		case XW_CMD_FETCH_SESSION:
			CHECK_EQ(codec_fetch_session_decode(&cv->fetch, pt, (size_t)n), 0);
			cv->fetched = 1;
			break;
		default:
			CHECK(!"unexpected client command");
		}
	}
	CHECK_EQ(off, len);
	chan_fini(&ch);
}

static void ow_read_s2c(struct ow_conv *cv)
{
	const uint8_t *data = cap.st.s2c.data, *pt;
	size_t len = cap.st.s2c.len, off = XW_GREETING_LEN + XW_SERVER_START_LEN, i;
	uint8_t ss[XW_SERVER_START_LEN];
	struct chan ch;
	int n;

	CHECK_EQ(chan_init(&ch, CHAN_ROLE_CLIENT, cap.mode, &cap.keys, cap.sur.client_iv,
			   cap.ss.server_iv),
		 0);
	memcpy(ss, data + XW_GREETING_LEN, sizeof(ss));
	CHECK_EQ(chan_open_server_start(&ch, ss), 0);
	for (i = 0; i < cv->nreq; i++) {
		CHECK_EQ(chan_next_len(&ch, CODEC_MSG_ACCEPT_SESSION, data + off, len - off), 48);
		pt = ow_open(&ch, data, &off, len, 48, &cv->seg[1]);
		CHECK(pt != NULL);
		if (!pt)
			goto out;
		CHECK_EQ(codec_accept_session_decode(&cv->acc[i], cap.mode, pt, 48), 0);
		CHECK_EQ(cv->acc[i].accept, 0);
	}
	pt = ow_open(&ch, data, &off, len, XW_START_ACK_LEN, &cv->seg[1]);
	CHECK(pt && pt[0] == XW_ACCEPT_OK);
	n = chan_next_len(&ch, CODEC_MSG_OW_STOP_SESSIONS, data + off, len - off);
	CHECK(n > 0);
	pt = ow_open(&ch, data, &off, len, (size_t)(n > 0 ? n : 0), &cv->seg[1]);
	CHECK(pt != NULL);
	if (!pt)
		goto out;
	{
		struct codec_ow_stop st;
		size_t ro = 0;

		CHECK_EQ(codec_ow_stop_sessions_decode(&st, pt, (size_t)n), 0);
		cv->server_stop_n = st.num_sessions;
		if (st.num_sessions) {
			codec_ow_stop_rec_at(&st, &ro, &cv->server_rec);
			cv->server_rec.skip_bytes = NULL;
		}
	}
	if (!cv->fetched)
		goto out;
	CHECK_EQ(chan_next_len(&ch, CODEC_MSG_FETCH_ACK, data + off, len - off),
		 CODEC_FETCH_ACK_LEN);
	pt = ow_open(&ch, data, &off, len, CODEC_FETCH_ACK_LEN, &cv->seg[1]);
	CHECK(pt != NULL);
	if (!pt)
		goto out;
	CHECK_EQ(codec_fetch_ack_decode(&cv->fack, pt, CODEC_FETCH_ACK_LEN), 0);
	if (cv->fack.accept)
		goto out;
	/* the session data: Request-Session reproduction (two parts), skip ranges, records */
	{
		uint8_t whole[PT_MAX];
		struct codec_request_session rs;

		pt = ow_open(&ch, data, &off, len, CODEC_OW_REQUEST_HMAC1_END, &cv->seg[1]);
		CHECK(pt != NULL);
		if (!pt)
			goto out;
		memcpy(whole, pt, CODEC_OW_REQUEST_HMAC1_END);
		n = (int)CODEC_OW_REQUEST_LEN(get_be32(whole + 4));
		pt = ow_open(&ch, data, &off, len, (size_t)n - CODEC_OW_REQUEST_HMAC1_END,
			     &cv->seg[1]);
		CHECK(pt != NULL);
		if (!pt)
			goto out;
		memcpy(whole + CODEC_OW_REQUEST_HMAC1_END, pt,
		       (size_t)n - CODEC_OW_REQUEST_HMAC1_END);
		CHECK_EQ(codec_request_session_decode(&rs, whole, (size_t)n), 0);
		cv->repro = rs.f;
	}
	pt = ow_open(&ch, data, &off, len, CODEC_OW_SKIPS_PART_LEN(cv->fack.num_skips),
		     &cv->seg[1]);
	CHECK(pt != NULL);
	CHECK(cv->fack.num_records <= 8);
	if (t_failed())
		goto out;
	pt = ow_open(&ch, data, &off, len, CODEC_OW_RECORDS_PART_LEN(cv->fack.num_records),
		     &cv->seg[1]);
	CHECK(pt != NULL);
	if (!pt)
		goto out;
	cv->nrecords = cv->fack.num_records;
	for (i = 0; i < cv->nrecords; i++)
		codec_ow_record_decode(&cv->rec[i], pt + i * CODEC_OW_RECORD_LEN);
out:
	CHECK_EQ(off, len);
	chan_fini(&ch);
}

/*
 * The test packets of every session of the capture: decoded (open) or
 * HMAC-checked and decrypted with the session's test keys (secure, keys from
 * the SID: RFC 4656 4.1.2), and our sender builds each one byte for byte
 * (padding 0 in these captures, so the whole packet, HMAC included).
 */
static void ow_check_test_packets(const struct ow_conv *cv, enum xw_tp_mode tpm, size_t pkt_len)
{
	uint32_t i, seq, n = 0;
	size_t u;

	for (i = 0; i < cv->nreq; i++) {
		const struct codec_request_tw_session *rq = &cv->req[i];
		/* RFC 4656 3.5: the receiving side chooses the SID */
		const uint8_t *sid = rq->conf_receiver ? cv->acc[i].sid : rq->sid;
		uint16_t sport = rq->conf_receiver ? rq->sender_port : cv->acc[i].port;
		uint16_t dport = rq->conf_receiver ? cv->acc[i].port : rq->receiver_port;
		struct xw_tp_cfg cfg = {
			.mode = tpm, .padding_len = rq->padding_len, .zero_padding = 1};
		struct xw_tp_crypto c = {0};
		uint8_t out[256];

		if (tpm != XW_TP_OPEN)
			CHECK_EQ(xw_tp_crypto_init_sid(&c, &cap.keys, sid), 0);
		CHECK_EQ(xw_tp_sender_len(&cfg), pkt_len);
		for (u = 0, seq = 0; u < cap.pc.n_udp; u++) {
			const struct xw_pcap_udp *p = &cap.pc.udp[u];
			struct xw_tp_sender f;

			if (p->sport != sport || p->dport != dport)
				continue;
			CHECK_EQ(p->len, pkt_len);
			CHECK_EQ(p->ttl, 255); /* RFC 4656 4.1.2 SHOULD */
			CHECK_EQ(xw_tp_parse_sender(&cfg, tpm == XW_TP_OPEN ? NULL : &c, p->data,
						    p->len, pkt_len, &f),
				 0);
			CHECK_EQ(f.seq, seq);
			CHECK_EQ(f.errest, 0x0001);
			CHECK_EQ(xw_tp_build_sender(&cfg, tpm == XW_TP_OPEN ? NULL : &c, &f, NULL,
						    out, sizeof(out)),
				 (int)pkt_len);
			CHECK_MEM(out, p->data, pkt_len);
			seq++;
			n++;
		}
		CHECK_EQ(seq, rq->num_packets);
		if (tpm != XW_TP_OPEN && cap.pc.n_udp) {
			/* another session's keys verify nothing */
			struct xw_tp_crypto o = {0};
			uint8_t bad[16];
			struct xw_tp_sender f;

			memcpy(bad, sid, 16);
			bad[15] ^= 1;
			CHECK_EQ(xw_tp_crypto_init_sid(&o, &cap.keys, bad), 0);
			for (u = 0; u < cap.pc.n_udp; u++)
				if (cap.pc.udp[u].sport == sport && cap.pc.udp[u].dport == dport)
					CHECK_EQ(xw_tp_parse_sender(&cfg, &o, cap.pc.udp[u].data,
								    cap.pc.udp[u].len, pkt_len, &f),
						 XW_TP_E_HMAC);
			xw_tp_crypto_free(&o);
		}
		xw_tp_crypto_free(&c);
	}
	CHECK_EQ(n, cap.pc.n_udp);
}

struct ow_expect {
	const char *file;
	uint32_t mode;
	uint32_t nsess;	   /* Request-Sessions */
	int to, from;	   /* -t / -f sessions */
	uint8_t slot_type; /* CODEC_SLOT_EXP or _FIXED */
	uint64_t slot_param;
	int fetched;
	int same_owampd; /* served by the owampd of the open capture */
};

static void owamp_capture(const struct ow_expect *e, uint64_t start_time)
{
	static struct dir_result c, s;
	static struct segs cs, ss_segs;
	static struct ow_conv cv;
	struct codec_server_start ss;
	uint32_t i;

	load_capture(e->file, 1, e->mode);
	if (t_failed())
		return;
	memset(&cv, 0, sizeof(cv));
	ow_read_c2s(&cv);
	ow_read_s2c(&cv);
	if (t_failed())
		return;

	/* our framing ends every part exactly where an HMAC ends (found by trial) */
	if (e->mode != XW_MODE_OPEN) {
		find_segs(1, &cs);
		find_segs(0, &ss_segs);
		CHECK_EQ(cs.n, cv.seg[0].n);
		CHECK_MEM(cs.end, cv.seg[0].end, cs.n * sizeof(cs.end[0]));
		CHECK_EQ(ss_segs.n, cv.seg[1].n);
		CHECK_MEM(ss_segs.end, cv.seg[1].end, ss_segs.n * sizeof(ss_segs.end[0]));
	}

	/* the conversation, as captures/README.md describes it */
	CHECK_EQ(cv.nreq, e->nsess);
	for (i = 0; i < cv.nreq; i++) {
		CHECK_EQ(cv.req[i].num_packets, 5);
		CHECK_EQ(cv.slot[i].type, e->slot_type);
		CHECK_EQ(cv.slot[i].param, e->slot_param);
		CHECK_EQ(cv.req[i].padding_len, 0);
	}
	/* -t: the server receives (Conf-Receiver); -f: it sends (Conf-Sender) */
	CHECK_EQ(cv.req[0].conf_receiver, (uint8_t)e->to);
	CHECK_EQ(cv.req[e->nsess - 1].conf_sender, (uint8_t)e->from);
	/* RFC 4656 3.8: each side accounts for the send sessions it controls */
	CHECK_EQ(cv.client_stop_n, (uint32_t)e->to);
	CHECK_EQ(cv.server_stop_n, (uint32_t)e->from);
	if (e->to) {
		CHECK_EQ(cv.client_rec.next_seqno, 5);
		CHECK_EQ(cv.client_rec.num_skips, 0);
		CHECK_MEM(cv.client_rec.sid, cv.acc[0].sid, 16);
	}
	if (e->from) {
		CHECK_EQ(cv.server_rec.next_seqno, 5);
		CHECK_MEM(cv.server_rec.sid, cv.req[e->nsess - 1].sid, 16);
	}
	CHECK_EQ(cv.fetched, e->fetched);
	if (e->fetched) {
		CHECK_EQ(cv.fetch.begin_seq, CODEC_FETCH_ALL_BEGIN);
		CHECK_EQ(cv.fetch.end_seq, CODEC_FETCH_ALL_END);
		CHECK_MEM(cv.fetch.sid, cv.acc[0].sid, 16);
		CHECK_EQ(cv.fack.accept, 0);
		CHECK(cv.fack.finished);
		CHECK_EQ(cv.fack.next_seqno, 5);
		CHECK_EQ(cv.nrecords, 5);
		/* the reproduction has the ports used and the SID */
		CHECK_EQ(cv.repro.receiver_port, cv.acc[0].port);
		CHECK_EQ(cv.repro.sender_port, cv.req[0].sender_port);
		CHECK_MEM(cv.repro.sid, cv.acc[0].sid, 16);
		for (i = 0; i < cv.nrecords; i++) {
			CHECK_EQ(cv.rec[i].seq, i);
			CHECK_EQ(cv.rec[i].ttl, 255);
			CHECK(cv.rec[i].send_ts < cv.rec[i].recv_ts);
		}
	}
	ow_check_test_packets(&cv, xw_tp_mode_of(e->mode), e->mode == XW_MODE_OPEN ? 14 : 48);

	if (e->mode == XW_MODE_OPEN || t_failed())
		return;
	/* our seal reproduces the captured bytes; every flipped bit is caught where it lies */
	run_dir(1, cap.st.c2s.data, cap.st.c2s.len, &cv.seg[0], NULL, 0, 0, &c);
	CHECK_EQ(c.err, 0);
	run_dir(0, cap.st.s2c.data, cap.st.s2c.len, &cv.seg[1], NULL, 0, 0, &s);
	CHECK_EQ(s.err, 0);
	CHECK_EQ(codec_server_start_decode(&ss, s.ss_pt, sizeof(s.ss_pt)), 0);
	if (e->same_owampd) /* decrypted == the open capture's clear one */
		CHECK_EQ(ss.start_time, start_time);
	else /* another owampd instance: a Start-Time of the same weeks, not noise */
		CHECK((ss.start_time >> 32) - (start_time >> 32) < 30 * 86400);
	CHECK_MEM(s.ss_pt + 40, (const uint8_t[8]){0}, 8);
	reseal_check(1, &c);
	reseal_check(0, &s);
	if (!strcmp(e->file, "perfsonar-owamp-auth.pcap") ||
	    !strcmp(e->file, "perfsonar-owamp-encrypted.pcap")) {
		flip_all(1, &c, &cv.seg[0], NULL, 0);
		flip_all(0, &s, &cv.seg[1], NULL, 0);
	}
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

#define MEAN_01 0x199999a0ull /* 0.1 s */
#define FIX_005 0x0cccccccull /* 0.05 s, truncated */

static void owamp_case(const struct ow_expect *e)
{
	uint64_t t0 = owampd_start_time();

	CHECK(t0 != 0);
	owamp_capture(e, t0);
}

TEST(owamp_open_both)
{
	static const struct ow_expect e = {
		"perfsonar-owamp-open.pcap", XW_MODE_OPEN, 2, 1, 1, CODEC_SLOT_EXP, MEAN_01, 1, 0};
	owamp_case(&e);
}

TEST(owamp_open_to)
{
	static const struct ow_expect e = {"perfsonar-owamp-open-to.pcap",
					   XW_MODE_OPEN,
					   1,
					   1,
					   0,
					   CODEC_SLOT_EXP,
					   MEAN_01,
					   1,
					   0};
	owamp_case(&e);
}

TEST(owamp_open_from)
{
	static const struct ow_expect e = {"perfsonar-owamp-open-from.pcap",
					   XW_MODE_OPEN,
					   1,
					   0,
					   1,
					   CODEC_SLOT_EXP,
					   MEAN_01,
					   0,
					   0};
	owamp_case(&e);
}

TEST(owamp_auth)
{
	static const struct ow_expect e = {
		"perfsonar-owamp-auth.pcap", XW_MODE_AUTH, 2, 1, 1, CODEC_SLOT_EXP, MEAN_01, 1, 1};
	owamp_case(&e);
}

TEST(owamp_encrypted)
{
	static const struct ow_expect e = {"perfsonar-owamp-encrypted.pcap",
					   XW_MODE_ENCRYPTED,
					   2,
					   1,
					   1,
					   CODEC_SLOT_EXP,
					   MEAN_01,
					   1,
					   1};
	owamp_case(&e);
}

TEST(owamp_encrypted_fixed)
{
	static const struct ow_expect e = {"perfsonar-owamp-enc-fixed.pcap",
					   XW_MODE_ENCRYPTED,
					   2,
					   1,
					   1,
					   CODEC_SLOT_FIXED,
					   FIX_005,
					   1,
					   0};
	owamp_case(&e);
}

TEST(owamp_auth_to_fixed)
{
	static const struct ow_expect e = {"perfsonar-owamp-auth-to-fixed.pcap",
					   XW_MODE_AUTH,
					   1,
					   1,
					   0,
					   CODEC_SLOT_FIXED,
					   FIX_005,
					   1,
					   0};
	owamp_case(&e);
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
