/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's view of the kernel's IPsec state (doc/design.md decision 3):
 * two NETLINK_XFRM sockets in the epoll loop, one subscribed to the
 * multicast groups XFRMNLGRP_SA, _POLICY and _EXPIRE, one for the
 * XFRM_MSG_GETSA / XFRM_MSG_GETPOLICY dumps (at start, and again after the
 * event socket overflowed: ENOBUFS means events were lost).  The bytes go
 * to control/xfrm_view.h, which keeps the view; this file logs what changes
 * (SA added, rekey, replaced, soft/hard expiry, deleted) and answers, for
 * each test session at Accept, whether its flow is protected and by what.
 *
 * The sockets see the network namespace xwampd runs in.  Reading the SAD
 * needs CAP_NET_ADMIN.
 */
#ifndef XWD_XFRM_H
#define XWD_XFRM_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "loop.h"
#include "net.h"
#include "xfrm_view.h"

struct xwd_xfrm;

/*
 * Opens both sockets, subscribes, asks for the SA dump (the policy dump
 * follows) and adds them to the loop.  The view is complete once
 * xwd_xfrm_ready().  With stop_when_ready the loop is stopped then (for
 * --xfrm-dump).  NULL with *err = -errno on failure (logged).
 */
struct xwd_xfrm *xwd_xfrm_open(struct xw_loop *l, bool stop_when_ready, int *err);
void xwd_xfrm_close(struct xwd_xfrm *x); /* NULL is fine */
bool xwd_xfrm_ready(const struct xwd_xfrm *x);
const struct xfrm_view *xwd_xfrm_view(const struct xwd_xfrm *x);

/*
 * IPsec SA profile (control/saprof.h): the SA pair protecting the control
 * connection local <-> peer (TCP), for the greeting: *spi_i of the inbound
 * SA (client -> server), *spi_r of the outbound one.  From the view, in
 * the loop, without keys.  0, -EAGAIN (view not read yet), -ENOENT (not
 * protected by a pair with integrity; logged by the caller).
 */
int xwd_xfrm_sa_pair(const struct xwd_xfrm *x, const struct xw_addr *local,
		     const struct xw_addr *peer, uint32_t *proto, uint32_t *spi_i, uint32_t *spi_r);

/*
 * The Accept-time check of one test session, local = the reflector's
 * address and port, peer = the Session-Sender's.  Logs one line (who: the
 * connection and session for the log) saying whether the flow is
 * protected and by what.  When require is set and the session is
 * unauthenticated (open or mixed mode), an unprotected flow is refused:
 * returns XW_ACCEPT_NOT_SUPPORTED (3) when no IPsec policy with integrity
 * covers it, XW_ACCEPT_TEMP_LIMIT (5) when a policy covers it but its SA
 * is not installed yet (IKE still negotiating) or the initial dump has not
 * finished.  Otherwise XW_ACCEPT_OK.  x may be NULL (no xfrm view): then
 * require refuses with 2 (internal), which main.c prevents.
 */
int xwd_xfrm_session(struct xwd_xfrm *x, const struct xw_addr *local, const struct xw_addr *peer,
		     bool unauth, bool require, const char *who);

/* ifindex and name of the xfrm interface with this if_id; -ENOENT if none. */
int xwd_xfrm_if_by_id(uint32_t if_id, char ifname[IF_NAMESIZE]);

/*
 * The fast-path guard (README "IPsec view"): where an unauthenticated test
 * flow may be answered now (xfrm_flow_path()), with tunnel_ok saying whether
 * the in-tunnel device can take the reflector (xwd_xdp_ensure() succeeded;
 * called with the device's name when the flow has one; NULL: no device can).
 * *ifindex: the in-tunnel device of a protected route-based flow (the
 * xfrm interface whose if_id its inbound SA/policy has), whether it could
 * take the reflector or not (TUNNEL or SOCKET), else 0.  why: the
 * verdict line for the log.  Before the first dump is complete: SOCKET, or
 * NONE with require (nothing is known yet).  No view (x NULL): ANY.
 */
typedef bool (*xwd_tunnel_fn)(void *arg, const char *ifname);
enum xfrm_path xwd_xfrm_path(struct xwd_xfrm *x, const struct xw_addr *local,
			     const struct xw_addr *peer, bool require, xwd_tunnel_fn tunnel_ok,
			     void *arg, int *ifindex, char *why, size_t whylen);

/*
 * fn(arg) after the view changed (SAs or policies added, replaced, expired,
 * deleted, flushed, or a resync), once the view is consistent again (no
 * dump running), and once when it first becomes ready.
 */
void xwd_xfrm_on_change(struct xwd_xfrm *x, void (*fn)(void *arg), void *arg);

/* Log the view, one line per SA and policy (SIGUSR1). */
void xwd_xfrm_status(const struct xwd_xfrm *x);
/* Print the view to stdout: "sa ..." and "policy ..." lines (--xfrm-dump). */
void xwd_xfrm_print(const struct xwd_xfrm *x);
/* --xfrm-dump: open, wait for both dumps in a loop of its own, print, close.  0 or -errno. */
int xwd_xfrm_dump_main(void);

#endif /* XWD_XFRM_H */
