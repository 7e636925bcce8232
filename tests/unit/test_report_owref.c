// SPDX-License-Identifier: GPL-2.0-only
/*
 * The reference client's one-way formats (control/report.h): owping -M's
 * "SUMMARY 3.00" and owping -R's 8-field raw lines, on OWAMP session data
 * whose every number is known: 6 packets 100 ms apart, packet 2 overtakes
 * packet 1 (packet 1 is 1-reordered), packet 2 arrives twice, packet 3 is
 * lost (a lost-packet record, RFC 4656 3.9), packet 4 lies in a skip range
 * (never sent: not counted), packet 5 is beyond SESSION_PACKET_COUNT's
 * sample and ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "codec.h"
#include "report.h"
#include "t.h"
#include "xwamp/ntp.h"

#define MS   1000000ULL
#define BASE (1700000000ULL * 1000000000ULL) /* a whole second: NTP fraction 0 */
#define IVL  (100 * MS)
/* S bit, Scale 32, Multiplier 1: 1 s (RFC 4656 4.1.2) */
#define EE1  ((__u16)(XW_ERREST_S | (32 << 8) | 1))
#define EE1U ((__u16)((32 << 8) | 1)) /* the same, unsynchronized */

/* the whole output, shown when it differs */
#define CHECK_STR(got, want)                                                              \
	do {                                                                              \
		if (strcmp((got), (want))) {                                              \
			t_fail(__FILE__, __LINE__, "got:\n%s\nwant:\n%s", (got), (want)); \
			return;                                                           \
		}                                                                         \
	} while (0)

static char *buf;
static size_t len;

static struct codec_ow_record rec(__u32 seq, __u64 delay_ns, __u8 ttl, __u16 ee)
{
	return (struct codec_ow_record){
		.seq = seq,
		.send_errest = ee,
		.recv_errest = ee,
		.send_ts = xw_ns_to_ntp(BASE + seq * IVL),
		.recv_ts = xw_ns_to_ntp(BASE + seq * IVL + delay_ns),
		.ttl = ttl,
	};
}

/* arrival order: 0, 2, 1 (late), 2 again, then the lost-packet record of 3 */
static void data(struct codec_ow_record r[5], __u16 ee)
{
	r[0] = rec(0, 1 * MS, 253, ee);
	r[1] = rec(2, 3 * MS, 253, ee);
	r[2] = rec(1, 150 * MS, 252, ee);
	r[3] = rec(2, 60 * MS, 253, ee);
	r[4] = (struct codec_ow_record){
		.seq = 3,
		.send_errest = CODEC_OW_LOST_ERREST,
		.recv_errest = ee,
		.send_ts = xw_ns_to_ntp(BASE + 3 * IVL),
		.recv_ts = 0,
		.ttl = 255,
	};
}

static const struct codec_ow_skip SKIP4 = {.first = 4, .last = 4};

static const struct xw_machine_meta META = {
	.sid = "c0000202000000000000000000000001",
	.from_host = "192.0.2.1",
	.from_addr = "192.0.2.1",
	.from_port = 40000,
	.to_host = "192.0.2.2",
	.to_addr = "192.0.2.2",
	.to_port = 8765,
	.dscp = 0,
	.loss_timeout = 2ULL << 32,
	.padding = 0,
	.npackets = 5,
	.bucket_width = 0.0001,
	.finished = 1,
	.start_ntp = 16788979056430284800ULL,
	.end_ntp = 16788979058148271616ULL, /* + 400 ms */
};

/* NTP of BASE: (1700000000 + 2208988800) << 32 */
#define NTP0 "16788979056430284800"

TEST(ow_machine_summary)
{
	struct codec_ow_record r[6];
	struct xw_ow_data d = {.rec = r, .n = 6, .skips = &SKIP4, .nskips = 1};
	FILE *f;

	data(r, EE1);
	r[5] = rec(5, 1 * MS, 253, EE1); /* beyond the 5 packets of the session: ignored */
	f = open_memstream(&buf, &len);
	CHECK_EQ(xw_report_ow_machine(f, &META, &d), 0);
	fclose(f);
	CHECK_STR(buf, "SUMMARY\t3.00\n"
		       "SID\tc0000202000000000000000000000001\n"
		       "FROM_HOST\t192.0.2.1\nFROM_ADDR\t192.0.2.1\nFROM_PORT\t40000\n"
		       "TO_HOST\t192.0.2.2\nTO_ADDR\t192.0.2.2\nTO_PORT\t8765\n"
		       "START_TIME\t" NTP0 "\n"
		       "END_TIME\t16788979058148271616\n"
		       "DSCP\t0x00\n"
		       "LOSS_TIMEOUT\t8589934592\n"
		       "PACKET_PADDING\t0\n"
		       "SESSION_PACKET_COUNT\t5\nSAMPLE_PACKET_COUNT\t5\n"
		       "BUCKET_WIDTH\t0.0001\nSESSION_FINISHED\t1\n"
		       /* 0, 1, 2 received and 3 lost; 4 never sent */
		       "SENT\t4\nSYNC\t1\n"
		       "MAXERR\t2\n" /* 1 s + 1 s */
		       "DUPS\t1\nLOST\t1\n"
		       "MIN\t0.001\n"
		       /* half of the 4 sent: the 2nd of the sorted first copies */
		       "MEDIAN\t0.003\n"
		       "MAX\t0.15\n" /* duplicates count for MIN and MAX, not for buckets */
		       /* 95% of 4 sent is never reached with one lost: no PDV line */
		       "<BUCKETS>\n\t10\t1\n\t30\t1\n\t1500\t1\n</BUCKETS>\n"
		       "MINTTL\t252\nMAXTTL\t253\n"
		       "<TTLBUCKETS>\n\t252\t1\n\t253\t2\n</TTLBUCKETS>\n"
		       "\n"
		       "<NREORDERING>\n\t1\t1\n</NREORDERING>\n");
}

TEST(ow_machine_unsync_pdv_and_empty)
{
	struct codec_ow_record r[5];
	struct xw_ow_data d = {.rec = r, .n = 4};
	struct xw_machine_meta m = META;
	FILE *f;

	/* no loss: PDV = P95 - P50 over the buckets = 0.15 - 0.003; unsynchronized */
	data(r, EE1U);
	m.npackets = 3;
	m.finished = 0;
	m.dscp = -1;
	f = open_memstream(&buf, &len);
	CHECK_EQ(xw_report_ow_machine(f, &m, &d), 0);
	fclose(f);
	CHECK(strstr(buf, "\nSESSION_FINISHED\t0\nSENT\t3\nSYNC\t0\nMAXERR\t2\nDUPS\t1\nLOST\t0\n"
			  "MIN\t0.001\nMEDIAN\t0.003\nMAX\t0.15\nPDV\t0.147\n<BUCKETS>\n"));
	CHECK(!strstr(buf, "DSCP"));

	/* only the lost-packet record (its receive Error Estimate unsynchronized: SYNC 0):
	 * no delay or bucket lines, TTL 255/0 as the reference, no reordering */
	d.rec = &r[4];
	d.n = 1;
	m = META;
	f = open_memstream(&buf, &len);
	CHECK_EQ(xw_report_ow_machine(f, &m, &d), 0);
	fclose(f);
	CHECK(strstr(buf, "\nSENT\t1\nSYNC\t0\nMAXERR\t1\nDUPS\t0\nLOST\t1\n"
			  "MINTTL\t255\nMAXTTL\t0\n\n"
			  "<NREORDERING>\n\t1\t0\n</NREORDERING>\n"));
	CHECK(!strstr(buf, "BUCKETS"));

	/* a zero bucket width would divide by zero */
	m.bucket_width = 0;
	f = open_memstream(&buf, &len);
	CHECK_EQ(xw_report_ow_machine(f, &m, &d), -EINVAL);
	fclose(f);
}

TEST(ow_raw_lines)
{
	struct codec_ow_record r[5];
	struct xw_ow_data d = {.rec = r, .n = 5};
	FILE *f;

	data(r, EE1);
	f = open_memstream(&buf, &len);
	CHECK_EQ(xw_report_ow_raw(f, &d), 0);
	fclose(f);
	/* receive = send + 1 ms (1 ms * 2^32 / 1e9 = 4294967 NTP units) */
	CHECK_STR(buf, "0 " NTP0 " 1 1 16788979056434579767 1 1 253\n"
		       "2 16788979057289278259 1 1 16788979057302163161 1 1 253\n"
		       "1 16788979056859781529 1 1 16788979057504026624 1 1 252\n"
		       "2 16788979057289278259 1 1 16788979057546976296 1 1 253\n"
		       /* lost: receive time 0, the send Error Estimate RFC 4656 3.9 gives */
		       "3 16788979057718774988 0 2.32831e-10 00000000000000000000 1 1 255\n");
}
