// SPDX-License-Identifier: GPL-2.0-only
/*
 * include/xwamp/reflect.h at the edge of its padding move: the reflector's
 * packet of XW_REFL_MAX_MOVE + 41 octets needs a move of XW_REFL_MAX_MOVE
 * octets, one more than the masked move can do (n & (MAX_MOVE - 1) is 0
 * then).  Such a packet must be refused (XW_REFL_E_NOSPC: the XDP/tc
 * program passes it to the socket reflector), never answered with the
 * padding left where the sender put it.  In BPF the limit is 4096 (a 4137
 * octet datagram, possible through tc on a jumbo or loopback MTU); in
 * userspace it is 65536, which these tests reach.  One octet less is
 * answered exactly as control/testpkt.c answers it.
 */
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "testpkt.h"
#include "xwamp/reflect.h"

static uint8_t *sender_pkt(size_t len)
{
	uint8_t *p = malloc(len);
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	p[12] = 0;
	p[13] = 1; /* Error Estimate Multiplier 1 (RFC 4656 4.1.2) */
	return p;
}

TEST(longest_move_is_refused_not_answered_unmoved)
{
	size_t len = XW_REFL_MAX_MOVE + XW_REFL_HDR;
	uint8_t *p = sender_pkt(len);
	__u64 seq = 5;
	struct xw_refl_args a = {.next_seq = &seq};

	CHECK(p);
	CHECK_EQ(xw_reflect_open(p, p + len, (__u32)len, &a), XW_REFL_E_NOSPC);
	CHECK(seq == 5); /* no sequence number used */
	free(p);
}

TEST(one_octet_less_is_moved_as_testpkt_does)
{
	size_t len = XW_REFL_MAX_MOVE + XW_REFL_HDR - 1;
	uint8_t *p = sender_pkt(len), *q = sender_pkt(len);
	struct xw_tp_cfg cfg = {.mode = XW_TP_OPEN};
	struct xw_tp_refl r = {.seq = 5, .rx_ts = 1, .tx_ts = 2, .errest = 1, .sender_ttl = 64};
	__u64 seq = 5;
	struct xw_refl_args a = {
		.next_seq = &seq, .rx_ts = 1, .tx_ts = 2, .errest = 1, .sender_ttl = 64};

	CHECK(p && q);
	CHECK_EQ(xw_reflect_open(p, p + len, (__u32)len, &a), (int)len);
	CHECK_EQ(xw_tp_reflect_open(&cfg, q, len, len, 0, &r), (int)len);
	/* the sender's first padding octet (14) opens the reflector's padding (41) */
	CHECK_EQ(p[XW_REFL_HDR], (uint8_t)(14 * 7 + 3));
	CHECK_MEM(p, q, len);
	CHECK(seq == 6);
	free(p);
	free(q);
}
