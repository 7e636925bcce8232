/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's XDP side: loads bpf/xwamp.bpf.c through its skeleton, attaches it
 * (libxdp for XDP, clsact for tc) to the interfaces given with --xdp, when
 * they are there and again whenever they are made anew, and to the
 * in-tunnel devices the xfrm view finds (xwd_xdp_ensure()); pins its maps
 * and programs under one directory (default /sys/fs/bpf/xwamp), keeps the
 * "clock" map fresh, and is the only writer of the "sessions" table
 * (include/xwamp/bpf_shared.h is the contract).
 *
 * Sessions are keyed by the reflector's local UDP port: refl.c guarantees
 * one session per local port.  Every function taking a struct xwd_xdp
 * accepts NULL (XDP not in use) and then does nothing / returns -ENODEV, so
 * that callers need no #ifdef-like checks.
 *
 * Crash recovery: a directory lock (flock on the pin directory) tells a
 * stale pin set from a live xwampd's; a program named xdp_xwamp found on a
 * configured interface at start is removed (it is ours: an xwampd that was
 * killed before it could detach), then ours is attached.
 */
#ifndef XWAMPD_XDP_H
#define XWAMPD_XDP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"
#include "net.h"
#include "xwamp/bpf_shared.h"

#define XWD_XDP_MAX_IFS	    8
#define XWD_XDP_DEFAULT_DIR "/sys/fs/bpf/xwamp"

enum xwd_xdp_mode {
	XWD_XDP_AUTO = 0, /* native, else generic */
	XWD_XDP_NATIVE,
	XWD_XDP_GENERIC,
};

/* The options (part of struct xwd_cfg). */
struct xwd_xdp_cfg {
	const char *ifs[XWD_XDP_MAX_IFS]; /* --xdp IFNAME, repeatable */
	unsigned int nifs;
	enum xwd_xdp_mode mode; /* --xdp-mode */
	const char *pin_dir;	/* --bpf-dir; NULL: XWD_XDP_DEFAULT_DIR */
	bool in_tunnel;		/* --xfrm: open even without --xdp, for xwd_xdp_ensure() */
	/*
	 * Attach alone, never in libxdp's dispatcher: xwampd drops root after
	 * start-up, and the dispatcher's run-time handling (attaching to a
	 * device that appears later, detaching at exit) opens programs by id,
	 * which needs CAP_SYS_ADMIN; a program loaded as a dispatcher
	 * extension cannot be attached alone later either.
	 */
	bool alone;
	/*
	 * The maps' sizes, from the limits (set by main.c before
	 * xwd_xdp_open()): the session table covers local ports
	 * sess_lo..sess_hi (--port-range and the TWAMP Light ports; 0..0: every
	 * port), the OWAMP ring buffer max_sessions (--max-sessions-total; 0:
	 * no limit).
	 */
	uint16_t sess_lo, sess_hi;
	unsigned int max_sessions;
};

/* Option parsers for main.c's table: 0 or -EINVAL (after a message on stderr). */
int xwd_xdp_opt_if(struct xwd_xdp_cfg *c, const char *arg);
int xwd_xdp_opt_mode(struct xwd_xdp_cfg *c, const char *arg);

struct xwd_xdp;

/*
 * OWAMP receivers in XDP (bpf_shared.h XW_SESS_OW_RECV): every record the
 * program hands over (struct xw_ow_event) is passed to fn on the loop.
 * xwd_xdp_ow_ready(): the ring buffer works and the program is attached
 * somewhere, so an OWAMP session entry makes sense.  xwd_xdp_ow_drain():
 * consume what is queued now (before a session's data is closed).
 */
struct xw_ow_event;
typedef void (*xwd_xdp_ow_fn)(void *arg, const struct xw_ow_event *e);
void xwd_xdp_ow_handler(struct xwd_xdp *x, xwd_xdp_ow_fn fn, void *arg);
/*
 * fn(arg) after an interface was attached once xwampd runs (it appeared, was
 * re-created, or an in-tunnel device was added): AF_XDP opens its sockets.
 */
void xwd_xdp_attach_handler(struct xwd_xdp *x, void (*fn)(void *arg), void *arg);
bool xwd_xdp_ow_ready(const struct xwd_xdp *x);
void xwd_xdp_ow_drain(struct xwd_xdp *x);

/*
 * Create and pin the maps, attach to the configured interfaces that exist
 * (the others when they appear).  Returns 0 with *out set (NULL when
 * neither --xdp nor in_tunnel was given, or the maps could not be made:
 * then every session uses its socket, which is logged).  Never fails the
 * daemon: XDP trouble is logged and the socket path takes over.  The clock
 * map is refreshed every second from a timer on loop.
 */
int xwd_xdp_open(const struct xwd_xdp_cfg *c, struct xw_loop *loop, struct xwd_xdp **out);
/*
 * Attach the reflector to ifname too, if it is not already (the in-tunnel
 * device of a session, from the xfrm view; who: the log prefix).  0, or
 * -errno (-ENODEV for x NULL) after a log line.
 */
int xwd_xdp_ensure(struct xwd_xdp *x, const char *ifname, const char *who);
/*
 * The pin directory becomes uid's (before xwampd drops root): programs
 * loaded later can be pinned, pins removed at exit.  NULL is fine.
 */
void xwd_xdp_give(struct xwd_xdp *x, uid_t uid, gid_t gid);
/* A lookup in the clock map: 0, or -errno (-EPERM: bpf() refused to us). */
int xwd_xdp_probe(void *x);
/* Detach from every interface, remove the pins, free.  NULL is fine. */
void xwd_xdp_close(struct xwd_xdp *x);

/* "xws0 native, eth1 generic, ipsec1 tc": attached now (empty for none / NULL). */
const char *xwd_xdp_where(const struct xwd_xdp *x);

/* What a session table entry says about one session. */
struct xwd_xdp_sess_cfg {
	const struct xw_addr *local, *peer; /* reflector and Session-Sender */
	enum xw_sess_mode mode;
	uint8_t flags; /* XW_SESS_F_* */
	uint8_t dscp;
	uint16_t reflect_len;
	uint32_t expect_len; /* sender's UDP payload length */
	int ifindex;	     /* 0: every attached device; else only this one (IPsec) */
	uint32_t first_seq;  /* next_seq to start from (0 for a new session) */
};

/*
 * Write the entry for local port (host order) DISARMED, counters zero.
 * 0, -ENODEV (x NULL), -EBUSY (the slot is in use: refl.c must prevent it),
 * -EINVAL (families differ), -ERANGE (a port the table does not cover:
 * xwd_xdp_cfg.sess_lo..sess_hi).  The other sess_ functions do nothing for
 * such a port.
 */
int xwd_xdp_sess_add(struct xwd_xdp *x, const struct xwd_xdp_sess_cfg *sc);
/* ARMED (true) / DISARMED (false): one octet store, the rest untouched. */
void xwd_xdp_sess_arm(struct xwd_xdp *x, uint16_t port, bool armed);
/* Zero the entry (session over). */
void xwd_xdp_sess_del(struct xwd_xdp *x, uint16_t port);

/* A snapshot of one entry's counters (all zero for NULL). */
struct xwd_xdp_sess_stats {
	uint64_t next_seq; /* = replies numbered, XDP and (shared counter) socket */
	uint64_t passed;
	uint64_t drops[XW_SESS_DROP_MAX];
	uint64_t dropped; /* sum of drops */
};
void xwd_xdp_sess_stats(const struct xwd_xdp *x, uint16_t port, struct xwd_xdp_sess_stats *st);

/*
 * The session's next reflector Sequence Number, taken from the shared
 * atomic counter in the entry, so that the socket path and XDP number the
 * replies of one session without duplicates (RFC 5357 4.2.1).
 */
uint32_t xwd_xdp_sess_next_seq(struct xwd_xdp *x, uint16_t port);

/*
 * For the AF_XDP sockets (xsk.h): the k-th interface the program is
 * attached to (0, or -ENOENT past the last), the "xsks" XSKMAP's fd and the
 * "xsk_ifs" map's (ifindex -> first slot; -ENODEV for NULL).
 */
int xwd_xdp_attached(const struct xwd_xdp *x, unsigned int k, const char **name, int *ifindex,
		     bool *generic);
int xwd_xdp_xsks_fd(const struct xwd_xdp *x);
int xwd_xdp_xsk_ifs_fd(const struct xwd_xdp *x);
/* The "own_addrs" map's fd, for ownaddr.h's mirror (-ENODEV for NULL). */
int xwd_xdp_own_addrs_fd(const struct xwd_xdp *x);

/* Global counters summed over CPUs (enum xw_stat).  0 or -errno. */
int xwd_xdp_stats(const struct xwd_xdp *x, uint64_t out[XW_STAT_MAX]);
/* Name of a stats slot ("reflected", "pass-no-session", ...). */
const char *xwd_xdp_stat_name(enum xw_stat s);
/* The SIGUSR1 status line of the XDP side (nothing for NULL). */
void xwd_xdp_status(const struct xwd_xdp *x);
/* The same counters for Prometheus (--metrics; "not attached" for NULL). */
void xwd_xdp_metrics(const struct xwd_xdp *x, FILE *f);

#endif /* XWAMPD_XDP_H */
