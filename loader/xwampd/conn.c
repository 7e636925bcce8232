// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP-Control connections: accept, limits, one control/srv.h state machine
 * per connection, its output flushed to the socket, its deadlines turned
 * into loop timers, its callbacks turned into reflector sessions (refl.c).
 *
 * Refusing a connection over a limit: a Server Greeting with Modes 0, then
 * close.  RFC 4656 3.1 (used by RFC 5357 3.1): "If the Modes value is zero,
 * the server does not wish to communicate with the client and MAY close the
 * connection immediately"; the client SHOULD then close too.  This tells
 * the client why, unlike a bare close (which looks like a crash), and costs
 * one 64-octet write and no state, unlike a Server-Start with Accept 5,
 * which would require holding the slot until the client's Set-Up-Response
 * arrives: exactly what a flood or a slowloris must not get.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "keywork.h"
#include "xfrm.h"
#include "log.h"
#include "xwamp/wire.h"
#include "owsess.h"
#include "xwampd.h"

#define CONN_LINGER_S  5 /* time to flush a last message before closing anyway */
#define CONN_RX_CHUNK  4096
/*
 * Queued output beyond which a connection is not read any more: a client
 * that sends commands and never reads the answers (a refused
 * Request-TW-Session is 112 octets in, 48 out) must not grow our memory.
 * 4 KiB is 85 Accept-Sessions; one read of CONN_RX_CHUNK adds at most
 * 6 KiB more (a 48-octet answer per 32-octet command), so the queue stays
 * under 10 KiB.  Reading resumes as soon as the client has read enough.
 */
#define CONN_TX_MAX    4096
/*
 * Output sent per wakeup at most, so that a client reading a long
 * Fetch-Session answer fast does not keep the others waiting.
 */
#define CONN_FLUSH_MAX (256u << 10)
/* Reading paused for the client and nothing of ours sent for this long: close. */
#define CONN_STALL_S   30

struct xwd_conn {
	struct xwd *d;
	struct xwd_conn *next, *prev;
	uint64_t id;
	int fd;
	struct xw_io io;
	uint32_t events;
	struct xw_addr peer, local;
	char name[XW_ADDRSTRLEN + 24]; /* "#3 192.0.2.1:40000" */
	struct srv *sm;
	enum srv_proto proto; /* the listener's: TWAMP or OWAMP commands */
	struct xw_timer timer;
	uint64_t setup_deadline; /* monotonic ns, while waiting for Set-Up-Response */
	uint64_t linger_deadline;
	bool lingering;
	bool rx_paused;		 /* more than CONN_TX_MAX queued: not reading */
	bool paused_once;	 /* the pause was logged */
	uint64_t stall_deadline; /* monotonic ns, while rx_paused */
	/* the key step running for us in the key worker (keywork.h) */
	struct xwd_keyjob *keyjob;
};

/* --- the state machine's callbacks ----------------------------------------- */

static bool conn_update(struct xwd_conn *c);

bool xwd_conn_log_ok(struct xwd_conn *c)
{
	return srv_log_ok(c->sm, xw_clock_now_ns());
}

static void conn_key_done(void *owner, struct srv_key_res *res)
{
	struct xwd_conn *c = owner;

	c->keyjob = NULL;
	srv_key_done(c->sm, res, xw_clock_now_ns());
	conn_update(c);
}

/* IPsec SA profile, --sa-socket: the pair the greeting names, found by the key worker. */
static void conn_sa_done(void *owner, int rc, uint32_t proto, uint32_t spi_i, uint32_t spi_r)
{
	struct xwd_conn *c = owner;

	c->keyjob = NULL;
	if (rc)
		pr_warn("control %s: IPsec SA profile: %s, closing", c->name,
			rc == -ENOENT ? "no SA pair protects it (charon knows none)"
				      : strerror(rc < 0 ? -rc : EAGAIN));
	else
		pr_info("control %s: IPsec SA profile: the greeting names protocol %u SPIi "
			"0x%08x SPIr 0x%08x",
			c->name, proto, spi_i, spi_r);
	srv_sa_named(c->sm, rc, proto, spi_i, spi_r, xw_clock_now_ns());
	conn_update(c);
}

/* Set-Up-Response: the key look-up and PBKDF2 go to the key worker, never in the loop. */
static int cb_key_start(void *arg, const struct srv_key_req *req)
{
	struct xwd_conn *c = arg;

	if (!c->d->keywork)
		return XW_ACCEPT_INTERNAL;
	return xwd_keywork_submit(c->d->keywork, req, c->name, conn_key_done, c, &c->keyjob);
}

static int cb_sess_request(void *arg, struct srv_sess *s, uint64_t now_ns)
{
	struct xwd_conn *c = arg;

	if (c->proto == SRV_PROTO_OWAMP)
		return c->d->shutting_down ? XW_ACCEPT_TEMP_LIMIT
					   : xwd_ows_open(c->d, c, s, &c->local, &c->peer, c->name,
							  xwd_conn_log_ok(c));

	const struct xwd_cfg *cfg = c->d->cfg;

	if (c->d->shutting_down)
		return XW_ACCEPT_TEMP_LIMIT;
	/*
	 * Not only per connection: max-conns x max-sessions would be thousands
	 * of sockets.  Accept 5 (RFC 4656 3.3, temporary resource limitation):
	 * the sessions of others end, and the request may succeed then.
	 */
	if (cfg->max_sessions_total && xwd_twamp_sessions(c->d) >= cfg->max_sessions_total) {
		if (xwd_conn_log_ok(c)) /* the client may repeat it at will */
			pr_warn("control %s: Request-TW-Session: %u reflector sessions on this "
				"server "
				"(--max-sessions-total): Accept 5",
				c->name, xwd_twamp_sessions(c->d));
		return XW_ACCEPT_TEMP_LIMIT;
	}
	return xwd_refl_open(c->d, c, s, &c->local, &c->peer, c->name);
}

static int cb_sess_start(void *arg, struct srv_sess *s, uint64_t now_ns)
{
	struct xwd_conn *c = arg;

	if (!s->user)
		return XW_ACCEPT_INTERNAL;
	if (c->proto == SRV_PROTO_OWAMP)
		return xwd_ows_start(s->user, s);
	return xwd_refl_start(s->user);
}

static void cb_sess_end(void *arg, struct srv_sess *s, enum srv_end why, uint64_t now_ns)
{
	struct xwd_conn *c = arg;

	if (s->user && c->proto == SRV_PROTO_OWAMP)
		xwd_ows_end(s->user, s, why);
	else if (s->user)
		xwd_refl_end(s->user, why);
	s->user = NULL;
}

/* OWAMP Stop-Sessions: what our send session did (RFC 4656 3.8). */
static int cb_ow_sent(void *arg, struct srv_sess *s, uint32_t *next_seqno,
		      struct codec_ow_skip *skips, uint32_t *nskips)
{
	if (!s->user)
		return -ENOENT;
	xwd_ows_sent(s->user, next_seqno, skips, nskips);
	return 0;
}

/* OWAMP Fetch-Session: from the daemon's store, whichever connection made the data. */
static int cb_ow_fetch(void *arg, const struct codec_fetch_session *f, struct ow_fetch *out,
		       uint64_t now_ns)
{
	struct xwd_conn *c = arg;

	ow_store_expire(c->d->owstore, now_ns);
	/* the records follow as the client reads them (srv_fetching) */
	return ow_store_fetch_stream(c->d->owstore, f, out);
}

static void cb_closed(void *arg, enum srv_close why)
{
	struct xwd_conn *c = arg;

	/* the state machine logged the reason already */
	pr_debug("control %s: state machine closed (%s)", c->name, srv_close_name(why));
}

static const struct srv_ops conn_ops = {
	.key_start = cb_key_start,
	.sess_request = cb_sess_request,
	.sess_start = cb_sess_start,
	.sess_end = cb_sess_end,
	.closed = cb_closed,
	.ow_sent = cb_ow_sent,
	.ow_fetch = cb_ow_fetch,
};

/* --- connection life ------------------------------------------------------- */

static void conn_free(struct xwd_conn *c)
{
	struct xwd *d = c->d;

	xw_timer_cancel(&d->loop, &c->timer);
	xw_loop_del(&d->loop, &c->io);
	if (c->keyjob)
		xwd_keywork_cancel(d->keywork, c->keyjob);
	/* ends every session it still holds (refl.c frees them) */
	srv_free(c->sm);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	d->nconns--;
	pr_debug("control %s: freed (%u connections left)", c->name, d->nconns);
	free(c);
}

/* Send what the state machine queued.  0, or -errno when the socket failed. */
static int conn_flush(struct xwd_conn *c)
{
	const uint8_t *p;
	size_t n, sent = 0;

	while (sent < CONN_FLUSH_MAX && (p = srv_out_peek(c->sm, &n)) && n) {
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		srv_out_consume(c->sm, (size_t)k);
		sent += (size_t)k;
		if (k > 0)
			c->stall_deadline = xw_now_ns() + xwd_s_to_ns(CONN_STALL_S);
	}
	return 0;
}

/* Whether to read more now: not with too much of our output still queued. */
static bool conn_may_read(const struct xwd_conn *c)
{
	/* while a Fetch-Session answer streams, commands wait for its end */
	return !srv_closed(c->sm) && !srv_fetching(c->sm) && srv_out_pending(c->sm) <= CONN_TX_MAX;
}

/*
 * After anything happened to the state machine: flush, then close or set
 * the events and the one timer (the earliest of setup timeout, SERVWAIT,
 * linger).  Frees c when the connection is over; returns false then.
 */
static bool conn_update(struct xwd_conn *c)
{
	struct xwd *d = c->d;
	uint64_t now_mono = xw_now_ns(), now_wall, dl, deadline = UINT64_MAX;
	uint32_t ev;
	int rc;

	rc = conn_flush(c);
	if (rc) {
		pr_info("control %s: send: %s", c->name, strerror(-rc));
		srv_eof(c->sm, xw_clock_now_ns());
		conn_free(c);
		return false;
	}
	if (srv_closed(c->sm)) {
		if (!srv_out_pending(c->sm)) {
			conn_free(c);
			return false;
		}
		/* a last message (e.g. Server-Start with Accept 1) is still queued */
		if (!c->lingering) {
			c->lingering = true;
			c->linger_deadline = now_mono + xwd_s_to_ns(CONN_LINGER_S);
		}
		deadline = c->linger_deadline;
		ev = EPOLLOUT;
	} else {
		bool paused = !conn_may_read(c);

		if (paused && !c->rx_paused) {
			/* once per connection: a slow reader may pause it again and again */
			if (!c->paused_once && !srv_fetching(c->sm))
				pr_warn("control %s: client does not read our answers (%zu octets "
					"queued): not reading from it until it does",
					c->name, srv_out_pending(c->sm));
			c->paused_once = !srv_fetching(c->sm);
			c->stall_deadline = now_mono + xwd_s_to_ns(CONN_STALL_S);
		}
		c->rx_paused = paused;
		ev = (paused ? 0 : EPOLLIN) | (srv_out_pending(c->sm) ? EPOLLOUT : 0);
		if (srv_state(c->sm) == SRV_WAIT_SETUP || srv_state(c->sm) == SRV_WAIT_KEY ||
		    srv_state(c->sm) == SRV_WAIT_SA)
			deadline = c->setup_deadline;
		if (paused && c->stall_deadline < deadline)
			deadline = c->stall_deadline;
		dl = srv_deadline_ns(c->sm);
		if (dl != UINT64_MAX) {
			/* the machine's deadlines are wall clock; the loop's are monotonic */
			now_wall = xw_clock_now_ns();
			dl = dl > now_wall ? now_mono + (dl - now_wall) : now_mono;
			if (dl < deadline)
				deadline = dl;
		}
	}
	if (ev != c->events && !xw_loop_mod(&d->loop, &c->io, ev))
		c->events = ev;
	if (deadline == UINT64_MAX)
		xw_timer_cancel(&d->loop, &c->timer);
	else if (!xw_timer_armed(&c->timer) || c->timer.deadline != deadline)
		xw_timer_arm_at(&d->loop, &c->timer, deadline);
	return true;
}

static void conn_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_conn *c = io->arg;
	uint8_t buf[CONN_RX_CHUNK];
	int i;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && conn_may_read(c)) {
		/* a bounded amount per wakeup, so one busy client cannot starve others */
		for (i = 0; i < 4 && conn_may_read(c); i++) {
			ssize_t k = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (k > 0) {
				srv_feed(c->sm, buf, (size_t)k, xw_clock_now_ns());
				if ((size_t)k < sizeof(buf))
					break;
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				pr_info("control %s: recv: %s", c->name, strerror(errno));
			srv_eof(c->sm, xw_clock_now_ns());
			break;
		}
	} else if ((events & (EPOLLHUP | EPOLLERR)) && srv_closed(c->sm)) {
		/* could not flush the last message: give up on it */
		conn_free(c);
		return;
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		/* reading is paused and the connection failed: nothing will be read */
		srv_eof(c->sm, xw_clock_now_ns());
	}
	conn_update(c);
}

static void conn_timer(struct xw_loop *l, struct xw_timer *t)
{
	struct xwd_conn *c = t->arg;
	uint64_t now = xw_now_ns();

	if (c->lingering) {
		if (now >= c->linger_deadline) {
			pr_info("control %s: peer does not read: closing", c->name);
			conn_free(c);
			return;
		}
	} else if (c->rx_paused && now >= c->stall_deadline) {
		pr_warn("control %s: client read none of our answers for %u s: closing", c->name,
			CONN_STALL_S);
		/* no lingering: what is queued would never be read either */
		srv_close(c->sm, xw_clock_now_ns());
		conn_free(c);
		return;
	} else if (srv_state(c->sm) == SRV_WAIT_SETUP && now >= c->setup_deadline) {
		/* a client that stalls before Server-Start must not hold a slot */
		pr_warn("control %s: no complete Set-Up-Response within %u s: closing", c->name,
			c->d->cfg->setup_timeout);
		srv_close(c->sm, xw_clock_now_ns());
	} else if ((srv_state(c->sm) == SRV_WAIT_KEY || srv_state(c->sm) == SRV_WAIT_SA) &&
		   now >= c->setup_deadline) {
		/* the key sources or the worker's queue are too slow: same bound */
		pr_warn("control %s: key look-up not done within %u s of connecting: closing",
			c->name, c->d->cfg->setup_timeout);
		srv_close(c->sm, xw_clock_now_ns());
	} else {
		srv_timeout(c->sm, xw_clock_now_ns());
	}
	conn_update(c);
}

int xwd_conn_refwait(struct xwd_conn *c, const uint8_t sid[XW_SID_LEN])
{
	int rc = srv_sess_expired(c->sm, sid, xw_clock_now_ns());

	/* a machine with no active session resumes SERVWAIT: re-arm the timer */
	conn_update(c);
	return rc;
}

int xwd_conn_unstarted(struct xwd_conn *c, const uint8_t sid[XW_SID_LEN])
{
	int rc = srv_sess_unstarted_expired(c->sm, sid, xw_clock_now_ns());

	conn_update(c);
	return rc;
}

/* --- accepting ------------------------------------------------------------- */

/* The refusal: Server Greeting with Modes 0 (see the top of this file). */
/*
 * The first four octets of the SIDs this connection makes (RFC 4656 3.5): an
 * IPv4 address of this machine, the connection's own when it is IPv4; for
 * an IPv6 connection any non-loopback IPv4 address the machine has (SHOULD,
 * "even if all communication is IPv6-based"), else the last four octets of
 * the IPv6 address (MAY).
 */
static void sid_addr(const struct xw_addr *local, uint8_t out[4])
{
	struct ifaddrs *ifa, *i;

	if (xw_addr_family(local) == AF_INET) {
		memcpy(out, &local->in.sin_addr, 4);
		return;
	}
	memcpy(out, local->in6.sin6_addr.s6_addr + 12, 4);
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;

		if (!sin || sin->sin_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		memcpy(out, &sin->sin_addr, 4);
		break;
	}
	freeifaddrs(ifa);
}

static void conn_refuse(struct xwd *d, int fd, const struct xw_addr *peer, const char *why)
{
	uint8_t g[XW_GREETING_LEN];
	char a[XW_ADDRSTRLEN];
	ssize_t k;

	memset(g, 0, sizeof(g));
	put_be32(g + 12, 0);	/* Modes: none */
	put_be32(g + 48, 1024); /* Count: any valid value */
	k = send(fd, g, sizeof(g), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)k;
	close(fd);
	if (xw_rl_ok(&d->rl_accept, "refused connections"))
		pr_warn("control %s: refused: %s (greeting with Modes 0)",
			xw_addr_fmt(peer, true, a, sizeof(a)), why);
}

static unsigned int conns_from(struct xwd *d, const struct xw_addr *peer)
{
	struct xwd_conn *c;
	unsigned int n = 0;

	struct pol_addr a, b;

	/* an IPv6 client counts as its /64 (pol_same_client) */
	xwd_pol_addr(peer, &a);
	for (c = d->conns; c; c = c->next) {
		xwd_pol_addr(&c->peer, &b);
		if (pol_same_client(&a, &b))
			n++;
	}
	return n;
}

/*
 * The log rate limiter of a client: by its IPv4 address or IPv6 /64, the
 * host as --max-conns-per-client counts it, so that opening more
 * connections does not buy more log lines.  Two clients whose addresses
 * hash alike share one; that costs only log lines.
 */
static struct xw_ratelimit *client_rl(struct xwd *d, const struct xw_addr *peer)
{
	const uint8_t *p = (const uint8_t *)&peer->in.sin_addr;
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t n = 4;

	if (xw_addr_family(peer) == AF_INET6) {
		p = peer->in6.sin6_addr.s6_addr;
		n = 8;
	}
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return &d->rl_client[h % XWD_RL_CLIENTS];
}

static void conn_new(struct xwd *d, int fd, const struct xw_addr *peer, enum srv_proto proto)
{
	const struct xwd_cfg *cfg = d->cfg;
	char a[XW_ADDRSTRLEN];
	struct srv_cfg sc;
	struct xwd_conn *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (!c) {
		conn_refuse(d, fd, peer, "out of memory");
		return;
	}
	c->d = d;
	c->fd = fd;
	c->peer = *peer;
	c->proto = proto;
	c->id = ++d->next_conn_id;
	d->conns_total++;
	xw_timer_init(&c->timer, conn_timer, c);
	if (xw_sock_local(fd, &c->local))
		xw_addr_any(&c->local, xw_addr_family(peer), 0);
	/* RFC 5357 3.1: answer with the DSCP the client chose for its SYN */
	rc = xw_tcp_rcv_dscp(fd, xw_addr_family(&c->local));
	if (rc > 0)
		xw_sock_set_dscp(fd, xw_addr_family(&c->local), rc);
	snprintf(c->name, sizeof(c->name), "#%llu %s", (unsigned long long)c->id,
		 xw_addr_fmt(peer, true, a, sizeof(a)));

	memset(&sc, 0, sizeof(sc));
	sc.modes = cfg->modes;
	sc.count = cfg->count;
	sc.start_time = d->start_ntp;
	sc.max_sessions = cfg->max_sessions;
	sc.servwait_ns = xwd_s_to_ns(cfg->servwait);
	sid_addr(&c->local, sc.sid_addr);
	sc.peer = c->name;
	sc.proto = proto;
	sc.ow_max_slots = cfg->ow_max_slots;
	/* RFC 4656 3, 3.8: no Stop-Sessions REFWAIT after the sessions are complete: close */
	sc.ow_stopwait_ns = xwd_s_to_ns(cfg->refwait);
	if (proto == SRV_PROTO_OWAMP && !cfg->ow_ikev2)
		/* RFC 7717 3: the bit is a private arrangement for OWAMP: only on request */
		sc.modes &= ~(uint32_t)XW_MODE_IKEV2_DERIV;
	sc.log_rl = client_rl(d, peer);
	sc.accept_stats = &d->accepts;
	sc.sa_root = cfg->sa_root;
	if (cfg->sa_variant && cfg->sa_socket) {
		/* the charon plugin may stall: the key worker finds the pair, then the greeting */
		sc.sa_variant = cfg->sa_variant;
		sc.sa_later = true;
		sc.modes &= ~(uint32_t)XW_MODE_IKEV2_DERIV;
	} else if (cfg->sa_variant) {
		/* IPsec SA profile: the greeting names the SA pair of this connection */
		rc = xwd_xfrm_sa_pair(d->xfrm, &c->local, peer, &sc.sa_proto, &sc.sa_spi_i,
				      &sc.sa_spi_r);
		if (rc) {
			pr_warn("control %s: IPsec SA profile: %s, closing", c->name,
				rc == -EAGAIN ? "the IPsec state is not read yet"
					      : "no IPsec SA pair with integrity protects it");
			free(c);
			conn_refuse(d, fd, peer, "no IPsec SA pair");
			return;
		}
		sc.sa_variant = cfg->sa_variant;
		sc.modes &= ~(uint32_t)XW_MODE_IKEV2_DERIV;
	}
	c->sm = srv_new(&sc, &conn_ops, c, xw_clock_now_ns());
	if (!c->sm) {
		free(c);
		conn_refuse(d, fd, peer, "cannot create the control state machine");
		return;
	}
	c->events = EPOLLIN | EPOLLOUT;
	rc = xw_loop_add(&d->loop, &c->io, fd, c->events, conn_event, c);
	if (rc) {
		pr_err("control %s: epoll: %s", c->name, strerror(-rc));
		srv_free(c->sm);
		free(c);
		close(fd);
		return;
	}
	c->setup_deadline = xw_now_ns() + xwd_s_to_ns(cfg->setup_timeout);
	c->next = d->conns;
	if (d->conns)
		d->conns->prev = c;
	d->conns = c;
	d->nconns++;
	pr_info("control %s: connected to %s (%u connections)", c->name,
		xw_addr_fmt(&c->local, true, a, sizeof(a)), d->nconns);
	if (srv_state(c->sm) == SRV_WAIT_SA) {
		rc = d->keywork ? xwd_keywork_submit_sa(d->keywork, peer, c->name, conn_sa_done, c,
							&c->keyjob)
				: -EINVAL;
		if (rc) {
			pr_warn("control %s: IPsec SA profile: cannot look the SA pair up (%s), "
				"closing",
				c->name, rc > 0 ? "key worker busy" : strerror(-rc));
			srv_sa_named(c->sm, rc, 0, 0, 0, xw_clock_now_ns());
		}
	}
	conn_update(c);
}

void xwd_listener_resume(struct xw_loop *l, struct xw_timer *t)
{
	struct xwd_listener *ls = t->arg;

	xw_loop_mod(l, &ls->io, EPOLLIN);
}

void xwd_listener_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_listener *ls = io->arg;
	struct xwd *d = ls->d;
	const struct xwd_cfg *cfg = d->cfg;
	struct xw_addr peer;
	int i, fd;

	for (i = 0; i < 64; i++) {
		fd = xw_tcp_accept(ls->fd, &peer);
		if (fd == -EAGAIN || fd == -ECONNABORTED || fd == -EINTR)
			break;
		if (fd < 0) {
			char a[XW_ADDRSTRLEN];

			/* out of descriptors or memory: pause this listener for a second */
			if (xw_rl_ok(&d->rl_accept, "accept errors"))
				pr_err("listen %s: accept: %s: pausing for 1 s",
				       xw_addr_fmt(&ls->addr, true, a, sizeof(a)), strerror(-fd));
			xw_loop_mod(l, &ls->io, 0);
			xw_timer_arm(l, &ls->resume, XW_NS_PER_SEC);
			break;
		}
		if (d->shutting_down)
			conn_refuse(d, fd, &peer, "shutting down");
		else if (cfg->max_conns && d->nconns >= cfg->max_conns)
			conn_refuse(d, fd, &peer, "too many control connections");
		else if (cfg->max_conns_per_client &&
			 conns_from(d, &peer) >= cfg->max_conns_per_client)
			conn_refuse(d, fd, &peer, "too many control connections from this client");
		else
			conn_new(d, fd, &peer, ls->proto);
	}
}

void xwd_conn_close_all(struct xwd *d)
{
	uint64_t now = xw_clock_now_ns();

	while (d->conns) {
		struct xwd_conn *c = d->conns;

		if (!srv_closed(c->sm))
			srv_close(c->sm, now);
		/* best effort: whatever was already queued */
		conn_flush(c);
		conn_free(c);
	}
}

void xwd_conn_status(struct xwd *d)
{
	struct xwd_conn *c;

	pr_info("status: %u control connections, %u reflector sessions", d->nconns,
		xwd_twamp_sessions(d));
	for (c = d->conns; c; c = c->next)
		pr_info("control %s: %s, mode %u, %u sessions (%u started)", c->name,
			srv_state_name(srv_state(c->sm)), srv_mode(c->sm), srv_nsessions(c->sm),
			srv_nactive(c->sm));
}
