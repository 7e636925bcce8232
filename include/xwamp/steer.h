/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between bpf/steer.bpf.c (an sk_lookup program) and
 * loader/xwampd/steer.c: which UDP destinations are steered to the
 * reflector's shared sockets.
 *
 * steer_ports: key the local port (__u32, host order), value the one local
 * address a session of that port is bound to; a datagram for that port and
 * address is given to steer_socks[XW_STEER_V4 or _V6] instead of the
 * session's own socket.  Anything else takes the kernel's normal lookup.
 */
#ifndef XWAMP_STEER_H
#define XWAMP_STEER_H

#include "xwamp/types.h"

enum {
	XW_STEER_V4 = 0, /* steer_socks slot of the IPv4 socket */
	XW_STEER_V6 = 1,
	XW_STEER_NSOCKS,
};

struct xw_steer_port {
	__u32 addr[4]; /* network order; IPv4 in addr[0], the rest 0 */
	__u8 v6;       /* 1: IPv6 */
	__u8 pad[3];
};
_Static_assert(sizeof(struct xw_steer_port) == 20, "xw_steer_port layout");

#endif /* XWAMP_STEER_H */
