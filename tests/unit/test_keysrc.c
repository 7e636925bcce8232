// SPDX-License-Identifier: GPL-2.0-only
/*
 * Key sources behind one interface (control/keysrc.h): the one decision
 * which class of key a Mode needs, the ordered list asked per class (a
 * passphrase KeyID never reaches an RFC 7717 source and SPIs never reach
 * the key file), failures that do not hide a later source's answer, the
 * Accept codes of the server's key step, the client's look-ups, reload,
 * and keys wiped on every path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "ikekeys.h"
#include "keysrc.h"
#include "log.h"

__attribute__((constructor)) static void log_setup(void)
{
	t_log_capture();
}

/* "alice" = "correct horse battery", "bob" = 01 02 03 */
#define PFS "alice 636f727265637420686f72736520626174746572790a\nbob 010203\n"
#define IKE_TABLE                                                                      \
	"1111111111111111 2222222222222222 "                                           \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff 192.0.2.2\n" \
	"3333333333333333 4444444444444444 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\n"

static char dir[64];

static const char *put(const char *name, const char *text)
{
	static char p[128], tmp[140];
	int fd;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/xw-keysrc-XXXXXX");
		if (!mkdtemp(dir))
			return NULL;
	}
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return NULL;
	}
	close(fd);
	return rename(tmp, p) ? NULL : p;
}

static void keyid_of(uint8_t keyid[XW_KEYID_LEN], const char *name)
{
	memset(keyid, 0, XW_KEYID_LEN);
	memcpy(keyid, name, strlen(name));
}

static void keyid_spis(uint8_t keyid[XW_KEYID_LEN], uint8_t i, uint8_t r)
{
	uint8_t si[8], sr[8];

	memset(si, i, 8);
	memset(sr, r, 8);
	xw_ike_keyid_put(keyid, si, sr);
}

/* The passphrase file, then the RFC 7717 table. */
static int both(struct xw_keysrcs *l)
{
	struct xw_ike_source ike;
	struct xw_keysrc s;
	const char *p;

	memset(l, 0, sizeof(*l));
	p = put("keys.pfs", PFS);
	if (!p || xw_keysrc_keyfile(p, &s) || xw_keysrcs_add(l, &s))
		return -1;
	p = put("ike.keys", IKE_TABLE);
	if (!p || xw_ike_table_source(p, &ike) || xw_keysrc_ike(&ike, &s) || xw_keysrcs_add(l, &s))
		return -1;
	return 0;
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

TEST(class_of_mode)
{
	CHECK_EQ(xw_keyclass_of(XW_MODE_OPEN, false), XW_KEYCLASS_PASSPHRASE);
	CHECK_EQ(xw_keyclass_of(XW_MODE_AUTH, false), XW_KEYCLASS_PASSPHRASE);
	CHECK_EQ(xw_keyclass_of(XW_MODE_ENCRYPTED, false), XW_KEYCLASS_PASSPHRASE);
	CHECK_EQ(xw_keyclass_of(XW_MODE_AUTH | XW_MODE_IKEV2_DERIV, false), XW_KEYCLASS_IKE);
	CHECK_EQ(xw_keyclass_of(XW_MODE_ENCRYPTED | XW_MODE_IKEV2_DERIV, false), XW_KEYCLASS_IKE);
}

TEST(server_by_class)
{
	struct xw_keysrcs l;
	uint8_t keyid[XW_KEYID_LEN], want[64];
	struct xw_key k;

	CHECK_EQ(both(&l), 0);
	CHECK(xw_keysrcs_have(&l, XW_KEYCLASS_PASSPHRASE));
	CHECK(xw_keysrcs_have(&l, XW_KEYCLASS_IKE));

	/* passphrase KeyID: the key file's secret */
	keyid_of(keyid, "alice");
	CHECK_EQ(xw_keysrcs_server(&l, "c1", xw_keyclass_of(XW_MODE_AUTH, false), keyid, &k),
		 XW_ACCEPT_OK);
	CHECK_EQ(k.len, 22);
	CHECK_MEM(k.secret, "correct horse battery\n", 22);
	CHECK_MEM(k.keyid, keyid, XW_KEYID_LEN);
	/* unknown KeyID: Accept 1, the key wiped */
	keyid_of(keyid, "carol");
	memset(&k, 0x5a, sizeof(k));
	CHECK_EQ(xw_keysrcs_server(&l, "c1", xw_keyclass_of(XW_MODE_AUTH, false), keyid, &k),
		 XW_ACCEPT_FAILURE);
	CHECK(all_zero(&k, sizeof(k)));
	/* a passphrase KeyID with IKEv2Derived: read as SPIs, never the key file's (Accept 6) */
	keyid_of(keyid, "alice");
	t_log_reset();
	CHECK_EQ(xw_keysrcs_server(&l, "c1",
				   xw_keyclass_of(XW_MODE_AUTH | XW_MODE_IKEV2_DERIV, false), keyid,
				   &k),
		 XW_ACCEPT_NO_IKE_SA);
	CHECK(t_logged("control c1: no IKE SA with SPIi 616c696365000000 SPIr 0000000000000000"));
	CHECK(all_zero(&k, sizeof(k)));

	/* SPIs of the table: the key as the shared secret (RFC 7717 5.1, decision 1) */
	keyid_spis(keyid, 0x33, 0x44);
	CHECK_EQ(xw_keysrcs_server(&l, "c2",
				   xw_keyclass_of(XW_MODE_ENCRYPTED | XW_MODE_IKEV2_DERIV, false),
				   keyid, &k),
		 XW_ACCEPT_OK);
	CHECK_EQ(k.len, t_unhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", want, sizeof(want)));
	CHECK_MEM(k.secret, want, k.len);
	/* the same KeyID without IKEv2Derived: a passphrase name nobody has */
	CHECK_EQ(xw_keysrcs_server(&l, "c2", xw_keyclass_of(XW_MODE_ENCRYPTED, false), keyid, &k),
		 XW_ACCEPT_FAILURE);
	xw_keysrcs_free(&l);
	CHECK_EQ(l.n, 0);
	/* no sources at all */
	CHECK_EQ(xw_keysrcs_server(NULL, "c3", xw_keyclass_of(XW_MODE_AUTH, false), keyid, &k),
		 XW_ACCEPT_FAILURE);
	CHECK_EQ(xw_keysrcs_server(NULL, "c3",
				   xw_keyclass_of(XW_MODE_AUTH | XW_MODE_IKEV2_DERIV, false), keyid,
				   &k),
		 XW_ACCEPT_NO_IKE_SA);
}

TEST(client_by_class)
{
	struct xw_keysrcs l;
	uint8_t keyid[XW_KEYID_LEN], want_id[XW_KEYID_LEN], want[64];
	struct sockaddr_in peer = {.sin_family = AF_INET};
	struct xw_keyreq req = {
		.cls = XW_KEYCLASS_IKE, .peer = (struct sockaddr *)&peer, .peer_len = sizeof(peer)};
	struct xw_key k;

	CHECK_EQ(both(&l), 0);
	/* the line naming the peer wins over the one without */
	inet_pton(AF_INET, "192.0.2.2", &peer.sin_addr);
	CHECK_EQ(xw_keysrcs_client(&l, &req, &k), 0);
	keyid_spis(want_id, 0x11, 0x22);
	CHECK_MEM(k.keyid, want_id, XW_KEYID_LEN);
	CHECK_EQ(k.len, t_unhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
				want, sizeof(want)));
	CHECK_MEM(k.secret, want, k.len);
	/* passphrase by KeyID; a KeyID the file lacks is -ENOENT with nothing left behind */
	req = (struct xw_keyreq){.cls = XW_KEYCLASS_PASSPHRASE, .keyid = keyid};
	keyid_of(keyid, "bob");
	CHECK_EQ(xw_keysrcs_client(&l, &req, &k), 0);
	CHECK_EQ(k.len, 3);
	CHECK_MEM(k.secret, "\x01\x02\x03", 3);
	keyid_of(keyid, "dave");
	CHECK_EQ(xw_keysrcs_client(&l, &req, &k), -ENOENT);
	CHECK(all_zero(&k, sizeof(k)));
	xw_keysrcs_free(&l);
}

/* ---- order, failures, ownership --------------------------------------------- */

struct fake {
	int rc;
	uint8_t tag;
	int calls, freed;
};

static int fake_get(void *ctx, const struct xw_keyreq *req, struct xw_key *out)
{
	struct fake *f = ctx;

	(void)req;
	f->calls++;
	memset(out, f->tag, sizeof(*out)); /* garbage a failing source may leave */
	if (f->rc)
		return f->rc;
	out->len = 4;
	return 0;
}

static void fake_free(void *ctx)
{
	((struct fake *)ctx)->freed++;
}

static const struct xw_keysrc_ops FAKE_IKE = {
	.kind = "fake",
	.classes = XW_KEYCLASS_BIT(XW_KEYCLASS_IKE),
	.server = fake_get,
	.free = fake_free,
};

TEST(order_and_failures)
{
	struct fake a = {.rc = -EIO, .tag = 0xaa}, b = {.tag = 0xbb};
	struct xw_keysrcs l = {0};
	struct xw_keysrc s;
	uint8_t keyid[XW_KEYID_LEN];
	struct xw_key k;

	s = (struct xw_keysrc){&FAKE_IKE, &a, "a"};
	CHECK_EQ(xw_keysrcs_add(&l, &s), 0);
	s = (struct xw_keysrc){&FAKE_IKE, &b, "b"};
	CHECK_EQ(xw_keysrcs_add(&l, &s), 0);
	keyid_spis(keyid, 1, 2);
	/* a failing first source does not hide the second one's answer */
	CHECK_EQ(xw_keysrcs_server(&l, "x",
				   xw_keyclass_of(XW_MODE_AUTH | XW_MODE_IKEV2_DERIV, false), keyid,
				   &k),
		 0);
	CHECK_EQ(k.secret[0], 0xbb);
	CHECK_EQ(a.calls, 1);
	/* nobody has it: the real error wins over -ENOENT (Accept 2, not 6), key wiped */
	b.rc = -ENOENT;
	CHECK_EQ(xw_keysrcs_server(&l, "x",
				   xw_keyclass_of(XW_MODE_AUTH | XW_MODE_IKEV2_DERIV, false), keyid,
				   &k),
		 -EIO);
	CHECK(all_zero(&k, sizeof(k)));
	a.rc = -ENOENT;
	CHECK_EQ(xw_keysrcs_server(&l, "x",
				   xw_keyclass_of(XW_MODE_AUTH | XW_MODE_IKEV2_DERIV, false), keyid,
				   &k),
		 XW_ACCEPT_NO_IKE_SA);
	/* class IKE only: a passphrase Mode never calls them; no client op: skipped */
	a.calls = b.calls = 0;
	CHECK_EQ(xw_keysrcs_server(&l, "x", xw_keyclass_of(XW_MODE_AUTH, false), keyid, &k),
		 XW_ACCEPT_FAILURE);
	CHECK_EQ(xw_keysrcs_client(&l, &(struct xw_keyreq){.cls = XW_KEYCLASS_IKE}, &k), -ENOENT);
	CHECK_EQ(a.calls + b.calls, 0);
	/* a full list refuses and frees what it was given */
	while (l.n < XW_KEYSRCS_MAX) {
		s = (struct xw_keysrc){&FAKE_IKE, &b, "b"};
		CHECK_EQ(xw_keysrcs_add(&l, &s), 0);
	}
	s = (struct xw_keysrc){&FAKE_IKE, &a, "a"};
	CHECK_EQ(xw_keysrcs_add(&l, &s), -ENOSPC);
	CHECK_EQ(a.freed, 1);
	xw_keysrcs_free(&l);
	CHECK_EQ(a.freed, 2);
	CHECK_EQ(b.freed, XW_KEYSRCS_MAX - 1);
}

TEST(keyfile_reload)
{
	struct xw_keysrcs l = {0};
	uint8_t keyid[XW_KEYID_LEN];
	struct xw_keysrc s;
	const char *p;
	struct xw_key k;

	p = put("reload.pfs", "alice 01\n");
	CHECK(p);
	CHECK_EQ(xw_keysrc_keyfile(p, &s), 0);
	CHECK_EQ(xw_keysrcs_add(&l, &s), 0);
	keyid_of(keyid, "alice");
	CHECK_EQ(xw_keysrcs_server(&l, "x", xw_keyclass_of(XW_MODE_AUTH, false), keyid, &k), 0);
	CHECK_EQ(k.secret[0], 1);
	CHECK(put("reload.pfs", "alice 02\n"));
	CHECK_EQ(xw_keysrcs_reload(&l), 0);
	CHECK_EQ(xw_keysrcs_server(&l, "x", xw_keyclass_of(XW_MODE_AUTH, false), keyid, &k), 0);
	CHECK_EQ(k.secret[0], 2);
	/* a file that no longer loads: the old keys stay, logged */
	CHECK(put("reload.pfs", "alice zz\n"));
	t_log_reset();
	CHECK(xw_keysrcs_reload(&l) < 0);
	CHECK(t_logged("cannot reload"));
	CHECK_EQ(xw_keysrcs_server(&l, "x", xw_keyclass_of(XW_MODE_AUTH, false), keyid, &k), 0);
	CHECK_EQ(k.secret[0], 2);
	xw_keysrcs_free(&l);
	xw_key_wipe(&k);
}
