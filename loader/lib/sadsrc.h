/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IPsec SA profile's key source (control/keysrc.h class
 * XW_KEYCLASS_SA): the keys of the SA pair read from the kernel SAD over
 * xfrm netlink (an XFRM_MSG_GETSA dump, CAP_NET_ADMIN), parsed by
 * control/sasad.h.  One dump per look-up by SPIs (once per control
 * connection, in xwampd's key worker); by connection (the client) first a
 * policy and an SA dump into the IPsec view's parser, which finds the
 * SAs the SPD applies to the connection (sasad.h xw_sad_find_flow()).
 * Each receive buffer is wiped.
 */
#ifndef XW_SADSRC_H
#define XW_SADSRC_H

#include "keysrc.h"
#include "sasad.h"

#define XW_SADSRC_TIMEOUT_MS 2000

/* The kernel SAD as a key source.  Nothing is opened here.  0 or -ENOMEM. */
int xw_sadsrc_source(struct xw_keysrc *src);

/*
 * One look-up: f (by SPIs) filled from a dump.  0, or -errno of
 * the socket (-EPERM without CAP_NET_ADMIN, -ETIMEDOUT).
 */
int xw_sadsrc_dump(struct xw_sad_find *f);

#endif /* XW_SADSRC_H */
