/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's key sources for the control state machine (srv_ops.key_lookup):
 * an ordered list of control/keysrc.h sources (the passphrase key file, the
 * RFC 7717 key table, the charon plugin's socket client, ...).
 */
#ifndef XWAMPD_KEYS_H
#define XWAMPD_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keysrc.h"
#include "net.h"
#include "srv.h"
#include "xwamp/proto.h"

struct xwd_keys;

/*
 * Load the passphrase key file at path as the first key source, or make an
 * empty key set when path is NULL (every KeyID unknown).  NULL with
 * *err = -errno (logged) on failure.
 */
struct xwd_keys *xwd_keys_load(const char *path, int *err);
void xwd_keys_free(struct xwd_keys *k); /* wipes; NULL is fine */

/*
 * Append a key source (control/keysrc.h); k takes it over (frees it with k)
 * on success and on failure.  Sources are asked in the order they were
 * added.  0, or -ENOSPC beyond XW_KEYSRCS_MAX.
 */
int xwd_keys_add(struct xwd_keys *k, struct xw_keysrc *src);
/* true when a source serves class c (IKE: the greeting sets IKEv2Derived). */
bool xwd_keys_have(const struct xwd_keys *k, enum xw_keyclass c);

/*
 * SIGHUP: reload every source (a key file that cannot be re-read keeps
 * its old keys).  Errors are logged.
 */
void xwd_keys_reload(struct xwd_keys *k);

/*
 * srv_ops.key_lookup contract (control/srv.h): 0 with the secret copied,
 * or an Accept code: XW_ACCEPT_FAILURE for an unknown KeyID,
 * XW_ACCEPT_NO_IKE_SA when req->cls is RFC 7717's and no source knows
 * the SPIs of the KeyID (RFC 7717 5.3: logged with the SPIs and who), a
 * negative errno when a source failed.  k may be NULL (nothing known).
 * who names the connection in logs.
 */
int xwd_keys_lookup(struct xwd_keys *k, const char *who, const struct srv_key_req *req,
		    uint8_t *secret, size_t *len);

/*
 * IPsec SA profile (--sa-socket): the SA pair that protects a client at
 * peer, as the greeting names it (draft 4.1): Protocol, SPIi (the SA client
 * -> server), SPIr (server -> client).  The sources of class SA are asked
 * "by peer" (their client side: the SA to the peer and the SA from it),
 * and the two are swapped into the server's view.  No key leaves: the
 * pair is wiped here.  0, -ENOENT (none), or -errno of a failing source.
 */
int xwd_keys_sa_by_peer(struct xwd_keys *k, const struct xw_addr *peer, uint32_t *proto,
			uint32_t *spi_i, uint32_t *spi_r);

#endif /* XWAMPD_KEYS_H */
