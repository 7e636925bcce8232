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
 * What a look-up asks for: the SA pair by protocol and SPIs, spi_i the SA
 * c2s (client -> server), spi_r s2c; of several with one SPI (an SPI is
 * unique per destination only, RFC 4301 4.1) the newest, or the one whose
 * destination is dst_i / dst_r when their family is set.  Server: the SPIs
 * its greeting named.  By connection (the client; xw_sad_find_flow()): the
 * SPIs of the SAs the kernel's policies apply to the control connection.
 */
struct xw_sad_find {
	uint8_t proto;
	uint32_t spi_i, spi_r;
	struct xfrm_view_addr dst_i, dst_r;
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

/*
 * Asked by connection: which SA pair protects the control connection fl
 * (local -> peer, TCP)?  The kernel's answer, in either mode: the SPD
 * policy whose selector matches the flow in each direction, its template
 * (protocol, mode, reqid, and in tunnel mode the gateways as the SA's
 * addresses), the SA matching the template (xfrm_view_flow_pair(), the
 * IPsec view's logic: v holds a policy and an SA dump).  So in tunnel
 * mode the flow's addresses are the inner ones and the SAs' the outer
 * ones.  Fills f with the pair's protocol, SPIs and destinations (c2s is
 * the outbound SA: f is read from the asker's side) and returns 0, or
 * -ENOENT after a log line naming the connection and what is missing.
 */
int xw_sad_find_flow(struct xw_sad_find *f, const struct xfrm_view *v, const struct xfrm_flow *fl);

#endif /* XW_SASAD_H */
