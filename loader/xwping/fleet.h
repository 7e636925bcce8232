/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --continuous --metrics: one Prometheus endpoint for every target.
 *
 * Each target is measured by its own process (main.c run_continuous());
 * after every interval it sends what it counted (struct xwping_tally) to
 * the parent over a pipe, one fixed-size message per write (below
 * PIPE_BUF, so messages of several children never interleave).  The
 * parent owns the HTTP endpoint and keeps running sums per target, so that
 * counters are monotonic _totals and histograms cumulative across
 * intervals, whatever the children do.
 */
#ifndef XWPING_FLEET_H
#define XWPING_FLEET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"

enum xwping_fleet_state {
	XWPING_FLEET_MEASURING = 0, /* a session is running */
	XWPING_FLEET_DOWN,	    /* the last attempt failed: waiting to retry */
	XWPING_FLEET_STOPPED,	    /* the target's process ended */
	XWPING_FLEET_NSTATES,
};

/* OWAMP directions (bits of dirs below): to the server (forward), from it (backward) */
#define XWPING_FLEET_FWD 1u
#define XWPING_FLEET_BWD 2u

struct xwping_fleet_msg {
	uint32_t target; /* index in the parent's list */
	uint32_t state;	 /* enum xwping_fleet_state */
	uint32_t done;	 /* 1: an interval ended and tally holds its counts */
	/*
	 * 0: TWAMP, tally[0] holds the interval; OWAMP: XWPING_FLEET_FWD and/or
	 * _BWD, tally[0] the direction to the server, tally[1] the one from it
	 * (one-way delays in hist[1])
	 */
	uint32_t dirs;
	struct xwping_tally tally[2];
};

/* Child side: report to fd (-1: nothing to do). */
void xwping_fleet_report(int fd, unsigned int target, enum xwping_fleet_state st,
			 const struct xwping_tally *t);
/* The same for an OWAMP interval: the directions measured (on[]) and their counts. */
void xwping_fleet_report_ow(int fd, unsigned int target, const struct xwping_tally t[2],
			    const bool on[2]);

/*
 * Parent side: serve metrics on addr for targets t[n] while the children
 * pids[n] run (0: not started), reading their messages from rfd; pass
 * SIGINT/SIGTERM on (they are blocked by the caller, with SIGCHLD).
 * Returns the first child's failure status, or 1 when the endpoint could
 * not be opened (the children are stopped then).  ow_dirs: 0 for TWAMP;
 * for OWAMP the directions measured (XWPING_FLEET_*): the packet counters,
 * clock gauges and delay histograms are then per target and direction
 * (direction="forward": to the server, "backward": from it).
 */
int xwping_fleet_serve(const char *addr, char *const *t, pid_t *pids, unsigned int n, int rfd,
		       unsigned int ow_dirs);

#endif /* XWPING_FLEET_H */
