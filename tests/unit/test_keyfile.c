// SPDX-License-Identifier: GPL-2.0-only
/*
 * control/keyfile.c: the pfs format as perfSONAR's pfstore writes it, the
 * accepted variations (comments, blank lines, CRLF, either hex case), every
 * rejection with the file:line it logs, lookup by the zero-padded 80-octet
 * KeyID, the permission warning, and the end-to-end proof that the secret
 * loaded from a pfs line opens the Token of the perfSONAR capture.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "keyfile.h"
#include "log.h"
#include "pcap.h"
#include "t.h"

#define PFS_ALICE  "alice\t636f727265637420686f7273652062617474657279\n"
#define PASSPHRASE "correct horse battery"

static int parse(const char *text, struct xw_keyfile **kf)
{
	return xw_keyfile_parse(text, strlen(text), "keys.pfs", kf);
}

static int lookup_name(const struct xw_keyfile *kf, const char *name, const uint8_t **s, size_t *n)
{
	uint8_t keyid[XW_KEYID_LEN];
	int err = xw_keyid_pad(name, keyid);

	return err ? err : xw_keyfile_lookup(kf, keyid, s, n);
}

TEST(reference_pfs_line)
{
	struct xw_keyfile *kf = NULL;
	const uint8_t *s;
	size_t n;

	t_log_capture();
	CHECK_EQ(parse(PFS_ALICE, &kf), 0);
	CHECK(kf);
	CHECK_EQ(xw_keyfile_count(kf), 1);
	CHECK_EQ(lookup_name(kf, "alice", &s, &n), 0);
	CHECK_EQ(n, strlen(PASSPHRASE));
	CHECK_MEM(s, PASSPHRASE, n);
	CHECK_EQ(lookup_name(kf, "alic", &s, &n), -ENOENT);
	CHECK_EQ(lookup_name(kf, "alice2", &s, &n), -ENOENT);
	CHECK_EQ(t_log_count(XW_LOG_ERR) + t_log_count(XW_LOG_WARN), 0);
	xw_keyfile_free(kf);
	xw_keyfile_free(NULL);
}

TEST(variations_accepted)
{
	static const char text[] = "# xwamp keys\r\n"
				   "\n"
				   "   \t\n"
				   "  # indented comment\n"
				   "bob   00FFaa10\r\n"
				   "carol\t\t41 # trailing comment\n"
				   "d\xc3\xa9j\xc3\xa0-vu 4142\n" /* UTF-8 KeyID */
				   "alice\t636f727265637420686f7273652062617474657279";
	struct xw_keyfile *kf = NULL;
	const uint8_t *s;
	size_t n;

	t_log_capture();
	CHECK_EQ(parse(text, &kf), 0);
	CHECK_EQ(xw_keyfile_count(kf), 4);
	CHECK_EQ(lookup_name(kf, "bob", &s, &n), 0);
	CHECK_EQ(n, 4);
	CHECK_MEM(s, "\x00\xff\xaa\x10", 4);
	CHECK_EQ(lookup_name(kf, "carol", &s, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(s[0], 'A');
	CHECK_EQ(lookup_name(kf, "d\xc3\xa9j\xc3\xa0-vu", &s, &n), 0);
	CHECK_MEM(s, "AB", 2);
	/* last line without '\n' */
	CHECK_EQ(lookup_name(kf, "alice", &s, &n), 0);
	CHECK_MEM(s, PASSPHRASE, n);
	CHECK_EQ(t_log_count(XW_LOG_ERR), 0);
	xw_keyfile_free(kf);
}

TEST(lookup_wants_the_padded_field)
{
	struct xw_keyfile *kf = NULL;
	uint8_t keyid[XW_KEYID_LEN] = {0};
	const uint8_t *s = NULL;
	size_t n = 0;

	CHECK_EQ(parse(PFS_ALICE, &kf), 0);
	/* all zero (the open-mode field) */
	CHECK_EQ(xw_keyfile_lookup(kf, keyid, &s, &n), -ENOENT);
	/* "alice" then garbage instead of zero padding */
	memcpy(keyid, "alice", 5);
	keyid[79] = 'x';
	CHECK_EQ(xw_keyfile_lookup(kf, keyid, &s, &n), -ENOENT);
	keyid[79] = 0;
	CHECK_EQ(xw_keyfile_lookup(kf, keyid, &s, &n), 0);
	CHECK_EQ(n, strlen(PASSPHRASE));
	xw_keyfile_free(kf);
}

TEST(keyid_of_80_octets)
{
	char text[200], id[82];
	struct xw_keyfile *kf = NULL;
	uint8_t keyid[XW_KEYID_LEN];
	const uint8_t *s;
	size_t n;

	memset(id, 'k', 80);
	id[80] = '\0';
	snprintf(text, sizeof(text), "%s 01\n", id);
	CHECK_EQ(parse(text, &kf), 0);
	memset(keyid, 'k', sizeof(keyid)); /* fills the field: no padding at all */
	CHECK_EQ(xw_keyfile_lookup(kf, keyid, &s, &n), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(s[0], 1);
	CHECK_EQ(xw_keyid_pad(id, keyid), 0);
	id[80] = 'k';
	id[81] = '\0';
	CHECK_EQ(xw_keyid_pad(id, keyid), -EINVAL);
	CHECK_EQ(xw_keyid_pad("", keyid), -EINVAL);
	xw_keyfile_free(kf);
}

/* Every rejection: -EINVAL, no object, one error line naming file:line. */
static void check_reject_n(const char *text, size_t len, const char *where, const char *what)
{
	struct xw_keyfile *kf = (struct xw_keyfile *)&kf; /* must be reset to NULL */

	t_log_capture();
	CHECK_EQ(xw_keyfile_parse(text, len, "keys.pfs", &kf), -EINVAL);
	CHECK(kf == NULL);
	CHECK_EQ(t_log_count(XW_LOG_ERR), 1);
	if (!strstr(t_log_last(), where) || !strstr(t_log_last(), what))
		t_fail(__FILE__, __LINE__, "log line \"%s\" lacks \"%s\" or \"%s\"", t_log_last(),
		       where, what);
	/* the secret is never echoed */
	CHECK(!strstr(t_log_last(), "636f7272"));
}

static void check_reject(const char *text, const char *where, const char *what)
{
	check_reject_n(text, strlen(text), where, what);
}

TEST(reject_missing_secret)
{
	check_reject(PFS_ALICE "bob\n", "keys.pfs:2:", "no secret");
}

TEST(reject_empty_secret)
{
	check_reject("# c\n" PFS_ALICE "bob \t \n", "keys.pfs:3:", "empty secret");
	check_reject("bob\t# nothing\n", "keys.pfs:1:", "empty secret");
}

TEST(reject_odd_hex)
{
	check_reject(PFS_ALICE "bob 636\n", "keys.pfs:2:", "odd number");
}

TEST(reject_non_hex)
{
	check_reject("bob 636g\n" PFS_ALICE, "keys.pfs:1:", "not hex (column 8)");
	check_reject("bob 0x63\n", "keys.pfs:1:", "not hex");
}

TEST(reject_long_keyid)
{
	char text[200], id[82];

	memset(id, 'k', 81);
	id[81] = '\0';
	snprintf(text, sizeof(text), PFS_ALICE "\n%s 01\n", id);
	check_reject(text, "keys.pfs:3:", "81 octets");
}

TEST(reject_duplicate)
{
	check_reject(PFS_ALICE "bob 01\n" PFS_ALICE, "keys.pfs:3:", "already given on line 1");
}

TEST(reject_trailing_text)
{
	check_reject("alice 6162 6364\n", "keys.pfs:1:", "after the secret");
}

TEST(reject_bad_utf8_and_nul)
{
	check_reject("caf\xe9 01\n", "keys.pfs:1:", "UTF-8");	   /* Latin-1 e-acute */
	check_reject("\xc0\xaf 01\n", "keys.pfs:1:", "UTF-8");	   /* overlong '/' */
	check_reject("\xed\xa0\x80 01\n", "keys.pfs:1:", "UTF-8"); /* surrogate */
	check_reject_n("bo\0b 01\n", 8, "keys.pfs:1:", "NUL");
}

TEST(reject_secret_too_long)
{
	static char text[2 * (XW_KEYFILE_SECRET_MAX + 1) + 16];
	struct xw_keyfile *kf = NULL;
	size_t n;

	memcpy(text, "bob ", 4);
	memset(text + 4, 'a', 2 * XW_KEYFILE_SECRET_MAX);
	text[4 + 2 * XW_KEYFILE_SECRET_MAX] = '\0';
	CHECK_EQ(parse(text, &kf), 0); /* exactly the maximum loads */
	{
		const uint8_t *s;

		CHECK_EQ(lookup_name(kf, "bob", &s, &n), 0);
		CHECK_EQ(n, XW_KEYFILE_SECRET_MAX);
	}
	xw_keyfile_free(kf);
	memcpy(text + 4 + 2 * XW_KEYFILE_SECRET_MAX, "aa\n", 4);
	check_reject(text, "keys.pfs:1:", "513 octets");
}

TEST(empty_file_loads_with_warning)
{
	struct xw_keyfile *kf = NULL;
	const uint8_t *s;
	size_t n;

	t_log_capture();
	CHECK_EQ(parse("# nothing yet\n", &kf), 0);
	CHECK_EQ(xw_keyfile_count(kf), 0);
	CHECK_EQ(t_log_count(XW_LOG_WARN), 1);
	CHECK_EQ(lookup_name(kf, "alice", &s, &n), -ENOENT);
	xw_keyfile_free(kf);
}

static int write_tmp(char *path, const char *text, mode_t mode)
{
	int fd = mkstemp(path);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode)) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

TEST(load_file_and_permissions)
{
	char path[] = "/tmp/xw_test_keyfile_XXXXXX";
	struct xw_keyfile *kf = NULL;
	const uint8_t *s;
	size_t n;
	int err;

	CHECK_EQ(write_tmp(path, "# pfstore output\n" PFS_ALICE, 0600), 0);
	t_log_capture();
	err = xw_keyfile_load(path, &kf);
	if (err)
		unlink(path);
	CHECK_EQ(err, 0);
	CHECK_EQ(t_log_count(XW_LOG_WARN), 0);
	CHECK_EQ(lookup_name(kf, "alice", &s, &n), 0);
	CHECK_MEM(s, PASSPHRASE, n);
	xw_keyfile_free(kf);
	kf = NULL;

	/* group or others let in (any bit): refused, naming file and mode */
	CHECK_EQ(chmod(path, 0644), 0);
	t_log_capture();
	err = xw_keyfile_load(path, &kf);
	CHECK_EQ(err, -EACCES);
	CHECK(kf == NULL);
	CHECK_EQ(t_log_count(XW_LOG_ERR), 1);
	CHECK(strstr(t_log_last(), path) != NULL);
	CHECK(strstr(t_log_last(), "0644") != NULL);
	CHECK(strstr(t_log_last(), "refusing") != NULL);
	CHECK_EQ(chmod(path, 0620), 0);
	t_log_capture();
	CHECK_EQ(xw_keyfile_load(path, &kf), -EACCES);
	CHECK(strstr(t_log_last(), "0620") != NULL);
	CHECK_EQ(chmod(path, 0601), 0);
	CHECK_EQ(xw_keyfile_load(path, &kf), -EACCES);
	CHECK_EQ(chmod(path, 0400), 0); /* owner read-only is fine */
	err = xw_keyfile_load(path, &kf);
	unlink(path);
	CHECK_EQ(err, 0);
	xw_keyfile_free(kf);
	kf = NULL;

	t_log_capture();
	CHECK_EQ(xw_keyfile_load(path, &kf), -ENOENT); /* gone now */
	CHECK(kf == NULL);
	CHECK_EQ(t_log_count(XW_LOG_ERR), 1);
	CHECK_EQ(xw_keyfile_load("/tmp", &kf), -EINVAL); /* a directory */
}

TEST(load_names_the_file_in_errors)
{
	char path[] = "/tmp/xw_test_keyfile_XXXXXX";
	char want[64];
	struct xw_keyfile *kf = NULL;
	int err;

	CHECK_EQ(write_tmp(path, PFS_ALICE "\n\nbob 6\n", 0600), 0);
	t_log_capture();
	err = xw_keyfile_load(path, &kf);
	unlink(path);
	CHECK_EQ(err, -EINVAL);
	CHECK(kf == NULL);
	snprintf(want, sizeof(want), "%s:4:", path);
	CHECK(strstr(t_log_last(), want) != NULL);
}

/* The secret from a pfs line opens the Token that twping sent with it. */
TEST(pfs_secret_opens_perfsonar_token)
{
	struct xw_keyfile *kf = NULL;
	struct xw_session_keys keys;
	struct xw_pcap cap;
	const uint8_t *s, *g, *sur;
	uint8_t kek[XW_AES_KEY_LEN];
	size_t n;

	CHECK_EQ(parse(PFS_ALICE, &kf), 0);
	CHECK_EQ(xw_pcap_open_capture(&cap, "perfsonar-twamp-auth.pcap"), 0);
	g = cap.dir[XW_PCAP_S2C].data;
	sur = cap.dir[XW_PCAP_C2S].data;
	/* the KeyID field of the Set-Up-Response (offset 4) is the lookup key as is */
	CHECK_EQ(xw_keyfile_lookup(kf, sur + 4, &s, &n), 0);
	/* Greeting: Salt at 32, Count at 48; Set-Up-Response: Token at 84 */
	CHECK_EQ(xw_pbkdf2_sha1(s, n, g + 32, 16, xw_pcap_be32(g + 48), kek, sizeof(kek)), 0);
	CHECK_EQ(xw_token_decrypt(kek, g + 16, sur + 84, &keys), 0);
	xw_wipe(kek, sizeof(kek));
	xw_wipe(&keys, sizeof(keys));
	xw_pcap_close(&cap);
	xw_keyfile_free(kf);
}
