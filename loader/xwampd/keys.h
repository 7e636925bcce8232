/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's key source: KeyID -> shared secret for the control state machine
 * (srv_ops.key_lookup).  Today the key file of control/keyfile.h; later RFC
 * 7717 keys from the IKE daemon (ARCHITECTURE.md decision 2) plug in here.
 */
#ifndef XWAMPD_KEYS_H
#define XWAMPD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "xwamp/proto.h"

struct xwd_keys;

/* Load the key file at path.  NULL with *err = -errno (logged) on failure. */
struct xwd_keys *xwd_keys_load(const char *path, int *err);
void xwd_keys_free(struct xwd_keys *k); /* NULL is fine */

/*
 * srv_ops.key_lookup contract (control/srv.h): 0 with the secret copied,
 * or an Accept code (XW_ACCEPT_FAILURE for an unknown KeyID).  k may be NULL
 * (no key file: every KeyID is unknown).  who names the connection in logs.
 */
int xwd_keys_lookup(struct xwd_keys *k, const char *who, uint32_t mode,
		    const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret, size_t *len);

#endif /* XWAMPD_KEYS_H */
