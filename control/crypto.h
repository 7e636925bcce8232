/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The cryptography of O/TWAMP (RFC 4656 3.1, 3.2, 4.1.2, 6.6; RFC 5357 3.1,
 * 4.1.2): PBKDF2-HMAC-SHA1 key from the shared secret, the Token, AES-128 in
 * ECB and CBC, HMAC-SHA1 truncated to 16 octets, the test session keys.
 *
 * OpenSSL EVP only.  Contexts that carry a key are set up once (per control
 * connection or per test session) and reused: a per-packet caller never pays
 * for a key schedule.  Every function returns 0 or a negative errno; every
 * buffer of key material is wiped with xw_wipe() on every path.  An object
 * (xw_aes, xw_hmac) is not safe for concurrent use: one per thread.
 */
#ifndef XW_CRYPTO_H
#define XW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "xwamp/proto.h"

#define XW_AES_KEY_LEN	    16 /* AES-128 */
#define XW_HMAC_KEY_LEN	    32 /* HMAC Session-key, RFC 4656 3.1 */
#define XW_SHA1_LEN	    20
#define XW_PBKDF2_MIN_COUNT 1024 /* RFC 4656 3.1: Count >= 1024, a power of 2 */

/* Wipe key material (OPENSSL_cleanse: not optimised away). */
void xw_wipe(void *p, size_t len);
/*
 * Grows *buf (capacity *cap, the first @used octets in use) to hold @need
 * octets, doubling from 256: the old buffer is wiped before it is freed, as
 * control input is decrypted in place.  0, or -ENOMEM with *buf unchanged.
 */
int xw_wipe_grow(uint8_t **buf, size_t *cap, size_t used, size_t need);
/* Constant-time comparison (CRYPTO_memcmp): 1 when equal, 0 otherwise. */
int xw_ct_equal(const void *a, const void *b, size_t len);
/* Cryptographically secure random bytes (RAND_bytes). */
int xw_random(void *buf, size_t len);

/*
 * PBKDF2 (RFC 2898 5.2) with HMAC-SHA1; out_len octets (16 for O/TWAMP).
 * count >= 1 only: enforcing RFC 4656 3.1 (>= 1024, power of 2, and an
 * upper bound against a server that asks for hours of work) is the
 * greeting's validator's job.
 */
int xw_pbkdf2_sha1(const uint8_t *secret, size_t secret_len, const uint8_t *salt, size_t salt_len,
		   uint32_t count, uint8_t *out, size_t out_len);

/*
 * AES-128 with a key schedule kept for the life of the object.
 * xw_aes_ecb_* transform whole 16-octet blocks independently;
 * xw_aes_cbc_* chain through *iv, which is updated to the last ciphertext
 * block, so consecutive calls form one CBC stream (RFC 4656 3.4: the control
 * stream is encrypted as one stream per direction).  len is a multiple of 16;
 * in and out may be the same buffer.
 */
struct xw_aes;
struct xw_aes *xw_aes_new(const uint8_t key[XW_AES_KEY_LEN]);
void xw_aes_free(struct xw_aes *aes); /* wipes; NULL is fine */
int xw_aes_ecb_encrypt(struct xw_aes *aes, const uint8_t *in, uint8_t *out, size_t len);
int xw_aes_ecb_decrypt(struct xw_aes *aes, const uint8_t *in, uint8_t *out, size_t len);
int xw_aes_cbc_encrypt(struct xw_aes *aes, uint8_t iv[XW_BLOCK_LEN], const uint8_t *in,
		       uint8_t *out, size_t len);
int xw_aes_cbc_decrypt(struct xw_aes *aes, uint8_t iv[XW_BLOCK_LEN], const uint8_t *in,
		       uint8_t *out, size_t len);

/*
 * HMAC-SHA1 with the key set once.  A message is fed with update() in any
 * number of pieces; final() writes the first 16 octets (RFC 4656 3.2) and
 * resets the object for the next message with the same key.  verify() does
 * final() and compares in constant time: 1 when the MAC matches, 0 when not,
 * a negative errno when the computation failed.  After final()/verify() the
 * object is ready for the next message whatever the outcome.
 * xw_hmac_full() gives all 20 octets (RFC 2202 known answers).
 */
struct xw_hmac;
struct xw_hmac *xw_hmac_new(const uint8_t *key, size_t key_len);
void xw_hmac_free(struct xw_hmac *h); /* wipes; NULL is fine */
int xw_hmac_update(struct xw_hmac *h, const void *data, size_t len);
int xw_hmac_final(struct xw_hmac *h, uint8_t mac[XW_HMAC_LEN]);
int xw_hmac_full(struct xw_hmac *h, uint8_t mac[XW_SHA1_LEN]);
int xw_hmac_verify(struct xw_hmac *h, const uint8_t mac[XW_HMAC_LEN]);
/* One-shot convenience for tests and rare paths. */
int xw_hmac_oneshot(const uint8_t *key, size_t key_len, const void *data, size_t len,
		    uint8_t mac[XW_HMAC_LEN]);

/*
 * The Token of Set-Up-Response (RFC 4656 3.1): Challenge (16) || AES
 * Session-key (16) || HMAC Session-key (32), AES-CBC with IV zero under
 * kek = PBKDF2-HMAC-SHA1(shared secret, Salt, Count, 16).
 */
struct xw_session_keys {
	uint8_t aes[XW_AES_KEY_LEN];
	uint8_t hmac[XW_HMAC_KEY_LEN];
};
int xw_token_encrypt(const uint8_t kek[XW_AES_KEY_LEN], const uint8_t challenge[16],
		     const struct xw_session_keys *keys, uint8_t token[XW_TOKEN_LEN]);
/* Decrypts; returns -EACCES when the challenge inside does not match (constant time). */
int xw_token_decrypt(const uint8_t kek[XW_AES_KEY_LEN], const uint8_t challenge[16],
		     const uint8_t token[XW_TOKEN_LEN], struct xw_session_keys *keys);

/*
 * Test session keys (RFC 4656 4.1.2, used by RFC 5357 4.1.2): derived from
 * the control connection's session keys and the session's SID, so each test
 * session has its own.
 */
int xw_test_keys_derive(const struct xw_session_keys *ctrl, const uint8_t sid[XW_SID_LEN],
			struct xw_session_keys *test);

#endif /* XW_CRYPTO_H */
