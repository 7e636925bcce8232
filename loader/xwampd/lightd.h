/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's TWAMP Light reflector (RFC 5357 Appendix I): the static sessions
 * of --light / --light-file (control/light.h), reflected without any
 * TWAMP-Control, by XDP where it is attached and by a UDP socket per port
 * otherwise (the socket also answers what arrives on other interfaces).
 *
 * Each port of a session is one entry of the XDP session table (indexed by
 * local port), written ARMED at start: Light sessions are always on.
 * Wildcards become XW_SESS_F_ANY_* flags (bpf_shared.h).  Both paths
 * number the replies from the entry's shared counter, like refl.c.
 */
#ifndef XWAMPD_LIGHTD_H
#define XWAMPD_LIGHTD_H

#include "light.h"

struct xwd;
struct xwd_light;

/*
 * Open every port of cfg (sockets, XDP entries), log one line per session
 * with the path that answers it.  0 with *out set (NULL when cfg has no
 * session), or -errno: a port that cannot be bound fails the start (a
 * configured reflector that silently does not answer is worse).
 */
int xwd_light_open(struct xwd *d, const struct xw_light_cfg *cfg, struct xwd_light **out);
/* Counters of every session, then close; NULL is fine. */
void xwd_light_close(struct xwd_light *L);
/*
 * The IPsec view changed (or became ready): every port whose addresses are
 * both given gets its path again (xwd_ipsec_path(): XDP only on the
 * in-tunnel device, the socket only, or, with --require-ipsec, no answer
 * while IPsec does not protect the flow).  NULL is fine.
 */
void xwd_light_ipsec_changed(struct xwd_light *L);
/* One status line per session (SIGUSR1); NULL is fine. */
void xwd_light_status(const struct xwd_light *L);

#endif /* XWAMPD_LIGHTD_H */
