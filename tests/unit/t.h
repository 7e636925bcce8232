/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal unit-test harness.  A test file defines cases with TEST(name) { ... }
 * and links t.o, which provides main().  Each case prints one line,
 * "PASS <binary>/<name>" or "FAIL <binary>/<name>: <file>:<line>: <why>",
 * which tests/run.sh counts.  A failed check ends its case; the others run.
 *
 *   ./build/tests/test_x            run every case
 *   ./build/tests/test_x NAME...    run the named cases only
 */
#ifndef XW_T_H
#define XW_T_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct t_case {
	const char *name;
	void (*fn)(void);
	struct t_case *next;
};

void t_register(struct t_case *c);
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void t_fail_mem(const char *file, int line, const char *what, const void *got, const void *want,
		size_t len);
/* Hex string ("00 ff 1a", spaces and newlines allowed) -> bytes; returns length. */
size_t t_unhex(const char *hex, uint8_t *out, size_t cap);
/* Returns 1 when the current case has failed (checks after a failure are skipped). */
int t_failed(void);

/*
 * Log capture (control/log.h): the warnings and errors the code under test
 * emits, kept for assertions, since the last t_log_capture() or
 * t_log_reset().  t_log_capture() installs the sink with the level at debug
 * (so that debug paths run too) and resets.  XW_TEST_VERBOSE=1 also prints
 * every line.  The last 64 lines are kept.
 */
void t_log_capture(void);
void t_log_reset(void);
int t_logged(const char *needle); /* 1 when a kept line contains needle */
int t_log_count(int level);	  /* lines at that level (XW_LOG_ERR, XW_LOG_WARN) */
const char *t_log_last(void);	  /* the last warning or error, "" when none */
int t_log_n(void);		  /* kept lines, at most 64 */
const char *t_log_line(int i);	  /* 0 <= i < t_log_n() */

#define TEST(name)                                                       \
	static void t_fn_##name(void);                                   \
	static struct t_case t_case_##name = {#name, t_fn_##name, NULL}; \
	__attribute__((constructor)) static void t_reg_##name(void)      \
	{                                                                \
		t_register(&t_case_##name);                              \
	}                                                                \
	static void t_fn_##name(void)

/* Every check returns from the test function when it fails. */
#define CHECK(cond)                                              \
	do {                                                     \
		if (!(cond)) {                                   \
			t_fail(__FILE__, __LINE__, "%s", #cond); \
			return;                                  \
		}                                                \
	} while (0)

#define CHECK_EQ(got, want)                                                                   \
	do {                                                                                  \
		long long t_g_ = (long long)(got), t_w_ = (long long)(want);                  \
		if (t_g_ != t_w_) {                                                           \
			t_fail(__FILE__, __LINE__, "%s == %lld, want %s == %lld", #got, t_g_, \
			       #want, t_w_);                                                  \
			return;                                                               \
		}                                                                             \
	} while (0)

#define CHECK_MEM(got, want, len)                                                   \
	do {                                                                        \
		if (memcmp((got), (want), (len))) {                                 \
			t_fail_mem(__FILE__, __LINE__, #got, (got), (want), (len)); \
			return;                                                     \
		}                                                                   \
	} while (0)

#define CHECK_NEAR(got, want, tol)                                                              \
	do {                                                                                    \
		double t_g_ = (double)(got), t_w_ = (double)(want);                             \
		if (t_g_ - t_w_ > (tol) || t_w_ - t_g_ > (tol)) {                               \
			t_fail(__FILE__, __LINE__, "%s == %g, want %g +- %g", #got, t_g_, t_w_, \
			       (double)(tol));                                                  \
			return;                                                                 \
		}                                                                               \
	} while (0)

#endif /* XW_T_H */
