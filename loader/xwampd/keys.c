// SPDX-License-Identifier: GPL-2.0-only
/*
 * Key lookup for xwampd (contract in keys.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"
#include "keys.h"
#include "log.h"

struct xwd_keys {
	struct xw_keyfile *kf;
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

	if (!k) {
		*err = -ENOMEM;
		return NULL;
	}
	/* xw_keyfile_load logs what is wrong, per line */
	*err = xw_keyfile_load(path, &k->kf);
	if (*err) {
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
	free(k);
}

int xwd_keys_lookup(struct xwd_keys *k, const char *who, uint32_t mode,
		    const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret, size_t *len)
{
	char name[XW_KEYID_LEN + 1];
	const uint8_t *found;
	size_t found_len;

	if (k && xw_keyfile_lookup(k->kf, keyid, &found, &found_len) == 0) {
		/* the SM's buffer is SRV_SECRET_MAX, the same bound the key file enforces */
		memcpy(secret, found, found_len);
		*len = found_len;
		return XW_ACCEPT_OK;
	}
	keyid_str(keyid, name);
	pr_warn("control %s: unknown KeyID '%s': Server-Start Accept 1", who, name);
	return XW_ACCEPT_FAILURE;
}
