// SPDX-License-Identifier: GPL-2.0-only
/*
 * What this host says about an address or a port, for the session policy
 * (control/policy.h), the reflector's port choice (refl.c) and the IPsec path.  Read at the
 * decision: addresses come and go.  The addresses come from the rtnetlink
 * view of ownaddr.h, the one the XDP/tc programs and TWAMP Light use too,
 * brought up to date with the kernel's queued events first; getifaddrs() is
 * only the fallback for a daemon without that view (xwd_own_open() failed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "ownaddr.h"
#include "xfrm.h"
#include "xwampd.h"

void xwd_pol_addr(const struct xw_addr *a, struct pol_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->ipvn = xw_addr_to_raw(a, out->a) == 4 ? 4 : 6;
}

/* Without the rtnetlink view: the interfaces' addresses, now. */
static enum pol_host host_addr_ifaddrs(const struct pol_addr *a)
{
	enum pol_host ret = POL_HOST_OTHER;
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return POL_HOST_OTHER;
	for (i = ifa; i && ret == POL_HOST_OTHER; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (a->ipvn == 4 && i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)i->ifa_addr;
			const struct sockaddr_in *nm = (const void *)i->ifa_netmask;
			uint32_t mask, x, own;

			if (!memcmp(&sin->sin_addr, a->a, 4)) {
				ret = POL_HOST_OWN;
				continue;
			}
			/*
			 * The directed broadcast of the subnet: all host bits one,
			 * whether or not the address was configured with "brd"
			 * (ip addr add does not set one unless told).  /31 and /32
			 * have none (RFC 3021).
			 */
			if (!nm || nm->sin_family != AF_INET)
				continue;
			mask = ntohl(nm->sin_addr.s_addr);
			own = ntohl(sin->sin_addr.s_addr);
			memcpy(&x, a->a, 4);
			x = ntohl(x);
			if (mask < 0xfffffffeu && (x & mask) == (own & mask) && (x | mask) == ~0u)
				ret = POL_HOST_BCAST;
		} else if (a->ipvn == 6 && i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)i->ifa_addr;

			if (!memcmp(&sin6->sin6_addr, a->a, 16))
				ret = POL_HOST_OWN;
		}
	}
	freeifaddrs(ifa);
	return ret;
}

/* arg: the daemon (struct xwd); its own-address view when it has one. */
enum pol_host xwd_host_addr(void *arg, const struct pol_addr *a)
{
	struct xwd *d = arg;
	struct xw_addr x;

	if (!d || !d->own)
		return host_addr_ifaddrs(a);
	if (xw_addr_from_raw(&x, a->ipvn == 4 ? AF_INET : AF_INET6, a->a, 0))
		return POL_HOST_OTHER;
	xwd_own_sync(d->own);
	switch (xwd_own_lookup(d->own, &x)) {
	case XW_OWN_UNICAST:
		return POL_HOST_OWN;
	case XW_OWN_BROADCAST:
		return POL_HOST_BCAST;
	default:
		return POL_HOST_OTHER;
	}
}

/*
 * Whether any UDP socket of this host (this network namespace) has the
 * port, on any address and either family: a bind to the dual-stack
 * wildcard without SO_REUSEADDR conflicts with every one of them.  Only
 * EADDRINUSE counts as "used"; other failures (no IPv6: then the IPv4
 * wildcard) tell nothing, and the reflector's own bind decides.
 */
bool xwd_host_udp_port_used(uint16_t port)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd, off = 0, rc, err;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (!setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) {
			rc = bind(fd, (const struct sockaddr *)&s6, sizeof(s6));
			err = errno;
			close(fd);
			if (!rc || err == EADDRINUSE)
				return rc != 0;
		} else {
			close(fd);
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	rc = bind(fd, (const struct sockaddr *)&s4, sizeof(s4));
	err = errno;
	close(fd);
	return rc && err == EADDRINUSE;
}

/* xwd_xfrm_path()'s in-tunnel device: it gets the reflector, if XDP is in use. */
struct tunnel_arg {
	struct xwd *d;
	const char *who;
};

static bool tunnel_ok(void *arg, const char *ifname)
{
	const struct tunnel_arg *t = arg;

	return t->d->xdp && !xwd_xdp_ensure(t->d->xdp, ifname, t->who);
}

enum xfrm_path xwd_ipsec_path(struct xwd *d, const struct xw_addr *local,
			      const struct xw_addr *peer, const char *who, int *ifindex, char *why,
			      size_t whylen)
{
	struct tunnel_arg t = {.d = d, .who = who};

	return xwd_xfrm_path(d->xfrm, local, peer, d->cfg->require_ipsec, tunnel_ok, &t, ifindex,
			     why, whylen);
}
