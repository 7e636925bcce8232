// SPDX-License-Identifier: GPL-2.0-only
/*
 * control/crypto.c against published known answers and the reference
 * implementation:
 *   - PBKDF2-HMAC-SHA1: RFC 6070 (counts 1, 2, 4096, 25-octet output,
 *     embedded NULs; the 16777216 one is skipped for time);
 *   - HMAC-SHA1: RFC 2202 cases 1-7, full 20 octets and the 16-octet
 *     truncation of RFC 4656 3.2, streaming, reuse after final/verify;
 *   - AES-128: NIST SP 800-38A F.1.1/F.1.2 (ECB), F.2.1/F.2.2 (CBC), CBC
 *     split over several calls equals one call, in place;
 *   - Token (RFC 4656 3.1) round trip, wrong challenge / wrong key;
 *   - test session keys (RFC 4656 4.1.2) recomputed here from single-block
 *     ECB operations, so the test checks the composition (ECB, CBC, IV 0);
 *   - the perfSONAR captures: passphrase -> PBKDF2(Salt, Count) -> Token of
 *     the Set-Up-Response decrypts to the greeting's Challenge, in every
 *     authenticated/encrypted/mixed capture; with the keys so obtained the
 *     Accept-Session decrypts (Server-IV CBC stream) and the SID in it gives
 *     test keys under which the first test packet decrypts to seq 0 || MBZ.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "pcap.h"
#include "t.h"

#define PASSPHRASE "correct horse battery"

/* --- PBKDF2 (RFC 6070) ------------------------------------------------------- */

static const struct {
	const char *p;
	size_t plen;
	const char *s;
	size_t slen;
	uint32_t c;
	size_t dklen;
	const char *dk;
} pbkdf2_vec[] = {
	{"password", 8, "salt", 4, 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
	{"password", 8, "salt", 4, 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
	{"password", 8, "salt", 4, 4096, 20, "4b007901b765489abead49d926f721d065a429c1"},
	{"passwordPASSWORDpassword", 24, "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096, 25,
	 "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
	{"pass\0word", 9, "sa\0lt", 5, 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"},
};

TEST(pbkdf2_rfc6070)
{
	size_t i;

	for (i = 0; i < sizeof(pbkdf2_vec) / sizeof(pbkdf2_vec[0]); i++) {
		uint8_t want[32], got[32];
		size_t n = t_unhex(pbkdf2_vec[i].dk, want, sizeof(want));

		CHECK_EQ(n, pbkdf2_vec[i].dklen);
		memset(got, 0xee, sizeof(got));
		CHECK_EQ(xw_pbkdf2_sha1((const uint8_t *)pbkdf2_vec[i].p, pbkdf2_vec[i].plen,
					(const uint8_t *)pbkdf2_vec[i].s, pbkdf2_vec[i].slen,
					pbkdf2_vec[i].c, got, n),
			 0);
		CHECK_MEM(got, want, n);
		CHECK_EQ(got[n], 0xee); /* no write past out_len */
	}
}

TEST(pbkdf2_rejects_bad_arguments)
{
	uint8_t out[16];

	CHECK_EQ(xw_pbkdf2_sha1((const uint8_t *)"x", 1, (const uint8_t *)"s", 1, 0, out, 16),
		 -EINVAL);
	CHECK_EQ(xw_pbkdf2_sha1((const uint8_t *)"x", 1, (const uint8_t *)"s", 1, 1, out, 0),
		 -EINVAL);
	CHECK_EQ(xw_pbkdf2_sha1(NULL, 1, (const uint8_t *)"s", 1, 1, out, 16), -EINVAL);
}

/* --- HMAC-SHA1 (RFC 2202) ----------------------------------------------------- */

struct hmac_case {
	uint8_t key[80];
	size_t key_len;
	uint8_t data[80];
	size_t data_len;
	uint8_t mac[20];
};

static void rfc2202_case(int i, struct hmac_case *c)
{
	static const char *const text[] = {
		"Hi There",
		"what do ya want for nothing?",
		NULL,
		NULL,
		"Test With Truncation",
		"Test Using Larger Than Block-Size Key - Hash Key First",
		"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
	};
	static const char *const mac[] = {
		"b617318655057264e28bc0b6fb378c8ef146be00",
		"effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
		"125d7342b9ac11cd91a39af48aa17b4f63f175d3",
		"4c9007f4026250c6bc8414f9bf50c86c2d7235da",
		"4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
		"aa4ae5e15272d00e95705637ce8a3b55ed402112",
		"e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
	};
	size_t k;

	memset(c, 0, sizeof(*c));
	switch (i) {
	case 0:
		c->key_len = 20;
		memset(c->key, 0x0b, 20);
		break;
	case 1:
		c->key_len = 4;
		memcpy(c->key, "Jefe", 4);
		break;
	case 2:
		c->key_len = 20;
		memset(c->key, 0xaa, 20);
		c->data_len = 50;
		memset(c->data, 0xdd, 50);
		break;
	case 3:
		c->key_len = 25;
		for (k = 0; k < 25; k++)
			c->key[k] = (uint8_t)(k + 1);
		c->data_len = 50;
		memset(c->data, 0xcd, 50);
		break;
	case 4:
		c->key_len = 20;
		memset(c->key, 0x0c, 20);
		break;
	default:
		c->key_len = 80;
		memset(c->key, 0xaa, 80);
		break;
	}
	if (text[i]) {
		c->data_len = strlen(text[i]);
		memcpy(c->data, text[i], c->data_len);
	}
	t_unhex(mac[i], c->mac, sizeof(c->mac));
}

TEST(hmac_rfc2202_full_and_truncated)
{
	int i;

	for (i = 0; i < 7; i++) {
		struct hmac_case c;
		uint8_t full[20], trunc[16];
		struct xw_hmac *h;

		rfc2202_case(i, &c);
		h = xw_hmac_new(c.key, c.key_len);
		CHECK(h);
		CHECK_EQ(xw_hmac_update(h, c.data, c.data_len), 0);
		CHECK_EQ(xw_hmac_full(h, full), 0);
		CHECK_MEM(full, c.mac, 20);
		/* same object, next message: reset by final */
		CHECK_EQ(xw_hmac_update(h, c.data, c.data_len), 0);
		CHECK_EQ(xw_hmac_final(h, trunc), 0);
		CHECK_MEM(trunc, c.mac, 16);
		xw_hmac_free(h);
		memset(trunc, 0, sizeof(trunc));
		CHECK_EQ(xw_hmac_oneshot(c.key, c.key_len, c.data, c.data_len, trunc), 0);
		CHECK_MEM(trunc, c.mac, 16);
	}
}

TEST(hmac_streaming_and_verify)
{
	struct hmac_case c;
	struct xw_hmac *h;
	uint8_t bad[16], mac[16];
	size_t k;

	rfc2202_case(6, &c); /* 73 octets of data, over one SHA-1 block */
	h = xw_hmac_new(c.key, c.key_len);
	CHECK(h);
	/* fed one octet at a time, then as 0-length + the rest */
	for (k = 0; k < c.data_len; k++)
		CHECK_EQ(xw_hmac_update(h, c.data + k, 1), 0);
	CHECK_EQ(xw_hmac_final(h, mac), 0);
	CHECK_MEM(mac, c.mac, 16);
	CHECK_EQ(xw_hmac_update(h, c.data, 0), 0);
	CHECK_EQ(xw_hmac_update(h, c.data, 10), 0);
	CHECK_EQ(xw_hmac_update(h, c.data + 10, c.data_len - 10), 0);
	CHECK_EQ(xw_hmac_verify(h, c.mac), 1);
	/* a flipped last bit fails, and the object is still usable afterwards */
	memcpy(bad, c.mac, 16);
	bad[15] ^= 1;
	CHECK_EQ(xw_hmac_update(h, c.data, c.data_len), 0);
	CHECK_EQ(xw_hmac_verify(h, bad), 0);
	/* octets 16..19 of the full MAC are not compared (truncation) */
	CHECK_EQ(xw_hmac_update(h, c.data, c.data_len), 0);
	CHECK_EQ(xw_hmac_verify(h, c.mac), 1);
	/* a different message does not verify */
	CHECK_EQ(xw_hmac_update(h, c.data, c.data_len - 1), 0);
	CHECK_EQ(xw_hmac_verify(h, c.mac), 0);
	xw_hmac_free(h);
	xw_hmac_free(NULL);
}

TEST(hmac_empty_key_and_message)
{
	uint8_t want[20], got[20];
	struct xw_hmac *h = xw_hmac_new(NULL, 0);

	CHECK(h);
	t_unhex("fbdb1d1b18aa6c08324b7d64b71fb76370690e1d", want, sizeof(want));
	CHECK_EQ(xw_hmac_full(h, got), 0);
	CHECK_MEM(got, want, 20);
	xw_hmac_free(h);
}

/* --- AES-128 (NIST SP 800-38A) --------------------------------------------------- */

static const char nist_key[] = "2b7e151628aed2a6abf7158809cf4f3c";
static const char nist_plain[] =
	"6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
static const char nist_ecb[] = "3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf"
			       "43b1cd7f598ece23881b00e3ed030688 7b0c785e27e8ad3f8223207104725dd4";
static const char nist_cbc_iv[] = "000102030405060708090a0b0c0d0e0f";
static const char nist_cbc[] = "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2"
			       "73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7";

struct nist {
	uint8_t key[16], plain[64], ecb[64], iv[16], cbc[64];
};

static void nist_load(struct nist *n)
{
	t_unhex(nist_key, n->key, 16);
	t_unhex(nist_plain, n->plain, 64);
	t_unhex(nist_ecb, n->ecb, 64);
	t_unhex(nist_cbc_iv, n->iv, 16);
	t_unhex(nist_cbc, n->cbc, 64);
}

TEST(aes_ecb_sp800_38a)
{
	struct nist n;
	struct xw_aes *aes;
	uint8_t buf[64];

	nist_load(&n);
	aes = xw_aes_new(n.key);
	CHECK(aes);
	CHECK_EQ(xw_aes_ecb_encrypt(aes, n.plain, buf, 64), 0); /* F.1.1 */
	CHECK_MEM(buf, n.ecb, 64);
	CHECK_EQ(xw_aes_ecb_decrypt(aes, n.ecb, buf, 64), 0); /* F.1.2 */
	CHECK_MEM(buf, n.plain, 64);
	/* in place, one block at a time (ECB has no chaining) */
	memcpy(buf, n.plain, 64);
	CHECK_EQ(xw_aes_ecb_encrypt(aes, buf + 16, buf + 16, 48), 0);
	CHECK_EQ(xw_aes_ecb_encrypt(aes, buf, buf, 16), 0);
	CHECK_MEM(buf, n.ecb, 64);
	CHECK_EQ(xw_aes_ecb_decrypt(aes, buf, buf, 64), 0);
	CHECK_MEM(buf, n.plain, 64);
	/* whole blocks only */
	CHECK_EQ(xw_aes_ecb_encrypt(aes, n.plain, buf, 15), -EINVAL);
	CHECK_EQ(xw_aes_ecb_decrypt(aes, n.plain, buf, 17), -EINVAL);
	CHECK_EQ(xw_aes_ecb_encrypt(aes, n.plain, buf, 0), 0);
	xw_aes_free(aes);
	xw_aes_free(NULL);
}

TEST(aes_cbc_sp800_38a)
{
	struct nist n;
	struct xw_aes *aes;
	uint8_t buf[64], iv[16];

	nist_load(&n);
	aes = xw_aes_new(n.key);
	CHECK(aes);
	memcpy(iv, n.iv, 16);
	CHECK_EQ(xw_aes_cbc_encrypt(aes, iv, n.plain, buf, 64), 0); /* F.2.1 */
	CHECK_MEM(buf, n.cbc, 64);
	CHECK_MEM(iv, n.cbc + 48, 16); /* IV left at the last ciphertext block */
	memcpy(iv, n.iv, 16);
	CHECK_EQ(xw_aes_cbc_decrypt(aes, iv, n.cbc, buf, 64), 0); /* F.2.2 */
	CHECK_MEM(buf, n.plain, 64);
	CHECK_MEM(iv, n.cbc + 48, 16);
	/* ECB still works after CBC use of the same object (separate contexts) */
	CHECK_EQ(xw_aes_ecb_encrypt(aes, n.plain, buf, 16), 0);
	CHECK_MEM(buf, n.ecb, 16);
	CHECK_EQ(xw_aes_cbc_encrypt(aes, iv, n.plain, buf, 8), -EINVAL);
	xw_aes_free(aes);
}

TEST(aes_cbc_split_calls_chain)
{
	static const size_t parts[][3] = {{16, 32, 16}, {48, 16, 0}, {16, 16, 32}};
	struct nist n;
	struct xw_aes *aes;
	uint8_t buf[64], iv[16];
	size_t p, k, off;

	nist_load(&n);
	aes = xw_aes_new(n.key);
	CHECK(aes);
	for (p = 0; p < 3; p++) {
		/* encrypt in pieces, then decrypt in other pieces, in place */
		memcpy(iv, n.iv, 16);
		memcpy(buf, n.plain, 64);
		for (k = 0, off = 0; k < 3 && parts[p][k]; off += parts[p][k], k++)
			CHECK_EQ(xw_aes_cbc_encrypt(aes, iv, buf + off, buf + off, parts[p][k]), 0);
		CHECK_EQ(off, 64);
		CHECK_MEM(buf, n.cbc, 64);
		memcpy(iv, n.iv, 16);
		for (k = 3, off = 0; k-- > 0;) {
			size_t len = parts[p][k] ? parts[p][k] : 0;

			if (!len)
				continue;
			CHECK_EQ(xw_aes_cbc_decrypt(aes, iv, buf + off, buf + off, len), 0);
			off += len;
		}
		CHECK_EQ(off, 64);
		CHECK_MEM(buf, n.plain, 64);
		CHECK_MEM(iv, n.cbc + 48, 16);
	}
	xw_aes_free(aes);
}

/* --- Token (RFC 4656 3.1) ----------------------------------------------------------- */

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

TEST(token_roundtrip_and_layout)
{
	struct xw_session_keys keys, out;
	uint8_t kek[16], chal[16], token[64], plain[64], iv[16] = {0};
	struct xw_aes *aes;

	fill(kek, 16, 1);
	fill(chal, 16, 2);
	fill(keys.aes, 16, 3);
	fill(keys.hmac, 32, 4);
	CHECK_EQ(xw_token_encrypt(kek, chal, &keys, token), 0);
	/* layout: CBC, IV 0, Challenge || AES key || HMAC key */
	aes = xw_aes_new(kek);
	CHECK(aes);
	CHECK_EQ(xw_aes_cbc_decrypt(aes, iv, token, plain, 64), 0);
	xw_aes_free(aes);
	CHECK_MEM(plain, chal, 16);
	CHECK_MEM(plain + 16, keys.aes, 16);
	CHECK_MEM(plain + 32, keys.hmac, 32);

	memset(&out, 0, sizeof(out));
	CHECK_EQ(xw_token_decrypt(kek, chal, token, &out), 0);
	CHECK_MEM(out.aes, keys.aes, 16);
	CHECK_MEM(out.hmac, keys.hmac, 32);
}

TEST(token_wrong_challenge_or_key)
{
	static const uint8_t zero[sizeof(struct xw_session_keys)];
	struct xw_session_keys keys, out;
	uint8_t kek[16], chal[16], token[64];

	fill(kek, 16, 9);
	fill(chal, 16, 10);
	fill(keys.aes, 16, 11);
	fill(keys.hmac, 32, 12);
	CHECK_EQ(xw_token_encrypt(kek, chal, &keys, token), 0);
	chal[15] ^= 0x80;
	memset(&out, 0x55, sizeof(out));
	CHECK_EQ(xw_token_decrypt(kek, chal, token, &out), -EACCES);
	CHECK_MEM(&out, zero, sizeof(out)); /* nothing handed out on failure */
	chal[15] ^= 0x80;
	kek[0] ^= 1;
	memset(&out, 0x55, sizeof(out));
	CHECK_EQ(xw_token_decrypt(kek, chal, token, &out), -EACCES);
	CHECK_MEM(&out, zero, sizeof(out));
	kek[0] ^= 1;
	/* a corrupted token block 0 breaks the challenge */
	token[3] ^= 1;
	CHECK_EQ(xw_token_decrypt(kek, chal, token, &out), -EACCES);
}

/* --- Test session keys (RFC 4656 4.1.2) ------------------------------------------------ */

TEST(test_keys_composition)
{
	struct xw_session_keys ctrl, test, want, same;
	uint8_t sid[16], x[16];
	struct xw_aes *aes;
	int i;

	fill(ctrl.aes, 16, 21);
	fill(ctrl.hmac, 32, 22);
	fill(sid, 16, 23);
	/*
	 * Independently, from single-block ECB under the SID:
	 * AES key = E(ctrl AES key); HMAC key = CBC with IV 0 over two blocks,
	 * i.e. C1 = E(H1 ^ 0), C2 = E(H2 ^ C1).
	 */
	aes = xw_aes_new(sid);
	CHECK(aes);
	CHECK_EQ(xw_aes_ecb_encrypt(aes, ctrl.aes, want.aes, 16), 0);
	CHECK_EQ(xw_aes_ecb_encrypt(aes, ctrl.hmac, want.hmac, 16), 0);
	for (i = 0; i < 16; i++)
		x[i] = ctrl.hmac[16 + i] ^ want.hmac[i];
	CHECK_EQ(xw_aes_ecb_encrypt(aes, x, want.hmac + 16, 16), 0);
	xw_aes_free(aes);

	CHECK_EQ(xw_test_keys_derive(&ctrl, sid, &test), 0);
	CHECK_MEM(test.aes, want.aes, 16);
	CHECK_MEM(test.hmac, want.hmac, 32);
	/* the derived key differs from the control key and per SID */
	CHECK(memcmp(test.aes, ctrl.aes, 16) != 0);
	/* in place (test == ctrl) gives the same */
	same = ctrl;
	CHECK_EQ(xw_test_keys_derive(&same, sid, &same), 0);
	CHECK_MEM(&same, &want, sizeof(same));
	sid[0] ^= 1;
	CHECK_EQ(xw_test_keys_derive(&ctrl, sid, &test), 0);
	CHECK(memcmp(test.aes, want.aes, 16) != 0);
	CHECK(memcmp(test.hmac + 16, want.hmac + 16, 16) != 0);
}

TEST(ct_equal)
{
	uint8_t a[32], b[32];

	fill(a, 32, 5);
	memcpy(b, a, 32);
	CHECK_EQ(xw_ct_equal(a, b, 32), 1);
	b[31] ^= 1;
	CHECK_EQ(xw_ct_equal(a, b, 32), 0);
	CHECK_EQ(xw_ct_equal(a, b, 31), 1);
	b[0] ^= 0x80;
	CHECK_EQ(xw_ct_equal(a, b, 31), 0);
	CHECK_EQ(xw_ct_equal(a, b, 0), 1);
}

TEST(random_and_wipe)
{
	uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};

	CHECK_EQ(xw_random(a, sizeof(a)), 0);
	CHECK_EQ(xw_random(b, sizeof(b)), 0);
	CHECK(memcmp(a, b, 32) != 0); /* 2^-256 to fail by chance */
	xw_wipe(a, sizeof(a));
	CHECK_MEM(a, zero, 32);
	xw_wipe(NULL, 0);
}

/* --- The perfSONAR captures ------------------------------------------------------------ */

/*
 * Offsets (RFC 4656 3.1): Server Greeting = Unused 12, Modes 4, Challenge 16,
 * Salt 16, Count 4, MBZ 12; Set-Up-Response = Mode 4, KeyID 80, Token 64,
 * Client-IV 16; Server-Start = MBZ 15, Accept 1, Server-IV 16, Start-Time 8,
 * MBZ 8 (the last 16 encrypted, RFC 4656 3.4: encryption starts with the
 * block after the IV).  Then Accept-Session (RFC 4656 3.5 / RFC 5357 3.5):
 * Accept 1, MBZ 1, Port 2, SID 16, MBZ 12, HMAC 16.
 */
#define G_CHALLENGE 16
#define G_SALT	    32
#define G_COUNT	    48
#define SUR_MODE    0
#define SUR_KEYID   4
#define SUR_TOKEN   84
#define SS_IV	    (XW_GREETING_LEN + 16)
#define SS_ENC	    (XW_GREETING_LEN + 32)

struct cap_check {
	const char *name;
	uint32_t mode;
	uint16_t test_dport; /* the first client->server test packet goes here */
	int open_test;	     /* mixed mode (RFC 5618): test packets are in clear */
};

static void check_capture(const struct cap_check *cc)
{
	struct xw_pcap cap;
	struct xw_session_keys keys, tkeys;
	const uint8_t *g, *sur;
	uint8_t kek[16], iv[16], acc[64], keyid[80] = {'a', 'l', 'i', 'c', 'e'};
	uint8_t block[16], zero[12] = {0};
	struct xw_aes *aes;
	size_t i;

	CHECK_EQ(xw_pcap_open_capture(&cap, cc->name), 0);
	CHECK(cap.dir[XW_PCAP_S2C].len >= XW_GREETING_LEN + XW_SERVER_START_LEN + 48);
	CHECK(cap.dir[XW_PCAP_C2S].len >= XW_SETUP_RESPONSE_LEN);
	g = cap.dir[XW_PCAP_S2C].data;
	sur = cap.dir[XW_PCAP_C2S].data;
	CHECK_EQ(xw_pcap_be32(sur + SUR_MODE), cc->mode);
	CHECK_MEM(sur + SUR_KEYID, keyid, 80);
	CHECK_EQ(xw_pcap_be32(g + G_COUNT), 2048);

	CHECK_EQ(xw_pbkdf2_sha1((const uint8_t *)PASSPHRASE, strlen(PASSPHRASE), g + G_SALT, 16,
				xw_pcap_be32(g + G_COUNT), kek, sizeof(kek)),
		 0);
	/* the proof: the Token decrypts to the greeting's Challenge */
	CHECK_EQ(xw_token_decrypt(kek, g + G_CHALLENGE, sur + SUR_TOKEN, &keys), 0);
	/* and under a wrong key it does not */
	kek[0] ^= 1;
	CHECK_EQ(xw_token_decrypt(kek, g + G_CHALLENGE, sur + SUR_TOKEN, &tkeys), -EACCES);
	xw_wipe(kek, sizeof(kek));

	/* Server-Start then Accept-Session, one CBC stream from the Server-IV */
	CHECK_EQ(g[XW_GREETING_LEN + 15], 0); /* Accept OK, in clear */
	aes = xw_aes_new(keys.aes);
	CHECK(aes);
	memcpy(iv, g + SS_IV, 16);
	CHECK_EQ(xw_aes_cbc_decrypt(aes, iv, g + SS_ENC, acc, 64), 0);
	xw_aes_free(aes);
	CHECK_MEM(acc + 8, zero, 8); /* Server-Start MBZ after Start-Time */
	CHECK_EQ(acc[16], 0);	     /* Accept-Session: Accept OK */
	CHECK_EQ(acc[17], 0);	     /* MBZ */
	CHECK_EQ(xw_pcap_be16(acc + 18), cc->test_dport);
	CHECK_EQ(xw_pcap_be32(acc + 20), 0x7f000001); /* SID starts with the server's address */
	CHECK_MEM(acc + 36, zero, 12);

	/* test keys from the SID: the first test packet decrypts to seq 0 || MBZ */
	CHECK_EQ(xw_test_keys_derive(&keys, acc + 20, &tkeys), 0);
	for (i = 0; i < cap.n_udp; i++)
		if (cap.udp[i].dport == cc->test_dport)
			break;
	CHECK(i < cap.n_udp);
	CHECK(cap.udp[i].len >= 16);
	aes = xw_aes_new(tkeys.aes);
	CHECK(aes);
	/* auth: ECB; encrypted: CBC with IV 0, whose first block is the same */
	CHECK_EQ(xw_aes_ecb_decrypt(aes, cap.udp[i].data, block, 16), 0);
	xw_aes_free(aes);
	if (cc->open_test) {
		/* seq 0 and MBZ travel in clear: "decrypting" them gives noise */
		CHECK_EQ(xw_pcap_be32(cap.udp[i].data), 0);
		CHECK(memcmp(block + 4, zero, 12) != 0);
	} else {
		CHECK_EQ(xw_pcap_be32(block), 0);
		CHECK_MEM(block + 4, zero, 12);
	}
	xw_wipe(&keys, sizeof(keys));
	xw_wipe(&tkeys, sizeof(tkeys));
	xw_pcap_close(&cap);
}

TEST(capture_twamp_auth)
{
	static const struct cap_check cc = {"perfsonar-twamp-auth.pcap", 2, 9571, 0};

	check_capture(&cc);
}

TEST(capture_twamp_encrypted)
{
	static const struct cap_check cc = {"perfsonar-twamp-encrypted.pcap", 4, 9091, 0};

	check_capture(&cc);
}

/* mixed mode (RFC 5618): control encrypted as in E, test packets open */
TEST(capture_twamp_mixed)
{
	static const struct cap_check cc = {"perfsonar-twamp-mixed.pcap", 8, 9885, 1};

	check_capture(&cc);
}

TEST(capture_owamp_auth)
{
	static const struct cap_check cc = {"perfsonar-owamp-auth.pcap", 2, 48699, 0};

	check_capture(&cc);
}

TEST(capture_owamp_encrypted)
{
	static const struct cap_check cc = {"perfsonar-owamp-encrypted.pcap", 4, 51004, 0};

	check_capture(&cc);
}
