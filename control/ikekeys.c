// SPDX-License-Identifier: GPL-2.0-only
/*
 * RFC 7717 keys: derivation, KeyID layout, key sources and the key table
 * file (contract in ikekeys.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto.h"
#include "hex.h"
#include "ikekeys.h"
#include "log.h"

/* A table of IKE SAs is small; anything this big is a wrong path. */
#define TABLE_MAX_SIZE (4u << 20)

/* ---- PRFs (RFC 7296 2.13, IANA transform type 2) ---------------------------- */

static const struct {
	enum xw_ike_prf prf;
	const char *name; /* strongSwan's name, without "PRF_" */
	const char *digest;
	size_t len;
} prfs[] = {
	{XW_IKE_PRF_HMAC_SHA1, "HMAC_SHA1", "SHA1", 20},
	{XW_IKE_PRF_HMAC_SHA2_256, "HMAC_SHA2_256", "SHA2-256", 32},
	{XW_IKE_PRF_HMAC_SHA2_384, "HMAC_SHA2_384", "SHA2-384", 48},
	{XW_IKE_PRF_HMAC_SHA2_512, "HMAC_SHA2_512", "SHA2-512", 64},
};
#define NPRFS (sizeof(prfs) / sizeof(prfs[0]))

static int prf_index(enum xw_ike_prf prf)
{
	unsigned int i;

	for (i = 0; i < NPRFS; i++)
		if (prfs[i].prf == prf)
			return (int)i;
	return -1;
}

enum xw_ike_prf xw_ike_prf_by_iana(unsigned int id)
{
	unsigned int i;

	for (i = 0; i < NPRFS; i++)
		if ((unsigned int)prfs[i].prf == id)
			return prfs[i].prf;
	return XW_IKE_PRF_NONE;
}

enum xw_ike_prf xw_ike_prf_by_name(const char *name)
{
	unsigned int i;
	char *end;
	unsigned long id;

	if (!name || !*name)
		return XW_IKE_PRF_NONE;
	if (name[0] >= '0' && name[0] <= '9') {
		id = strtoul(name, &end, 10);
		return *end || id > 255 ? XW_IKE_PRF_NONE : xw_ike_prf_by_iana((unsigned int)id);
	}
	if (!strncasecmp(name, "PRF_", 4))
		name += 4;
	for (i = 0; i < NPRFS; i++)
		if (!strcasecmp(name, prfs[i].name))
			return prfs[i].prf;
	return XW_IKE_PRF_NONE;
}

const char *xw_ike_prf_name(enum xw_ike_prf prf)
{
	static const char *const full[] = {"PRF_HMAC_SHA1", "PRF_HMAC_SHA2_256",
					   "PRF_HMAC_SHA2_384", "PRF_HMAC_SHA2_512"};
	int i = prf_index(prf);

	return i < 0 ? "?" : full[i];
}

size_t xw_ike_prf_len(enum xw_ike_prf prf)
{
	int i = prf_index(prf);

	return i < 0 ? 0 : prfs[i].len;
}

int xw_ike_prf(enum xw_ike_prf prf, const uint8_t *key, size_t key_len, const void *data,
	       size_t data_len, uint8_t *out, size_t cap, size_t *out_len)
{
	static const uint8_t empty[1];
	int i = prf_index(prf);
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac;
	size_t n = 0;
	int rc = -EIO;

	if (i < 0 || !out || cap < prfs[i].len || (key_len && !key) || (data_len && !data))
		return -EINVAL;
	params[0] =
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)prfs[i].digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac)
		ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (ctx && EVP_MAC_init(ctx, key_len ? key : empty, key_len, params) == 1 &&
	    EVP_MAC_update(ctx, data_len ? data : empty, data_len) == 1 &&
	    EVP_MAC_final(ctx, out, &n, cap) == 1 && n == prfs[i].len) {
		*out_len = n;
		rc = 0;
	}
	/* EVP_MAC_CTX_free cleanses the keyed state */
	EVP_MAC_CTX_free(ctx);
	if (rc)
		xw_wipe(out, cap);
	return rc;
}

int xw_ike_derive(enum xw_ike_prf prf, const uint8_t *skd, size_t skd_len,
		  uint8_t out[XW_IKE_KEY_MAX], size_t *out_len)
{
	/* RFC 7717 5.1: Shared secret key = prf(SK_d, "IPPM"), "IPPM" in ASCII */
	static const char ippm[4] = {'I', 'P', 'P', 'M'};

	if (!skd_len || skd_len > XW_IKE_SKD_MAX)
		return -EINVAL;
	return xw_ike_prf(prf, skd, skd_len, ippm, sizeof(ippm), out, XW_IKE_KEY_MAX, out_len);
}

/* ---- the reading of "shared secret" (doc/design.md decision 1) ------------ */

int xw_ike_shared_secret(const struct xw_ike_key *k, uint8_t *secret, size_t cap, size_t *len)
{
	/*
	 * RFC 7717 5.1 calls prf(SK_d, "IPPM") the "shared secret key" and
	 * 4.3 says the Token is "encrypted with the shared secret associated
	 * with KeyID": it replaces the passphrase of RFC 4656 3.1, and
	 * PBKDF2(secret, Salt, Count) follows as for any passphrase.  The
	 * octets are used as they are (binary, not hex text).
	 */
	if (!k->key_len || k->key_len > XW_IKE_KEY_MAX || k->key_len > cap)
		return -ENOSPC;
	memcpy(secret, k->key, k->key_len);
	*len = k->key_len;
	return 0;
}

/* ---- KeyID (RFC 7717 5.3) ------------------------------------------------- */

void xw_ike_keyid_put(uint8_t keyid[XW_KEYID_LEN], const uint8_t spi_i[XW_IKE_SPI_LEN],
		      const uint8_t spi_r[XW_IKE_SPI_LEN])
{
	/* "the first 8 octets of the KeyID field MUST carry SPIi, and the second
	 * 8 octets MUST carry SPIr.  The remaining bits ... MUST be set to zero" */
	memset(keyid, 0, XW_KEYID_LEN);
	memcpy(keyid, spi_i, XW_IKE_SPI_LEN);
	memcpy(keyid + XW_IKE_SPI_LEN, spi_r, XW_IKE_SPI_LEN);
}

void xw_ike_keyid_get(const uint8_t keyid[XW_KEYID_LEN], uint8_t spi_i[XW_IKE_SPI_LEN],
		      uint8_t spi_r[XW_IKE_SPI_LEN])
{
	/* "MUST obtain the SPIi and SPIr from the first 16 octets and ignore the
	 * remaining octets" */
	memcpy(spi_i, keyid, XW_IKE_SPI_LEN);
	memcpy(spi_r, keyid + XW_IKE_SPI_LEN, XW_IKE_SPI_LEN);
}

const char *xw_ike_spis_str(const uint8_t spi_i[XW_IKE_SPI_LEN],
			    const uint8_t spi_r[XW_IKE_SPI_LEN], char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[XW_IKE_SPIS_STRLEN];
	unsigned int i;

	for (i = 0; i < XW_IKE_SPI_LEN; i++) {
		tmp[2 * i] = hex[spi_i[i] >> 4];
		tmp[2 * i + 1] = hex[spi_i[i] & 15];
		tmp[17 + 2 * i] = hex[spi_r[i] >> 4];
		tmp[17 + 2 * i + 1] = hex[spi_r[i] & 15];
	}
	tmp[16] = '/';
	tmp[33] = '\0';
	snprintf(buf, cap, "%s", tmp);
	return buf;
}

/* ---- sources ---------------------------------------------------------------- */

int xw_ike_lookup_spi(const struct xw_ike_source *src, unsigned int n,
		      const uint8_t spi_i[XW_IKE_SPI_LEN], const uint8_t spi_r[XW_IKE_SPI_LEN],
		      struct xw_ike_key *out)
{
	int first_err = -ENOENT, rc;
	unsigned int i;

	for (i = 0; i < n; i++) {
		rc = src[i].ops->by_spi(src[i].ctx, spi_i, spi_r, out);
		if (!rc)
			return 0;
		xw_wipe(out, sizeof(*out));
		if (rc != -ENOENT && first_err == -ENOENT)
			first_err = rc;
	}
	return first_err;
}

int xw_ike_lookup_peer(const struct xw_ike_source *src, unsigned int n, const struct sockaddr *peer,
		       socklen_t peer_len, struct xw_ike_key *out)
{
	int first_err = -ENOENT, rc;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!src[i].ops->by_peer)
			continue;
		rc = src[i].ops->by_peer(src[i].ctx, peer, peer_len, out);
		if (!rc)
			return 0;
		xw_wipe(out, sizeof(*out));
		if (rc != -ENOENT && first_err == -ENOENT)
			first_err = rc;
	}
	return first_err;
}

int xw_ike_reload(const struct xw_ike_source *src, unsigned int n)
{
	unsigned int i;
	int rc, err = 0;

	for (i = 0; i < n; i++) {
		if (!src[i].ops->reload)
			continue;
		rc = src[i].ops->reload(src[i].ctx);
		if (rc && !err)
			err = rc;
	}
	return err;
}

void xw_ike_sources_free(struct xw_ike_source *src, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (src[i].ops && src[i].ops->free)
			src[i].ops->free(src[i].ctx);
		memset(&src[i], 0, sizeof(src[i]));
	}
}

int xw_ike_server_result(const char *who, const uint8_t keyid[XW_KEYID_LEN], int rc)
{
	uint8_t spi_i[XW_IKE_SPI_LEN], spi_r[XW_IKE_SPI_LEN];
	char spis[XW_IKE_SPIS_STRLEN];

	xw_ike_keyid_get(keyid, spi_i, spi_r); /* the remaining 64 octets are ignored */
	xw_ike_spis_str(spi_i, spi_r, spis, sizeof(spis));
	if (rc == -ENOENT) {
		/* RFC 7717 5.3: MUST log the event; SHOULD answer Accept 6 */
		pr_warn("control %s: no IKE SA with SPIi %.16s SPIr %.16s (RFC 7717): "
			"Server-Start Accept 6",
			who, spis, spis + 17);
		return XW_ACCEPT_NO_IKE_SA;
	}
	if (rc) {
		pr_err("control %s: IKE key lookup for SPIi %.16s SPIr %.16s failed: %s", who, spis,
		       spis + 17, strerror(-rc));
		return rc;
	}
	/*
	 * The connection derives its session keys from the Token right now and
	 * keeps them: a rekey or delete of the SA later does not touch it
	 * (RFC 7717 5.1).
	 */
	pr_info("control %s: IKEv2-derived key of SPIi %.16s SPIr %.16s (RFC 7717)", who, spis,
		spis + 17);
	return XW_ACCEPT_OK;
}

int xw_ike_server_secret(const struct xw_ike_source *src, unsigned int n, const char *who,
			 const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret, size_t cap,
			 size_t *len)
{
	uint8_t spi_i[XW_IKE_SPI_LEN], spi_r[XW_IKE_SPI_LEN];
	struct xw_ike_key key;
	int rc;

	xw_ike_keyid_get(keyid, spi_i, spi_r);
	rc = xw_ike_lookup_spi(src, n, spi_i, spi_r, &key);
	if (!rc)
		rc = xw_ike_shared_secret(&key, secret, cap, len);
	xw_wipe(&key, sizeof(key));
	return xw_ike_server_result(who, keyid, rc);
}

/* ---- the key table -------------------------------------------------------- */

struct ike_entry {
	struct xw_ike_key k;
	int has_peer;
	int family; /* AF_INET / AF_INET6 when has_peer */
	uint8_t addr[16];
	unsigned int line;
};

struct xw_ike_table {
	char *path; /* NULL: parsed from text, never reloads */
	struct ike_entry *v;
	size_t n, cap;
	/* what the loaded contents came from (xw_ike_table_check) */
	int have_stat;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime; /* chmod changes only this: a fixed mode is seen too */
};

static void entries_free(struct ike_entry *v, size_t cap)
{
	if (v) {
		xw_wipe(v, cap * sizeof(*v));
		free(v);
	}
}

void xw_ike_table_free(struct xw_ike_table *t)
{
	if (!t)
		return;
	entries_free(t->v, t->cap);
	free(t->path);
	xw_wipe(t, sizeof(*t));
	free(t);
}

size_t xw_ike_table_count(const struct xw_ike_table *t)
{
	return t ? t->n : 0;
}

/* Grow by copy + wipe: realloc could leave keys in freed memory. */
static int grow(struct ike_entry **v, size_t n, size_t *cap)
{
	size_t c = *cap ? *cap * 2 : 8;
	struct ike_entry *nv = calloc(c, sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	if (*v) {
		memcpy(nv, *v, n * sizeof(*nv));
		entries_free(*v, *cap);
	}
	*v = nv;
	*cap = c;
	return 0;
}

#define MAX_FIELDS 8

/* Splits a line into fields (spaces/tabs); '#' ends it.  Returns the field count. */
static unsigned int split(const char *s, size_t len, const char **f, size_t *flen)
{
	unsigned int n = 0;
	size_t i = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i >= len || s[i] == '#')
			break;
		if (n == MAX_FIELDS)
			return MAX_FIELDS + 1;
		f[n] = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '#')
			i++;
		flen[n] = (size_t)(s + i - f[n]);
		n++;
	}
	return n;
}

static int parse_peer(const char *s, size_t len, struct ike_entry *e)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, e->addr) == 1) {
		e->family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, e->addr) == 1) {
		e->family = AF_INET6;
		/* an IPv4-mapped address is the IPv4 peer */
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)e->addr)) {
			memmove(e->addr, e->addr + 12, 4);
			e->family = AF_INET;
		}
	} else {
		return -1;
	}
	e->has_peer = 1;
	return 0;
}

/*
 * One line into *e.  NULL when fine, else why it is rejected (no key
 * material in the text).  Blank/comment lines give *empty = 1.
 */
static const char *parse_line(const char *s, size_t len, struct ike_entry *e, int *empty)
{
	static const uint8_t zero[XW_IKE_SPI_LEN];
	const char *f[MAX_FIELDS];
	size_t fl[MAX_FIELDS];
	unsigned int n = split(s, len, f, fl);
	uint8_t skd[XW_IKE_SKD_MAX], want[XW_IKE_KEY_MAX];
	size_t want_len = 0;
	enum xw_ike_prf prf;
	int k, skd_len, rc;

	*empty = !n;
	if (!n)
		return NULL;
	if (n < 3)
		return "expected SPIi SPIr KEY [PEER]";
	if (fl[0] != 16 || xw_unhex(f[0], 16, e->k.spi_i, 8) != 8)
		return "SPIi is not 16 hex digits";
	if (fl[1] != 16 || xw_unhex(f[1], 16, e->k.spi_r, 8) != 8)
		return "SPIr is not 16 hex digits";
	if (!memcmp(e->k.spi_i, zero, 8) && !memcmp(e->k.spi_r, zero, 8))
		return "SPIi and SPIr are both zero";
	if (fl[2] > 4 && !strncasecmp(f[2], "PRF_", 4)) {
		/* ike-keys.sh: SPIi SPIr PRF SK_d KEY [uniqueid name state] */
		char name[32];

		if (n < 5)
			return "ike-keys.sh line without SK_d and KEY";
		if (fl[2] >= sizeof(name))
			return "unknown PRF";
		memcpy(name, f[2], fl[2]);
		name[fl[2]] = '\0';
		prf = xw_ike_prf_by_name(name);
		if (prf == XW_IKE_PRF_NONE)
			return "unsupported PRF (HMAC-SHA1, HMAC-SHA2-256/384/512 only)";
		skd_len = xw_unhex(f[3], fl[3], skd, sizeof(skd));
		if (skd_len <= 0)
			return "SK_d is not hex (at most 64 octets)";
		k = xw_unhex(f[4], fl[4], e->k.key, XW_IKE_KEY_MAX);
		rc = xw_ike_derive(prf, skd, (size_t)skd_len, want, &want_len);
		xw_wipe(skd, sizeof(skd));
		if (k <= 0) {
			xw_wipe(want, sizeof(want));
			return "KEY is not hex (at most 64 octets)";
		}
		if (rc) {
			xw_wipe(want, sizeof(want));
			return "cannot compute prf(SK_d, \"IPPM\")";
		}
		e->k.key_len = (size_t)k;
		rc = want_len == e->k.key_len && xw_ct_equal(want, e->k.key, want_len);
		xw_wipe(want, sizeof(want));
		if (!rc)
			return "KEY is not prf(SK_d, \"IPPM\")";
		return NULL;
	}
	if (n > 4)
		return "text after PEER";
	k = xw_unhex(f[2], fl[2], e->k.key, XW_IKE_KEY_MAX);
	if (k <= 0)
		return "KEY is not hex (1..64 octets, an even number of digits)";
	e->k.key_len = (size_t)k;
	if (n == 4 && parse_peer(f[3], fl[3], e))
		return "PEER is not an IPv4 or IPv6 address";
	return NULL;
}

static struct ike_entry *find_spi(struct ike_entry *v, size_t n, const uint8_t *spi_i,
				  const uint8_t *spi_r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(v[i].k.spi_i, spi_i, 8) && !memcmp(v[i].k.spi_r, spi_r, 8))
			return &v[i];
	return NULL;
}

/* Parses text into a fresh entry array; bad lines are logged and counted. */
static int parse_all(const char *text, size_t len, const char *name, struct ike_entry **pv,
		     size_t *pn, size_t *pcap, unsigned int *bad)
{
	struct ike_entry *v = NULL, *dup, e;
	size_t n = 0, cap = 0, pos = 0;
	unsigned int line = 0, nbad = 0;
	char spis[XW_IKE_SPIS_STRLEN];
	const char *why;
	int empty, rc;

	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;

		pos += l + (nl ? 1 : 0);
		line++;
		memset(&e, 0, sizeof(e));
		why = parse_line(s, l, &e, &empty);
		if (empty)
			continue;
		if (why) {
			pr_warn("%s:%u: %s: line ignored", name, line, why);
			nbad++;
			xw_wipe(&e, sizeof(e));
			continue;
		}
		e.line = line;
		dup = find_spi(v, n, e.k.spi_i, e.k.spi_r);
		if (dup) {
			pr_warn("%s:%u: SPIs %s already on line %u: the later line wins", name,
				line, xw_ike_spis_str(e.k.spi_i, e.k.spi_r, spis, sizeof(spis)),
				dup->line);
			*dup = e;
			xw_wipe(&e, sizeof(e));
			continue;
		}
		if (n == cap) {
			rc = grow(&v, n, &cap);
			if (rc) {
				xw_wipe(&e, sizeof(e));
				entries_free(v, cap);
				return rc;
			}
		}
		v[n++] = e;
		xw_wipe(&e, sizeof(e));
	}
	*pv = v;
	*pn = n;
	*pcap = cap;
	if (bad)
		*bad = nbad;
	return 0;
}

int xw_ike_table_parse(const char *text, size_t len, const char *name, struct xw_ike_table **t,
		       unsigned int *bad)
{
	struct xw_ike_table *nt = calloc(1, sizeof(*nt));
	int rc;

	if (!nt)
		return -ENOMEM;
	rc = parse_all(text, len, name ? name : "ike-keys", &nt->v, &nt->n, &nt->cap, bad);
	if (rc) {
		free(nt);
		return rc;
	}
	*t = nt;
	return 0;
}

/* The user this process runs as after start-up; (uid_t)-1: the effective uid. */
static uid_t ike_run_uid = (uid_t)-1;

void xw_ike_table_run_as(uid_t uid)
{
	ike_run_uid = uid;
}

/*
 * Who may own the table without a word: the user we run as after start-up
 * (README Security: the recommended setup, so that a rekey's new file can
 * be read after the privilege drop), ourselves, and root.  A root-owned
 * table under a root process that drops root loads now but cannot be
 * re-read after a change: said at load, with the fix.  Anyone else could
 * change our keys.
 */
static void owner_check(const char *path, uid_t owner)
{
	uid_t run = ike_run_uid == (uid_t)-1 ? geteuid() : ike_run_uid;

	if (owner == run)
		return;
	if (owner == 0) {
		if (geteuid() == 0)
			pr_warn("IKE key table %s: owned by root, but we run as uid %u after "
				"start-up and could not re-read it after a change (chown it to "
				"uid %u)",
				path, (unsigned int)run, (unsigned int)run);
		return;
	}
	if (owner != geteuid())
		pr_warn("IKE key table %s: owned by uid %u, neither the user we run as (uid %u) "
			"nor root: another user can change our keys",
			path, (unsigned int)owner, (unsigned int)run);
}

/* Reads the file into a fresh entry array and the stat it came with. */
static int read_file(const char *path, struct ike_entry **v, size_t *n, size_t *cap,
		     struct stat *st)
{
	char *buf = NULL;
	size_t got = 0;
	ssize_t k;
	unsigned int bad = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		pr_err("IKE key table %s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, st)) {
		rc = -errno;
		pr_err("IKE key table %s: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st->st_mode) || st->st_size > TABLE_MAX_SIZE) {
		pr_err("IKE key table %s: not a regular file of at most %u octets", path,
		       TABLE_MAX_SIZE);
		rc = -EINVAL;
		goto out;
	}
	if (st->st_mode & 077) {
		/* keys that open every O/TWAMP session with these peers */
		pr_err("IKE key table %s: mode %04o lets group or others in; refusing it "
		       "(chmod 600)",
		       path, (unsigned int)(st->st_mode & 07777));
		rc = -EACCES;
		goto out;
	}
	owner_check(path, st->st_uid);
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st->st_size) {
		k = read(fd, buf + got, (size_t)st->st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			pr_err("IKE key table %s: %s", path, strerror(-rc));
			goto out;
		}
		if (!k)
			break;
		got += (size_t)k;
	}
	rc = parse_all(buf, got, path, v, n, cap, &bad);
	if (!rc)
		pr_info("IKE key table %s: %zu IKE SAs%s", path, *n,
			bad ? " (some lines ignored, see above)" : "");
out:
	if (buf) {
		xw_wipe(buf, (size_t)st->st_size + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

static void table_replace(struct xw_ike_table *t, struct ike_entry *v, size_t n, size_t cap)
{
	entries_free(t->v, t->cap);
	t->v = v;
	t->n = n;
	t->cap = cap;
}

static void remember(struct xw_ike_table *t, const struct stat *st)
{
	t->have_stat = 1;
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->size = st->st_size;
	t->mtime = st->st_mtim;
	t->ctime = st->st_ctim;
}

int xw_ike_table_reload(struct xw_ike_table *t)
{
	struct ike_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct stat st;
	int rc;

	if (!t->path)
		return 0;
	rc = read_file(t->path, &v, &n, &cap, &st);
	if (rc == -ENOENT) {
		/* removed: its SAs are gone too */
		pr_warn("IKE key table %s: gone, no IKE SAs known", t->path);
		table_replace(t, NULL, 0, 0);
		t->have_stat = 0;
		return 0;
	}
	if (rc) {
		pr_warn("IKE key table %s: keeping the %zu IKE SAs read before", t->path, t->n);
		/* do not retry on every lookup until the file changes again */
		if (!stat(t->path, &st))
			remember(t, &st);
		return rc;
	}
	table_replace(t, v, n, cap);
	remember(t, &st);
	return 0;
}

int xw_ike_table_check(struct xw_ike_table *t)
{
	struct stat st;

	if (!t->path)
		return 0;
	if (stat(t->path, &st)) {
		if (errno == ENOENT && !t->have_stat && !t->n)
			return 0; /* still absent */
		return xw_ike_table_reload(t);
	}
	if (t->have_stat && st.st_dev == t->dev && st.st_ino == t->ino && st.st_size == t->size &&
	    st.st_mtim.tv_sec == t->mtime.tv_sec && st.st_mtim.tv_nsec == t->mtime.tv_nsec &&
	    st.st_ctim.tv_sec == t->ctime.tv_sec && st.st_ctim.tv_nsec == t->ctime.tv_nsec)
		return 0;
	return xw_ike_table_reload(t);
}

int xw_ike_table_load(const char *path, struct xw_ike_table **t)
{
	struct xw_ike_table *nt = calloc(1, sizeof(*nt));
	struct stat st;
	int rc;

	if (!nt)
		return -ENOMEM;
	nt->path = strdup(path);
	if (!nt->path) {
		free(nt);
		return -ENOMEM;
	}
	rc = read_file(path, &nt->v, &nt->n, &nt->cap, &st);
	if (rc) {
		xw_ike_table_free(nt);
		return rc;
	}
	remember(nt, &st);
	*t = nt;
	return 0;
}

int xw_ike_table_by_spi(struct xw_ike_table *t, const uint8_t spi_i[XW_IKE_SPI_LEN],
			const uint8_t spi_r[XW_IKE_SPI_LEN], struct xw_ike_key *out)
{
	struct ike_entry *e;

	xw_ike_table_check(t); /* errors are logged; the old table answers */
	e = find_spi(t->v, t->n, spi_i, spi_r);
	if (!e)
		return -ENOENT;
	*out = e->k;
	return 0;
}

/* The peer's address as family + 4 or 16 octets, IPv4-mapped folded to IPv4. */
static int peer_addr(const struct sockaddr *sa, socklen_t len, int *family, uint8_t addr[16])
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		*family = AF_INET;
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(addr, a->s6_addr + 12, 4);
			*family = AF_INET;
		} else {
			memcpy(addr, a->s6_addr, 16);
			*family = AF_INET6;
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

int xw_ike_table_by_peer(struct xw_ike_table *t, const struct sockaddr *peer, socklen_t peer_len,
			 struct xw_ike_key *out)
{
	const struct ike_entry *exact = NULL, *any = NULL;
	uint8_t addr[16];
	int family, rc;
	size_t i;

	rc = peer_addr(peer, peer_len, &family, addr);
	if (rc)
		return rc;
	xw_ike_table_check(t);
	/* the last line wins: after a rekey a tool appends the new SA */
	for (i = 0; i < t->n; i++) {
		const struct ike_entry *e = &t->v[i];

		if (!e->has_peer)
			any = e;
		else if (e->family == family && !memcmp(e->addr, addr, family == AF_INET ? 4 : 16))
			exact = e;
	}
	if (!exact)
		exact = any;
	if (!exact)
		return -ENOENT;
	*out = exact->k;
	return 0;
}

/* ---- the table as a source ------------------------------------------------- */

static int src_by_spi(void *ctx, const uint8_t spi_i[XW_IKE_SPI_LEN],
		      const uint8_t spi_r[XW_IKE_SPI_LEN], struct xw_ike_key *out)
{
	return xw_ike_table_by_spi(ctx, spi_i, spi_r, out);
}

static int src_by_peer(void *ctx, const struct sockaddr *peer, socklen_t peer_len,
		       struct xw_ike_key *out)
{
	return xw_ike_table_by_peer(ctx, peer, peer_len, out);
}

static int src_reload(void *ctx)
{
	return xw_ike_table_reload(ctx);
}

static void src_free(void *ctx)
{
	xw_ike_table_free(ctx);
}

static const struct xw_ike_source_ops table_ops = {
	.kind = "table",
	.by_spi = src_by_spi,
	.by_peer = src_by_peer,
	.reload = src_reload,
	.free = src_free,
};

int xw_ike_table_source(const char *path, struct xw_ike_source *src)
{
	struct xw_ike_table *t;
	int rc = xw_ike_table_load(path, &t);

	if (rc)
		return rc;
	src->ops = &table_ops;
	src->ctx = t;
	src->name = t->path;
	return 0;
}
