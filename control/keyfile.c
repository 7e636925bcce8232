// SPDX-License-Identifier: GPL-2.0-only
/*
 * Key file reader (format and contract in keyfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "hex.h"
#include "keyfile.h"
#include "log.h"

/* A key file is a handful of lines; anything this big is a wrong path. */
#define KEYFILE_MAX_SIZE (1u << 20)

struct xw_key_entry {
	uint8_t keyid[XW_KEYID_LEN]; /* zero-padded, as on the wire */
	uint8_t secret[XW_KEYFILE_SECRET_MAX];
	size_t len;
	unsigned int line;
};

struct xw_keyfile {
	struct xw_key_entry *v;
	size_t n, cap;
};

void xw_keyfile_free(struct xw_keyfile *kf)
{
	if (!kf)
		return;
	if (kf->v) {
		xw_wipe(kf->v, kf->cap * sizeof(*kf->v));
		free(kf->v);
	}
	xw_wipe(kf, sizeof(*kf));
	free(kf);
}

size_t xw_keyfile_count(const struct xw_keyfile *kf)
{
	return kf ? kf->n : 0;
}

/* Grow by copying and wiping: realloc could leave secrets in freed memory. */
static int grow(struct xw_keyfile *kf)
{
	size_t cap = kf->cap ? kf->cap * 2 : 8;
	struct xw_key_entry *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (kf->v) {
		memcpy(v, kf->v, kf->n * sizeof(*v));
		xw_wipe(kf->v, kf->cap * sizeof(*kf->v));
		free(kf->v);
	}
	kf->v = v;
	kf->cap = cap;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* Well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF). */
static int utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n, k;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static struct xw_key_entry *find(const struct xw_keyfile *kf, const uint8_t keyid[XW_KEYID_LEN])
{
	size_t i;

	for (i = 0; i < kf->n; i++)
		if (!memcmp(kf->v[i].keyid, keyid, XW_KEYID_LEN))
			return &kf->v[i];
	return NULL;
}

/*
 * One line (without its '\n'); adds an entry or returns -EINVAL after
 * logging why.  Any secret octets decoded here live only in the entry.
 */
static int parse_line(struct xw_keyfile *kf, const char *p, size_t len, const char *name,
		      unsigned int line)
{
	const char *id, *hex;
	size_t i = 0, id_len, hex_len, k;
	struct xw_key_entry *e, *dup;
	int err;

	while (i < len && is_blank(p[i]))
		i++;
	if (i == len || p[i] == '#')
		return 0;
	id = p + i;
	while (i < len && !is_blank(p[i]))
		i++;
	id_len = (size_t)(p + i - id);
	if (memchr(id, '\0', id_len)) {
		pr_err("key file %s:%u: KeyID contains a NUL octet", name, line);
		return -EINVAL;
	}
	if (id_len > XW_KEYID_LEN) {
		pr_err("key file %s:%u: KeyID is %zu octets, at most %d allowed (RFC 4656 3.1)",
		       name, line, id_len, XW_KEYID_LEN);
		return -EINVAL;
	}
	if (!utf8_valid((const uint8_t *)id, id_len)) {
		pr_err("key file %s:%u: KeyID is not valid UTF-8 (RFC 4656 3.1)", name, line);
		return -EINVAL;
	}
	if (i == len) {
		pr_err("key file %s:%u: KeyID '%.*s' has no secret", name, line, (int)id_len, id);
		return -EINVAL;
	}
	while (i < len && is_blank(p[i]))
		i++;
	if (i == len || p[i] == '#') {
		pr_err("key file %s:%u: KeyID '%.*s' has an empty secret", name, line, (int)id_len,
		       id);
		return -EINVAL;
	}
	hex = p + i;
	while (i < len && !is_blank(p[i]))
		i++;
	hex_len = (size_t)(p + i - hex);
	while (i < len && is_blank(p[i]))
		i++;
	if (i < len && p[i] != '#') {
		pr_err("key file %s:%u: unexpected text after the secret of '%.*s'", name, line,
		       (int)id_len, id);
		return -EINVAL;
	}
	for (k = 0; k < hex_len; k++) {
		if (xw_hexval(hex[k]) < 0) {
			/* do not echo the secret: say where, not what */
			pr_err("key file %s:%u: secret of '%.*s' is not hex (column %zu)", name,
			       line, (int)id_len, id, (size_t)(hex + k - p) + 1);
			return -EINVAL;
		}
	}
	if (hex_len % 2) {
		pr_err("key file %s:%u: secret of '%.*s' has an odd number of hex digits", name,
		       line, (int)id_len, id);
		return -EINVAL;
	}
	if (hex_len / 2 > XW_KEYFILE_SECRET_MAX) {
		pr_err("key file %s:%u: secret of '%.*s' is %zu octets, at most %d allowed", name,
		       line, (int)id_len, id, hex_len / 2, XW_KEYFILE_SECRET_MAX);
		return -EINVAL;
	}
	if (kf->n == kf->cap) {
		err = grow(kf);
		if (err)
			return err;
	}
	e = &kf->v[kf->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->keyid, id, id_len);
	dup = find(kf, e->keyid);
	if (dup) {
		pr_err("key file %s:%u: KeyID '%.*s' already given on line %u", name, line,
		       (int)id_len, id, dup->line);
		memset(e->keyid, 0, sizeof(e->keyid));
		return -EINVAL;
	}
	/* every digit checked above: this cannot fail */
	e->len = (size_t)xw_unhex(hex, hex_len, e->secret, XW_KEYFILE_SECRET_MAX);
	e->line = line;
	kf->n++;
	/* RFC 4656 3.1: "The shared secret is a passphrase; it MUST not contain newlines." */
	if (memchr(e->secret, '\n', e->len))
		pr_warn("key file %s:%u: secret of '%.*s' contains a newline, which RFC 4656 3.1 "
			"forbids in passphrases; other implementations may not accept it",
			name, line, (int)id_len, id);
	return 0;
}

int xw_keyfile_parse(const char *text, size_t len, const char *name, struct xw_keyfile **kf)
{
	struct xw_keyfile *k;
	unsigned int line = 0;
	size_t off = 0;
	int err = 0;

	if (!kf || (len && !text))
		return -EINVAL;
	*kf = NULL;
	if (!name)
		name = "(key file)";
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	while (off < len && !err) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - text) : len;

		line++;
		err = parse_line(k, text + off, end - off, name, line);
		off = end + 1;
	}
	if (err) {
		xw_keyfile_free(k); /* wipes what was decoded so far */
		return err;
	}
	if (!k->n)
		pr_warn("key file %s: no keys in it", name);
	*kf = k;
	return 0;
}

int xw_keyfile_load(const char *path, struct xw_keyfile **kf)
{
	struct stat st;
	char *buf = NULL;
	size_t size = 0, got = 0;
	int fd, err;

	if (!path || !kf)
		return -EINVAL;
	*kf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_err("key file %s: cannot open: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		pr_err("key file %s: cannot stat: %s", path, strerror(-err));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("key file %s: not a regular file", path);
		err = -EINVAL;
		goto out;
	}
	if (st.st_size > KEYFILE_MAX_SIZE) {
		pr_err("key file %s: %lld octets, more than a key file can be", path,
		       (long long)st.st_size);
		err = -EFBIG;
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		/* passphrases that open every session of these KeyIDs: as the IKE key table */
		pr_err("key file %s: mode %04o lets group or others read or change shared "
		       "secrets; refusing it (chmod 600)",
		       path, (unsigned int)(st.st_mode & 07777));
		err = -EACCES;
		goto out;
	}
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			pr_err("key file %s: read failed: %s", path, strerror(-err));
			goto out;
		}
		if (!r)
			break; /* shrank meanwhile: parse what is there */
		got += (size_t)r;
	}
	err = xw_keyfile_parse(buf, got, path, kf);
out:
	if (buf) {
		xw_wipe(buf, size + 1);
		free(buf);
	}
	close(fd);
	return err;
}

int xw_keyfile_lookup(const struct xw_keyfile *kf, const uint8_t keyid[XW_KEYID_LEN],
		      const uint8_t **secret, size_t *len)
{
	const struct xw_key_entry *e;

	if (!kf || !keyid || !secret || !len)
		return -EINVAL;
	e = find(kf, keyid);
	if (!e)
		return -ENOENT;
	*secret = e->secret;
	*len = e->len;
	return 0;
}

int xw_keyid_pad(const char *name, uint8_t keyid[XW_KEYID_LEN])
{
	size_t n;

	if (!name || !keyid)
		return -EINVAL;
	n = strnlen(name, XW_KEYID_LEN + 1);
	if (!n || n > XW_KEYID_LEN)
		return -EINVAL;
	memset(keyid, 0, XW_KEYID_LEN);
	memcpy(keyid, name, n);
	return 0;
}
