// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RFC 7717 key table parser (control/ikekeys.h) on arbitrary text.
 *
 * The table that loads is queried the ways xwampd and xwping query it:
 * by the SPIs of the first line (its first 16 + 16 hex digits, so that the
 * fuzzer can make a line that matches), by peer address (IPv4, IPv6,
 * IPv4-mapped), and every key found goes through the shared-secret step
 * and the KeyID layout (RFC 7717 5.3).  Keys are 1..64 octets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz.h"
#include "hex.h"
#include "ikekeys.h"

static void use_key(const struct xw_ike_key *k)
{
	uint8_t secret[XW_IKE_KEY_MAX], keyid[XW_KEYID_LEN], si[XW_IKE_SPI_LEN], sr[XW_IKE_SPI_LEN];
	char str[XW_IKE_SPIS_STRLEN];
	size_t len;

	FUZZ_ASSERT(k->key_len >= 1 && k->key_len <= XW_IKE_KEY_MAX);
	FUZZ_ASSERT(xw_ike_shared_secret(k, secret, sizeof(secret), &len) == 0);
	FUZZ_ASSERT(len == k->key_len && !memcmp(secret, k->key, len));
	xw_ike_keyid_put(keyid, k->spi_i, k->spi_r);
	xw_ike_keyid_get(keyid, si, sr);
	FUZZ_ASSERT(!memcmp(si, k->spi_i, sizeof(si)) && !memcmp(sr, k->spi_r, sizeof(sr)));
	xw_ike_spis_str(si, sr, str, sizeof(str));
	FUZZ_ASSERT(strlen(str) == XW_IKE_SPIS_STRLEN - 1);
}

static void by_peer4(struct xw_ike_table *t, const char *a)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct xw_ike_key k;

	inet_pton(AF_INET, a, &sin.sin_addr);
	if (xw_ike_table_by_peer(t, (struct sockaddr *)&sin, sizeof(sin), &k) == 0)
		use_key(&k);
}

static void by_peer6(struct xw_ike_table *t, const char *a)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	struct xw_ike_key k;

	inet_pton(AF_INET6, a, &sin6.sin6_addr);
	if (xw_ike_table_by_peer(t, (struct sockaddr *)&sin6, sizeof(sin6), &k) == 0)
		use_key(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xw_ike_table *t = NULL;
	uint8_t si[XW_IKE_SPI_LEN] = {0}, sr[XW_IKE_SPI_LEN] = {0};
	struct xw_ike_key k;
	unsigned int bad = 0;
	int err;

	fuzz_reset();
	err = xw_ike_table_parse((const char *)data, size, "fuzz", &t, &bad);
	if (err) {
		FUZZ_ASSERT(err == -ENOMEM);
		return 0;
	}
	FUZZ_ASSERT(t != NULL);

	if (size >= 33) {
		xw_unhex((const char *)data, 16, si, sizeof(si));
		xw_unhex((const char *)data + 17, 16, sr, sizeof(sr));
	}
	if (xw_ike_table_by_spi(t, si, sr, &k) == 0) {
		use_key(&k);
		FUZZ_ASSERT(!memcmp(k.spi_i, si, sizeof(si)) && !memcmp(k.spi_r, sr, sizeof(sr)));
	}
	by_peer4(t, "192.0.2.2");
	by_peer6(t, "2001:db8::2");
	by_peer6(t, "::ffff:192.0.2.2");
	xw_ike_table_free(t);
	return 0;
}
