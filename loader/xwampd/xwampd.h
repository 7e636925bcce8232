/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd internals shared by main.c (options, signals, loop), conn.c
 * (TWAMP-Control connections driving the control/srv.h state machine) and
 * refl.c (the userspace Session-Reflector, one UDP socket per session).
 */
#ifndef XWAMPD_H
#define XWAMPD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "loop.h"
#include "net.h"
#include "policy.h"
#include "owstore.h"
#include "saprof.h"
#include "srv.h"
#include "testpkt.h"
#include "lightd.h"
#include "log.h"
#include "ownaddr.h"
#include "xdp.h"
#include "sess.h"
#include "steer.h"
#include "xsk.h"
#include "xfrm_view.h"

#define XWD_MAX_LISTEN 16
#define XWD_MAX_ALLOW  64 /* --allow-sender prefixes */
/* client log rate limiters (conn.c); addresses that hash alike share one */
#define XWD_RL_CLIENTS 256

/* The command line, validated once, then read-only (doc/style.md 8). */
struct xwd_cfg {
	struct xw_addr listen[XWD_MAX_LISTEN];
	unsigned int nlisten;
	const char *keyfile;
	const char *ike_keys;	    /* --ike-keys: RFC 7717 key table (control/ikekeys.h) */
	const char *ike_socket;	    /* --ike-socket: the charon plugin (loader/lib/ikesrc.h) */
	uint32_t modes;		    /* offered in the Server Greeting */
	bool modes_set;		    /* --modes given (else the default depends on --keyfile) */
	uint16_t port_lo, port_hi;  /* reflector ports; 0/0: requested port, else any */
	unsigned int servwait;	    /* s, RFC 5357 3.1; 0 disables */
	unsigned int refwait;	    /* s, RFC 5357 4.2; 0 disables */
	unsigned int max_timeout;   /* s, bound on a session's Timeout after Stop (RFC 5357 3.8) */
	unsigned int setup_timeout; /* s, from accept to Server-Start */
	unsigned int max_conns;	    /* control connections in total */
	unsigned int max_conns_per_client;
	unsigned int max_sessions; /* per control connection */
	unsigned int count;	   /* PBKDF2 Count in the greeting (RFC 4656 3.1) */
	int verbose;
	bool quiet;
	bool foreground;
	const char *pidfile;
	const char *metrics;	/* --metrics ADDR:PORT: Prometheus endpoint (loader/lib/httpm.h) */
	const char *user;	/* --user: run as this user after start-up (priv.h) */
	struct xwd_xdp_cfg xdp; /* --xdp, --xdp-mode, --bpf-dir (xdp.h) */
	bool no_afxdp;		/* --no-afxdp: authenticated sessions stay on their sockets */
	bool no_sk_lookup;	/* --no-sk-lookup: each session's socket read on its own */
	bool xfrm;		/* --xfrm: follow the kernel's IPsec state (xfrm.h) */
	bool require_ipsec;	/* --require-ipsec (implies xfrm) */
	bool xfrm_by_xdp;	/* xfrm set by --xdp alone: no view is not fatal */
	bool xfrm_dump;		/* --xfrm-dump: print the view and exit */
	const char *config;	/* --config: the configuration file (README: Configuration) */
	bool check_config;	/* --check-config: print the effective configuration, exit */
	struct xw_light_cfg light; /* --light, --light-file: TWAMP Light sessions (lightd.h) */

	/* session policy (control/policy.h, refl.c) */
	unsigned int max_sessions_total; /* reflector sessions of all connections */
	unsigned int start_timeout;	 /* s from Accept-Session to Start, then ended */
	bool allow_low_ports;		 /* --allow-low-ports: reflector ports < 1024 */
	struct pol_prefix allow_sender[XWD_MAX_ALLOW]; /* RFC 4656 6.2 "otherwise configured" */
	unsigned int nallow;

	/* OWAMP (RFC 4656; README "OWAMP") */
	bool no_owamp; /* --no-owamp: TWAMP only */
	bool no_twamp; /* --no-twamp: OWAMP only */
	struct xw_addr
		ow_listen[XWD_MAX_LISTEN]; /* --owamp-listen; default: as --listen, port 861 */
	unsigned int now_listen;
	bool ow_listen_default;	     /* not given: a port in use there is only a warning */
	unsigned int ow_max_records; /* records per stored session (Accept 4 beyond) */
	unsigned int ow_max_total;   /* records stored over all sessions */
	unsigned int ow_keep;	     /* s: data fetchable after the session ended */
	unsigned int ow_max_slots;   /* schedule slots per Request-Session (Accept 4 beyond) */
	bool ow_ikev2;		     /* --owamp-ikev2: offer RFC 7717's bit for OWAMP too */
	const char *sa_profile;	     /* --sa-profile: EXPERIMENTAL IPsec SA profile (saprof.h) */
	enum xw_sa_variant sa_variant;
	const char *sa_socket;	  /* --sa-socket: its keys from the charon plugin, not the SAD */
	const char *sa_root_name; /* --sa-root: ipsec (KEYMAT) or ike (SKEYSEED) */
	enum xw_sa_root sa_root;
};

struct xwd_conn;
struct xwd_refl;
struct xwd_refl_bufs;
struct xwd_ows;
struct xwd_keys;
struct xwd_keywork;
struct xwd_xfrm;

struct xwd_listener {
	struct xwd *d;
	enum srv_proto proto; /* TWAMP (862) or OWAMP (861) */
	struct xw_io io;
	struct xw_addr addr;
	int fd;
	struct xw_timer resume; /* re-enables accepting after EMFILE & co. */
};

/* The daemon: one per process. */
struct xwd {
	const struct xwd_cfg *cfg;
	struct xw_loop loop;
	struct xw_clock clock;
	uint64_t start_ntp;			     /* Server-Start Start-Time (RFC 4656 3.1) */
	struct xwd_listener lst[2 * XWD_MAX_LISTEN]; /* TWAMP, then OWAMP */
	unsigned int nlst;
	struct xw_io sig_io;
	int sigfd;
	struct xwd_conn *conns; /* doubly linked */
	unsigned int nconns;
	struct xwd_reg reg;		 /* every test session, by local port (sess.h) */
	struct xwd_refl_bufs *refl_bufs; /* refl.c: the batch buffers every session shares */
	/* refl.c: the shared sockets of every session (steer.h); NULL: one socket each */
	struct xwd_steer *steer;
	struct xw_io steer_io[2];
	uint64_t steer_rx;	/* datagrams read from the shared sockets */
	uint64_t steer_foreign; /* ...of no session (dropped) */
	struct xw_ratelimit rl_steer;
	struct ow_store *owstore; /* OWAMP session data, beyond any connection */
	struct xw_timer owstore_timer;
	uint64_t next_conn_id;
	struct xw_ratelimit rl_accept; /* refusals during a connection flood */
	/* repeated warnings of one client's connections, by a hash of its address (conn.c) */
	struct xw_ratelimit rl_client[XWD_RL_CLIENTS];
	/* key file (NULL: none) */
	struct xwd_keys *keys;
	/* the key step of Set-Up-Response, outside the loop (keywork.h); NULL: keyless */
	struct xwd_keywork *keywork;
	struct xwd_xdp *xdp;	 /* NULL: no XDP, every session on its socket */
	struct xwd_xfrm *xfrm;	 /* NULL: no IPsec view (--xfrm) */
	struct xwd_light *light; /* NULL: no TWAMP Light sessions */
	struct xwd_xsk *xsk;	 /* NULL: no AF_XDP sockets, authenticated sessions on sockets */
	/* this host's addresses (ownaddr.h: xwd_own_is_local()); NULL: unknown */
	struct xwd_own *own;
	bool shutting_down;
	struct xw_httpm *metrics; /* NULL: no --metrics */
	/* counters of sessions that ended, so that the _total metrics never go down */
	struct xwd_cnt refl_done;	 /* socket path of the reflector sessions (refl.c) */
	uint64_t conns_total;		 /* control connections accepted */
	struct srv_accept_stats accepts; /* Accept codes sent, all connections */
};

/* metrics.c: the Prometheus exposition of everything below (--metrics). */
void xwd_metrics_render(void *arg, FILE *f);
/* refl.c: its part of it (xdp.h: xwd_xdp_metrics()) */
void xwd_refl_metrics(struct xwd *d, FILE *f);

/*
 * host.c: facts about this host for the session policy (policy.h) and the
 * reflector's port choice, read at the decision.
 */
void xwd_pol_addr(const struct xw_addr *a, struct pol_addr *out);
/*
 * pol_host_fn (arg: the struct xwd): one of our addresses, a broadcast address
 * of our subnets, or neither; from d->own (ownaddr.h), getifaddrs() without it
 */
enum pol_host xwd_host_addr(void *arg, const struct pol_addr *a);
/* Some UDP socket of this host has the port, on any address or family. */
bool xwd_host_udp_port_used(uint16_t port);

/* conn.c */
void xwd_listener_event(struct xw_loop *l, struct xw_io *io, uint32_t events);
void xwd_listener_resume(struct xw_loop *l, struct xw_timer *t);
void xwd_conn_close_all(struct xwd *d);
void xwd_conn_status(struct xwd *d);

/* refl.c: the reflector side of one session. */
int xwd_refl_open(struct xwd *d, struct xwd_conn *c, struct srv_sess *s,
		  const struct xw_addr *ctl_local, const struct xw_addr *ctl_peer,
		  const char *conn_name);
int xwd_refl_start(struct xwd_refl *r);
void xwd_refl_end(struct xwd_refl *r, enum srv_end why);
void xwd_refl_free_all(struct xwd *d);
/* refl.c: the receive buffer of a shared socket of steer.h, from the limits */
int xwd_refl_shared_rcvbuf(const struct xwd_cfg *cfg);
/* The shared sockets of steer.h into the loop (nothing without d->steer); 0 or -errno. */
int xwd_refl_steer_start(struct xwd *d);
/*
 * refl.c, for owsess.c too: an end of a session from its request; an all-zero
 * address means the control connection's (RFC 4656 3.5, RFC 5357 3.5).
 * 0, -EAFNOSUPPORT (zero address of the other family), -EINVAL.
 */
int xwd_request_addr(struct xw_addr *out, uint8_t ipvn, const uint8_t raw[16],
		     const struct xw_addr *ctl, uint16_t port);
void xwd_refl_status(struct xwd *d);
/*
 * host.c, the fast-path guard (README "IPsec view"): where an
 * unauthenticated flow may be answered now (xwd_xfrm_path() with
 * --require-ipsec), attaching the reflector to its in-tunnel device.
 * *ifindex: that device for XFRM_PATH_TUNNEL.  For refl.c, lightd.c and
 * owsess.c.
 */
enum xfrm_path xwd_ipsec_path(struct xwd *d, const struct xw_addr *local,
			      const struct xw_addr *peer, const char *who, int *ifindex, char *why,
			      size_t whylen);
/* refl.c: the IPsec view changed: every open/mixed session's path again. */
void xwd_refl_ipsec_changed(struct xwd *d);
/*
 * conn.c, called by refl.c when REFWAIT expired on a started session: tells
 * the state machine, which ends the session (xwd_refl_end() frees it).
 * Returns 0, or -ENOENT when the machine does not hold the session (the
 * caller frees it then).
 */
int xwd_conn_refwait(struct xwd_conn *c, const uint8_t sid[XW_SID_LEN]);
/* Likewise when a session was accepted and not started within --start-timeout. */
int xwd_conn_unstarted(struct xwd_conn *c, const uint8_t sid[XW_SID_LEN]);
/*
 * conn.c: the connection's rate limit for warnings its client can repeat
 * at will (srv_log_ok()); true when one may be logged now.
 */
bool xwd_conn_log_ok(struct xwd_conn *c);

/* TWAMP-Test sessions (refl.c) in the registry, draining ones included */
static inline unsigned int xwd_twamp_sessions(const struct xwd *d)
{
	return d->reg.n_kind[XWD_SESS_TWAMP];
}

/* TWAMP and OWAMP test sessions (not Light ports): --max-sessions-total counts these */
static inline unsigned int xwd_test_sessions(const struct xwd *d)
{
	return d->reg.n - d->reg.n_kind[XWD_SESS_LIGHT];
}

static inline uint64_t xwd_s_to_ns(unsigned int s)
{
	return (uint64_t)s * XW_NS_PER_SEC;
}

#endif /* XWAMPD_H */
