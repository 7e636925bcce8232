/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RFC 7717 keys from strongSwan's charon through xwamp's charon plugin
 * (loader/charon/): a client of the plugin's UNIX socket, protocol in
 * loader/lib/ikesock.h.  The plugin computes prf(SK_d, "IPPM") inside
 * charon; SK_d never reaches us (doc/design.md decision 2).  The IPsec SA
 * profile's source (xw_ikesrc_sa_source(), below) gets CHILD SA keys and
 * SKEYSEED from it, when charon.plugins.xwamp.sa_keys allows it.
 *
 * One connection per lookup: lookups are rare (one per control connection)
 * and this way a charon restart needs no reconnect logic.  Each call
 * blocks at most XW_IKESRC_TIMEOUT_MS.
 */
#ifndef XW_IKESRC_H
#define XW_IKESRC_H

#include <stdint.h>
#include <sys/socket.h>

#include "ikekeys.h"
#include "ikesock.h"
#include "keysrc.h"
#include "saprof.h"

#define XW_IKESRC_TIMEOUT_MS 2000

/*
 * The key of the IKE SA with these SPIs (wire order), from the plugin at
 * path (NULL: XW_IKESOCK_PATH).  0 with *out filled; -ENOENT when charon
 * has no established IKE SA with these SPIs (the server answers Accept 6);
 * otherwise the source failed: -ECONNREFUSED (no plugin listening at path,
 * also when the path does not exist), -EACCES (not root), -ETIMEDOUT,
 * -EPROTO (an answer that is not protocol), -EOPNOTSUPP (IKEv1 SA or a PRF
 * charon cannot compute), -EBUSY.  *out is wiped unless 0.  Logs failures
 * of the source (not -ENOENT: the caller logs that with its context).
 */
int xw_ikesrc_by_spi(const char *path, const uint8_t spi_i[XW_IKE_SPI_LEN],
		     const uint8_t spi_r[XW_IKE_SPI_LEN], struct xw_ike_key *out);

/*
 * The key of the current IKE SA protecting traffic to peer (AF_INET or
 * AF_INET6; the port is ignored; an IPv4-mapped IPv6 address is asked as
 * IPv4): the plugin matches the remote IKE address and the CHILD SAs'
 * remote traffic selectors.  Same returns (-ENOENT: no such SA).
 */
int xw_ikesrc_by_peer(const char *path, const struct sockaddr *peer, socklen_t peer_len,
		      struct xw_ike_key *out);

/*
 * The plugin as a key source (control/ikekeys.h): src->name is the path.
 * Nothing is checked or connected here (charon may start later); 0 or
 * -ENOMEM.
 */
int xw_ikesrc_source(const char *path, struct xw_ike_source *src);

/*
 * Parse one response line (without LF) of a key request; exposed for
 * tests.  0 with *out filled, -ENOENT/-EINVAL/-EOPNOTSUPP/-EBUSY for an
 * ERR line, -EPROTO for anything malformed.
 */
int xw_ikesrc_parse_key(const char *line, struct xw_ike_key *out);

/*
 * EXPERIMENTAL IPsec SA profile (control/saprof.h): a CHILD SA's keys and
 * its IKE SA's SKEYSEED from the plugin (CHILD / CHILDPEER, ikesock.h), for
 * setups whose keys never reach the kernel SAD (kernel-libipsec).  From the
 * asking host's side: in = the SA carrying traffic to us, out = from us.
 */
struct xw_ikesrc_child {
	struct xw_sa_key in, out;
	uint8_t skeyseed[XW_SA_KEY_MAX];
	size_t skeyseed_len;
};
/* Parse one response line; 0, -ENOENT... for ERR, -EPROTO.  *out wiped unless 0. */
int xw_ikesrc_parse_child(const char *line, struct xw_ikesrc_child *out);
/* The CHILD SA with these SPIs (host order) and protocol (IPPROTO_ESP/AH). */
int xw_ikesrc_child_by_spi(const char *path, uint8_t proto, uint32_t spi_in, uint32_t spi_out,
			   struct xw_ikesrc_child *out);
/* The newest CHILD SA whose remote traffic selectors include peer. */
int xw_ikesrc_child_by_peer(const char *path, const struct sockaddr *peer, socklen_t peer_len,
			    struct xw_ikesrc_child *out);
/*
 * The plugin as the profile's key source (control/keysrc.h class SA):
 * server by the SA its KeyID names (Protocol, SPIi = in, SPIr = out),
 * client by peer (c2s = out, s2c = in); the pair carries SKEYSEED.  Nothing
 * is connected here.  0 or -ENOMEM.
 */
int xw_ikesrc_sa_source(const char *path, struct xw_keysrc *src);

#endif /* XW_IKESRC_H */
