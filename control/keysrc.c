// SPDX-License-Identifier: GPL-2.0-only
/*
 * Key sources behind one interface (contract in keysrc.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "keysrc.h"
#include "log.h"

enum xw_keyclass xw_keyclass_of(uint32_t mode, bool sa_profile)
{
	if (sa_profile)
		return XW_KEYCLASS_SA; /* draft 4.1: the keys of the SA the greeting named */
	/* RFC 7717 7: the IKEv2Derived bit turns the KeyID into SPIi || SPIr */
	if (mode & XW_MODE_IKEV2_DERIV)
		return XW_KEYCLASS_IKE;
	return XW_KEYCLASS_PASSPHRASE;
}

const char *xw_keyclass_name(enum xw_keyclass c)
{
	switch (c) {
	case XW_KEYCLASS_PASSPHRASE:
		return "passphrase";
	case XW_KEYCLASS_IKE:
		return "RFC 7717";
	case XW_KEYCLASS_SA:
		return "IPsec SA";
	default:
		return "?";
	}
}

void xw_key_wipe(struct xw_key *k)
{
	xw_wipe(k, sizeof(*k));
}

int xw_keysrcs_add(struct xw_keysrcs *l, struct xw_keysrc *src)
{
	if (l->n >= XW_KEYSRCS_MAX) {
		src->ops->free(src->ctx);
		memset(src, 0, sizeof(*src));
		return -ENOSPC;
	}
	l->src[l->n++] = *src;
	memset(src, 0, sizeof(*src));
	return 0;
}

static bool serves(const struct xw_keysrc *s, enum xw_keyclass c)
{
	return s->ops && (s->ops->classes & XW_KEYCLASS_BIT(c));
}

bool xw_keysrcs_have(const struct xw_keysrcs *l, enum xw_keyclass c)
{
	unsigned int i;

	for (i = 0; l && i < l->n; i++)
		if (serves(&l->src[i], c))
			return true;
	return false;
}

int xw_keysrcs_reload(const struct xw_keysrcs *l)
{
	unsigned int i;
	int rc, first = 0;

	for (i = 0; l && i < l->n; i++) {
		if (!l->src[i].ops->reload)
			continue;
		rc = l->src[i].ops->reload(l->src[i].ctx);
		if (rc && !first)
			first = rc;
	}
	return first;
}

void xw_keysrcs_free(struct xw_keysrcs *l)
{
	unsigned int i;

	for (i = 0; l && i < l->n; i++)
		if (l->src[i].ops)
			l->src[i].ops->free(l->src[i].ctx);
	if (l)
		memset(l, 0, sizeof(*l));
}

/* Ask each source of req->cls in order, server or client side. */
static int ask(const struct xw_keysrcs *l, const struct xw_keyreq *req, bool server,
	       struct xw_key *out)
{
	unsigned int i;
	int rc, first = -ENOENT;

	for (i = 0; l && i < l->n; i++) {
		const struct xw_keysrc *s = &l->src[i];
		int (*fn)(void *, const struct xw_keyreq *, struct xw_key *) =
			server ? s->ops->server : s->ops->client;

		if (!serves(s, req->cls) || !fn)
			continue;
		rc = fn(s->ctx, req, out);
		if (rc == 0)
			return 0;
		xw_key_wipe(out);
		if (rc != -ENOENT && first == -ENOENT)
			first = rc;
	}
	xw_key_wipe(out);
	return first;
}

/* KeyID for logs: printable ASCII up to the first NUL, others as '?'. */
static void keyid_str(const uint8_t keyid[XW_KEYID_LEN], char out[XW_KEYID_LEN + 1])
{
	size_t i;

	for (i = 0; i < XW_KEYID_LEN && keyid[i]; i++)
		out[i] = keyid[i] >= 0x20 && keyid[i] < 0x7f ? (char)keyid[i] : '?';
	out[i] = '\0';
}

int xw_keysrcs_server(const struct xw_keysrcs *l, const char *who, enum xw_keyclass cls,
		      const uint8_t keyid[XW_KEYID_LEN], struct xw_key *out)
{
	struct xw_keyreq req = {.cls = cls, .keyid = keyid};
	char name[XW_KEYID_LEN + 1];
	int rc;

	rc = ask(l, &req, true, out);
	if (req.cls == XW_KEYCLASS_IKE)
		return xw_ike_server_result(who, keyid, rc); /* RFC 7717 5.3 logging */
	if (req.cls == XW_KEYCLASS_SA && rc) {
		uint32_t proto, spi_i, spi_r;

		/* the SA of our greeting is gone (deleted, or replaced by a rekey since) */
		xw_sa_keyid_get(keyid, &proto, &spi_i, &spi_r);
		pr_warn("control %s: IPsec SA profile: no keys of protocol %u SPIi 0x%08x SPIr "
			"0x%08x: %s",
			who, proto, spi_i, spi_r, rc == -ENOENT ? "no such SA" : strerror(-rc));
		return rc == -ENOENT ? XW_ACCEPT_FAILURE : rc;
	}
	if (rc == -ENOENT) {
		keyid_str(keyid, name);
		/* srv.c logs the refusal (KeyID and Accept code) once: here only for debugging */
		pr_debug("control %s: KeyID \"%s\" is not in the key file", who, name);
		return XW_ACCEPT_FAILURE;
	}
	if (rc) {
		keyid_str(keyid, name);
		pr_err("control %s: key look-up for KeyID \"%s\" failed: %s", who, name,
		       strerror(-rc));
	}
	return rc;
}

int xw_keysrcs_client(const struct xw_keysrcs *l, const struct xw_keyreq *req, struct xw_key *out)
{
	return ask(l, req, false, out);
}

/* ---- the passphrase key file ---------------------------------------------- */

struct kf_src {
	char *path; /* NULL: parsed, never reloads */
	struct xw_keyfile *kf;
};

static int kf_get(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct kf_src *k = ctx;
	const uint8_t *found;
	size_t n;

	if (!req->keyid || !k->kf || xw_keyfile_lookup(k->kf, req->keyid, &found, &n))
		return -ENOENT;
	if (n > sizeof(out->secret))
		return -E2BIG; /* the key file enforces the same bound */
	memcpy(out->secret, found, n);
	out->len = n;
	memcpy(out->keyid, req->keyid, XW_KEYID_LEN);
	return 0;
}

static int kf_reload(void *ctx)
{
	struct kf_src *k = ctx;
	struct xw_keyfile *kf = NULL;
	int rc;

	if (!k->path)
		return 0;
	rc = xw_keyfile_load(k->path, &kf);
	if (rc) {
		pr_err("key file %s: cannot reload (%d), keeping the %zu KeyIDs read before",
		       k->path, rc, xw_keyfile_count(k->kf));
		return rc;
	}
	xw_keyfile_free(k->kf);
	k->kf = kf;
	pr_info("key file %s: reloaded, %zu KeyIDs", k->path, xw_keyfile_count(kf));
	return 0;
}

static void kf_free(void *ctx)
{
	struct kf_src *k = ctx;

	if (!k)
		return;
	xw_keyfile_free(k->kf); /* wipes */
	free(k->path);
	free(k);
}

static const struct xw_keysrc_ops kf_ops = {
	.kind = "passphrase",
	.classes = XW_KEYCLASS_BIT(XW_KEYCLASS_PASSPHRASE),
	.server = kf_get,
	.client = kf_get,
	.reload = kf_reload,
	.free = kf_free,
};

int xw_keysrc_keyfile_of(struct xw_keyfile *kf, const char *name, struct xw_keysrc *src)
{
	struct kf_src *k = calloc(1, sizeof(*k));

	(void)name;
	if (!k) {
		xw_keyfile_free(kf);
		return -ENOMEM;
	}
	k->kf = kf;
	src->ops = &kf_ops;
	src->ctx = k;
	src->name = "";
	return 0;
}

int xw_keysrc_keyfile(const char *path, struct xw_keysrc *src)
{
	struct xw_keyfile *kf = NULL;
	struct kf_src *k;
	int rc;

	/* xw_keyfile_load logs what is wrong, per line */
	rc = xw_keyfile_load(path, &kf);
	if (rc)
		return rc;
	rc = xw_keysrc_keyfile_of(kf, path, src);
	if (rc)
		return rc;
	k = src->ctx;
	k->path = strdup(path);
	if (!k->path) {
		kf_free(k);
		memset(src, 0, sizeof(*src));
		return -ENOMEM;
	}
	src->name = k->path;
	pr_info("key file %s: %zu KeyIDs", path, xw_keyfile_count(kf));
	return 0;
}

/* ---- RFC 7717 sources --------------------------------------------------------- */

/* One IKE key -> the RFC 4656 shared secret and the KeyID naming its SA. */
static int ike_out(struct xw_ike_key *key, int rc, struct xw_key *out)
{
	if (!rc)
		rc = xw_ike_shared_secret(key, out->secret, sizeof(out->secret), &out->len);
	if (!rc)
		xw_ike_keyid_put(out->keyid, key->spi_i, key->spi_r);
	xw_wipe(key, sizeof(*key));
	return rc;
}

static int ike_server(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct xw_ike_source *s = ctx;
	uint8_t spi_i[XW_IKE_SPI_LEN], spi_r[XW_IKE_SPI_LEN];
	struct xw_ike_key key;

	if (!req->keyid)
		return -ENOENT;
	xw_ike_keyid_get(req->keyid, spi_i, spi_r);
	return ike_out(&key, xw_ike_lookup_spi(s, 1, spi_i, spi_r, &key), out);
}

static int ike_client(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct xw_ike_source *s = ctx;
	struct xw_ike_key key;

	if (!req->peer)
		return -ENOENT;
	return ike_out(&key, xw_ike_lookup_peer(s, 1, req->peer, req->peer_len, &key), out);
}

static int ike_reload(void *ctx)
{
	return xw_ike_reload(ctx, 1);
}

/* Per kind, so that log lines name it ("table", "charon"). */
struct ike_wrap {
	struct xw_keysrc_ops ops;
	struct xw_ike_source ike; /* ctx points here */
};

static void ike_wrap_free(void *ctx)
{
	struct ike_wrap *w = (struct ike_wrap *)((char *)ctx - offsetof(struct ike_wrap, ike));

	xw_ike_sources_free(&w->ike, 1);
	free(w);
}

int xw_keysrc_ike(struct xw_ike_source *ike, struct xw_keysrc *src)
{
	struct ike_wrap *w = calloc(1, sizeof(*w));

	if (!w) {
		xw_ike_sources_free(ike, 1);
		return -ENOMEM;
	}
	w->ike = *ike;
	memset(ike, 0, sizeof(*ike));
	w->ops = (struct xw_keysrc_ops){
		.kind = w->ike.ops->kind,
		.classes = XW_KEYCLASS_BIT(XW_KEYCLASS_IKE),
		.server = ike_server,
		.client = w->ike.ops->by_peer ? ike_client : NULL,
		.reload = w->ike.ops->reload ? ike_reload : NULL,
		.free = ike_wrap_free,
	};
	src->ops = &w->ops;
	src->ctx = &w->ike;
	src->name = w->ike.name;
	return 0;
}
