/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Time in the O/TWAMP wire formats: the 64-bit NTP timestamp (RFC 4656
 * 4.1.2, RFC 1305: seconds since 1900-01-01 and a 32-bit binary fraction)
 * and the 16-bit Error Estimate (S, Z, Scale, Multiplier).
 *
 * One header for the XDP program and userspace alike, so that timestamps
 * written in the driver and in a socket path can never be converted
 * differently (doc/design.md decision 4).  No division by a variable:
 * the BPF backend has none for 64-bit signed values and it is slow.
 */
#ifndef XWAMP_NTP_H
#define XWAMP_NTP_H

#include "xwamp/types.h"

/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch). */
#define XW_NTP_UNIX_OFFSET 2208988800ULL
#define XW_NSEC_PER_SEC	   1000000000ULL

/*
 * Unix time in nanoseconds -> NTP 64-bit timestamp.  The fraction is
 * ns * 2^32 / 1e9, rounded down; (ns << 32) fits in 64 bits because
 * ns < 1e9 < 2^30.  Era rollover (2036) is the usual modulo-2^32 wrap.
 */
XW_INLINE __u64 xw_ns_to_ntp(__u64 unix_ns)
{
	__u64 sec = unix_ns / XW_NSEC_PER_SEC;
	__u64 ns = unix_ns - sec * XW_NSEC_PER_SEC;
	__u64 frac = (ns << 32) / XW_NSEC_PER_SEC;

	return ((sec + XW_NTP_UNIX_OFFSET) << 32) | (frac & 0xffffffffULL);
}

/*
 * NTP 64-bit timestamp -> Unix time in nanoseconds, rounded to nearest.
 * Timestamps before 1970 are taken as era 1 (after 2036).
 */
XW_INLINE __u64 xw_ntp_to_ns(__u64 ntp)
{
	__u64 sec = ntp >> 32;
	__u64 frac = ntp & 0xffffffffULL;

	if (sec < XW_NTP_UNIX_OFFSET)
		sec += 1ULL << 32;
	return (sec - XW_NTP_UNIX_OFFSET) * XW_NSEC_PER_SEC +
	       ((frac * XW_NSEC_PER_SEC + (1ULL << 31)) >> 32);
}

/* Error Estimate (RFC 4656 4.1.2): S bit, Z must be zero, 6-bit Scale, 8-bit Multiplier. */
#define XW_ERREST_S 0x8000
#define XW_ERREST_Z 0x4000

/*
 * Encode an error of err_ns nanoseconds as Multiplier * 2^(Scale-32) s,
 * rounded up so the estimate is never smaller than the error, Multiplier
 * never zero (RFC 4656 4.1.2 forbids it).
 */
XW_INLINE __u16 xw_errest_encode(__u64 err_ns, int synced)
{
	__u64 sec = err_ns / XW_NSEC_PER_SEC;
	__u64 rem = err_ns - sec * XW_NSEC_PER_SEC;
	__u64 units;
	__u32 scale = 0;
	int i;

	/* 2^31 s (68 years) keeps sec << 32 inside 64 bits */
	if (sec > 0x7fffffffULL)
		sec = 0x7fffffffULL;
	/* err in units of 2^-32 s, rounded up (rem << 32 fits: rem < 2^30) */
	units = (sec << 32) + (rem << 32) / XW_NSEC_PER_SEC + 1;
	/* bounded loop for the verifier: at most 63 shifts */
	for (i = 0; i < 63 && units > 0xff; i++) {
		units = (units + 1) >> 1;
		scale++;
	}
	return (synced ? XW_ERREST_S : 0) | (__u16)((scale & 0x3f) << 8) | (__u16)units;
}

/* Decode to nanoseconds (saturating); 0 means "Multiplier zero: corrupt". */
XW_INLINE __u64 xw_errest_to_ns(__u16 ee)
{
	__u64 mult = ee & 0xff;
	__u32 scale = (ee >> 8) & 0x3f;
	__u64 ns = mult * XW_NSEC_PER_SEC; /* < 2^38 */

	if (!mult)
		return 0;
	/* ns * 2^scale / 2^32, without letting the product pass 2^64 */
	if (scale <= 24)
		return (ns << scale) >> 32;
	if (scale <= 32)
		return ns >> (32 - scale);
	if (scale - 32 >= 26)
		return ~0ULL;
	return ns << (scale - 32);
}

XW_INLINE int xw_errest_synced(__u16 ee)
{
	return !!(ee & XW_ERREST_S);
}

#endif /* XWAMP_NTP_H */
