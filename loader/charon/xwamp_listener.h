/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The plugin's IKE SA table: (SPIi, SPIr) -> prf(SK_d, "IPPM") and SKEYSEED,
 * and its CHILD SA keys (IPsec SA profile), filled and
 * emptied by charon's bus hooks, read by the socket (xwamp_socket.c).
 * Built against strongSwan's headers (see the Makefile's charon-plugin).
 */
#ifndef XWAMP_LISTENER_H_
#define XWAMP_LISTENER_H_

#include <bus/listeners/listener.h>

typedef struct xwamp_listener_t xwamp_listener_t;

/* Called with every event line (no LF), under the table's lock. */
typedef void (*xwamp_event_cb_t)(void *data, const char *line);

struct xwamp_listener_t {
	/* registered on charon's bus by the plugin */
	listener_t listener;

	/*
	 * Write "KEY <SPIi> <SPIr> <PRF> <KEY>" or "ERR ..." (no LF) for the SA
	 * with these SPIs (wire order) into buf.
	 */
	void (*lookup)(xwamp_listener_t *this, uint64_t spi_i, uint64_t spi_r, char *buf,
		       size_t len);

	/*
	 * Write "CHILDKEY ..." (loader/lib/ikesock.h) or "ERR ..." (no LF) for
	 * the installed CHILD SA with these SPIs (network order; in: the SA
	 * carrying traffic to this host) and protocol (IPPROTO_ESP/AH) into buf.
	 */
	void (*lookup_child)(xwamp_listener_t *this, uint8_t proto, uint32_t spi_in,
			     uint32_t spi_out, char *buf, size_t len);

	/* Call cb with "SA <SPIi> <SPIr> <peer> <state>" for every entry. */
	void (*list)(xwamp_listener_t *this, void (*cb)(void *data, const char *line), void *data);

	/*
	 * Event sink (one; NULL to remove).  cb runs with the table locked
	 * and must not block.
	 */
	void (*set_event_cb)(xwamp_listener_t *this, xwamp_event_cb_t cb, void *data);

	/* Wipes every key and frees. */
	void (*destroy)(xwamp_listener_t *this);
};

xwamp_listener_t *xwamp_listener_create(void);

#endif /* XWAMP_LISTENER_H_ */
