// SPDX-License-Identifier: GPL-2.0-only
/*
 * Key lookup for xwampd (contract in keys.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"

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
	pr_err("key file %s: key files are not supported in this build yet", path);
	*err = -EOPNOTSUPP;
	return NULL;
}

void xwd_keys_free(struct xwd_keys *k)
{
}

int xwd_keys_lookup(struct xwd_keys *k, const char *who, uint32_t mode,
		    const uint8_t keyid[XW_KEYID_LEN], uint8_t *secret, size_t *len)
{
	char name[XW_KEYID_LEN + 1];

	keyid_str(keyid, name);
	pr_warn("control %s: unknown KeyID '%s': Server-Start Accept 1", who, name);
	return XW_ACCEPT_FAILURE;
}
