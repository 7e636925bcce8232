// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwping's statistics and reports (control/stats.h, control/report.h) on
 * fuzzed replies: everything a reflector puts in its packet (reflector
 * sequence number, T2, T3, Error Estimate, Sender TTL, RFC 5357 4.2.1) is
 * the peer's choice, so is the order and number of replies.
 *
 * Input: records of 1 + 8 or 1 + 31 octets.  Low bit of the first octet
 * clear: a sent packet (sender seq from the octet's other bits, T1); set:
 * a reply (sender seq, reflector seq, T2, T3, T4, both Error Estimates,
 * TTLs).  Then the statistics are computed with a few extra percentiles
 * and rendered as text and JSON, summary and per packet (into a memory
 * stream).  UBSan watches the arithmetic (signed overflow, float to
 * integer conversion); the checks: counts add up (sent = received + lost,
 * arrivals = received + duplicates), distributions are ordered (min <=
 * median <= max) and the JSON is balanced.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "report.h"
#include "stats.h"

static void dist_ok(const struct xw_dist *d)
{
	if (!d->n) {
		FUZZ_ASSERT(isnan(d->min) && isnan(d->max) && isnan(d->median));
		return;
	}
	FUZZ_ASSERT(d->min <= d->median && d->median <= d->max);
	FUZZ_ASSERT(d->min <= d->p90 && d->p90 <= d->p95 && d->p95 <= d->p99 && d->p99 <= d->max);
}

static void delay_ok(const struct xw_stats_delay *x)
{
	dist_ok(&x->delay);
	dist_ok(&x->ipdv);
	dist_ok(&x->ipdv_abs);
	dist_ok(&x->pdv);
}

/* Braces and brackets outside strings balance, never below zero. */
static void json_balanced(const char *s, size_t n)
{
	long depth = 0;
	int str = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				str = 0;
			continue;
		}
		if (s[i] == '"')
			str = 1;
		else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']')
			FUZZ_ASSERT(--depth >= 0);
	}
	FUZZ_ASSERT(depth == 0 && !str);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xw_report_meta meta = {"TWAMP", "unauthenticated", "192.0.2.1:40000",
						   "192.0.2.2:862"};
	struct xw_stats_opts opts = {.npct = 3, .pct = {0, 99.9, 100}};
	struct xw_stats_session *s;
	struct xw_stats_result *res;
	struct fz f = {data, size};
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;

	fuzz_reset();
	s = xw_stats_new();
	res = malloc(sizeof(*res));
	FUZZ_ASSERT(s && res);
	while (f.n) {
		uint8_t op = fz_u8(&f);
		__u32 seq = op >> 1;

		if (!(op & 1)) {
			xw_stats_add_sent(s, seq, (__u64)fz_u32(&f) << 32 | fz_u32(&f));
		} else {
			struct xw_stats_reply r;

			r.refl_seq = fz_u32(&f);
			r.t2_ns = (__u64)fz_u32(&f) << 32 | fz_u32(&f);
			r.t3_ns = (__u64)fz_u32(&f) << 32 | fz_u32(&f);
			r.t4_ns = (__u64)fz_u32(&f) << 32 | fz_u32(&f);
			r.sender_errest = fz_u16(&f);
			r.refl_errest = fz_u16(&f);
			r.sender_ttl = fz_u8(&f);
			r.ip_ttl = (__s16)(fz_u8(&f) - 1);
			xw_stats_add_reply(s, seq, &r);
		}
	}
	FUZZ_ASSERT(xw_stats_compute(s, &opts, res) == 0);
	FUZZ_ASSERT(res->sent == res->received + res->lost);
	FUZZ_ASSERT(res->arrivals == res->received + res->duplicates);
	FUZZ_ASSERT(res->reordered <= res->received);
	delay_ok(&res->rtt);
	delay_ok(&res->fwd);
	delay_ok(&res->bwd);

	mf = open_memstream(&buf, &len);
	FUZZ_ASSERT(mf != NULL);
	FUZZ_ASSERT(xw_report_text(mf, &meta, res, &opts) == 0);
	FUZZ_ASSERT(xw_report_packets_text(mf, s) == 0);
	fclose(mf);
	free(buf);
	buf = NULL;
	mf = open_memstream(&buf, &len);
	FUZZ_ASSERT(mf != NULL);
	FUZZ_ASSERT(xw_report_json(mf, &meta, res, &opts) == 0);
	FUZZ_ASSERT(xw_report_packets_json(mf, s) == 0);
	fclose(mf);
	json_balanced(buf, len);
	free(buf);
	free(res);
	xw_stats_free(s);
	return 0;
}
