// SPDX-License-Identifier: GPL-2.0-only
/*
 * Key lookup for xwampd (contract in keys.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "keyfile.h"
#include "keys.h"
#include "log.h"
#include "srv.h"

struct xwd_keys {
	char *path; /* key file; NULL: none */
	struct xw_keyfile *kf;
	struct xw_ike_source ike[XWD_IKE_SOURCES_MAX];
	unsigned int nike;
};

/* KeyID for logs: printable ASCII up to the first NUL, others as '?'. */
static void keyid_str(const uint8_t keyid[XW_KEYID_LEN], char out[XW_KEYID_LEN + 1])
{
	size_t i;

	for (i = 0; i < XW_KEYID_LEN && keyid[i]; i++)
		out[i] = keyid[i] >= 0x20 && keyid[i] < 0x7f ? (char)keyid[i] : '?';
	out[i] = '\0';
}

struct xwd_keys *xwd_keys_load(const char *path, int *err)
{
	struct xwd_keys *k = calloc(1, sizeof(*k));

	*err = 0;
	if (!k) {
		*err = -ENOMEM;
		return NULL;
	}
	if (!path)
		return k;
	k->path = strdup(path);
	if (!k->path) {
		free(k);
		*err = -ENOMEM;
		return NULL;
	}
	/* xw_keyfile_load logs what is wrong, per line */
	*err = xw_keyfile_load(path, &k->kf);
	if (*err) {
		free(k->path);
		free(k);
		return NULL;
	}
	pr_info("key file %s: %zu KeyIDs", path, xw_keyfile_count(k->kf));
	return k;
}

void xwd_keys_free(struct xwd_keys *k)
{
	if (!k)
		return;
	xw_keyfile_free(k->kf);
	xw_ike_sources_free(k->ike, k->nike);
	free(k->path);
	xw_wipe(k, sizeof(*k));
	free(k);
}

int xwd_keys_add_ike(struct xwd_keys *k, struct xw_ike_source *src)
{
	if (k->nike >= XWD_IKE_SOURCES_MAX) {
		xw_ike_sources_free(src, 1);
		return -ENOSPC;
	}
	k->ike[k->nike++] = *src;
	pr_info("RFC 7717 key source %u: %s %s", k->nike, src->ops->kind,
		src->name ? src->name : "");
	memset(src, 0, sizeof(*src));
	return 0;
}

bool xwd_keys_have_ike(const struct xwd_keys *k)
{
	return k && k->nike;
}

void xwd_keys_reload(struct xwd_keys *k)
{
	struct xw_keyfile *kf = NULL;
	int rc;

	if (!k)
		return;
	if (k->path) {
		rc = xw_keyfile_load(k->path, &kf);
		if (rc) {
			pr_err("key file %s: cannot reload (%d), keeping the %zu KeyIDs read "
			       "before",
			       k->path, rc, xw_keyfile_count(k->kf));
		} else {
			xw_keyfile_free(k->kf);
			k->kf = kf;
			pr_info("key file %s: reloaded, %zu KeyIDs", k->path, xw_keyfile_count(kf));
		}
	}
	xw_ike_reload(k->ike, k->nike);
}

int xwd_keys_lookup(struct xwd_keys *k, const char *who, uint32_t mode,
		    const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret, size_t *len)
{
	char name[XW_KEYID_LEN + 1];
	const uint8_t *found;
	size_t found_len;

	if (mode & XW_MODE_IKEV2_DERIV)
		return xw_ike_server_secret(k ? k->ike : NULL, k ? k->nike : 0, who, keyid, secret,
					    SRV_SECRET_MAX, len);
	if (k && k->kf && xw_keyfile_lookup(k->kf, keyid, &found, &found_len) == 0) {
		/* the SM's buffer is SRV_SECRET_MAX, the same bound the key file enforces */
		memcpy(secret, found, found_len);
		*len = found_len;
		return XW_ACCEPT_OK;
	}
	keyid_str(keyid, name);
	/* srv.c logs the refusal (KeyID and Accept code) once: here only for debugging */
	pr_debug("control %s: KeyID \"%s\" is not in the key file", who, name);
	return XW_ACCEPT_FAILURE;
}
