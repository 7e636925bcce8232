/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TWAMP and OWAMP Control-Client as a sans-I/O state machine
 * (RFC 5357 3, RFC 4656 3, RFC 5618, RFC 5938, RFC 6038): one handshake,
 * then TWAMP's or OWAMP's commands (cli_cfg.proto).
 *
 * No I/O, no clock, no threads: the caller (xwping) feeds the bytes read
 * from the control connection (any fragmentation), sends the bytes the SM
 * queues, and reads events.  Commands are queued with cli_request(),
 * cli_start(), cli_stop() (and the _n variants) at any time after
 * cli_new(); the SM sends them one at a time, in order, each after the
 * previous one was answered (and after Server-Start), so the caller never
 * has to track the protocol's turn-taking.
 *
 *	c = cli_new(&cfg);
 *	idx = cli_request(c, &params);         // queued
 *	loop:
 *	   send cli_out_peek() bytes, cli_out_consume()
 *	   k = recv(); k > 0 ? cli_feed(c, buf, k) : cli_eof(c);
 *	   while (cli_event(c, &ev)) switch (ev.type) { ... }
 *
 * Test keys and SIDs are read with cli_sess(c, idx) once CLI_EV_ACCEPT
 * for idx has been seen.
 */
#ifndef XW_CLI_H
#define XW_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "xwamp/proto.h"
#include "crypto.h"
#include "saprof.h"
#include "codec.h"
#include "twsess.h"

#define CLI_SECRET_MAX	      512
/* Sessions per connection the client keeps track of. */
#define CLI_MAX_SESS	      256
/* RFC 5357 6: "The default maximum Count value SHOULD be 32768." */
#define CLI_MAX_COUNT_DEFAULT 32768u

/* The command set after the handshake (cli_cfg.proto). */
enum cli_proto {
	CLI_PROTO_TWAMP =
		0,	 /* RFC 5357: cli_request(), cli_start(), cli_stop() and the _n variants */
	CLI_PROTO_OWAMP, /* RFC 4656: cli_ow_request(), cli_start(), cli_ow_stop(), cli_ow_fetch() */
};

/* Fetch-Session answers the client keeps per connection (RFC 4656 3.9). */
#define CLI_MAX_FETCH 64
/* Largest OWAMP message part the client buffers (Fetch records: ~2.6 million). */
#define CLI_OW_RX_MAX (64u << 20)

enum cli_state {
	CLI_WAIT_GREETING,
	CLI_WAIT_SERVER_START, /* Set-Up-Response sent */
	CLI_READY,	       /* Server-Start Accept 0: commands flow */
	CLI_CLOSED,	       /* flush cli_out_peek() bytes, then close the socket */
	CLI_NSTATES,
};

enum cli_close {
	CLI_CLOSE_NONE = 0,
	CLI_CLOSE_PEER,	     /* server closed between messages */
	CLI_CLOSE_TRUNCATED, /* server closed in the middle of a message */
	CLI_CLOSE_MODES0,    /* greeting with Modes 0: server refuses (RFC 4656 3.1) */
	CLI_CLOSE_NO_MODE,   /* no allowed mode offered: Set-Up-Response Mode 0 sent */
	CLI_CLOSE_REFUSED,   /* Server-Start Accept != 0 */
	CLI_CLOSE_HMAC,	     /* HMAC of a server message did not verify */
	CLI_CLOSE_PROTO,     /* malformed or unexpected server message */
	CLI_CLOSE_COUNT,     /* greeting Count above cli_cfg.max_count (RFC 5357 6) */
	CLI_CLOSE_LOCAL,     /* cli_close() by the caller */
	CLI_CLOSE_INTERNAL,  /* crypto or allocation failure */
	CLI_CLOSE_SA,	     /* IPsec SA profile: the greeting names another SA (draft 4.1) */
};

enum cli_ev_type {
	CLI_EV_NONE = 0,
	CLI_EV_GREETING,     /* modes = the server's Modes field */
	CLI_EV_SERVER_START, /* accept, mode = chosen Mode, start_time = server's Start-Time */
	CLI_EV_ACCEPT,	     /* accept, sess = index; cli_sess(c, sess) has port, SID, keys */
	CLI_EV_STARTED,	     /* accept; Start-Ack, or one Start-N-Ack for count sessions */
	CLI_EV_STOPPED,	     /* Stop-Sessions sent (TWAMP has no answer), or one Stop-N-Ack;
			      * OWAMP: the server's Stop-Sessions arrived, accept is its Accept */
	CLI_EV_FETCHED,	     /* OWAMP: accept, sess = fetch index; cli_fetch(c, sess) */
	CLI_EV_CLOSED,	     /* reason; the last event */
};

struct cli_event {
	enum cli_ev_type type;
	uint8_t accept;
	uint32_t modes;	     /* GREETING: offered; SERVER_START: chosen */
	uint64_t start_time; /* SERVER_START */
	int sess;	     /* ACCEPT: session index */
	unsigned int count;  /* STARTED/STOPPED: number of sessions concerned */
	enum cli_close reason;
};

/* One requested session, as the client knows it. */
struct cli_sess {
	struct twsess_params params; /* as requested */
	int answered;		     /* Accept-Session received */
	uint8_t accept;		     /* its Accept */
	uint16_t port;		     /* reflector port (may differ from requested, RFC 5357 3.5) */
	uint8_t sid[XW_SID_LEN];
	uint16_t reflected_octets; /* RFC 6038 4.3 */
	uint16_t server_octets;
	int has_keys; /* authenticated / encrypted (not mixed, RFC 5618) */
	struct xw_session_keys keys;
	int started; /* Start-Ack / Start-N-Ack with Accept 0 */
	int stopped;
	/*
	 * OWAMP (RFC 4656 3.5, 3.8).  sid: the server's when it receives, the
	 * one we chose when it sends.  ow_send: Conf-Receiver set, we send and
	 * describe the session in our Stop-Sessions.  For the sessions the
	 * server sends, its Stop-Sessions record: ow_next_seqno, ow_skips.
	 */
	int ow_send;
	uint8_t *ow_req; /* the Request-Session, plaintext */
	size_t ow_req_len;
	int ow_stop_seen;
	uint32_t ow_next_seqno;
	struct codec_ow_skip *ow_skips;
	uint32_t ow_nskips;
};

/* The answer to one Fetch-Session (RFC 4656 3.9), once CLI_EV_FETCHED is seen. */
struct cli_fetch {
	struct codec_fetch_session q; /* as asked */
	struct codec_fetch_ack ack;
	uint8_t *req; /* the server's reproduction of the Request-Session, plaintext */
	size_t req_len;
	struct codec_ow_skip *skips;  /* ack.num_skips */
	struct codec_ow_record *recs; /* ack.num_records */
};

struct cli_cfg {
	/*
	 * TWAMP (0) or OWAMP.  OWAMP allows only open, authenticated and
	 * encrypted modes and no feature bits (RFC 4656 3.1): the others are
	 * masked out of modes, ike_modes and features.
	 */
	enum cli_proto proto;
	/*
	 * Allowed security modes (XW_MODE_OPEN/AUTH/ENCRYPTED/MIXED).  The SM
	 * chooses the strongest one the server offers: encrypted >
	 * authenticated > mixed > open.  prefer (0: none) is tried first.
	 * The greeting's Modes are not authenticated (RFC 4656 3.1): leave
	 * XW_MODE_OPEN out when keys must be used, or an on-path attacker who
	 * removes the keyed modes from the greeting gets an open session.
	 */
	uint32_t modes;
	uint32_t prefer;
	/*
	 * Largest PBKDF2 Count accepted in a greeting for a keyed mode; more
	 * closes with CLI_CLOSE_COUNT (RFC 5357 6).  0: CLI_MAX_COUNT_DEFAULT.
	 */
	uint32_t max_count;
	/*
	 * EXPERIMENTAL IPsec SA profile (saprof.h; not RFC 7717): the variant
	 * the server was told to speak too (XW_SA_NONE: off), and our SA pair
	 * with this server, keys included (copied, wiped on free).  The
	 * greeting must name exactly this pair or the client closes
	 * (CLI_CLOSE_SA); keyed modes take their keys from it (secret, keyid
	 * and ike_* unused).
	 */
	enum xw_sa_variant sa_variant;
	struct xw_sa_pair sa;
	/* KEYMAT or SKEYSEED (sa.skeyseed) as the root of keymat and alt1 (saprof.h) */
	enum xw_sa_root sa_root;
	/*
	 * Feature bits to use when the server offers them: XW_MODE_INDIV_SESS
	 * (RFC 5938), XW_MODE_REFLECT_OCT, XW_MODE_SYMMETRIC (RFC 6038).
	 */
	uint32_t features;
	/* KeyID, zero padded (RFC 4656 3.1); unused in open mode. */
	uint8_t keyid[XW_KEYID_LEN];
	/* Shared secret (copied, wiped on free). */
	const uint8_t *secret;
	size_t secret_len;
	const char *peer; /* for log lines; copied */
	/*
	 * RFC 7717: an IKEv2-derived key for this server.  ike_modes are the
	 * security modes (authenticated, encrypted, mixed) allowed with it; 0
	 * turns RFC 7717 off.  When the greeting sets IKEv2Derived (bit 7)
	 * and offers one of ike_modes, that one is chosen (strongest first,
	 * prefer honoured) and the Set-Up-Response carries Mode = mode |
	 * XW_MODE_IKEV2_DERIV, KeyID = ike_keyid (SPIi || SPIr || zeros, see
	 * xw_ike_keyid_put() in ikekeys.h), and the Token is made from
	 * ike_secret (xw_ike_shared_secret()).  Otherwise the client falls
	 * back to modes/keyid/secret above (RFC 7717 5.2: "behave as a client
	 * that is purely compatible with RFC 4656 and RFC 5357") and logs it;
	 * cli_mode() tells which was used.  ike_secret is copied and wiped.
	 */
	uint32_t ike_modes;
	uint8_t ike_keyid[XW_KEYID_LEN];
	const uint8_t *ike_secret;
	size_t ike_secret_len;
};

/*
 * Returns NULL on bad config (e.g. no mode allowed in modes nor ike_modes,
 * ike_modes with open mode or without ike_secret, secret too long) or no
 * memory.  A greeting asking for more than max_count PBKDF2 iterations is
 * refused (CLI_CLOSE_COUNT): RFC 4656 3.1 sets only a minimum, and a
 * hostile server could otherwise keep the client busy for hours.
 */
struct cli *cli_new(const struct cli_cfg *cfg);
void cli_free(struct cli *c); /* wipes keys; NULL is fine */

/* Received bytes, any fragmentation.  0, or -EPIPE once closed. */
int cli_feed(struct cli *c, const void *buf, size_t len);
/* The server closed (recv() == 0) or the socket failed.  Always -EPIPE. */
int cli_eof(struct cli *c);
/* Closes from the caller's side; nothing more is sent. */
void cli_close(struct cli *c);

const uint8_t *cli_out_peek(const struct cli *c, size_t *len);
void cli_out_consume(struct cli *c, size_t n);
size_t cli_out_pending(const struct cli *c);

/* Pops the next event into *ev: 1, or 0 when there is none. */
int cli_event(struct cli *c, struct cli_event *ev);

/*
 * Queues a Request-TW-Session.  Returns the session index (>= 0), or
 * -ENOSPC (CLI_MAX_SESS), -EPIPE when closed.  Sender/receiver addresses
 * may be zero (RFC 5357 3.5).  octets_to_reflect / pad_to_reflect are sent
 * only when Reflect Octets is in use.
 */
int cli_request(struct cli *c, const struct twsess_params *p);
/*
 * Queues Start-Sessions, or, when individual session control is in use,
 * Start-N-Sessions for every accepted session not started yet (RFC 5938 2:
 * commands 2 and 3 MUST NOT be used then).  -EPIPE when closed.
 */
int cli_start(struct cli *c);
/* Start-N-Sessions for the given session indices (RFC 5938 3.2).  -EOPNOTSUPP without bit 16. */
int cli_start_n(struct cli *c, const int *idx, unsigned int n);
/*
 * Queues Stop-Sessions with Accept accept and Number of Sessions = the
 * accepted, unstopped sessions, started or not (RFC 5357 3.8), or
 * Stop-N-Sessions for the started ones under individual session control.
 */
int cli_stop(struct cli *c, uint8_t accept);
/* Stop-N-Sessions for the given indices (RFC 5938 3.4).  -EOPNOTSUPP without bit 16. */
int cli_stop_n(struct cli *c, const int *idx, unsigned int n);

/*
 * OWAMP Request-Session (RFC 4656 3.5): @m as for codec_request_session_
 * encode(), slots included (copied).  With Conf-Sender (the server sends)
 * m->f.sid is the SID we chose as the receiver.  The session index, or
 * -EOPNOTSUPP on a TWAMP connection, -EINVAL when it does not encode,
 * -ENOSPC, -EPIPE.
 */
int cli_ow_request(struct cli *c, const struct codec_request_session *m);
/*
 * OWAMP Stop-Sessions (RFC 4656 3.8) with one record per session we send
 * (@recs copied, skips included; each SID one of an accepted session with
 * ow_send).  The server answers with its own Stop-Sessions, which ends
 * every session (CLI_EV_STOPPED, its records in cli_sess()).  When @n does
 * not account for exactly our send sessions, nothing is sent and
 * CLI_EV_STOPPED comes with Accept 1.
 */
int cli_ow_stop(struct cli *c, uint8_t accept, const struct codec_ow_stop_rec *recs,
		unsigned int n);
/* OWAMP Fetch-Session (RFC 4656 3.9).  The fetch index (>= 0) for cli_fetch(), or -errno. */
int cli_ow_fetch(struct cli *c, const struct codec_fetch_session *q);
/* A fetch's answer, complete once its CLI_EV_FETCHED was seen; NULL for a bad index. */
const struct cli_fetch *cli_fetch(const struct cli *c, int idx);
/*
 * The control connection's session keys (authenticated and encrypted
 * modes, after Server-Start), NULL in open mode: OWAMP test packets are
 * protected with them and the SID (RFC 4656 4.1.2, xw_tp_crypto_init_sid()).
 */
const struct xw_session_keys *cli_keys(const struct cli *c);

enum cli_state cli_state(const struct cli *c);
int cli_closed(const struct cli *c);
enum cli_close cli_close_reason(const struct cli *c);
/* The Mode sent in Set-Up-Response (0 before the greeting or when none fits). */
uint32_t cli_mode(const struct cli *c);
/* Commands queued or waiting for an answer; 0 when the client is idle. */
unsigned int cli_busy(const struct cli *c);
unsigned int cli_nsess(const struct cli *c);
const struct cli_sess *cli_sess(const struct cli *c, int idx);
const char *cli_state_name(enum cli_state st);
const char *cli_close_name(enum cli_close why);

#endif /* XW_CLI_H */
