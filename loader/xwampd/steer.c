// SPDX-License-Identifier: GPL-2.0-only
/* The socket path's steering (steer.h, bpf/steer.bpf.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "steer.h"
#include "steer.skel.h"
#include "xwamp/steer.h"

struct xwd_steer {
	struct steer *skel;
	struct bpf_link *link;
	int ports_fd;
	int fd[XW_STEER_NSOCKS]; /* -1: none */
};

void xwd_steer_close(struct xwd_steer *st)
{
	int i;

	if (!st)
		return;
	bpf_link__destroy(st->link);
	steer__destroy(st->skel);
	for (i = 0; i < XW_STEER_NSOCKS; i++)
		if (st->fd[i] >= 0)
			close(st->fd[i]);
	free(st);
}

/*
 * The socket of one family: bound to the wildcard address and a port the
 * kernel picks (a socket map holds only bound sockets), never given to a
 * session (xwd_host_udp_port_used()); what arrives on that port itself is
 * no session's and dropped by refl.c.
 */
static int steer_socket(struct xwd_steer *st, int slot, int rcvbuf)
{
	struct xw_udp_opts o = XW_UDP_OPTS_TEST;
	struct xw_addr any;
	__u32 key = (__u32)slot;
	__u64 val;
	int fd;

	o.ttl = 0;
	o.dscp = -1; /* it never sends: the sessions' sockets do */
	o.rcvbuf = rcvbuf;
	o.rx_dst = true;      /* the receiving device (route-based IPsec) */
	o.rx_dst_port = true; /* which session */
	if (xw_addr_parse(slot == XW_STEER_V6 ? "[::]:0" : "0.0.0.0:0", 0, false, &any))
		return -EINVAL;
	fd = xw_udp_open(&any, &o);
	if (fd < 0)
		return fd;
	val = (__u64)fd;
	if (bpf_map_update_elem(bpf_map__fd(st->skel->maps.steer_socks), &key, &val, BPF_ANY)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	st->fd[slot] = fd;
	return 0;
}

int xwd_steer_open(int rcvbuf, struct xwd_steer **out)
{
	struct xwd_steer *st;
	const char *what;
	int rc, ns;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->fd[XW_STEER_V4] = st->fd[XW_STEER_V6] = -1;
	what = "opening the program";
	st->skel = steer__open();
	if (!st->skel) {
		rc = -errno;
		goto fail;
	}
	what = "loading the program";
	rc = steer__load(st->skel);
	if (rc)
		goto fail;
	st->ports_fd = bpf_map__fd(st->skel->maps.steer_ports);
	what = "the IPv4 socket";
	rc = steer_socket(st, XW_STEER_V4, rcvbuf);
	if (rc)
		goto fail;
	/* a host without IPv6 serves IPv4 sessions alike */
	rc = steer_socket(st, XW_STEER_V6, rcvbuf);
	if (rc)
		pr_info("socket path: no shared IPv6 socket (%s): IPv6 sessions read from their "
			"own sockets",
			strerror(-rc));
	what = "attaching to the network namespace";
	ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		rc = -errno;
		goto fail;
	}
	st->link = bpf_program__attach_netns(st->skel->progs.xw_steer, ns);
	rc = st->link ? 0 : -errno;
	close(ns);
	if (rc) {
		st->link = NULL;
		goto fail;
	}
	*out = st;
	return 0;
fail:
	pr_info("socket path: one socket read per session (sk_lookup steering unavailable: %s: "
		"%s)",
		what, strerror(-rc));
	xwd_steer_close(st);
	return 0;
}

int xwd_steer_fd(const struct xwd_steer *st, bool v6)
{
	return st ? st->fd[v6 ? XW_STEER_V6 : XW_STEER_V4] : -1;
}

int xwd_steer_add(struct xwd_steer *st, const struct xw_addr *local)
{
	struct xw_steer_port v;
	__u32 key = xw_addr_port(local);

	memset(&v, 0, sizeof(v));
	if (xw_addr_family(local) == AF_INET6) {
		if (st->fd[XW_STEER_V6] < 0)
			return -EAFNOSUPPORT;
		/*
		 * A link-local address is one per link: its socket is bound to the
		 * device, which the program does not check; it keeps its own.
		 */
		if (local->in6.sin6_scope_id)
			return -EOPNOTSUPP;
		v.v6 = 1;
		memcpy(v.addr, &local->in6.sin6_addr, 16);
	} else {
		memcpy(v.addr, &local->in.sin_addr, 4);
	}
	return bpf_map_update_elem(st->ports_fd, &key, &v, BPF_ANY) ? -errno : 0;
}

void xwd_steer_del(struct xwd_steer *st, uint16_t port)
{
	__u32 key = port;

	bpf_map_delete_elem(st->ports_fd, &key);
}

int xwd_steer_probe(void *arg)
{
	struct xwd_steer *st = arg;
	struct xw_steer_port v;
	__u32 key = 0;

	/* ENOENT is an answer: the map is readable */
	if (bpf_map_lookup_elem(st->ports_fd, &key, &v) && errno != ENOENT)
		return -errno;
	return 0;
}
