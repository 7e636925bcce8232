// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwping as an OWAMP client (RFC 4656): Control-Client, Session-Sender
 * (to the server, -t), Session-Receiver (from the server, -f) and
 * Fetch-Client.  The control conversation is the sans-I/O Control-Client
 * (control/cli.h, CLI_PROTO_OWAMP: the handshake TWAMP uses, then OWAMP's
 * commands) over a non-blocking socket:
 *
 *   greeting -> Set-Up-Response -> Server-Start           (RFC 4656 3.1)
 *   Request-Session for each direction -> Accept-Session   (3.5)
 *   Start-Sessions -> Start-Ack                            (3.7)
 *   send on the schedule of 3.6/5 and receive, for the last packet's
 *   scheduled time + Timeout (--wait)
 *   Stop-Sessions <-> the server's Stop-Sessions           (3.8)
 *   Fetch-Session of what the server received -> data      (3.9)
 *
 * SIGINT/SIGTERM come through a signalfd watched by every wait: during the
 * test they end it at once with Stop-Sessions (Next Seqno = the packets
 * sent so far, 3.8), the data is fetched and the report printed marked as
 * interrupted; before the test (or a second signal) they end the run
 * without a report.  The caller exits 128 + the signal.
 *
 * No copy of the protocol here: the control machine is control/cli.c, the
 * schedule is control/schedule.h (the
 * server computes the same one), the one-way statistics control/stats.h.
 * Receive timestamps are the kernel's (SO_TIMESTAMPNS); the sender's
 * timestamp is read just before each packet leaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "clock.h"
#include "codec.h"
#include "crypto.h"
#include "keyfile.h"
#include "keysrc.h"
#include "log.h"
#include "modes.h"
#include "net.h"
#include "schedule.h"
#include "stats.h"
#include "testpkt.h"
#include "owclient.h"
#include "report.h"
#include "svg.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

#define OW_SKIPS_MAX 64
#define NS	     1000000000ull

struct ow_dir {
	bool on;
	int idx; /* the cli session */
	struct codec_ow_slot slot;
	bool to_server; /* we send (the server receives) */
	uint8_t sid[XW_SID_LEN];
	uint16_t port;		  /* the server's test port */
	char addr[XW_ADDRSTRLEN]; /* the server's test address and port (--live) */
	int fd;
	struct xw_addr local;
	struct xw_ow_sched sched;
	struct xw_tp_crypto crypto;
	bool has_crypto;
	/* results */
	struct codec_ow_record *rec;
	size_t nrec, caprec;
	uint32_t next_seqno;
	/*
	 * Packets 0 .. decided - 1 have a record (received or lost); a stop
	 * before the end leaves the last Timeout's packets undecided (RFC 4656
	 * 3.8: their records are discarded), and they are not counted.
	 */
	uint32_t decided;
	struct codec_ow_skip skips[OW_SKIPS_MAX];
	uint32_t nskips;
	uint64_t forged, dropped;
};

struct ow_cli {
	const struct xwping_cfg *cfg;
	int fd;
	struct cli *cli;
	uint32_t mode;
	uint32_t server_modes;
	bool no_open; /* open mode removed: a key is in use */
	/* what the control events said so far */
	bool ready, answered, started, stopped, fetched, closed;
	int sfd;	  /* SIGINT/SIGTERM (signalfd), -1: none */
	bool tested;	  /* test packets went out: a signal now stops, then reports */
	bool interrupted; /* by signal signo */
	int signo;
	unsigned int nreq, naccept;
	int err;
	struct xw_clock clock;
	struct xw_addr local, peer;
	struct xw_tp_cfg tp;
	size_t pkt_len;
	struct ow_dir dir[2];	  /* [0] to the server, [1] from it */
	const struct xw_key *ike; /* RFC 7717 key and SPIs KeyID (--owamp-ikev2), NULL: none */
	/* --live: a line per packet received (-f) or sent (-t only), or one per second */
	bool live_per_second;
	uint64_t live_t0, live_next; /* monotonic ns: the first packet, the next line */
	struct xwping_live live;     /* one-way delays since the last line */
	char srv[XW_ADDRSTRLEN];     /* the server as given, with its port */
	bool said;		     /* an error was explained: no generic line after it */
};

/* Above this many packets per second (both directions), --live prints one line per second. */
#define OW_LIVE_MAX_RATE 10.0

/* An error line that explains what went wrong (one per cause: no generic line follows). */
__attribute__((format(printf, 2, 3))) static void say(struct ow_cli *c, const char *fmt, ...)
{
	va_list ap;

	c->said = true;
	va_start(ap, fmt);
	xw_vlog(XW_LOG_ERR, fmt, ap);
	va_end(ap);
}

/* --- control I/O: the cli machine over a non-blocking socket -------------------- */

/* The machine's queued bytes onto the socket, as far as it takes them. */
static void ctl_flush(struct ow_cli *c)
{
	const uint8_t *p;
	size_t n;

	while ((p = cli_out_peek(c->cli, &n)) && n) {
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				cli_eof(c->cli);
			return;
		}
		cli_out_consume(c->cli, (size_t)k);
	}
}

/* What the server sent, fed to the machine; its EOF too. */
static void ctl_read(struct ow_cli *c)
{
	uint8_t buf[4096];

	while (!cli_closed(c->cli)) {
		ssize_t k = recv(c->fd, buf, sizeof(buf), 0);

		if (k > 0) {
			cli_feed(c->cli, buf, (size_t)k);
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			cli_eof(c->cli);
		break;
	}
	xw_wipe(buf, sizeof(buf));
}

static void ctl_closed(struct ow_cli *c, enum cli_close why)
{
	c->closed = true;
	if (c->err)
		return;
	switch (why) {
	case CLI_CLOSE_MODES0:
		say(c, "the server does not wish to communicate (Modes 0)");
		c->err = -ECONNREFUSED;
		break;
	case CLI_CLOSE_NO_MODE:
		if ((c->server_modes & XW_MODE_OPEN) && c->no_open)
			say(c,
			    "the server offers modes 0x%x, only unauthenticated mode of those "
			    "we "
			    "allow: refusing to fall back to open mode with a key (the greeting "
			    "is not authenticated); -A open allows it",
			    c->server_modes);
		else
			say(c, "the server offers modes 0x%x, none we may use: Mode 0",
			    c->server_modes);
		c->err = -ECONNREFUSED;
		break;
	case CLI_CLOSE_COUNT:
		say(c, "greeting Count above --max-count %u (RFC 5357 6)", c->cfg->max_count);
		c->err = -ECONNREFUSED;
		break;
	case CLI_CLOSE_REFUSED:
		c->err = -EACCES; /* said with the event that refused */
		break;
	case CLI_CLOSE_PEER:
	case CLI_CLOSE_TRUNCATED:
		say(c, "the server closed the control connection (%s)", cli_close_name(why));
		c->err = -ECONNRESET;
		break;
	default:
		say(c, "control connection closed: %s", cli_close_name(why));
		c->err = -EPROTO;
		break;
	}
}

/* The machine's events into our state; an error is said once, with what to check. */
static void ctl_events(struct ow_cli *c)
{
	struct cli_event ev;

	while (cli_event(c->cli, &ev)) {
		switch (ev.type) {
		case CLI_EV_NONE:
			break;
		case CLI_EV_GREETING:
			c->server_modes = ev.modes;
			if (c->ike && !(ev.modes & XW_MODE_IKEV2_DERIV))
				pr_warn("the server does not offer IKEv2-derived keys on OWAMP "
					"(Modes 0x%x): %s",
					ev.modes, c->cfg->keyid ? "passphrase" : "no key");
			break;
		case CLI_EV_SERVER_START:
			if (ev.accept == XW_ACCEPT_FAILURE &&
			    (ev.modes & XW_MODE_SECURITY_MASK) != XW_MODE_OPEN) {
				xwping_say_key_refused(c->cfg, c->srv, ev.modes);
				c->said = true;
			} else if (ev.accept != XW_ACCEPT_OK)
				say(c, "control %s: server refused the connection: Accept %u (%s)",
				    c->srv, ev.accept, xwping_accept_str(ev.accept));
			else
				c->ready = true;
			break;
		case CLI_EV_ACCEPT:
			c->answered = ++c->naccept >= c->nreq;
			if (ev.accept != XW_ACCEPT_OK && !c->err) {
				say(c, "Request-Session (%s the server): Accept %u",
				    c->dir[0].on && ev.sess == c->dir[0].idx ? "to" : "from",
				    ev.accept);
				c->err = -EACCES;
			}
			break;
		case CLI_EV_STARTED:
			c->started = true;
			if (ev.accept != XW_ACCEPT_OK && !c->err) {
				say(c, "Start-Ack: Accept %u", ev.accept);
				c->err = -EACCES;
			}
			break;
		case CLI_EV_STOPPED:
			c->stopped = true;
			if (ev.accept != XW_ACCEPT_OK && !c->err) {
				say(c, "the server stops with Accept %u: results are invalid",
				    ev.accept);
				c->err = -EBADMSG;
			}
			break;
		case CLI_EV_FETCHED:
			c->fetched = true;
			if (ev.accept != XW_ACCEPT_OK && !c->err) {
				say(c, "Fetch-Session: Fetch-Ack Accept %u", ev.accept);
				c->err = -EACCES;
			}
			break;
		case CLI_EV_CLOSED:
			ctl_closed(c, ev.reason);
			break;
		}
	}
}

/*
 * A SIGINT/SIGTERM from the signalfd: marks the run interrupted.  Returns
 * -EINTR when the run ends without a report (no test packet yet, or a
 * second signal), 0 when it goes on to stop and report.
 */
static int on_signal(struct ow_cli *c)
{
	struct signalfd_siginfo si;
	bool again = c->interrupted;

	if (c->sfd < 0 || read(c->sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	c->interrupted = true;
	if (!c->signo)
		c->signo = (int)si.ssi_signo;
	if (!c->tested || again) {
		pr_warn("interrupted (%s)%s", strsignal((int)si.ssi_signo),
			c->tested ? "" : " before any test packet");
		return -EINTR;
	}
	pr_info("interrupted: stopping the sessions");
	return 0;
}

/* Runs the control connection until *done, an error, or the control timeout. */
static int ctl_until(struct ow_cli *c, const bool *done)
{
	uint64_t end = xw_clock_now_ns() + (uint64_t)(c->cfg->ctl_timeout * 1e9);

	for (;;) {
		struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
				      {.fd = c->sfd, .events = POLLIN}};
		uint64_t now;
		int k;

		ctl_flush(c);
		ctl_events(c);
		if (c->err)
			return c->err;
		if (*done)
			return 0;
		if (c->closed)
			return -EPROTO;
		now = xw_clock_now_ns();
		if (now >= end) {
			say(c, "no answer from the server within %.1f s", c->cfg->ctl_timeout);
			return -ETIMEDOUT;
		}
		if (cli_out_pending(c->cli))
			p[0].events |= POLLOUT;
		k = poll(p, 2, (int)((end - now) / 1000000 + 1));
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k > 0 && p[1].revents && on_signal(c))
			return -EINTR;
		if (k > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			ctl_read(c);
	}
}

/* --- sessions ---------------------------------------------------------------- */

static void raw_addr(const struct xw_addr *a, uint8_t raw[16])
{
	memset(raw, 0, 16);
	if (a->sa.sa_family == AF_INET6)
		memcpy(raw, &a->in6.sin6_addr, 16);
	else
		memcpy(raw, &a->in.sin_addr, 4);
}

/* Opens our test socket for d and queues its Request-Session (RFC 4656 3.5). */
static int request(struct ow_cli *c, struct ow_dir *d, uint64_t start_ntp)
{
	const struct xwping_cfg *cfg = c->cfg;
	struct codec_request_session m = {0};
	struct xw_udp_opts uo = XW_UDP_OPTS_TEST;
	int rc;

	d->slot = (struct codec_ow_slot){
		.type = cfg->schedule == XW_SCHED_POISSON ? CODEC_SLOT_EXP : CODEC_SLOT_FIXED,
		.param = xw_fix_from_ns((uint64_t)(cfg->interval * 1e9)),
	};
	d->local = c->local;
	uo.dscp = cfg->dscp;
	if (cfg->port_lo)
		d->fd = xw_udp_open_range(&d->local, cfg->port_lo, cfg->port_hi, &uo);
	else {
		xw_addr_set_port(&d->local, 0);
		d->fd = xw_udp_open(&d->local, &uo);
	}
	if (d->fd < 0 || xw_sock_local(d->fd, &d->local))
		return d->fd < 0 ? d->fd : -EIO;
	m.f.ipvn = c->local.sa.sa_family == AF_INET6 ? 6 : 4;
	m.f.conf_receiver = d->to_server;
	m.f.conf_sender = !d->to_server;
	m.f.num_slots = 1;
	m.f.num_packets = cfg->count;
	raw_addr(d->to_server ? &c->local : &c->peer, m.f.sender_addr);
	raw_addr(d->to_server ? &c->peer : &c->local, m.f.receiver_addr);
	if (d->to_server) {
		m.f.sender_port = xw_addr_port(&d->local);
	} else {
		/* RFC 4656 3.5: the receiver (we) chooses the SID: address, time, random */
		m.f.receiver_port = xw_addr_port(&d->local);
		raw_addr(&c->local, m.f.sid);
		if (c->local.sa.sa_family == AF_INET6)
			memmove(m.f.sid, m.f.sid + 12, 4);
		put_be64(m.f.sid + 4, xw_clock_now_ntp());
		rc = xw_random(m.f.sid + 12, 4);
		if (rc)
			return rc;
	}
	m.f.padding_len = cfg->padding == XWPING_PAD_AUTO ? 0 : (uint32_t)cfg->padding;
	m.f.start_time = start_ntp;
	m.f.timeout = xw_fix_from_ns((uint64_t)(cfg->wait * 1e9)); /* loss threshold */
	m.f.type_p = CODEC_TYPE_P_FROM_DSCP(cfg->dscp);
	m.slots = &d->slot;
	d->idx = cli_ow_request(c->cli, &m);
	if (d->idx < 0)
		return d->idx;
	d->on = true;
	c->nreq++;
	return 0;
}

/* Accepted: the server's port, the SID, test keys, the schedule. */
static int accepted(struct ow_cli *c, struct ow_dir *d, uint64_t start_ntp)
{
	const struct cli_sess *s = cli_sess(c->cli, d->idx);
	int rc;

	if (!s || !s->answered || s->accept != XW_ACCEPT_OK)
		return -EACCES;
	d->port = s->port;
	memcpy(d->sid, s->sid, XW_SID_LEN);
	{
		struct xw_addr a = c->peer;

		xw_addr_set_port(&a, d->port);
		xw_addr_fmt(&a, true, d->addr, sizeof(d->addr));
	}
	if (s->has_keys) {
		/* RFC 4656 4.1.2 (or the IPsec SA profile's shared keys), made by cli.c */
		rc = xw_tp_crypto_init(&d->crypto, &s->keys);
		if (rc)
			return rc;
		d->has_crypto = true;
	}
	rc = xw_ow_sched_init(&d->sched, d->sid, &d->slot, 1, start_ntp);
	if (rc)
		return rc;
	if (d->to_server) {
		struct xw_addr dst = c->peer;

		xw_addr_set_port(&dst, d->port);
		if (connect(d->fd, &dst.sa, dst.len))
			return -errno;
	}
	return 0;
}

static void rec_add(struct ow_dir *d, const struct codec_ow_record *r)
{
	if (d->nrec == d->caprec) {
		size_t cap = d->caprec ? 2 * d->caprec : 256;
		struct codec_ow_record *n = realloc(d->rec, cap * sizeof(*n));

		if (!n) {
			d->dropped++;
			return;
		}
		d->rec = n;
		d->caprec = cap;
	}
	d->rec[d->nrec++] = *r;
}

/* --live: the packet r of direction from just received ("(unsync)": either clock unsynchronized). */
static void live_recv(struct ow_cli *c, const struct codec_ow_record *r, size_t len)
{
	double ow = (double)(int64_t)(xw_ntp_to_ns(r->recv_ts) - xw_ntp_to_ns(r->send_ts));

	if (!c->cfg->live)
		return;
	if (c->live_per_second) {
		xwping_live_add(&c->live, ow);
		return;
	}
	printf("%zu bytes from %s: seq=%u ttl=%u one-way=%.3f ms%s\n", len, c->dir[1].addr, r->seq,
	       r->ttl, ow / 1e6,
	       (r->send_errest & XW_ERREST_S) && (r->recv_errest & XW_ERREST_S) ? "" : " (unsync)");
	fflush(stdout);
}

/* --live: once a second above OW_LIVE_MAX_RATE, what went out and came in meanwhile. */
static void live_tick(struct ow_cli *c)
{
	uint64_t now = xw_clock_now_ns();

	if (!c->cfg->live || !c->live_per_second || now < c->live_next)
		return;
	printf("%.0f s: %u sent", (double)(now - c->live_t0) / 1e9, c->live.sent);
	if (c->dir[1].on)
		printf(", %u received", c->live.recv);
	xwping_live_put(&c->live, "one-way");
	printf("\n");
	fflush(stdout);
	c->live_next += NS;
}

/* Our receiver: every datagram from the server's port, verified, with the kernel's time. */
static void receive(struct ow_cli *c, struct ow_dir *d, struct xw_rxbatch *rx)
{
	uint16_t errest = xw_clock_errest(&c->clock, xw_clock_now_ns());
	int n, i;

	while ((n = xw_recv_batch(d->fd, rx)) > 0) {
		for (i = 0; i < n; i++) {
			const struct xw_rx_msg *m = &rx->msg[i];
			struct xw_tp_sender f;
			struct codec_ow_record r;
			int err;

			if (!xw_addr_same_host(&m->src, &c->peer) ||
			    xw_addr_port(&m->src) != d->port || !m->ts_valid || m->truncated) {
				d->dropped++;
				continue;
			}
			err = xw_tp_parse_sender(&c->tp, d->has_crypto ? &d->crypto : NULL, m->buf,
						 m->len, c->pkt_len, &f);
			if (err) {
				if (err == XW_TP_E_HMAC)
					d->forged++;
				else
					d->dropped++;
				continue;
			}
			r = (struct codec_ow_record){
				.seq = f.seq,
				.send_errest = f.errest,
				.recv_errest = errest,
				.send_ts = f.ts,
				.recv_ts = xw_timespec_to_ntp(&m->ts),
				.ttl = m->ttl < 0 ? 255 : (uint8_t)m->ttl,
			};
			rec_add(d, &r);
			live_recv(c, &r, m->len);
		}
	}
}

static int send_packet(struct ow_cli *c, struct ow_dir *d, uint32_t seq, uint8_t *pkt)
{
	struct xw_tp_sender f = {.seq = seq};
	int len;

	f.errest = xw_clock_errest(&c->clock, xw_clock_now_ns());
	if (c->tp.mode == XW_TP_ENC)
		f.ts = xw_clock_now_ntp();
	len = xw_tp_build_sender(&c->tp, d->has_crypto ? &d->crypto : NULL, &f, NULL, pkt,
				 c->pkt_len);
	if (len < 0)
		return len;
	if (c->tp.mode != XW_TP_ENC) /* the time of departure, read last (RFC 4656 4.1.1) */
		xw_tp_stamp(c->tp.mode, pkt, (size_t)len, xw_clock_now_ntp(), f.errest);
	return send(d->fd, pkt, (size_t)len, 0) < 0 ? -errno : 0;
}

static void skip_add(struct ow_dir *d, uint32_t seq)
{
	codec_ow_skip_note(d->skips, &d->nskips, OW_SKIPS_MAX, seq);
}

/* Send on the schedule and receive until the last packet's time + Timeout. */
static int run_test(struct ow_cli *c)
{
	const struct xwping_cfg *cfg = c->cfg;
	struct ow_dir *to = &c->dir[0], *from = &c->dir[1];
	uint64_t due = 0, end_ntp = 0, last_from = 0, now, wait_ns = (uint64_t)(cfg->wait * 1e9);
	struct xw_rxbatch rx = {0};
	uint8_t *pkt = malloc(c->pkt_len);
	uint32_t seq = 0, k;
	int rc = 0;

	if (!pkt || (from->on && xw_rxbatch_init(&rx, 16, c->pkt_len + 1))) {
		free(pkt);
		return -ENOMEM;
	}
	c->tested = true;
	c->live_t0 = xw_clock_now_ns();
	c->live_next = c->live_t0 + NS;
	c->live_per_second =
		cfg->interval <= 0 || (to->on + from->on) / cfg->interval > OW_LIVE_MAX_RATE;
	if (to->on)
		due = xw_ow_sched_next(&to->sched);
	if (from->on) /* when the server's last packet is due: we listen until then + Timeout */
		last_from = xw_ow_sched_time_of(&from->sched, cfg->count - 1);
	for (;;) {
		/* the control connection too: the server says nothing while we test */
		struct pollfd p[3] = {{.fd = from->on ? from->fd : -1, .events = POLLIN},
				      {.fd = c->fd, .events = POLLIN},
				      {.fd = c->sfd, .events = POLLIN}};
		int64_t ms;

		now = xw_clock_now_ntp();
		while (to->on && seq < cfg->count && due <= now) {
			if (xw_ntp_to_ns(now) - xw_ntp_to_ns(due) > wait_ns)
				skip_add(to, seq); /* RFC 4656 4.1.1: too late, MUST NOT send */
			else if (send_packet(c, to, seq, pkt))
				skip_add(to, seq);
			else if (c->cfg->live && c->live_per_second)
				c->live.sent++;
			else if (c->cfg->live && !from->on) {
				printf("%zu bytes to %s: seq=%u\n", c->pkt_len, to->addr, seq);
				fflush(stdout);
			}
			seq++;
			if (seq < cfg->count)
				due = xw_ow_sched_next(&to->sched);
			now = xw_clock_now_ntp();
		}
		if (!end_ntp && (!to->on || seq >= cfg->count)) {
			uint64_t last = to->on ? due : 0;

			if (from->on && last_from > last)
				last = last_from;
			end_ntp = xw_ns_to_ntp(xw_ntp_to_ns(last > now ? last : now) + wait_ns);
		}
		live_tick(c);
		if (end_ntp && now >= end_ntp)
			break;
		if (to->on && seq < cfg->count)
			ms = (int64_t)(xw_ntp_to_ns(due) / 1000000) -
			     (int64_t)(xw_ntp_to_ns(now) / 1000000);
		else
			ms = (int64_t)(xw_ntp_to_ns(end_ntp) / 1000000) -
			     (int64_t)(xw_ntp_to_ns(now) / 1000000);
		if (ms < 0)
			ms = 0;
		if (ms > 200)
			ms = 200;
		k = (uint32_t)poll(p, 3, (int)ms);
		if (k > 0 && p[2].revents) {
			rc = on_signal(c);
			if (rc || c->interrupted)
				break; /* Stop-Sessions with what went out so far */
		}
		if (k > 0 && from->on && p[0].revents)
			receive(c, from, &rx);
		if (k > 0 && p[1].revents) {
			ctl_read(c);
			ctl_events(c);
			if (c->err || c->closed) {
				rc = c->err ? c->err : -EPROTO;
				break;
			}
		}
	}
	if (from->on)
		receive(c, from, &rx);
	to->next_seqno = seq;
	xw_rxbatch_free(&rx);
	free(pkt);
	return rc;
}

/* Stop-Sessions both ways (RFC 4656 3.8), then the server's side of -f. */
static int stop(struct ow_cli *c)
{
	struct ow_dir *to = &c->dir[0], *from = &c->dir[1];
	struct codec_ow_stop_rec rec = {0};
	const struct cli_sess *s;
	uint32_t i;
	int rc;

	if (to->on) {
		memcpy(rec.sid, to->sid, XW_SID_LEN);
		rec.next_seqno = to->next_seqno;
		rec.num_skips = to->nskips;
		rec.skips = to->skips;
	}
	rc = cli_ow_stop(c->cli, XW_ACCEPT_OK, &rec, to->on ? 1 : 0);
	if (!rc)
		rc = ctl_until(c, &c->stopped);
	if (rc || !from->on)
		return rc;
	s = cli_sess(c->cli, from->idx);
	if (!s || !s->ow_stop_seen)
		return -EBADMSG;
	from->next_seqno = s->ow_next_seqno;
	from->nskips = s->ow_nskips < OW_SKIPS_MAX ? s->ow_nskips : OW_SKIPS_MAX;
	for (i = 0; i < from->nskips; i++)
		from->skips[i] = s->ow_skips[i];
	return 0;
}

/* Fetch-Session of the complete session the server received (RFC 4656 3.9). */
static int fetch(struct ow_cli *c, struct ow_dir *d)
{
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	const struct cli_fetch *f;
	uint32_t i;
	int rc, idx;

	memcpy(q.sid, d->sid, XW_SID_LEN);
	c->fetched = false;
	idx = cli_ow_fetch(c->cli, &q);
	if (idx < 0)
		return idx;
	rc = ctl_until(c, &c->fetched);
	if (rc)
		return rc;
	f = cli_fetch(c->cli, idx);
	d->nskips = f->ack.num_skips < OW_SKIPS_MAX ? f->ack.num_skips : OW_SKIPS_MAX;
	for (i = 0; i < d->nskips; i++)
		d->skips[i] = f->skips[i];
	for (i = 0; i < f->ack.num_records; i++)
		rec_add(d, &f->recs[i]);
	if (f->ack.finished)
		d->next_seqno = f->ack.next_seqno;
	return 0;
}

/*
 * -f, at the server's Stop-Sessions, as a receiver must (RFC 4656 3.8,
 * 3.9): records of packets due within the last Timeout are discarded, and
 * a lost-packet record is added for every packet sent before that (below
 * the server's Next Seqno, outside its skip ranges) that never came, so
 * that our data has the shape of what Fetch-Session gives for -t.
 */
static void add_lost_records(struct ow_cli *c, struct ow_dir *d)
{
	uint16_t errest = xw_clock_errest(&c->clock, xw_clock_now_ns());
	uint64_t cutoff = xw_clock_now_ntp() - xw_fix_from_ns((uint64_t)(c->cfg->wait * 1e9));
	uint64_t *t = NULL;
	size_t i, keep;
	uint8_t *seen;
	uint32_t seq, horizon;

	if (!d->next_seqno)
		return;
	seen = calloc(d->next_seqno, 1);
	t = calloc(d->next_seqno, sizeof(*t));
	if (!seen || !t)
		goto out;
	/* the schedule is monotonic: packets from horizon on are within Timeout */
	for (horizon = 0; horizon < d->next_seqno; horizon++) {
		t[horizon] = xw_ow_sched_time_of(&d->sched, horizon); /* ascending: one pass */
		if (t[horizon] > cutoff)
			break;
	}
	for (i = 0, keep = 0; i < d->nrec; i++) {
		if (d->rec[i].seq >= horizon)
			continue;
		seen[d->rec[i].seq] = 1;
		d->rec[keep++] = d->rec[i];
	}
	d->nrec = keep;
	for (seq = 0; seq < horizon; seq++) {
		struct codec_ow_record r = {
			.seq = seq,
			.send_errest = CODEC_OW_LOST_ERREST,
			.recv_errest = errest,
			.send_ts = t[seq],
			.ttl = 255,
		};

		if (!seen[seq] && !xw_ow_in_skips(d->skips, d->nskips, seq))
			rec_add(d, &r);
	}
out:
	free(t);
	free(seen);
}

/* How far the data decides (see struct ow_dir): all of it unless the run was cut short. */
static void set_decided(struct ow_cli *c, struct ow_dir *d)
{
	size_t i;

	d->decided = d->next_seqno;
	if (!c->interrupted)
		return;
	d->decided = 0;
	for (i = 0; i < d->nrec; i++)
		if (d->rec[i].seq < d->next_seqno && d->rec[i].seq >= d->decided)
			d->decided = d->rec[i].seq + 1;
}

/* Packets sent but not decided (set_decided()), skip ranges excluded. */
static uint32_t undecided(const struct ow_dir *d)
{
	uint32_t seq, n = 0;

	for (seq = d->decided; seq < d->next_seqno; seq++)
		n += !xw_ow_in_skips(d->skips, d->nskips, seq);
	return n;
}

/* --- output ------------------------------------------------------------------- */

/* owping -R and -M (control/report.h) for direction d; 0 or -errno. */
static int print_reference(struct ow_cli *c, struct ow_dir *d, bool finished)
{
	const struct xwping_cfg *cfg = c->cfg;
	char sid[2 * XW_SID_LEN + 1], loc[XW_ADDRSTRLEN], peer[XW_ADDRSTRLEN];
	struct xw_ow_data data = {
		.rec = d->rec, .n = d->nrec, .skips = d->skips, .nskips = d->nskips};
	/* the Session-Sender is "from", the Session-Receiver "to", with their test ports */
	uint16_t lport = xw_addr_port(&d->local);
	struct xw_machine_meta m = {
		.sid = sid,
		.from_addr = d->to_server ? xw_addr_fmt(&c->local, false, loc, sizeof(loc))
					  : xw_addr_fmt(&c->peer, false, peer, sizeof(peer)),
		.from_port = d->to_server ? lport : d->port,
		.to_addr = d->to_server ? xw_addr_fmt(&c->peer, false, peer, sizeof(peer))
					: xw_addr_fmt(&c->local, false, loc, sizeof(loc)),
		.to_port = d->to_server ? d->port : lport,
		.dscp = cfg->dscp,
		.loss_timeout = xw_fix_from_ns((uint64_t)(cfg->wait * 1e9)), /* as requested */
		.padding = c->tp.padding_len,
		.npackets = cfg->ow_fetch ? d->next_seqno : cfg->count,
		.bucket_width = cfg->bucket_width,
		.finished = finished,
	};
	size_t i;
	int k, rc = 0;

	for (k = 0; k < XW_SID_LEN; k++)
		snprintf(sid + 2 * k, 3, "%02x", d->sid[k]);
	m.from_host = m.from_addr;
	m.to_host = m.to_addr;
	if (!cfg->ow_fetch && m.npackets) {
		m.start_ntp = xw_ow_sched_time_of(&d->sched, 0);
		m.end_ntp = xw_ow_sched_time_of(&d->sched, m.npackets - 1);
	} else {
		/* another connection's session: no schedule here, the records' send times */
		for (i = 0; i < d->nrec; i++) {
			if (!m.start_ntp || d->rec[i].send_ts < m.start_ntp)
				m.start_ntp = d->rec[i].send_ts;
			if (d->rec[i].send_ts > m.end_ntp)
				m.end_ntp = d->rec[i].send_ts;
		}
	}
	if (cfg->raw)
		rc = xw_report_ow_raw(stdout, &data);
	if (!rc && cfg->machine)
		rc = xw_report_ow_machine(stdout, &m, &data);
	return rc;
}

/*
 * --per-packet --json: the records as fetched (RFC 4656 3.9), in their
 * order: Sequence Number, both timestamps as NTP (64-bit integers; recv 0:
 * lost), both Error Estimates, TTL.
 */
static void print_records(const struct ow_dir *d, FILE *f)
{
	size_t i;

	fprintf(f, ",\"per_packet\":[");
	for (i = 0; i < d->nrec; i++) {
		const struct codec_ow_record *r = &d->rec[i];

		fprintf(f,
			"%s{\"seq\":%u,\"send_ts\":%llu,\"send_errest\":%u,\"recv_ts\":%llu,"
			"\"recv_errest\":%u,\"ttl\":%u}",
			i ? "," : "", r->seq, (unsigned long long)r->send_ts, r->send_errest,
			(unsigned long long)r->recv_ts, r->recv_errest, r->ttl);
	}
	fputc(']', f);
}

/* Direction d's report; its counts and delays also into *t (--continuous --metrics). */
static void print_dir(const struct ow_cli *c, const struct ow_dir *d, FILE *f, bool json,
		      bool first, struct xwping_tally *t)
{
	struct xw_stats_session *s = xw_stats_new();
	struct xw_stats_result r;
	struct xw_ow_summary sum;
	const char *name = d->to_server ? "to_server" : "from_server";
	int rc;

	if (!s)
		return;
	rc = xw_stats_from_owamp(s, d->rec, d->nrec, d->decided, d->skips, d->nskips, &sum);
	if (!rc)
		rc = xw_stats_compute(s, NULL, &r);
	if (rc) {
		fprintf(f, json ? "%s\"%s\":{\"invalid\":true}" : "%s%s: results invalid (%d)\n",
			json && !first ? "," : "", name, rc);
		xw_stats_free(s);
		return;
	}
	xwping_tally_session(s, r.sent, r.received, t);
	if (json) {
		fprintf(f,
			"%s\"%s\":{\"sid\":\"%08x%08x%08x%08x\",\"sent\":%llu,\"skipped\":%llu,"
			"\"received\":%llu,\"lost\":%llu,\"loss_ratio\":%.6f,\"duplicates\":%llu,"
			"\"reordered\":%llu,\"unsync\":%s,\"forged\":%llu,\"undecided\":%u",
			first ? "" : ",", name, get_be32(d->sid), get_be32(d->sid + 4),
			get_be32(d->sid + 8), get_be32(d->sid + 12), (unsigned long long)r.sent,
			(unsigned long long)sum.skipped, (unsigned long long)r.received,
			(unsigned long long)r.lost, r.sent ? r.loss_ratio : 0.0,
			(unsigned long long)r.duplicates, (unsigned long long)r.reordered,
			r.unsync ? "true" : "false", (unsigned long long)d->forged, undecided(d));
		if (r.fwd.delay.n)
			fprintf(f,
				",\"delay_ms\":{\"min\":%.3f,\"median\":%.3f,\"max\":%.3f,\"mean\":"
				"%.3f},\"ipdv_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"pdv_ms\":{\"p99\":"
				"%.3f},"
				"\"ttl\":{\"min\":%u,\"max\":%u},\"hops\":{\"min\":%u,\"max\":%u}",
				r.fwd.delay.min / 1e6, r.fwd.delay.median / 1e6,
				r.fwd.delay.max / 1e6, r.fwd.delay.mean / 1e6,
				r.fwd.ipdv_abs.n ? r.fwd.ipdv_abs.median / 1e6 : 0.0,
				r.fwd.ipdv_abs.n ? r.fwd.ipdv_abs.p99 / 1e6 : 0.0,
				r.fwd.pdv.p99 / 1e6, sum.ttl_min, sum.ttl_max, sum.hops_min,
				sum.hops_max);
		if (c->cfg->per_packet)
			print_records(d, f);
		fputc('}', f);
	} else {
		fprintf(f, "--- %s %s (SID %08x%08x%08x%08x) ---\n", d->to_server ? "to" : "from",
			c->cfg->server, get_be32(d->sid), get_be32(d->sid + 4),
			get_be32(d->sid + 8), get_be32(d->sid + 12));
		fprintf(f, "%llu sent, %llu lost (%.3f%%), %llu duplicates, %llu reordered",
			(unsigned long long)r.sent, (unsigned long long)r.lost,
			r.sent ? 100.0 * r.loss_ratio : 0.0, (unsigned long long)r.duplicates,
			(unsigned long long)r.reordered);
		if (sum.skipped)
			fprintf(f, ", %llu not sent (skip ranges)",
				(unsigned long long)sum.skipped);
		if (d->forged)
			fprintf(f, ", %llu forged (dropped)", (unsigned long long)d->forged);
		if (undecided(d))
			fprintf(f,
				"; %u more sent in the last Timeout (%g s) before the stop: not "
				"counted (RFC 4656 3.8)",
				undecided(d), c->cfg->wait);
		fputc('\n', f);
		if (r.fwd.delay.n) {
			fprintf(f, "one-way delay min/median/max = %.3f/%.3f/%.3f ms%s\n",
				r.fwd.delay.min / 1e6, r.fwd.delay.median / 1e6,
				r.fwd.delay.max / 1e6, r.unsync ? " (unsync)" : "");
			fprintf(f, "delay variation: IPDV median %.3f ms, PDV p99 %.3f ms\n",
				r.fwd.ipdv_abs.n ? r.fwd.ipdv_abs.median / 1e6 : 0.0,
				r.fwd.pdv.p99 / 1e6);
			fprintf(f, "TTL %u..%u, hops %u..%u\n", sum.ttl_min, sum.ttl_max,
				sum.hops_min, sum.hops_max);
			if (r.unsync)
				fprintf(f,
					"%llu of %llu packets unsynchronized (unsync): the one-way "
					"delay needs both clocks synchronized (NTP, chrony or PTP "
					"on "
					"sender and receiver); IPDV and PDV do not\n",
					(unsigned long long)r.n_unsync,
					(unsigned long long)r.received);
		}
	}
	xw_stats_free(s);
}

/* --svg: a panel per direction (control/svg.h); 0, or -errno after a message. */
static int write_svg(const struct ow_cli *c)
{
	struct xw_stats_session *st[2] = {NULL, NULL};
	struct xw_svg_part parts[2];
	char labels[2][200], title[256];
	struct xw_ow_summary sum;
	size_t n = 0;
	int i, rc;

	for (i = 0; i < 2; i++) {
		const struct ow_dir *d = &c->dir[i];

		if (!d->on)
			continue;
		st[i] = xw_stats_new();
		if (!st[i] || xw_stats_from_owamp(st[i], d->rec, d->nrec, d->decided, d->skips,
						  d->nskips, &sum))
			continue; /* said with the report ("results invalid") */
		snprintf(labels[i], sizeof(labels[i]), "%s %s (SID %08x%08x%08x%08x)",
			 i ? "from" : "to", c->cfg->server, get_be32(d->sid), get_be32(d->sid + 4),
			 get_be32(d->sid + 8), get_be32(d->sid + 12));
		parts[n++] = (struct xw_svg_part){.s = st[i], .label = labels[i], .oneway = i + 1};
	}
	snprintf(title, sizeof(title), "xwping -O %s (%s)%s", c->cfg->server,
		 xw_mode_name(c->mode & XW_MODE_SECURITY_MASK),
		 c->interrupted ? ", interrupted" : "");
	rc = xwping_svg_write(c->cfg->svg, title, parts, n);
	xw_stats_free(st[0]);
	xw_stats_free(st[1]);
	return rc;
}

/* --- the run ------------------------------------------------------------------- */

/* Ctrl-C: SIGINT and SIGTERM through a signalfd, as the TWAMP client takes them. */
static void signals_open(struct ow_cli *c)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (!c->cfg->continuous) {
		/* an inherited "ignore" (a background job of a script) would discard them */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	if (!sigprocmask(SIG_BLOCK, &sigs, NULL))
		c->sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
}

int xwping_owamp_run(const struct xwping_cfg *cfg, const struct xw_addr *server,
		     const uint8_t *secret, size_t secret_len, const struct xw_key *ike,
		     struct xwping_ow_result *res)
{
	struct ow_cli c = {.cfg = cfg, .fd = -1, .sfd = -1};
	uint64_t start_ntp, t_start = 0, t_end = 0;
	bool in_progress = false;
	int rc, i;

	c.dir[0].fd = c.dir[1].fd = -1;
	c.dir[0].idx = c.dir[1].idx = -1;
	c.dir[0].to_server = true;
	xw_clock_init(&c.clock);
	c.peer = *server;
	c.ike = ike && ike->len ? ike : NULL;
	memset(res, 0, sizeof(*res));
	c.cli = xwping_make_cli(cfg, secret, secret_len, c.ike, CLI_PROTO_OWAMP, &c.no_open);
	if (!c.cli) {
		pr_err("OWAMP with %s: no usable security mode for the key given", cfg->server);
		return -EINVAL;
	}
	signals_open(&c);
	xw_addr_fmt(server, true, c.srv, sizeof(c.srv));
	if (cfg->header) {
		/* say what is happening before the first wait (connect, greeting) */
		printf("connecting to %s (OWAMP-Control, timeout %g s)\n", c.srv, cfg->ctl_timeout);
		fflush(stdout);
	}
	/* non-blocking from here: connect, then the machine's conversation (ctl_until) */
	c.fd = xw_tcp_connect(server, cfg->has_source ? &cfg->source_addr : NULL, &in_progress);
	if (c.fd >= 0 && in_progress) {
		struct pollfd p[2] = {{.fd = c.fd, .events = POLLOUT},
				      {.fd = c.sfd, .events = POLLIN}};

		rc = poll(p, 2, (int)(cfg->ctl_timeout * 1000)) < 1 ? -ETIMEDOUT
		     : p[1].revents && on_signal(&c)		    ? -EINTR
								    : xw_tcp_connect_result(c.fd);
		if (rc) {
			close(c.fd);
			c.fd = rc;
		}
	}
	if (c.fd < 0) {
		if (c.fd != -EINTR)
			say(&c, "control %s: connect: %s", c.srv, strerror(-c.fd));
		rc = c.fd;
		goto out;
	}
	xw_sock_local(c.fd, &c.local);
	rc = ctl_until(&c, &c.ready); /* RFC 4656 3.1: greeting, Set-Up-Response, Server-Start */
	if (rc)
		goto out;
	c.mode = cli_mode(c.cli);
	c.tp.mode = (enum xw_tp_mode)xw_tp_mode_of(c.mode & XW_MODE_SECURITY_MASK);
	c.tp.padding_len = cfg->padding == XWPING_PAD_AUTO ? 0 : (uint32_t)cfg->padding;
	c.pkt_len = xw_tp_sender_len(&c.tp);
	if (cfg->ow_fetch) {
		/* RFC 4656 3.8/3.9: data of a session another connection made */
		c.dir[0].on = true;
		for (i = 0; i < XW_SID_LEN; i++)
			sscanf(cfg->ow_fetch + 2 * i, "%2hhx", &c.dir[0].sid[i]);
		rc = fetch(&c, &c.dir[0]);
		goto report;
	}
	start_ntp = xw_ns_to_ntp(xw_clock_now_ns() + (uint64_t)((cfg->start_delay + 1.0) * 1e9));
	/* -t and -f as the reference's owping: both directions unless one is named */
	for (i = 0; i < 2 && !rc; i++) {
		bool want = i == 0 ? cfg->ow_to || !cfg->ow_from : cfg->ow_from || !cfg->ow_to;

		if (want)
			rc = request(&c, &c.dir[i], start_ntp);
	}
	/* every Request-Session answered, then Start-Sessions (RFC 4656 3.5, 3.7) */
	if (!rc)
		rc = ctl_until(&c, &c.answered);
	for (i = 0; i < 2 && !rc; i++)
		if (c.dir[i].on)
			rc = accepted(&c, &c.dir[i], start_ntp);
	if (!rc)
		rc = cli_start(c.cli);
	if (!rc)
		rc = ctl_until(&c, &c.started);
	if (rc)
		goto out;
	if (cfg->header) {
		double secs = cfg->interval * cfg->count;

		printf("%s: mode %s, %s accepted; %u packets of %zu octets per session, %s %g s "
		       "(about %.0f s, then Timeout %g s)\n",
		       c.srv, xw_mode_name(c.mode & XW_MODE_SECURITY_MASK),
		       c.dir[0].on && c.dir[1].on ? "sessions to and from the server"
		       : c.dir[0].on		  ? "a session to the server"
						  : "a session from the server",
		       cfg->count, c.pkt_len,
		       cfg->schedule == XW_SCHED_POISSON ? "Poisson mean" : "every", cfg->interval,
		       secs + (secs < 1 ? 0.5 : 0), cfg->wait);
		fflush(stdout);
	}
	t_start = xw_clock_now_ns();
	rc = run_test(&c);
	t_end = xw_clock_now_ns();
	if (!rc)
		rc = stop(&c);
	if (!rc && c.dir[1].on)
		add_lost_records(&c, &c.dir[1]);
	if (!rc && c.dir[0].on)
		rc = fetch(&c, &c.dir[0]);
report:
	for (i = 0; i < 2; i++)
		set_decided(&c, &c.dir[i]);
	if (!rc && (cfg->machine || cfg->raw)) {
		/* owping's order: to the server, then from it; cut short: SESSION_FINISHED 0 */
		for (i = 0; i < 2 && !rc; i++)
			if (c.dir[i].on)
				rc = print_reference(&c, &c.dir[i], !c.interrupted);
		if (!rc && fflush(stdout))
			rc = -EIO;
	} else if (!rc) {
		if (cfg->continuous)
			/* --continuous: the TWAMP lines' keys, then the directions */
			printf("{\"target\":\"%s\",\"unix_time\":%.3f,\"end_unix_time\":%.3f,"
			       "\"protocol\":\"owamp\",\"interrupted\":%s,",
			       cfg->server, (double)t_start / 1e9, (double)t_end / 1e9,
			       c.interrupted ? "true" : "false");
		else if (cfg->json)
			printf("{\"interrupted\":%s,", c.interrupted ? "true" : "false");
		else if (c.interrupted)
			xwping_interrupted_line(stdout, c.signo,
						t_end > t_start ? (double)(t_end - t_start) / 1e9
								: 0);
		for (i = 0; i < 2; i++)
			if (c.dir[i].on)
				print_dir(&c, &c.dir[i], stdout, cfg->json, i == 0 || !c.dir[0].on,
					  &res->tally[i]);
		if (cfg->json)
			fputs("}\n", stdout);
	}
	if (!rc && cfg->svg)
		rc = write_svg(&c);
out:
	if (rc && rc != -EINTR && !c.said)
		pr_err("OWAMP with %s: %s", c.srv, strerror(rc < 0 ? -rc : rc));
	res->signo = c.interrupted ? c.signo : 0;
	for (i = 0; i < 2; i++)
		res->on[i] = c.dir[i].on;
	if (c.sfd >= 0)
		close(c.sfd);
	for (i = 0; i < 2; i++) {
		if (c.dir[i].fd >= 0)
			close(c.dir[i].fd);
		xw_tp_crypto_free(&c.dir[i].crypto);
		xw_ow_sched_fini(&c.dir[i].sched);
		free(c.dir[i].rec);
	}
	cli_free(c.cli);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
