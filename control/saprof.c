// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IPsec SA profile (contract in saprof.h).  Every decision the 2013
 * draft (draft-ippm-ipsec, the first version of what became RFC 7717)
 * leaves open is made here, each marked "DECISION", so that it can change
 * in one place; README "IPsec SA profile" lists them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "ikekeys.h"
#include "saprof.h"

static void put32(uint8_t *b, uint32_t v);
static uint32_t get32(const uint8_t *b);

enum xw_sa_variant xw_sa_variant_by_name(const char *name)
{
	if (!strcasecmp(name, "keymat"))
		return XW_SA_KEYMAT;
	if (!strcasecmp(name, "alt1"))
		return XW_SA_ALT1;
	if (!strcasecmp(name, "alt2"))
		return XW_SA_ALT2;
	return XW_SA_NONE;
}

const char *xw_sa_variant_name(enum xw_sa_variant v)
{
	switch (v) {
	case XW_SA_KEYMAT:
		return "keymat";
	case XW_SA_ALT1:
		return "alt1";
	case XW_SA_ALT2:
		return "alt2";
	default:
		return "none";
	}
}

int xw_sa_root_by_name(const char *name)
{
	if (!strcasecmp(name, "ipsec"))
		return XW_SA_ROOT_IPSEC;
	if (!strcasecmp(name, "ike"))
		return XW_SA_ROOT_IKE;
	return -1;
}

int xw_sa_root_opt(const char *name, enum xw_sa_variant v, bool from_charon, enum xw_sa_root *root,
		   const char **why)
{
	int r = name ? xw_sa_root_by_name(name) : XW_SA_ROOT_IPSEC;

	if (r < 0) {
		*why = "--sa-root takes ipsec or ike";
		return -EINVAL;
	}
	/* draft 4.2.2 has no root; SKEYSEED lives in the IKE daemon only */
	if (r == XW_SA_ROOT_IKE && (!from_charon || v == XW_SA_ALT2)) {
		*why = "--sa-root ike needs --sa-socket (only charon knows SKEYSEED) and keymat "
		       "or alt1";
		return -EINVAL;
	}
	*root = (enum xw_sa_root)r;
	return 0;
}

const char *xw_sa_root_name(enum xw_sa_root r)
{
	return r == XW_SA_ROOT_IKE ? "ike" : "ipsec";
}

void xw_sa_pair_wipe(struct xw_sa_pair *p)
{
	xw_wipe(p, sizeof(*p));
}

static int sa_usable(enum xw_sa_variant v, const struct xw_sa_key *k, const char **why)
{
	if (k->proto != IPPROTO_ESP && k->proto != IPPROTO_AH) {
		*why = "not an ESP or AH SA";
		return -EOPNOTSUPP;
	}
	/* DECISION (4.1): encryption-only ESP is prohibited, not "distinguished" */
	if (k->proto == IPPROTO_ESP && !k->aead && !k->integ_len) {
		*why = "encryption-only ESP SA (no integrity key; draft 4.1)";
		return -EOPNOTSUPP;
	}
	if (k->proto == IPPROTO_AH && !k->integ_len) {
		*why = "AH SA without a key";
		return -EOPNOTSUPP;
	}
	if (v != XW_SA_ALT2)
		return 0;
	/*
	 * DECISION (4.2.2): Alternative 2 needs a separate encryption key and
	 * integrity key.  An AEAD SA (AES-GCM) has one key for both and AH has
	 * no encryption key: both are refused, use KEYMAT or Alternative 1,
	 * whose keys come through the PRF.
	 */
	if (k->aead) {
		*why = "AEAD SA (no separate integrity key) with Alternative 2";
		return -EOPNOTSUPP;
	}
	if (k->proto == IPPROTO_AH) {
		*why = "AH SA (no encryption key) with Alternative 2";
		return -EOPNOTSUPP;
	}
	if (k->enc_len < XW_AES_KEY_LEN) {
		*why = "encryption key shorter than AES-128 with Alternative 2";
		return -EOPNOTSUPP;
	}
	return 0;
}

int xw_sa_usable(enum xw_sa_variant v, const struct xw_sa_pair *p, const char **why)
{
	int rc = sa_usable(v, &p->c2s, why);

	if (!rc)
		rc = sa_usable(v, &p->s2c, why);
	if (!rc && p->c2s.proto != p->s2c.proto) {
		*why = "the two SAs of the pair use different protocols";
		rc = -EOPNOTSUPP;
	}
	return rc;
}

static size_t put_key(uint8_t *out, size_t at, const uint8_t *k, size_t n)
{
	memcpy(out + at, k, n);
	return at + n;
}

int xw_sa_keymat(const struct xw_sa_pair *p, uint8_t out[XW_SA_KEYMAT_MAX], size_t *len)
{
	const char *why;
	size_t n = 0;
	int rc = xw_sa_usable(XW_SA_KEYMAT, p, &why);

	if (rc)
		return rc;
	if (p->c2s.enc_len > XW_SA_KEY_MAX || p->c2s.integ_len > XW_SA_KEY_MAX ||
	    p->s2c.enc_len > XW_SA_KEY_MAX || p->s2c.integ_len > XW_SA_KEY_MAX)
		return -ENOSPC;
	/*
	 * RFC 7296 2.17: "all keys for SAs carrying data from the initiator to
	 * the responder are taken before SAs going from the responder to the
	 * initiator"; encryption key before integrity key.  An AEAD SA's
	 * "encryption key" is key || salt, as the kernel holds it (RFC 4106 8.1).
	 * DECISION (4.1): the initiator is the Control-Client (saprof.h).
	 */
	n = put_key(out, n, p->c2s.enc, p->c2s.enc_len);
	n = put_key(out, n, p->c2s.integ, p->c2s.integ_len);
	n = put_key(out, n, p->s2c.enc, p->s2c.enc_len);
	n = put_key(out, n, p->s2c.integ, p->s2c.integ_len);
	*len = n;
	return 0;
}

int xw_sa_prf(const uint8_t *key, size_t key_len, const char *label, uint8_t out[XW_SA_PRF_LEN])
{
	size_t n;

	/* DECISION (4.1, 4.2.1 "PRF"): HMAC-SHA2-256 (RFC 4868), labels as ASCII without NUL */
	return xw_ike_prf(XW_IKE_PRF_HMAC_SHA2_256, key, key_len, label, strlen(label), out,
			  XW_SA_PRF_LEN, &n);
}

int xw_sa_alt1_keys(const uint8_t *root, size_t root_len, struct xw_session_keys *keys)
{
	uint8_t t[XW_SA_PRF_LEN];
	int rc;

	/*
	 * 4.2.1: enc = PRF(root, "O/TWAMP enc"), auth = PRF(root, "O/TWAMP auth").
	 * DECISION: the AES-128 key (RFC 4656 3.1) is the first 16 octets of
	 * the first, the HMAC key (32 octets, RFC 4656 3.1) all 32 of the
	 * second; control and every test session use these same two keys (the
	 * draft's point: no per-session derivation, RFC 4656 4.1.2 not applied).
	 */
	rc = xw_sa_prf(root, root_len, "O/TWAMP enc", t);
	if (!rc)
		memcpy(keys->aes, t, XW_AES_KEY_LEN);
	if (!rc)
		rc = xw_sa_prf(root, root_len, "O/TWAMP auth", t);
	if (!rc)
		memcpy(keys->hmac, t, XW_HMAC_KEY_LEN);
	xw_wipe(t, sizeof(t));
	if (rc)
		xw_wipe(keys, sizeof(*keys));
	return rc;
}

int xw_sa_alt1_token(const struct xw_session_keys *keys, const uint8_t challenge[16],
		     uint8_t token[16])
{
	struct xw_aes *aes;
	int rc;

	/*
	 * DECISION (4.2.1 "Enc_root-key"): the root key (KEYMAT, up to 256
	 * octets) is no AES key; the Token is the Challenge encrypted with
	 * AES-128-ECB (one block) under the enc session key, the AES key the
	 * profile derives from the root: it proves possession of the root
	 * without a third derivation.
	 */
	aes = xw_aes_new(keys->aes);
	if (!aes)
		return -ENOMEM;
	rc = xw_aes_ecb_encrypt(aes, challenge, token, 16);
	xw_aes_free(aes);
	return rc;
}

int xw_sa_alt1_token_check(const struct xw_session_keys *keys, const uint8_t challenge[16],
			   const uint8_t token[16])
{
	uint8_t want[16];
	int rc = xw_sa_alt1_token(keys, challenge, want);

	if (!rc && !xw_ct_equal(want, token, sizeof(want)))
		rc = -EACCES;
	xw_wipe(want, sizeof(want));
	return rc;
}

int xw_sa_alt2_keys(const struct xw_sa_pair *p, struct xw_session_keys *keys)
{
	const char *why;
	int rc = xw_sa_usable(XW_SA_ALT2, p, &why);

	if (rc)
		return rc;
	/*
	 * DECISIONS (4.2.2): O/TWAMP uses one key pair for both directions; it
	 * is that of the client -> server SA (SPIi).  AES-128 (RFC 4656): the
	 * first 16 octets of its encryption key (an AES-256 key is cut).  The
	 * HMAC key: the integrity key zero-padded to 32 octets when shorter
	 * (HMAC pads short keys with zeros itself, RFC 2104 2, so this is the
	 * SA's key exactly), its first 32 octets when longer (HMAC-SHA2-384/512).
	 */
	memset(keys, 0, sizeof(*keys));
	memcpy(keys->aes, p->c2s.enc, XW_AES_KEY_LEN);
	memcpy(keys->hmac, p->c2s.integ,
	       p->c2s.integ_len < XW_HMAC_KEY_LEN ? p->c2s.integ_len : XW_HMAC_KEY_LEN);
	return 0;
}

int xw_sa_pair_to_secret(const struct xw_sa_pair *p, uint8_t *secret, size_t cap, size_t *len)
{
	if (cap < sizeof(*p))
		return -ENOSPC;
	memcpy(secret, p, sizeof(*p));
	*len = sizeof(*p);
	return 0;
}

int xw_sa_pair_from_secret(const uint8_t *secret, size_t len, struct xw_sa_pair *p)
{
	if (len != sizeof(*p))
		return -EINVAL;
	memcpy(p, secret, sizeof(*p));
	if (p->c2s.enc_len > XW_SA_KEY_MAX || p->c2s.integ_len > XW_SA_KEY_MAX ||
	    p->s2c.enc_len > XW_SA_KEY_MAX || p->s2c.integ_len > XW_SA_KEY_MAX ||
	    p->skeyseed_len > XW_SA_KEY_MAX) {
		xw_sa_pair_wipe(p);
		return -EINVAL;
	}
	return 0;
}

void xw_sa_keyid_put(uint8_t keyid[XW_KEYID_LEN], uint32_t proto, uint32_t spi_i, uint32_t spi_r)
{
	memset(keyid, 0, XW_KEYID_LEN);
	put32(keyid, proto);
	put32(keyid + 4, spi_i);
	put32(keyid + 8, spi_r);
}

void xw_sa_keyid_get(const uint8_t keyid[XW_KEYID_LEN], uint32_t *proto, uint32_t *spi_i,
		     uint32_t *spi_r)
{
	*proto = get32(keyid);
	*spi_i = get32(keyid + 4);
	*spi_r = get32(keyid + 8);
}

/*
 * The root octets of the pair (KEYMAT's shared secret, Alternative 1's root
 * key) into km.  0 or -errno.
 */
static int sa_root(enum xw_sa_root root, const struct xw_sa_pair *p, uint8_t km[XW_SA_KEYMAT_MAX],
		   size_t *n)
{
	const char *why;
	int rc;

	if (root == XW_SA_ROOT_IPSEC)
		return xw_sa_keymat(p, km, n);
	/*
	 * DECISION (4.1 "this SKEYSEED can be used as the O/TWAMP shared secret
	 * key directly", 4.2.1 "the root key of O/TWAMP is equal to SKEYSEED"):
	 * the SKEYSEED of the IKE SA that the Child SA pair named in the
	 * greeting belongs to NOW (after an IKE rekey the new IKE SA's, RFC 7296
	 * 2.18: prf(SK_d(old), g^ir | Ni | Nr)), as its octets.  The pair must
	 * still be one the variant may use (4.1: no encryption-only SA): the
	 * greeting names it and IPsec protects the connection with it.
	 */
	rc = xw_sa_usable(XW_SA_KEYMAT, p, &why);
	if (rc)
		return rc;
	if (!p->skeyseed_len || p->skeyseed_len > XW_SA_KEY_MAX)
		return -ENOKEY;
	memcpy(km, p->skeyseed, p->skeyseed_len);
	*n = p->skeyseed_len;
	return 0;
}

int xw_sa_derive(enum xw_sa_variant v, enum xw_sa_root root, const struct xw_sa_pair *p,
		 uint8_t *secret, size_t cap, size_t *len, struct xw_session_keys *keys)
{
	uint8_t km[XW_SA_KEYMAT_MAX];
	size_t n = 0;
	int rc;

	switch (v) {
	case XW_SA_KEYMAT:
		/* 4.1: "the shared secret key can be equal to KEYMAT" (or SKEYSEED) */
		rc = sa_root(root, p, km, &n);
		if (!rc && n > cap)
			rc = -ENOSPC;
		if (!rc) {
			memcpy(secret, km, n);
			*len = n;
		}
		break;
	case XW_SA_ALT1:
		/* 4.2.1: the root key is KEYMAT (the IPsec SA's) or SKEYSEED (the IKE SA's) */
		rc = sa_root(root, p, km, &n);
		if (!rc)
			rc = xw_sa_alt1_keys(km, n, keys);
		break;
	case XW_SA_ALT2:
		/* 4.2.2: the SA's own keys; there is no root to choose */
		rc = root == XW_SA_ROOT_IPSEC ? xw_sa_alt2_keys(p, keys) : -EINVAL;
		break;
	default:
		rc = -EINVAL;
	}
	xw_wipe(km, sizeof(km));
	return rc;
}

bool xw_sa_test_keys_shared(enum xw_sa_variant v)
{
	return v == XW_SA_ALT1 || v == XW_SA_ALT2;
}

/* ---- wire layouts ---------------------------------------------------------- */

static void put32(uint8_t *b, uint32_t v)
{
	v = htonl(v);
	memcpy(b, &v, 4);
}

static uint32_t get32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return ntohl(v);
}

size_t xw_sa_greeting_len(enum xw_sa_variant v)
{
	switch (v) {
	case XW_SA_KEYMAT:
		return 64; /* Figure 2: RFC 4656 3.1's 64 octets */
	case XW_SA_ALT1:
		return 44; /* Figure 3 */
	case XW_SA_ALT2:
		return 28; /* Figure 5 */
	default:
		return 0;
	}
}

size_t xw_sa_greeting_put(enum xw_sa_variant v, const struct xw_sa_greeting *g, uint8_t *buf)
{
	size_t n = xw_sa_greeting_len(v);

	if (!n)
		return 0;
	memset(buf, 0, n); /* MBZ */
	/* DECISION (Figure 2): Protocol is the IP protocol number in 4 octets, SPIs 4 each */
	put32(buf, g->proto);
	put32(buf + 4, g->spi_i);
	put32(buf + 8, g->spi_r);
	put32(buf + 12, g->modes);
	if (v == XW_SA_ALT2)
		return n;
	memcpy(buf + 16, g->challenge, 16);
	if (v == XW_SA_KEYMAT) {
		memcpy(buf + 32, g->salt, 16);
		put32(buf + 48, g->count);
	}
	return n;
}

int xw_sa_greeting_get(enum xw_sa_variant v, const uint8_t *buf, size_t len,
		       struct xw_sa_greeting *g)
{
	if (!xw_sa_greeting_len(v) || len != xw_sa_greeting_len(v))
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->proto = get32(buf);
	g->spi_i = get32(buf + 4);
	g->spi_r = get32(buf + 8);
	g->modes = get32(buf + 12);
	if (v != XW_SA_ALT2)
		memcpy(g->challenge, buf + 16, 16);
	if (v == XW_SA_KEYMAT) {
		memcpy(g->salt, buf + 32, 16);
		g->count = get32(buf + 48);
	}
	return 0; /* MBZ is not checked: RFC 4656 3.1, ignored by the receiver */
}

int xw_sa_greeting_check(const struct xw_sa_greeting *g, const struct xw_sa_pair *p,
			 const char **why)
{
	if (g->proto != p->c2s.proto) {
		*why = "Protocol differs from our SA's";
		return -EPERM;
	}
	if (g->spi_i != p->c2s.spi) {
		*why = "SPIi is not the SPI of our SA to the server";
		return -EPERM;
	}
	if (g->spi_r != p->s2c.spi) {
		*why = "SPIr is not the SPI of our SA from the server";
		return -EPERM;
	}
	return 0;
}

size_t xw_sa_setup_len(enum xw_sa_variant v)
{
	/*
	 * DECISION (Figures 4, 6): the draft writes "Client-IV (12 octets)";
	 * AES-CBC (RFC 4656 3.1) needs 16, and the Client-IV is 16 octets in
	 * RFC 4656: xwamp sends 16.
	 */
	switch (v) {
	case XW_SA_ALT1:
		return 4 + 16 + 16;
	case XW_SA_ALT2:
		return 4 + 16;
	default:
		return 0;
	}
}

size_t xw_sa_setup_put(enum xw_sa_variant v, const struct xw_sa_setup *s, uint8_t *buf)
{
	size_t n = xw_sa_setup_len(v);

	if (!n)
		return 0;
	put32(buf, s->mode);
	if (v == XW_SA_ALT1) {
		memcpy(buf + 4, s->token, 16);
		memcpy(buf + 20, s->client_iv, 16);
	} else {
		memcpy(buf + 4, s->client_iv, 16);
	}
	return n;
}

int xw_sa_setup_get(enum xw_sa_variant v, const uint8_t *buf, size_t len, struct xw_sa_setup *s)
{
	if (!xw_sa_setup_len(v) || len != xw_sa_setup_len(v))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->mode = get32(buf);
	if (v == XW_SA_ALT1) {
		memcpy(s->token, buf + 4, 16);
		memcpy(s->client_iv, buf + 20, 16);
	} else {
		memcpy(s->client_iv, buf + 4, 16);
	}
	return 0;
}
