// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwampd's Prometheus exposition (--metrics ADDR:PORT, loader/lib/httpm.h):
 * what SIGUSR1 logs, as metrics.  Names follow the Prometheus conventions
 * (xwampd_ prefix, base units, _total for counters, labels rather than one
 * name per value).
 */
#include <stdio.h>

#include "httpm.h"
#include "xwampd.h"

void xwd_metrics_render(void *arg, FILE *f)
{
	struct xwd *d = arg;

	xw_prom_help(f, "xwampd_control_connections", "gauge",
		     "open TWAMP/OWAMP-Control connections");
	fprintf(f, "xwampd_control_connections %u\n", d->nconns);
	xw_prom_help(f, "xwampd_control_connections_total", "counter",
		     "control connections accepted since start");
	fprintf(f, "xwampd_control_connections_total %llu\n", (unsigned long long)d->conns_total);
	xwd_refl_metrics(d, f);
	xwd_xdp_metrics(d->xdp, f);
}
