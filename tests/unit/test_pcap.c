// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/pcap.h on the reference captures (tests/data/captures/README.md):
 * the counts, sizes and first bytes that README documents, and the TCP
 * reassembly (retransmitted, overlapping and reordered segments) on a
 * synthetic capture built here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcap.h"
#include "t.h"

TEST(twamp_open_udp_and_greeting)
{
	struct xw_pcap cap;
	const uint8_t *g;
	size_t i, to_srv = 0;

	CHECK_EQ(xw_pcap_open_capture(&cap, "perfsonar-twamp-open.pcap"), 0);
	CHECK_EQ(cap.n_udp, 10);
	for (i = 0; i < cap.n_udp; i++) {
		CHECK_EQ(cap.udp[i].len, 41);
		CHECK_EQ(cap.udp[i].ttl, 255);
		CHECK_EQ(cap.udp[i].tos, 0);
		if (cap.udp[i].sport == 9527 && cap.udp[i].dport == 9528)
			to_srv++;
		else
			CHECK(cap.udp[i].sport == 9528 && cap.udp[i].dport == 9527);
		if (i)
			CHECK(cap.udp[i].ts_ns >= cap.udp[i - 1].ts_ns);
	}
	CHECK_EQ(to_srv, 5);
	/* frame 14 is the first test packet: seq 0 */
	CHECK_EQ(cap.udp[0].frame, 14);
	CHECK_EQ(cap.udp[0].data[3], 0);

	CHECK(cap.has_control);
	CHECK_EQ(cap.server_port, 862);
	CHECK_EQ(cap.dir[XW_PCAP_C2S].dport, 862);
	CHECK_EQ(cap.dir[XW_PCAP_S2C].sport, 862);
	/* Server Greeting (RFC 4656 3.1): Unused 12, Modes 4, Challenge 16, Salt 16, Count 4, MBZ 12 */
	CHECK(cap.dir[XW_PCAP_S2C].len >= 64);
	g = cap.dir[XW_PCAP_S2C].data;
	CHECK_EQ(xw_pcap_be32(g + 12), 15);
	CHECK_EQ(xw_pcap_be32(g + 48), 2048);
	/* client: Set-Up-Response 164 first, Mode 1 */
	CHECK(cap.dir[XW_PCAP_C2S].len >= 164);
	CHECK_EQ(xw_pcap_be32(cap.dir[XW_PCAP_C2S].data), 1);
	/* the greeting arrives in frame 4 at offset 0 of the server's stream */
	CHECK(xw_pcap_seg_of_frame(&cap, 4) >= 0);
	CHECK_EQ(cap.segs[xw_pcap_seg_of_frame(&cap, 4)].off, 0);
	CHECK_EQ(cap.segs[xw_pcap_seg_of_frame(&cap, 4)].dir, XW_PCAP_S2C);
	CHECK_EQ(cap.segs[xw_pcap_seg_of_frame(&cap, 4)].len, 64);
	xw_pcap_close(&cap);
}

TEST(greeting_challenge_open)
{
	static const uint8_t want[16] = {0xfd, 0xc1, 0x65, 0xba, 0x4c, 0x1f, 0x50, 0x17,
					 0x2d, 0x34, 0x9a, 0x90, 0xef, 0xc3, 0x76, 0x0d};
	struct xw_pcap cap;

	/* README quotes this challenge for "the TWAMP file shown" (open) */
	CHECK_EQ(xw_pcap_open_capture(&cap, "perfsonar-twamp-open.pcap"), 0);
	CHECK_MEM(cap.dir[XW_PCAP_S2C].data + 16, want, 16);
	xw_pcap_close(&cap);
}

TEST(every_capture_loads)
{
	static const struct {
		const char *name;
		uint16_t port;
		size_t n_udp, udp_len;
		uint32_t mode;
	} c[] = {
		{"perfsonar-twamp-open.pcap", 862, 10, 41, 1},
		{"perfsonar-twamp-auth.pcap", 862, 10, 112, 2},
		{"perfsonar-twamp-encrypted.pcap", 862, 10, 112, 4},
		{"perfsonar-twamp-mixed.pcap", 862, 10, 41, 8},
		{"perfsonar-owamp-open.pcap", 861, 10, 14, 1},
		{"perfsonar-owamp-auth.pcap", 861, 10, 48, 2},
		{"perfsonar-owamp-encrypted.pcap", 861, 10, 48, 4},
	};
	size_t i, j;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct xw_pcap cap;

		CHECK_EQ(xw_pcap_open_capture(&cap, c[i].name), 0);
		CHECK_EQ(cap.server_port, c[i].port);
		CHECK_EQ(cap.n_udp, c[i].n_udp);
		for (j = 0; j < cap.n_udp; j++)
			CHECK_EQ(cap.udp[j].len, c[i].udp_len);
		CHECK_EQ(xw_pcap_be32(cap.dir[XW_PCAP_S2C].data + 48), 2048);
		CHECK_EQ(xw_pcap_be32(cap.dir[XW_PCAP_C2S].data), c[i].mode);
		/* Server-Start follows the greeting: 64 + 48 octets at least */
		CHECK(cap.dir[XW_PCAP_S2C].len >= 112);
		xw_pcap_close(&cap);
	}
}

/* --- a synthetic capture: reordering, duplicates, overlap, big-endian --- */

static size_t put_frame(uint8_t *buf, uint32_t sec, uint16_t sport, uint16_t dport, uint32_t seq,
			uint8_t flags, const char *payload)
{
	size_t plen = strlen(payload), iplen = 20 + 20 + plen, caplen = 14 + iplen;
	uint8_t *fr = buf + 16, *ip = fr + 14, *tcp = ip + 20;

	memset(buf, 0, 16 + caplen);
	/* record header, big-endian file */
	buf[3] = (uint8_t)sec;
	buf[8] = (uint8_t)(caplen >> 24);
	buf[9] = (uint8_t)(caplen >> 16);
	buf[10] = (uint8_t)(caplen >> 8);
	buf[11] = (uint8_t)caplen;
	memcpy(buf + 12, buf + 8, 4);
	fr[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 6;
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	memcpy(tcp + 20, payload, plen);
	return 16 + caplen;
}

TEST(tcp_reassembly_by_seq)
{
	static const uint8_t hdr[24] = {0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0,    4,	  0, 0, 0, 0,
					0,    0,    0,	  0,	0, 0, 0xff, 0xff, 0, 0, 0, 1};
	uint8_t buf[4096];
	char path[] = "/tmp/xw_test_pcap_XXXXXX";
	struct xw_pcap cap;
	uint32_t cisn = 0xfffffff0, sisn = 1000; /* client seq wraps */
	size_t n = 0;
	FILE *fp;
	int fd;

	memcpy(buf, hdr, 24);
	n = 24;
	n += put_frame(buf + n, 1, 862, 40000, sisn, 0x12, ""); /* SYN+ACK first */
	n += put_frame(buf + n, 1, 40000, 862, cisn, 0x02, ""); /* SYN */
	n += put_frame(buf + n, 2, 862, 40000, sisn + 1 + 5, 0x18, "WORLD");
	n += put_frame(buf + n, 2, 862, 40000, sisn + 1, 0x18, "HELLO");
	n += put_frame(buf + n, 3, 862, 40000, sisn + 1, 0x18, "HELLO"); /* retransmit */
	n += put_frame(buf + n, 3, 40000, 862, cisn + 1, 0x18, "abcdefghijklmnopqrst");
	n += put_frame(buf + n, 3, 40000, 862, cisn + 1 + 15, 0x18, "pqrstuvw"); /* overlap */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	fp = fdopen(fd, "wb");
	CHECK(fp);
	CHECK_EQ(fwrite(buf, 1, n, fp), n);
	fclose(fp);

	CHECK_EQ(xw_pcap_open(&cap, path), 0);
	unlink(path);
	CHECK_EQ(cap.server_port, 862);
	CHECK_EQ(cap.dir[XW_PCAP_C2S].sport, 40000);
	CHECK_EQ(cap.dir[XW_PCAP_S2C].len, 10);
	CHECK_MEM(cap.dir[XW_PCAP_S2C].data, "HELLOWORLD", 10);
	CHECK_EQ(cap.dir[XW_PCAP_C2S].len, 23);
	CHECK_MEM(cap.dir[XW_PCAP_C2S].data, "abcdefghijklmnopqrstuvw", 23);
	CHECK_EQ(cap.n_segs, 5);
	CHECK_EQ(cap.segs[0].off, 5); /* WORLD, captured first */
	CHECK_EQ(cap.segs[0].ts_ns, 2000000000ull);
	xw_pcap_close(&cap);
}

TEST(tcp_hole_is_an_error)
{
	static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
					0,    0,    0,	  0,	0xff, 0xff, 0, 0, 1, 0, 0, 0};
	uint8_t buf[2048];
	char path[] = "/tmp/xw_test_pcap_XXXXXX";
	struct xw_pcap cap;
	size_t n = 24, k;
	FILE *fp;
	int fd;

	memcpy(buf, hdr, 24);
	/* little-endian file: fix the record header fields put_frame wrote big-endian */
	k = put_frame(buf + n, 1, 40000, 862, 100, 0x02, "");
	n += k;
	k = put_frame(buf + n, 1, 40000, 862, 101 + 4, 0x18, "late");
	n += k;
	{
		size_t off = 24;

		while (off < n) {
			uint8_t *r = buf + off;
			uint32_t caplen = xw_pcap_be32(r + 8), s = xw_pcap_be32(r);
			int b;

			for (b = 0; b < 4; b++) {
				r[b] = (uint8_t)(s >> (8 * b));
				r[8 + b] = r[12 + b] = (uint8_t)(caplen >> (8 * b));
			}
			off += 16 + caplen;
		}
	}
	fd = mkstemp(path);
	CHECK(fd >= 0);
	fp = fdopen(fd, "wb");
	CHECK(fp);
	CHECK_EQ(fwrite(buf, 1, n, fp), n);
	fclose(fp);
	CHECK_EQ(xw_pcap_open(&cap, path), -EPROTO);
	unlink(path);
}
