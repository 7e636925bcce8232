// SPDX-License-Identifier: GPL-2.0-only
/*
 * Socket and address helpers (contracts in net.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>

#include "net.h"

/* ------------------------------------------------------------------------ */
/* Addresses                                                                 */

int xw_addr_family(const struct xw_addr *a)
{
	return a->sa.sa_family;
}

uint16_t xw_addr_port(const struct xw_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return ntohs(a->in.sin_port);
	if (a->sa.sa_family == AF_INET6)
		return ntohs(a->in6.sin6_port);
	return 0;
}

void xw_addr_set_port(struct xw_addr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET)
		a->in.sin_port = htons(port);
	else if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
}

void xw_addr_any(struct xw_addr *a, int family, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET6) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_addr = in6addr_any;
		a->len = sizeof(a->in6);
	} else {
		a->in.sin_family = AF_INET;
		a->in.sin_addr.s_addr = htonl(INADDR_ANY);
		a->len = sizeof(a->in);
	}
	xw_addr_set_port(a, port);
}

bool xw_addr_is_any(const struct xw_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->in6.sin6_addr);
	return false;
}

int xw_addr_from_raw(struct xw_addr *a, int family, const void *raw, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		a->in.sin_family = AF_INET;
		memcpy(&a->in.sin_addr, raw, 4);
		a->len = sizeof(a->in);
	} else if (family == AF_INET6) {
		a->in6.sin6_family = AF_INET6;
		memcpy(&a->in6.sin6_addr, raw, 16);
		a->len = sizeof(a->in6);
	} else {
		return -EAFNOSUPPORT;
	}
	xw_addr_set_port(a, port);
	return 0;
}

size_t xw_addr_to_raw(const struct xw_addr *a, uint8_t out[16])
{
	memset(out, 0, 16);
	if (a->sa.sa_family == AF_INET) {
		memcpy(out, &a->in.sin_addr, 4);
		return 4;
	}
	if (a->sa.sa_family == AF_INET6) {
		memcpy(out, &a->in6.sin6_addr, 16);
		return 16;
	}
	return 0;
}

void xw_addr_unmap(struct xw_addr *a)
{
	struct sockaddr_in in;

	if (a->sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr))
		return;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = a->in6.sin6_port;
	memcpy(&in.sin_addr, &a->in6.sin6_addr.s6_addr[12], 4);
	memset(&a->ss, 0, sizeof(a->ss));
	a->in = in;
	a->len = sizeof(in);
}

bool xw_addr_same_host(const struct xw_addr *a, const struct xw_addr *b)
{
	struct xw_addr x = *a, y = *b;

	xw_addr_unmap(&x);
	xw_addr_unmap(&y);
	if (x.sa.sa_family != y.sa.sa_family)
		return false;
	if (x.sa.sa_family == AF_INET)
		return x.in.sin_addr.s_addr == y.in.sin_addr.s_addr;
	if (x.sa.sa_family == AF_INET6)
		return !memcmp(&x.in6.sin6_addr, &y.in6.sin6_addr, 16) &&
		       x.in6.sin6_scope_id == y.in6.sin6_scope_id;
	return false;
}

bool xw_addr_equal(const struct xw_addr *a, const struct xw_addr *b)
{
	return xw_addr_same_host(a, b) && xw_addr_port(a) == xw_addr_port(b);
}

const char *xw_addr_fmt(const struct xw_addr *a, bool with_port, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char ifn[IF_NAMESIZE];

	if (!len)
		return buf;
	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, host, sizeof(host));
		if (with_port)
			snprintf(buf, len, "%s:%u", host, ntohs(a->in.sin_port));
		else
			snprintf(buf, len, "%s", host);
	} else if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->in6.sin6_addr, host, INET6_ADDRSTRLEN);
		if (a->in6.sin6_scope_id) {
			size_t n = strlen(host);

			if (if_indextoname(a->in6.sin6_scope_id, ifn))
				snprintf(host + n, sizeof(host) - n, "%%%s", ifn);
			else
				snprintf(host + n, sizeof(host) - n, "%%%u", a->in6.sin6_scope_id);
		}
		if (with_port)
			snprintf(buf, len, "[%s]:%u", host, ntohs(a->in6.sin6_port));
		else
			snprintf(buf, len, "%s", host);
	} else {
		snprintf(buf, len, "(family %d)", a->sa.sa_family);
	}
	return buf;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Numeric host first (inet_pton + scope id), then a lookup if allowed. */
static int parse_host(const char *host, bool resolve, struct xw_addr *out)
{
	struct addrinfo hints, *res = NULL;
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *pct;
	int rc;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &out->in.sin_addr) == 1) {
		out->in.sin_family = AF_INET;
		out->len = sizeof(out->in);
		return 0;
	}
	if (strlen(host) < sizeof(buf)) {
		strcpy(buf, host);
		pct = strchr(buf, '%');
		if (pct)
			*pct++ = '\0';
		if (inet_pton(AF_INET6, buf, &out->in6.sin6_addr) == 1) {
			out->in6.sin6_family = AF_INET6;
			out->len = sizeof(out->in6);
			if (pct) {
				out->in6.sin6_scope_id = if_nametoindex(pct);
				if (!out->in6.sin6_scope_id) {
					char *end;
					unsigned long v = strtoul(pct, &end, 10);

					if (!*pct || *end || !v)
						return -EINVAL;
					out->in6.sin6_scope_id = (uint32_t)v;
				}
			}
			return 0;
		}
	}
	if (!resolve || !*host)
		return -EINVAL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc || !res)
		return -ENOENT;
	if (res->ai_addrlen > sizeof(out->ss)) {
		freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int xw_addr_parse(const char *str, uint16_t default_port, bool resolve, struct xw_addr *out)
{
	char host[256];
	const char *port_str = NULL;
	uint16_t port = default_port;
	const char *colon;
	size_t hlen;
	int rc;

	if (!str || !*str)
		return -EINVAL;
	if (str[0] == '[') {
		const char *close = strchr(str, ']');

		if (!close)
			return -EINVAL;
		hlen = (size_t)(close - str - 1);
		if (close[1] == ':')
			port_str = close + 2;
		else if (close[1])
			return -EINVAL;
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, str + 1, hlen);
		host[hlen] = '\0';
	} else {
		colon = strchr(str, ':');
		/* exactly one colon: host:port; more than one: a bare IPv6 address */
		if (colon && !strchr(colon + 1, ':')) {
			hlen = (size_t)(colon - str);
			port_str = colon + 1;
		} else {
			hlen = strlen(str);
		}
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, str, hlen);
		host[hlen] = '\0';
	}
	if (port_str && parse_port(port_str, &port))
		return -EINVAL;
	rc = parse_host(host, resolve, out);
	if (rc)
		return rc;
	xw_addr_set_port(out, port);
	return 0;
}

int xw_sock_local(int fd, struct xw_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getsockname(fd, &out->sa, &out->len))
		return -errno;
	xw_addr_unmap(out);
	return 0;
}

int xw_sock_peer(int fd, struct xw_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getpeername(fd, &out->sa, &out->len))
		return -errno;
	xw_addr_unmap(out);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Socket options                                                            */

static int setopt_int(int fd, int level, int name, int val)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)))
		return -errno;
	return 0;
}

int xw_sock_set_ttl(int fd, int family, int ttl)
{
	if (ttl < 1 || ttl > 255)
		return -EINVAL;
	if (family == AF_INET6)
		return setopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl);
	return setopt_int(fd, IPPROTO_IP, IP_TTL, ttl);
}

int xw_sock_set_dscp(int fd, int family, int dscp)
{
	if (dscp < 0 || dscp > 63)
		return -EINVAL;
	/* ECN bits stay 0: the test traffic is not ECN-capable */
	if (family == AF_INET6)
		return setopt_int(fd, IPPROTO_IPV6, IPV6_TCLASS, dscp << 2);
	return setopt_int(fd, IPPROTO_IP, IP_TOS, dscp << 2);
}

/* ------------------------------------------------------------------------ */
/* TCP                                                                       */

int xw_tcp_listen(const struct xw_addr *a, int backlog)
{
	int fd, rc;

	fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = setopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!rc && a->sa.sa_family == AF_INET6)
		rc = setopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	/* inherited by accepted sockets: xw_tcp_rcv_dscp() reads the client's DSCP */
	if (!rc && a->sa.sa_family == AF_INET6)
		setopt_int(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
	else if (!rc)
		setopt_int(fd, IPPROTO_IP, IP_RECVTOS, 1);
	if (!rc && bind(fd, &a->sa, a->len))
		rc = -errno;
	if (!rc && listen(fd, backlog))
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int xw_tcp_accept(int lfd, struct xw_addr *peer)
{
	int fd;

	memset(peer, 0, sizeof(*peer));
	peer->len = sizeof(peer->ss);
	fd = accept4(lfd, &peer->sa, &peer->len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	xw_addr_unmap(peer);
	return fd;
}

int xw_tcp_rcv_dscp(int fd, int family)
{
	union {
		char buf[CMSG_SPACE(sizeof(int)) * 8];
		struct cmsghdr align;
	} u;
	struct msghdr mh;
	struct cmsghdr *c;
	socklen_t len = sizeof(u.buf);
	int v;

	memset(&mh, 0, sizeof(mh));
	if (family == AF_INET6) {
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_2292PKTOPTIONS, u.buf, &len))
			return -errno;
	} else if (getsockopt(fd, IPPROTO_IP, IP_PKTOPTIONS, u.buf, &len)) {
		return -errno;
	}
	mh.msg_control = u.buf;
	mh.msg_controllen = len;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_len < CMSG_LEN(1))
			continue;
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
			/* IP_TOS comes as one octet or an int, depending on the path */
			if (c->cmsg_len >= CMSG_LEN(sizeof(int)))
				memcpy(&v, CMSG_DATA(c), sizeof(v));
			else
				v = *(unsigned char *)CMSG_DATA(c);
			return (v >> 2) & 0x3f;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return (v >> 2) & 0x3f;
		}
	}
	return -ENODATA;
}

int xw_tcp_connect(const struct xw_addr *a, const struct xw_addr *local, bool *in_progress)
{
	int fd, rc = 0;

	*in_progress = false;
	fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* control messages are small and latency matters more than packing */
	setopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (local && bind(fd, &local->sa, local->len))
		rc = -errno;
	if (!rc && connect(fd, &a->sa, a->len)) {
		if (errno == EINPROGRESS)
			*in_progress = true;
		else
			rc = -errno;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int xw_tcp_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

/* ------------------------------------------------------------------------ */
/* UDP                                                                       */

static int udp_setup(int fd, int family, const struct xw_udp_opts *o)
{
	int rc = 0;

	if (family == AF_INET6)
		rc = setopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (!rc && o->reuseaddr)
		rc = setopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (!rc && o->ttl)
		rc = xw_sock_set_ttl(fd, family, o->ttl);
	if (!rc && o->dscp >= 0)
		rc = xw_sock_set_dscp(fd, family, o->dscp);
	/*
	 * SO_RCVBUFFORCE passes net.core.rmem_max when privileged (xwampd runs
	 * as root); otherwise SO_RCVBUF, which the kernel caps.  Neither is an
	 * error worth failing a session for.
	 */
	if (!rc && o->rcvbuf > 0 && setopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, o->rcvbuf))
		(void)setopt_int(fd, SOL_SOCKET, SO_RCVBUF, o->rcvbuf);
	if (!rc && o->rx_timestamp)
		rc = setopt_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	if (!rc && o->rx_ttl) {
		if (family == AF_INET6)
			rc = setopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
		else
			rc = setopt_int(fd, IPPROTO_IP, IP_RECVTTL, 1);
	}
	if (!rc && o->rx_dst) {
		if (family == AF_INET6)
			rc = setopt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
		else
			rc = setopt_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	}
	if (!rc && o->rx_dst_port) {
		if (family == AF_INET6)
			rc = setopt_int(fd, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, 1);
		else
			rc = setopt_int(fd, IPPROTO_IP, IP_RECVORIGDSTADDR, 1);
	}
	return rc;
}

int xw_udp_open(const struct xw_addr *a, const struct xw_udp_opts *o)
{
	int fd, rc;

	fd = socket(a->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = udp_setup(fd, a->sa.sa_family, o);
	if (!rc && bind(fd, &a->sa, a->len))
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}

int xw_udp_open_range(struct xw_addr *a, uint16_t lo, uint16_t hi, const struct xw_udp_opts *o)
{
	unsigned int span, start, i;
	struct timespec now;
	int fd;

	if (!lo || lo > hi)
		return -EINVAL;
	span = (unsigned int)hi - lo + 1;
	/* not security relevant: only spreads the search start */
	clock_gettime(CLOCK_MONOTONIC, &now);
	start = (unsigned int)(now.tv_nsec ^ (now.tv_sec * 2654435761u)) % span;
	for (i = 0; i < span; i++) {
		xw_addr_set_port(a, (uint16_t)(lo + (start + i) % span));
		fd = xw_udp_open(a, o);
		if (fd >= 0)
			return fd;
		if (fd != -EADDRINUSE && fd != -EACCES)
			return fd;
	}
	return -EADDRINUSE;
}

/* ------------------------------------------------------------------------ */
/* Batched datagram I/O                                                      */

/*
 * Room for a timestamp (timespec or 3 of them), a TTL/hop limit, the
 * destination and its port.
 */
#define XW_CTL_LEN                                                               \
	(CMSG_SPACE(sizeof(struct scm_timestamping)) + CMSG_SPACE(sizeof(int)) + \
	 CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) +      \
	 CMSG_SPACE(sizeof(struct sockaddr_in6)) + 64)

int xw_rxbatch_init(struct xw_rxbatch *b, unsigned int cap, size_t bufsize)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	if (!cap || cap > XW_BATCH_MAX || !bufsize || bufsize > XW_DGRAM_MAX)
		return -EINVAL;
	b->cap = cap;
	b->bufsize = bufsize;
	b->msg = calloc(cap, sizeof(*b->msg));
	b->hdr = calloc(cap, sizeof(*b->hdr));
	b->iov = calloc(cap, sizeof(*b->iov));
	b->data = calloc(cap, bufsize);
	b->ctl = calloc(cap, XW_CTL_LEN);
	if (!b->msg || !b->hdr || !b->iov || !b->data || !b->ctl) {
		xw_rxbatch_free(b);
		return -ENOMEM;
	}
	for (i = 0; i < cap; i++)
		b->msg[i].buf = b->data + (size_t)i * bufsize;
	return 0;
}

void xw_rxbatch_free(struct xw_rxbatch *b)
{
	free(b->msg);
	free(b->hdr);
	free(b->iov);
	free(b->data);
	free(b->ctl);
	memset(b, 0, sizeof(*b));
}

static void rx_parse_cmsgs(struct msghdr *mh, struct xw_rx_msg *m)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			memcpy(&m->ts, CMSG_DATA(c), sizeof(m->ts));
			m->ts_valid = true;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct scm_timestamping))) {
			struct scm_timestamping st;

			/* ts[0] is the software timestamp */
			memcpy(&st, CMSG_DATA(c), sizeof(st));
			if (st.ts[0].tv_sec || st.ts[0].tv_nsec) {
				m->ts = st.ts[0];
				m->ts_valid = true;
			}
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL &&
			   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			m->ttl = v;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT &&
			   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			m->ttl = v;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			m->dst_valid = !xw_addr_from_raw(&m->dst, AF_INET, &pi.ipi_addr, 0);
			m->ifindex = pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			m->dst_valid = !xw_addr_from_raw(&m->dst, AF_INET6, &pi.ipi6_addr, 0);
			m->ifindex = (int)pi.ipi6_ifindex;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_ORIGDSTADDR &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) {
			struct sockaddr_in sin;

			memcpy(&sin, CMSG_DATA(c), sizeof(sin));
			m->dst_port = ntohs(sin.sin_port);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in6))) {
			struct sockaddr_in6 sin6;

			memcpy(&sin6, CMSG_DATA(c), sizeof(sin6));
			m->dst_port = ntohs(sin6.sin6_port);
		}
	}
}

int xw_recv_batch(int fd, struct xw_rxbatch *b)
{
	unsigned int i, reset = b->dirty;
	int n;

	/*
	 * Only the headers the kernel wrote last time are set up again (all of
	 * them when the slot size changed): a reflector woken for one datagram
	 * touches one header, not the whole batch's kilobytes of cold cache.
	 */
	if (b->bufsize != b->ready_bufsize) {
		reset = b->cap;
		b->ready_bufsize = b->bufsize;
	}
	for (i = 0; i < reset; i++) {
		struct msghdr *mh = &b->hdr[i].msg_hdr;

		b->iov[i].iov_base = b->msg[i].buf;
		b->iov[i].iov_len = b->bufsize;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &b->msg[i].src.ss;
		mh->msg_namelen = sizeof(b->msg[i].src.ss);
		mh->msg_iov = &b->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = b->ctl + (size_t)i * XW_CTL_LEN;
		mh->msg_controllen = XW_CTL_LEN;
		b->hdr[i].msg_len = 0;
	}
	n = recvmmsg(fd, b->hdr, b->cap, MSG_DONTWAIT, NULL);
	/* a failure writes no header back; the first is set up again all the same */
	b->dirty = n > 0 ? (unsigned int)n : 1;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -EAGAIN;
	for (i = 0; i < (unsigned int)n; i++) {
		struct xw_rx_msg *m = &b->msg[i];
		struct msghdr *mh = &b->hdr[i].msg_hdr;

		m->len = b->hdr[i].msg_len;
		m->truncated = !!(mh->msg_flags & MSG_TRUNC);
		m->src.len = mh->msg_namelen;
		m->ts_valid = false;
		m->ts.tv_sec = 0;
		m->ts.tv_nsec = 0;
		m->ttl = -1;
		m->dst_valid = false;
		m->ifindex = 0;
		m->dst_port = 0;
		rx_parse_cmsgs(mh, m);
		xw_addr_unmap(&m->src);
	}
	return n;
}

int xw_send_batch(int fd, const struct xw_tx_msg *msgs, unsigned int n)
{
	struct mmsghdr hdr[XW_BATCH_MAX];
	struct iovec iov[XW_BATCH_MAX];
	unsigned int done = 0;

	while (done < n) {
		unsigned int k = n - done, i;
		int rc;

		if (k > XW_BATCH_MAX)
			k = XW_BATCH_MAX;
		for (i = 0; i < k; i++) {
			const struct xw_tx_msg *t = &msgs[done + i];

			iov[i].iov_base = (void *)t->buf;
			iov[i].iov_len = t->len;
			memset(&hdr[i], 0, sizeof(hdr[i]));
			if (t->dst) {
				hdr[i].msg_hdr.msg_name = (void *)&t->dst->ss;
				hdr[i].msg_hdr.msg_namelen = t->dst->len;
			}
			hdr[i].msg_hdr.msg_iov = &iov[i];
			hdr[i].msg_hdr.msg_iovlen = 1;
		}
		rc = sendmmsg(fd, hdr, k, MSG_DONTWAIT);
		if (rc < 0) {
			if (done)
				return (int)done;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		done += (unsigned int)rc;
		if ((unsigned int)rc < k)
			break;
	}
	return (int)done;
}
