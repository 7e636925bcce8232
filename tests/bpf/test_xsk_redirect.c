// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP program's AF_XDP redirect for authenticated/encrypted sessions
 * under BPF_PROG_TEST_RUN: verdict, "stats" slot, session counters and the
 * 8 octets of metadata (the receive time as Unix ns) in front of the frame.
 *
 * The test makes its own network namespace and binds a real AF_XDP socket
 * (copy mode, no program loaded by libxdp) to queue 0 of its loopback
 * device, so that the "xsks" slot of queue 0 holds a socket and
 * bpf_redirect_map() can succeed; test runs carry ingress_ifindex = lo and
 * rx_queue_index = 0.  A test run does not deliver the frame: data_out is
 * what the program left, metadata included (data_meta .. data_end).
 * Needs root.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "t.h"
#include "xdp_fixture.h"
#include "xwamp.skel.h"

#define UTC_OFF_NS (-37LL * 1000000000LL)
#define NFRAMES	   64

struct env {
	struct xwamp *skel;
	int prog, sessions, stats, clock, xsks, ncpu, lo;
	/* the AF_XDP socket on lo queue 0 */
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
};

static int lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!rc) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc ? -errno : 0;
}

static int env_open(struct env *e)
{
	struct xw_bpf_clock c = {.utc_offset_ns = UTC_OFF_NS, .errest = 0x8001};
	__u32 zero = 0;

	memset(e, 0, sizeof(*e));
	if (unshare(CLONE_NEWNET) || lo_up())
		return -errno;
	e->lo = (int)if_nametoindex("lo");
	e->skel = xwamp__open_and_load();
	if (!e->skel)
		return -EINVAL;
	e->prog = bpf_program__fd(e->skel->progs.xdp_xwamp);
	e->sessions = bpf_map__fd(e->skel->maps.sessions);
	e->stats = bpf_map__fd(e->skel->maps.stats);
	e->clock = bpf_map__fd(e->skel->maps.clock);
	e->xsks = bpf_map__fd(e->skel->maps.xsks);
	e->ncpu = libbpf_num_possible_cpus();
	if (fx_host(bpf_map__fd(e->skel->maps.if_macs), bpf_map__fd(e->skel->maps.own_addrs)))
		return -errno;
	return bpf_map_update_elem(e->clock, &zero, &c, BPF_ANY) ? -errno : 0;
}

/* An AF_XDP socket on lo queue 0, in slot 0 of "xsks". */
static int env_bind_xsk(struct env *e)
{
	struct xsk_socket_config sc = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	int rc;

	e->area = mmap(NULL, NFRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e->area == MAP_FAILED)
		return -errno;
	rc = xsk_umem__create(&e->umem, e->area, NFRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE, &e->fill,
			      &e->comp, NULL);
	if (rc)
		return rc;
	rc = xsk_socket__create(&e->xsk, "lo", 0, e->umem, &e->rx, &e->tx, &sc);
	if (rc)
		return rc;
	{
		__u32 lo = (__u32)e->lo, base = 0;

		/* lo is interface slot 0 (bpf_shared.h: xsk_ifs, xsks) */
		if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.xsk_ifs), &lo, &base, BPF_ANY))
			return -errno;
	}
	return xsk_socket__update_xskmap(e->xsk, e->xsks);
}

static void env_close(struct env *e)
{
	if (e->xsk)
		xsk_socket__delete(e->xsk);
	if (e->umem)
		xsk_umem__delete(e->umem);
	if (e->area && e->area != MAP_FAILED)
		munmap(e->area, NFRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE);
	xwamp__destroy(e->skel);
}

static __u64 stat_sum(const struct env *e, __u32 slot)
{
	__u64 v[512] = {0}, sum = 0;
	int c;

	if (e->ncpu > 512 || bpf_map_lookup_elem(e->stats, &slot, v))
		return ~0ULL;
	for (c = 0; c < e->ncpu; c++)
		sum += v[c];
	return sum;
}

static int put_sess(const struct env *e, __u8 state, __u8 mode, __u16 sender_port)
{
	struct xw_sess s;
	__u32 key = FX_DPORT;

	fx_session(&s, 0, 0, 0, 0, 0);
	s.state = state;
	s.mode = mode;
	if (sender_port)
		s.sender_port = htons(sender_port);
	return bpf_map_update_elem(e->sessions, &key, &s, BPF_ANY);
}

static __u64 sess_passed(const struct env *e)
{
	struct xw_sess s;
	__u32 key = FX_DPORT;

	if (bpf_map_lookup_elem(e->sessions, &key, &s))
		return ~0ULL;
	return s.passed;
}

static __u64 tai_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

struct run {
	__u32 verdict, out_len;
	__u64 stat_delta, passed_delta;
	__u64 t_before, t_after; /* TAI + UTC offset around the run */
	uint8_t in[256], out[512];
	size_t in_len;
};

/* One test run of a frame of paylen TWAMP octets; stat: the slot whose growth is reported. */
static int run_one(const struct env *e, uint32_t paylen, __u32 stat, struct run *r)
{
	struct fx_pkt p = {.paylen = paylen};
	struct xdp_md ctx = {.ingress_ifindex = (__u32)e->lo, .rx_queue_index = 0};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct fx_off o;
	__u64 s0, p0;

	memset(r, 0, sizeof(*r));
	r->in_len = fx_build(&p, r->in, &o);
	ctx.data_end = (__u32)r->in_len; /* the kernel wants the frame's length here */
	opts.data_in = r->in;
	opts.data_size_in = (__u32)r->in_len;
	opts.data_out = r->out;
	opts.data_size_out = sizeof(r->out);
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	s0 = stat_sum(e, stat);
	p0 = sess_passed(e);
	r->t_before = tai_ns() + UTC_OFF_NS;
	if (bpf_prog_test_run_opts(e->prog, &opts)) {
		fprintf(stderr, "  test run: %s\n", strerror(errno));
		return -1;
	}
	r->t_after = tai_ns() + UTC_OFF_NS;
	r->verdict = opts.retval;
	r->out_len = opts.data_size_out;
	r->stat_delta = stat_sum(e, stat) - s0;
	r->passed_delta = sess_passed(e) - p0;
	return 0;
}

/* Without a socket on the queue the frame is passed untouched, no metadata left behind. */
TEST(auth_armed_no_socket_passes)
{
	struct env e;
	struct run r;

	CHECK_EQ(env_open(&e), 0);
	CHECK_EQ(put_sess(&e, XW_SESS_ARMED, XW_SESS_AUTH_REDIRECT, 0), 0);
	CHECK_EQ(run_one(&e, 48, XW_STAT_PASS_MODE, &r), 0);
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK_EQ(r.stat_delta, 1);
	CHECK_EQ(r.passed_delta, 1);
	CHECK_EQ(stat_sum(&e, XW_STAT_REDIRECTED), 0);
	CHECK_EQ(r.out_len, r.in_len);
	CHECK_MEM(r.out, r.in, r.in_len);
	env_close(&e);
}

/*
 * With a socket: redirected, counted REDIRECTED (not "passed"), the frame
 * unchanged behind 8 octets of metadata holding the clock map's time.
 * Also for a TWAMP payload too short to be a sender packet: judging it is
 * the AF_XDP worker's job (it counts it per session as truncated).
 */
TEST(auth_armed_redirected_with_timestamp)
{
	static const uint32_t lens[] = {48, 112, 1, 20};
	struct env e;
	struct run r;
	unsigned int i;
	__u64 meta;

	CHECK_EQ(env_open(&e), 0);
	CHECK_EQ(env_bind_xsk(&e), 0);
	CHECK_EQ(put_sess(&e, XW_SESS_ARMED, XW_SESS_AUTH_REDIRECT, 0), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		CHECK_EQ(run_one(&e, lens[i], XW_STAT_REDIRECTED, &r), 0);
		CHECK_EQ(r.verdict, XDP_REDIRECT);
		CHECK_EQ(r.stat_delta, 1);
		CHECK_EQ(r.passed_delta, 0);
		CHECK_EQ(r.out_len, r.in_len + 8);
		memcpy(&meta, r.out, 8);
		CHECK(meta >= r.t_before && meta <= r.t_after);
		CHECK_MEM(r.out + 8, r.in, r.in_len);
	}
	CHECK_EQ(stat_sum(&e, XW_STAT_REDIRECTED), 4);
	env_close(&e);
}

/*
 * The socket is looked up by the ingress interface's slot + queue: with
 * lo's xsk_ifs entry pointing at another interface's slots (where nothing is
 * bound) or missing, lo's frames are passed, not handed to the socket of
 * slot 0 (which would take them only if it were lo's, and drop them
 * otherwise); with the entry back at slot 0 they are redirected.
 */
TEST(socket_chosen_by_interface_slot)
{
	__u32 lo, other = XW_XSK_MAX_QUEUES, zero = 0;
	struct env e;
	struct run r;
	int ifs;

	CHECK_EQ(env_open(&e), 0);
	CHECK_EQ(env_bind_xsk(&e), 0);
	CHECK_EQ(put_sess(&e, XW_SESS_ARMED, XW_SESS_AUTH_REDIRECT, 0), 0);
	ifs = bpf_map__fd(e.skel->maps.xsk_ifs);
	lo = (__u32)e.lo;
	CHECK_EQ(bpf_map_update_elem(ifs, &lo, &other, BPF_ANY), 0);
	CHECK_EQ(run_one(&e, 48, XW_STAT_PASS_MODE, &r), 0);
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK_EQ(r.stat_delta, 1);
	CHECK_MEM(r.out, r.in, r.in_len);
	CHECK_EQ(bpf_map_delete_elem(ifs, &lo), 0);
	CHECK_EQ(run_one(&e, 48, XW_STAT_PASS_MODE, &r), 0);
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK_EQ(r.stat_delta, 1);
	CHECK_EQ(bpf_map_update_elem(ifs, &lo, &zero, BPF_ANY), 0);
	CHECK_EQ(run_one(&e, 48, XW_STAT_REDIRECTED, &r), 0);
	CHECK_EQ(r.verdict, XDP_REDIRECT);
	CHECK_EQ(r.stat_delta, 1);
	env_close(&e);
}

/* A socket on the queue changes nothing for what is not an armed authenticated session. */
TEST(others_not_redirected)
{
	struct env e;
	struct run r;

	CHECK_EQ(env_open(&e), 0);
	CHECK_EQ(env_bind_xsk(&e), 0);
	/* disarmed (before Start, after Stop): the UDP socket */
	CHECK_EQ(put_sess(&e, XW_SESS_DISARMED, XW_SESS_AUTH_REDIRECT, 0), 0);
	CHECK_EQ(run_one(&e, 48, XW_STAT_PASS_DISARMED, &r), 0);
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK_EQ(r.stat_delta, 1);
	CHECK_EQ(r.out_len, r.in_len);
	CHECK_MEM(r.out, r.in, r.in_len);
	/* another sender port: not the session's */
	CHECK_EQ(put_sess(&e, XW_SESS_ARMED, XW_SESS_AUTH_REDIRECT, 40001), 0);
	CHECK_EQ(run_one(&e, 48, XW_STAT_PASS_TUPLE, &r), 0);
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK_EQ(r.stat_delta, 1);
	/* unauthenticated: still reflected by XDP_TX */
	CHECK_EQ(put_sess(&e, XW_SESS_ARMED, XW_SESS_UNAUTH, 0), 0);
	CHECK_EQ(run_one(&e, 41, XW_STAT_REFLECTED, &r), 0);
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(r.stat_delta, 1);
	CHECK_EQ(stat_sum(&e, XW_STAT_REDIRECTED), 0);
	env_close(&e);
}
