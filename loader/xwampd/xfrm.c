// SPDX-License-Identifier: GPL-2.0-only
/*
 * xfrm netlink sockets of xwampd (see xfrm.h): the dump socket and the
 * event socket, both nonblocking in the epoll loop, feeding control/xfrm_view.h.
 *
 * Ordering: the event socket subscribes BEFORE the dump is requested, so
 * nothing that happens during the dump is missed; an event for an SA that
 * the dump also returns just replaces it.  If the event socket's queue
 * overflows (recv() fails with ENOBUFS), events were lost: the view is
 * resynchronised with a new dump, and entries the new dump does not
 * contain are swept (xfrm_view_sweep_*()).
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "xfrm.h"
#include "xwamp/proto.h"

#define XFRM_RX_BUF (64 * 1024)
/* the kernel's dump chunks and events are far smaller; a bigger queue avoids
 * ENOBUFS */
#define XFRM_RCVBUF (1 << 20)

enum dump_state {
	DUMP_IDLE,
	DUMP_SA,
	DUMP_POL,
};

struct xwd_xfrm {
	struct xw_loop *loop;
	struct xfrm_view view;
	int ev_fd, dump_fd;
	struct xw_io ev_io, dump_io;
	enum dump_state dump;
	uint32_t dump_seq, dump_gen;
	bool ready;	 /* the first full dump is in */
	bool resync_due; /* events were lost while a dump ran: dump again after it */
	bool stop_when_ready;
	bool changed; /* SAs or policies changed since the last change_fn call */
	void (*change_fn)(void *arg);
	void *change_arg;
	uint8_t *buf;
};

/* --- logging the view's events
 * -------------------------------------------------- */

static void on_event(void *arg, const struct xfrm_event *ev)
{
	struct xwd_xfrm *x = arg;
	char line[768];
	/* the initial dump is summarised in one line, not one per SA */
	bool quiet = x->dump != DUMP_IDLE && !x->ready;

	if (ev->type != XFRM_EV_DUMP_DONE && ev->type != XFRM_EV_NL_ERROR)
		x->changed = true;
	switch (ev->type) {
	case XFRM_EV_SA_NEW:
		if (quiet)
			pr_debug("xfrm: SA %s", xfrm_sa_fmt(ev->sa, line, sizeof(line)));
		else
			pr_info("xfrm: SA added: %s", xfrm_sa_fmt(ev->sa, line, sizeof(line)));
		break;
	case XFRM_EV_SA_REKEY:
		pr_info("xfrm: rekey: SA spi 0x%08x replaces spi 0x%08x: %s", ev->sa->spi,
			ev->old_spi, xfrm_sa_fmt(ev->sa, line, sizeof(line)));
		break;
	case XFRM_EV_SA_REPLACED:
		/* a re-dump refreshes every SA: only events say something new */
		if (x->dump == DUMP_IDLE)
			pr_info("xfrm: rekey: SA replaced in place (same spi, new keys or "
				"lifetimes): "
				"%s",
				xfrm_sa_fmt(ev->sa, line, sizeof(line)));
		break;
	case XFRM_EV_SA_DELETED:
		pr_info("xfrm: SA deleted: %s", xfrm_sa_fmt(ev->sa, line, sizeof(line)));
		break;
	case XFRM_EV_SA_EXPIRE_SOFT:
		pr_info("xfrm: SA soft expiry (rekey due): %s",
			xfrm_sa_fmt(ev->sa, line, sizeof(line)));
		break;
	case XFRM_EV_SA_EXPIRE_HARD:
		pr_warn("xfrm: SA hard expiry (deleted by the kernel): %s",
			xfrm_sa_fmt(ev->sa, line, sizeof(line)));
		break;
	case XFRM_EV_SA_FLUSH:
		pr_info("xfrm: SAs flushed: %u removed", ev->count);
		break;
	case XFRM_EV_POL_NEW:
		if (quiet)
			pr_debug("xfrm: policy %s", xfrm_pol_fmt(ev->pol, line, sizeof(line)));
		else
			pr_info("xfrm: policy added: %s",
				xfrm_pol_fmt(ev->pol, line, sizeof(line)));
		break;
	case XFRM_EV_POL_REPLACED:
		if (x->dump == DUMP_IDLE)
			pr_info("xfrm: policy replaced: %s",
				xfrm_pol_fmt(ev->pol, line, sizeof(line)));
		break;
	case XFRM_EV_POL_DELETED:
		pr_info("xfrm: policy deleted: %s", xfrm_pol_fmt(ev->pol, line, sizeof(line)));
		break;
	case XFRM_EV_POL_EXPIRE:
		pr_info("xfrm: policy %s expiry%s%s", ev->count ? "hard" : "soft",
			ev->pol ? ": " : "",
			ev->pol ? xfrm_pol_fmt(ev->pol, line, sizeof(line)) : "");
		break;
	case XFRM_EV_POL_FLUSH:
		pr_info("xfrm: policies flushed: %u removed", ev->count);
		break;
	case XFRM_EV_DUMP_DONE:
	case XFRM_EV_NL_ERROR:
		/* handled by the dump socket's reader */
		break;
	}
}

/* --- sockets
 * ---------------------------------------------------------------------- */

static int nl_open(int proto, unsigned int rcvbuf)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int dump_request(struct xwd_xfrm *x, uint16_t type)
{
	struct {
		struct nlmsghdr h;
	} req;
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++x->dump_seq;
	if (sendto(x->dump_fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

static void dump_start(struct xwd_xfrm *x)
{
	int rc;

	if (x->dump != DUMP_IDLE) {
		x->resync_due = true;
		return;
	}
	x->dump_gen = xfrm_view_new_gen(&x->view);
	rc = dump_request(x, XFRM_MSG_GETSA);
	if (rc) {
		pr_err("xfrm: cannot request the SA dump: %s", strerror(-rc));
		return;
	}
	x->dump = DUMP_SA;
}

/* After NLMSG_DONE of a dump: sweep what it did not contain, go on to the next.
 */
static void dump_done(struct xwd_xfrm *x)
{
	unsigned int n;
	int rc;

	if (x->dump == DUMP_SA) {
		n = xfrm_view_sweep_sa(&x->view, x->dump_gen);
		if (n)
			pr_info("xfrm: resync: %u SAs gone while events were lost", n);
		rc = dump_request(x, XFRM_MSG_GETPOLICY);
		if (rc) {
			pr_err("xfrm: cannot request the policy dump: %s", strerror(-rc));
			x->dump = DUMP_IDLE;
			return;
		}
		x->dump = DUMP_POL;
		return;
	}
	n = xfrm_view_sweep_pol(&x->view, x->dump_gen);
	if (n)
		pr_info("xfrm: resync: %u policies gone while events were lost", n);
	x->dump = DUMP_IDLE;
	if (!x->ready) {
		x->ready = true;
		x->changed = true; /* the guard's first look */
		pr_info("xfrm: view ready: %u SAs, %u policies", x->view.nsa, x->view.npol);
		if (x->stop_when_ready)
			xw_loop_stop(x->loop);
	}
	if (x->resync_due) {
		x->resync_due = false;
		dump_start(x);
	}
}

/*
 * NLMSG_DONE / NLMSG_ERROR of our dump, seen before the view parses the
 * chunk.  *failed: the kernel refused the dump (nothing may be swept then).
 */
static void dump_scan(struct xwd_xfrm *x, const uint8_t *buf, size_t len, bool *done, bool *failed)
{
	size_t off = 0;

	while (len - off >= NLMSG_HDRLEN) {
		struct nlmsghdr h;

		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off)
			break;
		if (h.nlmsg_seq == x->dump_seq) {
			if (h.nlmsg_type == NLMSG_DONE) {
				*done = true;
			} else if (h.nlmsg_type == NLMSG_ERROR) {
				int32_t e = 0;

				if (h.nlmsg_len >= NLMSG_HDRLEN + 4)
					memcpy(&e, buf + off + NLMSG_HDRLEN, 4);
				pr_err("xfrm: %s dump refused: %s",
				       x->dump == DUMP_SA ? "SA" : "policy",
				       strerror(e < 0 ? -e : e));
				*done = true;
				*failed = e != 0;
			}
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
		if (off > len)
			break;
	}
}

/* recv one datagram; >0 length, 0 nothing more, <0 -errno. Logs truncation. */
static ssize_t nl_recv(struct xwd_xfrm *x, int fd, const char *what)
{
	ssize_t n = recv(fd, x->buf, XFRM_RX_BUF, MSG_TRUNC | MSG_DONTWAIT);

	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
	if (n > XFRM_RX_BUF) {
		/* the parser sees a cut message and rejects it; keep going */
		pr_warn("xfrm: %s datagram of %zd octets truncated to %d", what, n, XFRM_RX_BUF);
		n = XFRM_RX_BUF;
	}
	return n;
}

/* The view is consistent (ready, no dump running) and changed: tell the guard. */
static void notify_change(struct xwd_xfrm *x)
{
	if (!x->changed || !x->ready || x->dump != DUMP_IDLE)
		return;
	x->changed = false;
	if (x->change_fn)
		x->change_fn(x->change_arg);
}

static void dump_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_xfrm *x = io->arg;
	int i;

	for (i = 0; i < 64; i++) {
		bool done = false, failed = false;
		ssize_t n = nl_recv(x, x->dump_fd, "dump");

		if (n == 0)
			return;
		if (n < 0) {
			pr_err("xfrm: dump socket: %s", strerror((int)-n));
			x->dump = DUMP_IDLE;
			if (x->stop_when_ready)
				xw_loop_stop(x->loop);
			return;
		}
		dump_scan(x, x->buf, (size_t)n, &done, &failed);
		xfrm_view_feed(&x->view, x->buf, (size_t)n);
		/* the parser wiped the keys; the rest goes too */
		xw_wipe(x->buf, (size_t)n);
		if (failed) {
			/* keep what we have: a failed dump proves nothing is gone */
			x->dump = DUMP_IDLE;
			if (x->stop_when_ready)
				xw_loop_stop(x->loop);
			continue;
		}
		if (done && x->dump != DUMP_IDLE)
			dump_done(x);
		notify_change(x);
	}
}

static void ev_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_xfrm *x = io->arg;
	int i;

	for (i = 0; i < 64; i++) {
		ssize_t n = nl_recv(x, x->ev_fd, "event");

		if (n == 0)
			return;
		if (n == -ENOBUFS) {
			pr_warn("xfrm: event queue overflowed, events lost: resynchronising with a "
				"new dump");
			dump_start(x);
			continue;
		}
		if (n < 0) {
			pr_err("xfrm: event socket: %s", strerror((int)-n));
			return;
		}
		xfrm_view_feed(&x->view, x->buf, (size_t)n);
		xw_wipe(x->buf, (size_t)n);
		notify_change(x);
	}
}

/* Read the dump socket until the first SA and policy dumps are in (at most ~2 s). */
static void first_dump_wait(struct xwd_xfrm *x)
{
	struct pollfd p = {.fd = x->dump_fd, .events = POLLIN};
	int i;

	for (i = 0; i < 200 && !x->ready && x->dump != DUMP_IDLE; i++) {
		if (poll(&p, 1, 10) > 0)
			dump_event(x->loop, &x->dump_io, EPOLLIN);
	}
	if (!x->ready)
		pr_warn("xfrm: the first dump is not complete yet: sessions until it is are "
			"answered by their sockets only");
}

struct xwd_xfrm *xwd_xfrm_open(struct xw_loop *l, bool stop_when_ready, int *err)
{
	static const int groups[] = {XFRMNLGRP_SA, XFRMNLGRP_POLICY, XFRMNLGRP_EXPIRE};
	struct xwd_xfrm *x;
	unsigned int i;
	int rc;

	x = calloc(1, sizeof(*x));
	if (!x) {
		*err = -ENOMEM;
		return NULL;
	}
	x->loop = l;
	x->ev_fd = x->dump_fd = -1;
	x->stop_when_ready = stop_when_ready;
	xfrm_view_init(&x->view, on_event, x);
	x->buf = malloc(XFRM_RX_BUF);
	if (!x->buf) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = x->ev_fd = nl_open(NETLINK_XFRM, XFRM_RCVBUF);
	if (rc < 0) {
		pr_err("xfrm: netlink socket: %s%s", strerror(-rc),
		       rc == -EPROTONOSUPPORT ? " (kernel without xfrm_user)" : "");
		goto fail;
	}
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (setsockopt(x->ev_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i],
			       sizeof(groups[i]))) {
			rc = -errno;
			pr_err("xfrm: joining multicast group %d: %s%s", groups[i], strerror(-rc),
			       rc == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
			goto fail;
		}
	}
	rc = x->dump_fd = nl_open(NETLINK_XFRM, XFRM_RCVBUF);
	if (rc < 0) {
		pr_err("xfrm: netlink socket: %s", strerror(-rc));
		goto fail;
	}
	rc = xw_loop_add(l, &x->ev_io, x->ev_fd, EPOLLIN, ev_event, x);
	if (rc)
		goto fail;
	rc = xw_loop_add(l, &x->dump_io, x->dump_fd, EPOLLIN, dump_event, x);
	if (rc)
		goto fail;
	dump_start(x);
	if (x->dump == DUMP_IDLE) {
		rc = -EIO;
		goto fail;
	}
	/*
	 * The daemon waits for the first dump (a few ms) before it serves
	 * anything: sessions and TWAMP Light ports then start with the view
	 * complete, never on a fast path the view would have refused.
	 */
	if (!stop_when_ready)
		first_dump_wait(x);
	return x;
fail:
	*err = rc;
	xwd_xfrm_close(x);
	return NULL;
}

void xwd_xfrm_close(struct xwd_xfrm *x)
{
	if (!x)
		return;
	xw_loop_del(x->loop, &x->ev_io);
	xw_loop_del(x->loop, &x->dump_io);
	if (x->ev_fd >= 0)
		close(x->ev_fd);
	if (x->dump_fd >= 0)
		close(x->dump_fd);
	if (x->buf) {
		xw_wipe(x->buf, XFRM_RX_BUF);
		free(x->buf);
	}
	xfrm_view_fini(&x->view);
	free(x);
}

bool xwd_xfrm_ready(const struct xwd_xfrm *x)
{
	return x && x->ready;
}

const struct xfrm_view *xwd_xfrm_view(const struct xwd_xfrm *x)
{
	return &x->view;
}

/* --- uses
 * ---------------------------------------------------------------------------
 */

static int flow_of(struct xfrm_flow *f, const struct xw_addr *local, const struct xw_addr *peer)
{
	int fam = xw_addr_family(local);

	if (fam != xw_addr_family(peer) || (fam != AF_INET && fam != AF_INET6))
		return -EAFNOSUPPORT;
	memset(f, 0, sizeof(*f));
	f->family = (uint8_t)fam;
	xw_addr_to_raw(local, f->local);
	xw_addr_to_raw(peer, f->peer);
	f->local_port = xw_addr_port(local);
	f->peer_port = xw_addr_port(peer);
	f->proto = IPPROTO_UDP;
	return 0;
}

int xwd_xfrm_sa_pair(const struct xwd_xfrm *x, const struct xw_addr *local,
		     const struct xw_addr *peer, uint32_t *proto, uint32_t *spi_i, uint32_t *spi_r)
{
	struct xfrm_verdict vd;
	struct xfrm_flow f;

	if (!x || !x->ready)
		return -EAGAIN;
	if (flow_of(&f, local, peer))
		return -ENOENT;
	f.proto = IPPROTO_TCP; /* the control connection */
	if (xfrm_view_flow_pair(&x->view, &f, &vd) || !vd.protected_)
		return -ENOENT;
	*proto = vd.in.sa->proto;
	*spi_i = vd.in.sa->spi;
	*spi_r = vd.out.sa->spi;
	return 0;
}

int xwd_xfrm_session(struct xwd_xfrm *x, const struct xw_addr *local, const struct xw_addr *peer,
		     bool unauth, bool require, const char *who)
{
	struct xfrm_verdict vd;
	struct xfrm_flow f;
	char line[1024];
	int acc;

	if (!x)
		return require && unauth ? XW_ACCEPT_INTERNAL : XW_ACCEPT_OK;
	if (flow_of(&f, local, peer))
		return require && unauth ? XW_ACCEPT_NOT_SUPPORTED : XW_ACCEPT_OK;
	if (!x->ready) {
		pr_info("%s: IPsec: unknown yet (xfrm dump in progress)", who);
		if (require && unauth) {
			pr_warn("%s: refused: IPsec state not read yet: Accept %d", who,
				XW_ACCEPT_TEMP_LIMIT);
			return XW_ACCEPT_TEMP_LIMIT;
		}
		return XW_ACCEPT_OK;
	}
	xfrm_view_check(&x->view, &f, &vd);
	pr_info("%s: IPsec: test flow %s", who, xfrm_verdict_fmt(&vd, line, sizeof(line)));
	if (vd.protected_) {
		char ifname[IF_NAMESIZE];
		uint32_t if_id;
		int ifindex;

		/* where an in-tunnel reflector would hook (route-based IPsec only) */
		if (!xfrm_view_flow_if_id(&x->view, &f, &if_id)) {
			ifindex = xwd_xfrm_if_by_id(if_id, ifname);
			if (ifindex > 0)
				pr_info("%s: IPsec: in-tunnel device %s (ifindex %d, if_id %u)",
					who, ifname, ifindex, if_id);
			else
				pr_info("%s: IPsec: if_id %u but no xfrm interface with it", who,
					if_id);
		}
	}
	if (!require || !unauth || vd.protected_)
		return XW_ACCEPT_OK;
	/* 3 or 5: see xfrm_verdict_accept() and README "IPsec view" */
	acc = xfrm_verdict_accept(&vd);
	pr_warn("%s: refused: --require-ipsec and the unauthenticated test flow is "
		"not protected by IPsec with integrity: Accept %d",
		who, acc);
	return acc;
}

void xwd_xfrm_on_change(struct xwd_xfrm *x, void (*fn)(void *arg), void *arg)
{
	if (!x)
		return;
	x->change_fn = fn;
	x->change_arg = arg;
}

enum xfrm_path xwd_xfrm_path(struct xwd_xfrm *x, const struct xw_addr *local,
			     const struct xw_addr *peer, bool require, xwd_tunnel_fn tunnel_ok,
			     void *arg, int *ifindex, char *why, size_t whylen)
{
	struct xfrm_verdict vd;
	struct xfrm_flow f;
	char ifname[IF_NAMESIZE];
	uint32_t if_id;
	int dev = 0;

	*ifindex = 0;
	if (!x) {
		snprintf(why, whylen, "no IPsec view");
		return XFRM_PATH_ANY;
	}
	if (flow_of(&f, local, peer)) {
		snprintf(why, whylen, "not an IPv4/IPv6 flow");
		return require ? XFRM_PATH_NONE : XFRM_PATH_ANY;
	}
	if (!x->ready) {
		/* nothing known yet: never the fast path, nothing at all when required */
		snprintf(why, whylen, "unknown yet (xfrm dump in progress)");
		return require ? XFRM_PATH_NONE : XFRM_PATH_SOCKET;
	}
	xfrm_view_check(&x->view, &f, &vd);
	xfrm_verdict_fmt(&vd, why, whylen);
	if (vd.protected_ && !xfrm_view_flow_if_id(&x->view, &f, &if_id))
		dev = xwd_xfrm_if_by_id(if_id, ifname);
	if (dev <= 0)
		return xfrm_flow_path(&vd, false, require);
	/* route-based: only the xfrm interface carries what the kernel decrypted */
	*ifindex = dev;
	return xfrm_flow_path(&vd, tunnel_ok && tunnel_ok(arg, ifname), require);
}

/* --- xfrm interfaces over rtnetlink
 * --------------------------------------------------- */

/* First attribute of this type in p[0..len), bounds-checked; NULL if none or malformed. */
static const struct rtattr *rta_find(const uint8_t *p, size_t len, unsigned short type)
{
	size_t off = 0;

	while (len - off >= sizeof(struct rtattr)) {
		struct rtattr a;

		memcpy(&a, p + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > len - off)
			return NULL;
		if ((a.rta_type & NLA_TYPE_MASK) == type)
			return (const struct rtattr *)(const void *)(p + off);
		off += RTA_ALIGN(a.rta_len);
		if (off > len)
			return NULL;
	}
	return NULL;
}

static size_t rta_plen(const struct rtattr *a)
{
	struct rtattr h;

	memcpy(&h, a, sizeof(h));
	return h.rta_len - RTA_LENGTH(0);
}

/* One RTM_NEWLINK: 1 and ifname when it is an xfrm link with this if_id. */
static int link_match(const uint8_t *body, size_t blen, uint32_t if_id, char ifname[IF_NAMESIZE],
		      int *ifindex)
{
	const uint8_t *attrs = body + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	size_t alen;
	const struct rtattr *li, *kind, *data, *id, *name;
	struct ifinfomsg ifi;
	uint32_t v;

	if (blen < NLMSG_ALIGN(sizeof(ifi)))
		return 0;
	memcpy(&ifi, body, sizeof(ifi));
	alen = blen - NLMSG_ALIGN(sizeof(ifi));
	li = rta_find(attrs, alen, IFLA_LINKINFO);
	if (!li)
		return 0;
	kind = rta_find(RTA_DATA(li), rta_plen(li), IFLA_INFO_KIND);
	if (!kind || rta_plen(kind) < 5 || memcmp(RTA_DATA(kind), "xfrm", 5))
		return 0;
	data = rta_find(RTA_DATA(li), rta_plen(li), IFLA_INFO_DATA);
	if (!data)
		return 0;
	id = rta_find(RTA_DATA(data), rta_plen(data), IFLA_XFRM_IF_ID);
	if (!id || rta_plen(id) < 4)
		return 0;
	memcpy(&v, RTA_DATA(id), 4);
	if (v != if_id)
		return 0;
	name = rta_find(attrs, alen, IFLA_IFNAME);
	if (!name || !rta_plen(name) || rta_plen(name) > IF_NAMESIZE)
		return 0;
	memcpy(ifname, RTA_DATA(name), rta_plen(name));
	ifname[rta_plen(name) - 1] = '\0';
	*ifindex = ifi.ifi_index;
	return 1;
}

int xwd_xfrm_if_by_id(uint32_t if_id, char ifname[IF_NAMESIZE])
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req;
	uint8_t *buf;
	int fd, rc = -ENOENT, found = -1, done = 0, tries = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	buf = malloc(XFRM_RX_BUF);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
	req.i.ifi_family = AF_UNSPEC;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		rc = -errno;
		goto out;
	}
	while (!done && tries++ < 10000) {
		ssize_t n = recv(fd, buf, XFRM_RX_BUF, 0);
		size_t off = 0;

		if (n < 0) {
			rc = -errno;
			goto out;
		}
		while ((size_t)n - off >= NLMSG_HDRLEN) {
			struct nlmsghdr h;

			memcpy(&h, buf + off, sizeof(h));
			if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > (size_t)n - off) {
				done = 1;
				break;
			}
			if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (h.nlmsg_type == RTM_NEWLINK && found < 0)
				link_match(buf + off + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN,
					   if_id, ifname, &found);
			off += NLMSG_ALIGN(h.nlmsg_len);
			if (off > (size_t)n)
				break;
		}
	}
	if (found >= 0)
		rc = found;
out:
	free(buf);
	close(fd);
	return rc;
}

void xwd_xfrm_status(const struct xwd_xfrm *x)
{
	char line[768];
	unsigned int i;

	if (!x)
		return;
	pr_info("xfrm: %s, %u SAs, %u policies, %llu messages (%llu rejected)",
		x->ready ? "ready" : "dumping", x->view.nsa, x->view.npol,
		(unsigned long long)x->view.n_msgs, (unsigned long long)x->view.n_rejected);
	for (i = 0; i < x->view.nsa; i++)
		pr_info("xfrm: sa %s", xfrm_sa_fmt(&x->view.sa[i], line, sizeof(line)));
	for (i = 0; i < x->view.npol; i++)
		pr_info("xfrm: policy %s", xfrm_pol_fmt(&x->view.pol[i], line, sizeof(line)));
}

void xwd_xfrm_print(const struct xwd_xfrm *x)
{
	char line[768];
	unsigned int i;

	for (i = 0; i < x->view.nsa; i++)
		printf("sa %s\n", xfrm_sa_fmt(&x->view.sa[i], line, sizeof(line)));
	for (i = 0; i < x->view.npol; i++)
		printf("policy %s\n", xfrm_pol_fmt(&x->view.pol[i], line, sizeof(line)));
	fflush(stdout);
}

/* --xfrm-dump: its own loop, run until both dumps are in. */
int xwd_xfrm_dump_main(void)
{
	struct xw_loop l;
	struct xwd_xfrm *x;
	int rc, err = 0;

	rc = xw_loop_init(&l);
	if (rc)
		return rc;
	x = xwd_xfrm_open(&l, true, &err);
	if (!x) {
		xw_loop_fini(&l);
		return err;
	}
	rc = xw_loop_run(&l);
	if (!rc && !x->ready)
		rc = -EIO;
	if (!rc)
		xwd_xfrm_print(x);
	xwd_xfrm_close(x);
	xw_loop_fini(&l);
	return rc;
}
