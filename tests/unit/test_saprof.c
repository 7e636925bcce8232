// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPsec SA profile (control/saprof.h, draft-ippm-ipsec 2013, sections
 * 4.1, 4.2.1, 4.2.2): KEYMAT in RFC 7296 2.17 order, the Alternative 1
 * derivations and Token against answers computed independently with the
 * openssl command line (`openssl dgst -sha256 -mac HMAC`, `openssl enc
 * -aes-128-ecb -nopad`), the Alternative 2 keys, the SAs each variant
 * refuses (encryption-only ESP, AEAD and AH for Alternative 2), the
 * greetings of Figures 2, 3, 5 and Set-Up-Responses of Figures 4, 6 in
 * golden bytes, and the client's check of Protocol and SPIs (4.1: MUST close).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "t.h"
#include "saprof.h"

static void fill(uint8_t *p, size_t n, uint8_t from)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(from + i);
}

/* ESP, AES-CBC-128 + HMAC-SHA1-96 both ways: keys 00.., 10.., 20.., 30.. */
static void pair_cbc(struct xw_sa_pair *p)
{
	memset(p, 0, sizeof(*p));
	p->c2s.proto = p->s2c.proto = IPPROTO_ESP;
	p->c2s.spi = 0xc0000101;
	p->s2c.spi = 0xc0000202;
	fill(p->c2s.enc, 16, 0x00);
	p->c2s.enc_len = 16;
	fill(p->c2s.integ, 20, 0x10);
	p->c2s.integ_len = 20;
	fill(p->s2c.enc, 16, 0x20);
	p->s2c.enc_len = 16;
	fill(p->s2c.integ, 20, 0x30);
	p->s2c.integ_len = 20;
}

#define KEYMAT_CBC                                                                 \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223" \
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40414243"

TEST(keymat_order)
{
	struct xw_sa_pair p;
	uint8_t km[XW_SA_KEYMAT_MAX], want[XW_SA_KEYMAT_MAX];
	size_t n;

	pair_cbc(&p);
	CHECK_EQ(xw_sa_keymat(&p, km, &n), 0);
	CHECK_EQ(n, t_unhex(KEYMAT_CBC, want, sizeof(want)));
	CHECK_MEM(km, want, n);
}

TEST(keymat_aead_and_ah)
{
	struct xw_sa_pair p;
	uint8_t km[XW_SA_KEYMAT_MAX];
	size_t n;
	const char *why;

	/* rfc4106(gcm(aes)) 128 + 32-bit salt: 20 octets of "encryption key" each way */
	pair_cbc(&p);
	p.c2s.aead = p.s2c.aead = true;
	fill(p.c2s.enc, 20, 0x00);
	fill(p.s2c.enc, 20, 0x20);
	p.c2s.enc_len = p.s2c.enc_len = 20;
	p.c2s.integ_len = p.s2c.integ_len = 0;
	CHECK_EQ(xw_sa_keymat(&p, km, &n), 0);
	CHECK_EQ(n, 40);
	CHECK_EQ(km[0], 0x00);
	CHECK_EQ(km[19], 0x13);
	CHECK_EQ(km[20], 0x20);
	CHECK_EQ(xw_sa_usable(XW_SA_ALT1, &p, &why), 0);
	CHECK_EQ(xw_sa_usable(XW_SA_ALT2, &p, &why), -EOPNOTSUPP);
	CHECK(strstr(why, "AEAD"));
	/* AH: integrity keys only */
	pair_cbc(&p);
	p.c2s.proto = p.s2c.proto = IPPROTO_AH;
	p.c2s.enc_len = p.s2c.enc_len = 0;
	CHECK_EQ(xw_sa_keymat(&p, km, &n), 0);
	CHECK_EQ(n, 40);
	CHECK_EQ(km[0], 0x10);
	CHECK_EQ(km[20], 0x30);
	CHECK_EQ(xw_sa_usable(XW_SA_ALT2, &p, &why), -EOPNOTSUPP);
	CHECK(strstr(why, "AH"));
}

TEST(refuse_encryption_only)
{
	struct xw_sa_pair p;
	struct xw_session_keys k;
	uint8_t km[XW_SA_KEYMAT_MAX];
	size_t n;
	const char *why = NULL;

	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		pair_cbc(&p);
		p.s2c.integ_len = 0; /* one of the pair without integrity is enough */
		CHECK_EQ(xw_sa_usable(v, &p, &why), -EOPNOTSUPP);
		CHECK(strstr(why, "encryption-only"));
	}
	CHECK_EQ(xw_sa_keymat(&p, km, &n), -EOPNOTSUPP);
	CHECK_EQ(xw_sa_alt2_keys(&p, &k), -EOPNOTSUPP);
	/* a pair of ESP and AH */
	pair_cbc(&p);
	p.s2c.proto = IPPROTO_AH;
	CHECK_EQ(xw_sa_usable(XW_SA_KEYMAT, &p, &why), -EOPNOTSUPP);
	CHECK(strstr(why, "different protocols"));
}

TEST(alt1_known_answers)
{
	struct xw_sa_pair p;
	struct xw_session_keys k;
	uint8_t km[XW_SA_KEYMAT_MAX], want[32], ch[16], tok[16];
	size_t n;

	pair_cbc(&p);
	CHECK_EQ(xw_sa_keymat(&p, km, &n), 0);
	CHECK_EQ(xw_sa_alt1_keys(km, n, &k), 0);
	/* openssl dgst -sha256 -mac HMAC -macopt hexkey:KEYMAT <<< "O/TWAMP enc" (no newline) */
	t_unhex("051ce41aaafeaeae8840b9893daf6b3c1412ff62d9ac18cfb2c596b5684d9af0", want, 32);
	CHECK_MEM(k.aes, want, 16);
	t_unhex("0e6fca0d2c53db090a91f1245f62b81dd49eff183595d8fce79adba26a215cb7", want, 32);
	CHECK_MEM(k.hmac, want, 32);
	/* openssl enc -aes-128-ecb -nopad -K 051ce41aaafeaeae8840b9893daf6b3c, Challenge f0..ff */
	fill(ch, 16, 0xf0);
	CHECK_EQ(xw_sa_alt1_token(&k, ch, tok), 0);
	t_unhex("f5d3644794a3ae031c53fcdd1452750e", want, 16);
	CHECK_MEM(tok, want, 16);
	CHECK_EQ(xw_sa_alt1_token_check(&k, ch, tok), 0);
	/* attacks: one bit of the Token, a replayed Token for another Challenge, another SA */
	tok[15] ^= 1;
	CHECK_EQ(xw_sa_alt1_token_check(&k, ch, tok), -EACCES);
	tok[15] ^= 1;
	ch[0] ^= 0x80;
	CHECK_EQ(xw_sa_alt1_token_check(&k, ch, tok), -EACCES);
	ch[0] ^= 0x80;
	p.s2c.integ[0] ^= 1;
	CHECK_EQ(xw_sa_keymat(&p, km, &n), 0);
	CHECK_EQ(xw_sa_alt1_keys(km, n, &k), 0);
	CHECK_EQ(xw_sa_alt1_token_check(&k, ch, tok), -EACCES);
}

/* draft 4.1 / 4.2.1 "from the IKE SA": SKEYSEED as the shared secret or root key */
TEST(skeyseed_root)
{
	struct xw_sa_pair p;
	struct xw_session_keys k, kk;
	uint8_t sec[XW_SA_KEYMAT_MAX], km[XW_SA_KEYMAT_MAX], want[32];
	size_t n = 0;

	pair_cbc(&p);
	/* the kernel SAD has no SKEYSEED: refused, never KEYMAT in its place */
	CHECK_EQ(xw_sa_derive(XW_SA_KEYMAT, XW_SA_ROOT_IKE, &p, sec, sizeof(sec), &n, NULL),
		 -ENOKEY);
	CHECK_EQ(xw_sa_derive(XW_SA_ALT1, XW_SA_ROOT_IKE, &p, NULL, 0, NULL, &k), -ENOKEY);
	fill(p.skeyseed, 32, 0x50);
	p.skeyseed_len = 32;
	/* 4.1: "this SKEYSEED can be used as the O/TWAMP shared secret key directly" */
	CHECK_EQ(xw_sa_derive(XW_SA_KEYMAT, XW_SA_ROOT_IKE, &p, sec, sizeof(sec), &n, NULL), 0);
	CHECK_EQ(n, 32);
	CHECK_MEM(sec, p.skeyseed, 32);
	/* the IPsec root is still KEYMAT, whatever SKEYSEED the pair carries */
	CHECK_EQ(xw_sa_derive(XW_SA_KEYMAT, XW_SA_ROOT_IPSEC, &p, sec, sizeof(sec), &n, NULL), 0);
	CHECK_EQ(n, t_unhex(KEYMAT_CBC, km, sizeof(km)));
	CHECK_MEM(sec, km, n);
	/* 4.2.1: openssl dgst -sha256 -mac HMAC -macopt hexkey:5051..6f <<< "O/TWAMP enc" / "auth" */
	CHECK_EQ(xw_sa_derive(XW_SA_ALT1, XW_SA_ROOT_IKE, &p, NULL, 0, NULL, &k), 0);
	t_unhex("1635e104a6fac78826412bd3c7266f9c62f265524b6be1b22b580449f32b09b8", want, 32);
	CHECK_MEM(k.aes, want, 16);
	t_unhex("5dbafedd80b886aa4f4b809ec44a98cb69ada5f38f7c3c40f9929fe1989063df", want, 32);
	CHECK_MEM(k.hmac, want, 32);
	CHECK_EQ(xw_sa_derive(XW_SA_ALT1, XW_SA_ROOT_IPSEC, &p, NULL, 0, NULL, &kk), 0);
	CHECK(memcmp(&k, &kk, sizeof(k)) != 0);
	/* 4.2.2 has no root; the encryption-only rule of 4.1 holds for SKEYSEED too */
	CHECK_EQ(xw_sa_derive(XW_SA_ALT2, XW_SA_ROOT_IKE, &p, NULL, 0, NULL, &k), -EINVAL);
	p.c2s.integ_len = 0;
	CHECK_EQ(xw_sa_derive(XW_SA_KEYMAT, XW_SA_ROOT_IKE, &p, sec, sizeof(sec), &n, NULL),
		 -EOPNOTSUPP);
	CHECK_EQ(xw_sa_root_by_name("IKE"), XW_SA_ROOT_IKE);
	CHECK_EQ(xw_sa_root_by_name("ipsec"), XW_SA_ROOT_IPSEC);
	CHECK_EQ(xw_sa_root_by_name("skeyseed"), -1);
	/* the option of both programs */
	{
		enum xw_sa_root r = XW_SA_ROOT_IKE;
		const char *why = "";

		CHECK_EQ(xw_sa_root_opt(NULL, XW_SA_ALT2, false, &r, &why), 0);
		CHECK_EQ(r, XW_SA_ROOT_IPSEC);
		CHECK_EQ(xw_sa_root_opt("ike", XW_SA_ALT1, true, &r, &why), 0);
		CHECK_EQ(r, XW_SA_ROOT_IKE);
		CHECK_EQ(xw_sa_root_opt("ike", XW_SA_KEYMAT, false, &r, &why), -EINVAL);
		CHECK(strstr(why, "only charon knows SKEYSEED"));
		CHECK_EQ(xw_sa_root_opt("ike", XW_SA_ALT2, true, &r, &why), -EINVAL);
		CHECK_EQ(xw_sa_root_opt("sk_d", XW_SA_ALT1, true, &r, &why), -EINVAL);
		CHECK(strstr(why, "ipsec or ike"));
	}
}

TEST(alt2_keys)
{
	struct xw_sa_pair p;
	struct xw_session_keys k;
	uint8_t want[32] = {0};

	/* HMAC-SHA1 key (20): zero-padded, which is HMAC's own padding (RFC 2104 2) */
	pair_cbc(&p);
	CHECK_EQ(xw_sa_alt2_keys(&p, &k), 0);
	fill(want, 16, 0x00);
	CHECK_MEM(k.aes, want, 16);
	memset(want, 0, sizeof(want));
	fill(want, 20, 0x10);
	CHECK_MEM(k.hmac, want, 32);
	/* AES-256 + HMAC-SHA2-512: cut to 16 and 32; the c2s SA's keys, not s2c's */
	p.c2s.enc_len = 32;
	fill(p.c2s.enc, 32, 0x80);
	p.c2s.integ_len = 64;
	fill(p.c2s.integ, 64, 0x40);
	CHECK_EQ(xw_sa_alt2_keys(&p, &k), 0);
	fill(want, 16, 0x80);
	CHECK_MEM(k.aes, want, 16);
	fill(want, 32, 0x40);
	CHECK_MEM(k.hmac, want, 32);
	/* a DES-sized key cannot be an AES-128 key */
	p.c2s.enc_len = 8;
	CHECK_EQ(xw_sa_alt2_keys(&p, &k), -EOPNOTSUPP);
}

static void greeting(struct xw_sa_greeting *g)
{
	memset(g, 0, sizeof(*g));
	g->proto = IPPROTO_ESP;
	g->spi_i = 0xc0000101;
	g->spi_r = 0xc0000202;
	g->modes = 6; /* authenticated | encrypted */
	fill(g->challenge, 16, 0xf0);
	fill(g->salt, 16, 0xa0);
	g->count = 1024;
}

TEST(greeting_golden)
{
	static const char *const golden[] = {
		[XW_SA_KEYMAT] = "00000032 c0000101 c0000202 00000006"
				 "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
				 "00000400 000000000000000000000000",
		[XW_SA_ALT1] = "00000032 c0000101 c0000202 00000006"
			       "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff 000000000000000000000000",
		[XW_SA_ALT2] = "00000032 c0000101 c0000202 00000006 000000000000000000000000",
	};
	static const size_t lens[] = {[XW_SA_KEYMAT] = 64, [XW_SA_ALT1] = 44, [XW_SA_ALT2] = 28};
	struct xw_sa_greeting g, back, want;
	uint8_t buf[XW_SA_GREETING_MAX + 1], gold[XW_SA_GREETING_MAX];

	for (int v = XW_SA_KEYMAT; v <= XW_SA_ALT2; v++) {
		greeting(&g);
		CHECK_EQ(xw_sa_greeting_put(v, &g, buf), lens[v]);
		CHECK_EQ(t_unhex(golden[v], gold, sizeof(gold)), lens[v]);
		CHECK_MEM(buf, gold, lens[v]);
		CHECK_EQ(xw_sa_greeting_get(v, buf, lens[v], &back), 0);
		want = g;
		if (v != XW_SA_KEYMAT) {
			memset(want.salt, 0, 16);
			want.count = 0;
		}
		if (v == XW_SA_ALT2)
			memset(want.challenge, 0, 16);
		CHECK_MEM(&back, &want, sizeof(want));
		/* a greeting of another variant's length is not read */
		CHECK_EQ(xw_sa_greeting_get(v, buf, lens[v] + 1, &back), -EINVAL);
		CHECK_EQ(xw_sa_greeting_get(v, buf, lens[v] - 1, &back), -EINVAL);
	}
	CHECK_EQ(xw_sa_greeting_put(XW_SA_NONE, &g, buf), 0);
}

TEST(greeting_check)
{
	struct xw_sa_greeting g;
	struct xw_sa_pair p;
	const char *why = NULL;

	pair_cbc(&p);
	greeting(&g);
	CHECK_EQ(xw_sa_greeting_check(&g, &p, &why), 0);
	g.spi_i ^= 1;
	CHECK_EQ(xw_sa_greeting_check(&g, &p, &why), -EPERM);
	CHECK(strstr(why, "SPIi"));
	greeting(&g);
	/* the two SPIs swapped: the pair read the other way round */
	g.spi_i = p.s2c.spi;
	g.spi_r = p.c2s.spi;
	CHECK_EQ(xw_sa_greeting_check(&g, &p, &why), -EPERM);
	greeting(&g);
	g.spi_r = 0;
	CHECK_EQ(xw_sa_greeting_check(&g, &p, &why), -EPERM);
	CHECK(strstr(why, "SPIr"));
	greeting(&g);
	g.proto = IPPROTO_AH;
	CHECK_EQ(xw_sa_greeting_check(&g, &p, &why), -EPERM);
	CHECK(strstr(why, "Protocol"));
}

TEST(setup_golden)
{
	struct xw_sa_setup s = {.mode = 4}, back;
	uint8_t buf[XW_SA_SETUP_MAX], gold[XW_SA_SETUP_MAX];

	t_unhex("f5d3644794a3ae031c53fcdd1452750e", s.token, 16);
	fill(s.client_iv, 16, 0x60);
	/* Figure 4: Mode, Token, Client-IV (16 octets: saprof.c's decision) */
	CHECK_EQ(xw_sa_setup_put(XW_SA_ALT1, &s, buf), 36);
	CHECK_EQ(t_unhex("00000004 f5d3644794a3ae031c53fcdd1452750e"
			 "606162636465666768696a6b6c6d6e6f",
			 gold, sizeof(gold)),
		 36);
	CHECK_MEM(buf, gold, 36);
	CHECK_EQ(xw_sa_setup_get(XW_SA_ALT1, buf, 36, &back), 0);
	CHECK_MEM(&back, &s, sizeof(s));
	/* Figure 6: Mode, Client-IV */
	CHECK_EQ(xw_sa_setup_put(XW_SA_ALT2, &s, buf), 20);
	CHECK_EQ(t_unhex("00000004 606162636465666768696a6b6c6d6e6f", gold, sizeof(gold)), 20);
	CHECK_MEM(buf, gold, 20);
	CHECK_EQ(xw_sa_setup_get(XW_SA_ALT2, buf, 20, &back), 0);
	CHECK_EQ(back.mode, 4);
	CHECK_MEM(back.client_iv, s.client_iv, 16);
	CHECK_EQ(xw_sa_setup_get(XW_SA_ALT2, buf, 36, &back), -EINVAL);
	/* Figure 2's Set-Up-Response is RFC 4656's (codec.h) */
	CHECK_EQ(xw_sa_setup_len(XW_SA_KEYMAT), 0);
}

TEST(variant_names)
{
	CHECK_EQ(xw_sa_variant_by_name("keymat"), XW_SA_KEYMAT);
	CHECK_EQ(xw_sa_variant_by_name("ALT1"), XW_SA_ALT1);
	CHECK_EQ(xw_sa_variant_by_name("alt2"), XW_SA_ALT2);
	CHECK_EQ(xw_sa_variant_by_name("rfc7717"), XW_SA_NONE);
	CHECK(!strcmp(xw_sa_variant_name(XW_SA_ALT1), "alt1"));
}
