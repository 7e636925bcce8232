/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny HTTP/1.0 responder for Prometheus scrapes (GET /metrics), inside
 * the program's epoll loop (loop.h): nonblocking, never stalls the loop.
 *
 * It answers whoever can reach its address with the program's counters:
 * bind it to a management address (--metrics ADDR:PORT, off by default).
 *
 * Defences: at most XW_HTTPM_CONNS connections (a new one evicts the
 * oldest), a request is at most XW_HTTPM_REQ_MAX octets (else 431 and
 * close), and each connection lives at most XW_HTTPM_DEADLINE_MS from
 * accept to the last octet of the answer (a slow client is closed), so a
 * slowloris client holds a slot for a bounded time and never the loop.
 */
#ifndef XW_HTTPM_H
#define XW_HTTPM_H

#include <stdio.h>

#include "loop.h"

#define XW_HTTPM_CONNS	     8
#define XW_HTTPM_REQ_MAX     2048
#define XW_HTTPM_DEADLINE_MS 5000

/* Writes the exposition text (Prometheus text format 0.0.4) to f. */
typedef void (*xw_httpm_render_fn)(void *arg, FILE *f);

struct xw_httpm;

/*
 * Listen on addr ("ADDR:PORT", "[V6]:PORT") in loop l.  Returns 0 with
 * *out set, or -errno after a log line naming the address.
 */
int xw_httpm_open(struct xw_loop *l, const char *addr, xw_httpm_render_fn fn, void *arg,
		  struct xw_httpm **out);
/* Close the listener and every connection (NULL is fine). */
void xw_httpm_close(struct xw_httpm *h);

/* The "# HELP" and "# TYPE" lines of a metric family. */
void xw_prom_help(FILE *f, const char *name, const char *type, const char *help);

#endif /* XW_HTTPM_H */
