/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A picture of a run (xwping --svg FILE): a standalone SVG that any
 * browser shows, no script and no external resource.  One panel per
 * session (TWAMP) or direction (OWAMP), one under the other.  In each, top:
 * delay over time per direction (round trip, forward, backward; or the
 * one-way delay; one dot per first-copy reply or packet at its send time,
 * in <g class="rtt|fwd|bwd">), lost packets as red ticks under the time
 * axis (<g class="lost">).  Bottom: the round-trip (one-way) delay
 * distribution (a histogram).  One-way values are marked "unsync" when the
 * clocks said so.
 */
#ifndef XW_SVG_H
#define XW_SVG_H

#include <stdio.h>

#include "stats.h"

/* One panel. */
struct xw_svg_part {
	const struct xw_stats_session *s;
	const char *label; /* its heading (escaped here), NULL: none */
	/*
	 * 0: a TWAMP session (round trip, forward, backward); 1, 2: an OWAMP
	 * direction (to the server, drawn as forward; from it, as backward)
	 * from xw_stats_from_owamp()
	 */
	int oneway;
};

/* title: one line of text (escaped here).  Returns 0, -EIO. */
int xw_svg_run(FILE *f, const char *title, const struct xw_svg_part *parts, size_t n);
/* A run of one session, no panel heading. */
int xw_svg_session(FILE *f, const struct xw_stats_session *s, const char *title);

#endif /* XW_SVG_H */
