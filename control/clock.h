/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The wall clock as O/TWAMP needs it: CLOCK_REALTIME in nanoseconds, kernel
 * timestamps (struct timespec from SO_TIMESTAMPNS / SO_TIMESTAMPING) in the
 * 64-bit NTP format, and an honest Error Estimate (RFC 4656 4.1.2) taken
 * from the kernel's clock discipline state (adjtimex).
 *
 * Every conversion to NTP goes through include/xwamp/ntp.h, the same code the
 * XDP program uses, so timestamps from the driver and from a socket path can
 * never disagree (doc/design.md decision 4).
 */
#ifndef XW_CLOCK_H
#define XW_CLOCK_H

#include <sys/timex.h>
#include <time.h>

#include "xwamp/types.h"

/* CLOCK_REALTIME as Unix nanoseconds. */
__u64 xw_clock_now_ns(void);
/* CLOCK_REALTIME as an NTP 64-bit timestamp (xw_ns_to_ntp()). */
__u64 xw_clock_now_ntp(void);
/*
 * A struct timespec of CLOCK_REALTIME (e.g. a kernel receive timestamp from
 * SCM_TIMESTAMPNS or the software stamp of SCM_TIMESTAMPING) -> NTP.
 * Negative or out-of-range fields (tv_nsec >= 1e9) give 0, "no timestamp".
 */
__u64 xw_timespec_to_ntp(const struct timespec *ts);
/* Unix nanoseconds of a struct timespec; 0 for an invalid one as above. */
__u64 xw_timespec_to_ns(const struct timespec *ts);

/*
 * Error Estimate from the kernel clock state, as a pure function so that it
 * can be tested with synthetic values:
 *   state  the return value of adjtimex()/ntp_adjtime() (TIME_OK ...
 *          TIME_ERROR), or negative when the call failed;
 *   tx     the struct timex it filled (NULL when the call failed);
 *   res_ns the resolution of CLOCK_REALTIME (clock_getres()).
 * S is set only when the kernel says the clock is synchronized: state is
 * not TIME_ERROR and STA_UNSYNC is clear (RFC 4656 4.1.2: S only with an
 * external source).  The error is then esterror (microseconds) + res_ns.
 * Otherwise the error is maxerror (the kernel's upper bound, which it grows
 * by 500 ppm while nobody disciplines the clock) + res_ns, and never less
 * than XW_CLOCK_UNSYNC_MIN_NS: an unsynchronized clock has no meaningful
 * small error.  Multiplier is never 0 (xw_errest_encode()).
 * Note: xw_errest_encode() saturates at about 4.29 s, so large bounds are
 * reported as ~4.29 s.
 */
#define XW_CLOCK_UNSYNC_MIN_NS 1000000000ULL /* 1 s */
__u16 xw_clock_errest_from_timex(int state, const struct timex *tx, long res_ns);
/* The error in nanoseconds that the function above encodes (for logging). */
__u64 xw_clock_err_ns_from_timex(int state, const struct timex *tx, long res_ns);

/*
 * A cached Error Estimate.  adjtimex() is a system call; the estimate
 * changes slowly, so it is refreshed at most once per second of the
 * caller's clock ("now_ns" is what the caller already read, so no extra
 * clock read happens on the packet path).  Not thread-safe: one per thread.
 */
struct xw_clock {
	__u64 refreshed_ns; /* now_ns of the last refresh; 0: never */
	long res_ns;	    /* clock_getres(CLOCK_REALTIME) */
	__u16 errest;	    /* cached Error Estimate */
	__u16 pad[3];
};
/* Reads the clock resolution and the first estimate.  Returns 0. */
int xw_clock_init(struct xw_clock *c);
/* The Error Estimate, refreshed when now_ns is >= 1 s past the last refresh
 * (or earlier than it: the clock was stepped back). */
__u16 xw_clock_errest(struct xw_clock *c, __u64 now_ns);

#endif /* XW_CLOCK_H */
