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

XW_INLINE int xw_host_addr4(const __u8 a[4], int loopback_ok)
{
	if (a[0] == 0 || a[0] >= 224)
		return 0;
	return a[0] != 127 || loopback_ok;
}

XW_INLINE int xw_host_addr6(const __u8 a[16], int loopback_ok)
{
	__u32 z = 0;
	int i;

	if (a[0] == 0xff)
		return 0;
	for (i = 0; i < 10; i++)
		z |= a[i];
	if (z)
		return 1; /* not in ::/80: neither ::, ::1 nor IPv4-mapped */
	if (a[10] == 0xff && a[11] == 0xff)
		return 0;
	z = (__u32)a[10] | a[11] | a[12] | a[13] | a[14];
	if (z)
		return 1; /* other ::/80 (IPv4-compatible, deprecated): left to the kernel */
	if (a[15] == 0)
		return 0;
	return a[15] != 1 || loopback_ok;
}

#endif /* XWAMP_HOSTADDR_H */
