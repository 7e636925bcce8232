/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The socket path's steering (bpf/steer.bpf.c): an sk_lookup program in
 * xwampd's network namespace gives the datagrams of every reflector
 * session (its local address and port) to one socket per address family,
 * read in recvmmsg batches by refl.c whatever the number of sessions; the
 * session's own socket keeps the port and sends the replies.  Where the
 * program cannot be loaded (no CAP_BPF/CAP_NET_ADMIN, a kernel before 5.9,
 * --no-sk-lookup), each session's socket is read on its own, as before.
 */
#ifndef XWAMPD_STEER_H
#define XWAMPD_STEER_H

#include <stdbool.h>
#include <stdint.h>

#include "net.h"

struct xwd_steer;

/*
 * Load and attach, the shared sockets with rcvbuf octets of receive buffer
 * each (the datagrams of every session wait there while the loop is busy).
 * 0 with *out NULL and an info line when steering is not
 * available here; -errno only for what is fatal (out of memory).
 */
int xwd_steer_open(int rcvbuf, struct xwd_steer **out);
void xwd_steer_close(struct xwd_steer *st);
/* The shared socket of v6 or not: the fd, or -1 when that family has none. */
int xwd_steer_fd(const struct xwd_steer *st, bool v6);
/*
 * Steer datagrams for local (address and port) to the shared socket: 0 or
 * -errno (-EOPNOTSUPP: a link-local IPv6 address, -EAFNOSUPPORT: no shared
 * socket of that family).
 */
int xwd_steer_add(struct xwd_steer *st, const struct xw_addr *local);
/* Stop steering port (its datagrams go to the session's socket again). */
void xwd_steer_del(struct xwd_steer *st, uint16_t port);
/* For the privilege drop: 0 when the map can still be written (priv.h). */
int xwd_steer_probe(void *arg);

#endif /* XWAMPD_STEER_H */
