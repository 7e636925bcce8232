/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TWAMP-Control message codec (RFC 4656 3, RFC 5357 3, RFC 5938 3, RFC 6038 4).
 *
 * Plain structs <-> plaintext wire bytes, nothing else: no I/O, no crypto.
 * The HMAC field that ends most messages is part of the message bytes, but
 * the codec treats it as opaque: encode writes zeros there, decode ignores
 * it.  The channel layer (chan.h) computes, writes and checks it, and does
 * the AES-CBC of the authenticated, encrypted and mixed modes.
 *
 * Conventions:
 *  - encode: int codec_X_encode(const struct codec_X *m, uint8_t *buf, size_t cap)
 *    returns the number of octets written (the message length) or
 *    -ENOSPC (cap too small) / -EINVAL (a field the sender must not send).
 *    Every MBZ octet is written as zero.
 *  - decode: int codec_X_decode(struct codec_X *m, const uint8_t *buf, size_t len)
 *    takes exactly one whole message (len must equal its length) and returns
 *    0 or a negative errno, after a pr_debug/pr_warn naming the bad field:
 *      -EMSGSIZE    len is not the message's length (truncated, oversized)
 *      -EBADMSG     malformed: wrong command number, a count out of range,
 *                   a value the RFC forbids outright
 *      -EOPNOTSUPP  well formed, but asks for something TWAMP does not allow
 *                   (Conf-Sender/Receiver != 0, IPVN not 4/6, Type-P other
 *                   than a DSCP).  RFC 5357 3.5: the server answers with
 *                   Accept 3; the struct is filled as far as it could be.
 *    MBZ fields are ignored on decode (RFC 4656 3.1: "the party that
 *    interprets the message MUST ignore the value").  Accept values that
 *    are reserved decode as 1 (RFC 4656 3.3).
 *
 * Multi-octet numbers in the structs are host order.  Timestamps are the
 * raw 64-bit NTP format (include/xwamp/ntp.h converts).
 */
#ifndef XW_CODEC_H
#define XW_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "xwamp/proto.h"

/* Lengths of the messages the proto.h list does not give (RFC 5938 3). */
#define CODEC_N_HDR_LEN	     16 /* first block of Start-N/Stop-N(-Ack): command .. count */
/* Start-N-Sessions etc.: header block, Number of Sessions SIDs, HMAC block. */
#define CODEC_N_LEN(n)	     (CODEC_N_HDR_LEN + (size_t)(n)*XW_SID_LEN + XW_HMAC_LEN)
/*
 * Resource limit (not from the RFC): more SIDs per Start-N/Stop-N than this
 * is refused, so that a peer cannot make us wait for gigabytes.
 */
#define CODEC_N_SESSIONS_MAX 1024
#define CODEC_N_MAX_LEN	     CODEC_N_LEN(CODEC_N_SESSIONS_MAX)

/*
 * Where the HMAC sits in each message.  Every message that has one ends
 * with it: offset = length - XW_HMAC_LEN.  Greeting, Set-Up-Response and
 * Server-Start have none.
 */
#define CODEC_REQUEST_TW_SESSION_HMAC_OFF (XW_REQUEST_TW_SESSION_LEN - XW_HMAC_LEN) /* 96 */
#define CODEC_ACCEPT_SESSION_HMAC_OFF	  (XW_ACCEPT_SESSION_LEN - XW_HMAC_LEN)	    /* 32 */
#define CODEC_START_SESSIONS_HMAC_OFF	  (XW_START_SESSIONS_LEN - XW_HMAC_LEN)	    /* 16 */
#define CODEC_START_ACK_HMAC_OFF	  (XW_START_ACK_LEN - XW_HMAC_LEN)	    /* 16 */
#define CODEC_STOP_SESSIONS_HMAC_OFF	  (XW_STOP_SESSIONS_LEN - XW_HMAC_LEN)	    /* 16 */
#define CODEC_N_HMAC_OFF(n)		  (CODEC_N_LEN(n) - XW_HMAC_LEN)
/*
 * OWAMP Request-Session (RFC 4656 3.5), which a TWAMP server receives only
 * to refuse it: TWO HMACs.  The first ends its fixed part (octets 96..111,
 * covering 0..95); the second follows the schedule slots and covers only
 * them (RFC 4656 3.2: an HMAC covers what was sent since the previous one).
 */
#define CODEC_REQUEST_SESSION_HMAC1_END	  XW_REQUEST_TW_SESSION_LEN /* 112 */

/* Server-Start: the block that is encrypted in A/E/M modes (RFC 4656 3.1). */
#define CODEC_SERVER_START_IV_OFF  16
#define CODEC_SERVER_START_ENC_OFF 32 /* Start-Time + MBZ(8): one AES block */

/* Set-Up-Response: where the Client-IV sits (the last block). */
#define CODEC_SETUP_RESPONSE_IV_OFF 148

/* The messages, for "how long is the next one" (codec_msg_len()). */
enum codec_msg {
	CODEC_MSG_GREETING = 1,
	CODEC_MSG_SETUP_RESPONSE,
	CODEC_MSG_SERVER_START,
	CODEC_MSG_REQUEST_TW_SESSION,
	CODEC_MSG_ACCEPT_SESSION,
	CODEC_MSG_START_SESSIONS,
	CODEC_MSG_START_ACK,
	CODEC_MSG_STOP_SESSIONS,
	CODEC_MSG_START_N_SESSIONS,
	CODEC_MSG_START_N_ACK,
	CODEC_MSG_STOP_N_SESSIONS,
	CODEC_MSG_STOP_N_ACK,
	/*
	 * "Whatever command the Control-Client sends next" (server side):
	 * the command number in the first octet selects the message.
	 */
	CODEC_MSG_CLIENT_COMMAND,
	/*
	 * OWAMP (RFC 4656 3): whatever an OWAMP Control-Client sends next
	 * (1 Request-Session, 2 Start-Sessions, 3 Stop-Sessions with session
	 * records, 4 Fetch-Session); the server's Stop-Sessions; Fetch-Ack.
	 * An OWAMP Stop-Sessions needs more than its first block to tell its
	 * length: every record's Number of Skip Ranges.
	 */
	CODEC_MSG_OW_CLIENT_COMMAND,
	CODEC_MSG_OW_STOP_SESSIONS,
	CODEC_MSG_FETCH_ACK,
};

/*
 * Length of the next message of type @type, given the first @avail octets
 * of it (plaintext) in @buf.  Returns the length (> 0) when known, 0 when
 * more octets are needed to tell (variable-length messages need their
 * first 16-octet block; a client command needs its first octet), or
 * -EBADMSG (unknown command number, Number of Sessions 0) /
 * -EMSGSIZE (more SIDs than CODEC_N_SESSIONS_MAX).
 * For CODEC_MSG_CLIENT_COMMAND the known commands are 1 (the OWAMP
 * Request-Session, forbidden in TWAMP: its length is computed so that a
 * server can consume it and answer Accept 3, RFC 5357 3.5), 2, 3, 5, 7, 9.
 * 16 octets are always enough to decide.
 */
int codec_msg_len(enum codec_msg type, const uint8_t *buf, size_t avail);

/* The command number of a client command (its first octet), or -EAGAIN when avail == 0. */
int codec_peek_cmd(const uint8_t *buf, size_t avail);

/* Accept value as received: reserved values read as 1 (RFC 4656 3.3). */
uint8_t codec_accept_from_wire(uint8_t v);

/* ---- Connection setup (RFC 4656 3.1, RFC 5357 3.1) ---------------------- */

struct codec_greeting {
	uint32_t modes; /* as sent; clients ignore bits they do not know */
	uint8_t challenge[16];
	uint8_t salt[16];
	uint32_t count; /* PBKDF2 iterations: power of 2, >= 1024 */
};
int codec_greeting_encode(const struct codec_greeting *m, uint8_t *buf, size_t cap);
/* -EBADMSG when Count is not a power of 2 >= 1024 (Modes 0 decodes: "not willing"). */
int codec_greeting_decode(struct codec_greeting *m, const uint8_t *buf, size_t len);

struct codec_setup_response {
	uint32_t mode; /* one security bit (or none: client gives up) + feature bits */
	uint8_t keyid[XW_KEYID_LEN];
	uint8_t token[XW_TOKEN_LEN];
	uint8_t client_iv[XW_BLOCK_LEN];
};
int codec_setup_response_encode(const struct codec_setup_response *m, uint8_t *buf, size_t cap);
/* -EBADMSG when more than one security bit is set (RFC 4656 3.1, RFC 5618 3.1). */
int codec_setup_response_decode(struct codec_setup_response *m, const uint8_t *buf, size_t len);

struct codec_server_start {
	uint8_t accept;
	uint8_t server_iv[XW_BLOCK_LEN];
	uint64_t start_time; /* NTP; encrypted on the wire in A/E/M modes when Accept == 0 */
};
int codec_server_start_encode(const struct codec_server_start *m, uint8_t *buf, size_t cap);
int codec_server_start_decode(struct codec_server_start *m, const uint8_t *buf, size_t len);

/* ---- Sessions (RFC 5357 3.5, RFC 6038 4.2/4.3) --------------------------- */

struct codec_request_tw_session {
	uint8_t ipvn;	       /* 4 or 6 */
	uint8_t conf_sender;   /* must be 0 in TWAMP */
	uint8_t conf_receiver; /* must be 0 in TWAMP */
	uint32_t num_slots;    /* "MUST be set to 0"; decoded as sent, not checked */
	uint32_t num_packets;  /* idem */
	uint16_t sender_port;
	uint16_t receiver_port;
	uint8_t sender_addr[16];   /* IPv4: first 4 octets, rest zero */
	uint8_t receiver_addr[16]; /* IPv4: first 4 octets, rest zero */
	uint8_t sid[XW_SID_LEN];   /* 0 in a request (the server chooses it) */
	uint32_t padding_len;
	uint64_t start_time; /* NTP */
	uint64_t timeout;    /* NTP-format interval */
	uint32_t type_p;     /* 0x3F000000 mask: DSCP; anything else unsupported */
	/* RFC 6038 4.2, only with XW_MODE_REFLECT_OCT (else MBZ: 0 here) */
	uint16_t octets_to_reflect;
	uint16_t reflect_pad_len;
};
/* RFC 4656 3.5: "first two bits 00, then the subsequent six bits" = DSCP. */
#define CODEC_TYPE_P_DSCP_MASK	     0x3F000000u
#define CODEC_TYPE_P_DSCP(tp)	     ((uint8_t)((tp) >> 24) & 0x3F)
#define CODEC_TYPE_P_FROM_DSCP(dscp) ((uint32_t)((dscp)&0x3F) << 24)
/*
 * @mode is the mode of the connection (Set-Up-Response Mode): the RFC 6038
 * fields are written/read only when it has XW_MODE_REFLECT_OCT.
 */
int codec_request_tw_session_encode(const struct codec_request_tw_session *m, uint32_t mode,
				    uint8_t *buf, size_t cap);
int codec_request_tw_session_decode(struct codec_request_tw_session *m, uint32_t mode,
				    const uint8_t *buf, size_t len);

struct codec_accept_session {
	uint8_t accept;
	uint16_t port;
	uint8_t sid[XW_SID_LEN];
	/* RFC 6038 4.3, only with XW_MODE_REFLECT_OCT (else MBZ: 0 here) */
	uint16_t reflected_octets;
	uint16_t server_octets;
};
int codec_accept_session_encode(const struct codec_accept_session *m, uint32_t mode, uint8_t *buf,
				size_t cap);
int codec_accept_session_decode(struct codec_accept_session *m, uint32_t mode, const uint8_t *buf,
				size_t len);

/* ---- Start / Stop (RFC 4656 3.7, RFC 5357 3.7/3.8) ----------------------- */

/* Start-Sessions has no fields besides its command number. */
int codec_start_sessions_encode(uint8_t *buf, size_t cap);
int codec_start_sessions_decode(const uint8_t *buf, size_t len);

struct codec_start_ack {
	uint8_t accept;
};
int codec_start_ack_encode(const struct codec_start_ack *m, uint8_t *buf, size_t cap);
int codec_start_ack_decode(struct codec_start_ack *m, const uint8_t *buf, size_t len);

/* TWAMP Stop-Sessions: no session description records (RFC 5357 3.8). */
struct codec_stop_sessions {
	uint8_t accept;
	uint32_t num_sessions;
};
int codec_stop_sessions_encode(const struct codec_stop_sessions *m, uint8_t *buf, size_t cap);
int codec_stop_sessions_decode(struct codec_stop_sessions *m, const uint8_t *buf, size_t len);

/* ---- Individual session control (RFC 5938 3.2-3.5) ----------------------- */

/*
 * One struct for the four messages.  @sids points at num_sessions * 16
 * octets: the caller's array on encode; on decode it points INTO the
 * decoded buffer (valid as long as that buffer is).  @accept is used by
 * the two Acks only (0 and ignored for Start-N/Stop-N-Sessions).
 * num_sessions must be 1..CODEC_N_SESSIONS_MAX.
 */
struct codec_n_sessions {
	uint8_t accept;
	uint32_t num_sessions;
	const uint8_t *sids;
};
int codec_start_n_sessions_encode(const struct codec_n_sessions *m, uint8_t *buf, size_t cap);
int codec_start_n_sessions_decode(struct codec_n_sessions *m, const uint8_t *buf, size_t len);
int codec_start_n_ack_encode(const struct codec_n_sessions *m, uint8_t *buf, size_t cap);
int codec_start_n_ack_decode(struct codec_n_sessions *m, const uint8_t *buf, size_t len);
int codec_stop_n_sessions_encode(const struct codec_n_sessions *m, uint8_t *buf, size_t cap);
int codec_stop_n_sessions_decode(struct codec_n_sessions *m, const uint8_t *buf, size_t len);
int codec_stop_n_ack_encode(const struct codec_n_sessions *m, uint8_t *buf, size_t cap);
int codec_stop_n_ack_decode(struct codec_n_sessions *m, const uint8_t *buf, size_t len);

/* ---- OWAMP-Control (RFC 4656 3.5-3.9) ------------------------------------ */

/*
 * Request-Session (RFC 4656 3.5): the same fixed 112 octets as
 * Request-TW-Session (command 1 instead of 5; octets 88..95 MBZ: the
 * RFC 6038 fields are TWAMP's), ending in an HMAC; then Number of Schedule
 * Slots slots of 16 octets and a second HMAC.  One logical message.
 */
#define CODEC_OW_SLOT_LEN  16
#define CODEC_OW_SLOTS_MAX (1u << 20) /* resource limit (16 MiB), not from the RFC */
#define CODEC_OW_REQUEST_LEN(n) \
	(XW_REQUEST_TW_SESSION_LEN + (size_t)(n)*CODEC_OW_SLOT_LEN + XW_HMAC_LEN)
#define CODEC_OW_REQUEST_HMAC1_END XW_REQUEST_TW_SESSION_LEN
#define CODEC_FETCH_SESSION_LEN	   48
#define CODEC_FETCH_ACK_LEN	   32
#define CODEC_OW_STOP_HDR_LEN	   16
#define CODEC_OW_STOP_REC_HDR_LEN  24 /* SID, Next Seqno, Number of Skip Ranges */
#define CODEC_OW_SKIP_LEN	   8
#define CODEC_OW_RECORD_LEN	   25	 /* RFC 4656 3.9 packet record */
#define CODEC_OW_SKIPS_MAX	   65536 /* per session; resource limit */
#define CODEC_OW_STOP_SESSIONS_MAX CODEC_N_SESSIONS_MAX
#define CODEC_ROUNDUP16(x)	   (((size_t)(x) + 15) & ~(size_t)15)
/* One session description record of Stop-Sessions, padded to a block. */
#define CODEC_OW_STOP_REC_LEN(nskip) \
	CODEC_ROUNDUP16(CODEC_OW_STOP_REC_HDR_LEN + (size_t)(nskip)*CODEC_OW_SKIP_LEN)
/* Fetch data parts (RFC 4656 3.9): skip ranges + HMAC, records + HMAC. */
#define CODEC_OW_SKIPS_PART_LEN(n) (CODEC_ROUNDUP16((size_t)(n)*CODEC_OW_SKIP_LEN) + XW_HMAC_LEN)
#define CODEC_OW_RECORDS_PART_LEN(n) \
	(CODEC_ROUNDUP16((size_t)(n)*CODEC_OW_RECORD_LEN) + XW_HMAC_LEN)
/* Fetch-Session Begin/End Seq asking for the complete session. */
#define CODEC_FETCH_ALL_BEGIN 0u
#define CODEC_FETCH_ALL_END   0xFFFFFFFFu

enum codec_slot_type {
	CODEC_SLOT_EXP = 0,   /* exponentially distributed, Parameter = mean */
	CODEC_SLOT_FIXED = 1, /* fixed, Parameter = the interval */
};

/*
 *      0                   1                   2                   3
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |    Slot Type  |                                               |
 *     +-+-+-+-+-+-+-+-+         MBZ (7 octets)                        |
 *     |                                                               |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                 Slot Parameter (Timestamp)                    |
 *     |                                                               |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
struct codec_ow_slot {
	uint8_t type;	/* enum codec_slot_type */
	uint64_t param; /* NTP-format interval */
};

/*
 * The fixed part uses struct codec_request_tw_session (its RFC 6038
 * fields stay 0); num_slots is the number of entries of @slots.
 * Conf-Sender/Receiver: 1 = the server is asked to be that agent.
 */
struct codec_request_session {
	struct codec_request_tw_session f;
	const struct codec_ow_slot *slots; /* encode only: f.num_slots entries */
	const uint8_t *slot_bytes;	   /* decode: into the decoded buffer */
};
/* Whole message, CODEC_OW_REQUEST_LEN(num_slots) octets; -EINVAL for 0 slots, IPVN not 4/6. */
int codec_request_session_encode(const struct codec_request_session *m, uint8_t *buf, size_t cap);
/*
 * Whole message (both parts, HMAC fields ignored).  Conf-Sender/Receiver
 * read as 0/1 (RFC 4656 3.5 "MUST interpret any non-zero value as 1").
 * -EMSGSIZE: len is not CODEC_OW_REQUEST_LEN(Number of Schedule Slots) or
 * too many slots; -EBADMSG: wrong command, no slot, neither Conf bit set;
 * -EOPNOTSUPP (Accept 3): IPVN not 4/6, an unknown slot type, Type-P other
 * than a DSCP when the server is asked to send.
 */
int codec_request_session_decode(struct codec_request_session *m, const uint8_t *buf, size_t len);
/*
 * The Request-Session reproduction of RFC 4656 3.9 from a received one
 * (plaintext, @len octets, in place): the SID and the ports "actually
 * used" written in, both HMAC fields zeroed (the channel writes them when
 * the data is sent).  -EINVAL when @len is too short.
 */
int codec_request_session_fixup(uint8_t *buf, size_t len, const uint8_t sid[XW_SID_LEN],
				uint16_t sender_port, uint16_t receiver_port);
/* Slot @i of a decoded request (i < f.num_slots). */
void codec_ow_slot_at(const struct codec_request_session *m, uint32_t i, struct codec_ow_slot *out);

struct codec_ow_skip {
	uint32_t first, last; /* First / Last Seqno Skipped, inclusive */
};

/* One session description record of an OWAMP Stop-Sessions (RFC 4656 3.8). */
struct codec_ow_stop_rec {
	uint8_t sid[XW_SID_LEN];
	uint32_t next_seqno;
	uint32_t num_skips;
	const struct codec_ow_skip *skips; /* encode: num_skips entries */
	const uint8_t *skip_bytes;	   /* decode: into the decoded buffer */
};

/*
 * OWAMP Stop-Sessions: header (3, Accept, Number of Sessions), @n records,
 * HMAC.  Skip ranges must be in order and not overlap, each first <= last
 * < Next Seqno (RFC 4656 3.8 "Skip Ranges MUST be in order").  Returns the
 * length or -ENOSPC / -EINVAL.
 */
int codec_ow_stop_sessions_encode(uint8_t accept, const struct codec_ow_stop_rec *recs, uint32_t n,
				  uint8_t *buf, size_t cap);
/*
 * Checks the whole message: command 3, lengths (-EMSGSIZE), every record's
 * skip ranges in order, not overlapping, within Next Seqno (-EBADMSG).
 * Fills the header; records are then read with codec_ow_stop_rec_at().
 */
struct codec_ow_stop {
	uint8_t accept;
	uint32_t num_sessions;
	const uint8_t *recs; /* first record, into the buffer */
	size_t recs_len;
};
int codec_ow_stop_sessions_decode(struct codec_ow_stop *m, const uint8_t *buf, size_t len);
/*
 * Record at *off (start with 0) of a decoded Stop-Sessions; advances *off.
 * Only valid after codec_ow_stop_sessions_decode() returned 0.
 */
void codec_ow_stop_rec_at(const struct codec_ow_stop *m, size_t *off,
			  struct codec_ow_stop_rec *rec);
/* Skip range @i from wire bytes (Stop-Sessions record or Fetch data). */
void codec_ow_skip_at(const uint8_t *skip_bytes, uint32_t i, struct codec_ow_skip *out);
/*
 * A sender did not send packet @seq (RFC 4656 4.1.1): extend the last of the
 * *n ranges in @s when seq follows it, else open a new one; with @max
 * ranges in use the last one is widened (sequence numbers only grow, so the
 * ranges stay in order; a wider hole only shrinks what is measured).
 */
void codec_ow_skip_note(struct codec_ow_skip *s, uint32_t *n, uint32_t max, uint32_t seq);
/* -EBADMSG unless ranges are in order, disjoint, first <= last < next_seqno (0: no bound). */
int codec_ow_skips_check(const uint8_t *skip_bytes, uint32_t n, uint32_t next_seqno);

/* ---- Fetch-Session, Fetch-Ack and the session data (RFC 4656 3.9) -------- */

struct codec_fetch_session {
	uint32_t begin_seq, end_seq;
	uint8_t sid[XW_SID_LEN];
};
int codec_fetch_session_encode(const struct codec_fetch_session *m, uint8_t *buf, size_t cap);
int codec_fetch_session_decode(struct codec_fetch_session *m, const uint8_t *buf, size_t len);

struct codec_fetch_ack {
	uint8_t accept;
	uint8_t finished;
	uint32_t next_seqno;
	uint32_t num_skips;
	uint32_t num_records;
};
/* Accept != 0: every other field is written as 0 (RFC 4656 3.9 "MUST specify zero"). */
int codec_fetch_ack_encode(const struct codec_fetch_ack *m, uint8_t *buf, size_t cap);
/*
 * Accept != 0: the other fields read as 0 ("MUST ignore all remaining
 * fields", RFC 4656 3.9, so no garbage there is refused).  Accept 0:
 * Finished reads as 0/1; -EBADMSG when Finished is 0 and Next Seqno or
 * Number of Skip Ranges is not ("MUST be set to zero by the server"), or
 * when more skip ranges are announced than packets below Next Seqno;
 * -EMSGSIZE beyond CODEC_OW_SKIPS_MAX.  MBZ octets are ignored (3.1).
 */
int codec_fetch_ack_decode(struct codec_fetch_ack *m, const uint8_t *buf, size_t len);

/* One packet record of the session data (25 octets, not block aligned). */
struct codec_ow_record {
	uint32_t seq;
	uint16_t send_errest, recv_errest;
	uint64_t send_ts, recv_ts; /* NTP; recv_ts 0: a lost packet */
	uint8_t ttl;
};
/* RFC 4656 3.9: a lost packet's send Error Estimate: Multiplier 1, Scale 64, S 0. */
#define CODEC_OW_LOST_ERREST 0x4001u
void codec_ow_record_encode(const struct codec_ow_record *r, uint8_t out[CODEC_OW_RECORD_LEN]);
void codec_ow_record_decode(struct codec_ow_record *r, const uint8_t in[CODEC_OW_RECORD_LEN]);
/* 1 when the record describes a lost packet (receive timestamp all zero). */
int codec_ow_record_lost(const struct codec_ow_record *r);
/*
 * Fetch data parts (plaintext, HMAC field zero, ready for chan_seal()):
 * skip ranges, then packet records, each padded to a block and ended by
 * an HMAC field.  Return the part length or -ENOSPC.
 */
int codec_ow_skips_part_encode(const struct codec_ow_skip *s, uint32_t n, uint8_t *buf, size_t cap);
int codec_ow_records_part_encode(const struct codec_ow_record *r, uint32_t n, uint8_t *buf,
				 size_t cap);

#endif /* XW_CODEC_H */
