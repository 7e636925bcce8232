/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A picture of one session (xwping --svg FILE): a standalone SVG that any
 * browser shows, no script and no external resource.  Top: delay over time
 * per direction (round trip, forward, backward; one dot per first-copy
 * reply at its send time), lost packets as red ticks under the time axis.
 * Bottom: the round-trip delay distribution (a histogram).  Forward and
 * backward are marked "unsync" when the clocks said so.
 */
#ifndef XW_SVG_H
#define XW_SVG_H

#include <stdio.h>

#include "stats.h"

/* title: one line of text (escaped here).  Returns 0, -EIO, -ENOMEM. */
int xw_svg_session(FILE *f, const struct xw_stats_session *s, const char *title);

#endif /* XW_SVG_H */
