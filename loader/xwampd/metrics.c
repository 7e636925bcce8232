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

/* RFC 4656 3.3 Accept values by name; the last slot is "any other value". */
static void accepts(FILE *f, const char *msg, const uint64_t *v, int help)
{
	static const char *const names[SRV_ACCEPT_CODES] = {
		"ok",
		"failure",
		"internal",
		"not_supported",
		"permanent_limit",
		"temporary_limit",
		"no_ike_sa",
		"other",
	};
	int k;

	if (help)
		xw_prom_help(
			f, "xwampd_accept_total", "counter",
			"Accept codes sent (RFC 4656 3.3, RFC 7717 5.3), by message (Server-Start, "
			"Accept-Session, Start-Ack, OWAMP Fetch-Ack and Stop-Sessions) and value");
	for (k = 0; k < SRV_ACCEPT_CODES; k++)
		fprintf(f,
			"xwampd_accept_total{message=\"%s\",accept=\"%d\",meaning=\"%s\"} %llu\n",
			msg, k < SRV_ACCEPT_CODES - 1 ? k : -1, names[k], (unsigned long long)v[k]);
}

void xwd_metrics_render(void *arg, FILE *f)
{
	struct xwd *d = arg;

	xw_prom_help(f, "xwampd_control_connections", "gauge",
		     "open TWAMP/OWAMP-Control connections");
	fprintf(f, "xwampd_control_connections %u\n", d->nconns);
	xw_prom_help(f, "xwampd_control_connections_total", "counter",
		     "control connections accepted since start");
	fprintf(f, "xwampd_control_connections_total %llu\n", (unsigned long long)d->conns_total);
	accepts(f, "server_start", d->accepts.server_start, 1);
	accepts(f, "accept_session", d->accepts.accept_session, 0);
	accepts(f, "start_ack", d->accepts.start_ack, 0);
	accepts(f, "fetch_ack", d->accepts.fetch_ack, 0);
	accepts(f, "stop_sessions", d->accepts.stop_sessions, 0);
	xwd_refl_metrics(d, f);
	xwd_xdp_metrics(d->xdp, f);
	xwd_xsk_metrics(d->xsk, f);
}
