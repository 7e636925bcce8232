/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's privileges after start-up (README: Security).
 *
 * Everything that needs root happens before the main loop: BPF maps and
 * programs loaded, XDP attached, AF_XDP sockets bound, listeners and TWAMP
 * Light ports bound, netlink groups joined, key files read, pid file
 * written.  Then xwampd becomes an unprivileged user and keeps only the
 * capabilities its run-time code paths still use (xwd_priv_caps()):
 *
 *   CAP_NET_ADMIN  with XDP (--xdp, --xfrm): attach to an interface that
 *                  appears or is re-created later (rtnetlink link watch),
 *                  the in-tunnel tc program at session Accept, detach at
 *                  exit; with --xfrm: xfrm netlink dumps (XFRM_MSG_GETSA /
 *                  GETPOLICY are checked against the sender at each
 *                  request, and a lost event queue triggers a new dump).
 *   CAP_BPF        with XDP, only on kernels that refuse map lookups and
 *                  updates on open fds without it (before 6.5, with
 *                  kernel.unprivileged_bpf_disabled set): probed at the
 *                  drop.  Every program instance is loaded before it, so
 *                  that an interface appearing later needs an attach only.
 *   CAP_NET_BIND_SERVICE  only when --port-range reaches below 1024: a
 *                  session's UDP socket is bound at Accept.  Without a
 *                  range, a requested port below 1024 gets another port
 *                  (RFC 5357 3.5 lets the server choose).
 *
 * Not kept: CAP_PERFMON (the verifier's pointer rules, loads only), CAP_NET_RAW (AF_XDP sockets exist only at start), CAP_SYS_ADMIN
 * (bpffs mounted at start), CAP_DAC_* (key files are re-read on SIGHUP as
 * the user: they must be readable by it), CAP_SETUID/SETGID.
 * SO_RCVBUFFORCE falls back to SO_RCVBUF (net.core.rmem_max) without
 * CAP_NET_ADMIN.  Map updates on open map fds and the mmap()ed session
 * table need no capability.
 */
#ifndef XWD_PRIV_H
#define XWD_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/capability.h>

/* The default --user: a dedicated user when the system has one, else nobody. */
#define XWD_USER_DEFAULT  "xwamp"
#define XWD_USER_FALLBACK "nobody"

struct xwd_priv_user {
	char name[64];
	uid_t uid;
	gid_t gid;
	bool keep_root; /* --user root: nothing is dropped */
};

/* What the run-time code paths need (see above), as a CAP_* bit mask. */
struct xwd_priv_need {
	bool xdp;	  /* an XDP side is open */
	bool xfrm;	  /* xfrm netlink view */
	bool afxdp;	  /* AF_XDP sockets for interfaces attached after start */
	bool afxdp_lock;  /* ... whose UMEM RLIMIT_MEMLOCK does not cover */
	uint16_t port_lo; /* --port-range low end, 0 when none */
};
uint64_t xwd_priv_caps(const struct xwd_priv_need *n);

/*
 * Resolve --user (a name or a number; NULL: XWD_USER_DEFAULT if it exists,
 * else XWD_USER_FALLBACK).  Only meaningful when running as root; 0 or
 * -errno after a log line.
 */
int xwd_priv_resolve(const char *user, struct xwd_priv_user *u);

/*
 * Become u (when root) and keep exactly the capabilities in caps, or, when
 * not root (a service manager gave ambient capabilities), keep those of caps
 * that we have; then no new privileges.  Logs the user and the
 * capabilities.  0 or -errno after a log line.
 */
int xwd_priv_drop(const struct xwd_priv_user *u, uint64_t caps);

/*
 * The same, and the capabilities in maybe are kept too when probe(arg)
 * fails (-EPERM) without them: tried with them out of the effective set.
 * For CAP_BPF: kernels before 6.5 refuse every bpf() command, map lookups
 * on open fds included, to a process without it when
 * kernel.unprivileged_bpf_disabled is set (Debian's default).
 */
int xwd_priv_drop_probe(const struct xwd_priv_user *u, uint64_t caps, uint64_t maybe,
			int (*probe)(void *arg), void *arg);

/* "cap_net_admin,cap_bpf" (or "none") into buf. */
const char *xwd_priv_caps_fmt(uint64_t caps, char *buf, size_t len);

#endif
