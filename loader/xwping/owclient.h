/* SPDX-License-Identifier: GPL-2.0-only */
/* xwping's OWAMP client (owclient.c). */
#ifndef XWPING_OWCLIENT_H
#define XWPING_OWCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "client.h"
#include "net.h"

/*
 * One OWAMP measurement against server: -t/-f/both, results printed on
 * stdout (text or JSON).  0, or a negative errno after an error line.
 */
struct xw_key;
/* What the caller needs beyond the printed report. */
struct xwping_ow_result {
	int signo;  /* SIGINT/SIGTERM that cut the run short (exit 128 + it), 0: none */
	bool on[2]; /* the directions measured: [0] to the server (-t), [1] from it (-f) */
	/* their counts and one-way delays (hist[1]), when the report was printed */
	struct xwping_tally tally[2];
};
/*
 * ike: an RFC 7717 key for this server (--owamp-ikev2), used when the
 * greeting offers the bit.  A signal during the test stops the sessions and
 * the report is printed marked as interrupted (0 returned, res->signo set);
 * before the test it returns -EINTR with res->signo set.
 */
int xwping_owamp_run(const struct xwping_cfg *cfg, const struct xw_addr *server,
		     const uint8_t *secret, size_t secret_len, const struct xw_key *ike,
		     struct xwping_ow_result *res);

#endif /* XWPING_OWCLIENT_H */
