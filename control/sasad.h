/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IPsec SA profile's keys from the kernel SAD (saprof.h): a pure
 * parser of XFRM_MSG_NEWSA messages (an XFRM_MSG_GETSA dump) that, unlike
 * xfrm_view.h, reads the keys, and picks the SA pair a look-up asks for.
 * The socket side is loader/lib/sasad.c (CAP_NET_ADMIN).
 *
 * Keys exist in the finder only (struct xw_sad_find, wiped by
 * xw_sad_find_wipe) and in the caller's pair; xw_sad_feed() wipes the key
 * octets of every message in the caller's buffer once read.
 */
#ifndef XW_SASAD_H
#define XW_SASAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "saprof.h"
#include "xfrm_view.h"

/* One SA with its keys. */
struct xw_sad_sa {
	struct xfrm_view_addr src, dst;
	uint64_t add_time; /* curlft.add_time: seconds, for the newest of a rekey's two */
	struct xw_sa_key k;
};

/*
 * What a look-up asks for.  Server: by_spi with proto, spi_i (the SA
 * client -> server) and spi_r (server -> client), the SPIs its greeting
 * named.  Client: the pair with peer (the server): the SA to peer is c2s,
 * the SA from peer s2c; of several (a rekey in progress) the newest.
 */
struct xw_sad_find {
	bool by_spi;
	uint8_t proto;
	uint32_t spi_i, spi_r;
	struct xfrm_view_addr peer;
	/* found so far */
	struct xw_sad_sa c2s, s2c;
	bool have_c2s, have_s2c;
	unsigned int bad; /* messages rejected (logged) */
};

/*
 * Parse the netlink messages in buf (len octets; dump replies; other types
 * are skipped) into f.  Key octets in buf are wiped.  Returns 1 when
 * NLMSG_DONE was seen, 0 to read on, or a negative errno (NLMSG_ERROR).
 */
int xw_sad_feed(struct xw_sad_find *f, uint8_t *buf, size_t len);
/*
 * The pair found: 0 with *p set, -ENOENT when either SA is missing or the
 * two do not face each other (addresses swapped).
 */
int xw_sad_pair(const struct xw_sad_find *f, struct xw_sa_pair *p);
void xw_sad_find_wipe(struct xw_sad_find *f);

#endif /* XW_SASAD_H */
