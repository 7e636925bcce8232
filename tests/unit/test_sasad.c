// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPsec SA profile's kernel SAD parser (control/sasad.h) on a real
 * XFRM_MSG_GETSA dump recorded by tests/vm/xfrm-record.py (fake keys, one
 * octet repeated: tests/unit/xfrm_fixtures.h): the keys of each SA, the
 * pair a client finds by peer and a server by SPIs, KEYMAT of a recorded
 * pair in RFC 7296 2.17 order, AEAD, AH, encryption-only and IPv6 SAs, the
 * keys wiped from the receive buffer, and malformed input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <string.h>

#include "t.h"
#include "sasad.h"
#include "xfrm_fixtures.h"

#define BUF_MAX 16384

__attribute__((constructor)) static void log_setup(void)
{
	t_log_capture();
}

static uint8_t buf[BUF_MAX];

static size_t dump(void)
{
	return t_unhex(fx_sa_dump, buf, sizeof(buf));
}

static void peer4(struct xw_sad_find *f, const char *ip)
{
	memset(f, 0, sizeof(*f));
	f->peer.family = AF_INET;
	inet_pton(AF_INET, ip, f->peer.a);
}

static int rep(const uint8_t *p, size_t n, uint8_t b)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != b)
			return 0;
	return 1;
}

/* A run of 8 octets b anywhere in buf. */
static int has_run(const uint8_t *p, size_t n, uint8_t b)
{
	for (size_t i = 0; i + 8 <= n; i++)
		if (rep(p + i, 8, b))
			return 1;
	return 0;
}

TEST(client_cbc_sha256_pair_and_keymat)
{
	struct xw_sad_find f;
	struct xw_sa_pair p;
	uint8_t km[XW_SA_KEYMAT_MAX];
	size_t n = dump(), kl;

	CHECK(n > 0);
	CHECK(has_run(buf, n, 0xc1)); /* the recording has the keys */
	/* C: 192.0.2.1 <-> 192.0.2.4, cbc(aes) 256 + hmac(sha256): we are .1, the server .4 */
	peer4(&f, "192.0.2.4");
	CHECK_EQ(xw_sad_feed(&f, buf, n), 1);
	/* whatever the caller's pair held before (a stack's garbage) is gone: no SKEYSEED */
	memset(&p, 0xa5, sizeof(p));
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.skeyseed_len, 0);
	CHECK(rep(p.skeyseed, sizeof(p.skeyseed), 0));
	CHECK_EQ(p.c2s.proto, IPPROTO_ESP);
	CHECK_EQ(p.c2s.spi, 0x3001);
	CHECK_EQ(p.s2c.spi, 0x3002);
	CHECK_EQ(p.c2s.enc_len, 32);
	CHECK(rep(p.c2s.enc, 32, 0xc1));
	CHECK_EQ(p.c2s.integ_len, 32);
	CHECK(rep(p.c2s.integ, 32, 0xc9));
	CHECK(rep(p.s2c.enc, 32, 0xc2));
	CHECK(rep(p.s2c.integ, 32, 0xca));
	CHECK(!p.c2s.aead);
	/* KEYMAT (RFC 7296 2.17): encr i->r, integ i->r, encr r->i, integ r->i */
	CHECK_EQ(xw_sa_keymat(&p, km, &kl), 0);
	CHECK_EQ(kl, 128);
	CHECK(rep(km, 32, 0xc1));
	CHECK(rep(km + 32, 32, 0xc9));
	CHECK(rep(km + 64, 32, 0xc2));
	CHECK(rep(km + 96, 32, 0xca));
	/* no key octet is left in the receive buffer */
	CHECK(!has_run(buf, n, 0xc1) && !has_run(buf, n, 0xc9) && !has_run(buf, n, 0xa1) &&
	      !has_run(buf, n, 0xe1) && !has_run(buf, n, 0xd1));
	xw_sad_find_wipe(&f);
}

TEST(server_by_spi)
{
	struct xw_sad_find f = {
		.by_spi = true, .proto = IPPROTO_ESP, .spi_i = 0x3002, .spi_r = 0x3001};
	struct xw_sa_pair p;

	/* the server .1 with client .4: SPIi is the SA client -> server (.4 -> .1) */
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.c2s.spi, 0x3002);
	CHECK(rep(p.c2s.enc, 32, 0xc2));
	CHECK(rep(p.s2c.enc, 32, 0xc1));
	/* the same SPIs as AH: nothing */
	f = (struct xw_sad_find){
		.by_spi = true, .proto = IPPROTO_AH, .spi_i = 0x3002, .spi_r = 0x3001};
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), -ENOENT);
	/* SPIs of two different pairs do not face each other */
	f = (struct xw_sad_find){
		.by_spi = true, .proto = IPPROTO_ESP, .spi_i = 0x3001, .spi_r = 0x1002};
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), -ENOENT);
	xw_sad_find_wipe(&f);
}

TEST(aead_ah_encryption_only_ipv6)
{
	struct xw_sad_find f;
	struct xw_sa_pair p;
	const char *why;

	/* A: rfc4106(gcm(aes)) 128 + salt: 20 octets, no integrity key */
	peer4(&f, "192.0.2.2");
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK(p.c2s.aead);
	CHECK_EQ(p.c2s.enc_len, 20);
	CHECK(rep(p.c2s.enc, 20, 0xa1));
	CHECK_EQ(p.c2s.integ_len, 0);
	CHECK_EQ(xw_sa_usable(XW_SA_ALT1, &p, &why), 0);
	CHECK_EQ(xw_sa_usable(XW_SA_ALT2, &p, &why), -EOPNOTSUPP);
	/* B: encryption only: found, and refused by every variant */
	peer4(&f, "192.0.2.3");
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.c2s.spi, 0x2001);
	CHECK_EQ(xw_sa_usable(XW_SA_KEYMAT, &p, &why), -EOPNOTSUPP);
	CHECK(strstr(why, "encryption-only"));
	/* D: AH hmac(sha1) */
	peer4(&f, "192.0.2.5");
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.c2s.proto, IPPROTO_AH);
	CHECK_EQ(p.c2s.integ_len, 20);
	CHECK(rep(p.c2s.integ, 20, 0xd1));
	CHECK(rep(p.s2c.integ, 20, 0xd2));
	/* E: IPv6, gcm with a 256-bit key + salt (36 octets) */
	memset(&f, 0, sizeof(f));
	f.peer.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::2", f.peer.a);
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.c2s.spi, 0x5001);
	CHECK_EQ(p.c2s.enc_len, 36);
	CHECK(rep(p.c2s.enc, 36, 0xe1));
	CHECK(rep(p.s2c.enc, 36, 0xe2));
	/* a peer with no SA */
	peer4(&f, "192.0.2.99");
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), -ENOENT);
	xw_sad_find_wipe(&f);
	xw_sa_pair_wipe(&p);
}

TEST(malformed)
{
	struct xw_sad_find f;
	struct nlmsghdr *h;
	size_t n = dump();

	/* a length past the end: the rest is dropped (and wiped), logged */
	peer4(&f, "192.0.2.4");
	h = (struct nlmsghdr *)buf;
	h->nlmsg_len = (uint32_t)n + 16;
	t_log_reset();
	CHECK_EQ(xw_sad_feed(&f, buf, n), -EBADMSG);
	CHECK(t_logged("xfrm SAD: a message of"));
	CHECK(!has_run(buf, n, 0xc1));
	/* an SA message too short for xfrm_usersa_info before the dump: skipped, the rest read */
	h = (struct nlmsghdr *)buf;
	memset(h, 0, NLMSG_HDRLEN + 8);
	h->nlmsg_len = NLMSG_HDRLEN + 8;
	h->nlmsg_type = XFRM_MSG_NEWSA;
	n = NLMSG_HDRLEN + 8 + t_unhex(fx_sa_dump, buf + NLMSG_HDRLEN + 8, sizeof(buf) - 32);
	peer4(&f, "192.0.2.4");
	t_log_reset();
	CHECK_EQ(xw_sad_feed(&f, buf, n), 1);
	CHECK_EQ(f.bad, 1);
	CHECK(t_logged("malformed SA message"));
	CHECK(f.have_c2s && f.have_s2c);
	xw_sad_find_wipe(&f);
}
