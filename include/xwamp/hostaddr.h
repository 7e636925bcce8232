/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which addresses a reflector may answer, and answer for: ONE set of rules
 * for the BPF programs (bpf/xwamp.bpf.c), xwampd's TWAMP Light sockets
 * (loader/xwampd/lightd.c) and the TWAMP Light configuration parser
 * (control/light.c), so that no path answers what another refuses.
 *
 * xw_host_addr4() / xw_host_addr6(): can this address be one end of a
 * unicast exchange with a host on a link?  Never:
 *
 *   IPv4  0.0.0.0/8     "this network", unspecified (RFC 1122 3.2.1.3, RFC 6890)
 *         127.0.0.0/8   loopback, from outside the host (RFC 1122 3.2.1.3 (g))
 *         224.0.0.0/4   multicast (RFC 1112 4: never a source; RFC 1122 3.2.1.3)
 *         240.0.0.0/4   reserved, incl. 255.255.255.255 limited broadcast (RFC 919)
 *   IPv6  ::            unspecified (RFC 4291 2.5.2: never a destination,
 *                       nothing to answer as a source)
 *         ::1           loopback, from outside the host (RFC 4291 2.5.3)
 *         ff00::/8      multicast (RFC 4291 2.7: never a source)
 *         ::ffff:0:0/96 IPv4-mapped (RFC 4291 2.5.5.2: not on the wire; Linux
 *                       drops it as a source, ip6_input.c)
 *         ::/96         the rest: IPv4-compatible, deprecated (RFC 4291 2.5.5.1)
 *         2002::/16     6to4 (RFC 3056 2) and 64:ff9b::/96, the NAT64 well-known
 *                       prefix (RFC 6052 2.1): they carry an IPv4 address that a
 *                       relay or translator turns into the IPv4 one, so they
 *                       follow the IPv4 rules for it (RFC 3964, the 6to4
 *                       security considerations: a 6to4 address of a broadcast
 *                       or multicast IPv4 address is an amplifier; RFC 6052 3.1: the well-known prefix never
 *                       carries a non-global IPv4 address)
 *
 * loopback_ok: the address reached us through the host's own loopback
 * device (a socket's peer on lo): loopback addresses are fine there, and
 * only there.  The BPF programs run on other devices and pass 0.
 *
 * What these cannot know, a subnet's directed broadcast address or another
 * host's address, the own-address map answers (bpf_shared.h "own_addrs",
 * filled by xwampd from rtnetlink; xwd_own_lookup() in userspace).
 *
 * Addresses in network order, as they lie in the packet.
 */
#ifndef XWAMP_HOSTADDR_H
#define XWAMP_HOSTADDR_H

#include "xwamp/types.h"

/* What an address is (one classification: control/policy.c names the same kinds). */
enum xw_addr_kind {
	XW_ADDR_UNICAST = 0,
	XW_ADDR_UNSPEC,	   /* 0.0.0.0/8, :: */
	XW_ADDR_LOOPBACK,  /* 127.0.0.0/8, ::1 */
	XW_ADDR_MULTICAST, /* 224.0.0.0/4, ff00::/8 */
	XW_ADDR_BROADCAST, /* 255.255.255.255 */
	XW_ADDR_RESERVED,  /* 240.0.0.0/4, ::ffff:0:0/96, the rest of ::/96 */
};

XW_INLINE enum xw_addr_kind xw_addr_kind4(const __u8 a[4])
{
	if (a[0] == 0)
		return XW_ADDR_UNSPEC;
	if (a[0] == 127)
		return XW_ADDR_LOOPBACK;
	if (a[0] < 224)
		return XW_ADDR_UNICAST;
	if (a[0] < 240)
		return XW_ADDR_MULTICAST;
	if ((a[0] & a[1] & a[2] & a[3]) == 255)
		return XW_ADDR_BROADCAST;
	return XW_ADDR_RESERVED;
}

XW_INLINE enum xw_addr_kind xw_addr_kind6(const __u8 a[16])
{
	__u32 z = 0;
	int i;

	if (a[0] == 0xff)
		return XW_ADDR_MULTICAST;
	if (a[0] == 0x20 && a[1] == 0x02)
		return xw_addr_kind4(a + 2); /* 6to4: 2002:V4ADDR::/48 */
	if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b) {
		for (i = 4; i < 12; i++)
			z |= a[i];
		if (!z)
			return xw_addr_kind4(a + 12); /* NAT64: 64:ff9b::V4ADDR */
	}
	for (i = 0; i < 10; i++)
		z |= a[i];
	if (z)
		return XW_ADDR_UNICAST; /* outside ::/80 */
	if (a[10] == 0xff && a[11] == 0xff)
		return XW_ADDR_RESERVED; /* IPv4-mapped: an IPv4 address dodging the IPv4 rules */
	if (a[10] | a[11])
		return XW_ADDR_UNICAST; /* outside ::/96 */
	if (a[12] | a[13] | a[14])
		return XW_ADDR_RESERVED; /* IPv4-compatible */
	if (a[15] == 0)
		return XW_ADDR_UNSPEC;
	return a[15] == 1 ? XW_ADDR_LOOPBACK : XW_ADDR_RESERVED;
}

/* A host's unicast address (loopback only when loopback_ok). */
XW_INLINE int xw_host_addr4(const __u8 a[4], int loopback_ok)
{
	enum xw_addr_kind k = xw_addr_kind4(a);

	return k == XW_ADDR_UNICAST || (k == XW_ADDR_LOOPBACK && loopback_ok);
}

XW_INLINE int xw_host_addr6(const __u8 a[16], int loopback_ok)
{
	enum xw_addr_kind k = xw_addr_kind6(a);

	return k == XW_ADDR_UNICAST || (k == XW_ADDR_LOOPBACK && loopback_ok);
}

#endif /* XWAMP_HOSTADDR_H */
