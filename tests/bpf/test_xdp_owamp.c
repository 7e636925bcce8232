// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP OWAMP receiver (bpf_shared.h XW_SESS_OW_RECV) under
 * BPF_PROG_TEST_RUN: an open-mode sender packet of an armed session is
 * dropped and its record is in the ow_events ring buffer, field for field
 * (Sequence Number, Timestamp, Error Estimate as on the wire, the TTL, the
 * receive time from the clock map); a packet of another length is dropped
 * and counted with no record; a disarmed session's packet and the tc
 * program's are passed with no record; with the ring full the frame is
 * passed to the socket and counted.  Needs root.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "t.h"
#include "xdp_fixture.h"
#include "xwamp.skel.h"

#define UTC_OFF_NS (-37LL * 1000000000LL)

struct env {
	struct xwamp *skel;
	struct ring_buffer *rb;
	int ncpu;
	struct xw_ow_event ev[4];
	unsigned int nev;
	uint64_t nall;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct env *e = ctx;

	if (len == sizeof(struct xw_ow_event) && e->nev < 4)
		memcpy(&e->ev[e->nev++], data, len);
	e->nall++;
	return 0;
}

static int env_open(struct env *e)
{
	struct xw_bpf_clock c = {.utc_offset_ns = UTC_OFF_NS, .errest = 0x8132};
	__u32 zero = 0;

	memset(e, 0, sizeof(*e));
	e->skel = xwamp__open_and_load();
	if (!e->skel)
		return -1;
	e->ncpu = libbpf_num_possible_cpus();
	if (fx_host(bpf_map__fd(e->skel->maps.if_macs), bpf_map__fd(e->skel->maps.own_addrs)) ||
	    bpf_map_update_elem(bpf_map__fd(e->skel->maps.clock), &zero, &c, BPF_ANY))
		return -1;
	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.ow_events), on_event, e, NULL);
	return e->rb ? 0 : -1;
}

static void env_close(struct env *e)
{
	ring_buffer__free(e->rb);
	xwamp__destroy(e->skel);
}

static __u64 stat(const struct env *e, __u32 k)
{
	__u64 v[1024] = {0}, sum = 0;
	int c;

	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.stats), &k, v))
		return 0;
	for (c = 0; c < e->ncpu && c < 1024; c++)
		sum += v[c];
	return sum;
}

static int session(struct env *e, int v6, enum xw_sess_state st, uint32_t expect_len)
{
	struct xw_sess s;
	__u32 k = FX_DPORT;

	fx_session(&s, v6, 0, 0, expect_len, 0);
	s.mode = XW_SESS_OW_RECV;
	s.state = (__u8)st;
	return bpf_map_update_elem(bpf_map__fd(e->skel->maps.sessions), &k, &s, BPF_ANY);
}

static int run(struct env *e, int tc, const uint8_t *f, size_t len, __u32 repeat, __u32 *ret)
{
	uint8_t out[4096];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = repeat);
	int prog = bpf_program__fd(tc ? e->skel->progs.tc_xwamp : e->skel->progs.xdp_xwamp);
	int rc = bpf_prog_test_run_opts(prog, &o);

	*ret = o.retval;
	return rc;
}

static size_t frame(int v6, uint32_t paylen, uint8_t *f, struct fx_off *o)
{
	struct fx_pkt p = {.v6 = v6, .paylen = paylen};

	return fx_build(&p, f, o);
}

static uint64_t tai_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void recorded(int v6)
{
	struct env e;
	uint8_t f[256];
	struct fx_off o;
	size_t len;
	__u32 ret;
	uint64_t t0, t1;

	CHECK_EQ(env_open(&e), 0);
	if (t_failed())
		return;
	len = frame(v6, 14, f, &o);
	CHECK_EQ(session(&e, v6, XW_SESS_ARMED, 14), 0);
	t0 = tai_ns() + UTC_OFF_NS;
	CHECK_EQ(run(&e, 0, f, len, 1, &ret), 0);
	t1 = tai_ns() + UTC_OFF_NS;
	CHECK_EQ(ret, XDP_DROP); /* no copy reaches a socket */
	CHECK_EQ(stat(&e, XW_STAT_OW_RECORDED), 1);
	ring_buffer__consume(e.rb);
	CHECK_EQ(e.nev, 1);
	CHECK_EQ(e.ev[0].port, FX_DPORT);
	CHECK_EQ(e.ev[0].ttl, FX_TTL);
	CHECK_MEM(e.ev[0].seq, f + o.pay, 4);
	CHECK_MEM(e.ev[0].send_ts, f + o.pay + 4, 8);
	CHECK_MEM(e.ev[0].send_errest, f + o.pay + 12, 2);
	CHECK(e.ev[0].recv_ns >= t0 && e.ev[0].recv_ns <= t1);
	env_close(&e);
}

TEST(ipv4_open_packet_recorded_and_dropped)
{
	recorded(0);
}

TEST(ipv6_open_packet_recorded_and_dropped)
{
	recorded(1);
}

TEST(other_length_dropped_without_record)
{
	struct env e;
	uint8_t f[256];
	struct fx_off o;
	size_t len;
	__u32 ret;

	CHECK_EQ(env_open(&e), 0);
	if (t_failed())
		return;
	len = frame(0, 20, f, &o);
	CHECK_EQ(session(&e, 0, XW_SESS_ARMED, 14), 0);
	CHECK_EQ(run(&e, 0, f, len, 1, &ret), 0);
	CHECK_EQ(ret, XDP_DROP);
	CHECK_EQ(stat(&e, XW_STAT_OW_LEN), 1);
	CHECK_EQ(stat(&e, XW_STAT_OW_RECORDED), 0);
	ring_buffer__consume(e.rb);
	CHECK_EQ(e.nall, 0);
	env_close(&e);
}

TEST(disarmed_and_tc_pass_without_record)
{
	struct env e;
	uint8_t f[256];
	struct fx_off o;
	size_t len;
	__u32 ret;

	CHECK_EQ(env_open(&e), 0);
	if (t_failed())
		return;
	len = frame(0, 14, f, &o);
	CHECK_EQ(session(&e, 0, XW_SESS_DISARMED, 14), 0);
	CHECK_EQ(run(&e, 0, f, len, 1, &ret), 0);
	CHECK_EQ(ret, XDP_PASS);
	CHECK_EQ(stat(&e, XW_STAT_PASS_DISARMED), 1);
	/* the tc program never records: its frames reach the socket */
	CHECK_EQ(session(&e, 0, XW_SESS_ARMED, 14), 0);
	CHECK_EQ(run(&e, 1, f, len, 1, &ret), 0);
	CHECK_EQ(ret, 0); /* TC_ACT_OK */
	CHECK_EQ(stat(&e, XW_STAT_PASS_MODE), 1);
	ring_buffer__consume(e.rb);
	CHECK_EQ(e.nall, 0);
	env_close(&e);
}

TEST(full_ring_passes_to_the_socket)
{
	struct env e;
	uint8_t f[256];
	struct fx_off o;
	size_t len;
	__u32 ret, n = 40000; /* > XW_OW_EVENTS_BYTES / 40 records */
	__u64 rec, full;

	CHECK_EQ(env_open(&e), 0);
	if (t_failed())
		return;
	len = frame(0, 14, f, &o);
	CHECK_EQ(session(&e, 0, XW_SESS_ARMED, 14), 0);
	CHECK_EQ(run(&e, 0, f, len, n, &ret), 0);
	rec = stat(&e, XW_STAT_OW_RECORDED);
	full = stat(&e, XW_STAT_OW_FULL);
	CHECK_EQ(ret, XDP_PASS); /* the last ones: no room */
	CHECK(full > 0);
	CHECK_EQ(rec + full, n);
	ring_buffer__consume(e.rb);
	CHECK_EQ(e.nall, rec); /* every record counted arrived, none more */
	env_close(&e);
}
