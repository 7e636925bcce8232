// SPDX-License-Identifier: GPL-2.0-only
/*
 * make bench, section "owrecv": records per second of xwampd's OWAMP
 * socket receiver against a plain UDP receive loop, round by round.
 *
 *   owrecv sink ADDR:PORT      the baseline: recvmmsg() and count, nothing
 *                              else; a 1-octet datagram asks for the count
 *                              and the receive span since the last ask
 *   owrecv run --ow ADDR:PORT --sink ADDR:PORT --local ADDR [--count N] [--rounds R]
 *
 * Each round sends the same N open-mode OWAMP test packets (14 octets,
 * RFC 4656 4.1.2) with sendmmsg() in batches of 64, first to the sink,
 * then to a receive session that the OWAMP Control-Client state machine
 * (control/cli.h) requested from xwampd, then to the sink again.  The
 * receiver's figure is its records with a receive time (Fetch-Session,
 * RFC 4656 3.9) over the span of those receive times; the sink's is its
 * datagrams over its own receive span.  Both are limited by what the
 * receiver takes, not by the generator, as long as the generator is
 * faster (its rate is printed too).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "net.h"
#include "schedule.h"
#include "testpkt.h"
#include "xwamp/ntp.h"

#define BATCH	64
#define PKT_LEN 14
#define MAX_RND 64

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int sink(const char *where)
{
	struct xw_addr a;
	struct mmsghdr m[BATCH];
	struct iovec iv[BATCH];
	static uint8_t buf[BATCH][2048];
	struct sockaddr_storage from[BATCH];
	uint64_t count = 0, first = 0, last = 0;
	int fd, n, i, big = 1 << 24;

	if (xw_addr_parse(where, 9, false, &a))
		return 2;
	fd = socket(a.sa.sa_family, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (fd < 0 || bind(fd, &a.sa, a.len)) {
		perror("owrecv sink");
		return 1;
	}
	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iv[i] = (struct iovec){buf[i], sizeof(buf[i])};
			m[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
						       .msg_namelen = sizeof(from[i]),
						       .msg_iov = &iv[i],
						       .msg_iovlen = 1};
		}
		n = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (m[i].msg_len == 1) {
				uint64_t r[2] = {count, last - first};

				sendto(fd, r, sizeof(r), 0, (struct sockaddr *)&from[i],
				       m[i].msg_hdr.msg_namelen);
				count = first = last = 0;
				continue;
			}
			last = mono_ns();
			if (!count++)
				first = last;
		}
	}
}

/* The N packets (Error Estimate: unsynchronised, Multiplier 1, RFC 4656 4.1.2), in batches; the generator's packets/s. */
static double blast(int fd, uint32_t n)
{
	struct xw_tp_cfg tp = {.mode = XW_TP_OPEN};
	static uint8_t pkt[BATCH][PKT_LEN];
	struct mmsghdr m[BATCH];
	struct iovec iv[BATCH];
	uint64_t t0 = mono_ns();
	uint32_t seq = 0, i, k;

	while (seq < n) {
		k = n - seq < BATCH ? n - seq : BATCH;
		for (i = 0; i < k; i++) {
			struct xw_tp_sender f = {
				.seq = seq + i, .ts = xw_clock_now_ntp(), .errest = 0x0001};

			xw_tp_build_sender(&tp, NULL, &f, NULL, pkt[i], PKT_LEN);
			iv[i] = (struct iovec){pkt[i], PKT_LEN};
			m[i].msg_hdr = (struct msghdr){.msg_iov = &iv[i], .msg_iovlen = 1};
		}
		if (sendmmsg(fd, m, k, 0) < 0 && errno != ENOBUFS && errno != EAGAIN)
			return 0;
		seq += k; /* what the kernel did not take is lost, for both receivers alike */
	}
	return n / ((mono_ns() - t0) / 1e9);
}

/* The sink's datagrams/s since its last ask. */
static double sink_rate(const struct xw_addr *sinka, uint32_t n, double *gen)
{
	uint64_t r[2] = {0, 0};
	struct timeval tv = {.tv_sec = 1};
	int fd = socket(sinka->sa.sa_family, SOCK_DGRAM, 0), i;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, &sinka->sa, sinka->len))
		return 0;
	*gen = blast(fd, n);
	for (i = 0; i < 5; i++) {
		send(fd, "?", 1, 0);
		if (recv(fd, r, sizeof(r), 0) == sizeof(r))
			break;
	}
	close(fd);
	return r[1] ? r[0] / (r[1] / 1e9) : 0;
}

/* Sends out what the machine queued and feeds what comes until an event of @want. */
static int await(struct cli *c, int fd, enum cli_ev_type want, struct cli_event *ev)
{
	uint8_t buf[4096];
	const uint8_t *p;
	size_t len;
	ssize_t k;

	for (;;) {
		while ((p = cli_out_peek(c, &len)) && len) {
			k = send(fd, p, len, MSG_NOSIGNAL);
			if (k <= 0)
				return -1;
			cli_out_consume(c, (size_t)k);
		}
		while (cli_event(c, ev)) {
			if (ev->type == want)
				return 0;
			if (ev->type == CLI_EV_CLOSED) {
				fprintf(stderr, "owrecv: control closed: %s\n",
					cli_close_name(ev->reason));
				return -1;
			}
		}
		k = recv(fd, buf, sizeof(buf), 0);
		if (k <= 0)
			return -1;
		cli_feed(c, buf, (size_t)k);
	}
}

/* One receive session of n packets at xwampd: its records/s, or 0. */
static double owamp_rate(const struct xw_addr *ow, const struct xw_addr *local, uint32_t n,
			 double *gen)
{
	struct cli_cfg cc = {.proto = CLI_PROTO_OWAMP, .modes = XW_MODE_OPEN, .peer = "xwampd"};
	struct codec_ow_slot slot = {CODEC_SLOT_FIXED, xw_fix_from_ns(1000)};
	struct codec_request_session m = {0};
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	struct codec_ow_stop_rec rec = {0};
	const struct cli_sess *s;
	const struct cli_fetch *f;
	struct cli_event ev;
	struct xw_addr ua = *local, dst = *ow;
	struct timeval tv = {.tv_sec = 10};
	struct cli *c = cli_new(&cc);
	uint64_t lo = UINT64_MAX, hi = 0, got = 0, start;
	double rate = 0;
	uint32_t i;
	int tfd = socket(ow->sa.sa_family, SOCK_STREAM, 0), ufd = -1, idx, fi;

	setsockopt(tfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!c || tfd < 0 || connect(tfd, &ow->sa, ow->len))
		goto out;
	xw_addr_set_port(&ua, 0);
	ufd = socket(ua.sa.sa_family, SOCK_DGRAM, 0);
	if (ufd < 0 || bind(ufd, &ua.sa, ua.len) || xw_sock_local(ufd, &ua))
		goto out;
	start = xw_clock_now_ntp() + (1ull << 32) / 4; /* in 0.25 s */
	m.f.ipvn = ua.sa.sa_family == AF_INET6 ? 6 : 4;
	m.f.conf_receiver = 1;
	m.f.num_slots = 1;
	m.f.num_packets = n;
	m.f.sender_port = xw_addr_port(&ua);
	if (ua.sa.sa_family == AF_INET) {
		memcpy(m.f.sender_addr, &ua.in.sin_addr, 4);
		memcpy(m.f.receiver_addr, &ow->in.sin_addr, 4);
	} else {
		memcpy(m.f.sender_addr, &ua.in6.sin6_addr, 16);
		memcpy(m.f.receiver_addr, &ow->in6.sin6_addr, 16);
	}
	m.f.start_time = start;
	m.f.timeout = (1ull << 32) / 10; /* 0.1 s: the data is final 0.1 s after the last slot */
	m.slots = &slot;
	idx = cli_ow_request(c, &m);
	if (idx < 0 || await(c, tfd, CLI_EV_ACCEPT, &ev) || ev.accept != XW_ACCEPT_OK) {
		fprintf(stderr, "owrecv: Request-Session refused (Accept %u)\n", ev.accept);
		goto out;
	}
	s = cli_sess(c, idx);
	xw_addr_set_port(&dst, s->port);
	if (connect(ufd, &dst.sa, dst.len) || cli_start(c) || await(c, tfd, CLI_EV_STARTED, &ev) ||
	    ev.accept != XW_ACCEPT_OK) {
		fprintf(stderr, "owrecv: Start-Sessions failed (Accept %u)\n", ev.accept);
		goto out;
	}
	while (xw_clock_now_ntp() < start)
		usleep(1000);
	*gen = blast(ufd, n);
	usleep(300000); /* the receiver drains its socket before Stop-Sessions */
	memcpy(rec.sid, s->sid, XW_SID_LEN);
	rec.next_seqno = n;
	memcpy(q.sid, s->sid, XW_SID_LEN);
	if (cli_ow_stop(c, XW_ACCEPT_OK, &rec, 1) || await(c, tfd, CLI_EV_STOPPED, &ev)) {
		fprintf(stderr, "owrecv: Stop-Sessions failed\n");
		goto out;
	}
	fi = cli_ow_fetch(c, &q);
	if (fi < 0 || await(c, tfd, CLI_EV_FETCHED, &ev) || ev.accept != XW_ACCEPT_OK) {
		fprintf(stderr, "owrecv: Fetch-Session failed (Fetch-Ack %u)\n", ev.accept);
		goto out;
	}
	f = cli_fetch(c, fi);
	for (i = 0; i < f->ack.num_records; i++) {
		if (codec_ow_record_lost(&f->recs[i]))
			continue;
		got++;
		lo = f->recs[i].recv_ts < lo ? f->recs[i].recv_ts : lo;
		hi = f->recs[i].recv_ts > hi ? f->recs[i].recv_ts : hi;
	}
	if (got < 2)
		fprintf(stderr, "owrecv: %u records, %llu with a receive time\n",
			f->ack.num_records, (unsigned long long)got);
	if (got > 1 && hi > lo)
		rate = got / ((xw_ntp_to_ns(hi) - xw_ntp_to_ns(lo)) / 1e9);
out:
	cli_free(c);
	if (tfd >= 0)
		close(tfd);
	if (ufd >= 0)
		close(ufd);
	return rate;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct xw_addr ow, sinka, local;
	const char *ows = NULL, *sinks = NULL, *locs = NULL;
	uint32_t n = 200000;
	double ratio[MAX_RND], rs[MAX_RND], rk[MAX_RND], gen = 0, g1, g2;
	int rounds = 5, r, i;

	if (argc == 3 && !strcmp(argv[1], "sink"))
		return sink(argv[2]);
	for (i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--ow"))
			ows = argv[i + 1];
		else if (!strcmp(argv[i], "--sink"))
			sinks = argv[i + 1];
		else if (!strcmp(argv[i], "--local"))
			locs = argv[i + 1];
		else if (!strcmp(argv[i], "--count"))
			n = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atoi(argv[i + 1]);
	}
	if (argc < 2 || strcmp(argv[1], "run") || !ows || !sinks || !locs || rounds < 1 ||
	    rounds > MAX_RND || xw_addr_parse(ows, 861, false, &ow) ||
	    xw_addr_parse(sinks, 9, false, &sinka) || xw_addr_parse(locs, 0, false, &local)) {
		fprintf(stderr,
			"usage: %s sink ADDR:PORT | run --ow ADDR:PORT --sink ADDR:PORT "
			"--local ADDR [--count N] [--rounds R]\n",
			argv[0]);
		return 2;
	}
	for (r = 0; r < rounds; r++) {
		double b1 = sink_rate(&sinka, n, &g1), o = owamp_rate(&ow, &local, n, &gen);
		double b2 = sink_rate(&sinka, n, &g2);

		if (!b1 || !b2 || !o) {
			fprintf(stderr, "owrecv: round %d failed (sink %.0f/%.0f, owamp %.0f)\n", r,
				b1, b2, o);
			return 1;
		}
		rs[r] = o;
		rk[r] = (b1 + b2) / 2;
		ratio[r] = o / rk[r];
	}
	qsort(ratio, (size_t)rounds, sizeof(double), cmp);
	qsort(rs, (size_t)rounds, sizeof(double), cmp);
	qsort(rk, (size_t)rounds, sizeof(double), cmp);
	printf("OWAMP socket receiver %u x %d-octet packets: %.2fx a UDP receive loop "
	       "(%.2f..%.2f); "
	       "%.0f records/s (median), loop %.0f datagrams/s, generator %.0f packets/s\n",
	       n, PKT_LEN, ratio[rounds / 2], ratio[0], ratio[rounds - 1], rs[rounds / 2],
	       rk[rounds / 2], gen);
	printf("owrecv_records_per_s %.0f\n", rs[rounds / 2]);
	return 0;
}
