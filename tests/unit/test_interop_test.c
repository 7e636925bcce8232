// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP-Test packets of the perfSONAR 5.2.3 reference captures
 * (tests/data/captures, README.md there), decoded, verified and reproduced
 * with control/testpkt.c:
 *   - open and mixed (RFC 5618: open test packets): seq 0..4 both ways,
 *     the reflector copied the sender's seq/timestamp/EE, T1 <= T2 <= T3,
 *     Sender TTL 255;
 *   - authenticated and encrypted: the test keys come from the capture
 *     (passphrase -> PBKDF2 -> Token -> control keys; SID from the
 *     Accept-Session, which is CBC-encrypted in the server's stream), then
 *     every packet's HMAC is verified and its encrypted part decrypted;
 *   - in every mode our reflector, given perfSONAR's T2/T3, produces the
 *     captured reflector packet byte for byte, and our sender builds the
 *     captured sender header byte for byte: same layout, same encrypted
 *     ranges, same HMAC coverage.
 */
#include <string.h>

#include "crypto.h"
#include "pcap.h"
#include "t.h"
#include "testpkt.h"
#include "xwamp/wire.h"

#define PASSPHRASE "correct horse battery"

/*
 * Control keys and SID of a secure-mode capture (RFC 4656 3.1, RFC 5357
 * 3.1/3.5).  Server stream: Greeting 64 | Server-Start 48 (its last 16
 * octets are the first CBC block, IV = Server-IV) | Accept-Session 48.
 */
static int cap_keys(const struct xw_pcap *cap, struct xw_session_keys *ctrl, __u8 sid[XW_SID_LEN],
		    __u16 *port)
{
	const struct xw_pcap_stream *s2c = &cap->dir[XW_PCAP_S2C], *c2s = &cap->dir[XW_PCAP_C2S];
	const __u8 *greet = s2c->data, *sstart = s2c->data + 64, *setup = c2s->data;
	__u8 kek[XW_AES_KEY_LEN], iv[XW_BLOCK_LEN], plain[64];
	struct xw_aes *aes;
	int err;

	if (!cap->has_control || s2c->len < 64 + 48 + 48 || c2s->len < XW_SETUP_RESPONSE_LEN)
		return -1;
	/* Greeting: Salt at 32, Count at 48; Set-Up-Response: Token at 84 */
	err = xw_pbkdf2_sha1((const __u8 *)PASSPHRASE, strlen(PASSPHRASE), greet + 32, 16,
			     get_be32(greet + 48), kek, sizeof(kek));
	if (!err)
		err = xw_token_decrypt(kek, greet + 16, setup + 84, ctrl);
	xw_wipe(kek, sizeof(kek));
	if (err || sstart[15] != XW_ACCEPT_OK)
		return -1;
	aes = xw_aes_new(ctrl->aes);
	if (!aes)
		return -1;
	memcpy(iv, sstart + 16, sizeof(iv));
	err = xw_aes_cbc_decrypt(aes, iv, sstart + 32, plain, sizeof(plain));
	xw_aes_free(aes);
	if (err)
		return -1;
	/* plain[16..64] is Accept-Session: Accept, MBZ, Port, SID */
	if (plain[16] != XW_ACCEPT_OK)
		return -1;
	*port = get_be16(plain + 18);
	memcpy(sid, plain + 20, XW_SID_LEN);
	return 0;
}

/*
 * Everything the tests check on one capture.  mode: test packet mode,
 * slen: datagram size both ways (README table), crypto: NULL in open mode.
 */
static void check_session(const struct xw_pcap *cap, enum xw_tp_mode mode, size_t slen,
			  struct xw_tp_crypto *crypto, __u16 refl_port)
{
	struct xw_tp_cfg cfg = {.mode = mode,
				.padding_len = (__u32)(slen - (mode == XW_TP_OPEN ? 14 : 48))};
	struct xw_tp_sender snd[5];
	__u32 n_snd = 0, n_rep = 0;
	__u8 out[256];
	size_t i;

	CHECK_EQ(cap->n_udp, 10);
	if (!refl_port)
		refl_port = cap->udp[0].dport; /* the first datagram goes to the reflector */
	for (i = 0; i < cap->n_udp; i++) {
		const struct xw_pcap_udp *u = &cap->udp[i];

		CHECK_EQ(u->len, slen);
		CHECK_EQ(u->ttl, 255);
		if (u->dport == refl_port) {
			struct xw_tp_sender s;

			CHECK_EQ(xw_tp_parse_sender(&cfg, crypto, u->data, u->len,
						    xw_tp_sender_len(&cfg), &s),
				 0);
			CHECK(n_snd < 5);
			CHECK_EQ(s.seq, n_snd);
			CHECK_EQ(s.errest, 0x0001); /* README: S=0, Scale 0, Multiplier 1 */
			snd[n_snd++] = s;
			/* our sender writes the same header (padding is random) */
			cfg.zero_padding = 1;
			CHECK_EQ(xw_tp_build_sender(&cfg, crypto, &s, NULL, out, sizeof(out)),
				 (int)slen);
			CHECK_MEM(out, u->data, mode == XW_TP_OPEN ? 14 : 48);
		} else {
			struct xw_tp_reply rep;
			struct xw_tp_refl r;
			const struct xw_pcap_udp *su;
			size_t j;

			CHECK_EQ(u->sport, refl_port);
			CHECK_EQ(xw_tp_parse_reflector(&cfg, crypto, u->data, u->len, 0, &rep), 0);
			CHECK_EQ(rep.seq, n_rep);
			CHECK(n_rep < n_snd);
			CHECK_EQ(rep.sender_seq, snd[n_rep].seq);
			CHECK_EQ(rep.t1, snd[n_rep].ts);
			CHECK_EQ(rep.sender_errest, snd[n_rep].errest);
			CHECK(rep.t1 <= rep.t2); /* one host, one clock */
			CHECK(rep.t2 <= rep.t3);
			CHECK_EQ(rep.sender_ttl, 255);
			CHECK_EQ(rep.errest, 0x0001);
			CHECK_EQ(rep.padding_len, 0);

			/* our reflector, fed perfSONAR's T2/T3, says the same bytes */
			for (j = i; j > 0 && cap->udp[j - 1].dport != refl_port; j--)
				;
			CHECK(j > 0);
			su = &cap->udp[j - 1];
			r = (struct xw_tp_refl){.seq = rep.seq,
						.rx_ts = rep.t2,
						.tx_ts = rep.t3,
						.errest = rep.errest,
						.sender_ttl = su->ttl};
			CHECK_EQ(xw_tp_reflect(&cfg, crypto, su->data, su->len, su->len, &r, out,
					       sizeof(out), NULL),
				 (int)slen);
			CHECK_MEM(out, u->data, slen);
			n_rep++;
		}
	}
	CHECK_EQ(n_snd, 5);
	CHECK_EQ(n_rep, 5);
}

static void check_open(const char *file)
{
	struct xw_pcap cap;

	CHECK(xw_pcap_open_capture(&cap, file) == 0);
	check_session(&cap, XW_TP_OPEN, 41, NULL, 0);
	xw_pcap_close(&cap);
}

TEST(open_capture)
{
	check_open("perfsonar-twamp-open.pcap");
}

TEST(mixed_capture_uses_open_test_packets)
{
	check_open("perfsonar-twamp-mixed.pcap");
}

static void check_secure(const char *file, enum xw_tp_mode mode)
{
	struct xw_pcap cap;
	struct xw_session_keys ctrl;
	struct xw_tp_crypto c = {0};
	__u8 sid[XW_SID_LEN];
	__u16 port = 0;

	CHECK(xw_pcap_open_capture(&cap, file) == 0);
	CHECK(cap_keys(&cap, &ctrl, sid, &port) == 0);
	/* README: the SID starts with the server's IPv4 address */
	CHECK_EQ(get_be32(sid), 0x7f000001);
	CHECK_EQ(port, cap.udp[0].dport);
	CHECK_EQ(xw_tp_crypto_init_sid(&c, &ctrl, sid), 0);
	xw_wipe(&ctrl, sizeof(ctrl));
	check_session(&cap, mode, 112, &c, port);
	if (!t_failed()) {
		/* and with the wrong session's keys nothing verifies */
		struct xw_tp_cfg cfg = {.mode = mode, .padding_len = 64};
		struct xw_tp_sender s;

		xw_tp_crypto_free(&c);
		CHECK(cap_keys(&cap, &ctrl, sid, &port) == 0);
		sid[15] ^= 1;
		CHECK_EQ(xw_tp_crypto_init_sid(&c, &ctrl, sid), 0);
		xw_wipe(&ctrl, sizeof(ctrl));
		CHECK_EQ(xw_tp_parse_sender(&cfg, &c, cap.udp[0].data, cap.udp[0].len, 112, &s),
			 XW_TP_E_HMAC);
	}
	xw_tp_crypto_free(&c);
	xw_pcap_close(&cap);
}

TEST(auth_capture_hmac_and_first_block)
{
	check_secure("perfsonar-twamp-auth.pcap", XW_TP_AUTH);
}

TEST(encrypted_capture_hmac_and_cbc)
{
	check_secure("perfsonar-twamp-encrypted.pcap", XW_TP_ENC);
}

TEST(auth_capture_same_first_block_both_ways_for_seq0)
{
	/* README: ECB, same key both ways: seq 0 + MBZ encrypts identically */
	struct xw_pcap cap;

	CHECK(xw_pcap_open_capture(&cap, "perfsonar-twamp-auth.pcap") == 0);
	CHECK(cap.n_udp >= 2);
	CHECK_MEM(cap.udp[0].data, cap.udp[1].data, 16);
	xw_pcap_close(&cap);
}
