// SPDX-License-Identifier: GPL-2.0-only
/* The session registry and the reflect step (sess.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "sess.h"

#define XWD_NPORTS 65536u

static const char *const drop_names[XWD_DROP_MAX] = {
	[XWD_DROP_OVERSIZE] = "oversize",
	[XWD_DROP_NOT_STARTED] = "not-started",
	[XWD_DROP_LATE] = "late",
	[XWD_DROP_SOURCE] = "wrong-source",
	[XWD_DROP_BAD_SOURCE] = "bad-source",
	[XWD_DROP_NOT_LOCAL] = "not-our-address",
	[XWD_DROP_NO_TS] = "no-timestamp",
	[XWD_DROP_SEND] = "send-failed",
	[XWD_DROP_NOT_PROTECTED] = "not-protected",
	[XWD_DROP_NOROOM] = "no-room",
	[XWD_DROP_TXFULL] = "tx-ring-full",
	[XWD_DROP_OUTSIDE_TUNNEL] = "outside-tunnel",
	[XWD_DROP_STORE_FULL] = "store-full",
};

const char *xwd_drop_name(enum xwd_drop d)
{
	if ((int)d < (int)XW_TP_DROP_MAX)
		return xw_tp_drop_name((enum xw_tp_drop)d);
	return (unsigned int)d < XWD_DROP_MAX ? drop_names[d] : "?";
}

uint64_t xwd_cnt_drops(const struct xwd_cnt *c, char *buf, size_t len)
{
	uint64_t total = 0;
	size_t off = 0;
	int i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < XWD_DROP_MAX; i++) {
		if (!c->drop[i])
			continue;
		total += c->drop[i];
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, " %s=%llu",
						xwd_drop_name((enum xwd_drop)i),
						(unsigned long long)c->drop[i]);
	}
	return total;
}

int xwd_reg_add(struct xwd_reg *g, struct xwd_sess *s)
{
	if (!g->by_port) {
		g->by_port = calloc(XWD_NPORTS, sizeof(*g->by_port));
		if (!g->by_port)
			return -ENOMEM;
	}
	if (g->by_port[s->port])
		return g->by_port[s->port] == s ? 0 : -EADDRINUSE;
	g->by_port[s->port] = s;
	g->n++;
	g->n_kind[s->kind]++;
	return 0;
}

void xwd_reg_del(struct xwd_reg *g, struct xwd_sess *s)
{
	if (!g->by_port || g->by_port[s->port] != s)
		return;
	g->by_port[s->port] = NULL;
	g->n--;
	g->n_kind[s->kind]--;
}

void xwd_reg_free(struct xwd_reg *g)
{
	free(g->by_port);
	g->by_port = NULL;
	g->n = 0;
}

void xwd_reg_each(struct xwd_reg *g, enum xwd_sess_kind kind,
		  void (*fn)(struct xwd_sess *s, void *arg), void *arg)
{
	unsigned int p;

	for (p = 0; g->by_port && g->n_kind[kind] && p < XWD_NPORTS; p++) {
		struct xwd_sess *s = g->by_port[p];

		if (s && s->kind == kind)
			fn(s, arg);
	}
}

int xwd_sess_reflect(struct xwd_sess *s, struct xwd_cnt *cnt, const struct xwd_pkt *in,
		     uint8_t *out, size_t cap, enum xwd_drop *why)
{
	enum xwd_drop d;
	struct xw_tp_refl r;
	int len;

	/* --require-ipsec and the SA or policy is gone: this session stopped */
	if (s->path == XFRM_PATH_NONE) {
		d = XWD_DROP_NOT_PROTECTED;
		goto drop;
	}
	if (s->state == XWD_SESS_ACCEPTED) {
		d = XWD_DROP_NOT_STARTED;
		goto drop;
	}
	s->last_rx_ns = in->mono_ns;
	if (s->state == XWD_SESS_DRAIN && in->mono_ns > s->drain_until) {
		d = XWD_DROP_LATE;
		goto drop;
	}
	r.seq = s->seq;
	r.rx_ts = in->rx_ntp;
	r.errest = in->errest;
	r.sender_ttl = in->ttl;
	/* encrypted: T3 is sealed with the packet, so taken now (RFC 5357 4.2.1) */
	r.tx_ts = s->tp.mode == XW_TP_ENC ? xw_clock_now_ntp() : in->rx_ntp;
	len = xw_tp_reflect(&s->tp, &s->crypto, in->buf, in->len, s->expect_len, &r, out, cap,
			    NULL);
	if (len < 0) {
		d = (enum xwd_drop)xw_tp_drop_reason(len);
		goto drop;
	}
	s->seq++;
	return len;
drop:
	cnt->drop[d]++;
	if (why)
		*why = d;
	return -1;
}
