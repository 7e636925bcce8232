// SPDX-License-Identifier: GPL-2.0-only
/*
 * Client of xwamp's charon plugin (contract in ikesrc.h, wire format in
 * ikesock.h).  Every buffer that held a key is wiped on every path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "crypto.h"
#include "hex.h"
#include "ikesrc.h"
#include "log.h"

/* ERR codes of ikesock.h -> errno */
static int err_code(const char *s)
{
	static const struct {
		const char *name;
		int err;
	} codes[] = {
		{"ENOENT", ENOENT},
		{"EINVAL", EINVAL},
		{"ENOTSUP", EOPNOTSUPP},
		{"EBUSY", EBUSY},
	};
	size_t i, n = strcspn(s, " ");

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strlen(codes[i].name) == n && strncmp(s, codes[i].name, n) == 0)
			return -codes[i].err;
	return -EPROTO;
}

int xw_ikesrc_parse_key(const char *line, struct xw_ike_key *out)
{
	const char *p, *prf_end;
	size_t klen;

	memset(out, 0, sizeof(*out));
	if (strncmp(line, "ERR ", 4) == 0)
		return err_code(line + 4);
	/* KEY <16 hex> <16 hex> <PRF> <hex> */
	if (strncmp(line, "KEY ", 4) != 0 || strlen(line) < 4 + 16 + 1 + 16 + 1 + 1 + 1 + 2)
		return -EPROTO;
	p = line + 4;
	if (p[16] != ' ' || p[33] != ' ' || xw_unhex(p, 16, out->spi_i, 8) != 8 ||
	    xw_unhex(p + 17, 16, out->spi_r, 8) != 8)
		goto bad;
	p += 34;
	prf_end = strchr(p, ' ');
	if (!prf_end || prf_end == p)
		goto bad;
	p = prf_end + 1;
	klen = strlen(p);
	if (xw_unhex(p, klen, out->key, XW_IKE_KEY_MAX) < 0)
		goto bad;
	out->key_len = klen / 2;
	return 0;
bad:
	xw_wipe(out, sizeof(*out));
	return -EPROTO;
}

/*
 * Send req (with its LF) to the plugin at path and read one line back into
 * resp (LF stripped).  0 or a negative errno (logged).
 */
static int request(const char *path, const char *req, char *resp, size_t cap)
{
	struct timeval tv = {.tv_sec = XW_IKESRC_TIMEOUT_MS / 1000,
			     .tv_usec = (XW_IKESRC_TIMEOUT_MS % 1000) * 1000};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = 0, rlen = strlen(req);
	int fd, err = 0;
	ssize_t n;
	char *lf;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		pr_err("charon key socket %s: connect: %s (is the xwamp plugin loaded? does "
		       "charon.plugins.xwamp.user name this user?)",
		       path, strerror(-err));
		/* a missing socket is a failing source, not "no such SA" */
		if (err == -ENOENT)
			err = -ECONNREFUSED;
		goto out;
	}
	if (send(fd, req, rlen, MSG_NOSIGNAL) != (ssize_t)rlen) {
		err = -errno;
		pr_err("charon key socket %s: send: %s", path, strerror(-err));
		goto out;
	}
	for (;;) {
		if (len + 1 >= cap) {
			err = -EPROTO;
			break;
		}
		n = recv(fd, resp + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n == 0 ? -EPROTO : (errno == EAGAIN ? -ETIMEDOUT : -errno);
			break;
		}
		len += n;
		resp[len] = '\0';
		lf = memchr(resp, '\n', len);
		if (lf) {
			*lf = '\0';
			if (lf > resp && lf[-1] == '\r')
				lf[-1] = '\0';
			break;
		}
	}
	if (err)
		pr_err("charon key socket %s: no answer: %s", path, strerror(-err));
out:
	close(fd);
	return err;
}

static int lookup(const char *path, const char *req, struct xw_ike_key *out)
{
	char resp[XW_IKESOCK_LINE_MAX + 1];
	int err;

	if (!path)
		path = XW_IKESOCK_PATH;
	err = request(path, req, resp, sizeof(resp));
	if (!err) {
		err = xw_ikesrc_parse_key(resp, out);
		if (err == -EPROTO)
			pr_err("charon key socket %s: not a protocol answer", path);
		else if (err && err != -ENOENT)
			/* the line after the code is the plugin's text, no key material */
			pr_err("charon key socket %s: %s", path, resp);
	}
	xw_wipe(resp, sizeof(resp));
	if (err)
		xw_wipe(out, sizeof(*out));
	return err;
}

int xw_ikesrc_by_spi(const char *path, const uint8_t spi_i[XW_IKE_SPI_LEN],
		     const uint8_t spi_r[XW_IKE_SPI_LEN], struct xw_ike_key *out)
{
	char req[64];
	int i, n, err;

	n = snprintf(req, sizeof(req), "SPI ");
	for (i = 0; i < XW_IKE_SPI_LEN; i++)
		n += snprintf(req + n, sizeof(req) - n, "%02x", spi_i[i]);
	n += snprintf(req + n, sizeof(req) - n, " ");
	for (i = 0; i < XW_IKE_SPI_LEN; i++)
		n += snprintf(req + n, sizeof(req) - n, "%02x", spi_r[i]);
	snprintf(req + n, sizeof(req) - n, "\n");
	err = lookup(path, req, out);
	/* the plugin answers for exactly the SA asked for */
	if (!err && (memcmp(out->spi_i, spi_i, XW_IKE_SPI_LEN) ||
		     memcmp(out->spi_r, spi_r, XW_IKE_SPI_LEN))) {
		pr_err("charon key socket: answer for other SPIs than asked");
		xw_wipe(out, sizeof(*out));
		err = -EPROTO;
	}
	return err;
}

int xw_ikesrc_by_peer(const char *path, const struct sockaddr *peer, socklen_t peer_len,
		      struct xw_ike_key *out)
{
	char addr[INET6_ADDRSTRLEN], req[INET6_ADDRSTRLEN + 8];
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
	const struct sockaddr_in *in = (const struct sockaddr_in *)peer;

	memset(out, 0, sizeof(*out));
	if (peer->sa_family == AF_INET && peer_len >= sizeof(*in)) {
		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
	} else if (peer->sa_family == AF_INET6 && peer_len >= sizeof(*in6)) {
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], addr, sizeof(addr));
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
	} else {
		return -EINVAL;
	}
	snprintf(req, sizeof(req), "PEER %s\n", addr);
	return lookup(path, req, out);
}

static int src_by_spi(void *ctx, const uint8_t spi_i[XW_IKE_SPI_LEN],
		      const uint8_t spi_r[XW_IKE_SPI_LEN], struct xw_ike_key *out)
{
	return xw_ikesrc_by_spi(ctx, spi_i, spi_r, out);
}

static int src_by_peer(void *ctx, const struct sockaddr *peer, socklen_t peer_len,
		       struct xw_ike_key *out)
{
	return xw_ikesrc_by_peer(ctx, peer, peer_len, out);
}

static void src_free(void *ctx)
{
	free(ctx);
}

static const struct xw_ike_source_ops ikesrc_ops = {
	.kind = "charon",
	.by_spi = src_by_spi,
	.by_peer = src_by_peer,
	.free = src_free,
};

int xw_ikesrc_source(const char *path, struct xw_ike_source *src)
{
	char *p = strdup(path ? path : XW_IKESOCK_PATH);

	if (!p)
		return -ENOMEM;
	src->ops = &ikesrc_ops;
	src->ctx = p;
	src->name = p;
	return 0;
}
