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
#include "sadsrc.h"

#define DUMP_BUF 65536

int xw_sadsrc_dump(struct xw_sad_find *f)
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
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = XFRM_MSG_GETSA;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		n = recv(fd, buf, DUMP_BUF, 0);
		if (n < 0) {
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		rc = xw_sad_feed(f, buf, (size_t)n); /* wipes the keys it read */
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

/* Look up f, hand out the pair as the key (and the KeyID naming it). */
static int lookup(struct xw_sad_find *f, struct xw_key *out)
{
	struct xw_sa_pair p;
	int rc = xw_sadsrc_dump(f);

	if (rc)
		pr_err("IPsec SA profile: cannot read the kernel SAD: %s%s", strerror(-rc),
		       rc == -EPERM ? " (CAP_NET_ADMIN needed)" : "");
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
	struct xw_sad_find f = {.by_spi = true};
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
	const struct sockaddr_in6 *s6 = (const void *)req->peer;
	const struct sockaddr_in *s4 = (const void *)req->peer;

	(void)ctx;
	if (!req->peer)
		return -ENOENT;
	if (req->peer->sa_family == AF_INET) {
		f.peer.family = AF_INET;
		memcpy(f.peer.a, &s4->sin_addr, 4);
	} else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		f.peer.family = AF_INET;
		memcpy(f.peer.a, &s6->sin6_addr.s6_addr[12], 4);
	} else {
		f.peer.family = AF_INET6;
		memcpy(f.peer.a, &s6->sin6_addr, 16);
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
