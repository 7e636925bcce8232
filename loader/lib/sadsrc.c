// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel SAD key source for the IPsec SA profile (contract in sadsrc.h).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "crypto.h"
#include "log.h"
#include "net.h"
#include "sadsrc.h"

#define DUMP_BUF 65536

/*
 * One xfrm dump of type (GETSA or GETPOLICY), each receive buffer handed
 * to feed (1: NLMSG_DONE seen, 0: read on, <0: error), then wiped.
 */
static int nl_dump(uint16_t type, int (*feed)(void *arg, uint8_t *buf, size_t len), void *arg)
{
	struct {
		struct nlmsghdr h;
		struct xfrm_usersa_id id; /* ignored by a dump; keeps old kernels happy */
	} req = {0};
	struct timeval tv = {XW_SADSRC_TIMEOUT_MS / 1000, (XW_SADSRC_TIMEOUT_MS % 1000) * 1000};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	uint8_t *buf;
	ssize_t n;
	int fd, rc = 0;

	buf = malloc(DUMP_BUF);
	if (!buf)
		return -ENOMEM;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* the policy dump takes the header alone, as xwampd's IPsec view sends it */
	req.h.nlmsg_len = type == XFRM_MSG_GETSA ? sizeof(req) : sizeof(req.h);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		n = recv(fd, buf, DUMP_BUF, 0);
		if (n < 0) {
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		rc = feed(arg, buf, (size_t)n); /* wipes the keys it read */
		xw_wipe(buf, (size_t)n);
		if (rc) {
			rc = rc > 0 ? 0 : rc;
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	xw_wipe(buf, DUMP_BUF);
	free(buf);
	return rc;
}

static void dump_err(const char *what, int rc)
{
	pr_err("IPsec SA profile: cannot read the kernel %s: %s%s", what, strerror(-rc),
	       rc == -EPERM ? " (CAP_NET_ADMIN needed)" : "");
}

static int sad_feed(void *arg, uint8_t *buf, size_t len)
{
	return xw_sad_feed(arg, buf, len);
}

int xw_sadsrc_dump(struct xw_sad_find *f)
{
	return nl_dump(XFRM_MSG_GETSA, sad_feed, f);
}

/* The policies and SAs (keys wiped, never kept) into the IPsec view's parser. */
struct spd_dump {
	struct xfrm_view v;
	int done, err;
};

static void spd_event(void *arg, const struct xfrm_event *ev)
{
	struct spd_dump *d = arg;

	if (ev->type == XFRM_EV_DUMP_DONE)
		d->done = 1;
	else if (ev->type == XFRM_EV_NL_ERROR && ev->err)
		d->err = ev->err;
}

static int spd_feed(void *arg, uint8_t *buf, size_t len)
{
	struct spd_dump *d = arg;
	int rc = xfrm_view_feed(&d->v, buf, len);

	if (rc == -ENOMEM)
		return rc;
	if (d->err)
		return d->err;
	return d->done;
}

/*
 * The control connection local -> peer as the kernel's policies see it.
 * Without the local address (the client asks before connecting, no -S):
 * the source address the kernel picks for peer (a UDP socket's connect():
 * a route look-up, nothing sent).  The local port is then unknown: 0.
 */
static int conn_flow(const struct xw_keyreq *req, struct xfrm_flow *fl)
{
	struct xw_addr peer = {0}, local = {0};
	int fd, rc = 0;

	if (req->peer_len > sizeof(peer.ss) || (req->local && req->local_len > sizeof(local.ss)))
		return -EINVAL;
	memcpy(&peer.ss, req->peer, req->peer_len);
	peer.len = req->peer_len;
	if (req->local) {
		memcpy(&local.ss, req->local, req->local_len);
		local.len = req->local_len;
	} else {
		fd = socket(peer.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, &peer.sa, peer.len))
			rc = -errno;
		else
			rc = xw_sock_local(fd, &local);
		close(fd);
		if (rc)
			return rc;
		xw_addr_set_port(&local, 0);
	}
	xw_addr_unmap(&peer);
	xw_addr_unmap(&local);
	if (xw_addr_family(&peer) != xw_addr_family(&local))
		return -EAFNOSUPPORT;
	memset(fl, 0, sizeof(*fl));
	fl->family = (uint8_t)xw_addr_family(&peer);
	xw_addr_to_raw(&local, fl->local);
	xw_addr_to_raw(&peer, fl->peer);
	fl->local_port = xw_addr_port(&local);
	fl->peer_port = xw_addr_port(&peer);
	fl->proto = IPPROTO_TCP;
	return 0;
}

/* Which SAs protect the connection: f by SPIs from the SPD and SAD (sasad.h). */
static int spd_find(const struct xw_keyreq *req, struct xw_sad_find *f)
{
	struct spd_dump d = {0};
	struct xfrm_flow fl;
	int rc;

	rc = conn_flow(req, &fl);
	if (rc) {
		pr_err("IPsec SA profile: the control connection's addresses: %s", strerror(-rc));
		return rc;
	}
	xfrm_view_init(&d.v, spd_event, &d);
	rc = nl_dump(XFRM_MSG_GETPOLICY, spd_feed, &d);
	d.done = 0;
	if (!rc)
		rc = nl_dump(XFRM_MSG_GETSA, spd_feed, &d);
	if (rc)
		dump_err("SPD and SAD", rc);
	else
		rc = xw_sad_find_flow(f, &d.v, &fl);
	xfrm_view_fini(&d.v);
	return rc;
}

/* Look up f, hand out the pair as the key (and the KeyID naming it). */
static int lookup(struct xw_sad_find *f, struct xw_key *out)
{
	struct xw_sa_pair p;
	int rc = xw_sadsrc_dump(f);

	if (rc)
		dump_err("SAD", rc);
	if (!rc)
		rc = xw_sad_pair(f, &p);
	if (!rc)
		rc = xw_sa_pair_to_secret(&p, out->secret, sizeof(out->secret), &out->len);
	if (!rc)
		xw_sa_keyid_put(out->keyid, p.c2s.proto, p.c2s.spi, p.s2c.spi);
	xw_sa_pair_wipe(&p);
	xw_sad_find_wipe(f);
	return rc;
}

static int sad_server(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct xw_sad_find f = {0};
	uint32_t proto;

	(void)ctx;
	if (!req->keyid)
		return -ENOENT;
	xw_sa_keyid_get(req->keyid, &proto, &f.spi_i, &f.spi_r);
	f.proto = (uint8_t)proto;
	return lookup(&f, out);
}

static int sad_client(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct xw_sad_find f = {0};
	int rc;

	(void)ctx;
	if (!req->peer)
		return -ENOENT;
	/* by connection: the SPD names the SAs (transport or tunnel mode), the SAD has the keys */
	rc = spd_find(req, &f);
	if (rc) {
		xw_sad_find_wipe(&f);
		return rc;
	}
	return lookup(&f, out);
}

static void sad_free(void *ctx)
{
	(void)ctx;
}

static const struct xw_keysrc_ops SAD_OPS = {
	.kind = "kernel-SAD",
	.classes = XW_KEYCLASS_BIT(XW_KEYCLASS_SA),
	.server = sad_server,
	.client = sad_client,
	.free = sad_free,
};

int xw_sadsrc_source(struct xw_keysrc *src)
{
	src->ops = &SAD_OPS;
	src->ctx = NULL;
	src->name = "xfrm netlink";
	return 0;
}
