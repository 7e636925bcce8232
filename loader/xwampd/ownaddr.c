// SPDX-License-Identifier: GPL-2.0-only
/*
 * This host's addresses from rtnetlink (ownaddr.h).
 *
 * Two NETLINK_ROUTE sockets: the event socket joins the IPv4 and IPv6
 * address groups first, then a blocking dump socket lists what is there
 * (an address added meanwhile shows up in both: adding is idempotent).
 * When the event queue overflowed (ENOBUFS) the table is dumped again and
 * whatever the new dump does not have is removed (generation sweep).
 *
 * An entry is (address, interface, kind, owner): the same address may be
 * on two interfaces, and several addresses of one subnet share its
 * broadcast address (owner: the unicast address that brought it, so that
 * deleting one of them leaves the broadcast address known while another
 * remains).  The map holds one value per address: broadcast wins, since it
 * is the kind that is never answered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "ownaddr.h"
#include "xwamp/hostaddr.h"

#define OWN_BUF	   (32 * 1024)
#define OWN_RCVBUF (1 << 20)

struct own_ent {
	struct xw_own_key key;
	struct xw_own_key owner; /* the unicast address this entry came with */
	__u32 ifindex;
	__u8 kind; /* enum xw_own_kind */
	__u32 gen; /* dump generation that last saw it */
};

struct xwd_own {
	struct xw_loop *loop;
	struct xw_io io;
	int ev_fd;
	int map_fd; /* -1: no BPF map to mirror into */
	struct own_ent *ent;
	unsigned int n;
	__u32 gen;
	bool dumping; /* log changes only outside the dumps */
	bool full_logged;
};

/* --- keys -------------------------------------------------------------------- */

static struct xw_own_key key_of(int family, const void *raw)
{
	struct xw_own_key k;

	memset(&k, 0, sizeof(k));
	if (family == AF_INET) {
		k.addr[10] = k.addr[11] = 0xff; /* ::ffff:a.b.c.d, as the BPF side */
		memcpy(k.addr + 12, raw, 4);
	} else {
		memcpy(k.addr, raw, 16);
	}
	return k;
}

static bool key_v4(const struct xw_own_key *k)
{
	static const __u8 mapped[12] = {[10] = 0xff, [11] = 0xff};

	return !memcmp(k->addr, mapped, 12);
}

static const char *key_fmt(const struct xw_own_key *k, char *buf, size_t len)
{
	struct xw_addr a;

	if (key_v4(k))
		xw_addr_from_raw(&a, AF_INET, k->addr + 12, 0);
	else
		xw_addr_from_raw(&a, AF_INET6, k->addr, 0);
	return xw_addr_fmt(&a, false, buf, len);
}

/* --- the table and the map --------------------------------------------------------- */

static struct own_ent *ent_find(struct xwd_own *o, const struct xw_own_key *k, __u32 ifindex,
				__u8 kind, const struct xw_own_key *owner)
{
	unsigned int i;

	for (i = 0; i < o->n; i++) {
		struct own_ent *e = &o->ent[i];

		if (e->ifindex == ifindex && e->kind == kind && !memcmp(&e->key, k, sizeof(*k)) &&
		    !memcmp(&e->owner, owner, sizeof(*owner)))
			return e;
	}
	return NULL;
}

/* The map's value for an address: broadcast over unicast; NULL when none is left. */
static const struct own_ent *ent_best(const struct xwd_own *o, const struct xw_own_key *k)
{
	const struct own_ent *best = NULL;
	unsigned int i;

	for (i = 0; i < o->n; i++) {
		const struct own_ent *e = &o->ent[i];

		if (memcmp(&e->key, k, sizeof(*k)))
			continue;
		if (!best || e->kind == XW_OWN_BROADCAST)
			best = e;
	}
	return best;
}

static void map_sync(struct xwd_own *o, const struct xw_own_key *k)
{
	const struct own_ent *e;
	char a[64];

	if (o->map_fd < 0)
		return;
	e = ent_best(o, k);
	if (e) {
		struct xw_own_val v = {.ifindex = e->ifindex, .kind = e->kind};

		if (bpf_map_update_elem(o->map_fd, k, &v, BPF_ANY))
			pr_warn("own addresses: BPF map: adding %s: %s (XDP treats it as not ours)",
				key_fmt(k, a, sizeof(a)), strerror(errno));
	} else if (bpf_map_delete_elem(o->map_fd, k) && errno != ENOENT) {
		pr_warn("own addresses: BPF map: removing %s: %s", key_fmt(k, a, sizeof(a)),
			strerror(errno));
	}
}

static void ent_log(const struct xwd_own *o, const char *what, const struct own_ent *e)
{
	char a[64];

	if (o->dumping)
		pr_debug("own addresses: %s %s%s (ifindex %u)", what,
			 key_fmt(&e->key, a, sizeof(a)),
			 e->kind == XW_OWN_BROADCAST ? " broadcast" : "", e->ifindex);
	else
		pr_info("own addresses: %s %s%s (ifindex %u)", what, key_fmt(&e->key, a, sizeof(a)),
			e->kind == XW_OWN_BROADCAST ? " broadcast" : "", e->ifindex);
}

static void ent_add(struct xwd_own *o, const struct xw_own_key *k, __u32 ifindex, __u8 kind,
		    const struct xw_own_key *owner)
{
	struct own_ent *e = ent_find(o, k, ifindex, kind, owner);
	bool known;

	if (e) {
		e->gen = o->gen;
		return;
	}
	if (o->n >= XW_OWN_MAX) {
		if (!o->full_logged)
			pr_warn("own addresses: more than %d: the others are treated as not this "
				"host's (TWAMP Light local=* does not answer them)",
				XW_OWN_MAX);
		o->full_logged = true;
		return;
	}
	known = ent_best(o, k) != NULL;
	e = &o->ent[o->n++];
	e->key = *k;
	e->owner = *owner;
	e->ifindex = ifindex;
	e->kind = kind;
	e->gen = o->gen;
	if (!known)
		ent_log(o, "added", e); /* not again for a second interface or owner */
	map_sync(o, k);
}

static void ent_remove(struct xwd_own *o, struct own_ent *e)
{
	struct own_ent gone = *e;

	*e = o->ent[--o->n];
	if (!ent_best(o, &gone.key))
		ent_log(o, "removed", &gone); /* the last entry of the address */
	map_sync(o, &gone.key);
}

static void ent_del(struct xwd_own *o, const struct xw_own_key *k, __u32 ifindex, __u8 kind,
		    const struct xw_own_key *owner)
{
	struct own_ent *e = ent_find(o, k, ifindex, kind, owner);

	if (e)
		ent_remove(o, e);
}

/* --- rtnetlink ------------------------------------------------------------------ */

/* A broadcast address that comes (RTM_NEWADDR) or goes with unicast address owner. */
static void brd_event(struct xwd_own *o, int type, const void *brd, __u32 ifindex,
		      const struct xw_own_key *owner)
{
	struct xw_own_key bk = key_of(AF_INET, brd);

	if (type == RTM_NEWADDR)
		ent_add(o, &bk, ifindex, XW_OWN_BROADCAST, owner);
	else
		ent_del(o, &bk, ifindex, XW_OWN_BROADCAST, owner);
}

/* One RTM_NEWADDR / RTM_DELADDR. */
static void addr_msg(struct xwd_own *o, const struct nlmsghdr *nh)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	const void *local = NULL, *address = NULL, *brd = NULL;
	size_t alen = 0;
	struct xw_own_key k;
	__u32 flags;
	bool usable;
	struct rtattr *a;
	int rem;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return;
	if (ifa->ifa_family == AF_INET)
		alen = 4;
	else if (ifa->ifa_family == AF_INET6)
		alen = 16;
	else
		return;
	flags = ifa->ifa_flags;
	rem = (int)IFA_PAYLOAD(nh);
	for (a = IFA_RTA(ifa); RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
		if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) >= 4)
			memcpy(&flags, RTA_DATA(a), 4);
		if (RTA_PAYLOAD(a) != alen)
			continue;
		if (a->rta_type == IFA_LOCAL)
			local = RTA_DATA(a);
		else if (a->rta_type == IFA_ADDRESS)
			address = RTA_DATA(a);
		else if (a->rta_type == IFA_BROADCAST)
			brd = RTA_DATA(a);
	}
	/* IFA_LOCAL is ours; IFA_ADDRESS is the peer's on point-to-point links */
	if (!local)
		local = address;
	if (!local)
		return;
	k = key_of(ifa->ifa_family, local);
	/*
	 * RFC 4862 5.4: a tentative address receives nothing; neither does a
	 * duplicate.  Loopback addresses stay in (a socket's peer on lo is
	 * this host); hostaddr.h keeps the programs from answering them.
	 */
	usable = !(flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
	if (nh->nlmsg_type == RTM_NEWADDR && usable)
		ent_add(o, &k, ifa->ifa_index, XW_OWN_UNICAST, &k);
	else
		ent_del(o, &k, ifa->ifa_index, XW_OWN_UNICAST, &k);
	if (brd)
		brd_event(o, nh->nlmsg_type, brd, ifa->ifa_index, &k);
	/*
	 * The subnet's broadcast address is one whether or not IFA_BROADCAST
	 * was given: the kernel adds a broadcast route for prefix | ~mask of
	 * every IPv4 address with a prefix shorter than 31 (fib_add_ifaddr()).
	 */
	if (ifa->ifa_family == AF_INET && ifa->ifa_prefixlen < 31) {
		__u32 v, mask = ifa->ifa_prefixlen ? ~0U << (32 - ifa->ifa_prefixlen) : 0;
		__u8 b[4];

		memcpy(&v, local, 4);
		v = htonl(ntohl(v) | ~mask);
		memcpy(b, &v, 4);
		if (!brd || memcmp(b, brd, 4))
			brd_event(o, nh->nlmsg_type, b, ifa->ifa_index, &k);
	}
}

/* Handle a buffer of messages; 1 at NLMSG_DONE, -errno at NLMSG_ERROR, else 0. */
static int msgs(struct xwd_own *o, const void *buf, size_t len)
{
	const struct nlmsghdr *nh;

	for (nh = buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
		if (nh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = NLMSG_DATA(nh);

			return nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*err)) && err->error
				       ? err->error
				       : -EPROTO;
		}
		if (nh->nlmsg_type == RTM_NEWADDR || nh->nlmsg_type == RTM_DELADDR)
			addr_msg(o, nh);
	}
	return 0;
}

/* Dump every address (blocking, own socket); then drop what the dump did not list. */
static int dump(struct xwd_own *o)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
	} req = {
		.nh = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
		       .nlmsg_type = RTM_GETADDR,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = 1},
		.ifa = {.ifa_family = AF_UNSPEC},
	};
	char buf[OWN_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	unsigned int i;
	ssize_t n;
	int fd, rc = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		rc = -errno;
		goto out;
	}
	o->gen++;
	o->dumping = true;
	while (!rc) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (n == 0) {
			rc = -EPROTO;
			break;
		}
		rc = msgs(o, buf, (size_t)n);
	}
	o->dumping = false;
	if (rc < 0)
		goto out;
	rc = 0;
	/* sweep: what this dump did not list is gone */
	for (i = 0; i < o->n;) {
		if (o->ent[i].gen != o->gen)
			ent_remove(o, &o->ent[i]);
		else
			i++;
	}
out:
	close(fd);
	return rc;
}

/* Every event the kernel has queued, now. */
static void own_drain(struct xwd_own *o)
{
	char buf[OWN_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n;
	int rc;

	for (;;) {
		n = recv(o->ev_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS)
				return;
			pr_warn("own addresses: rtnetlink events lost (ENOBUFS): listing them "
				"again");
			rc = dump(o);
			if (rc)
				pr_warn("own addresses: dump: %s", strerror(-rc));
			continue;
		}
		msgs(o, buf, (size_t)n);
	}
}

static void own_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	(void)l;
	(void)events;
	own_drain(io->arg);
}

void xwd_own_sync(struct xwd_own *o)
{
	if (o)
		own_drain(o);
}

int xwd_own_open(struct xw_loop *loop, struct xwd_own **out)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};
	int rcvbuf = OWN_RCVBUF, rc;
	struct xwd_own *o;
	unsigned int i, nb = 0;

	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->ent = calloc(XW_OWN_MAX, sizeof(*o->ent));
	o->map_fd = -1;
	o->loop = loop;
	o->ev_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (!o->ent || o->ev_fd < 0) {
		rc = o->ent ? -errno : -ENOMEM;
		goto fail;
	}
	setsockopt(o->ev_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(o->ev_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		goto fail;
	}
	rc = xw_loop_add(loop, &o->io, o->ev_fd, EPOLLIN, own_event, o);
	if (rc)
		goto fail;
	rc = dump(o);
	if (rc) {
		xw_loop_del(loop, &o->io);
		goto fail;
	}
	for (i = 0; i < o->n; i++)
		nb += o->ent[i].kind == XW_OWN_BROADCAST;
	pr_info("own addresses: %u unicast, %u broadcast (rtnetlink; followed from now on)",
		o->n - nb, nb);
	*out = o;
	return 0;
fail:
	pr_err("own addresses: rtnetlink: %s", strerror(-rc));
	if (o->ev_fd >= 0)
		close(o->ev_fd);
	free(o->ent);
	free(o);
	return rc;
}

void xwd_own_close(struct xwd_own *o)
{
	if (!o)
		return;
	xw_loop_del(o->loop, &o->io);
	close(o->ev_fd);
	free(o->ent);
	free(o);
}

enum xw_own_kind xwd_own_lookup(const struct xwd_own *o, const struct xw_addr *addr)
{
	struct xw_addr a;
	struct xw_own_key k;
	const struct own_ent *e;
	__u8 raw[16];
	size_t n;

	if (!o || !addr)
		return XW_OWN_NONE;
	a = *addr;
	xw_addr_unmap(&a);
	n = xw_addr_to_raw(&a, raw);
	if (n != 4 && n != 16)
		return XW_OWN_NONE;
	k = key_of(n == 4 ? AF_INET : AF_INET6, raw);
	e = ent_best(o, &k);
	return e ? (enum xw_own_kind)e->kind : XW_OWN_NONE;
}

bool xwd_hostaddr_ok(const struct xw_addr *addr, bool loopback_ok)
{
	struct xw_addr a = *addr;
	__u8 raw[16];
	size_t n;

	xw_addr_unmap(&a);
	n = xw_addr_to_raw(&a, raw);
	if (n == 4)
		return xw_host_addr4(raw, loopback_ok);
	return n == 16 && xw_host_addr6(raw, loopback_ok);
}

bool xwd_own_is_local(const struct xwd_own *o, const struct xw_addr *a)
{
	return xwd_own_lookup(o, a) == XW_OWN_UNICAST;
}

void xwd_own_set_map(struct xwd_own *o, int map_fd)
{
	struct xw_own_key k, next;
	unsigned int i;
	bool more;

	if (!o)
		return;
	o->map_fd = map_fd;
	if (map_fd < 0)
		return;
	/* entries of the map that are not in the table (a stale pin's) go */
	more = !bpf_map_get_next_key(map_fd, NULL, &k);
	while (more) {
		more = !bpf_map_get_next_key(map_fd, &k, &next);
		if (!ent_best(o, &k))
			bpf_map_delete_elem(map_fd, &k);
		k = next;
	}
	for (i = 0; i < o->n; i++)
		map_sync(o, &o->ent[i].key);
}

unsigned int xwd_own_count(const struct xwd_own *o)
{
	return o ? o->n : 0;
}
