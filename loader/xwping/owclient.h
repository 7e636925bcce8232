/* SPDX-License-Identifier: GPL-2.0-only */
/* xwping's OWAMP client (owclient.c). */
#ifndef XWPING_OWCLIENT_H
#define XWPING_OWCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "net.h"

/*
 * One OWAMP measurement against server: -t/-f/both, results printed on
 * stdout (text or JSON).  0, or a negative errno after an error line.
 */
struct xw_key;
/* ike: an RFC 7717 key for this server (--owamp-ikev2), used when the greeting offers the bit. */
int xwping_owamp_run(const struct xwping_cfg *cfg, const struct xw_addr *server,
		     const uint8_t *secret, size_t secret_len, const struct xw_key *ike);

#endif /* XWPING_OWCLIENT_H */
