/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every libFuzzer harness of tests/fuzz/ shares (README "Fuzzing").
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput() and links fuzz.o and
 * control/ compiled with ASan + UBSan (Makefile "fuzzing").  fuzz.o:
 *  - sends every log line through vsnprintf at debug level (format paths
 *    run) and then drops it: the fuzzers make millions (XW_FUZZ_LOG=1 in
 *    the environment prints them, to replay one input);
 *  - replaces xw_random() (linked with --wrap) by a fixed stream that
 *    fuzz_reset() restarts for each input, so Challenge, Salt, IVs,
 *    session keys and SIDs are the same every run and a crash input
 *    replays exactly;
 *  - remembers the last PBKDF2 results (--wrap=xw_pbkdf2_sha1): the real
 *    function, computed once per (secret, Salt, Count) instead of twice
 *    per input.
 * FUZZ_ASSERT() is for the invariants a harness checks: it aborts, which
 * libFuzzer reports as a crash with the input saved.
 */
#ifndef XW_FUZZ_H
#define XW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry point (the harness defines it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Restart the fixed random stream; call first in LLVMFuzzerTestOneInput(). */
void fuzz_reset(void);

/*
 * The fixed credentials both ends of a fuzzed conversation use: the
 * passphrase of KeyID "alice", an RFC 7717 key with its SPIs (KeyID octets
 * 0-15), and session keys for the harness's own side.
 */
#define FUZZ_PASS "correct horse battery"
extern const uint8_t fuzz_spis[16];
extern const uint8_t fuzz_ike_secret[32];
struct xw_session_keys;
extern const struct xw_session_keys fuzz_keys;

#define FUZZ_ASSERT(cond)                                                                    \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* A cursor over the fuzzer's bytes: reads past the end give zeros. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v = 0;

	if (f->n) {
		v = *f->p++;
		f->n--;
	}
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t hi = fz_u8(f);

	return (uint16_t)(hi << 8 | fz_u8(f));
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t hi = fz_u16(f);

	return hi << 16 | fz_u16(f);
}

/* Up to want octets: sets *len to how many there were, returns where they are. */
static inline const uint8_t *fz_take(struct fz *f, size_t want, size_t *len)
{
	const uint8_t *p = f->p;

	*len = want < f->n ? want : f->n;
	f->p += *len;
	f->n -= *len;
	return p;
}

#endif /* XW_FUZZ_H */
