/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's session registry: the one place a test session lives, whatever
 * serves it (refl.c: TWAMP over sockets, XDP, AF_XDP; lightd.c: TWAMP
 * Light; owsess.c: OWAMP receivers and senders).  Indexed by local port
 * like the BPF session table (include/xwamp/bpf_shared.h): one session per
 * local port, found in O(1) by every path, never by a walk.
 *
 * The reflect step xwd_sess_reflect() is shared by the socket path, TWAMP
 * Light and the AF_XDP worker, with one set of drop reasons (enum
 * xwd_drop) and one counter layout (struct xwd_cnt) per path.
 */
#ifndef XWAMPD_SESS_H
#define XWAMPD_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "testpkt.h"
#include "xfrm_view.h"

/* Why a test packet got no answer, on any path.  The first ones mirror enum xw_tp_drop. */
enum xwd_drop {
	XWD_DROP_TRUNC = XW_TP_DROP_TRUNC, /* shorter than the header */
	XWD_DROP_LEN = XW_TP_DROP_LEN,	   /* not the session's length */
	XWD_DROP_HMAC = XW_TP_DROP_HMAC,   /* forged, wrong key or wrong session */
	XWD_DROP_MULT0 = XW_TP_DROP_MULT0, /* Error Estimate Multiplier 0 */
	XWD_DROP_OTHER = XW_TP_DROP_OTHER,
	XWD_DROP_OVERSIZE = XW_TP_DROP_MAX, /* longer than the receive buffer (MSG_TRUNC) */
	XWD_DROP_NOT_STARTED,		    /* before Start-Sessions (RFC 4656 3.7) */
	XWD_DROP_LATE,			    /* after Stop + Timeout (RFC 5357 4.2: ignore) */
	XWD_DROP_SOURCE,		    /* not from the Session-Sender's address and port */
	XWD_DROP_BAD_SOURCE,		    /* source not a host's unicast address (Light) */
	XWD_DROP_NOT_LOCAL,		    /* destination not ours (Light, local=*) */
	XWD_DROP_NO_TS,			    /* no receive timestamp (kernel or XDP metadata) */
	XWD_DROP_SEND,			    /* the answer could not be sent */
	XWD_DROP_NOT_PROTECTED,	 /* --require-ipsec and IPsec does not protect the flow */
	XWD_DROP_NOROOM,	 /* AF_XDP: the reply does not fit the frame */
	XWD_DROP_TXFULL,	 /* AF_XDP: TX ring full: dropped, never waited for */
	XWD_DROP_OUTSIDE_TUNNEL, /* route-based IPsec: not received on the xfrm interface */
	XWD_DROP_STORE_FULL,	 /* OWAMP: beyond the session's room in the store (owstore.h) */
	XWD_DROP_MAX,
};
/* "truncated", "bad-hmac", ..., "tx-ring-full" */
const char *xwd_drop_name(enum xwd_drop d);

/* What one path did with a session's packets. */
struct xwd_cnt {
	uint64_t rx;
	uint64_t reflected;
	uint64_t drop[XWD_DROP_MAX];
};
/* The sum of drop[]; " why=n" for each non-zero one into buf (always terminated). */
uint64_t xwd_cnt_drops(const struct xwd_cnt *c, char *buf, size_t len);

enum xwd_sess_kind {
	XWD_SESS_TWAMP,	     /* refl.c: a TWAMP-Test session of a control connection */
	XWD_SESS_LIGHT,	     /* lightd.c: a TWAMP Light port */
	XWD_SESS_OWAMP_RECV, /* owsess.c: an OWAMP-Test receiver */
	XWD_SESS_OWAMP_SEND, /* owsess.c: an OWAMP-Test sender */
};

enum xwd_sess_state {
	XWD_SESS_ACCEPTED, /* open, waiting for Start: packets dropped (not-started) */
	XWD_SESS_ARMED,	   /* reflecting */
	XWD_SESS_DRAIN,	   /* stopped: reflecting until drain_until (RFC 5357 4.2) */
};

/*
 * One test session.  Embedded in the owner's struct (refl.c, lightd.c,
 * owsess.c), which the registry never frees: the owner adds it once its
 * local port is known and deletes it before it goes.
 */
struct xwd_sess {
	uint16_t port; /* local port: the registry's and the BPF table's index */
	enum xwd_sess_kind kind;
	enum xwd_sess_state state;
	struct xw_addr local, peer; /* Light: may be wildcards (the owner checks them) */
	struct xw_tp_cfg tp;
	struct xw_tp_crypto crypto; /* authenticated/encrypted; zero in open mode */
	size_t expect_len;	    /* sender packet length; 0: any (Light without length=) */
	uint8_t dscp;
	enum xfrm_path path;  /* XFRM_PATH_ANY without the IPsec view; NONE: not answered */
	uint32_t seq;	      /* the reflector's Sequence Number (RFC 5357 4.2.1) */
	uint64_t last_rx_ns;  /* monotonic: last packet (REFWAIT) */
	uint64_t drain_until; /* monotonic: end of the Timeout after Stop */
	struct xwd_cnt sock;  /* the socket path */
	struct xwd_cnt xsk;   /* the AF_XDP path */
	void *owner;	      /* the struct of kind's file */
};

/* Port-indexed: 64 Ki pointers (512 KiB), allocated at the first add. */
struct xwd_reg {
	struct xwd_sess **by_port;
	unsigned int n;
	unsigned int n_kind[XWD_SESS_OWAMP_SEND + 1];
};

/* 0, -EADDRINUSE when another session has the port, -ENOMEM. */
int xwd_reg_add(struct xwd_reg *g, struct xwd_sess *s);
/* Removes s (nothing when the port is not s's). */
void xwd_reg_del(struct xwd_reg *g, struct xwd_sess *s);
void xwd_reg_free(struct xwd_reg *g);

static inline struct xwd_sess *xwd_reg_get(const struct xwd_reg *g, uint16_t port)
{
	return g->by_port ? g->by_port[port] : NULL;
}

/*
 * Every session of kind, in port order; fn may delete the session it is
 * given (not others).  For status lines, IPsec changes and shutdown: never
 * per packet.
 */
void xwd_reg_each(struct xwd_reg *g, enum xwd_sess_kind kind,
		  void (*fn)(struct xwd_sess *s, void *arg), void *arg);

/* One received test packet, as any path saw it. */
struct xwd_pkt {
	const uint8_t *buf;
	size_t len;
	uint64_t rx_ntp;  /* T2 (RFC 5357 4.2.1) */
	uint8_t ttl;	  /* the sender's TTL / Hop Limit as received */
	uint64_t mono_ns; /* the batch's monotonic time (REFWAIT, Timeout) */
	uint16_t errest;  /* the reflector's Error Estimate now */
};

/*
 * The reflect step (RFC 5357 4.2): the session's state (started, within
 * the Timeout after Stop, protected when IPsec is required), then
 * xw_tp_reflect() numbered with the session's counter.  The caller checked
 * where the packet comes from.  Returns the reply length written to out,
 * or -1 with the reason counted in cnt (the path's counters) and put in
 * *why (NULL: not wanted).  T3 is
 * stamped by the caller after the batch's crypto (xw_tp_stamp()), except
 * in encrypted mode where it is sealed here.
 */
int xwd_sess_reflect(struct xwd_sess *s, struct xwd_cnt *cnt, const struct xwd_pkt *in,
		     uint8_t *out, size_t cap, enum xwd_drop *why);

#endif /* XWAMPD_SESS_H */
