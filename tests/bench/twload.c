// SPDX-License-Identifier: GPL-2.0-only
/*
 * Load generator of the benchmarks (tests/bench.sh).  Two commands:
 *
 *   twload data  --xw ADDR:PORT --echo ADDR:PORT --local ADDR [...]
 *	Sets up three real TWAMP sessions with xwampd through the sans-I/O
 *	client (control/cli.h) over TCP: unauthenticated, authenticated and
 *	encrypted, each started and kept open.  Then, interleaved round by
 *	round against the udp_echo baseline (B S1 B S2 B S3 B ...):
 *	  pps: TWAMP-Test sender packets (control/testpkt.h) as fast as the
 *	       reflector answers, with a bounded window in flight;
 *	  rtt: one packet in flight, RTT from the kernel's receive timestamp.
 *
 *   twload setup --greet ADDR:PORT --xw ADDR:PORT [--xw1024 ADDR:PORT] [...]
 *	Complete TWAMP-Control exchanges per second (greeting, Set-Up-Response,
 *	Server-Start, Request-TW-Session, Accept-Session, Start-Sessions,
 *	Start-Ack, Stop-Sessions, close) with several connections in parallel,
 *	interleaved with the baseline: TCP connect + 64-octet greeting read +
 *	close against tcp_greet.
 *
 * Every figure is printed as a ratio against the baseline phases right
 * before and after it, median over the rounds with the spread (min..max).
 *
 * Why one thread with a window for the packet rate: the machines have two
 * cores.  A sender thread plus a receiver thread plus the reflector are
 * three busy threads; the load generator would take CPU from the reflector
 * it measures.  One thread that sends while fewer than --window packets are
 * in flight and sleeps in poll() otherwise leaves a core to the reflector,
 * and the window keeps the reflector's socket buffer from overflowing (so
 * the figure is a rate of answers, not of drops).  Its CPU use is printed
 * beside each figure so it can be seen not to be the limit.
 *
 * The generator pre-builds a ring of sender packets per session (its own
 * crypto is then out of the loop); xwampd verifies, decrypts and answers
 * each of them as if new (a TWAMP reflector does not reject repeated
 * sequence numbers).  One reply in 256 is verified by the generator.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "clock.h"
#include "log.h"
#include "net.h"
#include "testpkt.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

#define PKT_LEN	    112 /* UDP payload of every packet, both ways, every mode */
#define RING	    1024
#define MAX_SUBJ    8
#define MAX_ROUNDS  16
#define NMET	    4
#define STALL_NS    (20 * 1000000ULL)
#define CTL_TIMEOUT 5000 /* ms */

/* --- options --------------------------------------------------------------- */

struct opts {
	struct xw_addr xw, xw1024, echo, greet, local;
	bool have_xw1024;
	const char *keyid, *secret;
	unsigned int rounds, window, pings, conns;
	unsigned int sessions, per_conn; /* scale */
	unsigned int echo_ports;	 /* scale: udp_echo --ports N (session i on port + i % N) */
	struct xw_addr echo_ts; /* data: udp_echo --stamp, the paced round trip's baseline */
	unsigned int gap_us, gap_pings; /* data: the paced round trip (0: none) */
	uint32_t mode;			/* scale: XW_MODE_OPEN, _AUTH or _ENCRYPTED */
	double rate;			/* scale: packets/s of each session */
	double churn;			/* scale: extra set-ups per second during the run */
	double secs;
	pid_t xw_pid, xw1024_pid, echo_pid, greet_pid;
};

/* --- the interleaving engine ------------------------------------------------ */

/* One phase's figures; which of v[] mean what depends on the command. */
struct phase {
	double v[NMET];
};

struct subj {
	const char *name;
	int (*run)(void *arg, struct phase *out);
	void *arg;
};

struct metric {
	const char *name;
	const char *unit;
	double scale; /* printed value = v * scale */
	bool ratio;   /* print a ratio against the baseline */
};

struct results {
	unsigned int nsubj, rounds;
	struct phase subj[MAX_SUBJ][MAX_ROUNDS];
	struct phase base[MAX_SUBJ][MAX_ROUNDS]; /* mean of the baseline before and after */
};

static void phase_mean(struct phase *o, const struct phase *a, const struct phase *b)
{
	int i;

	for (i = 0; i < NMET; i++)
		o->v[i] = (a->v[i] + b->v[i]) / 2;
}

/* B S1 B S2 B ... Sn B, rounds times; each subject compared with the Bs around it. */
static int interleave(const struct subj *base, const struct subj *s, unsigned int n,
		      unsigned int rounds, struct results *res)
{
	struct phase before, after;
	unsigned int r, i;

	res->nsubj = n;
	res->rounds = rounds;
	for (r = 0; r < rounds; r++) {
		if (base->run(base->arg, &before))
			return -1;
		for (i = 0; i < n; i++) {
			if (s[i].run(s[i].arg, &res->subj[i][r]))
				return -1;
			if (base->run(base->arg, &after))
				return -1;
			phase_mean(&res->base[i][r], &before, &after);
			before = after;
		}
		fprintf(stderr, "# round %u/%u done\n", r + 1, rounds);
	}
	return 0;
}

static void print_results(const char *title, const char *base_name, const struct subj *s,
			  const struct results *res, const struct metric *m, unsigned int nmet)
{
	double v[MAX_ROUNDS], b[MAX_ROUNDS], q[MAX_ROUNDS];
	unsigned int i, j, r, n = res->rounds;
	struct bench_spread sv, sb, sq;

	printf("\n%s (%u rounds, baseline: %s)\n", title, n, base_name);
	for (i = 0; i < res->nsubj; i++) {
		for (j = 0; j < nmet; j++) {
			for (r = 0; r < n; r++) {
				v[r] = res->subj[i][r].v[j] * m[j].scale;
				b[r] = res->base[i][r].v[j] * m[j].scale;
				q[r] = b[r] != 0 ? v[r] / b[r] : NAN;
			}
			sv = bench_spread(v, n);
			sb = bench_spread(b, n);
			sq = bench_spread(q, n);
			if (m[j].ratio)
				printf("  %-14s %-15s %10.2f %-5s baseline %10.2f   ratio %6.3f "
				       "(%.3f..%.3f)\n",
				       j ? "" : s[i].name, m[j].name, sv.med, m[j].unit, sb.med,
				       sq.med, sq.min, sq.max);
			else
				printf("  %-14s %-15s %10.2f %-5s baseline %10.2f\n",
				       j ? "" : s[i].name, m[j].name, sv.med, m[j].unit, sb.med);
		}
	}
	fflush(stdout);
}

/* --- control connection, blocking (for the data benchmarks) ------------------ */

static int send_all(int fd, struct cli *c)
{
	const uint8_t *p;
	size_t n;

	while ((p = cli_out_peek(c, &n)) && n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		cli_out_consume(c, (size_t)k);
	}
	return 0;
}

/* Drive the client until an event of type want arrives; 0, or -1 on failure. */
static int ctl_until(int fd, struct cli *c, enum cli_ev_type want, struct cli_event *got)
{
	struct cli_event ev;
	uint8_t buf[4096];

	for (;;) {
		if (send_all(fd, c))
			return -1;
		while (cli_event(c, &ev)) {
			if (ev.type == CLI_EV_CLOSED) {
				fprintf(stderr, "twload: control closed: %s\n",
					cli_close_name(ev.reason));
				return -1;
			}
			if ((ev.type == CLI_EV_ACCEPT || ev.type == CLI_EV_SERVER_START ||
			     ev.type == CLI_EV_STARTED) &&
			    ev.accept) {
				fprintf(stderr, "twload: event %d with Accept %u\n", ev.type,
					ev.accept);
				return -1;
			}
			if (ev.type == want) {
				if (got)
					*got = ev;
				return send_all(fd, c) ? -1 : 0;
			}
		}
		{
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			ssize_t k;

			if (poll(&pfd, 1, CTL_TIMEOUT) <= 0) {
				fprintf(stderr, "twload: control: no answer\n");
				return -1;
			}
			k = recv(fd, buf, sizeof(buf), 0);
			if (k > 0)
				cli_feed(c, buf, (size_t)k);
			else
				cli_eof(c);
		}
	}
}

static int tcp_connect_blocking(const struct xw_addr *a)
{
	bool inprog;
	int fd = xw_tcp_connect(a, NULL, &inprog);

	if (fd < 0)
		return fd;
	if (inprog) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};

		if (poll(&pfd, 1, CTL_TIMEOUT) <= 0 || xw_tcp_connect_result(fd)) {
			close(fd);
			return -ETIMEDOUT;
		}
	}
	return fd;
}

static void cfg_for_mode(struct cli_cfg *cc, uint32_t mode, const struct opts *o)
{
	memset(cc, 0, sizeof(*cc));
	cc->modes = mode;
	if (mode != XW_MODE_OPEN) {
		size_t n = strlen(o->keyid);

		memcpy(cc->keyid, o->keyid, n < XW_KEYID_LEN ? n : XW_KEYID_LEN);
		cc->secret = (const uint8_t *)o->secret;
		cc->secret_len = strlen(o->secret);
	}
	cc->peer = "bench";
}

/* --- one data target: udp_echo or an xwampd session ----------------------- */

struct target {
	const char *name;
	enum xw_tp_mode mode;
	bool is_echo;
	int fd; /* UDP, connected to the reflector */
	int ctl_fd;
	struct cli *cli;
	struct xw_tp_cfg tp;
	struct xw_tp_crypto crypto;
	uint8_t ring[RING][PKT_LEN];
	const struct opts *o;
	pid_t pid;
	uint64_t bad; /* replies that did not verify */
};

static int udp_socket(struct target *t, const struct xw_addr *peer)
{
	struct xw_udp_opts uo = XW_UDP_OPTS_TEST;
	struct xw_addr l = t->o->local;
	int fd, big = 4 << 20;

	xw_addr_set_port(&l, 0);
	fd = xw_udp_open(&l, &uo);
	if (fd < 0)
		return fd;
	/* the generator's own buffer must never be what drops */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (connect(fd, &peer->sa, peer->len)) {
		close(fd);
		return -errno;
	}
	t->fd = fd;
	return 0;
}

static int build_ring(struct target *t)
{
	unsigned int i;
	int len;

	for (i = 0; i < RING; i++) {
		struct xw_tp_sender f = {.seq = i, .ts = xw_clock_now_ntp(), .errest = 0x8001};

		len = xw_tp_build_sender(&t->tp, &t->crypto, &f, NULL, t->ring[i], PKT_LEN);
		if (len != PKT_LEN) {
			fprintf(stderr, "twload: %s: built %d octets, want %d\n", t->name, len,
				PKT_LEN);
			return -1;
		}
	}
	return 0;
}

static int target_echo(struct target *t)
{
	t->tp.mode = XW_TP_OPEN;
	t->tp.padding_len = PKT_LEN - XW_TP_SENDER_HDR_OPEN;
	t->tp.zero_padding = 1;
	if (udp_socket(t, &t->o->echo))
		return -1;
	return build_ring(t);
}

static int target_xw(struct target *t, uint32_t mode)
{
	struct twsess_params p;
	struct cli_event ev;
	struct cli_cfg cc;
	struct xw_addr local, refl;
	const struct cli_sess *cs;
	int idx;

	t->tp.mode = mode == XW_MODE_OPEN   ? XW_TP_OPEN
		     : mode == XW_MODE_AUTH ? XW_TP_AUTH
					    : XW_TP_ENC;
	t->tp.padding_len = PKT_LEN - (t->tp.mode == XW_TP_OPEN ? XW_TP_SENDER_HDR_OPEN
								: XW_TP_SENDER_HDR_AUTH);
	t->tp.zero_padding = 1;
	if (xw_tp_reflector_len(&t->tp, xw_tp_sender_len(&t->tp)) != PKT_LEN)
		return -1;

	/* the test socket first: its port goes into the request */
	refl = t->o->xw; /* placeholder, re-connected below */
	if (udp_socket(t, &refl))
		return -1;
	xw_sock_local(t->fd, &local);

	t->ctl_fd = tcp_connect_blocking(&t->o->xw);
	if (t->ctl_fd < 0) {
		fprintf(stderr, "twload: connect to xwampd: %s\n", strerror(-t->ctl_fd));
		return -1;
	}
	cfg_for_mode(&cc, mode, t->o);
	t->cli = cli_new(&cc);
	if (!t->cli)
		return -1;
	memset(&p, 0, sizeof(p));
	p.ipvn = 4;
	p.sender_port = xw_addr_port(&local);
	p.padding_len = t->tp.padding_len;
	idx = cli_request(t->cli, &p);
	if (idx < 0 || ctl_until(t->ctl_fd, t->cli, CLI_EV_ACCEPT, &ev))
		return -1;
	cs = cli_sess(t->cli, idx);
	if (cs->has_keys && xw_tp_crypto_init(&t->crypto, &cs->keys))
		return -1;
	if (cli_start(t->cli) || ctl_until(t->ctl_fd, t->cli, CLI_EV_STARTED, NULL))
		return -1;
	refl = t->o->xw;
	xw_addr_set_port(&refl, cs->port);
	if (connect(t->fd, &refl.sa, refl.len))
		return -1;
	return build_ring(t);
}

static void target_close(struct target *t)
{
	if (t->cli) {
		cli_stop(t->cli, XW_ACCEPT_OK);
		send_all(t->ctl_fd, t->cli);
		cli_free(t->cli);
	}
	if (t->ctl_fd > 0)
		close(t->ctl_fd);
	if (t->fd > 0)
		close(t->fd);
	xw_tp_crypto_free(&t->crypto);
}

static bool reply_ok(struct target *t, const uint8_t *buf, size_t len)
{
	struct xw_tp_reply r;

	if (t->is_echo)
		return len == PKT_LEN;
	return xw_tp_parse_reflector(&t->tp, &t->crypto, buf, len, 0, &r) == 0;
}

static void drain(int fd)
{
	uint8_t buf[2048];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* v[0] replies/s, v[1] loss (fraction), v[2] reflector CPU (fraction of a core), v[3] own CPU */
static int run_pps(void *arg, struct phase *out)
{
	static uint8_t rbuf[64][PKT_LEN + 1];
	struct target *t = arg;
	struct mmsghdr sh[64], rh[64];
	struct iovec siov[64], riov[64];
	uint64_t sent = 0, rcvd = 0, lost_assumed = 0, t0, end, now, last_progress;
	unsigned int ring_i = 0, i, window = t->o->window;
	double c0, s0, c1, s1;
	int n;

	drain(t->fd);
	memset(rh, 0, sizeof(rh));
	for (i = 0; i < 64; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		rh[i].msg_hdr.msg_iov = &riov[i];
		rh[i].msg_hdr.msg_iovlen = 1;
	}
	memset(sh, 0, sizeof(sh));
	c0 = bench_cpu_s(t->pid);
	s0 = bench_cpu_s(0);
	t0 = bench_mono_ns();
	end = t0 + (uint64_t)(t->o->secs * 1e9);
	last_progress = t0;
	while ((now = bench_mono_ns()) < end) {
		uint64_t inflight = sent - rcvd - lost_assumed;

		if (sent < rcvd + lost_assumed)
			inflight = 0;
		if (inflight < window) {
			unsigned int k = window - (unsigned int)inflight;

			if (k > 64)
				k = 64;
			for (i = 0; i < k; i++) {
				siov[i].iov_base = t->ring[(ring_i + i) % RING];
				siov[i].iov_len = PKT_LEN;
				sh[i].msg_hdr.msg_iov = &siov[i];
				sh[i].msg_hdr.msg_iovlen = 1;
			}
			n = sendmmsg(t->fd, sh, k, MSG_DONTWAIT);
			if (n > 0) {
				sent += (unsigned int)n;
				ring_i = (ring_i + (unsigned int)n) % RING;
			}
		}
		n = recvmmsg(t->fd, rh, 64, MSG_DONTWAIT, NULL);
		if (n > 0) {
			for (i = 0; i < (unsigned int)n; i++) {
				if (((rcvd + i) & 255) == 0 && !reply_ok(t, rbuf[i], rh[i].msg_len))
					t->bad++;
			}
			rcvd += (unsigned int)n;
			last_progress = now;
			continue;
		}
		if (sent - rcvd - lost_assumed >= window) {
			struct pollfd pfd = {.fd = t->fd, .events = POLLIN};

			if (poll(&pfd, 1, 5) == 0 && bench_mono_ns() - last_progress > STALL_NS) {
				/* the window is full of packets that will not come back */
				lost_assumed = sent - rcvd;
				last_progress = bench_mono_ns();
			}
		}
	}
	now = bench_mono_ns();
	c1 = bench_cpu_s(t->pid);
	s1 = bench_cpu_s(0);
	/* late answers still count as answered, not as lost; not in the rate */
	{
		uint64_t in_time = rcvd, dl = bench_mono_ns() + 50000000ULL;

		while (bench_mono_ns() < dl) {
			struct pollfd pfd = {.fd = t->fd, .events = POLLIN};

			if (poll(&pfd, 1, 10) <= 0)
				continue;
			n = recvmmsg(t->fd, rh, 64, MSG_DONTWAIT, NULL);
			if (n > 0)
				rcvd += (unsigned int)n;
		}
		out->v[0] = (double)in_time / ((double)(now - t0) / 1e9);
	}
	out->v[1] = sent ? (double)(sent - (rcvd < sent ? rcvd : sent)) / (double)sent : 0;
	out->v[2] = (c1 - c0) / ((double)(now - t0) / 1e9);
	out->v[3] = (s1 - s0) / ((double)(now - t0) / 1e9);
	return 0;
}

/* udp_echo --stamp: T3 at octet 4, T2 at 16, as in a TWAMP reply; false when not stamped */
static bool echo_stamps(const uint8_t *buf, size_t len, struct xw_tp_reply *r)
{
	if (len < 24 || !get_be64(buf + 4) || !get_be64(buf + 16))
		return false;
	r->t3 = get_be64(buf + 4);
	r->t2 = get_be64(buf + 16);
	return true;
}

/*
 * One ping: 1 when answered (rtt and T3 - T2 in ns), 0 when lost, -1 on a
 * failure.  T1 is the clock right before send(), T4 the kernel's receive
 * timestamp of the answer.
 */
static int ping_once(struct target *t, struct xw_rxbatch *rx, uint32_t seq, double *rtt,
		     double *resid)
{
	struct xw_tp_sender f = {.seq = seq, .errest = 0x8001};
	struct pollfd pfd = {.fd = t->fd, .events = POLLIN};
	uint8_t pkt[PKT_LEN];
	struct xw_tp_reply r;
	uint64_t t1, t4;

	f.ts = xw_clock_now_ntp();
	if (xw_tp_build_sender(&t->tp, &t->crypto, &f, NULL, pkt, sizeof(pkt)) != PKT_LEN)
		return -1;
	t1 = bench_real_ns();
	if (send(t->fd, pkt, PKT_LEN, 0) != PKT_LEN)
		return -1;
	if (poll(&pfd, 1, 100) <= 0 || xw_recv_batch(t->fd, rx) != 1 || !rx->msg[0].ts_valid)
		return 0;
	t4 = xw_timespec_to_ns(&rx->msg[0].ts);
	*rtt = (double)(t4 - t1);
	*resid = 0;
	if (t->is_echo) {
		/* a stamped echo answers 112 octets with its T2 and T3 in place of ours */
		if (echo_stamps(rx->msg[0].buf, rx->msg[0].len, &r))
			*resid = (double)(xw_ntp_to_ns(r.t3) - xw_ntp_to_ns(r.t2));
		return 1;
	}
	if (xw_tp_parse_reflector(&t->tp, &t->crypto, rx->msg[0].buf, rx->msg[0].len, 0, &r) < 0 ||
	    r.sender_seq != seq) {
		t->bad++;
		return 0;
	}
	*resid = (double)(xw_ntp_to_ns(r.t3) - xw_ntp_to_ns(r.t2));
	return 1;
}

/*
 * Round trips, interleaved packet by packet over the targets (the order
 * rotates each turn), so that drift of the machine hits every target
 * alike: pings per target.
 * out[k]: v[0] RTT median, v[1] RTT p99, v[2] T3 - T2 median, v[3] lost; ns.
 */
static int run_rtt_mixed(struct target **tg, unsigned int ntg, unsigned int pings,
			 unsigned int gap_us, struct phase *out)
{
	double *rtt[4] = {0}, *res[4] = {0};
	unsigned int got[4] = {0}, lost[4] = {0}, i, k;
	struct xw_rxbatch rx;
	int rc = -1;

	if (ntg > 4 || xw_rxbatch_init(&rx, 1, 2048))
		return -1;
	for (k = 0; k < ntg; k++) {
		rtt[k] = calloc(pings, sizeof(double));
		res[k] = calloc(pings, sizeof(double));
		if (!rtt[k] || !res[k])
			goto out;
		drain(tg[k]->fd);
	}
	for (i = 0; i < pings; i++) {
		for (k = 0; k < ntg; k++) {
			unsigned int j = (i + k) % ntg;
			int p;

			if (gap_us)
				usleep(gap_us);
			p = ping_once(tg[j], &rx, i, &rtt[j][got[j]], &res[j][got[j]]);

			if (p < 0)
				goto out;
			if (p)
				got[j]++;
			else
				lost[j]++;
		}
	}
	for (k = 0; k < ntg; k++) {
		out[k].v[0] = bench_quantile(rtt[k], got[k], 0.5);
		out[k].v[1] = bench_quantile(rtt[k], got[k], 0.99);
		out[k].v[2] = bench_quantile(res[k], got[k], 0.5);
		out[k].v[3] = lost[k];
	}
	rc = 0;
out:
	for (k = 0; k < ntg; k++) {
		free(rtt[k]);
		free(res[k]);
	}
	xw_rxbatch_free(&rx);
	return rc;
}

static int cmd_data(const struct opts *o)
{
	static struct target tg[4];
	static const uint32_t modes[3] = {XW_MODE_OPEN, XW_MODE_AUTH, XW_MODE_ENCRYPTED};
	static const char *const names[3] = {"xwampd-open", "xwampd-auth", "xwampd-enc"};
	static struct results res;
	struct subj base, s[3];
	static const struct metric mp[] = {
		{"replies/s", "k/s", 1e-3, true},
		{"loss", "%", 100, false},
		{"reflector CPU", "%", 100, true},
		{"generator CPU", "%", 100, false},
	};
	static const struct metric mr[] = {
		{"RTT median", "us", 1e-3, true},
		{"RTT p99", "us", 1e-3, true},
		{"T3-T2 median", "us", 1e-3, false},
		{"lost", "pkts", 1, false},
	};
	int i, rc = 1;

	tg[0].name = "udp_echo";
	tg[0].is_echo = true;
	tg[0].o = o;
	tg[0].pid = o->echo_pid;
	if (target_echo(&tg[0]))
		goto out;
	for (i = 0; i < 3; i++) {
		tg[i + 1].name = names[i];
		tg[i + 1].o = o;
		tg[i + 1].pid = o->xw_pid;
		if (target_xw(&tg[i + 1], modes[i])) {
			fprintf(stderr, "twload: cannot set up the %s session\n", names[i]);
			goto out;
		}
	}
	base = (struct subj){tg[0].name, run_pps, &tg[0]};
	for (i = 0; i < 3; i++)
		s[i] = (struct subj){names[i], run_pps, &tg[i + 1]};
	if (interleave(&base, s, 3, o->rounds, &res))
		goto out;
	printf("\n1. Reflected packets per second, %u-octet UDP payload, window %u in flight, "
	       "%.1f s per phase",
	       PKT_LEN, o->window, o->secs);
	print_results("   xwampd userspace reflector vs udp_echo", "udp_echo", s, &res, mp, 4);

	{
		struct phase ph[2];
		unsigned int r, j;

		/*
		 * Pairs, not all four at once: xwampd serves three of the sessions,
		 * so in a four-way rotation its thread would be woken three times
		 * as often as udp_echo's and stay warmer (shallower idle states).
		 */
		for (r = 0; r < o->rounds; r++) {
			for (j = 0; j < 3; j++) {
				struct target *pair[2] = {&tg[0], &tg[j + 1]};

				if (run_rtt_mixed(pair, 2, o->pings, 0, ph))
					goto out;
				res.base[j][r] = ph[0];
				res.subj[j][r] = ph[1];
			}
		}
	}
	printf("\n3. Round trip, one packet in flight, %u pings per target per round, "
	       "interleaved packet by packet with udp_echo\n   (T1 clock before send, T4 kernel rx "
	       "timestamp; "
	       "T3-T2 is xwampd's own stamps: kernel rx to just before the reply is built)",
	       o->pings);
	print_results("   xwampd vs udp_echo", "udp_echo", s, &res, mr, 4);
	{
		/* the added delay as a difference, per round against the same round's baseline */
		unsigned int r, j;

		printf("   added delay (subject - baseline, median over rounds):\n");
		for (j = 0; j < 3; j++) {
			double d50[MAX_ROUNDS], d99[MAX_ROUNDS];

			for (r = 0; r < res.rounds; r++) {
				d50[r] = (res.subj[j][r].v[0] - res.base[j][r].v[0]) / 1e3;
				d99[r] = (res.subj[j][r].v[1] - res.base[j][r].v[1]) / 1e3;
			}
			printf("  %-14s median %+7.2f us   p99 %+7.2f us\n", names[j],
			       bench_spread(d50, res.rounds).med,
			       bench_spread(d99, res.rounds).med);
		}
	}
	if (o->gap_us && xw_addr_family(&o->echo_ts)) {
		/*
		 * 3b: a paced client (xwping -i 0.01 sends one packet every 10
		 * ms): both reflectors sleep between packets, so each answer
		 * costs a wake-up from idle; the echo stamps T2 and T3 as xwampd
		 * does, so that the two reflector times compare.
		 */
		static struct target ets;
		static struct results pr;
		struct phase ph[2];
		struct subj ps = {names[0], NULL, NULL};
		static const struct metric mg[] = {
			{"RTT median", "us", 1e-3, true},
			{"RTT p99", "us", 1e-3, true},
			{"T3-T2 median", "us", 1e-3, true},
			{"lost", "pkts", 1, false},
		};
		unsigned int r;

		ets.name = "udp_echo --stamp";
		ets.is_echo = true;
		ets.o = o;
		ets.tp.mode = XW_TP_OPEN;
		ets.tp.padding_len = PKT_LEN - XW_TP_SENDER_HDR_OPEN;
		ets.tp.zero_padding = 1;
		if (udp_socket(&ets, &o->echo_ts) || build_ring(&ets))
			goto out;
		pr.nsubj = 1;
		pr.rounds = o->rounds;
		for (r = 0; r < o->rounds; r++) {
			struct target *pair[2] = {&ets, &tg[1]};

			if (run_rtt_mixed(pair, 2, o->gap_pings, o->gap_us, ph))
				goto out;
			pr.base[0][r] = ph[0];
			pr.subj[0][r] = ph[1];
		}
		target_close(&ets);
		printf("\n3b. Round trip, one packet in flight every %u us (a paced client such as "
		       "xwping -i), %u pings per target per round, against udp_echo --stamp "
		       "(its T2 and T3 taken as xwampd takes them)",
		       o->gap_us, o->gap_pings);
		print_results("   xwampd open session vs udp_echo --stamp", "udp_echo", &ps, &pr,
			      mg, 4);
		{
			double d50[MAX_ROUNDS], d99[MAX_ROUNDS], dr[MAX_ROUNDS];

			for (r = 0; r < pr.rounds; r++) {
				d50[r] = (pr.subj[0][r].v[0] - pr.base[0][r].v[0]) / 1e3;
				d99[r] = (pr.subj[0][r].v[1] - pr.base[0][r].v[1]) / 1e3;
				dr[r] = (pr.subj[0][r].v[2] - pr.base[0][r].v[2]) / 1e3;
			}
			printf("   added delay (subject - baseline, median over rounds): median "
			       "%+.2f "
			       "us, p99 %+.2f us; reflector time T3-T2 median %+.2f us\n",
			       bench_spread(d50, pr.rounds).med, bench_spread(d99, pr.rounds).med,
			       bench_spread(dr, pr.rounds).med);
		}
	}
	rc = 0;
	for (i = 0; i < 4; i++)
		if (tg[i].bad) {
			printf("   WARNING: %s: %llu replies did not verify\n", tg[i].name,
			       (unsigned long long)tg[i].bad);
			rc = 1;
		}
out:
	for (i = 0; i < 4; i++)
		target_close(&tg[i]);
	return rc;
}

/* --- session set-ups per second ------------------------------------------- */

enum setup_kind {
	SK_GREET, /* connect, read 64 octets, close */
	SK_FULL,  /* the whole exchange through cli.h */
};

struct setup_target {
	const char *name;
	enum setup_kind kind;
	uint32_t mode;
	struct xw_addr addr;
	pid_t pid;
	const struct opts *o;
	uint64_t failed, connect_err;
};

struct sconn {
	int fd;
	bool connecting;
	struct cli *cli;
	size_t got; /* SK_GREET: octets of the greeting read */
	bool done;
};

static void sconn_close(struct sconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	cli_free(c->cli);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int sconn_open(struct setup_target *t, struct sconn *c, int ep, unsigned int slot)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = slot};

	c->fd = xw_tcp_connect(&t->addr, NULL, &c->connecting);
	if (c->fd < 0) {
		t->connect_err++;
		c->fd = -1;
		return -1;
	}
	if (!c->connecting)
		ev.events = EPOLLIN;
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Flush the client's output; -1 on a dead socket. */
static int sconn_flush(struct sconn *c)
{
	const uint8_t *p;
	size_t n;

	while ((p = cli_out_peek(c->cli, &n)) && n) {
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0)
			return errno == EAGAIN ? 0 : -1; /* rare with 100-octet messages */
		cli_out_consume(c->cli, (size_t)k);
	}
	return 0;
}

/* Handle readiness; returns 1 when the exchange completed, -1 on failure, 0 to go on. */
static int sconn_step(struct setup_target *t, struct sconn *c, int ep, unsigned int slot)
{
	uint8_t buf[2048];
	struct cli_event ev;
	ssize_t k;

	if (c->connecting) {
		struct epoll_event e = {.events = EPOLLIN, .data.u32 = slot};

		if (xw_tcp_connect_result(c->fd)) {
			t->connect_err++;
			return -1;
		}
		c->connecting = false;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
		if (t->kind == SK_FULL) {
			struct twsess_params p;
			struct cli_cfg cc;

			cfg_for_mode(&cc, t->mode, t->o);
			c->cli = cli_new(&cc);
			memset(&p, 0, sizeof(p));
			p.ipvn = 4;
			p.sender_port = 9;
			p.padding_len = PKT_LEN - XW_TP_SENDER_HDR_AUTH;
			if (!c->cli || cli_request(c->cli, &p) < 0)
				return -1;
		}
		return 0;
	}
	k = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (k < 0 && errno == EAGAIN)
		return 0;
	if (t->kind == SK_GREET) {
		if (k <= 0)
			return -1;
		c->got += (size_t)k;
		return c->got >= XW_GREETING_LEN ? 1 : 0;
	}
	if (k > 0)
		cli_feed(c->cli, buf, (size_t)k);
	else
		cli_eof(c->cli);
	while (cli_event(c->cli, &ev)) {
		switch (ev.type) {
		case CLI_EV_ACCEPT:
			if (ev.accept || cli_start(c->cli))
				return -1;
			break;
		case CLI_EV_STARTED:
			if (ev.accept || cli_stop(c->cli, XW_ACCEPT_OK))
				return -1;
			break;
		case CLI_EV_STOPPED:
			c->done = true;
			break;
		case CLI_EV_CLOSED:
			return -1;
		default:
			break;
		}
	}
	if (sconn_flush(c))
		return -1;
	return c->done && !cli_out_pending(c->cli) ? 1 : 0;
}

/* v[0] completed exchanges/s, v[1] failures, v[2] server CPU, v[3] own CPU */
static int run_setup(void *arg, struct phase *out)
{
	struct setup_target *t = arg;
	unsigned int nc = t->o->conns, i;
	struct sconn *c = calloc(nc, sizeof(*c));
	struct epoll_event evs[64];
	uint64_t t0, end, now, done = 0, failed = 0;
	double c0, s0, c1, s1;
	int ep = epoll_create1(EPOLL_CLOEXEC), n, j;

	if (!c || ep < 0) {
		free(c);
		return -1;
	}
	c0 = bench_cpu_s(t->pid);
	s0 = bench_cpu_s(0);
	t0 = bench_mono_ns();
	end = t0 + (uint64_t)(t->o->secs * 1e9);
	for (i = 0; i < nc; i++) {
		c[i].fd = -1;
		sconn_open(t, &c[i], ep, i);
	}
	while ((now = bench_mono_ns()) < end) {
		n = epoll_wait(ep, evs, 64, 10);
		for (j = 0; j < n; j++) {
			unsigned int s = evs[j].data.u32;
			int rc = sconn_step(t, &c[s], ep, s);

			if (!rc)
				continue;
			if (rc > 0)
				done++;
			else
				failed++;
			sconn_close(&c[s]);
			sconn_open(t, &c[s], ep, s);
		}
		/* slots whose connect() failed outright get another try */
		for (i = 0; i < nc; i++)
			if (c[i].fd < 0)
				sconn_open(t, &c[i], ep, i);
	}
	now = bench_mono_ns();
	c1 = bench_cpu_s(t->pid);
	s1 = bench_cpu_s(0);
	for (i = 0; i < nc; i++)
		sconn_close(&c[i]);
	close(ep);
	free(c);
	t->failed += failed;
	out->v[0] = (double)done / ((double)(now - t0) / 1e9);
	out->v[1] = (double)failed;
	out->v[2] = (c1 - c0) / ((double)(now - t0) / 1e9);
	out->v[3] = (s1 - s0) / ((double)(now - t0) / 1e9);
	/* let the servers notice the closes before the next phase */
	usleep(100000);
	return 0;
}

static int cmd_setup(const struct opts *o)
{
	static struct setup_target greet, st[6];
	static struct results res;
	struct subj base, s[6];
	static const struct metric m[] = {
		{"setups/s", "/s", 1, true},
		{"failed", "", 1, false},
		{"server CPU", "%", 100, true},
		{"client CPU", "%", 100, false},
	};
	unsigned int n = 0, i;

	greet = (struct setup_target){"tcp_greet", SK_GREET, 0, o->greet, o->greet_pid, o, 0, 0};
	st[n++] = (struct setup_target){"xwampd-greet", SK_GREET, 0, o->xw, o->xw_pid, o, 0, 0};
	st[n++] = (struct setup_target){"open", SK_FULL, XW_MODE_OPEN, o->xw, o->xw_pid, o, 0, 0};
	if (o->have_xw1024)
		st[n++] = (struct setup_target){
			"auth-count1024", SK_FULL, XW_MODE_AUTH, o->xw1024, o->xw1024_pid, o, 0, 0};
	st[n++] = (struct setup_target){
		"auth-count2048", SK_FULL, XW_MODE_AUTH, o->xw, o->xw_pid, o, 0, 0};
	st[n++] = (struct setup_target){
		"enc-count2048", SK_FULL, XW_MODE_ENCRYPTED, o->xw, o->xw_pid, o, 0, 0};
	base = (struct subj){greet.name, run_setup, &greet};
	for (i = 0; i < n; i++)
		s[i] = (struct subj){st[i].name, run_setup, &st[i]};
	if (interleave(&base, s, n, o->rounds, &res))
		return 1;
	printf("\n2. TWAMP-Control exchanges per second (greeting .. Stop-Sessions, close), "
	       "%u connections in parallel, %.1f s per phase",
	       o->conns, o->secs);
	print_results("   xwampd vs TCP connect + 64-octet read + close", "tcp_greet", s, &res, m,
		      4);
	for (i = 0; i < n; i++)
		if (st[i].connect_err)
			printf("   note: %s: %llu connect() errors\n", st[i].name,
			       (unsigned long long)st[i].connect_err);
	return 0;
}

/* --- main -------------------------------------------------------------------- */

/* --- scale: many sessions at a low rate each ------------------------------- */

/*
 * twload scale: --sessions N from ceil(N / --per-conn S) control connections
 * (S sessions requested on each, then one Start-Sessions), every session
 * sending --rate R packets/s for --secs D, evenly spread over time; all
 * from one UDP socket (the Session-Sender port is shared: the reflector
 * port tells the sessions apart).  T1 is the clock right before sendmmsg,
 * T4 the kernel's receive timestamp of the answer, T3 - T2 the reflector's
 * own time from the answer.  With --echo instead of --xw, the same load
 * against udp_echo (one port): the baseline of the same run.
 */
#define SC_T1_RING (1u << 21) /* send times by global Sequence Number */

struct sc_sess {
	struct xw_tp_cfg tp;
	struct xw_tp_crypto crypto;
	struct xw_addr dst;
};

struct sc_run {
	const struct opts *o;
	bool echo;
	unsigned int n;
	struct sc_sess *s;
	int32_t by_port[65536]; /* reflector port -> session, -1: none */
	struct cli **cli;
	int *ctl;
	unsigned int nconn;
	int fd;
	uint64_t *t1;
	double *rtt, *res;
	uint64_t nrtt, sent, rcvd, bad;
	uint64_t t0_real;		       /* start of sending, CLOCK_REALTIME ns */
	uint64_t nslow, slow_first, slow_last; /* answers later than 10 ms: when sent */
};

/* The process's anonymous memory (its heap and maps' pages; no shared libraries), KiB. */
static long sc_anon_kib(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Anonymous: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Connection c: per_conn sessions requested, accepted, started. */
static int sc_conn(struct sc_run *R, unsigned int c, uint16_t sport)
{
	const struct opts *o = R->o;
	unsigned int first = c * o->per_conn, k, i;
	struct cli_cfg cc;
	struct cli_event ev;

	R->ctl[c] = tcp_connect_blocking(&o->xw);
	if (R->ctl[c] < 0) {
		fprintf(stderr, "twload: connect %u: %s\n", c, strerror(-R->ctl[c]));
		return -1;
	}
	cfg_for_mode(&cc, o->mode, o);
	R->cli[c] = cli_new(&cc);
	if (!R->cli[c])
		return -1;
	for (k = 0; k < o->per_conn && first + k < R->n; k++) {
		struct sc_sess *s = &R->s[first + k];
		struct twsess_params p;
		const struct cli_sess *cs;
		int idx;

		memset(&p, 0, sizeof(p));
		p.ipvn = 4;
		p.sender_port = sport;
		p.padding_len = s->tp.padding_len;
		idx = cli_request(R->cli[c], &p);
		if (idx < 0 || ctl_until(R->ctl[c], R->cli[c], CLI_EV_ACCEPT, &ev))
			return -1;
		cs = cli_sess(R->cli[c], idx);
		if (cs->has_keys && xw_tp_crypto_init(&s->crypto, &cs->keys))
			return -1;
		s->dst = o->xw;
		xw_addr_set_port(&s->dst, cs->port);
		R->by_port[cs->port] = (int32_t)(first + k);
	}
	if (cli_start(R->cli[c]) || ctl_until(R->ctl[c], R->cli[c], CLI_EV_STARTED, NULL))
		return -1;
	(void)i;
	return 0;
}

/*
 * --churn: one whole exchange while the others run (connect, greeting,
 * one session requested, accepted, started, stopped, closed); its time in
 * ns, or -1.
 */
static double sc_churn_one(const struct sc_run *R, uint16_t sport)
{
	const struct opts *o = R->o;
	uint64_t t0 = bench_mono_ns();
	struct twsess_params p;
	struct cli_cfg cc;
	struct cli *c;
	int fd, idx, rc = -1;

	fd = tcp_connect_blocking(&o->xw);
	if (fd < 0)
		return -1;
	cfg_for_mode(&cc, o->mode, o);
	c = cli_new(&cc);
	if (c) {
		memset(&p, 0, sizeof(p));
		p.ipvn = 4;
		p.sender_port = sport;
		p.padding_len = R->s[0].tp.padding_len;
		idx = cli_request(c, &p);
		if (idx >= 0 && !ctl_until(fd, c, CLI_EV_ACCEPT, NULL) && !cli_start(c) &&
		    !ctl_until(fd, c, CLI_EV_STARTED, NULL)) {
			cli_stop(c, XW_ACCEPT_OK);
			rc = send_all(fd, c);
		}
		cli_free(c);
	}
	close(fd);
	return rc ? -1 : (double)(bench_mono_ns() - t0);
}

static int sc_setup(struct sc_run *R)
{
	const struct opts *o = R->o;
	struct xw_udp_opts uo = XW_UDP_OPTS_TEST;
	struct xw_addr l = o->local, me;
	enum xw_tp_mode m = o->mode == XW_MODE_OPEN   ? XW_TP_OPEN
			    : o->mode == XW_MODE_AUTH ? XW_TP_AUTH
						      : XW_TP_ENC;
	int big = 16 << 20;
	unsigned int i;
	uint64_t t0;

	memset(R->by_port, 0xff, sizeof(R->by_port));
	R->s = calloc(R->n, sizeof(*R->s));
	R->t1 = calloc(SC_T1_RING, sizeof(*R->t1));
	if (!R->s || !R->t1)
		return -1;
	xw_addr_set_port(&l, 0);
	R->fd = xw_udp_open(&l, &uo);
	if (R->fd < 0)
		return -1;
	setsockopt(R->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(R->fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	xw_sock_local(R->fd, &me);
	for (i = 0; i < R->n; i++) {
		R->s[i].tp.mode = R->echo ? XW_TP_OPEN : m;
		R->s[i].tp.padding_len =
			PKT_LEN - (R->s[i].tp.mode == XW_TP_OPEN ? XW_TP_SENDER_HDR_OPEN
								 : XW_TP_SENDER_HDR_AUTH);
		R->s[i].tp.zero_padding = 1;
		R->s[i].dst = o->echo;
		if (o->echo_ports > 1)
			xw_addr_set_port(&R->s[i].dst,
					 (uint16_t)(xw_addr_port(&o->echo) + i % o->echo_ports));
	}
	if (R->echo)
		return 0;
	R->nconn = (R->n + o->per_conn - 1) / o->per_conn;
	R->cli = calloc(R->nconn, sizeof(*R->cli));
	R->ctl = calloc(R->nconn, sizeof(*R->ctl));
	if (!R->cli || !R->ctl)
		return -1;
	t0 = bench_mono_ns();
	for (i = 0; i < R->nconn; i++)
		if (sc_conn(R, i, xw_addr_port(&me)))
			return -1;
	printf("  set up %u sessions on %u control connections in %.2f s\n", R->n, R->nconn,
	       (double)(bench_mono_ns() - t0) / 1e9);
	return 0;
}

static void sc_recv(struct sc_run *R, struct xw_rxbatch *rx)
{
	int n, i;

	while ((n = xw_recv_batch(R->fd, rx)) > 0) {
		for (i = 0; i < n; i++) {
			struct xw_rx_msg *m = &rx->msg[i];
			uint16_t port = xw_addr_port(&m->src);
			int32_t si = R->echo ? 0 : R->by_port[port];
			struct xw_tp_reply r;
			uint32_t seq;
			uint64_t t1;

			if (si < 0 || !m->ts_valid) {
				R->bad++;
				continue;
			}
			if (R->echo) {
				if (m->len < 4) {
					R->bad++;
					continue;
				}
				seq = get_be32(m->buf);
				r.t2 = r.t3 = 0;
				echo_stamps(m->buf, m->len, &r);
			} else {
				if (xw_tp_parse_reflector(&R->s[si].tp, &R->s[si].crypto, m->buf,
							  m->len, 0, &r) < 0) {
					R->bad++;
					continue;
				}
				seq = r.sender_seq;
			}
			t1 = R->t1[seq % SC_T1_RING];
			R->rcvd++;
			if (!t1 || R->nrtt >= R->sent)
				continue;
			R->rtt[R->nrtt] = (double)(xw_timespec_to_ns(&m->ts) - t1);
			if (R->rtt[R->nrtt] > 10e6) {
				if (!R->nslow++)
					R->slow_first = t1 - R->t0_real;
				R->slow_last = t1 - R->t0_real;
			}
			R->res[R->nrtt] = (double)(xw_ntp_to_ns(r.t3) - xw_ntp_to_ns(r.t2));
			R->nrtt++;
		}
	}
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, uint64_t n, double p)
{
	if (!n)
		return NAN;
	return v[(uint64_t)((double)(n - 1) * p)];
}

static int cmd_scale(const struct opts *o, bool echo)
{
	struct sc_run *R = calloc(1, sizeof(*R));
	struct mmsghdr sh[64];
	struct iovec siov[64];
	static uint8_t pkt[64][PKT_LEN];
	struct xw_rxbatch rx;
	uint64_t total, t0, end, now, dl;
	double rate, c0, c1, s0, s1, w0, w1, *churn_ns = NULL;
	uint64_t nchurn = 0, churn_fail = 0, next_churn = 0;
	uint16_t sport = 0;
	long pss0, pss1;
	unsigned int i;
	pid_t pid = echo ? o->echo_pid : o->xw_pid;

	if (!R || xw_rxbatch_init(&rx, 64, 2048))
		return 1;
	R->o = o;
	R->echo = echo;
	R->n = o->sessions;
	total = (uint64_t)((double)R->n * o->rate * o->secs);
	R->rtt = calloc(total + 1, sizeof(double));
	R->res = calloc(total + 1, sizeof(double));
	if (!R->rtt || !R->res)
		return 1;
	pss0 = sc_anon_kib(pid);
	if (sc_setup(R)) {
		fprintf(stderr, "twload: scale: set-up failed\n");
		return 1;
	}
	if (o->churn > 0 && !echo) {
		struct xw_addr me;

		churn_ns = calloc((size_t)(o->churn * o->secs) + 2, sizeof(double));
		if (!churn_ns || xw_sock_local(R->fd, &me))
			return 1;
		sport = xw_addr_port(&me);
	}
	usleep(200000);
	pss1 = sc_anon_kib(pid);
	rate = (double)R->n * o->rate;
	c0 = bench_cpu_s(pid);
	w0 = bench_runq_s(pid);
	s0 = bench_cpu_s(0);
	t0 = bench_mono_ns();
	R->t0_real = bench_real_ns();
	end = t0 + (uint64_t)(o->secs * 1e9);
	while ((now = bench_mono_ns()) < end) {
		uint64_t due = (uint64_t)((double)(now - t0) / 1e9 * rate);
		struct pollfd pfd = {.fd = R->fd, .events = POLLIN};

		while (R->sent < due && R->sent < total) {
			unsigned int k = due - R->sent > 64 ? 64 : (unsigned int)(due - R->sent);
			uint64_t t1;
			int sent;

			memset(sh, 0, sizeof(sh));
			for (i = 0; i < k; i++) {
				/* packet g goes to session g % n: every session at the same rate */
				uint64_t g = R->sent + i;
				struct sc_sess *s = &R->s[g % R->n];
				struct xw_tp_sender f = {.seq = (uint32_t)g, .errest = 0x8001};

				f.ts = xw_clock_now_ntp();
				if (xw_tp_build_sender(&s->tp, &s->crypto, &f, NULL, pkt[i],
						       PKT_LEN) != PKT_LEN)
					return 1;
				siov[i].iov_base = pkt[i];
				siov[i].iov_len = PKT_LEN;
				sh[i].msg_hdr.msg_iov = &siov[i];
				sh[i].msg_hdr.msg_iovlen = 1;
				sh[i].msg_hdr.msg_name = &s->dst.sa;
				sh[i].msg_hdr.msg_namelen = s->dst.len;
			}
			t1 = bench_real_ns();
			sent = sendmmsg(R->fd, sh, k, 0);
			if (sent <= 0)
				break;
			for (i = 0; i < (unsigned int)sent; i++)
				R->t1[(R->sent + i) % SC_T1_RING] = t1;
			R->sent += (unsigned int)sent;
			sc_recv(R, &rx);
		}
		sc_recv(R, &rx);
		if (churn_ns && now - t0 >= next_churn) {
			double ns = sc_churn_one(R, sport);

			next_churn += (uint64_t)(1e9 / o->churn);
			if (ns < 0)
				churn_fail++;
			else
				churn_ns[nchurn++] = ns;
			continue;
		}
		poll(&pfd, 1, 1);
	}
	now = bench_mono_ns();
	c1 = bench_cpu_s(pid);
	w1 = bench_runq_s(pid);
	s1 = bench_cpu_s(0);
	dl = bench_mono_ns() + 300000000ULL; /* answers in flight: 300 ms */
	while (bench_mono_ns() < dl && R->rcvd < R->sent) {
		struct pollfd pfd = {.fd = R->fd, .events = POLLIN};

		if (poll(&pfd, 1, 10) > 0)
			sc_recv(R, &rx);
	}
	qsort(R->rtt, R->nrtt, sizeof(double), dbl_cmp);
	qsort(R->res, R->nrtt, sizeof(double), dbl_cmp);
	printf("  %-22s %u sessions x %.0f/s %s: sent %llu, lost %llu, bad %llu\n",
	       echo ? "udp_echo (baseline)" : "xwampd", R->n, o->rate,
	       o->mode == XW_MODE_OPEN	 ? "open"
	       : o->mode == XW_MODE_AUTH ? "auth"
					 : "encrypted",
	       (unsigned long long)R->sent,
	       (unsigned long long)(R->sent > R->rcvd ? R->sent - R->rcvd : 0),
	       (unsigned long long)R->bad);
	printf("  %-22s rtt p50 %.1f us p99 %.1f us max %.1f us; reflector T3-T2 p50 %.1f us "
	       "p99 %.1f us max %.1f us\n",
	       "", pct(R->rtt, R->nrtt, 0.5) / 1e3, pct(R->rtt, R->nrtt, 0.99) / 1e3,
	       pct(R->rtt, R->nrtt, 1.0) / 1e3, pct(R->res, R->nrtt, 0.5) / 1e3,
	       pct(R->res, R->nrtt, 0.99) / 1e3, pct(R->res, R->nrtt, 1.0) / 1e3);
	if (churn_ns) {
		qsort(churn_ns, nchurn, sizeof(double), dbl_cmp);
		printf("  %-22s %llu set-ups during the run (%llu failed): p50 %.2f ms, max %.2f "
		       "ms "
		       "each\n",
		       "", (unsigned long long)nchurn, (unsigned long long)churn_fail,
		       pct(churn_ns, nchurn, 0.5) / 1e6, pct(churn_ns, nchurn, 1.0) / 1e6);
	}
	if (R->nslow)
		printf("  %-22s %llu answers later than 10 ms, sent between %.3f s and %.3f s\n",
		       "", (unsigned long long)R->nslow, (double)R->slow_first / 1e9,
		       (double)R->slow_last / 1e9);
	printf("  %-22s server CPU %.2f s (%.1f%% of a core), generator %.1f%% of a core; "
	       "server anonymous memory %ld KiB idle, %ld KiB with the sessions (%.2f KiB per "
	       "session)\n",
	       "", c1 - c0, 100 * (c1 - c0) / ((double)(now - t0) / 1e9),
	       100 * (s1 - s0) / ((double)(now - t0) / 1e9), pss0, pss1,
	       pss0 >= 0 && pss1 >= 0 ? (double)(pss1 - pss0) / R->n : NAN);
	/* runnable but not running: the CPU the rest of the machine took from the server */
	printf("  %-22s server waited for a CPU %.2f s while runnable (%.1f%% of the run)\n", "",
	       w1 - w0, 100 * (w1 - w0) / ((double)(now - t0) / 1e9));
	printf("SCALE %s sessions=%u rate=%.0f sent=%llu lost=%llu rtt_p50_us=%.1f "
	       "rtt_p99_us=%.1f refl_p99_us=%.1f cpu_s=%.2f kib_per_sess=%.2f runq_s=%.2f\n",
	       echo ? "echo" : "xwampd", R->n, o->rate, (unsigned long long)R->sent,
	       (unsigned long long)(R->sent > R->rcvd ? R->sent - R->rcvd : 0),
	       pct(R->rtt, R->nrtt, 0.5) / 1e3, pct(R->rtt, R->nrtt, 0.99) / 1e3,
	       pct(R->res, R->nrtt, 0.99) / 1e3, c1 - c0,
	       pss0 >= 0 && pss1 >= 0 ? (double)(pss1 - pss0) / R->n : NAN, w1 - w0);
	fflush(stdout);
	for (i = 0; i < R->nconn; i++) {
		if (R->cli && R->cli[i]) {
			cli_stop(R->cli[i], XW_ACCEPT_OK);
			send_all(R->ctl[i], R->cli[i]);
			cli_free(R->cli[i]);
		}
		if (R->ctl && R->ctl[i] > 0)
			close(R->ctl[i]);
	}
	for (i = 0; i < R->n; i++)
		xw_tp_crypto_free(&R->s[i].crypto);
	return R->sent > R->rcvd ? 3 : 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s data  --xw ADDR:PORT --echo ADDR:PORT --local ADDR [--keyid ID --secret "
		"S] [--echo-ts ADDR:PORT --gap US --gap-pings N]\n"
		"       %s setup --xw ADDR:PORT --greet ADDR:PORT [--xw1024 ADDR:PORT] --local "
		"ADDR\n"
		"       %s scale --xw ADDR:PORT | --echo ADDR:PORT --local ADDR --sessions N "
		"--per-conn S --rate R [--mode open|auth|enc] [--churn SETUPS_PER_S] "
		"[--echo-ports N]\n"
		"options: --rounds N --secs S --window N --pings N --conns N\n"
		"         --xw-pid P --xw1024-pid P --echo-pid P --greet-pid P (CPU accounting)\n",
		argv0, argv0, argv0);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"xw", required_argument, NULL, 'x'},
		{"xw1024", required_argument, NULL, 'X'},
		{"echo", required_argument, NULL, 'e'},
		{"greet", required_argument, NULL, 'g'},
		{"local", required_argument, NULL, 'l'},
		{"keyid", required_argument, NULL, 'k'},
		{"secret", required_argument, NULL, 's'},
		{"rounds", required_argument, NULL, 'r'},
		{"secs", required_argument, NULL, 't'},
		{"window", required_argument, NULL, 'w'},
		{"pings", required_argument, NULL, 'p'},
		{"conns", required_argument, NULL, 'c'},
		{"xw-pid", required_argument, NULL, 1},
		{"xw1024-pid", required_argument, NULL, 2},
		{"echo-pid", required_argument, NULL, 3},
		{"greet-pid", required_argument, NULL, 4},
		{"sessions", required_argument, NULL, 5},
		{"per-conn", required_argument, NULL, 6},
		{"rate", required_argument, NULL, 7},
		{"mode", required_argument, NULL, 8},
		{"churn", required_argument, NULL, 9},
		{"echo-ports", required_argument, NULL, 10},
		{"echo-ts", required_argument, NULL, 11},
		{"gap", required_argument, NULL, 12},
		{"gap-pings", required_argument, NULL, 13},
		{NULL, 0, NULL, 0},
	};
	struct opts o;
	int ch;

	memset(&o, 0, sizeof(o));
	o.keyid = "alice";
	o.secret = "correct horse battery";
	o.rounds = 3;
	o.secs = 1.0;
	o.window = 64;
	o.pings = 2000;
	o.gap_pings = 300;
	o.conns = 8;
	o.sessions = 1000;
	o.per_conn = 10;
	o.rate = 10;
	o.mode = XW_MODE_OPEN;
	if (argc < 2) {
		usage(argv[0]);
		return 2;
	}
	xw_log_set_level(XW_LOG_WARN);
	while ((ch = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'x':
			if (xw_addr_parse(optarg, 862, false, &o.xw))
				return 2;
			break;
		case 'X':
			if (xw_addr_parse(optarg, 862, false, &o.xw1024))
				return 2;
			o.have_xw1024 = true;
			break;
		case 'e':
			if (xw_addr_parse(optarg, 7, false, &o.echo))
				return 2;
			break;
		case 'g':
			if (xw_addr_parse(optarg, 862, false, &o.greet))
				return 2;
			break;
		case 'l':
			if (xw_addr_parse(optarg, 0, false, &o.local))
				return 2;
			break;
		case 'k':
			o.keyid = optarg;
			break;
		case 's':
			o.secret = optarg;
			break;
		case 'r':
			o.rounds = (unsigned int)atoi(optarg);
			break;
		case 't':
			o.secs = atof(optarg);
			break;
		case 'w':
			o.window = (unsigned int)atoi(optarg);
			break;
		case 'p':
			o.pings = (unsigned int)atoi(optarg);
			break;
		case 'c':
			o.conns = (unsigned int)atoi(optarg);
			break;
		case 1:
			o.xw_pid = atoi(optarg);
			break;
		case 2:
			o.xw1024_pid = atoi(optarg);
			break;
		case 3:
			o.echo_pid = atoi(optarg);
			break;
		case 4:
			o.greet_pid = atoi(optarg);
			break;
		case 5:
			o.sessions = (unsigned int)atoi(optarg);
			break;
		case 6:
			o.per_conn = (unsigned int)atoi(optarg);
			break;
		case 7:
			o.rate = atof(optarg);
			break;
		case 9:
			o.churn = atof(optarg);
			break;
		case 10:
			o.echo_ports = (unsigned int)atoi(optarg);
			break;
		case 11:
			if (xw_addr_parse(optarg, 7, false, &o.echo_ts))
				return 2;
			break;
		case 12:
			o.gap_us = (unsigned int)atoi(optarg);
			break;
		case 13:
			o.gap_pings = (unsigned int)atoi(optarg);
			break;
		case 8:
			o.mode = !strcmp(optarg, "auth")  ? XW_MODE_AUTH
				 : !strcmp(optarg, "enc") ? XW_MODE_ENCRYPTED
							  : XW_MODE_OPEN;
			break;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!o.rounds || o.rounds > MAX_ROUNDS || !o.window || !o.pings || !o.conns ||
	    o.secs <= 0) {
		usage(argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "data"))
		return cmd_data(&o);
	if (!strcmp(argv[1], "setup"))
		return cmd_setup(&o);
	if (!strcmp(argv[1], "scale")) {
		if (!o.sessions || !o.per_conn || o.rate <= 0)
			return 2;
		return cmd_scale(&o, xw_addr_family(&o.xw) == 0);
	}
	usage(argv[0]);
	return 2;
}
