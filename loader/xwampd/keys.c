// SPDX-License-Identifier: GPL-2.0-only
/*
 * Key lookup for xwampd (contract in keys.h): an ordered list of key
 * sources behind control/keysrc.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "keys.h"
#include "log.h"
#include "srv.h"

struct xwd_keys {
	struct xw_keysrcs l;
};

struct xwd_keys *xwd_keys_load(const char *path, int *err)
{
	struct xwd_keys *k = calloc(1, sizeof(*k));
	struct xw_keysrc src;

	*err = 0;
	if (!k) {
		*err = -ENOMEM;
		return NULL;
	}
	if (!path)
		return k;
	/* xw_keysrc_keyfile logs what is wrong, per line */
	*err = xw_keysrc_keyfile(path, &src);
	if (!*err)
		*err = xwd_keys_add(k, &src);
	if (*err) {
		xwd_keys_free(k);
		return NULL;
	}
	return k;
}

void xwd_keys_free(struct xwd_keys *k)
{
	if (!k)
		return;
	xw_keysrcs_free(&k->l);
	xw_wipe(k, sizeof(*k));
	free(k);
}

int xwd_keys_add(struct xwd_keys *k, struct xw_keysrc *src)
{
	const char *kind = src->ops->kind, *name = src->name;
	int rc = xw_keysrcs_add(&k->l, src);

	if (!rc)
		pr_info("key source %u: %s %s", k->l.n, kind, name ? name : "");
	return rc;
}

bool xwd_keys_have(const struct xwd_keys *k, enum xw_keyclass c)
{
	return k && xw_keysrcs_have(&k->l, c);
}

void xwd_keys_reload(struct xwd_keys *k)
{
	if (k)
		xw_keysrcs_reload(&k->l); /* each source logs its own errors */
}

int xwd_keys_lookup(struct xwd_keys *k, const char *who, const struct srv_key_req *req,
		    uint8_t *secret, size_t *len)
{
	struct xw_key key;
	int rc;

	rc = xw_keysrcs_server(k ? &k->l : NULL, who, req->cls, req->keyid, &key);
	if (rc == XW_ACCEPT_OK) {
		/* the SM's buffer is SRV_SECRET_MAX, the bound of every source */
		memcpy(secret, key.secret, key.len);
		*len = key.len;
	}
	xw_key_wipe(&key);
	return rc;
}

int xwd_keys_sa_by_peer(struct xwd_keys *k, const struct xw_addr *peer, uint32_t *proto,
			uint32_t *spi_i, uint32_t *spi_r)
{
	struct xw_keyreq req = {.cls = XW_KEYCLASS_SA, .peer = &peer->sa, .peer_len = peer->len};
	struct xw_sa_pair p;
	struct xw_key key;
	int rc;

	rc = xw_keysrcs_client(k ? &k->l : NULL, &req, &key);
	if (!rc)
		rc = xw_sa_pair_from_secret(key.secret, key.len, &p);
	xw_key_wipe(&key);
	if (!rc) {
		/* asked from our side: c2s is the SA to the client, s2c the one from it */
		*proto = p.s2c.proto;
		*spi_i = p.s2c.spi;
		*spi_r = p.c2s.spi;
	}
	xw_sa_pair_wipe(&p);
	return rc;
}
