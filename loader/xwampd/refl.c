// SPDX-License-Identifier: GPL-2.0-only
/*
 * The userspace Session-Reflector (RFC 5357 4.2): one UDP socket per
 * accepted test session, bound to the address and port given in the
 * Accept-Session, read in recvmmsg batches with kernel receive timestamps
 * and TTLs, answered with sendmmsg batches.
 *
 * Life of a session:
 *   xwd_refl_open()   Request-TW-Session accepted: socket bound, packets dropped
 *                     ("not-started") until...
 *   xwd_refl_start()  Start-Sessions / Start-N-Sessions: reflect; REFWAIT runs
 *   xwd_refl_end()    STOP: keep reflecting for the session's Timeout (RFC 5357
 *                     3.8, 4.2), then free; CLOSE / REFWAIT: free now.
 * Every session logs its counters when it ends (and on SIGUSR1).
 *
 * With XDP (xdp.h) every session also has an entry in the BPF session table,
 * indexed by local port (hence one session per local port, refl_bind()):
 * written DISARMED at Accept, ARMED at Start, DISARMED at Stop (the Timeout
 * after Stop is served here), zeroed when the session is freed.  Unauthenticated
 * (open, mixed) sessions are reflected by XDP on the attached interfaces; the
 * socket still answers packets that arrive elsewhere, numbering them from the
 * entry's shared counter.  An XDP_TX'ed packet never reaches the socket, so
 * nothing is answered twice.  Authenticated/encrypted sessions get an
 * XW_SESS_AUTH_REDIRECT entry: XDP passes (and counts) their packets.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpm.h"
#include "log.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"
#include "xfrm.h"
#include "xwampd.h"

struct xwd_refl {
	struct xwd_sess s; /* in the registry (sess.h) from Accept to free */
	struct xwd *d;
	struct xwd_conn *conn; /* NULL once the state machine let go (sess_end) */
	uint8_t sid[XW_SID_LEN];
	char name[96]; /* "sid 7f000001eeaf0325 local -> peer" for logs */
	int fd;
	struct xw_io io;
	size_t reply_len;
	uint64_t timeout_ns; /* Request-TW-Session Timeout, clamped */
	struct xw_timer timer;
	struct xw_ratelimit rl;
	/* XDP session table entry (xdp.h) */
	bool xdp;	   /* an entry exists for our port */
	bool xdp_refl;	   /* ...and XDP reflects (XW_SESS_UNAUTH) */
	uint64_t xdp_seen; /* XDP activity at the last REFWAIT check */
	uint64_t
		n_seq_xdp; /* numbers of the entry's counter XDP did not give (socket, first_seq) */
	uint64_t xdp_refl_done; /* XDP replies of entries removed since (IPsec changes) */
	/* IPsec (open and mixed mode with the xfrm view): where it may be answered */
	bool ipsec_watch; /* follow xfrm changes (xwd_refl_ipsec_changed()) */
	bool steered;	  /* the shared socket reads our datagrams (steer.h) */
	int tun_ifindex;  /* in-tunnel device (route-based IPsec): XDP and socket only there */
};

/* --- helpers --------------------------------------------------------------- */

/* NTP-format interval (RFC 4656 3.5 Timeout) -> ns, saturating. */
static uint64_t ntp_interval_ns(uint64_t t)
{
	uint64_t sec = t >> 32, frac = t & 0xffffffffULL;

	if (sec > 1000000000ULL)
		return UINT64_MAX / 2;
	return sec * XW_NS_PER_SEC + ((frac * XW_NS_PER_SEC) >> 32);
}

/* "; XDP: reflected N (next_seq M), passed P, dropped D[: why=n]" or "" */
static void refl_xdp_part(const struct xwd_refl *r, char *buf, size_t len)
{
	static const char *const names[XW_SESS_DROP_MAX] = {"truncated", "length", "multiplier-0",
							    "other"};
	struct xwd_xdp_sess_stats st;
	size_t off;
	int i;

	buf[0] = '\0';
	if (!r->xdp)
		return;
	xwd_xdp_sess_stats(r->d->xdp, r->s.port, &st);
	off = (size_t)snprintf(buf, len,
			       "; XDP: reflected %llu (next_seq %llu), passed %llu, "
			       "dropped %llu%s",
			       (unsigned long long)(r->xdp_refl_done + st.next_seq - r->n_seq_xdp),
			       (unsigned long long)st.next_seq, (unsigned long long)st.passed,
			       (unsigned long long)st.dropped, st.dropped ? ":" : "");
	for (i = 0; i < XW_SESS_DROP_MAX && off < len; i++)
		if (st.drops[i])
			off += (size_t)snprintf(buf + off, len - off, " %s=%llu", names[i],
						(unsigned long long)st.drops[i]);
}

/* "; AF_XDP: received N, reflected N, dropped D[: why=n]" when the AF_XDP path is in use */
static void refl_xsk_part(const struct xwd_refl *r, char *buf, size_t len)
{
	char drops[256];
	uint64_t total;

	buf[0] = '\0';
	if (!r->s.xsk.rx && !r->d->xsk)
		return;
	total = xwd_cnt_drops(&r->s.xsk, drops, sizeof(drops));
	snprintf(buf, len, "; AF_XDP: received %llu, reflected %llu, dropped %llu%s%s",
		 (unsigned long long)r->s.xsk.rx, (unsigned long long)r->s.xsk.reflected,
		 (unsigned long long)total, total ? ":" : "", drops);
}

static void refl_status_line(const struct xwd_refl *r, const char *why)
{
	char drops[512], xdp[192], xsk[320];
	uint64_t total = xwd_cnt_drops(&r->s.sock, drops, sizeof(drops));

	refl_xdp_part(r, xdp, sizeof(xdp));
	refl_xsk_part(r, xsk, sizeof(xsk));
	pr_info("session %s: %s: received %llu, reflected %llu, dropped %llu%s%s%s%s", r->name, why,
		(unsigned long long)r->s.sock.rx, (unsigned long long)r->s.sock.reflected,
		(unsigned long long)total, total ? ":" : "", drops, xdp, xsk);
}

/* A drop already counted: the rate-limited line. */
static void refl_drop_log(struct xwd_refl *r, enum xwd_drop why, const struct xw_addr *src)
{
	char a[XW_ADDRSTRLEN];

	if (xw_rl_ok(&r->rl, r->name))
		pr_warn("session %s: dropped a packet from %s: %s", r->name,
			xw_addr_fmt(src, true, a, sizeof(a)), xwd_drop_name(why));
}

static void refl_drop(struct xwd_refl *r, enum xwd_drop why, const struct xw_addr *src)
{
	r->s.sock.drop[why]++;
	refl_drop_log(r, why, src);
}

/*
 * The batch buffers of every session's socket: one set per daemon, since
 * one loop reads one socket at a time and answers its batch before the
 * next (memory per session is then its state, not 64 datagram slots).
 * Sized for the biggest session open so far, at most ~1 MiB per direction.
 */
struct xwd_refl_bufs {
	struct xw_rxbatch rx;
	size_t rx_slot, tx_slot;
	uint8_t *txbuf; /* rx.cap replies of tx_slot octets */
	struct xw_tx_msg *tx;
	struct xwd_refl **tx_r; /* the session of each reply */
	unsigned int ntx;	/* replies queued */
	uint16_t errest;	/* the batch's Error Estimate */
};

static void refl_bufs_free(struct xwd_refl_bufs *b)
{
	if (!b)
		return;
	xw_rxbatch_free(&b->rx);
	free(b->txbuf);
	free(b->tx);
	free(b->tx_r);
	free(b);
}

/* Room for rx_len-octet datagrams and reply_len-octet replies; 0 or -ENOMEM. */
static int refl_bufs_fit(struct xwd *d, size_t rx_len, size_t reply_len)
{
	struct xwd_refl_bufs *b = d->refl_bufs, *n;
	unsigned int cap;

	if (b && b->rx_slot >= rx_len && b->tx_slot >= reply_len)
		return 0;
	if (b) {
		rx_len = rx_len > b->rx_slot ? rx_len : b->rx_slot;
		reply_len = reply_len > b->tx_slot ? reply_len : b->tx_slot;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	/* a batch of up to 64 datagrams, but no more than ~1 MiB of buffers */
	cap = (unsigned int)((1u << 20) / (rx_len + reply_len));
	if (cap > XW_BATCH_MAX)
		cap = XW_BATCH_MAX;
	if (!cap)
		cap = 1;
	n->rx_slot = rx_len;
	n->tx_slot = reply_len;
	n->txbuf = malloc((size_t)cap * reply_len);
	n->tx = calloc(cap, sizeof(*n->tx));
	n->tx_r = calloc(cap, sizeof(*n->tx_r));
	if (!n->txbuf || !n->tx || !n->tx_r || xw_rxbatch_init(&n->rx, cap, rx_len)) {
		refl_bufs_free(n);
		return -ENOMEM;
	}
	/* never while a batch is answered: called from the control side only */
	refl_bufs_free(b);
	d->refl_bufs = n;
	return 0;
}

static void refl_free(struct xwd_refl *r, const char *why)
{
	struct xwd *d = r->d;
	int i;

	refl_status_line(r, why);
	/* the metrics' totals outlive the session */
	d->refl_done.rx += r->s.sock.rx;
	d->refl_done.reflected += r->s.sock.reflected;
	for (i = 0; i < XWD_DROP_MAX; i++)
		d->refl_done.drop[i] += r->s.sock.drop[i];
	if (r->xdp)
		xwd_xdp_sess_del(d->xdp, r->s.port);
	/* before the socket goes: nothing more for this port reaches the shared one */
	if (r->steered)
		xwd_steer_del(d->steer, r->s.port);
	xw_timer_cancel(&d->loop, &r->timer);
	xw_loop_del(&d->loop, &r->io);
	if (r->fd >= 0)
		close(r->fd);
	xw_tp_crypto_free(&r->s.crypto);
	xwd_reg_del(&d->reg, &r->s);
	memset(r, 0, sizeof(*r));
	free(r);
}

/* --- the packet path ------------------------------------------------------- */

/*
 * One datagram for r, from its socket or a shared one (steer.h): where it
 * comes from, the reflect step, the reply queued in b->tx.
 */
static void refl_one(struct xwd_refl *r, struct xwd_refl_bufs *b, struct xw_rx_msg *m,
		     uint64_t mono_ns)
{
	const size_t slot = b->tx_slot;
	uint8_t *out = b->txbuf + (size_t)b->ntx * slot;
	struct xwd_pkt in = {.buf = m->buf, .len = m->len, .mono_ns = mono_ns, .errest = b->errest};
	enum xwd_drop why;
	int len;

	r->s.sock.rx++;
	/* only the Session-Sender gets answers: no reflection towards third parties */
	if (!xw_addr_equal(&m->src, &r->s.peer)) {
		refl_drop(r, XWD_DROP_SOURCE, &m->src);
		return;
	}
	/*
	 * Route-based IPsec: the inbound policy has an if_id, so a cleartext
	 * packet with the tuple on the outer device matches no policy and
	 * lands here too; only what the xfrm interface delivered (decrypted)
	 * is the Session-Sender's (README "IPsec view").
	 */
	if (r->tun_ifindex && m->ifindex != r->tun_ifindex) {
		refl_drop(r, XWD_DROP_OUTSIDE_TUNNEL, &m->src);
		return;
	}
	/* its own socket reads one octet more than the session's length (MSG_TRUNC beyond) */
	if (m->truncated || m->len > r->s.expect_len + 1) {
		refl_drop(r, XWD_DROP_OVERSIZE, &m->src);
		return;
	}
	if (!m->ts_valid) {
		/* never a clock read after recv(): no timestamp, no answer */
		refl_drop(r, XWD_DROP_NO_TS, &m->src);
		return;
	}
	in.rx_ntp = xw_timespec_to_ntp(&m->ts);
	in.ttl = m->ttl >= 0 && m->ttl <= 255 ? (uint8_t)m->ttl : 255;
	len = xwd_sess_reflect(&r->s, &r->s.sock, &in, out, r->reply_len, &why);
	if (len < 0) {
		refl_drop_log(r, why, &m->src);
		return;
	}
	if (r->xdp_refl) {
		/* one counter with XDP: unique numbers whichever path answers */
		put_be32(out, xwd_xdp_sess_next_seq(r->d->xdp, r->s.port));
		r->n_seq_xdp++;
	}
	b->tx[b->ntx].buf = out;
	b->tx[b->ntx].len = (size_t)len;
	b->tx[b->ntx].dst = &m->src;
	b->tx_r[b->ntx] = r;
	b->ntx++;
}

/*
 * The replies queued by refl_one(): T3 is the transmit time (RFC 5357
 * 4.2.1); in open and authenticated mode it is outside the encryption and
 * the HMAC, so it is written into every reply right before they are sent,
 * after all the crypto (in encrypted mode it was sealed with the packet).
 * Each session's replies leave from its own socket (its port, its DSCP):
 * one sendmmsg per run of one session's replies.
 */
static void refl_flush(struct xwd_refl_bufs *b)
{
	uint64_t t3 = xw_clock_now_ntp();
	unsigned int i, j;

	for (i = 0; i < b->ntx; i++)
		if (b->tx_r[i]->s.tp.mode != XW_TP_ENC)
			xw_tp_stamp(b->tx_r[i]->s.tp.mode, b->txbuf + (size_t)i * b->tx_slot,
				    b->tx[i].len, t3, b->errest);
	for (i = 0; i < b->ntx; i = j) {
		struct xwd_refl *r = b->tx_r[i];
		int sent;

		for (j = i + 1; j < b->ntx && b->tx_r[j] == r; j++)
			;
		sent = xw_send_batch(r->fd, &b->tx[i], j - i);
		if (sent < 0)
			sent = 0;
		r->s.sock.reflected += (uint64_t)sent;
		if ((unsigned int)sent < j - i) {
			r->s.sock.drop[XWD_DROP_SEND] += j - i - (unsigned int)sent;
			if (xw_rl_ok(&r->rl, r->name))
				pr_warn("session %s: %u replies not sent (socket buffer full?)",
					r->name, j - i - (unsigned int)sent);
		}
	}
	b->ntx = 0;
}

/* One clock read per batch for REFWAIT and the Error Estimate. */
static uint64_t refl_batch_clock(struct xwd *d, struct xwd_refl_bufs *b)
{
	b->errest = xw_clock_errest(&d->clock, xw_clock_now_ns());
	return xw_now_ns();
}

/* One batch from the session's own socket. */
static int refl_batch(struct xwd_refl *r)
{
	struct xwd_refl_bufs *b = r->d->refl_bufs;
	uint64_t mono_ns;
	int n, i;

	/* one octet more than the session's length, so longer datagrams show MSG_TRUNC */
	b->rx.bufsize = r->s.expect_len + 1;
	n = xw_recv_batch(r->fd, &b->rx);
	if (n == -EAGAIN)
		return 0;
	if (n < 0) {
		if (xw_rl_ok(&r->rl, r->name))
			pr_warn("session %s: recvmmsg: %s", r->name, strerror(-n));
		return 0;
	}
	mono_ns = refl_batch_clock(r->d, b);
	for (i = 0; i < n; i++)
		refl_one(r, b, &b->rx.msg[i], mono_ns);
	if (b->ntx)
		refl_flush(b);
	return n;
}

static void refl_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_refl *r = io->arg;
	int i;

	(void)l;
	(void)events;
	/* a few batches per wakeup, then give the other sessions their turn */
	for (i = 0; i < 4; i++)
		if (refl_batch(r) < (int)r->d->refl_bufs->rx.cap)
			break;
}

/*
 * One batch from a shared socket (steer.h): the datagrams of any session,
 * told apart by their destination port (IP_ORIGDSTADDR) in the registry.
 * The sk_lookup program steers only a session's exact address and port;
 * what is not that (a datagram for the socket's own port, or queued for a
 * session that has gone) is dropped and counted.
 */
static int steer_batch(struct xwd *d, int fd)
{
	struct xwd_refl_bufs *b = d->refl_bufs;
	char a[XW_ADDRSTRLEN];
	uint64_t mono_ns;
	int n, i;

	b->rx.bufsize = b->rx_slot;
	n = xw_recv_batch(fd, &b->rx);
	if (n < 0) {
		if (n != -EAGAIN && xw_rl_ok(&d->rl_steer, "socket path"))
			pr_warn("socket path: recvmmsg: %s", strerror(-n));
		return 0;
	}
	d->steer_rx += (unsigned int)n;
	mono_ns = refl_batch_clock(d, b);
	for (i = 0; i < n; i++) {
		struct xw_rx_msg *m = &b->rx.msg[i];
		struct xwd_sess *s = m->dst_port ? xwd_reg_get(&d->reg, m->dst_port) : NULL;

		if (!s || s->kind != XWD_SESS_TWAMP || !m->dst_valid ||
		    !xw_addr_same_host(&m->dst, &s->local)) {
			d->steer_foreign++;
			if (xw_rl_ok(&d->rl_steer, "socket path"))
				pr_warn("socket path: dropped a datagram from %s to port %u: no "
					"session there",
					xw_addr_fmt(&m->src, true, a, sizeof(a)), m->dst_port);
			continue;
		}
		refl_one(s->owner, b, m, mono_ns);
	}
	if (b->ntx)
		refl_flush(b);
	return n;
}

static void steer_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd *d = io->arg;
	int i;

	(void)l;
	(void)events;
	/* a few batches per wakeup, then the loop's other work (control, timers) */
	for (i = 0; i < 16; i++)
		if (steer_batch(d, io->fd) < (int)d->refl_bufs->rx.cap)
			break;
}

/* REFWAIT while armed, end of the Timeout while draining. */
static void refl_timer(struct xw_loop *l, struct xw_timer *t)
{
	struct xwd_refl *r = t->arg;
	const struct xwd_cfg *cfg = r->d->cfg;
	uint64_t now = xw_now_ns();

	if (r->s.state == XWD_SESS_DRAIN) {
		refl_free(r, "stopped");
		return;
	}
	if (r->s.state == XWD_SESS_ACCEPTED) {
		pr_warn("session %s: accepted but not started within %u s (--start-timeout): "
			"ending it",
			r->name, cfg->start_timeout);
		/* the state machine calls sess_end(UNSTARTED), which frees r */
		if (r->conn && !xwd_conn_unstarted(r->conn, r->sid))
			return;
		refl_free(r, "not started in time");
		return;
	}
	if (r->s.state != XWD_SESS_ARMED || !cfg->refwait)
		return;
	if (r->xdp) {
		/* packets XDP handled never reach the socket: count them as activity */
		struct xwd_xdp_sess_stats st;
		uint64_t act;

		xwd_xdp_sess_stats(r->d->xdp, r->s.port, &st);
		act = st.next_seq + st.passed + st.dropped;
		if (act != r->xdp_seen) {
			r->xdp_seen = act;
			if (now > r->s.last_rx_ns)
				r->s.last_rx_ns = now;
		}
	}
	if (now - r->s.last_rx_ns < xwd_s_to_ns(cfg->refwait)) {
		xw_timer_arm_at(l, t, r->s.last_rx_ns + xwd_s_to_ns(cfg->refwait));
		return;
	}
	pr_info("session %s: no test packet for REFWAIT %u s: stopping it (RFC 5357 4.2)", r->name,
		cfg->refwait);
	/* the state machine calls sess_end(REFWAIT), which frees r */
	if (r->conn && !xwd_conn_refwait(r->conn, r->sid))
		return;
	refl_free(r, "REFWAIT expired");
}

/* --- the control side ------------------------------------------------------ */

static bool raw_is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * Address of one end from the request: all zero means "the address of the
 * control connection" (RFC 5357 3.5).
 */
int xwd_request_addr(struct xw_addr *out, uint8_t ipvn, const uint8_t raw[16],
		     const struct xw_addr *ctl, uint16_t port)
{
	int fam = ipvn == 6 ? AF_INET6 : AF_INET;

	int rc;

	if (raw_is_zero(raw, 16)) {
		if (xw_addr_family(ctl) != fam)
			return -EAFNOSUPPORT;
		*out = *ctl;
		xw_addr_set_port(out, port);
		return 0;
	}
	rc = xw_addr_from_raw(out, fam, raw, port);
	/*
	 * A link-local address names a host only on one link (RFC 4291 2.5.6),
	 * and the request carries none: it is the control connection's, when
	 * that runs over a link-local address too.  Elsewhere the scope stays
	 * 0 and binding or sending to it fails (Accept 2).
	 */
	if (!rc && fam == AF_INET6 && xw_addr_family(ctl) == AF_INET6 &&
	    IN6_IS_ADDR_LINKLOCAL(&out->in6.sin6_addr) &&
	    IN6_IS_ADDR_LINKLOCAL(&ctl->in6.sin6_addr))
		out->in6.sin6_scope_id = ctl->in6.sin6_scope_id;
	return rc;
}

/*
 * One session per local port, whatever the address: the XDP session table
 * is indexed by port (bpf_shared.h), so two sessions on one port on two
 * addresses would overwrite each other's entry.
 */
static bool port_taken(const struct xwd *d, uint16_t port)
{
	return xwd_reg_get(&d->reg, port) != NULL;
}

#define REFL_PORT_TRIES	 64
#define REFL_PORT_UNPRIV 1024 /* below: privileged ports (IKE 500, NTP 123, DNS 53, ...) */

/*
 * A port this session may take: unprivileged unless --allow-low-ports, in
 * the configured range if there is one, and held by no other session and by
 * no other socket of this host (a reflector on a service's port would answer
 * that service's clients, and with XDP, indexed by port, take its packets).
 */
static bool port_usable(const struct xwd *d, uint16_t port)
{
	const struct xwd_cfg *cfg = d->cfg;

	if (!port || (port < REFL_PORT_UNPRIV && !cfg->allow_low_ports))
		return false;
	if (cfg->port_lo && (port < cfg->port_lo || port > cfg->port_hi))
		return false;
	return !port_taken(d, port) && !xwd_host_udp_port_used(port);
}

static int refl_try(struct xwd_refl *r, uint16_t port, const struct xw_udp_opts *o)
{
	xw_addr_set_port(&r->s.local, port);
	return xw_udp_open(&r->s.local, o);
}

/*
 * Without --port-range: a port the kernel picks from its ephemeral range
 * (free by construction) that no other session uses.  Sockets on ports
 * another session has (on another address) are held open while searching
 * so that the next try gets another port.
 */
static int refl_bind_ephemeral(struct xwd_refl *r, const struct xw_udp_opts *o)
{
	int held[REFL_PORT_TRIES], nheld = 0, fd = -EADDRINUSE, i;
	struct xw_addr got;

	while (nheld < REFL_PORT_TRIES) {
		fd = refl_try(r, 0, o);
		if (fd < 0)
			break;
		if (xw_sock_local(fd, &got) ||
		    (!port_taken(r->d, xw_addr_port(&got)) &&
		     (xw_addr_port(&got) >= REFL_PORT_UNPRIV || r->d->cfg->allow_low_ports)))
			break;
		held[nheld++] = fd;
		fd = -EADDRINUSE;
	}
	for (i = 0; i < nheld; i++)
		close(held[i]);
	return fd;
}

/* A bind failure that another port may not have (anything else is final). */
static bool port_retry(int fd)
{
	return fd == -EADDRINUSE || fd == -EACCES;
}

/*
 * Receive buffer of a reflector socket.  1 MiB absorbs a burst while the
 * loop is busy elsewhere, but each socket may hold that much queued kernel
 * memory (twice the value, with the kernel's bookkeeping), so sessions
 * share REFL_RCVBUF_BUDGET by --max-sessions-total: 64 sessions or fewer
 * get 1 MiB each, 512 (the default) 128 KiB, never less than 64 KiB (also
 * with no limit on sessions).
 */
#define REFL_RCVBUF_MAX	   (1u << 20)
#define REFL_RCVBUF_MIN	   (64u << 10)
#define REFL_RCVBUF_BUDGET (64u << 20)

static int refl_rcvbuf(const struct xwd_cfg *cfg)
{
	unsigned int b = cfg->max_sessions_total ? REFL_RCVBUF_BUDGET / cfg->max_sessions_total
						 : REFL_RCVBUF_MIN;

	if (b > REFL_RCVBUF_MAX)
		b = REFL_RCVBUF_MAX;
	if (b < REFL_RCVBUF_MIN)
		b = REFL_RCVBUF_MIN;
	return (int)b;
}

/*
 * The shared sockets of the sk_lookup steering (steer.h) hold what the
 * sessions' own sockets could have held together: the 64 MiB budget with
 * --max-sessions-total up to 1024 (the default 512: 128 KiB x 512), 64 KiB
 * per session beyond; at most 512 MiB (no limit on sessions: that), about
 * 5 s of 10,000 sessions at 10 packets/s while the loop cannot run.
 */
#define REFL_SHARED_RCVBUF_MAX (512u << 20)

int xwd_refl_shared_rcvbuf(const struct xwd_cfg *cfg)
{
	uint64_t b = (uint64_t)refl_rcvbuf(cfg) * cfg->max_sessions_total;

	if (!cfg->max_sessions_total || b > REFL_SHARED_RCVBUF_MAX)
		b = REFL_SHARED_RCVBUF_MAX;
	return (int)b;
}

/*
 * RFC 5357 3.5: the requested port if we may, else "an alternate and
 * available port" in the Accept-Session.  With --port-range the next free
 * port of the range after the requested one (wrapping; from the start of
 * the range when the request is outside it), as the reference
 * implementation does, so that firewall rules written for the range hold.
 */
static int refl_bind(struct xwd_refl *r, const struct xwd_cfg *cfg, uint16_t want)
{
	struct xw_udp_opts o = XW_UDP_OPTS_TEST;
	unsigned int span, start, i;
	int fd = -EADDRINUSE;

	o.dscp = r->s.dscp;
	o.rcvbuf = refl_rcvbuf(cfg);
	o.rx_dst = true; /* the receiving device: route-based IPsec (refl_batch()) */
	if (port_usable(r->d, want)) {
		fd = refl_try(r, want, &o);
		if (!port_retry(fd))
			goto done;
	}
	if (cfg->port_lo) {
		span = (unsigned int)cfg->port_hi - cfg->port_lo + 1;
		start = want >= cfg->port_lo && want <= cfg->port_hi ? want - cfg->port_lo + 1u : 0;
		for (i = 0; i < span; i++) {
			uint16_t p = (uint16_t)(cfg->port_lo + (start + i) % span);

			if (p == want || !port_usable(r->d, p))
				continue;
			fd = refl_try(r, p, &o);
			if (!port_retry(fd))
				goto done;
		}
		fd = -EADDRINUSE;
	} else {
		fd = refl_bind_ephemeral(r, &o);
	}
done:
	if (fd < 0)
		return fd;
	r->fd = fd;
	fd = xw_sock_local(fd, &r->s.local);
	r->s.port = xw_addr_port(&r->s.local);
	return fd;
}

/* Which path answers this session's packets, for the Accept and Start log lines. */
static const char *refl_path(const struct xwd_refl *r, char *buf, size_t len)
{
	const struct xwd_xdp *x = r->d->xdp;

	if (r->s.path == XFRM_PATH_NONE)
		snprintf(buf, len, "none (--require-ipsec: IPsec no longer protects the flow)");
	else if (r->s.path == XFRM_PATH_SOCKET && x)
		snprintf(buf, len,
			 "socket (IPsec applies to the flow: no XDP around the kernel's "
			 "policies)");
	else if (r->xdp && !*xwd_xdp_where(x))
		snprintf(buf, len, "socket (XDP attached nowhere yet)");
	else if (r->xdp_refl && r->tun_ifindex) {
		char ifname[IF_NAMESIZE];

		snprintf(buf, len, "XDP on %s only (in-tunnel device; socket for the rest)",
			 if_indextoname((unsigned int)r->tun_ifindex, ifname) ? ifname : "?");
	} else if (r->xdp_refl)
		snprintf(buf, len, "XDP on %s (socket for packets arriving elsewhere)",
			 xwd_xdp_where(x));
	else if (r->xdp && r->d->xsk)
		snprintf(buf, len, "AF_XDP on %s (socket for packets arriving elsewhere)",
			 xwd_xsk_where(r->d->xsk));
	else if (r->xdp)
		snprintf(buf, len, "socket (authenticated test packets: XDP on %s passes them)",
			 xwd_xdp_where(x));
	else
		snprintf(buf, len, "socket%s", x ? " (no XDP session entry)" : "");
	return buf;
}

/*
 * The session's IPsec path now (xwd_ipsec_path()).  --require-ipsec asks
 * IPsec to protect unauthenticated test packets only (README "IPsec view"):
 * a keyed session whose flow IPsec does not protect may use any path.
 */
static enum xfrm_path refl_ipsec_path(struct xwd_refl *r, const char *who, char *why, size_t whylen)
{
	enum xfrm_path p;

	p = xwd_ipsec_path(r->d, &r->s.local, &r->s.peer, who, &r->tun_ifindex, why, whylen);
	return p == XFRM_PATH_NONE && r->s.tp.mode != XW_TP_OPEN ? XFRM_PATH_ANY : p;
}

/*
 * Whether a BPF entry may serve the session on its path: XDP and AF_XDP run
 * before the kernel's inbound policy and their answers skip the outbound
 * one, so a flow IPsec applies to gets one only on its in-tunnel device,
 * and an AF_XDP one only where that device has AF_XDP sockets (an xfrm
 * interface has tc only); else the socket answers through the policies.
 */
static bool refl_entry_allowed(const struct xwd_refl *r)
{
	if (r->s.path != XFRM_PATH_ANY && r->s.path != XFRM_PATH_TUNNEL)
		return false;
	return r->s.tp.mode == XW_TP_OPEN || !r->tun_ifindex ||
	       xwd_xsk_covers(r->d->xsk, r->tun_ifindex);
}

/* The session's entry in the XDP session table, DISARMED (bpf_shared.h). */
static void refl_xdp_add(struct xwd_refl *r)
{
	struct xwd_xdp_sess_cfg sc = {
		.local = &r->s.local,
		.peer = &r->s.peer,
		.mode = r->s.tp.mode == XW_TP_OPEN ? XW_SESS_UNAUTH : XW_SESS_AUTH_REDIRECT,
		.flags = (uint8_t)((r->s.tp.symmetric ? XW_SESS_F_SYMMETRIC : 0) |
				   (r->s.tp.reflect_len ? XW_SESS_F_REFLECT : 0)),
		.dscp = (uint8_t)r->s.dscp,
		.reflect_len = (uint16_t)r->s.tp.reflect_len,
		.expect_len = (uint32_t)r->s.expect_len,
		.ifindex = r->tun_ifindex,
		.first_seq = r->s.seq,
	};
	int rc;

	/* IPsec applies and no in-tunnel device: no entry, the socket answers */
	if (!r->d->xdp || !refl_entry_allowed(r))
		return;
	rc = xwd_xdp_sess_add(r->d->xdp, &sc);
	if (rc) {
		pr_warn("session %s: no XDP session entry: %s", r->name, strerror(-rc));
		return;
	}
	r->xdp = true;
	r->xdp_refl = sc.mode == XW_SESS_UNAUTH;
	r->n_seq_xdp = sc.first_seq; /* numbered before: not XDP's */
}

/*
 * The session's XDP entry goes (IPsec changed): disarmed first, then the
 * socket continues the Sequence Numbers from the entry's counter.
 */
static void refl_xdp_remove(struct xwd_refl *r)
{
	struct xwd_xdp_sess_stats st;
	uint16_t port = r->s.port;

	xwd_xdp_sess_arm(r->d->xdp, port, false);
	xwd_xdp_sess_stats(r->d->xdp, port, &st);
	if (r->xdp_refl) {
		r->s.seq = (uint32_t)st.next_seq;
		r->xdp_refl_done += st.next_seq - r->n_seq_xdp;
	}
	xwd_xdp_sess_del(r->d->xdp, port);
	r->xdp = r->xdp_refl = false;
	pr_warn("session %s: IPsec: XDP entry removed (XDP reflected %llu in all, passed %llu)",
		r->name, (unsigned long long)r->xdp_refl_done, (unsigned long long)st.passed);
}

/* One session after an xfrm change: its path again, the entry to match. */
static void refl_ipsec_recheck(struct xwd_refl *r)
{
	enum xfrm_path old = r->s.path;
	int old_if = r->tun_ifindex;
	char why[1024], path[160];
	bool want;

	r->s.path = refl_ipsec_path(r, r->name, why, sizeof(why));
	if (r->s.path == old && r->tun_ifindex == old_if)
		return;
	/* a warning when the fast path goes, news when it comes */
	xw_log(r->s.path >= XFRM_PATH_SOCKET ? XW_LOG_WARN : XW_LOG_INFO,
	       "session %s: IPsec changed: test flow %s: %s -> %s", r->name, why,
	       xfrm_path_name(old), xfrm_path_name(r->s.path));
	want = refl_entry_allowed(r);
	/* an entry bound elsewhere, or one that must not be there: gone at once */
	if (r->xdp && (!want || r->tun_ifindex != old_if))
		refl_xdp_remove(r);
	if (!r->xdp && want) {
		refl_xdp_add(r);
		if (r->xdp && r->s.state == XWD_SESS_ARMED)
			xwd_xdp_sess_arm(r->d->xdp, r->s.port, true);
	}
	if (r->s.path == XFRM_PATH_NONE)
		pr_warn("session %s: --require-ipsec and the test flow is not protected by IPsec "
			"any more: stopped (no answers until the session ends)",
			r->name);
	pr_info("session %s: path: %s", r->name, refl_path(r, path, sizeof(path)));
}

static void refl_ipsec_one(struct xwd_sess *s, void *arg)
{
	struct xwd_refl *r = s->owner;

	(void)arg;
	if (r->ipsec_watch)
		refl_ipsec_recheck(r);
}

void xwd_refl_ipsec_changed(struct xwd *d)
{
	xwd_reg_each(&d->reg, XWD_SESS_TWAMP, refl_ipsec_one, NULL);
}

int xwd_refl_open(struct xwd *d, struct xwd_conn *c, struct srv_sess *s,
		  const struct xw_addr *ctl_local, const struct xw_addr *ctl_peer,
		  const char *conn_name)
{
	const struct twsess_params *p = &s->params;
	char la[XW_ADDRSTRLEN], pa[XW_ADDRSTRLEN], path[160];
	struct xwd_refl *r;
	int rc, tpm, dscp;

	tpm = xw_tp_mode_of(s->mode);
	dscp = twsess_typep_dscp(p->type_p);
	if (tpm < 0 || dscp < 0) {
		if (xwd_conn_log_ok(c)) /* the client may repeat it at will */
			pr_warn("control %s: Request-TW-Session with %s: Accept 3", conn_name,
				tpm < 0 ? "no security mode" : "a Type-P that is not a DSCP");
		return XW_ACCEPT_NOT_SUPPORTED;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->s.kind = XWD_SESS_TWAMP;
	r->s.owner = r;
	r->d = d;
	r->conn = c;
	r->fd = -1;
	r->s.dscp = (uint8_t)dscp;
	memcpy(r->sid, s->sid, XW_SID_LEN);
	xw_timer_init(&r->timer, refl_timer, r);
	if (xwd_request_addr(&r->s.local, p->ipvn, p->receiver_addr, ctl_local, 0) ||
	    xwd_request_addr(&r->s.peer, p->ipvn, p->sender_addr, ctl_peer, p->sender_port)) {
		if (xwd_conn_log_ok(c)) /* the client may repeat it at will */
			pr_warn("control %s: Request-TW-Session IPv%u with zero addresses on an "
				"IPv%u connection: Accept 3",
				conn_name, p->ipvn, xw_addr_family(ctl_local) == AF_INET6 ? 6 : 4);
		free(r);
		return XW_ACCEPT_NOT_SUPPORTED;
	}
	{
		/* RFC 4656 6.2 (RFC 5357 6): whom we answer, where we receive */
		const struct pol_cfg pc = {.allow_sender = d->cfg->allow_sender,
					   .nallow = d->cfg->nallow};
		struct pol_req pq;
		char why[256], pfx[64];
		int allowed;

		xwd_pol_addr(&r->s.peer, &pq.sender);
		xwd_pol_addr(&r->s.local, &pq.receiver);
		xwd_pol_addr(ctl_peer, &pq.ctl_peer);
		xwd_pol_addr(ctl_local, &pq.ctl_local);
		rc = pol_session(&pc, &pq, xwd_host_addr, d, &allowed, why, sizeof(why));
		if (rc != XW_ACCEPT_OK) {
			if (xwd_conn_log_ok(c)) /* the client may repeat it at will */
				pr_warn("control %s: Request-TW-Session declined: %s: Accept %d",
					conn_name, why, rc);
			free(r);
			return rc;
		}
		if (allowed >= 0)
			pr_info("control %s: Sender Address %s admitted by --allow-sender %s",
				conn_name, xw_addr_fmt(&r->s.peer, false, pa, sizeof(pa)),
				pol_prefix_fmt(&d->cfg->allow_sender[allowed], pfx, sizeof(pfx)));
	}
	r->s.tp.mode = (enum xw_tp_mode)tpm;
	r->s.tp.padding_len = p->padding_len;
	r->s.tp.reflect_len = (s->mode & XW_MODE_REFLECT_OCT) ? p->pad_to_reflect : 0;
	r->s.tp.symmetric = !!(s->mode & XW_MODE_SYMMETRIC);
	r->s.expect_len = xw_tp_sender_len(&r->s.tp);
	r->reply_len = xw_tp_reflector_len(&r->s.tp, r->s.expect_len);
	if (r->s.expect_len > XW_TP_MAX_LEN || r->reply_len > XW_TP_MAX_LEN) {
		if (xwd_conn_log_ok(c)) /* the client may repeat it at will */
			pr_warn("control %s: Request-TW-Session with padding %u: packets too big: "
				"Accept 3",
				conn_name, p->padding_len);
		free(r);
		return XW_ACCEPT_NOT_SUPPORTED;
	}
	/*
	 * RFC 5357 3.5/3.8: reflect what arrives within Timeout after
	 * Stop-Sessions.  The client chooses it; --max-timeout bounds it, so
	 * that a session cannot hold its socket after Stop for as long as it
	 * likes.  (REFWAIT is another matter: silence while running, 4.2.)
	 */
	r->timeout_ns = ntp_interval_ns(p->timeout);
	if (r->timeout_ns > xwd_s_to_ns(d->cfg->max_timeout)) {
		pr_info("control %s: Request-TW-Session Timeout %.3f s: reflecting at most "
			"--max-timeout %u s after Stop-Sessions",
			conn_name, (double)r->timeout_ns / 1e9, d->cfg->max_timeout);
		r->timeout_ns = xwd_s_to_ns(d->cfg->max_timeout);
	}

	rc = refl_bind(r, d->cfg, p->receiver_port);
	if (rc < 0) {
		int acc = rc == -EADDRINUSE				? XW_ACCEPT_TEMP_LIMIT
			  : rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT ? XW_ACCEPT_NOT_SUPPORTED
									: XW_ACCEPT_INTERNAL;

		if (xwd_conn_log_ok(c)) /* the client may repeat it at will */
			pr_warn("control %s: cannot open a reflector on %s: %s: Accept %d",
				conn_name, xw_addr_fmt(&r->s.local, false, la, sizeof(la)),
				strerror(-rc), acc);
		if (r->fd >= 0)
			close(r->fd);
		free(r);
		return acc;
	}
	if (xw_addr_equal(&r->s.local, &r->s.peer)) {
		/* our answers would come back to us as test packets, forever */
		if (xwd_conn_log_ok(c))
			pr_warn("control %s: Request-TW-Session declined: Sender %s is the "
				"reflector "
				"itself: Accept 1",
				conn_name, xw_addr_fmt(&r->s.peer, true, pa, sizeof(pa)));
		close(r->fd);
		free(r);
		return XW_ACCEPT_FAILURE;
	}
	if (p->receiver_port && r->s.port != p->receiver_port && xwd_conn_log_ok(c))
		pr_info("control %s: requested reflector port %u not available (privileged, "
			"outside --port-range or in use): port %u (RFC 5357 3.5)",
			conn_name, p->receiver_port, r->s.port);
	/* IPsec protection of the test flow: logged, and required with --require-ipsec */
	if (d->xfrm || d->cfg->require_ipsec) {
		char who[XW_ADDRSTRLEN * 2 + 64];

		snprintf(who, sizeof(who), "control %s: session %s<-%s", conn_name,
			 xw_addr_fmt(&r->s.local, true, la, sizeof(la)),
			 xw_addr_fmt(&r->s.peer, true, pa, sizeof(pa)));
		rc = xwd_xfrm_session(d->xfrm, &r->s.local, &r->s.peer, tpm == XW_TP_OPEN,
				      d->cfg->require_ipsec, who);
		if (rc != XW_ACCEPT_OK) {
			close(r->fd);
			free(r);
			return rc;
		}
		/*
		 * Test packets of a flow IPsec applies to: never XDP_TX or AF_XDP
		 * on the outer device, only the in-tunnel device (route-based
		 * IPsec: the reflector goes onto the xfrm interface of the SA) or
		 * the socket; followed for the session's life (README "IPsec
		 * view").  Keyed sessions too: an AF_XDP answer to a packet the
		 * kernel decrypted (generic XDP sees those) would leave in clear.
		 */
		if (d->xfrm) {
			char why[1024];

			r->ipsec_watch = true;
			r->s.path = refl_ipsec_path(r, who, why, sizeof(why));
		}
	}
	if (s->has_keys) {
		rc = xw_tp_crypto_init(&r->s.crypto, &s->keys);
		if (rc)
			goto fail;
	}
	rc = refl_bufs_fit(d, r->s.expect_len + 1, r->reply_len);
	if (rc)
		goto fail;
	rc = xw_loop_add(&d->loop, &r->io, r->fd, EPOLLIN, refl_event, r);
	if (rc)
		goto fail;
	snprintf(r->name, sizeof(r->name), "%02x%02x%02x%02x%02x%02x%02x%02x %s<-%s", r->sid[0],
		 r->sid[1], r->sid[2], r->sid[3], r->sid[8], r->sid[9], r->sid[10], r->sid[11],
		 xw_addr_fmt(&r->s.local, true, la, sizeof(la)),
		 xw_addr_fmt(&r->s.peer, true, pa, sizeof(pa)));
	rc = xwd_reg_add(&d->reg, &r->s);
	if (rc) {
		xw_loop_del(&d->loop, &r->io);
		goto fail;
	}
	s->port = r->s.port;
	s->user = r;
	if (d->steer) {
		/* not fatal: the session's own socket reads what is not steered */
		rc = xwd_steer_add(d->steer, &r->s.local);
		if (rc)
			pr_info("session %s: read from its own socket (not steered: %s)", r->name,
				strerror(-rc));
		r->steered = !rc;
	}
	refl_xdp_add(r);
	/* a session that is never started must not hold its port forever */
	xw_timer_arm(&d->loop, &r->timer, xwd_s_to_ns(d->cfg->start_timeout));
	pr_info("control %s: session %s accepted (%s, %zu-octet packets, DSCP %d), path: %s",
		conn_name, r->name,
		tpm == XW_TP_OPEN   ? "open"
		: tpm == XW_TP_AUTH ? "auth"
				    : "encrypted",
		r->s.expect_len, r->s.dscp, refl_path(r, path, sizeof(path)));
	return XW_ACCEPT_OK;
fail:
	pr_err("control %s: reflector setup failed: %s: Accept 2", conn_name, strerror(-rc));
	xw_tp_crypto_free(&r->s.crypto);
	close(r->fd);
	free(r);
	return XW_ACCEPT_INTERNAL;
}

int xwd_refl_start(struct xwd_refl *r)
{
	char path[160];

	r->s.state = XWD_SESS_ARMED;
	r->s.last_rx_ns = xw_now_ns();
	xw_timer_cancel(&r->d->loop, &r->timer); /* the start timeout */
	if (r->d->cfg->refwait)
		xw_timer_arm(&r->d->loop, &r->timer, xwd_s_to_ns(r->d->cfg->refwait));
	if (r->xdp)
		xwd_xdp_sess_arm(r->d->xdp, r->s.port, true);
	pr_info("session %s: started, path: %s", r->name, refl_path(r, path, sizeof(path)));
	return XW_ACCEPT_OK;
}

void xwd_refl_end(struct xwd_refl *r, enum srv_end why)
{
	r->conn = NULL;
	/* Stop: XDP passes from now on; the socket answers during the Timeout */
	if (r->xdp)
		xwd_xdp_sess_arm(r->d->xdp, r->s.port, false);
	if (why == SRV_END_STOP && r->s.state == XWD_SESS_ARMED && r->timeout_ns) {
		/* RFC 5357 3.8/4.2: answer packets still in flight for Timeout, then stop */
		r->s.state = XWD_SESS_DRAIN;
		r->s.drain_until = xw_now_ns() + r->timeout_ns;
		xw_timer_arm_at(&r->d->loop, &r->timer, r->s.drain_until);
		return;
	}
	refl_free(r, why == SRV_END_STOP	? "stopped"
		     : why == SRV_END_REFWAIT	? "REFWAIT expired"
		     : why == SRV_END_UNSTARTED ? "not started in time"
		     : why == SRV_END_REFUSED	? "refused"
						: "control connection closed");
}

static void refl_free_one(struct xwd_sess *s, void *arg)
{
	refl_free(s->owner, arg);
}

/*
 * The shared sockets into the loop (steer.h): from now on every session's
 * datagrams are read there.  0 or -errno.
 */
int xwd_refl_steer_start(struct xwd *d)
{
	int i, rc;

	if (!d->steer)
		return 0;
	/* datagrams may come before the first session: buffers for them */
	rc = refl_bufs_fit(d, 1, 1);
	for (i = 0; i < 2 && !rc; i++)
		if (xwd_steer_fd(d->steer, i) >= 0)
			rc = xw_loop_add(&d->loop, &d->steer_io[i], xwd_steer_fd(d->steer, i),
					 EPOLLIN, steer_event, d);
	if (!rc)
		pr_info("socket path: the datagrams of every session are read from one socket "
			"per address family (sk_lookup)");
	return rc;
}

void xwd_refl_free_all(struct xwd *d)
{
	xw_loop_del(&d->loop, &d->steer_io[0]);
	xw_loop_del(&d->loop, &d->steer_io[1]);
	xwd_reg_each(&d->reg, XWD_SESS_TWAMP, refl_free_one, "shutdown");
	refl_bufs_free(d->refl_bufs);
	d->refl_bufs = NULL;
}

static void refl_status_one(struct xwd_sess *s, void *arg)
{
	static const char *const names[] = {"accepted", "running", "draining"};

	(void)arg;
	refl_status_line(s->owner, names[s->state]);
}

void xwd_refl_status(struct xwd *d)
{
	if (d->steer)
		pr_info("socket path: sk_lookup: %llu datagrams read from the shared sockets, %llu "
			"of no session (dropped)",
			(unsigned long long)d->steer_rx, (unsigned long long)d->steer_foreign);
	else
		pr_info("socket path: each session's datagrams read from its own socket");
	xwd_reg_each(&d->reg, XWD_SESS_TWAMP, refl_status_one, NULL);
}

/* xwd_refl_metrics(): sessions by mode and path, socket counters summed */
struct refl_metrics {
	unsigned int n[3][3];
	struct xwd_cnt sum;
};

static void refl_metrics_one(struct xwd_sess *s, void *arg)
{
	const struct xwd_refl *r = s->owner;
	struct refl_metrics *M = arg;
	int i, m, p;

	m = s->tp.mode == XW_TP_ENC ? 2 : s->tp.mode == XW_TP_AUTH ? 1 : 0;
	p = r->xdp_refl ? 0 : (s->xsk.rx || r->d->xsk) && s->tp.mode != XW_TP_OPEN ? 1 : 2;
	M->n[m][p]++;
	M->sum.rx += s->sock.rx;
	M->sum.reflected += s->sock.reflected;
	for (i = 0; i < XWD_DROP_MAX; i++)
		M->sum.drop[i] += s->sock.drop[i];
}

/*
 * Prometheus (--metrics): the sessions by mode and path, the socket path's
 * packet counters (ended sessions included) and its drops per reason.  The
 * XDP program's own counters come from xwd_xdp_metrics().
 */
void xwd_refl_metrics(struct xwd *d, FILE *f)
{
	static const char *const modes[] = {"open", "authenticated", "encrypted"};
	static const char *const paths[] = {"xdp", "af_xdp", "socket"};
	struct refl_metrics M = {.sum = d->refl_done};
	int i, m, p;

	xwd_reg_each(&d->reg, XWD_SESS_TWAMP, refl_metrics_one, &M);
	xw_prom_help(f, "xwampd_reflector_sessions", "gauge",
		     "TWAMP-Test sessions (accepted, running or draining) by security mode and "
		     "the path that answers them");
	for (m = 0; m < 3; m++)
		for (p = 0; p < 3; p++)
			fprintf(f, "xwampd_reflector_sessions{mode=\"%s\",path=\"%s\"} %u\n",
				modes[m], paths[p], M.n[m][p]);
	xw_prom_help(f, "xwampd_socket_packets_received_total", "counter",
		     "test packets that reached a session's UDP socket");
	fprintf(f, "xwampd_socket_packets_received_total %llu\n", (unsigned long long)M.sum.rx);
	xw_prom_help(f, "xwampd_socket_packets_reflected_total", "counter",
		     "test packets answered from a session's UDP socket");
	fprintf(f, "xwampd_socket_packets_reflected_total %llu\n",
		(unsigned long long)M.sum.reflected);
	xw_prom_help(f, "xwampd_socket_packets_steered_total", "counter",
		     "test packets read from the shared sockets the sk_lookup program steers every "
		     "session's to (the rest: the sessions' own sockets)");
	fprintf(f, "xwampd_socket_packets_steered_total %llu\n", (unsigned long long)d->steer_rx);
	xw_prom_help(f, "xwampd_socket_packets_no_session_total", "counter",
		     "datagrams on the shared sockets for no session (dropped)");
	fprintf(f, "xwampd_socket_packets_no_session_total %llu\n",
		(unsigned long long)d->steer_foreign);
	xw_prom_help(f, "xwampd_socket_packets_dropped_total", "counter",
		     "test packets a session's UDP socket did not answer, by reason");
	for (i = 0; i < XWD_DROP_MAX; i++)
		fprintf(f, "xwampd_socket_packets_dropped_total{reason=\"%s\"} %llu\n",
			xwd_drop_name((enum xwd_drop)i), (unsigned long long)M.sum.drop[i]);
}
