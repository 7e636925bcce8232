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

/*
 * One request, its answer parsed into out (out_len octets, wiped unless 0)
 * by parse: a KEY or a CHILDKEY line.
 */
static int lookup_with(const char *path, const char *req, int (*parse)(const char *, void *),
		       void *out, size_t out_len)
{
	char resp[XW_IKESOCK_LINE_MAX + 1];
	int err;

	if (!path)
		path = XW_IKESOCK_PATH;
	err = request(path, req, resp, sizeof(resp));
	if (!err) {
		err = parse(resp, out);
		if (err == -EPROTO)
			pr_err("charon key socket %s: not a protocol answer", path);
		else if (err && err != -ENOENT)
			/* the line after the code is the plugin's text, no key material */
			pr_err("charon key socket %s: %s", path, resp);
	}
	xw_wipe(resp, sizeof(resp));
	if (err)
		xw_wipe(out, out_len);
	return err;
}

static int parse_key(const char *line, void *out)
{
	return xw_ikesrc_parse_key(line, out);
}

static int lookup(const char *path, const char *req, struct xw_ike_key *out)
{
	return lookup_with(path, req, parse_key, out, sizeof(*out));
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

/* The address of peer as the plugin reads it (IPv4-mapped as IPv4); 0 or -EINVAL. */
static int peer_text(const struct sockaddr *peer, socklen_t peer_len, char addr[INET6_ADDRSTRLEN])
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
	const struct sockaddr_in *in = (const struct sockaddr_in *)peer;

	if (peer->sa_family == AF_INET && peer_len >= sizeof(*in)) {
		inet_ntop(AF_INET, &in->sin_addr, addr, INET6_ADDRSTRLEN);
	} else if (peer->sa_family == AF_INET6 && peer_len >= sizeof(*in6)) {
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], addr, INET6_ADDRSTRLEN);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, addr, INET6_ADDRSTRLEN);
	} else {
		return -EINVAL;
	}
	return 0;
}

int xw_ikesrc_by_peer(const char *path, const struct sockaddr *peer, socklen_t peer_len,
		      struct xw_ike_key *out)
{
	char addr[INET6_ADDRSTRLEN], req[INET6_ADDRSTRLEN + 8];

	memset(out, 0, sizeof(*out));
	if (peer_text(peer, peer_len, addr))
		return -EINVAL;
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

/* ---- IPsec SA profile: CHILD SA keys and SKEYSEED ----------------------------- */

/* One hex field of a CHILDKEY line ("-": none). */
static int hex_field(const char *tok, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(tok);

	*len = 0;
	if (!strcmp(tok, "-"))
		return 0;
	if (!n || n % 2 || n / 2 > cap || xw_unhex(tok, n, out, cap) != (int)(n / 2))
		return -EPROTO;
	*len = n / 2;
	return 0;
}

/* 8 hex digits -> host order */
static int spi_field(const char *tok, uint32_t *spi)
{
	uint8_t b[4];

	if (strlen(tok) != 8 || xw_unhex(tok, 8, b, 4) != 4)
		return -EPROTO;
	*spi = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

#define CHILDKEY_FIELDS 12

int xw_ikesrc_parse_child(const char *line, struct xw_ikesrc_child *out)
{
	char buf[XW_IKESOCK_LINE_MAX + 1], *tok[CHILDKEY_FIELDS + 1], *save = NULL, *p;
	uint8_t ike_spi[XW_IKE_SPI_LEN];
	int n = 0, rc = -EPROTO;

	memset(out, 0, sizeof(*out));
	if (strncmp(line, "ERR ", 4) == 0)
		return err_code(line + 4);
	if (strlen(line) >= sizeof(buf))
		return -EPROTO;
	memcpy(buf, line, strlen(line) + 1);
	for (p = strtok_r(buf, " ", &save); p && n <= CHILDKEY_FIELDS;
	     p = strtok_r(NULL, " ", &save))
		tok[n++] = p;
	/* CHILDKEY proto SPIin SPIout aead ENCin INTEGin ENCout INTEGout IKE-SPIi IKE-SPIr SKEYSEED */
	if (n != CHILDKEY_FIELDS || strcmp(tok[0], "CHILDKEY"))
		goto out;
	if (!strcmp(tok[1], "esp"))
		out->in.proto = IPPROTO_ESP;
	else if (!strcmp(tok[1], "ah"))
		out->in.proto = IPPROTO_AH;
	else
		goto out;
	out->out.proto = out->in.proto;
	if (strcmp(tok[4], "aead") && strcmp(tok[4], "-"))
		goto out;
	out->in.aead = out->out.aead = !strcmp(tok[4], "aead");
	if (spi_field(tok[2], &out->in.spi) || spi_field(tok[3], &out->out.spi) ||
	    hex_field(tok[5], out->in.enc, sizeof(out->in.enc), &out->in.enc_len) ||
	    hex_field(tok[6], out->in.integ, sizeof(out->in.integ), &out->in.integ_len) ||
	    hex_field(tok[7], out->out.enc, sizeof(out->out.enc), &out->out.enc_len) ||
	    hex_field(tok[8], out->out.integ, sizeof(out->out.integ), &out->out.integ_len) ||
	    strlen(tok[9]) != 16 || xw_unhex(tok[9], 16, ike_spi, sizeof(ike_spi)) != 8 ||
	    strlen(tok[10]) != 16 || xw_unhex(tok[10], 16, ike_spi, sizeof(ike_spi)) != 8 ||
	    hex_field(tok[11], out->skeyseed, sizeof(out->skeyseed), &out->skeyseed_len))
		goto out;
	rc = 0;
out:
	xw_wipe(buf, sizeof(buf));
	if (rc)
		xw_wipe(out, sizeof(*out));
	return rc;
}

static int parse_child(const char *line, void *out)
{
	return xw_ikesrc_parse_child(line, out);
}

int xw_ikesrc_child_by_spi(const char *path, uint8_t proto, uint32_t spi_in, uint32_t spi_out,
			   struct xw_ikesrc_child *out)
{
	char req[64];
	int err;

	snprintf(req, sizeof(req), "CHILD %s %08x %08x\n", proto == IPPROTO_AH ? "ah" : "esp",
		 spi_in, spi_out);
	err = lookup_with(path, req, parse_child, out, sizeof(*out));
	/* the plugin answers for exactly the SA asked for */
	if (!err && (out->in.spi != spi_in || out->out.spi != spi_out || out->in.proto != proto)) {
		pr_err("charon key socket: answer for another CHILD SA than asked");
		xw_wipe(out, sizeof(*out));
		err = -EPROTO;
	}
	return err;
}

int xw_ikesrc_child_by_peer(const char *path, const struct sockaddr *peer, socklen_t peer_len,
			    struct xw_ikesrc_child *out)
{
	char addr[INET6_ADDRSTRLEN], req[INET6_ADDRSTRLEN + 16];

	memset(out, 0, sizeof(*out));
	if (peer_text(peer, peer_len, addr))
		return -EINVAL;
	snprintf(req, sizeof(req), "CHILDPEER %s\n", addr);
	return lookup_with(path, req, parse_child, out, sizeof(*out));
}

/* The pair from one side's view (c2s, s2c) -> the key source's secret and KeyID. */
static int child_out(const struct xw_sa_key *c2s, const struct xw_sa_key *s2c,
		     const struct xw_ikesrc_child *ch, struct xw_key *out)
{
	struct xw_sa_pair p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.c2s = *c2s;
	p.s2c = *s2c;
	memcpy(p.skeyseed, ch->skeyseed, ch->skeyseed_len);
	p.skeyseed_len = ch->skeyseed_len;
	rc = xw_sa_pair_to_secret(&p, out->secret, sizeof(out->secret), &out->len);
	if (!rc)
		xw_sa_keyid_put(out->keyid, p.c2s.proto, p.c2s.spi, p.s2c.spi);
	xw_sa_pair_wipe(&p);
	return rc;
}

static int sa_server(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct xw_ikesrc_child ch;
	uint32_t proto, spi_i, spi_r;
	int rc;

	if (!req->keyid)
		return -ENOENT;
	/* the greeting's SPIi names the SA client -> server: to us */
	xw_sa_keyid_get(req->keyid, &proto, &spi_i, &spi_r);
	rc = xw_ikesrc_child_by_spi(ctx, (uint8_t)proto, spi_i, spi_r, &ch);
	if (!rc)
		rc = child_out(&ch.in, &ch.out, &ch, out);
	xw_wipe(&ch, sizeof(ch));
	return rc;
}

static int sa_client(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct xw_ikesrc_child ch;
	int rc;

	if (!req->peer)
		return -ENOENT;
	rc = xw_ikesrc_child_by_peer(ctx, req->peer, req->peer_len, &ch);
	if (!rc)
		rc = child_out(&ch.out, &ch.in, &ch, out); /* we are the client: out is c2s */
	xw_wipe(&ch, sizeof(ch));
	return rc;
}

static const struct xw_keysrc_ops SA_OPS = {
	.kind = "charon-SA",
	.classes = XW_KEYCLASS_BIT(XW_KEYCLASS_SA),
	.server = sa_server,
	.client = sa_client,
	.free = src_free,
};

int xw_ikesrc_sa_source(const char *path, struct xw_keysrc *src)
{
	char *p = strdup(path ? path : XW_IKESOCK_PATH);

	if (!p)
		return -ENOMEM;
	src->ops = &SA_OPS;
	src->ctx = p;
	src->name = p;
	return 0;
}
