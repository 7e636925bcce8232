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

#include <stdint.h>
#include <sys/types.h>

#include "client.h"

enum xwping_fleet_state {
	XWPING_FLEET_MEASURING = 0, /* a session is running */
	XWPING_FLEET_DOWN,	    /* the last attempt failed: waiting to retry */
	XWPING_FLEET_STOPPED,	    /* the target's process ended */
	XWPING_FLEET_NSTATES,
};

struct xwping_fleet_msg {
	uint32_t target; /* index in the parent's list */
	uint32_t state;	 /* enum xwping_fleet_state */
	uint32_t done;	 /* 1: an interval ended and tally holds its counts */
	struct xwping_tally tally;
};

/* Child side: report to fd (-1: nothing to do). */
void xwping_fleet_report(int fd, unsigned int target, enum xwping_fleet_state st,
			 const struct xwping_tally *t);

/*
 * Parent side: serve metrics on addr for targets t[n] while the children
 * pids[n] run (0: not started), reading their messages from rfd; pass
 * SIGINT/SIGTERM on (they are blocked by the caller, with SIGCHLD).
 * Returns the first child's failure status, or 1 when the endpoint could
 * not be opened (the children are stopped then).
 */
int xwping_fleet_serve(const char *addr, char *const *t, pid_t *pids, unsigned int n, int rfd);

#endif /* XWPING_FLEET_H */
