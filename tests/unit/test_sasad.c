// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPsec SA profile's kernel SAD parser (control/sasad.h) on a real
 * XFRM_MSG_GETSA dump recorded by tests/vm/xfrm-record.py (fake keys, one
 * octet repeated: tests/unit/xfrm_fixtures.h): the keys of each SA, the
 * pair a client finds by connection (through the recorded SPD: tunnel and
 * transport mode) and a server by SPIs, KEYMAT of a recorded
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

/*
 * f by connection local:lport -> peer:pport (proto) through the recorded
 * policy and SA dumps; sa_edit, when set, may change the SA dump first.
 */
static int by_flow_edit(struct xw_sad_find *f, const char *local, uint16_t lport, const char *peer,
			uint16_t pport, uint8_t proto, void (*sa_edit)(uint8_t *b, size_t n))
{
	static uint8_t b[BUF_MAX];
	struct xfrm_flow fl = {.local_port = lport, .peer_port = pport, .proto = proto};
	struct xfrm_view v;
	size_t n;
	int rc;

	fl.family = strchr(local, ':') ? AF_INET6 : AF_INET;
	inet_pton(fl.family, local, fl.local);
	inet_pton(fl.family, peer, fl.peer);
	xfrm_view_init(&v, NULL, NULL);
	n = t_unhex(fx_pol_dump, b, sizeof(b));
	rc = xfrm_view_feed(&v, b, n) ? -EBADMSG : 0; /* no rejection: a test failure */
	n = t_unhex(fx_sa_dump, b, sizeof(b));
	if (sa_edit)
		sa_edit(b, n);
	if (!rc && xfrm_view_feed(&v, b, n))
		rc = -EBADMSG;
	if (!rc)
		rc = xw_sad_find_flow(f, &v, &fl);
	xfrm_view_fini(&v);
	return rc;
}

static int by_flow(struct xw_sad_find *f, const char *local, uint16_t lport, const char *peer,
		   uint16_t pport, uint8_t proto)
{
	return by_flow_edit(f, local, lport, peer, pport, proto, NULL);
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
	/*
	 * C: tunnel 192.0.2.1 <-> 192.0.2.4, cbc(aes) 256 + hmac(sha256), policies
	 * 198.51.100.0/24 <-> 203.0.113.0/24 UDP port 8620: the connection runs
	 * between inner addresses, the SAs between the gateways
	 */
	CHECK_EQ(by_flow(&f, "198.51.100.1", 40000, "203.0.113.4", 8620, IPPROTO_UDP), 0);
	CHECK_EQ(f.spi_i, 0x3001);
	CHECK_EQ(f.spi_r, 0x3002);
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
	struct xw_sad_find f = {.proto = IPPROTO_ESP, .spi_i = 0x3002, .spi_r = 0x3001};
	struct xw_sa_pair p;

	/* the server .1 with client .4: SPIi is the SA client -> server (.4 -> .1) */
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.c2s.spi, 0x3002);
	CHECK(rep(p.c2s.enc, 32, 0xc2));
	CHECK(rep(p.s2c.enc, 32, 0xc1));
	/* the same SPIs as AH: nothing */
	f = (struct xw_sad_find){.proto = IPPROTO_AH, .spi_i = 0x3002, .spi_r = 0x3001};
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), -ENOENT);
	/* SPIs of two different pairs do not face each other */
	f = (struct xw_sad_find){.proto = IPPROTO_ESP, .spi_i = 0x3001, .spi_r = 0x1002};
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), -ENOENT);
	xw_sad_find_wipe(&f);
}

TEST(aead_ah_encryption_only_ipv6)
{
	struct xw_sad_find f;
	struct xw_sa_pair p;
	const char *why;

	/* A: tunnel, rfc4106(gcm(aes)) 128 + salt: 20 octets, no integrity key */
	CHECK_EQ(by_flow(&f, "198.51.100.1", 40000, "198.51.100.2", 862, IPPROTO_TCP), 0);
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK(p.c2s.aead);
	CHECK_EQ(p.c2s.enc_len, 20);
	CHECK(rep(p.c2s.enc, 20, 0xa1));
	CHECK_EQ(p.c2s.integ_len, 0);
	CHECK_EQ(xw_sa_usable(XW_SA_ALT1, &p, &why), 0);
	CHECK_EQ(xw_sa_usable(XW_SA_ALT2, &p, &why), -EOPNOTSUPP);
	/* B: transport, encryption only (UDP policies): found, and refused by every variant */
	CHECK_EQ(by_flow(&f, "192.0.2.1", 40000, "192.0.2.3", 862, IPPROTO_UDP), 0);
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.c2s.spi, 0x2001);
	CHECK_EQ(xw_sa_usable(XW_SA_KEYMAT, &p, &why), -EOPNOTSUPP);
	CHECK(strstr(why, "encryption-only"));
	/* D: transport, AH hmac(sha1) */
	CHECK_EQ(by_flow(&f, "192.0.2.1", 40000, "192.0.2.5", 862, IPPROTO_TCP), 0);
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.c2s.proto, IPPROTO_AH);
	CHECK_EQ(p.c2s.integ_len, 20);
	CHECK(rep(p.c2s.integ, 20, 0xd1));
	CHECK(rep(p.s2c.integ, 20, 0xd2));
	/* E: IPv6 tunnel, gcm with a 256-bit key + salt (36 octets) */
	CHECK_EQ(by_flow(&f, "2001:db8:1::1", 40000, "2001:db8:2::9", 862, IPPROTO_TCP), 0);
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	CHECK_EQ(p.c2s.spi, 0x5001);
	CHECK_EQ(p.c2s.enc_len, 36);
	CHECK(rep(p.c2s.enc, 36, 0xe1));
	CHECK(rep(p.s2c.enc, 36, 0xe2));
	/* a peer no policy covers */
	CHECK_EQ(by_flow(&f, "192.0.2.1", 40000, "192.0.2.99", 862, IPPROTO_TCP), -ENOENT);
	xw_sad_find_wipe(&f);
	xw_sa_pair_wipe(&p);
}

TEST(malformed)
{
	struct xw_sad_find f;
	struct nlmsghdr *h;
	size_t n = dump();

	/* a length past the end: the rest is dropped (and wiped), logged */
	f = (struct xw_sad_find){.proto = IPPROTO_ESP, .spi_i = 0x3001, .spi_r = 0x3002};
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
	f = (struct xw_sad_find){.proto = IPPROTO_ESP, .spi_i = 0x3001, .spi_r = 0x3002};
	t_log_reset();
	CHECK_EQ(xw_sad_feed(&f, buf, n), 1);
	CHECK_EQ(f.bad, 1);
	CHECK(t_logged("malformed SA message"));
	CHECK(f.have_c2s && f.have_s2c);
	xw_sad_find_wipe(&f);
}

/* The recorded SA of SPI spi moved to another reqid: no longer its policy template's SA. */
static uint32_t edit_spi;
static void sa_other_reqid(uint8_t *b, size_t n)
{
	size_t off = 0;

	while (off + NLMSG_HDRLEN <= n) {
		struct nlmsghdr *h = (struct nlmsghdr *)(b + off);
		struct xfrm_usersa_info *info = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_HDRLEN)
			break;
		if (h->nlmsg_type == XFRM_MSG_NEWSA && ntohl(info->id.spi) == edit_spi)
			info->reqid = 77;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
}

TEST(by_connection_tunnel_transport_missing_sa_two_tunnels)
{
	struct xw_sad_find f;
	struct xw_sa_pair p;

	/*
	 * Two tunnels from the same gateway 192.0.2.1: A (to .2, reqid 1, if_id
	 * 42) for the inner 198.51.100.1 <-> .2 and C (to .4, reqid 3) for
	 * 198.51.100.0/24 <-> 203.0.113.0/24 UDP 8620.  The selector picks, not
	 * the addresses: the SAs of the matching policy's template, their keys.
	 */
	static const struct {
		const char *peer;
		uint16_t port;
		uint8_t proto;
		uint32_t spi_i, spi_r;
		size_t enc_len;
		uint8_t enc_i, enc_r;
	} tun[] = {
		{"198.51.100.2", 862, IPPROTO_TCP, 0x1001, 0x1002, 20, 0xa1, 0xa2},
		{"203.0.113.4", 8620, IPPROTO_UDP, 0x3001, 0x3002, 32, 0xc1, 0xc2},
	};
	for (size_t i = 0; i < sizeof(tun) / sizeof(tun[0]); i++) {
		CHECK_EQ(by_flow(&f, "198.51.100.1", 40000, tun[i].peer, tun[i].port, tun[i].proto),
			 0);
		CHECK_EQ(f.proto, IPPROTO_ESP);
		CHECK_EQ(f.spi_i, tun[i].spi_i);
		CHECK_EQ(f.spi_r, tun[i].spi_r);
		CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
		CHECK_EQ(xw_sad_pair(&f, &p), 0);
		CHECK(rep(p.c2s.enc, tun[i].enc_len, tun[i].enc_i));
		CHECK(rep(p.s2c.enc, tun[i].enc_len, tun[i].enc_r));
	}
	/* C's policies are for UDP 8620 only: TCP between the same inner ends is not covered */
	t_log_reset();
	CHECK_EQ(by_flow(&f, "198.51.100.1", 40000, "203.0.113.4", 862, IPPROTO_TCP), -ENOENT);
	CHECK(t_logged("no SA pair protects the control connection 198.51.100.1 port 40000 -> "
		       "203.0.113.4 port 862 (protocol 6)"));
	CHECK(t_logged("out: no policy"));
	/* the gateways' own addresses (the SAs' ends) are not what a tunnel protects */
	CHECK_EQ(by_flow(&f, "192.0.2.1", 40000, "192.0.2.4", 862, IPPROTO_TCP), -ENOENT);
	/* transport (D, AH, any protocol): the connection's addresses are the SAs' */
	CHECK_EQ(by_flow(&f, "192.0.2.1", 40000, "192.0.2.5", 862, IPPROTO_TCP), 0);
	CHECK_EQ(f.proto, IPPROTO_AH);
	CHECK_EQ(f.spi_i, 0x4001);
	CHECK_EQ(f.spi_r, 0x4002);
	/* the ends swapped: this host's policies are for its own outbound traffic */
	CHECK_EQ(by_flow(&f, "192.0.2.5", 862, "192.0.2.1", 40000, IPPROTO_TCP), -ENOENT);
	/* A's inbound SA under another reqid: the in policy's template has no SA */
	edit_spi = 0x1002;
	t_log_reset();
	CHECK_EQ(by_flow_edit(&f, "198.51.100.1", 40000, "198.51.100.2", 862, IPPROTO_TCP,
			      sa_other_reqid),
		 -ENOENT);
	CHECK(t_logged("in: no SA installed for the policy's template"));
	CHECK(t_logged("in policy without its SA"));
	CHECK(t_logged("reqid 1 mode tunnel"));
	CHECK_EQ(f.spi_i, 0);
	xw_sad_find_wipe(&f);
	xw_sa_pair_wipe(&p);
}

TEST(by_spi_destination)
{
	struct xw_sad_find f = {.proto = IPPROTO_ESP, .spi_i = 0x1001, .spi_r = 0x1002};
	struct xw_sa_pair p;

	/* an SPI names an SA together with its destination (RFC 4301 4.1) */
	inet_pton(AF_INET, "192.0.2.2", f.dst_i.a);
	f.dst_i.family = AF_INET;
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), 0);
	f = (struct xw_sad_find){.proto = IPPROTO_ESP, .spi_i = 0x1001, .spi_r = 0x1002};
	inet_pton(AF_INET, "192.0.2.9", f.dst_i.a);
	f.dst_i.family = AF_INET;
	CHECK_EQ(xw_sad_feed(&f, buf, dump()), 1);
	CHECK_EQ(xw_sad_pair(&f, &p), -ENOENT);
	CHECK(!f.have_c2s && f.have_s2c);
	xw_sad_find_wipe(&f);
	xw_sa_pair_wipe(&p);
}
