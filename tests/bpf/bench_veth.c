// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP reflector between two namespaces over veth (tests/bench.sh):
 *
 *   pps  reflected packets per second, xdp_xwamp against the MAC-swap
 *        XDP_TX baseline (bpf/xdp_baseline.bpf.c) on the same server veth,
 *        interleaved B X B X ... B, each X divided by the mean of the B
 *        right before and after it.  The generator is BPF_PROG_RUN with
 *        BPF_F_TEST_XDP_LIVE_FRAMES on the client veth (xdp_gen_tx returns
 *        XDP_TX: the frame goes out to the server); the client veth counts
 *        and drops the replies (xdp_count_drop).  Both reflectors are
 *        attached natively; the sessions are written into the map here, so
 *        xwampd plays no part.  Live frames are not reset between uses, so
 *        a reflected frame may be generated again: the mirror-image session
 *        is armed too and every frame is a TWAMP-Test packet either way.
 *   rtt  one packet in flight from a UDP socket in the client namespace:
 *        the XDP reflector against a userspace UDP echo (tests/bench/
 *        udp_echo.c, given as --echo), interleaved packet by packet; T1 is
 *        the clock right before send(), T4 the kernel's receive timestamp
 *        (SO_TIMESTAMPNS).  The client veth then runs xdp_count_pass (a
 *        veth peer needs an XDP program to receive XDP_TX frames) and must
 *        have TX checksum offload off (doc/testbed.md section 5):
 *        bench.sh does that.
 *
 *   bench_veth CLIENT_NS SERVER_NS CLIENT_IF SERVER_IF [--rounds N]
 *              [--frames N] [--pings N] [--echo IPV4:PORT]
 *
 * Addresses: the fixture's (tests/bpf/xdp_fixture.h), 192.0.2.1 (client)
 * and 192.0.2.2 (server), which bench.sh gives the veth ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "../bench/bench.h"
#include "xdp_baseline.skel.h"
#include "xdp_benchgen.skel.h"
#include "xdp_clock.skel.h"
#include "xdp_fixture.h"
#include "xwamp.skel.h"

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

struct opts {
	const char *cns, *sns, *cif, *sif, *echo;
	int rounds;
	unsigned int frames, pings;
};

struct env {
	int self_ns, cns, sns;
	int cifx, sifx;
	uint8_t smac[6]; /* the server veth's MAC address */
	struct xwamp *xw;
	struct xdp_baseline *base;
	struct xdp_clock *clk;
	struct xdp_benchgen *gen;
	int ncpu;
};

/* The MAC address of ifname in the current namespace; 0 or -1. */
static int if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
		rc = 0;
	}
	close(fd);
	return rc;
}

static int ns_open(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Attach prog (fd, -1: detach) natively to ifindex inside namespace ns. */
static int attach(struct env *e, int ns, int ifindex, int fd)
{
	int err;

	if (setns(ns, CLONE_NEWNET))
		return -errno;
	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (fd < 0)
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (setns(e->cns, CLONE_NEWNET))
		return -errno;
	return err;
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

/* One pps phase with prog on the server: replies per second, or < 0. */
static double pps_phase(struct env *e, int prog, unsigned int frames, double *frac)
{
	struct xdp_md ctx = {.ingress_ifindex = (__u32)e->cifx};
	struct fx_pkt x = {.paylen = 41};
	LIBBPF_OPTS(bpf_test_run_opts, o);
	uint8_t frame[256];
	struct fx_off off;
	size_t len = fx_build(&x, frame, &off);
	uint64_t t0, t1;
	__u64 got;

	/*
	 * To the server veth's own MAC, as the reflector wants (host_check):
	 * from it too, so that a reflected frame the generator sends again
	 * (live frames are reused) is addressed to it as well.
	 */
	memcpy(frame, e->smac, 6);
	memcpy(frame + 6, e->smac, 6);

	/* the kernel wants the context to describe exactly the data given */
	ctx.data_end = (__u32)len;
	if (attach(e, e->sns, e->sifx, prog))
		return -1;
	usleep(20000);
	replies(e, 1);
	o.data_in = frame;
	o.data_size_in = (__u32)len;
	o.ctx_in = &ctx;
	o.ctx_size_in = sizeof(ctx);
	o.repeat = (int)frames;
	o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	t0 = bench_mono_ns();
	if (bpf_prog_test_run_opts(bpf_program__fd(e->gen->progs.xdp_gen_tx), &o)) {
		fprintf(stderr, "bench_veth: live frames: %s\n", strerror(errno));
		return -1;
	}
	t1 = bench_mono_ns();
	usleep(20000); /* what is still in the rings */
	got = replies(e, 0);
	*frac = (double)got / frames;
	return (double)got / ((double)(t1 - t0) / 1e9);
}

static int arm_sessions(struct env *e)
{
	struct xw_bpf_clock clk = {.utc_offset_ns = -37000000000LL, .errest = 0x8001};
	int sfd = bpf_map__fd(e->xw->maps.sessions);
	__u32 kf = FX_DPORT, kb = FX_SPORT, zero = 0, slot = (__u32)e->sifx % XW_IF_MACS_MAX;
	struct xw_if_mac m = {.ifindex = (__u32)e->sifx};
	struct xw_sess fwd, back;

	fx_session(&fwd, 0, 0, 0, 0, 0);
	back = fwd;
	back.sender_port = fwd.refl_port;
	back.refl_port = fwd.sender_port;
	memcpy(back.sender_addr, fwd.refl_addr, 16);
	memcpy(back.refl_addr, fwd.sender_addr, 16);
	/*
	 * The program answers only frames for this host (README "What the
	 * reflectors answer"): the server veth's own MAC, as xwampd writes it
	 * at attach (the live frames and the pings are addressed to it), the
	 * reflector address one of its own.
	 */
	memcpy(m.mac, e->smac, 6);
	if (bpf_map_update_elem(bpf_map__fd(e->xw->maps.if_macs), &slot, &m, BPF_ANY) ||
	    fx_own_add(bpf_map__fd(e->xw->maps.own_addrs), 0, fx_ip4_ref, XW_OWN_UNICAST) ||
	    bpf_map_update_elem(sfd, &kf, &fwd, BPF_ANY) ||
	    bpf_map_update_elem(sfd, &kb, &back, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(e->xw->maps.clock), &zero, &clk, BPF_ANY))
		return -1;
	return 0;
}

static void summary(const char *what, double *r, int n, const char *unit_note)
{
	double lo = r[0], hi = r[0], med;
	int i;

	for (i = 1; i < n; i++) {
		lo = r[i] < lo ? r[i] : lo;
		hi = r[i] > hi ? r[i] : hi;
	}
	med = bench_quantile(r, (size_t)n, 0.5);
	printf("   %-44s %6.3f  (%.3f..%.3f)%s\n", what, med, lo, hi, unit_note);
}

static int run_pps(struct env *e, const struct opts *o)
{
	int xp = bpf_program__fd(e->xw->progs.xdp_xwamp);
	int bp = bpf_program__fd(e->base->progs.xdp_baseline);
	int cp = bpf_program__fd(e->clk->progs.xdp_clock);
	double b_prev, b_next, x, c, fb, fx, fc, ratio[64], cratio[64], bm[64], xm[64], fr[64];
	int r;

	if (attach(e, e->cns, e->cifx, bpf_program__fd(e->gen->progs.xdp_count_drop)))
		return -1;
	b_prev = pps_phase(e, bp, o->frames, &fb);
	for (r = 0; r < o->rounds && r < 64; r++) {
		x = pps_phase(e, xp, o->frames, &fx);
		c = pps_phase(e, cp, o->frames, &fc);
		b_next = pps_phase(e, bp, o->frames, &fb);
		if (b_prev <= 0 || x <= 0 || c <= 0 || b_next <= 0)
			return -1;
		ratio[r] = x / ((b_prev + b_next) / 2);
		cratio[r] = c / ((b_prev + b_next) / 2);
		bm[r] = b_next / 1e6;
		xm[r] = x / 1e6;
		fr[r] = fx;
		b_prev = b_next;
	}
	printf("\n== XDP reflector over veth, native, %u live frames per phase (generator: "
	       "BPF_PROG_RUN live frames on the client veth, one core)\n",
	       o->frames);
	summary("xdp_xwamp / MAC-swap XDP_TX pps (target >= 0.8)", ratio, r, "");
	summary("MAC swap + clock read / MAC-swap XDP_TX pps", cratio, r,
		"  (the floor: any reflector that stamps)");
	summary("MAC-swap XDP_TX baseline, Mpps (for scale)", bm, r, "");
	summary("xdp_xwamp, Mpps (for scale)", xm, r, "");
	summary("xdp_xwamp replies / frames sent", fr, r, "");
	return 0;
}

static int udp_sock(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;

	memcpy(&a.sin_addr, fx_ip4_snd, 4);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One round trip: ns from T1 (before send) to T4 (kernel rx stamp), 0 lost, < 0 failure. */
static double ping(int fd, const struct sockaddr_in *to, uint32_t seq)
{
	uint8_t pkt[41], buf[2048];
	char cbuf[256];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct cmsghdr *c;
	uint64_t t1;

	fx_sender_payload(pkt, sizeof(pkt), 0);
	put_be32(pkt, seq);
	t1 = bench_real_ns();
	if (sendto(fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return -1;
	if (poll(&p, 1, 100) <= 0 || recvmsg(fd, &m, 0) < 0)
		return 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (double)((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec -
					t1);
		}
	return 0;
}

static int run_rtt(struct env *e, const struct opts *o)
{
	struct sockaddr_in xto = {.sin_family = AF_INET, .sin_port = htons(FX_DPORT)}, eto;
	double *rx = calloc(o->pings, sizeof(double)), *re = calloc(o->pings, sizeof(double));
	unsigned int i, nx = 0, ne = 0;
	char host[64], *colon;
	int fx = -1, fe = -1, rc = -1;
	double q[4];

	snprintf(host, sizeof(host), "%s", o->echo);
	colon = strchr(host, ':');
	if (!rx || !re || !colon)
		goto out;
	*colon = 0;
	memset(&eto, 0, sizeof(eto));
	eto.sin_family = AF_INET;
	eto.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &eto.sin_addr) != 1)
		goto out;
	memcpy(&xto.sin_addr, fx_ip4_ref, 4);
	if (attach(e, e->cns, e->cifx, bpf_program__fd(e->gen->progs.xdp_count_pass)) ||
	    attach(e, e->sns, e->sifx, bpf_program__fd(e->xw->progs.xdp_xwamp)))
		goto out;
	fx = udp_sock(FX_SPORT);
	fe = udp_sock(0);
	if (fx < 0 || fe < 0)
		goto out;
	usleep(20000);
	for (i = 0; i < o->pings; i++) {
		/* alternate which goes first, so that neither always finds the other's wake-up */
		double a = 0, b = 0;

		if (i & 1) {
			a = ping(fx, &xto, i);
			b = ping(fe, &eto, i);
		} else {
			b = ping(fe, &eto, i);
			a = ping(fx, &xto, i);
		}
		if (a < 0 || b < 0)
			goto out;
		if (a > 0)
			rx[nx++] = a;
		if (b > 0)
			re[ne++] = b;
	}
	if (nx < o->pings / 2 || ne < o->pings / 2) {
		fprintf(stderr, "bench_veth: rtt: %u/%u XDP and %u/%u echo answers\n", nx, o->pings,
			ne, o->pings);
		goto out;
	}
	q[0] = bench_quantile(rx, nx, 0.5);
	q[1] = bench_quantile(re, ne, 0.5);
	q[2] = bench_quantile(rx, nx, 0.99);
	q[3] = bench_quantile(re, ne, 0.99);
	printf("\n== round trip, one packet in flight, %u pings each, interleaved packet by "
	       "packet\n"
	       "   (T1 clock before send, T4 kernel rx timestamp)\n",
	       o->pings);
	printf("   %-44s %6.3f  (p99 %.3f)\n", "XDP reflector / userspace udp_echo, median",
	       q[0] / q[1], q[2] / q[3]);
	printf("   %-44s %6.1f us / %.1f us (p99 %.1f / %.1f)\n", "XDP, udp_echo (for scale)",
	       q[0] / 1e3, q[1] / 1e3, q[2] / 1e3, q[3] / 1e3);
	printf("   %-44s %u, %u\n", "lost", o->pings - nx, o->pings - ne);
	rc = 0;
out:
	if (fx >= 0)
		close(fx);
	if (fe >= 0)
		close(fe);
	free(rx);
	free(re);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {.rounds = 5, .frames = 2000000, .pings = 2000};
	struct env e = {.self_ns = -1, .cns = -1, .sns = -1};
	int i, rc = 1;

	if (argc < 5) {
		fprintf(stderr, "usage: bench_veth CLIENT_NS SERVER_NS CLIENT_IF SERVER_IF "
				"[--rounds N] [--frames N] [--pings N] [--echo IPV4:PORT]\n");
		return 2;
	}
	o.cns = argv[1];
	o.sns = argv[2];
	o.cif = argv[3];
	o.sif = argv[4];
	for (i = 5; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rounds"))
			o.rounds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--frames"))
			o.frames = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--pings"))
			o.pings = (unsigned int)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--echo"))
			o.echo = argv[i + 1];
	}
	e.self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	e.cns = ns_open(o.cns);
	e.sns = ns_open(o.sns);
	if (e.self_ns < 0 || e.cns < 0 || e.sns < 0 || setns(e.sns, CLONE_NEWNET)) {
		fprintf(stderr, "bench_veth: namespaces %s, %s: %s\n", o.cns, o.sns,
			strerror(errno));
		goto out;
	}
	e.sifx = (int)if_nametoindex(o.sif);
	if (if_mac(o.sif, e.smac) || setns(e.cns, CLONE_NEWNET))
		goto out;
	e.cifx = (int)if_nametoindex(o.cif);
	e.ncpu = libbpf_num_possible_cpus();
	e.xw = xwamp__open_and_load();
	e.base = xdp_baseline__open_and_load();
	e.clk = xdp_clock__open_and_load();
	e.gen = xdp_benchgen__open_and_load();
	if (!e.sifx || !e.cifx || !e.xw || !e.base || !e.clk || !e.gen || arm_sessions(&e)) {
		fprintf(stderr, "bench_veth: interfaces or programs: %s\n", strerror(errno));
		goto out;
	}
	if (run_pps(&e, &o)) {
		fprintf(stderr, "bench_veth: pps failed\n");
		goto out;
	}
	if (o.echo && run_rtt(&e, &o)) {
		fprintf(stderr, "bench_veth: rtt failed\n");
		goto out;
	}
	rc = 0;
out:
	if (e.cns >= 0 && e.sns >= 0 && e.cifx && e.sifx) {
		attach(&e, e.sns, e.sifx, -1);
		attach(&e, e.cns, e.cifx, -1);
	}
	xwamp__destroy(e.xw);
	xdp_baseline__destroy(e.base);
	xdp_clock__destroy(e.clk);
	xdp_benchgen__destroy(e.gen);
	return rc;
}
