/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IPsec SA profile (EXPERIMENTAL, never offered by default, not RFC
 * 7717): O/TWAMP keys taken from the IPsec SA that protects the two hosts,
 * as the 2013 draft that became RFC 7717 proposed it
 * (the 2013 draft of the IPPM working group, sections 4.1, 4.2.1,
 * 4.2.2).  This file holds the derivations and the wire layouts; EVERY
 * decision the draft leaves open is made in saprof.c, once, next to a
 * comment naming the draft section (README "IPsec SA profile").
 *
 * Variants (the draft assigns no Mode value: both ends are told which one
 * by an explicit option, never negotiated):
 *   XW_SA_KEYMAT  4.1: shared secret = KEYMAT of the Child SA pair; the
 *                 greeting of Figure 2 (RFC 4656 greeting with Protocol,
 *                 SPIi, SPIr in the 12 unused octets); Set-Up-Response,
 *                 PBKDF2 and Token as RFC 4656 3.1.
 *   XW_SA_ALT1    4.2.1: root key = KEYMAT; enc/auth session keys =
 *                 PRF(root, "O/TWAMP enc"/"O/TWAMP auth") for control and
 *                 test alike; greeting of Figure 3, Set-Up-Response of
 *                 Figure 4 (Token = Enc_root-key(Challenge)).
 *   XW_SA_ALT2    4.2.2: the SA's own encryption and integrity keys as
 *                 session keys; greeting of Figure 5, Set-Up-Response of
 *                 Figure 6.
 */
#ifndef XW_SAPROF_H
#define XW_SAPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "xwamp/proto.h"

enum xw_sa_variant {
	XW_SA_NONE = 0,
	XW_SA_KEYMAT = 1,
	XW_SA_ALT1 = 2,
	XW_SA_ALT2 = 3,
};
/* "keymat", "alt1", "alt2" (option values); XW_SA_NONE when unknown. */
enum xw_sa_variant xw_sa_variant_by_name(const char *name);
const char *xw_sa_variant_name(enum xw_sa_variant v);

#define XW_SA_KEY_MAX	 64 /* longest ESP/AH key we take (AES-256-GCM + salt: 36; SHA-512: 64) */
#define XW_SA_KEYMAT_MAX (4 * XW_SA_KEY_MAX)

/* One SA of the pair, as the kernel SAD (or a key source) holds it. */
struct xw_sa_key {
	uint8_t proto; /* IPPROTO_ESP (50) or IPPROTO_AH (51) */
	uint32_t spi;  /* host order */
	bool aead;     /* ESP with a combined mode (AES-GCM...): enc holds key || salt */
	uint8_t enc[XW_SA_KEY_MAX];
	size_t enc_len; /* 0: none (AH) */
	uint8_t integ[XW_SA_KEY_MAX];
	size_t integ_len; /* 0: none (encryption-only ESP, or AEAD) */
};

/*
 * The pair (RFC 4301 4.1: one SA per direction).  Decision (draft 4.1 does
 * not say who "i" is when no IKE exchange told us): i is the O/TWAMP
 * Control-Client, r the server; SPIi names the SA carrying client ->
 * server, SPIr the one carrying server -> client.
 */
struct xw_sa_pair {
	struct xw_sa_key c2s; /* "i -> r" */
	struct xw_sa_key s2c; /* "r -> i" */
	/*
	 * SKEYSEED of the IKE SA the pair belongs to (RFC 7296 2.14, 2.18),
	 * for XW_SA_ROOT_IKE: only the IKE daemon knows it (the charon
	 * plugin's source); 0 when the source has none (the kernel SAD).
	 */
	uint8_t skeyseed[XW_SA_KEY_MAX];
	size_t skeyseed_len;
};

/*
 * The root of the keys (draft 4.1 "the shared secret can be derived from
 * the IKEv2 SA, or IPsec SA"; 4.2.1 "the root key ... can be derived from
 * the IKE or IPsec SA"), for KEYMAT and Alternative 1; Alternative 2 uses
 * the SA's own keys and has no root.  An explicit option on both ends,
 * like the variant (never negotiated).
 */
enum xw_sa_root {
	XW_SA_ROOT_IPSEC = 0, /* KEYMAT of the Child SA pair (default) */
	XW_SA_ROOT_IKE = 1,   /* SKEYSEED of its IKE SA */
};
/* "ipsec", "ike"; -1 when unknown. */
int xw_sa_root_by_name(const char *name);
/*
 * The --sa-root option of both programs: name (NULL: the default, ipsec)
 * with variant v, keys from charon or not.  0 with *root set, or -EINVAL
 * with *why (an unknown name; ike with alt2, which has no root, or without
 * charon, the only source of SKEYSEED).
 */
int xw_sa_root_opt(const char *name, enum xw_sa_variant v, bool from_charon, enum xw_sa_root *root,
		   const char **why);
const char *xw_sa_root_name(enum xw_sa_root r);
void xw_sa_pair_wipe(struct xw_sa_pair *p);

/*
 * Can variant v use this pair?  0, or -EOPNOTSUPP with *why set: an
 * encryption-only ESP SA (draft 4.1: prohibited, no integrity key), the two
 * SAs of different protocols, Alternative 2 on an AEAD SA (no separate
 * integrity key) or on AH (no encryption key), keys shorter than an
 * O/TWAMP AES key for Alternative 2.
 */
int xw_sa_usable(enum xw_sa_variant v, const struct xw_sa_pair *p, const char **why);

/*
 * KEYMAT of the Child SA pair in RFC 7296 2.17 order: the keys of the SA
 * i -> r first, encryption before integrity, then those of r -> i.
 * 0 with *len set, -ENOSPC, or the refusals of xw_sa_usable(XW_SA_KEYMAT).
 */
int xw_sa_keymat(const struct xw_sa_pair *p, uint8_t out[XW_SA_KEYMAT_MAX], size_t *len);

/* The draft's PRF (decision: HMAC-SHA2-256, RFC 4868).  out holds 32 octets. */
#define XW_SA_PRF_LEN 32
int xw_sa_prf(const uint8_t *key, size_t key_len, const char *label, uint8_t out[XW_SA_PRF_LEN]);

/* 4.2.1: session keys from the root key (KEYMAT), the same for control and test. */
int xw_sa_alt1_keys(const uint8_t *root, size_t root_len, struct xw_session_keys *keys);
/* 4.2.1 Figure 4: Token = Enc_root-key(Challenge) (decision in saprof.c). */
int xw_sa_alt1_token(const struct xw_session_keys *keys, const uint8_t challenge[16],
		     uint8_t token[16]);
/* Server: 0 when token matches (constant time), -EACCES otherwise. */
int xw_sa_alt1_token_check(const struct xw_session_keys *keys, const uint8_t challenge[16],
			   const uint8_t token[16]);
/* 4.2.2: session keys = the SA's own keys (decisions in saprof.c). */
int xw_sa_alt2_keys(const struct xw_sa_pair *p, struct xw_session_keys *keys);

/*
 * What a key source hands out for this profile (control/keysrc.h class
 * XW_KEYCLASS_SA): the pair itself, carried in the source's secret buffer
 * (same process, wiped like every key).  0 or -ENOSPC / -EINVAL.
 */
int xw_sa_pair_to_secret(const struct xw_sa_pair *p, uint8_t *secret, size_t cap, size_t *len);
int xw_sa_pair_from_secret(const uint8_t *secret, size_t len, struct xw_sa_pair *p);

/*
 * The SA a request names, in the internal KeyID of the server's key step
 * (never on the wire): Protocol, SPIi, SPIr, 4 octets each, the rest zero.
 */
void xw_sa_keyid_put(uint8_t keyid[XW_KEYID_LEN], uint32_t proto, uint32_t spi_i, uint32_t spi_r);
void xw_sa_keyid_get(const uint8_t keyid[XW_KEYID_LEN], uint32_t *proto, uint32_t *spi_i,
		     uint32_t *spi_r);

/*
 * The variant's keys from the pair: KEYMAT -> *secret (the RFC 4656 shared
 * secret; PBKDF2 and the Token follow as RFC 4656 3.1), ALT1 and ALT2 ->
 * *keys (the session keys directly).  root picks KEYMAT or SKEYSEED as the
 * shared secret (KEYMAT) or root key (ALT1); ALT2 takes only
 * XW_SA_ROOT_IPSEC.  0, the refusals of xw_sa_usable(), -ENOKEY when root
 * is XW_SA_ROOT_IKE and the pair has no SKEYSEED, -EINVAL for ALT2 with
 * XW_SA_ROOT_IKE.
 */
int xw_sa_derive(enum xw_sa_variant v, enum xw_sa_root root, const struct xw_sa_pair *p,
		 uint8_t *secret, size_t cap, size_t *len, struct xw_session_keys *keys);
/*
 * DECISION (4.2): Alternatives 1 and 2 use the control connection's keys
 * for every test session too ("one key for encryption and another for
 * authentication is sufficient for both"); KEYMAT derives per-session test
 * keys as RFC 4656 4.1.2.
 */
bool xw_sa_test_keys_shared(enum xw_sa_variant v);

/* ---- wire layouts ---------------------------------------------------------- */

/* Greetings: Figure 2 (64 octets), Figure 3 (44), Figure 5 (28). */
#define XW_SA_GREETING_MAX 64
struct xw_sa_greeting {
	uint32_t proto; /* 4 octets on the wire: 50 or 51 */
	uint32_t spi_i, spi_r;
	uint32_t modes;
	uint8_t challenge[16]; /* Figures 2, 3 */
	uint8_t salt[16];      /* Figure 2 */
	uint32_t count;	       /* Figure 2 */
};
size_t xw_sa_greeting_len(enum xw_sa_variant v);
/* Encode; returns the length (xw_sa_greeting_len), 0 for XW_SA_NONE. */
size_t xw_sa_greeting_put(enum xw_sa_variant v, const struct xw_sa_greeting *g, uint8_t *buf);
/* Decode len octets; 0, or -EINVAL for a wrong length. */
int xw_sa_greeting_get(enum xw_sa_variant v, const uint8_t *buf, size_t len,
		       struct xw_sa_greeting *g);
/*
 * Client (draft 4.1: "MUST close the connection if it receives a greeting
 * with an erroneous SPI and protocol value"): the greeting against the
 * client's own SAD pair.  0, or -EPERM with *why set.
 */
int xw_sa_greeting_check(const struct xw_sa_greeting *g, const struct xw_sa_pair *p,
			 const char **why);

/* Set-Up-Responses: Figure 4 (36 octets) and Figure 6 (20); Figure 2's is RFC 4656's. */
#define XW_SA_SETUP_MAX 36
struct xw_sa_setup {
	uint32_t mode;
	uint8_t token[16]; /* Figure 4 */
	uint8_t client_iv[16];
};
size_t xw_sa_setup_len(enum xw_sa_variant v); /* 0 for KEYMAT: RFC 4656 3.1's layout */
size_t xw_sa_setup_put(enum xw_sa_variant v, const struct xw_sa_setup *s, uint8_t *buf);
int xw_sa_setup_get(enum xw_sa_variant v, const uint8_t *buf, size_t len, struct xw_sa_setup *s);

#endif /* XW_SAPROF_H */
