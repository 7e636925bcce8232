/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A server and a client state machine talking without sockets: everything
 * each queues goes to the other until neither has anything left; a closed
 * server gives the client EOF.  The octets of each direction are recorded
 * (up to the buffers' size, counted beyond) and the client's events kept.
 */
#ifndef XW_TEST_CONVPUMP_H
#define XW_TEST_CONVPUMP_H

#include <string.h>

#include "cli.h"
#include "srv.h"

struct convpump {
	uint8_t *c2s, *s2c;
	size_t cap_c2s, cap_s2c;
	size_t *nc2s, *ns2c;
	struct cli_event *ev;
	int cap_ev, *nev;
};

static inline void convpump_run(struct srv *srv, struct cli *cli, const struct convpump *w,
				uint64_t now)
{
	const uint8_t *p;
	size_t n;
	int moved;
	struct cli_event ev;

	do {
		moved = 0;
		while ((p = cli_out_peek(cli, &n)) && n) {
			if (*w->nc2s + n <= w->cap_c2s)
				memcpy(w->c2s + *w->nc2s, p, n);
			*w->nc2s += n;
			if (!srv_closed(srv))
				srv_feed(srv, p, n, now);
			cli_out_consume(cli, n);
			moved = 1;
		}
		while ((p = srv_out_peek(srv, &n)) && n) {
			if (*w->ns2c + n <= w->cap_s2c)
				memcpy(w->s2c + *w->ns2c, p, n);
			*w->ns2c += n;
			if (!cli_closed(cli))
				cli_feed(cli, p, n);
			srv_out_consume(srv, n);
			moved = 1;
		}
		if (srv_closed(srv) && !cli_closed(cli)) {
			cli_eof(cli);
			moved = 1;
		}
		while (cli_event(cli, &ev))
			if (*w->nev < w->cap_ev)
				w->ev[(*w->nev)++] = ev;
	} while (moved);
}

/*
 * Request, start, stop one TWAMP session on port; 0 when the server's test
 * AES key (srv_aes, as its sess_request saw it) is the client's, -1..-4
 * for the step that failed.
 */
static inline int convpump_session(struct srv *srv, struct cli *cli, const struct convpump *w,
				   uint64_t now, uint16_t port, const uint8_t *srv_aes)
{
	struct twsess_params p = {.ipvn = 4, .sender_port = port, .receiver_port = port};
	const struct cli_sess *cs;
	int idx;

	p.timeout = 1ULL << 32;
	p.padding_len = 64;
	idx = cli_request(cli, &p);
	if (idx < 0)
		return -1;
	cli_start(cli);
	convpump_run(srv, cli, w, now);
	cs = cli_sess(cli, idx);
	if (!cs || !cs->answered || cs->accept != XW_ACCEPT_OK || !cs->started)
		return -2;
	if (cs->has_keys && memcmp(cs->keys.aes, srv_aes, XW_AES_KEY_LEN))
		return -3;
	cli_stop(cli, XW_ACCEPT_OK);
	convpump_run(srv, cli, w, now);
	if (srv_closed(srv) || cli_closed(cli) || srv_nactive(srv))
		return -4;
	return 0;
}

/* The Accept of the Server-Start among the client's events, -1 when none came. */
static inline int convpump_server_start(const struct cli_event *ev, int nev)
{
	for (int i = 0; i < nev; i++)
		if (ev[i].type == CLI_EV_SERVER_START)
			return ev[i].accept;
	return -1;
}

/* The pump of a struct with members c2s, s2c, nc2s, ns2c, ev, nev (arrays). */
#define CONVPUMP_OF(c)                                                                         \
	((struct convpump){(c)->c2s, (c)->s2c, sizeof((c)->c2s), sizeof((c)->s2c), &(c)->nc2s, \
			   &(c)->ns2c, (c)->ev, (int)(sizeof((c)->ev) / sizeof((c)->ev[0])),   \
			   &(c)->nev})

#endif /* XW_TEST_CONVPUMP_H */
