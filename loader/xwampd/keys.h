/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's key sources for the control state machine (srv_ops.key_lookup):
 * KeyID -> shared secret from the key file (control/keyfile.h), and RFC 7717
 * keys by SPIs from IKE key sources (control/ikekeys.h: the key table file,
 * the charon plugin's socket client in loader/lib/ikesrc.h, ...).
 */
#ifndef XWAMPD_KEYS_H
#define XWAMPD_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikekeys.h"
#include "xwamp/proto.h"

/* IKE key sources xwampd asks, in order. */
#define XWD_IKE_SOURCES_MAX 4

struct xwd_keys;

/*
 * Load the key file at path, or make an empty key set when path is NULL
 * (every KeyID unknown).  NULL with *err = -errno (logged) on failure.
 */
struct xwd_keys *xwd_keys_load(const char *path, int *err);
void xwd_keys_free(struct xwd_keys *k); /* wipes; NULL is fine */

/*
 * Add an RFC 7717 key source; k takes it over (frees it with k) on success
 * and on failure.  Sources are asked in the order they were added.
 * 0, or -ENOSPC beyond XWD_IKE_SOURCES_MAX.
 */
int xwd_keys_add_ike(struct xwd_keys *k, struct xw_ike_source *src);
/* true when at least one IKE key source is configured: the greeting sets IKEv2Derived. */
bool xwd_keys_have_ike(const struct xwd_keys *k);

/*
 * SIGHUP: re-read the key file (the old one stays on error) and reload
 * every IKE source.  Errors are logged.
 */
void xwd_keys_reload(struct xwd_keys *k);

/*
 * srv_ops.key_lookup contract (control/srv.h): 0 with the secret copied,
 * or an Accept code: XW_ACCEPT_FAILURE for an unknown KeyID,
 * XW_ACCEPT_NO_IKE_SA when mode has XW_MODE_IKEV2_DERIV and no source knows
 * the SPIs of the KeyID (RFC 7717 5.3: logged with the SPIs and who), a
 * negative errno when a source failed.  k may be NULL (nothing known).
 * who names the connection in logs.
 */
int xwd_keys_lookup(struct xwd_keys *k, const char *who, uint32_t mode,
		    const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret, size_t *len);

#endif /* XWAMPD_KEYS_H */
