// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP-Test packets (control/testpkt.h) and the reflect transform
 * (include/xwamp/reflect.h) on arbitrary Session-Sender packets.
 *
 * Input: a 5-octet header, then the packet.
 *   h0  bits 0-1 test mode (open, authenticated, encrypted; 3: open);
 *       0x04 Symmetrical Size, 0x08 all-zero padding (RFC 6038, RFC 4656
 *       4.1.2); 0x10 sealed: the packet is built by xw_tp_build_sender()
 *       from the sequence number, timestamp and error estimate in the input
 *       (its first 14 octets, then the octets to reflect), so that it
 *       passes the HMAC; 0x20 the session's packet length is enforced.
 *   h1-h2  RFC 6038 length of padding to reflect, h3-h4 Padding Length.
 *
 * The reflector parses (xw_tp_parse_sender) and answers (xw_tp_reflect, as
 * xwampd's sockets and AF_XDP do) into a buffer of exactly the announced
 * reflector length (ASan: no write beyond).  Both must agree on accepting
 * or on the drop reason.  An answer is as long as xw_tp_reflector_len()
 * says, at least the header plus the octets to reflect, and the sender
 * parses it back: its own sequence number, timestamp and error estimate,
 * the reflector's fields, and the octets to reflect at the start of the
 * padding (RFC 6038 5.2.1).  In open mode the XDP program's inline
 * transform (xw_reflect_open) and the userspace one (xw_tp_reflect_open)
 * must give the same result, octet for octet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fuzz.h"
#include "testpkt.h"
#include "xwamp/reflect.h"
#include "xwamp/wire.h"

static int is_drop(int err)
{
	return err == XW_TP_E_TRUNC || err == XW_TP_E_LEN || err == XW_TP_E_HMAC ||
	       err == XW_TP_E_MULT0;
}

static uint8_t *dup(const uint8_t *p, size_t len, size_t cap)
{
	uint8_t *b = malloc(cap ? cap : 1);

	FUZZ_ASSERT(b != NULL);
	memset(b, 0xee, cap);
	memcpy(b, p, len < cap ? len : cap);
	return b;
}

/* The XDP program's transform against control/testpkt.c's, open mode. */
static void differential(const struct xw_tp_cfg *cfg, const uint8_t *pkt, size_t len, size_t expect,
			 const struct xw_tp_refl *r)
{
	size_t cap = XW_REFL_OUT_LEN(len, (size_t)cfg->reflect_len);
	uint8_t *a = dup(pkt, len, cap), *b = dup(pkt, len, cap);
	__u64 next_seq = r->seq;
	struct xw_refl_args args = {
		.rx_ts = r->rx_ts,
		.tx_ts = r->tx_ts,
		.next_seq = &next_seq,
		.expect_len = (__u32)expect,
		.errest = r->errest,
		.reflect_len = cfg->reflect_len,
		.sender_ttl = r->sender_ttl,
		.flags = (cfg->symmetric ? XW_REFL_F_SYMMETRIC : 0) |
			 (cfg->reflect_len ? XW_REFL_F_REFLECT : 0),
	};
	int ra, rb;

	ra = xw_reflect_open(a, a + cap, (__u32)len, &args);
	rb = xw_tp_reflect_open(cfg, b, len, cap, expect, r);
	FUZZ_ASSERT(ra == rb);
	if (ra > 0) {
		FUZZ_ASSERT(!memcmp(a, b, (size_t)ra));
		FUZZ_ASSERT(next_seq == (__u64)r->seq + 1);
	} else {
		FUZZ_ASSERT(next_seq == r->seq); /* no number used for a dropped packet */
	}
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sid[XW_SID_LEN] = {192, 0, 2, 7, 0xee, 0xaf, 3, 0x25};
	const struct xw_tp_refl refl = {
		.seq = 0x01020304,
		.rx_ts = 0xeeaf032578eb13dfULL,
		.tx_ts = 0xeeaf032578eb2000ULL,
		.errest = 0x8001,
		.sender_ttl = 255,
	};
	static struct xw_tp_crypto crypto; /* the keys never change: made once */
	struct xw_tp_cfg cfg = {0};
	struct xw_tp_sender s = {0}, s2 = {0};
	struct xw_tp_reply rep;
	uint8_t *pkt, *out;
	size_t len, cap, expect, pad_off, hdr;
	uint8_t h0;
	int rp, rr, n;

	if (size < 5)
		return 0;
	fuzz_reset();
	h0 = data[0];
	cfg.mode = (h0 & 3) == 3 ? XW_TP_OPEN : (enum xw_tp_mode)(h0 & 3);
	cfg.symmetric = !!(h0 & 0x04);
	cfg.zero_padding = !!(h0 & 0x08);
	cfg.reflect_len = (__u16)(data[1] << 8 | data[2]);
	cfg.padding_len = (__u32)(data[3] << 8 | data[4]);
	data += 5;
	size -= 5;
	if (!crypto.aes)
		FUZZ_ASSERT(xw_tp_crypto_init_sid(&crypto, &fuzz_keys, sid) == 0);

	if (h0 & 0x10) {
		struct fz f = {data, size};
		struct xw_tp_sender fields;
		size_t slen = xw_tp_sender_len(&cfg), k;
		const uint8_t *reflect;

		fields.seq = fz_u32(&f);
		fields.ts = (uint64_t)fz_u32(&f) << 32 | fz_u32(&f);
		fields.errest = fz_u16(&f);
		reflect = fz_take(&f, cfg.reflect_len, &k);
		pkt = malloc(slen ? slen : 1);
		FUZZ_ASSERT(pkt != NULL);
		n = xw_tp_build_sender(&cfg, &crypto, &fields,
				       k == cfg.reflect_len ? reflect : NULL, pkt, slen);
		if (n < 0) {
			FUZZ_ASSERT(n == XW_TP_E_INVAL); /* reflect_len > padding_len */
			free(pkt);
			return 0;
		}
		FUZZ_ASSERT((size_t)n == slen);
		len = slen;
	} else {
		len = size;
		pkt = dup(data, size, size);
	}
	expect = h0 & 0x20 ? xw_tp_sender_len(&cfg) : 0;
	hdr = cfg.mode == XW_TP_OPEN ? XW_TP_REFL_HDR_OPEN : XW_TP_REFL_HDR_AUTH;
	pad_off =
		(cfg.mode == XW_TP_OPEN ? XW_TP_SENDER_HDR_OPEN : XW_TP_SENDER_HDR_AUTH) +
		(cfg.symmetric ? (cfg.mode == XW_TP_OPEN ? XW_TP_SYM_MBZ_OPEN : XW_TP_SYM_MBZ_AUTH)
			       : 0);

	rp = xw_tp_parse_sender(&cfg, &crypto, pkt, len, expect, &s);
	FUZZ_ASSERT(rp == 0 || is_drop(rp));
	if (h0 & 0x10)
		FUZZ_ASSERT(rp == 0 || rp == XW_TP_E_MULT0 || rp == XW_TP_E_TRUNC);

	cap = xw_tp_reflector_len(&cfg, len);
	FUZZ_ASSERT(cap >= len && cap >= hdr + cfg.reflect_len);
	out = malloc(cap);
	FUZZ_ASSERT(out != NULL);
	rr = xw_tp_reflect(&cfg, &crypto, pkt, len, expect, &refl, out, cap, &s2);
	FUZZ_ASSERT(rr == (rp ? rp : (int)cap));
	/* a smaller buffer is refused, never overrun */
	if (!rp)
		FUZZ_ASSERT(xw_tp_reflect(&cfg, &crypto, pkt, len, expect, &refl, out, cap - 1,
					  NULL) == XW_TP_E_NOSPC);

	if (rr > 0) {
		FUZZ_ASSERT(s.seq == s2.seq && s.ts == s2.ts && s.errest == s2.errest);
		n = xw_tp_parse_reflector(&cfg, &crypto, out, (size_t)rr, 7, &rep);
		FUZZ_ASSERT(n == 0);
		FUZZ_ASSERT(rep.seq == refl.seq && rep.sender_seq == s.seq && rep.t1 == s.ts);
		FUZZ_ASSERT(rep.t2 == refl.rx_ts && rep.sender_errest == s.errest);
		FUZZ_ASSERT(rep.errest == refl.errest && rep.sender_ttl == refl.sender_ttl);
		FUZZ_ASSERT(rep.padding == out + hdr && rep.padding_len == (size_t)rr - hdr);
		/* RFC 6038 5.2.1: the octets to reflect open the reflector's padding */
		FUZZ_ASSERT(!memcmp(rep.padding, pkt + pad_off, cfg.reflect_len));
		if (cfg.mode == XW_TP_ENC) {
			FUZZ_ASSERT(rep.t3 == refl.tx_ts);
			FUZZ_ASSERT(xw_tp_stamp(cfg.mode, out, (size_t)rr, 1, 1) == XW_TP_E_INVAL);
		} else {
			/* T3 is stamped after the crypto, outside the HMAC (testpkt.h) */
			FUZZ_ASSERT(xw_tp_stamp(cfg.mode, out, (size_t)rr, 0x1122334455667788ULL,
						0x8001) == 0);
			FUZZ_ASSERT(xw_tp_parse_reflector(&cfg, &crypto, out, (size_t)rr, 7,
							  &rep) == 0);
			FUZZ_ASSERT(rep.t3 == 0x1122334455667788ULL);
		}
	}
	if (cfg.mode == XW_TP_OPEN)
		differential(&cfg, pkt, len, expect, &refl);
	free(out);
	free(pkt);
	return 0;
}
