/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The key file of xwampd and xwping: KeyID -> shared secret (RFC 4656 3.1:
 * "Both the server and the client use the same mappings from KeyIDs to
 * shared secrets").
 *
 * Format: the reference implementation's pfs format, so that files made by
 * perfSONAR's pfstore load as they are.  One entry per line:
 *
 *     KEYID <spaces or tabs> SECRET
 *
 *   KEYID   1..80 octets of UTF-8 without whitespace or NUL (RFC 4656 3.1:
 *           "a UTF-8 string, up to 80 octets"); on the wire it is
 *           zero-padded to 80 octets.
 *   SECRET  the shared secret (the passphrase) in hex, either case, an even
 *           number of digits, 1..XW_KEYFILE_SECRET_MAX octets once decoded.
 *           e.g. `alice<TAB>636f727265637420686f7273652062617474657279`
 *           is user alice with passphrase "correct horse battery".
 *
 * Blank lines and lines whose first non-blank character is '#' are ignored;
 * so is a '#' comment after the secret.  CRLF line ends are accepted.
 *
 * Rejected, with a log line naming file:line: a KeyID without secret, a
 * secret that is empty, of odd length or not hex, a KeyID over 80 octets or
 * not UTF-8, a secret over XW_KEYFILE_SECRET_MAX octets, text after the
 * secret, a KeyID given twice.  One bad line rejects the whole file (a
 * half-loaded key file would fail logins in confusing ways).  A file that
 * group or others may read, write or execute is refused (-EACCES, logged with
 * its mode), in xwampd and xwping alike: it holds passphrases.
 *
 * Secrets live in memory that is wiped on free and on every error path;
 * read buffers are wiped too.
 */
#ifndef XW_KEYFILE_H
#define XW_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "xwamp/proto.h"

/* Same bound as SRV_SECRET_MAX / CLI_SECRET_MAX: whatever loads can be used. */
#define XW_KEYFILE_SECRET_MAX 512

struct xw_keyfile;

/*
 * Read and parse the file at path (logs name it).  0 with *kf set, or a
 * negative errno: -errno of open/read, -EACCES for a mode that lets group
 * or others in, -EINVAL for bad content (logged per line), -ENOMEM.
 */
int xw_keyfile_load(const char *path, struct xw_keyfile **kf);

/*
 * Parse len octets of text (need not be NUL-terminated); name is used in log
 * lines ("name:line: ...").  Same results as xw_keyfile_load().
 */
int xw_keyfile_parse(const char *text, size_t len, const char *name, struct xw_keyfile **kf);

/* Number of entries. */
size_t xw_keyfile_count(const struct xw_keyfile *kf);

/*
 * Find the secret of a KeyID as it comes in the 80-octet field of the
 * Set-Up-Response (zero-padded).  0 with *secret pointing into kf (valid
 * until xw_keyfile_free; copy it, do not keep it) and *len set; -ENOENT when
 * unknown (also for an all-zero or non-zero-padded field).
 */
int xw_keyfile_lookup(const struct xw_keyfile *kf, const uint8_t keyid[XW_KEYID_LEN],
		      const uint8_t **secret, size_t *len);

/*
 * A KeyID string (e.g. xwping -u NAME) as the 80-octet zero-padded field.
 * -EINVAL when empty or longer than 80 octets.
 */
int xw_keyid_pad(const char *name, uint8_t keyid[XW_KEYID_LEN]);

/* Wipes every secret and frees; NULL is fine. */
void xw_keyfile_free(struct xw_keyfile *kf);

#endif /* XW_KEYFILE_H */
