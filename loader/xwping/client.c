// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwping's event loop: the TWAMP Control-Client (control/cli.h, sans-I/O)
 * on a TCP socket, and one Session-Sender per test session on its own UDP
 * socket (RFC 5357 4.1), all in one epoll loop (loader/lib/loop.h):
 *
 *   control socket  -> cli_feed(), events -> next step of the measurement
 *   send timerfd    -> packets due by their absolute send time
 *   test sockets    -> replies, with kernel receive timestamps (T4)
 *   signalfd        -> SIGINT/SIGTERM: stop sending, Stop-Sessions, report
 *   loop timers     -> control answer timeout, the final wait for replies
 *
 * The sender is paced by a CLOCK_MONOTONIC timerfd armed with
 * TFD_TIMER_ABSTIME at each packet's absolute due time from the schedule
 * (control/schedule.h): a late wake-up sends what is due and never shifts the rest.
 * T1 is the timestamp written into the packet (RFC 5357 4.1.1: the best
 * approximation of the departure time), read just before send(); in open
 * and authenticated modes it is stamped after the crypto work.  T4 is the
 * kernel's SO_TIMESTAMPNS receive time: the clock is never read after
 * recv() for a timestamp.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "clock.h"
#include "keyfile.h"
#include "log.h"
#include "modes.h"
#include "httpm.h"
#include "loop.h"
#include "report.h"
#include "svg.h"
#include "xwamp/ntp.h"
#include "xwamp/proto.h"

enum phase {
	PH_CONNECT, /* TCP connect in progress */
	PH_CONTROL, /* greeting .. Start-Ack */
	PH_TEST,    /* sending */
	PH_WAIT,    /* everything sent, waiting for the last replies */
	PH_STOP,    /* Stop-Sessions queued, flushing */
	PH_DONE,
};

struct tsess {
	struct app *app;
	struct xwping_sess_result *r;
	int idx; /* cli session index */
	int fd;
	struct xw_io io;
	struct xw_tp_crypto crypto;
	struct xw_sched sched;
	uint64_t due;	       /* monotonic ns of packet next_seq */
	uint32_t next_seq;     /* next sequence number to send */
	uint8_t reflect[4];    /* RFC 6038 octets put first in our padding */
	struct xwping_tally m; /* --metrics */
};

struct app {
	const struct xwping_cfg *cfg;
	const struct xw_key *ike; /* RFC 7717 key for this server, NULL: none */
	bool key_no_open;	  /* open mode left out because of a key (key_no_open()) */
	struct xwping_result *res;
	struct xw_loop loop;
	struct cli *cli;
	int ctl_fd;
	struct xw_io ctl_io;
	uint32_t ctl_events;
	struct xw_timer ctl_timer;  /* waiting for the server */
	struct xw_timer wait_timer; /* last replies */
	int tfd;		    /* send timerfd */
	struct xw_io tfd_io;
	int sfd; /* signalfd */
	struct xw_io sfd_io;
	struct tsess *ts;
	unsigned int nts;
	unsigned int accepted;
	enum phase phase;
	int rc; /* 0, or the first failure */
	struct xw_clock clk;
	struct xw_rxbatch rx;
	uint8_t *txbuf;
	size_t txcap;
	char srv[XW_ADDRSTRLEN];  /* the server as HOST:PORT, for messages */
	struct xw_httpm *metrics; /* --metrics, NULL: none */
	/* --live above LIVE_MAX_RATE: one line per second instead of one per reply */
	bool live_per_second;
	struct xw_timer live_timer;
	uint64_t live_t0;	 /* monotonic ns of the first packet */
	struct xwping_live live; /* round trips, since the last per-second line */
};

/* --metrics delay histogram bucket bounds, seconds (smokeping_prober's range) */
static const double hist_le[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
				 0.025,	 0.05,	  0.1,	  0.25,	 0.5,	 1,	2.5};
_Static_assert(sizeof(hist_le) / sizeof(hist_le[0]) == XWPING_NBUCKETS, "bucket bounds");

/* Above this many packets per second, --live prints one line per second. */
#define LIVE_MAX_RATE 10.0

static const char *const drop_names[XWPING_DROP_MAX] = {
	[XWPING_DROP_TRUNC] = "truncated",   [XWPING_DROP_LEN] = "bad-length",
	[XWPING_DROP_HMAC] = "bad-hmac",     [XWPING_DROP_MULT0] = "bad-error-estimate",
	[XWPING_DROP_OTHER] = "malformed",   [XWPING_DROP_UNKNOWN] = "unknown-seq",
	[XWPING_DROP_T1] = "foreign-t1",     [XWPING_DROP_NOTS] = "no-rx-timestamp",
	[XWPING_DROP_OVERSIZE] = "oversize",
};

const char *xwping_drop_name(enum xwping_drop d)
{
	return d < XWPING_DROP_MAX ? drop_names[d] : "?";
}

const char *xwping_accept_str(unsigned int accept)
{
	switch (accept) {
	case XW_ACCEPT_OK:
		return "OK";
	case XW_ACCEPT_FAILURE:
		return "failure, reason unspecified";
	case XW_ACCEPT_INTERNAL:
		return "internal error";
	case XW_ACCEPT_NOT_SUPPORTED:
		return "some aspect of the request is not supported";
	case XW_ACCEPT_PERM_LIMIT:
		return "permanent resource limitation";
	case XW_ACCEPT_TEMP_LIMIT:
		return "temporary resource limitation";
	case XW_ACCEPT_NO_IKE_SA:
		return "no IKEv2 SA for the KeyID (RFC 7717)";
	}
	/* RFC 4656 3.3: other values are read as 1 */
	return "failure (unknown Accept value)";
}

static uint64_t s_to_ns(double s)
{
	return (uint64_t)(s * 1e9 + 0.5);
}

static void app_fail(struct app *a, int err)
{
	if (!a->rc)
		a->rc = err;
	a->phase = PH_DONE;
	xw_loop_stop(&a->loop);
}

/* --------------------------------------------------------------------- */
/* Control connection                                                     */

static void ctl_watch(struct app *a)
{
	uint32_t want = EPOLLIN;

	if (a->phase == PH_CONNECT || cli_out_pending(a->cli))
		want |= EPOLLOUT;
	if (want != a->ctl_events && !xw_loop_mod(&a->loop, &a->ctl_io, want))
		a->ctl_events = want;
}

/* Send what the state machine queued; EAGAIN leaves the rest for EPOLLOUT. */
static int ctl_flush(struct app *a)
{
	const uint8_t *p;
	size_t n;
	ssize_t k;

	while ((p = cli_out_peek(a->cli, &n)) && n) {
		k = send(a->ctl_fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		cli_out_consume(a->cli, (size_t)k);
	}
	return 0;
}

/*
 * While the measurement is being set up (and while Stop-Sessions is being
 * flushed) the server owes us progress: the timer runs from the last byte
 * received.  During the test the control connection is quiet by design.
 */
static void ctl_timer_update(struct app *a, bool progress)
{
	if (a->phase == PH_CONNECT || a->phase == PH_CONTROL || a->phase == PH_STOP) {
		if (progress || !xw_timer_armed(&a->ctl_timer))
			xw_timer_arm(&a->loop, &a->ctl_timer, s_to_ns(a->cfg->ctl_timeout));
	} else {
		xw_timer_cancel(&a->loop, &a->ctl_timer);
	}
}

static void ctl_timeout(struct xw_loop *l, struct xw_timer *t)
{
	struct app *a = t->arg;

	pr_err("control %s: no answer from the server within %g s (%s)", a->srv,
	       a->cfg->ctl_timeout,
	       a->phase == PH_CONNECT ? "connecting" : cli_state_name(cli_state(a->cli)));
	app_fail(a, -ETIMEDOUT);
}

/* --------------------------------------------------------------------- */
/* Test sessions                                                           */

/* Octets of padding that make our packet as long as the reflector's answer. */
static uint32_t auto_padding(const struct xw_tp_cfg *tp)
{
	size_t shdr = tp->mode == XW_TP_OPEN ? XW_TP_SENDER_HDR_OPEN : XW_TP_SENDER_HDR_AUTH;
	size_t rhdr = tp->mode == XW_TP_OPEN ? XW_TP_REFL_HDR_OPEN : XW_TP_REFL_HDR_AUTH;
	size_t mbz = 0;
	uint32_t pad = 0;

	if (tp->symmetric)
		mbz = tp->mode == XW_TP_OPEN ? XW_TP_SYM_MBZ_OPEN : XW_TP_SYM_MBZ_AUTH;
	if (shdr + mbz < rhdr + tp->reflect_len)
		pad = (uint32_t)(rhdr + tp->reflect_len - shdr - mbz);
	/* RFC 6038 4.2: Padding Length SHALL be > Length of padding to reflect */
	if (tp->reflect_len && pad <= tp->reflect_len)
		pad = tp->reflect_len + 1u;
	return pad;
}

/*
 * Test session i's bookkeeping, packet format (tp, with the padding chosen
 * here) and UDP test socket bound to local's address with a port from
 * --ports or any; shared by TWAMP and TWAMP Light.  what names the session
 * kind in log lines.
 */
static int tsess_setup(struct app *a, unsigned int i, const struct xw_tp_cfg *tp,
		       const struct xw_addr *local, const struct xw_udp_opts *uo, const char *what)
{
	const struct xwping_cfg *cfg = a->cfg;
	struct tsess *s = &a->ts[i];
	struct xwping_sess_result *r = &a->res->sess[i];
	int rc;

	s->app = a;
	s->fd = -1;
	s->r = r;
	r->index = (int)i;
	r->count = cfg->count;
	r->t1 = calloc(cfg->count, sizeof(*r->t1));
	r->answered = calloc(cfg->count, 1);
	r->st = xw_stats_new();
	if (!r->t1 || !r->answered || !r->st)
		return -ENOMEM;
	r->tp = *tp;
	r->tp.padding_len =
		cfg->padding == XWPING_PAD_AUTO ? auto_padding(&r->tp) : (uint32_t)cfg->padding;
	r->sender_len = xw_tp_sender_len(&r->tp);
	if (r->sender_len > XW_TP_MAX_LEN) {
		pr_err("%s %u: padding %u makes packets of %zu octets, more than UDP carries", what,
		       i, r->tp.padding_len, r->sender_len);
		return -EMSGSIZE;
	}
	r->local = *local;
	xw_addr_set_port(&r->local, 0);
	if (cfg->port_range)
		s->fd = xw_udp_open_range(&r->local, cfg->port_lo, cfg->port_hi, uo);
	else
		s->fd = xw_udp_open(&r->local, uo);
	if (s->fd < 0) {
		rc = s->fd;
		pr_err("%s %u: cannot open a UDP test socket: %s", what, i, strerror(-rc));
		return rc;
	}
	return xw_sock_local(s->fd, &r->local);
}

/* Open the UDP sockets, queue one Request-TW-Session per session (RFC 5357 3.5). */
static int request_sessions(struct app *a, uint32_t mode)
{
	const struct xwping_cfg *cfg = a->cfg;
	struct xw_addr local, peer;
	struct xw_udp_opts uo = XW_UDP_OPTS_TEST; /* TTL 255 (RFC 5357 4.1.2), timestamps */
	uint64_t now = xw_clock_now_ns();
	unsigned int i;
	int rc, tpm;

	rc = xw_sock_local(a->ctl_fd, &local);
	if (!rc)
		rc = xw_sock_peer(a->ctl_fd, &peer);
	if (rc) {
		pr_err("control %s: cannot read the connection's addresses: %s", a->srv,
		       strerror(-rc));
		return rc;
	}
	tpm = xw_tp_mode_of(mode);
	if (tpm < 0)
		return tpm;
	uo.dscp = cfg->dscp;

	a->ts = calloc(cfg->sessions, sizeof(*a->ts));
	a->res->sess = calloc(cfg->sessions, sizeof(*a->res->sess));
	if (!a->ts || !a->res->sess)
		return -ENOMEM;
	a->res->nsess = cfg->sessions;
	for (i = 0; i < cfg->sessions; i++) {
		struct tsess *s = &a->ts[i];
		struct xwping_sess_result *r = &a->res->sess[i];
		struct twsess_params p = {0};

		struct xw_tp_cfg tp = {
			.mode = (enum xw_tp_mode)tpm,
			.symmetric = !!(mode & XW_MODE_SYMMETRIC),
			.reflect_len = (mode & XW_MODE_REFLECT_OCT) && cfg->reflect_octets > 0
					       ? (uint16_t)cfg->reflect_octets
					       : 0,
		};

		rc = tsess_setup(a, i, &tp, &local, &uo, "session");
		if (rc)
			return rc;
		r->remote = peer;

		p.ipvn = xw_addr_family(&local) == AF_INET6 ? 6 : 4;
		p.sender_port = xw_addr_port(&r->local);
		/* like the reference: ask for the same port number on the reflector */
		p.receiver_port = p.sender_port;
		xw_addr_to_raw(&r->local, p.sender_addr);
		xw_addr_to_raw(&peer, p.receiver_addr);
		p.padding_len = r->tp.padding_len;
		p.start_time = xw_ns_to_ntp(now + s_to_ns(cfg->start_delay));
		/* RFC 5357 3.5: Timeout = how long the reflector goes on after Stop */
		p.timeout = xw_fix_from_ns(s_to_ns(cfg->wait));
		p.type_p = twsess_typep_from_dscp((uint8_t)cfg->dscp);
		if (mode & XW_MODE_REFLECT_OCT) {
			/* RFC 6038 4.2: a tag the server echoes in Accept-Session */
			p.octets_to_reflect = (uint16_t)(0x5800 | i);
			p.pad_to_reflect = r->tp.reflect_len;
		}
		s->idx = cli_request(a->cli, &p);
		if (s->idx < 0) {
			pr_err("session %u: cannot queue Request-TW-Session: %s", i,
			       strerror(-s->idx));
			return s->idx;
		}
		a->nts++;
	}
	return 0;
}

static void test_rx(struct xw_loop *l, struct xw_io *io, uint32_t events);

/* Accept-Session for session i: where to send, which keys (RFC 4656 4.1.2). */
static int session_accepted(struct app *a, struct tsess *s)
{
	const struct cli_sess *cs = cli_sess(a->cli, s->idx);
	struct xwping_sess_result *r = s->r;
	char buf[XW_ADDRSTRLEN];
	int rc;

	memcpy(r->sid, cs->sid, XW_SID_LEN);
	xw_addr_set_port(&r->remote, cs->port);
	if (cs->has_keys) {
		rc = xw_tp_crypto_init(&s->crypto, &cs->keys);
		if (rc) {
			pr_err("session %d: cannot set up the test keys: %s", r->index,
			       strerror(-rc));
			return rc;
		}
	}
	if ((a->res->mode & XW_MODE_REFLECT_OCT) &&
	    cs->reflected_octets != cs->params.octets_to_reflect)
		pr_warn("session %d: server reflected octets %04x, we sent %04x (RFC 6038 4.3)",
			r->index, cs->reflected_octets, cs->params.octets_to_reflect);
	/* RFC 6038 5.1.2: the Server octets go first in our padding */
	s->reflect[0] = (uint8_t)(cs->server_octets >> 8);
	s->reflect[1] = (uint8_t)cs->server_octets;

	/* connected: the kernel only hands us datagrams from the reflector */
	if (connect(s->fd, &r->remote.sa, r->remote.len)) {
		rc = -errno;
		pr_err("session %d: connect to %s: %s", r->index,
		       xw_addr_fmt(&r->remote, true, buf, sizeof(buf)), strerror(-rc));
		return rc;
	}
	rc = xw_loop_add(&a->loop, &s->io, s->fd, EPOLLIN, test_rx, s);
	if (rc)
		return rc;
	/*
	 * Build one packet now and throw it away: the first use of the random
	 * padding source costs a millisecond or two, which would otherwise
	 * delay packet 0 (and its T1).
	 */
	xw_tp_build_sender(&r->tp, &s->crypto, &(struct xw_tp_sender){0}, NULL, a->txbuf, a->txcap);
	pr_info("session %d: %s -> %s, %zu octets per packet", r->index,
		xw_addr_fmt(&r->local, true, buf, sizeof(buf)),
		xw_addr_fmt(&r->remote, true, (char[XW_ADDRSTRLEN]){0}, XW_ADDRSTRLEN),
		r->sender_len);
	return 0;
}

static void arm_send(struct app *a, uint64_t due)
{
	struct itimerspec it = {0};

	it.it_value.tv_sec = (time_t)(due / XW_NSEC_PER_SEC);
	it.it_value.tv_nsec = (long)(due % XW_NSEC_PER_SEC);
	if (!it.it_value.tv_sec && !it.it_value.tv_nsec)
		it.it_value.tv_nsec = 1; /* zero would disarm */
	if (timerfd_settime(a->tfd, TFD_TIMER_ABSTIME, &it, NULL))
		pr_err("send timer: %s", strerror(errno));
}

static void begin_stop(struct app *a);
static void ctl_progress(struct app *a);

static void wait_done(struct xw_loop *l, struct xw_timer *t)
{
	begin_stop(t->arg);
}

static bool all_answered(const struct app *a)
{
	unsigned int i;

	for (i = 0; i < a->nts; i++) {
		const struct xwping_sess_result *r = a->ts[i].r;

		if (a->ts[i].next_seq < r->count || r->received < r->sent)
			return false;
	}
	return true;
}

/* Every packet is out: wait --wait s for the stragglers (less when all are in). */
static void enter_wait(struct app *a)
{
	a->phase = PH_WAIT;
	a->res->end_ns = xw_clock_now_ns();
	if (all_answered(a)) {
		begin_stop(a);
		return;
	}
	xw_timer_arm(&a->loop, &a->wait_timer, s_to_ns(a->cfg->wait));
}

/* --------------------------------------------------------------------- */
/* Prometheus (--metrics): what a probe exporter shows, per target        */

/* Packets sent more than late ns ago with no answer. */
static uint64_t lost_now(const struct tsess *s, uint64_t now, uint64_t late)
{
	const struct xwping_sess_result *r = s->r;
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < s->next_seq && i < r->count; i++)
		if (r->t1[i] && !r->answered[i] && xw_ntp_to_ns(r->t1[i]) + late < now)
			n++;
	return n;
}

/* One arrival into t (arr->flags say duplicate / reordered). */
static void tally_reply(struct xwping_tally *t, const struct xw_stats_reply *sr, uint64_t t1,
			const struct xw_stats_arrival *arr)
{
	double d[3];
	int k, b;

	if (arr->flags & XW_ARR_DUP) {
		t->dups++;
		return;
	}
	if (arr->flags & XW_ARR_REORD)
		t->reordered++;
	d[0] = (double)(__s64)((sr->t4_ns - t1) - (sr->t3_ns - sr->t2_ns)) / 1e9;
	d[1] = (double)(__s64)(sr->t2_ns - t1) / 1e9;
	d[2] = (double)(__s64)(sr->t4_ns - sr->t3_ns) / 1e9;
	for (k = 0; k < 3; k++) {
		for (b = 0; b < XWPING_NBUCKETS && d[k] > hist_le[b]; b++)
			;
		t->hist[k][b]++;
		t->hsum[k] += d[k];
	}
	t->synced = (sr->sender_errest & XW_ERREST_S) && (sr->refl_errest & XW_ERREST_S);
	t->err_bound =
		(double)(xw_errest_to_ns(sr->sender_errest) + xw_errest_to_ns(sr->refl_errest)) /
		1e9;
}

void xwping_tally_session(const struct xw_stats_session *st, uint64_t sent, uint64_t received,
			  struct xwping_tally *t)
{
	size_t k;

	t->sent += sent;
	t->received += received;
	t->lost += sent > received ? sent - received : 0;
	for (k = 0; st && k < xw_stats_narrivals(st); k++) {
		const struct xw_stats_arrival *arr = xw_stats_arrival_at(st, k);

		tally_reply(t, &arr->r, xw_stats_pkt_at(st, arr->pkt)->t1_ns, arr);
	}
}

void xwping_tally_result(const struct xwping_result *res, struct xwping_tally *t)
{
	unsigned int i;

	for (i = 0; i < res->nsess; i++)
		xwping_tally_session(res->sess[i].st, res->sess[i].sent, res->sess[i].received, t);
}

void xwping_prom_hist_dir(FILE *f, const char *labels, const struct xwping_tally *t, int k,
			  const char *dir)
{
	uint64_t cum = 0;
	int b;

	for (b = 0; b <= XWPING_NBUCKETS; b++) {
		char le[16];

		cum += t->hist[k][b];
		if (b < XWPING_NBUCKETS)
			snprintf(le, sizeof(le), "%g", hist_le[b]);
		else
			snprintf(le, sizeof(le), "+Inf");
		fprintf(f, "xwping_delay_seconds_bucket{%s,direction=\"%s\",le=\"%s\"} %llu\n",
			labels, dir, le, (unsigned long long)cum);
	}
	fprintf(f, "xwping_delay_seconds_sum{%s,direction=\"%s\"} %.9g\n", labels, dir, t->hsum[k]);
	fprintf(f, "xwping_delay_seconds_count{%s,direction=\"%s\"} %llu\n", labels, dir,
		(unsigned long long)cum);
}

void xwping_prom_hist(FILE *f, const char *labels, const struct xwping_tally *t)
{
	static const char *const dir[3] = {"round_trip", "forward", "backward"};
	int k;

	for (k = 0; k < 3; k++)
		xwping_prom_hist_dir(f, labels, t, k, dir[k]);
}

static const char *const phase_names[] = {
	[PH_CONNECT] = "connecting", [PH_CONTROL] = "setup", [PH_TEST] = "sending",
	[PH_WAIT] = "waiting",	     [PH_STOP] = "stopping", [PH_DONE] = "done",
};

static void metrics_render(void *arg, FILE *f)
{
	struct app *a = arg;
	uint64_t now = xw_clock_now_ns(), late = s_to_ns(a->cfg->wait);
	unsigned int i, p;

	xw_prom_help(f, "xwping_session_state", "gauge",
		     "1 for the state the measurement is in (connecting, setup, sending, waiting, "
		     "stopping, done)");
	for (p = 0; p <= PH_DONE; p++)
		fprintf(f, "xwping_session_state{target=\"%s\",state=\"%s\"} %d\n", a->srv,
			phase_names[p], a->phase == p);
#define PER_SESSION(name, type, help, fmt, expr)                                               \
	do {                                                                                   \
		xw_prom_help(f, name, type, help);                                             \
		for (i = 0; i < a->nts; i++)                                                   \
			fprintf(f, name "{target=\"%s\",session=\"%u\"} " fmt "\n", a->srv, i, \
				expr);                                                         \
	} while (0)
	PER_SESSION("xwping_packets_sent_total", "counter", "test packets sent", "%u",
		    a->ts[i].r->sent);
	PER_SESSION("xwping_packets_received_total", "counter",
		    "test packets answered (first copies)", "%u", a->ts[i].r->received);
	PER_SESSION("xwping_packets_lost_total", "counter",
		    "test packets unanswered after --wait seconds", "%llu",
		    (unsigned long long)lost_now(&a->ts[i], now, late));
	PER_SESSION("xwping_packets_duplicated_total", "counter", "extra copies of answers", "%llu",
		    (unsigned long long)a->ts[i].m.dups);
	PER_SESSION("xwping_packets_reordered_total", "counter",
		    "answers out of order (RFC 4737 3.3)", "%llu",
		    (unsigned long long)a->ts[i].m.reordered);
	PER_SESSION("xwping_clock_synchronized", "gauge",
		    "1 when both clocks of the last answer said synchronized (Error Estimate S "
		    "bit): one-way delays mean something",
		    "%d", a->ts[i].m.synced);
	PER_SESSION("xwping_clock_error_bound_seconds", "gauge",
		    "one-way error bound of the last answer (both Error Estimates)", "%g",
		    a->ts[i].m.err_bound);
#undef PER_SESSION
	xw_prom_help(f, "xwping_delay_seconds", "histogram", XWPING_HIST_HELP);
	for (i = 0; i < a->nts; i++) {
		char labels[XW_ADDRSTRLEN + 40];

		snprintf(labels, sizeof(labels), "target=\"%s\",session=\"%u\"", a->srv, i);
		xwping_prom_hist(f, labels, &a->ts[i].m);
	}
}

/* --------------------------------------------------------------------- */
/* Live output (--live, the default on a terminal): what ping shows        */

static void live_flush(void)
{
	/* a pipe is block-buffered: --live there still means "as it happens" */
	fflush(stdout);
}

/* One line per reply: "41 bytes from ADDR: seq=N ttl=T rtt=X ms fwd=Y ms bwd=Z ms". */
static void live_reply(struct app *a, const struct tsess *s, uint32_t seq,
		       const struct xw_stats_reply *sr, size_t len, bool dup)
{
	const struct xwping_sess_result *r = s->r;
	double rtt =
		(double)(__s64)((sr->t4_ns - xw_ntp_to_ns(r->t1[seq])) - (sr->t3_ns - sr->t2_ns));
	double fwd = (double)(__s64)(sr->t2_ns - xw_ntp_to_ns(r->t1[seq]));
	double bwd = (double)(__s64)(sr->t4_ns - sr->t3_ns);
	bool sync = (sr->sender_errest & XW_ERREST_S) && (sr->refl_errest & XW_ERREST_S);
	char buf[XW_ADDRSTRLEN];

	if (a->live_per_second) {
		xwping_live_add(&a->live, rtt);
		return;
	}
	if (a->nts > 1)
		printf("[%d] ", r->index);
	printf("%zu bytes from %s: seq=%u", len, xw_addr_fmt(&r->remote, true, buf, sizeof(buf)),
	       seq);
	if (sr->ip_ttl != XW_STATS_TTL_UNKNOWN)
		printf(" ttl=%d", sr->ip_ttl);
	printf(" rtt=%.3f ms fwd=%.3f ms bwd=%.3f ms%s%s\n", rtt / 1e6, fwd / 1e6, bwd / 1e6,
	       sync ? "" : " (unsync)", dup ? " DUP!" : "");
	live_flush();
}

/* Per-second line: packets and round trip of the last second, totals so far. */
static void live_tick(struct xw_loop *l, struct xw_timer *t)
{
	struct app *a = t->arg;
	uint64_t sent = 0, recv = 0;
	unsigned int i;

	for (i = 0; i < a->nts; i++) {
		sent += a->ts[i].r->sent;
		recv += a->ts[i].r->received;
	}
	printf("%.0f s: %u sent, %u answered", (double)(xw_now_ns() - a->live_t0) / 1e9,
	       a->live.sent, a->live.recv);
	xwping_live_put(&a->live, "rtt");
	printf("; total %llu sent, %llu answered\n", (unsigned long long)sent,
	       (unsigned long long)recv);
	live_flush();
	if (a->phase == PH_TEST || a->phase == PH_WAIT)
		xw_timer_arm(&a->loop, &a->live_timer, XW_NSEC_PER_SEC);
}

/* The line that says what is about to happen, once the sessions are agreed. */
static void live_start(struct app *a)
{
	const struct xwping_cfg *cfg = a->cfg;
	double rate = cfg->interval > 0 ? a->nts / cfg->interval : 1e9;
	double secs = cfg->interval * cfg->count;

	if (cfg->header) {
		if (cfg->light)
			printf("TWAMP Light to %s: ", a->srv);
		else
			printf("%s: mode %s, %u session%s accepted; ", a->srv,
			       xw_mode_name(a->res->mode & XW_MODE_SECURITY_MASK), a->nts,
			       a->nts == 1 ? "" : "s");
		printf("%u packets of %zu octets per session, %s %g s (about %.0f s)\n", cfg->count,
		       a->ts[0].r->sender_len,
		       cfg->schedule == XW_SCHED_POISSON ? "Poisson mean" : "every", cfg->interval,
		       secs + (secs < 1 ? 0.5 : 0));
		live_flush();
	}
	if (!cfg->live)
		return;
	a->live_t0 = xw_now_ns();
	a->live_per_second = rate > LIVE_MAX_RATE;
	if (a->live_per_second)
		xw_timer_arm(&a->loop, &a->live_timer, XW_NSEC_PER_SEC);
}

/* Build, stamp and send packet s->next_seq. */
static void send_one(struct app *a, struct tsess *s)
{
	struct xwping_sess_result *r = s->r;
	struct xw_tp_sender f = {.seq = s->next_seq};
	uint64_t now = xw_clock_now_ns();
	ssize_t k;
	int len, rc;

	f.errest = xw_clock_errest(&a->clk, now);
	f.ts = xw_ns_to_ntp(now);
	if (r->tp.reflect_len) {
		/* server octets, then our sequence number: a reflected copy is checkable */
		s->reflect[2] = (uint8_t)(s->next_seq >> 8);
		s->reflect[3] = (uint8_t)s->next_seq;
	}
	len = xw_tp_build_sender(&r->tp, &s->crypto, &f, r->tp.reflect_len ? s->reflect : NULL,
				 a->txbuf, a->txcap);
	if (len < 0) {
		pr_err("session %d: cannot build packet %u: %s", r->index, s->next_seq,
		       strerror(-len));
		app_fail(a, len);
		return;
	}
	if (r->tp.mode != XW_TP_ENC) {
		/* the timestamp is in clear here: take it after the crypto work */
		now = xw_clock_now_ns();
		f.ts = xw_ns_to_ntp(now);
		rc = xw_tp_stamp(r->tp.mode, a->txbuf, (size_t)len, f.ts, f.errest);
		if (rc)
			f.ts = 0;
	}
	k = send(s->fd, a->txbuf, (size_t)len, MSG_DONTWAIT);
	if (k < 0 && errno == ECONNREFUSED) /* an earlier ICMP error, reported once */
		k = send(s->fd, a->txbuf, (size_t)len, MSG_DONTWAIT);
	if (k != len) {
		r->send_errors++;
		pr_debug("session %d: packet %u not sent: %s", r->index, s->next_seq,
			 k < 0 ? strerror(errno) : "short write");
	} else {
		r->t1[s->next_seq] = f.ts;
		r->sent++;
		a->live.sent++;
		rc = xw_stats_add_sent(r->st, s->next_seq, xw_ntp_to_ns(f.ts));
		if (rc)
			pr_warn("session %d: statistics: %s", r->index, strerror(-rc));
		if (!a->res->start_ns)
			a->res->start_ns = now;
	}
	s->next_seq++;
}

/* Send everything that is due; re-arm for the next due time. */
static void send_due(struct app *a)
{
	uint64_t now = xw_now_ns(), next = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < a->nts && a->phase == PH_TEST; i++) {
		struct tsess *s = &a->ts[i];

		while (s->next_seq < s->r->count && s->due <= now && a->phase == PH_TEST) {
			send_one(a, s);
			if (s->next_seq < s->r->count)
				s->due = xw_sched_next(&s->sched);
		}
		if (s->next_seq < s->r->count && s->due < next)
			next = s->due;
	}
	if (a->phase != PH_TEST)
		return;
	if (next == UINT64_MAX)
		enter_wait(a);
	else
		arm_send(a, next);
}

static void send_tick(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct app *a = io->arg;
	uint64_t expirations;

	if (read(a->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		pr_debug("send timer read: %s", strerror(errno));
	if (a->phase == PH_TEST)
		send_due(a);
}

/* Start-Ack: start every schedule (absolute times from one origin). */
static void start_sending(struct app *a)
{
	const struct xwping_cfg *cfg = a->cfg;
	uint64_t origin = xw_now_ns() + s_to_ns(cfg->start_delay);
	uint64_t seed = cfg->seed;
	unsigned int i;

	if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = xw_clock_now_ns();
	pr_debug("schedule %s, %s %g s, seed %llu",
		 cfg->schedule == XW_SCHED_POISSON ? "poisson" : "periodic",
		 cfg->schedule == XW_SCHED_POISSON ? "mean" : "every", cfg->interval,
		 (unsigned long long)seed);
	for (i = 0; i < a->nts; i++) {
		struct tsess *s = &a->ts[i];

		/* each session its own stream: seeds differ by a large odd constant */
		xw_sched_init(&s->sched, cfg->schedule, s_to_ns(cfg->interval),
			      seed + i * 0xD1B54A32D192ED03ull, origin);
		s->due = xw_sched_next(&s->sched);
	}
	a->phase = PH_TEST;
	live_start(a);
	send_due(a);
}

/*
 * TWAMP Light (RFC 5357 Appendix I): no TWAMP-Control.  The reflector was
 * configured out of band, so the sessions are sockets connected to the
 * reflector's address and port, unauthenticated, with the RFC 6038
 * options the user asked for (the reflector must be configured alike),
 * and the schedule starts at once.
 */
static int light_start(struct app *a, const struct xw_addr *server)
{
	const struct xwping_cfg *cfg = a->cfg;
	struct xw_udp_opts uo = XW_UDP_OPTS_TEST; /* TTL 255 (RFC 5357 4.1.2), timestamps */
	char buf[XW_ADDRSTRLEN];
	unsigned int i;
	int rc;

	uo.dscp = cfg->dscp;
	a->res->mode = XW_MODE_OPEN | (cfg->symmetric ? XW_MODE_SYMMETRIC : 0) |
		       (cfg->reflect_octets > 0 ? XW_MODE_REFLECT_OCT : 0);
	a->ts = calloc(cfg->sessions, sizeof(*a->ts));
	a->res->sess = calloc(cfg->sessions, sizeof(*a->res->sess));
	if (!a->ts || !a->res->sess)
		return -ENOMEM;
	a->res->nsess = cfg->sessions;
	for (i = 0; i < cfg->sessions; i++) {
		struct tsess *s = &a->ts[i];
		struct xwping_sess_result *r = &a->res->sess[i];

		struct xw_tp_cfg tp = {
			.mode = XW_TP_OPEN,
			.symmetric = cfg->symmetric,
			.reflect_len = cfg->reflect_octets > 0 ? (uint16_t)cfg->reflect_octets : 0,
		};
		struct xw_addr any;

		a->nts++;
		if (cfg->has_source)
			any = cfg->source_addr; /* -S */
		else
			xw_addr_any(&any, xw_addr_family(server), 0);
		rc = tsess_setup(a, i, &tp, &any, &uo, "light session");
		if (rc)
			return rc;
		r->remote = *server;
		/* connected: the kernel only hands us datagrams from the reflector */
		if (connect(s->fd, &r->remote.sa, r->remote.len)) {
			rc = -errno;
			pr_err("light session %u: connect to %s: %s", i,
			       xw_addr_fmt(&r->remote, true, buf, sizeof(buf)), strerror(-rc));
			return rc;
		}
		rc = xw_sock_local(s->fd, &r->local);
		if (!rc)
			rc = xw_loop_add(&a->loop, &s->io, s->fd, EPOLLIN, test_rx, s);
		if (rc)
			return rc;
		/* as in session_accepted(): the padding source's first use is slow */
		xw_tp_build_sender(&r->tp, &s->crypto, &(struct xw_tp_sender){0}, NULL, a->txbuf,
				   a->txcap);
		pr_info("light session %u: %s -> %s, %zu octets per packet (TWAMP Light, no "
			"control connection)",
			i, xw_addr_fmt(&r->local, true, buf, sizeof(buf)),
			xw_addr_fmt(&r->remote, true, (char[XW_ADDRSTRLEN]){0}, XW_ADDRSTRLEN),
			r->sender_len);
	}
	start_sending(a);
	return 0;
}

static void stop_flushed(struct app *a)
{
	a->res->completed = true;
	a->phase = PH_DONE;
	xw_loop_stop(&a->loop);
}

/* Stop-Sessions (RFC 5357 3.8); the loop ends once it is on the wire. */
static void begin_stop(struct app *a)
{
	int rc;

	if (a->phase == PH_STOP || a->phase == PH_DONE)
		return;
	xw_timer_cancel(&a->loop, &a->wait_timer);
	xw_timer_cancel(&a->loop, &a->live_timer);
	if (!a->res->end_ns)
		a->res->end_ns = xw_clock_now_ns();
	a->phase = PH_STOP;
	if (a->cfg->light) {
		/* TWAMP Light: no Stop-Sessions to send */
		stop_flushed(a);
		return;
	}
	rc = cli_stop(a->cli, XW_ACCEPT_OK);
	if (rc) {
		pr_err("control %s: cannot queue Stop-Sessions: %s", a->srv, strerror(-rc));
		app_fail(a, rc);
		return;
	}
	/* the STOPPED event, then the flush, finish the run */
	ctl_progress(a);
}

static void test_rx(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct tsess *s = io->arg;
	struct app *a = s->app;
	struct xwping_sess_result *r = s->r;
	int n, i;

	n = xw_recv_batch(s->fd, &a->rx);
	if (n == -ECONNREFUSED) {
		/* ICMP port unreachable from the reflector's host: the packet is lost */
		pr_debug("session %d: reflector port unreachable", r->index);
		r->port_unreachable++;
		return;
	}
	if (n < 0) {
		if (n != -EAGAIN)
			pr_warn("session %d: receive: %s", r->index, strerror(-n));
		return;
	}
	for (i = 0; i < n; i++) {
		const struct xw_rx_msg *m = &a->rx.msg[i];
		struct xw_tp_reply rep;
		struct xw_stats_reply sr = {0};
		uint64_t t4;
		int rc;

		if (m->truncated) {
			r->drops[XWPING_DROP_OVERSIZE]++;
			continue;
		}
		if (!m->ts_valid) {
			r->drops[XWPING_DROP_NOTS]++;
			continue;
		}
		t4 = xw_timespec_to_ntp(&m->ts);
		rc = xw_tp_parse_reflector(&r->tp, &s->crypto, m->buf, m->len, t4, &rep);
		if (rc < 0) {
			r->drops[xw_tp_drop_reason(rc)]++;
			continue;
		}
		if (rep.sender_seq >= s->next_seq) {
			r->drops[XWPING_DROP_UNKNOWN]++;
			continue;
		}
		if (!r->t1[rep.sender_seq] || rep.t1 != r->t1[rep.sender_seq]) {
			r->drops[XWPING_DROP_T1]++;
			continue;
		}
		sr.refl_seq = rep.seq;
		sr.t2_ns = xw_ntp_to_ns(rep.t2);
		sr.t3_ns = xw_ntp_to_ns(rep.t3);
		sr.t4_ns = xw_ntp_to_ns(t4);
		sr.sender_errest = rep.sender_errest;
		sr.refl_errest = rep.errest;
		sr.sender_ttl = rep.sender_ttl;
		sr.ip_ttl = m->ttl >= 0 ? (__s16)m->ttl : XW_STATS_TTL_UNKNOWN;
		rc = xw_stats_add_reply(r->st, rep.sender_seq, &sr);
		if (rc)
			pr_warn("session %d: statistics: %s", r->index, strerror(-rc));
		if (!rc && a->metrics)
			tally_reply(&s->m, &sr, xw_ntp_to_ns(r->t1[rep.sender_seq]),
				    xw_stats_arrival_at(r->st, xw_stats_narrivals(r->st) - 1));
		if (!rc && a->cfg->raw) {
			/* twping -R lines as they happen (the reference prints them at the end) */
			xw_report_raw_arrival(
				stdout, r->st,
				xw_stats_arrival_at(r->st, xw_stats_narrivals(r->st) - 1));
			live_flush();
		}
		if (a->cfg->live)
			live_reply(a, s, rep.sender_seq, &sr, m->len,
				   r->answered[rep.sender_seq] != 0);
		if (!r->answered[rep.sender_seq]) {
			r->answered[rep.sender_seq] = 1;
			r->received++;
		}
		if (r->tp.reflect_len) {
			/* RFC 6038 5.2: the first reflect_len octets of our padding come back */
			size_t nref = r->tp.reflect_len < 4 ? r->tp.reflect_len : 4;
			uint8_t want[4];

			memcpy(want, s->reflect, 2);
			want[2] = (uint8_t)(rep.sender_seq >> 8);
			want[3] = (uint8_t)rep.sender_seq;
			if (rep.padding_len < nref || memcmp(rep.padding, want, nref))
				r->reflect_mismatch++;
		}
	}
	if (a->phase == PH_WAIT && all_answered(a))
		begin_stop(a);
}

/* --------------------------------------------------------------------- */
/* Control events                                                           */

/* RFC 7717: say whether the IKE key was used and, when it was wanted, why not. */
static void ike_report(struct app *a, uint32_t mode)
{
	const struct xwping_cfg *cfg = a->cfg;
	uint8_t spi_i[XW_IKE_SPI_LEN], spi_r[XW_IKE_SPI_LEN];
	char spis[XW_IKE_SPIS_STRLEN];

	if (!a->ike)
		return;
	xw_ike_keyid_get(a->ike->keyid, spi_i, spi_r);
	xw_ike_spis_str(spi_i, spi_r, spis, sizeof(spis));
	if (mode & XW_MODE_IKEV2_DERIV) {
		pr_info("control %s: IKEv2-derived key of SPIi %.16s SPIr %.16s (RFC 7717)", a->srv,
			spis, spis + 17);
		return;
	}
	/* RFC 7717 5.2: a server without IKEv2Derived; the RFC 4656/5357 modes instead */
	xw_log(cfg->ike ? XW_LOG_WARN : XW_LOG_INFO,
	       "control %s: %s: using mode %s without the IKE key", a->srv,
	       (a->res->server_modes & XW_MODE_IKEV2_DERIV)
		       ? "the server offers IKEv2-derived keys only in modes we do not allow"
		       : "the server does not offer IKEv2-derived keys (RFC 7717)",
	       xw_mode_name(mode & XW_MODE_SECURITY_MASK));
}

static void handle_events(struct app *a)
{
	const struct xwping_cfg *cfg = a->cfg;
	struct cli_event ev;
	unsigned int i;
	int rc;

	while (a->phase != PH_DONE && cli_event(a->cli, &ev)) {
		switch (ev.type) {
		case CLI_EV_NONE:
		case CLI_EV_FETCHED: /* OWAMP only */
			break;
		case CLI_EV_GREETING:
			a->res->server_modes = ev.modes;
			pr_info("control %s: server offers modes 0x%x", a->srv, ev.modes);
			break;
		case CLI_EV_SERVER_START:
			if (ev.accept == XW_ACCEPT_FAILURE &&
			    (ev.modes & XW_MODE_SECURITY_MASK) != XW_MODE_OPEN) {
				xwping_say_key_refused(cfg, a->srv, ev.modes);
				app_fail(a, -ECONNREFUSED);
				break;
			}
			if (ev.accept != XW_ACCEPT_OK) {
				pr_err("control %s: server refused the connection: Accept %u (%s)",
				       a->srv, ev.accept, xwping_accept_str(ev.accept));
				app_fail(a, -ECONNREFUSED);
				break;
			}
			a->res->mode = ev.modes;
			pr_info("control %s: mode %s (0x%x)", a->srv,
				xw_mode_name(ev.modes & XW_MODE_SECURITY_MASK), ev.modes);
			ike_report(a, ev.modes);
			if (cfg->symmetric && !(ev.modes & XW_MODE_SYMMETRIC))
				pr_warn("server does not offer symmetrical size (RFC 6038): not "
					"used");
			if (cfg->reflect_octets >= 0 && !(ev.modes & XW_MODE_REFLECT_OCT))
				pr_warn("server does not offer reflect octets (RFC 6038): not "
					"used");
			if (cfg->start_n && !(ev.modes & XW_MODE_INDIV_SESS))
				pr_warn("server does not offer individual session control (RFC "
					"5938): using Start-Sessions");
			rc = request_sessions(a, ev.modes);
			if (rc)
				app_fail(a, rc);
			break;
		case CLI_EV_ACCEPT:
			for (i = 0; i < a->nts && a->ts[i].idx != ev.sess; i++)
				;
			if (i == a->nts)
				break;
			if (ev.accept != XW_ACCEPT_OK) {
				pr_err("control %s: server refused test session %u: Accept %u (%s)",
				       a->srv, i, ev.accept, xwping_accept_str(ev.accept));
				app_fail(a, -ECONNREFUSED);
				break;
			}
			rc = session_accepted(a, &a->ts[i]);
			if (rc) {
				app_fail(a, rc);
				break;
			}
			if (++a->accepted == a->nts) {
				rc = cli_start(a->cli);
				if (rc)
					app_fail(a, rc);
			}
			break;
		case CLI_EV_STARTED:
			if (ev.accept != XW_ACCEPT_OK) {
				pr_err("control %s: server refused to start the sessions: Accept "
				       "%u "
				       "(%s)",
				       a->srv, ev.accept, xwping_accept_str(ev.accept));
				app_fail(a, -ECONNREFUSED);
				break;
			}
			if (a->phase == PH_CONTROL)
				start_sending(a);
			break;
		case CLI_EV_STOPPED:
			if (ev.accept != XW_ACCEPT_OK)
				pr_warn("control %s: Stop-N-Ack Accept %u (%s)", a->srv, ev.accept,
					xwping_accept_str(ev.accept));
			break;
		case CLI_EV_CLOSED:
			if (a->phase == PH_STOP &&
			    (ev.reason == CLI_CLOSE_PEER || ev.reason == CLI_CLOSE_LOCAL)) {
				stop_flushed(a);
				break;
			}
			if (ev.reason == CLI_CLOSE_REFUSED)
				break; /* reported with its Accept code at SERVER_START */
			/* a last message (Set-Up-Response with Mode 0, RFC 4656 3.1) */
			ctl_flush(a);
			if (ev.reason == CLI_CLOSE_NO_MODE &&
			    (a->res->server_modes & XW_MODE_OPEN) && a->key_no_open)
				pr_err("control %s: the server offers no keyed mode we allow "
				       "(Modes 0x%x), only unauthenticated ones: refusing to fall "
				       "back to open mode with a key (the greeting is not "
				       "authenticated, an on-path attacker may have removed the "
				       "keyed modes); -A open allows it",
				       a->srv, a->res->server_modes);
			else if (ev.reason == CLI_CLOSE_COUNT)
				pr_err("control %s: the server's greeting asks for more PBKDF2 "
				       "iterations (Count) than --max-count %u (RFC 5357 6): "
				       "refused; raise --max-count to allow it",
				       a->srv, cfg->max_count);
			else
				pr_err("control %s: connection closed: %s", a->srv,
				       ev.reason == CLI_CLOSE_NO_MODE
					       ? "the server offers none of the allowed modes"
					       : cli_close_name(ev.reason));
			app_fail(a, ev.reason == CLI_CLOSE_PEER ? -ECONNRESET : -EPROTO);
			break;
		}
	}
}

/* After any input or command: events, output, timers, end of the run. */
static void ctl_progress_rx(struct app *a, bool received)
{
	int rc;

	handle_events(a);
	if (a->phase == PH_DONE)
		return;
	rc = ctl_flush(a);
	if (rc) {
		pr_err("control %s: send: %s", a->srv, strerror(-rc));
		app_fail(a, rc);
		return;
	}
	if (a->phase == PH_STOP && !cli_busy(a->cli) && !cli_out_pending(a->cli)) {
		/* Stop-Sessions is on the wire; TWAMP has no answer to it (RFC 5357 3.8) */
		stop_flushed(a);
		return;
	}
	ctl_timer_update(a, received);
	ctl_watch(a);
}

static void ctl_progress(struct app *a)
{
	ctl_progress_rx(a, false);
}

static void ctl_io(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct app *a = io->arg;
	uint8_t buf[4096];
	bool got = false;
	ssize_t k;
	int rc;

	if (a->phase == PH_CONNECT) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		rc = xw_tcp_connect_result(a->ctl_fd);
		if (rc) {
			pr_err("control %s: connect: %s", a->srv, strerror(-rc));
			app_fail(a, rc);
			return;
		}
		a->phase = PH_CONTROL;
		got = true; /* the greeting is due now: restart the timer */
		pr_debug("control %s: connected", a->srv);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			k = recv(a->ctl_fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (k > 0) {
				cli_feed(a->cli, buf, (size_t)k);
				got = true;
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (k < 0)
				pr_debug("control %s: recv: %s", a->srv, strerror(errno));
			cli_eof(a->cli);
			break;
		}
	}
	ctl_progress_rx(a, got);
}

void xwping_say_key_refused(const struct xwping_cfg *cfg, const char *srv, uint32_t modes)
{
	/* RFC 4656 3.1: Accept 1 in Server-Start is the server's "bad key" answer */
	if (cfg->sa_variant)
		pr_err("control %s: the server refused the IPsec SA's keys (Server-Start Accept "
		       "1): it has no such SA any more (rekeyed?) or its keys differ",
		       srv);
	else if (modes & XW_MODE_IKEV2_DERIV)
		pr_err("control %s: the server refused the IKEv2-derived key (Server-Start Accept "
		       "1, RFC 7717)",
		       srv);
	else
		pr_err("control %s: the server refused KeyID '%s' (Server-Start Accept 1): it is "
		       "not in the server's key file or its passphrase there differs from the one "
		       "in %s",
		       srv, cfg->keyid ? cfg->keyid : "?",
		       cfg->keyfile ? cfg->keyfile : "the key file");
}

int xwping_svg_write(const char *path, const char *title, const struct xw_svg_part *parts, size_t n)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f) {
		rc = -errno;
		fprintf(stderr, "xwping: --svg %s: %s\n", path, strerror(-rc));
		return rc;
	}
	rc = xw_svg_run(f, title, parts, n);
	if (fclose(f) && !rc)
		rc = -EIO;
	if (rc)
		fprintf(stderr, "xwping: --svg %s: %s\n", path, strerror(-rc));
	return rc;
}

void xwping_interrupted_line(FILE *f, int signo, double seconds)
{
	fprintf(f,
		"--- interrupted by %s after %.1f s: the report covers what was measured until "
		"then ---\n",
		signo == SIGTERM ? "SIGTERM" : "SIGINT", seconds);
}

void xwping_live_add(struct xwping_live *l, double ns)
{
	if (!l->recv || ns < l->min)
		l->min = ns;
	if (!l->recv || ns > l->max)
		l->max = ns;
	l->recv++;
	l->sum += ns;
}

void xwping_live_put(struct xwping_live *l, const char *what)
{
	if (l->recv)
		printf(", %s min/avg/max = %.3f/%.3f/%.3f ms", what, l->min / 1e6,
		       l->sum / l->recv / 1e6, l->max / 1e6);
	l->sent = l->recv = 0;
	l->sum = 0;
}

/* SIGINT / SIGTERM: stop sending and report what we have; twice: give up. */
static void on_signal(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct app *a = io->arg;
	struct signalfd_siginfo si;

	if (read(a->sfd, &si, sizeof(si)) != sizeof(si))
		return;
	a->res->signo = (int)si.ssi_signo;
	if (a->res->interrupted || a->phase < PH_TEST) {
		/* nothing measured yet (or a second signal): no report */
		a->res->interrupted = true;
		pr_warn("interrupted (%s)%s", strsignal((int)si.ssi_signo),
			a->phase < PH_TEST ? " before any test packet" : "");
		app_fail(a, -EINTR);
		return;
	}
	a->res->interrupted = true;
	pr_info("interrupted: stopping the sessions");
	begin_stop(a);
}

/* --------------------------------------------------------------------- */

/*
 * With a key (-u/-k, or an IKE key for this server) and no -A naming open,
 * open mode is not allowed: the Server Greeting's Modes travel before any
 * key is in use and nothing authenticates them later (RFC 4656 3.1, 3.2),
 * so an on-path attacker could remove the keyed modes and get an
 * unauthenticated session that the user believes protected.
 */
static bool key_no_open(const struct xwping_cfg *cfg, uint32_t ike_modes)
{
	return !cfg->modes_given && (cfg->keyid || ike_modes);
}

struct cli *xwping_make_cli(const struct xwping_cfg *cfg, const uint8_t *secret, size_t secret_len,
			    const struct xw_key *ike, enum cli_proto proto, bool *no_open)
{
	struct cli_cfg cc = {0};
	struct cli *c;

	cc.proto = proto;
	cc.modes = cfg->modes;
	cc.max_count = cfg->max_count;
	if (cfg->start_n)
		cc.features |= XW_MODE_INDIV_SESS;
	if (cfg->symmetric)
		cc.features |= XW_MODE_SYMMETRIC;
	if (cfg->reflect_octets >= 0)
		cc.features |= XW_MODE_REFLECT_OCT;
	if (cfg->keyid && xw_keyid_pad(cfg->keyid, cc.keyid))
		return NULL; /* cfg.c checked the length already */
	cc.secret = secret;
	cc.secret_len = secret_len;
	cc.peer = cfg->server;
	/* RFC 7717 5.3: KeyID = SPIi || SPIr; the key stands in for the passphrase */
	if (ike && cfg->ike_modes) {
		cc.ike_modes = cfg->ike_modes;
		cc.ike_secret = ike->secret;
		cc.ike_secret_len = ike->len;
		memcpy(cc.ike_keyid, ike->keyid, XW_KEYID_LEN);
	}
	/* OWAMP without a key: open mode only, not a keyed mode with no secret (the SA's keys count) */
	if (proto == CLI_PROTO_OWAMP && !secret_len && !(cfg->sa_variant && cfg->sa_pair))
		cc.modes &= XW_MODE_OPEN;
	if (cfg->sa_variant && cfg->sa_pair) {
		cc.sa_variant = cfg->sa_variant;
		cc.sa = *cfg->sa_pair;
		cc.sa_root = cfg->sa_root;
	}
	*no_open = (key_no_open(cfg, cc.ike_modes) || (!cfg->modes_given && cfg->sa_variant)) &&
		   (cc.modes & XW_MODE_OPEN);
	if (*no_open)
		cc.modes &= ~XW_MODE_OPEN;
	c = cli_new(&cc);
	xw_wipe(&cc, sizeof(cc));
	return c;
}

static int setup(struct app *a, const struct xw_addr *server, const uint8_t *secret,
		 size_t secret_len, const struct xw_key *ike)
{
	const struct xwping_cfg *cfg = a->cfg;
	sigset_t sigs;
	bool in_progress = false;
	int rc;

	/* timer slack would delay every send by up to 50 us: ask for exact wake-ups */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	xw_clock_init(&a->clk);
	rc = xw_loop_init(&a->loop);
	if (rc)
		return rc;
	xw_timer_init(&a->ctl_timer, ctl_timeout, a);
	xw_timer_init(&a->wait_timer, wait_done, a);
	xw_timer_init(&a->live_timer, live_tick, a);
	xw_addr_fmt(server, true, a->srv, sizeof(a->srv));
	if (cfg->metrics) {
		rc = xw_httpm_open(&a->loop, cfg->metrics, metrics_render, a, &a->metrics);
		if (rc)
			return rc;
	}

	/* Ctrl-C: stop the sessions and report, TWAMP and TWAMP Light alike */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	/* an inherited "ignore" (a background job of a script) would discard them */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (!sigprocmask(SIG_BLOCK, &sigs, NULL)) {
		a->sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
		if (a->sfd >= 0)
			xw_loop_add(&a->loop, &a->sfd_io, a->sfd, EPOLLIN, on_signal, a);
	}

	a->ike = ike;
	if (cfg->light) {
		a->txcap = XW_TP_MAX_LEN;
		a->txbuf = malloc(a->txcap);
		a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (!a->txbuf || a->tfd < 0)
			return -ENOMEM;
		rc = xw_rxbatch_init(&a->rx, 16, XW_TP_MAX_LEN + 1);
		if (!rc)
			rc = xw_loop_add(&a->loop, &a->tfd_io, a->tfd, EPOLLIN, send_tick, a);
		if (!rc)
			rc = light_start(a, server);
		return rc;
	}
	a->cli = xwping_make_cli(cfg, secret, secret_len, ike, CLI_PROTO_TWAMP, &a->key_no_open);
	if (!a->cli) {
		pr_err("cannot set up the control client (modes 0x%x)", cfg->modes);
		return -EINVAL;
	}
	a->txcap = XW_TP_MAX_LEN;
	a->txbuf = malloc(a->txcap);
	if (!a->txbuf)
		return -ENOMEM;
	/* any reply a UDP datagram can hold, + 1 octet so that MSG_TRUNC shows */
	rc = xw_rxbatch_init(&a->rx, 16, XW_TP_MAX_LEN + 1);
	if (rc)
		return rc;

	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->tfd < 0)
		return -errno;
	rc = xw_loop_add(&a->loop, &a->tfd_io, a->tfd, EPOLLIN, send_tick, a);
	if (rc)
		return rc;

	if (cfg->header) {
		/* say what is happening before the first wait (connect, greeting) */
		printf("connecting to %s (TWAMP-Control, timeout %g s)\n", a->srv,
		       cfg->ctl_timeout);
		fflush(stdout);
	}
	a->ctl_fd =
		xw_tcp_connect(server, cfg->has_source ? &cfg->source_addr : NULL, &in_progress);
	if (a->ctl_fd < 0) {
		rc = a->ctl_fd;
		pr_err("control %s: connect: %s", a->srv, strerror(-rc));
		return rc;
	}
	a->phase = in_progress ? PH_CONNECT : PH_CONTROL;
	a->ctl_events = EPOLLIN | EPOLLOUT;
	rc = xw_loop_add(&a->loop, &a->ctl_io, a->ctl_fd, a->ctl_events, ctl_io, a);
	if (rc)
		return rc;
	ctl_timer_update(a, true);
	return 0;
}

static void teardown(struct app *a)
{
	unsigned int i;

	for (i = 0; i < a->nts; i++) {
		xw_loop_del(&a->loop, &a->ts[i].io);
		if (a->ts[i].fd >= 0)
			close(a->ts[i].fd);
		xw_tp_crypto_free(&a->ts[i].crypto);
	}
	free(a->ts);
	if (a->ctl_fd >= 0) {
		xw_loop_del(&a->loop, &a->ctl_io);
		close(a->ctl_fd);
	}
	if (a->tfd >= 0) {
		xw_loop_del(&a->loop, &a->tfd_io);
		close(a->tfd);
	}
	if (a->sfd >= 0) {
		xw_loop_del(&a->loop, &a->sfd_io);
		close(a->sfd);
	}
	xw_httpm_close(a->metrics);
	cli_free(a->cli);
	xw_rxbatch_free(&a->rx);
	free(a->txbuf);
	xw_loop_fini(&a->loop);
}

int xwping_run(const struct xwping_cfg *cfg, const struct xw_addr *server, const uint8_t *secret,
	       size_t secret_len, const struct xw_key *ike, struct xwping_result *res)
{
	struct app a = {.cfg = cfg, .res = res, .ctl_fd = -1, .tfd = -1, .sfd = -1};
	int rc;

	memset(res, 0, sizeof(*res));
	res->server = *server;
	a.loop.epfd = -1;
	rc = setup(&a, server, secret, secret_len, ike);
	if (!rc)
		rc = xw_loop_run(&a.loop);
	if (!rc)
		rc = a.rc;
	if (!rc && !res->completed)
		rc = -EPROTO;
	teardown(&a);
	return rc;
}

void xwping_result_free(struct xwping_result *res)
{
	unsigned int i;

	for (i = 0; i < res->nsess; i++) {
		free(res->sess[i].t1);
		free(res->sess[i].answered);
		xw_stats_free(res->sess[i].st);
	}
	free(res->sess);
	res->sess = NULL;
	res->nsess = 0;
}
