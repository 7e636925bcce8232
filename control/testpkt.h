/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TWAMP-Test packets (RFC 5357 4): the Session-Sender packet (RFC 5357 4.1.2
 * = RFC 4656 4.1.2) and the Session-Reflector packet (RFC 5357 4.2.1), in
 * unauthenticated, authenticated and encrypted modes, with the RFC 6038
 * Reflect Octets and Symmetrical Size variants.  Mixed mode (RFC 5618) uses
 * the unauthenticated test packets.
 *
 * Layouts (offsets in octets; "hdr" = everything before Packet Padding):
 *
 *   Sender, open (14):      0 seq | 4 timestamp | 12 error estimate | 14 padding
 *   Sender, auth/enc (48):  0 seq | 4 MBZ(12) | 16 timestamp | 24 EE | 26 MBZ(6)
 *                           | 32 HMAC(16) | 48 padding
 *   Reflector, open (41):   0 seq | 4 timestamp | 12 EE | 14 MBZ(2)
 *                           | 16 receive timestamp | 24 sender seq
 *                           | 28 sender timestamp | 36 sender EE | 38 MBZ(2)
 *                           | 40 sender TTL | 41 padding
 *   Reflector, auth/enc (112): 0 seq | 4 MBZ(12) | 16 timestamp | 24 EE
 *                           | 26 MBZ(6) | 32 receive timestamp | 40 MBZ(8)
 *                           | 48 sender seq | 52 MBZ(12) | 64 sender timestamp
 *                           | 72 sender EE | 74 MBZ(6) | 80 sender TTL
 *                           | 81 MBZ(15) | 96 HMAC(16) | 112 padding
 *
 * Crypto (RFC 4656 4.1.2, RFC 5357 4.1.2/4.2/4.2.1), all with the test
 * session keys (xw_test_keys_derive()), the same keys in both directions:
 *   sender, auth:       block 0..16 AES-ECB;        HMAC over 0..16
 *   sender, enc:        0..32 AES-CBC, IV 0;        HMAC over 0..32
 *   reflector, auth:    block 0..16 AES-ECB;        HMAC over 0..16
 *   reflector, enc:     0..96 AES-CBC, IV 0;        HMAC over 0..96
 * The HMAC (HMAC-SHA1 truncated to 16) is computed over the plaintext and
 * is itself never encrypted; padding is neither encrypted nor covered
 * (RFC 5357 4.2.1).  The captures of tests/unit/test_interop_test.c confirm
 * all four rows against perfSONAR 5.2.3.
 *
 * Sizes: RFC 5357 4.2.1 says 104 octets for the authenticated reflector
 * packet and RFC 6038 5.1.3 derives "truncate 56" from it, but the diagram
 * of 4.2.1 adds up to 96 + 16 (HMAC) = 112, and perfSONAR sends 48 + 64
 * padding -> 112 and reflects 112.  This code follows the diagram: the
 * reflector packet is max(sender length, reflector header + reflected
 * octets), i.e. it truncates 27 (open) or 64 (auth/enc) octets of padding
 * when the sender padded enough, else it sends the minimum.
 *
 * Errors are negative errno values, one distinct value per drop reason so
 * that a caller can count them (xw_tp_drop_reason()).
 */
#ifndef XW_TESTPKT_H
#define XW_TESTPKT_H

#include <errno.h>
#include <stddef.h>

#include "crypto.h"
#include "xwamp/proto.h"
#include "xwamp/types.h"

/* The security of test packets (not the Modes bits: see xw_tp_mode_of()). */
enum xw_tp_mode {
	XW_TP_OPEN = 0, /* unauthenticated, and mixed mode (RFC 5618) */
	XW_TP_AUTH = 1,
	XW_TP_ENC = 2,
};
/*
 * The test packet mode of a control connection's chosen Mode (Set-Up-Response
 * Mode field; extra bits such as reflect octets are ignored).  Mixed mode
 * maps to XW_TP_OPEN.  -EINVAL when no security bit is set.
 */
int xw_tp_mode_of(__u32 modes);

/* Header sizes (octets before Packet Padding). */
#define XW_TP_SENDER_HDR_OPEN XW_TEST_SENDER_OPEN_LEN /* 14 */
#define XW_TP_SENDER_HDR_AUTH XW_TEST_SENDER_AUTH_LEN /* 48 */
#define XW_TP_REFL_HDR_OPEN   XW_TEST_REFL_OPEN_LEN   /* 41 */
#define XW_TP_REFL_HDR_AUTH   XW_TEST_REFL_AUTH_LEN   /* 112 */
/* RFC 6038 5.1.4/5.1.5: MBZ octets after the sender header in Symmetrical Size mode. */
#define XW_TP_SYM_MBZ_OPEN    27
#define XW_TP_SYM_MBZ_AUTH    56
/* Octets encrypted (and covered by the HMAC) per packet kind. */
#define XW_TP_SENDER_ENC_LEN  32
#define XW_TP_REFL_ENC_LEN    96
/* Offsets of the HMAC. */
#define XW_TP_SENDER_HMAC_OFF 32
#define XW_TP_REFL_HMAC_OFF   96
/* Largest packet these functions build (a UDP payload over IPv4). */
#define XW_TP_MAX_LEN	      65507

/* Drop reasons: distinct negative errno values. */
#define XW_TP_E_TRUNC  (-ENODATA)  /* shorter than the mode's header (+ reflected octets) */
#define XW_TP_E_LEN    (-EMSGSIZE) /* length differs from the session's packet length */
#define XW_TP_E_HMAC   (-EBADMSG)  /* HMAC mismatch (tampered, wrong key, wrong session) */
#define XW_TP_E_MULT0  (-EPROTO)   /* an Error Estimate with Multiplier 0 (RFC 4656 4.1.2) */
#define XW_TP_E_NOSPC  (-ENOSPC)   /* output buffer too small */
#define XW_TP_E_INVAL  (-EINVAL)   /* bad arguments (e.g. a crypto mode without context) */
#define XW_TP_E_CRYPTO (-EIO)	   /* the crypto library failed */

enum xw_tp_drop {
	XW_TP_DROP_TRUNC = 0,
	XW_TP_DROP_LEN,
	XW_TP_DROP_HMAC,
	XW_TP_DROP_MULT0,
	XW_TP_DROP_OTHER,
	XW_TP_DROP_MAX,
};
/* Counter index for an error returned by a parse/reflect function. */
enum xw_tp_drop xw_tp_drop_reason(int err);
/* A short name for logs and statistics ("truncated", "bad-hmac", ...). */
const char *xw_tp_drop_name(enum xw_tp_drop reason);

/*
 * Per-session parameters, both ends alike, from the Request-TW-Session
 * and the chosen Mode.
 */
struct xw_tp_cfg {
	enum xw_tp_mode mode;
	/* Padding Length of Request-TW-Session.  In Symmetrical Size mode
	 * this counts the octets after the RFC 6038 MBZ octets. */
	__u32 padding_len;
	/* RFC 6038 "Length of padding to reflect"; 0: Reflect Octets not used. */
	__u16 reflect_len;
	__u8 symmetric;	   /* RFC 6038 Symmetrical Size mode */
	__u8 zero_padding; /* RFC 4656 4.1.2: option for all-zero padding */
};

/* Length of every Session-Sender packet of the session. */
size_t xw_tp_sender_len(const struct xw_tp_cfg *cfg);
/* Length of the Session-Reflector's answer to a sender packet of sender_len
 * octets: max(sender_len, reflector header + reflect_len). */
size_t xw_tp_reflector_len(const struct xw_tp_cfg *cfg, size_t sender_len);

/*
 * Crypto context of one test session: key schedules made once, reused for
 * every packet (RFC 4656 4.1.2 implementation note).  Zero-initialised
 * (or after free) it holds nothing and is fine to free again.
 */
struct xw_tp_crypto {
	struct xw_aes *aes;
	struct xw_hmac *hmac;
};
/* From the test session keys (xw_test_keys_derive() output). */
int xw_tp_crypto_init(struct xw_tp_crypto *c, const struct xw_session_keys *test_keys);
/* Derives the test keys from the control keys and the SID, wipes them after use. */
int xw_tp_crypto_init_sid(struct xw_tp_crypto *c, const struct xw_session_keys *ctrl_keys,
			  const __u8 sid[XW_SID_LEN]);
void xw_tp_crypto_free(struct xw_tp_crypto *c);

/* The fields of a Session-Sender packet. */
struct xw_tp_sender {
	__u32 seq;
	__u64 ts; /* NTP */
	__u16 errest;
};

/*
 * Build a Session-Sender packet into out (cap octets): xw_tp_sender_len(cfg)
 * octets.  reflect: NULL, or cfg->reflect_len octets to put at the start of
 * the Packet Padding (RFC 6038 5.1.2: Server octets first, then whatever the
 * sender wants back).  The rest of the padding is pseudo-random from the
 * crypto RNG (RFC 4656 4.1.2 SHOULD), or zero with cfg->zero_padding; the
 * Symmetrical Size MBZ octets are zero.  crypto: required for AUTH/ENC,
 * ignored for OPEN.  Returns the length or a negative errno.
 */
int xw_tp_build_sender(const struct xw_tp_cfg *cfg, struct xw_tp_crypto *crypto,
		       const struct xw_tp_sender *f, const __u8 *reflect, __u8 *out, size_t cap);
/*
 * Open and authenticated modes only: (re)write Timestamp and Error Estimate
 * of a built packet just before it is sent, so the timestamp is taken after
 * the crypto work.  Sender and reflector packets have both fields at the
 * same offsets, and in authenticated mode they lie outside the encrypted
 * block and the HMAC (RFC 4656 4.1.2; RFC 5357 4.1.2, 4.2.1: the reflector's
 * HMAC covers its first block only, as the reference captures show), so the
 * Session-Sender stamps T1 and the Session-Reflector T3 this way.  -EINVAL in
 * encrypted mode, where the timestamp is sealed with the packet.
 */
int xw_tp_stamp(enum xw_tp_mode mode, __u8 *pkt, size_t len, __u64 ts, __u16 errest);

/*
 * At the reflector: verify and decode a Session-Sender packet.  In AUTH/ENC
 * the covered part is decrypted into a private copy and its HMAC checked in
 * constant time before any field is used; pkt is not modified.
 * Checks: length >= header (+ Symmetrical MBZ + reflect_len), else
 * XW_TP_E_TRUNC; when expect_len is nonzero, len == expect_len, else
 * XW_TP_E_LEN; HMAC, else XW_TP_E_HMAC; Multiplier != 0, else XW_TP_E_MULT0.
 * Use expect_len = xw_tp_sender_len(cfg) when the Padding Length is known.
 */
int xw_tp_parse_sender(const struct xw_tp_cfg *cfg, struct xw_tp_crypto *crypto, const __u8 *pkt,
		       size_t len, size_t expect_len, struct xw_tp_sender *out);

/* What the reflector adds to its answer. */
struct xw_tp_refl {
	__u32 seq;	 /* the reflector's own sequence number of this session */
	__u64 rx_ts;	 /* NTP: when the sender packet arrived (kernel timestamp) */
	__u64 tx_ts;	 /* NTP: transmit time, taken as late as possible */
	__u16 errest;	 /* applies to rx_ts and tx_ts (RFC 5357 4.2.1) */
	__u8 sender_ttl; /* TTL / Hop Limit of the received IP header, 255 if unknown */
};

/*
 * The unauthenticated reflect transform in place (RFC 5357 4.2/4.2.1, RFC
 * 6038 5.2): buf holds a Session-Sender packet of len octets and has room
 * for cap; on success it holds the Session-Reflector packet and the return
 * value is its length (xw_tp_reflector_len()).  The sender's seq, timestamp
 * and error estimate are copied, the Packet Padding is re-used with its
 * highest-numbered octets discarded (RFC 5357 4.2.1), so the octets to be
 * reflected (RFC 6038) land at the start of the reflector's padding.
 * Checks as xw_tp_parse_sender() (no HMAC).  Uses no libc at all, so that
 * a copy of its logic can live in include/ for the XDP program.
 * cfg->mode is ignored (always open).
 */
int xw_tp_reflect_open(const struct xw_tp_cfg *cfg, __u8 *buf, size_t len, size_t cap,
		       size_t expect_len, const struct xw_tp_refl *r);

/*
 * Any mode: answer the Session-Sender packet in (len octets) with a
 * Session-Reflector packet in out (cap octets, must not overlap in).
 * Verifies like xw_tp_parse_sender(); the sender's fields are returned in
 * *sender when it is not NULL (for the reflector's logs and counters).
 * In AUTH/ENC the HMAC is computed first, then the covered part encrypted
 * (RFC 5357 4.2).  Returns the length of out or a negative errno.
 */
int xw_tp_reflect(const struct xw_tp_cfg *cfg, struct xw_tp_crypto *crypto, const __u8 *in,
		  size_t len, size_t expect_len, const struct xw_tp_refl *r, __u8 *out, size_t cap,
		  struct xw_tp_sender *sender);

/* A Session-Reflector packet as the Session-Sender sees it. */
struct xw_tp_reply {
	__u32 seq;	     /* reflector's sequence number */
	__u32 sender_seq;    /* copy of the sender's sequence number */
	__u64 t1;	     /* NTP: sender's transmit timestamp (copied back) */
	__u64 t2;	     /* NTP: reflector's receive timestamp */
	__u64 t3;	     /* NTP: reflector's transmit timestamp */
	__u64 t4;	     /* NTP: sender's receive timestamp (from the caller) */
	__u16 sender_errest; /* applies to t1 */
	__u16 errest;	     /* reflector's, applies to t2 and t3 */
	__u8 sender_ttl;
	const __u8 *padding; /* points into the caller's packet */
	size_t padding_len;
};

/*
 * At the sender: verify and decode a Session-Reflector packet (HMAC first in
 * AUTH/ENC, on a private decrypted copy; pkt is not modified).  t4 is the
 * caller's receive timestamp, stored in out->t4.  Length must be at least
 * the reflector header + cfg->reflect_len (XW_TP_E_TRUNC); longer packets
 * are accepted (truncating padding is only a SHOULD).  Multiplier 0 in
 * either Error Estimate gives XW_TP_E_MULT0.
 */
int xw_tp_parse_reflector(const struct xw_tp_cfg *cfg, struct xw_tp_crypto *crypto, const __u8 *pkt,
			  size_t len, __u64 t4, struct xw_tp_reply *out);

#endif /* XW_TESTPKT_H */
