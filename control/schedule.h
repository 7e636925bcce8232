/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Send schedules: the gaps between test packets.
 *
 * Two users.  OWAMP (RFC 4656 3.6, 4.1.1): sender and receiver must compute
 * the same send times from the Request-Session's schedule slots and the
 * SID, so the OWAMP schedule (struct xw_ow_sched below, schedule.c) follows
 * RFC 4656 5 exactly: algorithm S fed by the AES counter-mode generator of
 * 5.3 keyed with the SID, the slots executed in a circle.
 *
 * TWAMP leaves the schedule to the Session-Sender (RFC 5357 3.6, 4.1.1),
 * so nothing here has to match the reflector.  We still generate Poisson
 * streams the way OWAMP defines them (RFC 4656 3.6 slot type 0, and the
 * exponential variate of RFC 4656 5.1/5.2, Knuth's algorithm S in 32.32
 * fixed point): integer arithmetic only, so a given seed yields the same
 * gaps on every machine and a run can be replayed with --seed.
 *
 * The uniform source is a seeded splitmix64 (not the AES counter mode of
 * RFC 4656 5.3: that one exists so that an OWAMP receiver can recompute the
 * schedule from the SID, which TWAMP does not need).  Everything is pure
 * and header-only so that unit tests can drive it with their own uniform
 * numbers (tests/unit/test_xwping_sched.c).
 *
 * Send times are absolute: deadline(n) = start + sum of the first n gaps,
 * kept in integer nanoseconds, so that a late wake-up never shifts the
 * packets that follow (no drift).
 */
#ifndef XW_SCHEDULE_H
#define XW_SCHEDULE_H

#include <stdint.h>

enum xw_sched_kind {
	XW_SCHED_POISSON = 0,  /* RFC 4656 3.6 slot type 0: exponential gaps */
	XW_SCHED_PERIODIC = 1, /* RFC 4656 3.6 slot type 1: fixed gaps */
};

/* A source of uniform 32-bit numbers (U of RFC 4656 5.1). */
typedef uint32_t (*xw_uniform_fn)(void *arg);

/* RFC 4656 5.2: Q[k] = sum_{i=1..k} (ln2)^i / i!, k = 1..11, as 32-bit fractions. */
static const uint32_t xw_sched_q[12] = {
	0,	    0xB17217F8, 0xEEF193F7, 0xFD271862, 0xFF9D6DD0, 0xFFF4CFD0,
	0xFFFEE819, 0xFFFFE7FF, 0xFFFFFE2B, 0xFFFFFFE0, 0xFFFFFFFE, 0xFFFFFFFF,
};

/* (u * v) >> 32 on 32.32 fixed-point numbers, exact (RFC 4656 5.2). */
static inline uint64_t xw_fix_mul(uint64_t u, uint64_t v)
{
	return (uint64_t)(((unsigned __int128)u * v) >> 32);
}

/*
 * One exponential variate with mean mu (32.32 fixed point seconds), by
 * RFC 4656 5.1 algorithm S.  Returns the variate in the same format.
 */
static inline uint64_t xw_exp_variate(uint64_t mu, xw_uniform_fn uni, void *arg)
{
	const uint64_t ln2 = xw_sched_q[1];
	uint32_t u = uni(arg);
	uint64_t j = 0, v;
	unsigned int k;

	/* S1: count the leading one bits up to the first zero, shift them and the zero off */
	while (j < 32 && (u & 0x80000000u)) {
		u <<= 1;
		j++;
	}
	if (j == 32) /* no zero bit: prescribed result mu * 32 * ln2 */
		return xw_fix_mul(mu, 32 * ln2);
	u <<= 1; /* the zero itself; j + 1 bits are gone */

	/* S2: immediate acceptance, X = mu * (j * ln2 + U) */
	if (u < ln2)
		return xw_fix_mul(mu, j * ln2 + u);

	/* S3: least k >= 2 with U < Q[k] (Q[k] = 0xFFFFFFFF for k >= 11 ends it) */
	for (k = 2; k < 11 && u >= xw_sched_q[k]; k++)
		;
	v = 0xFFFFFFFFu;
	while (k--) {
		uint32_t w = uni(arg);

		if (w < v)
			v = w;
	}
	/* S4: X = mu * (j + V) * ln2 */
	return xw_fix_mul(mu, xw_fix_mul((j << 32) + v, ln2));
}

/* splitmix64: tiny, seedable, good enough for send-time jitter. */
static inline uint32_t xw_splitmix32(void *arg)
{
	uint64_t *s = arg;
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return (uint32_t)(z >> 32);
}

/* Seconds (double, user input) <-> 32.32 fixed point and nanoseconds. */
static inline uint64_t xw_fix_from_ns(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns << 32) / 1000000000u);
}

static inline uint64_t xw_fix_to_ns(uint64_t fix)
{
	return (uint64_t)(((unsigned __int128)fix * 1000000000u + (1ull << 31)) >> 32);
}

struct xw_sched {
	enum xw_sched_kind kind;
	uint64_t mean;	   /* Poisson mean, 32.32 fixed point s */
	uint64_t gap_ns;   /* periodic gap (and the mean, in ns) */
	uint64_t rng;	   /* splitmix64 state */
	uint64_t start_ns; /* absolute time of the first packet (any clock) */
	uint64_t sum_fix;  /* sum of the gaps handed out so far, 32.32 */
	uint64_t n;	   /* packets scheduled so far */
};

/*
 * Set up a schedule whose first packet is due at start_ns and whose gaps
 * have mean (or fixed value) gap_ns.  seed selects the Poisson stream.
 */
static inline void xw_sched_init(struct xw_sched *s, enum xw_sched_kind kind, uint64_t gap_ns,
				 uint64_t seed, uint64_t start_ns)
{
	s->kind = kind;
	s->mean = xw_fix_from_ns(gap_ns);
	s->gap_ns = gap_ns;
	s->rng = seed;
	s->start_ns = start_ns;
	s->sum_fix = 0;
	s->n = 0;
}

/*
 * Absolute due time of the next packet, then advance.  The first packet is
 * due at start_ns exactly; packet n at start_ns + gap_1 + ... + gap_n.
 * Periodic times are start + n * gap in exact nanoseconds; Poisson gaps are
 * summed in fixed point and converted once, so rounding does not add up.
 */
static inline uint64_t xw_sched_next(struct xw_sched *s)
{
	uint64_t t;

	if (s->kind == XW_SCHED_PERIODIC) {
		t = s->start_ns + s->n * s->gap_ns;
	} else {
		if (s->n)
			s->sum_fix += xw_exp_variate(s->mean, xw_splitmix32, &s->rng);
		t = s->start_ns + xw_fix_to_ns(s->sum_fix);
	}
	s->n++;
	return t;
}

/* ---- OWAMP schedules (RFC 4656 3.6, 5) ------------------------------------ */

struct xw_aes;
struct codec_ow_slot;

/*
 * RFC 4656 5.3 algorithm Unif: AES-128 keyed with the SID, a 16-octet
 * big-endian counter c from 0; for c mod 4 == 0 the block E(c) is made,
 * and word c mod 4 of the last block (high-order octets first) is output.
 */
struct xw_unif {
	struct xw_aes *aes;
	uint64_t c; /* the low 64 bits of the counter: 2^64 numbers suffice */
	uint8_t block[16];
};
int xw_unif_init(struct xw_unif *u, const uint8_t sid[16]);
uint32_t xw_unif_next(void *u); /* an xw_uniform_fn */
void xw_unif_fini(struct xw_unif *u);

/*
 * The send times of one OWAMP-Test session (RFC 4656 3.6): "for a slot of
 * type 0, wait an exponentially distributed time with a mean of the
 * specified parameter and then send a test packet (and proceed to the next
 * slot); for a slot of type 1, wait the specified time and send"; the
 * schedule is circular.  Times are NTP 32.32 (include/xwamp/ntp.h): packet
 * k is sent at start + the sum of the first k + 1 delays, computed in
 * 32.32 fixed point exactly as RFC 4656 5.2 prescribes, so both ends agree
 * to the last bit.
 */
#define XW_OW_SCHED_SLOTS_MAX 65536
struct xw_ow_sched {
	struct xw_unif unif;
	uint64_t *param; /* per slot: 32.32 interval (copied) */
	uint8_t *type;	 /* per slot: 0 exponential, 1 fixed */
	uint32_t nslots;
	uint32_t next;	  /* slot of the next packet */
	uint64_t start;	  /* NTP Start Time of the session */
	uint64_t elapsed; /* 32.32 sum of the delays handed out so far */
	uint32_t seq;	  /* the packet whose time xw_ow_sched_next() returns next */
};
/* 0, -EINVAL (no slot, more than the maximum, a type other than 0/1), -ENOMEM, -EIO. */
int xw_ow_sched_init(struct xw_ow_sched *s, const uint8_t sid[16],
		     const struct codec_ow_slot *slots, uint32_t nslots, uint64_t start);
struct codec_request_session;
/*
 * The schedule of a decoded Request-Session (RFC 4656 3.5, 3.6): its slots
 * and Start Time, the session's @sid (the receiver's, which the request
 * may not carry yet).  As xw_ow_sched_init().
 */
int xw_ow_sched_init_req(struct xw_ow_sched *s, const struct codec_request_session *rq,
			 const uint8_t sid[16]);
/* Send time (NTP) of packet s->seq, then advance to the next packet. */
uint64_t xw_ow_sched_next(struct xw_ow_sched *s);
/* Send time (NTP) of packet @seq from the start (re-runs the schedule; for lost packets). */
uint64_t xw_ow_sched_time_of(struct xw_ow_sched *s, uint32_t seq);
void xw_ow_sched_fini(struct xw_ow_sched *s);

#endif /* XW_SCHEDULE_H */
