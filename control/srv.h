/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TWAMP-Control server as a sans-I/O state machine (RFC 5357 3,
 * RFC 4656 3, RFC 5618 mixed mode, RFC 5938 individual session control,
 * RFC 6038 reflect octets / symmetrical size).
 *
 * One struct srv per control connection.  It does no I/O, reads no clock
 * and starts no thread: the caller (xwampd) feeds it the bytes received on
 * the TCP connection in any fragmentation, takes the bytes it must send,
 * and passes the current time with every call.  Decisions that need the
 * outside world (which secret belongs to a KeyID, opening a reflector
 * socket, arming/disarming reflectors) go through struct srv_ops callbacks,
 * which are called synchronously from inside srv_feed()/srv_timeout().
 *
 * Typical use by the daemon:
 *
 *	s = srv_new(&cfg, &ops, ctx, now);      // Server Greeting is queued
 *	loop:
 *	   while ((p = srv_out_peek(s, &n)) && n) { k = send(...); srv_out_consume(s, k); }
 *	   if (srv_closed(s) && !srv_out_pending(s)) { close(fd); srv_free(s); done }
 *	   wait for readable / writable / srv_deadline_ns(s)
 *	   k = recv(...);  k > 0 ? srv_feed(s, buf, k, now) : srv_eof(s, now);
 *	   on deadline: srv_timeout(s, now);
 *
 * Time: now_ns is the wall clock as Unix nanoseconds (xw_clock_now_ns());
 * it goes into SIDs (RFC 4656 3.5) and all deadlines are in the same clock.
 */
#ifndef XW_SRV_H
#define XW_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keysrc.h"
#include "saprof.h"
#include "xwamp/proto.h"
#include "codec.h"
#include "crypto.h"
#include "log.h"
#include "owstore.h"
#include "twsess.h"

/* Largest shared secret (passphrase, or RFC 7717 prf output) key_lookup may return. */
#define SRV_SECRET_MAX 512

enum srv_state {
	SRV_WAIT_SETUP, /* Server Greeting sent, waiting for Set-Up-Response */
	SRV_WAIT_KEY,	/* Set-Up-Response received, key step running (ops->key_start) */
	SRV_READY,	/* Server-Start sent with Accept 0; waiting for commands */
	SRV_TESTING,	/* sessions started (Start-Sessions / Start-N): SERVWAIT suspended */
	SRV_WAIT_SA,	/* IPsec SA profile, sa_later: no greeting until srv_sa_named() */
	SRV_CLOSED,	/* done: flush srv_out_peek() bytes, then close the socket */
	SRV_NSTATES,
};

/* Why the connection was closed (srv_close_reason(), ops->closed). */
enum srv_close {
	SRV_CLOSE_NONE = 0,
	SRV_CLOSE_PEER,		/* client closed the connection between messages */
	SRV_CLOSE_TRUNCATED,	/* client closed in the middle of a message */
	SRV_CLOSE_CLIENT_MODE0, /* Set-Up-Response with Mode 0: client gave up (RFC 4656 3.1) */
	SRV_CLOSE_MODE,		/* mode not offered / not exactly one security bit */
	SRV_CLOSE_AUTH,		/* unknown KeyID or wrong secret: Server-Start Accept != 0 sent */
	SRV_CLOSE_HMAC,		/* HMAC of a command did not verify (RFC 4656 3.2) */
	SRV_CLOSE_PROTO,	/* malformed or unexpected command, bad Stop count, ... */
	SRV_CLOSE_REFUSED,  /* Start-Sessions refused (Start-Ack != 0): nothing half-started runs */
	SRV_CLOSE_TIMEOUT,  /* SERVWAIT expired (RFC 5357 3.1) */
	SRV_CLOSE_LOCAL,    /* srv_close() or srv_free() by the caller */
	SRV_CLOSE_INTERNAL, /* allocation or crypto failure */
	SRV_CLOSE_NO_SA,    /* IPsec SA profile: no SA pair protects the connection */
};

/* Why the state machine let go of a session (ops->sess_end). */
enum srv_end {
	SRV_END_STOP,	   /* Stop-Sessions / Stop-N-Sessions: keep reflecting for Timeout,
			  * then free (RFC 5357 3.8: reflect packets arriving within Timeout).
			  * Stop-Sessions ends never-started sessions too (started == 0):
			  * nothing is in flight for them, disarm now */
	SRV_END_CLOSE,	   /* connection closed (or srv_free) before the session was stopped */
	SRV_END_REFWAIT,   /* the caller reported REFWAIT expiry with srv_sess_expired() */
	SRV_END_UNSTARTED, /* accepted but never started in time: srv_sess_unstarted_expired() */
	SRV_END_REFUSED,   /* sess_request said OK but left s->port 0: refused with Accept 2
			    * right after, never answered to the client; disarm and free now */
};

/*
 * The key step of Set-Up-Response (RFC 4656 3.1): the KeyID's shared secret
 * through PBKDF2-HMAC-SHA1 with the greeting's Salt and Count gives the kek
 * that decrypts the Token.  It is slow by design (Count) and may need an
 * outside key source (RFC 7717: the IKE daemon), so a caller with an event
 * loop runs it elsewhere (ops->key_start) and hands the result back with
 * srv_key_done().  Nothing in these structs points into the state machine.
 */
struct srv_key_req {
	uint32_t mode; /* the client's Mode */
	/*
	 * What the KeyID names (keysrc.h xw_keyclass_of(), made by the state
	 * machine): a passphrase's name, RFC 7717 SPIs (Mode with
	 * XW_MODE_IKEV2_DERIV), or with the IPsec SA profile the SA of the
	 * greeting (saprof.h xw_sa_keyid_put), whose look-up gives the SA pair.
	 */
	enum xw_keyclass cls;
	enum xw_sa_variant sa_variant; /* XW_SA_NONE unless the IPsec SA profile */
	enum xw_sa_root sa_root;       /* its root: KEYMAT or SKEYSEED (saprof.h) */
	uint8_t keyid[XW_KEYID_LEN];
	uint8_t salt[16];
	uint32_t count;
};
struct srv_key_res {
	/*
	 * XW_ACCEPT_OK, an Accept code (XW_ACCEPT_FAILURE unknown KeyID,
	 * XW_ACCEPT_NO_IKE_SA, XW_ACCEPT_TEMP_LIMIT) or a negative errno
	 * (Accept 2).
	 */
	int accept;
	uint8_t kek[XW_AES_KEY_LEN]; /* PBKDF2 output; see srv_key_derive() */
	struct xw_session_keys keys; /* IPsec SA profile, Alternatives 1 and 2: the session keys */
};

/*
 * The command set after the shared handshake (RFC 4656 3.1 = RFC 5357 3.1):
 * TWAMP's (RFC 5357 3.4-3.8, RFC 5938) or OWAMP's (RFC 4656 3.4-3.9).
 */
enum srv_proto {
	SRV_PROTO_TWAMP = 0,
	SRV_PROTO_OWAMP,
};

/* One accepted test session.  Owned by the state machine; valid until ops->sess_end returns. */
struct srv_sess {
	uint8_t sid[XW_SID_LEN]; /* made by the SM: sid_addr + NTP(now) + random (RFC 4656 3.5) */
	struct twsess_params params; /* the decoded Request-TW-Session */
	uint32_t mode;		     /* the connection's Mode (security bit + feature bits) */
	/*
	 * Test keys (RFC 4656 4.1.2 via RFC 5357 4.1.2): valid when has_keys,
	 * i.e. in authenticated and encrypted mode (not open, not mixed: RFC
	 * 5618 4 makes mixed-mode test packets unauthenticated).
	 */
	int has_keys;
	struct xw_session_keys keys;
	uint16_t port;		/* reflector port (set by sess_request) */
	uint16_t server_octets; /* RFC 6038 4.3: set by sess_request, default 0 */
	int started;
	void *user; /* for the caller; the SM never touches it */
	/*
	 * OWAMP only.  params.conf_receiver: the server receives (a receiver
	 * on s->port, the SID is the server's); params.conf_sender: the server
	 * sends to receiver_addr:receiver_port from s->port, the SID is the
	 * client's (RFC 4656 3.5).  ow_req is the Request-Session as Fetch-
	 * Session reproduces it (SID and ports filled in once accepted, HMAC
	 * fields zero; RFC 4656 3.9), for ow_store_open().
	 */
	uint8_t *ow_req;
	size_t ow_req_len;
	/*
	 * At SRV_END_STOP of a session the server receives: what the client's
	 * Stop-Sessions said about it (RFC 4656 3.8).  ow_stop_ok is 0 when the
	 * Stop-Sessions had Accept != 0 (results invalid) or did not reach us.
	 */
	int ow_stop_ok;
	uint32_t ow_next_seqno;
	uint32_t ow_nskips;
	struct codec_ow_skip *ow_skips;
};

struct srv_ops {
	/*
	 * KeyID (80 octets, RFC 4656 3.1) -> shared secret.  Copy at most
	 * SRV_SECRET_MAX octets to secret and set *len; return 0.  Return an
	 * Accept code instead when there is none: XW_ACCEPT_FAILURE for an
	 * unknown KeyID, XW_ACCEPT_NO_IKE_SA when the KeyID holds RFC 7717
	 * SPIs with no IKE SA; a negative errno gives Accept 2 (internal).
	 * req->cls says what the KeyID names (keysrc.h: a passphrase, RFC 7717
	 * SPIs, the IPsec SA profile's SA).  The SM wipes the secret
	 * after use.  Required for auth/enc/mixed.
	 */
	int (*key_lookup)(void *arg, const struct srv_key_req *req, uint8_t *secret, size_t *len);
	/*
	 * Optional, instead of key_lookup inside srv_feed(): start the key
	 * step of req elsewhere (a worker thread: key look-up, then
	 * srv_key_derive()) and return 0; the machine waits in SRV_WAIT_KEY,
	 * holding any input, until the caller passes the result to
	 * srv_key_done().  Or return an Accept code (e.g. XW_ACCEPT_TEMP_LIMIT
	 * when too many are waiting) or a negative errno to refuse at once.
	 * req is valid during the call only.  A connection closed meanwhile
	 * (srv_eof, srv_close, srv_free) ignores the late result.
	 */
	int (*key_start)(void *arg, const struct srv_key_req *req);
	/*
	 * A Request-TW-Session passed the SM's checks (Conf-*, slots, packets
	 * zero, IPVN 4/6, session limit, RFC 6038 lengths).  Open the
	 * reflector: set s->port to the port it receives on (the requested
	 * s->params.receiver_port, or another one, RFC 5357 3.5) and
	 * optionally s->server_octets and s->user; return XW_ACCEPT_OK.  Or
	 * refuse with an Accept code (3 not supported, 4/5 resource limits);
	 * s is then discarded without sess_end.  A negative errno gives 2.
	 * XW_ACCEPT_OK with s->port still 0 is a caller bug: the SM refuses
	 * the session (Accept 2) but, since the caller took it, hands it back
	 * with sess_end SRV_END_REFUSED first, so that nothing it opened leaks.
	 */
	int (*sess_request)(void *arg, struct srv_sess *s, uint64_t now_ns);
	/*
	 * Arm the reflector of s (Start-Sessions: every accepted, not yet
	 * started session; Start-N-Sessions: the sessions named).  Return
	 * XW_ACCEPT_OK or an Accept code (Start-N-Ack can carry per-session
	 * codes, RFC 5938 3.3; for Start-Sessions any failure fails the
	 * command).  Optional: NULL means always OK.
	 */
	int (*sess_start)(void *arg, struct srv_sess *s, uint64_t now_ns);
	/*
	 * The SM is done with s (see enum srv_end).  With SRV_END_STOP the
	 * caller disarms after the session's Timeout (params.timeout) and
	 * handles REFWAIT; with the others, disarm now.  s and s->keys are
	 * wiped and freed after the callback returns; copy what you keep.
	 * Called exactly once for every session sess_request accepted
	 * (XW_ACCEPT_OK), also when the SM then refused it (SRV_END_REFUSED).
	 */
	void (*sess_end)(void *arg, struct srv_sess *s, enum srv_end why, uint64_t now_ns);
	/* The connection is closed (once), after any last message was queued.  Optional. */
	void (*closed)(void *arg, enum srv_close why);
	/*
	 * OWAMP: the state of the server's send session s (Conf-Sender) for its
	 * Stop-Sessions (RFC 4656 3.8): Next Seqno and up to *nskips skip
	 * ranges into skips (in order); set *nskips to the number written.
	 * Optional: NULL reports Next Seqno 0 and no skip range.
	 */
	int (*ow_sent)(void *arg, struct srv_sess *s, uint32_t *next_seqno,
		       struct codec_ow_skip *skips, uint32_t *nskips);
	/*
	 * OWAMP Fetch-Session (RFC 4656 3.9): the answer, usually
	 * ow_store_fetch_stream() of the daemon's store (data that may come
	 * from another connection; its records are then produced as the
	 * output drains, srv_fetching()) or ow_store_fetch().  The SM sends it
	 * and ow_fetch_free()s it.
	 * Required with SRV_PROTO_OWAMP.
	 */
	int (*ow_fetch)(void *arg, const struct codec_fetch_session *f, struct ow_fetch *out,
			uint64_t now_ns);
};

/* Skip ranges a server's send session may report (SRV ow_sent). */
#define SRV_OW_SKIPS_MAX 64

/*
 * Accept codes the server sent (RFC 4656 3.3: 0..5, RFC 7717 5.3: 6; the
 * last slot counts anything else), for the daemon's metrics.
 */
#define SRV_ACCEPT_CODES 8
struct srv_accept_stats {
	uint64_t server_start[SRV_ACCEPT_CODES];   /* Server-Start */
	uint64_t accept_session[SRV_ACCEPT_CODES]; /* Accept-Session (TWAMP and OWAMP) */
	uint64_t start_ack[SRV_ACCEPT_CODES];	   /* Start-Ack (RFC 4656 3.7, RFC 5357 3.7) */
	uint64_t fetch_ack[SRV_ACCEPT_CODES];	   /* OWAMP Fetch-Ack (RFC 4656 3.9) */
	uint64_t stop_sessions[SRV_ACCEPT_CODES];  /* OWAMP Stop-Sessions we send (3.8) */
};

struct srv_cfg {
	/* Modes offered in the greeting: security bits and feature bits (XW_MODE_*). */
	uint32_t modes;
	/* PBKDF2 Count for the greeting: a power of two >= 1024 (RFC 4656 3.1). */
	uint32_t count;
	/* Start-Time of Server-Start: when the server started (NTP, RFC 4656 3.1). */
	uint64_t start_time;
	/* Sessions per connection; more get Accept-Session Accept 4. 0: unlimited. */
	uint32_t max_sessions;
	/* SERVWAIT in ns (RFC 5357 3.1, default 900 s); 0 disables it. */
	uint64_t servwait_ns;
	/* The server's IPv4 address (network order octets) for SIDs (RFC 4656 3.5). */
	uint8_t sid_addr[4];
	/* For log lines, e.g. "192.0.2.1:40000"; copied. */
	const char *peer;
	/*
	 * Rate limit of the warnings a client can repeat at will (srv_log_ok):
	 * the caller's, shared by the connections of one client (it must
	 * outlive them); NULL: one of the connection's own.
	 */
	struct xw_ratelimit *log_rl;
	/*
	 * The command set.  OWAMP offers the security modes only (no mixed
	 * mode, RFC 5618 is TWAMP's; no RFC 5938/6038 bits) and RFC 7717's
	 * IKEv2Derived bit only when modes has it: RFC 7717 3 leaves it to a
	 * private arrangement for OWAMP, so the caller sets it behind an
	 * explicit option.
	 */
	enum srv_proto proto;
	/*
	 * EXPERIMENTAL IPsec SA profile (control/saprof.h, the 2013 draft; not
	 * RFC 7717): the variant both ends were told to speak (XW_SA_NONE: RFC
	 * 4656/5357/7717 as usual), and the SA pair protecting this client,
	 * which the greeting names (the caller looked it up for the peer).
	 */
	enum xw_sa_variant sa_variant;
	enum xw_sa_root sa_root; /* KEYMAT or SKEYSEED as the root (saprof.h) */
	uint32_t sa_proto, sa_spi_i, sa_spi_r;
	/*
	 * The caller looks the SA pair up after srv_new() (a key source that
	 * may stall: the charon plugin's): the machine starts in SRV_WAIT_SA,
	 * sends no greeting and takes no input until srv_sa_named().
	 */
	bool sa_later;
	/* Where to count the Accept codes sent (the caller's, outliving us); NULL: not counted. */
	struct srv_accept_stats *accept_stats;
	/*
	 * OWAMP: the most schedule slots a Request-Session may have (RFC 4656
	 * 3.5 sets no bound: 0 gives SRV_OW_SLOTS_DEFAULT, at most
	 * CODEC_OW_SLOTS_MAX).  A request with more is read through without
	 * being kept and refused with Accept 4 (3.3: a permanent resource
	 * limitation); the connection goes on (3.5: SHOULD not close).
	 */
	uint32_t ow_max_slots;
	/*
	 * OWAMP: how long after the started sessions are complete (RFC 4656
	 * 3.8: Timeout after the last scheduled packet) the client's
	 * Stop-Sessions may still come; then the connection is closed
	 * (SRV_CLOSE_TIMEOUT, its sessions end with SRV_END_CLOSE).  RFC 4656 3
	 * says a control message not received some minutes after it is expected
	 * SHOULD drop the connection.  xwampd uses REFWAIT.  0: never.
	 */
	uint64_t ow_stopwait_ns;
};

/* Default of srv_cfg.ow_max_slots: a 64 KiB Request-Session. */
#define SRV_OW_SLOTS_DEFAULT 4096u

/*
 * Creates the state machine and queues the Server Greeting (random
 * Challenge and Salt).  cfg is validated: modes must contain a security
 * bit, count a power of two >= 1024; ops->key_lookup is needed if
 * authenticated, encrypted or mixed mode is offered, sess_request and
 * sess_end always.  Returns NULL (with a pr_err) on bad config or no memory.
 */
struct srv *srv_new(const struct srv_cfg *cfg, const struct srv_ops *ops, void *arg,
		    uint64_t now_ns);
/*
 * Ends every session still held (sess_end SRV_END_CLOSE), wipes all keys
 * and frees.  If not closed yet, ops->closed(SRV_CLOSE_LOCAL) is called.
 * NULL is fine.
 */
void srv_free(struct srv *s);

/*
 * Feeds len received bytes (any fragmentation).  Complete messages are
 * processed at once, calling ops and queuing replies.  Returns 0 while the
 * connection goes on, -EPIPE once it is closed (then or before: further
 * input is ignored).  The caller flushes the queued output, then closes.
 */
int srv_feed(struct srv *s, const void *buf, size_t len, uint64_t now_ns);
/* The peer closed its side (recv() == 0) or the socket failed: closes; always -EPIPE. */
int srv_eof(struct srv *s, uint64_t now_ns);
/* Closes from the caller's side (e.g. shutdown): ends sessions, no message is sent. */
void srv_close(struct srv *s, uint64_t now_ns);

/*
 * The key step's result for a machine in SRV_WAIT_KEY: checks the Token,
 * sends Server-Start (Accept 0 or the refusal), then processes the input
 * held meanwhile.  res is wiped.  0 while the connection goes on, -EPIPE
 * once closed, -EINVAL when the machine was not waiting for a key.
 */
int srv_key_done(struct srv *s, struct srv_key_res *res, uint64_t now_ns);
/*
 * IPsec SA profile with sa_later: the pair the greeting names (Protocol,
 * SPIi = the SA client -> server, SPIr = server -> client), or rc != 0 when
 * none protects the connection: closed with SRV_CLOSE_NO_SA and no
 * greeting (as a connection refused before srv_new()).  -EINVAL when not
 * in SRV_WAIT_SA.
 */
int srv_sa_named(struct srv *s, int rc, uint32_t proto, uint32_t spi_i, uint32_t spi_r,
		 uint64_t now_ns);

/*
 * The key step's work, for key_start implementations and the synchronous
 * path alike: found is what the key look-up gave (0 with secret/len, or an
 * Accept code / negative errno).  Fills res->kek = PBKDF2(secret, salt,
 * count) and res->accept.  Without a secret (unknown KeyID, no IKE SA,
 * failure) PBKDF2 runs on a dummy secret all the same, and the machine
 * decrypts the Token with that kek before refusing, so that an unknown
 * KeyID costs what a known one does (no KeyID enumeration by timing).
 * Returns res->accept.
 */
int srv_key_derive(const struct srv_key_req *req, int found, const uint8_t *secret, size_t len,
		   struct srv_key_res *res);

/* Bytes waiting to be sent: pointer and length (NULL/0 when none). */
const uint8_t *srv_out_peek(const struct srv *s, size_t *len);
/* n bytes of srv_out_peek() were sent. */
void srv_out_consume(struct srv *s, size_t n);
size_t srv_out_pending(const struct srv *s);
/*
 * 1 while an OWAMP Fetch-Session answer is being produced: its records
 * are queued a step at a time as srv_out_consume() takes the output, so
 * srv_out_pending() stays bounded; input is held until it is done.
 */
int srv_fetching(const struct srv *s);

/*
 * When srv_timeout() must be called: SERVWAIT after the last received
 * byte while no session is active (RFC 5357 3.1: suspended from
 * Start-Sessions to Stop-Sessions; RFC 5938 3.6: while ANY session is
 * started); OWAMP while sessions are started: cfg.ow_stopwait_ns after
 * they are complete (RFC 4656 3.8).  None while a Fetch-Session answer
 * streams (srv_fetching); 0 just after one ended: srv_timeout() then
 * starts SERVWAIT from its now.  UINT64_MAX when there is no deadline.
 */
uint64_t srv_deadline_ns(const struct srv *s);
/* Closes with SRV_CLOSE_TIMEOUT when now_ns >= the deadline; else nothing.  0 or -EPIPE. */
int srv_timeout(struct srv *s, uint64_t now_ns);
/*
 * The caller's REFWAIT (RFC 5357 4.2) expired for the started session sid:
 * the SM ends it (sess_end SRV_END_REFWAIT) and, when no session is active
 * any more, resumes SERVWAIT (RFC 5357 3.1).  -ENOENT for an unknown SID.
 */
int srv_sess_expired(struct srv *s, const uint8_t sid[XW_SID_LEN], uint64_t now_ns);

/*
 * The caller's start timeout expired for session sid, accepted but not
 * started: the SM ends it (sess_end SRV_END_UNSTARTED), so that a client
 * that requests sessions and never starts them cannot hold reflector
 * ports for as long as it keeps the connection up.  A later Start-N naming
 * it gets Accept 1 for it (RFC 5938 3.3), Start-Sessions starts the others.
 * -ENOENT for an unknown SID, -EBUSY when the session is started.
 */
int srv_sess_unstarted_expired(struct srv *s, const uint8_t sid[XW_SID_LEN], uint64_t now_ns);

enum srv_state srv_state(const struct srv *s);
int srv_closed(const struct srv *s);
enum srv_close srv_close_reason(const struct srv *s);
/* The Mode the client chose (0 before Set-Up-Response). */
uint32_t srv_mode(const struct srv *s);
/* Sessions currently held (accepted and not ended) and started among them. */
unsigned int srv_nsessions(const struct srv *s);
unsigned int srv_nactive(const struct srv *s);
/* Session by SID, NULL when not held. */
struct srv_sess *srv_sess_find(struct srv *s, const uint8_t sid[XW_SID_LEN]);
/*
 * Rate limit for warnings the client can trigger over and over on this
 * connection (log.h xw_ratelimit): true when one may be logged now.  The
 * caller's callbacks use it for their own per-request lines.
 */
bool srv_log_ok(struct srv *s, uint64_t now_ns);
const char *srv_state_name(enum srv_state st);
const char *srv_close_name(enum srv_close why);

#endif /* XW_SRV_H */
