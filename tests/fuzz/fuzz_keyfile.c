// SPDX-License-Identifier: GPL-2.0-only
/*
 * The key file parser (control/keyfile.h) on arbitrary text.
 *
 * A file either loads whole or not at all: on error nothing is returned
 * (LeakSanitizer sees anything left behind).  When it loads, the first
 * word of the text, as a KeyID, is looked up, and so are the first 80
 * octets as a raw KeyID field: every secret found is 1..512 octets and
 * lies inside what the parser allocated (ASan checks the reads).
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "keyfile.h"

static void lookup(const struct xw_keyfile *kf, const uint8_t keyid[XW_KEYID_LEN])
{
	const uint8_t *secret;
	uint8_t copy[XW_KEYFILE_SECRET_MAX];
	size_t len = 0;

	if (xw_keyfile_lookup(kf, keyid, &secret, &len))
		return;
	FUZZ_ASSERT(len >= 1 && len <= XW_KEYFILE_SECRET_MAX);
	memcpy(copy, secret, len); /* ASan: the whole secret is readable */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xw_keyfile *kf = NULL;
	uint8_t keyid[XW_KEYID_LEN] = {0};
	char word[128];
	size_t i, n;
	int err;

	fuzz_reset();
	err = xw_keyfile_parse((const char *)data, size, "fuzz", &kf);
	if (err) {
		FUZZ_ASSERT(err == -EINVAL || err == -ENOMEM);
		FUZZ_ASSERT(kf == NULL);
		return 0;
	}
	FUZZ_ASSERT(kf != NULL);

	/* the first word, as xwping -u gives it */
	for (i = 0; i < size && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n'); i++)
		;
	for (n = 0; i < size && n < sizeof(word) - 1 && data[i] > ' '; i++)
		word[n++] = (char)data[i];
	word[n] = '\0';
	if (xw_keyid_pad(word, keyid) == 0)
		lookup(kf, keyid);
	else
		FUZZ_ASSERT(n == 0 || n > XW_KEYID_LEN);

	memset(keyid, 0, sizeof(keyid));
	memcpy(keyid, data, size < XW_KEYID_LEN ? size : XW_KEYID_LEN);
	lookup(kf, keyid);
	xw_keyfile_free(kf);
	return 0;
}
