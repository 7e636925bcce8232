// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reflection rate of xwampd's paths over veth (tests/bench_afxdp.sh):
 * real xwampd sessions, set up by xwping, are fed one of their own sender
 * frames over and over (a TWAMP reflector answers a repeated packet as a new
 * one; its HMAC stays valid), at the rate a BPF_PROG_RUN live-frames
 * generator on the client veth can send (bpf/xdp_benchgen.bpf.c
 * xdp_gen_tx); the client veth counts and drops the replies
 * (xdp_count_drop).  Subjects and baseline are interleaved, B S1 B S2 ... B,
 * each subject divided by the mean of the baseline phases right before and
 * after it.
 *
 *   bench_afxdp CLIENT_NS CLIENT_IF --base NAME:PORT [--subj NAME:PORT ...]
 *               [--ow NAME:PORT ... --ow-count CMD] [--rounds N] [--frames N] [--dir DIR]
 *
 * --ow: an OWAMP receive session (no replies: RFC 4656 4.2), fed its
 * sender's frame the same way (the record of a repeated packet is stored as
 * a duplicate, RFC 4656 3.9), counted by the records xwampd stored: the
 * shell command "CMD NAME" prints that session's records so far; its rate
 * is records per second of the generator's phase, read once the count
 * stops moving (the rings drained).
 *
 * --dir: frames are kept in DIR/NAME.frame: a frame found there is used
 * as it is (for a later run against another reflector), one captured is
 * saved there.
 *
 * PORT is a session's reflector port on the server: the frame fed to it is
 * the first one xwping sends there, captured on CLIENT_IF (AF_PACKET,
 * outgoing) before the counting program is attached.  The client veth must
 * send complete UDP checksums (ethtool -K tx off: the socket path checks
 * them) and the server must know the client's MAC address for good (a
 * permanent neighbour entry: ARP replies are dropped while counting).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../bench/bench.h"
#include "xdp_benchgen.skel.h"
#include "xwamp/wire.h"

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

#define MAX_SUBJ   8
#define MAX_ROUNDS 64
#define MAX_FRAME  1600

struct subj {
	const char *name;
	uint16_t port;
	int ow; /* counted by records (--ow-count), not replies */
	uint8_t frame[MAX_FRAME];
	size_t len;
};

struct env {
	int ifx, ncpu;
	struct xdp_benchgen *gen;
	const char *ow_count; /* --ow-count CMD */
};

/* The first outgoing IPv4/UDP frame to each subject's port, within 10 s. */
static int capture(int ifx, struct subj *s, unsigned int n)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	uint64_t until = bench_mono_ns() + 10000000000ULL;
	unsigned int have = 0, i;
	uint8_t buf[MAX_FRAME];
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	sll.sll_ifindex = ifx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -errno;
	}
	while (have < n && bench_mono_ns() < until) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t len;
		unsigned int ihl;

		if (poll(&p, 1, 200) <= 0)
			continue;
		len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (len < 42 || from.sll_pkttype != PACKET_OUTGOING ||
		    get_be16(buf + 12) != 0x0800 || buf[23] != 17)
			continue;
		ihl = (buf[14] & 0xf) * 4u;
		if (14 + ihl + 8 > (size_t)len)
			continue;
		for (i = 0; i < n; i++) {
			if (s[i].len || get_be16(buf + 14 + ihl + 2) != s[i].port)
				continue;
			memcpy(s[i].frame, buf, (size_t)len);
			s[i].len = (size_t)len;
			have++;
		}
	}
	close(fd);
	for (i = 0; i < n; i++)
		if (!s[i].len)
			fprintf(stderr, "bench_afxdp: no frame to port %u seen\n", s[i].port);
	return have == n ? 0 : -ETIMEDOUT;
}

/* DIR/NAME.frame: load (1), or save a captured one (0). */
static int frame_file(const char *dir, struct subj *s, int load)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s.frame", dir, s->name);
	f = fopen(path, load ? "rb" : "wb");
	if (!f)
		return -1;
	if (load) {
		s->len = fread(s->frame, 1, sizeof(s->frame), f);
		ok = s->len >= 42;
	} else {
		ok = fwrite(s->frame, 1, s->len, f) == s->len;
	}
	return fclose(f) || !ok ? -1 : 0;
}

static __u64 replies(struct env *e, int reset)
{
	__u64 v[1024] = {0}, sum = 0;
	__u32 zero = 0;
	int fd = bpf_map__fd(e->gen->maps.replies), c;

	if (reset) {
		bpf_map_update_elem(fd, &zero, v, BPF_ANY);
		return 0;
	}
	if (bpf_map_lookup_elem(fd, &zero, v))
		return 0;
	for (c = 0; c < e->ncpu && c < 1024; c++)
		sum += v[c];
	return sum;
}

/* An OWAMP subject's records so far ("CMD NAME"); -1 when the command fails. */
static double records(const struct env *e, const struct subj *s)
{
	char cmd[1024], line[64];
	double v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s %s", e->ow_count, s->name);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fgets(line, sizeof(line), p))
		v = strtod(line, NULL);
	if (pclose(p))
		v = -1;
	return v;
}

/*
 * One phase: replies (--ow: records) per second to frames copies of s's
 * frame; *frac = replies / frames.
 */
static double phase(struct env *e, const struct subj *s, unsigned int frames, double *frac)
{
	struct xdp_md ctx = {.ingress_ifindex = (__u32)e->ifx, .data_end = (__u32)s->len};
	LIBBPF_OPTS(bpf_test_run_opts, o);
	uint64_t t0, t1;
	double r0 = 0, got;

	if (s->ow && (r0 = records(e, s)) < 0) {
		fprintf(stderr, "bench_afxdp: --ow-count %s %s failed\n", e->ow_count, s->name);
		return -1;
	}
	replies(e, 1);
	o.data_in = s->frame;
	o.data_size_in = (__u32)s->len;
	o.ctx_in = &ctx;
	o.ctx_size_in = sizeof(ctx);
	o.repeat = (int)frames;
	o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	t0 = bench_mono_ns();
	if (bpf_prog_test_run_opts(bpf_program__fd(e->gen->progs.xdp_gen_tx), &o)) {
		fprintf(stderr, "bench_afxdp: live frames: %s\n", strerror(errno));
		return -1;
	}
	t1 = bench_mono_ns();
	/* replies still in the reflector's rings: wait until the count stops moving */
	if (s->ow) {
		double now = records(e, s);

		do {
			got = now;
			usleep(50000);
			now = records(e, s);
		} while (now != got && now >= 0);
		if (now < 0)
			return -1;
		got -= r0;
	} else {
		do {
			got = (double)replies(e, 0);
			usleep(50000);
		} while ((double)replies(e, 0) != got);
	}
	*frac = got / frames;
	return got / ((double)(t1 - t0) / 1e9);
}

static void summary(const char *what, double *r, int n)
{
	double lo = r[0], hi = r[0];
	int i;

	for (i = 1; i < n; i++) {
		lo = r[i] < lo ? r[i] : lo;
		hi = r[i] > hi ? r[i] : hi;
	}
	printf("   %-46s %7.3f  (%.3f..%.3f)\n", what, bench_quantile(r, (size_t)n, 0.5), lo, hi);
}

static int parse_subj(const char *arg, struct subj *s)
{
	const char *colon = strrchr(arg, ':');

	if (!colon || colon == arg || atoi(colon + 1) <= 0 || atoi(colon + 1) > 65535)
		return -1;
	s->name = strndup(arg, (size_t)(colon - arg));
	s->port = (uint16_t)atoi(colon + 1);
	return s->name ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct subj sub[MAX_SUBJ + 1]; /* [0]: the baseline */
	static double ratio[MAX_SUBJ][MAX_ROUNDS], mpps[MAX_SUBJ + 1][MAX_ROUNDS],
		frac[MAX_SUBJ + 1][MAX_ROUNDS];
	unsigned int nsub = 0, frames = 1000000, k, ncap = 0;
	struct subj *cap[MAX_SUBJ + 1];
	const char *dir = NULL;
	int rounds = 5, i, r, ns, rc = 1, have_base = 0;
	double b_prev, b_next, f;
	struct env e = {0};
	char what[96];

	if (argc < 3) {
		fprintf(stderr, "usage: bench_afxdp CLIENT_NS CLIENT_IF --base NAME:PORT "
				"[--subj NAME:PORT ...] [--rounds N] [--frames N]\n");
		return 2;
	}
	for (i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--base") && !parse_subj(argv[i + 1], &sub[0]))
			have_base = 1;
		else if (!strcmp(argv[i], "--subj") && nsub < MAX_SUBJ &&
			 !parse_subj(argv[i + 1], &sub[nsub + 1]))
			nsub++;
		else if (!strcmp(argv[i], "--ow") && nsub < MAX_SUBJ &&
			 !parse_subj(argv[i + 1], &sub[nsub + 1]))
			sub[++nsub].ow = 1;
		else if (!strcmp(argv[i], "--ow-count"))
			e.ow_count = argv[i + 1];
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--dir"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--frames"))
			frames = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else {
			fprintf(stderr, "bench_afxdp: bad argument %s %s\n", argv[i], argv[i + 1]);
			return 2;
		}
	}
	if (!have_base || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_afxdp: --base NAME:PORT needed, 1..%d rounds\n", MAX_ROUNDS);
		return 2;
	}
	for (k = 1; k <= nsub; k++)
		if (sub[k].ow && !e.ow_count) {
			fprintf(stderr, "bench_afxdp: --ow needs --ow-count CMD\n");
			return 2;
		}
	snprintf(what, sizeof(what), "/var/run/netns/%s", argv[1]);
	ns = open(what, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET)) {
		fprintf(stderr, "bench_afxdp: namespace %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	e.ifx = (int)if_nametoindex(argv[2]);
	e.ncpu = libbpf_num_possible_cpus();
	e.gen = xdp_benchgen__open_and_load();
	if (!e.ifx || !e.gen) {
		fprintf(stderr, "bench_afxdp: %s or the generator: %s\n", argv[2], strerror(errno));
		goto out;
	}
	for (k = 0; k <= nsub; k++)
		if (!dir || frame_file(dir, &sub[k], 1))
			cap[ncap++] = &sub[k];
	for (k = 0; k < ncap; k++) {
		struct subj one = *cap[k];

		if (capture(e.ifx, &one, 1))
			goto out;
		*cap[k] = one;
		if (dir && frame_file(dir, cap[k], 0))
			fprintf(stderr, "bench_afxdp: cannot save %s's frame in %s\n", cap[k]->name,
				dir);
	}
	if (bpf_xdp_attach(e.ifx, bpf_program__fd(e.gen->progs.xdp_count_drop), XDP_FLAGS_DRV_MODE,
			   NULL)) {
		fprintf(stderr, "bench_afxdp: attach to %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	usleep(50000);
	b_prev = phase(&e, &sub[0], frames, &f);
	/* no subject: the baseline alone, once per round */
	for (r = 0; !nsub && r < rounds; r++) {
		mpps[0][r] = phase(&e, &sub[0], frames, &frac[0][r]) / 1e6;
		if (mpps[0][r] <= 0)
			goto out;
	}
	for (r = 0; r < rounds; r++) {
		for (k = 1; k <= nsub; k++) {
			double x = phase(&e, &sub[k], frames, &frac[k][r]);

			b_next = phase(&e, &sub[0], frames, &frac[0][r]);
			if (b_prev <= 0 || x <= 0 || b_next <= 0)
				goto out;
			ratio[k - 1][r] = x / ((b_prev + b_next) / 2);
			mpps[k][r] = x / 1e6;
			mpps[0][r] = b_next / 1e6;
			b_prev = b_next;
		}
	}
	printf("\n== reflection rate over veth%s, %u live frames per phase, %d rounds (generator: "
	       "BPF_PROG_RUN live frames on the client veth)\n",
	       e.ow_count ? " (OWAMP receivers: records stored)" : "", frames, rounds);
	for (k = 1; k <= nsub; k++) {
		snprintf(what, sizeof(what), "%s / %s", sub[k].name, sub[0].name);
		summary(what, ratio[k - 1], rounds);
	}
	for (k = 0; k <= nsub; k++) {
		snprintf(what, sizeof(what), "%s, Mpps (for scale)", sub[k].name);
		summary(what, mpps[k], rounds);
	}
	for (k = 0; k <= nsub; k++) {
		snprintf(what, sizeof(what), "%s, %s / frames sent", sub[k].name,
			 sub[k].ow ? "records" : "replies");
		summary(what, frac[k], rounds);
	}
	rc = 0;
out:
	if (e.ifx)
		bpf_xdp_detach(e.ifx, XDP_FLAGS_DRV_MODE, NULL);
	xdp_benchgen__destroy(e.gen);
	return rc;
}
