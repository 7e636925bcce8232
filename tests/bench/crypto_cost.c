// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-packet cost of the TWAMP-Test transforms through control/testpkt.h,
 * in a tight loop on one core, against a baseline loop that only copies
 * the packet (memcpy of the same 112 octets), interleaved round by round:
 *
 *   reflect-open   parse + reflect transform, no crypto
 *   reflect-auth   HMAC verify + ECB decrypt + build + ECB encrypt + HMAC
 *   reflect-enc    HMAC verify + CBC decrypt + build + CBC encrypt + HMAC
 *   build-auth/enc the Session-Sender's side (random-free: zero padding)
 *   pbkdf2-1024/2048  the token key of one authenticated control
 *                  connection (RFC 4656 3.1), which each side computes once
 *
 *	crypto_cost [--rounds N] [--secs S]
 *
 * Figures: ns per operation and the ratio subject / baseline (how many
 * packet copies one operation costs); for PBKDF2 also count 2048 / 1024.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "crypto.h"
#include "testpkt.h"

#define PKT_LEN	   112
#define MAX_ROUNDS 16
#define SESS_MANY  10000

struct op {
	const char *name;
	/* runs the operation n times; returns nonzero on failure */
	int (*fn)(struct op *op, unsigned int n);
	struct xw_tp_cfg cfg;
	struct xw_tp_crypto *crypto;
	uint8_t in[PKT_LEN], out[PKT_LEN + 64];
	uint32_t count; /* PBKDF2 */
	unsigned int batch;
	/* reflect over nsess sessions in turn, each its own keys and packet */
	unsigned int nsess, next;
	struct xw_tp_crypto *many;
	uint8_t (*many_in)[PKT_LEN];
};

/* keeps the compiler from dropping the baseline's copies */
static volatile uint8_t sink;

static int op_memcpy(struct op *op, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		op->in[0] = (uint8_t)i;
		memcpy(op->out, op->in, PKT_LEN);
		__asm__ __volatile__("" : : "r"(op->out) : "memory");
		sink = op->out[PKT_LEN - 1];
	}
	return 0;
}

static int op_reflect(struct op *op, unsigned int n)
{
	struct xw_tp_refl r = {
		.seq = 1, .rx_ts = 2, .tx_ts = 3, .errest = 0x8001, .sender_ttl = 255};
	unsigned int i;

	for (i = 0; i < n; i++) {
		r.seq = i;
		if (xw_tp_reflect(&op->cfg, op->crypto, op->in, PKT_LEN, PKT_LEN, &r, op->out,
				  sizeof(op->out), NULL) != PKT_LEN)
			return -1;
	}
	sink = op->out[0];
	return 0;
}

/*
 * The reflect step over many sessions in turn, as a reflector serving
 * nsess sessions at the same rate sees it: each packet another session's
 * keys, so the per-session state is no longer in the CPU's caches.
 */
static int op_reflect_many(struct op *op, unsigned int n)
{
	struct xw_tp_refl r = {
		.seq = 1, .rx_ts = 2, .tx_ts = 3, .errest = 0x8001, .sender_ttl = 255};
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		k = op->next;
		op->next = k + 1 == op->nsess ? 0 : k + 1;
		r.seq = i;
		if (xw_tp_reflect(&op->cfg, &op->many[k], op->many_in[k], PKT_LEN, PKT_LEN, &r,
				  op->out, sizeof(op->out), NULL) != PKT_LEN)
			return -1;
	}
	sink = op->out[0];
	return 0;
}

/* nsess sessions with keys of their own (as Accept-Session derives them) and a packet each */
static int many_init(struct op *op, unsigned int nsess)
{
	struct xw_tp_sender f = {.seq = 7, .ts = 1, .errest = 0x8001};
	struct xw_session_keys keys;
	unsigned int k;

	op->nsess = nsess;
	op->many = calloc(nsess, sizeof(*op->many));
	op->many_in = calloc(nsess, sizeof(*op->many_in));
	if (!op->many || !op->many_in)
		return -1;
	for (k = 0; k < nsess; k++) {
		memset(&keys, 0x5a, sizeof(keys));
		memcpy(&keys, &k, sizeof(k));
		if (xw_tp_crypto_init(&op->many[k], &keys) ||
		    xw_tp_build_sender(&op->cfg, &op->many[k], &f, NULL, op->many_in[k], PKT_LEN) !=
			    PKT_LEN)
			return -1;
	}
	return 0;
}

static int op_build(struct op *op, unsigned int n)
{
	struct xw_tp_sender f = {.seq = 0, .ts = 1, .errest = 0x8001};
	unsigned int i;

	for (i = 0; i < n; i++) {
		f.seq = i;
		if (xw_tp_build_sender(&op->cfg, op->crypto, &f, NULL, op->out, sizeof(op->out)) !=
		    PKT_LEN)
			return -1;
	}
	sink = op->out[0];
	return 0;
}

static int op_pbkdf2(struct op *op, unsigned int n)
{
	static const char pass[] = "correct horse battery";
	uint8_t salt[16] = {1, 2, 3}, key[16];
	unsigned int i;

	for (i = 0; i < n; i++) {
		salt[15] = (uint8_t)i;
		if (xw_pbkdf2_sha1((const uint8_t *)pass, sizeof(pass) - 1, salt, sizeof(salt),
				   op->count, key, sizeof(key)))
			return -1;
	}
	sink = key[0];
	return 0;
}

/* ns per operation over about secs seconds */
static double measure(struct op *op, double secs)
{
	uint64_t t0 = bench_mono_ns(), end = t0 + (uint64_t)(secs * 1e9), now, n = 0;

	do {
		if (op->fn(op, op->batch))
			return -1;
		n += op->batch;
	} while ((now = bench_mono_ns()) < end);
	return (double)(now - t0) / (double)n;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"rounds", required_argument, NULL, 'r'},
		{"secs", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	static struct op ops[12], base;
	struct xw_session_keys keys;
	struct xw_tp_crypto cr;
	struct xw_tp_cfg open = {
		.mode = XW_TP_OPEN, .padding_len = PKT_LEN - 14, .zero_padding = 1};
	struct xw_tp_cfg auth = {
		.mode = XW_TP_AUTH, .padding_len = PKT_LEN - 48, .zero_padding = 1};
	struct xw_tp_cfg enc = {.mode = XW_TP_ENC, .padding_len = PKT_LEN - 48, .zero_padding = 1};
	struct xw_tp_sender f = {.seq = 7, .ts = 1, .errest = 0x8001};
	double v[12][MAX_ROUNDS], q[12][MAX_ROUNDS], b[MAX_ROUNDS], pb[MAX_ROUNDS];
	unsigned int rounds = 3, nops = 0, i, r;
	double secs = 0.15, before, after;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'r')
			rounds = (unsigned int)atoi(optarg);
		else if (ch == 't')
			secs = atof(optarg);
		else
			return 2;
	}
	if (!rounds || rounds > MAX_ROUNDS)
		return 2;
	memset(&keys, 0x5a, sizeof(keys));
	if (xw_tp_crypto_init(&cr, &keys))
		return 1;

	base = (struct op){.name = "memcpy", .fn = op_memcpy, .batch = 4096};
	ops[nops++] = (struct op){.name = "reflect-open", .fn = op_reflect, .cfg = open};
	ops[nops++] = (struct op){.name = "reflect-auth", .fn = op_reflect, .cfg = auth};
	ops[nops++] = (struct op){.name = "reflect-enc", .fn = op_reflect, .cfg = enc};
	ops[nops++] = (struct op){.name = "reflect-auth-10k", .fn = op_reflect_many, .cfg = auth};
	ops[nops++] = (struct op){.name = "reflect-enc-10k", .fn = op_reflect_many, .cfg = enc};
	ops[nops++] = (struct op){.name = "build-auth", .fn = op_build, .cfg = auth};
	ops[nops++] = (struct op){.name = "build-enc", .fn = op_build, .cfg = enc};
	ops[nops++] = (struct op){.name = "pbkdf2-1024", .fn = op_pbkdf2, .count = 1024};
	ops[nops++] = (struct op){.name = "pbkdf2-2048", .fn = op_pbkdf2, .count = 2048};
	for (i = 0; i < nops; i++) {
		ops[i].crypto = &cr;
		if (!ops[i].batch)
			ops[i].batch = ops[i].fn == op_pbkdf2 ? 4 : 256;
		/* a valid sender packet of the op's mode to reflect */
		if (ops[i].fn == op_reflect_many && many_init(&ops[i], SESS_MANY))
			return 1;
		if (ops[i].fn == op_reflect &&
		    xw_tp_build_sender(&ops[i].cfg, &cr, &f, NULL, ops[i].in, PKT_LEN) != PKT_LEN)
			return 1;
	}
	/* warm-up: page faults, OpenSSL's lazy init, CPU frequency */
	measure(&base, secs);
	for (i = 0; i < nops; i++)
		measure(&ops[i], secs / 4);

	for (r = 0; r < rounds; r++) {
		before = measure(&base, secs);
		for (i = 0; i < nops; i++) {
			v[i][r] = measure(&ops[i], secs);
			after = measure(&base, secs);
			if (v[i][r] < 0)
				return 1;
			q[i][r] = v[i][r] / ((before + after) / 2);
			before = after;
		}
		b[r] = before;
		pb[r] = v[nops - 1][r] / v[nops - 2][r];
	}
	printf("\n4. Per-packet crypto cost, %u-octet test packets, one core "
	       "(%u rounds, baseline: memcpy of the packet)\n",
	       PKT_LEN, rounds);
	{
		struct bench_spread sb = bench_spread(b, rounds);

		printf("  %-14s %10.1f ns/op\n", "memcpy", sb.med);
	}
	for (i = 0; i < nops; i++) {
		struct bench_spread sv = bench_spread(v[i], rounds),
				    sq = bench_spread(q[i], rounds);

		printf("  %-14s %10.1f ns/op  %9.1f kop/s   ratio to memcpy %9.1f (%.1f..%.1f)\n",
		       ops[i].name, sv.med, 1e6 / sv.med, sq.med, sq.min, sq.max);
	}
	/* the same reflect step over 10,000 sessions' keys in turn / one session's keys */
	for (i = 0; i < nops; i++) {
		double m[MAX_ROUNDS];
		unsigned int j;

		if (ops[i].fn != op_reflect_many)
			continue;
		for (j = 0;
		     j < nops && !(ops[j].fn == op_reflect && ops[j].cfg.mode == ops[i].cfg.mode);
		     j++)
			;
		if (j == nops)
			continue;
		for (r = 0; r < rounds; r++)
			m[r] = v[i][r] / v[j][r];
		{
			struct bench_spread sm = bench_spread(m, rounds);

			printf("  %s / %s: %.2f (%.2f..%.2f): the sessions' crypto state is not in "
			       "the caches\n",
			       ops[i].name, ops[j].name, sm.med, sm.min, sm.max);
		}
	}
	{
		struct bench_spread sp = bench_spread(pb, rounds);

		printf("  pbkdf2 count 2048 / count 1024: %.2f (%.2f..%.2f)\n", sp.med, sp.min,
		       sp.max);
	}
	xw_tp_crypto_free(&cr);
	return 0;
}
