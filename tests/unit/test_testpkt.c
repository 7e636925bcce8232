// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP-Test packets (control/testpkt.c) and the clock's Error Estimate
 * (control/clock.c).  Golden bytes are written by hand from the diagrams of
 * RFC 4656 4.1.2 and RFC 5357 4.2.1; the ciphertext/HMAC known answers were
 * computed with an independent AES/HMAC implementation (Python
 * "cryptography") for the keys below.
 */
#include <errno.h>
#include <string.h>
#include <sys/timex.h>

#include "clock.h"
#include "crypto.h"
#include "t.h"
#include "testpkt.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

#define TS_S  0xeeaf032cd6bdf4c2ULL /* sender timestamp (T1) */
#define TS_RX 0xeeaf032cd6c69b5aULL /* reflector receive (T2) */
#define TS_TX 0xeeaf032cd6c80c73ULL /* reflector transmit (T3) */

static const struct xw_tp_refl refl = {
	.seq = 7, .rx_ts = TS_RX, .tx_ts = TS_TX, .errest = 0x8a05, .sender_ttl = 64};

/* Test keys: AES 00..0f, HMAC 20..3f. */
static void test_keys(struct xw_session_keys *k)
{
	int i;

	for (i = 0; i < XW_AES_KEY_LEN; i++)
		k->aes[i] = (__u8)i;
	for (i = 0; i < XW_HMAC_KEY_LEN; i++)
		k->hmac[i] = (__u8)(0x20 + i);
}

static int crypto_new(struct xw_tp_crypto *c)
{
	struct xw_session_keys k;

	test_keys(&k);
	return xw_tp_crypto_init(c, &k);
}

static size_t hex(const char *h, __u8 *out)
{
	return t_unhex(h, out, 4096);
}

/* --- modes and sizes ------------------------------------------------------- */

TEST(mode_of_maps_mixed_to_open)
{
	CHECK_EQ(xw_tp_mode_of(XW_MODE_OPEN), XW_TP_OPEN);
	CHECK_EQ(xw_tp_mode_of(XW_MODE_MIXED), XW_TP_OPEN);
	CHECK_EQ(xw_tp_mode_of(XW_MODE_AUTH | XW_MODE_REFLECT_OCT), XW_TP_AUTH);
	CHECK_EQ(xw_tp_mode_of(XW_MODE_ENCRYPTED | XW_MODE_SYMMETRIC), XW_TP_ENC);
	CHECK_EQ(xw_tp_mode_of(XW_MODE_REFLECT_OCT), -EINVAL);
	CHECK_EQ(xw_tp_mode_of(0), -EINVAL);
}

TEST(lengths_follow_rfc5357_and_the_captures)
{
	struct xw_tp_cfg o = {.mode = XW_TP_OPEN, .padding_len = 27};
	struct xw_tp_cfg a = {.mode = XW_TP_AUTH, .padding_len = 64};
	struct xw_tp_cfg e = {.mode = XW_TP_ENC, .padding_len = 0};

	/* perfSONAR: open 41 B both ways, auth/encrypted 112 B both ways */
	CHECK_EQ(xw_tp_sender_len(&o), 41);
	CHECK_EQ(xw_tp_reflector_len(&o, 41), 41);
	CHECK_EQ(xw_tp_sender_len(&a), 112);
	CHECK_EQ(xw_tp_reflector_len(&a, 112), 112);
	/* too little padding: the reflector sends its minimum */
	CHECK_EQ(xw_tp_sender_len(&e), 48);
	CHECK_EQ(xw_tp_reflector_len(&e, 48), 112);
	CHECK_EQ(xw_tp_reflector_len(&o, 14), 41);
	CHECK_EQ(xw_tp_reflector_len(&o, 100), 100);
	/* RFC 6038 Symmetrical Size: MBZ 27 / 56 after the sender header */
	o.symmetric = 1;
	o.padding_len = 5;
	CHECK_EQ(xw_tp_sender_len(&o), 14 + 27 + 5);
	a.symmetric = 1;
	a.padding_len = 8;
	CHECK_EQ(xw_tp_sender_len(&a), 48 + 56 + 8);
	CHECK_EQ(xw_tp_reflector_len(&a, 112), 112);
	/* RFC 6038 Reflect Octets: the reflector carries at least reflect_len */
	o.symmetric = 0;
	o.reflect_len = 10;
	CHECK_EQ(xw_tp_reflector_len(&o, 44), 51);
	CHECK_EQ(xw_tp_reflector_len(&o, 60), 60);
}

/* --- golden bytes: unauthenticated ------------------------------------------- */

TEST(golden_open_sender)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_OPEN, .padding_len = 27, .zero_padding = 1};
	struct xw_tp_sender f = {.seq = 0x01020304, .ts = TS_S, .errest = 0x0001};
	__u8 pkt[64], want[64];
	size_t n = hex("01020304"	    /* 0 Sequence Number */
		       "eeaf032cd6bdf4c2"   /* 4 Timestamp */
		       "0001"		    /* 12 Error Estimate */
		       "000000000000000000" /* 14 Packet Padding (27, zero) */
		       "000000000000000000"
		       "000000000000000000",
		       want);

	CHECK_EQ(n, 41);
	CHECK_EQ(xw_tp_build_sender(&cfg, NULL, &f, NULL, pkt, sizeof(pkt)), 41);
	CHECK_MEM(pkt, want, 41);
}

TEST(golden_open_reflector_in_place_reuses_padding)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_OPEN, .padding_len = 30};
	__u8 buf[64], want[64];
	size_t n;

	/* sender: seq 5, T1, EE 0x0001, padding 10 11 12 ... 2d (30 octets) */
	n = hex("00000005 eeaf032cd6bdf4c2 0001"
		"101112131415161718191a1b1c1d1e1f"
		"202122232425262728292a2b2c2d",
		buf);
	CHECK_EQ(n, 44);
	n = hex("00000007"	   /* 0 Sequence Number (reflector's) */
		"eeaf032cd6c80c73" /* 4 Timestamp (T3) */
		"8a05"		   /* 12 Error Estimate */
		"0000"		   /* 14 MBZ */
		"eeaf032cd6c69b5a" /* 16 Receive Timestamp (T2) */
		"00000005"	   /* 24 Sender Sequence Number */
		"eeaf032cd6bdf4c2" /* 28 Sender Timestamp */
		"0001"		   /* 36 Sender Error Estimate */
		"0000"		   /* 38 MBZ */
		"40"		   /* 40 Sender TTL */
		"101112",	   /* 41 padding: sender's first 3, 27 dropped */
		want);
	CHECK_EQ(n, 44);
	CHECK_EQ(xw_tp_reflect_open(&cfg, buf, 44, sizeof(buf), 44, &refl), 44);
	CHECK_MEM(buf, want, 44);
}

TEST(golden_open_reflector_reflect_octets_grows_to_fit)
{
	/* RFC 6038 5.2.1: 4 octets to reflect; the sender padded only 5 */
	struct xw_tp_cfg cfg = {.mode = XW_TP_OPEN, .padding_len = 5, .reflect_len = 4};
	__u8 buf[64], want[64];
	size_t n;

	n = hex("00000000 eeaf032cd6bdf4c2 0001 deadbeef77", buf);
	CHECK_EQ(n, 19);
	n = hex("00000007 eeaf032cd6c80c73 8a05 0000 eeaf032cd6c69b5a"
		"00000000 eeaf032cd6bdf4c2 0001 0000 40"
		"deadbeef", /* 41: Packet Padding (from Session-Sender) */
		want);
	CHECK_EQ(n, 45);
	CHECK_EQ(xw_tp_reflect_open(&cfg, buf, 19, sizeof(buf), 0, &refl), 45);
	CHECK_MEM(buf, want, 45);
}

TEST(open_reflector_keeps_the_first_padding_octets)
{
	/* padding longer than 27: the move from 14 to 41 overlaps itself */
	struct xw_tp_cfg cfg = {.mode = XW_TP_OPEN, .padding_len = 60};
	__u8 buf[128], pad[60];
	int i;

	for (i = 0; i < 60; i++)
		pad[i] = (__u8)(0x80 + i);
	memset(buf, 0, 14);
	buf[13] = 1; /* Error Estimate Multiplier 1 */
	memcpy(buf + 14, pad, 60);
	CHECK_EQ(xw_tp_reflect_open(&cfg, buf, 74, sizeof(buf), 74, &refl), 74);
	CHECK_MEM(buf + 41, pad, 33); /* highest-numbered 27 discarded */
}

TEST(golden_open_symmetric_with_reflect_octets)
{
	/* RFC 6038 5.1.5: 27 MBZ, then padding to be reflected, then more */
	struct xw_tp_cfg cfg = {
		.mode = XW_TP_OPEN, .padding_len = 5, .symmetric = 1, .reflect_len = 2};
	struct xw_tp_sender f = {.seq = 9, .ts = TS_S, .errest = 0x0001};
	const __u8 oct[2] = {0xab, 0xcd};
	__u8 pkt[64], want[64];
	size_t n;
	int len;

	len = xw_tp_build_sender(&cfg, NULL, &f, oct, pkt, sizeof(pkt));
	CHECK_EQ(len, 46);
	n = hex("00000009 eeaf032cd6bdf4c2 0001"
		"000000000000000000000000000000000000000000000000000000" /* MBZ 27 */
		"abcd",
		want);
	CHECK_EQ(n, 43);
	CHECK_MEM(pkt, want, 43); /* the last 3 are random */
	memcpy(want + 43, pkt + 43, 3);
	CHECK_EQ(xw_tp_reflect_open(&cfg, pkt, 46, sizeof(pkt), 46, &refl), 46);
	n = hex("00000007 eeaf032cd6c80c73 8a05 0000 eeaf032cd6c69b5a"
		"00000009 eeaf032cd6bdf4c2 0001 0000 40 abcd",
		want);
	CHECK_EQ(n, 43);
	CHECK_MEM(pkt, want, 46);
}

/* --- golden bytes: authenticated and encrypted -------------------------------- */

/* Plaintext of the 48-octet sender header for seq 5 (HMAC not included). */
static const char *sender_plain_hex = "00000005 000000000000000000000000"   /* seq, MBZ 12 */
				      "eeaf032cd6bdf4c2 0001 000000000000"; /* ts EE MBZ6 */

TEST(golden_auth_sender)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_AUTH, .padding_len = 64, .zero_padding = 1};
	struct xw_tp_sender f = {.seq = 5, .ts = TS_S, .errest = 0x0001};
	struct xw_tp_crypto c = {0};
	__u8 pkt[128], want[128], zero[64] = {0};

	CHECK_EQ(crypto_new(&c), 0);
	CHECK_EQ(xw_tp_build_sender(&cfg, &c, &f, NULL, pkt, sizeof(pkt)), 112);
	hex("2ea523e14cf4b8dd83df95004d548eb8"	 /* 0: AES-ECB(seq + MBZ) */
	    "eeaf032cd6bdf4c2 0001 000000000000" /* 16: clear */
	    "3c45adb775f59925b41b928cb666c12c",	 /* 32: HMAC over plaintext 0..16 */
	    want);
	CHECK_MEM(pkt, want, 48);
	CHECK_MEM(pkt + 48, zero, 64);
	xw_tp_crypto_free(&c);
}

TEST(golden_enc_sender)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_ENC, .padding_len = 64, .zero_padding = 1};
	struct xw_tp_sender f = {.seq = 5, .ts = TS_S, .errest = 0x0001};
	struct xw_tp_crypto c = {0};
	struct xw_session_keys k;
	__u8 pkt[128], want[128], plain[32], iv[16] = {0};
	struct xw_aes *aes;

	CHECK_EQ(crypto_new(&c), 0);
	CHECK_EQ(xw_tp_build_sender(&cfg, &c, &f, NULL, pkt, sizeof(pkt)), 112);
	hex("2ea523e14cf4b8dd83df95004d548eb8" /* 0..32: AES-CBC, IV 0 */
	    "f25eea61a0f02b3073845369645b1e6b"
	    "fcfd323c966f0875d1174b4b963ef514", /* 32: HMAC over plaintext 0..32 */
	    want);
	CHECK_MEM(pkt, want, 48);
	/* and the layout, independently of the known answer */
	test_keys(&k);
	aes = xw_aes_new(k.aes);
	CHECK(aes);
	CHECK_EQ(xw_aes_cbc_decrypt(aes, iv, pkt, plain, 32), 0);
	xw_aes_free(aes);
	hex(sender_plain_hex, want);
	CHECK_MEM(plain, want, 32);
	xw_tp_crypto_free(&c);
}

/* The 96 octets of the reflector's answer to seq 5 (HMAC not included). */
static const char *refl_plain_hex = "00000007 000000000000000000000000"	 /* 0 seq, MBZ */
				    "eeaf032cd6c80c73 8a05 000000000000" /* 16 T3, EE, MBZ */
				    "eeaf032cd6c69b5a 0000000000000000"	 /* 32 T2, MBZ */
				    "00000005 000000000000000000000000"	 /* 48 sender seq */
				    "eeaf032cd6bdf4c2 0001 000000000000" /* 64 T1, sender EE */
				    "40 000000000000000000000000000000"; /* 80 TTL, MBZ 15 */

TEST(golden_enc_reflector)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_ENC, .padding_len = 64, .zero_padding = 1};
	struct xw_tp_sender f = {.seq = 5, .ts = TS_S, .errest = 0x0001}, got;
	struct xw_tp_crypto c = {0};
	__u8 spkt[128], rpkt[128], want[128];

	CHECK_EQ(crypto_new(&c), 0);
	CHECK_EQ(xw_tp_build_sender(&cfg, &c, &f, NULL, spkt, sizeof(spkt)), 112);
	CHECK_EQ(xw_tp_reflect(&cfg, &c, spkt, 112, 112, &refl, rpkt, sizeof(rpkt), &got), 112);
	CHECK_EQ(got.seq, 5);
	hex("593ad2648ddf6fd2174a2a6380baba6f34523e1d92305fb56c90812fa7a53591"
	    "57c8ee4c29675684216051cc94bcf12fafef72c13687ae466c05c72327c44798"
	    "11db52cc6a24af646eefb1d34f5d0ec707574ea56186d35c44b9a1524767826f"
	    "34a5fac5ccea58159d16c77f718d6db7", /* 96: HMAC over plaintext 0..96 */
	    want);
	CHECK_MEM(rpkt, want, 112);
	xw_tp_crypto_free(&c);
}

TEST(golden_auth_reflector)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_AUTH, .padding_len = 64, .zero_padding = 1};
	struct xw_tp_sender f = {.seq = 5, .ts = TS_S, .errest = 0x0001};
	struct xw_tp_crypto c = {0};
	__u8 spkt[128], rpkt[128], want[128];

	CHECK_EQ(crypto_new(&c), 0);
	CHECK_EQ(xw_tp_build_sender(&cfg, &c, &f, NULL, spkt, sizeof(spkt)), 112);
	CHECK_EQ(xw_tp_reflect(&cfg, &c, spkt, 112, 0, &refl, rpkt, sizeof(rpkt), NULL), 112);
	hex(refl_plain_hex, want);
	hex("593ad2648ddf6fd2174a2a6380baba6f", want);	    /* ECB(block 0) */
	hex("b3a17a141bcf5ef2b7e70881193c79a8", want + 96); /* HMAC over plaintext 0..16 */
	CHECK_MEM(rpkt, want, 112);
	xw_tp_crypto_free(&c);
}

/* --- round trips ----------------------------------------------------------------- */

static void round_trip(enum xw_tp_mode mode, __u32 padding, __u16 reflect_len, int symmetric)
{
	struct xw_tp_cfg cfg = {.mode = mode,
				.padding_len = padding,
				.reflect_len = reflect_len,
				.symmetric = (__u8)symmetric};
	struct xw_tp_crypto c = {0};
	struct xw_tp_sender f, got;
	struct xw_tp_reply rep;
	struct xw_tp_refl r = refl;
	__u8 oct[64], spkt[512], rpkt[512];
	size_t slen = xw_tp_sender_len(&cfg), rlen = xw_tp_reflector_len(&cfg, slen);
	__u32 seq;
	int i;

	for (i = 0; i < (int)sizeof(oct); i++)
		oct[i] = (__u8)(0xa0 + i);
	if (mode != XW_TP_OPEN)
		CHECK_EQ(crypto_new(&c), 0);
	for (seq = 0; seq < 5; seq++) {
		f = (struct xw_tp_sender){.seq = seq, .ts = TS_S + seq, .errest = 0x0001};
		CHECK_EQ(xw_tp_build_sender(&cfg, &c, &f, reflect_len ? oct : NULL, spkt,
					    sizeof(spkt)),
			 slen);
		r.seq = 100 + seq;
		CHECK_EQ(xw_tp_reflect(&cfg, &c, spkt, slen, slen, &r, rpkt, sizeof(rpkt), &got),
			 rlen);
		CHECK_EQ(got.seq, seq);
		CHECK_EQ(got.ts, TS_S + seq);
		CHECK_EQ(xw_tp_parse_reflector(&cfg, &c, rpkt, rlen, TS_TX + 99, &rep), 0);
		CHECK_EQ(rep.seq, 100 + seq);
		CHECK_EQ(rep.sender_seq, seq);
		CHECK_EQ(rep.t1, TS_S + seq);
		CHECK_EQ(rep.t2, TS_RX);
		CHECK_EQ(rep.t3, TS_TX);
		CHECK_EQ(rep.t4, TS_TX + 99);
		CHECK_EQ(rep.errest, 0x8a05);
		CHECK_EQ(rep.sender_errest, 0x0001);
		CHECK_EQ(rep.sender_ttl, 64);
		CHECK_EQ(rep.padding_len, rlen - (mode == XW_TP_OPEN ? 41 : 112));
		if (reflect_len)
			CHECK_MEM(rep.padding, oct, reflect_len);
	}
	xw_tp_crypto_free(&c);
}

TEST(round_trip_every_mode_and_variant)
{
	static const struct {
		enum xw_tp_mode mode;
		__u32 padding;
		__u16 reflect;
		int sym;
	} v[] = {
		{XW_TP_OPEN, 27, 0, 0}, {XW_TP_OPEN, 0, 0, 0},	 {XW_TP_OPEN, 100, 0, 0},
		{XW_TP_OPEN, 40, 8, 0}, {XW_TP_OPEN, 3, 3, 0},	 {XW_TP_OPEN, 10, 4, 1},
		{XW_TP_AUTH, 64, 0, 0}, {XW_TP_AUTH, 0, 0, 0},	 {XW_TP_AUTH, 72, 8, 0},
		{XW_TP_AUTH, 8, 0, 1},	{XW_TP_AUTH, 20, 12, 1}, {XW_TP_ENC, 64, 0, 0},
		{XW_TP_ENC, 1, 0, 0},	{XW_TP_ENC, 100, 16, 0}, {XW_TP_ENC, 30, 2, 1},
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]) && !t_failed(); i++)
		round_trip(v[i].mode, v[i].padding, v[i].reflect, v[i].sym);
}

TEST(symmetric_size_gives_equal_lengths)
{
	struct xw_tp_cfg o = {.mode = XW_TP_OPEN, .symmetric = 1, .padding_len = 0};
	struct xw_tp_cfg a = {.mode = XW_TP_ENC, .symmetric = 1, .padding_len = 8};

	CHECK_EQ(xw_tp_reflector_len(&o, xw_tp_sender_len(&o)), xw_tp_sender_len(&o));
	CHECK_EQ(xw_tp_reflector_len(&a, xw_tp_sender_len(&a)), xw_tp_sender_len(&a));
}

TEST(padding_is_random_unless_zero_requested)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_OPEN, .padding_len = 64};
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 1};
	__u8 a[128], b[128], zero[64] = {0};

	CHECK_EQ(xw_tp_build_sender(&cfg, NULL, &f, NULL, a, sizeof(a)), 78);
	CHECK_EQ(xw_tp_build_sender(&cfg, NULL, &f, NULL, b, sizeof(b)), 78);
	CHECK(memcmp(a + 14, b + 14, 64) != 0);
	CHECK(memcmp(a + 14, zero, 64) != 0);
	cfg.zero_padding = 1;
	CHECK_EQ(xw_tp_build_sender(&cfg, NULL, &f, NULL, a, sizeof(a)), 78);
	CHECK_MEM(a + 14, zero, 64);
}

TEST(stamp_after_build)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_AUTH, .padding_len = 0};
	struct xw_tp_sender f = {.seq = 3, .ts = 0, .errest = 1}, got;
	struct xw_tp_crypto c = {0};
	__u8 pkt[64];

	CHECK_EQ(crypto_new(&c), 0);
	CHECK_EQ(xw_tp_build_sender(&cfg, &c, &f, NULL, pkt, sizeof(pkt)), 48);
	/* authenticated: the timestamp is outside the HMAC, stamp it late */
	CHECK_EQ(xw_tp_stamp(XW_TP_AUTH, pkt, 48, TS_S, 0x8001), 0);
	CHECK_EQ(get_be64(pkt + 16), TS_S);
	CHECK_EQ(xw_tp_parse_sender(&cfg, &c, pkt, 48, 48, &got), 0);
	CHECK_EQ(got.seq, 3);
	CHECK_EQ(got.ts, TS_S);
	CHECK_EQ(got.errest, 0x8001);
	CHECK_EQ(xw_tp_stamp(XW_TP_ENC, pkt, 48, TS_S, 1), -EINVAL);
	CHECK_EQ(xw_tp_stamp(XW_TP_AUTH, pkt, 47, TS_S, 1), XW_TP_E_TRUNC);
	cfg.mode = XW_TP_OPEN;
	CHECK_EQ(xw_tp_build_sender(&cfg, NULL, &f, NULL, pkt, sizeof(pkt)), 14);
	CHECK_EQ(xw_tp_stamp(XW_TP_OPEN, pkt, 14, TS_S, 0x8001), 0);
	CHECK_EQ(get_be64(pkt + 4), TS_S);
	CHECK_EQ(get_be16(pkt + 12), 0x8001);
	xw_tp_crypto_free(&c);
}

/* The reflector stamps T3 after building (and MACing) an authenticated reply. */
TEST(auth_reflector_stamped_after_hmac_still_verifies)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_AUTH, .padding_len = 64};
	struct xw_tp_sender f = {.seq = 9, .ts = TS_S, .errest = 1};
	struct xw_tp_refl in = {.seq = 4,
				.rx_ts = TS_S + 1000,
				.tx_ts = TS_S + 2000,
				.errest = 1,
				.sender_ttl = 255};
	struct xw_tp_reply got;
	struct xw_tp_crypto c = {0};
	__u8 spkt[128], rpkt[128];
	int slen, rlen;

	CHECK_EQ(crypto_new(&c), 0);
	slen = xw_tp_build_sender(&cfg, &c, &f, NULL, spkt, sizeof(spkt));
	CHECK_EQ(slen, 112);
	rlen = xw_tp_reflect(&cfg, &c, spkt, (size_t)slen, 0, &in, rpkt, sizeof(rpkt), NULL);
	CHECK_EQ(rlen, 112);
	CHECK_EQ(xw_tp_stamp(XW_TP_AUTH, rpkt, (size_t)rlen, TS_S + 5000, 0x8002), 0);
	CHECK_EQ(xw_tp_parse_reflector(&cfg, &c, rpkt, (size_t)rlen, TS_S + 9000, &got), 0);
	CHECK_EQ(got.seq, 4);
	CHECK_EQ(got.t1, TS_S);
	CHECK_EQ(got.t2, TS_S + 1000);
	CHECK_EQ(got.t3, TS_S + 5000);
	CHECK_EQ(got.errest, 0x8002);
	/* whereas the first block is covered: a flipped sequence bit fails */
	rpkt[3] ^= 1;
	CHECK(xw_tp_parse_reflector(&cfg, &c, rpkt, (size_t)rlen, TS_S + 9000, &got) < 0);
	xw_tp_crypto_free(&c);
}

/* --- rejections ------------------------------------------------------------------ */

TEST(reject_truncated_sender_at_every_field_boundary)
{
	struct xw_tp_cfg o = {.mode = XW_TP_OPEN};
	struct xw_tp_cfg a = {.mode = XW_TP_AUTH};
	struct xw_tp_crypto c = {0};
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 1}, got;
	static const size_t ob[] = {0, 4, 12, 13};	       /* open: seq, ts, EE */
	static const size_t ab[] = {0, 4, 16, 24, 26, 32, 47}; /* auth: + MBZ, HMAC */
	__u8 pkt[128];
	size_t i;

	CHECK_EQ(crypto_new(&c), 0);
	CHECK_EQ(xw_tp_build_sender(&o, NULL, &f, NULL, pkt, sizeof(pkt)), 14);
	for (i = 0; i < sizeof(ob) / sizeof(ob[0]); i++) {
		CHECK_EQ(xw_tp_parse_sender(&o, NULL, pkt, ob[i], 0, &got), XW_TP_E_TRUNC);
		CHECK_EQ(xw_tp_reflect_open(&o, pkt, ob[i], sizeof(pkt), 0, &refl), XW_TP_E_TRUNC);
	}
	CHECK_EQ(xw_tp_parse_sender(&o, NULL, pkt, 14, 0, &got), 0);
	a.mode = XW_TP_AUTH;
	CHECK_EQ(xw_tp_build_sender(&a, &c, &f, NULL, pkt, sizeof(pkt)), 48);
	for (i = 0; i < sizeof(ab) / sizeof(ab[0]); i++)
		CHECK_EQ(xw_tp_parse_sender(&a, &c, pkt, ab[i], 0, &got), XW_TP_E_TRUNC);
	CHECK_EQ(xw_tp_parse_sender(&a, &c, pkt, 48, 0, &got), 0);
	/* Symmetrical Size: the 27 MBZ octets are part of the minimum */
	o.symmetric = 1;
	CHECK_EQ(xw_tp_parse_sender(&o, NULL, pkt, 40, 0, &got), XW_TP_E_TRUNC);
	/* Reflect Octets: the octets to reflect must be there */
	o.symmetric = 0;
	o.reflect_len = 4;
	CHECK_EQ(xw_tp_parse_sender(&o, NULL, pkt, 17, 0, &got), XW_TP_E_TRUNC);
	CHECK_EQ(xw_tp_parse_sender(&o, NULL, pkt, 18, 0, &got), 0);
	xw_tp_crypto_free(&c);
}

TEST(reject_truncated_reflector_at_every_field_boundary)
{
	struct xw_tp_cfg o = {.mode = XW_TP_OPEN, .padding_len = 27};
	struct xw_tp_cfg e = {.mode = XW_TP_ENC, .padding_len = 64};
	struct xw_tp_crypto c = {0};
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 1};
	struct xw_tp_reply rep;
	static const size_t ob[] = {0, 4, 12, 14, 16, 24, 28, 36, 38, 40};
	static const size_t eb[] = {0, 4, 16, 24, 26, 32, 40, 48, 52, 64, 72, 74, 80, 81, 96, 111};
	__u8 spkt[128], rpkt[128];
	size_t i;

	CHECK_EQ(crypto_new(&c), 0);
	CHECK_EQ(xw_tp_build_sender(&o, NULL, &f, NULL, spkt, sizeof(spkt)), 41);
	CHECK_EQ(xw_tp_reflect(&o, NULL, spkt, 41, 41, &refl, rpkt, sizeof(rpkt), NULL), 41);
	for (i = 0; i < sizeof(ob) / sizeof(ob[0]); i++)
		CHECK_EQ(xw_tp_parse_reflector(&o, NULL, rpkt, ob[i], 0, &rep), XW_TP_E_TRUNC);
	CHECK_EQ(xw_tp_parse_reflector(&o, NULL, rpkt, 41, 0, &rep), 0);
	CHECK_EQ(xw_tp_build_sender(&e, &c, &f, NULL, spkt, sizeof(spkt)), 112);
	CHECK_EQ(xw_tp_reflect(&e, &c, spkt, 112, 112, &refl, rpkt, sizeof(rpkt), NULL), 112);
	for (i = 0; i < sizeof(eb) / sizeof(eb[0]); i++)
		CHECK_EQ(xw_tp_parse_reflector(&e, &c, rpkt, eb[i], 0, &rep), XW_TP_E_TRUNC);
	CHECK_EQ(xw_tp_parse_reflector(&e, &c, rpkt, 112, 0, &rep), 0);
	xw_tp_crypto_free(&c);
}

TEST(reject_wrong_length)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_AUTH, .padding_len = 64};
	struct xw_tp_crypto c = {0};
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 1}, got;
	__u8 spkt[128], rpkt[128];

	CHECK_EQ(crypto_new(&c), 0);
	CHECK_EQ(xw_tp_build_sender(&cfg, &c, &f, NULL, spkt, sizeof(spkt)), 112);
	CHECK_EQ(xw_tp_parse_sender(&cfg, &c, spkt, 111, 112, &got), XW_TP_E_LEN);
	CHECK_EQ(xw_tp_parse_sender(&cfg, &c, spkt, 112, 113, &got), XW_TP_E_LEN);
	CHECK_EQ(xw_tp_reflect(&cfg, &c, spkt, 100, 112, &refl, rpkt, sizeof(rpkt), NULL),
		 XW_TP_E_LEN);
	cfg.mode = XW_TP_OPEN;
	CHECK_EQ(xw_tp_reflect_open(&cfg, spkt, 50, sizeof(spkt), 91, &refl), XW_TP_E_LEN);
	xw_tp_crypto_free(&c);
}

/* Flip one bit at byte off of a fresh packet and return what the parser says. */
static int flipped_sender(enum xw_tp_mode mode, size_t off)
{
	struct xw_tp_cfg cfg = {.mode = mode, .padding_len = 64};
	struct xw_tp_crypto c = {0};
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 1}, got;
	__u8 pkt[128];
	int ret;

	if (crypto_new(&c) || xw_tp_build_sender(&cfg, &c, &f, NULL, pkt, sizeof(pkt)) != 112)
		return -9999;
	pkt[off] ^= 0x10;
	ret = xw_tp_parse_sender(&cfg, &c, pkt, 112, 112, &got);
	xw_tp_crypto_free(&c);
	return ret;
}

static int flipped_reflector(enum xw_tp_mode mode, size_t off)
{
	struct xw_tp_cfg cfg = {.mode = mode, .padding_len = 64};
	struct xw_tp_crypto c = {0};
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 1};
	struct xw_tp_reply rep;
	__u8 spkt[128], rpkt[128];
	int ret;

	if (crypto_new(&c) || xw_tp_build_sender(&cfg, &c, &f, NULL, spkt, sizeof(spkt)) != 112 ||
	    xw_tp_reflect(&cfg, &c, spkt, 112, 112, &refl, rpkt, sizeof(rpkt), NULL) != 112)
		return -9999;
	rpkt[off] ^= 0x10;
	ret = xw_tp_parse_reflector(&cfg, &c, rpkt, 112, 0, &rep);
	xw_tp_crypto_free(&c);
	return ret;
}

TEST(reject_flipped_bits_in_the_covered_part)
{
	/* sender: auth covers 0..16, encrypted 0..32; HMAC at 32..48 */
	CHECK_EQ(flipped_sender(XW_TP_AUTH, 0), XW_TP_E_HMAC);
	CHECK_EQ(flipped_sender(XW_TP_AUTH, 15), XW_TP_E_HMAC);
	CHECK_EQ(flipped_sender(XW_TP_AUTH, 40), XW_TP_E_HMAC);
	CHECK_EQ(flipped_sender(XW_TP_ENC, 20), XW_TP_E_HMAC);
	CHECK_EQ(flipped_sender(XW_TP_ENC, 31), XW_TP_E_HMAC);
	CHECK_EQ(flipped_sender(XW_TP_ENC, 47), XW_TP_E_HMAC);
	/* not covered (RFC 4656 4.1.2): auth timestamp, and padding in both */
	CHECK_EQ(flipped_sender(XW_TP_AUTH, 20), 0);
	CHECK_EQ(flipped_sender(XW_TP_AUTH, 100), 0);
	CHECK_EQ(flipped_sender(XW_TP_ENC, 48), 0);
	/* reflector: auth covers 0..16, encrypted 0..96; HMAC at 96..112 */
	CHECK_EQ(flipped_reflector(XW_TP_AUTH, 3), XW_TP_E_HMAC);
	CHECK_EQ(flipped_reflector(XW_TP_AUTH, 100), XW_TP_E_HMAC);
	CHECK_EQ(flipped_reflector(XW_TP_AUTH, 40), 0);
	CHECK_EQ(flipped_reflector(XW_TP_ENC, 40), XW_TP_E_HMAC);
	CHECK_EQ(flipped_reflector(XW_TP_ENC, 80), XW_TP_E_HMAC);
	CHECK_EQ(flipped_reflector(XW_TP_ENC, 95), XW_TP_E_HMAC);
	CHECK_EQ(flipped_reflector(XW_TP_ENC, 111), XW_TP_E_HMAC);
}

TEST(reject_wrong_key)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_ENC, .padding_len = 0};
	struct xw_tp_crypto c = {0}, other = {0};
	struct xw_session_keys k;
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 1}, got;
	__u8 pkt[64];

	CHECK_EQ(crypto_new(&c), 0);
	test_keys(&k);
	k.hmac[31] ^= 1;
	CHECK_EQ(xw_tp_crypto_init(&other, &k), 0);
	CHECK_EQ(xw_tp_build_sender(&cfg, &c, &f, NULL, pkt, sizeof(pkt)), 48);
	CHECK_EQ(xw_tp_parse_sender(&cfg, &other, pkt, 48, 48, &got), XW_TP_E_HMAC);
	CHECK_EQ(xw_tp_parse_sender(&cfg, &c, pkt, 48, 48, &got), 0);
	/* no context in a crypto mode is a caller bug, not a drop */
	CHECK_EQ(xw_tp_parse_sender(&cfg, NULL, pkt, 48, 48, &got), XW_TP_E_INVAL);
	xw_tp_crypto_free(&c);
	xw_tp_crypto_free(&other);
	xw_tp_crypto_free(&other); /* twice is fine */
}

TEST(reject_multiplier_zero)
{
	struct xw_tp_cfg o = {.mode = XW_TP_OPEN, .padding_len = 27};
	struct xw_tp_cfg a = {.mode = XW_TP_AUTH, .padding_len = 64};
	struct xw_tp_crypto c = {0};
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 0x8100}, got;
	struct xw_tp_refl r = refl;
	struct xw_tp_reply rep;
	__u8 spkt[128], rpkt[128];

	CHECK_EQ(crypto_new(&c), 0);
	/* sender's Error Estimate: S set, Scale 1, Multiplier 0 */
	CHECK_EQ(xw_tp_build_sender(&o, NULL, &f, NULL, spkt, sizeof(spkt)), 41);
	CHECK_EQ(xw_tp_parse_sender(&o, NULL, spkt, 41, 41, &got), XW_TP_E_MULT0);
	CHECK_EQ(xw_tp_reflect_open(&o, spkt, 41, sizeof(spkt), 41, &r), XW_TP_E_MULT0);
	CHECK_EQ(xw_tp_build_sender(&a, &c, &f, NULL, spkt, sizeof(spkt)), 112);
	CHECK_EQ(xw_tp_reflect(&a, &c, spkt, 112, 112, &r, rpkt, sizeof(rpkt), NULL),
		 XW_TP_E_MULT0);
	/* reflector's Error Estimate with Multiplier 0, seen by the sender */
	f.errest = 1;
	r.errest = 0x0300;
	CHECK_EQ(xw_tp_build_sender(&a, &c, &f, NULL, spkt, sizeof(spkt)), 112);
	CHECK_EQ(xw_tp_reflect(&a, &c, spkt, 112, 112, &r, rpkt, sizeof(rpkt), NULL), 112);
	CHECK_EQ(xw_tp_parse_reflector(&a, &c, rpkt, 112, 0, &rep), XW_TP_E_MULT0);
	/* Sender Error Estimate zeroed on the way back (open: nothing protects it) */
	r.errest = 1;
	CHECK_EQ(xw_tp_build_sender(&o, NULL, &f, NULL, spkt, sizeof(spkt)), 41);
	CHECK_EQ(xw_tp_reflect(&o, NULL, spkt, 41, 41, &r, rpkt, sizeof(rpkt), NULL), 41);
	CHECK_EQ(xw_tp_parse_reflector(&o, NULL, rpkt, 41, 0, &rep), 0);
	rpkt[37] = 0;
	CHECK_EQ(xw_tp_parse_reflector(&o, NULL, rpkt, 41, 0, &rep), XW_TP_E_MULT0);
	xw_tp_crypto_free(&c);
}

TEST(drop_reasons_are_distinct)
{
	CHECK_EQ(xw_tp_drop_reason(XW_TP_E_TRUNC), XW_TP_DROP_TRUNC);
	CHECK_EQ(xw_tp_drop_reason(XW_TP_E_LEN), XW_TP_DROP_LEN);
	CHECK_EQ(xw_tp_drop_reason(XW_TP_E_HMAC), XW_TP_DROP_HMAC);
	CHECK_EQ(xw_tp_drop_reason(XW_TP_E_MULT0), XW_TP_DROP_MULT0);
	CHECK_EQ(xw_tp_drop_reason(XW_TP_E_CRYPTO), XW_TP_DROP_OTHER);
	CHECK(strcmp(xw_tp_drop_name(XW_TP_DROP_HMAC), "bad-hmac") == 0);
	CHECK(strcmp(xw_tp_drop_name(XW_TP_DROP_MAX), "other") == 0);
}

TEST(no_space)
{
	struct xw_tp_cfg cfg = {.mode = XW_TP_OPEN, .padding_len = 0};
	struct xw_tp_sender f = {.seq = 1, .ts = TS_S, .errest = 1};
	__u8 pkt[64], out[64];

	CHECK_EQ(xw_tp_build_sender(&cfg, NULL, &f, NULL, pkt, 13), XW_TP_E_NOSPC);
	CHECK_EQ(xw_tp_build_sender(&cfg, NULL, &f, NULL, pkt, sizeof(pkt)), 14);
	/* a 14-octet sender packet needs 41 octets of room for the answer */
	CHECK_EQ(xw_tp_reflect_open(&cfg, pkt, 14, 40, 0, &refl), XW_TP_E_NOSPC);
	CHECK_EQ(xw_tp_reflect(&cfg, NULL, pkt, 14, 0, &refl, out, 40, NULL), XW_TP_E_NOSPC);
	CHECK_EQ(xw_tp_reflect_open(&cfg, pkt, 14, 41, 0, &refl), 41);
	/* reflect_len beyond the padding is a bad configuration */
	cfg.reflect_len = 1;
	CHECK_EQ(xw_tp_build_sender(&cfg, NULL, &f, NULL, pkt, sizeof(pkt)), XW_TP_E_INVAL);
}

/*
 * Error Estimate in seconds, straight from RFC 4656 4.1.2
 * (Multiplier * 2^(Scale - 32)), in double: an oracle independent of
 * include/xwamp/ntp.h.
 */
static double errest_s(__u16 ee)
{
	double v = ee & 0xff;
	int scale = (ee >> 8) & 0x3f, i;

	for (i = 0; i < scale; i++)
		v *= 2;
	for (i = 0; i < 32; i++)
		v /= 2;
	return v;
}

/* --- clock ------------------------------------------------------------------------- */

TEST(clock_synced_uses_esterror_and_sets_s)
{
	struct timex tx = {.status = STA_PLL, .esterror = 100, .maxerror = 5000};
	__u16 ee = xw_clock_errest_from_timex(TIME_OK, &tx, 1);

	CHECK(xw_errest_synced(ee));
	CHECK(ee & 0xff);
	CHECK_EQ(xw_clock_err_ns_from_timex(TIME_OK, &tx, 1), 100001);
	/* never below the error, and not wildly above (encoding has 8 bits) */
	CHECK(errest_s(ee) >= 100001e-9);
	CHECK(errest_s(ee) < 100001e-9 * 1.01);
	/* leap second pending is still synchronized */
	CHECK(xw_errest_synced(xw_clock_errest_from_timex(TIME_INS, &tx, 1)));
	/* the clock resolution adds to the error */
	CHECK_EQ(xw_clock_err_ns_from_timex(TIME_OK, &tx, 4000000), 4100000);
}

TEST(clock_unsynced_is_conservative_without_s)
{
	struct timex tx = {.status = STA_UNSYNC, .esterror = 1, .maxerror = 16000000};
	__u16 ee = xw_clock_errest_from_timex(TIME_ERROR, &tx, 1);

	CHECK(!xw_errest_synced(ee));
	CHECK(ee & 0xff);
	CHECK_EQ(xw_clock_err_ns_from_timex(TIME_ERROR, &tx, 1), 16000000000ULL + 1);
	/* the whole 16 s maxerror travels, never understated (RFC 4656 4.1.2) */
	CHECK(errest_s(ee) >= 16.0);
	CHECK(errest_s(ee) < 16.0 * 1.01);
	/* esterror is ignored when unsynced; never less than 1 s */
	tx.maxerror = 3;
	CHECK_EQ(xw_clock_err_ns_from_timex(TIME_OK, &tx, 1), XW_CLOCK_UNSYNC_MIN_NS + 1);
	CHECK(!xw_errest_synced(xw_clock_errest_from_timex(TIME_OK, &tx, 1)));
	/* TIME_ERROR alone (STA_UNSYNC clear) is not synchronized either */
	tx.status = 0;
	CHECK(!xw_errest_synced(xw_clock_errest_from_timex(TIME_ERROR, &tx, 1)));
	CHECK_EQ(xw_clock_err_ns_from_timex(TIME_ERROR, &tx, 1), XW_CLOCK_UNSYNC_MIN_NS + 1);
	CHECK_EQ(xw_clock_err_ns_from_timex(-1, NULL, 7), XW_CLOCK_UNSYNC_MIN_NS + 7);
	/* adjtimex failed */
	ee = xw_clock_errest_from_timex(-1, NULL, 1);
	CHECK(!xw_errest_synced(ee));
	CHECK(errest_s(ee) >= 1.0);
}

TEST(clock_errest_cached_for_one_second)
{
	struct xw_clock c;
	__u64 t0 = 1700000000000000000ULL;

	CHECK_EQ(xw_clock_init(&c), 0);
	CHECK(c.res_ns > 0);
	CHECK(c.errest & 0xff);
	/* a value xw_errest_encode() never produces (Z set, Multiplier 0) */
	c.errest = 0x4000;
	c.refreshed_ns = t0;
	CHECK_EQ(xw_clock_errest(&c, t0 + 999999999ULL), 0x4000);
	CHECK(xw_clock_errest(&c, t0 + 1000000000ULL) != 0x4000);
	CHECK_EQ(c.refreshed_ns, t0 + 1000000000ULL);
	c.errest = 0x4000;
	/* the clock stepped back: refresh */
	CHECK(xw_clock_errest(&c, t0) != 0x4000);
}

TEST(clock_timespec_to_ntp)
{
	struct timespec ts = {.tv_sec = 1, .tv_nsec = 500000000};
	__u64 now;

	CHECK_EQ(xw_timespec_to_ntp(&ts), ((1ULL + 2208988800ULL) << 32) | 0x80000000ULL);
	ts = (struct timespec){.tv_sec = 1700000000, .tv_nsec = 123456789};
	CHECK_EQ(xw_timespec_to_ntp(&ts), xw_ns_to_ntp(1700000000123456789ULL));
	CHECK_EQ(xw_timespec_to_ns(&ts), 1700000000123456789ULL);
	ts.tv_nsec = 1000000000;
	CHECK_EQ(xw_timespec_to_ntp(&ts), 0);
	ts = (struct timespec){.tv_sec = -1, .tv_nsec = 0};
	CHECK_EQ(xw_timespec_to_ntp(&ts), 0);
	/* the wall clock is after 2020 and agrees with its NTP form */
	now = xw_clock_now_ns();
	CHECK(now > 1577836800ULL * 1000000000ULL);
	CHECK_NEAR((double)(xw_ntp_to_ns(xw_clock_now_ntp()) - now), 0, 1e9);
}
