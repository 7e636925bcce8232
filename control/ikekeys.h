/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RFC 7717: IKEv2-derived shared secret keys for O/TWAMP.
 *
 * Four things live here, each small:
 *
 *  1. The derivation (RFC 7717 5.1): key = prf(SK_d, "IPPM") with the IKE
 *     SA's negotiated PRF; xw_ike_prf() computes a PRF by name or IANA id
 *     (HMAC-SHA1, HMAC-SHA2-256/384/512) with OpenSSL EVP.
 *  2. The reading of "shared secret": xw_ike_shared_secret() turns that key
 *     into the RFC 4656 shared secret (what a passphrase is otherwise).  It is
 *     the ONE place to change if the reading changes (doc/design.md
 *     decision 1; README "RFC 7717").
 *  3. The KeyID layout (RFC 7717 5.3): SPIi in octets 0-7, SPIr in 8-15,
 *     the rest zero; the server reads the first 16 octets and ignores the rest.
 *  4. Key sources: an abstract struct xw_ike_source (lookup by SPIs for the
 *     server, by peer address for the client) and one implementation, the
 *     key table file (xw_ike_table_*).  The charon plugin's socket client
 *     (loader/lib/ikesrc.c) is another implementation of the same ops.
 *
 * SPIs are always 8 octets in wire order (network order, as IKE messages
 * carry them and as strongSwan/ike-keys.sh print them: 16 hex digits).
 */
#ifndef XW_IKEKEYS_H
#define XW_IKEKEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "xwamp/proto.h"

#define XW_IKE_SPI_LEN 8
/* Largest PRF output (HMAC-SHA2-512): the longest key a source hands out. */
#define XW_IKE_KEY_MAX 64
/* Largest SK_d we accept as input to the derivation (RFC 7296 2.14: the PRF's key size). */
#define XW_IKE_SKD_MAX 64

/* PRFs of IKEv2 (IANA "Transform Type 2 - Pseudorandom Function Transform IDs"). */
enum xw_ike_prf {
	XW_IKE_PRF_NONE = 0,
	XW_IKE_PRF_HMAC_SHA1 = 2,
	XW_IKE_PRF_HMAC_SHA2_256 = 5,
	XW_IKE_PRF_HMAC_SHA2_384 = 6,
	XW_IKE_PRF_HMAC_SHA2_512 = 7,
};

/*
 * strongSwan's names ("PRF_HMAC_SHA2_256", as vici list-sas and ike-keys.sh
 * print them; the "PRF_" prefix is optional, case-insensitive) or the IANA
 * number as decimal text ("5").  XW_IKE_PRF_NONE when not supported.
 */
enum xw_ike_prf xw_ike_prf_by_name(const char *name);
/* IANA transform id -> enum (XW_IKE_PRF_NONE when not supported). */
enum xw_ike_prf xw_ike_prf_by_iana(unsigned int id);
/* "PRF_HMAC_SHA2_256" etc.; "?" for NONE. */
const char *xw_ike_prf_name(enum xw_ike_prf prf);
/* Output length in octets (20, 32, 48, 64); 0 for NONE. */
size_t xw_ike_prf_len(enum xw_ike_prf prf);

/*
 * prf(key, data) (RFC 7296 2.13) into out (cap >= xw_ike_prf_len(prf)),
 * *out_len set.  0, -EINVAL (unknown PRF, cap too small), -EIO (OpenSSL).
 * out is wiped on failure.
 */
int xw_ike_prf(enum xw_ike_prf prf, const uint8_t *key, size_t key_len, const void *data,
	       size_t data_len, uint8_t *out, size_t cap, size_t *out_len);

/*
 * The RFC 7717 5.1 key: prf(SK_d, "IPPM") ("IPPM": 4 ASCII octets, no NUL).
 * out holds XW_IKE_KEY_MAX.  Same returns as xw_ike_prf().
 */
int xw_ike_derive(enum xw_ike_prf prf, const uint8_t *skd, size_t skd_len,
		  uint8_t out[XW_IKE_KEY_MAX], size_t *out_len);

/* One IKE SA's O/TWAMP key, as a key source hands it out. */
struct xw_ike_key {
	uint8_t spi_i[XW_IKE_SPI_LEN]; /* wire order */
	uint8_t spi_r[XW_IKE_SPI_LEN];
	uint8_t key[XW_IKE_KEY_MAX]; /* prf(SK_d, "IPPM") */
	size_t key_len;		     /* 1..XW_IKE_KEY_MAX */
};

/*
 * THE reading of RFC 7717 used by xwamp (doc/design.md decision 1): the
 * RFC 4656 "shared secret" is the key's octets as they are; PBKDF2 with the
 * greeting's Salt and Count, the Token and everything after stay as in RFC
 * 4656 3.1.  Writes at most cap octets to secret, sets *len.  0 or -ENOSPC.
 * Both the server (xwampd) and the client (xwping) go through here.
 */
int xw_ike_shared_secret(const struct xw_ike_key *k, uint8_t *secret, size_t cap, size_t *len);

/* RFC 7717 5.3: KeyID = SPIi || SPIr || 64 zero octets. */
void xw_ike_keyid_put(uint8_t keyid[XW_KEYID_LEN], const uint8_t spi_i[XW_IKE_SPI_LEN],
		      const uint8_t spi_r[XW_IKE_SPI_LEN]);
/* RFC 7717 5.3: the server takes the first 16 octets and ignores the rest. */
void xw_ike_keyid_get(const uint8_t keyid[XW_KEYID_LEN], uint8_t spi_i[XW_IKE_SPI_LEN],
		      uint8_t spi_r[XW_IKE_SPI_LEN]);
/* "e33d65fab7818ad9/e58d539a5b542c26" for logs: buf of at least 34 octets. */
const char *xw_ike_spis_str(const uint8_t spi_i[XW_IKE_SPI_LEN],
			    const uint8_t spi_r[XW_IKE_SPI_LEN], char *buf, size_t cap);
#define XW_IKE_SPIS_STRLEN 34

/* ---- key sources ------------------------------------------------------------ */

/*
 * A source of RFC 7717 keys.  Implementations: the key table file
 * (xw_ike_table_source() below) and the charon plugin's socket client
 * (loader/lib/ikesrc.h).  All calls are synchronous and made from one
 * thread (the daemon's loop); a lookup should answer within milliseconds.
 *
 * Key life: a lookup COPIES the key into *out; the caller owns that copy,
 * wipes it (xw_wipe) when done, and is never affected by what happens to
 * the IKE SA afterwards (rekey, delete): RFC 7717 5.1, "the corresponding
 * shared secret key ... MUST continue to be used until the O/TWAMP session
 * terminates".  In practice the control connection derives its session keys
 * from the Token at Set-Up-Response and keeps them; the key itself is only
 * needed for that one step.
 */
struct xw_ike_source_ops {
	const char *kind; /* "table", "charon", ... for log lines */
	/*
	 * Server side: the SA with these SPIs.  0 with *out filled,
	 * -ENOENT when there is no such IKE SA (the server then answers
	 * Accept 6 and logs), another negative errno when the source failed
	 * (Accept 2).  Required.
	 */
	int (*by_spi)(void *ctx, const uint8_t spi_i[XW_IKE_SPI_LEN],
		      const uint8_t spi_r[XW_IKE_SPI_LEN], struct xw_ike_key *out);
	/*
	 * Client side: the current IKE SA with peer (an AF_INET or AF_INET6
	 * sockaddr; the port is ignored; an IPv4-mapped IPv6 address matches
	 * the IPv4 one).  Same returns.  NULL when the source cannot do it.
	 */
	int (*by_peer)(void *ctx, const struct sockaddr *peer, socklen_t peer_len,
		       struct xw_ike_key *out);
	/*
	 * Re-read configuration/state now (SIGHUP).  Optional.  0 or a
	 * negative errno (logged by the source; the old state stays).
	 */
	int (*reload)(void *ctx);
	/* Frees ctx, wiping every key it holds.  Required. */
	void (*free)(void *ctx);
};

struct xw_ike_source {
	const struct xw_ike_source_ops *ops;
	void *ctx;
	const char *name; /* e.g. the file or socket path, for log lines; owned by ctx */
};

/*
 * Ask each source in turn (order = priority) by SPIs / by peer.  The first
 * 0 wins; -ENOENT when every source said -ENOENT (or n is 0); otherwise the
 * first other error if no source found the SA.  *out is wiped unless 0.
 */
int xw_ike_lookup_spi(const struct xw_ike_source *src, unsigned int n,
		      const uint8_t spi_i[XW_IKE_SPI_LEN], const uint8_t spi_r[XW_IKE_SPI_LEN],
		      struct xw_ike_key *out);
int xw_ike_lookup_peer(const struct xw_ike_source *src, unsigned int n, const struct sockaddr *peer,
		       socklen_t peer_len, struct xw_ike_key *out);
/* Calls ops->reload of every source that has one; returns the first error. */
int xw_ike_reload(const struct xw_ike_source *src, unsigned int n);
/* ops->free of every source; the array itself is the caller's. */
void xw_ike_sources_free(struct xw_ike_source *src, unsigned int n);

/*
 * The server's whole RFC 7717 5.3 step, for srv_ops.key_lookup when the
 * client's Mode has XW_MODE_IKEV2_DERIV: SPIs from the first 16 octets of
 * keyid (the rest ignored), the key from the sources, the shared secret
 * (xw_ike_shared_secret) into secret (cap octets), *len set.  Returns
 * XW_ACCEPT_OK; XW_ACCEPT_NO_IKE_SA when no source knows the SPIs, after a
 * warning that names the SPIs and who (the client); a negative errno when
 * a source failed (logged).  The key is wiped before returning.
 */
int xw_ike_server_secret(const struct xw_ike_source *src, unsigned int n, const char *who,
			 const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret, size_t cap,
			 size_t *len);
/*
 * The end of that step, shared with control/keysrc.c: rc of the look-up
 * (0, -ENOENT, -errno) -> XW_ACCEPT_OK / XW_ACCEPT_NO_IKE_SA / rc, logged
 * with the SPIs of keyid and who as above.
 */
int xw_ike_server_result(const char *who, const uint8_t keyid[XW_KEYID_LEN], int rc);

/* ---- implementation 1: the key table file ----------------------------------- */

/*
 * Format (README "RFC 7717"): one IKE SA per line, fields separated by
 * spaces or tabs, '#' starts a comment, blank lines ignored, CRLF accepted:
 *
 *     SPIi SPIr KEY [PEER]
 *
 *   SPIi, SPIr  16 hex digits each, wire order (as ike-keys.sh and
 *               `swanctl --list-sas` print them); not both zero.
 *   KEY         prf(SK_d, "IPPM") in hex, 1..64 octets.
 *   PEER        optional: the peer's IPv4 or IPv6 address, for the client
 *               side (lookup by peer).  A line without PEER matches any
 *               peer; a line naming the peer is preferred; among equals
 *               the LAST line wins (tools append new SAs after a rekey).
 *
 * ike-keys.sh output lines are accepted as they are:
 *
 *     SPIi SPIr PRF SK_d KEY [anything...]
 *
 * (the third field starts with "PRF_"): KEY is checked against
 * prf(SK_d, "IPPM") and the line rejected when it differs; SK_d is not kept.
 *
 * A bad line is skipped with a "file:line: why" log line (never showing key
 * material); the others load (each line is an independent SA: one garbled
 * line must not take every measurement down).  A SPI pair given twice: the
 * later line wins, with a warning.  The file must not be accessible by group
 * or others (mode & 077): it is refused otherwise (-EACCES, logged).
 *
 * Reload: every lookup first checks the file (stat: device, inode, size,
 * mtime, ctime) and re-reads it when it changed (atomic rename by a tool
 * included); xw_ike_table_reload() forces it (SIGHUP).  A file that has
 * disappeared gives an empty table (logged); one that cannot be read or
 * is refused keeps the previous table (logged).  Keys are wiped on free and
 * on every reload.
 */
struct xw_ike_table;

/*
 * The user this process runs as once started (xwampd: --user, set before a
 * table is loaded).  The recommended owner of a table is that user (README
 * Security): it loads without a warning and can be re-read after the
 * privilege drop.  At load a warning names a table owned by anyone else but
 * the effective uid and root, and a root-owned one when uid is not root
 * (re-reading would fail).  Until set: the effective uid.
 */
void xw_ike_table_run_as(uid_t uid);

/*
 * Load path.  0 with *t set, or a negative errno (logged): -ENOENT/-EACCES
 * etc. of open/stat, -EACCES for a too-open file, -ENOMEM.  Bad lines are
 * skipped, not an error; xw_ike_table_count() says how many loaded.
 */
int xw_ike_table_load(const char *path, struct xw_ike_table **t);
/*
 * Parse text (len octets, need not be NUL-terminated) into a table that
 * never reloads; name is for log lines.  *bad (may be NULL) gets the number
 * of rejected lines.  0 or -ENOMEM.
 */
int xw_ike_table_parse(const char *text, size_t len, const char *name, struct xw_ike_table **t,
		       unsigned int *bad);
size_t xw_ike_table_count(const struct xw_ike_table *t);
/* Re-read now (also when unchanged).  0, or a negative errno (old table kept). */
int xw_ike_table_reload(struct xw_ike_table *t);
/* Re-read if the file changed since the last read.  0 or a negative errno (old table kept). */
int xw_ike_table_check(struct xw_ike_table *t);
/* The lookups of struct xw_ike_source_ops (each calls xw_ike_table_check() first). */
int xw_ike_table_by_spi(struct xw_ike_table *t, const uint8_t spi_i[XW_IKE_SPI_LEN],
			const uint8_t spi_r[XW_IKE_SPI_LEN], struct xw_ike_key *out);
int xw_ike_table_by_peer(struct xw_ike_table *t, const struct sockaddr *peer, socklen_t peer_len,
			 struct xw_ike_key *out);
/* Wipes every key and frees; NULL is fine. */
void xw_ike_table_free(struct xw_ike_table *t);

/*
 * The table as a key source: src takes ownership of t (src->ops->free frees
 * it).  Loads path; 0 or the errors of xw_ike_table_load().
 */
int xw_ike_table_source(const char *path, struct xw_ike_source *src);

#endif /* XW_IKEKEYS_H */
