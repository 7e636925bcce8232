// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TWAMP Light reflector (lightd.h).  Per configured port: one UDP
 * socket per address family the session allows, and one XDP session table
 * entry.  The socket path mirrors refl.c's: kernel receive timestamps and
 * TTLs, recvmmsg/sendmmsg batches, T3 written right before sendmmsg.
 *
 * RFC 5357 Appendix I: the reflector "does not necessarily have knowledge
 * of the session state"; here it does (the configuration), so replies carry
 * the reflector's own Sequence Number per port (RFC 5357 4.2.1; RFC 8762
 * 4.3 "stateful" reflector), shared with XDP through the table entry.
 * Packet length: any (>= header + RFC 6038 octets) unless length= is set;
 * the reply is xw_tp_reflector_len() of each packet.
 *
 * Replies of a socket bound to a wildcard address get their source address
 * from the routing table; on a host with several addresses towards the
 * sender, configure local= to be sure the reply comes from the address the
 * sender used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lightd.h"
#include "log.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"
#include "xwampd.h"
#include "xfrm_view.h"

struct light_port {
	struct xwd_sess s; /* in the registry (sess.h): state ARMED, tp and length of the line */
	struct xwd_light *L;
	const struct xw_light_sess *ls; /* the configured line */
	int fd[2];			/* IPv4, IPv6; -1: not open */
	struct xw_io io[2];
	bool xdp;	    /* an XDP entry exists for the port */
	int family;	    /* of the XDP entry (AF_INET for both) */
	bool ipsec_watch;   /* addresses known and the xfrm view on: follow it */
	int tun_ifindex;    /* in-tunnel device (route-based IPsec): XDP and socket only there */
	uint64_t n_seq_xdp; /* numbers of the entry's counter XDP did not give */
	uint64_t xdp_refl_done; /* XDP replies of entries removed since (IPsec) */
};

struct xwd_light {
	struct xwd *d;
	struct xw_light_cfg cfg; /* a copy: ports point into it */
	struct light_port *ports;
	unsigned int nports;
	struct xw_rxbatch rx;
	uint8_t *txbuf; /* rx.cap replies of XW_DGRAM_MAX octets */
	struct xw_tx_msg *tx;
	struct xw_ratelimit rl;
};

/* Does the datagram's source match the session's sender (address, port)? */
static bool sender_ok(const struct xw_light_sess *s, const struct xw_addr *src)
{
	struct xw_addr a = *src;
	uint8_t raw[16];
	size_t n;

	if (s->sender_port && xw_addr_port(&a) != s->sender_port)
		return false;
	if (s->sender_any)
		return true;
	xw_addr_unmap(&a);
	n = xw_addr_to_raw(&a, raw);
	return n == (s->family == XW_LIGHT_INET6 ? 16u : 4u) && !memcmp(raw, s->sender, n);
}

/*
 * The rules the XDP/tc programs apply (bpf/xwamp.bpf.c host_check()), as
 * far as a socket sees them: the source is a host's unicast address
 * (include/xwamp/hostaddr.h) and not a broadcast address of ours; the
 * destination (IP_PKTINFO) is unicast, and with local=* one of this host's
 * own (a socket bound to the wildcard address gets broadcasts too).
 * Loopback addresses are fine here: the kernel delivers those only from lo.
 * Checksums, options and fragments the kernel has dealt with already.
 */
static bool for_us(const struct xwd_light *L, const struct xw_light_sess *s,
		   const struct xw_rx_msg *m)
{
	if (!xwd_hostaddr_ok(&m->src, true) ||
	    xwd_own_lookup(L->d->own, &m->src) == XW_OWN_BROADCAST)
		return false;
	if (!m->dst_valid)
		return true; /* not asked for: cannot happen on Light's sockets */
	if (!xwd_hostaddr_ok(&m->dst, true))
		return false;
	return !s->local_any || !L->d->own || xwd_own_is_local(L->d->own, &m->dst);
}

/* A drop already counted: the rate-limited line. */
static void light_drop_log(struct light_port *p, enum xwd_drop why, const struct xw_addr *src)
{
	char a[XW_ADDRSTRLEN];

	if (xw_rl_ok(&p->L->rl, "TWAMP Light"))
		pr_warn("light port %u: dropped a packet from %s: %s", p->s.port,
			xw_addr_fmt(src, true, a, sizeof(a)), xwd_drop_name(why));
}

static void light_drop(struct light_port *p, enum xwd_drop why, const struct xw_addr *src)
{
	p->s.sock.drop[why]++;
	light_drop_log(p, why, src);
}

static void light_batch(struct light_port *p, int fd)
{
	struct xwd_light *L = p->L;
	const struct xw_light_sess *s = p->ls;
	unsigned int i, ntx = 0;
	uint64_t mono_ns;
	uint16_t errest;
	int n, sent;

	n = xw_recv_batch(fd, &L->rx);
	if (n < 0) {
		if (n != -EAGAIN && xw_rl_ok(&L->rl, "TWAMP Light"))
			pr_warn("light port %u: recvmmsg: %s", p->s.port, strerror(-n));
		return;
	}
	mono_ns = xw_now_ns();
	errest = xw_clock_errest(&L->d->clock, xw_clock_now_ns());
	for (i = 0; i < (unsigned int)n; i++) {
		struct xw_rx_msg *m = &L->rx.msg[i];
		uint8_t *out = L->txbuf + (size_t)ntx * XW_DGRAM_MAX;
		struct xwd_pkt in = {
			.buf = m->buf, .len = m->len, .mono_ns = mono_ns, .errest = errest};
		enum xwd_drop why;
		int len;

		p->s.sock.rx++;
		if (!for_us(L, s, m)) {
			light_drop(p,
				   xwd_hostaddr_ok(&m->src, true) ? XWD_DROP_NOT_LOCAL
								  : XWD_DROP_BAD_SOURCE,
				   &m->src);
			continue;
		}
		if (!sender_ok(s, &m->src)) {
			light_drop(p, XWD_DROP_SOURCE, &m->src);
			continue;
		}
		/* route-based IPsec: only what the xfrm interface decrypted (as refl.c) */
		if (p->tun_ifindex && m->ifindex != p->tun_ifindex) {
			light_drop(p, XWD_DROP_OUTSIDE_TUNNEL, &m->src);
			continue;
		}
		if (m->truncated) {
			light_drop(p, XWD_DROP_OVERSIZE, &m->src);
			continue;
		}
		if (!m->ts_valid) {
			light_drop(p, XWD_DROP_NO_TS, &m->src);
			continue;
		}
		in.rx_ntp = xw_timespec_to_ntp(&m->ts);
		in.ttl = m->ttl >= 0 && m->ttl <= 255 ? (uint8_t)m->ttl : 255;
		len = xwd_sess_reflect(&p->s, &p->s.sock, &in, out, XW_DGRAM_MAX, &why);
		if (len < 0) {
			light_drop_log(p, why, &m->src);
			continue;
		}
		if (p->xdp) {
			/* one counter with XDP: unique numbers whichever path answers */
			put_be32(out, xwd_xdp_sess_next_seq(L->d->xdp, p->s.port));
			p->n_seq_xdp++;
		}
		L->tx[ntx].buf = out;
		L->tx[ntx].len = (size_t)len;
		L->tx[ntx].dst = &m->src;
		ntx++;
	}
	if (!ntx)
		return;
	{
		uint64_t t3 = xw_clock_now_ntp();

		for (i = 0; i < ntx; i++)
			xw_tp_stamp(XW_TP_OPEN, (uint8_t *)L->tx[i].buf, L->tx[i].len, t3, errest);
	}
	sent = xw_send_batch(fd, L->tx, ntx);
	if (sent < 0)
		sent = 0;
	p->s.sock.reflected += (uint64_t)sent;
	if ((unsigned int)sent < ntx)
		p->s.sock.drop[XWD_DROP_SEND] += ntx - (unsigned int)sent;
}

static void light_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct light_port *p = io->arg;
	int k;

	(void)l;
	(void)events;
	for (k = 0; k < 4; k++) {
		uint64_t before = p->s.sock.rx;

		light_batch(p, io->fd);
		if (p->s.sock.rx - before < p->L->rx.cap)
			break;
	}
}

/* --- set-up ------------------------------------------------------------------ */

static int light_addr(struct xw_addr *a, int family, bool any, const uint8_t raw[16], uint16_t port)
{
	if (any) {
		xw_addr_any(a, family, port);
		return 0;
	}
	return xw_addr_from_raw(a, family, raw, port);
}

/* The port's XDP entry, ARMED: Light sessions run from the start. */
static void light_xdp_add(struct light_port *p, int family)
{
	const struct xw_light_sess *s = p->ls;
	struct xw_addr local, peer;
	struct xwd_xdp_sess_cfg sc = {
		.local = &local,
		.peer = &peer,
		.mode = XW_SESS_UNAUTH,
		.flags = (uint8_t)((s->symmetric ? XW_SESS_F_SYMMETRIC : 0) |
				   (s->reflect_len ? XW_SESS_F_REFLECT : 0) |
				   (s->local_any ? XW_SESS_F_ANY_DADDR : 0) |
				   (s->sender_any ? XW_SESS_F_ANY_SADDR : 0) |
				   (s->sender_port ? 0 : XW_SESS_F_ANY_SPORT)),
		.dscp = s->dscp,
		.reflect_len = s->reflect_len,
		.expect_len = s->length,
		.ifindex = p->tun_ifindex,
		.first_seq = p->s.seq,
	};
	int rc;

	/* IPsec applies to the flow and no in-tunnel device: the socket only */
	if (!p->L->d->xdp || (p->s.path != XFRM_PATH_ANY && p->s.path != XFRM_PATH_TUNNEL))
		return;
	light_addr(&local, family, s->local_any, s->local, p->s.port);
	light_addr(&peer, family, s->sender_any, s->sender, s->sender_port);
	rc = xwd_xdp_sess_add(p->L->d->xdp, &sc);
	if (rc) {
		pr_warn("light port %u: no XDP session entry: %s (the socket answers)", p->s.port,
			strerror(-rc));
		return;
	}
	xwd_xdp_sess_arm(p->L->d->xdp, p->s.port, true);
	p->xdp = true;
	p->n_seq_xdp = sc.first_seq; /* numbered before: not XDP's */
}

/* The port's IPsec path (xwd_ipsec_path()); its verdict line in why. */
static void light_ipsec_path(struct light_port *p, char *why, size_t whylen)
{
	const struct xw_light_sess *s = p->ls;
	struct xw_addr local, peer;
	char who[64];

	light_addr(&local, p->family, false, s->local, p->s.port);
	light_addr(&peer, p->family, false, s->sender, s->sender_port);
	snprintf(who, sizeof(who), "light port %u", p->s.port);
	p->s.path = xwd_ipsec_path(p->L->d, &local, &peer, who, &p->tun_ifindex, why, whylen);
}

static int light_port_open(struct light_port *p)
{
	static const int fams[2] = {AF_INET, AF_INET6};
	const struct xw_light_sess *s = p->ls;
	struct xw_udp_opts o = XW_UDP_OPTS_TEST;
	char a[XW_ADDRSTRLEN];
	int k, rc, fam = 0;

	o.dscp = s->dscp;
	o.rx_dst = true; /* for_us(): the datagram's destination address */
	for (k = 0; k < 2; k++) {
		struct xw_addr local;

		p->fd[k] = -1;
		if (s->family && s->family != (k ? XW_LIGHT_INET6 : XW_LIGHT_INET))
			continue;
		light_addr(&local, fams[k], s->local_any, s->local, p->s.port);
		rc = xw_udp_open(&local, &o);
		if (rc < 0) {
			pr_err("light: line %u: cannot open a reflector on %s: %s", s->line,
			       xw_addr_fmt(&local, true, a, sizeof(a)), strerror(-rc));
			return rc;
		}
		p->fd[k] = rc;
		rc = xw_loop_add(&p->L->d->loop, &p->io[k], p->fd[k], EPOLLIN, light_event, p);
		if (rc)
			return rc;
		fam = fams[k];
	}
	/* family 0 in the entry (both address wildcards) covers IPv4 and IPv6 */
	p->family = s->family == XW_LIGHT_ANY ? AF_INET : fam;
	light_addr(&p->s.local, p->family, s->local_any, s->local, p->s.port);
	light_addr(&p->s.peer, p->family, s->sender_any, s->sender, s->sender_port);
	if (p->L->d->xfrm && !s->local_any && !s->sender_any) {
		char why[1024];

		p->ipsec_watch = true;
		light_ipsec_path(p, why, sizeof(why));
	}
	light_xdp_add(p, p->family);
	return 0;
}

static void light_sess_line(const struct xwd_light *L, unsigned int si, const char *why)
{
	const struct xw_light_sess *s = &L->cfg.sess[si];
	struct xwd_cnt sum = {0};
	uint64_t dropped, xdp_refl = 0;
	char desc[256], drops[256];
	bool xdp = false;
	unsigned int i;
	int k;

	for (i = 0; i < L->nports; i++) {
		const struct light_port *p = &L->ports[i];
		struct xwd_xdp_sess_stats st;

		if (p->ls != s)
			continue;
		sum.rx += p->s.sock.rx;
		sum.reflected += p->s.sock.reflected;
		for (k = 0; k < XWD_DROP_MAX; k++)
			sum.drop[k] += p->s.sock.drop[k];
		if (p->xdp) {
			xdp = true;
			xwd_xdp_sess_stats(L->d->xdp, p->s.port, &st);
			xdp_refl += st.next_seq - p->n_seq_xdp;
		}
		xdp = xdp || p->xdp_refl_done;
		xdp_refl += p->xdp_refl_done; /* entries removed by IPsec changes */
	}
	dropped = xwd_cnt_drops(&sum, drops, sizeof(drops));
	xw_light_fmt(s, desc, sizeof(desc));
	if (xdp)
		pr_info("light %s: %s: socket received %llu, reflected %llu, dropped %llu%s%s; "
			"XDP: reflected %llu",
			desc, why, (unsigned long long)sum.rx, (unsigned long long)sum.reflected,
			(unsigned long long)dropped, dropped ? ":" : "", drops,
			(unsigned long long)xdp_refl);
	else
		pr_info("light %s: %s: socket received %llu, reflected %llu, dropped %llu%s%s",
			desc, why, (unsigned long long)sum.rx, (unsigned long long)sum.reflected,
			(unsigned long long)dropped, dropped ? ":" : "", drops);
}

static void light_free(struct xwd_light *L)
{
	unsigned int i;
	int k;

	for (i = 0; i < L->nports; i++) {
		struct light_port *p = &L->ports[i];

		if (p->xdp)
			xwd_xdp_sess_del(L->d->xdp, p->s.port);
		xwd_reg_del(&L->d->reg, &p->s);
		for (k = 0; k < 2; k++) {
			if (p->fd[k] < 0)
				continue;
			xw_loop_del(&L->d->loop, &p->io[k]);
			close(p->fd[k]);
		}
	}
	free(L->ports);
	xw_rxbatch_free(&L->rx);
	free(L->txbuf);
	free(L->tx);
	free(L);
}

/* One port after an xfrm change: its path again, the entry to match (as refl.c). */
static void light_ipsec_recheck(struct light_port *p)
{
	struct xwd *d = p->L->d;
	enum xfrm_path old = p->s.path;
	int old_if = p->tun_ifindex;
	struct xwd_xdp_sess_stats st;
	char why[1024];

	light_ipsec_path(p, why, sizeof(why));
	if (p->s.path == old && p->tun_ifindex == old_if)
		return;
	xw_log(p->s.path >= XFRM_PATH_SOCKET ? XW_LOG_WARN : XW_LOG_INFO,
	       "light port %u: IPsec changed: test flow %s: %s -> %s", p->s.port, why,
	       xfrm_path_name(old), xfrm_path_name(p->s.path));
	if (p->xdp && (p->tun_ifindex != old_if ||
		       (p->s.path != XFRM_PATH_ANY && p->s.path != XFRM_PATH_TUNNEL))) {
		/* disarm, take over the numbering, remove */
		xwd_xdp_sess_arm(d->xdp, p->s.port, false);
		xwd_xdp_sess_stats(d->xdp, p->s.port, &st);
		p->s.seq = (uint32_t)st.next_seq;
		p->xdp_refl_done += st.next_seq - p->n_seq_xdp;
		xwd_xdp_sess_del(d->xdp, p->s.port);
		p->xdp = false;
		pr_warn("light port %u: IPsec: XDP entry removed (XDP reflected %llu in all)",
			p->s.port, (unsigned long long)p->xdp_refl_done);
	}
	if (!p->xdp)
		light_xdp_add(p, p->family);
	if (p->s.path == XFRM_PATH_NONE)
		pr_warn("light port %u: --require-ipsec and the test flow is not protected by "
			"IPsec: "
			"not answered",
			p->s.port);
	else
		pr_info("light port %u: path: %s%s", p->s.port, p->xdp ? "XDP on " : "socket",
			p->xdp ? xwd_xdp_where(d->xdp) : "");
}

void xwd_light_ipsec_changed(struct xwd_light *L)
{
	unsigned int i;

	for (i = 0; L && i < L->nports; i++)
		if (L->ports[i].ipsec_watch)
			light_ipsec_recheck(&L->ports[i]);
}

int xwd_light_open(struct xwd *d, const struct xw_light_cfg *cfg, struct xwd_light **out)
{
	struct xwd_light *L;
	unsigned int si, n = 0, port;
	char desc[256];
	int rc;

	*out = NULL;
	if (!cfg->nsess)
		return 0;
	L = calloc(1, sizeof(*L));
	if (!L)
		return -ENOMEM;
	L->d = d;
	L->cfg = *cfg;
	L->ports = calloc(cfg->nports, sizeof(*L->ports));
	/* batches of any UDP payload: 16 slots keep the buffers at ~2 MiB */
	rc = xw_rxbatch_init(&L->rx, 16, XW_DGRAM_MAX);
	L->txbuf = malloc((size_t)16 * XW_DGRAM_MAX);
	L->tx = calloc(16, sizeof(*L->tx));
	if (!L->ports || rc || !L->txbuf || !L->tx) {
		rc = -ENOMEM;
		goto fail;
	}
	for (si = 0; si < L->cfg.nsess; si++) {
		const struct xw_light_sess *s = &L->cfg.sess[si];

		if (d->cfg->require_ipsec && (s->local_any || s->sender_any)) {
			xw_light_fmt(s, desc, sizeof(desc));
			pr_err("light %s: --require-ipsec needs local= and sender= addresses: a "
			       "wildcard flow cannot be checked against the IPsec policies",
			       desc);
			rc = -EINVAL;
			goto fail;
		}
		for (port = s->port_lo; port <= s->port_hi; port++) {
			struct light_port *p = &L->ports[n++];

			p->L = L;
			p->ls = s;
			p->s.port = (uint16_t)port;
			p->s.kind = XWD_SESS_LIGHT;
			p->s.state = XWD_SESS_ARMED; /* Light sessions are always on */
			p->s.tp.mode = XW_TP_OPEN;
			p->s.tp.symmetric = s->symmetric;
			p->s.tp.reflect_len = s->reflect_len;
			p->s.expect_len = s->length;
			p->s.dscp = s->dscp;
			p->s.owner = p;
			p->fd[0] = p->fd[1] = -1;
			L->nports = n;
			rc = xwd_reg_add(&d->reg, &p->s);
			if (rc) {
				xw_light_fmt(s, desc, sizeof(desc));
				pr_err("light %s: port %u: %s", desc, port,
				       rc == -EADDRINUSE ? "another session has it"
							 : strerror(-rc));
				goto fail;
			}
			rc = light_port_open(p);
			if (rc)
				goto fail;
		}
		xw_light_fmt(s, desc, sizeof(desc));
		pr_info("light %s: reflecting (TWAMP Light, RFC 5357 Appendix I), path: %s%s%s%s",
			desc, L->ports[n - 1].xdp ? "XDP on " : "socket",
			L->ports[n - 1].xdp ? xwd_xdp_where(d->xdp) : "",
			L->ports[n - 1].xdp ? " (socket for packets arriving elsewhere)" : "",
			L->ports[n - 1].ipsec_watch ? " until the IPsec view says more" : "");
	}
	*out = L;
	return 0;
fail:
	light_free(L);
	return rc;
}

void xwd_light_close(struct xwd_light *L)
{
	unsigned int si;

	if (!L)
		return;
	for (si = 0; si < L->cfg.nsess; si++)
		light_sess_line(L, si, "closed");
	light_free(L);
}

void xwd_light_status(const struct xwd_light *L)
{
	unsigned int si;

	if (!L)
		return;
	for (si = 0; si < L->cfg.nsess; si++)
		light_sess_line(L, si, "running");
}
