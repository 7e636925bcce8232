/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The plugin's root-only UNIX socket: answers key lookups from xwampd and
 * xwping and pushes IKE SA events.  Protocol: loader/lib/ikesock.h.
 */
#ifndef XWAMP_SOCKET_H_
#define XWAMP_SOCKET_H_

#include "xwamp_listener.h"

typedef struct xwamp_socket_t xwamp_socket_t;

struct xwamp_socket_t {
	/* Stops the server thread, closes every client, removes the socket. */
	void (*destroy)(xwamp_socket_t *this);
};

/* NULL (logged) when the socket cannot be created safely. */
xwamp_socket_t *xwamp_socket_create(xwamp_listener_t *listener);

#endif /* XWAMP_SOCKET_H_ */
