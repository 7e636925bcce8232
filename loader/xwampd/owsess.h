/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's OWAMP-Test sessions (owsess.c): receivers and senders opened by
 * the OWAMP-Control state machine through conn.c's callbacks.
 */
#ifndef XWAMPD_OWSESS_H
#define XWAMPD_OWSESS_H

#include <stdbool.h>

#include "xwampd.h"

struct xwd_ows;

/*
 * sess_request of an OWAMP session: a receiver (Conf-Receiver: socket,
 * store entry) or a sender (Conf-Sender: socket connected to the
 * receiver).  Sets s->port and s->user.  XW_ACCEPT_OK, an Accept code, or
 * a negative errno.  log_ok: the connection's rate limit allows a line.
 * Not started within --start-timeout: ended through conn (logged).
 */
int xwd_ows_open(struct xwd *d, struct xwd_conn *conn, struct srv_sess *s,
		 const struct xw_addr *ctl_local, const struct xw_addr *ctl_peer,
		 const char *conn_name, bool log_ok);
/* Start-Sessions: a sender starts its schedule. */
int xwd_ows_start(struct xwd_ows *o, const struct srv_sess *s);
/* ow_sent: a sender's Next Seqno and skip ranges (*nskips: room in, written out). */
void xwd_ows_sent(const struct xwd_ows *o, uint32_t *next_seqno, struct codec_ow_skip *skips,
		  uint32_t *nskips);
/* sess_end: a receiver's data is closed in the store (stopped or aborted); freed. */
void xwd_ows_end(struct xwd_ows *o, struct srv_sess *s, enum srv_end why);
void xwd_ows_free_all(struct xwd *d);
/*
 * The xfrm view changed: each open-mode session's path again; an XDP
 * receiver entry goes on any change, and under --require-ipsec a flow
 * IPsec no longer protects is neither recorded nor sent.
 */
void xwd_ows_ipsec_changed(struct xwd *d);
/* xdp.h xwd_xdp_ow_fn: a record from the XDP receiver (arg: the daemon) */
void xwd_ows_xdp_event(void *arg, const struct xw_ow_event *e);
/*
 * xsk.c: a frame of an authenticated/encrypted receiver (kind
 * XWD_SESS_OWAMP_RECV) from the session's sender, T2 from XDP's metadata:
 * verified and stored as the socket does, counted in s->xsk.
 */
void xwd_ows_xsk_rx(struct xwd_sess *s, const struct xwd_pkt *in);
void xwd_ows_status(struct xwd *d);

#endif /* XWAMPD_OWSESS_H */
