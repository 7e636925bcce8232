/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * This host's own addresses, as the kernel knows them in xwampd's network
 * namespace, followed through rtnetlink (RTM_NEWADDR / RTM_DELADDR: a dump
 * at start and the address multicast groups after, a new dump when events
 * were lost).  Kept:
 *
 *   - unicast addresses of every interface, IPv6 ones once DAD is over
 *     (tentative and dadfailed addresses receive nothing); 127.0.0.1 and
 *     ::1 too (a socket's peer over lo is this host), which the programs
 *     never answer from outside all the same (include/xwamp/hostaddr.h);
 *   - IPv4 broadcast addresses (IFA_BROADCAST, and prefix | ~mask of
 *     every address with a prefix shorter than 31, which the kernel treats
 *     as broadcast either way), as XW_OWN_BROADCAST: a datagram to one is
 *     for every host on the link, a datagram from one comes from nobody.
 *
 * Users: the XDP/tc programs through the "own_addrs" map (bpf_shared.h),
 * mirrored here at every change, and userspace through xwd_own_lookup() /
 * xwd_own_is_local(): TWAMP Light's sockets, and the control policy's
 * Receiver Address check.  At most XW_OWN_MAX addresses (more are logged
 * once and left out: they are then "not ours", the safe answer).
 */
#ifndef XWAMPD_OWNADDR_H
#define XWAMPD_OWNADDR_H

#include <stdbool.h>

#include "loop.h"
#include "net.h"
#include "xwamp/bpf_shared.h"

struct xwd_own;

/*
 * Subscribe to address events, then dump the addresses (nothing is lost
 * in between).  0 with *out set, or -errno after a log line (no table:
 * callers then treat every address as not ours).
 */
int xwd_own_open(struct xw_loop *loop, struct xwd_own **out);
void xwd_own_close(struct xwd_own *o); /* NULL is fine */

/*
 * What a is to this host (the port is ignored; IPv4-mapped IPv6 is looked
 * up as IPv4): XW_OWN_UNICAST, XW_OWN_BROADCAST or XW_OWN_NONE (also for
 * o NULL).
 */
enum xw_own_kind xwd_own_lookup(const struct xwd_own *o, const struct xw_addr *a);

/*
 * Take in the address events the kernel has queued and the loop has not
 * read yet (NULL is fine): a decision made right after an address change
 * then sees it (the control policy, host.c).
 */
void xwd_own_sync(struct xwd_own *o);

/* "Is this one of my unicast addresses?" (xwd_own_lookup() == XW_OWN_UNICAST). */
bool xwd_own_is_local(const struct xwd_own *o, const struct xw_addr *a);

/*
 * The shared host address rules (include/xwamp/hostaddr.h) for a socket
 * address: false for multicast, broadcast 255.255.255.255, unspecified,
 * reserved and IPv4-mapped addresses; loopback_ok: 127/8 and ::1 are
 * fine (a datagram the kernel delivered to a socket from a loopback
 * address came over lo: it drops them from anywhere else).
 */
bool xwd_hostaddr_ok(const struct xw_addr *a, bool loopback_ok);

/*
 * Mirror the table into a BPF "own_addrs" map (fd; -1: stop), now and at
 * every change.  Entries of the map not in the table are removed.
 */
void xwd_own_set_map(struct xwd_own *o, int map_fd);

/* Addresses known (for the status line and tests). */
unsigned int xwd_own_count(const struct xwd_own *o);

#endif /* XWAMPD_OWNADDR_H */
