// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP-Control server state machine (srv.h).
 *
 * Input is framed with chan_next_len() (the length of the next message,
 * decrypting a copy of its first block in the secure modes), opened with
 * chan_open() (decrypt + HMAC check), then handed to the handler that the
 * table srv_table[state][message] names.  A NULL entry means "this command
 * is not allowed now": the connection is closed (RFC 4656 3.4: while
 * conducting active measurements, the only command available is
 * Stop-Sessions).  Replies are encoded by codec, sealed by chan and queued
 * in tx for the caller to send.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "codec.h"
#include "crypto.h"
#include "log.h"
#include "schedule.h"
#include "srv.h"
#include "testpkt.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

/* The messages a server receives: the table's second index. */
enum srv_msg {
	SRV_MSG_SETUP,
	SRV_MSG_REQUEST_TW,
	SRV_MSG_START,
	SRV_MSG_STOP,
	SRV_MSG_START_N,
	SRV_MSG_STOP_N,
	/*
	 * A command number TWAMP does not expect here but whose length is
	 * known (the OWAMP Request-Session, 1), so we can answer it with
	 * Accept-Session Accept 3 (RFC 5357 3.5) and stay in step.
	 */
	SRV_MSG_FOREIGN,
	/* OWAMP's own commands (RFC 4656 3.5, 3.8, 3.9) */
	SRV_MSG_REQUEST_OW,
	SRV_MSG_STOP_OW,
	SRV_MSG_FETCH,
	SRV_NMSGS,
};

/* Fetch-Session records per step: 16000 octets, whole blocks (16 records are 25). */
#define SRV_FETCH_STEP 640u
#define SRV_FETCH_LOW  (2 * SRV_FETCH_STEP * CODEC_OW_RECORD_LEN)

/* Largest message we buffer: a Start-N/Stop-N with CODEC_N_SESSIONS_MAX SIDs. */
#define SRV_RX_MAX CODEC_N_MAX_LEN

/*
 * Input a client may send in SRV_WAIT_KEY, before our Server-Start: it has
 * no reason to send anything then, but may pipeline its first commands.
 */
#define SRV_HOLD_MAX 4096u

/* Modes bits this implementation knows (RFC 4656, 5618, 5938, 6038, 7717). */
#define SRV_KNOWN_MODES 0xffu

struct srv {
	struct srv_cfg cfg;
	struct srv_ops ops;
	void *arg;
	char peer[64];
	char what[80];		  /* "control PEER", for the rate limiter's summary line */
	struct xw_ratelimit rl;	  /* warnings the client can repeat at will... */
	struct xw_ratelimit *rlp; /* ...this one, or cfg.log_rl shared by the client's */
	enum srv_state state;
	enum srv_close why;
	uint32_t mode; /* the client's Mode, feature bits included */
	uint8_t challenge[16];
	uint8_t salt[16];
	struct xw_session_keys keys; /* control session keys, for the test keys */
	int have_keys;
	struct chan chan;
	int chan_up;

	uint8_t *rx; /* grown to the message being received (srv_rx_room), within rx_limit */
	size_t rx_cap;
	size_t rx_len;
	size_t rx_need;	 /* length of the message being received; 0: not known yet */
	size_t rx_plain; /* OWAMP: octets of rx already opened (chan_open_more), plaintext */
	size_t rx_limit; /* OWAMP: the longest the message may be, once its first block is in */
	/*
	 * OWAMP Request-Session with more schedule slots than cfg.ow_max_slots:
	 * its fixed part is read and checked (sink_part1), then the slots and
	 * the second HMAC stream through the channel without being kept
	 * (sink_left octets to go), and it is refused with Accept 4.
	 */
	uint64_t sink_left;
	uint32_t sink_slots;
	int sink_part1;
	/*
	 * OWAMP Fetch-Session answer being sent (RFC 4656 3.9): its records
	 * are sealed and queued SRV_FETCH_STEP at a time as the caller takes
	 * our output (fetch_pump), so tx stays near SRV_FETCH_LOW whatever the
	 * number of records.  Input meanwhile is held (hold_input).
	 */
	struct ow_fetch fetch;
	int fetching;
	int fetch_ended; /* SERVWAIT restarts at the next srv_timeout() (its now) */

	uint8_t *tx;
	size_t tx_off, tx_len, tx_cap;

	struct srv_sess **sess; /* accepted sessions, in request order */
	unsigned int nsess, sess_cap;
	unsigned int nactive;
	unsigned int nexpired;	 /* ended by REFWAIT since the last Stop-Sessions */
	size_t expired_stop_len; /* OWAMP: their Stop-Sessions records at most (ow_stop_limit) */

	uint64_t idle_since; /* SERVWAIT counts from here */
	/* OWAMP while testing: when Stop-Sessions is due (ow_complete_ns), wall ns */
	uint64_t ow_stop_due;

	/* Set-Up-Response from on_setup() to setup_finish() (SRV_WAIT_KEY in between) */
	struct codec_setup_response setup;
	uint8_t *held; /* input received in SRV_WAIT_KEY, SRV_HOLD_MAX octets when set */
	size_t held_len;
};

typedef void (*srv_handler)(struct srv *s, uint8_t *msg, size_t len, uint64_t now);

/* ---- small helpers ------------------------------------------------------- */

const char *srv_state_name(enum srv_state st)
{
	static const char *const names[] = {
		[SRV_WAIT_SETUP] = "wait-setup", [SRV_WAIT_KEY] = "wait-key",
		[SRV_READY] = "ready",		 [SRV_TESTING] = "testing",
		[SRV_CLOSED] = "closed",	 [SRV_WAIT_SA] = "wait-sa",
	};

	if ((unsigned int)st < SRV_NSTATES && names[st])
		return names[st];
	return "?";
}

const char *srv_close_name(enum srv_close why)
{
	static const char *const names[] = {
		[SRV_CLOSE_NONE] = "open",
		[SRV_CLOSE_PEER] = "client closed",
		[SRV_CLOSE_TRUNCATED] = "client closed mid-message",
		[SRV_CLOSE_CLIENT_MODE0] = "client chose Mode 0",
		[SRV_CLOSE_MODE] = "mode not offered",
		[SRV_CLOSE_AUTH] = "authentication failed",
		[SRV_CLOSE_HMAC] = "HMAC mismatch",
		[SRV_CLOSE_PROTO] = "protocol error",
		[SRV_CLOSE_REFUSED] = "command refused",
		[SRV_CLOSE_TIMEOUT] = "SERVWAIT expired",
		[SRV_CLOSE_LOCAL] = "closed locally",
		[SRV_CLOSE_INTERNAL] = "internal error",
		[SRV_CLOSE_NO_SA] = "no IPsec SA pair protects it",
	};

	if ((unsigned int)why < sizeof(names) / sizeof(names[0]) && names[why])
		return names[why];
	return "?";
}

/* KeyID for log lines: printable ASCII up to the first NUL, others as '?'. */
static void keyid_str(const uint8_t keyid[XW_KEYID_LEN], char *out, size_t cap)
{
	size_t i;

	for (i = 0; i < XW_KEYID_LEN && i + 1 < cap && keyid[i]; i++)
		out[i] = (keyid[i] >= 0x20 && keyid[i] < 0x7f) ? (char)keyid[i] : '?';
	out[i] = '\0';
}

/* RFC 7717 5.3 KeyID for log lines: "SPIi/SPIr" in hex (16 digits each). */
static void spis_str(const uint8_t keyid[XW_KEYID_LEN], char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16 && o + 3 < cap; i++) {
		if (i == 8)
			out[o++] = '/';
		out[o++] = hex[keyid[i] >> 4];
		out[o++] = hex[keyid[i] & 15];
	}
	out[o] = '\0';
}

bool srv_log_ok(struct srv *s, uint64_t now_ns)
{
	return xw_ratelimit_ok(s->rlp, now_ns, s->what);
}

/*
 * A warning about a command the client may repeat as often as it likes on
 * one connection (a refused Request-TW-Session is 112 octets): at most
 * XW_RATELIMIT_BURST lines a second, then a count (log.h).
 */
static void __attribute__((format(printf, 3, 4)))
warn_rl(struct srv *s, uint64_t now, const char *fmt, ...)
{
	va_list ap;

	if (!srv_log_ok(s, now))
		return;
	va_start(ap, fmt);
	xw_vlog(XW_LOG_WARN, fmt, ap);
	va_end(ap);
}

static int out_append(struct srv *s, const uint8_t *p, size_t n)
{
	if (s->tx_off && s->tx_off == s->tx_len)
		s->tx_off = s->tx_len = 0;
	if (s->tx_len + n > s->tx_cap) {
		size_t cap = s->tx_cap ? s->tx_cap : 256;
		uint8_t *t;

		while (cap < s->tx_len + n)
			cap *= 2;
		t = realloc(s->tx, cap);
		if (!t)
			return -ENOMEM;
		s->tx = t;
		s->tx_cap = cap;
	}
	memcpy(s->tx + s->tx_len, p, n);
	s->tx_len += n;
	return 0;
}

static void sess_free(struct srv_sess *ss)
{
	free(ss->ow_req);
	free(ss->ow_skips);
	xw_wipe(ss, sizeof(*ss));
	free(ss);
}

static void sess_remove(struct srv *s, unsigned int i)
{
	if (s->sess[i]->started)
		s->nactive--;
	sess_free(s->sess[i]);
	memmove(&s->sess[i], &s->sess[i + 1], (s->nsess - i - 1) * sizeof(s->sess[0]));
	s->nsess--;
}

static int sess_index(const struct srv *s, const uint8_t sid[XW_SID_LEN])
{
	unsigned int i;

	for (i = 0; i < s->nsess; i++)
		if (!memcmp(s->sess[i]->sid, sid, XW_SID_LEN))
			return (int)i;
	return -1;
}

/* Hands session i back to the caller and forgets it. */
static void sess_end(struct srv *s, unsigned int i, enum srv_end why, uint64_t now)
{
	s->ops.sess_end(s->arg, s->sess[i], why, now);
	sess_remove(s, i);
}

/* Room for n octets of input in rx (the octets held so far are kept). */
static int rx_room(struct srv *s, size_t n)
{
	return xw_wipe_grow(&s->rx, &s->rx_cap, s->rx_len, n);
}

/* The message in rx is done with: wiped; a buffer grown for a long one is given back. */
static void rx_reset(struct srv *s)
{
	if (s->rx)
		xw_wipe(s->rx, s->rx_len);
	if (s->rx_cap > SRV_RX_MAX) {
		xw_wipe(s->rx, s->rx_cap);
		free(s->rx);
		s->rx = NULL;
		s->rx_cap = 0;
	}
	s->rx_len = s->rx_need = s->rx_plain = s->rx_limit = 0;
}

static void held_free(struct srv *s)
{
	if (s->held) {
		xw_wipe(s->held, SRV_HOLD_MAX);
		free(s->held);
	}
	s->held = NULL;
	s->held_len = 0;
}

/*
 * The connection ends: every session still held goes back to the caller,
 * secrets are wiped.  Whatever was queued before stays queued (a refusing
 * Server-Start, a last Accept-Session) so the caller can still flush it.
 */
static void shut(struct srv *s, enum srv_close why, uint64_t now)
{
	if (s->state == SRV_CLOSED)
		return;
	s->state = SRV_CLOSED;
	s->why = why;
	while (s->nsess)
		sess_end(s, s->nsess - 1, SRV_END_CLOSE, now);
	if (s->chan_up) {
		chan_fini(&s->chan);
		s->chan_up = 0;
	}
	xw_wipe(&s->keys, sizeof(s->keys));
	s->have_keys = 0;
	/* a handler may still hold s->rx: wiped here, given back by srv_feed after it */
	if (s->rx)
		xw_wipe(s->rx, s->rx_len);
	s->rx_len = s->rx_need = s->rx_plain = s->rx_limit = 0;
	s->sink_left = 0;
	s->sink_part1 = 0;
	if (s->fetching)
		ow_fetch_free(&s->fetch);
	s->fetching = 0;
	xw_ratelimit_flush(s->rlp, s->what);
	xw_wipe(&s->setup, sizeof(s->setup));
	held_free(s);
	if (why == SRV_CLOSE_PEER || why == SRV_CLOSE_LOCAL || why == SRV_CLOSE_CLIENT_MODE0)
		pr_info("control %s: closed (%s)", s->peer, srv_close_name(why));
	else
		pr_warn("control %s: closing the connection (%s)", s->peer, srv_close_name(why));
	if (s->ops.closed)
		s->ops.closed(s->arg, why);
}

/* Seals (HMAC + encryption in the secure modes) and queues one message. */
static int send_msg(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	int err = chan_seal(&s->chan, msg, len);

	if (!err)
		err = out_append(s, msg, len);
	xw_wipe(msg, len);
	if (err) {
		pr_err("control %s: cannot queue a %zu-octet reply: %d", s->peer, len, err);
		shut(s, SRV_CLOSE_INTERNAL, now);
	}
	return err;
}

/* Count an Accept code sent (srv_cfg.accept_stats). */
static void count_accept(uint64_t *v, uint8_t accept)
{
	v[accept < SRV_ACCEPT_CODES - 1 ? accept : SRV_ACCEPT_CODES - 1]++;
}

static int send_accept_session(struct srv *s, const struct codec_accept_session *a, uint64_t now)
{
	if (s->cfg.accept_stats)
		count_accept(s->cfg.accept_stats->accept_session, a->accept);
	uint8_t buf[XW_ACCEPT_SESSION_LEN];
	int n = codec_accept_session_encode(a, s->mode, buf, sizeof(buf));

	if (n < 0) {
		pr_err("control %s: cannot encode Accept-Session: %d", s->peer, n);
		shut(s, SRV_CLOSE_INTERNAL, now);
		return n;
	}
	return send_msg(s, buf, (size_t)n, now);
}

static int refuse_session(struct srv *s, uint8_t accept, uint64_t now)
{
	struct codec_accept_session a = {.accept = accept};

	/* RFC 5357 3.5: on refusal Port MUST be zero; SID is unused (zero) */
	return send_accept_session(s, &a, now);
}

/* ---- connection setup (RFC 4656 3.1) -------------------------------------- */

/* Server-Start refusing the connection (no encryption: "Authenticated and
 * encrypted mode cannot be entered unless the control connection can be
 * initialized", RFC 4656 3.1; Start-Time all zeros). */
static void server_start_refuse(struct srv *s, uint8_t accept, enum srv_close why, uint64_t now)
{
	struct codec_server_start ss = {.accept = accept};
	uint8_t buf[XW_SERVER_START_LEN];

	if (s->cfg.accept_stats)
		count_accept(s->cfg.accept_stats->server_start, accept);
	if (codec_server_start_encode(&ss, buf, sizeof(buf)) == XW_SERVER_START_LEN)
		out_append(s, buf, sizeof(buf));
	shut(s, why, now);
}

int srv_key_derive(const struct srv_key_req *req, int found, const uint8_t *secret, size_t len,
		   struct srv_key_res *res)
{
	/* any fixed octets: what they derive never opens a connection (srv_key_res) */
	static const uint8_t dummy[32];
	uint8_t km[XW_SA_KEYMAT_MAX];
	struct xw_sa_pair pair;
	int err;

	if (found == 0 && (!secret || len > SRV_SECRET_MAX))
		found = -EOVERFLOW;
	if (found == 0 && req->sa_variant != XW_SA_NONE) {
		/* IPsec SA profile: the look-up gave the SA pair; the variant's keys from it */
		found = xw_sa_pair_from_secret(secret, len, &pair);
		if (!found)
			found = xw_sa_derive(req->sa_variant, req->sa_root, &pair, km, sizeof(km),
					     &len, &res->keys);
		xw_sa_pair_wipe(&pair);
		if (found == -ENOKEY) {
			/* SKEYSEED asked for, the source has none (the kernel SAD never has) */
			pr_warn("IPsec SA profile: no SKEYSEED of the IKE SA the Child SA belongs "
				"to (--sa-root ike needs the charon plugin's source): Accept 1");
			found = XW_ACCEPT_FAILURE;
		}
		if (found == -EOPNOTSUPP)
			found = XW_ACCEPT_NOT_SUPPORTED; /* logged by the key source's caller */
		if (!found && req->sa_variant != XW_SA_KEYMAT) {
			/* Alternatives 1 and 2: session keys directly, no PBKDF2 */
			res->accept = XW_ACCEPT_OK;
			return res->accept;
		}
		secret = km; /* KEYMAT: the shared secret of RFC 4656 3.1 */
	}
	if (found != 0) {
		secret = dummy;
		len = sizeof(dummy);
	}
	/* RFC 4656 3.1: kek = PBKDF2-HMAC-SHA1(secret, Salt, Count), 16 octets */
	err = xw_pbkdf2_sha1(secret, len, req->salt, sizeof(req->salt), req->count, res->kek,
			     sizeof(res->kek));
	res->accept = found ? found : err;
	xw_wipe(km, sizeof(km));
	return res->accept;
}

/* The key step done here, in srv_feed(): key_lookup, then srv_key_derive(). */
static void key_sync(struct srv *s, const struct srv_key_req *req, struct srv_key_res *res)
{
	uint8_t secret[SRV_SECRET_MAX];
	size_t slen = 0;
	int rc;

	rc = s->ops.key_lookup(s->arg, req, secret, &slen);
	srv_key_derive(req, rc, secret, slen, res);
	xw_wipe(secret, sizeof(secret));
}

/*
 * The second half of Set-Up-Response (RFC 4656 3.1), once the key step is
 * done (res: NULL in unauthenticated mode): check the Token, set up the
 * channel, send Server-Start.  s->setup holds the message's fields.
 */
static void setup_finish(struct srv *s, struct srv_key_res *res, uint64_t now)
{
	struct codec_server_start ss = {.accept = XW_ACCEPT_OK};
	uint8_t buf[XW_SERVER_START_LEN];
	char kid[XW_KEYID_LEN + 1];
	uint32_t sa_proto, sa_i, sa_r;
	int rc, trc = -EACCES;

	if (res) {
		if (s->cfg.sa_variant != XW_SA_NONE) {
			xw_sa_keyid_get(s->setup.keyid, &sa_proto, &sa_i, &sa_r);
			snprintf(kid, sizeof(kid), "SA %u/%08x/%08x", sa_proto, sa_i, sa_r);
		} else if (s->mode & XW_MODE_IKEV2_DERIV)
			spis_str(s->setup.keyid, kid, sizeof(kid)); /* RFC 7717 5.3: SPIs */
		else
			keyid_str(s->setup.keyid, kid, sizeof(kid));
		rc = res->accept;
		/*
		 * An unknown KeyID comes with a kek derived from a dummy secret
		 * (srv_key_derive): its Token is decrypted and compared all the
		 * same, so that a known and an unknown KeyID cost the same and
		 * the answer's timing does not tell which KeyIDs exist.
		 */
		if (s->cfg.sa_variant == XW_SA_ALT1 || s->cfg.sa_variant == XW_SA_ALT2) {
			/* draft 4.2.1 Figure 4: the Token proves the root key; 4.2.2: none */
			s->keys = res->keys;
			if (rc == XW_ACCEPT_OK)
				trc = s->cfg.sa_variant == XW_SA_ALT2
					      ? 0
					      : xw_sa_alt1_token_check(&s->keys, s->challenge,
								       s->setup.token);
		} else if (rc == XW_ACCEPT_OK || rc == XW_ACCEPT_FAILURE) {
			trc = xw_token_decrypt(res->kek, s->challenge, s->setup.token, &s->keys);
		}
		xw_wipe(res->kek, sizeof(res->kek));
		xw_wipe(&res->keys, sizeof(res->keys));
		if (rc < 0) {
			pr_err("control %s: key lookup failed: %d", s->peer, rc);
			rc = XW_ACCEPT_INTERNAL;
		}
		if (rc != XW_ACCEPT_OK) {
			xw_wipe(&s->keys, sizeof(s->keys));
			pr_warn("control %s: KeyID \"%s\": %s, refusing with Accept %d", s->peer,
				kid,
				rc == XW_ACCEPT_INTERNAL ? "key lookup error"
				: rc == XW_ACCEPT_NO_IKE_SA
					? "no IKE SA with these SPIs (RFC 7717 5.3)"
				: rc == XW_ACCEPT_TEMP_LIMIT ? "too many key look-ups waiting"
							     : "no shared secret",
				rc);
			server_start_refuse(s, (uint8_t)rc, SRV_CLOSE_AUTH, now);
			goto out;
		}
		if (trc == -EACCES) {
			pr_warn("control %s: KeyID \"%s\": the Token does not hold our Challenge "
				"(wrong shared secret?), refusing with Accept 1",
				s->peer, kid);
			server_start_refuse(s, XW_ACCEPT_FAILURE, SRV_CLOSE_AUTH, now);
			goto out;
		}
		if (trc) {
			pr_err("control %s: cannot decrypt the Token: %d", s->peer, trc);
			server_start_refuse(s, XW_ACCEPT_INTERNAL, SRV_CLOSE_INTERNAL, now);
			goto out;
		}
		s->have_keys = 1;
		rc = xw_random(ss.server_iv, sizeof(ss.server_iv));
		if (rc) {
			pr_err("control %s: no random Server-IV: %d", s->peer, rc);
			server_start_refuse(s, XW_ACCEPT_INTERNAL, SRV_CLOSE_INTERNAL, now);
			goto out;
		}
	}
	rc = chan_init(&s->chan, CHAN_ROLE_SERVER, s->mode, s->have_keys ? &s->keys : NULL,
		       s->setup.client_iv, ss.server_iv);
	if (rc) {
		pr_err("control %s: cannot set up the channel: %d", s->peer, rc);
		server_start_refuse(s, XW_ACCEPT_INTERNAL, SRV_CLOSE_INTERNAL, now);
		goto out;
	}
	s->chan_up = 1;
	ss.start_time = s->cfg.start_time;
	if (s->cfg.accept_stats)
		count_accept(s->cfg.accept_stats->server_start, XW_ACCEPT_OK);
	rc = codec_server_start_encode(&ss, buf, sizeof(buf));
	if (rc == XW_SERVER_START_LEN)
		rc = chan_seal_server_start(&s->chan, buf);
	if (!rc)
		rc = out_append(s, buf, sizeof(buf));
	xw_wipe(buf, sizeof(buf));
	if (rc) {
		pr_err("control %s: cannot send Server-Start: %d", s->peer, rc);
		shut(s, SRV_CLOSE_INTERNAL, now);
		goto out;
	}
	s->state = SRV_READY;
	pr_info("control %s: Mode 0x%x accepted", s->peer, s->mode);
out:
	xw_wipe(&s->setup, sizeof(s->setup));
	xw_wipe(&ss, sizeof(ss));
}

/* Draft Figures 4 and 6 into s->setup (Token: its first 16 octets). */
static int setup_sa_decode(struct srv *s, const uint8_t *msg, size_t len)
{
	struct xw_sa_setup r;
	int rc = xw_sa_setup_get(s->cfg.sa_variant, msg, len, &r);

	if (!rc && __builtin_popcount(r.mode & XW_MODE_SECURITY_MASK) > 1)
		rc = -EBADMSG; /* RFC 4656 3.1: one security mode */
	if (!rc) {
		memset(&s->setup, 0, sizeof(s->setup));
		s->setup.mode = r.mode;
		memcpy(s->setup.token, r.token, sizeof(r.token));
		memcpy(s->setup.client_iv, r.client_iv, sizeof(r.client_iv));
	}
	xw_wipe(&r, sizeof(r));
	return rc;
}

static void on_setup(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	struct srv_key_req kr;
	struct srv_key_res res;
	uint32_t sec, unoffered;
	int rc;

	if (s->cfg.sa_variant == XW_SA_ALT1 || s->cfg.sa_variant == XW_SA_ALT2)
		rc = setup_sa_decode(s, msg, len);
	else
		rc = codec_setup_response_decode(&s->setup, msg, len);
	if (rc) {
		/* more than one security bit (RFC 4656 3.1: one or zero MUST be set) */
		pr_warn("control %s: Set-Up-Response with an invalid Mode: %d", s->peer, rc);
		server_start_refuse(s, XW_ACCEPT_NOT_SUPPORTED, SRV_CLOSE_MODE, now);
		return;
	}
	/* RFC 4656 3.1: the server ignores the bits it does not know */
	s->mode = s->setup.mode & SRV_KNOWN_MODES;
	sec = s->mode & XW_MODE_SECURITY_MASK;
	if (!s->mode) {
		/* "the client indicates that it will not continue": close, no answer */
		shut(s, SRV_CLOSE_CLIENT_MODE0, now);
		return;
	}
	if (!sec) {
		/*
		 * Feature bits (or IKEv2Derived) without a security mode: not
		 * Mode 0, so the client wants to go on, but with nothing we can
		 * run (RFC 4656 3.1: exactly one security mode is chosen)
		 */
		pr_warn("control %s: Mode 0x%x chooses no security mode, refusing with Accept 3",
			s->peer, s->mode);
		server_start_refuse(s, XW_ACCEPT_NOT_SUPPORTED, SRV_CLOSE_MODE, now);
		return;
	}
	if ((s->mode & XW_MODE_IKEV2_DERIV) && sec == XW_MODE_OPEN) {
		/*
		 * RFC 7717 5.1 derives the key of the authenticated, encrypted
		 * and mixed modes; unauthenticated mode has none, so the
		 * combination means nothing: refuse rather than guess
		 */
		pr_warn("control %s: Mode 0x%x asks for an IKEv2-derived key (RFC 7717) in "
			"unauthenticated mode, refusing with Accept 3",
			s->peer, s->mode);
		server_start_refuse(s, XW_ACCEPT_NOT_SUPPORTED, SRV_CLOSE_MODE, now);
		return;
	}
	unoffered = s->mode & ~s->cfg.modes;
	if (unoffered & XW_MODE_IKEV2_DERIV) {
		/*
		 * RFC 7717 5.2: we did not set IKEv2Derived because no IKE key
		 * source is configured.  Accept 6 would claim we looked for an
		 * IKE SA; RFC 4656 3.3 Accept 3 (not supported) is the truth.
		 */
		pr_warn("control %s: client chose Mode 0x%x with IKEv2-derived keys (RFC 7717), "
			"which we do not offer (offered 0x%x): Accept 3",
			s->peer, s->mode, s->cfg.modes);
		server_start_refuse(s, XW_ACCEPT_NOT_SUPPORTED, SRV_CLOSE_MODE, now);
		return;
	}
	if (unoffered) {
		pr_warn("control %s: client chose Mode 0x%x, which has bits 0x%x we did not offer "
			"(offered 0x%x)",
			s->peer, s->mode, unoffered, s->cfg.modes);
		server_start_refuse(s, XW_ACCEPT_NOT_SUPPORTED, SRV_CLOSE_MODE, now);
		return;
	}
	if (sec == XW_MODE_OPEN) {
		setup_finish(s, NULL, now);
		return;
	}
	memset(&kr, 0, sizeof(kr));
	kr.mode = s->mode;
	kr.sa_variant = s->cfg.sa_variant;
	kr.sa_root = s->cfg.sa_root;
	kr.cls = xw_keyclass_of(s->mode, kr.sa_variant != XW_SA_NONE);
	if (kr.sa_variant != XW_SA_NONE) {
		/* draft 4.1: the keys of the SA the greeting named, whatever the KeyID says */
		xw_sa_keyid_put(s->setup.keyid, s->cfg.sa_proto, s->cfg.sa_spi_i, s->cfg.sa_spi_r);
	}
	memcpy(kr.keyid, s->setup.keyid, sizeof(kr.keyid));
	memcpy(kr.salt, s->salt, sizeof(kr.salt));
	kr.count = s->cfg.count;
	memset(&res, 0, sizeof(res));
	if (s->ops.key_start) {
		/* the caller derives the kek elsewhere and calls srv_key_done() */
		rc = s->ops.key_start(s->arg, &kr);
		if (rc == 0)
			s->state = SRV_WAIT_KEY;
		else
			res.accept = rc; /* refused at once: no kek */
	} else {
		key_sync(s, &kr, &res);
	}
	xw_wipe(&kr, sizeof(kr));
	if (s->state != SRV_WAIT_KEY)
		setup_finish(s, &res, now);
	xw_wipe(&res, sizeof(res));
}

/* Input that arrives while the key step runs waits for srv_key_done(). */
static int hold_input(struct srv *s, const uint8_t *p, size_t len, uint64_t now)
{
	uint8_t *h;

	if (!len)
		return 0;
	if (len > SRV_HOLD_MAX - s->held_len) {
		pr_warn("control %s: more than %u octets sent %s", s->peer, SRV_HOLD_MAX,
			s->fetching ? "while a Fetch-Session answer is sent"
				    : "before Server-Start");
		shut(s, SRV_CLOSE_PROTO, now);
		return -EPIPE;
	}
	h = realloc(s->held, SRV_HOLD_MAX);
	if (!h) {
		shut(s, SRV_CLOSE_INTERNAL, now);
		return -EPIPE;
	}
	s->held = h;
	memcpy(s->held + s->held_len, p, len);
	s->held_len += len;
	return 0;
}

int srv_key_done(struct srv *s, struct srv_key_res *res, uint64_t now_ns)
{
	uint8_t *h;
	size_t n;
	int rc = 0;

	if (s->state != SRV_WAIT_KEY) {
		xw_wipe(res, sizeof(*res));
		return s->state == SRV_CLOSED ? -EPIPE : -EINVAL;
	}
	setup_finish(s, res, now_ns);
	xw_wipe(res, sizeof(*res));
	if (s->state == SRV_CLOSED) {
		held_free(s);
		return -EPIPE;
	}
	/* what the client sent meanwhile, in order */
	h = s->held;
	n = s->held_len;
	s->held = NULL;
	s->held_len = 0;
	if (n)
		rc = srv_feed(s, h, n, now_ns);
	if (h) {
		xw_wipe(h, SRV_HOLD_MAX);
		free(h);
	}
	return rc;
}

/* ---- sessions (RFC 5357 3.5) --------------------------------------------- */

/* RFC 4656 3.5: IPv4 address of the server, an 8-octet timestamp, 4 random octets. */
static int make_sid(struct srv *s, uint8_t sid[XW_SID_LEN], uint64_t now)
{
	int tries, err;

	for (tries = 0; tries < 8; tries++) {
		memcpy(sid, s->cfg.sid_addr, 4);
		put_be64(sid + 4, xw_ns_to_ntp(now));
		err = xw_random(sid + 12, 4);
		if (err)
			return err;
		if (sess_index(s, sid) < 0)
			return 0;
	}
	return -EEXIST;
}

/* Room for one more session in s->sess and a zeroed session; NULL without memory. */
static struct srv_sess *sess_alloc(struct srv *s)
{
	struct srv_sess **arr;

	if (s->nsess == s->sess_cap) {
		unsigned int cap = s->sess_cap ? 2 * s->sess_cap : 4;

		arr = realloc(s->sess, cap * sizeof(*arr));
		if (!arr)
			return NULL;
		s->sess = arr;
		s->sess_cap = cap;
	}
	return calloc(1, sizeof(struct srv_sess));
}

/*
 * The steps every accepted session goes through, TWAMP or OWAMP: its SID
 * (ours when new_sid), its test keys, then the caller's sess_request.
 * Returns XW_ACCEPT_OK or the Accept code to refuse with (logged).
 */
static int sess_setup(struct srv *s, struct srv_sess *ss, int new_sid, uint64_t now)
{
	int rc = new_sid ? make_sid(s, ss->sid, now) : 0;

	/* RFC 5357 4.1.2 -> RFC 4656 4.1.2: test keys in authenticated and encrypted
	 * modes only; RFC 5618 4: mixed mode tests are unauthenticated */
	if (!rc && (s->mode & (XW_MODE_AUTH | XW_MODE_ENCRYPTED))) {
		if (xw_sa_test_keys_shared(s->cfg.sa_variant))
			ss->keys = s->keys; /* draft 4.2: one key pair for control and test */
		else
			rc = xw_test_keys_derive(&s->keys, ss->sid, &ss->keys);
		ss->has_keys = !rc;
	}
	if (rc) {
		pr_err("control %s: cannot make a SID or test keys: %d, Accept 2", s->peer, rc);
		return XW_ACCEPT_INTERNAL;
	}
	rc = s->ops.sess_request(s->arg, ss, now);
	if (rc < 0) {
		pr_err("control %s: session setup failed: %d, Accept 2", s->peer, rc);
		rc = XW_ACCEPT_INTERNAL;
	} else if (rc == XW_ACCEPT_OK && !ss->port) {
		pr_err("control %s: session accepted without a test port, Accept 2", s->peer);
		/* the caller took it (and what it opened): give it back */
		s->ops.sess_end(s->arg, ss, SRV_END_REFUSED, now);
		rc = XW_ACCEPT_INTERNAL;
	}
	return rc;
}

static void params_from_req(struct twsess_params *p, const struct codec_request_tw_session *q)
{
	memset(p, 0, sizeof(*p));
	p->ipvn = q->ipvn;
	p->conf_sender = q->conf_sender;
	p->conf_receiver = q->conf_receiver;
	p->num_slots = q->num_slots;
	p->num_packets = q->num_packets;
	p->sender_port = q->sender_port;
	p->receiver_port = q->receiver_port;
	memcpy(p->sender_addr, q->sender_addr, 16);
	memcpy(p->receiver_addr, q->receiver_addr, 16);
	p->padding_len = q->padding_len;
	p->start_time = q->start_time;
	p->timeout = q->timeout;
	p->type_p = q->type_p;
	p->octets_to_reflect = q->octets_to_reflect;
	p->pad_to_reflect = q->reflect_pad_len;
}

/*
 * RFC 6038 rules on Padding Length; 1 when the request meets them, else 0
 * after a log line (the caller answers Accept 3).
 *
 * 4.2: "The Padding Length SHALL be > the Length of padding to reflect"
 * in Reflect Octets mode.  We read it as applying to a session that asks
 * for octets to be reflected (Length of padding to reflect > 0): with 0
 * nothing is reflected and Padding Length 0 stays valid, as in RFC 5357.
 *
 * 4.3: Accept 3 when "there are insufficient octets supplied to produce
 * equal-length Session-Sender and Session-Reflector test packets".  That
 * is a requirement only where equal lengths were asked for, i.e. in
 * Symmetrical Size mode (5.1.4, 5.2.2); elsewhere RFC 5357 4.2.1 lets the
 * reflector answer with its minimum.  Lengths are those of testpkt.h,
 * whose note on RFC 5357 4.2.1 gives an authenticated/encrypted reflector
 * header of 112 octets (the diagram), not 104: with the 48 + 56 MBZ octets
 * of a symmetrical-size sender packet, Padding Length must be at least 8
 * (+ the octets to reflect) for equal sizes; in open mode at least the
 * octets to reflect.
 */
static int padding_ok(struct srv *s, const struct codec_request_tw_session *q, uint64_t now)
{
	struct xw_tp_cfg tp = {
		.padding_len = q->padding_len,
		.reflect_len = (s->mode & XW_MODE_REFLECT_OCT) ? q->reflect_pad_len : 0,
		.symmetric = !!(s->mode & XW_MODE_SYMMETRIC),
	};
	size_t sender, refl;
	int m = xw_tp_mode_of(s->mode);

	if (tp.reflect_len && q->padding_len <= tp.reflect_len) {
		warn_rl(s, now,
			"control %s: Request-TW-Session: Padding Length %u is not more than the "
			"Length of padding to reflect %u (RFC 6038 4.2), Accept 3",
			s->peer, q->padding_len, tp.reflect_len);
		return 0;
	}
	if (!tp.symmetric || m < 0)
		return 1;
	tp.mode = (enum xw_tp_mode)m;
	sender = xw_tp_sender_len(&tp);
	refl = xw_tp_reflector_len(&tp, 0); /* the reflector's minimum */
	if (sender < refl) {
		warn_rl(s, now,
			"control %s: Request-TW-Session: Padding Length %u makes %zu-octet "
			"packets, but the reflector's are at least %zu: no equal sizes in "
			"Symmetrical Size mode (RFC 6038 4.3), Accept 3",
			s->peer, q->padding_len, sender, refl);
		return 0;
	}
	return 1;
}

static void on_request(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	struct codec_request_tw_session q;
	struct codec_accept_session a = {0};
	struct srv_sess *ss;
	int rc;

	rc = codec_request_tw_session_decode(&q, s->mode, msg, len);
	if (rc) {
		/* RFC 5357 3.5: Conf-Sender/Receiver != 0 etc.: Accept 3, connection goes on */
		warn_rl(s, now, "control %s: Request-TW-Session not supported (%s), Accept 3",
			s->peer, rc == -EOPNOTSUPP ? "options TWAMP does not allow" : "malformed");
		refuse_session(s, XW_ACCEPT_NOT_SUPPORTED, now);
		return;
	}
	if (q.num_slots || q.num_packets)
		pr_debug("control %s: Request-TW-Session with %u slots, %u packets (MUST be 0), "
			 "ignored",
			 s->peer, q.num_slots, q.num_packets);
	if (!padding_ok(s, &q, now)) {
		refuse_session(s, XW_ACCEPT_NOT_SUPPORTED, now);
		return;
	}
	if (s->cfg.max_sessions && s->nsess >= s->cfg.max_sessions) {
		warn_rl(s, now,
			"control %s: Request-TW-Session: already %u sessions on this connection "
			"(limit), Accept 4",
			s->peer, s->nsess);
		refuse_session(s, XW_ACCEPT_PERM_LIMIT, now);
		return;
	}
	ss = sess_alloc(s);
	if (!ss) {
		pr_err("control %s: no memory for a session, Accept 5", s->peer);
		refuse_session(s, XW_ACCEPT_TEMP_LIMIT, now);
		return;
	}
	params_from_req(&ss->params, &q);
	ss->mode = s->mode;
	rc = sess_setup(s, ss, 1, now);
	if (rc != XW_ACCEPT_OK) {
		warn_rl(s, now, "control %s: Request-TW-Session for port %u refused, Accept %d",
			s->peer, q.receiver_port, rc);
		sess_free(ss);
		refuse_session(s, (uint8_t)(rc > 255 ? XW_ACCEPT_FAILURE : rc), now);
		return;
	}
	s->sess[s->nsess++] = ss;
	a.accept = XW_ACCEPT_OK;
	a.port = ss->port;
	memcpy(a.sid, ss->sid, XW_SID_LEN);
	if (s->mode & XW_MODE_REFLECT_OCT) {
		/* RFC 6038 4.3 */
		a.reflected_octets = q.octets_to_reflect;
		a.server_octets = ss->server_octets;
	}
	pr_debug("control %s: session %u accepted, reflector port %u", s->peer, s->nsess, a.port);
	send_accept_session(s, &a, now);
}

/* RFC 5938 3: requests while other sessions run are the point of the feature. */
static void on_request_testing(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	if (!(s->mode & XW_MODE_INDIV_SESS)) {
		pr_warn("control %s: Request-TW-Session during active measurements "
			"(RFC 4656 3.4 allows only Stop-Sessions)",
			s->peer);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	on_request(s, msg, len, now);
}

/* A command TWAMP does not expect: RFC 5357 3.5 says Accept-Session with Accept 3. */
static void on_foreign(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	warn_rl(s, now, "control %s: unexpected command %u in Mode 0x%x, Accept-Session Accept 3",
		s->peer, msg[0], s->mode);
	refuse_session(s, XW_ACCEPT_NOT_SUPPORTED, now);
}

/* ---- start / stop (RFC 4656 3.7, RFC 5357 3.7/3.8) ----------------------- */

static void send_start_ack(struct srv *s, uint8_t accept, uint64_t now)
{
	struct codec_start_ack a = {.accept = accept};
	uint8_t buf[XW_START_ACK_LEN];

	if (s->cfg.accept_stats)
		count_accept(s->cfg.accept_stats->start_ack, accept);

	if (codec_start_ack_encode(&a, buf, sizeof(buf)) != XW_START_ACK_LEN) {
		shut(s, SRV_CLOSE_INTERNAL, now);
		return;
	}
	send_msg(s, buf, sizeof(buf), now);
}

static int start_one(struct srv *s, struct srv_sess *ss, uint64_t now)
{
	int rc = XW_ACCEPT_OK;

	if (ss->started)
		return XW_ACCEPT_OK;
	if (s->ops.sess_start)
		rc = s->ops.sess_start(s->arg, ss, now);
	if (rc < 0)
		rc = XW_ACCEPT_INTERNAL;
	if (rc == XW_ACCEPT_OK) {
		ss->started = 1;
		s->nactive++;
	}
	return rc;
}

/* Packets whose schedule ow_complete_ns() walks (one AES per exponential delay). */
#define SRV_OW_WALK_MAX 16384u

static long double sqrt_ld(long double x)
{
	long double r = x > 1 ? x : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 200; i++) /* Newton: halves down to the root, then doubles digits */
		r = (r + x / r) / 2;
	return r;
}

/*
 * The time of the last packet after the Start Time (NTP 32.32 units) of a
 * schedule too long to walk: fixed slots add up exactly; the exponential
 * delays by their mean plus ten standard deviations (an exponential
 * delay's deviation is its mean), which their sum exceeds with negligible
 * probability.  A few slots' work, whatever Number of Packets.
 */
static long double ow_last_bound(const struct codec_request_session *rq)
{
	uint32_t k = rq->f.num_slots, i;
	uint64_t cycles = rq->f.num_packets / k, rest = rq->f.num_packets % k;
	long double mean = 0, var = 0;

	for (i = 0; i < k; i++) {
		struct codec_ow_slot sl;
		long double times = (long double)(cycles + (i < rest)), p;

		codec_ow_slot_at(rq, i, &sl);
		p = (long double)sl.param;
		mean += times * p;
		if (sl.type == CODEC_SLOT_EXP)
			var += times * p * p;
	}
	return mean + 10 * sqrt_ld(var);
}

/*
 * OWAMP: when session ss is complete, as RFC 4656 3.8 defines it: "Timeout
 * after the scheduled time for the last sequence number" (the schedule of
 * its Request-Session, from its Start Time).  The client's Stop-Sessions
 * is expected then.  Exact up to SRV_OW_WALK_MAX packets, a bound beyond
 * (ow_last_bound), so that a request for 2^32 packets costs no more than
 * one for a few.  Wall-clock ns; UINT64_MAX when it cannot be told.
 */
static uint64_t ow_complete_ns(const struct srv_sess *ss)
{
	struct codec_request_session rq;
	struct xw_ow_sched sch;
	uint64_t last = 0;
	long double off;

	if (!ss->ow_req || codec_request_session_decode(&rq, ss->ow_req, ss->ow_req_len))
		return UINT64_MAX;
	if (rq.f.num_packets <= SRV_OW_WALK_MAX) {
		if (xw_ow_sched_init_req(&sch, &rq, ss->sid))
			return UINT64_MAX;
		last = xw_ow_sched_time_of(&sch, rq.f.num_packets - 1);
		xw_ow_sched_fini(&sch);
	} else {
		off = ow_last_bound(&rq);
		if (off >= (long double)(UINT64_MAX - rq.f.start_time))
			return UINT64_MAX;
		last = rq.f.start_time + (uint64_t)off;
	}
	if (last < rq.f.start_time || last + rq.f.timeout < last)
		return UINT64_MAX;
	return xw_ntp_to_ns(last + rq.f.timeout);
}

static void on_start(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	unsigned int i;
	int rc;

	if (s->mode & XW_MODE_INDIV_SESS) {
		/*
		 * RFC 5938 3.1: commands 2 and 3 MUST NOT be used in this mode.
		 * The same answer before and during testing: Start-Ack 3, no
		 * session changes, the connection goes on (Start-N still works).
		 */
		warn_rl(s, now,
			"control %s: Start-Sessions under individual session control (RFC 5938 "
			"3.1), Start-Ack 3",
			s->peer);
		send_start_ack(s, XW_ACCEPT_NOT_SUPPORTED, now);
		return;
	}
	if (s->state == SRV_TESTING) {
		/* RFC 4656 3.4: while measuring, the only command is Stop-Sessions */
		pr_warn("control %s: Start-Sessions while sessions run (RFC 4656 3.4 allows only "
			"Stop-Sessions)",
			s->peer);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	rc = codec_start_sessions_decode(msg, len);
	if (rc) {
		pr_warn("control %s: malformed Start-Sessions: %d", s->peer, rc);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	for (i = 0; i < s->nsess; i++) {
		rc = start_one(s, s->sess[i], now);
		if (rc != XW_ACCEPT_OK) {
			/* RFC 4656 3.7: the server MAY close after a rejection; nothing
			 * half-started may go on measuring, so it does */
			pr_warn("control %s: session %u cannot start, Start-Ack %d", s->peer, i + 1,
				rc);
			send_start_ack(s, (uint8_t)(rc > 255 ? XW_ACCEPT_FAILURE : rc), now);
			shut(s, SRV_CLOSE_REFUSED, now);
			return;
		}
	}
	send_start_ack(s, XW_ACCEPT_OK, now);
	if (s->nactive && s->state != SRV_CLOSED)
		s->state = SRV_TESTING; /* RFC 5357 3.1: SERVWAIT suspended */
	if (s->cfg.proto == SRV_PROTO_OWAMP) {
		/* RFC 4656 3.8: Stop-Sessions is due when the last session is complete */
		s->ow_stop_due = 0;
		for (i = 0; i < s->nsess; i++) {
			uint64_t t = ow_complete_ns(s->sess[i]);

			if (t > s->ow_stop_due)
				s->ow_stop_due = t;
		}
	}
	pr_debug("control %s: %u sessions started", s->peer, s->nactive);
}

static void back_to_ready(struct srv *s, uint64_t now)
{
	if (s->state == SRV_TESTING && !s->nactive) {
		s->state = SRV_READY;
		s->idle_since = now; /* RFC 5357 3.1: SERVWAIT resumes */
	}
}

static void on_stop(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	struct codec_stop_sessions st;
	unsigned int i;
	int rc;

	if (s->mode & XW_MODE_INDIV_SESS) {
		pr_warn("control %s: Stop-Sessions under individual session control "
			"(RFC 5938 3.1 forbids it)",
			s->peer);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	rc = codec_stop_sessions_decode(&st, msg, len);
	if (rc) {
		pr_warn("control %s: malformed Stop-Sessions: %d", s->peer, rc);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	/*
	 * RFC 5357 3.8: Number of Sessions is "the number of send sessions
	 * started by the Control-Client that have not been previously
	 * terminated by a Stop-Sessions command (i.e., the Control-Client MUST
	 * account for each accepted Request-Session)": every session accepted
	 * since the last Stop-Sessions, started or not, including those we
	 * ended ourselves after REFWAIT (the client cannot know).  Any other
	 * count makes the message invalid and the connection SHOULD be closed:
	 * it is, which ends every session.
	 */
	if (st.num_sessions != s->nsess + s->nexpired) {
		pr_warn("control %s: Stop-Sessions for %u sessions, but %u were accepted (RFC "
			"5357 3.8): closing",
			s->peer, st.num_sessions, s->nsess + s->nexpired);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	if (st.accept != XW_ACCEPT_OK)
		pr_info("control %s: client stops with Accept %u: results are invalid", s->peer,
			st.accept);
	/* all of them: a session accepted but never started ends here too */
	for (i = s->nsess; i-- > 0;)
		sess_end(s, i, SRV_END_STOP, now);
	s->nexpired = 0;
	back_to_ready(s, now);
	/* TWAMP Stop-Sessions has no answer (RFC 5357 3.8) */
}

/*
 * Start-N-Ack / Stop-N-Ack: one message per distinct Accept value, each
 * listing the SIDs that got it (RFC 5938 3.3, 3.5).
 */
static void send_n_acks(struct srv *s, int start, const uint8_t *sids, const uint8_t *acc,
			uint32_t n, uint64_t now)
{
	uint8_t *done = calloc(n, 1), *grp = malloc((size_t)n * XW_SID_LEN);
	uint8_t *buf = malloc(CODEC_N_LEN(n));
	uint32_t i, j, k;
	int len;

	if (!done || !grp || !buf) {
		pr_err("control %s: no memory for an N-Ack", s->peer);
		shut(s, SRV_CLOSE_INTERNAL, now);
		goto out;
	}
	for (i = 0; i < n && s->state != SRV_CLOSED; i++) {
		struct codec_n_sessions m = {.accept = acc[i], .sids = grp};

		if (done[i])
			continue;
		for (j = i, k = 0; j < n; j++) {
			if (done[j] || acc[j] != acc[i])
				continue;
			memcpy(grp + (size_t)k * XW_SID_LEN, sids + (size_t)j * XW_SID_LEN,
			       XW_SID_LEN);
			done[j] = 1;
			k++;
		}
		m.num_sessions = k;
		len = start ? codec_start_n_ack_encode(&m, buf, CODEC_N_LEN(n))
			    : codec_stop_n_ack_encode(&m, buf, CODEC_N_LEN(n));
		if (len < 0) {
			pr_err("control %s: cannot encode an N-Ack: %d", s->peer, len);
			shut(s, SRV_CLOSE_INTERNAL, now);
			goto out;
		}
		send_msg(s, buf, (size_t)len, now);
	}
out:
	free(done);
	free(grp);
	free(buf);
}

/*
 * Start-N-Sessions and Stop-N-Sessions (RFC 5938 3.2-3.5): the same framing,
 * a per-SID Accept, acknowledged by send_n_acks().  Only the action on each
 * known SID and the state afterwards differ.
 */
static void on_n_sessions(struct srv *s, uint8_t *msg, size_t len, uint64_t now, int start)
{
	const char *what = start ? "Start-N-Sessions" : "Stop-N-Sessions";
	struct codec_n_sessions m;
	uint8_t *acc;
	uint32_t i;
	int idx, rc;

	if (!(s->mode & XW_MODE_INDIV_SESS)) {
		on_foreign(s, msg, len, now);
		return;
	}
	rc = start ? codec_start_n_sessions_decode(&m, msg, len)
		   : codec_stop_n_sessions_decode(&m, msg, len);
	if (rc) {
		pr_warn("control %s: malformed %s: %d", s->peer, what, rc);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	acc = malloc(m.num_sessions);
	if (!acc) {
		shut(s, SRV_CLOSE_INTERNAL, now);
		return;
	}
	for (i = 0; i < m.num_sessions; i++) {
		idx = sess_index(s, m.sids + (size_t)i * XW_SID_LEN);
		if (idx < 0) {
			warn_rl(s, now, "control %s: %s names an unknown SID, Accept 1", s->peer,
				what);
			acc[i] = XW_ACCEPT_FAILURE;
			continue;
		}
		if (start) {
			rc = start_one(s, s->sess[idx], now);
			acc[i] = (uint8_t)(rc > 255 ? XW_ACCEPT_FAILURE : rc);
		} else {
			sess_end(s, (unsigned int)idx, SRV_END_STOP, now);
			acc[i] = XW_ACCEPT_OK;
		}
	}
	if (start) {
		/* RFC 5938 3.6: SERVWAIT suspended while ANY session is in progress */
		if (s->nactive)
			s->state = SRV_TESTING;
	} else {
		back_to_ready(s, now);
	}
	send_n_acks(s, start, m.sids, acc, m.num_sessions, now);
	free(acc);
}

static void on_start_n(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	on_n_sessions(s, msg, len, now, 1);
}

static void on_stop_n(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	on_n_sessions(s, msg, len, now, 0);
}

/* ---- OWAMP commands (RFC 4656 3.5, 3.8, 3.9) ------------------------------- */

/* Accept-Session refusing an OWAMP Request-Session, with a rate-limited reason. */
static void ow_refuse(struct srv *s, uint8_t accept, const char *why, uint64_t now)
{
	warn_rl(s, now, "control %s: Request-Session refused (%s), Accept %u", s->peer, why,
		accept);
	refuse_session(s, accept, now);
}

static void on_ow_request(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	static const uint8_t zero_sid[XW_SID_LEN];
	struct codec_request_session q;
	struct codec_accept_session a = {0};
	struct srv_sess *ss;
	int rc;

	rc = codec_request_session_decode(&q, msg, len);
	if (rc) {
		ow_refuse(s, XW_ACCEPT_NOT_SUPPORTED,
			  rc == -EOPNOTSUPP ? "options not supported" : "malformed", now);
		return;
	}
	if (q.f.conf_sender && q.f.conf_receiver) {
		/* RFC 4656 3.5 allows asking for both; we are one of the two ends */
		ow_refuse(s, XW_ACCEPT_NOT_SUPPORTED, "both Conf-Sender and Conf-Receiver", now);
		return;
	}
	if (!q.f.num_packets) {
		ow_refuse(s, XW_ACCEPT_NOT_SUPPORTED, "Number of Packets 0", now);
		return;
	}
	if (q.f.conf_sender && !memcmp(q.f.sid, zero_sid, XW_SID_LEN)) {
		/* RFC 4656 3.5: the receiver (here the client) chooses the SID */
		ow_refuse(s, XW_ACCEPT_FAILURE, "we are to send, but the SID is zero", now);
		return;
	}
	if (q.f.conf_sender && sess_index(s, q.f.sid) >= 0) {
		ow_refuse(s, XW_ACCEPT_FAILURE, "SID already in use", now);
		return;
	}
	if (s->cfg.max_sessions && s->nsess >= s->cfg.max_sessions) {
		ow_refuse(s, XW_ACCEPT_PERM_LIMIT, "session limit of the connection", now);
		return;
	}
	ss = sess_alloc(s);
	if (ss)
		ss->ow_req = malloc(len);
	if (!ss || !ss->ow_req) {
		pr_err("control %s: no memory for a session, Accept 5", s->peer);
		if (ss)
			sess_free(ss);
		refuse_session(s, XW_ACCEPT_TEMP_LIMIT, now);
		return;
	}
	memcpy(ss->ow_req, msg, len);
	ss->ow_req_len = len;
	params_from_req(&ss->params, &q.f);
	ss->mode = s->mode;
	/* RFC 4656 3.5: the receiving side chooses the SID */
	if (!q.f.conf_receiver)
		memcpy(ss->sid, q.f.sid, XW_SID_LEN);
	rc = sess_setup(s, ss, q.f.conf_receiver, now);
	if (rc != XW_ACCEPT_OK) {
		warn_rl(s, now, "control %s: Request-Session (%s) refused, Accept %d", s->peer,
			q.f.conf_receiver ? "we receive" : "we send", rc);
		sess_free(ss);
		refuse_session(s, (uint8_t)(rc > 255 ? XW_ACCEPT_FAILURE : rc), now);
		return;
	}
	/* RFC 4656 3.9: the reproduction shows the ports actually used and the SID */
	codec_request_session_fixup(ss->ow_req, ss->ow_req_len, ss->sid,
				    q.f.conf_sender ? ss->port : q.f.sender_port,
				    q.f.conf_receiver ? ss->port : q.f.receiver_port);
	s->sess[s->nsess++] = ss;
	a.accept = XW_ACCEPT_OK;
	a.port = ss->port;
	memcpy(a.sid, ss->sid, XW_SID_LEN);
	pr_debug("control %s: OWAMP session %u accepted (%s), port %u", s->peer, s->nsess,
		 q.f.conf_receiver ? "we receive" : "we send", a.port);
	send_accept_session(s, &a, now);
}

/* The server's own Stop-Sessions: one record per send session it controls (RFC 4656 3.8). */
static int ow_send_stop(struct srv *s, uint64_t now)
{
	struct codec_ow_stop_rec *recs = NULL;
	struct codec_ow_skip *skips = NULL;
	uint32_t n = 0, i;
	uint8_t *buf = NULL;
	size_t cap;
	int len, rc = -ENOMEM;

	recs = calloc(s->nsess ? s->nsess : 1, sizeof(*recs));
	skips = calloc((size_t)(s->nsess ? s->nsess : 1) * SRV_OW_SKIPS_MAX, sizeof(*skips));
	if (!recs || !skips)
		goto out;
	for (i = 0; i < s->nsess; i++) {
		struct srv_sess *ss = s->sess[i];
		uint32_t nsk = SRV_OW_SKIPS_MAX, next = 0;

		if (!ss->params.conf_sender)
			continue;
		recs[n].skips = skips + (size_t)n * SRV_OW_SKIPS_MAX;
		if (!s->ops.ow_sent ||
		    s->ops.ow_sent(s->arg, ss, &next, (struct codec_ow_skip *)recs[n].skips, &nsk))
			nsk = 0;
		memcpy(recs[n].sid, ss->sid, XW_SID_LEN);
		recs[n].next_seqno = next;
		recs[n].num_skips = nsk > SRV_OW_SKIPS_MAX ? SRV_OW_SKIPS_MAX : nsk;
		n++;
	}
	cap = CODEC_OW_STOP_HDR_LEN + XW_HMAC_LEN +
	      (size_t)n * CODEC_OW_STOP_REC_LEN(SRV_OW_SKIPS_MAX);
	buf = malloc(cap);
	if (!buf)
		goto out;
	len = codec_ow_stop_sessions_encode(XW_ACCEPT_OK, recs, n, buf, cap);
	if (len < 0) {
		pr_err("control %s: cannot encode our Stop-Sessions: %d", s->peer, len);
		rc = len;
		goto out;
	}
	if (s->cfg.accept_stats)
		count_accept(s->cfg.accept_stats->stop_sessions, XW_ACCEPT_OK);
	rc = send_msg(s, buf, (size_t)len, now);
out:
	if (rc == -ENOMEM)
		pr_err("control %s: no memory for Stop-Sessions", s->peer);
	free(recs);
	free(skips);
	free(buf);
	return rc;
}

/*
 * The longest session description record the client may send for its send
 * session ss (RFC 4656 3.8): skip ranges are in order, disjoint and below
 * Next Seqno <= Number of Packets, so at most one per packet (and at most
 * CODEC_OW_SKIPS_MAX, our resource limit).
 */
static size_t ow_stop_rec_max(const struct srv_sess *ss)
{
	uint32_t n = ss->params.num_packets;

	return CODEC_OW_STOP_REC_LEN(n < CODEC_OW_SKIPS_MAX ? n : CODEC_OW_SKIPS_MAX);
}

/*
 * Its first block decrypted: the longest Stop-Sessions the client may send,
 * bounded by what its send sessions could have sent, not by a fixed size.
 * A Number of Sessions other than theirs is invalid at once (RFC 4656 3.8:
 * "the connection SHOULD be closed"), before the records are waited for.
 * 0 when closed.
 */
static size_t ow_stop_limit(struct srv *s, uint64_t now)
{
	size_t max = CODEC_OW_STOP_HDR_LEN + XW_HMAC_LEN + s->expired_stop_len;
	uint32_t i, nrecv = 0, num = get_be32(s->rx + 4);

	for (i = 0; i < s->nsess; i++)
		if (s->sess[i]->params.conf_receiver) {
			nrecv++;
			max += ow_stop_rec_max(s->sess[i]);
		}
	if (num != nrecv + s->nexpired) {
		pr_warn("control %s: Stop-Sessions describes %u sessions, the client sends %u: "
			"closing",
			s->peer, num, nrecv + s->nexpired);
		shut(s, SRV_CLOSE_PROTO, now);
		return 0;
	}
	return max;
}

static void on_ow_stop(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	struct codec_ow_stop st;
	struct codec_ow_stop_rec rec;
	uint32_t i, nrecv = 0, unknown = 0;
	size_t off = 0;
	int rc, idx;

	rc = codec_ow_stop_sessions_decode(&st, msg, len);
	if (rc) {
		/* RFC 4656 3.9: skip ranges out of order or overlapping: invalid */
		pr_warn("control %s: malformed Stop-Sessions (%d): closing", s->peer, rc);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	for (i = 0; i < s->nsess; i++)
		nrecv += s->sess[i]->params.conf_receiver;
	/*
	 * RFC 4656 3.8: the client "MUST account for each accepted
	 * Request-Session where Conf-Receiver was set"; "If the Stop-Sessions
	 * message does not account for exactly the send sessions controlled by
	 * that side, then it is to be considered invalid and the connection
	 * SHOULD be closed".  Sessions we ended after REFWAIT still count.
	 */
	if (st.num_sessions != nrecv + s->nexpired) {
		pr_warn("control %s: Stop-Sessions describes %u sessions, the client sends %u: "
			"closing",
			s->peer, st.num_sessions, nrecv + s->nexpired);
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	for (i = 0; i < st.num_sessions; i++) {
		codec_ow_stop_rec_at(&st, &off, &rec);
		idx = sess_index(s, rec.sid);
		if (idx < 0 || !s->sess[idx]->params.conf_receiver) {
			if (idx < 0 && ++unknown <= s->nexpired)
				continue;
			pr_warn("control %s: Stop-Sessions describes a session the client does not "
				"send: closing",
				s->peer);
			shut(s, SRV_CLOSE_PROTO, now);
			return;
		}
		if (s->sess[idx]->ow_stop_ok || rec.next_seqno > s->sess[idx]->params.num_packets) {
			pr_warn("control %s: Stop-Sessions: session described twice, or Next Seqno "
				"%u beyond its %u packets: closing",
				s->peer, rec.next_seqno, s->sess[idx]->params.num_packets);
			shut(s, SRV_CLOSE_PROTO, now);
			return;
		}
		if (rec.num_skips) {
			struct codec_ow_skip *sk = calloc(rec.num_skips, sizeof(*sk));
			uint32_t k;

			if (!sk) {
				shut(s, SRV_CLOSE_INTERNAL, now);
				return;
			}
			for (k = 0; k < rec.num_skips; k++)
				codec_ow_skip_at(rec.skip_bytes, k, &sk[k]);
			s->sess[idx]->ow_skips = sk;
		}
		s->sess[idx]->ow_nskips = rec.num_skips;
		s->sess[idx]->ow_next_seqno = rec.next_seqno;
		/* RFC 4656 3.8: with Accept != 0 the results are invalid */
		s->sess[idx]->ow_stop_ok = st.accept == XW_ACCEPT_OK;
	}
	if (st.accept != XW_ACCEPT_OK)
		pr_info("control %s: client stops with Accept %u: results are invalid", s->peer,
			st.accept);
	if (ow_send_stop(s, now))
		return;
	for (i = s->nsess; i-- > 0;)
		sess_end(s, i, SRV_END_STOP, now);
	s->nexpired = 0;
	s->expired_stop_len = 0;
	back_to_ready(s, now);
}

/*
 * Queues the records of the Fetch-Session answer being sent while less than
 * SRV_FETCH_LOW octets wait: SRV_FETCH_STEP records at a time, all but the
 * last step sealed as whole blocks (chan_seal_more), the last one padded
 * and ended by the part's HMAC (RFC 4656 3.9).  Then the input held
 * meanwhile is processed.
 */
static void fetch_pump(struct srv *s, uint64_t now)
{
	struct codec_ow_record r[SRV_FETCH_STEP];
	uint8_t buf[CODEC_OW_RECORDS_PART_LEN(SRV_FETCH_STEP)];
	uint8_t *h;
	size_t n;
	uint32_t got, i;
	int last, len;

	while (s->fetching && s->tx_len - s->tx_off < SRV_FETCH_LOW) {
		last = s->fetch.left <= SRV_FETCH_STEP;
		got = ow_fetch_next(&s->fetch, r, SRV_FETCH_STEP);
		if (last) {
			len = codec_ow_records_part_encode(r, got, buf, sizeof(buf));
			if (len < 0 || s->fetch.left) {
				shut(s, SRV_CLOSE_INTERNAL, now);
				return;
			}
			if (send_msg(s, buf, (size_t)len, now))
				return;
			pr_debug("control %s: Fetch-Session: %u records sent", s->peer,
				 s->fetch.ack.num_records);
			ow_fetch_free(&s->fetch);
			s->fetching = 0;
			s->fetch_ended = 1;
			break;
		}
		if (got != SRV_FETCH_STEP) {
			pr_err("control %s: Fetch-Session: %u records where %u were due", s->peer,
			       got, SRV_FETCH_STEP);
			shut(s, SRV_CLOSE_INTERNAL, now);
			return;
		}
		for (i = 0; i < got; i++)
			codec_ow_record_encode(&r[i], buf + (size_t)i * CODEC_OW_RECORD_LEN);
		len = (int)(got * CODEC_OW_RECORD_LEN);
		if (chan_seal_more(&s->chan, buf, (size_t)len) || out_append(s, buf, (size_t)len)) {
			shut(s, SRV_CLOSE_INTERNAL, now);
			return;
		}
	}
	if (s->fetching || !s->held)
		return;
	/* the commands that came meanwhile, in order */
	h = s->held;
	n = s->held_len;
	s->held = NULL;
	s->held_len = 0;
	srv_feed(s, h, n, now);
	xw_wipe(h, SRV_HOLD_MAX);
	free(h);
}

static void on_fetch(struct srv *s, uint8_t *msg, size_t len, uint64_t now)
{
	struct codec_fetch_session f;
	struct ow_fetch out = {0};
	uint8_t ack[CODEC_FETCH_ACK_LEN];
	size_t part1;
	int rc;

	rc = codec_fetch_session_decode(&f, msg, len);
	if (rc) {
		warn_rl(s, now, "control %s: malformed Fetch-Session (%d), Fetch-Ack 1", s->peer,
			rc);
		out.ack.accept = XW_ACCEPT_FAILURE;
	} else {
		rc = s->ops.ow_fetch(s->arg, &f, &out, now);
		if (rc < 0 && out.ack.accept == XW_ACCEPT_OK)
			out.ack.accept = XW_ACCEPT_INTERNAL;
	}
	if (out.ack.accept == XW_ACCEPT_OK && out.req_len < CODEC_OW_REQUEST_LEN(1))
		out.ack.accept = XW_ACCEPT_INTERNAL;
	if (out.ack.accept != XW_ACCEPT_OK)
		warn_rl(s, now, "control %s: Fetch-Session refused, Fetch-Ack %u", s->peer,
			out.ack.accept);
	/* RFC 4656 3.9: "The server MUST respond with a Fetch-Ack message" */
	if (s->cfg.accept_stats)
		count_accept(s->cfg.accept_stats->fetch_ack, out.ack.accept);
	codec_fetch_ack_encode(&out.ack, ack, sizeof(ack));
	if (send_msg(s, ack, sizeof(ack), now) || out.ack.accept != XW_ACCEPT_OK)
		goto out;
	/* the data: reproduction (two HMAC parts), skip ranges, records, each sealed */
	part1 = CODEC_OW_REQUEST_HMAC1_END;
	if (send_msg(s, out.data, part1, now) ||
	    send_msg(s, out.data + part1, out.req_len - part1, now) ||
	    send_msg(s, out.data + out.req_len, out.skips_len, now))
		goto out;
	if (out.rb) {
		/* the records as the caller takes our output: fetch_pump */
		s->fetch = out;
		s->fetching = 1;
		fetch_pump(s, now);
		return;
	}
	if (send_msg(s, out.data + out.req_len + out.skips_len, out.recs_len, now))
		goto out;
	pr_debug("control %s: Fetch-Session: %u records sent", s->peer, out.ack.num_records);
out:
	ow_fetch_free(&out);
}

/* ---- the table ------------------------------------------------------------- */

static const srv_handler srv_table[SRV_NSTATES][SRV_NMSGS] = {
	[SRV_WAIT_SETUP] =
		{
			[SRV_MSG_SETUP] = on_setup,
		},
	/* nothing is dispatched while the key step runs: srv_feed() holds the input */
	[SRV_WAIT_KEY] = {0},
	[SRV_READY] =
		{
			[SRV_MSG_REQUEST_TW] = on_request,
			[SRV_MSG_START] = on_start,
			[SRV_MSG_STOP] = on_stop,
			[SRV_MSG_START_N] = on_start_n,
			[SRV_MSG_STOP_N] = on_stop_n,
			[SRV_MSG_FOREIGN] = on_foreign,
		},
	/* RFC 4656 3.4: only Stop-Sessions while measuring; RFC 5938 adds the N commands */
	[SRV_TESTING] =
		{
			[SRV_MSG_REQUEST_TW] = on_request_testing,
			[SRV_MSG_START] = on_start, /* refused: Start-Ack 3 or close */
			[SRV_MSG_STOP] = on_stop,
			[SRV_MSG_START_N] = on_start_n,
			[SRV_MSG_STOP_N] = on_stop_n,
			[SRV_MSG_FOREIGN] = on_foreign,
		},
};

/*
 * OWAMP's command set after the same handshake (RFC 4656 3.4): Request-
 * Session, Start-Sessions and Fetch-Session before testing, only
 * Stop-Sessions while sessions run.
 */
static const srv_handler srv_table_ow[SRV_NSTATES][SRV_NMSGS] = {
	[SRV_WAIT_SETUP] =
		{
			[SRV_MSG_SETUP] = on_setup,
		},
	[SRV_WAIT_KEY] = {0},
	[SRV_READY] =
		{
			[SRV_MSG_REQUEST_OW] = on_ow_request,
			[SRV_MSG_START] = on_start,
			[SRV_MSG_STOP_OW] = on_ow_stop,
			[SRV_MSG_FETCH] = on_fetch,
		},
	[SRV_TESTING] =
		{
			[SRV_MSG_STOP_OW] = on_ow_stop,
		},
};

static const char *msg_name(enum srv_msg m)
{
	static const char *const names[] = {
		[SRV_MSG_SETUP] = "Set-Up-Response",	[SRV_MSG_REQUEST_TW] = "Request-TW-Session",
		[SRV_MSG_START] = "Start-Sessions",	[SRV_MSG_STOP] = "Stop-Sessions",
		[SRV_MSG_START_N] = "Start-N-Sessions", [SRV_MSG_STOP_N] = "Stop-N-Sessions",
		[SRV_MSG_FOREIGN] = "foreign command",	[SRV_MSG_REQUEST_OW] = "Request-Session",
		[SRV_MSG_STOP_OW] = "Stop-Sessions",	[SRV_MSG_FETCH] = "Fetch-Session",
	};

	return (unsigned int)m < SRV_NMSGS ? names[m] : "?";
}

static enum srv_msg msg_of_cmd(const struct srv *s, uint8_t cmd)
{
	if (s->cfg.proto == SRV_PROTO_OWAMP) {
		switch (cmd) {
		case XW_CMD_REQUEST_SESSION:
			return SRV_MSG_REQUEST_OW;
		case XW_CMD_START_SESSIONS:
			return SRV_MSG_START;
		case XW_CMD_STOP_SESSIONS:
			return SRV_MSG_STOP_OW;
		case XW_CMD_FETCH_SESSION:
			return SRV_MSG_FETCH;
		default:
			return SRV_MSG_FOREIGN; /* not framed: cannot happen */
		}
	}
	switch (cmd) {
	case XW_CMD_REQUEST_TW_SESSION:
		return SRV_MSG_REQUEST_TW;
	case XW_CMD_START_SESSIONS:
		return SRV_MSG_START;
	case XW_CMD_STOP_SESSIONS:
		return SRV_MSG_STOP;
	case XW_CMD_START_N_SESSIONS:
		return SRV_MSG_START_N;
	case XW_CMD_STOP_N_SESSIONS:
		return SRV_MSG_STOP_N;
	default:
		return SRV_MSG_FOREIGN;
	}
}

/*
 * Decrypts and checks the command in rx (chan_open()).  An OWAMP
 * Request-Session carries two HMACs (RFC 4656 3.5), each covering what
 * came since the previous one (3.2): it is opened as its two parts, so
 * that in the secure modes it can be refused with Accept 3 like in open
 * mode (RFC 5357 3.5) instead of failing the HMAC check.
 */
static int open_command(struct srv *s)
{
	size_t first = s->rx_len;
	int rc, cmd;

	/* OWAMP: the first rx_plain octets were opened as they came (srv_frame_ow) */
	cmd = s->rx_plain ? s->rx[0] : chan_peek_cmd(&s->chan, s->rx, s->rx_len);
	if (cmd == XW_CMD_FORBIDDEN && s->rx_len > CODEC_REQUEST_SESSION_HMAC1_END)
		first = CODEC_REQUEST_SESSION_HMAC1_END;
	rc = chan_open(&s->chan, s->rx + s->rx_plain, first - s->rx_plain);
	if (!rc && first < s->rx_len)
		rc = chan_open(&s->chan, s->rx + first, s->rx_len - first);
	return rc;
}

static void dispatch(struct srv *s, uint64_t now)
{
	enum srv_msg m = SRV_MSG_SETUP;
	srv_handler h;
	int rc;

	if (s->state != SRV_WAIT_SETUP) {
		rc = open_command(s);
		if (rc == -EACCES) {
			/* RFC 4656 3.2: data with a bad HMAC must not be used */
			pr_warn("control %s: HMAC of a %zu-octet command does not verify", s->peer,
				s->rx_len);
			shut(s, SRV_CLOSE_HMAC, now);
			return;
		}
		if (rc) {
			pr_err("control %s: cannot open a command: %d", s->peer, rc);
			shut(s, SRV_CLOSE_INTERNAL, now);
			return;
		}
		m = msg_of_cmd(s, s->rx[0]);
	}
	h = (s->cfg.proto == SRV_PROTO_OWAMP ? srv_table_ow : srv_table)[s->state][m];
	if (!h) {
		pr_warn("control %s: %s not allowed in state %s", s->peer, msg_name(m),
			srv_state_name(s->state));
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	pr_debug("control %s: %s in state %s", s->peer, msg_name(m), srv_state_name(s->state));
	h(s, s->rx, s->rx_len, now);
}

/* The next message cannot be framed (unknown command number, too long). */
static void unframeable(struct srv *s, int err, uint64_t now)
{
	if (s->state == SRV_WAIT_SETUP) {
		shut(s, SRV_CLOSE_PROTO, now);
		return;
	}
	if (!chan_is_secure(&s->chan))
		pr_warn("control %s: not a TWAMP-Control command: Command Number %u (0x%02x) is "
			"%s (RFC 5357 3.5); answering Accept-Session 3 and closing",
			s->peer, s->rx[0], s->rx[0],
			err == -EMSGSIZE ? "longer than any command" : "not one this server knows");
	else
		pr_warn("control %s: an encrypted command did not decrypt to a known Command "
			"Number (a wrong key, or not a TWAMP client); answering Accept-Session 3 "
			"and closing",
			s->peer);
	/* RFC 5357 3.5: unexpected Command Number -> Accept 3; with its length
	 * unknown we cannot find the next message, so the connection ends */
	refuse_session(s, XW_ACCEPT_NOT_SUPPORTED, now);
	shut(s, SRV_CLOSE_PROTO, now);
}

/* ---- public entry points ---------------------------------------------------- */

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Draft Figures 2, 3, 5: the greeting naming the SA; returns its length. */
static size_t sa_greeting(struct srv *s, uint8_t *buf)
{
	struct xw_sa_greeting g = {
		.proto = s->cfg.sa_proto,
		.spi_i = s->cfg.sa_spi_i,
		.spi_r = s->cfg.sa_spi_r,
		.modes = s->cfg.modes,
		.count = s->cfg.count,
	};
	size_t n;

	memcpy(g.challenge, s->challenge, 16);
	memcpy(g.salt, s->salt, 16);
	n = xw_sa_greeting_put(s->cfg.sa_variant, &g, buf);
	xw_wipe(&g, sizeof(g));
	return n;
}

struct srv *srv_new(const struct srv_cfg *cfg, const struct srv_ops *ops, void *arg,
		    uint64_t now_ns)
{
	struct codec_greeting g = {0};
	uint8_t buf[XW_GREETING_LEN > XW_SA_GREETING_MAX ? XW_GREETING_LEN : XW_SA_GREETING_MAX];
	struct srv *s;
	int rc;

	if (!(cfg->modes & XW_MODE_SECURITY_MASK)) {
		pr_err("srv: no security mode offered (modes 0x%x)", cfg->modes);
		return NULL;
	}
	if (!is_pow2(cfg->count) || cfg->count < XW_PBKDF2_MIN_COUNT) {
		pr_err("srv: PBKDF2 Count %u is not a power of 2 >= 1024 (RFC 4656 3.1)",
		       cfg->count);
		return NULL;
	}
	if ((cfg->modes & XW_MODE_IKEV2_DERIV) &&
	    !(cfg->modes & (XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED))) {
		/* RFC 7717 5.1: the derived key serves the keyed modes only */
		pr_err("srv: IKEv2Derived offered without authenticated, encrypted or mixed mode");
		return NULL;
	}
	if (cfg->sa_variant != XW_SA_NONE &&
	    (!xw_sa_greeting_len(cfg->sa_variant) || (cfg->modes & XW_MODE_IKEV2_DERIV))) {
		/* the SA profile is not RFC 7717: never both in one greeting */
		pr_err("srv: IPsec SA profile %d with Modes 0x%x", cfg->sa_variant, cfg->modes);
		return NULL;
	}
	if (cfg->proto == SRV_PROTO_OWAMP && !ops->ow_fetch) {
		pr_err("srv: OWAMP needs the ow_fetch callback");
		return NULL;
	}
	if (!ops->sess_request || !ops->sess_end ||
	    ((cfg->modes & (XW_MODE_SECURITY_MASK & ~XW_MODE_OPEN)) && !ops->key_lookup &&
	     !ops->key_start)) {
		pr_err("srv: missing callbacks");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->cfg.modes &= SRV_KNOWN_MODES;
	if (!s->cfg.ow_max_slots)
		s->cfg.ow_max_slots = SRV_OW_SLOTS_DEFAULT;
	if (s->cfg.ow_max_slots > CODEC_OW_SLOTS_MAX)
		s->cfg.ow_max_slots = CODEC_OW_SLOTS_MAX;
	if (cfg->proto == SRV_PROTO_OWAMP) /* RFC 4656 3.1: open, authenticated, encrypted */
		s->cfg.modes &=
			XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_IKEV2_DERIV;
	s->ops = *ops;
	s->arg = arg;
	snprintf(s->peer, sizeof(s->peer), "%s", cfg->peer ? cfg->peer : "?");
	snprintf(s->what, sizeof(s->what), "control %s", s->peer);
	s->rlp = cfg->log_rl ? cfg->log_rl : &s->rl;
	s->cfg.peer = s->peer;
	s->state = SRV_WAIT_SETUP;
	s->idle_since = now_ns;

	rc = xw_random(s->challenge, sizeof(s->challenge));
	if (!rc)
		rc = xw_random(s->salt, sizeof(s->salt));
	if (rc) {
		pr_err("srv: no random Challenge/Salt: %d", rc);
		goto fail;
	}
	g.modes = s->cfg.modes;
	memcpy(g.challenge, s->challenge, 16);
	memcpy(g.salt, s->salt, 16);
	g.count = cfg->count;
	if (cfg->sa_variant != XW_SA_NONE && cfg->sa_later) {
		s->state = SRV_WAIT_SA; /* the greeting once the caller names the SA */
		return s;
	}
	if (cfg->sa_variant != XW_SA_NONE) {
		if (out_append(s, buf, sa_greeting(s, buf)))
			goto fail;
		return s;
	}
	rc = codec_greeting_encode(&g, buf, sizeof(buf));
	if (rc != XW_GREETING_LEN) {
		pr_err("srv: cannot encode the greeting: %d", rc);
		goto fail;
	}
	if (out_append(s, buf, sizeof(buf)))
		goto fail;
	return s;
fail:
	xw_wipe(s, sizeof(*s));
	free(s);
	return NULL;
}

int srv_sa_named(struct srv *s, int rc, uint32_t proto, uint32_t spi_i, uint32_t spi_r,
		 uint64_t now_ns)
{
	uint8_t buf[XW_SA_GREETING_MAX];

	if (s->state != SRV_WAIT_SA)
		return -EINVAL;
	if (rc) {
		shut(s, SRV_CLOSE_NO_SA, now_ns);
		return 0;
	}
	s->cfg.sa_proto = proto;
	s->cfg.sa_spi_i = spi_i;
	s->cfg.sa_spi_r = spi_r;
	s->state = SRV_WAIT_SETUP;
	s->idle_since = now_ns;
	if (out_append(s, buf, sa_greeting(s, buf)))
		shut(s, SRV_CLOSE_INTERNAL, now_ns);
	xw_wipe(buf, sizeof(buf));
	return 0;
}

void srv_free(struct srv *s)
{
	if (!s)
		return;
	if (s->state != SRV_CLOSED)
		shut(s, SRV_CLOSE_LOCAL, s->idle_since);
	if (s->chan_up)
		chan_fini(&s->chan);
	free(s->sess);
	if (s->rx) {
		xw_wipe(s->rx, s->rx_cap);
		free(s->rx);
	}
	if (s->tx) {
		xw_wipe(s->tx, s->tx_cap);
		free(s->tx);
	}
	xw_wipe(s, sizeof(*s));
	free(s);
}

/*
 * An OWAMP Request-Session with more schedule slots than we take
 * (cfg.ow_max_slots): RFC 4656 3.5 allows any number, and says a refused
 * request SHOULD not close the connection, so it is read to its end without
 * being kept: its fixed part checked (HMAC), then the slots and the second
 * HMAC streamed through the channel, then refused with Accept 4 ("permanent
 * resource limitations", 3.3: the same request never fits).
 */
static void sink_begin(struct srv *s, uint32_t slots, uint64_t now)
{
	warn_rl(s, now,
		"control %s: Request-Session with %u schedule slots, more than --owamp-max-slots "
		"%u: reading it through to refuse it",
		s->peer, slots, s->cfg.ow_max_slots);
	s->sink_slots = slots;
	s->sink_left = (uint64_t)slots * CODEC_OW_SLOT_LEN + XW_HMAC_LEN;
	s->sink_part1 = 1;
	s->rx_need = CODEC_REQUEST_SESSION_HMAC1_END;
}

/* The fixed part is in: checked, then the rest streams (sink_feed). */
static void sink_part1_done(struct srv *s, uint64_t now)
{
	int rc = chan_open(&s->chan, s->rx + s->rx_plain, s->rx_len - s->rx_plain);

	s->sink_part1 = 0;
	if (rc) {
		pr_warn("control %s: HMAC of a Request-Session does not verify", s->peer);
		shut(s, rc == -EACCES ? SRV_CLOSE_HMAC : SRV_CLOSE_INTERNAL, now);
	}
}

/* Slots and the second HMAC of a Request-Session beyond our bound; 0 or -EPIPE. */
static int sink_feed(struct srv *s, const uint8_t **p, size_t *len, uint64_t now)
{
	char why[96];
	size_t take, whole;
	int rc;

	while (*len && s->sink_left) {
		/* the slots in whole blocks of at most SRV_RX_MAX; the HMAC block alone */
		if (s->sink_left > XW_HMAC_LEN)
			take = s->sink_left - XW_HMAC_LEN < SRV_RX_MAX - s->rx_len
				       ? (size_t)(s->sink_left - XW_HMAC_LEN)
				       : SRV_RX_MAX - s->rx_len;
		else
			take = (size_t)s->sink_left;
		if (take > *len)
			take = *len;
		if (rx_room(s, s->rx_len + take)) {
			shut(s, SRV_CLOSE_INTERNAL, now);
			return -EPIPE;
		}
		memcpy(s->rx + s->rx_len, *p, take);
		s->rx_len += take;
		*p += take;
		*len -= take;
		s->sink_left -= take;
		whole = s->rx_len - s->rx_len % XW_BLOCK_LEN;
		if (s->sink_left >= XW_HMAC_LEN && whole) {
			rc = chan_open_more(&s->chan, s->rx, whole);
			if (rc) {
				shut(s, SRV_CLOSE_INTERNAL, now);
				return -EPIPE;
			}
			memmove(s->rx, s->rx + whole, s->rx_len - whole);
			s->rx_len -= whole;
		}
	}
	if (s->sink_left)
		return 0;
	rc = chan_open(&s->chan, s->rx, s->rx_len);
	rx_reset(s);
	if (rc) {
		pr_warn("control %s: HMAC of a Request-Session's schedule slots does not verify",
			s->peer);
		shut(s, rc == -EACCES ? SRV_CLOSE_HMAC : SRV_CLOSE_INTERNAL, now);
		return -EPIPE;
	}
	snprintf(why, sizeof(why), "%u schedule slots, more than --owamp-max-slots %u",
		 s->sink_slots, s->cfg.ow_max_slots);
	ow_refuse(s, XW_ACCEPT_PERM_LIMIT, why, now);
	return s->state == SRV_CLOSED ? -EPIPE : 0;
}

/*
 * Frames an OWAMP client command (RFC 4656 3.4).  Its first block is opened
 * (decrypted, HMAC fed) as soon as it is in, and so is every whole block of
 * a message whose length the first block does not tell (Stop-Sessions), so
 * that the length is read from plaintext in one pass.  The length is
 * bounded by what the message may be: a Request-Session by
 * cfg.ow_max_slots (beyond: sink_begin), a Stop-Sessions by the client's
 * send sessions (ow_stop_limit).  The length (> 0), 0 for "more input",
 * or a negative errno; -EPIPE when closed.
 */
static int frame_ow(struct srv *s, uint64_t now)
{
	size_t whole = s->rx_len - s->rx_len % XW_BLOCK_LEN;
	int n, cmd;

	if (!whole)
		return 0;
	if (whole > s->rx_plain) {
		if (chan_open_more(&s->chan, s->rx + s->rx_plain, whole - s->rx_plain)) {
			shut(s, SRV_CLOSE_INTERNAL, now);
			return -EPIPE;
		}
		s->rx_plain = whole;
	}
	cmd = s->rx[0];
	if (!s->rx_limit) {
		s->rx_limit = SRV_RX_MAX;
		if (cmd == XW_CMD_REQUEST_SESSION) {
			uint32_t slots = get_be32(s->rx + 4);

			if (slots > s->cfg.ow_max_slots && s->state == SRV_READY) {
				sink_begin(s, slots, now);
				return (int)s->rx_need;
			}
			s->rx_limit = CODEC_OW_REQUEST_LEN(s->cfg.ow_max_slots);
		} else if (cmd == XW_CMD_STOP_SESSIONS) {
			s->rx_limit = ow_stop_limit(s, now);
			if (!s->rx_limit)
				return -EPIPE;
		}
	}
	n = codec_msg_len(CODEC_MSG_OW_CLIENT_COMMAND, s->rx, s->rx_plain);
	if (n < 0 && cmd == XW_CMD_STOP_SESSIONS) {
		/* the codec said why (skip ranges the record cannot have, ...) */
		pr_warn("control %s: Stop-Sessions cannot be framed (%d): closing", s->peer, n);
		shut(s, SRV_CLOSE_PROTO, now);
		return -EPIPE;
	}
	if (n > 0 && (size_t)n > s->rx_limit) {
		pr_warn("control %s: a %d-octet %s is longer than it may be here (%zu): closing",
			s->peer, n,
			cmd == XW_CMD_STOP_SESSIONS	? "Stop-Sessions"
			: cmd == XW_CMD_REQUEST_SESSION ? "Request-Session"
							: "command",
			s->rx_limit);
		shut(s, SRV_CLOSE_PROTO, now);
		return -EPIPE;
	}
	if (n == 0 && s->rx_len >= s->rx_limit) {
		pr_warn("control %s: Stop-Sessions longer than its sessions could need (%zu octets "
			"for the %u the client sends): closing",
			s->peer, s->rx_limit, get_be32(s->rx + 4));
		shut(s, SRV_CLOSE_PROTO, now);
		return -EPIPE;
	}
	return n;
}

int srv_feed(struct srv *s, const void *buf, size_t len, uint64_t now_ns)
{
	const uint8_t *p = buf;
	size_t take;
	int n;

	if (s->state == SRV_CLOSED)
		return -EPIPE;
	if (len)
		s->idle_since = now_ns;
	for (;;) {
		if (s->state == SRV_CLOSED)
			return -EPIPE;
		if (s->state == SRV_WAIT_KEY || s->fetching)
			return hold_input(s, p, len, now_ns);
		if (s->state == SRV_WAIT_SA && len) {
			/* RFC 4656 3.1: the client speaks after the Server Greeting */
			pr_warn("control %s: %zu octets sent before the Server Greeting", s->peer,
				len);
			shut(s, SRV_CLOSE_PROTO, now_ns);
			return -EPIPE;
		}
		if (s->state == SRV_WAIT_SA)
			return 0;
		if (s->sink_left && !s->sink_part1) {
			if (sink_feed(s, &p, &len, now_ns))
				return -EPIPE;
			if (s->sink_left)
				return 0;
			continue;
		}
		if (!s->rx_need) {
			if (s->state == SRV_WAIT_SETUP && xw_sa_setup_len(s->cfg.sa_variant))
				n = (int)xw_sa_setup_len(s->cfg.sa_variant); /* Figures 4, 6 */
			else if (s->state == SRV_WAIT_SETUP)
				n = codec_msg_len(CODEC_MSG_SETUP_RESPONSE, s->rx, s->rx_len);
			else if (s->cfg.proto == SRV_PROTO_OWAMP)
				n = frame_ow(s, now_ns);
			else
				n = chan_next_len(&s->chan, CODEC_MSG_CLIENT_COMMAND, s->rx,
						  s->rx_len);
			if (n == -EPIPE && s->state == SRV_CLOSED)
				return -EPIPE;
			/*
			 * TWAMP: 16 octets always tell the length.  OWAMP's
			 * Stop-Sessions needs every record's header: read on
			 * block by block until the length is known.
			 */
			if (n < 0 || (s->cfg.proto != SRV_PROTO_OWAMP && (size_t)n > SRV_RX_MAX) ||
			    (n == 0 && s->rx_len >= XW_BLOCK_LEN &&
			     (s->cfg.proto != SRV_PROTO_OWAMP || s->state == SRV_WAIT_SETUP))) {
				unframeable(s, n < 0 ? n : -EMSGSIZE, now_ns);
				return -EPIPE;
			}
			s->rx_need = (size_t)n;
		}
		if (!len)
			return 0;
		/* with the length unknown, take no more than the next block */
		take = s->rx_need ? s->rx_need - s->rx_len
				  : XW_BLOCK_LEN - s->rx_len % XW_BLOCK_LEN;
		if (take > len)
			take = len;
		if (rx_room(s, s->rx_len + take)) {
			shut(s, SRV_CLOSE_INTERNAL, now_ns);
			return -EPIPE;
		}
		memcpy(s->rx + s->rx_len, p, take);
		s->rx_len += take;
		p += take;
		len -= take;
		if (s->rx_need && s->rx_len == s->rx_need) {
			if (s->sink_part1)
				sink_part1_done(s, now_ns);
			else
				dispatch(s, now_ns);
			rx_reset(s);
		}
	}
}

int srv_eof(struct srv *s, uint64_t now_ns)
{
	if (s->state == SRV_CLOSED)
		return -EPIPE;
	if (s->rx_len)
		pr_warn("control %s: connection ended %zu octets into a message", s->peer,
			s->rx_len);
	shut(s, s->rx_len ? SRV_CLOSE_TRUNCATED : SRV_CLOSE_PEER, now_ns);
	return -EPIPE;
}

void srv_close(struct srv *s, uint64_t now_ns)
{
	shut(s, SRV_CLOSE_LOCAL, now_ns);
}

const uint8_t *srv_out_peek(const struct srv *s, size_t *len)
{
	*len = s->tx_len - s->tx_off;
	return *len ? s->tx + s->tx_off : NULL;
}

void srv_out_consume(struct srv *s, size_t n)
{
	if (n > s->tx_len - s->tx_off)
		n = s->tx_len - s->tx_off;
	s->tx_off += n;
	if (s->tx_off == s->tx_len)
		s->tx_off = s->tx_len = 0;
	if (s->fetching)
		fetch_pump(s, s->idle_since);
}

int srv_fetching(const struct srv *s)
{
	return s->fetching;
}

size_t srv_out_pending(const struct srv *s)
{
	return s->tx_len - s->tx_off;
}

uint64_t srv_deadline_ns(const struct srv *s)
{
	/* not idle while our Fetch-Session answer streams: SERVWAIT from its end */
	if (s->state == SRV_CLOSED || s->fetching)
		return UINT64_MAX;
	if (s->fetch_ended)
		return 0;
	if (s->nactive) {
		/*
		 * RFC 5357 3.1, RFC 5938 3.6: no SERVWAIT while any session is in
		 * progress.  OWAMP: Stop-Sessions is expected when the sessions
		 * are complete (RFC 4656 3.8), and a message not received "within
		 * some number of minutes after it is expected" SHOULD drop the
		 * connection (3): ow_stopwait_ns after that.
		 */
		if (s->cfg.proto != SRV_PROTO_OWAMP || !s->cfg.ow_stopwait_ns ||
		    s->ow_stop_due == UINT64_MAX ||
		    s->ow_stop_due + s->cfg.ow_stopwait_ns < s->ow_stop_due)
			return UINT64_MAX;
		return s->ow_stop_due + s->cfg.ow_stopwait_ns;
	}
	if (!s->cfg.servwait_ns)
		return UINT64_MAX;
	return s->idle_since + s->cfg.servwait_ns;
}

int srv_timeout(struct srv *s, uint64_t now_ns)
{
	if (s->state == SRV_CLOSED)
		return -EPIPE;
	if (s->fetch_ended) {
		s->fetch_ended = 0;
		if (now_ns > s->idle_since)
			s->idle_since = now_ns;
		return 0;
	}
	if (now_ns < srv_deadline_ns(s))
		return 0;
	if (s->nactive)
		pr_warn("control %s: no Stop-Sessions %llu s after the sessions were complete "
			"(RFC 4656 3.8: Timeout after the last scheduled packet; --refwait)",
			s->peer, (unsigned long long)(s->cfg.ow_stopwait_ns / 1000000000ULL));
	else
		pr_warn("control %s: nothing received for %llu s (SERVWAIT)", s->peer,
			(unsigned long long)(s->cfg.servwait_ns / 1000000000ULL));
	shut(s, SRV_CLOSE_TIMEOUT, now_ns);
	return -EPIPE;
}

int srv_sess_expired(struct srv *s, const uint8_t sid[XW_SID_LEN], uint64_t now_ns)
{
	int i = sess_index(s, sid);

	if (i < 0)
		return -ENOENT;
	pr_info("control %s: session %d: REFWAIT expired", s->peer, i + 1);
	if (s->sess[i]->params.conf_receiver)
		s->expired_stop_len += ow_stop_rec_max(s->sess[i]);
	sess_end(s, (unsigned int)i, SRV_END_REFWAIT, now_ns);
	s->nexpired++; /* the client still counts it in Stop-Sessions (RFC 5357 3.8) */
	/* RFC 5357 3.1: REFWAIT expiry on all sessions resumes SERVWAIT */
	back_to_ready(s, now_ns);
	return 0;
}

int srv_sess_unstarted_expired(struct srv *s, const uint8_t sid[XW_SID_LEN], uint64_t now_ns)
{
	int i = sess_index(s, sid);

	if (i < 0)
		return -ENOENT;
	if (s->sess[i]->started)
		return -EBUSY;
	pr_warn("control %s: session %d: accepted but not started in time: ended", s->peer, i + 1);
	sess_end(s, (unsigned int)i, SRV_END_UNSTARTED, now_ns);
	return 0;
}

enum srv_state srv_state(const struct srv *s)
{
	return s->state;
}

int srv_closed(const struct srv *s)
{
	return s->state == SRV_CLOSED;
}

enum srv_close srv_close_reason(const struct srv *s)
{
	return s->why;
}

uint32_t srv_mode(const struct srv *s)
{
	return s->mode;
}

unsigned int srv_nsessions(const struct srv *s)
{
	return s->nsess;
}

unsigned int srv_nactive(const struct srv *s)
{
	return s->nactive;
}

struct srv_sess *srv_sess_find(struct srv *s, const uint8_t sid[XW_SID_LEN])
{
	int i = sess_index(s, sid);

	return i < 0 ? NULL : s->sess[i];
}
