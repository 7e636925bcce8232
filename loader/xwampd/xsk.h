/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's AF_XDP reflector for authenticated and encrypted TWAMP-Test
 * sessions (doc/design.md "Data paths"): the XDP program cannot do AES and
 * HMAC-SHA1, so it redirects the frames of ARMED XW_SESS_AUTH_REDIRECT
 * sessions into the "xsks" XSKMAP at the receive queue's index, with its
 * receive timestamp (Unix ns, the same clock and clock-map offset as the
 * XDP_TX path) in the 8 octets of XDP metadata in front of the frame.
 *
 * One AF_XDP socket with its own UMEM per receive queue of each interface
 * the program is attached to; zero-copy where the driver supports it, copy
 * mode otherwise (veth, generic XDP).  libxdp must not load its default
 * program (XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD): xdp_xwamp is ours.
 *
 * The worker runs in xwampd's epoll loop on the RX ring fds (no busy
 * polling): per wakeup a bounded number of batches, each frame verified
 * (HMAC in constant time), decrypted, answered with xw_tp_reflect() in the
 * same frame, addresses swapped, checksums recomputed, and sent on the same
 * socket.  Nothing waits for ring space: a reply that finds the TX ring full
 * is dropped and counted, so a burst never blocks the control plane.
 *
 * OWAMP receivers in authenticated/encrypted mode use the same sockets
 * (owsess.c): their frames are verified and stored, never answered.
 *
 * Every function accepts a NULL struct xwd_xsk (AF_XDP not in use).
 */
#ifndef XWAMPD_XSK_H
#define XWAMPD_XSK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct xwd;

/*
 * Sessions are found in the registry by destination port (sess.h), O(1)
 * per frame, and answered by its reflect step; their AF_XDP counters are
 * the session's xsk counters (struct xwd_cnt, enum xwd_drop).
 */

/* An interface the XDP program is attached to (from xdp.h). */
struct xwd_xsk_if {
	const char *name;
	int ifindex;
	bool generic; /* attached in generic (SKB) mode: copy mode only */
	bool l3;      /* frames start at the IP header (TUN); found when its sockets open */
};

struct xwd_xsk;

struct xwd_cfg;

/*
 * One socket with its own UMEM (sized from --max-sessions-total, xsk.c) per
 * receive queue of every interface XDP is attached to (d->xdp), registered
 * in the "xsks" XSKMAP; the result in d->xsk, NULL when no socket could be
 * bound anywhere or none is wanted (logged: those sessions stay on the
 * socket path, the XDP program passes their frames since the XSKMAP has no
 * entry).  0 or -ENOMEM; never fails xwampd otherwise.
 */
int xwd_xsk_start(struct xwd *d);
void xwd_xsk_close(struct xwd_xsk *x);
/*
 * An interface was attached after start (appeared, re-created, in-tunnel):
 * the sockets of that interface only are opened (and those of a device that
 * is gone or was replaced closed); every other socket, and the sessions it
 * serves, is left alone.
 */
int xwd_xsk_restart(struct xwd *d);
/*
 * Take what the RX rings hold now (bounded by the ring size), before an
 * OWAMP receiver's data is closed or its entry removed.
 */
void xwd_xsk_drain(struct xwd_xsk *x);
/* Whether AF_XDP has anything to do: an authenticated or encrypted mode, no --no-afxdp. */
bool xwd_xsk_wanted(const struct xwd_cfg *cfg);
/* Whether interface ifindex has a socket on every one of its receive queues. */
bool xwd_xsk_covers(const struct xwd_xsk *x, int ifindex);
/* "xws0 1 queue copy" for log lines ("" for NULL). */
const char *xwd_xsk_where(const struct xwd_xsk *x);
/* SIGUSR1: per-socket frame counters and the drops of frames without a session. */
void xwd_xsk_status(const struct xwd_xsk *x);
/* The same counters for Prometheus (--metrics; nothing for NULL). */
void xwd_xsk_metrics(const struct xwd_xsk *x, FILE *f);

#endif /* XWAMPD_XSK_H */
