/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Key sources: ONE interface for every place a shared secret comes from.
 *
 * A request's key class says which kind of key it needs (xw_keyclass_of:
 * the one place that decides "passphrase or RFC 7717 or the IPsec SA
 * profile"); an ordered list of sources (struct xw_keysrcs) is asked in
 * turn, and only the sources that serve that class answer.
 *
 * Implementations:
 *   - the passphrase key file (control/keyfile.h; xw_keysrc_keyfile()),
 *   - any RFC 7717 source of control/ikekeys.h (the key table file, the
 *     charon plugin's socket client in loader/lib/ikesrc.h) through
 *     xw_keysrc_ike(),
 *   - the IPsec SA profile's kernel SAD source (loader/lib/sadsrc.h) and
 *     its charon source (loader/lib/ikesrc.h xw_ikesrc_sa_source(): Child
 *     SA keys and SKEYSEED from the charon plugin, for kernel-libipsec).
 *
 * Calls are synchronous: xwampd makes them only in its key worker thread
 * (loader/xwampd/keywork.h), never in the event loop; xwping before its
 * loop starts.  A source copies a key into the caller's struct xw_key;
 * the caller wipes it (xw_key_wipe) after use, on every path.
 */
#ifndef XW_KEYSRC_H
#define XW_KEYSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ikekeys.h"
#include "keyfile.h"
#include "saprof.h"
#include "xwamp/proto.h"

/* Largest secret a source hands out: the bound of the key file, srv and cli. */
#define XW_KEY_SECRET_MAX XW_KEYFILE_SECRET_MAX
/* Sources in one list. */
#define XW_KEYSRCS_MAX	  6

enum xw_keyclass {
	XW_KEYCLASS_PASSPHRASE = 0, /* RFC 4656 3.1: KeyID names a passphrase */
	XW_KEYCLASS_IKE = 1,	    /* RFC 7717 5.3: KeyID = SPIi || SPIr of the IKE SA */
	/*
	 * EXPERIMENTAL IPsec SA profile (saprof.h): the connection speaks it
	 * (srv.h struct srv_key_req sa_variant), the KeyID names the SA
	 * (xw_sa_keyid_put: Protocol, SPIi, SPIr; client: by connection instead) and
	 * the secret is the SA pair (xw_sa_pair_to_secret).
	 */
	XW_KEYCLASS_SA = 2,
	XW_KEYCLASS_N
};
#define XW_KEYCLASS_BIT(c) (1u << (c))

/*
 * THE decision: which class of key a request asks for, from the client's
 * Mode and whether the connection speaks the IPsec SA profile (an option
 * of both ends, never a Mode bit).
 */
enum xw_keyclass xw_keyclass_of(uint32_t mode, bool sa_profile);
const char *xw_keyclass_name(enum xw_keyclass c);

/* A key as a source hands it out: the RFC 4656 shared secret and the KeyID naming it. */
struct xw_key {
	uint8_t secret[XW_KEY_SECRET_MAX];
	size_t len;
	uint8_t keyid[XW_KEYID_LEN];
};
void xw_key_wipe(struct xw_key *k);

/* What is asked.  Server: keyid from the Set-Up-Response.  Client: keyid (passphrase) or peer. */
struct xw_keyreq {
	enum xw_keyclass cls;
	const uint8_t *keyid; /* XW_KEYID_LEN octets, or NULL */
	const struct sockaddr *peer;
	socklen_t peer_len;
	/* our end of the connection when known (the SPD's selectors match both), or NULL */
	const struct sockaddr *local;
	socklen_t local_len;
};

struct xw_keysrc_ops {
	const char *kind;     /* "passphrase", "table", "charon", ... for log lines */
	unsigned int classes; /* XW_KEYCLASS_BIT() of each class it serves */
	/*
	 * Server side: the key the client's KeyID names.  0 with *out filled,
	 * -ENOENT when this source does not know it, another negative errno
	 * when the source failed.  Required.
	 */
	int (*server)(void *ctx, const struct xw_keyreq *req, struct xw_key *out);
	/* Client side: the key to use with req->peer (and out->keyid).  Same returns.  Optional. */
	int (*client)(void *ctx, const struct xw_keyreq *req, struct xw_key *out);
	/* SIGHUP.  Optional.  0 or a negative errno (logged; the old state stays). */
	int (*reload)(void *ctx);
	/* Frees ctx, wiping every key it holds.  Required. */
	void (*free)(void *ctx);
};

struct xw_keysrc {
	const struct xw_keysrc_ops *ops;
	void *ctx;
	const char *name; /* file or socket path for log lines; owned by ctx */
};

struct xw_keysrcs {
	struct xw_keysrc src[XW_KEYSRCS_MAX];
	unsigned int n;
};

/* Append src (the list owns it from now on, also on failure).  0 or -ENOSPC. */
int xw_keysrcs_add(struct xw_keysrcs *l, struct xw_keysrc *src);
/* true when some source serves class c. */
bool xw_keysrcs_have(const struct xw_keysrcs *l, enum xw_keyclass c);
/* ops->reload of each; the first error. */
int xw_keysrcs_reload(const struct xw_keysrcs *l);
/* Frees (and wipes) every source; l itself is the caller's. */
void xw_keysrcs_free(struct xw_keysrcs *l);

/*
 * The server's key step (srv_ops.key_lookup): the sources of class cls
 * (xw_keyclass_of) in order, the first 0 wins.  Returns XW_ACCEPT_OK
 * with *out filled; when no source knows the key: XW_ACCEPT_FAILURE for a
 * passphrase KeyID (logged at debug: srv.c logs the refusal),
 * XW_ACCEPT_NO_IKE_SA for RFC 7717 (warning with the SPIs and who, RFC 7717
 * 5.3: MUST log), XW_ACCEPT_FAILURE for an SA that is gone (logged); a negative errno when a source failed and none knew it
 * (logged).  *out is wiped unless XW_ACCEPT_OK.  l may be NULL.
 */
int xw_keysrcs_server(const struct xw_keysrcs *l, const char *who, enum xw_keyclass cls,
		      const uint8_t keyid[XW_KEYID_LEN], struct xw_key *out);

/*
 * The client's look-up of class req->cls: first 0 wins; -ENOENT when none
 * knows it, else the first other error.  *out wiped unless 0.
 */
int xw_keysrcs_client(const struct xw_keysrcs *l, const struct xw_keyreq *req, struct xw_key *out);

/* ---- implementations ------------------------------------------------------ */

/*
 * The passphrase key file at path (control/keyfile.h).  Server: by KeyID.
 * Client: req->keyid.  Reload re-reads it, keeping the old keys on error.
 * 0 or the errors of xw_keyfile_load() (logged).
 */
int xw_keysrc_keyfile(const char *path, struct xw_keysrc *src);
/* The same over a parsed key file (tests); src owns kf. */
int xw_keysrc_keyfile_of(struct xw_keyfile *kf, const char *name, struct xw_keysrc *src);

/*
 * An RFC 7717 source (ikekeys.h) as a key source of class IKE: server by
 * the SPIs in the KeyID (RFC 7717 5.3), client by peer; the secret is
 * xw_ike_shared_secret() of the key, the KeyID xw_ike_keyid_put().  src
 * takes ike over (also on failure).  0 or -ENOMEM.
 */
int xw_keysrc_ike(struct xw_ike_source *ike, struct xw_keysrc *src);

#endif /* XW_KEYSRC_H */
