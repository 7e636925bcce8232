// SPDX-License-Identifier: GPL-2.0-only
/*
 * The reference client's output formats (control/report.h): twping -M's
 * "SUMMARY 3.00" and twping -R's 16-field raw lines, on a session whose
 * every number is known: 4 packets 100 ms apart, one lost, one reflected
 * twice (a forward duplicate: a new reflector seq) and one reply seen twice
 * (a backward duplicate: the same reflector seq), clocks synchronized with
 * 1 s error estimates, then the same unsynchronized.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report.h"
#include "t.h"
#include "xwamp/ntp.h"

#define MS   1000000LL
#define US   1000LL
#define BASE (1700000000ULL * 1000000000ULL) /* a whole second: NTP fraction 0 */
#define IVL  (100 * MS)
/* S bit, Scale 32, Multiplier 1: 1 s (RFC 4656 4.1.2) */
#define EE1  ((__u16)(XW_ERREST_S | (32 << 8) | 1))

static char *buf;
static size_t len;

static int reply(struct xw_stats_session *s, __u32 seq, __u32 rseq, long long fwd, long long bwd,
		 __u16 ee)
{
	struct xw_stats_reply r = {0};
	__u64 t1 = BASE + (__u64)seq * IVL;

	r.refl_seq = rseq;
	r.t2_ns = t1 + fwd;
	r.t3_ns = r.t2_ns + 50 * US;
	r.t4_ns = r.t3_ns + bwd;
	r.sender_errest = ee;
	r.refl_errest = ee;
	r.sender_ttl = 253; /* two hops out */
	r.ip_ttl = 62;	    /* two hops back from 64 */
	return xw_stats_add_reply(s, seq, &r);
}

static struct xw_stats_session *session(__u16 ee)
{
	struct xw_stats_session *s = xw_stats_new();
	__u32 i;

	for (i = 0; s && i < 4; i++)
		if (xw_stats_add_sent(s, i, BASE + i * IVL))
			return NULL;
	/* seq 0: 1 ms out, 2 ms back; seq 1 lost; seq 2 twice with refl seq 1;
	 * seq 3: 3 ms out, reflected twice (refl seqs 2 and 3) */
	if (!s || reply(s, 0, 0, 1 * MS, 2 * MS, ee) || reply(s, 2, 1, 1 * MS, 2 * MS, ee) ||
	    reply(s, 2, 1, 1 * MS, 2 * MS, ee) || reply(s, 3, 2, 3 * MS, 2 * MS, ee) ||
	    reply(s, 3, 3, 3 * MS, 2 * MS, ee))
		return NULL;
	return s;
}

static const struct xw_machine_meta META = {
	.sid = "c0000202000000000000000000000001",
	.from_host = "192.0.2.1",
	.from_addr = "192.0.2.1",
	.from_port = 40000,
	.to_host = "192.0.2.2",
	.to_addr = "192.0.2.2",
	.to_port = 862,
	.dscp = 46,
	.loss_timeout = 2ULL << 32,
	.padding = 27,
	.npackets = 4,
	.bucket_width = 0.0001,
	.finished = 1,
};

/* NTP of BASE: (1700000000 + 2208988800) << 32 */
#define NTP0 "16788979056430284800"

TEST(machine_summary)
{
	struct xw_stats_session *s = session(EE1);
	FILE *f;

	CHECK(s);
	f = open_memstream(&buf, &len);
	CHECK_EQ(xw_report_machine(f, &META, s), 0);
	fclose(f);
	CHECK(!strcmp(buf, "SUMMARY\t3.00\n"
			   "SID\tc0000202000000000000000000000001\n"
			   "FROM_HOST\t192.0.2.1\nFROM_ADDR\t192.0.2.1\nFROM_PORT\t40000\n"
			   "TO_HOST\t192.0.2.2\nTO_ADDR\t192.0.2.2\nTO_PORT\t862\n"
			   "START_TIME\t" NTP0 "\n"
			   "END_TIME\t16788979057718774988\n" /* + 300 ms */
			   "DSCP\t0x2e\n"
			   "LOSS_TIMEOUT\t8589934592\n"
			   "PACKET_PADDING\t27\n"
			   "SESSION_PACKET_COUNT\t4\nSAMPLE_PACKET_COUNT\t4\n"
			   "BUCKET_WIDTH\t0.0001\nSESSION_FINISHED\t1\n"
			   "SENT\t4\nSYNC\t1\n"
			   "MAXERR\t4\nMAXERR_FWD\t2\nMAXERR_BCK\t2\n"
			   "DUPS_FWD\t1\nDUPS_BCK\t1\nLOST\t1\n"
			   "MIN\t0.003\nMIN_FWD\t0.001\nMIN_BCK\t0.002\nMIN_PROC\t5e-05\n"
			   /* half of the 4 sent: the 2nd sample of 3 ms */
			   "MEDIAN\t0.003\nMEDIAN_FWD\t0.001\nMEDIAN_BCK\t0.002\n"
			   "MAX\t0.005\nMAX_FWD\t0.003\nMAX_BCK\t0.002\nMAX_PROC\t5e-05\n"
			   /* 95% of 4 sent is never reached with one lost: no PDV lines */
			   "<BUCKETS>\n"
			   "\t10\t0\t2\t0\n"
			   "\t20\t0\t0\t3\n"
			   "\t30\t2\t1\t0\n"
			   "\t50\t1\t0\t0\n"
			   "</BUCKETS>\n"
			   "MINTTL_FWD\t253\nMAXTTL_FWD\t253\n"
			   "MINTTL_BCK\t62\nMAXTTL_BCK\t62\n"
			   "<TTLBUCKETS>\n\t62\t0\t3\n\t253\t3\t0\n</TTLBUCKETS>\n"
			   "\n"));
	xw_stats_free(s);
}

TEST(machine_unsync_and_empty)
{
	struct xw_stats_session *s = session((__u16)((32 << 8) | 1));
	struct xw_machine_meta m = META;
	FILE *f;

	CHECK(s);
	f = open_memstream(&buf, &len);
	m.finished = 0;
	m.dscp = -1;
	CHECK_EQ(xw_report_machine(f, &m, s), 0);
	fclose(f);
	CHECK(strstr(buf, "\nSYNC\t0\n"));
	CHECK(strstr(buf, "\nSESSION_FINISHED\t0\n"));
	CHECK(!strstr(buf, "DSCP"));
	xw_stats_free(s);

	/* nothing received: no delay lines, no buckets, TTL 255/0 as the reference */
	s = xw_stats_new();
	CHECK(s);
	CHECK_EQ(xw_stats_add_sent(s, 0, BASE), 0);
	f = open_memstream(&buf, &len);
	CHECK_EQ(xw_report_machine(f, &META, s), 0);
	fclose(f);
	CHECK(strstr(buf, "\nLOST\t1\nMINTTL_FWD\t255\nMAXTTL_FWD\t0\nMINTTL_BCK\t255\n"
			  "MAXTTL_BCK\t0\n\n"));
	CHECK(!strstr(buf, "BUCKETS"));
	/* a zero bucket width would divide by zero */
	m = META;
	m.bucket_width = 0;
	f = open_memstream(&buf, &len);
	CHECK_EQ(xw_report_machine(f, &m, s), -EINVAL);
	fclose(f);
	xw_stats_free(s);
}

TEST(raw_lines)
{
	struct xw_stats_session *s = session(EE1);
	size_t i;
	FILE *f;

	CHECK(s);
	f = open_memstream(&buf, &len);
	for (i = 0; i < xw_stats_narrivals(s); i++)
		CHECK_EQ(xw_report_raw_arrival(f, s, xw_stats_arrival_at(s, i)), 0);
	CHECK_EQ(xw_report_raw_lost(f, s), 0);
	fclose(f);
	/* T1 = NTP0; T2 = +1 ms (+ 1 ms * 2^32 / 1e9 = 4294967), T3 = +1.05 ms, T4 = +3.05 ms */
	{
		static const char first[] =
			"0 " NTP0 " 1 1 16788979056434579767 1 1 253 0 "
			"16788979056434794515 1 1 16788979056443384450 1 1 62\n";

		CHECK(!strncmp(buf, first, strlen(first)));
	}
	CHECK(strstr(buf, "\n1 16788979056859781529 0 0 00000000000000000000 0 0 0 0 "
			  "00000000000000000000 0 0 00000000000000000000 0 0 0\n"));
	/* one line per arrival (5) and per lost packet (1), 16 fields each */
	{
		int lines = 0, fields = 0;
		char *p;

		for (p = buf; *p; p++) {
			lines += *p == '\n';
			fields += *p == ' ';
		}
		CHECK_EQ(lines, 6);
		CHECK_EQ(fields, 6 * 15);
	}
	xw_stats_free(s);
}
