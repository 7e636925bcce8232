// SPDX-License-Identifier: GPL-2.0-only
/*
 * Wall clock, kernel timestamps -> NTP, and the Error Estimate from the
 * kernel's clock discipline (adjtimex).  See clock.h for the contracts.
 */
#include <sys/timex.h>
#include <time.h>

#include "clock.h"
#include "xwamp/ntp.h"

__u64 xw_clock_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts))
		return 0;
	return xw_timespec_to_ns(&ts);
}

__u64 xw_clock_now_ntp(void)
{
	return xw_ns_to_ntp(xw_clock_now_ns());
}

__u64 xw_timespec_to_ns(const struct timespec *ts)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)XW_NSEC_PER_SEC)
		return 0;
	return (__u64)ts->tv_sec * XW_NSEC_PER_SEC + (__u64)ts->tv_nsec;
}

__u64 xw_timespec_to_ntp(const struct timespec *ts)
{
	__u64 ns = xw_timespec_to_ns(ts);

	/* 0 stays 0: "no timestamp" must not become 1970 in NTP. */
	return ns ? xw_ns_to_ntp(ns) : 0;
}

/*
 * The kernel's word on synchronization: TIME_ERROR means the clock is not
 * (or no longer) disciplined, STA_UNSYNC is what ntpd/chrony clear once they
 * lock to a source.  Both must agree before S may be set (RFC 4656 4.1.2).
 */
static int timex_synced(int state, const struct timex *tx)
{
	return state >= 0 && tx && state != TIME_ERROR && !(tx->status & STA_UNSYNC);
}

__u64 xw_clock_err_ns_from_timex(int state, const struct timex *tx, long res_ns)
{
	__u64 res = res_ns > 0 ? (__u64)res_ns : 1;
	__u64 err;

	if (timex_synced(state, tx)) {
		/* Synchronized: the discipline's own estimate (us). */
		err = tx->esterror > 0 ? (__u64)tx->esterror * 1000 : 0;
		return err + res;
	}
	/*
	 * Not synchronized (or adjtimex failed): esterror means nothing then.  maxerror is the
	 * kernel's bound (set to 16 s by whoever declared the clock unsynced,
	 * growing 500 ppm per second); never claim less than 1 s, because a
	 * free-running clock that nobody ever set can be off by any amount.
	 */
	err = tx && tx->maxerror > 0 ? (__u64)tx->maxerror * 1000 : 0;
	if (err < XW_CLOCK_UNSYNC_MIN_NS)
		err = XW_CLOCK_UNSYNC_MIN_NS;
	return err + res;
}

__u16 xw_clock_errest_from_timex(int state, const struct timex *tx, long res_ns)
{
	return xw_errest_encode(xw_clock_err_ns_from_timex(state, tx, res_ns),
				timex_synced(state, tx));
}

static void clock_refresh(struct xw_clock *c, __u64 now_ns)
{
	struct timex tx = {0}; /* modes 0: read only */
	int state = adjtimex(&tx);

	c->errest = xw_clock_errest_from_timex(state, state < 0 ? NULL : &tx, c->res_ns);
	c->refreshed_ns = now_ns ? now_ns : 1;
}

int xw_clock_init(struct xw_clock *c)
{
	struct timespec res;

	*c = (struct xw_clock){0};
	if (clock_getres(CLOCK_REALTIME, &res) || res.tv_sec || res.tv_nsec <= 0)
		c->res_ns = 1; /* hrtimers: 1 ns is what Linux reports anyway */
	else
		c->res_ns = res.tv_nsec;
	clock_refresh(c, xw_clock_now_ns());
	return 0;
}

__u16 xw_clock_errest(struct xw_clock *c, __u64 now_ns)
{
	if (!c->refreshed_ns || now_ns < c->refreshed_ns ||
	    now_ns - c->refreshed_ns >= XW_NSEC_PER_SEC)
		clock_refresh(c, now_ns);
	return c->errest;
}
