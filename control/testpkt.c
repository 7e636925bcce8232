// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP-Test packets (RFC 5357 4, RFC 4656 4.1.2, RFC 6038 5, RFC 5618):
 * build, verify, reflect.  Layouts and the exact crypto ranges are in
 * testpkt.h; each is confirmed against the perfSONAR captures by
 * tests/unit/test_interop_test.c.
 */
#include <string.h>

#include "crypto.h"
#include "testpkt.h"
#include "xwamp/wire.h"

/* Field offsets, unauthenticated sender (RFC 4656 4.1.2). */
#define SO_SEQ	0
#define SO_TS	4
#define SO_EE	12
/* Authenticated/encrypted sender (RFC 4656 4.1.2): 12 MBZ after seq. */
#define SA_SEQ	0
#define SA_TS	16
#define SA_EE	24
/* Unauthenticated reflector (RFC 5357 4.2.1). */
#define RO_SEQ	0
#define RO_TS	4
#define RO_EE	12
#define RO_RXTS 16
#define RO_SSEQ 24
#define RO_STS	28
#define RO_SEE	36
#define RO_TTL	40
/* Authenticated/encrypted reflector (RFC 5357 4.2.1). */
#define RA_SEQ	0
#define RA_TS	16
#define RA_EE	24
#define RA_RXTS 32
#define RA_SSEQ 48
#define RA_STS	64
#define RA_SEE	72
#define RA_TTL	80

/* RFC 4656 4.1.2: Multiplier 0 means a corrupt packet. */
#define EE_MULT(ee) ((ee)&0xff)

int xw_tp_mode_of(__u32 modes)
{
	if (modes & XW_MODE_ENCRYPTED)
		return XW_TP_ENC;
	if (modes & XW_MODE_AUTH)
		return XW_TP_AUTH;
	/* RFC 5618 3: mixed mode protects control only; test packets are open. */
	if (modes & (XW_MODE_OPEN | XW_MODE_MIXED))
		return XW_TP_OPEN;
	return -EINVAL;
}

enum xw_tp_drop xw_tp_drop_reason(int err)
{
	switch (err) {
	case XW_TP_E_TRUNC:
		return XW_TP_DROP_TRUNC;
	case XW_TP_E_LEN:
		return XW_TP_DROP_LEN;
	case XW_TP_E_HMAC:
		return XW_TP_DROP_HMAC;
	case XW_TP_E_MULT0:
		return XW_TP_DROP_MULT0;
	default:
		return XW_TP_DROP_OTHER;
	}
}

const char *xw_tp_drop_name(enum xw_tp_drop reason)
{
	static const char *const names[XW_TP_DROP_MAX] = {
		[XW_TP_DROP_TRUNC] = "truncated", [XW_TP_DROP_LEN] = "wrong-length",
		[XW_TP_DROP_HMAC] = "bad-hmac",	  [XW_TP_DROP_MULT0] = "errest-multiplier-0",
		[XW_TP_DROP_OTHER] = "other",
	};

	if ((unsigned int)reason >= XW_TP_DROP_MAX)
		return "other";
	return names[reason];
}

static size_t sender_hdr(enum xw_tp_mode mode)
{
	return mode == XW_TP_OPEN ? XW_TP_SENDER_HDR_OPEN : XW_TP_SENDER_HDR_AUTH;
}

static size_t refl_hdr(enum xw_tp_mode mode)
{
	return mode == XW_TP_OPEN ? XW_TP_REFL_HDR_OPEN : XW_TP_REFL_HDR_AUTH;
}

/* Where the sender's Packet Padding starts (after the RFC 6038 MBZ octets). */
static size_t sender_pad_off(const struct xw_tp_cfg *cfg)
{
	size_t off = sender_hdr(cfg->mode);

	if (cfg->symmetric)
		off += cfg->mode == XW_TP_OPEN ? XW_TP_SYM_MBZ_OPEN : XW_TP_SYM_MBZ_AUTH;
	return off;
}

size_t xw_tp_sender_len(const struct xw_tp_cfg *cfg)
{
	return sender_pad_off(cfg) + cfg->padding_len;
}

size_t xw_tp_reflector_len(const struct xw_tp_cfg *cfg, size_t sender_len)
{
	size_t min = refl_hdr(cfg->mode) + cfg->reflect_len;

	/*
	 * RFC 5357 4.2.1 (truncate padding for equal lengths), RFC 6038 5.2.1
	 * (the reflected octets must be there) and 5.2.2 (Symmetrical Size:
	 * equal lengths) all come down to this.
	 */
	return sender_len > min ? sender_len : min;
}

/* --- crypto context --------------------------------------------------------- */

int xw_tp_crypto_init(struct xw_tp_crypto *c, const struct xw_session_keys *test_keys)
{
	c->aes = xw_aes_new(test_keys->aes);
	c->hmac = xw_hmac_new(test_keys->hmac, sizeof(test_keys->hmac));
	if (!c->aes || !c->hmac) {
		xw_tp_crypto_free(c);
		return -ENOMEM;
	}
	return 0;
}

int xw_tp_crypto_init_sid(struct xw_tp_crypto *c, const struct xw_session_keys *ctrl_keys,
			  const __u8 sid[XW_SID_LEN])
{
	struct xw_session_keys test;
	int err;

	c->aes = NULL;
	c->hmac = NULL;
	err = xw_test_keys_derive(ctrl_keys, sid, &test);
	if (!err)
		err = xw_tp_crypto_init(c, &test);
	xw_wipe(&test, sizeof(test));
	return err;
}

void xw_tp_crypto_free(struct xw_tp_crypto *c)
{
	xw_aes_free(c->aes);
	xw_hmac_free(c->hmac);
	c->aes = NULL;
	c->hmac = NULL;
}

static int crypto_ready(enum xw_tp_mode mode, const struct xw_tp_crypto *c)
{
	if (mode == XW_TP_OPEN)
		return 1;
	return (mode == XW_TP_AUTH || mode == XW_TP_ENC) && c && c->aes && c->hmac;
}

/*
 * HMAC over the plaintext of the covered part into mac, then encrypt that
 * part in place: RFC 5357 4.2 "the HMAC MUST be calculated first", ECB for
 * the single block of authenticated mode, CBC with IV 0 in encrypted mode
 * (RFC 4656 4.1.2: each packet is its own chain).
 */
static int seal(enum xw_tp_mode mode, struct xw_tp_crypto *c, __u8 *pkt, size_t enc_len, __u8 *mac)
{
	__u8 iv[XW_BLOCK_LEN] = {0};
	size_t n = mode == XW_TP_AUTH ? XW_BLOCK_LEN : enc_len;

	if (xw_hmac_update(c->hmac, pkt, n) || xw_hmac_final(c->hmac, mac))
		return XW_TP_E_CRYPTO;
	if (mode == XW_TP_AUTH) {
		if (xw_aes_ecb_encrypt(c->aes, pkt, pkt, XW_BLOCK_LEN))
			return XW_TP_E_CRYPTO;
	} else if (xw_aes_cbc_encrypt(c->aes, iv, pkt, pkt, n)) {
		return XW_TP_E_CRYPTO;
	}
	return 0;
}

/* The reverse of seal() on a private copy: decrypt, then check the MAC in constant time. */
static int unseal(enum xw_tp_mode mode, struct xw_tp_crypto *c, __u8 *plain, size_t enc_len,
		  const __u8 *mac)
{
	__u8 iv[XW_BLOCK_LEN] = {0};
	size_t n = mode == XW_TP_AUTH ? XW_BLOCK_LEN : enc_len;
	int ok;

	if (mode == XW_TP_AUTH) {
		if (xw_aes_ecb_decrypt(c->aes, plain, plain, XW_BLOCK_LEN))
			return XW_TP_E_CRYPTO;
	} else if (xw_aes_cbc_decrypt(c->aes, iv, plain, plain, n)) {
		return XW_TP_E_CRYPTO;
	}
	if (xw_hmac_update(c->hmac, plain, n))
		return XW_TP_E_CRYPTO;
	ok = xw_hmac_verify(c->hmac, mac);
	if (ok < 0)
		return XW_TP_E_CRYPTO;
	return ok ? 0 : XW_TP_E_HMAC;
}

/* --- Session-Sender packet ------------------------------------------------- */

int xw_tp_build_sender(const struct xw_tp_cfg *cfg, struct xw_tp_crypto *crypto,
		       const struct xw_tp_sender *f, const __u8 *reflect, __u8 *out, size_t cap)
{
	size_t pad_off = sender_pad_off(cfg);
	size_t len = pad_off + cfg->padding_len;
	int err;

	if (!crypto_ready(cfg->mode, crypto) || cfg->reflect_len > cfg->padding_len ||
	    len > XW_TP_MAX_LEN)
		return XW_TP_E_INVAL;
	if (len > cap)
		return XW_TP_E_NOSPC;

	memset(out, 0, pad_off); /* every MBZ, incl. the RFC 6038 ones */
	if (cfg->padding_len) {
		if (cfg->zero_padding)
			memset(out + pad_off, 0, cfg->padding_len);
		else if (xw_random(out + pad_off, cfg->padding_len))
			return XW_TP_E_CRYPTO;
	}
	/* RFC 6038 5.1.2: the octets to be reflected open the padding. */
	if (reflect && cfg->reflect_len)
		memcpy(out + pad_off, reflect, cfg->reflect_len);

	if (cfg->mode == XW_TP_OPEN) {
		put_be32(out + SO_SEQ, f->seq);
		put_be64(out + SO_TS, f->ts);
		put_be16(out + SO_EE, f->errest);
		return (int)len;
	}
	put_be32(out + SA_SEQ, f->seq);
	put_be64(out + SA_TS, f->ts);
	put_be16(out + SA_EE, f->errest);
	err = seal(cfg->mode, crypto, out, XW_TP_SENDER_ENC_LEN, out + XW_TP_SENDER_HMAC_OFF);
	if (err)
		return err;
	return (int)len;
}

int xw_tp_stamp(enum xw_tp_mode mode, __u8 *pkt, size_t len, __u64 ts, __u16 errest)
{
	if (len < sender_hdr(mode))
		return XW_TP_E_TRUNC;
	if (mode == XW_TP_OPEN) {
		put_be64(pkt + SO_TS, ts);
		put_be16(pkt + SO_EE, errest);
		return 0;
	}
	/* Encrypted mode covers the timestamp: it must be set before sealing. */
	if (mode != XW_TP_AUTH)
		return XW_TP_E_INVAL;
	put_be64(pkt + SA_TS, ts);
	put_be16(pkt + SA_EE, errest);
	return 0;
}

/* Length checks shared by every receive path at the reflector. */
static int check_sender_len(const struct xw_tp_cfg *cfg, size_t len, size_t expect_len)
{
	if (len < sender_pad_off(cfg) + cfg->reflect_len)
		return XW_TP_E_TRUNC;
	if (expect_len && len != expect_len)
		return XW_TP_E_LEN;
	return 0;
}

int xw_tp_parse_sender(const struct xw_tp_cfg *cfg, struct xw_tp_crypto *crypto, const __u8 *pkt,
		       size_t len, size_t expect_len, struct xw_tp_sender *out)
{
	__u8 plain[XW_TP_SENDER_ENC_LEN];
	int err;

	if (!crypto_ready(cfg->mode, crypto))
		return XW_TP_E_INVAL;
	err = check_sender_len(cfg, len, expect_len);
	if (err)
		return err;

	if (cfg->mode == XW_TP_OPEN) {
		out->seq = get_be32(pkt + SO_SEQ);
		out->ts = get_be64(pkt + SO_TS);
		out->errest = get_be16(pkt + SO_EE);
	} else {
		memcpy(plain, pkt, sizeof(plain));
		err = unseal(cfg->mode, crypto, plain, sizeof(plain), pkt + XW_TP_SENDER_HMAC_OFF);
		if (err)
			return err;
		/* authenticated mode: ts/EE are clear text, same octets in plain */
		out->seq = get_be32(plain + SA_SEQ);
		out->ts = get_be64(plain + SA_TS);
		out->errest = get_be16(plain + SA_EE);
	}
	if (!EE_MULT(out->errest))
		return XW_TP_E_MULT0;
	return 0;
}

/* --- Session-Reflector packet ------------------------------------------------ */

int xw_tp_reflect_open(const struct xw_tp_cfg *cfg, __u8 *buf, size_t len, size_t cap,
		       size_t expect_len, const struct xw_tp_refl *r)
{
	size_t pad_off = XW_TP_SENDER_HDR_OPEN + (cfg->symmetric ? XW_TP_SYM_MBZ_OPEN : 0);
	size_t min = XW_TP_REFL_HDR_OPEN + cfg->reflect_len;
	size_t out_len, rp, i;
	__u32 sseq;
	__u64 sts;
	__u16 see;

	if (len < pad_off + cfg->reflect_len)
		return XW_TP_E_TRUNC;
	if (expect_len && len != expect_len)
		return XW_TP_E_LEN;
	see = get_be16(buf + SO_EE);
	if (!EE_MULT(see))
		return XW_TP_E_MULT0;
	out_len = len > min ? len : min;
	if (out_len > cap)
		return XW_TP_E_NOSPC;
	sseq = get_be32(buf + SO_SEQ);
	sts = get_be64(buf + SO_TS);

	/*
	 * Re-use the sender's padding, dropping its highest-numbered octets
	 * (RFC 5357 4.2.1), so that its first reflect_len octets arrive at
	 * the start of ours (RFC 6038 5.2.1).  Symmetrical Size: the padding
	 * is already at offset 41.  Otherwise it moves from 14 to 41: copy
	 * backwards because the ranges overlap.  rp never exceeds what the
	 * sender sent after pad_off (checked above).
	 */
	rp = out_len - XW_TP_REFL_HDR_OPEN;
	if (pad_off != XW_TP_REFL_HDR_OPEN)
		for (i = rp; i-- > 0;)
			buf[XW_TP_REFL_HDR_OPEN + i] = buf[pad_off + i];

	put_be32(buf + RO_SEQ, r->seq);
	put_be64(buf + RO_TS, r->tx_ts);
	put_be16(buf + RO_EE, r->errest);
	put_be16(buf + RO_EE + 2, 0); /* MBZ */
	put_be64(buf + RO_RXTS, r->rx_ts);
	put_be32(buf + RO_SSEQ, sseq);
	put_be64(buf + RO_STS, sts);
	put_be16(buf + RO_SEE, see);
	put_be16(buf + RO_SEE + 2, 0); /* MBZ */
	buf[RO_TTL] = r->sender_ttl;
	return (int)out_len;
}

int xw_tp_reflect(const struct xw_tp_cfg *cfg, struct xw_tp_crypto *crypto, const __u8 *in,
		  size_t len, size_t expect_len, const struct xw_tp_refl *r, __u8 *out, size_t cap,
		  struct xw_tp_sender *sender)
{
	struct xw_tp_sender s;
	size_t out_len, rp;
	int err;

	err = xw_tp_parse_sender(cfg, crypto, in, len, expect_len, &s);
	if (err)
		return err;
	if (sender)
		*sender = s;
	out_len = xw_tp_reflector_len(cfg, len);
	if (out_len > cap)
		return XW_TP_E_NOSPC;

	if (cfg->mode == XW_TP_OPEN) {
		memcpy(out, in, len);
		return xw_tp_reflect_open(cfg, out, len, cap, expect_len, r);
	}

	memset(out, 0, XW_TP_REFL_HDR_AUTH);
	put_be32(out + RA_SEQ, r->seq);
	put_be64(out + RA_TS, r->tx_ts);
	put_be16(out + RA_EE, r->errest);
	put_be64(out + RA_RXTS, r->rx_ts);
	put_be32(out + RA_SSEQ, s.seq);
	put_be64(out + RA_STS, s.ts);
	put_be16(out + RA_SEE, s.errest);
	out[RA_TTL] = r->sender_ttl;
	/* padding: the sender's, highest-numbered octets dropped (as in open mode) */
	rp = out_len - XW_TP_REFL_HDR_AUTH;
	if (rp)
		memcpy(out + XW_TP_REFL_HDR_AUTH, in + sender_pad_off(cfg), rp);
	err = seal(cfg->mode, crypto, out, XW_TP_REFL_ENC_LEN, out + XW_TP_REFL_HMAC_OFF);
	if (err)
		return err;
	return (int)out_len;
}

int xw_tp_parse_reflector(const struct xw_tp_cfg *cfg, struct xw_tp_crypto *crypto, const __u8 *pkt,
			  size_t len, __u64 t4, struct xw_tp_reply *out)
{
	__u8 plain[XW_TP_REFL_ENC_LEN];
	size_t hdr = refl_hdr(cfg->mode);
	int err;

	if (!crypto_ready(cfg->mode, crypto))
		return XW_TP_E_INVAL;
	if (len < hdr + cfg->reflect_len)
		return XW_TP_E_TRUNC;

	if (cfg->mode == XW_TP_OPEN) {
		out->seq = get_be32(pkt + RO_SEQ);
		out->t3 = get_be64(pkt + RO_TS);
		out->errest = get_be16(pkt + RO_EE);
		out->t2 = get_be64(pkt + RO_RXTS);
		out->sender_seq = get_be32(pkt + RO_SSEQ);
		out->t1 = get_be64(pkt + RO_STS);
		out->sender_errest = get_be16(pkt + RO_SEE);
		out->sender_ttl = pkt[RO_TTL];
	} else {
		memcpy(plain, pkt, sizeof(plain));
		err = unseal(cfg->mode, crypto, plain, sizeof(plain), pkt + XW_TP_REFL_HMAC_OFF);
		if (err)
			return err;
		out->seq = get_be32(plain + RA_SEQ);
		out->t3 = get_be64(plain + RA_TS);
		out->errest = get_be16(plain + RA_EE);
		out->t2 = get_be64(plain + RA_RXTS);
		out->sender_seq = get_be32(plain + RA_SSEQ);
		out->t1 = get_be64(plain + RA_STS);
		out->sender_errest = get_be16(plain + RA_SEE);
		out->sender_ttl = plain[RA_TTL];
	}
	out->t4 = t4;
	out->padding = pkt + hdr;
	out->padding_len = len - hdr;
	if (!EE_MULT(out->errest) || !EE_MULT(out->sender_errest))
		return XW_TP_E_MULT0;
	return 0;
}
