// SPDX-License-Identifier: GPL-2.0-only
/*
 * RFC 7717 (IKEv2-derived shared secret keys for O/TWAMP): the KeyID layout
 * (5.3), the derivation prf(SK_d, "IPPM") (5.1) against published HMAC
 * known answers and against a line of the testbed's ike-keys.sh, the key
 * table file (format, rejections with file:line, permissions, reload on
 * change), the Mode bits both state machines accept or refuse (5.2, 5.3,
 * 7), Accept 6, and keys that outlive a rekey of the IKE SA (5.1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "convpump.h"
#include "cli.h"
#include "codec.h"
#include "crypto.h"
#include "ikekeys.h"
#include "log.h"
#include "srv.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

#define PASS "correct horse battery"
#define T0   1795000000000000000ULL

/*
 * A line printed by the testbed's ike-keys.sh (the format of
 * tests/testbed/ike-keys.sh) for a real IKE SA of a strongSwan charon
 * (PRF_HMAC_SHA2_256); its key column was computed by `openssl dgst -mac
 * HMAC`, independently of xwamp.  Recorded: the unit test needs no charon.
 */
static const char IKE_KEYS_LINE[] =
	"0451f586d4d05cac 4ad6150b64331a14 PRF_HMAC_SHA2_256 "
	"2612208e6762066daed56e3b2ff61520a966c1f37e82fdda82389c4cade5d16f "
	"24b058b70f707f6db7aa20152e226f21de6fcce70ac1e26d5b069d6df8133eab 3 tb ESTABLISHED";

/* ---- log capture --------------------------------------------------------------- */

__attribute__((constructor)) static void log_setup(void)
{
	t_log_capture();
}

/* ---- KeyID (RFC 7717 5.3) ------------------------------------------------------ */

TEST(keyid_layout)
{
	const uint8_t spi_i[8] = {0xe3, 0x3d, 0x65, 0xfa, 0xb7, 0x81, 0x8a, 0xd9};
	const uint8_t spi_r[8] = {0xe5, 0x8d, 0x53, 0x9a, 0x5b, 0x54, 0x2c, 0x26};
	uint8_t keyid[XW_KEYID_LEN], zero[XW_KEYID_LEN] = {0}, gi[8], gr[8];
	char s[XW_IKE_SPIS_STRLEN];

	memset(keyid, 0xaa, sizeof(keyid));
	xw_ike_keyid_put(keyid, spi_i, spi_r);
	/* first 8 octets SPIi, next 8 SPIr, wire order; the remaining 64 zero */
	CHECK_MEM(keyid, spi_i, 8);
	CHECK_MEM(keyid + 8, spi_r, 8);
	CHECK_MEM(keyid + 16, zero, XW_KEYID_LEN - 16);
	CHECK(!strcmp(xw_ike_spis_str(spi_i, spi_r, s, sizeof(s)),
		      "e33d65fab7818ad9/e58d539a5b542c26"));
	/* the server reads the first 16 octets and ignores the rest */
	memset(keyid + 16, 0x5c, XW_KEYID_LEN - 16);
	xw_ike_keyid_get(keyid, gi, gr);
	CHECK_MEM(gi, spi_i, 8);
	CHECK_MEM(gr, spi_r, 8);
}

/* ---- PRFs and the derivation (RFC 7717 5.1) ------------------------------------- */

TEST(prf_names)
{
	CHECK_EQ(xw_ike_prf_by_name("PRF_HMAC_SHA1"), XW_IKE_PRF_HMAC_SHA1);
	CHECK_EQ(xw_ike_prf_by_name("PRF_HMAC_SHA2_256"), XW_IKE_PRF_HMAC_SHA2_256);
	CHECK_EQ(xw_ike_prf_by_name("prf_hmac_sha2_384"), XW_IKE_PRF_HMAC_SHA2_384);
	CHECK_EQ(xw_ike_prf_by_name("HMAC_SHA2_512"), XW_IKE_PRF_HMAC_SHA2_512);
	CHECK_EQ(xw_ike_prf_by_name("5"), XW_IKE_PRF_HMAC_SHA2_256);
	CHECK_EQ(xw_ike_prf_by_name("PRF_AES128_XCBC"), XW_IKE_PRF_NONE);
	CHECK_EQ(xw_ike_prf_by_name("PRF_HMAC_MD5"), XW_IKE_PRF_NONE);
	CHECK_EQ(xw_ike_prf_by_name(""), XW_IKE_PRF_NONE);
	CHECK_EQ(xw_ike_prf_by_name("5x"), XW_IKE_PRF_NONE);
	CHECK_EQ(xw_ike_prf_by_iana(2), XW_IKE_PRF_HMAC_SHA1);
	CHECK_EQ(xw_ike_prf_by_iana(7), XW_IKE_PRF_HMAC_SHA2_512);
	CHECK_EQ(xw_ike_prf_by_iana(4), XW_IKE_PRF_NONE); /* AES128-XCBC */
	CHECK_EQ(xw_ike_prf_len(XW_IKE_PRF_HMAC_SHA1), 20);
	CHECK_EQ(xw_ike_prf_len(XW_IKE_PRF_HMAC_SHA2_256), 32);
	CHECK_EQ(xw_ike_prf_len(XW_IKE_PRF_HMAC_SHA2_384), 48);
	CHECK_EQ(xw_ike_prf_len(XW_IKE_PRF_HMAC_SHA2_512), 64);
	CHECK(!strcmp(xw_ike_prf_name(XW_IKE_PRF_HMAC_SHA2_384), "PRF_HMAC_SHA2_384"));
}

/* RFC 2202 test case 2 and RFC 4231 test case 2: key "Jefe". */
TEST(prf_known_answers)
{
	static const struct {
		enum xw_ike_prf prf;
		const char *mac;
	} v[] = {
		{XW_IKE_PRF_HMAC_SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{XW_IKE_PRF_HMAC_SHA2_256,
		 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{XW_IKE_PRF_HMAC_SHA2_384,
		 "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		 "8e2240ca5e69e2c78b3239ecfab21649"},
		{XW_IKE_PRF_HMAC_SHA2_512,
		 "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		 "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	};
	static const char data[] = "what do ya want for nothing?";
	uint8_t want[64], out[64];
	size_t n, wn;
	unsigned int i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		wn = t_unhex(v[i].mac, want, sizeof(want));
		CHECK_EQ(xw_ike_prf(v[i].prf, (const uint8_t *)"Jefe", 4, data, strlen(data), out,
				    sizeof(out), &n),
			 0);
		CHECK_EQ(n, wn);
		CHECK_MEM(out, want, n);
	}
	/* too small an output buffer, unknown PRF */
	CHECK_EQ(xw_ike_prf(XW_IKE_PRF_HMAC_SHA2_512, want, 4, data, 4, out, 32, &n), -EINVAL);
	CHECK_EQ(xw_ike_prf(XW_IKE_PRF_NONE, want, 4, data, 4, out, 64, &n), -EINVAL);
}

/* prf(SK_d, "IPPM") equals the key column of ike-keys.sh for a real SA. */
TEST(derive_matches_ike_keys_sh)
{
	char f[8][80];
	uint8_t skd[64], want[64], out[XW_IKE_KEY_MAX];
	size_t skd_len, want_len, n;
	enum xw_ike_prf prf;

	CHECK_EQ(sscanf(IKE_KEYS_LINE, "%79s %79s %79s %79s %79s %79s %79s %79s", f[0], f[1], f[2],
			f[3], f[4], f[5], f[6], f[7]),
		 8);
	prf = xw_ike_prf_by_name(f[2]);
	CHECK_EQ(prf, XW_IKE_PRF_HMAC_SHA2_256);
	skd_len = t_unhex(f[3], skd, sizeof(skd));
	want_len = t_unhex(f[4], want, sizeof(want));
	CHECK_EQ(skd_len, 32);
	CHECK_EQ(want_len, 32);
	CHECK_EQ(xw_ike_derive(prf, skd, skd_len, out, &n), 0);
	CHECK_EQ(n, want_len);
	CHECK_MEM(out, want, n);
	/* the same as HMAC-SHA256(SK_d, "IPPM") computed directly */
	CHECK_EQ(
		xw_ike_prf(XW_IKE_PRF_HMAC_SHA2_256, skd, skd_len, "IPPM", 4, out, sizeof(out), &n),
		0);
	CHECK_MEM(out, want, n);
	/* "IPPM" without a NUL: with one the key differs */
	CHECK_EQ(
		xw_ike_prf(XW_IKE_PRF_HMAC_SHA2_256, skd, skd_len, "IPPM", 5, out, sizeof(out), &n),
		0);
	CHECK(memcmp(out, want, n));
	CHECK_EQ(xw_ike_derive(prf, skd, 0, out, &n), -EINVAL);
}

/* The reading of "shared secret": the key's octets, PBKDF2 as for a passphrase. */
TEST(shared_secret_is_the_key_octets)
{
	struct xw_ike_key k = {.key_len = 32};
	uint8_t sec[SRV_SECRET_MAX];
	size_t n = 0;

	memset(k.key, 0x42, 32);
	k.key[0] = 0x00; /* binary, not text: a NUL does not end it */
	CHECK_EQ(xw_ike_shared_secret(&k, sec, sizeof(sec), &n), 0);
	CHECK_EQ(n, 32);
	CHECK_MEM(sec, k.key, 32);
	CHECK_EQ(xw_ike_shared_secret(&k, sec, 31, &n), -ENOSPC);
	k.key_len = 0;
	CHECK_EQ(xw_ike_shared_secret(&k, sec, sizeof(sec), &n), -ENOSPC);
}

/* ---- the key table --------------------------------------------------------------- */

#define SPI_A "e33d65fab7818ad9"
#define SPI_B "e58d539a5b542c26"
#define KEY1  "e13c1305aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa55aa6b45da"
#define KEY2  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void spis(const char *i, const char *r, uint8_t si[8], uint8_t sr[8])
{
	t_unhex(i, si, 8);
	t_unhex(r, sr, 8);
}

TEST(table_parse)
{
	static const char text[] =
		"# SPIi SPIr KEY [PEER]\n"
		"\n" SPI_A " " SPI_B " " KEY1 "\r\n"			       /* 3: CRLF */
		"1111111111111111\t2222222222222222\t" KEY2 " 192.0.2.2 # c\n" /* 4 */
		"1111111111111111 3333333333333333 " KEY2 " 2001:db8::2\n"     /* 5 */
		"111111111111111 2222222222222222 " KEY2 "\n"		       /* 6: short SPIi */
		"1111111111111111 222222222222222g " KEY2 "\n"		       /* 7: not hex */
		"0000000000000000 0000000000000000 " KEY2 "\n"		       /* 8: both zero */
		"1111111111111111 4444444444444444 abc\n"		       /* 9: odd key */
		"1111111111111111 5555555555555555 " KEY2 KEY2 "00\n"	       /* 10: 65 octets */
		"1111111111111111 6666666666666666 " KEY2 " not-an-address\n"  /* 11 */
		"1111111111111111 7777777777777777 " KEY2 " 192.0.2.2 extra\n" /* 12 */
		"1111111111111111 8888888888888888\n"			       /* 13 */
		"0451f586d4d05cac 4ad6150b64331a14 PRF_HMAC_SHA2_256 "	       /* 14: ike-keys.sh */
		"2612208e6762066daed56e3b2ff61520a966c1f37e82fdda82389c4cade5d16f "
		"24b058b70f707f6db7aa20152e226f21de6fcce70ac1e26d5b069d6df8133eab 3 tb "
		"ESTABLISHED\n"
		"0451f586d4d05cac 9999999999999999 PRF_HMAC_SHA2_256 " /* 15: wrong key */
		"2612208e6762066daed56e3b2ff61520a966c1f37e82fdda82389c4cade5d16f " KEY2 "\n"
		"0451f586d4d05cac aaaaaaaaaaaaaaaa PRF_AES128_XCBC 00 00\n" /* 16 */
		"1111111111111111 2222222222222222 " KEY1 "\n";		    /* 17: later wins */
	struct xw_ike_table *t = NULL;
	struct xw_ike_key k;
	uint8_t si[8], sr[8], want[64];
	unsigned int bad = 0;
	int i;

	t_log_reset();
	CHECK_EQ(xw_ike_table_parse(text, strlen(text), "t.keys", &t, &bad), 0);
	CHECK_EQ(bad, 10);
	CHECK_EQ(xw_ike_table_count(t), 4);
	CHECK(t_logged("t.keys:6: SPIi is not 16 hex digits"));
	CHECK(t_logged("t.keys:7: SPIr is not 16 hex digits"));
	CHECK(t_logged("t.keys:8: SPIi and SPIr are both zero"));
	CHECK(t_logged("t.keys:9: KEY is not hex"));
	CHECK(t_logged("t.keys:10: KEY is not hex"));
	CHECK(t_logged("t.keys:11: PEER is not"));
	CHECK(t_logged("t.keys:12: text after PEER"));
	CHECK(t_logged("t.keys:13: expected SPIi SPIr KEY"));
	CHECK(t_logged("t.keys:15: KEY is not prf(SK_d, \"IPPM\")"));
	CHECK(t_logged("t.keys:16: unsupported PRF"));
	CHECK(t_logged("t.keys:17: SPIs 1111111111111111/2222222222222222 already on line 4"));
	/* no log line shows key material */
	for (i = 0; i < t_log_n(); i++) {
		CHECK(!strstr(t_log_line(i), "0123456789abcdef0123"));
		CHECK(!strstr(t_log_line(i), "2612208e6762066d"));
	}

	spis(SPI_A, SPI_B, si, sr);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), 0);
	CHECK_EQ(k.key_len, 32);
	t_unhex(KEY1, want, sizeof(want));
	CHECK_MEM(k.key, want, 32);
	/* the later line for 1111/2222 replaced the first */
	spis("1111111111111111", "2222222222222222", si, sr);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), 0);
	CHECK_MEM(k.key, want, 32);
	/* the ike-keys.sh line loaded with its key (SK_d is not kept) */
	spis("0451f586d4d05cac", "4ad6150b64331a14", si, sr);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), 0);
	t_unhex("24b058b70f707f6db7aa20152e226f21de6fcce70ac1e26d5b069d6df8133eab", want, 32);
	CHECK_MEM(k.key, want, 32);
	/* SPIs swapped are another SA */
	spis(SPI_B, SPI_A, si, sr);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), -ENOENT);
	xw_ike_table_free(t);
}

static void sin4(struct sockaddr_in *a, const char *ip4)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(862);
	inet_pton(AF_INET, ip4, &a->sin_addr);
}

static void sin6(struct sockaddr_in6 *a, const char *ip6)
{
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip6, &a->sin6_addr);
}

TEST(table_by_peer)
{
	static const char text[] = "1111111111111111 0000000000000001 " KEY1 "\n"
				   "2222222222222222 0000000000000002 " KEY1 " 192.0.2.2\n"
				   "3333333333333333 0000000000000003 " KEY1 " 2001:db8::2\n"
				   "4444444444444444 0000000000000004 " KEY1 " 192.0.2.2\n"
				   "5555555555555555 0000000000000005 " KEY1 "\n";
	struct xw_ike_table *t = NULL;
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	struct xw_ike_key k;

	CHECK_EQ(xw_ike_table_parse(text, strlen(text), "p", &t, NULL), 0);
	/* the peer's own line, the last one (4444: appended after a rekey) */
	sin4(&a4, "192.0.2.2");
	CHECK_EQ(xw_ike_table_by_peer(t, (struct sockaddr *)&a4, sizeof(a4), &k), 0);
	CHECK_EQ(k.spi_i[0], 0x44);
	/* an IPv4-mapped IPv6 peer is the IPv4 one */
	sin6(&a6, "::ffff:192.0.2.2");
	CHECK_EQ(xw_ike_table_by_peer(t, (struct sockaddr *)&a6, sizeof(a6), &k), 0);
	CHECK_EQ(k.spi_i[0], 0x44);
	sin6(&a6, "2001:db8::2");
	CHECK_EQ(xw_ike_table_by_peer(t, (struct sockaddr *)&a6, sizeof(a6), &k), 0);
	CHECK_EQ(k.spi_i[0], 0x33);
	/* no line for this peer: the last line without PEER */
	sin4(&a4, "198.51.100.9");
	CHECK_EQ(xw_ike_table_by_peer(t, (struct sockaddr *)&a4, sizeof(a4), &k), 0);
	CHECK_EQ(k.spi_i[0], 0x55);
	xw_ike_table_free(t);

	CHECK_EQ(xw_ike_table_parse("", 0, "empty", &t, NULL), 0);
	CHECK_EQ(xw_ike_table_by_peer(t, (struct sockaddr *)&a4, sizeof(a4), &k), -ENOENT);
	xw_ike_table_free(t);
}

/* ---- the table file: permissions, reload ------------------------------------------ */

static char tmpdir[64];

static int write_file(const char *path, const char *text, mode_t mode, time_t mtime)
{
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
	char tmp[128];
	int fd;

	/* like a tool: write a new file, rename it over the old one */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode) ||
	    futimens(fd, ts)) {
		close(fd);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

static const char *mkpath(const char *name)
{
	static char p[128];

	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/xw-rfc7717-XXXXXX");
		if (!mkdtemp(tmpdir))
			return NULL;
	}
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

__attribute__((destructor)) static void tmp_cleanup(void)
{
	static const char *const names[] = {"perm.keys",    "perm.keys.tmp", "srv.keys",
					    "srv.keys.tmp", "own.keys",	     "own.keys.tmp"};
	char p[160];
	unsigned int i;

	if (!tmpdir[0])
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

TEST(table_file_permissions_and_reload)
{
	char path[128];
	struct xw_ike_table *t = NULL;
	struct xw_ike_key k;
	uint8_t si[8], sr[8];

	snprintf(path, sizeof(path), "%s", mkpath("perm.keys"));
	CHECK(tmpdir[0]);
	CHECK_EQ(write_file(path, SPI_A " " SPI_B " " KEY1 "\n", 0644, 1000), 0);
	t_log_reset();
	CHECK_EQ(xw_ike_table_load(path, &t), -EACCES);
	CHECK(t_logged("group or others"));
	CHECK_EQ(write_file(path, SPI_A " " SPI_B " " KEY1 "\n", 0600, 1000), 0);
	CHECK_EQ(xw_ike_table_load(path, &t), 0);
	CHECK_EQ(xw_ike_table_count(t), 1);

	/* rekey: the tool replaces the file; the next lookup sees the new SA only */
	CHECK_EQ(write_file(path, "1111111111111111 2222222222222222 " KEY2 "\n", 0600, 2000), 0);
	spis(SPI_A, SPI_B, si, sr);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), -ENOENT);
	spis("1111111111111111", "2222222222222222", si, sr);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), 0);

	/* a too-open replacement is refused and the old table stays */
	t_log_reset();
	CHECK_EQ(write_file(path, SPI_A " " SPI_B " " KEY1 "\n", 0640, 3000), 0);
	CHECK_EQ(xw_ike_table_check(t), -EACCES);
	CHECK(t_logged("keeping the 1 IKE SAs"));
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), 0);

	/* chmod 600 fixes it: seen at the next lookup (ctime), no SIGHUP needed */
	CHECK_EQ(chmod(path, 0600), 0);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), -ENOENT);
	/* a forced reload (SIGHUP) of the same file gives the same table */
	CHECK_EQ(xw_ike_table_reload(t), 0);
	spis(SPI_A, SPI_B, si, sr);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), 0);
	spis("1111111111111111", "2222222222222222", si, sr);

	/* the file removed: no SA left */
	CHECK_EQ(unlink(path), 0);
	spis(SPI_A, SPI_B, si, sr);
	CHECK_EQ(xw_ike_table_by_spi(t, si, sr, &k), -ENOENT);
	CHECK_EQ(xw_ike_table_count(t), 0);
	xw_ike_table_free(t);
	CHECK_EQ(xw_ike_table_load(path, &t), -ENOENT);
}

/* load_owned UID RUN_AS: load a 600 table owned by uid, as a process that runs as run_as
 * after start-up; the warnings it gave, or -1 when the table did not load */
static int load_owned(const char *path, uid_t uid, uid_t run_as)
{
	struct xw_ike_table *t = NULL;
	int rc;

	if (write_file(path, SPI_A " " SPI_B " " KEY1 "\n", 0600, 1000) || chown(path, uid, 0))
		return -1;
	xw_ike_table_run_as(run_as);
	t_log_reset();
	rc = xw_ike_table_load(path, &t);
	xw_ike_table_run_as((uid_t)-1);
	if (rc || xw_ike_table_count(t) != 1) {
		xw_ike_table_free(t);
		return -1;
	}
	xw_ike_table_free(t);
	return t_log_count(XW_LOG_WARN);
}

/*
 * Who owns the key table: the user xwampd runs as after the privilege drop
 * is the recommended owner (README Security) and gets no warning; a
 * stranger's table and a root-owned one that the run user could not
 * re-read do.  Ownership other than our own needs root to set up.
 */
TEST(table_owner)
{
	char path[128];
	uid_t me = geteuid();

	snprintf(path, sizeof(path), "%s", mkpath("own.keys"));
	CHECK(tmpdir[0]);
	/* ours, we stay who we are (xwping) */
	CHECK_EQ(load_owned(path, me, (uid_t)-1), 0);
	CHECK_EQ(load_owned(path, me, me), 0);
	if (me != 0)
		return;
	/* xwampd started as root, running as 65534 after start-up: its table */
	CHECK_EQ(load_owned(path, 65534, 65534), 0);
	/* root's table: fine while root stays root, a warning when it drops */
	CHECK_EQ(load_owned(path, 0, 0), 0);
	CHECK_EQ(load_owned(path, 0, 65534), 1);
	CHECK(t_logged("owned by root, but we run as uid 65534 after start-up and could not "
		       "re-read it after a change (chown it to uid 65534)"));
	/* someone else's: a warning, whoever we run as */
	CHECK_EQ(load_owned(path, 65534, 0), 1);
	CHECK(t_logged("owned by uid 65534, neither the user we run as (uid 0) nor root"));
	CHECK_EQ(load_owned(path, 65533, 65534), 1);
	CHECK(t_logged("owned by uid 65533, neither the user we run as (uid 65534) nor root"));
}

/* ---- the state machines ---------------------------------------------------------- */

struct conv {
	struct srv *srv;
	struct cli *cli;
	struct xw_ike_source *src; /* the server's sources */
	unsigned int nsrc;
	int key_calls;
	uint32_t key_mode;
	int nsess;
	uint8_t c2s[4096], s2c[4096];
	size_t nc2s, ns2c;
	struct cli_event ev[32];
	int nev;
	uint8_t test_aes[XW_AES_KEY_LEN]; /* the server's test key of the last session */
};

/* srv_ops.key_lookup as xwampd does it (loader/xwampd/keys.c). */
static int cb_key(void *arg, const struct srv_key_req *req, uint8_t *secret, size_t *len)
{
	const uint32_t mode = req->mode;
	const uint8_t *keyid = req->keyid;
	struct conv *c = arg;

	c->key_calls++;
	c->key_mode = mode;
	if (mode & XW_MODE_IKEV2_DERIV)
		return xw_ike_server_secret(c->src, c->nsrc, "test-client", keyid, secret,
					    SRV_SECRET_MAX, len);
	if (strcmp((const char *)keyid, "alice"))
		return XW_ACCEPT_FAILURE;
	memcpy(secret, PASS, strlen(PASS));
	*len = strlen(PASS);
	return 0;
}

static int cb_request(void *arg, struct srv_sess *s, uint64_t now)
{
	struct conv *c = arg;

	s->port = s->params.receiver_port;
	if (s->has_keys)
		memcpy(c->test_aes, s->keys.aes, XW_AES_KEY_LEN);
	c->nsess++;
	return XW_ACCEPT_OK;
}

static void cb_end(void *arg, struct srv_sess *s, enum srv_end why, uint64_t now)
{
}

static const struct srv_ops OPS = {
	.key_lookup = cb_key,
	.sess_request = cb_request,
	.sess_end = cb_end,
};

static void pump(struct conv *c)
{
	convpump_run(c->srv, c->cli, &CONVPUMP_OF(c), T0);
}

static int server_start_accept(const struct conv *c)
{
	return convpump_server_start(c->ev, c->nev);
}

/*
 * A connection: the server offers srv_modes with the key sources src; the
 * client allows cli_modes with the passphrase (when pass) and ike_modes with
 * the key ike (when not NULL).
 */
static int conv_open(struct conv *c, uint32_t srv_modes, struct xw_ike_source *src,
		     unsigned int nsrc, uint32_t cli_modes, int pass, uint32_t ike_modes,
		     const struct xw_ike_key *ike)
{
	struct srv_cfg sc = {.modes = srv_modes, .count = 1024, .peer = "test-client"};
	struct cli_cfg cc = {.modes = cli_modes, .peer = "test-server"};
	uint8_t isec[XW_IKE_KEY_MAX];
	size_t ilen = 0;

	memset(c, 0, sizeof(*c));
	c->src = src;
	c->nsrc = nsrc;
	if (pass) {
		strcpy((char *)cc.keyid, "alice");
		cc.secret = (const uint8_t *)PASS;
		cc.secret_len = strlen(PASS);
	}
	if (ike) {
		if (xw_ike_shared_secret(ike, isec, sizeof(isec), &ilen))
			return -1;
		cc.ike_modes = ike_modes;
		cc.ike_secret = isec;
		cc.ike_secret_len = ilen;
		xw_ike_keyid_put(cc.ike_keyid, ike->spi_i, ike->spi_r);
	}
	c->srv = srv_new(&sc, &OPS, c, T0);
	c->cli = cli_new(&cc);
	xw_wipe(isec, sizeof(isec));
	if (!c->srv || !c->cli)
		return -1;
	pump(c);
	return 0;
}

static void conv_free(struct conv *c)
{
	srv_free(c->srv);
	cli_free(c->cli);
	c->srv = NULL;
	c->cli = NULL;
}

/* Request, start, stop one session; 0 when both sides agree on SID and test keys. */
static int conv_session(struct conv *c, uint16_t port)
{
	return convpump_session(c->srv, c->cli, &CONVPUMP_OF(c), T0, port, c->test_aes);
}

static void key_of(struct xw_ike_key *k, const char *spi_i, const char *spi_r, const char *key)
{
	memset(k, 0, sizeof(*k));
	spis(spi_i, spi_r, k->spi_i, k->spi_r);
	k->key_len = t_unhex(key, k->key, sizeof(k->key));
}

static int table_src(struct xw_ike_source *src, const char *text)
{
	const char *path = mkpath("srv.keys");

	if (!path || write_file(path, text, 0600, 1000))
		return -1;
	return xw_ike_table_source(path, src);
}

/* Every security mode with IKEv2Derived: 130, 132, 136 (RFC 7717 7). */
TEST(conv_ike_modes)
{
	static const uint32_t modes[] = {XW_MODE_AUTH, XW_MODE_ENCRYPTED, XW_MODE_MIXED};
	struct xw_ike_source src;
	struct xw_ike_key ike;
	struct conv *c = calloc(1, sizeof(*c));
	uint8_t kek[16], want_keyid[XW_KEYID_LEN] = {0};
	struct xw_session_keys sk;
	unsigned int i;

	CHECK(c);
	CHECK_EQ(table_src(&src, SPI_A " " SPI_B " " KEY1 "\n"), 0);
	key_of(&ike, SPI_A, SPI_B, KEY1);
	t_unhex(SPI_A SPI_B, want_keyid, 16);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(conv_open(c, 0xff, &src, 1, XW_MODE_OPEN, 0, modes[i], &ike), 0);
		CHECK_EQ(server_start_accept(c), XW_ACCEPT_OK);
		CHECK_EQ(cli_mode(c->cli), modes[i] | 128);
		CHECK_EQ(srv_mode(c->srv), modes[i] | 128);
		CHECK_EQ(c->key_mode, modes[i] | 128);
		/* on the wire: Mode 130/132/136, KeyID = SPIi || SPIr || 64 zeros */
		CHECK_EQ(get_be32(c->c2s), modes[i] | 128);
		CHECK_MEM(c->c2s + 4, want_keyid, XW_KEYID_LEN);
		/*
		 * The Token opens with PBKDF2-HMAC-SHA1(key octets, Salt, Count):
		 * the reading of doc/design.md decision 1, checked on the bytes
		 */
		CHECK_EQ(xw_pbkdf2_sha1(ike.key, ike.key_len, c->s2c + 16 + 16, 16, 1024, kek, 16),
			 0);
		CHECK_EQ(xw_token_decrypt(kek, c->s2c + 16, c->c2s + 4 + XW_KEYID_LEN, &sk), 0);
		CHECK_EQ(conv_session(c, (uint16_t)(9000 + i)), 0);
		conv_free(c);
	}
	xw_ike_sources_free(&src, 1);
	free(c);
}

TEST(conv_accept6_unknown_spis)
{
	struct xw_ike_source src;
	struct xw_ike_key ike;
	struct conv *c = calloc(1, sizeof(*c));

	CHECK(c);
	CHECK_EQ(table_src(&src, SPI_A " " SPI_B " " KEY1 "\n"), 0);
	key_of(&ike, "1111111111111111", "2222222222222222", KEY1);
	t_log_reset();
	CHECK_EQ(conv_open(c, 0xff, &src, 1, XW_MODE_OPEN, 0, XW_MODE_AUTH, &ike), 0);
	CHECK_EQ(server_start_accept(c), XW_ACCEPT_NO_IKE_SA);
	CHECK_EQ(srv_close_reason(c->srv), SRV_CLOSE_AUTH);
	CHECK_EQ(cli_close_reason(c->cli), CLI_CLOSE_REFUSED);
	/* RFC 7717 5.3: logged, naming the SPIs and the client */
	CHECK(t_logged("control test-client: no IKE SA with SPIi 1111111111111111 SPIr "
		       "2222222222222222"));
	CHECK(t_logged("Accept 6"));
	/* Server-Start: 15 MBZ octets then Accept 6, nothing encrypted */
	CHECK_EQ(c->ns2c, XW_GREETING_LEN + XW_SERVER_START_LEN);
	CHECK_EQ(c->s2c[XW_GREETING_LEN + 15], 6);
	conv_free(c);
	xw_ike_sources_free(&src, 1);
	free(c);
}

/* A raw Set-Up-Response with the given Mode and KeyID, its Token made from secret. */
static int raw_setup(struct conv *c, uint32_t srv_modes, struct xw_ike_source *src, uint32_t mode,
		     const uint8_t keyid[XW_KEYID_LEN], const uint8_t *secret, size_t slen)
{
	struct srv_cfg sc = {.modes = srv_modes, .count = 1024, .peer = "test-client"};
	struct codec_setup_response r = {.mode = mode};
	struct xw_session_keys keys;
	uint8_t g[XW_GREETING_LEN], buf[XW_SETUP_RESPONSE_LEN], kek[16];
	const uint8_t *p;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->src = src;
	c->nsrc = src ? 1 : 0;
	c->srv = srv_new(&sc, &OPS, c, T0);
	if (!c->srv)
		return -1;
	p = srv_out_peek(c->srv, &n);
	if (n != XW_GREETING_LEN)
		return -1;
	memcpy(g, p, n);
	srv_out_consume(c->srv, n);
	memcpy(r.keyid, keyid, XW_KEYID_LEN);
	memset(&keys, 0x11, sizeof(keys));
	if (secret && (xw_pbkdf2_sha1(secret, slen, g + 32, 16, 1024, kek, 16) ||
		       xw_token_encrypt(kek, g + 16, &keys, r.token)))
		return -1;
	if (codec_setup_response_encode(&r, buf, sizeof(buf)) != XW_SETUP_RESPONSE_LEN)
		return -1;
	srv_feed(c->srv, buf, sizeof(buf), T0);
	p = srv_out_peek(c->srv, &n);
	if (n != XW_SERVER_START_LEN)
		return -1;
	return p[15];
}

/* Which Modes the server takes (RFC 4656 3.1, RFC 7717 5.2/5.3/7). */
TEST(srv_mode_bits)
{
	struct xw_ike_source src;
	struct conv *c = calloc(1, sizeof(*c));
	uint8_t keyid[XW_KEYID_LEN] = {0}, alice[XW_KEYID_LEN] = "alice", key[32];
	int rc;

	CHECK(c);
	CHECK_EQ(table_src(&src, SPI_A " " SPI_B " " KEY1 "\n"), 0);
	t_unhex(SPI_A SPI_B, keyid, 16);
	t_unhex(KEY1, key, 32);

	/* 130, 132, 136 with the right key: accepted */
	CHECK_EQ(raw_setup(c, 0xff, &src, 130, keyid, key, 32), XW_ACCEPT_OK);
	conv_free(c);
	CHECK_EQ(raw_setup(c, 0xff, &src, 132 | XW_MODE_INDIV_SESS, keyid, key, 32), XW_ACCEPT_OK);
	CHECK_EQ(srv_mode(c->srv), 132 | XW_MODE_INDIV_SESS);
	conv_free(c);
	/* the server ignores octets 16..79 of the KeyID (RFC 7717 5.3) */
	memset(keyid + 16, 0xee, XW_KEYID_LEN - 16);
	CHECK_EQ(raw_setup(c, 0xff, &src, 136, keyid, key, 32), XW_ACCEPT_OK);
	conv_free(c);
	/* the right SPIs but the passphrase instead of the IKE key: the Token fails */
	CHECK_EQ(raw_setup(c, 0xff, &src, 130, keyid, (const uint8_t *)PASS, strlen(PASS)),
		 XW_ACCEPT_FAILURE);
	conv_free(c);

	/* 128 alone chooses no security mode: Accept 3, no key lookup */
	t_log_reset();
	CHECK_EQ(raw_setup(c, 0xff, &src, 128, keyid, NULL, 0), XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(c->key_calls, 0);
	CHECK_EQ(srv_close_reason(c->srv), SRV_CLOSE_MODE);
	CHECK(t_logged("chooses no security mode"));
	conv_free(c);
	/* open with 128 (129): no key to derive, Accept 3 */
	CHECK_EQ(raw_setup(c, 0xff, &src, 129, keyid, NULL, 0), XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(c->key_calls, 0);
	conv_free(c);
	/* two security bits with 128 (134): Accept 3 */
	CHECK_EQ(raw_setup(c, 0xff, &src, 134, keyid, key, 32), XW_ACCEPT_NOT_SUPPORTED);
	conv_free(c);
	/* 130 to a server without a key source (no bit 7 offered): Accept 3, not 6 */
	t_log_reset();
	CHECK_EQ(raw_setup(c, 0x7f, NULL, 130, keyid, key, 32), XW_ACCEPT_NOT_SUPPORTED);
	CHECK_EQ(c->key_calls, 0);
	CHECK(t_logged("which we do not offer"));
	conv_free(c);
	/* a legacy client (no 128) with a KeyID name: the passphrase path as before */
	CHECK_EQ(raw_setup(c, 0xff, &src, XW_MODE_AUTH, alice, (const uint8_t *)PASS, strlen(PASS)),
		 XW_ACCEPT_OK);
	CHECK_EQ(c->key_mode, XW_MODE_AUTH);
	conv_free(c);
	/* ... and a legacy open client */
	rc = raw_setup(c, 0xff, &src, XW_MODE_OPEN, alice, NULL, 0);
	CHECK_EQ(rc, XW_ACCEPT_OK);
	CHECK_EQ(c->key_calls, 0);
	conv_free(c);

	/* a server cannot offer 128 without a keyed mode */
	{
		struct srv_cfg sc = {.modes = XW_MODE_OPEN | 128, .count = 1024};

		CHECK(!srv_new(&sc, &OPS, c, T0));
	}
	xw_ike_sources_free(&src, 1);
	free(c);
}

/* What the client chooses (RFC 7717 5.2, 5.3). */
TEST(cli_mode_choice)
{
	struct xw_ike_source src;
	struct xw_ike_key ike;
	struct conv *c = calloc(1, sizeof(*c));
	uint8_t alice[XW_KEYID_LEN] = "alice";

	CHECK(c);
	CHECK_EQ(table_src(&src, SPI_A " " SPI_B " " KEY1 "\n"), 0);
	key_of(&ike, SPI_A, SPI_B, KEY1);

	/* legacy client against a server with bit 7: unaffected */
	CHECK_EQ(conv_open(c, 0xff, &src, 1, XW_MODE_AUTH | XW_MODE_ENCRYPTED, 1, 0, NULL), 0);
	CHECK_EQ(server_start_accept(c), XW_ACCEPT_OK);
	CHECK_EQ(cli_mode(c->cli), XW_MODE_ENCRYPTED);
	CHECK_MEM(c->c2s + 4, alice, XW_KEYID_LEN);
	CHECK_EQ(conv_session(c, 9100), 0);
	conv_free(c);

	/* IKE key and passphrase, server without bit 7: falls back to the passphrase */
	CHECK_EQ(conv_open(c, 0x7f, NULL, 0, XW_MODE_AUTH | XW_MODE_OPEN, 1, XW_MODE_AUTH, &ike),
		 0);
	CHECK_EQ(server_start_accept(c), XW_ACCEPT_OK);
	CHECK_EQ(cli_mode(c->cli), XW_MODE_AUTH);
	CHECK_MEM(c->c2s + 4, alice, XW_KEYID_LEN);
	conv_free(c);

	/* IKE key only, server without bit 7: open */
	CHECK_EQ(conv_open(c, 0x7f, NULL, 0, XW_MODE_OPEN, 0, XW_MODE_ENCRYPTED, &ike), 0);
	CHECK_EQ(server_start_accept(c), XW_ACCEPT_OK);
	CHECK_EQ(cli_mode(c->cli), XW_MODE_OPEN);
	conv_free(c);

	/* IKE key only, only keyed modes wanted, server without bit 7: Mode 0 */
	CHECK_EQ(conv_open(c, 0x7f, NULL, 0, 0, 0, XW_MODE_ENCRYPTED, &ike), 0);
	CHECK_EQ(cli_close_reason(c->cli), CLI_CLOSE_NO_MODE);
	CHECK_EQ(get_be32(c->c2s), 0);
	conv_free(c);

	/* bit 7 offered, but not the mode allowed with the IKE key: passphrase fallback */
	CHECK_EQ(conv_open(c, XW_MODE_AUTH | XW_MODE_OPEN | 128, &src, 1, XW_MODE_AUTH, 1,
			   XW_MODE_ENCRYPTED, &ike),
		 0);
	CHECK_EQ(server_start_accept(c), XW_ACCEPT_OK);
	CHECK_EQ(cli_mode(c->cli), XW_MODE_AUTH);
	conv_free(c);

	/* with both, the IKE key wins where offered */
	CHECK_EQ(conv_open(c, 0xff, &src, 1, XW_MODE_AUTH | XW_MODE_ENCRYPTED, 1,
			   XW_MODE_AUTH | XW_MODE_ENCRYPTED, &ike),
		 0);
	CHECK_EQ(cli_mode(c->cli), XW_MODE_ENCRYPTED | 128);
	conv_free(c);

	/* cli_new refuses IKE modes with open, or without a key */
	{
		struct cli_cfg cc = {.modes = XW_MODE_OPEN, .ike_modes = XW_MODE_OPEN};
		uint8_t k[4] = {1, 2, 3, 4};

		cc.ike_secret = k;
		cc.ike_secret_len = 4;
		CHECK(!cli_new(&cc));
		cc.ike_modes = XW_MODE_AUTH;
		cc.ike_secret_len = 0;
		CHECK(!cli_new(&cc));
	}
	xw_ike_sources_free(&src, 1);
	free(c);
}

/*
 * RFC 7717 5.1: after a rekey (new SPIs, new SK_d, the old SA deleted) the
 * live connection keeps its keys; new connections use the new SA.
 */
TEST(key_kept_across_rekey)
{
	struct xw_ike_source src;
	struct xw_ike_key old_sa, new_sa;
	struct conv *live = calloc(1, sizeof(*live)), *c = calloc(1, sizeof(*c));
	const char *path;

	CHECK(live && c);
	CHECK_EQ(table_src(&src, SPI_A " " SPI_B " " KEY1 "\n"), 0);
	path = mkpath("srv.keys");
	key_of(&old_sa, SPI_A, SPI_B, KEY1);
	key_of(&new_sa, "1111111111111111", "2222222222222222", KEY2);

	CHECK_EQ(conv_open(live, 0xff, &src, 1, XW_MODE_OPEN, 0, XW_MODE_ENCRYPTED, &old_sa), 0);
	CHECK_EQ(server_start_accept(live), XW_ACCEPT_OK);
	CHECK_EQ(conv_session(live, 9200), 0);

	/* the IKE SA is rekeyed: the table now holds only the new SA */
	CHECK_EQ(write_file(path, "1111111111111111 2222222222222222 " KEY2 "\n", 0600, 5000), 0);

	/* a new connection with the old SPIs: Accept 6 (this also reloads the table) */
	CHECK_EQ(conv_open(c, 0xff, &src, 1, XW_MODE_OPEN, 0, XW_MODE_ENCRYPTED, &old_sa), 0);
	CHECK_EQ(server_start_accept(c), XW_ACCEPT_NO_IKE_SA);
	conv_free(c);
	/* ... with the new SA: accepted */
	CHECK_EQ(conv_open(c, 0xff, &src, 1, XW_MODE_OPEN, 0, XW_MODE_ENCRYPTED, &new_sa), 0);
	CHECK_EQ(server_start_accept(c), XW_ACCEPT_OK);
	CHECK_EQ(cli_mode(c->cli), XW_MODE_ENCRYPTED | 128);
	CHECK_EQ(conv_session(c, 9300), 0);
	conv_free(c);

	/* the live connection goes on with what it derived from the old SA */
	CHECK_EQ(conv_session(live, 9201), 0);
	CHECK_EQ(live->nsess, 2);
	/* even with the table gone entirely */
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(xw_ike_reload(&src, 1), 0);
	CHECK_EQ(conv_session(live, 9202), 0);
	conv_free(live);
	xw_ike_sources_free(&src, 1);
	free(live);
	free(c);
}

/* ---- source order and failures ------------------------------------------------------ */

struct fake {
	int rc;
	uint8_t tag;
	int calls;
};

static int fake_by_spi(void *ctx, const uint8_t spi_i[XW_IKE_SPI_LEN],
		       const uint8_t spi_r[XW_IKE_SPI_LEN], struct xw_ike_key *out)
{
	struct fake *f = ctx;

	f->calls++;
	memset(out, f->tag, sizeof(*out)); /* garbage a failing source may leave */
	if (f->rc)
		return f->rc;
	memcpy(out->spi_i, spi_i, 8);
	memcpy(out->spi_r, spi_r, 8);
	out->key_len = 16;
	return 0;
}

static void fake_free(void *ctx)
{
}

static const struct xw_ike_source_ops FAKE_OPS = {
	.kind = "fake",
	.by_spi = fake_by_spi,
	.free = fake_free,
};

TEST(sources_in_order)
{
	struct fake a = {.rc = -EIO, .tag = 0xaa}, b = {.rc = 0, .tag = 0xbb};
	struct xw_ike_source src[2] = {{&FAKE_OPS, &a, "a"}, {&FAKE_OPS, &b, "b"}};
	uint8_t si[8] = {1}, sr[8] = {2}, keyid[XW_KEYID_LEN] = {0}, sec[SRV_SECRET_MAX];
	struct sockaddr_in peer;
	struct xw_ike_key k;
	size_t n;

	/* a failing first source does not hide the second one's answer */
	CHECK_EQ(xw_ike_lookup_spi(src, 2, si, sr, &k), 0);
	CHECK_EQ(k.key[0], 0xbb);
	CHECK_EQ(a.calls, 1);
	/* nobody has it: the first real error wins over -ENOENT ... */
	b.rc = -ENOENT;
	CHECK_EQ(xw_ike_lookup_spi(src, 2, si, sr, &k), -EIO);
	CHECK_EQ(k.key[0], 0); /* wiped */
	/* ... and the server answers Accept 2 (a negative errno), not 6 */
	CHECK_EQ(xw_ike_server_secret(src, 2, "x", keyid, sec, sizeof(sec), &n), -EIO);
	a.rc = -ENOENT;
	CHECK_EQ(xw_ike_lookup_spi(src, 2, si, sr, &k), -ENOENT);
	CHECK_EQ(xw_ike_server_secret(src, 2, "x", keyid, sec, sizeof(sec), &n),
		 XW_ACCEPT_NO_IKE_SA);
	CHECK_EQ(xw_ike_lookup_spi(src, 0, si, sr, &k), -ENOENT);
	/* sources without by_peer are skipped on the client side */
	sin4(&peer, "192.0.2.2");
	CHECK_EQ(xw_ike_lookup_peer(src, 2, (struct sockaddr *)&peer, sizeof(peer), &k), -ENOENT);
}
