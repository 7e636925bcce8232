// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared by the harnesses (fuzz.h): silent logging, a fixed random stream
 * and PBKDF2 remembered across inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fuzz.h"
#include "log.h"

int __real_xw_pbkdf2_sha1(const uint8_t *secret, size_t secret_len, const uint8_t *salt,
			  size_t salt_len, uint32_t count, uint8_t *out, size_t out_len);
int __wrap_xw_random(void *buf, size_t len);
int __wrap_xw_pbkdf2_sha1(const uint8_t *secret, size_t secret_len, const uint8_t *salt,
			  size_t salt_len, uint32_t count, uint8_t *out, size_t out_len);

const uint8_t fuzz_spis[16] = {0xe3, 0x3d, 0x65, 0xfa, 0xb7, 0x81, 0x8a, 0xd9,
			       0xe5, 0x8d, 0x53, 0x9a, 0x5b, 0x54, 0x2c, 0x26};
const uint8_t fuzz_ike_secret[32] = {0xe1, 0x3c, 0x13, 0x05, 0x6b, 0x45, 0xda};
const struct xw_session_keys fuzz_keys = {
	.aes = "0123456789abcdef",
	.hmac = "0123456789abcdef0123456789abcdef",
};

static void drop_line(enum xw_log_level level, const char *line, void *arg)
{
}

/* XW_FUZZ_LOG=1 prints the lines instead (to replay one input). */
__attribute__((constructor)) static void fuzz_setup(void)
{
	const char *v = getenv("XW_FUZZ_LOG");

	xw_log_set_level(XW_LOG_DEBUG);
	if (!v || !*v || *v == '0')
		xw_log_set_sink(drop_line, NULL);
}

/* splitmix64: not for secrets, only a fixed, well-mixed sequence. */
static uint64_t rnd_state;

void fuzz_reset(void)
{
	rnd_state = 0x5857414d50465a5aULL; /* "XWAMPFZZ" */
}

int __wrap_xw_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);
		size_t k = len < 8 ? len : 8;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(p, &z, k);
		p += k;
		len -= k;
	}
	return 0;
}

/*
 * PBKDF2 results by (secret, Salt, Count, length), a few slots.  A fuzzed
 * greeting may ask the client for up to 2^20 iterations (cli.c's bound):
 * above 4096 the harnesses compute 4096 instead, which only changes a key
 * that such an input could not have matched anyway.
 */
#define MEMO_SLOTS     8
#define MEMO_SECRET    64
#define MEMO_COUNT_MAX 4096

static struct memo {
	int used;
	uint8_t secret[MEMO_SECRET];
	size_t secret_len;
	uint8_t salt[16];
	uint32_t count;
	uint8_t out[32];
	size_t out_len;
} memo[MEMO_SLOTS];
static unsigned int memo_next;

int __wrap_xw_pbkdf2_sha1(const uint8_t *secret, size_t secret_len, const uint8_t *salt,
			  size_t salt_len, uint32_t count, uint8_t *out, size_t out_len)
{
	struct memo *m;
	unsigned int i;
	int err;

	if (count > MEMO_COUNT_MAX)
		count = MEMO_COUNT_MAX;
	if (secret_len > MEMO_SECRET || salt_len != 16 || out_len > 32)
		return __real_xw_pbkdf2_sha1(secret, secret_len, salt, salt_len, count, out,
					     out_len);
	for (i = 0; i < MEMO_SLOTS; i++) {
		m = &memo[i];
		if (m->used && m->secret_len == secret_len && m->count == count &&
		    m->out_len == out_len && !memcmp(m->secret, secret, secret_len) &&
		    !memcmp(m->salt, salt, 16)) {
			memcpy(out, m->out, out_len);
			return 0;
		}
	}
	err = __real_xw_pbkdf2_sha1(secret, secret_len, salt, salt_len, count, out, out_len);
	if (err)
		return err;
	m = &memo[memo_next++ % MEMO_SLOTS];
	m->used = 1;
	memcpy(m->secret, secret, secret_len);
	m->secret_len = secret_len;
	memcpy(m->salt, salt, 16);
	m->count = count;
	memcpy(m->out, out, out_len);
	m->out_len = out_len;
	return 0;
}
