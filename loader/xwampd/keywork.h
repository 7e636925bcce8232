/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwampd's key worker: the key step of a Set-Up-Response (control/srv.h
 * struct srv_key_req: the KeyID's secret from the key file or an RFC 7717
 * key source, then PBKDF2) runs in one thread of its own, so that neither a
 * key source that stalls (the charon socket's 2 s timeout) nor PBKDF2 with
 * a large Count holds up the event loop that serves every other session.
 *
 * One worker thread at a lower priority, a bounded FIFO of jobs, results
 * back into the loop through an eventfd.  Once started, the worker is the
 * only user of the key sources (struct xwd_keys): SIGHUP reloads go through
 * it too.  The secret and the kek exist in the worker and in the job only,
 * and are wiped there after use.
 */
#ifndef XWAMPD_KEYWORK_H
#define XWAMPD_KEYWORK_H

#include "keys.h"
#include "loop.h"
#include "srv.h"

/* Jobs queued or running at once; beyond, Server-Start Accept 5 (RFC 4656 3.3). */
#define XWD_KEYWORK_MAX 64

struct xwd_keywork;
struct xwd_keyjob;

/* Called in the loop with the result (wiped after it returns), unless cancelled. */
typedef void (*xwd_keyjob_fn)(void *owner, struct srv_key_res *res);
/*
 * The same for an SA job (xwd_keywork_submit_sa): rc 0 with the pair the
 * greeting names, -ENOENT when none protects the client, or -errno.
 */
typedef void (*xwd_sajob_fn)(void *owner, int rc, uint32_t proto, uint32_t spi_i, uint32_t spi_r);

/* Start the thread; keys may be NULL (every KeyID unknown).  0 or -errno. */
int xwd_keywork_start(struct xw_loop *l, struct xwd_keys *keys, struct xwd_keywork **out);
/*
 * Stop: waits for the job running now (at most one look-up and one
 * PBKDF2), drops the queued ones, wipes and frees.  The keys stay the
 * caller's.  NULL is fine.
 */
void xwd_keywork_stop(struct xwd_keywork *w);

/*
 * Queue req for owner (who names it in logs); done(owner, res) is called
 * from the loop when it is done.  0 with *job set, XW_ACCEPT_TEMP_LIMIT
 * when XWD_KEYWORK_MAX jobs are pending, or -errno.
 */
int xwd_keywork_submit(struct xwd_keywork *w, const struct srv_key_req *req, const char *who,
		       xwd_keyjob_fn done, void *owner, struct xwd_keyjob **job);
/*
 * IPsec SA profile with a key source that may stall (--sa-socket): which
 * SA pair protects the client at peer (xwd_keys_sa_by_peer()), looked up
 * in the worker before the greeting.  Same returns and limit as submit;
 * cancel with xwd_keywork_cancel().
 */
int xwd_keywork_submit_sa(struct xwd_keywork *w, const struct xw_addr *peer, const char *who,
			  xwd_sajob_fn done, void *owner, struct xwd_keyjob **job);
/* The owner goes away: done is never called for job (its work is skipped if not begun). */
void xwd_keywork_cancel(struct xwd_keywork *w, struct xwd_keyjob *job);
/* SIGHUP: the worker reloads the key sources between two jobs. */
void xwd_keywork_reload(struct xwd_keywork *w);

#endif /* XWAMPD_KEYWORK_H */
