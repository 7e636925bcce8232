// SPDX-License-Identifier: GPL-2.0-only
/*
 * control/xfrm_view.h on xfrm netlink messages recorded from a real kernel
 * (xfrm_fixtures.h, made by tests/vm/xfrm-record.py in Debian's 6.1 kernel:
 * see the scenario A..E, M there).  Every expected value below comes from
 * the `ip xfrm` commands of that script, not from the parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "log.h"
#include "t.h"
#include "xfrm_view.h"
#include "xfrm_fixtures.h"
#include "xwamp/proto.h"

#define BUF_MAX 16384

/* --- helpers ------------------------------------------------------------------- */

struct evlog {
	unsigned int n;
	enum xfrm_event_type type[64];
	uint32_t spi[64], old_spi[64];
	unsigned int count[64];
};

static void ev_cb(void *arg, const struct xfrm_event *ev)
{
	struct evlog *l = arg;

	if (l->n >= 64)
		return;
	l->type[l->n] = ev->type;
	l->spi[l->n] = ev->sa ? ev->sa->spi : 0;
	l->old_spi[l->n] = ev->old_spi;
	l->count[l->n] = ev->count;
	l->n++;
}

/* Counts warnings instead of printing them (the malformed-input tests make many). */
static unsigned int n_warn;

static void count_sink(enum xw_log_level level, const char *line, void *arg)
{
	if (level <= XW_LOG_WARN)
		n_warn++;
}

static size_t unhex(const char *hex, uint8_t *buf)
{
	return t_unhex(hex, buf, BUF_MAX);
}

/* Longest run of octet b in buf. */
static size_t run_of(const uint8_t *buf, size_t len, uint8_t b)
{
	size_t best = 0, cur = 0, i;

	for (i = 0; i < len; i++) {
		cur = buf[i] == b ? cur + 1 : 0;
		if (cur > best)
			best = cur;
	}
	return best;
}

static int feed_hex(struct xfrm_view *v, const char *hex)
{
	static uint8_t buf[BUF_MAX];
	size_t n = unhex(hex, buf);

	return xfrm_view_feed(v, buf, n);
}

/* A view loaded with both dumps. */
static int load_dumps(struct xfrm_view *v, struct evlog *log)
{
	int rc;

	xfrm_view_init(v, log ? ev_cb : NULL, log);
	rc = feed_hex(v, fx_sa_dump);
	if (rc)
		return rc;
	return feed_hex(v, fx_pol_dump);
}

static struct xfrm_view_addr v4(const char *s)
{
	struct xfrm_view_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	inet_pton(AF_INET, s, a.a);
	return a;
}

static struct xfrm_view_addr v6(const char *s)
{
	struct xfrm_view_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	inet_pton(AF_INET6, s, a.a);
	return a;
}

static struct xfrm_flow flow(const char *local, uint16_t lport, const char *peer, uint16_t pport)
{
	struct xfrm_flow f;
	int fam = strchr(local, ':') ? AF_INET6 : AF_INET;

	memset(&f, 0, sizeof(f));
	f.family = (uint8_t)fam;
	inet_pton(fam, local, f.local);
	inet_pton(fam, peer, f.peer);
	f.local_port = lport;
	f.peer_port = pport;
	f.proto = IPPROTO_UDP;
	return f;
}

/* Offsets of the messages in a buffer (walks nlmsghdr, trusting recorded data). */
static unsigned int split(const uint8_t *buf, size_t len, size_t *off, unsigned int max)
{
	unsigned int n = 0;
	size_t o = 0;

	while (o + NLMSG_HDRLEN <= len && n < max) {
		struct nlmsghdr h;

		memcpy(&h, buf + o, sizeof(h));
		off[n++] = o;
		o += NLMSG_ALIGN(h.nlmsg_len);
	}
	return n;
}

/* --- the dumps ------------------------------------------------------------------ */

TEST(sa_dump_fields)
{
	struct xfrm_view v;
	struct evlog log = {0};
	const struct xfrm_view_sa *sa;
	struct xfrm_view_addr d;

	CHECK_EQ(load_dumps(&v, &log), 0);
	CHECK_EQ(v.nsa, 10); /* A..E, two each */
	CHECK_EQ(v.n_rejected, 0);

	/* A: ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 reqid 1
	 *    mode tunnel aead rfc4106(gcm(aes)) <20 octets> 128 if_id 42 */
	d = v4("192.0.2.2");
	sa = xfrm_view_find_sa(&v, &d, 0x1001, IPPROTO_ESP);
	CHECK(sa);
	CHECK(!memcmp(sa->saddr.a, v4("192.0.2.1").a, 4));
	CHECK_EQ(sa->mode, XFRM_MODE_TUNNEL);
	CHECK_EQ(sa->reqid, 1);
	CHECK(!strcmp(sa->aead.name, "rfc4106(gcm(aes))"));
	CHECK_EQ(sa->aead.key_bits, 160);
	CHECK_EQ(sa->aead.icv_bits, 128);
	CHECK(!sa->crypt.name[0] && !sa->auth.name[0]);
	CHECK(sa->flags & XFRM_SA_HAS_IF_ID);
	CHECK_EQ(sa->if_id, 42);
	/* the SPI is looked up by destination: the same SPI elsewhere is another SA */
	d = v4("192.0.2.3");
	CHECK(!xfrm_view_find_sa(&v, &d, 0x1001, IPPROTO_ESP));
	d = v4("192.0.2.2");
	CHECK(!xfrm_view_find_sa(&v, &d, 0x1001, IPPROTO_AH));

	/* B: transport, enc cbc(aes) 16 octets, nothing else */
	d = v4("192.0.2.3");
	sa = xfrm_view_find_sa(&v, &d, 0x2001, IPPROTO_ESP);
	CHECK(sa);
	CHECK_EQ(sa->mode, XFRM_MODE_TRANSPORT);
	CHECK(!strcmp(sa->crypt.name, "cbc(aes)"));
	CHECK_EQ(sa->crypt.key_bits, 128);
	CHECK(!sa->auth.name[0] && !sa->aead.name[0]);
	CHECK(!(sa->flags & XFRM_SA_HAS_IF_ID));

	/* C: cbc(aes) 32 octets + auth-trunc hmac(sha256) 32 octets 128, espinudp 4500 4501 */
	d = v4("192.0.2.4");
	sa = xfrm_view_find_sa(&v, &d, 0x3001, IPPROTO_ESP);
	CHECK(sa);
	CHECK_EQ(sa->crypt.key_bits, 256);
	CHECK(!strcmp(sa->auth.name, "hmac(sha256)"));
	CHECK_EQ(sa->auth.key_bits, 256);
	CHECK_EQ(sa->auth.icv_bits, 128);
	CHECK(sa->flags & XFRM_SA_HAS_ENCAP);
	CHECK_EQ(sa->encap_type, 2); /* UDP_ENCAP_ESPINUDP */
	CHECK_EQ(sa->encap_sport, 4500);
	CHECK_EQ(sa->encap_dport, 4501);

	/* D: AH hmac(sha1) 20 octets, 96 */
	d = v4("192.0.2.1");
	sa = xfrm_view_find_sa(&v, &d, 0x4002, IPPROTO_AH);
	CHECK(sa);
	CHECK(!strcmp(sa->auth.name, "hmac(sha1)"));
	CHECK_EQ(sa->auth.key_bits, 160);
	CHECK_EQ(sa->auth.icv_bits, 96);

	/* E: IPv6, 36-octet GCM key (32 + 4 salt) */
	d = v6("2001:db8::2");
	sa = xfrm_view_find_sa(&v, &d, 0x5001, IPPROTO_ESP);
	CHECK(sa);
	CHECK_EQ(sa->daddr.family, AF_INET6);
	CHECK_EQ(sa->aead.key_bits, 288);
	CHECK_EQ(sa->reqid, 5);

	/* the dump ends with NLMSG_DONE */
	CHECK(log.n >= 11);
	CHECK_EQ(log.type[10], XFRM_EV_DUMP_DONE);
	xfrm_view_fini(&v);
}

TEST(keys_wiped_in_buffer)
{
	static uint8_t buf[BUF_MAX];
	static const uint8_t pat[] = {0xa1, 0xa2, 0xb1, 0xb2, 0xc1, 0xc9, 0xd1, 0xe1, 0xe2};
	struct xfrm_view v;
	size_t n = unhex(fx_sa_dump, buf), i;

	/* the recording does hold the keys (else this test proves nothing) */
	for (i = 0; i < sizeof(pat); i++)
		CHECK(run_of(buf, n, pat[i]) >= 16);
	xfrm_view_init(&v, NULL, NULL);
	CHECK_EQ(xfrm_view_feed(&v, buf, n), 0);
	for (i = 0; i < sizeof(pat); i++)
		CHECK(run_of(buf, n, pat[i]) < 4);
	/* and the view holds none: no key byte run anywhere in its memory */
	for (i = 0; i < sizeof(pat); i++)
		CHECK(run_of((const uint8_t *)v.sa, v.nsa * sizeof(*v.sa), pat[i]) < 4);
	/* the SA information next to them survived */
	CHECK_EQ(v.nsa, 10);
	xfrm_view_fini(&v);
}

TEST(policy_dump_fields)
{
	struct xfrm_view v;
	const struct xfrm_view_pol *a_out = NULL, *c_in = NULL, *m = NULL;
	unsigned int i;

	CHECK_EQ(load_dumps(&v, NULL), 0);
	CHECK_EQ(v.npol, 11);
	for (i = 0; i < v.npol; i++) {
		const struct xfrm_view_pol *p = &v.pol[i];

		if (p->dir == XFRM_POLICY_OUT && p->mark_m)
			m = p;
		else if (p->dir == XFRM_POLICY_OUT && p->has_if_id)
			a_out = p;
		else if (p->dir == XFRM_POLICY_IN && p->sel.sport_mask)
			c_in = p;
	}
	CHECK(a_out && c_in && m);
	CHECK_EQ(a_out->if_id, 42);
	CHECK_EQ(a_out->sel.prefixlen_s, 32);
	CHECK(!memcmp(a_out->sel.saddr, v4("198.51.100.1").a, 4));
	CHECK_EQ(a_out->ntmpl, 1);
	CHECK_EQ(a_out->tmpl[0].proto, IPPROTO_ESP);
	CHECK_EQ(a_out->tmpl[0].mode, XFRM_MODE_TUNNEL);
	CHECK_EQ(a_out->tmpl[0].reqid, 1);
	CHECK(!memcmp(a_out->tmpl[0].daddr.a, v4("192.0.2.2").a, 4));
	CHECK_EQ(c_in->sel.sport, 8620);
	CHECK_EQ(c_in->sel.sport_mask, 0xffff);
	CHECK_EQ(c_in->sel.proto, IPPROTO_UDP);
	CHECK_EQ(c_in->sel.prefixlen_d, 24);
	CHECK_EQ(c_in->priority, 100);
	CHECK_EQ(m->mark_v, 7);
	CHECK_EQ(m->mark_m, 0xff);
	CHECK_EQ(m->action, XFRM_POLICY_BLOCK);
	CHECK_EQ(m->priority, 1);
	xfrm_view_fini(&v);
}

/* --- verdicts ------------------------------------------------------------------- */

TEST(verdict_tunnel_aead_if_id)
{
	struct xfrm_view v;
	struct xfrm_verdict vd;
	struct xfrm_flow f = flow("198.51.100.1", 862, "198.51.100.2", 40000);
	uint32_t if_id = 0;
	char line[512];

	CHECK_EQ(load_dumps(&v, NULL), 0);
	/* the marked BLOCK policy (priority 1) does not apply to unmarked packets */
	CHECK(xfrm_view_check(&v, &f, &vd));
	CHECK(vd.out.sa && vd.in.sa);
	CHECK_EQ(vd.out.sa->spi, 0x1001);
	CHECK_EQ(vd.in.sa->spi, 0x1002);
	CHECK_EQ(vd.out.sa->proto, IPPROTO_ESP);
	CHECK_EQ(vd.out.sa->mode, XFRM_MODE_TUNNEL);
	CHECK(!strcmp(vd.in.sa->aead.name, "rfc4106(gcm(aes))"));
	CHECK_EQ(xfrm_view_flow_if_id(&v, &f, &if_id), 0);
	CHECK_EQ(if_id, 42);
	CHECK_EQ(xfrm_verdict_accept(&vd), XW_ACCEPT_OK);
	CHECK(xfrm_verdict_ipsec_applies(&vd));
	xfrm_verdict_fmt(&vd, line, sizeof(line));
	CHECK(!strncmp(line, "protected: out ESP tunnel spi 0x00001001", 40));
	CHECK(strstr(line, "in ESP tunnel spi 0x00001002"));
	/* a /32 selector: the neighbour address is not covered */
	f = flow("198.51.100.1", 862, "198.51.100.3", 40000);
	CHECK(!xfrm_view_check(&v, &f, &vd));
	CHECK(!vd.out.covered && !vd.in.covered);
	CHECK(!strcmp(vd.out.why, "no policy"));
	CHECK_EQ(xfrm_verdict_accept(&vd), XW_ACCEPT_NOT_SUPPORTED);
	CHECK(!xfrm_verdict_ipsec_applies(&vd)); /* XDP may answer it anywhere */
	CHECK_EQ(xfrm_view_flow_if_id(&v, &f, &if_id), -ENOENT);
	/* directions matter: swapping the ends finds no policy */
	f = flow("198.51.100.2", 862, "198.51.100.1", 40000);
	CHECK(!xfrm_view_check(&v, &f, &vd));
	xfrm_view_fini(&v);
}

TEST(verdict_encryption_only_not_counted)
{
	struct xfrm_view v;
	struct xfrm_verdict vd;
	struct xfrm_flow f = flow("192.0.2.1", 862, "192.0.2.3", 40000);

	CHECK_EQ(load_dumps(&v, NULL), 0);
	CHECK(!xfrm_view_check(&v, &f, &vd));
	/* covered by policy and SA, but ESP without integrity (RFC 4303 3.2) */
	CHECK(vd.out.covered && vd.out.installed && !vd.out.integrity);
	CHECK(vd.in.covered && vd.in.installed && !vd.in.integrity);
	CHECK_EQ(vd.out.sa->spi, 0x2001);
	CHECK_EQ(vd.in.sa->spi, 0x2002);
	CHECK(strstr(vd.out.why, "integrity"));
	/* --require-ipsec refuses it for good: Accept 3, not 5 */
	CHECK_EQ(xfrm_verdict_accept(&vd), XW_ACCEPT_NOT_SUPPORTED);
	/* not protected, yet IPsec applies: no cleartext fast path around it */
	CHECK(xfrm_verdict_ipsec_applies(&vd));
	/* B's policies are for UDP only: a TCP flow is not covered at all */
	f.proto = IPPROTO_TCP;
	CHECK(!xfrm_view_check(&v, &f, &vd));
	CHECK(!vd.out.covered);
	xfrm_view_fini(&v);
}

/* A BLOCK policy keeps IPsec in charge of the flow; a bypass policy does not. */
TEST(verdict_ipsec_applies_block_and_bypass)
{
	struct xfrm_view_pol block = {.action = XFRM_POLICY_BLOCK};
	struct xfrm_view_pol bypass = {.action = XFRM_POLICY_ALLOW, .ntmpl = 0};
	struct xfrm_verdict vd;

	memset(&vd, 0, sizeof(vd));
	CHECK(!xfrm_verdict_ipsec_applies(&vd)); /* no policy either way */
	vd.in.pol = &bypass;
	CHECK(!xfrm_verdict_ipsec_applies(&vd));
	vd.in.pol = &block;
	CHECK(xfrm_verdict_ipsec_applies(&vd)); /* XDP must not answer what the kernel blocks */
	vd.in.pol = NULL;
	vd.out.pol = &block;
	CHECK(xfrm_verdict_ipsec_applies(&vd));
}

/*
 * Where an unauthenticated flow may be answered, for each kind of verdict:
 * never by XDP on every device once IPsec applies to it.
 */
TEST(flow_path_no_fast_path_around_ipsec)
{
	struct xfrm_view v;
	struct xfrm_verdict vd;
	struct xfrm_flow f = flow("198.51.100.1", 862, "198.51.100.2", 40000);

	CHECK_EQ(load_dumps(&v, NULL), 0);
	CHECK(xfrm_view_check(&v, &f, &vd)); /* protected, if_id 42 */
	CHECK_EQ(xfrm_flow_path(&vd, true, false), XFRM_PATH_TUNNEL);
	CHECK_EQ(xfrm_flow_path(&vd, true, true), XFRM_PATH_TUNNEL);
	CHECK_EQ(xfrm_flow_path(&vd, false, false), XFRM_PATH_SOCKET); /* policy-based */
	CHECK_EQ(xfrm_flow_path(&vd, false, true), XFRM_PATH_SOCKET);
	/* only an SA missing (as after `ip xfrm state delete`): the socket, even required */
	vd.in.installed = vd.in.integrity = false;
	vd.protected_ = false;
	CHECK_EQ(xfrm_flow_path(&vd, true, false), XFRM_PATH_SOCKET);
	CHECK_EQ(xfrm_flow_path(&vd, true, true), XFRM_PATH_SOCKET);
	/* ESP without integrity: IPsec applies, not protected; required: not answered */
	f = flow("192.0.2.1", 862, "192.0.2.3", 40000);
	CHECK(!xfrm_view_check(&v, &f, &vd));
	CHECK_EQ(xfrm_flow_path(&vd, false, false), XFRM_PATH_SOCKET);
	CHECK_EQ(xfrm_flow_path(&vd, true, true), XFRM_PATH_NONE);
	/* no policy: XDP anywhere, unless IPsec is required */
	f = flow("198.51.100.1", 862, "198.51.100.3", 40000);
	CHECK(!xfrm_view_check(&v, &f, &vd));
	CHECK_EQ(xfrm_flow_path(&vd, false, false), XFRM_PATH_ANY);
	CHECK_EQ(xfrm_flow_path(&vd, false, true), XFRM_PATH_NONE);
	xfrm_view_fini(&v);
}

TEST(verdict_ports_and_prefixes)
{
	struct xfrm_view v;
	struct xfrm_verdict vd;
	struct xfrm_flow f = flow("198.51.100.77", 40000, "203.0.113.9", 8620);

	CHECK_EQ(load_dumps(&v, NULL), 0);
	/* C: 198.51.100.0/24 <-> 203.0.113.0/24, UDP to/from port 8620 */
	CHECK(xfrm_view_check(&v, &f, &vd));
	CHECK_EQ(vd.out.sa->spi, 0x3001);
	CHECK_EQ(vd.in.sa->spi, 0x3002);
	CHECK(!strcmp(vd.out.sa->auth.name, "hmac(sha256)"));
	f.peer_port = 8621;
	CHECK(!xfrm_view_check(&v, &f, &vd));
	CHECK(!vd.out.covered && !vd.in.covered);
	f = flow("198.51.101.1", 40000, "203.0.113.9", 8620); /* just outside the /24 */
	CHECK(!xfrm_view_check(&v, &f, &vd));
	f = flow("198.51.100.255", 40000, "203.0.113.0", 8620); /* both ends of the /24s */
	CHECK(xfrm_view_check(&v, &f, &vd));
	xfrm_view_fini(&v);
}

TEST(verdict_ah_and_ipv6)
{
	struct xfrm_view v;
	struct xfrm_verdict vd;
	struct xfrm_flow f = flow("192.0.2.1", 862, "192.0.2.5", 40000);
	uint32_t if_id;

	CHECK_EQ(load_dumps(&v, NULL), 0);
	/* AH: integrity without confidentiality counts (any protocol selector) */
	CHECK(xfrm_view_check(&v, &f, &vd));
	CHECK_EQ(vd.out.sa->proto, IPPROTO_AH);
	CHECK_EQ(vd.out.sa->spi, 0x4001);
	CHECK_EQ(vd.in.sa->spi, 0x4002);
	f.proto = IPPROTO_TCP;
	CHECK(xfrm_view_check(&v, &f, &vd));

	f = flow("2001:db8:1::5", 862, "2001:db8:2::9", 40000);
	CHECK(xfrm_view_check(&v, &f, &vd));
	CHECK_EQ(vd.out.sa->spi, 0x5001);
	CHECK_EQ(vd.in.sa->spi, 0x5002);
	/* policy-based: no xfrm interface to attach to */
	CHECK_EQ(xfrm_view_flow_if_id(&v, &f, &if_id), -ENOENT);
	f = flow("2001:db8:1::5", 862, "2001:db8:3::9", 40000);
	CHECK(!xfrm_view_check(&v, &f, &vd));
	xfrm_view_fini(&v);
}

/* --- events --------------------------------------------------------------------- */

static const char *event_hex(const char *step, unsigned int nth)
{
	unsigned int i;

	for (i = 0; i < sizeof(fx_events) / sizeof(fx_events[0]); i++)
		if (!strcmp(fx_events[i].step, step) && !nth--)
			return fx_events[i].hex;
	return NULL;
}

TEST(events_rekey_update_expire_delete_flush)
{
	static uint8_t buf[BUF_MAX];
	struct xfrm_view v;
	struct evlog log = {0};
	struct xfrm_verdict vd;
	struct xfrm_flow fa = flow("198.51.100.1", 862, "198.51.100.2", 40000);
	struct xfrm_flow fd = flow("192.0.2.1", 862, "192.0.2.5", 40000);
	struct xfrm_view_addr d;
	const struct xfrm_view_sa *sa;
	size_t n;
	unsigned int base;

	CHECK_EQ(load_dumps(&v, &log), 0);
	base = log.n;

	/* new SA, same ends/reqid/selector, SPI 0x1011: a rekey of 0x1001 */
	n = unhex(event_hex("rekey_add", 0), buf);
	CHECK(run_of(buf, n, 0xa3) >= 16);
	CHECK_EQ(xfrm_view_feed(&v, buf, n), 0);
	CHECK(run_of(buf, n, 0xa3) < 4);
	CHECK_EQ(log.n, base + 1);
	CHECK_EQ(log.type[base], XFRM_EV_SA_REKEY);
	CHECK_EQ(log.spi[base], 0x1011);
	CHECK_EQ(log.old_spi[base], 0x1001);
	CHECK_EQ(v.nsa, 11);

	/* the old one deleted (the DELSA notification carries its keys too) */
	n = unhex(event_hex("rekey_del", 0), buf);
	CHECK(run_of(buf, n, 0xa1) >= 16);
	CHECK_EQ(xfrm_view_feed(&v, buf, n), 0);
	CHECK(run_of(buf, n, 0xa1) < 4);
	CHECK_EQ(log.type[base + 1], XFRM_EV_SA_DELETED);
	CHECK_EQ(log.spi[base + 1], 0x1001);
	CHECK_EQ(v.nsa, 10);
	CHECK(xfrm_view_check(&v, &fa, &vd));
	CHECK_EQ(vd.out.sa->spi, 0x1011);

	/* ip xfrm state update: same SPI, new key */
	CHECK_EQ(feed_hex(&v, event_hex("update", 0)), 0);
	CHECK_EQ(log.type[base + 2], XFRM_EV_SA_REPLACED);
	CHECK_EQ(log.spi[base + 2], 0x1002);
	CHECK_EQ(v.nsa, 10);

	/* an SA with time-soft 1 time-hard 2: new, soft expire, hard expire (gone) */
	CHECK_EQ(feed_hex(&v, event_hex("expiring_add", 0)), 0);
	CHECK_EQ(log.type[base + 3], XFRM_EV_SA_NEW);
	CHECK_EQ(log.spi[base + 3], 0x6001);
	d = v4("192.0.2.6");
	sa = xfrm_view_find_sa(&v, &d, 0x6001, IPPROTO_ESP);
	CHECK(sa);
	CHECK_EQ(sa->soft_add_expires_s, 1);
	CHECK_EQ(sa->hard_add_expires_s, 2);
	CHECK_EQ(feed_hex(&v, event_hex("expire", 0)), 0);
	CHECK_EQ(log.type[base + 4], XFRM_EV_SA_EXPIRE_SOFT);
	CHECK_EQ(log.spi[base + 4], 0x6001);
	sa = xfrm_view_find_sa(&v, &d, 0x6001, IPPROTO_ESP);
	CHECK(sa && (sa->flags & XFRM_SA_SOFT_EXPIRED));
	CHECK_EQ(feed_hex(&v, event_hex("expire", 1)), 0);
	CHECK_EQ(log.type[base + 5], XFRM_EV_SA_EXPIRE_HARD);
	CHECK(!xfrm_view_find_sa(&v, &d, 0x6001, IPPROTO_ESP));
	CHECK_EQ(v.nsa, 10);

	/* D's inbound policy deleted: D no longer protected (in: no policy) */
	CHECK(xfrm_view_check(&v, &fd, &vd));
	CHECK_EQ(feed_hex(&v, event_hex("pol_del", 0)), 0);
	CHECK_EQ(log.type[base + 6], XFRM_EV_POL_DELETED);
	CHECK_EQ(v.npol, 10);
	CHECK(!xfrm_view_check(&v, &fd, &vd));
	CHECK(vd.out.integrity && !vd.in.covered);
	CHECK(xfrm_verdict_ipsec_applies(&vd)); /* the outbound policy still applies */

	/* ip xfrm state flush: every SA gone, policies stay, nothing protected */
	CHECK_EQ(feed_hex(&v, event_hex("flush_sa", 0)), 0);
	CHECK_EQ(log.type[base + 7], XFRM_EV_SA_FLUSH);
	CHECK_EQ(log.count[base + 7], 10);
	CHECK_EQ(v.nsa, 0);
	CHECK(!xfrm_view_check(&v, &fa, &vd));
	CHECK(vd.out.covered && !vd.out.installed);
	/* policies without SAs: IKE may still install them, so "try later" */
	CHECK_EQ(xfrm_verdict_accept(&vd), XW_ACCEPT_TEMP_LIMIT);
	CHECK(xfrm_verdict_ipsec_applies(&vd)); /* SAs gone, policies not: still IPsec's */
	CHECK_EQ(log.n, base + 8);
	xfrm_view_fini(&v);
}

TEST(resync_sweeps_what_the_dump_no_longer_has)
{
	static uint8_t buf[BUF_MAX];
	struct xfrm_view v;
	struct evlog log = {0};
	size_t off[32], n;
	unsigned int k;
	uint32_t gen;

	CHECK_EQ(load_dumps(&v, &log), 0);
	n = unhex(fx_sa_dump, buf);
	k = split(buf, n, off, 32);
	CHECK_EQ(k, 11); /* 10 SAs + NLMSG_DONE */
	/* a new dump that only has the first 3 SAs */
	gen = xfrm_view_new_gen(&v);
	log.n = 0;
	CHECK_EQ(xfrm_view_feed(&v, buf, off[3]), 0);
	CHECK_EQ(log.type[0], XFRM_EV_SA_REPLACED);
	CHECK_EQ(xfrm_view_sweep_sa(&v, gen), 7);
	CHECK_EQ(v.nsa, 3);
	CHECK_EQ(log.n, 3 + 7);
	CHECK_EQ(log.type[3], XFRM_EV_SA_DELETED);
	CHECK_EQ(xfrm_view_sweep_pol(&v, gen), 11);
	xfrm_view_fini(&v);
}

/* --- malformed input ------------------------------------------------------------ */

/* The first SA message of the dump, alone, in buf; returns its length. */
static size_t first_sa(uint8_t *buf)
{
	size_t off[32], n = unhex(fx_sa_dump, buf);

	split(buf, n, off, 32);
	return off[1];
}

static void put32(uint8_t *p, uint32_t x)
{
	memcpy(p, &x, 4);
}

/* Offset of attribute type in the SA message (after nlmsghdr + usersa_info). */
static size_t find_attr(const uint8_t *m, size_t len, uint16_t type)
{
	size_t o = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_usersa_info));

	while (o + NLA_HDRLEN <= len) {
		struct nlattr a;

		memcpy(&a, m + o, sizeof(a));
		if (a.nla_type == type)
			return o;
		o += NLA_ALIGN(a.nla_len);
	}
	return 0;
}

TEST(malformed_rejected_view_unchanged_buffer_wiped)
{
	static uint8_t m[BUF_MAX], work[BUF_MAX];
	struct xfrm_view v;
	size_t len = first_sa(m), a;
	uint32_t aead_key_bits;

	xw_log_set_sink(count_sink, NULL);
	n_warn = 0;
	xfrm_view_init(&v, NULL, NULL);
	/* sanity: the message alone is good and has an AEAD attribute with a key */
	memcpy(work, m, len);
	CHECK_EQ(xfrm_view_feed(&v, work, len), 0);
	CHECK_EQ(v.nsa, 1);
	xfrm_view_fini(&v);
	a = find_attr(m, len, XFRMA_ALG_AEAD);
	CHECK(a);
	memcpy(&aead_key_bits, m + a + NLA_HDRLEN + 64, 4);
	CHECK(aead_key_bits == 160 || aead_key_bits == 288);

	/* 1. nlmsg_len beyond the buffer */
	xfrm_view_init(&v, NULL, NULL);
	memcpy(work, m, len);
	put32(work, (uint32_t)len + 4);
	CHECK_EQ(xfrm_view_feed(&v, work, len), 1);
	CHECK_EQ(v.nsa, 0);
	CHECK(run_of(work, len, 0) == len); /* all of it wiped */

	/* 2. body shorter than xfrm_usersa_info */
	memcpy(work, m, len);
	put32(work, NLMSG_HDRLEN + 100);
	CHECK_EQ(xfrm_view_feed(&v, work, NLMSG_HDRLEN + 100), 1);
	CHECK_EQ(v.nsa, 0);

	/* 3. an attribute claiming more than the message has: key bytes still wiped */
	memcpy(work, m, len);
	{
		uint16_t big = 0x7ff0;

		memcpy(work + a, &big, 2);
	}
	CHECK(run_of(work, len, work[a + NLA_HDRLEN + 72]) >= 16);
	CHECK_EQ(xfrm_view_feed(&v, work, len), 1);
	CHECK_EQ(v.nsa, 0);
	CHECK(run_of(work + NLMSG_HDRLEN, len - NLMSG_HDRLEN, 0) == len - NLMSG_HDRLEN);

	/* 4. a key length larger than the attribute */
	memcpy(work, m, len);
	put32(work + a + NLA_HDRLEN + 64, 4096);
	CHECK_EQ(xfrm_view_feed(&v, work, len), 1);
	CHECK_EQ(v.nsa, 0);

	/* 5. an attribute length below its header */
	memcpy(work, m, len);
	{
		uint16_t tiny = 2;

		memcpy(work + a, &tiny, 2);
	}
	CHECK_EQ(xfrm_view_feed(&v, work, len), 1);
	CHECK_EQ(v.nsa, 0);

	/* 6. an unterminated algorithm name */
	memcpy(work, m, len);
	memset(work + a + NLA_HDRLEN, 'x', 64);
	CHECK_EQ(xfrm_view_feed(&v, work, len), 1);
	CHECK_EQ(v.nsa, 0);

	/* 7. a bad family */
	memcpy(work, m, len);
	work[NLMSG_HDRLEN + offsetof(struct xfrm_usersa_info, family)] = 99;
	work[NLMSG_HDRLEN + offsetof(struct xfrm_usersa_info, family) + 1] = 0;
	CHECK_EQ(xfrm_view_feed(&v, work, len), 1);
	CHECK_EQ(v.nsa, 0);

	/* 8. a bad message, then a good one in the same buffer: the good one counts */
	memcpy(work, m, len);
	put32(work + a + NLA_HDRLEN + 64, 4096);
	memcpy(work + len, m, len);
	CHECK_EQ(xfrm_view_feed(&v, work, 2 * len), 1);
	CHECK_EQ(v.nsa, 1);

	/* 9. 8 stray octets after a good message */
	xfrm_view_fini(&v);
	xfrm_view_init(&v, NULL, NULL);
	memcpy(work, m, len);
	memset(work + len, 0x55, 8);
	CHECK_EQ(xfrm_view_feed(&v, work, len + 8), 1);
	CHECK_EQ(v.nsa, 1);
	CHECK_EQ(v.n_rejected, 1);
	xfrm_view_fini(&v);
	/* each of the 9 rejections said so in the log */
	CHECK_EQ(n_warn, 9);
	xw_log_set_sink(NULL, NULL);
}

TEST(malformed_policy_templates)
{
	static uint8_t buf[BUF_MAX], work[BUF_MAX];
	struct xfrm_view v;
	size_t off[32], n = unhex(fx_pol_dump, buf), len, o;
	unsigned int k = split(buf, n, off, 32), i;

	CHECK(k >= 2);
	/* find a policy with one template and shorten XFRMA_TMPL by 4 octets */
	for (i = 0; i + 1 < k; i++) {
		len = off[i + 1] - off[i];
		o = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct xfrm_userpolicy_info));
		while (o + NLA_HDRLEN <= len) {
			struct nlattr at;

			memcpy(&at, buf + off[i] + o, sizeof(at));
			if (at.nla_type == XFRMA_TMPL)
				break;
			o += NLA_ALIGN(at.nla_len);
		}
		if (o + NLA_HDRLEN <= len)
			break;
	}
	CHECK(i + 1 < k);
	memcpy(work, buf + off[i], len);
	{
		struct nlattr at;

		memcpy(&at, work + o, sizeof(at));
		CHECK_EQ(at.nla_len, NLA_HDRLEN + sizeof(struct xfrm_user_tmpl));
		at.nla_len -= 4;
		memcpy(work + o, &at, sizeof(at));
	}
	xfrm_view_init(&v, NULL, NULL);
	xw_log_set_sink(count_sink, NULL);
	n_warn = 0;
	CHECK_EQ(xfrm_view_feed(&v, work, len), 1);
	xw_log_set_sink(NULL, NULL);
	CHECK_EQ(n_warn, 1);
	CHECK_EQ(v.npol, 0);
	memcpy(work, buf + off[i], len);
	CHECK_EQ(xfrm_view_feed(&v, work, len), 0);
	CHECK_EQ(v.npol, 1);
	xfrm_view_fini(&v);
}

/* Every truncation and random corruption: never a crash, never more than the dump has. */
TEST(truncations_and_corruptions_are_safe)
{
	static uint8_t buf[BUF_MAX], work[BUF_MAX];
	struct xfrm_view v;
	size_t n = unhex(fx_sa_dump, buf), cut, i;
	unsigned int seed = 12345, round;
	int rc;

	xw_log_set_sink(count_sink, NULL);

	for (cut = 0; cut <= n; cut++) {
		xfrm_view_init(&v, NULL, NULL);
		memcpy(work, buf, cut);
		rc = xfrm_view_feed(&v, work, cut);
		CHECK(rc >= 0);
		CHECK(v.nsa <= 10);
		/* no key survives, whatever the cut */
		CHECK(run_of(work, cut, 0xa1) < 4 && run_of(work, cut, 0xe2) < 4);
		xfrm_view_fini(&v);
	}
	for (round = 0; round < 4000; round++) {
		/* the SA dump, then the policy dump, then the events */
		if (round == 2000 || round == 3000) {
			n = unhex(round == 2000 ? fx_pol_dump : fx_events[0].hex, buf);
		}
		memcpy(work, buf, n);
		for (i = 0; i < 4; i++) {
			seed = seed * 1103515245u + 12345u;
			work[(seed >> 8) % n] = (uint8_t)(seed >> 24);
		}
		xfrm_view_init(&v, NULL, NULL);
		rc = xfrm_view_feed(&v, work, n);
		CHECK(rc >= 0);
		CHECK(v.nsa <= 10 && v.npol <= 11);
		xfrm_view_fini(&v);
	}
	xw_log_set_sink(NULL, NULL);
}
